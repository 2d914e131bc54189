//! Protected-mode segmentation: descriptor tables, segment register loads
//! with their privilege checks, and the far transfers (JMP, CALL, RET,
//! IRET) that change CS.
//!
//! Every function here works on the environment between or inside blocks
//! (from a helper), reads and writes guest memory through the softmmu as
//! supervisor accesses (descriptor tables are system structures), and
//! either completes or returns the exception the guest takes with nothing
//! architected changed but the descriptors' accessed bits.
//!
//! Not supported (the guest gets #GP, and docs/status.md says so): call
//! gates, task gates and task switches, virtual-8086 mode, 16-bit
//! far transfers.

use super::{desc, eflags, sreg, vector, Segment, X86Cpu};
use crate::env::{CpuEnv, FaultKind, GuestFault};
use crate::softmmu::{self, MemOp};

/// An exception to deliver: vector, error code (if it pushes one) and,
/// for a page fault, the address for CR2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exc {
    /// The vector.
    pub vector: u8,
    /// The error code it pushes (ignored for vectors without one).
    pub code: u32,
    /// The faulting linear address (page faults).
    pub cr2: Option<u32>,
}

impl Exc {
    /// An exception with error code `code`.
    pub fn new(vector: u8, code: u32) -> Exc {
        Exc {
            vector,
            code,
            cr2: None,
        }
    }

    /// #GP(code).
    pub fn gp(code: u32) -> Exc {
        Exc::new(vector::GP, code)
    }

    /// The exception a memory fault raises: a page fault (`user` says
    /// whether the access was made at CPL 3), or the exception a helper
    /// raised.
    pub fn from_fault(f: &GuestFault, user: bool) -> Exc {
        match f.kind {
            FaultKind::Arch { vector, error_code } => Exc::new(vector, error_code),
            _ => Exc {
                vector: vector::PF,
                code: super::mmu::page_fault_code(f, user),
                cr2: Some(f.vaddr as u32),
            },
        }
    }

    /// The fault a helper raises for this exception.
    pub fn to_fault(self) -> GuestFault {
        if let Some(addr) = self.cr2 {
            return GuestFault {
                kind: if self.code & 1 != 0 {
                    FaultKind::Permission {
                        level: 2,
                        domain: 0,
                    }
                } else {
                    FaultKind::Translation { level: 2 }
                },
                access: if self.code & 2 != 0 {
                    crate::env::Access::Write
                } else {
                    crate::env::Access::Read
                },
                vaddr: u64::from(addr),
            };
        }
        GuestFault {
            kind: FaultKind::Arch {
                vector: self.vector,
                error_code: self.code,
            },
            access: crate::env::Access::Read,
            vaddr: 0,
        }
    }
}

/// Result of an operation that may raise an exception.
pub type XResult<T> = Result<T, Exc>;

type Env = CpuEnv<X86Cpu>;

fn sys_op(size: u8) -> MemOp {
    MemOp {
        size,
        align: 1,
        mmu_idx: 0,
    }
}

/// Reads `size` bytes at linear address `addr` as a supervisor access.
pub fn read_sys(env: &mut Env, addr: u32, size: u8) -> XResult<u32> {
    softmmu::read(env, u64::from(addr), sys_op(size))
        .map(|v| v as u32)
        .map_err(|f| Exc::from_fault(&f, false))
}

/// Writes `size` bytes at linear address `addr` as a supervisor access.
pub fn write_sys(env: &mut Env, addr: u32, size: u8, value: u32) -> XResult<()> {
    softmmu::write(env, u64::from(addr), u64::from(value), sys_op(size))
        .map_err(|f| Exc::from_fault(&f, false))
}

/// Reads from the stack (SS:`esp`) with the privilege of `cpl`.
fn read_stack(env: &mut Env, ss: &Segment, esp: u32, size: u8, cpl: u32) -> XResult<u32> {
    let op = MemOp {
        size,
        align: 1,
        mmu_idx: u8::from(cpl == 3),
    };
    softmmu::read(env, u64::from(ss.base.wrapping_add(esp)), op)
        .map(|v| v as u32)
        .map_err(|f| Exc::from_fault(&f, cpl == 3))
}

