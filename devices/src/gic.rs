//! ARM Generic Interrupt Controller, architecture version 2 (GICv2), as
//! QEMU's `virt` board presents it to a single Cortex-A15: one CPU
//! interface, no Security Extensions, no virtualization extensions.
//!
//! # Structure
//!
//! All state lives in one [`Gic`]. The board maps two views of it:
//! [`GicDistributor`] (4 KiB, at 0x0800_0000 on `virt`) and
//! [`GicCpuInterface`] (8 KiB, at 0x0801_0000), both holding the same
//! `Rc<RefCell<Gic>>`. The machine keeps a third handle and asks
//! [`Gic::irq_line_to_cpu`] / [`Gic::fiq_line_to_cpu`] at instruction
//! boundaries.
//!
//! # Inputs
//!
//! Interrupt ID `n` is line `n` of the [`IrqLines`] given to [`Gic::new`]:
//! 0–15 are SGIs (software only; their lines are never looked at), 16–31
//! PPIs of the one CPU, 32 and up SPIs. A level-sensitive input is pending
//! while its line is high or while software has set it pending; an
//! edge-triggered input latches pending on a rising edge. Edges are taken
//! from the lines (which latch them) before every register access and every
//! query, so an edge is seen in the order it happened relative to the
//! guest's accesses, and a pulse shorter than any sample is never lost.
//! Everything the guest sees is therefore a function of its own accesses
//! and of the line history, never of when the machine happens to ask.
//!
//! # Choices where the architecture leaves room
//!
//! These follow QEMU's `arm_gic` model with `revision=2`, one CPU, no
//! security, unless stated:
//!
//! - [`VIRT_NUM_IRQS`] = 288 interrupt IDs (256 SPIs), so GICD_TYPER reads
//!   0x0000_0008 (ITLinesNumber 8, CPUNumber 0, SecurityExtn 0).
//! - All eight priority bits are implemented; the minimum binary point is 0
//!   (GICC_ABPR: 1); both reset to their minimum. Active priorities are
//!   tracked at the finest grouping (128 levels), so GICC_APR0–3 and
//!   GICC_NSAPR0–3 all hold state: bit `n` of the set means group priority
//!   `2n` is active (group 0 interrupts in APR, group 1 in NSAPR).
//! - SGIs are always enabled (their enable bits read as one, writes are
//!   ignored) and always edge-triggered. PPI and SPI trigger modes are
//!   programmable; everything resets to level-sensitive, group 0,
//!   priority 0, disabled.
//! - GICD_ITARGETSR: entries for SGIs and PPIs read as 0x01 (this CPU) and
//!   ignore writes; SPI entries keep bit 0 (the only CPU interface), reset to
//!   0x01 so an SPI reaches the CPU without software setting a target.
//!   Decision: QEMU makes the whole register RAZ/WI for a one-CPU GIC (the
//!   specification's uniprocessor option); the multiprocessor layout is kept
//!   here because it is what Linux probes for and costs nothing.
//! - GICD_ISPENDR/ICPENDR writes to SGI bits are ignored (GICv2 sets SGIs
//!   pending through GICD_SGIR and GICD_SPENDSGIR only).
//! - The distributor accepts byte, halfword and word accesses to every
//!   register, as a sequence of byte accesses (QEMU does the same); GICD_SGIR
//!   acts only on a word write. CPU interface registers are word registers:
//!   an access at an offset that is not a multiple of four reads as zero and
//!   is ignored; a narrower access at a register's offset acts on the whole
//!   register (a byte read of GICC_IAR acknowledges). An 8-byte access is two
//!   word accesses, low word first.
//! - An interrupt can preempt when its group priority is higher than the
//!   running priority (the specification's rule; QEMU compares the full
//!   priority, which differs only when the binary point changed while an
//!   interrupt was active).
//! - Only the highest priority pending interrupt the CPU interface may
//!   signal is considered: it is signalled as FIQ if it is group 0 and
//!   GICC_CTLR.FIQEn is set, as IRQ otherwise. Interrupts of a group that the
//!   distributor does not forward, or the CPU interface does not signal, are
//!   not candidates at all.
//! - GICC_EOIR/GICC_AEOIR with no active priority, or naming an ID that does
//!   not exist (including 1020–1023), are ignored; GICC_DIR is ignored unless
//!   GICC_CTLR.EOImode is set. A priority drop clears the highest active
//!   priority of the group of the interrupt named.
//! - There is no legacy bypass input: the bypass-disable bits of GICC_CTLR
//!   are kept and read back but change nothing.

use lockstep_runtime::bus::IoCtx;
use lockstep_runtime::{IrqLines, MmioDevice};
use std::cell::RefCell;
use std::rc::Rc;

/// Interrupt IDs on QEMU's `virt` board: 32 private (SGIs and PPIs) and 256
/// SPIs.
pub const VIRT_NUM_IRQS: u32 = 288;
/// Size of the distributor's register block.
pub const GIC_DIST_SIZE: u64 = 0x1000;
/// Size of the CPU interface's register block (GICC_DIR lives at 0x1000).
pub const GIC_CPU_SIZE: u64 = 0x2000;

/// The ID GICC_IAR returns when there is nothing to acknowledge.
pub const SPURIOUS: u32 = 1023;
/// The ID GICC_IAR returns when the interrupt to acknowledge is group 1 and
/// GICC_CTLR.AckCtl is clear.
pub const SPURIOUS_GROUP1: u32 = 1022;

const SGIS: u32 = 16;
const PRIVATE: u32 = 32;
/// IDs 1020–1023 are special and never name an interrupt.
const MAX_IRQS: u32 = 1020;
/// The running priority when nothing is active (lower than any priority).
const IDLE: u16 = 0x100;
/// Minimum GICC_BPR with eight priority bits.
const MIN_BPR: u8 = 0;
/// Minimum GICC_ABPR: one more than GICC_BPR, since it splits at the same
/// bit when read as a group 1 binary point.
const MIN_ABPR: u8 = MIN_BPR + 1;
/// 128 preemption levels, 32 per active-priority register.
const APRS: usize = 4;

// Distributor register blocks (byte offsets).
const GICD_CTLR: u64 = 0x000;
const GICD_TYPER: u64 = 0x004;
const GICD_IGROUPR: u64 = 0x080;
const GICD_ISENABLER: u64 = 0x100;
const GICD_ICENABLER: u64 = 0x180;
const GICD_ISPENDR: u64 = 0x200;
const GICD_ICPENDR: u64 = 0x280;
const GICD_ISACTIVER: u64 = 0x300;
const GICD_ICACTIVER: u64 = 0x380;
const GICD_IPRIORITYR: u64 = 0x400;
const GICD_ITARGETSR: u64 = 0x800;
const GICD_ICFGR: u64 = 0xc00;
const GICD_SGIR: u64 = 0xf00;
const GICD_CPENDSGIR: u64 = 0xf10;
const GICD_SPENDSGIR: u64 = 0xf20;
const GICD_PIDR4: u64 = 0xfd0;

/// GICD_IIDR: implementer Arm (JEP106 0x43b), as QEMU reports.
const DIST_IIDR: u32 = 0x0000_043b;
/// PIDR4–7, PIDR0–3, CIDR0–3 at 0xfd0–0xffc: a GICv2 (PIDR2.ArchRev = 2).
const DIST_ID: [u8; 12] = [
    0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];

