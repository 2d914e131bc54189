//! The ARM generic timer of one core: the system counter, the physical
//! timer (CNTP_*) and the virtual timer (CNTV_*), without a virtual offset
//! (no Hyp mode), all driven by virtual time.
//!
//! The counter is a function of virtual nanoseconds ([`counter`]), so a
//! timer's deadline maps back to an exact instant ([`deadline_ns`]) that the
//! run loop turns into an instruction budget: a timer interrupt is raised
//! at the same instruction on every run and in every backend.

use super::ArmCpu;

/// The counter frequency CNTFRQ reports: 62.5 MHz, as QEMU's `virt`.
pub const FREQ_HZ: u32 = 62_500_000;
/// Virtual nanoseconds per counter tick at [`FREQ_HZ`].
pub const NS_PER_TICK: u64 = 16;

/// CNTx_CTL bits.
pub mod ctl {
    /// The timer is enabled.
    pub const ENABLE: u32 = 1 << 0;
    /// The timer's interrupt is masked.
    pub const IMASK: u32 = 1 << 1;
    /// The timer condition is met (read only).
    pub const ISTATUS: u32 = 1 << 2;
}

/// The GIC PPI (interrupt ID) the physical timer drives on `arm-virt`.
pub const PHYS_PPI: u32 = 30;
/// The GIC PPI the virtual timer drives.
pub const VIRT_PPI: u32 = 27;

/// The system counter at `now_ns`.
pub fn counter(now_ns: u64) -> u64 {
    now_ns / NS_PER_TICK
}

/// The first virtual instant at which the counter reaches `cval`.
pub fn deadline_ns(cval: u64) -> u64 {
    cval.saturating_mul(NS_PER_TICK)
}

/// One of the two timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// CNTP_*.
    Physical,
    /// CNTV_*.
    Virtual,
}

impl ArmCpu {
    fn timer_regs(&self, which: Which) -> (u32, u64) {
        match which {
            Which::Physical => (self.cntp_ctl, self.cntp_cval),
            Which::Virtual => (self.cntv_ctl, self.cntv_cval),
        }
    }

    /// CNTx_CTL as the guest reads it at `now_ns` (with ISTATUS).
    pub fn timer_ctl(&self, which: Which, now_ns: u64) -> u32 {
        let (ctl, cval) = self.timer_regs(which);
        let met = ctl & ctl::ENABLE != 0 && counter(now_ns) >= cval;
        (ctl & (ctl::ENABLE | ctl::IMASK)) | if met { ctl::ISTATUS } else { 0 }
    }

    /// Whether the timer's interrupt output is asserted at `now_ns`.
    pub fn timer_irq(&self, which: Which, now_ns: u64) -> bool {
        let c = self.timer_ctl(which, now_ns);
        c & ctl::ISTATUS != 0 && c & ctl::IMASK == 0
    }

    /// When the timer's interrupt output will next rise, if it is armed
    /// and not already asserted.
    pub fn timer_deadline(&self, which: Which, now_ns: u64) -> Option<u64> {
        let (ctl, cval) = self.timer_regs(which);
        if ctl & ctl::ENABLE == 0 || ctl & ctl::IMASK != 0 || counter(now_ns) >= cval {
            return None;
        }
        Some(deadline_ns(cval))
    }

    /// CNTx_TVAL as the guest reads it: the signed 32-bit distance from
    /// the counter to the compare value.
    pub fn timer_tval(&self, which: Which, now_ns: u64) -> u32 {
        let (_, cval) = self.timer_regs(which);
        cval.wrapping_sub(counter(now_ns)) as u32
    }

    /// Writes CNTx_TVAL: the compare value becomes the counter plus the
    /// sign-extended value.
    pub fn set_timer_tval(&mut self, which: Which, now_ns: u64, tval: u32) {
        let cval = counter(now_ns).wrapping_add(tval as i32 as i64 as u64);
        self.set_timer_cval(which, cval);
    }

    /// Writes CNTx_CVAL.
    pub fn set_timer_cval(&mut self, which: Which, cval: u64) {
        match which {
            Which::Physical => self.cntp_cval = cval,
            Which::Virtual => self.cntv_cval = cval,
        }
    }

    /// Writes CNTx_CTL (ISTATUS is read only).
    pub fn set_timer_ctl(&mut self, which: Which, v: u32) {
        let v = v & (ctl::ENABLE | ctl::IMASK);
        match which {
            Which::Physical => self.cntp_ctl = v,
            Which::Virtual => self.cntv_ctl = v,
        }
    }

    /// The earliest instant at which either timer's output will rise.
    pub fn next_timer_deadline(&self, now_ns: u64) -> Option<u64> {
        [Which::Physical, Which::Virtual]
            .iter()
            .filter_map(|&w| self.timer_deadline(w, now_ns))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_value_tval_and_status() {
        let mut c = ArmCpu::new();
        let now = 1_600; // counter 100
        c.set_timer_tval(Which::Virtual, now, 50);
        assert_eq!(c.cntv_cval, 150);
        assert_eq!(c.timer_tval(Which::Virtual, now), 50);
        assert_eq!(c.timer_deadline(Which::Virtual, now), None, "disabled");
        c.set_timer_ctl(Which::Virtual, ctl::ENABLE | ctl::ISTATUS);
        assert_eq!(c.timer_ctl(Which::Virtual, now), ctl::ENABLE);
        assert_eq!(c.timer_deadline(Which::Virtual, now), Some(2_400));
        assert!(!c.timer_irq(Which::Virtual, 2_399));
        assert!(c.timer_irq(Which::Virtual, 2_400));
        assert_eq!(
            c.timer_ctl(Which::Virtual, 2_400),
            ctl::ENABLE | ctl::ISTATUS
        );
        // Past the deadline TVAL counts down through zero.
        assert_eq!(c.timer_tval(Which::Virtual, 2_416), u32::MAX);
        c.set_timer_ctl(Which::Virtual, ctl::ENABLE | ctl::IMASK);
        assert!(!c.timer_irq(Which::Virtual, 3_000));
        assert_eq!(c.next_timer_deadline(0), None);
        // A negative TVAL puts the compare value in the past.
        c.set_timer_tval(Which::Physical, now, -10i32 as u32);
        c.set_timer_ctl(Which::Physical, ctl::ENABLE);
        assert!(c.timer_irq(Which::Physical, now));
    }
}
