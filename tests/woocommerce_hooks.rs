//! WooCommerce order webhooks in a store with API credentials, end to end
//! through the real woocommerce-hooks and categories-tick `.wasm`: an order
//! is counted at once without waiting for the platform, its products'
//! categories are then read from the fake shop (`GET /products/{id}`) and
//! the order counted again, once, as if they had come with it; a later
//! order of the same products earns its category bonus at once. (The
//! webhook's payloads, signatures and currencies: `purchase_scoring.rs`.)

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use support::*;
use vafa_test_host::Host;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn woo_store_with_a_coffee_bonus(host: &Host) {
    let body = json!({"name": "کافه نمونه", "platform": "woocommerce", "webhook_secret": SECRET, "currency": "IRR", "api": host.platforms().woo_api()});
    let r = admin(host, "PUT", "/api/stores/shop-1", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(host, "PUT", "/api/bonus-rules/coffee", Some(json!({"kind": "category", "category": "coffee", "multiplier_pct": 300}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The fixture's lines: product 93 (600,000) and 22 (1,200,000).
    host.platforms().add_woo_product("22", &["Coffee", "قهوه"]);
    host.platforms().add_woo_product("93", &["Mugs"]);
}

async fn deliver(host: &Host, order: &Value) -> Value {
    let body = order.to_string();
    let sig = base64_hmac(body.as_bytes());
    let r = host.request("POST", "/hooks/woocommerce/shop-1", &[("content-type", "application/json"), ("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", &sig)], body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn order(file: &str, id: u64) -> Value {
    let mut o: Value = serde_json::from_slice(&fixture(file)).unwrap();
    o["id"] = json!(id);
    o
}

async fn tick(host: &Host) {
    host.advance(Duration::seconds(61));
    let t = host.cron("categories-tick").await;
    assert_eq!(t.result, Ok(()), "{}", t.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_counted_before_its_categories_were_read_earns_its_category_bonus_once() {
    let host = host().await;
    host.set_now(at("2026-12-07T10:00:00Z"));
    woo_store_with_a_coffee_bonus(&host).await;
    let member = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = member["id"].as_str().unwrap();
    // Counted at once, with no category known: 2,935,000 rials earn 29.
    let first = deliver(&host, &order("woocommerce/order-processing.json", 727)).await;
    assert_eq!(first["points_delta"], 29, "{first}");
    assert!(host.platforms().requests().is_empty(), "the webhook waits for no platform");
    tick(&host).await;
    let reads: Vec<String> = host.platforms().requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(reads, ["GET /wp-json/wc/v3/products/93", "GET /wp-json/wc/v3/products/22"]);
    // The coffee line (2/3 of the total) ×3, the mug line ×1:
    // (978,333 × 100 + 1,956,666 × 300) / 100 / 100,000 = 68.
    let (balance, entries) = balance_and_ledger(&host, id).await;
    assert_eq!((balance, entries.clone()), (68, vec![39, 29]), "the difference through the ledger, newest first");
    let ledger = admin(&host, "GET", &format!("/api/members/{id}/ledger"), None).await.json();
    assert_eq!((ledger["entries"][0]["kind"].clone(), ledger["entries"][0]["note"].clone(), ledger["entries"][0]["ref"].clone()), (json!("earn"), json!("categories"), json!("727")), "{ledger}");
    let orders = admin(&host, "GET", &format!("/api/members/{id}/orders"), None).await.json();
    assert_eq!(orders["orders"][0]["points_earned"], 68, "{orders}");
    // Once only, and the products are not read again within the day.
    host.platforms().clear_requests();
    tick(&host).await;
    assert_eq!(balance_and_ledger(&host, id).await.0, 68);
    // The same products in a later order: the bonus at once, no job.
    let second = deliver(&host, &order("woocommerce/order-processing.json", 728)).await;
    assert_eq!(second["points_delta"], 68, "{second}");
    tick(&host).await;
    assert!(host.platforms().requests().is_empty(), "{:?}", host.platforms().requests());
    // A refund of the recounted order takes back its share of the 68:
    // 322,500 of 2,935,000 → 7.
    let refund = deliver(&host, &order("woocommerce/order-refunded-partial.json", 727)).await;
    assert_eq!(refund["points_delta"], -7, "{refund}");
    assert_eq!(assert_balance_is_the_ledger(&host, id, "after the refund").await, 129);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_read_more_than_a_day_ago_are_used_at_once_then_read_again() {
    let host = host().await;
    host.set_now(at("2026-12-07T10:00:00Z"));
    woo_store_with_a_coffee_bonus(&host).await;
    let member = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = member["id"].as_str().unwrap();
    deliver(&host, &order("woocommerce/order-processing.json", 727)).await;
    tick(&host).await;
    assert_eq!(balance_and_ledger(&host, id).await.0, 68);
    // A day on, the shop has moved product 22 out of coffee.
    host.advance(Duration::days(1));
    host.platforms().add_woo_product("22", &["Tea"]);
    host.platforms().clear_requests();
    let later = deliver(&host, &order("woocommerce/order-processing.json", 729)).await;
    assert_eq!(later["points_delta"], 68, "counted at once with what was known: {later}");
    tick(&host).await;
    assert_eq!(host.platforms().requests().len(), 2, "both read again");
    let (balance, entries) = balance_and_ledger(&host, id).await;
    assert_eq!((balance, entries[0]), (68 + 29, -39), "the later order recounted without the bonus: {entries:?}");
    assert_balance_is_the_ledger(&host, id, "after the recount").await;
}
