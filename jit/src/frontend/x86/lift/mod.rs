//! Lifting x86 instructions: the context every handler works in, and the
//! operand, flag and condition machinery they share. The handlers live
//! by instruction class: [`alu`] (add, subtract, logic, compare, inc,
//! dec, neg, not), [`shift`] (shifts, rotates, double shifts), [`muldiv`]
//! (multiply, divide), [`data`] (moves, stack, conversions, bit scans and
//! tests, flag moves), [`branch`] (jumps, calls, returns, loops),
//! [`string`] (MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS with REP) and
//! [`system`] (I/O, interrupts, descriptor tables, control registers,
//! CPUID, RDTSC, MSRs).
//!
//! Conventions: a handler reads its operands, does every memory access
//! (a read-modify-write stores before it touches any register or flag),
//! then writes registers and flags, so a faulting access leaves the state
//! as before the instruction. Flags are written only where
//! [`Cx::live`] says a later reader may see them.

pub mod alu;
pub mod branch;
pub mod data;
pub mod muldiv;
pub mod shift;
pub mod string;
pub mod system;
pub mod x87;

use super::{reg_slot, seg_base_slot, slots, table};
use crate::ir::{Builder, Cmp, Endian, MemAccess, Terminal, Type, Value};
use iced_x86::{ConditionCode, Instruction, OpKind, Register, RflagsBits};
use lockstep_runtime::x86::{sreg, tb_flags, trap};

/// Why an instruction cannot be lifted as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Invalid opcode (#UD): undefined, or an instruction this CPU lacks.
    Ud,
    /// General protection, decided at translation (a privileged
    /// instruction at CPL > 0): the error code.
    Gp(u32),
    /// Device not available (an x87 instruction with CR0.EM or TS).
    Nm,
    /// Divide error decided at translation (AAM 0).
    De,
}

/// A handler's result.
pub type LResult = Result<(), Fault>;

/// How an instruction leaves the straight-line flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// It does not.
    Continue,
    /// To a fixed EIP.
    Direct(u32),
    /// To `taken` when `cond` (I8) is set, else to the next instruction.
    DirectIf { cond: Value, taken: u32 },
    /// Back to itself while `cond` (I8) is set (a REP iteration), else on.
    Repeat { cond: Value },
    /// The EIP slot holds the next EIP.
    Indirect,
    /// A credited trap (`INT n`, `INT3`, `INTO`).
    Trap {
        code: u32,
        arg: u32,
        when: Option<Value>,
    },
    /// Wait for an interrupt.
    Halt,
    /// Translation state changed: back to the run loop, at the next
    /// instruction.
    Exit,
    /// Translation state changed and the EIP slot holds where to go on
    /// (a far transfer): back to the run loop.
    ExitIndirect,
}

/// Lifting context for one instruction.
pub struct Cx<'a> {
    /// The block being built.
    pub b: &'a mut Builder,
    /// The decoded instruction.
    pub insn: &'a Instruction,
    /// Its address (EIP).
    pub eip: u32,
    /// The next instruction's address.
    pub next: u32,
    /// The block's translation flags.
    pub flags: u32,
    /// The softmmu table for this privilege level.
    pub mmu_idx: u8,
    /// The arithmetic flags a later reader may see (iced's bits).
    pub live: u32,
    /// Set by the handler: how the instruction ends.
    pub end: End,
    /// The instruction stored to memory or wrote a port: a device may
    /// want the run loop.
    pub stores: bool,
    /// The instruction's first four bytes.
    pub raw: u32,
    /// The memory operand's linear address, once computed.
    ea: Option<Value>,
}

