//! Advanced SIMD disassembly in GNU objdump's text, for both instruction
//! sets (the formatters convert a T32 encoding to A32 form first).

use super::decode_neon::to_a32;
use super::disasm_t32::Insn;
use super::neon::{
    dup_scalar_fields, expand_imm, multiple_layout, scalar_operand, shift_imm_fields, Ops,
};

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}
fn bit(w: u32, n: u32) -> bool {
    w >> n & 1 != 0
}
fn ins(mnemonic: &str, operands: &str) -> String {
    format!("{mnemonic}\t{operands}")
}
use super::disasm::r;

/// D register `d`, or the Q register it starts when `q`.
fn reg(d: usize, q: bool) -> String {
    if q {
        format!("q{}", d / 2)
    } else {
        format!("d{d}")
    }
}

fn su(u: bool) -> &'static str {
    if u {
        "u"
    } else {
        "s"
    }
}

/// Three registers of the same length.
pub fn neon_three_same(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let (a, b, u, c1) = (bits(w, 11, 8), bit(w, 4), o.u, bit(w, 21));
    let es = o.esize();
    let s = su(u);
    let int = |name: &str, dt: String| (format!("{name}.{dt}"), false);
    let (m, swap) = match (a, b) {
        (0b0000, false) => int("vhadd", format!("{s}{es}")),
        (0b0000, true) => int("vqadd", format!("{s}{es}")),
        (0b0001, false) => int("vrhadd", format!("{s}{es}")),
        (0b0001, true) => {
            let name = match (u, o.size) {
                (false, 0) => "vand",
                (false, 1) => "vbic",
                (false, 2) => "vorr",
                (false, _) => "vorn",
                (true, 0) => "veor",
                (true, 1) => "vbsl",
                (true, 2) => "vbit",
                (true, _) => "vbif",
            };
            (name.to_string(), false)
        }
        (0b0010, false) => int("vhsub", format!("{s}{es}")),
        (0b0010, true) => int("vqsub", format!("{s}{es}")),
        (0b0011, false) => int("vcgt", format!("{s}{es}")),
        (0b0011, true) => int("vcge", format!("{s}{es}")),
        (0b0100, false) => (format!("vshl.{s}{es}"), true),
        (0b0100, true) => (format!("vqshl.{s}{es}"), true),
        (0b0101, false) => (format!("vrshl.{s}{es}"), true),
        (0b0101, true) => (format!("vqrshl.{s}{es}"), true),
        (0b0110, false) => int("vmax", format!("{s}{es}")),
        (0b0110, true) => int("vmin", format!("{s}{es}")),
        (0b0111, false) => int("vabd", format!("{s}{es}")),
        (0b0111, true) => int("vaba", format!("{s}{es}")),
        (0b1000, false) => int(if u { "vsub" } else { "vadd" }, format!("i{es}")),
        (0b1000, true) if u => int("vceq", format!("i{es}")),
        (0b1000, true) => int("vtst", format!("{es}")),
        (0b1001, false) => int(if u { "vmls" } else { "vmla" }, format!("i{es}")),
        (0b1001, true) if u => int("vmul", format!("p{es}")),
        (0b1001, true) => int("vmul", format!("i{es}")),
        (0b1010, false) => int("vpmax", format!("{s}{es}")),
        (0b1010, true) => int("vpmin", format!("{s}{es}")),
        (0b1011, false) => int(if u { "vqrdmulh" } else { "vqdmulh" }, format!("s{es}")),
        (0b1011, true) => int("vpadd", format!("i{es}")),
        _ => {
            let name = match (a, b, u) {
                (0b1100, true, _) => {
                    if c1 {
                        "vfms"
                    } else {
                        "vfma"
                    }
                }
                (0b1101, false, false) => {
                    if c1 {
                        "vsub"
                    } else {
                        "vadd"
                    }
                }
                (0b1101, false, true) => {
                    if c1 {
                        "vabd"
                    } else {
                        "vpadd"
                    }
                }
                (0b1101, true, false) => {
                    if c1 {
                        "vmls"
                    } else {
                        "vmla"
                    }
                }
                (0b1101, true, true) => "vmul",
                (0b1110, false, false) => "vceq",
                (0b1110, false, true) => {
                    if c1 {
                        "vcgt"
                    } else {
                        "vcge"
                    }
                }
                (0b1110, true, _) => {
                    if c1 {
                        "vacgt"
                    } else {
                        "vacge"
                    }
                }
                (0b1111, false, false) => {
                    if c1 {
                        "vmin"
                    } else {
                        "vmax"
                    }
                }
                (0b1111, false, true) => {
                    if c1 {
                        "vpmin"
                    } else {
                        "vpmax"
                    }
                }
                _ => {
                    if c1 {
                        "vrsqrts"
                    } else {
                        "vrecps"
                    }
                }
            };
            (format!("{name}.f32"), false)
        }
    };
    let (x, y) = if swap { (o.m, o.n) } else { (o.n, o.m) };
    ins(
        &m,
        &format!("{}, {}, {}", reg(o.d, o.q), reg(x, o.q), reg(y, o.q)),
    )
}

