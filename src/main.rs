//! The `lockstep` binary.

use anyhow::{bail, Context};
use clap::Parser;
use lockstep::cli::{self, Cli, Command, RecordArgs, ReplayArgs, RunArgs, TraceCommand};
use lockstep::console::RawTerminal;
use lockstep::machine::{self, HostIo, Machine, MachineConfig, Outcome, StdinReader};
use lockstep::recording;
use std::process::ExitCode;
use std::time::Instant;

fn config(args: &RunArgs) -> anyhow::Result<(MachineConfig, Option<u64>)> {
    let board = machine::parse_machine(&args.machine).map_err(anyhow::Error::msg)?;
    if let Some(cpu) = &args.cpu {
        if !board.cpus.contains(&cpu.as_str()) {
            bail!(
                "unknown CPU '{cpu}' for {} (available: {})",
                board.name,
                board.cpus.join(", ")
            );
        }
    }
    let memory = cli::parse_memory(&args.memory).map_err(anyhow::Error::msg)?;
    let trace = cli::parse_trace(&args.trace).map_err(anyhow::Error::msg)?;
    let rtc = cli::parse_rtc(&args.rtc).map_err(anyhow::Error::msg)?;
    let cfg = MachineConfig {
        machine: board.name.to_string(),
        memory,
        kernel: args.kernel.clone(),
        initrd: args.initrd.clone(),
        append: args.append.clone(),
        dtb: args.dtb.clone(),
        drives: args
            .drives
            .iter()
            .map(|d| cli::parse_drive(d))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        drives_writable: args.drive_writable,
        no_reboot: args.no_reboot,
        semihosting: args.semihosting,
        exec: args.exec.into(),
        trace,
        jit_code_bytes: lockstep_jit::clif::CODE_ARENA_BYTES,
    };
    Ok((cfg, rtc))
}

/// Runs a built machine and reports how it ended.
fn drive(m: &mut dyn Machine, max_insns: Option<u64>, stats: bool) -> Outcome {
    let t0 = Instant::now();
    let outcome = m.run(max_insns);
    let wall = t0.elapsed();
    if !matches!(
        outcome,
        Outcome::Exited(_) | Outcome::PowerOff | Outcome::Quit
    ) {
        eprintln!("lockstep: {outcome}");
    }
    if stats {
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
            "lockstep: {} dispatches; {} block runs interpreted ({} instructions)",
            s.dispatches, s.interp_runs, s.interp_insns
        );
        eprintln!(
            "lockstep: {} TLB fills ({:.2} per 1000 instructions)",
            m.tlb_fills(),
            m.tlb_fills() as f64 * 1000.0 / icount.max(1) as f64
        );
        let d = m.state_digest();
        eprintln!("lockstep: state at exit: pc {:#010x} {d}", m.pc());
        eprintln!("lockstep: {}", m.describe_registers());
    }
    outcome
}

fn run(args: RunArgs) -> anyhow::Result<i32> {
    let (cfg, rtc) = config(&args)?;
    let terminal = (!args.no_input).then(RawTerminal::enter).flatten();
    let stdin = (!args.no_input).then(|| StdinReader::spawn(terminal.is_some()));
    let mut m = machine::build(
        &cfg,
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
        HostIo::live(stdin).with_rtc_base(rtc),
    )
    .context("cannot start the machine")?;
    Ok(drive(&mut *m, args.max_insns, args.stats).exit_status())
}

fn record(args: RecordArgs) -> anyhow::Result<i32> {
    let (cfg, rtc) = config(&args.run)?;
    let argv: Vec<String> = std::env::args().collect();
    let header = recording::header_for(&cfg, &argv)?;
    let file = std::fs::File::create(&args.output)
        .with_context(|| format!("{}: cannot create the recording", args.output.display()))?;
    let log = lockstep_replay::LogWriter::new(file, &header)
        .with_context(|| format!("{}: cannot write the recording", args.output.display()))?;
    let terminal = (!args.run.no_input).then(RawTerminal::enter).flatten();
    let stdin = (!args.run.no_input).then(|| StdinReader::spawn(terminal.is_some()));
    let io = HostIo::record(log, &args.output, header.digest_interval, stdin).with_rtc_base(rtc);
    let mut m = machine::build(
        &cfg,
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
        io,
    )
    .context("cannot start the machine")?;
    let t0 = Instant::now();
    let outcome = drive(&mut *m, args.run.max_insns, args.run.stats);
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "lockstep: recorded {} instructions in {:.2} s to {} ({size} bytes, {:.4} bytes per 1000 instructions)",
        m.icount(),
        t0.elapsed().as_secs_f64(),
        args.output.display(),
        size as f64 * 1000.0 / m.icount().max(1) as f64
    );
    Ok(outcome.exit_status())
}

fn replay(args: ReplayArgs) -> anyhow::Result<i32> {
    let cursor = lockstep_replay::ReplayCursor::open(&args.log)
        .with_context(|| format!("{}: cannot replay", args.log.display()))?;
    let trace = cli::parse_trace(&args.trace).map_err(anyhow::Error::msg)?;
    let overrides = recording::Overrides {
        kernel: args.kernel.clone(),
        initrd: args.initrd.clone(),
        dtb: args.dtb.clone(),
    };
    let cfg = recording::config_from_header(
        cursor.header(),
        &args.log,
        &overrides,
        args.exec.into(),
        trace,
    )?;
    let mut m = machine::build(
        &cfg,
        Box::new(std::io::stdout()),
        Box::new(std::io::stderr()),
        HostIo::replay(cursor),
    )
    .context("cannot start the machine for the replay")?;
    let t0 = Instant::now();
    let outcome = drive(&mut *m, None, args.stats);
    let wall = t0.elapsed().as_secs_f64();
    match (&outcome, m.replay_summary()) {
        (Outcome::Diverged { .. }, _) => Ok(3),
        (_, Some(s)) if s.complete => {
            eprintln!(
                "lockstep: replay complete: {} instructions in {wall:.2} s; {} digests and {} checkpoints matched",
                m.icount(),
                s.digests,
                s.checkpoints
            );
            Ok(outcome.exit_status())
        }
        (_, Some(s)) => {
            eprintln!(
                "lockstep: replay stopped where the log stops: {}; {} digests and {} checkpoints matched up to there",
                s.ending, s.digests, s.checkpoints
            );
            Ok(4)
        }
        (_, None) => Ok(outcome.exit_status()),
    }
}

fn trace(cmd: TraceCommand) -> anyhow::Result<i32> {
    use lockstep_replay::ReadError;
    let named = |log: &std::path::Path, e: ReadError| anyhow::anyhow!("{}: {e}", log.display());
    match cmd {
        TraceCommand::Dump { log, json } => {
            let mut out = std::io::stdout().lock();
            let end = lockstep_replay::dump(&log, &mut out, json).map_err(|e| named(&log, e))?;
            Ok(if end.is_complete() { 0 } else { 4 })
        }
        TraceCommand::Verify { log } => {
            let report = lockstep_replay::verify(&log).map_err(|e| named(&log, e))?;
            println!("{}: {report}", log.display());
            Ok(if report.end.is_complete() { 0 } else { 4 })
        }
        TraceCommand::Stats { log } => {
            let stats = lockstep_replay::stats(&log).map_err(|e| named(&log, e))?;
            println!("{stats}");
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(cli::normalize_args(std::env::args().collect()));
    let result = match cli.command {
        Command::Run(a) => run(a),
        Command::Record(a) => record(a),
        Command::Replay(a) => replay(a),
        Command::Trace(c) => trace(c),
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
