//! Runtime helpers for i386 instructions whose semantics are clearer as
//! Rust than as IR, or that reach outside the CPU: division (with #DE),
//! rotate through carry, port I/O, segment loads and far transfers,
//! control registers, TLB invalidation, CPUID, RDTSC and the MSRs.
//!
//! A helper that raises an exception records it as the environment's
//! pending fault (`FaultKind::Arch` or a page fault) and returns; the
//! block then exits at the helper's instruction with nothing after the
//! call done. A helper that changes what the run loop must look at (a
//! port write, a new privilege level, interrupts enabled) sets the exit
//! request.

use crate::ir::{Helper, StateUse};
use lockstep_runtime::env::CpuEnv;
use lockstep_runtime::softmmu;
use lockstep_runtime::x86::mmu::TAG_GLOBAL;
use lockstep_runtime::x86::seg::{self, Exc, Return};
use lockstep_runtime::x86::{cr0, cr4, vector, X86Cpu};

type Env = CpuEnv<X86Cpu>;

/// # Safety
/// `env` must be the live environment of an x86 vCPU.
unsafe fn env<'a>(p: *mut u8) -> &'a mut Env {
    unsafe { &mut *(p as *mut Env) }
}

/// Records `e` as the instruction's exception.
fn raise(env: &mut Env, e: Exc) -> u64 {
    env.raise(e.to_fault());
    0
}