/// Lifts one instruction. Returns the block's terminal if it ends the
/// block.
pub fn lift(
    b: &mut Builder,
    insn: &Instruction,
    raw: u32,
    flags: u32,
    mmu_idx: u8,
    live: u32,
) -> Option<Terminal> {
    let start = b.len();
    let eip = insn.ip32();
    let next = eip.wrapping_add(insn.len() as u32);
    let handler = if insn.is_invalid() {
        None
    } else {
        table::lookup(insn)
    };
    let Some(handler) = handler else {
        return Some(ud_trap(raw));
    };
    let mut cx = Cx {
        b,
        insn,
        eip,
        next,
        flags,
        mmu_idx,
        live,
        end: End::Continue,
        stores: false,
        raw,
        ea: None,
    };
    match handler(&mut cx) {
        Ok(()) => {}
        Err(Fault::Ud) => {
            cx.b.truncate(start);
            return Some(ud_trap(raw));
        }
        Err(f @ (Fault::Gp(_) | Fault::Nm | Fault::De)) => {
            cx.b.truncate(start);
            let (vector, code) = match f {
                Fault::Gp(code) => (lockstep_runtime::x86::vector::GP, code),
                Fault::De => (lockstep_runtime::x86::vector::DE, 0),
                _ => (lockstep_runtime::x86::vector::NM, 0),
            };
            return Some(Terminal::Trap {
                code: trap::FAULT,
                arg: u32::from(vector) | code << 8,
                credited: false,
                when: None,
            });
        }
    }
    cx.finish()
}

/// The terminal of an invalid opcode (not credited): `raw` holds the
/// first bytes, for reports.
pub fn ud_trap(raw: u32) -> Terminal {
    Terminal::Trap {
        code: trap::UD,
        arg: raw,
        credited: false,
        when: None,
    }
}

