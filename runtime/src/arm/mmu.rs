//! The ARMv7-A MMU (VMSAv7 without the Security and Virtualization
//! Extensions): translation table walks in the short-descriptor format
//! (sections, supersections, large and small pages, domains) and the
//! long-descriptor format of the Large Physical Address Extension
//! (TTBCR.EAE, up to three levels), with the permission checks of each.
//!
//! A walk answers one question — may this access, in this privilege, reach
//! which physical address — and also reports every other access the
//! mapping allows, so the softmmu fills a TLB entry's read, write and
//! fetch tags from one walk. Memory attributes (TEX, C, B, MAIR, TEX remap)
//! do not change what the guest sees on an emulator without caches, so the
//! walk ignores them.

use super::{sctlr, ArmCpu};
use crate::env::{Access, CpuEnv, FaultKind, GuestFault};
use crate::softmmu::{read_phys, Translation, PERM_EXEC, PERM_READ, PERM_WRITE};

/// TTBCR bits.
pub mod ttbcr {
    /// Long-descriptor (LPAE) translation.
    pub const EAE: u32 = 1 << 31;
    /// Short descriptors: no walks through TTBR0.
    pub const PD0: u32 = 1 << 4;
    /// Short descriptors: no walks through TTBR1.
    pub const PD1: u32 = 1 << 5;
    /// Long descriptors: no walks through TTBR0.
    pub const EPD0: u32 = 1 << 7;
    /// Long descriptors: no walks through TTBR1.
    pub const EPD1: u32 = 1 << 23;
    /// Long descriptors: the ASID comes from TTBR1.
    pub const A1: u32 = 1 << 22;
}

/// The ARM meaning of a TLB entry's tag ([`Translation::tag`]): which
/// changes of system state make the entry stale.
pub mod tlb_tag {
    /// The mapping came through a short-descriptor domain, whose number
    /// is in [`DOMAIN`]: a DACR change to that domain drops it.
    pub const HAS_DOMAIN: u32 = 1 << 4;
    /// The domain number.
    pub const DOMAIN: u32 = 0xf;
    /// The mapping is not global (nG): it belongs to the current ASID, and
    /// a change of ASID or translation table base drops it. Global
    /// mappings (the kernel's) stay.
    pub const NOT_GLOBAL: u32 = 1 << 5;

    /// Whether an entry with tag `t` depends on a domain in `domains` (a
    /// bit mask of domain numbers).
    pub fn in_domains(t: u32, domains: u32) -> bool {
        t & HAS_DOMAIN != 0 && domains & 1 << (t & DOMAIN) != 0
    }

    /// Whether an entry with tag `t` belongs to the current ASID only.
    pub fn not_global(t: u32) -> bool {
        t & NOT_GLOBAL != 0
    }
}

/// The privilege of an access: MMU mode 0 is PL1, 1 is PL0 (user).
fn is_user(mmu_idx: usize) -> bool {
    mmu_idx == 1
}

fn fault(kind: FaultKind, access: Access, vaddr: u32) -> GuestFault {
    GuestFault {
        kind,
        access,
        vaddr: u64::from(vaddr),
    }
}

/// The permissions AP[2:0] grant (short descriptors with SCTLR.AFE clear,
/// where AP[0] is a permission bit): (privileged, user).
fn ap_full(ap: u32) -> (u8, u8) {
    const RW: u8 = PERM_READ | PERM_WRITE;
    const RO: u8 = PERM_READ;
    match ap & 7 {
        0b001 => (RW, 0),
        0b010 => (RW, RO),
        0b011 => (RW, RW),
        0b101 => (RO, 0),
        0b110 | 0b111 => (RO, RO),
        _ => (0, 0),
    }
}

/// The simplified model AP[2:1] (short descriptors with SCTLR.AFE set, and
/// every long descriptor): (privileged, user).
fn ap_simple(ap21: u32) -> (u8, u8) {
    const RW: u8 = PERM_READ | PERM_WRITE;
    const RO: u8 = PERM_READ;
    match ap21 & 3 {
        0b00 => (RW, 0),
        0b01 => (RW, RW),
        0b10 => (RO, 0),
        _ => (RO, RO),
    }
}

