//! System instructions: status register access (MRS, MSR, CPS), the
//! coprocessor interface to the system registers (MRC/MCR, MRRC/MCRR),
//! and the block transfers of privileged modes (LDM/STM of User registers,
//! SRS, RFE, exception returns).

use super::load_store::block_start;
use super::*;

/// MRS: read the APSR (the CPSR without its execution-state bits).
pub fn mrs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    mrs_op(cx, bit(w, 22), rd(w))
}

/// MRS (T32: R in bit 20, Rd in 11:8).
pub fn t32_mrs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let d = rs(w);
    check(d != 13 && d != 15)?;
    mrs_op(cx, bit(w, 20), d)
}

/// Reads the SPSR (`spsr`) or the CPSR without its execution-state bits
/// (T, IT) into `d`.
fn mrs_op(cx: &mut Ctx, spsr: bool, d: u32) -> Result<(), Undef> {
    if spsr {
        let slot = cx.spsr_slot()?;
        let v = cx.b.get(slot);
        cx.set_reg(d, v);
        return Ok(());
    }
    let b = &mut *cx.b;
    let mut acc = b.get(slots::CPSR_REST);
    let not_t = b.c32(!(psr::T | psr::IT_MASK));
    acc = b.and(acc, not_t);
    let n = b.get(slots::NF);
    let nmask = b.c32(psr::N);
    let n = b.and(n, nmask);
    acc = b.or(acc, n);
    let z = b.get(slots::ZF);
    let zero = b.c32(0);
    let z = b.cmp(Cmp::Eq, z, zero);
    let z = b.zext(z, Type::I32);
    let c30 = b.c32(30);
    let z = b.shl(z, c30);
    acc = b.or(acc, z);
    for (slot, shift) in [
        (slots::CF, 29),
        (slots::VF, 28),
        (slots::QF, 27),
        (slots::GE, 16),
    ] {
        let f = b.get(slot);
        let s = b.c32(shift);
        let f = b.shl(f, s);
        acc = b.or(acc, f);
    }
    cx.set_reg(d, acc);
    Ok(())
}

fn write_apsr(cx: &mut Ctx, mask: u32, v: Value) {
    let b = &mut *cx.b;
    let one = b.c32(1);
    if mask & 2 != 0 {
        b.set(slots::NF, v);
        // Z is set when bit 30 is: keep a word that is zero exactly then.
        let nv = b.not(v);
        let zbit = b.c32(psr::Z);
        let z = b.and(nv, zbit);
        b.set(slots::ZF, z);
        for (slot, shift) in [(slots::CF, 29), (slots::VF, 28), (slots::QF, 27)] {
            let s = b.c32(shift);
            let f = b.lshr(v, s);
            let f = b.and(f, one);
            b.set(slot, f);
        }
    }
    if mask & 1 != 0 {
        let s = b.c32(16);
        let f = b.lshr(v, s);
        let m = b.c32(0xf);
        let f = b.and(f, m);
        b.set(slots::GE, f);
    }
}

/// The common part of MSR: write `v` to the fields of the CPSR or (with
/// `spsr`) the SPSR selected by `fields` (f, s, x, c: bits 3..0).
fn msr_op(cx: &mut Ctx, spsr: bool, fields: u32, v: Value) -> Result<(), Undef> {
    check(fields != 0)?;
    let byte_mask = (0..4)
        .filter(|i| fields & (1 << i) != 0)
        .fold(0u32, |m, i| m | 0xff << (8 * i));
    if spsr {
        let slot = cx.spsr_slot()?;
        let old = cx.b.get(slot);
        let keep = cx.b.c32(!byte_mask);
        let kept = cx.b.and(old, keep);
        let m = cx.b.c32(byte_mask);
        let new = cx.b.and(v, m);
        let x = cx.b.or(kept, new);
        cx.b.set(slot, x);
        return Ok(());
    }
    if cx.privileged() && fields & 3 != 0 {
        // Control or extension field: mode and masks may change, so the
        // block ends and translation starts again in the new state.
        let m = cx.b.c32(byte_mask);
        cx.call(helpers::WRITE_CPSR, &[v, m]);
        cx.end = End::Exit;
        return Ok(());
    }
    // User mode writes only the flags (writes to other fields are ignored).
    write_apsr(cx, fields >> 2, v);
    Ok(())
}

