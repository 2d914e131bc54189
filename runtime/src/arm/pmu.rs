//! The Performance Monitors Extension (PMUv2) of a Cortex-A15: the cycle
//! counter, six event counters, overflow flags and the overflow interrupt.
//!
//! # Counting from the instruction count
//!
//! Nothing here ticks. The counters are a function of the instruction
//! count and virtual time: [`Pmu`] holds their values at the last *sync*
//! (an instant given as both), and [`Pmu::at`] folds in what counted
//! since. A sync happens before anything that changes what counts: a
//! PMU register write and a change of privilege (the event counters can
//! leave out PL0 or PL1 through PMXEVTYPER's P and U bits). So a counter
//! read, an overflow flag or the interrupt line come out the same in every
//! backend and on every replay, wherever the run loop happens to stop.
//!
//! Cycles are virtual nanoseconds: a 1 GHz cycle clock, as QEMU's, which
//! keeps counting while the core waits for an interrupt. Instructions
//! retired (event 0x08) are counted exactly; QEMU counts them only with
//! `-icount`. Other common events are not implemented and count nothing;
//! PMCEID0 says which are.
//!
//! An enabled overflow interrupt has a deadline: the instant (cycles) or
//! instruction count (instructions retired) at which its counter wraps,
//! which the machine turns into a stop of the run loop, so the interrupt
//! is raised right after the instruction that overflowed the counter.

use super::{psr, ArmCpu};
use crate::env::CpuEnv;

/// PMCR's read-only part: implementer ARM (0x41), identification code
/// 0x0F (Cortex-A15), six event counters (N = 6); as QEMU's cortex-a15.
pub const PMCR_IDENT: u32 = 0x410f_3000;
/// Event counters.
pub const COUNTERS: usize = 6;
/// The GIC interrupt ID of the overflow interrupt on `arm-virt`: PPI 7.
pub const PPI: u32 = 23;
/// The cycle counter's bit in PMCNTENSET, PMOVSR and PMINTENSET.
pub const CCNT: u32 = 1 << 31;
/// The counters' bits in those registers.
pub const COUNTER_BITS: u32 = CCNT | ((1 << COUNTERS) - 1);
/// PMCEID0: the common events counted (SW_INCR, INST_RETIRED,
/// CPU_CYCLES).
pub const PMCEID0: u32 = 1 << event::SW_INCR | 1 << event::INST_RETIRED | 1 << event::CPU_CYCLES;

/// PMCR bits.
pub mod pmcr {
    /// Enable: every counter counts only while it is set.
    pub const E: u32 = 1 << 0;
    /// Event counter reset (write only).
    pub const P: u32 = 1 << 1;
    /// Cycle counter reset (write only).
    pub const C: u32 = 1 << 2;
    /// The cycle counter counts every 64th cycle.
    pub const D: u32 = 1 << 3;
    /// Export of events (no trace port here; it only reads back).
    pub const X: u32 = 1 << 4;
    /// Cycle counter disabled in prohibited regions (there are none
    /// without the Security Extensions; it only reads back).
    pub const DP: u32 = 1 << 5;
    /// The bits that hold state.
    pub const STORED: u32 = E | D | X | DP;
}

/// PMXEVTYPER bits.
pub mod evtype {
    /// Do not count at PL1.
    pub const P: u32 = 1 << 31;
    /// Do not count at PL0.
    pub const U: u32 = 1 << 30;
    /// The event number.
    pub const EVENT: u32 = 0xff;
    /// The bits that hold state (without the Security or Virtualization
    /// Extensions NSK, NSU and NSH are RAZ/WI).
    pub const STORED: u32 = P | U | EVENT;
}

/// Common event numbers.
pub mod event {
    /// Software increment (PMSWINC).
    pub const SW_INCR: u32 = 0x00;
    /// Instructions architecturally executed.
    pub const INST_RETIRED: u32 = 0x08;
    /// Cycles.
    pub const CPU_CYCLES: u32 = 0x11;
}

