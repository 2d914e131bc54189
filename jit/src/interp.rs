//! The IR interpreter: the reference backend.
//!
//! It runs a [`Block`] op by op over a vector of 64-bit value slots (each
//! holding its value zero-extended), with the same softmmu fast path and the
//! same helpers as compiled code, and leaves the CPU environment exactly as
//! the Cranelift backend does at every exit. The `eval_*` functions are the
//! IR's semantics written once; the backend tests check compiled code
//! against them.

use crate::ir::{
    BinaryOp, Block, Cmp, Convert, Endian, Inst, MemAccess, Slot, Terminal, Type, UnaryOp,
};
use lockstep_runtime::env::{CpuEnv, ExitCode, Trap};
use lockstep_runtime::softmmu::{self, MemOp, Translate};

fn sext(v: u64, ty: Type) -> i64 {
    let shift = 64 - ty.bits();
    ((v << shift) as i64) >> shift
}

/// The result of a one-operand op on a value of type `ty`.
pub fn eval_unary(op: UnaryOp, ty: Type, a: u64) -> u64 {
    let bits = ty.bits();
    let r = match op {
        UnaryOp::Not => !a,
        UnaryOp::Neg => a.wrapping_neg(),
        UnaryOp::Clz => u64::from(a.leading_zeros() - (64 - bits)),
        UnaryOp::Ctz => u64::from(if a & ty.mask() == 0 {
            bits
        } else {
            a.trailing_zeros()
        }),
        UnaryOp::Popcnt => u64::from(a.count_ones()),
        UnaryOp::Bswap => a.swap_bytes() >> (64 - bits),
        UnaryOp::Bitrev => a.reverse_bits() >> (64 - bits),
    };
    r & ty.mask()
}

/// The result of a two-operand op on values of type `ty`.
pub fn eval_binary(op: BinaryOp, ty: Type, a: u64, b: u64) -> u64 {
    let bits = ty.bits();
    let sh = (b % u64::from(bits)) as u32;
    let m = ty.mask();
    let r = match op {
        BinaryOp::Add => a.wrapping_add(b),
        BinaryOp::Sub => a.wrapping_sub(b),
        BinaryOp::Mul => a.wrapping_mul(b),
        BinaryOp::UMulHi => ((u128::from(a) * u128::from(b)) >> bits) as u64,
        BinaryOp::SMulHi => ((i128::from(sext(a, ty)) * i128::from(sext(b, ty))) >> bits) as u64,
        BinaryOp::UDiv => a.checked_div(b).unwrap_or(0),
        BinaryOp::SDiv => {
            if b == 0 {
                0
            } else {
                sext(a, ty).wrapping_div(sext(b, ty)) as u64
            }
        }
        BinaryOp::And => a & b,
        BinaryOp::Or => a | b,
        BinaryOp::Xor => a ^ b,
        BinaryOp::Shl => a << sh,
        BinaryOp::Lshr => a >> sh,
        BinaryOp::Ashr => (sext(a, ty) >> sh) as u64,
        BinaryOp::Rotl => {
            if sh == 0 {
                a
            } else {
                (a << sh) | (a >> (bits - sh))
            }
        }
        BinaryOp::Rotr => {
            if sh == 0 {
                a
            } else {
                (a >> sh) | (a << (bits - sh))
            }
        }
    };
    r & m
}

/// The result (0 or 1) of a comparison of values of type `ty`.
pub fn eval_cmp(cmp: Cmp, ty: Type, a: u64, b: u64) -> u64 {
    let (sa, sb) = (sext(a, ty), sext(b, ty));
    u64::from(match cmp {
        Cmp::Eq => a == b,
        Cmp::Ne => a != b,
        Cmp::Ult => a < b,
        Cmp::Ule => a <= b,
        Cmp::Ugt => a > b,
        Cmp::Uge => a >= b,
        Cmp::Slt => sa < sb,
        Cmp::Sle => sa <= sb,
        Cmp::Sgt => sa > sb,
        Cmp::Sge => sa >= sb,
    })
}

