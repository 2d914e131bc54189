//! 32-bit ARM CPU state.
//!
//! The flags live in separate words rather than packed in a CPSR image:
//! lifted code reads and writes them individually, and the packed CPSR is
//! assembled only when the guest asks for it (MRS) or a human does
//! (register dumps). N and Z are kept the way flag-setting instructions
//! produce them for free: `nf` holds a value whose bit 31 is N, `zf` a
//! value that is zero exactly when Z is set (both are usually the result of
//! the last flag-setting instruction).

pub mod exception;
pub mod mmu;
pub mod pmu;
pub mod sysreg;
pub mod timer;

use crate::env::{Access, CpuEnv, GuestFault};
use crate::softmmu::{Translate, Translation};

/// Trap codes (`Trap::code`) raised by the A32 frontend.
pub mod trap {
    /// SVC: `arg` is the 24-bit immediate.
    pub const SVC: u32 = 1;
    /// An undefined or unimplemented encoding: `arg` is the encoding.
    pub const UNDEFINED: u32 = 2;
    /// BKPT: `arg` is the 16-bit immediate.
    pub const BKPT: u32 = 3;
    /// HVC: `arg` is the 16-bit immediate. The core has no Hyp mode, so
    /// the machine's firmware (PSCI) answers it or it is undefined.
    pub const HVC: u32 = 4;
    /// A semihosting call made with HLT (`HLT 0xF000` in ARM state,
    /// `HLT 0x3C` in Thumb state), lifted so only when the machine serves
    /// semihosting and the mode is privileged (else HLT is undefined).
    pub const SEMIHOST: u32 = 5;
}

/// CPSR bit positions and mode numbers.
pub mod psr {
    /// Negative.
    pub const N: u32 = 1 << 31;
    /// Zero.
    pub const Z: u32 = 1 << 30;
    /// Carry.
    pub const C: u32 = 1 << 29;
    /// Overflow.
    pub const V: u32 = 1 << 28;
    /// Cumulative saturation.
    pub const Q: u32 = 1 << 27;
    /// Shift of the four GE bits.
    pub const GE_SHIFT: u32 = 16;
    /// Big-endian data accesses.
    pub const E: u32 = 1 << 9;
    /// Asynchronous abort mask.
    pub const A: u32 = 1 << 8;
    /// IRQ mask.
    pub const I: u32 = 1 << 7;
    /// FIQ mask.
    pub const F: u32 = 1 << 6;
    /// Thumb state.
    pub const T: u32 = 1 << 5;
    /// Mode field mask.
    pub const MODE: u32 = 0x1f;
    /// User mode.
    pub const MODE_USR: u32 = 0x10;
    /// FIQ mode.
    pub const MODE_FIQ: u32 = 0x11;
    /// IRQ mode.
    pub const MODE_IRQ: u32 = 0x12;
    /// Supervisor mode.
    pub const MODE_SVC: u32 = 0x13;
    /// Abort mode.
    pub const MODE_ABT: u32 = 0x17;
    /// Undefined mode.
    pub const MODE_UND: u32 = 0x1b;
    /// System mode.
    pub const MODE_SYS: u32 = 0x1f;
    /// The bits held in `ArmCpu::nf`…`ge` rather than `cpsr_rest`.
    pub const FLAG_BITS: u32 = N | Z | C | V | Q | (0xf << GE_SHIFT);
    /// The IT bits: ITSTATE[1:0] in bits 26:25, ITSTATE[7:2] in 15:10.
    pub const IT_MASK: u32 = 0x0600_fc00;

    /// The CPSR bits that hold ITSTATE `it` (8 bits).
    pub const fn it_bits(it: u32) -> u32 {
        (it & 3) << 25 | (it >> 2 & 0x3f) << 10
    }

    /// ITSTATE from a CPSR image.
    pub const fn itstate(cpsr: u32) -> u32 {
        (cpsr >> 25 & 3) | (cpsr >> 10 & 0x3f) << 2
    }
}

