//! Whole-log tests: round trips, damage and truncation at every byte,
//! other format versions, and arbitrary input through every entry point
//! with a bound on memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io;

use crate::chunk;
use crate::format::{FORMAT_VERSION, MAGIC, MAX_CHUNK_LEN, MAX_HEADER_LEN};
use crate::test_support::*;
use crate::wire;
use crate::{
    dump_reader, stats_reader, verify_reader, Event, EventKind, LogEnd, LogReader, ReadError,
    ReplayCursor,
};

// ---- memory accounting ------------------------------------------------------

/// Counts the bytes live on each thread so a test can bound what one call
/// allocates.
struct CountingAlloc;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + size;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn note_free(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every call is passed straight to the system allocator; the
// bookkeeping only touches thread-local counters and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Runs `f` and returns the most bytes it had allocated at once on this
/// thread.
fn peak_bytes(f: impl FnOnce()) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    f();
    PEAK.with(Cell::get) - base
}

// ---- helpers ------------------------------------------------------------

/// Reads `bytes` to the end: the events delivered and the error that
/// stopped the reader, if any.
type ReadAll = (Vec<(u64, Event)>, Option<ReadError>);

fn read_all(bytes: &[u8]) -> Result<ReadAll, ReadError> {
    let reader = LogReader::new(bytes)?;
    let mut events = Vec::new();
    for item in reader {
        match item {
            Ok(event) => events.push(event),
            Err(e) => return Ok((events, Some(e))),
        }
    }
    Ok((events, None))
}

/// Runs every entry point on `bytes`; none may panic.
fn exercise_everything(bytes: &[u8]) {
    let _ = read_all(bytes);
    let _ = verify_reader(bytes);
    let _ = stats_reader(bytes);
    let _ = dump_reader(bytes, &mut io::sink(), false);
    let _ = dump_reader(bytes, &mut io::sink(), true);
    if let Ok(reader) = LogReader::new(bytes) {
        let mut cursor = ReplayCursor::new(reader);
        while let Some(icount) = cursor.peek_icount() {
            assert!(cursor.next_due(icount).is_some());
        }
        assert!(cursor.end().is_some());
    }
}

/// Number of sample events in the first `chunks` chunks of `sample_log(per_chunk)`.
fn events_before(chunks: usize, per_chunk: usize) -> usize {
    (chunks * per_chunk).min(sample_events().len())
}

// ---- round trips --------------------------------------------------------

#[test]
fn every_event_kind_round_trips_at_any_chunking() {
    let expected = sample_log_events();
    let kinds: std::collections::BTreeSet<_> = expected.iter().map(|(_, e)| e.kind()).collect();
    assert_eq!(
        kinds.len(),
        EventKind::ALL.len(),
        "the sample covers every kind"
    );
    for per_chunk in [1, 2, 3, 5, 100] {
        let (bytes, starts) = sample_log(per_chunk);
        let mut reader = LogReader::new(&bytes[..]).unwrap();
        assert_eq!(reader.header(), &sample_header());
        let mut got = Vec::new();
        let mut chunks_seen = Vec::new();
        while let Some(record) = reader.next_record() {
            let record = record.unwrap();
            chunks_seen.push(record.chunk);
            got.push((record.icount, record.event));
        }
        assert_eq!(got, expected, "{per_chunk} per chunk");
        assert_eq!(reader.chunks_read(), starts.len() as u64);
        assert_eq!(*chunks_seen.last().unwrap(), starts.len() as u64 - 1);
        assert_eq!(
            reader.end(),
            Some(&LogEnd::Complete {
                final_icount: FINAL_ICOUNT,
                digest: FINAL_DIGEST
            })
        );
    }
}

#[test]
fn replay_cursor_walks_the_log() {
    let (bytes, _) = sample_log(4);
    let mut cursor = ReplayCursor::new(LogReader::new(&bytes[..]).unwrap());
    assert_eq!(cursor.header().config_value("ram"), Some("128M"));
    assert_eq!(cursor.peek_icount(), Some(0));
    assert!(cursor.next_due(0).is_some());
    assert_eq!(cursor.peek_icount(), Some(10));
    assert_eq!(cursor.next_due(9), None, "not due yet");
    assert!(cursor.next_due(10).is_some());
    assert!(cursor.next_due(10).is_some(), "two events at one icount");
    assert_eq!(cursor.last_taken(), Some(10));
    assert_eq!(cursor.end(), None);
    let mut last = None;
    while let Some((icount, event)) = cursor.next_event() {
        last = Some((icount, event));
    }
    assert_eq!(
        last,
        Some((
            FINAL_ICOUNT,
            Event::End {
                digest: FINAL_DIGEST
            }
        ))
    );
    assert!(cursor.end().unwrap().is_complete());
    assert_eq!(cursor.end().unwrap().last_icount(), FINAL_ICOUNT);
}

