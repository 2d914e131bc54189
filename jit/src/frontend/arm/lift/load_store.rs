//! Loads and stores for both instruction sets: single transfers (every
//! addressing mode, literals and the unprivileged T forms), halfword,
//! signed and dual transfers, LDM/STM/PUSH/POP, SWP, the exclusives and
//! the table branches. Each operation is written once over decoded
//! fields ([`Index`], register numbers); the A32, T32 and 16-bit Thumb
//! handlers decode their encodings into it.

use super::*;

/// Offset of the lowest address a block transfer of `count` words
/// touches, from its base register: IA, IB, DA or DB by the P and U bits.
pub(super) fn block_start(p: bool, u: bool, count: u32) -> i32 {
    match (p, u) {
        (false, true) => 0,
        (true, true) => 4,
        (false, false) => 4 - 4 * count as i32,
        (true, false) => -4 * count as i32,
    }
}

/// How a single transfer forms its address from base register `n`: at
/// the offset address (`p`, pre-indexed) or at the base (post-indexed);
/// adding or subtracting the offset (`u`); writing the offset address back
/// (`w`, always when post-indexed).
#[derive(Clone, Copy, Debug)]
pub(super) struct Index {
    pub n: u32,
    pub p: bool,
    pub u: bool,
    pub w: bool,
}

impl Index {
    /// A plain `[Rn, #+offset]`.
    fn offset(n: u32) -> Self {
        Index {
            n,
            p: true,
            u: true,
            w: false,
        }
    }

    /// Whether the base register is written back.
    fn writeback(self) -> bool {
        !self.p || self.w
    }

    /// The A32 fields P (24), U (23), W (21) and Rn.
    fn a32(w: u32) -> Self {
        Index {
            n: rn(w),
            p: bit(w, 24),
            u: bit(w, 23),
            w: bit(w, 21),
        }
    }
}

/// The address to access and, for writeback forms, the new base. The PC
/// as a base reads word-aligned (Thumb's literal loads).
fn indexed(cx: &mut Ctx, ix: Index, offset: Value) -> (Value, Option<Value>) {
    let base = if ix.n == 15 {
        let v = cx.pc_aligned();
        cx.b.c32(v)
    } else {
        cx.reg(ix.n)
    };
    let offset_addr = if ix.u {
        cx.b.add(base, offset)
    } else {
        cx.b.sub(base, offset)
    };
    let addr = if ix.p { offset_addr } else { base };
    (addr, ix.writeback().then_some(offset_addr))
}

/// A single load or store of `size` bytes (`signed`: sign-extending load)
/// between Rt and the indexed address; `user`: with User-mode
/// permissions (the T forms). Loads write Rt after the access and the
/// writeback, Rt = PC interworks (LoadWritePC).
#[allow(clippy::too_many_arguments)] // the fields of the instruction
fn transfer(
    cx: &mut Ctx,
    ix: Index,
    t: u32,
    load: bool,
    size: u8,
    signed: bool,
    user: bool,
    offset: Value,
) {
    let (addr, writeback) = indexed(cx, ix, offset);
    if load {
        let v = if user {
            cx.load_user(addr, size, signed)
        } else {
            cx.load(addr, size, signed, 1)
        };
        if let Some(nb) = writeback {
            cx.set_reg(ix.n, nb);
        }
        cx.load_write(t, v);
    } else {
        let v = cx.reg(t);
        if user {
            cx.store_user(addr, v, size);
        } else {
            cx.store(addr, v, size, 1);
        }
        if let Some(nb) = writeback {
            cx.set_reg(ix.n, nb);
        }
    }
}

