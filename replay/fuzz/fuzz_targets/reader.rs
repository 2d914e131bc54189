//! Feeds arbitrary bytes to every way of reading a replay log: the reader
//! (as an iterator and record by record), the replay cursor, verify, stats
//! and both dump formats. None of them may panic, whatever the input; the
//! reader's bounds keep memory small (libFuzzer's -rss_limit_mb catches a
//! regression).

#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use lockstep_replay::{dump_reader, stats_reader, verify_reader, LogReader, ReplayCursor};

fuzz_target!(|data: &[u8]| {
    if let Ok(reader) = LogReader::new(data) {
        let mut last = 0;
        let mut failed = false;
        for item in reader {
            assert!(!failed, "the reader went on after an error");
            match item {
                Ok((icount, _event)) => {
                    assert!(icount >= last, "icounts must never go backwards");
                    last = icount;
                }
                Err(_) => failed = true,
            }
        }
    }
    if let Ok(reader) = LogReader::new(data) {
        let mut cursor = ReplayCursor::new(reader);
        while let Some(icount) = cursor.peek_icount() {
            assert!(cursor.next_due(icount).is_some());
        }
        assert!(
            cursor.end().is_some(),
            "an exhausted cursor knows how the log ended"
        );
    }
    let _ = verify_reader(data);
    let _ = stats_reader(data);
    let _ = dump_reader(data, &mut io::sink(), false);
    let _ = dump_reader(data, &mut io::sink(), true);
});
