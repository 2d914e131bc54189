//! The `lockstep` binary.

use anyhow::{bail, Context};
use clap::Parser;
use lockstep::cli::{self, Cli, Command, RunArgs};
use lockstep::machine::{ArmVirt, HostIo, MachineConfig, StdinReader};
use std::process::ExitCode;
use std::time::Instant;

fn run(args: RunArgs) -> anyhow::Result<i32> {
    if !matches!(args.machine.as_str(), "arm-virt" | "virt") {
        bail!(
            "unknown machine '{}' (available: arm-virt, also spelled virt)",
            args.machine
        );
    }
    if !matches!(args.cpu.as_str(), "cortex-a15" | "max") {
        bail!("unknown CPU '{}' (available: cortex-a15)", args.cpu);
    }
    let memory = cli::parse_memory(&args.memory).map_err(anyhow::Error::msg)?;
    let trace = cli::parse_trace(&args.trace).map_err(anyhow::Error::msg)?;
    let rtc = cli::parse_rtc(&args.rtc).map_err(anyhow::Error::msg)?;
    let cfg = MachineConfig {
        memory,
        kernel: args.kernel.clone(),
        initrd: args.initrd.clone(),
        append: args.append.clone(),
        dtb: args.dtb.clone(),
        semihosting: args.semihosting,
        exec: args.exec.into(),
        trace,
        jit_code_bytes: lockstep_jit::clif::CODE_ARENA_BYTES,
    };
    let stdin = (!args.no_input).then(StdinReader::spawn);
    let mut m = ArmVirt::new(
        &cfg,
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
        HostIo::live(stdin).with_rtc_base(rtc),
    )
    .context("cannot start the machine")?;
    let t0 = Instant::now();
    let outcome = m.run(args.max_insns);
    let wall = t0.elapsed();
    if !matches!(
        outcome,
        lockstep::machine::Outcome::Exited(_) | lockstep::machine::Outcome::PowerOff
    ) {
        eprintln!("lockstep: {outcome}");
    }
    if args.stats {
        let s = m.stats();
        let icount = m.icount();
        eprintln!(
            "lockstep: {icount} instructions in {:.3} s ({:.1} MIPS); {} blocks translated, {} compiled ({:.1} µs each), {} chained",
            wall.as_secs_f64(),
            icount as f64 / wall.as_secs_f64() / 1e6,
            s.blocks_translated,
            s.blocks_compiled,
            if s.blocks_compiled > 0 { s.compile_time.as_secs_f64() * 1e6 / s.blocks_compiled as f64 } else { 0.0 },
            s.chains,
        );
        eprintln!(
            "lockstep: state at exit: pc {:#010x} {}",
            m.cpu().regs[15],
            m.state_digest()
        );
        let c = m.cpu();
        let regs: Vec<String> = (0..16).map(|i| format!("r{i}={:08x}", c.regs[i])).collect();
        eprintln!("lockstep: {} cpsr={:08x}", regs.join(" "), c.cpsr());
    }
    Ok(outcome.exit_status())
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(cli::normalize_args(std::env::args().collect()));
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Bench(a) => lockstep::bench::run(a).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("lockstep: {e:#}");
            ExitCode::from(1)
        }
    }
}
