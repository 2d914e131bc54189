//! The softmmu: a direct-mapped TLB from guest virtual pages to host
//! pointers, the fast path every guest access tries first, and the slow path
//! that walks the translation, fills the TLB or dispatches to a device.
//!
//! The fast path is the same in the interpreter (Rust, [`read`]/[`write`])
//! and in compiled code (emitted inline by the Cranelift backend): index the
//! table with the page number, compare the entry's tag with the address of
//! the access's last byte rounded down to its page, and on a match add the
//! entry's addend to the address to get the host pointer. Page-crossing,
//! misaligned-where-forbidden, MMIO and not-yet-mapped accesses all miss and
//! go through [`slow_read`]/[`slow_write`].

use crate::bus::{Target, PAGE_BITS, PAGE_SIZE};
use crate::env::{Access, CpuEnv, FaultKind, GuestFault};

/// Entries per TLB table (a power of two).
pub const TLB_ENTRIES: usize = 256;
/// Number of TLB tables: one per MMU mode (privileged, user).
pub const MMU_MODES: usize = 2;
/// A tag that never matches: its low bits are set, and compared addresses
/// are always page aligned.
pub const TLB_INVALID: u64 = u64::MAX;
/// Mask that keeps the page part of an address.
pub const PAGE_MASK: u64 = !(PAGE_SIZE - 1);

/// One TLB entry. Tags are guest virtual page addresses, one per access
/// kind, so a page can be readable but not writable through the fast path
/// (a code page, a read-only mapping).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct TlbEntry {
    /// Page address for reads, or [`TLB_INVALID`].
    pub read: u64,
    /// Page address for writes, or [`TLB_INVALID`].
    pub write: u64,
    /// Page address for instruction fetch, or [`TLB_INVALID`].
    pub fetch: u64,
    /// Host address minus guest virtual address, for the page.
    pub addend: u64,
}

impl TlbEntry {
    const EMPTY: TlbEntry = TlbEntry {
        read: TLB_INVALID,
        write: TLB_INVALID,
        fetch: TLB_INVALID,
        addend: 0,
    };
}

/// One table of the TLB.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Tlb {
    /// The entries, indexed by `(vaddr >> PAGE_BITS) & (TLB_ENTRIES - 1)`.
    pub entries: [TlbEntry; TLB_ENTRIES],
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            entries: [TlbEntry::EMPTY; TLB_ENTRIES],
        }
    }
}

/// Byte offsets of the entry fields, for the Cranelift backend.
pub mod layout {
    /// Size of one entry in bytes.
    pub const ENTRY_SIZE: u32 = 32;
    /// Shift from index to entry offset.
    pub const ENTRY_SHIFT: u32 = 5;
    /// Offset of the read tag.
    pub const READ: i32 = 0;
    /// Offset of the write tag.
    pub const WRITE: i32 = 8;
    /// Offset of the addend.
    pub const ADDEND: i32 = 24;
}

const _: () = assert!(std::mem::size_of::<TlbEntry>() == layout::ENTRY_SIZE as usize);

/// Read permission (see [`Translation::perms`]).
pub const PERM_READ: u8 = 1;
/// Write permission.
pub const PERM_WRITE: u8 = 2;
/// Execute permission.
pub const PERM_EXEC: u8 = 4;

/// A successful translation: the physical address and every kind of
/// access the mapping allows in this MMU mode, so one walk can fill the
/// read, write and fetch tags of a TLB entry at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// The physical address of the byte.
    pub paddr: u64,
    /// [`PERM_READ`] | [`PERM_WRITE`] | [`PERM_EXEC`], as allowed.
    pub perms: u8,
    /// log2 of the size of the mapping the address lies in (12 for a
    /// 4 KiB page, 24 for a 16 MiB supersection, ...).
    pub size_log2: u8,
    /// What else the translation depends on, in the architecture's terms
    /// (for ARM see `arm::mmu::tlb_tag`: the domain, and whether the
    /// mapping belongs to one address space). The TLB keeps it beside the
    /// entry so an invalidation can drop exactly the entries it affects
    /// ([`flush_where`]); 0 means only a full flush drops it.
    pub tag: u32,
}

