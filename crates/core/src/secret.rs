//! Secrets and codes: hashing what we must not store in clear, comparing in
//! constant time, and turning random bytes into codes people can type.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The alphabet of every code a person reads or types: no 0/O or 1/I, so a
/// code read aloud or copied by hand cannot be mistaken.
pub const READABLE: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Lower-case hex SHA-256: how API keys are stored and looked up.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hex HMAC-SHA256 of `data` under `key`.
pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Base-32 over [`READABLE`], 5 bits a character: 20 bytes give 32 characters.
pub fn encode_readable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(READABLE[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(READABLE[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A code of `len` readable characters from random bytes (one byte each;
/// 256 is a multiple of 32, so every character is equally likely).
pub fn readable_code(random: &[u8], len: usize) -> String {
    random.iter().take(len).map(|b| READABLE[(*b % 32) as usize] as char).collect()
}

/// A numeric one-time code of six digits from random bytes, without the
/// modulo bias of a plain `% 1_000_000`: draws above the largest multiple of
/// a million below 2^32 are discarded (`None`: draw again).
pub fn six_digits(random: [u8; 4]) -> Option<String> {
    let n = u32::from_le_bytes(random);
    let limit = u32::MAX - (u32::MAX % 1_000_000);
    (n < limit).then(|| format!("{:06}", n % 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_encoding_never_uses_confusable_characters() {
        let all: Vec<u8> = (0..=255).collect();
        let s = encode_readable(&all);
        assert!(!s.contains(['0', 'O', '1', 'I']));
        assert_eq!(encode_readable(&[0u8; 20]).len(), 32);
        assert_eq!(readable_code(&all, 8), "23456789");
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn six_digit_codes_are_padded_and_unbiased() {
        assert_eq!(six_digits(7u32.to_le_bytes()).as_deref(), Some("000007"));
        assert_eq!(six_digits(u32::MAX.to_le_bytes()), None);
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
