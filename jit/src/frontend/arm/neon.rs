//! Advanced SIMD (NEON) data processing, bit for bit: the operations of
//! every Advanced SIMD data-processing instruction on the extension
//! registers.
//!
//! Each instruction class is one runtime helper that receives the
//! instruction's A32 encoding (a T32 encoding is converted first, see
//! [`super::decode_neon`]) and works on the register file in the
//! environment: a Q register is a pair of D registers, and a helper reads
//! all its operands before it writes a result, so overlapping operands
//! behave as the architecture says. The lifter has already checked the
//! encoding (reserved sizes, odd Q register numbers: UNDEFINED), so a
//! helper trusts its fields. Both backends call the same helpers, so they
//! agree by construction; docs/architecture.md says why NEON is helpers
//! rather than IR.
//!
//! Floating-point lanes follow ARM's rules through [`super::vfp`] under
//! the "standard FPSCR value" Advanced SIMD uses: flush-to-zero, default
//! NaN, round to nearest (and FPSCR.AHP for half precision); the
//! exceptions still accumulate in the FPSCR. Saturation sets FPSCR.QC.

use super::vfp::{self, fpscr, process_nans, unpack, ArmFloat, BinOp};
use super::{slots, vfp_d_slot};
use crate::float::{Float, Single};
use crate::ir::{Helper, StateUse};

/// The Advanced SIMD helpers touch no guest state but the extension
/// registers and the FPSCR.
const REGISTER_FILE: StateUse =
    StateUse::Ranges(&[(vfp_d_slot(0).offset, 32 * 8), (slots::FPSCR.offset, 4)]);
use lockstep_runtime::arm::ArmCpu;

/// FPSCR.QC: a saturating instruction saturated.
pub const QC: u32 = 1 << 27;

/// The exception flags of the FPSCR.
const FP_FLAGS: u32 = fpscr::IOC | fpscr::DZC | fpscr::OFC | fpscr::UFC | fpscr::IXC | fpscr::IDC;

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn bit(w: u32, n: u32) -> bool {
    w >> n & 1 != 0
}

/// The operands of a data-processing encoding (A32 form): the D register
/// numbers D:Vd, N:Vn, M:Vm, Q (bit 6), size (21:20), U (24).
#[derive(Clone, Copy, Debug)]
pub struct Ops {
    /// First D register of the destination.
    pub d: usize,
    /// First D register of the first operand.
    pub n: usize,
    /// First D register of the second operand.
    pub m: usize,
    /// Quadword operation.
    pub q: bool,
    /// The size field.
    pub size: u32,
    /// The U bit.
    pub u: bool,
}

impl Ops {
    /// Decodes the common fields.
    pub fn of(w: u32) -> Ops {
        Ops {
            d: (u32::from(bit(w, 22)) << 4 | bits(w, 15, 12)) as usize,
            n: (u32::from(bit(w, 7)) << 4 | bits(w, 19, 16)) as usize,
            m: (u32::from(bit(w, 5)) << 4 | bits(w, 3, 0)) as usize,
            q: bit(w, 6),
            size: bits(w, 21, 20),
            u: bit(w, 24),
        }
    }

    /// D registers per operand: 1, or 2 for a Q operation.
    pub fn regs(&self) -> usize {
        if self.q {
            2
        } else {
            1
        }
    }

    /// Element size in bits.
    pub fn esize(&self) -> u32 {
        8 << self.size
    }
}

// ------------------------------------------------------------- elements

fn mask(esize: u32) -> u64 {
    if esize >= 64 {
        u64::MAX
    } else {
        (1 << esize) - 1
    }
}

/// Element `i` of `v` (esize bits, zero-extended).
pub fn elem(v: u64, esize: u32, i: u32) -> u64 {
    (v >> (i * esize)) & mask(esize)
}

/// `v` with element `i` replaced by `x`.
pub fn with_elem(v: u64, esize: u32, i: u32, x: u64) -> u64 {
    let m = mask(esize) << (i * esize);
    (v & !m) | ((x << (i * esize)) & m)
}

/// `x` (esize bits) sign-extended.
fn sx(x: u64, esize: u32) -> i128 {
    i128::from(((x << (64 - esize)) as i64) >> (64 - esize))
}

/// `x` as a signed or unsigned integer.
fn int(x: u64, esize: u32, unsigned: bool) -> i128 {
    if unsigned {
        i128::from(x & mask(esize))
    } else {
        sx(x, esize)
    }
}

/// Saturates `v` to esize bits, signed or not; sets `qc` when it does.
fn sat(v: i128, esize: u32, unsigned: bool, qc: &mut bool) -> u64 {
    let (lo, hi) = if unsigned {
        (0, (1i128 << esize) - 1)
    } else {
        (-(1i128 << (esize - 1)), (1i128 << (esize - 1)) - 1)
    };
    let c = v.clamp(lo, hi);
    if c != v {
        *qc = true;
    }
    c as u64 & mask(esize)
}

fn ones_if(c: bool, esize: u32) -> u64 {
    if c {
        mask(esize)
    } else {
        0
    }
}

/// The register file and the FPSCR updates of one helper call.
struct Regs<'a> {
    cpu: &'a mut ArmCpu,
    qc: bool,
    fp: u32,
}

impl<'a> Regs<'a> {
    fn new(cpu: &'a mut ArmCpu) -> Self {
        // The standard FPSCR value: FZ, DN, round to nearest, and AHP;
        // with the cumulative flags so far (they only accumulate).
        let fp = fpscr::FZ | fpscr::DN | (cpu.fpscr & (fpscr::AHP | FP_FLAGS));
        Regs { cpu, qc: false, fp }
    }
    fn d(&self, i: usize) -> u64 {
        self.cpu.vfp[i & 31]
    }
    fn set(&mut self, i: usize, v: u64) {
        self.cpu.vfp[i & 31] = v;
    }
    /// `n` consecutive D registers from `first`.
    fn read(&self, first: usize, n: usize) -> [u64; 4] {
        let mut r = [0; 4];
        for (k, x) in r.iter_mut().enumerate().take(n) {
            *x = self.d(first + k);
        }
        r
    }
}

impl Drop for Regs<'_> {
    fn drop(&mut self) {
        if self.qc {
            self.cpu.fpscr |= QC;
        }
        self.cpu.fpscr |= self.fp & FP_FLAGS;
    }
}

fn cpu<'a>(env: *mut u8) -> &'a mut ArmCpu {
    &mut unsafe { super::helpers::arm(env) }.arch
}

macro_rules! helper {
    ($name:ident, $func:ident, $doc:literal) => {
        #[doc = $doc]
        pub static $name: Helper = Helper {
            name: stringify!($func),
            func: $func,
            may_fault: false,
            state: REGISTER_FILE,
        };
    };
}

