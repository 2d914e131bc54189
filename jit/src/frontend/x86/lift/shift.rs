//! Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD.
//!
//! The count is masked to 5 bits; a count of zero changes nothing, not
//! even the flags, so with a count in CL every flag update is a select
//! on the count. Flags the architecture leaves undefined are set as
//! QEMU sets them: AF = 0; OF from the last step's sign change for every
//! count; CF for a count beyond the width from the 32-bit shift.

use super::super::helpers;
use super::{Cx, LResult};
use crate::ir::{Cmp, Type, Value};
use iced_x86::OpKind;

/// The masked count (I32) and, when it is not a constant, a 0/1 value
/// saying it is non-zero.
fn count(cx: &mut Cx, n: u32) -> (Value, Option<Value>, Option<u32>) {
    let raw = match cx.insn.op_kind(n) {
        OpKind::Immediate8 => {
            let c = cx.insn.immediate(n) as u32 & 31;
            return (cx.b.c32(c), None, Some(c));
        }
        _ => {
            let v = cx.read(n);
            cx.b.zext(v, Type::I32)
        }
    };
    let m = cx.b.c32(31);
    let c = cx.b.and(raw, m);
    let z = cx.b.c32(0);
    let nz = cx.b.cmp(Cmp::Ne, c, z);
    (c, Some(nz), None)
}

/// Writes a flag slot with `new` when the count is non-zero (`nz`),
/// else keeps it.
fn set_flag_if(cx: &mut Cx, slot: crate::ir::Slot, bit: u32, new: Value, nz: Option<Value>) {
    if !cx.is_live(bit) {
        return;
    }
    let new = cx.b.zext(new, Type::I32);
    let v = match nz {
        Some(c) => {
            let old = cx.b.get(slot);
            cx.b.select(c, new, old)
        }
        None => new,
    };
    cx.b.set(slot, v);
}

/// Writes ZF, SF and PF from `res` unless the count is zero.
fn set_szp_if(cx: &mut Cx, res: Value, nz: Option<Value>) {
    use super::super::slots;
    use iced_x86::RflagsBits as R;
    let v = cx.b.sext(res, Type::I32);
    set_flag_if(cx, slots::ZRES, R::ZF, v, nz);
    set_flag_if(cx, slots::SRES, R::SF, v, nz);
    set_flag_if(cx, slots::PRES, R::PF, v, nz);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shl,
    Shr,
    Sar,
}

fn shift(cx: &mut Cx, kind: Kind) -> LResult {
    use super::super::slots;
    use iced_x86::RflagsBits as R;
    let ty = cx.op_ty(0);
    let bits = ty.bits();
    let (c, nz, imm) = count(cx, 1);
    if imm == Some(0) {
        // Reads its operand (it may fault) but changes nothing.
        let _ = cx.read(0);
        return Ok(());
    }
    let a = cx.read(0);
    // Work at 32 bits: a narrow operand may be shifted by up to 31.
    let wide = match kind {
        Kind::Sar => cx.b.sext(a, Type::I32),
        _ => cx.b.zext(a, Type::I32),
    };
    let one = cx.b.c32(1);
    let cm1 = cx.b.sub(c, one);
    let (r32, before) = match kind {
        Kind::Shl => (cx.b.shl(wide, c), cx.b.shl(wide, cm1)),
        Kind::Shr => (cx.b.lshr(wide, c), cx.b.lshr(wide, cm1)),
        Kind::Sar => (cx.b.ashr(wide, c), cx.b.ashr(wide, cm1)),
    };
    let r = cx.b.zext(r32, ty);
    cx.write(0, r);
    // CF: the last bit shifted out.
    let cf = match kind {
        Kind::Shl => {
            let s = cx.b.c32(bits - 1);
            let v = cx.b.lshr(before, s);
            cx.b.and(v, one)
        }
        _ => cx.b.and(before, one),
    };
    set_flag_if(cx, slots::CF, R::CF, cf, nz);
    // OF: the sign change of the last step.
    if cx.is_live(R::OF) {
        let x = cx.b.xor(before, r32);
        let s = cx.b.c32(bits - 1);
        let v = cx.b.lshr(x, s);
        let of = cx.b.and(v, one);
        set_flag_if(cx, slots::OF, R::OF, of, nz);
    }
    let zero = cx.b.c32(0);
    set_flag_if(cx, slots::AUX, R::AF, zero, nz);
    set_szp_if(cx, r, nz);
    Ok(())
}

