//! The physical address space: RAM regions, MMIO regions, and the record of
//! which RAM pages hold code that has been translated.

use crate::memory::GuestRam;

/// Guest page size used for TLB entries and code tracking.
pub const PAGE_BITS: u32 = 12;
/// Bytes per guest page.
pub const PAGE_SIZE: u64 = 1 << PAGE_BITS;

/// What a device sees of the machine at the moment of a guest access: the
/// exact instruction count and the virtual time derived from it. Devices
/// that keep time (an RTC, a timer) read it from here and never from the
/// host clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCtx {
    /// Guest instructions retired before the accessing instruction.
    pub icount: u64,
    /// Virtual nanoseconds since the machine started (see [`crate::env`]).
    pub now_ns: u64,
}

/// A memory-mapped device as the bus sees it.
///
/// Offsets are relative to the start of the device's region. `size` is the
/// access width in bytes (1, 2, 4 or 8). Devices answer every access: a
/// register that does not exist reads as the device's documented value
/// (usually zero) and ignores writes, as the hardware does.
pub trait MmioDevice {
    /// A short name for traces and error messages.
    fn name(&self) -> &'static str;
    /// A guest read.
    fn read(&mut self, ctx: &IoCtx, offset: u64, size: u8) -> u64;
    /// A guest write.
    fn write(&mut self, ctx: &IoCtx, offset: u64, size: u8, value: u64);
    /// The machine is reset: back to the power-on state. What lies outside
    /// the machine stays (a host output stream, a disk image and what was
    /// written to it, the time of day an RTC keeps).
    fn reset(&mut self) {}
}

/// A device shared with the machine (which also drives it from outside the
/// bus: input, timers) is mapped through its `Rc`. The guest thread is the
/// only one that touches it, and a device never calls back into itself, so
/// the borrow cannot fail.
impl<T: MmioDevice> MmioDevice for std::rc::Rc<std::cell::RefCell<T>> {
    fn name(&self) -> &'static str {
        self.borrow().name()
    }
    fn read(&mut self, ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        self.borrow_mut().read(ctx, offset, size)
    }
    fn write(&mut self, ctx: &IoCtx, offset: u64, size: u8, value: u64) {
        self.borrow_mut().write(ctx, offset, size, value)
    }
    fn reset(&mut self) {
        self.borrow_mut().reset()
    }
}

struct RamRegion {
    base: u64,
    ram: GuestRam,
    /// One bit per page: the page holds translated code.
    code: Vec<u64>,
    /// One bit per page: the page may have changed since its hash was
    /// last taken (see [`Bus::ram_digest`]).
    dirty: Vec<u64>,
    /// The last hash taken of each page, mixed with its address.
    page_hash: Vec<u64>,
}

/// Bytes per code-tracking granule: a page holds 64 of them, one bit each.
pub const CODE_GRANULE: u64 = PAGE_SIZE / 64;

struct MmioRegion {
    base: u64,
    size: u64,
    device: Box<dyn MmioDevice>,
}

/// Where a physical address lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// RAM: the host address of the byte, and whether its page holds code.
    Ram { host: *mut u8, code: bool },
    /// A device register: region index and offset within the region.
    Mmio { region: usize, offset: u64 },
    /// Nothing is there: the access is an external abort.
    Unmapped,
}

/// The stable hash of a page of zeros.
fn zero_page_hash() -> u64 {
    static HASH: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *HASH.get_or_init(|| lockstep_replay::stable_hash(&[0u8; PAGE_SIZE as usize]))
}

/// The physical address space of one machine.
#[derive(Default)]
pub struct Bus {
    ram: Vec<RamRegion>,
    mmio: Vec<MmioRegion>,
    /// The I/O port space (x86's IN and OUT): devices at port ranges.
    pio: Vec<MmioRegion>,
    /// For each page marked as code, which granules hold translated code.
    /// Only looked up by key, never iterated.
    code_granules: std::collections::HashMap<u64, u64>,
    dirty_code: Vec<u64>,
    /// Wrapping sum of every RAM page's `page_hash`.
    ram_sum: u64,
    /// Accesses where nothing answers read as zero and write nowhere (a
    /// PC), instead of being external aborts (ARM).
    unassigned_open: bool,
}