/// Applies `f(n, m, d) -> d'` to every element of a three-register
/// operation of one length.
///
/// Each doubleword of the result is computed from its operands' and
/// written before the next is read: Q operands are even register pairs,
/// so a destination can only overlap a source whole, in the same half.
#[inline(always)]
fn lanes3(r: &mut Regs, o: Ops, esize: u32, mut f: impl FnMut(&mut Regs, u64, u64, u64) -> u64) {
    for k in 0..o.regs() {
        let (n, m, d) = (r.d(o.n + k), r.d(o.m + k), r.d(o.d + k));
        let mut out = d;
        for i in 0..64 / esize {
            let x = f(r, elem(n, esize, i), elem(m, esize, i), elem(d, esize, i));
            out = with_elem(out, esize, i, x);
        }
        r.set(o.d + k, out);
    }
}

/// Pairwise: the pairs of Dn then of Dm (doubleword only).
fn pairwise(r: &mut Regs, o: Ops, esize: u32, mut f: impl FnMut(&mut Regs, u64, u64) -> u64) {
    let (n, m) = (r.d(o.n), r.d(o.m));
    let half = 32 / esize;
    let mut out = 0;
    for i in 0..half {
        out = with_elem(
            out,
            esize,
            i,
            f(r, elem(n, esize, 2 * i), elem(n, esize, 2 * i + 1)),
        );
        out = with_elem(
            out,
            esize,
            half + i,
            f(r, elem(m, esize, 2 * i), elem(m, esize, 2 * i + 1)),
        );
    }
    r.set(o.d, out);
}

// ----------------------------------------------------------- integer ops

/// A shift of `x` by the signed amount `s` (VSHL and friends by
/// register): left when positive, right when negative; rounding right
/// shifts add half the last bit shifted out; saturating ones clamp.
fn shift_reg(
    x: u64,
    s: i32,
    esize: u32,
    unsigned: bool,
    round: bool,
    saturate: bool,
    qc: &mut bool,
) -> u64 {
    let v = int(x, esize, unsigned);
    let r = if s >= 0 {
        let s = s as u32;
        if s >= esize {
            // Everything is shifted out: zero, or saturation.
            match v {
                0 => 0,
                _ if v > 0 => 1i128 << 64,
                _ => -(1i128 << 64),
            }
        } else {
            v << s
        }
    } else {
        let s = (-s).min(esize as i32 + 1) as u32;
        let rounded = if round { v + (1i128 << (s - 1)) } else { v };
        rounded >> s
    };
    if saturate {
        sat(r, esize, unsigned, qc)
    } else {
        r as u64 & mask(esize)
    }
}

/// Carry-less (polynomial) multiplication, the low `esize` bits... or
/// all of them (`long`).
fn pmul(a: u64, b: u64, esize: u32) -> u64 {
    let mut r = 0u64;
    for i in 0..esize {
        if b >> i & 1 != 0 {
            r ^= a << i;
        }
    }
    r
}

fn three_same_int(r: &mut Regs, w: u32) {
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let b = bit(w, 4);
    let u = o.u;
    let es = o.esize();
    match (a, b) {
        (0b0001, true) => {
            // Bitwise operations on whole registers (size selects).
            let n = r.read(o.n, o.regs());
            let m = r.read(o.m, o.regs());
            let d = r.read(o.d, o.regs());
            for k in 0..o.regs() {
                let (x, y, z) = (n[k], m[k], d[k]);
                let v = match (u, o.size) {
                    (false, 0) => x & y,
                    (false, 1) => x & !y,
                    (false, 2) => x | y,
                    (false, _) => x | !y,
                    (true, 0) => x ^ y,
                    (true, 1) => (x & z) | (y & !z),
                    (true, 2) => (x & y) | (z & !y),
                    (true, _) => (z & y) | (x & !y),
                };
                r.set(o.d + k, v);
            }
        }
        (0b1010, _) | (0b1011, true) => {
            let op = |x: u64, y: u64| -> u64 {
                let (p, q) = (int(x, es, u), int(y, es, u));
                let v = match (a, b) {
                    (0b1010, false) => p.max(q),
                    (0b1010, true) => p.min(q),
                    _ => p + q,
                };
                v as u64 & mask(es)
            };
            pairwise(r, o, es, |_, x, y| op(x, y));
        }
        _ => lanes3(r, o, es, |r, x, y, z| {
            let (p, q) = (int(x, es, u), int(y, es, u));
            let m = mask(es);
            match (a, b) {
                (0b0000, false) => ((p + q) >> 1) as u64 & m,
                (0b0000, true) => sat(p + q, es, u, &mut r.qc),
                (0b0001, false) => ((p + q + 1) >> 1) as u64 & m,
                (0b0010, false) => ((p - q) >> 1) as u64 & m,
                (0b0010, true) => sat(p - q, es, u, &mut r.qc),
                (0b0011, false) => ones_if(p > q, es),
                (0b0011, true) => ones_if(p >= q, es),
                // Shift by register: the value is Vm, the shift Vn's low byte.
                (0b0100 | 0b0101, _) => {
                    let s = sx(x & 0xff, 8) as i32;
                    shift_reg(y, s, es, u, a == 0b0101, b, &mut r.qc)
                }
                (0b0110, false) => p.max(q) as u64 & m,
                (0b0110, true) => p.min(q) as u64 & m,
                (0b0111, false) => (p - q).unsigned_abs() as u64 & m,
                (0b0111, true) => (z.wrapping_add((p - q).unsigned_abs() as u64)) & m,
                (0b1000, false) if !u => x.wrapping_add(y) & m,
                (0b1000, false) => x.wrapping_sub(y) & m,
                (0b1000, true) if !u => ones_if(x & y != 0, es),
                (0b1000, true) => ones_if(x == y, es),
                (0b1001, false) if !u => z.wrapping_add(x.wrapping_mul(y)) & m,
                (0b1001, false) => z.wrapping_sub(x.wrapping_mul(y)) & m,
                (0b1001, true) if !u => x.wrapping_mul(y) & m,
                (0b1001, true) => pmul(x, y, es) & m,
                // VQDMULH, VQRDMULH (signed).
                (0b1011, false) => {
                    let (p, q) = (sx(x, es), sx(y, es));
                    let round = if u { 1i128 << (es - 1) } else { 0 };
                    sat((2 * p * q + round) >> es, es, false, &mut r.qc)
                }
                _ => z,
            }
        }),
    }
}

// ------------------------------------------------------------- float ops

type F32 = Single;

fn fbin(op: BinOp, a: u64, b: u64, fp: &mut u32) -> u64 {
    vfp::binop::<F32>(op, a, b, fp)
}

