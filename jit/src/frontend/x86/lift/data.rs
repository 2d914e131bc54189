//! Data movement and the small instructions around it: MOV, MOVZX,
//! MOVSX, LEA, XCHG, XADD, CMPXCHG, CMPXCHG8B, BSWAP, CMOVcc, SETcc,
//! PUSH, POP, PUSHA, POPA, LEAVE, ENTER, CBW/CWDE, CWD/CDQ, XLAT, the bit
//! tests and scans, LAHF/SAHF and the carry and direction flag
//! instructions.

use super::super::slots;
use super::{alu, Cx, Fault, LResult};
use crate::ir::{Cmp, Type, Value};
use iced_x86::{OpKind, Register, RflagsBits};
use lockstep_runtime::x86::eflags;

/// MOV r/m, r/m/imm (general registers; segment and control registers
/// are system moves).
pub fn mov(cx: &mut Cx) -> LResult {
    let reg_kind =
        |n: u32| (cx.insn.op_kind(n) == OpKind::Register).then(|| cx.insn.op_register(n));
    let special = |r: Option<Register>| {
        r.is_some_and(|r| r.is_segment_register() || r.is_cr() || r.is_dr() || r.is_tr())
    };
    if special(reg_kind(0)) || special(reg_kind(1)) {
        return super::system::mov_special(cx);
    }
    let ty = cx.op_ty(0);
    let v = cx.read_as(1, ty);
    cx.write(0, v);
    Ok(())
}

/// MOVZX r, r/m8/16.
pub fn movzx(cx: &mut Cx) -> LResult {
    let v = cx.read(1);
    let v = cx.b.zext(v, cx.op_ty(0));
    cx.write(0, v);
    Ok(())
}

/// MOVSX r, r/m8/16.
pub fn movsx(cx: &mut Cx) -> LResult {
    let v = cx.read(1);
    let v = cx.b.sext(v, cx.op_ty(0));
    cx.write(0, v);
    Ok(())
}

/// LEA r, m: the offset, without the segment base.
pub fn lea(cx: &mut Cx) -> LResult {
    if !cx.is_mem(1) {
        return Err(Fault::Ud);
    }
    let a = cx.effective_offset();
    let a = cx.b.zext(a, cx.op_ty(0));
    cx.write(0, a);
    Ok(())
}

/// XCHG r/m, r (a memory operand is written first).
pub fn xchg(cx: &mut Cx) -> LResult {
    let a = cx.read(0);
    let b = cx.read(1);
    cx.write(0, b);
    cx.write(1, a);
    Ok(())
}

/// XADD r/m, r: the sum to the destination, the old destination to the
/// source register.
pub fn xadd(cx: &mut Cx) -> LResult {
    let a = cx.read(0);
    let b = cx.read(1);
    let r = alu::add_sub(cx, a, b, None, false);
    // With the same register twice the sum wins: the destination is
    // written last (a memory one is stored first, before any register).
    if cx.is_mem(0) {
        cx.write(0, r);
        cx.write(1, a);
    } else {
        cx.write(1, a);
        cx.write(0, r);
    }
    Ok(())
}

/// CMPXCHG r/m, r: compare the accumulator with the destination; equal:
/// the source goes to the destination; else the destination to the
/// accumulator. The destination is written either way (as the hardware
/// does, so a read-only page faults).
pub fn cmpxchg(cx: &mut Cx) -> LResult {
    let ty = cx.op_ty(0);
    let acc_reg = match ty {
        Type::I8 => Register::AL,
        Type::I16 => Register::AX,
        _ => Register::EAX,
    };
    let dest = cx.read(0);
    let src = cx.read(1);
    let acc = cx.get_reg(acc_reg);
    let eq = cx.b.cmp(Cmp::Eq, acc, dest);
    let new_dest = cx.b.select(eq, src, dest);
    let new_acc = cx.b.select(eq, acc, dest);
    // The destination may be the accumulator itself: it is written last
    // (a memory destination is stored first, before any register).
    if cx.is_mem(0) {
        cx.write(0, new_dest);
        cx.set_reg(acc_reg, new_acc);
    } else {
        cx.set_reg(acc_reg, new_acc);
        cx.write(0, new_dest);
    }
    // Flags as CMP accumulator, destination.
    alu::add_sub(cx, acc, dest, None, true);
    Ok(())
}

