//! The i386 frontend: 32-bit protected-mode x86 code, decoded with
//! iced-x86 and lifted to the IR.
//!
//! - [`table`]: the lifter table, one line per instruction (iced's
//!   mnemonic, the manual's syntax, the handler).
//! - [`lift`]: the handlers by instruction class, over one context that
//!   reads and writes operands, computes flags and conditions.
//! - [`helpers`]: runtime helpers for what IR cannot say (port I/O,
//!   segment loads, control registers, division with its #DE, CPUID).
//!
//! A block is decoded in full before anything is lifted, so each
//! instruction knows which arithmetic flags a later instruction of the
//! block may still read ([`live_flags`]): an instruction whose flags are
//! all overwritten before anything reads them computes none. An
//! instruction that may fault (any memory access, a helper that can
//! raise an exception) reads every flag, since the exception pushes
//! EFLAGS; at the block's end every flag is live.
//!
//! What counts toward icount: every instruction that completes, and
//! `INT n`, `INT3` and `INTO` (their effect is the trap). An instruction
//! that faults, or an undefined one, is not counted. A string
//! instruction with a REP prefix counts once per iteration (and once when
//! ECX is zero to begin with): each iteration is an execution of the
//! instruction, which leaves EIP on itself until the last, so an
//! interrupt or a budget stop may fall between any two iterations.

pub mod helpers;
pub mod lift;
pub mod table;
pub mod x87;

use crate::ir::{Block, BlockKey, Builder, Slot, Terminal, Type};
use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, RflagsBits};
use lockstep_runtime::bus::PAGE_SIZE;
use lockstep_runtime::env::{CpuEnv, GuestFault};
use lockstep_runtime::softmmu;
use lockstep_runtime::x86::{sreg, tb_flags, X86Cpu};
use std::mem::offset_of;

type Env = CpuEnv<X86Cpu>;

const fn arch_slot(field_offset: usize, ty: Type) -> Slot {
    Slot {
        offset: (offset_of!(Env, arch) + field_offset) as u32,
        ty,
    }
}

/// The slot of general register `r` (0-7: EAX, ECX, EDX, EBX, ESP, EBP,
/// ESI, EDI) at width `ty`; `high` selects AH, CH, DH or BH (byte 1).
pub const fn reg_slot(r: u32, ty: Type, high: bool) -> Slot {
    let byte = if high { 1 } else { 0 };
    arch_slot(offset_of!(X86Cpu, regs) + 4 * r as usize + byte, ty)
}

/// Guest state slots other than the general registers.
pub mod slots {
    use super::*;
    /// EIP.
    pub const EIP: Slot = arch_slot(offset_of!(X86Cpu, eip), Type::I32);
    /// CF (0/1).
    pub const CF: Slot = arch_slot(offset_of!(X86Cpu, cf), Type::I32);
    /// OF (0/1).
    pub const OF: Slot = arch_slot(offset_of!(X86Cpu, of), Type::I32);
    /// Zero exactly when ZF is set.
    pub const ZRES: Slot = arch_slot(offset_of!(X86Cpu, zres), Type::I32);
    /// SF in bit 31.
    pub const SRES: Slot = arch_slot(offset_of!(X86Cpu, sres), Type::I32);
    /// PF: parity of the low byte.
    pub const PRES: Slot = arch_slot(offset_of!(X86Cpu, pres), Type::I32);
    /// AF in bit 4.
    pub const AUX: Slot = arch_slot(offset_of!(X86Cpu, aux), Type::I32);
    /// The other EFLAGS bits.
    pub const EFLAGS: Slot = arch_slot(offset_of!(X86Cpu, eflags), Type::I32);
    /// The interrupt shadow.
    pub const INHIBIT_IRQ: Slot = arch_slot(offset_of!(X86Cpu, inhibit_irq), Type::I32);
    /// CR2.
    pub const CR2: Slot = arch_slot(offset_of!(X86Cpu, cr2), Type::I32);
    /// GDTR base.
    pub const GDT_BASE: Slot = arch_slot(offset_of!(X86Cpu, gdt_base), Type::I32);
    /// GDTR limit.
    pub const GDT_LIMIT: Slot = arch_slot(offset_of!(X86Cpu, gdt_limit), Type::I32);
    /// IDTR base.
    pub const IDT_BASE: Slot = arch_slot(offset_of!(X86Cpu, idt_base), Type::I32);
    /// IDTR limit.
    pub const IDT_LIMIT: Slot = arch_slot(offset_of!(X86Cpu, idt_limit), Type::I32);
}

