//! ARM floating point as VFPv4 defines it, bit for bit: the operations
//! of the VFP instructions (and later the Advanced SIMD ones) on raw
//! single- and double-precision bits, under an FPSCR.
//!
//! The arithmetic is IEEE 754's, computed exactly by [`crate::float`];
//! around it this module applies ARM's rules, following the
//! architecture's pseudocode (FPUnpack, FPProcessNaNs, FPRound):
//! - flush-to-zero (FPSCR.FZ): denormal operands become zero (IDC), and a
//!   result tiny before rounding becomes zero (UFC, not IXC);
//! - NaNs: a signalling NaN operand wins over a quiet one, the first
//!   operand over the second; the result is that NaN made quiet (IOC for
//!   a signalling one); an invalid operation gives the default NaN
//!   (0x7FC00000 / 0x7FF8000000000000); with FPSCR.DN every NaN result is
//!   the default NaN;
//! - underflow is detected before rounding, and only raised when the
//!   result is inexact (or flushed);
//! - the cumulative exception bits of the FPSCR (IOC, DZC, OFC, UFC, IXC,
//!   IDC) collect what happened; the trap enables are not implemented
//!   (as on a Cortex-A15), so nothing traps.

use crate::float::{self, Double, Float, FloatConvert, Half, Round, Single, Status, StatusAnd};

/// FPSCR bits.
pub mod fpscr {
    /// Invalid operation (cumulative).
    pub const IOC: u32 = 1 << 0;
    /// Division by zero.
    pub const DZC: u32 = 1 << 1;
    /// Overflow.
    pub const OFC: u32 = 1 << 2;
    /// Underflow.
    pub const UFC: u32 = 1 << 3;
    /// Inexact.
    pub const IXC: u32 = 1 << 4;
    /// Input denormal (an operand flushed to zero).
    pub const IDC: u32 = 1 << 7;
    /// Rounding mode field shift (bits 23:22).
    pub const RMODE_SHIFT: u32 = 22;
    /// Flush-to-zero.
    pub const FZ: u32 = 1 << 24;
    /// Default NaN.
    pub const DN: u32 = 1 << 25;
    /// Alternative half-precision format.
    pub const AHP: u32 = 1 << 26;
    /// The bits a write can change on a Cortex-A15: N, Z, C, V, QC, AHP,
    /// DN, FZ, RMode and the cumulative flags (no short vectors, no
    /// trapped exceptions).
    pub const WRITABLE: u32 = 0xffc0_009f;
}

/// One of the two formats, on raw bits.
pub trait ArmFloat: Float {
    /// Bits in the format.
    const WIDTH: u32;
    /// The default NaN.
    const DEFAULT_NAN: u64;
    /// The quiet bit of a NaN.
    const QUIET: u64;
    /// The sign bit.
    const SIGN: u64;
    /// Whether FPSCR.FZ flushes this format (not half precision).
    const FLUSHES: bool = true;

    /// The host's IEEE result of `op` in round-to-nearest, for the
    /// formats the host computes natively (see [`host_fast`]).
    fn host(_op: HostOp, _a: u64, _b: u64, _c: u64) -> Option<u64> {
        None
    }

    /// The value of `bits`.
    fn of(bits: u64) -> Self {
        Self::from_bits(u128::from(bits))
    }
    /// The bits of `self`.
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl ArmFloat for Single {
    const WIDTH: u32 = 32;
    const DEFAULT_NAN: u64 = 0x7fc0_0000;
    const QUIET: u64 = 0x0040_0000;
    const SIGN: u64 = 0x8000_0000;

    #[inline(always)]
    fn host(op: HostOp, a: u64, b: u64, c: u64) -> Option<u64> {
        let f = |x: u64| f32::from_bits(x as u32);
        let r = match op {
            HostOp::Add => f(a) + f(b),
            HostOp::Sub => f(a) - f(b),
            HostOp::Mul => f(a) * f(b),
            HostOp::Div => f(a) / f(b),
            HostOp::MulAdd => f(a).mul_add(f(b), f(c)),
            HostOp::Sqrt => f(a).sqrt(),
        };
        Some(u64::from(r.to_bits()))
    }
}

impl ArmFloat for Half {
    const WIDTH: u32 = 16;
    const DEFAULT_NAN: u64 = 0x7e00;
    const QUIET: u64 = 0x0200;
    const SIGN: u64 = 0x8000;
    const FLUSHES: bool = false;
}

impl ArmFloat for Double {
    const WIDTH: u32 = 64;
    const DEFAULT_NAN: u64 = 0x7ff8_0000_0000_0000;
    const QUIET: u64 = 0x0008_0000_0000_0000;
    const SIGN: u64 = 0x8000_0000_0000_0000;

