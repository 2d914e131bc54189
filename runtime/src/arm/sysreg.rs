//! The coprocessor system registers of a Cortex-A15-class core without
//! the Security and Virtualization Extensions: CP15
//! (identification, system control, MMU, fault, cache and TLB maintenance,
//! thread ID, generic timer, performance monitors) and the one CP14 debug
//! register Linux probes.
//!
//! The table here says which registers exist, who may access them and how
//! a lifter reaches them (a constant, a plain field of [`ArmCpu`], or a
//! [`Special`] whose semantics live in [`read_special`] and
//! [`write_special`]). An MRC/MCR/MRRC/MCRR to anything not in the table is
//! UNDEFINED, as on hardware without the register.

use super::{mmu, pmu, psr, sctlr, tb_flags, timer, ArmCpu};
use crate::env::{Access, CpuEnv};
use crate::softmmu;
use std::mem::offset_of;

/// Identification values (QEMU's Cortex-A15 model, with the Security,
/// Virtualization, debug and ThumbEE features reported absent because
/// this core does not have them).
pub mod id {
    /// Main ID: ARM Cortex-A15 r4p0, as QEMU 7.2 reports it.
    pub const MIDR: u32 = 0x414f_c0f0;
    /// Cache type.
    pub const CTR: u32 = 0x8444_c004;
    /// Multiprocessor affinity: multiprocessing format, CPU 0.
    pub const MPIDR: u32 = 0x8000_0000;
    /// ARM, Thumb-2 and trivial Jazelle state; no ThumbEE.
    pub const ID_PFR0: u32 = 0x0000_0131;
    /// Programmers' model and the generic timer; no Security or
    /// Virtualization Extensions.
    pub const ID_PFR1: u32 = 0x0001_0001;
    /// No debug architecture is reported.
    pub const ID_DFR0: u32 = 0;
    /// VMSAv7 with PXN and long descriptors, and the rest as on the A15.
    pub const ID_MMFR: [u32; 4] = [0x1020_1105, 0x2000_0000, 0x0124_0000, 0x0210_2211];
    /// Instruction set attributes.
    pub const ID_ISAR: [u32; 6] = [
        0x0210_1110,
        0x1311_2111,
        0x2123_2041,
        0x1111_2131,
        0x1001_1142,
        0,
    ];
    /// Cache levels: separate L1 I and D, unified L2.
    pub const CLIDR: u32 = 0x0a20_0023;
    /// Cache geometry for CSSELR 0 (L1 D), 1 (L1 I), 2 (L2).
    pub const CCSIDR: [u32; 3] = [0x701f_e00a, 0x201f_e00a, 0x711f_e07a];
    /// FPSID: ARM VFPv3-or-later common subarchitecture v2, part 0x30
    /// (Cortex-A15), as QEMU reports it.
    pub const FPSID: u32 = 0x4104_30f0;
    /// MVFR0: 32 double registers, single and double precision with
    /// divide and square root, all rounding modes, no short vectors, no
    /// trapping.
    pub const MVFR0: u32 = 0x1011_0222;
    /// MVFR1: flush-to-zero and default NaN modes, Advanced SIMD
    /// load/store, integer, single-precision and half-precision
    /// conversion, VFP half-precision conversion, Advanced SIMD fused
    /// multiply-accumulate (QEMU's cortex-a15 value).
    pub const MVFR1: u32 = 0x1111_1111;
}

/// Registers whose accesses need code rather than a field or a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Special {
    /// CCSIDR (read; selected by CSSELR).
    Ccsidr,
    /// SCTLR (write: fixed bits, TLB flush when M changes).
    Sctlr,
    /// TTBR0, 32-bit form.
    Ttbr0,
    /// TTBR1, 32-bit form.
    Ttbr1,
    /// TTBR0, 64-bit form.
    Ttbr0Long,
    /// TTBR1, 64-bit form.
    Ttbr1Long,
    /// TTBCR.
    Ttbcr,
    /// DACR.
    Dacr,
    /// CONTEXTIDR (the ASID).
    Contextidr,
    /// PAR, 32-bit form.
    Par,
    /// PAR, 64-bit form.
    ParLong,
    /// ATS1CPR, ATS1CPW, ATS1CUR, ATS1CUW (write: translate, result in PAR).
    Ats1cpr,
    /// See [`Special::Ats1cpr`].
    Ats1cpw,
    /// See [`Special::Ats1cpr`].
    Ats1cur,
    /// See [`Special::Ats1cpr`].
    Ats1cuw,
    /// TLBIALL and the instruction/data/inner-shareable forms.
    TlbiAll,
    /// TLBIMVA, TLBIMVAA and their forms (one page).
    TlbiMva,
    /// TLBIASID and its forms.
    TlbiAsid,
    /// CNTKCTL.
    Cntkctl,
    /// CNTP_TVAL.
    CntpTval,
    /// CNTP_CTL.
    CntpCtl,
    /// CNTV_TVAL.
    CntvTval,
    /// CNTV_CTL.
    CntvCtl,
    /// CNTPCT (64-bit, read only).
    Cntpct,
    /// CNTVCT (64-bit, read only).
    Cntvct,
    /// CNTP_CVAL (64-bit).
    CntpCval,
    /// CNTV_CVAL (64-bit).
    CntvCval,
    /// PMCR.
    Pmcr,
    /// PMCNTENSET.
    PmCntenSet,
    /// PMCNTENCLR.
    PmCntenClr,
    /// PMOVSR.
    PmOvsr,
    /// PMOVSSET (the Virtualization Extensions' set view of PMOVSR; a
    /// Cortex-A15 has it).
    PmOvsSet,
    /// PMSWINC (write only).
    PmSwinc,
    /// PMCCNTR.
    PmCcntr,
    /// PMXEVTYPER (of the counter PMSELR selects).
    PmXevtyper,
    /// PMXEVCNTR.
    PmXevcntr,
    /// PMINTENSET.
    PmIntenSet,
    /// PMINTENCLR.
    PmIntenClr,
}

