//! The intermediate representation every guest ISA is lifted into and both
//! backends consume.
//!
//! A [`Block`] is a straight list of [`Op`]s over typed SSA [`Value`]s,
//! with forward and backward branches to [`Label`]s inside the block, ended
//! by one typed [`Terminal`] that says how control leaves it. Guest state
//! (registers, flags) lives in the `#[repr(C)]` CPU environment and is named
//! by byte offset ([`Slot`]); guest memory is reached only through
//! [`Inst::Load`]/[`Inst::Store`], which go through the softmmu.
//!
//! Every op carries the index of the guest instruction it belongs to, so a
//! fault inside the block can be reported at the exact instruction and
//! credit exactly the instructions before it.
//!
//! Rules the lifters follow and [`verify`] checks:
//! - a value is used only after its definition and never across a label
//!   (state that must survive a join goes through a slot);
//! - both operands of a binary op have the result's type; comparisons and
//!   the carry/overflow ops produce `I8` holding 0 or 1;
//! - shift and rotate amounts are taken modulo the width; division by zero
//!   gives 0 and signed `MIN / -1` gives `MIN` (the lifter builds any other
//!   guest behaviour from these).

use std::fmt;

/// The width of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// 8 bits (also booleans: 0 or 1).
    I8,
    /// 16 bits.
    I16,
    /// 32 bits.
    I32,
    /// 64 bits.
    I64,
}

impl Type {
    /// Width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Type::I8 => 8,
            Type::I16 => 16,
            Type::I32 => 32,
            Type::I64 => 64,
        }
    }
    /// Width in bytes.
    pub fn bytes(self) -> u8 {
        (self.bits() / 8) as u8
    }
    /// Mask of the bits that are valid in a value of this type.
    pub fn mask(self) -> u64 {
        if self == Type::I64 {
            u64::MAX
        } else {
            (1u64 << self.bits()) - 1
        }
    }
    /// The type of an access of `bytes` bytes.
    pub fn of_bytes(bytes: u8) -> Type {
        match bytes {
            1 => Type::I8,
            2 => Type::I16,
            4 => Type::I32,
            _ => Type::I64,
        }
    }
}

/// An SSA value, defined by exactly one op of its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Value(pub u32);

/// A branch target inside a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// A piece of guest state in the CPU environment: byte offset and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    /// Offset from the start of the environment.
    pub offset: u32,
    /// Width of the state.
    pub ty: Type,
}

/// Byte order of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte at the lowest address.
    Little,
    /// Most significant byte at the lowest address.
    Big,
}

/// The shape of a guest memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemAccess {
    /// Bytes accessed: 1, 2, 4 or 8.
    pub size: u8,
    /// Loads: sign-extend to the result type (else zero-extend).
    pub signed: bool,
    /// Byte order.
    pub endian: Endian,
    /// Alignment the access demands, in bytes (1: none); a misaligned
    /// access faults.
    pub align: u8,
    /// The softmmu table to use instead of the block's (an unprivileged
    /// access from privileged code, such as ARM's LDRT).
    pub mmu_idx: Option<u8>,
}

/// One-operand operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Bitwise not.
    Not,
    /// Two's complement negation.
    Neg,
    /// Count leading zeros (width for zero).
    Clz,
    /// Count trailing zeros (width for zero).
    Ctz,
    /// Population count.
    Popcnt,
    /// Reverse byte order.
    Bswap,
    /// Reverse bit order.
    Bitrev,
}

/// Two-operand operations; both operands and the result share one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// Wrapping addition.
    Add,
    /// Wrapping subtraction.
    Sub,
    /// Wrapping multiplication (low half).
    Mul,
    /// High half of the unsigned product.
    UMulHi,
    /// High half of the signed product.
    SMulHi,
    /// Unsigned division (x/0 = 0).
    UDiv,
    /// Signed division, truncating (x/0 = 0, MIN/-1 = MIN).
    SDiv,
    /// Bitwise and.
    And,
    /// Bitwise or.
    Or,
    /// Bitwise exclusive or.
    Xor,
    /// Shift left (amount modulo width).
    Shl,
    /// Logical shift right (amount modulo width).
    Lshr,
    /// Arithmetic shift right (amount modulo width).
    Ashr,
    /// Rotate left (amount modulo width).
    Rotl,
    /// Rotate right (amount modulo width).
    Rotr,
}

