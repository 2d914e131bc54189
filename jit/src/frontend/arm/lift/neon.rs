//! Advanced SIMD (NEON), both instruction sets.
//!
//! Data processing: each lifter checks what makes an encoding UNDEFINED
//! (reserved sizes and opcodes, an odd register number for a Q operand,
//! D16-D31 with CPACR.D32DIS, Advanced SIMD disabled by CPACR.ASEDIS or
//! FPEXC.EN) and then calls the class's helper in [`super::super::neon`]
//! with the A32 encoding; the helper works on the register file.
//!
//! Element and structure loads and stores are IR: one guest access per
//! element (in the guest's data endianness), all loads before any register
//! is written, so a fault leaves the registers as they were. VLD1/VST1 of
//! whole registers on a little-endian guest use one 8-byte access per
//! register.

use super::super::decode_neon::to_a32;
use super::super::neon::{self as sem, Ops};
use super::super::vfp_d_slot;
use super::*;

impl Ctx<'_> {
    /// Advanced SIMD may execute: CPACR grants CP10/CP11, FPEXC.EN is
    /// set, and CPACR.ASEDIS is clear.
    fn neon_enabled(&self) -> Result<(), Undef> {
        check(self.flags & tb_flags::VFP_EN != 0 && self.flags & tb_flags::ASEDIS == 0)
    }

    /// D registers `first..first + count` exist and are accessible.
    fn neon_regs(&self, first: usize, count: usize) -> Result<(), Undef> {
        let last = first + count - 1;
        check(last <= 31 && (last < 16 || self.flags & tb_flags::D32DIS == 0))
    }

    /// Calls `helper` with the encoding.
    fn neon_call(&mut self, helper: Helper, w: u32) {
        let a = self.b.iconst(Type::I64, u64::from(w));
        self.b.call(helper, &[a]);
    }
}

/// A Q operand (when `q`) must name an even D register.
fn q_ok(q: bool, regs: &[usize]) -> Result<(), Undef> {
    check(!q || regs.iter().all(|r| r & 1 == 0))
}

/// Checks the operands of a same-length operation on D or Q registers
/// and calls the helper.
fn same_length(cx: &mut Ctx, w: u32, o: Ops, helper: Helper) -> Result<(), Undef> {
    q_ok(o.q, &[o.d, o.n, o.m])?;
    for r in [o.d, o.n, o.m] {
        cx.neon_regs(r, o.regs())?;
    }
    cx.neon_call(helper, w);
    Ok(())
}

/// Three registers of the same length.
pub fn neon_three_same(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    let (a, b, u, size, c1) = (bits(w, 11, 8), bit(w, 4), o.u, o.size, bit(w, 21));
    let ok = match (a, b) {
        (0b0000, false) | (0b0001, false) | (0b0010, false) => size != 3,
        (0b0000, true) | (0b0010, true) | (0b0100, _) | (0b0101, _) => true,
        (0b0001, true) => true,
        (0b0011, _) | (0b0110, _) | (0b0111, _) => size != 3,
        (0b1000, false) => true,
        (0b1000, true) => size != 3,
        (0b1001, false) => size != 3,
        (0b1001, true) => size != 3 && (!u || size == 0),
        (0b1010, _) => size != 3 && !o.q,
        (0b1011, false) => size == 1 || size == 2,
        (0b1011, true) => !u && size != 3 && !o.q,
        // Floating point: single precision only (sz, bit 20, clear).
        _ if bit(w, 20) => false,
        (0b1100, true) => !u,
        (0b1100, false) => false,
        (0b1101, false) => !(u && !c1 && o.q),
        (0b1101, true) => !u || !c1,
        (0b1110, false) => u || !c1,
        (0b1110, true) => u,
        (0b1111, false) => !(u && o.q),
        _ => !u,
    };
    check(ok)?;
    same_length(cx, w, o, sem::THREE_SAME)
}

