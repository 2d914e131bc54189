//! The i386 lifter table: one line per instruction, as the A32 decode
//! table has one per encoding. iced-x86 has already decoded the bytes
//! into a mnemonic and operands (every operand form and width of an
//! instruction shares its line), so a line is the mnemonic, the manual's
//! syntax and the handler. A mnemonic with no line is #UD: an
//! instruction this CPU does not have (x87 and SSE so far among them; see
//! docs/status.md).

use super::lift::{alu, branch, data, muldiv, shift, string, system, x87, Cx, LResult};
use iced_x86::{Instruction, Mnemonic as M};
use std::sync::OnceLock;

/// A handler: lifts one decoded instruction.
pub type Handler = fn(&mut Cx) -> LResult;

/// One line of the table.
pub struct Line {
    /// iced's mnemonic.
    pub mnemonic: M,
    /// The manual's syntax (every form the line covers).
    pub syntax: &'static str,
    /// The lifter.
    pub handler: Handler,
    /// The instruction changes the translation flags or needs the run
    /// loop after it (the block ends there).
    pub ends_block: bool,
}

const fn line(mnemonic: M, syntax: &'static str, handler: Handler) -> Line {
    Line {
        mnemonic,
        syntax,
        handler,
        ends_block: false,
    }
}

const fn last(mnemonic: M, syntax: &'static str, handler: Handler) -> Line {
    Line {
        mnemonic,
        syntax,
        handler,
        ends_block: true,
    }
}