impl Cx<'_> {
    fn finish(&mut self) -> Option<Terminal> {
        let next = u64::from(self.next);
        match self.end {
            End::Continue => {
                if self.stores {
                    self.b.exit_if_requested(next);
                }
                None
            }
            End::Direct(t) => Some(Terminal::Jump {
                target: u64::from(t),
            }),
            End::DirectIf { cond, taken } => Some(Terminal::Branch {
                cond,
                taken: u64::from(taken),
                not_taken: next,
            }),
            End::Repeat { cond } => Some(Terminal::Branch {
                cond,
                taken: u64::from(self.eip),
                not_taken: next,
            }),
            End::Indirect => {
                let t = self.b.get(slots::EIP);
                Some(Terminal::Indirect { target: t })
            }
            End::Trap { code, arg, when } => Some(Terminal::Trap {
                code,
                arg,
                credited: true,
                when,
            }),
            End::Halt => Some(Terminal::Halt {
                next_pc: next,
                when: None,
            }),
            End::Exit => Some(Terminal::Exit { next_pc: next }),
            End::ExitIndirect => {
                // The helper set EIP; the Exit terminal stores its
                // `next_pc`, so read it back and exit through an indirect
                // jump the engine resolves with fresh flags.
                let t = self.b.get(slots::EIP);
                Some(Terminal::Indirect { target: t })
            }
        }
    }

    /// The current privilege level.
    pub fn cpl(&self) -> u32 {
        self.flags & tb_flags::CPL
    }

    /// The I/O privilege level.
    pub fn iopl(&self) -> u32 {
        self.flags >> tb_flags::IOPL_SHIFT & 3
    }

    /// Fails with #GP(0) unless at CPL 0.
    pub fn require_cpl0(&self) -> LResult {
        if self.cpl() == 0 {
            Ok(())
        } else {
            Err(Fault::Gp(0))
        }
    }

    /// The operand size in bytes of the instruction's operand `n`.
    pub fn op_ty(&self, n: u32) -> Type {
        match self.insn.op_kind(n) {
            OpKind::Register => Type::of_bytes(self.insn.op_register(n).size() as u8),
            OpKind::Immediate8 => Type::I8,
            OpKind::Immediate16 | OpKind::Immediate8to16 => Type::I16,
            OpKind::Immediate32 | OpKind::Immediate8to32 => Type::I32,
            _ => Type::of_bytes(self.insn.memory_size().size() as u8),
        }
    }

    /// Register `r`'s value (8, 16 or 32 bits).
    pub fn get_reg(&mut self, r: Register) -> Value {
        let slot = gpr_slot(r);
        self.b.get(slot)
    }

    /// Writes register `r` (an 8- or 16-bit write leaves the rest).
    pub fn set_reg(&mut self, r: Register, v: Value) {
        let slot = gpr_slot(r);
        self.b.set(slot, v);
    }

    /// General register `n` (0-7) as 32 bits.
    pub fn reg32(&mut self, n: u32) -> Value {
        self.b.get(reg_slot(n, Type::I32, false))
    }

    /// Writes general register `n` (0-7), 32 bits.
    pub fn set_reg32(&mut self, n: u32, v: Value) {
        self.b.set(reg_slot(n, Type::I32, false), v);
    }

    /// Adds segment `seg`'s base to offset `off` where it can be
    /// non-zero.
    pub fn linear(&mut self, seg: usize, off: Value) -> Value {
        let flat =
            matches!(seg, sreg::DS | sreg::ES | sreg::SS) && self.flags & tb_flags::ADDSEG == 0;
        if flat {
            return off;
        }
        let base = self.b.get(seg_base_slot(seg));
        self.b.add(base, off)
    }

    /// The memory operand's offset (before the segment base).
    pub fn effective_offset(&mut self) -> Value {
        let insn = self.insn;
        let mut addr = self.b.c32(insn.memory_displacement32());
        let addr16 = matches!(
            insn.memory_base(),
            Register::BX | Register::BP | Register::SI | Register::DI
        ) || matches!(insn.memory_index(), Register::SI | Register::DI);
        if insn.memory_base() != Register::None {
            let r = self.get_reg(insn.memory_base());
            let r = self.b.zext(r, Type::I32);
            addr = self.b.add(addr, r);
        }
        if insn.memory_index() != Register::None {
            let r = self.get_reg(insn.memory_index());
            let mut r = self.b.zext(r, Type::I32);
            let scale = insn.memory_index_scale();
            if scale > 1 {
                let s = self.b.c32(scale.trailing_zeros());
                r = self.b.shl(r, s);
            }
            addr = self.b.add(addr, r);
        }
        if addr16 {
            let m = self.b.c32(0xffff);
            addr = self.b.and(addr, m);
        }
        addr
    }

    /// The segment register the memory operand uses.
    pub fn mem_seg(&self) -> usize {
        seg_index(self.insn.memory_segment())
    }

    /// The memory operand's linear address (computed once).
    pub fn ea(&mut self) -> Value {
        if let Some(v) = self.ea {
            return v;
        }
        let off = self.effective_offset();
        let seg = self.mem_seg();
        let v = self.linear(seg, off);
        self.ea = Some(v);
        v
    }

    /// A plain access of `ty`.
    pub fn access(&self, ty: Type) -> MemAccess {
        MemAccess {
            size: ty.bytes(),
            signed: false,
            endian: Endian::Little,
            align: 1,
            mmu_idx: None,
        }
    }

    /// Loads `ty` at linear address `addr`.
    pub fn load(&mut self, ty: Type, addr: Value) -> Value {
        let a = self.access(ty);
        self.b.load(ty, addr, a)
    }

    /// Stores `v` at linear address `addr`.
    pub fn store(&mut self, addr: Value, v: Value) {
        let ty = self.b.ty(v);
        let a = self.access(ty);
        self.b.store(addr, v, a);
        self.stores = true;
    }

    /// Reads operand `n` (registers, memory, immediates) at its own size.
    pub fn read(&mut self, n: u32) -> Value {
        let ty = self.op_ty(n);
        self.read_as(n, ty)
    }

    /// Reads operand `n` as `ty` (an immediate is sign-extended to it).
    pub fn read_as(&mut self, n: u32, ty: Type) -> Value {
        match self.insn.op_kind(n) {
            OpKind::Register => {
                let v = self.get_reg(self.insn.op_register(n));
                self.b.zext(v, ty)
            }
            OpKind::Immediate8
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32 => {
                let imm = self.insn.immediate(n);
                self.b.iconst(ty, imm)
            }
            _ => {
                let a = self.ea();
                self.load(ty, a)
            }
        }
    }

    /// Writes operand `n` (a register or memory).
    pub fn write(&mut self, n: u32, v: Value) {
        match self.insn.op_kind(n) {
            OpKind::Register => self.set_reg(self.insn.op_register(n), v),
            _ => {
                let a = self.ea();
                self.store(a, v);
            }
        }
    }

    /// Whether operand `n` is in memory.
    pub fn is_mem(&self, n: u32) -> bool {
        self.insn.op_kind(n) == OpKind::Memory
    }

    /// The stack pointer's linear address for an access at `esp + off`.
    fn stack_addr(&mut self, esp: Value, off: i32) -> Value {
        let mut a = esp;
        if off != 0 {
            let o = self.b.c32(off as u32);
            a = self.b.add(a, o);
        }
        if self.flags & tb_flags::SS32 == 0 {
            let m = self.b.c32(0xffff);
            a = self.b.and(a, m);
        }
        self.linear(sreg::SS, a)
    }

    /// Pushes `v` (its own size): the store first, then ESP.
    pub fn push(&mut self, v: Value) {
        let ty = self.b.ty(v);
        let esp = self.reg32(4);
        let n = i32::from(ty.bytes());
        let a = self.stack_addr(esp, -n);
        self.store(a, v);
        let d = self.b.c32((-n) as u32);
        let e = self.b.add(esp, d);
        self.set_esp(esp, e);
    }

    /// Pushes several values, all stores before ESP moves.
    pub fn push_all(&mut self, vs: &[Value]) {
        let esp = self.reg32(4);
        let mut off = 0i32;
        for &v in vs {
            off -= i32::from(self.b.ty(v).bytes());
            let a = self.stack_addr(esp, off);
            self.store(a, v);
        }
        let d = self.b.c32(off as u32);
        let e = self.b.add(esp, d);
        self.set_esp(esp, e);
    }

    /// Reads `ty` at ESP + `off` (no ESP change).
    pub fn peek(&mut self, ty: Type, off: i32) -> Value {
        let esp = self.reg32(4);
        let a = self.stack_addr(esp, off);
        self.load(ty, a)
    }

    /// Adds `delta` to ESP (SP on a 16-bit stack).
    pub fn adjust_esp(&mut self, delta: i32) {
        let esp = self.reg32(4);
        let d = self.b.c32(delta as u32);
        let e = self.b.add(esp, d);
        self.set_esp(esp, e);
    }

    fn set_esp(&mut self, old: Value, new: Value) {
        if self.flags & tb_flags::SS32 != 0 {
            self.set_reg32(4, new);
        } else {
            let lo = self.b.zext(new, Type::I16);
            let _ = old;
            self.b.set(reg_slot(4, Type::I16, false), lo);
        }
    }

    /// The operand size of a stack operation: 4 or 2 bytes.
    pub fn stack_ty(&self) -> Type {
        match self.insn.stack_pointer_increment().unsigned_abs() {
            2 => Type::I16,
            _ => Type::I32,
        }
    }

    // ---- flags ----

    /// Whether any of `bits` (iced's) is live after the instruction.
    pub fn is_live(&self, bits: u32) -> bool {
        self.live & bits != 0
    }

    /// Sets ZF, SF and PF from `res` (any width; SF is its top bit).
    pub fn set_szp(&mut self, res: Value) {
        if !self.is_live(RflagsBits::ZF | RflagsBits::SF | RflagsBits::PF) {
            return;
        }
        let v = self.b.sext(res, Type::I32);
        if self.is_live(RflagsBits::ZF) {
            self.b.set(slots::ZRES, v);
        }
        if self.is_live(RflagsBits::SF) {
            self.b.set(slots::SRES, v);
        }
        if self.is_live(RflagsBits::PF) {
            self.b.set(slots::PRES, v);
        }
    }

    /// Sets CF from `c` (an I8 or wider 0/1 value).
    pub fn set_cf(&mut self, c: Value) {
        if self.is_live(RflagsBits::CF) {
            let v = self.b.zext(c, Type::I32);
            self.b.set(slots::CF, v);
        }
    }

    /// Sets OF from `o` (0/1).
    pub fn set_of(&mut self, o: Value) {
        if self.is_live(RflagsBits::OF) {
            let v = self.b.zext(o, Type::I32);
            self.b.set(slots::OF, v);
        }
    }

    /// Sets AF to bit 4 of `aux` (`a ^ b ^ result` of an addition or
    /// subtraction).
    pub fn set_af(&mut self, aux: Value) {
        if self.is_live(RflagsBits::AF) {
            let v = self.b.zext(aux, Type::I32);
            self.b.set(slots::AUX, v);
        }
    }

    /// Sets CF, OF and AF to constants (0 or 1).
    pub fn set_cf_of_af(&mut self, cf: u32, of: u32, af: u32) {
        if self.is_live(RflagsBits::CF) {
            let v = self.b.c32(cf);
            self.b.set(slots::CF, v);
        }
        if self.is_live(RflagsBits::OF) {
            let v = self.b.c32(of);
            self.b.set(slots::OF, v);
        }
        if self.is_live(RflagsBits::AF) {
            let v = self.b.c32(af << 4);
            self.b.set(slots::AUX, v);
        }
    }

    /// CF as I8 0/1.
    pub fn cf(&mut self) -> Value {
        let v = self.b.get(slots::CF);
        self.b.zext(v, Type::I8)
    }

    /// ZF as I8 0/1.
    pub fn zf(&mut self) -> Value {
        let v = self.b.get(slots::ZRES);
        let z = self.b.c32(0);
        self.b.cmp(Cmp::Eq, v, z)
    }

    /// SF as I8 0/1.
    pub fn sf(&mut self) -> Value {
        let v = self.b.get(slots::SRES);
        let z = self.b.c32(0);
        self.b.cmp(Cmp::Slt, v, z)
    }

    /// OF as I8 0/1.
    pub fn of(&mut self) -> Value {
        let v = self.b.get(slots::OF);
        self.b.zext(v, Type::I8)
    }

    /// PF as I8 0/1.
    pub fn pf(&mut self) -> Value {
        let v = self.b.get(slots::PRES);
        let m = self.b.c32(0xff);
        let low = self.b.and(v, m);
        let n = self.b.popcnt(low);
        let one = self.b.c32(1);
        let odd = self.b.and(n, one);
        let even = self.b.xor(odd, one);
        self.b.zext(even, Type::I8)
    }

    /// AF as I8 0/1.
    pub fn af(&mut self) -> Value {
        let v = self.b.get(slots::AUX);
        let s = self.b.c32(4);
        let v = self.b.lshr(v, s);
        let one = self.b.c32(1);
        let v = self.b.and(v, one);
        self.b.zext(v, Type::I8)
    }

    /// Condition `cc` as I8 0/1.
    pub fn cond(&mut self, cc: ConditionCode) -> Value {
        use ConditionCode as C;
        let (base, negate) = match cc {
            C::o => (0, false),
            C::no => (0, true),
            C::b => (1, false),
            C::ae => (1, true),
            C::e => (2, false),
            C::ne => (2, true),
            C::be => (3, false),
            C::a => (3, true),
            C::s => (4, false),
            C::ns => (4, true),
            C::p => (5, false),
            C::np => (5, true),
            C::l => (6, false),
            C::ge => (6, true),
            C::le => (7, false),
            C::g => (7, true),
            C::None => unreachable!("a conditional instruction has a condition"),
        };
        let v = match base {
            0 => self.of(),
            1 => self.cf(),
            2 => self.zf(),
            3 => {
                let c = self.cf();
                let z = self.zf();
                self.b.or(c, z)
            }
            4 => self.sf(),
            5 => self.pf(),
            6 => {
                let s = self.sf();
                let o = self.of();
                self.b.xor(s, o)
            }
            _ => {
                let s = self.sf();
                let o = self.of();
                let l = self.b.xor(s, o);
                let z = self.zf();
                self.b.or(l, z)
            }
        };
        if negate {
            let one = self.b.iconst(Type::I8, 1);
            self.b.xor(v, one)
        } else {
            v
        }
    }

    /// The packed EFLAGS (as PUSHF and exceptions see it).
    pub fn eflags(&mut self) -> Value {
        let mut v = self.b.get(slots::EFLAGS);
        for pos in [0u32, 2, 4, 6, 7, 11] {
            let f = match pos {
                0 => self.cf(),
                2 => self.pf(),
                4 => self.af(),
                6 => self.zf(),
                7 => self.sf(),
                _ => self.of(),
            };
            let f = self.b.zext(f, Type::I32);
            let s = self.b.c32(pos);
            let f = self.b.shl(f, s);
            v = self.b.or(v, f);
        }
        v
    }

    /// Sets the arithmetic flags from the packed value `v` (I32), those
    /// in `mask` (EFLAGS bits) only.
    pub fn set_arith_flags(&mut self, v: Value, mask: u32) {
        use lockstep_runtime::x86::eflags as e;
        let bit = |cx: &mut Self, pos: u32| {
            let s = cx.b.c32(pos);
            let x = cx.b.lshr(v, s);
            let one = cx.b.c32(1);
            cx.b.and(x, one)
        };
        if mask & e::CF != 0 {
            let c = bit(self, 0);
            self.b.set(slots::CF, c);
        }
        if mask & e::OF != 0 {
            let o = bit(self, 11);
            self.b.set(slots::OF, o);
        }
        if mask & e::AF != 0 {
            let m = self.b.c32(e::AF);
            let a = self.b.and(v, m);
            self.b.set(slots::AUX, a);
        }
        if mask & e::ZF != 0 {
            // zres = !ZF.
            let z = bit(self, 6);
            let one = self.b.c32(1);
            let nz = self.b.xor(z, one);
            self.b.set(slots::ZRES, nz);
        }
        if mask & e::SF != 0 {
            let s = bit(self, 7);
            let sh = self.b.c32(31);
            let s = self.b.shl(s, sh);
            self.b.set(slots::SRES, s);
        }
        if mask & e::PF != 0 {
            // pres = !PF: 0 has even parity, 1 odd.
            let p = bit(self, 2);
            let one = self.b.c32(1);
            let np = self.b.xor(p, one);
            self.b.set(slots::PRES, np);
        }
    }
}