/// The PMU's state.
#[repr(C)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pmu {
    /// PMCR's E, D, X and DP.
    pub pmcr: u32,
    /// PMCNTENSET/PMCNTENCLR.
    pub cnten: u32,
    /// PMOVSR as of the last sync.
    pub ovs: u32,
    /// PMINTENSET/PMINTENCLR.
    pub inten: u32,
    /// PMSELR.
    pub selr: u32,
    /// PMUSERENR (EN: User mode may use the PMU).
    pub userenr: u32,
    /// PMXEVTYPER of each event counter.
    pub evtype: [u32; COUNTERS],
    /// Each event counter as of the last sync.
    pub evcnt: [u32; COUNTERS],
    /// PMCCNTR as of the last sync.
    pub ccnt: u32,
    /// With PMCR.D: cycles counted towards the next tick (0-63).
    pub prescale: u32,
    /// The instruction count at the last sync.
    pub synced_icount: u64,
    /// Virtual time (cycles) at the last sync.
    pub synced_ns: u64,
}

/// What counts in one interval: instructions and cycles, and whether the
/// core was in User mode.
#[derive(Clone, Copy, Debug)]
struct Interval {
    insns: u64,
    cycles: u64,
    user: bool,
}

impl Pmu {
    fn enabled(&self) -> bool {
        self.pmcr & pmcr::E != 0
    }

    /// Whether event counter `i` counts `event`-less increments in the
    /// given privilege: enabled, and not filtered out.
    fn counts(&self, i: usize, user: bool) -> bool {
        let t = self.evtype[i];
        let filtered = if user { t & evtype::U } else { t & evtype::P };
        self.enabled() && self.cnten & (1 << i) != 0 && filtered == 0
    }

    /// How much event counter `i` advances over `iv`.
    fn event_delta(&self, i: usize, iv: Interval) -> u64 {
        if !self.counts(i, iv.user) {
            return 0;
        }
        match self.evtype[i] & evtype::EVENT {
            event::INST_RETIRED => iv.insns,
            event::CPU_CYCLES => iv.cycles,
            _ => 0,
        }
    }

    /// Adds `iv` to the counters.
    fn advance(&mut self, iv: Interval) {
        for i in 0..COUNTERS {
            let d = self.event_delta(i, iv);
            let sum = u64::from(self.evcnt[i]) + d;
            if sum > u64::from(u32::MAX) {
                self.ovs |= 1 << i;
            }
            self.evcnt[i] = sum as u32;
        }
        if self.enabled() && self.cnten & CCNT != 0 {
            let ticks = if self.pmcr & pmcr::D != 0 {
                let total = u64::from(self.prescale) + iv.cycles;
                self.prescale = (total % 64) as u32;
                total / 64
            } else {
                iv.cycles
            };
            let sum = u64::from(self.ccnt) + ticks;
            if sum > u64::from(u32::MAX) {
                self.ovs |= CCNT;
            }
            self.ccnt = sum as u32;
        }
    }

    fn interval(&self, user: bool, icount: u64, now_ns: u64) -> Interval {
        Interval {
            insns: icount.saturating_sub(self.synced_icount),
            cycles: now_ns.saturating_sub(self.synced_ns),
            user,
        }
    }

    /// The state at instruction count `icount` and virtual time `now_ns`,
    /// the core having been in User mode (`user`) since the last sync.
    pub fn at(&self, user: bool, icount: u64, now_ns: u64) -> Pmu {
        let mut p = self.clone();
        p.sync(user, icount, now_ns);
        p
    }

    /// Folds in what counted up to `icount` and `now_ns`.
    pub fn sync(&mut self, user: bool, icount: u64, now_ns: u64) {
        let iv = self.interval(user, icount, now_ns);
        self.advance(iv);
        self.synced_icount = icount;
        self.synced_ns = now_ns;
    }

    /// Whether the overflow interrupt is asserted (state as of a sync).
    pub fn irq(&self) -> bool {
        self.enabled() && self.ovs & self.inten != 0
    }

    /// The counters whose overflow would raise the interrupt now: enabled
    /// for it and not already flagged.
    fn armed(&self) -> u32 {
        if self.enabled() {
            self.inten & self.cnten & !self.ovs
        } else {
            0
        }
    }

    /// The virtual instant at which a cycle-counting counter with an
    /// enabled interrupt wraps (state as of a sync at `now_ns`, the core
    /// staying in the given privilege).
    pub fn cycle_deadline_ns(&self, user: bool, now_ns: u64) -> Option<u64> {
        let armed = self.armed();
        let mut best: Option<u64> = None;
        let mut consider = |d: u64| best = Some(best.map_or(d, |b| b.min(d)));
        if armed & CCNT != 0 {
            let left = (1u64 << 32) - u64::from(self.ccnt);
            let cycles = if self.pmcr & pmcr::D != 0 {
                left * 64 - u64::from(self.prescale)
            } else {
                left
            };
            consider(now_ns + cycles);
        }
        for i in 0..COUNTERS {
            if armed & (1 << i) != 0
                && self.counts(i, user)
                && self.evtype[i] & evtype::EVENT == event::CPU_CYCLES
            {
                consider(now_ns + ((1u64 << 32) - u64::from(self.evcnt[i])));
            }
        }
        best
    }

