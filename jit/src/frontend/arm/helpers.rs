//! Runtime helpers for A32 instructions whose semantics read better as Rust
//! than as IR: saturating arithmetic, SIMD within a register, sum of
//! absolute differences, and store-exclusive. Both backends call them.

use crate::ir::{Helper, StateUse};
use lockstep_runtime::arm::{bank, pmu, psr, sysreg, ArmCpu};
use lockstep_runtime::env::CpuEnv;
use lockstep_runtime::softmmu::{self, MemOp};

/// # Safety
/// `env` must be the live ARM environment.
pub(super) unsafe fn arm<'a>(env: *mut u8) -> &'a mut CpuEnv<ArmCpu> {
    unsafe { &mut *(env as *mut CpuEnv<ArmCpu>) }
}

/// Saturates `v` to a signed `bits`-wide range; returns (value, saturated).
pub fn signed_sat(v: i64, bits: u32) -> (i64, bool) {
    let max = (1i64 << (bits - 1)) - 1;
    let min = -(1i64 << (bits - 1));
    if v > max {
        (max, true)
    } else if v < min {
        (min, true)
    } else {
        (v, false)
    }
}

/// Saturates `v` to an unsigned `bits`-wide range; returns (value, saturated).
pub fn unsigned_sat(v: i64, bits: u32) -> (i64, bool) {
    let max = (1i64 << bits) - 1;
    if v > max {
        (max, true)
    } else if v < 0 {
        (0, true)
    } else {
        (v, false)
    }
}

/// USAD8: sum of absolute differences of the four byte pairs.
pub static USAD8: Helper = Helper {
    name: "usad8",
    func: usad8,
    may_fault: false,
    state: StateUse::Ranges(&[]),
};
unsafe extern "C" fn usad8(_env: *mut u8, a: u64, b: u64, _: u64, _: u64) -> u64 {
    (0..4)
        .map(|i| ((a >> (8 * i)) as u8).abs_diff((b >> (8 * i)) as u8) as u64)
        .sum()
}

