//! Random Advanced SIMD (NEON) instructions for the random-instruction
//! tester: every data-processing class (three registers of the same or
//! of different lengths, by scalar, shifts by immediate, modified
//! immediates, the miscellaneous two-register operations, VEXT, VTBL,
//! VDUP), the core/scalar transfers, and element and structure loads and
//! stores of every form, each with only the field values the architecture
//! defines (an UNDEFINED encoding would end the program). Segments start
//! from the floating-point harness's random state (`randgen_vfp`), so
//! float lanes meet NaNs, infinities and denormals; an FPSCR write now and
//! then changes AHP and clears or sets QC. In Thumb state the same
//! instructions use their T32 encodings.

use super::randgen::{Program, SCRATCH_BASE, SCRATCH_SIZE};
use super::randgen_vfp::{generate_mix, Gen};

/// The T32 encoding of an Advanced SIMD A32 encoding.
pub fn to_t32(a: u32) -> u32 {
    match a >> 24 {
        0xf2 | 0xf3 => 0xef00_0000 | (a >> 24 & 1) << 28 | (a & 0x00ff_ffff),
        0xf4 => 0xf900_0000 | (a & 0x00ff_ffff),
        _ => a,
    }
}

fn fd(d: u32) -> u32 {
    (d & 15) << 12 | (d >> 4) << 22
}
fn fnn(n: u32) -> u32 {
    (n & 15) << 16 | (n >> 4) << 7
}
fn fm(m: u32) -> u32 {
    (m & 15) | (m >> 4) << 5
}

