//! The machine core: what every machine needs, whatever its ISA and board.
//!
//! [`Core`] owns one vCPU's run loop and execution engine, the record and
//! replay door ([`HostIo`]), the checkpoint queue, state digests, the
//! console hash, machine reset and the end-of-run summary. It is the one
//! place where the outside world, virtual time and interrupts meet the CPU,
//! always at an instruction boundary fixed by the guest's state and the
//! instruction count: host input is delivered between runs; each run's
//! budget ends at the next device deadline; an interrupt is taken as soon
//! as the board signals one the CPU accepts; an idle CPU makes virtual
//! time jump to the next deadline.
//!
//! What differs between machines sits behind two small traits:
//! - [`Cpu`], per guest ISA: how a trap or fault becomes a guest
//!   exception, semihosting, and how registers are named, logged and shown.
//! - [`Board`], per board: its devices and memory map, its boot protocol,
//!   its interrupt controller, timers and console, and the firmware calls
//!   it answers.
//!
//! [`Machine`] is the object-safe face the command line, `bench`,
//! `record` and `replay` use; the registry in [`super`] builds one from
//! `-M`.

use super::hostio::{HostIo, ReplaySummary};
use super::{MachineConfig, Outcome};
use lockstep_jit::engine::{EngineStats, GuestEngine};
use lockstep_jit::frontend::Guest;
use lockstep_replay::{Checkpoint, CheckpointKind, CheckpointSink, StableHasher, StateDigest};
use lockstep_runtime::env::{CpuEnv, ICOUNT_SHIFT};
use lockstep_runtime::{Bus, RunLoop, Stop, Trap};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// What a semihosting call asks of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Semihosted {
    /// Continue after the call (the CPU has moved past it).
    Continue,
    /// Stop the machine with this exit status.
    Exit(i32),
    /// The call is not supported or its arguments are unreadable.
    Error(String),
}

/// What the core needs from a guest ISA's CPU, beyond what the engine
/// needs to translate its code ([`Guest`]).
pub trait Cpu: Guest + Clone {
    /// Names of the registers each digest logs, in order.
    const REG_NAMES: &'static [&'static str];
    /// The checkpoint a machine reset emits (the reset vector).
    const RESET_CHECKPOINT: CheckpointKind;
    /// The values of [`Cpu::REG_NAMES`], as the log carries them.
    fn digest_registers(&self) -> Vec<u32>;
    /// Feeds every architected register into `h` (the CPU part of a
    /// state digest).
    fn hash_state(&self, h: &mut StableHasher);
    /// A register dump on one line, for reports and `--stats`.
    fn describe_registers(&self) -> String;
    /// The instruction at virtual address `pc` (encoding and
    /// disassembly), if it can be read.
    fn describe_insn(env: &mut CpuEnv<Self>, pc: u64) -> Option<String>;
    /// The name of exception vector number `v`, for `-d int`.
    fn vector_name(v: u32) -> &'static str;
    /// Serves `trap` if it is a semihosting call (only asked when the
    /// machine has semihosting on).
    fn semihosting(
        _env: &mut CpuEnv<Self>,
        _trap: Trap,
        _out: &mut dyn Write,
    ) -> Option<Semihosted> {
        None
    }
    /// Takes the guest exception that a trap or fault `stop` raises.
    /// Returns the vector entered and what caused the exception (reported
    /// if the vector cannot be fetched), or an outcome that ends the run.
    fn take_exception(run: &mut RunLoop<Self>, stop: Stop) -> Result<(u64, Outcome), Outcome>;
    /// Whether no interrupt may be taken before the next instruction
    /// completes (x86's shadow after STI or a load of SS): the core then
    /// runs exactly one instruction before it looks at interrupts.
    fn interrupt_shadow(&self) -> bool {
        false
    }
    /// The instruction after the shadow completed.
    fn end_interrupt_shadow(&mut self) {}
}

