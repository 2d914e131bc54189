//! The x87 FPU: 80-bit extended arithmetic on a register stack, exact and
//! deterministic.
//!
//! Every x87 instruction is one call of the [`X87`] helper, which
//! receives an operation code and its operands (memory operands already
//! loaded by the lifter, as raw bits) and works on `X86Cpu::fpu`.
//! Arithmetic is rustc_apfloat's `X87DoubleExtended` (every rounding
//! mode, the IEEE flags, nothing from the host's FPU); around it are the
//! x87's own rules:
//!
//! - NaNs: an SNaN operand raises IE; the result is the NaN operand
//!   (quieted), of two the one with the larger significand; an invalid
//!   operation without NaN operands gives the "real indefinite" QNaN
//!   (sign set, significand 0xC000...).
//! - Unsupported encodings (unnormals, pseudo-NaNs and pseudo-infinities)
//!   are invalid operands. A denormal operand sets DE.
//! - Stack faults: a push onto a full register or a read of an empty one
//!   raises IE with SF, C1 saying overflow (1) or underflow (0).
//! - A masked exception gives its default result. An unmasked one sets
//!   ES and B and, for IE, ZE and DE, leaves the destination and the stack
//!   unchanged; the next waiting x87 instruction (or WAIT) then raises #MF
//!   before it executes (CR0.NE is assumed: Linux sets it; IRQ 13 is not
//!   modelled).
//! - C1 after an inexact result says whether it was rounded up in
//!   magnitude.
//! - Precision control (24 or 53 bits) rounds the 64-bit result again
//!   (a double rounding the hardware does not do; nothing Lockstep runs
//!   changes the default of 64 bits, and docs/status.md says so).
//! - The transcendental instructions (F2XM1, FYL2X, FYL2XP1, FPTAN,
//!   FPATAN, FSIN, FCOS, FSINCOS) compute in double precision with the
//!   `libm` crate (pure Rust, the same bits on every host) and round the
//!   result to extended: deterministic, not the last bits of any real
//!   FPU.

use crate::ir::{Helper, StateUse};
use lockstep_runtime::env::CpuEnv;
use lockstep_runtime::softmmu::{self, MemOp};
use lockstep_runtime::x86::seg::Exc;
use lockstep_runtime::x86::{vector, Fpu, X86Cpu};
use rustc_apfloat::ieee::{Double, Single, X87DoubleExtended};
use rustc_apfloat::{Float, FloatConvert, Round, Status, StatusAnd};

type F = X87DoubleExtended;
type Env = CpuEnv<X86Cpu>;

/// Status word bits.
pub mod fsw {
    /// Invalid operation.
    pub const IE: u16 = 1 << 0;
    /// Denormal operand.
    pub const DE: u16 = 1 << 1;
    /// Zero divide.
    pub const ZE: u16 = 1 << 2;
    /// Overflow.
    pub const OE: u16 = 1 << 3;
    /// Underflow.
    pub const UE: u16 = 1 << 4;
    /// Precision (inexact).
    pub const PE: u16 = 1 << 5;
    /// Stack fault.
    pub const SF: u16 = 1 << 6;
    /// Error summary.
    pub const ES: u16 = 1 << 7;
    /// Condition code 0.
    pub const C0: u16 = 1 << 8;
    /// Condition code 1.
    pub const C1: u16 = 1 << 9;
    /// Condition code 2.
    pub const C2: u16 = 1 << 10;
    /// Condition code 3.
    pub const C3: u16 = 1 << 14;
    /// Busy.
    pub const B: u16 = 1 << 15;
    /// TOP's shift.
    pub const TOP_SHIFT: u16 = 11;
    /// The condition codes.
    pub const CC: u16 = C0 | C1 | C2 | C3;
}

/// The real indefinite QNaN.
pub const INDEFINITE: u128 = 0xffff_c000_0000_0000_0000;

/// The constants FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ load,
/// rounded to nearest (their 66-bit values are rounded per RC by the
/// hardware; round-to-nearest is the default and the only one kept here
/// except for the directed roundings of π, log2(e), log2(10), log10(2)
/// and ln(2) in [`constant`]).
const CONSTANTS: [u128; 7] = [
    0x3fff_8000_0000_0000_0000, // 1
    0x4000_d49a_784b_cd1b_8afe, // log2(10)
    0x3fff_b8aa_3b29_5c17_f0bc, // log2(e)
    0x4000_c90f_daa2_2168_c235, // pi
    0x3ffd_9a20_9a84_fbcf_f799, // log10(2)
    0x3ffe_b172_17f7_d1cf_79ac, // ln(2)
    0x0000_0000_0000_0000_0000, // +0
];

/// The constant `k` under rounding control `rc`: the hardware rounds
/// the constants' 66-bit values, so for the directed modes some are one
/// unit lower.
fn constant(k: usize, rc: u16) -> u128 {
    let v = CONSTANTS[k];
    // Rounded up to nearest, so down and toward zero give one less for
    // log2(e), pi, log10(2) and ln(2); log2(10) rounds down to nearest,
    // so up gives one more.
    match (k, rc) {
        (2..=5, 1 | 3) => v - 1,
        (1, 2) => v + 1,
        _ => v,
    }
}

fn bits_of(f: &Fpu, phys: usize) -> u128 {
    u128::from(f.sexp[phys]) << 64 | u128::from(f.mant[phys])
}

fn set_bits(f: &mut Fpu, phys: usize, v: u128) {
    f.mant[phys] = v as u64;
    f.sexp[phys] = (v >> 64) as u16;
    f.empty &= !(1 << phys);
}

fn top(f: &Fpu) -> usize {
    usize::from(f.fsw >> fsw::TOP_SHIFT & 7)
}

fn set_top(f: &mut Fpu, t: usize) {
    f.fsw = f.fsw & !(7 << fsw::TOP_SHIFT) | ((t as u16 & 7) << fsw::TOP_SHIFT);
}

fn phys(f: &Fpu, i: usize) -> usize {
    (top(f) + i) & 7
}

fn is_empty(f: &Fpu, i: usize) -> bool {
    f.empty & (1 << phys(f, i)) != 0
}

/// The class of an 80-bit pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Unnormal, pseudo-NaN, pseudo-infinity.
    Unsupported,
    /// NaN.
    Nan,
    /// A normal number.
    Normal,
    /// ±∞.
    Infinity,
    /// ±0.
    Zero,
    /// A denormal (or pseudo-denormal).
    Denormal,
}

/// Classifies an 80-bit pattern as FXAM does.
pub fn classify(v: u128) -> Class {
    let exp = (v >> 64) as u16 & 0x7fff;
    let m = v as u64;
    let int = m >> 63 != 0;
    match (exp, int) {
        (0, _) if m == 0 => Class::Zero,
        (0, _) => Class::Denormal,
        (0x7fff, false) => Class::Unsupported,
        (0x7fff, true) if m << 1 == 0 => Class::Infinity,
        (0x7fff, true) => Class::Nan,
        (_, false) => Class::Unsupported,
        _ => Class::Normal,
    }
}

fn is_snan(v: u128) -> bool {
    classify(v) == Class::Nan && (v as u64) >> 62 & 1 == 0
}

