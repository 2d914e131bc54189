//! Linux's 32-bit boot protocol for x86 bzImages (Documentation/x86/
//! boot.rst): no BIOS, no real-mode setup code run.
//!
//! The setup header (at 0x1f1 in the file) says how many 512-byte
//! sectors of real-mode setup precede the protected-mode kernel, which is
//! loaded at 1 MiB. The loader builds the "zero page" (`boot_params`):
//! the setup header copied in, the loader type, the command line and
//! initrd addresses, and an e820 memory map; it enters the kernel at
//! `code32_start` in 32-bit protected mode with paging and interrupts
//! off, flat segments `__BOOT_CS` (0x10) and `__BOOT_DS` (0x18) from a
//! GDT it provides, and ESI pointing at `boot_params`.

use lockstep_runtime::Bus;

/// Where `boot_params` goes.
pub const BOOT_PARAMS: u32 = 0x1_0000;
/// Where the command line goes.
pub const CMDLINE: u32 = 0x2_0000;
/// Where the loader's GDT goes.
pub const GDT: u32 = 0x8000;
/// Where the protected-mode kernel goes.
pub const KERNEL: u32 = 0x10_0000;

/// A kernel that cannot be booted.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct BzImageError {
    path: String,
    why: String,
}

/// Whether `bytes` is a bzImage (the "HdrS" signature at 0x202).
pub fn is_bzimage(bytes: &[u8]) -> bool {
    bytes.get(0x202..0x206) == Some(b"HdrS")
}

/// What the boot set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booted {
    /// The protected-mode entry.
    pub entry: u32,
    /// `boot_params` (ESI).
    pub boot_params: u32,
}

/// An e820 region type.
const E820_RAM: u32 = 1;
const E820_RESERVED: u32 = 2;

