//! Every guest program runs on the interpreter, the JIT, tiered and on
//! QEMU: the execution modes must agree on output, final registers and icount, and QEMU
//! must print the same thing.

mod common;

use lockstep::machine::{Machine, Outcome};
use lockstep_jit::engine::ExecMode;

fn check_against_qemu(elf: &std::path::Path, r: &common::RunResult) {
    if let Some((status, out, err)) = common::run_qemu(elf) {
        assert_eq!(
            Outcome::Exited(status),
            r.outcome,
            "{}: exit status differs from QEMU's",
            elf.display()
        );
        assert_eq!(
            out,
            r.uart,
            "{}: UART output differs from QEMU's",
            elf.display()
        );
        assert_eq!(
            err,
            r.semihost,
            "{}: semihosting output differs from QEMU's",
            elf.display()
        );
    }
}

#[test]
fn hello_prints_on_both_consoles_and_exits_with_its_status() {
    let elf = common::guest("hello");
    let r = common::run_both(&elf);
    assert_eq!(r.outcome, Outcome::Exited(3));
    assert_eq!(r.uart, "hello from the UART\n-12345 deadbeef\n");
    assert_eq!(r.semihost, "hello from semihosting\n");
    check_against_qemu(&elf, &r);
}

/// The same C programs built as Thumb-2 code, and ARM code calling
/// Debian's libgcc (itself Thumb-2: every call interworks).
#[test]
fn thumb_programs_and_libgcc_calls_agree_with_qemu() {
    let hello = common::guest("hello-thumb");
    let r = common::run_both(&hello);
    assert_eq!(r.outcome, Outcome::Exited(3));
    assert_eq!(r.uart, "hello from the UART\n-12345 deadbeef\n");
    assert_eq!(r.semihost, "hello from semihosting\n");
    check_against_qemu(&hello, &r);
    for name in ["libgcc", "libgcc-thumb"] {
        let elf = common::guest(name);
        let r = common::run_both(&elf);
        assert_eq!(r.outcome, Outcome::Exited(0), "{name}: {}", r.uart);
        assert_eq!(r.uart, "7e3ef8067c55fffb\n", "{name}");
        check_against_qemu(&elf, &r);
    }
}

/// Thumb handlers (SCTLR.TE), Thumb return addresses, semihosting by
/// HLT, and a fault in the middle of an IT block whose return resumes
/// the block under its conditions.
#[test]
fn thumb_exceptions_and_it_blocks_across_a_fault() {
    let elf = common::guest("thumb_exceptions");
    let r = common::run_both(&elf);
    assert_eq!(r.outcome, Outcome::Exited(0), "{}", r.uart);
    let lines: Vec<&str> = r.uart.lines().collect();
    // The SVC handler ran in Thumb state and returned r0 + 1.
    assert!(
        lines[2].ends_with("f3") && lines[3] == "0000df05" && lines[4] == "00000002",
        "{}",
        r.uart
    );
    // Z set: MOVEQ ran, LDRDEQ ran after its fault, ADDNE did not.
    assert_eq!(
        &lines[lines.len() - 4..],
        ["00000011", "12345678", "9abcdef0", "00000122"]
    );
    assert_eq!(r.semihost, "semihosting from Thumb\n");
    check_against_qemu(&elf, &r);
}

#[test]
fn self_modifying_code_is_seen() {
    let elf = common::guest("smc");
    let r = common::run_both(&elf);
    assert_eq!(r.uart, "00001322\n00000042\n");
    check_against_qemu(&elf, &r);
}

#[test]
fn exceptions_are_taken_and_returned_from() {
    let elf = common::guest("exceptions");
    let r = common::run_both(&elf);
    assert_eq!(r.outcome, Outcome::Exited(0), "{}", r.uart);
    // The undefined instruction's address, the SPSR and the encoding.
    assert!(
        r.uart
            .lines()
            .any(|l| l.starts_with("U 401") && l.ends_with(" 600001d3 e7f123f4")),
        "{}",
        r.uart
    );
    check_against_qemu(&elf, &r);
}

#[test]
fn pc_relative_behaviour() {
    let elf = common::guest("pcrel");
    let r = common::run_both(&elf);
    assert_eq!(r.outcome, Outcome::Exited(0), "{}", r.uart);
    let lines: Vec<&str> = r.uart.lines().collect();
    assert_eq!(lines[0], "00000008", "MOV r0, pc reads the address + 8");
    assert_eq!(lines[1], "00000008", "ADD r0, pc, #4 reads the address + 8");
    assert_eq!(
        lines[2], "e4880004",
        "LDR r0, [pc, #-4] loads the next instruction (str r0, [r8], #4)"
    );
    assert_eq!(lines[4], "00000008", "STR pc stores the address + 8");
    check_against_qemu(&elf, &r);
}

/// The examples are long: the backends are compared over a prefix (which
/// also checks that both stop at exactly the same instruction), and the
/// JIT's full run against QEMU.
#[test]
fn example_workloads_agree() {
    for (name, prefix) in [
        ("crc32", "crc32 "),
        ("sieve", "primes "),
        ("intmix", "intmix "),
        ("crc32-thumb", "crc32 "),
        ("sieve-thumb", "primes "),
        ("intmix-thumb", "intmix "),
    ] {
        let elf = common::example(name);
        let a = common::run_all_modes(&elf, Some(3_000_000));
        assert_eq!(a.outcome, Outcome::Limit);
        assert_eq!(a.icount, 3_000_000);
        let full = common::run_lockstep(&elf, ExecMode::Jit, None);
        assert_eq!(full.outcome, Outcome::Exited(0), "{name}");
        assert!(full.uart.starts_with(prefix), "{name}: {}", full.uart);
        check_against_qemu(&elf, &full);
    }
}

/// With a code arena too small for the program, the engine drops every
/// translation and starts a new compiler again and again: nothing the
/// guest sees may change.
#[test]
fn running_out_of_code_memory_changes_nothing() {
    let elf = common::example("intmix");
    let limit = Some(20_000_000);
    let reference = common::run_lockstep(&elf, ExecMode::Interp, limit);
    // Tiered compiles only hot blocks (on another thread), so it needs a
    // smaller arena to fill.
    for (exec, bytes) in [(ExecMode::Jit, 24 << 10), (ExecMode::Tiered, 4 << 10)] {
        let mut cfg = lockstep::machine::MachineConfig::bare_metal(&elf, exec);
        cfg.jit_code_bytes = bytes;
        let (mut m, read) = common::machine_with(cfg);
        assert_eq!(m.run(limit), Outcome::Limit);
        assert!(
            m.stats().code_flushes > 0,
            "{exec:?}: the arena never filled"
        );
        assert_eq!(m.icount(), reference.icount);
        assert_eq!(m.cpu(), &reference.cpu, "{exec:?}");
        assert_eq!(read().0, reference.uart);
    }
}