/// Writes to the stack (SS:`esp`) with the privilege of `cpl`.
pub fn write_stack(
    env: &mut Env,
    ss: &Segment,
    esp: u32,
    size: u8,
    value: u32,
    cpl: u32,
) -> XResult<()> {
    let op = MemOp {
        size,
        align: 1,
        mmu_idx: u8::from(cpl == 3),
    };
    softmmu::write(
        env,
        u64::from(ss.base.wrapping_add(esp)),
        u64::from(value),
        op,
    )
    .map_err(|f| Exc::from_fault(&f, cpl == 3))
}

/// A descriptor as it sits in a table: its two doublewords and where.
#[derive(Clone, Copy, Debug)]
pub struct Descriptor {
    /// Low doubleword.
    pub lo: u32,
    /// High doubleword.
    pub hi: u32,
    /// Linear address of the descriptor.
    pub addr: u32,
}

impl Descriptor {
    /// The descriptor cache it loads for `selector`.
    pub fn segment(&self, selector: u32) -> Segment {
        let base = (self.lo >> 16) | (self.hi & 0xff) << 16 | (self.hi & 0xff00_0000);
        let mut limit = (self.lo & 0xffff) | (self.hi & 0x000f_0000);
        if self.hi & desc::G != 0 {
            limit = limit << 12 | 0xfff;
        }
        Segment {
            selector,
            base,
            limit,
            flags: self.hi & desc::MASK,
        }
    }

    /// The attribute bits.
    pub fn flags(&self) -> u32 {
        self.hi & desc::MASK
    }

    /// The descriptor privilege level.
    pub fn dpl(&self) -> u32 {
        self.hi >> desc::DPL_SHIFT & 3
    }

    /// Present.
    pub fn present(&self) -> bool {
        self.hi & desc::P != 0
    }

    /// A code or data segment (not a system descriptor).
    pub fn is_segment(&self) -> bool {
        self.hi & desc::S != 0
    }

    /// A code segment.
    pub fn is_code(&self) -> bool {
        self.is_segment() && self.hi & desc::CODE != 0
    }

    /// The system descriptor type (bits 8-12 of the high word).
    pub fn system_type(&self) -> u32 {
        self.hi >> 8 & 0x1f
    }
}

/// Reads the descriptor `selector` names from the GDT or the LDT; a
/// selector beyond the table's limit is #GP(selector).
pub fn read_descriptor(env: &mut Env, selector: u32) -> XResult<Descriptor> {
    let cpu = &env.arch;
    let (base, limit) = if selector & 4 != 0 {
        if cpu.ldtr.selector & !3 == 0 {
            return Err(Exc::gp(selector & 0xfffc));
        }
        (cpu.ldtr.base, cpu.ldtr.limit)
    } else {
        (cpu.gdt_base, cpu.gdt_limit)
    };
    let index = selector & !7;
    if index + 7 > limit {
        return Err(Exc::gp(selector & 0xfffc));
    }
    let addr = base.wrapping_add(index);
    let lo = read_sys(env, addr, 4)?;
    let hi = read_sys(env, addr.wrapping_add(4), 4)?;
    Ok(Descriptor { lo, hi, addr })
}

/// Sets a segment descriptor's accessed bit in memory, as a load does.
fn set_accessed(env: &mut Env, d: &mut Descriptor) -> XResult<()> {
    if d.hi & desc::ACCESSED == 0 {
        d.hi |= desc::ACCESSED;
        write_sys(env, d.addr.wrapping_add(4), 4, d.hi)?;
    }
    Ok(())
}

/// Loads data segment register `r` (DS, ES, FS, GS or SS) with
/// `selector`, as MOV, POP and LDS do, with every protected-mode check.
pub fn load_data_segment(env: &mut Env, r: usize, selector: u32) -> XResult<()> {
    let selector = selector & 0xffff;
    let cpl = env.arch.cpl();
    if env.arch.cr0 & super::cr0::PE == 0 {
        env.arch.seg[r].selector = selector;
        env.arch.seg[r].base = selector << 4;
        return Ok(());
    }
    let rpl = selector & 3;
    if selector & !3 == 0 {
        if r == sreg::SS {
            return Err(Exc::gp(0));
        }
        // A null selector loads an unusable segment.
        env.arch.seg[r] = Segment {
            selector,
            base: 0,
            limit: 0,
            flags: 0,
        };
        return Ok(());
    }
    let mut d = read_descriptor(env, selector)?;
    let err = selector & 0xfffc;
    if r == sreg::SS {
        let writable_data = d.is_segment() && !d.is_code() && d.hi & desc::RW != 0;
        if rpl != cpl || d.dpl() != cpl || !writable_data {
            return Err(Exc::gp(err));
        }
        if !d.present() {
            return Err(Exc::new(vector::SS, err));
        }
    } else {
        let readable = d.is_segment() && (!d.is_code() || d.hi & desc::RW != 0);
        if !readable {
            return Err(Exc::gp(err));
        }
        let conforming_code = d.is_code() && d.hi & desc::DC != 0;
        if !conforming_code && d.dpl() < cpl.max(rpl) {
            return Err(Exc::gp(err));
        }
        if !d.present() {
            return Err(Exc::new(vector::NP, err));
        }
    }
    set_accessed(env, &mut d)?;
    env.arch.seg[r] = d.segment(selector);
    Ok(())
}

