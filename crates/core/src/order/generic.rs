//! The generic order event (API.md, "Orders (webhooks)"): JSON a store's own
//! code sends, money already in integer minor units.
//!
//! ```json
//! {"event": "order.paid", "order_id": "1001", "phone": "09121234567",
//!  "total": 2500000, "currency": "IRR", "refund_amount": 0, "refund_id": "r1",
//!  "items": [{"sku": "A1", "category": "shoes", "qty": 2, "price": 1250000}],
//!  "name": "Sara", "coupons": ["VAFA-7K2M"], "occurred_at": "2026-11-22T08:30:00Z"}
//! ```
//!
//! Fields this product does not know are accepted and ignored: stores add
//! their own.

use super::{Id, Item, OrderUpdate, Parsed, Refund, line_total, occurred, same_currency, text};
use crate::error::{Error, Result};
use crate::money::check_minor;
use serde::Deserialize;

#[derive(Deserialize)]
struct Event {
    event: String,
    order_id: Id,
    phone: Option<String>,
    name: Option<String>,
    /// Integers only: a JSON fraction fails to read as `i64`, so money never
    /// passes through a float.
    total: Option<i64>,
    currency: Option<String>,
    refund_amount: Option<i64>,
    refund_id: Option<Id>,
    items: Option<Vec<Line>>,
    coupons: Option<Vec<String>>,
    occurred_at: Option<String>,
}

#[derive(Deserialize)]
struct Line {
    sku: Option<String>,
    category: Option<String>,
    /// Absent: one.
    qty: Option<i64>,
    /// The unit price in minor units; the line's total is `price × qty`.
    price: i64,
}

/// Reads a generic order event for a store whose currency is
/// `store_currency`. Not JSON → 400 `malformed_json`; a field missing or
/// wrong → 422 naming it (`invalid_phone`, `invalid_total`,
/// `invalid_currency`, `invalid_event`, `invalid_refund_amount`,
/// `invalid_items`…).
///
/// - `order.paid`: `total` required; `paid`.
/// - `order.refunded`: `refund_amount` > 0 required, one [`Refund`]. Its id
///   is `refund_id`, or else `r:<occurred_at>:<amount>`, so the same event
///   delivered twice is one refund while two partial refunds (at different
///   times, or of different amounts) are two. Without `occurred_at` either,
///   two refunds of the same amount on one order are taken as one. A refund
///   never counts as a payment: a refund of an order Vafa has not seen paid
///   is refused (404), so the store redelivers it after the payment.
/// - `order.cancelled`: `cancelled` (everything the order earned goes back).
pub fn parse(body: &[u8], store_currency: &str) -> Result<Parsed> {
    let e: Event = crate::json::parse(body)?;
    let (paid, refunded, cancelled) = match e.event.as_str() {
        "order.paid" => (true, false, false),
        "order.refunded" => (false, true, false),
        "order.cancelled" => (false, false, true),
        other => {
            return Err(Error::field("event", format!("expected order.paid, order.refunded or order.cancelled; got {other:?}")));
        }
    };
    let currency = match e.currency.as_deref() {
        // The store's own code may leave it out: its currency is the store's.
        None => store_currency.to_string(),
        given => same_currency(given, store_currency)?,
    };
    let phone = text(e.phone).ok_or_else(|| {
        Error::field("phone", "required: the customer's mobile, such as 09121234567 or +989121234567")
    })?;
    let total = e.total.map(|t| check_minor(t, "total")).transpose()?;
    if paid && total.is_none() {
        return Err(Error::field("total", "required for order.paid: the order's total in minor units, such as 2500000"));
    }
    let refund_amount = check_minor(e.refund_amount.unwrap_or(0), "refund_amount")?;
    let occurred_at = occurred(e.occurred_at.as_deref(), "occurred_at")?;
    let mut refunds = Vec::new();
    if refunded {
        if refund_amount == 0 {
            return Err(Error::field("refund_amount", "order.refunded needs the refunded amount in minor units, more than 0"));
        }
        if total.is_some_and(|t| refund_amount > t) {
            return Err(Error::field("refund_amount", "more than the order's total"));
        }
        let id = match e.refund_id {
            Some(id) => id.0,
            None => format!("r:{}:{refund_amount}", occurred_at.as_ref().map(crate::time::format).unwrap_or_default()),
        };
        refunds.push(Refund { id, amount: refund_amount });
    }
    Ok(Parsed::Order(OrderUpdate {
        order_id: e.order_id.0,
        phone: Some(phone),
        name: text(e.name),
        total: total.unwrap_or(0),
        currency,
        items: items(e.items.unwrap_or_default())?,
        coupons: e.coupons.unwrap_or_default().into_iter().filter_map(|c| text(Some(c))).collect(),
        paid,
        refunds,
        cancelled,
        occurred_at,
        store: None,
    }))
}

