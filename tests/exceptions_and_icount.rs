//! Exact icount, precise faults, and what happens when an exception is
//! taken with nothing at the vectors (the run stops with a report naming
//! the cause instead of faulting forever). Programs are hand-encoded so the
//! expected instruction counts are known.

mod common;

use common::{elf_from_words, run_lockstep};
use lockstep::machine::{Machine, Outcome};
use lockstep_runtime::arm::psr;
use lockstep_runtime::env::{Access, FaultKind, GuestFault};

const BASE: u32 = 0x4010_0000;

/// The address `offset` bytes into the test program.
fn at(offset: u32) -> u64 {
    u64::from(BASE + offset)
}

/// The stop for an exception whose vector (VBAR is 0: nothing there)
/// cannot be fetched.
fn unhandled(cause: Outcome, vector: u64) -> Outcome {
    Outcome::UnhandledException {
        cause: Box::new(cause),
        vector,
    }
}

fn both(name: &str, words: &[u32]) -> common::RunResult {
    let elf = elf_from_words(name, words);
    common::run_all_modes(&elf, Some(1_000_000))
}

#[test]
fn a_faulting_load_credits_only_the_instructions_before_it() {
    let r = both(
        "fault-load",
        &[
            0xe3a0_0001, // mov r0, #1
            0xe3a0_1002, // mov r1, #2
            0xe3a0_2a01, // mov r2, #0x1000 (nothing is mapped there)
            0xe492_3004, // ldr r3, [r2], #4
            0xe3a0_0009, // mov r0, #9 (never reached)
        ],
    );
    let fault = GuestFault {
        kind: FaultKind::External,
        access: Access::Read,
        vaddr: 0x1000,
    };
    assert_eq!(
        r.outcome,
        unhandled(Outcome::Fault { pc: at(12), fault }, 0x10)
    );
    assert_eq!(r.icount, 3);
    assert_eq!(
        &r.cpu.regs[..4],
        &[1, 2, 0x1000, 0],
        "no writeback, no load"
    );
    // The data abort was taken: abort mode, LR = faulting instruction + 8,
    // DFSR says synchronous external abort on a read, DFAR the address.
    assert_eq!(r.cpu.mode(), psr::MODE_ABT);
    assert_eq!(r.cpu.regs[14], BASE + 20);
    assert_eq!(r.cpu.fault_regs[..3], [0x008, 0, 0x1000]);
}

#[test]
fn a_faulting_store_multiple_leaves_the_base_alone() {
    let r = both(
        "fault-stm",
        &[
            0xe3a0_2a01, // mov r2, #0x1000
            0xe922_0003, // stmdb r2!, {r0, r1}
        ],
    );
    let fault = GuestFault {
        kind: FaultKind::External,
        access: Access::Write,
        vaddr: 0x1000 - 8,
    };
    assert_eq!(
        r.outcome,
        unhandled(Outcome::Fault { pc: at(4), fault }, 0x10)
    );
    assert_eq!(r.icount, 1);
    assert_eq!(r.cpu.regs[2], 0x1000);
    assert_eq!(r.cpu.fault_regs[0], 0x808, "DFSR: external abort, WnR");
}

#[test]
fn misaligned_doubleword_load_is_an_alignment_fault() {
    let r = both(
        "fault-align",
        &[
            0xe300_2002, // movw r2, #2
            0xe344_2010, // movt r2, #0x4010
            0xe1c2_00d0, // ldrd r0, r1, [r2]
        ],
    );
    let fault = GuestFault {
        kind: FaultKind::Alignment,
        access: Access::Read,
        vaddr: u64::from(BASE + 2),
    };
    assert_eq!(
        r.outcome,
        unhandled(Outcome::Fault { pc: at(8), fault }, 0x10)
    );
    assert_eq!(r.icount, 2);
    assert_eq!(r.cpu.fault_regs[0], 0x001, "DFSR: alignment fault");
}

#[test]
fn undefined_instruction_is_taken_and_reported_with_its_encoding() {
    let r = both("undef", &[0xe3a0_0005, 0xe7f1_23f4]); // mov r0, #5; udf #0x1234
    assert_eq!(
        r.outcome,
        unhandled(
            Outcome::Undefined {
                pc: at(4),
                what: "encoding 0xe7f123f4 (udf\t#4660)".into()
            },
            0x4
        )
    );
    assert_eq!(r.icount, 1, "the undefined instruction is not credited");
    assert_eq!(r.cpu.mode(), psr::MODE_UND);
    assert_eq!(r.cpu.regs[14], BASE + 8);
    let text = r.outcome.to_string();
    assert!(
        text.contains("UNDEF at pc 0x40100004: encoding 0xe7f123f4 (udf\t#4660)"),
        "{text}"
    );
}

#[test]
fn unpredictable_encodings_are_undefined_not_guessed() {
    // ldr r0, [r0], #4: writeback to the loaded register.
    let r = both("unpredictable", &[0xe490_0004]);
    assert_eq!(
        r.outcome,
        unhandled(
            Outcome::Undefined {
                pc: at(0),
                what: "encoding 0xe4900004 (ldr\tr0, [r0], #4)".into()
            },
            0x4
        )
    );
    assert_eq!(r.icount, 0);
}