/// Integer comparisons; the result is an `I8` holding 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Unsigned less than.
    Ult,
    /// Unsigned less or equal.
    Ule,
    /// Unsigned greater than.
    Ugt,
    /// Unsigned greater or equal.
    Uge,
    /// Signed less than.
    Slt,
    /// Signed less or equal.
    Sle,
    /// Signed greater than.
    Sgt,
    /// Signed greater or equal.
    Sge,
}

/// Width changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Convert {
    /// Zero-extend to a wider type.
    Zext,
    /// Sign-extend to a wider type.
    Sext,
    /// Keep the low bits.
    Trunc,
}

/// A runtime function the IR may call. Every helper has the same shape, so
/// both backends call it the same way: the environment pointer and up to
/// four 64-bit arguments in, one 64-bit result out.
#[derive(Clone, Copy)]
pub struct Helper {
    /// Name, for IR dumps and traces.
    pub name: &'static str,
    /// The function.
    pub func: HelperFn,
    /// True if the helper may raise a guest fault (it then sets the
    /// environment's `fault_pending`, and the block exits at this op's
    /// instruction).
    pub may_fault: bool,
    /// The guest state the helper may read or write: a backend that keeps
    /// state in registers stores and reloads only that around the call.
    pub state: StateUse,
}

/// Which guest state a [`Helper`] reads or writes.
#[derive(Clone, Copy, Debug)]
pub enum StateUse {
    /// Any of it.
    All,
    /// Only the environment bytes in these `(offset, length)` ranges.
    Ranges(&'static [(u32, u32)]),
}

impl StateUse {
    /// Whether the helper may touch `slot`.
    pub fn touches(&self, slot: Slot) -> bool {
        match self {
            StateUse::All => true,
            StateUse::Ranges(ranges) => {
                let (start, end) = (slot.offset, slot.offset + u32::from(slot.ty.bytes()));
                ranges.iter().any(|&(o, len)| start < o + len && o < end)
            }
        }
    }
}

/// The signature every helper has.
pub type HelperFn = unsafe extern "C" fn(env: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64;

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Helper {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.func, other.func)
    }
}

/// What an op does. `dst` values are defined by the op.
#[derive(Clone, Debug, PartialEq)]
pub enum Inst {
    /// `dst = imm` (truncated to the type).
    Const { dst: Value, imm: u64 },
    /// `dst = state[slot]`.
    Get { dst: Value, slot: Slot },
    /// `state[slot] = src`.
    Set { slot: Slot, src: Value },
    /// `dst = op(src)`.
    Unary { dst: Value, op: UnaryOp, src: Value },
    /// `dst = op(a, b)`.
    Binary {
        dst: Value,
        op: BinaryOp,
        a: Value,
        b: Value,
    },
    /// `dst = a + b + carry_in` carries out of the top bit (0 or 1).
    AddCarry {
        dst: Value,
        a: Value,
        b: Value,
        carry_in: Value,
    },
    /// `dst = a + b + carry_in` overflows as signed numbers (0 or 1).
    AddOverflow {
        dst: Value,
        a: Value,
        b: Value,
        carry_in: Value,
    },
    /// `dst = cmp(a, b)` (0 or 1).
    Compare {
        dst: Value,
        cmp: Cmp,
        a: Value,
        b: Value,
    },
    /// `dst = cond != 0 ? a : b`.
    Select {
        dst: Value,
        cond: Value,
        a: Value,
        b: Value,
    },
    /// `dst = convert(src)` to `dst`'s type.
    Convert {
        dst: Value,
        kind: Convert,
        src: Value,
    },
    /// `dst = mem[addr]`, zero- or sign-extended to `dst`'s type.
    Load {
        dst: Value,
        addr: Value,
        access: MemAccess,
    },
    /// `mem[addr] = src` (its low `access.size` bytes).
    Store {
        addr: Value,
        src: Value,
        access: MemAccess,
    },
    /// `dst = helper(env, args…)`; unused arguments are zero.
    Call {
        dst: Value,
        helper: Helper,
        args: Vec<Value>,
    },
    /// A branch target.
    Label(Label),
    /// Continue at `target`.
    Jump(Label),
    /// Continue at `target` if `cond != 0`.
    BranchIf { cond: Value, target: Label },
    /// If the run loop asked for control (an MMIO or code write in this
    /// instruction), leave the block now: the instruction has completed and
    /// `next_pc` is where the guest continues.
    ExitIfRequested { next_pc: u64 },
}

