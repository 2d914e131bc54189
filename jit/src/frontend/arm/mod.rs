//! The 32-bit ARM frontend: both instruction sets, A32 (ARM state) and
//! T32 (Thumb state, 16- and 32-bit encodings with IT blocks).
//!
//! - [`decode`], [`decode_t32`]: the decode tables, one line per encoding.
//! - [`lift`]: the handlers that lift each encoding to IR, by instruction
//!   class, each class shared by both instruction sets.
//! - [`helpers`]: runtime helpers for the few instructions whose semantics
//!   are clearer as Rust than as IR (saturation, SIMD-within-a-register,
//!   store-exclusive).
//! - [`disasm`], [`disasm_t32`]: disassembly for traces and reports.
//!
//! What counts toward icount: every instruction that is fetched and
//! decoded, whether its condition passes or not (in Thumb state IT itself
//! counts, and so does each instruction of its block). An undefined
//! encoding is not counted (it faults); SVC and BKPT are (their effect is
//! the trap).

pub mod decode;
pub mod decode_neon;
pub mod decode_t32;
pub mod decode_vfp;
pub mod disasm;
pub mod disasm_neon;
pub mod disasm_t32;
pub mod disasm_vfp;
pub mod helpers;
pub mod lift;
pub mod neon;
pub mod vfp;

use crate::ir::Block;
use crate::ir::{BlockKey, Builder, Slot, Terminal, Type};
use lockstep_runtime::arm::{psr, ArmCpu};
use lockstep_runtime::bus::PAGE_SIZE;
use lockstep_runtime::env::{Access, CpuEnv, FaultKind, GuestFault};
use lockstep_runtime::softmmu;
use std::mem::offset_of;

type Env = CpuEnv<ArmCpu>;

/// The environment slot of register `r`.
pub const fn reg_slot(r: u32) -> Slot {
    Slot {
        offset: (offset_of!(Env, arch) + offset_of!(ArmCpu, regs) + 4 * r as usize) as u32,
        ty: Type::I32,
    }
}

const fn arch_slot(field_offset: usize) -> Slot {
    Slot {
        offset: (offset_of!(Env, arch) + field_offset) as u32,
        ty: Type::I32,
    }
}

/// Guest state slots other than r0–r15.
pub mod slots {
    use super::*;
    /// The N flag.
    pub const NF: Slot = arch_slot(offset_of!(ArmCpu, nf));
    /// The Z flag.
    pub const ZF: Slot = arch_slot(offset_of!(ArmCpu, zf));
    /// The C flag.
    pub const CF: Slot = arch_slot(offset_of!(ArmCpu, cf));
    /// The V flag.
    pub const VF: Slot = arch_slot(offset_of!(ArmCpu, vf));
    /// The Q flag.
    pub const QF: Slot = arch_slot(offset_of!(ArmCpu, qf));
    /// GE[3:0].
    pub const GE: Slot = arch_slot(offset_of!(ArmCpu, ge));
    /// The other CPSR bits.
    pub const CPSR_REST: Slot = arch_slot(offset_of!(ArmCpu, cpsr_rest));
    /// The exclusive monitor's address.
    pub const EXCL_ADDR: Slot = Slot {
        offset: (offset_of!(Env, arch) + offset_of!(ArmCpu, excl_addr)) as u32,
        ty: Type::I64,
    };
    /// The value the load-exclusive read.
    pub const EXCL_VAL: Slot = Slot {
        offset: (offset_of!(Env, arch) + offset_of!(ArmCpu, excl_val)) as u32,
        ty: Type::I64,
    };
    /// The PC.
    pub const PC: Slot = reg_slot(15);
    /// FPSCR.
    pub const FPSCR: Slot = arch_slot(offset_of!(ArmCpu, fpscr));
    /// FPEXC.
    pub const FPEXC: Slot = arch_slot(offset_of!(ArmCpu, fpexc));
}

/// The slot of single-precision register S`s` (0-31): half of D`s/2`.
pub const fn vfp_s_slot(s: u32) -> Slot {
    Slot {
        offset: (offset_of!(Env, arch) + offset_of!(ArmCpu, vfp) + 4 * s as usize) as u32,
        ty: Type::I32,
    }
}

/// The slot of double-precision register D`d` (0-31).
pub const fn vfp_d_slot(d: u32) -> Slot {
    Slot {
        offset: (offset_of!(Env, arch) + offset_of!(ArmCpu, vfp) + 8 * d as usize) as u32,
        ty: Type::I64,
    }
}

