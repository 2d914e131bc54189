//! Fixtures shared by the tests: a sample header, one event of every kind,
//! and logs built from them.

use crate::digest::StateDigest;
use crate::event::{Event, ShutdownCause};
use crate::header::{Header, ImageInfo};
use crate::writer::{FlushPolicy, LogWriter};
use crate::{Checkpoint, CheckpointKind};

/// A header with something in every field.
pub(crate) fn sample_header() -> Header {
    Header {
        lockstep_version: "0.1.0-test".into(),
        config: vec![
            ("machine".into(), "arm-virt".into()),
            ("ram".into(), "128M".into()),
            ("exec".into(), "jit".into()),
        ],
        argv: vec![
            "lockstep".into(),
            "-M".into(),
            "virt".into(),
            "-append".into(),
            "console=ttyAMA0 \"quoted\"".into(),
        ],
        icount_shift: 3,
        digest_interval: 1_000_000,
        images: vec![
            ImageInfo {
                role: "kernel".into(),
                path: "vmlinuz".into(),
                size: 5_000_000,
                sha256: [1; 32],
            },
            ImageInfo {
                role: "initrd".into(),
                path: "/tmp/initrd.gz".into(),
                size: 1234,
                sha256: [0xab; 32],
            },
        ],
    }
}

/// One event of every kind but END, with the icounts to push them at
/// (some equal, some far apart).
pub(crate) fn sample_events() -> Vec<(u64, Event)> {
    let checkpoint = |icount, kind, pc| Event::Checkpoint(Checkpoint { icount, kind, pc });
    vec![
        (
            0,
            Event::ClockRead {
                device: 0,
                unix_ns: 1_700_000_000_123_456_789,
            },
        ),
        (
            10,
            Event::SerialInput {
                device: 0,
                bytes: b"ls\r".to_vec(),
            },
        ),
        (
            10,
            Event::Entropy {
                device: 1,
                bytes: vec![0, 0xff, 0x80, 7, 0x22],
            },
        ),
        (
            1_000,
            checkpoint(1_000, CheckpointKind::Exception { vector: 2 }, 0x4000_1000),
        ),
        (
            1_000_000,
            Event::Registers {
                words: vec![0, 1, 0xffff_ffff, 0x4000_0000],
            },
        ),
        (
            1_000_000,
            Event::Digest(StateDigest {
                cpu: 1,
                ram: u64::MAX,
                console: 0x1234,
            }),
        ),
        (
            1_000_007,
            checkpoint(
                1_000_007,
                CheckpointKind::Interrupt { vector: 27 },
                0xffff_ffff_ffff_fff0,
            ),
        ),
        (
            1 << 40,
            Event::SerialInput {
                device: 3,
                bytes: Vec::new(),
            },
        ),
        (
            (1 << 40) + 1,
            Event::Shutdown {
                cause: ShutdownCause::GuestExit { status: -1 },
            },
        ),
        (
            (1 << 40) + 1,
            Event::Shutdown {
                cause: ShutdownCause::Error {
                    message: "bus error \"at\" 0x0\n".into(),
                },
            },
        ),
        (
            (1 << 40) + 2,
            Event::Shutdown {
                cause: ShutdownCause::PowerOff,
            },
        ),
        (
            (1 << 40) + 2,
            Event::Shutdown {
                cause: ShutdownCause::Reset,
            },
        ),
        (
            (1 << 40) + 2,
            Event::Shutdown {
                cause: ShutdownCause::InstructionLimit,
            },
        ),
        (
            (1 << 40) + 3,
            Event::Shutdown {
                cause: ShutdownCause::HostRequest,
            },
        ),
    ]
}

/// The digest [`sample_log`] ends with.
pub(crate) const FINAL_DIGEST: StateDigest = StateDigest {
    cpu: 0xc0c0,
    ram: 0xfeed,
    console: 0xbeef,
};

/// Final icount of [`sample_log`].
pub(crate) const FINAL_ICOUNT: u64 = (1 << 40) + 10;

/// A complete log of [`sample_events`], `per_chunk` events to a chunk
/// (the last chunk holds what is left and END); returns the bytes and the
/// offset where each chunk starts.
pub(crate) fn sample_log(per_chunk: usize) -> (Vec<u8>, Vec<u64>) {
    let policy = FlushPolicy {
        max_age: None,
        ..FlushPolicy::default()
    };
    let mut writer = LogWriter::with_policy(Vec::new(), &sample_header(), policy).unwrap();
    let mut starts = vec![writer.bytes_written()];
    for (i, (icount, event)) in sample_events().into_iter().enumerate() {
        writer.push(icount, event).unwrap();
        if (i + 1) % per_chunk == 0 {
            writer.flush().unwrap();
            starts.push(writer.bytes_written());
        }
    }
    let bytes = writer.finish(FINAL_ICOUNT, FINAL_DIGEST).unwrap();
    (bytes, starts)
}

