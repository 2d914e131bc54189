//! VFP disassembly in GNU objdump's text, for both instruction sets: the
//! formatters see a T32-style [`Insn`] whose condition is the IT block's
//! or, for A32, the instruction's own (see [`a32_insn`]).

use super::disasm_t32::Insn;

const COND: [&str; 16] = [
    "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "", "",
];

/// The A32 instruction `w` at `pc` as a formatter sees it: its condition
/// as a one-instruction IT block.
pub fn a32_insn(w: u32, pc: u32) -> Insn {
    let cond = w >> 28;
    let it = if cond < 0xe { cond << 4 | 8 } else { 0 };
    Insn { w, pc, it }
}

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}
fn bit(w: u32, n: u32) -> bool {
    w >> n & 1 != 0
}
fn c(i: &Insn) -> &'static str {
    if i.it & 0xf != 0 {
        COND[(i.it >> 4) as usize]
    } else {
        ""
    }
}
use super::disasm::r;
fn ins(mnemonic: &str, operands: &str) -> String {
    format!("{mnemonic}\t{operands}")
}

/// An extension register by its field and extra bit.
fn reg(double: bool, v: u32, x: bool) -> String {
    if double {
        format!("d{}", u32::from(x) << 4 | v)
    } else {
        format!("s{}", v << 1 | u32::from(x))
    }
}
fn vd(w: u32, double: bool) -> String {
    reg(double, bits(w, 15, 12), bit(w, 22))
}
fn vn(w: u32, double: bool) -> String {
    reg(double, bits(w, 19, 16), bit(w, 7))
}
fn vm(w: u32, double: bool) -> String {
    reg(double, bits(w, 3, 0), bit(w, 5))
}
fn f(w: u32) -> &'static str {
    if bit(w, 8) {
        "f64"
    } else {
        "f32"
    }
}

/// `<name><c>.F<sz> d, n, m`.
fn three(i: &Insn, name: &str) -> String {
    let d = bit(i.w, 8);
    ins(
        &format!("{name}{}.{}", c(i), f(i.w)),
        &format!("{}, {}, {}", vd(i.w, d), vn(i.w, d), vm(i.w, d)),
    )
}

/// VMLA, VMLS, VNMLA, VNMLS.
pub fn vfp_mla(i: &Insn) -> String {
    let name = match (bit(i.w, 20), bit(i.w, 6)) {
        (false, false) => "vmla",
        (false, true) => "vmls",
        (true, true) => "vnmla",
        (true, false) => "vnmls",
    };
    three(i, name)
}

/// VMUL, VNMUL.
pub fn vfp_mul(i: &Insn) -> String {
    three(i, if bit(i.w, 6) { "vnmul" } else { "vmul" })
}

/// VADD, VSUB.
pub fn vfp_add_sub(i: &Insn) -> String {
    three(i, if bit(i.w, 6) { "vsub" } else { "vadd" })
}

/// VDIV.
pub fn vfp_div(i: &Insn) -> String {
    three(i, "vdiv")
}

/// VFMA, VFMS, VFNMA, VFNMS.
pub fn vfp_fma(i: &Insn) -> String {
    let name = match (bits(i.w, 21, 20) == 1, bit(i.w, 6)) {
        (false, false) => "vfma",
        (false, true) => "vfms",
        (true, true) => "vfnma",
        (true, false) => "vfnms",
    };
    three(i, name)
}

/// VMOV (immediate): the 8-bit immediate as objdump prints it.
pub fn vfp_mov_imm(i: &Insn) -> String {
    let d = bit(i.w, 8);
    let imm8 = bits(i.w, 19, 16) << 4 | bits(i.w, 3, 0);
    ins(
        &format!("vmov{}.{}", c(i), f(i.w)),
        &format!("{}, #{imm8}", vd(i.w, d)),
    )
}

/// VMOV (register), VABS, VNEG, VSQRT.
pub fn vfp_unary(i: &Insn) -> String {
    let name = match (bits(i.w, 19, 16), bit(i.w, 7)) {
        (0, false) => "vmov",
        (0, true) => "vabs",
        (_, false) => "vneg",
        (_, true) => "vsqrt",
    };
    let d = bit(i.w, 8);
    ins(
        &format!("{name}{}.{}", c(i), f(i.w)),
        &format!("{}, {}", vd(i.w, d), vm(i.w, d)),
    )
}

/// VCVTB, VCVTT.
pub fn vfp_cvt_half(i: &Insn) -> String {
    let bt = if bit(i.w, 7) { "t" } else { "b" };
    let types = if bit(i.w, 16) { "f16.f32" } else { "f32.f16" };
    ins(
        &format!("vcvt{bt}{}.{types}", c(i)),
        &format!("{}, {}", vd(i.w, false), vm(i.w, false)),
    )
}

/// VCMP, VCMPE.
pub fn vfp_cmp(i: &Insn) -> String {
    let d = bit(i.w, 8);
    let e = if bit(i.w, 7) { "e" } else { "" };
    let m = if bit(i.w, 16) {
        "#0.0".to_string()
    } else {
        vm(i.w, d)
    };
    ins(
        &format!("vcmp{e}{}.{}", c(i), f(i.w)),
        &format!("{}, {m}", vd(i.w, d)),
    )
}

/// VCVT between double and single.
pub fn vfp_cvt_fd(i: &Insn) -> String {
    let from_double = bit(i.w, 8);
    let types = if from_double { "f32.f64" } else { "f64.f32" };
    ins(
        &format!("vcvt{}.{types}", c(i)),
        &format!("{}, {}", vd(i.w, !from_double), vm(i.w, from_double)),
    )
}