/// One register and a modified immediate.
pub fn neon_mod_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    check(!(bits(w, 11, 8) == 0b1111 && bit(w, 5)))?;
    q_ok(o.q, &[o.d])?;
    cx.neon_regs(o.d, o.regs())?;
    cx.neon_call(sem::MOD_IMM, w);
    Ok(())
}

/// Two registers and a shift amount.
pub fn neon_shift_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    let l = bit(w, 7);
    match a {
        0b0000..=0b0011 | 0b0101 => same_length(cx, w, Ops { n: o.m, ..o }, sem::SHIFT_IMM),
        0b0100 => {
            check(o.u)?;
            same_length(cx, w, Ops { n: o.m, ..o }, sem::SHIFT_IMM)
        }
        0b0110 | 0b0111 => {
            check(o.u || bit(w, 8))?;
            same_length(cx, w, Ops { n: o.m, ..o }, sem::SHIFT_IMM)
        }
        // Narrowing: Qm to Dd.
        0b1000 | 0b1001 => {
            check(!l && o.m & 1 == 0)?;
            cx.neon_regs(o.m, 2)?;
            cx.neon_regs(o.d, 1)?;
            cx.neon_call(sem::SHIFT_IMM, w);
            Ok(())
        }
        // Lengthening: Dm to Qd.
        0b1010 => {
            check(!l && !o.q && o.d & 1 == 0)?;
            cx.neon_regs(o.d, 2)?;
            cx.neon_regs(o.m, 1)?;
            cx.neon_call(sem::SHIFT_IMM, w);
            Ok(())
        }
        // Float to or from fixed point: 32-bit lanes only.
        0b1110 | 0b1111 => {
            check(!l && bit(w, 21))?;
            same_length(cx, w, Ops { n: o.m, ..o }, sem::SHIFT_IMM)
        }
        _ => Err(Undef),
    }
}

/// Three registers of different lengths.
pub fn neon_three_diff(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    // Size 11 belongs to VEXT, the miscellaneous class, VTBL and VDUP;
    // what they leave is unallocated.
    check(o.size != 3)?;
    let (d_wide, n_wide, m_wide) = match a {
        0b0000 | 0b0010 | 0b0101 | 0b0111 | 0b1000 | 0b1010 | 0b1100 => (true, false, false),
        0b0001 | 0b0011 => (true, true, false),
        0b0100 | 0b0110 => (false, true, true),
        0b1001 | 0b1011 | 0b1101 => {
            check(!o.u && o.size != 0)?;
            (true, false, false)
        }
        0b1110 => {
            check(!o.u && o.size == 0)?;
            (true, false, false)
        }
        _ => return Err(Undef),
    };
    for (r, wide) in [(o.d, d_wide), (o.n, n_wide), (o.m, m_wide)] {
        check(!wide || r & 1 == 0)?;
        cx.neon_regs(r, if wide { 2 } else { 1 })?;
    }
    cx.neon_call(sem::THREE_DIFF, w);
    Ok(())
}

/// Two registers and a scalar.
pub fn neon_scalar(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    let a = bits(w, 11, 8);
    // Size 11 is another class's (see three registers of different
    // lengths); bytes have no scalar forms.
    check(o.size != 0 && o.size != 3)?;
    let (dm, _) = sem::scalar_operand(w, o.size);
    cx.neon_regs(dm, 1)?;
    match a {
        // Same length; Q is bit 24.
        0b0000 | 0b0001 | 0b0100 | 0b0101 | 0b1000 | 0b1001 | 0b1100 | 0b1101 => {
            let float = a & 1 == 1 && a < 0b1100;
            check(!float || o.size == 2)?;
            let q = o.u;
            q_ok(q, &[o.d, o.n])?;
            let regs = if q { 2 } else { 1 };
            cx.neon_regs(o.d, regs)?;
            cx.neon_regs(o.n, regs)?;
        }
        // Long: Dn to Qd.
        0b0010 | 0b0110 | 0b1010 | 0b0011 | 0b0111 | 0b1011 => {
            check(a & 1 == 0 || a == 0b1010 || !o.u)?;
            check(o.d & 1 == 0)?;
            cx.neon_regs(o.d, 2)?;
            cx.neon_regs(o.n, 1)?;
        }
        _ => return Err(Undef),
    }
    cx.neon_call(sem::SCALAR, w);
    Ok(())
}

