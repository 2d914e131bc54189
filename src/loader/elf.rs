//! Loading 32-bit little-endian ELF executables (ARM, i386) into guest
//! memory.
//!
//! Segments are placed at their physical addresses (`p_paddr`), as QEMU's
//! `-kernel` does for ELF images, and the part of each segment beyond its
//! file size is zeroed. Every malformed field is reported with the file
//! name and the byte offset of the field.

use lockstep_runtime::Bus;
use std::path::Path;

/// An ELF file that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// A field is malformed.
    #[error("{path}: offset {offset:#x}: {what}")]
    Malformed {
        path: String,
        offset: u64,
        what: String,
    },
    /// A segment does not fit in guest RAM.
    #[error("{path}: segment {index} ({addr:#x}+{size:#x}) does not lie in guest RAM")]
    OutsideRam {
        path: String,
        index: usize,
        addr: u64,
        size: u64,
    },
}

/// What loading produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedElf {
    /// The entry point.
    pub entry: u32,
    /// (physical address, memory size) of each loaded segment.
    pub segments: Vec<(u64, u64)>,
}

const PT_LOAD: u32 = 1;

/// The ISA an image must be built for: its ELF machine number and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// `e_machine`.
    pub number: u16,
    /// For errors.
    pub name: &'static str,
}

/// 32-bit ARM.
pub const EM_ARM: Machine = Machine {
    number: 40,
    name: "32-bit ARM",
};

/// i386.
pub const EM_386: Machine = Machine {
    number: 3,
    name: "i386",
};

/// A minimal executable ELF image: one loadable segment holding `code`,
/// placed and entered at `addr`. Tests and `lockstep bench` make small
/// guest programs with it.
pub fn minimal_image(addr: u32, code: &[u8], memsz_extra: u32) -> Vec<u8> {
    let mut e = vec![0u8; 52 + 32];
    e[..4].copy_from_slice(b"\x7fELF");
    e[4..7].copy_from_slice(&[1, 1, 1]); // 32-bit, little-endian, version 1
    e[16..18].copy_from_slice(&2u16.to_le_bytes()); // executable
    e[18..20].copy_from_slice(&EM_ARM.number.to_le_bytes());
    e[20..24].copy_from_slice(&1u32.to_le_bytes());
    e[24..28].copy_from_slice(&addr.to_le_bytes());
    e[28..32].copy_from_slice(&52u32.to_le_bytes());
    e[40..42].copy_from_slice(&52u16.to_le_bytes());
    e[42..44].copy_from_slice(&32u16.to_le_bytes());
    e[44..46].copy_from_slice(&1u16.to_le_bytes());
    let len = code.len() as u32;
    let fields: [u32; 8] = [PT_LOAD, 84, addr, addr, len, len + memsz_extra, 7, 4];
    for (i, f) in fields.iter().enumerate() {
        e[52 + 4 * i..56 + 4 * i].copy_from_slice(&f.to_le_bytes());
    }
    e.extend_from_slice(code);
    e
}

/// True if `bytes` starts with the ELF magic.
pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// Reads `path` and loads it into `bus` (an image for `isa`).
pub fn load_file(path: &Path, bus: &mut Bus, isa: Machine) -> Result<LoadedElf, ElfError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ElfError::Io {
        path: name.clone(),
        source,
    })?;
    load(&name, &bytes, bus, isa)
}

