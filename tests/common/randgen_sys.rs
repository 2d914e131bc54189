//! Random A32 programs that change privileged state: modes (CPS, MSR
//! CPSR_c), the A, I and F masks, the SPSRs (MRS, MSR), the User
//! registers (LDM and STM with `^`), unprivileged loads and stores
//! (LDRT, STRT and the byte forms) and exceptions (SVC, UDF; data aborts
//! with the MMU on), with the MMU off or on, mixed with the integer
//! groups of
//! [`super::randgen`]. The harness's `load_state_sys` sets every mode's
//! LR and SPSR and FIQ's R8-R12 from 128-byte records, and
//! `dump_state_sys` prints them with the core registers and the whole
//! CPSR after each segment.
//!
//! The generator knows the mode at each instruction (it changes only by
//! unconditional CPS and MSR with an immediate), so it never makes the
//! UNPREDICTABLE accesses: an SPSR in System mode, User registers by `^`
//! from System mode, a write to any SP (the harness's stacks), User mode
//! (it could not come back without an exception vector). MRS and MSR of
//! banked registers belong to the Virtualization Extensions, which this
//! Cortex-A15 lacks as QEMU's does with `virtualization=off`: both
//! machines make them UNDEFINED.

use super::randgen::{core_record, finish, Gen, Program, Rng, CODE_BASE};

const USR: u32 = 0x10;
const FIQ: u32 = 0x11;
const IRQ: u32 = 0x12;
const SVC: u32 = 0x13;
const ABT: u32 = 0x17;
const UND: u32 = 0x1b;
const SYS: u32 = 0x1f;

/// The privileged modes the code moves between.
const MODES: [u32; 6] = [FIQ, IRQ, SVC, ABT, UND, SYS];

/// Bytes per state record.
const RECORD: usize = 128;

/// A value for an SPSR: any flags, IT, GE, E, A, I, F and a privileged
/// or User mode, ARM state.
fn spsr_value(rng: &mut Rng) -> u32 {
    let mode = rng.pick(&[USR, FIQ, IRQ, SVC, ABT, UND, SYS]);
    let it = if rng.one_in(4) {
        (rng.next() as u32) & 0x0600_fc00
    } else {
        0
    };
    (rng.next() as u32) & 0xf80f_03c0 | it | mode
}

struct SysGen<'a> {
    rng: &'a mut Rng,
    mode: u32,
    out: Vec<u32>,
}

impl SysGen<'_> {
    fn cond(&mut self) -> u32 {
        if self.rng.one_in(4) {
            self.rng.below(14)
        } else {
            0xe
        }
    }

    fn reg(&mut self) -> u32 {
        self.rng.below(13)
    }

    /// One group changing or reading privileged state.
    fn group(&mut self) {
        let mode = self.mode;
        match self.rng.below(11) {
            0 | 1 => {
                // CPS: change the mode, and maybe the masks.
                let new = self.rng.pick(&MODES);
                let imod = self.rng.pick(&[0, 2, 3]);
                let aif = if imod == 0 { 0 } else { 1 + self.rng.below(7) };
                self.out.push(0xf102_0000 | imod << 18 | aif << 6 | new);
                self.mode = new;
            }
            2 => {
                // MSR CPSR_c, #imm: I, F and the mode.
                let new = self.rng.pick(&MODES);
                let imm = self.rng.below(4) << 6 | new;
                self.out.push(0xe321_f000 | imm);
                self.mode = new;
            }
            3 => {
                // MRS Rd, CPSR or SPSR.
                let c = self.cond() << 28;
                let spsr = mode != SYS && self.rng.bit() == 1;
                let d = self.reg();
                self.out
                    .push(c | 0x010f_0000 | u32::from(spsr) << 22 | d << 12);
            }
            4 => {
                // MSR SPSR_<fields>, Rn, with Rn set to an SPSR value first.
                if mode == SYS {
                    return;
                }
                let n = self.reg();
                let v = spsr_value(self.rng);
                Gen::set_reg(&mut self.out, n, v);
                let c = self.cond() << 28;
                let mask = 1 + self.rng.below(15);
                self.out.push(c | 0x0160_f000 | mask << 16 | n);
            }
            5 | 6 => {
                // STM Rn, {list}^ or LDM Rn, {list}^: the User registers.
                if mode == SYS {
                    return;
                }
                let n = self.reg();
                let mut g = Gen { rng: self.rng };
                let addr = g.scratch_addr(4, 0x100);
                let load = self.rng.bit();
                let mut list = (self.rng.next() as u32) & 0x7fff & !(1 << n);
                if load == 1 {
                    list &= !(1 << 13);
                }
                if list == 0 {
                    list = 1 << ((n + 1) % 13);
                }
                Gen::set_reg(&mut self.out, n, addr);
                let (p, u) = (self.rng.bit(), self.rng.bit());
                let c = self.cond() << 28;
                self.out
                    .push(c | 0x0840_0000 | p << 24 | u << 23 | load << 20 | n << 16 | list);
            }
            7 | 8 => {
                // LDRT, STRT, LDRBT, STRBT: unprivileged accesses, which
                // fault on the scratch pages User may not use when the
                // MMU is on.
                let n = self.reg();
                let t = loop {
                    let t = self.reg();
                    if t != n {
                        break t;
                    }
                };
                let mut g = Gen { rng: self.rng };
                let addr = g.scratch_addr(1, 0x1000);
                Gen::set_reg(&mut self.out, n, addr);
                let (u, b, l) = (self.rng.bit(), self.rng.bit(), self.rng.bit());
                let c = self.cond() << 28;
                let imm = self.rng.below(0x1000);
                self.out
                    .push(c | 0x0420_0000 | u << 23 | b << 22 | l << 20 | n << 16 | t << 12 | imm);
            }
            9 => {
                // SVC (not the semihosting call) or UDF: the harness
                // counts the exception and returns after it.
                let c = self.cond() << 28;
                if self.rng.bit() == 1 {
                    let imm = self.rng.below(1 << 24);
                    if imm != 0x12_3456 {
                        self.out.push(c | 0x0f00_0000 | imm);
                    }
                } else {
                    let imm = self.rng.below(1 << 16);
                    self.out.push(0xe7f0_00f0 | (imm >> 4) << 8 | (imm & 15));
                }
            }
            _ => {
                // CPSIE/CPSID alone.
                let imod = self.rng.pick(&[2, 3]);
                let aif = 1 + self.rng.below(7);
                self.out.push(0xf100_0000 | imod << 18 | aif << 6);
            }
        }
    }
}

