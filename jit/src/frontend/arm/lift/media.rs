//! Saturation, SIMD within a register, packing, byte reversal,
//! extension and bit fields, for both instruction sets: each operation
//! once, over register numbers and decoded fields, with the A32, T32 and
//! 16-bit Thumb handlers decoding into it.

use super::multiply::t32_ok;
use super::*;

/// A32: none of `regs` is the PC.
fn a32_ok(regs: &[u32]) -> Result<(), Undef> {
    check(regs.iter().all(|&r| r != 15))
}

// ---------------------------------------------------------------------------
// The operations.

/// QADD, QSUB, QDADD, QDSUB (`op` as A32 encodes it in bits 22:21).
fn qaddsub_op(cx: &mut Ctx, d: u32, n: u32, m: u32, op: u32) {
    let m = cx.reg(m);
    let n = cx.reg(n);
    let op = cx.b.c32(op);
    let v = cx.call(helpers::QADDSUB, &[m, n, op]);
    cx.set_reg(d, v);
}

/// A parallel add/subtract: `kind` (A32 bits 22:20: S, Q, SH, U, UQ,
/// UH) and `op` (A32 bits 7:5: ADD16, ASX, SAX, SUB16, ADD8, SUB8).
fn parallel_op(cx: &mut Ctx, d: u32, n: u32, m: u32, kind: u32, op: u32) {
    let n = cx.reg(n);
    let m = cx.reg(m);
    let sel = cx.b.c32(kind << 3 | op);
    let v = cx.call(helpers::PARALLEL, &[n, m, sel]);
    cx.set_reg(d, v);
}

/// SEL: bytes of Rn where GE is set, of Rm elsewhere.
fn sel_op(cx: &mut Ctx, d: u32, n: u32, m: u32) {
    let n = cx.reg(n);
    let m = cx.reg(m);
    let ge = cx.b.get(slots::GE);
    // Expand GE[3:0] to a byte mask: each bit times 0xff at its byte.
    let b = &mut *cx.b;
    let mut mask = b.c32(0);
    for i in 0..4 {
        let s = b.c32(i);
        let g = b.lshr(ge, s);
        let one = b.c32(1);
        let g = b.and(g, one);
        let byte = b.c32(0xff << (8 * i));
        let zero = b.c32(0);
        let nz = b.cmp(Cmp::Ne, g, zero);
        let part = b.select(nz, byte, zero);
        mask = b.or(mask, part);
    }
    let a = b.and(n, mask);
    let nm = b.not(mask);
    let c = b.and(m, nm);
    let v = b.or(a, c);
    cx.set_reg(d, v);
}

/// PKHBT (Rm shifted left by `imm`), PKHTB (`tb`: shifted right
/// arithmetically; 0 means 32).
fn pkh_op(cx: &mut Ctx, d: u32, n: u32, m: u32, tb: bool, imm: u32) {
    let n = cx.reg(n);
    let m = cx.reg(m);
    let (shifted, _) = cx.shift_imm(m, if tb { 2 } else { 0 }, imm, false);
    let b = &mut *cx.b;
    let lo = b.c32(0xffff);
    let hi = b.c32(0xffff_0000);
    let v = if tb {
        let a = b.and(n, hi);
        let c = b.and(shifted, lo);
        b.or(a, c)
    } else {
        let a = b.and(n, lo);
        let c = b.and(shifted, hi);
        b.or(a, c)
    };
    cx.set_reg(d, v);
}

/// SSAT, USAT: Rn shifted (LSL, or ASR when `asr`, by `imm`), saturated
/// to `sat` bits (SSAT: `sat` is the encoded value + 1).
fn saturate_op(cx: &mut Ctx, d: u32, n: u32, asr: bool, imm: u32, sat: u32, signed: bool) {
    let v = cx.reg(n);
    let (shifted, _) = cx.shift_imm(v, if asr { 2 } else { 0 }, imm, false);
    let width = cx.b.c32(sat | u32::from(signed) << 8);
    let v = cx.call(helpers::SAT, &[shifted, width]);
    cx.set_reg(d, v);
}

/// SSAT16, USAT16: each halfword saturated to `sat` bits.
fn saturate16_op(cx: &mut Ctx, d: u32, n: u32, sat: u32, signed: bool) {
    let v = cx.reg(n);
    let width = cx.b.c32(sat | u32::from(signed) << 8);
    let v = cx.call(helpers::SAT16, &[v, width]);
    cx.set_reg(d, v);
}

/// The byte and bit reversals.
#[derive(Clone, Copy)]
enum Reverse {
    Rev,
    Rev16,
    Revsh,
    Rbit,
}

