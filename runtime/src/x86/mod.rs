//! 32-bit x86 (i686) CPU state.
//!
//! The arithmetic flags live in separate words, each kept the way the
//! instructions that set it produce it for free, and the packed EFLAGS is
//! assembled only when the guest asks for it (PUSHF, an interrupt) or a
//! human does:
//! - `cf`, `of`: 0 or 1;
//! - `zres`: zero exactly when ZF is set;
//! - `sres`: SF is its bit 31;
//! - `pres`: PF is set when its low byte has an even number of ones;
//! - `aux`: AF is its bit 4 (an addition stores `a ^ b ^ result`).
//!
//! A flag-setting instruction usually stores its result (sign-extended to
//! 32 bits) in `zres`, `sres` and `pres` at once; an instruction that sets
//! ZF, SF or PF on its own (POPF, SAHF, BT, CMPXCHG8B) stores a value that
//! gives just that flag. The frontend computes only the flags a later
//! instruction may read (see `jit::frontend::x86`).
//!
//! Segment registers hold their descriptor caches (base, limit and the
//! descriptor's attribute bits), loaded by the helpers in [`seg`]. Paging
//! is [`mmu`]; exception and interrupt delivery through the IDT is
//! [`exception`].

pub mod exception;
pub mod mmu;
pub mod seg;

use crate::env::{Access, CpuEnv, GuestFault};
use crate::softmmu::{Translate, Translation};

/// Trap codes (`Trap::code`) raised by the x86 frontend.
pub mod trap {
    /// `INT n`: `arg` is the vector. The instruction retires; the
    /// interrupt returns after it.
    pub const INT: u32 = 1;
    /// An undefined or unimplemented instruction (#UD): `arg` holds its
    /// first four bytes, little-endian. Not credited.
    pub const UD: u32 = 2;
    /// `INT3` (#BP, a trap: it returns after the instruction).
    pub const INT3: u32 = 3;
    /// `INTO` with OF set (#OF, a trap).
    pub const INTO: u32 = 4;
    /// A fault the frontend decides at translation time (a privileged
    /// instruction at CPL 3): `arg` is `vector | error_code << 8`. Not
    /// credited.
    pub const FAULT: u32 = 5;
}

/// Exception vectors.
pub mod vector {
    /// Divide error.
    pub const DE: u8 = 0;
    /// Debug.
    pub const DB: u8 = 1;
    /// Breakpoint (INT3).
    pub const BP: u8 = 3;
    /// Overflow (INTO).
    pub const OF: u8 = 4;
    /// BOUND range exceeded.
    pub const BR: u8 = 5;
    /// Invalid opcode.
    pub const UD: u8 = 6;
    /// Device not available (FPU).
    pub const NM: u8 = 7;
    /// Double fault.
    pub const DF: u8 = 8;
    /// Invalid TSS.
    pub const TS: u8 = 10;
    /// Segment not present.
    pub const NP: u8 = 11;
    /// Stack-segment fault.
    pub const SS: u8 = 12;
    /// General protection.
    pub const GP: u8 = 13;
    /// Page fault.
    pub const PF: u8 = 14;
    /// x87 floating-point error.
    pub const MF: u8 = 16;
    /// Alignment check.
    pub const AC: u8 = 17;

    /// Whether the exception pushes an error code.
    pub fn has_error_code(v: u8) -> bool {
        matches!(v, DF | TS | NP | SS | GP | PF | AC)
    }
}

/// EFLAGS bits.
pub mod eflags {
    /// Carry.
    pub const CF: u32 = 1 << 0;
    /// Always one.
    pub const FIXED: u32 = 1 << 1;
    /// Parity.
    pub const PF: u32 = 1 << 2;
    /// Auxiliary carry.
    pub const AF: u32 = 1 << 4;
    /// Zero.
    pub const ZF: u32 = 1 << 6;
    /// Sign.
    pub const SF: u32 = 1 << 7;
    /// Trap (single step).
    pub const TF: u32 = 1 << 8;
    /// Interrupt enable.
    pub const IF: u32 = 1 << 9;
    /// Direction.
    pub const DF: u32 = 1 << 10;
    /// Overflow.
    pub const OF: u32 = 1 << 11;
    /// I/O privilege level (two bits).
    pub const IOPL: u32 = 3 << 12;
    /// Nested task.
    pub const NT: u32 = 1 << 14;
    /// Resume.
    pub const RF: u32 = 1 << 16;
    /// Virtual-8086 mode.
    pub const VM: u32 = 1 << 17;
    /// Alignment check.
    pub const AC: u32 = 1 << 18;
    /// CPUID available (software can toggle it).
    pub const ID: u32 = 1 << 21;
    /// The bits kept in the flag words rather than `X86Cpu::eflags`.
    pub const ARITH: u32 = CF | PF | AF | ZF | SF | OF;
    /// The bits software can change at all on this CPU.
    pub const WRITABLE: u32 = ARITH | TF | IF | DF | IOPL | NT | RF | AC | ID;
}

