//! State digests: the three hashes that record and replay compare
//! periodically and at the end of a run, and [`StableHasher`], a hash
//! whose value depends only on the bytes given to it.
//!
//! A recording made by one build and replayed by another (or on another
//! host) must compute the same digests, so the hash cannot be `std`'s
//! `DefaultHasher`, whose algorithm may change between Rust releases.

use std::fmt;
use std::hash::Hasher;

/// A summary of guest state at one icount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StateDigest {
    /// Hash of the CPU registers (every vCPU, in a fixed order).
    pub cpu: u64,
    /// Hash of guest RAM.
    pub ram: u64,
    /// Running hash of everything the guest wrote to its consoles so far.
    pub console: u64,
}

impl fmt::Display for StateDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpu={:#018x} ram={:#018x} console={:#018x}",
            self.cpu, self.ram, self.console
        )
    }
}

const SEED: u64 = 0x6c6f_636b_7374_6570; // "lockstep"
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fast, stable, non-cryptographic 64-bit hash of a byte stream.
///
/// The value depends only on the concatenation of the bytes written, not
/// on how they were split between calls, nor on the host's endianness or
/// word size: integers are hashed as their little-endian bytes, `usize` as
/// a `u64`. The stream is taken eight bytes at a time as little-endian
/// words `w`, each folded in as `h = (h.rotate_left(5) ^ w) * K` (a
/// bijection of `h`, so a single changed word always changes the result);
/// [`finish`](Hasher::finish) folds in the zero-padded tail and the total
/// length, then mixes the bits. It detects divergence; it is no defence
/// against anyone choosing inputs to collide.
#[derive(Clone, Debug)]
pub struct StableHasher {
    state: u64,
    tail: [u8; 8],
    tail_len: usize,
    total: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl StableHasher {
    /// A hasher that has seen no bytes.
    pub const fn new() -> Self {
        StableHasher {
            state: SEED,
            tail: [0; 8],
            tail_len: 0,
            total: 0,
        }
    }

    fn fold(state: u64, word: u64) -> u64 {
        (state.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER)
    }
}

/// The stable hash of `bytes` (the same as writing them to a new
/// [`StableHasher`] and finishing).
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut hasher = StableHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

impl Hasher for StableHasher {
    fn write(&mut self, mut bytes: &[u8]) {
        self.total = self.total.wrapping_add(bytes.len() as u64);
        if self.tail_len > 0 {
            let take = (8 - self.tail_len).min(bytes.len());
            self.tail[self.tail_len..self.tail_len + take].copy_from_slice(&bytes[..take]);
            self.tail_len += take;
            bytes = &bytes[take..];
            if self.tail_len < 8 {
                return;
            }
            self.state = Self::fold(self.state, u64::from_le_bytes(self.tail));
            self.tail_len = 0;
        }
        let mut words = bytes.chunks_exact(8);
        let mut state = self.state;
        for word in &mut words {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(word);
            state = Self::fold(state, u64::from_le_bytes(raw));
        }
        self.state = state;
        let rest = words.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    fn finish(&self) -> u64 {
        let mut state = self.state;
        if self.tail_len > 0 {
            let mut raw = [0u8; 8];
            raw[..self.tail_len].copy_from_slice(&self.tail[..self.tail_len]);
            state = Self::fold(state, u64::from_le_bytes(raw));
        }
        state = Self::fold(state, self.total);
        state ^= state >> 32;
        state = state.wrapping_mul(MULTIPLIER);
        state ^= state >> 29;
        state
    }

    fn write_u8(&mut self, value: u8) {
        self.write(&[value]);
    }

    fn write_u16(&mut self, value: u16) {
        self.write(&value.to_le_bytes());
    }

    fn write_u32(&mut self, value: u32) {
        self.write(&value.to_le_bytes());
    }

    fn write_u64(&mut self, value: u64) {
        self.write(&value.to_le_bytes());
    }

    fn write_u128(&mut self, value: u128) {
        self.write(&value.to_le_bytes());
    }

    fn write_usize(&mut self, value: usize) {
        self.write(&(value as u64).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_does_not_depend_on_how_bytes_are_split() {
        let data: Vec<u8> = (0..203u32).map(|i| (i * 31 + 7) as u8).collect();
        let whole = stable_hash(&data);
        for split in [1, 3, 7, 8, 9, 64] {
            let mut hasher = StableHasher::new();
            for piece in data.chunks(split) {
                hasher.write(piece);
            }
            assert_eq!(hasher.finish(), whole, "split {split}");
        }
    }

    #[test]
    fn value_is_fixed_forever() {
        // These values are part of the log format: digests recorded by one
        // build are compared by another.
        assert_eq!(stable_hash(b""), 0xa239_cb57_d40c_ff19);
        assert_eq!(stable_hash(b"lockstep"), 0xaa2a_e6a0_2447_a6ff);
    }

    #[test]
    fn small_changes_change_the_value() {
        assert_ne!(stable_hash(b"a"), stable_hash(b"a\0"));
        assert_ne!(stable_hash(&[0; 8]), stable_hash(&[0; 16]));
        assert_ne!(stable_hash(b"abcdefgh1"), stable_hash(b"abcdefgh2"));
        let mut hasher = StableHasher::new();
        hasher.write_u32(1);
        hasher.write_usize(2);
        let mut bytes = 1u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&2u64.to_le_bytes());
        assert_eq!(hasher.finish(), stable_hash(&bytes));
    }
}
