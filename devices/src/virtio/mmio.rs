//! The virtio-mmio transport, register layout version 2 (VIRTIO 1.2 §4.2).
//!
//! One transport is one 0x200-byte window (QEMU's `virt` board has 32 of
//! them at 0x0a00_0000, SPI 16 + slot, edge-triggered): control registers
//! below 0x100, the device's configuration space from 0x100. A transport
//! holds a [`VirtioDevice`] — or nothing: [`VirtioMmio::empty`] reports
//! DeviceID 0, which drivers skip without complaint.
//!
//! # Registers
//!
//! Control registers answer 32-bit accesses at their aligned offsets only
//! (the only ones a driver may make); any other access to them reads as
//! zero and is ignored, as are reads of write-only registers, writes to
//! read-only ones and offsets that name no register. The configuration
//! space takes accesses of 1, 2, 4 or 8 bytes at any offset and reads
//! zero past the device's structure.
//!
//! - MagicValue `0x74726976` ("virt"), Version 2, the device's DeviceID.
//! - VendorID is `0x554d4551` ("QEMU" in little-endian bytes), the value
//!   QEMU's transports report: nothing in Linux depends on it, and a guest
//!   sees the same `/sys/bus/virtio/devices/*/vendor` as on QEMU.
//! - DeviceFeatures offers the device's features plus VIRTIO_F_VERSION_1
//!   and VIRTIO_F_INDIRECT_DESC. VIRTIO_F_EVENT_IDX is not offered.
//! - SHMLen/SHMBase read as all ones: no shared memory regions.
//! - ConfigGeneration changes when [`VirtioMmio::config_changed`] is called.
//!
//! # Negotiation and status
//!
//! Status bits accumulate: a non-zero write sets the bits written (a driver
//! never clears one; Linux always writes the old value with one more bit).
//! Writing 0 resets the device: queues, features, interrupt status, error.
//! When the driver sets FEATURES_OK the transport accepts its features only
//! if they are a subset of those offered and include VIRTIO_F_VERSION_1
//! (legacy drivers are not supported); otherwise FEATURES_OK stays clear,
//! which the driver reads back as refusal. DriverFeatures is ignored once
//! FEATURES_OK is set.
//!
//! # Queues
//!
//! QueueNum and the area addresses are ignored while the selected queue is
//! ready, and for a QueueSel beyond the device's queues (QueueNumMax reads
//! 0 there). Writing a non-zero value to QueueReady checks QueueNum: zero, above
//! QueueNumMax or not a power of two is an error (QueueReady stays 0, the
//! device sets DEVICE_NEEDS_RESET); otherwise the queue starts with empty
//! rings (its ring indices at 0). Writing 0 stops it.
//!
//! The device works only while DRIVER_OK and FEATURES_OK are set and
//! neither DEVICE_NEEDS_RESET nor FAILED is. A QueueNotify (its value is the
//! queue index: VIRTIO_F_NOTIFICATION_DATA is not offered) for a queue that
//! does not exist or is not ready, or while the device is not working, is
//! ignored. Setting DRIVER_OK processes every ready queue once, so buffers a
//! driver made available (and notified) too early are not lost.
//!
//! A notified queue is processed at once, inside the register write: the
//! device takes every chain the driver made available, in ring order, and
//! completes it before the write returns. If a queue breaks (see
//! [`QueueError`]), the device sets DEVICE_NEEDS_RESET, raises a
//! configuration change notification if DRIVER_OK was set, keeps the first
//! error for [`VirtioMmio::error`], and touches no queue until reset.
//!
//! # Interrupt
//!
//! The interrupt line is high exactly while InterruptStatus is non-zero,
//! as QEMU drives it and as the specification describes the signal
//! ("Notifications From The Device"). On the GIC's edge-triggered input this gives one rising edge
//! per batch of events the driver has not acknowledged: Linux's handler
//! reads InterruptStatus, writes it to InterruptACK (the line falls), and
//! only then looks at the used rings, so anything used before the
//! acknowledgement is seen, and anything used after it raises a new edge.
//! Used buffer notifications honour the available ring's NO_INTERRUPT flag.

use super::queue::{QueueError, QueueState, Virtqueue};
use super::{
    F_INDIRECT_DESC, F_VERSION_1, INT_CONFIG_CHANGE, INT_USED_BUFFER, STATUS_DEVICE_NEEDS_RESET,
    STATUS_DRIVER_OK, STATUS_FAILED, STATUS_FEATURES_OK,
};
use lockstep_runtime::bus::IoCtx;
use lockstep_runtime::dma::Dma;
use lockstep_runtime::{IrqLine, MmioDevice};

/// Bytes of address space one transport occupies.
pub const MMIO_SIZE: u64 = 0x200;
/// MagicValue: "virt" in little-endian bytes.
pub const MAGIC: u32 = 0x7472_6976;
/// The register layout version of this (non-legacy) transport.
pub const VERSION: u32 = 2;
/// VendorID: "QEMU" in little-endian bytes, as QEMU reports.
pub const VENDOR_ID: u32 = 0x554d_4551;
/// Where the device configuration space starts.
pub const CONFIG_OFFSET: u64 = 0x100;

