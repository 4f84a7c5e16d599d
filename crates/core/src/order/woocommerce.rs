//! WooCommerce's order webhook. The body is the REST API's order object
//! (`WC_Webhook::build_payload()` fetches `/wc/v3/orders/<id>`; see
//! tests/fixtures/SOURCES.md): money as decimal strings in the order's
//! currency, dates in UTC without a zone in the `_gmt` fields.
//!
//! WooCommerce disables a webhook after 5 failed deliveries in a row
//! (`woocommerce_max_webhook_delivery_failures`, class-wc-webhook.php), so
//! what this product does not act on (other topics, other statuses, a
//! deleted order's bare `{"id": …}`) is answered as ignored, never refused.

use super::{Id, Item, OrderUpdate, Parsed, Refund, occurred, product, same_currency, text};
use crate::error::{Error, Result};
use crate::money::parse_decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: Id,
    status: Option<String>,
    currency: Option<String>,
    total: Option<String>,
    billing: Option<Billing>,
    line_items: Option<Vec<Line>>,
    coupon_lines: Option<Vec<Coupon>>,
    /// Each `{id, reason, total: "-322500.00"}`; older versions wrote the
    /// reason under `refund` (woocommerce issue 19925). Neither is read.
    refunds: Option<Vec<WcRefund>>,
    date_paid_gmt: Option<String>,
}

