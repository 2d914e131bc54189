//! A32 disassembly, driven by the decode table: the line that lifts an
//! encoding also names its formatter here. The text follows the GNU
//! assembler's unified syntax (as `objdump -M reg-names-std` prints it):
//! mnemonic, `s`, condition, then operands; immediates in decimal, branch
//! targets as absolute addresses.

use super::decode;

const COND: [&str; 16] = [
    "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "", "",
];
const SHIFT: [&str; 4] = ["lsl", "lsr", "asr", "ror"];

/// The assembler text of the A32 encoding `word` at address `pc`.
pub fn disassemble_at(word: u32, pc: u32) -> String {
    if let Some(e) = decode::lookup(word) {
        return (e.format)(word, pc);
    }
    match super::decode_vfp::lookup(word).or_else(|| super::decode_neon::lookup(word)) {
        Some(e) => (e.format)(&super::disasm_vfp::a32_insn(word, pc)),
        None => undefined(word, pc),
    }
}

/// The assembler text of `word`, with PC-relative targets shown as if it
/// were at address 0.
pub fn disassemble(word: u32) -> String {
    disassemble_at(word, 0)
}

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}
fn bit(w: u32, n: u32) -> bool {
    w >> n & 1 != 0
}
fn c(w: u32) -> &'static str {
    COND[(w >> 28) as usize]
}
/// A core register's name as objdump prints it (sp, lr, pc for 13-15).
pub fn r(n: u32) -> String {
    match n {
        13 => "sp".into(),
        14 => "lr".into(),
        15 => "pc".into(),
        n => format!("r{n}"),
    }
}
fn rn(w: u32) -> String {
    r(bits(w, 19, 16))
}
fn rd(w: u32) -> String {
    r(bits(w, 15, 12))
}
fn rs(w: u32) -> String {
    r(bits(w, 11, 8))
}
fn rm(w: u32) -> String {
    r(bits(w, 3, 0))
}
fn s(w: u32) -> &'static str {
    if bit(w, 20) {
        "s"
    } else {
        ""
    }
}
fn ins(mnemonic: &str, operands: &str) -> String {
    if operands.is_empty() {
        mnemonic.to_string()
    } else {
        format!("{mnemonic}\t{operands}")
    }
}

/// `, <shift> #<n>` for an immediate shift (empty for LSL #0).
fn shift_imm(ty: u32, imm: u32) -> String {
    match (ty, imm) {
        (0, 0) => String::new(),
        (3, 0) => ", rrx".into(),
        (1 | 2, 0) => format!(", {} #32", SHIFT[ty as usize]),
        (t, n) => format!(", {} #{n}", SHIFT[t as usize]),
    }
}

fn list(mask: u32) -> String {
    let regs: Vec<String> = (0..16).filter(|i| mask & (1 << i) != 0).map(r).collect();
    format!("{{{}}}", regs.join(", "))
}

/// Undefined or unallocated encodings.
pub fn undefined(w: u32, _pc: u32) -> String {
    format!(".inst\t0x{w:08x}")
}

/// UDF.
pub fn udf(w: u32, _pc: u32) -> String {
    ins("udf", &format!("#{}", bits(w, 19, 8) << 4 | bits(w, 3, 0)))
}

/// PLD, PLDW, PLI.
pub fn preload(w: u32, _pc: u32) -> String {
    let m = match (bit(w, 24), bit(w, 22)) {
        (false, _) => "pli",
        (true, true) => "pld",
        (true, false) => "pldw",
    };
    let sign = if bit(w, 23) { "" } else { "-" };
    if bit(w, 25) {
        ins(
            m,
            &format!(
                "[{}, {sign}{}{}]",
                rn(w),
                rm(w),
                shift_imm(bits(w, 6, 5), bits(w, 11, 7))
            ),
        )
    } else {
        ins(m, &format!("[{}, #{sign}{}]", rn(w), w & 0xfff))
    }
}

