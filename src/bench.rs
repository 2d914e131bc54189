//! `lockstep bench`: guest workloads under the interpreter, the JIT, tiered
//! execution and (if installed) QEMU, side by side.
//!
//! For each workload it reports guest instructions, wall time (best of
//! `--repeat` runs), MIPS, blocks translated and mean Cranelift compile time
//! per block. QEMU does not count instructions, so its MIPS uses Lockstep's
//! count for the same ELF (the same guest code retires the same number of
//! instructions) over QEMU's wall time minus its start-up time, measured
//! with an ELF that exits at once.

use crate::cli::BenchArgs;
use crate::machine::{BoardInfo, MachineConfig, Outcome};
use anyhow::{bail, Context};
use lockstep_jit::engine::{EngineStats, ExecMode};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How the reference machine runs a bare-metal ELF, after the board's
/// own options (`BoardInfo::qemu` and `qemu_bare_metal`) and followed by
/// the ELF's path: no monitor, no network card (it needs a boot ROM
/// Debian ships in a package of its own, and a bare-metal guest has no
/// use for it).
pub const QEMU_BARE_METAL_ARGS: &[&str] = &["-monitor", "none", "-nic", "none", "-kernel"];

/// QEMU's binary for `board` and the options that run a bare-metal ELF
/// (whose path follows them) on the same board and CPU.
pub fn qemu_bare_metal(board: &BoardInfo) -> (&'static str, Vec<&'static str>) {
    let (bin, board_args) = board
        .qemu
        .split_first()
        .expect("every board names its QEMU binary");
    let args = board_args
        .iter()
        .chain(board.qemu_bare_metal)
        .chain(QEMU_BARE_METAL_ARGS)
        .copied()
        .collect();
    (bin, args)
}

/// The board the benchmarks run on (`-M`; set once by [`run`]).
static BOARD: std::sync::OnceLock<&'static BoardInfo> = std::sync::OnceLock::new();

fn bench_board() -> &'static BoardInfo {
    BOARD.get().copied().unwrap_or_else(|| {
        crate::machine::lookup(crate::machine::DEFAULT_MACHINE).expect("the default board exists")
    })
}

struct Measured {
    icount: u64,
    wall: Duration,
    stats: EngineStats,
}

fn run_lockstep(elf: &Path, exec: ExecMode, repeat: u32) -> anyhow::Result<Measured> {
    let mut best: Option<Measured> = None;
    for _ in 0..repeat.max(1) {
        let cfg = MachineConfig::bare_metal(elf, exec);
        let mut m = crate::machine::build(
            &cfg,
            Box::new(std::io::sink()),
            Box::new(std::io::sink()),
            crate::machine::HostIo::live(None),
        )?;
        let t0 = Instant::now();
        let outcome = m.run(None);
        let wall = t0.elapsed();
        if outcome != Outcome::Exited(0) {
            bail!("{}: {outcome}", elf.display());
        }
        let this = Measured {
            icount: m.icount(),
            wall,
            stats: m.stats(),
        };
        if best.as_ref().is_none_or(|b| this.wall < b.wall) {
            best = Some(this);
        }
    }
    Ok(best.expect("at least one run"))
}

fn qemu_installed() -> bool {
    Command::new(qemu_bare_metal(bench_board()).0)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run_qemu(elf: &Path, repeat: u32) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..repeat.max(1) {
        let (qemu, qemu_args) = qemu_bare_metal(bench_board());
        let t0 = Instant::now();
        let status = Command::new(qemu)
            .args(qemu_args)
            .arg(elf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("running {qemu}"))?;
        let wall = t0.elapsed();
        if !status.success() {
            bail!("{qemu} failed on {}", elf.display());
        }
        best = best.min(wall);
    }
    Ok(best)
}

/// An ELF that exits through semihosting at once, for QEMU's start-up time.
fn exit_only_elf(dir: &Path) -> anyhow::Result<PathBuf> {
    let words: [u32; 5] = [
        0xe3a0_0018, // mov r0, #0x18 (SYS_EXIT)
        0xe300_1026, // movw r1, #0x0026
        0xe340_1002, // movt r1, #0x0002 (ADP_Stopped_ApplicationExit)
        0xef12_3456, // svc 0x123456
        0xeaff_fffe, // b .
    ];
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let path = dir.join("lockstep-bench-exit.elf");
    std::fs::write(
        &path,
        crate::loader::elf::minimal_image(0x4010_0000, &code, 0),
    )?;
    Ok(path)
}