/// MSR (register).
pub fn msr_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rm(w) != 15)?;
    let v = cx.reg(rm(w));
    msr_op(cx, bit(w, 22), bits(w, 19, 16), v)
}

/// MSR (immediate).
pub fn msr_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let imm = (w & 0xff).rotate_right(2 * bits(w, 11, 8));
    let v = cx.b.c32(imm);
    msr_op(cx, bit(w, 22), bits(w, 19, 16), v)
}

/// MSR (T32: R in bit 20, Rn in 19:16, the field mask in 11:8).
pub fn t32_msr(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    check(n != 13 && n != 15)?;
    let v = cx.reg(n);
    msr_op(cx, bit(w, 20), bits(w, 11, 8), v)
}

/// CPS: change the interrupt masks and/or the mode (a NOP in User mode).
pub fn cps(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cps_op(
        cx,
        bits(w, 19, 18),
        bit(w, 17),
        bits(w, 8, 6),
        bits(w, 4, 0),
    )
}

/// CPS.W (T32: imod in 10:9, M in 8, A I F in 7:5, the mode in 4:0).
pub fn t32_cps(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    cps_op(cx, bits(w, 10, 9), bit(w, 8), bits(w, 7, 5), bits(w, 4, 0))
}

/// CPSIE, CPSID (16-bit: disable in bit 4, A I F in 2:0).
pub fn t16_cps(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    cps_op(cx, 2 | bits(w, 4, 4), false, bits(w, 2, 0), 0)
}

/// Sets (imod 11) or clears (10) the A/I/F masks given by `aif`, and
/// switches to `mode` if `change_mode`.
fn cps_op(cx: &mut Ctx, imod: u32, change_mode: bool, aif: u32, mode: u32) -> Result<(), Undef> {
    // imod 01 is reserved; imod 00 must change the mode; without an
    // effect the A/I/F bits must be zero.
    let reserved = imod == 1;
    let nothing = imod == 0 && !change_mode;
    let stray_flags = imod < 2 && aif != 0;
    check(!reserved && !nothing && !stray_flags)?;
    if !cx.privileged() {
        return Ok(());
    }
    let arg = imod << 18 | u32::from(change_mode) << 17 | aif << 6 | mode;
    let arg = cx.b.c32(arg);
    cx.call(helpers::CPS, &[arg]);
    cx.end = End::Exit;
    Ok(())
}

/// Checks that `reg` may be accessed this way in the block's mode.
fn sysreg_allowed(cx: &Ctx, reg: &sysreg::SysReg, write: bool) -> Result<(), Undef> {
    check(if write { reg.write } else { reg.read })?;
    check(cx.privileged() || reg.pl0_allows(write, cx.flags))
}

/// MRC/MCR to CP14 and CP15: the system registers of `sysreg`'s table.
/// Anything else is UNDEFINED, as on hardware without the register.
pub fn coproc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let read = bit(w, 20);
    let t = rd(w);
    check(t != 15)?;
    let reg = sysreg::lookup32(
        bits(w, 11, 8),
        bits(w, 23, 21),
        bits(w, 19, 16),
        bits(w, 3, 0),
        bits(w, 7, 5),
    )
    .ok_or(Undef)?;
    sysreg_allowed(cx, &reg, !read)?;
    match (reg.kind, read) {
        (sysreg::Kind::Const(v), true) => {
            let v = cx.b.c32(v);
            cx.set_reg(t, v);
        }
        (sysreg::Kind::Const(_) | sysreg::Kind::Nop, _) => {}
        (sysreg::Kind::Field { offset, .. }, true) => {
            let v = cx.b.get(super::super::arch_field(offset));
            cx.set_reg(t, v);
        }
        (sysreg::Kind::Field { offset, write_mask }, false) => {
            let v = cx.reg(t);
            let m = cx.b.c32(write_mask);
            let v = cx.b.and(v, m);
            cx.b.set(super::super::arch_field(offset), v);
        }
        (sysreg::Kind::Special(which), true) => {
            let id = cx.b.c32(which as u32);
            let v = cx.call(helpers::SYSREG_READ, &[id]);
            cx.set_reg(t, v);
        }
        (sysreg::Kind::Special(which), false) => {
            let id = cx.b.c32(which as u32);
            let v = cx.reg(t);
            cx.call(helpers::SYSREG_WRITE, &[id, v]);
        }
    }
    if !read && reg.ends_block {
        cx.end = End::Exit;
    }
    Ok(())
}