fn reverse_op(cx: &mut Ctx, d: u32, m: u32, kind: Reverse) {
    let m = cx.reg(m);
    let b = &mut *cx.b;
    let v = match kind {
        Reverse::Rev => b.bswap(m),
        Reverse::Rev16 => {
            let r = b.bswap(m);
            let s = b.c32(16);
            b.rotr(r, s)
        }
        Reverse::Revsh => {
            let h = b.zext(m, Type::I16);
            let h = b.bswap(h);
            b.sext(h, Type::I32)
        }
        Reverse::Rbit => b.bitrev(m),
    };
    cx.set_reg(d, v);
}

/// What an extension takes from the rotated Rm.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Extend {
    /// Bytes 0 and 2, each to a halfword.
    B16,
    Byte,
    Half,
}

/// {S,U}XT{A}{B16,B,H}: Rm rotated right by `rot` bytes, extended, plus
/// Rn unless `n` is 15.
fn extend_op(cx: &mut Ctx, d: u32, n: u32, m: u32, rot: u32, kind: Extend, unsigned: bool) {
    let m = cx.reg(m);
    let rot = cx.b.c32(8 * rot);
    let r = cx.b.rotr(m, rot);
    let acc = (n != 15).then(|| cx.reg(n));
    let b = &mut *cx.b;
    let v = if kind == Extend::B16 {
        let s16 = b.c32(16);
        let lo8 = b.zext(r, Type::I8);
        let hi = b.lshr(r, s16);
        let hi8 = b.zext(hi, Type::I8);
        let (lo16, hi16) = if unsigned {
            (b.zext(lo8, Type::I32), b.zext(hi8, Type::I32))
        } else {
            let l = b.sext(lo8, Type::I16);
            let h = b.sext(hi8, Type::I16);
            (b.zext(l, Type::I32), b.zext(h, Type::I32))
        };
        let (lo16, hi16) = match acc {
            None => (lo16, hi16),
            Some(a) => {
                let ah = b.lshr(a, s16);
                (b.add(lo16, a), b.add(hi16, ah))
            }
        };
        let mask = b.c32(0xffff);
        let lo16 = b.and(lo16, mask);
        let hi16 = b.shl(hi16, s16);
        b.or(hi16, lo16)
    } else {
        let ty = if kind == Extend::Byte {
            Type::I8
        } else {
            Type::I16
        };
        let small = b.zext(r, ty);
        let x = if unsigned {
            b.zext(small, Type::I32)
        } else {
            b.sext(small, Type::I32)
        };
        match acc {
            None => x,
            Some(a) => b.add(a, x),
        }
    };
    cx.set_reg(d, v);
}

/// SBFX, UBFX: `width` bits of Rn from `lsb`.
fn bitfield_extract_op(cx: &mut Ctx, d: u32, n: u32, lsb: u32, width: u32, signed: bool) {
    let n = cx.reg(n);
    let b = &mut *cx.b;
    let up = b.c32(32 - lsb - width);
    let x = b.shl(n, up);
    let down = b.c32(32 - width);
    let v = if signed {
        b.ashr(x, down)
    } else {
        b.lshr(x, down)
    };
    cx.set_reg(d, v);
}

/// BFI (Rn's low bits into Rd's bits msb:lsb), BFC (`n` = 15: zeros).
fn bfi_op(cx: &mut Ctx, d: u32, n: u32, lsb: u32, msb: u32) {
    let field = ((1u64 << (msb - lsb + 1)) - 1) as u32;
    let dv = cx.reg(d);
    let src = if n == 15 { cx.b.c32(0) } else { cx.reg(n) };
    let b = &mut *cx.b;
    let keep = b.c32(!(field << lsb));
    let kept = b.and(dv, keep);
    let fm = b.c32(field);
    let ins = b.and(src, fm);
    let s = b.c32(lsb);
    let ins = b.shl(ins, s);
    let v = b.or(kept, ins);
    cx.set_reg(d, v);
}

// ---------------------------------------------------------------------------
// A32.

/// QADD, QSUB, QDADD, QDSUB.
pub fn qaddsub(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_ok(&[rd(w), rn(w), rm(w)])?;
    qaddsub_op(cx, rd(w), rn(w), rm(w), bits(w, 22, 21));
    Ok(())
}

/// The 36 parallel add/subtract instructions.
pub fn parallel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let kind = bits(w, 22, 20);
    let op = bits(w, 7, 5);
    check(kind != 0 && kind != 4 && op != 5 && op != 6)?;
    a32_ok(&[rd(w), rn(w), rm(w)])?;
    parallel_op(cx, rd(w), rn(w), rm(w), kind, op);
    Ok(())
}

