//! The random-instruction tester: seeded random A32 programs run on the
//! interpreter, the JIT, tiered and QEMU, which must print the same register, flag
//! and memory dumps after every segment.
//!
//! By default CI runs `LOCKSTEP_RANDOM_PROGRAMS` (10) programs of 40
//! segments of 300 instruction groups, over 100,000 random instructions in
//! all. To run millions locally, or to reproduce a failure:
//!
//! ```text
//! LOCKSTEP_RANDOM_SEED=1234 LOCKSTEP_RANDOM_PROGRAMS=200 \
//!     cargo test --release --test random_insns -- --nocapture
//! ```
//!
//! A failure names its seed; `LOCKSTEP_RANDOM_SEED=<seed>
//! LOCKSTEP_RANDOM_PROGRAMS=1` reruns exactly that program and keeps its ELF
//! in target/random-insns/.

mod common;

use common::randgen;
use lockstep_jit::engine::ExecMode;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("segment {i}:\n  left:  {x}\n  right: {y}");
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn random_programs_agree_on_interpreter_jit_and_qemu() {
    let harness = common::guest("randharness");
    let base_seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x5eed_0001);
    let programs = env_u64("LOCKSTEP_RANDOM_PROGRAMS", 10);
    let segments = env_u64("LOCKSTEP_RANDOM_SEGMENTS", 40) as usize;
    let per_segment = env_u64("LOCKSTEP_RANDOM_GROUPS", 300) as usize;
    let dir = common::root().join("target/random-insns");
    std::fs::create_dir_all(&dir).unwrap();
    let mut total_random = 0;
    let mut total_icount = 0;
    for k in 0..programs {
        let seed = base_seed.wrapping_add(k);
        let program = randgen::generate(seed, segments, per_segment);
        let elf = dir.join(format!("seed-{seed}.elf"));
        randgen::write_elf(&harness, &program, &elf);
        let interp = common::run_lockstep(&elf, ExecMode::Interp, None);
        let jit = common::run_lockstep(&elf, ExecMode::Jit, None);
        let tiered = common::run_lockstep(&elf, ExecMode::Tiered, None);
        assert_eq!(interp, tiered, "seed {seed}: interpreter and tiered differ");
        assert_eq!(
            interp.outcome,
            lockstep::machine::Outcome::Exited(0),
            "seed {seed}: {}",
            interp.outcome
        );
        assert_eq!(
            interp.uart,
            jit.uart,
            "seed {seed}: interpreter and JIT differ at {}",
            first_difference(&interp.uart, &jit.uart)
        );
        assert_eq!(interp, jit, "seed {seed}: final state differs");
        assert_eq!(
            interp.uart.lines().count(),
            segments,
            "seed {seed}: one dump per segment"
        );
        if let Some((status, out, err)) = common::run_qemu(&elf) {
            assert_eq!(status, 0, "seed {seed}: QEMU failed: {err}");
            assert_eq!(
                interp.uart,
                out,
                "seed {seed}: Lockstep and QEMU differ at {}",
                first_difference(&interp.uart, &out)
            );
        }
        total_random += program.random_insns;
        total_icount += interp.icount;
        if std::env::var_os("LOCKSTEP_RANDOM_KEEP").is_none() {
            std::fs::remove_file(&elf).ok();
        }
    }
    eprintln!(
        "{programs} programs, {total_random} random instructions, {total_icount} executed in all"
    );
}
