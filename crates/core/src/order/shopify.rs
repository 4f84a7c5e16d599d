//! Shopify's order and refund webhooks, chosen by `X-Shopify-Topic`
//! (shopify.dev/docs/api/webhooks; samples and headers in
//! tests/fixtures/SOURCES.md). Money is decimal strings in the shop's
//! currency; times are RFC 3339 with the shop's offset; ids are integers
//! beyond 2^53, read exactly ([`super::Id`]).

use super::{Id, Item, OrderUpdate, Parsed, Refund, line_total, occurred, product, same_currency, text};
use crate::error::{Error, Result};
use crate::money::parse_decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: Id,
    financial_status: Option<String>,
    /// In the shop's currency (`currency`), not the buyer's (`presentment_currency`).
    total_price: Option<String>,
    currency: Option<String>,
    phone: Option<String>,
    customer: Option<Person>,
    billing_address: Option<Person>,
    line_items: Option<Vec<Line>>,
    discount_codes: Option<Vec<Code>>,
    processed_at: Option<String>,
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct Person {
    first_name: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct Line {
    sku: Option<String>,
    product_id: Option<Id>,
    quantity: i64,
    /// The unit price before discounts.
    price: String,
}

#[derive(Deserialize)]
struct Code {
    code: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyRefund {
    id: Id,
    order_id: Id,
    processed_at: Option<String>,
    created_at: Option<String>,
    transactions: Option<Vec<Transaction>>,
}

#[derive(Deserialize)]
struct Transaction {
    kind: Option<String>,
    status: Option<String>,
    amount: Option<String>,
    /// `null` in Shopify's own sample; when given, it must be the store's.
    currency: Option<String>,
}

/// Reads a Shopify delivery; `topic` is `X-Shopify-Topic`.
///
/// - `orders/paid`: paid.
/// - `orders/cancelled`: cancelled; also paid when `financial_status` shows
///   money was taken (`paid`, `partially_refunded`, `refunded`), so what it
///   earned is credited and taken back; a `voided` order earned nothing.
/// - `refunds/create`: one [`Refund`] of the money actually returned: the
///   sum of `transactions[]` of kind `refund` and status `success` (the
///   documented sample's line subtotals do not add up to it). The payload
///   has no customer and no total: `phone` is `None`, `total` 0, `currency`
///   the store's, and the order is found by `order_id`.
/// - any other topic: `Ignored("topic")`.
///
/// Phone: `phone`, then `customer.phone`, then `billing_address.phone`,
/// the first not blank (address phones are free text, normalised later).
pub fn parse(topic: &str, body: &[u8], store_currency: &str) -> Result<Parsed> {
    match topic.trim() {
        "orders/paid" => order(body, store_currency, true),
        "orders/cancelled" => order(body, store_currency, false),
        "refunds/create" => refund(body, store_currency),
        _ => Ok(Parsed::Ignored("topic")),
    }
}

fn order(body: &[u8], store_currency: &str, paid_topic: bool) -> Result<Parsed> {
    let o: Order = crate::json::parse(body)?;
    let currency = same_currency(o.currency.as_deref(), store_currency)?;
    let total = parse_decimal(o.total_price.as_deref().unwrap_or(""), &currency, "total_price")?;
    let items = o
        .line_items
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            let price = parse_decimal(&l.price, &currency, "line_items")?;
            Ok(Item { sku: text(l.sku), product: product(l.product_id), categories: Vec::new(), quantity: l.quantity, total: line_total(price, l.quantity, "line_items")? })
        })
        .collect::<Result<Vec<_>>>()?;
    let (customer, billing) = (o.customer.unwrap_or(NOBODY), o.billing_address.unwrap_or(NOBODY));
    let was_paid = matches!(o.financial_status.as_deref(), Some("paid" | "partially_refunded" | "refunded"));
    Ok(Parsed::Order(OrderUpdate {
        order_id: o.id.0,
        phone: text(o.phone).or(text(customer.phone)).or(text(billing.phone)),
        name: text(customer.first_name).or(text(billing.first_name)),
        total,
        currency,
        items,
        coupons: o.discount_codes.unwrap_or_default().into_iter().filter_map(|c| text(c.code)).collect(),
        paid: paid_topic || was_paid,
        refunds: Vec::new(),
        cancelled: !paid_topic,
        occurred_at: occurred_first(o.processed_at, o.created_at)?,
        store: None,
    }))
}

