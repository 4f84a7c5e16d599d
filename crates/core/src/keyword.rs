//! Classifying an inbound SMS reply: opt-out, opt-in, join, an NPS score, or
//! anything else.
//!
//! Replies are typed on phones with Persian or Arabic keyboards, so the same
//! word arrives in many spellings: Persian (۱) or Arabic-Indic (١) digits,
//! Arabic yeh/kaf instead of the Persian letters, zero-width non-joiners,
//! bidi marks from copy-paste, tatweel, diacritics, stray spaces and
//! punctuation. [`normalize`] folds all of these into one spelling, and
//! [`classify`] compares only normalised text.

/// What an inbound reply asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inbound {
    /// Stop marketing SMS (`لغو`, `لغو11`, `انصراف`, `1`, `11`, `stop`, `unsubscribe`).
    OptOut,
    /// Rejoin after an opt-out (`12`, `start`).
    OptIn,
    /// Join the club (`عضویت`, `join`).
    Join,
    /// An integer 0..=10 while the member has an open feedback request:
    /// their score.
    Score(u8),
    /// Anything else.
    Other,
}

/// The ASCII value of a decimal digit written in ASCII, Persian (U+06F0..F9)
/// or Arabic-Indic (U+0660..69) form. Shared by the modules that read what
/// people type (phones, dates, replies).
pub fn ascii_digit(c: char) -> Option<u8> {
    let d = match c {
        '0'..='9' => c as u32 - '0' as u32,
        '\u{06F0}'..='\u{06F9}' => c as u32 - 0x06F0,
        '\u{0660}'..='\u{0669}' => c as u32 - 0x0660,
        _ => return None,
    };
    // Each range above spans exactly ten code points, so `d` is 0..=9.
    Some(d as u8)
}

/// Invisible formatting characters that Persian keyboards and copy-paste
/// insert: zero-width space/non-joiner/joiner (U+200B..D), LRM/RLM
/// (U+200E/F), bidi embeddings and overrides (U+202A..E), bidi isolates
/// (U+2066..9) and the byte-order mark (U+FEFF). See Unicode UAX #9 for the
/// bidi controls.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Punctuation trimmed from both ends of a reply ("Stop.", "لغو!", "لغو؟").
/// `-` and `+` are kept on purpose: "-1" must not read as the keyword "1".
fn is_edge_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | ','
            | ';'
            | ':'
            | '"'
            | '\''
            | '('
            | ')'
            | '…'
            | '؟'
            | '،'
            | '؛'
            | '«'
            | '»'
    )
}

