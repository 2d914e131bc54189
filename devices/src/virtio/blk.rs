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
        let whole = bytes % SECTOR_SIZE == 0;
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
