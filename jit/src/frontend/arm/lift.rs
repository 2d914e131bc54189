//! A32 lifting: one handler per line of the decode table.
//!
//! Conventions: a handler reads registers through [`Ctx::reg`] (which gives
//! PC+8 for r15, as A32 reads it), performs every memory access before it
//! writes any register (so a faulting access leaves the state as it was
//! before the instruction), and says how the instruction ends control flow
//! through [`End`]. Encodings the architecture calls UNPREDICTABLE are
//! lifted as undefined: the guest learns it at once instead of getting
//! arbitrary behaviour.

use super::decode;
use super::helpers;
use super::reg_slot;
use super::slots;
use crate::ir::{Builder, Cmp, Endian, Helper, MemAccess, Terminal, Type, Value};
use lockstep_runtime::arm::{bank, psr, sysreg, tb_flags, trap};

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
    /// Byte order of data accesses.
    pub endian: Endian,
    /// Softmmu table for the block's accesses.
    pub mmu_idx: u8,
    /// The processor mode the block was translated for.
    pub mode: u32,
    /// The block's translation flags (see `ArmCpu::tb_flags`).
    pub flags: u32,
    end: End,
    stores: bool,
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

/// Lifts one instruction. Returns the block's terminal if the instruction
/// ends the block.
pub fn lift(b: &mut Builder, pc: u32, word: u32, flags: u32, mmu_idx: u8) -> Option<Terminal> {
    let big_endian = flags & psr::E != 0;
    let mode = flags & psr::MODE;
    let start = b.len();
    let cond = word >> 28;
    let endian = if big_endian {
        Endian::Big
    } else {
        Endian::Little
    };
    let Some(enc) = decode::lookup(word) else {
        return Some(undefined_trap(word));
    };
    let mut cx = Ctx {
        b,
        pc,
        endian,
        mmu_idx,
        mode,
        flags,
        end: End::Continue,
        stores: false,
    };
    let skip = if cond < 0xe {
        // Condition codes come in pairs: cond ^ 1 is the inverse.
        let not_c = cx.cond(cond ^ 1);
        let l = cx.b.label();
        cx.b.branch_if(not_c, l);
        Some(l)
    } else {
        None
    };
    let body = cx.b.len();
    if (enc.handler)(&mut cx, word).is_err() {
        cx.b.truncate(start);
        return Some(undefined_trap(word));
    }
    if skip.is_some() && cx.b.len() == body && !matches!(cx.end, End::Indirect) {
        // Nothing to skip (a plain conditional branch, trap or hint): drop
        // the test; the terminal evaluates the condition itself.
        cx.b.truncate(start);
        if matches!(cx.end, End::Continue) {
            return None;
        }
        return Some(conditional_terminal(&mut cx, cond, pc));
    }
    let next = pc.wrapping_add(4);
    let (end, stores) = (cx.end, cx.stores);
    match (end, skip) {
        (End::Continue, _) => {
            if let Some(l) = skip {
                cx.b.place(l);
            }
            if stores {
                cx.b.exit_if_requested(u64::from(next));
            }
            None
        }
        (End::Direct(target), None) => Some(Terminal::Jump {
            target: u64::from(target),
        }),
        (End::Direct(target), Some(l)) => {
            cx.b.place(l);
            let c = cx.cond(cond);
            Some(Terminal::Branch {
                cond: c,
                taken: u64::from(target),
                not_taken: u64::from(next),
            })
        }
        (End::Indirect, _) => {
            if let Some(l) = skip {
                let join = cx.b.label();
                cx.b.jump(join);
                cx.b.place(l);
                let n = cx.b.c32(next);
                cx.b.set(slots::PC, n);
                cx.b.place(join);
            }
            let t = cx.b.get(slots::PC);
            Some(Terminal::Indirect { target: t })
        }
        (End::Trap { code, arg }, _) => {
            let when = skip.map(|l| {
                cx.b.place(l);
                cx.cond(cond)
            });
            Some(Terminal::Trap {
                code,
                arg,
                credited: true,
                when,
            })
        }
        (End::Halt, _) => {
            let when = skip.map(|l| {
                cx.b.place(l);
                cx.cond(cond)
            });
            Some(Terminal::Halt {
                next_pc: u64::from(next),
                when,
            })
        }
        (End::Exit, _) => {
            if let Some(l) = skip {
                cx.b.place(l);
            }
            Some(Terminal::Exit {
                next_pc: u64::from(next),
            })
        }
    }
}

/// The terminal of a conditional instruction that emitted no ops.
fn conditional_terminal(cx: &mut Ctx, cond: u32, pc: u32) -> Terminal {
    let next = u64::from(pc.wrapping_add(4));
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
        End::Continue | End::Indirect => unreachable!("handled by the caller"),
    }
}

fn undefined_trap(word: u32) -> Terminal {
    Terminal::Trap {
        code: trap::UNDEFINED,
        arg: word,
        credited: false,
        when: None,
    }
}

impl Ctx<'_> {
    /// Reads register `r` (PC+8 for r15).
    pub fn reg(&mut self, r: u32) -> Value {
        if r == 15 {
            self.b.c32(self.pc.wrapping_add(8))
        } else {
            self.b.get(reg_slot(r))
        }
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
        Ok(())
    }

    /// Writes register `r`, which must not be the PC.
    fn set_reg(&mut self, r: u32, v: Value) {
        debug_assert!(r != 15);
        self.b.set(reg_slot(r), v);
    }

    /// Writes `r` with a value that may be a branch target: a write to the
    /// PC interworks (bit 0 selects Thumb), as BXWritePC/LoadWritePC and
    /// ARMv7's ALUWritePC in ARM state do.
    fn set_reg_or_pc(&mut self, r: u32, v: Value) {
        if r == 15 {
            self.bx_write_pc(v);
        } else {
            self.set_reg(r, v);
        }
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

// ---------------------------------------------------------------------------
// Branches and traps.

fn branch_offset(w: u32) -> u32 {
    (((w & 0x00ff_ffff) << 8) as i32 >> 6) as u32
}

/// B: branch.
pub fn b(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.end = End::Direct(cx.pc.wrapping_add(8).wrapping_add(branch_offset(w)));
    Ok(())
}

/// BL: branch with link.
pub fn bl(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let lr = cx.b.c32(cx.pc.wrapping_add(4));
    cx.set_reg(14, lr);
    b(cx, w)
}

/// BLX (immediate): branch with link and switch to Thumb.
pub fn blx_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let lr = cx.b.c32(cx.pc.wrapping_add(4));
    cx.set_reg(14, lr);
    let target = cx
        .pc
        .wrapping_add(8)
        .wrapping_add(branch_offset(w))
        .wrapping_add(bits(w, 24, 24) << 1);
    let t = cx.b.c32(target | 1);
    cx.bx_write_pc(t);
    Ok(())
}

