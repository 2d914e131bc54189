//! Multiply and divide: MUL, IMUL (one, two and three operands), DIV,
//! IDIV.
//!
//! After a multiply CF = OF = the product does not fit the destination;
//! SF, ZF and PF (undefined) follow the low half and AF is 0, as on
//! QEMU. A divide leaves the flags as they were (they are undefined) and
//! raises #DE through a helper for a zero divisor or a quotient that does
//! not fit.

use super::super::helpers;
use super::{Cx, LResult};
use crate::ir::{Cmp, Type, Value};
use iced_x86::Register;

/// The accumulator and its high-half partner at `ty`: (AL, AH), (AX,
/// DX), (EAX, EDX).
fn acc_regs(ty: Type) -> (Register, Register) {
    match ty {
        Type::I8 => (Register::AL, Register::AH),
        Type::I16 => (Register::AX, Register::DX),
        _ => (Register::EAX, Register::EDX),
    }
}

/// The flags after a multiply whose `low` half went to the destination
/// and which overflowed when `overflow` (I8) is set.
fn mul_flags(cx: &mut Cx, low: Value, overflow: Value) {
    cx.set_cf(overflow);
    cx.set_of(overflow);
    if cx.is_live(iced_x86::RflagsBits::AF) {
        let z = cx.b.c32(0);
        cx.set_af(z);
    }
    cx.set_szp(low);
}

fn widening(cx: &mut Cx, signed: bool) -> LResult {
    let ty = cx.op_ty(0);
    let src = cx.read(0);
    let (lo_reg, hi_reg) = acc_regs(ty);
    let acc = cx.get_reg(lo_reg);
    let wide = if ty == Type::I32 {
        Type::I64
    } else {
        Type::I32
    };
    let (a, b) = if signed {
        (cx.b.sext(acc, wide), cx.b.sext(src, wide))
    } else {
        (cx.b.zext(acc, wide), cx.b.zext(src, wide))
    };
    let p = cx.b.mul(a, b);
    let low = cx.b.zext(p, ty);
    let sh = cx.b.iconst(wide, u64::from(ty.bits()));
    let high = cx.b.lshr(p, sh);
    let high = cx.b.zext(high, ty);
    let overflow = if signed {
        let back = cx.b.sext(low, wide);
        cx.b.cmp(Cmp::Ne, back, p)
    } else {
        let z = cx.b.iconst(ty, 0);
        cx.b.cmp(Cmp::Ne, high, z)
    };
    if ty == Type::I8 {
        // AX = the whole product.
        let ax = cx.b.zext(p, Type::I16);
        cx.set_reg(Register::AX, ax);
    } else {
        cx.set_reg(lo_reg, low);
        cx.set_reg(hi_reg, high);
    }
    mul_flags(cx, low, overflow);
    Ok(())
}

/// MUL r/m: the accumulator times the operand, unsigned, into the
/// accumulator pair.
pub fn mul(cx: &mut Cx) -> LResult {
    widening(cx, false)
}

/// IMUL r/m; IMUL r, r/m; IMUL r, r/m, imm.
pub fn imul(cx: &mut Cx) -> LResult {
    if cx.insn.op_count() == 1 {
        return widening(cx, true);
    }
    let ty = cx.op_ty(0);
    let (a, b) = if cx.insn.op_count() == 3 {
        (cx.read_as(1, ty), cx.read_as(2, ty))
    } else {
        (cx.read_as(0, ty), cx.read_as(1, ty))
    };
    let wide = if ty == Type::I32 {
        Type::I64
    } else {
        Type::I32
    };
    let a = cx.b.sext(a, wide);
    let b = cx.b.sext(b, wide);
    let p = cx.b.mul(a, b);
    let low = cx.b.zext(p, ty);
    let back = cx.b.sext(low, wide);
    let overflow = cx.b.cmp(Cmp::Ne, back, p);
    cx.write(0, low);
    mul_flags(cx, low, overflow);
    Ok(())
}

fn divide(cx: &mut Cx, signed: bool) -> LResult {
    let ty = cx.op_ty(0);
    let divisor = cx.read(0);
    let (lo_reg, hi_reg) = acc_regs(ty);
    // The dividend: AX, DX:AX or EDX:EAX, as 64 bits.
    let dividend = if ty == Type::I8 {
        let ax = cx.get_reg(Register::AX);
        cx.b.zext(ax, Type::I64)
    } else {
        let lo = cx.get_reg(lo_reg);
        let hi = cx.get_reg(hi_reg);
        let lo = cx.b.zext(lo, Type::I64);
        let hi = cx.b.zext(hi, Type::I64);
        let s = cx.b.iconst(Type::I64, u64::from(ty.bits()));
        let hi = cx.b.shl(hi, s);
        cx.b.or(hi, lo)
    };
    let d = cx.b.zext(divisor, Type::I64);
    let spec =
        cx.b.iconst(Type::I64, u64::from(ty.bits()) | u64::from(signed) << 8);
    let zero = cx.b.iconst(Type::I64, 0);
    let out = cx.b.call(helpers::DIV, &[dividend, d, spec, zero]);
    // Quotient in the low 32 bits, remainder in the high.
    let q = cx.b.zext(out, ty);
    let s32 = cx.b.iconst(Type::I64, 32);
    let r = cx.b.lshr(out, s32);
    let r = cx.b.zext(r, ty);
    if ty == Type::I8 {
        cx.set_reg(Register::AL, q);
        cx.set_reg(Register::AH, r);
    } else {
        cx.set_reg(lo_reg, q);
        cx.set_reg(hi_reg, r);
    }
    Ok(())
}

/// DIV r/m.
pub fn div(cx: &mut Cx) -> LResult {
    divide(cx, false)
}

/// IDIV r/m.
pub fn idiv(cx: &mut Cx) -> LResult {
    divide(cx, true)
}