/// Checks a code segment descriptor for a direct far JMP or CALL to
/// `selector` at privilege `cpl`: it must be a present code segment, of
/// the same privilege (non-conforming, with RPL ≤ CPL) or more privileged
/// (conforming). Gates are not supported.
fn check_far_target(d: &Descriptor, selector: u32, cpl: u32) -> XResult<()> {
    let err = selector & 0xfffc;
    if !d.is_code() {
        return Err(Exc::gp(err));
    }
    let conforming = d.hi & desc::DC != 0;
    let ok = if conforming {
        d.dpl() <= cpl
    } else {
        selector & 3 <= cpl && d.dpl() == cpl
    };
    if !ok {
        return Err(Exc::gp(err));
    }
    if !d.present() {
        return Err(Exc::new(vector::NP, err));
    }
    Ok(())
}

/// Loads CS for a transfer within one privilege level: RPL becomes CPL.
fn set_cs(env: &mut Env, d: &mut Descriptor, selector: u32, cpl: u32) -> XResult<()> {
    set_accessed(env, d)?;
    let old_base = env.arch.seg[sreg::CS].base;
    env.arch.seg[sreg::CS] = d.segment(selector & !3 | cpl);
    if env.arch.seg[sreg::CS].base != old_base {
        // The engine looks code up by EIP: a new CS base invalidates that.
        env.mmu_epoch += 1;
    }
    Ok(())
}

/// A far JMP to `selector:offset`.
pub fn far_jump(env: &mut Env, selector: u32, offset: u32) -> XResult<()> {
    let selector = selector & 0xffff;
    if selector & !3 == 0 {
        return Err(Exc::gp(0));
    }
    let cpl = env.arch.cpl();
    let mut d = read_descriptor(env, selector)?;
    check_far_target(&d, selector, cpl)?;
    let seg = d.segment(selector);
    if offset > seg.limit {
        return Err(Exc::gp(0));
    }
    set_cs(env, &mut d, selector, cpl)?;
    env.arch.eip = offset;
    Ok(())
}

/// A far CALL to `selector:offset`, returning to `return_eip` (32-bit
/// operands: CS and EIP pushed as doublewords).
pub fn far_call(env: &mut Env, selector: u32, offset: u32, return_eip: u32) -> XResult<()> {
    let selector = selector & 0xffff;
    if selector & !3 == 0 {
        return Err(Exc::gp(0));
    }
    let cpl = env.arch.cpl();
    let mut d = read_descriptor(env, selector)?;
    check_far_target(&d, selector, cpl)?;
    if offset > d.segment(selector).limit {
        return Err(Exc::gp(0));
    }
    let ss = env.arch.seg[sreg::SS];
    let esp = env.arch.regs[4];
    let cs = env.arch.seg[sreg::CS].selector;
    write_stack(env, &ss, esp.wrapping_sub(4), 4, cs, cpl)?;
    write_stack(env, &ss, esp.wrapping_sub(8), 4, return_eip, cpl)?;
    set_cs(env, &mut d, selector, cpl)?;
    env.arch.regs[4] = esp.wrapping_sub(8);
    env.arch.eip = offset;
    Ok(())
}

/// Nulls the data segment registers the new, less privileged level may
/// not use (after a return to an outer level).
fn drop_privileged_segments(cpu: &mut X86Cpu, cpl: u32) {
    for r in [sreg::ES, sreg::DS, sreg::FS, sreg::GS] {
        let s = &cpu.seg[r];
        let conforming_code = s.flags & desc::CODE != 0 && s.flags & desc::DC != 0;
        if s.flags & desc::S != 0 && !conforming_code && s.dpl() < cpl {
            cpu.seg[r] = Segment {
                selector: 0,
                base: 0,
                limit: 0,
                flags: 0,
            };
        }
    }
}