/// What a board's firmware did with a trap it answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firmware {
    /// The call returned; the CPU goes on.
    Continue,
    /// The CPU waits for an interrupt (a standby state), then goes on.
    Wait,
    /// The guest powered the machine off.
    PowerOff,
    /// The guest asked for a machine reset.
    Reset,
    /// A test device ended the run with this exit status (QEMU's
    /// isa-debug-exit).
    Exit(i32),
}

/// What the core hands a board while it builds its devices.
pub struct BoardCtx {
    console: Option<Box<dyn Write>>,
    /// Where devices log the guest RAM they write by DMA (for
    /// [`Bus::dma`]).
    pub dma_written: Rc<RefCell<Vec<(u64, u64)>>>,
    io: Rc<RefCell<HostIo>>,
    device_error: Rc<RefCell<Option<String>>>,
}

impl BoardCtx {
    /// The console's output, for the board's console device (what the
    /// guest prints goes into every state digest through it). There is
    /// one console: a second call is a bug in the board.
    pub fn take_console(&mut self) -> Box<dyn Write> {
        self.console.take().expect("a board has one console")
    }

    /// The host's time of day in Unix nanoseconds, read through the
    /// replay door (an RTC's one outside input).
    pub fn clock_read(&self) -> anyhow::Result<u64> {
        self.io.borrow_mut().clock_read(0)
    }

    /// An entropy source for a random-number device, through the replay
    /// door.
    pub fn entropy(&self) -> Box<dyn lockstep_devices::virtio::rng::EntropySource> {
        Box::new(EntropyDoor {
            io: Rc::clone(&self.io),
            error: Rc::clone(&self.device_error),
        })
    }
}

/// A board: its CPU model, devices, memory map and boot protocol.
pub trait Board: Sized + 'static {
    /// The guest ISA's CPU.
    type Cpu: Cpu;
    /// Builds the board's RAM and devices on `bus`.
    fn build(cfg: &MachineConfig, bus: &mut Bus, ctx: BoardCtx) -> anyhow::Result<Self>;
    /// Loads the images into RAM and returns the CPU as the boot protocol
    /// leaves it (at power-on and after every reset).
    fn boot(&self, cfg: &MachineConfig, bus: &mut Bus) -> anyhow::Result<Self::Cpu>;
    /// Drives the interrupt lines that follow virtual time (timers, RTC
    /// alarms).
    fn update_time(&mut self, run: &RunLoop<Self::Cpu>);
    /// The next virtual instant at which a device's interrupt output
    /// rises by itself.
    fn next_deadline_ns(&self, run: &RunLoop<Self::Cpu>) -> Option<u64>;
    /// The next instruction count at which a device's interrupt output
    /// rises by itself (a counter of instructions retired overflows).
    /// Unlike a deadline in time, it does not end a wait for interrupt:
    /// no instructions retire while the CPU waits.
    fn next_deadline_icount(&self, _run: &RunLoop<Self::Cpu>) -> Option<u64> {
        None
    }
    /// Takes an interrupt if the interrupt controller signals one the CPU
    /// accepts now (through the run loop's checkpoint hook).
    fn take_interrupt(&mut self, run: &mut RunLoop<Self::Cpu>);
    /// Whether an interrupt is pending that ends a wait for interrupt
    /// (on ARM, masked or not; on x86 only one the CPU accepts).
    fn interrupt_pending(&mut self, run: &RunLoop<Self::Cpu>) -> bool;
    /// How many bytes the console can take now.
    fn console_room(&self) -> usize;
    /// Hands the console input; returns how many bytes it took.
    fn console_receive(&mut self, bytes: &[u8]) -> usize;
    /// Answers `trap` if it is a call to the board's firmware (PSCI,
    /// hypervisor calls); `None` lets the CPU take it as an exception.
    fn firmware(&mut self, run: &mut RunLoop<Self::Cpu>, trap: Trap) -> Option<Firmware>;
    /// What a device asked of the machine (power off, reset, exit), if
    /// anything: asked whenever the run loop looks after a device access.
    fn power_request(&mut self) -> Option<Firmware> {
        None
    }
}

