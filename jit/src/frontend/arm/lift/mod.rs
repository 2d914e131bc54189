//! Lifting for both ARM instruction sets: one handler per line of the
//! A32 and T32 decode tables, grouped by instruction class; each class
//! module writes an instruction's semantics once and both instruction
//! sets' handlers decode their fields into it.
//!
//! Conventions: a handler reads registers through [`Ctx::reg`] (which gives
//! the PC as the instruction set reads it: the instruction's address + 8
//! in ARM state, + 4 in Thumb state), performs every memory access before
//! it writes any register (so a faulting access leaves the state as it was
//! before the instruction), and says how the instruction ends control flow
//! through [`End`]. Encodings the architecture calls UNPREDICTABLE are
//! lifted as undefined: the guest learns it at once instead of getting
//! arbitrary behaviour.
//!
//! IT blocks (Thumb): the CPSR's IT bits always hold the ITSTATE of the
//! next instruction to execute whenever control can leave the block — a
//! fault, a requested exit, the block's end — so an exception saves the
//! right ITSTATE in the SPSR and a block boundary anywhere inside an IT
//! block changes nothing. The lifter knows each instruction's ITSTATE when
//! it translates (it is part of the translation flags at the block's
//! start) and writes the bits only where they change.

use super::decode;
use super::helpers;
use super::reg_slot;
use super::slots;
use crate::ir::{Builder, Cmp, Endian, Helper, Label, MemAccess, Terminal, Type, Value};
use lockstep_runtime::arm::{bank, psr, sysreg, tb_flags, trap};

mod branch;
mod dp;
mod load_store;
mod media;
mod multiply;
mod neon;
mod system;
pub mod t32;
mod vfp;

pub use branch::*;
pub use dp::*;
pub use load_store::*;
pub use media::*;
pub use multiply::*;
pub use neon::*;
pub use system::*;
pub use vfp::*;

/// The softmmu table of User-mode accesses.
const USER_MMU_IDX: u8 = 1;

/// The encoding is undefined or UNPREDICTABLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undef;

/// How an instruction leaves the straight-line flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// It does not: the next instruction follows.
    Continue,
    /// A branch to a fixed address.
    Direct(u32),
    /// A branch to a fixed address taken when `cond` (an I8 0/1 computed
    /// by the instruction) is set (CBZ, CBNZ; never conditional itself).
    DirectIf { cond: Value, target: u32 },
    /// The PC slot holds the next PC (it may also have changed the T bit).
    Indirect,
    /// A trap.
    Trap { code: u32, arg: u32 },
    /// Wait for interrupt.
    Halt,
    /// A change of translation state (endianness): back to the run loop.
    Exit,
}

/// Lifting context for one instruction.
pub struct Ctx<'a> {
    /// The block being built.
    pub b: &'a mut Builder,
    /// Address of the instruction.
    pub pc: u32,
    /// Thumb state (T32) rather than ARM state (A32).
    pub thumb: bool,
    /// The instruction's size in bytes (4, or 2 for 16-bit Thumb).
    pub len: u32,
    /// Byte order of data accesses.
    pub endian: Endian,
    /// Softmmu table for the block's accesses.
    pub mmu_idx: u8,
    /// The processor mode the block was translated for.
    pub mode: u32,
    /// The block's translation flags (see `ArmCpu::tb_flags`).
    pub flags: u32,
    /// The ITSTATE the instruction executes under (0 outside IT blocks).
    pub itstate: u32,
    end: End,
    stores: bool,
    /// The instruction sets the IT bits itself (an exception return): the
    /// lifter must not write them after it.
    it_written: bool,
    /// IT: the ITSTATE it starts for the instructions after it.
    it_start: Option<u32>,
}

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn bit(w: u32, n: u32) -> bool {
    w >> n & 1 != 0
}

fn rn(w: u32) -> u32 {
    bits(w, 19, 16)
}
fn rd(w: u32) -> u32 {
    bits(w, 15, 12)
}
fn rs(w: u32) -> u32 {
    bits(w, 11, 8)
}
fn rm(w: u32) -> u32 {
    bits(w, 3, 0)
}

fn check(ok: bool) -> Result<(), Undef> {
    if ok {
        Ok(())
    } else {
        Err(Undef)
    }
}

