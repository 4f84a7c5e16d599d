//! A member redeems on their own page (`POST /api/me/redemptions`, the
//! `me-redemptions` component): a confirmation step that writes nothing,
//! then the code at once and by SMS, with the API's rules and idempotency.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_confirms_then_gets_the_code_once_at_once_and_by_sms() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": PHONE, "name": "سارا"})).await;
    let id = m["id"].as_str().unwrap().to_string();
    adjust(&host, &id, json!({"points": 150, "reason": "gift"})).await;
    let r = admin(&host, "PUT", "/api/rewards/off10", Some(json!({"name": "۱۰٪ تخفیف", "kind": "percent", "value": 10, "cost": 100}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(&host, "PUT", "/api/rewards/big", Some(json!({"name": "هدیهٔ بزرگ", "kind": "fixed", "value": 5_000_000, "cost": 1000}))).await;
    assert_eq!(r.status, 200, "{}", r.text());

    let ask = json!({"reward_id": "off10"});
    let r = browser(&host, LOOPBACK, "POST", "/api/me/redemptions", None, Some(ask.clone())).await;
    assert_error(&r, 401, "unauthorized");

    let (r, cookie) = sign_in(&host, LOOPBACK).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let rewards = r.json()["rewards"].clone();
    assert_eq!(rewards.as_array().unwrap().iter().map(|r| (r["id"].clone(), r["affordable"].clone())).collect::<Vec<_>>(), vec![(json!("off10"), json!(true)), (json!("big"), json!(false))]);

    // The confirmation step: what it costs and leaves, nothing written.
    let before = host.kv_snapshot();
    let r = browser(&host, LOOPBACK, "POST", "/api/me/redemptions", Some(&cookie), Some(ask.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["balance"].clone(), r.json()["balance_after"].clone(), r.json()["reward"]["cost"].clone()), (json!(150), json!(50), json!(100)));
    assert_eq!(host.kv_snapshot(), before, "a question writes nothing");
    let r = browser(&host, LOOPBACK, "POST", "/api/me/redemptions", Some(&cookie), Some(json!({"reward_id": "big"}))).await;
    assert_error(&r, 409, "insufficient_points");
    let r = browser(&host, LOOPBACK, "POST", "/api/me/redemptions", Some(&cookie), Some(json!({"reward_id": "big", "confirm": true}))).await;
    assert_error(&r, 409, "insufficient_points");
    assert_eq!(host.kv_snapshot().keys().filter(|k| k.starts_with("redemption:")).count(), 0);

    let confirmed = json!({"reward_id": "off10", "confirm": true, "idempotency_key": "page-1"});
    let r = browser(&host, LOOPBACK, "POST", "/api/me/redemptions", Some(&cookie), Some(confirmed.clone())).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let code = r.json()["code"].as_str().unwrap().to_string();
    assert_eq!(r.json()["balance"], 50);
    // A retry (a double tap) is the same redemption: the same code, spent once.
    let again = browser(&host, LOOPBACK, "POST", "/api/me/redemptions", Some(&cookie), Some(confirmed)).await;
    assert_eq!((again.status, again.json()["code"].clone()), (201, json!(code)));
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after the redemption").await, 50);

    host.advance(chrono::Duration::seconds(60));
    assert_eq!(host.cron("sender").await.result, Ok(()));
    assert!(last_sms_to(&host, PHONE).await.contains(&code), "the code also goes by SMS");
    let page = browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await.json();
    assert_eq!(page["codes"][0]["code"], json!(code));
    assert_eq!(page["rewards"][0]["affordable"], false, "50 points left");
    let history = browser(&host, LOOPBACK, "GET", "/api/me/history", Some(&cookie), None).await;
    assert_eq!(history.status, 200, "{}", history.text());
    let kinds: Vec<_> = history.json()["entries"].as_array().unwrap().iter().map(|e| (e["kind"].clone(), e["points"].clone())).collect();
    assert_eq!(kinds, vec![(json!("redeem"), json!(-100)), (json!("adjust"), json!(150))]);
}
