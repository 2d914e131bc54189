//! ARM PrimeCell PL031 real-time clock.
//!
//! The counter (RTCDR) counts whole seconds of *virtual* time: it reads
//! `base + floor(now_ns / 1e9)`, where `base` is the Unix time in seconds
//! the machine read from the host once, at start-up, and logged (so a replay
//! sees the same clock), and `now_ns` is the virtual time of the access
//! ([`IoCtx::now_ns`]). The host clock is never read here. A write to RTCLR
//! sets the counter to the value written from that moment; it keeps ticking
//! at the same whole-second boundaries of virtual time (the 1 Hz clock is
//! free-running, as on the part). The counter is 32 bits and wraps.
//!
//! The match interrupt: RTCRIS is set when the counter becomes equal to
//! RTCMR, i.e. at the exact virtual nanosecond of that second boundary.
//! Since time moves without guest accesses, the machine asks
//! [`Pl031::next_deadline_ns`] for that instant and calls [`Pl031::update`]
//! when virtual time reaches it, which sets the status and drives the
//! interrupt line; every register access also brings the device up to the
//! access's time first. Writing RTCMR or RTCLR so that the counter already
//! equals the match value raises the interrupt at once (as QEMU does).
//!
//! RTCCR: the clock was started at power-on, as QEMU presents it, so
//! RTCStart reads as 1 and, as the part specifies for a started clock,
//! writes to it have no effect.
//!
//! Registers sit at word-aligned offsets; an access elsewhere reads as zero
//! and is ignored. Reads are masked to the access size. Reserved bits read
//! as zero.

use lockstep_runtime::bus::IoCtx;
use lockstep_runtime::{IrqLine, MmioDevice};

const DR: u64 = 0x00;
const MR: u64 = 0x04;
const LR: u64 = 0x08;
const CR: u64 = 0x0c;
const IMSC: u64 = 0x10;
const RIS: u64 = 0x14;
const MIS: u64 = 0x18;
const ICR: u64 = 0x1c;
const PERIPH_ID0: u64 = 0xfe0;

const NS_PER_SEC: u64 = 1_000_000_000;
/// The counter wraps after this many seconds, so a match recurs then.
const WRAP_SECS: u64 = 1 << 32;

/// Peripheral and PrimeCell identification, 0xfe0–0xffc: a PL031 r1p0.
const ID: [u8; 8] = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// A PL031 whose time of day is a logged base plus virtual time.
#[derive(Debug)]
pub struct Pl031 {
    irq: IrqLine,
    /// Counter value at virtual time 0 (moved by RTCLR writes).
    offset: u32,
    mr: u32,
    lr: u32,
    imsc: u32,
    ris: u32,
    /// Virtual time at which the counter next equals `mr`.
    deadline: Option<u64>,
}

impl Pl031 {
    /// An RTC whose counter reads `base_unix_secs` at virtual time 0 (the
    /// low 32 bits: the counter wraps in 2106), driving `irq`. The match
    /// register starts at 0 and the interrupt masked.
    pub fn new(base_unix_secs: u64, irq: IrqLine) -> Self {
        let mut rtc = Pl031 {
            irq,
            offset: base_unix_secs as u32,
            mr: 0,
            lr: 0,
            imsc: 0,
            ris: 0,
            deadline: None,
        };
        rtc.arm_after(0);
        rtc.update_irq();
        rtc
    }

    /// The counter (RTCDR) at virtual time `now_ns`.
    pub fn count(&self, now_ns: u64) -> u32 {
        self.offset.wrapping_add((now_ns / NS_PER_SEC) as u32)
    }

    /// The virtual time at which the counter next reaches the match value
    /// (and [`Pl031::update`] must be called), if that time is representable.
    pub fn next_deadline_ns(&self) -> Option<u64> {
        self.deadline
    }

    /// When the interrupt output will next rise by itself: the match
    /// deadline, if the interrupt is unmasked and not already raised. (A
    /// masked match only sets the raw status, which every register access
    /// brings up to date, so the machine need not stop for it.)
    pub fn wake_deadline_ns(&self) -> Option<u64> {
        if self.imsc != 0 && self.ris == 0 {
            self.deadline
        } else {
            None
        }
    }

