//! QEMU's `isa-debug-exit` device: a write of `v` to its port ends the
//! run with exit status `(v << 1) | 1`, so a bare-metal test program
//! can report success or failure to whatever started the emulator. The
//! board polls [`DebugExit::status`] when the run loop looks after a
//! port write.

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use std::cell::Cell;
use std::rc::Rc;

/// The exit port. Clone the handle to read the status it latched.
#[derive(Clone, Default)]
pub struct DebugExit {
    status: Rc<Cell<Option<i32>>>,
}

impl DebugExit {
    /// A device with nothing latched.
    pub fn new() -> Self {
        Self::default()
    }

    /// The exit status the guest asked for, if it wrote the port.
    pub fn status(&self) -> Option<i32> {
        self.status.get()
    }
}

impl MmioDevice for DebugExit {
    fn name(&self) -> &'static str {
        "isa-debug-exit"
    }

    fn read(&mut self, _ctx: &IoCtx, _offset: u64, _size: u8) -> u64 {
        // QEMU's reads as all ones (the device has no readable register).
        u64::MAX
    }

    fn write(&mut self, _ctx: &IoCtx, _offset: u64, _size: u8, value: u64) {
        self.status.set(Some(((value as u32) << 1 | 1) as i32));
    }

    fn reset(&mut self) {
        self.status.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_latches_qemus_exit_status() {
        let d = DebugExit::new();
        let mut port = d.clone();
        let ctx = IoCtx {
            icount: 0,
            now_ns: 0,
        };
        assert_eq!(d.status(), None);
        port.write(&ctx, 0, 1, 0x10);
        assert_eq!(d.status(), Some(0x21));
    }
}
