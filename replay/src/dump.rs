//! Printing a log for people (one event per line) or for programs (JSON
//! lines).
//!
//! Text: the header's lines (`header …`, `config …`, `argv …`,
//! `image …`), then one line per event — icount, kind, fields, serial
//! bytes escaped (`"ls\r"`), entropy in hex — then a `# log …` line saying
//! how the log ended.
//!
//! JSON lines: one object per line, `{"type":"header",…}` first, then
//! `{"type":"event","icount":N,"kind":"…",…}` per event, then
//! `{"type":"end",…}`. Byte strings are hex (`"hex"`); serial input also
//! comes as `"text"`, a string whose code points U+0000–U+00FF stand for
//! the bytes of the same value. Hashes and program counters are hex
//! strings; counts, icounts and times are numbers.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;

use crate::error::{LogEnd, ReadError};
use crate::escape::{self, json_latin1, json_str};
use crate::event::Event;
use crate::format::FORMAT_VERSION;
use crate::header::Header;
use crate::reader::{open_file, LogReader, Record};
use crate::CheckpointKind;

/// Prints the log at `path` to `out`, as text or as JSON lines, and
/// returns how it ended. A damaged header is an error (nothing is
/// printed); a truncated or damaged log is printed up to the damage, then
/// its ending. Errors writing to `out` come back as [`ReadError::Io`].
pub fn dump(path: impl AsRef<Path>, out: &mut dyn Write, json: bool) -> Result<LogEnd, ReadError> {
    dump_reader(open_file(path.as_ref())?, out, json)
}

/// [`dump`] of a log read from `input`.
pub fn dump_reader(input: impl Read, out: &mut dyn Write, json: bool) -> Result<LogEnd, ReadError> {
    let mut reader = LogReader::new(input)?;
    if json {
        writeln!(out, "{}", json_header(reader.header(), reader.header_len()))?;
    } else {
        writeln!(out, "{}", reader.header())?;
    }
    while let Some(Ok(record)) = reader.next_record() {
        if json {
            writeln!(out, "{}", json_event(&record))?;
        } else {
            writeln!(out, "{} {}", record.icount, record.event)?;
        }
    }
    let end = reader.end().cloned().unwrap_or(LogEnd::Unreadable {
        offset: reader.bytes_read(),
        message: "reader stopped without saying why".into(),
        last_icount: reader.last_icount(),
    });
    if json {
        writeln!(out, "{}", json_end(&end, &reader))?;
    } else {
        writeln!(
            out,
            "# log {}; {} events in {} chunks",
            end,
            reader.events_read(),
            reader.chunks_read()
        )?;
    }
    out.flush()?;
    Ok(end)
}

fn json_header(header: &Header, len: u64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{{\"type\":\"header\",\"format\":{FORMAT_VERSION},\"bytes\":{len},\"lockstep\":"
    );
    json_str(&mut s, &header.lockstep_version);
    s.push_str(",\"config\":[");
    for (i, (key, value)) in header.config.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('[');
        json_str(&mut s, key);
        s.push(',');
        json_str(&mut s, value);
        s.push(']');
    }
    s.push_str("],\"argv\":[");
    for (i, arg) in header.argv.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        json_str(&mut s, arg);
    }
    let _ = write!(
        s,
        "],\"icount_shift\":{},\"digest_interval\":{},\"images\":[",
        header.icount_shift, header.digest_interval
    );
    for (i, image) in header.images.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"role\":");
        json_str(&mut s, &image.role);
        s.push_str(",\"path\":");
        json_str(&mut s, &image.path);
        let _ = write!(
            s,
            ",\"size\":{},\"sha256\":\"{}\"}}",
            image.size,
            escape::hex(&image.sha256)
        );
    }
    s.push_str("]}");
    s
}