/// An order as Shopify's Admin GraphQL API answers it (`orders` query:
/// `id`, `phone`, `customer { firstName phone }`, `billingAddress`,
/// `totalPriceSet`, `lineItems { sku product { id } quantity originalUnitPriceSet }`,
/// `discountCodes`, `displayFinancialStatus`, `cancelledAt`, `refunds`,
/// `processedAt`, `createdAt`), read as its webhook would be: the same
/// order id, so a later webhook of the order is a duplicate. Not paid and
/// not cancelled → `Ignored("status")`.
pub fn from_graphql(node: &serde_json::Value, store_currency: &str) -> Result<Parsed> {
    use serde_json::{Value, json};
    let s = |v: &Value, path: &str| v.pointer(path).and_then(Value::as_str).map(str::to_string);
    let tail = |gid: Option<String>| gid.map(|g| g.rsplit('/').next().unwrap_or_default().to_string());
    let money = |v: &Value, path: &str| s(v, &format!("{path}/shopMoney/amount"));
    let status = s(node, "/displayFinancialStatus").unwrap_or_default();
    let was_paid = matches!(status.as_str(), "PAID" | "PARTIALLY_REFUNDED" | "REFUNDED");
    let cancelled = node.get("cancelledAt").is_some_and(|c| !c.is_null());
    if !was_paid && !cancelled {
        return Ok(Parsed::Ignored("status"));
    }
    let lines: Vec<Value> = node.pointer("/lineItems/nodes").and_then(Value::as_array).into_iter().flatten()
        .map(|l| json!({ "sku": l.get("sku"), "product_id": tail(s(l, "/product/id")), "quantity": l.get("quantity"), "price": money(l, "/originalUnitPriceSet") }))
        .collect();
    let rest = json!({
        "id": tail(s(node, "/id")),
        "phone": s(node, "/phone"),
        "customer": { "first_name": s(node, "/customer/firstName"), "phone": s(node, "/customer/phone") },
        "billing_address": { "first_name": s(node, "/billingAddress/firstName"), "phone": s(node, "/billingAddress/phone") },
        "total_price": money(node, "/totalPriceSet"),
        "currency": s(node, "/totalPriceSet/shopMoney/currencyCode"),
        "line_items": lines,
        "discount_codes": node.get("discountCodes").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(|c| json!({ "code": c })).collect::<Vec<_>>(),
        "financial_status": status.to_lowercase(),
        "processed_at": s(node, "/processedAt"),
        "created_at": s(node, "/createdAt"),
    });
    let Parsed::Order(mut update) = order(rest.to_string().as_bytes(), store_currency, !cancelled)? else { return Ok(Parsed::Ignored("status")) };
    for r in node.get("refunds").and_then(Value::as_array).into_iter().flatten() {
        let amount = parse_decimal(&money(r, "/totalRefundedSet").unwrap_or_default(), &update.currency, "refunds")?;
        if let Some(id) = tail(s(r, "/id")).filter(|_| amount > 0) {
            update.refunds.push(Refund { id, amount });
        }
    }
    Ok(Parsed::Order(update))
}

const NOBODY: Person = Person { first_name: None, phone: None };

fn refund(body: &[u8], store_currency: &str) -> Result<Parsed> {
    let r: ShopifyRefund = crate::json::parse(body)?;
    let mut amount = 0i64;
    for t in r.transactions.unwrap_or_default() {
        if t.kind.as_deref() != Some("refund") || t.status.as_deref() != Some("success") {
            continue;
        }
        if t.currency.is_some() {
            same_currency(t.currency.as_deref(), store_currency)?;
        }
        let part = parse_decimal(t.amount.as_deref().unwrap_or(""), store_currency, "transactions")?;
        amount = amount.checked_add(part).ok_or_else(|| Error::field("transactions", "the refunded amounts are too large"))?;
    }
    Ok(Parsed::Order(OrderUpdate {
        order_id: r.order_id.0,
        phone: None,
        name: None,
        total: 0,
        currency: store_currency.to_string(),
        items: Vec::new(),
        coupons: Vec::new(),
        paid: false,
        refunds: vec![Refund { id: r.id.0, amount }],
        cancelled: false,
        occurred_at: occurred_first(r.processed_at, r.created_at)?,
        store: None,
    }))
}