impl<'a> Ctx<'a> {
    fn new(b: &'a mut Builder, pc: u32, thumb: bool, len: u32, flags: u32, mmu_idx: u8) -> Self {
        let endian = if flags & psr::E != 0 {
            Endian::Big
        } else {
            Endian::Little
        };
        Ctx {
            b,
            pc,
            thumb,
            len,
            endian,
            mmu_idx,
            mode: flags & psr::MODE,
            flags,
            itstate: 0,
            end: End::Continue,
            stores: false,
            it_written: false,
            it_start: None,
        }
    }

    /// The address of the next instruction.
    pub fn next_pc(&self) -> u32 {
        self.pc.wrapping_add(self.len)
    }
}

/// Lifts one A32 instruction. Returns the block's terminal if the
/// instruction ends the block.
pub fn lift_a32(b: &mut Builder, pc: u32, word: u32, flags: u32, mmu_idx: u8) -> Option<Terminal> {
    let start = b.len();
    let cond = word >> 28;
    let Some(handler) = decode::lookup(word)
        .map(|e| e.handler)
        .or_else(|| super::decode_vfp::lookup(word).map(|e| e.handler))
        .or_else(|| super::decode_neon::lookup(word).map(|e| e.handler))
    else {
        return Some(undefined_trap(word));
    };
    let mut cx = Ctx::new(b, pc, false, 4, flags, mmu_idx);
    let skip = (cond < 0xe).then(|| cx.skip_unless(cond));
    let body = cx.b.len();
    if handler(&mut cx, word).is_err() {
        cx.b.truncate(start);
        return Some(undefined_trap(word));
    }
    finish(&mut cx, cond, skip, start, body, None)
}

impl Ctx<'_> {
    /// Branches over the instruction's body unless `cond` holds.
    fn skip_unless(&mut self, cond: u32) -> Label {
        // Condition codes come in pairs: cond ^ 1 is the inverse.
        let not_c = self.cond(cond ^ 1);
        let l = self.b.label();
        self.b.branch_if(not_c, l);
        l
    }

    /// Writes the CPSR's IT bits (the ITSTATE of the next instruction).
    fn write_itstate(&mut self, it: u32) {
        let rest = self.b.get(slots::CPSR_REST);
        let keep = self.b.c32(!psr::IT_MASK);
        let mut v = self.b.and(rest, keep);
        if it != 0 {
            let set = self.b.c32(psr::it_bits(it));
            v = self.b.or(v, set);
        }
        self.b.set(slots::CPSR_REST, v);
    }
}

/// The end of a lifted instruction whose body the handler emitted: its
/// condition (`cond`, with `skip` the label past the body when it is not
/// AL), the exit a store may need, the IT bits (`it_after`: the next
/// instruction's ITSTATE, when it must be written) and the terminal.
fn finish(
    cx: &mut Ctx,
    cond: u32,
    skip: Option<Label>,
    start: usize,
    body: usize,
    it_after: Option<u32>,
) -> Option<Terminal> {
    let it_after = it_after.filter(|_| !cx.it_written);
    if skip.is_some() && cx.b.len() == body && !matches!(cx.end, End::Indirect) {
        // Nothing to skip (a plain conditional branch, trap or hint): drop
        // the test; the terminal evaluates the condition itself.
        cx.b.truncate(start);
        if let Some(it) = it_after {
            cx.write_itstate(it);
        }
        if matches!(cx.end, End::Continue) {
            return None;
        }
        return Some(conditional_terminal(cx, cond));
    }
    let next = cx.next_pc();
    let (end, stores) = (cx.end, cx.stores);
    if !matches!(end, End::Indirect) {
        // Both paths (body done, or skipped) meet here.
        if let Some(l) = skip {
            cx.b.place(l);
        }
        if let Some(it) = it_after {
            cx.write_itstate(it);
        }
    }
    match end {
        End::Continue => {
            if stores {
                cx.b.exit_if_requested(u64::from(next));
            }
            None
        }
        End::Direct(target) if skip.is_some() => {
            let c = cx.cond(cond);
            Some(Terminal::Branch {
                cond: c,
                taken: u64::from(target),
                not_taken: u64::from(next),
            })
        }
        End::Direct(target) => Some(Terminal::Jump {
            target: u64::from(target),
        }),
        End::DirectIf { cond, target } => Some(Terminal::Branch {
            cond,
            taken: u64::from(target),
            not_taken: u64::from(next),
        }),
        End::Indirect => {
            if let Some(l) = skip {
                let join = cx.b.label();
                cx.b.jump(join);
                cx.b.place(l);
                let n = cx.b.c32(next);
                cx.b.set(slots::PC, n);
                cx.b.place(join);
            }
            if let Some(it) = it_after {
                cx.write_itstate(it);
            }
            let t = cx.b.get(slots::PC);
            Some(Terminal::Indirect { target: t })
        }
        End::Trap { code, arg } => Some(Terminal::Trap {
            code,
            arg,
            credited: true,
            when: skip.map(|_| cx.cond(cond)),
        }),
        End::Halt => Some(Terminal::Halt {
            next_pc: u64::from(next),
            when: skip.map(|_| cx.cond(cond)),
        }),
        End::Exit => Some(Terminal::Exit {
            next_pc: u64::from(next),
        }),
    }
}

