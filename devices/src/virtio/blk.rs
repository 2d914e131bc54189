//! virtio-blk: a disk backed by an image file (VIRTIO 1.2 §5.2).
//!
//! # Storage
//!
//! The machine opens the image and hands over the [`File`] and its length.
//! The disk has `length / 512` sectors (a partial last sector of the file is
//! not part of the disk). Sectors are read from the file as requests need
//! them, never the whole image at once.
//!
//! By default the image is never written: a write goes to a copy-on-write
//! overlay in memory (one 512-byte copy per sector written, kept in a
//! `BTreeMap`), and reads take overlay sectors in preference to the file.
//! The overlay survives a device reset (it is the disk's content) and is
//! lost when the machine exits. With `writable` set, writes go straight to
//! the file instead (which must then be open for writing) and FLUSH syncs
//! it; a run that writes its image cannot be replayed against the changed
//! image, and a host I/O error in that mode reaches the guest as IOERR.
//!
//! # Features and configuration
//!
//! Offered: VIRTIO_BLK_F_SEG_MAX (`seg_max` = queue size − 2, as QEMU does:
//! a request's header and status take two of a queue's descriptors),
//! VIRTIO_BLK_F_BLK_SIZE (512) and VIRTIO_BLK_F_FLUSH. One request queue of
//! up to [`QUEUE_SIZE`] entries. The configuration structure is the
//! specification's `virtio_blk_config` up to `write_zeroes_may_unmap` and
//! its padding (60 bytes): `capacity`, `seg_max`, `blk_size` filled in,
//! everything else zero.
//!
//! # Requests
//!
//! A request is a 16-byte device-readable header (type, reserved, sector),
//! data, and a status byte: the last device-writable byte of the chain,
//! wherever the descriptors split it.
//! - IN (read): fills the writable bytes before the status with sectors
//!   starting at `sector`.
//! - OUT (write): stores the readable bytes after the header at `sector`.
//! - FLUSH: nothing to do for the overlay; `sync_data` on a writable file.
//! - GET_ID: the serial number ([`VirtioBlk::with_serial`], NUL-padded to
//!   20 bytes; empty by default, as QEMU's without `serial=`), as much as
//!   fits.
//! - Anything else: UNSUPP.
//!
//! IN and OUT data must be a multiple of 512 bytes and lie within the
//! disk, else the status is IOERR and nothing is transferred. A data
//! buffer outside guest RAM or a failing host read or write is IOERR too
//! (data before the failure may have moved). A chain too short to hold a
//! header gets IOERR; a chain with no writable byte cannot be told anything
//! and is returned with a used length of 0. The used length counts the
//! bytes written from the start of the writable buffers: the data and then
//! the status when all the data arrived, only the data otherwise.

use super::mmio::VirtioDevice;
use super::queue::{Chain, Virtqueue};
use super::{read_config_bytes, DEVICE_ID_BLOCK};
use lockstep_runtime::bus::IoCtx;
use lockstep_runtime::dma::Dma;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// Bytes per sector (the protocol's unit, whatever the disk's block size).
pub const SECTOR_SIZE: u64 = 512;
/// QueueNumMax of the request queue (QEMU's default since 5.0).
pub const QUEUE_SIZE: u16 = 256;
/// Length of the GET_ID string.
pub const ID_BYTES: usize = 20;

/// Feature bit: `seg_max` is valid.
pub const F_SEG_MAX: u64 = 1 << 2;
/// Feature bit: the device is read-only (not offered).
pub const F_RO: u64 = 1 << 5;
/// Feature bit: `blk_size` is valid.
pub const F_BLK_SIZE: u64 = 1 << 6;
/// Feature bit: FLUSH requests are supported.
pub const F_FLUSH: u64 = 1 << 9;

/// Request type: read sectors.
pub const T_IN: u32 = 0;
/// Request type: write sectors.
pub const T_OUT: u32 = 1;
/// Request type: flush the write cache.
pub const T_FLUSH: u32 = 4;
/// Request type: read the device ID string.
pub const T_GET_ID: u32 = 8;

