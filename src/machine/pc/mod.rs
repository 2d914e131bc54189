//! `pc`: an i686 PC without firmware, for bare-metal programs (and, as
//! it grows, Linux).
//!
//! RAM from physical address 0; the 8259A pair (ports 0x20, 0xa0, ELCR
//! 0x4d0) and the 8254 PIT (0x40-0x43, IRQ 0) with port 0x61; the
//! MC146818 RTC (0x70-0x71, IRQ 8); the 8042 (0x60, 0x64, IRQ 1) with
//! its reset line, and the reset ports 0x92 and 0xcf9; a 16550A UART at
//! I/O ports 0x3f8-0x3ff (COM1, IRQ 4); QEMU's isa-debug-exit device at
//! port 0xf4 (a write of `v` ends the run with status `2v + 1`), always
//! present; every other port reads as all ones and ignores writes, and
//! physical memory nothing claims reads as zero (as on QEMU).
//!
//! A multiboot ELF image is loaded and entered as QEMU's `-kernel` does
//! (see [`crate::loader::multiboot`]); a bzImage with Linux's 32-bit
//! boot protocol ([`crate::loader::bzimage`]). Both enter in protected
//! mode with flat segments, paging and interrupts off.
//!
//! ACPI tables (RSDP in the BIOS area, FADT, a DSDT with `\_S5`) and the
//! PM registers at 0x600 let an OS power the machine off.
//!
//! Not yet here (docs/status.md): PCI and virtio.

use super::core::{Board, BoardCtx, Core, Firmware};
use super::{BoardInfo, MachineConfig};
use crate::loader::{bzimage, multiboot};
use lockstep_devices::acpi_pm::{self, AcpiPm};
use lockstep_devices::debug_exit::DebugExit;
use lockstep_devices::i8042::{I8042Port, ResetPort, ResetPorts, I8042};
use lockstep_devices::i8254::{Pit, PitPort};
use lockstep_devices::i8259::{PicPair, PicPort, PortKind};
use lockstep_devices::mc146818::Rtc;
use lockstep_devices::uart16550::Uart16550;
use lockstep_runtime::x86::exception::Source;
use lockstep_runtime::x86::seg::Exc;
use lockstep_runtime::x86::{eflags, X86Cpu};
use lockstep_runtime::{Bus, IrqLine, IrqLines, RunLoop, Trap};
use std::cell::{Cell, RefCell};
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
    rtc: Rc<RefCell<Rtc>>,
    uart: Rc<RefCell<Uart16550>>,
    exit: DebugExit,
    /// Delivering an interrupt triple-faulted: the machine resets.
    triple_fault: bool,
    /// A device pulsed the reset line (8042, port 0x92, 0xcf9).
    reset: Rc<Cell<bool>>,
    /// The guest entered ACPI S5.
    power_off: Rc<Cell<bool>>,
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
        // A PC's bus completes accesses nothing claims: reads give zero
        // (as on QEMU), writes go nowhere.
        bus.set_unassigned_open(true);
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
        // The RTC's time of day is the one host clock read of a run: an
        // outside input, through the replay door.
        let unix_ns = ctx.clock_read()?;
        let rtc = Rtc::new_shared(unix_ns / 1_000_000_000, lines.line(8));
        bus.add_pio(0x70, 2, Box::new(Rc::clone(&rtc)))?;
        let reset = Rc::new(Cell::new(false));
        let kbd = Rc::new(RefCell::new(I8042::new(lines.line(1), Rc::clone(&reset))));
        bus.add_pio(0x60, 1, Box::new(I8042Port(Rc::clone(&kbd), false)))?;
        bus.add_pio(0x64, 1, Box::new(I8042Port(kbd, true)))?;
        let ports = Rc::new(RefCell::new(ResetPorts::new(Rc::clone(&reset))));
        bus.add_pio(0x92, 1, Box::new(ResetPort(Rc::clone(&ports), false)))?;
        bus.add_pio(0xcf9, 1, Box::new(ResetPort(ports, true)))?;
        let power_off = Rc::new(Cell::new(false));
        bus.add_pio(
            acpi_pm::tables::PM_BASE,
            12,
            Box::new(AcpiPm::new(Rc::clone(&power_off))),
        )?;
        Ok(PcBoard {
            pic,
            pit,
            pit_irq: lines.line(PIT_IRQ),
            rtc,
            uart,
            exit,
            triple_fault: false,
            reset,
            power_off,
        })
    }

    fn boot(&self, cfg: &MachineConfig, bus: &mut Bus) -> anyhow::Result<X86Cpu> {
        let kernel = read_file(&cfg.kernel, "kernel")?;
        let name = cfg.kernel.display().to_string();
        if cfg.dtb.is_some() {
            anyhow::bail!("{name}: -dtb is for ARM boards; pc has no device tree");
        }
        let mut cpu = X86Cpu::new();
        // The ACPI tables, where an OS looks for them (an OS powers off
        // through them).
        let (tables, rsdp) = acpi_pm::tables::build();
        bus.ram_slice_mut(u64::from(rsdp), tables.len() as u64)
            .expect("the BIOS area is RAM")
            .copy_from_slice(&tables);
        if bzimage::is_bzimage(&kernel) {
            let initrd = match &cfg.initrd {
                Some(p) => Some(read_file(p, "initrd")?),
                None => None,
            };
            let cmdline = cfg.append.clone().unwrap_or_default();
            let booted = bzimage::load(
                &name,
                &kernel,
                initrd.as_deref(),
                &cmdline,
                bus,
                cfg.memory,
                Some(rsdp),
            )?;
            cpu.eip = booted.entry;
            cpu.regs[6] = booted.boot_params;
            // __BOOT_CS and __BOOT_DS of the loader's GDT.
            for (i, s) in cpu.seg.iter_mut().enumerate() {
                s.selector = if i == lockstep_runtime::x86::sreg::CS {
                    0x10
                } else {
                    0x18
                };
            }
            cpu.gdt_base = bzimage::GDT;
            cpu.gdt_limit = 31;
            cpu.idt_limit = 0;
            return Ok(cpu);
        }
        if multiboot::find_header(&kernel).is_none() {
            anyhow::bail!(
                "{name}: pc boots multiboot ELF images (a multiboot header in the first 8 KiB) and Linux bzImages"
            );
        }
        if cfg.initrd.is_some() {
            anyhow::bail!("{name}: a multiboot image is booted bare-metal; -initrd is not used");
        }
        let cmdline = cfg.append.clone().unwrap_or_default();
        let booted = multiboot::load(&name, &kernel, bus, cfg.memory, &cmdline)?;
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
        self.rtc.borrow_mut().update(now);
    }

    fn next_deadline_ns(&self, run: &RunLoop<X86Cpu>) -> Option<u64> {
        let now = run.now_ns();
        let pit = self.pit.borrow().next_edge_ns(now);
        let rtc = self.rtc.borrow().next_deadline_ns(now);
        [pit, rtc].into_iter().flatten().min()
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
        if std::mem::take(&mut self.triple_fault) || self.reset.replace(false) {
            return Some(Firmware::Reset);
        }
        if self.power_off.get() {
            return Some(Firmware::PowerOff);
        }
        self.exit.status().map(Firmware::Exit)
    }
}