/// The base of segment register `r`.
pub const fn seg_base_slot(r: usize) -> Slot {
    arch_slot(
        offset_of!(X86Cpu, seg)
            + r * std::mem::size_of::<lockstep_runtime::x86::Segment>()
            + offset_of!(lockstep_runtime::x86::Segment, base),
        Type::I32,
    )
}

/// The selector of segment register `r`.
pub const fn seg_selector_slot(r: usize) -> Slot {
    arch_slot(
        offset_of!(X86Cpu, seg)
            + r * std::mem::size_of::<lockstep_runtime::x86::Segment>()
            + offset_of!(lockstep_runtime::x86::Segment, selector),
        Type::I32,
    )
}

/// Most instructions per block; blocks also end at a page boundary and
/// after any instruction that changes control flow or translation state.
pub const MAX_BLOCK_INSNS: usize = 128;

/// The longest x86 instruction.
const MAX_INSN_LEN: usize = 15;

/// The arithmetic flags, as iced's [`RflagsBits`].
pub const ARITH_FLAGS: u32 = RflagsBits::OF
    | RflagsBits::SF
    | RflagsBits::ZF
    | RflagsBits::AF
    | RflagsBits::CF
    | RflagsBits::PF;

/// The decoder options: BSF and BSR with an F3 prefix stay BSF and BSR
/// (TZCNT and LZCNT need BMI1/LZCNT, which CPUID does not list), as on
/// the i686 this CPU is.
pub const DECODER_OPTIONS: u32 = DecoderOptions::NO_MPFX_0FBC | DecoderOptions::NO_MPFX_0FBD;

/// Whether `insn` may raise an exception other than through its own
/// architected trap (then every flag must be right before it).
fn may_fault(insn: &Instruction) -> bool {
    use iced_x86::OpKind;
    let memory = (0..insn.op_count()).any(|i| {
        matches!(
            insn.op_kind(i),
            OpKind::Memory
                | OpKind::MemorySegSI
                | OpKind::MemorySegESI
                | OpKind::MemoryESDI
                | OpKind::MemoryESEDI
                | OpKind::MemorySegDI
                | OpKind::MemorySegEDI
        )
    });
    memory
        || table::is_x87(insn)
        || insn.is_stack_instruction()
        || matches!(
            insn.mnemonic(),
            Mnemonic::Div
                | Mnemonic::Idiv
                | Mnemonic::In
                | Mnemonic::Out
                | Mnemonic::Insb
                | Mnemonic::Insw
                | Mnemonic::Insd
                | Mnemonic::Outsb
                | Mnemonic::Outsw
                | Mnemonic::Outsd
                | Mnemonic::Mov
                | Mnemonic::Ltr
                | Mnemonic::Lldt
                | Mnemonic::Wrmsr
                | Mnemonic::Rdmsr
                | Mnemonic::Rdtsc
                | Mnemonic::Cli
                | Mnemonic::Sti
                | Mnemonic::Hlt
                | Mnemonic::Int
                | Mnemonic::Int3
                | Mnemonic::Into
                | Mnemonic::Iretd
                | Mnemonic::Iret
                | Mnemonic::Ud2
                | Mnemonic::INVALID
        )
}

