//! Split virtqueues, device side (VIRTIO 1.2 §2.7).
//!
//! A queue lives in guest RAM in three parts the driver allocates: the
//! descriptor table (16 bytes per entry: address, length, flags, next),
//! the available ring (flags, idx, then one 16-bit chain head per slot),
//! and the used ring (flags, idx, then one {id, len} pair of 32-bit words
//! per slot). All fields are little-endian. The device reads the available
//! ring from where it last stopped up to the driver's `idx`, walks each
//! chain, does the work, and appends the chain's head and the number of
//! bytes it wrote to the used ring.
//!
//! A device model gets a [`Virtqueue`] for the queue the driver notified,
//! takes chains with [`Virtqueue::pop`], reads and writes their buffers
//! with a [`ChainReader`] / [`ChainWriter`], and gives each back with
//! [`Virtqueue::complete`].
//!
//! # Bad driver behaviour
//!
//! Errors that leave the queue itself unusable end processing: the
//! transport sets DEVICE_NEEDS_RESET and sends a configuration change
//! notification, and the device touches no queue again until the driver
//! resets it ("Device Status Field"). They are ([`QueueError`]):
//! - a ring part or descriptor (or indirect table) that is not in RAM;
//! - the driver's available `idx` running more than the queue size ahead
//!   of the device;
//! - a chain head or `next` index outside the table;
//! - a direct chain of more descriptors than the queue size (which is how
//!   a loop in the `next` links shows up), or an indirect walk longer than
//!   its table;
//! - an indirect descriptor without VIRTIO_F_INDIRECT_DESC negotiated, with
//!   NEXT also set, inside an indirect table, or whose table length is zero,
//!   not a multiple of 16 or more than [`MAX_INDIRECT`] entries;
//! - a device-readable descriptor after a device-writable one (the driver
//!   MUST place writable ones last, "Message Framing").
//!
//! Errors in the buffers of a well-formed chain (a data buffer outside RAM,
//! a malformed request) are the device's to report in its own protocol
//! (virtio-blk's IOERR status, a short used length).
//!
//! Every loop here is bounded by the queue size or the indirect table size,
//! so nothing the guest writes can hang the device. The available `idx` is
//! read once per notification, so a device writing into the ring itself
//! cannot make it run on.
//!
//! Alignment of the ring parts (§2.7: 16, 2 and 4 bytes) is not enforced;
//! misaligned rings work.

use lockstep_runtime::dma::{Dma, DmaError};
use std::fmt;

/// The largest queue size the split layout allows.
pub const MAX_QUEUE_SIZE: u16 = 32768;
/// The most entries an indirect descriptor table may hold here.
pub const MAX_INDIRECT: u32 = MAX_QUEUE_SIZE as u32;

const DESC_SIZE: u64 = 16;
const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;
const DESC_F_INDIRECT: u16 = 4;
const AVAIL_F_NO_INTERRUPT: u16 = 1;

/// One guest buffer of a descriptor chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// Guest physical address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
}

/// A descriptor chain popped from the available ring: its head index and
/// its buffers, device-readable ones first, then device-writable ones, each
/// in chain order (indirect tables already flattened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    head: u16,
    readable: Vec<Buffer>,
    writable: Vec<Buffer>,
}

impl Chain {
    /// The index of the chain's first descriptor (the used ring's `id`).
    pub fn head(&self) -> u16 {
        self.head
    }

    /// The device-readable buffers.
    pub fn readable(&self) -> &[Buffer] {
        &self.readable
    }

    /// The device-writable buffers.
    pub fn writable(&self) -> &[Buffer] {
        &self.writable
    }

    /// Total bytes of the device-readable buffers.
    pub fn readable_len(&self) -> u64 {
        self.readable.iter().map(|b| u64::from(b.len)).sum()
    }

    /// Total bytes of the device-writable buffers.
    pub fn writable_len(&self) -> u64 {
        self.writable.iter().map(|b| u64::from(b.len)).sum()
    }

    /// The guest address of the last device-writable byte (where requests
    /// that end in a status byte put it), if there is one.
    pub fn last_writable_byte(&self) -> Option<u64> {
        self.writable
            .iter()
            .rev()
            .find(|b| b.len > 0)
            .map(|b| b.addr.wrapping_add(u64::from(b.len) - 1))
    }

