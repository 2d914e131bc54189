//! VFP: floating-point data processing, moves between core and extension
//! registers, FPSCR/FPEXC access, and extension register loads and
//! stores, for both instruction sets (the T32 encodings are the A32 ones
//! with condition 1110, see [`super::super::decode_vfp`]).
//!
//! The extension registers are guest state slots (S registers as I32
//! halves of the I64 D registers), so moves, loads and stores, VABS, VNEG
//! and VMOV are plain IR. Arithmetic, comparisons and conversions call
//! the helpers of [`super::super::vfp`], which compute ARM's exact
//! results on the raw bits under the FPSCR and update its flags: the
//! host's floating point is never involved (see docs/architecture.md).

use super::super::vfp::{self as fp, helpers as h};
use super::super::{slots, vfp_d_slot, vfp_s_slot};
use super::*;
use crate::ir::Slot;

/// An extension register operand: a single or a double register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reg {
    S(u32),
    D(u32),
}

impl Reg {
    fn slot(self) -> Slot {
        match self {
            Reg::S(s) => vfp_s_slot(s),
            Reg::D(d) => vfp_d_slot(d),
        }
    }
    fn ty(self) -> Type {
        match self {
            Reg::S(_) => Type::I32,
            Reg::D(_) => Type::I64,
        }
    }
}

/// The register named by a 4-bit field and its extra bit: Vx:X for a
/// single register, X:Vx for a double.
fn ext_reg(double: bool, v: u32, x: bool) -> Reg {
    if double {
        Reg::D(u32::from(x) << 4 | v)
    } else {
        Reg::S(v << 1 | u32::from(x))
    }
}

fn vd(w: u32, double: bool) -> Reg {
    ext_reg(double, bits(w, 15, 12), bit(w, 22))
}
fn vn(w: u32, double: bool) -> Reg {
    ext_reg(double, bits(w, 19, 16), bit(w, 7))
}
fn vm(w: u32, double: bool) -> Reg {
    ext_reg(double, bits(w, 3, 0), bit(w, 5))
}

/// The precision bit (sz, bit 8).
fn sz(w: u32) -> bool {
    bit(w, 8)
}

impl Ctx<'_> {
    /// VFP and Advanced SIMD are enabled (CPACR and FPEXC.EN).
    pub(super) fn vfp_enabled(&self) -> Result<(), Undef> {
        check(self.flags & tb_flags::VFP_EN != 0)
    }

    /// Reads an extension register (D16-D31 are UNDEFINED with D32DIS).
    fn ext_get(&mut self, r: Reg) -> Result<Value, Undef> {
        self.d32_ok(r)?;
        Ok(self.b.get(r.slot()))
    }

    /// Writes an extension register.
    fn ext_set(&mut self, r: Reg, v: Value) -> Result<(), Undef> {
        self.d32_ok(r)?;
        self.b.set(r.slot(), v);
        Ok(())
    }

    fn d32_ok(&self, r: Reg) -> Result<(), Undef> {
        check(!matches!(r, Reg::D(d) if d >= 16 && self.flags & tb_flags::D32DIS != 0))
    }

    /// Calls an FP helper with register values; the result has `ty`.
    fn fp_call(&mut self, helper: Helper, args: &[Value], ty: Type) -> Value {
        let args: Vec<Value> = args.iter().map(|&a| self.b.zext(a, Type::I64)).collect();
        let r = self.b.call(helper, &args);
        if ty == Type::I64 {
            r
        } else {
            self.b.zext(r, ty)
        }
    }

    fn c64(&mut self, v: u64) -> Value {
        self.b.iconst(Type::I64, v)
    }
}

/// The helper selector's precision bit.
fn dbl(double: bool) -> u64 {
    u64::from(double) << 8
}

