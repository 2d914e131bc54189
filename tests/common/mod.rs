//! Shared helpers for the end-to-end tests: building the guest programs,
//! running them on Lockstep with captured consoles, and on QEMU.

#![allow(dead_code)]

pub mod randgen;
pub mod randgen_neon;
pub mod randgen_sys;
pub mod randgen_t32;
pub mod randgen_vfp;
pub mod randgen_x86;
pub mod session;

use lockstep::machine::{ArmVirt, Machine, MachineConfig, Outcome};
use lockstep_jit::engine::ExecMode;
use lockstep_runtime::arm::ArmCpu;
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::Mutex;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the guest programs are built.
pub fn guest_dir() -> PathBuf {
    std::env::var_os("LOCKSTEP_GUEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/guest"))
}

static BUILD: Mutex<bool> = Mutex::new(false);

/// Builds the guest programs (once per test binary). Fails with a clear
/// message when the cross toolchain is missing.
pub fn build_guests() -> PathBuf {
    let mut built = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if !*built {
        let cc = "arm-linux-gnueabihf-gcc";
        let found = Command::new(cc)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{cc} is not installed: run scripts/test.sh, which installs Debian's cross toolchain"
        );
        let out = Command::new("make")
            .args(["-s", "-C"])
            .arg(root().join("tests/guest"))
            .arg(format!("OUT={}", guest_dir().display()))
            .output()
            .expect("run make");
        assert!(
            out.status.success(),
            "building guest programs failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        *built = true;
    }
    guest_dir()
}

/// A guest test program's path.
pub fn guest(name: &str) -> PathBuf {
    build_guests().join("tests").join(format!("{name}.elf"))
}

/// An example workload's path.
pub fn example(name: &str) -> PathBuf {
    build_guests().join("examples").join(format!("{name}.elf"))
}

#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a Lockstep run leaves behind that the tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// Why it stopped.
    pub outcome: Outcome,
    /// UART output.
    pub uart: String,
    /// Semihosting console output.
    pub semihost: String,
    /// Instructions retired.
    pub icount: u64,
    /// Final CPU state.
    pub cpu: ArmCpu,
}

/// Builds the machine for `elf`.
pub fn machine(elf: &Path, exec: ExecMode) -> (ArmVirt, impl Fn() -> (String, String)) {
    machine_with(MachineConfig::bare_metal(elf, exec))
}

/// Builds the machine `cfg` describes, with captured consoles.
pub fn machine_with(cfg: MachineConfig) -> (ArmVirt, impl Fn() -> (String, String)) {
    let (uart, semi) = (Capture::default(), Capture::default());
    let m = ArmVirt::new(
        &cfg,
        Box::new(uart.clone()),
        Box::new(semi.clone()),
        lockstep::machine::HostIo::live(None),
    )
    .expect("machine starts");
    let read = move || {
        (
            String::from_utf8_lossy(&uart.0.borrow()).into_owned(),
            String::from_utf8_lossy(&semi.0.borrow()).into_owned(),
        )
    };
    (m, read)
}

/// Runs `elf` to completion (or `limit` instructions) on Lockstep.
pub fn run_lockstep(elf: &Path, exec: ExecMode, limit: Option<u64>) -> RunResult {
    let (mut m, read) = machine(elf, exec);
    let outcome = m.run(limit);
    let (uart, semihost) = read();
    RunResult {
        outcome,
        uart,
        semihost,
        icount: m.icount(),
        cpu: m.cpu().clone(),
    }
}

/// Every execution mode.
pub const MODES: [ExecMode; 3] = [ExecMode::Interp, ExecMode::Jit, ExecMode::Tiered];

/// Runs `elf` (at most `limit` instructions) in every execution mode and
/// asserts they agree on everything.
pub fn run_all_modes(elf: &Path, limit: Option<u64>) -> RunResult {
    let a = run_lockstep(elf, ExecMode::Interp, limit);
    for mode in &MODES[1..] {
        let b = run_lockstep(elf, *mode, limit);
        assert_eq!(
            a,
            b,
            "interpreter and {mode:?} disagree on {}",
            elf.display()
        );
    }
    a
}

/// Runs `elf` in every execution mode to completion; see [`run_all_modes`].
pub fn run_both(elf: &Path) -> RunResult {
    run_all_modes(elf, None)
}