/// CR0 bits.
pub mod cr0 {
    /// Protected mode.
    pub const PE: u32 = 1 << 0;
    /// Monitor coprocessor.
    pub const MP: u32 = 1 << 1;
    /// x87 emulation.
    pub const EM: u32 = 1 << 2;
    /// Task switched.
    pub const TS: u32 = 1 << 3;
    /// Extension type (always one on a 486 and later).
    pub const ET: u32 = 1 << 4;
    /// Native x87 error reporting.
    pub const NE: u32 = 1 << 5;
    /// Supervisor writes honour read-only pages.
    pub const WP: u32 = 1 << 16;
    /// Alignment mask.
    pub const AM: u32 = 1 << 18;
    /// Not write-through (no effect here).
    pub const NW: u32 = 1 << 29;
    /// Cache disable (no effect here).
    pub const CD: u32 = 1 << 30;
    /// Paging.
    pub const PG: u32 = 1 << 31;
}

/// CR4 bits.
pub mod cr4 {
    /// Time-stamp counter readable only at CPL 0.
    pub const TSD: u32 = 1 << 2;
    /// Debugging extensions.
    pub const DE: u32 = 1 << 3;
    /// 4 MiB pages.
    pub const PSE: u32 = 1 << 4;
    /// Physical address extension (not supported: CPUID does not list it).
    pub const PAE: u32 = 1 << 5;
    /// Global pages.
    pub const PGE: u32 = 1 << 7;
    /// The bits this CPU accepts.
    pub const SUPPORTED: u32 = TSD | DE | PSE | PGE;
}

/// Segment register numbers, in the order of their encoding.
pub mod sreg {
    /// ES.
    pub const ES: usize = 0;
    /// CS.
    pub const CS: usize = 1;
    /// SS.
    pub const SS: usize = 2;
    /// DS.
    pub const DS: usize = 3;
    /// FS.
    pub const FS: usize = 4;
    /// GS.
    pub const GS: usize = 5;
    /// Names, by number.
    pub const NAMES: [&str; 6] = ["es", "cs", "ss", "ds", "fs", "gs"];
}

/// Translation flags: the state bits a translation depends on (the block
/// cache key).
pub mod tb_flags {
    /// The current privilege level (two bits).
    pub const CPL: u32 = 3;
    /// The code segment is 32-bit (CS.D).
    pub const CS32: u32 = 1 << 2;
    /// The stack segment is 32-bit (SS.B).
    pub const SS32: u32 = 1 << 3;
    /// DS, ES or SS has a non-zero base: their accesses add it.
    pub const ADDSEG: u32 = 1 << 4;
    /// Protected mode (CR0.PE).
    pub const PE: u32 = 1 << 5;
    /// IOPL, at its EFLAGS position >> 6 (bits 6-7): whether CLI, STI and
    /// port I/O are allowed is decided at translation.
    pub const IOPL_SHIFT: u32 = 6;
    /// CR0.EM or CR0.TS: x87 instructions raise #NM.
    pub const FPU_TRAP: u32 = 1 << 8;
    /// CR0.MP and CR0.TS: WAIT raises #NM too.
    pub const WAIT_TRAP: u32 = 1 << 9;
}

/// A segment register and its descriptor cache.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// The visible selector.
    pub selector: u32,
    /// Linear base address.
    pub base: u32,
    /// Last valid offset (the granularity already applied).
    pub limit: u32,
    /// The descriptor's attribute bits, at their positions in its high
    /// doubleword: type (8-11), S (12), DPL (13-14), P (15), AVL (20),
    /// D/B (22), G (23).
    pub flags: u32,
}