/// SHL/SAL r/m, 1/CL/imm8.
pub fn shl(cx: &mut Cx) -> LResult {
    shift(cx, Kind::Shl)
}

/// SHR r/m, 1/CL/imm8.
pub fn shr(cx: &mut Cx) -> LResult {
    shift(cx, Kind::Shr)
}

/// SAR r/m, 1/CL/imm8.
pub fn sar(cx: &mut Cx) -> LResult {
    shift(cx, Kind::Sar)
}

fn rotate(cx: &mut Cx, left: bool) -> LResult {
    use super::super::slots;
    use iced_x86::RflagsBits as R;
    let ty = cx.op_ty(0);
    let bits = ty.bits();
    let (c, nz, imm) = count(cx, 1);
    if imm == Some(0) {
        let _ = cx.read(0);
        return Ok(());
    }
    let a = cx.read(0);
    // The rotation proper is modulo the width (the IR's rotates are).
    let cn = cx.b.zext(c, ty);
    let r = if left {
        cx.b.rotl(a, cn)
    } else {
        cx.b.rotr(a, cn)
    };
    cx.write(0, r);
    let r32 = cx.b.zext(r, Type::I32);
    let one = cx.b.c32(1);
    let top_s = cx.b.c32(bits - 1);
    let top = cx.b.lshr(r32, top_s);
    let top = cx.b.and(top, one);
    let (cf, of) = if left {
        let cf = cx.b.and(r32, one);
        let of = cx.b.xor(top, cf);
        (cf, of)
    } else {
        let s = cx.b.c32(bits - 2);
        let next = cx.b.lshr(r32, s);
        let next = cx.b.and(next, one);
        let of = cx.b.xor(top, next);
        (top, of)
    };
    set_flag_if(cx, slots::CF, R::CF, cf, nz);
    set_flag_if(cx, slots::OF, R::OF, of, nz);
    Ok(())
}

/// ROL r/m, 1/CL/imm8.
pub fn rol(cx: &mut Cx) -> LResult {
    rotate(cx, true)
}

/// ROR r/m, 1/CL/imm8.
pub fn ror(cx: &mut Cx) -> LResult {
    rotate(cx, false)
}

/// RCL and RCR: a helper rotates through the carry (`bits` wide plus CF)
/// and returns the result with the new CF in bit 32 and OF in bit 33.
fn rotate_carry(cx: &mut Cx, left: bool) -> LResult {
    use super::super::slots;
    use iced_x86::RflagsBits as R;
    let ty = cx.op_ty(0);
    let (c, _, imm) = count(cx, 1);
    // The rotation is modulo width + 1: a count that is a multiple of it
    // changes nothing, flags included (as QEMU; OF is undefined then).
    let w = ty.bits() + 1;
    if imm.is_some_and(|n| n % w == 0) {
        let _ = cx.read(0);
        return Ok(());
    }
    let nz = if imm.is_some() {
        None
    } else {
        let wv = cx.b.c32(w);
        let q = cx.b.udiv(c, wv);
        let m = cx.b.mul(q, wv);
        let r = cx.b.sub(c, m);
        let z = cx.b.c32(0);
        Some(cx.b.cmp(crate::ir::Cmp::Ne, r, z))
    };
    let a = cx.read(0);
    let a64 = cx.b.zext(a, Type::I64);
    let c64 = cx.b.zext(c, Type::I64);
    let cf = cx.b.get(slots::CF);
    let cf64 = cx.b.zext(cf, Type::I64);
    let spec =
        cx.b.iconst(Type::I64, u64::from(ty.bits()) | u64::from(left) << 8);
    let out = cx.b.call(helpers::RCX, &[a64, c64, cf64, spec]);
    let r = cx.b.zext(out, ty);
    cx.write(0, r);
    let s32 = cx.b.iconst(Type::I64, 32);
    let fl = cx.b.lshr(out, s32);
    let fl = cx.b.zext(fl, Type::I32);
    let one = cx.b.c32(1);
    let new_cf = cx.b.and(fl, one);
    let new_of = cx.b.lshr(fl, one);
    let new_of = cx.b.and(new_of, one);
    set_flag_if(cx, slots::CF, R::CF, new_cf, nz);
    set_flag_if(cx, slots::OF, R::OF, new_of, nz);
    Ok(())
}