/// DSB, DMB, ISB.
pub fn barrier(w: u32, _pc: u32) -> String {
    let m = match bits(w, 7, 4) {
        4 => "dsb",
        5 => "dmb",
        _ => "isb",
    };
    let opt = match bits(w, 3, 0) {
        0xf => "sy",
        0xe => "st",
        0xb => "ish",
        0xa => "ishst",
        0x7 => "nsh",
        0x6 => "nshst",
        0x3 => "osh",
        0x2 => "oshst",
        n => return ins(m, &format!("#{n}")),
    };
    ins(m, opt)
}

/// CLREX.
pub fn clrex(_w: u32, _pc: u32) -> String {
    "clrex".into()
}

/// SETEND.
pub fn setend(w: u32, _pc: u32) -> String {
    ins("setend", if bit(w, 9) { "be" } else { "le" })
}

fn target(w: u32, pc: u32) -> u32 {
    pc.wrapping_add(8)
        .wrapping_add((((w & 0x00ff_ffff) << 8) as i32 >> 6) as u32)
}

/// B.
pub fn b(w: u32, pc: u32) -> String {
    ins(&format!("b{}", c(w)), &format!("0x{:x}", target(w, pc)))
}

/// BL.
pub fn bl(w: u32, pc: u32) -> String {
    ins(&format!("bl{}", c(w)), &format!("0x{:x}", target(w, pc)))
}

/// BLX (immediate).
pub fn blx_imm(w: u32, pc: u32) -> String {
    ins(
        "blx",
        &format!("0x{:x}", target(w, pc) | bits(w, 24, 24) << 1),
    )
}

/// BX, BXJ.
pub fn bx(w: u32, _pc: u32) -> String {
    let m = if bits(w, 7, 4) == 2 { "bxj" } else { "bx" };
    ins(&format!("{m}{}", c(w)), &rm(w))
}

/// BLX (register).
pub fn blx_reg(w: u32, _pc: u32) -> String {
    ins(&format!("blx{}", c(w)), &rm(w))
}

/// SVC.
pub fn svc(w: u32, _pc: u32) -> String {
    ins(
        &format!("svc{}", c(w)),
        &format!("0x{:08x}", w & 0x00ff_ffff),
    )
}

/// BKPT.
pub fn bkpt(w: u32, _pc: u32) -> String {
    ins(
        "bkpt",
        &format!("0x{:04x}", bits(w, 19, 8) << 4 | bits(w, 3, 0)),
    )
}

/// WFI.
pub fn wfi(w: u32, _pc: u32) -> String {
    format!("wfi{}", c(w))
}

/// NOP, YIELD, WFE, SEV, DBG and other hints.
pub fn hint(w: u32, _pc: u32) -> String {
    match bits(w, 7, 0) {
        0 => format!("nop{}", c(w)),
        1 => format!("yield{}", c(w)),
        2 => format!("wfe{}", c(w)),
        4 => format!("sev{}", c(w)),
        n if n >> 4 == 0xf => ins(&format!("dbg{}", c(w)), &format!("#{}", n & 15)),
        n => ins(&format!("hint{}", c(w)), &format!("#{n}")),
    }
}

fn spec_reg(w: u32) -> &'static str {
    if bit(w, 22) {
        "SPSR"
    } else {
        "CPSR"
    }
}

/// MRS.
pub fn mrs(w: u32, _pc: u32) -> String {
    ins(
        &format!("mrs{}", c(w)),
        &format!("{}, {}", rd(w), spec_reg(w)),
    )
}

fn psr_fields(w: u32) -> String {
    let mut f = String::new();
    if bit(w, 19) {
        f.push('f');
    }
    if bit(w, 18) {
        f.push('s');
    }
    if bit(w, 17) {
        f.push('x');
    }
    if bit(w, 16) {
        f.push('c');
    }
    format!("{}_{f}", spec_reg(w))
}

/// MSR (register).
pub fn msr_reg(w: u32, _pc: u32) -> String {
    ins(
        &format!("msr{}", c(w)),
        &format!("{}, {}", psr_fields(w), rm(w)),
    )
}

