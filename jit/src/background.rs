//! Compiling on the second core: a thread that owns a Cranelift compiler
//! and turns hot blocks into native code while the guest thread goes on
//! interpreting them.
//!
//! The guest thread sends blocks and, between blocks, installs whatever
//! code is ready. Both backends give the same answers, so when a block's
//! code becomes ready changes nothing the guest sees (DESIGN.md contract 3).
//!
//! When the compiler's code memory is full, the worker says so; the engine
//! drops every translation (so nothing can run the old code any more) and
//! asks for a restart, and the worker replaces its compiler, freeing the
//! old memory only then.

use crate::clif::{CompiledBlock, Compiler, Runner};
use crate::frontend::Guest;
use crate::ir::Block;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// A request to the worker.
enum Job {
    /// Compile `block`, which the engine knows as block `id` (serial
    /// `serial`, to tell a reused id from the block asked for).
    Compile {
        id: usize,
        serial: u64,
        block: Block,
    },
    /// Start over with fresh code memory (every old block is gone).
    Restart,
}

/// What the worker reports.
pub enum Done {
    /// The code for a block asked for.
    Compiled {
        /// The engine's block id.
        id: usize,
        /// The block's serial number when it was asked for.
        serial: u64,
        /// The code.
        code: CompiledBlock,
        /// Time Cranelift took.
        took: Duration,
    },
    /// The code memory is full: the block was not compiled.
    Full,
    /// The worker started over; its code is entered through this runner.
    Restarted(Runner),
}

/// The guest thread's handle on the compiling thread.
pub struct Background {
    jobs: Sender<Job>,
    done: Receiver<Done>,
    /// Enters the current compiler's code.
    pub runner: Runner,
}

impl Background {
    /// Starts the worker with `code_bytes` of executable memory.
    /// `indirect_cache` is the engine's indirect-branch cache (see
    /// [`Compiler::set_indirect_cache`]).
    pub fn start<G: Guest>(
        code_bytes: usize,
        out_asm: bool,
        indirect_cache: u64,
    ) -> Result<Self, String> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel::<Done>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<Runner, String>>();
        std::thread::Builder::new()
            .name("compiler".into())
            .spawn(move || {
                let make = || {
                    Compiler::new::<G>(code_bytes).map(|mut c| {
                        c.out_asm = out_asm;
                        c.set_indirect_cache(indirect_cache);
                        c
                    })
                };
                let mut compiler = match make() {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(compiler.runner()));
                while let Ok(job) = job_rx.recv() {
                    let reply = match job {
                        Job::Compile { id, serial, block } => {
                            let t0 = Instant::now();
                            match compiler.compile::<G>(&block, id as u64) {
                                Some(code) => Done::Compiled {
                                    id,
                                    serial,
                                    code,
                                    took: t0.elapsed(),
                                },
                                None => Done::Full,
                            }
                        }
                        Job::Restart => {
                            compiler = make().expect("the JIT started once, so it starts again");
                            Done::Restarted(compiler.runner())
                        }
                    };
                    if done_tx.send(reply).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| format!("cannot start the compiler thread: {e}"))?;
        let runner = ready_rx
            .recv()
            .map_err(|_| "the compiler thread stopped at once".to_string())??;
        Ok(Background { jobs, done, runner })
    }

    /// Asks for `block` to be compiled.
    pub fn request(&self, id: usize, serial: u64, block: Block) {
        let _ = self.jobs.send(Job::Compile { id, serial, block });
    }

    /// Asks the worker to start over with fresh code memory. Every block
    /// compiled so far must already be dropped.
    pub fn restart(&self) {
        let _ = self.jobs.send(Job::Restart);
    }

    /// The next finished piece of work, if any.
    pub fn poll(&self) -> Option<Done> {
        self.done.try_recv().ok()
    }
}
