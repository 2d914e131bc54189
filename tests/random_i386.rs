//! The i386 random-instruction tester: seeded random programs of integer
//! instructions (every operand size and form, flags, shifts through CL
//! and carry, string instructions with REP, forward branches; see
//! tests/common/randgen_x86.rs) run on the interpreter, the JIT, tiered
//! and QEMU's `-M pc`, which must print the same registers, defined
//! flags and scratch-memory checksum after every segment.
//!
//! CI runs `LOCKSTEP_RANDOM_PROGRAMS` (10) programs of 40 segments of
//! 300 instructions: 120,000 random instructions. To run more, or to
//! reproduce a failure (its seed is in the message; the ELF is kept in
//! target/random-insns/ with `LOCKSTEP_RANDOM_KEEP=1`):
//!
//! ```text
//! LOCKSTEP_RANDOM_SEED=1234 LOCKSTEP_RANDOM_PROGRAMS=200 \
//!     cargo test --release --test random_i386 -- --nocapture
//! ```

mod common;

use common::randgen_x86;
use lockstep::machine::Outcome;
use lockstep_jit::engine::ExecMode;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The first segment whose dump differs, naming the fields.
fn first_difference(a: &str, b: &str) -> String {
    const NAMES: [&str; 9] = [
        "eax", "ecx", "edx", "ebx", "ebp", "esi", "edi", "eflags", "checksum",
    ];
    common::first_dump_difference(a, b, |i| NAMES.get(i).unwrap_or(&"?").to_string())
}

/// Finds the first random instruction after which Lockstep's and QEMU's
/// dumps differ: the failing segment, cut shorter and shorter.
fn bisect(
    harness: &std::path::Path,
    program: &randgen_x86::Program,
    dir: &std::path::Path,
    ours: &str,
    qemu: &str,
) -> String {
    let k = ours
        .lines()
        .zip(qemu.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    let elf = dir.join("i386-bisect.elf");
    let differs = |m: usize| {
        let p = program.truncated(k, m);
        randgen_x86::write_elf(harness, &p, &elf);
        let a = common::run_on("pc", &elf, ExecMode::Interp, Some(100_000_000)).uart;
        let b = common::run_qemu_on("pc", &elf)
            .map(|r| r.1)
            .unwrap_or_default();
        a.lines().nth(k) != b.lines().nth(k)
    };
    // The smallest m whose cut differs.
    let (mut lo, mut hi) = (0, program.segments[k].insns.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if differs(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let p = program.truncated(k, lo);
    let last = lo.saturating_sub(1);
    let mut text = format!("first difference after random instruction {lo} of segment {k}:\n");
    let mut one = p.truncated(k, lo);
    one.segments[k].insns.drain(..last);
    let shown = randgen_x86::Program::show(&one.segments[k].insns, &p.states[64 * k..64 * k + 32]);
    text += &shown;
    text
}

#[test]
fn random_i386_programs_agree_on_interpreter_jit_and_qemu() {
    let harness = common::build_guests().join("i386/randharness.elf");
    let programs = env_u64("LOCKSTEP_RANDOM_PROGRAMS", 10);
    let segments = env_u64("LOCKSTEP_RANDOM_SEGMENTS", 40) as usize;
    let per_segment = env_u64("LOCKSTEP_RANDOM_GROUPS", 300) as usize;
    let base_seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x1386_0001);
    let dir = common::root().join("target/random-insns");
    std::fs::create_dir_all(&dir).unwrap();
    let (mut total_random, mut total_icount) = (0, 0);
    for k in 0..programs {
        let seed = base_seed.wrapping_add(k);
        let program = randgen_x86::generate(seed, segments, per_segment);
        if let Ok(k) = std::env::var("LOCKSTEP_RANDOM_SHOW") {
            eprintln!(
                "{}",
                randgen_x86::show_segment(&program, k.parse().unwrap())
            );
        }
        let elf = dir.join(format!("i386-seed-{seed}.elf"));
        randgen_x86::write_elf(&harness, &program, &elf);
        let interp = common::run_on("pc", &elf, ExecMode::Interp, Some(100_000_000));
        assert_eq!(
            interp.outcome,
            Outcome::Exited(1),
            "seed {seed}: {}\n{}",
            interp.outcome,
            interp.uart
        );
        for mode in [ExecMode::Jit, ExecMode::Tiered] {
            let other = common::run_on("pc", &elf, mode, Some(100_000_000));
            assert!(
                interp.uart == other.uart,
                "seed {seed}: interpreter and {mode:?} differ at {}",
                first_difference(&interp.uart, &other.uart)
            );
            assert_eq!(interp, other, "seed {seed}: {mode:?}: final state differs");
        }
        assert_eq!(
            interp.uart.lines().count(),
            segments,
            "seed {seed}: one dump per segment"
        );
        if let Some((status, out, _)) = common::run_qemu_on("pc", &elf) {
            assert_eq!(status, 1, "seed {seed}: QEMU failed:\n{out}");
            if interp.uart != out {
                let culprit = bisect(&harness, &program, &dir, &interp.uart, &out);
                panic!(
                    "seed {seed}: Lockstep and QEMU differ at {}\n{culprit}",
                    first_difference(&interp.uart, &out)
                );
            }
        }
        total_random += program.random_insns;
        total_icount += interp.icount;
        if std::env::var_os("LOCKSTEP_RANDOM_KEEP").is_none() {
            std::fs::remove_file(&elf).ok();
        }
    }
    eprintln!("i386: {programs} programs, {total_random} random instructions, {total_icount} executed in all");
    assert!(total_random >= 100_000 || programs < 10);
}