/// Descriptor attribute bits (in [`Segment::flags`]).
pub mod desc {
    /// Accessed (data and code), or busy (TSS).
    pub const ACCESSED: u32 = 1 << 8;
    /// Writable (data) or readable (code).
    pub const RW: u32 = 1 << 9;
    /// Expand-down (data) or conforming (code).
    pub const DC: u32 = 1 << 10;
    /// Code (rather than data).
    pub const CODE: u32 = 1 << 11;
    /// A code or data segment (rather than a system descriptor).
    pub const S: u32 = 1 << 12;
    /// Shift of the descriptor privilege level.
    pub const DPL_SHIFT: u32 = 13;
    /// Present.
    pub const P: u32 = 1 << 15;
    /// Default operation size 32 bits (D/B).
    pub const DB: u32 = 1 << 22;
    /// Limit in 4 KiB units.
    pub const G: u32 = 1 << 23;
    /// The bits a descriptor cache keeps.
    pub const MASK: u32 = 0x00f0_ff00;
}

impl Segment {
    /// A flat 4 GiB segment with the given attribute bits.
    pub const fn flat(selector: u32, flags: u32) -> Segment {
        Segment {
            selector,
            base: 0,
            limit: u32::MAX,
            flags,
        }
    }

    /// The descriptor privilege level.
    pub fn dpl(&self) -> u32 {
        self.flags >> desc::DPL_SHIFT & 3
    }
}

/// The model-specific registers this CPU has (SYSENTER's, if SEP is
/// advertised; none other is stored).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msrs {
    /// IA32_SYSENTER_CS.
    pub sysenter_cs: u32,
    /// IA32_SYSENTER_ESP.
    pub sysenter_esp: u32,
    /// IA32_SYSENTER_EIP.
    pub sysenter_eip: u32,
    /// The time-stamp counter minus virtual nanoseconds (a TSC write).
    pub tsc_offset: u64,
}

/// The x87 FPU's state.
///
/// The eight physical registers R0-R7 hold 80-bit extended values as a
/// 64-bit significand (explicit integer bit) and a sign-and-exponent
/// word. ST(i) is R((TOP + i) mod 8), TOP being FSW bits 13:11. Only
/// whether each register is empty is kept (`empty`, bit i for Ri); the
/// tag word's other codes are derived from the contents when FSTENV or
/// FSAVE store it, as the hardware does.
#[repr(C)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fpu {
    /// R0-R7 significands.
    pub mant: [u64; 8],
    /// R0-R7 sign (bit 15) and exponent (bits 14:0).
    pub sexp: [u16; 8],
    /// The control word.
    pub fcw: u16,
    /// The status word (TOP in bits 13:11).
    pub fsw: u16,
    /// Bit i set: Ri is empty.
    pub empty: u8,
    /// The last non-control instruction's opcode (11 bits).
    pub fop: u16,
    /// Its CS selector.
    pub fcs: u16,
    /// Its offset.
    pub fip: u32,
    /// The last memory operand's offset.
    pub fdp: u32,
    /// Its segment selector.
    pub fds: u16,
    /// Scratch for a store, between the helper that computes the value
    /// and the one that commits it (so a faulting store changes
    /// nothing): the high 16 bits of an 80-bit value,
    pub out_hi: u16,
    /// whether the value is to be stored (no unmasked exception),
    pub store_ok: u32,
    /// the exception flags and C1 to raise,
    pub pend_flags: u16,
    /// C1 after the store,
    pub pend_c1: u8,
    /// and whether it pops.
    pub pend_pop: u8,
}

impl Default for Fpu {
    /// The state after FNINIT.
    fn default() -> Self {
        Fpu {
            mant: [0; 8],
            sexp: [0; 8],
            fcw: 0x037f,
            fsw: 0,
            empty: 0xff,
            fop: 0,
            fcs: 0,
            fip: 0,
            fdp: 0,
            fds: 0,
            out_hi: 0,
            store_ok: 0,
            pend_flags: 0,
            pend_c1: 0,
            pend_pop: 0,
        }
    }
}

