//! Lockstep's translator: the IR, the guest frontends that lift guest code
//! into it, and the two backends that run it — the interpreter and the
//! Cranelift JIT — behind one engine with a translation-block cache.
//!
//! Data flow: guest bytes → [`frontend`] → [`ir::Block`] → [`interp`] or
//! [`clif`] → run by [`engine::ArmEngine`] under the runtime's run loop.

pub mod background;
pub mod clif;
pub mod codemem;
pub mod engine;
pub mod float;
pub mod frontend;
pub mod interp;
pub mod ir;

#[cfg(test)]
mod backend_tests;