/// BX, BXJ: branch and exchange.
pub fn bx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let v = cx.reg(rm(w));
    cx.bx_write_pc(v);
    Ok(())
}

/// BLX (register).
pub fn blx_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rm(w) != 15)?;
    let v = cx.reg(rm(w));
    let lr = cx.b.c32(cx.pc.wrapping_add(4));
    cx.set_reg(14, lr);
    cx.bx_write_pc(v);
    Ok(())
}

/// SVC: supervisor call.
pub fn svc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.end = End::Trap {
        code: trap::SVC,
        arg: w & 0x00ff_ffff,
    };
    Ok(())
}

/// BKPT: breakpoint (unconditional by definition).
pub fn bkpt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(w >> 28 == 0xe)?;
    cx.end = End::Trap {
        code: trap::BKPT,
        arg: bits(w, 19, 8) << 4 | rm(w),
    };
    Ok(())
}

/// HVC: a hypervisor call. There is no Hyp mode: the machine's firmware
/// answers it (PSCI), as QEMU's `virt` does; credited like SVC.
pub fn hvc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(w >> 28 == 0xe && cx.privileged())?;
    cx.end = End::Trap {
        code: trap::HVC,
        arg: bits(w, 19, 8) << 4 | rm(w),
    };
    Ok(())
}

/// WFI: wait for interrupt.
pub fn wfi(cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    cx.end = End::Halt;
    Ok(())
}

/// Hints with no architectural effect on a single core: NOP, YIELD, WFE
/// and SEV (the event register is not modelled yet), DBG, PLD, PLI, and
/// the barriers.
pub fn hint(_cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    Ok(())
}

/// Lines of the table that name unallocated or undefined space.
pub fn undefined(_cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    Err(Undef)
}

/// SETEND: select the data byte order.
pub fn setend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let rest = cx.b.get(slots::CPSR_REST);
    let v = if bit(w, 9) {
        let e = cx.b.c32(psr::E);
        cx.b.or(rest, e)
    } else {
        let e = cx.b.c32(!psr::E);
        cx.b.and(rest, e)
    };
    cx.b.set(slots::CPSR_REST, v);
    cx.end = End::Exit;
    Ok(())
}

/// CLREX: clear the exclusive monitor.
pub fn clrex(cx: &mut Ctx, _w: u32) -> Result<(), Undef> {
    let open = cx.b.iconst(Type::I64, u64::MAX);
    cx.b.set(slots::EXCL_ADDR, open);
    Ok(())
}

// ---------------------------------------------------------------------------
// Status register access.

/// MRS: read the APSR (the CPSR without its execution-state bits).
pub fn mrs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    if bit(w, 22) {
        let slot = cx.spsr_slot()?;
        let v = cx.b.get(slot);
        cx.set_reg(rd(w), v);
        return Ok(());
    }
    let b = &mut *cx.b;
    let mut acc = b.get(slots::CPSR_REST);
    let not_t = b.c32(!psr::T);
    acc = b.and(acc, not_t);
    let n = b.get(slots::NF);
    let nmask = b.c32(psr::N);
    let n = b.and(n, nmask);
    acc = b.or(acc, n);
    let z = b.get(slots::ZF);
    let zero = b.c32(0);
    let z = b.cmp(Cmp::Eq, z, zero);
    let z = b.zext(z, Type::I32);
    let c30 = b.c32(30);
    let z = b.shl(z, c30);
    acc = b.or(acc, z);
    for (slot, shift) in [
        (slots::CF, 29),
        (slots::VF, 28),
        (slots::QF, 27),
        (slots::GE, 16),
    ] {
        let f = b.get(slot);
        let s = b.c32(shift);
        let f = b.shl(f, s);
        acc = b.or(acc, f);
    }
    cx.set_reg(rd(w), acc);
    Ok(())
}

fn write_apsr(cx: &mut Ctx, mask: u32, v: Value) {
    let b = &mut *cx.b;
    let one = b.c32(1);
    if mask & 2 != 0 {
        b.set(slots::NF, v);
        // Z is set when bit 30 is: keep a word that is zero exactly then.
        let nv = b.not(v);
        let zbit = b.c32(psr::Z);
        let z = b.and(nv, zbit);
        b.set(slots::ZF, z);
        for (slot, shift) in [(slots::CF, 29), (slots::VF, 28), (slots::QF, 27)] {
            let s = b.c32(shift);
            let f = b.lshr(v, s);
            let f = b.and(f, one);
            b.set(slot, f);
        }
    }
    if mask & 1 != 0 {
        let s = b.c32(16);
        let f = b.lshr(v, s);
        let m = b.c32(0xf);
        let f = b.and(f, m);
        b.set(slots::GE, f);
    }
}

/// The common part of MSR: write `v` to the CPSR or SPSR fields selected
/// by bits 19:16 (f, s, x, c).
fn msr(cx: &mut Ctx, w: u32, v: Value) -> Result<(), Undef> {
    let fields = bits(w, 19, 16);
    check(fields != 0)?;
    let byte_mask = (0..4)
        .filter(|i| fields & (1 << i) != 0)
        .fold(0u32, |m, i| m | 0xff << (8 * i));
    if bit(w, 22) {
        let slot = cx.spsr_slot()?;
        let old = cx.b.get(slot);
        let keep = cx.b.c32(!byte_mask);
        let kept = cx.b.and(old, keep);
        let m = cx.b.c32(byte_mask);
        let new = cx.b.and(v, m);
        let x = cx.b.or(kept, new);
        cx.b.set(slot, x);
        return Ok(());
    }
    if cx.privileged() && fields & 3 != 0 {
        // Control or extension field: mode and masks may change, so the
        // block ends and translation starts again in the new state.
        let m = cx.b.c32(byte_mask);
        cx.call(helpers::WRITE_CPSR, &[v, m]);
        cx.end = End::Exit;
        return Ok(());
    }
    // User mode writes only the flags (writes to other fields are ignored).
    write_apsr(cx, fields >> 2, v);
    Ok(())
}

/// MSR (register).
pub fn msr_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rm(w) != 15)?;
    let v = cx.reg(rm(w));
    msr(cx, w, v)
}

/// MSR (immediate).
pub fn msr_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let imm = (w & 0xff).rotate_right(2 * bits(w, 11, 8));
    let v = cx.b.c32(imm);
    msr(cx, w, v)
}

/// CPS: change the interrupt masks and/or the mode (a NOP in User mode).
pub fn cps(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let imod = bits(w, 19, 18);
    let change_mode = bit(w, 17);
    // imod 01 is reserved; imod 00 must change the mode; without an
    // effect the A/I/F bits must be zero.
    let reserved = imod == 1;
    let nothing = imod == 0 && !change_mode;
    let stray_flags = imod < 2 && bits(w, 8, 6) != 0;
    check(!reserved && !nothing && !stray_flags)?;
    if !cx.privileged() {
        return Ok(());
    }
    let arg = cx.b.c32(w & 0x000f_ffff);
    cx.call(helpers::CPS, &[arg]);
    cx.end = End::Exit;
    Ok(())
}