/// The slot of a `u32` field of [`ArmCpu`] at byte offset `field_offset`.
pub const fn arch_field(field_offset: usize) -> Slot {
    arch_slot(field_offset)
}

/// The slot of the SPSR of register bank `bank` (1–5).
pub const fn spsr_slot(bank: usize) -> Slot {
    arch_slot(offset_of!(ArmCpu, spsr) + 4 * bank)
}

/// Most instructions per block; blocks also end at a page boundary and
/// after any instruction that changes control flow or translation state.
pub const MAX_BLOCK_INSNS: usize = 128;

/// Translates the block at the current PC of `env`, with at most
/// `max_insns` instructions. A fetch that cannot be translated is returned
/// as the fault the guest takes.
pub fn translate(env: &mut Env, max_insns: usize) -> Result<Block, GuestFault> {
    let pc = env.arch.regs[15];
    let flags = env.arch.tb_flags();
    let mmu_idx = env.arch.mmu_idx();
    let thumb = flags & psr::T != 0;
    if !thumb && pc & 3 != 0 {
        // A misaligned PC in ARM state (BX to an address with bit 1 set is
        // UNPREDICTABLE): fault on the fetch rather than guess.
        return Err(GuestFault {
            kind: FaultKind::Alignment,
            access: Access::Fetch,
            vaddr: u64::from(pc),
        });
    }
    let phys_pc = softmmu::translate_code(env, u64::from(pc), mmu_idx)?;
    let key = BlockKey {
        pc: u64::from(pc),
        phys_pc,
        flags,
    };
    let mut b = Builder::new();
    let mut insn_pcs = Vec::new();
    let page_end = (u64::from(pc) & !(PAGE_SIZE - 1)) + PAGE_SIZE;
    let max = max_insns.clamp(1, MAX_BLOCK_INSNS);
    let mut vpc = pc;
    let mut once = false;
    // The end of the last instruction lifted.
    let mut end = pc;
    let mut it = lift::t32::ItTrack::new(flags);
    let terminal = loop {
        let index = insn_pcs.len();
        let paddr = phys_pc + u64::from(vpc - pc);
        let (insn, len) = if thumb {
            let hw = softmmu::read_code(env, paddr, 2).expect("code page is RAM") as u32;
            if !decode_t32::is_32bit(hw) {
                (hw, 2)
            } else if u64::from(vpc) + 2 < page_end {
                let hw2 = softmmu::read_code(env, paddr + 2, 2).expect("code page is RAM") as u32;
                (hw << 16 | hw2, 4)
            } else if index > 0 {
                // Its second halfword is on the next page: it starts a
                // block of its own.
                break Terminal::Jump {
                    target: u64::from(vpc),
                };
            } else {
                // A block of this one instruction, fetched through both
                // pages' mappings every time it runs.
                let next = softmmu::translate_code(env, u64::from(vpc) + 2, mmu_idx)?;
                let hw2 = softmmu::read_code(env, next, 2).expect("code page is RAM") as u32;
                once = true;
                (hw << 16 | hw2, 4)
            }
        } else {
            let word = softmmu::read_code(env, paddr, 4).expect("code page is RAM") as u32;
            (word, 4)
        };
        insn_pcs.push(u64::from(vpc));
        end = vpc.wrapping_add(len);
        b.set_insn(index as u16);
        let done = if thumb {
            lift::t32::lift_t32(&mut b, vpc, insn, len, flags, mmu_idx as u8, &mut it)
        } else {
            lift::lift_a32(&mut b, vpc, insn, flags, mmu_idx as u8)
        };
        if let Some(t) = done {
            break t;
        }
        vpc = vpc.wrapping_add(len);
        if once || insn_pcs.len() >= max || u64::from(vpc) >= page_end {
            break Terminal::Jump {
                target: u64::from(vpc),
            };
        }
    };
    // A split instruction's block covers only its first page's bytes:
    // it is never cached, so nothing tracks them anyway.
    let bytes = if once { 2 } else { end.wrapping_sub(pc) };
    let mut block = b.finish(key, insn_pcs, bytes, terminal, slots::PC, mmu_idx as u8);
    block.once = once;
    // Within a block only interworking branches change the flags' T bit,
    // and the IT bits are written before every exit; anything else that
    // changes the flags ends the block and asks for an exit.
    block.dynamic_flags = Some((slots::CPSR_REST, psr::T | psr::IT_MASK));
    Ok(block)
}