fn quiet(v: u128) -> u128 {
    v | 1 << 62
}

/// The rounding mode of a control word.
fn rounding(fcw: u16) -> Round {
    match fcw >> 10 & 3 {
        0 => Round::NearestTiesToEven,
        1 => Round::TowardNegative,
        2 => Round::TowardPositive,
        _ => Round::TowardZero,
    }
}

/// What an operation produced: a value, flags to raise.
struct Outcome {
    value: u128,
    flags: u16,
    /// C1: rounded up in magnitude.
    up: bool,
}

/// The x87 NaN rule for an operation on `a` and `b` (either a NaN):
/// IE for an SNaN; the larger-significand NaN, quieted.
fn propagate(a: u128, b: Option<u128>) -> Outcome {
    let nan = |x: u128| classify(x) == Class::Nan;
    let mut flags = 0;
    if is_snan(a) || b.is_some_and(is_snan) {
        flags |= fsw::IE;
    }
    let value = match b {
        Some(b) if nan(a) && nan(b) => {
            let (ma, mb) = (a as u64 & !(1 << 62), b as u64 & !(1 << 62));
            if ma > mb || (ma == mb && (a >> 79) == 0) {
                quiet(a)
            } else {
                quiet(b)
            }
        }
        Some(b) if nan(b) => quiet(b),
        _ => quiet(a),
    };
    Outcome {
        value,
        flags,
        up: false,
    }
}

/// Rounds `r` (64-bit significand) to the precision FCW.PC asks for.
fn round_precision(v: u128, fcw: u16, flags: &mut u16, up: &mut bool) -> u128 {
    let bits = match fcw >> 8 & 3 {
        0 => 24,
        2 => 53,
        _ => return v,
    };
    let class = classify(v);
    if !matches!(class, Class::Normal | Class::Denormal) {
        return v;
    }
    let drop = 64 - bits;
    let m = v as u64;
    let lost = m & ((1u64 << drop) - 1);
    if lost == 0 {
        return v;
    }
    let neg = v >> 79 != 0;
    let half = 1u64 << (drop - 1);
    let kept = m >> drop;
    let inc = match rounding(fcw) {
        Round::NearestTiesToEven => lost > half || (lost == half && kept & 1 != 0),
        Round::TowardNegative => neg,
        Round::TowardPositive => !neg,
        _ => false,
    };
    *flags |= fsw::PE;
    *up = inc;
    let mut sexp = (v >> 64) as u16;
    let mut nm = kept.wrapping_add(u64::from(inc)) << drop;
    if inc && kept.wrapping_add(1) >> bits != 0 {
        // Carried out: 1.000... in the next binade.
        nm = 1 << 63;
        sexp += 1;
        if sexp & 0x7fff == 0x7fff {
            *flags |= fsw::OE;
            nm = 1 << 63;
        }
    }
    u128::from(sexp) << 64 | u128::from(nm)
}

/// Turns an apfloat result into the x87 outcome: the flags, the C1
/// rounding direction (from the same operation rounded toward zero).
fn finish(r: StatusAnd<F>, toward_zero: impl Fn() -> F, fcw: u16) -> Outcome {
    let mut flags = 0;
    let st = r.status;
    if st.contains(Status::INVALID_OP) {
        return Outcome {
            value: INDEFINITE,
            flags: fsw::IE,
            up: false,
        };
    }
    if st.contains(Status::DIV_BY_ZERO) {
        flags |= fsw::ZE;
    }
    if st.contains(Status::OVERFLOW) {
        flags |= fsw::OE;
    }
    if st.contains(Status::UNDERFLOW) {
        flags |= fsw::UE;
    }
    let mut up = false;
    if st.contains(Status::INEXACT) {
        flags |= fsw::PE;
        let z = toward_zero();
        up = r.value.abs().cmp_abs_normalized(z) == Some(std::cmp::Ordering::Greater);
    }
    let value = round_precision(r.value.to_bits(), fcw, &mut flags, &mut up);
    Outcome { value, flags, up }
}

trait AbsCmp {
    fn cmp_abs_normalized(self, other: Self) -> Option<std::cmp::Ordering>;
}

impl AbsCmp for F {
    fn cmp_abs_normalized(self, other: F) -> Option<std::cmp::Ordering> {
        self.abs().partial_cmp(&other.abs())
    }
}

/// The arithmetic operations with two operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// a + b.
    Add,
    /// a * b.
    Mul,
    /// a - b.
    Sub,
    /// b - a.
    SubR,
    /// a / b.
    Div,
    /// b / a.
    DivR,
}

impl Arith {
    fn from_code(c: u64) -> Arith {
        match c & 7 {
            0 => Arith::Add,
            1 => Arith::Mul,
            4 => Arith::Sub,
            5 => Arith::SubR,
            6 => Arith::Div,
            _ => Arith::DivR,
        }
    }
}

/// The flags of reading operand `v`: IE for an unsupported encoding, DE
/// for a denormal.
fn operand_flags(v: u128) -> u16 {
    match classify(v) {
        Class::Unsupported => fsw::IE,
        Class::Denormal => fsw::DE,
        _ => 0,
    }
}

/// `a op b` on 80-bit patterns.
pub fn arith(op: Arith, a: u128, b: u128, fcw: u16) -> (u128, u16, bool) {
    let (x, y) = match op {
        Arith::SubR | Arith::DivR => (b, a),
        _ => (a, b),
    };
    let pre = operand_flags(x) | operand_flags(y);
    if pre & fsw::IE != 0 {
        return (INDEFINITE, fsw::IE, false);
    }
    if classify(x) == Class::Nan || classify(y) == Class::Nan {
        let o = propagate(x, Some(y));
        return (o.value, o.flags | pre, false);
    }
    let (fx, fy) = (F::from_bits(x), F::from_bits(y));
    let f = |r: Round| match op {
        Arith::Add => fx.add_r(fy, r),
        Arith::Mul => fx.mul_r(fy, r),
        Arith::Sub | Arith::SubR => fx.sub_r(fy, r),
        Arith::Div | Arith::DivR => fx.div_r(fy, r),
    };
    let o = finish(f(rounding(fcw)), || f(Round::TowardZero).value, fcw);
    (o.value, o.flags | pre, o.up)
}

/// Loads a single- or double-precision or integer value as 80 bits.
pub fn widen(kind: u64, bits: u64) -> (u128, u16) {
    let mut loses = false;
    match kind {
        // m32fp.
        0 => {
            let s = Single::from_bits(u128::from(bits as u32));
            let flags = if s.is_signaling() { fsw::IE } else { 0 }
                | if s.is_denormal() { fsw::DE } else { 0 };
            if s.is_nan() {
                // Keep the payload: the significand moves up.
                let m = u64::from(bits as u32 & 0x7f_ffff) << 40 | 1 << 63 | 1 << 62;
                let sign = u128::from(bits >> 31 & 1) << 79;
                return (sign | 0x7fff << 64 | u128::from(m), flags);
            }
            let r: StatusAnd<F> = s.convert(&mut loses);
            (r.value.to_bits(), flags)
        }
        // m64fp.
        1 => {
            let d = Double::from_bits(u128::from(bits));
            let flags = if d.is_signaling() { fsw::IE } else { 0 }
                | if d.is_denormal() { fsw::DE } else { 0 };
            if d.is_nan() {
                let m = (bits & 0xf_ffff_ffff_ffff) << 11 | 1 << 63 | 1 << 62;
                let sign = u128::from(bits >> 63) << 79;
                return (sign | 0x7fff << 64 | u128::from(m), flags);
            }
            let r: StatusAnd<F> = d.convert(&mut loses);
            (r.value.to_bits(), flags)
        }
        // m16int, m32int, m64int (sign-extended by the lifter).
        _ => (F::from_i128(i128::from(bits as i64)).value.to_bits(), 0),
    }
}

