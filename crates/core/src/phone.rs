//! Phone numbers, the identity of a member, kept in E.164 (`+989121234567`).
//!
//! People type numbers every way: `0912 123 4567`, `+98 (912) 123-4567`,
//! `۰۹۱۲۱۲۳۴۵۶۷` on a Persian keyboard, with invisible bidi marks from
//! copy-paste. [`normalize`] accepts these and produces one spelling, so one
//! person is one member.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::keyword::{ascii_digit, is_invisible};

/// A valid phone number in E.164 form.
///
/// `Display` and `Debug` print the masked form (`+98912***4567`) so that a
/// phone that ends up in a log line or a panic message does not leak
/// (docs/rules.md, "Security and bad input"). Use [`Phone::as_str`] for the full
/// number, where it is really needed: the SMS panel and the store's keys.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing but spaces and punctuation.
    Empty,
    /// A `+98` number that is not a mobile (`+989` and 9 more digits).
    NotIranianMobile,
    /// Not a phone number in any form we accept.
    Invalid,
    /// The default country (a club setting) is not in our table.
    UnknownCountry(String),
}

const EXPECTED: &str =
    "expected an Iranian mobile like 0912 123 4567 or an international number starting with +";

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneError::Empty => write!(f, "phone: is empty; {EXPECTED}"),
            PhoneError::NotIranianMobile => {
                write!(
                    f,
                    "phone: Iranian numbers must be mobiles, +989 and 9 more digits like 0912 123 4567"
                )
            }
            PhoneError::Invalid => write!(f, "phone: {EXPECTED}"),
            PhoneError::UnknownCountry(code) => {
                write!(f, "default country: expected one of ")?;
                for (i, (country, _)) in COUNTRIES.iter().enumerate() {
                    write!(f, "{}{country}", if i == 0 { "" } else { ", " })?;
                }
                write!(f, " (ISO 3166 alpha-2), got {code:?}")
            }
        }
    }
}

impl std::error::Error for PhoneError {}

/// Calling codes (ITU-T E.164 assignments) of the countries whose zones a
/// club may choose (`CHRONO_TZ_TIMEZONE_FILTER` in .cargo/config.toml).
const COUNTRIES: &[(&str, &str)] = &[
    ("IR", "98"),
    ("AF", "93"),
    ("AE", "971"),
    ("AZ", "994"),
    ("AM", "374"),
    ("GE", "995"),
    ("IQ", "964"),
    ("SA", "966"),
    ("QA", "974"),
    ("OM", "968"),
    ("PK", "92"),
    ("UZ", "998"),
    ("TJ", "992"),
    ("TR", "90"),
    ("GB", "44"),
    ("DE", "49"),
    ("FR", "33"),
    ("US", "1"),
    ("CA", "1"),
];

/// The calling code of an ISO 3166 alpha-2 country in our table, without `+`.
pub fn calling_code(country: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(country))
        .map(|&(_, code)| code)
}

/// Whether `code` (ISO 3166 alpha-2, any case) may be a default country.
pub fn is_supported_country(code: &str) -> bool {
    calling_code(code).is_some()
}

/// Length of the country code that starts `digits` (E.164 without `+`).
/// Codes are prefix-free: 1 and 7 are one digit, the two-digit ones are
/// listed, and every other code has three (ITU-T E.164 Annex to Operational
/// Bulletin, "List of ITU-T Recommendation E.164 assigned country codes").
fn country_code_len(digits: &[u8]) -> usize {
    match (digits.first(), digits.get(1)) {
        (Some(b'1' | b'7'), _) => 1,
        (Some(b'2'), Some(b'0' | b'7'))
        | (Some(b'3'), Some(b'0'..=b'4' | b'6' | b'9'))
        | (Some(b'4'), Some(b'0' | b'1' | b'3'..=b'9'))
        | (Some(b'5'), Some(b'1'..=b'8'))
        | (Some(b'6'), Some(b'0'..=b'6'))
        | (Some(b'8'), Some(b'1' | b'2' | b'4' | b'6'))
        | (Some(b'9'), Some(b'0'..=b'5' | b'8')) => 2,
        _ => 3,
    }
}