/// MSR (immediate).
pub fn msr_imm(w: u32, _pc: u32) -> String {
    ins(
        &format!("msr{}", c(w)),
        &format!("{}, {}", psr_fields(w), modified_imm(w)),
    )
}

const DP: [&str; 16] = [
    "and", "eor", "sub", "rsb", "add", "adc", "sbc", "rsc", "tst", "teq", "cmp", "cmn", "orr",
    "mov", "bic", "mvn",
];

fn dp(w: u32, op2: String) -> String {
    let op = bits(w, 24, 21);
    let m = DP[op as usize];
    match op {
        8..=11 => ins(&format!("{m}{}", c(w)), &format!("{}, {op2}", rn(w))),
        13 | 15 => ins(
            &format!("{m}{}{}", s(w), c(w)),
            &format!("{}, {op2}", rd(w)),
        ),
        _ => ins(
            &format!("{m}{}{}", s(w), c(w)),
            &format!("{}, {}, {op2}", rd(w), rn(w)),
        ),
    }
}

/// A modified immediate as GNU tools print it: the value as a signed
/// number, or `#imm8,rotation` for an encoding that is not the canonical
/// one for its value.
fn modified_imm(w: u32) -> String {
    let (imm8, rot) = (w & 0xff, 2 * bits(w, 11, 8));
    let value = imm8.rotate_right(rot);
    // The canonical encoding uses the smallest rotation that fits.
    let canonical = (0..32)
        .step_by(2)
        .map(|r| (value.rotate_left(r), r))
        .find(|&(v, _)| v <= 0xff);
    if canonical == Some((imm8, rot)) {
        format!("#{}", value as i32)
    } else {
        format!("#{imm8},{rot}")
    }
}

/// Data processing with an immediate.
pub fn dp_imm(w: u32, _pc: u32) -> String {
    dp(w, modified_imm(w))
}

/// Data processing with an immediate-shifted register; MOV with a shift
/// is shown as the shift instruction, as UAL writes it.
pub fn dp_imm_shift(w: u32, _pc: u32) -> String {
    let (ty, amount) = (bits(w, 6, 5), bits(w, 11, 7));
    if bits(w, 24, 21) == 13 && !(ty == 0 && amount == 0) {
        let m = match (ty, amount) {
            (3, 0) => {
                return ins(
                    &format!("rrx{}{}", s(w), c(w)),
                    &format!("{}, {}", rd(w), rm(w)),
                )
            }
            (t, _) => SHIFT[t as usize],
        };
        let n = if amount == 0 { 32 } else { amount };
        return ins(
            &format!("{m}{}{}", s(w), c(w)),
            &format!("{}, {}, #{n}", rd(w), rm(w)),
        );
    }
    dp(w, format!("{}{}", rm(w), shift_imm(ty, amount)))
}

/// Data processing with a register-shifted register.
pub fn dp_reg_shift(w: u32, _pc: u32) -> String {
    let ty = SHIFT[bits(w, 6, 5) as usize];
    if bits(w, 24, 21) == 13 {
        return ins(
            &format!("{ty}{}{}", s(w), c(w)),
            &format!("{}, {}, {}", rd(w), rm(w), rs(w)),
        );
    }
    dp(w, format!("{}, {ty} {}", rm(w), rs(w)))
}

/// MOVW.
pub fn movw(w: u32, _pc: u32) -> String {
    ins(
        &format!("movw{}", c(w)),
        &format!("{}, #{}", rd(w), bits(w, 19, 16) << 12 | (w & 0xfff)),
    )
}

/// MOVT.
pub fn movt(w: u32, _pc: u32) -> String {
    ins(
        &format!("movt{}", c(w)),
        &format!("{}, #{}", rd(w), bits(w, 19, 16) << 12 | (w & 0xfff)),
    )
}

/// CLZ.
pub fn clz(w: u32, _pc: u32) -> String {
    ins(&format!("clz{}", c(w)), &format!("{}, {}", rd(w), rm(w)))
}

