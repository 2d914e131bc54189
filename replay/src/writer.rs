//! The recorder's side: [`LogWriter`] turns events into chunks and writes
//! them out.
//!
//! # When chunks reach the file
//!
//! Events are gathered in memory and written as one chunk — one
//! `write_all` of frame and payload, then `flush` — when
//!
//! - the payload reaches [`FlushPolicy::chunk_bytes`] (64 KiB by default);
//! - the oldest buffered event has waited [`FlushPolicy::max_age`]
//!   (100 ms of host time by default), checked at every
//!   [`push`](LogWriter::push) and at every [`poll_flush`](LogWriter::poll_flush),
//!   which the recorder calls periodically (say, whenever it looks at its
//!   host input queues) so a guest that goes quiet does not hold events back;
//! - [`flush`](LogWriter::flush) or [`finish`](LogWriter::finish) is called,
//!   or the writer is dropped without `finish` (best effort; that log has no
//!   END record and reads as truncated).
//!
//! Given a `File` (not a `BufWriter`), a written chunk sits in the
//! operating system's cache the moment `write_all` returns, so a recorder
//! killed with SIGKILL loses only the events still buffered: at most the
//! last `max_age` of host time, plus however long the guest ran since the
//! last `push` or `poll_flush`. Its file ends with complete chunks,
//! possibly followed by part of one, and reads as truncated after the last
//! complete chunk. Host time decides only where chunks split, never what
//! the guest sees.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::chunk;
use crate::digest::StateDigest;
use crate::event::Event;
use crate::format::{DEFAULT_CHUNK_TARGET, DEFAULT_MAX_AGE, FRAME_LEN, MAX_CHUNK_TARGET};
use crate::header::Header;

/// When the writer closes a chunk (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlushPolicy {
    /// Close the chunk once its payload holds this many bytes. Clamped to
    /// 1..=[`MAX_CHUNK_TARGET`](crate::format::MAX_CHUNK_TARGET).
    pub chunk_bytes: usize,
    /// Close the chunk once its oldest event has waited this long in host
    /// time; `None` never closes a chunk for age (tests that need
    /// byte-identical logs).
    pub max_age: Option<Duration>,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            chunk_bytes: DEFAULT_CHUNK_TARGET,
            max_age: Some(DEFAULT_MAX_AGE),
        }
    }
}

/// Writes a replay log: the header at once, then events in chunks.
///
/// Every method that writes returns the `io::Error` it met; after a failed
/// write the file may end in a partial chunk, so every later call fails too
/// and the log reads as truncated at the last complete chunk.
#[derive(Debug)]
pub struct LogWriter<W: Write> {
    out: Option<W>,
    policy: FlushPolicy,
    /// Frame placeholder followed by the payload being built.
    buf: Vec<u8>,
    events_in_chunk: usize,
    oldest: Option<Instant>,
    seq: u64,
    chunk_base: u64,
    last_icount: u64,
    bytes_written: u64,
    failed: bool,
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

impl<W: Write> LogWriter<W> {
    /// Writes `header` to `out` (and flushes it) with the default
    /// [`FlushPolicy`].
    pub fn new(out: W, header: &Header) -> io::Result<Self> {
        Self::with_policy(out, header, FlushPolicy::default())
    }

    /// Writes `header` to `out` (and flushes it); chunks follow `policy`.
    pub fn with_policy(mut out: W, header: &Header, policy: FlushPolicy) -> io::Result<Self> {
        let bytes = header.encode().map_err(invalid)?;
        out.write_all(&bytes)?;
        out.flush()?;
        let policy = FlushPolicy {
            chunk_bytes: policy.chunk_bytes.clamp(1, MAX_CHUNK_TARGET),
            ..policy
        };
        Ok(LogWriter {
            out: Some(out),
            policy,
            buf: vec![0; FRAME_LEN as usize],
            events_in_chunk: 0,
            oldest: None,
            seq: 0,
            chunk_base: 0,
            last_icount: 0,
            bytes_written: bytes.len() as u64,
            failed: false,
        })
    }