const SPECIALS: [Special; 38] = [
    Special::Ccsidr,
    Special::Sctlr,
    Special::Ttbr0,
    Special::Ttbr1,
    Special::Ttbr0Long,
    Special::Ttbr1Long,
    Special::Ttbcr,
    Special::Dacr,
    Special::Contextidr,
    Special::Par,
    Special::ParLong,
    Special::Ats1cpr,
    Special::Ats1cpw,
    Special::Ats1cur,
    Special::Ats1cuw,
    Special::TlbiAll,
    Special::TlbiMva,
    Special::TlbiAsid,
    Special::Cntkctl,
    Special::CntpTval,
    Special::CntpCtl,
    Special::CntvTval,
    Special::CntvCtl,
    Special::Cntpct,
    Special::Cntvct,
    Special::CntpCval,
    Special::CntvCval,
    Special::Pmcr,
    Special::PmCntenSet,
    Special::PmCntenClr,
    Special::PmOvsr,
    Special::PmOvsSet,
    Special::PmSwinc,
    Special::PmCcntr,
    Special::PmXevtyper,
    Special::PmXevcntr,
    Special::PmIntenSet,
    Special::PmIntenClr,
];

impl Special {
    /// The inverse of `as u32` (for helpers, which receive it as a number).
    pub fn from_u32(v: u32) -> Option<Special> {
        SPECIALS.get(v as usize).copied()
    }
}

/// How a register is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Reads as this value; writes, where [`SysReg::write`] allows them,
    /// are ignored.
    Const(u32),
    /// A `u32` field of [`ArmCpu`] at this byte offset; writes keep only
    /// the bits of the mask.
    Field { offset: usize, write_mask: u32 },
    /// Code in [`read_special`] / [`write_special`].
    Special(Special),
    /// A write with no effect on an emulator without caches or branch
    /// predictors (cache maintenance), or a barrier.
    Nop,
}

/// Who may access a register from User mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pl0 {
    /// Never (PL1 only).
    Never,
    /// Always.
    Always,
    /// When one of these CNTKCTL bits is set.
    Cntkctl(u32),
    /// When PMUSERENR.EN is set.
    Pmu,
}

/// One system register.
#[derive(Clone, Copy, Debug)]
pub struct SysReg {
    /// The architecture's name, for traces.
    pub name: &'static str,
    /// How it is reached.
    pub kind: Kind,
    /// Whether it can be read.
    pub read: bool,
    /// Whether it can be written.
    pub write: bool,
    /// User-mode reads.
    pub pl0_read: Pl0,
    /// User-mode writes.
    pub pl0_write: Pl0,
    /// A write may change translation, interrupts or timers: the block
    /// ends after the instruction so the run loop sees the new state.
    pub ends_block: bool,
}

impl SysReg {
    /// Whether an access is allowed in User mode, given the translation
    /// flags ([`ArmCpu::tb_flags`]) the block was translated with.
    pub fn pl0_allows(&self, write: bool, flags: u32) -> bool {
        match if write { self.pl0_write } else { self.pl0_read } {
            Pl0::Never => false,
            Pl0::Always => true,
            Pl0::Cntkctl(mask) => flags >> tb_flags::CNTKCTL_SHIFT & mask != 0,
            Pl0::Pmu => flags & tb_flags::PMU_PL0 != 0,
        }
    }
}

const fn reg(name: &'static str, kind: Kind, read: bool, write: bool) -> SysReg {
    SysReg {
        name,
        kind,
        read,
        write,
        pl0_read: Pl0::Never,
        pl0_write: Pl0::Never,
        ends_block: false,
    }
}

const fn ro(name: &'static str, v: u32) -> SysReg {
    reg(name, Kind::Const(v), true, false)
}

/// Reads as zero, ignores writes.
const fn raz_wi(name: &'static str) -> SysReg {
    reg(name, Kind::Const(0), true, true)
}

const fn field(name: &'static str, offset: usize, write_mask: u32) -> SysReg {
    reg(name, Kind::Field { offset, write_mask }, true, true)
}

