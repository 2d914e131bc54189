//! The command line: QEMU spellings, exit statuses, and clear errors for
//! bad input — never a panic.

mod common;

use std::process::{Command, Output};

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .expect("run lockstep")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_clean_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_qemu_command_line_runs_with_only_the_binary_name_changed() {
    let elf = common::guest("hello");
    let o = lockstep(&[
        "-M",
        "virt,gic-version=2,highmem=off,secure=off,virtualization=off",
        "-cpu",
        "cortex-a15",
        "-nographic",
        "-semihosting",
        "-kernel",
        elf.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "the guest's exit status: {}",
        stderr(&o)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "hello from the UART\n-12345 deadbeef\n"
    );
    assert_eq!(stderr(&o), "hello from semihosting\n");
    let o = lockstep(&[
        "run",
        "--machine",
        "arm-virt",
        "--kernel",
        elf.to_str().unwrap(),
        "--semihosting",
        "--exec",
        "interp",
    ]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn missing_and_malformed_images_are_clear_errors() {
    assert_clean_error(
        &lockstep(&["-kernel", "/nonexistent/prog.elf"]),
        "/nonexistent/prog.elf: cannot read",
    );
    let dir = common::root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("not-elf.bin");
    std::fs::write(&text, b"this is not an executable").unwrap();
    assert_clean_error(
        &lockstep(&["-kernel", text.to_str().unwrap()]),
        "not-elf.bin: 25 bytes is neither an ELF file, a zImage nor a plausible kernel Image",
    );
    let good = std::fs::read(common::guest("hello")).unwrap();
    let cut = dir.join("truncated.elf");
    std::fs::write(&cut, &good[..40]).unwrap();
    assert_clean_error(
        &lockstep(&["-kernel", cut.to_str().unwrap()]),
        "truncated.elf: offset",
    );
    let cut = dir.join("truncated-data.elf");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    assert_clean_error(
        &lockstep(&["-kernel", cut.to_str().unwrap()]),
        "lies outside the file",
    );
}

/// A file that passes for a zImage (its header), `len` bytes long.
fn fake_zimage(dir: &std::path::Path, len: usize) -> std::path::PathBuf {
    let mut z = vec![0u8; len];
    z[0x24..0x28].copy_from_slice(&0x016f_2818u32.to_le_bytes());
    z[0x2c..0x30].copy_from_slice(&(len as u32).to_le_bytes());
    let p = dir.join("fake-zimage");
    std::fs::write(&p, z).unwrap();
    p
}

#[test]
fn linux_boot_inputs_that_cannot_work_are_named() {
    let dir = common::root().join("target/test-elves");
    std::fs::create_dir_all(&dir).unwrap();
    let z = fake_zimage(&dir, 64 << 10);
    let z = z.to_str().unwrap();
    assert_clean_error(
        &lockstep(&["-kernel", z, "-initrd", "/nonexistent/initrd.gz"]),
        "/nonexistent/initrd.gz: cannot read the initrd",
    );
    let big = dir.join("big-initrd");
    std::fs::write(&big, vec![0u8; 5 << 20]).unwrap();
    assert_clean_error(
        &lockstep(&["-m", "8M", "-kernel", z, "-initrd", big.to_str().unwrap()]),
        "big-initrd: the initrd (5242880 bytes) does not fit in RAM",
    );
    let bad_dtb = dir.join("bad.dtb");
    std::fs::write(&bad_dtb, b"\xd0\x0d\xfe\xed but not really").unwrap();
    assert_clean_error(
        &lockstep(&["-kernel", z, "-dtb", bad_dtb.to_str().unwrap()]),
        "bad.dtb: header says 543323508 bytes (offset 4) but the file has 19",
    );
    let gz = dir.join("vmlinux.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    assert_clean_error(
        &lockstep(&["-kernel", gz.to_str().unwrap()]),
        "vmlinux.gz: a gzip file",
    );
}

#[test]
fn bad_options_are_clear_errors() {
    let elf = common::guest("hello");
    let elf = elf.to_str().unwrap();
    assert_clean_error(
        &lockstep(&["-M", "sun4u", "-kernel", elf]),
        "unknown machine 'sun4u'",
    );
    // An ARM program on the PC: not a multiboot image.
    assert_clean_error(
        &lockstep(&["-M", "pc", "-kernel", elf]),
        "pc boots multiboot ELF images",
    );
    assert_clean_error(
        &lockstep(&["-M", "virt,gic-version=3", "-kernel", elf]),
        "arm-virt: gic-version=3: arm-virt has a GICv2 (gic-version=2)",
    );
    assert_clean_error(
        &lockstep(&["-M", "virt,secure=on", "-kernel", elf]),
        "secure=on: there are no Security Extensions",
    );
    assert_clean_error(
        &lockstep(&["-M", "virt,frobnicate=1", "-kernel", elf]),
        "arm-virt: unknown machine property 'frobnicate' (accepted: gic-version,",
    );
    assert_clean_error(
        &lockstep(&["-M", "virt", "-cpu", "cortex-a9", "-kernel", elf]),
        "unknown CPU 'cortex-a9' for arm-virt (available: cortex-a15, max)",
    );
    assert_clean_error(
        &lockstep(&["-m", "12Q", "-kernel", elf]),
        "invalid memory size",
    );
    assert_clean_error(
        &lockstep(&["-kernel", elf, "-initrd", "x"]),
        "-initrd and -dtb need a Linux zImage or Image",
    );
    assert_clean_error(
        &lockstep(&["-kernel", elf, "-d", "nonsense"]),
        "unknown trace",
    );
    let o = lockstep(&["--help"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("bench"));
}

#[test]
fn guest_level_stops_exit_with_status_2_and_a_report() {
    let elf = common::elf_from_words("cli-undef", &[0xe7f0_00f0]); // udf #0
    let o = lockstep(&["-kernel", elf.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("UNDEF at pc 0x40100000: encoding 0xe7f000f0"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn max_insns_stops_exactly_and_stats_report_it() {
    let elf = common::example("sieve");
    let o = lockstep(&[
        "-kernel",
        elf.to_str().unwrap(),
        "--max-insns",
        "123457",
        "--stats",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("123457 instructions"), "{}", stderr(&o));
}
