//! Near jumps, calls and returns, conditional jumps and the loop
//! instructions. Far transfers (through a segment selector) are system
//! instructions.

use super::super::slots;
use super::{Cx, End, LResult};
use crate::ir::{Cmp, Type};
use iced_x86::OpKind;

/// The near branch target of a relative branch (the operand size of a
/// 16-bit branch truncates it).
fn target(cx: &Cx) -> u32 {
    cx.insn.near_branch_target() as u32
}

/// JMP rel / JMP r/m (near); far forms go to the system lifter.
pub fn jmp(cx: &mut Cx) -> LResult {
    match cx.insn.op_kind(0) {
        OpKind::NearBranch16 | OpKind::NearBranch32 => {
            cx.end = End::Direct(target(cx));
        }
        OpKind::FarBranch16 | OpKind::FarBranch32 => return super::system::far_jmp(cx),
        _ if cx.insn.memory_size().size() == 6 => return super::system::far_jmp(cx),
        _ => {
            let t = cx.read(0);
            let t = cx.b.zext(t, Type::I32);
            cx.b.set(slots::EIP, t);
            cx.end = End::Indirect;
        }
    }
    Ok(())
}

/// Jcc rel.
pub fn jcc(cx: &mut Cx) -> LResult {
    let c = cx.cond(cx.insn.condition_code());
    cx.end = End::DirectIf {
        cond: c,
        taken: target(cx),
    };
    Ok(())
}

/// CALL rel / CALL r/m (near): pushes the next instruction's address.
pub fn call(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    match cx.insn.op_kind(0) {
        OpKind::NearBranch16 | OpKind::NearBranch32 => {
            let ret = cx.b.iconst(ty, u64::from(cx.next));
            cx.push(ret);
            cx.end = End::Direct(target(cx));
        }
        OpKind::FarBranch16 | OpKind::FarBranch32 => return super::system::far_call(cx),
        _ if cx.insn.memory_size().size() == 6 => return super::system::far_call(cx),
        _ => {
            // The target is read before the push (CALL [ESP] and faults).
            let t = cx.read(0);
            let t = cx.b.zext(t, Type::I32);
            let ret = cx.b.iconst(ty, u64::from(cx.next));
            cx.push(ret);
            cx.b.set(slots::EIP, t);
            cx.end = End::Indirect;
        }
    }
    Ok(())
}

/// RET / RET imm16 (near).
pub fn ret(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    let t = cx.peek(ty, 0);
    let t = cx.b.zext(t, Type::I32);
    let imm = if cx.insn.op_count() == 1 {
        cx.insn.immediate(0) as i32
    } else {
        0
    };
    cx.adjust_esp(i32::from(ty.bytes()) + imm);
    cx.b.set(slots::EIP, t);
    cx.end = End::Indirect;
    Ok(())
}

/// The count register of a loop: CX or ECX by address size (a 0x67
/// prefix in 32-bit code uses CX).
fn counter_ty(cx: &Cx) -> Type {
    use iced_x86::Code as C;
    match cx.insn.code() {
        C::Loop_rel8_16_CX
        | C::Loop_rel8_32_CX
        | C::Loope_rel8_16_CX
        | C::Loope_rel8_32_CX
        | C::Loopne_rel8_16_CX
        | C::Loopne_rel8_32_CX => Type::I16,
        _ => Type::I32,
    }
}

/// LOOP, LOOPE, LOOPNE rel8: decrement the counter (no flags), branch
/// while it is non-zero (and ZF as asked).
pub fn loop_(cx: &mut Cx) -> LResult {
    let ty = counter_ty(cx);
    let slot = super::super::reg_slot(1, ty, false);
    let c = cx.b.get(slot);
    let one = cx.b.iconst(ty, 1);
    let n = cx.b.sub(c, one);
    cx.b.set(slot, n);
    let zero = cx.b.iconst(ty, 0);
    let mut go = cx.b.cmp(Cmp::Ne, n, zero);
    match cx.insn.mnemonic() {
        iced_x86::Mnemonic::Loope => {
            let z = cx.zf();
            go = cx.b.and(go, z);
        }
        iced_x86::Mnemonic::Loopne => {
            let z = cx.zf();
            let one = cx.b.iconst(Type::I8, 1);
            let nz = cx.b.xor(z, one);
            go = cx.b.and(go, nz);
        }
        _ => {}
    }
    cx.end = End::DirectIf {
        cond: go,
        taken: target(cx),
    };
    Ok(())
}

/// JECXZ / JCXZ rel8.
pub fn jecxz(cx: &mut Cx) -> LResult {
    let ty = if cx.insn.mnemonic() == iced_x86::Mnemonic::Jcxz {
        Type::I16
    } else {
        Type::I32
    };
    let c = cx.b.get(super::super::reg_slot(1, ty, false));
    let zero = cx.b.iconst(ty, 0);
    let z = cx.b.cmp(Cmp::Eq, c, zero);
    cx.end = End::DirectIf {
        cond: z,
        taken: target(cx),
    };
    Ok(())
}