const fn special(name: &'static str, s: Special, read: bool, write: bool) -> SysReg {
    let mut r = reg(name, Kind::Special(s), read, write);
    r.ends_block = write;
    r
}

const fn nop(name: &'static str) -> SysReg {
    reg(name, Kind::Nop, false, true)
}

const fn user(mut r: SysReg, pl0_read: Pl0, pl0_write: Pl0) -> SysReg {
    r.pl0_read = pl0_read;
    r.pl0_write = pl0_write;
    r
}

/// A PMU register User mode may access as PMUSERENR.EN allows.
const fn pmu_reg(r: SysReg) -> SysReg {
    user(r, Pl0::Pmu, Pl0::Pmu)
}

/// CNTKCTL.PL0PCTEN | PL0VCTEN: CNTFRQ readable in User mode.
const PL0_FRQ: u32 = 0b11;
/// CNTKCTL.PL0PTEN: physical timer registers in User mode.
const PL0_PT: u32 = 1 << 9;
/// CNTKCTL.PL0VTEN: virtual timer registers in User mode.
const PL0_VT: u32 = 1 << 8;

macro_rules! off {
    ($f:ident) => {
        offset_of!(ArmCpu, $f)
    };
    ($f:ident + $n:expr) => {
        offset_of!(ArmCpu, $f) + $n
    };
}

