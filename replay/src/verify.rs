//! Checking a whole log without running a guest: its structure, every
//! CRC, icount order and the END record.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::error::{LogEnd, ReadError};
use crate::header::Header;
use crate::reader::LogReader;

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// The log's header.
    pub header: Header,
    /// Bytes the header takes.
    pub header_bytes: u64,
    /// Complete chunks read.
    pub chunks: u64,
    /// Events read (END included).
    pub events: u64,
    /// The final icount of a complete log, else the last event's icount.
    pub final_icount: u64,
    /// How the log ended: complete, truncated, or where the first damage is.
    pub end: LogEnd,
}

impl VerifyReport {
    /// Whether the log is complete and undamaged.
    pub fn is_complete(&self) -> bool {
        self.end.is_complete()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} events in {} chunks, final icount {}: {}",
            self.events, self.chunks, self.final_icount, self.end
        )
    }
}

/// Checks the log at `path`. A damaged or unreadable header is an error;
/// anything past it (truncation, a damaged chunk, an I/O error) is
/// described by the report's [`end`](VerifyReport::end).
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport, ReadError> {
    verify_log(LogReader::open(path)?)
}

/// [`verify`] on a log read from `input`.
pub fn verify_reader(input: impl Read) -> Result<VerifyReport, ReadError> {
    verify_log(LogReader::new(input)?)
}

fn verify_log<R: Read>(mut reader: LogReader<R>) -> Result<VerifyReport, ReadError> {
    while let Some(Ok(_)) = reader.next_record() {}
    let end = reader.end().cloned().unwrap_or_else(|| LogEnd::Unreadable {
        offset: reader.bytes_read(),
        message: "reader stopped without saying why".into(),
        last_icount: reader.last_icount(),
    });
    Ok(VerifyReport {
        header: reader.header().clone(),
        header_bytes: reader.header_len(),
        chunks: reader.chunks_read(),
        events: reader.events_read(),
        final_icount: end.last_icount(),
        end,
    })
}
