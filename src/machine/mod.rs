//! Machines: a CPU, a bus populated with devices, a loaded image, and the
//! loop that runs them and handles what the guest asks of the host.
//!
//! - [`arm_virt`]: the `arm-virt` board and its run loop.
//! - [`fdt`]: the device tree it generates for Linux.
//! - [`psci`]: the firmware interface it answers (power off, reset).
//! - [`hostio`]: the door for every input from outside the guest.
//! - [`semihosting`]: ARM semihosting for bare-metal programs.

pub mod arm_virt;
pub mod fdt;
pub mod hostio;
pub mod psci;
pub mod semihosting;

pub use arm_virt::{ArmVirt, MachineConfig, Outcome};
pub use hostio::{HostIo, StdinReader};
