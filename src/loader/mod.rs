//! Guest image loaders.
//!
//! - [`bzimage`]: Linux's 32-bit x86 boot protocol.
//! - [`elf`]: ELF files at their physical addresses.
//! - [`linux`]: which kind of kernel image a file is, and the Linux boot
//!   layout.
//! - [`multiboot`]: multiboot (v1) bare-metal i386 kernels.

pub mod bzimage;
pub mod elf;
pub mod linux;
pub mod multiboot;
