//! The Thumb (T32) decode tables: one for the 16-bit encodings, one for
//! the 32-bit ones (first halfword in bits 31:16, second in 15:0).
//!
//! As in the A32 table ([`super::decode`]), one line per encoding: its bit
//! pattern (`0`/`1` fixed, letters for fields, `_` separators), the
//! manual's assembler syntax, the lifter and the formatter. The first
//! matching line wins, so specific encodings come before the general ones
//! they overlap; anything no line matches is UNDEFINED.

use super::decode::{parse_bits, Encoding};
use super::disasm_t32 as dis;
use super::lift;

macro_rules! table {
    ($width:literal; $( $pattern:literal $syntax:literal => $handler:path, $format:path; )*) => {
        &[$( {
            const P: (u32, u32) = parse_bits($pattern, $width);
            Encoding { mask: P.0, value: P.1, syntax: $syntax, handler: $handler, format: $format }
        }, )*]
    };
}

/// A T32 line: the formatter also sees the IT block the instruction is
/// in (16-bit forms set the flags only outside one, and instructions in
/// one carry its condition).
pub type TEncoding = Encoding<dis::Formatter>;

/// The 16-bit encodings.
pub static T16: &[TEncoding] = table! { 16;
    // Shift (immediate), add, subtract, move and compare.
    "000_1100_mmm_nnn_ddd"  "ADD{S} <Rd>, <Rn>, <Rm>"                  => lift::t16_add_sub_reg, dis::t16_add_sub_reg;
    "000_1101_mmm_nnn_ddd"  "SUB{S} <Rd>, <Rn>, <Rm>"                  => lift::t16_add_sub_reg, dis::t16_add_sub_reg;
    "000_1110_iii_nnn_ddd"  "ADD{S} <Rd>, <Rn>, #<imm3>"               => lift::t16_add_sub_imm3, dis::t16_add_sub_imm3;
    "000_1111_iii_nnn_ddd"  "SUB{S} <Rd>, <Rn>, #<imm3>"               => lift::t16_add_sub_imm3, dis::t16_add_sub_imm3;
    "000_oo_iiiii_mmm_ddd"  "{LSL,LSR,ASR}{S} <Rd>, <Rm>, #<imm5> (LSL #0: MOVS <Rd>, <Rm>)" => lift::t16_shift_imm, dis::t16_shift_imm;
    "001_oo_ddd_iiiiiiii"   "{MOV{S},CMP,ADD{S},SUB{S}} <Rdn>, #<imm8>" => lift::t16_imm8, dis::t16_imm8;

    // Data processing (register).
    "010000_oooo_mmm_ddd"   "<op>{S} <Rdn>, <Rm>"                      => lift::t16_dp_reg, dis::t16_dp_reg;

    // Special data instructions and branch and exchange.
    "01000100_d_mmmm_ddd"   "ADD <Rdn>, <Rm>"                          => lift::t16_add_hi, dis::t16_hi;
    "01000101_n_mmmm_nnn"   "CMP <Rn>, <Rm>"                           => lift::t16_cmp_hi, dis::t16_hi;
    "01000110_d_mmmm_ddd"   "MOV <Rd>, <Rm>"                           => lift::t16_mov_hi, dis::t16_hi;
    "010001110_mmmm_000"    "BX <Rm>"                                  => lift::t16_bx, dis::t16_bx;
    "010001111_mmmm_000"    "BLX <Rm>"                                 => lift::t16_blx, dis::t16_bx;

    // Loads and stores.
    "01001_ttt_iiiiiiii"    "LDR <Rt>, <label>"                        => lift::t16_ldr_literal, dis::t16_ldr_literal;
    "0101_ooo_mmm_nnn_ttt"  "{STR,STRH,STRB,LDRSB,LDR,LDRH,LDRB,LDRSH} <Rt>, [<Rn>, <Rm>]" => lift::t16_load_store_reg, dis::t16_load_store_reg;
    "011_b_l_iiiii_nnn_ttt" "{STR,LDR}{B} <Rt>, [<Rn>{, #<imm>}]"      => lift::t16_load_store_imm, dis::t16_load_store_imm;
    "1000_l_iiiii_nnn_ttt"  "{STR,LDR}H <Rt>, [<Rn>{, #<imm>}]"        => lift::t16_load_store_imm, dis::t16_load_store_imm;
    "1001_l_ttt_iiiiiiii"   "{STR,LDR} <Rt>, [SP{, #<imm>}]"           => lift::t16_load_store_sp, dis::t16_load_store_sp;

    // PC- and SP-relative addresses.
    "10100_ddd_iiiiiiii"    "ADR <Rd>, <label>"                        => lift::t16_adr, dis::t16_adr;
    "10101_ddd_iiiiiiii"    "ADD <Rd>, SP, #<imm>"                     => lift::t16_add_sp_imm, dis::t16_add_sp_imm;

    // Miscellaneous 16-bit instructions.
    "10110000_s_iiiiiii"    "{ADD,SUB} SP, SP, #<imm>"                 => lift::t16_adjust_sp, dis::t16_adjust_sp;
    "1011_o_0_i_1_iiiii_nnn" "CB{N}Z <Rn>, <label>"                    => lift::t16_cbz, dis::t16_cbz;
    "10110010_oo_mmm_ddd"   "{S,U}XT{H,B} <Rd>, <Rm>"                  => lift::t16_extend, dis::t16_extend;
    "1011010_m_rrrrrrrr"    "PUSH <registers>"                         => lift::t16_push, dis::t16_push_pop;
    "101101100101_e_000"    "SETEND <endian_specifier>"                => lift::t16_setend, dis::t16_setend;
    "10110110011_d_0_aif"   "CPS<effect> <iflags>"                     => lift::t16_cps, dis::t16_cps;
    "1011101010_iiiiii"     "HLT #<imm6>"                              => lift::t16_hlt, dis::t16_hlt;
    "10111010_oo_mmm_ddd"   "{REV,REV16,REVSH} <Rd>, <Rm>"             => lift::t16_reverse, dis::t16_reverse;
    "1011110_p_rrrrrrrr"    "POP <registers>"                          => lift::t16_pop, dis::t16_push_pop;
    "10111110_iiiiiiii"     "BKPT #<imm8>"                             => lift::t16_bkpt, dis::t16_bkpt;
    "10111111_oooo_0000"    "{NOP,YIELD,WFE,WFI,SEV}"                  => lift::t16_hint, dis::t16_hint;
    "10111111_cccc_mmmm"    "IT{<x>{<y>{<z>}}} <firstcond>"            => lift::t16_it, dis::t16_it;

    // Block transfers.
    "11000_nnn_rrrrrrrr"    "STM <Rn>!, <registers>"                   => lift::t16_stm, dis::t16_ldm_stm;
    "11001_nnn_rrrrrrrr"    "LDM <Rn>{!}, <registers>"                 => lift::t16_ldm, dis::t16_ldm_stm;

    // Conditional branch and supervisor call.
    "11011110_iiiiiiii"     "UDF #<imm8>"                              => lift::undefined, dis::t16_udf;
    "11011111_iiiiiiii"     "SVC #<imm8>"                              => lift::t16_svc, dis::t16_svc;
    "1101_cccc_iiiiiiii"    "B<c> <label>"                             => lift::t16_b_cond, dis::t16_b_cond;
    "11100_iiiiiiiiiii"     "B <label>"                                => lift::t16_b, dis::t16_b;
};

