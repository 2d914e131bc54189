//! The PC's pair of 8259A programmable interrupt controllers: the master
//! at I/O ports 0x20-0x21 (IRQs 0-7), the slave at 0xa0-0xa1 (IRQs 8-15)
//! cascaded into the master's IRQ 2, and the PIIX's edge/level control
//! registers (ELCR) at 0x4d0-0x4d1.
//!
//! Modelled: the ICW1-ICW4 initialisation sequence (vector base, single
//! or cascade, level-triggered mode, auto-EOI), the mask register, IRR and
//! ISR and their read-back through OCW3, poll mode, special mask mode,
//! fully nested priority with rotation (rotate on non-specific EOI, set
//! priority, specific rotation), specific and non-specific EOI, and the
//! spurious IRQ 7 (15) when a request goes away before the CPU
//! acknowledges it. Edge-triggered inputs latch their rising edge in IRR
//! (it stays until acknowledged, as QEMU's does); level-triggered ones
//! (ELCR, or ICW1.LTIM) follow the line.
//!
//! The interrupt lines come from the devices as [`IrqLines`]; the machine
//! calls [`PicPair::sample`] before it asks [`PicPair::output`] and
//! acknowledges with [`PicPair::acknowledge`] when the CPU takes the
//! interrupt.

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use lockstep_runtime::IrqLines;
use std::cell::RefCell;
use std::rc::Rc;

/// One 8259A.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chip {
    irr: u8,
    isr: u8,
    imr: u8,
    /// The IRQ with the lowest priority (priority rotates after it).
    lowest: u8,
    vector_base: u8,
    /// Which initialisation word comes next (0: none).
    init_step: u8,
    icw4_needed: bool,
    single: bool,
    level_mode: bool,
    auto_eoi: bool,
    rotate_on_aeoi: bool,
    /// OCW3: read ISR (else IRR).
    read_isr: bool,
    poll: bool,
    special_mask: bool,
    /// Edge/level control (PIIX ELCR): 1 = level-triggered.
    elcr: u8,
    /// The line levels last sampled (for edge detection of levels).
    lines: u8,
}

impl Chip {
    fn priority_order(&self) -> impl Iterator<Item = u8> + '_ {
        (1..=8).map(move |i| (self.lowest + i) & 7)
    }

    /// The highest-priority requested and unmasked IRQ that may interrupt
    /// what is in service now.
    fn pending(&self) -> Option<u8> {
        let req = self.irr & !self.imr;
        if req == 0 {
            return None;
        }
        for irq in self.priority_order() {
            let bit = 1 << irq;
            if self.isr & bit != 0 && !self.special_mask {
                // A request of lower priority waits.
                return None;
            }
            if req & bit != 0 {
                return Some(irq);
            }
        }
        None
    }

    /// Takes IRQ `irq`: in service (unless auto-EOI), request cleared
    /// (an edge-triggered one).
    fn ack(&mut self, irq: u8) {
        let bit = 1 << irq;
        if self.elcr & bit == 0 && !self.level_mode {
            self.irr &= !bit;
        }
        if self.auto_eoi {
            if self.rotate_on_aeoi {
                self.lowest = irq;
            }
        } else {
            self.isr |= bit;
        }
    }

    /// The highest-priority IRQ in service.
    fn highest_in_service(&self) -> Option<u8> {
        self.priority_order().find(|&i| self.isr & (1 << i) != 0)
    }

    /// Samples the eight input levels `levels` and their latched rising
    /// edges `rising`.
    fn sample(&mut self, levels: u8, rising: u8) {
        let level_triggered = if self.level_mode { 0xff } else { self.elcr };
        self.irr |= rising & !level_triggered;
        self.irr = (self.irr & !level_triggered) | (levels & level_triggered);
        self.lines = levels;
    }

    fn write_command(&mut self, v: u8) {
        if v & 0x10 != 0 {
            // ICW1.
            self.init_step = 2;
            self.icw4_needed = v & 1 != 0;
            self.single = v & 2 != 0;
            self.level_mode = v & 8 != 0;
            self.imr = 0;
            self.isr = 0;
            self.irr = 0;
            self.lowest = 7;
            self.special_mask = false;
            self.read_isr = false;
            self.auto_eoi = false;
            self.rotate_on_aeoi = false;
            return;
        }
        if v & 0x08 != 0 {
            // OCW3.
            if v & 0x04 != 0 {
                self.poll = true;
            }
            if v & 0x02 != 0 {
                self.read_isr = v & 1 != 0;
            }
            if v & 0x40 != 0 {
                self.special_mask = v & 0x20 != 0;
            }
            return;
        }
        // OCW2.
        let level = v & 7;
        match v >> 5 {
            // Non-specific EOI, with or without rotation.
            0b001 | 0b101 => {
                if let Some(irq) = self.highest_in_service() {
                    self.isr &= !(1 << irq);
                    if v >> 5 == 0b101 {
                        self.lowest = irq;
                    }
                }
            }
            // Specific EOI, with or without rotation.
            0b011 | 0b111 => {
                self.isr &= !(1 << level);
                if v >> 5 == 0b111 {
                    self.lowest = level;
                }
            }
            0b100 => self.rotate_on_aeoi = true,
            0b000 => self.rotate_on_aeoi = false,
            0b110 => self.lowest = level,
            _ => {}
        }
    }

    fn write_data(&mut self, v: u8) {
        match self.init_step {
            2 => {
                self.vector_base = v & 0xf8;
                self.init_step = if self.single {
                    if self.icw4_needed {
                        4
                    } else {
                        0
                    }
                } else {
                    3
                };
            }
            3 => {
                // ICW3: the cascade wiring, fixed on a PC.
                self.init_step = if self.icw4_needed { 4 } else { 0 };
            }
            4 => {
                self.auto_eoi = v & 2 != 0;
                self.init_step = 0;
            }
            _ => self.imr = v,
        }
    }

    fn read_command(&mut self) -> u8 {
        if self.poll {
            self.poll = false;
            return match self.pending() {
                Some(irq) => {
                    self.ack(irq);
                    0x80 | irq
                }
                None => 0,
            };
        }
        if self.read_isr {
            self.isr
        } else {
            self.irr
        }
    }
}

