//! Lockstep's record/replay log.
//!
//! This crate knows nothing of CPUs or devices: it defines the events that
//! cross the boundary between the deterministic guest and the outside world
//! (and the checkpoints and digests that prove a replay is still on track),
//! and the file they are kept in. The runtime emits [`Checkpoint`]s through
//! a [`CheckpointSink`]; the recorder and the verifier are sinks.
//!
//! - [`Event`]: everything a log holds, each tied to an icount.
//! - [`Header`]: what the recorded machine was (configuration, command
//!   line, images).
//! - [`LogWriter`]: writes a log in CRC-checked chunks, flushed often
//!   enough that a killed recorder loses at most a fraction of a second.
//! - [`LogReader`] and [`ReplayCursor`]: read it back, never panicking,
//!   delivering everything up to a truncation or damage and saying which.
//! - [`verify()`], [`dump()`], [`stats()`]: the tools behind the command line.
//!
//! The byte-level format (version [`format::FORMAT_VERSION`]) is described
//! in `docs/replay-format.md`.
//!
//! ```
//! use lockstep_replay::{Event, Header, LogEnd, LogReader, LogWriter, ReplayCursor, StateDigest};
//!
//! // Record.
//! let header = Header {
//!     lockstep_version: "0.1.0".into(),
//!     argv: vec!["lockstep".into(), "-M".into(), "virt".into()],
//!     ..Header::default()
//! };
//! let mut writer = LogWriter::new(Vec::new(), &header)?;
//! writer.push(1200, Event::SerialInput { device: 0, bytes: b"ls\r".to_vec() })?;
//! let log = writer.finish(5000, StateDigest::default())?;
//!
//! // Replay: stop the guest at each event's icount and inject it.
//! let mut cursor = ReplayCursor::new(LogReader::new(&log[..])?);
//! assert_eq!(cursor.peek_icount(), Some(1200));
//! let event = cursor.next_due(1200);
//! assert!(matches!(event, Some(Event::SerialInput { .. })));
//! assert!(matches!(cursor.next_event(), Some((5000, Event::End { .. }))));
//! assert!(matches!(cursor.end(), Some(LogEnd::Complete { final_icount: 5000, .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod chunk;
mod crc;
pub mod cursor;
pub mod digest;
pub mod dump;
pub mod error;
mod escape;
pub mod event;
pub mod format;
pub mod header;
mod io_util;
pub mod reader;
pub mod stats;
pub mod varint;
pub mod verify;
mod wire;
pub mod writer;

#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod test_support;

pub use cursor::ReplayCursor;
pub use digest::{stable_hash, StableHasher, StateDigest};
pub use dump::{dump, dump_reader};
pub use error::{LogEnd, ReadError};
pub use event::{Event, EventKind, ShutdownCause, MAX_REGISTERS};
pub use header::{Header, ImageInfo};
pub use reader::{LogReader, Record};
pub use stats::{stats, stats_reader, KindStats, Stats};
pub use verify::{verify, verify_reader, VerifyReport};
pub use writer::{FlushPolicy, LogWriter};

/// Why the guest left its normal flow of instructions at a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckpointKind {
    /// A synchronous exception (undefined instruction, abort, supervisor
    /// call…), identified by its architecture-defined vector number.
    Exception {
        /// The vector number.
        vector: u32,
    },
    /// An asynchronous interrupt was accepted, identified by its vector
    /// number (IRQ/FIQ on ARM, the IDT vector on x86).
    Interrupt {
        /// The vector number.
        vector: u32,
    },
}

/// A point in the run that record and replay must agree on exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// Guest instructions retired before the event was taken.
    pub icount: u64,
    /// What happened.
    pub kind: CheckpointKind,
    /// The guest program counter at which it was taken (the faulting or
    /// interrupted instruction).
    pub pc: u64,
}

/// Receives every checkpoint the runtime emits, in guest order.
pub trait CheckpointSink {
    /// Called once per checkpoint, on the guest thread.
    fn checkpoint(&mut self, checkpoint: Checkpoint);
}

/// A sink that keeps every checkpoint in memory; tests compare two of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckpointList(pub Vec<Checkpoint>);

impl CheckpointSink for CheckpointList {
    fn checkpoint(&mut self, checkpoint: Checkpoint) {
        self.0.push(checkpoint);
    }
}
