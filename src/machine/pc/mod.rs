//! `pc`: an i686 PC without firmware, for bare-metal programs (and, as
//! it grows, Linux).
//!
//! RAM from physical address 0; the 8259A pair (ports 0x20, 0xa0, ELCR
//! 0x4d0) and the 8254 PIT (0x40-0x43, IRQ 0) with port 0x61; a 16550A
//! UART at I/O ports 0x3f8-0x3ff (COM1, IRQ 4); QEMU's isa-debug-exit
//! device at port 0xf4 (a write of `v` ends the run with status
//! `2v + 1`), always present; every other port reads as all ones and
//! ignores writes.
//!
//! A multiboot ELF image is loaded and entered as QEMU's `-kernel` does
//! (see [`crate::loader::multiboot`]): protected mode, flat segments,
//! paging and interrupts off.
//!
//! Not yet here (docs/status.md): the CMOS RTC, the i8042, PCI and
//! virtio, and the Linux boot protocol.

use super::core::{Board, BoardCtx, Core, Firmware};
use super::{BoardInfo, MachineConfig};
use crate::loader::multiboot;
use lockstep_devices::debug_exit::DebugExit;
use lockstep_devices::i8254::{Pit, PitPort};
use lockstep_devices::i8259::{PicPair, PicPort, PortKind};
use lockstep_devices::uart16550::Uart16550;
use lockstep_runtime::x86::exception::Source;
use lockstep_runtime::x86::seg::Exc;
use lockstep_runtime::x86::{eflags, X86Cpu};
use lockstep_runtime::{Bus, IrqLine, IrqLines, RunLoop, Trap};
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

/// The PIT's ISA interrupt.
pub const PIT_IRQ: u32 = 0;

/// The devices of `pc`.
pub struct PcBoard {
    pic: Rc<RefCell<PicPair>>,
    pit: Rc<RefCell<Pit>>,
    pit_irq: IrqLine,
    uart: Rc<RefCell<Uart16550>>,
    exit: DebugExit,
    /// Delivering an interrupt triple-faulted: the machine resets.
    triple_fault: bool,
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
        let lines = IrqLines::new(16);
        let pic = PicPair::new_shared(Rc::clone(&lines));
        for (base, kind) in [
            (0x20, PortKind::Master),
            (0xa0, PortKind::Slave),
            (0x4d0, PortKind::Elcr),
        ] {
            bus.add_pio(base, 2, Box::new(PicPort(Rc::clone(&pic), kind)))?;
        }
        let pit = Pit::new_shared();
        bus.add_pio(0x40, 4, Box::new(PitPort(Rc::clone(&pit), false)))?;
        bus.add_pio(0x61, 1, Box::new(PitPort(Rc::clone(&pit), true)))?;
        let uart = Rc::new(RefCell::new(Uart16550::with_irq(
            ctx.take_console(),
            lines.line(COM1_IRQ),
        )));
        bus.add_pio(COM1, 8, Box::new(Rc::clone(&uart)))?;
        let exit = DebugExit::new();
        bus.add_pio(DEBUG_EXIT, 4, Box::new(exit.clone()))?;
        Ok(PcBoard {
            pic,
            pit,
            pit_irq: lines.line(PIT_IRQ),
            uart,
            exit,
            triple_fault: false,
        })
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

    fn update_time(&mut self, run: &RunLoop<X86Cpu>) {
        let now = run.now_ns();
        let mut pit = self.pit.borrow_mut();
        if pit.take_edges(now) {
            // A rising edge of OUT 0, however short its low phase.
            self.pit_irq.lower();
            self.pit_irq.raise();
        }
        self.pit_irq.set(pit.out0(now));
    }

    fn next_deadline_ns(&self, run: &RunLoop<X86Cpu>) -> Option<u64> {
        self.pit.borrow().next_edge_ns(run.now_ns())
    }

    /// INTR from the master PIC, taken when IF is set and no interrupt
    /// shadow holds it back.
    fn take_interrupt(&mut self, run: &mut RunLoop<X86Cpu>) {
        let mut pic = self.pic.borrow_mut();
        pic.sample();
        let cpu = &run.env.arch;
        if !pic.output() || cpu.eflags & eflags::IF == 0 || cpu.inhibit_irq != 0 {
            return;
        }
        let vector = pic.acknowledge();
        drop(pic);
        let eip = run.env.arch.eip;
        if run
            .deliver_event(Exc::new(vector, 0), eip, Source::External)
            .is_err()
        {
            self.triple_fault = true;
        }
    }

    /// HLT ends on an interrupt the CPU accepts (IF set).
    fn interrupt_pending(&mut self, run: &RunLoop<X86Cpu>) -> bool {
        let mut pic = self.pic.borrow_mut();
        pic.sample();
        pic.output() && run.env.arch.eflags & eflags::IF != 0
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
        if std::mem::take(&mut self.triple_fault) {
            return Some(Firmware::Reset);
        }
        self.exit.status().map(Firmware::Exit)
    }
}