/// LDRD/STRD: two words between Rt, Rt2 and the indexed address (which
/// must be word-aligned).
fn dual(cx: &mut Ctx, ix: Index, t: u32, t2: u32, load: bool, offset: Value) {
    let (addr, writeback) = indexed(cx, ix, offset);
    let four = cx.b.c32(4);
    let addr2 = cx.b.add(addr, four);
    if load {
        let lo = cx.load(addr, 4, false, 4);
        let hi = cx.load(addr2, 4, false, 4);
        if let Some(nb) = writeback {
            cx.set_reg(ix.n, nb);
        }
        cx.set_reg(t, lo);
        cx.set_reg(t2, hi);
    } else {
        let lo = cx.reg(t);
        let hi = cx.reg(t2);
        cx.store(addr, lo, 4, 4);
        cx.store(addr2, hi, 4, 4);
        if let Some(nb) = writeback {
            cx.set_reg(ix.n, nb);
        }
    }
}

/// LDM/STM of the registers in `list` from base `n`: IA, IB, DA or DB by
/// `p` (before) and `u` (increment); `wb` writes the base back. A load of
/// the PC interworks.
fn block_transfer(cx: &mut Ctx, n: u32, list: u32, p: bool, u: bool, wb: bool, load: bool) {
    let count = list.count_ones();
    let base = cx.reg(n);
    let start = block_start(p, u, count);
    let new_base = if u {
        4 * count as i32
    } else {
        -4 * (count as i32)
    };
    let mut addrs = Vec::new();
    for i in 0..count as i32 {
        let off = cx.b.c32((start + 4 * i) as u32);
        addrs.push(cx.b.add(base, off));
    }
    let wb_value = wb.then(|| {
        let off = cx.b.c32(new_base as u32);
        cx.b.add(base, off)
    });
    let regs: Vec<u32> = (0..16).filter(|r| list & (1 << r) != 0).collect();
    if load {
        let values: Vec<Value> = addrs.iter().map(|&a| cx.load(a, 4, false, 4)).collect();
        if let Some(v) = wb_value {
            cx.set_reg(n, v);
        }
        for (&r, &v) in regs.iter().zip(&values) {
            cx.load_write(r, v);
        }
    } else {
        for (&r, &a) in regs.iter().zip(&addrs) {
            let v = cx.reg(r);
            cx.store(a, v, 4, 4);
        }
        if let Some(v) = wb_value {
            cx.set_reg(n, v);
        }
    }
}

/// LDREX family: loads `size` bytes (8: two words to Rt, Rt2) from Rn +
/// `imm` and arms the exclusive monitor.
fn load_exclusive(cx: &mut Ctx, n: u32, imm: u32, t: u32, t2: u32, size: u8) {
    let base = cx.reg(n);
    let addr = if imm == 0 {
        base
    } else {
        let o = cx.b.c32(imm);
        cx.b.add(base, o)
    };
    let addr64 = cx.b.zext(addr, Type::I64);
    if size == 8 {
        let four = cx.b.c32(4);
        let addr2 = cx.b.add(addr, four);
        let lo = cx.load(addr, 4, false, 8);
        let hi = cx.load(addr2, 4, false, 4);
        let l64 = cx.b.zext(lo, Type::I64);
        let h64 = cx.b.zext(hi, Type::I64);
        let c32 = cx.b.iconst(Type::I64, 32);
        let h64 = cx.b.shl(h64, c32);
        let both = cx.b.or(h64, l64);
        cx.b.set(slots::EXCL_ADDR, addr64);
        cx.b.set(slots::EXCL_VAL, both);
        cx.set_reg(t, lo);
        cx.set_reg(t2, hi);
    } else {
        let v = cx.load(addr, size, false, size);
        let v64 = cx.b.zext(v, Type::I64);
        cx.b.set(slots::EXCL_ADDR, addr64);
        cx.b.set(slots::EXCL_VAL, v64);
        cx.set_reg(t, v);
    }
}