/// A machine, whatever its board: what the command line, `bench`,
/// `record` and `replay` use.
pub trait Machine {
    /// Runs until the guest stops, or until `limit` instructions in total;
    /// a recording is finished, a replay checked to its end.
    fn run(&mut self, limit: Option<u64>) -> Outcome;
    /// Guest instructions retired so far.
    fn icount(&self) -> u64;
    /// The engine's counters.
    fn stats(&self) -> EngineStats;
    /// TLB entries filled so far (each one a miss and a walk).
    fn tlb_fills(&self) -> u64;
    /// A digest of the CPU registers, guest RAM and console output so far.
    fn state_digest(&mut self) -> StateDigest;
    /// How the replay compared with its log (after [`Machine::run`]).
    fn replay_summary(&self) -> Option<&ReplaySummary>;
    /// The program counter.
    fn pc(&self) -> u64;
    /// The registers on one line.
    fn describe_registers(&self) -> String;
    /// Also sends every EXCEPTION/INTERRUPT checkpoint to `sink` (the
    /// trace and the record/replay door still get them).
    fn set_checkpoint_sink(&mut self, sink: Box<dyn CheckpointSink>);
    /// The bus (for inspecting guest memory).
    fn bus(&mut self) -> &mut Bus;
}

/// The virtio-rng device's source: the record/replay door. A replay that
/// has no entropy logged where the guest asks is a divergence, kept for
/// the run loop to report.
struct EntropyDoor {
    io: Rc<RefCell<HostIo>>,
    error: Rc<RefCell<Option<String>>>,
}

impl lockstep_devices::virtio::rng::EntropySource for EntropyDoor {
    fn fill(&mut self, icount: u64, buf: &mut [u8]) {
        if let Err(e) = self.io.borrow_mut().entropy(icount, buf) {
            self.error.borrow_mut().get_or_insert(e);
        }
    }
}

/// Sends checkpoints to the machine's queue.
struct CheckpointQueue(Rc<RefCell<Vec<Checkpoint>>>);

impl CheckpointSink for CheckpointQueue {
    fn checkpoint(&mut self, c: Checkpoint) {
        self.0.borrow_mut().push(c);
    }
}

/// Passes bytes on and keeps a running hash of them (console output
/// goes into every state digest).
struct HashingWriter {
    inner: Box<dyn Write>,
    hash: Rc<RefCell<StableHasher>>,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::hash::Hasher;
        self.hash.borrow_mut().write(buf);
        // The guest's output must not depend on the host stream: a closed
        // terminal loses the bytes, the hash keeps them.
        let _ = self.inner.write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.inner.flush();
        Ok(())
    }
}

/// A board on the machine core.
pub struct Core<B: Board> {
    run: RunLoop<B::Cpu>,
    engine: GuestEngine<B::Cpu>,
    board: B,
    semihost_out: Box<dyn Write>,
    io: Rc<RefCell<HostIo>>,
    /// Guest RAM ranges devices wrote by DMA since the last run.
    dma_written: Rc<RefCell<Vec<(u64, u64)>>>,
    /// A replay divergence a device found (the entropy it asked for).
    device_error: Rc<RefCell<Option<String>>>,
    /// Checkpoints the run loop emitted and the core has not yet passed
    /// to `io`.
    checkpoints: Rc<RefCell<Vec<Checkpoint>>>,
    /// Running hash of the console's output.
    console: Rc<RefCell<StableHasher>>,
    /// A digest is due at the next boundary (input was just delivered).
    digest_soon: bool,
    /// How a replay ended.
    summary: Option<ReplaySummary>,
    /// What the machine was built from (a reset loads the images again).
    cfg: MachineConfig,
    /// Another receiver of checkpoints (tests).
    observer: Option<Box<dyn CheckpointSink>>,
}

