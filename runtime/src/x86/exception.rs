//! Exception and interrupt delivery through the IDT, in protected mode.
//!
//! An event (an exception an instruction raised, an `INT n`, or an external
//! interrupt) goes through its IDT gate: a 32- or 16-bit interrupt gate
//! (which also clears IF) or trap gate. A gate into a more privileged
//! non-conforming code segment switches to that level's stack from the
//! TSS and pushes the old SS:ESP first; then EFLAGS, CS, EIP and the
//! error code, if the vector has one. A fault while delivering follows the
//! architecture's double-fault rules; a fault while delivering a double
//! fault is a triple fault, which resets a PC. Task gates are not
//! supported (the event becomes #GP, as for any other bad gate type).

use super::seg::{read_descriptor, read_sys, write_stack, Exc, XResult};
use super::{cr0, desc, eflags, sreg, vector, X86Cpu};
use crate::env::CpuEnv;
use crate::exec::RunLoop;
use lockstep_replay::CheckpointKind;

/// Where an event comes from: it decides the gate privilege check, the
/// EXT bit of error codes, and the checkpoint kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An exception an instruction raised (a fault or a trap).
    Exception,
    /// `INT n`, `INT3`, `INTO`: the gate's DPL must allow the caller.
    Software,
    /// An external interrupt.
    External,
}

type Env = CpuEnv<X86Cpu>;

/// Delivers one event; a fault on the way is returned, with nothing but
/// memory already written changed.
fn deliver(env: &mut Env, exc: Exc, return_eip: u32, source: Source) -> XResult<()> {
    let v = u32::from(exc.vector);
    let ext = u32::from(source != Source::Software);
    let gate_err = v * 8 + 2 + ext;
    if env.arch.cr0 & cr0::PE == 0 {
        // Real mode is not supported: the boot protocols enter protected
        // mode and nothing here leaves it.
        return Err(Exc::gp(gate_err));
    }
    if v * 8 + 7 > env.arch.idt_limit {
        return Err(Exc::gp(gate_err));
    }
    let gate_addr = env.arch.idt_base.wrapping_add(v * 8);
    let lo = read_sys(env, gate_addr, 4)?;
    let hi = read_sys(env, gate_addr.wrapping_add(4), 4)?;
    let kind = hi >> 8 & 0x1f;
    // 0x0e/0x0f: 32-bit interrupt/trap gate; 0x06/0x07: 16-bit.
    let (gate32, interrupt_gate) = match kind {
        0x0e => (true, true),
        0x0f => (true, false),
        0x06 => (false, true),
        0x07 => (false, false),
        _ => return Err(Exc::gp(gate_err)),
    };
    let cpl = env.arch.cpl();
    if source == Source::Software && (hi >> 13 & 3) < cpl {
        return Err(Exc::gp(gate_err));
    }
    if hi & desc::P == 0 {
        return Err(Exc::new(vector::NP, gate_err));
    }
    let selector = lo >> 16;
    let mut offset = (hi & 0xffff_0000) | (lo & 0xffff);
    if !gate32 {
        offset &= 0xffff;
    }
    if selector & !3 == 0 {
        return Err(Exc::gp(ext));
    }
    let d = read_descriptor(env, selector)?;
    let sel_err = (selector & 0xfffc) + ext;
    if !d.is_code() || d.dpl() > cpl {
        return Err(Exc::gp(sel_err));
    }
    if !d.present() {
        return Err(Exc::new(vector::NP, sel_err));
    }
    let conforming = d.hi & desc::DC != 0;
    let new_cpl = if conforming { cpl } else { d.dpl() };
    let code_seg = d.segment(selector & !3 | new_cpl);
    if offset > code_seg.limit {
        return Err(Exc::gp(ext));
    }
    let old_eflags = env.arch.eflags();
    let old_cs = env.arch.seg[sreg::CS].selector;
    let old_ss = env.arch.seg[sreg::SS];
    let old_esp = env.arch.regs[4];
    // The stack the frame goes on.
    let (ss, mut esp) = if new_cpl < cpl {
        let tr = env.arch.tr;
        let slot = 4 + 8 * new_cpl;
        if slot + 5 > tr.limit {
            return Err(Exc::new(vector::TS, (tr.selector & 0xfffc) + ext));
        }
        let esp = read_sys(env, tr.base.wrapping_add(slot), 4)?;
        let ss_sel = read_sys(env, tr.base.wrapping_add(slot + 4), 2)?;
        let ss_err = (ss_sel & 0xfffc) + ext;
        if ss_sel & !3 == 0 || ss_sel & 3 != new_cpl {
            return Err(Exc::new(vector::TS, ss_err));
        }
        let sd = read_descriptor(env, ss_sel)?;
        let writable_data = sd.is_segment() && !sd.is_code() && sd.hi & desc::RW != 0;
        if !writable_data || sd.dpl() != new_cpl {
            return Err(Exc::new(vector::TS, ss_err));
        }
        if !sd.present() {
            return Err(Exc::new(vector::SS, ss_err));
        }
        (sd.segment(ss_sel), esp)
    } else {
        (old_ss, old_esp)
    };
    let size = if gate32 { 4 } else { 2 };
    let mut push = |env: &mut Env, value: u32| -> XResult<()> {
        esp = esp.wrapping_sub(size);
        write_stack(env, &ss, esp, size as u8, value, new_cpl)
    };
    if new_cpl < cpl {
        push(env, old_ss.selector)?;
        push(env, old_esp)?;
    }
    push(env, old_eflags)?;
    push(env, old_cs)?;
    push(env, return_eip)?;
    if source != Source::Software && vector::has_error_code(exc.vector) {
        push(env, exc.code)?;
    }
    // Committed.
    let cpu = &mut env.arch;
    if let Some(addr) = exc.cr2 {
        cpu.cr2 = addr;
    }
    if cpu.seg[sreg::CS].base != code_seg.base {
        env.mmu_epoch += 1;
    }
    let cpu = &mut env.arch;
    cpu.seg[sreg::CS] = code_seg;
    cpu.seg[sreg::SS] = ss;
    cpu.regs[4] = esp;
    cpu.eip = offset;
    let mut clear = eflags::TF | eflags::NT | eflags::RF | eflags::VM;
    if interrupt_gate {
        clear |= eflags::IF;
    }
    cpu.eflags &= !clear;
    cpu.inhibit_irq = 0;
    Ok(())
}

