//! `arm-virt`: a machine with QEMU `virt`'s memory map, for bare-metal
//! programs and for Linux.
//!
//! RAM at 0x4000_0000; a GICv2 (distributor 0x0800_0000, CPU interface
//! 0x0801_0000); the generic timer on PPIs 27 (virtual) and 30
//! (physical); a PL011 UART at 0x0900_0000 (SPI 1); a PL031 RTC at
//! 0x0901_0000 (SPI 2); PSCI through HVC; ARM semihosting on request.
//!
//! An ELF image is loaded at its physical addresses and entered in SVC
//! mode with the MMU off and IRQ/FIQ masked, as QEMU does. A zImage or
//! Image is booted with Linux's protocol (see [`crate::loader::linux`]):
//! r0 = 0, r1 = ~0, r2 = the device tree, generated from the devices here
//! unless `--dtb` gives one.
//!
//! The board sits on the machine core ([`super::core`]), which runs it:
//! this file holds only what is `virt`'s own — its devices and memory
//! map, the boot protocol, the GIC and timers, PSCI.

pub mod fdt;
pub mod psci;

use super::core::{Board, BoardCtx, Core, Firmware};
use super::{parse_bool, BoardInfo, MachineConfig, Property};
use crate::loader::{elf, linux};
use fdt::BoardDescription;
use lockstep_devices::gic::{Gic, GicCpuInterface, GicDistributor, VIRT_NUM_IRQS};
use lockstep_devices::pl011::Pl011;
use lockstep_devices::pl031::Pl031;
use lockstep_runtime::arm::exception::Exception;
use lockstep_runtime::arm::timer::{self, Which};
use lockstep_runtime::arm::{pmu, psr, trap, ArmCpu};
use lockstep_runtime::{Bus, IrqLine, IrqLines, RunLoop, Trap};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// Guest RAM base.
pub const RAM_BASE: u64 = 0x4000_0000;
/// GIC distributor.
pub const GIC_DIST_BASE: u64 = 0x0800_0000;
/// GIC CPU interface.
pub const GIC_CPU_BASE: u64 = 0x0801_0000;
/// PL011 UART base.
pub const UART_BASE: u64 = 0x0900_0000;
/// PL031 RTC base.
pub const RTC_BASE: u64 = 0x0901_0000;
/// First virtio-mmio slot.
pub const VIRTIO_BASE: u64 = 0x0a00_0000;
/// Bytes per virtio-mmio slot.
pub const VIRTIO_SLOT_SIZE: u64 = 0x200;
/// Number of virtio-mmio slots.
pub const VIRTIO_SLOTS: u64 = 32;
/// The UART's SPI number (interrupt ID 33).
pub const UART_SPI: u32 = 1;
/// The RTC's SPI number (interrupt ID 34).
pub const RTC_SPI: u32 = 2;
/// The first virtio-mmio slot's SPI number.
pub const VIRTIO_SPI_BASE: u32 = 16;

/// Interrupt ID of SPI 0.
const SPI_BASE_ID: u32 = 32;

/// The board as the registry lists it.
pub const INFO: BoardInfo = BoardInfo {
    name: "arm-virt",
    aliases: &["virt"],
    cpus: &["cortex-a15", "max"],
    about: "32-bit ARM (Cortex-A15) with QEMU virt's memory map: GICv2, generic timer, PL011, PL031, virtio-mmio, PSCI",
    qemu: &["qemu-system-arm", "-M", "virt", "-cpu", "cortex-a15"],
    qemu_bare_metal: &["-nographic", "-semihosting"],
    linux_console: "ttyAMA0",
    guest_dir: "arm",
    properties: PROPERTIES,
    build: |cfg, out, semihost, io| Ok(Box::new(ArmVirt::new(cfg, out, semihost, io)?)),
};