/// One register and a modified immediate.
pub fn neon_mod_imm(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let cmode = bits(w, 11, 8);
    let op = bit(w, 5);
    let imm8 = u32::from(bit(w, 24)) << 7 | bits(w, 18, 16) << 4 | bits(w, 3, 0);
    let v = expand_imm(op, cmode, imm8);
    let name = match (cmode, op) {
        (c, false) if c & 1 == 1 && c < 0b1100 => "vorr",
        (c, true) if c & 1 == 1 && c < 0b1100 => "vbic",
        (0b1110, true) | (0b1111, false) => "vmov",
        (_, true) => "vmvn",
        _ => "vmov",
    };
    let d = reg(o.d, o.q);
    let text = match cmode {
        0b1110 if op => format!("{name}.i64\t{d}, #0x{v:016x}"),
        0b1110 => format!("{name}.i8\t{d}, #{}\t@ 0x{:02x}", v & 0xff, v & 0xff),
        0b1111 => {
            let f = f32::from_bits(v as u32);
            format!("{name}.f32\t{d}, #{f}\t@ 0x{:08x}", v as u32)
        }
        0b1000..=0b1011 => {
            let e = v & 0xffff;
            format!("{name}.i16\t{d}, #{e}\t@ 0x{e:04x}")
        }
        _ => {
            let e = v as u32;
            format!("{name}.i32\t{d}, #{}\t@ 0x{e:08x}", e as i32)
        }
    };
    text
}