/// Status: success.
pub const S_OK: u8 = 0;
/// Status: device or driver error.
pub const S_IOERR: u8 = 1;
/// Status: request type not supported.
pub const S_UNSUPP: u8 = 2;

const CONFIG_LEN: usize = 60;
/// Largest transfer staged in host memory at once.
const CHUNK: usize = 64 * 1024;

type Sector = Box<[u8; SECTOR_SIZE as usize]>;

/// A virtio block device over an image file (see the module
/// documentation).
pub struct VirtioBlk {
    file: File,
    capacity: u64,
    writable: bool,
    overlay: BTreeMap<u64, Sector>,
    serial: [u8; ID_BYTES],
    config: [u8; CONFIG_LEN],
    /// Staging buffer for transfers, at most [`CHUNK`] bytes.
    buf: Vec<u8>,
}

/// Why a request failed: the status byte it gets.
struct Failed(u8);

impl VirtioBlk {
    /// A disk over `file`, whose length is `len` bytes. With `writable`
    /// false, writes stay in memory and the file is only read; with it
    /// true, writes go to the file.
    pub fn new(file: File, len: u64, writable: bool) -> Self {
        let capacity = len / SECTOR_SIZE;
        let mut config = [0u8; CONFIG_LEN];
        config[0..8].copy_from_slice(&capacity.to_le_bytes());
        config[12..16].copy_from_slice(&u32::from(QUEUE_SIZE - 2).to_le_bytes());
        config[20..24].copy_from_slice(&(SECTOR_SIZE as u32).to_le_bytes());
        VirtioBlk {
            file,
            capacity,
            writable,
            overlay: BTreeMap::new(),
            serial: [0; ID_BYTES],
            config,
            buf: Vec::new(),
        }
    }

    /// Sets the GET_ID string (truncated to 20 bytes).
    pub fn with_serial(mut self, serial: &[u8]) -> Self {
        let n = serial.len().min(ID_BYTES);
        self.serial = [0; ID_BYTES];
        self.serial[..n].copy_from_slice(&serial[..n]);
        self
    }

    /// The disk size in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Whether writes go to the file.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    /// How many sectors the in-memory overlay holds.
    pub fn overlay_sectors(&self) -> usize {
        self.overlay.len()
    }

    /// Checks that `bytes` from `sector` are whole sectors within the disk.
    fn check_range(&self, sector: u64, bytes: u64) -> Result<(), Failed> {
        let whole = bytes.is_multiple_of(SECTOR_SIZE);
        let fits = sector
            .checked_add(bytes / SECTOR_SIZE)
            .is_some_and(|end| end <= self.capacity);
        if whole && fits {
            Ok(())
        } else {
            Err(Failed(S_IOERR))
        }
    }

    /// Reads whole sectors from `first` into `out`.
    fn read_sectors(&self, first: u64, out: &mut [u8]) -> Result<(), Failed> {
        let count = out.len() as u64 / SECTOR_SIZE;
        let covered =
            !self.writable && self.overlay.range(first..first + count).count() as u64 == count;
        if !covered {
            self.file
                .read_exact_at(out, first * SECTOR_SIZE)
                .map_err(|_| Failed(S_IOERR))?;
        }
        if !self.writable {
            for (s, data) in self.overlay.range(first..first + count) {
                let at = ((s - first) * SECTOR_SIZE) as usize;
                out[at..at + SECTOR_SIZE as usize].copy_from_slice(&data[..]);
            }
        }
        Ok(())
    }

    /// Writes whole sectors from `first`.
    fn write_sectors(&mut self, first: u64, data: &[u8]) -> Result<(), Failed> {
        if self.writable {
            return self
                .file
                .write_all_at(data, first * SECTOR_SIZE)
                .map_err(|_| Failed(S_IOERR));
        }
        for (i, chunk) in data.chunks_exact(SECTOR_SIZE as usize).enumerate() {
            let sector = self
                .overlay
                .entry(first + i as u64)
                .or_insert_with(|| Box::new([0; SECTOR_SIZE as usize]));
            sector.copy_from_slice(chunk);
        }
        Ok(())
    }

