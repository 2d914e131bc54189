//! The Cranelift backend: IR blocks to native code.
//!
//! Each block becomes one function with Cranelift's `tail` calling
//! convention, taking the environment pointer and returning an
//! [`ExitCode`]. Its entry checks and decrements the icount budget; guest
//! state is read and written at fixed offsets from the environment; memory
//! accesses inline the softmmu TLB hit path and call the runtime on a miss.
//! A direct exit loads its chain slot: when the engine has filled it with
//! the next block's code, the exit is a tail call into that block, so hot
//! loops run without returning to the dispatcher; the callee's own budget
//! check ends the chain when the budget runs out.
//!
//! Rust enters compiled code through a small trampoline (system calling
//! convention) compiled once.

use crate::codemem::CodeArena;
use crate::frontend::Guest;
use crate::ir::{self, BinaryOp, Block, Cmp, Convert, Endian, Inst, Terminal, UnaryOp};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature, Value};
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;
use lockstep_runtime::env::{CpuEnv, EnvLayout, ExitCode};
use lockstep_runtime::softmmu::{self, layout as tlbl, MemOp, PAGE_MASK, TLB_ENTRIES};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Executable memory per compiler by default; when it is full the engine
/// drops every translation and starts a new compiler.
pub const CODE_ARENA_BYTES: usize = 256 << 20;

type Trampoline = unsafe extern "C" fn(env: *mut u8, code: *const u8) -> u32;

/// A compiled block: its entry point and its two chain slots.
pub struct CompiledBlock {
    code: *const u8,
    slots: Box<[AtomicU64; 2]>,
}

// SAFETY: the code pointer names immutable machine code in an arena that
// outlives every block compiled into it (the engine drops all blocks before
// it lets an arena go), and the chain slots are atomics: a block compiled on
// one thread may be run and chained on another.
unsafe impl Send for CompiledBlock {}

/// Enters compiled code: the trampoline of the compiler that made it.
#[derive(Clone, Copy)]
pub struct Runner {
    trampoline: Trampoline,
}

impl Runner {
    /// Runs compiled code on `env` until it returns.
    pub fn run<A>(&self, block: &CompiledBlock, env: &mut CpuEnv<A>) -> ExitCode {
        // SAFETY: the code was compiled for this environment's layout, by
        // the compiler this trampoline belongs to.
        let r = unsafe { (self.trampoline)(env as *mut CpuEnv<A> as *mut u8, block.code) };
        ExitCode::from_u32(r)
    }
}

impl CompiledBlock {
    /// The native entry point.
    pub fn entry(&self) -> *const u8 {
        self.code
    }
    /// Makes direct exit `exit` tail-call `code`.
    pub fn chain(&self, exit: usize, code: *const u8) {
        self.slots[exit].store(code as u64, Ordering::Relaxed);
    }
    /// Makes direct exit `exit` return to the dispatcher again.
    pub fn unchain(&self, exit: usize) {
        self.slots[exit].store(0, Ordering::Relaxed);
    }
}

/// The Cranelift compiler and the executable memory it fills.
pub struct Compiler {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
    block_sig: Signature,
    helper_sig: Signature,
    load_sig: Signature,
    store_sig: Signature,
    trampoline: Trampoline,
    /// Print the host code of each block (`--trace out_asm`).
    pub out_asm: bool,
    layout: EnvLayout,
    load_helper: u64,
    store_helper: u64,
    /// The engine's indirect-branch cache (0: computed exits return to the
    /// engine).
    indirect_cache: u64,
}

/// One entry of the engine's indirect-branch cache, which compiled code
/// reads to continue at a computed target without returning to the engine.
/// The engine fills an entry when it dispatches to a compiled block and
/// clears it when the block goes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IndirectEntry {
    /// Guest virtual PC of the block (`u64::MAX`: empty).
    pub pc: u64,
    /// Its translation flags.
    pub flags: u32,
    /// Padding.
    pub _pad: u32,
    /// Its compiled code.
    pub code: u64,
    /// Padding to 32 bytes.
    pub _pad2: u64,
}

impl IndirectEntry {
    /// An entry that matches nothing.
    pub const EMPTY: IndirectEntry = IndirectEntry {
        pc: u64::MAX,
        flags: 0,
        _pad: 0,
        code: 0,
        _pad2: 0,
    };
}

/// Entries of the indirect-branch cache (a power of two).
pub const INDIRECT_ENTRIES: usize = 4096;

/// The cache index of guest PC `pc` (the engine and compiled code agree).
pub fn indirect_index(pc: u64) -> usize {
    ((pc >> 2) ^ (pc >> 12)) as usize & (INDIRECT_ENTRIES - 1)
}

fn clty(t: ir::Type) -> types::Type {
    match t {
        ir::Type::I8 => types::I8,
        ir::Type::I16 => types::I16,
        ir::Type::I32 => types::I32,
        ir::Type::I64 => types::I64,
    }
}

fn intcc(c: Cmp) -> IntCC {
    match c {
        Cmp::Eq => IntCC::Equal,
        Cmp::Ne => IntCC::NotEqual,
        Cmp::Ult => IntCC::UnsignedLessThan,
        Cmp::Ule => IntCC::UnsignedLessThanOrEqual,
        Cmp::Ugt => IntCC::UnsignedGreaterThan,
        Cmp::Uge => IntCC::UnsignedGreaterThanOrEqual,
        Cmp::Slt => IntCC::SignedLessThan,
        Cmp::Sle => IntCC::SignedLessThanOrEqual,
        Cmp::Sgt => IntCC::SignedGreaterThan,
        Cmp::Sge => IntCC::SignedGreaterThanOrEqual,
    }
}