/// Address translation for one architecture: virtual to physical, or the
/// architected fault for the access asked about.
pub trait Translate: Sized {
    /// Translates `vaddr` for `access` in MMU mode `mmu_idx`. An access
    /// the mapping forbids is the fault; otherwise the result also says
    /// which other accesses the mapping allows.
    fn translate(
        env: &mut CpuEnv<Self>,
        vaddr: u64,
        access: Access,
        mmu_idx: usize,
    ) -> Result<Translation, GuestFault>;
}

/// Index of the TLB entry for `vaddr`.
#[inline(always)]
pub fn tlb_index(vaddr: u64) -> usize {
    (vaddr >> PAGE_BITS) as usize & (TLB_ENTRIES - 1)
}

/// Flushes every entry of every table. `remap` says whether mappings
/// themselves may have changed (not just permissions): the engine then
/// also forgets its virtual-address lookups.
pub fn flush_all<A>(env: &mut CpuEnv<A>, remap: bool) {
    for t in env.tlb.iter_mut() {
        *t = Tlb::default();
    }
    if remap {
        env.mmu_epoch += 1;
    }
}

/// Flushes the entries whose [`Translation::tag`] satisfies `affected`,
/// in every table. `remap` as for [`flush_all`].
pub fn flush_where<A>(env: &mut CpuEnv<A>, affected: impl Fn(u32) -> bool, remap: bool) {
    for m in 0..MMU_MODES {
        for i in 0..TLB_ENTRIES {
            if affected(env.tlb_tag[m][i]) {
                env.tlb[m].entries[i] = TlbEntry::EMPTY;
                env.tlb_tag[m][i] = 0;
            }
        }
    }
    if remap {
        env.mmu_epoch += 1;
    }
}

/// How many single-page remaps the engine takes one by one; more make a
/// full remap.
pub const REMAPPED_PAGES_MAX: usize = 16;

/// Flushes the entries for the page of `vaddr` in every table. The engine
/// forgets its lookups on that page only (a guest unmapping one page at a
/// time, as Linux does, would otherwise cost a full remap each).
pub fn flush_page<A>(env: &mut CpuEnv<A>, vaddr: u64) {
    let i = tlb_index(vaddr);
    let page = vaddr & PAGE_MASK;
    for t in env.tlb.iter_mut() {
        let e = &mut t.entries[i];
        if [e.read, e.write, e.fetch].contains(&page) {
            *e = TlbEntry::EMPTY;
        }
    }
    if env.remapped_pages.contains(&page) {
        return;
    }
    if env.remapped_pages.len() < REMAPPED_PAGES_MAX {
        env.remapped_pages.push(page);
    } else {
        env.remapped_pages.clear();
        env.mmu_epoch += 1;
    }
}

/// Removes the fast write path to physical page `ppage` from every entry
/// (called when the page starts holding translated code).
pub fn protect_code_page<A>(env: &mut CpuEnv<A>, ppage: u64) {
    for m in 0..MMU_MODES {
        for i in 0..TLB_ENTRIES {
            if env.tlb_phys[m][i] == ppage {
                env.tlb[m].entries[i].write = TLB_INVALID;
            }
        }
    }
}

/// A memory access request: size in bytes and the alignment it demands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemOp {
    /// 1, 2, 4 or 8.
    pub size: u8,
    /// Required alignment in bytes (1 = none).
    pub align: u8,
    /// Which TLB table.
    pub mmu_idx: u8,
}

impl MemOp {
    /// Packs into the `u32` the slow-path helpers take.
    pub fn pack(self) -> u32 {
        u32::from(self.size) | u32::from(self.align) << 8 | u32::from(self.mmu_idx) << 16
    }
    /// The inverse of [`MemOp::pack`].
    pub fn unpack(v: u32) -> MemOp {
        MemOp {
            size: v as u8,
            align: (v >> 8) as u8,
            mmu_idx: (v >> 16) as u8,
        }
    }
    /// What the fast path compares a tag with: the page of the last byte,
    /// with the misaligned bits kept so a forbidden misalignment misses.
    #[inline(always)]
    pub fn compare_value(self, vaddr: u64) -> u64 {
        let last = vaddr.wrapping_add(u64::from(self.size) - 1);
        (last & PAGE_MASK) | (vaddr & (u64::from(self.align) - 1))
    }
}

