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
//! The run loop ([`ArmVirt::run`]) is the one place where the outside
//! world, virtual time and interrupts meet the CPU, always at an
//! instruction boundary fixed by the guest's state and the instruction
//! count: host input is delivered between runs; the budget of each run
//! ends at the next timer deadline; an interrupt is taken as soon as the
//! GIC signals it and the CPU has it unmasked; an idle CPU (WFI) makes
//! virtual time jump to the next deadline.

use super::fdt::{self, BoardDescription};
use super::hostio::HostIo;
use super::psci;
use super::semihosting::{self, Request};
use crate::loader::{elf, linux};
use lockstep_devices::gic::{Gic, GicCpuInterface, GicDistributor, VIRT_NUM_IRQS};
use lockstep_devices::pl011::Pl011;
use lockstep_devices::pl031::Pl031;
use lockstep_jit::engine::{ArmEngine, EngineStats, ExecMode, TraceOptions};
use lockstep_jit::frontend::arm::disasm::disassemble_at;
use lockstep_runtime::arm::exception::Exception;
use lockstep_runtime::arm::timer::{self, Which};
use lockstep_runtime::arm::{psr, trap, ArmCpu};
use lockstep_runtime::env::{Access, FaultKind, GuestFault, ICOUNT_SHIFT};
use lockstep_runtime::{Bus, IrqLine, IrqLines, RunLoop, Stop};
use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
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
/// Names of the registers logged with each digest.
const REG_NAMES: [&str; 17] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr",
    "pc", "cpsr",
];

/// Interrupt ID of SPI 0.
const SPI_BASE_ID: u32 = 32;

/// How to build the machine.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// RAM size in bytes.
    pub memory: u64,
    /// The image to load: a bare-metal ELF, or a Linux zImage/Image.
    pub kernel: PathBuf,
    /// An initial RAM disk for Linux.
    pub initrd: Option<PathBuf>,
    /// The kernel command line.
    pub append: Option<String>,
    /// A device tree blob to use instead of the generated one.
    pub dtb: Option<PathBuf>,
    /// Disk images for virtio-blk, in slot order.
    pub drives: Vec<PathBuf>,
    /// Whether guest writes reach the disk images (else they stay in a
    /// copy-on-write overlay in memory and the images never change).
    pub drives_writable: bool,
    /// End the run when the guest resets the machine (QEMU's
    /// `-no-reboot`) instead of resetting it.
    pub no_reboot: bool,
    /// Whether SVC 0x123456 is a semihosting call.
    pub semihosting: bool,
    /// Interpreter or JIT.
    pub exec: ExecMode,
    /// What to trace.
    pub trace: TraceOptions,
    /// Executable memory for compiled code.
    pub jit_code_bytes: usize,
}

impl MachineConfig {
    /// A bare-metal run of `kernel`: 128 MiB, semihosting on, no traces.
    pub fn bare_metal(kernel: &Path, exec: ExecMode) -> Self {
        MachineConfig {
            memory: 128 << 20,
            kernel: kernel.to_path_buf(),
            initrd: None,
            append: None,
            dtb: None,
            drives: Vec::new(),
            drives_writable: false,
            no_reboot: false,
            semihosting: true,
            exec,
            trace: TraceOptions::default(),
            jit_code_bytes: lockstep_jit::clif::CODE_ARENA_BYTES,
        }
    }
}