impl Compiler {
    /// Sets up Cranelift for the host, with `code_bytes` of executable
    /// memory, and compiles the trampoline.
    pub fn new<G: Guest>(code_bytes: usize) -> Result<Self, String> {
        let mut flags = settings::builder();
        // "none" compiles a third faster, "speed" runs hot loops faster;
        // with tiering only hot blocks are compiled, so speed wins.
        flags.set("opt_level", "speed").map_err(|e| e.to_string())?;
        // Cranelift's IR verifier costs about a tenth of compile time; debug
        // builds (and so the tests) keep it.
        flags
            .set(
                "enable_verifier",
                if cfg!(debug_assertions) {
                    "true"
                } else {
                    "false"
                },
            )
            .map_err(|e| e.to_string())?;
        // Tail calls (block chaining) need frame pointers on x86-64.
        flags
            .set("preserve_frame_pointers", "true")
            .map_err(|e| e.to_string())?;
        let isa = cranelift_native::builder()
            .map_err(|e| e.to_string())?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())?;
        let mut jb = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
        let arena = CodeArena::new(code_bytes).map_err(|e| e.to_string())?;
        jb.memory_provider(Box::new(arena));
        let mut module = JITModule::new(jb);
        let ptr = types::I64;

        let mut block_sig = Signature::new(CallConv::Tail);
        block_sig.params.push(AbiParam::new(ptr));
        block_sig.returns.push(AbiParam::new(types::I32));
        let sys = module.isa().default_call_conv();
        let mut helper_sig = Signature::new(sys);
        helper_sig.params.extend([AbiParam::new(ptr); 5]);
        helper_sig.returns.push(AbiParam::new(types::I64));
        let mut load_sig = Signature::new(sys);
        load_sig.params.extend([
            AbiParam::new(ptr),
            AbiParam::new(types::I64),
            AbiParam::new(types::I32),
        ]);
        load_sig.returns.push(AbiParam::new(types::I64));
        let mut store_sig = Signature::new(sys);
        store_sig.params.extend([
            AbiParam::new(ptr),
            AbiParam::new(types::I64),
            AbiParam::new(types::I64),
            AbiParam::new(types::I32),
        ]);
        store_sig.returns.push(AbiParam::new(types::I32));

        // The trampoline: enter(env, code) -> exit code.
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        ctx.func.signature = Signature::new(sys);
        ctx.func
            .signature
            .params
            .extend([AbiParam::new(ptr), AbiParam::new(ptr)]);
        ctx.func.signature.returns.push(AbiParam::new(types::I32));
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let env = b.block_params(entry)[0];
            let code = b.block_params(entry)[1];
            let sig = b.import_signature(block_sig.clone());
            let call = b.ins().call_indirect(sig, code, &[env]);
            let r = b.inst_results(call)[0];
            b.ins().return_(&[r]);
            b.seal_all_blocks();
            b.finalize(module.isa().frontend_config());
        }
        let id = module
            .declare_anonymous_function(&ctx.func.signature)
            .map_err(|e| e.to_string())?;
        module
            .define_function(id, &mut ctx)
            .map_err(|e| e.to_string())?;
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let tramp = module.get_finalized_function(id);
        module.clear_context(&mut ctx);
        // SAFETY: the function was just compiled with this signature.
        let trampoline: Trampoline = unsafe { std::mem::transmute::<*const u8, Trampoline>(tramp) };

        Ok(Compiler {
            module,
            ctx,
            fctx,
            block_sig,
            helper_sig,
            load_sig,
            store_sig,
            trampoline,
            out_asm: false,
            layout: CpuEnv::<G>::layout(),
            load_helper: softmmu::helper_load::<G> as *const () as u64,
            store_helper: softmmu::helper_store::<G> as *const () as u64,
            indirect_cache: 0,
        })
    }

    /// Runs compiled code on `env` until it returns.
    pub fn run<A>(&self, block: &CompiledBlock, env: &mut CpuEnv<A>) -> ExitCode {
        self.runner().run(block, env)
    }

    /// Lets compiled code continue at computed targets through the cache
    /// of [`INDIRECT_ENTRIES`] entries at `base`, which must outlive the
    /// code.
    pub fn set_indirect_cache(&mut self, base: u64) {
        self.indirect_cache = base;
    }

    /// What enters this compiler's code (usable on another thread).
    pub fn runner(&self) -> Runner {
        Runner {
            trampoline: self.trampoline,
        }
    }

    /// Compiles `block`, which the engine knows as block `id`. Returns
    /// `None` when the code memory is full.
    ///
    /// # Panics
    /// If Cranelift rejects the function: that is a bug in this backend
    /// (the IR was verified), never a property of the guest code.
    pub fn compile<G: Guest>(&mut self, block: &Block, id: u64) -> Option<CompiledBlock> {
        let slots = Box::new([AtomicU64::new(0), AtomicU64::new(0)]);
        self.ctx.func.signature = self.block_sig.clone();
        {
            let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let mut l = Lowering {
                b,
                block,
                layout: self.layout,
                env: Value::from_u32(0),
                values: vec![None; block.value_types.len()],
                labels: HashMap::new(),
                fault_exits: HashMap::new(),
                cached: Vec::new(),
                dirty: Vec::new(),
                header: None,
                id,
                slots: slots.as_ptr() as u64,
                block_sig: self.block_sig.clone(),
                helper_sig: self.helper_sig.clone(),
                load_sig: self.load_sig.clone(),
                store_sig: self.store_sig.clone(),
                load_helper: self.load_helper,
                store_helper: self.store_helper,
                indirect_cache: self.indirect_cache,
            };
            l.lower();
            let Lowering { b, .. } = l;
            b.finalize(self.module.isa().frontend_config());
        }
        self.ctx.set_disasm(self.out_asm);
        let func_id = self
            .module
            .declare_anonymous_function(&self.ctx.func.signature)
            .expect("declare a block function");
        match self.module.define_function(func_id, &mut self.ctx) {
            Ok(()) => {}
            Err(cranelift_module::ModuleError::Allocation { .. }) => {
                self.module.clear_context(&mut self.ctx);
                return None;
            }
            Err(e) => panic!(
                "Cranelift rejected block {:#x}: {e:?}\n{}\n{block}",
                block.key.pc,
                self.ctx.func.display()
            ),
        }
        self.module
            .finalize_definitions()
            .expect("finalize compiled code");
        let code = self.module.get_finalized_function(func_id);
        if self.out_asm {
            if let Some(vcode) = self.ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
                eprintln!(
                    "OUT: block {:#x} at {:p}, {} bytes\n{vcode}",
                    block.key.pc,
                    code,
                    self.ctx
                        .compiled_code()
                        .map_or(0, |c| c.code_buffer().len())
                );
            }
        }
        self.module.clear_context(&mut self.ctx);
        Some(CompiledBlock { code, slots })
    }
}