/// VEXT.
pub fn neon_ext(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    check(o.q || !bit(w, 11))?;
    same_length(cx, w, o, sem::EXT)
}

/// Two registers, miscellaneous.
pub fn neon_misc(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    let size = bits(w, 19, 18);
    let o = Ops { size, n: o.m, ..o };
    let a = bits(w, 17, 16);
    let b = bits(w, 10, 7);
    let same = |cx: &mut Ctx, ok: bool| -> Result<(), Undef> {
        check(ok)?;
        same_length(cx, w, o, sem::MISC)
    };
    match (a, b) {
        (0b00, 0b0000..=0b0010) => same(cx, b + size < 3),
        (0b00, 0b0100 | 0b0101 | 0b1100 | 0b1101) => same(cx, size != 3),
        (0b00, 0b1000 | 0b1001 | 0b1110 | 0b1111) => same(cx, size != 3),
        (0b00, 0b1010 | 0b1011) => same(cx, size == 0),
        (0b01, _) => {
            let float = bit(w, 10);
            same(cx, size != 3 && b & 7 != 0b101 && (!float || size == 2))
        }
        (0b10, 0b0000) => same(cx, size == 0),
        (0b10, 0b0001) => same(cx, size != 3),
        (0b10, 0b0010 | 0b0011) => same(cx, size != 3 && (o.q || size != 2)),
        // Narrowing: Qm to Dd.
        (0b10, 0b0100 | 0b0101) => {
            check(size != 3 && o.m & 1 == 0)?;
            cx.neon_regs(o.m, 2)?;
            cx.neon_regs(o.d, 1)?;
            cx.neon_call(sem::MISC, w);
            Ok(())
        }
        // VSHLL (maximum shift): Dm to Qd.
        (0b10, 0b0110) if !o.q => {
            check(size != 3 && o.d & 1 == 0)?;
            cx.neon_regs(o.d, 2)?;
            cx.neon_regs(o.m, 1)?;
            cx.neon_call(sem::MISC, w);
            Ok(())
        }
        // Half precision: F16.F32 (Qm to Dd) or F32.F16 (Dm to Qd).
        (0b10, 0b1100 | 0b1110) if !o.q => {
            check(size == 1)?;
            let to_single = bit(w, 8);
            let (wide, narrow) = if to_single { (o.d, o.m) } else { (o.m, o.d) };
            check(wide & 1 == 0)?;
            cx.neon_regs(wide, 2)?;
            cx.neon_regs(narrow, 1)?;
            cx.neon_call(sem::MISC, w);
            Ok(())
        }
        (0b11, 0b1000..=0b1111) => same(cx, size == 2),
        _ => Err(Undef),
    }
}

/// VTBL, VTBX.
pub fn neon_tbl(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    let len = bits(w, 9, 8) as usize + 1;
    check(o.n + len <= 32)?;
    cx.neon_regs(o.n, len)?;
    cx.neon_regs(o.d, 1)?;
    cx.neon_regs(o.m, 1)?;
    cx.neon_call(sem::TBL, w);
    Ok(())
}

/// VDUP (scalar).
pub fn neon_dup_scalar(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let o = Ops::of(w);
    check(bits(w, 18, 16) != 0)?;
    q_ok(o.q, &[o.d])?;
    cx.neon_regs(o.d, o.regs())?;
    cx.neon_regs(o.m, 1)?;
    cx.neon_call(sem::DUP_SCALAR, w);
    Ok(())
}