/// FPMax/FPMin: NaNs as arithmetic does; +0 is the larger zero.
fn fmaxmin(a: u64, b: u64, max: bool, fp: &mut u32) -> u64 {
    let x: F32 = unpack(a, fp);
    let y: F32 = unpack(b, fp);
    if let Some(nan) = process_nans(&[x, y], fp) {
        return nan;
    }
    if x.is_zero() && y.is_zero() {
        let neg = if max {
            x.is_negative() && y.is_negative()
        } else {
            x.is_negative() || y.is_negative()
        };
        return if neg { 0x8000_0000 } else { 0 };
    }
    let pick_x = if max { x > y } else { x < y };
    if pick_x {
        x.bits()
    } else {
        y.bits()
    }
}

/// Float comparisons: 0 EQ, 1 GE, 2 GT; `abs` compares magnitudes.
fn fcmp(a: u64, b: u64, kind: u32, abs: bool, fp: &mut u32) -> bool {
    let x: F32 = unpack(a, fp);
    let y: F32 = unpack(b, fp);
    let (x, y) = if abs { (x.abs(), y.abs()) } else { (x, y) };
    if x.is_nan() || y.is_nan() {
        if kind != 0 || x.is_signaling() || y.is_signaling() {
            *fp |= fpscr::IOC;
        }
        return false;
    }
    match kind {
        0 => x == y,
        1 => x >= y,
        _ => x > y,
    }
}

/// FPRecipStep (VRECPS): 2 - a*b, with inf*0 giving 2.
fn recip_step(a: u64, b: u64, fp: &mut u32, rsqrt: bool) -> u64 {
    let x: F32 = unpack(a, fp);
    let y: F32 = unpack(b, fp);
    if let Some(nan) = process_nans(&[x, y], fp) {
        return nan;
    }
    let inf_zero = (x.is_infinite() && y.is_zero()) || (x.is_zero() && y.is_infinite());
    let product = if inf_zero {
        0
    } else {
        fbin(BinOp::Mul, a, b, fp)
    };
    if rsqrt {
        // (3 - a*b) / 2
        let diff = fbin(BinOp::Sub, 0x4040_0000, product, fp);
        fbin(BinOp::Div, diff, 0x4000_0000, fp)
    } else {
        fbin(BinOp::Sub, 0x4000_0000, product, fp)
    }
}

fn three_same_float(r: &mut Regs, w: u32) {
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let b = bit(w, 4);
    let u = o.u;
    let c1 = bit(w, 21);
    match (a, b, u) {
        (0b1101, false, true) if !c1 => {
            return pairwise(r, o, 32, |r, x, y| fbin(BinOp::Add, x, y, &mut r.fp));
        }
        (0b1111, false, true) => {
            return pairwise(r, o, 32, |r, x, y| fmaxmin(x, y, !c1, &mut r.fp));
        }
        _ => {}
    }
    lanes3(r, o, 32, |r, x, y, z| {
        let fp = &mut r.fp;
        match (a, b, u) {
            (0b1100, true, false) => {
                // VFMA, VFMS (Vn negated).
                let x = if c1 { x ^ 0x8000_0000 } else { x };
                vfp::mul_add::<F32>(z, x, y, fp)
            }
            (0b1101, false, false) => fbin(if c1 { BinOp::Sub } else { BinOp::Add }, x, y, fp),
            (0b1101, false, true) => fbin(BinOp::Sub, x, y, fp) & 0x7fff_ffff,
            (0b1101, true, false) => {
                let p = fbin(BinOp::Mul, x, y, fp);
                let p = if c1 { p ^ 0x8000_0000 } else { p };
                fbin(BinOp::Add, z, p, fp)
            }
            (0b1101, true, true) => fbin(BinOp::Mul, x, y, fp),
            (0b1110, false, false) => ones_if(fcmp(x, y, 0, false, fp), 32),
            (0b1110, false, true) => ones_if(fcmp(x, y, if c1 { 2 } else { 1 }, false, fp), 32),
            (0b1110, true, true) => ones_if(fcmp(x, y, if c1 { 2 } else { 1 }, true, fp), 32),
            (0b1111, false, false) => fmaxmin(x, y, !c1, fp),
            (0b1111, true, false) => recip_step(x, y, fp, c1),
            _ => z,
        }
    });
}

unsafe extern "C" fn three_same(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    // A = 1100 with B clear is not a float operation (nor anything else).
    let a = bits(w, 11, 8);
    if a >= 0b1101 || (a == 0b1100 && bit(w, 4)) {
        three_same_float(&mut r, w);
    } else {
        three_same_int(&mut r, w);
    }
    0
}
helper!(
    THREE_SAME,
    three_same,
    "Three registers of the same length (A = 11:8, B = 4, U, C = 21:20)."
);

// ------------------------------------------------- one register, immediate

/// AdvSIMDExpandImm: the 64-bit constant of a modified-immediate
/// encoding (`op` bit 5, `cmode` 11:8, `imm8`).
pub fn expand_imm(op: bool, cmode: u32, imm8: u32) -> u64 {
    let i = u64::from(imm8);
    let rep32 = |x: u64| x | x << 32;
    let rep16 = |x: u64| rep32(x | x << 16);
    match cmode >> 1 {
        0 => rep32(i),
        1 => rep32(i << 8),
        2 => rep32(i << 16),
        3 => rep32(i << 24),
        4 => rep16(i),
        5 => rep16(i << 8),
        6 => {
            if cmode & 1 == 0 {
                rep32(i << 8 | 0xff)
            } else {
                rep32(i << 16 | 0xffff)
            }
        }
        _ => match (cmode & 1, op) {
            (0, false) => {
                let b = i;
                b * 0x0101_0101_0101_0101
            }
            (0, true) => {
                let mut v = 0u64;
                for k in 0..8 {
                    if imm8 >> k & 1 != 0 {
                        v |= 0xff << (8 * k);
                    }
                }
                v
            }
            // A single-precision constant, repeated.
            _ => {
                let a = u64::from(imm8 >> 7 & 1);
                let b = u64::from(imm8 >> 6 & 1);
                let f = a << 31
                    | (b ^ 1) << 30
                    | (if b == 1 { 0x1f } else { 0 }) << 25
                    | (i & 0x3f) << 19;
                rep32(f)
            }
        },
    }
}