// CPU interface registers.
const GICC_CTLR: u64 = 0x00;
const GICC_PMR: u64 = 0x04;
const GICC_BPR: u64 = 0x08;
const GICC_IAR: u64 = 0x0c;
const GICC_EOIR: u64 = 0x10;
const GICC_RPR: u64 = 0x14;
const GICC_HPPIR: u64 = 0x18;
const GICC_ABPR: u64 = 0x1c;
const GICC_AIAR: u64 = 0x20;
const GICC_AEOIR: u64 = 0x24;
const GICC_AHPPIR: u64 = 0x28;
const GICC_APR0: u64 = 0xd0;
const GICC_NSAPR0: u64 = 0xe0;
const GICC_IIDR: u64 = 0xfc;
const GICC_DIR: u64 = 0x1000;

/// GICC_IIDR: architecture version 2, implementer Arm, as QEMU reports.
const CPU_IIDR: u32 = 0x0002_043b;

const CTLR_GRP0: u32 = 1 << 0;
const CTLR_GRP1: u32 = 1 << 1;
const CTLR_ACKCTL: u32 = 1 << 2;
const CTLR_FIQEN: u32 = 1 << 3;
const CTLR_CBPR: u32 = 1 << 4;
const CTLR_EOIMODE: u32 = 1 << 9;
/// GICC_CTLR bits of a GICv2 without Security Extensions: the group
/// enables, AckCtl, FIQEn, CBPR, the four bypass-disable bits, EOImode.
const CPU_CTLR_MASK: u32 = 0x3ff;

/// One bit per interrupt ID.
#[derive(Clone, Debug)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: u32) -> Self {
        Bits(vec![0; (n as usize).div_ceil(64)])
    }
    fn get(&self, i: u32) -> bool {
        self.0[i as usize / 64] >> (i % 64) & 1 != 0
    }
    fn put(&mut self, i: u32, v: bool) {
        let w = &mut self.0[i as usize / 64];
        let bit = 1u64 << (i % 64);
        if v {
            *w |= bit;
        } else {
            *w &= !bit;
        }
    }
}

/// What the CPU interface would present next.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    id: u32,
    /// For an SGI, the CPU that requested it (always 0 here).
    source: u32,
    priority: u8,
    group1: bool,
}

/// The state of a GICv2 with one CPU interface. See the module docs.
#[derive(Debug)]
pub struct Gic {
    lines: Rc<IrqLines>,
    /// Interrupt IDs that exist (a multiple of 32).
    num_irqs: u32,

    /// GICD_CTLR: EnableGrp0 (bit 0), EnableGrp1 (bit 1).
    dist_ctlr: u32,
    enabled: Bits,
    /// Set: group 1.
    group1: Bits,
    /// Set: edge-triggered.
    edge: Bits,
    active: Bits,
    /// Edge-triggered: the latched edge. Level-sensitive: pending set by
    /// software, kept whatever the line does until acknowledged or cleared.
    latch: Bits,
    priority: Vec<u8>,
    /// ITARGETSR entries of the SPIs (bit 0 is the only CPU).
    target: Vec<u8>,
    /// For each SGI, the CPUs it is pending from (bit 0: this CPU).
    sgi_sources: [u8; SGIS as usize],

    /// GICC_CTLR.
    cpu_ctlr: u32,
    /// GICC_PMR: only priorities numerically lower are signalled.
    pmr: u8,
    bpr: u8,
    abpr: u8,
    /// Active priorities of group 0 interrupts (GICC_APRn).
    apr: [u32; APRS],
    /// Active priorities of group 1 interrupts (GICC_NSAPRn).
    nsapr: [u32; APRS],
}

impl Gic {
    /// A GIC in its reset state with `num_irqs` interrupt IDs (32 private
    /// plus the SPIs; [`VIRT_NUM_IRQS`] for the `virt` board), reading its
    /// inputs from `lines`.
    ///
    /// # Panics
    /// If `num_irqs` is not a multiple of 32 between 32 and 1024 (a machine
    /// wiring error). IDs 1020–1023 never exist, even with 1024.
    pub fn new(lines: Rc<IrqLines>, num_irqs: u32) -> Self {
        assert!(
            num_irqs.is_multiple_of(32) && (PRIVATE..=1024).contains(&num_irqs),
            "a GIC has a multiple of 32 interrupt IDs, from 32 to 1024, not {num_irqs}"
        );
        let mut gic = Gic {
            lines,
            num_irqs,
            dist_ctlr: 0,
            enabled: Bits::new(num_irqs),
            group1: Bits::new(num_irqs),
            edge: Bits::new(num_irqs),
            active: Bits::new(num_irqs),
            latch: Bits::new(num_irqs),
            priority: vec![0; num_irqs as usize],
            target: vec![1; num_irqs as usize],
            sgi_sources: [0; SGIS as usize],
            cpu_ctlr: 0,
            pmr: 0,
            bpr: MIN_BPR,
            abpr: MIN_ABPR,
            apr: [0; APRS],
            nsapr: [0; APRS],
        };
        for id in 0..SGIS {
            gic.enabled.put(id, true);
            gic.edge.put(id, true);
        }
        gic
    }

    /// A GIC shared between its two register views and the machine.
    pub fn new_shared(lines: Rc<IrqLines>, num_irqs: u32) -> Rc<RefCell<Gic>> {
        Rc::new(RefCell::new(Gic::new(lines, num_irqs)))
    }

    /// The number of interrupt IDs (GICD_TYPER.ITLinesNumber + 1, times 32).
    pub fn num_irqs(&self) -> u32 {
        self.num_irqs
    }

    /// Whether the CPU interface signals an IRQ to the processor now, given
    /// the current state and the current levels of the input lines.
    pub fn irq_line_to_cpu(&mut self) -> bool {
        self.cpu_outputs().0
    }

    /// Whether the CPU interface signals an FIQ to the processor now. Only
    /// group 0 interrupts with GICC_CTLR.FIQEn set are signalled as FIQ, so
    /// this is false unless software configured it.
    pub fn fiq_line_to_cpu(&mut self) -> bool {
        self.cpu_outputs().1
    }

    /// Both outputs at once (IRQ, FIQ): one scan instead of two.
    pub fn cpu_outputs(&mut self) -> (bool, bool) {
        self.sample_edges();
        match self.best() {
            Some(c) if self.signalable(&c) => {
                let fiq = !c.group1 && self.cpu_ctlr & CTLR_FIQEN != 0;
                (!fiq, fiq)
            }
            _ => (false, false),
        }
    }

    /// Takes the rising edges the lines latched into the pending state of
    /// edge-triggered interrupts. Lines of level-sensitive interrupts keep
    /// their edges until the interrupt becomes edge-triggered, which drops
    /// them (see the GICD_ICFGR write).
    fn sample_edges(&mut self) {
        for w in 0..self.edge.0.len() {
            let mut m = self.edge.0[w];
            if w == 0 {
                // SGIs have no lines.
                m &= !0xffff;
            }
            while m != 0 {
                let id = w as u32 * 64 + m.trailing_zeros();
                m &= m - 1;
                if self.lines.take_rising(id) {
                    self.latch.put(id, true);
                }
            }
        }
    }

    fn exists(&self, id: u32) -> bool {
        id < self.num_irqs.min(MAX_IRQS)
    }

