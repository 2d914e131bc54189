//! Lockstep's device models, one file each, behind the runtime's
//! [`lockstep_runtime::MmioDevice`] trait.

pub mod gic;
pub mod pl011;
