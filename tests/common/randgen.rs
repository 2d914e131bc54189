//! A seeded generator of random, valid A32 instruction sequences for the
//! random-instruction tester.
//!
//! Programs run inside the harness of tests/guest/randharness.S: each
//! segment starts from a random register and flag state and ends with a
//! dump of r0-r12, the APSR and a checksum of scratch memory. Every
//! instruction is drawn from the classes the A32 frontend implements, with
//! random condition codes, registers and operands, avoiding only encodings
//! the architecture calls UNPREDICTABLE. Memory instructions are preceded by
//! MOVW/MOVT that point their base into the scratch area; branches jump
//! forward to a group boundary inside their segment.

use std::path::Path;

/// Where generated code goes.
pub const CODE_BASE: u32 = 0x4020_0000;
/// Largest program, in bytes.
pub const CODE_SIZE: usize = 0x4_0000;
/// Scratch memory that loads and stores hit.
pub const SCRATCH_BASE: u32 = 0x4030_0000;
/// Scratch size.
pub const SCRATCH_SIZE: usize = 0x1_0000;
/// Register-state records (64 bytes each).
pub const STATES_BASE: u32 = 0x4031_0000;
/// Space for records.
pub const STATES_SIZE: usize = 0x4_0000;

/// SplitMix64: small, seedable, and the same on every host.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
    /// A bit.
    pub fn bit(&mut self) -> u32 {
        self.below(2)
    }
    /// True with probability 1/n.
    pub fn one_in(&mut self, n: u32) -> bool {
        self.below(n) == 0
    }
    /// An element of `xs`.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u32) as usize]
    }
    /// A register value biased toward edge cases.
    pub fn value(&mut self) -> u32 {
        match self.below(8) {
            0 => self.pick(&[
                0,
                1,
                2,
                0xffff_ffff,
                0x8000_0000,
                0x7fff_ffff,
                0xffff,
                0x8000,
                0x7fff,
                0xff,
                0x80,
            ]),
            1 => self.below(64),
            2 => 0u32.wrapping_sub(self.below(64)),
            3 => 1 << self.below(32),
            _ => self.next() as u32,
        }
    }
}

/// A generated program.
pub struct Program {
    /// Code words for `CODE_BASE`.
    pub code: Vec<u32>,
    /// Initial state records for `STATES_BASE`.
    pub states: Vec<u8>,
    /// Initial scratch contents.
    pub scratch: Vec<u8>,
    /// Random instructions (setup and harness calls not counted).
    pub random_insns: usize,
}

/// A group of words that must stay together; `branch` marks a branch whose
/// offset is fixed up to reach `skip` groups further on.
pub struct Group {
    pub words: Vec<u32>,
    pub branch: Option<(usize, u32)>,
}

const AL: u32 = 0xe;

pub struct Gen<'a> {
    pub rng: &'a mut Rng,
}

