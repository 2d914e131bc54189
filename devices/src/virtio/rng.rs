//! virtio-rng: an entropy device (VIRTIO 1.2 §5.4).
//!
//! One request queue; no features, no configuration space. Each chain the
//! driver makes available is filled with random bytes — its device-writable
//! buffers, up to [`MAX_REQUEST`] bytes (the specification lets the device
//! use less than the whole buffer; Linux's driver asks for 64 bytes at a
//! time). Device-readable buffers, which a driver must not post, are
//! ignored.
//!
//! The bytes are an input from outside the guest, so they come from an
//! [`EntropySource`] the machine supplies, which is told the instruction
//! count of the register write the request is served in: the machine
//! draws fresh bytes and logs them when recording, and takes them from the
//! log when replaying. The device asks the source for exactly the bytes it
//! will try to write, once per chain, in ring order. If a buffer lies
//! outside guest RAM the bytes that fit before it are delivered and the used
//! length says how many.

use super::mmio::VirtioDevice;
use super::queue::Virtqueue;
use super::DEVICE_ID_ENTROPY;
use lockstep_runtime::bus::IoCtx;

/// QueueNumMax of the request queue (QEMU's value).
pub const QUEUE_SIZE: u16 = 8;
/// The most bytes served for one request.
pub const MAX_REQUEST: usize = 4096;

/// Where the random bytes come from.
pub trait EntropySource {
    /// Fills `buf` with random bytes for a request served at instruction
    /// count `icount`.
    fn fill(&mut self, icount: u64, buf: &mut [u8]);
}

impl<F: FnMut(u64, &mut [u8])> EntropySource for F {
    fn fill(&mut self, icount: u64, buf: &mut [u8]) {
        self(icount, buf)
    }
}

/// A virtio entropy device (see the module documentation).
pub struct VirtioRng {
    source: Box<dyn EntropySource>,
    buf: Vec<u8>,
}

impl VirtioRng {
    /// An entropy device drawing from `source`.
    pub fn new(source: Box<dyn EntropySource>) -> Self {
        VirtioRng {
            source,
            buf: Vec::new(),
        }
    }
}

impl VirtioDevice for VirtioRng {
    fn device_id(&self) -> u32 {
        DEVICE_ID_ENTROPY
    }

    fn features(&self) -> u64 {
        0
    }

    fn read_config(&self, _offset: u64, data: &mut [u8]) {
        data.fill(0);
    }

    fn num_queues(&self) -> u16 {
        1
    }

    fn queue_max_size(&self, _queue: u16) -> u16 {
        QUEUE_SIZE
    }

    fn process(&mut self, ctx: &IoCtx, queue: &mut Virtqueue<'_>) {
        let dma = queue.dma();
        while let Some(chain) = queue.pop() {
            let mut w = chain.writer(dma);
            let n = w.remaining().min(MAX_REQUEST as u64) as usize;
            if n > 0 {
                self.buf.resize(n, 0);
                self.source.fill(ctx.icount, &mut self.buf);
                // On a buffer outside RAM, `written` keeps what landed.
                let _ = w.write(&self.buf);
            }
            let len = w.written() as u32;
            queue.complete(chain, len);
        }
    }

    fn reset(&mut self) {}
}
