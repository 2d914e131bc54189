//! Where a log's bytes go: count and encoded size per event kind, the
//! header, the chunk framing, and the log's density in bytes per thousand
//! guest instructions.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{LogEnd, ReadError};
use crate::event::EventKind;
use crate::reader::LogReader;

/// Count and bytes of one kind of event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindStats {
    /// Events of this kind.
    pub count: u64,
    /// Bytes their encodings take (tag, icount delta and fields).
    pub bytes: u64,
}

/// What [`stats`] measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Per kind, indexed by [`EventKind::index`]; see [`Stats::kind`].
    pub kinds: [KindStats; EventKind::ALL.len()],
    /// Bytes the header takes.
    pub header_bytes: u64,
    /// Complete chunks.
    pub chunks: u64,
    /// Bytes of chunk framing: frames, sequence numbers, starting icounts.
    pub framing_bytes: u64,
    /// Size of the whole file.
    pub total_bytes: u64,
    /// Final icount of a complete log, else the last event's.
    pub final_icount: u64,
    /// How the log ended.
    pub end: LogEnd,
}

impl Stats {
    /// The figures for one kind.
    pub fn kind(&self, kind: EventKind) -> KindStats {
        self.kinds[kind.index()]
    }

    /// Events of every kind.
    pub fn events(&self) -> u64 {
        self.kinds.iter().map(|k| k.count).sum()
    }

    /// Bytes of every event.
    pub fn event_bytes(&self) -> u64 {
        self.kinds.iter().map(|k| k.bytes).sum()
    }

    /// Bytes that belong to no complete chunk (a partial chunk at the end,
    /// or everything from a damaged chunk on).
    pub fn unused_bytes(&self) -> u64 {
        self.total_bytes
            .saturating_sub(self.header_bytes + self.framing_bytes + self.event_bytes())
    }

    /// File bytes per thousand guest instructions; `None` for a log with a
    /// final icount of 0.
    pub fn bytes_per_kilo_instruction(&self) -> Option<f64> {
        (self.final_icount > 0).then(|| self.total_bytes as f64 * 1000.0 / self.final_icount as f64)
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<12} {:>12} {:>14}", "kind", "count", "bytes")?;
        for kind in EventKind::ALL {
            let k = self.kind(kind);
            writeln!(f, "{:<12} {:>12} {:>14}", kind.name(), k.count, k.bytes)?;
        }
        writeln!(
            f,
            "{:<12} {:>12} {:>14}",
            "events",
            self.events(),
            self.event_bytes()
        )?;
        writeln!(f, "{:<12} {:>12} {:>14}", "header", "", self.header_bytes)?;
        writeln!(
            f,
            "{:<12} {:>12} {:>14}",
            "framing", self.chunks, self.framing_bytes
        )?;
        if self.unused_bytes() > 0 {
            writeln!(f, "{:<12} {:>12} {:>14}", "unused", "", self.unused_bytes())?;
        }
        writeln!(f, "{:<12} {:>12} {:>14}", "total", "", self.total_bytes)?;
        writeln!(f, "final icount {}", self.final_icount)?;
        match self.bytes_per_kilo_instruction() {
            Some(density) if density >= 0.01 => {
                writeln!(f, "bytes per 1000 instructions {density:.3}")?
            }
            Some(density) => writeln!(f, "bytes per 1000 instructions {density:.3e}")?,
            None => writeln!(f, "bytes per 1000 instructions -")?,
        }
        write!(f, "log {}", self.end)
    }
}

/// Measures the log at `path`. A damaged or unreadable header is an error;
/// for a truncated or damaged log the figures cover what could be read.
pub fn stats(path: impl AsRef<Path>) -> Result<Stats, ReadError> {
    stats_reader(crate::reader::open_file(path.as_ref())?)
}

/// [`stats`] on a log read from `input`, which is read to its end.
pub fn stats_reader(input: impl Read) -> Result<Stats, ReadError> {
    let mut reader = LogReader::new(input)?;
    let mut kinds = [KindStats::default(); EventKind::ALL.len()];
    while let Some(Ok(record)) = reader.next_record() {
        let k = &mut kinds[record.event.kind().index()];
        k.count += 1;
        k.bytes += record.encoded_len;
    }
    let end = reader.end().cloned().unwrap_or(LogEnd::Unreadable {
        offset: reader.bytes_read(),
        message: "reader stopped without saying why".into(),
        last_icount: reader.last_icount(),
    });
    let mut total_bytes = reader.bytes_read();
    let (header_bytes, chunks, framing_bytes) = (
        reader.header_len(),
        reader.chunks_read(),
        reader.framing_bytes(),
    );
    // Count what the reader left unread (after damage), in constant memory.
    let mut rest = reader.into_inner();
    if let Ok(n) = io::copy(&mut rest, &mut io::sink()) {
        total_bytes += n;
    }
    Ok(Stats {
        kinds,
        header_bytes,
        chunks,
        framing_bytes,
        total_bytes,
        final_icount: end.last_icount(),
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{sample_log, FINAL_ICOUNT};

    #[test]
    fn the_parts_add_up_to_the_file() {
        let (bytes, starts) = sample_log(3);
        let stats = stats_reader(&bytes[..]).unwrap();
        assert_eq!(stats.total_bytes, bytes.len() as u64);
        assert_eq!(stats.header_bytes, starts[0]);
        assert_eq!(stats.chunks, starts.len() as u64);
        assert_eq!(stats.unused_bytes(), 0);
        assert_eq!(
            stats.header_bytes + stats.framing_bytes + stats.event_bytes(),
            stats.total_bytes
        );
        assert_eq!(stats.kind(EventKind::Shutdown).count, 6);
        assert_eq!(stats.kind(EventKind::SerialInput).count, 2);
        assert_eq!(stats.kind(EventKind::End).count, 1);
        assert_eq!(stats.kind(EventKind::End).bytes, 1 + 1 + 24);
        assert_eq!(stats.final_icount, FINAL_ICOUNT);
        let density = stats.bytes_per_kilo_instruction().unwrap();
        assert!((density - bytes.len() as f64 * 1000.0 / FINAL_ICOUNT as f64).abs() < 1e-12);
        let text = stats.to_string();
        assert!(text.contains("serial-in"), "{text}");
        assert!(text.contains("bytes per 1000 instructions"), "{text}");
        assert!(text.ends_with(&format!("log {}", stats.end)), "{text}");
    }

    #[test]
    fn a_cut_log_counts_its_unused_tail() {
        let (bytes, starts) = sample_log(3);
        let cut = starts[2] as usize + 7;
        let stats = stats_reader(&bytes[..cut]).unwrap();
        assert_eq!(stats.total_bytes, cut as u64);
        assert_eq!(stats.unused_bytes(), 7);
        assert_eq!(stats.events(), 6);
        assert!(!stats.end.is_complete());
        assert!(stats.to_string().contains("unused"));
    }
}