impl Gen<'_> {
    pub fn reg(&mut self) -> u32 {
        self.rng.below(13)
    }
    pub fn reg_except(&mut self, not: &[u32]) -> u32 {
        loop {
            let r = self.reg();
            if !not.contains(&r) {
                return r;
            }
        }
    }
    fn cond(&mut self) -> u32 {
        if self.rng.one_in(3) {
            self.rng.below(14)
        } else {
            AL
        }
    }

    fn movw(rd: u32, v: u32) -> u32 {
        AL << 28 | 0x0300_0000 | (v >> 12 & 0xf) << 16 | rd << 12 | (v & 0xfff)
    }
    fn movt(rd: u32, v: u32) -> u32 {
        AL << 28 | 0x0340_0000 | (v >> 28 & 0xf) << 16 | rd << 12 | (v >> 16 & 0xfff)
    }
    pub fn set_reg(words: &mut Vec<u32>, rd: u32, v: u32) {
        words.push(Self::movw(rd, v));
        words.push(Self::movt(rd, v));
    }

    /// A scratch address with `margin` bytes free on both sides, aligned.
    pub fn scratch_addr(&mut self, align: u32, margin: u32) -> u32 {
        let span = SCRATCH_SIZE as u32 - 2 * margin;
        (SCRATCH_BASE + margin + self.rng.below(span)) & !(align - 1)
    }

    fn data_processing(&mut self) -> u32 {
        let c = self.cond();
        let op = self.rng.below(16);
        let compare = (8..12).contains(&op);
        let s = if compare { 1 } else { self.rng.bit() };
        let rd = if compare { 0 } else { self.reg() };
        let rn = if matches!(op, 13 | 15) {
            0
        } else if self.rng.one_in(16) {
            15
        } else {
            self.reg()
        };
        let base = c << 28 | op << 21 | s << 20 | rn << 16 | rd << 12;
        match self.rng.below(3) {
            0 => base | 1 << 25 | self.rng.below(16) << 8 | self.rng.below(256),
            1 => {
                let rm = if self.rng.one_in(16) { 15 } else { self.reg() };
                base | self.rng.below(32) << 7 | self.rng.below(4) << 5 | rm
            }
            _ => {
                let rn = if matches!(op, 13 | 15) { 0 } else { self.reg() };
                let base = c << 28 | op << 21 | s << 20 | rn << 16 | rd << 12;
                base | self.reg() << 8 | self.rng.below(4) << 5 | 1 << 4 | self.reg()
            }
        }
    }

    fn multiply(&mut self) -> u32 {
        let c = self.cond() << 28;
        let (d, a, m, n) = (self.reg(), self.reg(), self.reg(), self.reg());
        let lo = self.reg();
        let hi = self.reg_except(&[lo]);
        let (x, y) = (self.rng.bit(), self.rng.bit());
        match self.rng.below(17) {
            0 => c | self.rng.bit() << 20 | d << 16 | m << 8 | 0x90 | n,
            1 => c | 0x0020_0090 | self.rng.bit() << 20 | d << 16 | a << 12 | m << 8 | n,
            2 => c | 0x0060_0090 | d << 16 | a << 12 | m << 8 | n,
            3 => c | 0x0040_0090 | hi << 16 | lo << 12 | m << 8 | n,
            4 => c | 0x0080_0090 | self.rng.below(8) << 20 | hi << 16 | lo << 12 | m << 8 | n,
            5 => c | 0x0100_0080 | d << 16 | a << 12 | m << 8 | y << 6 | x << 5 | n,
            6 => c | 0x0120_0080 | d << 16 | a << 12 | m << 8 | y << 6 | n,
            7 => c | 0x0120_00a0 | d << 16 | m << 8 | y << 6 | n,
            8 => c | 0x0140_0080 | hi << 16 | lo << 12 | m << 8 | y << 6 | x << 5 | n,
            9 => c | 0x0160_0080 | d << 16 | m << 8 | y << 6 | x << 5 | n,
            10 => {
                let a = if self.rng.one_in(3) { 15 } else { a };
                c | 0x0700_0010 | d << 16 | a << 12 | m << 8 | self.rng.bit() << 6 | x << 5 | n
            }
            11 => c | 0x0740_0010 | hi << 16 | lo << 12 | m << 8 | self.rng.bit() << 6 | x << 5 | n,
            12 => {
                let a = if self.rng.one_in(3) { 15 } else { a };
                c | 0x0750_0010 | d << 16 | a << 12 | m << 8 | x << 5 | n
            }
            13 => c | 0x0750_00d0 | d << 16 | a << 12 | m << 8 | x << 5 | n,
            14 => c | 0x0710_f010 | d << 16 | m << 8 | n,
            15 => c | 0x0730_f010 | d << 16 | m << 8 | n,
            _ => {
                let a = if self.rng.one_in(3) { 15 } else { a };
                c | 0x0780_0010 | d << 16 | a << 12 | m << 8 | n
            }
        }
    }

    fn media(&mut self) -> u32 {
        let c = self.cond() << 28;
        let (d, n, m) = (self.reg(), self.reg(), self.reg());
        match self.rng.below(14) {
            0 => c | 0x0100_0050 | self.rng.below(4) << 21 | n << 16 | d << 12 | m,
            1 => {
                c | 0x06a0_0010
                    | self.rng.below(32) << 16
                    | d << 12
                    | self.rng.below(32) << 7
                    | self.rng.bit() << 6
                    | n
            }
            2 => {
                c | 0x06e0_0010
                    | self.rng.below(32) << 16
                    | d << 12
                    | self.rng.below(32) << 7
                    | self.rng.bit() << 6
                    | n
            }
            3 => c | 0x06a0_0f30 | self.rng.below(16) << 16 | d << 12 | n,
            4 => c | 0x06e0_0f30 | self.rng.below(16) << 16 | d << 12 | n,
            5 | 6 => {
                let op1 = self.rng.pick(&[1, 2, 3, 5, 6, 7]);
                let op2 = self.rng.pick(&[0, 1, 2, 3, 4, 7]);
                c | 0x0600_0f10 | op1 << 20 | n << 16 | d << 12 | op2 << 5 | m
            }
            7 => c | 0x0680_0fb0 | n << 16 | d << 12 | m,
            8 => {
                c | 0x0680_0010
                    | n << 16
                    | d << 12
                    | self.rng.below(32) << 7
                    | self.rng.bit() << 6
                    | m
            }
            9 => {
                let op = self.rng.pick(&[0, 2, 3, 4, 6, 7]);
                let n = if self.rng.bit() == 1 { 15 } else { n };
                c | 0x0680_0070 | op << 20 | n << 16 | d << 12 | self.rng.below(4) << 10 | m
            }
            10 => {
                c | self.rng.pick(&[
                    0x06bf_0f30,
                    0x06bf_0fb0,
                    0x06ff_0f30,
                    0x06ff_0fb0,
                    0x016f_0f10,
                ]) | d << 12
                    | m
            }
            11 => {
                let lsb = self.rng.below(32);
                let msb = lsb + self.rng.below(32 - lsb);
                let n = if self.rng.one_in(3) { 15 } else { n };
                c | 0x07c0_0010 | msb << 16 | d << 12 | lsb << 7 | n
            }
            _ => {
                let lsb = self.rng.below(32);
                let width = 1 + self.rng.below(32 - lsb);
                let op = if self.rng.bit() == 1 {
                    0x07e0_0050
                } else {
                    0x07a0_0050
                };
                c | op | (width - 1) << 16 | d << 12 | lsb << 7 | n
            }
        }
    }

    fn status(&mut self) -> u32 {
        let c = self.cond() << 28;
        match self.rng.below(3) {
            0 => c | 0x010f_0000 | self.reg() << 12,
            1 => c | 0x0120_f000 | (1 + self.rng.below(3)) << 18 | self.reg(),
            _ => {
                c | 0x0320_f000
                    | (1 + self.rng.below(3)) << 18
                    | self.rng.below(16) << 8
                    | self.rng.below(256)
            }
        }
    }

    fn load_store(&mut self, words: &mut Vec<u32>) {
        let c = self.cond() << 28;
        let t = self.reg();
        let n = self.reg_except(&[t]);
        let (p, u, wb) = (self.rng.bit(), self.rng.bit(), self.rng.bit());
        let l = self.rng.bit();
        match self.rng.below(5) {
            0 => {
                // LDR/STR/LDRB/STRB, immediate; literal loads now and then.
                let b = self.rng.bit();
                if l == 1 && self.rng.one_in(8) {
                    words.push(c | 0x059f_0000 | b << 22 | t << 12 | self.rng.below(0x400));
                    return;
                }
                Self::set_reg(words, n, self.scratch_addr(1, 0x1000));
                words.push(
                    c | 0x0400_0000
                        | p << 24
                        | u << 23
                        | b << 22
                        | wb << 21
                        | l << 20
                        | n << 16
                        | t << 12
                        | self.rng.below(0x1000),
                );
            }
            1 => {
                // Register offset, shifted.
                let b = self.rng.bit();
                let m = self.reg_except(&[t, n]);
                Self::set_reg(words, n, self.scratch_addr(1, 0x1000));
                // Offsets stay within ±4 KiB: small values shifted left, or
                // any value shifted right by 20 or more.
                let (ty, amount, v) = match self.rng.below(3) {
                    0 => (0, self.rng.below(3), self.rng.below(0x400)),
                    t => (t, 20 + self.rng.below(12), self.rng.next() as u32),
                };
                words.push(Self::movw(m, v));
                words.push(Self::movt(m, v));
                words.push(
                    c | 0x0600_0000
                        | p << 24
                        | u << 23
                        | b << 22
                        | wb << 21
                        | l << 20
                        | n << 16
                        | t << 12
                        | amount << 7
                        | ty << 5
                        | m,
                );
            }
            2 => {
                // Halfword, signed and dual transfers.
                let sh = 1 + self.rng.below(3);
                let dual = l == 0 && sh != 1;
                let t = if dual { 2 * self.rng.below(6) } else { t };
                let n = if dual {
                    self.reg_except(&[t, t + 1])
                } else {
                    n
                };
                let (p, wb) = if dual && p == 0 { (0, 0) } else { (p, wb) };
                let align = if dual { 4 } else { 1 };
                Self::set_reg(words, n, self.scratch_addr(align, 0x200));
                if self.rng.bit() == 1 {
                    let imm = self.rng.below(256) & if dual { !3 } else { !0 };
                    words.push(
                        c | p << 24
                            | u << 23
                            | 1 << 22
                            | wb << 21
                            | l << 20
                            | n << 16
                            | t << 12
                            | (imm >> 4) << 8
                            | 1 << 7
                            | sh << 5
                            | 1 << 4
                            | (imm & 15),
                    );
                } else {
                    let mut not = vec![t, n];
                    if dual {
                        not.push(t + 1);
                    }
                    let m = self.reg_except(&not);
                    words.push(Self::movw(
                        m,
                        self.rng.below(0x100) & if dual { !3 } else { !0 },
                    ));
                    words.push(Self::movt(m, 0));
                    words.push(
                        c | p << 24
                            | u << 23
                            | wb << 21
                            | l << 20
                            | n << 16
                            | t << 12
                            | 1 << 7
                            | sh << 5
                            | 1 << 4
                            | m,
                    );
                }
            }
            3 => {
                // LDM/STM.
                let mut list = (self.rng.next() as u32) & 0x1fff;
                if wb == 1 || l == 1 && self.rng.bit() == 1 {
                    list &= !(1 << n);
                }
                if list == 0 {
                    list = 1 << self.reg_except(&[n]);
                }
                Self::set_reg(words, n, self.scratch_addr(4, 0x100));
                words.push(
                    c | 0x0800_0000 | p << 24 | u << 23 | wb << 21 | l << 20 | n << 16 | list,
                );
            }
            _ => {
                // LDREX then (maybe) STREX to the same address.
                let sz = self.rng.below(4);
                let size = [4, 8, 1, 2][sz as usize];
                let t = if sz == 1 { 2 * self.rng.below(6) } else { t };
                let n = self.reg_except(&[t, t + 1]);
                Self::set_reg(words, n, self.scratch_addr(size, 0x100));
                if self.rng.one_in(4) {
                    words.push(0xf57f_f01f); // CLREX
                }
                words.push(c | 0x0190_0f9f | sz << 21 | n << 16 | t << 12);
                if self.rng.one_in(4) {
                    words.push(self.data_processing());
                }
                if self.rng.one_in(5) {
                    words.push(0xf57f_f01f); // CLREX: the STREX must fail
                }
                let t2 = if sz == 1 {
                    2 * self.rng.below(6)
                } else {
                    self.reg_except(&[n])
                };
                let mut not = vec![n, t2];
                if sz == 1 {
                    not.push(t2 + 1);
                }
                let d = self.reg_except(&not);
                if !self.rng.one_in(5) {
                    words.push(c | 0x0180_0f90 | sz << 21 | n << 16 | d << 12 | t2);
                }
            }
        }
    }

    /// One random group of A32 integer instructions.
    pub fn group(&mut self) -> Group {
        let mut words = Vec::new();
        let branch = match self.rng.below(20) {
            0..=5 => {
                words.push(self.data_processing());
                None
            }
            6 => {
                // MOVW/MOVT.
                let c = self.cond() << 28;
                let v = self.rng.next() as u32;
                let op = if self.rng.bit() == 1 {
                    0x0300_0000
                } else {
                    0x0340_0000
                };
                words.push(c | op | (v >> 12 & 0xf) << 16 | self.reg() << 12 | (v & 0xfff));
                None
            }
            7..=9 => {
                words.push(self.multiply());
                None
            }
            10..=12 => {
                words.push(self.media());
                None
            }
            13 => {
                words.push(self.status());
                None
            }
            14..=17 => {
                self.load_store(&mut words);
                None
            }
            18 => {
                // B or BL forward.
                let link = self.rng.bit();
                words.push(self.cond() << 28 | 0x0a00_0000 | link << 24);
                Some((0, self.rng.below(4)))
            }
            _ => {
                // BX or BLX to a later group (address fixed up later).
                let r = self.reg();
                words.push(Self::movw(r, 0));
                words.push(Self::movt(r, 0));
                let op = if self.rng.bit() == 1 {
                    0x012f_ff10
                } else {
                    0x012f_ff30
                };
                words.push(self.cond() << 28 | op | r);
                Some((0, self.rng.below(4)))
            }
        };
        Group { words, branch }
    }
}