/// What a run on any board leaves behind that tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRun {
    /// Why it stopped.
    pub outcome: Outcome,
    /// The console's output.
    pub uart: String,
    /// Instructions retired.
    pub icount: u64,
    /// The final state digest (CPU, RAM, console).
    pub digest: lockstep_replay::StateDigest,
    /// The EXCEPTION/INTERRUPT checkpoints, in order.
    pub checkpoints: Vec<lockstep_replay::Checkpoint>,
}

struct Collect(Rc<RefCell<Vec<lockstep_replay::Checkpoint>>>);

impl lockstep_replay::CheckpointSink for Collect {
    fn checkpoint(&mut self, c: lockstep_replay::Checkpoint) {
        self.0.borrow_mut().push(c);
    }
}

/// Runs the bare-metal program `elf` on `board` (`-M`) in mode `exec`.
pub fn run_on(board: &str, elf: &Path, exec: ExecMode, limit: Option<u64>) -> BoardRun {
    let mut cfg = MachineConfig::bare_metal(elf, exec);
    cfg.machine = board.to_string();
    cfg.semihosting = board == "arm-virt";
    let uart = Capture::default();
    let mut m = lockstep::machine::build(
        &cfg,
        Box::new(uart.clone()),
        Box::new(std::io::sink()),
        lockstep::machine::HostIo::live(None),
    )
    .expect("machine starts");
    let seen = Rc::new(RefCell::new(Vec::new()));
    m.set_checkpoint_sink(Box::new(Collect(Rc::clone(&seen))));
    let outcome = m.run(limit);
    let digest = m.state_digest();
    let uart = String::from_utf8_lossy(&uart.0.borrow()).into_owned();
    let checkpoints = seen.borrow().clone();
    BoardRun {
        outcome,
        uart,
        icount: m.icount(),
        digest,
        checkpoints,
    }
}

/// Runs `elf` on `board` in every mode; asserts they agree on everything
/// (output, outcome, icount, final digest, checkpoints).
pub fn run_on_all_modes(board: &str, elf: &Path, limit: Option<u64>) -> BoardRun {
    let a = run_on(board, elf, ExecMode::Interp, limit);
    for mode in &MODES[1..] {
        let b = run_on(board, elf, *mode, limit);
        assert_eq!(
            a,
            b,
            "interpreter and {mode:?} disagree on {}",
            elf.display()
        );
    }
    a
}

/// Output of a QEMU run: (exit status, stdout = UART, stderr = semihosting).
pub fn run_qemu(elf: &Path) -> Option<(i32, String, String)> {
    run_qemu_on("arm-virt", elf)
}

/// As [`run_qemu`], on QEMU's equivalent of `board`.
pub fn run_qemu_on(board: &str, elf: &Path) -> Option<(i32, String, String)> {
    let board = lockstep::machine::lookup(board).expect("a board");
    let (qemu, qemu_args) = lockstep::bench::qemu_bare_metal(board);
    if Command::new(qemu).arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{qemu} missing in CI: scripts/test.sh installs it"
        );
        eprintln!("note: {qemu} is not installed; skipping the QEMU comparison");
        return None;
    }
    let out = Command::new("timeout")
        .args(["60", qemu])
        .args(qemu_args)
        .arg(elf)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run qemu");
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Writes a minimal ELF whose code is `words`, loaded and entered at
/// 0x4010_0000, and returns its path (unique per `name`).
pub fn elf_from_words(name: &str, words: &[u32]) -> PathBuf {
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let e = lockstep::loader::elf::minimal_image(0x4010_0000, &code, 0);
    let dir = root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.elf"));
    std::fs::write(&path, e).unwrap();
    path
}

/// The first segment whose register dump (one line per segment, fields
/// separated by spaces) differs between `a` and `b`, naming the fields
/// that differ with `name` (field index to name).
pub fn first_dump_difference(a: &str, b: &str, name: impl Fn(usize) -> String) -> String {
    for (seg, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            let fields: Vec<String> = x
                .split_whitespace()
                .zip(y.split_whitespace())
                .enumerate()
                .filter(|(_, (p, q))| p != q)
                .map(|(i, (p, q))| format!("{} {p} vs {q}", name(i)))
                .collect();
            return format!("segment {seg}: {}", fields.join(", "));
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        a.lines().count(),
        b.lines().count()
    )
}