/// The flags `insn` overwrites whatever their old values: none for a
/// shift or rotate whose count may be zero (which leaves every flag).
fn flags_killed(insn: &Instruction) -> u32 {
    use iced_x86::OpKind;
    let m = insn.mnemonic();
    let shift = matches!(
        m,
        Mnemonic::Shl
            | Mnemonic::Sal
            | Mnemonic::Shr
            | Mnemonic::Sar
            | Mnemonic::Rol
            | Mnemonic::Ror
            | Mnemonic::Rcl
            | Mnemonic::Rcr
            | Mnemonic::Shld
            | Mnemonic::Shrd
    );
    if shift {
        let last = insn.op_count() - 1;
        let count = match insn.op_kind(last) {
            OpKind::Immediate8 => insn.immediate(last) as u32 & 31,
            _ => 0,
        };
        // Rotates leave SF, ZF, PF and AF alone, and a count that is not
        // 1 leaves OF undefined: keep it simple and kill only what every
        // count but zero writes.
        if count == 0
            || matches!(
                m,
                Mnemonic::Rol | Mnemonic::Ror | Mnemonic::Rcl | Mnemonic::Rcr
            )
        {
            return 0;
        }
        return insn.rflags_modified() & ARITH_FLAGS & !RflagsBits::OF & !RflagsBits::AF;
    }
    insn.rflags_modified() & ARITH_FLAGS
}

/// For each instruction, the arithmetic flags (iced's [`RflagsBits`])
/// that may be read after it: by a later instruction of the block before
/// something overwrites them, by an exception a later instruction raises,
/// or after the block.
pub fn live_flags(insns: &[Instruction]) -> Vec<u32> {
    let mut live = vec![0; insns.len()];
    let mut after = ARITH_FLAGS;
    for (i, insn) in insns.iter().enumerate().rev() {
        live[i] = after;
        let reads = if may_fault(insn) {
            ARITH_FLAGS
        } else {
            insn.rflags_read() & ARITH_FLAGS
        };
        after = (after & !flags_killed(insn)) | reads;
    }
    live
}

/// Whether `insn` ends its block (a branch, a trap, anything that
/// changes the translation flags or needs the run loop).
pub fn ends_block(insn: &Instruction) -> bool {
    use iced_x86::FlowControl;
    !matches!(insn.flow_control(), FlowControl::Next) || table::ends_block(insn)
}

/// Reads up to `MAX_INSN_LEN` code bytes at `vpc` (physical `paddr` on
/// the first page); the bytes on the next page only if `second` gives
/// its physical address.
fn fetch(env: &mut Env, paddr: u64, vpc: u64, second: Option<u64>) -> Vec<u8> {
    let page_left = (PAGE_SIZE - (vpc & (PAGE_SIZE - 1))) as usize;
    let mut bytes = Vec::with_capacity(MAX_INSN_LEN);
    for i in 0..MAX_INSN_LEN.min(page_left) {
        bytes.push(softmmu::read_code(env, paddr + i as u64, 1).expect("code page is RAM") as u8);
    }
    if let Some(next) = second {
        for i in 0..MAX_INSN_LEN - bytes.len() {
            match softmmu::read_code(env, next + i as u64, 1) {
                Some(b) => bytes.push(b as u8),
                None => break,
            }
        }
    }
    bytes
}

/// Decodes one instruction at `eip` from `bytes`.
fn decode(bytes: &[u8], eip: u32, bitness: u32) -> Instruction {
    let mut d = Decoder::with_ip(bitness, bytes, u64::from(eip), DECODER_OPTIONS);
    d.decode()
}

