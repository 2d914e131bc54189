//! Chunks: the unit in which events reach the file.
//!
//! A chunk is a 12-byte frame — payload length, payload CRC, and a CRC of
//! those eight bytes — followed by the payload: the chunk's sequence
//! number, the icount it starts from (the previous chunk's last icount),
//! then whole events. A chunk is written with one `write` and read as a
//! whole: either every event in it is delivered or none is.
//!
//! The frame's own CRC is what lets a reader tell a file that was cut
//! short (the frame or payload simply stops) from a damaged length field
//! (the frame is all there but does not check out).

use crate::crc::crc32;
use crate::digest::StateDigest;
use crate::event::Event;
use crate::format::{FRAME_LEN, MAX_CHUNK_LEN};
use crate::wire::{self, Decoder, WireError};

/// The frame that precedes a payload.
pub(crate) fn frame(payload: &[u8]) -> [u8; FRAME_LEN as usize] {
    let mut out = [0u8; FRAME_LEN as usize];
    out[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    out[4..8].copy_from_slice(&crc32(payload).to_le_bytes());
    let check = crc32(&out[0..8]);
    out[8..12].copy_from_slice(&check.to_le_bytes());
    out
}

/// What a frame says about its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Payload length in bytes.
    pub len: u32,
    /// CRC-32 of the payload.
    pub crc: u32,
}

/// Checks a frame; on failure says what is wrong.
pub(crate) fn parse_frame(raw: &[u8; FRAME_LEN as usize]) -> Result<Frame, String> {
    let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let (len, crc, check) = (word(0), word(4), word(8));
    if crc32(&raw[0..8]) != check {
        return Err(format!(
            "chunk frame check mismatch (stored {check:#010x}, computed {:#010x})",
            crc32(&raw[0..8])
        ));
    }
    if len == 0 {
        return Err("empty chunk".into());
    }
    if len > MAX_CHUNK_LEN {
        return Err(format!(
            "chunk length {len} exceeds the limit of {MAX_CHUNK_LEN}"
        ));
    }
    Ok(Frame { len, crc })
}

/// Appends the start of a payload: sequence number and starting icount.
pub(crate) fn put_prologue(out: &mut Vec<u8>, seq: u64, base_icount: u64) {
    wire::put_varint(out, seq);
    wire::put_varint(out, base_icount);
}

/// What checking a payload found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Number of events.
    pub events: u64,
    /// Icount of the last event.
    pub last_icount: u64,
    /// The END record's digest, when the chunk ends the log.
    pub end_digest: Option<StateDigest>,
    /// Bytes taken by the sequence number and starting icount.
    pub prologue_len: usize,
}

/// One event as read from a chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub icount: u64,
    pub event: Event,
    /// Offset of the event in the payload.
    pub pos: usize,
    /// Bytes its encoding takes.
    pub len: usize,
}

/// A checked payload, handing out its events one at a time.
#[derive(Debug)]
pub(crate) struct Payload {
    bytes: Vec<u8>,
    pos: usize,
    icount: u64,
}

impl Payload {
    /// Checks every part of a payload that has passed its CRC: the sequence
    /// number, the starting icount, each event's encoding, that there is at
    /// least one event, and that END, if present, comes last.
    pub(crate) fn check(
        bytes: Vec<u8>,
        seq: u64,
        base_icount: u64,
    ) -> Result<(Payload, Summary), WireError> {
        let mut d = Decoder::new(&bytes);
        let found_seq = d.varint("chunk sequence number")?;
        if found_seq != seq {
            return Err(WireError::new(
                0,
                format!("chunk sequence number {found_seq} where {seq} was expected"),
            ));
        }
        let base_pos = d.pos();
        let found_base = d.varint("chunk starting icount")?;
        if found_base != base_icount {
            return Err(WireError::new(
                base_pos,
                format!(
                    "chunk starts from icount {found_base} but the previous chunk ended at icount {base_icount}"
                ),
            ));
        }
        let prologue_len = d.pos();
        let mut icount = base_icount;
        let mut events = 0;
        let mut end_digest = None;
        while d.remaining() > 0 {
            if end_digest.is_some() {
                return Err(WireError::new(d.pos(), "event after the END record"));
            }
            let (next, event) = Event::decode(&mut d, icount)?;
            icount = next;
            events += 1;
            if let Event::End { digest } = event {
                end_digest = Some(digest);
            }
        }
        if events == 0 {
            return Err(WireError::new(prologue_len, "chunk holds no event"));
        }
        let summary = Summary {
            events,
            last_icount: icount,
            end_digest,
            prologue_len,
        };
        let payload = Payload {
            bytes,
            pos: prologue_len,
            icount: base_icount,
        };
        Ok((payload, summary))
    }

    /// The next event, or `None` at the end of the payload.
    pub(crate) fn next_event(&mut self) -> Option<Decoded> {
        let rest = self.bytes.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let mut d = Decoder::new(rest);
        // The payload was checked, so decoding cannot fail; if it somehow
        // did, the chunk would simply end early rather than panic.
        let (icount, event) = Event::decode(&mut d, self.icount).ok()?;
        let decoded = Decoded {
            icount,
            event,
            pos: self.pos,
            len: d.pos(),
        };
        self.pos += d.pos();
        self.icount = icount;
        Some(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(seq: u64, base: u64, events: &[(u64, Event)]) -> Vec<u8> {
        let mut out = Vec::new();
        put_prologue(&mut out, seq, base);
        let mut last = base;
        for (icount, event) in events {
            event.encode(icount - last, &mut out);
            last = *icount;
        }
        out
    }

    #[test]
    fn frames_check_and_damaged_frames_do_not() {
        let raw = frame(b"abc");
        assert_eq!(
            parse_frame(&raw),
            Ok(Frame {
                len: 3,
                crc: crc32(b"abc")
            })
        );
        for i in 0..raw.len() {
            let mut bad = raw;
            bad[i] ^= 0x10;
            assert!(parse_frame(&bad).is_err(), "byte {i}");
        }
        assert!(parse_frame(&[0; 12]).is_err());
        assert!(parse_frame(&frame(b"")).is_err());
    }

    #[test]
    fn payload_events_come_back_in_order() {
        let digest = Event::Digest(StateDigest::default());
        let end = Event::End {
            digest: StateDigest::default(),
        };
        let bytes = payload(3, 100, &[(100, digest.clone()), (250, end.clone())]);
        let (mut p, summary) = Payload::check(bytes, 3, 100).unwrap();
        assert_eq!(summary.events, 2);
        assert_eq!(summary.last_icount, 250);
        assert_eq!(summary.end_digest, Some(StateDigest::default()));
        assert_eq!(
            p.next_event().map(|d| (d.icount, d.event)),
            Some((100, digest))
        );
        assert_eq!(
            p.next_event().map(|d| (d.icount, d.event)),
            Some((250, end))
        );
        assert_eq!(p.next_event(), None);
    }

    #[test]
    fn payload_checks_catch_misplaced_chunks() {
        let digest = Event::Digest(StateDigest::default());
        let end = Event::End {
            digest: StateDigest::default(),
        };
        let bytes = payload(3, 100, &[(120, digest.clone())]);
        assert!(Payload::check(bytes.clone(), 4, 100).is_err());
        assert!(Payload::check(bytes, 3, 99).is_err());
        assert!(Payload::check(payload(0, 0, &[]), 0, 0).is_err());
        let bytes = payload(0, 0, &[(1, end), (2, digest)]);
        let err = Payload::check(bytes, 0, 0).unwrap_err();
        assert!(err.what.contains("after the END"), "{err:?}");
    }
}
