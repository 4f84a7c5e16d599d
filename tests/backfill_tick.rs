//! A store's past orders brought in by the real backfill-tick `.wasm` from
//! the fake WooCommerce and Shopify shops: a page a tick, each order counted
//! once and dated when placed, customers enrolled, points only when asked,
//! no message, the platform's `Retry-After` honoured, a later webhook of an
//! order a duplicate, and a tick killed at any step finished by the next.

mod support;

use chrono::Duration;
use serde_json::{Value, json};
use support::*;
use vafa_test_host::store_platforms::StoreFault;
use vafa_test_host::{Fault, Host};

fn json_fixture(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).unwrap()).unwrap()
}

/// The real WooCommerce order fixture as order `id`, placed on `day` by `phone`.
fn woo_order(id: u64, day: &str, phone: &str) -> Value {
    let mut o = json_fixture("woocommerce/order-processing.json");
    o["id"] = json!(id);
    o["date_created_gmt"] = json!(format!("{day}T10:00:00"));
    o["date_paid_gmt"] = json!(format!("{day}T10:05:00"));
    o["billing"]["phone"] = json!(phone);
    o
}

fn shopify_order(id: u64, day: &str, phone: &str, status: &str, cancelled: bool) -> Value {
    json!({
        "id": format!("gid://shopify/Order/{id}"), "phone": null, "createdAt": format!("{day}T10:00:00Z"), "processedAt": format!("{day}T10:00:00Z"),
        "cancelledAt": if cancelled { json!(format!("{day}T12:00:00Z")) } else { Value::Null },
        "displayFinancialStatus": status, "customer": { "firstName": "سارا", "phone": phone }, "billingAddress": null,
        "totalPriceSet": { "shopMoney": { "amount": "2500000.00", "currencyCode": "IRR" } }, "discountCodes": [],
        "lineItems": { "nodes": [{ "sku": "COF-1", "quantity": 1, "originalUnitPriceSet": { "shopMoney": { "amount": "2500000.00" } } }] },
        "refunds": if status == "PARTIALLY_REFUNDED" { json!([{ "id": format!("gid://shopify/Refund/{id}"), "totalRefundedSet": { "shopMoney": { "amount": "500000.00" } } }]) } else { json!([]) },
    })
}