/// The slot of general register `r` (8-, 16- or 32-bit).
pub fn gpr_slot(r: Register) -> crate::ir::Slot {
    let (n, ty, high) = gpr(r);
    reg_slot(n, ty, high)
}

/// Register `r` as (number 0-7, width, high byte).
pub fn gpr(r: Register) -> (u32, Type, bool) {
    let i = r as u32;
    if (Register::AL as u32..=Register::BL as u32).contains(&i) {
        (i - Register::AL as u32, Type::I8, false)
    } else if (Register::AH as u32..=Register::BH as u32).contains(&i) {
        (i - Register::AH as u32, Type::I8, true)
    } else if (Register::AX as u32..=Register::DI as u32).contains(&i) {
        (i - Register::AX as u32, Type::I16, false)
    } else if (Register::EAX as u32..=Register::EDI as u32).contains(&i) {
        (i - Register::EAX as u32, Type::I32, false)
    } else {
        panic!("not a general register of a 32-bit CPU: {r:?}")
    }
}

/// The number of segment register `r`.
pub fn seg_index(r: Register) -> usize {
    match r {
        Register::ES => sreg::ES,
        Register::CS => sreg::CS,
        Register::SS => sreg::SS,
        Register::FS => sreg::FS,
        Register::GS => sreg::GS,
        _ => sreg::DS,
    }
}