// -------------------------------------------------- loads and stores

/// What one element or structure load/store instruction transfers.
struct Transfer {
    /// Structure members (1-4).
    members: usize,
    /// Element size in bytes.
    ebytes: u32,
    /// The register of each member's first element, and how many
    /// registers each member fills in turn (multiple structures).
    regs: Vec<usize>,
    /// Registers per member (multiple structures: 1, or 2-4 for VLD1 and
    /// the VLD2 of four registers).
    per_member: usize,
    /// The alignment the address must have (1: none required).
    alignment: u32,
}

/// Decodes a multiple-structures encoding.
fn multiple(w: u32) -> Result<Transfer, Undef> {
    let d = (u32::from(bit(w, 22)) << 4 | bits(w, 15, 12)) as usize;
    let ty = bits(w, 11, 8);
    let size = bits(w, 7, 6);
    let align = bits(w, 5, 4);
    let (members, per_member, inc) = sem::multiple_layout(ty).ok_or(Undef)?;
    let ok = match (members, per_member) {
        (1, 1) | (1, 3) => align & 2 == 0,
        (1, 2) => align != 3,
        (1, _) => true,
        (2, 2) => size != 3,
        (2, _) => size != 3 && align != 3,
        (3, _) => size != 3 && align & 2 == 0,
        _ => size != 3,
    };
    check(ok)?;
    let regs: Vec<usize> = (0..members).map(|s| d + s * inc).collect();
    check(regs[members - 1] + per_member <= 32)?;
    Ok(Transfer {
        members,
        ebytes: 1 << size,
        regs,
        per_member,
        alignment: if align == 0 { 1 } else { 4 << align },
    })
}

/// Element or structure load/store, multiple structures.
pub fn neon_ld_st_multiple(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let t = multiple(w)?;
    let n = rn(w);
    check(n != 15)?;
    for &r in &t.regs {
        cx.neon_regs(r, t.per_member)?;
    }
    let load = bit(w, 21);
    let base = cx.reg(n);
    let per = 8 / t.ebytes;
    let mut first = true;
    let mut offset = 0u32;
    if t.members == 1 && cx.endian == Endian::Little {
        // Whole registers in order: one doubleword each.
        let mut loaded = Vec::new();
        for k in 0..t.per_member {
            let addr = address(cx, base, offset);
            let a = elem_access(cx, 8, t.ebytes, if first { t.alignment } else { 1 });
            first = false;
            let slot = vfp_d_slot((t.regs[0] + k) as u32);
            if load {
                loaded.push((slot, cx.b.load(Type::I64, addr, a)));
            } else {
                let v = cx.b.get(slot);
                cx.b.store(addr, v, a);
                cx.stores = true;
            }
            offset += 8;
        }
        for (slot, v) in loaded {
            cx.b.set(slot, v);
        }
    } else {
        // Element by element: member s of structure i goes to element i
        // of register regs[s] + (i / per).
        let total_regs = t.per_member;
        let mut values: Vec<Option<Value>> = vec![None; t.members * total_regs];
        for r in 0..total_regs {
            for i in 0..per {
                for s in 0..t.members {
                    let addr = address(cx, base, offset);
                    let a =
                        elem_access(cx, t.ebytes, t.ebytes, if first { t.alignment } else { 1 });
                    first = false;
                    let slot_index = s * total_regs + r;
                    let reg = t.regs[s] + r;
                    let sh = i * t.ebytes * 8;
                    if load {
                        let x = cx.b.load(Type::I64, addr, a);
                        let acc = match values[slot_index] {
                            None => shift_left(cx, x, sh),
                            Some(v) => insert(cx, v, x, sh, t.ebytes),
                        };
                        values[slot_index] = Some(acc);
                    } else {
                        let v = cx.b.get(vfp_d_slot(reg as u32));
                        let x = extract(cx, v, sh, t.ebytes);
                        cx.b.store(addr, x, a);
                        cx.stores = true;
                    }
                    offset += t.ebytes;
                }
            }
        }
        if load {
            for s in 0..t.members {
                for r in 0..total_regs {
                    if let Some(v) = values[s * total_regs + r] {
                        cx.b.set(vfp_d_slot((t.regs[s] + r) as u32), v);
                    }
                }
            }
        }
    }
    writeback(cx, w, n, base, offset);
    Ok(())
}