/// The table.
pub static TABLE: &[Line] = &[
    // Arithmetic and logic.
    line(M::Add, "ADD r/m, r/m/imm", alu::add),
    line(M::Adc, "ADC r/m, r/m/imm", alu::adc),
    line(M::Sub, "SUB r/m, r/m/imm", alu::sub),
    line(M::Sbb, "SBB r/m, r/m/imm", alu::sbb),
    line(M::Cmp, "CMP r/m, r/m/imm", alu::cmp),
    line(M::And, "AND r/m, r/m/imm", alu::and),
    line(M::Or, "OR r/m, r/m/imm", alu::or),
    line(M::Xor, "XOR r/m, r/m/imm", alu::xor),
    line(M::Test, "TEST r/m, r/imm", alu::test),
    line(M::Inc, "INC r/m", alu::inc),
    line(M::Dec, "DEC r/m", alu::dec),
    line(M::Neg, "NEG r/m", alu::neg),
    line(M::Not, "NOT r/m", alu::not),
    line(M::Daa, "DAA", alu::daa),
    line(M::Das, "DAS", alu::das),
    line(M::Aaa, "AAA", alu::aaa),
    line(M::Aas, "AAS", alu::aas),
    line(M::Aam, "AAM imm8", alu::aam),
    line(M::Aad, "AAD imm8", alu::aad),
    // Shifts and rotates.
    line(M::Shl, "SHL r/m, 1/CL/imm8", shift::shl),
    line(M::Sal, "SAL r/m, 1/CL/imm8", shift::shl),
    line(M::Shr, "SHR r/m, 1/CL/imm8", shift::shr),
    line(M::Sar, "SAR r/m, 1/CL/imm8", shift::sar),
    line(M::Rol, "ROL r/m, 1/CL/imm8", shift::rol),
    line(M::Ror, "ROR r/m, 1/CL/imm8", shift::ror),
    line(M::Rcl, "RCL r/m, 1/CL/imm8", shift::rcl),
    line(M::Rcr, "RCR r/m, 1/CL/imm8", shift::rcr),
    line(M::Shld, "SHLD r/m, r, CL/imm8", shift::shld),
    line(M::Shrd, "SHRD r/m, r, CL/imm8", shift::shrd),
    // Multiply and divide.
    line(M::Mul, "MUL r/m", muldiv::mul),
    line(
        M::Imul,
        "IMUL r/m | IMUL r, r/m | IMUL r, r/m, imm",
        muldiv::imul,
    ),
    line(M::Div, "DIV r/m", muldiv::div),
    line(M::Idiv, "IDIV r/m", muldiv::idiv),
    // Data movement.
    line(M::Mov, "MOV r/m, r/m/imm", data::mov),
    line(M::Movzx, "MOVZX r, r/m8/16", data::movzx),
    line(M::Movsx, "MOVSX r, r/m8/16", data::movsx),
    line(M::Lea, "LEA r, m", data::lea),
    line(M::Xchg, "XCHG r/m, r", data::xchg),
    line(M::Xadd, "XADD r/m, r", data::xadd),
    line(M::Cmpxchg, "CMPXCHG r/m, r", data::cmpxchg),
    line(M::Cmpxchg8b, "CMPXCHG8B m64", data::cmpxchg8b),
    line(M::Bswap, "BSWAP r32", data::bswap),
    line(M::Push, "PUSH r/m/imm/sreg", data::push),
    line(M::Pop, "POP r/m", data::pop),
    line(M::Pushad, "PUSHAD", data::pusha),
    line(M::Pusha, "PUSHA", data::pusha),
    line(M::Popad, "POPAD", data::popa),
    line(M::Popa, "POPA", data::popa),
    line(M::Leave, "LEAVE", data::leave),
    line(M::Enter, "ENTER imm16, 0", data::enter),
    line(M::Cbw, "CBW", data::cbw),
    line(M::Cwde, "CWDE", data::cbw),
    line(M::Cwd, "CWD", data::cwd),
    line(M::Cdq, "CDQ", data::cwd),
    line(M::Xlatb, "XLAT m8", data::xlat),
    line(M::Salc, "SALC", data::salc),
    line(M::Arpl, "ARPL r/m16, r16", data::arpl),
    line(M::Bound, "BOUND r, m16&16/m32&32", data::bound),
    line(M::Bt, "BT r/m, r/imm8", data::bt),
    line(M::Bts, "BTS r/m, r/imm8", data::bts),
    line(M::Btr, "BTR r/m, r/imm8", data::btr),
    line(M::Btc, "BTC r/m, r/imm8", data::btc),
    line(M::Bsf, "BSF r, r/m", data::bsf),
    line(M::Bsr, "BSR r, r/m", data::bsr),
    line(M::Lahf, "LAHF", data::lahf),
    line(M::Sahf, "SAHF", data::sahf),
    line(M::Clc, "CLC", data::clc),
    line(M::Stc, "STC", data::stc),
    line(M::Cmc, "CMC", data::cmc),
    line(M::Cld, "CLD", data::cld),
    line(M::Std, "STD", data::std),
    line(M::Nop, "NOP | NOP r/m", data::nop),
    line(M::Pause, "PAUSE", data::nop),
    line(M::Wait, "WAIT/FWAIT", x87::fwait),
    // Conditional moves and sets.
    line(M::Cmovo, "CMOVO r, r/m", data::cmovcc),
    line(M::Cmovno, "CMOVNO r, r/m", data::cmovcc),
    line(M::Cmovb, "CMOVB r, r/m", data::cmovcc),
    line(M::Cmovae, "CMOVAE r, r/m", data::cmovcc),
    line(M::Cmove, "CMOVE r, r/m", data::cmovcc),
    line(M::Cmovne, "CMOVNE r, r/m", data::cmovcc),
    line(M::Cmovbe, "CMOVBE r, r/m", data::cmovcc),
    line(M::Cmova, "CMOVA r, r/m", data::cmovcc),
    line(M::Cmovs, "CMOVS r, r/m", data::cmovcc),
    line(M::Cmovns, "CMOVNS r, r/m", data::cmovcc),
    line(M::Cmovp, "CMOVP r, r/m", data::cmovcc),
    line(M::Cmovnp, "CMOVNP r, r/m", data::cmovcc),
    line(M::Cmovl, "CMOVL r, r/m", data::cmovcc),
    line(M::Cmovge, "CMOVGE r, r/m", data::cmovcc),
    line(M::Cmovle, "CMOVLE r, r/m", data::cmovcc),
    line(M::Cmovg, "CMOVG r, r/m", data::cmovcc),
    line(M::Seto, "SETO r/m8", data::setcc),
    line(M::Setno, "SETNO r/m8", data::setcc),
    line(M::Setb, "SETB r/m8", data::setcc),
    line(M::Setae, "SETAE r/m8", data::setcc),
    line(M::Sete, "SETE r/m8", data::setcc),
    line(M::Setne, "SETNE r/m8", data::setcc),
    line(M::Setbe, "SETBE r/m8", data::setcc),
    line(M::Seta, "SETA r/m8", data::setcc),
    line(M::Sets, "SETS r/m8", data::setcc),
    line(M::Setns, "SETNS r/m8", data::setcc),
    line(M::Setp, "SETP r/m8", data::setcc),
    line(M::Setnp, "SETNP r/m8", data::setcc),
    line(M::Setl, "SETL r/m8", data::setcc),
    line(M::Setge, "SETGE r/m8", data::setcc),
    line(M::Setle, "SETLE r/m8", data::setcc),
    line(M::Setg, "SETG r/m8", data::setcc),
    // Control flow.
    line(
        M::Jmp,
        "JMP rel | JMP r/m | JMP ptr16:32 | JMP m16:32",
        branch::jmp,
    ),
    line(M::Jo, "JO rel", branch::jcc),
    line(M::Jno, "JNO rel", branch::jcc),
    line(M::Jb, "JB rel", branch::jcc),
    line(M::Jae, "JAE rel", branch::jcc),
    line(M::Je, "JE rel", branch::jcc),
    line(M::Jne, "JNE rel", branch::jcc),
    line(M::Jbe, "JBE rel", branch::jcc),
    line(M::Ja, "JA rel", branch::jcc),
    line(M::Js, "JS rel", branch::jcc),
    line(M::Jns, "JNS rel", branch::jcc),
    line(M::Jp, "JP rel", branch::jcc),
    line(M::Jnp, "JNP rel", branch::jcc),
    line(M::Jl, "JL rel", branch::jcc),
    line(M::Jge, "JGE rel", branch::jcc),
    line(M::Jle, "JLE rel", branch::jcc),
    line(M::Jg, "JG rel", branch::jcc),
    line(
        M::Call,
        "CALL rel | CALL r/m | CALL ptr16:32 | CALL m16:32",
        branch::call,
    ),
    line(M::Ret, "RET | RET imm16", branch::ret),
    line(M::Loop, "LOOP rel8", branch::loop_),
    line(M::Loope, "LOOPE rel8", branch::loop_),
    line(M::Loopne, "LOOPNE rel8", branch::loop_),
    line(M::Jecxz, "JECXZ rel8", branch::jecxz),
    line(M::Jcxz, "JCXZ rel8", branch::jecxz),
    // String instructions (REP handled inside).
    line(M::Movsb, "[REP] MOVSB", string::movs),
    line(M::Movsw, "[REP] MOVSW", string::movs),
    line(M::Movsd, "[REP] MOVSD", string::movs),
    line(M::Stosb, "[REP] STOSB", string::stos),
    line(M::Stosw, "[REP] STOSW", string::stos),
    line(M::Stosd, "[REP] STOSD", string::stos),
    line(M::Lodsb, "[REP] LODSB", string::lods),
    line(M::Lodsw, "[REP] LODSW", string::lods),
    line(M::Lodsd, "[REP] LODSD", string::lods),
    line(M::Cmpsb, "[REPE|REPNE] CMPSB", string::cmps),
    line(M::Cmpsw, "[REPE|REPNE] CMPSW", string::cmps),
    line(M::Cmpsd, "[REPE|REPNE] CMPSD", string::cmps),
    line(M::Scasb, "[REPE|REPNE] SCASB", string::scas),
    line(M::Scasw, "[REPE|REPNE] SCASW", string::scas),
    line(M::Scasd, "[REPE|REPNE] SCASD", string::scas),
    line(M::Insb, "[REP] INSB", string::ins),
    line(M::Insw, "[REP] INSW", string::ins),
    line(M::Insd, "[REP] INSD", string::ins),
    line(M::Outsb, "[REP] OUTSB", string::outs),
    line(M::Outsw, "[REP] OUTSW", string::outs),
    line(M::Outsd, "[REP] OUTSD", string::outs),
    // System.
    line(M::In, "IN AL/AX/EAX, imm8/DX", system::in_),
    line(M::Out, "OUT imm8/DX, AL/AX/EAX", system::out),
    line(M::Cli, "CLI", system::cli),
    last(M::Sti, "STI", system::sti),
    last(M::Hlt, "HLT", system::hlt),
    last(M::Int, "INT imm8", system::int),
    last(M::Int3, "INT3", system::int3),
    last(M::Into, "INTO", system::into),
    last(M::Iretd, "IRETD", system::iret),
    last(M::Iret, "IRET", system::iret),
    last(M::Retf, "RETF | RETF imm16", system::retf),
    last(M::Lds, "LDS r, m16:32", system::lxs),
    last(M::Les, "LES r, m16:32", system::lxs),
    last(M::Lfs, "LFS r, m16:32", system::lxs),
    last(M::Lgs, "LGS r, m16:32", system::lxs),
    last(M::Lss, "LSS r, m16:32", system::lxs),
    line(M::Lgdt, "LGDT m16&32", system::lgdt),
    line(M::Lidt, "LIDT m16&32", system::lgdt),
    line(M::Sgdt, "SGDT m", system::sgdt),
    line(M::Sidt, "SIDT m", system::sgdt),
    line(M::Ltr, "LTR r/m16", system::ltr),
    line(M::Lldt, "LLDT r/m16", system::ltr),
    line(M::Str, "STR r/m16", system::str_),
    line(M::Lar, "LAR r, r/m16", system::verify),
    line(M::Lsl, "LSL r, r/m16", system::verify),
    line(M::Verr, "VERR r/m16", system::verify),
    line(M::Verw, "VERW r/m16", system::verify),
    line(M::Sldt, "SLDT r/m16", system::str_),
    last(M::Clts, "CLTS", system::clts),
    line(M::Smsw, "SMSW r/m", system::smsw),
    last(M::Lmsw, "LMSW r/m16", system::lmsw),
    line(M::Pushfd, "PUSHFD", system::pushf),
    line(M::Pushf, "PUSHF", system::pushf),
    last(M::Popfd, "POPFD", system::popf),
    last(M::Popf, "POPF", system::popf),
    line(M::Cpuid, "CPUID", system::cpuid),
    line(M::Rdtsc, "RDTSC", system::rdtsc),
    line(M::Rdmsr, "RDMSR", system::rdmsr),
    last(M::Wrmsr, "WRMSR", system::wrmsr),
    last(M::Invlpg, "INVLPG m", system::invlpg),
    line(M::Wbinvd, "WBINVD", system::wbinvd),
    line(M::Invd, "INVD", system::wbinvd),
    line(M::Ud2, "UD2", system::ud),
    // x87.
    line(M::Fld, "FLD m32fp/m64fp/m80fp/ST(i)", x87::fld),
    line(M::Fild, "FILD m16int/m32int/m64int", x87::fld),
    line(M::Fbld, "FBLD m80bcd", x87::fld),
    line(M::Fst, "FST m32fp/m64fp/ST(i)", x87::fst),
    line(M::Fstp, "FSTP m32fp/m64fp/m80fp/ST(i)", x87::fst),
    line(M::Fist, "FIST m16int/m32int", x87::fst),
    line(M::Fistp, "FISTP m16int/m32int/m64int", x87::fst),
    line(M::Fbstp, "FBSTP m80bcd", x87::fst),
    line(
        M::Fadd,
        "FADD m32fp/m64fp | FADD ST(0), ST(i) | FADD ST(i), ST(0)",
        x87::farith,
    ),
    line(M::Faddp, "FADDP ST(i), ST(0)", x87::farith),
    line(M::Fiadd, "FIADD m16int/m32int", x87::farith),
    line(
        M::Fsub,
        "FSUB m32fp/m64fp | FSUB ST(0), ST(i) | FSUB ST(i), ST(0)",
        x87::farith,
    ),
    line(M::Fsubp, "FSUBP ST(i), ST(0)", x87::farith),
    line(M::Fisub, "FISUB m16int/m32int", x87::farith),
    line(
        M::Fsubr,
        "FSUBR m32fp/m64fp | FSUBR ST(0), ST(i) | FSUBR ST(i), ST(0)",
        x87::farith,
    ),
    line(M::Fsubrp, "FSUBRP ST(i), ST(0)", x87::farith),
    line(M::Fisubr, "FISUBR m16int/m32int", x87::farith),
    line(
        M::Fmul,
        "FMUL m32fp/m64fp | FMUL ST(0), ST(i) | FMUL ST(i), ST(0)",
        x87::farith,
    ),
    line(M::Fmulp, "FMULP ST(i), ST(0)", x87::farith),
    line(M::Fimul, "FIMUL m16int/m32int", x87::farith),
    line(
        M::Fdiv,
        "FDIV m32fp/m64fp | FDIV ST(0), ST(i) | FDIV ST(i), ST(0)",
        x87::farith,
    ),
    line(M::Fdivp, "FDIVP ST(i), ST(0)", x87::farith),
    line(M::Fidiv, "FIDIV m16int/m32int", x87::farith),
    line(
        M::Fdivr,
        "FDIVR m32fp/m64fp | FDIVR ST(0), ST(i) | FDIVR ST(i), ST(0)",
        x87::farith,
    ),
    line(M::Fdivrp, "FDIVRP ST(i), ST(0)", x87::farith),
    line(M::Fidivr, "FIDIVR m16int/m32int", x87::farith),
    line(M::Fcom, "FCOM m32fp/m64fp/ST(i)", x87::fcom),
    line(M::Fcomp, "FCOMP m32fp/m64fp/ST(i)", x87::fcom),
    line(M::Fcompp, "FCOMPP", x87::fcom),
    line(M::Fucom, "FUCOM ST(i)", x87::fcom),
    line(M::Fucomp, "FUCOMP ST(i)", x87::fcom),
    line(M::Fucompp, "FUCOMPP", x87::fcom),
    line(M::Ficom, "FICOM m16int/m32int", x87::fcom),
    line(M::Ficomp, "FICOMP m16int/m32int", x87::fcom),
    line(M::Fcomi, "FCOMI ST(0), ST(i)", x87::fcom),
    line(M::Fcomip, "FCOMIP ST(0), ST(i)", x87::fcom),
    line(M::Fucomi, "FUCOMI ST(0), ST(i)", x87::fcom),
    line(M::Fucomip, "FUCOMIP ST(0), ST(i)", x87::fcom),
    line(M::Fcmovb, "FCMOVB ST(0), ST(i)", x87::fcmov),
    line(M::Fcmove, "FCMOVE ST(0), ST(i)", x87::fcmov),
    line(M::Fcmovbe, "FCMOVBE ST(0), ST(i)", x87::fcmov),
    line(M::Fcmovu, "FCMOVU ST(0), ST(i)", x87::fcmov),
    line(M::Fcmovnb, "FCMOVNB ST(0), ST(i)", x87::fcmov),
    line(M::Fcmovne, "FCMOVNE ST(0), ST(i)", x87::fcmov),
    line(M::Fcmovnbe, "FCMOVNBE ST(0), ST(i)", x87::fcmov),
    line(M::Fcmovnu, "FCMOVNU ST(0), ST(i)", x87::fcmov),
    line(M::Fchs, "FCHS", x87::funary),
    line(M::Fabs, "FABS", x87::funary),
    line(M::Ftst, "FTST", x87::funary),
    line(M::Fxam, "FXAM", x87::funary),
    line(M::Fsqrt, "FSQRT", x87::funary),
    line(M::Frndint, "FRNDINT", x87::funary),
    line(M::Fscale, "FSCALE", x87::funary),
    line(M::Fxtract, "FXTRACT", x87::funary),
    line(M::Fprem, "FPREM", x87::funary),
    line(M::Fprem1, "FPREM1", x87::funary),
    line(M::F2xm1, "F2XM1", x87::funary),
    line(M::Fyl2x, "FYL2X", x87::funary),
    line(M::Fyl2xp1, "FYL2XP1", x87::funary),
    line(M::Fptan, "FPTAN", x87::funary),
    line(M::Fpatan, "FPATAN", x87::funary),
    line(M::Fsin, "FSIN", x87::funary),
    line(M::Fcos, "FCOS", x87::funary),
    line(M::Fsincos, "FSINCOS", x87::funary),
    line(M::Fld1, "FLD1", x87::fldconst),
    line(M::Fldl2t, "FLDL2T", x87::fldconst),
    line(M::Fldl2e, "FLDL2E", x87::fldconst),
    line(M::Fldpi, "FLDPI", x87::fldconst),
    line(M::Fldlg2, "FLDLG2", x87::fldconst),
    line(M::Fldln2, "FLDLN2", x87::fldconst),
    line(M::Fldz, "FLDZ", x87::fldconst),
    line(M::Fxch, "FXCH ST(i)", x87::fstack),
    line(M::Ffree, "FFREE ST(i)", x87::fstack),
    line(M::Ffreep, "FFREEP ST(i)", x87::fstack),
    line(M::Fincstp, "FINCSTP", x87::fstack),
    line(M::Fdecstp, "FDECSTP", x87::fstack),
    line(M::Fnop, "FNOP", x87::fstack),
    line(M::Fninit, "FNINIT", x87::fcontrol),
    line(M::Finit, "FINIT", x87::fcontrol),
    line(M::Fnclex, "FNCLEX", x87::fcontrol),
    line(M::Fclex, "FCLEX", x87::fcontrol),
    line(M::Fldcw, "FLDCW m16", x87::fldcw),
    line(M::Fnstcw, "FNSTCW m16", x87::fstcw),
    line(M::Fstcw, "FSTCW m16", x87::fstcw),
    line(M::Fnstsw, "FNSTSW m16/AX", x87::fstcw),
    line(M::Fstsw, "FSTSW m16/AX", x87::fstcw),
    line(M::Fnstenv, "FNSTENV m28", x87::fenv),
    line(M::Fstenv, "FSTENV m28", x87::fenv),
    line(M::Fldenv, "FLDENV m28", x87::fenv),
    line(M::Fnsave, "FNSAVE m108", x87::fenv),
    line(M::Fsave, "FSAVE m108", x87::fenv),
    line(M::Frstor, "FRSTOR m108", x87::fenv),
];

