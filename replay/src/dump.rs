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