/// Three-register arithmetic: Rd = op(Rn, Rm), through `helper` with
/// `sel`; `acc` passes Rd in front as well.
fn three_reg(cx: &mut Ctx, w: u32, helper: Helper, sel: u64, acc: bool) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let (d, n, m) = (vd(w, double), vn(w, double), vm(w, double));
    let nv = cx.ext_get(n)?;
    let mv = cx.ext_get(m)?;
    let s = cx.c64(sel | dbl(double));
    let r = if acc {
        let dv = cx.ext_get(d)?;
        cx.fp_call(helper, &[dv, nv, mv, s], d.ty())
    } else {
        cx.fp_call(helper, &[nv, mv, s], d.ty())
    };
    cx.ext_set(d, r)
}

/// VMLA, VMLS, VNMLA, VNMLS: Rd (negated for VNML*) plus or minus
/// Rn * Rm, rounded twice.
pub fn vfp_mla(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let variant = u64::from(bit(w, 20)) << 1 | u64::from(bit(w, 6));
    three_reg(cx, w, h::MLA, variant, true)
}

/// VMUL, VNMUL.
pub fn vfp_mul(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    three_reg(cx, w, h::BINOP, fp::BinOp::Mul as u64, false)?;
    if bit(w, 6) {
        // VNMUL: the product negated, NaN or not.
        let double = sz(w);
        let d = vd(w, double);
        let v = cx.ext_get(d)?;
        let sign = if double { 1 << 63 } else { 1 << 31 };
        let s = cx.b.iconst(d.ty(), sign);
        let v = cx.b.xor(v, s);
        cx.ext_set(d, v)?;
    }
    Ok(())
}

/// VADD, VSUB.
pub fn vfp_add_sub(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let op = if bit(w, 6) {
        fp::BinOp::Sub
    } else {
        fp::BinOp::Add
    };
    three_reg(cx, w, h::BINOP, op as u64, false)
}

/// VDIV.
pub fn vfp_div(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    three_reg(cx, w, h::BINOP, fp::BinOp::Div as u64, false)
}

/// VFMA, VFMS, VFNMA, VFNMS: fused, one rounding. Bit 6 negates Rn, the
/// VFNM* forms (bits 21:20 = 01) negate Rd.
pub fn vfp_fma(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let neg_d = bits(w, 21, 20) == 0b01;
    let variant = u64::from(neg_d) << 1 | u64::from(bit(w, 6));
    three_reg(cx, w, h::FMA, variant, true)
}

/// VFPExpandImm: the 8-bit immediate as a float of the given precision.
pub fn vfp_expand_imm(imm8: u32, double: bool) -> u64 {
    let sign = u64::from(imm8 >> 7);
    let b6 = u64::from(imm8 >> 6 & 1);
    let low6 = u64::from(imm8 & 0x3f);
    if double {
        // sign : NOT(b6) : b6 x8 : imm8<5:0> : zeros(48)
        let exp = (b6 ^ 1) << 10 | (if b6 == 1 { 0xff } else { 0 }) << 2 | (low6 >> 4);
        sign << 63 | exp << 52 | (low6 & 0xf) << 48
    } else {
        // sign : NOT(b6) : b6 x5 : imm8<5:0> : zeros(19)
        let exp = (b6 ^ 1) << 7 | (if b6 == 1 { 0x1f } else { 0 }) << 2 | (low6 >> 4);
        sign << 31 | exp << 23 | (low6 & 0xf) << 19
    }
}

/// VMOV (immediate).
pub fn vfp_mov_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let d = vd(w, double);
    let imm = vfp_expand_imm(bits(w, 19, 16) << 4 | bits(w, 3, 0), double);
    let v = cx.b.iconst(d.ty(), imm);
    cx.ext_set(d, v)
}

/// A one-register operation done in IR: `f` maps Rm's bits to Rd's.
fn unary_ir(
    cx: &mut Ctx,
    w: u32,
    f: impl FnOnce(&mut Ctx, Value, bool) -> Value,
) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let (d, m) = (vd(w, double), vm(w, double));
    let v = cx.ext_get(m)?;
    let r = f(cx, v, double);
    cx.ext_set(d, r)
}

