//! x87 instructions: each is one call of the x87 helper
//! (`frontend::x86::x87`), with its memory operand loaded (or stored) by
//! IR around it, so a faulting access leaves the FPU as it was: a store
//! is computed by one call, written to memory, then committed by a second.
//!
//! CR0.EM or CR0.TS make every x87 instruction raise #NM (decided at
//! translation: both are translation flags); WAIT raises #NM when MP and
//! TS are both set.

use super::super::x87::{op, unary, X87};
use super::{Cx, Fault, LResult};
use crate::ir::{Slot, Type, Value};
use iced_x86::{ConditionCode, MemorySize, Mnemonic as M, OpKind, Register};
use lockstep_runtime::env::CpuEnv;
use lockstep_runtime::x86::{tb_flags, Fpu, X86Cpu};
use std::mem::offset_of;

fn fpu_slot(field: usize, ty: Type) -> Slot {
    Slot {
        offset: (offset_of!(CpuEnv<X86Cpu>, arch) + offset_of!(X86Cpu, fpu) + field) as u32,
        ty,
    }
}

/// The FOP of the instruction: the low three bits of its D8-DF byte and
/// the ModRM byte after it.
fn fop(raw: u32) -> u64 {
    let b = raw.to_le_bytes();
    let i = b
        .iter()
        .position(|x| (0xd8..=0xdf).contains(x))
        .unwrap_or(0);
    let modrm = b.get(i + 1).copied().unwrap_or(0);
    u64::from(b[i] & 7) << 8 | u64::from(modrm)
}

impl Cx<'_> {
    fn check_fpu(&self) -> LResult {
        if self.flags & tb_flags::FPU_TRAP != 0 {
            return Err(Fault::Nm);
        }
        Ok(())
    }

    /// The helper's location word: FOP, FIP and, with a memory operand,
    /// its segment register (bit 11 set, bits 14:12).
    fn fpu_loc(&mut self) -> Value {
        let mut loc = fop(self.raw) | u64::from(self.eip) << 32;
        if self.has_mem() {
            loc |= 0x800 | (self.mem_seg() as u64) << 12;
        }
        self.b.iconst(Type::I64, loc)
    }

    fn has_mem(&self) -> bool {
        (0..self.insn.op_count()).any(|i| self.insn.op_kind(i) == OpKind::Memory)
    }

    /// `b` with the memory operand's offset in bits 63:32 (for FDP).
    fn with_fdp(&mut self, low: Value) -> Value {
        if !self.has_mem() {
            return low;
        }
        let off = self.effective_offset();
        let off = self.b.zext(off, Type::I64);
        let s = self.b.iconst(Type::I64, 32);
        let hi = self.b.shl(off, s);
        let low = self.b.zext(low, Type::I64);
        self.b.or(hi, low)
    }

    /// Calls the helper with `code` and operands.
    fn fpu(&mut self, code: u64, a: Value, b: Value) -> Value {
        let c = self.b.iconst(Type::I64, code);
        let loc = self.fpu_loc();
        let b = self.with_fdp(b);
        let a = self.b.zext(a, Type::I64);
        self.b.call(X87, &[c, a, b, loc])
    }

    fn fpu0(&mut self, code: u64) -> Value {
        let z = self.b.iconst(Type::I64, 0);
        self.fpu(code, z, z)
    }

    /// The index of the ST(i) operand that is not ST(0) (or ST(0) when
    /// both are, or ST(1) when none is given).
    fn st_index(&self) -> u64 {
        let regs: Vec<u64> = (0..self.insn.op_count())
            .filter(|&i| self.insn.op_kind(i) == OpKind::Register)
            .map(|i| u64::from(self.insn.op_register(i) as u32 - Register::ST0 as u32))
            .collect();
        match regs.as_slice() {
            [] => 1,
            [i] => *i,
            [a, b] => {
                if *a == 0 {
                    *b
                } else {
                    *a
                }
            }
            _ => 1,
        }
    }

    /// Whether ST(0) is the destination of a two-register form.
    fn st0_is_dest(&self) -> bool {
        self.insn.op_count() < 2
            || self.insn.op_kind(0) != OpKind::Register
            || self.insn.op_register(0) == Register::ST0
    }

    /// Loads the memory operand for an x87 operation: (bits, kind).
    fn fpu_mem_value(&mut self) -> (Value, u64) {
        let a = self.ea();
        match self.insn.memory_size() {
            MemorySize::Float32 => (self.load(Type::I32, a), 0),
            MemorySize::Float64 => (self.load(Type::I64, a), 1),
            MemorySize::Int16 => {
                let v = self.load(Type::I16, a);
                (self.b.sext(v, Type::I64), 2)
            }
            MemorySize::Int32 => {
                let v = self.load(Type::I32, a);
                (self.b.sext(v, Type::I64), 2)
            }
            _ => (self.load(Type::I64, a), 2),
        }
    }
}

