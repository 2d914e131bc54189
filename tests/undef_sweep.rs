//! The UNDEFINED-encoding sweep: random A32 encodings from the Advanced
//! SIMD data-processing and load/store spaces and from the VFP
//! coprocessor space (data processing, transfers, loads and stores), run
//! one at a time by a bare-metal harness (tests/guest/undefsweep.S) that
//! notes for each whether it executed, was UNDEFINED or aborted. Lockstep
//! must classify every encoding as QEMU does, in every execution mode.
//! (T32 encodings of these spaces are the same instructions, converted
//! before decoding; their conversion is checked by the random tester and
//! the disassembly tests.)
//!
//! Encodings whose behaviour the architecture leaves UNPREDICTABLE in a
//! way that would derail the harness are not generated: a base register
//! of PC for loads and stores, PC or SP as a core register in transfers.
//! `LOCKSTEP_SWEEP_COUNT` sets how many encodings (default 12,000), and
//! `LOCKSTEP_SWEEP_SEED` the seed.

mod common;

use common::randgen::{write_elf, Program, Rng, CODE_SIZE, SCRATCH_SIZE};
use lockstep::machine::Outcome;
use lockstep_jit::engine::ExecMode;
use lockstep_jit::frontend::arm::disasm::disassemble;
use lockstep_jit::frontend::arm::{decode_t32, disasm_t32};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The core registers an A32-form coprocessor-space encoding `w` writes
/// or reads as a transfer (MCR/MRC and the VFP forms with bit 4 set, or
/// the two-register MCRR/MRRC forms).
fn core_registers(w: u32) -> Vec<u32> {
    let op = w >> 20 & 0xfe;
    if op == 0xc4 {
        vec![w >> 12 & 15, w >> 16 & 15]
    } else if w >> 24 & 15 == 0xe && w & 0x10 != 0 {
        vec![w >> 12 & 15]
    } else {
        vec![]
    }
}

/// A random A32 encoding from the Advanced SIMD data-processing and
/// load/store spaces or the coprocessor space, without the forms that
/// would derail the harness: a PC base for loads and stores, PC or SP as
/// a transfer's core register, a write to a coprocessor that exists
/// beside VFP (CP14 and CP15 are the machine's own registers).
fn a32_candidate(rng: &mut Rng) -> u32 {
    loop {
        let r = rng.next() as u32;
        let w = match rng.below(10) {
            0..=2 => 0xf200_0000 | (r & 0x01ff_ffff),
            3 | 4 => 0xf400_0000 | (r & 0x00ef_ffff),
            // Condition AL; 1100, 1101 or 1110 in 27:24 (not SVC);
            // coprocessor 10 or 11.
            5..=7 => {
                let top = rng.pick(&[0xec, 0xed, 0xee]);
                let coproc = 0xa + (r >> 31 & 1);
                top << 24 | (r & 0x00ff_f0ff) | coproc << 8
            }
            // Any other coprocessor, and the unconditional forms.
            _ => {
                let top = rng.pick(&[0xec, 0xed, 0xee, 0xfc, 0xfd, 0xfe]);
                top << 24 | (r & 0x00ff_ffff)
            }
        };
        let coproc = w >> 8 & 15;
        let is_cp = matches!(w >> 24, 0xec..=0xee | 0xfc..=0xfe);
        let is_ld_st = w >> 24 == 0xf4 || (is_cp && w >> 25 & 1 == 0 && w >> 20 & 0xfe != 0xc4);
        if is_ld_st && w >> 16 & 15 == 15 {
            continue;
        }
        if is_cp && matches!(coproc, 14 | 15) {
            // Reads only: MRC (op 1110, bit 20 and 4 set) and MRRC.
            let mrc = w >> 24 & 15 == 0xe && w >> 20 & 1 == 1 && w >> 4 & 1 == 1;
            let mrrc = w >> 20 & 0xff == 0xc5;
            if !(mrc || mrrc) {
                continue;
            }
        }
        let regs = core_registers(w);
        // VMRS APSR_nzcv, FPSCR (Rt = 15) is defined.
        let vmrs_apsr = w & 0x0fff_ffff == 0x0ef1_fa10;
        if !vmrs_apsr && regs.iter().any(|&t| t == 13 || t == 15) {
            continue;
        }
        return w;
    }
}

