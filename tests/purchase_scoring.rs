//! Purchase scoring, end to end: order webhooks (generic, WooCommerce,
//! Shopify) earning and taking back points through the points journal,
//! exactly once under redeliveries, kills and concurrency, with the balance
//! always the sum of the ledger.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::{Fault, Host, KvBackend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_earns_once_and_a_redelivery_answers_the_same_body() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let first = generic(&host, "shop-1", &paid("1001", "09121234567", 2_500_000)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let body = first.json();
    assert_eq!((body["points_delta"].clone(), body["balance"].clone(), body["tier"].clone(), body["duplicate"].clone()), (json!(25), json!(25), json!("bronze"), json!(false)));
    let again = generic(&host, "shop-1", &paid("1001", "09121234567", 2_500_000)).await;
    let mut expect = body.clone();
    expect["duplicate"] = json!(true);
    assert_eq!(again.json(), expect);
    // Store, settings and bonus rules in one batch read, then the order's
    // record. Spin's Redis store cannot read a batch: there it is key by key.
    let limit = match host.kv_backend() {
        KvBackend::Sqlite => 2,
        KvBackend::Redis => 5,
    };
    assert!(again.kv_ops <= limit, "a duplicate costs {} key-value operations", again.kv_ops);
    let id = member_id_of(&host, "09121234567").await;
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after a redelivery").await, 25);
    let m = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!((m["stats"]["orders"].clone(), m["stats"]["spend"].clone(), m["segment"].clone()), (json!(1), json!(2_500_000), json!("new")), "a first-time buyer: {m}");
    assert_eq!(m["rfm"], json!({"recency": 5, "frequency": 1, "monetary": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_deliveries_of_one_order_credit_once() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let calls = (0..20).map(|_| {
        let host = host.clone();
        async move { generic(&host, "shop-1", &paid("1001", "09121234567", 4_000_000)).await }
    });
    let replies = futures::future::join_all(calls).await;
    let mut fresh = 0;
    for r in &replies {
        assert_eq!(r.status, 200, "{}", r.text());
        let b = r.json();
        assert_eq!((b["points_delta"].clone(), b["balance"].clone()), (json!(40), json!(40)), "{b}");
        fresh += usize::from(b["duplicate"] == false);
    }
    assert_eq!(fresh, 1, "exactly one delivery is the first: {:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    let id = member_id_of(&host, "09121234567").await;
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after 20 deliveries").await, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_take_back_the_refunded_share_and_a_cancellation_the_rest() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    generic(&host, "shop-1", &paid("1001", "09121234567", 3_000_000)).await;
    let r = generic(&host, "shop-1", &refunded("1001", "09121234567", 1_000_000, "r1")).await;
    assert_eq!((r.status, r.json()["points_delta"].clone(), r.json()["balance"].clone()), (200, json!(-10), json!(20)), "{}", r.text());
    // The same refund again changes nothing.
    let r = generic(&host, "shop-1", &refunded("1001", "09121234567", 1_000_000, "r1")).await;
    assert_eq!((r.json()["balance"].clone(), r.json()["duplicate"].clone()), (json!(20), json!(true)));
    // A third of a point is the member's.
    let r = generic(&host, "shop-1", &refunded("1001", "09121234567", 333_333, "r2")).await;
    assert_eq!(r.json()["points_delta"], -3);
    let cancel = json!({"event": "order.cancelled", "order_id": "1001", "phone": "09121234567", "currency": "IRR"});
    let r = generic(&host, "shop-1", &cancel).await;
    assert_eq!((r.json()["points_delta"].clone(), r.json()["balance"].clone()), (json!(-17), json!(0)), "{}", r.text());
    let r = generic(&host, "shop-1", &refunded("1001", "09121234567", 1_000_000, "r3")).await;
    assert_eq!(r.json()["balance"], 0, "never more than the order earned");
    let id = member_id_of(&host, "09121234567").await;
    assert_balance_is_the_ledger(&host, &id, "after refunds").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_back_may_leave_a_negative_balance() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap();
    generic(&host, "shop-1", &paid("1001", "09121234567", 5_000_000)).await;
    adjust(&host, id, json!({"points": -40, "reason": "spent elsewhere"})).await;
    let r = generic(&host, "shop-1", &refunded("1001", "09121234567", 5_000_000, "all")).await;
    assert_eq!(r.json()["balance"], -40, "{}", r.text());
    assert_balance_is_the_ledger(&host, id, "negative").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_phone_is_enrolled_without_consent_only_when_the_store_asks() {
    let host = host().await;
    store(&host, "quiet", false).await;
    store(&host, "open", true).await;
    let before = host.kv_snapshot();
    let r = generic(&host, "quiet", &paid("1", "09120000001", 1_000_000)).await;
    assert_eq!((r.status, r.json()), (202, json!({"member_id": null})));
    assert_eq!(host.kv_snapshot(), before, "nothing written");
    let r = generic(&host, "open", &paid("1", "09120000001", 1_000_000)).await;
    assert_eq!((r.status, r.json()["points_delta"].clone()), (200, json!(10)), "{}", r.text());
    let m = admin(&host, "GET", "/api/members?phone=09120000001", None).await.json();
    assert_eq!((m["consent"]["status"].clone(), m["store_id"].clone(), m["points"].clone()), (json!("none"), json!("open"), json!(10)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhooks_are_refused_and_write_nothing() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let before = host.kv_snapshot();
    let good = paid("1001", "09121234567", 2_500_000);
    let raw = good.to_string();
    let r = host.request("POST", "/hooks/orders/shop-1", &[("x-vafa-signature", "sha256=00")], raw.clone()).await;
    assert_error(&r, 401, "unauthorized");
    let r = host.request("POST", "/hooks/orders/shop-1", &[], raw.clone()).await;
    assert_error(&r, 401, "unauthorized");
    let sig = format!("sha256={}", hex::encode(hmac(raw.as_bytes())));
    let r = host.request("POST", "/hooks/orders/nope", &[("x-vafa-signature", &sig)], raw).await;
    assert_error(&r, 404, "not_found");
    let cases = [
        (json!({"event": "order.paid", "order_id": "1", "total": 100, "currency": "IRR"}), 422, "invalid_phone"),
        (json!({"event": "order.paid", "order_id": "1", "phone": "09121234567", "total": -5, "currency": "IRR"}), 422, "invalid_total"),
        (json!({"event": "order.paid", "order_id": "1", "phone": "09121234567", "total": "12", "currency": "IRR"}), 422, "invalid_total"),
        (json!({"event": "order.paid", "order_id": "1", "phone": "09121234567", "total": 100, "currency": "USD"}), 422, "invalid_currency"),
        (refunded("404", "09121234567", 100, "r"), 404, "not_found"),
    ];
    for (body, status, code) in cases {
        let r = generic(&host, "shop-1", &body).await;
        assert_error(&r, status, code);
    }
    let big = json!({"event": "order.paid", "pad": "x".repeat(70 * 1024)});
    assert_error(&generic(&host, "shop-1", &big).await, 413, "body_too_large");
    assert_eq!(host.kv_snapshot(), before, "no rejected webhook wrote anything");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_and_a_refund_killed_at_any_step_are_finished_by_the_redelivery() {
    let probe = host().await;
    store(&probe, "shop-1", false).await;
    create_member(&probe, json!({"phone": "09121234567"})).await;
    let paid_steps = generic(&probe, "shop-1", &paid("1", "09121234567", 2_000_000)).await.kv_ops;
    let refund_steps = generic(&probe, "shop-1", &refunded("1", "09121234567", 500_000, "r")).await.kv_ops;
    let host = host().await;
    // One tier, so every order earns the same whatever was spent before.
    let one_tier = json!({"tiers": [{"name": "bronze", "min_spend": 0, "multiplier_pct": 100}]});
    assert_eq!(admin(&host, "PUT", "/api/settings", Some(one_tier)).await.status, 200);
    store(&host, "shop-1", false).await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap();
    let mut expected = 0;
    for n in 1..=paid_steps.max(refund_steps) {
        let order = format!("o{n}");
        for (event, steps, delta) in [(paid(&order, "09121234567", 2_000_000), paid_steps, 20), (refunded(&order, "09121234567", 500_000, "r"), refund_steps, -5)] {
            if n <= steps {
                host.inject_kv_fault(n, Fault::Trap);
                let killed = generic(&host, "shop-1", &event).await;
                assert!(killed.trap.is_some() || killed.status == 200, "step {n}: {}", killed.text());
                assert_balance_is_the_ledger(&host, id, &format!("after a kill at step {n}")).await;
            }
            let redelivered = generic(&host, "shop-1", &event).await;
            assert_eq!(redelivered.status, 200, "step {n}: {}", redelivered.text());
            expected += delta;
            assert_eq!(redelivered.json()["balance"], expected, "step {n}: {event}");
            assert_eq!(assert_balance_is_the_ledger(&host, id, &format!("after the redelivery at step {n}")).await, expected);
        }
    }
}


/// A WooCommerce delivery: the fixture's bytes, signed as WooCommerce signs
/// them (class-wc-webhook.php `generate_signature`).
async fn woocommerce(host: &Host, file: &str) -> vafa_test_host::Reply {
    let body = fixture(file);
    let sig = base64_hmac(&body);
    let headers = [("content-type", "application/json"), ("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", sig.as_str()), ("x-wc-webhook-delivery-id", "7b0d8e1c")];
    host.request("POST", "/hooks/woocommerce/shop-1", &headers, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woocommerce_orders_earn_refund_and_cancel_from_the_real_payloads() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let ping = host.request("POST", "/hooks/woocommerce/shop-1", &[("content-type", "application/x-www-form-urlencoded")], fixture("woocommerce/ping.txt")).await;
    assert_eq!(ping.status, 200, "{}", ping.text());
    let r = woocommerce(&host, "woocommerce/order-processing.json").await;
    assert_eq!((r.status, r.json()["points_delta"].clone()), (200, json!(29)), "2,935,000 IRR: {}", r.text());
    let r = woocommerce(&host, "woocommerce/order-refunded-partial.json").await;
    assert_eq!((r.json()["points_delta"].clone(), r.json()["balance"].clone()), (json!(-3), json!(26)), "322,500 of 2,935,000 back: {}", r.text());
    let r = woocommerce(&host, "woocommerce/order-cancelled.json").await;
    assert_eq!(r.json()["balance"], 0, "{}", r.text());
    let bad = host.request("POST", "/hooks/woocommerce/shop-1", &[("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", "AAAA")], fixture("woocommerce/order-processing.json")).await;
    assert_error(&bad, 401, "unauthorized");
    let id = member_id_of(&host, "09121234567").await;
    assert_balance_is_the_ledger(&host, &id, "woocommerce").await;
}

/// A WooCommerce delivery of `order`, signed.
async fn woocommerce_json(host: &Host, order: &Value) -> vafa_test_host::Reply {
    let body = order.to_string();
    let sig = base64_hmac(body.as_bytes());
    host.request("POST", "/hooks/woocommerce/shop-1", &[("content-type", "application/json"), ("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", &sig)], body).await
}

/// The real WooCommerce fixture with every amount in `currency`: the same
/// money, written as a Persian WooCommerce shop in that unit writes it.
fn woocommerce_in(file: &str, currency: &str, divide: i64) -> Value {
    fn walk(v: &mut Value, divide: i64) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    let money = ["total", "subtotal", "price", "total_tax", "subtotal_tax", "shipping_total", "shipping_tax", "discount_total", "discount_tax", "cart_tax", "amount"].contains(&k.as_str());
                    match v {
                        Value::String(s) if money && s.parse::<f64>().is_ok() => {
                            let sign = if s.starts_with('-') { "-" } else { "" };
                            let rials: i64 = s.trim_start_matches('-').split('.').next().unwrap().parse().unwrap();
                            let (whole, rest) = (rials / divide, rials % divide);
                            let width = divide.to_string().len() - 1;
                            *s = if rest == 0 { format!("{sign}{whole}") } else { format!("{sign}{whole}.{}", format!("{rest:0width$}").trim_end_matches('0')) };
                        }
                        Value::Number(n) if money => *v = json!(n.as_f64().unwrap() / divide as f64),
                        _ => walk(v, divide),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, divide)),
            _ => {}
        }
    }
    let mut order: Value = serde_json::from_slice(&fixture(file)).unwrap();
    walk(&mut order, divide);
    order["currency"] = json!(currency);
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_money_earns_the_same_points_in_each_of_irans_four_units() {
    for (currency, divide) in [("IRR", 1), ("IRT", 10), ("IRHR", 1_000), ("IRHT", 10_000)] {
        let host = host().await;
        store(&host, "shop-1", false).await;
        let r = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"currency": currency}))).await;
        assert_eq!(r.status, 200, "{currency}: {}", r.text());
        create_member(&host, json!({"phone": "09121234567"})).await;
        let order = woocommerce_in("woocommerce/order-processing.json", currency, divide);
        let r = woocommerce_json(&host, &order).await;
        assert_eq!((r.status, r.json()["points_delta"].clone(), r.json()["tier"].clone()), (200, json!(29), json!("bronze")), "2,935,000 IRR as {} {currency}: {}", order["total"], r.text());
        let refund = woocommerce_in("woocommerce/order-refunded-partial.json", currency, divide);
        let r = woocommerce_json(&host, &refund).await;
        assert_eq!((r.json()["points_delta"].clone(), r.json()["balance"].clone()), (json!(-3), json!(26)), "322,500 IRR back in {currency}: {}", r.text());
        let id = member_id_of(&host, "09121234567").await;
        let m = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
        assert_eq!(m["stats"]["spend"], json!(2_935_000 - 322_500), "{currency}: spend in the club's rials: {m}");
        let orders = admin(&host, "GET", &format!("/api/members/{id}/orders"), None).await.json();
        let o = &orders["orders"][0];
        assert_eq!((o["total"].clone(), o["refunded"].clone(), o["currency"].clone()), (json!(2_935_000), json!(322_500), json!("IRR")), "{orders}");
        assert_eq!((o["store_total"].clone(), o["store_currency"].clone()), (order["total"].clone(), json!(currency)), "the store's own amount: {orders}");
        assert_balance_is_the_ledger(&host, &id, currency).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toman_fraction_finer_than_a_rial_and_a_store_that_cannot_convert_are_refused() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    let before = host.kv_snapshot();
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"currency": "USD"}))).await;
    assert_error(&r, 422, "invalid_currency");
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("IRR"), "{}", r.text());
    assert_eq!(host.kv_snapshot(), before, "a refused store writes nothing");
    admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"currency": "IRT"}))).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let mut order = woocommerce_in("woocommerce/order-processing.json", "IRT", 10);
    order["total"] = json!("293500.55");
    let before = host.kv_snapshot();
    let r = woocommerce_json(&host, &order).await;
    assert_error(&r, 422, "invalid_total");
    assert_eq!(host.kv_snapshot(), before, "a refused order writes nothing");
    // Once orders are counted, the club's currency stays.
    order["total"] = json!("293500.00");
    assert_eq!(woocommerce_json(&host, &order).await.status, 200);
    let r = admin(&host, "PATCH", "/api/settings", Some(json!({"currency": "IRT"}))).await;
    assert_error(&r, 422, "invalid_currency");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_orders_without_a_phone_are_acknowledged_and_write_nothing() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    let mut order: Value = serde_json::from_slice(&fixture("woocommerce/order-processing.json")).unwrap();
    order["billing"]["phone"] = json!("");
    let body = order.to_string();
    let sig = base64_hmac(body.as_bytes());
    let before = host.kv_snapshot();
    let r = host.request("POST", "/hooks/woocommerce/shop-1", &[("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", &sig)], body).await;
    assert_eq!((r.status, r.json()), (200, json!({"ignored": "no_phone"})), "{}", r.text());
    assert_eq!(host.kv_snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referred_members_first_paid_order_pays_both_sides_once() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    let referrer = create_member(&host, json!({"phone": "09120000001"})).await;
    let code = referrer["referral_code"].as_str().unwrap();
    let referee = create_member(&host, json!({"phone": "09120000002", "referral_code": code})).await;
    let r = generic(&host, "shop-1", &paid("1", "09120000002", 1_000_000)).await;
    assert_eq!((r.json()["points_delta"].clone(), r.json()["balance"].clone()), (json!(60), json!(60)), "10 earned and 50 for joining by referral: {}", r.text());
    let again = generic(&host, "shop-1", &paid("1", "09120000002", 1_000_000)).await;
    assert_eq!(again.json()["balance"], 60);
    generic(&host, "shop-1", &paid("2", "09120000002", 1_000_000)).await;
    let referee_id = referee["id"].as_str().unwrap();
    let referrer_id = referrer["id"].as_str().unwrap();
    assert_eq!(assert_balance_is_the_ledger(&host, referee_id, "referee").await, 70);
    assert_eq!(assert_balance_is_the_ledger(&host, referrer_id, "referrer").await, 50);
    let ledger = admin(&host, "GET", &format!("/api/members/{referrer_id}/ledger"), None).await.json();
    assert_eq!((ledger["entries"][0]["kind"].clone(), ledger["entries"][0]["ref"].clone()), (json!("referral"), json!(referee_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bonus_rules_raise_earning_and_stack_as_the_club_says() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567", "tags": ["vip"]})).await;
    let friday = json!({"kind": "window", "starts_at": "2026-11-27T00:00:00Z", "ends_at": "2026-11-28T00:00:00Z", "multiplier_pct": 200});
    let r = admin(&host, "PUT", "/api/bonus-rules/black-friday", Some(friday)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(&host, "PUT", "/api/bonus-rules/vip", Some(json!({"kind": "tag", "tag": "VIP", "multiplier_pct": 150}))).await;
    assert_eq!(r.json()["tag"], "vip", "{}", r.text());
    let r = admin(&host, "PUT", "/api/bonus-rules/coffee", Some(json!({"kind": "category", "category": "coffee", "multiplier_pct": 300, "active": false}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rules = admin(&host, "GET", "/api/bonus-rules", None).await.json();
    assert_eq!((rules["stacking"].clone(), rules["rules"].as_array().unwrap().len()), (json!("multiply"), 3));

    // Before the window: the tag's ×1.5 only.
    host.set_now("2026-11-26T10:00:00Z".parse().unwrap());
    let r = generic(&host, "shop-1", &paid("1", "09121234567", 1_000_000)).await;
    assert_eq!(r.json()["points_delta"], 15, "{}", r.text());
    // In the window: ×2 × ×1.5.
    host.set_now("2026-11-27T10:00:00Z".parse().unwrap());
    let r = generic(&host, "shop-1", &paid("2", "09121234567", 1_000_000)).await;
    assert_eq!(r.json()["points_delta"], 30, "{}", r.text());
    // Added instead: ×(1 + 1 + 0.5).
    assert_eq!(admin(&host, "PUT", "/api/bonus-rules", Some(json!({"stacking": "add"}))).await.status, 200);
    let r = generic(&host, "shop-1", &paid("3", "09121234567", 1_000_000)).await;
    assert_eq!(r.json()["points_delta"], 25, "{}", r.text());
    // A deleted rule no longer counts; an inactive one never did.
    assert_eq!(admin(&host, "DELETE", "/api/bonus-rules/black-friday", None).await.status, 204);
    assert_error(&admin(&host, "DELETE", "/api/bonus-rules/black-friday", None).await, 404, "not_found");
    let r = generic(&host, "shop-1", &paid("4", "09121234567", 1_000_000)).await;
    assert_eq!(r.json()["points_delta"], 15, "{}", r.text());
}
