//! The replayer's side: [`LogReader`] checks the header, then hands out
//! events chunk by chunk, in icount order.
//!
//! A chunk's events are handed out only after the whole chunk has passed
//! its CRCs and every check, so a reader never delivers an event that was
//! not written. When the file stops early — inside a chunk, or after a
//! complete chunk but before the END record — the reader delivers every
//! complete chunk and then reports [`ReadError::Truncated`] with the last
//! good icount. Damage is reported as [`ReadError::CorruptChunk`] naming
//! the chunk and the byte offset. Whatever the bytes, the reader never
//! panics and never allocates more than about twice
//! [`MAX_CHUNK_LEN`](crate::format::MAX_CHUNK_LEN) at once.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::chunk::{self, Payload};
use crate::digest::StateDigest;
use crate::error::{LogEnd, ReadError};
use crate::event::Event;
use crate::format::FRAME_LEN;
use crate::header::Header;
use crate::io_util::{read_full, rest_is_zero};

/// One event with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Guest instructions retired when the guest saw the event.
    pub icount: u64,
    /// The event.
    pub event: Event,
    /// Index of the chunk it was read from.
    pub chunk: u64,
    /// Byte offset of its encoding in the file.
    pub offset: u64,
    /// Bytes its encoding takes.
    pub encoded_len: u64,
}

/// Reads a log: the header when created, then events on demand.
///
/// As an [`Iterator`] it yields `Ok((icount, event))` in order, then
/// either stops (the log was complete) or yields one `Err` saying why it
/// could not go on, then stops; [`end`](Self::end) then says how the log
/// ended.
#[derive(Debug)]
pub struct LogReader<R> {
    input: R,
    header: Header,
    header_len: u64,
    /// Offset of the next byte to read from `input`.
    offset: u64,
    /// Index of the next chunk.
    next_chunk: u64,
    /// Icount of the last event of the chunks read so far.
    last_icount: u64,
    /// The chunk whose events are being handed out.
    current: Option<(u64, u64, Payload)>,
    /// The END record has been read (it may not have been handed out yet).
    end_seen: Option<(u64, StateDigest)>,
    end: Option<LogEnd>,
    events: u64,
    chunks: u64,
    framing_bytes: u64,
}

impl LogReader<BufReader<File>> {
    /// Opens the log at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReadError> {
        LogReader::new(open_file(path.as_ref())?)
    }
}

/// Opens a log file for reading.
pub(crate) fn open_file(path: &Path) -> Result<BufReader<File>, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(BufReader::new(file))
}

impl<R: Read> LogReader<R> {
    /// Reads and checks the header from `input`, which must be at the start
    /// of the log.
    pub fn new(mut input: R) -> Result<Self, ReadError> {
        let (header, header_len) = Header::read_from(&mut input)?;
        Ok(LogReader {
            input,
            header,
            header_len,
            offset: header_len,
            next_chunk: 0,
            last_icount: 0,
            current: None,
            end_seen: None,
            end: None,
            events: 0,
            chunks: 0,
            framing_bytes: 0,
        })
    }

    /// The log's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Bytes the header takes in the file.
    pub fn header_len(&self) -> u64 {
        self.header_len
    }

    /// How the log ended, once the reader has stopped (after the last
    /// event was taken and the next call returned `None` or an error).
    pub fn end(&self) -> Option<&LogEnd> {
        self.end.as_ref()
    }

    /// Events handed out so far.
    pub fn events_read(&self) -> u64 {
        self.events
    }

    /// Complete chunks read so far.
    pub fn chunks_read(&self) -> u64 {
        self.chunks
    }

    /// Bytes of chunk framing read so far: frames, sequence numbers and
    /// starting icounts.
    pub fn framing_bytes(&self) -> u64 {
        self.framing_bytes
    }

    /// Bytes consumed from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Icount of the last event of the chunks read so far.
    pub fn last_icount(&self) -> u64 {
        self.last_icount
    }

