//! System instructions: port I/O, interrupt flag, HLT, software
//! interrupts, IRET and the far transfers, segment register loads,
//! descriptor table registers, control registers, PUSHF/POPF, CPUID,
//! RDTSC, MSRs, TLB and cache maintenance.
//!
//! Privilege checks that depend only on the translation flags (CPL,
//! IOPL) are made when the instruction is lifted: the instruction then
//! raises #GP(0) without doing anything. Port I/O ignores the TSS I/O
//! permission bitmap (CPL ≤ IOPL is required).

use super::super::{helpers, seg_selector_slot, slots};
use super::{seg_index, Cx, End, Fault, LResult};
use crate::ir::{Cmp, Slot, Type, Value};
use iced_x86::{Mnemonic, OpKind, Register};
use lockstep_runtime::x86::{eflags, sreg, trap, X86Cpu};
use std::mem::offset_of;

fn cr_slot(n: u32) -> Slot {
    let off = match n {
        0 => offset_of!(X86Cpu, cr0),
        2 => offset_of!(X86Cpu, cr2),
        3 => offset_of!(X86Cpu, cr3),
        _ => offset_of!(X86Cpu, cr4),
    };
    Slot {
        offset: (offset_of!(lockstep_runtime::env::CpuEnv<X86Cpu>, arch) + off) as u32,
        ty: Type::I32,
    }
}

/// Port I/O needs CPL ≤ IOPL.
pub fn check_io(cx: &Cx) -> LResult {
    if cx.cpl() > cx.iopl() {
        return Err(Fault::Gp(0));
    }
    Ok(())
}

/// The port of IN/OUT/INS/OUTS: an immediate or DX.
fn port(cx: &mut Cx) -> Value {
    for n in 0..cx.insn.op_count() {
        match cx.insn.op_kind(n) {
            OpKind::Immediate8 => return cx.b.iconst(Type::I64, cx.insn.immediate(n) & 0xff),
            OpKind::Register if cx.insn.op_register(n) == Register::DX => {
                let dx = cx.get_reg(Register::DX);
                return cx.b.zext(dx, Type::I64);
            }
            _ => {}
        }
    }
    let dx = cx.get_reg(Register::DX);
    cx.b.zext(dx, Type::I64)
}

/// Reads a `ty` from the instruction's port.
pub fn port_in(cx: &mut Cx, ty: Type) -> Value {
    let p = port(cx);
    let size = cx.b.iconst(Type::I64, u64::from(ty.bytes()));
    let v = cx.b.call(helpers::PORT_IN, &[p, size]);
    cx.stores = true;
    cx.b.zext(v, ty)
}

/// Writes `v` to the instruction's port.
pub fn port_out(cx: &mut Cx, ty: Type, v: Value) {
    let p = port(cx);
    let size = cx.b.iconst(Type::I64, u64::from(ty.bytes()));
    let v = cx.b.zext(v, Type::I64);
    cx.b.call(helpers::PORT_OUT, &[p, size, v]);
    cx.stores = true;
}

/// IN AL/AX/EAX, imm8/DX.
pub fn in_(cx: &mut Cx) -> LResult {
    check_io(cx)?;
    let ty = cx.op_ty(0);
    let v = port_in(cx, ty);
    cx.write(0, v);
    Ok(())
}

/// OUT imm8/DX, AL/AX/EAX.
pub fn out(cx: &mut Cx) -> LResult {
    check_io(cx)?;
    let ty = cx.op_ty(1);
    let v = cx.read(1);
    port_out(cx, ty, v);
    Ok(())
}

fn set_if(cx: &mut Cx, on: bool) {
    let f = cx.b.get(slots::EFLAGS);
    let m = cx.b.c32(eflags::IF);
    let v = if on {
        cx.b.or(f, m)
    } else {
        let nm = cx.b.not(m);
        cx.b.and(f, nm)
    };
    cx.b.set(slots::EFLAGS, v);
}

/// CLI (CPL ≤ IOPL).
pub fn cli(cx: &mut Cx) -> LResult {
    check_io(cx)?;
    set_if(cx, false);
    Ok(())
}