    /// Brings the device to virtual time `now_ns`: if the match deadline has
    /// passed, sets the raw match status and drives the interrupt line.
    /// Earlier times than already seen change nothing.
    pub fn update(&mut self, now_ns: u64) {
        if self.deadline.is_some_and(|d| now_ns >= d) {
            self.ris = 1;
            self.arm_after(now_ns / NS_PER_SEC);
        }
        self.update_irq();
    }

    /// The level of the interrupt output.
    pub fn irq_level(&self) -> bool {
        self.ris & self.imsc != 0
    }

    fn update_irq(&self) {
        self.irq.set(self.irq_level());
    }

    /// Sets the deadline to the first second boundary after second `sec`
    /// at which the counter equals the match value.
    fn arm_after(&mut self, sec: u64) {
        let now_count = self.offset.wrapping_add(sec as u32);
        let mut ticks = u64::from(self.mr.wrapping_sub(now_count));
        if ticks == 0 {
            ticks = WRAP_SECS;
        }
        self.deadline = (sec + ticks).checked_mul(NS_PER_SEC);
    }

    /// After RTCMR or RTCLR changed at `now_ns`: a match that holds right
    /// now raises the interrupt, and the next one is scheduled.
    fn arm(&mut self, now_ns: u64) {
        if self.count(now_ns) == self.mr {
            self.ris = 1;
        }
        self.arm_after(now_ns / NS_PER_SEC);
    }
}