/// Generates a privileged-state program of `segments` segments of
/// `per_segment` groups each, about one in three changing privileged
/// state and the others integer groups without branches.
pub fn generate(seed: u64, segments: usize, per_segment: usize) -> Program {
    generate_with(seed, segments, per_segment, false)
}

/// [`generate`], the MMU turned on first: the scratch pages cycle
/// through the access permissions, so privileged writes and the
/// unprivileged accesses fault on some; the harness counts the data
/// aborts and folds their DFSR and DFAR into the dump.
pub fn generate_mmu(seed: u64, segments: usize, per_segment: usize) -> Program {
    generate_with(seed, segments, per_segment, true)
}

fn generate_with(seed: u64, segments: usize, per_segment: usize, mmu: bool) -> Program {
    const MMU_ON: u32 = 0x4010_0020;
    const LOAD_STATE_SYS: u32 = 0x4010_0018;
    const DUMP_STATE_SYS: u32 = 0x4010_001c;
    const HARNESS_EXIT: u32 = 0x4010_000c;
    let mut rng = Rng::new(seed);
    let mut code: Vec<u32> = Vec::new();
    let call = |code: &mut Vec<u32>, to: u32, link: bool| {
        let here = CODE_BASE + 4 * code.len() as u32;
        let op = if link { 0xeb00_0000 } else { 0xea00_0000 };
        code.push(op | ((to.wrapping_sub(here + 8) >> 2) & 0x00ff_ffff));
    };
    let mut states = Vec::new();
    let mut random_insns = 0;
    if mmu {
        call(&mut code, MMU_ON, true);
    }
    for _ in 0..segments {
        call(&mut code, LOAD_STATE_SYS, true);
        let mut g = SysGen {
            rng: &mut rng,
            mode: SVC,
            out: Vec::new(),
        };
        for _ in 0..per_segment {
            if g.rng.one_in(3) {
                g.group();
            } else {
                let group = Gen { rng: g.rng }.group();
                if group.branch.is_none() {
                    g.out.extend(group.words);
                }
            }
        }
        random_insns += g.out.len();
        code.extend(std::mem::take(&mut g.out));
        call(&mut code, DUMP_STATE_SYS, true);
        let mut record = core_record(&mut rng);
        // LR of User, FIQ, IRQ, Abort, Undefined, SVC.
        for _ in 0..6 {
            record.extend_from_slice(&rng.value().to_le_bytes());
        }
        // SPSR of FIQ, IRQ, Abort, Undefined, SVC.
        for _ in 0..5 {
            record.extend_from_slice(&spsr_value(&mut rng).to_le_bytes());
        }
        // R8-R12 of FIQ.
        for _ in 0..5 {
            record.extend_from_slice(&rng.value().to_le_bytes());
        }
        record.resize(RECORD, 0);
        states.extend_from_slice(&record);
    }
    call(&mut code, HARNESS_EXIT, false);
    finish(code, states, &mut rng, random_insns)
}
