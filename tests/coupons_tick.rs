//! Reward codes as the stores' own coupons, end to end: a redemption in a
//! store with platform credentials answers `"coupon": "pending"`, the real
//! coupons-tick `.wasm` makes the coupon on the fake WooCommerce or
//! Shopify shop, retries what the platform defers, never makes a second
//! one when an answer is lost or a tick is killed, and deletes the coupon
//! when the code is cancelled or expires unused.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use support::*;
use vafa_test_host::store_platforms::{Platform, StoreFault};
use vafa_test_host::{Fault, Host};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A store on the fake platform `platform` ("woocommerce" or "shopify")
/// counting in `currency`; returns its key.
async fn connected_store(host: &Host, platform: &str, currency: &str) -> String {
    let api = match platform {
        "woocommerce" => host.platforms().woo_api(),
        _ => host.platforms().shopify_api(),
    };
    let body = json!({"name": "فروشگاه نمونه", "platform": platform, "webhook_secret": "s3cret-s3cret-s3cret", "currency": currency, "api": api});
    let r = admin(host, "PUT", "/api/stores/shop-1", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["api_key"].as_str().expect("api_key when made").to_string()
}

async fn reward(host: &Host, id: &str, body: Value) {
    let r = admin(host, "PUT", &format!("/api/rewards/{id}"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A member of the store with `points`.
async fn member(host: &Host, key: &str, phone: &str, points: i64) -> String {
    let r = with_token(host, key, "POST", "/api/members", json!({"phone": phone})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(adjust(host, &id, json!({"points": points, "reason": "test"})).await.status, 200);
    id
}

async fn redeem(host: &Host, member: &str, reward: &str) -> Value {
    let r = admin(host, "POST", "/api/redemptions", Some(json!({"member_id": member, "reward_id": reward}))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn redemption(host: &Host, id: &str) -> Value {
    let r = admin(host, "GET", &format!("/api/redemptions/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// A tick a little over a minute later; it must succeed.
async fn tick(host: &Host) -> vafa_test_host::Tick {
    host.advance(Duration::seconds(61));
    let t = host.cron("coupons-tick").await;
    assert_eq!(t.result, Ok(()), "{}", t.stderr);
    t
}

fn fixed() -> Value {
    json!({"name": "پنجاه هزار تومان تخفیف", "kind": "fixed", "value": 500_000, "cost": 100, "valid_days": 30, "min_order": 2_000_000})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_becomes_a_woocommerce_coupon_in_the_shops_currency_and_its_cancel_deletes_it() {
    let host = host().await;
    host.set_now(at("2026-12-06T10:00:00Z"));
    let key = connected_store(&host, "woocommerce", "IRT").await;
    reward(&host, "fifty", fixed()).await;
    let id = member(&host, &key, "09121234567", 500).await;
    let made = redeem(&host, &id, "fifty").await;
    assert_eq!(made["coupon"], "pending", "{made}");
    assert!(host.platforms().requests().is_empty(), "the redemption waits for no platform");

    tick(&host).await;
    let coupons = host.platforms().woo_coupons();
    assert_eq!(coupons.len(), 1, "{coupons:?}");
    let c = &coupons[0];
    let code = made["code"].as_str().unwrap();
    assert_eq!(c["code"], code.to_lowercase());
    assert_eq!(
        (c["discount_type"].clone(), c["amount"].clone(), c["minimum_amount"].clone()),
        (json!("fixed_cart"), json!("50000"), json!("200000")),
        "the club's rials are the shop's toman: {c}"
    );
    assert_eq!((c["usage_limit"].clone(), c["usage_limit_per_user"].clone(), c["individual_use"].clone()), (json!(1), json!(1), json!(true)));
    assert_eq!((c["free_shipping"].clone(), c["date_expires_gmt"].clone()), (json!(false), json!("2027-01-05T10:00:00")));
    let create = host.platforms().requests().into_iter().find(|r| r.method == "POST").unwrap();
    assert!(create.header("authorization").is_some_and(|a| a.starts_with("Basic ")));
    let got = redemption(&host, made["id"].as_str().unwrap()).await;
    assert_eq!(got["coupon"], "created", "{got}");

    let cancelled = admin(&host, "POST", &format!("/api/redemptions/{}/cancel", made["id"].as_str().unwrap()), None).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    tick(&host).await;
    assert!(host.platforms().woo_coupons().is_empty());
    let delete = host.platforms().requests().into_iter().rfind(|r| r.method == "DELETE").expect("a delete");
    assert_eq!(delete.path, format!("/wp-json/wc/v3/coupons/{}?force=true", c["id"]));
    assert_eq!(redemption(&host, made["id"].as_str().unwrap()).await["coupon"], "deleted");

    host.platforms().clear_requests();
    let idle = tick(&host).await;
    assert!(host.platforms().requests().is_empty(), "a settled coupon is left alone");
    assert_eq!(idle.kv_writes, 1, "only the cursor moves: {:?}", idle.kv_trace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_gets_percentage_and_free_shipping_discounts_deleted_at_expiry_and_a_gift_makes_none() {
    let host = host().await;
    host.set_now(at("2026-12-06T10:00:00Z"));
    let key = connected_store(&host, "shopify", "IRR").await;
    reward(&host, "ten", json!({"name": "ده درصد", "kind": "percent", "value": 10, "cost": 100, "valid_days": 7, "min_order": 1_000_000})).await;
    reward(&host, "ship", json!({"name": "ارسال رایگان", "kind": "free_shipping", "cost": 100, "valid_days": 30})).await;
    reward(&host, "mug", json!({"name": "ماگ", "kind": "gift", "cost": 100, "valid_days": 30})).await;
    let id = member(&host, &key, "09121234567", 1_000).await;
    let ten = redeem(&host, &id, "ten").await;
    let ship = redeem(&host, &id, "ship").await;
    let mug = redeem(&host, &id, "mug").await;
    assert_eq!((ten["coupon"].clone(), ship["coupon"].clone()), (json!("pending"), json!("pending")));
    assert!(mug.get("coupon").is_none(), "a gift is checked by the store as before: {mug}");

    tick(&host).await;
    let discounts = host.platforms().shopify_discounts();
    assert_eq!(discounts.len(), 2, "{discounts:?}");
    let by_code = |code: &Value| discounts.iter().find(|d| d["input"]["code"] == *code).cloned().unwrap();
    let basic = by_code(&ten["code"]);
    assert_eq!(basic["kind"], "basic");
    let input = &basic["input"];
    assert_eq!(input["customerGets"]["value"]["percentage"], json!(0.1));
    assert_eq!((input["usageLimit"].clone(), input["appliesOncePerCustomer"].clone()), (json!(1), json!(true)));
    assert_eq!(input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"], "1000000");
    assert_eq!(input["endsAt"], "2026-12-13T10:00:00Z");
    assert_eq!(by_code(&ship["code"])["kind"], "free_shipping");
    for r in host.platforms().requests() {
        assert_eq!((r.platform, r.header("x-shopify-access-token").is_some()), (Platform::Shopify, true));
    }
    assert_eq!(redemption(&host, ten["id"].as_str().unwrap()).await["coupon"], "created");

    // A week on, the unused percentage code has expired: its discount goes.
    host.set_now(at("2026-12-13T10:00:30Z"));
    tick(&host).await;
    let left: Vec<Value> = host.platforms().shopify_discounts().iter().map(|d| d["input"]["code"].clone()).collect();
    assert_eq!(left, [ship["code"].clone()]);
    assert_eq!(redemption(&host, ten["id"].as_str().unwrap()).await["coupon"], "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_that_defers_is_retried_and_one_that_refuses_is_reported() {
    let host = host().await;
    host.set_now(at("2026-12-06T10:00:00Z"));
    let key = connected_store(&host, "woocommerce", "IRR").await;
    reward(&host, "fifty", fixed()).await;
    let id = member(&host, &key, "09121234567", 500).await;
    let first = redeem(&host, &id, "fifty").await;

    host.platforms().fail_next(1, StoreFault::Status(429));
    tick(&host).await;
    assert!(host.platforms().woo_coupons().is_empty());
    assert_eq!(redemption(&host, first["id"].as_str().unwrap()).await["coupon"], "pending");
    host.platforms().fail_next(1, StoreFault::Status(503));
    host.advance(Duration::minutes(1));
    tick(&host).await;
    assert_eq!(redemption(&host, first["id"].as_str().unwrap()).await["coupon"], "pending");
    host.advance(Duration::minutes(2));
    tick(&host).await;
    assert_eq!(host.platforms().woo_coupons().len(), 1);
    assert_eq!(redemption(&host, first["id"].as_str().unwrap()).await["coupon"], "created");

    // Credentials revoked on the shop: the platform's word is shown, and
    // the coupon is tried again (the owner may put the key back).
    let second = redeem(&host, &id, "fifty").await;
    host.platforms().fail_next(1, StoreFault::Status(401));
    tick(&host).await;
    let got = redemption(&host, second["id"].as_str().unwrap()).await;
    assert_eq!(got["coupon"], "pending", "{got}");
    assert!(got["coupon_error"].as_str().is_some_and(|e| e.starts_with("platform_unauthorized") && e.contains("401")), "{got}");
    host.advance(Duration::minutes(1));
    tick(&host).await;
    let got = redemption(&host, second["id"].as_str().unwrap()).await;
    assert_eq!(got["coupon"], "created", "{got}");
    assert!(got.get("coupon_error").is_none(), "{got}");

    // A coupon the platform refuses outright fails, with its reason, and
    // is not tried again.
    let third = redeem(&host, &id, "fifty").await;
    host.platforms().fail_after(1, 1, StoreFault::Status(400));
    tick(&host).await;
    let got = redemption(&host, third["id"].as_str().unwrap()).await;
    assert_eq!(got["coupon"], "failed", "{got}");
    assert!(got["coupon_error"].as_str().is_some_and(|e| e.contains("400")), "{got}");
    host.platforms().clear_requests();
    host.advance(Duration::hours(7));
    tick(&host).await;
    assert!(host.platforms().requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_lost_after_the_platform_acted_never_makes_a_second_coupon() {
    for platform in ["woocommerce", "shopify"] {
        let host = host().await;
        host.set_now(at("2026-12-06T10:00:00Z"));
        let key = connected_store(&host, platform, "IRR").await;
        reward(&host, "fifty", fixed()).await;
        let id = member(&host, &key, "09121234567", 500).await;
        let made = redeem(&host, &id, "fifty").await;
        // The lookup is answered; the create is carried out and its answer lost.
        host.platforms().fail_after(1, 1, StoreFault::AnswerLost);
        tick(&host).await;
        assert_eq!(redemption(&host, made["id"].as_str().unwrap()).await["coupon"], "pending", "{platform}");
        host.advance(Duration::minutes(1));
        tick(&host).await;
        let count = host.platforms().woo_coupons().len() + host.platforms().shopify_discounts().len();
        assert_eq!(count, 1, "{platform}: one coupon");
        let creates = host.platforms().requests().iter().filter(|r| r.method == "POST" && !r.body_text().contains("codeDiscountNodeByCode")).count();
        assert_eq!(creates, 1, "{platform}: the retry found the coupon and made none");
        assert_eq!(redemption(&host, made["id"].as_str().unwrap()).await["coupon"], "created", "{platform}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_at_any_step_leaves_one_coupon_per_code_made_by_the_next() {
    let host = host().await;
    host.set_now(at("2026-12-06T10:00:00Z"));
    let key = connected_store(&host, "woocommerce", "IRR").await;
    reward(&host, "fifty", fixed()).await;
    let id = member(&host, &key, "09121234567", 100_000).await;
    for n in 1.. {
        let made = redeem(&host, &id, "fifty").await;
        host.advance(Duration::seconds(61));
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron("coupons-tick").await;
        // The retry of an attempt cut off comes within its backoff.
        host.advance(Duration::minutes(2));
        tick(&host).await;
        let coupons = host.platforms().woo_coupons();
        let code = made["code"].as_str().unwrap().to_lowercase();
        assert_eq!(coupons.iter().filter(|c| c["code"] == code).count(), 1, "step {n}: {coupons:?}");
        assert_eq!(coupons.len(), n as usize, "step {n}: one coupon per code");
        assert_eq!(redemption(&host, made["id"].as_str().unwrap()).await["coupon"], "created", "step {n}");
        if killed.trap.is_none() {
            assert!(n > 6, "the fault at step {n} never came");
            break;
        }
    }
    let creates = host.platforms().requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(creates, host.platforms().woo_coupons().len(), "no create was sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_killed_at_any_step_still_deletes_the_coupon() {
    let host = host().await;
    host.set_now(at("2026-12-06T10:00:00Z"));
    let key = connected_store(&host, "shopify", "IRR").await;
    reward(&host, "fifty", fixed()).await;
    let id = member(&host, &key, "09121234567", 100_000).await;
    for n in 1.. {
        let made = redeem(&host, &id, "fifty").await;
        tick(&host).await;
        assert_eq!(host.platforms().shopify_discounts().len(), 1, "step {n}");
        let path = format!("/api/redemptions/{}/cancel", made["id"].as_str().unwrap());
        host.inject_kv_fault(n, Fault::Trap);
        let first = admin(&host, "POST", &path, None).await;
        if first.status != 200 {
            let again = admin(&host, "POST", &path, None).await;
            assert_eq!(again.status, 200, "step {n}: {}", again.text());
        }
        tick(&host).await;
        assert!(host.platforms().shopify_discounts().is_empty(), "step {n}: the discount is gone");
        assert_eq!(redemption(&host, made["id"].as_str().unwrap()).await["coupon"], "deleted", "step {n}");
        if first.status == 200 {
            assert!(n > 3, "the fault at step {n} never came");
            break;
        }
    }
}
