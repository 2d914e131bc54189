//! The T32 instruction's frame: the decode table lookup, the condition
//! (an IT block's, or a conditional branch's own) and ITSTATE.
//!
//! ITSTATE advances after every instruction of an IT block: the base
//! condition stays in bits 7:5, the mask in 4:0 shifts left, and the
//! block is over when bits 2:0 are zero. The lifter tracks it while it
//! translates (it starts from the block's translation flags) and writes
//! the CPSR's IT bits only where their value changes; see the module
//! documentation of [`super`] for when they must hold what.

use super::*;
use crate::frontend::arm::decode_t32;

/// ITSTATE while a block is translated.
#[derive(Clone, Copy, Debug)]
pub struct ItTrack {
    /// The ITSTATE of the instruction being translated.
    pub current: u32,
    /// What the CPSR's IT bits hold at this point of the block.
    pub known: u32,
}

impl ItTrack {
    /// At the start of a block translated with `flags`.
    pub fn new(flags: u32) -> Self {
        let it = psr::itstate(flags);
        ItTrack {
            current: it,
            known: it,
        }
    }
}

/// ITSTATE after an instruction executed under `it` (ITAdvance).
pub fn advance(it: u32) -> u32 {
    if it & 7 == 0 {
        0
    } else {
        (it & 0xe0) | (it << 1 & 0x1f)
    }
}

/// The condition of a conditional branch encoding outside IT blocks
/// (B<c> and B<c>.W), if `insn` is one.
fn branch_condition(insn: u32, len: u32) -> Option<u32> {
    let cond = if len == 2 {
        (insn >> 12 == 0xd).then_some(insn >> 8 & 0xf)
    } else {
        (insn >> 27 == 0b11110 && insn >> 14 & 3 == 0b10 && insn >> 12 & 1 == 0)
            .then_some(insn >> 22 & 0xf)
    };
    cond.filter(|&c| c < 0xe)
}

/// Lifts one T32 instruction of `len` bytes (2 or 4; a 32-bit one with
/// its first halfword in bits 31:16). Returns the block's terminal if the
/// instruction ends the block.
pub fn lift_t32(
    b: &mut Builder,
    pc: u32,
    insn: u32,
    len: u32,
    flags: u32,
    mmu_idx: u8,
    it: &mut ItTrack,
) -> Option<Terminal> {
    let start = b.len();
    let enc = if len == 2 {
        decode_t32::lookup16(insn)
    } else {
        decode_t32::lookup32(insn)
    };
    let Some(enc) = enc else {
        return Some(undefined_trap(insn));
    };
    let mut cx = Ctx::new(b, pc, true, len, flags, mmu_idx);
    cx.itstate = it.current;
    let cond = if it.current & 0xf != 0 {
        it.current >> 4
    } else {
        branch_condition(insn, len).unwrap_or(0xe)
    };
    let skip = (cond < 0xe).then(|| cx.skip_unless(cond));
    let body = cx.b.len();
    if (enc.handler)(&mut cx, insn).is_err() {
        // Not credited: the instruction's own ITSTATE stays.
        cx.b.truncate(start);
        return Some(undefined_trap(insn));
    }
    let next = cx.it_start.unwrap_or_else(|| advance(it.current));
    let write = (next != it.known).then_some(next);
    let terminal = finish(&mut cx, cond, skip, start, body, write);
    it.known = next;
    it.current = next;
    terminal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itstate_advances_through_the_block() {
        // ITTE EQ: firstcond 0000, mask 0110 -> EQ, EQ, NE.
        let mut it = 0x06;
        let mut conds = Vec::new();
        while it & 0xf != 0 {
            conds.push(it >> 4);
            it = advance(it);
        }
        assert_eq!(conds, [0, 0, 1]);
        // IT GT (one instruction): mask 1000.
        assert_eq!(advance(0xc8), 0);
    }

    #[test]
    fn conditional_branches_carry_their_condition() {
        assert_eq!(branch_condition(0xd0fe, 2), Some(0)); // beq
        assert_eq!(branch_condition(0xdefe, 2), None); // udf
        assert_eq!(branch_condition(0xf040_8000, 4), Some(1)); // bne.w
        assert_eq!(branch_condition(0xf3af_8000, 4), None); // nop.w
        assert_eq!(branch_condition(0xf000_b800, 4), None); // b.w
    }
}