    #[inline(always)]
    fn host(op: HostOp, a: u64, b: u64, c: u64) -> Option<u64> {
        let f = f64::from_bits;
        let r = match op {
            HostOp::Add => f(a) + f(b),
            HostOp::Sub => f(a) - f(b),
            HostOp::Mul => f(a) * f(b),
            HostOp::Div => f(a) / f(b),
            HostOp::MulAdd => f(a).mul_add(f(b), f(c)),
            HostOp::Sqrt => f(a).sqrt(),
        };
        Some(r.to_bits())
    }
}

/// The operations [`host_fast`] may hand to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `a * b + c`, one rounding.
    MulAdd,
    Sqrt,
}

/// The exponent field of `bits` in format `F`.
fn exponent<F: ArmFloat>(bits: u64) -> u64 {
    let frac_bits = F::PRECISION as u32 - 1;
    (bits >> frac_bits) & ((1 << (F::WIDTH - frac_bits - 1)) - 1)
}

/// The host's result where it is ARM's too, bit for bit and flag for flag:
/// round to nearest, the inexact flag already set (the only flag a
/// common operation raises, so nothing is left to record), every operand
/// a normal number or zero (no flushing, no NaN rules, no infinities) and
/// a normal result clear of the smallest normal binade (no overflow, no
/// underflow, no tininess question). IEEE 754 fixes the rest, and the
/// host's scalar SSE arithmetic (and a correctly rounded fused
/// multiply-add) follows it. Anything else takes the exact path.
#[inline(always)]
fn host_fast<F: ArmFloat>(op: HostOp, ops: &[u64], fpscr: u32) -> Option<u64> {
    if fpscr >> fpscr::RMODE_SHIFT & 3 != 0 || fpscr & fpscr::IXC == 0 {
        return None;
    }
    let max = (1u64 << (F::WIDTH - F::PRECISION as u32)) - 1;
    let frac_mask = (1u64 << (F::PRECISION as u32 - 1)) - 1;
    for &x in ops {
        let e = exponent::<F>(x);
        if e == max || (e == 0 && x & frac_mask != 0) {
            return None;
        }
    }
    let (a, b, c) = (ops[0], *ops.get(1).unwrap_or(&0), *ops.get(2).unwrap_or(&0));
    let r = F::host(op, a, b, c)?;
    let e = exponent::<F>(r);
    (e >= 2 && e < max).then_some(r)
}

/// The rounding mode FPSCR.RMode selects.
pub fn rounding(fpscr: u32) -> Round {
    match fpscr >> fpscr::RMODE_SHIFT & 3 {
        0 => Round::NearestTiesToEven,
        1 => Round::TowardPositive,
        2 => Round::TowardNegative,
        _ => Round::TowardZero,
    }
}

/// An operand as FPUnpack sees it: with FZ, a denormal is zero (IDC).
pub(crate) fn unpack<F: ArmFloat>(bits: u64, fpscr: &mut u32) -> F {
    let x = F::of(bits);
    if F::FLUSHES && *fpscr & fpscr::FZ != 0 && x.is_denormal() {
        *fpscr |= fpscr::IDC;
        return F::ZERO.copy_sign(x);
    }
    x
}

/// The NaN result of an operation with these operands, if any operand is
/// a NaN (FPProcessNaNs/FPProcessNaNs3), with the flags it raises.
pub(crate) fn process_nans<F: ArmFloat>(ops: &[F], fpscr: &mut u32) -> Option<u64> {
    let pick = ops
        .iter()
        .find(|x| x.is_signaling())
        .or_else(|| ops.iter().find(|x| x.is_nan()))?;
    if pick.is_signaling() {
        *fpscr |= fpscr::IOC;
    }
    Some(if *fpscr & fpscr::DN != 0 {
        F::DEFAULT_NAN
    } else {
        pick.bits() | F::QUIET
    })
}