#[inline(always)]
unsafe fn host_read(p: *const u8, size: u8) -> u64 {
    unsafe {
        match size {
            1 => u64::from(*p),
            2 => u64::from((p as *const u16).read_unaligned()),
            4 => u64::from((p as *const u32).read_unaligned()),
            _ => (p as *const u64).read_unaligned(),
        }
    }
}

#[inline(always)]
unsafe fn host_write(p: *mut u8, size: u8, v: u64) {
    unsafe {
        match size {
            1 => *p = v as u8,
            2 => (p as *mut u16).write_unaligned(v as u16),
            4 => (p as *mut u32).write_unaligned(v as u32),
            _ => (p as *mut u64).write_unaligned(v),
        }
    }
}

/// Reads `op.size` bytes (little-endian) at `vaddr`: fast path, then slow.
#[inline]
pub fn read<A: Translate>(env: &mut CpuEnv<A>, vaddr: u64, op: MemOp) -> Result<u64, GuestFault> {
    let e = &env.tlb[op.mmu_idx as usize].entries[tlb_index(vaddr)];
    if e.read == op.compare_value(vaddr) {
        // SAFETY: a matching entry maps the whole access into guest RAM.
        return Ok(unsafe { host_read(vaddr.wrapping_add(e.addend) as *const u8, op.size) });
    }
    slow_read(env, vaddr, op)
}

/// Writes `op.size` bytes (little-endian) at `vaddr`: fast path, then slow.
#[inline]
pub fn write<A: Translate>(
    env: &mut CpuEnv<A>,
    vaddr: u64,
    value: u64,
    op: MemOp,
) -> Result<(), GuestFault> {
    let e = &env.tlb[op.mmu_idx as usize].entries[tlb_index(vaddr)];
    if e.write == op.compare_value(vaddr) {
        // SAFETY: as in `read`.
        unsafe { host_write(vaddr.wrapping_add(e.addend) as *mut u8, op.size, value) };
        return Ok(());
    }
    slow_write(env, vaddr, value, op)
}

fn check_align(vaddr: u64, op: MemOp, access: Access) -> Result<(), GuestFault> {
    if vaddr & (u64::from(op.align) - 1) != 0 {
        return Err(GuestFault {
            kind: FaultKind::Alignment,
            access,
            vaddr,
        });
    }
    Ok(())
}

/// Reads `size` bytes (little-endian, at most 8, within one page) of
/// guest RAM at physical address `paddr`, as a translation table walk
/// does; `None` if no RAM is there.
pub fn read_phys<A>(env: &mut CpuEnv<A>, paddr: u64, size: usize) -> Option<u64> {
    // SAFETY: the run loop owns the bus while guest code runs.
    match unsafe { env.bus() }.resolve(paddr) {
        Target::Ram { host, .. } if (paddr & 0xfff) as usize + size <= 0x1000 => {
            let mut b = [0u8; 8];
            // SAFETY: the bytes lie within one page of RAM.
            unsafe { std::ptr::copy_nonoverlapping(host, b.as_mut_ptr(), size) };
            Some(u64::from_le_bytes(b))
        }
        _ => None,
    }
}

/// Writes the low `size` bytes of `value` (little-endian, within one
/// page) to guest RAM at `paddr`, as a walk that sets accessed and dirty
/// bits does: the page is marked dirty for digests and any translated
/// code there is dropped. Returns false if no RAM is there.
pub fn write_phys<A>(env: &mut CpuEnv<A>, paddr: u64, size: usize, value: u64) -> bool {
    // SAFETY: the run loop owns the bus while guest code runs.
    let bus = unsafe { env.bus() };
    match bus.resolve(paddr) {
        Target::Ram { host, code } if (paddr & 0xfff) as usize + size <= 0x1000 => {
            let b = value.to_le_bytes();
            // SAFETY: the bytes lie within one page of RAM.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), host, size) };
            bus.mark_dirty(paddr);
            if code && bus.note_code_write(paddr, size as u64) {
                env.exit_request = 1;
            }
            true
        }
        _ => false,
    }
}