/// The register an MRC/MCR to coprocessor `cp` with `opc1, CRn, CRm, opc2`
/// names, or `None` (UNDEFINED).
pub fn lookup32(cp: u32, opc1: u32, crn: u32, crm: u32, opc2: u32) -> Option<SysReg> {
    use Special as S;
    if cp == 14 {
        // DBGDIDR: reads as zero, "no debug architecture", which Linux
        // reads and then leaves the debug registers alone.
        // DBGDRAR and DBGDSAR read as zero too: no memory-mapped debug
        // registers. Opc1 7 is the trivial Jazelle extension ARMv7-A
        // requires: JIDR reads as zero, JOSCR and JMCR are RAZ/WI.
        return match (opc1, crn, crm, opc2) {
            (0, 0, 0, 0) => Some(ro("DBGDIDR", 0)),
            (0, 1, 0, 0) => Some(ro("DBGDRAR", 0)),
            (0, 2, 0, 0) => Some(ro("DBGDSAR", 0)),
            (7, 0, 0, 0) => Some(ro("JIDR", 0)),
            (7, 1, 0, 0) => Some(raz_wi("JOSCR")),
            (7, 2, 0, 0) => Some(raz_wi("JMCR")),
            _ => None,
        };
    }
    if cp != 15 {
        return None;
    }
    let r = match (opc1, crn, crm, opc2) {
        // c0: identification.
        (0, 0, 0, 0 | 4 | 7) => ro("MIDR", id::MIDR),
        (0, 0, 0, 1) => ro("CTR", id::CTR),
        (0, 0, 0, 2) => ro("TCMTR", 0),
        (0, 0, 0, 3) => ro("TLBTR", 0),
        (0, 0, 0, 5) => ro("MPIDR", id::MPIDR),
        (0, 0, 0, 6) => ro("REVIDR", 0),
        (0, 0, 1, 0) => ro("ID_PFR0", id::ID_PFR0),
        (0, 0, 1, 1) => ro("ID_PFR1", id::ID_PFR1),
        (0, 0, 1, 2) => ro("ID_DFR0", id::ID_DFR0),
        (0, 0, 1, 3) => ro("ID_AFR0", 0),
        (0, 0, 1, n @ 4..=7) => ro("ID_MMFRn", id::ID_MMFR[n as usize - 4]),
        (0, 0, 2, n @ 0..=5) => ro("ID_ISARn", id::ID_ISAR[n as usize]),
        // The rest of the CPUID space reads as zero.
        (0, 0, 2, _) | (0, 0, 3..=7, _) => ro("(reserved ID)", 0),
        (1, 0, 0, 0) => special("CCSIDR", S::Ccsidr, true, false),
        (1, 0, 0, 1) => ro("CLIDR", id::CLIDR),
        (1, 0, 0, 7) => ro("AIDR", 0),
        (2, 0, 0, 0) => field("CSSELR", off!(csselr), 0xf),
        // c1: system control.
        (0, 1, 0, 0) => special("SCTLR", S::Sctlr, true, true),
        (0, 1, 0, 1) => field("ACTLR", off!(actlr), 0xffff_ffff),
        // CP10/CP11 (VFP and Advanced SIMD) access, ASEDIS, D32DIS; the
        // other coprocessors are absent (RAZ/WI). Access changes what
        // translates, so a write ends the block.
        (0, 1, 0, 2) => {
            let mut r = field("CPACR", off!(cpacr), super::cpacr::WRITABLE);
            r.ends_block = true;
            r
        }
        // c2, c3: translation tables and domains.
        (0, 2, 0, 0) => special("TTBR0", S::Ttbr0, true, true),
        (0, 2, 0, 1) => special("TTBR1", S::Ttbr1, true, true),
        (0, 2, 0, 2) => special("TTBCR", S::Ttbcr, true, true),
        (0, 3, 0, 0) => special("DACR", S::Dacr, true, true),
        // c5, c6: fault status and address.
        (0, 5, 0, 0) => field("DFSR", off!(fault_regs), 0x0000_3eff),
        (0, 5, 0, 1) => field("IFSR", off!(fault_regs + 4), 0x0000_160f),
        (0, 5, 1, 0 | 1) => raz_wi("ADFSR/AIFSR"),
        (0, 6, 0, 0) => field("DFAR", off!(fault_regs + 8), !0),
        (0, 6, 0, 2) => field("IFAR", off!(fault_regs + 12), !0),
        // c7: cache maintenance, address translation, barriers.
        (0, 7, 4, 0) => special("PAR", S::Par, true, true),
        (0, 7, 8, 0) => special("ATS1CPR", S::Ats1cpr, false, true),
        (0, 7, 8, 1) => special("ATS1CPW", S::Ats1cpw, false, true),
        (0, 7, 8, 2) => special("ATS1CUR", S::Ats1cur, false, true),
        (0, 7, 8, 3) => special("ATS1CUW", S::Ats1cuw, false, true),
        (0, 7, 5, 4) => user(nop("CP15ISB"), Pl0::Never, Pl0::Always),
        (0, 7, 10, 4) => user(nop("CP15DSB"), Pl0::Never, Pl0::Always),
        (0, 7, 10, 5) => user(nop("CP15DMB"), Pl0::Never, Pl0::Always),
        (0, 7, 1, 0) => nop("ICIALLUIS"),
        (0, 7, 1, 6) => nop("BPIALLIS"),
        (0, 7, 5, 0) => nop("ICIALLU"),
        (0, 7, 5, 1) => nop("ICIMVAU"),
        (0, 7, 5, 6) => nop("BPIALL"),
        (0, 7, 5, 7) => nop("BPIMVA"),
        (0, 7, 6, 1) => nop("DCIMVAC"),
        (0, 7, 6, 2) => nop("DCISW"),
        (0, 7, 10, 1) => nop("DCCMVAC"),
        (0, 7, 10, 2) => nop("DCCSW"),
        (0, 7, 11, 1) => nop("DCCMVAU"),
        (0, 7, 14, 1) => nop("DCCIMVAC"),
        (0, 7, 14, 2) => nop("DCCISW"),
        // c8: TLB maintenance (inner shareable, instruction, data and
        // unified forms all act on the one TLB).
        (0, 8, 3 | 5 | 6 | 7, 0) => special("TLBIALL", S::TlbiAll, false, true),
        (0, 8, 3 | 5 | 6 | 7, 1 | 3) => special("TLBIMVA", S::TlbiMva, false, true),
        (0, 8, 3 | 5 | 6 | 7, 2) => special("TLBIASID", S::TlbiAsid, false, true),
        // c9: performance monitors; User mode may use them (but for the
        // interrupt enables, and PMUSERENR only to read) when
        // PMUSERENR.EN is set. A PMUSERENR write changes what User-mode
        // code may do, so it ends the block.
        (0, 9, 12, 0) => pmu_reg(special("PMCR", S::Pmcr, true, true)),
        (0, 9, 12, 1) => pmu_reg(special("PMCNTENSET", S::PmCntenSet, true, true)),
        (0, 9, 12, 2) => pmu_reg(special("PMCNTENCLR", S::PmCntenClr, true, true)),
        (0, 9, 12, 3) => pmu_reg(special("PMOVSR", S::PmOvsr, true, true)),
        (0, 9, 12, 4) => pmu_reg(special("PMSWINC", S::PmSwinc, false, true)),
        (0, 9, 12, 5) => pmu_reg(field(
            "PMSELR",
            off!(pmu) + offset_of!(pmu::Pmu, selr),
            0x1f,
        )),
        (0, 9, 12, 6) => pmu_reg(ro("PMCEID0", pmu::PMCEID0)),
        (0, 9, 12, 7) => pmu_reg(ro("PMCEID1", 0)),
        (0, 9, 13, 0) => pmu_reg(special("PMCCNTR", S::PmCcntr, true, true)),
        (0, 9, 13, 1) => pmu_reg(special("PMXEVTYPER", S::PmXevtyper, true, true)),
        (0, 9, 13, 2) => pmu_reg(special("PMXEVCNTR", S::PmXevcntr, true, true)),
        (0, 9, 14, 0) => {
            let mut r = field("PMUSERENR", off!(pmu) + offset_of!(pmu::Pmu, userenr), 1);
            r.ends_block = true;
            user(r, Pl0::Always, Pl0::Never)
        }
        (0, 9, 14, 1) => special("PMINTENSET", S::PmIntenSet, true, true),
        (0, 9, 14, 2) => special("PMINTENCLR", S::PmIntenClr, true, true),
        (0, 9, 14, 3) => pmu_reg(special("PMOVSSET", S::PmOvsSet, true, true)),
        // c9: Cortex-A15 L2 control (one core) and extended control.
        (1, 9, 0, 2) => ro("L2CTLR", 0),
        (1, 9, 0, 3) => field("L2ECTLR", off!(l2ectlr), 0xffff_ffff),
        // c10: memory attribute remapping.
        (0, 10, 2, 0) => field("PRRR/MAIR0", off!(prrr), 0xffff_ffff),
        (0, 10, 2, 1) => field("NMRR/MAIR1", off!(nmrr), 0xffff_ffff),
        (0, 10, 3, 0 | 1) => ro("AMAIR0/1", 0),
        // c12, c13: vectors and process/thread IDs.
        (0, 12, 0, 0) => field("VBAR", off!(vbar), !0x1f),
        (0, 13, 0, 0) => raz_wi("FCSEIDR"),
        (0, 13, 0, 1) => special("CONTEXTIDR", S::Contextidr, true, true),
        (0, 13, 0, 2) => user(field("TPIDRURW", off!(tpidr), !0), Pl0::Always, Pl0::Always),
        (0, 13, 0, 3) => user(
            field("TPIDRURO", off!(tpidr + 4), !0),
            Pl0::Always,
            Pl0::Never,
        ),
        (0, 13, 0, 4) => field("TPIDRPRW", off!(tpidr + 8), !0),
        // c14: generic timer.
        (0, 14, 0, 0) => user(
            field("CNTFRQ", off!(cntfrq), !0),
            Pl0::Cntkctl(PL0_FRQ),
            Pl0::Never,
        ),
        (0, 14, 1, 0) => special("CNTKCTL", S::Cntkctl, true, true),
        (0, 14, 2, 0) => user(
            special("CNTP_TVAL", S::CntpTval, true, true),
            Pl0::Cntkctl(PL0_PT),
            Pl0::Cntkctl(PL0_PT),
        ),
        (0, 14, 2, 1) => user(
            special("CNTP_CTL", S::CntpCtl, true, true),
            Pl0::Cntkctl(PL0_PT),
            Pl0::Cntkctl(PL0_PT),
        ),
        (0, 14, 3, 0) => user(
            special("CNTV_TVAL", S::CntvTval, true, true),
            Pl0::Cntkctl(PL0_VT),
            Pl0::Cntkctl(PL0_VT),
        ),
        (0, 14, 3, 1) => user(
            special("CNTV_CTL", S::CntvCtl, true, true),
            Pl0::Cntkctl(PL0_VT),
            Pl0::Cntkctl(PL0_VT),
        ),
        _ => return None,
    };
    Some(r)
}