/// What a far return pops besides CS:EIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Return {
    /// RETF: `imm` bytes of parameters to release.
    Far { imm: u32 },
    /// IRET: EFLAGS too.
    Interrupt,
}

/// RETF and IRET (32-bit operand size) in protected mode, to the same or
/// an outer privilege level. Nested-task IRET and returns to
/// virtual-8086 mode raise #GP (not supported).
pub fn far_return(env: &mut Env, kind: Return) -> XResult<()> {
    let cpl = env.arch.cpl();
    let ss = env.arch.seg[sreg::SS];
    let esp = env.arch.regs[4];
    if kind == Return::Interrupt && env.arch.eflags & eflags::NT != 0 {
        return Err(Exc::gp(0));
    }
    let eip = read_stack(env, &ss, esp, 4, cpl)?;
    let selector = read_stack(env, &ss, esp.wrapping_add(4), 4, cpl)? & 0xffff;
    let (flags, mut sp) = match kind {
        Return::Interrupt => (
            Some(read_stack(env, &ss, esp.wrapping_add(8), 4, cpl)?),
            esp.wrapping_add(12),
        ),
        Return::Far { imm } => (None, esp.wrapping_add(8).wrapping_add(imm)),
    };
    if flags.is_some_and(|f| f & eflags::VM != 0) && cpl == 0 {
        return Err(Exc::gp(0));
    }
    if selector & !3 == 0 {
        return Err(Exc::gp(0));
    }
    let rpl = selector & 3;
    let err = selector & 0xfffc;
    let mut d = read_descriptor(env, selector)?;
    if !d.is_code() || rpl < cpl {
        return Err(Exc::gp(err));
    }
    let conforming = d.hi & desc::DC != 0;
    if (conforming && d.dpl() > rpl) || (!conforming && d.dpl() != rpl) {
        return Err(Exc::gp(err));
    }
    if !d.present() {
        return Err(Exc::new(vector::NP, err));
    }
    if eip > d.segment(selector).limit {
        return Err(Exc::gp(0));
    }
    // An outer level: its stack comes off this one.
    let outer = if rpl > cpl {
        let new_esp = read_stack(env, &ss, sp, 4, cpl)?;
        let new_ss = read_stack(env, &ss, sp.wrapping_add(4), 4, cpl)? & 0xffff;
        if new_ss & !3 == 0 || new_ss & 3 != rpl {
            return Err(Exc::gp(new_ss & 0xfffc));
        }
        let sd = read_descriptor(env, new_ss)?;
        let writable_data = sd.is_segment() && !sd.is_code() && sd.hi & desc::RW != 0;
        if !writable_data || sd.dpl() != rpl {
            return Err(Exc::gp(new_ss & 0xfffc));
        }
        if !sd.present() {
            return Err(Exc::new(vector::SS, new_ss & 0xfffc));
        }
        Some((sd, new_ss, new_esp))
    } else {
        None
    };
    // Everything checked: commit.
    set_cs(env, &mut d, selector, rpl)?;
    env.arch.eip = eip;
    if let Some(f) = flags {
        let cpu = &mut env.arch;
        // VM only changes at CPL 0, which is refused above.
        let mut keep = eflags::VM;
        if cpl > 0 {
            keep |= eflags::IOPL;
        }
        if cpl > (cpu.eflags & eflags::IOPL) >> 12 {
            keep |= eflags::IF;
        }
        let old = cpu.eflags();
        cpu.set_eflags(f & !keep | old & keep);
    }
    match outer {
        Some((mut sd, new_ss, new_esp)) => {
            set_accessed(env, &mut sd)?;
            env.arch.seg[sreg::SS] = sd.segment(new_ss);
            env.arch.regs[4] = match kind {
                Return::Far { imm } => new_esp.wrapping_add(imm),
                Return::Interrupt => new_esp,
            };
            drop_privileged_segments(&mut env.arch, rpl);
        }
        None => {
            if kind == Return::Interrupt {
                sp = esp.wrapping_add(12);
            }
            env.arch.regs[4] = sp;
        }
    }
    Ok(())
}

