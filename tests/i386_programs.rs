//! Bare-metal i386 programs (tests/guest/i386) on the `pc` board: each
//! prints what it computes and observes; the interpreter, the JIT and
//! tiered execution must agree on everything (output, exit status,
//! icount, final state digest, every exception checkpoint), and QEMU's
//! `qemu-system-i386 -M pc` (where installed) must print exactly the
//! same and exit with the same status.

mod common;

use lockstep::machine::Outcome;

/// A program's path.
fn program(name: &str) -> std::path::PathBuf {
    common::build_guests()
        .join("i386")
        .join(format!("{name}.elf"))
}

/// Runs `name` in every mode, checks it against QEMU and that it exited
/// with status 1 (isa-debug-exit's 2 * 0 + 1: main returned 0).
fn run(name: &str) -> common::BoardRun {
    let elf = program(name);
    let r = common::run_on_all_modes("pc", &elf, Some(2_000_000_000));
    if let Some((status, out, _)) = common::run_qemu_on("pc", &elf) {
        if out != r.uart {
            let (q, o): (Vec<&str>, Vec<&str>) = (out.lines().collect(), r.uart.lines().collect());
            let n = q.iter().zip(&o).take_while(|(a, b)| a == b).count();
            panic!(
                "{name}: output differs from QEMU's at line {}:\n  QEMU:     {:?}\n  Lockstep: {:?}",
                n + 1,
                q.get(n),
                o.get(n)
            );
        }
        assert_eq!(
            Outcome::Exited(status),
            r.outcome,
            "{name}: exit status differs from QEMU's"
        );
    }
    assert_eq!(r.outcome, Outcome::Exited(1), "{name}:\n{}", r.uart);
    r
}

#[test]
fn hello_prints_and_exits() {
    let r = run("hello");
    assert!(r.uart.starts_with("hello from i386\r\nfib(20) = 6765\r\n"));
}

#[test]
fn integer_instructions_and_their_flags_match_qemu() {
    let r = run("alu");
    assert!(r.uart.ends_with("alu done\r\n"));
    // Enough lines that a missing instruction cannot hide.
    assert!(r.uart.lines().count() > 3800, "{}", r.uart.lines().count());
}

#[test]
fn exceptions_paging_and_ring_3_match_qemu() {
    let r = run("system");
    for line in [
        "bad selector: vector 13 error 00001234 cr2 00000000",
        "not present write: vector 14 error 00000002 cr2 40003004",
        "wp on write: vector 14 error 00000003 cr2 40001000",
        "syscall from cpl 3 ebx 0000cafe eflags 00003002",
        "user fault 14 error 00000007 cr2 40001000",
        "user fault 13 error 0000040a cr2 00000000",
        "system done",
    ] {
        assert!(
            r.uart.lines().any(|l| l == line),
            "no {line:?} in\n{}",
            r.uart
        );
    }
    // Every exception is a checkpoint, in every mode alike (compared by
    // run_on_all_modes): 10 in ring 0, 4 page faults, 8 from ring 3.
    let exceptions = r
        .checkpoints
        .iter()
        .filter(|c| matches!(c.kind, lockstep_replay::CheckpointKind::Exception { .. }))
        .count();
    assert_eq!(exceptions, 22, "{:?}", r.checkpoints);
}

#[test]
fn pic_and_pit_interrupts_match_qemu() {
    let r = run("timer");
    for line in [
        "counts down yes",
        "ticks 1",
        "uart irq 1",
        "ch2 out 1 polled 1",
    ] {
        assert!(
            r.uart.lines().any(|l| l == line),
            "no {line:?} in\n{}",
            r.uart
        );
    }
    // At least ten timer interrupts (vector 0x20) and one from the UART
    // (0x24), at the same instructions in every mode.
    let count = |v: u32| {
        r.checkpoints
            .iter()
            .filter(|c| c.kind == lockstep_replay::CheckpointKind::Interrupt { vector: v })
            .count()
    };
    assert!(count(0x20) >= 10, "{:?}", r.checkpoints);
    assert_eq!(count(0x24), 1);
}

#[test]
fn serial_input_by_interrupt_records_and_replays_in_every_mode() {
    use common::session::{self, Session};
    use std::time::Duration;
    let t = Duration::from_secs(60);
    let dir = session::scratch("i386-echo");
    let log = dir.join("echo.lsr");
    let elf = program("echo");
    let mut s = Session::start(
        &[
            "record",
            "-o",
            log.to_str().unwrap(),
            "-M",
            "pc",
            "-m",
            "32",
            "--kernel",
            elf.to_str().unwrap(),
        ]
        .map(String::from),
    );
    s.expect("echo ready", t);
    for l in ["hello", "lockstep on i386"] {
        s.send(&format!("{l}\n"));
        s.expect(" len=", t);
    }
    s.send("q");
    let (status, out, err) = s.finish(t);
    let text = String::from_utf8_lossy(&out);
    assert!(err.contains("lockstep: recorded"), "{err}");
    assert!(
        text.contains("HELLO len=5") && text.contains("LOCKSTEP ON I386 len=16"),
        "{text}"
    );
    assert_eq!(status, Some(1));
    for exec in ["interp", "jit", "tiered"] {
        let o = session::run(&["replay", log.to_str().unwrap(), "--exec", exec]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("replay complete"), "{exec}: {e}");
        assert_eq!(String::from_utf8_lossy(&o.stdout), text, "{exec}");
        assert_eq!(o.status.code(), Some(1), "{exec}");
    }
}

#[test]
fn x87_arithmetic_exceptions_and_environment_match_qemu() {
    let r = run("x87");
    for line in [
        " 1/3 3ffdaaaaaaaaaaaaaaab fsw 00000020",
        "pc53 1/3 3ffdaaaaaaaaaaaaa800 fsw 00000020",
        "#MF fsw 00000084",
        "mf count 1",
        "x87 done",
    ] {
        assert!(
            r.uart.lines().any(|l| l == line),
            "no {line:?} in\n{}",
            r.uart
        );
    }
}

#[test]
fn unassigned_physical_memory_reads_zero_as_on_qemu() {
    let r = run("openbus");
    assert_eq!(
        r.uart,
        "read 00000000 byte 00000000 after write 00000000\r\n"
    );
}
