//! Multiplies and divides: MUL/MLA/MLS, the long multiplies, the
//! halfword and dual multiplies, the SMMLA family, SDIV/UDIV, USAD8.
//!
//! Each operation is written once over register numbers; the A32 and
//! T32 handlers below decode their fields into it. The two instruction
//! sets place the registers differently: A32 has Rd (RdHi) in 19:16, Ra
//! (RdLo) in 15:12, Rm in 11:8 and Rn in 3:0; T32 has Rn in 19:16, Ra
//! (RdLo) in 15:12, Rd (RdHi) in 11:8 and Rm in 3:0.

use super::*;

/// The registers of a multiply: destination, operands and accumulator
/// (15 for none). For the long forms `d` is RdHi and `a` RdLo.
#[derive(Clone, Copy, Debug)]
struct Regs {
    d: u32,
    n: u32,
    m: u32,
    a: u32,
}

/// The A32 register fields.
fn a32(w: u32) -> Regs {
    Regs {
        d: rn(w),
        a: rd(w),
        m: rs(w),
        n: rm(w),
    }
}

/// The T32 register fields.
fn t32(w: u32) -> Regs {
    Regs {
        n: rn(w),
        a: rd(w),
        d: rs(w),
        m: rm(w),
    }
}

/// A32: none of `regs` is the PC.
fn a32_ok(regs: &[u32]) -> Result<(), Undef> {
    check(regs.iter().all(|&r| r != 15))
}

/// T32: none of `regs` is SP or the PC.
pub(super) fn t32_ok(regs: &[u32]) -> Result<(), Undef> {
    check(regs.iter().all(|&r| r != 13 && r != 15))
}

// ---------------------------------------------------------------------------
// The operations.

/// MUL, MLA (`acc`), optionally setting N and Z.
fn mul_acc(cx: &mut Ctx, r: Regs, acc: bool, s: bool) {
    let x = cx.reg(r.n);
    let y = cx.reg(r.m);
    let mut p = cx.b.mul(x, y);
    if acc {
        let a = cx.reg(r.a);
        p = cx.b.add(p, a);
    }
    if s {
        cx.set_nz(p);
    }
    cx.set_reg(r.d, p);
}

/// MLS: Ra - Rn * Rm.
fn mls_op(cx: &mut Ctx, r: Regs) {
    let x = cx.reg(r.n);
    let y = cx.reg(r.m);
    let a = cx.reg(r.a);
    let p = cx.b.mul(x, y);
    let v = cx.b.sub(a, p);
    cx.set_reg(r.d, v);
}

/// UMULL, UMLAL, SMULL, SMLAL (RdHi in `d`, RdLo in `a`).
fn mull_op(cx: &mut Ctx, r: Regs, signed: bool, acc: bool, s: bool) {
    let x = cx.reg(r.n);
    let y = cx.reg(r.m);
    let (x, y) = if signed {
        (cx.b.sext(x, Type::I64), cx.b.sext(y, Type::I64))
    } else {
        (cx.b.zext(x, Type::I64), cx.b.zext(y, Type::I64))
    };
    let mut p = cx.b.mul(x, y);
    if acc {
        let old = join64(cx, r.a, r.d);
        p = cx.b.add(p, old);
    }
    if s {
        cx.set_nz64(p);
    }
    split64(cx, p, r.a, r.d);
}

