//! ARM semihosting: the guest asks the host for console output and to
//! exit, through `SVC 0x123456` (ARM state), `SVC 0xAB` (Thumb state) or,
//! as QEMU also accepts, `HLT 0xF000` / `HLT 0x3C`.
//!
//! Implemented calls: SYS_WRITEC, SYS_WRITE0, SYS_EXIT and
//! SYS_EXIT_EXTENDED. Output goes to the machine's semihosting console
//! (standard error, as QEMU's). Calls that would read host state (files,
//! clock, command line) are refused: they would make the run depend on the
//! host, and the replay layer does not carry them yet.

use crate::machine::core::Semihosted;
use lockstep_runtime::arm::ArmCpu;
use lockstep_runtime::env::CpuEnv;
use lockstep_runtime::softmmu::{self, MemOp};
use std::io::Write;

/// The A32 SVC immediate that marks a semihosting call.
pub const A32_SVC_IMM: u32 = 0x12_3456;
/// The T32 SVC immediate that marks a semihosting call.
pub const T32_SVC_IMM: u32 = 0xab;

const SYS_WRITEC: u32 = 0x03;
const SYS_WRITE0: u32 = 0x04;
const SYS_EXIT: u32 = 0x18;
const SYS_EXIT_EXTENDED: u32 = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;

/// Reads `size` bytes of guest memory for a semihosting argument.
fn read(env: &mut CpuEnv<ArmCpu>, addr: u32, size: u8) -> Option<u32> {
    let op = MemOp {
        size,
        align: 1,
        mmu_idx: env.arch.mmu_idx() as u8,
    };
    softmmu::read(env, u64::from(addr), op)
        .ok()
        .map(|v| v as u32)
}

/// Performs the call described by r0 (operation) and r1 (parameter).
pub fn call(env: &mut CpuEnv<ArmCpu>, out: &mut dyn Write) -> Semihosted {
    let op = env.arch.regs[0];
    let arg = env.arch.regs[1];
    match op {
        SYS_WRITEC => match read(env, arg, 1).map(|c| c as u8) {
            Some(c) => {
                let _ = out.write_all(&[c]);
                let _ = out.flush();
                Semihosted::Continue
            }
            None => Semihosted::Error(format!("SYS_WRITEC: cannot read the character at {arg:#x}")),
        },
        SYS_WRITE0 => {
            let mut s = Vec::new();
            let mut a = arg;
            loop {
                match read(env, a, 1).map(|c| c as u8) {
                    Some(0) => break,
                    Some(c) => s.push(c),
                    None => {
                        return Semihosted::Error(format!(
                            "SYS_WRITE0: cannot read the string at {a:#x}"
                        ))
                    }
                }
                a = a.wrapping_add(1);
            }
            let _ = out.write_all(&s);
            let _ = out.flush();
            Semihosted::Continue
        }
        SYS_EXIT => Semihosted::Exit(if arg == ADP_STOPPED_APPLICATION_EXIT {
            0
        } else {
            1
        }),
        SYS_EXIT_EXTENDED => match (read(env, arg, 4), read(env, arg.wrapping_add(4), 4)) {
            (Some(ADP_STOPPED_APPLICATION_EXIT), Some(code)) => Semihosted::Exit(code as i32),
            (Some(_), Some(_)) => Semihosted::Exit(1),
            _ => Semihosted::Error(format!(
                "SYS_EXIT_EXTENDED: cannot read the parameter block at {arg:#x}"
            )),
        },
        _ => Semihosted::Error(format!("semihosting operation {op:#x} is not supported")),
    }
}