/// MRC/MCR (T32: the same fields as A32; SP is no transfer register).
pub fn t32_coproc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 13)?;
    coproc(cx, w)
}

/// MRRC/MCRR (T32: the same fields as A32; SP is no transfer register).
pub fn t32_coproc64(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 13 && rn(w) != 13)?;
    coproc64(cx, w)
}

/// SUBS PC, LR, #imm8: an exception return to LR - imm8.
pub fn t32_subs_pc_lr(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx))?;
    let lr = cx.reg(14);
    let imm = cx.b.c32(w & 0xff);
    let target = cx.b.sub(lr, imm);
    cx.exception_return(target)
}

/// MRRC/MCRR: the 64-bit system registers (TTBR0/1, PAR, the counters
/// and compare values, DBGDRAR and DBGDSAR). Rt is the low word, Rt2 the
/// high word.
pub fn coproc64(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let read = bit(w, 20);
    let (t, t2) = (rd(w), rn(w));
    check(t != 15 && t2 != 15 && !(read && t == t2))?;
    let reg = sysreg::lookup64(bits(w, 11, 8), bits(w, 7, 4), bits(w, 3, 0)).ok_or(Undef)?;
    sysreg_allowed(cx, &reg, !read)?;
    let which = match reg.kind {
        sysreg::Kind::Special(which) => which,
        // A constant (the debug ROM and self addresses): the value in the
        // low word, zero in the high; writes are not allowed.
        sysreg::Kind::Const(v) if read => {
            let lo = cx.b.c32(v);
            let hi = cx.b.c32(0);
            cx.set_reg(t, lo);
            cx.set_reg(t2, hi);
            return Ok(());
        }
        _ => return Err(Undef),
    };
    let id = cx.b.iconst(Type::I64, which as u64);
    if read {
        let v = cx.b.call(helpers::SYSREG_READ, &[id]);
        split64(cx, v, t, t2);
    } else {
        let v = join64(cx, t, t2);
        cx.b.call(helpers::SYSREG_WRITE, &[id, v]);
        if reg.ends_block {
            cx.end = End::Exit;
        }
    }
    Ok(())
}

/// LDM/STM with the S bit and without the PC: transfers the User-mode
/// registers from a privileged mode (no writeback).
pub fn ldm_stm_user(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let count = list.count_ones();
    let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    // In User and System mode, and with writeback, the forms are
    // UNPREDICTABLE.
    check(n != 15 && count >= 1 && !wb && bank(cx.mode).is_some_and(|b| b > 0))?;
    let base = cx.reg(n);
    let start = block_start(p, u, count);
    let regs: Vec<u32> = (0..15).filter(|r| list & (1 << r) != 0).collect();
    let usr = cx.b.c32(psr::MODE_USR);
    let mut addrs = Vec::new();
    for i in 0..count as i32 {
        let off = cx.b.c32((start + 4 * i) as u32);
        addrs.push(cx.b.add(base, off));
    }
    if load {
        let values: Vec<Value> = addrs.iter().map(|&a| cx.load(a, 4, false, 4)).collect();
        for (&r, &v) in regs.iter().zip(&values) {
            let rv = cx.b.c32(r);
            cx.call(helpers::BANKED_REG_WRITE, &[usr, rv, v]);
        }
    } else {
        for (&r, &a) in regs.iter().zip(&addrs) {
            let rv = cx.b.c32(r);
            let v = cx.call(helpers::BANKED_REG_READ, &[usr, rv]);
            cx.store(a, v, 4, 4);
        }
    }
    Ok(())
}