pub(crate) const MAGIC_VALUE: u64 = 0x000;
pub(crate) const VERSION_REG: u64 = 0x004;
pub(crate) const DEVICE_ID: u64 = 0x008;
pub(crate) const VENDOR_ID_REG: u64 = 0x00c;
pub(crate) const DEVICE_FEATURES: u64 = 0x010;
pub(crate) const DEVICE_FEATURES_SEL: u64 = 0x014;
pub(crate) const DRIVER_FEATURES: u64 = 0x020;
pub(crate) const DRIVER_FEATURES_SEL: u64 = 0x024;
pub(crate) const QUEUE_SEL: u64 = 0x030;
pub(crate) const QUEUE_NUM_MAX: u64 = 0x034;
pub(crate) const QUEUE_NUM: u64 = 0x038;
pub(crate) const QUEUE_READY: u64 = 0x044;
pub(crate) const QUEUE_NOTIFY: u64 = 0x050;
pub(crate) const INTERRUPT_STATUS: u64 = 0x060;
pub(crate) const INTERRUPT_ACK: u64 = 0x064;
pub(crate) const STATUS: u64 = 0x070;
pub(crate) const QUEUE_DESC_LOW: u64 = 0x080;
pub(crate) const QUEUE_DESC_HIGH: u64 = 0x084;
pub(crate) const QUEUE_DRIVER_LOW: u64 = 0x090;
pub(crate) const QUEUE_DRIVER_HIGH: u64 = 0x094;
pub(crate) const QUEUE_DEVICE_LOW: u64 = 0x0a0;
pub(crate) const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
pub(crate) const SHM_SEL: u64 = 0x0ac;
pub(crate) const SHM_LEN_LOW: u64 = 0x0b0;
pub(crate) const SHM_LEN_HIGH: u64 = 0x0b4;
pub(crate) const SHM_BASE_LOW: u64 = 0x0b8;
pub(crate) const SHM_BASE_HIGH: u64 = 0x0bc;
pub(crate) const CONFIG_GENERATION: u64 = 0x0fc;

/// A virtio device model behind a transport.
///
/// The transport owns everything generic (feature negotiation, queue
/// setup, rings, interrupts); the device says what it is and does the work
/// of one queue when the driver notifies it.
pub trait VirtioDevice {
    /// The virtio device ID (2 block, 4 entropy, ...; never 0).
    fn device_id(&self) -> u32;

    /// The device-specific feature bits it offers (the transport adds its
    /// own: VIRTIO_F_VERSION_1 and VIRTIO_F_INDIRECT_DESC).
    fn features(&self) -> u64;

    /// The features the driver accepted, all bits (when it sets
    /// FEATURES_OK and the transport agrees).
    fn ack_features(&mut self, features: u64) {
        let _ = features;
    }

    /// Reads `data.len()` bytes of the configuration space at `offset`
    /// (from its start); bytes past the device's structure read as zero.
    fn read_config(&self, offset: u64, data: &mut [u8]);

    /// A driver write to the configuration space. Ignored by default.
    fn write_config(&mut self, offset: u64, data: &[u8]) {
        let _ = (offset, data);
    }

    /// How many virtqueues the device has.
    fn num_queues(&self) -> u16;

    /// QueueNumMax of queue `queue` (< [`Self::num_queues`]): a power of
    /// two, at most 32768.
    fn queue_max_size(&self, queue: u16) -> u16;

