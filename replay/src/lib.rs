//! Lockstep's record/replay vocabulary.
//!
//! This crate knows nothing of CPUs or devices: it defines the events that
//! cross the boundary between the deterministic guest and the outside world
//! (and the checkpoints that prove a replay is still on track), and how they
//! are encoded. The runtime emits [`Checkpoint`]s through a [`CheckpointSink`];
//! the recorder and the verifier are sinks.

pub mod varint;

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
