//! Saturation, SIMD within a register, packing, byte reversal,
//! extension and bit fields.

use super::*;

/// QADD, QSUB, QDADD, QDSUB.
pub fn qaddsub(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let n = cx.reg(rn(w));
    let op = cx.b.c32(bits(w, 22, 21));
    let v = cx.call(helpers::QADDSUB, &[m, n, op]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// The 36 parallel add/subtract instructions.
pub fn parallel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let kind = bits(w, 22, 20);
    let op = bits(w, 7, 5);
    check(kind != 0 && kind != 4 && op != 5 && op != 6)?;
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rn(w));
    let m = cx.reg(rm(w));
    let sel = cx.b.c32(kind << 3 | op);
    let v = cx.call(helpers::PARALLEL, &[n, m, sel]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SEL: select bytes by the GE flags.
pub fn sel(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rn(w));
    let m = cx.reg(rm(w));
    let ge = cx.b.get(slots::GE);
    // Expand GE[3:0] to a byte mask: each bit times 0xff at its byte.
    let b = &mut *cx.b;
    let mut mask = b.c32(0);
    for i in 0..4 {
        let s = b.c32(i);
        let g = b.lshr(ge, s);
        let one = b.c32(1);
        let g = b.and(g, one);
        let byte = b.c32(0xff << (8 * i));
        let zero = b.c32(0);
        let nz = b.cmp(Cmp::Ne, g, zero);
        let part = b.select(nz, byte, zero);
        mask = b.or(mask, part);
    }
    let a = b.and(n, mask);
    let nm = b.not(mask);
    let c = b.and(m, nm);
    let v = b.or(a, c);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// PKHBT, PKHTB.
pub fn pkh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rn(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rn(w));
    let m = cx.reg(rm(w));
    let tb = bit(w, 6);
    let (shifted, _) = cx.shift_imm(m, if tb { 2 } else { 0 }, bits(w, 11, 7), false);
    let b = &mut *cx.b;
    let lo = b.c32(0xffff);
    let hi = b.c32(0xffff_0000);
    let v = if tb {
        let a = b.and(n, hi);
        let c = b.and(shifted, lo);
        b.or(a, c)
    } else {
        let a = b.and(n, lo);
        let c = b.and(shifted, hi);
        b.or(a, c)
    };
    cx.set_reg(rd(w), v);
    Ok(())
}

fn saturate(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let (shifted, _) = cx.shift_imm(n, if bit(w, 6) { 2 } else { 0 }, bits(w, 11, 7), false);
    let sat = bits(w, 20, 16) + u32::from(signed);
    let width = cx.b.c32(sat | u32::from(signed) << 8);
    let v = cx.call(helpers::SAT, &[shifted, width]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SSAT.
pub fn ssat(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate(cx, w, true)
}

/// USAT.
pub fn usat(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate(cx, w, false)
}

fn saturate16(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let n = cx.reg(rm(w));
    let sat = bits(w, 19, 16) + u32::from(signed);
    let width = cx.b.c32(sat | u32::from(signed) << 8);
    let v = cx.call(helpers::SAT16, &[n, width]);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SSAT16.
pub fn ssat16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate16(cx, w, true)
}

/// USAT16.
pub fn usat16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    saturate16(cx, w, false)
}

/// REV: reverse the bytes of a word.
pub fn rev(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let v = cx.b.bswap(m);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// REV16: reverse the bytes of each halfword.
pub fn rev16(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let b = &mut *cx.b;
    let r = b.bswap(m);
    let s = b.c32(16);
    let v = b.rotr(r, s);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// REVSH: reverse the low halfword's bytes and sign-extend.
pub fn revsh(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let b = &mut *cx.b;
    let h = b.zext(m, Type::I16);
    let h = b.bswap(h);
    let v = b.sext(h, Type::I32);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// RBIT: reverse the bits of a word.
pub fn rbit(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let v = cx.b.bitrev(m);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SXTAB16/SXTAB/SXTAH/UXTAB16/UXTAB/UXTAH and, with Rn = PC, the
/// SXTB16/SXTB/SXTH/UXTB16/UXTB/UXTH forms.
pub fn extend(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let op = bits(w, 21, 20);
    check(op != 1 && rd(w) != 15 && rm(w) != 15)?;
    let unsigned = bit(w, 22);
    let m = cx.reg(rm(w));
    let rot = cx.b.c32(8 * bits(w, 11, 10));
    let r = cx.b.rotr(m, rot);
    let acc = (rn(w) != 15).then(|| cx.reg(rn(w)));
    let b = &mut *cx.b;
    let v = if op == 0 {
        // Two bytes (0 and 2), each extended to a halfword.
        let s16 = b.c32(16);
        let lo8 = b.zext(r, Type::I8);
        let hi = b.lshr(r, s16);
        let hi8 = b.zext(hi, Type::I8);
        let (lo16, hi16) = if unsigned {
            (b.zext(lo8, Type::I32), b.zext(hi8, Type::I32))
        } else {
            let l = b.sext(lo8, Type::I16);
            let h = b.sext(hi8, Type::I16);
            (b.zext(l, Type::I32), b.zext(h, Type::I32))
        };
        let (lo16, hi16) = match acc {
            None => (lo16, hi16),
            Some(a) => {
                let ah = b.lshr(a, s16);
                (b.add(lo16, a), b.add(hi16, ah))
            }
        };
        let mask = b.c32(0xffff);
        let lo16 = b.and(lo16, mask);
        let hi16 = b.shl(hi16, s16);
        b.or(hi16, lo16)
    } else {
        let ty = if op == 2 { Type::I8 } else { Type::I16 };
        let small = b.zext(r, ty);
        let x = if unsigned {
            b.zext(small, Type::I32)
        } else {
            b.sext(small, Type::I32)
        };
        match acc {
            None => x,
            Some(a) => b.add(a, x),
        }
    };
    cx.set_reg(rd(w), v);
    Ok(())
}

/// SBFX: signed bit-field extract.
pub fn sbfx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    bitfield_extract(cx, w, true)
}

/// UBFX: unsigned bit-field extract.
pub fn ubfx(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    bitfield_extract(cx, w, false)
}

fn bitfield_extract(cx: &mut Ctx, w: u32, signed: bool) -> Result<(), Undef> {
    let lsb = bits(w, 11, 7);
    let width = bits(w, 20, 16) + 1;
    check(rd(w) != 15 && rm(w) != 15 && lsb + width <= 32)?;
    let n = cx.reg(rm(w));
    let b = &mut *cx.b;
    let up = b.c32(32 - lsb - width);
    let x = b.shl(n, up);
    let down = b.c32(32 - width);
    let v = if signed {
        b.ashr(x, down)
    } else {
        b.lshr(x, down)
    };
    cx.set_reg(rd(w), v);
    Ok(())
}

/// BFI: bit-field insert; BFC (Rn = PC): bit-field clear.
pub fn bfi(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let lsb = bits(w, 11, 7);
    let msb = bits(w, 20, 16);
    check(rd(w) != 15 && msb >= lsb)?;
    let field = ((u64::from(1u32) << (msb - lsb + 1)) - 1) as u32;
    let d = cx.reg(rd(w));
    let src = if rm(w) == 15 {
        cx.b.c32(0)
    } else {
        cx.reg(rm(w))
    };
    let b = &mut *cx.b;
    let keep = b.c32(!(field << lsb));
    let kept = b.and(d, keep);
    let fm = b.c32(field);
    let ins = b.and(src, fm);
    let s = b.c32(lsb);
    let ins = b.shl(ins, s);
    let v = b.or(kept, ins);
    cx.set_reg(rd(w), v);
    Ok(())
}