/// VMOV (register).
pub fn vfp_mov_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    unary_ir(cx, w, |_, v, _| v)
}

/// VABS: clear the sign bit (no NaN processing, no flags).
pub fn vfp_abs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    unary_ir(cx, w, |cx, v, double| {
        let mask = if double { !(1u64 << 63) } else { 0x7fff_ffff };
        let m =
            cx.b.iconst(if double { Type::I64 } else { Type::I32 }, mask);
        cx.b.and(v, m)
    })
}

/// VNEG: flip the sign bit.
pub fn vfp_neg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    unary_ir(cx, w, |cx, v, double| {
        let sign = if double { 1u64 << 63 } else { 1 << 31 };
        let m =
            cx.b.iconst(if double { Type::I64 } else { Type::I32 }, sign);
        cx.b.xor(v, m)
    })
}

/// VSQRT.
pub fn vfp_sqrt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let (d, m) = (vd(w, double), vm(w, double));
    let v = cx.ext_get(m)?;
    let s = cx.c64(fp::unary::SQRT | dbl(double));
    let r = cx.fp_call(h::UNARY, &[v, s], d.ty());
    cx.ext_set(d, r)
}

/// VCVTB, VCVTT: between single precision and the bottom (B) or top (T)
/// half of a single register holding half precision.
pub fn vfp_cvt_half(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let (d, m) = (vd(w, false), vm(w, false));
    let top = bit(w, 7);
    let to_half = bit(w, 16);
    let v = cx.ext_get(m)?;
    if to_half {
        let s = cx.c64(fp::unary::SINGLE_TO_HALF);
        let half = cx.fp_call(h::UNARY, &[v, s], Type::I32);
        let old = cx.ext_get(d)?;
        let (keep, shift) = if top { (0xffff, 16) } else { (0xffff_0000, 0) };
        let k = cx.b.c32(keep);
        let kept = cx.b.and(old, k);
        let sh = cx.b.c32(shift);
        let placed = cx.b.shl(half, sh);
        let r = cx.b.or(kept, placed);
        cx.ext_set(d, r)
    } else {
        let half = if top {
            let sh = cx.b.c32(16);
            cx.b.lshr(v, sh)
        } else {
            let m = cx.b.c32(0xffff);
            cx.b.and(v, m)
        };
        let s = cx.c64(fp::unary::HALF_TO_SINGLE);
        let r = cx.fp_call(h::UNARY, &[half, s], Type::I32);
        cx.ext_set(d, r)
    }
}

/// VCMP, VCMPE (with a register, or with zero): the FPSCR's N, Z, C, V.
pub fn vfp_cmp(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let d = vd(w, double);
    let a = cx.ext_get(d)?;
    let b = if bit(w, 16) {
        cx.b.iconst(d.ty(), 0)
    } else {
        let m = vm(w, double);
        cx.ext_get(m)?
    };
    let s = cx.c64(u64::from(bit(w, 7)) | dbl(double));
    cx.fp_call(h::COMPARE, &[a, b, s], Type::I32);
    Ok(())
}

/// VCVT between double and single precision (sz names the source).
pub fn vfp_cvt_fd(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let from_double = sz(w);
    let (d, m) = (vd(w, !from_double), vm(w, from_double));
    let v = cx.ext_get(m)?;
    let op = if from_double {
        fp::unary::DOUBLE_TO_SINGLE
    } else {
        fp::unary::SINGLE_TO_DOUBLE
    };
    let s = cx.c64(op);
    let r = cx.fp_call(h::UNARY, &[v, s], d.ty());
    cx.ext_set(d, r)
}