    /// Adds `event`, seen by the guest at `icount`.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] (and changes nothing)
    /// when `icount` is below the previous event's, when `event` is
    /// [`Event::End`] (use [`finish`](Self::finish)), when a checkpoint's
    /// own icount differs from `icount`, or when a byte string or message
    /// exceeds its bound. May write a chunk, see the [module docs](self).
    pub fn push(&mut self, icount: u64, event: Event) -> io::Result<()> {
        self.usable()?;
        if matches!(event, Event::End { .. }) {
            return Err(invalid(
                "the END record is written by LogWriter::finish".into(),
            ));
        }
        self.append(icount, &event)?;
        let now = Instant::now();
        if self.payload_len() >= self.policy.chunk_bytes || self.too_old(now) {
            self.write_chunk()?;
        }
        Ok(())
    }

    /// Writes the buffered events if the oldest has waited longer than the
    /// policy's `max_age`. Cheap when there is nothing to do.
    pub fn poll_flush(&mut self) -> io::Result<()> {
        self.usable()?;
        if self.too_old(Instant::now()) {
            self.write_chunk()?;
        }
        Ok(())
    }

    /// Writes the buffered events, if any, as a chunk, and flushes the
    /// output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.usable()?;
        if self.events_in_chunk > 0 {
            self.write_chunk()
        } else {
            self.output()?.flush()
        }
    }

    /// Writes the END record at `icount` with the final `digest`, after any
    /// buffered events, and returns the output. Fails like [`push`](Self::push)
    /// if `icount` is below the last event's.
    pub fn finish(mut self, icount: u64, digest: StateDigest) -> io::Result<W> {
        self.usable()?;
        self.append(icount, &Event::End { digest })?;
        self.write_chunk()?;
        self.out
            .take()
            .ok_or_else(|| io::Error::other("replay log writer has no output"))
    }

    /// Icount of the last event pushed (0 before the first).
    pub fn last_icount(&self) -> u64 {
        self.last_icount
    }

    /// Number of events buffered and not yet written.
    pub fn pending_events(&self) -> usize {
        self.events_in_chunk
    }

    /// Bytes written to the output so far (header included).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// Number of chunks written so far.
    pub fn chunks_written(&self) -> u64 {
        self.seq
    }

    /// The output.
    pub fn get_ref(&self) -> Option<&W> {
        self.out.as_ref()
    }

    fn usable(&self) -> io::Result<()> {
        if self.failed {
            Err(io::Error::other(
                "an earlier write to the replay log failed; the log ends at its last complete chunk",
            ))
        } else {
            Ok(())
        }
    }

    fn output(&mut self) -> io::Result<&mut W> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("replay log writer has no output"))
    }

    fn payload_len(&self) -> usize {
        self.buf.len() - FRAME_LEN as usize
    }

    fn too_old(&self, now: Instant) -> bool {
        match (self.oldest, self.policy.max_age) {
            (Some(oldest), Some(max_age)) => now.saturating_duration_since(oldest) >= max_age,
            _ => false,
        }
    }

    fn append(&mut self, icount: u64, event: &Event) -> io::Result<()> {
        if icount < self.last_icount {
            return Err(invalid(format!(
                "{} event at icount {icount} after an event at icount {}: events must be in icount order",
                event.kind(),
                self.last_icount
            )));
        }
        event.validate(icount).map_err(invalid)?;
        if self.events_in_chunk == 0 {
            chunk::put_prologue(&mut self.buf, self.seq, self.chunk_base);
            self.oldest = Some(Instant::now());
        }
        event.encode(icount - self.last_icount, &mut self.buf);
        self.events_in_chunk += 1;
        self.last_icount = icount;
        Ok(())
    }

    fn write_chunk(&mut self) -> io::Result<()> {
        let frame = chunk::frame(&self.buf[FRAME_LEN as usize..]);
        self.buf[..FRAME_LEN as usize].copy_from_slice(&frame);
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("replay log writer has no output"))?;
        let result = out.write_all(&self.buf).and_then(|()| out.flush());
        if let Err(e) = result {
            self.failed = true;
            return Err(e);
        }
        self.bytes_written += self.buf.len() as u64;
        self.seq += 1;
        self.chunk_base = self.last_icount;
        self.events_in_chunk = 0;
        self.oldest = None;
        self.buf.clear();
        self.buf.resize(FRAME_LEN as usize, 0);
        Ok(())
    }
}

impl<W: Write> Drop for LogWriter<W> {
    /// Writes any buffered events (best effort, errors ignored) so that a
    /// recorder that stops without [`finish`](LogWriter::finish) leaves a
    /// log that replays up to its last event.
    fn drop(&mut self) {
        if self.out.is_some() && !self.failed && self.events_in_chunk > 0 {
            let _ = self.write_chunk();
        }
    }
}
