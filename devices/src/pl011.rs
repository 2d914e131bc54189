//! ARM PrimeCell PL011 UART (r1p5 register layout, 16-byte FIFOs).
//!
//! # Transmit
//!
//! A byte written to UARTDR goes to the host writer at once: the transmit
//! FIFO drains instantly, so the flag register always shows it empty
//! (TXFE set, TXFF and BUSY clear). The transmit interrupt follows the
//! PL011's rule that it fires when the FIFO level drops to or below its
//! trigger level after data left it: since every byte leaves at once, every
//! write to UARTDR sets TXRIS, and only UARTICR clears it (it is never set
//! before the first byte). That is what Linux's amba-pl011 driver needs: it
//! sends by polling FR.TXFF, which never stops it, and enables TXIM only
//! when the FIFO filled up (never here); if TXIM is ever enabled with bytes
//! left to send, every refill sets TXRIS again, so the handler keeps going
//! until its buffer is empty and it masks TXIM. This is also what QEMU does.
//! Bytes are sent whatever UARTCR says, as QEMU does, so firmware that never
//! enables the UART still prints; hardware flow control (CTSEn) never holds
//! transmission back.
//!
//! # Receive
//!
//! Host input enters through [`Pl011::receive`], which takes at most
//! [`Pl011::can_receive`] bytes (16 with LCR_H.FEN set, 1 without) and
//! leaves the rest with the caller, so host input never overruns the FIFO.
//! The machine logs what was accepted at the exact icount; the UART is a
//! function of its register accesses and of the bytes it accepted, nothing
//! else. Input is accepted whether or not UARTCR enables the receiver
//! (QEMU's behaviour, which bare-metal programs rely on), except in loopback
//! mode, where the receiver listens only to the transmitter and
//! [`Pl011::can_receive`] is 0.
//!
//! Receive interrupts:
//! - RXRIS is set when the FIFO level rises to the trigger level (IFLS
//!   RXIFLSEL with the FIFO on; one character with it off) and cleared when
//!   reads take the level below it, or by UARTICR. As on the part, it is a
//!   transition: a level already at or above the trigger does not set it
//!   again.
//! - RTRIS (receive timeout) is modelled deterministically: the line is
//!   deemed idle from the moment bytes are delivered, so the 32-bit-period
//!   timeout elapses at once — every delivery that leaves the FIFO non-empty
//!   sets RTRIS (whatever the trigger level: the part's timeout does not
//!   depend on it). It is cleared when the FIFO becomes empty or by UARTICR.
//!   A delivery of fewer bytes than the trigger level therefore still
//!   interrupts a driver that enabled RTIM, as Linux does.
//!
//! # Other choices
//!
//! - Changing LCR_H.FEN keeps the bytes already received (the depth only
//!   limits what can be added); QEMU empties the FIFO instead, which loses
//!   input.
//! - Loopback (UARTCR.LBE): transmitted bytes enter the receive FIFO and do
//!   not reach the host; a full FIFO overruns (RSR.OE, OEIS, and the next
//!   character stored carries DR.OE). The modem outputs loop back to the
//!   modem inputs (RTS→CTS, DTR→DSR, Out1→DCD, Out2→RI) and a change of an
//!   input sets its modem interrupt. Setting LCR_H.BRK in loopback receives
//!   one break character (DR.BE, BEIS). Outside loopback the modem inputs
//!   read as inactive.
//! - There is no DMA controller on the board: UARTDMACR is kept and read
//!   back but moves no data.
//! - Registers sit at word-aligned offsets; an access elsewhere reads as
//!   zero and is ignored. Reads return the register masked to the access
//!   size; any width that reaches a register acts on it (a byte read of
//!   UARTDR takes a character). Reserved bits read as zero.

use lockstep_runtime::bus::IoCtx;
use lockstep_runtime::{IrqLine, MmioDevice};
use std::io::Write;