/// Passes console output on to nowhere, noting when the boot marker
/// went by.
struct MarkerWatch {
    seen: Rc<Cell<Option<Instant>>>,
    tail: Vec<u8>,
}

impl std::io::Write for MarkerWatch {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.seen.get().is_none() {
            self.tail.extend_from_slice(buf);
            if self
                .tail
                .windows(MARKER.len())
                .any(|w| w == MARKER.as_bytes())
            {
                self.seen.set(Some(Instant::now()));
            }
            let keep = self.tail.len().saturating_sub(MARKER.len());
            self.tail.drain(..keep);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The line the initramfs prints when user space is up.
const MARKER: &str = "LOCKSTEP-BOOT-OK";

/// One measured Linux boot.
struct Boot {
    icount: u64,
    tlb_fills: u64,
    to_marker: Duration,
    total: Duration,
    stats: EngineStats,
}

fn linux_config(kernel: &Path, initrd: &Path, exec: ExecMode) -> MachineConfig {
    let mut cfg = MachineConfig::bare_metal(kernel, exec);
    cfg.machine = bench_board().name.to_string();
    cfg.memory = 512 << 20;
    cfg.semihosting = false;
    cfg.initrd = Some(initrd.to_path_buf());
    cfg.append = Some(format!("console={}", bench_board().linux_console));
    cfg
}

/// Boots Linux once with `io` as the outside world.
fn boot_linux(cfg: &MachineConfig, io: crate::machine::HostIo) -> anyhow::Result<Boot> {
    let seen = Rc::new(Cell::new(None));
    let out = MarkerWatch {
        seen: Rc::clone(&seen),
        tail: Vec::new(),
    };
    let mut m = crate::machine::build(cfg, Box::new(out), Box::new(std::io::sink()), io)?;
    let t0 = Instant::now();
    let outcome = m.run(None);
    let total = t0.elapsed();
    if outcome != Outcome::PowerOff {
        bail!("the Linux boot ended with: {outcome}");
    }
    let Some(at) = seen.get() else {
        bail!("the Linux boot powered off without printing {MARKER}");
    };
    Ok(Boot {
        icount: m.icount(),
        tlb_fills: m.tlb_fills(),
        to_marker: at - t0,
        total,
        stats: m.stats(),
    })
}

/// QEMU's wall time from start to the marker on the same kernel/initrd.
fn qemu_linux(kernel: &Path, initrd: &Path) -> anyhow::Result<Duration> {
    use std::io::Read;
    let board = bench_board();
    let (qemu, board_args) = board.qemu.split_first().expect("a QEMU binary");
    let t0 = Instant::now();
    let mut child = Command::new(qemu)
        .args(board_args)
        .args(["-m", "512M", "-nographic"])
        .args(["-monitor", "none", "-nic", "none", "-no-reboot", "-kernel"])
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .arg("-append")
        .arg(format!("console={}", board.linux_console))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("running {qemu}"))?;
    let mut out = child.stdout.take().expect("piped");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let at = loop {
        let n = out.read(&mut buf)?;
        if n == 0 {
            let _ = child.kill();
            bail!("QEMU's boot ended without printing {MARKER}");
        }
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()) {
            break t0.elapsed();
        }
    };
    let _ = child.wait();
    Ok(at)
}

