//! Addition, subtraction, logic, compare and test, increment and
//! decrement, negation and complement: one semantics for every operand
//! form and width (r/m, r; r, r/m; r/m, imm; AL/AX/EAX, imm).

use super::{Cx, Fault, LResult};
use crate::ir::{Cmp, Type, Value};

/// `a + b + carry` (or `a - b - borrow` when `sub`) at their width, with
/// every arithmetic flag. Returns the result.
pub fn add_sub(cx: &mut Cx, a: Value, b: Value, carry: Option<Value>, sub: bool) -> Value {
    let ty = cx.b.ty(a);
    // a - b - borrow = a + !b + (1 - borrow).
    let (b2, cin) = if sub {
        let nb = cx.b.not(b);
        let cin = match carry {
            Some(c) => {
                let one = cx.b.iconst(ty, 1);
                cx.b.xor(c, one)
            }
            None => cx.b.iconst(ty, 1),
        };
        (nb, cin)
    } else {
        (b, carry.unwrap_or_else(|| cx.b.iconst(ty, 0)))
    };
    let s = cx.b.add(a, b2);
    let r = cx.b.add(s, cin);
    if cx.is_live(iced_x86::RflagsBits::CF) {
        let c = cx.b.add_carry(a, b2, cin);
        let c = if sub {
            let one = cx.b.iconst(Type::I8, 1);
            cx.b.xor(c, one)
        } else {
            c
        };
        cx.set_cf(c);
    }
    if cx.is_live(iced_x86::RflagsBits::OF) {
        let o = cx.b.add_overflow(a, b2, cin);
        cx.set_of(o);
    }
    if cx.is_live(iced_x86::RflagsBits::AF) {
        let x = cx.b.xor(a, b);
        let x = cx.b.xor(x, r);
        cx.set_af(x);
    }
    cx.set_szp(r);
    r
}

/// The carry flag at width `ty`, for ADC and SBB.
fn carry_in(cx: &mut Cx, ty: Type) -> Value {
    let c = cx.cf();
    cx.b.zext(c, ty)
}

/// Reads the two operands of a binary instruction at the destination's
/// width.
fn operands(cx: &mut Cx) -> (Value, Value) {
    let ty = cx.op_ty(0);
    let a = cx.read_as(0, ty);
    let b = cx.read_as(1, ty);
    (a, b)
}

/// ADD r/m, r/m/imm.
pub fn add(cx: &mut Cx) -> LResult {
    let (a, b) = operands(cx);
    let r = add_sub(cx, a, b, None, false);
    cx.write(0, r);
    Ok(())
}

/// ADC r/m, r/m/imm.
pub fn adc(cx: &mut Cx) -> LResult {
    let (a, b) = operands(cx);
    let c = carry_in(cx, cx.b.ty(a));
    let r = add_sub(cx, a, b, Some(c), false);
    cx.write(0, r);
    Ok(())
}

/// SUB r/m, r/m/imm.
pub fn sub(cx: &mut Cx) -> LResult {
    let (a, b) = operands(cx);
    let r = add_sub(cx, a, b, None, true);
    cx.write(0, r);
    Ok(())
}

/// SBB r/m, r/m/imm.
pub fn sbb(cx: &mut Cx) -> LResult {
    let (a, b) = operands(cx);
    let c = carry_in(cx, cx.b.ty(a));
    let r = add_sub(cx, a, b, Some(c), true);
    cx.write(0, r);
    Ok(())
}

/// CMP r/m, r/m/imm.
pub fn cmp(cx: &mut Cx) -> LResult {
    let (a, b) = operands(cx);
    add_sub(cx, a, b, None, true);
    Ok(())
}

/// Logic flags: CF = OF = AF = 0, SF/ZF/PF from the result (AF is
/// undefined; 0 as on QEMU).
pub fn logic_flags(cx: &mut Cx, r: Value) {
    cx.set_cf_of_af(0, 0, 0);
    cx.set_szp(r);
}

