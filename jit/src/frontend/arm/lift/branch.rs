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

/// SETEND: select the data byte order (bit 9).
pub fn setend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    setend_op(cx, bit(w, 9));
    Ok(())
}

/// SETEND (16-bit Thumb: bit 3; not inside an IT block).
pub fn t16_setend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    setend_op(cx, bit(w, 3));
    Ok(())
}

fn setend_op(cx: &mut Ctx, big: bool) {
    let rest = cx.b.get(slots::CPSR_REST);
    let v = if big {
        let e = cx.b.c32(psr::E);
        cx.b.or(rest, e)
    } else {
        let e = cx.b.c32(!psr::E);
        cx.b.and(rest, e)
    };
    cx.b.set(slots::CPSR_REST, v);
    cx.end = End::Exit;
}

/// CLREX: clear the exclusive monitor.
pub fn clrex(cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    let open = cx.b.iconst(Type::I64, u64::MAX);
    cx.b.set(slots::EXCL_ADDR, open);
    Ok(())
}

// ---------------------------------------------------------------------------
// Thumb.

/// The link value of a Thumb call: the next instruction, in Thumb state.
fn thumb_link(cx: &mut Ctx) -> Value {
    cx.b.c32(cx.next_pc() | 1)
}

/// B<c> (16-bit): the condition is the lifter's; the target PC + imm8 * 2.
pub fn t16_b_cond(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    let off = ((w & 0xff) << 24) as i32 >> 23;
    cx.end = End::Direct(cx.pc_value().wrapping_add(off as u32));
    Ok(())
}

/// B (16-bit): PC + imm11 * 2.
pub fn t16_b(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx))?;
    let off = ((w & 0x7ff) << 21) as i32 >> 20;
    cx.end = End::Direct(cx.pc_value().wrapping_add(off as u32));
    Ok(())
}

/// CBZ, CBNZ: compare a low register with zero and branch forward.
pub fn t16_cbz(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    let n = bits(w, 2, 0);
    let off = bits(w, 9, 9) << 6 | bits(w, 7, 3) << 1;
    let v = cx.reg(n);
    let zero = cx.b.c32(0);
    let cmp = if bit(w, 11) { Cmp::Ne } else { Cmp::Eq };
    let cond = cx.b.cmp(cmp, v, zero);
    cx.end = End::DirectIf {
        cond,
        target: cx.pc_value().wrapping_add(off),
    };
    Ok(())
}

/// BX Rm (16-bit).
pub fn t16_bx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx))?;
    let v = cx.reg(bits(w, 6, 3));
    cx.bx_write_pc(v);
    Ok(())
}

/// BLX Rm (16-bit).
pub fn t16_blx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let m = bits(w, 6, 3);
    check(m != 15 && dp::last_in_it(cx))?;
    let v = cx.reg(m);
    let lr = thumb_link(cx);
    cx.set_reg(14, lr);
    cx.bx_write_pc(v);
    Ok(())
}

/// SVC #imm8 (16-bit).
pub fn t16_svc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.end = End::Trap {
        code: trap::SVC,
        arg: w & 0xff,
    };
    Ok(())
}

/// BKPT #imm8 (16-bit; unconditional even inside an IT block).
pub fn t16_bkpt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.end = End::Trap {
        code: trap::BKPT,
        arg: w & 0xff,
    };
    Ok(())
}

/// HLT #imm6 (16-bit): undefined before ARMv8, but with semihosting on,
/// `HLT 0x3C` in a privileged mode is a semihosting call, as on QEMU.
pub fn t16_hlt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    semihosting_hlt(cx, w & 0x3f == 0x3c)
}

/// HLT #imm16 (A32): `HLT 0xF000` is the A32 semihosting call.
pub fn hlt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(w >> 28 == 0xe)?;
    semihosting_hlt(cx, bits(w, 19, 8) << 4 | rm(w) == 0xf000)
}

fn semihosting_hlt(cx: &mut Ctx, right_immediate: bool) -> Result<(), Undef> {
    check(right_immediate && cx.flags & tb_flags::SEMIHOSTING != 0 && cx.privileged())?;
    cx.end = End::Trap {
        code: trap::SEMIHOST,
        arg: 0,
    };
    Ok(())
}

/// The 16-bit hints: NOP, YIELD, WFE, WFI, SEV.
pub fn t16_hint(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    // The unallocated hints execute as NOPs.
    if bits(w, 7, 4) == 3 {
        wfi(cx, w)
    } else {
        hint(cx, w)
    }
}

/// IT: the next one to four instructions are conditional.
pub fn t16_it(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (firstcond, mask) = (bits(w, 7, 4), bits(w, 3, 0));
    check(cx.itstate == 0 && firstcond != 0xf)?;
    check(firstcond != 0xe || mask.count_ones() == 1)?;
    cx.it_start = Some(w & 0xff);
    Ok(())
}

/// The branch offset of B.W and BL/BLX: S:I1:I2:imm10:imm11:'0' with
/// I1 = NOT(J1 XOR S), I2 = NOT(J2 XOR S).
fn t32_long_offset(w: u32) -> u32 {
    let s = bits(w, 26, 26);
    let i1 = !(bits(w, 13, 13) ^ s) & 1;
    let i2 = !(bits(w, 11, 11) ^ s) & 1;
    let imm = s << 24 | i1 << 23 | i2 << 22 | bits(w, 25, 16) << 12 | bits(w, 10, 0) << 1;
    ((imm << 7) as i32 >> 7) as u32
}

/// B<c>.W: S:J2:J1:imm6:imm11:'0'.
pub fn t32_b_cond(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    let imm = bits(w, 26, 26) << 20
        | bits(w, 11, 11) << 19
        | bits(w, 13, 13) << 18
        | bits(w, 21, 16) << 12
        | bits(w, 10, 0) << 1;
    let off = ((imm << 11) as i32 >> 11) as u32;
    cx.end = End::Direct(cx.pc_value().wrapping_add(off));
    Ok(())
}

/// B.W.
pub fn t32_b(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx))?;
    cx.end = End::Direct(cx.pc_value().wrapping_add(t32_long_offset(w)));
    Ok(())
}

/// BL: call, staying in Thumb state.
pub fn t32_bl(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx))?;
    let lr = thumb_link(cx);
    cx.set_reg(14, lr);
    cx.end = End::Direct(cx.pc_value().wrapping_add(t32_long_offset(w)));
    Ok(())
}

/// BLX (immediate): call into ARM state at Align(PC, 4) + offset.
pub fn t32_blx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx) && !bit(w, 0))?;
    let lr = thumb_link(cx);
    cx.set_reg(14, lr);
    let target = cx.pc_aligned().wrapping_add(t32_long_offset(w));
    let t = cx.b.c32(target);
    cx.bx_write_pc(t);
    Ok(())
}

/// BXJ (T32): a BX, as on a core without Jazelle.
pub fn t32_bxj(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let m = rn(w);
    check(m != 13 && m != 15 && dp::last_in_it(cx))?;
    let v = cx.reg(m);
    cx.bx_write_pc(v);
    Ok(())
}

/// HVC #imm16 (T32).
pub fn t32_hvc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0 && cx.privileged())?;
    cx.end = End::Trap {
        code: trap::HVC,
        arg: rn(w) << 12 | (w & 0xfff),
    };
    Ok(())
}

/// The T32 hints: NOP.W, YIELD.W, WFE.W, WFI.W, SEV.W, DBG and the
/// unallocated ones (NOPs).
pub fn t32_hint(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    if w & 0xff == 3 {
        return wfi(cx, w);
    }
    hint(cx, w)
}
