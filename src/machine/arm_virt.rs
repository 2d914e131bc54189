//! `arm-virt`: a machine with QEMU `virt`'s memory map.
//!
//! So far: RAM at 0x4000_0000, the PL011 UART at 0x0900_0000 and ARM
//! semihosting; an ELF image is loaded at its physical addresses and entered
//! in SVC mode with the MMU off and IRQ/FIQ masked, as QEMU does.

use super::semihosting::{self, Request};
use crate::loader::elf;
use lockstep_devices::pl011::Pl011;
use lockstep_jit::engine::{ArmEngine, EngineStats, ExecMode, TraceOptions};
use lockstep_jit::frontend::arm::disasm::disassemble_at;
use lockstep_runtime::arm::exception::Exception;
use lockstep_runtime::arm::{psr, trap, ArmCpu};
use lockstep_runtime::env::{Access, FaultKind, GuestFault};
use lockstep_runtime::{Bus, RunLoop, Stop};
use std::fmt;
use std::io::Write;
use std::path::PathBuf;

/// Guest RAM base.
pub const RAM_BASE: u64 = 0x4000_0000;
/// PL011 UART base.
pub const UART_BASE: u64 = 0x0900_0000;

/// How to build the machine.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// RAM size in bytes.
    pub memory: u64,
    /// The image to load.
    pub kernel: PathBuf,
    /// Whether SVC 0x123456 is a semihosting call.
    pub semihosting: bool,
    /// Interpreter or JIT.
    pub exec: ExecMode,
    /// What to trace.
    pub trace: TraceOptions,
    /// Executable memory for compiled code.
    pub jit_code_bytes: usize,
}

impl MachineConfig {
    /// A bare-metal run of `kernel`: 128 MiB, semihosting on, no traces.
    pub fn bare_metal(kernel: &std::path::Path, exec: ExecMode) -> Self {
        MachineConfig {
            memory: 128 << 20,
            kernel: kernel.to_path_buf(),
            semihosting: true,
            exec,
            trace: TraceOptions::default(),
            jit_code_bytes: lockstep_jit::clif::CODE_ARENA_BYTES,
        }
    }
}

/// Why the machine stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest asked to exit with this status (semihosting).
    Exited(i32),
    /// The instruction limit was reached.
    Limit,
    /// Thumb code (not implemented yet) at `pc`; or, as the cause of
    /// [`Outcome::UnhandledException`], an undefined instruction.
    Undefined { pc: u32, word: u32, thumb: bool },
    /// As a cause: a supervisor call or breakpoint.
    Trap { pc: u32, what: String },
    /// As a cause: a memory access that faulted.
    Fault { pc: u32, fault: GuestFault },
    /// The guest took an exception (`cause`) to a vector from which no
    /// instruction can be fetched: nothing handles it, and the run stops
    /// instead of faulting forever.
    UnhandledException { cause: Box<Outcome>, vector: u32 },
    /// WFI with nothing that could ever wake the core.
    WaitForever { pc: u32 },
    /// A semihosting call failed.
    Semihosting { pc: u32, message: String },
}

impl Outcome {
    /// The process exit status for this outcome: the guest's own for a
    /// semihosting exit, 0 at the instruction limit, 2 for a guest-level
    /// stop.
    pub fn exit_status(&self) -> i32 {
        match self {
            Outcome::Exited(c) => *c,
            Outcome::Limit => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(c) => write!(f, "guest exited with status {c}"),
            Outcome::Limit => write!(f, "instruction limit reached"),
            Outcome::Undefined {
                pc,
                word,
                thumb: false,
            } => {
                write!(
                    f,
                    "UNDEF at pc {pc:#010x}: encoding {word:#010x} ({})",
                    disassemble_at(*word, *pc)
                )
            }
            Outcome::Undefined {
                pc,
                word,
                thumb: true,
            } => {
                write!(f, "UNDEF at pc {pc:#010x}: Thumb code (halfword {word:#06x}) is not supported yet")
            }
            Outcome::Trap { pc, what } => write!(
                f,
                "{what} at pc {pc:#010x}: exception entry is not modelled yet"
            ),
            Outcome::Fault { pc, fault } => {
                let kind = match fault.kind {
                    FaultKind::Alignment => "alignment fault".to_string(),
                    FaultKind::External => "external abort (nothing mapped there)".to_string(),
                    FaultKind::WalkExternal { level } => {
                        format!("external abort on the level-{level} translation table walk")
                    }
                    FaultKind::Translation { level } => format!("level-{level} translation fault"),
                    FaultKind::AccessFlag { level } => format!("level-{level} access flag fault"),
                    FaultKind::Domain { level, domain } => {
                        format!("level-{level} domain fault (domain {domain})")
                    }
                    FaultKind::Permission { level, .. } => {
                        format!("level-{level} permission fault")
                    }
                };
                let access = match fault.access {
                    Access::Read => "read",
                    Access::Write => "write",
                    Access::Fetch => "instruction fetch",
                };
                write!(
                    f,
                    "{kind} on {access} of {:#010x} at pc {pc:#010x}",
                    fault.vaddr
                )
            }
            Outcome::WaitForever { pc } => {
                write!(
                    f,
                    "WFI at pc {:#010x} with no interrupt source: the guest would wait forever",
                    pc.wrapping_sub(4)
                )
            }
            Outcome::UnhandledException { cause, vector } => write!(
                f,
                "{cause}; the exception vector at {vector:#010x} cannot be fetched, so nothing handles it (set VBAR, or map the vectors)"
            ),
            Outcome::Semihosting { pc, message } => {
                write!(f, "semihosting call at pc {pc:#010x}: {message}")
            }
        }
    }
}

