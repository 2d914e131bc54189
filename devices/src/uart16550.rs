//! The 16550A UART of a PC (COM1 at I/O ports 0x3f8-0x3ff, IRQ 4).
//!
//! # Transmit
//!
//! A byte written to THR goes to the host writer at once, so the
//! transmitter is always empty (LSR.THRE and TEMT set). The THR-empty
//! interrupt (IIR 0x02) is pending after every write to THR and whenever
//! IER.ETBEI is turned on with the transmitter empty; reading IIR when it
//! is the reported source, or writing THR, clears it — the 16550's rules,
//! and QEMU's.
//!
//! # Receive
//!
//! Host input enters through [`Uart16550::receive`], which takes at most
//! [`Uart16550::can_receive`] bytes (16 with the FIFOs on, 1 without), so
//! host input never overruns. The receive interrupt is "data available"
//! (IIR 0x04) when the level reaches the FCR trigger, and the character
//! timeout (IIR 0x0c) when data waits below it: the timeout is modelled as
//! elapsed at once (the line is deemed idle from the moment bytes are
//! delivered), so a model of time is not needed and the UART stays a
//! function of its register accesses and of the bytes it accepted.
//!
//! # Other choices
//!
//! - MCR.OUT2 does not gate the interrupt output (as on QEMU; a PC board
//!   wires it through a buffer the OUT2 bit enables, which drivers turn
//!   on anyway).
//! - Loopback (MCR.LOOP) sends written bytes to the receiver instead of
//!   the host and reflects the modem outputs in MSR (RTS→CTS, DTR→DSR,
//!   OUT1→RI, OUT2→DCD), as Linux's autoconfiguration probes it.
//!   Outside loopback the modem inputs show DCD, DSR and CTS active.
//! - The divisor latch is kept and read back; it changes no timing.

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use lockstep_runtime::IrqLine;
use std::collections::VecDeque;
use std::io::Write;

const IER_RDI: u8 = 1;
const IER_THRI: u8 = 2;
const IER_RLSI: u8 = 4;
const IER_MSI: u8 = 8;

const LSR_DR: u8 = 1;
const LSR_OE: u8 = 2;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;

const MCR_LOOP: u8 = 0x10;

const FCR_ENABLE: u8 = 1;
const FCR_CLEAR_RX: u8 = 2;

const LCR_DLAB: u8 = 0x80;

/// The FIFO depth with FCR.FIFO enabled.
pub const FIFO_DEPTH: usize = 16;

/// A 16550A.
pub struct Uart16550 {
    out: Box<dyn Write>,
    irq: Option<IrqLine>,
    rx: VecDeque<u8>,
    ier: u8,
    lcr: u8,
    mcr: u8,
    fcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// LSR error bits (overrun) waiting to be read.
    lsr_errors: u8,
    /// The THR-empty interrupt is pending.
    thr_ipending: bool,
    /// MSR delta bits (loopback changes).
    msr_delta: u8,
}

impl Uart16550 {
    /// A UART writing to `out`, without an interrupt output.
    pub fn new(out: Box<dyn Write>) -> Self {
        Uart16550 {
            out,
            irq: None,
            rx: VecDeque::new(),
            ier: 0,
            lcr: 0,
            mcr: 0,
            fcr: 0,
            scr: 0,
            dll: 0x0c,
            dlm: 0,
            lsr_errors: 0,
            thr_ipending: false,
            msr_delta: 0,
        }
    }

    /// A UART driving `irq`.
    pub fn with_irq(out: Box<dyn Write>, irq: IrqLine) -> Self {
        let mut u = Self::new(out);
        u.irq = Some(irq);
        u
    }

    fn depth(&self) -> usize {
        if self.fcr & FCR_ENABLE != 0 {
            FIFO_DEPTH
        } else {
            1
        }
    }

    fn trigger(&self) -> usize {
        if self.fcr & FCR_ENABLE == 0 {
            return 1;
        }
        [1, 4, 8, 14][usize::from(self.fcr >> 6)]
    }

    /// How many bytes of host input the UART can take now.
    pub fn can_receive(&self) -> usize {
        if self.mcr & MCR_LOOP != 0 {
            0
        } else {
            self.depth().saturating_sub(self.rx.len())
        }
    }

    /// Takes the first [`Uart16550::can_receive`] bytes of `bytes`;
    /// returns how many.
    pub fn receive(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.can_receive());
        self.rx.extend(&bytes[..n]);
        self.update_irq();
        n
    }

    fn lsr(&self) -> u8 {
        let mut v = LSR_THRE | LSR_TEMT | self.lsr_errors;
        if !self.rx.is_empty() {
            v |= LSR_DR;
        }
        v
    }

    fn msr(&self) -> u8 {
        let inputs = if self.mcr & MCR_LOOP != 0 {
            // RTS->CTS (4), DTR->DSR (5), OUT1->RI (6), OUT2->DCD (7).
            let m = self.mcr;
            (m & 2) << 3 | (m & 1) << 5 | (m & 4) << 4 | (m & 8) << 4
        } else {
            0xb0
        };
        inputs | self.msr_delta
    }

    /// The interrupt identification: (pending, IIR id bits).
    fn pending(&self) -> Option<u8> {
        if self.ier & IER_RLSI != 0 && self.lsr_errors != 0 {
            return Some(0x06);
        }
        if self.ier & IER_RDI != 0 && !self.rx.is_empty() {
            return Some(if self.rx.len() >= self.trigger() {
                0x04
            } else {
                0x0c
            });
        }
        if self.ier & IER_THRI != 0 && self.thr_ipending {
            return Some(0x02);
        }
        if self.ier & IER_MSI != 0 && self.msr_delta != 0 {
            return Some(0x00);
        }
        None
    }

    fn update_irq(&mut self) {
        let level = self.pending().is_some();
        if let Some(irq) = &self.irq {
            irq.set(level);
        }
    }

    fn transmit(&mut self, byte: u8) {
        if self.mcr & MCR_LOOP != 0 {
            if self.rx.len() < self.depth() {
                self.rx.push_back(byte);
            } else {
                self.lsr_errors |= LSR_OE;
            }
        } else {
            // The guest's output must not depend on the host stream.
            let _ = self.out.write_all(&[byte]);
            let _ = self.out.flush();
        }
        self.thr_ipending = true;
    }
}