async fn connected(host: &Host, platform: &str) {
    let api = if platform == "shopify" { host.platforms().shopify_api() } else { host.platforms().woo_api() };
    let r = admin(host, "PUT", "/api/stores/shop-1", Some(json!({"name": "فروشگاه", "platform": platform, "webhook_secret": SECRET, "api": api}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn start(host: &Host, body: Value) -> Value {
    let r = admin(host, "POST", "/api/stores/shop-1/backfill", Some(body)).await;
    assert_eq!(r.status, 202, "{}", r.text());
    r.json()
}

async fn job(host: &Host) -> Value {
    admin(host, "GET", "/api/stores/shop-1/backfill", None).await.json()
}

/// Ticks 15 s apart until the backfill is over; answers how many.
async fn run(host: &Host) -> usize {
    for n in 1..=40 {
        host.advance(Duration::seconds(15));
        let t = host.cron("backfill-tick").await;
        assert_eq!(t.result, Ok(()), "{}", t.stderr);
        if job(host).await["state"] != "running" {
            return n;
        }
    }
    panic!("the backfill never ended: {}", job(host).await);
}

async fn member(host: &Host, phone: &str) -> Value {
    admin(host, "GET", &format!("/api/members/{}", member_id_of(host, phone).await), None).await.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_woocommerce_shops_orders_come_in_a_page_a_tick_without_points_or_messages() {
    let host = host_with_provider("kavenegar").await;
    host.set_now("2026-12-06T10:00:00Z".parse().unwrap());
    connected(&host, "woocommerce").await;
    host.platforms().add_woo_order(woo_order(1, "2025-06-01", "09120000001"));
    for i in 0..110u64 {
        host.platforms().add_woo_order(woo_order(100 + i, "2026-03-01", &format!("0912{:07}", 2 + i % 40)));
    }
    let started = start(&host, json!({"since": "2026-01-01"})).await;
    assert_eq!((started["state"].clone(), started["award_points"].clone()), (json!("running"), json!(false)));
    assert_error(&admin(&host, "POST", "/api/stores/shop-1/backfill", Some(json!({"since": "2026-01-01"}))).await, 409, "backfill_running");

    assert_eq!(run(&host).await, 3, "50 orders a page, a page a tick");
    let done = job(&host).await;
    assert_eq!((done["state"].clone(), done["orders"].clone(), done["counted"].clone(), done["total_pages"].clone(), done["progress"].clone()), (json!("done"), json!(110), json!(110), json!(3), json!(1.0)), "{done}");
    let asked: Vec<String> = host.platforms().requests().iter().filter(|r| r.path.contains("/orders")).map(|r| r.path.clone()).collect();
    assert!(asked[0].contains("after=2026-01-01T00:00:00Z") && asked[2].ends_with("page=3"), "{asked:?}");

    // Forty customers, each with their orders, dated when placed, no points.
    let m = member(&host, "09120000002").await;
    assert_eq!((m["stats"]["orders"].clone(), m["points"].clone(), m["consent"]["status"].clone()), (json!(3), json!(0), json!("none")), "{m}");
    assert_eq!(m["stats"]["last_purchase_at"], "2026-03-01T10:05:00Z");
    assert_error(&admin(&host, "GET", "/api/members?phone=09120000001", None).await, 404, "not_found");
    let overview = admin(&host, "GET", "/api/reports/overview", None).await.json();
    assert_eq!((overview["members"].clone(), overview["orders"].clone()), (json!(40), json!(110)), "{overview}");

    // No message: the ticks that send find nothing.
    host.advance(Duration::minutes(1));
    host.cron("campaigns-tick").await;
    host.advance(Duration::minutes(1));
    host.cron("sender").await;
    assert!(host.panel().delivered().is_empty(), "a backfill sends no message");

    // The same order's webhook later is a duplicate.
    let body = woo_order(100, "2026-03-01", "09120000002").to_string();
    let sig = base64_hmac(body.as_bytes());
    let r = host.request("POST", "/hooks/woocommerce/shop-1", &[("content-type", "application/json"), ("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", &sig)], body).await;
    assert_eq!((r.status, r.json()["duplicate"].clone(), r.json()["points_delta"].clone()), (200, json!(true), json!(0)), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_come_only_when_asked_and_a_platform_that_asks_to_wait_is_waited_for() {
    let host = host().await;
    host.set_now("2026-12-06T10:00:00Z".parse().unwrap());
    connected(&host, "woocommerce").await;
    host.platforms().add_woo_order(woo_order(7, "2026-11-01", "09121234567"));
    start(&host, json!({"since": "2026-10-01", "award_points": true})).await;
    host.platforms().fail_next(1, StoreFault::Status(429));
    host.advance(Duration::seconds(15));
    assert_eq!(host.cron("backfill-tick").await.result, Ok(()));
    let waiting = job(&host).await;
    assert_eq!((waiting["state"].clone(), waiting["pages"].clone()), (json!("running"), json!(0)), "{waiting}");
    assert!(waiting["error"].as_str().unwrap().contains("429"), "{waiting}");
    // Retry-After: 2 — the next tick may ask again.
    run(&host).await;
    let m = member(&host, "09121234567").await;
    assert_eq!((m["points"].clone(), m["stats"]["orders"].clone()), (json!(29), json!(1)), "as its webhook earns: {m}");

    // Refused credentials end the job with the platform's word.
    host.platforms().add_woo_order(woo_order(8, "2026-11-02", "09121234567"));
    start(&host, json!({"since": "2026-10-01"})).await;
    host.platforms().fail_next(1, StoreFault::Status(401));
    run(&host).await;
    let failed = job(&host).await;
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"].as_str().unwrap().starts_with("platform_unauthorized"), "{failed}");
    assert_error(&admin(&host, "POST", "/api/stores/shop-1/backfill", Some(json!({"since": "2030-01-01"}))).await, 422, "invalid_since");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_shops_orders_come_in_by_cursor_with_cancellations_and_refunds() {
    let host = host().await;
    host.set_now("2026-12-06T10:00:00Z".parse().unwrap());
    connected(&host, "shopify").await;
    for i in 0..60u64 {
        host.platforms().add_shopify_order(shopify_order(1000 + i, "2026-05-01", &format!("0912{:07}", 3_000_000 + i), "PAID", false));
    }
    host.platforms().add_shopify_order(shopify_order(2000, "2026-05-02", "09123000000", "PARTIALLY_REFUNDED", false));
    host.platforms().add_shopify_order(shopify_order(2001, "2026-05-02", "09123000001", "REFUNDED", true));
    host.platforms().add_shopify_order(shopify_order(2002, "2026-05-02", "09123000002", "PENDING", false));
    start(&host, json!({"since": "2026-01-01T00:00:00Z", "award_points": true})).await;
    assert_eq!(run(&host).await, 2);
    let done = job(&host).await;
    assert_eq!((done["orders"].clone(), done["counted"].clone(), done["skipped"].clone()), (json!(63), json!(62), json!(1)), "{done}");
    // 25 points for 2,500,000 rials; a fifth refunded takes back 5; a
    // cancelled order takes back all it earned.
    assert_eq!(member(&host, "09123000000").await["points"], json!(25 + 20));
    assert_eq!(member(&host, "09123000001").await["points"], json!(25));
    assert_eq!(member(&host, "09123000059").await["points"], json!(25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_at_any_step_counts_each_order_once() {
    let host = host().await;
    host.set_now("2026-12-06T10:00:00Z".parse().unwrap());
    connected(&host, "woocommerce").await;
    for n in 1u32.. {
        let phone = format!("0912{:07}", 4_000_000 + n);
        host.platforms().add_woo_order(woo_order(10_000 + u64::from(n), "2026-11-01", &phone));
        start(&host, json!({"since": "2026-10-31", "award_points": true})).await;
        host.advance(Duration::seconds(15));
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron("backfill-tick").await;
        run(&host).await;
        let m = member(&host, &phone).await;
        assert_eq!((m["points"].clone(), m["stats"]["orders"].clone()), (json!(29), json!(1)), "step {n}: {m}");
        assert_balance_is_the_ledger(&host, m["id"].as_str().unwrap(), &format!("step {n}")).await;
        if killed.trap.is_none() {
            assert!(n > 10, "the fault at step {n} never came");
            break;
        }
    }
}
