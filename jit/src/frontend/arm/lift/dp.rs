//! Data processing: the sixteen ALU operations with their three operand
//! forms, wide moves (MOVW, MOVT) and CLZ.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum DpOp {
    And,
    Eor,
    Sub,
    Rsb,
    Add,
    Adc,
    Sbc,
    Rsc,
    Tst,
    Teq,
    Cmp,
    Cmn,
    Orr,
    Mov,
    Bic,
    Mvn,
}

const DP_OPS: [DpOp; 16] = [
    DpOp::And,
    DpOp::Eor,
    DpOp::Sub,
    DpOp::Rsb,
    DpOp::Add,
    DpOp::Adc,
    DpOp::Sbc,
    DpOp::Rsc,
    DpOp::Tst,
    DpOp::Teq,
    DpOp::Cmp,
    DpOp::Cmn,
    DpOp::Orr,
    DpOp::Mov,
    DpOp::Bic,
    DpOp::Mvn,
];

fn is_logical(op: DpOp) -> bool {
    matches!(
        op,
        DpOp::And
            | DpOp::Eor
            | DpOp::Tst
            | DpOp::Teq
            | DpOp::Orr
            | DpOp::Mov
            | DpOp::Bic
            | DpOp::Mvn
    )
}

/// The shared body of the three data-processing forms: `shifter` yields
/// the second operand and (when asked) the shifter carry-out.
fn data_processing(
    cx: &mut Ctx,
    w: u32,
    shifter: impl FnOnce(&mut Ctx, bool) -> (Value, Option<Value>),
) -> Result<(), Undef> {
    let op = DP_OPS[bits(w, 24, 21) as usize];
    let s = bit(w, 20);
    let d = rd(w);
    let compare = matches!(op, DpOp::Tst | DpOp::Teq | DpOp::Cmp | DpOp::Cmn);
    // A flag-setting write to the PC is an exception return: the result
    // goes to the PC and the SPSR to the CPSR; the flags are not set.
    let eret = s && d == 15 && !compare;
    if eret {
        cx.spsr_slot()?;
    }
    let s = s && !eret;
    let logical = is_logical(op);
    let (op2, carry) = shifter(cx, s && logical);
    let n = if matches!(op, DpOp::Mov | DpOp::Mvn) {
        None
    } else {
        Some(cx.reg(rn(w)))
    };
    let n = || n.expect("operand 1");
    let b = &mut *cx.b;
    let result = match op {
        DpOp::And | DpOp::Tst => b.and(n(), op2),
        DpOp::Eor | DpOp::Teq => b.xor(n(), op2),
        DpOp::Orr => b.or(n(), op2),
        DpOp::Bic => {
            let m = b.not(op2);
            b.and(n(), m)
        }
        DpOp::Mov => op2,
        DpOp::Mvn => b.not(op2),
        DpOp::Sub | DpOp::Cmp => cx.sub_flags(n(), op2, s),
        DpOp::Rsb => cx.sub_flags(op2, n(), s),
        DpOp::Add | DpOp::Cmn => cx.add_flags(n(), op2, s),
        DpOp::Adc => {
            let c = cx.flag(slots::CF);
            cx.add_with_carry(n(), op2, c, s)
        }
        DpOp::Sbc => {
            let m = cx.b.not(op2);
            let c = cx.flag(slots::CF);
            cx.add_with_carry(n(), m, c, s)
        }
        DpOp::Rsc => {
            let m = cx.b.not(n());
            let c = cx.flag(slots::CF);
            cx.add_with_carry(op2, m, c, s)
        }
    };
    if s && logical {
        cx.set_nz(result);
        if let Some(c) = carry {
            cx.b.set(slots::CF, c);
        }
    }
    if eret {
        return cx.exception_return(result);
    }
    if !compare {
        cx.alu_write(d, result);
    }
    Ok(())
}

/// Data processing with a modified immediate constant.
pub fn dp_imm(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    let rot = 2 * bits(w, 11, 8);
    let imm = (w & 0xff).rotate_right(rot);
    data_processing(cx, w, |cx, want_carry| {
        let v = cx.b.c32(imm);
        let c = want_carry.then(|| {
            if rot == 0 {
                cx.b.get(slots::CF)
            } else {
                cx.b.c32(imm >> 31)
            }
        });
        (v, c)
    })
}

/// Data processing with a register shifted by an immediate.
pub fn dp_imm_shift(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    data_processing(cx, w, |cx, want_carry| {
        let m = cx.reg(rm(w));
        cx.shift_imm(m, bits(w, 6, 5), bits(w, 11, 7), want_carry)
    })
}

/// Data processing with a register shifted by a register.
pub fn dp_reg_shift(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15 && rs(w) != 15 && rn(w) != 15)?;
    data_processing(cx, w, |cx, want_carry| {
        let m = cx.reg(rm(w));
        let amount = cx.reg(rs(w));
        cx.shift_reg(m, bits(w, 6, 5), amount, want_carry)
    })
}

/// MOVW: move a 16-bit immediate.
pub fn movw(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    let v = cx.b.c32(bits(w, 19, 16) << 12 | (w & 0xfff));
    cx.set_reg(rd(w), v);
    Ok(())
}

/// MOVT: move to the top halfword.
pub fn movt(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15)?;
    let old = cx.reg(rd(w));
    let b = &mut *cx.b;
    let low = b.c32(0xffff);
    let keep = b.and(old, low);
    let top = b.c32((bits(w, 19, 16) << 12 | (w & 0xfff)) << 16);
    let v = b.or(keep, top);
    cx.set_reg(rd(w), v);
    Ok(())
}

/// CLZ: count leading zeros.
pub fn clz(cx: &mut Ctx, w: u32) -> Result<(), Undef> {
    check(rd(w) != 15 && rm(w) != 15)?;
    let m = cx.reg(rm(w));
    let v = cx.b.clz(m);
    cx.set_reg(rd(w), v);
    Ok(())
}