/// The 32-bit encodings.
pub static T32: &[TEncoding] = table! { 32;
    // Load/store multiple, SRS and RFE.
    "1110100000_w_0_1101__1100000000_0_mmmmm"        "SRSDB SP{!}, #<mode>"      => lift::t32_srs, dis::t32_srs;
    "1110100110_w_0_1101__1100000000_0_mmmmm"        "SRS{IA} SP{!}, #<mode>"    => lift::t32_srs, dis::t32_srs;
    "1110100000_w_1_nnnn__1100000000000000"          "RFEDB <Rn>{!}"             => lift::t32_rfe, dis::t32_rfe;
    "1110100110_w_1_nnnn__1100000000000000"          "RFE{IA} <Rn>{!}"           => lift::t32_rfe, dis::t32_rfe;
    "1110100_10_0_w_l_nnnn__pm0_rrrrrrrrrrrrr"       "{LDM,STM}DB <Rn>{!}, <registers>" => lift::t32_ldm_stm, dis::t32_ldm_stm;
    "1110100_01_0_w_l_nnnn__pm0_rrrrrrrrrrrrr"       "{LDM,STM}{IA}.W <Rn>{!}, <registers>" => lift::t32_ldm_stm, dis::t32_ldm_stm;

    // Load/store dual, exclusive, table branch.
    "111010000100_nnnn__tttt_dddd_iiiiiiii"          "STREX <Rd>, <Rt>, [<Rn>{, #<imm>}]" => lift::t32_strex, dis::t32_strex;
    "111010000101_nnnn__tttt_1111_iiiiiiii"          "LDREX <Rt>, [<Rn>{, #<imm>}]" => lift::t32_ldrex, dis::t32_ldrex;
    "111010001100_nnnn__tttt_ssss_01oo_dddd"         "STREX{B,H,D} <Rd>, <Rt>{, <Rt2>}, [<Rn>]" => lift::t32_strex_bhd, dis::t32_strex_bhd;
    "111010001101_nnnn__1111_0000_000h_mmmm"         "TB{B,H} [<Rn>, <Rm>{, LSL #1}]" => lift::t32_table_branch, dis::t32_table_branch;
    "111010001101_nnnn__tttt_ssss_01oo_1111"         "LDREX{B,H,D} <Rt>{, <Rt2>}, [<Rn>]" => lift::t32_ldrex_bhd, dis::t32_ldrex_bhd;
    "1110100_p_u_1_w_l_nnnn__tttt_ssss_iiiiiiii"     "{LDR,STR}D <Rt>, <Rt2>, [<Rn>{, #+/-<imm>}]{!} (Rn = PC: literal)" => lift::t32_dual, dis::t32_dual;

    // Data processing (shifted register).
    "111010101100_nnnn__0_iii_dddd_ii_t_0_mmmm"      "PKH{BT,TB} <Rd>, <Rn>, <Rm>{, <shift>}" => lift::t32_pkh, dis::t32_pkh;
    "1110101_oooo_s_nnnn__0_iii_dddd_ii_tt_mmmm"     "<op>{S}.W <Rd>, <Rn>, <Rm>{, <shift>} (Rd = PC: TST, TEQ, CMN, CMP; Rn = PC: MOV, MVN, shifts)" => lift::t32_dp_shifted, dis::t32_dp_shifted;

    // Coprocessor: the system registers.
    "11101110_ooo_l_nnnn__tttt_111c_ppp1_mmmm"       "{MRC,MCR} <coproc>, <opc1>, <Rt>, <CRn>, <CRm>{, <opc2>}" => lift::t32_coproc, dis::t32_coproc;
    "11101100010_l_uuuu__tttt_111c_oooo_mmmm"        "{MRRC,MCRR} <coproc>, <opc1>, <Rt>, <Rt2>, <CRm>" => lift::t32_coproc64, dis::t32_coproc64;

    // Data processing (modified immediate).
    "11110_i_0_oooo_s_nnnn__0_iii_dddd_iiiiiiii"     "<op>{S}.W <Rd>, <Rn>, #<const> (Rd = PC: TST, TEQ, CMN, CMP; Rn = PC: MOV, MVN)" => lift::t32_dp_modimm, dis::t32_dp_modimm;

    // Data processing (plain binary immediate).
    "11110_i_10_0_0_0_0_nnnn__0_iii_dddd_iiiiiiii"   "ADDW <Rd>, <Rn>, #<imm12> (Rn = PC: ADR)" => lift::t32_addw_subw, dis::t32_addw_subw;
    "11110_i_10_1_0_1_0_nnnn__0_iii_dddd_iiiiiiii"   "SUBW <Rd>, <Rn>, #<imm12> (Rn = PC: ADR)" => lift::t32_addw_subw, dis::t32_addw_subw;
    "11110_i_10_0_1_0_0_iiii__0_iii_dddd_iiiiiiii"   "MOVW <Rd>, #<imm16>"       => lift::t32_movw, dis::t32_movw;
    "11110_i_10_1_1_0_0_iiii__0_iii_dddd_iiiiiiii"   "MOVT <Rd>, #<imm16>"       => lift::t32_movt, dis::t32_movt;
    "11110_0_11_u_0_h_0_nnnn__0_iii_dddd_ii_0_sssss" "{S,U}SAT <Rd>, #<imm>, <Rn>{, <shift>} (ASR #0: {S,U}SAT16)" => lift::t32_saturate, dis::t32_saturate;
    "11110_0_11_u_1_0_0_nnnn__0_iii_dddd_ii_0_wwwww" "{S,U}BFX <Rd>, <Rn>, #<lsb>, #<width>" => lift::t32_bitfield_extract, dis::t32_bitfield_extract;
    "11110_0_11_0_1_1_0_nnnn__0_iii_dddd_ii_0_mmmmm" "BFI <Rd>, <Rn>, #<lsb>, #<width> (Rn = PC: BFC)" => lift::t32_bfi, dis::t32_bfi;

    // Branches and miscellaneous control.
    "11110011100_r_nnnn__1000_ffff_00000000"         "MSR <spec_reg>, <Rn>"      => lift::t32_msr, dis::t32_msr;
    "111100111010_1111__1000_0000_oooooooo"          "{NOP,YIELD,WFE,WFI,SEV,DBG}.W" => lift::t32_hint, dis::t32_hint;
    "111100111010_1111__1000_0iim_aifmmmmm"          "CPS<effect>.W <iflags>{, #<mode>}" => lift::t32_cps, dis::t32_cps;
    "111100111011_1111__1000_1111_0010_1111"         "CLREX"                     => lift::clrex, dis::t32_clrex;
    "111100111011_1111__1000_1111_0100_oooo"         "DSB <option>"              => lift::hint, dis::t32_barrier;
    "111100111011_1111__1000_1111_0101_oooo"         "DMB <option>"              => lift::hint, dis::t32_barrier;
    "111100111011_1111__1000_1111_0110_oooo"         "ISB <option>"              => lift::hint, dis::t32_barrier;
    "111100111100_mmmm__1000_1111_0000_0000"         "BXJ <Rm>"                  => lift::t32_bxj, dis::t32_bxj;
    "111100111101_1110__1000_1111_iiiiiiii"          "SUBS PC, LR, #<imm8>"      => lift::t32_subs_pc_lr, dis::t32_subs_pc_lr;
    "11110011111_r_1111__1000_dddd_00000000"         "MRS <Rd>, <spec_reg>"      => lift::t32_mrs, dis::t32_mrs;
    "111101111110_iiii__1000_iiiiiiiiiiii"           "HVC #<imm16>"              => lift::t32_hvc, dis::t32_hvc;
    "111101111111_iiii__1010_iiiiiiiiiiii"           "UDF.W #<imm16>"            => lift::undefined, dis::t32_udf;
    "11110_s_111_xxx_xxxx__10_j_0_j_xxxxxxxxxxx"     "(unallocated branch and miscellaneous control)" => lift::undefined, dis::t32_undefined;
    "11110_s_cccc_iiiiii__10_j_0_j_iiiiiiiiiii"      "B<c>.W <label>"            => lift::t32_b_cond, dis::t32_b_cond;
    "11110_s_iiiiiiiiii__10_j_1_j_iiiiiiiiiii"       "B.W <label>"               => lift::t32_b, dis::t32_b;
    "11110_s_iiiiiiiiii__11_j_0_j_iiiiiiiiiii"       "BLX <label>"               => lift::t32_blx, dis::t32_bl;
    "11110_s_iiiiiiiiii__11_j_1_j_iiiiiiiiiii"       "BL <label>"                => lift::t32_bl, dis::t32_bl;

    // Single loads and stores, preload hints.
    "1111100_s_u_zz_l_nnnn__tttt_xxxxxxxxxxxx"       "{LDR,STR}{S}{B,H}{T}.W <Rt>, [<Rn>, ...] / <label> (Rt = PC: PLD, PLDW, PLI)" => lift::t32_load_store, dis::t32_load_store;

    // Data processing (register).
    "11111010_0_tt_s_nnnn__1111_dddd_0000_mmmm"      "{LSL,LSR,ASR,ROR}{S}.W <Rd>, <Rn>, <Rm>" => lift::t32_shift_reg, dis::t32_shift_reg;
    "11111010_0_kk_u_nnnn__1111_dddd_10_rr_mmmm"     "{S,U}XTA{H,B16,B} <Rd>, <Rn>, <Rm>{, <rotation>} (Rn = PC: {S,U}XT{H,B16,B})" => lift::t32_extend, dis::t32_extend;
    "11111010_1_ooo_nnnn__1111_dddd_0_u_ff_mmmm"     "{S,Q,SH,U,UQ,UH}{ADD16,ASX,SAX,SUB16,ADD8,SUB8} <Rd>, <Rn>, <Rm>" => lift::t32_parallel, dis::t32_parallel;
    "111110101000_nnnn__1111_dddd_10_oo_mmmm"        "Q{D}{ADD,SUB} <Rd>, <Rm>, <Rn>" => lift::t32_qaddsub, dis::t32_qaddsub;
    "111110101001_mmmm__1111_dddd_10_oo_mmmm"        "{REV,REV16,RBIT,REVSH}.W <Rd>, <Rm>" => lift::t32_reverse, dis::t32_reverse;
    "111110101010_nnnn__1111_dddd_1000_mmmm"         "SEL <Rd>, <Rn>, <Rm>"      => lift::t32_sel, dis::t32_sel;
    "111110101011_mmmm__1111_dddd_1000_mmmm"         "CLZ <Rd>, <Rm>"            => lift::t32_clz, dis::t32_clz;

    // Multiply, multiply-accumulate, absolute difference.
    "111110110000_nnnn__aaaa_dddd_000o_mmmm"         "MLA/MLS <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: MUL)" => lift::t32_mla, dis::t32_mla;
    "111110110001_nnnn__aaaa_dddd_00nm_mmmm"         "SMLA<x><y> <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMUL<x><y>)" => lift::t32_smla_xy, dis::t32_smla_xy;
    "111110110010_nnnn__aaaa_dddd_000x_mmmm"         "SMLAD{X} <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMUAD{X})" => lift::t32_smlad, dis::t32_smlad;
    "111110110100_nnnn__aaaa_dddd_000x_mmmm"         "SMLSD{X} <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMUSD{X})" => lift::t32_smlad, dis::t32_smlad;
    "111110110011_nnnn__aaaa_dddd_000m_mmmm"         "SMLAW<y> <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMULW<y>)" => lift::t32_smlaw_y, dis::t32_smlaw_y;
    "111110110101_nnnn__aaaa_dddd_000r_mmmm"         "SMMLA{R} <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMMUL{R})" => lift::t32_smmla, dis::t32_smmla;
    "111110110110_nnnn__aaaa_dddd_000r_mmmm"         "SMMLS{R} <Rd>, <Rn>, <Rm>, <Ra>" => lift::t32_smmla, dis::t32_smmla;
    "111110110111_nnnn__aaaa_dddd_0000_mmmm"         "USADA8 <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: USAD8)" => lift::t32_usada8, dis::t32_usada8;

    // Long multiply, long multiply-accumulate, divide.
    "111110111_0u0_nnnn__llll_hhhh_0000_mmmm"        "{S,U}MULL <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::t32_mull, dis::t32_mull;
    "111110111_1u0_nnnn__llll_hhhh_0000_mmmm"        "{S,U}MLAL <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::t32_mull, dis::t32_mull;
    "111110111_0u1_nnnn__1111_dddd_1111_mmmm"        "{S,U}DIV <Rd>, <Rn>, <Rm>" => lift::t32_divide, dis::t32_divide;
    "111110111100_nnnn__llll_hhhh_10nm_mmmm"         "SMLAL<x><y> <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::t32_smlal_xy, dis::t32_smlal_xy;
    "111110111100_nnnn__llll_hhhh_110x_mmmm"         "SMLALD{X} <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::t32_smlald, dis::t32_smlald;
    "111110111101_nnnn__llll_hhhh_110x_mmmm"         "SMLSLD{X} <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::t32_smlald, dis::t32_smlald;
    "111110111110_nnnn__llll_hhhh_0110_mmmm"         "UMAAL <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::t32_umaal, dis::t32_mull;
};