/// The machine.
pub struct ArmVirt {
    run: RunLoop<ArmCpu>,
    engine: ArmEngine,
    semihost_out: Box<dyn Write>,
    semihosting: bool,
}

impl ArmVirt {
    /// Builds the machine and loads the image. `uart_out` receives the
    /// UART's output, `semihost_out` the semihosting console's.
    pub fn new(
        cfg: &MachineConfig,
        uart_out: Box<dyn Write>,
        semihost_out: Box<dyn Write>,
    ) -> anyhow::Result<Self> {
        let mut bus = Box::new(Bus::new());
        bus.add_ram(RAM_BASE, cfg.memory)?;
        bus.add_mmio(UART_BASE, 0x1000, Box::new(Pl011::new(uart_out)))?;
        let image = elf::load_file(&cfg.kernel, &mut bus)?;
        let mut cpu = ArmCpu::new();
        cpu.regs[15] = image.entry & !1;
        if image.entry & 1 != 0 {
            cpu.cpsr_rest |= psr::T;
        }
        let run = RunLoop::new(cpu, bus);
        let engine = ArmEngine::with_code_bytes(cfg.exec, cfg.trace, cfg.jit_code_bytes)?;
        Ok(ArmVirt {
            run,
            engine,
            semihost_out,
            semihosting: cfg.semihosting,
        })
    }

    /// Guest instructions retired so far.
    pub fn icount(&self) -> u64 {
        self.run.icount()
    }

    /// The CPU state.
    pub fn cpu(&self) -> &ArmCpu {
        &self.run.env.arch
    }

    /// The engine's counters.
    pub fn stats(&self) -> EngineStats {
        self.engine.stats()
    }

    /// The bus (for inspecting guest memory).
    pub fn bus(&mut self) -> &mut Bus {
        &mut self.run.bus
    }

    /// Runs until the guest stops, or until `limit` instructions in total.
    pub fn run(&mut self, limit: Option<u64>) -> Outcome {
        let target = limit.unwrap_or(u64::MAX);
        // The last exception entry: (icount, vector, what caused it).
        let mut entered: Option<(u64, u32, Outcome)> = None;
        loop {
            let stop = self.run.run_until(&mut self.engine, target);
            let pc = self.run.env.arch.regs[15];
            let (exception, cause, fault) = match stop {
                Stop::Limit => return Outcome::Limit,
                Stop::Request => continue,
                Stop::Halt => return Outcome::WaitForever { pc },
                Stop::Fault(fault) => {
                    let e = if fault.access == Access::Fetch {
                        Exception::PrefetchAbort
                    } else {
                        Exception::DataAbort
                    };
                    (e, Outcome::Fault { pc, fault }, Some(fault))
                }
                Stop::Trap(t) => match t.code {
                    trap::SVC
                        if self.semihosting
                            && t.arg == semihosting::A32_SVC_IMM
                            && self.run.env.arch.mode() != psr::MODE_USR =>
                    {
                        match semihosting::call(&mut self.run.env, &mut *self.semihost_out) {
                            Request::Continue => {
                                self.run.env.arch.regs[15] = pc.wrapping_add(4);
                                continue;
                            }
                            Request::Exit(code) => return Outcome::Exited(code),
                            Request::Error(message) => return Outcome::Semihosting { pc, message },
                        }
                    }
                    trap::SVC => (
                        Exception::Svc,
                        Outcome::Trap {
                            pc,
                            what: format!("SVC #{:#x}", t.arg),
                        },
                        None,
                    ),
                    trap::BKPT => (
                        Exception::PrefetchAbort,
                        Outcome::Trap {
                            pc,
                            what: format!("BKPT #{:#x}", t.arg),
                        },
                        None,
                    ),
                    _ if self.run.env.arch.cpsr_rest & psr::T != 0 => {
                        return Outcome::Undefined {
                            pc,
                            word: t.arg,
                            thumb: true,
                        };
                    }
                    _ => (
                        Exception::Undefined,
                        Outcome::Undefined {
                            pc,
                            word: t.arg,
                            thumb: false,
                        },
                        None,
                    ),
                },
            };
            if let Some((icount, vector, first)) = entered.take() {
                if icount == self.run.icount() && pc == vector {
                    return Outcome::UnhandledException {
                        cause: Box::new(first),
                        vector,
                    };
                }
            }
            let at = if exception == Exception::Svc {
                pc.wrapping_add(4)
            } else {
                pc
            };
            let vector = self.run.take_exception(exception, at, fault.as_ref());
            entered = Some((self.run.icount(), vector, cause));
        }
    }

    /// Sends every EXCEPTION/INTERRUPT checkpoint to `sink`.
    pub fn set_checkpoint_sink(&mut self, sink: Box<dyn lockstep_replay::CheckpointSink>) {
        self.run.set_checkpoint_sink(sink);
    }
}