/// Rounds an operation's result into the FPSCR's rules: `op(mode, half)`
/// computes it in a rounding mode, or half of it (`half`: exact scaling
/// of the operands, used to tell an overflow APFloat does not report).
/// It is called again only in those corner cases. Returns the result's
/// bits.
fn round<F: ArmFloat>(fpscr: &mut u32, op: impl Fn(Round, bool) -> StatusAnd<F>) -> u64 {
    let mode = rounding(*fpscr);
    round_in(mode, fpscr, op)
}

/// [`round`] in a rounding mode the instruction fixes.
fn round_in<F: ArmFloat>(
    mode: Round,
    fpscr: &mut u32,
    op: impl Fn(Round, bool) -> StatusAnd<F>,
) -> u64 {
    let StatusAnd { mut status, value } = op(mode, false);
    if status.contains(Status::INEXACT)
        && value.abs().bitwise_eq(F::largest())
        && !status.contains(Status::OVERFLOW)
    {
        // Rounding toward zero gave the largest number: ARM (and IEEE)
        // call it an overflow when the exact result is at least
        // 2^(emax+1), which APFloat leaves unsaid. Half of it decides.
        let half = op(Round::TowardZero, true).value;
        if half.is_finite() && half.ilogb() >= F::MAX_EXP {
            status |= Status::OVERFLOW;
        }
    }
    if value.is_nan() {
        // An invalid operation on numbers: the default NaN.
        *fpscr |= fpscr::IOC;
        return F::DEFAULT_NAN;
    }
    let inexact = status.contains(Status::INEXACT);
    let tiny = status.contains(Status::UNDERFLOW)
        || (value.is_denormal())
        || (inexact
            && value.abs().bitwise_eq(F::smallest_normalized())
            && float::tiny_before_rounding(|r| op(r, false)));
    if tiny && F::FLUSHES && *fpscr & fpscr::FZ != 0 {
        *fpscr |= fpscr::UFC;
        return F::ZERO.copy_sign(value).bits();
    }
    if status.contains(Status::INVALID_OP) {
        *fpscr |= fpscr::IOC;
    }
    if status.contains(Status::DIV_BY_ZERO) {
        *fpscr |= fpscr::DZC;
    }
    if status.contains(Status::OVERFLOW) {
        *fpscr |= fpscr::OFC;
    }
    if tiny && inexact {
        *fpscr |= fpscr::UFC;
    }
    if inexact {
        *fpscr |= fpscr::IXC;
    }
    value.bits()
}

/// The two-operand arithmetic operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// The operation by number (0-3).
    pub fn from_u64(v: u64) -> Self {
        [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div][(v & 3) as usize]
    }
}

/// FPAdd, FPSub, FPMul, FPDiv.
#[inline]
pub fn binop<F: ArmFloat>(op: BinOp, a: u64, b: u64, fpscr: &mut u32) -> u64 {
    let hop = match op {
        BinOp::Add => HostOp::Add,
        BinOp::Sub => HostOp::Sub,
        BinOp::Mul => HostOp::Mul,
        BinOp::Div => HostOp::Div,
    };
    if let Some(r) = host_fast::<F>(hop, &[a, b], *fpscr) {
        return r;
    }
    binop_exact::<F>(op, a, b, fpscr)
}

#[inline(never)]
fn binop_exact<F: ArmFloat>(op: BinOp, a: u64, b: u64, fpscr: &mut u32) -> u64 {
    let x: F = unpack(a, fpscr);
    let y: F = unpack(b, fpscr);
    if let Some(nan) = process_nans(&[x, y], fpscr) {
        return nan;
    }
    round(fpscr, |r, half| {
        let (hx, hy) = if half {
            (x.scalbn(-1), y.scalbn(-1))
        } else {
            (x, y)
        };
        match op {
            BinOp::Add => hx.add_r(hy, r),
            BinOp::Sub => hx.sub_r(hy, r),
            BinOp::Mul => hx.mul_r(y, r),
            BinOp::Div => hx.div_r(y, r),
        }
    })
}