/// An op and the guest instruction (index within the block) it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// Index into [`Block::insn_pcs`].
    pub insn: u16,
    /// The operation.
    pub inst: Inst,
}

/// How control leaves a block. The backend decides how to implement each:
/// a direct jump may be chained to the next block's code.
#[derive(Clone, Debug, PartialEq)]
pub enum Terminal {
    /// Continue at a fixed guest PC (chainable).
    Jump { target: u64 },
    /// Continue at `taken` if `cond != 0`, else at `not_taken` (both
    /// chainable).
    Branch {
        cond: Value,
        taken: u64,
        not_taken: u64,
    },
    /// Continue at a computed guest PC.
    Indirect { target: Value },
    /// The last instruction traps. `code`/`arg` are per ISA; `credited`
    /// says whether the trapping instruction counts as retired (a
    /// supervisor call does, an undefined encoding does not). With `when`,
    /// the trap is taken only if that value is non-zero; otherwise the
    /// block continues at the next instruction.
    Trap {
        code: u32,
        arg: u32,
        credited: bool,
        when: Option<Value>,
    },
    /// Wait for an interrupt, then continue at `next_pc` (only if `when`
    /// is non-zero, when given).
    Halt { next_pc: u64, when: Option<Value> },
    /// Return to the run loop, continuing later at `next_pc` (used after
    /// state changes that alter how code must be translated).
    Exit { next_pc: u64 },
}

/// The guest-facing properties of a block, fixed at translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockKey {
    /// Guest virtual PC of the first instruction.
    pub pc: u64,
    /// Physical address of the first instruction.
    pub phys_pc: u64,
    /// ISA mode bits the translation depends on.
    pub flags: u32,
}

/// A translated guest block.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Where it comes from and which mode it was translated for.
    pub key: BlockKey,
    /// Guest PC of each instruction; the block's icount cost is its length.
    pub insn_pcs: Vec<u64>,
    /// The ops, in order.
    pub ops: Vec<Op>,
    /// How the block ends.
    pub terminal: Terminal,
    /// Type of each value, indexed by `Value.0`.
    pub value_types: Vec<Type>,
    /// Number of labels used.
    pub labels: u32,
    /// Where the guest PC lives.
    pub pc_slot: Slot,
    /// Softmmu table the block's memory accesses use.
    pub mmu_idx: u8,
    /// Byte size of the guest code the block covers.
    pub code_bytes: u32,
    /// At the block's end its translation flags are `key.flags` with the
    /// bits under the mask taken from the slot (a computed branch may
    /// switch instruction sets). `None`: the flags may change in ways a
    /// backend cannot follow, so a computed exit goes back to the engine.
    pub dynamic_flags: Option<(Slot, u32)>,
    /// The block must not be cached: its code does not lie in one
    /// contiguous physical range (a Thumb instruction whose halves sit on
    /// two pages that map independently), so the engine lifts it afresh
    /// each time and interprets it once.
    pub once: bool,
}

impl Block {
    /// Number of guest instructions (what entering the block costs).
    pub fn len(&self) -> u32 {
        self.insn_pcs.len() as u32
    }

    /// True for an empty block (never produced by a frontend).
    pub fn is_empty(&self) -> bool {
        self.insn_pcs.is_empty()
    }

    /// The type of `v`.
    pub fn ty(&self, v: Value) -> Type {
        self.value_types[v.0 as usize]
    }

    /// The PC of the instruction after instruction `insn`.
    pub fn next_pc(&self, insn: usize) -> u64 {
        match self.insn_pcs.get(insn + 1) {
            Some(&pc) => pc,
            None => self.key.pc + u64::from(self.code_bytes),
        }
    }
}

/// Builds a block op by op; the lifters' API.
pub struct Builder {
    ops: Vec<Op>,
    types: Vec<Type>,
    labels: u32,
    insn: u16,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! binary_ops {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("Emits `", stringify!($op), "`.")]
            pub fn $name(&mut self, a: Value, b: Value) -> Value {
                self.binary(BinaryOp::$op, a, b)
            }
        )*
    };
}

macro_rules! unary_ops {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[doc = concat!("Emits `", stringify!($op), "`.")]
            pub fn $name(&mut self, a: Value) -> Value {
                self.unary(UnaryOp::$op, a)
            }
        )*
    };
}

impl Builder {
    /// An empty builder at instruction 0.
    pub fn new() -> Self {
        Builder {
            ops: Vec::new(),
            types: Vec::new(),
            labels: 0,
            insn: 0,
        }
    }