// Multiplies: Rd is bits 19:16, Ra 15:12, Rm 11:8, Rn 3:0.

/// MUL.
pub fn mul(w: u32, _pc: u32) -> String {
    ins(
        &format!("mul{}{}", s(w), c(w)),
        &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
    )
}

/// MLA.
pub fn mla(w: u32, _pc: u32) -> String {
    ins(
        &format!("mla{}{}", s(w), c(w)),
        &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
    )
}

/// MLS.
pub fn mls(w: u32, _pc: u32) -> String {
    ins(
        &format!("mls{}", c(w)),
        &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
    )
}

/// UMAAL.
pub fn umaal(w: u32, _pc: u32) -> String {
    ins(
        &format!("umaal{}", c(w)),
        &format!("{}, {}, {}, {}", rd(w), rn(w), rm(w), rs(w)),
    )
}

/// UMULL, UMLAL, SMULL, SMLAL.
pub fn mull(w: u32, _pc: u32) -> String {
    let m = ["umull", "umlal", "smull", "smlal"][bits(w, 22, 21) as usize];
    ins(
        &format!("{m}{}{}", s(w), c(w)),
        &format!("{}, {}, {}, {}", rd(w), rn(w), rm(w), rs(w)),
    )
}

fn xy(w: u32) -> String {
    format!(
        "{}{}",
        if bit(w, 5) { "t" } else { "b" },
        if bit(w, 6) { "t" } else { "b" }
    )
}

/// SMLA<x><y>.
pub fn smla_xy(w: u32, _pc: u32) -> String {
    ins(
        &format!("smla{}{}", xy(w), c(w)),
        &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
    )
}

/// SMUL<x><y>.
pub fn smul_xy(w: u32, _pc: u32) -> String {
    ins(
        &format!("smul{}{}", xy(w), c(w)),
        &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
    )
}

/// SMLAL<x><y>.
pub fn smlal_xy(w: u32, _pc: u32) -> String {
    ins(
        &format!("smlal{}{}", xy(w), c(w)),
        &format!("{}, {}, {}, {}", rd(w), rn(w), rm(w), rs(w)),
    )
}

fn y(w: u32) -> &'static str {
    if bit(w, 6) {
        "t"
    } else {
        "b"
    }
}

/// SMLAW<y>.
pub fn smlaw_y(w: u32, _pc: u32) -> String {
    ins(
        &format!("smlaw{}{}", y(w), c(w)),
        &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
    )
}

/// SMULW<y>.
pub fn smulw_y(w: u32, _pc: u32) -> String {
    ins(
        &format!("smulw{}{}", y(w), c(w)),
        &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
    )
}

fn x(w: u32) -> &'static str {
    if bit(w, 5) {
        "x"
    } else {
        ""
    }
}

/// SMLAD, SMLSD, SMUAD, SMUSD.
pub fn smlad(w: u32, _pc: u32) -> String {
    let sub = bit(w, 6);
    if bits(w, 15, 12) == 15 {
        let m = if sub { "smusd" } else { "smuad" };
        ins(
            &format!("{m}{}{}", x(w), c(w)),
            &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
        )
    } else {
        let m = if sub { "smlsd" } else { "smlad" };
        ins(
            &format!("{m}{}{}", x(w), c(w)),
            &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
        )
    }
}

/// SMLALD, SMLSLD.
pub fn smlald(w: u32, _pc: u32) -> String {
    let m = if bit(w, 6) { "smlsld" } else { "smlald" };
    ins(
        &format!("{m}{}{}", x(w), c(w)),
        &format!("{}, {}, {}, {}", rd(w), rn(w), rm(w), rs(w)),
    )
}

fn round(w: u32) -> &'static str {
    if bit(w, 5) {
        "r"
    } else {
        ""
    }
}