/// A region could not be added.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Two regions would overlap.
    #[error("region {name} at {base:#x}+{size:#x} overlaps another region")]
    Overlap { name: String, base: u64, size: u64 },
    /// The host could not map the RAM.
    #[error("cannot map {size} bytes of guest RAM: {source}")]
    Map { size: u64, source: std::io::Error },
}

impl Bus {
    /// An empty address space.
    pub fn new() -> Self {
        Self::default()
    }

    fn overlaps(&self, base: u64, size: u64) -> bool {
        let end = base + size;
        self.ram
            .iter()
            .map(|r| (r.base, r.base + r.ram.len() as u64))
            .chain(self.mmio.iter().map(|m| (m.base, m.base + m.size)))
            .any(|(b, e)| base < e && b < end)
    }

    /// Adds `size` bytes of zeroed RAM at `base` (both page aligned).
    pub fn add_ram(&mut self, base: u64, size: u64) -> Result<(), BusError> {
        if self.overlaps(base, size) {
            return Err(BusError::Overlap {
                name: "ram".into(),
                base,
                size,
            });
        }
        let ram = GuestRam::new(size as usize).map_err(|source| BusError::Map { size, source })?;
        let pages = size.div_ceil(PAGE_SIZE) as usize;
        self.ram.push(RamRegion {
            base,
            ram,
            code: vec![0; pages.div_ceil(64)],
            // A fresh mapping is all zeros, and zero pages count for
            // nothing in the digest: no page needs hashing until written.
            dirty: vec![0; pages.div_ceil(64)],
            page_hash: vec![0; pages],
        });
        self.ram.sort_by_key(|r| r.base);
        Ok(())
    }

    /// Maps a device at `base`.
    pub fn add_mmio(
        &mut self,
        base: u64,
        size: u64,
        device: Box<dyn MmioDevice>,
    ) -> Result<(), BusError> {
        if self.overlaps(base, size) {
            return Err(BusError::Overlap {
                name: device.name().to_string(),
                base,
                size,
            });
        }
        self.mmio.push(MmioRegion { base, size, device });
        Ok(())
    }

    /// Maps a device at I/O ports `base..base + size` (x86's port
    /// space, apart from physical memory). The device sees the offset
    /// from `base`.
    pub fn add_pio(
        &mut self,
        base: u16,
        size: u16,
        device: Box<dyn MmioDevice>,
    ) -> Result<(), BusError> {
        let (b, e) = (u64::from(base), u64::from(base) + u64::from(size));
        if self.pio.iter().any(|m| b < m.base + m.size && m.base < e) {
            return Err(BusError::Overlap {
                name: device.name().to_string(),
                base: b,
                size: u64::from(size),
            });
        }
        self.pio.push(MmioRegion {
            base: b,
            size: u64::from(size),
            device,
        });
        Ok(())
    }

    fn pio_region(&mut self, port: u16) -> Option<(&mut MmioRegion, u64)> {
        self.pio.iter_mut().find_map(|m| {
            let off = u64::from(port).wrapping_sub(m.base);
            (off < m.size).then_some((m, off))
        })
    }

    /// Reads `size` bytes from I/O port `port`. A port no device claims
    /// reads as all ones, as on a PC's ISA bus.
    pub fn pio_read(&mut self, ctx: &IoCtx, port: u16, size: u8) -> u64 {
        let mask = u64::MAX >> (64 - 8 * u32::from(size));
        match self.pio_region(port) {
            Some((m, off)) => m.device.read(ctx, off, size) & mask,
            None => mask,
        }
    }

    /// Writes `size` bytes to I/O port `port` (ignored where no device
    /// claims it).
    pub fn pio_write(&mut self, ctx: &IoCtx, port: u16, size: u8, value: u64) {
        if let Some((m, off)) = self.pio_region(port) {
            m.device.write(ctx, off, size, value);
        }
    }

    /// Makes accesses to addresses nothing answers at read as zero and
    /// ignore writes, as on a PC (whose bus completes them; QEMU reads
    /// zero), instead of raising an external abort.
    pub fn set_unassigned_open(&mut self, open: bool) {
        self.unassigned_open = open;
    }