impl<B: Board> Core<B> {
    /// Builds the machine and loads the images. `console_out` receives
    /// the console's output, `semihost_out` the semihosting console's;
    /// `io` is the outside world (live, recording or replaying).
    pub fn new(
        cfg: &MachineConfig,
        console_out: Box<dyn Write>,
        semihost_out: Box<dyn Write>,
        io: HostIo,
    ) -> anyhow::Result<Self> {
        let io = Rc::new(RefCell::new(io));
        let console = Rc::new(RefCell::new(StableHasher::new()));
        let dma_written = Rc::new(RefCell::new(Vec::new()));
        let device_error = Rc::new(RefCell::new(None));
        let mut bus = Box::new(Bus::new());
        let ctx = BoardCtx {
            console: Some(Box::new(HashingWriter {
                inner: console_out,
                hash: Rc::clone(&console),
            })),
            dma_written: Rc::clone(&dma_written),
            io: Rc::clone(&io),
            device_error: Rc::clone(&device_error),
        };
        let board = B::build(cfg, &mut bus, ctx)?;
        let cpu = board.boot(cfg, &mut bus)?;
        let mut run = RunLoop::new(cpu, bus);
        let checkpoints = Rc::new(RefCell::new(Vec::new()));
        run.set_checkpoint_sink(Box::new(CheckpointQueue(Rc::clone(&checkpoints))));
        let engine = GuestEngine::with_code_bytes(cfg.exec, cfg.trace, cfg.jit_code_bytes)?;
        Ok(Core {
            run,
            engine,
            board,
            semihost_out,
            io,
            dma_written,
            device_error,
            checkpoints,
            console,
            digest_soon: false,
            summary: None,
            cfg: cfg.clone(),
            observer: None,
        })
    }

    /// The CPU state.
    pub fn cpu(&self) -> &B::Cpu {
        &self.run.env.arch
    }

    /// The board.
    pub fn board(&self) -> &B {
        &self.board
    }

    /// A machine reset: devices back to power-on, RAM cleared, the images
    /// loaded again, the CPU at the boot entry. Instruction count and
    /// virtual time go on; devices that keep time (an RTC) keep it.
    /// Deterministic: the same run resets the same way every time. The
    /// images are read again, as firmware would; a replay already checked
    /// their hashes.
    fn reset(&mut self) -> anyhow::Result<()> {
        self.run.bus.reset();
        self.engine.flush();
        lockstep_runtime::softmmu::flush_all(&mut self.run.env, true);
        let cpu = self.board.boot(&self.cfg, &mut self.run.bus)?;
        self.run.env.arch = cpu;
        self.run.env.clear_pending();
        let pc = B::Cpu::pc(&self.run.env);
        self.run.checkpoint(B::Cpu::RESET_CHECKPOINT, pc);
        Ok(())
    }

    /// What devices wrote to guest RAM during the last run: dirty for the
    /// RAM digest, and any translated code there is dropped.
    fn note_dma(&mut self) {
        let written = std::mem::take(&mut *self.dma_written.borrow_mut());
        for (addr, len) in written {
            let bus = &mut self.run.bus;
            bus.mark_dirty_range(addr, len);
            let mut a = addr;
            while a < addr + len {
                let page_end = (a | (lockstep_runtime::bus::PAGE_SIZE - 1)) + 1;
                let n = page_end.min(addr + len) - a;
                if matches!(
                    bus.resolve(a),
                    lockstep_runtime::bus::Target::Ram { code: true, .. }
                ) {
                    bus.note_code_write(a, n);
                }
                a += n;
            }
        }
    }

    /// Prints a checkpoint (`-d int`).
    fn trace_checkpoint(c: &Checkpoint) {
        let (what, v) = match c.kind {
            CheckpointKind::Exception { vector } => ("exception", vector),
            CheckpointKind::Interrupt { vector } => ("interrupt", vector),
        };
        eprintln!(
            "Taking {what} {v} [{}] at icount {} pc {:#010x}",
            B::Cpu::vector_name(v),
            c.icount,
            c.pc
        );
    }

