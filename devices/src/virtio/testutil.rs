//! A fake guest for the virtio tests: RAM on a real bus, an interrupt
//! controller's lines, and a driver that programs a transport the way
//! Linux's virtio_mmio and virtio_ring do.

use super::mmio::*;
use super::*;
use lockstep_runtime::bus::{Bus, IoCtx};
use lockstep_runtime::dma::Dma;
use lockstep_runtime::{IrqLines, MmioDevice};
use std::cell::RefCell;
use std::rc::Rc;

pub const RAM: u64 = 0x4000_0000;
pub const RAM_SIZE: u64 = 0x10_0000;
/// The GIC input of the transport under test (SPI 16).
pub const IRQ: u32 = 48;

pub const DESC_F_NEXT: u16 = 1;
pub const DESC_F_WRITE: u16 = 2;
pub const DESC_F_INDIRECT: u16 = 4;

pub fn ctx(icount: u64) -> IoCtx {
    IoCtx { icount, now_ns: 0 }
}

/// Guest RAM, the DMA handle devices get, and the interrupt lines.
pub struct Guest {
    /// Kept alive: the DMA handles point into its RAM.
    pub _bus: Bus,
    pub dma: Dma,
    pub written: Rc<RefCell<Vec<(u64, u64)>>>,
    pub lines: Rc<IrqLines>,
    next: u64,
}

impl Guest {
    pub fn new() -> Guest {
        let mut bus = Bus::new();
        bus.add_ram(RAM, RAM_SIZE).unwrap();
        let written = Rc::new(RefCell::new(Vec::new()));
        let dma = bus.dma(Rc::clone(&written));
        Guest {
            _bus: bus,
            dma,
            written,
            lines: IrqLines::new(128),
            next: RAM + 0x1000,
        }
    }

    /// Zeroed guest memory (a bump allocator).
    pub fn alloc(&mut self, size: u64, align: u64) -> u64 {
        let a = self.next.next_multiple_of(align);
        self.next = a + size;
        assert!(self.next <= RAM + RAM_SIZE, "test guest out of RAM");
        a
    }

    pub fn level(&self) -> bool {
        self.lines.level(IRQ)
    }

    pub fn take_edge(&self) -> bool {
        self.lines.take_rising(IRQ)
    }

    pub fn read(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.dma.read(addr, &mut v).unwrap();
        v
    }

    pub fn write(&self, addr: u64, data: &[u8]) {
        self.dma.write(addr, data).unwrap();
    }
}

/// The driver's side of one queue.
pub struct DrvQueue {
    pub size: u16,
    pub desc: u64,
    pub avail: u64,
    pub used: u64,
    pub avail_idx: u16,
    pub last_used: u16,
    pub next_desc: u16,
}

/// A driver bound to a transport.
pub struct Driver<D: VirtioDevice> {
    pub t: VirtioMmio<D>,
    pub queues: Vec<DrvQueue>,
    pub icount: u64,
}

impl<D: VirtioDevice> Driver<D> {
    pub fn new(t: VirtioMmio<D>) -> Self {
        Driver {
            t,
            queues: Vec::new(),
            icount: 1000,
        }
    }

    pub fn r(&mut self, off: u64) -> u32 {
        self.t.read(&ctx(self.icount), off, 4) as u32
    }

    pub fn w(&mut self, off: u64, v: u32) {
        self.icount += 1;
        self.t.write(&ctx(self.icount), off, 4, u64::from(v))
    }

    pub fn add_status(&mut self, bits: u8) {
        let s = self.r(STATUS);
        self.w(STATUS, s | u32::from(bits));
    }

    pub fn device_features(&mut self) -> u64 {
        self.w(DEVICE_FEATURES_SEL, 1);
        let hi = self.r(DEVICE_FEATURES);
        self.w(DEVICE_FEATURES_SEL, 0);
        let lo = self.r(DEVICE_FEATURES);
        u64::from(hi) << 32 | u64::from(lo)
    }