/// `lockstep bench --linux`: the Debian boot under every backend, recorded
/// and replayed, and on QEMU.
fn run_linux(args: &BenchArgs) -> anyhow::Result<()> {
    let cache = std::env::var_os("LOCKSTEP_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|x| PathBuf::from(x).join("lockstep")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lockstep")))
        .unwrap_or_else(|| PathBuf::from(".cache/lockstep"));
    let kernel = args.kernel.clone().unwrap_or_else(|| {
        cache
            .join("guest")
            .join(bench_board().guest_dir)
            .join("vmlinuz")
    });
    let initrd = args.initrd.clone().unwrap_or_else(|| {
        cache
            .join("guest")
            .join(bench_board().guest_dir)
            .join("initrd.gz")
    });
    for p in [&kernel, &initrd] {
        if !p.exists() {
            bail!(
                "{}: not found (run scripts/fetch-guest.sh --arch {})",
                p.display(),
                bench_board().guest_dir
            );
        }
    }
    // A fixed time of day: every run boots exactly the same way.
    let live = || crate::machine::HostIo::live(None).with_rtc_base(Some(1_767_225_600));
    println!("Linux boot: {} + {}", kernel.display(), initrd.display());
    println!(
        "{:<14} {:>12} {:>10} {:>9} {:>8} {:>8} {:>9} {:>11} {:>10}",
        "run",
        "instructions",
        "marker s",
        "total s",
        "MIPS",
        "blocks",
        "compiled",
        "compile µs",
        "compile s"
    );
    let row = |label: &str, b: &Boot| {
        let per = if b.stats.blocks_compiled > 0 {
            format!(
                "{:.1}",
                b.stats.compile_time.as_secs_f64() * 1e6 / b.stats.blocks_compiled as f64
            )
        } else {
            "-".into()
        };
        println!(
            "{:<14} {:>12} {:>10.2} {:>9.2} {:>8.0} {:>8} {:>9} {:>11} {:>10.2} {:>10.3}",
            label,
            b.icount,
            b.to_marker.as_secs_f64(),
            b.total.as_secs_f64(),
            b.icount as f64 / b.total.as_secs_f64() / 1e6,
            b.stats.blocks_translated,
            b.stats.blocks_compiled,
            per,
            b.stats.compile_time.as_secs_f64(),
            b.tlb_fills as f64 * 1000.0 / b.icount as f64
        );
    };
    let mut icounts = Vec::new();
    for (label, exec, repeat) in [
        ("interp", ExecMode::Interp, 1),
        ("jit", ExecMode::Jit, args.repeat),
        ("tiered", ExecMode::Tiered, args.repeat),
    ] {
        let cfg = linux_config(&kernel, &initrd, exec);
        let mut best: Option<Boot> = None;
        for _ in 0..repeat.max(1) {
            let b = boot_linux(&cfg, live())?;
            if best.as_ref().is_none_or(|x| b.total < x.total) {
                best = Some(b);
            }
        }
        let b = best.expect("one run");
        row(label, &b);
        icounts.push(b.icount);
    }
    if icounts.windows(2).any(|w| w[0] != w[1]) {
        bail!("the backends retired different instruction counts: {icounts:?}");
    }
    // Record and replay, tiered, with the host clock as a real recording has.
    let log = std::env::temp_dir().join(format!("lockstep-bench-{}.lsr", std::process::id()));
    let cfg = linux_config(&kernel, &initrd, ExecMode::Tiered);
    let header = crate::recording::header_for(&cfg, &["lockstep".into(), "bench".into()])?;
    let writer = lockstep_replay::LogWriter::new(std::fs::File::create(&log)?, &header)?;
    let rec = boot_linux(
        &cfg,
        crate::machine::HostIo::record(writer, &log, header.digest_interval, None),
    )?;
    row("tiered record", &rec);
    let size = std::fs::metadata(&log)?.len();
    let cursor = lockstep_replay::ReplayCursor::open(&log)?;
    let rep = boot_linux(&cfg, crate::machine::HostIo::replay(cursor))?;
    row("tiered replay", &rep);
    let _ = std::fs::remove_file(&log);
    println!(
        "log: {size} bytes, {:.4} bytes per 1000 instructions; record/plain {:.3}, replay/record {:.3}",
        size as f64 * 1000.0 / rec.icount as f64,
        rec.total.as_secs_f64() / icounts_time(&cfg, live)?,
        rep.total.as_secs_f64() / rec.total.as_secs_f64()
    );
    if !args.no_qemu && qemu_installed() {
        let mut best = Duration::MAX;
        for _ in 0..args.repeat.max(1) {
            best = best.min(qemu_linux(&kernel, &initrd)?);
        }
        println!(
            "{:<14} {:>12} {:>10.2}   ({}; start to marker, start-up included)",
            "qemu",
            "-",
            best.as_secs_f64(),
            bench_board().qemu[0]
        );
    }
    Ok(())
}

