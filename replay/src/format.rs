//! The constants that define format version 1 of the replay log: magic
//! bytes, the version number, the framing sizes and every bound a reader
//! enforces before it allocates anything.
//!
//! `docs/replay-format.md` describes the same numbers in prose; a change to
//! any of them that an older reader would misread needs a new
//! [`FORMAT_VERSION`].

use std::time::Duration;

/// The first eight bytes of every log.
///
/// Like PNG's signature, it starts with a byte above 0x7f (catches transfers
/// that strip the eighth bit), holds a CR LF pair and a lone LF (catch
/// newline conversion) and a DOS end-of-file byte.
pub const MAGIC: [u8; 8] = *b"\x89LSR\r\n\x1a\n";

/// The format version this crate writes, and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Bytes before the header body: magic, version, body length, body CRC.
pub const PREAMBLE_LEN: u64 = 20;

/// Upper bound on the header body length (1 MiB).
pub const MAX_HEADER_LEN: u32 = 1 << 20;

/// Upper bound on any string stored in the log (64 KiB of UTF-8).
pub const MAX_STRING_LEN: usize = 64 << 10;

/// Bytes of framing before each chunk payload: payload length, payload
/// CRC, and the CRC of those two fields.
pub const FRAME_LEN: u64 = 12;

/// Upper bound on a chunk payload (1 MiB). A reader rejects a longer
/// length as corruption before reading the payload.
pub const MAX_CHUNK_LEN: u32 = 1 << 20;

/// Upper bound on the byte string carried by one event (serial input,
/// entropy): 256 KiB.
pub const MAX_EVENT_BYTES: usize = 256 << 10;

/// The payload size at which the writer closes a chunk by default (64 KiB).
pub const DEFAULT_CHUNK_TARGET: usize = 64 << 10;

/// The largest chunk target a writer accepts (512 KiB). With the largest
/// event on top of it a payload stays under [`MAX_CHUNK_LEN`].
pub const MAX_CHUNK_TARGET: usize = 512 << 10;

/// How long the writer keeps an event buffered before writing its chunk,
/// by default: a recorder killed at any moment loses at most this much of
/// host time's worth of events.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_millis(100);
