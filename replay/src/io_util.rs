//! Reading helpers that tell a short read (the file ended) from an error.

use std::io::{self, Read};

/// Reads until `buf` is full or the input ends; returns how many bytes
/// were read. Retries reads interrupted by signals.
pub(crate) fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads to the end of `input`, stopping at the first block holding a
/// non-zero byte; returns whether everything read was zero, and how many
/// bytes were read. Memory use is constant.
pub(crate) fn rest_is_zero(input: &mut impl Read) -> io::Result<(bool, u64)> {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        let got = read_full(input, &mut buf)?;
        total += got as u64;
        if buf[..got].iter().any(|&b| b != 0) {
            return Ok((false, total));
        }
        if got < buf.len() {
            return Ok((true, total));
        }
    }
}