/// The fixed-point conversion helper's selector.
fn fixed_sel(
    double: bool,
    to_float: bool,
    unsigned: bool,
    half: bool,
    fixed_rounding: bool,
    fbits: u32,
) -> u64 {
    dbl(double)
        | u64::from(fbits)
        | u64::from(unsigned) << fp::fixed::UNSIGNED
        | u64::from(half) << fp::fixed::HALF
        | u64::from(to_float) << fp::fixed::TO_FLOAT
        | u64::from(fixed_rounding) << fp::fixed::FIXED_ROUNDING
}

/// VCVT from a 32-bit integer in Sm (signed when bit 7) to Sd or Dd.
pub fn vfp_cvt_from_int(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let (d, m) = (vd(w, double), vm(w, false));
    let v = cx.ext_get(m)?;
    let s = cx.c64(fixed_sel(double, true, !bit(w, 7), false, false, 0));
    let r = cx.fp_call(h::FIXED, &[v, s], d.ty());
    cx.ext_set(d, r)
}

/// VCVT, VCVTR from Sm or Dm to a 32-bit integer in Sd (signed when bit
/// 16; VCVT rounds toward zero (bit 7), VCVTR as the FPSCR says).
pub fn vfp_cvt_to_int(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let (d, m) = (vd(w, false), vm(w, double));
    let v = cx.ext_get(m)?;
    let s = cx.c64(fixed_sel(double, false, !bit(w, 16), false, bit(w, 7), 0));
    let r = cx.fp_call(h::FIXED, &[v, s], Type::I32);
    cx.ext_set(d, r)
}

/// VCVT between floating point and fixed point, in place in Sd or Dd:
/// bit 18 to fixed, bit 16 unsigned, bit 7 (sx) 32-bit, else 16-bit.
pub fn vfp_cvt_fixed(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let d = vd(w, double);
    let size = if bit(w, 7) { 32 } else { 16 };
    let imm = bits(w, 3, 0) << 1 | u32::from(bit(w, 5));
    check(imm <= size)?;
    let fbits = size - imm;
    let to_fixed = bit(w, 18);
    let unsigned = bit(w, 16);
    let v = cx.ext_get(d)?;
    // To fixed point rounds toward zero, from fixed point to nearest.
    let s = cx.c64(fixed_sel(
        double,
        !to_fixed,
        unsigned,
        size == 16,
        true,
        fbits,
    ));
    let r = cx.fp_call(h::FIXED, &[v, s], d.ty());
    // Fixed-point results are sign- or zero-extended to the register.
    let r = if to_fixed && (size == 16 || double) {
        let narrow = if size == 16 { Type::I16 } else { Type::I32 };
        let v = cx.b.zext(r, narrow);
        if unsigned {
            cx.b.zext(v, d.ty())
        } else {
            cx.b.sext(v, d.ty())
        }
    } else {
        r
    };
    cx.ext_set(d, r)
}

/// VMOV between a core register and a single register (bit 20: to core).
pub fn vfp_mov_core_single(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let (t, n) = (rd(w), vn(w, false));
    check(t != 15 && !(cx.thumb && t == 13))?;
    if bit(w, 20) {
        let v = cx.ext_get(n)?;
        cx.set_reg(t, v);
    } else {
        let v = cx.reg(t);
        cx.ext_set(n, v)?;
    }
    Ok(())
}

