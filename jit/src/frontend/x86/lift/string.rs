//! String instructions: MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS, with
//! and without REP/REPE/REPNE.
//!
//! With a REP prefix, one execution of the instruction is one iteration:
//! when the count (ECX, or CX with a 16-bit address size) is zero it
//! does nothing; otherwise it moves one element, decrements the count
//! and, if the count is still non-zero (and for CMPS and SCAS the ZF
//! condition holds), branches back to itself. Each iteration therefore
//! retires as one instruction and an interrupt, a budget stop or a fault
//! falls between iterations with ESI, EDI and ECX describing exactly the
//! work left, as on hardware.

use super::super::{reg_slot, slots};
use super::{Cx, End, LResult};
use crate::ir::{Cmp, Type, Value};
use iced_x86::Mnemonic as M;
use lockstep_runtime::x86::{eflags, sreg};

/// The address size's index register width.
fn addr_ty(cx: &Cx) -> Type {
    // iced reports the operand kinds MemorySegSI/MemoryESDI for 16-bit
    // addressing.
    use iced_x86::OpKind as K;
    let sixteen = (0..cx.insn.op_count()).any(|i| {
        matches!(
            cx.insn.op_kind(i),
            K::MemorySegSI | K::MemoryESDI | K::MemorySegDI
        )
    });
    if sixteen {
        Type::I16
    } else {
        Type::I32
    }
}

/// The element size of the instruction.
fn elem_ty(cx: &Cx) -> Type {
    match cx.insn.mnemonic() {
        M::Movsb | M::Stosb | M::Lodsb | M::Cmpsb | M::Scasb | M::Insb | M::Outsb => Type::I8,
        M::Movsw | M::Stosw | M::Lodsw | M::Cmpsw | M::Scasw | M::Insw | M::Outsw => Type::I16,
        _ => Type::I32,
    }
}

/// The step for the index registers: +size, or -size with DF set.
fn step(cx: &mut Cx, size: u8, aty: Type) -> Value {
    let f = cx.b.get(slots::EFLAGS);
    let m = cx.b.c32(eflags::DF);
    let df = cx.b.and(f, m);
    let z = cx.b.c32(0);
    let down = cx.b.cmp(Cmp::Ne, df, z);
    let plus = cx.b.iconst(aty, u64::from(size));
    let minus = cx.b.iconst(aty, (-(i64::from(size))) as u64);
    cx.b.select(down, minus, plus)
}

/// The linear address of index register `r` (ESI 6 / EDI 7) in `seg`.
fn index_addr(cx: &mut Cx, r: u32, seg: usize, aty: Type) -> Value {
    let v = cx.b.get(reg_slot(r, aty, false));
    let v = cx.b.zext(v, Type::I32);
    cx.linear(seg, v)
}

fn advance(cx: &mut Cx, r: u32, aty: Type, st: Value) {
    let slot = reg_slot(r, aty, false);
    let v = cx.b.get(slot);
    let n = cx.b.add(v, st);
    cx.b.set(slot, n);
}

/// The source segment (DS unless overridden).
fn src_seg(cx: &Cx) -> usize {
    super::seg_index(cx.insn.memory_segment())
}

/// Which of ESI and EDI the instruction steps.
#[derive(Clone, Copy)]
struct Uses {
    si: bool,
    di: bool,
}

fn string_op(cx: &mut Cx, body: fn(&mut Cx, Type, Type), uses: Uses) -> LResult {
    let aty = addr_ty(cx);
    let ety = elem_ty(cx);
    let rep = cx.insn.has_rep_prefix() || cx.insn.has_repe_prefix() || cx.insn.has_repne_prefix();
    let count = reg_slot(1, aty, false);
    let done = if rep {
        let c = cx.b.get(count);
        let zero = cx.b.iconst(aty, 0);
        let z = cx.b.cmp(Cmp::Eq, c, zero);
        let l = cx.b.label();
        cx.b.branch_if(z, l);
        Some(l)
    } else {
        None
    };
    body(cx, ety, aty);
    let st = step(cx, ety.bytes(), aty);
    if uses.si {
        advance(cx, 6, aty, st);
    }
    if uses.di {
        advance(cx, 7, aty, st);
    }
    if let Some(l) = done {
        let c = cx.b.get(count);
        let one = cx.b.iconst(aty, 1);
        let n = cx.b.sub(c, one);
        cx.b.set(count, n);
        cx.b.place(l);
        // Repeat while the count is non-zero (read back: zero also when
        // the body was skipped) and, for CMPS/SCAS, the ZF condition.
        let c = cx.b.get(count);
        let zero = cx.b.iconst(aty, 0);
        let mut go = cx.b.cmp(Cmp::Ne, c, zero);
        let compares = matches!(
            cx.insn.mnemonic(),
            M::Cmpsb | M::Cmpsw | M::Cmpsd | M::Scasb | M::Scasw | M::Scasd
        );
        if compares {
            let z = cx.zf();
            let want = if cx.insn.has_repne_prefix() {
                let one = cx.b.iconst(Type::I8, 1);
                cx.b.xor(z, one)
            } else {
                z
            };
            go = cx.b.and(go, want);
        }
        cx.end = End::Repeat { cond: go };
    }
    Ok(())
}

