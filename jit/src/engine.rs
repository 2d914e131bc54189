//! The execution engine: block lookup, the translation-block cache,
//! invalidation of overwritten code, chaining, and the choice of backend.
//!
//! Blocks are cached by (physical PC, translation flags). A small
//! direct-mapped jump cache maps virtual PCs to cached blocks so the common
//! lookup skips address translation. When guest code is overwritten, the
//! bus reports the page and every block on it is dropped, with the chains
//! that lead into it.
//!
//! In `jit` mode every block is compiled before it first runs; in `interp`
//! mode none is; in `tiered` mode a block is interpreted until it has run
//! [`HOT_THRESHOLD`] times, then compiled on a second thread while it goes
//! on being interpreted, and its code is installed between blocks once
//! ready (only compiled blocks chain). The shortened blocks that make an instruction budget end
//! exactly (see [`lockstep_runtime::exec::Engine`]) are always interpreted:
//! they run once, and the interpreter gives the same answers.

use crate::background::{Background, Done};
use crate::clif::{
    indirect_index, CompiledBlock, Compiler, IndirectEntry, CODE_ARENA_BYTES, INDIRECT_ENTRIES,
};
use crate::frontend::Guest;
use crate::interp::InterpBlock;
use crate::ir::Block;
use lockstep_runtime::bus::{PAGE_BITS, PAGE_SIZE};
use lockstep_runtime::env::{CpuEnv, ExitCode};
use lockstep_runtime::exec::Engine;
use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

/// Which backend runs guest code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecMode {
    /// The IR interpreter.
    Interp,
    /// Cranelift-compiled code for every block.
    Jit,
    /// Interpret a block until it is hot, then compile it.
    Tiered,
}

/// Executions after which a block is compiled in tiered mode. Measured on
/// the Debian Linux boot (3.37 billion instructions, 50,674 blocks): 32
/// compiles 14,651 blocks and boots in 7.8 s, 128 in 6.3 s, 512 compiles
/// 4,046 and boots in 5.3 s, 2048 in 5.4 s; the bare-metal workloads spend
/// their time in a handful of blocks and do not notice.
pub const HOT_THRESHOLD: u32 = 512;

/// What to print while running.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceOptions {
    /// Each block's guest assembly when it is translated.
    pub in_asm: bool,
    /// Each block's IR when it is translated.
    pub op: bool,
    /// The PC of every block as it is entered from the dispatcher.
    pub exec: bool,
    /// The host code Cranelift generates for each block.
    pub out_asm: bool,
    /// Every exception and interrupt taken (printed by the machine).
    pub int: bool,
}

/// Counters for `lockstep bench` and traces.
#[derive(Clone, Copy, Debug, Default)]
pub struct EngineStats {
    /// Blocks translated into IR (cached ones).
    pub blocks_translated: u64,
    /// Guest instructions in those blocks.
    pub insns_translated: u64,
    /// Blocks compiled by Cranelift.
    pub blocks_compiled: u64,
    /// Time spent lifting to IR.
    pub translate_time: Duration,
    /// Time spent in Cranelift.
    pub compile_time: Duration,
    /// Blocks dropped (their code was overwritten, or everything was
    /// flushed).
    pub blocks_invalidated: u64,
    /// Chain links patched.
    pub chains: u64,
    /// Times the code memory filled up and every translation was dropped.
    pub code_flushes: u64,
    /// Blocks entered from the dispatcher (not through a chain).
    pub dispatches: u64,
    /// Blocks run by the interpreter (cached ones; shortened tails not
    /// counted).
    pub interp_runs: u64,
    /// Guest instructions in those runs (whole blocks, as entered).
    pub interp_insns: u64,
}

struct Entry {
    interp: InterpBlock,
    compiled: Option<CompiledBlock>,
    /// Unique per translation (ids are reused; serials are not).
    serial: u64,
    /// Its code was asked of the background compiler (tiered mode).
    requested: bool,
    /// Guest pages the block's code lies on.
    pages: [u64; 2],
    /// Times run by the interpreter (tiered mode).
    runs: u32,
    /// For each direct exit, the block it is chained to.
    chained_to: [Option<usize>; 2],
    /// Chains into this block: (block, exit).
    incoming: Vec<(usize, usize)>,
}