/// The terminal of a conditional instruction that emitted no ops.
fn conditional_terminal(cx: &mut Ctx, cond: u32) -> Terminal {
    let next = u64::from(cx.next_pc());
    let c = cx.cond(cond);
    match cx.end {
        End::Direct(target) => Terminal::Branch {
            cond: c,
            taken: u64::from(target),
            not_taken: next,
        },
        End::Trap { code, arg } => Terminal::Trap {
            code,
            arg,
            credited: true,
            when: Some(c),
        },
        End::Halt => Terminal::Halt {
            next_pc: next,
            when: Some(c),
        },
        End::Exit => Terminal::Exit { next_pc: next },
        End::Continue | End::Indirect | End::DirectIf { .. } => {
            unreachable!("handled by the caller")
        }
    }
}

/// The terminal of an undefined instruction (not credited).
pub fn undefined_trap(word: u32) -> Terminal {
    Terminal::Trap {
        code: trap::UNDEFINED,
        arg: word,
        credited: false,
        when: None,
    }
}

impl Ctx<'_> {
    /// Reads register `r` (for r15: the instruction's address + 8 in ARM
    /// state, + 4 in Thumb state).
    pub fn reg(&mut self, r: u32) -> Value {
        if r == 15 {
            let v = self.pc_value();
            self.b.c32(v)
        } else {
            self.b.get(reg_slot(r))
        }
    }

    /// The value the PC reads as.
    pub fn pc_value(&self) -> u32 {
        self.pc.wrapping_add(if self.thumb { 4 } else { 8 })
    }

    /// Align(PC, 4): the base of Thumb's PC-relative loads and ADR.
    pub fn pc_aligned(&self) -> u32 {
        self.pc_value() & !3
    }

    /// True in a mode other than User.
    fn privileged(&self) -> bool {
        self.mode != psr::MODE_USR
    }

    /// The SPSR slot of the current mode (UNPREDICTABLE in User and System
    /// mode, which have none).
    fn spsr_slot(&self) -> Result<crate::ir::Slot, Undef> {
        match bank(self.mode) {
            Some(b) if b > 0 => Ok(super::spsr_slot(b)),
            _ => Err(Undef),
        }
    }

    /// An exception return to `target`: CPSR from the SPSR, then the PC.
    fn exception_return(&mut self, target: Value) -> Result<(), Undef> {
        self.spsr_slot()?;
        self.call(helpers::EXCEPTION_RETURN, &[target]);
        self.end = End::Indirect;
        self.it_written = true;
        Ok(())
    }

    /// Writes register `r`, which must not be the PC.
    fn set_reg(&mut self, r: u32, v: Value) {
        debug_assert!(r != 15);
        self.b.set(reg_slot(r), v);
    }

    /// Writes `r` with the result of a data-processing instruction: a
    /// write to the PC interworks in ARM state (ALUWritePC, as ARMv7
    /// defines it there) and is a plain branch in Thumb state.
    fn alu_write(&mut self, r: u32, v: Value) {
        match (r, self.thumb) {
            (15, false) => self.bx_write_pc(v),
            (15, true) => self.branch_write_pc(v),
            _ => self.set_reg(r, v),
        }
    }

    /// Writes `r` with a loaded value: a write to the PC interworks in
    /// both instruction sets (LoadWritePC).
    fn load_write(&mut self, r: u32, v: Value) {
        if r == 15 {
            self.bx_write_pc(v);
        } else {
            self.set_reg(r, v);
        }
    }

    /// A branch to `v` in the current instruction set (BranchWritePC).
    fn branch_write_pc(&mut self, v: Value) {
        let mask = self.b.c32(if self.thumb { !1 } else { !3 });
        let pc = self.b.and(v, mask);
        self.b.set(slots::PC, pc);
        self.end = End::Indirect;
    }

    fn bx_write_pc(&mut self, v: Value) {
        let one = self.b.c32(1);
        let t = self.b.and(v, one);
        let rest = self.b.get(slots::CPSR_REST);
        let keep = self.b.c32(!psr::T);
        let rest = self.b.and(rest, keep);
        let five = self.b.c32(5);
        let tbit = self.b.shl(t, five);
        let rest = self.b.or(rest, tbit);
        self.b.set(slots::CPSR_REST, rest);
        let mask = self.b.c32(!1);
        let pc = self.b.and(v, mask);
        self.b.set(slots::PC, pc);
        self.end = End::Indirect;
    }

    fn flag(&mut self, slot: crate::ir::Slot) -> Value {
        let f = self.b.get(slot);
        let zero = self.b.c32(0);
        self.b.cmp(Cmp::Ne, f, zero)
    }

    /// The condition `cond` (0–13) as an I8 0/1.
    pub fn cond(&mut self, cond: u32) -> Value {
        let zero = self.b.c32(0);
        let invert = cond & 1 != 0;
        let pick = |c: Cmp, inv: Cmp| if invert { inv } else { c };
        match cond >> 1 {
            0 => {
                let z = self.b.get(slots::ZF);
                self.b.cmp(pick(Cmp::Eq, Cmp::Ne), z, zero)
            }
            1 => {
                let c = self.b.get(slots::CF);
                self.b.cmp(pick(Cmp::Ne, Cmp::Eq), c, zero)
            }
            2 => {
                let n = self.b.get(slots::NF);
                self.b.cmp(pick(Cmp::Slt, Cmp::Sge), n, zero)
            }
            3 => {
                let v = self.b.get(slots::VF);
                self.b.cmp(pick(Cmp::Ne, Cmp::Eq), v, zero)
            }
            4 => {
                // HI: C set and Z clear; LS: C clear or Z set.
                let c = self.b.get(slots::CF);
                let z = self.b.get(slots::ZF);
                let a = self.b.cmp(pick(Cmp::Ne, Cmp::Eq), c, zero);
                let b = self.b.cmp(pick(Cmp::Ne, Cmp::Eq), z, zero);
                if invert {
                    self.b.or(a, b)
                } else {
                    self.b.and(a, b)
                }
            }
            5 => {
                let (n, v) = self.n_and_v();
                self.b.cmp(pick(Cmp::Eq, Cmp::Ne), n, v)
            }
            _ => {
                // GT: Z clear and N == V; LE: Z set or N != V.
                let z = self.b.get(slots::ZF);
                let a = self.b.cmp(pick(Cmp::Ne, Cmp::Eq), z, zero);
                let (n, v) = self.n_and_v();
                let b = self.b.cmp(pick(Cmp::Eq, Cmp::Ne), n, v);
                if invert {
                    self.b.or(a, b)
                } else {
                    self.b.and(a, b)
                }
            }
        }
    }

    /// N as 0/1, and V, for comparing them.
    fn n_and_v(&mut self) -> (Value, Value) {
        let n = self.b.get(slots::NF);
        let c31 = self.b.c32(31);
        let n = self.b.lshr(n, c31);
        let v = self.b.get(slots::VF);
        (n, v)
    }

    fn set_flag(&mut self, slot: crate::ir::Slot, v: Value) {
        let v = self.b.zext(v, Type::I32);
        self.b.set(slot, v);
    }

    /// N and Z from a 32-bit result (see `ArmCpu::nf`/`zf`).
    fn set_nz(&mut self, v: Value) {
        self.b.set(slots::NF, v);
        self.b.set(slots::ZF, v);
    }

    /// N and Z from a 64-bit result.
    fn set_nz64(&mut self, v: Value) {
        let c32 = self.b.iconst(Type::I64, 32);
        let hi = self.b.lshr(v, c32);
        let hi = self.b.zext(hi, Type::I32);
        let lo = self.b.zext(v, Type::I32);
        self.b.set(slots::NF, hi);
        let any = self.b.or(hi, lo);
        self.b.set(slots::ZF, any);
    }

    /// Ors `v` (I8 0/1) into the Q flag.
    fn or_q(&mut self, v: Value) {
        let q = self.b.get(slots::QF);
        let v = self.b.zext(v, Type::I32);
        let q = self.b.or(q, v);
        self.b.set(slots::QF, q);
    }

    fn access(&self, size: u8, signed: bool, align: u8) -> MemAccess {
        // With SCTLR.A set, every access must be aligned to its size.
        let align = if self.flags & tb_flags::STRICT_ALIGN != 0 {
            align.max(size)
        } else {
            align
        };
        MemAccess {
            size,
            signed,
            endian: self.endian,
            align,
            mmu_idx: None,
        }
    }

    /// A load or store with User-mode permissions (LDRT and friends).
    fn load_user(&mut self, addr: Value, size: u8, signed: bool) -> Value {
        let mut a = self.access(size, signed, 1);
        a.mmu_idx = Some(USER_MMU_IDX);
        self.b.load(Type::I32, addr, a)
    }

    fn store_user(&mut self, addr: Value, v: Value, size: u8) {
        let mut a = self.access(size, false, 1);
        a.mmu_idx = Some(USER_MMU_IDX);
        self.b.store(addr, v, a);
        self.stores = true;
    }

    fn load(&mut self, addr: Value, size: u8, signed: bool, align: u8) -> Value {
        let a = self.access(size, signed, align);
        self.b.load(Type::I32, addr, a)
    }

    fn store(&mut self, addr: Value, v: Value, size: u8, align: u8) {
        let a = self.access(size, false, align);
        self.b.store(addr, v, a);
        self.stores = true;
    }

    fn call(&mut self, h: Helper, args: &[Value]) -> Value {
        let args: Vec<Value> = args.iter().map(|&a| self.b.zext(a, Type::I64)).collect();
        let r = self.b.call(h, &args);
        self.b.zext(r, Type::I32)
    }

    /// `value` shifted by an immediate, as the A32 shifter does it, with
    /// the shifter's carry-out when `want_carry`.
    fn shift_imm(
        &mut self,
        v: Value,
        ty: u32,
        imm: u32,
        want_carry: bool,
    ) -> (Value, Option<Value>) {
        let b = &mut *self.b;
        let c31 = b.c32(31);
        let one = b.c32(1);
        match (ty, imm) {
            (0, 0) => {
                let c = want_carry.then(|| b.get(slots::CF));
                (v, c)
            }
            (0, n) => {
                let s = b.c32(n);
                let r = b.shl(v, s);
                let c = want_carry.then(|| {
                    let s = b.c32(32 - n);
                    let t = b.lshr(v, s);
                    b.and(t, one)
                });
                (r, c)
            }
            (1, 0) => {
                let r = b.c32(0);
                let c = want_carry.then(|| b.lshr(v, c31));
                (r, c)
            }
            (1, n) | (2, n) if n != 0 || ty == 2 => {
                let n = if n == 0 { 32 } else { n };
                let r = if ty == 1 {
                    let s = b.c32(n);
                    b.lshr(v, s)
                } else {
                    let s = b.c32(n.min(31));
                    b.ashr(v, s)
                };
                let c = want_carry.then(|| {
                    let s = b.c32(n - 1);
                    let t = b.lshr(v, s);
                    b.and(t, one)
                });
                (r, c)
            }
            (_, 0) => {
                // RRX.
                let cf = b.get(slots::CF);
                let top = b.shl(cf, c31);
                let low = b.lshr(v, one);
                let r = b.or(top, low);
                let c = want_carry.then(|| b.and(v, one));
                (r, c)
            }
            (_, n) => {
                let s = b.c32(n);
                let r = b.rotr(v, s);
                let c = want_carry.then(|| b.lshr(r, c31));
                (r, c)
            }
        }
    }

    /// `value` shifted by the bottom byte of a register.
    fn shift_reg(
        &mut self,
        v: Value,
        ty: u32,
        amount: Value,
        want_carry: bool,
    ) -> (Value, Option<Value>) {
        let b = &mut *self.b;
        let ff = b.c32(0xff);
        let amt = b.and(amount, ff);
        let zero = b.c32(0);
        let is_zero = b.cmp(Cmp::Eq, amt, zero);
        if ty == 3 {
            let r = b.rotr(v, amt);
            let c = want_carry.then(|| {
                let c31 = b.c32(31);
                let top = b.lshr(r, c31);
                let cf = b.get(slots::CF);
                b.select(is_zero, cf, top)
            });
            return (r, c);
        }
        // Shift a 64-bit image so that amounts of 32 and more, and the bit
        // shifted out last, fall out of plain 64-bit shifts.
        let c33 = b.c32(33);
        let big = b.cmp(Cmp::Ugt, amt, c33);
        let a = b.select(big, c33, amt);
        let a = b.zext(a, Type::I64);
        let one64 = b.iconst(Type::I64, 1);
        let c32_64 = b.iconst(Type::I64, 32);
        let (r, c) = match ty {
            0 => {
                let v64 = b.zext(v, Type::I64);
                let y = b.shl(v64, a);
                let r = b.zext(y, Type::I32);
                let hi = b.lshr(y, c32_64);
                let c = b.and(hi, one64);
                (r, c)
            }
            _ => {
                let v64 = if ty == 1 {
                    b.zext(v, Type::I64)
                } else {
                    b.sext(v, Type::I64)
                };
                let x = b.shl(v64, one64);
                let y = if ty == 1 { b.lshr(x, a) } else { b.ashr(x, a) };
                let c = b.and(y, one64);
                let r = b.lshr(y, one64);
                let r = b.zext(r, Type::I32);
                (r, c)
            }
        };
        let c = want_carry.then(|| {
            let c = b.zext(c, Type::I32);
            let cf = b.get(slots::CF);
            b.select(is_zero, cf, c)
        });
        (r, c)
    }

    /// Stores the flags of `a + b + carry_in` and returns the sum.
    fn add_with_carry(&mut self, a: Value, b: Value, carry_in: Value, set_flags: bool) -> Value {
        let cin = self.b.zext(carry_in, Type::I32);
        let s = self.b.add(a, b);
        let sum = self.b.add(s, cin);
        if set_flags {
            let cin8 = self.b.zext(carry_in, Type::I8);
            let c = self.b.add_carry(a, b, cin8);
            let v = self.b.add_overflow(a, b, cin8);
            self.set_nz(sum);
            self.set_flag(slots::CF, c);
            self.set_flag(slots::VF, v);
        }
        sum
    }

    /// `a + b` with the flags of ADD: the same as `add_with_carry` with a
    /// zero carry-in, in the shape hosts compute cheaply.
    fn add_flags(&mut self, a: Value, b: Value, set_flags: bool) -> Value {
        let sum = self.b.add(a, b);
        if set_flags {
            let c = self.b.cmp(Cmp::Ult, sum, a);
            // Overflow: both operands differ in sign from the result.
            let x = self.b.xor(a, sum);
            let y = self.b.xor(b, sum);
            self.set_arith_flags(sum, c, x, y);
        }
        sum
    }

    /// `a - b` with the flags of SUB (carry = no borrow).
    fn sub_flags(&mut self, a: Value, b: Value, set_flags: bool) -> Value {
        let diff = self.b.sub(a, b);
        if set_flags {
            let c = self.b.cmp(Cmp::Uge, a, b);
            // Overflow: the operands differ in sign and the result's sign
            // differs from the minuend's.
            let x = self.b.xor(a, b);
            let y = self.b.xor(a, diff);
            self.set_arith_flags(diff, c, x, y);
        }
        diff
    }

    /// N and Z from `result`, C from `carry` (I8 0/1), V from the top bit
    /// of `x & y`.
    fn set_arith_flags(&mut self, result: Value, carry: Value, x: Value, y: Value) {
        self.set_nz(result);
        self.set_flag(slots::CF, carry);
        let v = self.b.and(x, y);
        let c31 = self.b.c32(31);
        let v = self.b.lshr(v, c31);
        self.b.set(slots::VF, v);
    }
}

/// Writes the 64-bit `v` to the registers `lo` (low word) and `hi`.
fn split64(cx: &mut Ctx, v: Value, lo: u32, hi: u32) {
    let l = cx.b.zext(v, Type::I32);
    let c32 = cx.b.iconst(Type::I64, 32);
    let h = cx.b.lshr(v, c32);
    let h = cx.b.zext(h, Type::I32);
    cx.set_reg(lo, l);
    cx.set_reg(hi, h);
}

/// The 64-bit value of the registers `lo` (low word) and `hi`.
fn join64(cx: &mut Ctx, lo: u32, hi: u32) -> Value {
    let l = cx.reg(lo);
    let h = cx.reg(hi);
    let l = cx.b.zext(l, Type::I64);
    let h = cx.b.zext(h, Type::I64);
    let c32 = cx.b.iconst(Type::I64, 32);
    let h = cx.b.shl(h, c32);
    cx.b.or(h, l)
}