    pub fn write_driver_features(&mut self, f: u64) {
        self.w(DRIVER_FEATURES_SEL, 1);
        self.w(DRIVER_FEATURES, (f >> 32) as u32);
        self.w(DRIVER_FEATURES_SEL, 0);
        self.w(DRIVER_FEATURES, f as u32);
    }

    /// Probe as virtio_mmio + the virtio core do, up to FEATURES_OK;
    /// returns whether the device accepted the features.
    pub fn negotiate(&mut self, want: u64) -> bool {
        assert_eq!(self.r(MAGIC_VALUE), 0x7472_6976);
        assert_eq!(self.r(VERSION_REG), 2);
        assert_ne!(self.r(DEVICE_ID), 0);
        self.w(STATUS, 0);
        self.add_status(STATUS_ACKNOWLEDGE);
        self.add_status(STATUS_DRIVER);
        let offered = self.device_features();
        self.write_driver_features(offered & want);
        self.add_status(STATUS_FEATURES_OK);
        self.r(STATUS) & u32::from(STATUS_FEATURES_OK) != 0
    }

    /// Sets up queue `q` with `size` entries (vm_setup_vq).
    pub fn setup_queue(&mut self, g: &mut Guest, q: u16, size: u16) {
        self.w(QUEUE_SEL, u32::from(q));
        assert_eq!(self.r(QUEUE_READY), 0);
        let max = self.r(QUEUE_NUM_MAX);
        assert!(max >= u32::from(size));
        let n = u64::from(size);
        let desc = g.alloc(16 * n, 16);
        let avail = g.alloc(6 + 2 * n, 2);
        let used = g.alloc(6 + 8 * n, 4);
        self.w(QUEUE_NUM, u32::from(size));
        self.w(QUEUE_DESC_LOW, desc as u32);
        self.w(QUEUE_DESC_HIGH, (desc >> 32) as u32);
        self.w(QUEUE_DRIVER_LOW, avail as u32);
        self.w(QUEUE_DRIVER_HIGH, (avail >> 32) as u32);
        self.w(QUEUE_DEVICE_LOW, used as u32);
        self.w(QUEUE_DEVICE_HIGH, (used >> 32) as u32);
        self.w(QUEUE_READY, 1);
        while self.queues.len() <= q as usize {
            self.queues.push(DrvQueue {
                size: 0,
                desc: 0,
                avail: 0,
                used: 0,
                avail_idx: 0,
                last_used: 0,
                next_desc: 0,
            });
        }
        self.queues[q as usize] = DrvQueue {
            size,
            desc,
            avail,
            used,
            avail_idx: 0,
            last_used: 0,
            next_desc: 0,
        };
    }

    /// The whole bring-up: features, every queue at its maximum size,
    /// DRIVER_OK.
    pub fn bring_up(&mut self, g: &mut Guest, want: u64) {
        assert!(self.negotiate(want), "device refused features");
        let n = self.t.device().unwrap().num_queues();
        for q in 0..n {
            self.w(QUEUE_SEL, u32::from(q));
            let max = self.r(QUEUE_NUM_MAX) as u16;
            self.setup_queue(g, q, max);
        }
        self.add_status(STATUS_DRIVER_OK);
        assert_eq!(
            self.r(STATUS),
            u32::from(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK)
        );
    }

    /// Writes a raw descriptor into queue `q`'s table at `idx`.
    pub fn put_desc(g: &Guest, table: u64, idx: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let mut b = [0u8; 16];
        b[0..8].copy_from_slice(&addr.to_le_bytes());
        b[8..12].copy_from_slice(&len.to_le_bytes());
        b[12..14].copy_from_slice(&flags.to_le_bytes());
        b[14..16].copy_from_slice(&next.to_le_bytes());
        g.write(table + 16 * u64::from(idx), &b);
    }

