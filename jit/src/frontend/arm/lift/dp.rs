//! Data processing: the ALU operations with their operand forms (a
//! modified immediate, a register shifted by an immediate or by a
//! register), wide moves (MOVW, MOVT, ADDW, SUBW, ADR) and CLZ, for both
//! instruction sets. [`data_processing`] is the one semantics; the A32,
//! T32 and 16-bit Thumb handlers decode their fields into it.

use super::*;

/// An ALU operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DpOp {
    And,
    Eor,
    Sub,
    Rsb,
    Add,
    Adc,
    Sbc,
    Rsc,
    Tst,
    Teq,
    Cmp,
    Cmn,
    Orr,
    Mov,
    Bic,
    Mvn,
    /// Thumb only: Rn OR NOT operand.
    Orn,
}

/// The A32 opcode field's operations.
const DP_OPS: [DpOp; 16] = [
    DpOp::And,
    DpOp::Eor,
    DpOp::Sub,
    DpOp::Rsb,
    DpOp::Add,
    DpOp::Adc,
    DpOp::Sbc,
    DpOp::Rsc,
    DpOp::Tst,
    DpOp::Teq,
    DpOp::Cmp,
    DpOp::Cmn,
    DpOp::Orr,
    DpOp::Mov,
    DpOp::Bic,
    DpOp::Mvn,
];

fn is_logical(op: DpOp) -> bool {
    matches!(
        op,
        DpOp::And
            | DpOp::Eor
            | DpOp::Tst
            | DpOp::Teq
            | DpOp::Orr
            | DpOp::Orn
            | DpOp::Mov
            | DpOp::Bic
            | DpOp::Mvn
    )
}

fn is_compare(op: DpOp) -> bool {
    matches!(op, DpOp::Tst | DpOp::Teq | DpOp::Cmp | DpOp::Cmn)
}

/// The one semantics of the ALU operations: `shifter` yields the second
/// operand and (when asked) the shifter's carry-out; `s` sets the flags.
/// Returns the result (which a compare only uses for the flags).
pub(super) fn alu(
    cx: &mut Ctx,
    op: DpOp,
    s: bool,
    n: u32,
    shifter: impl FnOnce(&mut Ctx, bool) -> (Value, Option<Value>),
) -> Value {
    let logical = is_logical(op);
    let (op2, carry) = shifter(cx, s && logical);
    let n = if matches!(op, DpOp::Mov | DpOp::Mvn) {
        None
    } else {
        Some(cx.reg(n))
    };
    let n = || n.expect("operand 1");
    let b = &mut *cx.b;
    let result = match op {
        DpOp::And | DpOp::Tst => b.and(n(), op2),
        DpOp::Eor | DpOp::Teq => b.xor(n(), op2),
        DpOp::Orr => b.or(n(), op2),
        DpOp::Orn => {
            let m = b.not(op2);
            b.or(n(), m)
        }
        DpOp::Bic => {
            let m = b.not(op2);
            b.and(n(), m)
        }
        DpOp::Mov => op2,
        DpOp::Mvn => b.not(op2),
        DpOp::Sub | DpOp::Cmp => cx.sub_flags(n(), op2, s),
        DpOp::Rsb => cx.sub_flags(op2, n(), s),
        DpOp::Add | DpOp::Cmn => cx.add_flags(n(), op2, s),
        DpOp::Adc => {
            let c = cx.flag(slots::CF);
            cx.add_with_carry(n(), op2, c, s)
        }
        DpOp::Sbc => {
            let m = cx.b.not(op2);
            let c = cx.flag(slots::CF);
            cx.add_with_carry(n(), m, c, s)
        }
        DpOp::Rsc => {
            let m = cx.b.not(n());
            let c = cx.flag(slots::CF);
            cx.add_with_carry(op2, m, c, s)
        }
    };
    if s && logical {
        cx.set_nz(result);
        if let Some(c) = carry {
            cx.b.set(slots::CF, c);
        }
    }
    result
}

/// [`alu`], with the result written to `d` (the PC: [`Ctx::alu_write`])
/// unless `op` compares.
pub(super) fn data_processing(
    cx: &mut Ctx,
    op: DpOp,
    s: bool,
    d: u32,
    n: u32,
    shifter: impl FnOnce(&mut Ctx, bool) -> (Value, Option<Value>),
) {
    let result = alu(cx, op, s, n, shifter);
    if !is_compare(op) {
        cx.alu_write(d, result);
    }
}