/// Fills the TLB entry for the page of `vaddr` (which is RAM) with the
/// accesses the translation allows. A fast write path is only given to a
/// page already marked dirty for state digests (a write marks it first),
/// so no page changes without the bus knowing.
fn fill<A: Translate>(
    env: &mut CpuEnv<A>,
    vaddr: u64,
    t: Translation,
    mmu_idx: usize,
    host: *mut u8,
    code: bool,
) {
    let page_v = vaddr & PAGE_MASK;
    let page_host = (host as u64).wrapping_sub(t.paddr & !PAGE_MASK);
    let tag = |perm: u8| {
        if t.perms & perm != 0 {
            page_v
        } else {
            TLB_INVALID
        }
    };
    env.tlb_fills += 1;
    // SAFETY: the run loop owns the bus while guest code runs.
    let dirty = unsafe { env.bus() }.page_dirty(t.paddr);
    let i = tlb_index(vaddr);
    env.tlb[mmu_idx].entries[i] = TlbEntry {
        read: tag(PERM_READ),
        write: if code || !dirty {
            TLB_INVALID
        } else {
            tag(PERM_WRITE)
        },
        fetch: tag(PERM_EXEC),
        addend: page_host.wrapping_sub(page_v),
    };
    env.tlb_phys[mmu_idx][i] = t.paddr & PAGE_MASK;
    env.tlb_tag[mmu_idx][i] = t.tag;
}

/// Takes the RAM digest (see [`crate::bus::Bus::ram_digest`]) and drops
/// every fast write path, so the next write to each page is seen.
pub fn ram_digest<A>(env: &mut CpuEnv<A>) -> u64 {
    for t in env.tlb.iter_mut() {
        for e in t.entries.iter_mut() {
            e.write = TLB_INVALID;
        }
    }
    // SAFETY: the run loop owns the bus between runs.
    unsafe { env.bus() }.ram_digest()
}

/// The slow read path: alignment check, translation, TLB fill, MMIO.
/// Accesses that cross a page are split into bytes.
pub fn slow_read<A: Translate>(
    env: &mut CpuEnv<A>,
    vaddr: u64,
    op: MemOp,
) -> Result<u64, GuestFault> {
    check_align(vaddr, op, Access::Read)?;
    if (vaddr & !PAGE_MASK) + u64::from(op.size) > PAGE_SIZE {
        let mut v = 0u64;
        for i in 0..u64::from(op.size) {
            let b = read(
                env,
                vaddr.wrapping_add(i),
                MemOp {
                    size: 1,
                    align: 1,
                    ..op
                },
            )?;
            v |= b << (8 * i);
        }
        return Ok(v);
    }
    let t = A::translate(env, vaddr, Access::Read, op.mmu_idx as usize)?;
    // SAFETY: the run loop owns the bus while guest code runs.
    let bus = unsafe { env.bus() };
    match bus.resolve(t.paddr) {
        Target::Ram { host, code } => {
            fill(env, vaddr, t, op.mmu_idx as usize, host, code);
            // SAFETY: the access lies within one page of RAM.
            Ok(unsafe { host_read(host, op.size) })
        }
        Target::Mmio { region, offset } => {
            let ctx = env.io_ctx();
            Ok(bus.mmio_read(&ctx, region, offset, op.size))
        }
        Target::Unmapped if bus.unassigned_is_open() => Ok(0),
        Target::Unmapped => Err(GuestFault {
            kind: FaultKind::External,
            access: Access::Read,
            vaddr,
        }),
    }
}