    /// Makes chain head `head` available on queue `q` (no notification).
    pub fn make_available(&mut self, g: &Guest, q: u16, head: u16) {
        let dq = &mut self.queues[q as usize];
        let slot = u64::from(dq.avail_idx % dq.size);
        g.write(dq.avail + 4 + 2 * slot, &head.to_le_bytes());
        dq.avail_idx = dq.avail_idx.wrapping_add(1);
        g.write(dq.avail + 2, &dq.avail_idx.to_le_bytes());
    }

    /// Posts a chain of direct descriptors (address, length, device
    /// writable) on queue `q`; returns its head.
    pub fn post(&mut self, g: &Guest, q: u16, bufs: &[(u64, u32, bool)]) -> u16 {
        let dq = &mut self.queues[q as usize];
        let head = dq.next_desc;
        for (i, &(addr, len, wr)) in bufs.iter().enumerate() {
            let idx = (head + i as u16) % dq.size;
            let last = i + 1 == bufs.len();
            let mut flags = if wr { DESC_F_WRITE } else { 0 };
            if !last {
                flags |= DESC_F_NEXT;
            }
            Self::put_desc(g, dq.desc, idx, addr, len, flags, (idx + 1) % dq.size);
        }
        dq.next_desc = (head + bufs.len() as u16) % dq.size;
        self.make_available(g, q, head);
        head
    }

    /// Posts the buffers through one indirect table (one ring descriptor).
    pub fn post_indirect(&mut self, g: &mut Guest, q: u16, bufs: &[(u64, u32, bool)]) -> u16 {
        let table = g.alloc(16 * bufs.len() as u64, 16);
        for (i, &(addr, len, wr)) in bufs.iter().enumerate() {
            let last = i + 1 == bufs.len();
            let mut flags = if wr { DESC_F_WRITE } else { 0 };
            if !last {
                flags |= DESC_F_NEXT;
            }
            Self::put_desc(g, table, i as u16, addr, len, flags, i as u16 + 1);
        }
        let dq = &mut self.queues[q as usize];
        let head = dq.next_desc;
        Self::put_desc(
            g,
            dq.desc,
            head,
            table,
            16 * bufs.len() as u32,
            DESC_F_INDIRECT,
            0,
        );
        dq.next_desc = (head + 1) % dq.size;
        self.make_available(g, q, head);
        head
    }

    pub fn notify(&mut self, q: u16) {
        self.w(QUEUE_NOTIFY, u32::from(q));
    }

    /// New used ring entries (id, len) since the last call.
    pub fn used(&mut self, g: &Guest, q: u16) -> Vec<(u32, u32)> {
        let dq = &mut self.queues[q as usize];
        let idx = u16::from_le_bytes(g.read(dq.used + 2, 2).try_into().unwrap());
        let mut out = Vec::new();
        while dq.last_used != idx {
            let slot = u64::from(dq.last_used % dq.size);
            let e = g.read(dq.used + 4 + 8 * slot, 8);
            out.push((
                u32::from_le_bytes(e[0..4].try_into().unwrap()),
                u32::from_le_bytes(e[4..8].try_into().unwrap()),
            ));
            dq.last_used = dq.last_used.wrapping_add(1);
        }
        out
    }

    /// The interrupt handler's register part (vm_interrupt): read the
    /// status, acknowledge it.
    pub fn ack_interrupt(&mut self) -> u32 {
        let s = self.r(INTERRUPT_STATUS);
        self.w(INTERRUPT_ACK, s);
        s
    }
}

/// A disk image in the temporary directory, removed on drop.
pub struct TempImage {
    pub path: std::path::PathBuf,
}

impl TempImage {
    pub fn new(bytes: &[u8]) -> TempImage {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "lockstep-virtio-test-{}-{n}.img",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        TempImage { path }
    }

    pub fn open(&self, writable: bool) -> std::fs::File {
        std::fs::OpenOptions::new()
            .read(true)
            .write(writable)
            .open(&self.path)
            .unwrap()
    }

    pub fn contents(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }
}

impl Drop for TempImage {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Image bytes where every byte tells its sector and offset apart.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|o| ((o / 512) as u8).wrapping_mul(31) ^ (o as u8))
        .collect()
}
