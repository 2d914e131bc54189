//! The PC's 8042 keyboard controller at I/O ports 0x60 (data) and 0x64
//! (status and command), as far as an operating system probes it: the
//! controller's self and interface tests, its command byte, the output
//! port (whose bit 0 is the CPU's reset line) and the pulse command
//! 0xFE that resets the machine; a keyboard that acknowledges every
//! command (reset answers 0xAA, identify 0xAB 0x83) and sends no keys;
//! no auxiliary (mouse) device — the AUX interface test fails, so a
//! driver does not look for one. The output buffer raises IRQ 1 when
//! the command byte enables it.

use lockstep_runtime::bus::{IoCtx, MmioDevice};
use lockstep_runtime::IrqLine;
use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

const ST_OBF: u8 = 0x01;
const ST_SYS: u8 = 0x04;
const ST_CMD: u8 = 0x08;
const ST_UNLOCKED: u8 = 0x10;

/// What the next byte written to port 0x60 is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    /// The keyboard.
    Keyboard,
    /// The command byte (after 0x60).
    CommandByte,
    /// The output port (after 0xD1).
    OutputPort,
    /// The keyboard's output buffer (after 0xD2).
    KeyboardBuffer,
    /// A keyboard command's argument (after 0xED, 0xF3).
    KeyboardArg,
}

/// The controller.
pub struct I8042 {
    irq: IrqLine,
    reset: Rc<Cell<bool>>,
    out: VecDeque<u8>,
    command_byte: u8,
    pending: Pending,
    last_was_command: bool,
}

impl I8042 {
    /// A controller driving `irq` (IRQ 1); a reset pulse sets `reset`.
    pub fn new(irq: IrqLine, reset: Rc<Cell<bool>>) -> Self {
        I8042 {
            irq,
            reset,
            out: VecDeque::new(),
            // Keyboard interrupt on, translation on, system flag.
            command_byte: 0x45,
            pending: Pending::Keyboard,
            last_was_command: false,
        }
    }

    fn push(&mut self, b: u8) {
        self.out.push_back(b);
    }

    fn update_irq(&mut self) {
        self.irq
            .set(!self.out.is_empty() && self.command_byte & 1 != 0);
    }

    fn command(&mut self, c: u8) {
        match c {
            0x20 => self.push(self.command_byte),
            0x60 => self.pending = Pending::CommandByte,
            0xa7 => self.command_byte |= 0x20,
            0xa8 => self.command_byte &= !0x20,
            // AUX interface test: no auxiliary device (clock line stuck).
            0xa9 => self.push(0x01),
            0xaa => {
                self.push(0x55);
                self.command_byte |= ST_SYS;
            }
            0xab => self.push(0x00),
            0xad => self.command_byte |= 0x10,
            0xae => self.command_byte &= !0x10,
            0xd0 => self.push(0x03 | if self.out.is_empty() { 0 } else { 0x10 }),
            0xd1 => self.pending = Pending::OutputPort,
            0xd2 => self.pending = Pending::KeyboardBuffer,
            // Pulse output lines: bit 0 clear pulses the reset line.
            0xf0..=0xff if c & 1 == 0 => self.reset.set(true),
            _ => {}
        }
    }

    fn keyboard(&mut self, b: u8) {
        if self.pending == Pending::KeyboardArg {
            self.pending = Pending::Keyboard;
            self.push(0xfa);
            return;
        }
        match b {
            0xff => {
                self.push(0xfa);
                self.push(0xaa);
            }
            0xf2 => {
                self.push(0xfa);
                self.push(0xab);
                self.push(0x83);
            }
            0xee => self.push(0xee),
            0xed | 0xf3 | 0xf0 => {
                self.push(0xfa);
                self.pending = Pending::KeyboardArg;
            }
            _ => self.push(0xfa),
        }
    }
}