/// FPMulAdd: `addend + op1 * op2` with one rounding (VFMA and friends).
pub fn mul_add<F: ArmFloat>(addend: u64, op1: u64, op2: u64, fpscr: &mut u32) -> u64 {
    if let Some(r) = host_fast::<F>(HostOp::MulAdd, &[op1, op2, addend], *fpscr) {
        return r;
    }
    let a: F = unpack(addend, fpscr);
    let x: F = unpack(op1, fpscr);
    let y: F = unpack(op2, fpscr);
    let inf_times_zero = (x.is_infinite() && y.is_zero()) || (x.is_zero() && y.is_infinite());
    if a.is_nan() && !a.is_signaling() && inf_times_zero {
        // A quiet NaN addend does not hide an invalid product.
        *fpscr |= fpscr::IOC;
        return F::DEFAULT_NAN;
    }
    if let Some(nan) = process_nans(&[a, x, y], fpscr) {
        return nan;
    }
    round(fpscr, |r, half| {
        if half {
            x.scalbn(-1).mul_add_r(y, a.scalbn(-1), r)
        } else {
            x.mul_add_r(y, a, r)
        }
    })
}

/// FPSqrt.
pub fn sqrt<F: ArmFloat>(a: u64, fpscr: &mut u32) -> u64 {
    if let Some(r) = host_fast::<F>(HostOp::Sqrt, &[a], *fpscr) {
        return r;
    }
    let x: F = unpack(a, fpscr);
    if let Some(nan) = process_nans(&[x], fpscr) {
        return nan;
    }
    // A square root never overflows.
    round(fpscr, |r, _| float::sqrt(x, r))
}

/// FPCompare: the NZCV flags of comparing `a` with `b` (unordered 0011,
/// equal 0110, less 1000, greater 0010). `quiet_nans_signal`: VCMPE,
/// where any NaN raises IOC (VCMP: only a signalling one).
pub fn compare<F: ArmFloat>(a: u64, b: u64, quiet_nans_signal: bool, fpscr: &mut u32) -> u32 {
    let x: F = unpack(a, fpscr);
    let y: F = unpack(b, fpscr);
    if x.is_nan() || y.is_nan() {
        if quiet_nans_signal || x.is_signaling() || y.is_signaling() {
            *fpscr |= fpscr::IOC;
        }
        return 0b0011;
    }
    match x.partial_cmp(&y) {
        Some(std::cmp::Ordering::Equal) => 0b0110,
        Some(std::cmp::Ordering::Less) => 0b1000,
        _ => 0b0010,
    }
}

/// FPConvert between the two formats (VCVT.F64.F32, VCVT.F32.F64).
pub fn convert<From: ArmFloat + FloatConvert<To>, To: ArmFloat>(a: u64, fpscr: &mut u32) -> u64 {
    let x: From = unpack(a, fpscr);
    if x.is_nan() {
        if x.is_signaling() {
            *fpscr |= fpscr::IOC;
        }
        if *fpscr & fpscr::DN != 0 {
            return To::DEFAULT_NAN;
        }
        // Sign and the top of the payload carry over; the result is quiet.
        let sign = if a & From::SIGN != 0 { To::SIGN } else { 0 };
        let payload_bits = From::PRECISION as u32 - 2;
        let payload = a & ((1 << payload_bits) - 1);
        let to_payload_bits = To::PRECISION as u32 - 2;
        let p = if to_payload_bits >= payload_bits {
            payload << (to_payload_bits - payload_bits)
        } else {
            payload >> (payload_bits - to_payload_bits)
        };
        return sign | To::DEFAULT_NAN | p;
    }
    round(fpscr, |r, half| {
        let mut loses = false;
        let x = if half { x.scalbn(-1) } else { x };
        x.convert_r(r, &mut loses)
    })
}