/// What a final descriptor says, before the access is checked.
struct Mapping {
    paddr: u64,
    /// Data permissions in (privileged, user).
    data: (u8, u8),
    xn: bool,
    pxn: bool,
    level: u8,
    domain: u8,
    /// The domain is Manager: no permission checks at all.
    manager: bool,
    /// log2 of the mapping's size.
    size_log2: u8,
    /// The TLB tag ([`tlb_tag`]).
    tag: u32,
}

/// Turns a mapping into a translation for `access` in `mmu_idx`, or the
/// permission fault.
fn check(
    cpu: &ArmCpu,
    m: Mapping,
    vaddr: u32,
    access: Access,
    mmu_idx: usize,
) -> Result<Translation, GuestFault> {
    let user = is_user(mmu_idx);
    let all = PERM_READ | PERM_WRITE | PERM_EXEC;
    let perms = if m.manager {
        all
    } else {
        let data = if user { m.data.1 } else { m.data.0 };
        // PXN forbids execution at PL1 only.
        let mut exec = data & PERM_READ != 0 && !m.xn && (user || !m.pxn);
        // WXN: writable memory is never executable; UWXN: memory user code
        // may write is never executable at PL1.
        if cpu.sctlr & sctlr::WXN != 0 && data & PERM_WRITE != 0 {
            exec = false;
        }
        if !user && cpu.sctlr & sctlr::UWXN != 0 && m.data.1 & PERM_WRITE != 0 {
            exec = false;
        }
        data | if exec { PERM_EXEC } else { 0 }
    };
    let need = match access {
        Access::Read => PERM_READ,
        Access::Write => PERM_WRITE,
        Access::Fetch => PERM_EXEC,
    };
    if perms & need == 0 {
        return Err(fault(
            FaultKind::Permission {
                level: m.level,
                domain: m.domain,
            },
            access,
            vaddr,
        ));
    }
    Ok(Translation {
        paddr: m.paddr,
        perms,
        size_log2: m.size_log2,
        tag: m.tag,
    })
}

/// Translates `vaddr` for `access` in `mmu_idx` with the MMU as the CPU's
/// system registers configure it.
pub fn translate(
    env: &mut CpuEnv<ArmCpu>,
    vaddr: u64,
    access: Access,
    mmu_idx: usize,
) -> Result<Translation, GuestFault> {
    let va = vaddr as u32;
    if env.arch.sctlr & sctlr::M == 0 {
        return Ok(Translation {
            paddr: u64::from(va),
            perms: PERM_READ | PERM_WRITE | PERM_EXEC,
            size_log2: 12,
            tag: 0,
        });
    }
    if env.arch.ttbcr & ttbcr::EAE != 0 {
        walk_long(env, va, access, mmu_idx)
    } else {
        walk_short(env, va, access, mmu_idx)
    }
}

/// The TLB tag of a short-descriptor mapping in `domain`, global or not.
fn short_tag(domain: u32, not_global: bool) -> u32 {
    tlb_tag::HAS_DOMAIN | domain | if not_global { tlb_tag::NOT_GLOBAL } else { 0 }
}

/// The ASID translations are made for: CONTEXTIDR's low byte with short
/// descriptors; with long descriptors TTBR0's (or, with TTBCR.A1,
/// TTBR1's) bits 55:48.
pub fn current_asid(cpu: &ArmCpu) -> u32 {
    if cpu.ttbcr & ttbcr::EAE == 0 {
        return cpu.contextidr & 0xff;
    }
    let ttbr = if cpu.ttbcr & ttbcr::A1 != 0 {
        cpu.ttbr1
    } else {
        cpu.ttbr0
    };
    (ttbr >> 48) as u32 & 0xff
}

