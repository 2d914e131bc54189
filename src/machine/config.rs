//! How to build a machine: what every board takes from the command line
//! or a recording's header.

use lockstep_jit::engine::{ExecMode, TraceOptions};
use std::path::{Path, PathBuf};

/// How to build the machine.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// The board's canonical name (see [`super::BOARDS`]).
    pub machine: String,
    /// RAM size in bytes.
    pub memory: u64,
    /// The image to load: a bare-metal ELF, or a Linux kernel.
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
    /// Whether the CPU's semihosting calls are served.
    pub semihosting: bool,
    /// Interpreter, JIT or tiered.
    pub exec: ExecMode,
    /// What to trace.
    pub trace: TraceOptions,
    /// Executable memory for compiled code.
    pub jit_code_bytes: usize,
}

impl MachineConfig {
    /// A bare-metal run of `kernel` on the default board (arm-virt):
    /// 128 MiB, semihosting on, no traces.
    pub fn bare_metal(kernel: &Path, exec: ExecMode) -> Self {
        MachineConfig {
            machine: super::DEFAULT_MACHINE.to_string(),
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