/// An immediate operand with the carry-out of its expansion: the C flag
/// unchanged when `carry_is_top` is false, else bit 31 of the value.
fn immediate(
    cx: &mut Ctx,
    imm: u32,
    carry_is_top: bool,
    want_carry: bool,
) -> (Value, Option<Value>) {
    let v = cx.b.c32(imm);
    let c = want_carry.then(|| {
        if carry_is_top {
            cx.b.c32(imm >> 31)
        } else {
            cx.b.get(slots::CF)
        }
    });
    (v, c)
}

// ---------------------------------------------------------------------------
// A32.

/// The A32 operation and flag-setting bit. A flag-setting write to the
/// PC is an exception return: the result goes to the PC and the SPSR to
/// the CPSR; the flags are not set.
fn a32_op(cx: &mut Ctx, w: u32) -> Result<(DpOp, bool, bool), Undef> {
    let op = DP_OPS[bits(w, 24, 21) as usize];
    let s = bit(w, 20);
    let eret = s && rd(w) == 15 && !is_compare(op);
    if eret {
        cx.spsr_slot()?;
    }
    Ok((op, s && !eret, eret))
}

/// Data processing, or the exception return a flag-setting write to the
/// PC is (the result to the PC, the SPSR to the CPSR, no flags).
fn a32_dp(
    cx: &mut Ctx,
    w: u32,
    shifter: impl FnOnce(&mut Ctx, bool) -> (Value, Option<Value>),
) -> Result<(), Undef> {
    let (op, s, eret) = a32_op(cx, w)?;
    if eret {
        let target = alu(cx, op, false, rn(w), shifter);
        return cx.exception_return(target);
    }
    data_processing(cx, op, s, rd(w), rn(w), shifter);
    Ok(())
}

/// Data processing with a modified immediate constant.
pub fn dp_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let rot = 2 * bits(w, 11, 8);
    let imm = (w & 0xff).rotate_right(rot);
    a32_dp(cx, w, |cx, want| immediate(cx, imm, rot != 0, want))
}

/// Data processing with a register shifted by an immediate.
pub fn dp_imm_shift(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_dp(cx, w, |cx, want_carry| {
        let m = cx.reg(rm(w));
        cx.shift_imm(m, bits(w, 6, 5), bits(w, 11, 7), want_carry)
    })
}

/// Data processing with a register shifted by a register.
pub fn dp_reg_shift(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15 && rs(w) != 15 && rn(w) != 15)?;
    a32_dp(cx, w, |cx, want_carry| {
        let m = cx.reg(rm(w));
        let amount = cx.reg(rs(w));
        cx.shift_reg(m, bits(w, 6, 5), amount, want_carry)
    })
}

/// A 16-bit immediate: imm4 in 19:16, imm12 in 11:0 (A32); imm4 in
/// 19:16, i in 26, imm3 in 14:12, imm8 in 7:0 (T32).
fn imm16(w: u32, thumb: bool) -> u32 {
    if thumb {
        bits(w, 19, 16) << 12 | bits(w, 26, 26) << 11 | bits(w, 14, 12) << 8 | (w & 0xff)
    } else {
        bits(w, 19, 16) << 12 | (w & 0xfff)
    }
}

/// MOVW: `d` = the immediate.
fn movw_op(cx: &mut Ctx, d: u32, imm: u32) {
    let v = cx.b.c32(imm);
    cx.set_reg(d, v);
}

/// MOVT: the immediate to `d`'s top halfword.
fn movt_op(cx: &mut Ctx, d: u32, imm: u32) {
    let old = cx.reg(d);
    let b = &mut *cx.b;
    let low = b.c32(0xffff);
    let keep = b.and(old, low);
    let top = b.c32(imm << 16);
    let v = b.or(keep, top);
    cx.set_reg(d, v);
}

/// CLZ.
fn clz_op(cx: &mut Ctx, d: u32, m: u32) {
    let m = cx.reg(m);
    let v = cx.b.clz(m);
    cx.set_reg(d, v);
}

/// MOVW: move a 16-bit immediate.
pub fn movw(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    movw_op(cx, rd(w), imm16(w, false));
    Ok(())
}

/// MOVT: move to the top halfword.
pub fn movt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    movt_op(cx, rd(w), imm16(w, false));
    Ok(())
}

/// CLZ: count leading zeros.
pub fn clz(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    clz_op(cx, rd(w), rm(w));
    Ok(())
}

// ---------------------------------------------------------------------------
// T32.