unsafe extern "C" fn mod_imm(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let cmode = bits(w, 11, 8);
    let op = bit(w, 5);
    let imm8 = u32::from(bit(w, 24)) << 7 | bits(w, 18, 16) << 4 | bits(w, 3, 0);
    let imm = expand_imm(op, cmode, imm8);
    for k in 0..o.regs() {
        let d = r.d(o.d + k);
        let v = match (cmode, op) {
            // VORR, VBIC (the 32- and 16-bit shifted forms with cmode<0> set).
            (c, false) if c & 1 == 1 && c < 0b1100 => d | imm,
            (c, true) if c & 1 == 1 && c < 0b1100 => d & !imm,
            (0b1110, true) | (0b1111, false) => imm,
            (_, true) => !imm,
            _ => imm,
        };
        r.set(o.d + k, v);
    }
    0
}
helper!(
    MOD_IMM,
    mod_imm,
    "One register and a modified immediate: VMOV, VMVN, VORR, VBIC."
);

// ------------------------------------------------------ shifts by immediate

/// The element size and shift amount of a shift-by-immediate encoding:
/// (esize, right shift amount, left shift amount).
pub fn shift_imm_fields(w: u32) -> (u32, u32, u32) {
    let imm6 = bits(w, 21, 16);
    let l = bit(w, 7);
    let esize = if l {
        64
    } else if imm6 >> 5 == 1 {
        32
    } else if imm6 >> 4 == 1 {
        16
    } else {
        8
    };
    let full = if l { imm6 + 64 } else { imm6 };
    (esize, 2 * esize - full, full - esize)
}

unsafe extern "C" fn shift_imm(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let u = o.u;
    let (es, right, left) = shift_imm_fields(w);
    match a {
        0b1000 | 0b1001 => {
            // Narrowing right shifts: Qm (elements of 2*esize) to Dd, where
            // the encoded esize is the destination's... of the source half.
            let src_es = 2 * es;
            let shift = right;
            let round = bit(w, 6);
            let m = r.read(o.m, 2);
            let mut out = 0u64;
            for (k, &mk) in m.iter().take(2).enumerate() {
                for i in 0..64 / src_es {
                    let x = elem(mk, src_es, i);
                    let (src_unsigned, dst_unsigned, saturate) = match (a, u) {
                        (0b1000, false) => (true, true, false), // VSHRN, VRSHRN
                        (0b1000, true) => (false, true, true),  // VQSHRUN, VQRSHRUN
                        (_, false) => (false, false, true),     // VQSHRN.S
                        (_, true) => (true, true, true),        // VQSHRN.U
                    };
                    let v = int(x, src_es, src_unsigned);
                    let v = if round { v + (1i128 << (shift - 1)) } else { v } >> shift;
                    let y = if saturate {
                        sat(v, es, dst_unsigned, &mut r.qc)
                    } else {
                        v as u64 & mask(es)
                    };
                    out = with_elem(out, es, k as u32 * (64 / src_es) + i, y);
                }
            }
            r.set(o.d, out);
        }
        0b1010 => {
            // VSHLL, VMOVL: Dm to Qd, widened then shifted left.
            let m = r.d(o.m);
            let mut out = [0u64; 2];
            for i in 0..64 / es {
                let v = int(elem(m, es, i), es, u) << left;
                let per = 64 / (2 * es);
                let k = (i / per) as usize;
                out[k] = with_elem(out[k], 2 * es, i % per, v as u64);
            }
            r.set(o.d, out[0]);
            r.set(o.d + 1, out[1]);
        }
        0b1110 | 0b1111 => {
            // VCVT between float and fixed point: fbits = 64 - imm6.
            let fbits = 64 - bits(w, 21, 16);
            let to_fixed = bit(w, 8);
            lanes3(&mut r, Ops { n: o.m, ..o }, 32, |r, x, _, _| {
                if to_fixed {
                    vfp::to_fixed::<F32>(x, fbits, u, 32, true, &mut r.fp)
                } else {
                    vfp::from_fixed::<F32>(x, fbits, u, 32, true, &mut r.fp)
                }
            });
        }
        _ => {
            let m = r.read(o.m, o.regs());
            let d = r.read(o.d, o.regs());
            for k in 0..o.regs() {
                let mut out = d[k];
                for i in 0..64 / es {
                    let x = elem(m[k], es, i);
                    let z = elem(d[k], es, i);
                    let y = match a {
                        // VSHR, VSRA, VRSHR, VRSRA.
                        0b0000..=0b0011 => {
                            let v = int(x, es, u);
                            let v = if a & 2 != 0 {
                                v + (1i128 << (right - 1))
                            } else {
                                v
                            };
                            let s = (v >> right) as u64 & mask(es);
                            if a & 1 != 0 {
                                z.wrapping_add(s) & mask(es)
                            } else {
                                s
                            }
                        }
                        // VSRI.
                        0b0100 => {
                            let keep = if right >= es {
                                mask(es)
                            } else {
                                !(mask(es) >> right) & mask(es)
                            };
                            let s = if right >= es { 0 } else { x >> right };
                            (z & keep) | s
                        }
                        // VSHL, VSLI.
                        0b0101 => {
                            let s = (x << left) & mask(es);
                            if u {
                                let keep = (1u64 << left) - 1;
                                (z & keep) | s
                            } else {
                                s
                            }
                        }
                        // VQSHLU (U=1, op=0), VQSHL (op=1).
                        _ => {
                            let op = bit(w, 8);
                            let (src_unsigned, dst_unsigned) =
                                if op { (u, u) } else { (false, true) };
                            let v = int(x, es, src_unsigned) << left;
                            sat(v, es, dst_unsigned, &mut r.qc)
                        }
                    };
                    out = with_elem(out, es, i, y);
                }
                r.set(o.d + k, out);
            }
        }
    }
    0
}
helper!(SHIFT_IMM, shift_imm, "Two registers and a shift amount.");

// ------------------------------------------------------ different lengths

/// VQDMULL and, accumulating into `z`, VQDMLAL and VQDMLSL: the doubled
/// product of two `es`-bit elements, saturated to `2 * es` bits, then
/// added (`op` 1), subtracted (3) or alone (any other), saturated again.
fn qdmull_acc(x: u64, y: u64, z: u64, es: u32, op: u32, qc: &mut bool) -> u64 {
    let wide = 2 * es;
    let p = sat(2 * sx(x, es) * sx(y, es), wide, false, qc);
    match op {
        1 => sat(sx(z, wide) + sx(p, wide), wide, false, qc),
        3 => sat(sx(z, wide) - sx(p, wide), wide, false, qc),
        _ => p,
    }
}