/// Master and slave, with the ELCR.
#[derive(Default)]
pub struct PicPair {
    /// IRQs 0-7.
    pub master: Chip,
    /// IRQs 8-15.
    pub slave: Chip,
    lines: Option<Rc<IrqLines>>,
}

/// The cascade input of the master.
const CASCADE: u8 = 2;

impl PicPair {
    /// A pair sampling the 16 ISA lines `lines`.
    pub fn new(lines: Rc<IrqLines>) -> Self {
        PicPair {
            master: Chip::default(),
            slave: Chip::default(),
            lines: Some(lines),
        }
    }

    /// A pair shared between its ports and the board.
    pub fn new_shared(lines: Rc<IrqLines>) -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Self::new(lines)))
    }

    /// Reads the devices' lines into the request registers.
    pub fn sample(&mut self) {
        let Some(lines) = &self.lines else { return };
        let (mut lo, mut lo_r, mut hi, mut hi_r) = (0u8, 0u8, 0u8, 0u8);
        for i in 0..8u32 {
            if lines.level(i) {
                lo |= 1 << i;
            }
            if lines.take_rising(i) {
                lo_r |= 1 << i;
            }
            if lines.level(i + 8) {
                hi |= 1 << i;
            }
            if lines.take_rising(i + 8) {
                hi_r |= 1 << i;
            }
        }
        self.slave.sample(hi, hi_r);
        // The slave's output drives the master's IRQ 2 as a level.
        let slave_out = self.slave.pending().is_some();
        let cascade = if slave_out { 1 << CASCADE } else { 0 };
        let was = self.master.lines & (1 << CASCADE);
        let rising = if slave_out && was == 0 { cascade } else { 0 };
        self.master.sample(
            (lo & !(1 << CASCADE)) | cascade,
            (lo_r & !(1 << CASCADE)) | rising,
        );
    }

    /// Whether the master asserts INTR.
    pub fn output(&self) -> bool {
        self.master.pending().is_some()
    }

    /// The CPU acknowledges INTR: returns the vector (IRQ 7's or 15's
    /// for a spurious interrupt).
    pub fn acknowledge(&mut self) -> u8 {
        let Some(irq) = self.master.pending() else {
            return self.master.vector_base | 7;
        };
        self.master.ack(irq);
        if irq != CASCADE {
            return self.master.vector_base | irq;
        }
        match self.slave.pending() {
            Some(s) => {
                self.slave.ack(s);
                self.slave.vector_base | s
            }
            None => self.slave.vector_base | 7,
        }
    }

    fn chip(&mut self, slave: bool) -> &mut Chip {
        if slave {
            &mut self.slave
        } else {
            &mut self.master
        }
    }
}

/// Which ports a [`PicPort`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// 0x20-0x21.
    Master,
    /// 0xa0-0xa1.
    Slave,
    /// 0x4d0-0x4d1.
    Elcr,
}