/// ThumbExpandImm_C: the 12-bit modified immediate (i:imm3:imm8) as a
/// value, and whether its carry-out is its bit 31 (else the C flag).
/// `None` for the reserved encodings.
pub fn thumb_expand_imm(w: u32) -> Option<(u32, bool)> {
    let imm12 = bits(w, 26, 26) << 11 | bits(w, 14, 12) << 8 | (w & 0xff);
    let imm8 = imm12 & 0xff;
    if imm12 >> 10 == 0 {
        let v = match imm12 >> 8 & 3 {
            0 => imm8,
            1 => imm8 << 16 | imm8,
            2 => imm8 << 24 | imm8 << 8,
            _ => imm8 * 0x0101_0101,
        };
        if imm12 >> 8 & 3 != 0 && imm8 == 0 {
            return None;
        }
        Some((v, false))
    } else {
        let unrotated = 0x80 | (imm12 & 0x7f);
        Some((unrotated.rotate_right(imm12 >> 7), true))
    }
}

/// Rd of the T32 data-processing forms (11:8).
fn t32_rd(w: u32) -> u32 {
    rs(w)
}

/// The T32 operation field (24:21) with the flag bit, Rd and Rn: the
/// operation, or the compare it encodes with Rd = PC and S set, or the
/// move with Rn = PC. Checks T32's register rules.
fn t32_op(w: u32, register_form: bool) -> Result<DpOp, Undef> {
    let (s, d, n) = (bit(w, 20), t32_rd(w), rn(w));
    let op = match bits(w, 24, 21) {
        0b0000 if d == 15 && s => DpOp::Tst,
        0b0000 => DpOp::And,
        0b0001 => DpOp::Bic,
        0b0010 if n == 15 => DpOp::Mov,
        0b0010 => DpOp::Orr,
        0b0011 if n == 15 => DpOp::Mvn,
        0b0011 => DpOp::Orn,
        0b0100 if d == 15 && s => DpOp::Teq,
        0b0100 => DpOp::Eor,
        0b1000 if d == 15 && s => DpOp::Cmn,
        0b1000 => DpOp::Add,
        0b1010 => DpOp::Adc,
        0b1011 => DpOp::Sbc,
        0b1101 if d == 15 && s => DpOp::Cmp,
        0b1101 => DpOp::Sub,
        0b1110 => DpOp::Rsb,
        _ => return Err(Undef),
    };
    let sp_arith = matches!(op, DpOp::Add | DpOp::Sub | DpOp::Cmp | DpOp::Cmn);
    if !matches!(op, DpOp::Mov | DpOp::Mvn) {
        check(n != 15 && (n != 13 || sp_arith))?;
    }
    if !is_compare(op) {
        check(d != 15)?;
        // SP as a destination: only SP plus or minus something, or a
        // plain register move.
        let mov_to_sp = op == DpOp::Mov && register_form && !s;
        check(d != 13 || (sp_arith && n == 13) || mov_to_sp)?;
    }
    Ok(op)
}

/// Data processing (modified immediate).
pub fn t32_dp_modimm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let op = t32_op(w, false)?;
    let (imm, rotated) = thumb_expand_imm(w).ok_or(Undef)?;
    data_processing(cx, op, bit(w, 20), t32_rd(w), rn(w), |cx, want| {
        immediate(cx, imm, rotated, want)
    });
    Ok(())
}

/// Data processing (shifted register), incl. the MOV/shift and MVN forms.
pub fn t32_dp_shifted(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let op = t32_op(w, true)?;
    let m = rm(w);
    let (d, s) = (t32_rd(w), bit(w, 20));
    // SP may be Rm only in a plain move not to SP.
    check(m != 15 && (m != 13 || (op == DpOp::Mov && !s && d != 13)))?;
    let (ty, imm) = (bits(w, 5, 4), bits(w, 14, 12) << 2 | bits(w, 7, 6));
    data_processing(cx, op, s, d, rn(w), |cx, want_carry| {
        let v = cx.reg(m);
        cx.shift_imm(v, ty, imm, want_carry)
    });
    Ok(())
}

/// LSL, LSR, ASR, ROR (register): a move of Rn shifted by Rm.
pub fn t32_shift_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (rs(w), rn(w), rm(w));
    multiply::t32_ok(&[d, n, m])?;
    data_processing(cx, DpOp::Mov, bit(w, 20), d, 0, |cx, want_carry| {
        let v = cx.reg(n);
        let amount = cx.reg(m);
        cx.shift_reg(v, bits(w, 22, 21), amount, want_carry)
    });
    Ok(())
}