    /// Carries out one request; returns the used length.
    fn handle(&mut self, dma: &Dma, chain: &Chain) -> u32 {
        let Some(status_addr) = chain.last_writable_byte() else {
            return 0;
        };
        let mut w = chain.writer(dma);
        let data_room = w.remaining() - 1;
        w.truncate(data_room);
        let mut r = chain.reader(dma);
        let mut hdr = [0u8; 16];
        let status = match r.read(&mut hdr) {
            Ok(16) => {
                let kind = u32::from_le_bytes(hdr[0..4].try_into().unwrap());
                let sector = u64::from_le_bytes(hdr[8..16].try_into().unwrap());
                let result = match kind {
                    T_IN => self.read_request(sector, &mut w),
                    T_OUT => self.write_request(sector, &mut r),
                    T_FLUSH => self.flush(),
                    T_GET_ID => w.write(&self.serial).map(drop).map_err(|_| Failed(S_IOERR)),
                    _ => Err(Failed(S_UNSUPP)),
                };
                result.map_or_else(|Failed(s)| s, |()| S_OK)
            }
            _ => S_IOERR,
        };
        let written = w.written();
        let mut len = written;
        // The status byte counts when it follows the data without a gap.
        if dma.write(status_addr, &[status]).is_ok() && written == data_room {
            len += 1;
        }
        u32::try_from(len).unwrap_or(u32::MAX)
    }

    fn read_request(
        &mut self,
        sector: u64,
        w: &mut super::queue::ChainWriter<'_>,
    ) -> Result<(), Failed> {
        let total = w.remaining();
        self.check_range(sector, total)?;
        let mut buf = std::mem::take(&mut self.buf);
        let mut done = 0;
        let result = loop {
            if done == total {
                break Ok(());
            }
            let n = (total - done).min(CHUNK as u64) as usize;
            buf.resize(n, 0);
            if let Err(f) = self.read_sectors(sector + done / SECTOR_SIZE, &mut buf) {
                break Err(f);
            }
            if w.write(&buf).is_err() {
                break Err(Failed(S_IOERR));
            }
            done += n as u64;
        };
        self.buf = buf;
        result
    }

    fn write_request(
        &mut self,
        sector: u64,
        r: &mut super::queue::ChainReader<'_>,
    ) -> Result<(), Failed> {
        let total = r.remaining();
        self.check_range(sector, total)?;
        let mut buf = std::mem::take(&mut self.buf);
        let mut done = 0;
        let result = loop {
            if done == total {
                break Ok(());
            }
            let n = (total - done).min(CHUNK as u64) as usize;
            buf.resize(n, 0);
            match r.read(&mut buf) {
                Ok(got) if got == n => {}
                _ => break Err(Failed(S_IOERR)),
            }
            if let Err(f) = self.write_sectors(sector + done / SECTOR_SIZE, &buf) {
                break Err(f);
            }
            done += n as u64;
        };
        self.buf = buf;
        result
    }

    fn flush(&mut self) -> Result<(), Failed> {
        if self.writable {
            self.file.sync_data().map_err(|_| Failed(S_IOERR))?;
        }
        Ok(())
    }
}

impl VirtioDevice for VirtioBlk {
    fn device_id(&self) -> u32 {
        DEVICE_ID_BLOCK
    }

    fn features(&self) -> u64 {
        F_SEG_MAX | F_BLK_SIZE | F_FLUSH
    }

    fn read_config(&self, offset: u64, data: &mut [u8]) {
        read_config_bytes(&self.config, offset, data);
    }

    fn num_queues(&self) -> u16 {
        1
    }

    fn queue_max_size(&self, _queue: u16) -> u16 {
        QUEUE_SIZE
    }

    fn process(&mut self, _ctx: &IoCtx, queue: &mut Virtqueue<'_>) {
        let dma = queue.dma();
        while let Some(chain) = queue.pop() {
            let len = self.handle(dma, &chain);
            queue.complete(chain, len);
        }
    }

    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::super::mmio::{VirtioMmio, CONFIG_OFFSET, STATUS};
    use super::super::testutil::*;
    use super::super::INT_USED_BUFFER;
    use super::*;
    use lockstep_runtime::MmioDevice;