/// The CNTKCTL bits the block was translated with (User mode only).
fn pl0_timer_bits(cx: &Ctx) -> u32 {
    cx.flags >> tb_flags::CNTKCTL_SHIFT & tb_flags::CNTKCTL_PL0_MASK
}

/// Checks that `reg` may be accessed this way in the block's mode.
fn sysreg_allowed(cx: &Ctx, reg: &sysreg::SysReg, write: bool) -> Result<(), Undef> {
    check(if write { reg.write } else { reg.read })?;
    check(cx.privileged() || reg.pl0_allows(write, pl0_timer_bits(cx)))
}

/// MRC/MCR to CP14 and CP15: the system registers of `sysreg`'s table.
/// Anything else is UNDEFINED, as on hardware without the register.
pub fn coproc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let read = bit(w, 20);
    let t = rd(w);
    check(t != 15)?;
    let reg = sysreg::lookup32(
        bits(w, 11, 8),
        bits(w, 23, 21),
        bits(w, 19, 16),
        bits(w, 3, 0),
        bits(w, 7, 5),
    )
    .ok_or(Undef)?;
    sysreg_allowed(cx, &reg, !read)?;
    match (reg.kind, read) {
        (sysreg::Kind::Const(v), true) => {
            let v = cx.b.c32(v);
            cx.set_reg(t, v);
        }
        (sysreg::Kind::Const(_) | sysreg::Kind::Nop, _) => {}
        (sysreg::Kind::Field { offset, .. }, true) => {
            let v = cx.b.get(super::arch_field(offset));
            cx.set_reg(t, v);
        }
        (sysreg::Kind::Field { offset, write_mask }, false) => {
            let v = cx.reg(t);
            let m = cx.b.c32(write_mask);
            let v = cx.b.and(v, m);
            cx.b.set(super::arch_field(offset), v);
        }
        (sysreg::Kind::Special(which), true) => {
            let id = cx.b.c32(which as u32);
            let v = cx.call(helpers::SYSREG_READ, &[id]);
            cx.set_reg(t, v);
        }
        (sysreg::Kind::Special(which), false) => {
            let id = cx.b.c32(which as u32);
            let v = cx.reg(t);
            cx.call(helpers::SYSREG_WRITE, &[id, v]);
        }
    }
    if !read && reg.ends_block {
        cx.end = End::Exit;
    }
    Ok(())
}

/// MRRC/MCRR: the 64-bit system registers (TTBR0/1, PAR, the counters
/// and compare values). Rt is the low word, Rt2 the high word.
pub fn coproc64(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let read = bit(w, 20);
    let (t, t2) = (rd(w), rn(w));
    check(t != 15 && t2 != 15 && !(read && t == t2))?;
    let reg = sysreg::lookup64(bits(w, 11, 8), bits(w, 7, 4), bits(w, 3, 0)).ok_or(Undef)?;
    sysreg_allowed(cx, &reg, !read)?;
    let sysreg::Kind::Special(which) = reg.kind else {
        return Err(Undef);
    };
    let id = cx.b.iconst(Type::I64, which as u64);
    if read {
        let v = cx.b.call(helpers::SYSREG_READ, &[id]);
        split64(cx, v, t, t2);
    } else {
        let v = join64(cx, t, t2);
        cx.b.call(helpers::SYSREG_WRITE, &[id, v]);
        if reg.ends_block {
            cx.end = End::Exit;
        }
    }
    Ok(())
}

/// Offset of the lowest address a block transfer of `count` words
/// touches, from its base register: IA, IB, DA or DB by the P and U bits.
fn block_start(p: bool, u: bool, count: u32) -> i32 {
    match (p, u) {
        (false, true) => 0,
        (true, true) => 4,
        (false, false) => 4 - 4 * count as i32,
        (true, false) => -4 * count as i32,
    }
}

/// LDM/STM with the S bit and without the PC: transfers the User-mode
/// registers from a privileged mode (no writeback).
pub fn ldm_stm_user(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let count = list.count_ones();
    let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    // In User and System mode, and with writeback, the forms are
    // UNPREDICTABLE.
    check(n != 15 && count >= 1 && !wb && bank(cx.mode).is_some_and(|b| b > 0))?;
    let base = cx.reg(n);
    let start = block_start(p, u, count);
    let regs: Vec<u32> = (0..15).filter(|r| list & (1 << r) != 0).collect();
    let usr = cx.b.c32(psr::MODE_USR);
    let mut addrs = Vec::new();
    for i in 0..count as i32 {
        let off = cx.b.c32((start + 4 * i) as u32);
        addrs.push(cx.b.add(base, off));
    }
    if load {
        let values: Vec<Value> = addrs.iter().map(|&a| cx.load(a, 4, false, 4)).collect();
        for (&r, &v) in regs.iter().zip(&values) {
            let rv = cx.b.c32(r);
            cx.call(helpers::BANKED_REG_WRITE, &[usr, rv, v]);
        }
    } else {
        for (&r, &a) in regs.iter().zip(&addrs) {
            let rv = cx.b.c32(r);
            let v = cx.call(helpers::BANKED_REG_READ, &[usr, rv]);
            cx.store(a, v, 4, 4);
        }
    }
    Ok(())
}

/// SRS: stores LR and SPSR of the current mode to the stack of another
/// mode (whose SP may be written back).
pub fn srs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let mode = bits(w, 4, 0);
    let spsr = cx.spsr_slot()?;
    check(bank(mode).is_some() && mode != psr::MODE_USR)?;
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    let m = cx.b.c32(mode);
    let thirteen = cx.b.c32(13);
    let sp = cx.call(helpers::BANKED_REG_READ, &[m, thirteen]);
    let start = block_start(p, u, 2);
    let off = cx.b.c32(start as u32);
    let a0 = cx.b.add(sp, off);
    let four = cx.b.c32(4);
    let a1 = cx.b.add(a0, four);
    let lr = cx.reg(14);
    let sv = cx.b.get(spsr);
    cx.store(a0, lr, 4, 4);
    cx.store(a1, sv, 4, 4);
    if wb {
        let delta = cx.b.c32(if u { 8 } else { (-8i32) as u32 });
        let nsp = cx.b.add(sp, delta);
        cx.call(helpers::BANKED_REG_WRITE, &[m, thirteen, nsp]);
    }
    Ok(())
}