const JUMP_CACHE: usize = 4096;

/// The engine for guest architecture `G`.
pub struct GuestEngine<G: Guest> {
    mode: ExecMode,
    trace: TraceOptions,
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    /// Blocks by (virtual PC, physical PC, flags): the same physical code
    /// reached at another virtual address needs its own translation (its
    /// PC-relative constants differ).
    by_key: HashMap<(u64, u64, u32), usize>,
    by_page: HashMap<u64, Vec<usize>>,
    jump_cache: Vec<(u64, u32, usize)>,
    /// The `mmu_epoch` the jump cache and the chains were made under.
    seen_epoch: u64,
    /// Chains whose target lies on another virtual page than their
    /// source, by both pages: valid only while the mappings of both stay
    /// as they were.
    cross_page_chains: HashMap<u64, Vec<(usize, usize)>>,
    compiler: Option<Compiler>,
    /// Tiered mode: the compiling thread.
    background: Option<Background>,
    /// The cache compiled code consults at computed exits; its address
    /// is compiled into the code, so it never moves.
    indirect: Box<[IndirectEntry]>,
    /// The background compiler was asked to start over and has not yet
    /// said it did.
    restarting: bool,
    next_serial: u64,
    code_bytes: usize,
    values: Vec<u64>,
    /// Runs after which tiered mode compiles a block.
    hot_threshold: u32,
    stats: EngineStats,
    _guest: std::marker::PhantomData<G>,
}

/// The engine for 32-bit ARM guests.
pub type ArmEngine = GuestEngine<lockstep_runtime::arm::ArmCpu>;

/// The engine could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the Cranelift JIT for this host: {0}")]
pub struct EngineError(pub String);

/// What a lookup found for the current PC.
enum Found {
    /// A cached block.
    Cached(usize),
    /// A block to run once and forget (see [`Block::once`]).
    Once(Block),
}

impl<G: Guest> GuestEngine<G> {
    /// An engine with an empty cache.
    pub fn new(mode: ExecMode, trace: TraceOptions) -> Result<Self, EngineError> {
        Self::with_code_bytes(mode, trace, CODE_ARENA_BYTES)
    }

    /// An engine whose compiler gets `code_bytes` of executable memory
    /// (small values exercise the flush-and-restart path).
    pub fn with_code_bytes(
        mode: ExecMode,
        trace: TraceOptions,
        code_bytes: usize,
    ) -> Result<Self, EngineError> {
        let indirect = vec![IndirectEntry::EMPTY; INDIRECT_ENTRIES].into_boxed_slice();
        let indirect_base = indirect.as_ptr() as u64;
        let compiler = match mode {
            ExecMode::Jit => {
                let mut c = Compiler::new::<G>(code_bytes).map_err(EngineError)?;
                c.out_asm = trace.out_asm;
                c.set_indirect_cache(indirect_base);
                Some(c)
            }
            ExecMode::Tiered | ExecMode::Interp => None,
        };
        let background = match mode {
            ExecMode::Tiered => Some(
                Background::start::<G>(code_bytes, trace.out_asm, indirect_base)
                    .map_err(EngineError)?,
            ),
            _ => None,
        };
        Ok(GuestEngine {
            mode,
            trace,
            entries: Vec::new(),
            free: Vec::new(),
            by_key: HashMap::new(),
            by_page: HashMap::new(),
            jump_cache: vec![(u64::MAX, 0, 0); JUMP_CACHE],
            seen_epoch: 0,
            cross_page_chains: HashMap::new(),
            compiler,
            background,
            indirect,
            restarting: false,
            next_serial: 0,
            code_bytes,
            values: Vec::new(),
            hot_threshold: HOT_THRESHOLD,
            stats: EngineStats::default(),
            _guest: std::marker::PhantomData,
        })
    }

    /// The execution mode.
    pub fn mode(&self) -> ExecMode {
        self.mode
    }