/// Carry out of `a + b + c` at width `ty`.
pub fn eval_add_carry(ty: Type, a: u64, b: u64, c: u64) -> u64 {
    let sum = u128::from(a) + u128::from(b) + u128::from(c & 1);
    u64::from(sum >> ty.bits() != 0)
}

/// Signed overflow of `a + b + c` at width `ty`.
pub fn eval_add_overflow(ty: Type, a: u64, b: u64, c: u64) -> u64 {
    let sum = i128::from(sext(a, ty)) + i128::from(sext(b, ty)) + i128::from(c & 1);
    let lo = -(1i128 << (ty.bits() - 1));
    let hi = (1i128 << (ty.bits() - 1)) - 1;
    u64::from(sum < lo || sum > hi)
}

/// Converts a loaded little-endian value as the access demands.
pub fn finish_load(raw: u64, access: MemAccess, ty: Type) -> u64 {
    let size_ty = Type::of_bytes(access.size);
    let v = match access.endian {
        Endian::Little => raw,
        Endian::Big => eval_unary(UnaryOp::Bswap, size_ty, raw),
    };
    if access.signed {
        (sext(v, size_ty) as u64) & ty.mask()
    } else {
        v & ty.mask()
    }
}

/// The little-endian image of a value to store.
pub fn prepare_store(v: u64, access: MemAccess) -> u64 {
    let size_ty = Type::of_bytes(access.size);
    match access.endian {
        Endian::Little => v & size_ty.mask(),
        Endian::Big => eval_unary(UnaryOp::Bswap, size_ty, v),
    }
}

/// # Safety
/// `slot` must lie inside the environment.
unsafe fn read_slot<A>(env: &mut CpuEnv<A>, slot: Slot) -> u64 {
    let p = unsafe { (env as *mut CpuEnv<A> as *mut u8).add(slot.offset as usize) };
    unsafe {
        match slot.ty {
            Type::I8 => u64::from(*p),
            Type::I16 => u64::from((p as *const u16).read_unaligned()),
            Type::I32 => u64::from((p as *const u32).read_unaligned()),
            Type::I64 => (p as *const u64).read_unaligned(),
        }
    }
}

/// # Safety
/// `slot` must lie inside the environment.
unsafe fn write_slot<A>(env: &mut CpuEnv<A>, slot: Slot, v: u64) {
    let p = unsafe { (env as *mut CpuEnv<A> as *mut u8).add(slot.offset as usize) };
    unsafe {
        match slot.ty {
            Type::I8 => *p = v as u8,
            Type::I16 => (p as *mut u16).write_unaligned(v as u16),
            Type::I32 => (p as *mut u32).write_unaligned(v as u32),
            Type::I64 => (p as *mut u64).write_unaligned(v),
        }
    }
}

/// A block prepared for interpretation: label positions resolved.
pub struct InterpBlock {
    /// The IR.
    pub block: Block,
    label_pos: Vec<usize>,
}

impl InterpBlock {
    /// Prepares `block`.
    pub fn new(block: Block) -> Self {
        let mut label_pos = vec![0; block.labels as usize];
        for (i, op) in block.ops.iter().enumerate() {
            if let Inst::Label(l) = op.inst {
                label_pos[l.0 as usize] = i;
            }
        }
        InterpBlock { block, label_pos }
    }