fn json_event(record: &Record) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{{\"type\":\"event\",\"icount\":{},\"kind\":\"{}\"",
        record.icount,
        record.event.kind().name()
    );
    match &record.event {
        Event::SerialInput { device, bytes } => {
            let _ = write!(
                s,
                ",\"device\":{device},\"hex\":\"{}\",\"text\":",
                escape::hex(bytes)
            );
            json_latin1(&mut s, bytes);
        }
        Event::ClockRead { device, unix_ns } => {
            let _ = write!(s, ",\"device\":{device},\"unix_ns\":{unix_ns}");
        }
        Event::Registers { words } => {
            s.push_str(",\"words\":[");
            for (i, w) in words.iter().enumerate() {
                let _ = write!(s, "{}\"{w:#010x}\"", if i > 0 { "," } else { "" });
            }
            s.push(']');
        }
        Event::Entropy { device, bytes } => {
            let _ = write!(s, ",\"device\":{device},\"hex\":\"{}\"", escape::hex(bytes));
        }
        Event::Checkpoint(checkpoint) => {
            let vector = match checkpoint.kind {
                CheckpointKind::Exception { vector } | CheckpointKind::Interrupt { vector } => {
                    vector
                }
            };
            let _ = write!(s, ",\"vector\":{vector},\"pc\":\"{:#x}\"", checkpoint.pc);
        }
        Event::Digest(digest) | Event::End { digest } => {
            let _ = write!(
                s,
                ",\"cpu\":\"{:#018x}\",\"ram\":\"{:#018x}\",\"console\":\"{:#018x}\"",
                digest.cpu, digest.ram, digest.console
            );
        }
        Event::Shutdown { cause } => {
            s.push_str(",\"cause\":");
            json_str(&mut s, cause.name());
            match cause {
                crate::ShutdownCause::GuestExit { status } => {
                    let _ = write!(s, ",\"status\":{status}");
                }
                crate::ShutdownCause::Error { message } => {
                    s.push_str(",\"message\":");
                    json_str(&mut s, message);
                }
                _ => {}
            }
        }
    }
    s.push('}');
    s
}