/// A plain tiered boot's total time, run right before comparing with the
/// recording (the same conditions).
fn icounts_time(
    cfg: &MachineConfig,
    live: impl Fn() -> crate::machine::HostIo,
) -> anyhow::Result<f64> {
    Ok(boot_linux(cfg, live())?.total.as_secs_f64())
}

/// Runs the benchmark and prints the table.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let board = crate::machine::parse_machine(&args.machine).map_err(|e| anyhow::anyhow!(e))?;
    let _ = BOARD.set(board);
    if args.linux {
        return run_linux(&args);
    }
    if board.name != crate::machine::DEFAULT_MACHINE {
        bail!(
            "the bare-metal workloads are built for {}; on {} only --linux is measured so far",
            crate::machine::DEFAULT_MACHINE,
            board.name
        );
    }
    let mut workloads = args.workloads.clone();
    if workloads.is_empty() {
        let entries = std::fs::read_dir(&args.dir).with_context(|| {
            format!(
                "no workloads in {}: build them with `make -C tests/guest` (scripts/test.sh does)",
                args.dir.display()
            )
        })?;
        workloads = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "elf"))
            .collect();
        workloads.sort();
    }
    if workloads.is_empty() {
        bail!("no workload ELFs in {}", args.dir.display());
    }
    let qemu = !args.no_qemu && qemu_installed();
    let qemu_startup = if qemu {
        let exit = exit_only_elf(&std::env::temp_dir())?;
        let t = run_qemu(&exit, args.repeat)?;
        println!(
            "QEMU start-up and shut-down: {:.3} s (subtracted from QEMU's times)",
            t.as_secs_f64()
        );
        Some(t)
    } else {
        println!(
            "{} not installed or disabled: Lockstep only",
            qemu_bare_metal(bench_board()).0
        );
        None
    };
    println!();
    println!(
        "{:<10} {:<7} {:>13} {:>9} {:>9} {:>8} {:>12} {:>10}",
        "workload",
        "backend",
        "instructions",
        "wall s",
        "MIPS",
        "blocks",
        "compile µs",
        "vs interp"
    );
    for elf in &workloads {
        let name = elf
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The interpreter is slow and steady: one run is enough.
        let interp = run_lockstep(elf, ExecMode::Interp, 1)?;
        let jit = run_lockstep(elf, ExecMode::Jit, args.repeat)?;
        let tiered = run_lockstep(elf, ExecMode::Tiered, args.repeat)?;
        if interp.icount != jit.icount || interp.icount != tiered.icount {
            bail!(
                "{name}: instruction counts differ: interpreter {}, JIT {}, tiered {}",
                interp.icount,
                jit.icount,
                tiered.icount
            );
        }
        let mips = |icount: u64, wall: Duration| icount as f64 / wall.as_secs_f64() / 1e6;
        let base = mips(interp.icount, interp.wall);
        for (label, m) in [("interp", &interp), ("jit", &jit), ("tiered", &tiered)] {
            let compile = if m.stats.blocks_compiled > 0 {
                format!(
                    "{:.1}",
                    m.stats.compile_time.as_secs_f64() * 1e6 / m.stats.blocks_compiled as f64
                )
            } else {
                "-".to_string()
            };
            let r = mips(m.icount, m.wall);
            println!(
                "{:<10} {:<7} {:>13} {:>9.3} {:>9.1} {:>8} {:>12} {:>9.1}x",
                name,
                label,
                m.icount,
                m.wall.as_secs_f64(),
                r,
                m.stats.blocks_translated,
                compile,
                r / base
            );
        }
        if let Some(startup) = qemu_startup {
            let wall = run_qemu(elf, args.repeat)?;
            let net = wall.saturating_sub(startup).max(Duration::from_micros(1));
            let r = mips(jit.icount, net);
            println!(
                "{:<10} {:<7} {:>13} {:>9.3} {:>9.1} {:>8} {:>12} {:>9.1}x",
                name,
                "qemu",
                jit.icount,
                net.as_secs_f64(),
                r,
                "-",
                "-",
                r / base
            );
        }
    }
    Ok(())
}