    /// Runs the block once, with the same entry check and exits as compiled
    /// code. `values` is scratch space, reused between calls.
    pub fn run<A: Translate>(&self, env: &mut CpuEnv<A>, values: &mut Vec<u64>) -> ExitCode {
        let b = &self.block;
        let n = u64::from(b.len());
        // SAFETY (all slot accesses): slots come from the frontend, which
        // names fields of this environment.
        if env.budget < n {
            unsafe { write_slot(env, b.pc_slot, b.key.pc) };
            return ExitCode::Budget;
        }
        env.budget -= n;
        values.clear();
        values.resize(b.value_types.len(), 0);
        let ty = |v: crate::ir::Value| b.value_types[v.0 as usize];
        let mut i = 0;
        while i < b.ops.len() {
            let op = &b.ops[i];
            i += 1;
            match &op.inst {
                Inst::Const { dst, imm } => values[dst.0 as usize] = *imm,
                Inst::Get { dst, slot } => {
                    values[dst.0 as usize] = unsafe { read_slot(env, *slot) }
                }
                Inst::Set { slot, src } => unsafe {
                    write_slot(env, *slot, values[src.0 as usize])
                },
                Inst::Unary { dst, op, src } => {
                    values[dst.0 as usize] = eval_unary(*op, ty(*dst), values[src.0 as usize])
                }
                Inst::Binary { dst, op, a, b } => {
                    values[dst.0 as usize] =
                        eval_binary(*op, ty(*dst), values[a.0 as usize], values[b.0 as usize])
                }
                Inst::AddCarry {
                    dst,
                    a,
                    b,
                    carry_in,
                } => {
                    values[dst.0 as usize] = eval_add_carry(
                        ty(*a),
                        values[a.0 as usize],
                        values[b.0 as usize],
                        values[carry_in.0 as usize],
                    )
                }
                Inst::AddOverflow {
                    dst,
                    a,
                    b,
                    carry_in,
                } => {
                    values[dst.0 as usize] = eval_add_overflow(
                        ty(*a),
                        values[a.0 as usize],
                        values[b.0 as usize],
                        values[carry_in.0 as usize],
                    )
                }
                Inst::Compare { dst, cmp, a, b } => {
                    values[dst.0 as usize] =
                        eval_cmp(*cmp, ty(*a), values[a.0 as usize], values[b.0 as usize])
                }
                Inst::Select { dst, cond, a, b } => {
                    values[dst.0 as usize] = if values[cond.0 as usize] != 0 {
                        values[a.0 as usize]
                    } else {
                        values[b.0 as usize]
                    }
                }
                Inst::Convert { dst, kind, src } => {
                    let v = values[src.0 as usize];
                    values[dst.0 as usize] = match kind {
                        Convert::Zext => v,
                        Convert::Sext => sext(v, ty(*src)) as u64 & ty(*dst).mask(),
                        Convert::Trunc => v & ty(*dst).mask(),
                    }
                }
                Inst::Load { dst, addr, access } => {
                    let mop = MemOp {
                        size: access.size,
                        align: access.align,
                        mmu_idx: access.mmu_idx.unwrap_or(b.mmu_idx),
                    };
                    env.insns_ahead = n - u64::from(op.insn);
                    match softmmu::read(env, values[addr.0 as usize], mop) {
                        Ok(raw) => values[dst.0 as usize] = finish_load(raw, *access, ty(*dst)),
                        Err(f) => {
                            env.raise(f);
                            return self.fault_exit(env, op.insn);
                        }
                    }
                }
                Inst::Store { addr, src, access } => {
                    let mop = MemOp {
                        size: access.size,
                        align: access.align,
                        mmu_idx: access.mmu_idx.unwrap_or(b.mmu_idx),
                    };
                    let v = prepare_store(values[src.0 as usize], *access);
                    env.insns_ahead = n - u64::from(op.insn);
                    if let Err(f) = softmmu::write(env, values[addr.0 as usize], v, mop) {
                        env.raise(f);
                        return self.fault_exit(env, op.insn);
                    }
                }
                Inst::Call { dst, helper, args } => {
                    let mut a = [0u64; 4];
                    for (slot, v) in a.iter_mut().zip(args) {
                        *slot = values[v.0 as usize];
                    }
                    env.insns_ahead = n - u64::from(op.insn);
                    let envp = env as *mut CpuEnv<A> as *mut u8;
                    // SAFETY: helpers are written for this environment.
                    values[dst.0 as usize] = unsafe { (helper.func)(envp, a[0], a[1], a[2], a[3]) };
                    if helper.may_fault && env.fault_pending != 0 {
                        return self.fault_exit(env, op.insn);
                    }
                }
                Inst::Label(_) => {}
                Inst::Jump(l) => i = self.label_pos[l.0 as usize],
                Inst::BranchIf { cond, target } => {
                    if values[cond.0 as usize] != 0 {
                        i = self.label_pos[target.0 as usize];
                    }
                }
                Inst::ExitIfRequested { next_pc } => {
                    if env.exit_request != 0 {
                        unsafe { write_slot(env, b.pc_slot, *next_pc) };
                        env.budget += n - u64::from(op.insn) - 1;
                        return ExitCode::Request;
                    }
                }
            }
        }
        let (pc, code) = match &b.terminal {
            Terminal::Jump { target } => (*target, ExitCode::Next),
            Terminal::Branch {
                cond,
                taken,
                not_taken,
            } => (
                if values[cond.0 as usize] != 0 {
                    *taken
                } else {
                    *not_taken
                },
                ExitCode::Next,
            ),
            Terminal::Indirect { target } => (values[target.0 as usize], ExitCode::Next),
            Terminal::Trap { when: Some(w), .. } | Terminal::Halt { when: Some(w), .. }
                if values[w.0 as usize] == 0 =>
            {
                (b.next_pc(b.insn_pcs.len() - 1), ExitCode::Next)
            }
            Terminal::Trap {
                code,
                arg,
                credited,
                ..
            } => {
                env.trap = Trap {
                    code: *code,
                    arg: *arg,
                };
                if !credited {
                    env.budget += 1;
                }
                (*b.insn_pcs.last().expect("empty block"), ExitCode::Trap)
            }
            Terminal::Halt { next_pc, .. } => (*next_pc, ExitCode::Halt),
            Terminal::Exit { next_pc } => (*next_pc, ExitCode::Request),
        };
        unsafe { write_slot(env, b.pc_slot, pc) };
        code
    }

