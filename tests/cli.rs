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
        "virt",
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
        "not an ELF file",
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

#[test]
fn bad_options_are_clear_errors() {
    let elf = common::guest("hello");
    let elf = elf.to_str().unwrap();
    assert_clean_error(
        &lockstep(&["-M", "pc", "-kernel", elf]),
        "unknown machine 'pc'",
    );
    assert_clean_error(
        &lockstep(&["-m", "12Q", "-kernel", elf]),
        "invalid memory size",
    );
    assert_clean_error(
        &lockstep(&["-kernel", elf, "-initrd", "x"]),
        "Linux boot protocol",
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