/// LTR: loads the task register from an available 32-bit TSS descriptor
/// in the GDT and marks it busy.
pub fn load_task_register(env: &mut Env, selector: u32) -> XResult<()> {
    let selector = selector & 0xffff;
    if selector & !3 == 0 || selector & 4 != 0 {
        return Err(Exc::gp(selector & 0xfffc));
    }
    let mut d = read_descriptor(env, selector)?;
    // 9: available 32-bit TSS (1: available 16-bit TSS).
    if d.is_segment() || !matches!(d.system_type(), 1 | 9) {
        return Err(Exc::gp(selector & 0xfffc));
    }
    if !d.present() {
        return Err(Exc::new(vector::NP, selector & 0xfffc));
    }
    d.hi |= 2 << 8;
    write_sys(env, d.addr.wrapping_add(4), 4, d.hi)?;
    env.arch.tr = d.segment(selector);
    Ok(())
}

/// LLDT: loads the LDT register (a null selector disables the LDT).
pub fn load_ldt(env: &mut Env, selector: u32) -> XResult<()> {
    let selector = selector & 0xffff;
    if selector & !3 == 0 {
        env.arch.ldtr = Segment::default();
        return Ok(());
    }
    if selector & 4 != 0 {
        return Err(Exc::gp(selector & 0xfffc));
    }
    let d = read_descriptor(env, selector)?;
    if d.is_segment() || d.system_type() != 2 {
        return Err(Exc::gp(selector & 0xfffc));
    }
    if !d.present() {
        return Err(Exc::new(vector::NP, selector & 0xfffc));
    }
    env.arch.ldtr = d.segment(selector);
    Ok(())
}

/// What LAR, LSL, VERR and VERW check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// VERR: readable at this privilege.
    Read,
    /// VERW: writable at this privilege.
    Write,
    /// LAR: the access rights.
    AccessRights,
    /// LSL: the limit.
    Limit,
}

/// LAR, LSL, VERR, VERW of `selector` at the current privilege: `None`
/// (ZF cleared) when the selector is null, beyond its table, of a type
/// the instruction does not accept, or too privileged; else the value
/// (access rights or limit; 0 for the VER forms). They never fault on
/// the selector (a descriptor table read may still page-fault).
pub fn verify(env: &mut Env, kind: Verify, selector: u32) -> XResult<Option<u32>> {
    let selector = selector & 0xffff;
    if selector & !3 == 0 {
        return Ok(None);
    }
    let cpu = &env.arch;
    let (_, limit) = if selector & 4 != 0 {
        (cpu.ldtr.base, cpu.ldtr.limit)
    } else {
        (cpu.gdt_base, cpu.gdt_limit)
    };
    if (selector & 4 != 0 && cpu.ldtr.selector & !3 == 0) || (selector & !7) + 7 > limit {
        return Ok(None);
    }
    let cpl = cpu.cpl();
    let d = read_descriptor(env, selector)?;
    let privileged = d.dpl() < cpl.max(selector & 3);
    let conforming_code = d.is_code() && d.hi & desc::DC != 0;
    let ok_type = if d.is_segment() {
        match kind {
            Verify::Read => !d.is_code() || d.hi & desc::RW != 0,
            Verify::Write => !d.is_code() && d.hi & desc::RW != 0,
            _ => true,
        }
    } else {
        match kind {
            Verify::AccessRights => matches!(d.system_type(), 1..=5 | 9 | 0xb | 0xc),
            Verify::Limit => matches!(d.system_type(), 1..=3 | 9 | 0xb),
            _ => false,
        }
    };
    if !ok_type || (privileged && !conforming_code) {
        return Ok(None);
    }
    Ok(Some(match kind {
        Verify::AccessRights => d.hi & 0x00f0_ff00,
        Verify::Limit => d.segment(selector).limit,
        _ => 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_decode_base_limit_and_granularity() {
        // Flat 4 GiB code, DPL 0: 0x00cf9a000000ffff.
        let d = Descriptor {
            lo: 0x0000_ffff,
            hi: 0x00cf_9a00,
            addr: 0,
        };
        let s = d.segment(0x08);
        assert_eq!((s.base, s.limit), (0, u32::MAX));
        assert!(d.is_code() && d.present() && d.dpl() == 0);
        // Base 0x12345678, byte-granular limit 0x0ffff, DPL 3 data.
        let d = Descriptor {
            lo: 0x5678_ffff,
            hi: 0x1240_f234,
            addr: 0,
        };
        let s = d.segment(0x2b);
        assert_eq!((s.base, s.limit, s.dpl()), (0x1234_5678, 0xffff, 3));
        assert!(!d.is_code());
    }
}