/// The slow write path. A write to a page holding translated code is
/// recorded on the bus and asks the run loop to regain control after the
/// instruction, so stale translations are dropped before they run again.
/// An MMIO write also requests an exit: a device may now raise an interrupt.
pub fn slow_write<A: Translate>(
    env: &mut CpuEnv<A>,
    vaddr: u64,
    value: u64,
    op: MemOp,
) -> Result<(), GuestFault> {
    check_align(vaddr, op, Access::Write)?;
    if (vaddr & !PAGE_MASK) + u64::from(op.size) > PAGE_SIZE {
        // Check both pages before writing anything, so a fault leaves
        // memory untouched.
        let second = vaddr.wrapping_add(u64::from(op.size) - 1) & PAGE_MASK;
        for page_addr in [vaddr, second] {
            let t = A::translate(env, page_addr, Access::Write, op.mmu_idx as usize)?;
            // SAFETY: the run loop owns the bus while guest code runs.
            let bus = unsafe { env.bus() };
            if bus.resolve(t.paddr) == Target::Unmapped && !bus.unassigned_is_open() {
                return Err(GuestFault {
                    kind: FaultKind::External,
                    access: Access::Write,
                    vaddr: page_addr,
                });
            }
        }
        for i in 0..u64::from(op.size) {
            write(
                env,
                vaddr.wrapping_add(i),
                value >> (8 * i),
                MemOp {
                    size: 1,
                    align: 1,
                    ..op
                },
            )?;
        }
        return Ok(());
    }
    let t = A::translate(env, vaddr, Access::Write, op.mmu_idx as usize)?;
    // SAFETY: the run loop owns the bus while guest code runs.
    let bus = unsafe { env.bus() };
    match bus.resolve(t.paddr) {
        Target::Ram { host, code } => {
            bus.mark_dirty(t.paddr);
            let still_code = code && !bus.note_code_write(t.paddr, u64::from(op.size));
            if code && !still_code {
                env.exit_request = 1;
            }
            fill(env, vaddr, t, op.mmu_idx as usize, host, still_code);
            // SAFETY: the access lies within one page of RAM.
            unsafe { host_write(host, op.size, value) };
            Ok(())
        }
        Target::Mmio { region, offset } => {
            let ctx = env.io_ctx();
            bus.mmio_write(&ctx, region, offset, op.size, value);
            env.exit_request = 1;
            Ok(())
        }
        Target::Unmapped if bus.unassigned_is_open() => Ok(()),
        Target::Unmapped => Err(GuestFault {
            kind: FaultKind::External,
            access: Access::Write,
            vaddr,
        }),
    }
}

/// Translates an instruction fetch address to a physical address in RAM.
/// Code can only be fetched from RAM. The TLB's fetch tag answers first;
/// a miss walks the translation and fills the entry.
pub fn translate_code<A: Translate>(
    env: &mut CpuEnv<A>,
    vaddr: u64,
    mmu_idx: usize,
) -> Result<u64, GuestFault> {
    let i = tlb_index(vaddr);
    if env.tlb[mmu_idx].entries[i].fetch == vaddr & PAGE_MASK {
        return Ok(env.tlb_phys[mmu_idx][i] | (vaddr & !PAGE_MASK));
    }
    let t = A::translate(env, vaddr, Access::Fetch, mmu_idx)?;
    // SAFETY: the run loop owns the bus while guest code runs.
    match unsafe { env.bus() }.resolve(t.paddr) {
        Target::Ram { host, code } => {
            fill(env, vaddr, t, mmu_idx, host, code);
            Ok(t.paddr)
        }
        _ => Err(GuestFault {
            kind: FaultKind::External,
            access: Access::Fetch,
            vaddr,
        }),
    }
}

/// Records that `[paddr, paddr+len)` holds translated code, so that writes
/// to it are caught, and drops fast write paths to pages newly marked.
pub fn protect_code<A>(env: &mut CpuEnv<A>, paddr: u64, len: u64) {
    // SAFETY: the run loop owns the bus while guest code runs.
    for page in unsafe { env.bus() }.mark_code(paddr, len) {
        protect_code_page(env, page);
    }
}

/// Reads `size` bytes of code at physical address `paddr` (already
/// translated by [`translate_code`]); `None` if it is not RAM.
pub fn read_code(env: &mut CpuEnv<impl Translate>, paddr: u64, size: u8) -> Option<u64> {
    // SAFETY: the run loop owns the bus while guest code runs.
    match unsafe { env.bus() }.resolve(paddr) {
        // SAFETY: callers keep code reads within one page.
        Target::Ram { host, .. } => Some(unsafe { host_read(host, size) }),
        _ => None,
    }
}

/// The slow-path load helper compiled code calls on a TLB miss. On a fault
/// it records it in the environment and returns 0; the caller checks
/// `fault_pending`.
///
/// # Safety
/// `env` must be the live environment of the running vCPU.
pub unsafe extern "C" fn helper_load<A: Translate>(
    env: *mut CpuEnv<A>,
    vaddr: u64,
    op: u32,
) -> u64 {
    let env = unsafe { &mut *env };
    match slow_read(env, vaddr, MemOp::unpack(op)) {
        Ok(v) => v,
        Err(f) => {
            env.raise(f);
            0
        }
    }
}