/// The register an MRRC/MCRR to coprocessor `cp` with `opc1, CRm` names.
pub fn lookup64(cp: u32, opc1: u32, crm: u32) -> Option<SysReg> {
    use Special as S;
    if cp == 14 {
        // The 64-bit DBGDRAR and DBGDSAR (LPAE): zero, as the 32-bit ones.
        return match (opc1, crm) {
            (0, 1) => Some(ro("DBGDRAR", 0)),
            (0, 2) => Some(ro("DBGDSAR", 0)),
            _ => None,
        };
    }
    if cp != 15 {
        return None;
    }
    let r = match (opc1, crm) {
        (0, 2) => special("TTBR0", S::Ttbr0Long, true, true),
        (1, 2) => special("TTBR1", S::Ttbr1Long, true, true),
        (0, 7) => special("PAR", S::ParLong, true, true),
        (0, 14) => user(
            special("CNTPCT", S::Cntpct, true, false),
            Pl0::Cntkctl(1),
            Pl0::Never,
        ),
        (1, 14) => user(
            special("CNTVCT", S::Cntvct, true, false),
            Pl0::Cntkctl(2),
            Pl0::Never,
        ),
        (2, 14) => user(
            special("CNTP_CVAL", S::CntpCval, true, true),
            Pl0::Cntkctl(PL0_PT),
            Pl0::Cntkctl(PL0_PT),
        ),
        (3, 14) => user(
            special("CNTV_CVAL", S::CntvCval, true, true),
            Pl0::Cntkctl(PL0_VT),
            Pl0::Cntkctl(PL0_VT),
        ),
        _ => return None,
    };
    Some(r)
}

/// SCTLR bits software can change on this core; the others read as their
/// fixed values.
const SCTLR_WRITABLE: u32 = sctlr::M
    | sctlr::A
    | 1 << 2 // C
    | 1 << 10 // SW
    | 1 << 11 // Z
    | 1 << 12 // I
    | sctlr::V
    | sctlr::WXN
    | sctlr::UWXN
    | sctlr::EE
    | sctlr::TRE
    | sctlr::AFE
    | sctlr::TE;
/// SCTLR bits that read as one.
const SCTLR_FIXED: u32 = sctlr::RESET & !SCTLR_WRITABLE;

