//! A seeded generator of random VFP programs, in ARM or Thumb state, for
//! the random-instruction tester (harness: tests/guest/randharness.S, its
//! `load_state_fp`/`dump_state_fp` entry points).
//!
//! Each segment starts from random core registers and flags, D0-D31 full
//! of floating-point values chosen to hit the corners (zeros, infinities,
//! quiet and signalling NaNs with payloads, denormals, the largest and
//! smallest normals, values around rounding boundaries, random bits), and
//! a random FPSCR (rounding mode, flush-to-zero, default NaN, sticky
//! flags). The instructions: every VFP data-processing operation in both
//! precisions, comparisons (read back with VMRS APSR_nzcv), conversions
//! between the precisions, half precision, integers and fixed point,
//! moves between core and extension registers, FPSCR reads and writes
//! that change the rounding mode and flush-to-zero mid-segment, and loads
//! and stores of single registers and lists into the scratch area. In
//! ARM state instructions carry random conditions; in Thumb state a
//! conditional one sits in an IT block. The dump shows everything.

use super::randgen::{Program, Rng, CODE_BASE, SCRATCH_BASE, SCRATCH_SIZE};
use super::randgen_t32::{movt32, movw32};

/// Record size of the floating-point harness entry points.
const RECORD: usize = 512;

const F32_SPECIAL: &[u32] = &[
    0x0000_0000,
    0x8000_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7fc1_2345,
    0x7f80_0001,
    0xff81_0000,
    0x7fbf_ffff,
    0x0000_0001,
    0x807f_ffff,
    0x0040_0000,
    0x0080_0000,
    0x8080_0000,
    0x7f7f_ffff,
    0xff7f_ffff,
    0x3f80_0000,
    0xbf80_0000,
    0x3f00_0000,
    0x4f00_0000,
    0xcf00_0000,
    0x4f80_0000,
    0x3f7f_ffff,
    0x3f80_0001,
    0x4b00_0000,
    0x4b00_0001,
    0x3eaa_aaab,
];

const F64_SPECIAL: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0001,
    0x7ff0_0000_0000_0001,
    0x7ff4_0000_0000_0000,
    0x0000_0000_0000_0001,
    0x800f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x3fe0_0000_0000_0000,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0000_0000,
    0x41f0_0000_0000_0000,
    0x3fef_ffff_ffff_ffff,
    0x3ff0_0000_0000_0001,
    0x4330_0000_0000_0000,
    0x47ef_ffff_e000_0000,
    0x380f_ffff_f000_0000,
    0x3810_0000_0000_0000,
];

/// A single-precision value biased toward the corners.
pub(super) fn f32_value(rng: &mut Rng) -> u32 {
    match rng.below(6) {
        0 | 1 => rng.pick(F32_SPECIAL),
        2 => {
            // A normal number of moderate exponent (so sums and products
            // mostly stay finite and inexact).
            let exp = 100 + rng.below(55);
            (rng.bit() << 31) | exp << 23 | (rng.next() as u32 & 0x7f_ffff)
        }
        3 => {
            // Small integers and halves: exact arithmetic, conversions.
            let v = rng.below(2000) as f32 / 4.0 - 250.0;
            v.to_bits()
        }
        _ => rng.next() as u32,
    }
}

/// A double-precision value biased toward the corners.
fn f64_value(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 | 1 => rng.pick(F64_SPECIAL),
        2 => {
            let exp = 900 + rng.below(250) as u64;
            u64::from(rng.bit()) << 63 | exp << 52 | (rng.next() & 0xf_ffff_ffff_ffff)
        }
        3 => {
            let v = rng.below(4000) as f64 / 8.0 - 250.0;
            v.to_bits()
        }
        // A single's value widened: conversions round trip.
        4 => f64::from(f32::from_bits(f32_value(rng))).to_bits(),
        _ => rng.next(),
    }
}

/// An FPSCR: rounding mode, FZ, DN, sticky flags (and N, Z, C, V, QC).
fn fpscr_value(rng: &mut Rng) -> u32 {
    let mut v = (rng.next() as u32) & 0xf800_009f;
    v |= rng.below(4) << 22;
    if rng.one_in(3) {
        v |= 1 << 24; // FZ
    }
    if rng.one_in(4) {
        v |= 1 << 25; // DN
    }
    if rng.one_in(8) {
        v |= 1 << 26; // AHP
    }
    v
}

pub(super) struct Gen<'a> {
    pub(super) rng: &'a mut Rng,
    pub(super) thumb: bool,
    /// Instructions (A32 words with a condition field; emitted later).
    pub(super) out: Vec<(u32, Option<u32>)>,
}

