//! 32-bit paging: two-level tables of 4 KiB pages, 4 MiB pages with
//! CR4.PSE, global pages with CR4.PGE, CR0.WP, and the accessed and dirty
//! bits set as the hardware sets them.
//!
//! A walk sets the accessed bit of both levels, and the dirty bit of the
//! final entry on a write. A mapping whose dirty bit is clear is entered
//! in the TLB without write permission, so the first write walks again
//! and sets it. Supervisor accesses (softmmu table 0) may read any page
//! and write any writable one (any page at all with CR0.WP clear); user
//! accesses (table 1, CPL 3) need the user bit at both levels.

use super::{cr0, cr4, X86Cpu};
use crate::env::{Access, CpuEnv, FaultKind, GuestFault};
use crate::softmmu::{read_phys, write_phys, Translation, PERM_EXEC, PERM_READ, PERM_WRITE};

/// Entry bits.
pub mod pte {
    /// Present.
    pub const P: u32 = 1 << 0;
    /// Writable.
    pub const RW: u32 = 1 << 1;
    /// User accessible.
    pub const US: u32 = 1 << 2;
    /// Accessed.
    pub const A: u32 = 1 << 5;
    /// Dirty.
    pub const D: u32 = 1 << 6;
    /// A 4 MiB page (in a directory entry, with CR4.PSE).
    pub const PS: u32 = 1 << 7;
    /// Global (with CR4.PGE).
    pub const G: u32 = 1 << 8;
}

/// The TLB tag bit of a global mapping: a CR3 load keeps it.
pub const TAG_GLOBAL: u32 = 1;

/// The page-fault error code of `fault` (P, W/R and U/S bits).
pub fn page_fault_code(fault: &GuestFault, user: bool) -> u32 {
    let mut code = 0;
    if matches!(fault.kind, FaultKind::Permission { .. }) {
        code |= 1;
    }
    if fault.access == Access::Write {
        code |= 2;
    }
    if user {
        code |= 4;
    }
    code
}

/// Translates `vaddr` for `access` from softmmu table `mmu_idx`.
pub fn translate(
    env: &mut CpuEnv<X86Cpu>,
    vaddr: u64,
    access: Access,
    mmu_idx: usize,
) -> Result<Translation, GuestFault> {
    let va = vaddr as u32;
    let cpu = &env.arch;
    if cpu.cr0 & cr0::PG == 0 {
        return Ok(Translation {
            paddr: u64::from(va),
            perms: PERM_READ | PERM_WRITE | PERM_EXEC,
            size_log2: 12,
            tag: TAG_GLOBAL,
        });
    }
    let (cr3, cr4, wp) = (cpu.cr3, cpu.cr4, cpu.cr0 & cr0::WP != 0);
    let user = mmu_idx == 1;
    let fault = |kind| GuestFault {
        kind,
        access,
        vaddr: u64::from(va),
    };
    let pde_addr = u64::from(cr3 & !0xfff) + u64::from(va >> 22) * 4;
    let Some(pde) = read_phys(env, pde_addr, 4).map(|v| v as u32) else {
        return Err(fault(FaultKind::WalkExternal { level: 1 }));
    };
    if pde & pte::P == 0 {
        return Err(fault(FaultKind::Translation { level: 1 }));
    }
    let large = pde & pte::PS != 0 && cr4 & cr4::PSE != 0;
    let (entry, entry_addr, paddr, level) = if large {
        let paddr = u64::from(pde & 0xffc0_0000) | u64::from(va & 0x003f_ffff);
        (pde, pde_addr, paddr, 1)
    } else {
        let pte_addr = u64::from(pde & !0xfff) + u64::from(va >> 12 & 0x3ff) * 4;
        let Some(e) = read_phys(env, pte_addr, 4).map(|v| v as u32) else {
            return Err(fault(FaultKind::WalkExternal { level: 2 }));
        };
        if e & pte::P == 0 {
            return Err(fault(FaultKind::Translation { level: 2 }));
        }
        let paddr = u64::from(e & !0xfff) | u64::from(va & 0xfff);
        (e, pte_addr, paddr, 2)
    };
    // Both levels' bits must allow the access.
    let both = if large { entry } else { pde & entry };
    let user_ok = both & pte::US != 0;
    let writable = both & pte::RW != 0;
    let may_write = if user {
        user_ok && writable
    } else {
        writable || !wp
    };
    let may_read = !user || user_ok;
    let allowed = match access {
        Access::Read | Access::Fetch => may_read,
        Access::Write => may_write,
    };
    if !allowed {
        return Err(fault(FaultKind::Permission { level, domain: 0 }));
    }
    // Accessed bits, and the dirty bit on a write, as the hardware sets
    // them (a locked update of the entry).
    if !large && pde & pte::A == 0 {
        write_phys(env, pde_addr, 4, u64::from(pde | pte::A));
    }
    let mut new = entry | pte::A;
    if access == Access::Write {
        new |= pte::D;
    }
    if new != entry {
        write_phys(env, entry_addr, 4, u64::from(new));
    }
    let mut perms = 0;
    if may_read {
        perms |= PERM_READ | PERM_EXEC;
    }
    if may_write && new & pte::D != 0 {
        perms |= PERM_WRITE;
    }
    let global = entry & pte::G != 0 && cr4 & cr4::PGE != 0;
    Ok(Translation {
        paddr,
        perms,
        size_log2: if large { 22 } else { 12 },
        tag: if global { TAG_GLOBAL } else { 0 },
    })
}