const DR: u64 = 0x000;
const RSR: u64 = 0x004;
const FR: u64 = 0x018;
const ILPR: u64 = 0x020;
const IBRD: u64 = 0x024;
const FBRD: u64 = 0x028;
const LCR_H: u64 = 0x02c;
const CR: u64 = 0x030;
const IFLS: u64 = 0x034;
const IMSC: u64 = 0x038;
const RIS: u64 = 0x03c;
const MIS: u64 = 0x040;
const ICR: u64 = 0x044;
const DMACR: u64 = 0x048;
const PERIPH_ID0: u64 = 0xfe0;

// Flag register.
const FR_CTS: u32 = 1 << 0;
const FR_DSR: u32 = 1 << 1;
const FR_DCD: u32 = 1 << 2;
const FR_RXFE: u32 = 1 << 4;
const FR_RXFF: u32 = 1 << 6;
const FR_TXFE: u32 = 1 << 7;
const FR_RI: u32 = 1 << 8;

// Error bits of a received character, as UARTDR shows them.
const DR_BE: u16 = 1 << 10;
const DR_OE: u16 = 1 << 11;
/// UARTRSR.OE.
const RSR_OE: u32 = 1 << 3;

// Interrupt bits (UARTIMSC, UARTRIS, UARTMIS, UARTICR).
const INT_RI: u32 = 1 << 0;
const INT_CTS: u32 = 1 << 1;
const INT_DCD: u32 = 1 << 2;
const INT_DSR: u32 = 1 << 3;
const INT_RX: u32 = 1 << 4;
const INT_TX: u32 = 1 << 5;
const INT_RT: u32 = 1 << 6;
const INT_FE: u32 = 1 << 7;
const INT_PE: u32 = 1 << 8;
const INT_BE: u32 = 1 << 9;
const INT_OE: u32 = 1 << 10;
const INT_ALL: u32 = 0x7ff;

const LCR_BRK: u32 = 1 << 0;
const LCR_FEN: u32 = 1 << 4;

const CR_LBE: u32 = 1 << 7;
const CR_DTR: u32 = 1 << 10;
const CR_RTS: u32 = 1 << 11;
const CR_OUT1: u32 = 1 << 12;
const CR_OUT2: u32 = 1 << 13;
/// UARTCR bits that exist (bits 3–6 are reserved).
const CR_MASK: u32 = 0xff87;

/// Receive FIFO depth with LCR_H.FEN set.
pub const FIFO_DEPTH: usize = 16;

/// Peripheral and PrimeCell identification, 0xfe0–0xffc: a PL011 r1p5
/// (Linux reads the revision to size the FIFO: 16 bytes).
const ID: [u8; 8] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// A PL011 whose output goes to a host writer and whose input comes from
/// the machine through [`Pl011::receive`].
pub struct Pl011 {
    out: Box<dyn Write>,
    irq: Option<IrqLine>,
    /// Received characters with their error bits (UARTDR[11:8]).
    rx: [u16; FIFO_DEPTH],
    rx_head: usize,
    rx_count: usize,
    /// The character stored after an overrun carries DR.OE.
    overrun: bool,
    /// UARTRSR: FE, PE, BE, OE of the last character read; OE also set by
    /// an overrun and kept until UARTECR is written.
    rsr: u32,
    /// Modem inputs as the flag register shows them (CTS, DSR, DCD, RI).
    modem: u32,
    ilpr: u32,
    ibrd: u32,
    fbrd: u32,
    lcr_h: u32,
    cr: u32,
    ifls: u32,
    imsc: u32,
    ris: u32,
    dmacr: u32,
}

impl Pl011 {
    /// A UART in its reset state, writing to `out`, with its interrupt
    /// output not connected (for machines without an interrupt controller).
    pub fn new(out: Box<dyn Write>) -> Self {
        Pl011 {
            out,
            irq: None,
            rx: [0; FIFO_DEPTH],
            rx_head: 0,
            rx_count: 0,
            overrun: false,
            rsr: 0,
            modem: 0,
            ilpr: 0,
            ibrd: 0,
            fbrd: 0,
            lcr_h: 0,
            cr: 0x300,
            ifls: 0x12,
            imsc: 0,
            ris: 0,
            dmacr: 0,
        }
    }