/// Characters people put between digits: whitespace (Unicode White_Space,
/// which includes NBSP and thin spaces), dashes and the minus sign, dots,
/// parentheses, and the invisible marks of Persian keyboards.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || is_invisible(c)
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// Normalises a phone number typed any common way into E.164.
///
/// With a leading `+` or `00` the number is international. Otherwise it is
/// national to `default_country` (ISO 3166 alpha-2): for `IR`, `09…`, `9…`
/// (10 digits) and `98…` all mean +98; for another country a leading trunk
/// `0` is dropped and the country's code prepended. `+98` numbers must be
/// mobiles (`+989` and 9 more digits); other numbers must be E.164: 8–15
/// digits, with neither the country code nor the number after it starting
/// with 0.
pub fn normalize(input: &str, default_country: &str) -> Result<Phone, PhoneError> {
    let own_code = calling_code(default_country)
        .ok_or_else(|| PhoneError::UnknownCountry(default_country.to_owned()))?;

    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for c in input.chars() {
        if let Some(d) = ascii_digit(c) {
            digits.push(char::from(b'0' + d));
        } else if c == '+' && !plus && digits.is_empty() {
            plus = true;
        } else if !is_separator(c) {
            return Err(PhoneError::Invalid);
        }
    }
    if digits.is_empty() {
        return Err(if plus {
            PhoneError::Invalid
        } else {
            PhoneError::Empty
        });
    }

    let international = plus || digits.starts_with("00");
    let e164 = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if own_code == "98" {
        // `98` + 10 digits is the country code without its `+`; a 10-digit
        // number starting with 98 is a national mobile (0981…).
        if let Some(rest) = digits.strip_prefix('0') {
            format!("98{rest}")
        } else if digits.starts_with("98") && digits.len() > 10 {
            digits
        } else {
            format!("98{digits}")
        }
    } else {
        format!("{own_code}{}", digits.strip_prefix('0').unwrap_or(&digits))
    };
    // "Must be a mobile" only helps someone who wrote +98 on purpose; a bare
    // national number gets the message that lists every accepted form.
    validate(&e164).map_err(|e| {
        if international {
            e
        } else {
            PhoneError::Invalid
        }
    })?;
    Ok(Phone(format!("+{e164}")))
}

/// Checks E.164 digits (without `+`).
fn validate(e164: &str) -> Result<(), PhoneError> {
    let bytes = e164.as_bytes();
    if e164.starts_with("98") {
        // Iranian mobiles: 9 and nine digits after the country code.
        return if bytes.len() == 12 && bytes[2] == b'9' {
            Ok(())
        } else {
            Err(PhoneError::NotIranianMobile)
        };
    }
    let cc = country_code_len(bytes);
    // A trunk 0 after the country code is a common mistake (+44 07700…) that
    // would make a second spelling of the same person; E.164 has no such 0.
    // (Italian landlines do keep a 0, but we only send to mobiles.)
    let ok = (8..=15).contains(&bytes.len())
        && bytes[0] != b'0'
        && bytes.get(cc).is_some_and(|&d| d != b'0');
    if ok { Ok(()) } else { Err(PhoneError::Invalid) }
}

impl Phone {
    /// The full E.164 number, `+989121234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+98912***4567`: the country code, the first 3 and the last 4 digits of
    /// the national number. Short national numbers keep fewer digits so that
    /// at least 3 are always hidden.
    pub fn masked(&self) -> String {
        let digits = self.0.trim_start_matches('+');
        let (code, national) =
            digits.split_at(country_code_len(digits.as_bytes()).min(digits.len()));
        let len = national.len();
        let hidden = len.saturating_sub(7).max(3).min(len);
        let tail = 4.min(len - hidden);
        let head = len - hidden - tail;
        format!(
            "+{code}{}{}{}",
            &national[..head],
            "*".repeat(hidden),
            &national[len - tail..]
        )
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({:?})", self.masked())
    }
}

/// Reads a stored phone: only the exact E.164 form [`normalize`] produces.
impl TryFrom<String> for Phone {
    type Error = PhoneError;