    /// Whether unassigned accesses complete (see
    /// [`Bus::set_unassigned_open`]).
    pub fn unassigned_is_open(&self) -> bool {
        self.unassigned_open
    }

    /// Finds what lives at `paddr`.
    pub fn resolve(&mut self, paddr: u64) -> Target {
        for r in &mut self.ram {
            let off = paddr.wrapping_sub(r.base);
            if off < r.ram.len() as u64 {
                let page = (off >> PAGE_BITS) as usize;
                let code = r.code[page / 64] & (1 << (page % 64)) != 0;
                // SAFETY: off is within the mapping.
                let host = unsafe { r.ram.host_base().add(off as usize) };
                return Target::Ram { host, code };
            }
        }
        for (i, m) in self.mmio.iter().enumerate() {
            let off = paddr.wrapping_sub(m.base);
            if off < m.size {
                return Target::Mmio {
                    region: i,
                    offset: off,
                };
            }
        }
        Target::Unmapped
    }

    /// Reads a device register (see [`Target::Mmio`]).
    pub fn mmio_read(&mut self, ctx: &IoCtx, region: usize, offset: u64, size: u8) -> u64 {
        self.mmio[region].device.read(ctx, offset, size)
    }

    /// Writes a device register (see [`Target::Mmio`]).
    pub fn mmio_write(&mut self, ctx: &IoCtx, region: usize, offset: u64, size: u8, value: u64) {
        self.mmio[region].device.write(ctx, offset, size, value)
    }

    /// The RAM bytes `[paddr, paddr+len)` if they lie in one RAM region
    /// (marked dirty: the caller may write them).
    pub fn ram_slice_mut(&mut self, paddr: u64, len: u64) -> Option<&mut [u8]> {
        let r = self.ram.iter_mut().find(|r| {
            let off = paddr.wrapping_sub(r.base);
            off < r.ram.len() as u64 && len <= r.ram.len() as u64 - off
        })?;
        let off = (paddr - r.base) as usize;
        if len > 0 {
            let (first, last) = (off >> PAGE_BITS, (off + len as usize - 1) >> PAGE_BITS);
            for p in first..=last {
                r.dirty[p / 64] |= 1 << (p % 64);
            }
        }
        Some(&mut r.ram.bytes_mut()[off..off + len as usize])
    }

    /// Resets every device and clears RAM (a machine reset): RAM reads as
    /// zero, every page is dirty, nothing is marked as translated code.
    pub fn reset(&mut self) {
        for m in self.mmio.iter_mut().chain(self.pio.iter_mut()) {
            m.device.reset();
        }
        for r in &mut self.ram {
            r.ram.bytes_mut().fill(0);
            r.code.iter_mut().for_each(|w| *w = 0);
            r.dirty.iter_mut().for_each(|w| *w = 0);
            r.page_hash.iter_mut().for_each(|h| *h = 0);
        }
        self.ram_sum = 0;
        self.code_granules.clear();
        self.dirty_code.clear();
    }

    /// Whether the page of `paddr` (RAM) is marked dirty.
    pub fn page_dirty(&self, paddr: u64) -> bool {
        self.ram.iter().any(|r| {
            let off = paddr.wrapping_sub(r.base);
            let p = (off >> PAGE_BITS) as usize;
            off < r.ram.len() as u64 && r.dirty[p / 64] & (1 << (p % 64)) != 0
        })
    }

    /// Marks the page of `paddr` (RAM) dirty: it may be written without
    /// the bus seeing it.
    pub fn mark_dirty(&mut self, paddr: u64) {
        if let Some(r) = self
            .ram
            .iter_mut()
            .find(|r| paddr.wrapping_sub(r.base) < r.ram.len() as u64)
        {
            let p = ((paddr - r.base) >> PAGE_BITS) as usize;
            r.dirty[p / 64] |= 1 << (p % 64);
        }
    }

    /// Marks every page of `[paddr, paddr+len)` dirty.
    pub fn mark_dirty_range(&mut self, paddr: u64, len: u64) {
        let mut page = paddr & !(PAGE_SIZE - 1);
        while page < paddr + len {
            self.mark_dirty(page);
            page += PAGE_SIZE;
        }
    }

