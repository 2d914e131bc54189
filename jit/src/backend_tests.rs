//! Every IR operation, at every width, on both backends: each test vector
//! is built once as IR and run by the interpreter and by compiled code over
//! the same inputs; the resulting CPU environments must be identical.

use crate::clif::Compiler;
use crate::frontend::arm::reg_slot;
use crate::interp::InterpBlock;
use crate::ir::{
    BinaryOp, Block, BlockKey, Builder, Cmp, Endian, MemAccess, Slot, Terminal, Type, UnaryOp,
    Value,
};
use lockstep_runtime::arm::ArmCpu;
use lockstep_runtime::env::{CpuEnv, ExitCode};
use lockstep_runtime::Bus;

const TYPES: [Type; 4] = [Type::I8, Type::I16, Type::I32, Type::I64];

/// A slot of type `ty` over guest registers r`n` (and r`n+1` for I64).
fn slot(n: u32, ty: Type) -> Slot {
    Slot {
        offset: reg_slot(n).offset,
        ty,
    }
}

struct Rig {
    compiler: Compiler,
    bus: Box<Bus>,
    seed: u64,
    /// Random extension registers and FPSCR too.
    fp: bool,
}

impl Rig {
    fn new() -> Self {
        let mut bus = Box::new(Bus::new());
        bus.add_ram(0x4000_0000, 0x4000).unwrap();
        Rig {
            compiler: Compiler::new::<ArmCpu>(crate::clif::CODE_ARENA_BYTES).unwrap(),
            bus,
            seed: 0x1234_5678,
            fp: false,
        }
    }

    fn rand(&mut self) -> u64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        match self.seed % 8 {
            0 => [
                0,
                1,
                u64::MAX,
                0x80,
                0x8000,
                0x8000_0000,
                0x8000_0000_0000_0000,
                0x7f,
                0xff,
            ][(self.seed >> 8) as usize % 9],
            1 => self.seed % 70,
            _ => self.seed,
        }
    }

    fn env(&mut self) -> Box<CpuEnv<ArmCpu>> {
        let mut env = CpuEnv::new(ArmCpu::new(), &mut *self.bus);
        for r in 0..15 {
            env.arch.regs[r] = self.rand() as u32;
        }
        if self.fp {
            for d in 0..32 {
                env.arch.vfp[d] = self.rand();
            }
            // Any rounding mode, FZ and DN, any cumulative flags.
            env.arch.fpscr = (self.rand() as u32) & 0xf3c0_009f;
        }
        env.budget = 100;
        env
    }

    /// Runs `block` on both backends from the same random state, `n` times.
    fn check(&mut self, block: &Block, n: usize) {
        crate::ir::verify(block).unwrap_or_else(|e| panic!("{e:?}\n{block}"));
        let compiled = self
            .compiler
            .compile::<ArmCpu>(block, 0)
            .expect("code memory");
        let interp = InterpBlock::new(block.clone());
        let mut values = Vec::new();
        for _ in 0..n {
            let mut a = self.env();
            let start = a.arch.clone();
            let ram: Vec<u8> = self.bus.ram_regions().next().unwrap().1.to_vec();
            let code_a = interp.run(&mut a, &mut values);
            let after_a: Vec<u8> = self.bus.ram_regions().next().unwrap().1.to_vec();
            self.bus
                .ram_slice_mut(0x4000_0000, ram.len() as u64)
                .unwrap()
                .copy_from_slice(&ram);
            let mut b = CpuEnv::new(start.clone(), &mut *self.bus);
            b.budget = 100;
            let code_b = self.compiler.run(&compiled, &mut b);
            let after_b: Vec<u8> = self.bus.ram_regions().next().unwrap().1.to_vec();
            assert_eq!(code_a, code_b, "exit code, from {start:?}\n{block}");
            assert_eq!(a.arch, b.arch, "state, from {start:?}\n{block}");
            assert_eq!(a.budget, b.budget, "budget\n{block}");
            assert_eq!(a.fault, b.fault, "fault\n{block}");
            assert!(after_a == after_b, "memory differs\n{block}");
        }
    }
}

fn finish(b: Builder) -> Block {
    let key = BlockKey {
        pc: 0x4000_0000,
        phys_pc: 0x4000_0000,
        flags: 0x13,
    };
    b.finish(
        key,
        vec![0x4000_0000],
        4,
        Terminal::Exit {
            next_pc: 0x4000_0004,
        },
        reg_slot(15),
        0,
    )
}

