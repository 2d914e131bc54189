//! The per-vCPU environment that compiled code and the interpreter work on.
//!
//! `CpuEnv` is `#[repr(C)]` and its address never changes while a vCPU
//! exists, so the Cranelift backend can address guest registers, the icount
//! budget and the TLB at fixed offsets from one pointer.
//!
//! # Exact instruction count inside a block
//!
//! A block takes its whole length off the budget when it is entered, so in
//! the middle of a block the budget alone does not say how many
//! instructions have retired. Before every call out of guest code (a
//! helper, a softmmu slow path) both backends store in `insns_ahead` how
//! many instructions of the block have not retired yet, the calling one
//! included; [`CpuEnv::icount_now`] then gives the exact count. That is what
//! makes a device read, a timer read or an input delivered in the middle of
//! a block land on the same instruction in every backend.
//!
//! # Virtual time
//!
//! Virtual time is a function of the instruction count alone:
//! `now_ns = (icount << ICOUNT_SHIFT) + idle_ns`, where `idle_ns` grows only
//! when every vCPU waits for an interrupt and time jumps to the next timer
//! deadline. No host clock is involved.

use crate::bus::Bus;
use crate::softmmu::{Tlb, MMU_MODES, TLB_ENTRIES};

/// How a block (or a chain of blocks) handed control back to the engine.
///
/// Block functions return one of these as a `u32`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// The block ran to its end; the PC in the CPU state says where next.
    Next = 0,
    /// The block would overrun the icount budget; nothing of it ran.
    Budget = 1,
    /// An access faulted: `CpuEnv::fault` says how, the PC is the faulting
    /// instruction's, and icount credits only the instructions before it.
    Fault = 2,
    /// Something asked the run loop to look at the machine (an MMIO write,
    /// a write to translated code); the PC is the next instruction's.
    Request = 3,
    /// The block ended in a trap (`CpuEnv::trap`); the PC is the trapping
    /// instruction's.
    Trap = 4,
    /// The guest waits for an interrupt; the PC is the next instruction's.
    Halt = 5,
}

impl ExitCode {
    /// Decodes a block function's return value.
    pub fn from_u32(v: u32) -> ExitCode {
        match v {
            0 => ExitCode::Next,
            1 => ExitCode::Budget,
            2 => ExitCode::Fault,
            3 => ExitCode::Request,
            4 => ExitCode::Trap,
            _ => ExitCode::Halt,
        }
    }
}

/// A trap raised by an instruction whose architected effect is to leave the
/// normal flow (supervisor call, breakpoint, undefined encoding).
///
/// `code` is defined per ISA (see e.g. [`crate::arm::trap`]); `arg` is the
/// instruction's immediate or encoding.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trap {
    /// Which trap, per ISA.
    pub code: u32,
    /// Immediate operand or encoding of the trapping instruction.
    pub arg: u32,
}

/// The kind of memory access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A data read.
    Read,
    /// A data write.
    Write,
    /// An instruction fetch.
    Fetch,
}

/// Why an access faulted.
///
/// The MMU kinds carry the translation level at which the walk stopped
/// (1-3) and, for the short-descriptor format, the domain, so the
/// architecture can build its fault status registers from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The address is not aligned as the instruction requires.
    Alignment,
    /// No device or RAM answers at the physical address.
    External,
    /// A translation table walk read from an address nothing answers at.
    WalkExternal { level: u8 },
    /// No valid translation for the address.
    Translation { level: u8 },
    /// The translation's access flag is clear.
    AccessFlag { level: u8 },
    /// The domain of the translation forbids any access.
    Domain { level: u8, domain: u8 },
    /// The translation's permissions forbid this access.
    Permission { level: u8, domain: u8 },
    /// An exception the ISA defines for a reason other than the memory
    /// mapping, raised by a helper: x86's general-protection, divide
    /// error, segment-not-present and the like, with the error code the
    /// architecture pushes (0 where it pushes none).
    Arch { vector: u8, error_code: u32 },
}

/// A guest memory fault, as the runtime reports it to the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestFault {
    /// Why.
    pub kind: FaultKind,
    /// Read, write or fetch.
    pub access: Access,
    /// The guest virtual address of the access.
    pub vaddr: u64,
}

/// Virtual nanoseconds per retired instruction, as a shift: each
/// instruction takes `1 << ICOUNT_SHIFT` ns (one instruction per
/// nanosecond, a 1 GHz core that retires one instruction a cycle).
pub const ICOUNT_SHIFT: u32 = 0;