/// The T32 form (first halfword in 31:16) of an A32-form Advanced SIMD or
/// coprocessor encoding.
fn a32_to_t32(w: u32) -> u32 {
    match w >> 24 {
        0xf2 | 0xf3 => 0xef00_0000 | (w >> 24 & 1) << 28 | (w & 0x00ff_ffff),
        0xf4 => 0xf900_0000 | (w & 0x00ff_ffff),
        _ => w,
    }
}

/// The A32 form of a T32 encoding of those spaces (others unchanged).
fn t32_to_a32(t: u32) -> u32 {
    match t >> 24 {
        0xef | 0xff => 0xf200_0000 | (t >> 28 & 1) << 24 | (t & 0x00ff_ffff),
        0xf9 => 0xf400_0000 | (t & 0x00ff_ffff),
        _ => t,
    }
}

/// Whether the 16-bit T32 encoding `h` would derail the harness: a
/// branch or a write to PC, IT (its block would swallow the return),
/// SETEND, WFI and WFE, and the semihosting calls (SVC 0xAB, HLT).
fn t16_excluded(h: u32) -> bool {
    match h >> 8 {
        0x44 => h & 0x87 == 0x87,                               // ADD PC, Rm
        0x46 => h & 0x87 == 0x87,                               // MOV PC, Rm
        0x47 => true,                                           // BX, BLX
        0xb1 | 0xb3 | 0xb9 | 0xbb => true,                      // CBZ, CBNZ
        0xb6 => h & 0xf0 == 0x50,                               // SETEND
        0xba => h & 0xc0 == 0x80,                               // HLT
        0xbd => true,                                           // POP {..., PC}
        0xbf => h & 15 != 0 || matches!(h & 0xf0, 0x20 | 0x30), // IT, WFE, WFI
        0xd0..=0xdd => true,                                    // B<c>
        0xdf => h & 0xff == 0xab,                               // SVC 0xAB
        0xe0..=0xe7 => true,                                    // B
        _ => false,
    }
}

