//! The VFP decode table: floating-point data processing, transfers
//! between core and extension registers, and extension register loads
//! and stores (coprocessors 10 and 11).
//!
//! One table serves both instruction sets: a T32 VFP instruction's 32
//! bits are the A32 encoding with the condition field 1110 (AL), the
//! condition coming from the IT block instead. As in the other tables,
//! one line per encoding with the manual's syntax, lifter and formatter;
//! the first match wins.

use super::decode::table;
use super::decode_t32::TEncoding;
use super::disasm_neon as dis_neon;
use super::disasm_vfp as dis;
use super::lift;

/// The VFP encodings (`cccc` is the condition, 1110 in Thumb state).
pub static VFP: &[TEncoding] = table! {
    // Data processing (three registers): sz is bit 8 (1: double).
    "cccc_1110_0d0o_nnnn_dddd_101s_nxm0_mmmm" "V{N}ML{A,S}<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>" => lift::vfp_mla, dis::vfp_mla;
    "cccc_1110_0d10_nnnn_dddd_101s_nxm0_mmmm" "V{N}MUL<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>"     => lift::vfp_mul, dis::vfp_mul;
    "cccc_1110_0d11_nnnn_dddd_101s_nxm0_mmmm" "V{ADD,SUB}<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>"  => lift::vfp_add_sub, dis::vfp_add_sub;
    "cccc_1110_1d00_nnnn_dddd_101s_n0m0_mmmm" "VDIV<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>"        => lift::vfp_div, dis::vfp_div;
    "cccc_1110_1d01_nnnn_dddd_101s_nxm0_mmmm" "VFNM{A,S}<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>"   => lift::vfp_fma, dis::vfp_fma;
    "cccc_1110_1d10_nnnn_dddd_101s_nxm0_mmmm" "VFM{A,S}<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>"    => lift::vfp_fma, dis::vfp_fma;

    // Data processing (other).
    "cccc_1110_1d11_iiii_dddd_101s_0000_iiii" "VMOV<c>.F<sz> <Sd|Dd>, #<imm>"                   => lift::vfp_mov_imm, dis::vfp_mov_imm;
    "cccc_1110_1d11_0000_dddd_101s_01m0_mmmm" "VMOV<c>.F<sz> <Sd|Dd>, <Sm|Dm>"                  => lift::vfp_mov_reg, dis::vfp_unary;
    "cccc_1110_1d11_0000_dddd_101s_11m0_mmmm" "VABS<c>.F<sz> <Sd|Dd>, <Sm|Dm>"                  => lift::vfp_abs, dis::vfp_unary;
    "cccc_1110_1d11_0001_dddd_101s_01m0_mmmm" "VNEG<c>.F<sz> <Sd|Dd>, <Sm|Dm>"                  => lift::vfp_neg, dis::vfp_unary;
    "cccc_1110_1d11_0001_dddd_101s_11m0_mmmm" "VSQRT<c>.F<sz> <Sd|Dd>, <Sm|Dm>"                 => lift::vfp_sqrt, dis::vfp_unary;
    "cccc_1110_1d11_001o_dddd_1010_t1m0_mmmm" "VCVT{B,T}<c>.F32.F16 / .F16.F32 <Sd>, <Sm>"      => lift::vfp_cvt_half, dis::vfp_cvt_half;
    "cccc_1110_1d11_0100_dddd_101s_e1m0_mmmm" "VCMP{E}<c>.F<sz> <Sd|Dd>, <Sm|Dm>"               => lift::vfp_cmp, dis::vfp_cmp;
    "cccc_1110_1d11_0101_dddd_101s_e100_0000" "VCMP{E}<c>.F<sz> <Sd|Dd>, #0.0"                  => lift::vfp_cmp, dis::vfp_cmp;
    "cccc_1110_1d11_0111_dddd_101s_11m0_mmmm" "VCVT<c>.F64.F32 <Dd>, <Sm> / .F32.F64 <Sd>, <Dm>" => lift::vfp_cvt_fd, dis::vfp_cvt_fd;
    "cccc_1110_1d11_1000_dddd_101s_o1m0_mmmm" "VCVT<c>.F<sz>.{S,U}32 <Sd|Dd>, <Sm>"             => lift::vfp_cvt_from_int, dis::vfp_cvt_int;
    "cccc_1110_1d11_110u_dddd_101s_r1m0_mmmm" "VCVT{R}<c>.{S,U}32.F<sz> <Sd>, <Sm|Dm>"          => lift::vfp_cvt_to_int, dis::vfp_cvt_int;
    "cccc_1110_1d11_1o1u_dddd_101s_x1i0_iiii" "VCVT<c>.<dt>.F<sz> / .F<sz>.<dt> <Sd|Dd>, <Sd|Dd>, #<fbits>" => lift::vfp_cvt_fixed, dis::vfp_cvt_fixed;

    // Transfers between core and extension registers.
    "cccc_1110_000o_nnnn_tttt_1010_n001_0000" "VMOV<c> <Sn>, <Rt> / <Rt>, <Sn>"                 => lift::vfp_mov_core_single, dis::vfp_mov_core_single;
    "cccc_1110_0oo0_dddd_tttt_1011_doo1_0000" "VMOV<c>.<size> <Dd[x]>, <Rt>"                   => lift::neon_vmov_scalar, dis_neon::neon_vmov_scalar;
    "cccc_1110_uoo1_nnnn_tttt_1011_noo1_0000" "VMOV<c>.<dt> <Rt>, <Dn[x]>"                     => lift::neon_vmov_scalar, dis_neon::neon_vmov_scalar;
    "cccc_1110_1bq0_dddd_tttt_1011_d0e1_0000" "VDUP<c>.<size> <Qd|Dd>, <Rt>"                   => lift::neon_vdup_core, dis_neon::neon_vdup_core;
    "cccc_1110_1110_rrrr_tttt_1010_0001_0000" "VMSR<c> <spec_reg>, <Rt>"                        => lift::vfp_vmsr, dis::vfp_vmsr;
    "cccc_1110_1111_rrrr_tttt_1010_0001_0000" "VMRS<c> <Rt>, <spec_reg> (Rt = PC: APSR_nzcv)"   => lift::vfp_vmrs, dis::vfp_vmrs;
    "cccc_1100_010o_uuuu_tttt_1010_00m1_mmmm" "VMOV<c> <Sm>, <Sm1>, <Rt>, <Rt2> / <Rt>, <Rt2>, <Sm>, <Sm1>" => lift::vfp_mov_core_pair, dis::vfp_mov_core_pair;
    "cccc_1100_010o_uuuu_tttt_1011_00m1_mmmm" "VMOV<c> <Dm>, <Rt>, <Rt2> / <Rt>, <Rt2>, <Dm>"   => lift::vfp_mov_core_pair, dis::vfp_mov_core_pair;

    // Extension register loads and stores.
    "cccc_1101_ud0l_nnnn_dddd_101s_iiii_iiii" "V{LDR,STR}<c> <Sd|Dd>, [<Rn>{, #+/-<imm>}]"      => lift::vfp_ldr_str, dis::vfp_ldr_str;
    "cccc_110p_udwl_nnnn_dddd_101s_iiii_iiii" "V{LDM,STM}{IA,DB}<c> <Rn>{!}, <list> (VPUSH, VPOP)" => lift::vfp_ldm_stm, dis::vfp_ldm_stm;
};