/// Reads a special register. 64-bit registers return their whole value;
/// 32-bit ones the low word.
pub fn read_special(env: &mut CpuEnv<ArmCpu>, s: Special) -> u64 {
    let now = env.now_ns();
    let icount = env.icount_now();
    let cpu = &env.arch;
    match s {
        Special::Ccsidr => {
            let sel = cpu.csselr as usize & 0xf;
            // CSSELR = level << 1 | InD: 0 L1 D, 1 L1 I, 2 L2.
            u64::from(id::CCSIDR.get(sel).copied().unwrap_or(0))
        }
        Special::Sctlr => u64::from(cpu.sctlr),
        Special::Ttbr0 => cpu.ttbr0 & 0xffff_ffff,
        Special::Ttbr1 => cpu.ttbr1 & 0xffff_ffff,
        Special::Ttbr0Long => cpu.ttbr0,
        Special::Ttbr1Long => cpu.ttbr1,
        Special::Ttbcr => u64::from(cpu.ttbcr),
        Special::Dacr => u64::from(cpu.dacr),
        Special::Contextidr => u64::from(cpu.contextidr),
        Special::Par => cpu.par & 0xffff_ffff,
        Special::ParLong => cpu.par,
        Special::Cntkctl => u64::from(cpu.cntkctl),
        Special::CntpTval => u64::from(cpu.timer_tval(timer::Which::Physical, now)),
        Special::CntvTval => u64::from(cpu.timer_tval(timer::Which::Virtual, now)),
        Special::CntpCtl => u64::from(cpu.timer_ctl(timer::Which::Physical, now)),
        Special::CntvCtl => u64::from(cpu.timer_ctl(timer::Which::Virtual, now)),
        Special::Cntpct | Special::Cntvct => timer::counter(now),
        Special::CntpCval => cpu.cntp_cval,
        Special::CntvCval => cpu.cntv_cval,
        Special::Pmcr => u64::from(cpu.pmu.pmcr_value()),
        Special::PmCntenSet | Special::PmCntenClr => u64::from(cpu.pmu.cnten),
        Special::PmIntenSet | Special::PmIntenClr => u64::from(cpu.pmu.inten),
        Special::PmOvsr | Special::PmOvsSet | Special::PmCcntr | Special::PmXevcntr => {
            let p = cpu.pmu_at(icount, now);
            u64::from(match s {
                Special::PmOvsr | Special::PmOvsSet => p.ovs,
                Special::PmCcntr => p.ccnt,
                _ => p.selected().map_or(0, |i| p.evcnt[i]),
            })
        }
        Special::PmXevtyper => u64::from(cpu.pmu.selected().map_or(0, |i| cpu.pmu.evtype[i])),
        Special::PmSwinc => 0,
        Special::Ats1cpr
        | Special::Ats1cpw
        | Special::Ats1cur
        | Special::Ats1cuw
        | Special::TlbiAll
        | Special::TlbiMva
        | Special::TlbiAsid => 0,
    }
}