    /// The driver notified `queue`: take its available chains
    /// ([`Virtqueue::pop`]) and complete them ([`Virtqueue::complete`]).
    /// Runs inside the guest's register write, whose `ctx` it gets.
    fn process(&mut self, ctx: &IoCtx, queue: &mut Virtqueue<'_>);

    /// The driver reset the device: forget negotiated state. (Data a device
    /// stores, such as a disk's contents, survives.)
    fn reset(&mut self);
}

impl<T: VirtioDevice + ?Sized> VirtioDevice for Box<T> {
    fn device_id(&self) -> u32 {
        (**self).device_id()
    }
    fn features(&self) -> u64 {
        (**self).features()
    }
    fn ack_features(&mut self, features: u64) {
        (**self).ack_features(features)
    }
    fn read_config(&self, offset: u64, data: &mut [u8]) {
        (**self).read_config(offset, data)
    }
    fn write_config(&mut self, offset: u64, data: &[u8]) {
        (**self).write_config(offset, data)
    }
    fn num_queues(&self) -> u16 {
        (**self).num_queues()
    }
    fn queue_max_size(&self, queue: u16) -> u16 {
        (**self).queue_max_size(queue)
    }
    fn process(&mut self, ctx: &IoCtx, queue: &mut Virtqueue<'_>) {
        (**self).process(ctx, queue)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// What a transport with a device is connected to.
struct Attached<D> {
    device: D,
    dma: Dma,
    irq: IrqLine,
}

/// A virtio-mmio transport (see the module documentation), holding a
/// device of type `D` or, for an empty slot, none.
pub struct VirtioMmio<D = Box<dyn VirtioDevice>> {
    dev: Option<Attached<D>>,
    device_features_sel: u32,
    driver_features_sel: u32,
    /// DriverFeatures as written.
    driver_features: u64,
    /// The features in force since FEATURES_OK.
    negotiated: u64,
    queue_sel: u32,
    queues: Vec<QueueState>,
    interrupt_status: u32,
    status: u8,
    config_generation: u32,
    error: Option<QueueError>,
}

impl VirtioMmio {
    /// A transport with no device (DeviceID 0): a placeholder slot.
    pub fn empty() -> Self {
        VirtioMmio {
            dev: None,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            negotiated: 0,
            queue_sel: 0,
            queues: Vec::new(),
            interrupt_status: 0,
            status: 0,
            config_generation: 0,
            error: None,
        }
    }
}

impl<D: VirtioDevice> VirtioMmio<D> {
    /// A transport for `device`, reaching guest RAM through `dma` and
    /// signalling on `irq` (driven low now).
    pub fn new(device: D, dma: Dma, irq: IrqLine) -> Self {
        irq.lower();
        let queues = (0..device.num_queues())
            .map(|q| QueueState::new(device.queue_max_size(q)))
            .collect();
        VirtioMmio {
            dev: Some(Attached { device, dma, irq }),
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            negotiated: 0,
            queue_sel: 0,
            queues,
            interrupt_status: 0,
            status: 0,
            config_generation: 0,
            error: None,
        }
    }

    /// The device, if the slot has one.
    pub fn device(&self) -> Option<&D> {
        self.dev.as_ref().map(|a| &a.device)
    }

    /// The device, if the slot has one, to drive from outside the bus.
    pub fn device_mut(&mut self) -> Option<&mut D> {
        self.dev.as_mut().map(|a| &mut a.device)
    }

    /// The Status register (the driver's progress bits and
    /// DEVICE_NEEDS_RESET).
    pub fn status(&self) -> u8 {
        self.status
    }

    /// The InterruptStatus register.
    pub fn interrupt_status(&self) -> u32 {
        self.interrupt_status
    }

    /// The error that set DEVICE_NEEDS_RESET, until the driver resets the
    /// device.
    pub fn error(&self) -> Option<QueueError> {
        self.error
    }

    /// The device's configuration changed (a disk was resized, say): bumps
    /// ConfigGeneration and, once the driver is up, sends a configuration
    /// change notification.
    pub fn config_changed(&mut self) {
        self.config_generation = self.config_generation.wrapping_add(1);
        if self.status & STATUS_DRIVER_OK != 0 {
            self.interrupt_status |= INT_CONFIG_CHANGE;
            self.update_irq();
        }
    }

    /// The features offered: the device's plus the transport's.
    fn offered(&self) -> u64 {
        self.dev
            .as_ref()
            .map_or(0, |a| a.device.features() | F_VERSION_1 | F_INDIRECT_DESC)
    }

    fn update_irq(&self) {
        if let Some(a) = &self.dev {
            a.irq.set(self.interrupt_status != 0);
        }
    }

    /// The device may touch its queues.
    fn running(&self) -> bool {
        let s = self.status;
        s & STATUS_DRIVER_OK != 0
            && s & STATUS_FEATURES_OK != 0
            && s & (STATUS_DEVICE_NEEDS_RESET | STATUS_FAILED) == 0
    }

    fn fail(&mut self, e: QueueError) {
        self.error.get_or_insert(e);
        self.status |= STATUS_DEVICE_NEEDS_RESET;
        if self.status & STATUS_DRIVER_OK != 0 {
            self.interrupt_status |= INT_CONFIG_CHANGE;
        }
        self.update_irq();
    }

    fn reset(&mut self) {
        if let Some(a) = &mut self.dev {
            a.device.reset();
        }
        for q in &mut self.queues {
            *q = QueueState::new(q.max);
        }
        self.device_features_sel = 0;
        self.driver_features_sel = 0;
        self.driver_features = 0;
        self.negotiated = 0;
        self.queue_sel = 0;
        self.interrupt_status = 0;
        self.status = 0;
        self.error = None;
        self.update_irq();
    }

    fn write_status(&mut self, ctx: &IoCtx, v: u8) {
        if v == 0 {
            self.reset();
            return;
        }
        let old = self.status;
        // DEVICE_NEEDS_RESET is the device's to set.
        let mut new = old | (v & !STATUS_DEVICE_NEEDS_RESET);
        if new & STATUS_FEATURES_OK != 0 && old & STATUS_FEATURES_OK == 0 {
            let f = self.driver_features;
            if f & !self.offered() == 0 && f & F_VERSION_1 != 0 {
                self.negotiated = f;
                if let Some(a) = &mut self.dev {
                    a.device.ack_features(f);
                }
            } else {
                new &= !STATUS_FEATURES_OK;
            }
        }
        self.status = new;
        if old & STATUS_DRIVER_OK == 0 && self.running() {
            for q in 0..self.queues.len() as u16 {
                self.process_queue(ctx, q);
            }
        }
    }

    fn write_queue_ready(&mut self, v: u32) {
        let Some(q) = self.queues.get_mut(self.queue_sel as usize) else {
            return;
        };
        if v == 0 {
            q.ready = false;
        } else if !q.ready {
            if !q.valid_size() {
                let n = q.num;
                self.fail(QueueError::BadSize(n));
                return;
            }
            q.ready = true;
            q.next_avail = 0;
            q.next_used = 0;
        }
    }

    /// Processes queue `q` if the device is running and the queue ready.
    fn process_queue(&mut self, ctx: &IoCtx, q: u16) {
        if !self.running() {
            return;
        }
        let Some(a) = &mut self.dev else { return };
        let Some(state) = self.queues.get_mut(q as usize) else {
            return;
        };
        if !state.ready {
            return;
        }
        let indirect = self.negotiated & F_INDIRECT_DESC != 0;
        let mut vq = Virtqueue::new(q, state, &a.dma, indirect);
        a.device.process(ctx, &mut vq);
        let (notify, err) = vq.finish();
        if notify {
            self.interrupt_status |= INT_USED_BUFFER;
        }
        match err {
            Some(e) => self.fail(e),
            None => self.update_irq(),
        }
    }

    /// The selected queue, if it exists and is not ready (so its setup may
    /// change).
    fn setup_queue(&mut self) -> Option<&mut QueueState> {
        self.queues
            .get_mut(self.queue_sel as usize)
            .filter(|q| !q.ready)
    }

    fn read_reg(&self, offset: u64) -> u32 {
        let Some(a) = &self.dev else {
            return match offset {
                MAGIC_VALUE => MAGIC,
                VERSION_REG => VERSION,
                VENDOR_ID_REG => VENDOR_ID,
                _ => 0,
            };
        };
        let sel = self.queues.get(self.queue_sel as usize);
        match offset {
            MAGIC_VALUE => MAGIC,
            VERSION_REG => VERSION,
            DEVICE_ID => a.device.device_id(),
            VENDOR_ID_REG => VENDOR_ID,
            DEVICE_FEATURES => match self.device_features_sel {
                0 => self.offered() as u32,
                1 => (self.offered() >> 32) as u32,
                _ => 0,
            },
            QUEUE_NUM_MAX => sel.map_or(0, |q| u32::from(q.max)),
            QUEUE_READY => sel.map_or(0, |q| u32::from(q.ready)),
            INTERRUPT_STATUS => self.interrupt_status,
            STATUS => u32::from(self.status),
            SHM_LEN_LOW | SHM_LEN_HIGH | SHM_BASE_LOW | SHM_BASE_HIGH => u32::MAX,
            CONFIG_GENERATION => self.config_generation,
            _ => 0,
        }
    }

    fn write_reg(&mut self, ctx: &IoCtx, offset: u64, v: u32) {
        if self.dev.is_none() {
            return;
        }
        let lo = |old: u64| old & !0xffff_ffff | u64::from(v);
        let hi = |old: u64| old & 0xffff_ffff | u64::from(v) << 32;
        match offset {
            DEVICE_FEATURES_SEL => self.device_features_sel = v,
            DRIVER_FEATURES_SEL => self.driver_features_sel = v,
            DRIVER_FEATURES if self.status & STATUS_FEATURES_OK == 0 => {
                match self.driver_features_sel {
                    0 => self.driver_features = lo(self.driver_features),
                    1 => self.driver_features = hi(self.driver_features),
                    _ => {}
                }
            }
            QUEUE_SEL => self.queue_sel = v,
            QUEUE_NUM => {
                if let Some(q) = self.setup_queue() {
                    q.num = v;
                }
            }
            QUEUE_READY => self.write_queue_ready(v),
            QUEUE_NOTIFY => {
                if let Ok(q) = u16::try_from(v) {
                    self.process_queue(ctx, q);
                }
            }
            INTERRUPT_ACK => {
                self.interrupt_status &= !v;
                self.update_irq();
            }
            STATUS => self.write_status(ctx, v as u8),
            QUEUE_DESC_LOW | QUEUE_DESC_HIGH | QUEUE_DRIVER_LOW | QUEUE_DRIVER_HIGH
            | QUEUE_DEVICE_LOW | QUEUE_DEVICE_HIGH => {
                if let Some(q) = self.setup_queue() {
                    let field = match offset {
                        QUEUE_DESC_LOW | QUEUE_DESC_HIGH => &mut q.desc,
                        QUEUE_DRIVER_LOW | QUEUE_DRIVER_HIGH => &mut q.avail,
                        _ => &mut q.used,
                    };
                    *field = if offset & 4 == 0 {
                        lo(*field)
                    } else {
                        hi(*field)
                    };
                }
            }
            // No shared memory regions: the selector selects nothing.
            SHM_SEL => {}
            _ => {}
        }
    }
}

impl<D: VirtioDevice> MmioDevice for VirtioMmio<D> {
    fn name(&self) -> &'static str {
        "virtio-mmio"
    }

    fn read(&mut self, _ctx: &IoCtx, offset: u64, size: u8) -> u64 {
        if offset >= CONFIG_OFFSET {
            let (Some(a), 1 | 2 | 4 | 8) = (&self.dev, size) else {
                return 0;
            };
            let mut b = [0u8; 8];
            a.device
                .read_config(offset - CONFIG_OFFSET, &mut b[..size as usize]);
            return u64::from_le_bytes(b);
        }
        if size != 4 || !offset.is_multiple_of(4) {
            return 0;
        }
        u64::from(self.read_reg(offset))
    }

    fn write(&mut self, ctx: &IoCtx, offset: u64, size: u8, value: u64) {
        if offset >= CONFIG_OFFSET {
            if let (Some(a), 1 | 2 | 4 | 8) = (&mut self.dev, size) {
                let b = value.to_le_bytes();
                a.device
                    .write_config(offset - CONFIG_OFFSET, &b[..size as usize]);
            }
            return;
        }
        if size != 4 || !offset.is_multiple_of(4) {
            return;
        }
        self.write_reg(ctx, offset, value as u32);
    }
    fn reset(&mut self) {
        VirtioMmio::reset(self);
    }
}

#[cfg(test)]
mod tests {
    use super::super::blk::VirtioBlk;
    use super::super::queue::QueueError;
    use super::super::rng::VirtioRng;
    use super::super::testutil::*;
    use super::super::*;
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Every byte a counter, every call logged with its icount.
    type Log = Rc<RefCell<Vec<(u64, usize)>>>;