    fn pending(&self, id: u32) -> bool {
        if id < SGIS {
            self.sgi_sources[id as usize] != 0
        } else {
            self.latch.get(id) || (!self.edge.get(id) && self.lines.level(id))
        }
    }

    /// The highest priority interrupt that is enabled, pending, not active,
    /// aimed at this CPU, forwarded by the distributor and of a group the
    /// CPU interface signals. Ties go to the lowest ID.
    fn best(&self) -> Option<Candidate> {
        let g0 = self.dist_ctlr & self.cpu_ctlr & CTLR_GRP0 != 0;
        let g1 = self.dist_ctlr & self.cpu_ctlr & CTLR_GRP1 != 0;
        if !g0 && !g1 {
            return None;
        }
        let mut best: Option<Candidate> = None;
        for w in 0..self.enabled.0.len() {
            let grp = self.group1.0[w];
            let groups = if g0 { !grp } else { 0 } | if g1 { grp } else { 0 };
            let mut m = self.enabled.0[w] & !self.active.0[w] & groups;
            while m != 0 {
                let id = w as u32 * 64 + m.trailing_zeros();
                m &= m - 1;
                if !self.exists(id) || !self.pending(id) {
                    continue;
                }
                if id >= PRIVATE && self.target[id as usize] & 1 == 0 {
                    continue;
                }
                let priority = self.priority[id as usize];
                if best.is_none_or(|b| priority < b.priority) {
                    let source = if id < SGIS {
                        self.sgi_sources[id as usize].trailing_zeros()
                    } else {
                        0
                    };
                    best = Some(Candidate {
                        id,
                        source,
                        priority,
                        group1: self.group1.get(id),
                    });
                }
            }
        }
        best
    }

    /// The group priority of an interrupt: its priority with the bits below
    /// the applicable binary point cleared.
    fn group_priority(&self, priority: u8, group1: bool) -> u16 {
        let bpr = if group1 && self.cpu_ctlr & CTLR_CBPR == 0 {
            self.abpr - 1
        } else {
            self.bpr
        };
        u16::from(priority) & (0xff << (bpr + 1))
    }

    /// The priority of the highest priority active interrupt, or [`IDLE`].
    fn running_priority(&self) -> u16 {
        for i in 0..APRS {
            let both = self.apr[i] | self.nsapr[i];
            if both != 0 {
                return ((i as u32 * 32 + both.trailing_zeros()) << 1) as u16;
            }
        }
        IDLE
    }

    /// Whether `c` passes the priority mask and preempts what is running.
    fn signalable(&self, c: &Candidate) -> bool {
        c.priority < self.pmr && self.group_priority(c.priority, c.group1) < self.running_priority()
    }

    fn iar_value(c: &Candidate) -> u32 {
        c.id | c.source << 10
    }

    /// GICC_HPPIR (`alias` false) or GICC_AHPPIR (`alias` true).
    fn highest_pending(&self, alias: bool) -> u32 {
        match self.best() {
            Some(c) if c.priority < self.pmr => {
                if alias {
                    if c.group1 {
                        Self::iar_value(&c)
                    } else {
                        SPURIOUS
                    }
                } else if c.group1 && self.cpu_ctlr & CTLR_ACKCTL == 0 {
                    SPURIOUS_GROUP1
                } else {
                    Self::iar_value(&c)
                }
            }
            _ => SPURIOUS,
        }
    }

    /// GICC_IAR (`alias` false) or GICC_AIAR (`alias` true): the interrupt
    /// becomes active and its group priority the running priority.
    fn acknowledge(&mut self, alias: bool) -> u32 {
        let value = self.highest_pending(alias);
        if value >= MAX_IRQS {
            return value;
        }
        let Some(c) = self.best() else {
            return SPURIOUS;
        };
        if !self.signalable(&c) {
            return SPURIOUS;
        }
        let level = (self.group_priority(c.priority, c.group1) >> 1) as usize;
        let bank = if c.group1 {
            &mut self.nsapr
        } else {
            &mut self.apr
        };
        bank[level / 32] |= 1 << (level % 32);
        self.active.put(c.id, true);
        if c.id < SGIS {
            self.sgi_sources[c.id as usize] &= !(1 << c.source);
        } else {
            // A level input whose line is still high stays pending (active
            // and pending); software pending and latched edges are consumed.
            self.latch.put(c.id, false);
        }
        value
    }

    /// GICC_EOIR (`alias` false) or GICC_AEOIR (`alias` true).
    fn end_of_interrupt(&mut self, value: u32, alias: bool) {
        let id = value & 0x3ff;
        if !self.exists(id) || self.running_priority() == IDLE {
            return;
        }
        let group1 = self.group1.get(id);
        if alias && !group1 {
            // The alias only completes group 1 interrupts.
            return;
        }
        let bank = if group1 {
            &mut self.nsapr
        } else {
            &mut self.apr
        };
        if let Some(word) = bank.iter_mut().find(|w| **w != 0) {
            // Clear the lowest set bit: the highest active priority.
            *word &= *word - 1;
        }
        if self.cpu_ctlr & CTLR_EOIMODE == 0 {
            self.active.put(id, false);
        }
    }

    /// GICC_DIR.
    fn deactivate(&mut self, value: u32) {
        let id = value & 0x3ff;
        if self.exists(id) && self.cpu_ctlr & CTLR_EOIMODE != 0 {
            self.active.put(id, false);
        }
    }

    /// Eight bits of a one-bit-per-interrupt register; `first` is a multiple
    /// of 8. IDs that do not exist read as zero.
    fn bits_byte(&self, first: u32, bit: impl Fn(&Self, u32) -> bool) -> u8 {
        (0..8)
            .filter(|&i| self.exists(first + i) && bit(self, first + i))
            .fold(0, |acc, i| acc | 1 << i)
    }

    fn dist_read_byte(&self, off: u64) -> u8 {
        let word_byte = |v: u32| (v >> ((off & 3) * 8)) as u8;
        let bit_id = |base: u64| ((off - base) * 8) as u32;
        match off {
            0x000..=0x00b => word_byte(match off & !3 {
                GICD_CTLR => self.dist_ctlr,
                // ITLinesNumber; CPUNumber 0 (one CPU); no Security
                // Extensions, no LSPIs.
                GICD_TYPER => self.num_irqs / 32 - 1,
                _ => DIST_IIDR,
            }),
            0x080..=0x0ff => self.bits_byte(bit_id(GICD_IGROUPR), |s, i| s.group1.get(i)),
            0x100..=0x17f => self.bits_byte(bit_id(GICD_ISENABLER), |s, i| s.enabled.get(i)),
            0x180..=0x1ff => self.bits_byte(bit_id(GICD_ICENABLER), |s, i| s.enabled.get(i)),
            0x200..=0x27f => self.bits_byte(bit_id(GICD_ISPENDR), |s, i| s.pending(i)),
            0x280..=0x2ff => self.bits_byte(bit_id(GICD_ICPENDR), |s, i| s.pending(i)),
            0x300..=0x37f => self.bits_byte(bit_id(GICD_ISACTIVER), |s, i| s.active.get(i)),
            0x380..=0x3ff => self.bits_byte(bit_id(GICD_ICACTIVER), |s, i| s.active.get(i)),
            0x400..=0x7ff => {
                let id = (off - GICD_IPRIORITYR) as u32;
                if self.exists(id) {
                    self.priority[id as usize]
                } else {
                    0
                }
            }
            0x800..=0xbff => {
                let id = (off - GICD_ITARGETSR) as u32;
                if !self.exists(id) {
                    0
                } else if id < PRIVATE {
                    1
                } else {
                    self.target[id as usize]
                }
            }
            0xc00..=0xcff => {
                // Two bits per interrupt: bit 1 set for edge-triggered, bit 0
                // reserved.
                let first = ((off - GICD_ICFGR) * 4) as u32;
                (0..4)
                    .filter(|&i| self.exists(first + i) && self.edge.get(first + i))
                    .fold(0, |acc, i| acc | 2 << (2 * i))
            }
            0xf10..=0xf1f => self.sgi_sources[(off - GICD_CPENDSGIR) as usize],
            0xf20..=0xf2f => self.sgi_sources[(off - GICD_SPENDSGIR) as usize],
            0xfd0..=0xfff if off & 3 == 0 => DIST_ID[((off - GICD_PIDR4) / 4) as usize],
            // GICD_SGIR is write-only; the rest is reserved or
            // implementation defined (nothing there).
            _ => 0,
        }
    }