/// STREX family: stores Rt (8: Rt, Rt2) at Rn + `imm` if the monitor
/// still holds the address and memory still holds the value the
/// load-exclusive read; Rd = 0 on success, 1 on failure.
fn store_exclusive(cx: &mut Ctx, n: u32, imm: u32, d: u32, t: u32, t2: u32, size: u8) {
    let base = cx.reg(n);
    let addr = if imm == 0 {
        base
    } else {
        let o = cx.b.c32(imm);
        cx.b.add(base, o)
    };
    let lo = cx.reg(t);
    let lo64 = cx.b.zext(lo, Type::I64);
    let value = if size == 8 {
        let hi = cx.reg(t2);
        let hi64 = cx.b.zext(hi, Type::I64);
        let c32 = cx.b.iconst(Type::I64, 32);
        let hi64 = cx.b.shl(hi64, c32);
        cx.b.or(hi64, lo64)
    } else {
        lo64
    };
    let addr64 = cx.b.zext(addr, Type::I64);
    let sz = cx.b.iconst(
        Type::I64,
        u64::from(size) | u64::from(cx.endian == Endian::Big) << 8 | u64::from(cx.mmu_idx) << 16,
    );
    let status = cx.b.call(helpers::STORE_EXCLUSIVE, &[addr64, value, sz]);
    let status = cx.b.zext(status, Type::I32);
    cx.stores = true;
    cx.set_reg(d, status);
}

// ---------------------------------------------------------------------------
// A32.

/// The A32 single-transfer checks: a writeback base is neither the PC nor
/// Rt; the T forms (post-indexed with W) never name the PC.
fn a32_single(
    cx: &mut Ctx,
    w: u32,
    load: bool,
    size: u8,
    signed: bool,
    offset: Value,
) -> Result<(), Undef> {
    let ix = Index::a32(w);
    let t = rd(w);
    let user = !ix.p && ix.w;
    check(!ix.writeback() || (ix.n != 15 && ix.n != t))?;
    check(!user || t != 15)?;
    check(t != 15 || size == 4)?;
    transfer(cx, ix, t, load, size, signed, user, offset);
    Ok(())
}

/// LDR/STR/LDRB/STRB (and the T forms) with an immediate offset.
pub fn load_store_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = cx.b.c32(w & 0xfff);
    a32_single(
        cx,
        w,
        bit(w, 20),
        if bit(w, 22) { 1 } else { 4 },
        false,
        off,
    )
}

/// LDR/STR/LDRB/STRB (and the T forms) with a shifted register offset.
pub fn load_store_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let (off, _) = cx.shift_imm(m, bits(w, 6, 5), bits(w, 11, 7), false);
    a32_single(
        cx,
        w,
        bit(w, 20),
        if bit(w, 22) { 1 } else { 4 },
        false,
        off,
    )
}

/// LDRH/STRH/LDRSB/LDRSH/LDRD/STRD, immediate and register offsets.
pub fn extra_load_store(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = if bit(w, 22) {
        cx.b.c32(bits(w, 11, 8) << 4 | rm(w))
    } else {
        check(rm(w) != 15)?;
        cx.reg(rm(w))
    };
    let load = bit(w, 20);
    match (bits(w, 6, 5), load) {
        (1, _) => a32_single(cx, w, load, 2, false, off),
        (2, true) => a32_single(cx, w, true, 1, true, off),
        (3, true) => a32_single(cx, w, true, 2, true, off),
        (op, false) => a32_dual(cx, w, op == 2, off),
        _ => Err(Undef),
    }
}

/// LDRD/STRD: Rt even, the pair Rt, Rt+1.
fn a32_dual(cx: &mut Ctx, w: u32, load: bool, offset: Value) -> Result<(), Undef> {
    let ix = Index::a32(w);
    let t = rd(w);
    check(t.is_multiple_of(2) && t != 14)?;
    check(ix.p || !ix.w)?;
    check(!ix.writeback() || (ix.n != 15 && ix.n != t && ix.n != t + 1))?;
    check(bit(w, 22) || (rm(w) != t && rm(w) != t + 1) || !load)?;
    dual(cx, ix, t, t + 1, load, offset);
    Ok(())
}