/// The architectural state of a 32-bit ARM core.
#[repr(C)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmCpu {
    /// r0–r15; r15 is the address of the next instruction to execute
    /// whenever control is outside a block.
    pub regs: [u32; 16],
    /// N flag: bit 31 of this word.
    pub nf: u32,
    /// Z flag: set when this word is zero.
    pub zf: u32,
    /// C flag (0 or 1).
    pub cf: u32,
    /// V flag (0 or 1).
    pub vf: u32,
    /// Q flag (0 or 1).
    pub qf: u32,
    /// GE[3:0].
    pub ge: u32,
    /// The CPSR bits not held above (mode, masks, T, E).
    pub cpsr_rest: u32,
    /// Reserved for alignment of the exclusive monitor.
    pub _pad: u32,
    /// Address held by the exclusive monitor, or `u64::MAX` when open.
    pub excl_addr: u64,
    /// Value read by the load-exclusive that armed the monitor.
    pub excl_val: u64,
    /// Saved r13 and r14 of each register bank while another bank is live
    /// (index: [`bank`]; the live bank's entry is stale).
    pub banked_sp_lr: [[u32; 2]; BANKS],
    /// Saved r8–r12 of the FIQ bank (when not in FIQ mode) or of every other
    /// mode (when in FIQ mode).
    pub other_r8_r12: [u32; 5],
    /// SPSR of each exception mode (index: [`bank`]; user/system has none).
    pub spsr: [u32; BANKS],
    /// System control (CP15 SCTLR).
    pub sctlr: u32,
    /// Vector base address (CP15 VBAR).
    pub vbar: u32,
    /// User read/write, user read-only and privileged thread ID registers.
    pub tpidr: [u32; 3],
    /// Context ID (CP15 CONTEXTIDR).
    pub contextidr: u32,
    /// Data and instruction fault status and address registers (DFSR,
    /// IFSR, DFAR, IFAR).
    pub fault_regs: [u32; 4],
    /// Translation table base 0 (64-bit: the long-descriptor form holds
    /// the ASID in bits 55:48).
    pub ttbr0: u64,
    /// Translation table base 1.
    pub ttbr1: u64,
    /// Translation table base control.
    pub ttbcr: u32,
    /// Domain access control.
    pub dacr: u32,
    /// PRRR (short descriptors) / MAIR0 (long descriptors).
    pub prrr: u32,
    /// NMRR / MAIR1.
    pub nmrr: u32,
    /// Physical address register (result of ATS1C* operations).
    pub par: u64,
    /// Auxiliary control.
    pub actlr: u32,
    /// Cache size selection.
    pub csselr: u32,
    /// L2 extended control (Cortex-A15 implementation defined).
    pub l2ectlr: u32,
    /// Counter frequency.
    pub cntfrq: u32,
    /// Timer PL0 access and event stream control.
    pub cntkctl: u32,
    /// Physical timer control (ENABLE, IMASK).
    pub cntp_ctl: u32,
    /// Virtual timer control.
    pub cntv_ctl: u32,
    /// Physical timer compare value.
    pub cntp_cval: u64,
    /// Virtual timer compare value.
    pub cntv_cval: u64,
    /// Coprocessor access control (CP15 CPACR): CP10/CP11 access and the
    /// ASEDIS/D32DIS bits.
    pub cpacr: u32,
    /// Floating-point exception control (FPEXC): EN enables VFP and
    /// Advanced SIMD.
    pub fpexc: u32,
    /// Floating-point status and control (FPSCR).
    pub fpscr: u32,
    /// Reserved for alignment of the extension registers.
    pub _pad2: u32,
    /// The extension registers D0-D31 (S0-S31 overlay D0-D15: S2n is the
    /// low half of Dn, S2n+1 the high half; Q0-Q15 pair them).
    pub vfp: [u64; 32],
    /// The Performance Monitors (PMUv2).
    pub pmu: pmu::Pmu,
    /// Not architectural: the machine serves semihosting calls (set by the
    /// board; part of the translation flags, not of the state digest).
    pub semihosting: bool,
}

/// Number of register banks: user/system, SVC, abort, undefined, IRQ, FIQ.
pub const BANKS: usize = 6;

/// The register bank of `mode`, or `None` for a mode this core does not
/// implement (Monitor, Hyp, reserved encodings).
pub fn bank(mode: u32) -> Option<usize> {
    match mode {
        psr::MODE_USR | psr::MODE_SYS => Some(0),
        psr::MODE_SVC => Some(1),
        psr::MODE_ABT => Some(2),
        psr::MODE_UND => Some(3),
        psr::MODE_IRQ => Some(4),
        psr::MODE_FIQ => Some(5),
        _ => None,
    }
}

/// SCTLR bits the runtime acts on.
pub mod sctlr {
    /// MMU enable.
    pub const M: u32 = 1 << 0;
    /// Alignment checking.
    pub const A: u32 = 1 << 1;
    /// Write permission implies execute never.
    pub const WXN: u32 = 1 << 19;
    /// Memory user code may write is execute never at PL1.
    pub const UWXN: u32 = 1 << 20;
    /// TEX remap.
    pub const TRE: u32 = 1 << 28;
    /// Access flag enable (AP[0] is an access flag).
    pub const AFE: u32 = 1 << 29;
    /// High exception vectors at 0xffff0000.
    pub const V: u32 = 1 << 13;
    /// Exceptions are taken in big-endian state.
    pub const EE: u32 = 1 << 25;
    /// Exceptions are taken in Thumb state.
    pub const TE: u32 = 1 << 30;
    /// Cortex-A15 reset value.
    pub const RESET: u32 = 0x00c5_0078;
}