/// Folds the spellings of one reply into one string: digits to ASCII, no
/// whitespace or invisible marks, no tatweel (U+0640) or Arabic diacritics
/// (U+064B..U+065F), Arabic yeh and alef maksura (U+064A, U+0649) to Persian
/// yeh (U+06CC), Arabic kaf (U+0643) to Persian keheh (U+06A9), lowercase,
/// and without punctuation at the ends.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(d) = ascii_digit(c) {
            out.push(char::from(b'0' + d));
            continue;
        }
        match c {
            // `char::is_whitespace` follows Unicode White_Space, which
            // includes NBSP (U+00A0), thin and narrow no-break spaces.
            c if c.is_whitespace() || is_invisible(c) => {}
            '\u{0640}' | '\u{064B}'..='\u{065F}' => {}
            '\u{064A}' | '\u{0649}' => out.push('\u{06CC}'),
            '\u{0643}' => out.push('\u{06A9}'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.trim_matches(is_edge_punctuation).to_owned()
}

/// Classifies an inbound reply after [`normalize`]; `feedback_open`: the
/// member has a feedback request open (`feedback::Request::open`).
///
/// Numbers compare by value, so `01` and `011` are opt-outs too. `1` is an
/// opt-out keyword in Iran and also a feedback score: while a feedback
/// request is open a bare 0..=10 is the score, otherwise `1` opts out.
/// `11` always stops and `12` rejoins, as on Iranian service lines
/// (docs/rules.md, "Iranian SMS norms").
pub fn classify(text: &str, feedback_open: bool) -> Inbound {
    let text = normalize(text);
    match text.as_str() {
        "لغو" | "لغو11" | "انصراف" | "stop" | "unsubscribe" => return Inbound::OptOut,
        "start" => return Inbound::OptIn,
        "عضویت" | "join" => return Inbound::Join,
        _ => {}
    }
    match number(&text) {
        Some(n @ 0..=10) if feedback_open => Inbound::Score(n),
        Some(1 | 11) => Inbound::OptOut,
        Some(12) => Inbound::OptIn,
        _ => Inbound::Other,
    }
}

/// A reply that is a bare number 0..=10 (the one case where an open
/// feedback request changes what it means).
pub fn score(text: &str) -> Option<u8> {
    number(&normalize(text)).filter(|n| *n <= 10)
}

/// A normalised reply that is only digits, as a number. At most 3 digits
/// keeps `parse` from overflowing and is enough for 0..=12 with a leading
/// zero or two.
fn number(text: &str) -> Option<u8> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Inbound) {
        assert_eq!(
            classify(input, false),
            expect,
            "classify({input:?}), normalised {:?}",
            normalize(input)
        );
    }

    #[test]
    fn classifies_every_spelling() {
        use Inbound::*;
        let cases = [
            // Opt-out, as listed in docs/rules.md, "Members".
            ("لغو", OptOut),
            ("لغو11", OptOut),
            ("لغو ۱۱", OptOut),
            ("لغو۱۱", OptOut),
            ("لغو ١١", OptOut),
            ("انصراف", OptOut),
            ("1", OptOut),
            ("۱", OptOut),
            ("١", OptOut),
            ("11", OptOut),
            ("۱۱", OptOut),
            ("01", OptOut),
            ("stop", OptOut),
            ("STOP", OptOut),
            ("Stop.", OptOut),
            ("unsubscribe", OptOut),
            ("UnSubscribe!", OptOut),
            // Invisible marks, tatweel, diacritics, odd spaces.
            ("لغ\u{200C}و", OptOut),
            ("\u{200F}لغو\u{200E}", OptOut),
            ("\u{202B}لغو ۱۱\u{202C}", OptOut),
            ("لغـــو", OptOut),
            ("لَغو", OptOut),
            ("\u{00A0}لغو\u{2009}۱۱\u{00A0}", OptOut),
            ("لغو؟", OptOut),
            ("  انصراف!  ", OptOut),
            // Opt-in.
            ("12", OptIn),
            ("۱۲", OptIn),
            ("١٢", OptIn),
            ("Start", OptIn),
            // Join, with Persian and Arabic yeh.
            ("عضویت", Join),
            ("عضويت", Join),
            ("عضوى\u{200C}ت", Join),
            ("JOIN", Join),
            // Numbers with no feedback request open.
            ("0", Other),
            ("۷", Other),
            ("10.", Other),
            // Everything else.
            ("13", Other),
            ("100", Other),
            ("-1", Other),
            ("", Other),
            ("   ", Other),
            ("سلام", Other),
            ("لغو کنید لطفا", Other),
            ("stopp", Other),
            ("99999999999999999999", Other),
        ];
        for (input, expect) in cases {
            check(input, expect);
        }
    }

    #[test]
    fn a_bare_number_is_a_score_only_while_feedback_is_open() {
        use Inbound::*;
        for (input, expect) in [("0", Score(0)), ("۱", Score(1)), ("١٠", Score(10)), (" 9 ", Score(9)), ("01", Score(1))] {
            assert_eq!(classify(input, true), expect, "{input:?}");
            assert!(score(input).is_some(), "{input:?}");
        }
        for (input, expect) in [("11", OptOut), ("لغو", OptOut), ("لغو11", OptOut), ("stop", OptOut), ("12", OptIn), ("13", Other)] {
            assert_eq!(classify(input, true), expect, "{input:?} means the same with feedback open");
        }
        assert_eq!((score("11"), score("-1"), score("لغو"), score("۷")), (None, None, None, Some(7)));
    }

    #[test]
    fn normalize_folds_arabic_letters_and_digits() {
        let cases = [
            ("كيك ٣", "کیک3"),
            ("Ab C", "abc"),
            ("!؟stop?!", "stop"),
            ("ی\u{0649}\u{064A}", "ییی"),
        ];
        for (input, expect) in cases {
            assert_eq!(normalize(input), expect, "normalize({input:?})");
        }
    }
}