/// RCL r/m, 1/CL/imm8.
pub fn rcl(cx: &mut Cx) -> LResult {
    rotate_carry(cx, true)
}

/// RCR r/m, 1/CL/imm8.
pub fn rcr(cx: &mut Cx) -> LResult {
    rotate_carry(cx, false)
}

/// SHLD/SHRD r/m, r, CL/imm8: the destination shifted with bits from
/// the source coming in. Worked on the 64-bit concatenation.
fn double_shift(cx: &mut Cx, left: bool) -> LResult {
    use super::super::slots;
    use iced_x86::RflagsBits as R;
    let ty = cx.op_ty(0);
    let bits = ty.bits();
    let (c, nz, imm) = count(cx, 2);
    if imm == Some(0) {
        let _ = cx.read(0);
        return Ok(());
    }
    let a = cx.read(0);
    let src = cx.read(1);
    let a64 = cx.b.zext(a, Type::I64);
    let s64 = cx.b.zext(src, Type::I64);
    let c64 = cx.b.zext(c, Type::I64);
    let one64 = cx.b.iconst(Type::I64, 1);
    let cm1 = cx.b.sub(c64, one64);
    let w = cx.b.iconst(Type::I64, u64::from(bits));
    let (r64, before) = if left {
        // dest:src << count, the result in the high half.
        let hi = cx.b.shl(a64, w);
        let cat = cx.b.or(hi, s64);
        let sh = cx.b.shl(cat, c64);
        let r = cx.b.lshr(sh, w);
        let b = cx.b.shl(cat, cm1);
        let b = cx.b.lshr(b, w);
        (r, b)
    } else {
        // src:dest >> count, the result in the low half.
        let hi = cx.b.shl(s64, w);
        let cat = cx.b.or(hi, a64);
        let r = cx.b.lshr(cat, c64);
        let b = cx.b.lshr(cat, cm1);
        (r, b)
    };
    let r = cx.b.zext(r64, ty);
    cx.write(0, r);
    let r32 = cx.b.zext(r64, Type::I32);
    let b32 = cx.b.zext(before, Type::I32);
    let one = cx.b.c32(1);
    let cf = if left {
        let s = cx.b.c32(bits - 1);
        let v = cx.b.lshr(b32, s);
        cx.b.and(v, one)
    } else {
        cx.b.and(b32, one)
    };
    set_flag_if(cx, slots::CF, R::CF, cf, nz);
    if cx.is_live(R::OF) {
        let x = cx.b.xor(b32, r32);
        let s = cx.b.c32(bits - 1);
        let v = cx.b.lshr(x, s);
        let of = cx.b.and(v, one);
        set_flag_if(cx, slots::OF, R::OF, of, nz);
    }
    let zero = cx.b.c32(0);
    set_flag_if(cx, slots::AUX, R::AF, zero, nz);
    set_szp_if(cx, r, nz);
    Ok(())
}

/// SHLD r/m, r, CL/imm8.
pub fn shld(cx: &mut Cx) -> LResult {
    double_shift(cx, true)
}

/// SHRD r/m, r, CL/imm8.
pub fn shrd(cx: &mut Cx) -> LResult {
    double_shift(cx, false)
}