/// Stores `v` as single (kind 0) or double (1) precision: (bits, flags).
fn narrow(kind: u64, v: u128, fcw: u16) -> (u64, u16, bool) {
    let mut flags = operand_flags(v) & fsw::DE;
    match classify(v) {
        Class::Unsupported => {
            let ind = if kind == 0 {
                0xffc0_0000
            } else {
                0xfff8_0000_0000_0000
            };
            return (ind, fsw::IE, false);
        }
        Class::Nan => {
            if is_snan(v) {
                flags |= fsw::IE;
            }
            let m = v as u64;
            let sign = (v >> 79) as u64;
            return if kind == 0 {
                (
                    sign << 31 | 0x7fc0_0000 | (m >> 40 & 0x3f_ffff),
                    flags,
                    false,
                )
            } else {
                (
                    sign << 63 | 0x7ff8_0000_0000_0000 | (m >> 11 & 0x7_ffff_ffff_ffff),
                    flags,
                    false,
                )
            };
        }
        _ => {}
    }
    let f = F::from_bits(v);
    let mut loses = false;
    let round = rounding(fcw);
    let conv = |r: Round| -> (u128, Status) {
        let mut l = false;
        if kind == 0 {
            let s: StatusAnd<Single> = f.convert_r(r, &mut l);
            (s.value.to_bits(), s.status)
        } else {
            let d: StatusAnd<Double> = f.convert_r(r, &mut l);
            (d.value.to_bits(), d.status)
        }
    };
    let _ = &mut loses;
    let (bits, st) = conv(round);
    if st.contains(Status::OVERFLOW) {
        flags |= fsw::OE;
    }
    if st.contains(Status::UNDERFLOW) {
        flags |= fsw::UE;
    }
    let mut up = false;
    if st.contains(Status::INEXACT) {
        flags |= fsw::PE;
        let (z, _) = conv(Round::TowardZero);
        let mag = |b: u128| {
            if kind == 0 {
                b & 0x7fff_ffff
            } else {
                b & 0x7fff_ffff_ffff_ffff
            }
        };
        up = mag(bits) > mag(z);
    }
    (bits as u64, flags, up)
}

/// Converts `v` to an integer of `width` bits under the rounding mode
/// (`truncate`: toward zero): (bits, flags). Out of range or NaN: IE and
/// the integer indefinite.
fn to_int(v: u128, width: usize, fcw: u16) -> (u64, u16, bool) {
    let indefinite = 1u64 << (width - 1);
    match classify(v) {
        Class::Nan | Class::Unsupported | Class::Infinity => return (indefinite, fsw::IE, false),
        _ => {}
    }
    let f = F::from_bits(v);
    let mut exact = false;
    let r = f.to_i128_r(width, rounding(fcw), &mut exact);
    if r.status.contains(Status::INVALID_OP) {
        return (indefinite, fsw::IE, false);
    }
    let mut flags = operand_flags(v) & fsw::DE;
    let mut up = false;
    if r.status.contains(Status::INEXACT) {
        flags |= fsw::PE;
        let mut e2 = false;
        let z = f.to_i128_r(width, Round::TowardZero, &mut e2).value;
        up = r.value.unsigned_abs() > z.unsigned_abs();
    }
    (r.value as u64 & (u64::MAX >> (64 - width)), flags, up)
}

/// Packed BCD (18 digits and a sign byte) of `v`, rounded per RC.
fn to_bcd(v: u128, fcw: u16) -> (u128, u16) {
    const INDEF: u128 = 0xffff_c000_0000_0000_0000;
    if matches!(
        classify(v),
        Class::Nan | Class::Unsupported | Class::Infinity
    ) {
        return (INDEF, fsw::IE);
    }
    let f = F::from_bits(v);
    let mut exact = false;
    let r = f.to_i128_r(64, rounding(fcw), &mut exact);
    let n = r.value;
    if r.status.contains(Status::INVALID_OP) || n.unsigned_abs() >= 1_000_000_000_000_000_000 {
        return (INDEF, fsw::IE);
    }
    let mut flags = 0;
    if r.status.contains(Status::INEXACT) {
        flags |= fsw::PE;
    }
    let mut m = n.unsigned_abs();
    let mut out: u128 = 0;
    for i in 0..18 {
        out |= (m % 10) << (4 * i);
        m /= 10;
    }
    if n < 0 || (n == 0 && v >> 79 != 0) {
        out |= 0x80 << 72;
    }
    (out, flags)
}

fn from_bcd(v: u128) -> u128 {
    let mut n: i128 = 0;
    for i in (0..18).rev() {
        n = n * 10 + ((v >> (4 * i)) & 0xf) as i128;
    }
    let f = F::from_i128(n).value;
    let f = if v >> 79 & 1 != 0 { -f } else { f };
    f.to_bits()
}

/// Operation codes of the [`X87`] helper (argument 0, low byte; the
/// other bytes carry its parameters).
pub mod op {
    /// Push a value given as 80 bits (arg1 low, arg2 high).
    pub const PUSH80: u64 = 1;
    /// Push a value widened from memory: arg1 = bits, param = kind (0
    /// m32fp, 1 m64fp, 2 integer sign-extended to 64 bits, 3 m80bcd with
    /// its high 16 bits in arg2).
    pub const PUSH_MEM: u64 = 2;
    /// Push ST(i) (param i).
    pub const PUSH_ST: u64 = 3;
    /// Push constant (param k).
    pub const PUSH_CONST: u64 = 4;
    /// Store ST(0) to memory: param = kind (0 m32fp, 1 m64fp, 2 m80fp,
    /// 3 m16int, 4 m32int, 5 m64int, 6 m80bcd) | pop << 4. Changes
    /// nothing: returns the low 64 bits (`out_hi` the rest) and whether
    /// to store (`store_ok`); [`COMMIT`] then does the rest.
    pub const STORE: u64 = 5;
    /// FST/FSTP ST(i): param i | pop << 4.
    pub const STORE_ST: u64 = 6;
    /// Arithmetic: param = kind (Arith code) | form << 4 (0: ST0 op
    /// the memory value in arg1, of the kind in bits 15:12 as for
    /// PUSH_MEM; 1: ST0 = ST0 op ST(i); 2: ST(i) = ST(i) op ST0; 3: as 2
    /// then pop) | i << 8.
    pub const ARITH: u64 = 7;
    /// Compare: param = i | (pops << 4) | (unordered << 6) | (to eflags
    /// << 7) | (a memory operand in arg1 << 8) | (its kind << 12).
    pub const COMPARE: u64 = 8;
    /// One-operand operations on ST(0) (param = which).
    pub const UNARY: u64 = 9;
    /// FXCH ST(i).
    pub const XCH: u64 = 10;
    /// FFREE ST(i) (param i | pop << 4 for FFREEP).
    pub const FREE: u64 = 11;
    /// FINCSTP (param 0) / FDECSTP (1).
    pub const STP: u64 = 12;
    /// FNINIT.
    pub const INIT: u64 = 13;
    /// FNCLEX.
    pub const CLEX: u64 = 14;
    /// FLDCW arg1.
    pub const LDCW: u64 = 15;
    /// FNSTCW: returns FCW.
    pub const STCW: u64 = 16;
    /// FNSTSW: returns FSW.
    pub const STSW: u64 = 17;
    /// FCMOVcc ST(i): arg1 = the condition holds.
    pub const CMOV: u64 = 18;
    /// WAIT: only the pending-exception check.
    pub const WAIT: u64 = 19;
    /// FNSTENV (param 0), FNSAVE (1) at linear address arg1.
    pub const STORE_ENV: u64 = 20;
    /// FLDENV (param 0), FRSTOR (1) from linear address arg1.
    pub const LOAD_ENV: u64 = 21;
    /// FNOP.
    pub const NOP: u64 = 22;
    /// The second half of a STORE: raise its flags, set C1, pop.
    pub const COMMIT: u64 = 23;
}