/// The slow-path store helper compiled code calls on a TLB miss. Returns
/// non-zero on a fault (recorded in the environment).
///
/// # Safety
/// `env` must be the live environment of the running vCPU.
pub unsafe extern "C" fn helper_store<A: Translate>(
    env: *mut CpuEnv<A>,
    vaddr: u64,
    value: u64,
    op: u32,
) -> u32 {
    let env = unsafe { &mut *env };
    match slow_write(env, vaddr, value, MemOp::unpack(op)) {
        Ok(()) => 0,
        Err(f) => {
            env.raise(f);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Bus;

    struct Flat;
    impl Translate for Flat {
        fn translate(
            _: &mut CpuEnv<Self>,
            vaddr: u64,
            _: Access,
            _: usize,
        ) -> Result<Translation, GuestFault> {
            Ok(Translation {
                paddr: vaddr,
                perms: PERM_READ | PERM_WRITE | PERM_EXEC,
                size_log2: 12,
                tag: 0,
            })
        }
    }

    fn setup() -> (Box<Bus>, Box<CpuEnv<Flat>>) {
        let mut bus = Box::new(Bus::new());
        bus.add_ram(0x4000_0000, 0x4000).unwrap();
        let env = CpuEnv::new(Flat, &mut *bus);
        (bus, env)
    }

    const W: MemOp = MemOp {
        size: 4,
        align: 1,
        mmu_idx: 0,
    };

    #[test]
    fn miss_fills_then_hits() {
        let (_bus, mut env) = setup();
        write(&mut env, 0x4000_0010, 0xdead_beef, W).unwrap();
        let e = env.tlb[0].entries[tlb_index(0x4000_0010)];
        assert_eq!(e.read, 0x4000_0000);
        assert_eq!(read(&mut env, 0x4000_0010, W).unwrap(), 0xdead_beef);
        assert_eq!(
            read(&mut env, 0x4000_0011, MemOp { size: 1, ..W }).unwrap(),
            0xbe
        );
    }

    #[test]
    fn page_crossing_and_alignment() {
        let (_bus, mut env) = setup();
        write(&mut env, 0x4000_0ffe, 0x1122_3344, W).unwrap();
        assert_eq!(read(&mut env, 0x4000_0ffe, W).unwrap(), 0x1122_3344);
        assert_eq!(
            read(&mut env, 0x4000_1000, MemOp { size: 2, ..W }).unwrap(),
            0x1122
        );
        let err = read(&mut env, 0x4000_0002, MemOp { align: 4, ..W }).unwrap_err();
        assert_eq!(err.kind, FaultKind::Alignment);
        // The page's TLB entry is filled, yet the misaligned access misses.
        assert!(read(&mut env, 0x4000_0002, MemOp { align: 4, ..W }).is_err());
    }

    #[test]
    fn unmapped_is_external_abort_and_crossing_write_is_all_or_nothing() {
        let (_bus, mut env) = setup();
        assert_eq!(
            read(&mut env, 0x1000, W).unwrap_err().kind,
            FaultKind::External
        );
        let err = write(&mut env, 0x4000_3ffe, 0xffff_ffff, W).unwrap_err();
        assert_eq!(err.vaddr, 0x4000_4000);
        assert_eq!(
            read(&mut env, 0x4000_3ffe, MemOp { size: 2, ..W }).unwrap(),
            0
        );
    }

    #[test]
    fn code_pages_lose_their_fast_write_path() {
        let (_bus, mut env) = setup();
        write(&mut env, 0x4000_1000, 1, W).unwrap();
        protect_code(&mut env, 0x4000_1000, 8);
        assert_eq!(env.tlb[0].entries[1].write, TLB_INVALID);
        // Data on the same page: written through the slow path, no exit.
        write(&mut env, 0x4000_1800, 2, W).unwrap();
        assert_eq!(env.exit_request, 0);
        assert_eq!(env.tlb[0].entries[1].write, TLB_INVALID);
        // The code itself.
        write(&mut env, 0x4000_1004, 2, W).unwrap();
        assert_eq!(env.exit_request, 1);
        assert_eq!(unsafe { env.bus() }.take_dirty_code(), vec![0x4000_1000]);
        assert_eq!(read(&mut env, 0x4000_1800, W).unwrap(), 2);
    }
}
