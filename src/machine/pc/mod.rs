//! `pc`: an i686 PC without firmware, for bare-metal programs (and, as
//! it grows, Linux).
//!
//! RAM from physical address 0; a 16550A UART at I/O ports 0x3f8-0x3ff
//! (COM1, IRQ 4); QEMU's isa-debug-exit device at port 0xf4 (a write of
//! `v` ends the run with status `2v + 1`), always present; every other
//! port reads as all ones and ignores writes.
//!
//! A multiboot ELF image is loaded and entered as QEMU's `-kernel` does
//! (see [`crate::loader::multiboot`]): protected mode, flat segments,
//! paging and interrupts off.
//!
//! Not yet here (docs/status.md): the 8259 PIC pair and 8254 PIT (so no
//! device interrupts reach the CPU yet), the CMOS RTC, the i8042, PCI
//! and virtio, and the Linux boot protocol.

use super::core::{Board, BoardCtx, Core, Firmware};
use super::{BoardInfo, MachineConfig};
use crate::loader::multiboot;
use lockstep_devices::debug_exit::DebugExit;
use lockstep_devices::uart16550::Uart16550;
use lockstep_runtime::x86::X86Cpu;
use lockstep_runtime::{Bus, IrqLines, RunLoop, Trap};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// COM1's ports.
pub const COM1: u16 = 0x3f8;
/// COM1's ISA interrupt.
pub const COM1_IRQ: u32 = 4;
/// The debug exit port (QEMU's `iobase=0xf4`).
pub const DEBUG_EXIT: u16 = 0xf4;
/// The most RAM the board takes: the top 512 MiB of the 32-bit space
/// are kept for devices, as on a PC.
pub const MAX_RAM: u64 = 0xe000_0000;

/// The board as the registry lists it.
pub const INFO: BoardInfo = BoardInfo {
    name: "pc",
    aliases: &["pc-i440fx", "i386"],
    cpus: &["i686"],
    about: "i686 PC without firmware: 16550A UART on COM1, isa-debug-exit; multiboot ELF images",
    qemu: &[
        "qemu-system-i386",
        "-M",
        "pc",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ],
    qemu_bare_metal: &["-display", "none", "-vga", "none", "-serial", "stdio"],
    linux_console: "ttyS0",
    guest_dir: "i386",
    properties: &[],
    build: |cfg, out, semihost, io| Ok(Box::new(Pc::new(cfg, out, semihost, io)?)),
};

/// `pc` on the machine core.
pub type Pc = Core<PcBoard>;

/// The devices of `pc`.
pub struct PcBoard {
    uart: Rc<RefCell<Uart16550>>,
    exit: DebugExit,
}

fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the {what}: {e}", path.display()))
}

impl Board for PcBoard {
    type Cpu = X86Cpu;

    fn build(cfg: &MachineConfig, bus: &mut Bus, mut ctx: BoardCtx) -> anyhow::Result<Self> {
        if cfg.memory > MAX_RAM {
            anyhow::bail!(
                "pc takes at most {} MiB of RAM (-m)",
                MAX_RAM / (1024 * 1024)
            );
        }
        if cfg.memory < 2 * 1024 * 1024 {
            anyhow::bail!("pc needs at least 2 MiB of RAM (-m)");
        }
        bus.add_ram(0, cfg.memory)?;
        // The ISA interrupt lines, for the interrupt controller to come.
        let lines = IrqLines::new(16);
        let uart = Rc::new(RefCell::new(Uart16550::with_irq(
            ctx.take_console(),
            lines.line(COM1_IRQ),
        )));
        bus.add_pio(COM1, 8, Box::new(Rc::clone(&uart)))?;
        let exit = DebugExit::new();
        bus.add_pio(DEBUG_EXIT, 4, Box::new(exit.clone()))?;
        Ok(PcBoard { uart, exit })
    }

    fn boot(&self, cfg: &MachineConfig, bus: &mut Bus) -> anyhow::Result<X86Cpu> {
        let kernel = read_file(&cfg.kernel, "kernel")?;
        if multiboot::find_header(&kernel).is_none() {
            anyhow::bail!(
                "{}: pc boots multiboot ELF images (a multiboot header in the first 8 KiB); the Linux boot protocol is not supported yet",
                cfg.kernel.display()
            );
        }
        if cfg.initrd.is_some() || cfg.dtb.is_some() {
            anyhow::bail!(
                "{}: a multiboot image is booted bare-metal; -initrd and -dtb are not used",
                cfg.kernel.display()
            );
        }
        let cmdline = cfg.append.clone().unwrap_or_default();
        let booted = multiboot::load(
            &cfg.kernel.display().to_string(),
            &kernel,
            bus,
            cfg.memory,
            &cmdline,
        )?;
        let mut cpu = X86Cpu::new();
        cpu.eip = booted.entry;
        cpu.regs[0] = multiboot::BOOT_MAGIC;
        cpu.regs[3] = booted.info;
        cpu.gdt_base = multiboot::GDT_ADDR;
        cpu.gdt_limit = 23;
        cpu.idt_limit = 0;
        Ok(cpu)
    }

    fn update_time(&mut self, _run: &RunLoop<X86Cpu>) {}

    fn next_deadline_ns(&self, _run: &RunLoop<X86Cpu>) -> Option<u64> {
        None
    }

    fn take_interrupt(&mut self, _run: &mut RunLoop<X86Cpu>) {}

    fn interrupt_pending(&mut self) -> bool {
        false
    }

    fn console_room(&self) -> usize {
        self.uart.borrow().can_receive()
    }

    fn console_receive(&mut self, bytes: &[u8]) -> usize {
        self.uart.borrow_mut().receive(bytes)
    }

    fn firmware(&mut self, _run: &mut RunLoop<X86Cpu>, _t: Trap) -> Option<Firmware> {
        None
    }

    fn power_request(&mut self) -> Option<Firmware> {
        self.exit.status().map(Firmware::Exit)
    }
}
