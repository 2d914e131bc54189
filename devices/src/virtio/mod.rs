//! Virtio devices over the MMIO transport (VIRTIO 1.2, "modern" only).
//!
//! - [`mmio`]: the virtio-mmio transport (register layout version 2) and
//!   the [`VirtioDevice`] trait a device model implements behind it.
//! - [`queue`]: split virtqueues as a device sees them: descriptor chains
//!   popped from the available ring, completed into the used ring.
//! - [`blk`]: virtio-blk, a disk backed by an image file with a
//!   copy-on-write overlay in memory.
//! - [`rng`]: virtio-rng, an entropy device fed by a source the machine
//!   gives (and logs).
//!
//! Everything a device does happens synchronously inside the guest's
//! register write that asks for it (QueueNotify, or the Status write that
//! sets DRIVER_OK): there are no threads and no host time, so a device is a
//! function of the guest's accesses and of the inputs the machine hands it.

pub mod blk;
pub mod mmio;
pub mod queue;
pub mod rng;

pub use blk::VirtioBlk;
pub use mmio::{VirtioDevice, VirtioMmio};
pub use queue::{Buffer, Chain, ChainReader, ChainWriter, QueueError, Virtqueue};
pub use rng::{EntropySource, VirtioRng};

/// Device ID of a block device (virtio-blk).
pub const DEVICE_ID_BLOCK: u32 = 2;
/// Device ID of an entropy source (virtio-rng).
pub const DEVICE_ID_ENTROPY: u32 = 4;

/// Feature bit: descriptors may point at tables of further descriptors.
pub const F_INDIRECT_DESC: u64 = 1 << 28;
/// Feature bit: `used_event`/`avail_event` notification suppression
/// (not offered by this transport).
pub const F_EVENT_IDX: u64 = 1 << 29;
/// Feature bit: the device follows VIRTIO 1.0 or later (no legacy layout).
pub const F_VERSION_1: u64 = 1 << 32;

/// Device status bit: the guest noticed the device.
pub const STATUS_ACKNOWLEDGE: u8 = 1;
/// Device status bit: the guest has a driver for it.
pub const STATUS_DRIVER: u8 = 2;
/// Device status bit: the driver is set up and the device may run.
pub const STATUS_DRIVER_OK: u8 = 4;
/// Device status bit: feature negotiation is complete.
pub const STATUS_FEATURES_OK: u8 = 8;
/// Device status bit, set by the device: it hit an error it cannot recover
/// from and must be reset.
pub const STATUS_DEVICE_NEEDS_RESET: u8 = 64;
/// Device status bit: the driver gave up on the device.
pub const STATUS_FAILED: u8 = 128;

/// InterruptStatus bit: buffers were used (a used buffer notification).
pub const INT_USED_BUFFER: u32 = 1;
/// InterruptStatus bit: the device configuration changed (also sent when
/// the device sets DEVICE_NEEDS_RESET).
pub const INT_CONFIG_CHANGE: u32 = 2;

/// Copies the bytes `[offset, offset + data.len())` of a device's
/// configuration structure `config` into `data`; bytes past its end read
/// as zero. A helper for [`VirtioDevice::read_config`].
pub fn read_config_bytes(config: &[u8], offset: u64, data: &mut [u8]) {
    for (i, b) in data.iter_mut().enumerate() {
        *b = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(i))
            .and_then(|o| config.get(o))
            .copied()
            .unwrap_or(0);
    }
}

#[cfg(test)]
pub(crate) mod testutil;