/// QEMU `virt`'s properties, accepted with the values that describe this
/// board: a GICv2, no Security or Virtualization Extensions, no MTE or RAS,
/// no PCIe (so the high memory map choices change nothing), no IOMMU, and
/// the device tree (ACPI tables are only used by firmware, which a direct
/// kernel boot does not run).
const PROPERTIES: &[Property] = &[
    Property {
        name: "gic-version",
        check: |v| match v {
            "2" => Ok(()),
            _ => Err("arm-virt has a GICv2 (gic-version=2)".into()),
        },
    },
    Property {
        name: "secure",
        check: |v| off(v, "there are no Security Extensions"),
    },
    Property {
        name: "virtualization",
        check: |v| off(v, "there are no Virtualization Extensions (no Hyp mode)"),
    },
    Property {
        name: "mte",
        check: |v| off(v, "MTE is an AArch64 feature"),
    },
    Property {
        name: "ras",
        check: |v| off(v, "there is no RAS extension"),
    },
    Property {
        name: "its",
        check: |v| off(v, "an ITS needs a GICv3"),
    },
    Property {
        name: "iommu",
        check: |v| match v {
            "none" => Ok(()),
            _ => Err("there is no IOMMU (iommu=none)".into()),
        },
    },
    Property {
        name: "highmem",
        check: any_bool,
    },
    Property {
        name: "highmem-ecam",
        check: any_bool,
    },
    Property {
        name: "highmem-mmio",
        check: any_bool,
    },
    Property {
        name: "highmem-redists",
        check: any_bool,
    },
    Property {
        name: "compact-highmem",
        check: any_bool,
    },
    Property {
        name: "acpi",
        check: |v| match v {
            "on" | "off" | "auto" => Ok(()),
            _ => Err("acpi is on, off or auto".into()),
        },
    },
];

/// Accepts only `off` (and its spellings), else says `why`.
fn off(v: &str, why: &str) -> Result<(), String> {
    match parse_bool(v)? {
        false => Ok(()),
        true => Err(why.to_string()),
    }
}

/// Accepts any boolean: the property changes nothing on this board.
fn any_bool(v: &str) -> Result<(), String> {
    parse_bool(v).map(|_| ())
}

/// `arm-virt` on the machine core.
pub type ArmVirt = Core<VirtBoard>;

/// The devices of `arm-virt`.
pub struct VirtBoard {
    gic: Rc<RefCell<Gic>>,
    uart: Rc<RefCell<Pl011>>,
    rtc: Rc<RefCell<Pl031>>,
    timer_phys: IrqLine,
    timer_virt: IrqLine,
    /// The PMU's overflow interrupt (PPI 7).
    pmu: IrqLine,
}

fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the {what}: {e}", path.display()))
}

impl Board for VirtBoard {
    type Cpu = ArmCpu;

    fn build(cfg: &MachineConfig, bus: &mut Bus, mut ctx: BoardCtx) -> anyhow::Result<Self> {
        bus.add_ram(RAM_BASE, cfg.memory)?;
        let lines = IrqLines::new(VIRT_NUM_IRQS);
        let gic = Gic::new_shared(Rc::clone(&lines), VIRT_NUM_IRQS);
        bus.add_mmio(
            GIC_DIST_BASE,
            lockstep_devices::gic::GIC_DIST_SIZE,
            Box::new(GicDistributor(Rc::clone(&gic))),
        )?;
        bus.add_mmio(
            GIC_CPU_BASE,
            lockstep_devices::gic::GIC_CPU_SIZE,
            Box::new(GicCpuInterface(Rc::clone(&gic))),
        )?;
        let uart = Rc::new(RefCell::new(Pl011::with_irq(
            ctx.take_console(),
            lines.line(SPI_BASE_ID + UART_SPI),
        )));
        bus.add_mmio(UART_BASE, 0x1000, Box::new(Rc::clone(&uart)))?;
        // The RTC's time of day is the one host clock read of a run: an
        // outside input, through the replay door.
        let unix_ns = ctx.clock_read()?;
        let rtc = Rc::new(RefCell::new(Pl031::new(
            unix_ns / 1_000_000_000,
            lines.line(SPI_BASE_ID + RTC_SPI),
        )));
        bus.add_mmio(RTC_BASE, 0x1000, Box::new(Rc::clone(&rtc)))?;
        Self::add_virtio(cfg, bus, &lines, &ctx)?;
        Ok(VirtBoard {
            gic,
            uart,
            rtc,
            timer_phys: lines.line(timer::PHYS_PPI),
            timer_virt: lines.line(timer::VIRT_PPI),
            pmu: lines.line(pmu::PPI),
        })
    }