/// SRS: stores LR and SPSR of the current mode to the stack of another
/// mode (whose SP may be written back).
pub fn srs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    srs_op(cx, bit(w, 24), bit(w, 23), bit(w, 21), bits(w, 4, 0))
}

/// SRSDB, SRSIA (T32: bits 24:23 are 00 for DB, 11 for IA).
pub fn t32_srs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(cx.itstate == 0)?;
    let ia = bit(w, 23);
    srs_op(cx, !ia, ia, bit(w, 21), bits(w, 4, 0))
}

/// SRS with P (before), U (increment) and writeback.
fn srs_op(cx: &mut Ctx, p: bool, u: bool, wb: bool, mode: u32) -> Result<(), Undef> {
    let spsr = cx.spsr_slot()?;
    check(bank(mode).is_some() && mode != psr::MODE_USR)?;
    let m = cx.b.c32(mode);
    let thirteen = cx.b.c32(13);
    let sp = cx.call(helpers::BANKED_REG_READ, &[m, thirteen]);
    let start = block_start(p, u, 2);
    let off = cx.b.c32(start as u32);
    let a0 = cx.b.add(sp, off);
    let four = cx.b.c32(4);
    let a1 = cx.b.add(a0, four);
    let lr = cx.reg(14);
    let sv = cx.b.get(spsr);
    cx.store(a0, lr, 4, 4);
    cx.store(a1, sv, 4, 4);
    if wb {
        let delta = cx.b.c32(if u { 8 } else { (-8i32) as u32 });
        let nsp = cx.b.add(sp, delta);
        cx.call(helpers::BANKED_REG_WRITE, &[m, thirteen, nsp]);
    }
    Ok(())
}

/// RFE: loads the PC and the CPSR from memory (an exception return).
pub fn rfe(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    rfe_op(cx, rn(w), bit(w, 24), bit(w, 23), bit(w, 21))
}

/// RFEDB, RFEIA (T32: bits 24:23 are 00 for DB, 11 for IA).
pub fn t32_rfe(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(dp::last_in_it(cx))?;
    let ia = bit(w, 23);
    rfe_op(cx, rn(w), !ia, ia, bit(w, 21))
}

/// RFE from base `n` with P, U and writeback.
fn rfe_op(cx: &mut Ctx, n: u32, p: bool, u: bool, wb: bool) -> Result<(), Undef> {
    check(n != 15 && cx.privileged())?;
    let base = cx.reg(n);
    let start = block_start(p, u, 2);
    let off = cx.b.c32(start as u32);
    let a0 = cx.b.add(base, off);
    let four = cx.b.c32(4);
    let a1 = cx.b.add(a0, four);
    let pc = cx.load(a0, 4, false, 4);
    let cpsr = cx.load(a1, 4, false, 4);
    if wb {
        let delta = cx.b.c32(if u { 8 } else { (-8i32) as u32 });
        let nb = cx.b.add(base, delta);
        cx.set_reg(n, nb);
    }
    cx.call(helpers::RETURN_FROM_EXCEPTION, &[pc, cpsr]);
    cx.end = End::Indirect;
    cx.it_written = true;
    Ok(())
}

/// LDM with the S bit and the PC in the list: an exception return.
pub fn ldm_exception_return(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let count = list.count_ones();
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    check(n != 15 && !(wb && list & (1 << n) != 0))?;
    cx.spsr_slot()?;
    let base = cx.reg(n);
    let start = block_start(p, u, count);
    let mut values = Vec::new();
    for i in 0..count as i32 {
        let off = cx.b.c32((start + 4 * i) as u32);
        let a = cx.b.add(base, off);
        values.push(cx.load(a, 4, false, 4));
    }
    if wb {
        let delta = if u {
            4 * count as i32
        } else {
            -4 * count as i32
        };
        let off = cx.b.c32(delta as u32);
        let nb = cx.b.add(base, off);
        cx.set_reg(n, nb);
    }
    let regs: Vec<u32> = (0..15).filter(|r| list & (1 << r) != 0).collect();
    for (&r, &v) in regs.iter().zip(&values) {
        cx.set_reg(r, v);
    }
    let pc = *values.last().expect("the PC is in the list");
    cx.exception_return(pc)
}
