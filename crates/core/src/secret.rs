//! Secrets and codes: hashing what we must not store in clear, comparing in
//! constant time, and turning random bytes into codes people can type.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The alphabet of every code a person reads or types: no 0/O or 1/I, so a
/// code read aloud or copied by hand cannot be mistaken.
pub const READABLE: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Lower-case hex SHA-256: how API keys are stored and looked up.
pub fn hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// Lower-case hex SHA-256 of any bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// HMAC-SHA256 of `data` under `key`, the raw 32 bytes.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Hex HMAC-SHA256 of `data` under `key`.
pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    hex::encode(hmac_sha256(key, data))
}

/// Base64 (standard alphabet, padded) HMAC-SHA256 of `data` under `key`:
/// what WooCommerce and Shopify put in their signature headers.
pub fn hmac_base64(key: &[u8], data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, data))
}

/// The generic order webhook's signature: `X-Vafa-Signature:
/// sha256=<hex HMAC-SHA256(raw body, secret)>` (API.md, "Orders"), letters
/// of either case. A missing or garbled header, or an empty secret (anyone
/// could sign with it), is `false`.
pub fn verify_hex_sha256(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let header = header.map(str::trim).unwrap_or("");
    let Some(hex_mac) = header.get(..7).filter(|p| p.eq_ignore_ascii_case("sha256=")).and(header.get(7..)) else {
        return false;
    };
    match hex::decode(hex_mac) {
        Ok(given) => !secret.is_empty() && constant_time_eq(&given, &hmac_sha256(secret.as_bytes(), body)),
        Err(_) => false,
    }
}

/// WooCommerce's `X-WC-Webhook-Signature` and Shopify's
/// `X-Shopify-Hmac-Sha256`: standard base64 of the HMAC-SHA256 of the raw
/// body bytes. WooCommerce: `base64_encode(hash_hmac('sha256', $body,
/// $secret, true))` in `WC_Webhook::generate_signature()`; Shopify:
/// shopify.dev/docs/apps/build/webhooks/verify-deliveries (both cited in
/// tests/fixtures/SOURCES.md). The decoded bytes are compared with the MAC in
/// constant time. A missing or garbled header, or an empty secret, is `false`.
pub fn verify_base64_sha256(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    use base64::Engine;
    let Some(b64) = header.map(str::trim) else {
        return false;
    };
    match base64::engine::general_purpose::STANDARD.decode(b64) {
        Ok(given) => !secret.is_empty() && constant_time_eq(&given, &hmac_sha256(secret.as_bytes(), body)),
        Err(_) => false,
    }
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
    fn webhook_signatures_verify_on_the_raw_body() {
        // Expected headers computed outside Rust, with Python's standard library, from
        // the key and data of RFC 4231 test case 2:
        //   python3 -c 'import hmac,hashlib,base64; m = hmac.new(b"Jefe", b"what do ya want for nothing?",
        //     hashlib.sha256); print(m.hexdigest(), base64.b64encode(m.digest()).decode())'
        // (prints the hex without "sha256=", then the base64).
        let (key, body) = ("Jefe", &b"what do ya want for nothing?"[..]);
        let hex = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let b64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
        assert_eq!(hmac_base64(key.as_bytes(), body), b64);
        let hex_cases: &[(&str, Option<&str>, bool)] = &[
            (key, Some(hex), true),
            (key, Some(&hex.to_uppercase()), true),
            (key, Some(" sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843 "), true),
            ("jefe", Some(hex), false),
            (key, Some("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), false),
            (key, Some("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec384"), false),
            (key, Some("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3844"), false),
            (key, Some("sha256=5bdcc146"), false),
            (key, Some("sha256=zz"), false),
            (key, Some("sha256"), false),
            (key, Some("sha512=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"), false),
            (key, Some(""), false),
            (key, None, false),
            // The empty key's true MAC (python3 as above with b"" as the key): still refused.
            ("", Some("sha256=76d9e7194e7dbc3aa00bbe8ffb9f6fcb5a932170f971f948bb2ab61607d2b9d6"), false),
        ];
        for (secret, header, expect) in hex_cases {
            assert_eq!(verify_hex_sha256(secret, body, *header), *expect, "{secret:?} {header:?}");
        }
        let b64_cases: &[(&str, &[u8], Option<&str>, bool)] = &[
            (key, body, Some(b64), true),
            (key, body, Some(" W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=\r\n"), true),
            (key, b"what do ya want for nothing? ", Some(b64), false),
            ("jefe", body, Some(b64), false),
            (key, body, Some("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEN="), false),
            (key, body, Some("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOE"), false),
            (key, body, Some("W9zBRr9g"), false),
            (key, body, Some("not base64!"), false),
            (key, body, Some(hex), false),
            (key, body, Some(""), false),
            (key, body, None, false),
        ];
        for (secret, body, header, expect) in b64_cases {
            assert_eq!(verify_base64_sha256(secret, body, *header), *expect, "{secret:?} {header:?}");
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
