//! A code at a store's checkout, end to end through the real codes
//! `.wasm`: validated, held for one cart, consumed once, guessed never.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::KvBackend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_validated_held_for_one_cart_and_consumed_once() {
    let host = host().await;
    let store_key = make_store(&host, "shop-1").await;
    reward(&host, "ten", ten_percent()).await;
    let id = member_with(&host, "09121234567", 500).await;
    let code = redeem(&host, &id, "ten", None).await.json()["code"].as_str().unwrap().to_string();
    let validate = |body: Value| {
        let (host, key, code) = (host.clone(), store_key.clone(), code.clone());
        async move { with_token(&host, &key, "POST", &format!("/api/codes/{code}/validate"), body).await }
    };
    let v = validate(json!({"order_total": 3_000_000})).await;
    assert_eq!((v.json()["valid"].clone(), v.json()["discount"].clone(), v.json()["kind"].clone()), (json!(true), json!(300_000), json!("percent")), "{}", v.text());
    // The store's key, then the code, its order link, the store's misses and the
    // settings in one batch (on Redis, whose batch read Spin cannot do, key by key).
    // A hold is a compare-and-swap: open, current and swap, and on Redis,
    // whose swap never says it wrote, a read back.
    let (plain, held) = match host.kv_backend() {
        KvBackend::Sqlite => (2, 5),
        KvBackend::Redis => (6, 10),
    };
    assert!(v.kv_ops <= plain, "validate costs {} operations", v.kv_ops);
    assert_eq!(validate(json!({"order_total": 999_999})).await.json()["reason"], "min_order");
    // Typed in lower case with Persian digits and dashes: the same code.
    let typed: String = code.to_lowercase().chars().map(|c| match c.to_digit(10) { Some(d) => char::from_u32(0x06F0 + d).unwrap(), None => c }).collect();
    let typed = format!("{}-{}", &typed[..typed.char_indices().nth(6).unwrap().0], &typed[typed.char_indices().nth(6).unwrap().0..]);
    let v = with_token(&host, &store_key, "POST", &format!("/api/codes/{}/validate", urlencoding(&typed)), json!({"order_total": 3_000_000})).await;
    assert_eq!(v.json()["valid"], true, "{typed}: {}", v.text());

    // Cart A holds it; cart B is told it is locked until the lock lapses.
    let a = validate(json!({"order_total": 3_000_000, "cart_id": "cart-a"})).await;
    assert_eq!(a.json()["valid"], true, "{}", a.text());
    assert!(a.kv_ops <= held, "validate with a lock costs {} operations", a.kv_ops);
    assert_eq!(validate(json!({"order_total": 3_000_000, "cart_id": "cart-b"})).await.json()["reason"], "locked");
    let b = with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": "B-1", "cart_id": "cart-b"})).await;
    assert_error(&b, 409, "code_locked");
    host.advance(chrono::Duration::minutes(15));
    assert_eq!(validate(json!({"order_total": 3_000_000, "cart_id": "cart-b"})).await.json()["valid"], true);

    // Cart B holds it now and consumes it, once.
    let consume = |order: &'static str| {
        let (host, key, code) = (host.clone(), store_key.clone(), code.clone());
        async move { with_token(&host, &key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": order, "cart_id": "cart-b"})).await }
    };
    let used = consume("B-1").await;
    assert_eq!(used.status, 200, "{}", used.text());
    assert_eq!(consume("B-1").await.status, 200, "the same order again");
    assert_error(&consume("B-2").await, 409, "code_used");
    assert_eq!(validate(json!({"order_total": 3_000_000})).await.json()["reason"], "used");
    let cancel = admin(&host, "POST", &format!("/api/redemptions/{}/cancel", used.json()["redemption_id"].as_str().unwrap()), None).await;
    assert_error(&cancel, 409, "code_used");
}

/// Percent-encodes a path segment.
fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_codes_is_refused_after_a_few_misses_a_minute_with_one_counter() {
    let host = host().await;
    let store_key = make_store(&host, "shop-1").await;
    let r = admin(&host, "PUT", "/api/settings", Some(json!({"code_misses_per_minute": 5}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    reward(&host, "ten", ten_percent()).await;
    let id = member_with(&host, "09121234567", 300).await;
    let code = redeem(&host, &id, "ten", None).await.json()["code"].as_str().unwrap().to_string();
    for i in 0..5 {
        let v = with_token(&host, &store_key, "POST", &format!("/api/codes/ABCDEFGHJK{}{}/validate", 2 + i, 2 + i), json!({"order_total": 1})).await;
        assert_eq!(v.json()["reason"], "unknown", "{}", v.text());
        assert_eq!(v.kv_writes, 1, "a miss writes one counter");
    }
    let refused = with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await;
    assert_error(&refused, 429, "rate_limited");
    // Another store key is not held back, and the next minute starts over.
    let other = make_store(&host, "shop-2").await;
    assert_eq!(with_token(&host, &other, "POST", &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await.json()["valid"], true);
    host.advance(chrono::Duration::minutes(1));
    assert_eq!(with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await.json()["valid"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_webhook_that_carries_the_code_marks_it_used() {
    let host = host().await;
    store(&host, "shop-1", true).await;
    let store_key = admin(&host, "POST", "/api/stores/shop-1/rotate-key", None).await.json()["api_key"].as_str().unwrap().to_string();
    reward(&host, "ten", ten_percent()).await;
    let id = member_with(&host, "09121234567", 300).await;
    let r = redeem(&host, &id, "ten", None).await.json();
    let code = r["code"].as_str().unwrap().to_string();
    // The store applied the code at its own checkout and only sends webhooks;
    // it typed the code in lower case.
    let mut order = paid("W-77", "09121234567", 3_000_000);
    order["coupons"] = json!([code.to_lowercase(), "SUMMER10"]);
    assert_eq!(generic(&host, "shop-1", &order).await.status, 200);
    let v = with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await;
    assert_eq!(v.json()["reason"], "used", "{}", v.text());
    assert_eq!(with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": "W-77"})).await.status, 200);
    assert_error(&with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": "W-78"})).await, 409, "code_used");
    assert_error(&admin(&host, "POST", &format!("/api/redemptions/{}/cancel", r["id"].as_str().unwrap()), None).await, 409, "code_used");
    let got = admin(&host, "GET", &format!("/api/redemptions/{}", r["id"].as_str().unwrap()), None).await.json();
    assert_eq!((got["state"].clone(), got["order_id"].clone()), (json!("used"), json!("W-77")));
}