/// RFE: loads the PC and the CPSR from memory (an exception return).
pub fn rfe(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    check(n != 15 && cx.privileged())?;
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    let base = cx.reg(n);
    let start = block_start(p, u, 2);
    let off = cx.b.c32(start as u32);
    let a0 = cx.b.add(base, off);
    let four = cx.b.c32(4);
    let a1 = cx.b.add(a0, four);
    let pc = cx.load(a0, 4, false, 4);
    let cpsr = cx.load(a1, 4, false, 4);
    if wb {
        let delta = cx.b.c32(if u { 8 } else { (-8i32) as u32 });
        let nb = cx.b.add(base, delta);
        cx.set_reg(n, nb);
    }
    cx.call(helpers::RETURN_FROM_EXCEPTION, &[pc, cpsr]);
    cx.end = End::Indirect;
    Ok(())
}

/// LDM with the S bit and the PC in the list: an exception return.
pub fn ldm_exception_return(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let count = list.count_ones();
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    check(n != 15 && !(wb && list & (1 << n) != 0))?;
    cx.spsr_slot()?;
    let base = cx.reg(n);
    let start = block_start(p, u, count);
    let mut values = Vec::new();
    for i in 0..count as i32 {
        let off = cx.b.c32((start + 4 * i) as u32);
        let a = cx.b.add(base, off);
        values.push(cx.load(a, 4, false, 4));
    }
    if wb {
        let delta = if u {
            4 * count as i32
        } else {
            -4 * count as i32
        };
        let off = cx.b.c32(delta as u32);
        let nb = cx.b.add(base, off);
        cx.set_reg(n, nb);
    }
    let regs: Vec<u32> = (0..15).filter(|r| list & (1 << r) != 0).collect();
    for (&r, &v) in regs.iter().zip(&values) {
        cx.set_reg(r, v);
    }
    let pc = *values.last().expect("the PC is in the list");
    cx.exception_return(pc)
}

// ---------------------------------------------------------------------------
// Data processing.

#[derive(Clone, Copy, PartialEq, Eq)]
enum DpOp {
    And,
    Eor,
    Sub,
    Rsb,
    Add,
    Adc,
    Sbc,
    Rsc,
    Tst,
    Teq,
    Cmp,
    Cmn,
    Orr,
    Mov,
    Bic,
    Mvn,
}

const DP_OPS: [DpOp; 16] = [
    DpOp::And,
    DpOp::Eor,
    DpOp::Sub,
    DpOp::Rsb,
    DpOp::Add,
    DpOp::Adc,
    DpOp::Sbc,
    DpOp::Rsc,
    DpOp::Tst,
    DpOp::Teq,
    DpOp::Cmp,
    DpOp::Cmn,
    DpOp::Orr,
    DpOp::Mov,
    DpOp::Bic,
    DpOp::Mvn,
];

fn is_logical(op: DpOp) -> bool {
    matches!(
        op,
        DpOp::And
            | DpOp::Eor
            | DpOp::Tst
            | DpOp::Teq
            | DpOp::Orr
            | DpOp::Mov
            | DpOp::Bic
            | DpOp::Mvn
    )
}

/// The shared body of the three data-processing forms: `shifter` yields
/// the second operand and (when asked) the shifter carry-out.
fn data_processing(
    cx: &mut Ctx,
    w: u32,
    shifter: impl FnOnce(&mut Ctx, bool) -> (Value, Option<Value>),
) -> Result<(), Undef> {
    let op = DP_OPS[bits(w, 24, 21) as usize];
    let s = bit(w, 20);
    let d = rd(w);
    let compare = matches!(op, DpOp::Tst | DpOp::Teq | DpOp::Cmp | DpOp::Cmn);
    // A flag-setting write to the PC is an exception return: the result
    // goes to the PC and the SPSR to the CPSR; the flags are not set.
    let eret = s && d == 15 && !compare;
    if eret {
        cx.spsr_slot()?;
    }
    let s = s && !eret;
    let logical = is_logical(op);
    let (op2, carry) = shifter(cx, s && logical);
    let n = if matches!(op, DpOp::Mov | DpOp::Mvn) {
        None
    } else {
        Some(cx.reg(rn(w)))
    };
    let n = || n.expect("operand 1");
    let b = &mut *cx.b;
    let result = match op {
        DpOp::And | DpOp::Tst => b.and(n(), op2),
        DpOp::Eor | DpOp::Teq => b.xor(n(), op2),
        DpOp::Orr => b.or(n(), op2),
        DpOp::Bic => {
            let m = b.not(op2);
            b.and(n(), m)
        }
        DpOp::Mov => op2,
        DpOp::Mvn => b.not(op2),
        DpOp::Sub | DpOp::Cmp => cx.sub_flags(n(), op2, s),
        DpOp::Rsb => cx.sub_flags(op2, n(), s),
        DpOp::Add | DpOp::Cmn => cx.add_flags(n(), op2, s),
        DpOp::Adc => {
            let c = cx.flag(slots::CF);
            cx.add_with_carry(n(), op2, c, s)
        }
        DpOp::Sbc => {
            let m = cx.b.not(op2);
            let c = cx.flag(slots::CF);
            cx.add_with_carry(n(), m, c, s)
        }
        DpOp::Rsc => {
            let m = cx.b.not(n());
            let c = cx.flag(slots::CF);
            cx.add_with_carry(op2, m, c, s)
        }
    };
    if s && logical {
        cx.set_nz(result);
        if let Some(c) = carry {
            cx.b.set(slots::CF, c);
        }
    }
    if eret {
        return cx.exception_return(result);
    }
    if !compare {
        cx.set_reg_or_pc(d, result);
    }
    Ok(())
}

/// Data processing with a modified immediate constant.
pub fn dp_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let rot = 2 * bits(w, 11, 8);
    let imm = (w & 0xff).rotate_right(rot);
    data_processing(cx, w, |cx, want_carry| {
        let v = cx.b.c32(imm);
        let c = want_carry.then(|| {
            if rot == 0 {
                cx.b.get(slots::CF)
            } else {
                cx.b.c32(imm >> 31)
            }
        });
        (v, c)
    })
}

/// Data processing with a register shifted by an immediate.
pub fn dp_imm_shift(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    data_processing(cx, w, |cx, want_carry| {
        let m = cx.reg(rm(w));
        cx.shift_imm(m, bits(w, 6, 5), bits(w, 11, 7), want_carry)
    })
}

/// Data processing with a register shifted by a register.
pub fn dp_reg_shift(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15 && rs(w) != 15 && rn(w) != 15)?;
    data_processing(cx, w, |cx, want_carry| {
        let m = cx.reg(rm(w));
        let amount = cx.reg(rs(w));
        cx.shift_reg(m, bits(w, 6, 5), amount, want_carry)
    })
}

/// MOVW: move a 16-bit immediate.
pub fn movw(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    let v = cx.b.c32(bits(w, 19, 16) << 12 | (w & 0xfff));
    cx.set_reg(rd(w), v);
    Ok(())
}

/// MOVT: move to the top halfword.
pub fn movt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    let old = cx.reg(rd(w));
    let b = &mut *cx.b;
    let low = b.c32(0xffff);
    let keep = b.and(old, low);
    let top = b.c32((bits(w, 19, 16) << 12 | (w & 0xfff)) << 16);
    let v = b.or(keep, top);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// CLZ: count leading zeros.