unsafe extern "C" fn three_diff(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let u = o.u;
    let es = o.esize();
    let wide = 2 * es;
    let n = r.read(o.n, 2);
    let m = r.d(o.m);
    let d = r.read(o.d, 2);
    let per = 64 / wide;
    // The narrow operand's element i, and the wide operand's.
    let narrow_n = |i: u32| elem(n[0], es, i);
    let wide_n = |i: u32| elem(n[(i / per) as usize], wide, i % per);
    let wide_m = |i: u32| {
        elem(
            if i / per == 0 { r.d(o.m) } else { r.d(o.m + 1) },
            wide,
            i % per,
        )
    };
    if matches!(a, 0b0100 | 0b0110) {
        // VADDHN, VRADDHN, VSUBHN, VRSUBHN: wide + wide, high halves to Dd.
        let mut out = 0;
        for i in 0..64 / es {
            let (x, y) = (wide_n(i), wide_m(i));
            let s = if a == 0b0100 {
                x.wrapping_add(y)
            } else {
                x.wrapping_sub(y)
            };
            let s = if u { s.wrapping_add(1 << (es - 1)) } else { s };
            out = with_elem(out, es, i, (s & mask(wide)) >> es);
        }
        r.set(o.d, out);
        return 0;
    }
    let mut out = d;
    for i in 0..64 / es {
        let k = (i / per) as usize;
        let j = i % per;
        let z = elem(d[k], wide, j);
        let xm = elem(m, es, i);
        let y = match a {
            0b0000..=0b0011 => {
                let x = if a & 1 == 0 {
                    int(narrow_n(i), es, u)
                } else {
                    int(wide_n(i), wide, u)
                };
                let y = int(xm, es, u);
                (if a & 2 == 0 { x + y } else { x - y }) as u64
            }
            0b0101 => {
                z.wrapping_add((int(narrow_n(i), es, u) - int(xm, es, u)).unsigned_abs() as u64)
            }
            0b0111 => (int(narrow_n(i), es, u) - int(xm, es, u)).unsigned_abs() as u64,
            0b1000 => z.wrapping_add((int(narrow_n(i), es, u) * int(xm, es, u)) as u64),
            0b1010 => z.wrapping_sub((int(narrow_n(i), es, u) * int(xm, es, u)) as u64),
            0b1100 => (int(narrow_n(i), es, u) * int(xm, es, u)) as u64,
            0b1110 => pmul(narrow_n(i), xm, es),
            // VQDMLAL, VQDMLSL, VQDMULL.
            _ => {
                let op = match a {
                    0b1001 => 1,
                    0b1011 => 3,
                    _ => 0,
                };
                qdmull_acc(narrow_n(i), xm, z, es, op, &mut r.qc)
            }
        };
        out[k] = with_elem(out[k], wide, j, y & mask(wide));
    }
    r.set(o.d, out[0]);
    r.set(o.d + 1, out[1]);
    0
}
helper!(
    THREE_DIFF,
    three_diff,
    "Three registers of different lengths (long, wide, narrow)."
);

// -------------------------------------------------- two registers, scalar

/// The scalar operand of a by-scalar encoding: (D register, index).
pub fn scalar_operand(w: u32, size: u32) -> (usize, u32) {
    let vm = bits(w, 3, 0);
    let m = u32::from(bit(w, 5));
    if size == 1 {
        ((vm & 7) as usize, m << 1 | vm >> 3)
    } else {
        (vm as usize, m)
    }
}

unsafe extern "C" fn scalar(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let es = o.esize();
    let (dm, idx) = scalar_operand(w, o.size);
    let s = elem(r.d(dm), es, idx);
    let u = o.u;
    let float = bit(w, 8) && matches!(a, 0b0000 | 0b0001 | 0b0100 | 0b0101 | 0b1000 | 0b1001);
    match a {
        // Same length: VMLA, VMLS, VMUL, VQDMULH, VQRDMULH (Q is U here).
        0b0000 | 0b0001 | 0b0100 | 0b0101 | 0b1000 | 0b1001 | 0b1100 | 0b1101 => {
            let o = Ops { q: u, ..o };
            if float && r.fp & fpscr::IXC != 0 {
                // Every lane at host speed where that is exact (see
                // `mul_acc_fast`); the general path otherwise.
                let mut out = [0u64; 2];
                let all = (0..o.regs()).all(|k| {
                    mul_acc_fast(r.d(o.n + k), s as u32, r.d(o.d + k), a)
                        .map(|v| out[k] = v)
                        .is_some()
                });
                if all {
                    for (k, &v) in out.iter().enumerate().take(o.regs()) {
                        r.set(o.d + k, v);
                    }
                    return 0;
                }
            }
            lanes3(&mut r, o, es, |r, x, _, z| {
                if float {
                    let p = fbin(BinOp::Mul, x, s, &mut r.fp);
                    match a {
                        0b0001 => fbin(BinOp::Add, z, p, &mut r.fp),
                        0b0101 => fbin(BinOp::Sub, z, p, &mut r.fp),
                        _ => p,
                    }
                } else {
                    let m = mask(es);
                    match a {
                        0b0000 => z.wrapping_add(x.wrapping_mul(s)) & m,
                        0b0100 => z.wrapping_sub(x.wrapping_mul(s)) & m,
                        0b1000 => x.wrapping_mul(s) & m,
                        _ => {
                            let round = if a == 0b1101 { 1i128 << (es - 1) } else { 0 };
                            sat(
                                (2 * sx(x, es) * sx(s, es) + round) >> es,
                                es,
                                false,
                                &mut r.qc,
                            )
                        }
                    }
                }
            });
        }
        // Long: VMLAL, VMLSL, VMULL, VQDMLAL, VQDMLSL, VQDMULL.
        _ => {
            let wide = 2 * es;
            let per = 64 / wide;
            let n = r.d(o.n);
            let d = r.read(o.d, 2);
            let mut out = [d[0], d[1]];
            for i in 0..64 / es {
                let k = (i / per) as usize;
                let j = i % per;
                let z = elem(d[k], wide, j);
                let x = elem(n, es, i);
                let y = match a {
                    0b0010 => z.wrapping_add((int(x, es, u) * int(s, es, u)) as u64),
                    0b0110 => z.wrapping_sub((int(x, es, u) * int(s, es, u)) as u64),
                    0b1010 => (int(x, es, u) * int(s, es, u)) as u64,
                    _ => {
                        let op = match a {
                            0b0011 => 1,
                            0b0111 => 3,
                            _ => 0,
                        };
                        qdmull_acc(x, s, z, es, op, &mut r.qc)
                    }
                };
                out[k] = with_elem(out[k], wide, j, y & mask(wide));
            }
            r.set(o.d, out[0]);
            r.set(o.d + 1, out[1]);
        }
    }
    0
}
helper!(SCALAR, scalar, "Two registers and a scalar.");

/// Whether a single-precision value is one the host computes with
/// exactly as ARM does under the standard FPSCR value once the inexact
/// flag is set (see `vfp::host_fast`): as an operand, a normal number or
/// zero; as a result, a normal number above the smallest normal binade.
#[inline(always)]
fn plain_f32(x: u32, operand: bool) -> bool {
    let e = x >> 23 & 0xff;
    if operand {
        (1..255).contains(&e) || x & 0x7fff_ffff == 0
    } else {
        (2..255).contains(&e)
    }
}

