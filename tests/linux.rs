//! Debian's stock armhf kernel (linux-image-*-armmp) with a busybox
//! initramfs on arm-virt: it boots to its marker and powers off through
//! PSCI under every execution mode, printing the same kernel log
//! (timestamps included: guest time is a function of the instruction
//! count); an interactive session with typed input is recorded and
//! replayed byte for byte across execution modes. The userland is
//! Debian's armhf busybox (Thumb-2 and VFP code); the armel one (ARM
//! code, no floating point) boots too, and so does the LPAE kernel.
//!
//! The images come from scripts/fetch-guest.sh (which scripts/test.sh
//! runs first).

mod common;

use common::session::{self, Session};
use std::time::Duration;

const T: Duration = Duration::from_secs(600);
/// A fixed time of day for the RTC, so runs can be compared whole.
const RTC: &str = "base=2026-01-01T00:00:00";

fn boot(exec: &str, extra: &[&str]) -> std::process::Output {
    let (k, i) = session::linux_images();
    boot_images(&k, &i, exec, extra)
}

/// Boots kernel `k` with initramfs `i`, no console input.
fn boot_images(
    k: &std::path::Path,
    i: &std::path::Path,
    exec: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["run".to_string()];
    args.extend(session::linux_args(k, i, ""));
    args.extend(["--exec", exec, "--no-input"].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    session::run(&a)
}

fn check_log(log: &str) {
    for needle in [
        "Machine model: Lockstep arm-virt",
        "psci: PSCIv1.0 detected in firmware.",
        "arch_timer: cp15 timer(s) running at 62.50MHz (virt).",
        "hw perfevents: enabled with armv7_cortex_a15 PMU driver, 7 counters available",
        "9000000.pl011: ttyAMA0 at MMIO 0x9000000",
        "rtc-pl031 9010000.pl031: registered as rtc0",
        "Run /init as init process",
        "reboot: Power down",
    ] {
        assert!(log.contains(needle), "missing {needle:?} in:\n{log}");
    }
    // The marker is a line of its own (the tty ends it with CR LF).
    assert!(
        log.lines().any(|l| l.trim_end() == "LOCKSTEP-BOOT-OK"),
        "no marker line in:\n{log}"
    );
    for bad in [
        "WARNING",
        "Oops",
        "BUG:",
        "Kernel panic",
        "Call trace",
        "------------[ cut here",
    ] {
        assert!(!log.contains(bad), "{bad:?} in:\n{log}");
    }
}

#[test]
fn boots_identically_under_the_interpreter_the_jit_and_tiered() {
    session::assert_boots_agree(|e| boot(e, &["-rtc", RTC, "--stats"]), check_log);
}

/// Boots kernel `k` with initramfs `i` (tiered) to its power off;
/// returns the console output.
fn boot_to_power_off(k: &std::path::Path, i: &std::path::Path) -> String {
    let o = boot_images(k, i, "tiered", &["-rtc", RTC]);
    assert_eq!(o.status.code(), Some(0), "{}", session::stderr(&o));
    session::stdout(&o)
}

#[test]
fn the_armel_userland_boots_too() {
    let (k, i) = session::linux_images_armel();
    check_log(&boot_to_power_off(&k, &i));
}

#[test]
fn the_lpae_kernel_boots_too() {
    // Debian's armmp-lpae build runs with TTBCR.EAE set: long-descriptor
    // translation tables for the kernel and every process.
    let (k, i) = session::linux_images_lpae();
    let log = boot_to_power_off(&k, &i);
    assert!(
        log.contains("Linux version 6.1.0-") && log.contains("-armmp-lpae "),
        "not the LPAE kernel:\n{log}"
    );
    check_log(&log);
}

#[test]
fn two_boots_agree_up_to_the_wall_clock_read() {
    // The host clock is read once, by the RTC; up to the line that reports
    // it the logs are the same, timestamps included. What the kernel does
    // after that may depend on the time of day it read (certificate
    // validity checks, for one), so with a fixed RTC base the whole log is
    // the same: the clock is the only input.
    let a = session::stdout(&boot("tiered", &[]));
    let b = session::stdout(&boot("tiered", &[]));
    check_log(&a);
    let upto = |s: &str| {
        s.lines()
            .take_while(|l| !l.contains("rtc-pl031 9010000.pl031: setting system clock"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(upto(&a).len() > 100);
    assert_eq!(upto(&a), upto(&b));
    let c = boot("tiered", &["-rtc", RTC]);
    let d = boot("tiered", &["-rtc", RTC]);
    assert_eq!(c.stdout, d.stdout);
}

/// Starts recording a boot into the busybox shell to `log` (with `extra`
/// options) and waits for its first prompt.
fn record_shell(log: &std::path::Path, extra: &[&str]) -> Session {
    let (k, i) = session::linux_images();
    session::record_shell(log, extra, session::linux_args(&k, &i, "lockstep.shell"), T)
}

#[test]
fn typed_shell_session_replays_byte_for_byte_across_modes() {
    let dir = session::scratch("linux-shell");
    let log = dir.join("shell.lsr");
    let mut s = record_shell(&log, &["--exec", "tiered"]);
    s.send("echo $((6*7))\n");
    s.expect("42", T);
    s.expect("# ", T);
    s.send("cat /proc/interrupts\n");
    s.expect("arch_timer", T);
    s.expect("# ", T);
    // Userland floating point (armhf: VFP) and a pipeline of processes.
    s.send("awk 'BEGIN{print 2/3, 1e308*10, -7/2, 0.1+0.2==0.3}'\n");
    s.expect("0.666667 inf -3.5 0", T);
    s.expect("# ", T);
    s.send("echo lockstep thumb vfp | tr a-z A-Z | rev | cut -c1-9\n");
    s.expect("PFV BMUHT", T);
    s.expect("# ", T);
    // The HWCAPs QEMU's cortex-a15 shows (less thumbee: no ThumbEE here).
    s.send("grep -o -w -E 'vfp|vfpv3|vfpv4|neon|vfpd32|idiva|idivt|thumb|half|lpae' /proc/cpuinfo | tr '\\n' ' '\n");
    s.expect("half thumb vfp neon vfpv3 vfpv4 idiva idivt vfpd32 lpae", T);
    s.expect("# ", T);
    s.send("poweroff -f\n");
    let (status, recorded, err) = s.finish(T);
    assert_eq!(status, Some(0), "{err}");
    let text = String::from_utf8_lossy(&recorded);
    assert!(text.contains("uart-pl011"), "{text}");
    assert!(text.contains("reboot: Power down"), "{text}");
    for exec in ["jit", "interp"] {
        let r = session::run(&["replay", log.to_str().unwrap(), "--exec", exec]);
        assert_eq!(r.status.code(), Some(0), "{exec}: {}", session::stderr(&r));
        assert_eq!(
            r.stdout, recorded,
            "{exec}: the replay printed something else"
        );
        assert!(session::stderr(&r).contains("replay complete"));
    }
}

#[test]
fn three_recorded_boots_replay_exactly_across_modes() {
    let (k, i) = session::linux_images();
    let dir = session::scratch("linux-cycles");
    // Recorded under one backend, replayed under another, both ways.
    for (n, (rec_mode, rep_mode)) in [("jit", "interp"), ("interp", "jit"), ("tiered", "tiered")]
        .into_iter()
        .enumerate()
    {
        let log = dir.join(format!("boot{n}.lsr"));
        let mut args = vec![
            "record",
            "-o",
            log.to_str().unwrap(),
            "--no-input",
            "--exec",
            rec_mode,
        ];
        let rest = session::linux_args(&k, &i, "");
        args.extend(rest.iter().map(String::as_str));
        let rec = session::run(&args);
        assert_eq!(rec.status.code(), Some(0), "{}", session::stderr(&rec));
        check_log(&session::stdout(&rec));
        let rep = session::run(&["replay", log.to_str().unwrap(), "--exec", rep_mode]);
        assert_eq!(rep.status.code(), Some(0), "{}", session::stderr(&rep));
        assert_eq!(rep.stdout, rec.stdout, "cycle {n}");
        let err = session::stderr(&rep);
        assert!(err.contains("replay complete"), "{err}");
        // A boot with no typed input logs almost nothing.
        let size = std::fs::metadata(&log).unwrap().len();
        assert!(size < 40_000, "a quiet boot logged {size} bytes");
    }
}

#[test]
fn virtio_disk_and_entropy_reach_the_guest_and_replay() {
    let (k, i) = session::linux_images();
    let dir = session::scratch("linux-virtio");
    // A disk of whole sectors with known contents.
    let disk = dir.join("disk.img");
    let data: Vec<u8> = (0..(1u32 << 20))
        .map(|n| (n.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&disk, &data).unwrap();
    let host_sha = {
        use sha2::Digest;
        let h: [u8; 32] = sha2::Sha256::digest(&data).into();
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let log = dir.join("virtio.lsr");
    let mut args = vec!["record", "-o", log.to_str().unwrap(), "--no-input"];
    let rest = session::linux_args(&k, &i, "lockstep.virtio");
    args.extend(rest.iter().map(String::as_str));
    args.extend(["--drive", disk.to_str().unwrap()]);
    let rec = session::run(&args);
    let out = session::stdout(&rec);
    assert_eq!(rec.status.code(), Some(0), "{}", session::stderr(&rec));
    assert!(
        out.contains(&format!("LOCKSTEP-DISK {host_sha} {}", data.len())),
        "{out}"
    );
    assert!(out.contains("LOCKSTEP-RNG "), "{out}");
    // The random bytes were logged, so the replay prints the same ones.
    let dump = session::stdout(&session::run(&["trace", "dump", log.to_str().unwrap()]));
    assert!(dump.contains("entropy device=2"), "{dump}");
    let rep = session::run(&["replay", log.to_str().unwrap(), "--exec", "jit"]);
    assert_eq!(rep.status.code(), Some(0), "{}", session::stderr(&rep));
    assert_eq!(rep.stdout, rec.stdout);
    // The image itself never changed.
    assert_eq!(std::fs::read(&disk).unwrap(), data);
}

#[test]
fn a_guest_reset_reboots_in_place_and_replays() {
    let (k, i) = session::linux_images();
    let dir = session::scratch("linux-reset");
    let log = dir.join("reset.lsr");
    let mut s = record_shell(&log, &[]);
    // PSCI SYSTEM_RESET: the same kernel boots again, on the same run.
    s.send("reboot -f\n");
    s.expect("Booting Linux on physical CPU", T);
    s.expect("built-in shell", T);
    s.expect("# ", T);
    s.send("poweroff -f\n");
    let (status, recorded, err) = s.finish(T);
    assert_eq!(status, Some(0), "{err}");
    let dump = session::stdout(&session::run(&["trace", "dump", log.to_str().unwrap()]));
    assert!(
        dump.contains("exception vector=0"),
        "the reset is a checkpoint"
    );
    let r = session::run(&["replay", log.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", session::stderr(&r));
    assert_eq!(r.stdout, recorded);
    // With -no-reboot the run ends at the reset, as QEMU's does.
    let mut args: Vec<String> = vec!["run".into(), "-no-reboot".into()];
    args.extend(session::linux_args(&k, &i, "lockstep.shell"));
    let mut s = Session::start(&args);
    s.expect("# ", T);
    s.send("reboot -f\n");
    let (status, _, err) = s.finish(T);
    assert_eq!(status, Some(0), "{err}");
    assert!(err.contains("the guest asked for a reset"), "{err}");
}