pub fn clz(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let v = cx.b.clz(m);
    cx.set_reg(rd(w), v);
    Ok(())
}

// ---------------------------------------------------------------------------
// Multiplies.

/// MUL.
pub fn mul(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    mul_acc(cx, w, false)
}

/// MLA.
pub fn mla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    mul_acc(cx, w, true)
}

fn mul_acc(cx: &mut Ctx, w: u32, acc: bool) -> Result<(), Undef> {
    let (d, a, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(d != 15 && m != 15 && n != 15 && (!acc || a != 15))?;
    let x = cx.reg(n);
    let y = cx.reg(m);
    let mut p = cx.b.mul(x, y);
    if acc {
        let r = cx.reg(a);
        p = cx.b.add(p, r);
    }
    if bit(w, 20) {
        cx.set_nz(p);
    }
    cx.set_reg(d, p);
    Ok(())
}

/// MLS: multiply and subtract.
pub fn mls(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, a, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(d != 15 && m != 15 && n != 15 && a != 15)?;
    let x = cx.reg(n);
    let y = cx.reg(m);
    let r = cx.reg(a);
    let p = cx.b.mul(x, y);
    let v = cx.b.sub(r, p);
    cx.set_reg(d, v);
    Ok(())
}

fn split64(cx: &mut Ctx, v: Value, lo: u32, hi: u32) {
    let l = cx.b.zext(v, Type::I32);
    let c32 = cx.b.iconst(Type::I64, 32);
    let h = cx.b.lshr(v, c32);
    let h = cx.b.zext(h, Type::I32);
    cx.set_reg(lo, l);
    cx.set_reg(hi, h);
}

fn join64(cx: &mut Ctx, lo: u32, hi: u32) -> Value {
    let l = cx.reg(lo);
    let h = cx.reg(hi);
    let l = cx.b.zext(l, Type::I64);
    let h = cx.b.zext(h, Type::I64);
    let c32 = cx.b.iconst(Type::I64, 32);
    let h = cx.b.shl(h, c32);
    cx.b.or(h, l)
}

fn long_regs_ok(lo: u32, hi: u32, m: u32, n: u32) -> bool {
    lo != 15 && hi != 15 && m != 15 && n != 15 && lo != hi
}

/// UMULL, UMLAL, SMULL, SMLAL.
pub fn mull(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(long_regs_ok(lo, hi, m, n))?;
    let signed = bit(w, 22);
    let x = cx.reg(n);
    let y = cx.reg(m);
    let (x, y) = if signed {
        (cx.b.sext(x, Type::I64), cx.b.sext(y, Type::I64))
    } else {
        (cx.b.zext(x, Type::I64), cx.b.zext(y, Type::I64))
    };
    let mut p = cx.b.mul(x, y);
    if bit(w, 21) {
        let acc = join64(cx, lo, hi);
        p = cx.b.add(p, acc);
    }
    if bit(w, 20) {
        cx.set_nz64(p);
    }
    split64(cx, p, lo, hi);
    Ok(())
}

/// UMAAL: unsigned multiply, accumulate twice.
pub fn umaal(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(long_regs_ok(lo, hi, m, n))?;
    let x = cx.reg(n);
    let y = cx.reg(m);
    let l = cx.reg(lo);
    let h = cx.reg(hi);
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
    split64(cx, p, lo, hi);
    Ok(())
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

/// SMLA<x><y>: signed halfword multiply-accumulate (Q on overflow).
pub fn smla_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, a, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(d != 15 && a != 15 && m != 15 && n != 15)?;
    let x = cx.reg(n);
    let x = half(cx, x, bit(w, 5));
    let y = cx.reg(m);
    let y = half(cx, y, bit(w, 6));
    let p = cx.b.mul(x, y);
    let r = cx.reg(a);
    let zero = cx.b.iconst(Type::I8, 0);
    let ov = cx.b.add_overflow(p, r, zero);
    cx.or_q(ov);
    let v = cx.b.add(p, r);
    cx.set_reg(d, v);
    Ok(())
}

/// SMUL<x><y>: signed halfword multiply.
pub fn smul_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, m, n) = (rn(w), rs(w), rm(w));
    check(d != 15 && m != 15 && n != 15)?;
    let x = cx.reg(n);
    let x = half(cx, x, bit(w, 5));
    let y = cx.reg(m);
    let y = half(cx, y, bit(w, 6));
    let p = cx.b.mul(x, y);
    cx.set_reg(d, p);
    Ok(())
}

/// Bits 47:16 of the 48-bit product of Rn and a halfword of Rm.
fn word_by_half(cx: &mut Ctx, w: u32) -> Value {
    let x = cx.reg(rm(w));
    let x = cx.b.sext(x, Type::I64);
    let y = cx.reg(rs(w));
    let y = half(cx, y, bit(w, 6));
    let y = cx.b.sext(y, Type::I64);
    let p = cx.b.mul(x, y);
    let s = cx.b.iconst(Type::I64, 16);
    let p = cx.b.ashr(p, s);
    cx.b.zext(p, Type::I32)
}

/// SMLAW<y>.
pub fn smlaw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rn(w) != 15 && rd(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let p = word_by_half(cx, w);
    let r = cx.reg(rd(w));
    let zero = cx.b.iconst(Type::I8, 0);
    let ov = cx.b.add_overflow(p, r, zero);
    cx.or_q(ov);
    let v = cx.b.add(p, r);
    cx.set_reg(rn(w), v);
    Ok(())
}

/// SMULW<y>.
pub fn smulw_y(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rn(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let p = word_by_half(cx, w);
    cx.set_reg(rn(w), p);
    Ok(())
}

/// SMLAL<x><y>: 64-bit accumulate of a halfword product.
pub fn smlal_xy(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo, m, n) = (rn(w), rd(w), rs(w), rm(w));
    check(long_regs_ok(lo, hi, m, n))?;
    let x = cx.reg(n);
    let x = half(cx, x, bit(w, 5));
    let y = cx.reg(m);
    let y = half(cx, y, bit(w, 6));
    let p = cx.b.mul(x, y);
    let p = cx.b.sext(p, Type::I64);
    let acc = join64(cx, lo, hi);
    let v = cx.b.add(p, acc);
    split64(cx, v, lo, hi);
    Ok(())
}

