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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{sample_header, sample_log, sample_log_events, FINAL_ICOUNT};

    #[test]
    fn a_complete_log_verifies() {
        let (bytes, starts) = sample_log(2);
        let report = verify_reader(&bytes[..]).unwrap();
        assert!(report.is_complete());
        assert_eq!(report.header, sample_header());
        assert_eq!(report.header_bytes, starts[0]);
        assert_eq!(report.chunks, starts.len() as u64);
        assert_eq!(report.events, sample_log_events().len() as u64);
        assert_eq!(report.final_icount, FINAL_ICOUNT);
        assert!(report.to_string().contains("complete"), "{report}");
    }

    #[test]
    fn verify_reports_the_first_damage() {
        let (mut bytes, starts) = sample_log(2);
        let i = starts[3] as usize + 14;
        bytes[i] ^= 0x20;
        let report = verify_reader(&bytes[..]).unwrap();
        assert_eq!(report.events, 6);
        assert_eq!(report.final_icount, sample_log_events()[5].0);
        match &report.end {
            LogEnd::Corrupt { chunk, offset, .. } => {
                assert_eq!((*chunk, *offset), (3, starts[3]));
            }
            other => panic!("{other:?}"),
        }
        let text = report.to_string();
        assert!(text.contains("corrupt chunk 3"), "{text}");
    }

    #[test]
    fn verify_opens_files_and_names_missing_ones() {
        let dir =
            std::env::temp_dir().join(format!("lockstep-replay-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sample.lsr");
        let (bytes, _) = sample_log(4);
        std::fs::write(&path, &bytes).unwrap();
        assert!(verify(&path).unwrap().is_complete());
        assert!(crate::stats(&path).unwrap().end.is_complete());
        let mut out = Vec::new();
        assert!(crate::dump(&path, &mut out, false).unwrap().is_complete());
        let mut cursor = crate::ReplayCursor::open(&path).unwrap();
        assert_eq!(cursor.next_event().map(|(icount, _)| icount), Some(0));
        std::fs::remove_file(&path).unwrap();
        let err = verify(&path).unwrap_err();
        assert!(matches!(err, ReadError::Open { .. }));
        assert!(err.to_string().contains("sample.lsr"), "{err}");
        let _ = std::fs::remove_dir(&dir);
    }
}