/// Whether the 32-bit T32 encoding `t` (first halfword in 31:16) would
/// derail the harness: branches and the control instructions that change
/// the mode, state or endianness (MSR, CPS, BXJ, SUBS PC, LR), RFE and
/// SRS, table branches, loads to PC.
fn t32_excluded(t: u32) -> bool {
    let (h1, h2) = (t >> 16, t & 0xffff);
    let rt = h2 >> 12;
    let rd = h2 >> 8 & 15;
    // Data processing with a destination of PC is UNPREDICTABLE, and QEMU
    // branches; the compares (TST, TEQ, CMN, CMP: S set, Rd 1111) are
    // fine.
    let compare = h1 >> 4 & 1 == 1 && matches!(h1 >> 5 & 15, 0b0000 | 0b0100 | 0b1000 | 0b1101);
    let to_pc = match h1 {
        // Shifted register, modified immediate.
        _ if h1 & 0xfe00 == 0xea00 => rd == 15 && !compare,
        _ if h1 & 0xfa00 == 0xf000 && h2 & 0x8000 == 0 => rd == 15 && !compare,
        // Plain binary immediate, register, multiplies.
        _ if h1 & 0xfa00 == 0xf200 && h2 & 0x8000 == 0 => rd == 15,
        _ if h1 & 0xff00 == 0xfa00 => rd == 15,
        _ if h1 & 0xff80 == 0xfb00 => rd == 15,
        _ if h1 & 0xff80 == 0xfb80 => rd == 15 || rt == 15,
        // Store exclusive: the status register.
        _ if h1 & 0xfff0 == 0xe840 => rd == 15,
        _ if h1 & 0xfff0 == 0xe8c0 => h2 & 15 == 15,
        _ => false,
    };
    if to_pc {
        return true;
    }
    if h1 & 0xf800 == 0xf000 && h2 & 0x8000 != 0 {
        // Branches and miscellaneous control.
        let op = h1 >> 4 & 0x7f;
        let op1 = h2 >> 12 & 7;
        if op1 & 0b101 != 0 {
            return true; // B.W, BL, BLX
        }
        return match op {
            0x3a => h2 & 0x700 != 0 || matches!(h2 & 0xff, 2 | 3), // CPS; WFE, WFI
            0x3b => false,                                         // barriers
            0x3e | 0x3f => rd == 15,                               // MRS
            0x78..=0x7f => false,                                  // HVC, SMC, UDF, unallocated
            _ => true,                                             // B<c>.W, MSR, BXJ, SUBS PC, LR
        };
    }
    // A multiple, dual or exclusive store based on PC is UNPREDICTABLE,
    // and QEMU writes the code after it.
    let pc_base = h1 & 15 == 15;
    match h1 >> 9 {
        // Load/store multiple, RFE, SRS.
        0b111_0100 if h1 >> 6 & 1 == 0 => {
            let op = h1 >> 7 & 3;
            op == 0 || op == 3 || pc_base || (h1 >> 4 & 1 == 1 && h2 & 0x8000 != 0)
        }
        // Dual, exclusive, table branch.
        0b111_0100 if pc_base && h1 >> 4 & 1 == 0 => true,
        0b111_0100 => {
            let load = h1 >> 4 & 1 == 1;
            let dual = h1 >> 8 & 1 == 1 || h1 >> 5 & 1 == 1;
            (h1 & 0xfff0 == 0xe8d0 && h2 & 0xffe0 == 0xf000)
                || (load && (rt == 15 || (dual && h2 >> 8 & 15 == 15)))
        }
        // Single loads: a word to PC; a byte or halfword to PC with an
        // 8-bit offset other than the preload hints' (negative, no
        // writeback), which is UNPREDICTABLE and QEMU branches.
        0b111_1100 if h1 >> 4 & 1 == 1 && rt == 15 => {
            let word = h1 >> 5 & 3 == 2;
            let imm8 = h1 >> 7 & 1 == 0 && h1 & 15 != 15 && h2 >> 11 & 1 == 1;
            word || (imm8 && h2 >> 8 & 15 != 0b1100)
        }
        _ => false,
    }
}

/// `t` (a 32-bit T32 encoding) with SP and PC replaced in the four-bit
/// fields where the integer encodings keep their registers (19:16, 15:12,
/// 11:8, 3:0) and in a load/store multiple's list. As operands of most
/// T32 instructions SP and PC are UNPREDICTABLE; Lockstep makes those
/// uses UNDEFINED and QEMU executes them, both as the architecture allows,
/// so the sweep leaves them out. (The branches and control instructions,
/// excluded anyway, keep their bits.)
fn no_sp_pc(t: u32) -> u32 {
    if t >> 27 == 0b11110 && t & 0x8000 != 0 {
        return t;
    }
    let list = t >> 25 == 0b111_0100 && t >> 22 & 1 == 0;
    let mut t = t;
    let fields: &[u32] = if list { &[16] } else { &[16, 12, 8, 0] };
    for &shift in fields {
        let r = t >> shift & 15;
        if r == 13 || r == 15 {
            t ^= 1 << shift; // 13 to 12, 15 to 14
        }
    }
    if list {
        t &= !0xa000;
    }
    t
}