/// Two registers and a shift amount.
pub fn neon_shift_imm(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let u = o.u;
    let s = su(u);
    let (es, right, left) = shift_imm_fields(w);
    let (d, m) = (reg(o.d, o.q), reg(o.m, o.q));
    let imm = |v: u32| {
        if v > 32 && v < 64 {
            format!("#{v}\t@ 0x{v:x}")
        } else {
            format!("#{v}")
        }
    };
    match a {
        0b0000..=0b0011 => {
            let name = ["vshr", "vsra", "vrshr", "vrsra"][a as usize];
            ins(
                &format!("{name}.{s}{es}"),
                &format!("{d}, {m}, {}", imm(right)),
            )
        }
        0b0100 => ins(&format!("vsri.{es}"), &format!("{d}, {m}, {}", imm(right))),
        0b0101 if u => ins(&format!("vsli.{es}"), &format!("{d}, {m}, {}", imm(left))),
        // (GNU prints VSHL.I<size> by immediate as .s<size>.)
        0b0101 => ins(&format!("vshl.s{es}"), &format!("{d}, {m}, {}", imm(left))),
        0b0110 | 0b0111 => {
            let name = if bit(w, 8) {
                format!("vqshl.{s}{es}")
            } else {
                format!("vqshlu.s{es}")
            };
            ins(&name, &format!("{d}, {m}, {}", imm(left)))
        }
        0b1000 | 0b1001 => {
            let round = bit(w, 6);
            let name = match (a, u) {
                (0b1000, false) => (if round { "vrshrn" } else { "vshrn" }, "i"),
                (0b1000, true) => (if round { "vqrshrun" } else { "vqshrun" }, "s"),
                (_, false) => (if round { "vqrshrn" } else { "vqshrn" }, "s"),
                (_, true) => (if round { "vqrshrn" } else { "vqshrn" }, "u"),
            };
            ins(
                &format!("{}.{}{}", name.0, name.1, 2 * es),
                &format!("{}, {}, {}", reg(o.d, false), reg(o.m, true), imm(right)),
            )
        }
        0b1010 => {
            let (dq, dm) = (reg(o.d, true), reg(o.m, false));
            if left == 0 {
                ins(&format!("vmovl.{s}{es}"), &format!("{dq}, {dm}"))
            } else {
                ins(
                    &format!("vshll.{s}{es}"),
                    &format!("{dq}, {dm}, {}", imm(left)),
                )
            }
        }
        _ => {
            let fbits = 64 - bits(w, 21, 16);
            let dt = if bit(w, 8) {
                format!("{s}32.f32")
            } else {
                format!("f32.{s}32")
            };
            ins(&format!("vcvt.{dt}"), &format!("{d}, {m}, #{fbits}"))
        }
    }
}

/// Three registers of different lengths.
pub fn neon_three_diff(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let es = o.esize();
    let s = su(o.u);
    let (name, dt, dq, nq, mq) = match a {
        0b0000 => ("vaddl", format!("{s}{es}"), true, false, false),
        0b0001 => ("vaddw", format!("{s}{es}"), true, true, false),
        0b0010 => ("vsubl", format!("{s}{es}"), true, false, false),
        0b0011 => ("vsubw", format!("{s}{es}"), true, true, false),
        0b0100 => (
            if o.u { "vraddhn" } else { "vaddhn" },
            format!("i{}", 2 * es),
            false,
            true,
            true,
        ),
        0b0101 => ("vabal", format!("{s}{es}"), true, false, false),
        0b0110 => (
            if o.u { "vrsubhn" } else { "vsubhn" },
            format!("i{}", 2 * es),
            false,
            true,
            true,
        ),
        0b0111 => ("vabdl", format!("{s}{es}"), true, false, false),
        0b1000 => ("vmlal", format!("{s}{es}"), true, false, false),
        0b1001 => ("vqdmlal", format!("s{es}"), true, false, false),
        0b1010 => ("vmlsl", format!("{s}{es}"), true, false, false),
        0b1011 => ("vqdmlsl", format!("s{es}"), true, false, false),
        0b1100 => ("vmull", format!("{s}{es}"), true, false, false),
        0b1101 => ("vqdmull", format!("s{es}"), true, false, false),
        _ => ("vmull", format!("p{es}"), true, false, false),
    };
    ins(
        &format!("{name}.{dt}"),
        &format!("{}, {}, {}", reg(o.d, dq), reg(o.n, nq), reg(o.m, mq)),
    )
}