    /// The instruction count at which a counter of instructions retired
    /// with an enabled interrupt wraps (state as of a sync at `icount`).
    pub fn insn_deadline(&self, user: bool, icount: u64) -> Option<u64> {
        let armed = self.armed();
        (0..COUNTERS)
            .filter(|&i| {
                armed & (1 << i) != 0
                    && self.counts(i, user)
                    && self.evtype[i] & evtype::EVENT == event::INST_RETIRED
            })
            .map(|i| icount + ((1u64 << 32) - u64::from(self.evcnt[i])))
            .min()
    }

    /// Whether a change of privilege can change what counts: an enabled
    /// event counter leaves out PL0 or PL1.
    pub fn filters_privilege(&self) -> bool {
        self.enabled()
            && (0..COUNTERS).any(|i| {
                self.cnten & (1 << i) != 0 && self.evtype[i] & (evtype::P | evtype::U) != 0
            })
    }

    /// PMSWINC: increments the enabled counters in `bits` that count the
    /// software increment (state as of a sync).
    pub fn software_increment(&mut self, user: bool, bits: u32) {
        for i in 0..COUNTERS {
            if bits & (1 << i) != 0
                && self.counts(i, user)
                && self.evtype[i] & evtype::EVENT == event::SW_INCR
            {
                let (v, wrapped) = self.evcnt[i].overflowing_add(1);
                self.evcnt[i] = v;
                if wrapped {
                    self.ovs |= 1 << i;
                }
            }
        }
    }

    /// PMCR as the guest reads it.
    pub fn pmcr_value(&self) -> u32 {
        PMCR_IDENT | self.pmcr
    }

    /// Writes PMCR (state as of a sync).
    pub fn write_pmcr(&mut self, v: u32) {
        if v & pmcr::P != 0 {
            self.evcnt = [0; COUNTERS];
        }
        if v & pmcr::C != 0 {
            self.ccnt = 0;
            self.prescale = 0;
        }
        self.pmcr = v & pmcr::STORED;
    }

    /// The counter PMSELR selects, if it names one.
    pub fn selected(&self) -> Option<usize> {
        let s = self.selr as usize;
        (s < COUNTERS).then_some(s)
    }
}

/// Whether the core is in User mode.
fn user(cpu: &ArmCpu) -> bool {
    cpu.mode() == psr::MODE_USR
}

impl ArmCpu {
    /// The PMU's state at instruction count `icount` and time `now_ns`.
    pub fn pmu_at(&self, icount: u64, now_ns: u64) -> Pmu {
        self.pmu.at(user(self), icount, now_ns)
    }

    /// Whether the PMU's overflow interrupt is asserted at that instant.
    pub fn pmu_irq(&self, icount: u64, now_ns: u64) -> bool {
        self.pmu_at(icount, now_ns).irq()
    }

    /// When a cycle counter with an enabled interrupt next overflows.
    pub fn pmu_deadline_ns(&self, icount: u64, now_ns: u64) -> Option<u64> {
        self.pmu_at(icount, now_ns)
            .cycle_deadline_ns(user(self), now_ns)
    }

    /// At which instruction count an instruction counter with an enabled
    /// interrupt next overflows.
    pub fn pmu_deadline_icount(&self, icount: u64, now_ns: u64) -> Option<u64> {
        self.pmu_at(icount, now_ns)
            .insn_deadline(user(self), icount)
    }
}

/// Brings the PMU up to this instant (before a register write or a change
/// of privilege).
pub fn sync(env: &mut CpuEnv<ArmCpu>) {
    let (icount, now) = (env.icount_now(), env.now_ns());
    let u = user(&env.arch);
    env.arch.pmu.sync(u, icount, now);
}