/// The two halfword products of SMLAD/SMLSD/SMLALD/SMLSLD (Rm swapped
/// when bit 5 is set), as I32 values.
fn dual_products(cx: &mut Ctx, w: u32) -> (Value, Value) {
    let x = cx.reg(rm(w));
    let mut y = cx.reg(rs(w));
    if bit(w, 5) {
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

/// SMLAD, SMLSD, SMUAD, SMUSD (Q on overflow of the sums).
pub fn smlad(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (d, a) = (rn(w), rd(w));
    check(d != 15 && rs(w) != 15 && rm(w) != 15)?;
    let (p1, p2) = dual_products(cx, w);
    let zero = cx.b.iconst(Type::I8, 0);
    let sum = if bit(w, 6) {
        cx.b.sub(p1, p2)
    } else {
        let ov = cx.b.add_overflow(p1, p2, zero);
        cx.or_q(ov);
        cx.b.add(p1, p2)
    };
    let v = if a == 15 {
        sum
    } else {
        let r = cx.reg(a);
        let ov = cx.b.add_overflow(sum, r, zero);
        cx.or_q(ov);
        cx.b.add(sum, r)
    };
    cx.set_reg(d, v);
    Ok(())
}

/// SMLALD, SMLSLD.
pub fn smlald(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (hi, lo) = (rn(w), rd(w));
    check(long_regs_ok(lo, hi, rs(w), rm(w)))?;
    let (p1, p2) = dual_products(cx, w);
    let p1 = cx.b.sext(p1, Type::I64);
    let p2 = cx.b.sext(p2, Type::I64);
    let sum = if bit(w, 6) {
        cx.b.sub(p1, p2)
    } else {
        cx.b.add(p1, p2)
    };
    let acc = join64(cx, lo, hi);
    let v = cx.b.add(sum, acc);
    split64(cx, v, lo, hi);
    Ok(())
}

/// The 64-bit signed product of Rn and Rm, plus the rounding constant
/// when bit 5 (R) is set, plus `acc << 32` (or minus the product).
fn most_significant(cx: &mut Ctx, w: u32, subtract: bool) -> Result<(), Undef> {
    let (d, a) = (rn(w), rd(w));
    check(d != 15 && rs(w) != 15 && rm(w) != 15 && (!subtract || a != 15))?;
    let x = cx.reg(rm(w));
    let y = cx.reg(rs(w));
    let b = &mut *cx.b;
    let x = b.sext(x, Type::I64);
    let y = b.sext(y, Type::I64);
    let mut p = b.mul(x, y);
    let c32 = b.iconst(Type::I64, 32);
    if a != 15 {
        let r = cx.reg(a);
        let r = cx.b.zext(r, Type::I64);
        let r = cx.b.shl(r, c32);
        p = if subtract {
            cx.b.sub(r, p)
        } else {
            cx.b.add(r, p)
        };
    }
    if bit(w, 5) {
        let round = cx.b.iconst(Type::I64, 0x8000_0000);
        p = cx.b.add(p, round);
    }
    let h = cx.b.lshr(p, c32);
    let h = cx.b.zext(h, Type::I32);
    cx.set_reg(d, h);
    Ok(())
}

/// SMMLA, SMMUL.
pub fn smmla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    most_significant(cx, w, false)
}

/// SMMLS.
pub fn smmls(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    most_significant(cx, w, true)
}

/// SDIV (division by zero gives 0).
pub fn sdiv(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    divide(cx, w, true)
}

/// UDIV (division by zero gives 0).
pub fn udiv(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    divide(cx, w, false)
}

fn divide(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    check(rn(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let m = cx.reg(rs(w));
    let q = if signed {
        cx.b.sdiv(n, m)
    } else {
        cx.b.udiv(n, m)
    };
    cx.set_reg(rn(w), q);
    Ok(())
}

/// USAD8, USADA8.
pub fn usada8(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rn(w) != 15 && rs(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let m = cx.reg(rs(w));
    let mut v = cx.call(helpers::USAD8, &[n, m]);
    if rd(w) != 15 {
        let a = cx.reg(rd(w));
        v = cx.b.add(v, a);
    }
    cx.set_reg(rn(w), v);
    Ok(())
}

// ---------------------------------------------------------------------------
// Saturation, SIMD within a register, packing.

/// QADD, QSUB, QDADD, QDSUB.
pub fn qaddsub(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let n = cx.reg(rn(w));
    let op = cx.b.c32(bits(w, 22, 21));
    let v = cx.call(helpers::QADDSUB, &[m, n, op]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// The 36 parallel add/subtract instructions.
pub fn parallel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let kind = bits(w, 22, 20);
    let op = bits(w, 7, 5);
    check(kind != 0 && kind != 4 && op != 5 && op != 6)?;
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rn(w));
    let m = cx.reg(rm(w));
    let sel = cx.b.c32(kind << 3 | op);
    let v = cx.call(helpers::PARALLEL, &[n, m, sel]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SEL: select bytes by the GE flags.
pub fn sel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rn(w));
    let m = cx.reg(rm(w));
    let ge = cx.b.get(slots::GE);
    // Expand GE[3:0] to a byte mask: each bit times 0xff at its byte.
    let b = &mut *cx.b;
    let mut mask = b.c32(0);
    for i in 0..4 {
        let s = b.c32(i);
        let g = b.lshr(ge, s);
        let one = b.c32(1);
        let g = b.and(g, one);
        let byte = b.c32(0xff << (8 * i));
        let zero = b.c32(0);
        let nz = b.cmp(Cmp::Ne, g, zero);
        let part = b.select(nz, byte, zero);
        mask = b.or(mask, part);
    }
    let a = b.and(n, mask);
    let nm = b.not(mask);
    let c = b.and(m, nm);
    let v = b.or(a, c);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// PKHBT, PKHTB.
pub fn pkh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rn(w));
    let m = cx.reg(rm(w));
    let tb = bit(w, 6);
    let (shifted, _) = cx.shift_imm(m, if tb { 2 } else { 0 }, bits(w, 11, 7), false);
    let b = &mut *cx.b;
    let lo = b.c32(0xffff);
    let hi = b.c32(0xffff_0000);
    let v = if tb {
        let a = b.and(n, hi);
        let c = b.and(shifted, lo);
        b.or(a, c)
    } else {
        let a = b.and(n, lo);
        let c = b.and(shifted, hi);
        b.or(a, c)
    };
    cx.set_reg(rd(w), v);
    Ok(())
}

fn saturate(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let (shifted, _) = cx.shift_imm(n, if bit(w, 6) { 2 } else { 0 }, bits(w, 11, 7), false);
    let sat = bits(w, 20, 16) + u32::from(signed);
    let width = cx.b.c32(sat | u32::from(signed) << 8);
    let v = cx.call(helpers::SAT, &[shifted, width]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SSAT.
pub fn ssat(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate(cx, w, true)
}

/// USAT.
pub fn usat(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate(cx, w, false)
}

fn saturate16(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let sat = bits(w, 19, 16) + u32::from(signed);
    let width = cx.b.c32(sat | u32::from(signed) << 8);
    let v = cx.call(helpers::SAT16, &[n, width]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SSAT16.
pub fn ssat16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate16(cx, w, true)
}

/// USAT16.
pub fn usat16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate16(cx, w, false)
}

/// REV: reverse the bytes of a word.
pub fn rev(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let v = cx.b.bswap(m);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// REV16: reverse the bytes of each halfword.
pub fn rev16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let b = &mut *cx.b;
    let r = b.bswap(m);
    let s = b.c32(16);
    let v = b.rotr(r, s);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// REVSH: reverse the low halfword's bytes and sign-extend.
pub fn revsh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let b = &mut *cx.b;
    let h = b.zext(m, Type::I16);
    let h = b.bswap(h);
    let v = b.sext(h, Type::I32);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// RBIT: reverse the bits of a word.
pub fn rbit(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let v = cx.b.bitrev(m);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SXTAB16/SXTAB/SXTAH/UXTAB16/UXTAB/UXTAH and, with Rn = PC, the
/// SXTB16/SXTB/SXTH/UXTB16/UXTB/UXTH forms.
pub fn extend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let op = bits(w, 21, 20);
    check(op != 1 && rd(w) != 15 && rm(w) != 15)?;
    let unsigned = bit(w, 22);
    let m = cx.reg(rm(w));
    let rot = cx.b.c32(8 * bits(w, 11, 10));
    let r = cx.b.rotr(m, rot);
    let acc = (rn(w) != 15).then(|| cx.reg(rn(w)));
    let b = &mut *cx.b;
    let v = if op == 0 {
        // Two bytes (0 and 2), each extended to a halfword.
        let s16 = b.c32(16);
        let lo8 = b.zext(r, Type::I8);
        let hi = b.lshr(r, s16);
        let hi8 = b.zext(hi, Type::I8);
        let (lo16, hi16) = if unsigned {
            (b.zext(lo8, Type::I32), b.zext(hi8, Type::I32))
        } else {
            let l = b.sext(lo8, Type::I16);
            let h = b.sext(hi8, Type::I16);
            (b.zext(l, Type::I32), b.zext(h, Type::I32))
        };
        let (lo16, hi16) = match acc {
            None => (lo16, hi16),
            Some(a) => {
                let ah = b.lshr(a, s16);
                (b.add(lo16, a), b.add(hi16, ah))
            }
        };
        let mask = b.c32(0xffff);
        let lo16 = b.and(lo16, mask);
        let hi16 = b.shl(hi16, s16);
        b.or(hi16, lo16)
    } else {
        let ty = if op == 2 { Type::I8 } else { Type::I16 };
        let small = b.zext(r, ty);
        let x = if unsigned {
            b.zext(small, Type::I32)
        } else {
            b.sext(small, Type::I32)
        };
        match acc {
            None => x,
            Some(a) => b.add(a, x),
        }
    };
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SBFX: signed bit-field extract.
pub fn sbfx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    bitfield_extract(cx, w, true)
}

/// UBFX: unsigned bit-field extract.
pub fn ubfx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    bitfield_extract(cx, w, false)
}

fn bitfield_extract(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    let lsb = bits(w, 11, 7);
    let width = bits(w, 20, 16) + 1;
    check(rd(w) != 15 && rm(w) != 15 && lsb + width <= 32)?;
    let n = cx.reg(rm(w));
    let b = &mut *cx.b;
    let up = b.c32(32 - lsb - width);
    let x = b.shl(n, up);
    let down = b.c32(32 - width);
    let v = if signed {
        b.ashr(x, down)
    } else {
        b.lshr(x, down)
    };
    cx.set_reg(rd(w), v);
    Ok(())
}

/// BFI: bit-field insert; BFC (Rn = PC): bit-field clear.
pub fn bfi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let lsb = bits(w, 11, 7);
    let msb = bits(w, 20, 16);
    check(rd(w) != 15 && msb >= lsb)?;
    let field = ((u64::from(1u32) << (msb - lsb + 1)) - 1) as u32;
    let d = cx.reg(rd(w));
    let src = if rm(w) == 15 {
        cx.b.c32(0)
    } else {
        cx.reg(rm(w))
    };
    let b = &mut *cx.b;
    let keep = b.c32(!(field << lsb));
    let kept = b.and(d, keep);
    let fm = b.c32(field);
    let ins = b.and(src, fm);
    let s = b.c32(lsb);
    let ins = b.shl(ins, s);
    let v = b.or(kept, ins);
    cx.set_reg(rd(w), v);
    Ok(())
}

// ---------------------------------------------------------------------------
// Loads and stores.

/// Address computation shared by the single-transfer forms. Returns the
/// address to access and, for writeback forms, the new base.
fn indexed(cx: &mut Ctx, w: u32, offset: Value) -> (Value, Option<Value>) {
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    let base = cx.reg(rn(w));
    let offset_addr = if u {
        cx.b.add(base, offset)
    } else {
        cx.b.sub(base, offset)
    };
    let addr = if p { offset_addr } else { base };
    let writeback = (!p || wb).then_some(offset_addr);
    (addr, writeback)
}

/// Performs a single load or store with the computed address. `size` and
/// `signed` give the access; loads write Rt after the access and the
/// writeback.
fn transfer(
    cx: &mut Ctx,
    w: u32,
    load: bool,
    size: u8,
    signed: bool,
    offset: Value,
) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    // Post-indexed with W set: the T forms (LDRT, STRBT, LDRHT...), which
    // access memory with User-mode permissions.
    let unprivileged = !bit(w, 24) && bit(w, 21);
    let (addr, writeback) = indexed(cx, w, offset);
    check(writeback.is_none() || (n != 15 && n != t))?;
    if unprivileged {
        check(t != 15)?;
        if load {
            let v = cx.load_user(addr, size, signed);
            if let Some(nb) = writeback {
                cx.set_reg(n, nb);
            }
            cx.set_reg(t, v);
        } else {
            let v = cx.reg(t);
            cx.store_user(addr, v, size);
            if let Some(nb) = writeback {
                cx.set_reg(n, nb);
            }
        }
        return Ok(());
    }
    if load {
        let v = cx.load(addr, size, signed, 1);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
        if t == 15 {
            check(size == 4)?;
        }
        cx.set_reg_or_pc(t, v);
    } else {
        check(t != 15 || size == 4)?;
        let v = cx.reg(t);
        cx.store(addr, v, size, 1);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
    }
    Ok(())
}

/// LDR/STR/LDRB/STRB (and the T forms) with an immediate offset.
pub fn load_store_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = cx.b.c32(w & 0xfff);
    transfer(
        cx,
        w,
        bit(w, 20),
        if bit(w, 22) { 1 } else { 4 },
        false,
        off,
    )
}

/// LDR/STR/LDRB/STRB (and the T forms) with a shifted register offset.
pub fn load_store_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let (off, _) = cx.shift_imm(m, bits(w, 6, 5), bits(w, 11, 7), false);
    transfer(
        cx,
        w,
        bit(w, 20),
        if bit(w, 22) { 1 } else { 4 },
        false,
        off,
    )
}

/// LDRH/STRH/LDRSB/LDRSH/LDRD/STRD, immediate and register offsets.
pub fn extra_load_store(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = if bit(w, 22) {
        cx.b.c32(bits(w, 11, 8) << 4 | rm(w))
    } else {
        check(rm(w) != 15)?;
        cx.reg(rm(w))
    };
    let load = bit(w, 20);
    match (bits(w, 6, 5), load) {
        (1, _) => transfer(cx, w, load, 2, false, off),
        (2, true) => transfer(cx, w, true, 1, true, off),
        (3, true) => transfer(cx, w, true, 2, true, off),
        (op, false) => dual(cx, w, op == 2, off),
        _ => Err(Undef),
    }
}

/// LDRD/STRD: two words, Rt (even) and Rt+1.
fn dual(cx: &mut Ctx, w: u32, load: bool, offset: Value) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    check(t % 2 == 0 && t != 14)?;
    check(bit(w, 24) || !bit(w, 21))?;
    let (addr, writeback) = indexed(cx, w, offset);
    check(writeback.is_none() || (n != 15 && n != t && n != t + 1))?;
    check(bit(w, 22) || (rm(w) != t && rm(w) != t + 1) || !load)?;
    let four = cx.b.c32(4);
    let addr2 = cx.b.add(addr, four);
    if load {
        let lo = cx.load(addr, 4, false, 4);
        let hi = cx.load(addr2, 4, false, 4);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
        cx.set_reg(t, lo);
        cx.set_reg(t + 1, hi);
    } else {
        let lo = cx.reg(t);
        let hi = cx.reg(t + 1);
        cx.store(addr, lo, 4, 4);
        cx.store(addr2, hi, 4, 4);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
    }
    Ok(())
}