/// SEL: select bytes by the GE flags.
pub fn sel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_ok(&[rd(w), rn(w), rm(w)])?;
    sel_op(cx, rd(w), rn(w), rm(w));
    Ok(())
}

/// PKHBT, PKHTB.
pub fn pkh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_ok(&[rd(w), rn(w), rm(w)])?;
    pkh_op(cx, rd(w), rn(w), rm(w), bit(w, 6), bits(w, 11, 7));
    Ok(())
}

fn saturate(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    a32_ok(&[rd(w), rm(w)])?;
    let sat = bits(w, 20, 16) + u32::from(signed);
    saturate_op(cx, rd(w), rm(w), bit(w, 6), bits(w, 11, 7), sat, signed);
    Ok(())
}

/// SSAT.
pub fn ssat(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate(cx, w, true)
}

/// USAT.
pub fn usat(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate(cx, w, false)
}

fn saturate16(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    a32_ok(&[rd(w), rm(w)])?;
    let sat = bits(w, 19, 16) + u32::from(signed);
    saturate16_op(cx, rd(w), rm(w), sat, signed);
    Ok(())
}

/// SSAT16.
pub fn ssat16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate16(cx, w, true)
}

/// USAT16.
pub fn usat16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate16(cx, w, false)
}

fn a32_reverse(cx: &mut Ctx, w: u32, kind: Reverse) -> Result<(), Undef> {
    a32_ok(&[rd(w), rm(w)])?;
    reverse_op(cx, rd(w), rm(w), kind);
    Ok(())
}

/// REV: reverse the bytes of a word.
pub fn rev(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_reverse(cx, w, Reverse::Rev)
}

/// REV16: reverse the bytes of each halfword.
pub fn rev16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_reverse(cx, w, Reverse::Rev16)
}

/// REVSH: reverse the low halfword's bytes and sign-extend.
pub fn revsh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_reverse(cx, w, Reverse::Revsh)
}

/// RBIT: reverse the bits of a word.
pub fn rbit(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    a32_reverse(cx, w, Reverse::Rbit)
}

/// SXTAB16/SXTAB/SXTAH/UXTAB16/UXTAB/UXTAH and, with Rn = PC, the
/// SXTB16/SXTB/SXTH/UXTB16/UXTB/UXTH forms.
pub fn extend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let kind = match bits(w, 21, 20) {
        0 => Extend::B16,
        2 => Extend::Byte,
        3 => Extend::Half,
        _ => return Err(Undef),
    };
    a32_ok(&[rd(w), rm(w)])?;
    extend_op(cx, rd(w), rn(w), rm(w), bits(w, 11, 10), kind, bit(w, 22));
    Ok(())
}

/// SBFX: signed bit-field extract.
pub fn sbfx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    bitfield_extract(cx, w, true)
}

/// UBFX: unsigned bit-field extract.
pub fn ubfx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    bitfield_extract(cx, w, false)
}

fn bitfield_extract(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    let lsb = bits(w, 11, 7);
    let width = bits(w, 20, 16) + 1;
    a32_ok(&[rd(w), rm(w)])?;
    check(lsb + width <= 32)?;
    bitfield_extract_op(cx, rd(w), rm(w), lsb, width, signed);
    Ok(())
}

/// BFI: bit-field insert; BFC (Rn = PC): bit-field clear.
pub fn bfi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (lsb, msb) = (bits(w, 11, 7), bits(w, 20, 16));
    check(rd(w) != 15 && msb >= lsb)?;
    bfi_op(cx, rd(w), rm(w), lsb, msb);
    Ok(())
}

// ---------------------------------------------------------------------------
// T32: Rn in 19:16, Rd in 11:8, Rm in 3:0.

/// QADD, QDADD, QSUB, QDSUB (bits 5:4).
pub fn t32_qaddsub(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (rs(w), rn(w), rm(w));
    t32_ok(&[d, n, m])?;
    // T32 orders them QADD, QDADD, QSUB, QDSUB; A32 QADD, QSUB, QDADD,
    // QDSUB.
    let op = [0, 2, 1, 3][bits(w, 5, 4) as usize];
    qaddsub_op(cx, d, n, m, op);
    Ok(())
}

/// The parallel add/subtract family: the operation in 22:20, unsigned in
/// bit 6, the flavour (plain, saturating, halving) in 5:4.
pub fn t32_parallel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (rs(w), rn(w), rm(w));
    t32_ok(&[d, n, m])?;
    let op = match bits(w, 22, 20) {
        0b001 => 0,
        0b010 => 1,
        0b110 => 2,
        0b101 => 3,
        0b000 => 4,
        0b100 => 7,
        _ => return Err(Undef),
    };
    let flavour = bits(w, 5, 4);
    check(flavour != 3)?;
    let kind = if bit(w, 6) { 4 } else { 0 } | (flavour + 1);
    parallel_op(cx, d, n, m, kind, op);
    Ok(())
}