/// To be called before the CPSR changes to `new_mode`: what counted so far
/// counted in the old mode. If the privilege changes and an event counter
/// filters by privilege, the run loop must look again at the PMU's
/// deadlines.
pub fn before_mode_change(env: &mut CpuEnv<ArmCpu>, new_mode: u32) {
    let to_user = new_mode & psr::MODE == psr::MODE_USR;
    if to_user == user(&env.arch) {
        return;
    }
    sync(env);
    if env.arch.pmu.filters_privilege() {
        env.exit_request = 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> Pmu {
        Pmu {
            pmcr: pmcr::E,
            ..Pmu::default()
        }
    }

    #[test]
    fn the_cycle_counter_follows_virtual_time() {
        let mut p = enabled();
        assert_eq!(p.at(false, 10, 1000).ccnt, 0, "not enabled in PMCNTENSET");
        p.cnten = CCNT;
        assert_eq!(p.at(false, 10, 1000).ccnt, 1000);
        // Every 64th cycle with PMCR.D, remainders carried across syncs.
        p.sync(false, 10, 1000);
        p.write_pmcr(pmcr::E | pmcr::D);
        p.sync(false, 20, 1100);
        assert_eq!((p.ccnt, p.prescale), (1001, 36));
        p.sync(false, 30, 1128);
        assert_eq!((p.ccnt, p.prescale), (1002, 0));
        p.write_pmcr(pmcr::E | pmcr::C);
        assert_eq!(p.at(false, 40, 1200).ccnt, 72);
        // PMCR.E off: nothing counts.
        p.sync(false, 40, 1200);
        p.write_pmcr(0);
        assert_eq!(p.at(false, 90, 9000).ccnt, 72);
    }

    #[test]
    fn event_counters_count_instructions_and_cycles_by_privilege() {
        let mut p = enabled();
        p.cnten = 0b111;
        p.evtype = [
            event::INST_RETIRED,
            event::CPU_CYCLES | evtype::U,
            event::INST_RETIRED | evtype::P,
            0,
            0,
            0,
        ];
        assert!(p.filters_privilege());
        p.sync(false, 100, 150); // PL1 for 100 instructions, 150 cycles
        p.sync(true, 130, 190); // then User for 30 and 40
        assert_eq!(&p.evcnt[..3], &[130, 150, 30]);
    }

    #[test]
    fn overflow_sets_the_flag_and_raises_the_interrupt_when_enabled() {
        let mut p = enabled();
        p.cnten = 1;
        p.evtype[0] = event::INST_RETIRED;
        p.evcnt[0] = 0xffff_fff0;
        p.synced_icount = 1000;
        assert_eq!(p.insn_deadline(false, 1000), None, "interrupt disabled");
        p.inten = 1;
        assert_eq!(p.insn_deadline(false, 1000), Some(1016));
        let q = p.at(false, 1015, 0);
        assert!(!q.irq() && q.evcnt[0] == 0xffff_ffff);
        let q = p.at(false, 1016, 0);
        assert!(q.irq() && q.evcnt[0] == 0 && q.ovs == 1);
        assert_eq!(q.insn_deadline(false, 1016), None, "already flagged");
        // Filtered out in User mode: no deadline there.
        p.evtype[0] |= evtype::U;
        assert_eq!(p.insn_deadline(true, 1000), None);
    }

    #[test]
    fn the_cycle_deadline_accounts_for_the_divider() {
        let mut p = enabled();
        p.cnten = CCNT;
        p.inten = CCNT;
        p.ccnt = 0xffff_fffe;
        p.synced_ns = 500;
        assert_eq!(p.cycle_deadline_ns(false, 500), Some(502));
        p.pmcr |= pmcr::D;
        p.prescale = 10;
        assert_eq!(p.cycle_deadline_ns(false, 500), Some(500 + 128 - 10));
        let q = p.at(false, 0, 500 + 118);
        assert!(q.irq() && q.ccnt == 0);
        assert!(!p.at(false, 0, 500 + 117).irq());
    }

    #[test]
    fn software_increment_counts_only_where_configured() {
        let mut p = enabled();
        p.cnten = 0b11;
        p.evtype[1] = event::INST_RETIRED;
        p.evcnt[0] = u32::MAX;
        p.software_increment(false, 0b111);
        assert_eq!((p.evcnt[0], p.evcnt[1], p.ovs), (0, 0, 1));
        p.evtype[0] = evtype::P;
        p.software_increment(false, 1);
        assert_eq!(p.evcnt[0], 0, "PL1 filtered out");
        p.software_increment(true, 1);
        assert_eq!(p.evcnt[0], 1);
    }
}