/// The double-fault class of an exception: 0 benign, 1 contributory,
/// 2 page fault.
fn class(v: u8) -> u8 {
    match v {
        vector::DE | vector::TS | vector::NP | vector::SS | vector::GP => 1,
        vector::PF => 2,
        _ => 0,
    }
}

/// A triple fault: delivering a double fault faulted. A PC resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TripleFault {
    /// The exception that faulted while the double fault was delivered.
    pub last: Exc,
}

impl RunLoop<X86Cpu> {
    /// Takes exception or interrupt `exc` from `source`: the instruction
    /// at the current EIP raised it (or, for a trap, `INT n` and an
    /// interrupt, the frame returns to `return_eip`). Follows the
    /// double-fault rules, emits the checkpoint and returns the handler's
    /// linear address.
    pub fn deliver_event(
        &mut self,
        exc: Exc,
        return_eip: u32,
        source: Source,
    ) -> Result<u32, TripleFault> {
        let at = self.env.arch.eip;
        let mut current = exc;
        let mut src = source;
        loop {
            match deliver(&mut self.env, current, return_eip, src) {
                Ok(()) => break,
                Err(next) => {
                    if current.vector == vector::DF {
                        return Err(TripleFault { last: next });
                    }
                    let (a, b) = (class(current.vector), class(next.vector));
                    current = if (a == 1 && b == 1) || (a == 2 && b != 0) {
                        Exc::new(vector::DF, 0)
                    } else {
                        next
                    };
                    // A fault in delivery is an exception of its own,
                    // returning to the same instruction.
                    src = Source::Exception;
                }
            }
        }
        let v = u32::from(current.vector);
        let kind = if src == Source::External {
            CheckpointKind::Interrupt { vector: v }
        } else {
            CheckpointKind::Exception { vector: v }
        };
        self.checkpoint(kind, u64::from(at));
        Ok(self.env.arch.linear_pc())
    }
}