    /// Gives back the input, positioned wherever reading stopped.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next event with its position in the file; `None` once the log
    /// has ended (see [`end`](Self::end)).
    pub fn next_record(&mut self) -> Option<Result<Record, ReadError>> {
        loop {
            if let Some((index, payload_offset, payload)) = &mut self.current {
                if let Some(decoded) = payload.next_event() {
                    self.events += 1;
                    return Some(Ok(Record {
                        icount: decoded.icount,
                        event: decoded.event,
                        chunk: *index,
                        offset: *payload_offset + decoded.pos as u64,
                        encoded_len: decoded.len as u64,
                    }));
                }
                self.current = None;
            }
            if self.end.is_some() {
                return None;
            }
            let step = match self.end_seen {
                Some((final_icount, digest)) => self.after_end().map(|()| {
                    self.end = Some(LogEnd::Complete {
                        final_icount,
                        digest,
                    });
                }),
                None => self.read_chunk(),
            };
            if let Err(error) = step {
                self.end = Some(LogEnd::from_error(&error, self.offset, self.last_icount));
                return Some(Err(error));
            }
        }
    }

    /// After the END chunk the file must end.
    fn after_end(&mut self) -> Result<(), ReadError> {
        let mut byte = [0u8; 1];
        let got = read_full(&mut self.input, &mut byte)?;
        if got == 0 {
            return Ok(());
        }
        let offset = self.offset;
        self.offset += got as u64;
        Err(ReadError::CorruptChunk {
            chunk: self.next_chunk,
            offset,
            what: "data after the END record".into(),
        })
    }

    /// Reads, checks and installs the next chunk.
    fn read_chunk(&mut self) -> Result<(), ReadError> {
        let start = self.offset;
        let index = self.next_chunk;
        let truncated = ReadError::Truncated {
            offset: start,
            last_icount: self.last_icount,
        };
        let mut raw = [0u8; FRAME_LEN as usize];
        let got = read_full(&mut self.input, &mut raw)?;
        self.offset += got as u64;
        if got < raw.len() {
            return Err(truncated);
        }
        let frame = match chunk::parse_frame(&raw) {
            Ok(frame) => frame,
            Err(what) => {
                // A frame of zeros running to the end of the file is space
                // the file system allocated but the recorder never filled.
                if raw.iter().all(|&b| b == 0) {
                    let (zero, read) = rest_is_zero(&mut self.input)?;
                    self.offset += read;
                    if zero {
                        return Err(truncated);
                    }
                }
                return Err(ReadError::CorruptChunk {
                    chunk: index,
                    offset: start,
                    what,
                });
            }
        };
        let mut payload = Vec::new();
        (&mut self.input)
            .take(u64::from(frame.len))
            .read_to_end(&mut payload)?;
        self.offset += payload.len() as u64;
        if payload.len() < frame.len as usize {
            return Err(truncated);
        }
        let crc = crate::crc::crc32(&payload);
        if crc != frame.crc {
            return Err(ReadError::CorruptChunk {
                chunk: index,
                offset: start,
                what: format!(
                    "payload CRC mismatch (stored {:#010x}, computed {crc:#010x})",
                    frame.crc
                ),
            });
        }
        let payload_offset = start + FRAME_LEN;
        let (payload, summary) = Payload::check(payload, index, self.last_icount).map_err(|e| {
            ReadError::CorruptChunk {
                chunk: index,
                offset: payload_offset + e.pos as u64,
                what: e.what,
            }
        })?;
        if let Some(digest) = summary.end_digest {
            self.end_seen = Some((summary.last_icount, digest));
        }
        self.next_chunk += 1;
        self.chunks += 1;
        self.framing_bytes += FRAME_LEN + summary.prologue_len as u64;
        self.last_icount = summary.last_icount;
        self.current = Some((index, payload_offset, payload));
        Ok(())
    }
}

impl<R: Read> Iterator for LogReader<R> {
    type Item = Result<(u64, Event), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
            .map(|result| result.map(|record| (record.icount, record.event)))
    }
}