fn index() -> &'static [Option<u16>] {
    static INDEX: OnceLock<Vec<Option<u16>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let n = TABLE.iter().map(|l| l.mnemonic as usize).max().unwrap_or(0) + 1;
        let mut v = vec![None; n];
        for (i, l) in TABLE.iter().enumerate() {
            assert!(
                v[l.mnemonic as usize].is_none(),
                "{:?} listed twice",
                l.mnemonic
            );
            v[l.mnemonic as usize] = Some(i as u16);
        }
        v
    })
}

/// The line of `insn`'s mnemonic.
pub fn line_of(insn: &Instruction) -> Option<&'static Line> {
    let i = index().get(insn.mnemonic() as usize).copied().flatten()?;
    Some(&TABLE[i as usize])
}

/// Whether `insn` is an x87 instruction (its line's syntax is an F...
/// mnemonic): it calls the x87 helper, which may raise #MF.
pub fn is_x87(insn: &Instruction) -> bool {
    line_of(insn).is_some_and(|l| l.syntax.starts_with('F'))
}

/// The handler of `insn`, if this CPU has the instruction.
pub fn lookup(insn: &Instruction) -> Option<Handler> {
    line_of(insn).map(|l| l.handler)
}

/// Whether `insn` ends its block by itself (beyond control flow): it
/// changes translation state or the run loop must look after it.
pub fn ends_block(insn: &Instruction) -> bool {
    if line_of(insn).is_some_and(|l| l.ends_block) {
        return true;
    }
    // Moves to segment and control registers, and POP to a segment
    // register, change translation flags.
    match insn.mnemonic() {
        M::Mov => {
            insn.op_count() == 2
                && insn.op_kind(0) == iced_x86::OpKind::Register
                && (insn.op_register(0).is_segment_register() || insn.op_register(0).is_cr())
        }
        M::Pop => {
            insn.op_kind(0) == iced_x86::OpKind::Register
                && insn.op_register(0).is_segment_register()
        }
        // REP string instructions loop on themselves.
        _ => insn.has_rep_prefix() || insn.has_repe_prefix() || insn.has_repne_prefix(),
    }
}

/// Whether `insn` may change the translation flags in a way a computed
/// exit cannot follow (a far transfer): its block must go back to the
/// engine.
pub fn changes_mode(insn: &Instruction) -> bool {
    matches!(
        insn.mnemonic(),
        M::Iretd | M::Iret | M::Retf | M::Jmp | M::Call
    ) && !matches!(
        insn.op_kind(0),
        iced_x86::OpKind::NearBranch32 | iced_x86::OpKind::NearBranch16
    ) && (matches!(insn.mnemonic(), M::Iretd | M::Iret | M::Retf)
        || matches!(
            insn.op_kind(0),
            iced_x86::OpKind::FarBranch16 | iced_x86::OpKind::FarBranch32
        )
        || insn.memory_size().size() == 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mnemonic_has_at_most_one_line() {
        // Building the index asserts it.
        assert!(index().iter().flatten().count() == TABLE.len());
    }
}