    /// Passes the checkpoints emitted since the last call to the trace and
    /// to the record/replay door.
    fn pass_checkpoints(&mut self) -> Result<(), Outcome> {
        let list = std::mem::take(&mut *self.checkpoints.borrow_mut());
        for c in list {
            if self.cfg.trace.int {
                Self::trace_checkpoint(&c);
            }
            if let Some(o) = self.observer.as_mut() {
                o.checkpoint(c);
            }
            self.io
                .borrow_mut()
                .checkpoint(c)
                .map_err(|message| Outcome::Diverged { message })?;
        }
        Ok(())
    }

    /// Ends the run: the record/replay door logs or checks how.
    fn finish(&mut self, outcome: Outcome) -> Outcome {
        use lockstep_replay::ShutdownCause as C;
        match outcome {
            Outcome::Diverged { .. } => return outcome,
            Outcome::ReplayEnded => {
                self.summary = self.io.borrow_mut().partial_summary();
                return outcome;
            }
            _ => {}
        }
        let cause = match &outcome {
            Outcome::PowerOff => C::PowerOff,
            Outcome::Reset => C::Reset,
            Outcome::Exited(status) => C::GuestExit { status: *status },
            Outcome::Limit => C::InstructionLimit,
            Outcome::Quit => C::HostRequest,
            other => C::Error {
                message: other.to_string(),
            },
        };
        let d = self.state_digest();
        match self.io.borrow_mut().finish(self.run.icount(), cause, d) {
            Ok(summary) => {
                self.summary = summary;
                outcome
            }
            Err(message) => Outcome::Diverged { message },
        }
    }