/// STI (CPL ≤ IOPL): interrupts are recognised after the next
/// instruction (the interrupt shadow), so the run loop looks then.
pub fn sti(cx: &mut Cx) -> LResult {
    check_io(cx)?;
    // The shadow only starts if IF was clear.
    let f = cx.b.get(slots::EFLAGS);
    let m = cx.b.c32(eflags::IF);
    let was = cx.b.and(f, m);
    let z = cx.b.c32(0);
    let off = cx.b.cmp(Cmp::Eq, was, z);
    let off = cx.b.zext(off, Type::I64);
    set_if(cx, true);
    cx.b.call(helpers::IRQ_WINDOW, &[off]);
    cx.end = End::Exit;
    Ok(())
}

/// HLT (CPL 0).
pub fn hlt(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    cx.end = End::Halt;
    Ok(())
}

fn trap_arg(cx: &Cx, vector: u32) -> u32 {
    vector | (cx.insn.len() as u32) << 8
}

/// INT imm8.
pub fn int(cx: &mut Cx) -> LResult {
    let v = cx.insn.immediate(0) as u32 & 0xff;
    cx.end = End::Trap {
        code: trap::INT,
        arg: trap_arg(cx, v),
        when: None,
    };
    Ok(())
}

/// INT3.
pub fn int3(cx: &mut Cx) -> LResult {
    cx.end = End::Trap {
        code: trap::INT3,
        arg: trap_arg(cx, 3),
        when: None,
    };
    Ok(())
}

/// INTO: #OF if OF is set.
pub fn into(cx: &mut Cx) -> LResult {
    let o = cx.of();
    cx.end = End::Trap {
        code: trap::INTO,
        arg: trap_arg(cx, 4),
        when: Some(o),
    };
    Ok(())
}

/// IRETD (the 16-bit IRET is not supported: #UD).
pub fn iret(cx: &mut Cx) -> LResult {
    if cx.insn.mnemonic() != Mnemonic::Iretd {
        return Err(Fault::Ud);
    }
    let z = cx.b.iconst(Type::I64, 0);
    let one = cx.b.iconst(Type::I64, 1);
    cx.b.call(helpers::FAR_RET, &[z, one]);
    cx.end = End::ExitIndirect;
    Ok(())
}

/// RETF / RETF imm16.
pub fn retf(cx: &mut Cx) -> LResult {
    if cx.stack_ty() != Type::I32 {
        return Err(Fault::Ud);
    }
    let imm = if cx.insn.op_count() == 1 {
        cx.insn.immediate(0) & 0xffff
    } else {
        0
    };
    let i = cx.b.iconst(Type::I64, imm);
    let z = cx.b.iconst(Type::I64, 0);
    cx.b.call(helpers::FAR_RET, &[i, z]);
    cx.end = End::ExitIndirect;
    Ok(())
}

/// The selector and offset of a far JMP or CALL operand.
fn far_target(cx: &mut Cx) -> Result<(Value, Value), Fault> {
    match cx.insn.op_kind(0) {
        OpKind::FarBranch32 => {
            let sel =
                cx.b.iconst(Type::I64, u64::from(cx.insn.far_branch_selector()));
            let off = cx.b.iconst(Type::I64, u64::from(cx.insn.far_branch32()));
            Ok((sel, off))
        }
        OpKind::Memory if cx.insn.memory_size().size() == 6 => {
            let a = cx.ea();
            let off = cx.load(Type::I32, a);
            let four = cx.b.c32(4);
            let a4 = cx.b.add(a, four);
            let sel = cx.load(Type::I16, a4);
            Ok((cx.b.zext(sel, Type::I64), cx.b.zext(off, Type::I64)))
        }
        _ => Err(Fault::Ud),
    }
}

/// JMP ptr16:32 / JMP m16:32.
pub fn far_jmp(cx: &mut Cx) -> LResult {
    let (sel, off) = far_target(cx)?;
    cx.b.call(helpers::FAR_JMP, &[sel, off]);
    cx.end = End::ExitIndirect;
    Ok(())
}

/// CALL ptr16:32 / CALL m16:32.
pub fn far_call(cx: &mut Cx) -> LResult {
    let (sel, off) = far_target(cx)?;
    let ret = cx.b.iconst(Type::I64, u64::from(cx.next));
    cx.b.call(helpers::FAR_CALL, &[sel, off, ret]);
    cx.end = End::ExitIndirect;
    Ok(())
}

fn load_seg(cx: &mut Cx, r: usize, selector: Value) {
    let rv = cx.b.iconst(Type::I64, r as u64);
    let s = cx.b.zext(selector, Type::I64);
    cx.b.call(helpers::LOAD_SEG, &[rv, s]);
    cx.end = End::Exit;
}

