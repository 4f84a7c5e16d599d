//! Money as an integer count of a currency's minor unit, never a float.
//! Store platforms send decimal strings ("2500000.00", "19.99"); they become
//! minor units exactly, by the currency's exponent.

use crate::error::{Error, Result};

/// Digits after the decimal point in a currency's minor unit as shops price
/// in it. ISO 4217 gives the Iranian rial 2 and the Iraqi dinar 3, but
/// neither is split in practice: shops count whole rials and dinars, as the
/// product design does ("2500000.00" IRR → 2500000). Unlisted currencies
/// have ISO's usual 2.
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "IRR" | "AFN" | "IQD" | "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "LYD" | "TND" => 3,
        _ => 2,
    }
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
    fn errors_name_the_field_and_say_what_is_accepted() {
        let e = parse_decimal("abc", "IRR", "total").unwrap_err().to_string();
        assert!(e.starts_with("total: expected an amount in IRR"), "{e}");
        let e = parse_decimal("1.5", "IRR", "refund_amount").unwrap_err().to_string();
        assert!(e.contains("IRR has 0 decimal places"), "{e}");
    }
}