    /// A cursor over the device-readable bytes.
    pub fn reader<'a>(&'a self, dma: &'a Dma) -> ChainReader<'a> {
        ChainReader {
            dma,
            cur: Cursor::new(&self.readable),
        }
    }

    /// A cursor over the device-writable bytes.
    pub fn writer<'a>(&'a self, dma: &'a Dma) -> ChainWriter<'a> {
        ChainWriter {
            dma,
            cur: Cursor::new(&self.writable),
            written: 0,
        }
    }
}

/// A position in a list of buffers and how many bytes may still be moved.
struct Cursor<'a> {
    bufs: &'a [Buffer],
    /// Index of the current buffer and offset in it.
    idx: usize,
    off: u32,
    remaining: u64,
}

impl<'a> Cursor<'a> {
    fn new(bufs: &'a [Buffer]) -> Self {
        Cursor {
            bufs,
            idx: 0,
            off: 0,
            remaining: bufs.iter().map(|b| u64::from(b.len)).sum(),
        }
    }

    /// The next contiguous guest range of at most `max` bytes, and moves
    /// past it. `None` when nothing is left.
    fn next_span(&mut self, max: usize) -> Option<(u64, usize)> {
        while self.remaining > 0 && max > 0 {
            let b = self.bufs[self.idx];
            let left = b.len - self.off;
            if left == 0 {
                self.idx += 1;
                self.off = 0;
                continue;
            }
            let n = (left as usize).min(max).min(self.remaining as usize);
            let addr = b.addr.wrapping_add(u64::from(self.off));
            self.off += n as u32;
            self.remaining -= n as u64;
            return Some((addr, n));
        }
        None
    }
}

/// Reads the device-readable bytes of a chain in order, across buffers.
pub struct ChainReader<'a> {
    dma: &'a Dma,
    cur: Cursor<'a>,
}

impl ChainReader<'_> {
    /// Bytes not read yet.
    pub fn remaining(&self) -> u64 {
        self.cur.remaining
    }

    /// Fills `out` from the chain; returns how many bytes it read, which is
    /// less than `out.len()` only when the chain ran out. A buffer outside
    /// RAM is an error (the bytes before it were read).
    pub fn read(&mut self, out: &mut [u8]) -> Result<usize, DmaError> {
        let mut done = 0;
        while let Some((addr, n)) = self.cur.next_span(out.len() - done) {
            self.dma.read(addr, &mut out[done..done + n])?;
            done += n;
        }
        Ok(done)
    }
}

/// Writes the device-writable bytes of a chain in order, across buffers.
pub struct ChainWriter<'a> {
    dma: &'a Dma,
    cur: Cursor<'a>,
    written: u64,
}

impl ChainWriter<'_> {
    /// Room left.
    pub fn remaining(&self) -> u64 {
        self.cur.remaining
    }

    /// Bytes written so far (from the start of the first writable buffer,
    /// as the used ring's `len` counts them).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Leaves at most `max` bytes of room (for a request whose last byte is
    /// a status the device writes separately).
    pub fn truncate(&mut self, max: u64) {
        self.cur.remaining = self.cur.remaining.min(max);
    }

    /// Writes as much of `data` as there is room for; returns how many
    /// bytes it wrote. A buffer outside RAM is an error ([`Self::written`]
    /// still counts the bytes before it).
    pub fn write(&mut self, data: &[u8]) -> Result<usize, DmaError> {
        let mut done = 0;
        while let Some((addr, n)) = self.cur.next_span(data.len() - done) {
            self.dma.write(addr, &data[done..done + n])?;
            done += n;
            self.written += n as u64;
        }
        Ok(done)
    }
}