/// SMMLA, SMMUL.
pub fn smmla(w: u32, _pc: u32) -> String {
    if bits(w, 15, 12) == 15 {
        ins(
            &format!("smmul{}{}", round(w), c(w)),
            &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
        )
    } else {
        ins(
            &format!("smmla{}{}", round(w), c(w)),
            &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
        )
    }
}

/// SMMLS.
pub fn smmls(w: u32, _pc: u32) -> String {
    ins(
        &format!("smmls{}{}", round(w), c(w)),
        &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
    )
}

/// SDIV.
pub fn sdiv(w: u32, _pc: u32) -> String {
    ins(
        &format!("sdiv{}", c(w)),
        &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
    )
}

/// UDIV.
pub fn udiv(w: u32, _pc: u32) -> String {
    ins(
        &format!("udiv{}", c(w)),
        &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
    )
}

/// USAD8, USADA8.
pub fn usada8(w: u32, _pc: u32) -> String {
    if bits(w, 15, 12) == 15 {
        ins(
            &format!("usad8{}", c(w)),
            &format!("{}, {}, {}", rn(w), rm(w), rs(w)),
        )
    } else {
        ins(
            &format!("usada8{}", c(w)),
            &format!("{}, {}, {}, {}", rn(w), rm(w), rs(w), rd(w)),
        )
    }
}

/// QADD, QSUB, QDADD, QDSUB.
pub fn qaddsub(w: u32, _pc: u32) -> String {
    let m = ["qadd", "qsub", "qdadd", "qdsub"][bits(w, 22, 21) as usize];
    ins(
        &format!("{m}{}", c(w)),
        &format!("{}, {}, {}", rd(w), rm(w), rn(w)),
    )
}

/// The parallel add/subtract family.
pub fn parallel(w: u32, _pc: u32) -> String {
    let prefix = ["", "s", "q", "sh", "", "u", "uq", "uh"][bits(w, 22, 20) as usize];
    let op = ["add16", "asx", "sax", "sub16", "add8", "", "", "sub8"][bits(w, 7, 5) as usize];
    if prefix.is_empty() || op.is_empty() {
        return undefined(w, 0);
    }
    ins(
        &format!("{prefix}{op}{}", c(w)),
        &format!("{}, {}, {}", rd(w), rn(w), rm(w)),
    )
}

/// SEL.
pub fn sel(w: u32, _pc: u32) -> String {
    ins(
        &format!("sel{}", c(w)),
        &format!("{}, {}, {}", rd(w), rn(w), rm(w)),
    )
}

/// PKHBT, PKHTB.
pub fn pkh(w: u32, _pc: u32) -> String {
    let tb = bit(w, 6);
    let amount = bits(w, 11, 7);
    let shift = match (tb, amount) {
        (false, 0) => String::new(),
        (false, n) => format!(", lsl #{n}"),
        (true, 0) => ", asr #32".into(),
        (true, n) => format!(", asr #{n}"),
    };
    let m = if tb { "pkhtb" } else { "pkhbt" };
    ins(
        &format!("{m}{}", c(w)),
        &format!("{}, {}, {}{shift}", rd(w), rn(w), rm(w)),
    )
}

fn sat(w: u32, signed: bool) -> String {
    let n = bits(w, 20, 16) + u32::from(signed);
    let m = if signed { "ssat" } else { "usat" };
    let shift = shift_imm(if bit(w, 6) { 2 } else { 0 }, bits(w, 11, 7));
    ins(
        &format!("{m}{}", c(w)),
        &format!("{}, #{n}, {}{shift}", rd(w), rm(w)),
    )
}

/// SSAT.
pub fn ssat(w: u32, _pc: u32) -> String {
    sat(w, true)
}

/// USAT.
pub fn usat(w: u32, _pc: u32) -> String {
    sat(w, false)
}

/// SSAT16.
pub fn ssat16(w: u32, _pc: u32) -> String {
    ins(
        &format!("ssat16{}", c(w)),
        &format!("{}, #{}, {}", rd(w), bits(w, 19, 16) + 1, rm(w)),
    )
}