impl MmioDevice for Pl031 {
    fn name(&self) -> &'static str {
        "pl031"
    }

    fn read(&mut self, ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        self.update(ctx.now_ns);
        let v = match offset {
            DR => self.count(ctx.now_ns),
            MR => self.mr,
            LR => self.lr,
            CR => 1,
            IMSC => self.imsc,
            RIS => self.ris,
            MIS => self.ris & self.imsc,
            0xfe0..=0xffc if offset.is_multiple_of(4) => {
                u32::from(ID[((offset - PERIPH_ID0) / 4) as usize])
            }
            // RTCICR is write-only; the rest is reserved.
            _ => 0,
        };
        match size {
            1 => u64::from(v & 0xff),
            2 => u64::from(v & 0xffff),
            _ => u64::from(v),
        }
    }

    fn write(&mut self, ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        self.update(ctx.now_ns);
        let v = value as u32;
        let sec = ctx.now_ns / NS_PER_SEC;
        match offset {
            MR => {
                self.mr = v;
                self.arm(ctx.now_ns);
            }
            LR => {
                self.lr = v;
                self.offset = v.wrapping_sub(sec as u32);
                self.arm(ctx.now_ns);
            }
            IMSC => self.imsc = v & 1,
            ICR => self.ris &= !(v & 1),
            // RTCCR (already started), read-only or reserved.
            _ => {}
        }
        self.update_irq();
    }
    fn reset(&mut self) {
        // The counter keeps the time of day (it runs on its own power);
        // the registers that configure the device go back to reset.
        self.mr = 0;
        self.lr = 0;
        self.imsc = 0;
        self.ris = 0;
        self.deadline = None;
        self.update_irq();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_runtime::IrqLines;
    use std::rc::Rc;

    const BASE: u64 = 1_700_000_000;
    const S: u64 = NS_PER_SEC;

    fn at(now_ns: u64) -> IoCtx {
        IoCtx { icount: 0, now_ns }
    }

    fn rtc() -> (Pl031, Rc<IrqLines>) {
        let lines = IrqLines::new(64);
        (Pl031::new(BASE, lines.line(34)), lines)
    }

    #[test]
    fn counts_virtual_seconds() {
        let (mut r, _) = rtc();
        let b = BASE as u32;
        assert_eq!(r.read(&at(0), DR, 4), u64::from(b));
        assert_eq!(r.read(&at(S - 1), DR, 4), u64::from(b));
        assert_eq!(r.read(&at(S), DR, 4), u64::from(b + 1));
        assert_eq!(r.read(&at(3 * S + S / 2), DR, 4), u64::from(b + 3));
        assert_eq!(r.count(3600 * S), b + 3600);
        assert_eq!(r.read(&at(0), CR, 4), 1, "started at power-on");
        r.write(&at(0), CR, 4, 0);
        assert_eq!(r.read(&at(0), CR, 4), 1);
        assert_eq!(r.read(&at(0), 0xfe0, 4), 0x31);
        assert_eq!(r.read(&at(0), 0xffc, 4), 0xb1);
    }

    #[test]
    fn load_register_sets_the_counter() {
        let (mut r, _) = rtc();
        r.write(&at(2 * S + S / 2), LR, 4, 100);
        assert_eq!(r.read(&at(2 * S + S / 2), DR, 4), 100);
        assert_eq!(r.read(&at(2 * S + S / 2), LR, 4), 100);
        // Ticks stay on whole seconds of virtual time.
        assert_eq!(r.read(&at(3 * S - 1), DR, 4), 100);
        assert_eq!(r.read(&at(3 * S), DR, 4), 101);
        // The counter wraps.
        r.write(&at(3 * S), LR, 4, u64::from(u32::MAX));
        assert_eq!(r.read(&at(4 * S), DR, 4), 0);
    }

    #[test]
    fn match_interrupt_at_the_exact_nanosecond() {
        let (mut r, lines) = rtc();
        let b = BASE as u32;
        r.write(&at(S / 5), IMSC, 4, 1);
        r.write(&at(S / 5), MR, 4, u64::from(b + 3));
        assert_eq!(r.read(&at(S / 5), MR, 4), u64::from(b + 3));
        assert_eq!(r.next_deadline_ns(), Some(3 * S));
        r.update(3 * S - 1);
        assert_eq!(r.read(&at(3 * S - 1), RIS, 4), 0);
        assert!(!lines.level(34));
        r.update(3 * S);
        assert!(lines.level(34));
        assert_eq!(r.read(&at(3 * S), RIS, 4), 1);
        assert_eq!(r.read(&at(3 * S), MIS, 4), 1);
        // The next match is a full wrap of the counter away.
        assert_eq!(r.next_deadline_ns(), Some((3 + WRAP_SECS) * S));
        r.write(&at(3 * S), ICR, 4, 1);
        assert!(!lines.level(34));
        assert_eq!(r.read(&at(4 * S), RIS, 4), 0);
        // Masked: raw status only.
        r.write(&at(4 * S), IMSC, 4, 0);
        r.write(&at(4 * S), MR, 4, u64::from(b + 6));
        r.update(6 * S);
        assert_eq!(r.read(&at(6 * S), RIS, 4), 1);
        assert_eq!(r.read(&at(6 * S), MIS, 4), 0);
        assert!(!lines.level(34));
        r.write(&at(6 * S), IMSC, 4, 1);
        assert!(lines.level(34));
    }

    #[test]
    fn a_deadline_missed_by_the_machine_is_seen_at_the_next_access() {
        let (mut r, _) = rtc();
        r.write(&at(0), MR, 4, BASE + 2);
        assert_eq!(r.read(&at(5 * S), RIS, 4), 1);
    }

    #[test]
    fn writing_the_current_count_matches_at_once() {
        let (mut r, lines) = rtc();
        r.write(&at(S), IMSC, 4, 1);
        r.write(&at(S + 7), MR, 4, BASE + 1);
        assert!(lines.level(34));
        r.write(&at(S + 7), ICR, 4, 1);
        // Loading the match value.
        r.write(&at(2 * S), MR, 4, 500);
        assert!(!lines.level(34));
        r.write(&at(2 * S), LR, 4, 500);
        assert!(lines.level(34));
        assert_eq!(r.next_deadline_ns(), Some((2 + WRAP_SECS) * S));
        r.write(&at(2 * S), ICR, 4, 1);
        r.write(&at(2 * S), LR, 4, 498);
        assert_eq!(r.next_deadline_ns(), Some(4 * S));
    }

    #[test]
    fn misprogramming_never_panics() {
        let (mut r, _) = rtc();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for off in 0..0x1010 {
            for size in [1, 2, 3, 4, 8] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let now = x >> (x & 63);
                r.read(&at(now), off, size);
                r.write(&at(now), off, size, x);
                r.update(x);
                r.next_deadline_ns();
            }
        }
        r.update(u64::MAX);
        r.write(&at(u64::MAX), MR, 4, 0);
        assert_eq!(r.read(&at(0), 0x3, 1), 0);
    }
}