    /// Subsequent ops belong to guest instruction `index`.
    pub fn set_insn(&mut self, index: u16) {
        self.insn = index;
    }

    /// Number of ops emitted so far.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True before the first op.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Drops every op from `len` on (used to undo a partly lifted
    /// instruction that turned out to be undefined).
    pub fn truncate(&mut self, len: usize) {
        self.ops.truncate(len);
    }

    /// The type of `v`.
    pub fn ty(&self, v: Value) -> Type {
        self.types[v.0 as usize]
    }

    fn value(&mut self, ty: Type) -> Value {
        self.types.push(ty);
        Value(self.types.len() as u32 - 1)
    }

    fn push(&mut self, inst: Inst) {
        self.ops.push(Op {
            insn: self.insn,
            inst,
        });
    }

    /// A constant.
    pub fn iconst(&mut self, ty: Type, imm: u64) -> Value {
        let dst = self.value(ty);
        self.push(Inst::Const {
            dst,
            imm: imm & ty.mask(),
        });
        dst
    }

    /// A 32-bit constant.
    pub fn c32(&mut self, imm: u32) -> Value {
        self.iconst(Type::I32, u64::from(imm))
    }

    /// Reads guest state.
    pub fn get(&mut self, slot: Slot) -> Value {
        let dst = self.value(slot.ty);
        self.push(Inst::Get { dst, slot });
        dst
    }

    /// Writes guest state.
    pub fn set(&mut self, slot: Slot, src: Value) {
        debug_assert_eq!(self.ty(src), slot.ty, "set {slot:?}");
        self.push(Inst::Set { slot, src });
    }

    /// A one-operand op.
    pub fn unary(&mut self, op: UnaryOp, src: Value) -> Value {
        let dst = self.value(self.ty(src));
        self.push(Inst::Unary { dst, op, src });
        dst
    }

    /// A two-operand op.
    pub fn binary(&mut self, op: BinaryOp, a: Value, b: Value) -> Value {
        debug_assert_eq!(self.ty(a), self.ty(b), "{op:?}");
        let dst = self.value(self.ty(a));
        self.push(Inst::Binary { dst, op, a, b });
        dst
    }

    binary_ops! {
        add => Add, sub => Sub, mul => Mul, umulhi => UMulHi, smulhi => SMulHi,
        udiv => UDiv, sdiv => SDiv, and => And, or => Or, xor => Xor,
        shl => Shl, lshr => Lshr, ashr => Ashr, rotl => Rotl, rotr => Rotr,
    }

    unary_ops! {
        not => Not, neg => Neg, clz => Clz, ctz => Ctz, popcnt => Popcnt,
        bswap => Bswap, bitrev => Bitrev,
    }

    /// Carry out of `a + b + carry_in` (carry_in an `I8` 0/1).
    pub fn add_carry(&mut self, a: Value, b: Value, carry_in: Value) -> Value {
        let dst = self.value(Type::I8);
        self.push(Inst::AddCarry {
            dst,
            a,
            b,
            carry_in,
        });
        dst
    }

    /// Signed overflow of `a + b + carry_in`.
    pub fn add_overflow(&mut self, a: Value, b: Value, carry_in: Value) -> Value {
        let dst = self.value(Type::I8);
        self.push(Inst::AddOverflow {
            dst,
            a,
            b,
            carry_in,
        });
        dst
    }

    /// A comparison (result `I8` 0/1).
    pub fn cmp(&mut self, cmp: Cmp, a: Value, b: Value) -> Value {
        debug_assert_eq!(self.ty(a), self.ty(b), "{cmp:?}");
        let dst = self.value(Type::I8);
        self.push(Inst::Compare { dst, cmp, a, b });
        dst
    }

    /// `cond ? a : b`.
    pub fn select(&mut self, cond: Value, a: Value, b: Value) -> Value {
        debug_assert_eq!(self.ty(a), self.ty(b));
        let dst = self.value(self.ty(a));
        self.push(Inst::Select { dst, cond, a, b });
        dst
    }

    /// Zero-extends, truncates or keeps `src` so it has type `ty`.
    pub fn zext(&mut self, src: Value, ty: Type) -> Value {
        self.convert(src, ty, Convert::Zext)
    }

    /// Sign-extends, truncates or keeps `src` so it has type `ty`.
    pub fn sext(&mut self, src: Value, ty: Type) -> Value {
        self.convert(src, ty, Convert::Sext)
    }

