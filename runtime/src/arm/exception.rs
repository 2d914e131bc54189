//! Exception entry for 32-bit ARM (ARMv7-A, without the Security and
//! Virtualization Extensions).

use super::{bank, psr, sctlr, ArmCpu};
use crate::env::GuestFault;
use crate::exec::RunLoop;
use lockstep_replay::CheckpointKind;

/// The exceptions an ARMv7-A core without Monitor and Hyp modes takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exception {
    /// Undefined instruction.
    Undefined,
    /// Supervisor call.
    Svc,
    /// Prefetch abort (instruction fetch fault, or BKPT).
    PrefetchAbort,
    /// Data abort.
    DataAbort,
    /// Interrupt.
    Irq,
    /// Fast interrupt.
    Fiq,
}

impl Exception {
    /// Offset of the exception's vector from the vector base.
    pub fn vector_offset(self) -> u32 {
        match self {
            Exception::Undefined => 0x04,
            Exception::Svc => 0x08,
            Exception::PrefetchAbort => 0x0c,
            Exception::DataAbort => 0x10,
            Exception::Irq => 0x18,
            Exception::Fiq => 0x1c,
        }
    }

    fn mode(self) -> u32 {
        match self {
            Exception::Undefined => psr::MODE_UND,
            Exception::Svc => psr::MODE_SVC,
            Exception::PrefetchAbort | Exception::DataAbort => psr::MODE_ABT,
            Exception::Irq => psr::MODE_IRQ,
            Exception::Fiq => psr::MODE_FIQ,
        }
    }

    /// What LR holds on entry, relative to the address of the instruction
    /// the exception is taken on (the next one, for SVC and interrupts), in
    /// ARM and Thumb state.
    fn lr_offset(self, thumb: bool) -> u32 {
        match (self, thumb) {
            (Exception::Undefined, true) => 2,
            (Exception::Svc, _) => 0,
            (Exception::DataAbort, _) => 8,
            _ => 4,
        }
    }
}

/// The fault status (DFSR/IFSR value) of a fault, in the format the
/// translation regime uses (see [`super::mmu::fault_status`]).
pub fn fault_status(cpu: &ArmCpu, fault: &GuestFault) -> u32 {
    super::mmu::fault_status(cpu, fault)
}

/// Takes `exception` on the instruction at `pc` (for SVC: the instruction
/// after it): banks registers, saves the CPSR in the new mode's SPSR, sets
/// LR, masks, state and the PC at the vector. Returns the vector address.
pub fn enter(cpu: &mut ArmCpu, exception: Exception, pc: u32) -> u32 {
    let old_cpsr = cpu.cpsr();
    let thumb = old_cpsr & psr::T != 0;
    let mode = exception.mode();
    cpu.switch_mode(mode);
    if let Some(b) = bank(mode) {
        cpu.spsr[b] = old_cpsr;
    }
    cpu.regs[14] = pc.wrapping_add(exception.lr_offset(thumb));
    let mut rest = cpu.cpsr_rest & !(psr::T | psr::E | 0x0600_fc00 | psr::I);
    rest |= psr::I;
    if matches!(exception, Exception::Fiq) {
        rest |= psr::F;
    }
    if !matches!(exception, Exception::Undefined | Exception::Svc) {
        rest |= psr::A;
    }
    if cpu.sctlr & sctlr::TE != 0 {
        rest |= psr::T;
    }
    if cpu.sctlr & sctlr::EE != 0 {
        rest |= psr::E;
    }
    cpu.cpsr_rest = rest;
    // A core without the Security Extensions keeps VBAR's low five bits 0.
    let base = if cpu.sctlr & sctlr::V != 0 {
        0xffff_0000
    } else {
        cpu.vbar & !0x1f
    };
    let vector = base.wrapping_add(exception.vector_offset());
    cpu.regs[15] = vector;
    vector
}

/// Index of the fault registers in `ArmCpu::fault_regs`.
pub mod fault_reg {
    /// Data fault status.
    pub const DFSR: usize = 0;
    /// Instruction fault status.
    pub const IFSR: usize = 1;
    /// Data fault address.
    pub const DFAR: usize = 2;
    /// Instruction fault address.
    pub const IFAR: usize = 3;
}

