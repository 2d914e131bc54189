//! [`ReplayCursor`]: the replaying machine's view of a log — what the next
//! event is and when it is due, one event at a time, and how the log ended
//! once there are no more.
//!
//! The run loop asks [`peek_icount`](ReplayCursor::peek_icount) to set its
//! instruction budget so the guest stops exactly there, then takes every
//! event due at that icount with [`next_due`](ReplayCursor::next_due).
//! When no event is left, [`end`](ReplayCursor::end) tells a complete log
//! (its END record was the last event) from one that was cut short or
//! damaged; in the latter cases the replay is exact up to
//! [`LogEnd::last_icount`] and no further.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{LogEnd, ReadError};
use crate::event::Event;
use crate::header::Header;
use crate::reader::{LogReader, Record};

/// A log being replayed, read one event ahead.
#[derive(Debug)]
pub struct ReplayCursor<R> {
    reader: LogReader<R>,
    next: Option<Record>,
    last_taken: Option<u64>,
}

impl ReplayCursor<BufReader<File>> {
    /// Opens the log at `path`, checks its header and reads its first
    /// event.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ReadError> {
        Ok(ReplayCursor::new(LogReader::open(path)?))
    }
}

impl<R: Read> ReplayCursor<R> {
    /// A cursor over `reader`'s remaining events.
    pub fn new(reader: LogReader<R>) -> Self {
        let mut cursor = ReplayCursor {
            reader,
            next: None,
            last_taken: None,
        };
        cursor.fill();
        cursor
    }

    fn fill(&mut self) {
        // An error ends the events; the reader keeps it as its `end`.
        self.next = match self.reader.next_record() {
            Some(Ok(record)) => Some(record),
            Some(Err(_)) | None => None,
        };
    }

    /// The log's header.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// Icount of the next event, or `None` when no event is left.
    pub fn peek_icount(&self) -> Option<u64> {
        self.next.as_ref().map(|record| record.icount)
    }

    /// The next event and its icount, without taking it.
    pub fn peek(&self) -> Option<(u64, &Event)> {
        self.next
            .as_ref()
            .map(|record| (record.icount, &record.event))
    }

    /// The next event with its place in the file, without taking it.
    pub fn peek_record(&self) -> Option<&Record> {
        self.next.as_ref()
    }

    /// Takes the next event.
    pub fn next_event(&mut self) -> Option<(u64, Event)> {
        let record = self.next.take()?;
        self.last_taken = Some(record.icount);
        self.fill();
        Some((record.icount, record.event))
    }

    /// Takes the next event if it is due at `icount`. Events due earlier
    /// than `icount` are not taken: the machine ran past them, which is a
    /// divergence for the caller to report.
    pub fn next_due(&mut self, icount: u64) -> Option<Event> {
        if self.peek_icount() == Some(icount) {
            self.next_event().map(|(_, event)| event)
        } else {
            None
        }
    }

    /// Icount of the last event taken.
    pub fn last_taken(&self) -> Option<u64> {
        self.last_taken
    }

    /// How the log ended; `Some` exactly when no event is left.
    pub fn end(&self) -> Option<&LogEnd> {
        if self.next.is_some() {
            None
        } else {
            self.reader.end()
        }
    }

    /// The reader underneath (statistics, header length).
    pub fn reader(&self) -> &LogReader<R> {
        &self.reader
    }
}