#[test]
fn svc_is_credited_and_taken() {
    let r = both("svc", &[0xe3a0_0001, 0xef00_0011]); // mov r0, #1; svc #0x11
    assert_eq!(
        r.outcome,
        unhandled(
            Outcome::Trap {
                pc: at(4),
                what: "SVC #0x11".into()
            },
            0x8
        )
    );
    assert_eq!(r.icount, 2);
    assert_eq!(
        r.cpu.regs[14],
        BASE + 8,
        "LR_svc: the instruction after the SVC"
    );
}

#[test]
fn conditional_svc_that_fails_its_condition_falls_through() {
    let r = both(
        "svc-cond",
        &[
            0xe3a0_0000, // mov r0, #0
            0xe350_0001, // cmp r0, #1
            0x0f00_0011, // svceq #0x11 (not taken)
            0xe3a0_1007, // mov r1, #7
            0xef00_0022, // svc #0x22
        ],
    );
    assert_eq!(
        r.outcome,
        unhandled(
            Outcome::Trap {
                pc: at(16),
                what: "SVC #0x22".into()
            },
            0x8
        )
    );
    assert_eq!(r.icount, 5);
    assert_eq!(r.cpu.regs[1], 7);
}

#[test]
fn a_fault_inside_a_loop_keeps_what_earlier_iterations_wrote() {
    // Sum words upward from 64 bytes below the end of RAM until the load
    // runs off the end; r3 counts iterations, r4 is written after the load.
    let r = both(
        "fault-loop",
        &[
            0xe30f_0fc0, // movw r0, #0xffc0
            0xe344_07ff, // movt r0, #0x47ff (0x47ffffc0: RAM ends at 0x48000000)
            0xe3a0_2000, // mov r2, #0
            0xe3a0_3000, // mov r3, #0
            0xe490_1004, // loop: ldr r1, [r0], #4
            0xe082_2001, // add r2, r2, r1
            0xe283_3001, // add r3, r3, #1
            0xe1a0_4003, // mov r4, r3
            0xeaff_fffa, // b loop
        ],
    );
    let fault = GuestFault {
        kind: FaultKind::External,
        access: Access::Read,
        vaddr: 0x4800_0000,
    };
    assert_eq!(
        r.outcome,
        unhandled(Outcome::Fault { pc: at(16), fault }, 0x10)
    );
    assert_eq!(r.cpu.regs[3], 16, "sixteen words were read");
    assert_eq!(
        r.cpu.regs[4], 16,
        "the last iteration's later writes are kept"
    );
    assert_eq!(r.cpu.regs[0], 0x4800_0000);
    assert_eq!(r.icount, 4 + 16 * 5);
}

#[test]
fn a_misaligned_arm_pc_is_a_fetch_fault() {
    let r = both("misaligned-pc", &[0xe28f_0002, 0xe12f_ff10]); // add r0, pc, #2; bx r0
    let fault = GuestFault {
        kind: FaultKind::Alignment,
        access: Access::Fetch,
        vaddr: u64::from(BASE + 10),
    };
    assert_eq!(
        r.outcome,
        unhandled(Outcome::Fault { pc: at(10), fault }, 0xc)
    );
    assert_eq!(r.icount, 2);
    assert_eq!(r.cpu.fault_regs[1], 0x001, "IFSR: alignment");
}

#[test]
fn wfi_with_nothing_to_wake_it_is_reported() {
    let r = both("wfi", &[0xe320_f003]);
    assert_eq!(r.outcome, Outcome::WaitForever { pc: at(4) });
    assert_eq!(r.icount, 1);
}

#[test]
fn an_undefined_thumb_instruction_is_taken_with_the_thumb_return_address() {
    let r = both(
        "thumb-udf",
        &[
            0xe28f_0001, // add r0, pc, #1 (BASE + 9: Thumb)
            0xe12f_ff10, // bx r0
            0xde02_2107, // movs r1, #7; udf #2
        ],
    );
    assert_eq!(
        r.outcome,
        unhandled(
            Outcome::Undefined {
                pc: at(10),
                what: "Thumb encoding 0xde02 (udf\t#2)".into()
            },
            0x4
        )
    );
    assert_eq!(r.icount, 3, "the undefined instruction is not credited");
    assert_eq!(r.cpu.regs[1], 7);
    assert_eq!(r.cpu.mode(), psr::MODE_UND);
    // LR_und is the undefined instruction's address + 2 in Thumb state.
    assert_eq!(r.cpu.regs[14], BASE + 12);
    assert_ne!(r.cpu.current_spsr().unwrap() & psr::T, 0, "SPSR.T");
}

#[test]
fn run_until_stops_at_exactly_the_requested_count() {
    let elf = common::example("crc32");
    let mut limits = vec![1, 2, 3, 7, 64, 127, 128, 129, 1000, 4097, 65_537, 250_001];
    let mut rng = common::randgen::Rng::new(7);
    limits.extend((0..8).map(|_| 1 + u64::from(rng.below(2_000_000))));
    for limit in limits {
        let a = common::run_all_modes(&elf, Some(limit));
        assert_eq!(a.icount, limit);
    }
}