/// USAT16.
pub fn usat16(w: u32, _pc: u32) -> String {
    ins(
        &format!("usat16{}", c(w)),
        &format!("{}, #{}, {}", rd(w), bits(w, 19, 16), rm(w)),
    )
}

/// REV.
pub fn rev(w: u32, _pc: u32) -> String {
    ins(&format!("rev{}", c(w)), &format!("{}, {}", rd(w), rm(w)))
}

/// REV16.
pub fn rev16(w: u32, _pc: u32) -> String {
    ins(&format!("rev16{}", c(w)), &format!("{}, {}", rd(w), rm(w)))
}

/// RBIT.
pub fn rbit(w: u32, _pc: u32) -> String {
    ins(&format!("rbit{}", c(w)), &format!("{}, {}", rd(w), rm(w)))
}

/// REVSH.
pub fn revsh(w: u32, _pc: u32) -> String {
    ins(&format!("revsh{}", c(w)), &format!("{}, {}", rd(w), rm(w)))
}

/// The sign and zero extensions, with and without accumulate.
pub fn extend(w: u32, _pc: u32) -> String {
    let base =
        ["sxtb16", "", "sxtb", "sxth", "uxtb16", "", "uxtb", "uxth"][bits(w, 22, 20) as usize];
    if base.is_empty() {
        return undefined(w, 0);
    }
    let rot = match bits(w, 11, 10) {
        0 => String::new(),
        n => format!(", ror #{}", 8 * n),
    };
    if bits(w, 19, 16) == 15 {
        ins(
            &format!("{base}{}", c(w)),
            &format!("{}, {}{rot}", rd(w), rm(w)),
        )
    } else {
        let m = format!("{}xta{}", &base[..1], &base[3..]);
        ins(
            &format!("{m}{}", c(w)),
            &format!("{}, {}, {}{rot}", rd(w), rn(w), rm(w)),
        )
    }
}

/// SBFX.
pub fn sbfx(w: u32, _pc: u32) -> String {
    ins(
        &format!("sbfx{}", c(w)),
        &format!(
            "{}, {}, #{}, #{}",
            rd(w),
            rm(w),
            bits(w, 11, 7),
            bits(w, 20, 16) + 1
        ),
    )
}

/// UBFX.
pub fn ubfx(w: u32, _pc: u32) -> String {
    ins(
        &format!("ubfx{}", c(w)),
        &format!(
            "{}, {}, #{}, #{}",
            rd(w),
            rm(w),
            bits(w, 11, 7),
            bits(w, 20, 16) + 1
        ),
    )
}

/// BFI, BFC.
pub fn bfi(w: u32, _pc: u32) -> String {
    let (lsb, msb) = (bits(w, 11, 7), bits(w, 20, 16));
    let width = (msb + 1).saturating_sub(lsb);
    if bits(w, 3, 0) == 15 {
        ins(
            &format!("bfc{}", c(w)),
            &format!("{}, #{lsb}, #{width}", rd(w)),
        )
    } else {
        ins(
            &format!("bfi{}", c(w)),
            &format!("{}, {}, #{lsb}, #{width}", rd(w), rm(w)),
        )
    }
}

/// `[Rn, <offset>]`, `[Rn, <offset>]!` or `[Rn], <offset>`.
fn address(w: u32, offset: String, zero_offset: bool) -> String {
    let (p, wb) = (bit(w, 24), bit(w, 21));
    match (p, zero_offset) {
        (true, true) => format!("[{}]{}", rn(w), if wb { "!" } else { "" }),
        (true, false) => format!("[{}, {offset}]{}", rn(w), if wb { "!" } else { "" }),
        (false, _) => format!("[{}], {offset}", rn(w)),
    }
}

fn sign(w: u32) -> &'static str {
    if bit(w, 23) {
        ""
    } else {
        "-"
    }
}