/// r0/r1 (a), r2/r3 (b), r4/r5 (c) in; r6/r7 and r8/r9 out.
fn inputs(b: &mut Builder, ty: Type) -> (Value, Value, Value) {
    (b.get(slot(0, ty)), b.get(slot(2, ty)), b.get(slot(4, ty)))
}

#[test]
fn binary_ops() {
    let mut rig = Rig::new();
    use BinaryOp::*;
    for ty in TYPES {
        for op in [
            Add, Sub, Mul, UMulHi, SMulHi, UDiv, SDiv, And, Or, Xor, Shl, Lshr, Ashr, Rotl, Rotr,
        ] {
            let mut b = Builder::new();
            let (x, y, _) = inputs(&mut b, ty);
            let r = b.binary(op, x, y);
            b.set(slot(6, ty), r);
            rig.check(&finish(b), 40);
        }
    }
}

#[test]
fn unary_ops_and_conversions() {
    let mut rig = Rig::new();
    use UnaryOp::*;
    for ty in TYPES {
        for op in [Not, Neg, Clz, Ctz, Popcnt, Bswap, Bitrev] {
            let mut b = Builder::new();
            let (x, _, _) = inputs(&mut b, ty);
            let r = b.unary(op, x);
            b.set(slot(6, ty), r);
            rig.check(&finish(b), 40);
        }
        for to in TYPES {
            let mut b = Builder::new();
            let (x, _, _) = inputs(&mut b, ty);
            let z = b.zext(x, to);
            let s = b.sext(x, to);
            b.set(slot(6, to), z);
            b.set(slot(8, to), s);
            rig.check(&finish(b), 20);
        }
    }
}

#[test]
fn carries_comparisons_and_selects() {
    let mut rig = Rig::new();
    use Cmp::*;
    for ty in TYPES {
        let mut b = Builder::new();
        let (x, y, c) = inputs(&mut b, ty);
        let c8 = b.zext(c, Type::I8);
        let one = b.iconst(Type::I8, 1);
        let cin = b.and(c8, one);
        let carry = b.add_carry(x, y, cin);
        let ov = b.add_overflow(x, y, cin);
        b.set(slot(6, Type::I8), carry);
        b.set(
            Slot {
                offset: reg_slot(6).offset + 1,
                ty: Type::I8,
            },
            ov,
        );
        for (i, cmp) in [Eq, Ne, Ult, Ule, Ugt, Uge, Slt, Sle, Sgt, Sge]
            .into_iter()
            .enumerate()
        {
            let r = b.cmp(cmp, x, y);
            b.set(
                Slot {
                    offset: reg_slot(8).offset + i as u32,
                    ty: Type::I8,
                },
                r,
            );
        }
        let lt = b.cmp(Slt, x, y);
        let s = b.select(lt, x, y);
        b.set(slot(10, ty), s);
        rig.check(&finish(b), 60);
    }
}

#[test]
fn branches_inside_a_block() {
    let mut rig = Rig::new();
    let mut b = Builder::new();
    // r6 = (r0 < r2) ? r0 * 3 : r2 - 1, through a branch and a join.
    let (x, y, _) = inputs(&mut b, Type::I32);
    let ge = b.cmp(Cmp::Uge, x, y);
    let other = b.label();
    let join = b.label();
    b.branch_if(ge, other);
    let three = b.c32(3);
    let m = b.mul(x, three);
    b.set(slot(6, Type::I32), m);
    b.jump(join);
    b.place(other);
    let y2 = b.get(slot(2, Type::I32));
    let one = b.c32(1);
    let d = b.sub(y2, one);
    b.set(slot(6, Type::I32), d);
    b.place(join);
    rig.check(&finish(b), 50);
}

#[test]
fn loads_and_stores_at_every_size_order_and_sign() {
    let mut rig = Rig::new();
    for size in [1u8, 2, 4, 8] {
        for endian in [Endian::Little, Endian::Big] {
            for signed in [false, true] {
                let mut b = Builder::new();
                // Address: RAM base + (r0 & 0x3ff0) + (r1 & 15): some
                // accesses cross a page, none leave RAM.
                let a0 = b.get(slot(0, Type::I32));
                let m = b.c32(0x3fe0);
                let off = b.and(a0, m);
                let a1 = b.get(slot(1, Type::I32));
                let m15 = b.c32(15);
                let lo = b.and(a1, m15);
                let off = b.add(off, lo);
                let base = b.c32(0x4000_0000);
                let addr = b.add(base, off);
                let v = b.get(slot(2, Type::I64));
                let access = MemAccess {
                    size,
                    signed,
                    endian,
                    align: 1,
                    mmu_idx: None,
                };
                b.store(addr, v, access);
                let ty = if size == 8 { Type::I64 } else { Type::I32 };
                let l = b.load(ty, addr, access);
                b.set(slot(6, ty), l);
                let four = b.c32(4);
                let addr2 = b.add(addr, four);
                let l2 = b.load(Type::I16, addr2, access);
                b.set(slot(8, Type::I16), l2);
                rig.check(&finish(b), 40);
            }
        }
    }
}

