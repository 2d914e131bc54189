//! Lockstep's runtime: everything a guest needs around its instructions.
//!
//! - [`memory`]: guest RAM, mapped with memmap2.
//! - [`bus`]: the physical address space — RAM and MMIO regions — and the
//!   record of which RAM pages hold translated code.
//! - [`softmmu`]: the TLB through which every guest access goes, and the
//!   slow path that fills it.
//! - [`env`]: the `#[repr(C)]` per-vCPU block that compiled code works on.
//! - [`arm`]: the 32-bit ARM CPU state.
//! - [`x86`]: the i686 CPU state: segmentation, paging, IDT delivery.
//! - [`dma`]: device access to guest RAM.
//! - [`irq`]: interrupt lines from devices to an interrupt controller.
//! - [`exec`]: the seam to the execution engines and the icount-exact run loop.
//!
//! Nothing here depends on host time or on hash-map iteration order: the run
//! loop is a function of the guest state and the instruction count alone.

pub mod arm;
pub mod bus;
pub mod dma;
pub mod env;
pub mod exec;
pub mod irq;
pub mod memory;
pub mod softmmu;
pub mod x86;

pub use bus::{Bus, IoCtx, MmioDevice};
pub use env::{CpuEnv, ExitCode, GuestFault, Trap};
pub use exec::{Engine, RunLoop, Stop};
pub use irq::{IrqLine, IrqLines};