/// VMUL, VMLA, VMLS by scalar (`a` as in [`scalar`]) on the two lanes of a
/// doubleword at host speed, if every operand and intermediate is plain
/// (see [`plain_f32`]); else `None`. The caller has checked that the
/// inexact flag is set.
#[inline(always)]
fn mul_acc_fast(n: u64, s: u32, d: u64, a: u32) -> Option<u64> {
    if !plain_f32(s, true) {
        return None;
    }
    let mut out = 0u64;
    for i in 0..2 {
        let x = (n >> (32 * i)) as u32;
        let z = (d >> (32 * i)) as u32;
        if !plain_f32(x, true) {
            return None;
        }
        let p = f32::from_bits(x) * f32::from_bits(s);
        if !plain_f32(p.to_bits(), false) {
            return None;
        }
        let r = match a {
            0b0001 | 0b0101 => {
                if !plain_f32(z, true) {
                    return None;
                }
                let r = if a == 0b0001 {
                    f32::from_bits(z) + p
                } else {
                    f32::from_bits(z) - p
                };
                if !plain_f32(r.to_bits(), false) {
                    return None;
                }
                r
            }
            _ => p,
        };
        out |= u64::from(r.to_bits()) << (32 * i);
    }
    Some(out)
}

// ------------------------------------------------ two registers, misc

/// RecipEstimate: `a` in 256..=511 (units of 1/512 of [0.5, 1)), the
/// estimate in 256..=511 (units of 1/256 of [1, 2)).
fn recip_estimate(a: u32) -> u32 {
    let a = a * 2 + 1;
    let b = (1 << 19) / a;
    b.div_ceil(2)
}

/// RecipSqrtEstimate: `a` in units of 1/1024 (257..=1022); the estimate
/// of 1/sqrt in units of 1/256 (256..=511), rounded to nearest.
fn rsqrt_estimate(a: u32) -> u32 {
    // The largest t with t^2 * a <= 2^28 is floor(16384 / sqrt(a)).
    let a = u64::from(a);
    let mut t = (16384.0 / (a as f64).sqrt()) as u64 + 2;
    while t * t * a > 1 << 28 {
        t -= 1;
    }
    t.div_ceil(2) as u32
}

fn frecpe(a: u64, fp: &mut u32) -> u64 {
    let x: F32 = unpack(a, fp);
    if let Some(nan) = process_nans(&[x], fp) {
        return nan;
    }
    let sign = a & 0x8000_0000;
    if x.is_infinite() {
        return sign;
    }
    if x.is_zero() {
        *fp |= fpscr::DZC;
        return sign | 0x7f80_0000;
    }
    let exp = (a >> 23 & 0xff) as u32;
    if exp >= 253 {
        *fp |= fpscr::UFC;
        return sign;
    }
    let q = 256 | (a >> 15 & 0xff) as u32;
    let s = recip_estimate(q);
    sign | u64::from(253 - exp) << 23 | u64::from(s - 256) << 15
}

fn frsqrte(a: u64, fp: &mut u32) -> u64 {
    let x: F32 = unpack(a, fp);
    if let Some(nan) = process_nans(&[x], fp) {
        return nan;
    }
    if x.is_zero() {
        *fp |= fpscr::DZC;
        return (a & 0x8000_0000) | 0x7f80_0000;
    }
    if x.is_negative() {
        *fp |= fpscr::IOC;
        return Single::DEFAULT_NAN;
    }
    if x.is_infinite() {
        return 0;
    }
    let exp = (a >> 23 & 0xff) as u32;
    let q = 128 | (a >> 16 & 0x7f) as u32;
    let est = if exp & 1 == 0 {
        rsqrt_estimate(4 * q + 2)
    } else {
        rsqrt_estimate(2 * q + 1)
    };
    u64::from((380 - exp) / 2) << 23 | u64::from(est - 256) << 15
}

fn urecpe(a: u64) -> u64 {
    if a & 0x8000_0000 == 0 {
        return 0xffff_ffff;
    }
    u64::from(recip_estimate((a >> 23) as u32 & 0x1ff)) << 23
}

fn ursqrte(a: u64) -> u64 {
    if a >> 30 & 3 == 0 {
        return 0xffff_ffff;
    }
    let est = if a & 0x8000_0000 != 0 {
        rsqrt_estimate(4 * ((a >> 24) as u32 & 0xff) + 2)
    } else {
        rsqrt_estimate(2 * ((a >> 23) as u32 & 0xff) + 1)
    };
    u64::from(est) << 23
}