    /// A hash of all of guest RAM, kept incrementally: only pages marked
    /// dirty since the last call are hashed again, and their marks are
    /// cleared. The caller must then make sure no fast write path lets a
    /// page change unmarked (the softmmu drops its TLB write tags).
    ///
    /// The value depends only on RAM's contents: each page that is not all
    /// zeros has its hash mixed with its address, and the results are
    /// summed (all-zero RAM digests to 0).
    pub fn ram_digest(&mut self) -> u64 {
        use std::hash::Hasher;
        for r in &mut self.ram {
            let bytes = r.ram.bytes();
            for (w, word) in r.dirty.iter_mut().enumerate() {
                while *word != 0 {
                    let bit = word.trailing_zeros() as usize;
                    *word &= *word - 1;
                    let p = w * 64 + bit;
                    let Some(data) = bytes.get(p << PAGE_BITS..(p + 1) << PAGE_BITS) else {
                        continue;
                    };
                    let content = lockstep_replay::stable_hash(data);
                    // A page of zeros counts for nothing, so RAM nobody
                    // wrote never needs hashing; any other page counts its
                    // contents mixed with its address.
                    let new = if content == zero_page_hash() {
                        0
                    } else {
                        let mut h = lockstep_replay::StableHasher::new();
                        h.write_u64(r.base + ((p as u64) << PAGE_BITS));
                        h.write_u64(content);
                        h.finish()
                    };
                    self.ram_sum = self.ram_sum.wrapping_sub(r.page_hash[p]).wrapping_add(new);
                    r.page_hash[p] = new;
                }
            }
        }
        self.ram_sum
    }

    /// A DMA handle over every RAM region, recording writes in
    /// `written` (see [`crate::dma`]).
    pub fn dma(
        &mut self,
        written: std::rc::Rc<std::cell::RefCell<Vec<(u64, u64)>>>,
    ) -> crate::dma::Dma {
        let regions = self
            .ram
            .iter_mut()
            .map(|r| (r.base, r.ram.len() as u64, r.ram.host_base()))
            .collect();
        // SAFETY: the mappings live as long as the bus, which outlives the
        // devices it owns (the only holders of the handle), and guest RAM
        // is only touched from the guest thread.
        unsafe { crate::dma::Dma::new(regions, written) }
    }

    /// The RAM regions as (base, bytes), lowest first.
    pub fn ram_regions(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.ram.iter().map(|r| (r.base, r.ram.bytes()))
    }

    fn code_bit(&mut self, paddr: u64) -> Option<(&mut u64, u64)> {
        let r = self
            .ram
            .iter_mut()
            .find(|r| paddr.wrapping_sub(r.base) < r.ram.len() as u64)?;
        let page = ((paddr - r.base) >> PAGE_BITS) as usize;
        Some((&mut r.code[page / 64], 1 << (page % 64)))
    }

    /// Records that `[paddr, paddr+len)` (within one or two pages) holds
    /// translated code: writes to its pages take the slow path from now on.
    /// Returns the pages that were not marked before (the caller must drop
    /// fast write paths to them from the TLB).
    pub fn mark_code(&mut self, paddr: u64, len: u64) -> Vec<u64> {
        let mut newly = Vec::new();
        let end = paddr + len.max(1);
        let mut a = paddr;
        while a < end {
            let page = a & !(PAGE_SIZE - 1);
            let stop = end.min(page + PAGE_SIZE);
            let first = (a - page) / CODE_GRANULE;
            let last = (stop - 1 - page) / CODE_GRANULE;
            let bits = (u64::MAX >> (63 - (last - first))) << first;
            *self.code_granules.entry(page).or_insert(0) |= bits;
            if let Some((word, bit)) = self.code_bit(page) {
                if *word & bit == 0 {
                    *word |= bit;
                    newly.push(page);
                }
            }
            a = stop;
        }
        newly
    }

