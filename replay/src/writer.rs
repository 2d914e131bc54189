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
    /// 1..=[`MAX_CHUNK_TARGET`].
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
        let now = Instant::now();
        self.append(icount, &event, now)?;
        if self.payload_len() >= self.policy.chunk_bytes || self.too_old(now) {
            self.write_chunk()?;
        }
        Ok(())
    }

    /// Writes the buffered events if the oldest has waited longer than the
    /// policy's `max_age`. Cheap when there is nothing to do.
    pub fn poll_flush(&mut self) -> io::Result<()> {
        self.usable()?;
        if self.oldest.is_some() && self.too_old(Instant::now()) {
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
        self.append(icount, &Event::End { digest }, Instant::now())?;
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

    fn append(&mut self, icount: u64, event: &Event, now: Instant) -> io::Result<()> {
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
            self.oldest = Some(now);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{LogEnd, ReadError};
    use crate::event::ShutdownCause;
    use crate::reader::LogReader;
    use crate::test_support::{sample_events, sample_header};
    use crate::{Checkpoint, CheckpointKind};
    use std::thread::sleep;

    fn no_age() -> FlushPolicy {
        FlushPolicy {
            max_age: None,
            ..FlushPolicy::default()
        }
    }

    fn serial(byte: u8) -> Event {
        Event::SerialInput {
            device: 0,
            bytes: vec![byte],
        }
    }

    fn events_in(bytes: &[u8]) -> Vec<(u64, Event)> {
        LogReader::new(bytes)
            .unwrap()
            .filter_map(Result::ok)
            .collect()
    }

    #[test]
    fn the_header_is_written_at_once() {
        let writer = LogWriter::new(Vec::new(), &sample_header()).unwrap();
        let written = writer.get_ref().unwrap().clone();
        assert_eq!(written.len() as u64, writer.bytes_written());
        let mut reader = LogReader::new(&written[..]).unwrap();
        assert_eq!(reader.header(), &sample_header());
        assert!(matches!(
            reader.next(),
            Some(Err(ReadError::Truncated { last_icount: 0, .. }))
        ));
    }

    #[test]
    fn events_wait_for_a_flush_without_an_age_bound() {
        let mut writer = LogWriter::with_policy(Vec::new(), &sample_header(), no_age()).unwrap();
        let header_len = writer.bytes_written();
        for (icount, event) in sample_events() {
            writer.push(icount, event).unwrap();
        }
        assert_eq!(writer.bytes_written(), header_len);
        assert_eq!(writer.pending_events(), sample_events().len());
        writer.flush().unwrap();
        assert_eq!(writer.chunks_written(), 1);
        assert_eq!(writer.pending_events(), 0);
        writer.flush().unwrap();
        assert_eq!(writer.chunks_written(), 1, "an empty flush writes no chunk");
        let bytes = writer.get_ref().unwrap().clone();
        assert_eq!(events_in(&bytes), sample_events());
    }

    #[test]
    fn a_full_chunk_is_written_at_once() {
        let policy = FlushPolicy {
            chunk_bytes: 100,
            max_age: None,
        };
        let mut writer = LogWriter::with_policy(Vec::new(), &sample_header(), policy).unwrap();
        for i in 0..100 {
            writer.push(i, serial(i as u8)).unwrap();
        }
        // Each event takes 5 bytes; a chunk closes once its payload (two
        // prologue bytes or more) reaches 100.
        assert!(writer.chunks_written() >= 4, "{}", writer.chunks_written());
        assert!(writer.pending_events() < 20);
        let bytes = writer.finish(100, StateDigest::default()).unwrap();
        let events = events_in(&bytes);
        assert_eq!(events.len(), 101);
        assert_eq!(events[57], (57, serial(57)));
    }

    #[test]
    fn old_events_are_written_at_the_next_push_or_poll() {
        let policy = FlushPolicy {
            chunk_bytes: DEFAULT_CHUNK_TARGET,
            max_age: Some(Duration::from_millis(150)),
        };
        let mut writer = LogWriter::with_policy(Vec::new(), &sample_header(), policy).unwrap();
        writer.push(1, serial(b'a')).unwrap();
        writer.poll_flush().unwrap();
        assert_eq!(writer.chunks_written(), 0, "too young to write");
        sleep(Duration::from_millis(200));
        writer.poll_flush().unwrap();
        assert_eq!(writer.chunks_written(), 1);
        assert_eq!(writer.pending_events(), 0);
        writer.poll_flush().unwrap();
        assert_eq!(
            writer.chunks_written(),
            1,
            "nothing buffered, nothing written"
        );

        writer.push(2, serial(b'b')).unwrap();
        sleep(Duration::from_millis(200));
        writer.push(3, serial(b'c')).unwrap();
        assert_eq!(writer.chunks_written(), 2, "the push found an old event");
        assert_eq!(writer.pending_events(), 0);
        let bytes = writer.get_ref().unwrap().clone();
        assert_eq!(
            events_in(&bytes),
            vec![(1, serial(b'a')), (2, serial(b'b')), (3, serial(b'c'))]
        );
    }

    #[test]
    fn a_zero_age_bound_writes_every_event() {
        let policy = FlushPolicy {
            chunk_bytes: DEFAULT_CHUNK_TARGET,
            max_age: Some(Duration::ZERO),
        };
        let mut writer = LogWriter::with_policy(Vec::new(), &sample_header(), policy).unwrap();
        for i in 0..5 {
            writer.push(i * 10, serial(b'x')).unwrap();
            assert_eq!(writer.chunks_written(), i + 1);
        }
    }

    #[test]
    fn bad_pushes_are_refused_and_change_nothing() {
        let mut writer = LogWriter::with_policy(Vec::new(), &sample_header(), no_age()).unwrap();
        writer.push(100, serial(b'a')).unwrap();
        let refused = [
            (99, serial(b'b')),
            (
                200,
                Event::End {
                    digest: StateDigest::default(),
                },
            ),
            (
                200,
                Event::Checkpoint(Checkpoint {
                    icount: 201,
                    kind: CheckpointKind::Interrupt { vector: 1 },
                    pc: 0,
                }),
            ),
            (
                200,
                Event::Entropy {
                    device: 0,
                    bytes: vec![0; crate::format::MAX_EVENT_BYTES + 1],
                },
            ),
            (
                200,
                Event::Shutdown {
                    cause: ShutdownCause::Error {
                        message: "x".repeat(crate::format::MAX_STRING_LEN + 1),
                    },
                },
            ),
        ];
        for (icount, event) in refused {
            let kind = event.kind();
            let err = writer.push(icount, event).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{kind}: {err}");
        }
        assert_eq!(writer.pending_events(), 1);
        assert_eq!(writer.last_icount(), 100);
        writer.push(100, serial(b'c')).unwrap();
        let err = LogWriter::with_policy(Vec::new(), &sample_header(), no_age())
            .unwrap()
            .finish(0, StateDigest::default());
        assert!(err.is_ok(), "END at icount 0 of an empty log is fine");
        let mut writer = LogWriter::new(Vec::new(), &sample_header()).unwrap();
        writer.push(10, serial(b'a')).unwrap();
        assert_eq!(
            writer.finish(9, StateDigest::default()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    /// An output that accepts `limit` bytes, then fails; a partial write
    /// stands for a recorder killed in the middle of writing a chunk.
    struct Failing {
        data: Vec<u8>,
        limit: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let room = self.limit.saturating_sub(self.data.len());
            if room == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = room.min(buf.len());
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_stops_the_writer_and_leaves_a_truncated_log() {
        let header_len = sample_header().encode().unwrap().len();
        let out = Failing {
            data: Vec::new(),
            limit: header_len + 40,
        };
        let mut writer = LogWriter::with_policy(out, &sample_header(), no_age()).unwrap();
        writer.push(5, serial(b'a')).unwrap();
        writer.flush().unwrap();
        for i in 0..20 {
            writer.push(10 + i, serial(b'b')).unwrap();
        }
        assert!(writer.flush().is_err());
        assert!(writer.push(100, serial(b'c')).is_err(), "poisoned");
        assert!(writer.poll_flush().is_err());
        let data = writer.get_ref().unwrap().data.clone();
        assert!(writer.finish(200, StateDigest::default()).is_err());
        let mut reader = LogReader::new(&data[..]).unwrap();
        assert_eq!(reader.next().unwrap().unwrap(), (5, serial(b'a')));
        assert!(matches!(
            reader.next(),
            Some(Err(ReadError::Truncated { last_icount: 5, .. }))
        ));
        assert!(reader.next().is_none());
    }

    #[test]
    fn dropping_the_writer_keeps_buffered_events() {
        let mut out = Vec::new();
        {
            let mut writer = LogWriter::with_policy(&mut out, &sample_header(), no_age()).unwrap();
            writer.push(7, serial(b'z')).unwrap();
        }
        let mut reader = LogReader::new(&out[..]).unwrap();
        assert_eq!(reader.next().unwrap().unwrap(), (7, serial(b'z')));
        assert!(reader.next().unwrap().is_err());
        assert_eq!(
            reader.end(),
            Some(&LogEnd::Truncated {
                offset: out.len() as u64,
                last_icount: 7
            })
        );
    }

    #[test]
    fn an_oversized_header_is_refused() {
        let mut header = sample_header();
        header.config = (0..40)
            .map(|i| (format!("k{i}"), "v".repeat(40_000)))
            .collect();
        let err = LogWriter::new(Vec::new(), &header).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