const AL: u32 = 0xe;

/// Pushes an instruction (its operands computed before `self` is borrowed).
macro_rules! emit {
    ($g:expr, $c:expr, $w:expr $(,)?) => {{
        let c = $c;
        let w = $w;
        $g.push(c, w)
    }};
}

impl Gen<'_> {
    pub(super) fn cond(&mut self) -> u32 {
        if self.rng.one_in(4) {
            self.rng.below(14)
        } else {
            AL
        }
    }
    /// Pushes an A32-form instruction with condition `c`.
    pub(super) fn push(&mut self, c: u32, w: u32) {
        self.out.push((c << 28 | (w & 0x0fff_ffff), None));
    }
    /// A core register move of `v` (MOVW/MOVT), unconditional.
    pub(super) fn set_reg(&mut self, rd: u32, v: u32) {
        if self.thumb {
            self.out.push((0, Some(movw32(rd, v))));
            self.out.push((0, Some(movt32(rd, v))));
        } else {
            self.out.push((
                0xe300_0000 | (v >> 12 & 0xf) << 16 | rd << 12 | (v & 0xfff),
                None,
            ));
            self.out.push((
                0xe340_0000 | (v >> 28 & 0xf) << 16 | rd << 12 | (v >> 16 & 0xfff),
                None,
            ));
        }
    }
    pub(super) fn core(&mut self) -> u32 {
        self.rng.below(13)
    }
    /// A register field pair: (4-bit field, extra bit) for a single (any of
    /// 32) or a double (any of 32).
    fn ext(&mut self) -> (u32, u32) {
        let r = self.rng.below(32);
        (r, 0)
    }
    /// Vd, Vn, Vm fields for precision `double`.
    fn fields(&mut self, double: bool) -> u32 {
        let mut w = 0;
        for (field, extra) in [(12, 22), (16, 7), (0, 5)] {
            let (r, _) = self.ext();
            let (v, x) = if double {
                (r & 15, r >> 4)
            } else {
                (r >> 1, r & 1)
            };
            w |= v << field | x << extra;
        }
        w
    }

    fn data_processing(&mut self) {
        let c = self.cond();
        let sz = self.rng.bit();
        let f = self.fields(sz == 1);
        let base = 0x0e00_0a00 | sz << 8 | f;
        let op = self.rng.bit() << 6;
        let w = match self.rng.below(8) {
            0 => base | self.rng.bit() << 20 | op, // VMLA family
            1 => base | 0x20_0000 | op,            // VMUL, VNMUL
            2 | 3 => base | 0x30_0000 | op,        // VADD, VSUB
            4 => (base | 0x80_0000) & !(1 << 6),   // VDIV
            5 => base | 0x90_0000 | op,            // VFNMA, VFNMS
            6 => base | 0xa0_0000 | op,            // VFMA, VFMS
            _ => {
                // VMOV imm.
                let d = f & 0x0040_f000;
                let imm = self.rng.below(256);
                0x0eb0_0a00 | sz << 8 | d | (imm >> 4) << 16 | (imm & 15)
            }
        };
        emit!(self, c, w);
    }

    pub(super) fn other(&mut self) {
        let c = self.cond();
        let sz = self.rng.bit();
        let f = self.fields(sz == 1) & !0x000f_0080; // Vd and Vm
        let base = 0x0eb0_0a40 | sz << 8 | f;
        match self.rng.below(12) {
            0 => emit!(self, c, base | self.rng.bit() << 7), // VMOV, VABS
            1 => emit!(self, c, base | 0x1_0000 | self.rng.bit() << 7), // VNEG, VSQRT
            2 => {
                // VCVTB/VCVTT, single only.
                let f = self.fields(false) & !0x000f_0080;
                emit!(
                    self,
                    c,
                    0x0eb2_0a40 | f | self.rng.bit() << 16 | self.rng.bit() << 7
                );
            }
            3 | 4 => {
                // VCMP{E} with a register or zero, then the flags to APSR.
                let e = self.rng.bit() << 7;
                if self.rng.bit() == 1 {
                    emit!(self, c, base | 0x4_0000 | e);
                } else {
                    emit!(self, c, (base & !0x2f) | 0x5_0000 | e);
                }
                if self.rng.bit() == 1 {
                    emit!(self, self.cond(), 0x0ef1_fa10);
                }
            }
            5 => {
                // VCVT between the precisions: Vd of the other size.
                let fd = self.fields(sz == 0) & 0x0040_f000;
                let fm = self.fields(sz == 1) & 0x0000_002f;
                emit!(self, c, 0x0eb7_0ac0 | sz << 8 | fd | fm);
            }
            6 => {
                // Integer to float: Sm single.
                let fm = self.fields(false) & 0x2f;
                let fd = f & 0x0040_f000;
                emit!(
                    self,
                    c,
                    0x0eb8_0a40 | sz << 8 | fd | fm | self.rng.bit() << 7
                );
            }
            7 => {
                // Float to integer: Sd single.
                let fd = self.fields(false) & 0x0040_f000;
                let fm = f & 0x2f;
                emit!(
                    self,
                    c,
                    0x0ebc_0a40 | sz << 8 | fd | fm | self.rng.bit() << 16 | self.rng.bit() << 7
                );
            }
            8 => {
                // Fixed point, in place.
                let sx = self.rng.bit();
                let size = if sx == 1 { 32 } else { 16 };
                // imm4:i is size - fbits: 0-16 for 16-bit, 0-31 for 32-bit.
                let imm = self.rng.below(if size == 32 { 32 } else { 17 });
                let fd = f & 0x0040_f000;
                emit!(
                    self,
                    c,
                    0x0eba_0a40
                        | sz << 8
                        | fd
                        | self.rng.bit() << 18
                        | self.rng.bit() << 16
                        | sx << 7
                        | (imm & 1) << 5
                        | imm >> 1,
                );
            }
            9 => {
                // VMOV core <-> single.
                let s = self.rng.below(32);
                let t = self.core();
                emit!(
                    self,
                    c,
                    0x0e00_0a10 | self.rng.bit() << 20 | (s >> 1) << 16 | t << 12 | (s & 1) << 7
                );
            }
            10 => {
                // VMOV two cores <-> two singles or a double.
                let t = self.core();
                let t2 = loop {
                    let r = self.core();
                    if r != t {
                        break r;
                    }
                };
                let (coproc, m, x) = if self.rng.bit() == 1 {
                    let d = self.rng.below(32);
                    (0xb, d & 15, d >> 4)
                } else {
                    let s = self.rng.below(31);
                    (0xa, s >> 1, s & 1)
                };
                emit!(
                    self,
                    c,
                    0x0c40_0010
                        | self.rng.bit() << 20
                        | t2 << 16
                        | t << 12
                        | coproc << 8
                        | x << 5
                        | m
                );
            }
            _ => {
                // FPSCR: read, or write a new rounding mode / FZ / DN.
                let t = self.core();
                if self.rng.bit() == 1 {
                    emit!(self, c, 0x0ef1_0a10 | t << 12);
                } else {
                    let v = fpscr_value(self.rng);
                    self.set_reg(t, v);
                    emit!(self, c, 0x0ee1_0a10 | t << 12);
                }
            }
        }
    }

    fn load_store(&mut self) {
        let n = self.core();
        let sz = self.rng.bit();
        let c = self.cond();
        if self.rng.bit() == 1 {
            // VLDR/VSTR.
            let base = (SCRATCH_BASE + 0x400 + self.rng.below(SCRATCH_SIZE as u32 - 0x800)) & !3;
            self.set_reg(n, base);
            let f = self.fields(sz == 1) & 0x0040_f000;
            let (u, imm) = (self.rng.bit(), self.rng.below(256));
            emit!(
                self,
                c,
                0x0d00_0a00 | u << 23 | self.rng.bit() << 20 | n << 16 | sz << 8 | f | imm
            );
        } else {
            // VLDM/VSTM IA (maybe with writeback) or DB with writeback.
            let count = 1 + self.rng.below(if sz == 1 { 8 } else { 16 });
            let first = self.rng.below(33 - count);
            let (v, x) = if sz == 1 {
                (first & 15, first >> 4)
            } else {
                (first >> 1, first & 1)
            };
            let base = (SCRATCH_BASE + 0x800 + self.rng.below(SCRATCH_SIZE as u32 - 0x1000)) & !3;
            self.set_reg(n, base);
            let (p, u, w) = if self.rng.bit() == 1 {
                (0, 1, self.rng.bit())
            } else {
                (1, 0, 1)
            };
            let imm8 = if sz == 1 { 2 * count } else { count };
            emit!(
                self,
                c,
                0x0c00_0a00
                    | p << 24
                    | u << 23
                    | x << 22
                    | w << 21
                    | self.rng.bit() << 20
                    | n << 16
                    | v << 12
                    | sz << 8
                    | imm8,
            );
        }
    }

    fn group(&mut self, neon: bool) {
        if neon {
            return self.neon_group();
        }
        match self.rng.below(10) {
            0..=3 => self.data_processing(),
            4..=7 => self.other(),
            _ => self.load_store(),
        }
    }
}

