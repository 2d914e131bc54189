//! The A32 decode table.
//!
//! One line per encoding: its bit pattern, the manual's assembler syntax,
//! and the handler that lifts it. In a pattern, `0` and `1` are fixed bits,
//! any letter is a field (the handler extracts it), `_` separates nibbles.
//! The first matching line wins, so specific encodings come before the
//! general ones they overlap (CLREX and the barriers before the preload
//! hints whose space they share, for instance). Lines for condition `1111` (the unconditional
//! space) live in their own table.

use super::disasm as dis;
use super::lift::{self, Ctx, Undef};

/// A lifting function.
pub type Handler = fn(&mut Ctx, u32) -> Result<(), Undef>;

/// A disassembly function: the encoding and its address to assembler text.
pub type Formatter = fn(u32, u32) -> String;

/// One encoding; `F` is how it is disassembled.
pub struct Encoding<F = Formatter> {
    /// Bits that must match.
    pub mask: u32,
    /// Their values.
    pub value: u32,
    /// Assembler syntax, as the architecture manual writes it.
    pub syntax: &'static str,
    /// The lifter.
    pub handler: Handler,
    /// The disassembler.
    pub format: F,
}

/// The mask and value of a `width`-bit pattern.
pub(super) const fn parse_bits(pattern: &str, width: u32) -> (u32, u32) {
    let bytes = pattern.as_bytes();
    let (mut mask, mut value, mut bits, mut i) = (0u32, 0u32, 0, 0);
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        if c == b'_' {
            continue;
        }
        mask <<= 1;
        value <<= 1;
        bits += 1;
        if c == b'0' || c == b'1' {
            mask |= 1;
            value |= (c - b'0') as u32;
        }
    }
    assert!(bits == width, "a pattern has the table's width");
    (mask, value)
}

/// A decode table: one line per encoding, a 32-bit pattern (`0`/`1` fixed,
/// letters free, `_` for reading), the manual's syntax, the lifter and the
/// formatter. Shared by the A32, VFP and Advanced SIMD tables.
macro_rules! table {
    ($( $pattern:literal $syntax:literal => $handler:path, $format:path; )*) => {
        &[$( {
            const P: (u32, u32) = $crate::frontend::arm::decode::parse_bits($pattern, 32);
            $crate::frontend::arm::decode::Encoding {
                mask: P.0, value: P.1, syntax: $syntax, handler: $handler, format: $format,
            }
        }, )*]
    };
}
pub(super) use table;

/// Encodings with condition field `1111`.
pub static UNCONDITIONAL: &[Encoding] = table! {
    "1111_0101_0111_1111_1111_0000_0001_1111" "CLREX"                              => lift::clrex, dis::clrex;
    "1111_0101_0111_1111_1111_0000_0100_oooo" "DSB <option>"                       => lift::hint, dis::barrier;
    "1111_0101_0111_1111_1111_0000_0101_oooo" "DMB <option>"                       => lift::hint, dis::barrier;
    "1111_0101_0111_1111_1111_0000_0110_oooo" "ISB <option>"                       => lift::hint, dis::barrier;
    "1111_0101_xx01_xxxx_1111_xxxx_xxxx_xxxx" "PLD{W} [<Rn>, #+/-<imm12>]"          => lift::hint, dis::preload;
    "1111_0111_xx01_xxxx_1111_xxxx_xxx0_xxxx" "PLD{W} [<Rn>, +/-<Rm>{, <shift>}]"  => lift::hint, dis::preload;
    "1111_0100_x101_xxxx_1111_xxxx_xxxx_xxxx" "PLI [<Rn>, #+/-<imm12>]"            => lift::hint, dis::preload;
    "1111_0110_x101_xxxx_1111_xxxx_xxx0_xxxx" "PLI [<Rn>, +/-<Rm>{, <shift>}]"     => lift::hint, dis::preload;
    "1111_0001_0000_0001_0000_00e0_0000_0000" "SETEND <endian_specifier>"          => lift::setend, dis::setend;
    "1111_101h_iiii_iiii_iiii_iiii_iiii_iiii" "BLX <label>"                        => lift::blx_imm, dis::blx_imm;
    "1111_0001_0000_iim0_0000_000a_if0m_mmmm" "CPS<effect> <iflags>{, #<mode>}"    => lift::cps, dis::cps;
    "1111_100p_u1w0_1101_0000_0101_000m_mmmm" "SRS{DA,IA,DB,IB} SP{!}, #<mode>"   => lift::srs, dis::srs;
    "1111_100p_u0w1_nnnn_0000_1010_0000_0000" "RFE{DA,IA,DB,IB} <Rn>{!}"           => lift::rfe, dis::rfe;
};

