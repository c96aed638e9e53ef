//! URL-safe base64 without padding (RFC 4648 §5), for share links and embed URLs.
//!
//! Decoding names the first offending character and its position, so a mangled link
//! gets a message a person can act on.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn value_of(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.trim_end_matches('=').as_bytes();
    if bytes.len() % 4 == 1 {
        return Err(format!("is cut short: {} characters cannot be base64", bytes.len()));
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let mut n = 0u32;
        for (offset, &c) in chunk.iter().enumerate() {
            let value = value_of(c).ok_or_else(|| {
                let position = index * 4 + offset;
                let shown = text.get(position..).and_then(|rest| rest.chars().next()).unwrap_or('?');
                format!("has `{shown}` at position {}, which is not URL-safe base64", position + 1)
            })?;
            n |= value << (18 - 6 * offset);
        }
        let produced = chunk.len() - 1;
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }

    #[test]
    fn matches_rfc_4648_vectors() {
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8");
        assert_eq!(decode("Zm9vYg").unwrap(), b"foob");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn says_what_is_wrong() {
        assert!(decode("Zm9v*mFy").unwrap_err().contains("`*` at position 5"));
        assert!(decode("Zm9vY").unwrap_err().contains("cut short"));
        assert!(decode("Zm9€").is_err());
    }
}
