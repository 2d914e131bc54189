//! Guest frontends: decode guest instructions and lift them to the IR.
//!
//! One module per ISA. Each writes the semantics of every instruction once,
//! as IR; both backends run that IR.

pub mod arm;
pub mod x86;

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
        let thumb = block.key.flags & lockstep_runtime::arm::psr::T != 0;
        let mut it = lockstep_runtime::arm::psr::itstate(block.key.flags);
        block
            .insn_pcs
            .iter()
            .map(|&pc| {
                let paddr = block.key.phys_pc + (pc - block.key.pc);
                let mut read = |off: u64, size: u8| {
                    lockstep_runtime::softmmu::read_code(env, paddr + off, size).unwrap_or(0) as u32
                };
                if !thumb {
                    let word = read(0, 4);
                    return format!(
                        "0x{pc:08x}:  {word:08x}  {}",
                        arm::disasm::disassemble_at(word, pc as u32)
                    );
                }
                let hw = read(0, 2);
                let (insn, len, bytes) = if arm::decode_t32::is_32bit(hw) && (pc + 2) & 0xfff != 0 {
                    let hw2 = read(2, 2);
                    (hw << 16 | hw2, 4, format!("{hw:04x} {hw2:04x}"))
                } else {
                    (hw, 2, format!("{hw:04x}     "))
                };
                let text = arm::disasm_t32::disassemble_at(insn, len, pc as u32, it);
                it = if len == 2 && hw & 0xff00 == 0xbf00 && hw & 0xf != 0 {
                    hw & 0xff
                } else {
                    arm::lift::t32::advance(it)
                };
                format!("0x{pc:08x}:  {bytes}  {text}")
            })
            .collect()
    }
}

impl Guest for lockstep_runtime::x86::X86Cpu {
    fn pc(env: &CpuEnv<Self>) -> u64 {
        u64::from(env.arch.eip)
    }
    fn tb_flags(env: &CpuEnv<Self>) -> u32 {
        env.arch.tb_flags()
    }
    fn mmu_idx(env: &CpuEnv<Self>) -> usize {
        env.arch.mmu_idx()
    }
    fn translate_block(env: &mut CpuEnv<Self>, max_insns: usize) -> Result<Block, GuestFault> {
        x86::translate(env, max_insns)
    }
    fn disassemble(env: &mut CpuEnv<Self>, block: &Block) -> Vec<String> {
        x86::disassemble(env, block)
    }
}