fn logic(
    cx: &mut Cx,
    op: fn(&mut crate::ir::Builder, Value, Value) -> Value,
    write: bool,
) -> LResult {
    let (a, b) = operands(cx);
    let r = op(cx.b, a, b);
    if write {
        cx.write(0, r);
    }
    logic_flags(cx, r);
    Ok(())
}

/// AND r/m, r/m/imm.
pub fn and(cx: &mut Cx) -> LResult {
    logic(cx, |b, x, y| b.and(x, y), true)
}

/// OR r/m, r/m/imm.
pub fn or(cx: &mut Cx) -> LResult {
    logic(cx, |b, x, y| b.or(x, y), true)
}

/// XOR r/m, r/m/imm.
pub fn xor(cx: &mut Cx) -> LResult {
    logic(cx, |b, x, y| b.xor(x, y), true)
}

/// TEST r/m, r/imm.
pub fn test(cx: &mut Cx) -> LResult {
    logic(cx, |b, x, y| b.and(x, y), false)
}

/// INC/DEC: as ADD/SUB 1, CF unchanged.
fn inc_dec(cx: &mut Cx, sub: bool) -> LResult {
    let a = cx.read(0);
    let ty = cx.b.ty(a);
    let one = cx.b.iconst(ty, 1);
    let live = cx.live;
    cx.live &= !iced_x86::RflagsBits::CF;
    let r = add_sub(cx, a, one, None, sub);
    cx.live = live;
    cx.write(0, r);
    Ok(())
}

/// INC r/m.
pub fn inc(cx: &mut Cx) -> LResult {
    inc_dec(cx, false)
}

/// DEC r/m.
pub fn dec(cx: &mut Cx) -> LResult {
    inc_dec(cx, true)
}

/// NEG r/m: 0 - x; CF = x != 0.
pub fn neg(cx: &mut Cx) -> LResult {
    let a = cx.read(0);
    let ty = cx.b.ty(a);
    let zero = cx.b.iconst(ty, 0);
    let r = add_sub(cx, zero, a, None, true);
    cx.write(0, r);
    Ok(())
}

/// NOT r/m (no flags).
pub fn not(cx: &mut Cx) -> LResult {
    let a = cx.read(0);
    let r = cx.b.not(a);
    cx.write(0, r);
    Ok(())
}

/// A LOCK prefix is allowed only on a read-modify-write of memory
/// (one guest thread: the access is atomic anyway).
pub fn check_lock(cx: &Cx) -> LResult {
    if cx.insn.has_lock_prefix() && !cx.is_mem(0) {
        return Err(Fault::Ud);
    }
    Ok(())
}

/// The flags of an ASCII/decimal adjust: AF and CF as given (I8 0/1),
/// SF, ZF and PF from AL; OF cleared (undefined; QEMU clears it).
fn adjust_flags(cx: &mut Cx, al: Value, af: Value, cf: Value, szp: bool) {
    cx.set_cf(cf);
    if cx.is_live(iced_x86::RflagsBits::AF) {
        let a = cx.b.zext(af, Type::I32);
        let s = cx.b.c32(4);
        let a = cx.b.shl(a, s);
        cx.set_af(a);
    }
    if szp {
        let z = cx.b.c32(0);
        cx.set_of(z);
        cx.set_szp(al);
    }
}

/// Whether AL's low nibble is above 9 or AF is set (I8 0/1).
fn low_nibble_adjust(cx: &mut Cx, al: Value) -> Value {
    let m = cx.b.iconst(Type::I8, 0xf);
    let low = cx.b.and(al, m);
    let nine = cx.b.iconst(Type::I8, 9);
    let big = cx.b.cmp(Cmp::Ugt, low, nine);
    let af = cx.af();
    cx.b.or(big, af)
}