fn items(lines: Vec<Line>) -> Result<Vec<Item>> {
    lines
        .into_iter()
        .map(|l| {
            let quantity = l.qty.unwrap_or(1);
            let price = check_minor(l.price, "items")?;
            Ok(Item { sku: text(l.sku), product: None, categories: text(l.category).into_iter().collect(), quantity, total: line_total(price, quantity, "items")? })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::{Edits, outcome};

    const PAID: &str = r#"{"event": "order.paid", "order_id": "1001", "phone": "09121234567", "total": 2500000,
        "currency": "IRR", "refund_amount": 0, "name": "Sara", "coupons": ["VAFA-7K2M", " "],
        "items": [{"sku": "A1", "category": "shoes", "qty": 2, "price": 1000000}, {"sku": "", "price": 500000}],
        "occurred_at": "2026-11-22T12:00:00+03:30", "store_note": {"any": "thing"}}"#;

    fn paid() -> OrderUpdate {
        OrderUpdate {
            order_id: "1001".into(),
            phone: Some("09121234567".into()),
            name: Some("Sara".into()),
            total: 2_500_000,
            currency: "IRR".into(),
            items: vec![
                Item { sku: Some("A1".into()), product: None, categories: vec!["shoes".into()], quantity: 2, total: 2_000_000 },
                Item { sku: None, product: None, categories: Vec::new(), quantity: 1, total: 500_000 },
            ],
            coupons: vec!["VAFA-7K2M".into()],
            paid: true,
            refunds: vec![],
            cancelled: false,
            occurred_at: crate::time::parse("2026-11-22T08:30:00Z"),
            store: None,
        }
    }

    /// `PAID` with each `(from, to)` replaced, parsed for an IRR store.
    fn check(edits: Edits, expect: Result<OrderUpdate, &str>) {
        let body = edits.iter().fold(PAID.to_string(), |b, (from, to)| {
            assert!(b.contains(from), "{from:?} not in the body");
            b.replacen(from, to, 1)
        });
        let expect = expect.map(Parsed::Order).map_err(str::to_string);
        assert_eq!(outcome(parse(body.as_bytes(), "IRR")), expect, "{edits:?}");
    }

    #[test]
    fn generic_events_become_order_updates() {
        check(&[], Ok(paid()));
        // A store of another currency, and the currency left out.
        let usd = parse(PAID.replace("IRR", "usd").as_bytes(), "USD").unwrap();
        assert!(matches!(usd, Parsed::Order(OrderUpdate { ref currency, total: 2_500_000, .. }) if currency == "USD"));
        check(&[(r#""currency": "IRR","#, "")], Ok(paid()));
        check(&[(r#""IRR""#, "null")], Ok(paid()));
        check(&[(r#""order_id": "1001""#, r#""order_id": 820982911946154508"#)], Ok(OrderUpdate { order_id: "820982911946154508".into(), ..paid() }));

        let refund = |id: &str, amount| OrderUpdate { refunds: vec![Refund { id: id.into(), amount }], paid: false, ..paid() };
        let refunded = ("order.paid", "order.refunded");
        check(&[refunded, (r#""refund_amount": 0"#, r#""refund_amount": 700000, "refund_id": "rf-9""#)], Ok(refund("rf-9", 700_000)));
        // Without a refund id: one built from the time and the amount.
        check(&[refunded, (r#""refund_amount": 0"#, r#""refund_amount": 700000"#)], Ok(refund("r:2026-11-22T08:30:00Z:700000", 700_000)));
        check(
            &[refunded, (r#""refund_amount": 0"#, r#""refund_amount": 700000"#), (r#""total": 2500000,"#, "")],
            Ok(OrderUpdate { total: 0, paid: false, ..refund("r:2026-11-22T08:30:00Z:700000", 700_000) }),
        );
        check(
            &[refunded, (r#""refund_amount": 0"#, r#""refund_amount": 700000, "refund_id": 55"#), (r#""occurred_at": "2026-11-22T12:00:00+03:30", "#, "")],
            Ok(OrderUpdate { occurred_at: None, ..refund("55", 700_000) }),
        );
        check(
            &[refunded, (r#""refund_amount": 0"#, r#""refund_amount": 700000"#), (r#""occurred_at": "2026-11-22T12:00:00+03:30", "#, "")],
            Ok(OrderUpdate { occurred_at: None, ..refund("r::700000", 700_000) }),
        );

        check(&[("order.paid", "order.cancelled")], Ok(OrderUpdate { paid: false, cancelled: true, ..paid() }));
        check(
            &[("order.paid", "order.cancelled"), (r#""total": 2500000,"#, "")],
            Ok(OrderUpdate { total: 0, paid: false, cancelled: true, ..paid() }),
        );
    }

    #[test]
    fn bad_generic_events_name_the_field() {
        let refunded = ("order.paid", "order.refunded");
        let cases: &[(Edits, &str)] = &[
            (&[(r#""phone": "09121234567","#, "")], "invalid_phone"),
            (&[(r#""09121234567""#, r#"" ""#)], "invalid_phone"),
            (&[(r#""09121234567""#, "null")], "invalid_phone"),
            (&[(r#""09121234567""#, "9121234567")], "invalid_phone"),
            (&[("2500000,", "-1,")], "invalid_total"),
            (&[("2500000,", "2500000.5,")], "invalid_total"),
            (&[("2500000,", "2500000.0,")], "invalid_total"),
            (&[("2500000,", r#""2500000","#)], "invalid_total"),
            (&[("2500000,", "99999999999999999999,")], "invalid_total"),
            (&[(r#""total": 2500000,"#, "")], "invalid_total"),
            (&[(r#""IRR""#, r#""USD""#)], "invalid_currency"),
            (&[(r#""IRR""#, r#""IRT""#)], "invalid_currency"),
            (&[("order.paid", "order.created")], "invalid_event"),
            (&[(r#""order.paid""#, "1")], "invalid_event"),
            (&[(r#""event": "order.paid", "#, "")], "invalid_event"),
            (&[(r#""order_id": "1001", "#, "")], "invalid_order_id"),
            (&[(r#""1001""#, r#""""#)], "invalid_order_id"),
            (&[(r#""1001""#, "10.5")], "invalid_order_id"),
            (&[refunded], "invalid_refund_amount"),
            (&[refunded, ("\"refund_amount\": 0", "\"refund_amount\": -5")], "invalid_refund_amount"),
            (&[refunded, ("\"refund_amount\": 0", "\"refund_amount\": 2500001")], "invalid_refund_amount"),
            (&[refunded, ("\"refund_amount\": 0", "\"refund_amount\": 9.5")], "invalid_refund_amount"),
            (&[("\"refund_amount\": 0", "\"refund_amount\": -5")], "invalid_refund_amount"),
            (&[(r#""price": 500000"#, r#""price": -500000"#)], "invalid_items"),
            (&[(r#""price": 500000"#, r#""price": 500000.5"#)], "invalid_items"),
            (&[(r#""qty": 2"#, r#""qty": -2"#)], "invalid_items"),
            (&[(r#""qty": 2"#, r#""qty": 4611686018427387904"#)], "invalid_items"),
            (&[(r#", "price": 500000"#, "")], "invalid_items"),
            (&[("2026-11-22T12:00:00+03:30", "22/11/2026")], "invalid_occurred_at"),
            (&[(r#"["VAFA-7K2M", " "]"#, r#""VAFA-7K2M""#)], "invalid_coupons"),
        ];
        for (edits, expect) in cases {
            check(edits, Err(expect));
        }
        for body in ["", "order.paid", "[]", "{\"event\": ", "event=order.paid"] {
            assert_eq!(outcome(parse(body.as_bytes(), "IRR")), Err("malformed_json".into()), "{body}");
        }
    }
}