/// The halfwords (Thumb) or words (ARM) of `insns`: in Thumb state each
/// VFP instruction has condition 1110 and a conditional one an IT in
/// front of it.
fn encode(insns: &[(u32, Option<u32>)], thumb: bool, code: &mut Vec<u16>) {
    for &(w, t32) in insns {
        if let Some(t) = t32 {
            code.push((t >> 16) as u16);
            code.push(t as u16);
            continue;
        }
        if !thumb {
            code.push(w as u16);
            code.push((w >> 16) as u16);
            continue;
        }
        let cond = w >> 28;
        if cond != AL {
            code.push((0xbf08 | cond << 4) as u16); // IT <cond>
        }
        let t = 0xe000_0000 | (w & 0x0fff_ffff);
        code.push((t >> 16) as u16);
        code.push(t as u16);
    }
}

/// Generates a floating-point program of `segments` segments of
/// `per_segment` random groups each, in Thumb state if `thumb`.
pub fn generate(seed: u64, segments: usize, per_segment: usize, thumb: bool) -> Program {
    generate_mix(seed, segments, per_segment, thumb, false)
}

/// [`generate`], with Advanced SIMD instructions (`neon`) instead of VFP
/// ones (see `randgen_neon`).
pub fn generate_mix(
    seed: u64,
    segments: usize,
    per_segment: usize,
    thumb: bool,
    neon: bool,
) -> Program {
    const LOAD_STATE_FP: u32 = 0x4010_0010;
    const DUMP_STATE_FP: u32 = 0x4010_0014;
    const HARNESS_EXIT: u32 = 0x4010_000c;
    let mut rng = Rng::new(seed);
    let mut code: Vec<u16> = Vec::new();
    if thumb {
        // BLX from the ARM entry to the Thumb code after it.
        code.extend_from_slice(&[0xffff, 0xfaff]);
    }
    let call = |code: &mut Vec<u16>, to: u32| {
        let here = CODE_BASE + 2 * code.len() as u32;
        if thumb {
            code.extend_from_slice(&super::randgen_t32::blx_arm(here, to));
        } else {
            let w = 0xeb00_0000 | ((to.wrapping_sub(here + 8) >> 2) & 0x00ff_ffff);
            code.push(w as u16);
            code.push((w >> 16) as u16);
        }
    };
    let mut states = Vec::new();
    let mut random_insns = 0;
    for _ in 0..segments {
        call(&mut code, LOAD_STATE_FP);
        let mut g = Gen {
            rng: &mut rng,
            thumb,
            out: Vec::new(),
        };
        for _ in 0..per_segment {
            g.group(neon);
        }
        random_insns += g.out.len();
        let insns = std::mem::take(&mut g.out);
        encode(&insns, thumb, &mut code);
        call(&mut code, DUMP_STATE_FP);
        let mut record = super::randgen::core_record(&mut rng);
        for _ in 0..32 {
            let d = if rng.bit() == 1 {
                f64_value(&mut rng)
            } else {
                u64::from(f32_value(&mut rng)) | u64::from(f32_value(&mut rng)) << 32
            };
            record.extend_from_slice(&d.to_le_bytes());
        }
        record.extend_from_slice(&fpscr_value(&mut rng).to_le_bytes());
        record.resize(RECORD, 0);
        states.extend_from_slice(&record);
    }
    let here = CODE_BASE + 2 * code.len() as u32;
    if thumb {
        code.extend_from_slice(&super::randgen_t32::blx_arm(here, HARNESS_EXIT));
    } else {
        let w = 0xea00_0000 | ((HARNESS_EXIT.wrapping_sub(here + 8) >> 2) & 0x00ff_ffff);
        code.push(w as u16);
        code.push((w >> 16) as u16);
    }
    if !code.len().is_multiple_of(2) {
        code.push(0xbf00);
    }
    let words: Vec<u32> = code
        .chunks(2)
        .map(|c| u32::from(c[0]) | u32::from(c[1]) << 16)
        .collect();
    super::randgen::finish(words, states, &mut rng, random_insns)
}

/// [`generate`] in ARM state.
pub fn generate_a32(seed: u64, segments: usize, per_segment: usize) -> Program {
    generate(seed, segments, per_segment, false)
}

/// [`generate`] in Thumb state.
pub fn generate_t32(seed: u64, segments: usize, per_segment: usize) -> Program {
    generate(seed, segments, per_segment, true)
}