/// MOVS: [ES:EDI] = [seg:ESI].
pub fn movs(cx: &mut Cx) -> LResult {
    string_op(
        cx,
        |cx, ety, aty| {
            let s = src_seg(cx);
            let src = index_addr(cx, 6, s, aty);
            let v = cx.load(ety, src);
            let dst = index_addr(cx, 7, sreg::ES, aty);
            cx.store(dst, v);
        },
        Uses { si: true, di: true },
    )
}

/// STOS: [ES:EDI] = accumulator.
pub fn stos(cx: &mut Cx) -> LResult {
    string_op(
        cx,
        |cx, ety, aty| {
            let v = cx.b.get(reg_slot(0, ety, false));
            let dst = index_addr(cx, 7, sreg::ES, aty);
            cx.store(dst, v);
        },
        Uses {
            si: false,
            di: true,
        },
    )
}

/// LODS: accumulator = [seg:ESI].
pub fn lods(cx: &mut Cx) -> LResult {
    string_op(
        cx,
        |cx, ety, aty| {
            let s = src_seg(cx);
            let src = index_addr(cx, 6, s, aty);
            let v = cx.load(ety, src);
            cx.b.set(reg_slot(0, ety, false), v);
        },
        Uses {
            si: true,
            di: false,
        },
    )
}

/// CMPS: flags of [seg:ESI] - [ES:EDI].
pub fn cmps(cx: &mut Cx) -> LResult {
    string_op(
        cx,
        |cx, ety, aty| {
            let s = src_seg(cx);
            let src = index_addr(cx, 6, s, aty);
            let a = cx.load(ety, src);
            let dst = index_addr(cx, 7, sreg::ES, aty);
            let b = cx.load(ety, dst);
            super::alu::add_sub(cx, a, b, None, true);
        },
        Uses { si: true, di: true },
    )
}

/// SCAS: flags of accumulator - [ES:EDI].
pub fn scas(cx: &mut Cx) -> LResult {
    string_op(
        cx,
        |cx, ety, aty| {
            let a = cx.b.get(reg_slot(0, ety, false));
            let dst = index_addr(cx, 7, sreg::ES, aty);
            let b = cx.load(ety, dst);
            super::alu::add_sub(cx, a, b, None, true);
        },
        Uses {
            si: false,
            di: true,
        },
    )
}

/// INS: [ES:EDI] = port DX.
pub fn ins(cx: &mut Cx) -> LResult {
    super::system::check_io(cx)?;
    string_op(
        cx,
        |cx, ety, aty| {
            let dst = index_addr(cx, 7, sreg::ES, aty);
            // Probe the destination first: a fault must not lose the
            // port read (which may have side effects).
            let probe = cx.load(ety, dst);
            let _ = probe;
            let v = super::system::port_in(cx, ety);
            cx.store(dst, v);
        },
        Uses {
            si: false,
            di: true,
        },
    )
}

/// OUTS: port DX = [seg:ESI].
pub fn outs(cx: &mut Cx) -> LResult {
    super::system::check_io(cx)?;
    string_op(
        cx,
        |cx, ety, aty| {
            let s = src_seg(cx);
            let src = index_addr(cx, 6, s, aty);
            let v = cx.load(ety, src);
            super::system::port_out(cx, ety, v);
        },
        Uses {
            si: true,
            di: false,
        },
    )
}