    /// Applies `f` to each interrupt whose bit is set in a byte written to a
    /// one-bit-per-interrupt register.
    fn for_set_bits(&mut self, off: u64, base: u64, value: u8, mut f: impl FnMut(&mut Self, u32)) {
        let first = ((off - base) * 8) as u32;
        for i in 0..8 {
            let id = first + i;
            if value >> i & 1 != 0 && self.exists(id) {
                f(self, id);
            }
        }
    }

    fn dist_write_byte(&mut self, off: u64, value: u8) {
        match off {
            GICD_CTLR => self.dist_ctlr = u32::from(value) & (CTLR_GRP0 | CTLR_GRP1),
            0x080..=0x0ff => {
                let first = ((off - GICD_IGROUPR) * 8) as u32;
                for i in 0..8 {
                    if self.exists(first + i) {
                        self.group1.put(first + i, value >> i & 1 != 0);
                    }
                }
            }
            0x100..=0x17f => self.for_set_bits(off, GICD_ISENABLER, value, |s, id| {
                s.enabled.put(id, true);
            }),
            0x180..=0x1ff => self.for_set_bits(off, GICD_ICENABLER, value, |s, id| {
                // SGIs cannot be disabled.
                if id >= SGIS {
                    s.enabled.put(id, false);
                }
            }),
            0x200..=0x27f => self.for_set_bits(off, GICD_ISPENDR, value, |s, id| {
                if id >= SGIS {
                    s.latch.put(id, true);
                }
            }),
            0x280..=0x2ff => self.for_set_bits(off, GICD_ICPENDR, value, |s, id| {
                // A level input whose line is high stays pending.
                if id >= SGIS {
                    s.latch.put(id, false);
                }
            }),
            0x300..=0x37f => self.for_set_bits(off, GICD_ISACTIVER, value, |s, id| {
                s.active.put(id, true);
            }),
            0x380..=0x3ff => self.for_set_bits(off, GICD_ICACTIVER, value, |s, id| {
                s.active.put(id, false);
            }),
            0x400..=0x7ff => {
                let id = (off - GICD_IPRIORITYR) as u32;
                if self.exists(id) {
                    self.priority[id as usize] = value;
                }
            }
            0x800..=0xbff => {
                let id = (off - GICD_ITARGETSR) as u32;
                if self.exists(id) && id >= PRIVATE {
                    self.target[id as usize] = value & 1;
                }
            }
            0xc00..=0xcff => {
                let first = ((off - GICD_ICFGR) * 4) as u32;
                for i in 0..4 {
                    let id = first + i;
                    if id < SGIS || !self.exists(id) {
                        continue;
                    }
                    let edge = value >> (2 * i + 1) & 1 != 0;
                    if edge && !self.edge.get(id) {
                        // Edges seen while the input was level-sensitive do
                        // not count.
                        self.lines.take_rising(id);
                    }
                    self.edge.put(id, edge);
                }
            }
            0xf10..=0xf1f => self.sgi_sources[(off - GICD_CPENDSGIR) as usize] &= !(value & 1),
            0xf20..=0xf2f => self.sgi_sources[(off - GICD_SPENDSGIR) as usize] |= value & 1,
            // Read-only, reserved, or GICD_SGIR written a byte at a time.
            _ => {}
        }
    }

    /// GICD_SGIR: raises SGI `value[3:0]` on the CPUs the target filter and
    /// list select, which can only be this one (CPU 0).
    fn software_interrupt(&mut self, value: u32) {
        let id = value & 0xf;
        let to_self = match value >> 24 & 3 {
            0 => value >> 16 & 1 != 0,
            // All other CPUs: there are none.
            1 => false,
            2 => true,
            // Reserved filter: ignored.
            _ => false,
        };
        if to_self {
            self.sgi_sources[id as usize] |= 1;
        }
    }

    fn dist_read(&mut self, off: u64, size: u8) -> u64 {
        self.sample_edges();
        match size {
            1 | 2 | 4 => (0..u64::from(size)).fold(0, |acc, i| {
                let byte = if off + i < GIC_DIST_SIZE {
                    self.dist_read_byte(off + i)
                } else {
                    0
                };
                acc | u64::from(byte) << (8 * i)
            }),
            8 => self.dist_read(off, 4) | self.dist_read(off + 4, 4) << 32,
            _ => 0,
        }
    }

    fn dist_write(&mut self, off: u64, size: u8, value: u64) {
        self.sample_edges();
        match size {
            4 if off == GICD_SGIR => self.software_interrupt(value as u32),
            1 | 2 | 4 => {
                for i in 0..u64::from(size) {
                    if off + i < GIC_DIST_SIZE {
                        self.dist_write_byte(off + i, (value >> (8 * i)) as u8);
                    }
                }
            }
            8 => {
                self.dist_write(off, 4, value & 0xffff_ffff);
                self.dist_write(off + 4, 4, value >> 32);
            }
            _ => {}
        }
    }

    fn cpu_read_word(&mut self, off: u64) -> u32 {
        match off {
            GICC_CTLR => self.cpu_ctlr,
            GICC_PMR => u32::from(self.pmr),
            GICC_BPR => u32::from(self.bpr),
            GICC_IAR => self.acknowledge(false),
            GICC_RPR => u32::from(self.running_priority().min(0xff)),
            GICC_HPPIR => self.highest_pending(false),
            GICC_ABPR => u32::from(self.abpr),
            GICC_AIAR => self.acknowledge(true),
            GICC_AHPPIR => self.highest_pending(true),
            0xd0..=0xdc => self.apr[((off - GICC_APR0) / 4) as usize],
            0xe0..=0xec => self.nsapr[((off - GICC_NSAPR0) / 4) as usize],
            GICC_IIDR => CPU_IIDR,
            // Write-only (EOIR, AEOIR, DIR), reserved or implementation
            // defined.
            _ => 0,
        }
    }