/// The architectural state of one i686 core.
#[repr(C)]
#[derive(Clone, Debug)]
pub struct X86Cpu {
    /// EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI (in encoding order).
    pub regs: [u32; 8],
    /// The instruction pointer (an offset in CS).
    pub eip: u32,
    /// CF (0 or 1).
    pub cf: u32,
    /// OF (0 or 1).
    pub of: u32,
    /// Zero exactly when ZF is set.
    pub zres: u32,
    /// SF is bit 31.
    pub sres: u32,
    /// PF: the parity of the low byte (set when even).
    pub pres: u32,
    /// AF is bit 4.
    pub aux: u32,
    /// The EFLAGS bits other than the arithmetic flags.
    pub eflags: u32,
    /// ES, CS, SS, DS, FS, GS.
    pub seg: [Segment; 6],
    /// The local descriptor table register.
    pub ldtr: Segment,
    /// The task register.
    pub tr: Segment,
    /// GDTR base.
    pub gdt_base: u32,
    /// GDTR limit.
    pub gdt_limit: u32,
    /// IDTR base.
    pub idt_base: u32,
    /// IDTR limit.
    pub idt_limit: u32,
    /// CR0.
    pub cr0: u32,
    /// CR2: the last page-fault address.
    pub cr2: u32,
    /// CR3: the page directory base.
    pub cr3: u32,
    /// CR4.
    pub cr4: u32,
    /// Non-zero for the instruction after STI (when it set IF), MOV SS or
    /// POP SS: no interrupt is taken before that instruction completes.
    pub inhibit_irq: u32,
    /// Model-specific registers.
    pub msr: Msrs,
    /// The x87 FPU.
    pub fpu: Fpu,
}