/// LDM/STM in all four addressing modes (PUSH and POP among them).
pub fn ldm_stm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let count = list.count_ones();
    let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    check(n != 15 && count >= 1)?;
    check(!(wb && load && list & (1 << n) != 0))?;
    // A store of the base with writeback stores the original base only if
    // it is the lowest register; otherwise the value is UNKNOWN.
    check(!(wb && !load && list & (1 << n) != 0 && list.trailing_zeros() != n))?;
    let base = cx.reg(n);
    let start = block_start(p, u, count);
    let new_base = if u {
        4 * count as i32
    } else {
        -4 * (count as i32)
    };
    let mut addrs = Vec::new();
    for i in 0..count as i32 {
        let off = cx.b.c32((start + 4 * i) as u32);
        addrs.push(cx.b.add(base, off));
    }
    let wb_value = wb.then(|| {
        let off = cx.b.c32(new_base as u32);
        cx.b.add(base, off)
    });
    let regs: Vec<u32> = (0..16).filter(|r| list & (1 << r) != 0).collect();
    if load {
        let values: Vec<Value> = addrs.iter().map(|&a| cx.load(a, 4, false, 4)).collect();
        if let Some(v) = wb_value {
            cx.set_reg(n, v);
        }
        for (&r, &v) in regs.iter().zip(&values) {
            cx.set_reg_or_pc(r, v);
        }
    } else {
        for (&r, &a) in regs.iter().zip(&addrs) {
            let v = if r == 15 {
                cx.b.c32(cx.pc.wrapping_add(8))
            } else {
                cx.reg(r)
            };
            cx.store(a, v, 4, 4);
        }
        if let Some(v) = wb_value {
            cx.set_reg(n, v);
        }
    }
    Ok(())
}

