//! The PC's MC146818 real-time clock and CMOS RAM at I/O ports 0x70
//! (index; bit 7 masks NMI) and 0x71 (data), interrupt on IRQ 8.
//!
//! The time of day is `base + floor(now_ns / 1e9)` seconds of *virtual*
//! time, `base` being the Unix time the machine read from the host once
//! (through the replay door) and any adjustment the guest wrote, as for
//! the PL031: the host clock is never read here. The registers show it
//! in BCD or binary (register B's DM bit), 24- or 12-hour, with the
//! century in CMOS byte 0x32 (as QEMU keeps it). Register A's
//! update-in-progress bit is set during the last 244 µs of every virtual
//! second, when a real part would be updating; the divider and rate bits
//! are kept.
//!
//! Interrupts (register C's flags, IRQ 8 while an enabled one is set):
//! update-ended at every second boundary, the alarm when the time matches
//! registers 1, 3 and 5 (a value with its two top bits set matches
//! anything), and the periodic interrupt at the rate register A selects.
//! Each is a function of virtual time: the board asks
//! [`Rtc::next_deadline_ns`] and calls [`Rtc::update`] then. Reading
//! register C clears the flags, as on the part.

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use lockstep_runtime::IrqLine;
use std::cell::RefCell;
use std::rc::Rc;

const NS: u64 = 1_000_000_000;
/// How long before a second boundary UIP reads as set.
const UIP_NS: u64 = 244_000;

const REG_A: usize = 0x0a;
const REG_B: usize = 0x0b;
const REG_C: usize = 0x0c;
const REG_D: usize = 0x0d;
const CENTURY: usize = 0x32;

const B_SET: u8 = 0x80;
const B_PIE: u8 = 0x40;
const B_AIE: u8 = 0x20;
const B_UIE: u8 = 0x10;
const B_DM: u8 = 0x04;
const B_24H: u8 = 0x02;

const C_IRQF: u8 = 0x80;
const C_PF: u8 = 0x40;
const C_AF: u8 = 0x20;
const C_UF: u8 = 0x10;

/// The civil date of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The RTC and its CMOS RAM.
pub struct Rtc {
    irq: IrqLine,
    cmos: [u8; 128],
    index: u8,
    /// Unix seconds at virtual time 0.
    base: i64,
    /// Register C's flags, brought up to `seen_ns`.
    flags: u8,
    /// Virtual time up to which the flags account for events.
    seen_ns: u64,
}

fn bcd(v: u32) -> u8 {
    (((v / 10) << 4) | (v % 10)) as u8
}

fn from_bcd(v: u8) -> u32 {
    u32::from(v >> 4) * 10 + u32::from(v & 0xf)
}

impl Rtc {
    /// An RTC showing `base_unix_secs` at virtual time 0, driving `irq`.
    pub fn new(base_unix_secs: u64, irq: IrqLine) -> Self {
        let mut cmos = [0u8; 128];
        // Divider on (32.768 kHz), rate 1024 Hz; BCD, 24-hour; valid RAM.
        cmos[REG_A] = 0x26;
        cmos[REG_B] = B_24H;
        cmos[REG_D] = 0x80;
        Rtc {
            irq,
            cmos,
            index: 0,
            base: base_unix_secs as i64,
            flags: 0,
            seen_ns: 0,
        }
    }

    /// A shared RTC.
    pub fn new_shared(base_unix_secs: u64, irq: IrqLine) -> Rc<RefCell<Rtc>> {
        Rc::new(RefCell::new(Self::new(base_unix_secs, irq)))
    }

    fn now_secs(&self, now_ns: u64) -> i64 {
        self.base + (now_ns / NS) as i64
    }

    fn binary(&self) -> bool {
        self.cmos[REG_B] & B_DM != 0
    }

    fn enc(&self, v: u32) -> u8 {
        if self.binary() {
            v as u8
        } else {
            bcd(v)
        }
    }

    fn dec(&self, v: u8) -> u32 {
        if self.binary() {
            u32::from(v)
        } else {
            from_bcd(v)
        }
    }

