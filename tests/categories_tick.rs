//! The categories tick, end to end through the real `.wasm`: Shopify's
//! `productType`, read through the Admin GraphQL API of the fake shop,
//! recounts an order as if it had come with it (at the tier the order was
//! counted at, though that order raised it); a throttled or failing platform
//! is asked again later; a tick killed at any step recounts once.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use support::*;
use vafa_test_host::store_platforms::StoreFault;
use vafa_test_host::{Fault, Host};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The fixture's product in three of its five lines.
const PHONE_CASE: &str = "788032119674292922";

async fn shopify_store_with_a_bonus(host: &Host) {
    let body = json!({"name": "فروشگاه نمونه", "platform": "shopify", "webhook_secret": SECRET, "currency": "IRR", "api": host.platforms().shopify_api()});
    let r = admin(host, "PUT", "/api/stores/shop-1", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(host, "PUT", "/api/bonus-rules/phones", Some(json!({"kind": "category", "category": "phones", "multiplier_pct": 200}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    host.platforms().add_shopify_product(PHONE_CASE, "Phones");
}

/// Shopify's `orders/paid` fixture for `phone`, as order `id`.
fn order(id: u64, phone: &str) -> serde_json::Value {
    let mut order: serde_json::Value = serde_json::from_slice(&fixture("shopify/orders-paid.json")).unwrap();
    order["id"] = json!(id);
    order["phone"] = json!(phone);
    order["customer"]["phone"] = json!(phone);
    order
}

/// Delivers `order` as Shopify signs it; the points it earned at once.
async fn deliver(host: &Host, order: &serde_json::Value) -> i64 {
    let body = order.to_string();
    let sig = base64_hmac(body.as_bytes());
    let headers = [("content-type", "application/json"), ("x-shopify-topic", "orders/paid"), ("x-shopify-hmac-sha256", sig.as_str())];
    let r = host.request("POST", "/hooks/shopify/shop-1", &headers, body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["points_delta"].as_i64().unwrap()
}

async fn paid(host: &Host, id: u64, phone: &str) -> i64 {
    deliver(host, &order(id, phone)).await
}

async fn tick(host: &Host) -> vafa_test_host::Tick {
    host.advance(Duration::seconds(61));
    host.cron("categories-tick").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recount_earns_what_the_order_would_have_earned_with_its_categories_known() {
    let host = host().await;
    host.set_now(at("2026-12-07T10:00:00Z"));
    shopify_store_with_a_bonus(&host).await;
    let a = create_member(&host, json!({"phone": "09121234567"})).await;
    let b = create_member(&host, json!({"phone": "09351234567"})).await;
    // 40,495,000 rials: 404 points, and the order makes the member silver.
    assert_eq!(paid(&host, 1001, "09121234567").await, 404);
    let t = tick(&host).await;
    assert_eq!(t.result, Ok(()), "{}", t.stderr);
    let asked = host.platforms().requests();
    assert_eq!(asked.len(), 1, "one product, read once");
    assert!(asked[0].body_text().contains(&format!("gid://shopify/Product/{PHONE_CASE}")), "{}", asked[0].body_text());
    // The same order by a bronze member now that the type is known.
    let direct = paid(&host, 1002, "09351234567").await;
    assert!(direct > 404, "the bonus applies at once: {direct}");
    let a_id = a["id"].as_str().unwrap();
    assert_eq!(assert_balance_is_the_ledger(&host, a_id, "recounted").await, direct, "recounted at bronze, the tier it was counted at");
    let m = admin(&host, "GET", &format!("/api/members/{a_id}"), None).await.json();
    assert_eq!(m["tier"], "silver", "{m}");
    assert_eq!(assert_balance_is_the_ledger(&host, b["id"].as_str().unwrap(), "direct").await, direct);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_or_failing_platform_is_asked_again_later_and_the_order_is_never_held_up() {
    let host = host().await;
    host.set_now(at("2026-12-07T10:00:00Z"));
    shopify_store_with_a_bonus(&host).await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap();
    assert_eq!(paid(&host, 1001, "09121234567").await, 404);
    host.platforms().fail_next(1, StoreFault::Throttled);
    assert_eq!(tick(&host).await.result, Ok(()));
    assert_eq!(balance_and_ledger(&host, id).await.0, 404, "not recounted yet");
    // The retry waits its backoff (two minutes after a first failure).
    host.platforms().fail_next(1, StoreFault::Status(503));
    assert_eq!(tick(&host).await.result, Ok(()));
    assert_eq!(host.platforms().requests().len(), 1, "not asked again before its time");
    host.advance(Duration::minutes(2));
    assert_eq!(tick(&host).await.result, Ok(()));
    assert_eq!(host.platforms().requests().len(), 2);
    assert_eq!(balance_and_ledger(&host, id).await.0, 404, "503: still waiting");
    host.advance(Duration::minutes(4));
    assert_eq!(tick(&host).await.result, Ok(()));
    let balance = assert_balance_is_the_ledger(&host, id, "recounted").await;
    assert!(balance > 404, "{balance}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_at_any_step_recounts_the_order_once() {
    let host = host().await;
    host.set_now(at("2026-12-07T10:00:00Z"));
    shopify_store_with_a_bonus(&host).await;
    // The points the order earns with its categories known.
    let reference = create_member(&host, json!({"phone": "09351234567"})).await;
    assert_eq!(paid(&host, 1, "09351234567").await, 404);
    assert_eq!(tick(&host).await.result, Ok(()));
    let want = assert_balance_is_the_ledger(&host, reference["id"].as_str().unwrap(), "reference").await;
    assert!(want > 404);
    for n in 1u32.. {
        // A new product each round, so that every round reads one.
        let product = format!("{}", 900 + n);
        host.platforms().add_shopify_product(&product, "Phones");
        let phone = format!("0912{:07}", n);
        let m = create_member(&host, json!({"phone": phone})).await;
        let mut order = order(u64::from(1000 + n), &phone);
        for line in order["line_items"].as_array_mut().unwrap() {
            if line["product_id"].is_number() {
                line["product_id"] = json!(product.parse::<u64>().unwrap());
            }
        }
        assert_eq!(deliver(&host, &order).await, 404);
        host.advance(Duration::seconds(61));
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron("categories-tick").await;
        // The next ticks finish it, whatever step the kill came at (a
        // retry waits at most its backoff).
        for _ in 0..3 {
            host.advance(Duration::minutes(3));
            assert_eq!(host.cron("categories-tick").await.result, Ok(()));
        }
        let id = m["id"].as_str().unwrap();
        let (balance, entries) = balance_and_ledger(&host, id).await;
        assert_eq!(balance, want, "step {n}: recounted once: {entries:?}");
        assert_eq!(entries.len(), 2, "step {n}: the order and its recount: {entries:?}");
        assert_balance_is_the_ledger(&host, id, &format!("step {n}")).await;
        if killed.trap.is_none() {
            assert!(n > 5, "the fault at step {n} never came");
            break;
        }
    }
}