/// Encodings with a condition field other than `1111`.
pub static CONDITIONAL: &[Encoding] = table! {
    // Branches.
    "cccc_1010_iiii_iiii_iiii_iiii_iiii_iiii" "B<c> <label>"                       => lift::b, dis::b;
    "cccc_1011_iiii_iiii_iiii_iiii_iiii_iiii" "BL<c> <label>"                      => lift::bl, dis::bl;
    "cccc_1111_iiii_iiii_iiii_iiii_iiii_iiii" "SVC<c> #<imm24>"                    => lift::svc, dis::svc;

    // Multiplies (bits 7:4 = 1001 in the 0000 space).
    "cccc_0000_000s_dddd_0000_mmmm_1001_nnnn" "MUL{S}<c> <Rd>, <Rn>, <Rm>"         => lift::mul, dis::mul;
    "cccc_0000_001s_dddd_aaaa_mmmm_1001_nnnn" "MLA{S}<c> <Rd>, <Rn>, <Rm>, <Ra>"   => lift::mla, dis::mla;
    "cccc_0000_0100_hhhh_llll_mmmm_1001_nnnn" "UMAAL<c> <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::umaal, dis::umaal;
    "cccc_0000_0110_dddd_aaaa_mmmm_1001_nnnn" "MLS<c> <Rd>, <Rn>, <Rm>, <Ra>"      => lift::mls, dis::mls;
    "cccc_0000_1uas_hhhh_llll_mmmm_1001_nnnn" "{U,S}{MULL,MLAL}{S}<c> <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::mull, dis::mull;

    // Synchronization primitives.
    "cccc_0001_0b00_nnnn_tttt_0000_1001_mmmm" "SWP{B}<c> <Rt>, <Rt2>, [<Rn>]"      => lift::swp, dis::swp;
    "cccc_0001_1zz0_nnnn_dddd_1111_1001_tttt" "STREX{B,D,H}<c> <Rd>, <Rt>, [<Rn>]" => lift::strex, dis::strex;
    "cccc_0001_1zz1_nnnn_tttt_1111_1001_1111" "LDREX{B,D,H}<c> <Rt>, [<Rn>]"       => lift::ldrex, dis::ldrex;

    // Extra loads and stores (bit 7 and bit 4 set, bits 6:5 not 00).
    "cccc_000p_uiwl_nnnn_tttt_iiii_1011_iiii" "{LDR,STR}H<c> <Rt>, <addressing mode 3>" => lift::extra_load_store, dis::extra_load_store;
    "cccc_000p_uiwl_nnnn_tttt_iiii_11s1_iiii" "LDRS{B,H}<c> / {LDR,STR}D<c> <Rt>, <addressing mode 3>" => lift::extra_load_store, dis::extra_load_store;

    // Miscellaneous (op 10xx, S = 0, in the 000 space).
    "cccc_0001_0r00_1111_dddd_0000_0000_0000" "MRS<c> <Rd>, <spec_reg>"            => lift::mrs, dis::mrs;
    "cccc_0001_0r10_mmmm_1111_0000_0000_nnnn" "MSR<c> <spec_reg>_<fields>, <Rn>"   => lift::msr_reg, dis::msr_reg;
    "cccc_0001_0010_1111_1111_1111_0001_mmmm" "BX<c> <Rm>"                         => lift::bx, dis::bx;
    "cccc_0001_0010_1111_1111_1111_0010_mmmm" "BXJ<c> <Rm>"                        => lift::bx, dis::bx;
    "cccc_0001_0010_1111_1111_1111_0011_mmmm" "BLX<c> <Rm>"                        => lift::blx_reg, dis::blx_reg;
    "cccc_0001_0110_1111_dddd_1111_0001_mmmm" "CLZ<c> <Rd>, <Rm>"                  => lift::clz, dis::clz;
    "cccc_0001_0oo0_nnnn_dddd_0000_0101_mmmm" "Q{D}{ADD,SUB}<c> <Rd>, <Rm>, <Rn>"  => lift::qaddsub, dis::qaddsub;
    "cccc_0001_0010_iiii_iiii_iiii_0111_iiii" "BKPT #<imm16>"                      => lift::bkpt, dis::bkpt;
    "cccc_0001_0100_iiii_iiii_iiii_0111_iiii" "HVC #<imm16>"                       => lift::hvc, dis::hvc;
    "cccc_0001_0000_dddd_aaaa_mmmm_1yx0_nnnn" "SMLA<x><y><c> <Rd>, <Rn>, <Rm>, <Ra>" => lift::smla_xy, dis::smla_xy;
    "cccc_0001_0010_dddd_aaaa_mmmm_1y00_nnnn" "SMLAW<y><c> <Rd>, <Rn>, <Rm>, <Ra>" => lift::smlaw_y, dis::smlaw_y;
    "cccc_0001_0010_dddd_0000_mmmm_1y10_nnnn" "SMULW<y><c> <Rd>, <Rn>, <Rm>"       => lift::smulw_y, dis::smulw_y;
    "cccc_0001_0100_hhhh_llll_mmmm_1yx0_nnnn" "SMLAL<x><y><c> <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::smlal_xy, dis::smlal_xy;
    "cccc_0001_0110_dddd_0000_mmmm_1yx0_nnnn" "SMUL<x><y><c> <Rd>, <Rn>, <Rm>"     => lift::smul_xy, dis::smul_xy;
    "cccc_0001_0xx0_xxxx_xxxx_xxxx_0xxx_xxxx" "(unallocated miscellaneous)"        => lift::undefined, dis::undefined;
    "cccc_0001_0xx0_xxxx_xxxx_xxxx_1xx0_xxxx" "(unallocated halfword multiply)"    => lift::undefined, dis::undefined;

    // Data-processing immediates and hints (op 10xx, S = 0, in the 001 space).
    "cccc_0011_0000_iiii_dddd_iiii_iiii_iiii" "MOVW<c> <Rd>, #<imm16>"             => lift::movw, dis::movw;
    "cccc_0011_0100_iiii_dddd_iiii_iiii_iiii" "MOVT<c> <Rd>, #<imm16>"             => lift::movt, dis::movt;
    "cccc_0011_0010_0000_1111_0000_0000_0011" "WFI<c>"                             => lift::wfi, dis::wfi;
    "cccc_0011_0010_0000_1111_0000_xxxx_xxxx" "NOP<c> / YIELD<c> / WFE<c> / SEV<c> / DBG<c>" => lift::hint, dis::hint;
    "cccc_0011_0r10_mmmm_1111_rrrr_iiii_iiii" "MSR<c> <spec_reg>_<fields>, #<const>" => lift::msr_imm, dis::msr_imm;
    "cccc_0011_0xx0_xxxx_xxxx_xxxx_xxxx_xxxx" "(unallocated MSR and hints)"        => lift::undefined, dis::undefined;

    // Data processing.
    "cccc_001o_ooos_nnnn_dddd_rrrr_iiii_iiii" "<op>{S}<c> <Rd>, <Rn>, #<const>"    => lift::dp_imm, dis::dp_imm;
    "cccc_000o_ooos_nnnn_dddd_iiii_itt0_mmmm" "<op>{S}<c> <Rd>, <Rn>, <Rm>{, <shift> #<imm>}" => lift::dp_imm_shift, dis::dp_imm_shift;
    "cccc_000o_ooos_nnnn_dddd_ssss_0tt1_mmmm" "<op>{S}<c> <Rd>, <Rn>, <Rm>, <type> <Rs>" => lift::dp_reg_shift, dis::dp_reg_shift;

    // Media instructions (011 space with bit 4 set).
    "cccc_0110_0ooo_nnnn_dddd_1111_ppp1_mmmm" "{S,Q,SH,U,UQ,UH}{ADD16,ASX,SAX,SUB16,ADD8,SUB8}<c> <Rd>, <Rn>, <Rm>" => lift::parallel, dis::parallel;
    "cccc_0110_1000_nnnn_dddd_1111_1011_mmmm" "SEL<c> <Rd>, <Rn>, <Rm>"            => lift::sel, dis::sel;
    "cccc_0110_1000_nnnn_dddd_iiii_it01_mmmm" "PKH{BT,TB}<c> <Rd>, <Rn>, <Rm>{, <shift>}" => lift::pkh, dis::pkh;
    "cccc_0110_1010_ssss_dddd_1111_0011_nnnn" "SSAT16<c> <Rd>, #<imm>, <Rn>"       => lift::ssat16, dis::ssat16;
    "cccc_0110_1110_ssss_dddd_1111_0011_nnnn" "USAT16<c> <Rd>, #<imm>, <Rn>"       => lift::usat16, dis::usat16;
    "cccc_0110_101s_ssss_dddd_iiii_ih01_nnnn" "SSAT<c> <Rd>, #<imm>, <Rn>{, <shift>}" => lift::ssat, dis::ssat;
    "cccc_0110_111s_ssss_dddd_iiii_ih01_nnnn" "USAT<c> <Rd>, #<imm>, <Rn>{, <shift>}" => lift::usat, dis::usat;
    "cccc_0110_1011_1111_dddd_1111_0011_mmmm" "REV<c> <Rd>, <Rm>"                  => lift::rev, dis::rev;
    "cccc_0110_1011_1111_dddd_1111_1011_mmmm" "REV16<c> <Rd>, <Rm>"                => lift::rev16, dis::rev16;
    "cccc_0110_1111_1111_dddd_1111_0011_mmmm" "RBIT<c> <Rd>, <Rm>"                 => lift::rbit, dis::rbit;
    "cccc_0110_1111_1111_dddd_1111_1011_mmmm" "REVSH<c> <Rd>, <Rm>"                => lift::revsh, dis::revsh;
    "cccc_0110_1uoo_nnnn_dddd_rr00_0111_mmmm" "{S,U}XTA{B16,B,H}<c> <Rd>, <Rn>, <Rm>{, <rotation>} (Rn = PC: {S,U}XT{B16,B,H})" => lift::extend, dis::extend;
    "cccc_0111_0000_dddd_aaaa_mmmm_0sx1_nnnn" "SMLAD{X}/SMLSD{X}<c> <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMUAD/SMUSD)" => lift::smlad, dis::smlad;
    "cccc_0111_0100_hhhh_llll_mmmm_0sx1_nnnn" "SMLALD{X}/SMLSLD{X}<c> <RdLo>, <RdHi>, <Rn>, <Rm>" => lift::smlald, dis::smlald;
    "cccc_0111_0101_dddd_aaaa_mmmm_00r1_nnnn" "SMMLA{R}<c> <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: SMMUL{R})" => lift::smmla, dis::smmla;
    "cccc_0111_0101_dddd_aaaa_mmmm_11r1_nnnn" "SMMLS{R}<c> <Rd>, <Rn>, <Rm>, <Ra>" => lift::smmls, dis::smmls;
    "cccc_0111_0001_dddd_1111_mmmm_0001_nnnn" "SDIV<c> <Rd>, <Rn>, <Rm>"           => lift::sdiv, dis::sdiv;
    "cccc_0111_0011_dddd_1111_mmmm_0001_nnnn" "UDIV<c> <Rd>, <Rn>, <Rm>"           => lift::udiv, dis::udiv;
    "cccc_0111_1000_dddd_aaaa_mmmm_0001_nnnn" "USADA8<c> <Rd>, <Rn>, <Rm>, <Ra> (Ra = PC: USAD8)" => lift::usada8, dis::usada8;
    "cccc_0111_101w_wwww_dddd_llll_l101_nnnn" "SBFX<c> <Rd>, <Rn>, #<lsb>, #<width>" => lift::sbfx, dis::sbfx;
    "cccc_0111_111w_wwww_dddd_llll_l101_nnnn" "UBFX<c> <Rd>, <Rn>, #<lsb>, #<width>" => lift::ubfx, dis::ubfx;
    "cccc_0111_110m_mmmm_dddd_llll_l001_nnnn" "BFI<c> <Rd>, <Rn>, #<lsb>, #<width> (Rn = PC: BFC)" => lift::bfi, dis::bfi;
    "cccc_0111_1111_xxxx_xxxx_xxxx_1111_xxxx" "UDF<c> #<imm16>"                    => lift::undefined, dis::udf;
    "cccc_011x_xxxx_xxxx_xxxx_xxxx_xxx1_xxxx" "(unallocated media)"                => lift::undefined, dis::undefined;

    // Single loads and stores.
    "cccc_010p_ubwl_nnnn_tttt_iiii_iiii_iiii" "{LDR,STR}{B}{T}<c> <Rt>, [<Rn>, #+/-<imm12>]" => lift::load_store_imm, dis::load_store_imm;
    "cccc_011p_ubwl_nnnn_tttt_iiii_itt0_mmmm" "{LDR,STR}{B}{T}<c> <Rt>, [<Rn>, +/-<Rm>{, <shift>}]" => lift::load_store_reg, dis::load_store_reg;

    // Block transfers.
    "cccc_100p_u0wl_nnnn_rrrr_rrrr_rrrr_rrrr" "{LDM,STM}{IA,IB,DA,DB}<c> <Rn>{!}, <registers>" => lift::ldm_stm, dis::ldm_stm;
    "cccc_100p_u1w1_nnnn_1rrr_rrrr_rrrr_rrrr" "LDM{IA,IB,DA,DB}<c> <Rn>{!}, <registers with pc>^" => lift::ldm_exception_return, dis::ldm_stm;
    "cccc_100p_u1wl_nnnn_0rrr_rrrr_rrrr_rrrr" "{LDM,STM}{IA,IB,DA,DB}<c> <Rn>, <registers>^ (User registers)" => lift::ldm_stm_user, dis::ldm_stm;
    "cccc_100p_u1w0_nnnn_1rrr_rrrr_rrrr_rrrr" "STM{IA,IB,DA,DB}<c> <Rn>, <registers with pc>^ (User registers)" => lift::ldm_stm_user, dis::ldm_stm;

    // System registers: coprocessors 14 (debug) and 15 (system control).
    "cccc_1110_ooo1_nnnn_tttt_111c_ppp1_mmmm" "MRC<c> <coproc>, <opc1>, <Rt>, <CRn>, <CRm>{, <opc2>}" => lift::coproc, dis::coproc;
    "cccc_1110_ooo0_nnnn_tttt_111c_ppp1_mmmm" "MCR<c> <coproc>, <opc1>, <Rt>, <CRn>, <CRm>{, <opc2>}" => lift::coproc, dis::coproc;
    "cccc_1100_0101_uuuu_tttt_111c_oooo_mmmm" "MRRC<c> <coproc>, <opc1>, <Rt>, <Rt2>, <CRm>" => lift::coproc64, dis::coproc64;
    "cccc_1100_0100_uuuu_tttt_111c_oooo_mmmm" "MCRR<c> <coproc>, <opc1>, <Rt>, <Rt2>, <CRm>" => lift::coproc64, dis::coproc64;
};