/// VCVT, VCVTR between floating point and 32-bit integers.
pub fn vfp_cvt_int(i: &Insn) -> String {
    let d = bit(i.w, 8);
    if bit(i.w, 18) {
        let sign = if bit(i.w, 16) { "s32" } else { "u32" };
        let rr = if bit(i.w, 7) { "" } else { "r" };
        ins(
            &format!("vcvt{rr}{}.{sign}.{}", c(i), f(i.w)),
            &format!("{}, {}", vd(i.w, false), vm(i.w, d)),
        )
    } else {
        let sign = if bit(i.w, 7) { "s32" } else { "u32" };
        ins(
            &format!("vcvt{}.{}.{sign}", c(i), f(i.w)),
            &format!("{}, {}", vd(i.w, d), vm(i.w, false)),
        )
    }
}

/// VCVT between floating point and fixed point.
pub fn vfp_cvt_fixed(i: &Insn) -> String {
    let d = bit(i.w, 8);
    let size = if bit(i.w, 7) { 32 } else { 16 };
    let imm = bits(i.w, 3, 0) << 1 | u32::from(bit(i.w, 5));
    let fbits = size - imm.min(size);
    let dt = format!("{}{size}", if bit(i.w, 16) { "u" } else { "s" });
    let types = if bit(i.w, 18) {
        format!("{dt}.{}", f(i.w))
    } else {
        format!("{}.{dt}", f(i.w))
    };
    let dd = vd(i.w, d);
    ins(
        &format!("vcvt{}.{types}", c(i)),
        &format!("{dd}, {dd}, #{fbits}"),
    )
}

/// VMOV between a core register and a single register.
pub fn vfp_mov_core_single(i: &Insn) -> String {
    let s = vn(i.w, false);
    let t = r(bits(i.w, 15, 12));
    let ops = if bit(i.w, 20) {
        format!("{t}, {s}")
    } else {
        format!("{s}, {t}")
    };
    ins(&format!("vmov{}", c(i)), &ops)
}

fn spec_reg(n: u32) -> String {
    match n {
        0 => "fpsid".into(),
        1 => "fpscr".into(),
        6 => "mvfr1".into(),
        7 => "mvfr0".into(),
        8 => "fpexc".into(),
        n => format!("<impl def {n:#x}>"),
    }
}

/// VMSR.
pub fn vfp_vmsr(i: &Insn) -> String {
    ins(
        &format!("vmsr{}", c(i)),
        &format!("{}, {}", spec_reg(bits(i.w, 19, 16)), r(bits(i.w, 15, 12))),
    )
}

/// VMRS.
pub fn vfp_vmrs(i: &Insn) -> String {
    let t = bits(i.w, 15, 12);
    let dst = if t == 15 {
        "APSR_nzcv".to_string()
    } else {
        r(t)
    };
    ins(
        &format!("vmrs{}", c(i)),
        &format!("{dst}, {}", spec_reg(bits(i.w, 19, 16))),
    )
}

/// VMOV between two core registers and two singles or a double.
pub fn vfp_mov_core_pair(i: &Insn) -> String {
    let (t, t2) = (r(bits(i.w, 15, 12)), r(bits(i.w, 19, 16)));
    let regs = if bits(i.w, 11, 8) == 0b1011 {
        vm(i.w, true)
    } else {
        let m = bits(i.w, 3, 0) << 1 | u32::from(bit(i.w, 5));
        format!("s{m}, s{}", m + 1)
    };
    let ops = if bit(i.w, 20) {
        format!("{t}, {t2}, {regs}")
    } else {
        format!("{regs}, {t}, {t2}")
    };
    ins(&format!("vmov{}", c(i)), &ops)
}

/// VLDR, VSTR.
pub fn vfp_ldr_str(i: &Insn) -> String {
    let d = bit(i.w, 8);
    let name = if bit(i.w, 20) { "vldr" } else { "vstr" };
    let imm = (i.w & 0xff) << 2;
    let sign = if bit(i.w, 23) { "" } else { "-" };
    let addr = if imm == 0 && bit(i.w, 23) {
        format!("[{}]", r(bits(i.w, 19, 16)))
    } else {
        format!("[{}, #{sign}{imm}]", r(bits(i.w, 19, 16)))
    };
    ins(
        &format!("{name}{}", c(i)),
        &format!("{}, {addr}", vd(i.w, d)),
    )
}

/// VLDM, VSTM, VPUSH, VPOP.
pub fn vfp_ldm_stm(i: &Insn) -> String {
    let w = i.w;
    let d = bit(w, 8);
    let (load, u, wb) = (bit(w, 20), bit(w, 23), bit(w, 21));
    let imm8 = w & 0xff;
    let count = if d { imm8 / 2 } else { imm8 };
    let (prefix, first) = if d {
        ("d", u32::from(bit(w, 22)) << 4 | bits(w, 15, 12))
    } else {
        ("s", bits(w, 15, 12) << 1 | u32::from(bit(w, 22)))
    };
    let list = if count <= 1 {
        format!("{{{prefix}{first}}}")
    } else {
        format!("{{{prefix}{first}-{prefix}{}}}", first + count - 1)
    };
    let n = bits(w, 19, 16);
    if n == 13 && wb && ((load && u) || (!load && !u)) {
        let name = if load { "vpop" } else { "vpush" };
        return ins(&format!("{name}{}", c(i)), &list);
    }
    let name = format!(
        "{}{}{}",
        if load { "vldm" } else { "vstm" },
        if u { "ia" } else { "db" },
        c(i)
    );
    ins(
        &name,
        &format!("{}{}, {list}", r(n), if wb { "!" } else { "" }),
    )
}
