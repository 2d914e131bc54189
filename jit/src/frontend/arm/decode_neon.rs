//! The Advanced SIMD (NEON) decode table: data processing and element and
//! structure loads and stores. (The transfers between core registers and
//! scalars, VMOV and VDUP, live in the VFP coprocessor space and in its
//! table, [`super::decode_vfp`].)
//!
//! One table serves both instruction sets. It is written in A32 form; a
//! T32 encoding is converted first ([`to_a32`]): the data-processing
//! space `111U 1111 ...` is A32's `1111 001U ...`, and the load/store
//! space `1111 1001 ...` is A32's `1111 0100 ...`, the remaining 24 bits
//! the same. Lifters and formatters convert the same way, so they see A32
//! fields whichever state the instruction came from. As in the other
//! tables: one line per encoding with the manual's syntax, lifter and
//! formatter; the first match wins.

use super::decode::table;
use super::decode_t32::TEncoding;
use super::disasm_neon as dis;
use super::lift;

/// The Advanced SIMD encodings, A32 form.
pub static NEON: &[TEncoding] = table! {
    // Data processing. U is bit 24 (bit 28 in T32).
    "1111_001u_0dss_nnnn_dddd_aaaa_nqmb_mmmm" "V<op><c>.<dt> <Dd|Qd>, <Dn|Qn>, <Dm|Qm> (three registers, same length)" => lift::neon_three_same, dis::neon_three_same;
    "1111_001i_1d00_0iii_dddd_cccc_0qo1_iiii" "V{MOV,MVN,ORR,BIC}<c>.<dt> <Dd|Qd>, #<imm>"   => lift::neon_mod_imm, dis::neon_mod_imm;
    "1111_001u_1dii_iiii_dddd_aaaa_lqm1_mmmm" "V<op><c>.<dt> <Dd|Qd>, <Dm|Qm>, #<imm> (two registers and a shift amount)" => lift::neon_shift_imm, dis::neon_shift_imm;
    "1111_0010_1d11_nnnn_dddd_iiii_nqm0_mmmm" "VEXT<c>.8 <Dd|Qd>, <Dn|Qn>, <Dm|Qm>, #<imm>"  => lift::neon_ext, dis::neon_ext;
    "1111_0011_1d11_ssaa_dddd_0bbb_bqm0_mmmm" "V<op><c>.<dt> <Dd|Qd>, <Dm|Qm> (two registers, miscellaneous)" => lift::neon_misc, dis::neon_misc;
    "1111_0011_1d11_nnnn_dddd_10ll_nxm0_mmmm" "VTB{L,X}<c>.8 <Dd>, <list>, <Dm>"            => lift::neon_tbl, dis::neon_tbl;
    "1111_0011_1d11_iiii_dddd_1100_0qm0_mmmm" "VDUP<c>.<size> <Dd|Qd>, <Dm[x]>"              => lift::neon_dup_scalar, dis::neon_dup_scalar;
    "1111_001u_1dss_nnnn_dddd_aaaa_n0m0_mmmm" "V<op><c>.<dt> <Qd|Dd>, <Dn|Qn>, <Dm|Qm> (three registers, different lengths)" => lift::neon_three_diff, dis::neon_three_diff;
    "1111_001q_1dss_nnnn_dddd_aaaa_n1m0_mmmm" "V<op><c>.<dt> <Dd|Qd>, <Dn|Qn>, <Dm[x]> (two registers and a scalar)" => lift::neon_scalar, dis::neon_scalar;

    // Element and structure loads and stores.
    "1111_0100_0dl0_nnnn_dddd_tttt_ssaa_mmmm" "V{LD,ST}<n><c>.<size> <list>, [<Rn>{:<align>}]{!|, <Rm>} (multiple structures)" => lift::neon_ld_st_multiple, dis::neon_ld_st;
    "1111_0100_1dl0_nnnn_dddd_ssnn_iiii_mmmm" "V{LD,ST}<n><c>.<size> <list>, [<Rn>{:<align>}]{!|, <Rm>} (one lane, or all lanes)" => lift::neon_ld_st_single, dis::neon_ld_st;
};

/// The A32 form of an Advanced SIMD encoding `w`: a T32 encoding is
/// converted, an A32 one returned as it is.
pub fn to_a32(w: u32) -> u32 {
    match w >> 24 {
        // T32 data processing: 111U 1111.
        0xef | 0xff => 0xf200_0000 | (w >> 28 & 1) << 24 | (w & 0x00ff_ffff),
        // T32 loads and stores: 1111 1001.
        0xf9 => 0xf400_0000 | (w & 0x00ff_ffff),
        _ => w,
    }
}

/// The A32 Advanced SIMD encoding `w`, if it lies in the Advanced SIMD
/// space (`1111 001x`, `1111 0100 xxx0`) and a line matches.
pub fn lookup(w: u32) -> Option<&'static TEncoding> {
    let space = matches!(w >> 24, 0xf2 | 0xf3) || (w >> 24 == 0xf4 && w >> 20 & 1 == 0);
    if !space {
        return None;
    }
    NEON.iter().find(|e| w & e.mask == e.value)
}