    const IMAGE_SECTORS: usize = 1024;

    struct Disk {
        g: Guest,
        d: Driver<VirtioBlk>,
        img: TempImage,
        /// Guest buffers: request header, data (256 KiB), status byte.
        hdr: u64,
        data: u64,
        status: u64,
    }

    fn disk_with(image: &[u8], len: u64, writable: bool, serial: Option<&[u8]>) -> Disk {
        let mut g = Guest::new();
        let img = TempImage::new(image);
        let mut dev = VirtioBlk::new(img.open(writable), len, writable);
        if let Some(s) = serial {
            dev = dev.with_serial(s);
        }
        let t = VirtioMmio::new(dev, g.dma.clone(), g.lines.line(IRQ));
        let mut d = Driver::new(t);
        d.bring_up(&mut g, u64::MAX);
        let hdr = g.alloc(16, 16);
        let status = g.alloc(1, 1);
        let data = g.alloc(256 * 1024, 4096);
        Disk {
            g,
            d,
            img,
            hdr,
            data,
            status,
        }
    }

    fn disk(writable: bool) -> Disk {
        let image = pattern(IMAGE_SECTORS * 512);
        disk_with(&image, image.len() as u64, writable, None)
    }

    impl Disk {
        fn header(&self, kind: u32, sector: u64) {
            let mut h = [0u8; 16];
            h[0..4].copy_from_slice(&kind.to_le_bytes());
            h[8..16].copy_from_slice(&sector.to_le_bytes());
            self.g.write(self.hdr, &h);
        }

        /// Posts a chain, notifies, and returns the used length; checks
        /// it was the only completion and that it interrupted.
        fn submit(&mut self, bufs: &[(u64, u32, bool)], indirect: bool) -> u32 {
            self.g.write(self.status, &[0xff]);
            let head = if indirect {
                self.d.post_indirect(&mut self.g, 0, bufs)
            } else {
                self.d.post(&self.g, 0, bufs)
            };
            self.d.notify(0);
            let used = self.d.used(&self.g, 0);
            assert_eq!(used.len(), 1);
            assert_eq!(used[0].0, u32::from(head));
            assert!(self.g.level());
            assert_eq!(self.d.ack_interrupt(), INT_USED_BUFFER);
            used[0].1
        }

        /// A request laid out as Linux does: header, data, status.
        fn request(&mut self, kind: u32, sector: u64, data_len: u32) -> (u8, u32) {
            self.header(kind, sector);
            let data_writable = kind != T_OUT;
            let mut bufs = vec![(self.hdr, 16, false)];
            if data_len > 0 {
                bufs.push((self.data, data_len, data_writable));
            }
            bufs.push((self.status, 1, true));
            let len = self.submit(&bufs, false);
            (self.g.read(self.status, 1)[0], len)
        }

        fn read(&mut self, sector: u64, count: u32) -> (u8, Vec<u8>) {
            let (s, len) = self.request(T_IN, sector, count * 512);
            if s == S_OK {
                assert_eq!(len, count * 512 + 1);
            }
            (s, self.g.read(self.data, count as usize * 512))
        }

        fn write(&mut self, sector: u64, bytes: &[u8]) -> u8 {
            self.g.write(self.data, bytes);
            let (s, len) = self.request(T_OUT, sector, bytes.len() as u32);
            assert_eq!(len, 1, "only the status byte is written");
            s
        }

        fn blk(&self) -> &VirtioBlk {
            self.d.t.device().unwrap()
        }
    }

    fn sectors(image: &[u8], first: usize, count: usize) -> &[u8] {
        &image[first * 512..(first + count) * 512]
    }

