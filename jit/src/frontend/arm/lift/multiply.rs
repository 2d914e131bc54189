//! Multiplies and divides: MUL/MLA/MLS, the long multiplies, the
//! halfword and dual multiplies, SMMLA family, SDIV/UDIV, USAD8.

use super::*;

/// MUL.
pub fn mul(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    mul_acc(cx, w, false)
}

/// MLA.
pub fn mla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    mul_acc(cx, w, true)
}

fn mul_acc(cx: &mut Ctx, w: u32, acc: bool) -> Result<(), Undef> {
    let (d, a, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(d != 15 && m != 15 && n != 15 && (!acc || a != 15))?;
    let x = cx.reg(n);
    let y = cx.reg(m);
    let mut p = cx.b.mul(x, y);
    if acc {
        let r = cx.reg(a);
        p = cx.b.add(p, r);
    }
    if bit(w, 20) {
        cx.set_nz(p);
    }
    cx.set_reg(d, p);
    Ok(())
}

/// MLS: multiply and subtract.
pub fn mls(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, a, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(d != 15 && m != 15 && n != 15 && a != 15)?;
    let x = cx.reg(n);
    let y = cx.reg(m);
    let r = cx.reg(a);
    let p = cx.b.mul(x, y);
    let v = cx.b.sub(r, p);
    cx.set_reg(d, v);
    Ok(())
}

fn long_regs_ok(lo: u32, hi: u32, m: u32, n: u32) -> bool {
    lo != 15 && hi != 15 && m != 15 && n != 15 && lo != hi
}

/// UMULL, UMLAL, SMULL, SMLAL.
pub fn mull(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(long_regs_ok(lo, hi, m, n))?;
    let signed = bit(w, 22);
    let x = cx.reg(n);
    let y = cx.reg(m);
    let (x, y) = if signed {
        (cx.b.sext(x, Type::I64), cx.b.sext(y, Type::I64))
    } else {
        (cx.b.zext(x, Type::I64), cx.b.zext(y, Type::I64))
    };
    let mut p = cx.b.mul(x, y);
    if bit(w, 21) {
        let acc = join64(cx, lo, hi);
        p = cx.b.add(p, acc);
    }
    if bit(w, 20) {
        cx.set_nz64(p);
    }
    split64(cx, p, lo, hi);
    Ok(())
}

/// UMAAL: unsigned multiply, accumulate twice.
pub fn umaal(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(long_regs_ok(lo, hi, m, n))?;
    let x = cx.reg(n);
    let y = cx.reg(m);
    let l = cx.reg(lo);
    let h = cx.reg(hi);
    let b = &mut *cx.b;
    let (x, y, l, h) = (
        b.zext(x, Type::I64),
        b.zext(y, Type::I64),
        b.zext(l, Type::I64),
        b.zext(h, Type::I64),
    );
    let p = b.mul(x, y);
    let p = b.add(p, l);
    let p = b.add(p, h);
    split64(cx, p, lo, hi);
    Ok(())
}

/// The signed halfword of `v` selected by `top`, as an I32.
fn half(cx: &mut Ctx, v: Value, top: bool) -> Value {
    let b = &mut *cx.b;
    let v = if top {
        let s = b.c32(16);
        b.lshr(v, s)
    } else {
        v
    };
    let h = b.zext(v, Type::I16);
    b.sext(h, Type::I32)
}

/// SMLA<x><y>: signed halfword multiply-accumulate (Q on overflow).
pub fn smla_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, a, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(d != 15 && a != 15 && m != 15 && n != 15)?;
    let x = cx.reg(n);
    let x = half(cx, x, bit(w, 5));
    let y = cx.reg(m);
    let y = half(cx, y, bit(w, 6));
    let p = cx.b.mul(x, y);
    let r = cx.reg(a);
    let zero = cx.b.iconst(Type::I8, 0);
    let ov = cx.b.add_overflow(p, r, zero);
    cx.or_q(ov);
    let v = cx.b.add(p, r);
    cx.set_reg(d, v);
    Ok(())
}

/// SMUL<x><y>: signed halfword multiply.
pub fn smul_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, m, n) = (rn(w), rs(w), rm(w));
    check(d != 15 && m != 15 && n != 15)?;
    let x = cx.reg(n);
    let x = half(cx, x, bit(w, 5));
    let y = cx.reg(m);
    let y = half(cx, y, bit(w, 6));
    let p = cx.b.mul(x, y);
    cx.set_reg(d, p);
    Ok(())
}

/// Bits 47:16 of the 48-bit product of Rn and a halfword of Rm.
fn word_by_half(cx: &mut Ctx, w: u32) -> Value {
    let x = cx.reg(rm(w));
    let x = cx.b.sext(x, Type::I64);
    let y = cx.reg(rs(w));
    let y = half(cx, y, bit(w, 6));
    let y = cx.b.sext(y, Type::I64);
    let p = cx.b.mul(x, y);
    let s = cx.b.iconst(Type::I64, 16);
    let p = cx.b.ashr(p, s);
    cx.b.zext(p, Type::I32)
}

/// SMLAW<y>.
pub fn smlaw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rn(w) != 15 && rd(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let p = word_by_half(cx, w);
    let r = cx.reg(rd(w));
    let zero = cx.b.iconst(Type::I8, 0);
    let ov = cx.b.add_overflow(p, r, zero);
    cx.or_q(ov);
    let v = cx.b.add(p, r);
    cx.set_reg(rn(w), v);
    Ok(())
}

