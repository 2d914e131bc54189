//! Byte-level primitives shared by the header and the event encodings:
//! little-endian fixed-width integers, varints, length-prefixed byte
//! strings and UTF-8 strings, written to a `Vec<u8>` and read back from a
//! slice by a [`Decoder`] that checks every bound and never panics.

use crate::varint;

/// A decoding failure at a position inside the slice being decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    /// Offset in the slice of the field that could not be decoded.
    pub pos: usize,
    /// What was wrong, in words.
    pub what: String,
}

impl WireError {
    pub(crate) fn new(pos: usize, what: impl Into<String>) -> Self {
        WireError {
            pos,
            what: what.into(),
        }
    }
}

/// Appends a varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, value: u64) {
    varint::encode(value, out);
}

/// Appends a little-endian `u32`.
pub(crate) fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Appends a little-endian `u64`.
pub(crate) fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Appends a byte string: its length as a varint, then the bytes.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A reader over a slice that checks every length against what is left.
pub(crate) struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Decoder { bytes, pos: 0 }
    }

    /// Offset of the next byte to decode.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not yet decoded.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], WireError> {
        if len > self.remaining() {
            return Err(WireError::new(
                self.pos,
                format!(
                    "{what} needs {len} bytes but only {} remain",
                    self.remaining()
                ),
            ));
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.bytes[start..self.pos])
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, WireError> {
        let mut raw = [0u8; 4];
        raw.copy_from_slice(self.take(4, what)?);
        Ok(u32::from_le_bytes(raw))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, WireError> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(raw))
    }

    pub(crate) fn array32(&mut self, what: &str) -> Result<[u8; 32], WireError> {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(self.take(32, what)?);
        Ok(raw)
    }

    pub(crate) fn varint(&mut self, what: &str) -> Result<u64, WireError> {
        match varint::decode(&self.bytes[self.pos..]) {
            Ok((value, len)) => {
                self.pos += len;
                Ok(value)
            }
            Err(varint::VarintError::Truncated(_)) => Err(WireError::new(
                self.pos,
                format!("{what}: varint cut short"),
            )),
            Err(varint::VarintError::Overflow(_)) => Err(WireError::new(
                self.pos,
                format!("{what}: varint longer than 64 bits"),
            )),
        }
    }

    /// A varint that must fit in a `u32`.
    pub(crate) fn varint_u32(&mut self, what: &str) -> Result<u32, WireError> {
        let pos = self.pos;
        let value = self.varint(what)?;
        u32::try_from(value)
            .map_err(|_| WireError::new(pos, format!("{what} {value} does not fit in 32 bits")))
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub(crate) fn bytes(&mut self, max: usize, what: &str) -> Result<&'a [u8], WireError> {
        let pos = self.pos;
        let len = self.varint(what)?;
        if len > max as u64 {
            return Err(WireError::new(
                pos,
                format!("{what} length {len} exceeds the limit of {max}"),
            ));
        }
        self.take(len as usize, what)
    }

    /// A length-prefixed UTF-8 string of at most `max` bytes.
    pub(crate) fn string(&mut self, max: usize, what: &str) -> Result<String, WireError> {
        let pos = self.pos;
        let raw = self.bytes(max, what)?;
        match std::str::from_utf8(raw) {
            Ok(text) => Ok(text.to_owned()),
            Err(_) => Err(WireError::new(pos, format!("{what} is not valid UTF-8"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_was_put() {
        let mut out = Vec::new();
        put_u32(&mut out, 0xdead_beef);
        put_u64(&mut out, u64::MAX - 5);
        put_varint(&mut out, 300);
        put_bytes(&mut out, b"hello");
        put_bytes(&mut out, "héllo".as_bytes());
        let mut d = Decoder::new(&out);
        assert_eq!(d.u32("a"), Ok(0xdead_beef));
        assert_eq!(d.u64("b"), Ok(u64::MAX - 5));
        assert_eq!(d.varint("c"), Ok(300));
        assert_eq!(d.bytes(10, "d"), Ok(&b"hello"[..]));
        assert_eq!(d.string(10, "e").as_deref(), Ok("héllo"));
        assert_eq!(d.remaining(), 0);
    }

    #[test]
    fn rejects_short_input_long_lengths_and_bad_utf8() {
        let mut d = Decoder::new(&[1, 2, 3]);
        assert_eq!(d.u32("x").unwrap_err().pos, 0);
        let mut out = Vec::new();
        put_bytes(&mut out, b"toolong");
        assert!(Decoder::new(&out).bytes(3, "y").is_err());
        let mut out = Vec::new();
        put_varint(&mut out, 1 << 40);
        assert!(Decoder::new(&out).bytes(usize::MAX, "z").is_err());
        assert!(Decoder::new(&out).varint_u32("w").is_err());
        let mut out = Vec::new();
        put_bytes(&mut out, &[0xff, 0xfe]);
        assert!(Decoder::new(&out).string(10, "v").is_err());
    }
}
