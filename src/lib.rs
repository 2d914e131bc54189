//! Lockstep: a deterministic full-system emulator.
//!
//! This crate holds the command line, the machines and the image loaders;
//! the translator lives in `lockstep-jit`, the CPU state, memory and run
//! loop in `lockstep-runtime`, the device models in `lockstep-devices` and
//! the record/replay log in `lockstep-replay`.

pub mod bench;
pub mod cli;
pub mod console;
pub mod loader;
pub mod machine;
pub mod recording;
