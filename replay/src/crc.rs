//! CRC-32 as used by Ethernet, zlib and PNG (reflected polynomial
//! 0xEDB88320, initial value and final XOR 0xFFFFFFFF): the checksum of
//! the header body, of every chunk payload and of every chunk frame.
//!
//! Decision: written here (a 1 KiB table built at compile time) rather than
//! taken from `crc32fast`, so that this crate adds nothing to the
//! workspace's lock file; a chunk of 64 KiB takes well under a millisecond.

const POLY: u32 = 0xedb8_8320;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut value = i as u32;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 != 0 {
                (value >> 1) ^ POLY
            } else {
                value >> 1
            };
            bit += 1;
        }
        table[i] = value;
        i += 1;
    }
    table
};

/// A CRC-32 computed over data that arrives in pieces.
#[derive(Clone, Copy, Debug)]
pub struct Crc32 {
    state: u32,
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    /// A CRC over no data yet.
    pub const fn new() -> Self {
        Crc32 { state: !0 }
    }

    /// Adds `bytes` to the data checked.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut state = self.state;
        for &byte in bytes {
            state = TABLE[((state ^ u32::from(byte)) & 0xff) as usize] ^ (state >> 8);
        }
        self.state = state;
    }

    /// The CRC of everything added so far.
    pub const fn value(&self) -> u32 {
        !self.state
    }
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(bytes);
    crc.value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_check_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414f_a339
        );
    }

    #[test]
    fn pieces_give_the_same_value() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut crc = Crc32::new();
        for piece in data.chunks(37) {
            crc.update(piece);
        }
        assert_eq!(crc.value(), crc32(&data));
    }
}
