//! Bare-metal system programs (tests/guest): generic-timer interrupts
//! through the GICv2 (`timer_irq`), the MMU with short descriptors
//! (`mmu_short`) and long descriptors (`mmu_lpae`), and User mode with the
//! exceptions that lead into and out of it (`user_mode`), and the PMU's
//! counters and overflow interrupt (`pmu`). Each program
//! prints what it observes; the interpreter, the JIT and tiered execution
//! must agree on everything, and QEMU (where installed) must print exactly
//! the same on both consoles and exit with the same status.

mod common;

use lockstep::machine::Outcome;
use std::path::Path;
use std::process::{Command, Stdio};

/// Panics naming the first line where Lockstep's output differs from
/// QEMU's, with the whole of both.
fn assert_same_output(elf: &Path, what: &str, qemu: &str, ours: &str) {
    if qemu == ours {
        return;
    }
    let (q, o): (Vec<&str>, Vec<&str>) = (qemu.lines().collect(), ours.lines().collect());
    let n = q.iter().zip(&o).take_while(|(a, b)| a == b).count();
    panic!(
        "{}: {what} output differs from QEMU's at line {}:\n  QEMU:     {:?}\n  Lockstep: {:?}\n\
         --- QEMU ---\n{qemu}\n--- Lockstep ---\n{ours}",
        elf.display(),
        n + 1,
        q.get(n),
        o.get(n),
    );
}

fn check_against_qemu(elf: &Path, r: &common::RunResult) {
    if let Some((status, out, err)) = common::run_qemu(elf) {
        assert_same_output(elf, "UART", &out, &r.uart);
        assert_same_output(elf, "semihosting", &err, &r.semihost);
        assert_eq!(
            Outcome::Exited(status),
            r.outcome,
            "{}: exit status differs from QEMU's",
            elf.display()
        );
    }
}

/// Runs the guest program `name` in every mode (which must agree), checks
/// it against QEMU and that it exited with status 0.
fn run(name: &str) -> common::RunResult {
    let elf = common::guest(name);
    let r = common::run_all_modes(&elf, None);
    check_against_qemu(&elf, &r);
    assert_eq!(r.outcome, Outcome::Exited(0), "{name}:\n{}", r.uart);
    assert_eq!(r.semihost, format!("{name} done\n"));
    r
}

fn assert_lines(name: &str, out: &str, lines: &[&str]) {
    for l in lines {
        assert!(
            out.lines().any(|o| o == *l),
            "{name}: no line {l:?} in:\n{out}"
        );
    }
}

#[test]
fn timer_interrupts_through_the_gic() {
    let r = run("timer_irq");
    assert_lines(
        "timer_irq",
        &r.uart,
        &[
            "cntfrq 03b9aca0",
            "spurious 000003ff",
            "irq 27 src 0 active yes rpr 000000a0 ctl 00000005 late yes tval<=0 yes rearmed yes",
            "irq 30 src 0 active yes rpr 00000080 ctl 00000005 late yes tval<=0 yes vctl 00000007 ppi27-pending no",
            "irq 30 src 0 active yes rpr 00000080 ctl 00000005 late yes tval<=0 yes vctl 00000005 ppi27-pending yes",
            "hppir 0000001b",
            "taken at unmask yes",
            "irq 5 src 0 active yes rpr 00000090",
            "order 27 27 27 30 27 30 27 5 27 27 27",
            "fiq 27 from mode 00000013 ctl 00000005",
            "  after eoir: active yes rpr 000000ff, after dir: active no",
        ],
    );
}

#[test]
fn mmu_with_short_descriptors() {
    let r = run("mmu_short");
    assert_lines(
        "mmu_short",
        &r.uart,
        &[
            "dacr 00000031",
            "  identity sees 11112222",
            "ats1cuw 80002000 par 0000001f",
            "ats1cpr a0000000 par 00000013",
            "ats1cpr 80006000 par 0000000f",
            "ats1cpr 8001a5a4 par 4021a000",
            // A supersection's PAR: PA[31:24], PA[39:32] in 23:16, SS.
            "ats1cpr c021a5a4 par 40000002",
            "  -> 0000002a",
            "  -> 0000002b",
            "  -> 0000002c",
            "  -> 70000001",
            "  -> a0000001",
        ],
    );
    for fault in [
        "  data abort dfsr 00000008 dfar 08050000 ",
        "  data abort dfsr 00000805 dfar 90000020 ",
        "  data abort dfsr 00000007 dfar 80006000 ",
        "  data abort dfsr 0000080f dfar 80003004 ",
        "  data abort dfsr 0000000f dfar 80007004 ",
        "  data abort dfsr 00000019 dfar a0000000 ",
        "  data abort dfsr 0000001b dfar 80100000 ",
        "  data abort dfsr 0000002d dfar b0",
        "  data abort dfsr 00000006 dfar 80008004 ",
        "  prefetch abort ifsr 0000000f ifar 80004000 lr 80004004",
        "  prefetch abort ifsr 00000005 ifar 90000000 lr 90000004",
        "  prefetch abort ifsr 00000007 ifar 80006000 lr 80006004\n  -> 00000008",
    ] {
        assert!(r.uart.contains(fault), "no {fault:?} in:\n{}", r.uart);
    }
    // Alignment checking with SCTLR.A set: LDR, LDRH, LDRT and STR fault;
    // misaligned LDRD and LDM fault whatever SCTLR.A says.
    assert_eq!(
        r.uart.matches("  data abort dfsr 00000001 dfar ").count(),
        3 + 4,
        "{}",
        r.uart
    );
    assert_eq!(
        r.uart.matches("  data abort dfsr 00000801 dfar ").count(),
        1,
        "{}",
        r.uart
    );
}

