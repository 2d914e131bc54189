//! The 32-bit ARM CPU on the machine core: how its traps and faults
//! become guest exceptions, its semihosting, and how its registers are
//! logged and shown.

pub mod semihosting;

use super::core::{Cpu, Semihosted};
use super::Outcome;
use lockstep_jit::frontend::arm::disasm::disassemble_at;
use lockstep_jit::frontend::arm::disasm_t32;
use lockstep_replay::{CheckpointKind, StableHasher};
use lockstep_runtime::arm::exception::Exception;
use lockstep_runtime::arm::{psr, trap, ArmCpu};
use lockstep_runtime::env::{Access, CpuEnv};
use lockstep_runtime::{RunLoop, Stop, Trap};
use std::io::Write;

/// Names of the registers logged with each digest.
const REG_NAMES: [&str; 17] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr",
    "pc", "cpsr",
];

/// Exception vectors by number (offset / 4).
const VECTOR_NAMES: [&str; 8] = [
    "reset", "undef", "svc", "pabt", "dabt", "(hyp)", "irq", "fiq",
];

impl Cpu for ArmCpu {
    const REG_NAMES: &'static [&'static str] = &REG_NAMES;
    const RESET_CHECKPOINT: CheckpointKind = CheckpointKind::Exception { vector: 0 };

    fn digest_registers(&self) -> Vec<u32> {
        let mut regs = self.regs.to_vec();
        regs.push(self.cpsr());
        regs
    }

    fn hash_state(&self, h: &mut StableHasher) {
        self.hash_into(h);
    }

    fn describe_registers(&self) -> String {
        let regs: Vec<String> = (0..16)
            .map(|i| format!("{}={:08x}", REG_NAMES[i], self.regs[i]))
            .collect();
        format!("{} cpsr={:08x}", regs.join(" "), self.cpsr())
    }

    fn describe_insn(env: &mut CpuEnv<Self>, pc: u64) -> Option<String> {
        let mmu_idx = env.arch.mmu_idx();
        let phys = lockstep_runtime::softmmu::translate_code(env, pc, mmu_idx).ok()?;
        let w = lockstep_runtime::softmmu::read_code(env, phys, 4)?;
        Some(format!("{w:08x} {}", disassemble_at(w as u32, pc as u32)))
    }

    fn vector_name(v: u32) -> &'static str {
        VECTOR_NAMES.get(v as usize).unwrap_or(&"?")
    }

    /// `SVC 0x123456` (ARM state) or `SVC 0xAB` (Thumb state) in a
    /// privileged mode, and `HLT 0xF000` / `HLT 0x3C` (lifted as a
    /// semihosting trap only when it is one).
    fn semihosting(env: &mut CpuEnv<Self>, t: Trap, out: &mut dyn Write) -> Option<Semihosted> {
        let thumb = env.arch.cpsr_rest & psr::T != 0;
        let svc_imm = if thumb {
            semihosting::T32_SVC_IMM
        } else {
            semihosting::A32_SVC_IMM
        };
        let call = match t.code {
            trap::SVC => t.arg == svc_imm && env.arch.mode() != psr::MODE_USR,
            trap::SEMIHOST => true,
            _ => false,
        };
        if !call {
            return None;
        }
        let request = semihosting::call(env, out);
        if request == Semihosted::Continue {
            // SVC and HLT are 2 bytes in Thumb state, 4 in ARM state.
            let len = if thumb { 2 } else { 4 };
            env.arch.regs[15] = env.arch.regs[15].wrapping_add(len);
        }
        Some(request)
    }

    fn take_exception(run: &mut RunLoop<Self>, stop: Stop) -> Result<(u64, Outcome), Outcome> {
        let pc = run.env.arch.regs[15];
        let at = u64::from(pc);
        let (exception, cause, fault) = match stop {
            Stop::Fault(fault) => {
                let e = if fault.access == Access::Fetch {
                    Exception::PrefetchAbort
                } else {
                    Exception::DataAbort
                };
                (e, Outcome::Fault { pc: at, fault }, Some(fault))
            }
            Stop::Trap(t) => match t.code {
                trap::SVC => (
                    Exception::Svc,
                    Outcome::Trap {
                        pc: at,
                        what: format!("SVC #{:#x}", t.arg),
                    },
                    None,
                ),
                trap::BKPT => (
                    Exception::PrefetchAbort,
                    Outcome::Trap {
                        pc: at,
                        what: format!("BKPT #{:#x}", t.arg),
                    },
                    None,
                ),
                trap::HVC => (
                    // No Hyp mode: an HVC nothing answered is undefined.
                    Exception::Undefined,
                    Outcome::Undefined {
                        pc: at,
                        what: format!("HVC #{:#x} with no firmware to answer it", t.arg),
                    },
                    None,
                ),
                _ => (
                    Exception::Undefined,
                    Outcome::Undefined {
                        pc: at,
                        what: describe_undefined(&run.env.arch, t.arg, pc),
                    },
                    None,
                ),
            },
            Stop::Limit | Stop::Halt | Stop::Request => {
                unreachable!("only traps and faults raise exceptions")
            }
        };
        // SVC returns to the next instruction (16-bit in Thumb state).
        let thumb = run.env.arch.cpsr_rest & psr::T != 0;
        let ret = match exception {
            Exception::Svc if thumb => pc.wrapping_add(2),
            Exception::Svc => pc.wrapping_add(4),
            _ => pc,
        };
        let vector = run.take_exception(exception, ret, fault.as_ref());
        Ok((u64::from(vector), cause))
    }
}

/// An undefined encoding as reports show it: its bits and disassembly.
fn describe_undefined(cpu: &ArmCpu, encoding: u32, pc: u32) -> String {
    if cpu.cpsr_rest & psr::T == 0 {
        return format!(
            "encoding {encoding:#010x} ({})",
            disassemble_at(encoding, pc)
        );
    }
    let len = if encoding >> 16 != 0 { 4 } else { 2 };
    let text = disasm_t32::disassemble_at(encoding, len, pc, psr::itstate(cpu.cpsr()));
    if len == 2 {
        format!("Thumb encoding {encoding:#06x} ({text})")
    } else {
        format!(
            "Thumb encoding {:04x} {:04x} ({text})",
            encoding >> 16,
            encoding & 0xffff
        )
    }
}
