//! Floating-point pieces every guest's FP semantics share.
//!
//! IEEE 754 arithmetic comes from rustc_apfloat (a port of LLVM's
//! APFloat): exact, in every rounding mode, with the five exception flags,
//! in half, single, double and x87 extended precision, and independent of
//! the host's floating point. Each ISA's frontend applies its own rules
//! around it (which NaN an operation returns, flush-to-zero, when
//! underflow is detected). This module adds what APFloat lacks: a
//! correctly rounded square root, and the test for tininess before
//! rounding that some ISAs (ARM) use where APFloat detects it after.

pub use rustc_apfloat::ieee::{Double, Half, Single};
pub use rustc_apfloat::{Float, FloatConvert, Round, Status, StatusAnd};

/// Square root of `x`, correctly rounded by `round`, with IEEE's flags
/// (INEXACT; INVALID for a negative operand, which gives the default NaN
/// of APFloat: the caller substitutes its ISA's). NaN operands are the
/// caller's to handle first.
pub fn sqrt<F: Float>(x: F, round: Round) -> StatusAnd<F> {
    if x.is_zero() || x.is_nan() || x.is_pos_infinity() {
        return Status::OK.and(x);
    }
    if x.is_negative() {
        return Status::INVALID_OP.and(F::NAN);
    }
    // x = m * 2^e with m an integer of PRECISION bits (denormals too).
    let p = F::PRECISION as i32;
    let mut e = x.ilogb() - (p - 1);
    let mut exact = false;
    let mut m = x
        .scalbn(-e as _)
        .to_u128_r(128, Round::TowardZero, &mut exact)
        .value;
    debug_assert!(exact, "scaling a float by a power of two is exact");
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // sqrt(m << 2s) has at least PRECISION + 2 bits: a guard bit, and the
    // remainder says whether anything lies below it.
    let s = (p + 6) / 2;
    let (r, exact) = isqrt_shifted(m, 2 * s as u32);
    let sticky = u128::from(!exact);
    let odd = r << 1 | sticky;
    let v = F::from_u128_r(odd, round);
    // sqrt(x) = odd / 2 * 2^((e - 2s) / 2): the scaling is exact (a
    // square root never leaves the normal range of its format).
    let mut status = v.status;
    if sticky != 0 {
        status |= Status::INEXACT;
    }
    status.and(v.value.scalbn(((e - 2 * s) / 2 - 1) as _))
}

/// The integer square root of `m << shift` (rounded down), and whether it
/// is exact. Digit by digit, two bits of the operand at a time, so the
/// shifted operand (beyond 128 bits for x87's 64-bit significands) is
/// never formed: only the root and the remainder are, each about half
/// its width.
fn isqrt_shifted(m: u128, shift: u32) -> (u128, bool) {
    let bits = 128 - m.leading_zeros() + shift;
    let bit = |j: u32| -> u128 {
        if j < shift {
            0
        } else {
            (m >> (j - shift)) & 1
        }
    };
    let mut root: u128 = 0;
    let mut rem: u128 = 0;
    let mut j = bits + (bits & 1);
    while j >= 2 {
        j -= 2;
        rem = rem << 2 | bit(j + 1) << 1 | bit(j);
        let trial = root << 2 | 1;
        if rem >= trial {
            rem -= trial;
            root = root << 1 | 1;
        } else {
            root <<= 1;
        }
    }
    (root, rem == 0)
}

/// Whether the exact result that `op` rounds (called again toward zero)
/// lies below the smallest normal number: tininess detected before
/// rounding. Only called for results that rounded to the smallest normal
/// magnitude and were inexact, the one case where it differs from
/// APFloat's tininess after rounding.
pub fn tiny_before_rounding<F: Float>(op: impl Fn(Round) -> StatusAnd<F>) -> bool {
    let truncated = op(Round::TowardZero).value;
    truncated.abs() < F::smallest_normalized()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(v: f32) -> Single {
        Single::from_bits(u128::from(v.to_bits()))
    }
    fn double(v: f64) -> Double {
        Double::from_bits(u128::from(v.to_bits()))
    }

    #[test]
    fn square_roots_match_the_host_in_round_to_nearest() {
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = f64::from_bits(x >> 1);
            if d.is_finite() {
                let r = sqrt(double(d), Round::NearestTiesToEven);
                assert_eq!(r.value.to_bits() as u64, d.sqrt().to_bits(), "sqrt({d:e})");
                let s = d.sqrt();
                let inexact = s.mul_add(s, -d) != 0.0;
                if !inexact && d.abs() > 1e-290 {
                    assert!(!r.status.contains(Status::INEXACT), "sqrt({d:e}) is exact");
                }
            }
            let f = f32::from_bits((x >> 33) as u32);
            if f.is_finite() {
                let r = sqrt(single(f), Round::NearestTiesToEven);
                assert_eq!(r.value.to_bits() as u32, f.sqrt().to_bits(), "sqrt({f:e})");
            }
        }
        assert_eq!(
            sqrt(double(4.0), Round::NearestTiesToEven).status,
            Status::OK
        );
        assert!(sqrt(double(-1.0), Round::NearestTiesToEven).value.is_nan());
        // Directed rounding: sqrt(2) rounded up and down differ by an ulp.
        let up = sqrt(double(2.0), Round::TowardPositive).value.to_bits() as u64;
        let down = sqrt(double(2.0), Round::TowardZero).value.to_bits() as u64;
        assert_eq!(up, down + 1);
    }

    #[test]
    fn tininess_before_rounding() {
        // 1.5 * smallest normal * (1 - 2^-24): rounds to the smallest
        // normal in round-to-nearest, but lies below it.
        let min = f32::MIN_POSITIVE;
        let a = single(min);
        let b = single(1.0 - f32::EPSILON / 2.0);
        assert!(tiny_before_rounding(|r| a.mul_r(b, r)));
        assert!(!tiny_before_rounding(|r| a.mul_r(single(1.0), r)));
    }
}
