//! The i686 CPU on the machine core: how its traps and faults become
//! exceptions delivered through the IDT, and how its registers are
//! logged and shown.

use super::core::Cpu;
use super::Outcome;
use lockstep_jit::frontend::x86::disassemble_bytes;
use lockstep_replay::{CheckpointKind, StableHasher};
use lockstep_runtime::env::{CpuEnv, FaultKind};
use lockstep_runtime::x86::exception::Source;
use lockstep_runtime::x86::seg::Exc;
use lockstep_runtime::x86::{sreg, trap, vector, X86Cpu};
use lockstep_runtime::{RunLoop, Stop};

/// Names of the registers logged with each digest.
const REG_NAMES: [&str; 20] = [
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags", "es", "cs", "ss",
    "ds", "fs", "gs", "cr0", "cr2", "cr3", "cr4",
];

/// The checkpoint vector of a machine reset (beyond the IDT's 256).
pub const RESET_VECTOR: u32 = 256;

const VECTOR_NAMES: [&str; 20] = [
    "#DE",
    "#DB",
    "NMI",
    "#BP",
    "#OF",
    "#BR",
    "#UD",
    "#NM",
    "#DF",
    "(coproc)",
    "#TS",
    "#NP",
    "#SS",
    "#GP",
    "#PF",
    "(reserved)",
    "#MF",
    "#AC",
    "#MC",
    "#XM",
];

/// Reads up to 15 code bytes at CS:`eip`.
fn code_bytes(env: &mut CpuEnv<X86Cpu>, eip: u32) -> Option<Vec<u8>> {
    let mmu_idx = env.arch.mmu_idx();
    let lin = u64::from(env.arch.seg[sreg::CS].base.wrapping_add(eip));
    let mut out = Vec::new();
    for i in 0..15u64 {
        let a = lin + i;
        let Ok(p) = lockstep_runtime::softmmu::translate_code(env, a, mmu_idx) else {
            break;
        };
        match lockstep_runtime::softmmu::read_code(env, p, 1) {
            Some(b) => out.push(b as u8),
            None => break,
        }
    }
    (!out.is_empty()).then_some(out)
}

impl Cpu for X86Cpu {
    const REG_NAMES: &'static [&'static str] = &REG_NAMES;
    const RESET_CHECKPOINT: CheckpointKind = CheckpointKind::Exception {
        vector: RESET_VECTOR,
    };

    fn digest_registers(&self) -> Vec<u32> {
        let mut v = self.regs.to_vec();
        v.push(self.eip);
        v.push(self.eflags());
        v.extend(self.seg.iter().map(|s| s.selector));
        v.extend([self.cr0, self.cr2, self.cr3, self.cr4]);
        v
    }

    fn hash_state(&self, h: &mut StableHasher) {
        self.hash_into(h);
    }

    fn describe_registers(&self) -> String {
        let regs: Vec<String> = (0..8)
            .map(|i| format!("{}={:08x}", REG_NAMES[i], self.regs[i]))
            .collect();
        format!(
            "{} eip={:08x} eflags={:08x} cs={:04x} ss={:04x} cr0={:08x} cr3={:08x}",
            regs.join(" "),
            self.eip,
            self.eflags(),
            self.seg[sreg::CS].selector,
            self.seg[sreg::SS].selector,
            self.cr0,
            self.cr3
        )
    }

    fn describe_insn(env: &mut CpuEnv<Self>, pc: u64) -> Option<String> {
        let bytes = code_bytes(env, pc as u32)?;
        let (len, text) = disassemble_bytes(&bytes, pc as u32);
        let hex: String = bytes[..len.min(bytes.len())]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some(format!("{hex} {text}"))
    }

    fn vector_name(v: u32) -> &'static str {
        match v {
            RESET_VECTOR => "reset",
            0..=19 => VECTOR_NAMES[v as usize],
            _ => "int",
        }
    }

    fn take_exception(run: &mut RunLoop<Self>, stop: Stop) -> Result<(u64, Outcome), Outcome> {
        let eip = run.env.arch.eip;
        let at = u64::from(eip);
        let user = run.env.arch.cpl() == 3;
        let (exc, ret, source, cause) = match stop {
            Stop::Fault(f) => {
                if matches!(f.kind, FaultKind::External | FaultKind::WalkExternal { .. }) {
                    // Nothing answers at the physical address: there is
                    // no machine-check model, so the run stops and says so.
                    return Err(Outcome::Fault { pc: at, fault: f });
                }
                let e = Exc::from_fault(&f, user);
                (
                    e,
                    eip,
                    Source::Exception,
                    Outcome::Fault { pc: at, fault: f },
                )
            }
            Stop::Trap(t) => {
                let len = t.arg >> 8;
                let next = eip.wrapping_add(len);
                let what = |s: String| Outcome::Trap { pc: at, what: s };
                match t.code {
                    trap::INT => (
                        Exc::new((t.arg & 0xff) as u8, 0),
                        next,
                        Source::Software,
                        what(format!("INT {:#x}", t.arg & 0xff)),
                    ),
                    trap::INT3 => (
                        Exc::new(vector::BP, 0),
                        next,
                        Source::Software,
                        what("INT3".into()),
                    ),
                    trap::INTO => (
                        Exc::new(vector::OF, 0),
                        next,
                        Source::Software,
                        what("INTO".into()),
                    ),
                    trap::FAULT => {
                        let e = Exc::new((t.arg & 0xff) as u8, t.arg >> 8);
                        let o = what(format!("exception {} (error code {:#x})", e.vector, e.code));
                        (e, eip, Source::Exception, o)
                    }
                    _ => {
                        let b = t.arg.to_le_bytes();
                        let (_, text) = disassemble_bytes(&b, eip);
                        (
                            Exc::new(vector::UD, 0),
                            eip,
                            Source::Exception,
                            Outcome::Undefined {
                                pc: at,
                                what: format!(
                                    "bytes {:02x} {:02x} {:02x} {:02x} ({text})",
                                    b[0], b[1], b[2], b[3]
                                ),
                            },
                        )
                    }
                }
            }
            Stop::Limit | Stop::Halt | Stop::Request => {
                unreachable!("only traps and faults raise exceptions")
            }
        };
        match run.deliver_event(exc, ret, source) {
            Ok(_) => Ok((u64::from(run.env.arch.eip), cause)),
            // A triple fault resets a PC.
            Err(_) => Err(Outcome::Reset),
        }
    }

    fn interrupt_shadow(&self) -> bool {
        self.inhibit_irq != 0
    }

    fn end_interrupt_shadow(&mut self) {
        self.inhibit_irq = 0;
    }
}