/// Why the machine stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest asked to exit with this status (semihosting).
    Exited(i32),
    /// The instruction limit was reached.
    Limit,
    /// Thumb code (not implemented yet) at `pc`; or, as the cause of
    /// [`Outcome::UnhandledException`], an undefined instruction.
    Undefined { pc: u32, word: u32, thumb: bool },
    /// As a cause: a supervisor call or breakpoint.
    Trap { pc: u32, what: String },
    /// As a cause: a memory access that faulted.
    Fault { pc: u32, fault: GuestFault },
    /// The guest took an exception (`cause`) to a vector from which no
    /// instruction can be fetched: nothing handles it, and the run stops
    /// instead of faulting forever.
    UnhandledException { cause: Box<Outcome>, vector: u32 },
    /// WFI with nothing that could ever wake the core.
    WaitForever { pc: u32 },
    /// A replay could not go on: the guest did something other than
    /// what the log recorded.
    Diverged { message: String },
    /// A replay reached the end of a log that was cut short or damaged.
    ReplayEnded,
    /// The user quit (Ctrl-A x).
    Quit,
    /// A reset could not load the images again.
    ResetFailed { message: String },
    /// A semihosting call failed.
    Semihosting { pc: u32, message: String },
    /// The guest powered the machine off (PSCI SYSTEM_OFF).
    PowerOff,
    /// The guest asked for a reset (PSCI SYSTEM_RESET); the run ends
    /// there, as QEMU's does with `-no-reboot`.
    Reset,
}

impl Outcome {
    /// The process exit status for this outcome: the guest's own for a
    /// semihosting exit, 0 at the instruction limit, 2 for a guest-level
    /// stop.
    pub fn exit_status(&self) -> i32 {
        match self {
            Outcome::Exited(c) => *c,
            Outcome::Limit | Outcome::PowerOff | Outcome::Reset | Outcome::Quit => 0,
            Outcome::Diverged { .. } => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(c) => write!(f, "guest exited with status {c}"),
            Outcome::Limit => write!(f, "instruction limit reached"),
            Outcome::Undefined {
                pc,
                word,
                thumb: false,
            } => {
                write!(
                    f,
                    "UNDEF at pc {pc:#010x}: encoding {word:#010x} ({})",
                    disassemble_at(*word, *pc)
                )
            }
            Outcome::Undefined {
                pc,
                word,
                thumb: true,
            } => {
                write!(f, "UNDEF at pc {pc:#010x}: Thumb code (halfword {word:#06x}) is not supported yet")
            }
            Outcome::Trap { pc, what } => write!(
                f,
                "{what} at pc {pc:#010x}"
            ),
            Outcome::Fault { pc, fault } => {
                let kind = match fault.kind {
                    FaultKind::Alignment => "alignment fault".to_string(),
                    FaultKind::External => "external abort (nothing mapped there)".to_string(),
                    FaultKind::WalkExternal { level } => {
                        format!("external abort on the level-{level} translation table walk")
                    }
                    FaultKind::Translation { level } => format!("level-{level} translation fault"),
                    FaultKind::AccessFlag { level } => format!("level-{level} access flag fault"),
                    FaultKind::Domain { level, domain } => {
                        format!("level-{level} domain fault (domain {domain})")
                    }
                    FaultKind::Permission { level, .. } => {
                        format!("level-{level} permission fault")
                    }
                };
                let access = match fault.access {
                    Access::Read => "read",
                    Access::Write => "write",
                    Access::Fetch => "instruction fetch",
                };
                write!(
                    f,
                    "{kind} on {access} of {:#010x} at pc {pc:#010x}",
                    fault.vaddr
                )
            }
            Outcome::WaitForever { pc } => {
                write!(
                    f,
                    "WFI at pc {:#010x} with no interrupt source: the guest would wait forever",
                    pc.wrapping_sub(4)
                )
            }
            Outcome::UnhandledException { cause, vector } => write!(
                f,
                "{cause}; the exception vector at {vector:#010x} cannot be fetched, so nothing handles it (set VBAR, or map the vectors)"
            ),
            Outcome::Semihosting { pc, message } => {
                write!(f, "semihosting call at pc {pc:#010x}: {message}")
            }
            Outcome::PowerOff => write!(f, "the guest powered the machine off"),
            Outcome::Diverged { message } => write!(f, "replay diverged: {message}"),
            Outcome::ReplayEnded => write!(f, "the replay reached the end of what the log holds"),
            Outcome::Quit => write!(f, "quit at the user's request"),
            Outcome::ResetFailed { message } => write!(f, "the machine could not reset: {message}"),
            Outcome::Reset => write!(f, "the guest asked for a reset"),
        }
    }
}

