//! Shopify's webhooks, end to end through their own component
//! (`shopify-hooks`): orders and refunds from the real payloads earning and
//! taking back points once each, with the balance always the sum of the
//! ledger.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::Host;


/// A Shopify delivery, signed as Shopify signs it.
async fn shopify(host: &Host, topic: &str, file: &str) -> vafa_test_host::Reply {
    let body = fixture(file);
    let sig = base64_hmac(&body);
    let headers = [("content-type", "application/json"), ("x-shopify-topic", topic), ("x-shopify-hmac-sha256", sig.as_str()), ("x-shopify-webhook-id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")];
    host.request("POST", "/hooks/shopify/shop-1", &headers, body).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_orders_and_refunds_without_a_phone_find_their_member() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let r = shopify(&host, "orders/paid", "shopify/orders-paid.json").await;
    assert_eq!((r.status, r.json()["points_delta"].clone(), r.json()["tier"].clone()), (200, json!(404), json!("silver")), "{}", r.text());
    let again = shopify(&host, "orders/paid", "shopify/orders-paid.json").await;
    assert_eq!(again.json()["duplicate"], true, "the same webhook id again");
    let r = shopify(&host, "refunds/create", "shopify/refunds-create.json").await;
    assert_eq!((r.status, r.json()["points_delta"].clone()), (200, json!(-84)), "8,500,000 of 40,495,000 back: {}", r.text());
    let r = shopify(&host, "orders/cancelled", "shopify/orders-cancelled.json").await;
    assert_eq!(r.json()["balance"], 0, "{}", r.text());
    let id = member_id_of(&host, "09121234567").await;
    assert_balance_is_the_ledger(&host, &id, "shopify").await;
    let m = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!(m["tier"], "silver", "a purchase raised the tier; only the daily re-evaluation lowers it: {m}");
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_webhook_signed_with_another_secret_is_refused_and_writes_nothing() {
    let host = host().await;
    store(&host, "shop-1", false).await;
    let before = host.kv_snapshot();
    let headers = [("content-type", "application/json"), ("x-shopify-topic", "orders/paid"), ("x-shopify-hmac-sha256", "AAAA")];
    let r = host.request("POST", "/hooks/shopify/shop-1", &headers, fixture("shopify/orders-paid.json")).await;
    assert_error(&r, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}
