//! How reading a log can fail, and how a log can end.

use std::fmt;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::digest::StateDigest;

/// Why a log could not be read (any further).
///
/// Offsets are byte offsets from the start of the file; chunks are counted
/// from 0 in file order.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The log file could not be opened.
    #[error("cannot open replay log {}: {source}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The file does not start with the log's magic bytes.
    #[error("not a Lockstep replay log (bad magic bytes at offset 0)")]
    NotALog,
    /// The log was written in a format version this build cannot read.
    #[error(
        "replay log format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The header is damaged or cut short; nothing can be replayed.
    #[error("corrupt replay log header at byte {offset}: {what}")]
    CorruptHeader {
        /// Where the problem was found.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// A chunk is damaged: a CRC mismatch, a bad event encoding, an icount
    /// going backwards, data after the END record…
    #[error("corrupt replay log: chunk {chunk} at byte {offset}: {what}")]
    CorruptChunk {
        /// Index of the damaged chunk.
        chunk: u64,
        /// Where the problem was found (the chunk's start for framing and
        /// CRC errors, the failing field for encoding errors).
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The file ends inside a chunk, or after a complete chunk but without
    /// an END record: the recorder was stopped before it finished. Every
    /// event up to `last_icount` has been read.
    #[error(
        "replay log truncated at byte {offset}: complete up to icount {last_icount}, no END record"
    )]
    Truncated {
        /// Where the usable part of the file ends (the start of the
        /// incomplete chunk, or the end of the file).
        offset: u64,
        /// Icount of the last event read (0 when there was none).
        last_icount: u64,
    },
    /// Reading failed.
    #[error("error reading replay log: {0}")]
    Io(#[from] io::Error),
}

/// How a log ended, once every readable event has been taken from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEnd {
    /// The log ends with its END record.
    Complete {
        /// The END record's icount: the recorded run's final icount.
        final_icount: u64,
        /// The END record's digest.
        digest: StateDigest,
    },
    /// The log was cut short: every event up to `last_icount` is known, what
    /// came after is lost.
    Truncated {
        /// Where the usable part of the file ends.
        offset: u64,
        /// Icount of the last event read (0 when there was none).
        last_icount: u64,
    },
    /// A damaged chunk: every event before it was read.
    Corrupt {
        /// Index of the damaged chunk.
        chunk: u64,
        /// Where the damage was found.
        offset: u64,
        /// What is wrong.
        what: String,
        /// Icount of the last event read before it (0 when there was none).
        last_icount: u64,
    },
    /// Reading failed with an I/O error.
    Unreadable {
        /// Where the reader was.
        offset: u64,
        /// The error's text.
        message: String,
        /// Icount of the last event read before it (0 when there was none).
        last_icount: u64,
    },
}

impl LogEnd {
    /// Whether the log ended with its END record.
    pub fn is_complete(&self) -> bool {
        matches!(self, LogEnd::Complete { .. })
    }

    /// The icount up to which the log is known: the final icount of a
    /// complete log, else the last event's.
    pub fn last_icount(&self) -> u64 {
        match self {
            LogEnd::Complete { final_icount, .. } => *final_icount,
            LogEnd::Truncated { last_icount, .. }
            | LogEnd::Corrupt { last_icount, .. }
            | LogEnd::Unreadable { last_icount, .. } => *last_icount,
        }
    }

    /// The ending that a reading error past the header amounts to;
    /// `offset` and `last_icount` say where the reader was.
    pub(crate) fn from_error(error: &ReadError, offset: u64, last_icount: u64) -> LogEnd {
        match error {
            ReadError::Truncated {
                offset,
                last_icount,
            } => LogEnd::Truncated {
                offset: *offset,
                last_icount: *last_icount,
            },
            ReadError::CorruptChunk {
                chunk,
                offset,
                what,
            } => LogEnd::Corrupt {
                chunk: *chunk,
                offset: *offset,
                what: what.clone(),
                last_icount,
            },
            other => LogEnd::Unreadable {
                offset,
                message: other.to_string(),
                last_icount,
            },
        }
    }
}

impl fmt::Display for LogEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEnd::Complete {
                final_icount,
                digest,
            } => write!(f, "complete, final icount {final_icount}, {digest}"),
            LogEnd::Truncated {
                offset,
                last_icount,
            } => write!(
                f,
                "truncated at byte {offset}, complete up to icount {last_icount}"
            ),
            LogEnd::Corrupt {
                chunk,
                offset,
                what,
                last_icount,
            } => write!(
                f,
                "corrupt chunk {chunk} at byte {offset}: {what}; complete up to icount {last_icount}"
            ),
            LogEnd::Unreadable {
                offset,
                message,
                last_icount,
            } => write!(
                f,
                "unreadable at byte {offset}: {message}; complete up to icount {last_icount}"
            ),
        }
    }
}
