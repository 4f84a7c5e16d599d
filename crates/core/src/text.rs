//! Small text helpers shared by the parsers.

/// Persian (U+06F0..9) and Arabic-Indic (U+0660..9) digits to ASCII; other
/// characters unchanged. Iranian keyboards type the former, Arabic ones the
/// latter, and people paste both.
pub fn ascii_digits(s: &str) -> String {
    s.chars().map(|c| crate::keyword::ascii_digit(c).map_or(c, |d| char::from(b'0' + d))).collect()
}
#[cfg(test)]
mod tests {
    #[test]
    fn both_eastern_digit_sets_become_ascii() {
        assert_eq!(super::ascii_digits("۱۳۷۰-٠٦-15"), "1370-06-15");
    }
}