impl Gen<'_> {
    /// Pushes an unconditional Advanced SIMD instruction (A32 form).
    fn simd(&mut self, a32: u32) {
        if self.thumb {
            self.out.push((0, Some(to_t32(a32))));
        } else {
            self.out.push((a32, None));
        }
    }

    /// A D register able to start `count` registers, even if `q`.
    fn dreg(&mut self, q: bool, count: u32) -> u32 {
        loop {
            let r = self.rng.below(33 - count);
            if !q || r & 1 == 0 {
                return r;
            }
        }
    }

    /// Three same-length operands for a D (`q` false) or Q operation.
    fn same3(&mut self, q: bool) -> u32 {
        let c = if q { 2 } else { 1 };
        fd(self.dreg(q, c)) | fnn(self.dreg(q, c)) | fm(self.dreg(q, c)) | u32::from(q) << 6
    }

    fn three_same(&mut self) {
        // (A, B, U (2: either), sizes, Q allowed).
        const INT: &[(u32, u32, u32, &[u32], bool)] = &[
            (0, 0, 2, &[0, 1, 2], true),
            (0, 1, 2, &[0, 1, 2, 3], true),
            (1, 0, 2, &[0, 1, 2], true),
            (1, 1, 2, &[0, 1, 2, 3], true),
            (2, 0, 2, &[0, 1, 2], true),
            (2, 1, 2, &[0, 1, 2, 3], true),
            (3, 0, 2, &[0, 1, 2], true),
            (3, 1, 2, &[0, 1, 2], true),
            (4, 0, 2, &[0, 1, 2, 3], true),
            (4, 1, 2, &[0, 1, 2, 3], true),
            (5, 0, 2, &[0, 1, 2, 3], true),
            (5, 1, 2, &[0, 1, 2, 3], true),
            (6, 0, 2, &[0, 1, 2], true),
            (6, 1, 2, &[0, 1, 2], true),
            (7, 0, 2, &[0, 1, 2], true),
            (7, 1, 2, &[0, 1, 2], true),
            (8, 0, 2, &[0, 1, 2, 3], true),
            (8, 1, 2, &[0, 1, 2], true),
            (9, 0, 2, &[0, 1, 2], true),
            (9, 1, 0, &[0, 1, 2], true),
            (9, 1, 1, &[0], true),
            (10, 0, 2, &[0, 1, 2], false),
            (10, 1, 2, &[0, 1, 2], false),
            (11, 0, 2, &[1, 2], true),
            (11, 1, 0, &[0, 1, 2], false),
        ];
        // (A, B, U, C<1> (2: either), Q allowed).
        const FLOAT: &[(u32, u32, u32, u32, bool)] = &[
            (12, 1, 0, 2, true),
            (13, 0, 0, 2, true),
            (13, 0, 1, 0, false),
            (13, 0, 1, 1, true),
            (13, 1, 0, 2, true),
            (13, 1, 1, 0, true),
            (14, 0, 0, 0, true),
            (14, 0, 1, 2, true),
            (14, 1, 1, 2, true),
            (15, 0, 0, 2, true),
            (15, 0, 1, 2, false),
            (15, 1, 0, 2, true),
        ];
        let w = if self.rng.below(5) < 3 {
            let (a, b, u, sizes, q_ok) = self.rng.pick(INT);
            let u = if u == 2 { self.rng.bit() } else { u };
            let size = self.rng.pick(sizes);
            let q = q_ok && self.rng.bit() == 1;
            0xf200_0000 | u << 24 | size << 20 | a << 8 | b << 4 | self.same3(q)
        } else {
            let (a, b, u, c1, q_ok) = self.rng.pick(FLOAT);
            let c1 = if c1 == 2 { self.rng.bit() } else { c1 };
            let q = q_ok && self.rng.bit() == 1;
            0xf200_0000 | u << 24 | c1 << 21 | a << 8 | b << 4 | self.same3(q)
        };
        self.simd(w);
    }

    fn mod_imm(&mut self) {
        let (cmode, op) = loop {
            let c = self.rng.below(16);
            let o = self.rng.bit();
            if !(c == 15 && o == 1) {
                break (c, o);
            }
        };
        let q = self.rng.bit() == 1;
        let d = self.dreg(q, if q { 2 } else { 1 });
        let imm = self.rng.below(256);
        self.simd(
            0xf280_0010
                | (imm >> 7) << 24
                | (imm >> 4 & 7) << 16
                | fd(d)
                | cmode << 8
                | u32::from(q) << 6
                | op << 5
                | (imm & 15),
        );
    }

    fn shift_imm(&mut self) {
        let u = self.rng.bit();
        match self.rng.below(10) {
            0..=5 => {
                // Same length: A = 0-7.
                let a = loop {
                    let a = self.rng.below(8);
                    if !(a == 4 && u == 0) {
                        break a;
                    }
                };
                let op8 = if a >= 6 { a & 1 } else { 0 };
                let u = if a >= 6 && op8 == 0 { 1 } else { u };
                let es = 8 << self.rng.below(4);
                let left = a >= 5;
                let amount = if left {
                    self.rng.below(es)
                } else {
                    1 + self.rng.below(es)
                };
                let full = if left { es + amount } else { 2 * es - amount };
                let (l, imm6) = if es == 64 { (1, full - 64) } else { (0, full) };
                let q = self.rng.bit() == 1;
                let c = if q { 2 } else { 1 };
                let (d, m) = (self.dreg(q, c), self.dreg(q, c));
                self.simd(
                    0xf280_0010
                        | u << 24
                        | imm6 << 16
                        | (if a >= 6 { 6 | op8 } else { a }) << 8
                        | l << 7
                        | u32::from(q) << 6
                        | fd(d)
                        | fm(m),
                );
            }
            6 | 7 => {
                // Narrowing, Qm to Dd.
                let a = 8 + self.rng.bit();
                let es = 8 << self.rng.below(3);
                let amount = 1 + self.rng.below(es);
                let imm6 = 2 * es - amount;
                let (d, m) = (self.dreg(false, 1), self.dreg(true, 2));
                let round = self.rng.bit();
                self.simd(0xf280_0010 | u << 24 | imm6 << 16 | a << 8 | round << 6 | fd(d) | fm(m));
            }
            8 => {
                // VSHLL, VMOVL: Dm to Qd.
                let es = 8 << self.rng.below(3);
                let amount = self.rng.below(es);
                let (d, m) = (self.dreg(true, 2), self.dreg(false, 1));
                self.simd(0xf280_0a10 | u << 24 | (es + amount) << 16 | fd(d) | fm(m));
            }
            _ => {
                // VCVT between float and fixed point.
                let fbits = 1 + self.rng.below(32);
                let q = self.rng.bit() == 1;
                let c = if q { 2 } else { 1 };
                let (d, m) = (self.dreg(q, c), self.dreg(q, c));
                let to_fixed = self.rng.bit();
                self.simd(
                    0xf280_0e10
                        | u << 24
                        | (64 - fbits) << 16
                        | to_fixed << 8
                        | u32::from(q) << 6
                        | fd(d)
                        | fm(m),
                );
            }
        }
    }

    fn three_diff(&mut self) {
        // (A, U (2: either), sizes).
        const OPS: &[(u32, u32, &[u32])] = &[
            (0, 2, &[0, 1, 2]),
            (1, 2, &[0, 1, 2]),
            (2, 2, &[0, 1, 2]),
            (3, 2, &[0, 1, 2]),
            (4, 2, &[0, 1, 2]),
            (5, 2, &[0, 1, 2]),
            (6, 2, &[0, 1, 2]),
            (7, 2, &[0, 1, 2]),
            (8, 2, &[0, 1, 2]),
            (9, 0, &[1, 2]),
            (10, 2, &[0, 1, 2]),
            (11, 0, &[1, 2]),
            (12, 2, &[0, 1, 2]),
            (13, 0, &[1, 2]),
            (14, 0, &[0]),
        ];
        let (a, u, sizes) = self.rng.pick(OPS);
        let u = if u == 2 { self.rng.bit() } else { u };
        let size = self.rng.pick(sizes);
        let (dw, nw, mw) = match a {
            1 | 3 => (true, true, false),
            4 | 6 => (false, true, true),
            _ => (true, false, false),
        };
        let r = |g: &mut Self, wide: bool| g.dreg(wide, if wide { 2 } else { 1 });
        let (d, n, m) = (r(self, dw), r(self, nw), r(self, mw));
        self.simd(0xf280_0000 | u << 24 | size << 20 | a << 8 | fd(d) | fnn(n) | fm(m));
    }

    fn by_scalar(&mut self) {
        let a = self
            .rng
            .pick(&[0, 1, 4, 5, 8, 9, 12, 13, 2, 6, 10, 3, 7, 11]);
        let float = matches!(a, 1 | 5 | 9);
        let size = if float { 2 } else { 1 + self.rng.below(2) };
        let long = matches!(a, 2 | 3 | 6 | 7 | 10 | 11);
        let u = if matches!(a, 3 | 7 | 11) {
            0
        } else {
            self.rng.bit()
        };
        let (vm, mbit) = if size == 1 {
            let (m, idx) = (self.rng.below(8), self.rng.below(4));
            ((idx & 1) << 3 | m, idx >> 1)
        } else {
            (self.rng.below(16), self.rng.bit())
        };
        let (d, n) = if long {
            (self.dreg(true, 2), self.dreg(false, 1))
        } else {
            // Q is bit 24 (the U position).
            let q = u == 1;
            let c = if q { 2 } else { 1 };
            (self.dreg(q, c), self.dreg(q, c))
        };
        self.simd(0xf280_0040 | u << 24 | size << 20 | a << 8 | fd(d) | fnn(n) | mbit << 5 | vm);
    }

    fn misc(&mut self) {
        // (A, B<4:1>, sizes, layout: 0 same, 1 narrow Qm->Dd, 2 long Dm->Qd,
        // 3 half, 4 Q required for size 2, 5 float (size 2 only)).
        const OPS: &[(u32, u32, &[u32], u32)] = &[
            (0, 0, &[0, 1, 2], 0),
            (0, 1, &[0, 1], 0),
            (0, 2, &[0], 0),
            (0, 4, &[0, 1, 2], 0),
            (0, 5, &[0, 1, 2], 0),
            (0, 8, &[0, 1, 2], 0),
            (0, 9, &[0, 1, 2], 0),
            (0, 10, &[0], 0),
            (0, 11, &[0], 0),
            (0, 12, &[0, 1, 2], 0),
            (0, 13, &[0, 1, 2], 0),
            (0, 14, &[0, 1, 2], 0),
            (0, 15, &[0, 1, 2], 0),
            (1, 0, &[0, 1, 2], 0),
            (1, 1, &[0, 1, 2], 0),
            (1, 2, &[0, 1, 2], 0),
            (1, 3, &[0, 1, 2], 0),
            (1, 4, &[0, 1, 2], 0),
            (1, 6, &[0, 1, 2], 0),
            (1, 7, &[0, 1, 2], 0),
            (1, 8, &[2], 0),
            (1, 9, &[2], 0),
            (1, 10, &[2], 0),
            (1, 11, &[2], 0),
            (1, 12, &[2], 0),
            (1, 14, &[2], 0),
            (1, 15, &[2], 0),
            (2, 0, &[0], 0),
            (2, 1, &[0, 1, 2], 0),
            (2, 2, &[0, 1, 2], 4),
            (2, 3, &[0, 1, 2], 4),
            (2, 4, &[0, 1, 2], 1),
            (2, 5, &[0, 1, 2], 1),
            (2, 6, &[0, 1, 2], 2),
            (2, 12, &[1], 3),
            (2, 14, &[1], 3),
            (3, 8, &[2], 0),
            (3, 9, &[2], 0),
            (3, 10, &[2], 0),
            (3, 11, &[2], 0),
            (3, 12, &[2], 0),
            (3, 13, &[2], 0),
            (3, 14, &[2], 0),
            (3, 15, &[2], 0),
        ];
        let (a, b, sizes, layout) = self.rng.pick(OPS);
        let size = self.rng.pick(sizes);
        let bit6 = self.rng.bit();
        let (d, m, b6) = match layout {
            1 => (self.dreg(false, 1), self.dreg(true, 2), bit6),
            2 => (self.dreg(true, 2), self.dreg(false, 1), 0),
            3 => {
                if b == 14 {
                    (self.dreg(true, 2), self.dreg(false, 1), 0)
                } else {
                    (self.dreg(false, 1), self.dreg(true, 2), 0)
                }
            }
            _ => {
                let q = bit6 == 1 || (layout == 4 && size == 2);
                let c = if q { 2 } else { 1 };
                let d = self.dreg(q, c);
                // VTRN, VUZP, VZIP of a register with itself are
                // UNPREDICTABLE.
                let m = loop {
                    let m = self.dreg(q, c);
                    if !(a == 2 && (1..=3).contains(&b) && m == d) {
                        break m;
                    }
                };
                (d, m, u32::from(q))
            }
        };
        self.simd(0xf3b0_0000 | size << 18 | a << 16 | fd(d) | b << 7 | b6 << 6 | fm(m));
    }

    fn permute_and_table(&mut self) {
        match self.rng.below(3) {
            0 => {
                let q = self.rng.bit() == 1;
                let imm = self.rng.below(if q { 16 } else { 8 });
                let w = 0xf2b0_0000 | imm << 8 | self.same3(q);
                self.simd(w);
            }
            1 => {
                let len = 1 + self.rng.below(4);
                let n = self.rng.below(33 - len);
                let (d, m) = (self.dreg(false, 1), self.dreg(false, 1));
                let op = self.rng.bit();
                self.simd(0xf3b0_0800 | fnn(n) | fd(d) | (len - 1) << 8 | op << 6 | fm(m));
            }
            _ => {
                let size = self.rng.below(3);
                let idx = self.rng.below(8 >> size);
                let imm4 = (idx << 1 | 1) << size;
                let q = self.rng.bit() == 1;
                let d = self.dreg(q, if q { 2 } else { 1 });
                let m = self.dreg(false, 1);
                self.simd(0xf3b0_0c00 | imm4 << 16 | fd(d) | u32::from(q) << 6 | fm(m));
            }
        }
    }

    fn transfers(&mut self) {
        let c = self.cond();
        let t = self.core();
        let v = self.rng.below(32);
        if self.rng.below(3) == 0 {
            // VDUP from a core register.
            let (b, e) = self.rng.pick(&[(0, 0), (0, 1), (1, 0)]);
            let q = self.rng.bit();
            let v = if q == 1 { self.dreg(true, 2) } else { v };
            let w =
                0x0e80_0b10 | b << 22 | q << 21 | (v & 15) << 16 | t << 12 | (v >> 4) << 7 | e << 5;
            self.push(c, w);
            return;
        }
        let to_core = self.rng.bit();
        let (opc1, opc2, u) = match self.rng.below(3) {
            0 => {
                let idx = self.rng.below(8);
                (2 | idx >> 2, idx & 3, to_core & self.rng.bit())
            }
            1 => {
                let idx = self.rng.below(4);
                (idx >> 1, (idx & 1) << 1 | 1, to_core & self.rng.bit())
            }
            _ => (self.rng.bit(), 0, 0),
        };
        let w = 0x0e00_0b10
            | u << 23
            | opc1 << 21
            | to_core << 20
            | (v & 15) << 16
            | t << 12
            | (v >> 4) << 7
            | opc2 << 5;
        self.push(c, w);
    }

    /// A base register pointing into the scratch area, 32-byte aligned,
    /// and the Rm field (15: no writeback, 13: by the size, else a
    /// register holding a small step).
    fn ld_st_base(&mut self) -> (u32, u32) {
        let n = self.core();
        let base = (SCRATCH_BASE + 0x400 + self.rng.below(SCRATCH_SIZE as u32 - 0x800)) & !31;
        self.set_reg(n, base);
        let m = match self.rng.below(3) {
            0 => 15,
            1 => 13,
            _ => loop {
                let r = self.core();
                if r != n {
                    let step = self.rng.below(64) * 4;
                    self.set_reg(r, step);
                    break r;
                }
            },
        };
        (n, m)
    }

    fn simd_load_store(&mut self) {
        let (n, m) = self.ld_st_base();
        let l = self.rng.bit();
        let w = match self.rng.below(3) {
            0 => {
                // Multiple structures: (type, registers, size ok for 64,
                // allowed align values).
                const TYPES: &[(u32, u32, bool, &[u32])] = &[
                    (0b0111, 1, true, &[0, 1]),
                    (0b1010, 2, true, &[0, 1, 2]),
                    (0b0110, 3, true, &[0, 1]),
                    (0b0010, 4, true, &[0, 1, 2, 3]),
                    (0b1000, 2, false, &[0, 1, 2]),
                    (0b1001, 3, false, &[0, 1, 2]),
                    (0b0011, 4, false, &[0, 1, 2, 3]),
                    (0b0100, 3, false, &[0, 1]),
                    (0b0101, 5, false, &[0, 1]),
                    (0b0000, 4, false, &[0, 1, 2, 3]),
                    (0b0001, 7, false, &[0, 1, 2, 3]),
                ];
                let (ty, span, big, aligns) = self.rng.pick(TYPES);
                let size = self.rng.below(if big { 4 } else { 3 });
                let align = self.rng.pick(aligns);
                let d = self.rng.below(33 - span);
                0xf400_0000 | fd(d) | l << 21 | n << 16 | ty << 8 | size << 6 | align << 4 | m
            }
            1 => {
                // One lane.
                let members = self.rng.below(4);
                let size = self.rng.below(3);
                let index = self.rng.below(8 >> size);
                let spaced = members > 0 && size > 0 && self.rng.bit() == 1;
                let ia = match size {
                    0 => {
                        let a = if matches!(members, 1 | 3) {
                            self.rng.bit()
                        } else {
                            0
                        };
                        index << 1 | a
                    }
                    1 => {
                        let a = if members != 2 { self.rng.bit() } else { 0 };
                        index << 2 | u32::from(spaced) << 1 | a
                    }
                    _ => {
                        let a = match members {
                            0 => self.rng.pick(&[0, 3]),
                            1 => self.rng.bit(),
                            2 => 0,
                            _ => self.rng.below(3),
                        };
                        index << 3 | u32::from(spaced) << 2 | a
                    }
                };
                let span = (members + 1) * if spaced { 2 } else { 1 } - if spaced { 1 } else { 0 };
                let d = self.rng.below(33 - span);
                0xf480_0000 | fd(d) | l << 21 | n << 16 | size << 10 | members << 8 | ia << 4 | m
            }
            _ => {
                // All lanes (loads only).
                let members = self.rng.below(4);
                let t = self.rng.bit();
                let (size, a) = match members {
                    0 => {
                        let s = self.rng.below(3);
                        (s, if s == 0 { 0 } else { self.rng.bit() })
                    }
                    1 => (self.rng.below(3), self.rng.bit()),
                    2 => (self.rng.below(3), 0),
                    _ => {
                        let s = self.rng.below(4);
                        (s, if s == 3 { 1 } else { self.rng.bit() })
                    }
                };
                let span = if members == 0 {
                    1 + t
                } else {
                    (members + 1) * (1 + t) - t
                };
                let d = self.rng.below(33 - span);
                0xf4a0_0c00 | fd(d) | n << 16 | members << 8 | size << 6 | t << 5 | a << 4 | m
            }
        };
        self.simd(w);
    }

    /// One random group of Advanced SIMD instructions.
    pub(super) fn neon_group(&mut self) {
        // LOCKSTEP_NEON_GROUP=<n> keeps to one kind of group (0-19 as
        // below), to narrow down a difference.
        let only = std::env::var("LOCKSTEP_NEON_GROUP")
            .ok()
            .and_then(|v| v.parse().ok());
        let pick = self.rng.below(20);
        match only.unwrap_or(pick) {
            0..=4 => self.three_same(),
            5 => self.mod_imm(),
            6..=7 => self.shift_imm(),
            8..=9 => self.three_diff(),
            10 => self.by_scalar(),
            11..=13 => self.misc(),
            14 => self.permute_and_table(),
            15 => self.transfers(),
            16..=18 => self.simd_load_store(),
            _ => self.other(),
        }
    }
}

/// A random Advanced SIMD program in ARM state.
pub fn generate_a32(seed: u64, segments: usize, per_segment: usize) -> Program {
    generate_mix(seed, segments, per_segment, false, true)
}

/// A random Advanced SIMD program in Thumb state.
pub fn generate_t32(seed: u64, segments: usize, per_segment: usize) -> Program {
    generate_mix(seed, segments, per_segment, true, true)
}