    fn cpu_write_word(&mut self, off: u64, value: u32) {
        match off {
            GICC_CTLR => self.cpu_ctlr = value & CPU_CTLR_MASK,
            GICC_PMR => self.pmr = value as u8,
            // Every value is at least the minimum (0).
            GICC_BPR => self.bpr = value as u8 & 7,
            GICC_EOIR => self.end_of_interrupt(value, false),
            GICC_ABPR => self.abpr = (value as u8 & 7).max(MIN_ABPR),
            GICC_AEOIR => self.end_of_interrupt(value, true),
            0xd0..=0xdc => self.apr[((off - GICC_APR0) / 4) as usize] = value,
            0xe0..=0xec => self.nsapr[((off - GICC_NSAPR0) / 4) as usize] = value,
            GICC_DIR => self.deactivate(value),
            // Read-only, reserved or implementation defined.
            _ => {}
        }
    }

    fn cpu_read(&mut self, off: u64, size: u8) -> u64 {
        self.sample_edges();
        if !off.is_multiple_of(4) {
            return 0;
        }
        match size {
            1 => u64::from(self.cpu_read_word(off) & 0xff),
            2 => u64::from(self.cpu_read_word(off) & 0xffff),
            4 => u64::from(self.cpu_read_word(off)),
            8 => {
                let lo = u64::from(self.cpu_read_word(off));
                lo | u64::from(self.cpu_read_word(off + 4)) << 32
            }
            _ => 0,
        }
    }

    fn cpu_write(&mut self, off: u64, size: u8, value: u64) {
        self.sample_edges();
        if !off.is_multiple_of(4) {
            return;
        }
        match size {
            1 => self.cpu_write_word(off, value as u32 & 0xff),
            2 => self.cpu_write_word(off, value as u32 & 0xffff),
            4 => self.cpu_write_word(off, value as u32),
            8 => {
                self.cpu_write_word(off, value as u32);
                self.cpu_write_word(off + 4, (value >> 32) as u32);
            }
            _ => {}
        }
    }
}

/// The distributor's register block (GICD_*), a view of a shared [`Gic`].
#[derive(Clone, Debug)]
pub struct GicDistributor(pub Rc<RefCell<Gic>>);

/// The CPU interface's register block (GICC_*), a view of a shared [`Gic`].
#[derive(Clone, Debug)]
pub struct GicCpuInterface(pub Rc<RefCell<Gic>>);

impl MmioDevice for GicDistributor {
    fn name(&self) -> &'static str {
        "gic-dist"
    }
    fn read(&mut self, _ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        self.0.borrow_mut().dist_read(offset, size)
    }
    fn write(&mut self, _ctx: &IoCtx, offset: u64, size: u8, value: u64) {
        self.0.borrow_mut().dist_write(offset, size, value)
    }
    fn reset(&mut self) {
        let mut g = self.0.borrow_mut();
        let (lines, n) = (Rc::clone(&g.lines), g.num_irqs);
        *g = Gic::new(lines, n);
    }
}