// ---- damage -------------------------------------------------------------

#[test]
fn a_flipped_header_byte_is_a_header_error() {
    let (bytes, starts) = sample_log(3);
    let header_len = starts[0] as usize;
    for i in 0..header_len {
        for mask in [0x01, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= mask;
            let err = read_all(&bad).unwrap_err();
            match (i, &err) {
                (0..8, ReadError::NotALog) => {}
                (8..12, ReadError::UnsupportedVersion { found, supported }) => {
                    assert_ne!(*found, FORMAT_VERSION);
                    assert_eq!(*supported, FORMAT_VERSION);
                }
                (12.., ReadError::CorruptHeader { offset, .. }) => {
                    assert!(*offset >= 12 && *offset <= bad.len() as u64, "{err}")
                }
                _ => panic!("byte {i} mask {mask:#x}: {err:?}"),
            }
        }
    }
}

/// Flips every byte of chunk `k` and checks the reader delivers the
/// chunks before it, then names chunk `k` and its offset.
fn check_damaged_chunk(per_chunk: usize, k: usize) {
    let (bytes, starts) = sample_log(per_chunk);
    let start = starts[k] as usize;
    let end = starts.get(k + 1).map_or(bytes.len(), |&s| s as usize);
    let expected = &sample_log_events()[..events_before(k, per_chunk)];
    for i in start..end {
        for mask in [0x01, 0x40, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= mask;
            let (events, err) = read_all(&bad).unwrap();
            assert_eq!(events, expected, "byte {i}");
            match err {
                Some(ReadError::CorruptChunk { chunk, offset, .. }) => {
                    assert_eq!(chunk, k as u64, "byte {i}");
                    assert_eq!(offset, start as u64, "byte {i}");
                }
                other => panic!("byte {i} mask {mask:#x}: {other:?}"),
            }
            let report = verify_reader(&bad[..]).unwrap();
            assert!(matches!(report.end, LogEnd::Corrupt { chunk, .. } if chunk == k as u64));
            assert_eq!(report.events, expected.len() as u64);
        }
    }
}

#[test]
fn a_flipped_byte_in_a_middle_chunk_names_that_chunk() {
    let (_, starts) = sample_log(3);
    assert!(starts.len() >= 4);
    check_damaged_chunk(3, 0);
    check_damaged_chunk(3, 2);
}

#[test]
fn a_flipped_byte_in_the_end_chunk_names_that_chunk() {
    let (_, starts) = sample_log(3);
    check_damaged_chunk(3, starts.len() - 1);
    // END alone in its chunk.
    let (_, starts) = sample_log(1);
    check_damaged_chunk(1, starts.len() - 1);
}

