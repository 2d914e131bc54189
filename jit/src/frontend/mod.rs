//! Guest frontends: decode guest instructions and lift them to the IR.
//!
//! One module per ISA. Each writes the semantics of every instruction once,
//! as IR; both backends run that IR.

pub mod arm;

use crate::ir::Block;
use lockstep_runtime::env::{CpuEnv, GuestFault};
use lockstep_runtime::softmmu::Translate;

/// What the engine needs from a guest architecture.
pub trait Guest: Translate + Sized + 'static {
    /// The current program counter.
    fn pc(env: &CpuEnv<Self>) -> u64;
    /// The state bits that select a translation (the block cache key).
    fn tb_flags(env: &CpuEnv<Self>) -> u32;
    /// The softmmu table for instruction fetch.
    fn mmu_idx(env: &CpuEnv<Self>) -> usize;
    /// Lifts the block at the current PC, at most `max_insns` long.
    fn translate_block(env: &mut CpuEnv<Self>, max_insns: usize) -> Result<Block, GuestFault>;
    /// One line of assembly per instruction of `block`, for traces.
    fn disassemble(env: &mut CpuEnv<Self>, block: &Block) -> Vec<String>;
}

impl Guest for lockstep_runtime::arm::ArmCpu {
    fn pc(env: &CpuEnv<Self>) -> u64 {
        u64::from(env.arch.regs[15])
    }
    fn tb_flags(env: &CpuEnv<Self>) -> u32 {
        env.arch.tb_flags()
    }
    fn mmu_idx(env: &CpuEnv<Self>) -> usize {
        env.arch.mmu_idx()
    }
    fn translate_block(env: &mut CpuEnv<Self>, max_insns: usize) -> Result<Block, GuestFault> {
        arm::translate(env, max_insns)
    }
    fn disassemble(env: &mut CpuEnv<Self>, block: &Block) -> Vec<String> {
        block
            .insn_pcs
            .iter()
            .map(|&pc| {
                let paddr = block.key.phys_pc + (pc - block.key.pc);
                let word = lockstep_runtime::softmmu::read_code(env, paddr, 4).unwrap_or(0) as u32;
                format!(
                    "0x{pc:08x}:  {word:08x}  {}",
                    arm::disasm::disassemble_at(word, pc as u32)
                )
            })
            .collect()
    }
}