/// Generates a program of `segments` segments of `per_segment` random
/// instruction groups each.
pub fn generate(seed: u64, segments: usize, per_segment: usize) -> Program {
    let mut rng = Rng::new(seed);
    let mut code: Vec<u32> = Vec::new();
    let mut states = Vec::new();
    let mut random_insns = 0;
    // BL from the code region back to the harness: its offsets depend on
    // where each call sits, so they are encoded at layout.
    // (The harness starts with a branch table at 0x4010_0000.)
    const LOAD_STATE: u32 = 0x4010_0004;
    const DUMP_STATE: u32 = 0x4010_0008;
    for _ in 0..segments {
        let mut g = Gen { rng: &mut rng };
        let groups: Vec<Group> = (0..per_segment).map(|_| g.group()).collect();
        let bl =
            |from: u32, to: u32| 0xeb00_0000 | ((to.wrapping_sub(from + 8) >> 2) & 0x00ff_ffff);
        let here = CODE_BASE + 4 * code.len() as u32;
        code.push(bl(here, LOAD_STATE));
        // Lay out the groups, then fix up branches.
        let mut starts = Vec::new();
        let first = code.len();
        for grp in &groups {
            starts.push(code.len());
            code.extend_from_slice(&grp.words);
        }
        let end = code.len();
        for (i, grp) in groups.iter().enumerate() {
            if let Some((_, skip)) = grp.branch {
                let target_index = starts.get(i + 1 + skip as usize).copied().unwrap_or(end);
                let target = CODE_BASE + 4 * target_index as u32;
                let at = starts[i];
                if grp.words.len() == 1 {
                    let pc = CODE_BASE + 4 * at as u32;
                    code[at] |= (target.wrapping_sub(pc + 8) >> 2) & 0x00ff_ffff;
                } else {
                    code[at] |= (target >> 12 & 0xf) << 16 | (target & 0xfff);
                    code[at + 1] |= (target >> 28) << 16 | (target >> 16 & 0xfff);
                }
            }
            random_insns += grp.words.len();
        }
        let _ = first;
        let here = CODE_BASE + 4 * code.len() as u32;
        code.push(bl(here, DUMP_STATE));
        // The initial state for this segment.
        states.extend(core_record(&mut rng));
    }
    // Back to the harness: branch to harness_exit.
    let here = CODE_BASE + 4 * code.len() as u32;
    code.push(0xea00_0000 | ((0x4010_000cu32.wrapping_sub(here + 8) >> 2) & 0x00ff_ffff));
    finish(code, states, &mut rng, random_insns)
}

