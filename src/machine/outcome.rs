//! How a run ends, for every machine.

use lockstep_runtime::env::{Access, FaultKind, GuestFault};
use std::fmt;

/// Why the machine stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest asked to exit with this status (semihosting, or a
    /// board's exit device).
    Exited(i32),
    /// The instruction limit was reached.
    Limit,
    /// As the cause of [`Outcome::UnhandledException`]: an undefined
    /// instruction at `pc`; `what` names its encoding and disassembly.
    Undefined { pc: u64, what: String },
    /// As a cause: an instruction that traps by design (a supervisor
    /// call, a breakpoint), named by `what`.
    Trap { pc: u64, what: String },
    /// As a cause: a memory access that faulted.
    Fault { pc: u64, fault: GuestFault },
    /// The guest took an exception (`cause`) to a vector from which no
    /// instruction can be fetched: nothing handles it, and the run stops
    /// instead of faulting forever.
    UnhandledException { cause: Box<Outcome>, vector: u64 },
    /// The CPU waits for an interrupt (WFI, HLT) that nothing can ever
    /// raise; `pc` is the instruction after the wait.
    WaitForever { pc: u64 },
    /// A replay could not go on: the guest did something other than
    /// what the log recorded.
    Diverged { message: String },
    /// A replay reached the end of a log that was cut short or damaged.
    ReplayEnded,
    /// The user quit (Ctrl-A x).
    Quit,
    /// A reset could not load the images again.
    ResetFailed { message: String },
    /// A semihosting call failed.
    Semihosting { pc: u64, message: String },
    /// The guest powered the machine off.
    PowerOff,
    /// The guest asked for a reset and the run ends there, as QEMU's does
    /// with `-no-reboot`.
    Reset,
}

impl Outcome {
    /// The process exit status for this outcome: the guest's own for an
    /// exit, 0 at the instruction limit or a power-off, 3 for a divergent
    /// replay, 2 for any other guest-level stop.
    pub fn exit_status(&self) -> i32 {
        match self {
            Outcome::Exited(c) => *c,
            Outcome::Limit | Outcome::PowerOff | Outcome::Reset | Outcome::Quit => 0,
            Outcome::Diverged { .. } => 3,
            _ => 2,
        }
    }
}

/// Describes a memory fault for reports.
fn fault_text(fault: &GuestFault) -> String {
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
        FaultKind::Permission { level, .. } => format!("level-{level} permission fault"),
        FaultKind::Arch { vector, error_code } => {
            format!("exception {vector} (error code {error_code:#x})")
        }
    };
    let access = match fault.access {
        Access::Read => "read",
        Access::Write => "write",
        Access::Fetch => "instruction fetch",
    };
    format!("{kind} on {access} of {:#010x}", fault.vaddr)
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(c) => write!(f, "guest exited with status {c}"),
            Outcome::Limit => write!(f, "instruction limit reached"),
            Outcome::Undefined { pc, what } => write!(f, "UNDEF at pc {pc:#010x}: {what}"),
            Outcome::Trap { pc, what } => write!(f, "{what} at pc {pc:#010x}"),
            Outcome::Fault { pc, fault } => write!(f, "{} at pc {pc:#010x}", fault_text(fault)),
            Outcome::WaitForever { pc } => write!(
                f,
                "the CPU waits for an interrupt (before pc {pc:#010x}) with no interrupt source: the guest would wait forever"
            ),
            Outcome::UnhandledException { cause, vector } => write!(
                f,
                "{cause}; the exception vector at {vector:#010x} cannot be fetched, so nothing handles it (set up the vectors, or map them)"
            ),
            Outcome::Semihosting { pc, message } => {
                write!(f, "semihosting call at pc {pc:#010x}: {message}")
            }
            Outcome::PowerOff => write!(f, "the guest powered the machine off"),
            Outcome::Diverged { message } => write!(f, "replay diverged: {message}"),
            Outcome::ReplayEnded => write!(f, "the replay reached the end of what the log holds"),
            Outcome::Quit => write!(f, "quit at the user's request"),
            Outcome::ResetFailed { message } => write!(f, "the machine could not reset: {message}"),
            Outcome::Reset => write!(f, "the guest asked for a reset"),
        }
    }
}