/// CMPXCHG8B m64: compare EDX:EAX with the operand; equal: ECX:EBX goes
/// there and ZF is set; else the operand goes to EDX:EAX and ZF is
/// cleared. The other flags are unchanged.
pub fn cmpxchg8b(cx: &mut Cx) -> LResult {
    if !cx.is_mem(0) {
        return Err(Fault::Ud);
    }
    let a = cx.ea();
    let m = cx.load(Type::I64, a);
    let eax = cx.reg32(0);
    let edx = cx.reg32(2);
    let ebx = cx.reg32(3);
    let ecx = cx.reg32(1);
    let cat = |cx: &mut Cx, hi: Value, lo: Value| {
        let hi = cx.b.zext(hi, Type::I64);
        let lo = cx.b.zext(lo, Type::I64);
        let s = cx.b.iconst(Type::I64, 32);
        let hi = cx.b.shl(hi, s);
        cx.b.or(hi, lo)
    };
    let expected = cat(cx, edx, eax);
    let new = cat(cx, ecx, ebx);
    let eq = cx.b.cmp(Cmp::Eq, m, expected);
    let stored = cx.b.select(eq, new, m);
    cx.store(a, stored);
    let lo = cx.b.zext(m, Type::I32);
    let s = cx.b.iconst(Type::I64, 32);
    let hi = cx.b.lshr(m, s);
    let hi = cx.b.zext(hi, Type::I32);
    let new_eax = cx.b.select(eq, eax, lo);
    let new_edx = cx.b.select(eq, edx, hi);
    cx.set_reg32(0, new_eax);
    cx.set_reg32(2, new_edx);
    if cx.is_live(RflagsBits::ZF) {
        // zres = !ZF.
        let one = cx.b.iconst(Type::I8, 1);
        let ne = cx.b.xor(eq, one);
        let ne = cx.b.zext(ne, Type::I32);
        cx.b.set(slots::ZRES, ne);
    }
    Ok(())
}

/// BSWAP r32.
pub fn bswap(cx: &mut Cx) -> LResult {
    let v = cx.read(0);
    if cx.b.ty(v) != Type::I32 {
        // With a 16-bit operand the result is undefined; QEMU gives 0.
        let z = cx.b.iconst(Type::I16, 0);
        cx.write(0, z);
        return Ok(());
    }
    let r = cx.b.bswap(v);
    cx.write(0, r);
    Ok(())
}

/// CMOVcc r, r/m: the source is read (and may fault) whatever the
/// condition; with a 32-bit operand the destination is written either
/// way (its upper half cleared on x86-64, nothing here).
pub fn cmovcc(cx: &mut Cx) -> LResult {
    let v = cx.read(1);
    let old = cx.read(0);
    let c = cx.cond(cx.insn.condition_code());
    let r = cx.b.select(c, v, old);
    cx.write(0, r);
    Ok(())
}

/// SETcc r/m8.
pub fn setcc(cx: &mut Cx) -> LResult {
    let c = cx.cond(cx.insn.condition_code());
    cx.write(0, c);
    Ok(())
}

/// PUSH r/m/imm/sreg.
pub fn push(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    let v = match cx.insn.op_kind(0) {
        OpKind::Register if cx.insn.op_register(0).is_segment_register() => {
            let r = super::seg_index(cx.insn.op_register(0));
            let s = cx.b.get(super::super::seg_selector_slot(r));
            cx.b.zext(s, ty)
        }
        _ => cx.read_as(0, ty),
    };
    cx.push(v);
    Ok(())
}

/// POP r/m (segment registers: see the system moves). A memory
/// destination addressed with ESP sees ESP after the pop.
pub fn pop(cx: &mut Cx) -> LResult {
    if cx.insn.op_kind(0) == OpKind::Register && cx.insn.op_register(0).is_segment_register() {
        return super::system::pop_sreg(cx);
    }
    let ty = cx.stack_ty();
    let v = cx.peek(ty, 0);
    let n = i32::from(ty.bytes());
    if cx.is_mem(0) {
        // Computed with the incremented ESP, stored before ESP changes
        // (a fault leaves ESP as it was).
        let esp = cx.reg32(4);
        let d = cx.b.c32(n as u32);
        let new = cx.b.add(esp, d);
        cx.set_reg32(4, new);
        let a = cx.ea();
        cx.set_reg32(4, esp);
        cx.store(a, v);
        cx.adjust_esp(n);
    } else {
        cx.adjust_esp(n);
        cx.write(0, v);
    }
    Ok(())
}