impl MmioDevice for GicCpuInterface {
    fn name(&self) -> &'static str {
        "gic-cpu"
    }
    fn read(&mut self, _ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        self.0.borrow_mut().cpu_read(offset, size)
    }
    fn write(&mut self, _ctx: &IoCtx, offset: u64, size: u8, value: u64) {
        self.0.borrow_mut().cpu_write(offset, size, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct T {
        lines: Rc<IrqLines>,
        gic: Rc<RefCell<Gic>>,
        d: GicDistributor,
        c: GicCpuInterface,
    }

    const CTX: IoCtx = IoCtx {
        icount: 0,
        now_ns: 0,
    };

    impl T {
        fn new() -> T {
            let lines = IrqLines::new(VIRT_NUM_IRQS);
            let gic = Gic::new_shared(Rc::clone(&lines), VIRT_NUM_IRQS);
            T {
                d: GicDistributor(Rc::clone(&gic)),
                c: GicCpuInterface(Rc::clone(&gic)),
                lines,
                gic,
            }
        }
        /// Distributor and CPU interface on for group 0, nothing masked.
        fn on() -> T {
            let mut t = T::new();
            t.dw(GICD_CTLR, 1);
            t.cw(GICC_CTLR, 1);
            t.cw(GICC_PMR, 0xff);
            t
        }
        fn dr(&mut self, off: u64) -> u32 {
            self.d.read(&CTX, off, 4) as u32
        }
        fn dw(&mut self, off: u64, v: u32) {
            self.d.write(&CTX, off, 4, u64::from(v))
        }
        fn cr(&mut self, off: u64) -> u32 {
            self.c.read(&CTX, off, 4) as u32
        }
        fn cw(&mut self, off: u64, v: u32) {
            self.c.write(&CTX, off, 4, u64::from(v))
        }
        fn irq(&self) -> bool {
            self.gic.borrow_mut().irq_line_to_cpu()
        }
        fn fiq(&self) -> bool {
            self.gic.borrow_mut().fiq_line_to_cpu()
        }
        fn bit(&mut self, base: u64, id: u32) -> bool {
            self.dr(base + u64::from(id / 32) * 4) >> (id % 32) & 1 != 0
        }
        fn set_bit(&mut self, base: u64, id: u32) {
            self.dw(base + u64::from(id / 32) * 4, 1 << (id % 32))
        }
        fn prio(&mut self, id: u32, p: u8) {
            self.d
                .write(&CTX, GICD_IPRIORITYR + u64::from(id), 1, u64::from(p))
        }
        fn enable(&mut self, id: u32) {
            self.set_bit(GICD_ISENABLER, id)
        }
        fn pend(&mut self, id: u32) {
            self.set_bit(GICD_ISPENDR, id)
        }
        fn set_group1(&mut self, id: u32) {
            let off = GICD_IGROUPR + u64::from(id / 32) * 4;
            let v = self.dr(off) | 1 << (id % 32);
            self.dw(off, v);
        }
        fn set_edge(&mut self, id: u32) {
            let off = GICD_ICFGR + u64::from(id / 16) * 4;
            let v = self.dr(off) | 2 << (2 * (id % 16));
            self.dw(off, v);
        }
    }

    #[test]
    fn identification_as_qemu_virt() {
        let mut t = T::new();
        assert_eq!(t.dr(GICD_TYPER), 8);
        assert_eq!(t.dr(0x008), 0x43b);
        assert_eq!(t.cr(GICC_IIDR), 0x0002_043b);
        assert_eq!(t.dr(0xfe8) & 0xf0, 0x20, "PIDR2.ArchRev is GICv2");
        let cid: Vec<u32> = (0..4).map(|i| t.dr(0xff0 + 4 * i)).collect();
        assert_eq!(cid, [0x0d, 0xf0, 0x05, 0xb1]);
        // Reset: SGIs enabled and edge-triggered, the rest level and off.
        assert_eq!(t.dr(GICD_ISENABLER), 0xffff);
        assert_eq!(t.dr(GICD_ICFGR), 0xaaaa_aaaa);
        assert_eq!(t.dr(GICD_ICFGR + 4), 0);
        assert_eq!(t.cr(GICC_BPR), 0);
        assert_eq!(t.cr(GICC_ABPR), 1);
        assert_eq!(t.cr(GICC_RPR), 0xff);
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        // Beyond the last interrupt: RAZ/WI.
        t.dw(GICD_ISENABLER + 4 * 9, !0);
        assert_eq!(t.dr(GICD_ISENABLER + 4 * 9), 0);
        assert_eq!(t.dr(GICD_IPRIORITYR + 288), 0);
    }

    #[test]
    fn sgis_cannot_be_disabled_or_reconfigured() {
        let mut t = T::new();
        t.dw(GICD_ICENABLER, !0);
        assert_eq!(t.dr(GICD_ISENABLER), 0xffff);
        t.dw(GICD_ICFGR, 0);
        assert_eq!(t.dr(GICD_ICFGR), 0xaaaa_aaaa);
        // Set/clear-pending writes do not reach SGIs.
        t.dw(GICD_ISPENDR, 0xffff);
        assert_eq!(t.dr(GICD_ISPENDR), 0);
    }

    #[test]
    fn enable_pending_active_life_cycle() {
        let mut t = T::on();
        t.pend(40);
        assert!(t.bit(GICD_ISPENDR, 40) && t.bit(GICD_ICPENDR, 40));
        // Pending but disabled: not signalled, not acknowledged.
        assert!(!t.irq());
        assert_eq!(t.cr(GICC_HPPIR), SPURIOUS);
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        t.enable(40);
        assert!(t.bit(GICD_ICENABLER, 40));
        assert!(t.irq());
        assert_eq!(t.cr(GICC_HPPIR), 40);
        assert_eq!(t.cr(GICC_IAR), 40);
        // Active, no longer pending, nothing left to signal.
        assert!(t.bit(GICD_ISACTIVER, 40) && !t.bit(GICD_ISPENDR, 40));
        assert!(!t.irq());
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        // Pending again while active: not signalled until deactivated.
        t.pend(40);
        assert!(!t.irq());
        t.cw(GICC_EOIR, 40);
        assert!(!t.bit(GICD_ISACTIVER, 40));
        assert!(t.irq());
        assert_eq!(t.cr(GICC_IAR), 40);
        t.cw(GICC_EOIR, 40);
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        // Clear-pending and clear-enable.
        t.pend(40);
        t.set_bit(GICD_ICPENDR, 40);
        assert!(!t.irq() && !t.bit(GICD_ISPENDR, 40));
        t.pend(40);
        t.set_bit(GICD_ICENABLER, 40);
        assert!(!t.irq() && t.bit(GICD_ISPENDR, 40));
        // Software can set and clear the active state too.
        t.set_bit(GICD_ISACTIVER, 41);
        assert!(t.bit(GICD_ICACTIVER, 41));
        t.set_bit(GICD_ICACTIVER, 41);
        assert!(!t.bit(GICD_ISACTIVER, 41));
    }

    #[test]
    fn disabled_distributor_or_cpu_interface_signals_nothing() {
        let mut t = T::on();
        t.enable(33);
        t.pend(33);
        assert!(t.irq());
        t.dw(GICD_CTLR, 0);
        assert!(!t.irq());
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        t.dw(GICD_CTLR, 1);
        t.cw(GICC_CTLR, 0);
        assert!(!t.irq());
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        t.cw(GICC_CTLR, 1);
        assert_eq!(t.cr(GICC_IAR), 33);
    }

    #[test]
    fn priority_order_and_mask() {
        let mut t = T::on();
        for (id, p) in [(50, 0x80), (51, 0x40), (52, 0x40)] {
            t.prio(id, p);
            t.enable(id);
            t.pend(id);
        }
        // The mask lets through only priorities numerically below it.
        t.cw(GICC_PMR, 0x40);
        assert!(!t.irq());
        assert_eq!(t.cr(GICC_HPPIR), SPURIOUS);
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        t.cw(GICC_PMR, 0x41);
        assert!(t.irq());
        // Equal priorities: the lowest ID first.
        assert_eq!(t.cr(GICC_IAR), 51);
        assert_eq!(t.cr(GICC_RPR), 0x40);
        // 52 has the same group priority as the running one: no preemption.
        assert!(!t.irq());
        t.cw(GICC_EOIR, 51);
        assert_eq!(t.cr(GICC_IAR), 52);
        t.cw(GICC_EOIR, 52);
        // 50 is masked by the PMR.
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        t.cw(GICC_PMR, 0xff);
        assert_eq!(t.cr(GICC_IAR), 50);
        // Word access to priorities: four interrupts per register.
        t.dw(GICD_IPRIORITYR + 60, 0x1122_3344);
        assert_eq!(t.dr(GICD_IPRIORITYR + 60), 0x1122_3344);
    }

    #[test]
    fn nested_preemption_and_running_priority() {
        let mut t = T::on();
        t.prio(40, 0x80);
        t.prio(41, 0x40);
        t.enable(40);
        t.enable(41);
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        assert_eq!(t.cr(GICC_RPR), 0x80);
        // Group priority 0x80 is preemption level 64: APR2 bit 0.
        assert_eq!(t.cr(GICC_APR0 + 8), 1);
        assert_eq!(t.cr(GICC_APR0), 0);
        t.pend(41);
        assert!(t.irq(), "a higher priority preempts");
        assert_eq!(t.cr(GICC_IAR), 41);
        assert_eq!(t.cr(GICC_RPR), 0x40);
        t.cw(GICC_EOIR, 41);
        assert_eq!(t.cr(GICC_RPR), 0x80);
        t.cw(GICC_EOIR, 40);
        assert_eq!(t.cr(GICC_RPR), 0xff);
        assert_eq!(t.cr(GICC_APR0 + 8), 0);
    }

    #[test]
    fn binary_point_decides_preemption() {
        // BPR 0: group priority is bits [7:1]; 0x84 preempts 0x88.
        let mut t = T::on();
        t.prio(40, 0x88);
        t.prio(41, 0x84);
        t.enable(40);
        t.enable(41);
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        assert_eq!(t.cr(GICC_RPR), 0x88);
        t.pend(41);
        assert!(t.irq());
        assert_eq!(t.cr(GICC_IAR), 41);

        // BPR 3: group priority is bits [7:4]; both are in group 0x80.
        let mut t = T::on();
        t.cw(GICC_BPR, 3);
        assert_eq!(t.cr(GICC_BPR), 3);
        t.prio(40, 0x88);
        t.prio(41, 0x84);
        t.prio(42, 0x70);
        for id in 40..43 {
            t.enable(id);
        }
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        assert_eq!(t.cr(GICC_RPR), 0x80);
        t.pend(41);
        assert!(!t.irq(), "same group priority: no preemption");
        assert_eq!(t.cr(GICC_HPPIR), 41);
        assert_eq!(t.cr(GICC_IAR), SPURIOUS);
        t.pend(42);
        assert!(t.irq(), "group 0x70 preempts 0x80");
        assert_eq!(t.cr(GICC_IAR), 42);
        t.cw(GICC_EOIR, 42);
        t.cw(GICC_EOIR, 40);
        assert_eq!(t.cr(GICC_IAR), 41);
    }

    #[test]
    fn eoi_of_spurious_or_with_nothing_active_is_ignored() {
        let mut t = T::on();
        t.set_bit(GICD_ISACTIVER, 40);
        // Nothing acknowledged: the write changes nothing.
        t.cw(GICC_EOIR, 40);
        assert!(t.bit(GICD_ISACTIVER, 40));
        t.enable(41);
        t.pend(41);
        assert_eq!(t.cr(GICC_IAR), 41);
        t.cw(GICC_EOIR, SPURIOUS);
        t.cw(GICC_EOIR, 1000);
        assert_eq!(t.cr(GICC_RPR), 0);
        assert!(t.bit(GICD_ISACTIVER, 41));
        t.cw(GICC_EOIR, 41);
        assert_eq!(t.cr(GICC_RPR), 0xff);
    }

    #[test]
    fn eoimode_splits_priority_drop_and_deactivation() {
        let mut t = T::on();
        t.cw(GICC_CTLR, 1 | CTLR_EOIMODE);
        assert_eq!(t.cr(GICC_CTLR), 1 | CTLR_EOIMODE);
        t.enable(45);
        t.pend(45);
        assert_eq!(t.cr(GICC_IAR), 45);
        t.cw(GICC_EOIR, 45);
        assert_eq!(t.cr(GICC_RPR), 0xff, "priority dropped");
        assert!(t.bit(GICD_ISACTIVER, 45), "still active");
        t.pend(45);
        assert!(!t.irq(), "active: not signalled again");
        t.cw(GICC_DIR, 45);
        assert!(!t.bit(GICD_ISACTIVER, 45));
        assert!(t.irq());
        // With EOImode 0, DIR is ignored.
        t.cw(GICC_CTLR, 1);
        assert_eq!(t.cr(GICC_IAR), 45);
        t.cw(GICC_DIR, 45);
        assert!(t.bit(GICD_ISACTIVER, 45));
        t.cw(GICC_EOIR, 45);
        assert!(!t.bit(GICD_ISACTIVER, 45));
    }

    #[test]
    fn sgis_through_sgir() {
        let mut t = T::on();
        t.prio(3, 0x10);
        // Target list naming this CPU.
        t.dw(GICD_SGIR, 1 << 16 | 3);
        assert!(t.bit(GICD_ISPENDR, 3));
        assert_eq!(t.dr(GICD_SPENDSGIR), 0x0100_0000, "pending from CPU 0");
        assert!(t.irq());
        // The source CPU (0) is in bits [12:10].
        assert_eq!(t.cr(GICC_IAR), 3);
        assert!(!t.bit(GICD_ISPENDR, 3));
        t.cw(GICC_EOIR, 3);
        // A list without this CPU, or "all but me": nothing.
        t.dw(GICD_SGIR, 2 << 16 | 5);
        t.dw(GICD_SGIR, 1 << 24 | 5);
        t.dw(GICD_SGIR, 3 << 24 | 5);
        assert_eq!(t.dr(GICD_ISPENDR), 0);
        // "Only me".
        t.dw(GICD_SGIR, 2 << 24 | 5);
        assert_eq!(t.dr(GICD_ISPENDR), 1 << 5);
        // Byte writes to SGIR do nothing.
        t.d.write(&CTX, GICD_SGIR, 1, 6);
        assert_eq!(t.dr(GICD_ISPENDR), 1 << 5);
        assert_eq!(t.dr(GICD_SGIR), 0, "write-only");
        // Clear and set through the per-SGI byte registers.
        t.d.write(&CTX, GICD_CPENDSGIR + 5, 1, 0xff);
        assert_eq!(t.dr(GICD_ISPENDR), 0);
        t.d.write(&CTX, GICD_SPENDSGIR + 9, 1, 0xff);
        assert_eq!(
            t.d.read(&CTX, GICD_SPENDSGIR + 9, 1),
            1,
            "only CPU 0 exists"
        );
        assert_eq!(t.cr(GICC_IAR), 9);
    }

    #[test]
    fn level_inputs_follow_the_line() {
        let mut t = T::on();
        let l = t.lines.line(48);
        t.enable(48);
        l.raise();
        // No register access since: the query sees the line as it is now.
        assert!(t.irq());
        l.lower();
        assert!(!t.irq(), "lowered before acknowledge: no longer pending");
        l.raise();
        assert_eq!(t.cr(GICC_IAR), 48);
        // Active and, with the line still high, pending.
        assert!(t.bit(GICD_ISACTIVER, 48) && t.bit(GICD_ISPENDR, 48));
        assert!(!t.irq());
        // Clear-pending cannot clear a level that is asserted.
        t.set_bit(GICD_ICPENDR, 48);
        assert!(t.bit(GICD_ISPENDR, 48));
        t.cw(GICC_EOIR, 48);
        assert!(t.irq(), "still high after EOI: signalled again");
        l.lower();
        assert!(!t.irq() && !t.bit(GICD_ISPENDR, 48));
        // Set pending by software: stays pending whatever the line does
        // until acknowledged or cleared.
        t.pend(48);
        l.raise();
        l.lower();
        assert!(t.bit(GICD_ISPENDR, 48));
        assert_eq!(t.cr(GICC_IAR), 48);
        assert!(!t.bit(GICD_ISPENDR, 48));
        t.cw(GICC_EOIR, 48);
        t.pend(48);
        t.set_bit(GICD_ICPENDR, 48);
        assert!(!t.bit(GICD_ISPENDR, 48));
    }

    #[test]
    fn edge_inputs_latch_short_pulses() {
        let mut t = T::on();
        let l = t.lines.line(60);
        t.set_edge(60);
        assert_eq!(t.dr(GICD_ICFGR + 12) >> 24 & 3, 2);
        t.enable(60);
        // A pulse between two samples is not lost.
        l.raise();
        l.lower();
        assert!(t.irq());
        assert!(t.bit(GICD_ISPENDR, 60));
        assert_eq!(t.cr(GICC_IAR), 60);
        assert!(!t.bit(GICD_ISPENDR, 60));
        // A second pulse while active: active and pending.
        l.raise();
        assert!(!t.irq());
        l.lower();
        assert!(t.bit(GICD_ISPENDR, 60) && t.bit(GICD_ISACTIVER, 60));
        t.cw(GICC_EOIR, 60);
        assert!(t.irq());
        assert_eq!(t.cr(GICC_IAR), 60);
        t.cw(GICC_EOIR, 60);
        // Holding the line high is one edge, not a level.
        l.raise();
        assert_eq!(t.cr(GICC_IAR), 60);
        t.cw(GICC_EOIR, 60);
        assert!(!t.irq());
        l.lower();
        // Clear-pending removes a latched edge, even one not yet sampled.
        l.raise();
        l.lower();
        t.set_bit(GICD_ICPENDR, 60);
        assert!(!t.irq());
    }

    #[test]
    fn edges_seen_while_level_sensitive_are_dropped() {
        let mut t = T::on();
        let l = t.lines.line(70);
        t.enable(70);
        l.raise();
        l.lower();
        assert!(!t.irq());
        t.set_edge(70);
        assert!(!t.irq(), "the old edge does not count");
        l.raise();
        assert!(t.irq());
    }

    #[test]
    fn ppis_are_private_inputs_too() {
        let mut t = T::on();
        // The virtual timer's PPI (27).
        let l = t.lines.line(27);
        t.enable(27);
        l.raise();
        assert_eq!(t.cr(GICC_IAR), 27);
        l.lower();
        t.cw(GICC_EOIR, 27);
        assert!(!t.irq());
    }

    #[test]
    fn target_registers() {
        let mut t = T::on();
        // SGIs and PPIs read as this CPU and ignore writes.
        for r in 0..8 {
            assert_eq!(t.dr(GICD_ITARGETSR + 4 * r), 0x0101_0101);
        }
        t.dw(GICD_ITARGETSR, 0);
        assert_eq!(t.dr(GICD_ITARGETSR), 0x0101_0101);
        // SPIs keep the bit of the only CPU interface.
        t.dw(GICD_ITARGETSR + 32, 0xff02_0300);
        assert_eq!(t.dr(GICD_ITARGETSR + 32), 0x0100_0100);
        // An SPI aimed at no CPU is never forwarded.
        t.enable(32);
        t.pend(32);
        assert!(!t.irq());
        assert!(t.bit(GICD_ISPENDR, 32));
        t.d.write(&CTX, GICD_ITARGETSR + 32, 1, 1);
        assert_eq!(t.cr(GICC_IAR), 32);
    }

    #[test]
    fn byte_and_halfword_access() {
        let mut t = T::on();
        t.d.write(&CTX, GICD_IPRIORITYR + 33, 1, 0xa0);
        assert_eq!(t.dr(GICD_IPRIORITYR + 32), 0x0000_a000);
        assert_eq!(t.d.read(&CTX, GICD_IPRIORITYR + 33, 1), 0xa0);
        t.d.write(&CTX, GICD_IPRIORITYR + 34, 2, 0x1234);
        assert_eq!(t.dr(GICD_IPRIORITYR + 32), 0x1234_a000);
        assert_eq!(t.d.read(&CTX, GICD_IPRIORITYR + 34, 2), 0x1234);
        t.d.write(&CTX, GICD_ITARGETSR + 41, 1, 0);
        assert_eq!(t.dr(GICD_ITARGETSR + 40), 0x0101_0001);
        assert_eq!(t.d.read(&CTX, GICD_ITARGETSR + 5, 1), 1);
        // A byte of an enable register.
        t.d.write(&CTX, GICD_ISENABLER + 5, 1, 0x81);
        assert_eq!(t.dr(GICD_ISENABLER + 4), 0x8100);
        // An 8-byte access is two words.
        t.d.write(&CTX, GICD_IPRIORITYR + 40, 8, 0x0102_0304_0506_0708);
        assert_eq!(t.dr(GICD_IPRIORITYR + 44), 0x0102_0304);
        assert_eq!(
            t.d.read(&CTX, GICD_IPRIORITYR + 40, 8),
            0x0102_0304_0506_0708
        );
    }

    #[test]
    fn groups_fiq_and_aliased_registers() {
        let mut t = T::on();
        t.dw(GICD_CTLR, 3);
        assert_eq!(t.dr(GICD_CTLR), 3);
        t.cw(GICC_CTLR, 3);
        t.set_group1(40);
        assert!(t.bit(GICD_IGROUPR, 40));
        t.prio(40, 0x20);
        t.prio(41, 0x40);
        t.enable(40);
        t.enable(41);
        t.pend(40);
        t.pend(41);
        // Group 1 is highest: IRQ; IAR without AckCtl answers 1022.
        assert!(t.irq() && !t.fiq());
        assert_eq!(t.cr(GICC_HPPIR), SPURIOUS_GROUP1);
        assert_eq!(t.cr(GICC_IAR), SPURIOUS_GROUP1);
        assert_eq!(t.cr(GICC_AHPPIR), 40);
        assert_eq!(t.cr(GICC_AIAR), 40);
        assert_eq!(t.cr(GICC_NSAPR0), 1 << (0x20 >> 1));
        assert_eq!(t.cr(GICC_APR0), 0);
        // AEOIR only completes group 1.
        t.cw(GICC_AEOIR, 41);
        assert_eq!(t.cr(GICC_RPR), 0x20);
        t.cw(GICC_AEOIR, 40);
        assert_eq!(t.cr(GICC_RPR), 0xff);
        // Now group 0 (41) is highest: the alias does not see it.
        assert_eq!(t.cr(GICC_AHPPIR), SPURIOUS);
        assert_eq!(t.cr(GICC_AIAR), SPURIOUS);
        // Group 0 becomes FIQ with FIQEn.
        t.cw(GICC_CTLR, 3 | CTLR_FIQEN);
        assert!(t.fiq() && !t.irq());
        assert_eq!(t.cr(GICC_IAR), 41);
        t.cw(GICC_EOIR, 41);
        // AckCtl lets IAR acknowledge group 1.
        t.cw(GICC_CTLR, 3 | CTLR_ACKCTL);
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        t.cw(GICC_EOIR, 40);
        assert_eq!(t.cr(GICC_RPR), 0xff);
        // A group the distributor does not forward is not a candidate.
        t.pend(40);
        t.dw(GICD_CTLR, 1);
        assert!(!t.irq());
        t.pend(41);
        assert_eq!(t.cr(GICC_IAR), 41);
    }

    #[test]
    fn group1_binary_point() {
        let mut t = T::on();
        t.dw(GICD_CTLR, 3);
        t.cw(GICC_CTLR, 3 | CTLR_ACKCTL);
        for id in [40, 41] {
            t.set_group1(id);
            t.enable(id);
        }
        t.prio(40, 0x88);
        t.prio(41, 0x84);
        // ABPR 4: group priority bits [7:4] for group 1.
        t.cw(GICC_ABPR, 4);
        assert_eq!(t.cr(GICC_ABPR), 4);
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        assert_eq!(t.cr(GICC_RPR), 0x80);
        t.pend(41);
        assert!(!t.irq());
        t.cw(GICC_EOIR, 40);
        assert_eq!(t.cr(GICC_IAR), 41);
        t.cw(GICC_EOIR, 41);
        // With CBPR, group 1 uses GICC_BPR (0): 0x84 preempts 0x88.
        t.cw(GICC_CTLR, 3 | CTLR_ACKCTL | CTLR_CBPR);
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        t.pend(41);
        assert!(t.irq());
        // ABPR cannot go below its minimum.
        t.cw(GICC_ABPR, 0);
        assert_eq!(t.cr(GICC_ABPR), 1);
    }

    #[test]
    fn active_priorities_can_be_saved_and_restored() {
        let mut t = T::on();
        t.prio(40, 0x60);
        t.enable(40);
        t.pend(40);
        assert_eq!(t.cr(GICC_IAR), 40);
        let saved = t.cr(GICC_APR0 + 4);
        assert_eq!(saved, 1 << ((0x60 >> 1) - 32));
        t.cw(GICC_APR0 + 4, 0);
        assert_eq!(t.cr(GICC_RPR), 0xff);
        t.cw(GICC_APR0 + 4, saved);
        assert_eq!(t.cr(GICC_RPR), 0x60);
    }

    #[test]
    fn misprogramming_never_panics() {
        let mut t = T::on();
        let mut x = 0x1234_5678_9abc_def1u64;
        for off in 0..GIC_DIST_SIZE + 8 {
            for size in [1, 2, 3, 4, 8, 16] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t.d.read(&CTX, off, size);
                t.d.write(&CTX, off, size, x);
                t.irq();
            }
        }
        for off in 0..GIC_CPU_SIZE + 8 {
            for size in [1, 2, 3, 4, 8] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t.c.read(&CTX, off, size);
                t.c.write(&CTX, off, size, x);
                t.fiq();
            }
        }
        // A line set smaller than the GIC is fine too.
        let lines = IrqLines::new(40);
        let mut g = Gic::new(lines, 1024);
        g.dist_write(GICD_ICFGR + 0xfc, 4, !0);
        g.dist_write(GICD_ISENABLER + 0x7c, 4, !0);
        g.dist_write(GICD_CTLR, 4, 3);
        g.cpu_write(GICC_CTLR, 4, 3);
        assert!(!g.irq_line_to_cpu());
        assert_eq!(g.dist_read(GICD_TYPER, 4), 31);
    }
}