/// A random T32 encoding, as the test stores it: the first halfword in
/// 31:16; a 16-bit one has a NOP (0xbf00) as its second.
fn t32_candidate(rng: &mut Rng) -> u32 {
    loop {
        let r = rng.next() as u32;
        let t = match rng.below(10) {
            0 | 1 => {
                let h = r >> 16 & 0xffff;
                if h >= 0xe800 || t16_excluded(h) {
                    continue;
                }
                h << 16 | 0xbf00
            }
            // 32-bit, outside the coprocessor and Advanced SIMD spaces.
            2..=5 => {
                let t = no_sp_pc(0xe800_0000 + r % 0x1800_0000);
                if t >> 26 & 3 == 3 || (t >> 24 == 0xf9 && t >> 20 & 1 == 0) || t32_excluded(t) {
                    continue;
                }
                t
            }
            _ => a32_to_t32(a32_candidate(rng)),
        };
        return t;
    }
}

/// If `w` (A32 form) is UNPREDICTABLE in a way where Lockstep takes the
/// undefined instruction exception and QEMU executes something, the way.
/// Both are allowed by the architecture; docs/status.md lists them.
fn unpredictable(w: u32) -> Option<&'static str> {
    let d = (w >> 22 & 1) << 4 | (w >> 12 & 15);
    if w >> 24 == 0xf4 && w >> 20 & 1 == 0 {
        // Element and structure loads and stores: the last register of
        // the list.
        let last = if w >> 23 & 1 == 0 {
            match w >> 8 & 15 {
                0b0111 => d,
                0b1010 | 0b1000 => d + 1,
                0b0110 | 0b1001 | 0b0100 => d + 2,
                0b0010 | 0b0011 | 0b0000 => d + 3,
                0b0101 => d + 4,
                0b0001 => d + 6,
                _ => return None,
            }
        } else {
            let n = (w >> 8 & 3) + 1;
            let t = w >> 5 & 1;
            match w >> 10 & 3 {
                // One lane.
                0 => d + (n - 1),
                1 => d + (n - 1) * (1 + t),
                2 => d + (n - 1) * (1 + (w >> 6 & 1)),
                // All lanes: VLD1 to one or two registers, the others
                // to n registers spaced one or two apart.
                _ if n == 1 => d + t,
                _ => d + (n - 1) * (1 + t),
            }
        };
        return (last > 31).then_some("register list past D31");
    }
    if w & 0x0fe0_0ed0 == 0x0c40_0a10 {
        // VMOV between two core registers and two S or one D register.
        let (t, t2) = (w >> 12 & 15, w >> 16 & 15);
        let m = (w & 15) << 1 | (w >> 5 & 1);
        if w >> 20 & 1 == 1 && t == t2 {
            return Some("VMOV to two core registers, both the same");
        }
        if w >> 8 & 1 == 0 && m == 31 {
            return Some("VMOV of two S registers from S31");
        }
    }
    if w & 0x0ff0_0fff == 0x0ee0_0a10 && matches!(w >> 16 & 15, 5..=7) {
        return Some("VMSR to MVFR0, MVFR1 or MVFR2 (read-only ID registers)");
    }
    if w & 0x0fba_0e50 == 0x0eba_0a40 {
        // VCVT between floating point and fixed point.
        let size = if w >> 7 & 1 == 1 { 32 } else { 16 };
        let imm = (w & 15) << 1 | (w >> 5 & 1);
        if imm > size {
            return Some("VCVT fixed point with more fraction bits than bits");
        }
    }
    None
}

