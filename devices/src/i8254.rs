//! The 8254 programmable interval timer at I/O ports 0x40-0x43, and the
//! PC's port 0x61 (timer 2's gate and output, the speaker enable, the
//! refresh toggle).
//!
//! The counters run at 1.193182 MHz of *virtual* time: a counter's state
//! is a function of when it was loaded and of the virtual instant of the
//! access, so reading it, its output and its interrupt are exact
//! functions of the instruction count (Linux calibrates the TSC against
//! timer 2 through port 0x61; it gets the same answer on every run).
//! Channel 0's output is IRQ 0: [`Pit::next_edge_ns`] gives the board the
//! instant of its next rising edge, and [`Pit::take_edges`] whether one
//! happened since the last look.
//!
//! Modes 0 (interrupt on terminal count), 2 (rate generator), 3 (square
//! wave) and 4 (software strobe) count as the datasheet says; modes 1 and
//! 5 (hardware triggered) start on a rising gate, which only timer 2 has
//! under software control. The counter latch and the read-back command
//! (count and status) are modelled, and the three access modes (LSB, MSB,
//! LSB then MSB). BCD counting is accepted and counts in binary (noted
//! in docs/status.md).

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use std::cell::RefCell;
use std::rc::Rc;

/// The counters' input clock, in Hz.
pub const FREQ: u64 = 1_193_182;

/// Virtual nanoseconds to counter ticks since `start`.
fn ticks(start: u64, now: u64) -> u64 {
    ((u128::from(now.saturating_sub(start)) * u128::from(FREQ)) / 1_000_000_000) as u64
}

/// The first virtual instant at which `k` ticks have elapsed since `start`.
fn instant(start: u64, k: u64) -> u64 {
    start + (u128::from(k) * 1_000_000_000).div_ceil(u128::from(FREQ)) as u64
}

/// One counter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Channel {
    mode: u8,
    /// Access mode: 1 LSB, 2 MSB, 3 LSB then MSB.
    access: u8,
    bcd: bool,
    /// The count written (0 means 65536).
    reload: u32,
    /// The virtual instant at which counting started (the count was
    /// loaded, or the gate rose), if it is counting.
    start: Option<u64>,
    /// Ticks counted before the gate stopped it (modes 0 and 4).
    paused_ticks: u64,
    gate: bool,
    /// A write of the first byte of a two-byte count happened.
    write_lsb_done: bool,
    /// The LSB written, waiting for the MSB.
    pending_lsb: u8,
    /// A read of the LSB happened (the MSB comes next).
    read_lsb_done: bool,
    /// A latched count, if any.
    latched: Option<u16>,
    /// A latched status byte, if any.
    status: Option<u8>,
    /// A count was written and not counted from yet (mode 0 OUT low).
    null_count: bool,
    /// The rising edges of OUT already reported.
    edges_seen: u64,
}

impl Channel {
    fn period(&self) -> u64 {
        if self.reload == 0 {
            0x10000
        } else {
            u64::from(self.reload)
        }
    }

    /// Ticks counted at `now`.
    fn elapsed(&self, now: u64) -> u64 {
        match self.start {
            Some(s) => self.paused_ticks + ticks(s, now),
            None => self.paused_ticks,
        }
    }

    fn started(&self) -> bool {
        self.start.is_some() || self.paused_ticks > 0
    }

    /// The counter's value at `now`.
    fn count(&self, now: u64) -> u16 {
        if !self.started() {
            return self.reload as u16;
        }
        let n = self.period();
        let d = self.elapsed(now);
        let v = match self.mode {
            0 | 1 | 4 | 5 => (n.wrapping_sub(d)) & 0xffff,
            2 => n - d % n,
            _ => {
                // Square wave: the count drops by two per tick, through
                // each half period.
                let half = n.div_ceil(2);
                let p = d % n;
                let within = if p < half { p } else { p - half };
                (n - 2 * within) & 0xfffe
            }
        };
        v as u16
    }

    /// OUT at `now`.
    fn out(&self, now: u64) -> bool {
        let n = self.period();
        if !self.started() {
            // Mode 0 holds OUT low from the write; the others high.
            return self.mode != 0;
        }
        let d = self.elapsed(now);
        match self.mode {
            0 => d >= n,
            1 => d >= n,
            2 => d % n != n - 1,
            4 | 5 => d != n,
            _ => d % n < n.div_ceil(2),
        }
    }

    /// Rising edges of OUT from the start of counting to `now`.
    fn edges(&self, now: u64) -> u64 {
        if !self.started() {
            return 0;
        }
        let n = self.period();
        let d = self.elapsed(now);
        match self.mode {
            0 | 1 => u64::from(d >= n),
            2 | 3 => d / n,
            _ => u64::from(d > n),
        }
    }