    #[test]
    fn configuration_space() {
        let image = pattern(4096 * 512 + 100);
        let mut k = disk_with(&image, image.len() as u64, false, None);
        // capacity as Linux reads a 64-bit field: two 32-bit halves.
        assert_eq!(k.d.r(CONFIG_OFFSET), 4096);
        assert_eq!(k.d.r(CONFIG_OFFSET + 4), 0);
        assert_eq!(k.blk().capacity(), 4096, "the partial sector is not disk");
        assert_eq!(k.d.r(CONFIG_OFFSET + 12), 254, "seg_max");
        assert_eq!(k.d.r(CONFIG_OFFSET + 20), 512, "blk_size");
        assert_eq!(k.d.t.read(&ctx(0), CONFIG_OFFSET + 1, 1), 0x10);
        assert_eq!(k.d.t.read(&ctx(0), CONFIG_OFFSET, 8), 4096);
        assert_eq!(k.d.t.read(&ctx(0), CONFIG_OFFSET + 0x3c, 4), 0);
        assert_eq!(k.d.t.read(&ctx(0), CONFIG_OFFSET + 0xfc, 4), 0);
        // Writes to the read-only configuration are ignored.
        k.d.t.write(&ctx(0), CONFIG_OFFSET, 4, 7);
        assert_eq!(k.d.r(CONFIG_OFFSET), 4096);
    }

    #[test]
    fn reads_sectors_from_the_image() {
        let mut k = disk(false);
        let image = k.img.contents();
        let (s, data) = k.read(3, 4);
        assert_eq!(s, S_OK);
        assert_eq!(data, sectors(&image, 3, 4));
        let (s, data) = k.read(IMAGE_SECTORS as u64 - 1, 1);
        assert_eq!(s, S_OK, "the last sector");
        assert_eq!(data, sectors(&image, IMAGE_SECTORS - 1, 1));
        // A read of no data is a no-op that succeeds.
        assert_eq!(k.request(T_IN, 5, 0), (S_OK, 1));
    }

    #[test]
    fn reads_through_odd_framing_and_indirect_tables() {
        let mut k = disk(false);
        let image = k.img.contents();
        // The header split in two, the data in pieces, and the status byte
        // at the end of the last data buffer.
        k.header(T_IN, 7);
        let (h, dt) = (k.hdr, k.data);
        let bufs = [
            (h, 5, false),
            (h + 5, 11, false),
            (dt, 100, true),
            (dt + 1000, 0, true),
            (dt + 100, 412 + 1536 + 1, true),
        ];
        assert_eq!(k.submit(&bufs, false), 2049);
        assert_eq!(k.g.read(dt, 2048), sectors(&image, 7, 4));
        assert_eq!(k.g.read(dt + 2048, 1), [S_OK]);
        // A large read (more than one staging chunk) through one indirect
        // table.
        k.header(T_IN, 100);
        let n = 320u32;
        let bufs = [
            (k.hdr, 16, false),
            (k.data, n * 512 / 2, true),
            (k.data + u64::from(n) * 256, n * 512 / 2, true),
            (k.status, 1, true),
        ];
        assert_eq!(k.submit(&bufs, true), n * 512 + 1);
        assert_eq!(k.g.read(k.status, 1), [S_OK]);
        assert_eq!(
            k.g.read(k.data, n as usize * 512),
            sectors(&image, 100, n as usize)
        );
    }

    #[test]
    fn writes_go_to_the_overlay_and_read_back() {
        let mut k = disk(false);
        let image = k.img.contents();
        let new: Vec<u8> = (0..1024).map(|i| (i * 7) as u8).collect();
        assert_eq!(k.write(10, &new), S_OK);
        assert_eq!(k.img.contents(), image, "the image is never changed");
        assert_eq!(k.blk().overlay_sectors(), 2);
        // Reads mix overlay and image sectors.
        let (s, data) = k.read(9, 4);
        assert_eq!(s, S_OK);
        assert_eq!(&data[..512], sectors(&image, 9, 1));
        assert_eq!(&data[512..1536], &new[..]);
        assert_eq!(&data[1536..], sectors(&image, 12, 1));
        // Rewriting a sector replaces it; the overlay survives a reset.
        assert_eq!(k.write(11, &[0xaa; 512]), S_OK);
        assert_eq!(k.blk().overlay_sectors(), 2);
        k.d.w(STATUS, 0);
        k.d.bring_up(&mut k.g, u64::MAX);
        let (_, data) = k.read(10, 2);
        assert_eq!(&data[..512], &new[..512]);
        assert_eq!(&data[512..], &[0xaa; 512]);
        // Large writes stage in chunks too.
        let big = pattern(300 * 512).iter().map(|b| !b).collect::<Vec<u8>>();
        assert_eq!(k.write(500, &big), S_OK);
        assert_eq!(k.read(500, 300), (S_OK, big));
        assert_eq!(k.img.contents(), image);
        assert!(!k.blk().is_writable());
    }