/// The VFP encoding `w` (A32, or T32 with the first halfword in 31:16),
/// if it lies in the VFP coprocessor space and a line matches.
pub fn lookup(w: u32) -> Option<&'static TEncoding> {
    let coproc_space = matches!(w >> 25 & 7, 0b110 | 0b111) && w >> 9 & 7 == 0b101;
    if !coproc_space || w >> 28 == 0xf {
        return None;
    }
    VFP.iter().find(|e| w & e.mask == e.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(w: u32) -> &'static str {
        lookup(w).map_or("-", |e| e.syntax)
    }

    #[test]
    fn lines_for_objdumps_examples() {
        assert_eq!(
            syntax(0xee30_0a81),
            "V{ADD,SUB}<c>.F<sz> <Sd|Dd>, <Sn|Dn>, <Sm|Dm>"
        );
        assert_eq!(syntax(0xeeb7_0a00), "VMOV<c>.F<sz> <Sd|Dd>, #<imm>");
        assert_eq!(
            syntax(0xeef1_fa10),
            "VMRS<c> <Rt>, <spec_reg> (Rt = PC: APSR_nzcv)"
        );
        assert_eq!(
            syntax(0xec51_0b15),
            "VMOV<c> <Dm>, <Rt>, <Rt2> / <Rt>, <Rt2>, <Dm>"
        );
        assert_eq!(
            syntax(0xed91_0b02),
            "V{LDR,STR}<c> <Sd|Dd>, [<Rn>{, #+/-<imm>}]"
        );
        assert_eq!(
            syntax(0xed2d_8b10),
            "V{LDM,STM}{IA,DB}<c> <Rn>{!}, <list> (VPUSH, VPOP)"
        );
        // MRC to CP15 is not VFP.
        assert_eq!(syntax(0xee11_0f10), "-");
    }
}