/// FPToFixed: `a` scaled by 2^`fbits` to a 32-bit integer (or 16-bit
/// when `half`), signed or not, rounded toward zero or by the FPSCR; NaN
/// gives 0 and out-of-range values saturate, both with IOC.
pub fn to_fixed<F: ArmFloat>(
    a: u64,
    fbits: u32,
    unsigned: bool,
    width: u32,
    round_to_zero: bool,
    fpscr: &mut u32,
) -> u64 {
    let x: F = unpack(a, fpscr);
    if x.is_nan() {
        *fpscr |= fpscr::IOC;
        return 0;
    }
    let mode = if round_to_zero {
        Round::TowardZero
    } else {
        rounding(*fpscr)
    };
    let scaled = x.scalbn(fbits as _);
    let mut exact = false;
    let (value, status) = if unsigned {
        let r = scaled.to_u128_r(width as usize, mode, &mut exact);
        (r.value as u64, r.status)
    } else {
        let r = scaled.to_i128_r(width as usize, mode, &mut exact);
        (r.value as u64, r.status)
    };
    if status.contains(Status::INVALID_OP) {
        *fpscr |= fpscr::IOC;
    } else if status.contains(Status::INEXACT) {
        *fpscr |= fpscr::IXC;
    }
    value & (u64::MAX >> (64 - width))
}

/// FixedToFP: the `width`-bit integer `a` (signed or not) divided by
/// 2^`fbits`, rounded to nearest (fixed point) or by the FPSCR
/// (integers).
pub fn from_fixed<F: ArmFloat>(
    a: u64,
    fbits: u32,
    unsigned: bool,
    width: u32,
    round_to_nearest: bool,
    fpscr: &mut u32,
) -> u64 {
    let v = a & (u64::MAX >> (64 - width));
    let int = if unsigned {
        i128::from(v)
    } else {
        i128::from(((v << (64 - width)) as i64) >> (64 - width))
    };
    let mode = if round_to_nearest {
        Round::NearestTiesToEven
    } else {
        rounding(*fpscr)
    };
    // A 32-bit integer never overflows a float.
    round_in(mode, fpscr, |r, _| {
        let s = F::from_i128_r(int, r);
        // Scaling down by at most 2^32 stays in the normal range.
        s.status.and(s.value.scalbn(-(fbits as i32) as _))
    })
}

/// Single to half precision (VCVTB/VCVTT to F16): IEEE half, or with
/// FPSCR.AHP the alternative format, which has no infinities or NaNs
/// (exponent 31 holds normal numbers) and saturates instead (IOC).
pub fn single_to_half(a: u64, fpscr: &mut u32) -> u64 {
    if *fpscr & fpscr::AHP == 0 {
        return convert::<Single, Half>(a, fpscr);
    }
    let x: Single = unpack(a, fpscr);
    let sign = a >> 16 & 0x8000;
    if x.is_nan() {
        *fpscr |= fpscr::IOC;
        return sign;
    }
    if x.is_infinite() {
        *fpscr |= fpscr::IOC;
        return sign | 0x7fff;
    }
    if x.is_zero() {
        return sign;
    }
    // Round the magnitude to 11 significant bits (or to the denormal
    // spacing 2^-24), signed so the directed modes round the right way.
    let mode = rounding(*fpscr);
    let e = (x.ilogb() as i32).max(-14);
    let mut exact = false;
    let m = x
        .scalbn((10 - e) as _)
        .to_i128_r(64, mode, &mut exact)
        .value
        .unsigned_abs() as u64;
    let (e, m) = if m == 2048 { (e + 1, 1024) } else { (e, m) };
    if e > 16 {
        *fpscr |= fpscr::IOC;
        return sign | 0x7fff;
    }
    if !exact {
        if x.ilogb() < -14 {
            *fpscr |= fpscr::UFC;
        }
        *fpscr |= fpscr::IXC;
    }
    if m < 1024 {
        sign | m
    } else {
        sign | ((e + 15) as u64) << 10 | (m - 1024)
    }
}

/// Half precision to single (VCVTB/VCVTT from F16); exact.
pub fn half_to_single(h: u64, fpscr: &mut u32) -> u64 {
    let h = h & 0xffff;
    if *fpscr & fpscr::AHP != 0 && h & 0x7c00 == 0x7c00 {
        // The alternative format's exponent 31: 2^16 * 1.m.
        return (h & 0x8000) << 16 | 0x8f << 23 | (h & 0x3ff) << 13;
    }
    convert::<Half, Single>(h, fpscr)
}

/// Selectors of the one-operand helper ([`helpers::UNARY`]).
pub mod unary {
    /// Square root (with the precision bit, 8).
    pub const SQRT: u64 = 0;
    /// Single to double.
    pub const SINGLE_TO_DOUBLE: u64 = 1;
    /// Double to single.
    pub const DOUBLE_TO_SINGLE: u64 = 2;
    /// Half (low 16 bits) to single.
    pub const HALF_TO_SINGLE: u64 = 3;
    /// Single to half (in the low 16 bits).
    pub const SINGLE_TO_HALF: u64 = 4;
}

