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
    /// Run a guest and record everything that reaches it from outside, so
    /// the run can be replayed exactly.
    Record(RecordArgs),
    /// Replay a recording: same guest, same inputs at the same
    /// instructions, every checkpoint and digest checked.
    Replay(ReplayArgs),
    /// Inspect a recording without running it.
    #[command(subcommand)]
    Trace(TraceCommand),
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
    /// Machine to emulate: arm-virt (32-bit ARM; also spelled virt, as
    /// QEMU does) or pc (i686), optionally with QEMU's properties:
    /// `virt,gic-version=2,highmem=off`.
    #[arg(short = 'M', long, default_value = crate::machine::DEFAULT_MACHINE)]
    pub machine: String,
    /// Guest RAM: a number of MiB, or with a K/M/G suffix.
    #[arg(short = 'm', long, default_value = "128M")]
    pub memory: String,
    /// The image to boot: a bare-metal ELF (on pc: a multiboot ELF), or a
    /// Linux zImage or Image.
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
    /// A raw disk image for a virtio-blk device (repeat for more). QEMU's
    /// spelling `-drive file=disk.img[,format=raw][,...]` works too.
    #[arg(long = "drive")]
    pub drives: Vec<String>,
    /// End the run when the guest resets the machine, instead of resetting.
    #[arg(long)]
    pub no_reboot: bool,
    /// Let the guest write to the disk images. Without it, writes go to a
    /// copy-on-write overlay in memory and the images never change.
    #[arg(long)]
    pub drive_writable: bool,
    /// Serve ARM semihosting calls (console output and exit).
    #[arg(long)]
    pub semihosting: bool,
    /// Accepted for QEMU compatibility: the console is always the terminal.
    #[arg(long)]
    pub nographic: bool,
    /// CPU model (the machine's default if not given; arm-virt has
    /// cortex-a15).
    #[arg(long)]
    pub cpu: Option<String>,
    /// Execution backend.
    #[arg(long, value_enum, default_value_t = Exec::Tiered)]
    pub exec: Exec,
    /// Comma-separated traces: in_asm (guest code as translated), op (IR),
    /// out_asm (host code), exec (each block entered), int (exceptions and
    /// interrupts taken).
    #[arg(long = "trace", short = 'd', value_delimiter = ',')]
    pub trace: Vec<String>,
    /// Stop after this many guest instructions.
    #[arg(long)]
    pub max_insns: Option<u64>,
    /// Print instruction count, time and translation statistics at exit.
    #[arg(long)]
    pub stats: bool,
    /// The RTC's start: `base=utc` (the host clock, the default) or
    /// `base=<seconds since 1970>` or `base=YYYY-MM-DDTHH:MM:SS` (UTC), as
    /// QEMU's -rtc spells it. A fixed base makes a run independent of the
    /// host clock.
    #[arg(long, default_value = "base=utc")]
    pub rtc: String,
    /// Do not read standard input (the guest's UART receives nothing).
    #[arg(long)]
    pub no_input: bool,
}

/// Options of `lockstep record`.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// Where to write the recording.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// The machine and run, as for `lockstep run`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of `lockstep replay`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The recording.
    pub log: PathBuf,
    /// Execution backend (need not be the one recorded with).
    #[arg(long, value_enum, default_value_t = Exec::Tiered)]
    pub exec: Exec,
    /// The kernel, if it moved since the recording (its hash must match).
    #[arg(long)]
    pub kernel: Option<PathBuf>,
    /// The initrd, if it moved.
    #[arg(long)]
    pub initrd: Option<PathBuf>,
    /// The device tree, if it moved.
    #[arg(long)]
    pub dtb: Option<PathBuf>,
    /// Traces, as for `lockstep run`.
    #[arg(long = "trace", short = 'd', value_delimiter = ',')]
    pub trace: Vec<String>,
    /// Print instruction count, time and translation statistics at exit.
    #[arg(long)]
    pub stats: bool,
}