/// MOV to or from a segment, control or debug register.
pub fn mov_special(cx: &mut Cx) -> LResult {
    let r0 = (cx.insn.op_kind(0) == OpKind::Register).then(|| cx.insn.op_register(0));
    let r1 = (cx.insn.op_kind(1) == OpKind::Register).then(|| cx.insn.op_register(1));
    match (r0, r1) {
        (Some(d), _) if d.is_segment_register() => {
            let r = seg_index(d);
            if r == sreg::CS {
                return Err(Fault::Ud);
            }
            let v = cx.read_as(1, Type::I16);
            load_seg(cx, r, v);
        }
        (_, Some(s)) if s.is_segment_register() => {
            let sel = cx.b.get(seg_selector_slot(seg_index(s)));
            // To a register: zero-extended; to memory: 16 bits.
            let ty = cx.op_ty(0);
            let v = cx.b.zext(sel, ty);
            cx.write(0, v);
        }
        (Some(d), Some(s)) if d.is_cr() => {
            cx.require_cpl0()?;
            let n = d as u32 - Register::CR0 as u32;
            let v = cx.get_reg(s);
            match n {
                2 => cx.b.set(cr_slot(2), v),
                0 | 3 | 4 => {
                    let nv = cx.b.iconst(Type::I64, u64::from(n));
                    let v = cx.b.zext(v, Type::I64);
                    cx.b.call(helpers::WRITE_CR, &[nv, v]);
                    cx.end = End::Exit;
                }
                _ => return Err(Fault::Ud),
            }
        }
        (Some(_), Some(s)) if s.is_cr() => {
            cx.require_cpl0()?;
            let n = s as u32 - Register::CR0 as u32;
            if !matches!(n, 0 | 2 | 3 | 4) {
                return Err(Fault::Ud);
            }
            let v = cx.b.get(cr_slot(n));
            cx.write(0, v);
        }
        (Some(d), Some(_)) | (Some(_), Some(d)) if d.is_dr() => {
            // Debug registers: no debug support yet; reads give 0 (DR6
            // and DR7 their reset values), writes are ignored.
            cx.require_cpl0()?;
            if r0.is_some_and(|r| r.is_dr()) {
                return Ok(());
            }
            let v = match r1.map(|r| r as u32 - Register::DR0 as u32) {
                Some(6) => 0xffff_0ff0,
                Some(7) => 0x400,
                _ => 0,
            };
            let v = cx.b.c32(v);
            cx.write(0, v);
        }
        _ => return Err(Fault::Ud),
    }
    Ok(())
}

/// POP to a segment register.
pub fn pop_sreg(cx: &mut Cx) -> LResult {
    let r = seg_index(cx.insn.op_register(0));
    if r == sreg::CS {
        return Err(Fault::Ud);
    }
    let ty = cx.stack_ty();
    let v = cx.peek(ty, 0);
    let v = cx.b.zext(v, Type::I16);
    // The load may fault: ESP moves after it.
    load_seg(cx, r, v);
    cx.adjust_esp(i32::from(ty.bytes()));
    Ok(())
}

/// LDS, LES, LFS, LGS, LSS r, m16:32.
pub fn lxs(cx: &mut Cx) -> LResult {
    if !cx.is_mem(1) {
        return Err(Fault::Ud);
    }
    let r = match cx.insn.mnemonic() {
        Mnemonic::Lds => sreg::DS,
        Mnemonic::Les => sreg::ES,
        Mnemonic::Lfs => sreg::FS,
        Mnemonic::Lgs => sreg::GS,
        _ => sreg::SS,
    };
    let ty = cx.op_ty(0);
    let a = cx.ea();
    let off = cx.load(ty, a);
    let n = cx.b.c32(u32::from(ty.bytes()));
    let a2 = cx.b.add(a, n);
    let sel = cx.load(Type::I16, a2);
    load_seg(cx, r, sel);
    cx.write(0, off);
    Ok(())
}