/// Bits of the fixed-point conversion helper's selector
/// ([`helpers::FIXED`]): the fraction bits in 5:0, the precision in 8.
pub mod fixed {
    /// The integer is unsigned.
    pub const UNSIGNED: u32 = 6;
    /// The integer is 16 bits wide (else 32).
    pub const HALF: u32 = 7;
    /// Integer to float (else float to integer).
    pub const TO_FLOAT: u32 = 9;
    /// The instruction fixes the rounding mode (else the FPSCR's): toward
    /// zero to an integer, to nearest from fixed point.
    pub const FIXED_ROUNDING: u32 = 10;
}

/// The runtime helpers the VFP lifters call. Each takes raw register bits
/// and a selector (bit 8: double precision) and updates the FPSCR in the
/// environment.
pub mod helpers {
    use super::*;
    use crate::frontend::arm::helpers::arm;
    use crate::frontend::arm::slots;
    use crate::ir::{Helper, StateUse};

    /// The VFP helpers touch no guest state but the FPSCR.
    const FPSCR_ONLY: StateUse = StateUse::Ranges(&[(slots::FPSCR.offset, 4)]);

    fn is_double(sel: u64) -> bool {
        sel >> 8 & 1 != 0
    }

    /// `(a, b, op)`: FPAdd, FPSub, FPMul or FPDiv ([`BinOp`] in 1:0).
    pub static BINOP: Helper = Helper {
        name: "vfp_binop",
        func: binop_helper,
        may_fault: false,
        state: FPSCR_ONLY,
    };
    unsafe extern "C" fn binop_helper(env: *mut u8, a: u64, b: u64, sel: u64, _: u64) -> u64 {
        let fpscr = &mut unsafe { arm(env) }.arch.fpscr;
        let op = BinOp::from_u64(sel);
        if is_double(sel) {
            binop::<Double>(op, a, b, fpscr)
        } else {
            binop::<Single>(op, a, b, fpscr)
        }
    }

    /// `(d, n, m, variant)`: VMLA (0), VMLS (1), VNMLS (2), VNMLA (3):
    /// the product rounded, then the sum.
    pub static MLA: Helper = Helper {
        name: "vfp_mla",
        func: mla_helper,
        may_fault: false,
        state: FPSCR_ONLY,
    };
    unsafe extern "C" fn mla_helper(env: *mut u8, d: u64, n: u64, m: u64, sel: u64) -> u64 {
        let fpscr = &mut unsafe { arm(env) }.arch.fpscr;
        fn go<F: ArmFloat>(d: u64, n: u64, m: u64, sel: u64, fpscr: &mut u32) -> u64 {
            let product = binop::<F>(BinOp::Mul, n, m, fpscr);
            // Bit 1: VNML* (Rd negated); bit 0 (the encoding's bit 6):
            // VMLS and VNMLA negate the product.
            let (neg_d, neg_p) = match sel & 3 {
                0 => (false, false),
                1 => (false, true),
                2 => (true, false),
                _ => (true, true),
            };
            let d = if neg_d { d ^ F::SIGN } else { d };
            let p = if neg_p { product ^ F::SIGN } else { product };
            binop::<F>(BinOp::Add, d, p, fpscr)
        }
        if is_double(sel) {
            go::<Double>(d, n, m, sel, fpscr)
        } else {
            go::<Single>(d, n, m, sel, fpscr)
        }
    }

    /// `(d, n, m, variant)`: FPMulAdd with Rd negated (bit 1) and/or Rn
    /// negated (bit 0): VFMA, VFMS, VFNMS, VFNMA.
    pub static FMA: Helper = Helper {
        name: "vfp_fma",
        func: fma_helper,
        may_fault: false,
        state: FPSCR_ONLY,
    };
    unsafe extern "C" fn fma_helper(env: *mut u8, d: u64, n: u64, m: u64, sel: u64) -> u64 {
        let fpscr = &mut unsafe { arm(env) }.arch.fpscr;
        fn go<F: ArmFloat>(d: u64, n: u64, m: u64, sel: u64, fpscr: &mut u32) -> u64 {
            let d = if sel & 2 != 0 { d ^ F::SIGN } else { d };
            let n = if sel & 1 != 0 { n ^ F::SIGN } else { n };
            mul_add::<F>(d, n, m, fpscr)
        }
        if is_double(sel) {
            go::<Double>(d, n, m, sel, fpscr)
        } else {
            go::<Single>(d, n, m, sel, fpscr)
        }
    }