/// UMAAL: Rn * Rm + RdLo + RdHi.
fn umaal_op(cx: &mut Ctx, r: Regs) {
    let x = cx.reg(r.n);
    let y = cx.reg(r.m);
    let l = cx.reg(r.a);
    let h = cx.reg(r.d);
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
    split64(cx, p, r.a, r.d);
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

/// Adds `a` to `p`, setting Q on signed overflow.
fn add_setting_q(cx: &mut Ctx, p: Value, a: Value) -> Value {
    let zero = cx.b.iconst(Type::I8, 0);
    let ov = cx.b.add_overflow(p, a, zero);
    cx.or_q(ov);
    cx.b.add(p, a)
}

/// SMLA<x><y> (`acc`, Q on overflow) and SMUL<x><y>.
fn smla_xy_op(cx: &mut Ctx, r: Regs, x_top: bool, y_top: bool, acc: bool) {
    let x = cx.reg(r.n);
    let x = half(cx, x, x_top);
    let y = cx.reg(r.m);
    let y = half(cx, y, y_top);
    let mut p = cx.b.mul(x, y);
    if acc {
        let a = cx.reg(r.a);
        p = add_setting_q(cx, p, a);
    }
    cx.set_reg(r.d, p);
}

/// SMLAW<y> (`acc`, Q on overflow) and SMULW<y>: bits 47:16 of the
/// product of Rn and a halfword of Rm.
fn smlaw_y_op(cx: &mut Ctx, r: Regs, y_top: bool, acc: bool) {
    let x = cx.reg(r.n);
    let x = cx.b.sext(x, Type::I64);
    let y = cx.reg(r.m);
    let y = half(cx, y, y_top);
    let y = cx.b.sext(y, Type::I64);
    let p = cx.b.mul(x, y);
    let s = cx.b.iconst(Type::I64, 16);
    let p = cx.b.ashr(p, s);
    let mut p = cx.b.zext(p, Type::I32);
    if acc {
        let a = cx.reg(r.a);
        p = add_setting_q(cx, p, a);
    }
    cx.set_reg(r.d, p);
}

/// SMLAL<x><y>: 64-bit accumulate of a halfword product.
fn smlal_xy_op(cx: &mut Ctx, r: Regs, x_top: bool, y_top: bool) {
    let x = cx.reg(r.n);
    let x = half(cx, x, x_top);
    let y = cx.reg(r.m);
    let y = half(cx, y, y_top);
    let p = cx.b.mul(x, y);
    let p = cx.b.sext(p, Type::I64);
    let acc = join64(cx, r.a, r.d);
    let v = cx.b.add(p, acc);
    split64(cx, v, r.a, r.d);
}

/// The two halfword products of the dual multiplies (Rm's halves swapped
/// when `swap`), as I32 values.
fn dual_products(cx: &mut Ctx, r: Regs, swap: bool) -> (Value, Value) {
    let x = cx.reg(r.n);
    let mut y = cx.reg(r.m);
    if swap {
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

/// SMLAD, SMLSD (`subtract`), SMUAD, SMUSD (no accumulator: `a` = 15);
/// Q on overflow of the sums.
fn smlad_op(cx: &mut Ctx, r: Regs, swap: bool, subtract: bool) {
    let (p1, p2) = dual_products(cx, r, swap);
    let sum = if subtract {
        cx.b.sub(p1, p2)
    } else {
        add_setting_q(cx, p1, p2)
    };
    let v = if r.a == 15 {
        sum
    } else {
        let a = cx.reg(r.a);
        add_setting_q(cx, sum, a)
    };
    cx.set_reg(r.d, v);
}

/// SMLALD, SMLSLD (`subtract`).
fn smlald_op(cx: &mut Ctx, r: Regs, swap: bool, subtract: bool) {
    let (p1, p2) = dual_products(cx, r, swap);
    let p1 = cx.b.sext(p1, Type::I64);
    let p2 = cx.b.sext(p2, Type::I64);
    let sum = if subtract {
        cx.b.sub(p1, p2)
    } else {
        cx.b.add(p1, p2)
    };
    let acc = join64(cx, r.a, r.d);
    let v = cx.b.add(sum, acc);
    split64(cx, v, r.a, r.d);
}

/// SMMLA, SMMUL (`a` = 15), SMMLS (`subtract`): the top word of the
/// 64-bit signed product plus or minus `Ra << 32`, rounded when `round`.
fn smmla_op(cx: &mut Ctx, r: Regs, round: bool, subtract: bool) {
    let x = cx.reg(r.n);
    let y = cx.reg(r.m);
    let b = &mut *cx.b;
    let x = b.sext(x, Type::I64);
    let y = b.sext(y, Type::I64);
    let mut p = b.mul(x, y);
    let c32 = b.iconst(Type::I64, 32);
    if r.a != 15 {
        let a = cx.reg(r.a);
        let a = cx.b.zext(a, Type::I64);
        let a = cx.b.shl(a, c32);
        p = if subtract {
            cx.b.sub(a, p)
        } else {
            cx.b.add(a, p)
        };
    }
    if round {
        let rc = cx.b.iconst(Type::I64, 0x8000_0000);
        p = cx.b.add(p, rc);
    }
    let h = cx.b.lshr(p, c32);
    let h = cx.b.zext(h, Type::I32);
    cx.set_reg(r.d, h);
}

/// SDIV, UDIV (division by zero gives 0).
fn divide_op(cx: &mut Ctx, r: Regs, signed: bool) {
    let n = cx.reg(r.n);
    let m = cx.reg(r.m);
    let q = if signed {
        cx.b.sdiv(n, m)
    } else {
        cx.b.udiv(n, m)
    };
    cx.set_reg(r.d, q);
}

/// USAD8, USADA8 (`a` not 15).
fn usada8_op(cx: &mut Ctx, r: Regs) {
    let n = cx.reg(r.n);
    let m = cx.reg(r.m);
    let mut v = cx.call(helpers::USAD8, &[n, m]);
    if r.a != 15 {
        let a = cx.reg(r.a);
        v = cx.b.add(v, a);
    }
    cx.set_reg(r.d, v);
}

// ---------------------------------------------------------------------------
// A32.

/// MUL.
pub fn mul(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.n, r.m])?;
    mul_acc(cx, r, false, bit(w, 20));
    Ok(())
}

/// MLA.
pub fn mla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.n, r.m, r.a])?;
    mul_acc(cx, r, true, bit(w, 20));
    Ok(())
}