/// Everything one vCPU's guest code touches, laid out for compiled code.
#[repr(C)]
pub struct CpuEnv<A> {
    /// The architectural register state (first, so its fields sit at small
    /// offsets that encode compactly in host instructions).
    pub arch: A,
    /// Instructions the engine may still retire before it must return.
    pub budget: u64,
    /// Non-zero when the run loop must regain control at the next
    /// instruction boundary that checks it.
    pub exit_request: u32,
    /// Non-zero after a slow-path helper raised a fault (see `fault`).
    pub fault_pending: u32,
    /// The trap that ended the last block with [`ExitCode::Trap`].
    pub trap: Trap,
    /// The fault that ended the last block with [`ExitCode::Fault`].
    pub fault: Option<GuestFault>,
    /// Engine scratch: which direct exit of which compiled block returned
    /// last (`block << 1 | exit`), so the engine can chain it.
    pub exit_from: u64,
    /// Instructions of the running block not retired yet, the current one
    /// included; stored by the backends before every call out of guest
    /// code (see the module documentation).
    pub insns_ahead: u64,
    /// The instruction count when the run loop last set `budget`.
    pub icount_base: u64,
    /// The budget the run loop last set.
    pub budget_base: u64,
    /// Virtual nanoseconds spent idle (time jumped forward while waiting
    /// for an interrupt).
    pub idle_ns: u64,
    /// Bumped whenever virtual-to-physical mappings may have changed (a
    /// TLB flush, a new translation table base, the MMU turned on or off):
    /// the engine then forgets what it looked up by virtual address.
    pub mmu_epoch: u64,
    /// Virtual pages (page addresses) whose mapping may have changed since
    /// the engine last looked, when they are few (see
    /// [`crate::softmmu::flush_page`]); the engine forgets its lookups on
    /// just those pages.
    pub remapped_pages: Vec<u64>,
    /// TLB entries filled (a walk after a miss); for statistics only.
    pub tlb_fills: u64,
    /// The physical address space, for slow paths. Owned by the run loop.
    pub bus: *mut Bus,
    /// The softmmu TLB, one table per MMU mode.
    pub tlb: [Tlb; MMU_MODES],
    /// Physical page of each TLB entry (kept apart: the fast path never
    /// needs it).
    pub tlb_phys: [[u64; TLB_ENTRIES]; MMU_MODES],
    /// The [`crate::softmmu::Translation::tag`] of each TLB entry.
    pub tlb_tag: [[u32; TLB_ENTRIES]; MMU_MODES],
}

impl<A> CpuEnv<A> {
    /// A fresh environment with an empty TLB.
    pub fn new(arch: A, bus: *mut Bus) -> Box<Self> {
        Box::new(CpuEnv {
            arch,
            budget: 0,
            exit_request: 0,
            fault_pending: 0,
            trap: Trap::default(),
            fault: None,
            exit_from: u64::MAX,
            insns_ahead: 0,
            icount_base: 0,
            budget_base: 0,
            idle_ns: 0,
            mmu_epoch: 0,
            remapped_pages: Vec::new(),
            tlb_fills: 0,
            bus,
            tlb: [Tlb::default(); MMU_MODES],
            tlb_phys: [[0; TLB_ENTRIES]; MMU_MODES],
            tlb_tag: [[0; TLB_ENTRIES]; MMU_MODES],
        })
    }

    /// The bus, for slow paths.
    ///
    /// # Safety
    /// `bus` must point at the live bus and no other reference to it may be
    /// in use (the run loop guarantees both while guest code runs).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn bus(&self) -> &mut Bus {
        unsafe { &mut *self.bus }
    }

    /// Guest instructions retired before the current one (exact inside a
    /// helper or slow path as well as between blocks).
    pub fn icount_now(&self) -> u64 {
        self.icount_base + (self.budget_base - self.budget) - self.insns_ahead
    }

    /// Virtual nanoseconds since the machine started.
    pub fn now_ns(&self) -> u64 {
        (self.icount_now() << ICOUNT_SHIFT) + self.idle_ns
    }

    /// What a device sees at this instant.
    pub fn io_ctx(&self) -> crate::bus::IoCtx {
        crate::bus::IoCtx {
            icount: self.icount_now(),
            now_ns: self.now_ns(),
        }
    }

    /// Forgets pending exits and faults (after a machine reset).
    pub fn clear_pending(&mut self) {
        self.exit_request = 0;
        self.fault_pending = 0;
        self.fault = None;
        self.exit_from = u64::MAX;
    }

    /// Records a fault for the engine to report with [`ExitCode::Fault`].
    pub fn raise(&mut self, fault: GuestFault) {
        self.fault = Some(fault);
        self.fault_pending = 1;
    }
}

/// Byte offsets of the environment fields compiled code touches.
#[derive(Clone, Copy, Debug)]
pub struct EnvLayout {
    /// `budget` (u64).
    pub budget: i32,
    /// `exit_request` (u32).
    pub exit_request: i32,
    /// `fault_pending` (u32).
    pub fault_pending: i32,
    /// `trap.code` (u32).
    pub trap_code: i32,
    /// `trap.arg` (u32).
    pub trap_arg: i32,
    /// `exit_from` (u64).
    pub exit_from: i32,
    /// `insns_ahead` (u64).
    pub insns_ahead: i32,
    /// The first TLB table.
    pub tlb: i32,
}

impl<A> CpuEnv<A> {
    /// The layout for this architecture's environment.
    pub fn layout() -> EnvLayout {
        use std::mem::offset_of;
        EnvLayout {
            budget: offset_of!(Self, budget) as i32,
            exit_request: offset_of!(Self, exit_request) as i32,
            fault_pending: offset_of!(Self, fault_pending) as i32,
            trap_code: (offset_of!(Self, trap) + offset_of!(Trap, code)) as i32,
            trap_arg: (offset_of!(Self, trap) + offset_of!(Trap, arg)) as i32,
            exit_from: offset_of!(Self, exit_from) as i32,
            insns_ahead: offset_of!(Self, insns_ahead) as i32,
            tlb: offset_of!(Self, tlb) as i32,
        }
    }
}