/// Two registers and a scalar.
pub fn neon_scalar(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let es = o.esize();
    let (dm, idx) = scalar_operand(w, o.size);
    let sc = format!("d{dm}[{idx}]");
    let s = su(o.u);
    let float = bit(w, 8) && a < 0b1100 && a & 1 == 1;
    let (name, dt, long) = match a {
        0b0000 | 0b0001 => (
            "vmla",
            if float {
                "f32".into()
            } else {
                format!("i{es}")
            },
            false,
        ),
        0b0100 | 0b0101 => (
            "vmls",
            if float {
                "f32".into()
            } else {
                format!("i{es}")
            },
            false,
        ),
        0b1000 | 0b1001 => (
            "vmul",
            if float {
                "f32".into()
            } else {
                format!("i{es}")
            },
            false,
        ),
        0b0010 => ("vmlal", format!("{s}{es}"), true),
        0b0110 => ("vmlsl", format!("{s}{es}"), true),
        0b1010 => ("vmull", format!("{s}{es}"), true),
        0b0011 => ("vqdmlal", format!("s{es}"), true),
        0b0111 => ("vqdmlsl", format!("s{es}"), true),
        0b1011 => ("vqdmull", format!("s{es}"), true),
        0b1100 => ("vqdmulh", format!("s{es}"), false),
        _ => ("vqrdmulh", format!("s{es}"), false),
    };
    let q = o.u;
    let (d, n) = if long {
        (reg(o.d, true), reg(o.n, false))
    } else {
        (reg(o.d, q), reg(o.n, q))
    };
    ins(&format!("{name}.{dt}"), &format!("{d}, {n}, {sc}"))
}

/// VEXT.
pub fn neon_ext(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    ins(
        "vext.8",
        &format!(
            "{}, {}, {}, #{}",
            reg(o.d, o.q),
            reg(o.n, o.q),
            reg(o.m, o.q),
            bits(w, 11, 8)
        ),
    )
}

/// Two registers, miscellaneous.
pub fn neon_misc(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let size = bits(w, 19, 18);
    let es = 8 << size;
    let a = bits(w, 17, 16);
    let b = bits(w, 10, 7);
    let (d, m) = (reg(o.d, o.q), reg(o.m, o.q));
    let s = su(bit(w, 7));
    let two = |name: String| ins(&name, &format!("{d}, {m}"));
    match (a, b) {
        (0b00, 0b0000..=0b0010) => two(format!("vrev{}.{es}", 64 >> b)),
        (0b00, 0b0100 | 0b0101) => two(format!("vpaddl.{s}{es}")),
        (0b00, 0b1100 | 0b1101) => two(format!("vpadal.{s}{es}")),
        (0b00, 0b1000) => two(format!("vcls.s{es}")),
        (0b00, 0b1001) => two(format!("vclz.i{es}")),
        (0b00, 0b1010) => two(format!("vcnt.{es}")),
        (0b00, 0b1011) => two("vmvn".into()),
        (0b00, 0b1110) => two(format!("vqabs.s{es}")),
        (0b00, 0b1111) => two(format!("vqneg.s{es}")),
        (0b01, op) => {
            let float = bit(w, 10);
            let dt = if float {
                "f32".to_string()
            } else {
                format!("s{es}")
            };
            let name =
                ["vcgt", "vcge", "vceq", "vcle", "vclt", "?", "vabs", "vneg"][(op & 7) as usize];
            if op & 7 >= 6 {
                two(format!("{name}.{dt}"))
            } else {
                let dt = if !float && op & 7 == 2 {
                    format!("i{es}")
                } else {
                    dt
                };
                ins(&format!("{name}.{dt}"), &format!("{d}, {m}, #0"))
            }
        }
        (0b10, 0b0000) => two("vswp".into()),
        (0b10, 0b0001) => two(format!("vtrn.{es}")),
        (0b10, 0b0010) => two(format!("vuzp.{es}")),
        (0b10, 0b0011) => two(format!("vzip.{es}")),
        (0b10, 0b0100 | 0b0101) => {
            let name = match bits(w, 7, 6) {
                0 => format!("vmovn.i{}", 2 * es),
                1 => format!("vqmovun.s{}", 2 * es),
                2 => format!("vqmovn.s{}", 2 * es),
                _ => format!("vqmovn.u{}", 2 * es),
            };
            ins(&name, &format!("{}, {}", reg(o.d, false), reg(o.m, true)))
        }
        (0b10, 0b0110) => ins(
            &format!("vshll.i{es}"),
            &format!("{}, {}, #{es}", reg(o.d, true), reg(o.m, false)),
        ),
        (0b10, _) if bit(w, 8) => ins(
            "vcvt.f32.f16",
            &format!("{}, {}", reg(o.d, true), reg(o.m, false)),
        ),
        (0b10, _) => ins(
            "vcvt.f16.f32",
            &format!("{}, {}", reg(o.d, false), reg(o.m, true)),
        ),
        (0b11, op) => {
            let f = bit(w, 8);
            match op & 0b1101 {
                0b1000 => two(format!("vrecpe.{}32", if f { "f" } else { "u" })),
                0b1001 => two(format!("vrsqrte.{}32", if f { "f" } else { "u" })),
                _ => {
                    let t = if bit(w, 7) { "u32" } else { "s32" };
                    if bit(w, 8) {
                        two(format!("vcvt.{t}.f32"))
                    } else {
                        two(format!("vcvt.f32.{t}"))
                    }
                }
            }
        }
        _ => two("?".into()),
    }
}