/// LDM/STM in all four addressing modes (PUSH and POP among them).
pub fn ldm_stm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    check(n != 15 && list != 0)?;
    check(!(wb && load && list & (1 << n) != 0))?;
    // A store with writeback of a base that is in the list but not its
    // lowest register stores an UNKNOWN value: here the original base,
    // as QEMU does (block_transfer writes back after the stores).
    block_transfer(cx, n, list, p, u, wb, load);
    Ok(())
}

/// SWP, SWPB: swap a register with memory.
pub fn swp(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, t, t2) = (rn(w), rd(w), rm(w));
    check(n != 15 && t != 15 && t2 != 15 && n != t && n != t2)?;
    let size = if bit(w, 22) { 1 } else { 4 };
    let addr = cx.reg(n);
    let old = cx.load(addr, size, false, size);
    let new = cx.reg(t2);
    cx.store(addr, new, size, size);
    cx.set_reg(t, old);
    Ok(())
}

fn exclusive_size(w: u32) -> u8 {
    match bits(w, 22, 21) {
        0 => 4,
        1 => 8,
        2 => 1,
        _ => 2,
    }
}

/// LDREX, LDREXB, LDREXH, LDREXD: load and arm the exclusive monitor.
pub fn ldrex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    let size = exclusive_size(w);
    check(n != 15 && t != 15 && (size != 8 || (t % 2 == 0 && t != 14)))?;
    load_exclusive(cx, n, 0, t, t + 1, size);
    Ok(())
}

/// STREX, STREXB, STREXH, STREXD.
pub fn strex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, d, t) = (rn(w), rd(w), rm(w));
    let size = exclusive_size(w);
    check(n != 15 && d != 15 && t != 15 && d != n && d != t)?;
    check(size != 8 || (t % 2 == 0 && t != 14 && d != t + 1))?;
    store_exclusive(cx, n, 0, d, t, t + 1, size);
    Ok(())
}

// ---------------------------------------------------------------------------
// T32.

/// Neither SP nor the PC.
fn ok(r: u32) -> bool {
    r != 13 && r != 15
}

/// Loads and stores of a byte, halfword or word (LDR{S}{B,H}, STR{B,H},
/// their T forms, literals) and, with Rt = PC, the preload hints. Bits:
/// S (24: sign), U (23: 12-bit offset, or the literal's add), size (22:21),
/// L (20); the 8-bit offset forms have 1PUW in 11:8, the register form
/// 000000 and a shift in 5:4.
pub fn t32_load_store(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (signed, load) = (bit(w, 24), bit(w, 20));
    let size: u8 = 1 << bits(w, 22, 21);
    check(size <= 4 && !(signed && (size == 4 || !load)))?;
    let (n, t) = (rn(w), rd(w));
    let long_offset = bit(w, 23) || n == 15;
    // The form: (index, offset, unprivileged); for the register form the
    // offset is Rm shifted left.
    let (ix, user, offset) = if long_offset {
        let ix = Index {
            u: n != 15 || bit(w, 23),
            ..Index::offset(n)
        };
        (ix, false, None)
    } else if bit(w, 11) {
        let (p, u, wb) = (bit(w, 10), bit(w, 9), bit(w, 8));
        check(p || wb)?;
        let user = p && u && !wb;
        let ix = Index {
            n,
            p,
            u: u || user,
            w: wb,
        };
        (ix, user, None)
    } else {
        check(bits(w, 11, 6) == 0)?;
        check(ok(rm(w)))?;
        (Index::offset(n), false, Some(bits(w, 5, 4)))
    };
    check(n != 15 || load)?;
    if t == 15 && load && size < 4 {
        // PLD, PLDW, PLI and the unallocated hints: no effect here; the
        // forms with writeback or User permissions are UNPREDICTABLE.
        return check(!ix.writeback() && !user);
    }
    check(!ix.writeback() || (n != t && n != 15))?;
    if load {
        check(t != 13 || size == 4)?;
        check(t != 15 || dp::last_in_it(cx))?;
        check(!(user && t == 15))?;
    } else {
        check(t != 15 && (t != 13 || size == 4))?;
    }
    let off = match offset {
        Some(shift) => {
            let m = cx.reg(rm(w));
            let s = cx.b.c32(shift);
            cx.b.shl(m, s)
        }
        None if long_offset => cx.b.c32(w & 0xfff),
        None => cx.b.c32(w & 0xff),
    };
    transfer(cx, ix, t, load, size, signed, user, off);
    Ok(())
}