#[test]
fn stopping_and_resuming_changes_nothing() {
    let elf = common::example("intmix");
    for exec in common::MODES {
        let direct = run_lockstep(&elf, exec, Some(1_500_000));
        let (mut m, _read) = common::machine(&elf, exec);
        for stop in [1, 10, 999, 50_000, 777_777, 1_500_000] {
            assert_eq!(m.run(Some(stop)), Outcome::Limit);
            assert_eq!(m.icount(), stop);
        }
        assert_eq!(m.cpu(), &direct.cpu, "{exec:?}: resumed run differs");
    }
}

#[test]
fn the_checkpoint_hook_sees_every_exception_at_the_same_icount_in_every_mode() {
    use lockstep_replay::{CheckpointKind, CheckpointList, CheckpointSink};
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<CheckpointList>>);
    impl CheckpointSink for Shared {
        fn checkpoint(&mut self, c: lockstep_replay::Checkpoint) {
            self.0.borrow_mut().checkpoint(c);
        }
    }

    let elf = common::guest("exceptions");
    let mut seen = Vec::new();
    for exec in common::MODES {
        let (mut m, read) = common::machine(&elf, exec);
        let sink = Shared::default();
        m.set_checkpoint_sink(Box::new(sink.clone()));
        assert_eq!(m.run(None), Outcome::Exited(0), "{exec:?}: {}", read().0);
        let list = sink.0.borrow().0.clone();
        seen.push(list);
    }
    assert_eq!(seen[0], seen[1], "interpreter and JIT");
    assert_eq!(seen[0], seen[2], "interpreter and tiered");
    let vectors: Vec<u32> = seen[0]
        .iter()
        .map(|c| match c.kind {
            CheckpointKind::Exception { vector } => vector,
            CheckpointKind::Interrupt { vector } => 100 + vector,
        })
        .collect();
    // SVC, UND, PABT (BKPT), DABT, SVC; then from User mode SVC, UND, SVC.
    assert_eq!(vectors, [2, 1, 3, 4, 2, 2, 1, 2]);
    assert!(seen[0].windows(2).all(|w| w[0].icount < w[1].icount));
}

/// Stopping after every single instruction of a Thumb program full of IT
/// blocks (so many stops fall inside one) and resuming gives the same
/// state as running straight through, in every mode.
#[test]
fn thumb_stops_inside_it_blocks_resume_exactly() {
    let harness = common::guest("randharness");
    let program = common::randgen_t32::generate(0x17_b10c, 4, 200);
    let dir = common::root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let elf = dir.join("thumb-it-stops.elf");
    common::randgen::write_elf(&harness, &program, &elf);
    let end = 40_000;
    for exec in common::MODES {
        let direct = run_lockstep(&elf, exec, Some(end));
        let (mut m, _read) = common::machine(&elf, exec);
        let mut inside_it = 0;
        for stop in (1..6_000).step_by(1).chain([20_000, end]) {
            assert_eq!(m.run(Some(stop)), Outcome::Limit);
            assert_eq!(m.icount(), stop);
            if m.cpu().cpsr() & psr::IT_MASK != 0 {
                inside_it += 1;
            }
        }
        assert!(
            inside_it > 20,
            "{exec:?}: only {inside_it} stops inside IT blocks"
        );
        assert_eq!(m.cpu(), &direct.cpu, "{exec:?}: resumed run differs");
    }
}

#[test]
fn the_pmu_counts_instructions_retired_exactly() {
    let r = both(
        "pmu-inst-retired",
        &[
            0xe3a0_0001, // mov r0, #1
            0xee09_0f1c, // mcr p15, 0, r0, c9, c12, 0 (PMCR.E)
            0xe3a0_1008, // mov r1, #8 (INST_RETIRED)
            0xee09_1f3d, // mcr p15, 0, r1, c9, c13, 1 (PMXEVTYPER of counter 0)
            0xee09_0f3c, // mcr p15, 0, r0, c9, c12, 1 (PMCNTENSET: counter 0)
            0xe3a0_2064, // mov r2, #100
            0xe252_2001, // subs r2, r2, #1
            0x1aff_fffd, // bne (back to the subs)
            0xee19_3f5d, // mrc p15, 0, r3, c9, c13, 2 (PMXEVCNTR)
            0xee19_4f1d, // mrc p15, 0, r4, c9, c13, 0 (PMCCNTR: not enabled)
            0xe7f0_00f0, // udf #0
        ],
    );
    assert!(
        matches!(r.outcome, Outcome::UnhandledException { .. }),
        "{:?}",
        r.outcome
    );
    // From the enabling write (included) to the read (not): the write,
    // the mov and 100 iterations of two instructions.
    assert_eq!(r.cpu.regs[3], 202);
    assert_eq!(r.cpu.regs[4], 0);
    assert_eq!(r.icount, 208);
}