/// MLS: multiply and subtract.
pub fn mls(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.n, r.m, r.a])?;
    mls_op(cx, r);
    Ok(())
}

/// The long forms' registers are all distinct from the PC, and RdLo is
/// not RdHi.
fn long_ok(r: Regs) -> Result<(), Undef> {
    a32_ok(&[r.a, r.d, r.m, r.n])?;
    check(r.a != r.d)
}

/// UMULL, UMLAL, SMULL, SMLAL.
pub fn mull(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    long_ok(r)?;
    mull_op(cx, r, bit(w, 22), bit(w, 21), bit(w, 20));
    Ok(())
}

/// UMAAL: unsigned multiply, accumulate twice.
pub fn umaal(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    long_ok(r)?;
    umaal_op(cx, r);
    Ok(())
}

/// SMLA<x><y>: signed halfword multiply-accumulate (Q on overflow).
pub fn smla_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.a, r.m, r.n])?;
    smla_xy_op(cx, r, bit(w, 5), bit(w, 6), true);
    Ok(())
}

/// SMUL<x><y>: signed halfword multiply.
pub fn smul_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    smla_xy_op(cx, r, bit(w, 5), bit(w, 6), false);
    Ok(())
}

/// SMLAW<y>.
pub fn smlaw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.a, r.m, r.n])?;
    smlaw_y_op(cx, r, bit(w, 6), true);
    Ok(())
}

/// SMULW<y>.
pub fn smulw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    smlaw_y_op(cx, r, bit(w, 6), false);
    Ok(())
}

/// SMLAL<x><y>: 64-bit accumulate of a halfword product.
pub fn smlal_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    long_ok(r)?;
    smlal_xy_op(cx, r, bit(w, 5), bit(w, 6));
    Ok(())
}

/// SMLAD, SMLSD, SMUAD, SMUSD (Q on overflow of the sums).
pub fn smlad(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    smlad_op(cx, r, bit(w, 5), bit(w, 6));
    Ok(())
}