    /// An ELF image is loaded at its physical addresses and entered in SVC
    /// mode with the MMU off and IRQ/FIQ masked; a zImage or Image with
    /// Linux's boot protocol.
    fn boot(&self, cfg: &MachineConfig, bus: &mut Bus) -> anyhow::Result<ArmCpu> {
        let kernel = read_file(&cfg.kernel, "kernel")?;
        let kind = linux::classify(&cfg.kernel, &kernel)?;
        let mut cpu = ArmCpu::new();
        cpu.semihosting = cfg.semihosting;
        if kind == linux::KernelKind::Elf {
            if cfg.initrd.is_some() || cfg.dtb.is_some() {
                anyhow::bail!(
                    "{}: an ELF image is booted bare-metal; -initrd and -dtb need a Linux zImage or Image",
                    cfg.kernel.display()
                );
            }
            let image = elf::load(&cfg.kernel.display().to_string(), &kernel, bus, elf::EM_ARM)?;
            cpu.regs[15] = image.entry & !1;
            if image.entry & 1 != 0 {
                cpu.cpsr_rest |= psr::T;
            }
        } else {
            Self::load_linux(cfg, &kernel, bus, &mut cpu)?;
        }
        Ok(cpu)
    }

    fn update_time(&mut self, run: &RunLoop<ArmCpu>) {
        let now = run.now_ns();
        let cpu = &run.env.arch;
        self.timer_phys.set(cpu.timer_irq(Which::Physical, now));
        self.timer_virt.set(cpu.timer_irq(Which::Virtual, now));
        self.pmu.set(cpu.pmu_irq(run.icount(), now));
        self.rtc.borrow_mut().update(now);
    }

    fn next_deadline_ns(&self, run: &RunLoop<ArmCpu>) -> Option<u64> {
        let now = run.now_ns();
        let cpu = &run.env.arch;
        let timers = cpu.next_timer_deadline(now);
        let pmu = cpu.pmu_deadline_ns(run.icount(), now);
        let rtc = self.rtc.borrow().wake_deadline_ns();
        [timers, pmu, rtc]
            .into_iter()
            .flatten()
            .filter(|&d| d > now)
            .min()
    }

    fn next_deadline_icount(&self, run: &RunLoop<ArmCpu>) -> Option<u64> {
        run.env.arch.pmu_deadline_icount(run.icount(), run.now_ns())
    }

    fn take_interrupt(&mut self, run: &mut RunLoop<ArmCpu>) {
        let (irq, fiq) = self.gic.borrow_mut().cpu_outputs();
        let rest = run.env.arch.cpsr_rest;
        let exception = if fiq && rest & psr::F == 0 {
            Exception::Fiq
        } else if irq && rest & psr::I == 0 {
            Exception::Irq
        } else {
            return;
        };
        let pc = run.env.arch.regs[15];
        run.take_exception(exception, pc, None);
    }

    fn interrupt_pending(&mut self, _run: &RunLoop<ArmCpu>) -> bool {
        let (irq, fiq) = self.gic.borrow_mut().cpu_outputs();
        irq || fiq
    }

    fn console_room(&self) -> usize {
        self.uart.borrow().can_receive()
    }

    fn console_receive(&mut self, bytes: &[u8]) -> usize {
        self.uart.borrow_mut().receive(bytes)
    }

    /// PSCI over HVC.
    fn firmware(&mut self, run: &mut RunLoop<ArmCpu>, t: Trap) -> Option<Firmware> {
        if t.code != trap::HVC {
            return None;
        }
        let regs = &mut run.env.arch.regs;
        let effect = psci::call([regs[0], regs[1], regs[2], regs[3]]);
        regs[15] = regs[15].wrapping_add(4);
        Some(match effect {
            psci::Effect::Return(v) => {
                regs[0] = v;
                Firmware::Continue
            }
            psci::Effect::SystemOff => Firmware::PowerOff,
            psci::Effect::SystemReset => Firmware::Reset,
            psci::Effect::Suspend => {
                // A standby state: wait as WFI does, then report success.
                regs[0] = 0;
                Firmware::Wait
            }
        })
    }
}

