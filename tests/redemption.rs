//! Redemption, end to end: the rewards catalog, points spent on a reward
//! for a single-use code (exactly as often as the balance and the stock
//! allow, under real concurrency and kills), and the code at a store's
//! checkout: validated, held for one cart, consumed once, cancelled.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::{Fault, Host, KvBackend};

async fn reward(host: &Host, id: &str, body: Value) {
    let r = admin(host, "PUT", &format!("/api/rewards/{id}"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn member_with(host: &Host, phone: &str, points: i64) -> String {
    let m = create_member(host, json!({"phone": phone})).await;
    let id = m["id"].as_str().unwrap().to_string();
    if points != 0 {
        let r = adjust(host, &id, json!({"points": points, "reason": "test"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    id
}

async fn redeem(host: &Host, member: &str, reward: &str, key: Option<&str>) -> vafa_test_host::Reply {
    let mut body = json!({"member_id": member, "reward_id": reward});
    if let Some(k) = key {
        body["idempotency_key"] = json!(k);
    }
    admin(host, "POST", "/api/redemptions", Some(body)).await
}

async fn points(host: &Host, id: &str) -> i64 {
    admin(host, "GET", &format!("/api/members/{id}"), None).await.json()["points"].as_i64().unwrap()
}

/// A store's key and the store's calls.
async fn store_call(host: &Host, key: &str, path: &str, body: Value) -> vafa_test_host::Reply {
    with_token(host, key, "POST", path, body).await
}

fn ten_percent() -> Value {
    json!({"name": "ده درصد تخفیف", "kind": "percent", "value": 10, "cost": 100, "valid_days": 30, "min_order": 1000000})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_active_rewards_to_anyone_and_refuses_bad_ones() {
    let host = host().await;
    reward(&host, "ten", ten_percent()).await;
    reward(&host, "old", json!({"name": "قدیمی", "kind": "gift", "cost": 50, "active": false})).await;
    let list = host.request("GET", "/api/rewards", &[], "").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let ids: Vec<String> = list.json()["rewards"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["ten"]);
    assert_error(&host.request("GET", "/api/rewards/old", &[], "").await, 404, "not_found");
    let before = host.kv_snapshot();
    for (body, code) in [
        (json!({"name": "x", "kind": "percent", "value": 120, "cost": 10}), "invalid_value"),
        (json!({"name": "x", "kind": "fixed", "cost": 10}), "invalid_value"),
        (json!({"name": "x", "kind": "gift", "cost": 0}), "invalid_cost"),
        (json!({"name": "x", "kind": "gift", "cost": 10, "tier": "diamond"}), "invalid_tier"),
        (json!({"name": "x", "kind": "coupon", "cost": 10}), "invalid_kind"),
        (json!({"name": "", "kind": "gift", "cost": 10}), "invalid_name"),
    ] {
        assert_error(&admin(&host, "PUT", "/api/rewards/bad", Some(body)).await, 422, code);
    }
    assert_error(&host.request("PUT", "/api/rewards/bad", &[("content-type", "application/json")], ten_percent().to_string()).await, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redemption_spends_the_points_once_and_sends_the_code_even_to_an_opted_out_member() {
    let host = host().await;
    reward(&host, "ten", ten_percent()).await;
    let id = member_with(&host, "09121234567", 250).await;
    let r = admin(&host, "POST", &format!("/api/members/{id}/consent"), Some(json!({"marketing": false, "source": "api"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = redeem(&host, &id, "ten", Some("order-basket-1")).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    let code = body["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 12);
    assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
    assert_eq!((body["balance"].clone(), body["reward_id"].clone(), body["state"].clone()), (json!(150), json!("ten"), json!("issued")));
    // The same key again: the same answer, nothing spent twice.
    let again = redeem(&host, &id, "ten", Some("order-basket-1")).await;
    assert_eq!((again.status, again.json()), (201, body.clone()));
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after a redemption").await, 150);
    let entries = admin(&host, "GET", &format!("/api/members/{id}/ledger"), None).await.json()["entries"].clone();
    assert_eq!((entries[0]["kind"].clone(), entries[0]["points"].clone()), (json!("redeem"), json!(-100)));
    // The code goes out by transactional SMS on the sender's next tick.
    let queued = messages(&host, &format!("?member_id={id}")).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert!(queued[0]["text"].as_str().unwrap().contains(&code));
    assert_eq!(queued[0]["kind"], "transactional");
    host.advance(chrono::Duration::minutes(1));
    let tick = host.cron("sender").await;
    assert_eq!(tick.result, Ok(()));
    assert_eq!(messages(&host, &format!("?member_id={id}")).await[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_redemptions_write_nothing() {
    let host = host().await;
    reward(&host, "ten", ten_percent()).await;
    reward(&host, "off", json!({"name": "خاموش", "kind": "gift", "cost": 10, "active": false})).await;
    reward(&host, "gold-gift", json!({"name": "هدیه طلایی", "kind": "gift", "cost": 10, "tier": "gold"})).await;
    let rich = member_with(&host, "09121234567", 500).await;
    let poor = member_with(&host, "09121234568", 99).await;
    let negative = member_with(&host, "09121234569", 0).await;
    adjust(&host, &negative, json!({"points": -5, "reason": "refund before join"})).await;
    let before = host.kv_snapshot();
    assert_error(&redeem(&host, "m_999", "ten", None).await, 404, "not_found");
    assert_error(&redeem(&host, &rich, "nope", None).await, 404, "not_found");
    assert_error(&redeem(&host, &rich, "off", None).await, 409, "reward_inactive");
    assert_error(&redeem(&host, &rich, "gold-gift", None).await, 403, "tier_required");
    assert_error(&redeem(&host, &poor, "ten", None).await, 409, "insufficient_points");
    assert_error(&redeem(&host, &negative, "off", None).await, 409, "reward_inactive");
    assert_error(&redeem(&host, &negative, "ten", None).await, 409, "insufficient_points");
    assert_error(&redeem(&host, &rich, "ten", Some("has space")).await, 422, "invalid_idempotency_key");
    assert_error(&admin(&host, "POST", "/api/redemptions", Some(json!({"member_id": rich, "reward_id": "ten", "extra": 1}))).await, 422, "invalid_extra");
    assert_error(&host.request("POST", "/api/redemptions", &[("content-type", "application/json")], json!({"member_id": rich, "reward_id": "ten"}).to_string()).await, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_redemptions_spend_exactly_what_the_balance_covers() {
    let host = host().await;
    reward(&host, "ten", ten_percent()).await;
    let id = member_with(&host, "09121234567", 1_050).await;
    let calls = (0..50).map(|_| {
        let (host, id) = (host.clone(), id.clone());
        tokio::spawn(async move { redeem(&host, &id, "ten", None).await })
    });
    let replies: Vec<_> = futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    let won = replies.iter().filter(|r| r.status == 201).count();
    assert!(replies.iter().all(|r| r.status == 201 || (r.status == 409 && r.json()["error"]["code"] == "insufficient_points")), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    assert_eq!(won, 10);
    assert_eq!(points(&host, &id).await, 50);
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after 50 at once").await, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_redemptions_of_a_reward_with_three_in_stock_succeed_three_times() {
    let host = host().await;
    reward(&host, "mug", json!({"name": "ماگ", "kind": "gift", "cost": 10, "stock": 3})).await;
    let id = member_with(&host, "09121234567", 10_000).await;
    let calls = (0..50).map(|_| {
        let (host, id) = (host.clone(), id.clone());
        tokio::spawn(async move { redeem(&host, &id, "mug", None).await })
    });
    let replies: Vec<_> = futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 3);
    assert!(replies.iter().filter(|r| r.status != 201).all(|r| r.json()["error"]["code"] == "out_of_stock"));
    assert_eq!(points(&host, &id).await, 10_000 - 30);
    // Cancelling one returns its unit: one more can be had.
    let first = replies.iter().find(|r| r.status == 201).unwrap().json();
    let r = admin(&host, "POST", &format!("/api/redemptions/{}/cancel", first["id"].as_str().unwrap()), None).await;
    assert_eq!((r.status, r.json()["balance"].clone()), (200, json!(10_000 - 20)), "{}", r.text());
    assert_eq!(redeem(&host, &id, "mug", None).await.status, 201);
    assert_error(&redeem(&host, &id, "mug", None).await, 409, "out_of_stock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redemption_killed_at_any_step_is_finished_by_its_retry() {
    let host = host().await;
    reward(&host, "ten", ten_percent()).await;
    reward(&host, "mug", json!({"name": "ماگ", "kind": "gift", "cost": 10, "stock": 100})).await;
    let id = member_with(&host, "09121234567", 100_000).await;
    let mut expected = 100_000;
    for (reward_id, cost) in [("ten", 100), ("mug", 10)] {
        for n in 1.. {
            let key = format!("{reward_id}-{n}");
            host.inject_kv_fault(n, Fault::Trap);
            let killed = redeem(&host, &id, reward_id, Some(&key)).await;
            assert_balance_is_the_ledger(&host, &id, &format!("{reward_id}: after a kill at step {n}")).await;
            let retried = redeem(&host, &id, reward_id, Some(&key)).await;
            assert_eq!(retried.status, 201, "{reward_id} step {n}: {}", retried.text());
            expected -= cost;
            assert_eq!(retried.json()["balance"], expected, "{reward_id} step {n}");
            assert_eq!(assert_balance_is_the_ledger(&host, &id, &format!("{reward_id}: after the retry at step {n}")).await, expected);
            // The code works at checkout.
            let code = retried.json()["code"].as_str().unwrap().to_string();
            let v = admin(&host, "POST", &format!("/api/codes/{code}/validate"), Some(json!({"order_total": 2_000_000}))).await;
            assert_eq!(v.json()["valid"], true, "{reward_id} step {n}: {}", v.text());
            if killed.trap.is_none() {
                assert!(n > 5, "the fault at step {n} never came");
                break;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_validated_held_for_one_cart_and_consumed_once() {
    let host = host().await;
    let store_key = make_store(&host, "shop-1").await;
    reward(&host, "ten", ten_percent()).await;
    let id = member_with(&host, "09121234567", 500).await;
    let code = redeem(&host, &id, "ten", None).await.json()["code"].as_str().unwrap().to_string();
    let validate = |body: Value| {
        let (host, key, code) = (host.clone(), store_key.clone(), code.clone());
        async move { store_call(&host, &key, &format!("/api/codes/{code}/validate"), body).await }
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
    let v = store_call(&host, &store_key, &format!("/api/codes/{}/validate", urlencoding(&typed)), json!({"order_total": 3_000_000})).await;
    assert_eq!(v.json()["valid"], true, "{typed}: {}", v.text());

    // Cart A holds it; cart B is told it is locked until the lock lapses.
    let a = validate(json!({"order_total": 3_000_000, "cart_id": "cart-a"})).await;
    assert_eq!(a.json()["valid"], true, "{}", a.text());
    assert!(a.kv_ops <= held, "validate with a lock costs {} operations", a.kv_ops);
    assert_eq!(validate(json!({"order_total": 3_000_000, "cart_id": "cart-b"})).await.json()["reason"], "locked");
    let b = store_call(&host, &store_key, &format!("/api/codes/{code}/consume"), json!({"order_id": "B-1", "cart_id": "cart-b"})).await;
    assert_error(&b, 409, "code_locked");
    host.advance(chrono::Duration::minutes(15));
    assert_eq!(validate(json!({"order_total": 3_000_000, "cart_id": "cart-b"})).await.json()["valid"], true);

    // Cart B holds it now and consumes it, once.
    let consume = |order: &'static str| {
        let (host, key, code) = (host.clone(), store_key.clone(), code.clone());
        async move { store_call(&host, &key, &format!("/api/codes/{code}/consume"), json!({"order_id": order, "cart_id": "cart-b"})).await }
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
async fn an_expired_code_is_gone_and_a_cancelled_one_returns_its_points() {
    let host = host().await;
    let store_key = make_store(&host, "shop-1").await;
    reward(&host, "ten", json!({"name": "ده درصد", "kind": "percent", "value": 10, "cost": 100, "valid_days": 7})).await;
    let id = member_with(&host, "09121234567", 300).await;
    let first = redeem(&host, &id, "ten", None).await.json();
    let second = redeem(&host, &id, "ten", None).await.json();
    assert_eq!(second["balance"], 100);
    let r = admin(&host, "POST", &format!("/api/redemptions/{}/cancel", second["id"].as_str().unwrap()), None).await;
    assert_eq!((r.status, r.json()["balance"].clone()), (200, json!(200)), "{}", r.text());
    let again = admin(&host, "POST", &format!("/api/redemptions/{}/cancel", second["id"].as_str().unwrap()), None).await;
    assert_eq!((again.status, again.json()["balance"].clone()), (200, json!(200)), "cancelling twice returns the points once");
    let code = second["code"].as_str().unwrap();
    let v = store_call(&host, &store_key, &format!("/api/codes/{code}/validate"), json!({"order_total": 1_000})).await;
    assert_eq!(v.json()["reason"], "cancelled");
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after a cancellation").await, 200);
    host.advance(chrono::Duration::days(7));
    let code = first["code"].as_str().unwrap();
    let v = store_call(&host, &store_key, &format!("/api/codes/{code}/validate"), json!({"order_total": 1_000})).await;
    assert_eq!(v.json()["reason"], "expired");
    assert_error(&store_call(&host, &store_key, &format!("/api/codes/{code}/consume"), json!({"order_id": "1"})).await, 410, "code_expired");
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
        let v = store_call(&host, &store_key, &format!("/api/codes/ABCDEFGHJK{}{}/validate", 2 + i, 2 + i), json!({"order_total": 1})).await;
        assert_eq!(v.json()["reason"], "unknown", "{}", v.text());
        assert_eq!(v.kv_writes, 1, "a miss writes one counter");
    }
    let refused = store_call(&host, &store_key, &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await;
    assert_error(&refused, 429, "rate_limited");
    // Another store key is not held back, and the next minute starts over.
    let other = make_store(&host, "shop-2").await;
    assert_eq!(store_call(&host, &other, &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await.json()["valid"], true);
    host.advance(chrono::Duration::minutes(1));
    assert_eq!(store_call(&host, &store_key, &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await.json()["valid"], true);
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
    let v = store_call(&host, &store_key, &format!("/api/codes/{code}/validate"), json!({"order_total": 3_000_000})).await;
    assert_eq!(v.json()["reason"], "used", "{}", v.text());
    assert_eq!(store_call(&host, &store_key, &format!("/api/codes/{code}/consume"), json!({"order_id": "W-77"})).await.status, 200);
    assert_error(&store_call(&host, &store_key, &format!("/api/codes/{code}/consume"), json!({"order_id": "W-78"})).await, 409, "code_used");
    assert_error(&admin(&host, "POST", &format!("/api/redemptions/{}/cancel", r["id"].as_str().unwrap()), None).await, 409, "code_used");
    let got = admin(&host, "GET", &format!("/api/redemptions/{}", r["id"].as_str().unwrap()), None).await.json();
    assert_eq!((got["state"].clone(), got["order_id"].clone()), (json!("used"), json!("W-77")));
}