/// DAA and DAS: decimal adjust AL after an addition or a subtraction.
fn decimal_adjust(cx: &mut Cx, sub: bool) -> LResult {
    use iced_x86::Register;
    let al = cx.get_reg(Register::AL);
    let old_cf = cx.cf();
    let adj = low_nibble_adjust(cx, al);
    let six = cx.b.iconst(Type::I8, 6);
    let zero = cx.b.iconst(Type::I8, 0);
    let d1 = cx.b.select(adj, six, zero);
    let al1 = if sub {
        cx.b.sub(al, d1)
    } else {
        cx.b.add(al, d1)
    };
    let x99 = cx.b.iconst(Type::I8, 0x99);
    let high = cx.b.cmp(Cmp::Ugt, al, x99);
    let hi_adj = cx.b.or(high, old_cf);
    let x60 = cx.b.iconst(Type::I8, 0x60);
    let d2 = cx.b.select(hi_adj, x60, zero);
    let al2 = if sub {
        cx.b.sub(al1, d2)
    } else {
        cx.b.add(al1, d2)
    };
    cx.set_reg(Register::AL, al2);
    // CF: DAA's comes from the high adjustment alone (the manual's
    // "else CF <- 0"); DAS's also keeps the low adjustment's borrow (its
    // pseudo-code has no else), as a real x86 shows.
    let cf = if sub {
        let six = cx.b.iconst(Type::I8, 6);
        let borrow = cx.b.cmp(Cmp::Ult, al, six);
        let low = cx.b.and(adj, borrow);
        cx.b.or(hi_adj, low)
    } else {
        hi_adj
    };
    adjust_flags(cx, al2, adj, cf, true);
    Ok(())
}

/// DAA.
pub fn daa(cx: &mut Cx) -> LResult {
    decimal_adjust(cx, false)
}

/// DAS.
pub fn das(cx: &mut Cx) -> LResult {
    decimal_adjust(cx, true)
}

/// AAA and AAS: ASCII adjust after an addition or a subtraction (AX ±
/// 0x106 when the low nibble needs it, then AL keeps its low nibble).
fn ascii_adjust(cx: &mut Cx, sub: bool) -> LResult {
    use iced_x86::Register;
    let ax = cx.get_reg(Register::AX);
    let al = cx.b.zext(ax, Type::I8);
    let adj = low_nibble_adjust(cx, al);
    let k = cx.b.iconst(Type::I16, 0x106);
    let z = cx.b.iconst(Type::I16, 0);
    let d = cx.b.select(adj, k, z);
    let r = if sub {
        cx.b.sub(ax, d)
    } else {
        cx.b.add(ax, d)
    };
    let m = cx.b.iconst(Type::I16, 0xff0f);
    let r = cx.b.and(r, m);
    cx.set_reg(Register::AX, r);
    adjust_flags(cx, al, adj, adj, false);
    Ok(())
}

/// AAA.
pub fn aaa(cx: &mut Cx) -> LResult {
    ascii_adjust(cx, false)
}

/// AAS.
pub fn aas(cx: &mut Cx) -> LResult {
    ascii_adjust(cx, true)
}

/// AAM imm8 (#DE for 0): AH = AL / imm, AL = AL % imm.
pub fn aam(cx: &mut Cx) -> LResult {
    use iced_x86::Register;
    let imm = cx.insn.immediate(0) as u8;
    if imm == 0 {
        return Err(Fault::De);
    }
    let al = cx.get_reg(Register::AL);
    let d = cx.b.iconst(Type::I8, u64::from(imm));
    let q = cx.b.udiv(al, d);
    let p = cx.b.mul(q, d);
    let r = cx.b.sub(al, p);
    cx.set_reg(Register::AH, q);
    cx.set_reg(Register::AL, r);
    logic_flags(cx, r);
    Ok(())
}

/// AAD imm8: AL = AL + AH * imm, AH = 0.
pub fn aad(cx: &mut Cx) -> LResult {
    use iced_x86::Register;
    let imm = cx.insn.immediate(0) as u8;
    let al = cx.get_reg(Register::AL);
    let ah = cx.get_reg(Register::AH);
    let d = cx.b.iconst(Type::I8, u64::from(imm));
    let p = cx.b.mul(ah, d);
    let r = cx.b.add(al, p);
    let z = cx.b.iconst(Type::I8, 0);
    cx.set_reg(Register::AL, r);
    cx.set_reg(Register::AH, z);
    logic_flags(cx, r);
    Ok(())
}
