//! Linux's 32-bit ARM boot protocol: which kind of kernel image a file is,
//! and where the kernel, the initial RAM disk and the device tree go.
//!
//! Placement follows QEMU's ARM boot code, so a kernel sees the same
//! layout on both: the kernel at RAM + 64 KiB (a zImage decompresses
//! itself to RAM + 32 KiB, moving itself out of the way first if it
//! must), the initrd at RAM + min(RAM/2, 128 MiB), the device tree on the
//! next 4 KiB boundary after it.

use std::path::Path;

/// What kind of kernel image a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// An ELF file: loaded at its program headers' physical addresses
    /// (a bare-metal program, or a vmlinux).
    Elf,
    /// A self-decompressing ARM zImage.
    Zimage,
    /// An uncompressed ARM `Image` (raw code, no header to check).
    Image,
}

/// Offset of a kernel image from the start of RAM.
pub const KERNEL_OFFSET: u64 = 0x1_0000;

/// The zImage magic number, at offset 0x24.
const ZIMAGE_MAGIC: u32 = 0x016f_2818;

/// A kernel file that cannot be booted, and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct ImageError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub why: String,
}

/// Tells what kind of kernel `bytes` (read from `path`) is, or why it is
/// not one Lockstep can boot.
pub fn classify(path: &Path, bytes: &[u8]) -> Result<KernelKind, ImageError> {
    let err = |why: String| ImageError {
        path: path.display().to_string(),
        why,
    };
    let le32 = |off: usize| {
        bytes
            .get(off..off + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if super::elf::is_elf(bytes) {
        return Ok(KernelKind::Elf);
    }
    if le32(0x24) == Some(ZIMAGE_MAGIC) {
        let (start, end) = (le32(0x28).unwrap_or(0), le32(0x2c).unwrap_or(0));
        if end <= start || (end - start) as usize > bytes.len() {
            return Err(err(format!(
                "zImage header (offset 0x28) gives an image of {} bytes, but the file has {}",
                end.wrapping_sub(start),
                bytes.len()
            )));
        }
        return Ok(KernelKind::Zimage);
    }
    if bytes.len() >= 4
        && u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) == 0x2705_1956
    {
        return Err(err(
            "a U-Boot uImage: boot the zImage inside it instead (strip the 64-byte header)".into(),
        ));
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(err(
            "a gzip file: give the zImage (vmlinuz), not a compressed vmlinux".into(),
        ));
    }
    if bytes.get(0x38..0x3c) == Some(b"ARM\x64") {
        return Err(err(
            "a 64-bit ARM (arm64) kernel: arm-virt runs 32-bit ARM".into()
        ));
    }
    if bytes.len() < 4096 {
        return Err(err(format!(
            "{} bytes is neither an ELF file, a zImage nor a plausible kernel Image",
            bytes.len()
        )));
    }
    Ok(KernelKind::Image)
}

/// Where each part of a Linux boot goes in guest physical memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Kernel load address (also the entry point).
    pub kernel: u64,
    /// Initrd start, if there is one.
    pub initrd: Option<(u64, u64)>,
    /// Device tree address.
    pub dtb: u64,
}

/// Places a kernel of `kernel_len` bytes, an initrd of `initrd_len` bytes
/// and a device tree of `dtb_len` bytes in `ram_size` bytes of RAM at
/// `ram_base`; an error says what does not fit.
pub fn layout(
    ram_base: u64,
    ram_size: u64,
    kernel_len: u64,
    initrd_len: Option<u64>,
    dtb_len: u64,
) -> Result<Layout, String> {
    let align = |v: u64, a: u64| v.div_ceil(a) * a;
    let kernel = ram_base + KERNEL_OFFSET;
    let kernel_end = kernel + kernel_len;
    let ram_end = ram_base + ram_size;
    if kernel_end > ram_end {
        return Err(format!(
            "the kernel ({kernel_len} bytes at {kernel:#x}) does not fit in {} MiB of RAM",
            ram_size >> 20
        ));
    }
    let mut next = align(
        (ram_base + (ram_size / 2).min(128 << 20)).max(kernel_end),
        4096,
    );
    let initrd = match initrd_len {
        Some(len) => {
            let start = next;
            let end = start + len;
            if end > ram_end {
                return Err(format!(
                    "the initrd ({len} bytes) does not fit in RAM: it would go at {start:#x}, \
                     and RAM ends at {ram_end:#x} (give more memory with -m)"
                ));
            }
            next = align(end, 4096);
            Some((start, end))
        }
        None => None,
    };
    if next + dtb_len > ram_end {
        return Err(format!(
            "the device tree ({dtb_len} bytes) does not fit in RAM after the initrd"
        ));
    }
    Ok(Layout {
        kernel,
        initrd,
        dtb: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_refusals() {
        let p = Path::new("k");
        let mut z = vec![0u8; 0x1000];
        z[0x24..0x28].copy_from_slice(&ZIMAGE_MAGIC.to_le_bytes());
        z[0x2c..0x30].copy_from_slice(&0x800u32.to_le_bytes());
        assert_eq!(classify(p, &z).unwrap(), KernelKind::Zimage);
        z[0x2c..0x30].copy_from_slice(&0x8000u32.to_le_bytes());
        assert!(classify(p, &z).unwrap_err().why.contains("offset 0x28"));
        assert!(classify(p, &[0x1f, 0x8b, 8, 0])
            .unwrap_err()
            .why
            .contains("gzip"));
        assert!(classify(p, b"tiny").is_err());
        assert_eq!(classify(p, &[0u8; 8192]).unwrap(), KernelKind::Image);
    }

    #[test]
    fn layout_as_qemu_places_it() {
        let l = layout(0x4000_0000, 512 << 20, 5 << 20, Some(1 << 20), 0x2000).unwrap();
        assert_eq!(l.kernel, 0x4001_0000);
        assert_eq!(l.initrd, Some((0x4800_0000, 0x4810_0000)));
        assert_eq!(l.dtb, 0x4810_0000);
        let l = layout(0x4000_0000, 64 << 20, 5 << 20, None, 0x2000).unwrap();
        assert_eq!(l.dtb, 0x4200_0000);
        let e = layout(0x4000_0000, 64 << 20, 5 << 20, Some(40 << 20), 0x2000).unwrap_err();
        assert!(e.contains("does not fit"), "{e}");
    }
}