fn json_end<R: Read>(end: &LogEnd, reader: &LogReader<R>) -> String {
    let mut s = String::from("{\"type\":\"end\",\"status\":");
    match end {
        LogEnd::Complete { final_icount, .. } => {
            let _ = write!(s, "\"complete\",\"final_icount\":{final_icount}");
        }
        LogEnd::Truncated {
            offset,
            last_icount,
        } => {
            let _ = write!(
                s,
                "\"truncated\",\"offset\":{offset},\"last_icount\":{last_icount}"
            );
        }
        LogEnd::Corrupt {
            chunk,
            offset,
            what,
            last_icount,
        } => {
            let _ = write!(
                s,
                "\"corrupt\",\"chunk\":{chunk},\"offset\":{offset},\"last_icount\":{last_icount},\"what\":"
            );
            json_str(&mut s, what);
        }
        LogEnd::Unreadable {
            offset,
            message,
            last_icount,
        } => {
            let _ = write!(
                s,
                "\"unreadable\",\"offset\":{offset},\"last_icount\":{last_icount},\"what\":"
            );
            json_str(&mut s, message);
        }
    }
    let _ = write!(
        s,
        ",\"events\":{},\"chunks\":{}}}",
        reader.events_read(),
        reader.chunks_read()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{is_json, sample_log, sample_log_events, FINAL_ICOUNT};

    fn dumped(bytes: &[u8], json: bool) -> (String, LogEnd) {
        let mut out = Vec::new();
        let end = dump_reader(bytes, &mut out, json).unwrap();
        (String::from_utf8(out).unwrap(), end)
    }

    #[test]
    fn text_dump_shows_header_then_one_line_per_event() {
        let (bytes, _) = sample_log(3);
        let (text, end) = dumped(&bytes, false);
        assert!(end.is_complete());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("header format=1 lockstep=\"0.1.0-test\" icount_shift=3"));
        assert!(lines.contains(&"config \"machine\"=\"arm-virt\""));
        assert!(lines.contains(
            &"argv \"lockstep\" \"-M\" \"virt\" \"-append\" \"console=ttyAMA0 \\\"quoted\\\"\""
        ));
        let events = sample_log_events();
        let first_event = lines.iter().position(|l| l.starts_with("0 clock")).unwrap();
        assert_eq!(lines.len(), first_event + events.len() + 1);
        assert_eq!(
            lines[first_event],
            "0 clock device=0 unix_ns=1700000000123456789"
        );
        assert_eq!(
            lines[first_event + 1],
            "10 serial-in device=0 bytes=\"ls\\r\""
        );
        assert_eq!(
            lines[first_event + 2],
            "10 entropy device=1 len=5 bytes=00ff800722"
        );
        assert_eq!(
            lines[first_event + 3],
            "1000 exception vector=2 pc=0x40001000"
        );
        assert!(lines.contains(
            &"1099511627777 shutdown cause=error message=\"bus error \\\"at\\\" 0x0\\n\""
        ));
        assert_eq!(
            lines[first_event + events.len() - 1],
            format!("{FINAL_ICOUNT} end cpu=0x000000000000c0c0 ram=0x000000000000feed console=0x000000000000beef")
        );
        assert!(lines
            .last()
            .unwrap()
            .starts_with("# log complete, final icount 1099511627786"));
    }

    #[test]
    fn json_dump_is_one_valid_object_per_line() {
        let (bytes, starts) = sample_log(3);
        let (text, _) = dumped(&bytes, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + sample_log_events().len() + 1);
        for line in &lines {
            assert!(is_json(line), "{line}");
        }
        assert!(lines[0].starts_with("{\"type\":\"header\",\"format\":1,"));
        assert!(lines[0].contains("\"argv\":[\"lockstep\",\"-M\",\"virt\",\"-append\",\"console=ttyAMA0 \\\"quoted\\\"\"]"));
        assert!(lines[0].contains("\"sha256\":\"0101"));
        assert_eq!(
            lines[2],
            "{\"type\":\"event\",\"icount\":10,\"kind\":\"serial-in\",\"device\":0,\"hex\":\"6c730d\",\"text\":\"ls\\r\"}"
        );
        assert_eq!(
            lines[3],
            "{\"type\":\"event\",\"icount\":10,\"kind\":\"entropy\",\"device\":1,\"hex\":\"00ff800722\"}"
        );
        assert!(lines
            .last()
            .unwrap()
            .starts_with("{\"type\":\"end\",\"status\":\"complete\","));

        // A cut log ends with its truncation, still valid JSON.
        let (text, end) = dumped(&bytes[..starts[2] as usize + 5], true);
        assert!(matches!(end, LogEnd::Truncated { .. }));
        let last = text.lines().last().unwrap();
        assert!(is_json(last), "{last}");
        assert!(last.contains("\"status\":\"truncated\""), "{last}");
    }

    #[test]
    fn json_strings_survive_any_bytes() {
        let mut header = crate::test_support::sample_header();
        header.argv = vec!["\u{0}\u{1f}\"\\\u{7f}\u{85}é\u{2028}".into()];
        let mut writer = crate::LogWriter::new(Vec::new(), &header).unwrap();
        let all: Vec<u8> = (0..=255).collect();
        writer
            .push(
                1,
                Event::SerialInput {
                    device: 0,
                    bytes: all,
                },
            )
            .unwrap();
        let bytes = writer.finish(2, Default::default()).unwrap();
        let (text, _) = dumped(&bytes, true);
        for line in text.lines() {
            assert!(is_json(line), "{line}");
        }
        let (text, _) = dumped(&bytes, false);
        assert!(text.is_ascii() || text.contains('é'));
    }

    #[test]
    fn a_damaged_header_prints_nothing() {
        let (mut bytes, _) = sample_log(3);
        bytes[25] ^= 1;
        let mut out = Vec::new();
        assert!(matches!(
            dump_reader(&bytes[..], &mut out, false),
            Err(ReadError::CorruptHeader { .. })
        ));
        assert!(out.is_empty());
    }
}