impl Default for ArmCpu {
    fn default() -> Self {
        Self::new()
    }
}

impl ArmCpu {
    /// A core as it leaves reset: SVC mode, IRQ/FIQ/async aborts masked,
    /// ARM state, little-endian, all registers zero.
    pub fn new() -> Self {
        ArmCpu {
            regs: [0; 16],
            nf: 0,
            zf: 1,
            cf: 0,
            vf: 0,
            qf: 0,
            ge: 0,
            cpsr_rest: psr::MODE_SVC | psr::A | psr::I | psr::F,
            _pad: 0,
            excl_addr: u64::MAX,
            excl_val: 0,
            banked_sp_lr: [[0; 2]; BANKS],
            other_r8_r12: [0; 5],
            spsr: [0; BANKS],
            sctlr: sctlr::RESET,
            vbar: 0,
            tpidr: [0; 3],
            contextidr: 0,
            fault_regs: [0; 4],
            ttbr0: 0,
            ttbr1: 0,
            ttbcr: 0,
            dacr: 0,
            prrr: 0,
            nmrr: 0,
            par: 0,
            actlr: 0,
            csselr: 0,
            l2ectlr: 0,
            cntfrq: timer::FREQ_HZ,
            cntkctl: 0,
            cntp_ctl: 0,
            cntv_ctl: 0,
            cntp_cval: 0,
            cntv_cval: 0,
            cpacr: 0,
            fpexc: 0,
            fpscr: 0,
            _pad2: 0,
            vfp: [0; 32],
            pmu: pmu::Pmu::default(),
            semihosting: false,
        }
    }

    /// Switches the live registers to the bank of `new_mode` and sets the
    /// mode field. A mode this core does not implement is refused (the
    /// caller treats the write as UNPREDICTABLE and ignores it).
    pub fn switch_mode(&mut self, new_mode: u32) -> bool {
        let (Some(old), Some(new)) = (bank(self.mode()), bank(new_mode)) else {
            return false;
        };
        if old != new {
            self.banked_sp_lr[old] = [self.regs[13], self.regs[14]];
            [self.regs[13], self.regs[14]] = self.banked_sp_lr[new];
            if (old == 5) != (new == 5) {
                let mut r8_12 = [0; 5];
                r8_12.copy_from_slice(&self.regs[8..13]);
                self.regs[8..13].copy_from_slice(&self.other_r8_r12);
                self.other_r8_r12 = r8_12;
            }
        }
        self.cpsr_rest = (self.cpsr_rest & !psr::MODE) | new_mode;
        true
    }

    /// Writes the CPSR as an exception return or a privileged MSR does:
    /// the mode change switches register banks. Returns false (and changes
    /// nothing) for a mode this core does not implement.
    pub fn write_cpsr(&mut self, v: u32) -> bool {
        if !self.switch_mode(v & psr::MODE) {
            return false;
        }
        self.set_cpsr(v);
        true
    }

    /// Register `r` (0–14) of the bank of `mode` (User mode's for User and
    /// System), wherever it lives now.
    pub fn banked_reg(&self, mode: u32, r: usize) -> u32 {
        let (Some(cur), Some(want)) = (bank(self.mode()), bank(mode)) else {
            return self.regs[r];
        };
        match r {
            13 | 14 if cur != want => self.banked_sp_lr[want][r - 13],
            8..=12 if (cur == 5) != (want == 5) => self.other_r8_r12[r - 8],
            _ => self.regs[r],
        }
    }

    /// Writes register `r` (0–14) of the bank of `mode`.
    pub fn set_banked_reg(&mut self, mode: u32, r: usize, v: u32) {
        let (Some(cur), Some(want)) = (bank(self.mode()), bank(mode)) else {
            self.regs[r] = v;
            return;
        };
        match r {
            13 | 14 if cur != want => self.banked_sp_lr[want][r - 13] = v,
            8..=12 if (cur == 5) != (want == 5) => self.other_r8_r12[r - 8] = v,
            _ => self.regs[r] = v,
        }
    }

