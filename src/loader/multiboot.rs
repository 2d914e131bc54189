//! Multiboot (version 1) kernels: how QEMU's `-kernel` boots a bare-metal
//! i386 ELF program, and so how Lockstep boots one.
//!
//! The image carries a header in its first 8 KiB (magic 0x1BADB002,
//! flags, checksum). The ELF segments are loaded at their physical
//! addresses; the loader writes an information structure (memory sizes,
//! a memory map, the command line, its own name) into low memory and
//! enters the image in 32-bit protected mode with paging and interrupts
//! off, EAX = 0x2BADB002 and EBX = the structure's address.

use super::elf;
use lockstep_runtime::Bus;

/// The header magic.
pub const HEADER_MAGIC: u32 = 0x1bad_b002;
/// What EAX holds at entry.
pub const BOOT_MAGIC: u32 = 0x2bad_b002;
/// Where the information structure goes.
pub const INFO_ADDR: u32 = 0x9000;
/// Where the loader's GDT goes (flat code 0x08, flat data 0x10).
pub const GDT_ADDR: u32 = 0x8000;

/// A multiboot image that cannot be booted.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct MultibootError {
    path: String,
    why: String,
}

/// Finds the multiboot header: its offset, if the image has one.
pub fn find_header(bytes: &[u8]) -> Option<usize> {
    let end = bytes.len().min(8192);
    (0..end.saturating_sub(11)).step_by(4).find(|&o| {
        let w = |i: usize| u32::from_le_bytes(bytes[o + i..o + i + 4].try_into().unwrap());
        w(0) == HEADER_MAGIC && w(0).wrapping_add(w(4)).wrapping_add(w(8)) == 0
    })
}

/// What booting set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booted {
    /// The entry point.
    pub entry: u32,
    /// The information structure's address (EBX).
    pub info: u32,
}

/// Loads the multiboot ELF `bytes` (named `path` in errors) into `bus`,
/// with `memory` bytes of RAM at 0 and the command line `cmdline`.
pub fn load(
    path: &str,
    bytes: &[u8],
    bus: &mut Bus,
    memory: u64,
    cmdline: &str,
) -> Result<Booted, MultibootError> {
    let err = |why: String| MultibootError {
        path: path.to_string(),
        why,
    };
    let Some(h) = find_header(bytes) else {
        return Err(err(
            "no multiboot header (magic 0x1badb002 with a valid checksum) in the first 8 KiB"
                .into(),
        ));
    };
    let flags = u32::from_le_bytes(bytes[h + 4..h + 8].try_into().unwrap());
    // Bits 0 (align modules) and 1 (memory information) are served; a
    // video mode (2), the a.out kludge's load addresses (16) and unknown
    // requirements are not.
    if flags & !0x3 != 0 {
        return Err(err(format!(
            "multiboot header flags {flags:#x} ask for something this loader does not provide (only bits 0 and 1: no video mode, no a.out load addresses)"
        )));
    }
    if !elf::is_elf(bytes) {
        return Err(err(
            "not an ELF file: only ELF multiboot images are supported (no a.out kludge)".into(),
        ));
    }
    let image = elf::load(path, bytes, bus, elf::EM_386).map_err(|e| err(e.to_string()))?;
    let top = image
        .segments
        .iter()
        .map(|&(a, s)| a + s)
        .max()
        .unwrap_or(0);
    let lowest = image.segments.iter().map(|&(a, _)| a).min().unwrap_or(0);
    if lowest < 0x10_0000 && top > u64::from(GDT_ADDR) {
        return Err(err(format!(
            "a segment at {lowest:#x} overlaps the loader's data below 1 MiB; link the image at 1 MiB or above"
        )));
    }
    let mut put = |addr: u32, data: &[u8]| {
        bus.ram_slice_mut(u64::from(addr), data.len() as u64)
            .expect("low memory is RAM")
            .copy_from_slice(data)
    };
    // GDT: null, flat code (0x08), flat data (0x10).
    let gdt: [u64; 3] = [0, 0x00cf_9a00_0000_ffff, 0x00cf_9200_0000_ffff];
    let gdt_bytes: Vec<u8> = gdt.iter().flat_map(|d| d.to_le_bytes()).collect();
    put(GDT_ADDR, &gdt_bytes);
    // The information structure, then the memory map, the command line
    // and the loader's name after it.
    let mmap_addr = INFO_ADDR + 0x100;
    let mut mmap = Vec::new();
    let upper = memory.saturating_sub(0x10_0000);
    for (base, len) in [(0u64, 0x9_fc00u64), (0x10_0000, upper)] {
        mmap.extend_from_slice(&20u32.to_le_bytes());
        mmap.extend_from_slice(&base.to_le_bytes());
        mmap.extend_from_slice(&len.to_le_bytes());
        mmap.extend_from_slice(&1u32.to_le_bytes());
    }
    let cmdline_addr = mmap_addr + 0x100;
    let name_addr = cmdline_addr + 0x1000;
    if cmdline.len() >= 0x1000 {
        return Err(err("the command line is longer than 4095 bytes".into()));
    }
    let mut info = [0u32; 22];
    // mem_lower/upper (bit 0), cmdline (2), mmap (6), loader name (9).
    info[0] = 1 | 1 << 2 | 1 << 6 | 1 << 9;
    info[1] = 640;
    info[2] = (upper / 1024).min(u64::from(u32::MAX)) as u32;
    info[4] = cmdline_addr;
    info[11] = mmap.len() as u32;
    info[12] = mmap_addr;
    info[16] = name_addr;
    let info_bytes: Vec<u8> = info.iter().flat_map(|w| w.to_le_bytes()).collect();
    put(INFO_ADDR, &info_bytes);
    put(mmap_addr, &mmap);
    let mut c = cmdline.as_bytes().to_vec();
    c.push(0);
    put(cmdline_addr, &c);
    put(name_addr, b"lockstep\0");
    Ok(Booted {
        entry: image.entry,
        info: INFO_ADDR,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_needs_its_checksum() {
        let mut b = vec![0u8; 64];
        b[16..20].copy_from_slice(&HEADER_MAGIC.to_le_bytes());
        b[20..24].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(find_header(&b), None);
        let sum = 0u32.wrapping_sub(HEADER_MAGIC).wrapping_sub(3);
        b[24..28].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(find_header(&b), Some(16));
    }
}