/// The machine.
pub struct ArmVirt {
    run: RunLoop<ArmCpu>,
    engine: ArmEngine,
    semihost_out: Box<dyn Write>,
    semihosting: bool,
    gic: Rc<RefCell<Gic>>,
    uart: Rc<RefCell<Pl011>>,
    rtc: Rc<RefCell<Pl031>>,
    timer_phys: IrqLine,
    timer_virt: IrqLine,
    io: Rc<RefCell<HostIo>>,
    /// Guest RAM ranges devices wrote by DMA since the last run.
    dma_written: Rc<RefCell<Vec<(u64, u64)>>>,
    /// A replay divergence a device found (the entropy it asked for).
    device_error: Rc<RefCell<Option<String>>>,
    /// Checkpoints the run loop emitted and the machine has not yet
    /// passed to `io`.
    checkpoints: Rc<RefCell<Vec<lockstep_replay::Checkpoint>>>,
    /// Print each checkpoint (`-d int`).
    trace_int: bool,
    /// Running hash of the UART's output.
    console: Rc<RefCell<lockstep_replay::StableHasher>>,
    /// A digest is due at the next boundary (input was just delivered).
    digest_soon: bool,
    /// How a replay ended.
    summary: Option<crate::machine::hostio::ReplaySummary>,
    /// What the machine was built from (a reset loads the images again).
    cfg: MachineConfig,
    /// Another receiver of checkpoints (tests).
    observer: Option<Box<dyn lockstep_replay::CheckpointSink>>,
}

/// The virtio-rng device's source: the record/replay door. A replay that
/// has no entropy logged where the guest asks is a divergence, kept for
/// the run loop to report.
struct EntropyDoor {
    io: Rc<RefCell<HostIo>>,
    error: Rc<RefCell<Option<String>>>,
}

impl lockstep_devices::virtio::rng::EntropySource for EntropyDoor {
    fn fill(&mut self, icount: u64, buf: &mut [u8]) {
        if let Err(e) = self.io.borrow_mut().entropy(icount, buf) {
            self.error.borrow_mut().get_or_insert(e);
        }
    }
}

/// Sends checkpoints to the machine's queue.
struct CheckpointQueue(Rc<RefCell<Vec<lockstep_replay::Checkpoint>>>);

impl lockstep_replay::CheckpointSink for CheckpointQueue {
    fn checkpoint(&mut self, c: lockstep_replay::Checkpoint) {
        self.0.borrow_mut().push(c);
    }
}

/// Passes bytes on and keeps a running hash of them (console output
/// goes into every state digest).
struct HashingWriter {
    inner: Box<dyn Write>,
    hash: Rc<RefCell<lockstep_replay::StableHasher>>,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::hash::Hasher;
        self.hash.borrow_mut().write(buf);
        // The guest's output must not depend on the host stream: a closed
        // terminal loses the bytes, the hash keeps them.
        let _ = self.inner.write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.inner.flush();
        Ok(())
    }
}

/// Prints a checkpoint (`-d int`).
fn trace_checkpoint(c: &lockstep_replay::Checkpoint) {
    {
        let (what, v) = match c.kind {
            lockstep_replay::CheckpointKind::Exception { vector } => ("exception", vector),
            lockstep_replay::CheckpointKind::Interrupt { vector } => ("interrupt", vector),
        };
        const NAMES: [&str; 8] = [
            "reset", "undef", "svc", "pabt", "dabt", "(hyp)", "irq", "fiq",
        ];
        eprintln!(
            "Taking {what} {v} [{}] at icount {} pc {:#010x}",
            NAMES.get(v as usize).unwrap_or(&"?"),
            c.icount,
            c.pc
        );
    }
}

fn read_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the {what}: {e}", path.display()))
}