/// Why a queue stopped working (the transport then sets
/// DEVICE_NEEDS_RESET). See the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// A ring part, descriptor or indirect table is not in guest RAM.
    NotInRam(DmaError),
    /// The available `idx` is more than a queue's worth ahead.
    TooManyAvailable {
        /// The driver's available `idx`.
        avail_idx: u16,
        /// The next entry the device would have taken.
        next: u16,
    },
    /// A chain head or `next` link names a descriptor outside the table.
    BadIndex(u16),
    /// A chain has more descriptors than the queue or table holds (a loop).
    ChainTooLong,
    /// An indirect descriptor the rules forbid, or a bad table length.
    BadIndirect,
    /// A device-readable descriptor follows a device-writable one.
    ReadableAfterWritable,
    /// QueueReady was set with a size that is zero, above QueueNumMax or not
    /// a power of two.
    BadSize(u32),
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::NotInRam(e) => write!(f, "virtqueue structure outside RAM: {e}"),
            QueueError::TooManyAvailable { avail_idx, next } => write!(
                f,
                "available idx {avail_idx} is more than a queue ahead of {next}"
            ),
            QueueError::BadIndex(i) => write!(f, "descriptor index {i} outside the table"),
            QueueError::ChainTooLong => write!(f, "descriptor chain too long (a loop?)"),
            QueueError::BadIndirect => write!(f, "malformed indirect descriptor"),
            QueueError::ReadableAfterWritable => {
                write!(f, "device-readable descriptor after a device-writable one")
            }
            QueueError::BadSize(n) => write!(f, "invalid queue size {n}"),
        }
    }
}

impl std::error::Error for QueueError {}

impl From<DmaError> for QueueError {
    fn from(e: DmaError) -> Self {
        QueueError::NotInRam(e)
    }
}

/// The transport's record of one queue: what the driver configured and
/// where the device is in the rings.
#[derive(Clone, Debug, Default)]
pub(crate) struct QueueState {
    /// QueueNumMax.
    pub max: u16,
    /// QueueNum as last written.
    pub num: u32,
    /// QueueReady.
    pub ready: bool,
    /// Descriptor, driver (available) and device (used) area addresses.
    pub desc: u64,
    pub avail: u64,
    pub used: u64,
    /// The next available ring entry the device takes.
    pub next_avail: u16,
    /// The next used ring entry the device fills.
    pub next_used: u16,
}

impl QueueState {
    pub fn new(max: u16) -> Self {
        QueueState {
            max,
            ..Default::default()
        }
    }

    /// A size the driver may use: a power of two no larger than the maximum.
    pub fn valid_size(&self) -> bool {
        self.num.is_power_of_two() && self.num <= u32::from(self.max)
    }
}

#[derive(Clone, Copy)]
struct Desc {
    addr: u64,
    len: u32,
    flags: u16,
    next: u16,
}

fn read_desc(dma: &Dma, addr: u64) -> Result<Desc, DmaError> {
    let mut b = [0u8; 16];
    dma.read(addr, &mut b)?;
    Ok(Desc {
        addr: u64::from_le_bytes(b[0..8].try_into().unwrap()),
        len: u32::from_le_bytes(b[8..12].try_into().unwrap()),
        flags: u16::from_le_bytes([b[12], b[13]]),
        next: u16::from_le_bytes([b[14], b[15]]),
    })
}

/// One ready queue during the processing of a notification, as the device
/// model sees it.
pub struct Virtqueue<'a> {
    index: u16,
    state: &'a mut QueueState,
    dma: &'a Dma,
    indirect: bool,
    /// The available `idx` read at the first pop.
    avail_end: Option<u16>,
    used: u32,
    error: Option<QueueError>,
}

impl<'a> Virtqueue<'a> {
    /// `state` must be ready with a valid size.
    pub(crate) fn new(index: u16, state: &'a mut QueueState, dma: &'a Dma, indirect: bool) -> Self {
        Virtqueue {
            index,
            state,
            dma,
            indirect,
            avail_end: None,
            used: 0,
            error: None,
        }
    }

    /// The queue's index at its device.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The queue size the driver chose.
    pub fn size(&self) -> u16 {
        self.state.num as u16
    }

