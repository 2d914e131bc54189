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

#[cfg(test)]
mod tests {
    use super::super::mmio::VirtioMmio;
    use super::super::testutil::*;
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A recorded "log" of entropy: what the source handed out and when.
    #[derive(Default)]
    struct Recorder {
        log: Vec<(u64, Vec<u8>)>,
        state: u64,
    }

    struct Shared(Rc<RefCell<Recorder>>);

    impl EntropySource for Shared {
        fn fill(&mut self, icount: u64, buf: &mut [u8]) {
            let mut r = self.0.borrow_mut();
            for b in buf.iter_mut() {
                r.state = r.state.wrapping_mul(6364136223846793005).wrapping_add(1);
                *b = (r.state >> 56) as u8;
            }
            r.log.push((icount, buf.to_vec()));
        }
    }

    fn setup() -> (Guest, Driver<VirtioRng>, Rc<RefCell<Recorder>>) {
        let mut g = Guest::new();
        let rec = Rc::new(RefCell::new(Recorder::default()));
        let dev = VirtioRng::new(Box::new(Shared(Rc::clone(&rec))));
        let t = VirtioMmio::new(dev, g.dma.clone(), g.lines.line(IRQ));
        let mut d = Driver::new(t);
        d.bring_up(&mut g, u64::MAX);
        (g, d, rec)
    }

    #[test]
    fn identifies_as_an_entropy_device() {
        let (_, mut d, _) = setup();
        assert_eq!(d.r(super::super::mmio::DEVICE_ID), 4);
        assert_eq!(
            d.device_features(),
            super::super::F_VERSION_1 | super::super::F_INDIRECT_DESC
        );
        assert_eq!(d.r(super::super::mmio::CONFIG_OFFSET), 0);
    }

    #[test]
    fn fills_buffers_with_the_sources_bytes_at_the_notify_icount() {
        let (mut g, mut d, rec) = setup();
        let buf = g.alloc(64, 8);
        d.post(&g, 0, &[(buf, 64, true)]);
        d.notify(0);
        let at = d.icount;
        assert_eq!(d.used(&g, 0), vec![(0, 64)]);
        {
            let r = rec.borrow();
            assert_eq!(r.log.len(), 1);
            assert_eq!(r.log[0].0, at);
            assert_eq!(g.read(buf, 64), r.log[0].1);
        }
        // Several requests in one notification: one draw each, in order,
        // split buffers filled in order.
        let (a, b) = (g.alloc(16, 8), g.alloc(16, 8));
        d.post(&g, 0, &[(a, 5, true), (b, 11, true)]);
        d.post_indirect(&mut g, 0, &[(buf, 32, true)]);
        d.notify(0);
        let at = d.icount;
        assert_eq!(d.used(&g, 0), vec![(1, 16), (3, 32)]);
        let r = rec.borrow();
        assert_eq!(r.log.len(), 3);
        assert!(r.log[1..].iter().all(|(i, _)| *i == at));
        assert_eq!([g.read(a, 5), g.read(b, 11)].concat(), r.log[1].1);
        assert_eq!(g.read(buf, 32), r.log[2].1);
    }

    #[test]
    fn large_requests_are_served_in_part() {
        let (mut g, mut d, rec) = setup();
        let buf = g.alloc(3 * 4096, 8);
        d.post(&g, 0, &[(buf, 3 * 4096, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0), vec![(0, MAX_REQUEST as u32)]);
        assert_eq!(rec.borrow().log[0].1.len(), MAX_REQUEST);
        assert_eq!(g.read(buf + 4096, 8), [0; 8]);
    }

    #[test]
    fn readable_and_unreachable_buffers() {
        let (mut g, mut d, rec) = setup();
        let buf = g.alloc(32, 8);
        g.write(buf, &[0x77; 32]);
        // Device-readable buffers are left alone.
        d.post(&g, 0, &[(buf, 16, false), (buf + 16, 16, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0), vec![(0, 16)]);
        assert_eq!(g.read(buf, 16), [0x77; 16]);
        // Nothing writable: no draw, used length 0.
        d.post(&g, 0, &[(buf, 16, false)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0), vec![(2, 0)]);
        assert_eq!(rec.borrow().log.len(), 1);
        // A buffer outside RAM: the bytes before it are delivered.
        d.post(&g, 0, &[(buf, 8, true), (0x1000, 8, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0), vec![(3, 8)]);
        assert_eq!(g.read(buf, 8), rec.borrow().log[1].1[..8]);
        assert_eq!(d.t.error(), None);
    }

    #[test]
    fn closures_are_sources() {
        let mut seen = Vec::new();
        let mut f = |icount: u64, buf: &mut [u8]| {
            seen.push(icount);
            buf.fill(3);
        };
        let mut b = [0u8; 4];
        EntropySource::fill(&mut f, 42, &mut b);
        assert_eq!(b, [3; 4]);
        assert_eq!(seen, [42]);
    }
}