/// Loads the ELF image `bytes` (named `path` in errors), built for
/// `isa`, into `bus`.
pub fn load(path: &str, bytes: &[u8], bus: &mut Bus, isa: Machine) -> Result<LoadedElf, ElfError> {
    let bad = |offset: u64, what: &str| ElfError::Malformed {
        path: path.to_string(),
        offset,
        what: what.to_string(),
    };
    let u16_at = |o: usize| -> Result<u16, ElfError> {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| bad(o as u64, "file ends inside the ELF header"))
    };
    let u32_at = |o: usize| -> Result<u32, ElfError> {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| bad(o as u64, "file ends inside a header"))
    };
    if !is_elf(bytes) {
        return Err(bad(0, "not an ELF file (no \\x7fELF magic)"));
    }
    match bytes.get(4) {
        Some(1) => {}
        Some(2) => {
            return Err(bad(
                4,
                &format!("64-bit ELF; this machine takes {} executables", isa.name),
            ))
        }
        _ => return Err(bad(4, "invalid ELF class")),
    }
    match bytes.get(5) {
        Some(1) => {}
        Some(2) => {
            return Err(bad(
                5,
                "big-endian ELF; only little-endian images are supported",
            ))
        }
        _ => return Err(bad(5, "invalid ELF data encoding")),
    }
    let machine = u16_at(18)?;
    if machine != isa.number {
        return Err(bad(
            18,
            &format!("ELF machine {machine} is not {} ({})", isa.name, isa.number),
        ));
    }
    let entry = u32_at(24)?;
    let phoff = u32_at(28)? as usize;
    let phentsize = u16_at(42)? as usize;
    let phnum = u16_at(44)? as usize;
    if phnum == 0 {
        return Err(bad(44, "no program headers: nothing to load"));
    }
    if phentsize < 32 {
        return Err(bad(
            42,
            &format!("program header size {phentsize} is smaller than 32"),
        ));
    }
    let mut segments = Vec::new();
    for i in 0..phnum {
        let ph = phoff
            .checked_add(i * phentsize)
            .filter(|&o| o + 32 <= bytes.len())
            .ok_or_else(|| {
                bad(
                    phoff as u64,
                    &format!("program header {i} lies outside the file"),
                )
            })?;
        if u32_at(ph)? != PT_LOAD {
            continue;
        }
        let offset = u32_at(ph + 4)? as usize;
        let paddr = u64::from(u32_at(ph + 12)?);
        let filesz = u32_at(ph + 16)? as usize;
        let memsz = u64::from(u32_at(ph + 20)?);
        if (filesz as u64) > memsz {
            return Err(bad(
                (ph + 16) as u64,
                &format!("segment {i}: file size {filesz:#x} exceeds memory size {memsz:#x}"),
            ));
        }
        let data = offset
            .checked_add(filesz)
            .and_then(|end| bytes.get(offset..end))
            .ok_or_else(|| {
                bad(
                    (ph + 4) as u64,
                    &format!("segment {i}: data {offset:#x}+{filesz:#x} lies outside the file"),
                )
            })?;
        if memsz == 0 {
            continue;
        }
        let ram = bus
            .ram_slice_mut(paddr, memsz)
            .ok_or(ElfError::OutsideRam {
                path: path.to_string(),
                index: i,
                addr: paddr,
                size: memsz,
            })?;
        ram[..filesz].copy_from_slice(data);
        ram[filesz..].fill(0);
        segments.push((paddr, memsz));
    }
    if segments.is_empty() {
        return Err(bad(phoff as u64, "no loadable segment"));
    }
    Ok(LoadedElf { entry, segments })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_elf(addr: u32, code: &[u8]) -> Vec<u8> {
        minimal_image(addr, code, 16)
    }

    fn bus() -> Bus {
        let mut b = Bus::new();
        b.add_ram(0x4000_0000, 0x10_0000).unwrap();
        b
    }

    #[test]
    fn loads_segments_and_zeroes_bss() {
        let mut b = bus();
        b.ram_slice_mut(0x4000_1000, 32).unwrap().fill(0xaa);
        let elf = tiny_elf(0x4000_1000, &[1, 2, 3, 4]);
        let l = load("t.elf", &elf, &mut b, EM_ARM).unwrap();
        assert_eq!(l.entry, 0x4000_1000);
        assert_eq!(
            &b.ram_slice_mut(0x4000_1000, 21).unwrap()[..],
            &[1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa]
        );
    }

    #[test]
    fn malformed_images_name_file_and_offset() {
        let mut b = bus();
        let err = load("x.bin", b"hello", &mut b, EM_ARM)
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.bin") && err.contains("not an ELF"), "{err}");
        let mut elf = tiny_elf(0x4000_1000, &[0; 4]);
        elf.truncate(60);
        let err = load("cut.elf", &elf, &mut b, EM_ARM)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cut.elf: offset 0x34"), "{err}");
        let elf = tiny_elf(0x1000, &[0; 4]);
        let err = load("low.elf", &elf, &mut b, EM_ARM)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not lie in guest RAM"), "{err}");
        let mut elf = tiny_elf(0x4000_1000, &[0; 4]);
        elf[18] = 3;
        assert!(load("x86.elf", &elf, &mut b, EM_ARM)
            .unwrap_err()
            .to_string()
            .contains("not 32-bit ARM"));
    }

    #[test]
    fn mutated_images_never_panic() {
        let good = tiny_elf(0x4000_1000, &[0x11; 64]);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut b = bus();
        for _ in 0..20_000 {
            let mut elf = good.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % elf.len() as u64) as usize;
                elf[i] = next() as u8;
            }
            if next() % 8 == 0 {
                let len = (next() % elf.len() as u64) as usize;
                elf.truncate(len);
            }
            let _ = load("fuzz.elf", &elf, &mut b, EM_ARM);
        }
    }
}
