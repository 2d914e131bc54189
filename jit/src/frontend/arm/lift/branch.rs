//! Branches, traps, hints and the other instructions that end or steer
//! the flow: B, BL, BLX, BX, SVC, BKPT, HVC, WFI, hints, SETEND, CLREX.

use super::*;

fn branch_offset(w: u32) -> u32 {
    (((w & 0x00ff_ffff) << 8) as i32 >> 6) as u32
}

/// B: branch.
pub fn b(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.end = End::Direct(cx.pc_value().wrapping_add(branch_offset(w)));
    Ok(())
}

/// BL: branch with link.
pub fn bl(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let lr = cx.b.c32(cx.next_pc());
    cx.set_reg(14, lr);
    b(cx, w)
}

/// BLX (immediate): branch with link and switch to Thumb.
pub fn blx_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let lr = cx.b.c32(cx.next_pc());
    cx.set_reg(14, lr);
    let target = cx
        .pc_value()
        .wrapping_add(branch_offset(w))
        .wrapping_add(bits(w, 24, 24) << 1);
    let t = cx.b.c32(target | 1);
    cx.bx_write_pc(t);
    Ok(())
}

/// BX, BXJ: branch and exchange.
pub fn bx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let v = cx.reg(rm(w));
    cx.bx_write_pc(v);
    Ok(())
}

/// BLX (register).
pub fn blx_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rm(w) != 15)?;
    let v = cx.reg(rm(w));
    let lr = cx.b.c32(cx.next_pc());
    cx.set_reg(14, lr);
    cx.bx_write_pc(v);
    Ok(())
}

/// SVC: supervisor call.
pub fn svc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.end = End::Trap {
        code: trap::SVC,
        arg: w & 0x00ff_ffff,
    };
    Ok(())
}

/// BKPT: breakpoint (unconditional by definition).
pub fn bkpt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(w >> 28 == 0xe)?;
    cx.end = End::Trap {
        code: trap::BKPT,
        arg: bits(w, 19, 8) << 4 | rm(w),
    };
    Ok(())
}

/// HVC: a hypervisor call. There is no Hyp mode: the machine's firmware
/// answers it (PSCI), as QEMU's `virt` does; credited like SVC.
pub fn hvc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(w >> 28 == 0xe && cx.privileged())?;
    cx.end = End::Trap {
        code: trap::HVC,
        arg: bits(w, 19, 8) << 4 | rm(w),
    };
    Ok(())
}

/// WFI: wait for interrupt.
pub fn wfi(cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    cx.end = End::Halt;
    Ok(())
}

/// Hints with no architectural effect on a single core: NOP, YIELD, WFE
/// and SEV (the event register is not modelled yet), DBG, PLD, PLI, and
/// the barriers.
pub fn hint(_cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    Ok(())
}

/// Lines of the table that name unallocated or undefined space.
pub fn undefined(_cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    Err(Undef)
}

/// SETEND: select the data byte order.
pub fn setend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let rest = cx.b.get(slots::CPSR_REST);
    let v = if bit(w, 9) {
        let e = cx.b.c32(psr::E);
        cx.b.or(rest, e)
    } else {
        let e = cx.b.c32(!psr::E);
        cx.b.and(rest, e)
    };
    cx.b.set(slots::CPSR_REST, v);
    cx.end = End::Exit;
    Ok(())
}

/// CLREX: clear the exclusive monitor.
pub fn clrex(cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    let open = cx.b.iconst(Type::I64, u64::MAX);
    cx.b.set(slots::EXCL_ADDR, open);
    Ok(())
}