/// The short-descriptor walk.
fn walk_short(
    env: &mut CpuEnv<ArmCpu>,
    va: u32,
    access: Access,
    mmu_idx: usize,
) -> Result<Translation, GuestFault> {
    let cpu = &env.arch;
    let n = cpu.ttbcr & 7;
    // TTBR0 covers the addresses whose top N bits are zero.
    let use_ttbr0 = n == 0 || va >> (32 - n) == 0;
    let (base, index, disabled) = if use_ttbr0 {
        let base = (cpu.ttbr0 as u32) & (0xffff_ffffu32 << (14 - n));
        let index = (va << n) >> (20 + n);
        (base, index, cpu.ttbcr & ttbcr::PD0 != 0)
    } else {
        let base = (cpu.ttbr1 as u32) & 0xffff_c000;
        (base, va >> 20, cpu.ttbcr & ttbcr::PD1 != 0)
    };
    if disabled {
        return Err(fault(FaultKind::Translation { level: 1 }, access, va));
    }
    let afe = cpu.sctlr & sctlr::AFE != 0;
    let dacr = cpu.dacr;
    let l1_addr = u64::from(base | index << 2);
    let Some(l1) = read_phys(env, l1_addr, 4) else {
        return Err(fault(FaultKind::WalkExternal { level: 1 }, access, va));
    };
    let l1 = l1 as u32;
    let cpu = &env.arch;
    // Domain check shared by both levels: 0b00 and 0b10 forbid access,
    // 0b11 (Manager) skips permission checks.
    let domain_of = |d: u32, level: u8| -> Result<bool, GuestFault> {
        match dacr >> (2 * d) & 3 {
            0b01 => Ok(false),
            0b11 => Ok(true),
            _ => Err(fault(
                FaultKind::Domain {
                    level,
                    domain: d as u8,
                },
                access,
                va,
            )),
        }
    };
    match l1 & 3 {
        0b00 => Err(fault(FaultKind::Translation { level: 1 }, access, va)),
        0b01 => {
            // A second-level table.
            let domain = l1 >> 5 & 0xf;
            let pxn = l1 & 1 << 2 != 0;
            let l2_addr = u64::from((l1 & 0xffff_fc00) | (va >> 12 & 0xff) << 2);
            let Some(l2) = read_phys(env, l2_addr, 4) else {
                return Err(fault(FaultKind::WalkExternal { level: 2 }, access, va));
            };
            let l2 = l2 as u32;
            let cpu = &env.arch;
            let (paddr, xn, size_log2) = match l2 & 3 {
                0b00 => return Err(fault(FaultKind::Translation { level: 2 }, access, va)),
                // Large page, 64 KiB.
                0b01 => ((l2 & 0xffff_0000) | (va & 0xffff), l2 & 1 << 15 != 0, 16),
                // Small page, 4 KiB.
                _ => ((l2 & 0xffff_f000) | (va & 0xfff), l2 & 1 != 0, 12),
            };
            let ap = (l2 >> 4 & 3) | (l2 >> 9 & 1) << 2;
            let manager = domain_of(domain, 2)?;
            if afe && ap & 1 == 0 {
                return Err(fault(FaultKind::AccessFlag { level: 2 }, access, va));
            }
            let data = if afe { ap_simple(ap >> 1) } else { ap_full(ap) };
            let m = Mapping {
                paddr: u64::from(paddr),
                data,
                xn,
                pxn,
                level: 2,
                domain: domain as u8,
                manager,
                size_log2,
                tag: short_tag(domain, l2 & 1 << 11 != 0),
            };
            check(cpu, m, va, access, mmu_idx)
        }
        _ => {
            // A section (1 MiB) or supersection (16 MiB); bit 0 is PXN.
            let supersection = l1 & 1 << 18 != 0;
            let (paddr, domain) = if supersection {
                let high = u64::from(l1 >> 20 & 0xf) << 32 | u64::from(l1 >> 5 & 0xf) << 36;
                (high | u64::from((l1 & 0xff00_0000) | (va & 0x00ff_ffff)), 0)
            } else {
                (
                    u64::from((l1 & 0xfff0_0000) | (va & 0x000f_ffff)),
                    l1 >> 5 & 0xf,
                )
            };
            let ap = (l1 >> 10 & 3) | (l1 >> 15 & 1) << 2;
            let manager = domain_of(domain, 1)?;
            if afe && ap & 1 == 0 {
                return Err(fault(FaultKind::AccessFlag { level: 1 }, access, va));
            }
            let data = if afe { ap_simple(ap >> 1) } else { ap_full(ap) };
            let m = Mapping {
                paddr,
                data,
                xn: l1 & 1 << 4 != 0,
                pxn: l1 & 1 != 0,
                level: 1,
                domain: domain as u8,
                manager,
                size_log2: if supersection { 24 } else { 20 },
                tag: short_tag(domain, l1 & 1 << 17 != 0),
            };
            check(cpu, m, va, access, mmu_idx)
        }
    }
}