    /// The DMA handle to reach the chains' buffers with.
    pub fn dma(&self) -> &'a Dma {
        self.dma
    }

    /// Whether the queue has failed (see [`QueueError`]); once it has,
    /// [`Self::pop`] returns nothing.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// The next chain the driver made available, or `None` when there is
    /// none left (or the queue failed).
    pub fn pop(&mut self) -> Option<Chain> {
        match self.try_pop() {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn try_pop(&mut self) -> Result<Option<Chain>, QueueError> {
        if self.error.is_some() {
            return Ok(None);
        }
        let size = self.state.num as u16;
        let end = match self.avail_end {
            Some(e) => e,
            None => {
                let idx = self.dma.read_u16(self.state.avail.wrapping_add(2))?;
                if idx.wrapping_sub(self.state.next_avail) > size {
                    return Err(QueueError::TooManyAvailable {
                        avail_idx: idx,
                        next: self.state.next_avail,
                    });
                }
                self.avail_end = Some(idx);
                idx
            }
        };
        if self.state.next_avail == end {
            return Ok(None);
        }
        let slot = u64::from(self.state.next_avail % size);
        let head = self
            .dma
            .read_u16(self.state.avail.wrapping_add(4 + 2 * slot))?;
        self.state.next_avail = self.state.next_avail.wrapping_add(1);
        self.walk(head).map(Some)
    }

    fn walk(&self, head: u16) -> Result<Chain, QueueError> {
        let size = self.state.num as u16;
        let mut chain = Chain {
            head,
            readable: Vec::new(),
            writable: Vec::new(),
        };
        let mut idx = head;
        let mut count = 0u32;
        loop {
            if idx >= size {
                return Err(QueueError::BadIndex(idx));
            }
            count += 1;
            if count > u32::from(size) {
                return Err(QueueError::ChainTooLong);
            }
            let d = read_desc(
                self.dma,
                self.state.desc.wrapping_add(u64::from(idx) * DESC_SIZE),
            )?;
            if d.flags & DESC_F_INDIRECT != 0 {
                // Zero or more direct descriptors, then one indirect one
                // that ends the chain ("Indirect Descriptors"); its WRITE flag means
                // nothing.
                if !self.indirect || d.flags & DESC_F_NEXT != 0 {
                    return Err(QueueError::BadIndirect);
                }
                self.walk_indirect(d, &mut chain)?;
                return Ok(chain);
            }
            push(&mut chain, d)?;
            if d.flags & DESC_F_NEXT == 0 {
                return Ok(chain);
            }
            idx = d.next;
        }
    }

    fn walk_indirect(&self, table: Desc, chain: &mut Chain) -> Result<(), QueueError> {
        if table.len == 0 || !table.len.is_multiple_of(16) || table.len / 16 > MAX_INDIRECT {
            return Err(QueueError::BadIndirect);
        }
        let entries = table.len / 16;
        let mut idx = 0u16;
        for _ in 0..entries {
            let d = read_desc(
                self.dma,
                table.addr.wrapping_add(u64::from(idx) * DESC_SIZE),
            )?;
            if d.flags & DESC_F_INDIRECT != 0 {
                return Err(QueueError::BadIndirect);
            }
            push(chain, d)?;
            if d.flags & DESC_F_NEXT == 0 {
                return Ok(());
            }
            if u32::from(d.next) >= entries {
                return Err(QueueError::BadIndex(d.next));
            }
            idx = d.next;
        }
        Err(QueueError::ChainTooLong)
    }

    /// Returns `chain` to the driver through the used ring, with the number
    /// of bytes the device wrote into its writable buffers.
    pub fn complete(&mut self, chain: Chain, len: u32) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.try_complete(chain.head, len) {
            self.error = Some(e.into());
        }
    }

    fn try_complete(&mut self, head: u16, len: u32) -> Result<(), DmaError> {
        let size = self.state.num as u16;
        let slot = u64::from(self.state.next_used % size);
        let mut elem = [0u8; 8];
        elem[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        elem[4..].copy_from_slice(&len.to_le_bytes());
        self.dma
            .write(self.state.used.wrapping_add(4 + 8 * slot), &elem)?;
        // The element is in place before the index that publishes it.
        let next = self.state.next_used.wrapping_add(1);
        self.dma.write_u16(self.state.used.wrapping_add(2), next)?;
        self.state.next_used = next;
        self.used += 1;
        Ok(())
    }

    /// Ends the round: whether the driver wants a used buffer notification
    /// (some chain was used and the available ring's NO_INTERRUPT flag is
    /// clear), and the error that stopped the queue, if any.
    pub(crate) fn finish(self) -> (bool, Option<QueueError>) {
        let notify = self.used > 0
            && self
                .dma
                .read_u16(self.state.avail)
                .map_or(true, |flags| flags & AVAIL_F_NO_INTERRUPT == 0);
        (notify, self.error)
    }
}

fn push(chain: &mut Chain, d: Desc) -> Result<(), QueueError> {
    let b = Buffer {
        addr: d.addr,
        len: d.len,
    };
    if d.flags & DESC_F_WRITE != 0 {
        chain.writable.push(b);
    } else if chain.writable.is_empty() {
        chain.readable.push(b);
    } else {
        return Err(QueueError::ReadableAfterWritable);
    }
    Ok(())
}