/// PUSHA/PUSHAD: EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI.
pub fn pusha(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    let vs: Vec<Value> = (0..8)
        .map(|r| {
            let v = cx.reg32(r);
            cx.b.zext(v, ty)
        })
        .collect();
    cx.push_all(&vs);
    Ok(())
}

/// POPA/POPAD: the reverse, skipping the saved ESP.
pub fn popa(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    let n = i32::from(ty.bytes());
    let vals: Vec<Value> = (0..8).map(|i| cx.peek(ty, i * n)).collect();
    for (i, v) in vals.into_iter().enumerate() {
        let r = 7 - i as u32;
        if r != 4 {
            cx.b.set(super::super::reg_slot(r, ty, false), v);
        }
    }
    cx.adjust_esp(8 * n);
    Ok(())
}

/// LEAVE: ESP = EBP, then POP EBP.
pub fn leave(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    let ebp = cx.reg32(5);
    // Read at the new ESP before changing anything.
    let a = {
        let off = if cx.flags & lockstep_runtime::x86::tb_flags::SS32 == 0 {
            let m = cx.b.c32(0xffff);
            cx.b.and(ebp, m)
        } else {
            ebp
        };
        cx.linear(lockstep_runtime::x86::sreg::SS, off)
    };
    let v = cx.load(ty, a);
    let n = cx.b.c32(u32::from(ty.bytes()));
    let esp = cx.b.add(ebp, n);
    cx.set_reg32(4, esp);
    cx.b.set(super::super::reg_slot(5, ty, false), v);
    Ok(())
}

/// ENTER imm16, 0 (nesting levels above 0 are not supported: #UD).
pub fn enter(cx: &mut Cx) -> LResult {
    let size = cx.insn.immediate(0) as u32;
    let level = cx.insn.immediate(1) as u32 & 31;
    if level != 0 {
        return Err(Fault::Ud);
    }
    let ty = cx.stack_ty();
    let ebp = cx.b.get(super::super::reg_slot(5, ty, false));
    cx.push(ebp);
    let esp = cx.reg32(4);
    let frame = cx.b.zext(esp, ty);
    cx.b.set(super::super::reg_slot(5, ty, false), frame);
    let d = cx.b.c32(size);
    let e = cx.b.sub(esp, d);
    cx.set_reg32(4, e);
    Ok(())
}

/// CBW/CWDE: sign-extend AL to AX or AX to EAX.
pub fn cbw(cx: &mut Cx) -> LResult {
    let (from, to) = match cx.insn.mnemonic() {
        iced_x86::Mnemonic::Cbw => (Register::AL, Register::AX),
        _ => (Register::AX, Register::EAX),
    };
    let v = cx.get_reg(from);
    let w = cx.b.sext(
        v,
        if to == Register::AX {
            Type::I16
        } else {
            Type::I32
        },
    );
    cx.set_reg(to, w);
    Ok(())
}

/// CWD/CDQ: DX or EDX = the sign of AX or EAX.
pub fn cwd(cx: &mut Cx) -> LResult {
    let (from, to) = match cx.insn.mnemonic() {
        iced_x86::Mnemonic::Cwd => (Register::AX, Register::DX),
        _ => (Register::EAX, Register::EDX),
    };
    let v = cx.get_reg(from);
    let ty = cx.b.ty(v);
    let s = cx.b.iconst(ty, u64::from(ty.bits() - 1));
    let sign = cx.b.ashr(v, s);
    cx.set_reg(to, sign);
    Ok(())
}

/// XLAT: AL = [seg:EBX + AL].
pub fn xlat(cx: &mut Cx) -> LResult {
    let a = cx.ea();
    let v = cx.load(Type::I8, a);
    cx.set_reg(Register::AL, v);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    Test,
    Set,
    Reset,
    Complement,
}