/// `processed_at` (when it happened; set on imported orders too), else `created_at`.
fn occurred_first(processed_at: Option<String>, created_at: Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    match occurred(processed_at.as_deref(), "processed_at")? {
        Some(t) => Ok(Some(t)),
        None => occurred(created_at.as_deref(), "created_at"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::{Edits, edited, outcome};

    const PAID: &[u8] = include_bytes!("../../../../tests/fixtures/shopify/orders-paid.json");
    const CANCELLED: &[u8] = include_bytes!("../../../../tests/fixtures/shopify/orders-cancelled.json");
    const REFUND: &[u8] = include_bytes!("../../../../tests/fixtures/shopify/refunds-create.json");

    /// Order #9999 of the fixtures, as paid.
    fn order_9999() -> OrderUpdate {
        // Shopify's sample: three lines of one product, two of none (null).
        let item = |sku: &str, product: Option<&str>, total| Item { sku: Some(sku.into()), product: product.map(str::to_string), categories: Vec::new(), quantity: 1, total };
        const PRODUCT: Option<&str> = Some("788032119674292922");
        OrderUpdate {
            // Beyond 2^53: a float would have made it 820982911946154500.
            order_id: "820982911946154508".into(),
            phone: Some("+989121234567".into()),
            name: Some("John".into()),
            total: 40_495_000,
            currency: "IRR".into(),
            items: vec![
                item("SKU2006-001", PRODUCT, 8_999_000),
                item("LENS-PROTECT-2YR", None, 1_999_000),
                item("CASE-LEATHER-PREM", None, 2_499_000),
                item("SKU2006-020", PRODUCT, 15_999_000),
                item("SKU2006-035", PRODUCT, 11_999_000),
            ],
            coupons: vec![],
            paid: true,
            refunds: vec![],
            cancelled: false,
            // "2021-12-31T19:00:00-05:00"
            occurred_at: crate::time::parse("2022-01-01T00:00:00Z"),
            store: None,
        }
    }

    fn refund_of_9999() -> OrderUpdate {
        OrderUpdate {
            phone: None,
            name: None,
            total: 0,
            items: vec![],
            paid: false,
            // "7500000.00" + "1000000.00", both refund/success.
            refunds: vec![Refund { id: "890088186047892319".into(), amount: 8_500_000 }],
            ..order_9999()
        }
    }

    /// `body` with each `(from, to)` replaced (all occurrences), parsed for an IRR store.
    fn check(topic: &str, body: &[u8], edits: Edits, expect: Result<Parsed, &str>) {
        let body = edited(body, edits);
        assert_eq!(outcome(parse(topic, body.as_bytes(), "IRR")), expect.map_err(str::to_string), "{topic} {edits:?}");
    }

    #[test]
    fn shopify_payloads_become_order_updates() {
        let order = |o: OrderUpdate| Ok(Parsed::Order(o));
        check("orders/paid", PAID, &[], order(order_9999()));
        // The documented cancelled sample is `voided`: nothing was paid.
        check("orders/cancelled", CANCELLED, &[], order(OrderUpdate { paid: false, cancelled: true, ..order_9999() }));
        for status in ["paid", "partially_refunded", "refunded"] {
            let to = format!("\"financial_status\": \"{status}\"");
            check("orders/cancelled", CANCELLED, &[("\"financial_status\": \"voided\"", &to)], order(OrderUpdate { cancelled: true, ..order_9999() }));
        }
        check("refunds/create", REFUND, &[], order(refund_of_9999()));
        // Only money returned counts: a failed or non-refund transaction adds nothing.
        check("refunds/create", REFUND, &[("\"status\": \"success\",\n      \"message\": null", "\"status\": \"failure\",\n      \"message\": null")], order(OrderUpdate { refunds: vec![Refund { id: "890088186047892319".into(), amount: 7_500_000 }], ..refund_of_9999() }));
        check("refunds/create", REFUND, &[("\"kind\": \"refund\"", "\"kind\": \"sale\"")], order(OrderUpdate { refunds: vec![Refund { id: "890088186047892319".into(), amount: 0 }], ..refund_of_9999() }));
        check("refunds/create", REFUND, &[("\"currency\": null", "\"currency\": \"IRR\"")], order(refund_of_9999()));
        // Without processed_at, created_at says when.
        check("refunds/create", REFUND, &[("\"processed_at\": \"2021-12-31T19:00:00-05:00\"", "\"processed_at\": null")], order(refund_of_9999()));
        check(
            "orders/paid",
            PAID,
            &[("\"processed_at\": \"2021-12-31T19:00:00-05:00\"", "\"processed_at\": null"), ("\"created_at\": \"2021-12-31T19:00:00-05:00\"", "\"created_at\": \"2021-12-31T20:30:00-05:00\"")],
            order(OrderUpdate { occurred_at: crate::time::parse("2022-01-01T01:30:00Z"), ..order_9999() }),
        );
        // The phone: the order's, then the customer's, then the billing address's.
        check("orders/paid", PAID, &[("\"phone\": \"+989121234567\",\n  \"po_number\"", "\"phone\": null,\n  \"po_number\"")], order(order_9999()));
        check("orders/paid", PAID, &[("\"+989121234567\"", "null")], order(OrderUpdate { phone: Some("09121234567".into()), ..order_9999() }));
        check("orders/paid", PAID, &[("\"+989121234567\"", "\"\""), ("\"09121234567\"", "null")], order(OrderUpdate { phone: None, ..order_9999() }));
        check("orders/paid", PAID, &[("\"first_name\": \"John\"", "\"first_name\": null")], order(OrderUpdate { name: Some("Steve".into()), ..order_9999() }));
        check(
            "orders/paid",
            PAID,
            &[("\"discount_codes\": []", "\"discount_codes\": [{\"code\": \"VAFA-7K2M\", \"amount\": \"2000000.00\", \"type\": \"fixed_amount\"}]")],
            order(OrderUpdate { coupons: vec!["VAFA-7K2M".into()], ..order_9999() }),
        );
        check("orders/paid", PAID, &[("\"quantity\": 1,\n      \"requires_shipping\": true,\n      \"sales_line_item_group_id\": null", "\"quantity\": 3,\n      \"requires_shipping\": true,\n      \"sales_line_item_group_id\": null")], {
            let mut o = order_9999();
            o.items[0] = Item { quantity: 3, total: 26_997_000, ..o.items[0].clone() };
            order(o)
        });
        check("orders/paid", PAID, &[("\"customer\": {", "\"customer\": null, \"old_customer\": {")], order(OrderUpdate { name: Some("Steve".into()), ..order_9999() }));
        check("orders/paid", PAID, &[("\"id\": 820982911946154508", "\"id\": \"820982911946154508\"")], order(order_9999()));
    }

    #[test]
    fn the_signature_is_over_the_exact_bytes_received() {
        use crate::secret::verify_base64_sha256;
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"shpss_test",
        //   open("tests/fixtures/shopify/refunds-create.json","rb").read(), hashlib.sha256).digest()).decode())'
        let header = Some("LOIWilmXcK3u8CCGxAxX7eJZwKOueiBLQP25udiSK8Q=");
        assert!(verify_base64_sha256("shpss_test", REFUND, header));
        assert!(!verify_base64_sha256("shpss_test", &REFUND[..REFUND.len() - 1], header));
        assert!(!verify_base64_sha256("shpss_other", REFUND, header));
    }

    #[test]
    fn other_shopify_topics_are_ignored() {
        for topic in ["orders/create", "orders/updated", "orders/fulfilled", "customers/create", "app/uninstalled", ""] {
            check(topic, PAID, &[], Ok(Parsed::Ignored("topic")));
        }
    }

    #[test]
    fn bad_shopify_payloads_name_the_field() {
        let cases: &[(&str, &[u8], Edits, &str)] = &[
            ("orders/paid", PAID, &[("\"currency\": \"IRR\"", "\"currency\": \"USD\"")], "invalid_currency"),
            ("orders/cancelled", CANCELLED, &[("\"currency\": \"IRR\"", "\"currency\": null")], "invalid_currency"),
            ("refunds/create", REFUND, &[("\"currency\": null", "\"currency\": \"USD\"")], "invalid_currency"),
            ("orders/paid", PAID, &[("\"total_price\": \"40495000.00\"", "\"total_price\": \"40495000.01\"")], "invalid_total_price"),
            ("orders/paid", PAID, &[("\"total_price\": \"40495000.00\"", "\"total_price\": 40495000.0")], "invalid_total_price"),
            ("orders/paid", PAID, &[("\"total_price\": \"40495000.00\",", "")], "invalid_total_price"),
            ("orders/paid", PAID, &[("\"price\": \"8999000.00\"", "\"price\": \"-8999000.00\"")], "invalid_line_items"),
            ("orders/paid", PAID, &[("\"quantity\": 1,\n      \"requires_shipping\"", "\"quantity\": -1,\n      \"requires_shipping\"")], "invalid_line_items"),
            ("refunds/create", REFUND, &[("\"amount\": \"7500000.00\"", "\"amount\": \"75.5\"")], "invalid_transactions"),
            ("refunds/create", REFUND, &[("\"amount\": \"7500000.00\"", "\"amount\": 7500000.0")], "invalid_transactions"),
            ("refunds/create", REFUND, &[("\"order_id\": 820982911946154508,\n  \"created_at\"", "\"created_at\"")], "invalid_order_id"),
            ("refunds/create", REFUND, &[("\"id\": 890088186047892319", "\"id\": 8.900881860478923e17")], "invalid_id"),
            ("orders/paid", PAID, &[("\"id\": 820982911946154508", "\"id\": 8.209829119461545e17")], "invalid_id"),
            ("orders/paid", PAID, &[("\"processed_at\": \"2021-12-31T19:00:00-05:00\"", "\"processed_at\": \"31/12/2021\"")], "invalid_processed_at"),
            ("orders/paid", b"{\"id\": 1", &[], "malformed_json"),
            ("refunds/create", b"", &[], "malformed_json"),
        ];
        for (topic, body, edits, expect) in cases {
            check(topic, body, edits, Err(expect));
        }
    }
}