    /// The instant of the next rising edge of OUT after `now`.
    fn next_edge(&self, now: u64) -> Option<u64> {
        let start = self.start?;
        let n = self.period();
        let d = self.elapsed(now);
        let k = match self.mode {
            0 | 1 => {
                if d >= n {
                    return None;
                }
                n
            }
            2 | 3 => (d / n + 1) * n,
            _ => {
                if d > n {
                    return None;
                }
                n + 1
            }
        };
        Some(instant(start, k - self.paused_ticks))
    }

    fn load(&mut self, now: u64) {
        self.paused_ticks = 0;
        self.edges_seen = 0;
        self.null_count = false;
        // Modes 1 and 5 wait for a gate edge; the others count when the
        // gate is high.
        self.start = if matches!(self.mode, 1 | 5) || !self.gate {
            None
        } else {
            Some(now)
        };
    }

    fn set_gate(&mut self, high: bool, now: u64) {
        if high == self.gate {
            return;
        }
        self.gate = high;
        match (self.mode, high) {
            // Modes 0 and 4 pause while the gate is low.
            (0 | 4, false) => {
                self.paused_ticks = self.elapsed(now);
                self.start = None;
            }
            (0 | 4, true) => self.start = Some(now),
            // The others restart on a rising gate, stop on a falling one.
            (_, true) => {
                self.paused_ticks = 0;
                self.edges_seen = 0;
                self.start = Some(now);
            }
            (_, false) => {
                if matches!(self.mode, 2 | 3) {
                    self.start = None;
                    self.paused_ticks = 0;
                }
            }
        }
    }

    fn status_byte(&self, now: u64) -> u8 {
        u8::from(self.out(now)) << 7
            | u8::from(self.null_count) << 6
            | self.access << 4
            | self.mode << 1
            | u8::from(self.bcd)
    }

    fn read(&mut self, now: u64) -> u8 {
        if let Some(s) = self.status.take() {
            return s;
        }
        let v = self.latched.unwrap_or_else(|| self.count(now));
        match self.access {
            1 => {
                self.latched = None;
                v as u8
            }
            2 => {
                self.latched = None;
                (v >> 8) as u8
            }
            _ => {
                if self.read_lsb_done {
                    self.read_lsb_done = false;
                    self.latched = None;
                    (v >> 8) as u8
                } else {
                    self.read_lsb_done = true;
                    v as u8
                }
            }
        }
    }

    fn write(&mut self, v: u8, now: u64) {
        match self.access {
            1 => {
                self.reload = u32::from(v);
                self.load(now);
            }
            2 => {
                self.reload = u32::from(v) << 8;
                self.load(now);
            }
            _ => {
                if self.write_lsb_done {
                    self.write_lsb_done = false;
                    self.reload = u32::from(self.pending_lsb) | u32::from(v) << 8;
                    self.load(now);
                } else {
                    self.write_lsb_done = true;
                    self.pending_lsb = v;
                    if self.mode == 0 {
                        // Writing the first byte stops mode 0's count.
                        self.start = None;
                        self.paused_ticks = 0;
                        self.null_count = true;
                    }
                }
            }
        }
    }
}

/// The three counters and port 0x61's bits.
pub struct Pit {
    channels: [Channel; 3],
    /// Port 0x61 bit 1: the speaker data enable.
    speaker: bool,
}

impl Default for Pit {
    fn default() -> Self {
        let mut channels: [Channel; 3] = Default::default();
        // Timers 0 and 1 have their gates tied high.
        channels[0].gate = true;
        channels[1].gate = true;
        Pit {
            channels,
            speaker: false,
        }
    }
}

impl Pit {
    /// A PIT shared between its ports and the board.
    pub fn new_shared() -> Rc<RefCell<Pit>> {
        Rc::new(RefCell::new(Pit::default()))
    }

    /// The next rising edge of channel 0's output after `now`.
    pub fn next_edge_ns(&self, now: u64) -> Option<u64> {
        self.channels[0].next_edge(now)
    }

    /// Whether channel 0's output rose since the last call.
    pub fn take_edges(&mut self, now: u64) -> bool {
        let c = &mut self.channels[0];
        let e = c.edges(now);
        let new = e > c.edges_seen;
        c.edges_seen = e;
        new
    }

    /// Channel 0's output now.
    pub fn out0(&self, now: u64) -> bool {
        self.channels[0].out(now)
    }