/// VMOV between two core registers and two single registers or one double
/// register (bit 20: to core; Rt the low word, Rt2 the high one).
pub fn vfp_mov_core_pair(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let (t, t2) = (rd(w), rn(w));
    let to_core = bit(w, 20);
    let bad = |r: u32| r == 15 || (cx.thumb && r == 13);
    check(!(bad(t) || bad(t2) || (to_core && t == t2)))?;
    let double = bits(w, 11, 8) == 0b1011;
    if double {
        let d = Reg::D(u32::from(bit(w, 5)) << 4 | bits(w, 3, 0));
        if to_core {
            let v = cx.ext_get(d)?;
            split64(cx, v, t, t2);
        } else {
            cx.d32_ok(d)?;
            let v = join64(cx, t, t2);
            cx.ext_set(d, v)?;
        }
        return Ok(());
    }
    let m = bits(w, 3, 0) << 1 | u32::from(bit(w, 5));
    check(m != 31)?;
    let (s0, s1) = (Reg::S(m), Reg::S(m + 1));
    if to_core {
        let a = cx.ext_get(s0)?;
        let b = cx.ext_get(s1)?;
        cx.set_reg(t, a);
        cx.set_reg(t2, b);
    } else {
        let a = cx.reg(t);
        let b = cx.reg(t2);
        cx.ext_set(s0, a)?;
        cx.ext_set(s1, b)?;
    }
    Ok(())
}

/// The VMRS/VMSR system register numbers.
mod spec {
    pub const FPSID: u32 = 0;
    pub const FPSCR: u32 = 1;
    pub const MVFR1: u32 = 6;
    pub const MVFR0: u32 = 7;
    pub const FPEXC: u32 = 8;
}

/// Access to the VFP system registers other than FPSCR: privileged, and
/// allowed with FPEXC.EN clear (as long as CPACR grants access).
fn system_access(cx: &Ctx, reg: u32) -> Result<(), Undef> {
    if reg == spec::FPSCR {
        return cx.vfp_enabled();
    }
    check(cx.privileged() && cx.flags & tb_flags::VFP_ACCESS != 0)
}

/// VMRS: read FPSCR (Rt = PC: its N, Z, C, V into the APSR), FPSID,
/// FPEXC, MVFR0 or MVFR1.
pub fn vfp_vmrs(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (reg, t) = (bits(w, 19, 16), rd(w));
    system_access(cx, reg)?;
    check(!(cx.thumb && t == 13))?;
    if t == 15 {
        check(reg == spec::FPSCR)?;
        let v = cx.b.get(slots::FPSCR);
        // The flags as the APSR keeps them (see `ArmCpu::nf`).
        let b = &mut *cx.b;
        b.set(slots::NF, v);
        let nv = b.not(v);
        let zbit = b.c32(psr::Z);
        let z = b.and(nv, zbit);
        b.set(slots::ZF, z);
        let one = b.c32(1);
        for (slot, shift) in [(slots::CF, 29), (slots::VF, 28)] {
            let s = b.c32(shift);
            let f = b.lshr(v, s);
            let f = b.and(f, one);
            b.set(slot, f);
        }
        return Ok(());
    }
    use lockstep_runtime::arm::sysreg::id;
    let v = match reg {
        spec::FPSCR => cx.b.get(slots::FPSCR),
        spec::FPEXC => cx.b.get(slots::FPEXC),
        spec::FPSID => cx.b.c32(id::FPSID),
        spec::MVFR0 => cx.b.c32(id::MVFR0),
        spec::MVFR1 => cx.b.c32(id::MVFR1),
        _ => return Err(Undef),
    };
    cx.set_reg(t, v);
    Ok(())
}

/// VMSR: write FPSCR or FPEXC (FPSID writes are ignored). Enabling or
/// disabling VFP changes what translates, so an FPEXC write ends the
/// block.
pub fn vfp_vmsr(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (reg, t) = (bits(w, 19, 16), rd(w));
    system_access(cx, reg)?;
    check(t != 15 && !(cx.thumb && t == 13))?;
    let v = cx.reg(t);
    match reg {
        spec::FPSCR => {
            let m = cx.b.c32(fp::fpscr::WRITABLE);
            let v = cx.b.and(v, m);
            cx.b.set(slots::FPSCR, v);
        }
        spec::FPEXC => {
            let m = cx.b.c32(lockstep_runtime::arm::fpexc::EN);
            let v = cx.b.and(v, m);
            cx.b.set(slots::FPEXC, v);
            cx.end = End::Exit;
        }
        spec::FPSID => {}
        _ => return Err(Undef),
    }
    Ok(())
}