/// The bus face of one chip's ports (or the ELCR).
pub struct PicPort(pub Rc<RefCell<PicPair>>, pub PortKind);

impl MmioDevice for PicPort {
    fn name(&self) -> &'static str {
        match self.1 {
            PortKind::Master => "i8259-master",
            PortKind::Slave => "i8259-slave",
            PortKind::Elcr => "elcr",
        }
    }

    fn read(&mut self, _ctx: &IoCtx, offset: u64, _size: u8) -> u64 {
        let mut p = self.0.borrow_mut();
        p.sample();
        let v = match self.1 {
            PortKind::Elcr => p.chip(offset == 1).elcr,
            kind => {
                let c = p.chip(kind == PortKind::Slave);
                if offset == 0 {
                    c.read_command()
                } else {
                    c.imr
                }
            }
        };
        u64::from(v)
    }

    fn write(&mut self, _ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        let mut p = self.0.borrow_mut();
        let v = value as u8;
        match self.1 {
            PortKind::Elcr => {
                // IRQs 0, 1, 2, 8 and 13 are always edge-triggered.
                let mask = if offset == 0 { 0xf8 } else { 0xde };
                p.chip(offset == 1).elcr = v & mask;
            }
            kind => {
                let c = p.chip(kind == PortKind::Slave);
                if offset == 0 {
                    c.write_command(v);
                } else {
                    c.write_data(v);
                }
            }
        }
        p.sample();
    }

    fn reset(&mut self) {
        if self.1 == PortKind::Master {
            let mut p = self.0.borrow_mut();
            p.master = Chip::default();
            p.slave = Chip::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: IoCtx = IoCtx {
        icount: 0,
        now_ns: 0,
    };

    /// Linux's initialisation: vectors 0x30 and 0x38, cascade, 8086 mode.
    fn init(lines: &Rc<IrqLines>) -> (Rc<RefCell<PicPair>>, PicPort, PicPort) {
        let p = PicPair::new_shared(Rc::clone(lines));
        let mut m = PicPort(Rc::clone(&p), PortKind::Master);
        let mut s = PicPort(Rc::clone(&p), PortKind::Slave);
        for (port, icw) in [
            (&mut m, [0x11u8, 0x30, 0x04, 0x01]),
            (&mut s, [0x11, 0x38, 0x02, 0x01]),
        ] {
            port.write(&CTX, 0, 1, u64::from(icw[0]));
            for &w in &icw[1..] {
                port.write(&CTX, 1, 1, u64::from(w));
            }
        }
        m.write(&CTX, 1, 1, 0);
        s.write(&CTX, 1, 1, 0);
        (p, m, s)
    }

    #[test]
    fn edges_are_acknowledged_by_priority_and_ended_by_eoi() {
        let lines = IrqLines::new(16);
        let (p, mut m, mut s) = init(&lines);
        lines.line(4).raise();
        lines.line(0).raise();
        p.borrow_mut().sample();
        assert!(p.borrow().output());
        assert_eq!(p.borrow_mut().acknowledge(), 0x30, "IRQ 0 first");
        // IRQ 4 waits while IRQ 0 is in service.
        p.borrow_mut().sample();
        assert!(!p.borrow().output());
        m.write(&CTX, 0, 1, 0x20);
        assert!(p.borrow().output());
        assert_eq!(p.borrow_mut().acknowledge(), 0x34);
        m.write(&CTX, 0, 1, 0x20);
        // A slave IRQ goes through the cascade.
        lines.line(12).raise();
        p.borrow_mut().sample();
        assert_eq!(p.borrow_mut().acknowledge(), 0x3c);
        s.write(&CTX, 0, 1, 0x0b);
        assert_eq!(s.read(&CTX, 0, 1), 0x10, "ISR of the slave");
        s.write(&CTX, 0, 1, 0x20);
        m.write(&CTX, 0, 1, 0x20);
        assert!(!p.borrow().output());
    }

    #[test]
    fn masked_and_vanished_requests() {
        let lines = IrqLines::new(16);
        let (p, mut m, _s) = init(&lines);
        m.write(&CTX, 1, 1, 0x10);
        lines.line(4).raise();
        p.borrow_mut().sample();
        assert!(!p.borrow().output(), "masked");
        m.write(&CTX, 1, 1, 0);
        assert!(p.borrow().output());
        // Nothing pending at acknowledge: the spurious IRQ 7.
        let mut q = PicPair::new(IrqLines::new(16));
        q.master.vector_base = 0x30;
        assert_eq!(q.acknowledge(), 0x37);
    }
}
