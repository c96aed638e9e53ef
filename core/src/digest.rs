//! Stable digests and real encoded sizes.
//!
//! Traces are fingerprinted with 64-bit FNV-1a: each event's typed fields are folded in as
//! whole words (see `Event::hash_into`), and a message's brief or an observation as its
//! postcard encoding. postcard
//! writes integers as LEB128 varints and never depends on the host's pointer width, so the
//! digest is the same on every target. The same streaming trick gives the exact encoded size
//! of a message without allocating a buffer.

use postcard::ser_flavors::Flavor;
use serde::Serialize;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(FNV_OFFSET)
    }
}

impl Fnv64 {
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_byte(byte);
        }
    }

    pub fn write_byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(FNV_PRIME);
    }

    /// Folds a whole 64-bit word in one step (FNV-1a's xor-then-multiply, applied to words
    /// rather than bytes): how the trace hashes its typed events.
    pub fn write_u64(&mut self, word: u64) {
        self.0 ^= word;
        self.0 = self.0.wrapping_mul(FNV_PRIME);
    }

    /// Folds text as its length and then 8-byte little-endian words (the last one
    /// zero-padded), the same on every target.
    pub fn write_str(&mut self, text: &str) {
        self.write_u64(text.len() as u64);
        for chunk in text.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

struct HashingFlavor<'a>(&'a mut Fnv64);

impl Flavor for HashingFlavor<'_> {
    type Output = ();
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.write_byte(data);
        Ok(())
    }
    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

struct CountingFlavor(usize);

impl Flavor for CountingFlavor {
    type Output = usize;
    fn try_push(&mut self, _data: u8) -> postcard::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0 += data.len();
        Ok(())
    }
    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.0)
    }
}

/// Feeds the postcard encoding of `value` into `hasher`.
pub fn hash_encoded<T: Serialize + ?Sized>(value: &T, hasher: &mut Fnv64) {
    // Serializing plain data into a hasher cannot fail; an error would only drop bytes.
    let _ = postcard::serialize_with_flavor(value, HashingFlavor(hasher));
}

/// The exact length in bytes of the postcard encoding of `value`.
pub fn encoded_len<T: Serialize + ?Sized>(value: &T) -> usize {
    postcard::serialize_with_flavor(value, CountingFlavor(0)).unwrap_or(0)
}

/// A keyed 64-bit tag over `bytes`: the simulator's stand-in for an HMAC. The on-path attacker
/// does not hold the key, so it cannot recompute the tag after changing a byte.
pub fn keyed_tag(key: u64, bytes: &[u8]) -> u64 {
    let mut inner = Fnv64::default();
    inner.write(&key.to_le_bytes());
    inner.write(bytes);
    let mut outer = Fnv64::default();
    outer.write(&(!key).to_le_bytes());
    outer.write(&inner.finish().to_le_bytes());
    outer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_test_vector() {
        let mut hasher = Fnv64::default();
        hasher.write(b"a");
        assert_eq!(hasher.finish(), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn encoded_len_counts_real_bytes() {
        let value = (300u32, alloc::vec![0u8; 10]);
        assert_eq!(encoded_len(&value), postcard::to_allocvec(&value).unwrap().len());
    }

    #[test]
    fn tag_changes_with_any_byte() {
        let original = keyed_tag(9, b"transfer 10");
        assert_ne!(original, keyed_tag(9, b"transfer 90"));
        assert_ne!(original, keyed_tag(8, b"transfer 10"));
        assert_eq!(original, keyed_tag(9, b"transfer 10"));
    }
}
