//! Debian's stock 686 kernel (linux-image-*-686, a bzImage) with the
//! i386 busybox initramfs on the `pc` machine: it boots to its marker and
//! powers off through ACPI under every execution mode, printing the same
//! kernel log; a typed shell session (x87 arithmetic in awk, a
//! pipeline) is recorded and replayed byte for byte in another mode;
//! `reboot -f` resets the machine through the 8042.
//!
//! The images come from `scripts/fetch-guest.sh --arch i386` (which
//! scripts/test.sh runs first).

mod common;

use common::session::{self, Session};
use std::time::Duration;

const T: Duration = Duration::from_secs(900);
/// A fixed time of day for the RTC, so runs can be compared whole.
const RTC: &str = "base=2026-01-01T00:00:00";

fn boot(exec: &str, extra: &[&str]) -> std::process::Output {
    let (k, i) = session::linux_images_i386();
    let mut args = vec!["run".to_string()];
    args.extend(session::linux_args_i386(&k, &i, ""));
    args.extend(["--exec", exec, "--no-input"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    session::run(&a)
}

fn check_log(log: &str) {
    for needle in [
        "Linux version 6.1.0-",
        "x86/fpu: x87 FPU will use FSAVE",
        "tsc: Fast TSC calibration using PIT",
        "ACPI: PM-Timer IO Port: 0x608",
        "serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A",
        "rtc_cmos rtc_cmos: registered as rtc0",
        "Run /init as init process",
        "reboot: Power down",
    ] {
        assert!(log.contains(needle), "missing {needle:?} in:\n{log}");
    }
    assert!(
        log.lines().any(|l| l.trim_end() == "LOCKSTEP-BOOT-OK"),
        "no marker line in:\n{log}"
    );
    for bad in [
        "Oops",
        "BUG:",
        "Kernel panic",
        "Call Trace",
        "invalid opcode",
    ] {
        assert!(!log.contains(bad), "{bad:?} in:\n{log}");
    }
}

#[test]
fn boots_identically_under_the_interpreter_the_jit_and_tiered() {
    session::assert_boots_agree(|e| boot(e, &["-rtc", RTC, "--stats"]), check_log);
}

/// Starts recording a boot into the shell.
fn record_shell(log: &std::path::Path, extra: &[&str]) -> Session {
    let (k, i) = session::linux_images_i386();
    session::record_shell(
        log,
        extra,
        session::linux_args_i386(&k, &i, "lockstep.shell"),
        T,
    )
}

#[test]
fn typed_shell_session_replays_byte_for_byte_in_another_mode() {
    let dir = session::scratch("linux-i386-shell");
    let log = dir.join("shell.lsr");
    let mut s = record_shell(&log, &["--exec", "tiered"]);
    s.send("echo $((6*7))\n");
    s.expect("42", T);
    s.expect("# ", T);
    // Userland floating point: the x87.
    s.send("awk 'BEGIN{print 2/3, 1e308*10, -7/2, 0.1+0.2==0.3, 1e-300*1e-300}'\n");
    s.expect("0.666667 inf -3.5 0 0", T);
    s.expect("# ", T);
    s.send("echo lockstep on i386 | tr a-z A-Z | rev | cut -c1-9\n");
    s.expect("683I NO P", T);
    s.expect("# ", T);
    s.send(
        "grep -w flags /proc/cpuinfo | grep -o -w -E 'fpu|tsc|cx8|cmov|pse|pge' | tr '\\n' ' '\n",
    );
    s.expect("fpu pse tsc cx8 pge cmov", T);
    s.expect("# ", T);
    s.send("poweroff -f\n");
    let (status, recorded, err) = s.finish(T);
    assert_eq!(status, Some(0), "{err}");
    let text = String::from_utf8_lossy(&recorded);
    assert!(text.contains("reboot: Power down"), "{text}");
    let r = session::run(&["replay", log.to_str().unwrap(), "--exec", "jit"]);
    assert_eq!(r.status.code(), Some(0), "{}", session::stderr(&r));
    assert_eq!(r.stdout, recorded, "the replay printed something else");
    assert!(session::stderr(&r).contains("replay complete"));
}

#[test]
fn reboot_resets_through_the_keyboard_controller() {
    let dir = session::scratch("linux-i386-reboot");
    let log = dir.join("reboot.lsr");
    let mut s = record_shell(&log, &["--exec", "tiered", "-no-reboot"]);
    s.send("reboot -f\n");
    let (status, out, err) = s.finish(T);
    let text = String::from_utf8_lossy(&out);
    assert_eq!(status, Some(0), "{err}\n{text}");
    assert!(text.contains("reboot: Restarting system"), "{text}");
}

#[test]
fn too_little_memory_and_a_bad_image_are_clear_errors() {
    let (k, i) = session::linux_images_i386();
    let mut args = vec!["run".to_string()];
    args.extend(session::linux_args_i386(&k, &i, ""));
    // -m 16M instead of 256M.
    let m = args.iter().position(|a| a == "256M").unwrap();
    args[m] = "16M".into();
    args.push("--no-input".into());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = session::run(&a);
    let err = session::stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("MiB of RAM"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A bzImage cut short after its setup header.
    let dir = session::scratch("linux-i386-bad");
    let cut = dir.join("cut.bzImage");
    let bytes = std::fs::read(&k).unwrap();
    std::fs::write(&cut, &bytes[..0x800]).unwrap();
    let o = session::run(&[
        "run",
        "-M",
        "pc",
        "-kernel",
        cut.to_str().unwrap(),
        "--no-input",
    ]);
    let err = session::stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cut.bzImage"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
