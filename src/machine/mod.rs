//! Machines: a CPU, a bus populated with devices, a loaded image, and the
//! loop that runs them and handles what the guest asks of the host.

pub mod arm_virt;
pub mod semihosting;

pub use arm_virt::{ArmVirt, MachineConfig, Outcome};