/// The long-descriptor (LPAE) walk.
fn walk_long(
    env: &mut CpuEnv<ArmCpu>,
    va: u32,
    access: Access,
    mmu_idx: usize,
) -> Result<Translation, GuestFault> {
    let cpu = &env.arch;
    let t0sz = cpu.ttbcr & 7;
    let t1sz = cpu.ttbcr >> 16 & 7;
    // Which table base covers the address: TTBR0 the bottom 2^(32-T0SZ)
    // bytes, TTBR1 the top 2^(32-T1SZ); with both sizes zero, TTBR0 all.
    let in_ttbr0 = t0sz == 0 || u64::from(va) < 1u64 << (32 - t0sz);
    let in_ttbr1 = t1sz != 0 && u64::from(va) >= (1u64 << 32) - (1u64 << (32 - t1sz));
    let (ttbr, tsz, disabled) = if in_ttbr1 && !(t0sz == 0 && t1sz == 0) {
        (cpu.ttbr1, t1sz, cpu.ttbcr & ttbcr::EPD1 != 0)
    } else if in_ttbr0 {
        (cpu.ttbr0, t0sz, cpu.ttbcr & ttbcr::EPD0 != 0)
    } else {
        return Err(fault(FaultKind::Translation { level: 1 }, access, va));
    };
    if disabled {
        return Err(fault(FaultKind::Translation { level: 1 }, access, va));
    }
    // With TxSZ of 0 or 1 the walk starts at level 1 (a table of 4 or 2
    // entries indexed by VA[31:30]); otherwise at level 2, whose table
    // then covers VA[31-TxSZ:21].
    let start: u8 = if tsz <= 1 { 1 } else { 2 };
    let mut level = start;
    let region_bits = 32 - tsz;
    let start_shift = if level == 1 { 30 } else { 21 };
    let table_bits = region_bits - start_shift;
    let mut table = ttbr & 0x00ff_ffff_ffff_ffff & !((1u64 << (table_bits + 3)) - 1);
    table &= (1u64 << 40) - 1;
    // Hierarchical permission limits from table descriptors.
    let mut ap_table = 0u64;
    let mut xn_table = false;
    let mut pxn_table = false;
    loop {
        let shift = match level {
            1 => 30,
            2 => 21,
            _ => 12,
        };
        let index_mask = if level == start {
            (1u64 << table_bits) - 1
        } else {
            0x1ff
        };
        let index = (u64::from(va) >> shift) & index_mask;
        let Some(d) = read_phys(env, table + index * 8, 8) else {
            return Err(fault(FaultKind::WalkExternal { level }, access, va));
        };
        if d & 1 == 0 {
            return Err(fault(FaultKind::Translation { level }, access, va));
        }
        let is_table = d & 2 != 0;
        if level < 3 && is_table {
            ap_table |= d >> 61 & 3;
            xn_table |= d >> 60 & 1 != 0;
            pxn_table |= d >> 59 & 1 != 0;
            table = d & 0x0000_00ff_ffff_f000;
            level += 1;
            continue;
        }
        if level == 3 && !is_table {
            // 0b01 at level 3 is reserved.
            return Err(fault(FaultKind::Translation { level }, access, va));
        }
        // A block (levels 1, 2) or a page (level 3).
        let out_mask = (1u64 << 40) - (1u64 << shift);
        let paddr = (d & out_mask) | (u64::from(va) & ((1u64 << shift) - 1));
        if d & 1 << 10 == 0 {
            return Err(fault(FaultKind::AccessFlag { level }, access, va));
        }
        let (mut privileged, mut user) = ap_simple((d >> 6 & 3) as u32);
        // APTable[0]: no user access below; APTable[1]: read-only below.
        if ap_table & 1 != 0 {
            user = 0;
        }
        if ap_table & 2 != 0 {
            privileged &= PERM_READ;
            user &= PERM_READ;
        }
        let m = Mapping {
            paddr,
            data: (privileged, user),
            xn: d >> 54 & 1 != 0 || xn_table,
            pxn: d >> 53 & 1 != 0 || pxn_table,
            level,
            domain: 0,
            manager: false,
            size_log2: shift as u8,
            tag: if d & 1 << 11 != 0 {
                tlb_tag::NOT_GLOBAL
            } else {
                0
            },
        };
        return check(&env.arch, m, va, access, mmu_idx);
    }
}