    /// Hands the console what the outside world has for it now.
    fn deliver_inputs(&mut self) -> Result<(), Outcome> {
        let icount = self.run.icount();
        let room = self.board.console_room();
        let bytes = self
            .io
            .borrow_mut()
            .serial_input(icount, room)
            .map_err(|message| Outcome::Diverged { message })?;
        if !bytes.is_empty() {
            self.digest_soon = true;
            let taken = self.board.console_receive(&bytes);
            if taken != bytes.len() {
                return Err(Outcome::Diverged {
                    message: format!(
                        "at instruction {icount} the console took {taken} of the {} bytes the log delivers",
                        bytes.len()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The guest waits for an interrupt with the PC at `pc`. Returns an
    /// outcome if nothing can ever wake it.
    fn idle(&mut self, pc: u64) -> Option<Outcome> {
        if self.board.interrupt_pending(&self.run) {
            // A wait for interrupt ends on a pending interrupt even when
            // it is masked.
            return None;
        }
        let room = self.board.console_room();
        if self.io.borrow_mut().input_due_now(self.run.icount(), room) {
            return None;
        }
        match self.next_deadline_ns() {
            Some(d) => {
                let now = self.run.now_ns();
                self.io.borrow_mut().pace(now, d);
                if !self.io.borrow_mut().input_due_now(self.run.icount(), room) {
                    self.run.advance_idle(d - now);
                }
                None
            }
            None if self.io.borrow_mut().can_wait_for_input() => {
                self.io.borrow_mut().wait_for_input();
                None
            }
            None => Some(Outcome::WaitForever { pc }),
        }
    }

    /// The next device deadline still ahead.
    fn next_deadline_ns(&self) -> Option<u64> {
        let now = self.run.now_ns();
        self.board.next_deadline_ns(&self.run).filter(|&d| d > now)
    }

    /// The run's next stopping point: the limit, the next device deadline,
    /// the next logged input, or the next poll for host input.
    fn next_target(&self, limit: u64) -> u64 {
        let icount = self.run.icount();
        let mut target = limit.min(icount.saturating_add(self.io.borrow_mut().poll_interval()));
        if let Some(d) = self.next_deadline_ns() {
            let ahead = (d - self.run.now_ns()).div_ceil(1 << ICOUNT_SHIFT).max(1);
            target = target.min(icount.saturating_add(ahead));
        }
        if let Some(d) = self
            .board
            .next_deadline_icount(&self.run)
            .filter(|&d| d > icount)
        {
            target = target.min(d);
        }
        // An event due now that the loop top did not take (an exception
        // the next instruction raises) needs the guest to run on.
        if let Some(due) = self.io.borrow_mut().next_due().filter(|&d| d > icount) {
            target = target.min(due);
        }
        if let Some(h) = self.io.borrow().replay_horizon() {
            target = target.min(h);
        }
        target
    }

    /// The PC, the instruction there and the registers, for reports.
    fn where_now(&mut self) -> String {
        let pc = B::Cpu::pc(&self.run.env);
        let insn = B::Cpu::describe_insn(&mut self.run.env, pc)
            .unwrap_or_else(|| "(not readable)".to_string());
        format!(
            "instruction {} pc {pc:#010x}: {insn}\n  {}",
            self.run.icount(),
            self.run.env.arch.describe_registers()
        )
    }

    /// Logs or checks a state digest if one is due.
    fn digest_if_due(&mut self) -> Result<(), Outcome> {
        let icount = self.run.icount();
        let (due, replaying) = {
            let io = self.io.borrow();
            (io.digest_due(icount), io.replaying())
        };
        if due || (self.digest_soon && !replaying) {
            self.digest_soon = false;
            let d = self.state_digest();
            let regs = self.run.env.arch.digest_registers();
            self.io
                .borrow_mut()
                .digest(icount, d, &regs, B::Cpu::REG_NAMES)
                .map_err(|message| Outcome::Diverged { message })?;
        }
        Ok(())
    }

    /// Serves a trap the board's firmware or semihosting answers; `None`
    /// leaves it to the CPU.
    fn serve_trap(&mut self, trap: Trap) -> Option<Result<(), Outcome>> {
        if self.cfg.semihosting {
            let pc = B::Cpu::pc(&self.run.env);
            // A trap that is not a semihosting call goes on to the
            // firmware (PSCI must answer with semihosting on too).
            match B::Cpu::semihosting(&mut self.run.env, trap, &mut *self.semihost_out) {
                Some(Semihosted::Continue) => return Some(Ok(())),
                Some(Semihosted::Exit(code)) => return Some(Err(Outcome::Exited(code))),
                Some(Semihosted::Error(message)) => {
                    return Some(Err(Outcome::Semihosting { pc, message }))
                }
                None => {}
            }
        }
        let f = self.board.firmware(&mut self.run, trap)?;
        Some(self.act(f))
    }

    /// Does what a board's firmware or device asked.
    fn act(&mut self, f: Firmware) -> Result<(), Outcome> {
        match f {
            Firmware::Continue => Ok(()),
            Firmware::PowerOff => Err(Outcome::PowerOff),
            Firmware::Exit(status) => Err(Outcome::Exited(status)),
            Firmware::Reset if self.cfg.no_reboot => Err(Outcome::Reset),
            Firmware::Reset => match self.reset() {
                Ok(()) => self.pass_checkpoints(),
                Err(e) => Err(Outcome::ResetFailed {
                    message: format!("{e:#}"),
                }),
            },
            Firmware::Wait => {
                let pc = B::Cpu::pc(&self.run.env);
                match self.idle(pc) {
                    Some(o) => Err(o),
                    None => Ok(()),
                }
            }
        }
    }

    fn run_inner(&mut self, limit: Option<u64>) -> Outcome {
        let limit = limit.unwrap_or(u64::MAX);
        // The last exception entry: (icount, vector, what caused it).
        let mut entered: Option<(u64, u64, Outcome)> = None;
        loop {
            self.io.borrow_mut().tick();
            if let Err(o) = self.deliver_inputs() {
                return o;
            }
            if let Err(o) = self.digest_if_due() {
                return o;
            }
            self.board.update_time(&self.run);
            self.board.take_interrupt(&mut self.run);
            if let Err(o) = self.pass_checkpoints() {
                return o;
            }
            if let Some(f) = self.board.power_request() {
                if let Err(o) = self.act(f) {
                    return o;
                }
            }
            let icount = self.run.icount();
            if self
                .io
                .borrow()
                .replay_horizon()
                .is_some_and(|h| icount >= h)
            {
                return Outcome::ReplayEnded;
            }
            let stopped = self.io.borrow_mut().stopped_here(icount);
            match stopped {
                Some(lockstep_replay::ShutdownCause::HostRequest) => return Outcome::Quit,
                Some(_) => return Outcome::Limit,
                None if icount >= limit => return Outcome::Limit,
                None => {}
            }
            let mut target = self.next_target(limit);
            let shadow = self.run.env.arch.interrupt_shadow();
            if shadow {
                target = target.min(icount + 1);
            }
            let stop = self.run.run_until(&mut self.engine, target);
            if shadow && self.run.icount() > icount {
                self.run.env.arch.end_interrupt_shadow();
            }
            self.note_dma();
            if let Some(message) = self.device_error.borrow_mut().take() {
                return Outcome::Diverged { message };
            }
            if let Some(f) = self.board.power_request() {
                if let Err(o) = self.act(f) {
                    return o;
                }
                continue;
            }
            match stop {
                Stop::Limit | Stop::Request => continue,
                Stop::Halt => {
                    let pc = B::Cpu::pc(&self.run.env);
                    match self.idle(pc) {
                        Some(o) => return o,
                        None => continue,
                    }
                }
                Stop::Trap(trap) => match self.serve_trap(trap) {
                    Some(Ok(())) => continue,
                    Some(Err(o)) => return o,
                    None => {}
                },
                Stop::Fault(_) => {}
            }
            let pc = B::Cpu::pc(&self.run.env);
            if let Some((icount, at, first)) = entered.take() {
                if icount == self.run.icount() && pc == at {
                    // The exception's vector faulted before any
                    // instruction there retired: report the first cause.
                    return Outcome::UnhandledException {
                        cause: Box::new(first),
                        vector: at,
                    };
                }
            }
            let (vector, cause) = match B::Cpu::take_exception(&mut self.run, stop) {
                Ok(taken) => taken,
                // The CPU resets the machine (an x86 triple fault).
                Err(Outcome::Reset) => match self.act(Firmware::Reset) {
                    Ok(()) => continue,
                    Err(o) => return o,
                },
                Err(o) => return o,
            };
            if let Err(o) = self.pass_checkpoints() {
                return o;
            }
            entered = Some((self.run.icount(), vector, cause));
        }
    }
}

impl<B: Board> Machine for Core<B> {
    fn run(&mut self, limit: Option<u64>) -> Outcome {
        match self.run_inner(limit) {
            Outcome::Diverged { message } => Outcome::Diverged {
                message: format!("{message}\n  the guest is at {}", self.where_now()),
            },
            outcome => self.finish(outcome),
        }
    }

    fn icount(&self) -> u64 {
        self.run.icount()
    }

    fn stats(&self) -> EngineStats {
        self.engine.stats()
    }

    fn tlb_fills(&self) -> u64 {
        self.run.env.tlb_fills
    }

    fn state_digest(&mut self) -> StateDigest {
        use std::hash::Hasher;
        let mut h = StableHasher::new();
        self.run.env.arch.hash_state(&mut h);
        let cpu = h.finish();
        let ram = lockstep_runtime::softmmu::ram_digest(&mut self.run.env);
        StateDigest {
            cpu,
            ram,
            console: self.console.borrow().finish(),
        }
    }

    fn replay_summary(&self) -> Option<&ReplaySummary> {
        self.summary.as_ref()
    }

    fn pc(&self) -> u64 {
        B::Cpu::pc(&self.run.env)
    }

    fn describe_registers(&self) -> String {
        self.run.env.arch.describe_registers()
    }

    fn set_checkpoint_sink(&mut self, sink: Box<dyn CheckpointSink>) {
        self.observer = Some(sink);
    }

    fn bus(&mut self) -> &mut Bus {
        &mut self.run.bus
    }
}