/// LGDT/LIDT m16&32 (CPL 0).
pub fn lgdt(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    if !cx.is_mem(0) {
        return Err(Fault::Ud);
    }
    let a = cx.ea();
    let limit = cx.load(Type::I16, a);
    let two = cx.b.c32(2);
    let a2 = cx.b.add(a, two);
    let mut base = cx.load(Type::I32, a2);
    if matches!(
        cx.insn.code(),
        iced_x86::Code::Lgdt_m1632_16 | iced_x86::Code::Lidt_m1632_16
    ) {
        // A 16-bit operand size keeps 24 bits of base.
        let m = cx.b.c32(0x00ff_ffff);
        base = cx.b.and(base, m);
    }
    let limit = cx.b.zext(limit, Type::I32);
    let (bs, ls) = if cx.insn.mnemonic() == Mnemonic::Lgdt {
        (slots::GDT_BASE, slots::GDT_LIMIT)
    } else {
        (slots::IDT_BASE, slots::IDT_LIMIT)
    };
    cx.b.set(bs, base);
    cx.b.set(ls, limit);
    Ok(())
}

/// SGDT/SIDT m (any CPL: no UMIP).
pub fn sgdt(cx: &mut Cx) -> LResult {
    if !cx.is_mem(0) {
        return Err(Fault::Ud);
    }
    let (bs, ls) = if cx.insn.mnemonic() == Mnemonic::Sgdt {
        (slots::GDT_BASE, slots::GDT_LIMIT)
    } else {
        (slots::IDT_BASE, slots::IDT_LIMIT)
    };
    let base = cx.b.get(bs);
    let limit = cx.b.get(ls);
    let limit = cx.b.zext(limit, Type::I16);
    let a = cx.ea();
    let two = cx.b.c32(2);
    let a2 = cx.b.add(a, two);
    cx.store(a, limit);
    cx.store(a2, base);
    Ok(())
}

/// LTR and LLDT r/m16 (CPL 0).
pub fn ltr(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    let which = u64::from(cx.insn.mnemonic() == Mnemonic::Lldt);
    let v = cx.read_as(0, Type::I16);
    let s = cx.b.zext(v, Type::I64);
    let w = cx.b.iconst(Type::I64, which);
    cx.b.call(helpers::LOAD_SYSTEM_SEG, &[w, s]);
    Ok(())
}

/// STR and SLDT r/m16.
pub fn str_(cx: &mut Cx) -> LResult {
    use lockstep_runtime::x86::Segment;
    let field = if cx.insn.mnemonic() == Mnemonic::Str {
        offset_of!(X86Cpu, tr)
    } else {
        offset_of!(X86Cpu, ldtr)
    };
    let slot = Slot {
        offset: (offset_of!(lockstep_runtime::env::CpuEnv<X86Cpu>, arch)
            + field
            + offset_of!(Segment, selector)) as u32,
        ty: Type::I32,
    };
    let v = cx.b.get(slot);
    let v = cx.b.zext(v, cx.op_ty(0));
    cx.write(0, v);
    Ok(())
}

/// CLTS (CPL 0): clears CR0.TS.
pub fn clts(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    let v = cx.b.get(cr_slot(0));
    let m = cx.b.c32(!lockstep_runtime::x86::cr0::TS);
    let n = cx.b.and(v, m);
    cx.b.set(cr_slot(0), n);
    cx.end = End::Exit;
    Ok(())
}

/// SMSW r/m: CR0's low word.
pub fn smsw(cx: &mut Cx) -> LResult {
    let v = cx.b.get(cr_slot(0));
    let v = cx.b.zext(v, cx.op_ty(0));
    cx.write(0, v);
    Ok(())
}

/// LMSW r/m16 (CPL 0): PE, MP, EM, TS from the operand (PE cannot be
/// cleared).
pub fn lmsw(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    let src = cx.read_as(0, Type::I16);
    let src = cx.b.zext(src, Type::I32);
    let old = cx.b.get(cr_slot(0));
    let keep = cx.b.c32(!0xe);
    let kept = cx.b.and(old, keep);
    let m = cx.b.c32(0xf);
    let low = cx.b.and(src, m);
    let v = cx.b.or(kept, low);
    let n = cx.b.iconst(Type::I64, 0);
    let v = cx.b.zext(v, Type::I64);
    cx.b.call(helpers::WRITE_CR, &[n, v]);
    cx.end = End::Exit;
    Ok(())
}

/// PUSHF/PUSHFD: EFLAGS without VM and RF.
pub fn pushf(cx: &mut Cx) -> LResult {
    let f = cx.eflags();
    let m = cx.b.c32(!(eflags::VM | eflags::RF));
    let f = cx.b.and(f, m);
    let ty = cx.stack_ty();
    let f = cx.b.zext(f, ty);
    cx.push(f);
    Ok(())
}

