//! Guest frontends: decode guest instructions and lift them to the IR.
//!
//! One module per ISA. Each writes the semantics of every instruction once,
//! as IR; both backends run that IR.

pub mod arm;