/// Every event of a complete [`sample_log`], END included.
pub(crate) fn sample_log_events() -> Vec<(u64, Event)> {
    let mut events = sample_events();
    events.push((
        FINAL_ICOUNT,
        Event::End {
            digest: FINAL_DIGEST,
        },
    ));
    events
}

/// A small seeded xorshift generator, so property tests are repeatable.
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        XorShift(seed | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..bound` (`bound` > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Checks that `text` is one JSON value (RFC 8259 syntax), nothing else.
pub(crate) fn is_json(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut pos = 0;
    json_value(bytes, &mut pos, 0) && {
        json_ws(bytes, &mut pos);
        pos == bytes.len()
    }
}

fn json_ws(b: &[u8], pos: &mut usize) {
    while *pos < b.len() && matches!(b[*pos], b' ' | b'\t' | b'\n' | b'\r') {
        *pos += 1;
    }
}

fn json_value(b: &[u8], pos: &mut usize, depth: usize) -> bool {
    json_ws(b, pos);
    if depth > 64 || *pos >= b.len() {
        return false;
    }
    match b[*pos] {
        b'{' => {
            *pos += 1;
            json_ws(b, pos);
            if b.get(*pos) == Some(&b'}') {
                *pos += 1;
                return true;
            }
            loop {
                json_ws(b, pos);
                if !json_string(b, pos) {
                    return false;
                }
                json_ws(b, pos);
                if b.get(*pos) != Some(&b':') {
                    return false;
                }
                *pos += 1;
                if !json_value(b, pos, depth + 1) {
                    return false;
                }
                json_ws(b, pos);
                match b.get(*pos) {
                    Some(b',') => *pos += 1,
                    Some(b'}') => {
                        *pos += 1;
                        return true;
                    }
                    _ => return false,
                }
            }
        }
        b'[' => {
            *pos += 1;
            json_ws(b, pos);
            if b.get(*pos) == Some(&b']') {
                *pos += 1;
                return true;
            }
            loop {
                if !json_value(b, pos, depth + 1) {
                    return false;
                }
                json_ws(b, pos);
                match b.get(*pos) {
                    Some(b',') => *pos += 1,
                    Some(b']') => {
                        *pos += 1;
                        return true;
                    }
                    _ => return false,
                }
            }
        }
        b'"' => json_string(b, pos),
        b't' | b'f' | b'n' => {
            for word in [&b"true"[..], b"false", b"null"] {
                if b[*pos..].starts_with(word) {
                    *pos += word.len();
                    return true;
                }
            }
            false
        }
        _ => json_number(b, pos),
    }
}

fn json_string(b: &[u8], pos: &mut usize) -> bool {
    if b.get(*pos) != Some(&b'"') {
        return false;
    }
    *pos += 1;
    while let Some(&c) = b.get(*pos) {
        *pos += 1;
        match c {
            b'"' => return true,
            b'\\' => match b.get(*pos) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => *pos += 1,
                Some(b'u') => {
                    let hex = b.get(*pos + 1..*pos + 5);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return false;
                    }
                    *pos += 5;
                }
                _ => return false,
            },
            0..=0x1f => return false,
            _ => {}
        }
    }
    false
}

fn json_number(b: &[u8], pos: &mut usize) -> bool {
    let start = *pos;
    if b.get(*pos) == Some(&b'-') {
        *pos += 1;
    }
    let digits = |pos: &mut usize| {
        let s = *pos;
        while b.get(*pos).is_some_and(u8::is_ascii_digit) {
            *pos += 1;
        }
        *pos > s
    };
    if !digits(pos) {
        return false;
    }
    if b[start..*pos].starts_with(b"0") && *pos - start > 1
        || b[start..*pos].starts_with(b"-0") && *pos - start > 2
    {
        return false;
    }
    if b.get(*pos) == Some(&b'.') {
        *pos += 1;
        if !digits(pos) {
            return false;
        }
    }
    if matches!(b.get(*pos), Some(b'e' | b'E')) {
        *pos += 1;
        if matches!(b.get(*pos), Some(b'+' | b'-')) {
            *pos += 1;
        }
        if !digits(pos) {
            return false;
        }
    }
    true
}

#[test]
fn the_json_checker_knows_json() {
    for good in [
        r#"{"a":[1,-2.5e3,"x\u00e9\n",true,null,{}]}"#,
        "[]",
        "0",
        r#""\"""#,
    ] {
        assert!(is_json(good), "{good}");
    }
    for bad in [
        r#"{"a":}"#,
        "[1,]",
        "01",
        r#""\u12""#,
        r#""\x41""#,
        "\"a\u{1}\"",
        "{} {}",
        "tru",
    ] {
        assert!(!is_json(bad), "{bad}");
    }
}