impl ArmVirt {
    /// Builds the machine and loads the images. `uart_out` receives the
    /// UART's output, `semihost_out` the semihosting console's; `io` is
    /// the door every outside input comes through.
    pub fn new(
        cfg: &MachineConfig,
        uart_out: Box<dyn Write>,
        semihost_out: Box<dyn Write>,
        io: HostIo,
    ) -> anyhow::Result<Self> {
        let io = Rc::new(RefCell::new(io));
        let mut bus = Box::new(Bus::new());
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
        let console = Rc::new(RefCell::new(lockstep_replay::StableHasher::new()));
        let uart = Rc::new(RefCell::new(Pl011::with_irq(
            Box::new(HashingWriter {
                inner: uart_out,
                hash: Rc::clone(&console),
            }),
            lines.line(SPI_BASE_ID + UART_SPI),
        )));
        bus.add_mmio(UART_BASE, 0x1000, Box::new(Rc::clone(&uart)))?;
        // The RTC's time of day is the one host clock read of a run: an
        // outside input, through the replay door.
        let unix_ns = io.borrow_mut().clock_read(0)?;
        let rtc = Rc::new(RefCell::new(Pl031::new(
            unix_ns / 1_000_000_000,
            lines.line(SPI_BASE_ID + RTC_SPI),
        )));
        bus.add_mmio(RTC_BASE, 0x1000, Box::new(Rc::clone(&rtc)))?;
        let dma_written = Rc::new(RefCell::new(Vec::new()));
        let device_error = Rc::new(RefCell::new(None));
        Self::add_virtio(
            cfg,
            &mut bus,
            &lines,
            &dma_written,
            EntropyDoor {
                io: Rc::clone(&io),
                error: Rc::clone(&device_error),
            },
        )?;

        let cpu = Self::load_images(cfg, &mut bus)?;
        let mut run = RunLoop::new(cpu, bus);
        let checkpoints = Rc::new(RefCell::new(Vec::new()));
        run.set_checkpoint_sink(Box::new(CheckpointQueue(Rc::clone(&checkpoints))));
        let engine = ArmEngine::with_code_bytes(cfg.exec, cfg.trace, cfg.jit_code_bytes)?;
        Ok(ArmVirt {
            run,
            engine,
            semihost_out,
            semihosting: cfg.semihosting,
            gic,
            uart,
            rtc,
            timer_phys: lines.line(timer::PHYS_PPI),
            timer_virt: lines.line(timer::VIRT_PPI),
            io,
            dma_written,
            device_error,
            checkpoints,
            trace_int: cfg.trace.int,
            console,
            digest_soon: false,
            summary: None,
            cfg: cfg.clone(),
            observer: None,
        })
    }

    /// Loads the images into RAM and returns the CPU as the boot protocol
    /// leaves it (at power-on and after every reset).
    fn load_images(cfg: &MachineConfig, bus: &mut Bus) -> anyhow::Result<ArmCpu> {
        let kernel = read_file(&cfg.kernel, "kernel")?;
        let kind = linux::classify(&cfg.kernel, &kernel)?;
        let mut cpu = ArmCpu::new();
        if kind == linux::KernelKind::Elf {
            if cfg.initrd.is_some() || cfg.dtb.is_some() {
                anyhow::bail!(
                    "{}: an ELF image is booted bare-metal; -initrd and -dtb need a Linux zImage or Image",
                    cfg.kernel.display()
                );
            }
            let image = elf::load(&cfg.kernel.display().to_string(), &kernel, bus)?;
            cpu.regs[15] = image.entry & !1;
            if image.entry & 1 != 0 {
                cpu.cpsr_rest |= psr::T;
            }
        } else {
            Self::load_linux(cfg, &kernel, bus, &mut cpu)?;
        }
        Ok(cpu)
    }

