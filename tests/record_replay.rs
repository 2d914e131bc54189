//! Record and replay of bare-metal guests: input fed through a pipe while
//! recording, replayed with no input in every execution mode; repeated
//! cycles; damaged, cut and mismatched logs; a perturbed input reported as
//! a divergence.

mod common;

use common::session::{self, Session};
use lockstep_replay::{Event, LogReader, LogWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

const T: Duration = Duration::from_secs(120);

/// `lockstep record` of the echo program into `log`.
fn echo_record_args(log: &Path) -> Vec<String> {
    let elf = common::guest("echo");
    [
        "record",
        "-o",
        log.to_str().unwrap(),
        "-M",
        "virt",
        "-semihosting",
        "-kernel",
        elf.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Records the echo program answering `lines` (sent one at a time, each
/// after the previous answer), then `q`. Returns (log, console output,
/// exit status).
fn record_echo(dir: &Path, name: &str, lines: &[&str]) -> (PathBuf, Vec<u8>, Option<i32>) {
    let log = dir.join(format!("{name}.lsr"));
    let mut s = Session::start(&echo_record_args(&log));
    s.expect("echo ready\n", T);
    for l in lines {
        s.send(&format!("{l}\n"));
        s.expect(" len=", T);
    }
    s.send("q");
    let (status, out, err) = s.finish(T);
    assert!(err.contains("lockstep: recorded"), "{err}");
    (log, out, status)
}

fn replay(log: &Path, exec: &str) -> std::process::Output {
    session::run(&["replay", log.to_str().unwrap(), "--exec", exec])
}

#[test]
fn serial_input_replays_byte_for_byte_in_every_mode() {
    let dir = session::scratch("rr-serial");
    let (log, out, status) = record_echo(&dir, "echo", &["hello", "world", "lockstep"]);
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("HELLO len=5"), "{text}");
    assert_eq!(status, Some(3));
    for exec in ["interp", "jit", "tiered"] {
        let r = replay(&log, exec);
        assert_eq!(r.status.code(), Some(3), "{exec}: {}", session::stderr(&r));
        assert_eq!(r.stdout, out, "{exec}: console output differs");
        assert!(
            session::stderr(&r).contains("replay complete"),
            "{exec}: {}",
            session::stderr(&r)
        );
    }
    let v = session::run(&["trace", "verify", log.to_str().unwrap()]);
    assert!(v.status.success(), "{}", session::stdout(&v));
    let d = session::run(&["trace", "dump", log.to_str().unwrap()]);
    assert!(
        session::stdout(&d).contains("serial-in device=0 bytes="),
        "{}",
        session::stdout(&d)
    );
    let j = session::run(&["trace", "dump", "--json", log.to_str().unwrap()]);
    assert!(session::stdout(&j)
        .lines()
        .all(|l| l.starts_with('{') && l.ends_with('}')));
    let st = session::run(&["trace", "stats", log.to_str().unwrap()]);
    assert!(session::stdout(&st).contains("bytes per 1000 instructions"));
}

#[test]
fn twenty_record_replay_cycles_all_match() {
    let dir = session::scratch("rr-cycles");
    for i in 0..20 {
        let (log, out, _) = record_echo(&dir, &format!("cycle{i}"), &["abc", "x"]);
        let r = replay(&log, if i % 2 == 0 { "interp" } else { "tiered" });
        assert_eq!(r.stdout, out, "cycle {i}");
        assert!(session::stderr(&r).contains("replay complete"), "cycle {i}");
    }
}

/// Rewrites `log` into `out`, changing events with `edit`.
fn rewrite(log: &Path, out: &Path, mut edit: impl FnMut(u64, Event) -> Event) {
    let mut r = LogReader::open(log).unwrap();
    let header = r.header().clone();
    let mut w = LogWriter::new(std::fs::File::create(out).unwrap(), &header).unwrap();
    let mut end = None;
    for rec in &mut r {
        let (icount, e) = rec.unwrap();
        match e {
            Event::End { digest } => end = Some((icount, digest)),
            e => w.push(icount, edit(icount, e)).unwrap(),
        }
    }
    let (icount, digest) = end.expect("a complete log");
    w.finish(icount, digest).unwrap();
}

#[test]
fn a_perturbed_input_is_reported_as_a_divergence() {
    let dir = session::scratch("rr-diverge");
    let (log, _, _) = record_echo(&dir, "echo", &["abc", "def"]);
    let bad = dir.join("perturbed.lsr");
    let mut at = None;
    rewrite(&log, &bad, |icount, e| match e {
        Event::SerialInput { device, mut bytes } if at.is_none() => {
            bytes[0] ^= 0x20;
            at = Some(icount);
            Event::SerialInput { device, bytes }
        }
        e => e,
    });
    let at = at.expect("the log has input");
    let r = replay(&bad, "tiered");
    let err = session::stderr(&r);
    assert_eq!(r.status.code(), Some(3), "{err}");
    assert!(err.contains("replay diverged"), "{err}");
    // The byte sits in the UART until the guest reads it; the first state
    // digest after that (the next input's) shows the difference.
    let reported: u64 = err
        .split("at instruction ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in: {err}"));
    assert!(reported > at, "{err}");
    assert!(err.contains("differ"), "{err}");
}

#[test]
fn damaged_cut_and_mismatched_logs_are_named() {
    let dir = session::scratch("rr-bad");
    let (log, out, _) = record_echo(&dir, "echo", &["one", "two", "three"]);
    let bytes = std::fs::read(&log).unwrap();
    let write = |name: &str, b: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    // A flipped byte in the header.
    let mut b = bytes.clone();
    b[30] ^= 0xff;
    let p = write("header.lsr", &b);
    let r = replay(&p, "tiered");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        session::stderr(&r).contains("header.lsr"),
        "{}",
        session::stderr(&r)
    );
    assert!(!session::stderr(&r).contains("panicked"));
    // Another format version.
    let mut b = bytes.clone();
    b[8] = 9;
    let p = write("version.lsr", &b);
    let r = replay(&p, "tiered");
    assert!(
        session::stderr(&r).to_lowercase().contains("version"),
        "{}",
        session::stderr(&r)
    );
    // A flipped byte in the last chunk (the END record's): the replay goes
    // as far as the log is good and says where it stopped.
    let mut b = bytes.clone();
    let n = b.len();
    b[n - 3] ^= 0x55;
    let p = write("end.lsr", &b);
    let v = session::run(&["trace", "verify", p.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(4));
    assert!(
        session::stdout(&v).contains("chunk"),
        "{}",
        session::stdout(&v)
    );
    let r = replay(&p, "interp");
    assert_eq!(r.status.code(), Some(4), "{}", session::stderr(&r));
    assert!(
        session::stderr(&r).contains("damaged"),
        "{}",
        session::stderr(&r)
    );
    // A log cut short: replayed up to its end, which is reported.
    let p = write("cut.lsr", &bytes[..bytes.len() - 40]);
    let r = replay(&p, "jit");
    assert_eq!(r.status.code(), Some(4), "{}", session::stderr(&r));
    assert!(
        session::stderr(&r).contains("cut short"),
        "{}",
        session::stderr(&r)
    );
    assert!(out.starts_with(&r.stdout[..r.stdout.len().min(10)]));
    // A changed kernel image: refused, naming the file.
    let elf = std::fs::read(common::guest("echo")).unwrap();
    let mut changed = elf.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let k = write("echo-changed.elf", &changed);
    let r = session::run(&[
        "replay",
        log.to_str().unwrap(),
        "--kernel",
        k.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        session::stderr(&r).contains("echo-changed.elf: this kernel differs from the one recorded"),
        "{}",
        session::stderr(&r)
    );
    // The same bytes somewhere else are fine.
    let k = write("echo-moved.elf", &elf);
    let r = session::run(&[
        "replay",
        log.to_str().unwrap(),
        "--kernel",
        k.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(3), "{}", session::stderr(&r));
    // A missing image.
    let r = session::run(&[
        "replay",
        log.to_str().unwrap(),
        "--kernel",
        "/nonexistent/k.elf",
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        session::stderr(&r).contains("/nonexistent/k.elf"),
        "{}",
        session::stderr(&r)
    );
    // Not a log at all.
    let p = write("text.lsr", b"hello");
    let r = replay(&p, "tiered");
    assert_eq!(r.status.code(), Some(1));
    assert!(
        session::stderr(&r).contains("text.lsr"),
        "{}",
        session::stderr(&r)
    );
}

#[test]
fn a_killed_recorder_leaves_a_log_that_replays_up_to_where_it_ends() {
    let dir = session::scratch("rr-killed");
    let log = dir.join("killed.lsr");
    let mut s = Session::start(&echo_record_args(&log));
    s.expect("echo ready\n", T);
    s.send("first\n");
    s.expect(" len=", T);
    s.send("second\n");
    s.expect(" len=", T);
    // Wait until the recorder has flushed the second line's input and
    // something after it (a periodic digest, taken while the guest polls
    // on), then kill it with no chance to finish the log. A replay goes as
    // far as the log's last event: past the answer to the second line.
    let flushed_past_input = || -> bool {
        let Ok(r) = LogReader::open(&log) else {
            return false;
        };
        let events: Vec<(u64, Event)> = r.filter_map(Result::ok).collect();
        let mut input = Vec::new();
        let mut done_at = None;
        for (icount, e) in &events {
            if let Event::SerialInput { bytes, .. } = e {
                input.extend_from_slice(bytes);
                if input.ends_with(b"second\n") {
                    done_at = Some(*icount);
                }
            }
        }
        done_at.is_some_and(|at| events.iter().any(|(i, _)| *i > at))
    };
    let t0 = std::time::Instant::now();
    while !flushed_past_input() {
        assert!(t0.elapsed() < T, "the recorder never flushed its input");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.kill();
    let v = session::run(&["trace", "verify", log.to_str().unwrap()]);
    let report = session::stdout(&v);
    assert_eq!(v.status.code(), Some(4), "{report}");
    assert!(
        report.contains("truncated") || report.contains("cut"),
        "{report}"
    );
    let r = replay(&log, "tiered");
    let err = session::stderr(&r);
    assert_eq!(r.status.code(), Some(4), "{err}");
    assert!(err.contains("cut short"), "{err}");
    let out = session::stdout(&r);
    assert!(
        out.contains("FIRST len=5") && out.contains("SECOND len=6"),
        "{out}"
    );
}