    fn rng(g: &Guest) -> (Driver<VirtioRng>, Log) {
        let log: Log = Rc::default();
        let l = Rc::clone(&log);
        let mut next = 0u8;
        let source = move |icount: u64, buf: &mut [u8]| {
            l.borrow_mut().push((icount, buf.len()));
            for b in buf {
                *b = next;
                next = next.wrapping_add(1);
            }
        };
        let dev = VirtioRng::new(Box::new(source));
        let t = VirtioMmio::new(dev, g.dma.clone(), g.lines.line(IRQ));
        (Driver::new(t), log)
    }

    fn blk(g: &Guest) -> Driver<VirtioBlk> {
        let f = std::fs::File::open("/dev/null").unwrap();
        let t = VirtioMmio::new(
            VirtioBlk::new(f, 0, false),
            g.dma.clone(),
            g.lines.line(IRQ),
        );
        Driver::new(t)
    }

    #[test]
    fn empty_slot_reads_device_id_zero_and_ignores_writes() {
        let mut t = VirtioMmio::empty();
        let c = ctx(0);
        assert_eq!(t.read(&c, MAGIC_VALUE, 4), 0x7472_6976);
        assert_eq!(t.read(&c, VERSION_REG, 4), 2);
        assert_eq!(t.read(&c, DEVICE_ID, 4), 0);
        assert_eq!(t.read(&c, VENDOR_ID_REG, 4), u64::from(VENDOR_ID));
        for off in (0x10..0x200).step_by(4) {
            t.write(&c, off, 4, 0xffff_ffff);
        }
        assert_eq!(t.read(&c, STATUS, 4), 0);
        assert_eq!(t.read(&c, QUEUE_NUM_MAX, 4), 0);
        assert_eq!(t.read(&c, DEVICE_FEATURES, 4), 0);
        assert_eq!(t.read(&c, CONFIG_OFFSET, 4), 0);
        assert_eq!(t.name(), "virtio-mmio");
        assert!(t.device().is_none());
    }