/// Translates the block at the current CS:EIP of `env`, with at most
/// `max_insns` instructions. A fetch that cannot be translated is
/// returned as the fault the guest takes.
pub fn translate(env: &mut Env, max_insns: usize) -> Result<Block, GuestFault> {
    let eip = env.arch.eip;
    let cs_base = env.arch.seg[sreg::CS].base;
    let flags = env.arch.tb_flags();
    let mmu_idx = env.arch.mmu_idx();
    let bitness = if flags & tb_flags::CS32 != 0 { 32 } else { 16 };
    let linear = u64::from(cs_base.wrapping_add(eip));
    let phys_pc = softmmu::translate_code(env, linear, mmu_idx)?;
    let page_end = (linear & !(PAGE_SIZE - 1)) + PAGE_SIZE;
    let max = max_insns.clamp(1, MAX_BLOCK_INSNS);
    // Decode the whole block first (flag liveness looks ahead).
    let mut insns: Vec<Instruction> = Vec::new();
    let mut raw: Vec<u32> = Vec::new();
    let mut once = false;
    let mut vpc = eip;
    loop {
        let lin = u64::from(cs_base.wrapping_add(vpc));
        let paddr = phys_pc + (lin - linear);
        let mut bytes = fetch(env, paddr, lin, None);
        let mut insn = decode(&bytes, vpc, bitness);
        if insn.is_invalid() && bytes.len() < MAX_INSN_LEN && lin + (bytes.len() as u64) >= page_end
        {
            // It may go on on the next page.
            if !insns.is_empty() {
                break;
            }
            let next = softmmu::translate_code(env, page_end, mmu_idx)?;
            bytes = fetch(env, paddr, lin, Some(next));
            insn = decode(&bytes, vpc, bitness);
            once = true;
        }
        raw.push(u32::from_le_bytes([
            bytes.first().copied().unwrap_or(0),
            bytes.get(1).copied().unwrap_or(0),
            bytes.get(2).copied().unwrap_or(0),
            bytes.get(3).copied().unwrap_or(0),
        ]));
        let len = insn.len() as u32;
        insns.push(insn);
        vpc = vpc.wrapping_add(len.max(1));
        let lin_next = u64::from(cs_base.wrapping_add(vpc));
        if once
            || insns.len() >= max
            || lin_next >= page_end
            || insn.is_invalid()
            || ends_block(&insn)
        {
            break;
        }
    }
    let live = live_flags(&insns);
    let key = BlockKey {
        pc: u64::from(eip),
        phys_pc,
        flags,
    };
    let mut b = Builder::new();
    let mut insn_pcs = Vec::new();
    let mut end = eip;
    let mut terminal = None;
    for (index, insn) in insns.iter().enumerate() {
        let pc = insn.ip32();
        insn_pcs.push(u64::from(pc));
        b.set_insn(index as u16);
        end = pc.wrapping_add(insn.len() as u32);
        let t = lift::lift(&mut b, insn, raw[index], flags, mmu_idx as u8, live[index]);
        if let Some(t) = t {
            terminal = Some(t);
            break;
        }
    }
    let terminal = terminal.unwrap_or(Terminal::Jump {
        target: u64::from(end),
    });
    let bytes = if once {
        (page_end - linear) as u32
    } else {
        end.wrapping_sub(eip)
    };
    let mut block = b.finish(key, insn_pcs, bytes, terminal, slots::EIP, mmu_idx as u8);
    block.once = once;
    // A computed near branch (RET, JMP reg) changes no translation flag;
    // after a far transfer the engine looks the flags up afresh.
    let far = insns.last().is_some_and(table::changes_mode);
    block.dynamic_flags = if far { None } else { Some((slots::EIP, 0)) };
    Ok(block)
}

/// One line of Intel-syntax assembly per instruction of `block`.
pub fn disassemble(env: &mut Env, block: &Block) -> Vec<String> {
    use iced_x86::{Formatter, IntelFormatter};
    let bitness = if block.key.flags & tb_flags::CS32 != 0 {
        32
    } else {
        16
    };
    let mut f = IntelFormatter::new();
    block
        .insn_pcs
        .iter()
        .map(|&pc| {
            let paddr = block.key.phys_pc + (pc - block.key.pc);
            let bytes = fetch(env, paddr, pc, None);
            let insn = decode(&bytes, pc as u32, bitness);
            let mut text = String::new();
            f.format(&insn, &mut text);
            let hex: String = bytes[..insn.len().min(bytes.len())]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("0x{pc:08x}:  {hex:<20} {text}")
        })
        .collect()
}

/// Disassembles the instruction in `bytes` at `eip` (32-bit code).
pub fn disassemble_bytes(bytes: &[u8], eip: u32) -> (usize, String) {
    use iced_x86::{Formatter, IntelFormatter};
    let insn = decode(bytes, eip, 32);
    let mut text = String::new();
    IntelFormatter::new().format(&insn, &mut text);
    (insn.len(), text)
}