/// A list of `count` registers from `first`, `step` apart, each with
/// `suffix` (`[]` or `[x]`), as objdump writes it: a range for
/// consecutive whole registers or all-lanes lists, commas otherwise.
fn reg_list(first: usize, count: usize, step: usize, suffix: &str, range_ok: bool) -> String {
    if count == 1 {
        return format!("{{d{first}{suffix}}}");
    }
    if step == 1 && range_ok {
        return format!("{{d{first}{suffix}-d{}{suffix}}}", first + count - 1);
    }
    let items: Vec<String> = (0..count)
        .map(|k| format!("d{}{suffix}", first + k * step))
        .collect();
    format!("{{{}}}", items.join(","))
}

/// Element and structure loads and stores.
pub fn neon_ld_st(i: &Insn) -> String {
    let w = to_a32(i.w);
    let load = bit(w, 21);
    let d = (u32::from(bit(w, 22)) << 4 | bits(w, 15, 12)) as usize;
    let n = bits(w, 19, 16);
    let m = bits(w, 3, 0);
    let dir = if load { "vld" } else { "vst" };
    let (members, size, list, align) = if !bit(w, 23) {
        let ty = bits(w, 11, 8);
        let (members, per_member, inc) = multiple_layout(ty).unwrap_or((1, 1, 1));
        // The list: the members' registers, or one run when each member
        // fills consecutive registers of its own.
        let (regs, inc) = if per_member > 1 {
            (members * per_member, 1)
        } else {
            (members, inc)
        };
        let align = bits(w, 5, 4);
        let al = if align == 0 { 0 } else { 32 << align };
        (members, bits(w, 7, 6), reg_list(d, regs, inc, "", true), al)
    } else if bits(w, 11, 10) == 0b11 {
        let members = bits(w, 9, 8) as usize + 1;
        let size = bits(w, 7, 6);
        let t = bit(w, 5);
        let a = bit(w, 4);
        let (count, step) = if members == 1 {
            (if t { 2 } else { 1 }, 1)
        } else {
            (members, if t { 2 } else { 1 })
        };
        let eb = if size == 3 { 4 } else { 8u32 << size };
        let al = match (a, members) {
            (false, _) => 0,
            (true, 1) => eb,
            (true, 2) => 2 * eb,
            (true, _) if size == 3 => 128,
            (true, _) if size == 2 => 64,
            (true, _) => 4 * eb,
        };
        (
            members,
            size.min(2),
            reg_list(d, count, step, "[]", true),
            al,
        )
    } else {
        let members = bits(w, 9, 8) as usize + 1;
        let size = bits(w, 11, 10);
        let ia = bits(w, 7, 4);
        let (index, inc) = match size {
            0 => (ia >> 1, 1),
            1 => (ia >> 2, if ia & 2 != 0 { 2 } else { 1 }),
            _ => (ia >> 3, if ia & 4 != 0 { 2 } else { 1 }),
        };
        let inc = if members == 1 { 1 } else { inc };
        let eb = 8u32 << size;
        let al = match (members, size) {
            (1, 0) | (3, _) => 0,
            (1, _) => {
                if ia & 1 != 0 {
                    eb
                } else {
                    0
                }
            }
            (2, _) => {
                if ia & 1 != 0 {
                    2 * eb
                } else {
                    0
                }
            }
            (_, 2) => match ia & 3 {
                0 => 0,
                1 => 64,
                _ => 128,
            },
            _ => {
                if ia & 1 != 0 {
                    4 * eb
                } else {
                    0
                }
            }
        };
        (
            members,
            size,
            reg_list(d, members, inc, &format!("[{index}]"), false),
            al,
        )
    };
    let addr = if align != 0 {
        format!("[{} :{align}]", r(n))
    } else {
        format!("[{}]", r(n))
    };
    let wb = match m {
        15 => String::new(),
        13 => "!".into(),
        m => format!(", {}", r(m)),
    };
    ins(
        &format!("{dir}{members}.{}", 8 << size),
        &format!("{list}, {addr}{wb}"),
    )
}

