//! The seam between the run loop and the execution engines, and the run
//! loop that stops at an exact instruction count.

use crate::bus::Bus;
use crate::env::{CpuEnv, ExitCode, GuestFault, Trap};
use lockstep_replay::{Checkpoint, CheckpointKind, CheckpointSink};

/// An execution engine: translates and runs guest code (the interpreter,
/// the Cranelift JIT, or both tiered).
///
/// `execute` must retire instructions until the budget reaches zero or an
/// exit needs the run loop, and it must stop at exactly zero: when the next
/// block is longer than the budget left, it runs a shortened one.
pub trait Engine<A> {
    /// Runs guest code. Returns [`ExitCode::Budget`] only with the budget
    /// at zero, and never [`ExitCode::Next`].
    fn execute(&mut self, env: &mut CpuEnv<A>) -> ExitCode;
}

/// Why [`RunLoop::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The requested instruction count was reached.
    Limit,
    /// An instruction trapped; the PC is the trapping instruction's.
    Trap(Trap),
    /// An access faulted; the PC is the faulting instruction's.
    Fault(GuestFault),
    /// The guest waits for an interrupt.
    Halt,
    /// Something may have changed what the machine must do next (an MMIO
    /// write, a change of the interrupt masks, an exception return, a
    /// timer reprogrammed): the caller looks before running on.
    Request,
}

/// One vCPU and its address space, with the retired-instruction count.
pub struct RunLoop<A> {
    /// The CPU environment (boxed: compiled code holds its address).
    pub env: Box<CpuEnv<A>>,
    /// The address space (boxed: the environment holds its address).
    pub bus: Box<Bus>,
    icount: u64,
    checkpoints: Option<Box<dyn CheckpointSink>>,
}

impl<A> RunLoop<A> {
    /// Builds the loop around a CPU state and a populated bus.
    pub fn new(arch: A, mut bus: Box<Bus>) -> Self {
        let env = CpuEnv::new(arch, &mut *bus);
        RunLoop {
            env,
            bus,
            icount: 0,
            checkpoints: None,
        }
    }

    /// Sends every checkpoint from now on to `sink`.
    pub fn set_checkpoint_sink(&mut self, sink: Box<dyn CheckpointSink>) {
        self.checkpoints = Some(sink);
    }

    /// The one hook every exception entry and interrupt acceptance calls:
    /// records the checkpoint at the current instruction count.
    pub fn checkpoint(&mut self, kind: CheckpointKind, pc: u64) {
        if let Some(sink) = self.checkpoints.as_mut() {
            sink.checkpoint(Checkpoint {
                icount: self.icount,
                kind,
                pc,
            });
        }
    }

    /// Guest instructions retired so far.
    pub fn icount(&self) -> u64 {
        self.icount
    }

    /// Virtual nanoseconds since the start (see [`crate::env`]).
    pub fn now_ns(&self) -> u64 {
        (self.icount << crate::env::ICOUNT_SHIFT) + self.env.idle_ns
    }

    /// Lets virtual time jump forward by `ns` while the guest is idle.
    pub fn advance_idle(&mut self, ns: u64) {
        self.env.idle_ns += ns;
    }

    /// Runs until `target` instructions have retired in total, or until
    /// something needs the caller.
    pub fn run_until(&mut self, engine: &mut dyn Engine<A>, target: u64) -> Stop {
        loop {
            if self.icount >= target {
                return Stop::Limit;
            }
            let budget = target - self.icount;
            self.env.budget = budget;
            self.env.budget_base = budget;
            self.env.icount_base = self.icount;
            self.env.insns_ahead = 0;
            let code = engine.execute(&mut self.env);
            self.icount += budget - self.env.budget;
            self.env.insns_ahead = 0;
            match code {
                ExitCode::Next | ExitCode::Budget => {}
                ExitCode::Request => {
                    self.env.exit_request = 0;
                    return Stop::Request;
                }
                ExitCode::Trap => return Stop::Trap(self.env.trap),
                ExitCode::Fault => {
                    let fault = self.env.fault.take().expect("fault exit without a fault");
                    self.env.fault_pending = 0;
                    return Stop::Fault(fault);
                }
                ExitCode::Halt => return Stop::Halt,
            }
        }
    }
}