/// VLDR, VSTR: one register at [Rn, #+/-imm8 * 4] (Rn = PC: a literal,
/// word-aligned base).
pub fn vfp_ldr_str(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let double = sz(w);
    let d = vd(w, double);
    cx.d32_ok(d)?;
    let n = rn(w);
    check(!(cx.thumb && n == 15 && !bit(w, 20)))?;
    let base = if n == 15 {
        let v = cx.pc_aligned();
        cx.b.c32(v)
    } else {
        cx.reg(n)
    };
    let off = cx.b.c32((w & 0xff) << 2);
    let addr = if bit(w, 23) {
        cx.b.add(base, off)
    } else {
        cx.b.sub(base, off)
    };
    if bit(w, 20) {
        let v = load(cx, d, addr);
        cx.b.set(d.slot(), v);
    } else {
        store(cx, d, addr);
    }
    Ok(())
}

/// Loads or stores one extension register at `addr` (word alignment
/// required; a double register is one 64-bit access in the data byte
/// order, its first word the low half on a little-endian guest).
fn access(cx: &Ctx, r: Reg) -> crate::ir::MemAccess {
    crate::ir::MemAccess {
        size: if r.ty() == Type::I64 { 8 } else { 4 },
        signed: false,
        endian: cx.endian,
        align: 4,
        mmu_idx: None,
    }
}

/// Loads an extension register's value from `addr`.
fn load(cx: &mut Ctx, r: Reg, addr: Value) -> Value {
    let a = access(cx, r);
    cx.b.load(r.ty(), addr, a)
}

/// Stores an extension register at `addr`.
fn store(cx: &mut Ctx, r: Reg, addr: Value) {
    let a = access(cx, r);
    let v = cx.b.get(r.slot());
    cx.b.store(addr, v, a);
    cx.stores = true;
}

/// VLDM, VSTM (IA with optional writeback, DB with writeback; VPUSH and
/// VPOP are VSTMDB/VLDMIA of SP!). An odd imm8 with doubles is FLDMX/FSTMX:
/// imm8 / 2 registers.
pub fn vfp_ldm_stm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.vfp_enabled()?;
    let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    // P = U (without W: VLDR/VSTR, decoded apart) is not a block transfer.
    check(p != u && (!p || wb))?;
    let double = sz(w);
    let n = rn(w);
    check(!(n == 15 && (wb || cx.thumb)))?;
    let imm8 = w & 0xff;
    let count = if double { imm8 / 2 } else { imm8 };
    let first = vd(w, double);
    let (first_index, limit) = match first {
        Reg::S(s) => (s, 32),
        Reg::D(d) => (d, 32),
    };
    check(count > 0 && first_index + count <= limit && (!double || count <= 16))?;
    let base = cx.reg(n);
    let bytes = imm8 << 2;
    let start = if u {
        base
    } else {
        let b = cx.b.c32(bytes);
        cx.b.sub(base, b)
    };
    // Every access before any register write.
    let mut loaded = Vec::new();
    for k in 0..count {
        let r = match first {
            Reg::S(s) => Reg::S(s + k),
            Reg::D(d) => Reg::D(d + k),
        };
        cx.d32_ok(r)?;
        let step = if double { 8 } else { 4 };
        let off = cx.b.c32(k * step);
        let addr = cx.b.add(start, off);
        if load {
            loaded.push((r, self::load(cx, r, addr)));
        } else {
            store(cx, r, addr);
        }
    }
    for (r, v) in loaded {
        cx.b.set(r.slot(), v);
    }
    if wb {
        let b = cx.b.c32(bytes);
        let nb = if u {
            cx.b.add(base, b)
        } else {
            cx.b.sub(base, b)
        };
        cx.set_reg(n, nb);
    }
    Ok(())
}
