//! T32 (Thumb) disassembly, driven by the T32 decode tables, in the text
//! GNU objdump prints (`-M reg-names-std`): 16-bit forms that set the
//! flags show `s` outside an IT block and the block's condition inside
//! one; a 32-bit form whose mnemonic also has a 16-bit encoding shows
//! `.w`; immediates in decimal, branch targets as absolute addresses.

use super::decode_t32;
use super::disasm as a32;

/// What a T32 formatter sees: the encoding (a 32-bit one with its first
/// halfword in 31:16), its address and the ITSTATE it executes under.
#[derive(Clone, Copy, Debug)]
pub struct Insn {
    /// The encoding.
    pub w: u32,
    /// The instruction's address.
    pub pc: u32,
    /// ITSTATE (0 outside an IT block).
    pub it: u32,
}

/// A T32 disassembly function.
pub type Formatter = fn(&Insn) -> String;

/// The assembler text of the T32 instruction `insn` of `len` bytes (2 or
/// 4) at `pc`, executed under ITSTATE `it`.
pub fn disassemble_at(insn: u32, len: u32, pc: u32, it: u32) -> String {
    let e = if len == 2 {
        decode_t32::lookup16(insn)
    } else {
        decode_t32::lookup32(insn)
    };
    let i = Insn { w: insn, pc, it };
    match e {
        Some(e) => (e.format)(&i),
        None if len == 2 => format!(".inst.n\t0x{insn:04x}"),
        None => format!(".inst.w\t0x{insn:08x}"),
    }
}

const COND: [&str; 16] = [
    "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "", "",
];
const SHIFT: [&str; 4] = ["lsl", "lsr", "asr", "ror"];

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}
fn bit(w: u32, n: u32) -> bool {
    w >> n & 1 != 0
}
use super::disasm::r;
fn ins(mnemonic: &str, operands: &str) -> String {
    if operands.is_empty() {
        mnemonic.to_string()
    } else {
        format!("{mnemonic}\t{operands}")
    }
}
fn list(mask: u32) -> String {
    let regs: Vec<String> = (0..16).filter(|i| mask & (1 << i) != 0).map(r).collect();
    format!("{{{}}}", regs.join(", "))
}

/// The IT block's condition suffix ("" outside one).
fn c(i: &Insn) -> &'static str {
    if i.it & 0xf != 0 {
        COND[(i.it >> 4) as usize]
    } else {
        ""
    }
}

/// `mnemonic` of a 16-bit form that sets the flags outside IT blocks.
fn m16s(i: &Insn, mnemonic: &str) -> String {
    if i.it & 0xf != 0 {
        format!("{mnemonic}{}", c(i))
    } else {
        format!("{mnemonic}s")
    }
}

/// `mnemonic` with the IT condition.
fn mc(i: &Insn, mnemonic: &str) -> String {
    format!("{mnemonic}{}", c(i))
}