#[derive(Deserialize)]
struct Billing {
    first_name: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Line {
    sku: Option<String>,
    product_id: Option<Id>,
    quantity: i64,
    /// The line's total after discounts, before tax.
    total: String,
}

#[derive(Deserialize)]
struct Coupon {
    code: Option<String>,
}

#[derive(Deserialize)]
struct WcRefund {
    id: Id,
    total: String,
}

/// WooCommerce's ping when a webhook is activated: the form body
/// `webhook_id=<n>`, with no topic and no signature (`WC_Webhook::deliver_ping()`).
/// It must be answered exactly 200; it carries nothing to verify or act on.
pub fn is_ping(body: &[u8]) -> bool {
    body.trim_ascii()
        .strip_prefix(b"webhook_id=")
        .is_some_and(|id| !id.is_empty() && id.iter().all(u8::is_ascii_digit))
}

/// Reads a WooCommerce delivery: `topic` is `X-WC-Webhook-Topic` (absent on
/// the ping). The ping → [`Parsed::Ping`]; a topic other than
/// `order.created`/`updated`/`restored` → `Ignored("topic")`.
///
/// Statuses: `processing`, `completed` → paid; `refunded` → paid, and
/// cancelled (everything back) unless `refunds[]` already covers the total
/// (WooCommerce never lowers `total` for a refund; net = total + Σ
/// refunds[].total); `cancelled` → cancelled, paid if `date_paid_gmt` is set
/// (a paid order the shop cancelled); any other (`pending`, `on-hold`,
/// `failed`, `checkout-draft`, `trash`, a plugin's own) → `Ignored("status")`.
/// Every refund listed is returned, each time (applying is by refund id). No phone in `billing`
/// is still an order, with `phone: None`.
pub fn parse(topic: Option<&str>, body: &[u8], store_currency: &str) -> Result<Parsed> {
    if is_ping(body) {
        return Ok(Parsed::Ping);
    }
    // `order.deleted` carries only the id (`build_payload()`); deleting is
    // not refunding, so it takes nothing back.
    if let Some(topic) = topic.map(str::trim)
        && !matches!(topic, "order.created" | "order.updated" | "order.restored")
    {
        return Ok(Parsed::Ignored("topic"));
    }
    let o: Order = crate::json::parse(body)?;
    let (paid, refunded, cancelled) = match o.status.as_deref() {
        Some("processing" | "completed") => (true, false, false),
        Some("refunded") => (true, true, false),
        Some("cancelled") => (o.date_paid_gmt.as_deref().is_some_and(|d| !d.trim().is_empty()), false, true),
        _ => return Ok(Parsed::Ignored("status")),
    };
    let currency = same_currency(o.currency.as_deref(), store_currency)?;
    let total = parse_decimal(o.total.as_deref().unwrap_or(""), &currency, "total")?;
    let refunds = o
        .refunds
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            // Listed negative ("-322500.00"); the amount is its size.
            let amount = parse_decimal(r.total.trim().trim_start_matches('-'), &currency, "refunds")?;
            Ok(Refund { id: r.id.0, amount })
        })
        .collect::<Result<Vec<_>>>()?;
    let refunded_sum = refunds.iter().try_fold(0i64, |sum, r| sum.checked_add(r.amount));
    let items = o
        .line_items
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            if l.quantity < 0 {
                return Err(Error::field("line_items", "a line's quantity cannot be negative"));
            }
            Ok(Item { sku: text(l.sku), product: product(l.product_id), categories: Vec::new(), quantity: l.quantity, total: parse_decimal(&l.total, &currency, "line_items")? })
        })
        .collect::<Result<Vec<_>>>()?;
    // `_gmt` dates are UTC written without a zone ("2017-03-22T19:28:08").
    let paid_at = o.date_paid_gmt.map(|d| if d.trim().len() == 19 { format!("{}Z", d.trim()) } else { d });
    let billing = o.billing.unwrap_or(Billing { first_name: None, phone: None });
    Ok(Parsed::Order(OrderUpdate {
        order_id: o.id.0,
        phone: text(billing.phone),
        name: text(billing.first_name),
        total,
        currency,
        items,
        coupons: o.coupon_lines.unwrap_or_default().into_iter().filter_map(|c| text(c.code)).collect(),
        paid,
        cancelled: cancelled || (refunded && refunded_sum.is_none_or(|sum| sum < total)),
        refunds,
        occurred_at: occurred(paid_at.as_deref(), "date_paid_gmt")?,
        store: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::{Edits, edited, outcome};

    const PROCESSING: &[u8] = include_bytes!("../../../../tests/fixtures/woocommerce/order-processing.json");
    const REFUNDED_PARTIAL: &[u8] = include_bytes!("../../../../tests/fixtures/woocommerce/order-refunded-partial.json");
    const CANCELLED: &[u8] = include_bytes!("../../../../tests/fixtures/woocommerce/order-cancelled.json");
    const PING: &[u8] = include_bytes!("../../../../tests/fixtures/woocommerce/ping.txt");
    const UPDATED: Option<&str> = Some("order.updated");

    /// Order 727 of the fixtures, as it was paid.
    fn order_727() -> OrderUpdate {
        OrderUpdate {
            order_id: "727".into(),
            phone: Some("09121234567".into()),
            name: Some("John".into()),
            // "2935000.00" IRR: exactly 2,935,000 rials.
            total: 2_935_000,
            currency: "IRR".into(),
            items: vec![
                Item { sku: None, product: Some("93".into()), categories: Vec::new(), quantity: 2, total: 600_000 },
                Item { sku: Some("Bar3".into()), product: Some("22".into()), categories: Vec::new(), quantity: 1, total: 1_200_000 },
            ],
            coupons: vec![],
            paid: true,
            refunds: vec![],
            cancelled: false,
            occurred_at: crate::time::parse("2017-03-22T19:28:08Z"),
            store: None,
        }
    }

    /// `body` with each `(from, to)` replaced (all occurrences), parsed for an IRR store.
    fn check(topic: Option<&str>, body: &[u8], edits: Edits, expect: Result<Parsed, &str>) {
        let body = edited(body, edits);
        assert_eq!(outcome(parse(topic, body.as_bytes(), "IRR")), expect.map_err(str::to_string), "{topic:?} {edits:?}");
    }

    #[test]
    fn woocommerce_orders_become_order_updates() {
        let order = |o: OrderUpdate| Ok(Parsed::Order(o));
        let refund_728 = vec![Refund { id: "728".into(), amount: 322_500 }];
        check(UPDATED, PROCESSING, &[], order(order_727()));
        check(Some("order.created"), PROCESSING, &[], order(order_727()));
        check(None, PROCESSING, &[], order(order_727()));
        check(UPDATED, PROCESSING, &[("\"processing\"", "\"completed\"")], order(order_727()));
        // A store set to 0 decimals sends "2935000".
        check(UPDATED, PROCESSING, &[(".00\"", "\"")], order(order_727()));
        check(UPDATED, REFUNDED_PARTIAL, &[], order(OrderUpdate { refunds: refund_728.clone(), ..order_727() }));
        // The older key for the reason.
        check(UPDATED, REFUNDED_PARTIAL, &[("\"reason\"", "\"refund\"")], order(OrderUpdate { refunds: refund_728.clone(), ..order_727() }));
        // Cancelled after payment: paid, then all back.
        check(UPDATED, CANCELLED, &[], order(OrderUpdate { cancelled: true, ..order_727() }));
        // Cancelled before payment: nothing was earned.
        check(
            UPDATED,
            CANCELLED,
            &[("\"2017-03-22T19:28:08\"", "null")],
            order(OrderUpdate { paid: false, cancelled: true, occurred_at: None, ..order_727() }),
        );
        // Refunded in full without refund lines: all back.
        check(UPDATED, PROCESSING, &[("\"processing\"", "\"refunded\"")], order(OrderUpdate { cancelled: true, ..order_727() }));
        // Refunded partly, then marked refunded: the rest goes back too.
        check(
            UPDATED,
            REFUNDED_PARTIAL,
            &[("\"processing\"", "\"refunded\"")],
            order(OrderUpdate { refunds: refund_728.clone(), cancelled: true, ..order_727() }),
        );
        // Refunded in full by refund lines: they take everything back.
        check(
            UPDATED,
            REFUNDED_PARTIAL,
            &[("\"processing\"", "\"refunded\""), ("-322500.00", "-2935000.00")],
            order(OrderUpdate { refunds: vec![Refund { id: "728".into(), amount: 2_935_000 }], ..order_727() }),
        );
        // No usable phone: still an order (the component answers "no_phone").
        check(UPDATED, PROCESSING, &[("\"09121234567\"", "\" \"")], order(OrderUpdate { phone: None, ..order_727() }));
        check(UPDATED, PROCESSING, &[("\"phone\": \"09121234567\"", "\"fax\": \"\"")], order(OrderUpdate { phone: None, ..order_727() }));
        check(
            UPDATED,
            PROCESSING,
            &[("\"coupon_lines\": []", "\"coupon_lines\": [{\"id\": 1, \"code\": \"VAFA-7K2M\", \"discount\": \"0.00\"}]")],
            order(OrderUpdate { coupons: vec!["VAFA-7K2M".into()], ..order_727() }),
        );
        // Compact JSON with escaped slashes, as on the wire, reads the same.
        let wire = serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(PROCESSING).unwrap()).unwrap();
        check(UPDATED, &wire, &[], order(order_727()));
    }

    #[test]
    fn the_signature_is_over_the_exact_bytes_received() {
        use crate::secret::verify_base64_sha256;
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"wc-secret",
        //   open("tests/fixtures/woocommerce/order-processing.json","rb").read(), hashlib.sha256).digest()).decode())'
        let header = Some("FpMJ3Qxlj58Ydv9aplpUpQZ71yVtFbCDnwCwmrqmPw4=");
        assert!(verify_base64_sha256("wc-secret", PROCESSING, header));
        // The same order re-encoded (compact) is other bytes: refused.
        let compact = serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(PROCESSING).unwrap()).unwrap();
        assert!(!verify_base64_sha256("wc-secret", &compact, header));
        assert!(!verify_base64_sha256("other-secret", PROCESSING, header));
        assert!(!verify_base64_sha256("wc-secret", PROCESSING, None));
    }

    #[test]
    fn pings_other_topics_and_other_statuses_are_not_orders() {
        check(None, PING, &[], Ok(Parsed::Ping));
        check(None, b"webhook_id=42\n", &[], Ok(Parsed::Ping));
        check(UPDATED, PING, &[], Ok(Parsed::Ping));
        check(Some("product.updated"), PROCESSING, &[], Ok(Parsed::Ignored("topic")));
        check(Some("order.deleted"), br#"{"id": 727}"#, &[], Ok(Parsed::Ignored("topic")));
        check(Some("action.woocommerce_new_order"), b"action=x", &[], Ok(Parsed::Ignored("topic")));
        check(UPDATED, br#"{"id": 727}"#, &[], Ok(Parsed::Ignored("status")));
        for status in ["pending", "on-hold", "failed", "draft", "checkout-draft", "trash", "shipped"] {
            let to = format!("\"{status}\"");
            // Even with a foreign currency: an ignored order is never refused.
            check(UPDATED, PROCESSING, &[("\"processing\"", &to), ("\"IRR\"", "\"USD\"")], Ok(Parsed::Ignored("status")));
        }
    }

    #[test]
    fn bad_woocommerce_orders_name_the_field() {
        let cases: &[(&[u8], Edits, &str)] = &[
            (PROCESSING, &[("\"IRR\"", "\"USD\"")], "invalid_currency"),
            (PROCESSING, &[("\"IRR\"", "\"IRT\"")], "invalid_currency"),
            (PROCESSING, &[("\"currency\": \"IRR\",", "")], "invalid_currency"),
            (PROCESSING, &[("\"2935000.00\"", "\"2935000.50\"")], "invalid_total"),
            (PROCESSING, &[("\"2935000.00\"", "\"-2935000.00\"")], "invalid_total"),
            (PROCESSING, &[("\"2935000.00\"", "2935000")], "invalid_total"),
            (PROCESSING, &[("\"total\": \"2935000.00\",", "")], "invalid_total"),
            (PROCESSING, &[("\"1200000.00\",\n      \"total_tax\"", "\"12,000.00\",\n      \"total_tax\"")], "invalid_line_items"),
            (PROCESSING, &[("\"quantity\": 2", "\"quantity\": -2")], "invalid_line_items"),
            (PROCESSING, &[("\"quantity\": 2", "\"quantity\": \"2\"")], "invalid_line_items"),
            (REFUNDED_PARTIAL, &[("-322500.00", "-3225.5")], "invalid_refunds"),
            (REFUNDED_PARTIAL, &[("\"id\": 728", "\"id\": null")], "invalid_refunds"),
            (PROCESSING, &[("\"2017-03-22T19:28:08\"", "\"22 March 2017\"")], "invalid_date_paid_gmt"),
            (PROCESSING, &[("\"id\": 727", "\"id\": -727")], "invalid_id"),
            (PROCESSING, &[("{\n  \"id\": 727,", "{")], "invalid_id"),
            (PROCESSING, &[("\"status\": \"processing\"", "\"status\": 1")], "invalid_status"),
            (b"{\"id\": 727, ", &[], "malformed_json"),
            (b"webhook_id=", &[], "malformed_json"),
            (b"", &[], "malformed_json"),
        ];
        for (body, edits, expect) in cases {
            check(UPDATED, body, edits, Err(expect));
        }
    }
}