/// Runs the sweep of `words` in instruction set `isa` (0 A32, 1 T32):
/// every execution mode must print what the interpreter prints, and QEMU
/// the same but for the allowed UNPREDICTABLE differences.
fn sweep(name: &str, isa: u32, words: &[u32], seed: u64) {
    let count = words.len();
    assert!(
        count + 2 <= CODE_SIZE / 4,
        "at most {} encodings fit the harness's table",
        CODE_SIZE / 4 - 2
    );
    let t32 = isa == 1;
    let mut code = vec![count as u32, isa];
    // A T32 encoding lies in memory first halfword first.
    code.extend(
        words
            .iter()
            .map(|&w| if t32 { w.rotate_left(16) } else { w }),
    );
    let program = Program {
        code,
        states: Vec::new(),
        scratch: vec![0; SCRATCH_SIZE],
        random_insns: count,
    };
    let harness = common::guest("undefsweep");
    let dir = common::root().join("target/random-insns");
    std::fs::create_dir_all(&dir).unwrap();
    let elf = dir.join(format!("undef-sweep-{name}-{seed}.elf"));
    write_elf(&harness, &program, &elf);

    let classes = |out: &str| -> Vec<u8> {
        out.bytes()
            .filter(|b| matches!(b, b'D' | b'U' | b'A' | b'P' | b'S'))
            .collect()
    };
    // About 100 instructions per encoding; a harness that went astray
    // stops at the limit instead of running on.
    let limit = Some(1_000_000 + 400 * count as u64);
    let interp = common::run_lockstep(&elf, ExecMode::Interp, limit);
    assert_eq!(interp.outcome, Outcome::Exited(0), "{}", interp.uart);
    let ours = classes(&interp.uart);
    assert_eq!(ours.len(), count, "one class per encoding");
    for mode in [ExecMode::Jit, ExecMode::Tiered] {
        let r = common::run_lockstep(&elf, mode, limit);
        assert_eq!(
            classes(&r.uart),
            ours,
            "{mode:?} and the interpreter differ"
        );
    }
    let undefined = ours.iter().filter(|&&c| c == b'U').count();
    eprintln!(
        "undef sweep {name}: {count} encodings (seed {seed:#x}): {undefined} undefined, {} not",
        count - undefined
    );
    let Some((status, out, _)) = common::run_qemu(&elf) else {
        return;
    };
    let theirs = classes(&out);
    let show = |w: u32| {
        if t32 {
            let len = if w >> 27 >= 0x1d { 4 } else { 2 };
            let insn = if len == 4 { w } else { w >> 16 };
            format!(
                "{insn:0w$x} {}",
                disasm_t32::disassemble_at(insn, len, 0, 0),
                w = 2 * len as usize
            )
        } else {
            format!("{w:08x} {}", disassemble(w))
        }
    };
    if status != 0 || theirs.len() != count {
        let at = theirs.len().min(count - 1);
        panic!(
            "QEMU went astray (status {status}, {} classes) at {}",
            theirs.len(),
            show(words[at])
        );
    }
    let mut allowed = std::collections::BTreeMap::<&str, usize>::new();
    let differ: Vec<String> = (0..count)
        .filter(|&i| ours[i] != theirs[i])
        .filter(|&i| {
            let a32 = if t32 { t32_to_a32(words[i]) } else { words[i] };
            let why = match unpredictable(a32) {
                Some(why) if ours[i] == b'U' => Some(why),
                _ => model_difference(a32, ours[i], theirs[i]),
            }
            .or_else(|| t32.then(|| t32_unpredictable(words[i])).flatten());
            if let Some(why) = why {
                *allowed.entry(why).or_default() += 1;
            }
            why.is_none()
        })
        .map(|i| {
            format!(
                "{}: Lockstep {}, QEMU {}",
                show(words[i]),
                ours[i] as char,
                theirs[i] as char
            )
        })
        .collect();
    for (why, n) in &allowed {
        eprintln!("undef sweep {name}: {n} allowed differences: {why}");
    }
    assert!(
        differ.is_empty(),
        "{} of {count} encodings differ:\n{}",
        differ.len(),
        differ
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The encodings to sweep: `LOCKSTEP_SWEEP_WORDS` (hexadecimal,
/// comma-separated; T32 with the first halfword in 31:16; `@path` reads
/// them from a file) if given, else random ones.
fn words(isa: u32, gen: fn(&mut Rng) -> u32) -> (Vec<u32>, u64) {
    if let Ok(mut list) = std::env::var("LOCKSTEP_SWEEP_WORDS") {
        if let Some(path) = list.strip_prefix('@') {
            list = std::fs::read_to_string(path).expect("LOCKSTEP_SWEEP_WORDS=@file: readable");
        }
        let words = list
            .split(',')
            .map(|w| {
                u32::from_str_radix(w.trim(), 16).expect("LOCKSTEP_SWEEP_WORDS: hexadecimal words")
            })
            .collect();
        return (words, 0);
    }
    let count = env_u64("LOCKSTEP_SWEEP_COUNT", 12_000) as usize;
    let seed = env_u64("LOCKSTEP_SWEEP_SEED", 0x0def_5eed) + u64::from(isa);
    let mut rng = Rng::new(seed);
    ((0..count).map(|_| gen(&mut rng)).collect(), seed)
}

/// If the 32-bit or 16-bit T32 integer encoding `t` (first halfword in
/// 31:16; a 16-bit one with 0xbf00 after it) is UNPREDICTABLE, the rule.
/// Lockstep and QEMU may each take the undefined instruction exception or
/// execute such an encoding, and here they differ.
fn t32_unpredictable(t: u32) -> Option<&'static str> {
    let (h1, h2) = (t >> 16, t & 0xffff);
    if !decode_t32::is_32bit(h1) {
        if h1 >> 8 == 0x45 {
            let n = (h1 >> 7 & 1) << 3 | (h1 & 7);
            let m = h1 >> 3 & 15;
            if (n < 8 && m < 8) || n == 15 || m == 15 {
                return Some("CMP (high registers) with two low registers or PC");
            }
        }
        return None;
    }
    let (rt, rd, rn) = (h2 >> 12, h2 >> 8 & 15, h1 & 15);
    if h1 & 0xfe40 == 0xe840 && h1 & 0x0120 != 0 {
        let (load, wback) = (h1 >> 4 & 1 == 1, h1 >> 5 & 1 == 1);
        if wback && (rn == rt || rn == rd) {
            return Some("LDRD/STRD writing back to a transferred register");
        }
        if load && rt == rd {
            return Some("LDRD loading both words to one register");
        }
    }
    if h1 >> 9 == 0b111_1100 && h1 >> 7 & 1 == 0 && h2 & 0x900 == 0x900 && rn == rt {
        return Some("a load or store writing back to its own register");
    }
    if h1 & 0xfa00 == 0xf000 && h2 & 0x8000 == 0 {
        let imm12 = (h1 >> 10 & 1) << 11 | (h2 >> 12 & 7) << 8 | (h2 & 0xff);
        if imm12 >> 10 == 0 && imm12 >> 8 & 3 != 0 && imm12 & 0xff == 0 {
            return Some("a replicated modified immediate of zero");
        }
    }
    if h1 & 0xff80 == 0xfb80 && rt == rd && h1 >> 4 & 7 != 0b001 && h1 >> 4 & 7 != 0b011 {
        return Some("a long multiply with RdLo = RdHi");
    }
    if h1 & 0xfb70 == 0xf320 && h2 & 0x70c0 == 0 && h2 & 0x30 != 0 {
        return Some("SSAT16/USAT16 with should-be-zero bits set");
    }
    if h1 & 0xfff0 == 0xe8c0 && matches!(h2 >> 4 & 15, 0b0100 | 0b0101) && rd != 15 {
        return Some("STREXB/STREXH with should-be-one bits clear");
    }
    None
}

/// Differences with QEMU's model that are not about UNPREDICTABLE
/// encodings: encodings one of the two machines wrongly accepts or
/// lacks, by the ARMv7 manual and the Cortex-A15's.
fn model_difference(a32: u32, ours: u8, theirs: u8) -> Option<&'static str> {
    let coproc = a32 >> 8 & 15;
    let (crn, crm, opc1, opc2) = (a32 >> 16 & 15, a32 & 15, a32 >> 21 & 7, a32 >> 5 & 7);
    let mrc = a32 >> 24 & 15 == 0xe && a32 >> 20 & 1 == 1 && a32 >> 4 & 1 == 1;
    if a32 >> 24 & 15 == 0xd && coproc == 9 && ours == b'U' {
        return Some("QEMU executes ARMv8.2's half-precision VLDR/VSTR (coprocessor 9), which a Cortex-A15 lacks");
    }
    if mrc && coproc == 15 && ours == b'U' && theirs == b'D' {
        if crn == 3 || crn == 10 || crn == 15 {
            return Some("QEMU answers reads of any CRm/opc2 (and opc1) for DACR, c10 and the IMPLEMENTATION DEFINED c15");
        }
        if (crn, crm, opc1, opc2) == (6, 0, 0, 1) {
            return Some("QEMU answers the ARMv6 WFAR");
        }
        if crn == 14 && crm >= 8 && opc1 == 0 {
            return Some("QEMU answers ARMv8's PMEVCNTR/PMEVTYPER");
        }
        if (crn, crm, opc1, opc2) == (12, 1, 0, 0) {
            return Some("ISR: Lockstep lacks it (a gap, noted in docs/status.md)");
        }
    }
    let mrrc = a32 >> 20 & 0xff == 0xc5;
    if (mrc || mrrc) && coproc == 14 && ours == b'U' && theirs == b'D' && opc1 != 7 {
        return Some("QEMU models the ARMv7.1 debug registers and ThumbEE's; Lockstep reports no debug architecture and has no ThumbEE");
    }
    if mrc && coproc == 15 && ours == b'D' && (crn, crm, opc1) == (9, 12, 0) && opc2 >= 6 {
        return Some("PMCEID0/1 (ARMv7 PMUv2): QEMU's ARMv7 PMU lacks them");
    }
    None
}

#[test]
fn a32_unallocated_encodings_are_undefined_as_on_qemu() {
    let (words, seed) = words(0, a32_candidate);
    sweep("a32", 0, &words, seed);
}

#[test]
fn t32_unallocated_encodings_are_undefined_as_on_qemu() {
    let (words, seed) = words(1, t32_candidate);
    sweep("t32", 1, &words, seed);
}

/// Encodings chosen for what they once got wrong, in both instruction
/// sets: HVC reaching the PSCI firmware with semihosting on, stores of a
/// written-back base that is not the list's lowest register (an UNKNOWN
/// value, not UNDEFINED), PMOVSSET, the trivial Jazelle registers, and
/// T32 words whose first byte begins an A32 Advanced SIMD encoding.
#[test]
fn chosen_encodings_as_on_qemu() {
    let a32 = [
        0xe140_0070, // hvc #0
        0xe8a1_0003, // stmia r1!, {r0, r1}
        0xe92d_0003, // push {r0, r1}
        0xee09_0f7e, // mcr p15, 0, r0, c9, c14, 3 (PMOVSSET)
        0xee19_0f7e, // mrc p15, 0, r0, c9, c14, 3
        0xeef0_0e10, // mrc p14, 7, r0, c0, c0, 0 (JIDR)
        0xeee1_0e10, // mcr p14, 7, r0, c1, c0, 0 (JOSCR)
        0xee11_0e10, // mrc p14, 0, r0, c1, c0, 0 (DBGDRAR)
        0xec51_0e01, // mrrc p14, 0, r0, r1, c1 (DBGDRAR, 64-bit)
    ];
    sweep("a32-chosen", 0, &a32, 0);
    let t32 = [
        0xf7e0_8000, // hvc #0
        0xc103_bf00, // stmia r1!, {r0, r1}
        0xf2de_2d42, // unallocated plain binary immediate, not VQRDMULH
        0xf3de_2d42, // likewise (U set in A32)
        0xf421_070f, // and.w r7, r1, #... (A32 VLD1's first byte)
    ];
    sweep("t32-chosen", 1, &t32, 0);
}
