//! Loads and stores: single transfers (all addressing modes and the T
//! forms), halfword, signed and dual transfers, LDM/STM, SWP and the
//! exclusives.

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

/// Address computation shared by the single-transfer forms. Returns the
/// address to access and, for writeback forms, the new base.
fn indexed(cx: &mut Ctx, w: u32, offset: Value) -> (Value, Option<Value>) {
    let (p, u, wb) = (bit(w, 24), bit(w, 23), bit(w, 21));
    let base = cx.reg(rn(w));
    let offset_addr = if u {
        cx.b.add(base, offset)
    } else {
        cx.b.sub(base, offset)
    };
    let addr = if p { offset_addr } else { base };
    let writeback = (!p || wb).then_some(offset_addr);
    (addr, writeback)
}

/// Performs a single load or store with the computed address. `size` and
/// `signed` give the access; loads write Rt after the access and the
/// writeback.
fn transfer(
    cx: &mut Ctx,
    w: u32,
    load: bool,
    size: u8,
    signed: bool,
    offset: Value,
) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    // Post-indexed with W set: the T forms (LDRT, STRBT, LDRHT...), which
    // access memory with User-mode permissions.
    let unprivileged = !bit(w, 24) && bit(w, 21);
    let (addr, writeback) = indexed(cx, w, offset);
    check(writeback.is_none() || (n != 15 && n != t))?;
    if unprivileged {
        check(t != 15)?;
        if load {
            let v = cx.load_user(addr, size, signed);
            if let Some(nb) = writeback {
                cx.set_reg(n, nb);
            }
            cx.set_reg(t, v);
        } else {
            let v = cx.reg(t);
            cx.store_user(addr, v, size);
            if let Some(nb) = writeback {
                cx.set_reg(n, nb);
            }
        }
        return Ok(());
    }
    if load {
        let v = cx.load(addr, size, signed, 1);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
        if t == 15 {
            check(size == 4)?;
        }
        cx.load_write(t, v);
    } else {
        check(t != 15 || size == 4)?;
        let v = cx.reg(t);
        cx.store(addr, v, size, 1);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
    }
    Ok(())
}

/// LDR/STR/LDRB/STRB (and the T forms) with an immediate offset.
pub fn load_store_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let off = cx.b.c32(w & 0xfff);
    transfer(
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
    transfer(
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
        (1, _) => transfer(cx, w, load, 2, false, off),
        (2, true) => transfer(cx, w, true, 1, true, off),
        (3, true) => transfer(cx, w, true, 2, true, off),
        (op, false) => dual(cx, w, op == 2, off),
        _ => Err(Undef),
    }
}

/// LDRD/STRD: two words, Rt (even) and Rt+1.
fn dual(cx: &mut Ctx, w: u32, load: bool, offset: Value) -> Result<(), Undef> {
    let (n, t) = (rn(w), rd(w));
    check(t % 2 == 0 && t != 14)?;
    check(bit(w, 24) || !bit(w, 21))?;
    let (addr, writeback) = indexed(cx, w, offset);
    check(writeback.is_none() || (n != 15 && n != t && n != t + 1))?;
    check(bit(w, 22) || (rm(w) != t && rm(w) != t + 1) || !load)?;
    let four = cx.b.c32(4);
    let addr2 = cx.b.add(addr, four);
    if load {
        let lo = cx.load(addr, 4, false, 4);
        let hi = cx.load(addr2, 4, false, 4);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
        cx.set_reg(t, lo);
        cx.set_reg(t + 1, hi);
    } else {
        let lo = cx.reg(t);
        let hi = cx.reg(t + 1);
        cx.store(addr, lo, 4, 4);
        cx.store(addr2, hi, 4, 4);
        if let Some(nb) = writeback {
            cx.set_reg(n, nb);
        }
    }
    Ok(())
}

/// LDM/STM in all four addressing modes (PUSH and POP among them).
pub fn ldm_stm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let n = rn(w);
    let list = w & 0xffff;
    let count = list.count_ones();
    let (p, u, wb, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    check(n != 15 && count >= 1)?;
    check(!(wb && load && list & (1 << n) != 0))?;
    // A store of the base with writeback stores the original base only if
    // it is the lowest register; otherwise the value is UNKNOWN.
    check(!(wb && !load && list & (1 << n) != 0 && list.trailing_zeros() != n))?;
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
    let addr = cx.reg(n);
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
        cx.set_reg(t + 1, hi);
    } else {
        let v = cx.load(addr, size, false, size);
        let v64 = cx.b.zext(v, Type::I64);
        cx.b.set(slots::EXCL_ADDR, addr64);
        cx.b.set(slots::EXCL_VAL, v64);
        cx.set_reg(t, v);
    }
    Ok(())
}

/// STREX, STREXB, STREXH, STREXD: store if the monitor still holds the
/// address and memory still holds the value the load-exclusive read.
pub fn strex(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let (n, d, t) = (rn(w), rd(w), rm(w));
    let size = exclusive_size(w);
    check(n != 15 && d != 15 && t != 15 && d != n && d != t)?;
    check(size != 8 || (t % 2 == 0 && t != 14 && d != t + 1))?;
    let addr = cx.reg(n);
    let lo = cx.reg(t);
    let lo64 = cx.b.zext(lo, Type::I64);
    let value = if size == 8 {
        let hi = cx.reg(t + 1);
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
    Ok(())
}