#[test]
fn data_after_end_is_corruption() {
    let (mut bytes, starts) = sample_log(3);
    let len = bytes.len() as u64;
    bytes.push(0);
    let (events, err) = read_all(&bytes).unwrap();
    assert_eq!(events, sample_log_events(), "the END chunk itself is sound");
    match err {
        Some(ReadError::CorruptChunk { chunk, offset, .. }) => {
            assert_eq!(chunk, starts.len() as u64);
            assert_eq!(offset, len);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wrong_chunk_with_valid_crcs_is_still_caught() {
    // Chunk 1 removed: chunk 2's sequence number and starting icount no
    // longer follow chunk 0.
    let (bytes, starts) = sample_log(3);
    let mut bad = bytes[..starts[1] as usize].to_vec();
    bad.extend_from_slice(&bytes[starts[2] as usize..]);
    let (events, err) = read_all(&bad).unwrap();
    assert_eq!(events.len(), 3);
    assert!(
        matches!(err, Some(ReadError::CorruptChunk { chunk: 1, offset, .. }) if offset == starts[1] + 12),
        "{err:?}"
    );
}

// ---- truncation ---------------------------------------------------------

#[test]
fn a_log_cut_at_every_byte_gives_a_prefix_then_truncated() {
    for per_chunk in [1, 3] {
        let (bytes, starts) = sample_log(per_chunk);
        let all = sample_log_events();
        for cut in 0..=bytes.len() {
            let piece = &bytes[..cut];
            if cut < starts[0] as usize {
                assert!(
                    matches!(read_all(piece), Err(ReadError::CorruptHeader { .. })),
                    "cut {cut}"
                );
                assert!(verify_reader(piece).is_err());
                continue;
            }
            let complete_chunks = starts[1..]
                .iter()
                .chain([&(bytes.len() as u64)])
                .filter(|&&end| end <= cut as u64)
                .count();
            let (events, err) = read_all(piece).unwrap();
            if cut == bytes.len() {
                assert_eq!(events, all);
                assert!(err.is_none());
                continue;
            }
            let expected = &all[..events_before(complete_chunks, per_chunk)];
            assert_eq!(events, expected, "cut {cut}");
            let last_good = expected.last().map_or(0, |(icount, _)| *icount);
            match err {
                Some(ReadError::Truncated {
                    offset,
                    last_icount,
                }) => {
                    assert_eq!(offset, starts[complete_chunks], "cut {cut}");
                    assert_eq!(last_icount, last_good, "cut {cut}");
                }
                other => panic!("cut {cut}: {other:?}"),
            }
            let report = verify_reader(piece).unwrap();
            assert_eq!(report.events, expected.len() as u64);
            assert_eq!(report.final_icount, last_good);
            assert!(matches!(report.end, LogEnd::Truncated { .. }));
            let stats = stats_reader(piece).unwrap();
            assert_eq!(stats.total_bytes, cut as u64);
            exercise_everything(piece);
        }
    }
}

#[test]
fn zeros_after_the_last_chunk_read_as_truncation() {
    // What a file system can leave after a crash: the file was extended
    // but the data never reached the disk.
    let (bytes, starts) = sample_log(3);
    for zeros in [12, 100, 5000, 9000] {
        let mut log = bytes[..starts[2] as usize].to_vec();
        log.extend(std::iter::repeat_n(0u8, zeros));
        let (events, err) = read_all(&log).unwrap();
        assert_eq!(events.len(), 6);
        assert!(
            matches!(err, Some(ReadError::Truncated { offset, .. }) if offset == starts[2]),
            "{err:?}"
        );
        assert_eq!(
            stats_reader(&log[..]).unwrap().total_bytes,
            log.len() as u64
        );
    }
    // Zeros followed by anything else are damage.
    let mut log = bytes[..starts[2] as usize].to_vec();
    log.extend(std::iter::repeat_n(0u8, 5000));
    log.push(1);
    let (_, err) = read_all(&log).unwrap();
    assert!(
        matches!(err, Some(ReadError::CorruptChunk { chunk: 2, .. })),
        "{err:?}"
    );
}

// ---- versions -----------------------------------------------------------

#[test]
fn another_format_version_is_unsupported() {
    let (mut bytes, _) = sample_log(3);
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    assert!(matches!(
        read_all(&bytes),
        Err(ReadError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    ));
    // A future version may change everything after the version field.
    let mut future = MAGIC.to_vec();
    future.extend_from_slice(&7u32.to_le_bytes());
    future.extend_from_slice(b"whatever version 7 holds");
    let err = read_all(&future).unwrap_err();
    assert!(matches!(
        err,
        ReadError::UnsupportedVersion { found: 7, .. }
    ));
    assert!(err.to_string().contains("version 7"));
    assert!(matches!(read_all(b"#!/bin/sh\n"), Err(ReadError::NotALog)));
}

// ---- arbitrary input ----------------------------------------------------

/// A random payload that passes the CRCs, so the event decoder sees it.
fn random_chunk(rng: &mut XorShift, seq: u64, base: u64) -> Vec<u8> {
    let mut payload = Vec::new();
    chunk::put_prologue(&mut payload, seq, base);
    let samples = sample_events();
    for _ in 0..rng.below(6) {
        match rng.below(6) {
            // A genuine event.
            4 | 5 => {
                let (_, event) = &samples[rng.below(samples.len() as u64) as usize];
                event.encode(rng.below(100), &mut payload);
            }
            // A plausible start: a tag, a delta, then random fields.
            0 | 1 => {
                payload.push(rng.below(10) as u8);
                wire::put_varint(&mut payload, rng.below(1000));
                let n = rng.below(40) as usize;
                payload.extend(rng.bytes(n));
            }
            // A huge length where a byte string goes.
            2 => {
                payload.push(if rng.below(2) == 0 { 1 } else { 3 });
                payload.push(0);
                payload.push(0);
                wire::put_varint(&mut payload, rng.next_u64() >> rng.below(64));
            }
            _ => {
                let n = rng.below(20) as usize;
                payload.extend(rng.bytes(n));
            }
        }
    }
    let mut out = chunk::frame(&payload).to_vec();
    out.extend(payload);
    out
}

/// A header body of random fields (sometimes with huge counts) behind a
/// valid preamble.
fn random_header(rng: &mut XorShift) -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..rng.below(8) {
        match rng.below(3) {
            0 => wire::put_varint(&mut body, rng.next_u64() >> rng.below(64)),
            1 => {
                let n = rng.below(10) as usize;
                wire::put_bytes(&mut body, &rng.bytes(n));
            }
            _ => {
                let n = rng.below(40) as usize;
                body.extend(rng.bytes(n));
            }
        }
    }
    let mut out = MAGIC.to_vec();
    wire::put_u32(&mut out, FORMAT_VERSION);
    wire::put_u32(&mut out, body.len() as u32);
    wire::put_u32(&mut out, crate::crc::crc32(&body));
    out.extend(body);
    out
}

fn mutate(rng: &mut XorShift, bytes: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        if bytes.is_empty() {
            bytes.push(rng.next_u64() as u8);
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(7) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next_u64() as u8,
            2 => bytes.truncate(at),
            3 => {
                let n = rng.below(16) as usize;
                let extra = rng.bytes(n);
                bytes.splice(at..at, extra);
            }
            4 => {
                let end = (at + rng.below(16) as usize).min(bytes.len());
                bytes.drain(at..end);
            }
            // A big number where a length might be.
            5 => {
                let big = [u32::MAX, MAX_CHUNK_LEN, MAX_CHUNK_LEN + 1, MAX_HEADER_LEN]
                    [rng.below(4) as usize];
                let end = (at + 4).min(bytes.len());
                let raw = big.to_le_bytes();
                bytes.splice(at..end, raw[..end - at].iter().copied());
            }
            _ => {
                // Duplicate a stretch (a chunk repeated, say).
                let end = (at + rng.below(64) as usize).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.extend(copy);
            }
        }
    }
}

#[test]
fn arbitrary_input_never_panics_and_stays_in_bounded_memory() {
    let (valid3, _) = sample_log(3);
    let (valid1, _) = sample_log(1);
    let mut rng = XorShift::new(0x5eed_1234_abcd_ef01);
    let limit = 4 * MAX_CHUNK_LEN as usize + 4 * MAX_HEADER_LEN as usize;
    // How deep the inputs got: some must deliver events, some must fail
    // inside a chunk that passed its CRCs (in the event decoder).
    let (mut delivered, mut decoder_errors, mut headers_read) = (0, 0, 0);
    for round in 0..12_000 {
        let input = match round % 6 {
            0 => {
                let n = rng.below(300) as usize;
                rng.bytes(n)
            }
            1 => {
                let mut v = MAGIC.to_vec();
                v.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
                let n = rng.below(300) as usize;
                v.extend(rng.bytes(n));
                v
            }
            2 => {
                let mut v = if rng.below(2) == 0 {
                    valid3.clone()
                } else {
                    valid1.clone()
                };
                mutate(&mut rng, &mut v);
                v
            }
            3 => {
                let mut v = random_header(&mut rng);
                if rng.below(2) == 0 {
                    mutate(&mut rng, &mut v);
                }
                v
            }
            _ => {
                // A valid header, then chunks whose CRCs hold but whose
                // contents are random.
                let (_, starts) = sample_log(3);
                let mut v = valid3[..starts[0] as usize].to_vec();
                let mut base = 0;
                for seq in 0..=rng.below(4) {
                    v.extend(random_chunk(&mut rng, seq, base));
                    base += rng.below(3);
                }
                if rng.below(4) == 0 {
                    mutate(&mut rng, &mut v);
                }
                v
            }
        };
        let peak = peak_bytes(|| exercise_everything(&input));
        assert!(peak < limit, "round {round}: {peak} bytes at once");
        if let Ok((events, err)) = read_all(&input) {
            headers_read += 1;
            delivered += usize::from(!events.is_empty());
            if let Some(ReadError::CorruptChunk { what, .. }) = err {
                decoder_errors += usize::from(!what.contains("CRC") && !what.contains("frame"));
            }
        }
    }
    assert!(headers_read > 3000, "{headers_read}");
    assert!(delivered > 500, "{delivered}");
    assert!(decoder_errors > 1000, "{decoder_errors}");
}

#[test]
fn huge_claimed_lengths_allocate_little() {
    // A chunk frame that claims the largest payload allowed, in a file that
    // holds a few bytes of it.
    let (bytes, starts) = sample_log(3);
    let mut log = bytes[..starts[1] as usize].to_vec();
    let payload = vec![7u8; 1000];
    let mut frame = chunk::frame(&payload);
    frame[0..4].copy_from_slice(&MAX_CHUNK_LEN.to_le_bytes());
    let check = crate::crc::crc32(&frame[0..8]);
    frame[8..12].copy_from_slice(&check.to_le_bytes());
    log.extend_from_slice(&frame);
    log.extend_from_slice(&payload);
    let peak = peak_bytes(|| {
        let (events, err) = read_all(&log).unwrap();
        assert_eq!(events.len(), 3);
        assert!(matches!(err, Some(ReadError::Truncated { .. })));
    });
    assert!(peak < 64 * 1024, "{peak}");
}