    #[test]
    fn writable_disks_write_the_file() {
        let mut k = disk(true);
        let mut image = k.img.contents();
        assert_eq!(k.write(2, &[0x5a; 512]), S_OK);
        assert_eq!(k.blk().overlay_sectors(), 0);
        image[1024..1536].fill(0x5a);
        assert_eq!(k.img.contents(), image);
        assert_eq!(k.request(T_FLUSH, 0, 0), (S_OK, 1));
        assert_eq!(k.read(2, 1), (S_OK, vec![0x5a; 512]));
    }

    #[test]
    fn requests_outside_the_disk_fail_with_ioerr() {
        let mut k = disk(false);
        let last = IMAGE_SECTORS as u64;
        k.g.write(k.data, &[0x11; 1024]);
        assert_eq!(k.read(last - 1, 2).0, S_IOERR);
        assert_eq!(k.g.read(k.data, 1024), [0x11; 1024], "nothing transferred");
        assert_eq!(k.read(last, 1).0, S_IOERR);
        assert_eq!(k.read(u64::MAX, 1).0, S_IOERR, "no overflow");
        assert_eq!(k.write(last, &[0; 512]), S_IOERR);
        assert_eq!(k.write(u64::MAX - 1, &[0; 1024]), S_IOERR);
        assert_eq!(k.blk().overlay_sectors(), 0);
        // Not whole sectors.
        assert_eq!(k.request(T_IN, 0, 100).0, S_IOERR);
        assert_eq!(k.request(T_OUT, 0, 513).0, S_IOERR);
        assert_eq!(k.blk().overlay_sectors(), 0);
    }

    #[test]
    fn flush_get_id_and_unsupported_requests() {
        let image = pattern(64 * 512);
        let mut k = disk_with(&image, image.len() as u64, false, Some(b"lockstep-disk0"));
        assert_eq!(k.request(T_FLUSH, 0, 0), (S_OK, 1));
        let (s, len) = k.request(T_GET_ID, 0, 20);
        assert_eq!((s, len), (S_OK, 21));
        assert_eq!(k.g.read(k.data, 20), b"lockstep-disk0\0\0\0\0\0\0");
        // A shorter buffer gets what fits.
        k.g.write(k.data, &[0xee; 20]);
        assert_eq!(k.request(T_GET_ID, 0, 8), (S_OK, 9));
        assert_eq!(k.g.read(k.data, 9), b"lockstep\xee");
        // Discard, write zeroes, anything else: unsupported.
        for kind in [11, 13, 2, 0xffff_ffff] {
            assert_eq!(k.request(kind, 0, 0), (S_UNSUPP, 1), "type {kind}");
        }
        // The default serial is empty; a long one is cut at 20 bytes.
        let mut k = disk(false);
        assert_eq!(k.request(T_GET_ID, 0, 20), (S_OK, 21));
        assert_eq!(k.g.read(k.data, 20), [0; 20]);
        let mut k = disk_with(&image, image.len() as u64, false, Some(&[b'x'; 30]));
        assert_eq!(k.request(T_GET_ID, 0, 20), (S_OK, 21));
        assert_eq!(k.g.read(k.data, 20), [b'x'; 20]);
    }

