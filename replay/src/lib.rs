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

mod chunk;
mod crc;
mod cursor;
mod digest;
mod dump;
mod error;
mod escape;
mod event;
pub mod format;
mod header;
mod io_util;
mod reader;
mod stats;
pub mod varint;
mod verify;
mod wire;
mod writer;

#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod test_support;

pub use cursor::ReplayCursor;
pub use digest::{stable_hash, StableHasher, StateDigest};
pub use dump::{dump, dump_reader};
pub use error::{LogEnd, ReadError};
pub use event::{Event, EventKind, ShutdownCause};
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
    Exception { vector: u32 },
    /// An asynchronous interrupt was accepted, identified by its vector
    /// number (IRQ/FIQ on ARM, the IDT vector on x86).
    Interrupt { vector: u32 },
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