    fn control(&mut self, v: u8, now: u64) {
        let sel = v >> 6;
        if sel == 3 {
            // Read-back: bit 5 clear latches counts, bit 4 clear status.
            for i in 0..3 {
                if v & (2 << i) == 0 {
                    continue;
                }
                let c = &mut self.channels[i];
                if v & 0x20 == 0 && c.latched.is_none() {
                    c.latched = Some(c.count(now));
                }
                if v & 0x10 == 0 && c.status.is_none() {
                    c.status = Some(c.status_byte(now));
                }
            }
            return;
        }
        let c = &mut self.channels[usize::from(sel)];
        let access = v >> 4 & 3;
        if access == 0 {
            if c.latched.is_none() {
                c.latched = Some(c.count(now));
            }
            return;
        }
        c.access = access;
        c.mode = match v >> 1 & 7 {
            6 => 2,
            7 => 3,
            m => m,
        };
        c.bcd = v & 1 != 0;
        c.write_lsb_done = false;
        c.read_lsb_done = false;
        c.latched = None;
        c.status = None;
        // A control word stops the count until a new one is written.
        c.start = None;
        c.paused_ticks = 0;
        c.null_count = true;
        c.edges_seen = 0;
    }

    /// Port 0x61's value at `now`.
    pub fn port61(&self, now: u64) -> u8 {
        // The refresh request toggles every 15.085 µs.
        let refresh = (now / 15_085) & 1 != 0;
        u8::from(self.channels[2].gate)
            | u8::from(self.speaker) << 1
            | u8::from(refresh) << 4
            | u8::from(self.channels[2].out(now)) << 5
    }

    /// Writes port 0x61.
    pub fn set_port61(&mut self, v: u8, now: u64) {
        self.speaker = v & 2 != 0;
        self.channels[2].set_gate(v & 1 != 0, now);
    }
}

/// The bus face: ports 0x40-0x43, or port 0x61.
pub struct PitPort(pub Rc<RefCell<Pit>>, pub bool);

impl MmioDevice for PitPort {
    fn name(&self) -> &'static str {
        if self.1 {
            "port61"
        } else {
            "i8254"
        }
    }

    fn read(&mut self, ctx: &IoCtx, offset: u64, _size: u8) -> u64 {
        let mut p = self.0.borrow_mut();
        let now = ctx.now_ns;
        let v = if self.1 {
            p.port61(now)
        } else {
            match offset {
                0..=2 => p.channels[offset as usize].read(now),
                _ => 0xff,
            }
        };
        u64::from(v)
    }

    fn write(&mut self, ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        let mut p = self.0.borrow_mut();
        let now = ctx.now_ns;
        let v = value as u8;
        if self.1 {
            p.set_port61(v, now);
            return;
        }
        match offset {
            0..=2 => p.channels[offset as usize].write(v, now),
            _ => p.control(v, now),
        }
    }

    fn reset(&mut self) {
        if !self.1 {
            *self.0.borrow_mut() = Pit::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(now_ns: u64) -> IoCtx {
        IoCtx { icount: 0, now_ns }
    }

    #[test]
    fn rate_generator_interrupts_every_period() {
        let pit = Pit::new_shared();
        let mut port = PitPort(Rc::clone(&pit), false);
        // Channel 0, LSB then MSB, mode 2, count 1193 (about 1 ms).
        port.write(&ctx(0), 3, 1, 0x34);
        port.write(&ctx(0), 0, 1, 1193 & 0xff);
        port.write(&ctx(0), 0, 1, 1193 >> 8);
        let first = pit.borrow().next_edge_ns(0).unwrap();
        assert_eq!(first, instant(0, 1193));
        assert!((999_000..1_001_000).contains(&first));
        assert!(!pit.borrow_mut().take_edges(first - 1));
        assert!(pit.borrow_mut().take_edges(first));
        assert!(!pit.borrow_mut().take_edges(first));
        assert_eq!(pit.borrow().next_edge_ns(first), Some(instant(0, 2386)));
        // The counter counts down within the period.
        port.write(&ctx(500_000), 3, 1, 0x00);
        let lo = port.read(&ctx(0), 0, 1);
        let hi = port.read(&ctx(0), 0, 1);
        assert_eq!(lo | hi << 8, 1193 - 596);
    }

    #[test]
    fn timer_2_counts_only_with_its_gate_and_shows_out_on_port_61() {
        let pit = Pit::new_shared();
        let mut port = PitPort(Rc::clone(&pit), false);
        let mut p61 = PitPort(Rc::clone(&pit), true);
        // Linux's TSC calibration: gate on, mode 0, count 0xffff... here 100.
        p61.write(&ctx(0), 0, 1, 0x01);
        port.write(&ctx(0), 3, 1, 0xb0);
        port.write(&ctx(0), 2, 1, 100);
        port.write(&ctx(0), 2, 1, 0);
        assert_eq!(p61.read(&ctx(0), 0, 1) & 0x20, 0);
        let done = instant(0, 100);
        assert_eq!(p61.read(&ctx(done - 1), 0, 1) & 0x20, 0);
        assert_eq!(p61.read(&ctx(done), 0, 1) & 0x20, 0x20);
        // Gate low: a new count waits.
        p61.write(&ctx(done), 0, 1, 0x00);
        port.write(&ctx(done), 2, 1, 50);
        port.write(&ctx(done), 2, 1, 0);
        assert_eq!(pit.borrow().channels[2].count(done + 1_000_000), 50);
    }
}