impl VirtBoard {
    /// Fills the virtio-mmio slots from the top down, as QEMU does: the
    /// drives first, then the entropy device; the rest stay empty.
    fn add_virtio(
        cfg: &MachineConfig,
        bus: &mut Bus,
        lines: &Rc<IrqLines>,
        ctx: &BoardCtx,
    ) -> anyhow::Result<()> {
        use lockstep_devices::virtio::VirtioDevice;
        use lockstep_devices::virtio::{blk::VirtioBlk, mmio::VirtioMmio, rng::VirtioRng};
        let dma = bus.dma(Rc::clone(&ctx.dma_written));
        let mut devices: Vec<Box<dyn VirtioDevice>> = Vec::new();
        for path in &cfg.drives {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(cfg.drives_writable)
                .open(path)
                .map_err(|e| {
                    anyhow::anyhow!("{}: cannot open the disk image: {e}", path.display())
                })?;
            let len = file
                .metadata()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                .len();
            devices.push(Box::new(VirtioBlk::new(file, len, cfg.drives_writable)));
        }
        devices.push(Box::new(VirtioRng::new(ctx.entropy())));
        if devices.len() as u64 > VIRTIO_SLOTS {
            anyhow::bail!(
                "at most {} drives fit in the virtio-mmio slots",
                VIRTIO_SLOTS - 1
            );
        }
        let mut devices = devices.into_iter();
        for slot in (0..VIRTIO_SLOTS).rev() {
            let base = VIRTIO_BASE + slot * VIRTIO_SLOT_SIZE;
            let dev = match devices.next() {
                Some(d) => VirtioMmio::new(
                    d,
                    dma.clone(),
                    lines.line(SPI_BASE_ID + VIRTIO_SPI_BASE + slot as u32),
                ),
                None => VirtioMmio::empty(),
            };
            bus.add_mmio(base, VIRTIO_SLOT_SIZE, Box::new(dev))?;
        }
        Ok(())
    }

    /// Loads a Linux kernel, initrd and device tree, and sets the CPU up as
    /// the boot protocol asks.
    fn load_linux(
        cfg: &MachineConfig,
        kernel: &[u8],
        bus: &mut Bus,
        cpu: &mut ArmCpu,
    ) -> anyhow::Result<()> {
        let initrd = match &cfg.initrd {
            Some(p) => Some(read_file(p, "initrd")?),
            None => None,
        };
        let given_dtb = match &cfg.dtb {
            Some(p) => {
                let blob = read_file(p, "device tree")?;
                fdt::validate(&blob).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                Some(blob)
            }
            None => None,
        };
        // The generated tree names the initrd's range, so its size must be
        // known before the layout: build it once with a placeholder range
        // of the right size (the blob's length does not depend on it).
        let describe = |initrd_range| BoardDescription {
            memory: cfg.memory,
            bootargs: cfg.append.clone().unwrap_or_default(),
            initrd: initrd_range,
        };
        let dtb_len = match &given_dtb {
            Some(b) => b.len() as u64,
            None => fdt::build(&describe(initrd.as_ref().map(|_| (0, 0))))
                .map_err(|e| anyhow::anyhow!("cannot build the device tree: {e}"))?
                .len() as u64,
        };
        let layout = linux::layout(
            RAM_BASE,
            cfg.memory,
            kernel.len() as u64,
            initrd.as_ref().map(|i| i.len() as u64),
            dtb_len,
        )
        .map_err(|e| {
            let file = match (&cfg.initrd, e.contains("initrd")) {
                (Some(p), true) => p,
                _ => &cfg.kernel,
            };
            anyhow::anyhow!("{}: {e}", file.display())
        })?;
        let dtb = match given_dtb {
            Some(b) => b,
            None => fdt::build(&describe(layout.initrd))
                .map_err(|e| anyhow::anyhow!("cannot build the device tree: {e}"))?,
        };
        let mut put = |addr: u64, bytes: &[u8]| {
            bus.ram_slice_mut(addr, bytes.len() as u64)
                .expect("the layout keeps every image inside RAM")
                .copy_from_slice(bytes);
        };
        put(layout.kernel, kernel);
        if let (Some((start, _)), Some(bytes)) = (layout.initrd, &initrd) {
            put(start, bytes);
        }
        put(layout.dtb, &dtb);
        cpu.regs[0] = 0;
        cpu.regs[1] = 0xffff_ffff;
        cpu.regs[2] = layout.dtb as u32;
        cpu.regs[15] = layout.kernel as u32;
        Ok(())
    }
}