struct Lowering<'a> {
    b: FunctionBuilder<'a>,
    block: &'a Block,
    layout: EnvLayout,
    env: Value,
    values: Vec<Option<Value>>,
    labels: HashMap<u32, cranelift_codegen::ir::Block>,
    fault_exits: HashMap<u16, (cranelift_codegen::ir::Block, Vec<usize>)>,
    /// Guest state slots kept in Cranelift variables for the whole block:
    /// loaded once at entry, stored back at every exit and around helper
    /// calls. Slots that overlap another slot of the block stay in memory.
    cached: Vec<(ir::Slot, Variable)>,
    /// For each cached slot: written by an op lowered so far (so exits
    /// from here on store it back).
    dirty: Vec<bool>,
    /// The budget check at the top of the block (self-loops jump back to it).
    header: Option<cranelift_codegen::ir::Block>,
    id: u64,
    slots: u64,
    block_sig: Signature,
    helper_sig: Signature,
    load_sig: Signature,
    store_sig: Signature,
    load_helper: u64,
    store_helper: u64,
    indirect_cache: u64,
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl Lowering<'_> {
    fn v(&self, v: ir::Value) -> Value {
        self.values[v.0 as usize].expect("IR value defined before use")
    }

    fn def(&mut self, v: ir::Value, x: Value) {
        self.values[v.0 as usize] = Some(x);
    }

    fn label(&mut self, l: ir::Label) -> cranelift_codegen::ir::Block {
        if let Some(&b) = self.labels.get(&l.0) {
            return b;
        }
        let b = self.b.create_block();
        self.labels.insert(l.0, b);
        b
    }

    fn cached_var(&self, slot: ir::Slot) -> Option<Variable> {
        self.cached
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|&(_, v)| v)
    }

    /// Chooses the cached slots and loads the ones whose entry value can
    /// be observed. Every slot that no other slot of the block overlaps is
    /// cached. A slot whose first access is a write before any branch never
    /// needs its entry value: it is not loaded.
    fn load_state(&mut self, all_need_entry: bool) {
        let mut order: Vec<(ir::Slot, bool)> = Vec::new(); // (slot, needs entry value)
        let mut branched = false;
        for op in &self.block.ops {
            match op.inst {
                Inst::Get { slot, .. } | Inst::Set { slot, .. }
                    if !order.iter().any(|(s, _)| *s == slot) =>
                {
                    let write_first =
                        matches!(op.inst, Inst::Set { .. }) && !branched && !all_need_entry;
                    order.push((slot, !write_first));
                }
                Inst::Label(_) | Inst::Jump(_) | Inst::BranchIf { .. } => branched = true,
                _ => {}
            }
        }
        if let Terminal::Indirect { .. } = self.block.terminal {
            if !order.iter().any(|(s, _)| *s == self.block.pc_slot) {
                order.push((self.block.pc_slot, true));
            }
        }
        let overlaps = |a: &ir::Slot, b: &ir::Slot| {
            a != b
                && a.offset < b.offset + u32::from(b.ty.bytes())
                && b.offset < a.offset + u32::from(a.ty.bytes())
        };
        for &(s, needs_entry) in &order {
            if order.iter().any(|(o, _)| overlaps(&s, o)) {
                continue;
            }
            let var = self.b.declare_var(clty(s.ty));
            if needs_entry {
                let x = self
                    .b
                    .ins()
                    .load(clty(s.ty), flags(), self.env, s.offset as i32);
                self.b.def_var(var, x);
            }
            self.cached.push((s, var));
            self.dirty.push(false);
        }
    }

    /// Stores the cached slots written so far (in block order) back to the
    /// environment.
    fn flush_state(&mut self) {
        let dirty: Vec<usize> = (0..self.cached.len()).filter(|&i| self.dirty[i]).collect();
        self.flush_slots(&dirty);
    }

    fn flush_slots(&mut self, which: &[usize]) {
        for &i in which {
            let (slot, var) = self.cached[i];
            let x = self.b.use_var(var);
            self.b.ins().store(flags(), x, self.env, slot.offset as i32);
        }
    }

    /// Reloads the cached slots `which` (after a helper that may have
    /// changed them).
    fn reload_slots(&mut self, which: &[usize]) {
        for &i in which {
            let (slot, var) = self.cached[i];
            let x = self
                .b
                .ins()
                .load(clty(slot.ty), flags(), self.env, slot.offset as i32);
            self.b.def_var(var, x);
        }
    }

    fn ret(&mut self, code: ExitCode) {
        let c = self.b.ins().iconst(types::I32, code as i64);
        self.b.ins().return_(&[c]);
    }

    fn set_pc(&mut self, pc: u64) {
        let slot = self.block.pc_slot;
        let v = self.b.ins().iconst(clty(slot.ty), pc as i64);
        self.b.ins().store(flags(), v, self.env, slot.offset as i32);
    }

    /// Tells the runtime how many instructions of the block have not
    /// retired at instruction `insn` (see `lockstep_runtime::env`), before
    /// a call out of guest code.
    fn store_insns_ahead(&mut self, insn: u16) {
        let ahead = i64::from(self.block.len()) - i64::from(insn);
        let v = self.b.ins().iconst(types::I64, ahead);
        self.b
            .ins()
            .store(flags(), v, self.env, self.layout.insns_ahead);
    }

    fn refund(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        let off = self.layout.budget;
        let budget = self.b.ins().load(types::I64, flags(), self.env, off);
        let budget = self.b.ins().iadd_imm_s(budget, n as i64);
        self.b.ins().store(flags(), budget, self.env, off);
    }

    /// The shared exit for a fault at instruction `insn` (filled in by
    /// [`Lowering::emit_fault_exits`] once the body is lowered).
    fn fault_exit(&mut self, insn: u16) -> cranelift_codegen::ir::Block {
        if let Some((b, _)) = self.fault_exits.get(&insn) {
            return *b;
        }
        // Ops of an instruction write registers only after all its memory
        // accesses, so what is dirty now is what the exit must store.
        let dirty: Vec<usize> = (0..self.cached.len()).filter(|&i| self.dirty[i]).collect();
        let exit = self.b.create_block();
        self.fault_exits.insert(insn, (exit, dirty));
        exit
    }

    fn emit_fault_exits(&mut self) {
        let mut exits: Vec<(u16, cranelift_codegen::ir::Block, Vec<usize>)> = self
            .fault_exits
            .iter()
            .map(|(&i, (b, d))| (i, *b, d.clone()))
            .collect();
        exits.sort_by_key(|e| e.0);
        for (insn, exit, dirty) in exits {
            self.b.switch_to_block(exit);
            self.flush_slots(&dirty);
            self.set_pc(self.block.insn_pcs[insn as usize]);
            self.refund(u64::from(self.block.len()) - u64::from(insn));
            self.ret(ExitCode::Fault);
        }
    }

    /// True if a direct exit of the block leads back to its own start: the
    /// loop then stays inside the function (no frame, no chain slot).
    fn loops_to_itself(&self) -> bool {
        let start = self.block.key.pc;
        match self.block.terminal {
            Terminal::Jump { target } => target == start,
            Terminal::Branch {
                taken, not_taken, ..
            } => taken == start || not_taken == start,
            _ => false,
        }
    }

    fn lower(&mut self) {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.env = self.b.block_params(entry)[0];
        let self_loop = self.loops_to_itself();
        let header = self.b.create_block();
        if self_loop {
            // State stays in variables around the loop, so every cached
            // slot needs its entry value and every written slot may be
            // dirty at any exit (a later instruction wrote it last time).
            self.load_state(true);
            for i in 0..self.cached.len() {
                let slot = self.cached[i].0;
                self.dirty[i] = self
                    .block
                    .ops
                    .iter()
                    .any(|op| matches!(op.inst, Inst::Set { slot: s, .. } if s == slot));
            }
        }
        // In a self-loop the budget stays in a variable too (a load and a
        // store per iteration would chain every iteration through memory);
        // elsewhere it is read once and stored back at once.
        let budget_var = self.b.declare_var(types::I64);
        if self_loop {
            let b0 = self
                .b
                .ins()
                .load(types::I64, flags(), self.env, self.layout.budget);
            self.b.def_var(budget_var, b0);
            self.cached.push((
                ir::Slot {
                    offset: self.layout.budget as u32,
                    ty: ir::Type::I64,
                },
                budget_var,
            ));
            self.dirty.push(true);
        }
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        self.header = Some(header);
        let n = i64::from(self.block.len());
        let budget = if self_loop {
            self.b.use_var(budget_var)
        } else {
            self.b
                .ins()
                .load(types::I64, flags(), self.env, self.layout.budget)
        };
        let short = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, budget, n);
        let out = self.b.create_block();
        let body = self.b.create_block();
        self.b.ins().brif(short, out, &[], body, &[]);
        self.b.switch_to_block(body);
        let left = self.b.ins().iadd_imm_s(budget, -n);
        if self_loop {
            self.b.def_var(budget_var, left);
        } else {
            self.b
                .ins()
                .store(flags(), left, self.env, self.layout.budget);
        }
        if !self_loop {
            self.load_state(false);
        }
        for op in &self.block.ops {
            self.lower_op(op);
        }
        self.lower_terminal();
        self.emit_fault_exits();
        self.b.switch_to_block(out);
        if self_loop {
            self.flush_state();
        }
        self.set_pc(self.block.key.pc);
        self.ret(ExitCode::Budget);
        self.b.seal_all_blocks();
    }

    fn lower_op(&mut self, op: &ir::Op) {
        let ty = |v: ir::Value| self.block.ty(v);
        match &op.inst {
            Inst::Const { dst, imm } => {
                let x = self.b.ins().iconst(clty(ty(*dst)), *imm as i64);
                self.def(*dst, x);
            }
            Inst::Get { dst, slot } => {
                let x = match self.cached_var(*slot) {
                    Some(var) => self.b.use_var(var),
                    None => self
                        .b
                        .ins()
                        .load(clty(slot.ty), flags(), self.env, slot.offset as i32),
                };
                self.def(*dst, x);
            }
            Inst::Set { slot, src } => {
                let x = self.v(*src);
                match self.cached_var(*slot) {
                    Some(var) => {
                        self.b.def_var(var, x);
                        let i = self
                            .cached
                            .iter()
                            .position(|(s, _)| s == slot)
                            .expect("cached");
                        self.dirty[i] = true;
                    }
                    None => {
                        self.b.ins().store(flags(), x, self.env, slot.offset as i32);
                    }
                }
            }
            Inst::Unary { dst, op, src } => {
                let a = self.v(*src);
                let i = self.b.ins();
                let x = match op {
                    UnaryOp::Not => i.bnot(a),
                    UnaryOp::Neg => i.ineg(a),
                    UnaryOp::Clz => i.clz(a),
                    UnaryOp::Ctz => i.ctz(a),
                    UnaryOp::Popcnt => i.popcnt(a),
                    UnaryOp::Bswap if ty(*src) == ir::Type::I8 => a,
                    UnaryOp::Bswap => i.bswap(a),
                    UnaryOp::Bitrev => i.bitrev(a),
                };
                self.def(*dst, x);
            }
            Inst::Binary { dst, op, a, b } => {
                let (a, b) = (self.v(*a), self.v(*b));
                let x = self.binary(*op, clty(ty(*dst)), a, b);
                self.def(*dst, x);
            }
            Inst::AddCarry {
                dst,
                a,
                b,
                carry_in,
            } if ty(*a) != ir::Type::I64 => {
                // Narrow types: add in 64 bits and take the bit above.
                let t = ty(*a);
                let (a, b) = (self.v(*a), self.v(*b));
                let c = self.v(*carry_in);
                let a = self.b.ins().uextend(types::I64, a);
                let b = self.b.ins().uextend(types::I64, b);
                let c = self.b.ins().uextend(types::I64, c);
                let s = self.b.ins().iadd(a, b);
                let s = self.b.ins().iadd(s, c);
                let s = self.b.ins().ushr_imm_u(s, i64::from(t.bits()));
                let x = self.b.ins().ireduce(types::I8, s);
                self.def(*dst, x);
            }
            Inst::AddCarry {
                dst,
                a,
                b,
                carry_in,
            } => {
                let t = ty(*a);
                let (a, b) = (self.v(*a), self.v(*b));
                let c = self.v(*carry_in);
                let s = self.sum3(clty(t), a, b, c);
                // Carry out of the top bit: (a & b) | ((a | b) & !s).
                let i = self.b.ins();
                let ab = i.band(a, b);
                let aob = self.b.ins().bor(a, b);
                let ns = self.b.ins().bnot(s);
                let m = self.b.ins().band(aob, ns);
                let c = self.b.ins().bor(ab, m);
                let x = self.top_bit(c, t);
                self.def(*dst, x);
            }
            Inst::AddOverflow {
                dst,
                a,
                b,
                carry_in,
            } => {
                let t = ty(*a);
                let (a, b) = (self.v(*a), self.v(*b));
                let c = self.v(*carry_in);
                let s = self.sum3(clty(t), a, b, c);
                // Signed overflow: (a ^ s) & (b ^ s) has the top bit set.
                let x1 = self.b.ins().bxor(a, s);
                let x2 = self.b.ins().bxor(b, s);
                let m = self.b.ins().band(x1, x2);
                let x = self.top_bit(m, t);
                self.def(*dst, x);
            }
            Inst::Compare { dst, cmp, a, b } => {
                let (a, b) = (self.v(*a), self.v(*b));
                let x = self.b.ins().icmp(intcc(*cmp), a, b);
                self.def(*dst, x);
            }
            Inst::Select { dst, cond, a, b } => {
                let c = self.v(*cond);
                let (a, b) = (self.v(*a), self.v(*b));
                let x = self.b.ins().select(c, a, b);
                self.def(*dst, x);
            }
            Inst::Convert { dst, kind, src } => {
                let a = self.v(*src);
                let to = clty(ty(*dst));
                let x = match kind {
                    Convert::Zext => self.b.ins().uextend(to, a),
                    Convert::Sext => self.b.ins().sextend(to, a),
                    Convert::Trunc => self.b.ins().ireduce(to, a),
                };
                self.def(*dst, x);
            }
            Inst::Load { dst, addr, access } => {
                let a = self.addr64(*addr);
                let x = self.load(op.insn, a, *access, clty(ty(*dst)));
                self.def(*dst, x);
            }
            Inst::Store { addr, src, access } => {
                let a = self.addr64(*addr);
                let v = self.v(*src);
                let st = ty(*src);
                self.store(op.insn, a, v, st, *access);
            }
            Inst::Call { dst, helper, args } => {
                let mut argv = vec![self.env];
                for a in args {
                    argv.push(self.v(*a));
                }
                while argv.len() < 5 {
                    argv.push(self.b.ins().iconst(types::I64, 0));
                }
                // Only the state the helper may touch goes to memory and
                // comes back.
                let touched: Vec<usize> = (0..self.cached.len())
                    .filter(|&i| helper.state.touches(self.cached[i].0))
                    .collect();
                let dirty: Vec<usize> =
                    touched.iter().copied().filter(|&i| self.dirty[i]).collect();
                self.flush_slots(&dirty);
                self.store_insns_ahead(op.insn);
                let sig = self.b.import_signature(self.helper_sig.clone());
                let f = self
                    .b
                    .ins()
                    .iconst(types::I64, helper.func as *const () as i64);
                let call = self.b.ins().call_indirect(sig, f, &argv);
                let r = self.b.inst_results(call)[0];
                self.def(*dst, r);
                self.reload_slots(&touched);
                if helper.may_fault {
                    let pending =
                        self.b
                            .ins()
                            .load(types::I32, flags(), self.env, self.layout.fault_pending);
                    self.branch_to_fault(pending, op.insn);
                }
            }
            Inst::Label(l) => {
                let target = self.label(*l);
                if !self.b.is_unreachable() {
                    self.b.ins().jump(target, &[]);
                }
                self.b.switch_to_block(target);
            }
            Inst::Jump(l) => {
                let target = self.label(*l);
                self.b.ins().jump(target, &[]);
                let dead = self.b.create_block();
                self.b.switch_to_block(dead);
            }
            Inst::BranchIf { cond, target } => {
                let c = self.v(*cond);
                let target = self.label(*target);
                let next = self.b.create_block();
                self.b.ins().brif(c, target, &[], next, &[]);
                self.b.switch_to_block(next);
            }
            Inst::ExitIfRequested { next_pc } => {
                let req =
                    self.b
                        .ins()
                        .load(types::I32, flags(), self.env, self.layout.exit_request);
                let exit = self.b.create_block();
                let cont = self.b.create_block();
                self.b.ins().brif(req, exit, &[], cont, &[]);
                self.b.switch_to_block(exit);
                self.flush_state();
                self.set_pc(*next_pc);
                self.refund(u64::from(self.block.len()) - u64::from(op.insn) - 1);
                self.ret(ExitCode::Request);
                self.b.switch_to_block(cont);
            }
        }
    }

    fn branch_to_fault(&mut self, cond: Value, insn: u16) {
        let exit = self.fault_exit(insn);
        let cont = self.b.create_block();
        self.b.ins().brif(cond, exit, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    fn sum3(&mut self, t: types::Type, a: Value, b: Value, c: Value) -> Value {
        let c = if t == types::I8 {
            c
        } else {
            self.b.ins().uextend(t, c)
        };
        let s = self.b.ins().iadd(a, b);
        self.b.ins().iadd(s, c)
    }

    fn top_bit(&mut self, v: Value, t: ir::Type) -> Value {
        let s = self.b.ins().ushr_imm_u(v, i64::from(t.bits() - 1));
        let s = if t == ir::Type::I8 {
            s
        } else {
            self.b.ins().ireduce(types::I8, s)
        };
        self.b.ins().band_imm_s(s, 1)
    }

    fn binary(&mut self, op: BinaryOp, t: types::Type, a: Value, b: Value) -> Value {
        let i = self.b.ins();
        match op {
            BinaryOp::Add => i.iadd(a, b),
            BinaryOp::Sub => i.isub(a, b),
            BinaryOp::Mul => i.imul(a, b),
            BinaryOp::UMulHi => i.umulhi(a, b),
            BinaryOp::SMulHi => i.smulhi(a, b),
            BinaryOp::And => i.band(a, b),
            BinaryOp::Or => i.bor(a, b),
            BinaryOp::Xor => i.bxor(a, b),
            BinaryOp::Shl => i.ishl(a, b),
            BinaryOp::Lshr => i.ushr(a, b),
            BinaryOp::Ashr => i.sshr(a, b),
            BinaryOp::Rotl => i.rotl(a, b),
            BinaryOp::Rotr => i.rotr(a, b),
            BinaryOp::UDiv => {
                // x / 0 = 0: divide by 1 instead and select 0.
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let one = self.b.ins().iconst(t, 1);
                let safe = self.b.ins().select(zero, one, b);
                let q = self.b.ins().udiv(a, safe);
                let z = self.b.ins().iconst(t, 0);
                self.b.ins().select(zero, z, q)
            }
            BinaryOp::SDiv => {
                // x / 0 = 0 and MIN / -1 = MIN: divide by 1 in both cases.
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let minus1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let min = self
                    .b
                    .ins()
                    .iconst(t, (1i64 << (t.bits() - 1)) as u64 as i64 & mask(t));
                let is_min = self.b.ins().icmp(IntCC::Equal, a, min);
                let ovf = self.b.ins().band(minus1, is_min);
                let bad = self.b.ins().bor(zero, ovf);
                let one = self.b.ins().iconst(t, 1);
                let safe = self.b.ins().select(bad, one, b);
                let q = self.b.ins().sdiv(a, safe);
                let z = self.b.ins().iconst(t, 0);
                self.b.ins().select(zero, z, q)
            }
        }
    }

    fn addr64(&mut self, a: ir::Value) -> Value {
        let v = self.v(a);
        match self.block.ty(a) {
            ir::Type::I64 => v,
            _ => self.b.ins().uextend(types::I64, v),
        }
    }

    /// The TLB entry address for `addr`, and the value its tag must equal.
    fn tlb_probe(&mut self, addr: Value, size: u8, align: u8, mmu_idx: u8) -> (Value, Value) {
        let i = self
            .b
            .ins()
            .ushr_imm_u(addr, i64::from(lockstep_runtime::bus::PAGE_BITS));
        let i = self.b.ins().band_imm_s(i, (TLB_ENTRIES - 1) as i64);
        let off = self.b.ins().ishl_imm_u(i, i64::from(tlbl::ENTRY_SHIFT));
        let table = i64::from(self.layout.tlb)
            + i64::from(mmu_idx) * (TLB_ENTRIES as i64) * i64::from(tlbl::ENTRY_SIZE);
        let base = self.b.ins().iadd_imm_s(self.env, table);
        let entry = self.b.ins().iadd(base, off);
        let last = self.b.ins().iadd_imm_s(addr, i64::from(size) - 1);
        let mut cmp = self.b.ins().band_imm_s(last, PAGE_MASK as i64);
        if align > 1 {
            let low = self.b.ins().band_imm_s(addr, i64::from(align) - 1);
            cmp = self.b.ins().bor(cmp, low);
        }
        (entry, cmp)
    }

    fn load(&mut self, insn: u16, addr: Value, access: ir::MemAccess, dst: types::Type) -> Value {
        let (entry, cmp) = self.tlb_probe(
            addr,
            access.size,
            access.align,
            access.mmu_idx.unwrap_or(self.block.mmu_idx),
        );
        let tag = self.b.ins().load(types::I64, flags(), entry, tlbl::READ);
        let hit = self.b.ins().icmp(IntCC::Equal, tag, cmp);
        let hit_b = self.b.create_block();
        let miss_b = self.b.create_block();
        let join = self.b.create_block();
        let raw = self.b.append_block_param(join, types::I64);
        self.b.ins().brif(hit, hit_b, &[], miss_b, &[]);

        self.b.switch_to_block(hit_b);
        let addend = self.b.ins().load(types::I64, flags(), entry, tlbl::ADDEND);
        let host = self.b.ins().iadd(addend, addr);
        let sty = clty(ir::Type::of_bytes(access.size));
        let mut v = self
            .b
            .ins()
            .load(sty, MemFlagsData::new().with_notrap(), host, 0);
        if sty != types::I64 {
            v = self.b.ins().uextend(types::I64, v);
        }
        self.b.ins().jump(join, &[v.into()]);

        self.b.switch_to_block(miss_b);
        self.flush_state();
        self.store_insns_ahead(insn);
        let op = MemOp {
            size: access.size,
            align: access.align,
            mmu_idx: access.mmu_idx.unwrap_or(self.block.mmu_idx),
        }
        .pack();
        let op = self.b.ins().iconst(types::I32, i64::from(op));
        let sig = self.b.import_signature(self.load_sig.clone());
        let f = self.b.ins().iconst(types::I64, self.load_helper as i64);
        let call = self.b.ins().call_indirect(sig, f, &[self.env, addr, op]);
        let r = self.b.inst_results(call)[0];
        let pending = self
            .b
            .ins()
            .load(types::I32, flags(), self.env, self.layout.fault_pending);
        let exit = self.fault_exit(insn);
        self.b.ins().brif(pending, exit, &[], join, &[r.into()]);

        self.b.switch_to_block(join);
        let mut v = if sty == types::I64 {
            raw
        } else {
            self.b.ins().ireduce(sty, raw)
        };
        if access.endian == Endian::Big && sty != types::I8 {
            v = self.b.ins().bswap(v);
        }
        if sty == dst {
            v
        } else if sty.bits() > dst.bits() {
            self.b.ins().ireduce(dst, v)
        } else if access.signed {
            self.b.ins().sextend(dst, v)
        } else {
            self.b.ins().uextend(dst, v)
        }
    }

    fn store(&mut self, insn: u16, addr: Value, v: Value, vty: ir::Type, access: ir::MemAccess) {
        let sty = clty(ir::Type::of_bytes(access.size));
        let mut v = match vty.bytes().cmp(&access.size) {
            std::cmp::Ordering::Greater => self.b.ins().ireduce(sty, v),
            std::cmp::Ordering::Less => self.b.ins().uextend(sty, v),
            std::cmp::Ordering::Equal => v,
        };
        if access.endian == Endian::Big && sty != types::I8 {
            v = self.b.ins().bswap(v);
        }
        let (entry, cmp) = self.tlb_probe(
            addr,
            access.size,
            access.align,
            access.mmu_idx.unwrap_or(self.block.mmu_idx),
        );
        let tag = self.b.ins().load(types::I64, flags(), entry, tlbl::WRITE);
        let hit = self.b.ins().icmp(IntCC::Equal, tag, cmp);
        let hit_b = self.b.create_block();
        let miss_b = self.b.create_block();
        let join = self.b.create_block();
        self.b.ins().brif(hit, hit_b, &[], miss_b, &[]);

        self.b.switch_to_block(hit_b);
        let addend = self.b.ins().load(types::I64, flags(), entry, tlbl::ADDEND);
        let host = self.b.ins().iadd(addend, addr);
        self.b
            .ins()
            .store(MemFlagsData::new().with_notrap(), v, host, 0);
        self.b.ins().jump(join, &[]);

        self.b.switch_to_block(miss_b);
        self.flush_state();
        self.store_insns_ahead(insn);
        let v64 = if sty == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        };
        let op = MemOp {
            size: access.size,
            align: access.align,
            mmu_idx: access.mmu_idx.unwrap_or(self.block.mmu_idx),
        }
        .pack();
        let op = self.b.ins().iconst(types::I32, i64::from(op));
        let sig = self.b.import_signature(self.store_sig.clone());
        let f = self.b.ins().iconst(types::I64, self.store_helper as i64);
        let call = self
            .b
            .ins()
            .call_indirect(sig, f, &[self.env, addr, v64, op]);
        let status = self.b.inst_results(call)[0];
        let exit = self.fault_exit(insn);
        self.b.ins().brif(status, exit, &[], join, &[]);

        self.b.switch_to_block(join);
    }

    /// A direct exit through chain slot `exit` to guest `target`.
    fn direct_exit(&mut self, exit: usize, target: u64) {
        if self.loops_to_itself() {
            if target == self.block.key.pc {
                let header = self.header.expect("header exists");
                self.b.ins().jump(header, &[]);
                return;
            }
            self.flush_state();
        }
        let slot = self
            .b
            .ins()
            .iconst(types::I64, (self.slots + 8 * exit as u64) as i64);
        let code = self.b.ins().load(types::I64, flags(), slot, 0);
        let chained = self.b.create_block();
        let unchained = self.b.create_block();
        self.b.ins().brif(code, chained, &[], unchained, &[]);
        self.b.switch_to_block(chained);
        let sig = self.b.import_signature(self.block_sig.clone());
        self.b.ins().return_call_indirect(sig, code, &[self.env]);
        self.b.switch_to_block(unchained);
        self.set_pc(target);
        let from = self
            .b
            .ins()
            .iconst(types::I64, (self.id << 1 | exit as u64) as i64);
        self.b
            .ins()
            .store(flags(), from, self.env, self.layout.exit_from);
        self.ret(ExitCode::Next);
    }

    /// A computed exit to `target` (already stored as the PC): continue
    /// in the target's compiled code if the indirect-branch cache knows it
    /// for the current flags and nothing asked the run loop to look; else
    /// back to the engine.
    fn indirect_exit(&mut self, target: Value, (flag_slot, mask): (ir::Slot, u32)) {
        let miss = self.b.create_block();
        let check = self.b.create_block();
        let req = self
            .b
            .ins()
            .load(types::I32, flags(), self.env, self.layout.exit_request);
        self.b.ins().brif(req, miss, &[], check, &[]);
        self.b.switch_to_block(check);
        let pc = if self.b.func.dfg.value_type(target) == types::I64 {
            target
        } else {
            self.b.ins().uextend(types::I64, target)
        };
        let a = self.b.ins().ushr_imm_u(pc, 2);
        let c = self.b.ins().ushr_imm_u(pc, 12);
        let idx = self.b.ins().bxor(a, c);
        let idx = self.b.ins().band_imm_s(idx, (INDIRECT_ENTRIES - 1) as i64);
        let off = self.b.ins().ishl_imm_u(idx, 5);
        let base = self.b.ins().iconst(types::I64, self.indirect_cache as i64);
        let entry = self.b.ins().iadd(base, off);
        let tag = self.b.ins().load(types::I64, flags(), entry, 0);
        let same_pc = self.b.ins().icmp(IntCC::Equal, tag, pc);
        let check_flags = self.b.create_block();
        self.b.ins().brif(same_pc, check_flags, &[], miss, &[]);
        self.b.switch_to_block(check_flags);
        let dynamic = self
            .b
            .ins()
            .load(types::I32, flags(), self.env, flag_slot.offset as i32);
        let dynamic = self.b.ins().band_imm_s(dynamic, i64::from(mask));
        let now = self
            .b
            .ins()
            .bor_imm_s(dynamic, i64::from(self.block.key.flags & !mask));
        let want = self.b.ins().load(types::I32, flags(), entry, 8);
        let same_flags = self.b.ins().icmp(IntCC::Equal, want, now);
        let hit = self.b.create_block();
        self.b.ins().brif(same_flags, hit, &[], miss, &[]);
        self.b.switch_to_block(hit);
        let code = self.b.ins().load(types::I64, flags(), entry, 16);
        let sig = self.b.import_signature(self.block_sig.clone());
        self.b.ins().return_call_indirect(sig, code, &[self.env]);
        self.b.switch_to_block(miss);
        self.ret(ExitCode::Next);
    }

    fn lower_terminal(&mut self) {
        let last = self.block.insn_pcs.len() - 1;
        let next = self.block.next_pc(last);
        // Every path from here leaves the block, except a jump back to its
        // own start: state is stored back on the leaving paths only.
        if !self.loops_to_itself() {
            self.flush_state();
        }
        match self.block.terminal.clone() {
            Terminal::Jump { target } => self.direct_exit(0, target),
            Terminal::Branch {
                cond,
                taken,
                not_taken,
            } => {
                let c = self.v(cond);
                let t = self.b.create_block();
                let f = self.b.create_block();
                self.b.ins().brif(c, t, &[], f, &[]);
                self.b.switch_to_block(t);
                self.direct_exit(0, taken);
                self.b.switch_to_block(f);
                self.direct_exit(1, not_taken);
            }
            Terminal::Indirect { target } => {
                let v = self.v(target);
                let slot = self.block.pc_slot;
                self.b.ins().store(flags(), v, self.env, slot.offset as i32);
                match self.block.dynamic_flags {
                    Some(dynamic) if self.indirect_cache != 0 => self.indirect_exit(v, dynamic),
                    _ => self.ret(ExitCode::Next),
                }
            }
            Terminal::Trap {
                code,
                arg,
                credited,
                when,
            } => {
                if let Some(w) = when {
                    let w = self.v(w);
                    let taken = self.b.create_block();
                    let not = self.b.create_block();
                    self.b.ins().brif(w, taken, &[], not, &[]);
                    self.b.switch_to_block(not);
                    self.set_pc(next);
                    self.ret(ExitCode::Next);
                    self.b.switch_to_block(taken);
                }
                let c = self.b.ins().iconst(types::I32, i64::from(code));
                self.b
                    .ins()
                    .store(flags(), c, self.env, self.layout.trap_code);
                let a = self.b.ins().iconst(types::I32, i64::from(arg));
                self.b
                    .ins()
                    .store(flags(), a, self.env, self.layout.trap_arg);
                if !credited {
                    self.refund(1);
                }
                self.set_pc(self.block.insn_pcs[last]);
                self.ret(ExitCode::Trap);
            }
            Terminal::Halt { next_pc, when } => {
                self.set_pc(next_pc);
                match when {
                    None => self.ret(ExitCode::Halt),
                    Some(w) => {
                        let w = self.v(w);
                        let halt = self.b.ins().iconst(types::I32, ExitCode::Halt as i64);
                        let go = self.b.ins().iconst(types::I32, ExitCode::Next as i64);
                        let r = self.b.ins().select(w, halt, go);
                        self.b.ins().return_(&[r]);
                    }
                }
            }
            Terminal::Exit { next_pc } => {
                self.set_pc(next_pc);
                self.ret(ExitCode::Request);
            }
        }
    }
}

fn mask(t: types::Type) -> i64 {
    if t.bits() == 64 {
        -1
    } else {
        ((1u64 << t.bits()) - 1) as i64
    }
}