/// The short-descriptor fault status (FS[4:0]) of a fault.
fn short_status(kind: FaultKind) -> u32 {
    match kind {
        FaultKind::Alignment => 0b00001,
        // ARM raises no other ISA's exceptions; report one as external.
        FaultKind::External | FaultKind::Arch { .. } => 0b01000,
        FaultKind::WalkExternal { level } => {
            if level == 1 {
                0b01100
            } else {
                0b01110
            }
        }
        FaultKind::Translation { level } => {
            if level == 1 {
                0b00101
            } else {
                0b00111
            }
        }
        FaultKind::AccessFlag { level } => {
            if level == 1 {
                0b00011
            } else {
                0b00110
            }
        }
        FaultKind::Domain { level, .. } => {
            if level == 1 {
                0b01001
            } else {
                0b01011
            }
        }
        FaultKind::Permission { level, .. } => {
            if level == 1 {
                0b01101
            } else {
                0b01111
            }
        }
    }
}

/// The long-descriptor fault status (STATUS[5:0]) of a fault.
fn long_status(kind: FaultKind) -> u32 {
    match kind {
        FaultKind::Alignment => 0b10_0001,
        FaultKind::External | FaultKind::Arch { .. } => 0b01_0000,
        FaultKind::WalkExternal { level } => 0b01_0100 | u32::from(level),
        FaultKind::Translation { level } => 0b00_0100 | u32::from(level),
        FaultKind::AccessFlag { level } => 0b00_1000 | u32::from(level),
        FaultKind::Permission { level, .. } => 0b00_1100 | u32::from(level),
        FaultKind::Domain { level, .. } => 0b00_1100 | u32::from(level),
    }
}

/// The value of DFSR/IFSR for `fault` in the format TTBCR.EAE selects:
/// status, domain (short format), WnR for data writes, LPAE bit (long).
pub fn fault_status(cpu: &ArmCpu, fault: &GuestFault) -> u32 {
    let wnr = if fault.access == Access::Write {
        1 << 11
    } else {
        0
    };
    if cpu.ttbcr & ttbcr::EAE != 0 {
        return long_status(fault.kind) | 1 << 9 | wnr;
    }
    let fs = short_status(fault.kind);
    let domain = match fault.kind {
        FaultKind::Domain { domain, .. } | FaultKind::Permission { domain, .. } => {
            u32::from(domain)
        }
        _ => 0,
    };
    (fs & 0xf) | (fs >> 4) << 10 | domain << 4 | wnr
}