/// LDRD/STRD (immediate, and LDRD literal): Rt in 15:12, Rt2 in 11:8.
pub fn t32_dual(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let ix = Index {
        n: rn(w),
        p: bit(w, 24),
        u: bit(w, 23),
        w: bit(w, 21),
    };
    let (t, t2, load) = (rd(w), rs(w), bit(w, 20));
    check(ix.p || ix.w)?;
    check(!ix.writeback() || (ix.n != t && ix.n != t2 && ix.n != 15))?;
    check(ok(t) && ok(t2) && !(load && t == t2))?;
    check(ix.n != 15 || load)?;
    let off = cx.b.c32((w & 0xff) << 2);
    dual(cx, ix, t, t2, load, off);
    Ok(())
}

/// LDM/STM (IA and DB; PUSH.W and POP.W among them).
pub fn t32_ldm_stm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let (db, wb, load) = (bit(w, 24), bit(w, 21), bit(w, 20));
    check(n != 15 && list.count_ones() >= 2 && list & (1 << 13) == 0)?;
    check(!(wb && list & (1 << n) != 0))?;
    if load {
        check(list & 0xc000 != 0xc000)?;
        check(list & 0x8000 == 0 || dp::last_in_it(cx))?;
    } else {
        check(list & 0x8000 == 0)?;
    }
    block_transfer(cx, n, list, db, !db, wb, load);
    Ok(())
}

/// LDREX (Rt in 15:12, offset imm8 * 4).
pub fn t32_ldrex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    check(n != 15 && ok(t))?;
    load_exclusive(cx, n, (w & 0xff) << 2, t, 0, 4);
    Ok(())
}

/// STREX (Rt in 15:12, Rd in 11:8, offset imm8 * 4).
pub fn t32_strex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, t, d) = (rn(w), rd(w), rs(w));
    check(n != 15 && ok(t) && ok(d) && d != n && d != t)?;
    store_exclusive(cx, n, (w & 0xff) << 2, d, t, 0, 4);
    Ok(())
}

/// The size of LDREXB/H/D and STREXB/H/D by bits 5:4.
fn t32_exclusive_size(w: u32) -> Result<u8, Undef> {
    match bits(w, 5, 4) {
        0 => Ok(1),
        1 => Ok(2),
        3 => Ok(8),
        _ => Err(Undef),
    }
}

/// LDREXB, LDREXH, LDREXD (Rt in 15:12, Rt2 in 11:8).
pub fn t32_ldrex_bhd(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let size = t32_exclusive_size(w)?;
    let (n, t, t2) = (rn(w), rd(w), rs(w));
    check(n != 15 && ok(t) && (size != 8 || (ok(t2) && t != t2)))?;
    load_exclusive(cx, n, 0, t, t2, size);
    Ok(())
}

/// STREXB, STREXH, STREXD (Rt in 15:12, Rt2 in 11:8, Rd in 3:0).
pub fn t32_strex_bhd(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let size = t32_exclusive_size(w)?;
    let (n, t, t2, d) = (rn(w), rd(w), rs(w), rm(w));
    check(n != 15 && ok(t) && ok(d) && d != n && d != t)?;
    check(size != 8 || (ok(t2) && d != t2))?;
    store_exclusive(cx, n, 0, d, t, t2, size);
    Ok(())
}