/// Element or structure load/store, one lane (or, loads only, all lanes).
pub fn neon_ld_st_single(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let w = to_a32(w);
    cx.neon_enabled()?;
    let n = rn(w);
    check(n != 15)?;
    let load = bit(w, 21);
    let d = (u32::from(bit(w, 22)) << 4 | bits(w, 15, 12)) as usize;
    let members = bits(w, 9, 8) as usize + 1;
    let base = cx.reg(n);
    if bits(w, 11, 10) == 0b11 {
        // All lanes.
        check(load)?;
        let size = bits(w, 7, 6);
        let t = bit(w, 5);
        let a = bit(w, 4);
        let (ebytes, alignment, inc, regs_each) = match members {
            1 => {
                check(size != 3 && !(size == 0 && a))?;
                let eb = 1 << size;
                (eb, if a { eb } else { 1 }, 1, if t { 2 } else { 1 })
            }
            2 => {
                check(size != 3)?;
                let eb = 1 << size;
                (eb, if a { 2 * eb } else { 1 }, if t { 2 } else { 1 }, 1)
            }
            3 => {
                check(size != 3 && !a)?;
                (1 << size, 1, if t { 2 } else { 1 }, 1)
            }
            _ => {
                check(size != 3 || a)?;
                let eb = if size == 3 { 4 } else { 1 << size };
                let al = match (a, size) {
                    (false, _) => 1,
                    (true, 3) => 16,
                    (true, 2) => 8,
                    (true, _) => 4 * eb,
                };
                (eb, al, if t { 2 } else { 1 }, 1)
            }
        };
        let regs: Vec<usize> = (0..members).map(|s| d + s * inc).collect();
        check(regs[members - 1] + regs_each <= 32)?;
        for &r in &regs {
            cx.neon_regs(r, regs_each)?;
        }
        let mut values = Vec::new();
        for s in 0..members {
            let addr = address(cx, base, s as u32 * ebytes);
            let acc = elem_access(cx, ebytes, ebytes, if s == 0 { alignment } else { 1 });
            let x = cx.b.load(Type::I64, addr, acc);
            values.push(replicate(cx, x, ebytes));
        }
        for (s, v) in values.into_iter().enumerate() {
            for k in 0..regs_each {
                cx.b.set(vfp_d_slot((regs[s] + k) as u32), v);
            }
        }
        writeback(cx, w, n, base, members as u32 * ebytes);
        return Ok(());
    }
    // One lane.
    let size = bits(w, 11, 10);
    let ia = bits(w, 7, 4);
    let ebytes = 1u32 << size;
    let (index, inc) = match size {
        0 => (ia >> 1, 1),
        1 => (ia >> 2, if ia & 2 != 0 { 2 } else { 1 }),
        _ => (ia >> 3, if ia & 4 != 0 { 2 } else { 1 }),
    };
    let alignment = match (members, size) {
        (1, 0) => {
            check(ia & 1 == 0)?;
            1
        }
        (1, 1) => {
            check(ia & 2 == 0)?;
            if ia & 1 != 0 {
                2
            } else {
                1
            }
        }
        (1, _) => {
            check(ia & 4 == 0 && matches!(ia & 3, 0 | 3))?;
            if ia & 3 == 3 {
                4
            } else {
                1
            }
        }
        (2, 0) => {
            if ia & 1 != 0 {
                2
            } else {
                1
            }
        }
        (2, 1) => {
            if ia & 1 != 0 {
                4
            } else {
                1
            }
        }
        (2, _) => {
            check(ia & 2 == 0)?;
            if ia & 1 != 0 {
                8
            } else {
                1
            }
        }
        (3, 0) => {
            check(ia & 1 == 0)?;
            1
        }
        (3, 1) => {
            check(ia & 1 == 0)?;
            1
        }
        (3, _) => {
            check(ia & 3 == 0)?;
            1
        }
        (_, 0) => {
            if ia & 1 != 0 {
                4
            } else {
                1
            }
        }
        (_, 1) => {
            if ia & 1 != 0 {
                8
            } else {
                1
            }
        }
        (_, _) => {
            check(ia & 3 != 3)?;
            match ia & 3 {
                0 => 1,
                1 => 8,
                _ => 16,
            }
        }
    };
    let inc = if members == 1 { 1 } else { inc };
    let regs: Vec<usize> = (0..members).map(|s| d + s * inc).collect();
    check(regs[members - 1] < 32)?;
    for &r in &regs {
        cx.neon_regs(r, 1)?;
    }
    let sh = index * ebytes * 8;
    let mut loaded = Vec::new();
    for (s, &r) in regs.iter().enumerate() {
        let addr = address(cx, base, s as u32 * ebytes);
        let acc = elem_access(cx, ebytes, ebytes, if s == 0 { alignment } else { 1 });
        let slot = vfp_d_slot(r as u32);
        if load {
            let x = cx.b.load(Type::I64, addr, acc);
            loaded.push((slot, x));
        } else {
            let v = cx.b.get(slot);
            let x = extract(cx, v, sh, ebytes);
            cx.b.store(addr, x, acc);
            cx.stores = true;
        }
    }
    for (slot, x) in loaded {
        let v = cx.b.get(slot);
        let v = insert(cx, v, x, sh, ebytes);
        cx.b.set(slot, v);
    }
    writeback(cx, w, n, base, members as u32 * ebytes);
    Ok(())
}

