//! Guest image loaders.
//!
//! - [`elf`]: ELF files at their physical addresses.
//! - [`linux`]: which kind of kernel image a file is, and the Linux boot
//!   layout.

pub mod elf;
pub mod linux;