/// The 16-bit encoding `hw`, or `None` if it is undefined.
pub fn lookup16(hw: u32) -> Option<&'static TEncoding> {
    T16.iter().find(|e| hw & e.mask == e.value)
}

/// The 32-bit encoding `w` (first halfword in 31:16), or `None` if it is
/// undefined.
pub fn lookup32(w: u32) -> Option<&'static TEncoding> {
    // 1111 1001 xxx0 is Advanced SIMD element and structure loads and
    // stores (the store lines below would take it otherwise).
    if w >> 24 == 0xf9 && w >> 20 & 1 == 0 {
        return super::decode_neon::lookup_t32(w);
    }
    T32.iter()
        .find(|e| w & e.mask == e.value)
        .or_else(|| super::decode_vfp::lookup(w))
        .or_else(|| super::decode_neon::lookup_t32(w))
}

/// Whether the halfword `hw` starts a 32-bit instruction.
pub fn is_32bit(hw: u32) -> bool {
    hw >> 11 >= 0b11101
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax16(hw: u32) -> &'static str {
        lookup16(hw).map_or("-", |e| e.syntax)
    }

    fn syntax32(w: u32) -> &'static str {
        lookup32(w).map_or("-", |e| e.syntax)
    }

    #[test]
    fn specific_encodings_win() {
        assert_eq!(syntax16(0xbf00), "{NOP,YIELD,WFE,WFI,SEV}"); // nop
        assert_eq!(syntax16(0xbf08), "IT{<x>{<y>{<z>}}} <firstcond>"); // it eq
        assert_eq!(syntax16(0xdf01), "SVC #<imm8>");
        assert_eq!(syntax16(0xde01), "UDF #<imm8>");
        assert_eq!(syntax16(0xd0fe), "B<c> <label>"); // beq .
        assert_eq!(syntax16(0xb5f0), "PUSH <registers>");
        assert_eq!(syntax16(0xbaba), "HLT #<imm6>");
        assert_eq!(syntax32(0xf3af_8000), "{NOP,YIELD,WFE,WFI,SEV,DBG}.W");
        assert_eq!(syntax32(0xf3bf_8f5f), "DMB <option>");
        assert_eq!(syntax32(0xf000_b800), "B.W <label>");
        assert_eq!(syntax32(0xf000_f800), "BL <label>");
        assert_eq!(syntax32(0xf000_8000), "B<c>.W <label>"); // beq.w
        assert_eq!(
            syntax32(0xe8bd_8ff0),
            "{LDM,STM}{IA}.W <Rn>{!}, <registers>"
        ); // pop.w
        assert_eq!(syntax32(0xe8d0_f001), "TB{B,H} [<Rn>, <Rm>{, LSL #1}]"); // tbb [r0, r1]
        assert_eq!(syntax32(0xfb90_f0f1), "{S,U}DIV <Rd>, <Rn>, <Rm>"); // sdiv r0, r0, r1
        assert_eq!(syntax32(0xf7f0_a000), "UDF.W #<imm16>");
    }

    #[test]
    fn widths() {
        assert!(!is_32bit(0xe7fe)); // b.n .
        assert!(is_32bit(0xe92d)); // push.w
        assert!(is_32bit(0xf000));
        assert!(is_32bit(0xf8d0));
    }
}
