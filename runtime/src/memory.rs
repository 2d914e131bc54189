//! Guest RAM: one anonymous host mapping per RAM region.

use memmap2::MmapMut;

/// A contiguous block of guest RAM backed by an anonymous host mapping.
///
/// The mapping never moves, so compiled code may hold host pointers into it
/// (through the TLB's addends) for as long as the region lives.
pub struct GuestRam {
    map: MmapMut,
}

impl GuestRam {
    /// Maps `size` bytes of zeroed RAM.
    pub fn new(size: usize) -> std::io::Result<Self> {
        Ok(Self {
            map: MmapMut::map_anon(size)?,
        })
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the region has no bytes (never for a built machine).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The host address of the first byte.
    pub fn host_base(&mut self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    /// The whole region as bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The whole region as mutable bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map
    }
}