    /// The time registers for Unix time `t`.
    fn fields(&self, t: i64) -> [u8; 8] {
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400) as u32;
        let (y, m, d) = civil(days);
        let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let wday = ((days + 4).rem_euclid(7) + 1) as u32; // 1 = Sunday
        let hour = if self.cmos[REG_B] & B_24H != 0 {
            self.enc(h)
        } else {
            let h12 = if h % 12 == 0 { 12 } else { h % 12 };
            self.enc(h12) | if h >= 12 { 0x80 } else { 0 }
        };
        [
            self.enc(s),
            self.enc(min),
            hour,
            self.enc(wday),
            self.enc(d),
            self.enc(m),
            self.enc((y % 100) as u32),
            self.enc((y / 100) as u32),
        ]
    }

    /// The virtual period of the periodic interrupt, if enabled.
    fn period_ns(&self) -> Option<u64> {
        let rate = self.cmos[REG_A] & 0xf;
        if rate == 0 || self.cmos[REG_A] & 0x70 != 0x20 {
            return None;
        }
        let rate = if rate <= 2 { rate + 7 } else { rate };
        // 32768 >> (rate - 1) Hz.
        Some(NS * (1u64 << (rate - 1)) / 32_768)
    }

    fn alarm_matches(&self, t: i64) -> bool {
        let f = self.fields(t);
        let want = [(1, 0), (3, 1), (5, 2)];
        want.iter().all(|&(reg, field)| {
            let a = self.cmos[reg];
            a & 0xc0 == 0xc0 || a == f[field]
        })
    }

    /// Brings register C up to `now_ns`: the events between the last look
    /// and now.
    pub fn update(&mut self, now_ns: u64) {
        if now_ns <= self.seen_ns {
            return;
        }
        let from = self.seen_ns;
        self.seen_ns = now_ns;
        if self.cmos[REG_B] & B_SET == 0 {
            let (s0, s1) = (from / NS, now_ns / NS);
            if s1 > s0 {
                self.flags |= C_UF;
                // Any second boundary in (from, now] that matches the alarm.
                let start = (s0 + 1).max(s1.saturating_sub(86_400));
                if (start..=s1).any(|s| self.alarm_matches(self.base + s as i64)) {
                    self.flags |= C_AF;
                }
            }
        }
        if let Some(p) = self.period_ns() {
            if now_ns / p > from / p {
                self.flags |= C_PF;
            }
        }
        self.update_irq();
    }

    fn enabled_pending(&self) -> bool {
        let b = self.cmos[REG_B];
        (self.flags & C_PF != 0 && b & B_PIE != 0)
            || (self.flags & C_AF != 0 && b & B_AIE != 0)
            || (self.flags & C_UF != 0 && b & B_UIE != 0)
    }

    fn update_irq(&mut self) {
        let level = self.enabled_pending();
        self.irq.set(level);
    }

    /// The next virtual instant at which an enabled interrupt comes up.
    pub fn next_deadline_ns(&self, now_ns: u64) -> Option<u64> {
        let b = self.cmos[REG_B];
        let mut next: Option<u64> = None;
        let mut consider = |t: u64| next = Some(next.map_or(t, |n: u64| n.min(t)));
        if b & (B_UIE | B_AIE) != 0 && b & B_SET == 0 {
            consider((now_ns / NS + 1) * NS);
        }
        if b & B_PIE != 0 {
            if let Some(p) = self.period_ns() {
                consider((now_ns / p + 1) * p);
            }
        }
        next
    }

    fn read_reg(&mut self, i: usize, now_ns: u64) -> u8 {
        self.update(now_ns);
        match i {
            0 | 2 | 4 | 6 | 7 | 8 | 9 | CENTURY => {
                let f = self.fields(self.now_secs(now_ns));
                match i {
                    0 => f[0],
                    2 => f[1],
                    4 => f[2],
                    6 => f[3],
                    7 => f[4],
                    8 => f[5],
                    9 => f[6],
                    _ => f[7],
                }
            }
            REG_A => {
                let uip = self.cmos[REG_B] & B_SET == 0 && now_ns % NS >= NS - UIP_NS;
                self.cmos[REG_A] & 0x7f | if uip { 0x80 } else { 0 }
            }
            REG_C => {
                let v = self.flags | if self.enabled_pending() { C_IRQF } else { 0 };
                self.flags = 0;
                self.update_irq();
                v
            }
            _ => self.cmos[i],
        }
    }

    fn write_reg(&mut self, i: usize, v: u8, now_ns: u64) {
        self.update(now_ns);
        match i {
            0 | 2 | 4 | 7 | 8 | 9 | CENTURY => {
                // Set one field of the current time: recompute the base.
                let mut f = self.fields(self.now_secs(now_ns));
                let slot = match i {
                    0 => 0,
                    2 => 1,
                    4 => 2,
                    7 => 4,
                    8 => 5,
                    9 => 6,
                    _ => 7,
                };
                f[slot] = v;
                let (s, min) = (self.dec(f[0]), self.dec(f[1]));
                let h = if self.cmos[REG_B] & B_24H != 0 {
                    self.dec(f[2])
                } else {
                    let pm = f[2] & 0x80 != 0;
                    self.dec(f[2] & 0x7f) % 12 + if pm { 12 } else { 0 }
                };
                let (d, m) = (self.dec(f[4]).max(1), self.dec(f[5]).clamp(1, 12));
                let y = i64::from(self.dec(f[7])) * 100 + i64::from(self.dec(f[6]));
                let t = days_from_civil(y, m, d) * 86_400
                    + i64::from(h) * 3600
                    + i64::from(min) * 60
                    + i64::from(s);
                self.base = t - (now_ns / NS) as i64;
            }
            6 => {}
            REG_A => self.cmos[REG_A] = v & 0x7f,
            REG_B => self.cmos[REG_B] = v,
            REG_C | REG_D => {}
            _ => self.cmos[i] = v,
        }
        self.update_irq();
    }
}