/// BT, BTS, BTR, BTC: CF = the bit; then set, clear or flip it. With a
/// register bit offset on a memory operand, the offset reaches beyond
/// the operand (signed, in operand-sized steps).
fn bit_op(cx: &mut Cx, op: BitOp) -> LResult {
    let ty = cx.op_ty(0);
    let bits = ty.bits();
    let off = cx.read_as(1, ty);
    let off32 = cx.b.zext(off, Type::I32);
    let (addr, value) = if cx.is_mem(0) {
        let mut a = cx.ea();
        if cx.insn.op_kind(1) == OpKind::Register {
            // Signed offset: (off >> log2(bits)) * bytes.
            let soff = cx.b.sext(off, Type::I32);
            let sh = cx.b.c32(bits.trailing_zeros());
            let idx = cx.b.ashr(soff, sh);
            let bs = cx.b.c32(u32::from(ty.bytes()).trailing_zeros());
            let bytes = cx.b.shl(idx, bs);
            a = cx.b.add(a, bytes);
        }
        let v = cx.load(ty, a);
        (Some(a), v)
    } else {
        (None, cx.read(0))
    };
    let m = cx.b.c32(bits - 1);
    let pos = cx.b.and(off32, m);
    let pos_t = cx.b.zext(pos, ty);
    let one = cx.b.iconst(ty, 1);
    let mask = cx.b.shl(one, pos_t);
    let shifted = cx.b.lshr(value, pos_t);
    let bit = cx.b.and(shifted, one);
    let new = match op {
        BitOp::Test => None,
        BitOp::Set => Some(cx.b.or(value, mask)),
        BitOp::Reset => {
            let nm = cx.b.not(mask);
            Some(cx.b.and(value, nm))
        }
        BitOp::Complement => Some(cx.b.xor(value, mask)),
    };
    if let Some(n) = new {
        match addr {
            Some(a) => cx.store(a, n),
            None => cx.write(0, n),
        }
    }
    cx.set_cf(bit);
    Ok(())
}

/// BT r/m, r/imm8.
pub fn bt(cx: &mut Cx) -> LResult {
    bit_op(cx, BitOp::Test)
}

/// BTS r/m, r/imm8.
pub fn bts(cx: &mut Cx) -> LResult {
    bit_op(cx, BitOp::Set)
}

/// BTR r/m, r/imm8.
pub fn btr(cx: &mut Cx) -> LResult {
    bit_op(cx, BitOp::Reset)
}

/// BTC r/m, r/imm8.
pub fn btc(cx: &mut Cx) -> LResult {
    bit_op(cx, BitOp::Complement)
}

/// BSF/BSR r, r/m: ZF = the source is zero (the destination then keeps
/// its value, as every x86 does though the manual says undefined);
/// the other flags as after a logic operation on the source (QEMU's).
fn bit_scan(cx: &mut Cx, forward: bool) -> LResult {
    let src = cx.read(1);
    let old = cx.read(0);
    let ty = cx.b.ty(src);
    let idx = if forward {
        cx.b.ctz(src)
    } else {
        let lz = cx.b.clz(src);
        let top = cx.b.iconst(ty, u64::from(ty.bits() - 1));
        cx.b.sub(top, lz)
    };
    let zero = cx.b.iconst(ty, 0);
    let is_zero = cx.b.cmp(Cmp::Eq, src, zero);
    let r = cx.b.select(is_zero, old, idx);
    cx.write(0, r);
    alu::logic_flags(cx, src);
    Ok(())
}

/// BSF r, r/m.
pub fn bsf(cx: &mut Cx) -> LResult {
    bit_scan(cx, true)
}

/// BSR r, r/m.
pub fn bsr(cx: &mut Cx) -> LResult {
    bit_scan(cx, false)
}

/// LAHF: AH = SF:ZF:0:AF:0:PF:1:CF.
pub fn lahf(cx: &mut Cx) -> LResult {
    let f = cx.eflags();
    let f = cx.b.zext(f, Type::I8);
    cx.set_reg(Register::AH, f);
    Ok(())
}

/// SAHF: SF, ZF, AF, PF, CF from AH.
pub fn sahf(cx: &mut Cx) -> LResult {
    let ah = cx.get_reg(Register::AH);
    let v = cx.b.zext(ah, Type::I32);
    cx.set_arith_flags(
        v,
        eflags::SF | eflags::ZF | eflags::AF | eflags::PF | eflags::CF,
    );
    Ok(())
}

/// CLC.
pub fn clc(cx: &mut Cx) -> LResult {
    let z = cx.b.c32(0);
    cx.b.set(slots::CF, z);
    Ok(())
}