unsafe extern "C" fn misc(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    // The size field of this class is 19:18.
    let o = Ops {
        size: bits(w, 19, 18),
        ..Ops::of(w)
    };
    let a = bits(w, 17, 16);
    let b = bits(w, 10, 6);
    let es = o.esize();
    let regs = o.regs();
    match (a, b >> 1) {
        // VSWP, VTRN, VUZP, VZIP: both registers change.
        (0b10, 0b0000..=0b0011) => {
            let dd = r.read(o.d, regs);
            let mm = r.read(o.m, regs);
            let (nd, nm) = permute(b >> 1, &dd[..regs], &mm[..regs], es);
            for k in 0..regs {
                r.set(o.d + k, nd[k]);
                r.set(o.m + k, nm[k]);
            }
        }
        // VMOVN, VQMOVUN, VQMOVN: Qm to Dd.
        (0b10, 0b0100 | 0b0101) => {
            let m = r.read(o.m, 2);
            let wide = 2 * es;
            let per = 64 / wide;
            let op = bits(w, 7, 6);
            let mut out = 0;
            for i in 0..64 / es {
                let x = elem(m[(i / per) as usize], wide, i % per);
                let y = match op {
                    0 => x & mask(es),
                    1 => sat(sx(x, wide), es, true, &mut r.qc),
                    2 => sat(sx(x, wide), es, false, &mut r.qc),
                    _ => sat(i128::from(x), es, true, &mut r.qc),
                };
                out = with_elem(out, es, i, y);
            }
            r.set(o.d, out);
        }
        // VSHLL by the element size: Dm to Qd.
        (0b10, 0b0110) => {
            let m = r.d(o.m);
            let wide = 2 * es;
            let per = 64 / wide;
            let mut out = [0u64; 2];
            for i in 0..64 / es {
                let k = (i / per) as usize;
                out[k] = with_elem(out[k], wide, i % per, elem(m, es, i) << es);
            }
            r.set(o.d, out[0]);
            r.set(o.d + 1, out[1]);
        }
        // VCVT.F16.F32 (Qm to Dd), VCVT.F32.F16 (Dm to Qd).
        (0b10, 0b1100) | (0b10, 0b1110) => {
            if !bit(w, 8) {
                let m = r.read(o.m, 2);
                let mut out = 0;
                for i in 0..4 {
                    let x = elem(m[(i / 2) as usize], 32, i % 2);
                    out = with_elem(out, 16, i, vfp::single_to_half(x, &mut r.fp));
                }
                r.set(o.d, out);
            } else {
                let m = r.d(o.m);
                let mut out = [0u64; 2];
                for i in 0..4 {
                    let h = elem(m, 16, i);
                    let k = (i / 2) as usize;
                    out[k] = with_elem(out[k], 32, i % 2, vfp::half_to_single(h, &mut r.fp));
                }
                r.set(o.d, out[0]);
                r.set(o.d + 1, out[1]);
            }
        }
        // VPADDL, VPADAL: pairs added into elements of twice the size.
        (0b00, 0b0100 | 0b0101 | 0b1100 | 0b1101) => {
            let m = r.read(o.m, regs);
            let d = r.read(o.d, regs);
            let acc = b >> 3 == 0b11;
            let unsigned = bit(w, 7);
            let wide = 2 * es;
            for k in 0..regs {
                let mut out = 0;
                for i in 0..64 / wide {
                    let s = int(elem(m[k], es, 2 * i), es, unsigned)
                        + int(elem(m[k], es, 2 * i + 1), es, unsigned);
                    let s = if acc {
                        (s as u64).wrapping_add(elem(d[k], wide, i))
                    } else {
                        s as u64
                    };
                    out = with_elem(out, wide, i, s & mask(wide));
                }
                r.set(o.d + k, out);
            }
        }
        // VREV64, VREV32, VREV16.
        (0b00, 0b0000..=0b0010) => {
            let group = 64 >> (b >> 1);
            let m = r.read(o.m, regs);
            for (k, &mk) in m.iter().take(regs).enumerate() {
                let mut out = 0;
                let per = group / es;
                for i in 0..64 / es {
                    let g = i / per;
                    let j = i % per;
                    out = with_elem(out, es, g * per + (per - 1 - j), elem(mk, es, i));
                }
                r.set(o.d + k, out);
            }
        }
        _ => {
            // Element-wise operations on Dm/Qm into Dd/Qd.
            // F: bit 10 for the comparisons, VABS and VNEG; bit 8 for the
            // estimates.
            let float_op = if a == 0b11 { bit(w, 8) } else { bit(w, 10) };
            let es = if a == 0b11 || (a == 0b01 && float_op) {
                32
            } else {
                es
            };
            lanes3(&mut r, Ops { n: o.m, ..o }, es, |r, x, _, _| {
                let m = mask(es);
                let s = sx(x, es);
                match (a, b >> 1) {
                    (0b00, 0b1000) => {
                        // VCLS
                        let v = if s < 0 { !x & m } else { x };
                        u64::from((v << (64 - es)).leading_zeros().min(es)) - 1
                    }
                    (0b00, 0b1001) => u64::from((x << (64 - es)).leading_zeros().min(es)),
                    (0b00, 0b1010) => u64::from(x.count_ones()),
                    (0b00, 0b1011) => !x & m,
                    (0b00, 0b1110) => sat(s.abs(), es, false, &mut r.qc),
                    (0b00, 0b1111) => sat(-s, es, false, &mut r.qc),
                    (0b01, op) if float_op => {
                        let fp = &mut r.fp;
                        match op & 7 {
                            0 => ones_if(fcmp(x, 0, 2, false, fp), 32),
                            1 => ones_if(fcmp(x, 0, 1, false, fp), 32),
                            2 => ones_if(fcmp(x, 0, 0, false, fp), 32),
                            3 => ones_if(fcmp(0, x, 1, false, fp), 32),
                            4 => ones_if(fcmp(0, x, 2, false, fp), 32),
                            6 => x & 0x7fff_ffff,
                            _ => x ^ 0x8000_0000,
                        }
                    }
                    (0b01, op) => match op & 7 {
                        0 => ones_if(s > 0, es),
                        1 => ones_if(s >= 0, es),
                        2 => ones_if(s == 0, es),
                        3 => ones_if(s <= 0, es),
                        4 => ones_if(s < 0, es),
                        6 => s.unsigned_abs() as u64 & m,
                        _ => (-s) as u64 & m,
                    },
                    (0b11, op) => {
                        let fp = &mut r.fp;
                        match op & 0b1101 {
                            0b1000 if float_op => frecpe(x, fp),
                            0b1000 => urecpe(x),
                            0b1001 if float_op => frsqrte(x, fp),
                            0b1001 => ursqrte(x),
                            // VCVT: bits 8:7 = 00 F32.S32, 01 F32.U32,
                            // 10 S32.F32, 11 U32.F32.
                            _ => {
                                let unsigned = bit(w, 7);
                                if bit(w, 8) {
                                    vfp::to_fixed::<F32>(x, 0, unsigned, 32, true, fp)
                                } else {
                                    vfp::from_fixed::<F32>(x, 0, unsigned, 32, true, fp)
                                }
                            }
                        }
                    }
                    _ => x,
                }
            });
        }
    }
    0
}
helper!(MISC, misc, "Two registers, miscellaneous operations.");

/// VSWP (0), VTRN (1), VUZP (2), VZIP (3) of `d` and `m` (1 or 2 D
/// registers each): the new contents of both.
fn permute(op: u32, d: &[u64], m: &[u64], es: u32) -> ([u64; 2], [u64; 2]) {
    let regs = d.len();
    let per = 64 / es;
    let total = per * regs as u32;
    let get = |v: &[u64], i: u32| elem(v[(i / per) as usize], es, i % per);
    let mut nd = [0u64; 2];
    let mut nm = [0u64; 2];
    let put = |v: &mut [u64; 2], i: u32, x: u64| {
        let k = (i / per) as usize;
        v[k] = with_elem(v[k], es, i % per, x);
    };
    match op {
        0 => {
            nd[..regs].copy_from_slice(m);
            nm[..regs].copy_from_slice(d);
        }
        1 => {
            for i in (0..total).step_by(2) {
                put(&mut nd, i, get(d, i));
                put(&mut nd, i + 1, get(m, i));
                put(&mut nm, i, get(d, i + 1));
                put(&mut nm, i + 1, get(m, i + 1));
            }
        }
        2 => {
            // Unzip: even elements of d:m to d, odd to m.
            let all: Vec<u64> = (0..total)
                .map(|i| get(d, i))
                .chain((0..total).map(|i| get(m, i)))
                .collect();
            for i in 0..total {
                put(&mut nd, i, all[(2 * i) as usize]);
                put(&mut nm, i, all[(2 * i + 1) as usize]);
            }
        }
        _ => {
            // Zip: interleave d and m.
            let mut all = Vec::with_capacity(2 * total as usize);
            for i in 0..total {
                all.push(get(d, i));
                all.push(get(m, i));
            }
            for i in 0..total {
                put(&mut nd, i, all[i as usize]);
                put(&mut nm, i, all[(total + i) as usize]);
            }
        }
    }
    (nd, nm)
}

