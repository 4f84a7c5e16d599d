//! Instants on the wire and in the store: RFC 3339 in UTC to the second
//! (`2026-11-22T08:30:00Z`, README "HTTP API"). Written and read here rather than by
//! chrono's general formatter and parser, which would add their whole
//! machinery to every Wasm component for one fixed format.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

pub fn format(t: &DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second())
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)`; the fraction is dropped.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> { s.get(r)?.parse().ok() };
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    if !matches!(rest, "Z" | "z" | "+00:00") {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    Some(date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?.and_utc())
}

/// `#[serde(with = "crate::time::rfc3339")]`
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse(&text).ok_or_else(|| D::Error::custom("expected an RFC 3339 UTC time like 2026-11-22T08:30:00Z"))
    }

    /// The same for `Option<DateTime<Utc>>` (`null` when absent).
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer, de::Error};

        pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::format(t)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
            match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
                None => Ok(None),
                Some(text) => super::super::parse(&text)
                    .map(Some)
                    .ok_or_else(|| D::Error::custom("expected an RFC 3339 UTC time like 2026-11-22T08:30:00Z")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_what_is_not_utc() {
        let cases = [
            ("2026-11-22T08:30:00Z", Some("2026-11-22T08:30:00Z")),
            ("2026-11-22T08:30:00.123456Z", Some("2026-11-22T08:30:00Z")),
            ("2026-11-22T08:30:00+00:00", Some("2026-11-22T08:30:00Z")),
            ("2024-02-29T23:59:59Z", Some("2024-02-29T23:59:59Z")),
            ("2026-11-22T08:30:00+03:30", None),
            ("2026-11-22 08:30:00Z", None),
            ("2025-02-29T00:00:00Z", None),
            ("2026-11-22T24:00:00Z", None),
            ("", None),
        ];
        for (text, expect) in cases {
            assert_eq!(parse(text).map(|t| format(&t)).as_deref(), expect, "{text}");
        }
    }
}