/// Writes a special register (`v` holds both words of a 64-bit one).
pub fn write_special(env: &mut CpuEnv<ArmCpu>, s: Special, v: u64) {
    let now = env.now_ns();
    let w = v as u32;
    match s {
        Special::Ccsidr | Special::Cntpct | Special::Cntvct => {}
        Special::Sctlr => {
            let new = (w & SCTLR_WRITABLE) | SCTLR_FIXED;
            let old = env.arch.sctlr;
            env.arch.sctlr = new;
            // Turning the MMU on or off, or changing how permissions are
            // read, changes every translation.
            let affects = sctlr::M | sctlr::AFE | sctlr::WXN | sctlr::UWXN;
            if (old ^ new) & affects != 0 {
                softmmu::flush_all(env, true);
            }
        }
        // A new table base (and, with long descriptors, maybe a new ASID)
        // leaves the global mappings in the TLB: they are the same in every
        // address space, and a change to them needs a TLB invalidation.
        Special::Ttbr0 => {
            env.arch.ttbr0 = u64::from(w);
            flush_address_space(env);
        }
        Special::Ttbr1 => {
            env.arch.ttbr1 = u64::from(w);
            flush_address_space(env);
        }
        Special::Ttbr0Long => {
            env.arch.ttbr0 = v & 0x00ff_00ff_ffff_ffff;
            flush_address_space(env);
        }
        Special::Ttbr1Long => {
            env.arch.ttbr1 = v & 0x00ff_00ff_ffff_ffff;
            flush_address_space(env);
        }
        Special::Ttbcr => {
            // Short form: N, PD0, PD1; long form: T0SZ, walk attributes,
            // EPD0, T1SZ, A1, EPD1, EAE.
            let mask = if w & mmu::ttbcr::EAE != 0 {
                0x80ff_ffbf_u32 & !(0xf << 24 | 0x7 << 19 | 0x7 << 3)
            } else {
                0x37
            };
            env.arch.ttbcr = w & mask;
            softmmu::flush_all(env, true);
        }
        Special::Dacr => {
            // Only the entries made through a domain whose field changed
            // are stale (Linux switches the user domain's access on every
            // user copy); domains change permissions, not where addresses
            // lead.
            let old = env.arch.dacr;
            env.arch.dacr = w;
            // A domain that grants more than before leaves its entries
            // valid: they allow a subset of what is allowed now, and an
            // access they do not allow takes the slow path and walks.
            // No access (0b00, and the reserved 0b10) < Client (0b01) <
            // Manager (0b11).
            let rank = |f: u32| match f {
                0b01 => 1,
                0b11 => 2,
                _ => 0,
            };
            let domains = (0..16)
                .filter(|d| rank(w >> (2 * d) & 3) < rank(old >> (2 * d) & 3))
                .fold(0u32, |m, d| m | 1 << d);
            if domains != 0 {
                softmmu::flush_where(env, |t| mmu::tlb_tag::in_domains(t, domains), false);
            }
        }
        Special::Contextidr => {
            let old = mmu::current_asid(&env.arch);
            env.arch.contextidr = w;
            // The TLB holds the global entries and the current ASID's: a
            // new ASID drops the latter.
            if mmu::current_asid(&env.arch) != old {
                flush_address_space(env);
            }
        }
        Special::Par => env.arch.par = u64::from(w),
        Special::ParLong => env.arch.par = v,
        Special::Ats1cpr | Special::Ats1cpw | Special::Ats1cur | Special::Ats1cuw => {
            let (access, mmu_idx) = match s {
                Special::Ats1cpr => (Access::Read, 0),
                Special::Ats1cpw => (Access::Write, 0),
                Special::Ats1cur => (Access::Read, 1),
                _ => (Access::Write, 1),
            };
            let r = mmu::translate(env, u64::from(w), access, mmu_idx);
            env.arch.par = mmu::par_value(&env.arch, &r);
        }
        Special::TlbiAll => softmmu::flush_all(env, true),
        // Only the current ASID's non-global entries are in the TLB.
        Special::TlbiAsid => flush_address_space(env),
        Special::TlbiMva => softmmu::flush_page(env, u64::from(w & !0xfff)),
        Special::Cntkctl => env.arch.cntkctl = w & 0x3ff,
        Special::CntpTval => env.arch.set_timer_tval(timer::Which::Physical, now, w),
        Special::CntvTval => env.arch.set_timer_tval(timer::Which::Virtual, now, w),
        Special::CntpCtl => env.arch.set_timer_ctl(timer::Which::Physical, w),
        Special::CntvCtl => env.arch.set_timer_ctl(timer::Which::Virtual, w),
        Special::CntpCval => env.arch.set_timer_cval(timer::Which::Physical, v),
        Special::CntvCval => env.arch.set_timer_cval(timer::Which::Virtual, v),
        Special::Pmcr
        | Special::PmCntenSet
        | Special::PmCntenClr
        | Special::PmOvsr
        | Special::PmOvsSet
        | Special::PmSwinc
        | Special::PmCcntr
        | Special::PmXevtyper
        | Special::PmXevcntr
        | Special::PmIntenSet
        | Special::PmIntenClr => write_pmu(env, s, w),
    }
    // Every special write may change translation, timers or interrupts:
    // the run loop looks before the guest goes on.
    env.exit_request = 1;
}

/// Drops the TLB entries of the current address space (the non-global
/// ones), and with them whatever the engine looked up by virtual address.
fn flush_address_space(env: &mut CpuEnv<ArmCpu>) {
    softmmu::flush_where(env, mmu::tlb_tag::not_global, true);
}

/// Writes a PMU register, the counters first brought up to this instant.
fn write_pmu(env: &mut CpuEnv<ArmCpu>, s: Special, w: u32) {
    pmu::sync(env);
    let user = !privileged(&env.arch);
    let p = &mut env.arch.pmu;
    match s {
        Special::Pmcr => p.write_pmcr(w),
        Special::PmCntenSet => p.cnten |= w & pmu::COUNTER_BITS,
        Special::PmCntenClr => p.cnten &= !w,
        Special::PmOvsr => p.ovs &= !w,
        Special::PmOvsSet => p.ovs |= w & pmu::COUNTER_BITS,
        Special::PmSwinc => p.software_increment(user, w),
        Special::PmCcntr => p.ccnt = w,
        Special::PmXevtyper => {
            if let Some(i) = p.selected() {
                p.evtype[i] = w & pmu::evtype::STORED;
            }
        }
        Special::PmXevcntr => {
            if let Some(i) = p.selected() {
                p.evcnt[i] = w;
            }
        }
        Special::PmIntenSet => p.inten |= w & pmu::COUNTER_BITS,
        Special::PmIntenClr => p.inten &= !w,
        _ => unreachable!("{s:?} is not a PMU register"),
    }
}