/// VTBL, VTBX.
pub fn neon_tbl(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let len = bits(w, 9, 8) as usize + 1;
    let name = if bit(w, 6) { "vtbx.8" } else { "vtbl.8" };
    let list = if len == 1 {
        format!("{{d{}}}", o.n)
    } else {
        format!("{{d{}-d{}}}", o.n, o.n + len - 1)
    };
    ins(name, &format!("d{}, {list}, d{}", o.d, o.m))
}

/// VDUP (scalar).
pub fn neon_dup_scalar(i: &Insn) -> String {
    let w = to_a32(i.w);
    let o = Ops::of(w);
    let (es, idx) = dup_scalar_fields(w);
    ins(
        &format!("vdup.{es}"),
        &format!("{}, d{}[{idx}]", reg(o.d, o.q), o.m),
    )
}

const COND: [&str; 16] = [
    "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "", "",
];

fn c(i: &Insn) -> &'static str {
    if i.it & 0xf != 0 {
        COND[(i.it >> 4) as usize]
    } else {
        ""
    }
}

/// The size and index a core/scalar transfer's opc1:opc2 select.
pub fn scalar_select(w: u32) -> Option<(u32, u32)> {
    let opc1 = bits(w, 22, 21);
    let opc2 = bits(w, 6, 5);
    if opc1 & 2 != 0 {
        Some((8, (opc1 & 1) << 2 | opc2))
    } else if opc2 & 1 != 0 {
        Some((16, (opc1 & 1) << 1 | opc2 >> 1))
    } else if opc2 == 0 {
        Some((32, opc1 & 1))
    } else {
        None
    }
}

/// VMOV between a core register and a scalar.
pub fn neon_vmov_scalar(i: &Insn) -> String {
    let w = i.w;
    let (es, idx) = scalar_select(w).unwrap_or((32, 0));
    let v = u32::from(bit(w, 7)) << 4 | bits(w, 19, 16);
    let t = r(bits(w, 15, 12));
    if bit(w, 20) {
        let dt = if es == 32 {
            "32".to_string()
        } else {
            format!("{}{es}", su(bit(w, 23)))
        };
        ins(&format!("vmov{}.{dt}", c(i)), &format!("{t}, d{v}[{idx}]"))
    } else {
        ins(&format!("vmov{}.{es}", c(i)), &format!("d{v}[{idx}], {t}"))
    }
}

/// VDUP (core register).
pub fn neon_vdup_core(i: &Insn) -> String {
    let w = i.w;
    let es = match (bit(w, 22), bit(w, 5)) {
        (false, false) => 32,
        (false, true) => 16,
        _ => 8,
    };
    let v = (u32::from(bit(w, 7)) << 4 | bits(w, 19, 16)) as usize;
    ins(
        &format!("vdup{}.{es}", c(i)),
        &format!("{}, {}", reg(v, bit(w, 21)), r(bits(w, 15, 12))),
    )
}