// ----------------------------------------------------- VEXT, VTBL, VDUP

unsafe extern "C" fn ext(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let imm = bits(w, 11, 8) as usize;
    let regs = o.regs();
    let n = r.read(o.n, regs);
    let m = r.read(o.m, regs);
    let bytes: Vec<u8> = n[..regs]
        .iter()
        .chain(&m[..regs])
        .flat_map(|v| v.to_le_bytes())
        .collect();
    for k in 0..regs {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[imm + 8 * k..imm + 8 * k + 8]);
        r.set(o.d + k, u64::from_le_bytes(b));
    }
    0
}
helper!(EXT, ext, "VEXT: bytes from the concatenation of Vm:Vn.");

unsafe extern "C" fn tbl(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let len = bits(w, 9, 8) as usize + 1;
    let tbx = bit(w, 6);
    let table: Vec<u8> = (0..len).flat_map(|k| r.d(o.n + k).to_le_bytes()).collect();
    let idx = r.d(o.m).to_le_bytes();
    let mut out = r.d(o.d).to_le_bytes();
    for (i, &x) in idx.iter().enumerate() {
        if (x as usize) < table.len() {
            out[i] = table[x as usize];
        } else if !tbx {
            out[i] = 0;
        }
    }
    r.set(o.d, u64::from_le_bytes(out));
    0
}
helper!(TBL, tbl, "VTBL, VTBX: byte table lookup.");

/// VDUP (scalar)'s element size in bits and index, from imm4 (19:16).
pub fn dup_scalar_fields(w: u32) -> (u32, u32) {
    let imm4 = bits(w, 19, 16);
    if imm4 & 1 != 0 {
        (8, imm4 >> 1)
    } else if imm4 & 2 != 0 {
        (16, imm4 >> 2)
    } else {
        (32, imm4 >> 3)
    }
}

/// The layout a multiple-structures load or store's type field (11:8)
/// selects: (structure members, consecutive registers per member, the
/// spacing of the members' registers), or `None` if it is reserved.
pub fn multiple_layout(ty: u32) -> Option<(usize, usize, usize)> {
    Some(match ty {
        0b0111 => (1, 1, 1),
        0b1010 => (1, 2, 1),
        0b0110 => (1, 3, 1),
        0b0010 => (1, 4, 1),
        0b1000 => (2, 1, 1),
        0b1001 => (2, 1, 2),
        0b0011 => (2, 2, 2),
        0b0100 => (3, 1, 1),
        0b0101 => (3, 1, 2),
        0b0000 => (4, 1, 1),
        0b0001 => (4, 1, 2),
        _ => return None,
    })
}

unsafe extern "C" fn dup_scalar(env: *mut u8, w: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = w as u32;
    let mut r = Regs::new(cpu(env));
    let o = Ops::of(w);
    let (es, idx) = dup_scalar_fields(w);
    let x = elem(r.d(o.m), es, idx);
    let mut v = 0;
    for i in 0..64 / es {
        v = with_elem(v, es, i, x);
    }
    for k in 0..o.regs() {
        r.set(o.d + k, v);
    }
    0
}
helper!(DUP_SCALAR, dup_scalar, "VDUP (scalar).");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_immediates_expand_as_the_manual_says() {
        assert_eq!(expand_imm(false, 0b0000, 0xab), 0x0000_00ab_0000_00ab);
        assert_eq!(expand_imm(false, 0b0110, 0xab), 0xab00_0000_ab00_0000);
        assert_eq!(expand_imm(false, 0b1010, 0xab), 0xab00_ab00_ab00_ab00);
        assert_eq!(expand_imm(false, 0b1100, 0xab), 0x0000_abff_0000_abff);
        assert_eq!(expand_imm(false, 0b1101, 0xab), 0x00ab_ffff_00ab_ffff);
        assert_eq!(expand_imm(false, 0b1110, 0xab), 0xabab_abab_abab_abab);
        assert_eq!(expand_imm(true, 0b1110, 0b1010_0101), 0xff00_ff00_00ff_00ff);
        // 1.0 and -2.0 as single precision.
        assert_eq!(expand_imm(false, 0b1111, 0x70), 0x3f80_0000_3f80_0000);
        assert_eq!(expand_imm(false, 0b1111, 0x80), 0xc000_0000_c000_0000);
    }

    #[test]
    fn shift_immediates_decode_size_and_amount() {
        // VSHR.S16 #3: imm6 = 32 - 3 = 0b011101.
        assert_eq!(shift_imm_fields(0b011101 << 16), (16, 3, 13));
        // VSHL.I32 #5: imm6 = 32 + 5.
        assert_eq!(shift_imm_fields(37 << 16), (32, 27, 5));
        // 64-bit: L set, VSHR #64 is imm6 = 0.
        assert_eq!(shift_imm_fields(1 << 7), (64, 64, 0));
    }

    #[test]
    fn estimates_match_the_reference_tables() {
        // The first and last entries of ARM's reciprocal tables.
        assert_eq!(recip_estimate(256), 511);
        assert_eq!(recip_estimate(511), 256);
        assert_eq!(rsqrt_estimate(257), 511);
        assert_eq!(rsqrt_estimate(1022), 256);
        // 1/2.0 ~ 0.5 (0x3eff8000), 1/sqrt(4.0) ~ 0.5.
        let mut fp = 0;
        assert_eq!(frecpe(0x4000_0000, &mut fp), 0x3eff_8000);
        assert_eq!(frsqrte(0x4080_0000, &mut fp), 0x3eff_8000);
        assert_eq!(fp, 0);
    }

    #[test]
    fn permutes_move_elements_between_both_registers() {
        let d = [0x0706_0504_0302_0100];
        let m = [0x1716_1514_1312_1110];
        let (nd, nm) = permute(3, &d, &m, 8); // VZIP.8
        assert_eq!(nd[0], 0x1303_1202_1101_1000);
        assert_eq!(nm[0], 0x1707_1606_1505_1404);
        let (nd, nm) = permute(2, &nd[..1], &nm[..1], 8); // VUZP undoes it
        assert_eq!((nd[0], nm[0]), (d[0], m[0]));
        let (nd, nm) = permute(1, &d, &m, 16); // VTRN.16
        assert_eq!(nd[0], 0x1514_0504_1110_0100);
        assert_eq!(nm[0], 0x1716_0706_1312_0302);
    }
}