    fn fault_exit<A>(&self, env: &mut CpuEnv<A>, insn: u16) -> ExitCode {
        let b = &self.block;
        // SAFETY: the PC slot names a field of the environment.
        unsafe { write_slot(env, b.pc_slot, b.insn_pcs[insn as usize]) };
        env.budget += u64::from(b.len()) - u64::from(insn);
        ExitCode::Fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semantics_at_each_width() {
        assert_eq!(eval_binary(BinaryOp::Add, Type::I8, 0xff, 2), 1);
        assert_eq!(eval_binary(BinaryOp::Shl, Type::I32, 1, 33), 2);
        assert_eq!(eval_binary(BinaryOp::Ashr, Type::I16, 0x8000, 15), 0xffff);
        assert_eq!(eval_binary(BinaryOp::Rotr, Type::I32, 1, 1), 0x8000_0000);
        assert_eq!(
            eval_binary(BinaryOp::SDiv, Type::I32, 0x8000_0000, 0xffff_ffff),
            0x8000_0000
        );
        assert_eq!(eval_binary(BinaryOp::UDiv, Type::I32, 7, 0), 0);
        assert_eq!(
            eval_binary(BinaryOp::SMulHi, Type::I32, 0xffff_ffff, 2),
            0xffff_ffff
        );
        assert_eq!(eval_binary(BinaryOp::UMulHi, Type::I64, u64::MAX, 2), 1);
        assert_eq!(eval_unary(UnaryOp::Clz, Type::I32, 0), 32);
        assert_eq!(eval_unary(UnaryOp::Clz, Type::I16, 1), 15);
        assert_eq!(eval_unary(UnaryOp::Ctz, Type::I32, 0), 32);
        assert_eq!(eval_unary(UnaryOp::Ctz, Type::I64, 0), 64);
        assert_eq!(eval_unary(UnaryOp::Bswap, Type::I16, 0x1234), 0x3412);
        assert_eq!(eval_unary(UnaryOp::Bitrev, Type::I32, 1), 0x8000_0000);
        assert_eq!(eval_add_carry(Type::I32, 0xffff_ffff, 0, 1), 1);
        assert_eq!(eval_add_overflow(Type::I32, 0x7fff_ffff, 0, 1), 1);
        assert_eq!(eval_add_overflow(Type::I8, 0x80, 0xff, 0), 1);
        assert_eq!(eval_cmp(Cmp::Slt, Type::I32, 0xffff_ffff, 0), 1);
    }
}