    #[test]
    fn requests_in_one_batch_run_in_ring_order() {
        let mut k = disk(false);
        let (h, dt, st) = (k.hdr, k.data, k.status);
        let g = &k.g;
        // A write of sector 4 then a read of it, each with its own buffers.
        let mut hdr = [0u8; 32];
        hdr[0..4].copy_from_slice(&T_OUT.to_le_bytes());
        hdr[8..16].copy_from_slice(&4u64.to_le_bytes());
        hdr[16..20].copy_from_slice(&T_IN.to_le_bytes());
        hdr[24..32].copy_from_slice(&4u64.to_le_bytes());
        g.write(h, &hdr[..16]);
        let h2 = h + 0x100;
        g.write(h2, &hdr[16..]);
        g.write(dt, &[0x42; 512]);
        k.d.post(&k.g, 0, &[(h, 16, false), (dt, 512, false), (st, 1, true)]);
        k.d.post(
            &k.g,
            0,
            &[(h2, 16, false), (dt + 512, 512, true), (st + 0x10, 1, true)],
        );
        k.d.notify(0);
        assert_eq!(k.d.used(&k.g, 0).len(), 2);
        assert_eq!(k.g.read(dt + 512, 512), [0x42; 512]);
    }

    #[test]
    fn bad_buffers_never_panic() {
        let mut k = disk(false);
        // Data outside RAM: IOERR.
        k.header(T_IN, 0);
        let bufs = [(k.hdr, 16, false), (0x1000, 512, true), (k.status, 1, true)];
        assert_eq!(k.submit(&bufs, false), 0, "nothing was written in order");
        assert_eq!(k.g.read(k.status, 1), [S_IOERR]);
        k.header(T_OUT, 0);
        let bufs = [
            (k.hdr, 16, false),
            (0x1000, 512, false),
            (k.status, 1, true),
        ];
        assert_eq!(k.submit(&bufs, false), 1);
        assert_eq!(k.g.read(k.status, 1), [S_IOERR]);
        assert_eq!(k.blk().overlay_sectors(), 0);
        // A buffer running off the end of RAM: the buffers before it landed
        // and are counted (that one not at all), the status is not.
        k.header(T_IN, 0);
        let end = RAM + RAM_SIZE;
        let bufs = [
            (k.hdr, 16, false),
            (k.data, 512, true),
            (end - 256, 512, true),
        ];
        let bufs = [bufs[0], bufs[1], bufs[2], (k.status, 1, true)];
        assert_eq!(k.submit(&bufs, false), 512);
        assert_eq!(k.g.read(k.status, 1), [S_IOERR]);
        // The header outside RAM, or too short: IOERR.
        let bufs = [(0x1000, 16, false), (k.status, 1, true)];
        assert_eq!(k.submit(&bufs, false), 1);
        assert_eq!(k.g.read(k.status, 1), [S_IOERR]);
        let bufs = [(k.hdr, 8, false), (k.status, 1, true)];
        assert_eq!(k.submit(&bufs, false), 1);
        assert_eq!(k.g.read(k.status, 1), [S_IOERR]);
        // No header at all.
        assert_eq!(k.submit(&[(k.status, 1, true)], false), 1);
        assert_eq!(k.g.read(k.status, 1), [S_IOERR]);
        // No writable byte: nothing can be reported, the chain comes back.
        k.header(T_FLUSH, 0);
        assert_eq!(k.submit(&[(k.hdr, 16, false)], false), 0);
        // The status byte itself outside RAM: the data still counts.
        k.header(T_IN, 0);
        let bufs = [(k.hdr, 16, false), (k.data, 512, true), (0x1000, 1, true)];
        assert_eq!(k.submit(&bufs, false), 512);
        assert_eq!(k.d.t.error(), None, "none of this breaks the queue");
    }

    #[test]
    fn an_image_shorter_than_announced_gives_ioerr() {
        let image = pattern(8 * 512);
        let mut k = disk_with(&image, 16 * 512, false, None);
        assert_eq!(k.blk().capacity(), 16);
        assert_eq!(k.read(6, 2).0, S_OK);
        assert_eq!(k.read(7, 2).0, S_IOERR);
        // Sectors written to the overlay exist even past the file's end.
        assert_eq!(k.write(12, &[9; 512]), S_OK);
        assert_eq!(k.read(12, 1), (S_OK, vec![9; 512]));
    }
}