/// The plain 12-bit immediate (i:imm3:imm8).
fn imm12(w: u32) -> u32 {
    bits(w, 26, 26) << 11 | bits(w, 14, 12) << 8 | (w & 0xff)
}

/// ADDW, SUBW, and ADR (Rn = PC: Align(PC, 4) plus or minus).
pub fn t32_addw_subw(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n) = (t32_rd(w), rn(w));
    let sub = bit(w, 23);
    check(d != 15 && (d != 13 || n == 13))?;
    let imm = imm12(w);
    if n == 15 {
        let base = cx.pc_aligned();
        let v = if sub {
            base.wrapping_sub(imm)
        } else {
            base.wrapping_add(imm)
        };
        movw_op(cx, d, v);
        return Ok(());
    }
    let op = if sub { DpOp::Sub } else { DpOp::Add };
    data_processing(cx, op, false, d, n, |cx, want| {
        immediate(cx, imm, false, want)
    });
    Ok(())
}

/// MOVW (T32).
pub fn t32_movw(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let d = rs(w);
    multiply::t32_ok(&[d])?;
    movw_op(cx, d, imm16(w, true));
    Ok(())
}

/// MOVT (T32).
pub fn t32_movt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let d = rs(w);
    multiply::t32_ok(&[d])?;
    movt_op(cx, d, imm16(w, true));
    Ok(())
}

/// CLZ (T32: Rm appears twice, in 19:16 and 3:0).
pub fn t32_clz(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, m) = (rs(w), rm(w));
    multiply::t32_ok(&[d, m])?;
    check(rn(w) == m)?;
    clz_op(cx, d, m);
    Ok(())
}

// ---------------------------------------------------------------------------
// 16-bit Thumb. Outside an IT block these set the flags (ADDS, MOVS...);
// inside one they do not.

/// Whether a 16-bit flag-setting form sets the flags here.
fn t16_s(cx: &Ctx) -> bool {
    cx.itstate == 0
}

fn lo3(w: u32, at: u32) -> u32 {
    bits(w, at + 2, at)
}

/// LSL, LSR, ASR (immediate); LSL #0 is MOVS Rd, Rm.
pub fn t16_shift_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, m) = (lo3(w, 0), lo3(w, 3));
    let (ty, imm) = (bits(w, 12, 11), bits(w, 10, 6));
    // MOVS Rd, Rm (LSL #0) is not allowed inside an IT block.
    check(!(ty == 0 && imm == 0 && cx.itstate != 0))?;
    let s = t16_s(cx);
    data_processing(cx, DpOp::Mov, s, d, 0, |cx, want_carry| {
        let v = cx.reg(m);
        cx.shift_imm(v, ty, imm, want_carry)
    });
    Ok(())
}

/// ADD, SUB (register), low registers.
pub fn t16_add_sub_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (lo3(w, 0), lo3(w, 3), lo3(w, 6));
    let op = if bit(w, 9) { DpOp::Sub } else { DpOp::Add };
    let s = t16_s(cx);
    data_processing(cx, op, s, d, n, |cx, _| (cx.reg(m), None));
    Ok(())
}

/// ADD, SUB with a 3-bit immediate.
pub fn t16_add_sub_imm3(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, imm) = (lo3(w, 0), lo3(w, 3), lo3(w, 6));
    let op = if bit(w, 9) { DpOp::Sub } else { DpOp::Add };
    let s = t16_s(cx);
    data_processing(cx, op, s, d, n, |cx, _| (cx.b.c32(imm), None));
    Ok(())
}

/// MOV, CMP, ADD, SUB with an 8-bit immediate (Rdn in 10:8).
pub fn t16_imm8(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (dn, imm) = (lo3(w, 8), w & 0xff);
    let op = [DpOp::Mov, DpOp::Cmp, DpOp::Add, DpOp::Sub][bits(w, 12, 11) as usize];
    let s = op == DpOp::Cmp || t16_s(cx);
    data_processing(cx, op, s, dn, dn, |cx, want| {
        immediate(cx, imm, false, want)
    });
    Ok(())
}