    fn convert(&mut self, src: Value, ty: Type, widen: Convert) -> Value {
        let from = self.ty(src);
        let kind = match from.bits().cmp(&ty.bits()) {
            std::cmp::Ordering::Equal => return src,
            std::cmp::Ordering::Less => widen,
            std::cmp::Ordering::Greater => Convert::Trunc,
        };
        let dst = self.value(ty);
        self.push(Inst::Convert { dst, kind, src });
        dst
    }

    /// A guest memory load producing a value of type `ty`.
    pub fn load(&mut self, ty: Type, addr: Value, access: MemAccess) -> Value {
        let dst = self.value(ty);
        self.push(Inst::Load { dst, addr, access });
        dst
    }

    /// A guest memory store.
    pub fn store(&mut self, addr: Value, src: Value, access: MemAccess) {
        self.push(Inst::Store { addr, src, access });
    }

    /// Calls a runtime helper; the result is `I64`.
    pub fn call(&mut self, helper: Helper, args: &[Value]) -> Value {
        assert!(args.len() <= 4, "helpers take at most four arguments");
        let dst = self.value(Type::I64);
        self.push(Inst::Call {
            dst,
            helper,
            args: args.to_vec(),
        });
        dst
    }

    /// A fresh label, placed later with [`Builder::place`].
    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    /// Places `l` here.
    pub fn place(&mut self, l: Label) {
        self.push(Inst::Label(l));
    }

    /// Unconditional branch inside the block.
    pub fn jump(&mut self, l: Label) {
        self.push(Inst::Jump(l));
    }

    /// Conditional branch inside the block.
    pub fn branch_if(&mut self, cond: Value, l: Label) {
        self.push(Inst::BranchIf { cond, target: l });
    }

    /// Leave after this instruction if the run loop asked for control.
    pub fn exit_if_requested(&mut self, next_pc: u64) {
        self.push(Inst::ExitIfRequested { next_pc });
    }

    /// Finishes the block.
    pub fn finish(
        self,
        key: BlockKey,
        insn_pcs: Vec<u64>,
        code_bytes: u32,
        terminal: Terminal,
        pc_slot: Slot,
        mmu_idx: u8,
    ) -> Block {
        Block {
            key,
            insn_pcs,
            ops: self.ops,
            terminal,
            value_types: self.types,
            labels: self.labels,
            pc_slot,
            mmu_idx,
            code_bytes,
            dynamic_flags: None,
            once: false,
        }
    }
}

/// A rule of the IR that a block breaks.
#[derive(Debug, PartialEq, Eq)]
pub struct VerifyError(pub String);

