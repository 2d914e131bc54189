//! Device access to guest RAM (DMA).
//!
//! A device that reads or writes guest memory by itself (a virtio queue, a
//! disk transfer) does so in the middle of a guest access to its registers,
//! when the bus is busy dispatching that access. It therefore holds a
//! [`Dma`] handle of its own: the host addresses of the RAM regions (which
//! never move while the machine exists) and a shared list of the ranges it
//! wrote. The run loop takes that list at the next instruction boundary
//! (an MMIO write always ends the instruction's block) and does for those
//! ranges what a CPU store would have done: drop translations of code that
//! was overwritten and mark the pages dirty for state digests.

use std::cell::RefCell;
use std::rc::Rc;

/// One RAM region as a device sees it.
#[derive(Clone, Copy, Debug)]
struct Region {
    base: u64,
    len: u64,
    host: *mut u8,
}

/// A handle through which a device reads and writes guest RAM.
#[derive(Clone, Debug)]
pub struct Dma {
    regions: Rc<Vec<Region>>,
    written: Rc<RefCell<Vec<(u64, u64)>>>,
}

/// A DMA access that does not lie entirely in RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("DMA access of {len} bytes at {addr:#x} is not in guest RAM")]
pub struct DmaError {
    /// The guest physical address.
    pub addr: u64,
    /// The length of the access.
    pub len: u64,
}

impl Dma {
    /// A handle over RAM regions given as (guest base, length, host
    /// pointer), and the shared list writes are recorded in.
    ///
    /// # Safety
    /// Each host pointer must address `length` bytes that stay mapped and
    /// are not freed for as long as any clone of the handle exists, and
    /// nothing else may hold a Rust reference into them while a handle
    /// method runs (the guest thread is the only user of guest RAM).
    pub unsafe fn new(
        regions: Vec<(u64, u64, *mut u8)>,
        written: Rc<RefCell<Vec<(u64, u64)>>>,
    ) -> Self {
        Dma {
            regions: Rc::new(
                regions
                    .into_iter()
                    .map(|(base, len, host)| Region { base, len, host })
                    .collect(),
            ),
            written,
        }
    }

    fn host(&self, addr: u64, len: usize) -> Result<*mut u8, DmaError> {
        let err = DmaError {
            addr,
            len: len as u64,
        };
        let r = self
            .regions
            .iter()
            .find(|r| addr.wrapping_sub(r.base) < r.len)
            .ok_or(err)?;
        let off = addr - r.base;
        if (len as u64) > r.len - off {
            return Err(err);
        }
        // SAFETY: off + len lies within the region (checked above).
        Ok(unsafe { r.host.add(off as usize) })
    }

    /// Copies guest RAM at `addr` into `buf`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        let p = self.host(addr, buf.len())?;
        // SAFETY: `host` checked the range; see `new` for aliasing.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copies `buf` into guest RAM at `addr`, and records the write.
    pub fn write(&self, addr: u64, buf: &[u8]) -> Result<(), DmaError> {
        let p = self.host(addr, buf.len())?;
        // SAFETY: as in `read`.
        unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), p, buf.len()) };
        if !buf.is_empty() {
            self.written.borrow_mut().push((addr, buf.len() as u64));
        }
        Ok(())
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, addr: u64) -> Result<u16, DmaError> {
        let mut b = [0; 2];
        self.read(addr, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, addr: u64) -> Result<u32, DmaError> {
        let mut b = [0; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, addr: u64) -> Result<u64, DmaError> {
        let mut b = [0; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes a little-endian `u16`.
    pub fn write_u16(&self, addr: u64, v: u16) -> Result<(), DmaError> {
        self.write(addr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&self, addr: u64, v: u32) -> Result<(), DmaError> {
        self.write(addr, &v.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Bus;

    #[test]
    fn reads_writes_and_records_within_ram_only() {
        let mut bus = Bus::new();
        bus.add_ram(0x4000_0000, 0x2000).unwrap();
        let written = Rc::new(RefCell::new(Vec::new()));
        let dma = bus.dma(Rc::clone(&written));
        dma.write_u32(0x4000_0ffe, 0x1122_3344).unwrap();
        assert_eq!(dma.read_u32(0x4000_0ffe).unwrap(), 0x1122_3344);
        assert_eq!(written.borrow().as_slice(), &[(0x4000_0ffe, 4)]);
        assert!(dma.read_u32(0x4000_1ffe).is_err(), "runs past the end");
        assert!(dma.write(0x1000, &[1]).is_err());
        assert_eq!(bus.ram_slice_mut(0x4000_1000, 2).unwrap(), &[0x22, 0x11]);
    }
}