    /// `(a, op)`: square root and the precision conversions ([`unary`]).
    pub static UNARY: Helper = Helper {
        name: "vfp_unary",
        func: unary_helper,
        may_fault: false,
        state: FPSCR_ONLY,
    };
    unsafe extern "C" fn unary_helper(env: *mut u8, a: u64, sel: u64, _: u64, _: u64) -> u64 {
        let fpscr = &mut unsafe { arm(env) }.arch.fpscr;
        match sel & 0xff {
            unary::SQRT if is_double(sel) => sqrt::<Double>(a, fpscr),
            unary::SQRT => sqrt::<Single>(a, fpscr),
            unary::SINGLE_TO_DOUBLE => convert::<Single, Double>(a, fpscr),
            unary::DOUBLE_TO_SINGLE => convert::<Double, Single>(a, fpscr),
            unary::HALF_TO_SINGLE => half_to_single(a, fpscr),
            _ => single_to_half(a, fpscr),
        }
    }

    /// `(a, b, e)`: VCMP (VCMPE when bit 0 is set): N, Z, C, V to the
    /// FPSCR.
    pub static COMPARE: Helper = Helper {
        name: "vfp_compare",
        func: compare_helper,
        may_fault: false,
        state: FPSCR_ONLY,
    };
    unsafe extern "C" fn compare_helper(env: *mut u8, a: u64, b: u64, sel: u64, _: u64) -> u64 {
        let fpscr = &mut unsafe { arm(env) }.arch.fpscr;
        let e = sel & 1 != 0;
        let nzcv = if is_double(sel) {
            compare::<Double>(a, b, e, fpscr)
        } else {
            compare::<Single>(a, b, e, fpscr)
        };
        *fpscr = (*fpscr & 0x0fff_ffff) | nzcv << 28;
        0
    }

