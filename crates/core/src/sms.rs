//! How many SMS parts a text takes, which is what a message costs.
//!
//! A text is sent in the GSM 7-bit default alphabet when every character is
//! in it, and in UCS-2 (UTF-16) otherwise, so a single Persian letter
//! switches the whole message (3GPP TS 23.038 §6.2.1 for the alphabet and
//! its extension table). One part carries 140 bytes: 160 septets or 70
//! UTF-16 units. A longer message is split into parts that each lose 6 bytes
//! to the concatenation header (3GPP TS 23.040 §9.2.3.24.1), leaving 153
//! septets or 67 units.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SmsCount {
    pub encoding: Encoding,
    /// Septets for GSM-7 (extension characters count 2), UTF-16 code units
    /// for UCS-2 (characters outside the BMP, such as emoji, count 2).
    pub chars: usize,
    /// Parts the message is sent in; 0 for an empty text, which is not sent.
    pub parts: usize,
}

pub const GSM7_SINGLE: usize = 160;
pub const GSM7_PER_PART: usize = 153;
pub const UCS2_SINGLE: usize = 70;
pub const UCS2_PER_PART: usize = 67;

/// Septets `c` takes in the GSM 7-bit default alphabet, or `None` if it is
/// not in it. The basic table (TS 23.038 §6.2.1) costs 1; the extension
/// table (§6.2.1.1) costs 2, an escape (0x1B) and the character.
fn gsm7_septets(c: char) -> Option<usize> {
    const BASIC_NON_ASCII: &str = "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà";
    match c {
        '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' | '\u{000C}' => Some(2),
        // All printable ASCII is in the basic table except the backtick.
        '\n' | '\r' | ' '..='~' if c != '`' => Some(1),
        c if BASIC_NON_ASCII.contains(c) => Some(1),
        _ => None,
    }
}

/// Counts the encoding, length and parts of `text`.
///
/// Phones never split an escape pair or a UTF-16 surrogate pair across two
/// parts (Android's `GsmAlphabet.findGsmSeptetLimitIndex` and
/// `SmsMessage.fragmentText`), so a part can end one unit short; the parts
/// are counted by packing characters the same way, not by dividing.
pub fn count(text: &str) -> SmsCount {
    let septets: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    let (encoding, costs, single, per_part) = match septets {
        Some(costs) => (Encoding::Gsm7, costs, GSM7_SINGLE, GSM7_PER_PART),
        None => (
            Encoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            UCS2_SINGLE,
            UCS2_PER_PART,
        ),
    };
    let chars = costs.iter().sum();
    let parts = match chars {
        0 => 0,
        n if n <= single => 1,
        _ => {
            let (mut parts, mut used) = (1, 0);
            for cost in costs {
                if used + cost > per_part {
                    parts += 1;
                    used = 0;
                }
                used += cost;
            }
            parts
        }
    };
    SmsCount {
        encoding,
        chars,
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::*;

    fn check(text: &str, expect: (Encoding, usize, usize)) {
        let got = count(text);
        let preview: String = text.chars().take(40).collect();
        assert_eq!(
            (got.encoding, got.chars, got.parts),
            expect,
            "count of a {}-char text starting {preview:?}",
            text.chars().count()
        );
    }

    #[test]
    fn counts_parts_at_every_boundary() {
        let a = |n: usize| "a".repeat(n);
        let fa = |n: usize| "ب".repeat(n);
        let cases = [
            (String::new(), (Gsm7, 0, 0)),
            (a(1), (Gsm7, 1, 1)),
            (a(160), (Gsm7, 160, 1)),
            (a(161), (Gsm7, 161, 2)),
            (a(153 * 2), (Gsm7, 306, 2)),
            (a(153 * 2 + 1), (Gsm7, 307, 3)),
            // Extension characters count 2 and push a text over 160.
            (a(158) + "€", (Gsm7, 160, 1)),
            (a(159) + "€", (Gsm7, 161, 2)),
            ("{}[]~^|\\".to_owned(), (Gsm7, 16, 1)),
            ("\u{000C}".to_owned(), (Gsm7, 2, 1)),
            // An escape pair is not split: 152 + 2 does not fit in part one.
            (a(152) + "€" + &a(10), (Gsm7, 164, 2)),
            (a(152) + "€" + &a(152), (Gsm7, 306, 3)),
            // Basic-table non-ASCII and newlines stay GSM-7.
            ("Ça coûte 5€?".to_owned(), (Ucs2, 12, 1)),
            (
                "Ça va? Åse, Øre: £5 ¥3 ¿ñ? §1\r\n@_$".to_owned(),
                (Gsm7, 34, 1),
            ),
            ("`".to_owned(), (Ucs2, 1, 1)),
            (fa(70), (Ucs2, 70, 1)),
            (fa(71), (Ucs2, 71, 2)),
            (fa(67 * 3), (Ucs2, 201, 3)),
            (fa(67 * 3 + 1), (Ucs2, 202, 4)),
            ("سلام مریم عزیز، ۱۲۵۰ امتیاز دارید".to_owned(), (Ucs2, 33, 1)),
            ("Hi سلام".to_owned(), (Ucs2, 7, 1)),
            (a(69) + "ب", (Ucs2, 70, 1)),
            ("😀".to_owned(), (Ucs2, 2, 1)),
            (fa(69) + "😀", (Ucs2, 71, 2)),
            // A surrogate pair is not split: 66 + 2 does not fit in part one.
            (fa(66) + "😀" + &fa(10), (Ucs2, 78, 2)),
            (fa(66) + "😀" + &fa(66), (Ucs2, 134, 3)),
        ];
        for (text, expect) in cases {
            check(&text, expect);
        }
    }

    #[test]
    fn encoding_serializes_lowercase() {
        let json = serde_json::to_string(&count("hi")).ok();
        assert_eq!(
            json.as_deref(),
            Some(r#"{"encoding":"gsm7","chars":2,"parts":1}"#)
        );
        assert_eq!(
            serde_json::to_string(&Ucs2).ok().as_deref(),
            Some(r#""ucs2""#)
        );
    }
}