/// The core part of a state record: r0-r12, the APSR flags, 8 spare
/// bytes (64 bytes; the harness's `load_state` layout).
pub fn core_record(rng: &mut Rng) -> Vec<u8> {
    let mut record = Vec::with_capacity(64);
    for _ in 0..13 {
        record.extend_from_slice(&rng.value().to_le_bytes());
    }
    let flags = (rng.next() as u32) & 0xf80f_0000;
    record.extend_from_slice(&flags.to_le_bytes());
    record.extend_from_slice(&[0; 8]);
    record
}

/// The program from its code words and state records, with random
/// scratch contents; checks that both fit the harness's regions.
pub fn finish(code: Vec<u32>, states: Vec<u8>, rng: &mut Rng, random_insns: usize) -> Program {
    assert!(code.len() * 4 <= CODE_SIZE, "program too large");
    assert!(states.len() <= STATES_SIZE, "too many segments");
    let scratch = (0..SCRATCH_SIZE / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect();
    Program {
        code,
        states,
        scratch,
        random_insns,
    }
}

/// Writes the harness ELF with `program` patched in to `out`.
pub fn write_elf(harness: &Path, program: &Program, out: &Path) {
    let code: Vec<u8> = program.code.iter().flat_map(|w| w.to_le_bytes()).collect();
    patch_elf(
        harness,
        &[
            (CODE_BASE, &code),
            (SCRATCH_BASE, &program.scratch),
            (STATES_BASE, &program.states),
        ],
        out,
    );
}

/// Writes the ELF `harness` to `out` with each (address, bytes) region
/// patched into the loadable segment that holds it.
pub fn patch_elf(harness: &Path, regions: &[(u32, &[u8])], out: &Path) {
    let mut elf = std::fs::read(harness).expect("read harness");
    let phoff = u32::from_le_bytes(elf[28..32].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(elf[44..46].try_into().unwrap()) as usize;
    for &(addr, bytes) in regions {
        let at = (0..phnum)
            .find_map(|i| {
                let ph = phoff + 32 * i;
                let word =
                    |o: usize| u32::from_le_bytes(elf[ph + o..ph + o + 4].try_into().unwrap());
                let (off, paddr, filesz) = (word(4), word(12), word(16));
                (addr >= paddr && addr + bytes.len() as u32 <= paddr + filesz)
                    .then(|| (off + addr - paddr) as usize)
            })
            .unwrap_or_else(|| panic!("harness has no segment for {addr:#x}"));
        elf[at..at + bytes.len()].copy_from_slice(bytes);
    }
    std::fs::write(out, elf).expect("write program");
}
