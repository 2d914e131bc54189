//! Lockstep's device models, one file each, behind the runtime's
//! [`lockstep_runtime::MmioDevice`] trait.
//!
//! - [`acpi_pm`]: the PC's ACPI power-management registers and tables.
//! - [`debug_exit`]: QEMU's isa-debug-exit port (bare-metal tests' exit status).
//! - [`i8042`]: the PC's keyboard controller (probe, reset line) and
//!   reset ports 0x92 and 0xCF9.
//! - [`i8254`]: the PC's 8254 interval timer and port 0x61.
//! - [`i8259`]: the PC's 8259A interrupt controller pair.
//! - [`mc146818`]: the PC's CMOS real-time clock.
//! - [`gic`]: the GICv2 interrupt controller of the `arm-virt` machine.
//! - [`pl011`]: the PL011 UART (console `ttyAMA0`).
//! - [`pl031`]: the PL031 real-time clock.
//! - [`uart16550`]: the PC's 16550A UART (console `ttyS0`).
//! - [`virtio`]: the virtio-mmio transport with virtio-blk and virtio-rng.
//!
//! Every model is a function of the guest's register accesses (with the
//! icount and virtual time the bus passes in [`lockstep_runtime::IoCtx`])
//! and of the inputs the machine hands it explicitly and logs; none reads
//! the host clock or depends on host timing.

#![warn(missing_docs)]

pub mod acpi_pm;
pub mod debug_exit;
pub mod gic;
pub mod i8042;
pub mod i8254;
pub mod i8259;
pub mod mc146818;
pub mod pl011;
pub mod pl031;
pub mod uart16550;
pub mod virtio;