/// `base + offset`.
fn address(cx: &mut Ctx, base: Value, offset: u32) -> Value {
    if offset == 0 {
        return base;
    }
    let o = cx.b.c32(offset);
    cx.b.add(base, o)
}

/// The access of one transfer of `size` bytes holding elements of
/// `ebytes`: aligned to `alignment` when the instruction says so, and to
/// the element size when SCTLR.A is set.
fn elem_access(cx: &Ctx, size: u32, ebytes: u32, alignment: u32) -> MemAccess {
    let strict = if cx.flags & tb_flags::STRICT_ALIGN != 0 {
        ebytes
    } else {
        1
    };
    MemAccess {
        size: size as u8,
        signed: false,
        endian: cx.endian,
        align: alignment.max(strict) as u8,
        mmu_idx: None,
    }
}

/// Rn += the bytes transferred (Rm = 13) or Rm (Rm != 15).
fn writeback(cx: &mut Ctx, w: u32, n: u32, base: Value, bytes: u32) {
    let m = bits(w, 3, 0);
    match m {
        15 => {}
        13 => {
            let nb = address(cx, base, bytes);
            cx.set_reg(n, nb);
        }
        _ => {
            let rm = cx.reg(m);
            let nb = cx.b.add(base, rm);
            cx.set_reg(n, nb);
        }
    }
}

fn shift_left(cx: &mut Ctx, x: Value, sh: u32) -> Value {
    if sh == 0 {
        return x;
    }
    let s = cx.b.iconst(Type::I64, u64::from(sh));
    cx.b.shl(x, s)
}

/// `v` with the `ebytes` at bit `sh` replaced by the low `ebytes` of `x`.
fn insert(cx: &mut Ctx, v: Value, x: Value, sh: u32, ebytes: u32) -> Value {
    if ebytes == 8 {
        return x;
    }
    let emask = (1u64 << (8 * ebytes)) - 1;
    let keep = cx.b.iconst(Type::I64, !(emask << sh));
    let kept = cx.b.and(v, keep);
    let m = cx.b.iconst(Type::I64, emask);
    let x = cx.b.and(x, m);
    let placed = shift_left(cx, x, sh);
    cx.b.or(kept, placed)
}