/// STC.
pub fn stc(cx: &mut Cx) -> LResult {
    let o = cx.b.c32(1);
    cx.b.set(slots::CF, o);
    Ok(())
}

/// CMC.
pub fn cmc(cx: &mut Cx) -> LResult {
    let c = cx.b.get(slots::CF);
    let o = cx.b.c32(1);
    let n = cx.b.xor(c, o);
    cx.b.set(slots::CF, n);
    Ok(())
}

fn set_df(cx: &mut Cx, on: bool) -> LResult {
    let f = cx.b.get(slots::EFLAGS);
    let m = cx.b.c32(eflags::DF);
    let v = if on {
        cx.b.or(f, m)
    } else {
        let nm = cx.b.not(m);
        cx.b.and(f, nm)
    };
    cx.b.set(slots::EFLAGS, v);
    Ok(())
}

/// CLD.
pub fn cld(cx: &mut Cx) -> LResult {
    set_df(cx, false)
}

/// STD.
pub fn std(cx: &mut Cx) -> LResult {
    set_df(cx, true)
}

/// NOP, PAUSE, the multi-byte NOPs, hints, FWAIT with no x87 error
/// pending, the cache and prefetch instructions (no caches here).
pub fn nop(_cx: &mut Cx) -> LResult {
    Ok(())
}

/// SALC (undocumented, as on every x86 and QEMU): AL = CF ? 0xFF : 0.
pub fn salc(cx: &mut Cx) -> LResult {
    let c = cx.cf();
    let ff = cx.b.iconst(Type::I8, 0xff);
    let z = cx.b.iconst(Type::I8, 0);
    let v = cx.b.select(c, ff, z);
    cx.set_reg(Register::AL, v);
    Ok(())
}

/// ARPL r/m16, r16: raise the destination selector's RPL to the
/// source's; ZF says whether it changed.
pub fn arpl(cx: &mut Cx) -> LResult {
    let d = cx.read_as(0, Type::I16);
    let s = cx.read_as(1, Type::I16);
    let three = cx.b.iconst(Type::I16, 3);
    let drpl = cx.b.and(d, three);
    let srpl = cx.b.and(s, three);
    let lower = cx.b.cmp(Cmp::Ult, drpl, srpl);
    let nm = cx.b.iconst(Type::I16, 0xfffc);
    let base = cx.b.and(d, nm);
    let raised = cx.b.or(base, srpl);
    let r = cx.b.select(lower, raised, d);
    // iced names a 32-bit register for the register form; its upper half
    // is kept.
    let ty = cx.op_ty(0);
    let r = if ty == Type::I32 {
        let old = cx.read(0);
        let m = cx.b.c32(0xffff_0000);
        let high = cx.b.and(old, m);
        let low = cx.b.zext(r, Type::I32);
        cx.b.or(high, low)
    } else {
        r
    };
    cx.write(0, r);
    if cx.is_live(RflagsBits::ZF) {
        let one = cx.b.iconst(Type::I8, 1);
        let nz = cx.b.xor(lower, one);
        let nz = cx.b.zext(nz, Type::I32);
        cx.b.set(slots::ZRES, nz);
    }
    Ok(())
}

/// BOUND r, m: #BR unless lower <= r <= upper (signed).
pub fn bound(cx: &mut Cx) -> LResult {
    if !cx.is_mem(1) {
        return Err(Fault::Ud);
    }
    let ty = cx.op_ty(0);
    let r = cx.read(0);
    let a = cx.ea();
    let lo = cx.load(ty, a);
    let n = cx.b.c32(u32::from(ty.bytes()));
    let a2 = cx.b.add(a, n);
    let hi = cx.load(ty, a2);
    let (r, lo, hi) = (
        cx.b.sext(r, Type::I64),
        cx.b.sext(lo, Type::I64),
        cx.b.sext(hi, Type::I64),
    );
    let below = cx.b.cmp(Cmp::Slt, r, lo);
    let above = cx.b.cmp(Cmp::Sgt, r, hi);
    let out = cx.b.or(below, above);
    let out = cx.b.zext(out, Type::I64);
    let br =
        cx.b.iconst(Type::I64, u64::from(lockstep_runtime::x86::vector::BR));
    cx.b.call(super::super::helpers::RAISE_IF, &[out, br]);
    Ok(())
}