/// TBB, TBH: branch forward by twice the byte or halfword at Rn + Rm
/// (Rm * 2 for TBH).
pub fn t32_table_branch(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, m, half) = (rn(w), rm(w), bit(w, 4));
    check(n != 13 && ok(m) && dp::last_in_it(cx))?;
    let base = cx.reg(n);
    let idx = cx.reg(m);
    let idx = if half {
        let one = cx.b.c32(1);
        cx.b.shl(idx, one)
    } else {
        idx
    };
    let addr = cx.b.add(base, idx);
    let size = if half { 2 } else { 1 };
    let off = cx.load(addr, size, false, 1);
    let one = cx.b.c32(1);
    let off = cx.b.shl(off, one);
    let pc = cx.reg(15);
    let target = cx.b.add(pc, off);
    cx.branch_write_pc(target);
    Ok(())
}

// ---------------------------------------------------------------------------
// 16-bit Thumb.

fn lo3(w: u32, at: u32) -> u32 {
    bits(w, at + 2, at)
}

/// LDR Rt, [PC, #imm8 * 4].
pub fn t16_ldr_literal(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = cx.b.c32((w & 0xff) << 2);
    transfer(cx, Index::offset(15), lo3(w, 8), true, 4, false, false, off);
    Ok(())
}

/// The register-offset forms: STR, STRH, STRB, LDRSB, LDR, LDRH, LDRB,
/// LDRSH [Rn, Rm].
pub fn t16_load_store_reg(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (t, n, m) = (lo3(w, 0), lo3(w, 3), lo3(w, 6));
    let (load, size, signed) = match bits(w, 11, 9) {
        0 => (false, 4, false),
        1 => (false, 2, false),
        2 => (false, 1, false),
        3 => (true, 1, true),
        4 => (true, 4, false),
        5 => (true, 2, false),
        6 => (true, 1, false),
        _ => (true, 2, true),
    };
    let off = cx.reg(m);
    transfer(cx, Index::offset(n), t, load, size, signed, false, off);
    Ok(())
}

/// STR, LDR (imm5 * 4), STRB, LDRB (imm5), STRH, LDRH (imm5 * 2).
pub fn t16_load_store_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (t, n, imm) = (lo3(w, 0), lo3(w, 3), bits(w, 10, 6));
    let size: u8 = match bits(w, 15, 12) {
        0b0110 => 4,
        0b0111 => 1,
        _ => 2,
    };
    let off = cx.b.c32(imm * u32::from(size));
    transfer(cx, Index::offset(n), t, bit(w, 11), size, false, false, off);
    Ok(())
}

/// STR, LDR Rt, [SP, #imm8 * 4].
pub fn t16_load_store_sp(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = cx.b.c32((w & 0xff) << 2);
    transfer(
        cx,
        Index::offset(13),
        lo3(w, 8),
        bit(w, 11),
        4,
        false,
        false,
        off,
    );
    Ok(())
}

/// PUSH {registers, LR} (STMDB SP!).
pub fn t16_push(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let list = (w & 0xff) | u32::from(bit(w, 8)) << 14;
    check(list != 0)?;
    block_transfer(cx, 13, list, true, false, true, false);
    Ok(())
}

/// POP {registers, PC} (LDMIA SP!).
pub fn t16_pop(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let list = (w & 0xff) | u32::from(bit(w, 8)) << 15;
    check(list != 0)?;
    check(list & 0x8000 == 0 || dp::last_in_it(cx))?;
    block_transfer(cx, 13, list, false, true, true, true);
    Ok(())
}

/// STMIA Rn!, {registers}.
pub fn t16_stm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, list) = (lo3(w, 8), w & 0xff);
    // The base stored when it is not the list's lowest register is
    // UNKNOWN: the original, as in A32.
    check(list != 0)?;
    block_transfer(cx, n, list, false, true, true, false);
    Ok(())
}

/// LDMIA Rn{!}, {registers}: writeback unless Rn is in the list.
pub fn t16_ldm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, list) = (lo3(w, 8), w & 0xff);
    check(list != 0)?;
    block_transfer(cx, n, list, false, true, list & (1 << n) == 0, true);
    Ok(())
}