/// The `ebytes` of `v` at bit `sh`.
fn extract(cx: &mut Ctx, v: Value, sh: u32, ebytes: u32) -> Value {
    let shifted = if sh == 0 {
        v
    } else {
        let s = cx.b.iconst(Type::I64, u64::from(sh));
        cx.b.lshr(v, s)
    };
    if ebytes == 8 {
        return shifted;
    }
    let m = cx.b.iconst(Type::I64, (1u64 << (8 * ebytes)) - 1);
    cx.b.and(shifted, m)
}

/// `x` (an element of `ebytes`) in every lane of a doubleword.
fn replicate(cx: &mut Ctx, x: Value, ebytes: u32) -> Value {
    let factor = match ebytes {
        1 => 0x0101_0101_0101_0101u64,
        2 => 0x0001_0001_0001_0001,
        _ => 0x0000_0001_0000_0001,
    };
    let f = cx.b.iconst(Type::I64, factor);
    cx.b.mul(x, f)
}

// ------------------------------------------- core register transfers

/// VMOV between a core register and a scalar (`Dn[x]`): 8-, 16- or
/// 32-bit elements. The 32-bit form is VFP; the others need Advanced
/// SIMD.
pub fn neon_vmov_scalar(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let Some((es, idx)) = super::super::disasm_neon::scalar_select(w) else {
        return Err(Undef);
    };
    let to_core = bit(w, 20);
    let unsigned = bit(w, 23);
    if es == 32 {
        cx.vfp_enabled()?;
        check(!(to_core && unsigned))?;
    } else {
        cx.neon_enabled()?;
    }
    let t = rd(w);
    check(t != 15 && !(cx.thumb && t == 13))?;
    let v = (u32::from(bit(w, 7)) << 4 | bits(w, 19, 16)) as usize;
    cx.neon_regs(v, 1)?;
    let slot = vfp_d_slot(v as u32);
    let ebytes = es / 8;
    let sh = idx * es;
    let d = cx.b.get(slot);
    if to_core {
        let x = extract(cx, d, sh, ebytes);
        let x = if es < 32 && !unsigned {
            let narrow = cx.b.zext(x, if es == 8 { Type::I8 } else { Type::I16 });
            cx.b.sext(narrow, Type::I32)
        } else {
            cx.b.zext(x, Type::I32)
        };
        cx.set_reg(t, x);
    } else {
        let rt = cx.reg(t);
        let x = cx.b.zext(rt, Type::I64);
        let nd = insert(cx, d, x, sh, ebytes);
        cx.b.set(slot, nd);
    }
    Ok(())
}

/// VDUP (core register): Rt's low byte, halfword or word in every lane.
pub fn neon_vdup_core(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    cx.neon_enabled()?;
    let ebytes = match (bit(w, 22), bit(w, 5)) {
        (false, false) => 4,
        (false, true) => 2,
        (true, false) => 1,
        (true, true) => return Err(Undef),
    };
    let q = bit(w, 21);
    let v = (u32::from(bit(w, 7)) << 4 | bits(w, 19, 16)) as usize;
    let t = rd(w);
    check(t != 15 && !(cx.thumb && t == 13))?;
    q_ok(q, &[v])?;
    let regs = if q { 2 } else { 1 };
    cx.neon_regs(v, regs)?;
    let rt = cx.reg(t);
    let x = cx.b.zext(rt, Type::I64);
    let x = extract(cx, x, 0, ebytes);
    let r = replicate(cx, x, ebytes);
    for k in 0..regs {
        cx.b.set(vfp_d_slot((v + k) as u32), r);
    }
    Ok(())
}