/// Checks the rules in the module documentation.
pub fn verify(block: &Block) -> Result<(), VerifyError> {
    let n = block.value_types.len();
    // The label-region index in which each value was defined.
    let mut defined: Vec<Option<u32>> = vec![None; n];
    let mut region = 0u32;
    let mut placed = vec![false; block.labels as usize];
    let err = |i: usize, m: String| Err(VerifyError(format!("op {i}: {m}")));
    for (i, op) in block.ops.iter().enumerate() {
        if op.insn as usize >= block.insn_pcs.len() {
            return err(i, format!("instruction index {} out of range", op.insn));
        }
        let uses: Vec<Value> = match &op.inst {
            Inst::Const { .. }
            | Inst::Get { .. }
            | Inst::Label(_)
            | Inst::Jump(_)
            | Inst::ExitIfRequested { .. } => vec![],
            Inst::Set { src, .. } => vec![*src],
            Inst::Unary { src, .. } | Inst::Convert { src, .. } => vec![*src],
            Inst::Binary { a, b, .. } | Inst::Compare { a, b, .. } => vec![*a, *b],
            Inst::AddCarry { a, b, carry_in, .. } | Inst::AddOverflow { a, b, carry_in, .. } => {
                vec![*a, *b, *carry_in]
            }
            Inst::Select { cond, a, b, .. } => vec![*cond, *a, *b],
            Inst::Load { addr, .. } => vec![*addr],
            Inst::Store { addr, src, .. } => vec![*addr, *src],
            Inst::Call { args, .. } => args.clone(),
            Inst::BranchIf { cond, .. } => vec![*cond],
        };
        for u in uses {
            match defined.get(u.0 as usize) {
                Some(Some(r)) if *r == region => {}
                Some(Some(_)) => return err(i, format!("v{} used across a label", u.0)),
                _ => return err(i, format!("v{} used before its definition", u.0)),
            }
        }
        let ty = |v: &Value| block.value_types[v.0 as usize];
        match &op.inst {
            Inst::Binary { dst, a, b, .. } if ty(a) != ty(dst) || ty(b) != ty(dst) => {
                return err(i, "binary operand types differ".into())
            }
            Inst::Set { slot, src } if slot.ty != ty(src) => {
                return err(i, "set of a slot with another type".into())
            }
            Inst::Get { dst, slot } if slot.ty != ty(dst) => {
                return err(i, "get into another type".into())
            }
            Inst::Label(l) => {
                if placed[l.0 as usize] {
                    return err(i, format!("label {} placed twice", l.0));
                }
                placed[l.0 as usize] = true;
                region += 1;
            }
            _ => {}
        }
        if let Some(d) = def_of(&op.inst) {
            if defined[d.0 as usize].is_some() {
                return err(i, format!("v{} defined twice", d.0));
            }
            defined[d.0 as usize] = Some(region);
        }
    }
    for op in &block.ops {
        if let Inst::Jump(l) | Inst::BranchIf { target: l, .. } = op.inst {
            if !placed[l.0 as usize] {
                return Err(VerifyError(format!("label {} never placed", l.0)));
            }
        }
    }
    let used = match &block.terminal {
        Terminal::Branch { cond, .. } => Some(*cond),
        Terminal::Indirect { target } => Some(*target),
        Terminal::Trap { when, .. } | Terminal::Halt { when, .. } => *when,
        _ => None,
    };
    if let Some(u) = used {
        if defined.get(u.0 as usize).copied().flatten() != Some(region) {
            return Err(VerifyError(format!(
                "terminal uses v{} not defined in the last region",
                u.0
            )));
        }
    }
    Ok(())
}

/// The value an instruction defines, if any.
pub fn def_of(inst: &Inst) -> Option<Value> {
    match inst {
        Inst::Const { dst, .. }
        | Inst::Get { dst, .. }
        | Inst::Unary { dst, .. }
        | Inst::Binary { dst, .. }
        | Inst::AddCarry { dst, .. }
        | Inst::AddOverflow { dst, .. }
        | Inst::Compare { dst, .. }
        | Inst::Select { dst, .. }
        | Inst::Convert { dst, .. }
        | Inst::Load { dst, .. }
        | Inst::Call { dst, .. } => Some(*dst),
        _ => None,
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "block pc={:#x} phys={:#x} flags={:#x} insns={}",
            self.key.pc,
            self.key.phys_pc,
            self.key.flags,
            self.len()
        )?;
        let mut last = u16::MAX;
        for op in &self.ops {
            if op.insn != last {
                writeln!(
                    f,
                    "  ; insn {} @ {:#x}",
                    op.insn, self.insn_pcs[op.insn as usize]
                )?;
                last = op.insn;
            }
            match def_of(&op.inst) {
                Some(d) => writeln!(f, "    v{}:{:?} = {:?}", d.0, self.ty(d), op.inst)?,
                None => writeln!(f, "    {:?}", op.inst)?,
            }
        }
        writeln!(f, "  -> {:?}", self.terminal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> BlockKey {
        BlockKey {
            pc: 0x1000,
            phys_pc: 0x1000,
            flags: 0,
        }
    }
    const PC: Slot = Slot {
        offset: 60,
        ty: Type::I32,
    };

    #[test]
    fn verify_accepts_values_within_a_region() {
        let mut b = Builder::new();
        let x = b.c32(1);
        let skip = b.label();
        let c = b.cmp(Cmp::Eq, x, x);
        b.branch_if(c, skip);
        b.set(PC, x);
        b.place(skip);
        let blk = b.finish(
            key(),
            vec![0x1000],
            4,
            Terminal::Jump { target: 0x1004 },
            PC,
            0,
        );
        assert_eq!(verify(&blk), Ok(()));
    }

    #[test]
    fn verify_rejects_values_used_across_a_label() {
        let mut b = Builder::new();
        let x = b.c32(1);
        let l = b.label();
        b.place(l);
        b.set(PC, x);
        let blk = b.finish(
            key(),
            vec![0x1000],
            4,
            Terminal::Jump { target: 0x1004 },
            PC,
            0,
        );
        assert!(verify(&blk).unwrap_err().0.contains("across a label"));
    }
}
