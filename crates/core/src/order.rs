//! A store's order as Vafa sees it, whichever platform sent it: the generic
//! signed JSON event, WooCommerce's order webhook or Shopify's. Each parser
//! turns the platform's own payload into an [`OrderUpdate`]: what is true of
//! the order now (paid? which refunds? cancelled?). Applying an update is
//! idempotent: each fact is applied once, however often the update comes.

pub mod generic;
pub mod shopify;
pub mod woocommerce;

use crate::error::{Error, Result};
use crate::money;
use chrono::{DateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The platform's product id (WooCommerce and Shopify lines name one;
    /// their categories are read from the platform: [`crate::catalog`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The product's categories as the store names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    pub quantity: i64,
    /// The line's total in minor units.
    pub total: i64,
}

/// One refund of an order: its platform id (or a stable id built from the
/// event when the platform gives none) and the amount, in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
}

/// What a webhook says of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    pub order_id: String,
    /// The customer's phone as the store typed it (normalised later, with
    /// the club's default country). `None`: the payload has none (Shopify's
    /// refunds carry only the order id).
    pub phone: Option<String>,
    pub name: Option<String>,
    /// The order's total in minor units (0 when the payload does not say,
    /// e.g. a Shopify refund: the order's recorded total then applies).
    pub total: i64,
    pub currency: String,
    pub items: Vec<Item>,
    /// Coupon codes used on the order (a redemption code is recognised here).
    pub coupons: Vec<String>,
    /// Paid: points are earned.
    pub paid: bool,
    /// Every refund the payload lists (WooCommerce lists all of an order's
    /// refunds; Shopify and the generic event one at a time).
    pub refunds: Vec<Refund>,
    /// Cancelled, or refunded in full without refund lines: every point the
    /// order earned is taken back.
    pub cancelled: bool,
    /// When the platform says it happened (paid, refunded…), if it does.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The store's currency and the order's total in it, once the amounts
    /// above are in the club's currency ([`OrderUpdate::in_club_currency`]);
    /// `None` as parsed.
    pub store: Option<(String, i64)>,
}

impl OrderUpdate {
    /// The update counted in the club's currency, the store's own kept in
    /// `store` (minor units are the same: `money::converts`). A store whose
    /// currency does not convert (the club's changed since the store was
    /// set up) is 422 `invalid_currency`.
    pub fn in_club_currency(mut self, club: &str) -> Result<OrderUpdate> {
        if !money::converts(&self.currency, club) {
            return Err(money::unconvertible(&self.currency, club));
        }
        let store = (std::mem::replace(&mut self.currency, club.to_string()), self.total);
        self.store = Some(store);
        Ok(self)
    }
}

/// What a webhook body is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// An order fact to apply.
    Order(OrderUpdate),
    /// WooCommerce's ping when a webhook is saved: answer 200, do nothing.
    Ping,
    /// A well-formed event this product does not act on (a topic or status
    /// with no points in it, e.g. WooCommerce `pending`): answer 200 with the
    /// reason, write nothing.
    Ignored(&'static str),
}