macro_rules! helper {
    ($(#[$doc:meta])* $name:ident, $text:literal, $func:ident, $fault:expr) => {
        $(#[$doc])*
        pub static $name: Helper = Helper {
            name: $text,
            func: $func,
            may_fault: $fault,
            state: StateUse::All,
        };
    };
}

helper!(
    /// DIV/IDIV: `(dividend, divisor, bits | signed << 8)`; returns the
    /// quotient in the low and the remainder in the high 32 bits, or
    /// raises #DE (divisor zero, quotient too large).
    DIV, "div", div, true
);
unsafe extern "C" fn div(e: *mut u8, n: u64, d: u64, spec: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let bits = (spec & 0xff) as u32;
    let signed = spec & 0x100 != 0;
    let de = Exc::new(vector::DE, 0);
    if signed {
        let sx = |v: u64, w: u32| ((v << (64 - w)) as i64) >> (64 - w);
        let n = sx(n, 2 * bits) as i128;
        let d = sx(d, bits) as i128;
        if d == 0 {
            return raise(env, de);
        }
        let q = n / d;
        let r = n % d;
        let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
        if q < lo || q > hi {
            return raise(env, de);
        }
        let mask = (1u64 << bits) - 1;
        (q as u64 & mask) | (r as u64 & mask) << 32
    } else {
        if d == 0 {
            return raise(env, de);
        }
        let q = n / d;
        let r = n % d;
        if q >> bits != 0 {
            return raise(env, de);
        }
        q | r << 32
    }
}

helper!(
    /// RCL/RCR: `(value, count 0-31, CF, bits | left << 8)`; returns the
    /// result with CF in bit 32 and OF in bit 33.
    RCX, "rcx", rcx, false
);
unsafe extern "C" fn rcx(_e: *mut u8, v: u64, count: u64, cf: u64, spec: u64) -> u64 {
    let bits = (spec & 0xff) as u32;
    let left = spec & 0x100 != 0;
    // Rotate the (bits + 1)-bit value CF:v.
    let w = bits + 1;
    let n = (count as u32) % w;
    let mask = (1u128 << w) - 1;
    let x = (u128::from(cf & 1) << bits | u128::from(v)) & mask;
    let r = if n == 0 {
        x
    } else if left {
        ((x << n) | (x >> (w - n))) & mask
    } else {
        ((x >> n) | (x << (w - n))) & mask
    };
    let res = (r as u64) & ((1u64 << bits) - 1);
    let new_cf = (r >> bits) as u64 & 1;
    let top = res >> (bits - 1) & 1;
    let of = if left {
        top ^ new_cf
    } else {
        top ^ (res >> (bits - 2) & 1)
    };
    res | new_cf << 32 | of << 33
}

helper!(
    /// IN: `(port, size)`; returns the value. Asks the run loop to look
    /// (a read may change a device's interrupt output).
    PORT_IN, "port_in", port_in, false
);
unsafe extern "C" fn port_in(e: *mut u8, port: u64, size: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let ctx = env.io_ctx();
    // SAFETY: the run loop owns the bus while guest code runs.
    let v = unsafe { env.bus() }.pio_read(&ctx, port as u16, size as u8);
    env.exit_request = 1;
    v
}

helper!(
    /// OUT: `(port, size, value)`. Asks the run loop to look.
    PORT_OUT, "port_out", port_out, false
);
unsafe extern "C" fn port_out(e: *mut u8, port: u64, size: u64, value: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let ctx = env.io_ctx();
    // SAFETY: as above.
    unsafe { env.bus() }.pio_write(&ctx, port as u16, size as u8, value);
    env.exit_request = 1;
    0
}

helper!(
    /// MOV/POP/LxS to a data segment register: `(sreg, selector)`. A
    /// load of SS starts an interrupt shadow.
    LOAD_SEG, "load_seg", load_seg, true
);
unsafe extern "C" fn load_seg(e: *mut u8, r: u64, selector: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    match seg::load_data_segment(env, r as usize, selector as u32) {
        Ok(()) => {
            if r as usize == lockstep_runtime::x86::sreg::SS {
                env.arch.inhibit_irq = 1;
            }
            0
        }
        Err(x) => raise(env, x),
    }
}

helper!(
    /// Far JMP: `(selector, offset)`; sets CS and EIP.
    FAR_JMP, "far_jmp", far_jmp, true
);
unsafe extern "C" fn far_jmp(e: *mut u8, sel: u64, off: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    match seg::far_jump(env, sel as u32, off as u32) {
        Ok(()) => {
            env.exit_request = 1;
            0
        }
        Err(x) => raise(env, x),
    }
}

helper!(
    /// Far CALL: `(selector, offset, return EIP)`.
    FAR_CALL, "far_call", far_call, true
);
unsafe extern "C" fn far_call(e: *mut u8, sel: u64, off: u64, ret: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    match seg::far_call(env, sel as u32, off as u32, ret as u32) {
        Ok(()) => {
            env.exit_request = 1;
            0
        }
        Err(x) => raise(env, x),
    }
}

helper!(
    /// RETF imm / IRETD: `(imm, iret)`.
    FAR_RET, "far_ret", far_ret, true
);
unsafe extern "C" fn far_ret(e: *mut u8, imm: u64, iret: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let kind = if iret != 0 {
        Return::Interrupt
    } else {
        Return::Far { imm: imm as u32 }
    };
    match seg::far_return(env, kind) {
        Ok(()) => {
            // A new privilege level, maybe interrupts enabled.
            env.exit_request = 1;
            0
        }
        Err(x) => raise(env, x),
    }
}

helper!(
    /// LTR (`which` 0) and LLDT (1): `(which, selector)`.
    LOAD_SYSTEM_SEG, "load_system_seg", load_system_seg, true
);
unsafe extern "C" fn load_system_seg(e: *mut u8, which: u64, sel: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let r = if which == 0 {
        seg::load_task_register(env, sel as u32)
    } else {
        seg::load_ldt(env, sel as u32)
    };
    match r {
        Ok(()) => 0,
        Err(x) => raise(env, x),
    }
}

helper!(
    /// MOV to CR0, CR3 or CR4: `(n, value)`, with the TLB flushes a
    /// change needs. Bits this CPU lacks, clearing PE (real mode is not
    /// supported) and PG without PE raise #GP(0).
    WRITE_CR, "write_cr", write_cr, true
);
unsafe extern "C" fn write_cr(e: *mut u8, n: u64, v: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let v = v as u32;
    let gp = Exc::gp(0);
    match n {
        0 => {
            // Real mode is not supported (and PG needs PE anyway).
            if v & cr0::PE == 0 {
                return raise(env, gp);
            }
            let old = env.arch.cr0;
            // ET is hardwired to 1.
            env.arch.cr0 = v | cr0::ET;
            if (old ^ v) & (cr0::PG | cr0::WP | cr0::PE) != 0 {
                softmmu::flush_all(env, true);
            }
        }
        3 => {
            env.arch.cr3 = v;
            softmmu::flush_where(env, |tag| tag & TAG_GLOBAL == 0, true);
        }
        4 => {
            if v & !cr4::SUPPORTED != 0 {
                return raise(env, gp);
            }
            let old = env.arch.cr4;
            env.arch.cr4 = v;
            if (old ^ v) & (cr4::PSE | cr4::PGE) != 0 {
                softmmu::flush_all(env, true);
            }
        }
        _ => return raise(env, Exc::new(vector::UD, 0)),
    }
    0
}

helper!(
    /// LAR (`kind` 2), LSL (3), VERR (0), VERW (1) of `selector`: bit 32
    /// set for ZF, the value in the low 32 bits.
    VERIFY, "verify", verify, true
);
unsafe extern "C" fn verify(e: *mut u8, kind: u64, sel: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let k = match kind {
        0 => seg::Verify::Read,
        1 => seg::Verify::Write,
        2 => seg::Verify::AccessRights,
        _ => seg::Verify::Limit,
    };
    match seg::verify(env, k, sel as u32) {
        Ok(Some(v)) => 1 << 32 | u64::from(v),
        Ok(None) => 0,
        Err(x) => raise(env, x),
    }
}

helper!(
    /// Raises exception `vector` (no error code) when `cond` is non-zero
    /// (BOUND's #BR).
    RAISE_IF, "raise_if", raise_if, true
);
unsafe extern "C" fn raise_if(e: *mut u8, cond: u64, vector: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    if cond != 0 {
        return raise(env, Exc::new(vector as u8, 0));
    }
    0
}

helper!(
    /// INVLPG: `(linear address)`.
    INVLPG, "invlpg", invlpg, false
);
unsafe extern "C" fn invlpg(e: *mut u8, addr: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    softmmu::flush_page(env, addr & 0xffff_ffff);
    0
}

/// The CPUID leaves: (leaf, EAX, EBX, ECX, EDX).
///
/// A family-6 i686 with exactly the features implemented here: the x87
/// FPU, TSC, MSR (RDMSR/WRMSR), CX8, PSE, PGE, CMOV, DE (CR4.DE
/// accepted). No APIC, no PAE, no SEP, no MMX/SSE, no FXSR.
pub const CPUID: &[(u32, u32, u32, u32, u32)] = &[
    // Max leaf 1, "GenuineIntel" in EBX, EDX, ECX.
    (0, 1, 0x756e_6547, 0x6c65_746e, 0x4965_6e69),
    // Family 6, model 3, stepping 3; features in EDX.
    (1, 0x0000_0633, 0, 0, FEATURES_EDX),
    (0x8000_0000, 0x8000_0004, 0, 0, 0),
    (0x8000_0001, 0, 0, 0, 0),
    // "Lockstep i686 CPU" (brand string, NUL-padded).
    (
        0x8000_0002,
        0x6b63_6f4c,
        0x7065_7473,
        0x3836_6920,
        0x5043_2036,
    ),
    (0x8000_0003, 0x0000_0055, 0, 0, 0),
    (0x8000_0004, 0, 0, 0, 0),
];

/// CPUID.1:EDX: FPU (0), DE (2), PSE (3), TSC (4), MSR (5), CX8 (8),
/// PGE (13), CMOV (15).
pub const FEATURES_EDX: u32 = 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 8 | 1 << 13 | 1 << 15;

helper!(
    /// CPUID: EAX (and ECX) in, EAX, EBX, ECX, EDX out.
    CPUID_HELPER, "cpuid", cpuid, false
);
unsafe extern "C" fn cpuid(e: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let leaf = env.arch.regs[0];
    // An unknown leaf beyond the maximum answers as the highest basic
    // leaf does (Intel's rule).
    let find = |l: u32| CPUID.iter().find(|e| e.0 == l);
    let row = find(leaf).or_else(|| {
        if leaf >= 0x8000_0000 {
            Some(&(0, 0, 0, 0, 0))
        } else {
            find(1)
        }
    });
    let &(_, a, b, c, d) = row.expect("leaf 1 exists");
    env.arch.regs[0] = a;
    env.arch.regs[3] = b;
    env.arch.regs[1] = c;
    env.arch.regs[2] = d;
    0
}

helper!(
    /// RDTSC: EDX:EAX = the time-stamp counter, virtual nanoseconds (a
    /// 1 GHz clock) plus the offset a TSC write set. #GP(0) at CPL > 0
    /// with CR4.TSD.
    RDTSC, "rdtsc", rdtsc, true
);
unsafe extern "C" fn rdtsc(e: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    if env.arch.cr4 & cr4::TSD != 0 && env.arch.cpl() != 0 {
        return raise(env, Exc::gp(0));
    }
    let t = env.now_ns().wrapping_add(env.arch.msr.tsc_offset);
    env.arch.regs[0] = t as u32;
    env.arch.regs[2] = (t >> 32) as u32;
    0
}

/// IA32_TIME_STAMP_COUNTER.
const MSR_TSC: u32 = 0x10;
/// IA32_BIOS_SIGN_ID: the microcode revision (none: reads 0, writes are
/// the microcode-update handshake and change nothing).
const MSR_BIOS_SIGN_ID: u32 = 0x8b;

helper!(
    /// RDMSR: ECX selects; EDX:EAX out. Unknown MSRs raise #GP(0).
    RDMSR, "rdmsr", rdmsr, true
);
unsafe extern "C" fn rdmsr(e: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let v = match env.arch.regs[1] {
        MSR_TSC => env.now_ns().wrapping_add(env.arch.msr.tsc_offset),
        MSR_BIOS_SIGN_ID => 0,
        _ => return raise(env, Exc::gp(0)),
    };
    env.arch.regs[0] = v as u32;
    env.arch.regs[2] = (v >> 32) as u32;
    0
}

helper!(
    /// WRMSR: ECX selects, EDX:EAX in. Unknown MSRs raise #GP(0).
    WRMSR, "wrmsr", wrmsr, true
);
unsafe extern "C" fn wrmsr(e: *mut u8, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    let v = u64::from(env.arch.regs[2]) << 32 | u64::from(env.arch.regs[0]);
    match env.arch.regs[1] {
        MSR_TSC => env.arch.msr.tsc_offset = v.wrapping_sub(env.now_ns()),
        MSR_BIOS_SIGN_ID => {}
        _ => return raise(env, Exc::gp(0)),
    }
    0
}

helper!(
    /// STI and POPF that set IF: starts the one-instruction interrupt
    /// shadow (STI only: `arg` 1) and asks the run loop to look.
    IRQ_WINDOW, "irq_window", irq_window, false
);
unsafe extern "C" fn irq_window(e: *mut u8, shadow: u64, _: u64, _: u64, _: u64) -> u64 {
    let env = unsafe { env(e) };
    if shadow != 0 {
        env.arch.inhibit_irq = 1;
    }
    env.exit_request = 1;
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotate_through_carry_matches_a_bitwise_model() {
        // RCL AL, 1 with CF=1: 0x80 -> 0x01, CF=1, OF = top ^ CF.
        let r = unsafe { rcx(std::ptr::null_mut(), 0x80, 1, 1, 8 | 1 << 8) };
        assert_eq!(r & 0xff, 0x01);
        assert_eq!(r >> 32 & 1, 1);
        // RCR EAX, 1 with CF=0: 1 -> 0, CF=1.
        let r = unsafe { rcx(std::ptr::null_mut(), 1, 1, 0, 32) };
        assert_eq!((r & 0xffff_ffff, r >> 32 & 1), (0, 1));
        // A count of width + 1 is the identity.
        let r = unsafe { rcx(std::ptr::null_mut(), 0x5a, 9, 1, 8 | 1 << 8) };
        assert_eq!((r & 0xff, r >> 32 & 1), (0x5a, 1));
    }
}