fn single(w: u32, offset: String, zero: bool) -> String {
    let m = if bit(w, 20) { "ldr" } else { "str" };
    let b = if bit(w, 22) { "b" } else { "" };
    let t = if !bit(w, 24) && bit(w, 21) { "t" } else { "" };
    ins(
        &format!("{m}{b}{t}{}", c(w)),
        &format!("{}, {}", rd(w), address(w, offset, zero)),
    )
}

/// LDR/STR/LDRB/STRB with an immediate offset.
pub fn load_store_imm(w: u32, _pc: u32) -> String {
    let imm = w & 0xfff;
    single(
        w,
        format!("#{}{imm}", sign(w)),
        imm == 0 && bit(w, 23) && !bit(w, 21),
    )
}

/// LDR/STR/LDRB/STRB with a register offset.
pub fn load_store_reg(w: u32, _pc: u32) -> String {
    single(
        w,
        format!(
            "{}{}{}",
            sign(w),
            rm(w),
            shift_imm(bits(w, 6, 5), bits(w, 11, 7))
        ),
        false,
    )
}

/// LDRH/STRH/LDRSB/LDRSH/LDRD/STRD.
pub fn extra_load_store(w: u32, _pc: u32) -> String {
    let m = match (bits(w, 6, 5), bit(w, 20)) {
        (1, false) => "strh",
        (1, true) => "ldrh",
        (2, false) => "ldrd",
        (2, true) => "ldrsb",
        (3, false) => "strd",
        _ => "ldrsh",
    };
    let t = if !bit(w, 24) && bit(w, 21) { "t" } else { "" };
    let (offset, zero) = if bit(w, 22) {
        let imm = bits(w, 11, 8) << 4 | bits(w, 3, 0);
        (
            format!("#{}{imm}", sign(w)),
            imm == 0 && bit(w, 23) && !bit(w, 21),
        )
    } else {
        (format!("{}{}", sign(w), rm(w)), false)
    };
    ins(
        &format!("{m}{t}{}", c(w)),
        &format!("{}, {}", rd(w), address(w, offset, zero)),
    )
}

/// LDM/STM in all modes; PUSH and POP by their names.
pub fn ldm_stm(w: u32, _pc: u32) -> String {
    let load = bit(w, 20);
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    if bits(w, 19, 16) == 13
        && wb
        && (w & 0xffff).count_ones() > 1
        && (load && !p && u || !load && p && !u)
    {
        let m = if load { "pop" } else { "push" };
        return ins(&format!("{m}{}", c(w)), &list(w & 0xffff));
    }
    let m = if load { "ldm" } else { "stm" };
    let mode = match (bit(w, 24), bit(w, 23)) {
        (false, true) if load || !bit(w, 21) => "",
        (false, true) => "ia",
        (true, true) => "ib",
        (false, false) => "da",
        (true, false) => "db",
    };
    let wb = if bit(w, 21) { "!" } else { "" };
    let user = if bit(w, 22) { "^" } else { "" };
    ins(
        &format!("{m}{mode}{}", c(w)),
        &format!("{}{wb}, {}{user}", rn(w), list(w & 0xffff)),
    )
}

/// CPS.
pub fn cps(w: u32, _pc: u32) -> String {
    let imod = bits(w, 19, 18);
    let flags: String = [(8, 'a'), (7, 'i'), (6, 'f')]
        .iter()
        .filter(|(b, _)| bit(w, *b))
        .map(|(_, c)| *c)
        .collect();
    let mode = bits(w, 4, 0);
    match (imod, bit(w, 17)) {
        (0, _) => ins("cps", &format!("#{mode}")),
        (i, m) => {
            let effect = if i == 2 { "cpsie" } else { "cpsid" };
            let ops = if m {
                format!("{flags}, #{mode}")
            } else {
                flags
            };
            ins(effect, &ops)
        }
    }
}

/// HVC.
pub fn hvc(w: u32, _pc: u32) -> String {
    ins("hvc", &format!("#{}", bits(w, 19, 8) << 4 | bits(w, 3, 0)))
}

