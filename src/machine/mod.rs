//! Machines: a board — CPU, devices, memory map, boot protocol — on the
//! ISA-independent machine core, and the registry that builds one from
//! `-M`.
//!
//! - [`core`]: the run loop around deadlines and idle time, the replay
//!   door, checkpoints, digests, reset and statistics, with the [`Board`]
//!   and [`Cpu`] traits a machine plugs in.
//! - [`hostio`]: the door for every input from outside the guest.
//! - [`arm`]: the 32-bit ARM CPU on the core (exceptions, semihosting).
//! - [`arm_virt`]: the `arm-virt` board (device tree, PSCI).
//! - [`x86`]: the i686 CPU on the core (IDT delivery).
//! - [`pc`]: the `pc` board.
//!
//! Adding a board means a module of its own and a line in [`BOARDS`];
//! nothing else names a board.

pub mod arm;
pub mod arm_virt;
pub mod config;
pub mod core;
pub mod hostio;
pub mod outcome;
pub mod pc;
pub mod x86;

pub use self::core::{Board, BoardCtx, Core, Cpu, Firmware, Machine, Semihosted};
pub use arm_virt::ArmVirt;
pub use config::MachineConfig;
pub use hostio::{HostIo, StdinReader};
pub use outcome::Outcome;

use std::io::Write;

/// Builds a machine of one board.
pub type BuildFn =
    fn(&MachineConfig, Box<dyn Write>, Box<dyn Write>, HostIo) -> anyhow::Result<Box<dyn Machine>>;

/// A board as the command line knows it.
pub struct BoardInfo {
    /// The canonical name (what recordings store).
    pub name: &'static str,
    /// Other names `-M` accepts (QEMU's).
    pub aliases: &'static [&'static str],
    /// The CPU models `-cpu` accepts; the first is the default.
    pub cpus: &'static [&'static str],
    /// One line for `--help` and error messages.
    pub about: &'static str,
    /// QEMU's binary and the options that select the same board and CPU
    /// (the reference machine in tests and `bench`).
    pub qemu: &'static [&'static str],
    /// QEMU's further options for a bare-metal program: the UART on
    /// standard output, semihosting where the board has it.
    pub qemu_bare_metal: &'static [&'static str],
    /// The Linux console device on this board (`console=` on the kernel
    /// command line).
    pub linux_console: &'static str,
    /// Where `scripts/fetch-guest.sh` caches this board's guest images,
    /// under `~/.cache/lockstep/guest/`.
    pub guest_dir: &'static str,
    /// The properties `-M <name>,<property>=<value>` accepts (QEMU's
    /// spellings), each with a check of the value: only values that
    /// describe this board are accepted.
    pub properties: &'static [Property],
    /// Builds the machine (see [`Core::new`]).
    pub build: BuildFn,
}

/// A machine property of QEMU's that a board accepts.
pub struct Property {
    /// Its name.
    pub name: &'static str,
    /// Whether a value describes the board: `Err` says why not.
    pub check: fn(&str) -> Result<(), String>,
}

/// A QEMU boolean property value.
pub fn parse_bool(v: &str) -> Result<bool, String> {
    match v {
        "on" | "yes" | "true" | "y" => Ok(true),
        "off" | "no" | "false" | "n" => Ok(false),
        _ => Err(format!("'{v}' is not on or off")),
    }
}

/// Parses a `-M` argument: a board name, then comma-separated
/// `property=value` pairs. Every property must be one the board accepts,
/// with a value that describes it.
pub fn parse_machine(spec: &str) -> Result<&'static BoardInfo, String> {
    let mut parts = spec.split(',');
    let name = parts.next().unwrap_or_default();
    let board = lookup(name)
        .ok_or_else(|| format!("unknown machine '{name}' (available: {})", board_names()))?;
    for part in parts {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("machine property '{part}' has no value (write {part}=...)"))?;
        let prop = board
            .properties
            .iter()
            .find(|p| p.name == key)
            .ok_or_else(|| {
                let names: Vec<&str> = board.properties.iter().map(|p| p.name).collect();
                format!(
                    "{}: unknown machine property '{key}' (accepted: {})",
                    board.name,
                    names.join(", ")
                )
            })?;
        (prop.check)(value).map_err(|why| format!("{}: {key}={value}: {why}", board.name))?;
    }
    Ok(board)
}

/// Every board, in the order `--help` lists them.
pub static BOARDS: &[BoardInfo] = &[arm_virt::INFO, pc::INFO];

/// The board a bare `lockstep run` builds.
pub const DEFAULT_MACHINE: &str = "arm-virt";

/// The board called `name` (its canonical name or an alias).
pub fn lookup(name: &str) -> Option<&'static BoardInfo> {
    BOARDS
        .iter()
        .find(|b| b.name == name || b.aliases.contains(&name))
}

/// The names `-M` accepts, for error messages.
pub fn board_names() -> String {
    BOARDS
        .iter()
        .map(|b| {
            if b.aliases.is_empty() {
                b.name.to_string()
            } else {
                format!("{} (also {})", b.name, b.aliases.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Builds the machine `cfg` names. `console_out` receives the console's
/// output, `semihost_out` the semihosting console's; `io` is the outside
/// world (live, recording or replaying).
pub fn build(
    cfg: &MachineConfig,
    console_out: Box<dyn Write>,
    semihost_out: Box<dyn Write>,
    io: HostIo,
) -> anyhow::Result<Box<dyn Machine>> {
    let board = lookup(&cfg.machine).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown machine '{}' (available: {})",
            cfg.machine,
            board_names()
        )
    })?;
    (board.build)(cfg, console_out, semihost_out, io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_specs_name_a_board_and_check_its_properties() {
        assert_eq!(parse_machine("virt").unwrap().name, "arm-virt");
        assert_eq!(
            parse_machine("arm-virt,highmem=no,acpi=auto").unwrap().name,
            "arm-virt"
        );
        let err = |spec| parse_machine(spec).err().unwrap();
        assert!(err("virt,highmem").contains("has no value"));
        assert!(err("virt,highmem=maybe").contains("'maybe' is not on or off"));
        assert!(err("virt,virtualization=y").contains("Hyp mode"));
        assert!(err("sparc").starts_with("unknown machine 'sparc'"));
    }
}