/// SMLALD, SMLSLD.
pub fn smlald(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    long_ok(r)?;
    smlald_op(cx, r, bit(w, 5), bit(w, 6));
    Ok(())
}

/// SMMLA, SMMUL.
pub fn smmla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    smmla_op(cx, r, bit(w, 5), false);
    Ok(())
}

/// SMMLS.
pub fn smmls(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n, r.a])?;
    smmla_op(cx, r, bit(w, 5), true);
    Ok(())
}

/// SDIV (division by zero gives 0).
pub fn sdiv(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    divide_op(cx, r, true);
    Ok(())
}

/// UDIV (division by zero gives 0).
pub fn udiv(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    divide_op(cx, r, false);
    Ok(())
}

/// USAD8, USADA8.
pub fn usada8(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = a32(w);
    a32_ok(&[r.d, r.m, r.n])?;
    usada8_op(cx, r);
    Ok(())
}

// ---------------------------------------------------------------------------
// T32 (the 32-bit multiply, long multiply and divide spaces).

/// MUL, MLA (Ra = 1111: MUL), MLS.
pub fn t32_mla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    check(r.a != 13)?;
    if bit(w, 4) {
        check(r.a != 15)?;
        mls_op(cx, r);
    } else {
        mul_acc(cx, r, r.a != 15, false);
    }
    Ok(())
}

/// SMLA<x><y>, SMUL<x><y> (Ra = 1111).
pub fn t32_smla_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    check(r.a != 13)?;
    smla_xy_op(cx, r, bit(w, 5), bit(w, 4), r.a != 15);
    Ok(())
}

/// SMLAD{X}, SMUAD{X}, SMLSD{X}, SMUSD{X} (Ra = 1111: no accumulator).
pub fn t32_smlad(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    check(r.a != 13)?;
    smlad_op(cx, r, bit(w, 4), bit(w, 22));
    Ok(())
}

/// SMLAW<y>, SMULW<y> (Ra = 1111).
pub fn t32_smlaw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    check(r.a != 13)?;
    smlaw_y_op(cx, r, bit(w, 4), r.a != 15);
    Ok(())
}

/// SMMLA{R}, SMMUL{R} (Ra = 1111), SMMLS{R}.
pub fn t32_smmla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    check(r.a != 13)?;
    let subtract = bit(w, 21);
    check(!subtract || r.a != 15)?;
    smmla_op(cx, r, bit(w, 4), subtract);
    Ok(())
}

/// USAD8, USADA8.
pub fn t32_usada8(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    check(r.a != 13)?;
    usada8_op(cx, r);
    Ok(())
}

/// The long forms' registers (RdLo in 15:12, RdHi in 11:8).
fn t32_long(w: u32) -> Result<Regs, Undef> {
    let r = t32(w);
    t32_ok(&[r.a, r.d, r.n, r.m])?;
    check(r.a != r.d)?;
    Ok(r)
}

/// SMULL, UMULL, SMLAL, UMLAL (bit 22: unsigned, bit 21: accumulate).
pub fn t32_mull(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32_long(w)?;
    mull_op(cx, r, !bit(w, 21), bit(w, 22), false);
    Ok(())
}

/// UMAAL.
pub fn t32_umaal(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32_long(w)?;
    umaal_op(cx, r);
    Ok(())
}

/// SMLAL<x><y>.
pub fn t32_smlal_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32_long(w)?;
    smlal_xy_op(cx, r, bit(w, 5), bit(w, 4));
    Ok(())
}

/// SMLALD{X}, SMLSLD{X} (bit 20: subtract).
pub fn t32_smlald(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32_long(w)?;
    smlald_op(cx, r, bit(w, 4), bit(w, 20));
    Ok(())
}

/// SDIV, UDIV (bit 21: unsigned).
pub fn t32_divide(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let r = t32(w);
    t32_ok(&[r.d, r.n, r.m])?;
    divide_op(cx, r, !bit(w, 21));
    Ok(())
}