    /// Feeds every architecturally visible register to `h`, in a fixed
    /// order (for state digests: the same state always hashes alike,
    /// whichever backend produced it).
    pub fn hash_into(&self, h: &mut impl std::hash::Hasher) {
        let words = self
            .regs
            .iter()
            .copied()
            .chain([self.cpsr()])
            .chain(self.banked_sp_lr.iter().flatten().copied())
            .chain(self.other_r8_r12)
            .chain(self.spsr)
            .chain([
                self.sctlr,
                self.vbar,
                self.contextidr,
                self.ttbcr,
                self.dacr,
                self.prrr,
                self.nmrr,
                self.actlr,
                self.csselr,
                self.l2ectlr,
                self.cntfrq,
                self.cntkctl,
                self.cntp_ctl,
                self.cntv_ctl,
            ])
            .chain(self.tpidr)
            .chain(self.fault_regs)
            .chain([self.cpacr, self.fpexc, self.fpscr]);
        for w in words {
            h.write_u32(w);
        }
        for d in self.vfp {
            h.write_u64(d);
        }
        let p = &self.pmu;
        let pmu_words = [
            p.pmcr, p.cnten, p.ovs, p.inten, p.selr, p.userenr, p.ccnt, p.prescale,
        ];
        for w in pmu_words.into_iter().chain(p.evtype).chain(p.evcnt) {
            h.write_u32(w);
        }
        for d in [
            p.synced_icount,
            p.synced_ns,
            self.excl_addr,
            self.excl_val,
            self.ttbr0,
            self.ttbr1,
            self.par,
            self.cntp_cval,
            self.cntv_cval,
        ] {
            h.write_u64(d);
        }
    }

    /// The SPSR of the current mode, if it has one.
    pub fn current_spsr(&self) -> Option<u32> {
        match bank(self.mode()) {
            Some(0) | None => None,
            Some(b) => Some(self.spsr[b]),
        }
    }

    /// The CPSR as the guest sees it.
    pub fn cpsr(&self) -> u32 {
        (self.nf & psr::N)
            | u32::from(self.zf == 0) << 30
            | self.cf << 29
            | self.vf << 28
            | self.qf << 27
            | self.ge << psr::GE_SHIFT
            | self.cpsr_rest
    }

    /// Sets every CPSR field.
    pub fn set_cpsr(&mut self, v: u32) {
        self.nf = v & psr::N;
        self.zf = u32::from(v & psr::Z == 0);
        self.cf = v >> 29 & 1;
        self.vf = v >> 28 & 1;
        self.qf = v >> 27 & 1;
        self.ge = v >> psr::GE_SHIFT & 0xf;
        self.cpsr_rest = v & !psr::FLAG_BITS;
    }

    /// The current mode number.
    pub fn mode(&self) -> u32 {
        self.cpsr_rest & psr::MODE
    }

    /// The softmmu table for the current privilege: 0 privileged, 1 user.
    pub fn mmu_idx(&self) -> usize {
        usize::from(self.mode() == psr::MODE_USR)
    }

    /// The state bits a translation depends on; part of the block cache
    /// key: T, E, the mode and the IT bits from the CPSR (at their CPSR
    /// positions), in User mode the timer access bits of CNTKCTL (whether
    /// a timer register read is UNDEFINED is decided when the instruction
    /// is lifted) and PMUSERENR.EN, and SCTLR.A (which accesses must be aligned).
    pub fn tb_flags(&self) -> u32 {
        let mut f = self.cpsr_rest & (psr::T | psr::E | psr::MODE | psr::IT_MASK);
        if self.mode() == psr::MODE_USR {
            f |= (self.cntkctl & tb_flags::CNTKCTL_PL0_MASK) << tb_flags::CNTKCTL_SHIFT;
            if self.pmu.userenr & 1 != 0 {
                f |= tb_flags::PMU_PL0;
            }
        }
        if self.sctlr & sctlr::A != 0 {
            f |= tb_flags::STRICT_ALIGN;
        }
        if self.semihosting {
            f |= tb_flags::SEMIHOSTING;
        }
        // CP10 (and CP11, which must match) access for this privilege.
        let cp10 = self.cpacr >> 20 & 3;
        if cp10 == 3 || (cp10 == 1 && self.mode() != psr::MODE_USR) {
            f |= tb_flags::VFP_ACCESS;
            if self.fpexc & fpexc::EN != 0 {
                f |= tb_flags::VFP_EN;
            }
            if self.cpacr & cpacr::D32DIS != 0 {
                f |= tb_flags::D32DIS;
            }
            if self.cpacr & cpacr::ASEDIS != 0 {
                f |= tb_flags::ASEDIS;
            }
        }
        f
    }
}