    /// A UART in its reset state, writing to `out`, driving `irq` (the
    /// combined UARTINTR: high while any unmasked interrupt is raised).
    pub fn with_irq(out: Box<dyn Write>, irq: IrqLine) -> Self {
        let mut u = Pl011::new(out);
        irq.set(false);
        u.irq = Some(irq);
        u
    }

    /// How many bytes [`Pl011::receive`] would take now: the free space in
    /// the receive FIFO, or 0 in loopback mode.
    pub fn can_receive(&self) -> usize {
        if self.cr & CR_LBE != 0 {
            0
        } else {
            self.depth().saturating_sub(self.rx_count)
        }
    }

    /// Delivers host input: takes the first `can_receive()` bytes of
    /// `bytes` into the receive FIFO, raises the receive interrupts as they
    /// apply, and returns how many it took. The rest stays with the caller.
    pub fn receive(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.can_receive());
        for &b in &bytes[..n] {
            self.push_rx(u16::from(b));
        }
        if n > 0 {
            self.ris |= INT_RT;
        }
        self.update_irq();
        n
    }

    /// The level of the interrupt output (any unmasked interrupt raised).
    pub fn irq_level(&self) -> bool {
        self.ris & self.imsc != 0
    }

    fn depth(&self) -> usize {
        if self.lcr_h & LCR_FEN != 0 {
            FIFO_DEPTH
        } else {
            1
        }
    }

    /// The receive FIFO level at which RXRIS is raised.
    fn rx_trigger(&self) -> usize {
        if self.lcr_h & LCR_FEN == 0 {
            return 1;
        }
        match self.ifls >> 3 & 7 {
            0 => 2,
            1 => 4,
            3 => 12,
            4 => 14,
            // 2 is 1/2; the reserved encodings act as 1/2 too.
            _ => 8,
        }
    }

    fn update_irq(&self) {
        if let Some(irq) = &self.irq {
            irq.set(self.irq_level());
        }
    }

    /// Stores one received character (a data byte and error bits), or
    /// records an overrun if the FIFO is full.
    fn push_rx(&mut self, mut entry: u16) {
        if self.rx_count >= self.depth() {
            self.overrun = true;
            self.rsr |= RSR_OE;
            self.ris |= INT_OE;
            return;
        }
        if self.overrun {
            entry |= DR_OE;
            self.overrun = false;
        }
        self.rx[(self.rx_head + self.rx_count) % FIFO_DEPTH] = entry;
        self.rx_count += 1;
        for (bit, int) in [(8, INT_FE), (9, INT_PE), (10, INT_BE)] {
            if entry >> bit & 1 != 0 {
                self.ris |= int;
            }
        }
        if self.rx_count == self.rx_trigger() {
            self.ris |= INT_RX;
        }
    }

    fn read_dr(&mut self) -> u32 {
        if self.rx_count == 0 {
            return 0;
        }
        let entry = self.rx[self.rx_head];
        self.rx_head = (self.rx_head + 1) % FIFO_DEPTH;
        self.rx_count -= 1;
        // The status of the character just read; an overrun stays flagged
        // until UARTECR is written.
        self.rsr = (self.rsr & RSR_OE) | u32::from(entry >> 8) & 0xf;
        if self.rx_count < self.rx_trigger() {
            self.ris &= !INT_RX;
        }
        if self.rx_count == 0 {
            self.ris &= !INT_RT;
        }
        self.update_irq();
        u32::from(entry)
    }

    fn write_dr(&mut self, byte: u8) {
        if self.cr & CR_LBE != 0 {
            self.push_rx(u16::from(byte));
            if self.rx_count > 0 {
                self.ris |= INT_RT;
            }
        } else {
            // Output is best effort: a closed host stream must not stop the
            // guest.
            let _ = self.out.write_all(&[byte]);
            let _ = self.out.flush();
        }
        // The byte left the transmit FIFO at once: its level dropped to or
        // below any trigger level.
        self.ris |= INT_TX;
        self.update_irq();
    }

    fn flags(&self) -> u32 {
        let mut fr = self.modem | FR_TXFE;
        if self.rx_count == 0 {
            fr |= FR_RXFE;
        }
        if self.rx_count >= self.depth() {
            fr |= FR_RXFF;
        }
        fr
    }

    /// Recomputes the modem inputs after a UARTCR write and raises the
    /// modem interrupts of those that changed.
    fn update_modem(&mut self) {
        let mut m = 0;
        if self.cr & CR_LBE != 0 {
            for (out, inp) in [
                (CR_RTS, FR_CTS),
                (CR_DTR, FR_DSR),
                (CR_OUT1, FR_DCD),
                (CR_OUT2, FR_RI),
            ] {
                if self.cr & out != 0 {
                    m |= inp;
                }
            }
        }
        let changed = m ^ self.modem;
        for (inp, int) in [
            (FR_CTS, INT_CTS),
            (FR_DSR, INT_DSR),
            (FR_DCD, INT_DCD),
            (FR_RI, INT_RI),
        ] {
            if changed & inp != 0 {
                self.ris |= int;
            }
        }
        self.modem = m;
    }

    fn write_lcr_h(&mut self, v: u32) {
        let old = self.lcr_h;
        self.lcr_h = v & 0xff;
        if self.lcr_h & LCR_BRK != 0 && old & LCR_BRK == 0 && self.cr & CR_LBE != 0 {
            // The transmitter's break reaches the receiver as one break
            // character.
            self.push_rx(DR_BE);
            self.ris |= INT_RT;
        }
    }
}