/// FLD, FILD, FBLD: push.
pub fn fld(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let z = cx.b.iconst(Type::I64, 0);
    if !cx.has_mem() {
        let i = cx.st_index();
        cx.fpu(op::PUSH_ST | i << 8, z, z);
        return Ok(());
    }
    let a = cx.ea();
    match cx.insn.memory_size() {
        MemorySize::Float80 | MemorySize::Bcd => {
            let lo = cx.load(Type::I64, a);
            let eight = cx.b.c32(8);
            let a8 = cx.b.add(a, eight);
            let hi = cx.load(Type::I16, a8);
            let hi = cx.b.zext(hi, Type::I64);
            let code = if cx.insn.memory_size() == MemorySize::Bcd {
                op::PUSH_MEM | 3 << 8
            } else {
                op::PUSH80
            };
            cx.fpu(code, lo, hi);
        }
        _ => {
            let (v, kind) = cx.fpu_mem_value();
            cx.fpu(op::PUSH_MEM | kind << 8, v, z);
        }
    }
    Ok(())
}

/// FST, FSTP, FIST, FISTP, FBSTP: to memory (computed, stored,
/// committed) or to ST(i).
pub fn fst(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let pop = u64::from(matches!(cx.insn.mnemonic(), M::Fstp | M::Fistp | M::Fbstp));
    if !cx.has_mem() {
        let i = cx.st_index();
        cx.fpu0(op::STORE_ST | (i | pop << 4) << 8);
        return Ok(());
    }
    let (kind, ty) = match cx.insn.memory_size() {
        MemorySize::Float32 => (0, Type::I32),
        MemorySize::Float64 => (1, Type::I64),
        MemorySize::Float80 => (2, Type::I64),
        MemorySize::Int16 => (3, Type::I16),
        MemorySize::Int32 => (4, Type::I32),
        MemorySize::Int64 => (5, Type::I64),
        _ => (6, Type::I64),
    };
    let v = cx.fpu0(op::STORE | (kind | pop << 4) << 8);
    let a = cx.ea();
    let ok = cx.b.get(fpu_slot(offset_of!(Fpu, store_ok), Type::I32));
    let zero = cx.b.c32(0);
    let skip = cx.b.cmp(crate::ir::Cmp::Eq, ok, zero);
    let l = cx.b.label();
    cx.b.branch_if(skip, l);
    if kind == 2 || kind == 6 {
        // Nothing changed yet: if a half faults, the instruction runs
        // again from the start and writes both.
        let hi = cx.b.get(fpu_slot(offset_of!(Fpu, out_hi), Type::I16));
        let eight = cx.b.c32(8);
        let a8 = cx.b.add(a, eight);
        cx.store(a8, hi);
    }
    let v = cx.b.zext(v, ty);
    cx.store(a, v);
    cx.b.place(l);
    cx.fpu0(op::COMMIT);
    Ok(())
}