/// The encoding of `word`, or `None` if no line matches (an undefined
/// instruction).
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    let table = if word >> 28 == 0xf {
        UNCONDITIONAL
    } else {
        CONDITIONAL
    };
    table.iter().find(|e| word & e.mask == e.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_to_masks() {
        assert_eq!(
            parse_bits("cccc_1010_iiii_iiii_iiii_iiii_iiii_iiii", 32),
            (0x0f00_0000, 0x0a00_0000)
        );
        assert_eq!(
            parse_bits("1111_0101_0111_1111_1111_0000_0001_1111", 32),
            (0xffff_ffff, 0xf57f_f01f)
        );
    }

    #[test]
    fn specific_encodings_win() {
        let syntax = |w| lookup(w).map(|e| e.syntax).unwrap_or("-");
        assert_eq!(
            syntax(0xe320_f000),
            "NOP<c> / YIELD<c> / WFE<c> / SEV<c> / DBG<c>"
        );
        assert_eq!(syntax(0xe320_f003), "WFI<c>");
        assert_eq!(
            syntax(0xe0810002),
            "<op>{S}<c> <Rd>, <Rn>, <Rm>{, <shift> #<imm>}"
        ); // add r0, r1, r2
        assert_eq!(syntax(0xe0000291), "MUL{S}<c> <Rd>, <Rn>, <Rm>"); // mul r0, r1, r2
        assert_eq!(syntax(0xe12fff1e), "BX<c> <Rm>");
        assert_eq!(
            syntax(0xe1d000b0),
            "{LDR,STR}H<c> <Rt>, <addressing mode 3>"
        ); // ldrh r0, [r0]
        assert_eq!(syntax(0xe7f000f0), "UDF<c> #<imm16>");
        assert_eq!(
            syntax(0xe92d4010),
            "{LDM,STM}{IA,IB,DA,DB}<c> <Rn>{!}, <registers>"
        ); // push {r4, lr}
        assert_eq!(syntax(0xe6bf0f30 | 0x1), "REV<c> <Rd>, <Rm>");
        assert!(lookup(0xf000_0000).is_none());
        assert_eq!(syntax(0xf57f_f01f), "CLREX");
        assert_eq!(syntax(0xf57f_f04f), "DSB <option>");
        assert_eq!(syntax(0xf5d0_f000), "PLD{W} [<Rn>, #+/-<imm12>]");
    }
}
