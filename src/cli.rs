//! The command line.
//!
//! Besides its own `--long` options, `lockstep run` accepts QEMU's
//! single-dash spellings of the options the two share (`-M`, `-m`,
//! `-kernel`, `-initrd`, `-append`, `-semihosting`, `-nographic`, `-cpu`,
//! `-d`), and a command line with no subcommand is a `run`, so a QEMU
//! command line works with only the binary name changed.

use clap::{Args, Parser, Subcommand, ValueEnum};
use lockstep_jit::engine::{ExecMode, TraceOptions};
use std::path::PathBuf;

/// Lockstep: a deterministic full-system emulator.
#[derive(Parser, Debug)]
#[command(name = "lockstep", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a guest.
    Run(RunArgs),
    /// Measure the interpreter, the JIT, tiered execution and (if installed)
    /// QEMU on guest workloads.
    Bench(BenchArgs),
}

/// Execution backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Exec {
    /// The IR interpreter.
    Interp,
    /// Cranelift-compiled code.
    Jit,
    /// Interpret each block until it is hot, then compile it.
    Tiered,
}

impl From<Exec> for ExecMode {
    fn from(e: Exec) -> Self {
        match e {
            Exec::Interp => ExecMode::Interp,
            Exec::Jit => ExecMode::Jit,
            Exec::Tiered => ExecMode::Tiered,
        }
    }
}

/// Options of `lockstep run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Machine to emulate (`virt` is accepted for QEMU command lines).
    #[arg(short = 'M', long, default_value = "arm-virt")]
    pub machine: String,
    /// Guest RAM: a number of MiB, or with a K/M/G suffix.
    #[arg(short = 'm', long, default_value = "128M")]
    pub memory: String,
    /// The image to boot: a bare-metal ELF, or a Linux zImage or Image.
    #[arg(long)]
    pub kernel: PathBuf,
    /// An initial RAM disk for a Linux kernel.
    #[arg(long)]
    pub initrd: Option<PathBuf>,
    /// The Linux kernel command line.
    #[arg(long)]
    pub append: Option<String>,
    /// A device tree blob to give Linux instead of the generated one.
    #[arg(long)]
    pub dtb: Option<PathBuf>,
    /// Serve ARM semihosting calls (console output and exit).
    #[arg(long)]
    pub semihosting: bool,
    /// Accepted for QEMU compatibility: the console is always the terminal.
    #[arg(long)]
    pub nographic: bool,
    /// CPU model (only cortex-a15).
    #[arg(long, default_value = "cortex-a15")]
    pub cpu: String,
    /// Execution backend.
    #[arg(long, value_enum, default_value_t = Exec::Jit)]
    pub exec: Exec,
    /// Comma-separated traces: in_asm (guest code as translated), op (IR),
    /// out_asm (host code), exec (each block entered).
    #[arg(long = "trace", short = 'd', value_delimiter = ',')]
    pub trace: Vec<String>,
    /// Stop after this many guest instructions.
    #[arg(long)]
    pub max_insns: Option<u64>,
    /// Print instruction count, time and translation statistics at exit.
    #[arg(long)]
    pub stats: bool,
    /// Do not read standard input (the guest's UART receives nothing).
    #[arg(long)]
    pub no_input: bool,
}

/// Options of `lockstep bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Workload ELFs (default: every ELF in the examples build directory).
    pub workloads: Vec<PathBuf>,
    /// Where the examples were built.
    #[arg(long, default_value = "target/guest/examples")]
    pub dir: PathBuf,
    /// Skip QEMU even when it is installed.
    #[arg(long)]
    pub no_qemu: bool,
    /// Repetitions for the JIT and QEMU (the interpreter runs once); the
    /// best time counts.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
}

/// Parses a QEMU-style memory size: plain numbers are MiB.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&s[..s.len() - 1], 1 << 20),
        Some('g' | 'G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1 << 20),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid memory size '{s}'"))?;
    let bytes = n
        .checked_mul(mult)
        .ok_or_else(|| format!("memory size '{s}' is too large"))?;
    if bytes == 0 || bytes % 4096 != 0 || bytes > 3 << 30 {
        return Err(format!(
            "memory size '{s}' must be a multiple of 4 KiB between 4 KiB and 3 GiB"
        ));
    }
    Ok(bytes)
}

/// Parses `--trace` items.
pub fn parse_trace(items: &[String]) -> Result<TraceOptions, String> {
    let mut t = TraceOptions::default();
    for i in items {
        match i.as_str() {
            "in_asm" => t.in_asm = true,
            "op" => t.op = true,
            "exec" => t.exec = true,
            "out_asm" => t.out_asm = true,
            other => {
                return Err(format!(
                    "unknown trace '{other}' (known: in_asm, op, out_asm, exec)"
                ))
            }
        }
    }
    Ok(t)
}

const QEMU_LONG: &[&str] = &[
    "kernel",
    "dtb",
    "initrd",
    "append",
    "semihosting",
    "nographic",
    "cpu",
    "machine",
];

/// Rewrites a QEMU-style command line into this one's syntax.
pub fn normalize_args(args: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(args.len() + 1);
    let mut it = args.into_iter();
    if let Some(bin) = it.next() {
        out.push(bin);
    }
    let rest: Vec<String> = it.collect();
    let first_is_option = rest.first().is_some_and(|a| {
        a.starts_with('-') && !matches!(a.as_str(), "-h" | "--help" | "-V" | "--version")
    });
    if first_is_option {
        out.push("run".to_string());
    }
    for a in rest {
        match a.strip_prefix('-') {
            Some(name) if !name.starts_with('-') && QEMU_LONG.contains(&name) => {
                out.push(format!("--{name}"))
            }
            _ => out.push(a),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn qemu_command_lines_become_runs() {
        let a = normalize_args(v(
            "lockstep -M virt -cpu cortex-a15 -nographic -semihosting -kernel p.elf",
        ));
        assert_eq!(
            a,
            v("lockstep run -M virt --cpu cortex-a15 --nographic --semihosting --kernel p.elf")
        );
        let cli = Cli::try_parse_from(a).unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        assert!(r.semihosting);
        assert_eq!(r.machine, "virt");
        assert_eq!(normalize_args(v("lockstep --help")), v("lockstep --help"));
        assert_eq!(normalize_args(v("lockstep bench")), v("lockstep bench"));
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("128M"), Ok(128 << 20));
        assert_eq!(parse_memory("256"), Ok(256 << 20));
        assert_eq!(parse_memory("1G"), Ok(1 << 30));
        assert!(parse_memory("12X").is_err());
        assert!(parse_memory("0").is_err());
    }
}