/// SEL (T32).
pub fn t32_sel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (rs(w), rn(w), rm(w));
    t32_ok(&[d, n, m])?;
    sel_op(cx, d, n, m);
    Ok(())
}

/// REV, REV16, RBIT, REVSH (T32: bits 5:4; Rm in both 19:16 and 3:0).
pub fn t32_reverse(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, m) = (rs(w), rm(w));
    t32_ok(&[d, m])?;
    check(rn(w) == m)?;
    let kind =
        [Reverse::Rev, Reverse::Rev16, Reverse::Rbit, Reverse::Revsh][bits(w, 5, 4) as usize];
    reverse_op(cx, d, m, kind);
    Ok(())
}

/// PKHBT, PKHTB (T32: tb in bit 5, imm3:imm2).
pub fn t32_pkh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (rs(w), rn(w), rm(w));
    t32_ok(&[d, n, m])?;
    pkh_op(cx, d, n, m, bit(w, 5), imm5(w));
    Ok(())
}

/// imm3:imm2 of the T32 shift and bit-field forms.
fn imm5(w: u32) -> u32 {
    bits(w, 14, 12) << 2 | bits(w, 7, 6)
}

/// SSAT, USAT, SSAT16, USAT16 (T32: unsigned in bit 23, ASR in bit 21;
/// ASR #0 is the 16-bit form).
pub fn t32_saturate(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n) = (rs(w), rn(w));
    t32_ok(&[d, n])?;
    let signed = !bit(w, 23);
    let (asr, imm) = (bit(w, 21), imm5(w));
    if asr && imm == 0 {
        check(bits(w, 5, 4) == 0)?;
        saturate16_op(cx, d, n, bits(w, 3, 0) + u32::from(signed), signed);
    } else {
        saturate_op(
            cx,
            d,
            n,
            asr,
            imm,
            bits(w, 4, 0) + u32::from(signed),
            signed,
        );
    }
    Ok(())
}

/// SBFX, UBFX (T32: unsigned in bit 23).
pub fn t32_bitfield_extract(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n) = (rs(w), rn(w));
    t32_ok(&[d, n])?;
    let (lsb, width) = (imm5(w), bits(w, 4, 0) + 1);
    check(lsb + width <= 32)?;
    bitfield_extract_op(cx, d, n, lsb, width, !bit(w, 23));
    Ok(())
}

/// BFI, BFC (Rn = PC).
pub fn t32_bfi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n) = (rs(w), rn(w));
    check(d != 13 && d != 15 && n != 13)?;
    let (lsb, msb) = (imm5(w), bits(w, 4, 0));
    check(msb >= lsb)?;
    bfi_op(cx, d, n, lsb, msb);
    Ok(())
}

/// {S,U}XTA{H,B16,B} and, with Rn = PC, {S,U}XT{H,B16,B} (T32: the kind
/// in 22:21, unsigned in bit 20, the rotation in 5:4).
pub fn t32_extend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, n, m) = (rs(w), rn(w), rm(w));
    t32_ok(&[d, m])?;
    check(n != 13)?;
    let kind = match bits(w, 22, 21) {
        0 => Extend::Half,
        1 => Extend::B16,
        2 => Extend::Byte,
        _ => return Err(Undef),
    };
    extend_op(cx, d, n, m, bits(w, 5, 4), kind, bit(w, 20));
    Ok(())
}

// ---------------------------------------------------------------------------
// 16-bit Thumb: Rd in 2:0, Rm in 5:3.

/// SXTH, SXTB, UXTH, UXTB (bits 7:6).
pub fn t16_extend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (kind, unsigned) = match bits(w, 7, 6) {
        0 => (Extend::Half, false),
        1 => (Extend::Byte, false),
        2 => (Extend::Half, true),
        _ => (Extend::Byte, true),
    };
    extend_op(cx, bits(w, 2, 0), 15, bits(w, 5, 3), 0, kind, unsigned);
    Ok(())
}

/// REV, REV16, REVSH (bits 7:6; 10 is HLT, decoded apart).
pub fn t16_reverse(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let kind = match bits(w, 7, 6) {
        0 => Reverse::Rev,
        1 => Reverse::Rev16,
        3 => Reverse::Revsh,
        _ => return Err(Undef),
    };
    reverse_op(cx, bits(w, 2, 0), bits(w, 5, 3), kind);
    Ok(())
}