/// A 32-bit form's mnemonic: `s` (bit 20 when `flag`), the condition,
/// then `.w` when `wide`.
fn m32(i: &Insn, mnemonic: &str, flag: bool, wide: bool) -> String {
    format!(
        "{mnemonic}{}{}{}",
        if flag && bit(i.w, 20) { "s" } else { "" },
        c(i),
        if wide { ".w" } else { "" }
    )
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

// ---------------------------------------------------------------------------
// 16-bit.

fn lo(w: u32, at: u32) -> String {
    r(bits(w, at + 2, at))
}

/// LSL, LSR, ASR (immediate); LSL #0 as MOVS.
pub fn t16_shift_imm(i: &Insn) -> String {
    let (ty, imm) = (bits(i.w, 12, 11), bits(i.w, 10, 6));
    if ty == 0 && imm == 0 {
        return ins(&m16s(i, "mov"), &format!("{}, {}", lo(i.w, 0), lo(i.w, 3)));
    }
    let n = if imm == 0 { 32 } else { imm };
    ins(
        &m16s(i, SHIFT[ty as usize]),
        &format!("{}, {}, #{n}", lo(i.w, 0), lo(i.w, 3)),
    )
}

/// ADD, SUB (register).
pub fn t16_add_sub_reg(i: &Insn) -> String {
    let m = if bit(i.w, 9) { "sub" } else { "add" };
    ins(
        &m16s(i, m),
        &format!("{}, {}, {}", lo(i.w, 0), lo(i.w, 3), lo(i.w, 6)),
    )
}

/// ADD, SUB (3-bit immediate).
pub fn t16_add_sub_imm3(i: &Insn) -> String {
    let m = if bit(i.w, 9) { "sub" } else { "add" };
    ins(
        &m16s(i, m),
        &format!("{}, {}, #{}", lo(i.w, 0), lo(i.w, 3), bits(i.w, 8, 6)),
    )
}

/// MOV, CMP, ADD, SUB (8-bit immediate).
pub fn t16_imm8(i: &Insn) -> String {
    let op = bits(i.w, 12, 11);
    let m = ["mov", "cmp", "add", "sub"][op as usize];
    let m = if op == 1 { mc(i, m) } else { m16s(i, m) };
    ins(&m, &format!("{}, #{}", lo(i.w, 8), i.w & 0xff))
}

/// The data-processing (register) operations.
pub fn t16_dp_reg(i: &Insn) -> String {
    const OPS: [&str; 16] = [
        "and", "eor", "lsl", "lsr", "asr", "adc", "sbc", "ror", "tst", "neg", "cmp", "cmn", "orr",
        "mul", "bic", "mvn",
    ];
    let op = bits(i.w, 9, 6);
    let m = OPS[op as usize];
    let m = if matches!(op, 8 | 10 | 11) {
        mc(i, m)
    } else {
        m16s(i, m)
    };
    ins(&m, &format!("{}, {}", lo(i.w, 0), lo(i.w, 3)))
}

/// ADD, CMP, MOV with high registers.
pub fn t16_hi(i: &Insn) -> String {
    let dn = bits(i.w, 7, 7) << 3 | bits(i.w, 2, 0);
    let m = bits(i.w, 6, 3);
    if i.w == 0x46c0 {
        return mc(i, "nop");
    }
    let name = ["add", "cmp", "mov"][bits(i.w, 9, 8) as usize];
    ins(&mc(i, name), &format!("{}, {}", r(dn), r(m)))
}

/// BX, BLX (register).
pub fn t16_bx(i: &Insn) -> String {
    let m = if bit(i.w, 7) { "blx" } else { "bx" };
    ins(&mc(i, m), &r(bits(i.w, 6, 3)))
}

/// LDR (literal).
pub fn t16_ldr_literal(i: &Insn) -> String {
    ins(
        &mc(i, "ldr"),
        &format!("{}, [pc, #{}]", lo(i.w, 8), (i.w & 0xff) << 2),
    )
}

/// The register-offset loads and stores.
pub fn t16_load_store_reg(i: &Insn) -> String {
    const OPS: [&str; 8] = [
        "str", "strh", "strb", "ldrsb", "ldr", "ldrh", "ldrb", "ldrsh",
    ];
    ins(
        &mc(i, OPS[bits(i.w, 11, 9) as usize]),
        &format!("{}, [{}, {}]", lo(i.w, 0), lo(i.w, 3), lo(i.w, 6)),
    )
}

/// STR/LDR{B,H} with a 5-bit immediate.
pub fn t16_load_store_imm(i: &Insn) -> String {
    let (base, scale) = match bits(i.w, 15, 12) {
        0b0110 => ("", 4),
        0b0111 => ("b", 1),
        _ => ("h", 2),
    };
    let op = if bit(i.w, 11) { "ldr" } else { "str" };
    ins(
        &mc(i, &format!("{op}{base}")),
        &format!(
            "{}, [{}, #{}]",
            lo(i.w, 0),
            lo(i.w, 3),
            bits(i.w, 10, 6) * scale
        ),
    )
}

/// STR/LDR SP-relative.
pub fn t16_load_store_sp(i: &Insn) -> String {
    let op = if bit(i.w, 11) { "ldr" } else { "str" };
    ins(
        &mc(i, op),
        &format!("{}, [sp, #{}]", lo(i.w, 8), (i.w & 0xff) << 2),
    )
}

/// ADR (shown as ADD Rd, PC, #imm).
pub fn t16_adr(i: &Insn) -> String {
    ins(
        &mc(i, "add"),
        &format!("{}, pc, #{}", lo(i.w, 8), (i.w & 0xff) << 2),
    )
}

/// ADD Rd, SP, #imm.
pub fn t16_add_sp_imm(i: &Insn) -> String {
    ins(
        &mc(i, "add"),
        &format!("{}, sp, #{}", lo(i.w, 8), (i.w & 0xff) << 2),
    )
}

/// ADD/SUB SP, SP, #imm.
pub fn t16_adjust_sp(i: &Insn) -> String {
    let m = if bit(i.w, 7) { "sub" } else { "add" };
    ins(&mc(i, m), &format!("sp, #{}", (i.w & 0x7f) << 2))
}

/// CBZ, CBNZ.
pub fn t16_cbz(i: &Insn) -> String {
    let m = if bit(i.w, 11) { "cbnz" } else { "cbz" };
    let off = bits(i.w, 9, 9) << 6 | bits(i.w, 7, 3) << 1;
    ins(
        m,
        &format!(
            "{}, 0x{:x}",
            lo(i.w, 0),
            i.pc.wrapping_add(4).wrapping_add(off)
        ),
    )
}

/// SXTH, SXTB, UXTH, UXTB.
pub fn t16_extend(i: &Insn) -> String {
    let m = ["sxth", "sxtb", "uxth", "uxtb"][bits(i.w, 7, 6) as usize];
    ins(&mc(i, m), &format!("{}, {}", lo(i.w, 0), lo(i.w, 3)))
}

/// PUSH, POP.
pub fn t16_push_pop(i: &Insn) -> String {
    let pop = bit(i.w, 11);
    let extra = if bit(i.w, 8) {
        if pop {
            1 << 15
        } else {
            1 << 14
        }
    } else {
        0
    };
    let m = if pop { "pop" } else { "push" };
    ins(&mc(i, m), &list((i.w & 0xff) | extra))
}

/// SETEND.
pub fn t16_setend(i: &Insn) -> String {
    ins("setend", if bit(i.w, 3) { "be" } else { "le" })
}

/// CPSIE, CPSID.
fn iflags(aif: u32) -> String {
    [(2, 'a'), (1, 'i'), (0, 'f')]
        .iter()
        .filter(|(b, _)| aif >> b & 1 != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// CPSIE, CPSID (16-bit).
pub fn t16_cps(i: &Insn) -> String {
    let m = if bit(i.w, 4) { "cpsid" } else { "cpsie" };
    ins(m, &iflags(bits(i.w, 2, 0)))
}

/// HLT.
pub fn t16_hlt(i: &Insn) -> String {
    ins("hlt", &format!("0x{:04x}", i.w & 0x3f))
}

/// REV, REV16, REVSH.
pub fn t16_reverse(i: &Insn) -> String {
    let m = ["rev", "rev16", "hlt", "revsh"][bits(i.w, 7, 6) as usize];
    ins(&mc(i, m), &format!("{}, {}", lo(i.w, 0), lo(i.w, 3)))
}

/// BKPT.
pub fn t16_bkpt(i: &Insn) -> String {
    ins("bkpt", &format!("0x{:04x}", i.w & 0xff))
}

/// NOP, YIELD, WFE, WFI, SEV.
pub fn t16_hint(i: &Insn) -> String {
    match bits(i.w, 7, 4) {
        0 => mc(i, "nop"),
        1 => mc(i, "yield"),
        2 => mc(i, "wfe"),
        3 => mc(i, "wfi"),
        4 => mc(i, "sev"),
        n => ins(&mc(i, "hint"), &format!("#{n}")),
    }
}

/// IT and its then/else pattern.
pub fn t16_it(i: &Insn) -> String {
    let (firstcond, mask) = (bits(i.w, 7, 4), bits(i.w, 3, 0));
    let mut pattern = String::new();
    let n = 3 - mask.trailing_zeros().min(3);
    for k in 0..n {
        let b = mask >> (3 - k) & 1;
        pattern.push(if b == firstcond & 1 { 't' } else { 'e' });
    }
    let cond = if firstcond == 0xe {
        "al"
    } else {
        COND[firstcond as usize]
    };
    ins(&format!("it{pattern}"), cond)
}

/// STMIA, LDMIA (16-bit).
pub fn t16_ldm_stm(i: &Insn) -> String {
    let n = bits(i.w, 10, 8);
    let regs = i.w & 0xff;
    let load = bit(i.w, 11);
    let wb = !load || regs & (1 << n) == 0;
    let m = if load { "ldmia" } else { "stmia" };
    ins(
        &mc(i, m),
        &format!("{}{}, {}", r(n), if wb { "!" } else { "" }, list(regs)),
    )
}

/// UDF (16-bit).
pub fn t16_udf(i: &Insn) -> String {
    ins("udf", &format!("#{}", i.w & 0xff))
}

/// SVC (16-bit).
pub fn t16_svc(i: &Insn) -> String {
    ins(&mc(i, "svc"), &format!("{}", i.w & 0xff))
}

/// B<c> (16-bit).
pub fn t16_b_cond(i: &Insn) -> String {
    let off = ((i.w & 0xff) << 24) as i32 >> 23;
    ins(
        &format!("b{}.n", COND[bits(i.w, 11, 8) as usize]),
        &format!("0x{:x}", i.pc.wrapping_add(4).wrapping_add(off as u32)),
    )
}

/// B (16-bit).
pub fn t16_b(i: &Insn) -> String {
    let off = ((i.w & 0x7ff) << 21) as i32 >> 20;
    ins(
        &format!("b{}.n", c(i)),
        &format!("0x{:x}", i.pc.wrapping_add(4).wrapping_add(off as u32)),
    )
}

// ---------------------------------------------------------------------------
// 32-bit.

fn rn(w: u32) -> String {
    r(bits(w, 19, 16))
}
fn rt(w: u32) -> String {
    r(bits(w, 15, 12))
}
fn rd(w: u32) -> String {
    r(bits(w, 11, 8))
}
fn rm(w: u32) -> String {
    r(bits(w, 3, 0))
}

/// Undefined encodings in allocated space.
pub fn t32_undefined(i: &Insn) -> String {
    format!(".inst.w\t0x{:08x}", i.w)
}

/// SRSDB, SRSIA.
pub fn t32_srs(i: &Insn) -> String {
    let m = if bit(i.w, 23) { "srsia" } else { "srsdb" };
    ins(
        m,
        &format!(
            "sp{}, #{}",
            if bit(i.w, 21) { "!" } else { "" },
            bits(i.w, 4, 0)
        ),
    )
}

/// RFEDB, RFEIA.
pub fn t32_rfe(i: &Insn) -> String {
    let m = if bit(i.w, 23) { "rfeia" } else { "rfedb" };
    ins(
        &mc(i, m),
        &format!("{}{}", rn(i.w), if bit(i.w, 21) { "!" } else { "" }),
    )
}

/// LDM/STM IA (`.w`) and DB.
pub fn t32_ldm_stm(i: &Insn) -> String {
    let load = bit(i.w, 20);
    let db = bit(i.w, 24);
    let m = match (load, db) {
        (true, false) => "ldmia",
        (false, false) => "stmia",
        (true, true) => "ldmdb",
        (false, true) => "stmdb",
    };
    ins(
        &m32(i, m, false, !db),
        &format!(
            "{}{}, {}",
            rn(i.w),
            if bit(i.w, 21) { "!" } else { "" },
            list(i.w & 0xffff)
        ),
    )
}

/// `[Rn]` or `[Rn, #imm]`.
fn base_offset(n: &str, imm: u32) -> String {
    if imm == 0 {
        format!("[{n}]")
    } else {
        format!("[{n}, #{imm}]")
    }
}

/// STREX.
pub fn t32_strex(i: &Insn) -> String {
    ins(
        &mc(i, "strex"),
        &format!(
            "{}, {}, {}",
            rd(i.w),
            rt(i.w),
            base_offset(&rn(i.w), (i.w & 0xff) << 2)
        ),
    )
}

/// LDREX.
pub fn t32_ldrex(i: &Insn) -> String {
    ins(
        &mc(i, "ldrex"),
        &format!("{}, {}", rt(i.w), base_offset(&rn(i.w), (i.w & 0xff) << 2)),
    )
}

fn exclusive_suffix(w: u32) -> &'static str {
    ["b", "h", "", "d"][bits(w, 5, 4) as usize]
}

/// STREXB, STREXH, STREXD.
pub fn t32_strex_bhd(i: &Insn) -> String {
    let sfx = exclusive_suffix(i.w);
    let t2 = if sfx == "d" {
        format!(", {}", rd(i.w))
    } else {
        String::new()
    };
    ins(
        &mc(i, &format!("strex{sfx}")),
        &format!("{}, {}{t2}, [{}]", rm(i.w), rt(i.w), rn(i.w)),
    )
}

/// LDREXB, LDREXH, LDREXD.
pub fn t32_ldrex_bhd(i: &Insn) -> String {
    let sfx = exclusive_suffix(i.w);
    let t2 = if sfx == "d" {
        format!(", {}", rd(i.w))
    } else {
        String::new()
    };
    ins(
        &mc(i, &format!("ldrex{sfx}")),
        &format!("{}{t2}, [{}]", rt(i.w), rn(i.w)),
    )
}

/// TBB, TBH.
pub fn t32_table_branch(i: &Insn) -> String {
    if bit(i.w, 4) {
        ins(
            &mc(i, "tbh"),
            &format!("[{}, {}, lsl #1]", rn(i.w), rm(i.w)),
        )
    } else {
        ins(&mc(i, "tbb"), &format!("[{}, {}]", rn(i.w), rm(i.w)))
    }
}

/// `[Rn, #+/-imm]{!}` or `[Rn], #+/-imm` by P, U, W (bits 24, 23, 21 of
/// `w` as `p`, `u`, `wb`).
fn indexed(n: &str, p: bool, u: bool, wb: bool, imm: u32) -> String {
    let sign = if u { "" } else { "-" };
    match (p, wb) {
        (true, false) if imm == 0 && u => format!("[{n}]"),
        (true, false) => format!("[{n}, #{sign}{imm}]"),
        (true, true) => format!("[{n}, #{sign}{imm}]!"),
        (false, _) => format!("[{n}], #{sign}{imm}"),
    }
}

/// LDRD, STRD.
pub fn t32_dual(i: &Insn) -> String {
    let m = if bit(i.w, 20) { "ldrd" } else { "strd" };
    ins(
        &mc(i, m),
        &format!(
            "{}, {}, {}",
            rt(i.w),
            rd(i.w),
            indexed(
                &rn(i.w),
                bit(i.w, 24),
                bit(i.w, 23),
                bit(i.w, 21),
                (i.w & 0xff) << 2
            )
        ),
    )
}

/// PKHBT, PKHTB.
pub fn t32_pkh(i: &Insn) -> String {
    let tb = bit(i.w, 5);
    let imm = bits(i.w, 14, 12) << 2 | bits(i.w, 7, 6);
    let shift = match (tb, imm) {
        (false, 0) => String::new(),
        (false, n) => format!(", lsl #{n}"),
        (true, 0) => ", asr #32".into(),
        (true, n) => format!(", asr #{n}"),
    };
    ins(
        &mc(i, if tb { "pkhtb" } else { "pkhbt" }),
        &format!("{}, {}, {}{shift}", rd(i.w), rn(i.w), rm(i.w)),
    )
}

/// The data-processing mnemonic for the T32 operation field, with
/// whether it is a compare (no Rd) or a move (no Rn) and has a 16-bit
/// counterpart (`.w`).
fn dp_name(w: u32) -> Option<(&'static str, bool, bool, bool)> {
    let (s, d, n) = (bit(w, 20), bits(w, 11, 8), bits(w, 19, 16));
    Some(match bits(w, 24, 21) {
        0b0000 if d == 15 && s => ("tst", true, false, true),
        0b0000 => ("and", false, false, true),
        0b0001 => ("bic", false, false, true),
        0b0010 if n == 15 => ("mov", false, true, true),
        0b0010 => ("orr", false, false, true),
        0b0011 if n == 15 => ("mvn", false, true, true),
        0b0011 => ("orn", false, false, false),
        0b0100 if d == 15 && s => ("teq", true, false, false),
        0b0100 => ("eor", false, false, true),
        0b1000 if d == 15 && s => ("cmn", true, false, true),
        0b1000 => ("add", false, false, true),
        0b1010 => ("adc", false, false, true),
        0b1011 => ("sbc", false, false, true),
        0b1101 if d == 15 && s => ("cmp", true, false, true),
        0b1101 => ("sub", false, false, true),
        0b1110 => ("rsb", false, false, false),
        _ => return None,
    })
}

/// A data-processing instruction with its second operand as text.
fn dp(i: &Insn, op2: &str) -> String {
    let Some((name, compare, mov, wide)) = dp_name(i.w) else {
        return t32_undefined(i);
    };
    if compare {
        ins(&m32(i, name, false, wide), &format!("{}, {op2}", rn(i.w)))
    } else if mov {
        ins(&m32(i, name, true, wide), &format!("{}, {op2}", rd(i.w)))
    } else {
        ins(
            &m32(i, name, true, wide),
            &format!("{}, {}, {op2}", rd(i.w), rn(i.w)),
        )
    }
}

/// Data processing (modified immediate).
pub fn t32_dp_modimm(i: &Insn) -> String {
    match super::lift::thumb_expand_imm(i.w) {
        Some((v, _)) => dp(i, &format!("#{v}")),
        None => t32_undefined(i),
    }
}

/// Data processing (shifted register).
pub fn t32_dp_shifted(i: &Insn) -> String {
    let (ty, imm) = (bits(i.w, 5, 4), bits(i.w, 14, 12) << 2 | bits(i.w, 7, 6));
    dp(i, &format!("{}{}", rm(i.w), shift_imm(ty, imm)))
}

/// LSL, LSR, ASR, ROR (register).
pub fn t32_shift_reg(i: &Insn) -> String {
    ins(
        &m32(i, SHIFT[bits(i.w, 22, 21) as usize], true, true),
        &format!("{}, {}, {}", rd(i.w), rn(i.w), rm(i.w)),
    )
}

/// MRC, MCR.
pub fn t32_coproc(i: &Insn) -> String {
    a32::coproc(as_a32(i), i.pc)
}

/// MRRC, MCRR.
pub fn t32_coproc64(i: &Insn) -> String {
    a32::coproc64(as_a32(i), i.pc)
}

/// The encoding with the IT condition in an A32 condition field, for the
/// forms whose fields sit where A32 has them.
fn as_a32(i: &Insn) -> u32 {
    let cond = if i.it & 0xf != 0 { i.it >> 4 } else { 0xe };
    (i.w & 0x0fff_ffff) | cond << 28
}

/// ADDW, SUBW (and ADR, shown so).
pub fn t32_addw_subw(i: &Insn) -> String {
    let imm = bits(i.w, 26, 26) << 11 | bits(i.w, 14, 12) << 8 | (i.w & 0xff);
    let m = if bit(i.w, 23) { "subw" } else { "addw" };
    ins(&mc(i, m), &format!("{}, {}, #{imm}", rd(i.w), rn(i.w)))
}

fn imm16(w: u32) -> u32 {
    bits(w, 19, 16) << 12 | bits(w, 26, 26) << 11 | bits(w, 14, 12) << 8 | (w & 0xff)
}

/// MOVW.
pub fn t32_movw(i: &Insn) -> String {
    ins(&mc(i, "movw"), &format!("{}, #{}", rd(i.w), imm16(i.w)))
}

/// MOVT.
pub fn t32_movt(i: &Insn) -> String {
    ins(&mc(i, "movt"), &format!("{}, #{}", rd(i.w), imm16(i.w)))
}

fn imm5(w: u32) -> u32 {
    bits(w, 14, 12) << 2 | bits(w, 7, 6)
}

/// SSAT, USAT, SSAT16, USAT16.
pub fn t32_saturate(i: &Insn) -> String {
    let u = bit(i.w, 23);
    let signed = u32::from(!u);
    let (asr, imm) = (bit(i.w, 21), imm5(i.w));
    let name = if u { "usat" } else { "ssat" };
    if asr && imm == 0 {
        return ins(
            &mc(i, &format!("{name}16")),
            &format!("{}, #{}, {}", rd(i.w), bits(i.w, 3, 0) + signed, rn(i.w)),
        );
    }
    let shift = match (asr, imm) {
        (false, 0) => String::new(),
        (false, n) => format!(", lsl #{n}"),
        (true, n) => format!(", asr #{n}"),
    };
    ins(
        &mc(i, name),
        &format!(
            "{}, #{}, {}{shift}",
            rd(i.w),
            bits(i.w, 4, 0) + signed,
            rn(i.w)
        ),
    )
}

/// SBFX, UBFX.
pub fn t32_bitfield_extract(i: &Insn) -> String {
    let m = if bit(i.w, 23) { "ubfx" } else { "sbfx" };
    ins(
        &mc(i, m),
        &format!(
            "{}, {}, #{}, #{}",
            rd(i.w),
            rn(i.w),
            imm5(i.w),
            bits(i.w, 4, 0) + 1
        ),
    )
}

/// BFI, BFC.
pub fn t32_bfi(i: &Insn) -> String {
    let (lsb, msb) = (imm5(i.w), bits(i.w, 4, 0));
    let width = (msb + 1).saturating_sub(lsb);
    if bits(i.w, 19, 16) == 15 {
        ins(&mc(i, "bfc"), &format!("{}, #{lsb}, #{width}", rd(i.w)))
    } else {
        ins(
            &mc(i, "bfi"),
            &format!("{}, {}, #{lsb}, #{width}", rd(i.w), rn(i.w)),
        )
    }
}

/// MSR (register), shown as the A32 form.
pub fn t32_msr(i: &Insn) -> String {
    let a =
        0xe120_f000 | u32::from(bit(i.w, 20)) << 22 | bits(i.w, 11, 8) << 16 | bits(i.w, 19, 16);
    a32::msr_reg(a & 0x0fff_ffff | (as_a32(i) & 0xf000_0000), i.pc)
}

/// MRS.
pub fn t32_mrs(i: &Insn) -> String {
    let psr = if bit(i.w, 20) { "SPSR" } else { "CPSR" };
    ins(&mc(i, "mrs"), &format!("{}, {psr}", rd(i.w)))
}

/// The 32-bit hints.
pub fn t32_hint(i: &Insn) -> String {
    match i.w & 0xff {
        0 => mc(i, "nop.w"),
        1 => mc(i, "yield.w"),
        2 => mc(i, "wfe.w"),
        3 => mc(i, "wfi.w"),
        4 => mc(i, "sev.w"),
        n if n >> 4 == 0xf => ins(&mc(i, "dbg"), &format!("#{}", n & 15)),
        n => ins(&mc(i, "hint.w"), &format!("#{n}")),
    }
}

/// CPS, CPSIE.W, CPSID.W.
pub fn t32_cps(i: &Insn) -> String {
    let (imod, m, mode) = (bits(i.w, 10, 9), bit(i.w, 8), bits(i.w, 4, 0));
    let flags = iflags(bits(i.w, 7, 5));
    match imod {
        0 | 1 => ins("cps", &format!("#{mode}")),
        _ => {
            let effect = if imod == 2 { "cpsie.w" } else { "cpsid.w" };
            if m {
                ins(effect, &format!("{flags}, #{mode}"))
            } else {
                ins(effect, &flags)
            }
        }
    }
}

/// CLREX.
pub fn t32_clrex(i: &Insn) -> String {
    mc(i, "clrex")
}

/// DSB, DMB, ISB.
pub fn t32_barrier(i: &Insn) -> String {
    a32::barrier(i.w, i.pc)
}

/// BXJ.
pub fn t32_bxj(i: &Insn) -> String {
    ins(&mc(i, "bxj"), &rn(i.w))
}

/// SUBS PC, LR, #imm8.
pub fn t32_subs_pc_lr(i: &Insn) -> String {
    ins(&mc(i, "subs"), &format!("pc, lr, #{}", i.w & 0xff))
}

/// HVC.
pub fn t32_hvc(i: &Insn) -> String {
    ins(
        "hvc",
        &format!("#{}", bits(i.w, 19, 16) << 12 | (i.w & 0xfff)),
    )
}

/// UDF.W.
pub fn t32_udf(i: &Insn) -> String {
    ins(
        "udf.w",
        &format!("#{}", bits(i.w, 19, 16) << 12 | (i.w & 0xfff)),
    )
}

/// B<c>.W.
pub fn t32_b_cond(i: &Insn) -> String {
    let w = i.w;
    let imm = bits(w, 26, 26) << 20
        | bits(w, 11, 11) << 19
        | bits(w, 13, 13) << 18
        | bits(w, 21, 16) << 12
        | bits(w, 10, 0) << 1;
    let off = ((imm << 11) as i32 >> 11) as u32;
    ins(
        &format!("b{}.w", COND[bits(w, 25, 22) as usize]),
        &format!("0x{:x}", i.pc.wrapping_add(4).wrapping_add(off)),
    )
}

fn long_offset(w: u32) -> u32 {
    let s = bits(w, 26, 26);
    let i1 = !(bits(w, 13, 13) ^ s) & 1;
    let i2 = !(bits(w, 11, 11) ^ s) & 1;
    let imm = s << 24 | i1 << 23 | i2 << 22 | bits(w, 25, 16) << 12 | bits(w, 10, 0) << 1;
    ((imm << 7) as i32 >> 7) as u32
}

/// B.W.
pub fn t32_b(i: &Insn) -> String {
    ins(
        &format!("b{}.w", c(i)),
        &format!(
            "0x{:x}",
            i.pc.wrapping_add(4).wrapping_add(long_offset(i.w))
        ),
    )
}

/// BL, BLX (immediate).
pub fn t32_bl(i: &Insn) -> String {
    let base = i.pc.wrapping_add(4);
    if bit(i.w, 12) {
        ins(
            &mc(i, "bl"),
            &format!("0x{:x}", base.wrapping_add(long_offset(i.w))),
        )
    } else {
        ins(
            &mc(i, "blx"),
            &format!("0x{:x}", (base & !3).wrapping_add(long_offset(i.w))),
        )
    }
}

/// The single loads and stores, and the preload hints.
pub fn t32_load_store(i: &Insn) -> String {
    let w = i.w;
    let (signed, load) = (bit(w, 24), bit(w, 20));
    let size = bits(w, 22, 21);
    let (t, n) = (bits(w, 15, 12), bits(w, 19, 16));
    let long = bit(w, 23) || n == 15;
    let (p, u, wb, user) = if long {
        (true, n != 15 || bit(w, 23), false, false)
    } else if bit(w, 11) {
        let (p, u, wb) = (bit(w, 10), bit(w, 9), bit(w, 8));
        (p, u, wb, p && u && !wb)
    } else {
        (true, true, false, false)
    };
    let addr = if long {
        let imm = w & 0xfff;
        if n == 15 {
            format!("[pc, #{}{imm}]", if u { "" } else { "-" })
        } else {
            indexed(&rn(w), true, true, false, imm)
        }
    } else if bit(w, 11) {
        indexed(&rn(w), p, u || user, wb, w & 0xff)
    } else {
        let sh = bits(w, 5, 4);
        if sh == 0 {
            format!("[{}, {}]", rn(w), rm(w))
        } else {
            format!("[{}, {}, lsl #{sh}]", rn(w), rm(w))
        }
    };
    if t == 15 && load && size < 2 {
        let name = match (signed, size) {
            (false, 0) => "pld",
            (false, _) => "pldw",
            (true, _) => "pli",
        };
        return ins(&mc(i, name), &addr);
    }
    let sz = ["b", "h", "", ""][size as usize];
    let name = format!(
        "{}{}{sz}{}",
        if load { "ldr" } else { "str" },
        if signed { "s" } else { "" },
        if user { "t" } else { "" }
    );
    ins(&m32(i, &name, false, !user), &format!("{}, {addr}", r(t)))
}

/// {S,U}XTA{H,B16,B} and the plain extensions.
pub fn t32_extend(i: &Insn) -> String {
    let w = i.w;
    let u = if bit(w, 20) { "u" } else { "s" };
    let kind = ["h", "b16", "b", "?"][bits(w, 22, 21) as usize];
    let rot = bits(w, 5, 4);
    let rot = if rot == 0 {
        String::new()
    } else {
        format!(", ror #{}", 8 * rot)
    };
    if bits(w, 19, 16) == 15 {
        let wide = kind != "b16";
        ins(
            &m32(i, &format!("{u}xt{kind}"), false, wide),
            &format!("{}, {}{rot}", rd(w), rm(w)),
        )
    } else {
        ins(
            &mc(i, &format!("{u}xta{kind}")),
            &format!("{}, {}, {}{rot}", rd(w), rn(w), rm(w)),
        )
    }
}

/// The parallel add/subtract family.
pub fn t32_parallel(i: &Insn) -> String {
    let w = i.w;
    let op = match bits(w, 22, 20) {
        0b001 => "add16",
        0b010 => "asx",
        0b110 => "sax",
        0b101 => "sub16",
        0b000 => "add8",
        0b100 => "sub8",
        _ => return t32_undefined(i),
    };
    let prefix = match (bit(w, 6), bits(w, 5, 4)) {
        (false, 0) => "s",
        (false, 1) => "q",
        (false, 2) => "sh",
        (true, 0) => "u",
        (true, 1) => "uq",
        (true, 2) => "uh",
        _ => return t32_undefined(i),
    };
    ins(
        &mc(i, &format!("{prefix}{op}")),
        &format!("{}, {}, {}", rd(w), rn(w), rm(w)),
    )
}

/// QADD, QDADD, QSUB, QDSUB.
pub fn t32_qaddsub(i: &Insn) -> String {
    let m = ["qadd", "qdadd", "qsub", "qdsub"][bits(i.w, 5, 4) as usize];
    ins(&mc(i, m), &format!("{}, {}, {}", rd(i.w), rm(i.w), rn(i.w)))
}

/// REV.W, REV16.W, RBIT, REVSH.W.
pub fn t32_reverse(i: &Insn) -> String {
    let (m, wide) = [
        ("rev", true),
        ("rev16", true),
        ("rbit", false),
        ("revsh", true),
    ][bits(i.w, 5, 4) as usize];
    ins(
        &m32(i, m, false, wide),
        &format!("{}, {}", rd(i.w), rm(i.w)),
    )
}

/// SEL.
pub fn t32_sel(i: &Insn) -> String {
    ins(
        &mc(i, "sel"),
        &format!("{}, {}, {}", rd(i.w), rn(i.w), rm(i.w)),
    )
}

/// CLZ.
pub fn t32_clz(i: &Insn) -> String {
    ins(&mc(i, "clz"), &format!("{}, {}", rd(i.w), rm(i.w)))
}

/// `Rd, Rn, Rm` and `, Ra` unless Ra is the PC.
fn mul_operands(w: u32, acc_optional: bool) -> (String, bool) {
    let a = bits(w, 15, 12);
    let base = format!("{}, {}, {}", rd(w), rn(w), rm(w));
    if acc_optional && a == 15 {
        (base, false)
    } else {
        (format!("{base}, {}", r(a)), true)
    }
}

/// MUL, MLA, MLS.
pub fn t32_mla(i: &Insn) -> String {
    let (ops, acc) = mul_operands(i.w, !bit(i.w, 4));
    let m = match (bit(i.w, 4), acc) {
        (true, _) => mc(i, "mls"),
        (false, true) => mc(i, "mla"),
        (false, false) => m32(i, "mul", false, true),
    };
    ins(&m, &ops)
}

fn xy(w: u32) -> String {
    let x = if bit(w, 5) { "t" } else { "b" };
    let y = if bit(w, 4) { "t" } else { "b" };
    format!("{x}{y}")
}

/// SMLA<x><y>, SMUL<x><y>.
pub fn t32_smla_xy(i: &Insn) -> String {
    let (ops, acc) = mul_operands(i.w, true);
    let m = if acc { "smla" } else { "smul" };
    ins(&mc(i, &format!("{m}{}", xy(i.w))), &ops)
}

/// SMLAD, SMLSD, SMUAD, SMUSD.
pub fn t32_smlad(i: &Insn) -> String {
    let (ops, acc) = mul_operands(i.w, true);
    let sub = bit(i.w, 22);
    let m = match (acc, sub) {
        (true, false) => "smlad",
        (true, true) => "smlsd",
        (false, false) => "smuad",
        (false, true) => "smusd",
    };
    let x = if bit(i.w, 4) { "x" } else { "" };
    ins(&mc(i, &format!("{m}{x}")), &ops)
}

/// SMLAW<y>, SMULW<y>.
pub fn t32_smlaw_y(i: &Insn) -> String {
    let (ops, acc) = mul_operands(i.w, true);
    let m = if acc { "smlaw" } else { "smulw" };
    let y = if bit(i.w, 4) { "t" } else { "b" };
    ins(&mc(i, &format!("{m}{y}")), &ops)
}

/// SMMLA, SMMUL, SMMLS.
pub fn t32_smmla(i: &Insn) -> String {
    let sub = bit(i.w, 21);
    let (ops, acc) = mul_operands(i.w, !sub);
    let m = match (sub, acc) {
        (true, _) => "smmls",
        (false, true) => "smmla",
        (false, false) => "smmul",
    };
    let rr = if bit(i.w, 4) { "r" } else { "" };
    ins(&mc(i, &format!("{m}{rr}")), &ops)
}

/// USAD8, USADA8.
pub fn t32_usada8(i: &Insn) -> String {
    let (ops, acc) = mul_operands(i.w, true);
    ins(&mc(i, if acc { "usada8" } else { "usad8" }), &ops)
}

/// `RdLo, RdHi, Rn, Rm`.
fn long_operands(w: u32) -> String {
    format!("{}, {}, {}, {}", rt(w), rd(w), rn(w), rm(w))
}

/// SMULL, UMULL, SMLAL, UMLAL, UMAAL.
pub fn t32_mull(i: &Insn) -> String {
    let m = match bits(i.w, 22, 20) {
        0b000 => "smull",
        0b010 => "umull",
        0b100 => "smlal",
        0b110 if bits(i.w, 7, 4) == 0b0110 => "umaal",
        _ => "umlal",
    };
    ins(&mc(i, m), &long_operands(i.w))
}

/// SDIV, UDIV.
pub fn t32_divide(i: &Insn) -> String {
    let m = if bit(i.w, 21) { "udiv" } else { "sdiv" };
    ins(&mc(i, m), &format!("{}, {}, {}", rd(i.w), rn(i.w), rm(i.w)))
}

/// SMLAL<x><y>.
pub fn t32_smlal_xy(i: &Insn) -> String {
    ins(&mc(i, &format!("smlal{}", xy(i.w))), &long_operands(i.w))
}

/// SMLALD, SMLSLD.
pub fn t32_smlald(i: &Insn) -> String {
    let m = if bit(i.w, 20) { "smlsld" } else { "smlald" };
    let x = if bit(i.w, 4) { "x" } else { "" };
    ins(&mc(i, &format!("{m}{x}")), &long_operands(i.w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d16(w: u32) -> String {
        disassemble_at(w, 2, 0x1000, 0).replace('\t', " ")
    }

    fn d32(w: u32) -> String {
        disassemble_at(w, 4, 0x1000, 0).replace('\t', " ")
    }

    #[test]
    fn a_few_forms_read_as_objdump_prints_them() {
        assert_eq!(d16(0x0088), "lsls r0, r1, #2");
        assert_eq!(d16(0x0008), "movs r0, r1");
        assert_eq!(d16(0x4348), "muls r0, r1");
        assert_eq!(d16(0xbf1a), "itte ne");
        assert_eq!(
            disassemble_at(0x1840, 2, 0, 0x1a).replace('\t', " "),
            "addne r0, r0, r1"
        );
        assert_eq!(d32(0xf001_20ff), "and.w r0, r1, #4278255360");
        assert_eq!(d32(0xea4f_00c1), "mov.w r0, r1, lsl #3");
        assert_eq!(d32(0xf851_0b04), "ldr.w r0, [r1], #4");
        assert_eq!(
            d32(0xe92d_4ff0),
            "stmdb sp!, {r4, r5, r6, r7, r8, r9, r10, r11, lr}"
        );
        assert_eq!(d32(0xfb01_f002), "mul.w r0, r1, r2");
    }
}