/// The T32 Advanced SIMD encoding `w` (first halfword in 31:16), if it
/// lies in the T32 Advanced SIMD space (`111x 1111`, `1111 1001 xxx0`)
/// and a line matches. (The A32 spaces' first bytes begin other T32
/// instructions.)
pub fn lookup_t32(w: u32) -> Option<&'static TEncoding> {
    match w >> 24 {
        0xef | 0xff | 0xf9 => lookup(to_a32(w)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(w: u32) -> &'static str {
        lookup(w).map_or("-", |e| e.syntax)
    }

    #[test]
    fn classes_are_told_apart() {
        assert!(syntax(0xf221_0802).contains("same length")); // vadd.i32 d0, d1, d2
        assert!(syntax(0xf382_0e5b).starts_with("V{MOV")); // vmov.i8 q0, #171
        assert!(syntax(0xf29d_0011).contains("shift amount")); // vshr.s16 d0, d1, #3
        assert!(syntax(0xf2b1_0302).starts_with("VEXT")); // vext.8 d0, d1, d2, #3
        assert!(syntax(0xf3b4_0001).contains("miscellaneous")); // vrev64.16 d0, d1
        assert!(syntax(0xf3b1_0903).starts_with("VTB")); // vtbl.8 d0, {d1-d2}, d3
        assert!(syntax(0xf3b7_0c01).starts_with("VDUP")); // vdup.8 d0, d1[3]
        assert!(syntax(0xf281_0002).contains("different lengths")); // vaddl.s8 q0, d1, d2
        assert!(syntax(0xf291_006a).contains("scalar")); // vmla.i16 d0, d1, d2[3]
        assert!(syntax(0xf421_070f).contains("multiple")); // vld1.8 {d0}, [r1]
        assert!(syntax(0xf4a1_0c4f).contains("all lanes")); // vld1.16 {d0[]}, [r1]
        assert_eq!(
            syntax(0xf430_070f),
            "-",
            "bit 20 of a load/store space encoding"
        );
    }

    /// Lifting any encoding of the Advanced SIMD spaces (and of the VFP
    /// space, where the core/scalar transfers live), in either instruction
    /// set, with Advanced SIMD enabled or not and D16-D31 accessible or
    /// not, gives IR that verifies or an UNDEFINED trap: never a panic.
    #[test]
    fn lifting_any_encoding_in_the_space_is_total() {
        use crate::frontend::arm::lift::{lift_a32, t32::lift_t32, t32::ItTrack};
        use crate::frontend::arm::slots;
        use crate::ir::{BlockKey, Builder, Terminal};
        use lockstep_runtime::arm::{psr, tb_flags};
        let check = |mut b: Builder, t: Option<Terminal>, flags: u32, w: u32| {
            b.set_insn(0);
            let key = BlockKey {
                pc: 0x1000,
                phys_pc: 0x1000,
                flags,
            };
            let term = t.unwrap_or(Terminal::Jump { target: 0x1004 });
            let block = b.finish(key, vec![0x1000], 4, term, slots::PC, 0);
            assert_eq!(crate::ir::verify(&block), Ok(()), "{w:08x}");
        };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u32
        };
        let enabled = tb_flags::VFP_ACCESS | tb_flags::VFP_EN;
        let flag_sets = [
            psr::MODE_SVC | enabled,
            psr::MODE_USR | enabled | tb_flags::D32DIS,
            psr::MODE_SVC | enabled | tb_flags::ASEDIS,
            psr::MODE_SVC | tb_flags::VFP_ACCESS,
        ];
        for k in 0..200_000u32 {
            let r = next();
            let flags = flag_sets[(k % 4) as usize];
            // A32: data processing, loads/stores, VFP-space transfers.
            let a32 = match k % 3 {
                0 => 0xf200_0000 | (r & 0x01ff_ffff),
                1 => 0xf400_0000 | (r & 0x00ef_ffff),
                _ => 0xee00_0b10 | (r & 0x00ff_f0ef) | (r >> 28 & 1) << 20,
            };
            let mut b = Builder::new();
            let t = lift_a32(&mut b, 0x1000, a32, flags, 0);
            check(b, t, flags, a32);
            let t32 = match k % 3 {
                0 => 0xef00_0000 | (r & 0x10ff_ffff),
                1 => 0xf900_0000 | (r & 0x00ef_ffff),
                _ => 0xee00_0b10 | (r & 0x00ff_f0ef),
            };
            let mut b = Builder::new();
            let thumb = flags | psr::T;
            let t = lift_t32(&mut b, 0x1000, t32, 4, thumb, 0, &mut ItTrack::new(thumb));
            check(b, t, thumb, t32);
        }
    }

    #[test]
    fn a32_first_bytes_are_not_the_t32_space() {
        // 0xf2de_2d42 in T32 is a plain binary immediate (an unallocated
        // op), not VQRDMULH; 0xffde_2d42 is VQRDMULH.
        assert!(lookup_t32(0xf2de_2d42).is_none());
        assert!(lookup_t32(0xffde_2d42).is_some());
        assert!(lookup_t32(0xf421_070f).is_none());
        assert!(lookup_t32(0xf921_070f).is_some());
    }

    #[test]
    fn thumb_encodings_convert() {
        // vadd.i32 d0, d1, d2 in T32; vqadd.u8 d0, d1, d2 (U set).
        assert_eq!(to_a32(0xef21_0802), 0xf221_0802);
        assert_eq!(to_a32(0xff01_0012), 0xf301_0012);
        // vld1.8 {d0}, [r1].
        assert_eq!(to_a32(0xf921_070f), 0xf421_070f);
        assert_eq!(to_a32(0xf221_0802), 0xf221_0802);
    }
}