/// POPF/POPFD: the bits this privilege may change (IOPL at CPL 0 only,
/// IF at CPL ≤ IOPL); VM and RF are never set by it. Interrupts may
/// become enabled, so the run loop looks after it.
pub fn popf(cx: &mut Cx) -> LResult {
    let ty = cx.stack_ty();
    let v = cx.peek(ty, 0);
    let v = cx.b.zext(v, Type::I32);
    cx.adjust_esp(i32::from(ty.bytes()));
    let mut mask = eflags::WRITABLE & !eflags::RF;
    if ty == Type::I16 {
        mask &= 0xffff;
    }
    if cx.cpl() > 0 {
        mask &= !eflags::IOPL;
    }
    if cx.cpl() > cx.iopl() {
        mask &= !eflags::IF;
    }
    cx.set_arith_flags(v, mask & eflags::ARITH);
    let other = mask & !eflags::ARITH;
    let old = cx.b.get(slots::EFLAGS);
    let keep = cx.b.c32(!other);
    let kept = cx.b.and(old, keep);
    let m = cx.b.c32(other);
    let new = cx.b.and(v, m);
    let f = cx.b.or(kept, new);
    cx.b.set(slots::EFLAGS, f);
    let z = cx.b.iconst(Type::I64, 0);
    cx.b.call(helpers::IRQ_WINDOW, &[z]);
    cx.end = End::Exit;
    Ok(())
}

/// CPUID.
pub fn cpuid(cx: &mut Cx) -> LResult {
    cx.b.call(helpers::CPUID_HELPER, &[]);
    Ok(())
}

/// RDTSC.
pub fn rdtsc(cx: &mut Cx) -> LResult {
    cx.b.call(helpers::RDTSC, &[]);
    Ok(())
}

/// RDMSR (CPL 0).
pub fn rdmsr(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    cx.b.call(helpers::RDMSR, &[]);
    Ok(())
}

/// WRMSR (CPL 0).
pub fn wrmsr(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    cx.b.call(helpers::WRMSR, &[]);
    cx.end = End::Exit;
    Ok(())
}

/// INVLPG m (CPL 0).
pub fn invlpg(cx: &mut Cx) -> LResult {
    cx.require_cpl0()?;
    if !cx.is_mem(0) {
        return Err(Fault::Ud);
    }
    let a = cx.ea();
    let a = cx.b.zext(a, Type::I64);
    cx.b.call(helpers::INVLPG, &[a]);
    cx.end = End::Exit;
    Ok(())
}

/// WBINVD, INVD (CPL 0): no caches, nothing to do.
pub fn wbinvd(cx: &mut Cx) -> LResult {
    cx.require_cpl0()
}

/// UD2 and anything else that is architecturally #UD.
pub fn ud(_cx: &mut Cx) -> LResult {
    Err(Fault::Ud)
}

/// LAR, LSL (r, r/m16) and VERR, VERW (r/m16): ZF says whether the
/// selector passed; LAR and LSL write the result only then.
pub fn verify(cx: &mut Cx) -> LResult {
    let m = cx.insn.mnemonic();
    let kind: u64 = match m {
        Mnemonic::Verr => 0,
        Mnemonic::Verw => 1,
        Mnemonic::Lar => 2,
        _ => 3,
    };
    let src = if kind >= 2 { 1 } else { 0 };
    let sel = cx.read_as(src, Type::I16);
    let sel = cx.b.zext(sel, Type::I64);
    let k = cx.b.iconst(Type::I64, kind);
    let out = cx.b.call(helpers::VERIFY, &[k, sel]);
    let s32 = cx.b.iconst(Type::I64, 32);
    let ok = cx.b.lshr(out, s32);
    let ok = cx.b.zext(ok, Type::I32);
    if kind >= 2 {
        let ty = cx.op_ty(0);
        let old = cx.read(0);
        let v = cx.b.zext(out, ty);
        let c = cx.b.zext(ok, Type::I8);
        let r = cx.b.select(c, v, old);
        cx.write(0, r);
    }
    // zres = !ZF.
    let one = cx.b.c32(1);
    let nz = cx.b.xor(ok, one);
    cx.b.set(slots::ZRES, nz);
    Ok(())
}