    #[test]
    fn identifies_and_offers_features() {
        let g = Guest::new();
        let mut d = blk(&g);
        assert_eq!(d.r(DEVICE_ID), DEVICE_ID_BLOCK);
        assert_eq!(d.r(VENDOR_ID_REG), 0x554d_4551);
        let f = d.device_features();
        assert_ne!(f & F_VERSION_1, 0);
        assert_ne!(f & F_INDIRECT_DESC, 0);
        assert_eq!(f & F_EVENT_IDX, 0, "event index is not implemented");
        assert_eq!(
            f,
            F_VERSION_1 | F_INDIRECT_DESC | (1 << 2) | (1 << 6) | (1 << 9)
        );
        d.w(DEVICE_FEATURES_SEL, 2);
        assert_eq!(d.r(DEVICE_FEATURES), 0);
        // No shared memory regions: length and base read as -1.
        d.w(SHM_SEL, 0);
        for off in [SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH] {
            assert_eq!(d.r(off), u32::MAX);
        }
        // Registers answer only aligned 32-bit accesses.
        assert_eq!(d.t.read(&ctx(0), MAGIC_VALUE, 2), 0);
        assert_eq!(d.t.read(&ctx(0), MAGIC_VALUE + 1, 4), 0);
        d.t.write(&ctx(0), STATUS, 1, 1);
        assert_eq!(d.r(STATUS), 0);
        // The queue the device has, and one it has not.
        d.w(QUEUE_SEL, 0);
        assert_eq!(d.r(QUEUE_NUM_MAX), 256);
        d.w(QUEUE_SEL, 1);
        assert_eq!(d.r(QUEUE_NUM_MAX), 0);
        assert_eq!(d.r(QUEUE_READY), 0);
        d.w(QUEUE_READY, 1);
        assert_eq!(
            d.r(STATUS),
            0,
            "a queue that does not exist changes nothing"
        );
    }

    #[test]
    fn refuses_features_without_version_1_or_beyond_the_offer() {
        let g = Guest::new();
        let mut d = blk(&g);
        assert!(!d.negotiate(F_INDIRECT_DESC), "legacy driver");
        assert_eq!(
            d.r(STATUS),
            u32::from(STATUS_ACKNOWLEDGE | STATUS_DRIVER),
            "FEATURES_OK stays clear"
        );
        // A bit the device never offered.
        d.write_driver_features(F_VERSION_1 | F_EVENT_IDX);
        d.add_status(STATUS_FEATURES_OK);
        assert_eq!(d.r(STATUS) & u32::from(STATUS_FEATURES_OK), 0);
        // After a reset, a proper driver gets in, and its features freeze.
        assert!(d.negotiate(u64::MAX));
        d.write_driver_features(F_VERSION_1);
        d.add_status(STATUS_DRIVER_OK);
        assert_eq!(d.r(STATUS), 0xf);
        assert_eq!(d.t.negotiated, d.t.offered());
    }

    #[test]
    fn used_buffer_raises_the_line_until_acknowledged() {
        let mut g = Guest::new();
        let (mut d, log) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        assert!(!g.level() && !g.take_edge());
        let buf = g.alloc(64, 8);
        let head = d.post(&g, 0, &[(buf, 64, true)]);
        d.notify(0);
        // The source saw the icount of the QueueNotify write.
        let notify_icount = d.icount;
        assert_eq!(d.used(&g, 0), vec![(u32::from(head), 64)]);
        assert_eq!(g.read(buf, 64), (0..64).collect::<Vec<u8>>());
        assert_eq!(log.borrow().as_slice(), &[(notify_icount, 64)]);
        assert_eq!(d.r(INTERRUPT_STATUS), INT_USED_BUFFER);
        assert!(g.level() && g.take_edge());
        // A second completion before the acknowledgement: no new edge, the
        // handler will see both entries after it acknowledges.
        d.post(&g, 0, &[(buf, 16, true)]);
        d.notify(0);
        assert!(g.level() && !g.take_edge());
        assert_eq!(d.ack_interrupt(), INT_USED_BUFFER);
        assert!(!g.level());
        assert_eq!(d.r(INTERRUPT_STATUS), 0);
        assert_eq!(d.used(&g, 0).len(), 1);
        // After the acknowledgement, the next completion is a new edge.
        d.post(&g, 0, &[(buf, 16, true)]);
        d.notify(0);
        assert!(g.level() && g.take_edge());
        // The DMA writes were recorded for the run loop.
        let w = g.written.borrow();
        assert!(w.contains(&(buf, 64)));
        assert!(w.contains(&(d.queues[0].used + 2, 2)));
    }