/// The layout of [`ArmCpu::tb_flags`] beyond the CPSR bits it copies.
pub mod tb_flags {
    /// CNTKCTL bits copied in User mode: PL0PCTEN, PL0VCTEN, PL0VTEN,
    /// PL0PTEN.
    pub const CNTKCTL_PL0_MASK: u32 = 0x303;
    /// Where they go (bits 20:19 and 28:27, clear of the IT bits).
    pub const CNTKCTL_SHIFT: u32 = 19;
    /// In User mode: PMUSERENR.EN, the PMU registers are accessible.
    pub const PMU_PL0: u32 = 1 << 16;
    /// SCTLR.A: every load and store must be aligned to its size.
    pub const STRICT_ALIGN: u32 = 1 << 29;
    /// The machine serves semihosting (`HLT` may be a semihosting call).
    pub const SEMIHOSTING: u32 = 1 << 30;
    /// CPACR grants CP10/CP11 access at this privilege: VMRS/VMSR of the
    /// system registers (FPEXC, FPSID, MVFRn) work even with FPEXC.EN
    /// clear.
    pub const VFP_ACCESS: u32 = 1 << 21;
    /// ... and FPEXC.EN is set: every VFP and Advanced SIMD instruction
    /// may execute.
    pub const VFP_EN: u32 = 1 << 22;
    /// CPACR.D32DIS: D16-D31 are not accessible.
    pub const D32DIS: u32 = 1 << 23;
    /// CPACR.ASEDIS: Advanced SIMD instructions are UNDEFINED.
    pub const ASEDIS: u32 = 1 << 24;
}

/// FPEXC bits.
pub mod fpexc {
    /// VFP and Advanced SIMD enabled.
    pub const EN: u32 = 1 << 30;
}

/// CPACR bits.
pub mod cpacr {
    /// CP10 and CP11 access fields.
    pub const CP10_CP11: u32 = 0xf << 20;
    /// Advanced SIMD disabled.
    pub const ASEDIS: u32 = 1 << 31;
    /// D16-D31 disabled.
    pub const D32DIS: u32 = 1 << 30;
    /// The writable bits.
    pub const WRITABLE: u32 = ASEDIS | D32DIS | CP10_CP11;
}

impl Translate for ArmCpu {
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
    fn cpsr_round_trips_through_split_flags() {
        let mut c = ArmCpu::new();
        assert_eq!(c.cpsr(), 0x1d3);
        c.set_cpsr(0xf805_01d3);
        assert_eq!((c.cf, c.vf, c.qf, c.ge), (1, 1, 1, 5));
        assert!(c.nf >> 31 == 1 && c.zf == 0);
        assert_eq!(c.cpsr(), 0xf805_01d3);
        assert_eq!(c.mmu_idx(), 0);
    }

    #[test]
    fn modes_switch_register_banks() {
        let mut c = ArmCpu::new();
        c.regs[8] = 8;
        c.regs[13] = 0x1300;
        c.regs[14] = 0x1400;
        assert!(c.switch_mode(psr::MODE_FIQ));
        assert_eq!((c.regs[8], c.regs[13]), (0, 0));
        c.regs[8] = 0xf8;
        c.regs[13] = 0xf13;
        assert!(c.switch_mode(psr::MODE_IRQ));
        assert_eq!((c.regs[8], c.regs[13], c.regs[14]), (8, 0, 0));
        assert!(c.switch_mode(psr::MODE_SVC));
        assert_eq!((c.regs[8], c.regs[13], c.regs[14]), (8, 0x1300, 0x1400));
        assert!(c.switch_mode(psr::MODE_FIQ));
        assert_eq!((c.regs[8], c.regs[13]), (0xf8, 0xf13));
        assert!(!c.switch_mode(0x16), "Monitor mode is not implemented");
        assert_eq!(c.mode(), psr::MODE_FIQ);
        assert!(c.switch_mode(psr::MODE_SYS));
        assert!(c.current_spsr().is_none());
        // From FIQ mode, the User bank's r8 and sp live elsewhere.
        assert!(c.switch_mode(psr::MODE_FIQ));
        assert_eq!(c.banked_reg(psr::MODE_USR, 8), 8);
        assert_eq!(c.banked_reg(psr::MODE_FIQ, 8), 0xf8);
        c.set_banked_reg(psr::MODE_USR, 13, 0x5555);
        c.set_banked_reg(psr::MODE_IRQ, 14, 0x7777);
        assert!(c.switch_mode(psr::MODE_USR));
        assert_eq!(c.regs[13], 0x5555);
        assert_eq!(c.banked_reg(psr::MODE_IRQ, 14), 0x7777);
    }
}
