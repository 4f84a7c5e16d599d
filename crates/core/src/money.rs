//! Money as an integer count of a currency's minor unit, never a float.
//! Store platforms send decimal strings ("2500000.00", "19.99"); they become
//! minor units exactly, by the currency's exponent.
//!
//! A club counts in one currency (`Settings::currency`); each store has its
//! own, and a store's amounts are taken into the club's on arrival, exactly.
//! Iran's shops price in four units of one money (Persian WooCommerce's
//! currency list): the rial `IRR`, the toman `IRT` (10 rials), the thousand
//! rials `IRHR` and the thousand tomans `IRHT` (10,000 rials). Their minor
//! unit is the rial, as the cent is a dollar's: `"250000"` toman is
//! 2,500,000 minor units, `"4.5"` thousand tomans 45,000, and a fraction
//! finer than a rial is refused. So any of the four converts to any other
//! exactly, by identity on minor units; any other currency converts only
//! to itself.

use crate::error::{Error, Result};

/// Digits after the decimal point in a currency's minor unit as shops price
/// in it. ISO 4217 gives the Iranian rial 2 and the Iraqi dinar 3, but
/// neither is split in practice: shops count whole rials and dinars, as
/// docs/rules.md, "Purchases", says ("2500000.00" IRR → 2500000). Unlisted currencies
/// have ISO's usual 2.
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "IRR" | "AFN" | "IQD" | "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "LYD" | "TND" | "IRHR" => 3,
        // A toman is 10 rials, a thousand tomans 10,000: the rial is the minor unit.
        "IRT" => 1,
        "IRHT" => 4,
        _ => 2,
    }
}

/// One of Iran's four units, whose minor unit is the rial.
fn is_iranian(currency: &str) -> bool {
    matches!(currency, "IRR" | "IRT" | "IRHR" | "IRHT")
}

/// A currency code a club or a store may count in: an ISO 4217 code (three
/// capital letters) or one of Persian WooCommerce's `IRHR` and `IRHT`.
pub fn is_known(currency: &str) -> bool {
    (currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) || is_iranian(currency)
}

/// Whether a store's minor units are the club's: the same currency, or two
/// of Iran's units.
pub fn converts(store: &str, club: &str) -> bool {
    store == club || (is_iranian(store) && is_iranian(club))
}

/// The 422 for a store whose currency does not convert to the club's.
pub fn unconvertible(store: &str, club: &str) -> Error {
    Error::field("currency", format!("{store} does not convert exactly to the club's {club}: use {club}, or with an Iranian club any of IRR, IRT, IRHR, IRHT"))
}

/// `minor` units of `currency` as the shop writes the amount (`2500000` IRT
/// minor units → `"250000"`, 45,000 IRHT → `"4.5"`).
pub fn format_decimal(minor: i64, currency: &str) -> String {
    let exp = exponent(currency) as usize;
    let digits = format!("{:0>width$}", minor.unsigned_abs(), width = exp + 1);
    let (whole, fraction) = digits.split_at(digits.len() - exp);
    let fraction = fraction.trim_end_matches('0');
    let sign = if minor < 0 { "-" } else { "" };
    if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") }
}

/// A decimal amount in `currency` as minor units. Accepts what shops send:
/// digits with an optional fraction (`"2500000"`, `"2500000.00"`,
/// `"19.99"`, `"19.9"`). A fraction finer than the currency's minor unit
/// must be zeros; signs, exponents and grouping are refused. `field` names
/// the field in the error.
pub fn parse_decimal(raw: &str, currency: &str, field: &str) -> Result<i64> {
    let bad = || Error::field(field, format!("expected an amount in {currency} such as \"2500000.00\" (digits, an optional fraction, not negative)"));
    let s = raw.trim();
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && fraction.is_empty()) {
        return Err(bad());
    }
    let exp = exponent(currency) as usize;
    let (kept, rest) = fraction.split_at(fraction.len().min(exp));
    if rest.bytes().any(|b| b != b'0') {
        return Err(Error::field(field, format!("{currency} has {exp} decimal places; {raw:?} has more")));
    }
    let digits = format!("{whole}{kept:0<exp$}");
    digits.parse::<i64>().map_err(|_| bad())
}

/// A whole amount already in minor units (the generic webhook's integers).
pub fn check_minor(amount: i64, field: &str) -> Result<i64> {
    if amount < 0 {
        return Err(Error::field(field, "expected a whole amount in the minor unit, not negative"));
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, currency: &str, expect: Option<i64>) {
        assert_eq!(parse_decimal(raw, currency, "total").ok(), expect, "{raw} {currency}");
    }

    #[test]
    fn decimal_strings_become_minor_units_exactly() {
        check("2500000.00", "IRR", Some(2_500_000));
        check("2500000", "IRR", Some(2_500_000));
        check("19.99", "USD", Some(1999));
        check("19.9", "USD", Some(1990));
        check("19", "USD", Some(1900));
        check("0.10", "USD", Some(10));
        check("0", "IRR", Some(0));
        check("1.234", "KWD", Some(1234));
        check(" 42.50 ", "EUR", Some(4250));
        // Every float-prone value stays exact.
        check("0.29", "USD", Some(29));
        check("1.005", "USD", None);
        check("2500000.50", "IRR", None);
        check("-1.00", "USD", None);
        check("1e3", "USD", None);
        check("1,000.00", "USD", None);
        check("", "USD", None);
        check(".5", "USD", None);
        check("5.", "USD", None);
        check("99999999999999999999", "IRR", None);
    }

    #[test]
    fn irans_four_units_count_in_rials_and_convert_to_each_other() {
        // The same money in each unit is the same count of minor units.
        for (raw, currency) in [("2935000", "IRR"), ("293500.00", "IRT"), ("2935", "IRHR"), ("293.5", "IRHT")] {
            assert_eq!(parse_decimal(raw, currency, "total"), Ok(2_935_000), "{raw} {currency}");
        }
        check("250000.5", "IRT", Some(2_500_005));
        check("250000.55", "IRT", None);
        check("4.50001", "IRHT", None);
        let cases: &[(&str, &str, bool)] = &[
            ("IRT", "IRR", true),
            ("IRR", "IRT", true),
            ("IRHT", "IRHR", true),
            ("USD", "USD", true),
            ("USD", "IRR", false),
            ("IRR", "USD", false),
        ];
        for (store, club, expect) in cases {
            assert_eq!(converts(store, club), *expect, "{store} → {club}");
        }
        assert!(["IRR", "IRT", "IRHR", "IRHT", "USD"].iter().all(|c| is_known(c)));
        assert!(!["irr", "IRRR", "IR", "TOMAN"].iter().any(|c| is_known(c)));
        for (minor, currency, text) in [(2_500_000, "IRT", "250000"), (45_000, "IRHT", "4.5"), (2_500_005, "IRT", "250000.5"), (7, "IRHT", "0.0007"), (1999, "USD", "19.99"), (-50, "IRT", "-5"), (0, "IRR", "0")] {
            assert_eq!(format_decimal(minor, currency), text, "{minor} {currency}");
        }
    }

    #[test]
    fn errors_name_the_field_and_say_what_is_accepted() {
        let e = parse_decimal("abc", "IRR", "total").unwrap_err().to_string();
        assert!(e.starts_with("total: expected an amount in IRR"), "{e}");
        let e = parse_decimal("1.5", "IRR", "refund_amount").unwrap_err().to_string();
        assert!(e.contains("IRR has 0 decimal places"), "{e}");
    }
}