/// SMULW<y>.
pub fn smulw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rn(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let p = word_by_half(cx, w);
    cx.set_reg(rn(w), p);
    Ok(())
}

/// SMLAL<x><y>: 64-bit accumulate of a halfword product.
pub fn smlal_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(long_regs_ok(lo, hi, m, n))?;
    let x = cx.reg(n);
    let x = half(cx, x, bit(w, 5));
    let y = cx.reg(m);
    let y = half(cx, y, bit(w, 6));
    let p = cx.b.mul(x, y);
    let p = cx.b.sext(p, Type::I64);
    let acc = join64(cx, lo, hi);
    let v = cx.b.add(p, acc);
    split64(cx, v, lo, hi);
    Ok(())
}

/// The two halfword products of SMLAD/SMLSD/SMLALD/SMLSLD (Rm swapped
/// when bit 5 is set), as I32 values.
fn dual_products(cx: &mut Ctx, w: u32) -> (Value, Value) {
    let x = cx.reg(rm(w));
    let mut y = cx.reg(rs(w));
    if bit(w, 5) {
        let s = cx.b.c32(16);
        y = cx.b.rotr(y, s);
    }
    let xl = half(cx, x, false);
    let xh = half(cx, x, true);
    let yl = half(cx, y, false);
    let yh = half(cx, y, true);
    let p1 = cx.b.mul(xl, yl);
    let p2 = cx.b.mul(xh, yh);
    (p1, p2)
}

/// SMLAD, SMLSD, SMUAD, SMUSD (Q on overflow of the sums).
pub fn smlad(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, a) = (rn(w), rd(w));
    check(d != 15 && rs(w) != 15 && rm(w) != 15)?;
    let (p1, p2) = dual_products(cx, w);
    let zero = cx.b.iconst(Type::I8, 0);
    let sum = if bit(w, 6) {
        cx.b.sub(p1, p2)
    } else {
        let ov = cx.b.add_overflow(p1, p2, zero);
        cx.or_q(ov);
        cx.b.add(p1, p2)
    };
    let v = if a == 15 {
        sum
    } else {
        let r = cx.reg(a);
        let ov = cx.b.add_overflow(sum, r, zero);
        cx.or_q(ov);
        cx.b.add(sum, r)
    };
    cx.set_reg(d, v);
    Ok(())
}

/// SMLALD, SMLSLD.
pub fn smlald(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo) = (rn(w), rd(w));
    check(long_regs_ok(lo, hi, rs(w), rm(w)))?;
    let (p1, p2) = dual_products(cx, w);
    let p1 = cx.b.sext(p1, Type::I64);
    let p2 = cx.b.sext(p2, Type::I64);
    let sum = if bit(w, 6) {
        cx.b.sub(p1, p2)
    } else {
        cx.b.add(p1, p2)
    };
    let acc = join64(cx, lo, hi);
    let v = cx.b.add(sum, acc);
    split64(cx, v, lo, hi);
    Ok(())
}

/// The 64-bit signed product of Rn and Rm, plus the rounding constant
/// when bit 5 (R) is set, plus `acc << 32` (or minus the product).
fn most_significant(cx: &mut Ctx, w: u32, subtract: bool) -> Result<(), Undef> {
    let (d, a) = (rn(w), rd(w));
    check(d != 15 && rs(w) != 15 && rm(w) != 15 && (!subtract || a != 15))?;
    let x = cx.reg(rm(w));
    let y = cx.reg(rs(w));
    let b = &mut *cx.b;
    let x = b.sext(x, Type::I64);
    let y = b.sext(y, Type::I64);
    let mut p = b.mul(x, y);
    let c32 = b.iconst(Type::I64, 32);
    if a != 15 {
        let r = cx.reg(a);
        let r = cx.b.zext(r, Type::I64);
        let r = cx.b.shl(r, c32);
        p = if subtract {
            cx.b.sub(r, p)
        } else {
            cx.b.add(r, p)
        };
    }
    if bit(w, 5) {
        let round = cx.b.iconst(Type::I64, 0x8000_0000);
        p = cx.b.add(p, round);
    }
    let h = cx.b.lshr(p, c32);
    let h = cx.b.zext(h, Type::I32);
    cx.set_reg(d, h);
    Ok(())
}

/// SMMLA, SMMUL.
pub fn smmla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    most_significant(cx, w, false)
}

/// SMMLS.
pub fn smmls(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    most_significant(cx, w, true)
}

/// SDIV (division by zero gives 0).
pub fn sdiv(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    divide(cx, w, true)
}

/// UDIV (division by zero gives 0).
pub fn udiv(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    divide(cx, w, false)
}

fn divide(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    check(rn(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let m = cx.reg(rs(w));
    let q = if signed {
        cx.b.sdiv(n, m)
    } else {
        cx.b.udiv(n, m)
    };
    cx.set_reg(rn(w), q);
    Ok(())
}

/// USAD8, USADA8.
pub fn usada8(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rn(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let m = cx.reg(rs(w));
    let mut v = cx.call(helpers::USAD8, &[n, m]);
    if rd(w) != 15 {
        let a = cx.reg(rd(w));
        v = cx.b.add(v, a);
    }
    cx.set_reg(rn(w), v);
    Ok(())
}