impl MmioDevice for Rtc {
    fn name(&self) -> &'static str {
        "mc146818"
    }

    fn read(&mut self, ctx: &IoCtx, offset: u64, _size: u8) -> u64 {
        match offset {
            // The index register is write-only (reads float).
            0 => 0xff,
            _ => u64::from(self.read_reg(usize::from(self.index & 0x7f), ctx.now_ns)),
        }
    }

    fn write(&mut self, ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        match offset {
            0 => self.index = value as u8,
            _ => self.write_reg(usize::from(self.index & 0x7f), value as u8, ctx.now_ns),
        }
    }

    /// A machine reset keeps the time (the RTC runs on its battery).
    fn reset(&mut self) {
        self.index = 0;
        self.flags = 0;
        self.cmos[REG_B] &= B_24H | B_DM;
        self.update_irq();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_runtime::IrqLines;

    fn ctx(now_ns: u64) -> IoCtx {
        IoCtx { icount: 0, now_ns }
    }

    fn read(r: &mut Rtc, i: u8, now: u64) -> u8 {
        r.write(&ctx(now), 0, 1, u64::from(i));
        r.read(&ctx(now), 1, 1) as u8
    }

    #[test]
    fn shows_the_logged_time_plus_virtual_seconds_in_bcd() {
        let lines = IrqLines::new(16);
        // 2026-11-29 14:22:01 UTC, a Sunday.
        let mut r = Rtc::new(1_795_962_121, lines.line(8));
        let t = 2 * NS + 5;
        assert_eq!(read(&mut r, 0, t), 0x03);
        assert_eq!(read(&mut r, 2, t), 0x22);
        assert_eq!(read(&mut r, 4, t), 0x14);
        assert_eq!(read(&mut r, 7, t), 0x29);
        assert_eq!(read(&mut r, 8, t), 0x11);
        assert_eq!(read(&mut r, 9, t), 0x26);
        assert_eq!(read(&mut r, 0x32, t), 0x20);
        assert_eq!(read(&mut r, 6, t), 1, "Sunday");
        assert_eq!(
            read(&mut r, 0x0a, NS - 1) & 0x80,
            0x80,
            "UIP before the update"
        );
        assert_eq!(read(&mut r, 0x0a, NS / 2) & 0x80, 0);
        assert_eq!(days_from_civil(2026, 11, 29), 1_795_962_121 / 86_400);
    }

    #[test]
    fn update_interrupts_each_second_and_writes_move_the_time() {
        let lines = IrqLines::new(16);
        let mut r = Rtc::new(0, lines.line(8));
        r.write(&ctx(0), 0, 1, 0x0b);
        r.write(&ctx(0), 1, 1, u64::from(B_24H | B_UIE | B_DM));
        assert_eq!(r.next_deadline_ns(0), Some(NS));
        r.update(NS);
        assert!(lines.level(8));
        assert_eq!(read(&mut r, 0x0c, NS) & (C_IRQF | C_UF), C_IRQF | C_UF);
        assert!(!lines.level(8));
        // Set the hour to 13 (binary mode now).
        r.write(&ctx(NS), 0, 1, 4);
        r.write(&ctx(NS), 1, 1, 13);
        assert_eq!(read(&mut r, 4, 2 * NS), 13);
        assert_eq!(read(&mut r, 0, 2 * NS), 2);
    }
}