#[test]
fn mmu_with_long_descriptors() {
    let r = run("mmu_lpae");
    assert_lines(
        "mmu_lpae",
        &r.uart,
        &[
            "ttbcr 80800000",
            "mair0 0044ff00",
            "  identity sees 11112222",
            "ats1cpr 80c12345 par 00000000:40012800",
            "ats1cpw 80600000 par 0000081f",
            "ats1cpr c0000000 par 0000080b",
            "  -> 70000001",
            "ttbcr 80010001",
        ],
    );
    for fault in [
        "  data abort dfsr 00000210 dfar 08050000 ",
        "  data abort dfsr 00000205 dfar c0000040 ",
        "  data abort dfsr 00000206 dfar 80400010 ",
        "  data abort dfsr 00000207 dfar 80006010 ",
        "  data abort dfsr 0000020a dfar 80200020 ",
        "  data abort dfsr 00000a0b dfar 80002020 ",
        "  data abort dfsr 00000a0f dfar 80600004 ",
        "  prefetch abort ifsr 0000020f ifar 80805000 ",
        "  prefetch abort ifsr 0000020f ifar 80007000 ",
        "  data abort dfsr 00000221 dfar ",
        "  prefetch abort ifsr 00000207 ifar 80006000 lr 80006004\n  -> 00000008",
        "page5 remapped call 80005000\n  -> 0000002b",
        "ttbr1 with epd1 read 80000004\n  data abort dfsr 00000205 dfar 80000004 ",
    ] {
        assert!(r.uart.contains(fault), "no {fault:?} in:\n{}", r.uart);
    }
}

#[test]
fn user_mode_and_the_exceptions_around_it() {
    let r = run("user_mode");
    assert_lines(
        "user_mode",
        &r.uart,
        &[
            "in user mode",
            "svc 00000055 spsr 60000050",
            "  r0 after svc 00000056",
            "svc 00000056 spsr f0000050",
            "  tpidruro 12345678",
            "  tpidrurw cafef00d",
            "  cntfrq 03b9aca0",
            "  read 600df00d",
            "  user sp moved by 00000100",
            "svc 00123456 spsr 60000050",
            "irq 0000001b spsr mode and masks 00000050",
            "back in mode 00000013",
            "tpidrurw seen from pl1 cafef00d",
        ],
    );
    // CNTKCTL decides whether the same code may read the counter.
    assert_eq!(r.uart.matches("  cntvct not read\n").count(), 2);
    assert_eq!(r.uart.matches("  cntvct read\n").count(), 1);
    assert!(r.uart.contains("undefined ee010f10 at "), "{}", r.uart);
    assert!(
        r.uart.contains("data abort dfsr 0000080d dfar "),
        "{}",
        r.uart
    );
}

/// The exception and interrupt trace of a `lockstep run -d int`.
fn interrupt_trace(elf: &Path, exec: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .arg("run")
        .arg("--kernel")
        .arg(elf)
        .args(["--semihosting", "--no-input", "--exec", exec, "-d", "int"])
        .stdin(Stdio::null())
        .output()
        .expect("run lockstep");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{exec}: {err}");
    err.lines()
        .filter(|l| l.starts_with("Taking "))
        .map(str::to_owned)
        .collect()
}

/// Interrupts are taken at the same instruction count and PC under the
/// interpreter, the JIT and tiered execution, including ones that arrive
/// in the middle of a busy loop (in SVC mode in `timer_irq`, in User mode
/// in `user_mode`) rather than at a WFI; so are the exceptions of every
/// program.
#[test]
fn exceptions_and_interrupts_are_taken_at_the_same_instruction_in_every_mode() {
    for name in ["timer_irq", "user_mode", "mmu_short", "mmu_lpae"] {
        let elf = common::guest(name);
        let interp = interrupt_trace(&elf, "interp");
        let count = |what: &str| interp.iter().filter(|l| l.starts_with(what)).count();
        match name {
            "timer_irq" => {
                assert_eq!(
                    count("Taking interrupt 6 [irq] at icount "),
                    11,
                    "{interp:#?}"
                );
                assert_eq!(
                    count("Taking interrupt 7 [fiq] at icount "),
                    1,
                    "{interp:#?}"
                );
            }
            "user_mode" => {
                assert_eq!(
                    count("Taking interrupt 6 [irq] at icount "),
                    1,
                    "{interp:#?}"
                );
            }
            _ => assert!(
                count("Taking exception 4 [dabt] at icount ") > 10,
                "{interp:#?}"
            ),
        }
        for exec in ["jit", "tiered"] {
            assert_eq!(
                interrupt_trace(&elf, exec),
                interp,
                "{name}: {exec} and interp take exceptions at different points"
            );
        }
    }
}

#[test]
fn pmu_counters_and_the_overflow_interrupt() {
    let r = run("pmu");
    assert_lines(
        "pmu",
        &r.uart,
        &[
            "pmcr.n 00000006",
            "ccnt counts yes",
            "evcnt0 after 2 swinc 0000000c",
            "pmovsr after wrap 00000001",
            "pmovsset 8000003f",
            "inst_retired none or exact yes",
            "ppi 23 pending at the overflow yes",
            "irq 23 pmovsr 80000000",
            "irqs 00000003",
            "undefined 00000004",
            "undefined 00000002",
        ],
    );
}
