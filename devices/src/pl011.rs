//! ARM PrimeCell PL011 UART (transmit side).
//!
//! Transmitted bytes go straight to the host sink: the transmit FIFO never
//! fills, so the flag register always reports it empty and not busy. The
//! receive side (and interrupts) come with the arm-virt machine work; until
//! then the receive FIFO is always empty. Identification registers read as
//! on the real part, so drivers that probe them find a PL011.

use lockstep_runtime::bus::IoCtx;
use lockstep_runtime::MmioDevice;
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

/// Flag register: receive FIFO empty.
const FR_RXFE: u32 = 1 << 4;
/// Flag register: transmit FIFO empty.
const FR_TXFE: u32 = 1 << 7;

/// Peripheral and PrimeCell identification, 0xfe0–0xffc.
const ID: [u8; 8] = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// A PL011 whose output goes to a host writer.
pub struct Pl011 {
    out: Box<dyn Write>,
    ilpr: u32,
    ibrd: u32,
    fbrd: u32,
    lcr_h: u32,
    cr: u32,
    ifls: u32,
    imsc: u32,
    dmacr: u32,
}

impl Pl011 {
    /// A UART in its reset state, writing to `out`.
    pub fn new(out: Box<dyn Write>) -> Self {
        Pl011 {
            out,
            ilpr: 0,
            ibrd: 0,
            fbrd: 0,
            lcr_h: 0,
            cr: 0x300,
            ifls: 0x12,
            imsc: 0,
            dmacr: 0,
        }
    }
}

impl MmioDevice for Pl011 {
    fn name(&self) -> &'static str {
        "pl011"
    }

    fn read(&mut self, _ctx: &IoCtx, offset: u64, _size: u8) -> u64 {
        let v = match offset {
            DR => 0,
            RSR => 0,
            FR => FR_TXFE | FR_RXFE,
            ILPR => self.ilpr,
            IBRD => self.ibrd,
            FBRD => self.fbrd,
            LCR_H => self.lcr_h,
            CR => self.cr,
            IFLS => self.ifls,
            IMSC => self.imsc,
            RIS | MIS => 0,
            DMACR => self.dmacr,
            0xfe0..=0xffc if offset.is_multiple_of(4) => {
                u32::from(ID[((offset - 0xfe0) / 4) as usize])
            }
            _ => 0,
        };
        u64::from(v)
    }

    fn write(&mut self, _ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        let v = value as u32;
        match offset {
            DR => {
                // Output is best effort: a closed host stream must not stop
                // the guest.
                let _ = self.out.write_all(&[v as u8]);
                let _ = self.out.flush();
            }
            ILPR => self.ilpr = v & 0xff,
            IBRD => self.ibrd = v & 0xffff,
            FBRD => self.fbrd = v & 0x3f,
            LCR_H => self.lcr_h = v & 0xff,
            CR => self.cr = v & 0xff87,
            IFLS => self.ifls = v & 0x3f,
            IMSC => self.imsc = v & 0x7ff,
            ICR => {}
            DMACR => self.dmacr = v & 7,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn transmits_and_identifies() {
        let sink = Shared::default();
        let mut u = Pl011::new(Box::new(sink.clone()));
        u.write(&IoCtx::default(), DR, 4, u64::from(b'h'));
        u.write(&IoCtx::default(), DR, 1, u64::from(b'i'));
        assert_eq!(&*sink.0.borrow(), b"hi");
        assert_eq!(u.read(&IoCtx::default(), FR, 4) as u32 & FR_TXFE, FR_TXFE);
        assert_eq!(u.read(&IoCtx::default(), 0xfe0, 4), 0x11);
        assert_eq!(u.read(&IoCtx::default(), 0xffc, 4), 0xb1);
        u.write(&IoCtx::default(), CR, 4, 0x301);
        assert_eq!(u.read(&IoCtx::default(), CR, 4), 0x301);
    }
}