/// Whether the CPU is in a privileged mode.
pub fn privileged(cpu: &ArmCpu) -> bool {
    cpu.mode() != psr::MODE_USR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Bus;

    #[test]
    fn table_answers_and_refuses() {
        assert_eq!(
            lookup32(15, 0, 0, 0, 0).unwrap().kind,
            Kind::Const(id::MIDR)
        );
        assert!(lookup32(15, 0, 9, 12, 0)
            .unwrap()
            .pl0_allows(false, tb_flags::PMU_PL0));
        assert!(!lookup32(15, 0, 9, 14, 1)
            .unwrap()
            .pl0_allows(false, tb_flags::PMU_PL0));
        assert!(
            lookup32(15, 0, 9, 15, 0).is_none(),
            "no PMU registers in c15"
        );
        assert!(lookup32(10, 7, 0, 0, 0).is_none(), "no VFP");
        assert!(lookup32(14, 0, 0, 0, 0).unwrap().read);
        let tp = lookup32(15, 0, 13, 0, 3).unwrap();
        assert!(tp.pl0_allows(false, 0) && !tp.pl0_allows(true, 0));
        let vct = lookup64(15, 1, 14).unwrap();
        let pl0vcten = 2 << tb_flags::CNTKCTL_SHIFT;
        assert!(!vct.pl0_allows(false, 0) && vct.pl0_allows(false, pl0vcten));
        assert!(lookup64(15, 4, 14).is_none(), "no CNTVOFF without Hyp");
        for (i, s) in SPECIALS.iter().enumerate() {
            assert_eq!(*s as usize, i);
            assert_eq!(Special::from_u32(i as u32), Some(*s));
        }
    }

    #[test]
    fn sctlr_and_ttbr_writes_flush_the_tlb() {
        let mut bus = Bus::new();
        let mut env = CpuEnv::new(ArmCpu::new(), &mut bus);
        env.tlb[0].entries[3].read = 0x3000;
        write_special(&mut env, Special::Sctlr, 0);
        assert_eq!(env.arch.sctlr, SCTLR_FIXED);
        assert_eq!(env.tlb[0].entries[3].read, 0x3000, "M unchanged: no flush");
        write_special(&mut env, Special::Sctlr, 1);
        assert_eq!(env.tlb[0].entries[3].read, softmmu::TLB_INVALID);
        let epoch = env.mmu_epoch;
        write_special(&mut env, Special::Ttbr0Long, 0x0012_0000_4000_0000);
        assert_eq!(read_special(&mut env, Special::Ttbr0), 0x4000_0000);
        assert_eq!(env.mmu_epoch, epoch + 1);
        write_special(&mut env, Special::Dacr, 5);
        assert_eq!(env.mmu_epoch, epoch + 1, "domains do not remap");
        assert_eq!(env.exit_request, 1);
    }

    #[test]
    fn the_tlb_keeps_what_a_context_or_domain_change_leaves_valid() {
        let mut bus = Bus::new();
        let mut env = CpuEnv::new(ArmCpu::new(), &mut bus);
        use mmu::tlb_tag::{HAS_DOMAIN, NOT_GLOBAL};
        // Entry 1: global, domain 0 (the kernel); 2: not global, domain 1
        // (a process); 3: global, domain 1.
        let tags = [
            (1, HAS_DOMAIN),
            (2, HAS_DOMAIN | 1 | NOT_GLOBAL),
            (3, HAS_DOMAIN | 1),
        ];
        let fill = |env: &mut CpuEnv<ArmCpu>| {
            for (i, t) in tags {
                env.tlb[0].entries[i].read = (i as u64) << 12;
                env.tlb_tag[0][i] = t;
            }
        };
        let live = |env: &CpuEnv<ArmCpu>| {
            tags.map(|(i, _)| env.tlb[0].entries[i].read != softmmu::TLB_INVALID)
        };
        fill(&mut env);
        write_special(&mut env, Special::Contextidr, 0x105);
        assert_eq!(live(&env), [true, false, true], "a new ASID");
        fill(&mut env);
        write_special(&mut env, Special::Contextidr, 0x205);
        assert_eq!(live(&env), [true, true, true], "PROCID only: same ASID");
        write_special(&mut env, Special::Dacr, 0b1101);
        assert_eq!(live(&env), [true, true, true], "more access: nothing stale");
        write_special(&mut env, Special::Dacr, 0b0001);
        assert_eq!(live(&env), [true, false, false], "domain 1 lost access");
        fill(&mut env);
        write_special(&mut env, Special::Dacr, 0b0011);
        write_special(&mut env, Special::Dacr, 0b0001);
        assert_eq!(
            live(&env),
            [false, true, true],
            "domain 0: manager to client"
        );
        fill(&mut env);
        write_special(&mut env, Special::Ttbr0, 0x4000_4000);
        assert_eq!(live(&env), [true, false, true], "a new table base");
        fill(&mut env);
        write_special(&mut env, Special::TlbiAll, 0);
        assert_eq!(live(&env), [false, false, false]);
    }

    #[test]
    fn cache_geometry_follows_csselr() {
        let mut bus = Bus::new();
        let mut env = CpuEnv::new(ArmCpu::new(), &mut bus);
        env.arch.csselr = 1;
        assert_eq!(read_special(&mut env, Special::Ccsidr), 0x201f_e00a);
        env.arch.csselr = 2;
        assert_eq!(read_special(&mut env, Special::Ccsidr), 0x711f_e07a);
    }
}