/// The 16 data-processing (register) operations on low registers.
pub fn t16_dp_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (dn, m) = (lo3(w, 0), lo3(w, 3));
    let s = t16_s(cx);
    let opc = bits(w, 9, 6);
    let shift = |ty: u32| {
        move |cx: &mut Ctx, want_carry: bool| {
            let v = cx.reg(dn);
            let amount = cx.reg(m);
            cx.shift_reg(v, ty, amount, want_carry)
        }
    };
    // No shift: the logical operations leave C as it is.
    let reg_m = |cx: &mut Ctx, _: bool| (cx.reg(m), None);
    let logical_m = reg_m;
    match opc {
        0b0000 => data_processing(cx, DpOp::And, s, dn, dn, logical_m),
        0b0001 => data_processing(cx, DpOp::Eor, s, dn, dn, logical_m),
        0b0010 => data_processing(cx, DpOp::Mov, s, dn, 0, shift(0)),
        0b0011 => data_processing(cx, DpOp::Mov, s, dn, 0, shift(1)),
        0b0100 => data_processing(cx, DpOp::Mov, s, dn, 0, shift(2)),
        0b0101 => data_processing(cx, DpOp::Adc, s, dn, dn, reg_m),
        0b0110 => data_processing(cx, DpOp::Sbc, s, dn, dn, reg_m),
        0b0111 => data_processing(cx, DpOp::Mov, s, dn, 0, shift(3)),
        0b1000 => data_processing(cx, DpOp::Tst, true, 0, dn, logical_m),
        // RSB Rd, Rn, #0 (NEG): Rd in 2:0, Rn in 5:3.
        0b1001 => data_processing(cx, DpOp::Rsb, s, dn, m, |cx, _| (cx.b.c32(0), None)),
        0b1010 => data_processing(cx, DpOp::Cmp, true, 0, dn, reg_m),
        0b1011 => data_processing(cx, DpOp::Cmn, true, 0, dn, reg_m),
        0b1100 => data_processing(cx, DpOp::Orr, s, dn, dn, logical_m),
        0b1101 => {
            // MULS Rdm, Rn, Rdm: N and Z only.
            let x = cx.reg(m);
            let y = cx.reg(dn);
            let p = cx.b.mul(x, y);
            if s {
                cx.set_nz(p);
            }
            cx.set_reg(dn, p);
        }
        0b1110 => data_processing(cx, DpOp::Bic, s, dn, dn, logical_m),
        _ => data_processing(cx, DpOp::Mvn, s, dn, 0, logical_m),
    }
    Ok(())
}

/// The high-register forms' Rdn: D (bit 7) and Rdn (2:0).
fn hi_dn(w: u32) -> u32 {
    bits(w, 7, 7) << 3 | lo3(w, 0)
}

/// ADD Rdn, Rm (any registers, no flags); to the PC: a branch.
pub fn t16_add_hi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (dn, m) = (hi_dn(w), bits(w, 6, 3));
    check(!(dn == 15 && m == 15))?;
    check(dn != 15 || last_in_it(cx))?;
    data_processing(cx, DpOp::Add, false, dn, dn, |cx, _| (cx.reg(m), None));
    Ok(())
}

/// CMP Rn, Rm with a high register.
pub fn t16_cmp_hi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, m) = (hi_dn(w), bits(w, 6, 3));
    check((n >= 8 || m >= 8) && n != 15 && m != 15)?;
    data_processing(cx, DpOp::Cmp, true, 0, n, |cx, _| (cx.reg(m), None));
    Ok(())
}

/// MOV Rd, Rm (any registers, no flags); to the PC: a branch.
pub fn t16_mov_hi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, m) = (hi_dn(w), bits(w, 6, 3));
    check(d != 15 || last_in_it(cx))?;
    data_processing(cx, DpOp::Mov, false, d, 0, |cx, _| (cx.reg(m), None));
    Ok(())
}

/// Outside an IT block, or its last instruction (where a branch may be).
pub(super) fn last_in_it(cx: &Ctx) -> bool {
    cx.itstate & 0x7 == 0
}

/// ADR: Rd = Align(PC, 4) + imm8 * 4.
pub fn t16_adr(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let v = cx.pc_aligned().wrapping_add((w & 0xff) << 2);
    movw_op(cx, lo3(w, 8), v);
    Ok(())
}

/// ADD Rd, SP, #imm8 * 4.
pub fn t16_add_sp_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let imm = (w & 0xff) << 2;
    data_processing(cx, DpOp::Add, false, lo3(w, 8), 13, |cx, _| {
        (cx.b.c32(imm), None)
    });
    Ok(())
}

/// ADD SP, SP, #imm7 * 4 and SUB SP, SP, #imm7 * 4.
pub fn t16_adjust_sp(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let imm = (w & 0x7f) << 2;
    let op = if bit(w, 7) { DpOp::Sub } else { DpOp::Add };
    data_processing(cx, op, false, 13, 13, |cx, _| (cx.b.c32(imm), None));
    Ok(())
}