/// MRC/MCR.
pub fn coproc(w: u32, _pc: u32) -> String {
    let m = if bit(w, 20) { "mrc" } else { "mcr" };
    ins(
        &format!("{m}{}", c(w)),
        &format!(
            "{}, {}, {}, cr{}, cr{}, {{{}}}",
            bits(w, 11, 8),
            bits(w, 23, 21),
            rd(w),
            bits(w, 19, 16),
            bits(w, 3, 0),
            bits(w, 7, 5)
        ),
    )
}

/// MRRC/MCRR.
pub fn coproc64(w: u32, _pc: u32) -> String {
    let m = if bit(w, 20) { "mrrc" } else { "mcrr" };
    ins(
        &format!("{m}{}", c(w)),
        &format!(
            "{}, {}, {}, {}, cr{}",
            bits(w, 11, 8),
            bits(w, 7, 4),
            rd(w),
            rn(w),
            bits(w, 3, 0)
        ),
    )
}

fn block_mode(w: u32) -> &'static str {
    match (bit(w, 24), bit(w, 23)) {
        (false, true) => "ia",
        (true, true) => "ib",
        (false, false) => "da",
        (true, false) => "db",
    }
}

/// SRS.
pub fn srs(w: u32, _pc: u32) -> String {
    let wb = if bit(w, 21) { "!" } else { "" };
    ins(
        &format!("srs{}", block_mode(w)),
        &format!("sp{wb}, #{}", bits(w, 4, 0)),
    )
}

/// RFE.
pub fn rfe(w: u32, _pc: u32) -> String {
    let wb = if bit(w, 21) { "!" } else { "" };
    ins(&format!("rfe{}", block_mode(w)), &format!("{}{wb}", rn(w)))
}

/// SWP, SWPB.
pub fn swp(w: u32, _pc: u32) -> String {
    let m = if bit(w, 22) { "swpb" } else { "swp" };
    ins(
        &format!("{m}{}", c(w)),
        &format!("{}, {}, [{}]", rd(w), rm(w), rn(w)),
    )
}

fn excl_suffix(w: u32) -> &'static str {
    ["", "d", "b", "h"][bits(w, 22, 21) as usize]
}

/// LDREX family.
pub fn ldrex(w: u32, _pc: u32) -> String {
    let sfx = excl_suffix(w);
    ins(
        &format!("ldrex{sfx}{}", c(w)),
        &format!("{}, [{}]", rd(w), rn(w)),
    )
}

/// STREX family.
pub fn strex(w: u32, _pc: u32) -> String {
    let sfx = excl_suffix(w);
    ins(
        &format!("strex{sfx}{}", c(w)),
        &format!("{}, {}, [{}]", rd(w), rm(w), rn(w)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings() {
        assert_eq!(disassemble(0xe0810002), "add\tr0, r1, r2");
        assert_eq!(disassemble(0xe12fff1e), "bx\tlr");
        assert_eq!(disassemble(0xe92d4010), "push\t{r4, lr}");
        assert_eq!(disassemble(0xe7a48456), "sbfx\tr8, r6, #8, #5");
        assert_eq!(disassemble(0xe1320b3c), "teq\tr2, r12, lsr r11");
        assert_eq!(disassemble(0xe1259389), "smlawb\tr5, r9, r3, r9");
        assert_eq!(
            disassemble(0xe9b40acb),
            "ldmib\tr4!, {r0, r1, r3, r6, r7, r9, r11}"
        );
        assert_eq!(disassemble(0x3324fb67), "msrcc\tCPSR_s, #105472");
        assert_eq!(disassemble(0x233b0f0e), "teqcs\tr11, #14,30");
        assert_eq!(disassemble(0xe22494d1), "eor\tr9, r4, #-788529152");
        assert_eq!(disassemble(0xe5ea1539), "strb\tr1, [r10, #1337]!");
        assert_eq!(disassemble_at(0xeafffffe, 0x4010_0000), "b\t0x40100000");
        assert_eq!(disassemble(0xe7f000f0), "udf\t#0");
    }
}