/// Loads `kernel` (named `path`), `initrd` and `cmdline` for a machine
/// with `memory` bytes of RAM at 0 (and ACPI tables whose RSDP is at
/// `rsdp`, if any, which `boot_params` then names).
pub fn load(
    path: &str,
    kernel: &[u8],
    initrd: Option<&[u8]>,
    cmdline: &str,
    bus: &mut Bus,
    memory: u64,
    rsdp: Option<u32>,
) -> Result<Booted, BzImageError> {
    let err = |why: String| BzImageError {
        path: path.to_string(),
        why,
    };
    if kernel.len() < 0x264 || !is_bzimage(kernel) {
        return Err(err(
            "not a bzImage (no HdrS setup header at offset 0x202)".into()
        ));
    }
    let u16_at = |o: usize| u16::from_le_bytes([kernel[o], kernel[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(kernel[o..o + 4].try_into().unwrap());
    if u16_at(0x1fe) != 0xaa55 {
        return Err(err("offset 0x1fe: boot flag is not 0xaa55".into()));
    }
    let version = u16_at(0x206);
    if version < 0x0206 {
        return Err(err(format!(
            "offset 0x206: boot protocol {}.{:02} is too old (2.06 or later needed)",
            version >> 8,
            version & 0xff
        )));
    }
    if kernel[0x211] & 1 == 0 {
        return Err(err(
            "offset 0x211: not loaded high (a zImage, not a bzImage)".into(),
        ));
    }
    let setup_sects = match kernel[0x1f1] {
        0 => 4,
        n => usize::from(n),
    };
    let pm_start = (setup_sects + 1) * 512;
    if pm_start >= kernel.len() {
        return Err(err(format!(
            "offset 0x1f1: {setup_sects} setup sectors leave no protected-mode kernel in a file of {} bytes",
            kernel.len()
        )));
    }
    let pm = &kernel[pm_start..];
    // The kernel needs `init_size` bytes from where it is loaded (it
    // decompresses in place).
    let init_size = u64::from(u32_at(0x260)).max(pm.len() as u64);
    if u64::from(KERNEL) + init_size > memory {
        return Err(err(format!(
            "the kernel needs {} MiB of RAM from 1 MiB on; -m gives {} MiB",
            (init_size + (1 << 20) - 1) >> 20,
            memory >> 20
        )));
    }
    let cmdline_size = u32_at(0x238) as usize;
    if cmdline.len() >= cmdline_size.max(256) {
        return Err(err(format!(
            "the command line is {} bytes; this kernel takes at most {}",
            cmdline.len(),
            cmdline_size.max(256) - 1
        )));
    }
    let mut put = |addr: u64, data: &[u8]| -> Result<(), BzImageError> {
        bus.ram_slice_mut(addr, data.len() as u64)
            .ok_or_else(|| {
                err(format!(
                    "{:#x}+{:#x} does not fit in guest RAM",
                    addr,
                    data.len()
                ))
            })?
            .copy_from_slice(data);
        Ok(())
    };
    put(u64::from(KERNEL), pm)?;
    // The initrd goes as high as the kernel allows, page aligned.
    let mut params = vec![0u8; 4096];
    let hdr_end = 0x202 + usize::from(kernel[0x201]);
    params[0x1f1..hdr_end.min(4096)].copy_from_slice(&kernel[0x1f1..hdr_end.min(kernel.len())]);
    if let Some(rd) = initrd {
        let max = u64::from(u32_at(0x22c)).min(memory - 1);
        let top = (max + 1) & !0xfff;
        let start = top
            .checked_sub(rd.len() as u64)
            .map(|a| a & !0xfff)
            .filter(|&a| a >= u64::from(KERNEL) + init_size)
            .ok_or_else(|| {
                err(format!(
                    "the initrd ({} bytes) does not fit below {:#x} above the kernel; give more memory (-m)",
                    rd.len(),
                    top
                ))
            })?;
        put(start, rd)?;
        params[0x218..0x21c].copy_from_slice(&(start as u32).to_le_bytes());
        params[0x21c..0x220].copy_from_slice(&(rd.len() as u32).to_le_bytes());
    }
    // The loader: "undefined" (0xff), as QEMU's direct boot says it is
    // a boot loader without an assigned ID.
    params[0x210] = 0xff;
    params[0x228..0x22c].copy_from_slice(&CMDLINE.to_le_bytes());
    let mut c = cmdline.as_bytes().to_vec();
    c.push(0);
    put(u64::from(CMDLINE), &c)?;
    // The e820 map: low memory, the legacy hole (VGA, BIOS), the rest.
    let regions: [(u64, u64, u32); 4] = [
        (0, 0x9_fc00, E820_RAM),
        (0x9_fc00, 0x400, E820_RESERVED),
        (0xe_0000, 0x2_0000, E820_RESERVED),
        (0x10_0000, memory - 0x10_0000, E820_RAM),
    ];
    for (i, (addr, size, kind)) in regions.iter().enumerate() {
        let o = 0x2d0 + 20 * i;
        params[o..o + 8].copy_from_slice(&addr.to_le_bytes());
        params[o + 8..o + 16].copy_from_slice(&size.to_le_bytes());
        params[o + 16..o + 20].copy_from_slice(&kind.to_le_bytes());
    }
    params[0x1e8] = regions.len() as u8;
    if let Some(rsdp) = rsdp {
        params[0x70..0x78].copy_from_slice(&u64::from(rsdp).to_le_bytes());
    }
    put(u64::from(BOOT_PARAMS), &params)?;
    // GDT: null, null, __BOOT_CS (0x10) flat code, __BOOT_DS (0x18) flat
    // data.
    let gdt: [u64; 4] = [0, 0, 0x00cf_9a00_0000_ffff, 0x00cf_9200_0000_ffff];
    let gdt_bytes: Vec<u8> = gdt.iter().flat_map(|d| d.to_le_bytes()).collect();
    put(u64::from(GDT), &gdt_bytes)?;
    Ok(Booted {
        entry: u32_at(0x214),
        boot_params: BOOT_PARAMS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_header_is_a_clear_error() {
        let mut bus = Bus::new();
        bus.add_ram(0, 64 << 20).unwrap();
        let mut k = vec![0u8; 0x1000];
        let e = load("k", &k, None, "", &mut bus, 64 << 20, None).unwrap_err();
        assert!(e.to_string().contains("not a bzImage"), "{e}");
        k[0x202..0x206].copy_from_slice(b"HdrS");
        let e = load("k", &k, None, "", &mut bus, 64 << 20, None).unwrap_err();
        assert!(e.to_string().contains("0xaa55"), "{e}");
        k[0x1fe..0x200].copy_from_slice(&0xaa55u16.to_le_bytes());
        k[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
        k[0x211] = 1;
        k[0x1f1] = 200;
        let e = load("k", &k, None, "", &mut bus, 64 << 20, None).unwrap_err();
        assert!(e.to_string().contains("setup sectors"), "{e}");
    }
}
