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
use crate::machine::{ArmVirt, MachineConfig, Outcome};
use anyhow::{bail, Context};
use lockstep_jit::engine::{EngineStats, ExecMode};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How the reference machine runs a bare-metal ELF (followed by its path):
/// the same machine and CPU as arm-virt, semihosting on, no monitor.
pub const QEMU_ARGS: &[&str] = &[
    "-M",
    "virt",
    "-cpu",
    "cortex-a15",
    "-nographic",
    "-semihosting",
    "-monitor",
    "none",
    // No default network card: it needs a boot ROM Debian ships in a
    // package of its own, and a bare-metal guest has no use for it.
    "-nic",
    "none",
    "-kernel",
];

struct Measured {
    icount: u64,
    wall: Duration,
    stats: EngineStats,
}

fn run_lockstep(elf: &Path, exec: ExecMode, repeat: u32) -> anyhow::Result<Measured> {
    let mut best: Option<Measured> = None;
    for _ in 0..repeat.max(1) {
        let cfg = MachineConfig::bare_metal(elf, exec);
        let mut m = ArmVirt::new(
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
    Command::new("qemu-system-arm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run_qemu(elf: &Path, repeat: u32) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..repeat.max(1) {
        let t0 = Instant::now();
        let status = Command::new("qemu-system-arm")
            .args(QEMU_ARGS)
            .arg(elf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running qemu-system-arm")?;
        let wall = t0.elapsed();
        if !status.success() {
            bail!("qemu-system-arm failed on {}", elf.display());
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

/// Runs the benchmark and prints the table.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
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
        println!("qemu-system-arm not installed or disabled: Lockstep only");
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