    fn try_from(s: String) -> Result<Self, PhoneError> {
        if !s.starts_with('+') {
            return Err(PhoneError::Invalid);
        }
        let phone = normalize(&s, "IR")?;
        if phone.0 == s {
            Ok(phone)
        } else {
            Err(PhoneError::Invalid)
        }
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PhoneError::*;

    fn check(input: &str, country: &str, expect: Result<&str, PhoneError>) {
        let got = normalize(input, country);
        assert_eq!(
            got.as_ref().map(Phone::as_str),
            expect.as_ref().map(|s| *s),
            "normalize({input:?}, {country:?})"
        );
    }

    #[test]
    fn normalizes_every_spelling() {
        let ok = Ok("+989121234567");
        let cases = [
            ("09121234567", "IR", ok.clone()),
            ("9121234567", "IR", ok.clone()),
            ("+989121234567", "IR", ok.clone()),
            ("+98 912 123 4567", "IR", ok.clone()),
            ("+98 (912) 123-4567", "IR", ok.clone()),
            ("00989121234567", "IR", ok.clone()),
            ("989121234567", "IR", ok.clone()),
            ("0912-123-4567", "IR", ok.clone()),
            ("0912.123.4567", "IR", ok.clone()),
            ("(0912) 123 45 67", "IR", ok.clone()),
            ("۰۹۱۲۱۲۳۴۵۶۷", "IR", ok.clone()),
            ("٠٩١٢١٢٣٤٥٦٧", "IR", ok.clone()),
            ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "IR", ok.clone()),
            ("+۹۸ ۹۱۲ 123 ۴۵۶۷", "IR", ok.clone()),
            (
                "\u{200E}+98\u{00A0}912\u{2009}123\u{202F}4567\u{200F}",
                "IR",
                ok.clone(),
            ),
            ("\u{202B}۰۹۱۲\u{200C}۱۲۳۴۵۶۷\u{202C}", "IR", ok.clone()),
            ("  0912 123 4567\n", "IR", ok.clone()),
            ("0912–123–4567", "IR", ok.clone()),
            ("09121234567", "ir", ok.clone()),
            ("9812345678", "IR", Ok("+989812345678")),
            // An Iranian number with a non-IR default country needs its code.
            ("+989121234567", "GB", ok.clone()),
            ("00989121234567", "DE", ok.clone()),
            // International numbers.
            ("+44 7700 900123", "IR", Ok("+447700900123")),
            ("00447700900123", "IR", Ok("+447700900123")),
            ("+1 (415) 555-2671", "IR", Ok("+14155552671")),
            ("+93 70 123 4567", "IR", Ok("+93701234567")),
            ("+971 50 123 4567", "IR", Ok("+971501234567")),
            // National numbers of a non-IR default country.
            ("07700 900123", "GB", Ok("+447700900123")),
            ("7700 900123", "GB", Ok("+447700900123")),
            ("(415) 555-2671", "US", Ok("+14155552671")),
            ("0532 123 45 67", "TR", Ok("+905321234567")),
            // Invalid.
            ("", "IR", Err(Empty)),
            ("  - ", "IR", Err(Empty)),
            ("+", "IR", Err(Invalid)),
            ("abc", "IR", Err(Invalid)),
            ("0912abc4567", "IR", Err(Invalid)),
            ("0912/123/4567", "IR", Err(Invalid)),
            ("09121234567+", "IR", Err(Invalid)),
            ("++989121234567", "IR", Err(Invalid)),
            ("0912123456", "IR", Err(Invalid)),
            ("091212345678", "IR", Err(Invalid)),
            ("912", "IR", Err(Invalid)),
            ("02188776655", "IR", Err(Invalid)),
            ("+98 21 8877 6655", "IR", Err(NotIranianMobile)),
            ("+98 0912 123 4567", "IR", Err(NotIranianMobile)),
            ("0098 912 123 456", "IR", Err(NotIranianMobile)),
            ("447700900123", "IR", Err(Invalid)),
            ("+44 07700 900123", "IR", Err(Invalid)),
            ("+0 123 456 789", "IR", Err(Invalid)),
            ("+44 7700", "IR", Err(Invalid)),
            ("+44 7700 900123 45678", "IR", Err(Invalid)),
            ("09121234567", "XX", Err(UnknownCountry("XX".to_owned()))),
            ("09121234567", "", Err(UnknownCountry(String::new()))),
        ];
        for (input, country, expect) in cases {
            check(input, country, expect);
        }
    }

    #[test]
    fn masks_the_middle_everywhere_it_prints() {
        let cases = [
            ("+989121234567", "+98912***4567"),
            ("+447700900123", "+44770***0123"),
            ("+14155552671", "+1415***2671"),
            ("+971501234567", "+97150***4567"),
            ("+93701234567", "+9370***4567"),
        ];
        for (e164, expect) in cases {
            let phone = Phone(e164.to_owned());
            assert_eq!(phone.masked(), expect, "masked({e164})");
            assert_eq!(phone.to_string(), expect, "Display of {e164}");
            assert_eq!(
                format!("{phone:?}"),
                format!("Phone({expect:?})"),
                "Debug of {e164}"
            );
        }
    }

    #[test]
    fn masked_hides_at_least_three_digits_of_short_numbers() {
        // 8 digits in all: the least E.164 we accept.
        let phone = Phone("+3312345".to_owned());
        assert_eq!(phone.masked(), "+33***45");
    }

    #[test]
    fn serializes_as_the_plain_e164_string() {
        let phone = normalize("0912 123 4567", "IR");
        let json = phone
            .as_ref()
            .ok()
            .and_then(|p| serde_json::to_string(p).ok());
        assert_eq!(json.as_deref(), Some("\"+989121234567\""));
        let back: Result<Phone, _> = serde_json::from_str("\"+989121234567\"");
        assert_eq!(back.as_ref().map(Phone::as_str).ok(), Some("+989121234567"));
        for stored in ["\"09121234567\"", "\"+98 912 123 4567\"", "\"+9821\"", "12"] {
            assert!(
                serde_json::from_str::<Phone>(stored).is_err(),
                "deserialize {stored}"
            );
        }
    }

    #[test]
    fn supported_countries() {
        let cases = [
            ("IR", true),
            ("ir", true),
            ("US", true),
            ("CA", true),
            ("XX", false),
            ("IRN", false),
            ("", false),
        ];
        for (code, expect) in cases {
            assert_eq!(
                is_supported_country(code),
                expect,
                "is_supported_country({code:?})"
            );
        }
    }

    #[test]
    fn errors_say_what_is_accepted() {
        assert_eq!(
            Invalid.to_string(),
            "phone: expected an Iranian mobile like 0912 123 4567 or an international number starting with +"
        );
        assert!(
            UnknownCountry("XX".to_owned())
                .to_string()
                .starts_with("default country: expected one of IR, AF,")
        );
    }
}