/// The one-operand operations (`op::UNARY`).
pub mod unary {
    /// FCHS.
    pub const CHS: u64 = 0;
    /// FABS.
    pub const ABS: u64 = 1;
    /// FTST.
    pub const TST: u64 = 2;
    /// FXAM.
    pub const XAM: u64 = 3;
    /// FSQRT.
    pub const SQRT: u64 = 4;
    /// FRNDINT.
    pub const RNDINT: u64 = 5;
    /// FSCALE.
    pub const SCALE: u64 = 6;
    /// FXTRACT.
    pub const XTRACT: u64 = 7;
    /// FPREM.
    pub const PREM: u64 = 8;
    /// FPREM1.
    pub const PREM1: u64 = 9;
    /// F2XM1.
    pub const F2XM1: u64 = 10;
    /// FYL2X.
    pub const YL2X: u64 = 11;
    /// FYL2XP1.
    pub const YL2XP1: u64 = 12;
    /// FPTAN.
    pub const PTAN: u64 = 13;
    /// FPATAN.
    pub const PATAN: u64 = 14;
    /// FSIN.
    pub const SIN: u64 = 15;
    /// FCOS.
    pub const COS: u64 = 16;
    /// FSINCOS.
    pub const SINCOS: u64 = 17;
}

/// Whether an operation is a control instruction (it does not update
/// FIP, FOP and the data pointer).
fn is_control(code: u64) -> bool {
    matches!(
        code & 0xff,
        op::INIT
            | op::CLEX
            | op::STCW
            | op::STSW
            | op::STORE_ENV
            | op::LDCW
            | op::LOAD_ENV
            | op::WAIT
            | op::COMMIT
    )
}

/// Whether it waits for a pending unmasked exception (everything but
/// the FN- forms: FNINIT, FNCLEX, FNSTCW, FNSTSW, FNSTENV, FNSAVE; and
/// the second half of a store).
fn waits(code: u64) -> bool {
    !matches!(
        code & 0xff,
        op::INIT | op::CLEX | op::STCW | op::STSW | op::STORE_ENV | op::COMMIT
    )
}

/// Sets exception flags `flags` (with ES and B when one is unmasked);
/// returns whether an unmasked IE, DE or ZE suppresses the result.
fn raise(f: &mut Fpu, flags: u16) -> bool {
    f.fsw |= flags & 0x7f;
    let unmasked = flags & 0x3f & !(f.fcw & 0x3f);
    if unmasked != 0 {
        f.fsw |= fsw::ES | fsw::B;
    }
    unmasked & (fsw::IE | fsw::DE | fsw::ZE) != 0
}

fn set_c1(f: &mut Fpu, c1: bool) {
    f.fsw = f.fsw & !fsw::C1 | if c1 { fsw::C1 } else { 0 };
}

/// ST(i), or a stack underflow.
fn read_st(f: &mut Fpu, i: usize) -> Option<u128> {
    if is_empty(f, i) {
        raise(f, fsw::IE | fsw::SF);
        set_c1(f, false);
        return None;
    }
    Some(bits_of(f, phys(f, i)))
}

/// Pushes `v` (a stack overflow if ST(7) is in use).
fn push(f: &mut Fpu, v: u128) {
    let t = (top(f) + 7) & 7;
    if f.empty & (1 << t) == 0 {
        set_c1(f, true);
        if raise(f, fsw::IE | fsw::SF) {
            return;
        }
        set_top(f, t);
        set_bits(f, t, INDEFINITE);
        return;
    }
    set_top(f, t);
    set_bits(f, t, v);
}

fn pop(f: &mut Fpu) {
    let t = top(f);
    f.empty |= 1 << t;
    set_top(f, t + 1);
}

fn write_st(f: &mut Fpu, i: usize, v: u128) {
    let p = phys(f, i);
    set_bits(f, p, v);
}

/// The result of a stack underflow with IE masked: indefinite (else
/// nothing is written).
fn underflow_result(f: &Fpu) -> Option<u128> {
    (f.fcw & fsw::IE != 0).then_some(INDEFINITE)
}

/// Compares `a` with `b`: (C3, C2, C0) as FCOM sets them, and flags.
fn compare(a: u128, b: u128, unordered_quiet: bool) -> ((bool, bool, bool), u16) {
    let ca = classify(a);
    let cb = classify(b);
    let mut flags = operand_flags(a) | operand_flags(b);
    if ca == Class::Unsupported || cb == Class::Unsupported {
        return ((true, true, true), fsw::IE);
    }
    if ca == Class::Nan || cb == Class::Nan {
        if !unordered_quiet || is_snan(a) || is_snan(b) {
            flags |= fsw::IE;
        }
        return ((true, true, true), flags);
    }
    let (fa, fb) = (F::from_bits(a), F::from_bits(b));
    let r = match fa.partial_cmp(&fb) {
        Some(std::cmp::Ordering::Greater) => (false, false, false),
        Some(std::cmp::Ordering::Less) => (false, false, true),
        _ => (true, false, false),
    };
    (r, flags)
}

fn set_cc(f: &mut Fpu, c3: bool, c2: bool, c1: bool, c0: bool) {
    f.fsw &= !fsw::CC;
    if c3 {
        f.fsw |= fsw::C3;
    }
    if c2 {
        f.fsw |= fsw::C2;
    }
    if c1 {
        f.fsw |= fsw::C1;
    }
    if c0 {
        f.fsw |= fsw::C0;
    }
}

/// A value through double precision with `libm` (the transcendental
/// instructions): 80 bits to f64.
fn to_f64(v: u128) -> f64 {
    let mut l = false;
    let d: StatusAnd<Double> = F::from_bits(v).convert(&mut l);
    f64::from_bits(d.value.to_bits() as u64)
}

