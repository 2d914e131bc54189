//! The 32-bit ARM (A32) frontend.
//!
//! - [`decode`]: the decode table, one line per encoding.
//! - [`lift`]: the handlers that lift each encoding to IR.
//! - [`helpers`]: runtime helpers for the few instructions whose semantics
//!   are clearer as Rust than as IR (saturation, SIMD-within-a-register,
//!   store-exclusive).
//! - [`disasm`]: disassembly for traces.
//!
//! What counts toward icount: every A32 instruction that is fetched and
//! decoded, whether its condition passes or not. An undefined encoding is
//! not counted (it faults); SVC and BKPT are (their effect is the trap).

pub mod decode;
pub mod disasm;
pub mod helpers;
pub mod lift;

use crate::ir::Block;
use crate::ir::{BlockKey, Builder, Slot, Terminal, Type};
use lockstep_runtime::arm::{psr, trap, ArmCpu};
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
    if flags & psr::T == 0 && pc & 3 != 0 {
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

    if flags & psr::T != 0 {
        // Thumb is not implemented yet: the block is one undefined
        // instruction, reported with the halfword at the PC.
        let hw = softmmu::read_code(env, phys_pc, 2).unwrap_or(0) as u32;
        insn_pcs.push(u64::from(pc));
        let t = Terminal::Trap {
            code: trap::UNDEFINED,
            arg: hw,
            credited: false,
            when: None,
        };
        return Ok(b.finish(key, insn_pcs, 2, t, slots::PC, mmu_idx as u8));
    }

    let page_end = (u64::from(pc) & !(PAGE_SIZE - 1)) + PAGE_SIZE;
    let max = max_insns.clamp(1, MAX_BLOCK_INSNS);
    let mut vpc = pc;
    let terminal = loop {
        let index = insn_pcs.len();
        let word = softmmu::read_code(env, phys_pc + u64::from(vpc - pc), 4)
            .expect("code page is RAM") as u32;
        insn_pcs.push(u64::from(vpc));
        b.set_insn(index as u16);
        if let Some(t) = lift::lift_a32(&mut b, vpc, word, flags, mmu_idx as u8) {
            break t;
        }
        vpc = vpc.wrapping_add(4);
        if insn_pcs.len() >= max || u64::from(vpc) >= page_end {
            break Terminal::Jump {
                target: u64::from(vpc),
            };
        }
    };
    let bytes = 4 * insn_pcs.len() as u32;
    let mut block = b.finish(key, insn_pcs, bytes, terminal, slots::PC, mmu_idx as u8);
    // Within a block only interworking branches change the flags (the T
    // bit); anything else that does ends the block and asks for an exit.
    block.dynamic_flags = Some((slots::CPSR_REST, psr::T));
    Ok(block)
}