    /// `(a, selector)`: conversions between floating point and 16- or
    /// 32-bit fixed point or integers ([`fixed`]).
    pub static FIXED: Helper = Helper {
        name: "vfp_fixed",
        func: fixed_helper,
        may_fault: false,
        state: FPSCR_ONLY,
    };
    unsafe extern "C" fn fixed_helper(env: *mut u8, a: u64, sel: u64, _: u64, _: u64) -> u64 {
        let fpscr = &mut unsafe { arm(env) }.arch.fpscr;
        let fbits = (sel & 0x3f) as u32;
        let unsigned = sel >> fixed::UNSIGNED & 1 != 0;
        let width = if sel >> fixed::HALF & 1 != 0 { 16 } else { 32 };
        let fixed = sel >> fixed::FIXED_ROUNDING & 1 != 0;
        match (sel >> fixed::TO_FLOAT & 1 != 0, is_double(sel)) {
            (true, true) => from_fixed::<Double>(a, fbits, unsigned, width, fixed, fpscr),
            (true, false) => from_fixed::<Single>(a, fbits, unsigned, width, fixed, fpscr),
            (false, true) => to_fixed::<Double>(a, fbits, unsigned, width, fixed, fpscr),
            (false, false) => to_fixed::<Single>(a, fbits, unsigned, width, fixed, fpscr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32op(op: BinOp, a: f32, b: f32) -> (u32, u32) {
        let mut fpscr = 0;
        let r = binop::<Single>(op, a.to_bits().into(), b.to_bits().into(), &mut fpscr);
        (r as u32, fpscr)
    }

    #[test]
    fn normal_arithmetic_matches_the_host() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = (f32::from_bits(x as u32), f32::from_bits((x >> 32) as u32));
            if !a.is_finite() || !b.is_finite() {
                continue;
            }
            for (op, host) in [
                (BinOp::Add, a + b),
                (BinOp::Sub, a - b),
                (BinOp::Mul, a * b),
                (BinOp::Div, a / b),
            ] {
                let (r, _) = f32op(op, a, b);
                if !host.is_nan() {
                    assert_eq!(r, host.to_bits(), "{op:?} {a:e} {b:e}");
                }
            }
        }
    }

    #[test]
    fn nans_follow_arm_rules() {
        let snan = 0x7f80_0001u64;
        let qnan = 0x7fc0_0002u64;
        let one = 1.0f32.to_bits() as u64;
        let mut fpscr = 0;
        // A signalling NaN wins over an earlier quiet one, made quiet.
        assert_eq!(
            binop::<Single>(BinOp::Add, qnan, snan, &mut fpscr),
            0x7fc0_0001
        );
        assert_eq!(fpscr, fpscr::IOC);
        let mut fpscr = 0;
        assert_eq!(binop::<Single>(BinOp::Mul, one, qnan, &mut fpscr), qnan);
        assert_eq!(fpscr, 0);
        // Invalid operations give the default NaN.
        let inf = f32::INFINITY.to_bits() as u64;
        let mut fpscr = 0;
        assert_eq!(
            binop::<Single>(BinOp::Sub, inf, inf, &mut fpscr),
            0x7fc0_0000
        );
        assert_eq!(fpscr, fpscr::IOC);
        // Default NaN mode.
        let mut fpscr = fpscr::DN;
        assert_eq!(
            binop::<Single>(BinOp::Add, one, qnan, &mut fpscr),
            0x7fc0_0000
        );
    }

    #[test]
    fn flags_and_flush_to_zero() {
        let (_, f) = f32op(BinOp::Div, 1.0, 0.0);
        assert_eq!(f, fpscr::DZC);
        let (_, f) = f32op(BinOp::Div, 1.0, 3.0);
        assert_eq!(f, fpscr::IXC);
        let (r, f) = f32op(BinOp::Mul, f32::MAX, 2.0);
        assert_eq!((r, f), (f32::INFINITY.to_bits(), fpscr::OFC | fpscr::IXC));
        // A tiny inexact result underflows; flushed with FZ (UFC only).
        let tiny = f32::MIN_POSITIVE;
        let (r, f) = f32op(BinOp::Mul, tiny, 0.3);
        assert_ne!(r, 0);
        assert_eq!(f, fpscr::UFC | fpscr::IXC);
        let mut fpscr = fpscr::FZ;
        let r = binop::<Single>(
            BinOp::Mul,
            tiny.to_bits().into(),
            0.3f32.to_bits().into(),
            &mut fpscr,
        );
        assert_eq!((r, fpscr), (0, fpscr::FZ | fpscr::UFC));
        // A denormal operand under FZ is zero, and says so.
        let mut fpscr = fpscr::FZ;
        let r = binop::<Single>(BinOp::Add, 1, 0, &mut fpscr);
        assert_eq!((r, fpscr), (0, fpscr::FZ | fpscr::IDC));
    }

    #[test]
    fn conversions() {
        let mut fpscr = 0;
        assert_eq!(
            to_fixed::<Double>(2.7f64.to_bits(), 0, false, 32, true, &mut fpscr),
            2
        );
        assert_eq!(fpscr, fpscr::IXC);
        let mut fpscr = 0;
        assert_eq!(
            to_fixed::<Single>(f32::NAN.to_bits().into(), 0, false, 32, true, &mut fpscr),
            0
        );
        assert_eq!(fpscr, fpscr::IOC);
        let mut fpscr = 0;
        assert_eq!(
            to_fixed::<Single>((-1e10f32).to_bits().into(), 0, false, 32, true, &mut fpscr),
            0x8000_0000
        );
        assert_eq!(fpscr, fpscr::IOC);
        let mut fpscr = 0;
        assert_eq!(
            from_fixed::<Single>(0xffff_fffe, 1, false, 32, true, &mut fpscr),
            (-1.0f32).to_bits().into()
        );
        let mut fpscr = 0;
        assert_eq!(
            convert::<Single, Double>(1.5f32.to_bits().into(), &mut fpscr),
            1.5f64.to_bits()
        );
        assert_eq!(single_to_half(1.0f32.to_bits().into(), &mut fpscr), 0x3c00);
        assert_eq!(half_to_single(0x3c00, &mut fpscr), 1.0f32.to_bits().into());
    }
}