fn from_f64(x: f64) -> (u128, u16) {
    let mut l = false;
    let r: StatusAnd<F> = Double::from_bits(u128::from(x.to_bits())).convert(&mut l);
    let mut flags = 0;
    if x.is_finite() && x != 0.0 {
        // Computed in double precision: not exact.
        flags |= fsw::PE;
    }
    (r.value.to_bits(), flags)
}

fn unary_op(f: &mut Fpu, which: u64) {
    let fcw = f.fcw;
    let Some(a) = read_st(f, 0) else {
        if let Some(v) = underflow_result(f) {
            if !is_empty(f, 0) || which != unary::XAM {
                write_st(f, 0, v);
            }
        }
        if which == unary::XAM {
            // FXAM of an empty register: C3 C2 C0 = 1 0 1.
            f.fsw &= !(fsw::IE | fsw::SF | fsw::ES | fsw::B);
            let sign = f.sexp[phys(f, 0)] >> 15 != 0;
            set_cc(f, true, false, sign, true);
        }
        return;
    };
    let sign = a >> 79 != 0;
    let nan = classify(a) == Class::Nan;
    let round = rounding(fcw);
    match which {
        unary::CHS => {
            set_c1(f, false);
            write_st(f, 0, a ^ 1 << 79);
        }
        unary::ABS => {
            set_c1(f, false);
            write_st(f, 0, a & !(1 << 79));
        }
        unary::TST => {
            let ((c3, c2, c0), flags) = compare(a, 0, false);
            raise(f, flags);
            set_cc(f, c3, c2, false, c0);
        }
        unary::XAM => {
            let (c3, c2, c0) = match classify(a) {
                Class::Unsupported => (false, false, false),
                Class::Nan => (false, false, true),
                Class::Normal => (false, true, false),
                Class::Infinity => (false, true, true),
                Class::Zero => (true, false, false),
                Class::Denormal => (true, true, false),
            };
            set_cc(f, c3, c2, sign, c0);
        }
        unary::SQRT => {
            let (v, flags, up) = if nan || classify(a) == Class::Unsupported {
                let o = propagate(a, None);
                (o.value, o.flags | operand_flags(a), false)
            } else if sign && classify(a) != Class::Zero {
                (INDEFINITE, fsw::IE, false)
            } else {
                let x = F::from_bits(a);
                let o = finish(
                    crate::float::sqrt(x, round),
                    || crate::float::sqrt(x, Round::TowardZero).value,
                    fcw,
                );
                (o.value, o.flags | operand_flags(a), o.up)
            };
            if !raise(f, flags) {
                set_c1(f, up);
                write_st(f, 0, v);
            }
        }
        unary::RNDINT => {
            let (v, flags) = if nan {
                let o = propagate(a, None);
                (o.value, o.flags)
            } else if classify(a) == Class::Unsupported {
                (INDEFINITE, fsw::IE)
            } else {
                let r = F::from_bits(a).round_to_integral(round);
                let mut fl = operand_flags(a);
                if r.status.contains(Status::INEXACT) {
                    fl |= fsw::PE;
                }
                (r.value.to_bits(), fl)
            };
            if !raise(f, flags) {
                write_st(f, 0, v);
            }
        }
        unary::SCALE => {
            let Some(b) = read_st(f, 1) else { return };
            let (v, flags) = if nan || classify(b) == Class::Nan {
                let o = propagate(a, Some(b));
                (o.value, o.flags)
            } else if classify(b) == Class::Infinity {
                // ±∞ scale: ∞ or 0 (0 * ∞ is invalid).
                let neg = b >> 79 != 0;
                match (classify(a), neg) {
                    (Class::Zero, false) | (Class::Infinity, true) => (INDEFINITE, fsw::IE),
                    (_, false) => (a & 1 << 79 | 0x7fff << 64 | 1 << 63, 0),
                    (_, true) => (a & 1 << 79, 0),
                }
            } else {
                let n = F::from_bits(b).round_to_integral(Round::TowardZero).value;
                let mut e = false;
                let k = n
                    .to_i128_r(32, Round::TowardZero, &mut e)
                    .value
                    .clamp(-70000, 70000);
                let r = F::from_bits(a).scalbn_r(k as i32, round);
                let mut fl = operand_flags(a);
                if r.is_infinite() && classify(a) != Class::Infinity {
                    fl |= fsw::OE | fsw::PE;
                }
                (r.to_bits(), fl)
            };
            if !raise(f, flags) {
                write_st(f, 0, v);
            }
        }
        unary::XTRACT => {
            if nan {
                let o = propagate(a, None);
                if !raise(f, o.flags) {
                    write_st(f, 0, o.value);
                    push(f, o.value);
                }
                return;
            }
            if classify(a) == Class::Zero {
                if raise(f, fsw::ZE) {
                    return;
                }
                write_st(f, 0, 0xffff << 64 | 1 << 63); // -∞ exponent
                push(f, a);
                return;
            }
            let x = F::from_bits(a);
            let e = x.ilogb();
            let sig = x.scalbn(-e);
            let ev = F::from_i128(i128::from(e)).value;
            raise(f, operand_flags(a));
            write_st(f, 0, ev.to_bits());
            push(f, sig.to_bits());
        }
        unary::PREM | unary::PREM1 => {
            let Some(b) = read_st(f, 1) else { return };
            let ca = classify(a);
            let cb = classify(b);
            if ca == Class::Nan || cb == Class::Nan {
                let o = propagate(a, Some(b));
                if !raise(f, o.flags) {
                    write_st(f, 0, o.value);
                }
                return;
            }
            if ca == Class::Infinity || cb == Class::Zero || ca == Class::Unsupported {
                if !raise(f, fsw::IE) {
                    write_st(f, 0, INDEFINITE);
                }
                return;
            }
            let (x, y) = (F::from_bits(a), F::from_bits(b));
            if ca == Class::Zero || cb == Class::Infinity {
                set_cc(f, false, false, false, false);
                return;
            }
            let d = x.ilogb() - y.ilogb();
            if d >= 64 {
                // Partial: reduce by ST(1) * 2^(d - 32).
                let ys = y.scalbn(d - 32);
                let r = x.c_fmod(ys).value;
                write_st(f, 0, r.to_bits());
                set_cc(f, false, true, false, false);
                return;
            }
            let r = if which == unary::PREM {
                x.c_fmod(y).value
            } else {
                x.ieee_rem(y).value
            };
            // The quotient's low three bits.
            let q = (x - r).value / y;
            let mut e = false;
            let qi = q
                .value
                .abs()
                .to_i128_r(128, Round::TowardZero, &mut e)
                .value as u64;
            raise(f, operand_flags(a) | operand_flags(b));
            write_st(f, 0, r.to_bits());
            set_cc(f, qi & 2 != 0, false, qi & 1 != 0, qi & 4 != 0);
        }
        _ => transcendental(f, which, a),
    }
}

