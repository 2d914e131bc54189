//! The random-instruction tester: seeded random A32 and T32 (Thumb)
//! programs (integer, VFP, Advanced SIMD, and privileged state with the
//! MMU off and on) run on the interpreter, the JIT, tiered and QEMU,
//! which must print the same register, flag and memory dumps after every
//! segment.
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
//! LOCKSTEP_RANDOM_PROGRAMS=1` reruns exactly that program (add `a32` or
//! `t32` to the test filter) and keeps its ELF in target/random-insns/.

mod common;

use common::randgen;
use lockstep_jit::engine::ExecMode;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The first segment whose dump differs, naming the fields that differ
/// (r0-r12, APSR, the scratch checksum, then D0-D31 and the FPSCR).
fn first_difference(a: &str, b: &str) -> String {
    let name = |i: usize| match i {
        0..=12 => format!("r{i}"),
        13 => "apsr".into(),
        14 => "checksum".into(),
        79 => "fpscr".into(),
        i => format!(
            "d{}.{}",
            (i - 15) / 2,
            if (i - 15) % 2 == 0 { "hi" } else { "lo" }
        ),
    };
    common::first_dump_difference(a, b, name)
}

/// Runs `generate(seed, segments, per_segment)` programs on every
/// backend and QEMU; returns (random instructions, executed).
fn run_programs(
    isa: &str,
    generate: fn(u64, usize, usize) -> randgen::Program,
    base_seed: u64,
) -> (usize, u64) {
    let harness = common::guest("randharness");
    let programs = env_u64("LOCKSTEP_RANDOM_PROGRAMS", 10);
    let segments = env_u64("LOCKSTEP_RANDOM_SEGMENTS", 40) as usize;
    let per_segment = env_u64("LOCKSTEP_RANDOM_GROUPS", 300) as usize;
    let dir = common::root().join("target/random-insns");
    std::fs::create_dir_all(&dir).unwrap();
    let mut total_random = 0;
    let mut total_icount = 0;
    for k in 0..programs {
        let seed = base_seed.wrapping_add(k);
        let program = generate(seed, segments, per_segment);
        let elf = dir.join(format!("{isa}-seed-{seed}.elf"));
        randgen::write_elf(&harness, &program, &elf);
        let interp = common::run_lockstep(&elf, ExecMode::Interp, None);
        let jit = common::run_lockstep(&elf, ExecMode::Jit, None);
        let tiered = common::run_lockstep(&elf, ExecMode::Tiered, None);
        assert_eq!(
            interp, tiered,
            "{isa} seed {seed}: interpreter and tiered differ"
        );
        assert_eq!(
            interp.outcome,
            lockstep::machine::Outcome::Exited(0),
            "{isa} seed {seed}: {}",
            interp.outcome
        );
        assert!(
            interp.uart == jit.uart,
            "{isa} seed {seed}: interpreter and JIT differ at {}",
            first_difference(&interp.uart, &jit.uart)
        );
        assert_eq!(interp, jit, "{isa} seed {seed}: final state differs");
        assert_eq!(
            interp.uart.lines().count(),
            segments,
            "{isa} seed {seed}: one dump per segment"
        );
        if let Some((status, out, err)) = common::run_qemu(&elf) {
            assert_eq!(status, 0, "{isa} seed {seed}: QEMU failed: {err}");
            assert!(
                interp.uart == out,
                "{isa} seed {seed}: Lockstep and QEMU differ at {}",
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
        "{isa}: {programs} programs, {total_random} random instructions, {total_icount} executed in all"
    );
    (total_random, total_icount)
}

#[test]
fn random_a32_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x5eed_0001);
    run_programs("a32", randgen::generate, seed);
}

#[test]
fn random_t32_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x7eed_0001);
    run_programs("t32", common::randgen_t32::generate, seed);
}

#[test]
fn random_vfp_a32_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0xf10a_0001);
    run_programs("vfp-a32", common::randgen_vfp::generate_a32, seed);
}

#[test]
fn random_vfp_t32_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0xf10a_7001);
    run_programs("vfp-t32", common::randgen_vfp::generate_t32, seed);
}

#[test]
fn random_neon_a32_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x5e0e_0001);
    run_programs("neon-a32", common::randgen_neon::generate_a32, seed);
}

#[test]
fn random_neon_t32_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x5e0e_7001);
    run_programs("neon-t32", common::randgen_neon::generate_t32, seed);
}

#[test]
fn random_privileged_programs_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x5c5c_0001);
    run_programs("sys-a32", common::randgen_sys::generate, seed);
}

#[test]
fn random_privileged_programs_with_the_mmu_on_agree_on_interpreter_jit_and_qemu() {
    let seed = env_u64("LOCKSTEP_RANDOM_SEED", 0x5c5c_a001);
    run_programs("sys-mmu-a32", common::randgen_sys::generate_mmu, seed);
}