/// `lockstep trace` subcommands.
#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Print every event, human-readable (or as JSON lines).
    Dump {
        /// The recording.
        log: PathBuf,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Check structure, checksums and completeness without running it.
    Verify {
        /// The recording.
        log: PathBuf,
    },
    /// Counts and bytes per event kind.
    Stats {
        /// The recording.
        log: PathBuf,
    },
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
    /// Benchmark the Linux boot instead (Debian's kernel and the busybox
    /// initramfs, from the cache scripts/fetch-guest.sh fills, or
    /// --kernel/--initrd): every backend, record and replay, and QEMU.
    #[arg(long)]
    pub linux: bool,
    /// The kernel for --linux.
    #[arg(long)]
    pub kernel: Option<PathBuf>,
    /// The initrd for --linux.
    #[arg(long)]
    pub initrd: Option<PathBuf>,
    /// The machine: arm-virt (default) or pc (with --linux: Debian's 686
    /// kernel from `scripts/fetch-guest.sh --arch i386`).
    #[arg(short = 'M', long, default_value = crate::machine::DEFAULT_MACHINE)]
    pub machine: String,
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

/// Parses QEMU's `-rtc` option: `None` for the host clock, or the fixed
/// start in seconds since 1970.
pub fn parse_rtc(s: &str) -> Result<Option<u64>, String> {
    let err = || {
        format!(
            "invalid -rtc '{s}' (expected base=utc, base=<seconds> or base=YYYY-MM-DDTHH:MM:SS)"
        )
    };
    let mut base = None;
    for part in s.split(',') {
        match part.split_once('=') {
            Some(("base", v)) => base = Some(v),
            // clock=vm is what Lockstep always does; driftfix is moot.
            Some(("clock", "vm" | "host")) | Some(("driftfix", _)) => {}
            _ => return Err(err()),
        }
    }
    let Some(v) = base else { return Ok(None) };
    if v == "utc" || v == "localtime" {
        return Ok(None);
    }
    if let Ok(secs) = v.parse::<u64>() {
        return Ok(Some(secs));
    }
    // YYYY-MM-DDTHH:MM:SS (or with a space), as UTC.
    let b = v.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { v.get(r)?.parse().ok() };
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return Err(err());
    }
    let (y, mo, d) = (num(0..4), num(5..7), num(8..10));
    let (h, mi, se) = (num(11..13), num(14..16), num(17..19));
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) = (y, mo, d, h, mi, se) else {
        return Err(err());
    };
    if !(1970..=2105).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || se > 60
    {
        return Err(err());
    }
    // Days from the civil date (proleptic Gregorian), then seconds.
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(Some((days * 86_400 + h * 3600 + mi * 60 + se) as u64))
}

/// The image path of a `--drive` value: a plain path, or QEMU's
/// `file=PATH[,format=raw][,if=...]...`.
pub fn parse_drive(s: &str) -> Result<PathBuf, String> {
    if !s.contains('=') {
        return Ok(PathBuf::from(s));
    }
    let mut file = None;
    for part in s.split(',') {
        match part.split_once('=') {
            Some(("file", f)) => file = Some(PathBuf::from(f)),
            Some(("format", "raw"))
            | Some(("if", _))
            | Some(("id", _))
            | Some(("media", "disk")) => {}
            Some(("format", f)) => {
                return Err(format!(
                    "drive format '{f}' is not supported: give a raw image"
                ))
            }
            _ => return Err(format!("unknown drive option '{part}' in '{s}'")),
        }
    }
    file.ok_or_else(|| format!("'{s}' names no file="))
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
            "int" => t.int = true,
            other => {
                return Err(format!(
                    "unknown trace '{other}' (known: in_asm, op, out_asm, exec, int)"
                ))
            }
        }
    }
    Ok(t)
}

const QEMU_LONG: &[&str] = &[
    "kernel",
    "no-reboot",
    "drive",
    "rtc",
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
    fn rtc_bases() {
        assert_eq!(parse_rtc("base=utc"), Ok(None));
        assert_eq!(parse_rtc("base=1700000000"), Ok(Some(1_700_000_000)));
        assert_eq!(
            parse_rtc("base=2006-06-17T16:01:21"),
            Ok(Some(1_150_560_081))
        );
        assert_eq!(parse_rtc("base=1970-01-01T00:00:00,clock=vm"), Ok(Some(0)));
        assert!(parse_rtc("base=yesterday").is_err());
        assert!(parse_rtc("speed=fast").is_err());
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