fn transcendental(f: &mut Fpu, which: u64, a: u128) {
    let x = to_f64(a);
    let ca = classify(a);
    if ca == Class::Nan || ca == Class::Unsupported {
        let o = propagate(a, None);
        let flags = o.flags | if ca == Class::Unsupported { fsw::IE } else { 0 };
        if raise(f, flags) {
            return;
        }
        match which {
            unary::PTAN | unary::SINCOS => {
                write_st(f, 0, o.value);
                push(f, o.value);
            }
            unary::YL2X | unary::YL2XP1 | unary::PATAN => {
                write_st(f, 1, o.value);
                pop(f);
            }
            _ => write_st(f, 0, o.value),
        }
        return;
    }
    let big = ca == Class::Infinity || x.abs() >= 9.223_372_036_854_776e18; // 2^63
    match which {
        unary::F2XM1 => {
            let (v, fl) = from_f64(libm::exp2(x) - 1.0);
            raise(f, fl);
            write_st(f, 0, v);
        }
        unary::SIN | unary::COS | unary::PTAN | unary::SINCOS => {
            if big {
                // Out of range: C2 set, nothing changes.
                f.fsw |= fsw::C2;
                if ca == Class::Infinity && !raise(f, fsw::IE) {
                    write_st(f, 0, INDEFINITE);
                }
                return;
            }
            f.fsw &= !fsw::C2;
            match which {
                unary::SIN => {
                    let (v, fl) = from_f64(libm::sin(x));
                    raise(f, fl);
                    write_st(f, 0, v);
                }
                unary::COS => {
                    let (v, fl) = from_f64(libm::cos(x));
                    raise(f, fl);
                    write_st(f, 0, v);
                }
                unary::PTAN => {
                    let (v, fl) = from_f64(libm::tan(x));
                    raise(f, fl);
                    write_st(f, 0, v);
                    push(f, CONSTANTS[0]);
                }
                _ => {
                    let (s, fs) = from_f64(libm::sin(x));
                    let (c, fc) = from_f64(libm::cos(x));
                    raise(f, fs | fc);
                    write_st(f, 0, s);
                    push(f, c);
                }
            }
        }
        unary::YL2X | unary::YL2XP1 | unary::PATAN => {
            let Some(b) = read_st(f, 1) else { return };
            let y = to_f64(b);
            let r = match which {
                unary::YL2X => {
                    if x < 0.0 || (x == 0.0 && y == 0.0) {
                        f64::NAN
                    } else {
                        y * libm::log2(x)
                    }
                }
                unary::YL2XP1 => y * libm::log1p(x) / core::f64::consts::LN_2,
                _ => libm::atan2(y, x),
            };
            let (v, fl) = if r.is_nan() {
                (INDEFINITE, fsw::IE)
            } else {
                from_f64(r)
            };
            let fl = if which == unary::YL2X && x == 0.0 && y != 0.0 {
                fsw::ZE
            } else {
                fl
            };
            if !raise(f, fl) {
                write_st(f, 1, v);
                pop(f);
            }
        }
        _ => {}
    }
}

/// 16-bit tag word from the contents.
fn tag_word(f: &Fpu) -> u16 {
    let mut w = 0;
    for p in 0..8 {
        let t = if f.empty & (1 << p) != 0 {
            3
        } else {
            match classify(bits_of(f, p)) {
                Class::Zero => 1,
                Class::Normal => 0,
                _ => 2,
            }
        };
        w |= t << (2 * p);
    }
    w
}

fn mem_op(env: &Env, size: u8) -> MemOp {
    MemOp {
        size,
        align: 1,
        mmu_idx: env.arch.mmu_idx() as u8,
    }
}

/// FNSTENV/FNSAVE: the 32-bit protected-mode environment (28 bytes),
/// then for FNSAVE ST(0)-ST(7) (80 bits each); FNSAVE then initialises.
fn store_env(env: &mut Env, addr: u32, save: bool) -> Result<(), Exc> {
    let user = env.arch.cpl() == 3;
    let len = if save { 108 } else { 28 };
    // Check every page first, so a fault writes nothing.
    for off in [0, len - 1] {
        let a = u64::from(addr.wrapping_add(off));
        softmmu::read(env, a, mem_op(env, 1)).map_err(|e| Exc::from_fault(&e, user))?;
    }
    let f = env.arch.fpu.clone();
    let words: [u32; 7] = [
        0xffff_0000 | u32::from(f.fcw),
        0xffff_0000 | u32::from(f.fsw),
        0xffff_0000 | u32::from(tag_word(&f)),
        f.fip,
        u32::from(f.fcs) | u32::from(f.fop & 0x7ff) << 16,
        f.fdp,
        0xffff_0000 | u32::from(f.fds),
    ];
    let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    if save {
        for i in 0..8 {
            let v = bits_of(&f, phys(&f, i));
            bytes.extend_from_slice(&v.to_le_bytes()[..10]);
        }
    }
    for (i, b) in bytes.iter().enumerate() {
        let a = u64::from(addr.wrapping_add(i as u32));
        softmmu::write(env, a, u64::from(*b), mem_op(env, 1))
            .map_err(|e| Exc::from_fault(&e, user))?;
    }
    if save {
        env.arch.fpu = Fpu::default();
    } else {
        // FNSTENV masks every exception afterwards.
        env.arch.fpu.fcw |= 0x3f;
    }
    Ok(())
}

/// FLDENV/FRSTOR.
fn load_env(env: &mut Env, addr: u32, restore: bool) -> Result<(), Exc> {
    let user = env.arch.cpl() == 3;
    let len = if restore { 108 } else { 28 };
    let mut bytes = Vec::with_capacity(len);
    for i in 0..len {
        let a = u64::from(addr.wrapping_add(i as u32));
        let b = softmmu::read(env, a, mem_op(env, 1)).map_err(|e| Exc::from_fault(&e, user))?;
        bytes.push(b as u8);
    }
    let w = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    let f = &mut env.arch.fpu;
    f.fcw = w(0) as u16;
    f.fsw = w(1) as u16;
    let tags = w(2) as u16;
    f.empty = (0..8).fold(0, |e, p| {
        if tags >> (2 * p) & 3 == 3 {
            e | 1 << p
        } else {
            e
        }
    });
    f.fip = w(3);
    f.fcs = w(4) as u16;
    f.fop = (w(4) >> 16) as u16 & 0x7ff;
    f.fdp = w(5);
    f.fds = w(6) as u16;
    if restore {
        for i in 0..8 {
            let mut b = [0u8; 16];
            b[..10].copy_from_slice(&bytes[28 + 10 * i..38 + 10 * i]);
            let v = u128::from_le_bytes(b);
            let p = phys(f, i);
            f.mant[p] = v as u64;
            f.sexp[p] = (v >> 64) as u16;
        }
    }
    // A status word with an unmasked exception pending keeps it pending.
    let unmasked = f.fsw & 0x3f & !(f.fcw & 0x3f);
    if unmasked != 0 {
        f.fsw |= fsw::ES | fsw::B;
    } else {
        f.fsw &= !(fsw::ES | fsw::B);
    }
    Ok(())
}

/// The x87 helper: `(code, a, b, location)` — see [`op`]. `location`
/// packs FOP (bits 10:0), and FIP in bits 63:32, for FIP/FOP/FDP; the
/// data pointer is passed through `a` for memory forms where needed.
pub static X87: Helper = Helper {
    name: "x87",
    func: x87,
    may_fault: true,
    state: StateUse::All,
};