    #[test]
    fn no_interrupt_flag_suppresses_the_notification() {
        let mut g = Guest::new();
        let (mut d, _) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        g.write(d.queues[0].avail, &1u16.to_le_bytes());
        let buf = g.alloc(8, 8);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0).len(), 1, "the buffer is still used");
        assert_eq!(d.r(INTERRUPT_STATUS), 0);
        assert!(!g.level() && !g.take_edge());
    }

    #[test]
    fn used_ring_wraps_around() {
        let mut g = Guest::new();
        let (mut d, log) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        assert_eq!(d.queues[0].size, 8);
        let buf = g.alloc(4, 4);
        for i in 0..40u32 {
            // Two at a time, so ring slots and descriptors both wrap.
            let a = d.post(&g, 0, &[(buf, 1, true)]);
            let b = d.post(&g, 0, &[(buf, 2, true)]);
            d.notify(0);
            assert_eq!(
                d.used(&g, 0),
                vec![(u32::from(a), 1), (u32::from(b), 2)],
                "round {i}"
            );
            d.ack_interrupt();
        }
        assert_eq!(log.borrow().len(), 80);
        assert_eq!(d.t.error(), None);
    }

    #[test]
    fn early_notification_is_served_at_driver_ok() {
        let mut g = Guest::new();
        let (mut d, log) = rng(&g);
        assert!(d.negotiate(u64::MAX));
        d.setup_queue(&mut g, 0, 8);
        let buf = g.alloc(8, 8);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert!(log.borrow().is_empty(), "not before DRIVER_OK");
        assert!(d.used(&g, 0).is_empty());
        d.add_status(STATUS_DRIVER_OK);
        assert_eq!(d.used(&g, 0).len(), 1);
        assert!(g.level());
    }

    #[test]
    fn notifications_for_missing_or_stopped_queues_are_ignored() {
        let mut g = Guest::new();
        let (mut d, log) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        let buf = g.alloc(8, 8);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(1);
        d.w(QUEUE_NOTIFY, 0x1_0000);
        assert!(log.borrow().is_empty());
        // vm_del_vq: stop the queue and read back 0.
        d.w(QUEUE_SEL, 0);
        d.w(QUEUE_READY, 0);
        assert_eq!(d.r(QUEUE_READY), 0);
        d.notify(0);
        assert!(log.borrow().is_empty());
        assert_eq!(d.r(STATUS) & u32::from(STATUS_DEVICE_NEEDS_RESET), 0);
    }