impl Default for X86Cpu {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether the low byte of `v` has even parity (x86's PF).
pub fn parity_even(v: u32) -> bool {
    (v as u8).count_ones().is_multiple_of(2)
}

impl X86Cpu {
    /// The state of a 32-bit boot protocol's entry (multiboot, Linux):
    /// protected mode, paging off, flat 4 GiB code and data segments,
    /// interrupts disabled, EIP 0. The GDT itself is the loader's to
    /// provide (selectors 0x08 code, 0x10 data by convention).
    pub fn new() -> Self {
        // Code: execute/read, accessed, present, DPL 0, 32-bit, 4 KiB
        // granularity. Data: read/write, accessed.
        let code = desc::S | desc::P | desc::DB | desc::G | desc::CODE | desc::RW | desc::ACCESSED;
        let data = desc::S | desc::P | desc::DB | desc::G | desc::RW | desc::ACCESSED;
        let mut seg = [Segment::flat(0x10, data); 6];
        seg[sreg::CS] = Segment::flat(0x08, code);
        X86Cpu {
            regs: [0; 8],
            eip: 0,
            cf: 0,
            of: 0,
            zres: 1,
            sres: 0,
            pres: 1,
            aux: 0,
            eflags: eflags::FIXED,
            seg,
            ldtr: Segment::default(),
            tr: Segment {
                selector: 0,
                base: 0,
                limit: 0xffff,
                flags: desc::P | 0xb << 8,
            },
            gdt_base: 0,
            gdt_limit: 0xffff,
            idt_base: 0,
            idt_limit: 0xffff,
            cr0: cr0::PE | cr0::ET,
            cr2: 0,
            cr3: 0,
            cr4: 0,
            inhibit_irq: 0,
            msr: Msrs::default(),
            fpu: Fpu::default(),
        }
    }

    /// The current privilege level.
    pub fn cpl(&self) -> u32 {
        self.seg[sreg::CS].selector & 3
    }

    /// The packed EFLAGS.
    pub fn eflags(&self) -> u32 {
        let mut f = self.eflags & !eflags::ARITH | eflags::FIXED;
        if self.cf & 1 != 0 {
            f |= eflags::CF;
        }
        if parity_even(self.pres) {
            f |= eflags::PF;
        }
        if self.aux & 0x10 != 0 {
            f |= eflags::AF;
        }
        if self.zres == 0 {
            f |= eflags::ZF;
        }
        if self.sres >> 31 != 0 {
            f |= eflags::SF;
        }
        if self.of & 1 != 0 {
            f |= eflags::OF;
        }
        f
    }

    /// Sets every EFLAGS bit from `v` (the caller has applied the
    /// privilege rules for IF and IOPL).
    pub fn set_eflags(&mut self, v: u32) {
        self.cf = v & 1;
        self.pres = u32::from(v & eflags::PF == 0);
        self.aux = v & eflags::AF;
        self.zres = u32::from(v & eflags::ZF == 0);
        self.sres = (v & eflags::SF) << 24;
        self.of = v >> 11 & 1;
        self.eflags = v & eflags::WRITABLE & !eflags::ARITH | eflags::FIXED;
    }

    /// The softmmu table for this privilege level: 1 for CPL 3, else 0.
    pub fn mmu_idx(&self) -> usize {
        usize::from(self.cpl() == 3)
    }

    /// The linear address of the next instruction.
    pub fn linear_pc(&self) -> u32 {
        self.seg[sreg::CS].base.wrapping_add(self.eip)
    }

    /// The translation flags (see [`tb_flags`]).
    pub fn tb_flags(&self) -> u32 {
        let mut f = self.cpl();
        if self.seg[sreg::CS].flags & desc::DB != 0 {
            f |= tb_flags::CS32;
        }
        if self.seg[sreg::SS].flags & desc::DB != 0 {
            f |= tb_flags::SS32;
        }
        if self.seg[sreg::DS].base | self.seg[sreg::ES].base | self.seg[sreg::SS].base != 0 {
            f |= tb_flags::ADDSEG;
        }
        if self.cr0 & cr0::PE != 0 {
            f |= tb_flags::PE;
        }
        f |= (self.eflags & eflags::IOPL) >> 12 << tb_flags::IOPL_SHIFT;
        if self.cr0 & (cr0::EM | cr0::TS) != 0 {
            f |= tb_flags::FPU_TRAP;
        }
        if self.cr0 & (cr0::MP | cr0::TS) == cr0::MP | cr0::TS {
            f |= tb_flags::WAIT_TRAP;
        }
        f
    }

    /// Feeds every architected register into `h`.
    pub fn hash_into(&self, h: &mut impl std::hash::Hasher) {
        let segs = self
            .seg
            .iter()
            .chain([&self.ldtr, &self.tr])
            .flat_map(|s| [s.selector, s.base, s.limit, s.flags]);
        let words = self
            .regs
            .iter()
            .copied()
            .chain([self.eip, self.eflags()])
            .chain(segs)
            .chain([
                self.gdt_base,
                self.gdt_limit,
                self.idt_base,
                self.idt_limit,
                self.cr0,
                self.cr2,
                self.cr3,
                self.cr4,
                self.inhibit_irq,
                self.msr.sysenter_cs,
                self.msr.sysenter_esp,
                self.msr.sysenter_eip,
            ]);
        for w in words {
            h.write_u32(w);
        }
        h.write_u64(self.msr.tsc_offset);
        let f = &self.fpu;
        for i in 0..8 {
            h.write_u64(f.mant[i]);
            h.write_u16(f.sexp[i]);
        }
        for w in [f.fcw, f.fsw, u16::from(f.empty), f.fop, f.fcs, f.fds] {
            h.write_u16(w);
        }
        h.write_u32(f.fip);
        h.write_u32(f.fdp);
    }
}

impl Translate for X86Cpu {
    fn translate(
        env: &mut CpuEnv<Self>,
        vaddr: u64,
        access: Access,
        mmu_idx: usize,
    ) -> Result<Translation, GuestFault> {
        mmu::translate(env, vaddr, access, mmu_idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eflags_round_trip_through_split_flags() {
        let mut c = X86Cpu::new();
        assert_eq!(c.eflags(), 0x2, "only the fixed bit after reset");
        for v in [0x2u32, 0x8d7, 0x202, 0x3ed5, 0x24_4ed7] {
            c.set_eflags(v);
            assert_eq!(c.eflags(), v | 2, "{v:#x}");
        }
        c.set_eflags(0xffff_ffff);
        assert_eq!(c.eflags(), eflags::WRITABLE | eflags::FIXED);
    }

    #[test]
    fn translation_flags_follow_privilege_and_segments() {
        let mut c = X86Cpu::new();
        assert_eq!(c.tb_flags(), tb_flags::CS32 | tb_flags::SS32 | tb_flags::PE);
        c.seg[sreg::CS].selector |= 3;
        c.seg[sreg::DS].base = 0x1000;
        assert_eq!(c.mmu_idx(), 1);
        assert_eq!(
            c.tb_flags() & (tb_flags::CPL | tb_flags::ADDSEG),
            3 | tb_flags::ADDSEG
        );
    }
}