    /// Counters so far.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    fn jc_index(pc: u64) -> usize {
        ((pc >> 2) ^ (pc >> 12)) as usize & (JUMP_CACHE - 1)
    }

    /// Drops every block on guest physical page `page`.
    pub fn invalidate_page(&mut self, page: u64) {
        let Some(ids) = self.by_page.remove(&page) else {
            return;
        };
        for id in ids {
            self.remove(id);
        }
    }

    /// Drops every translation.
    pub fn flush(&mut self) {
        // Everything goes, chains and their targets alike: no need to undo
        // links one by one.
        self.stats.blocks_invalidated += self.entries.iter().filter(|e| e.is_some()).count() as u64;
        self.entries.iter_mut().for_each(|e| *e = None);
        self.free = (0..self.entries.len()).rev().collect();
        self.by_key.clear();
        self.by_page.clear();
        self.cross_page_chains.clear();
        self.indirect.fill(IndirectEntry::EMPTY);
    }

    /// Virtual-to-physical mappings may have changed: forget every lookup
    /// by virtual address (the jump cache) and cut every chain into
    /// another virtual page. Chains within a page stay: a direct branch
    /// within one page reaches the same physical code under any mapping.
    fn remap(&mut self) {
        self.jump_cache.fill((u64::MAX, 0, 0));
        self.indirect.fill(IndirectEntry::EMPTY);
        for (_, chains) in std::mem::take(&mut self.cross_page_chains) {
            for (from, exit) in chains {
                self.unchain(from, exit);
            }
        }
    }

    /// The mapping of the virtual page at `page` may have changed: forget
    /// the lookups of code on it and cut the chains into and out of it.
    fn remap_page(&mut self, page: u64) {
        // The caches are indexed by the PC's word and page bits, so a
        // page's entries sit at the indices of its words.
        let vpage = page >> PAGE_BITS;
        for pc in (page..page + PAGE_SIZE).step_by(4) {
            let j = &mut self.jump_cache[Self::jc_index(pc)];
            if j.0 >> PAGE_BITS == vpage {
                *j = (u64::MAX, 0, 0);
            }
            let i = &mut self.indirect[indirect_index(pc)];
            if i.pc >> PAGE_BITS == vpage {
                *i = IndirectEntry::EMPTY;
            }
        }
        for (from, exit) in self.cross_page_chains.remove(&page).unwrap_or_default() {
            self.unchain(from, exit);
        }
    }

    /// Undoes the chain of `from`'s direct exit `exit`, if it is still
    /// chained.
    fn unchain(&mut self, from: usize, exit: usize) {
        let Some(to) = self.entries[from]
            .as_mut()
            .and_then(|f| f.chained_to[exit].take())
        else {
            return;
        };
        if let Some(c) = self.entries[from]
            .as_ref()
            .and_then(|f| f.compiled.as_ref())
        {
            c.unchain(exit);
        }
        if let Some(t) = self.entries[to].as_mut() {
            t.incoming.retain(|&(f, e)| (f, e) != (from, exit));
        }
    }

    fn remove(&mut self, id: usize) {
        let Some(entry) = self.entries[id].take() else {
            return;
        };
        self.stats.blocks_invalidated += 1;
        let k = entry.interp.block.key;
        self.by_key.remove(&(k.pc, k.phys_pc, k.flags));
        if let Some(c) = &entry.compiled {
            let slot = &mut self.indirect[indirect_index(k.pc)];
            if slot.code == c.entry() as u64 {
                *slot = IndirectEntry::EMPTY;
            }
        }
        for (from, exit) in &entry.incoming {
            if let Some(f) = self.entries[*from].as_mut() {
                f.chained_to[*exit] = None;
                if let Some(c) = &f.compiled {
                    c.unchain(*exit);
                }
            }
        }
        for target in entry.chained_to.iter().flatten() {
            if let Some(t) = self.entries[*target].as_mut() {
                t.incoming.retain(|&(f, _)| f != id);
            }
        }
        for p in entry.pages {
            if let Some(list) = self.by_page.get_mut(&p) {
                list.retain(|&x| x != id);
            }
        }
        self.free.push(id);
    }

    fn lookup(&mut self, env: &mut CpuEnv<G>) -> Result<Found, ExitCode> {
        let pc = G::pc(env);
        let flags = G::tb_flags(env);
        let jc = Self::jc_index(pc);
        let (jpc, jflags, jid) = self.jump_cache[jc];
        // Removal does not touch the jump cache, so a hit is checked
        // against the block it names (the id may since have been reused).
        let live = |e: &Option<Entry>| {
            e.as_ref()
                .is_some_and(|e| e.interp.block.key.pc == pc && e.interp.block.key.flags == flags)
        };
        if jpc == pc && jflags == flags && self.entries.get(jid).is_some_and(live) {
            return Ok(Found::Cached(jid));
        }
        let phys = match lockstep_runtime::softmmu::translate_code(env, pc, G::mmu_idx(env)) {
            Ok(p) => p,
            Err(f) => {
                env.raise(f);
                return Err(ExitCode::Fault);
            }
        };
        let id = match self.by_key.get(&(pc, phys, flags)) {
            Some(&id) => id,
            None => {
                let block = self.lift(env, usize::MAX)?;
                if block.once {
                    return Ok(Found::Once(block));
                }
                self.translate(env, block)
            }
        };
        self.jump_cache[jc] = (pc, flags, id);
        Ok(Found::Cached(id))
    }

    fn lift(&mut self, env: &mut CpuEnv<G>, max: usize) -> Result<Block, ExitCode> {
        let t0 = Instant::now();
        let block = match G::translate_block(env, max) {
            Ok(b) => b,
            Err(f) => {
                env.raise(f);
                return Err(ExitCode::Fault);
            }
        };
        self.stats.translate_time += t0.elapsed();
        debug_assert_eq!(crate::ir::verify(&block), Ok(()), "{block}");
        if self.trace.in_asm {
            let mut out = std::io::stderr().lock();
            let _ = writeln!(
                out,
                "IN: {} instructions at 0x{:x}",
                block.len(),
                block.key.pc
            );
            for line in G::disassemble(env, &block) {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out);
        }
        if self.trace.op {
            eprintln!("{block}");
        }
        Ok(block)
    }

    fn translate(&mut self, env: &mut CpuEnv<G>, block: Block) -> usize {
        self.stats.blocks_translated += 1;
        self.stats.insns_translated += u64::from(block.len());
        let first = block.key.phys_pc >> PAGE_BITS << PAGE_BITS;
        let last_byte = block.key.phys_pc + u64::from(block.code_bytes).max(1) - 1;
        let last = last_byte >> PAGE_BITS << PAGE_BITS;
        let id = self.free.pop().unwrap_or_else(|| {
            self.entries.push(None);
            self.entries.len() - 1
        });
        let compiled = match self.mode {
            ExecMode::Jit => {
                let (code, flushed) = self.compile(&block, id);
                if flushed {
                    // The flush freed every id, this one included.
                    self.free.retain(|&x| x != id);
                }
                Some(code)
            }
            _ => None,
        };
        lockstep_runtime::softmmu::protect_code(
            env,
            block.key.phys_pc,
            u64::from(block.code_bytes),
        );
        self.by_key
            .insert((block.key.pc, block.key.phys_pc, block.key.flags), id);
        for p in [first, last] {
            let list = self.by_page.entry(p).or_default();
            if !list.contains(&id) {
                list.push(id);
            }
        }
        debug_assert!(last - first <= PAGE_SIZE);
        let serial = self.next_serial;
        self.next_serial += 1;
        self.entries[id] = Some(Entry {
            interp: InterpBlock::new(block),
            compiled,
            serial,
            requested: false,
            runs: 0,
            pages: [first, last],
            chained_to: [None, None],
            incoming: Vec::new(),
        });
        id
    }

    /// Compiles `block`; when the code memory is full, drops every
    /// translation, starts a fresh compiler and tries again. The flag says
    /// whether that flush happened (every block id is then stale).
    fn compile(&mut self, block: &Block, id: usize) -> (CompiledBlock, bool) {
        let mut flushed = false;
        loop {
            let compiler = self.compiler.as_mut().expect("a compiling mode");
            let t0 = Instant::now();
            let code = compiler.compile::<G>(block, id as u64);
            self.stats.compile_time += t0.elapsed();
            if let Some(code) = code {
                self.stats.blocks_compiled += 1;
                return (code, flushed);
            }
            assert!(!flushed, "one block does not fit in an empty code arena");
            // Nothing may refer to the old code: drop every block (and so
            // every chain) before the old compiler's memory goes.
            self.flush();
            self.stats.code_flushes += 1;
            flushed = true;
            self.compiler = None;
            let mut c = Compiler::new::<G>(self.code_bytes)
                .expect("the JIT started once, so it starts again");
            c.out_asm = self.trace.out_asm;
            c.set_indirect_cache(self.indirect.as_ptr() as u64);
            self.compiler = Some(c);
        }
    }

    /// In tiered mode, counts a run of block `id` and, once it is hot,
    /// asks the background compiler for its code (the block keeps being
    /// interpreted until the code is installed).
    fn warm(&mut self, id: usize) {
        let entry = self.entries[id].as_mut().expect("cached block is live");
        if entry.compiled.is_some() || entry.requested {
            return;
        }
        entry.runs += 1;
        if entry.runs < self.hot_threshold {
            return;
        }
        entry.requested = true;
        let (serial, block) = (entry.serial, entry.interp.block.clone());
        if let Some(bg) = &self.background {
            bg.request(id, serial, block);
        }
    }

    /// Installs the code the background compiler finished.
    fn install_ready(&mut self) {
        let Some(bg) = self.background.as_mut() else {
            return;
        };
        let mut full = false;
        while let Some(done) = bg.poll() {
            match done {
                Done::Compiled {
                    id,
                    serial,
                    code,
                    took,
                } => {
                    self.stats.compile_time += took;
                    self.stats.blocks_compiled += 1;
                    if let Some(e) = self.entries.get_mut(id).and_then(|e| e.as_mut()) {
                        if e.serial == serial && e.compiled.is_none() {
                            e.compiled = Some(code);
                        }
                    }
                }
                Done::Full => full |= !self.restarting,
                Done::Restarted(runner) => {
                    bg.runner = runner;
                    self.restarting = false;
                }
            }
        }
        if full {
            // Nothing may refer to the old code once the worker lets its
            // memory go: drop every block first.
            self.flush();
            self.stats.code_flushes += 1;
            self.restarting = true;
            if let Some(bg) = &self.background {
                bg.restart();
            }
        }
    }

    /// Links the direct exit that just returned to the block that follows.
    fn try_chain(&mut self, exit_from: u64, to: usize) {
        if exit_from == u64::MAX {
            return;
        }
        let (from, exit) = ((exit_from >> 1) as usize, (exit_from & 1) as usize);
        let Some(code) = self.entries[to]
            .as_ref()
            .and_then(|e| e.compiled.as_ref())
            .map(|c| c.entry())
        else {
            return;
        };
        let Some(f) = self.entries.get_mut(from).and_then(|e| e.as_mut()) else {
            return;
        };
        if f.chained_to[exit].is_some() {
            return;
        }
        if let Some(c) = &f.compiled {
            c.chain(exit, code);
            f.chained_to[exit] = Some(to);
            let from_page = f.interp.block.key.pc >> PAGE_BITS;
            let to_page = self.entries[to]
                .as_ref()
                .map_or(u64::MAX, |t| t.interp.block.key.pc >> PAGE_BITS);
            if from_page != to_page {
                for page in [from_page, to_page] {
                    self.cross_page_chains
                        .entry(page << PAGE_BITS)
                        .or_default()
                        .push((from, exit));
                }
            }
            self.entries[to]
                .as_mut()
                .expect("live block")
                .incoming
                .push((from, exit));
            self.stats.chains += 1;
        }
    }

    /// Runs a block of at most `budget` instructions, interpreted and not
    /// cached, so the budget ends exactly.
    fn run_tail(&mut self, env: &mut CpuEnv<G>) -> ExitCode {
        let max = env.budget as usize;
        let block = match self.lift(env, max) {
            Ok(b) => b,
            Err(code) => return code,
        };
        InterpBlock::new(block).run(env, &mut self.values)
    }
}

