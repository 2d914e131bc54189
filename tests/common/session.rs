//! Running the `lockstep` binary as a user would: with arguments, piped
//! consoles, and (for interactive guests) an expect-style conversation.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `lockstep` binary under test.
pub fn lockstep() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
}

/// Runs `lockstep` with `args` and no input.
pub fn run(args: &[&str]) -> Output {
    lockstep()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run lockstep")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A scratch directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let d = super::root().join("target/test-runs").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Debian's armmp kernel and the armhf busybox initramfs (Thumb-2 and
/// VFP code), as scripts/fetch-guest.sh leaves them in the cache.
pub fn linux_images() -> (PathBuf, PathBuf) {
    let (k, i, _) = all_linux_images();
    (k, i)
}

/// The kernel and the armel busybox initramfs (ARM code, no floating
/// point).
pub fn linux_images_armel() -> (PathBuf, PathBuf) {
    let (k, _, i) = all_linux_images();
    (k, i)
}

/// Debian's armmp-lpae kernel (long-descriptor translation tables) and
/// the armhf busybox initramfs.
pub fn linux_images_lpae() -> (PathBuf, PathBuf) {
    let (_, i, _) = all_linux_images();
    (i.with_file_name("vmlinuz-lpae"), i)
}

/// The image cache's directory for `arch` (as scripts/fetch-guest.sh
/// fills it).
fn guest_cache(arch: &str) -> PathBuf {
    let cache = std::env::var_os("LOCKSTEP_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|x| PathBuf::from(x).join("lockstep")))
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/lockstep")
        });
    cache.join("guest").join(arch)
}

/// Debian's 686 kernel (a bzImage) and the i386 busybox initramfs, from
/// `scripts/fetch-guest.sh --arch i386`.
pub fn linux_images_i386() -> (PathBuf, PathBuf) {
    let dir = guest_cache("i386");
    let (k, i) = (dir.join("vmlinuz"), dir.join("initrd.gz"));
    assert!(
        k.exists() && i.exists(),
        "no i386 guest images in {}: run scripts/fetch-guest.sh --arch i386 (scripts/test.sh does)",
        dir.display()
    );
    (k, i)
}

/// The arguments of a Linux boot on pc with `append` added to the
/// command line.
pub fn linux_args_i386(kernel: &Path, initrd: &Path, append: &str) -> Vec<String> {
    [
        "-M",
        "pc",
        "-m",
        "256M",
        "-kernel",
        kernel.to_str().unwrap(),
        "-initrd",
        initrd.to_str().unwrap(),
        "-append",
        &format!("console=ttyS0 {append}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn all_linux_images() -> (PathBuf, PathBuf, PathBuf) {
    let dir = guest_cache("arm");
    let (k, i, e) = (
        dir.join("vmlinuz"),
        dir.join("initrd.gz"),
        dir.join("initrd-armel.gz"),
    );
    assert!(
        k.exists() && i.exists() && e.exists() && dir.join("vmlinuz-lpae").exists(),
        "no guest images in {}: run scripts/fetch-guest.sh (scripts/test.sh does)",
        dir.display()
    );
    (k, i, e)
}

/// The arguments of a Linux boot on arm-virt with `append` added to the
/// command line.
pub fn linux_args(kernel: &Path, initrd: &Path, append: &str) -> Vec<String> {
    [
        "-M",
        "virt",
        "-m",
        "512M",
        "-kernel",
        kernel.to_str().unwrap(),
        "-initrd",
        initrd.to_str().unwrap(),
        "-append",
        &format!("console=ttyAMA0 {append}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A running `lockstep` whose console is read as it comes and written to
/// when the guest is ready, as an expect script does.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    seen: usize,
}

impl Session {
    /// Starts `lockstep` with `args`.
    pub fn start(args: &[String]) -> Session {
        let mut child = lockstep()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lockstep");
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut so = child.stdout.take().unwrap();
        let sink = Arc::clone(&out);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = so.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let stdin = child.stdin.take();
        Session {
            child,
            stdin,
            out,
            seen: 0,
        }
    }

    /// Waits until `text` appears after what was already waited for.
    pub fn expect(&mut self, text: &str, timeout: Duration) {
        let t0 = Instant::now();
        loop {
            {
                let out = self.out.lock().unwrap();
                let hay = &out[self.seen..];
                if let Some(p) = hay.windows(text.len()).position(|w| w == text.as_bytes()) {
                    self.seen += p + text.len();
                    return;
                }
            }
            if t0.elapsed() > timeout {
                let out = self.out.lock().unwrap();
                panic!(
                    "timed out waiting for {text:?}; the console ends with:\n{}",
                    String::from_utf8_lossy(&out[out.len().saturating_sub(2000)..])
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `text` at the console.
    pub fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes the console input and waits for the end: (status, stdout,
    /// stderr).
    pub fn finish(mut self, timeout: Duration) -> (Option<i32>, Vec<u8>, String) {
        drop(self.stdin.take());
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("lockstep did not stop within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        // Let the reader thread take the last bytes.
        std::thread::sleep(Duration::from_millis(50));
        let out = self.out.lock().unwrap().clone();
        (status.code(), out, err)
    }
}

/// Starts `lockstep record -o log` with `extra` options and a Linux
/// boot's arguments `boot` (whose command line asks for the shell), and
/// waits for the busybox shell's prompt.
pub fn record_shell(
    log: &Path,
    extra: &[&str],
    boot: Vec<String>,
    t: std::time::Duration,
) -> Session {
    let mut args: Vec<String> = ["record", "-o", log.to_str().unwrap()]
        .map(String::from)
        .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(boot);
    let mut s = Session::start(&args);
    s.expect("built-in shell", t);
    s.expect("# ", t);
    s
}

/// Boots in every execution mode (`boot(mode)` runs one, with `--stats`)
/// must each end with status 0, pass `check` on their console output,
/// and agree with the interpreter's on the output and on the final
/// instruction count and state digest.
pub fn assert_boots_agree(boot: impl Fn(&str) -> Output, check: impl Fn(&str)) {
    let runs: Vec<(&str, Output)> = ["interp", "jit", "tiered"]
        .into_iter()
        .map(|e| (e, boot(e)))
        .collect();
    for (exec, o) in &runs {
        assert_eq!(o.status.code(), Some(0), "{exec}: {}", stderr(o));
        check(&stdout(o));
    }
    let state = |o: &Output| {
        stderr(o)
            .lines()
            .filter(|l| l.contains("state at exit") || l.contains(" instructions in "))
            .map(|l| l.split(" in ").next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    for (exec, o) in &runs[1..] {
        assert_eq!(
            o.stdout, runs[0].1.stdout,
            "{exec} printed another kernel log than the interpreter"
        );
        assert_eq!(state(o), state(&runs[0].1), "{exec}: final state differs");
    }
}