impl MmioDevice for I8042 {
    fn name(&self) -> &'static str {
        "i8042"
    }

    fn read(&mut self, _ctx: &IoCtx, offset: u64, _size: u8) -> u64 {
        let v = match offset {
            0 => {
                let b = self.out.pop_front().unwrap_or(0);
                self.update_irq();
                b
            }
            _ => {
                let mut s = ST_SYS & self.command_byte | ST_UNLOCKED;
                if !self.out.is_empty() {
                    s |= ST_OBF;
                }
                if self.last_was_command {
                    s |= ST_CMD;
                }
                s
            }
        };
        u64::from(v)
    }

    fn write(&mut self, _ctx: &IoCtx, offset: u64, _size: u8, value: u64) {
        let b = value as u8;
        if offset == 4 || offset == 1 {
            self.last_was_command = true;
            self.command(b);
        } else {
            self.last_was_command = false;
            match std::mem::replace(&mut self.pending, Pending::Keyboard) {
                Pending::CommandByte => self.command_byte = b,
                Pending::OutputPort => {
                    if b & 1 == 0 {
                        self.reset.set(true);
                    }
                }
                Pending::KeyboardBuffer => self.push(b),
                p @ Pending::KeyboardArg => {
                    self.pending = p;
                    self.keyboard(b);
                }
                Pending::Keyboard => self.keyboard(b),
            }
        }
        self.update_irq();
    }

    fn reset(&mut self) {
        self.out.clear();
        self.command_byte = 0x45;
        self.pending = Pending::Keyboard;
        self.last_was_command = false;
        self.update_irq();
    }
}

/// The bus face of the controller's two ports: 0x60 (`false`) or 0x64
/// (`true`).
pub struct I8042Port(pub Rc<std::cell::RefCell<I8042>>, pub bool);

impl MmioDevice for I8042Port {
    fn name(&self) -> &'static str {
        "i8042"
    }
    fn read(&mut self, ctx: &IoCtx, _offset: u64, size: u8) -> u64 {
        self.0
            .borrow_mut()
            .read(ctx, if self.1 { 4 } else { 0 }, size)
    }
    fn write(&mut self, ctx: &IoCtx, _offset: u64, size: u8, value: u64) {
        self.0
            .borrow_mut()
            .write(ctx, if self.1 { 4 } else { 0 }, size, value)
    }
    fn reset(&mut self) {
        if !self.1 {
            self.0.borrow_mut().reset();
        }
    }
}

/// Port 0x92 (system control port A: bit 0 a fast reset, bit 1 the A20
/// gate, which reads back and changes nothing here) and port 0xCF9 (the
/// PIIX reset control: bit 2 set with bit 1 resets).
pub struct ResetPorts {
    reset: Rc<Cell<bool>>,
    port92: u8,
    cf9: u8,
}

impl ResetPorts {
    /// Ports that set `reset` when the guest asks for a reset.
    pub fn new(reset: Rc<Cell<bool>>) -> Self {
        ResetPorts {
            reset,
            port92: 0x02,
            cf9: 0,
        }
    }
}

/// Which of the two [`ResetPorts`] a bus region is.
pub struct ResetPort(pub Rc<std::cell::RefCell<ResetPorts>>, pub bool);

impl MmioDevice for ResetPort {
    fn name(&self) -> &'static str {
        if self.1 {
            "reset-control"
        } else {
            "port92"
        }
    }

    fn read(&mut self, _ctx: &IoCtx, _offset: u64, _size: u8) -> u64 {
        let p = self.0.borrow();
        u64::from(if self.1 { p.cf9 } else { p.port92 })
    }

    fn write(&mut self, _ctx: &IoCtx, _offset: u64, _size: u8, value: u64) {
        let mut p = self.0.borrow_mut();
        let v = value as u8;
        if self.1 {
            if v & 0x04 != 0 && v & 0x02 != 0 {
                p.reset.set(true);
            }
            p.cf9 = v & 0x0a;
        } else {
            if v & 1 != 0 && p.port92 & 1 == 0 {
                p.reset.set(true);
            }
            p.port92 = v & 0x03;
        }
    }

    fn reset(&mut self) {
        let mut p = self.0.borrow_mut();
        p.port92 = 0x02;
        p.cf9 = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_runtime::IrqLines;

    const CTX: IoCtx = IoCtx {
        icount: 0,
        now_ns: 0,
    };

    #[test]
    fn self_test_keyboard_reset_and_the_reset_pulse() {
        let lines = IrqLines::new(16);
        let reset = Rc::new(Cell::new(false));
        let mut k = I8042::new(lines.line(1), Rc::clone(&reset));
        k.write(&CTX, 4, 1, 0xaa);
        assert_eq!(k.read(&CTX, 4, 1) & 1, 1);
        assert_eq!(k.read(&CTX, 0, 1), 0x55);
        k.write(&CTX, 0, 1, 0xff);
        assert!(lines.level(1), "the command byte enables IRQ 1");
        assert_eq!(k.read(&CTX, 0, 1), 0xfa);
        assert_eq!(k.read(&CTX, 0, 1), 0xaa);
        assert!(!lines.level(1));
        assert!(!reset.get());
        k.write(&CTX, 4, 1, 0xfe);
        assert!(reset.get());
    }
}