impl MmioDevice for Pl011 {
    fn name(&self) -> &'static str {
        "pl011"
    }

    fn read(&mut self, _ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        let v = match offset {
            DR => self.read_dr(),
            RSR => self.rsr,
            FR => self.flags(),
            ILPR => self.ilpr,
            IBRD => self.ibrd,
            FBRD => self.fbrd,
            LCR_H => self.lcr_h,
            CR => self.cr,
            IFLS => self.ifls,
            IMSC => self.imsc,
            RIS => self.ris,
            MIS => self.ris & self.imsc,
            DMACR => self.dmacr,
            0xfe0..=0xffc if offset.is_multiple_of(4) => {
                u32::from(ID[((offset - PERIPH_ID0) / 4) as usize])
            }
            // UARTICR is write-only; the rest is reserved.
            _ => 0,
        };
        match size {
            1 => u64::from(v & 0xff),
            2 => u64::from(v & 0xffff),
            _ => u64::from(v),
        }
    }

    fn write(&mut self, _ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        let v = value as u32;
        match offset {
            DR => self.write_dr(v as u8),
            // UARTECR: any write clears the error status.
            RSR => self.rsr = 0,
            ILPR => self.ilpr = v & 0xff,
            IBRD => self.ibrd = v & 0xffff,
            FBRD => self.fbrd = v & 0x3f,
            LCR_H => self.write_lcr_h(v),
            CR => {
                self.cr = v & CR_MASK;
                self.update_modem();
            }
            IFLS => self.ifls = v & 0x3f,
            IMSC => self.imsc = v & INT_ALL,
            ICR => self.ris &= !(v & INT_ALL),
            DMACR => self.dmacr = v & 7,
            // Read-only or reserved.
            _ => {}
        }
        self.update_irq();
    }
    fn reset(&mut self) {
        let out = std::mem::replace(&mut self.out, Box::new(std::io::sink()));
        let irq = self.irq.take();
        *self = Pl011::new(out);
        self.irq = irq;
        self.update_irq();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_runtime::IrqLines;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const CTX: IoCtx = IoCtx {
        icount: 0,
        now_ns: 0,
    };

    struct T {
        u: Pl011,
        sink: Shared,
        lines: Rc<IrqLines>,
    }

    impl T {
        fn new() -> T {
            let sink = Shared::default();
            let lines = IrqLines::new(64);
            let u = Pl011::with_irq(Box::new(sink.clone()), lines.line(33));
            T { u, sink, lines }
        }
        /// As Linux leaves it after startup and set_termios: FIFOs on,
        /// trigger levels 1/2, RX and RX-timeout interrupts unmasked.
        fn linux() -> T {
            let mut t = T::new();
            t.w(IFLS, 0x12);
            t.w(LCR_H, 0x70);
            t.w(CR, 0x301);
            t.w(ICR, INT_RT | INT_RX);
            t.w(IMSC, INT_RT | INT_RX);
            t
        }
        fn r(&mut self, off: u64) -> u32 {
            self.u.read(&CTX, off, 4) as u32
        }
        fn w(&mut self, off: u64, v: u32) {
            self.u.write(&CTX, off, 4, u64::from(v))
        }
        fn line(&self) -> bool {
            self.lines.level(33)
        }
    }

    #[test]
    fn transmits_and_identifies() {
        let mut t = T::new();
        t.w(DR, u32::from(b'h'));
        t.u.write(&CTX, DR, 1, u64::from(b'i'));
        assert_eq!(&*t.sink.0.borrow(), b"hi");
        assert_eq!(t.r(0xfe0), 0x11);
        assert_eq!(t.r(0xfe8), 0x14);
        assert_eq!(t.r(0xffc), 0xb1);
        // Also without an interrupt line.
        let sink = Shared::default();
        let mut u = Pl011::new(Box::new(sink.clone()));
        u.write(&CTX, DR, 4, 0x41);
        assert_eq!(&*sink.0.borrow(), b"A");
    }

    #[test]
    fn reset_values_and_register_widths() {
        let mut t = T::new();
        assert_eq!(t.r(FR), FR_TXFE | FR_RXFE);
        assert_eq!(t.r(CR), 0x300);
        assert_eq!(t.r(IFLS), 0x12);
        assert_eq!((t.r(IMSC), t.r(RIS), t.r(MIS)), (0, 0, 0));
        for (off, mask) in [
            (ILPR, 0xff),
            (IBRD, 0xffff),
            (FBRD, 0x3f),
            (LCR_H, 0xff),
            (CR, 0xff87),
            (IFLS, 0x3f),
            (IMSC, 0x7ff),
            (DMACR, 7),
        ] {
            t.w(off, !0);
            assert_eq!(t.r(off), mask, "register {off:#x}");
            t.w(off, 0);
        }
        // (UARTCR's loopback bit raised modem interrupts on the way.)
        t.w(ICR, INT_ALL);
        // Read-only registers ignore writes.
        t.w(FR, 0);
        t.w(RIS, !0);
        assert_eq!(t.r(FR), FR_TXFE | FR_RXFE);
        assert_eq!(t.r(RIS), 0);
        // A halfword read gets the low half.
        t.w(IBRD, 0x1234);
        assert_eq!(t.u.read(&CTX, IBRD, 2), 0x1234);
        assert_eq!(t.u.read(&CTX, IBRD, 1), 0x34);
    }

    #[test]
    fn fifo_fills_and_refuses_overflow() {
        let mut t = T::linux();
        let input: Vec<u8> = (0..20).collect();
        assert_eq!(t.u.can_receive(), 16);
        assert_eq!(t.u.receive(&input), 16);
        assert_eq!(t.u.can_receive(), 0);
        assert_eq!(t.u.receive(&input[16..]), 0);
        assert_eq!(t.r(FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
        assert_eq!(t.r(RIS) & INT_OE, 0, "refused input is no overrun");
        for i in 0..16 {
            assert_eq!(t.r(DR), i);
            assert_eq!(t.r(FR) & FR_RXFF, 0);
        }
        assert_eq!(t.r(FR) & FR_RXFE, FR_RXFE);
        assert_eq!(t.r(DR), 0, "empty FIFO reads as zero");
        assert_eq!(t.r(RSR), 0);
        // Wrap around the ring.
        assert_eq!(t.u.receive(b"abc"), 3);
        assert_eq!([t.r(DR), t.r(DR), t.r(DR)], [0x61, 0x62, 0x63]);
    }

    #[test]
    fn one_byte_holding_register_without_fifo() {
        let mut t = T::new();
        assert_eq!(t.u.can_receive(), 1);
        assert_eq!(t.u.receive(b"xy"), 1);
        assert_eq!(t.r(FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
        // The trigger level is one character.
        assert_eq!(t.r(RIS) & INT_RX, INT_RX);
        assert_eq!(t.r(DR), u32::from(b'x'));
        assert_eq!(t.r(RIS) & INT_RX, 0);
        // Turning the FIFO on keeps what was received.
        assert_eq!(t.u.receive(b"y"), 1);
        t.w(LCR_H, LCR_FEN);
        assert_eq!(t.u.can_receive(), 15);
        assert_eq!(t.r(DR), u32::from(b'y'));
    }

    #[test]
    fn rx_timeout_and_rx_interrupts_as_linux_sees_them() {
        let mut t = T::linux();
        assert!(!t.line());
        // Fewer bytes than the trigger level: the timeout interrupt.
        assert_eq!(t.u.receive(b"ls\n"), 3);
        assert_eq!(t.r(MIS), INT_RT);
        assert!(t.line() && t.u.irq_level());
        // The handler clears everything but TX/RT/RX, then drains the FIFO.
        let status = t.r(MIS);
        t.w(ICR, status & !(INT_TX | INT_RT | INT_RX));
        let mut got = Vec::new();
        while t.r(FR) & FR_RXFE == 0 {
            got.push(t.r(DR) as u8);
        }
        assert_eq!(got, b"ls\n");
        assert_eq!(t.r(MIS), 0);
        assert!(!t.line());

        // At the trigger level (8): RX as well.
        assert_eq!(t.u.receive(b"0123456789"), 10);
        assert_eq!(t.r(MIS), INT_RX | INT_RT);
        for _ in 0..3 {
            t.r(DR);
        }
        assert_eq!(t.r(MIS), INT_RT, "below the trigger: RX clears");
        for _ in 0..7 {
            t.r(DR);
        }
        assert_eq!(t.r(MIS), 0, "empty: RT clears");
        assert!(!t.line());
    }

    #[test]
    fn rx_interrupt_is_a_transition_through_the_trigger() {
        let mut t = T::linux();
        t.w(IMSC, INT_RX);
        t.u.receive(b"01234567");
        assert_eq!(t.r(MIS), INT_RX);
        // Cleared by software while the FIFO stays above the trigger: more
        // data does not raise it again.
        t.w(ICR, INT_RX);
        t.u.receive(b"89");
        assert_eq!(t.r(MIS), 0);
        assert!(!t.line());
        // Down below the trigger and back up: raised again.
        for _ in 0..3 {
            t.r(DR);
        }
        t.u.receive(b"ab");
        assert_eq!(t.r(MIS), INT_RX);
        // Lowering the trigger under the level is no transition either.
        t.w(ICR, INT_RX);
        t.w(IFLS, 0);
        assert_eq!(t.r(MIS), 0);
    }

    #[test]
    fn tx_interrupt_as_the_linux_driver_uses_it() {
        let mut t = T::linux();
        // Not raised before anything was sent.
        assert_eq!(t.r(RIS) & INT_TX, 0);
        // start_tx: poll TXFF, write while clear; everything fits.
        for &b in b"hello\n" {
            assert_eq!(t.r(FR) & (1 << 5), 0, "TXFF");
            t.w(DR, u32::from(b));
        }
        assert_eq!(&*t.sink.0.borrow(), b"hello\n");
        assert_eq!(t.r(FR) & (FR_TXFE | 1 << 3), FR_TXFE, "empty, not busy");
        // TXRIS is raised but masked: no interrupt.
        assert_eq!(t.r(RIS) & INT_TX, INT_TX);
        assert!(!t.line());
        // With TXIM, the handler refills and TXIS stays raised, so it keeps
        // sending until its buffer is empty, then masks TXIM.
        t.w(IMSC, INT_RT | INT_RX | INT_TX);
        assert!(t.line());
        for &b in b"more" {
            t.w(DR, u32::from(b));
        }
        assert_eq!(t.r(MIS), INT_TX);
        t.w(IMSC, INT_RT | INT_RX);
        assert!(!t.line());
        // UARTICR clears it.
        t.w(ICR, INT_TX);
        assert_eq!(t.r(RIS), 0);
    }

    #[test]
    fn masking_and_clearing() {
        let mut t = T::new();
        t.u.receive(b"a");
        assert_eq!(t.r(RIS), INT_RX | INT_RT);
        assert_eq!(t.r(MIS), 0);
        assert!(!t.line());
        t.w(IMSC, INT_RT);
        assert_eq!(t.r(MIS), INT_RT);
        assert!(t.line());
        t.w(ICR, INT_RT);
        assert_eq!(t.r(RIS), INT_RX);
        assert!(!t.line());
        t.w(IMSC, INT_ALL);
        assert!(t.line());
        t.w(ICR, INT_ALL);
        assert!(!t.line());
    }

    #[test]
    fn loopback_overrun_break_and_modem_lines() {
        let mut t = T::new();
        t.w(LCR_H, LCR_FEN);
        t.w(CR, 0x301 | CR_LBE);
        assert_eq!(t.u.can_receive(), 0);
        assert_eq!(t.u.receive(b"host"), 0);
        for b in 0..17u32 {
            t.w(DR, b);
        }
        assert!(
            t.sink.0.borrow().is_empty(),
            "loopback does not reach the host"
        );
        // The 17th byte overran.
        assert_eq!(t.r(RSR), RSR_OE);
        assert_eq!(t.r(RIS) & INT_OE, INT_OE);
        assert_eq!(t.r(DR), 0);
        t.w(RSR, 0);
        assert_eq!(t.r(RSR), 0);
        // The next character stored carries OE.
        t.w(DR, 0x55);
        for i in 1..16 {
            assert_eq!(t.r(DR), i);
        }
        assert_eq!(t.r(DR), u32::from(DR_OE) | 0x55);
        assert_eq!(t.r(RSR), RSR_OE);
        // Break.
        t.w(LCR_H, LCR_FEN | LCR_BRK);
        assert_eq!(t.r(DR), u32::from(DR_BE));
        assert_eq!(t.r(RSR) & 4, 4);
        assert_eq!(t.r(RIS) & INT_BE, INT_BE);
        // Modem outputs loop back to the inputs, with their interrupts.
        t.w(ICR, INT_ALL);
        t.w(CR, 0x301 | CR_LBE | CR_RTS);
        assert_eq!(t.r(FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_CTS);
        assert_eq!(t.r(RIS) & 0xf, INT_CTS);
        t.w(CR, 0x301 | CR_LBE | CR_RTS | CR_DTR | CR_OUT1 | CR_OUT2);
        assert_eq!(t.r(FR) & 0x107, FR_CTS | FR_DSR | FR_DCD | FR_RI);
        assert_eq!(t.r(RIS) & 0xf, 0xf);
        // Out of loopback the inputs are inactive and host input flows.
        t.w(CR, 0x301);
        assert_eq!(t.r(FR) & 0x107, 0);
        assert_eq!(t.u.receive(b"h"), 1);
    }

    #[test]
    fn misprogramming_never_panics() {
        let mut t = T::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for off in 0..0x1010 {
            for size in [1, 2, 3, 4, 8] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                t.u.read(&CTX, off, size);
                t.u.write(&CTX, off, size, x);
                t.u.receive(&x.to_le_bytes());
            }
        }
        assert_eq!(t.u.read(&CTX, 0x3, 1), 0, "unaligned offsets read as zero");
    }
}