/// SWP, SWPB: swap a register with memory.
pub fn swp(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, t, t2) = (rn(w), rd(w), rm(w));
    check(n != 15 && t != 15 && t2 != 15 && n != t && n != t2)?;
    let size = if bit(w, 22) { 1 } else { 4 };
    let addr = cx.reg(n);
    let old = cx.load(addr, size, false, size);
    let new = cx.reg(t2);
    cx.store(addr, new, size, size);
    cx.set_reg(t, old);
    Ok(())
}

fn exclusive_size(w: u32) -> u8 {
    match bits(w, 22, 21) {
        0 => 4,
        1 => 8,
        2 => 1,
        _ => 2,
    }
}

/// LDREX, LDREXB, LDREXH, LDREXD: load and arm the exclusive monitor.
pub fn ldrex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    let size = exclusive_size(w);
    check(n != 15 && t != 15 && (size != 8 || (t % 2 == 0 && t != 14)))?;
    let addr = cx.reg(n);
    let addr64 = cx.b.zext(addr, Type::I64);
    if size == 8 {
        let four = cx.b.c32(4);
        let addr2 = cx.b.add(addr, four);
        let lo = cx.load(addr, 4, false, 8);
        let hi = cx.load(addr2, 4, false, 4);
        let l64 = cx.b.zext(lo, Type::I64);
        let h64 = cx.b.zext(hi, Type::I64);
        let c32 = cx.b.iconst(Type::I64, 32);
        let h64 = cx.b.shl(h64, c32);
        let both = cx.b.or(h64, l64);
        cx.b.set(slots::EXCL_ADDR, addr64);
        cx.b.set(slots::EXCL_VAL, both);
        cx.set_reg(t, lo);
        cx.set_reg(t + 1, hi);
    } else {
        let v = cx.load(addr, size, false, size);
        let v64 = cx.b.zext(v, Type::I64);
        cx.b.set(slots::EXCL_ADDR, addr64);
        cx.b.set(slots::EXCL_VAL, v64);
        cx.set_reg(t, v);
    }
    Ok(())
}

/// STREX, STREXB, STREXH, STREXD: store if the monitor still holds the
/// address and memory still holds the value the load-exclusive read.
pub fn strex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, d, t) = (rn(w), rd(w), rm(w));
    let size = exclusive_size(w);
    check(n != 15 && d != 15 && t != 15 && d != n && d != t)?;
    check(size != 8 || (t % 2 == 0 && t != 14 && d != t + 1))?;
    let addr = cx.reg(n);
    let lo = cx.reg(t);
    let lo64 = cx.b.zext(lo, Type::I64);
    let value = if size == 8 {
        let hi = cx.reg(t + 1);
        let hi64 = cx.b.zext(hi, Type::I64);
        let c32 = cx.b.iconst(Type::I64, 32);
        let hi64 = cx.b.shl(hi64, c32);
        cx.b.or(hi64, lo64)
    } else {
        lo64
    };
    let addr64 = cx.b.zext(addr, Type::I64);
    let sz = cx.b.iconst(
        Type::I64,
        u64::from(size) | u64::from(cx.endian == Endian::Big) << 8 | u64::from(cx.mmu_idx) << 16,
    );
    let status = cx.b.call(helpers::STORE_EXCLUSIVE, &[addr64, value, sz]);
    let status = cx.b.zext(status, Type::I32);
    cx.stores = true;
    cx.set_reg(d, status);
    Ok(())
}