/// The PAR value an address-translation operation (ATS1C*) leaves: the
/// physical address on success, the fault status otherwise, in the format
/// TTBCR.EAE selects.
pub fn par_value(cpu: &ArmCpu, result: &Result<Translation, GuestFault>) -> u64 {
    let long = cpu.ttbcr & ttbcr::EAE != 0;
    match result {
        Ok(t) if long => (t.paddr & 0x00ff_ffff_f000) | 1 << 11,
        // A supersection reports PA[31:24], PA[39:32] in bits 23:16 and
        // SS (bit 1).
        Ok(t) if t.size_log2 == 24 => {
            (t.paddr & 0xff00_0000) | (t.paddr >> 32 & 0xff) << 16 | 1 << 1
        }
        Ok(t) => t.paddr & 0xffff_f000,
        Err(f) if long => u64::from(long_status(f.kind)) << 1 | 1 << 11 | 1,
        Err(f) => u64::from(short_status(f.kind)) << 1 | 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::sctlr;
    use crate::bus::Bus;

    const RAM: u64 = 0x4000_0000;

    fn setup() -> (Box<Bus>, Box<CpuEnv<ArmCpu>>) {
        let mut bus = Box::new(Bus::new());
        bus.add_ram(RAM, 0x10_0000).unwrap();
        let env = CpuEnv::new(ArmCpu::new(), &mut *bus);
        (bus, env)
    }

    fn poke32(bus: &mut Bus, a: u64, v: u32) {
        bus.ram_slice_mut(a, 4)
            .unwrap()
            .copy_from_slice(&v.to_le_bytes());
    }

    fn poke64(bus: &mut Bus, a: u64, v: u64) {
        bus.ram_slice_mut(a, 8)
            .unwrap()
            .copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn mmu_off_is_identity() {
        let (_bus, mut env) = setup();
        let t = translate(&mut env, 0x1234_5678, Access::Write, 1).unwrap();
        assert_eq!(t.paddr, 0x1234_5678);
    }

    #[test]
    fn short_sections_pages_domains_and_permissions() {
        let (mut bus, mut env) = setup();
        let l1 = RAM; // 16 KiB aligned
        let l2 = RAM + 0x8000;
        // VA 0x0010_0000: section to 0x4020_0000 (out of RAM, fine for a
        // walk), domain 1, AP=011 (RW everyone).
        poke32(&mut bus, l1 + 4, 0x4020_0000 | 3 << 10 | 1 << 5 | 0b10);
        // VA 0x0020_0000: page table, domain 2.
        poke32(&mut bus, l1 + 8, (l2 as u32) | 2 << 5 | 0b01);
        // Its page 3: small page to 0x4000_5000, AP=001 (privileged only),
        // XN.
        poke32(&mut bus, l2 + 12, 0x4000_5000 | 1 << 4 | 0b11);
        env.arch.ttbr0 = l1;
        env.arch.dacr = 0b01 << 2 | 0b01 << 4;
        env.arch.sctlr |= sctlr::M;
        let t = translate(&mut env, 0x0012_3456, Access::Write, 1).unwrap();
        assert_eq!(t.paddr, 0x4022_3456);
        assert_eq!(t.perms, PERM_READ | PERM_WRITE | PERM_EXEC);
        let t = translate(&mut env, 0x0020_3abc, Access::Read, 0).unwrap();
        assert_eq!(t.paddr, 0x4000_5abc);
        assert_eq!(t.perms, PERM_READ | PERM_WRITE, "XN page");
        let e = translate(&mut env, 0x0020_3abc, Access::Read, 1).unwrap_err();
        assert_eq!(
            e.kind,
            FaultKind::Permission {
                level: 2,
                domain: 2
            }
        );
        assert_eq!(fault_status(&env.arch, &e), 0x2f);
        let e = translate(&mut env, 0x0030_0000, Access::Write, 0).unwrap_err();
        assert_eq!(e.kind, FaultKind::Translation { level: 1 });
        assert_eq!(fault_status(&env.arch, &e), 0x805);
        let e = translate(&mut env, 0x0020_4000, Access::Fetch, 0).unwrap_err();
        assert_eq!(e.kind, FaultKind::Translation { level: 2 });
        // Domain 2 to no access; then Manager skips the AP check.
        env.arch.dacr = 0b01 << 2;
        let e = translate(&mut env, 0x0020_3000, Access::Read, 0).unwrap_err();
        assert_eq!(
            e.kind,
            FaultKind::Domain {
                level: 2,
                domain: 2
            }
        );
        assert_eq!(fault_status(&env.arch, &e), 0x2b);
        env.arch.dacr |= 0b11 << 4;
        assert!(translate(&mut env, 0x0020_3000, Access::Write, 1).is_ok());
    }

    #[test]
    fn short_ttbcr_split_and_supersection() {
        let (mut bus, mut env) = setup();
        // N = 1: TTBR0 covers the bottom 2 GiB with an 8 KiB table.
        env.arch.ttbcr = 1;
        env.arch.ttbr0 = RAM + 0x2000;
        env.arch.ttbr1 = RAM + 0x4000;
        env.arch.dacr = 0xffff_ffff;
        env.arch.sctlr |= sctlr::M;
        poke32(&mut bus, RAM + 0x2000 + 4, 0x4000_0000 | 0b10);
        // Supersection at 0xc000_0000 (TTBR1 table, index 0xc00).
        poke32(
            &mut bus,
            RAM + 0x4000 + 0xc00 * 4,
            0x5000_0000 | 1 << 18 | 0b10,
        );
        assert_eq!(
            translate(&mut env, 0x0010_0010, Access::Read, 0)
                .unwrap()
                .paddr,
            0x4000_0010
        );
        assert_eq!(
            translate(&mut env, 0xc002_3456, Access::Read, 0)
                .unwrap()
                .paddr,
            0x5002_3456
        );
        env.arch.ttbcr |= ttbcr::PD1;
        assert!(translate(&mut env, 0xc002_3456, Access::Read, 0).is_err());
    }

    #[test]
    fn access_flag_model() {
        let (mut bus, mut env) = setup();
        env.arch.ttbr0 = RAM;
        env.arch.dacr = 1;
        env.arch.sctlr |= sctlr::M | sctlr::AFE;
        // AP[2:1] = 01 (RW all) with AP[0] (the access flag) clear.
        poke32(&mut bus, RAM, 0x4000_0000 | 2 << 10 | 0b10);
        let e = translate(&mut env, 0x10, Access::Read, 0).unwrap_err();
        assert_eq!(e.kind, FaultKind::AccessFlag { level: 1 });
        poke32(&mut bus, RAM, 0x4000_0000 | 3 << 10 | 0b10);
        assert!(translate(&mut env, 0x10, Access::Write, 1).is_ok());
    }

    #[test]
    fn long_descriptor_walk() {
        let (mut bus, mut env) = setup();
        env.arch.ttbcr = ttbcr::EAE; // T0SZ = 0: level 1, 4 entries
        env.arch.ttbr0 = RAM + 0x1000;
        env.arch.sctlr |= sctlr::M;
        let af = 1u64 << 10;
        // L1[1] (VA 0x4000_0000): 1 GiB block, RW all, identity.
        poke64(&mut bus, RAM + 0x1000 + 8, 0x4000_0000 | af | 1 << 6 | 0b01);
        // L1[0]: table at +0x2000; L2[0]: table at +0x3000; L3[5]: page.
        poke64(&mut bus, RAM + 0x1000, (RAM + 0x2000) | 0b11);
        poke64(&mut bus, RAM + 0x2000, (RAM + 0x3000) | 0b11);
        poke64(
            &mut bus,
            RAM + 0x3000 + 5 * 8,
            0x4000_7000 | af | 3 << 6 | 1 << 54 | 0b11,
        );
        let t = translate(&mut env, 0x4000_1234, Access::Write, 1).unwrap();
        assert_eq!(t.paddr, 0x4000_1234);
        let t = translate(&mut env, 0x0000_5678, Access::Read, 1).unwrap();
        assert_eq!((t.paddr, t.perms), (0x4000_7678, PERM_READ));
        let e = translate(&mut env, 0x0000_5678, Access::Write, 0).unwrap_err();
        assert_eq!(
            e.kind,
            FaultKind::Permission {
                level: 3,
                domain: 0
            }
        );
        assert_eq!(fault_status(&env.arch, &e), 0x80f | 1 << 9);
        let e = translate(&mut env, 0x0000_6000, Access::Read, 0).unwrap_err();
        assert_eq!(e.kind, FaultKind::Translation { level: 3 });
        // APTable[0] on the level-1 table descriptor: no user access below.
        poke64(&mut bus, RAM + 0x1000, (RAM + 0x2000) | 1 << 61 | 0b11);
        assert!(translate(&mut env, 0x0000_5678, Access::Read, 1).is_err());
        assert!(translate(&mut env, 0x0000_5678, Access::Read, 0).is_ok());
        // Access flag clear.
        poke64(&mut bus, RAM + 0x1000 + 8, 0x4000_0000 | 0b01);
        let e = translate(&mut env, 0x4000_0000, Access::Read, 0).unwrap_err();
        assert_eq!(e.kind, FaultKind::AccessFlag { level: 1 });
    }

    #[test]
    fn walk_outside_ram_is_an_external_abort_on_the_walk() {
        let (_bus, mut env) = setup();
        env.arch.ttbr0 = 0x1000_0000;
        env.arch.sctlr |= sctlr::M;
        let e = translate(&mut env, 0x10, Access::Read, 0).unwrap_err();
        assert_eq!(e.kind, FaultKind::WalkExternal { level: 1 });
        assert_eq!(fault_status(&env.arch, &e), 0x0c);
    }
}