#[test]
fn faults_exit_at_the_instruction_with_its_credit() {
    let mut rig = Rig::new();
    // Instruction 0 writes r6; instruction 1 loads from r0 (unmapped when
    // outside RAM: most random values are), then writes r7.
    let mut b = Builder::new();
    let x = b.get(slot(2, Type::I32));
    b.set(slot(6, Type::I32), x);
    b.set_insn(1);
    let a = b.get(slot(0, Type::I32));
    let access = MemAccess {
        size: 4,
        signed: false,
        endian: Endian::Little,
        align: 4,
        mmu_idx: None,
    };
    let v = b.load(Type::I32, a, access);
    b.set(slot(7, Type::I32), v);
    let key = BlockKey {
        pc: 0x4000_0000,
        phys_pc: 0x4000_0000,
        flags: 0x13,
    };
    let block = b.finish(
        key,
        vec![0x4000_0000, 0x4000_0004, 0x4000_0008],
        12,
        Terminal::Jump {
            target: 0x4000_000c,
        },
        reg_slot(15),
        0,
    );
    rig.check(&block, 60);
    // And a budget too small to enter: nothing runs.
    let compiled = rig.compiler.compile::<ArmCpu>(&block, 1).unwrap();
    let mut env = rig.env();
    env.budget = 2;
    let before = env.arch.regs;
    assert_eq!(rig.compiler.run(&compiled, &mut env), ExitCode::Budget);
    assert_eq!(env.budget, 2);
    assert_eq!(&env.arch.regs[..15], &before[..15]);
    assert_eq!(env.arch.regs[15], 0x4000_0000);
}

/// Lifted Advanced SIMD and VFP instructions, random encodings of their
/// spaces in both instruction sets: every one that lifts runs on both
/// backends from random core and extension registers and FPSCR, and the
/// two agree (the helpers run too: none may panic).
#[test]
fn lifted_neon_and_vfp_encodings_run_alike() {
    use crate::frontend::arm::lift::{lift_a32, t32::lift_t32, t32::ItTrack};
    use lockstep_runtime::arm::{psr, tb_flags};
    let mut rig = Rig::new();
    rig.fp = true;
    let flags = psr::MODE_SVC | tb_flags::VFP_ACCESS | tb_flags::VFP_EN;
    let mut ran = 0;
    for k in 0..60_000u32 {
        let r = rig.rand() as u32 ^ (rig.rand() >> 32) as u32;
        let thumb = k % 2 == 1;
        let word = match (k / 2) % 4 {
            0 => 0xf200_0000 | (r & 0x01ff_ffff),
            1 => 0xf400_0000 | (r & 0x00ef_ffff),
            2 => 0xee00_0a00 | (r & 0x00ff_f1ff) | (r >> 31) << 8,
            _ => 0xec00_0a00 | (r & 0x01ff_f1ff) | (r >> 31) << 8,
        };
        let word = match (thumb, word >> 24) {
            (true, 0xf2 | 0xf3) => 0xef00_0000 | (word >> 24 & 1) << 28 | (word & 0x00ff_ffff),
            (true, 0xf4) => 0xf900_0000 | (word & 0x00ff_ffff),
            _ => word,
        };
        let f = if thumb { flags | psr::T } else { flags };
        let mut b = Builder::new();
        let term = if thumb {
            lift_t32(&mut b, 0x4000_0000, word, 4, f, 0, &mut ItTrack::new(f))
        } else {
            lift_a32(&mut b, 0x4000_0000, word, f, 0)
        };
        if matches!(term, Some(Terminal::Trap { .. })) {
            continue; // undefined, or a trap the run loop serves
        }
        b.set_insn(0);
        let key = BlockKey {
            pc: 0x4000_0000,
            phys_pc: 0x4000_0000,
            flags: f,
        };
        let term = term.unwrap_or(Terminal::Exit {
            next_pc: 0x4000_0004,
        });
        let block = b.finish(key, vec![0x4000_0000], 4, term, reg_slot(15), 0);
        rig.check(&block, 1);
        ran += 1;
    }
    assert!(ran > 20_000, "only {ran} encodings lifted");
}