/// QADD/QSUB/QDADD/QDSUB: `args = (Rm, Rn, op)`, Q set on saturation.
pub static QADDSUB: Helper = Helper {
    name: "qaddsub",
    func: qaddsub,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn qaddsub(env: *mut u8, m: u64, n: u64, op: u64, _: u64) -> u64 {
    let (m, mut n) = (i64::from(m as i32), i64::from(n as i32));
    let mut q = false;
    if op & 2 != 0 {
        let (d, s) = signed_sat(2 * n, 32);
        n = d;
        q |= s;
    }
    let (r, s) = signed_sat(if op & 1 != 0 { m - n } else { m + n }, 32);
    q |= s;
    if q {
        unsafe { arm(env) }.arch.qf = 1;
    }
    u64::from(r as u32)
}

/// SSAT/USAT: `args = (value, bits | signed << 8)`, Q set on saturation.
pub static SAT: Helper = Helper {
    name: "sat",
    func: sat,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn sat(env: *mut u8, v: u64, width: u64, _: u64, _: u64) -> u64 {
    let bits = (width & 0xff) as u32;
    let v = i64::from(v as i32);
    let (r, s) = if width & 0x100 != 0 {
        signed_sat(v, bits)
    } else {
        unsigned_sat(v, bits)
    };
    if s {
        unsafe { arm(env) }.arch.qf = 1;
    }
    u64::from(r as u32)
}

/// SSAT16/USAT16: each signed halfword saturated, Q set on saturation.
pub static SAT16: Helper = Helper {
    name: "sat16",
    func: sat16,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn sat16(env: *mut u8, v: u64, width: u64, _: u64, _: u64) -> u64 {
    let bits = (width & 0xff) as u32;
    let mut out = 0u32;
    let mut q = false;
    for i in 0..2 {
        let h = i64::from((v >> (16 * i)) as u16 as i16);
        let (r, s) = if width & 0x100 != 0 {
            signed_sat(h, bits)
        } else {
            unsigned_sat(h, bits)
        };
        q |= s;
        out |= (r as u32 & 0xffff) << (16 * i);
    }
    if q {
        unsafe { arm(env) }.arch.qf = 1;
    }
    u64::from(out)
}

/// The parallel add/subtract family: `args = (Rn, Rm, kind << 3 | op)`
/// with kind 1 S, 2 Q, 3 SH, 5 U, 6 UQ, 7 UH and op 0 ADD16, 1 ASX,
/// 2 SAX, 3 SUB16, 4 ADD8, 7 SUB8. S and U forms set GE.
pub static PARALLEL: Helper = Helper {
    name: "parallel",
    func: parallel,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn parallel(env: *mut u8, n: u64, m: u64, sel: u64, _: u64) -> u64 {
    let (n, m) = (n as u32, m as u32);
    let kind = (sel >> 3) as u32;
    let op = (sel & 7) as u32;
    let signed = kind < 4;
    let (width, lanes) = if op >= 4 { (8u32, 4u32) } else { (16, 2) };
    let lane = |v: u32, i: u32| -> i64 {
        let x = (v >> (width * i)) & ((1 << width) - 1);
        if signed {
            let s = 32 - width;
            i64::from(((x << s) as i32) >> s)
        } else {
            i64::from(x)
        }
    };
    let mut out = 0u32;
    let mut ge = 0u32;
    for i in 0..lanes {
        // (operand from Rm, add?) for this lane.
        let (mi, add) = match op {
            0 | 4 => (i, true),
            3 | 7 => (i, false),
            1 => (1 - i, i == 1),
            _ => (1 - i, i == 0),
        };
        let (a, b) = (lane(n, i), lane(m, mi));
        let exact = if add { a + b } else { a - b };
        let r = match kind {
            2 => signed_sat(exact, width).0,
            6 => unsigned_sat(exact, width).0,
            3 | 7 => exact >> 1,
            _ => exact,
        };
        let ge_lane = match kind {
            1 => exact >= 0,
            5 => {
                if add {
                    exact >= 1 << width
                } else {
                    exact >= 0
                }
            }
            _ => false,
        };
        if ge_lane {
            ge |= if width == 16 { 3 << (2 * i) } else { 1 << i };
        }
        out |= (r as u32 & ((1 << width) - 1)) << (width * i);
    }
    if kind == 1 || kind == 5 {
        unsafe { arm(env) }.arch.ge = ge;
    }
    u64::from(out)
}

/// CPSR bits an MSR never writes: the execution state (T, J, IT).
const EXECUTION_STATE: u32 = 0x0700_fc20;

/// Writes `value` to the CPSR under `bytes` (MSR to the control or
/// extension field in a privileged mode). A mode this core does not have
/// leaves the mode unchanged (the write is UNPREDICTABLE).
pub static WRITE_CPSR: Helper = Helper {
    name: "write_cpsr",
    func: write_cpsr,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn write_cpsr(env: *mut u8, value: u64, bytes: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { arm(env) };
    let mask = bytes as u32 & !EXECUTION_STATE;
    let new = (env.arch.cpsr() & !mask) | (value as u32 & mask);
    set_cpsr_keeping_bad_mode(env, new);
    0
}

/// Writes the CPSR; a mode this core does not have leaves the mode as it
/// is. The PMU first counts up to here in the old mode.
fn set_cpsr_keeping_bad_mode(env: &mut CpuEnv<ArmCpu>, new: u32) {
    if bank(new & psr::MODE).is_some() {
        pmu::before_mode_change(env, new);
    }
    let cpu = &mut env.arch;
    if !cpu.write_cpsr(new) {
        let mode = cpu.mode();
        cpu.set_cpsr((new & !psr::MODE) | mode);
    }
}

/// Exception return: the CPSR from the current mode's SPSR, then `target`
/// to the PC (aligned for the new state); clears the exclusive monitor.
pub static EXCEPTION_RETURN: Helper = Helper {
    name: "exception_return",
    func: exception_return,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn exception_return(env: *mut u8, target: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { arm(env) };
    if let Some(spsr) = env.arch.current_spsr() {
        set_cpsr_keeping_bad_mode(env, spsr);
    }
    let cpu = &mut env.arch;
    let thumb = cpu.cpsr_rest & psr::T != 0;
    cpu.regs[15] = target as u32 & if thumb { !1 } else { !3 };
    cpu.excl_addr = u64::MAX;
    // The masks may have changed: a pending interrupt is taken right
    // after the return, so the run loop must look.
    env.exit_request = 1;
    0
}

/// RFE: `args = (new PC, new CPSR)`: an exception return from memory.
pub static RETURN_FROM_EXCEPTION: Helper = Helper {
    name: "rfe",
    func: rfe,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn rfe(env: *mut u8, target: u64, cpsr: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { arm(env) };
    set_cpsr_keeping_bad_mode(env, cpsr as u32);
    let cpu = &mut env.arch;
    let thumb = cpu.cpsr_rest & psr::T != 0;
    cpu.regs[15] = target as u32 & if thumb { !1 } else { !3 };
    cpu.excl_addr = u64::MAX;
    env.exit_request = 1;
    0
}

/// Reads register `args.1` (0–14) of the bank of mode `args.0` (LDM/STM
/// of User registers, SRS).
pub static BANKED_REG_READ: Helper = Helper {
    name: "banked_reg_read",
    func: banked_reg_read,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn banked_reg_read(env: *mut u8, mode: u64, r: u64, _: u64, _: u64) -> u64 {
    let cpu = &unsafe { arm(env) }.arch;
    u64::from(cpu.banked_reg(mode as u32, r as usize))
}

/// Writes `args.2` to register `args.1` of the bank of mode `args.0`.
pub static BANKED_REG_WRITE: Helper = Helper {
    name: "banked_reg_write",
    func: banked_reg_write,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn banked_reg_write(env: *mut u8, mode: u64, r: u64, v: u64, _: u64) -> u64 {
    let cpu = &mut unsafe { arm(env) }.arch;
    cpu.set_banked_reg(mode as u32, r as usize, v as u32);
    0
}

/// Reads system register `args.0` (a [`sysreg::Special`]).
pub static SYSREG_READ: Helper = Helper {
    name: "sysreg_read",
    func: sysreg_read,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn sysreg_read(env: *mut u8, which: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { arm(env) };
    match sysreg::Special::from_u32(which as u32) {
        Some(s) => sysreg::read_special(env, s),
        None => 0,
    }
}

/// Writes `args.1` to system register `args.0` (a [`sysreg::Special`]).
pub static SYSREG_WRITE: Helper = Helper {
    name: "sysreg_write",
    func: sysreg_write,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn sysreg_write(env: *mut u8, which: u64, v: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { arm(env) };
    if let Some(s) = sysreg::Special::from_u32(which as u32) {
        sysreg::write_special(env, s, v);
    }
    0
}

/// CPS: `arg` is the instruction's bits 19:0 (imod, M, A, I, F, mode).
pub static CPS: Helper = Helper {
    name: "cps",
    func: cps,
    may_fault: false,
    state: StateUse::All,
};
unsafe extern "C" fn cps(env: *mut u8, arg: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { arm(env) };
    let arg = arg as u32;
    let imod = arg >> 18 & 3;
    let affected = (arg >> 6 & 7) << 6; // A, I, F sit at CPSR bits 8:6 too
    let mut new = env.arch.cpsr();
    match imod {
        2 => new &= !affected,
        3 => new |= affected,
        _ => {}
    }
    if arg >> 17 & 1 != 0 {
        new = (new & !psr::MODE) | (arg & psr::MODE);
    }
    set_cpsr_keeping_bad_mode(env, new);
    0
}

fn to_guest(raw: u64, size: u8, big: bool) -> u64 {
    match (big, size) {
        (false, _) | (true, 1) => raw,
        (true, 2) => u64::from((raw as u16).swap_bytes()),
        (true, 4) => u64::from((raw as u32).swap_bytes()),
        // A doubleword exclusive is two words: Rt at the lower address.
        (true, _) => {
            u64::from((raw as u32).swap_bytes())
                | u64::from(((raw >> 32) as u32).swap_bytes()) << 32
        }
    }
}

/// STREX family: `args = (address, value, size | big_endian << 8 |
/// mmu_idx << 16)`; returns 0 if the store happened, 1 if not. The store
/// happens when the monitor holds this address and memory still holds the
/// value the load-exclusive read; the monitor is cleared either way.
pub static STORE_EXCLUSIVE: Helper = Helper {
    name: "store_exclusive",
    func: store_exclusive,
    may_fault: true,
    state: StateUse::All,
};
unsafe extern "C" fn store_exclusive(
    env: *mut u8,
    addr: u64,
    value: u64,
    flags: u64,
    _: u64,
) -> u64 {
    let env = unsafe { arm(env) };
    let size = flags as u8;
    let big = flags & 0x100 != 0;
    let op = MemOp {
        size,
        align: size,
        mmu_idx: (flags >> 16) as u8,
    };
    let armed = env.arch.excl_addr == addr;
    env.arch.excl_addr = u64::MAX;
    if !armed {
        return 1;
    }
    let mask = if size == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * size)) - 1
    };
    let current = match softmmu::read(env, addr, op) {
        Ok(raw) => to_guest(raw, size, big),
        Err(f) => {
            env.raise(f);
            return 1;
        }
    };
    if current != env.arch.excl_val & mask {
        return 1;
    }
    match softmmu::write(env, addr, to_guest(value & mask, size, big), op) {
        Ok(()) => 0,
        Err(f) => {
            env.raise(f);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: u64, op: u64, n: u32, m: u32) -> (u32, u32) {
        let mut bus = lockstep_runtime::Bus::new();
        let mut env = CpuEnv::new(ArmCpu::new(), &mut bus);
        let p = &mut *env as *mut CpuEnv<ArmCpu> as *mut u8;
        let r = unsafe { parallel(p, n.into(), m.into(), kind << 3 | op, 0) } as u32;
        (r, env.arch.ge)
    }

    #[test]
    fn parallel_lanes_and_ge() {
        // SADD16: 0x7fff + 1 wraps, GE from the sign of the exact sums.
        assert_eq!(run(1, 0, 0x0001_7fff, 0x0001_0001), (0x0002_8000, 0b1111));
        // UADD8: carries set GE per byte.
        assert_eq!(run(5, 4, 0xff01_ff01, 0x0101_0101), (0x0002_0002, 0b1010));
        // QSUB16 saturates; UQADD8 saturates at 0xff.
        assert_eq!(run(2, 3, 0x8000_0000, 0x0001_0001).0, 0x8000_ffff);
        assert_eq!(run(6, 4, 0xf0f0_f0f0, 0x2020_2020).0, 0xffff_ffff);
        // SHASX: halving exchange.
        assert_eq!(run(3, 1, 0x0004_0008, 0x0002_0006).0, 0x0005_0003);
    }

    #[test]
    fn saturation() {
        assert_eq!(signed_sat(200, 8), (127, true));
        assert_eq!(unsigned_sat(-3, 8), (0, true));
        assert_eq!(unsigned_sat(255, 8), (255, false));
    }
}