impl<G: Guest> Engine<G> for GuestEngine<G> {
    fn execute(&mut self, env: &mut CpuEnv<G>) -> ExitCode {
        // Whatever block exited last, the run loop may have moved the PC
        // since (an exception, an interrupt, a trap it served): that exit
        // must not be chained to the block found now.
        env.exit_from = u64::MAX;
        loop {
            // A chain may only be made from a block that still is the one
            // that exited: any removal since then may have reused its id.
            let removals = self.stats.blocks_invalidated;
            // SAFETY: the run loop owns the bus while the engine runs.
            let bus = unsafe { env.bus() };
            if bus.has_dirty_code() {
                for page in bus.take_dirty_code() {
                    self.invalidate_page(page);
                }
            }
            self.install_ready();
            if env.mmu_epoch != self.seen_epoch {
                self.seen_epoch = env.mmu_epoch;
                env.remapped_pages.clear();
                self.remap();
            } else if !env.remapped_pages.is_empty() {
                let mut pages = std::mem::take(&mut env.remapped_pages);
                for &page in &pages {
                    self.remap_page(page);
                }
                pages.clear();
                env.remapped_pages = pages;
            }
            if env.budget == 0 {
                return ExitCode::Budget;
            }
            self.stats.dispatches += 1;
            let id = match self.lookup(env) {
                Ok(Found::Cached(id)) => id,
                Ok(Found::Once(block)) => {
                    env.exit_from = u64::MAX;
                    self.stats.interp_runs += 1;
                    self.stats.interp_insns += u64::from(block.len());
                    match InterpBlock::new(block).run(env, &mut self.values) {
                        ExitCode::Next if env.exit_request != 0 => return ExitCode::Request,
                        ExitCode::Next => continue,
                        other => return other,
                    }
                }
                Err(code) => {
                    env.exit_from = u64::MAX;
                    return code;
                }
            };
            if self.trace.exec {
                eprintln!("Trace: 0x{:x} [{:x}]", G::pc(env), G::tb_flags(env));
            }
            if self.mode == ExecMode::Tiered {
                self.warm(id);
            }
            if self.stats.blocks_invalidated == removals {
                self.try_chain(env.exit_from, id);
            }
            env.exit_from = u64::MAX;
            let entry = self.entries[id].as_ref().expect("cached block is live");
            if let Some(c) = &entry.compiled {
                // Computed exits of compiled code find this block from now
                // on without coming back here.
                let k = entry.interp.block.key;
                self.indirect[indirect_index(k.pc)] = IndirectEntry {
                    pc: k.pc,
                    flags: k.flags,
                    _pad: 0,
                    code: c.entry() as u64,
                    _pad2: 0,
                };
            }
            let runner = match (&self.compiler, &self.background) {
                (Some(c), _) => Some(c.runner()),
                (None, Some(bg)) => Some(bg.runner),
                (None, None) => None,
            };
            let code = match (&entry.compiled, runner) {
                (Some(c), Some(runner)) => runner.run(c, env),
                _ => {
                    self.stats.interp_runs += 1;
                    self.stats.interp_insns += u64::from(entry.interp.block.len());
                    entry.interp.run(env, &mut self.values)
                }
            };
            match code {
                // A helper asked the run loop to look (an exception return
                // that may unmask interrupts, a timer write): the block
                // completed, so the PC is already the next one.
                ExitCode::Next if env.exit_request != 0 => return ExitCode::Request,
                ExitCode::Next => {}
                ExitCode::Budget => {
                    env.exit_from = u64::MAX;
                    if env.budget == 0 {
                        return ExitCode::Budget;
                    }
                    match self.run_tail(env) {
                        ExitCode::Next | ExitCode::Budget => {}
                        other => return other,
                    }
                }
                other => {
                    env.exit_from = u64::MAX;
                    return other;
                }
            }
        }
    }
}
