//! LEB128 variable-length unsigned integers, the log's encoding for icount
//! deltas and lengths: small numbers (the common case) take one byte.

use thiserror::Error;

/// A varint could not be decoded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum VarintError {
    /// The input ended in the middle of a number.
    #[error("varint truncated at byte {0}")]
    Truncated(usize),
    /// More than 64 bits of payload.
    #[error("varint overflows 64 bits at byte {0}")]
    Overflow(usize),
}

/// Appends `value` to `out`.
pub fn encode(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Decodes one number from the start of `input`; returns it and the number
/// of bytes it took.
pub fn decode(input: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut value = 0u64;
    for (i, &byte) in input.iter().enumerate() {
        let shift = 7 * i as u32;
        if shift >= 64 || (shift == 63 && byte & 0x7e != 0) {
            return Err(VarintError::Overflow(i));
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(VarintError::Truncated(input.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_edge_values() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            let mut buf = Vec::new();
            encode(v, &mut buf);
            assert_eq!(decode(&buf), Ok((v, buf.len())), "value {v}");
        }
    }

    #[test]
    fn rejects_truncated_and_oversized_input() {
        assert_eq!(decode(&[0x80, 0x80]), Err(VarintError::Truncated(2)));
        assert_eq!(decode(&[]), Err(VarintError::Truncated(0)));
        let too_long = [0xffu8; 10];
        assert!(matches!(decode(&too_long), Err(VarintError::Overflow(_))));
    }
}