impl MmioDevice for Uart16550 {
    fn name(&self) -> &'static str {
        "uart16550"
    }

    fn read(&mut self, _ctx: &IoCtx, offset: u64, _size: u8) -> u64 {
        let dlab = self.lcr & LCR_DLAB != 0;
        let v = match offset {
            0 if dlab => self.dll,
            0 => {
                let b = self.rx.pop_front().unwrap_or(0);
                self.update_irq();
                b
            }
            1 if dlab => self.dlm,
            1 => self.ier,
            2 => {
                let id = self.pending();
                if id == Some(0x02) {
                    // Reading IIR with THR empty reported clears it.
                    self.thr_ipending = false;
                    self.update_irq();
                }
                let fifo = if self.fcr & FCR_ENABLE != 0 { 0xc0 } else { 0 };
                fifo | id.unwrap_or(0x01)
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => {
                let v = self.lsr();
                self.lsr_errors = 0;
                self.update_irq();
                v
            }
            6 => {
                let v = self.msr();
                self.msr_delta = 0;
                self.update_irq();
                v
            }
            7 => self.scr,
            _ => 0xff,
        };
        u64::from(v)
    }

    fn write(&mut self, _ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        let v = value as u8;
        let dlab = self.lcr & LCR_DLAB != 0;
        match offset {
            0 if dlab => self.dll = v,
            0 => self.transmit(v),
            1 if dlab => self.dlm = v,
            1 => {
                let was = self.ier;
                self.ier = v & 0x0f;
                if was & IER_THRI == 0 && self.ier & IER_THRI != 0 {
                    // The transmitter is always empty.
                    self.thr_ipending = true;
                }
            }
            2 => {
                if v & FCR_CLEAR_RX != 0 {
                    self.rx.clear();
                }
                self.fcr = v & 0xc9;
                // Changing the depth keeps what fits.
                while self.rx.len() > self.depth() {
                    self.rx.pop_back();
                }
            }
            3 => self.lcr = v,
            4 => {
                let before = self.msr() & 0xf0;
                self.mcr = v & 0x1f;
                let after = self.msr() & 0xf0;
                if self.mcr & MCR_LOOP != 0 {
                    // Delta bits: CTS (0), DSR (1), trailing RI (2), DCD (3).
                    let changed = (before ^ after) >> 4;
                    let ri_trailing = (before & !after & 0x40) >> 4;
                    self.msr_delta |= changed & 0b1011 | ri_trailing;
                }
            }
            7 => self.scr = v,
            _ => {}
        }
        self.update_irq();
    }

    fn reset(&mut self) {
        let out = std::mem::replace(&mut self.out, Box::new(std::io::sink()));
        let irq = self.irq.take();
        *self = Uart16550::new(out);
        self.irq = irq;
        self.update_irq();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
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

    #[test]
    fn transmits_and_reports_thr_empty_once() {
        let sink = Sink::default();
        let mut u = Uart16550::new(Box::new(sink.clone()));
        u.write(&CTX, 1, 1, u64::from(IER_THRI));
        assert_eq!(u.read(&CTX, 2, 1), 0x02, "THRE pending after enabling");
        assert_eq!(u.read(&CTX, 2, 1), 0x01, "cleared by the IIR read");
        u.write(&CTX, 0, 1, u64::from(b'A'));
        assert_eq!(u.read(&CTX, 2, 1), 0x02);
        assert_eq!(&*sink.0.lock().unwrap(), b"A");
        assert_eq!(u.read(&CTX, 5, 1) & 0x60, 0x60);
    }

    #[test]
    fn receives_with_fifo_trigger_and_timeout() {
        let mut u = Uart16550::new(Box::new(std::io::sink()));
        assert_eq!(u.can_receive(), 1, "no FIFO: one byte");
        u.write(&CTX, 2, 1, 0x81); // FIFO on, trigger 8.
        u.write(&CTX, 1, 1, u64::from(IER_RDI));
        assert_eq!(u.receive(b"0123456789abcdefXYZ"), 16);
        assert_eq!(u.read(&CTX, 2, 1), 0xc4, "level at trigger: data available");
        for _ in 0..10 {
            u.read(&CTX, 0, 1);
        }
        assert_eq!(u.read(&CTX, 2, 1), 0xcc, "below trigger: timeout");
        for _ in 0..6 {
            u.read(&CTX, 0, 1);
        }
        assert_eq!(u.read(&CTX, 2, 1), 0xc1);
        assert_eq!(u.read(&CTX, 5, 1) & 1, 0);
    }

    #[test]
    fn loopback_reflects_modem_lines() {
        let mut u = Uart16550::new(Box::new(std::io::sink()));
        u.write(&CTX, 4, 1, 0x1a); // LOOP | OUT2 | RTS.
        assert_eq!(u.read(&CTX, 6, 1) & 0xf0, 0x90);
        u.write(&CTX, 0, 1, 0x55);
        assert_eq!(u.read(&CTX, 0, 1), 0x55);
    }
}