    /// A guest write of `size` bytes at `paddr` reached a page marked as
    /// code. If it overlaps translated code, the page is unmarked and
    /// remembered for the engine (which drops the page's translations) and
    /// true is returned; a write to data that merely shares the page
    /// changes nothing.
    pub fn note_code_write(&mut self, paddr: u64, size: u64) -> bool {
        let page = paddr & !(PAGE_SIZE - 1);
        let first = (paddr - page) / CODE_GRANULE;
        let last = ((paddr + size - 1).min(page + PAGE_SIZE - 1) - page) / CODE_GRANULE;
        let bits = (u64::MAX >> (63 - (last - first))) << first;
        let granules = self.code_granules.get(&page).copied().unwrap_or(u64::MAX);
        if granules & bits == 0 {
            return false;
        }
        self.code_granules.remove(&page);
        if let Some((word, bit)) = self.code_bit(page) {
            *word &= !bit;
        }
        self.dirty_code.push(page);
        true
    }

    /// Physical pages whose code was overwritten since the last call.
    pub fn take_dirty_code(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.dirty_code)
    }

    /// True if code pages were written since the last [`Bus::take_dirty_code`].
    pub fn has_dirty_code(&self) -> bool {
        !self.dirty_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Reg(u64);
    impl MmioDevice for Reg {
        fn name(&self) -> &'static str {
            "reg"
        }
        fn read(&mut self, _: &IoCtx, _: u64, _: u8) -> u64 {
            self.0
        }
        fn write(&mut self, _: &IoCtx, _: u64, _: u8, v: u64) {
            self.0 = v
        }
    }

    #[test]
    fn resolves_ram_mmio_and_holes() {
        let mut bus = Bus::new();
        bus.add_ram(0x4000_0000, 0x10000).unwrap();
        bus.add_mmio(0x900_0000, 0x1000, Box::new(Reg(7))).unwrap();
        assert!(matches!(
            bus.resolve(0x4000_0004),
            Target::Ram { code: false, .. }
        ));
        assert_eq!(
            bus.resolve(0x900_0010),
            Target::Mmio {
                region: 0,
                offset: 0x10
            }
        );
        assert_eq!(bus.resolve(0x4001_0000), Target::Unmapped);
        assert_eq!(bus.mmio_read(&IoCtx::default(), 0, 0, 4), 7);
        assert!(bus.add_ram(0x4000_8000, 0x1000).is_err());
    }

    #[test]
    fn ram_digest_follows_contents_not_history() {
        let mut a = Bus::new();
        a.add_ram(0x4000_0000, 0x4000).unwrap();
        let mut b = Bus::new();
        b.add_ram(0x4000_0000, 0x4000).unwrap();
        let d0 = a.ram_digest();
        assert_eq!(d0, b.ram_digest());
        a.ram_slice_mut(0x4000_1004, 2)
            .unwrap()
            .copy_from_slice(&[1, 2]);
        let d1 = a.ram_digest();
        assert_ne!(d0, d1);
        // A page marked dirty but unchanged hashes as before.
        a.mark_dirty(0x4000_3000);
        assert!(a.page_dirty(0x4000_3000));
        assert_eq!(a.ram_digest(), d1);
        assert!(!a.page_dirty(0x4000_3000));
        // The same bytes reached another way give the same digest.
        b.ram_slice_mut(0x4000_1000, 8)
            .unwrap()
            .copy_from_slice(&[0, 0, 0, 0, 1, 2, 0, 0]);
        assert_eq!(b.ram_digest(), d1);
    }

    #[test]
    fn code_pages_are_tracked_until_their_code_is_written() {
        let mut bus = Bus::new();
        bus.add_ram(0x4000_0000, 0x10000).unwrap();
        assert_eq!(bus.mark_code(0x4000_1234, 8), vec![0x4000_1000]);
        assert_eq!(bus.mark_code(0x4000_1000, 4), vec![]);
        assert!(matches!(
            bus.resolve(0x4000_1ffc),
            Target::Ram { code: true, .. }
        ));
        // Data sharing the page: no invalidation, the page stays marked.
        assert!(!bus.note_code_write(0x4000_1800, 4));
        assert!(!bus.has_dirty_code());
        // A write into the code granule.
        assert!(bus.note_code_write(0x4000_1238, 2));
        assert_eq!(bus.take_dirty_code(), vec![0x4000_1000]);
        assert!(matches!(
            bus.resolve(0x4000_1ffc),
            Target::Ram { code: false, .. }
        ));
        // A block crossing into the next page marks both.
        assert_eq!(
            bus.mark_code(0x4000_2ff8, 16),
            vec![0x4000_2000, 0x4000_3000]
        );
    }
}