/// FADD, FSUB, FSUBR, FMUL, FDIV, FDIVR and their P and I forms.
pub fn farith(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let k: u64 = match cx.insn.mnemonic() {
        M::Fadd | M::Faddp | M::Fiadd => 0,
        M::Fmul | M::Fmulp | M::Fimul => 1,
        M::Fsub | M::Fsubp | M::Fisub => 4,
        M::Fsubr | M::Fsubrp | M::Fisubr => 5,
        M::Fdiv | M::Fdivp | M::Fidiv => 6,
        _ => 7,
    };
    let popping = matches!(
        cx.insn.mnemonic(),
        M::Faddp | M::Fsubp | M::Fsubrp | M::Fmulp | M::Fdivp | M::Fdivrp
    );
    let z = cx.b.iconst(Type::I64, 0);
    if cx.has_mem() {
        let (v, kind) = cx.fpu_mem_value();
        cx.fpu(op::ARITH | (k | kind << 12) << 8, v, z);
        return Ok(());
    }
    let i = cx.st_index();
    let form = if popping {
        3
    } else if cx.st0_is_dest() {
        1
    } else {
        2
    };
    cx.fpu(op::ARITH | (k | form << 4 | i << 8) << 8, z, z);
    Ok(())
}

/// FCOM, FCOMP, FCOMPP, FUCOM*, FICOM*, FCOMI*, FUCOMI*.
pub fn fcom(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let m = cx.insn.mnemonic();
    let pops: u64 = match m {
        M::Fcompp | M::Fucompp => 2,
        M::Fcomp | M::Fucomp | M::Ficomp | M::Fcomip | M::Fucomip => 1,
        _ => 0,
    };
    let unordered = u64::from(matches!(
        m,
        M::Fucom | M::Fucomp | M::Fucompp | M::Fucomi | M::Fucomip
    ));
    let eflags = u64::from(matches!(m, M::Fcomi | M::Fcomip | M::Fucomi | M::Fucomip));
    let z = cx.b.iconst(Type::I64, 0);
    let param = pops << 4 | unordered << 6 | eflags << 7;
    if cx.has_mem() {
        let (v, kind) = cx.fpu_mem_value();
        cx.fpu(op::COMPARE | (param | 1 << 8 | kind << 12) << 8, v, z);
    } else {
        let i = cx.st_index();
        cx.fpu(op::COMPARE | (param | i) << 8, z, z);
    }
    Ok(())
}

/// FCMOVcc ST(0), ST(i).
pub fn fcmov(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let cc = match cx.insn.mnemonic() {
        M::Fcmovb => ConditionCode::b,
        M::Fcmove => ConditionCode::e,
        M::Fcmovbe => ConditionCode::be,
        M::Fcmovu => ConditionCode::p,
        M::Fcmovnb => ConditionCode::ae,
        M::Fcmovne => ConditionCode::ne,
        M::Fcmovnbe => ConditionCode::a,
        _ => ConditionCode::np,
    };
    let c = cx.cond(cc);
    let c = cx.b.zext(c, Type::I64);
    let i = cx.st_index();
    let z = cx.b.iconst(Type::I64, 0);
    cx.fpu(op::CMOV | i << 8, c, z);
    Ok(())
}

/// The one-operand instructions on ST(0).
pub fn funary(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let which = match cx.insn.mnemonic() {
        M::Fchs => unary::CHS,
        M::Fabs => unary::ABS,
        M::Ftst => unary::TST,
        M::Fxam => unary::XAM,
        M::Fsqrt => unary::SQRT,
        M::Frndint => unary::RNDINT,
        M::Fscale => unary::SCALE,
        M::Fxtract => unary::XTRACT,
        M::Fprem => unary::PREM,
        M::Fprem1 => unary::PREM1,
        M::F2xm1 => unary::F2XM1,
        M::Fyl2x => unary::YL2X,
        M::Fyl2xp1 => unary::YL2XP1,
        M::Fptan => unary::PTAN,
        M::Fpatan => unary::PATAN,
        M::Fsin => unary::SIN,
        M::Fcos => unary::COS,
        _ => unary::SINCOS,
    };
    cx.fpu0(op::UNARY | which << 8);
    Ok(())
}

/// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ.
pub fn fldconst(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let k: u64 = match cx.insn.mnemonic() {
        M::Fld1 => 0,
        M::Fldl2t => 1,
        M::Fldl2e => 2,
        M::Fldpi => 3,
        M::Fldlg2 => 4,
        M::Fldln2 => 5,
        _ => 6,
    };
    cx.fpu0(op::PUSH_CONST | k << 8);
    Ok(())
}

/// FXCH, FFREE, FFREEP, FINCSTP, FDECSTP, FNOP.
pub fn fstack(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let i = cx.st_index();
    let code = match cx.insn.mnemonic() {
        M::Fxch => op::XCH | i << 8,
        M::Ffree => op::FREE | i << 8,
        M::Ffreep => op::FREE | (i | 1 << 4) << 8,
        M::Fincstp => op::STP,
        M::Fdecstp => op::STP | 1 << 8,
        _ => op::NOP,
    };
    cx.fpu0(code);
    Ok(())
}

/// FNINIT/FINIT, FNCLEX/FCLEX.
pub fn fcontrol(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let code = match cx.insn.mnemonic() {
        M::Fninit | M::Finit => op::INIT,
        _ => op::CLEX,
    };
    // The waiting forms check for a pending exception first.
    if matches!(cx.insn.mnemonic(), M::Finit | M::Fclex) {
        cx.fpu0(op::WAIT);
    }
    cx.fpu0(code);
    Ok(())
}

/// FLDCW m16.
pub fn fldcw(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let a = cx.ea();
    let v = cx.load(Type::I16, a);
    let v = cx.b.zext(v, Type::I64);
    let z = cx.b.iconst(Type::I64, 0);
    cx.fpu(op::LDCW, v, z);
    Ok(())
}

/// FNSTCW/FSTCW m16, FNSTSW/FSTSW m16 or AX.
pub fn fstcw(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let m = cx.insn.mnemonic();
    if matches!(m, M::Fstcw | M::Fstsw) {
        cx.fpu0(op::WAIT);
    }
    let code = if matches!(m, M::Fnstcw | M::Fstcw) {
        op::STCW
    } else {
        op::STSW
    };
    let v = cx.fpu0(code);
    let v = cx.b.zext(v, Type::I16);
    cx.write(0, v);
    Ok(())
}

/// FNSTENV/FSTENV, FNSAVE/FSAVE, FLDENV, FRSTOR.
pub fn fenv(cx: &mut Cx) -> LResult {
    cx.check_fpu()?;
    let m = cx.insn.mnemonic();
    if cx.insn.memory_size() != MemorySize::FpuEnv28
        && cx.insn.memory_size() != MemorySize::FpuState108
    {
        // The 16-bit forms (14 and 94 bytes) are not supported.
        return Err(Fault::Ud);
    }
    if matches!(m, M::Fstenv | M::Fsave) {
        cx.fpu0(op::WAIT);
    }
    let code = match m {
        M::Fnstenv | M::Fstenv => op::STORE_ENV,
        M::Fnsave | M::Fsave => op::STORE_ENV | 1 << 8,
        M::Fldenv => op::LOAD_ENV,
        _ => op::LOAD_ENV | 1 << 8,
    };
    let a = cx.ea();
    let z = cx.b.iconst(Type::I64, 0);
    cx.fpu(code, a, z);
    if matches!(m, M::Fnstenv | M::Fstenv | M::Fnsave | M::Fsave) {
        cx.stores = true;
    }
    Ok(())
}

/// WAIT/FWAIT: #NM with MP and TS, else the pending-exception check.
pub fn fwait(cx: &mut Cx) -> LResult {
    if cx.flags & tb_flags::WAIT_TRAP != 0 {
        return Err(Fault::Nm);
    }
    cx.fpu0(op::WAIT);
    Ok(())
}