    #[test]
    fn queue_setup_is_frozen_while_ready() {
        let mut g = Guest::new();
        let (mut d, _) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        d.w(QUEUE_SEL, 0);
        d.w(QUEUE_NUM, 2);
        d.w(QUEUE_DESC_LOW, 0);
        d.w(QUEUE_DEVICE_HIGH, 0x1234);
        let buf = g.alloc(8, 8);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0).len(), 1);
        assert_eq!(d.t.error(), None);
    }

    #[test]
    fn bad_queue_size_needs_reset() {
        for size in [0, 3, 6, 16] {
            let mut g = Guest::new();
            let (mut d, _) = rng(&g);
            assert!(d.negotiate(u64::MAX));
            d.w(QUEUE_SEL, 0);
            d.w(QUEUE_NUM, size);
            d.w(QUEUE_READY, 1);
            assert_eq!(d.r(QUEUE_READY), 0, "size {size}");
            assert_ne!(d.r(STATUS) & u32::from(STATUS_DEVICE_NEEDS_RESET), 0);
            assert_eq!(d.t.error(), Some(QueueError::BadSize(size)));
            // No DRIVER_OK yet: no configuration interrupt.
            assert!(!g.level());
            // A reset recovers the device.
            d.bring_up(&mut g, u64::MAX);
            assert_eq!(d.t.error(), None);
        }
    }

    /// Brings up an rng, lets `corrupt` damage queue 0, notifies, and
    /// checks the device gave up cleanly with `want`.
    fn breaks_with(want: QueueError, corrupt: impl FnOnce(&mut Guest, &mut Driver<VirtioRng>)) {
        let mut g = Guest::new();
        let (mut d, log) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        corrupt(&mut g, &mut d);
        d.notify(0);
        assert_eq!(d.t.error(), Some(want));
        assert_ne!(d.r(STATUS) & u32::from(STATUS_DEVICE_NEEDS_RESET), 0);
        assert_eq!(d.r(INTERRUPT_STATUS) & INT_CONFIG_CHANGE, INT_CONFIG_CHANGE);
        assert!(g.level());
        // Nothing more happens until a reset.
        let n = log.borrow().len();
        let buf = g.alloc(8, 8);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert_eq!(log.borrow().len(), n);
        // The driver may not clear DEVICE_NEEDS_RESET by writing status.
        d.w(STATUS, 0xf);
        assert_ne!(d.r(STATUS) & u32::from(STATUS_DEVICE_NEEDS_RESET), 0);
        d.w(STATUS, 0);
        assert_eq!(d.r(STATUS), 0);
        assert_eq!(d.r(INTERRUPT_STATUS), 0);
        assert!(!g.level());
        assert_eq!(d.t.error(), None);
        d.bring_up(&mut g, u64::MAX);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0).len(), 1, "works again after reset");
    }

    #[test]
    fn loop_in_next_chain_needs_reset() {
        breaks_with(QueueError::ChainTooLong, |g, d| {
            let q = &d.queues[0];
            let buf = RAM;
            Driver::<VirtioRng>::put_desc(g, q.desc, 0, buf, 1, DESC_F_WRITE | DESC_F_NEXT, 1);
            Driver::<VirtioRng>::put_desc(g, q.desc, 1, buf, 1, DESC_F_WRITE | DESC_F_NEXT, 0);
            d.make_available(g, 0, 0);
        });
    }

    #[test]
    fn self_loop_in_indirect_table_needs_reset() {
        breaks_with(QueueError::ChainTooLong, |g, d| {
            let table = g.alloc(32, 16);
            Driver::<VirtioRng>::put_desc(g, table, 0, RAM, 1, DESC_F_WRITE | DESC_F_NEXT, 1);
            Driver::<VirtioRng>::put_desc(g, table, 1, RAM, 1, DESC_F_WRITE | DESC_F_NEXT, 1);
            let q = &d.queues[0];
            Driver::<VirtioRng>::put_desc(g, q.desc, 0, table, 32, DESC_F_INDIRECT, 0);
            d.make_available(g, 0, 0);
        });
    }

    #[test]
    fn descriptor_table_outside_ram_needs_reset() {
        let mut g = Guest::new();
        let (mut d, _) = rng(&g);
        assert!(d.negotiate(u64::MAX));
        d.setup_queue(&mut g, 0, 8);
        d.w(QUEUE_DESC_LOW, 0);
        d.w(QUEUE_READY, 0);
        d.w(QUEUE_DESC_LOW, 0x1000);
        d.w(QUEUE_READY, 1);
        d.add_status(STATUS_DRIVER_OK);
        d.post(&g, 0, &[(RAM, 8, true)]);
        d.notify(0);
        assert!(matches!(d.t.error(), Some(QueueError::NotInRam(e)) if e.addr == 0x1000));
        assert_ne!(d.r(STATUS) & u32::from(STATUS_DEVICE_NEEDS_RESET), 0);
    }

    #[test]
    fn other_malformed_chains_need_reset() {
        breaks_with(
            QueueError::TooManyAvailable {
                avail_idx: 9,
                next: 0,
            },
            |g, d| g.write(d.queues[0].avail + 2, &9u16.to_le_bytes()),
        );
        breaks_with(QueueError::BadIndex(8), |g, d| d.make_available(g, 0, 8));
        breaks_with(QueueError::BadIndex(200), |g, d| {
            let q = &d.queues[0];
            Driver::<VirtioRng>::put_desc(g, q.desc, 0, RAM, 1, DESC_F_WRITE | DESC_F_NEXT, 200);
            d.make_available(g, 0, 0);
        });
        breaks_with(QueueError::ReadableAfterWritable, |g, d| {
            d.post(g, 0, &[(RAM, 1, true), (RAM, 1, false)]);
        });
        // Indirect tables: nested, with NEXT, badly sized.
        breaks_with(QueueError::BadIndirect, |g, d| {
            let table = g.alloc(16, 16);
            Driver::<VirtioRng>::put_desc(g, table, 0, table, 16, DESC_F_INDIRECT, 0);
            let q = &d.queues[0];
            Driver::<VirtioRng>::put_desc(g, q.desc, 0, table, 16, DESC_F_INDIRECT, 0);
            d.make_available(g, 0, 0);
        });
        breaks_with(QueueError::BadIndirect, |g, d| {
            let q = &d.queues[0];
            let f = DESC_F_INDIRECT | DESC_F_NEXT;
            Driver::<VirtioRng>::put_desc(g, q.desc, 0, RAM, 16, f, 1);
            d.make_available(g, 0, 0);
        });
        for len in [0, 24, 16 * (32768 + 1)] {
            breaks_with(QueueError::BadIndirect, |g, d| {
                let q = &d.queues[0];
                Driver::<VirtioRng>::put_desc(g, q.desc, 0, RAM, len, DESC_F_INDIRECT, 0);
                d.make_available(g, 0, 0);
            });
        }
        breaks_with(QueueError::BadIndex(5), |g, d| {
            let table = g.alloc(32, 16);
            Driver::<VirtioRng>::put_desc(g, table, 0, RAM, 1, DESC_F_WRITE | DESC_F_NEXT, 5);
            let q = &d.queues[0];
            Driver::<VirtioRng>::put_desc(g, q.desc, 0, table, 32, DESC_F_INDIRECT, 0);
            d.make_available(g, 0, 0);
        });
        // The used ring itself outside RAM.
        breaks_with(
            QueueError::NotInRam(lockstep_runtime::dma::DmaError {
                addr: 0x2004,
                len: 8,
            }),
            |g, d| {
                d.w(QUEUE_SEL, 0);
                d.w(QUEUE_READY, 0);
                d.w(QUEUE_DEVICE_LOW, 0x2000);
                d.w(QUEUE_DEVICE_HIGH, 0);
                d.w(QUEUE_READY, 1);
                d.queues[0].next_desc = 0;
                d.queues[0].avail_idx = 0;
                d.post(g, 0, &[(RAM, 1, true)]);
            },
        );
    }

    #[test]
    fn indirect_descriptors_need_negotiation() {
        let mut g = Guest::new();
        let (mut d, _) = rng(&g);
        d.bring_up(&mut g, F_VERSION_1);
        let buf = g.alloc(8, 8);
        d.post_indirect(&mut g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert_eq!(d.t.error(), Some(QueueError::BadIndirect));
    }

    #[test]
    fn direct_descriptors_then_an_indirect_one() {
        let mut g = Guest::new();
        let (mut d, _) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        let buf = g.alloc(64, 8);
        let table = g.alloc(32, 16);
        Driver::<VirtioRng>::put_desc(&g, table, 0, buf + 4, 4, DESC_F_WRITE | DESC_F_NEXT, 1);
        Driver::<VirtioRng>::put_desc(&g, table, 1, buf + 8, 8, DESC_F_WRITE, 0);
        let q = &d.queues[0];
        Driver::<VirtioRng>::put_desc(&g, q.desc, 0, buf, 4, DESC_F_WRITE | DESC_F_NEXT, 1);
        // The WRITE flag on the table's own descriptor means nothing.
        let f = DESC_F_INDIRECT | DESC_F_WRITE;
        Driver::<VirtioRng>::put_desc(&g, q.desc, 1, table, 32, f, 0);
        d.make_available(&g, 0, 0);
        d.notify(0);
        assert_eq!(d.used(&g, 0), vec![(0, 16)]);
        assert_eq!(
            g.read(buf, 17),
            [(0..16).collect::<Vec<u8>>(), vec![0]].concat()
        );
    }

    #[test]
    fn config_change_notification_and_generation() {
        let mut g = Guest::new();
        let mut d = blk(&g);
        assert_eq!(d.r(CONFIG_GENERATION), 0);
        d.t.config_changed();
        assert_eq!(d.r(CONFIG_GENERATION), 1);
        assert!(!g.level(), "no notification before DRIVER_OK");
        d.bring_up(&mut g, u64::MAX);
        d.t.config_changed();
        assert_eq!(d.r(CONFIG_GENERATION), 2);
        assert!(g.level() && g.take_edge());
        assert_eq!(d.ack_interrupt(), INT_CONFIG_CHANGE);
        assert!(!g.level());
    }

    #[test]
    fn reset_lowers_the_line_and_forgets_the_queues() {
        let mut g = Guest::new();
        let (mut d, _) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        let buf = g.alloc(8, 8);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert!(g.level());
        d.w(STATUS, 0);
        assert!(!g.level());
        assert_eq!(d.r(INTERRUPT_STATUS), 0);
        d.w(QUEUE_SEL, 0);
        assert_eq!(d.r(QUEUE_READY), 0);
        assert_eq!(d.r(QUEUE_NUM_MAX), 8);
        // A fresh ring after the reset starts from index 0 again.
        d.bring_up(&mut g, u64::MAX);
        d.post(&g, 0, &[(buf, 8, true)]);
        d.notify(0);
        assert_eq!(d.used(&g, 0).len(), 1);
    }

    #[test]
    fn boxed_devices_share_one_transport_type() {
        let g = Guest::new();
        let f = std::fs::File::open("/dev/null").unwrap();
        let devs: Vec<Box<dyn VirtioDevice>> = vec![
            Box::new(VirtioBlk::new(f, 0, false)),
            Box::new(VirtioRng::new(Box::new(|_: u64, b: &mut [u8]| b.fill(7)))),
        ];
        let mut ts: Vec<VirtioMmio> = devs
            .into_iter()
            .map(|d| VirtioMmio::new(d, g.dma.clone(), g.lines.line(IRQ)))
            .collect();
        ts.push(VirtioMmio::empty());
        let ids: Vec<u64> = ts
            .iter_mut()
            .map(|t| t.read(&ctx(0), DEVICE_ID, 4))
            .collect();
        assert_eq!(ids, [2, 4, 0]);
    }

    #[test]
    fn random_register_and_ring_traffic_never_panics() {
        let mut g = Guest::new();
        let (mut d, log) = rng(&g);
        d.bring_up(&mut g, u64::MAX);
        let mut broke = 0;
        let (desc, avail, used) = (d.queues[0].desc, d.queues[0].avail, d.queues[0].used);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut step = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let buf = g.alloc(0x1000, 16);
        for _ in 0..20_000 {
            let r = step();
            match r % 16 {
                // Scribble over the descriptor table and available ring.
                0 => {
                    let at = if r & 0x100 == 0 { desc } else { avail };
                    let v = step();
                    // Keep addresses mostly in RAM.
                    let v = if v & 3 == 0 { v } else { RAM | (v & 0xf_fff0) };
                    g.write(at + (r >> 9) % 128, &v.to_le_bytes());
                }
                // A well-formed request.
                6..=9 => {
                    let len = (r >> 8) as u32 % 64;
                    d.post(&g, 0, &[(buf + (r >> 16) % 0xf00, len, true)]);
                }
                2 => {
                    d.notify(0);
                    broke += usize::from(d.t.error().is_some());
                }
                3 => d.w(STATUS, 0xf),
                // Reset and come up again with random features and size.
                4 => {
                    d.w(STATUS, 0);
                    d.negotiate(step() | F_VERSION_1);
                    g.write(avail, &[0; 4]);
                    let q = &mut d.queues[0];
                    (q.avail_idx, q.next_desc, q.last_used) = (0, 0, 0);
                    d.w(QUEUE_SEL, 0);
                    d.w(QUEUE_NUM, [8, 4, 1, 3, 0][(r >> 8) as usize % 5]);
                    d.w(QUEUE_DESC_LOW, desc as u32);
                    d.w(QUEUE_DRIVER_LOW, avail as u32);
                    d.w(QUEUE_DEVICE_LOW, used as u32);
                    d.w(QUEUE_READY, 1);
                    d.add_status(STATUS_DRIVER_OK);
                }
                _ => {
                    let off = (r >> 8) % 0x210;
                    let size = [1, 2, 4, 8][(r >> 20) as usize % 4];
                    if r & 0x10 != 0 {
                        d.t.read(&ctx(0), off, size);
                    } else if off != STATUS && off != QUEUE_NOTIFY {
                        d.t.write(&ctx(0), off, size, step());
                    }
                }
            }
        }
        // Both paths were taken: requests served, and queues broken.
        assert!(log.borrow().len() > 100, "{} served", log.borrow().len());
        assert!(broke > 100, "{broke} broken");
    }
}