/// A platform's id as text. JSON strings are taken as they are; integers
/// exactly as written: Shopify's ids (820982911946154508) exceed 2^53, so
/// they must never pass through a float. Empty, negative and fractional ids
/// are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id: a non-empty string or a whole number")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Id, E> {
                Ok(Id(n.to_string()))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Id, E> {
                match s.trim() {
                    "" => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
                    t => Ok(Id(t.to_string())),
                }
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

/// The store's currency if `given` names it (ISO 4217 codes, either case),
/// else 422 `invalid_currency`: amounts in another currency cannot be
/// scored against the store's rates.
pub(crate) fn same_currency(given: Option<&str>, store: &str) -> Result<String> {
    match given.map(str::trim) {
        Some(c) if c.eq_ignore_ascii_case(store) => Ok(store.to_string()),
        other => Err(Error::field("currency", format!("expected the store's currency {store}; got {}", other.unwrap_or("none")))),
    }
}

/// Text a person typed, `None` when absent or blank.
/// A line's product id; WooCommerce sends 0 for a product since deleted.
pub(crate) fn product(id: Option<Id>) -> Option<String> {
    id.map(|Id(id)| id).filter(|id| !id.is_empty() && id != "0")
}

pub(crate) fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A line's total: unit price × quantity, in minor units; a negative
/// quantity or an overflow is 422 naming `field`.
pub(crate) fn line_total(price: i64, quantity: i64, field: &str) -> Result<i64> {
    if quantity < 0 {
        return Err(Error::field(field, "a line's quantity cannot be negative"));
    }
    price.checked_mul(quantity).ok_or_else(|| Error::field(field, "a line's price × quantity is too large"))
}

/// An RFC 3339 instant with any offset (`2021-12-31T19:00:00-05:00`, as
/// Shopify sends), as UTC. `crate::time::parse` reads the UTC forms only;
/// the offset is read here rather than by chrono's general parser, for the
/// same reason as there (size in every Wasm component).
pub(crate) fn instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = crate::time::parse(s) {
        return Some(t);
    }
    let split = s.len().checked_sub(6)?;
    let (local, zone) = (s.get(..split)?, s.as_bytes().get(split..)?);
    let sign = match zone[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digit = |i: usize| zone[i].is_ascii_digit().then(|| i64::from(zone[i] - b'0'));
    let (hours, minutes) = (digit(1)? * 10 + digit(2)?, digit(4)? * 10 + digit(5)?);
    if zone[3] != b':' || hours > 23 || minutes > 59 {
        return None;
    }
    let t = crate::time::parse(&format!("{local}Z"))?;
    Some(t - chrono::TimeDelta::minutes(sign * (hours * 60 + minutes)))
}

/// `instant` for an optional field, 422 naming `field` when present but not a time.
pub(crate) fn occurred(raw: Option<&str>, field: &str) -> Result<Option<DateTime<Utc>>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => instant(s).map(Some).ok_or_else(|| {
            Error::field(field, "expected an RFC 3339 time such as 2026-11-22T08:30:00Z or 2026-11-22T12:00:00+03:30")
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The client-visible code of an error, as the adapter maps it.
    pub(crate) fn code(e: &Error) -> String {
        match e {
            Error::InvalidField { field, .. } => format!("invalid_{field}"),
            Error::MalformedJson(_) => "malformed_json".into(),
            Error::Unprocessable { code, .. } => code.to_string(),
            other => format!("{other:?}"),
        }
    }

    /// Text replacements `(from, to)` that turn a fixture into a test case.
    pub(crate) type Edits<'a> = &'a [(&'a str, &'a str)];

    /// A fixture with each `(from, to)` replaced (every occurrence).
    pub(crate) fn edited(body: &[u8], edits: Edits) -> String {
        edits.iter().fold(String::from_utf8(body.to_vec()).expect("UTF-8 fixture"), |b, (from, to)| {
            assert!(b.contains(from), "{from:?} not in the body");
            b.replace(from, to)
        })
    }

    /// The outcome as one comparable string: the update, or the error code.
    pub(crate) fn outcome(got: Result<Parsed>) -> Result<Parsed, String> {
        got.map_err(|e| code(&e))
    }

    #[test]
    fn instants_with_offsets_become_utc() {
        let cases = [
            ("2021-12-31T19:00:00-05:00", Some("2022-01-01T00:00:00Z")),
            ("2026-11-22T12:00:00+03:30", Some("2026-11-22T08:30:00Z")),
            ("2026-11-22T08:30:00.250+03:30", Some("2026-11-22T05:00:00Z")),
            ("2026-11-22T08:30:00Z", Some("2026-11-22T08:30:00Z")),
            ("2026-11-22T08:30:00-00:00", Some("2026-11-22T08:30:00Z")),
            ("2026-11-22T08:30:00", None),
            ("2026-11-22T08:30:00+3:30", None),
            ("2026-11-22T08:30:00+24:00", None),
            ("2026-11-22T08:30:00+03-30", None),
            ("2026-11-22T08:30:00+0330", None),
            ("+03:30", None),
            ("", None),
        ];
        for (text, expect) in cases {
            assert_eq!(instant(text).map(|t| crate::time::format(&t)).as_deref(), expect, "{text}");
        }
    }

    #[test]
    fn ids_are_read_exactly_whatever_their_json_type() {
        let cases: &[(&str, Option<&str>)] = &[
            ("820982911946154508", Some("820982911946154508")),
            ("18446744073709551615", Some("18446744073709551615")),
            ("\"1001\"", Some("1001")),
            ("\" A-7 \"", Some("A-7")),
            ("\"\"", None),
            ("-5", None),
            ("1.5", None),
            ("null", None),
        ];
        for (json, expect) in cases {
            let got = serde_json::from_str::<Id>(json).ok().map(|id| id.0);
            assert_eq!(got.as_deref(), *expect, "{json}");
        }
    }
}