    /// A machine reset (PSCI SYSTEM_RESET): devices back to power-on, RAM
    /// cleared, the images loaded again, the CPU at the boot entry.
    /// Instruction count and virtual time go on; the RTC keeps its time.
    /// Deterministic: the same run resets the same way every time. The
    /// images are read again, as firmware would; a replay already checked
    /// their hashes.
    fn reset(&mut self) -> anyhow::Result<()> {
        self.run.bus.reset();
        self.engine.flush();
        lockstep_runtime::softmmu::flush_all(&mut self.run.env, true);
        let cpu = Self::load_images(&self.cfg, &mut self.run.bus)?;
        self.run.env.arch = cpu;
        self.run.env.clear_pending();
        let pc = u64::from(self.run.env.arch.regs[15]);
        self.run
            .checkpoint(lockstep_replay::CheckpointKind::Exception { vector: 0 }, pc);
        Ok(())
    }

    /// Fills the virtio-mmio slots from the top down, as QEMU does: the
    /// drives first, then the entropy device; the rest stay empty.
    fn add_virtio(
        cfg: &MachineConfig,
        bus: &mut Bus,
        lines: &Rc<IrqLines>,
        written: &Rc<RefCell<Vec<(u64, u64)>>>,
        entropy: EntropyDoor,
    ) -> anyhow::Result<()> {
        use lockstep_devices::virtio::VirtioDevice;
        use lockstep_devices::virtio::{blk::VirtioBlk, mmio::VirtioMmio, rng::VirtioRng};
        let dma = bus.dma(Rc::clone(written));
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
        devices.push(Box::new(VirtioRng::new(Box::new(entropy))));
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

    /// What devices wrote to guest RAM during the last run: dirty for the
    /// RAM digest, and any translated code there is dropped.
    fn note_dma(&mut self) {
        let written = std::mem::take(&mut *self.dma_written.borrow_mut());
        for (addr, len) in written {
            let bus = &mut self.run.bus;
            bus.mark_dirty_range(addr, len);
            let mut a = addr;
            while a < addr + len {
                let page_end = (a | (lockstep_runtime::bus::PAGE_SIZE - 1)) + 1;
                let n = page_end.min(addr + len) - a;
                if matches!(
                    bus.resolve(a),
                    lockstep_runtime::bus::Target::Ram { code: true, .. }
                ) {
                    bus.note_code_write(a, n);
                }
                a += n;
            }
        }
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

    /// Guest instructions retired so far.
    pub fn icount(&self) -> u64 {
        self.run.icount()
    }

    /// The CPU state.
    pub fn cpu(&self) -> &ArmCpu {
        &self.run.env.arch
    }

    /// A digest of the CPU registers, guest RAM and console output so far.
    pub fn state_digest(&mut self) -> lockstep_replay::StateDigest {
        use std::hash::Hasher;
        let mut h = lockstep_replay::StableHasher::new();
        self.run.env.arch.hash_into(&mut h);
        let cpu = h.finish();
        let ram = lockstep_runtime::softmmu::ram_digest(&mut self.run.env);
        lockstep_replay::StateDigest {
            cpu,
            ram,
            console: self.console.borrow().finish(),
        }
    }

    /// Passes the checkpoints emitted since the last call to the trace and
    /// to the record/replay door.
    fn pass_checkpoints(&mut self) -> Result<(), Outcome> {
        let list = std::mem::take(&mut *self.checkpoints.borrow_mut());
        for c in list {
            if self.trace_int {
                trace_checkpoint(&c);
            }
            if let Some(o) = self.observer.as_mut() {
                o.checkpoint(c);
            }
            self.io
                .borrow_mut()
                .checkpoint(c)
                .map_err(|message| Outcome::Diverged { message })?;
        }
        Ok(())
    }

    /// Ends the run: the record/replay door logs or checks how.
    fn finish(&mut self, outcome: Outcome) -> Outcome {
        use lockstep_replay::ShutdownCause as C;
        match outcome {
            Outcome::Diverged { .. } => return outcome,
            Outcome::ReplayEnded => {
                self.summary = self.io.borrow_mut().partial_summary();
                return outcome;
            }
            _ => {}
        }
        let cause = match &outcome {
            Outcome::PowerOff => C::PowerOff,
            Outcome::Reset => C::Reset,
            Outcome::Exited(status) => C::GuestExit { status: *status },
            Outcome::Limit => C::InstructionLimit,
            Outcome::Quit => C::HostRequest,
            other => C::Error {
                message: other.to_string(),
            },
        };
        let d = self.state_digest();
        match self.io.borrow_mut().finish(self.run.icount(), cause, d) {
            Ok(summary) => {
                self.summary = summary;
                outcome
            }
            Err(message) => Outcome::Diverged { message },
        }
    }

    /// How the replay compared with its log (after [`ArmVirt::run`]).
    pub fn replay_summary(&self) -> Option<&crate::machine::hostio::ReplaySummary> {
        self.summary.as_ref()
    }

    /// TLB entries filled so far (each one a miss and a walk).
    pub fn tlb_fills(&self) -> u64 {
        self.run.env.tlb_fills
    }

    /// The engine's counters.
    pub fn stats(&self) -> EngineStats {
        self.engine.stats()
    }

    /// The bus (for inspecting guest memory).
    pub fn bus(&mut self) -> &mut Bus {
        &mut self.run.bus
    }

    /// Drives the timer and RTC interrupt lines from virtual time.
    fn update_time_lines(&mut self) {
        let now = self.run.now_ns();
        let cpu = &self.run.env.arch;
        self.timer_phys.set(cpu.timer_irq(Which::Physical, now));
        self.timer_virt.set(cpu.timer_irq(Which::Virtual, now));
        self.rtc.borrow_mut().update(now);
    }

    /// The next instant at which a device's interrupt output rises by
    /// itself.
    fn next_deadline_ns(&self) -> Option<u64> {
        let now = self.run.now_ns();
        let timers = self.run.env.arch.next_timer_deadline(now);
        let rtc = self.rtc.borrow().wake_deadline_ns();
        [timers, rtc]
            .into_iter()
            .flatten()
            .filter(|&d| d > now)
            .min()
    }

    /// Takes an IRQ or FIQ if the GIC signals one the CPU has unmasked.
    fn take_interrupt(&mut self) {
        let (irq, fiq) = self.gic.borrow_mut().cpu_outputs();
        let rest = self.run.env.arch.cpsr_rest;
        let exception = if fiq && rest & psr::F == 0 {
            Exception::Fiq
        } else if irq && rest & psr::I == 0 {
            Exception::Irq
        } else {
            return;
        };
        let pc = self.run.env.arch.regs[15];
        self.run.take_exception(exception, pc, None);
    }

    /// Hands the UART what the outside world has for it now.
    fn deliver_inputs(&mut self) -> Result<(), Outcome> {
        let icount = self.run.icount();
        let room = self.uart.borrow().can_receive();
        let bytes = self
            .io
            .borrow_mut()
            .serial_input(icount, room)
            .map_err(|message| Outcome::Diverged { message })?;
        if !bytes.is_empty() {
            self.digest_soon = true;
            let taken = self.uart.borrow_mut().receive(&bytes);
            if taken != bytes.len() {
                return Err(Outcome::Diverged {
                    message: format!(
                        "at instruction {icount} the UART took {taken} of the {} bytes the log delivers",
                        bytes.len()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The guest waits for an interrupt (WFI) with the PC at the next
    /// instruction. Returns an outcome if nothing can ever wake it.
    fn idle(&mut self, pc: u32) -> Option<Outcome> {
        let (irq, fiq) = self.gic.borrow_mut().cpu_outputs();
        if irq || fiq {
            // WFI wakes on a pending interrupt even when it is masked.
            return None;
        }
        let room = self.uart.borrow().can_receive();
        if self.io.borrow_mut().input_due_now(self.run.icount(), room) {
            return None;
        }
        match self.next_deadline_ns() {
            Some(d) => {
                let now = self.run.now_ns();
                self.io.borrow_mut().pace(now, d);
                if !self.io.borrow_mut().input_due_now(self.run.icount(), room) {
                    self.run.advance_idle(d - now);
                }
                None
            }
            None if self.io.borrow_mut().can_wait_for_input() => {
                self.io.borrow_mut().wait_for_input();
                None
            }
            None => Some(Outcome::WaitForever { pc }),
        }
    }

    /// The run's next stopping point: the limit, the next timer deadline,
    /// the next logged input, or the next poll for host input.
    fn next_target(&self, limit: u64) -> u64 {
        let icount = self.run.icount();
        let mut target = limit.min(icount.saturating_add(self.io.borrow_mut().poll_interval()));
        if let Some(d) = self.next_deadline_ns() {
            let ahead = (d - self.run.now_ns()).div_ceil(1 << ICOUNT_SHIFT).max(1);
            target = target.min(icount.saturating_add(ahead));
        }
        // An event due now that the loop top did not take (an exception
        // the next instruction raises) needs the guest to run on.
        if let Some(due) = self.io.borrow_mut().next_due().filter(|&d| d > icount) {
            target = target.min(due);
        }
        target
    }

    /// Runs until the guest stops, or until `limit` instructions in total;
    /// a recording is finished, a replay checked to its end.
    pub fn run(&mut self, limit: Option<u64>) -> Outcome {
        match self.run_inner(limit) {
            Outcome::Diverged { message } => Outcome::Diverged {
                message: format!("{message}\n  the guest is at {}", self.where_now()),
            },
            outcome => self.finish(outcome),
        }
    }

    /// The PC, the instruction there and the registers, for reports.
    fn where_now(&mut self) -> String {
        let pc = self.run.env.arch.regs[15];
        let mmu_idx = self.run.env.arch.mmu_idx();
        let insn =
            lockstep_runtime::softmmu::translate_code(&mut self.run.env, u64::from(pc), mmu_idx)
                .ok()
                .and_then(|p| lockstep_runtime::softmmu::read_code(&mut self.run.env, p, 4))
                .map_or("(not readable)".to_string(), |w| {
                    format!("{w:08x} {}", disassemble_at(w as u32, pc))
                });
        let cpu = &self.run.env.arch;
        let regs: Vec<String> = (0..16)
            .map(|i| format!("{}={:08x}", REG_NAMES[i], cpu.regs[i]))
            .collect();
        format!(
            "instruction {} pc {pc:#010x}: {insn}\n  {} cpsr={:08x}",
            self.run.icount(),
            regs.join(" "),
            cpu.cpsr()
        )
    }

    fn run_inner(&mut self, limit: Option<u64>) -> Outcome {
        let limit = limit.unwrap_or(u64::MAX);
        // The last exception entry: (icount, vector, what caused it).
        let mut entered: Option<(u64, u32, Outcome)> = None;
        loop {
            self.io.borrow_mut().tick();
            if let Err(o) = self.deliver_inputs() {
                return o;
            }
            let icount = self.run.icount();
            let (due, replaying) = {
                let io = self.io.borrow();
                (io.digest_due(icount), io.replaying())
            };
            if due || (self.digest_soon && !replaying) {
                self.digest_soon = false;
                let d = self.state_digest();
                let cpu = &self.run.env.arch;
                let mut regs = cpu.regs.to_vec();
                regs.push(cpu.cpsr());
                if let Err(message) = self.io.borrow_mut().digest(icount, d, &regs, &REG_NAMES) {
                    return Outcome::Diverged { message };
                }
            }
            self.update_time_lines();
            self.take_interrupt();
            if let Err(o) = self.pass_checkpoints() {
                return o;
            }
            if let Some(h) = self.io.borrow_mut().replay_horizon() {
                if self.run.icount() >= h {
                    return Outcome::ReplayEnded;
                }
            }
            let stopped = self.io.borrow_mut().stopped_here(self.run.icount());
            match stopped {
                Some(lockstep_replay::ShutdownCause::HostRequest) => return Outcome::Quit,
                Some(_) => return Outcome::Limit,
                None if self.run.icount() >= limit => return Outcome::Limit,
                None => {}
            }
            let mut target = self.next_target(limit);
            if let Some(h) = self.io.borrow_mut().replay_horizon() {
                target = target.min(h);
            }
            let stop = self.run.run_until(&mut self.engine, target);
            self.note_dma();
            if let Some(message) = self.device_error.borrow_mut().take() {
                return Outcome::Diverged { message };
            }
            let pc = self.run.env.arch.regs[15];
            let (exception, cause, fault) = match stop {
                Stop::Limit | Stop::Request => continue,
                Stop::Halt => match self.idle(pc) {
                    Some(o) => return o,
                    None => continue,
                },
                Stop::Fault(fault) => {
                    let e = if fault.access == Access::Fetch {
                        Exception::PrefetchAbort
                    } else {
                        Exception::DataAbort
                    };
                    (e, Outcome::Fault { pc, fault }, Some(fault))
                }
                Stop::Trap(t) => match t.code {
                    trap::SVC
                        if self.semihosting
                            && t.arg == semihosting::A32_SVC_IMM
                            && self.run.env.arch.mode() != psr::MODE_USR =>
                    {
                        match semihosting::call(&mut self.run.env, &mut *self.semihost_out) {
                            Request::Continue => {
                                self.run.env.arch.regs[15] = pc.wrapping_add(4);
                                continue;
                            }
                            Request::Exit(code) => return Outcome::Exited(code),
                            Request::Error(message) => return Outcome::Semihosting { pc, message },
                        }
                    }
                    trap::HVC => {
                        let regs = &self.run.env.arch.regs;
                        let effect = psci::call([regs[0], regs[1], regs[2], regs[3]]);
                        self.run.env.arch.regs[15] = pc.wrapping_add(4);
                        match effect {
                            psci::Effect::Return(v) => self.run.env.arch.regs[0] = v,
                            psci::Effect::SystemOff => return Outcome::PowerOff,
                            psci::Effect::SystemReset if self.cfg.no_reboot => {
                                return Outcome::Reset
                            }
                            psci::Effect::SystemReset => {
                                if let Err(e) = self.reset() {
                                    return Outcome::ResetFailed {
                                        message: format!("{e:#}"),
                                    };
                                }
                                if let Err(o) = self.pass_checkpoints() {
                                    return o;
                                }
                            }
                            psci::Effect::Suspend => {
                                // A standby state: wait as WFI does, then
                                // report success.
                                self.run.env.arch.regs[0] = 0;
                                if let Some(o) = self.idle(pc.wrapping_add(4)) {
                                    return o;
                                }
                            }
                        }
                        continue;
                    }
                    trap::SVC => (
                        Exception::Svc,
                        Outcome::Trap {
                            pc,
                            what: format!("SVC #{:#x}", t.arg),
                        },
                        None,
                    ),
                    trap::BKPT => (
                        Exception::PrefetchAbort,
                        Outcome::Trap {
                            pc,
                            what: format!("BKPT #{:#x}", t.arg),
                        },
                        None,
                    ),
                    _ if self.run.env.arch.cpsr_rest & psr::T != 0 => {
                        return Outcome::Undefined {
                            pc,
                            word: t.arg,
                            thumb: true,
                        };
                    }
                    _ => (
                        Exception::Undefined,
                        Outcome::Undefined {
                            pc,
                            word: t.arg,
                            thumb: false,
                        },
                        None,
                    ),
                },
            };
            if let Some((icount, vector, first)) = entered.take() {
                if icount == self.run.icount() && pc == vector {
                    return Outcome::UnhandledException {
                        cause: Box::new(first),
                        vector,
                    };
                }
            }
            let at = if exception == Exception::Svc {
                pc.wrapping_add(4)
            } else {
                pc
            };
            let vector = self.run.take_exception(exception, at, fault.as_ref());
            if let Err(o) = self.pass_checkpoints() {
                return o;
            }
            entered = Some((self.run.icount(), vector, cause));
        }
    }

    /// Also sends every EXCEPTION/INTERRUPT checkpoint to `sink` (the
    /// trace and the record/replay door still get them).
    pub fn set_checkpoint_sink(&mut self, sink: Box<dyn lockstep_replay::CheckpointSink>) {
        self.observer = Some(sink);
    }
}
