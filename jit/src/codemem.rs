//! Executable memory for compiled blocks.
//!
//! Cranelift's own providers give every finalization fresh pages, so a
//! block of a few hundred bytes would cost a 4 KiB page. Blocks are compiled
//! one at a time, so this provider packs them into one mapping that is
//! readable, writable and executable for its whole life, and finalization
//! has nothing to do (x86-64 keeps instruction fetch coherent with stores).
//! When it is full, allocation fails and the engine starts over with a
//! fresh compiler after dropping every translation.

use cranelift_jit::{BranchProtection, JITMemoryKind, JITMemoryProvider};
use cranelift_module::ModuleResult;
use memmap2::MmapMut;
use std::io;

/// A bump allocator over one RWX mapping.
pub struct CodeArena {
    map: MmapMut,
    used: usize,
}

impl CodeArena {
    /// Reserves `size` bytes (pages are committed as they are touched).
    pub fn new(size: usize) -> io::Result<Self> {
        let mut map = MmapMut::map_anon(size)?;
        // SAFETY: the range is exactly the mapping just created.
        let r = unsafe {
            libc::mprotect(
                map.as_mut_ptr().cast(),
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(CodeArena { map, used: 0 })
    }
}

impl JITMemoryProvider for CodeArena {
    fn allocate(&mut self, size: usize, align: u64, _kind: JITMemoryKind) -> io::Result<*mut u8> {
        let align = align.max(16) as usize;
        let start = self.used.div_ceil(align) * align;
        if start + size > self.map.len() {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "code arena full",
            ));
        }
        self.used = start + size;
        // SAFETY: start + size lies within the mapping.
        Ok(unsafe { self.map.as_mut_ptr().add(start) })
    }

    unsafe fn free_memory(&mut self) {
        self.used = 0;
    }

    fn finalize(&mut self, _branch_protection: BranchProtection) -> ModuleResult<()> {
        Ok(())
    }
}