/// IFSR code of a debug event (BKPT).
pub const FSR_DEBUG: u32 = 0b00010;

impl RunLoop<ArmCpu> {
    /// Takes `exception` at `pc` (see [`enter`]), recording `fault` in the
    /// fault status and address registers, and emits the EXCEPTION
    /// checkpoint. Returns the vector address.
    pub fn take_exception(
        &mut self,
        exception: Exception,
        pc: u32,
        fault: Option<&GuestFault>,
    ) -> u32 {
        let cpu = &mut self.env.arch;
        match (exception, fault) {
            (Exception::DataAbort, Some(f)) => {
                cpu.fault_regs[fault_reg::DFSR] = fault_status(cpu, f);
                cpu.fault_regs[fault_reg::DFAR] = f.vaddr as u32;
            }
            (Exception::PrefetchAbort, Some(f)) => {
                cpu.fault_regs[fault_reg::IFSR] = fault_status(cpu, f) & !(1 << 11);
                cpu.fault_regs[fault_reg::IFAR] = f.vaddr as u32;
            }
            (Exception::PrefetchAbort, None) => {
                let long = cpu.ttbcr & super::mmu::ttbcr::EAE != 0;
                cpu.fault_regs[fault_reg::IFSR] = if long { 0b10_0010 | 1 << 9 } else { FSR_DEBUG };
            }
            _ => {}
        }
        // The exclusive monitor does not survive an exception.
        cpu.excl_addr = u64::MAX;
        let at = match exception {
            Exception::Svc => pc.wrapping_sub(4),
            _ => pc,
        };
        super::pmu::before_mode_change(&mut self.env, exception.mode());
        let vector = enter(&mut self.env.arch, exception, pc);
        let number = exception.vector_offset() / 4;
        let kind = match exception {
            Exception::Irq | Exception::Fiq => CheckpointKind::Interrupt { vector: number },
            _ => CheckpointKind::Exception { vector: number },
        };
        self.checkpoint(kind, u64::from(at));
        vector
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Access, FaultKind};

    #[test]
    fn entry_banks_saves_and_masks() {
        let mut c = ArmCpu::new();
        c.set_cpsr(0x6000_0010); // user mode, Z and C set, interrupts enabled
        c.regs[13] = 0x100;
        c.regs[14] = 0x200;
        c.vbar = 0x4000_0020;
        let v = enter(&mut c, Exception::Svc, 0x1004);
        assert_eq!(v, 0x4000_0028);
        assert_eq!(c.regs[15], v);
        assert_eq!(c.mode(), psr::MODE_SVC);
        assert_eq!(c.regs[14], 0x1004);
        assert_eq!(c.current_spsr(), Some(0x6000_0010));
        assert_eq!(c.cpsr() & (psr::I | psr::F | psr::A), psr::I);
        let v = enter(&mut c, Exception::DataAbort, 0x2000);
        assert_eq!(v, 0x4000_0030);
        assert_eq!(c.regs[14], 0x2008);
        assert_eq!(c.cpsr() & (psr::I | psr::A), psr::I | psr::A);
        c.sctlr |= sctlr::V;
        assert_eq!(enter(&mut c, Exception::Fiq, 0x3000), 0xffff_001c);
        assert_eq!(c.cpsr() & psr::F, psr::F);
        // Back in user mode the user bank is live again.
        c.write_cpsr(0x10);
        assert_eq!((c.regs[13], c.regs[14]), (0x100, 0x200));
    }

    #[test]
    fn fault_status_codes() {
        let f = GuestFault {
            kind: FaultKind::Alignment,
            access: Access::Write,
            vaddr: 0,
        };
        let c = ArmCpu::new();
        assert_eq!(fault_status(&c, &f), 0x801);
        let f = GuestFault {
            kind: FaultKind::External,
            access: Access::Read,
            vaddr: 0,
        };
        assert_eq!(fault_status(&c, &f), 0x008);
    }
}