unsafe extern "C" fn x87(e: *mut u8, code: u64, a: u64, b: u64, loc: u64) -> u64 {
    // SAFETY: the environment of an x86 vCPU.
    let env = unsafe { &mut *(e as *mut Env) };
    let kind = code & 0xff;
    let p = code >> 8;
    if waits(code) && env.arch.fpu.fsw & fsw::ES != 0 {
        env.raise(Exc::new(vector::MF, 0).to_fault());
        return 0;
    }
    if !is_control(code) {
        let f = &mut env.arch.fpu;
        f.fop = (loc & 0x7ff) as u16;
        f.fip = (loc >> 32) as u32;
        f.fcs = env.arch.seg[lockstep_runtime::x86::sreg::CS].selector as u16;
        if loc & 0x800 != 0 {
            // A memory operand: its offset (bits 63:32 of `b`) and
            // segment register (bits 14:12 of `loc`).
            let seg = (loc >> 12 & 7) as usize;
            f.fdp = (b >> 32) as u32;
            f.fds = env.arch.seg[seg.min(5)].selector as u16;
        }
    }
    let f = &mut env.arch.fpu;
    let fcw = f.fcw;
    match kind {
        op::PUSH80 => {
            let v = u128::from(a) | u128::from(b as u16) << 64;
            let fl = if is_snan(v) { fsw::IE } else { 0 };
            if !raise(f, fl) {
                set_c1(f, false);
                push(f, v);
            }
        }
        op::PUSH_MEM => {
            let (v, fl) = if p & 0xff == 3 {
                // m80bcd (FBLD).
                (from_bcd(u128::from(b as u16) << 64 | u128::from(a)), 0)
            } else {
                widen(p & 0xff, a)
            };
            let v = if is_snan(v) { quiet(v) } else { v };
            if !raise(f, fl) {
                set_c1(f, false);
                push(f, v);
            }
        }
        op::PUSH_ST => match read_st(f, (p & 7) as usize) {
            Some(v) => {
                set_c1(f, false);
                push(f, v);
            }
            None => {
                if let Some(v) = underflow_result(f) {
                    push(f, v);
                }
            }
        },
        op::PUSH_CONST => {
            set_c1(f, false);
            push(f, constant((p & 7) as usize, fcw >> 10 & 3));
        }
        op::STORE => {
            let what = p & 0xf;
            f.pend_pop = u8::from(p & 0x10 != 0);
            f.pend_flags = 0;
            f.pend_c1 = 0;
            f.store_ok = 1;
            if is_empty(f, 0) {
                // Stack underflow: masked, the format's indefinite.
                f.pend_flags = fsw::IE | fsw::SF;
                f.store_ok = u32::from(f.fcw & fsw::IE != 0);
                f.out_hi = 0xffff;
                return match what {
                    0 => 0xffc0_0000,
                    1 => 0xfff8_0000_0000_0000,
                    3 => 0x8000,
                    4 => 0x8000_0000,
                    5 => 0x8000_0000_0000_0000,
                    _ => 0xc000_0000_0000_0000,
                };
            }
            let v = bits_of(f, phys(f, 0));
            let (out, fl, up) = match what {
                0 | 1 => narrow(what, v, fcw),
                2 => {
                    f.out_hi = (v >> 64) as u16;
                    (v as u64, 0, false)
                }
                3 => to_int(v, 16, fcw),
                4 => to_int(v, 32, fcw),
                5 => to_int(v, 64, fcw),
                _ => {
                    let (bcd, fl) = to_bcd(v, fcw);
                    f.out_hi = (bcd >> 64) as u16;
                    (bcd as u64, fl, false)
                }
            };
            f.pend_flags = fl;
            f.pend_c1 = u8::from(up);
            // An unmasked invalid or denormal: nothing is stored.
            let unmasked = fl & 0x3f & !(f.fcw & 0x3f);
            f.store_ok = u32::from(unmasked & (fsw::IE | fsw::DE) == 0);
            return out;
        }
        op::COMMIT => {
            let suppressed = raise(f, f.pend_flags);
            if f.pend_flags & fsw::SF != 0 {
                set_c1(f, false);
            } else if !suppressed {
                set_c1(f, f.pend_c1 != 0);
            }
            if f.store_ok != 0 && f.pend_pop != 0 {
                pop(f);
            }
        }
        op::STORE_ST => {
            let i = (p & 7) as usize;
            match read_st(f, 0) {
                Some(v) => {
                    set_c1(f, false);
                    write_st(f, i, v);
                }
                None => {
                    if let Some(v) = underflow_result(f) {
                        write_st(f, i, v);
                    } else {
                        return 0;
                    }
                }
            }
            if p & 0x10 != 0 {
                pop(f);
            }
        }
        op::ARITH => {
            let k = Arith::from_code(p & 0xf);
            let form = p >> 4 & 0xf;
            let i = (p >> 8 & 7) as usize;
            let (x, y, dest) = match form {
                0 => {
                    let Some(s0) = read_st(f, 0) else {
                        if let Some(v) = underflow_result(f) {
                            write_st(f, 0, v);
                        }
                        return 0;
                    };
                    let (m, fl) = widen(p >> 12 & 0xf, a);
                    if raise(f, fl) {
                        return 0;
                    }
                    (s0, m, 0)
                }
                1 => {
                    let (s0, si) = (read_st(f, 0), read_st(f, i));
                    let (Some(s0), Some(si)) = (s0, si) else {
                        if let Some(v) = underflow_result(f) {
                            write_st(f, 0, v);
                        }
                        return 0;
                    };
                    (s0, si, 0)
                }
                _ => {
                    let (s0, si) = (read_st(f, 0), read_st(f, i));
                    let (Some(s0), Some(si)) = (s0, si) else {
                        if let Some(v) = underflow_result(f) {
                            write_st(f, i, v);
                            if form == 3 {
                                pop(f);
                            }
                        }
                        return 0;
                    };
                    (si, s0, i)
                }
            };
            let (v, fl, up) = arith(k, x, y, fcw);
            if !raise(f, fl) {
                set_c1(f, up);
                write_st(f, dest, v);
                if form == 3 {
                    pop(f);
                }
            }
        }
        op::COMPARE => {
            let i = (p & 7) as usize;
            let pops = p >> 4 & 3;
            let quiet_nan = p >> 6 & 1 != 0;
            let to_eflags = p >> 7 & 1 != 0;
            let s0 = read_st(f, 0);
            let other = if p >> 8 & 1 != 0 {
                let (m, fl) = widen(p >> 12 & 0xf, a);
                if raise(f, fl) {
                    return 0;
                }
                Some(m)
            } else {
                read_st(f, i)
            };
            let ((c3, c2, c0), fl) = match (s0, other) {
                (Some(x), Some(y)) => compare(x, y, quiet_nan),
                _ => ((true, true, true), 0),
            };
            if raise(f, fl) && fl & fsw::IE != 0 {
                // Unmasked invalid: no condition codes, no pops.
                return 0;
            }
            if to_eflags {
                let cpu = &mut env.arch;
                cpu.zres = u32::from(!c3);
                cpu.pres = u32::from(!c2);
                cpu.cf = u32::from(c0);
                cpu.of = 0;
                cpu.sres = 0;
                cpu.aux = 0;
                set_c1(&mut cpu.fpu, false);
            } else {
                set_cc(f, c3, c2, false, c0);
            }
            let f = &mut env.arch.fpu;
            for _ in 0..pops {
                pop(f);
            }
        }
        op::UNARY => unary_op(f, p & 0xff),
        op::XCH => {
            let i = (p & 7) as usize;
            let (x, y) = (read_st(f, 0), read_st(f, i));
            let (x, y) = match (x, y) {
                (Some(x), Some(y)) => (x, y),
                _ => match underflow_result(f) {
                    Some(ind) => (x.unwrap_or(ind), y.unwrap_or(ind)),
                    None => return 0,
                },
            };
            set_c1(f, false);
            write_st(f, 0, y);
            write_st(f, i, x);
        }
        op::FREE => {
            let i = (p & 7) as usize;
            let ph = phys(f, i);
            f.empty |= 1 << ph;
            if p & 0x10 != 0 {
                pop(f);
            }
        }
        op::STP => {
            let t = top(f);
            set_top(f, if p & 1 == 0 { t + 1 } else { t + 7 });
            set_c1(f, false);
        }
        op::INIT => {
            let keep = (f.fop, f.fip, f.fcs, f.fdp, f.fds);
            *f = Fpu::default();
            (f.fop, f.fip, f.fcs, f.fdp, f.fds) = keep;
        }
        op::CLEX => f.fsw &= !(0xff | fsw::B),
        op::LDCW => {
            f.fcw = a as u16 | 0x40;
            let unmasked = f.fsw & 0x3f & !(f.fcw & 0x3f);
            if unmasked != 0 {
                f.fsw |= fsw::ES | fsw::B;
            } else {
                f.fsw &= !(fsw::ES | fsw::B);
            }
        }
        op::STCW => return u64::from(f.fcw),
        op::STSW => return u64::from(f.fsw),
        op::CMOV => {
            let i = (p & 7) as usize;
            match read_st(f, i) {
                Some(v) if a != 0 => write_st(f, 0, v),
                Some(_) => {}
                None => {
                    if let Some(v) = underflow_result(f) {
                        if a != 0 {
                            write_st(f, 0, v);
                        }
                    }
                }
            }
        }
        op::STORE_ENV => {
            if let Err(x) = store_env(env, a as u32, p & 1 != 0) {
                env.raise(x.to_fault());
            }
        }
        op::LOAD_ENV => {
            if let Err(x) = load_env(env, a as u32, p & 1 != 0) {
                env.raise(x.to_fault());
            }
        }
        _ => {}
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f80(x: f64) -> u128 {
        widen(1, x.to_bits()).0
    }

    #[test]
    fn arithmetic_rounds_and_flags_as_the_x87() {
        let (v, fl, _) = arith(Arith::Add, f80(1.0), f80(2.0), 0x37f);
        assert_eq!(v, f80(3.0));
        assert_eq!(fl, 0);
        let (v, fl, _) = arith(Arith::Div, f80(1.0), f80(3.0), 0x37f);
        assert_eq!(v, 0x3ffd_aaaa_aaaa_aaaa_aaab);
        assert_eq!(fl, fsw::PE);
        let (v, fl, _) = arith(Arith::Div, f80(1.0), f80(0.0), 0x37f);
        assert_eq!((v, fl), (0x7fff_8000_0000_0000_0000, fsw::ZE));
        let (v, fl, _) = arith(Arith::Sub, f80(f64::INFINITY), f80(f64::INFINITY), 0x37f);
        assert_eq!((v, fl), (INDEFINITE, fsw::IE));
        // 53-bit precision control.
        let (v, _, _) = arith(Arith::Div, f80(1.0), f80(3.0), 0x27f);
        assert_eq!(v, f80(1.0 / 3.0));
    }

    #[test]
    fn stores_narrow_and_convert_to_integers() {
        assert_eq!(narrow(1, f80(0.1), 0x37f).0, 0.1f64.to_bits());
        assert_eq!(to_int(f80(2.5), 32, 0x37f).0, 2);
        assert_eq!(
            to_int(f80(-2.5), 32, 0x37f | 0x400).0 as u32,
            (-3i32) as u32
        );
        assert_eq!(to_int(f80(1e20), 32, 0x37f), (0x8000_0000, fsw::IE, false));
        let (bcd, _) = to_bcd(f80(-1234.0), 0x37f);
        assert_eq!(bcd, 0x80 << 72 | 0x1234);
        assert_eq!(from_bcd(bcd), f80(-1234.0));
    }

    fn call(env: &mut Env, code: u64, a: u64) -> u64 {
        // SAFETY: a live environment; these operations touch no memory.
        unsafe { x87(env as *mut Env as *mut u8, code, a, 0, 0) }
    }

    #[test]
    fn stack_overflow_and_underflow_are_stack_faults() {
        let mut env = CpuEnv::new(X86Cpu::new(), std::ptr::null_mut());
        for _ in 0..8 {
            call(&mut env, op::PUSH_CONST, 0);
        }
        assert_eq!(env.arch.fpu.fsw & 0x7f, 0);
        // A ninth push: IE and SF, C1 = 1 (overflow), the indefinite.
        call(&mut env, op::PUSH_CONST, 0);
        let f = &env.arch.fpu;
        assert_eq!(
            f.fsw & (fsw::IE | fsw::SF | fsw::C1),
            fsw::IE | fsw::SF | fsw::C1
        );
        assert_eq!(bits_of(f, phys(f, 0)), INDEFINITE);
        // Empty the stack, then read ST(0): underflow, C1 = 0.
        call(&mut env, op::INIT, 0);
        call(&mut env, op::UNARY | unary::CHS << 8, 0);
        let f = &env.arch.fpu;
        assert_eq!(f.fsw & (fsw::IE | fsw::SF | fsw::C1), fsw::IE | fsw::SF);
        // Unmasked: ES set, and the next waiting instruction raises #MF.
        call(&mut env, op::INIT, 0);
        call(&mut env, op::LDCW, 0x37e);
        call(&mut env, op::UNARY | unary::CHS << 8, 0);
        assert_ne!(env.arch.fpu.fsw & fsw::ES, 0);
        assert_eq!(env.fault_pending, 0);
        call(&mut env, op::PUSH_CONST, 0);
        assert_eq!(env.fault_pending, 1);
        assert!(matches!(
            env.fault.map(|f| f.kind),
            Some(lockstep_runtime::env::FaultKind::Arch { vector: 16, .. })
        ));
    }

    #[test]
    fn nans_propagate_by_the_x87_rule() {
        let snan = 0x7fff_a000_0000_0000_0000u128;
        let (v, fl, _) = arith(Arith::Add, snan, f80(1.0), 0x37f);
        assert_eq!((v, fl), (0x7fff_e000_0000_0000_0000, fsw::IE));
        assert_eq!(classify(INDEFINITE), Class::Nan);
        assert_eq!(classify(0x4000_0000_0000_0000_0000), Class::Unsupported);
    }
}
