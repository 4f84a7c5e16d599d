//! Redemption, end to end: points spent on a reward for a single-use
//! code, exactly as often as the balance and the stock allow, under real
//! concurrency and kills, and cancelled for the points back.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::Fault;

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
    let v = with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/validate"), json!({"order_total": 1_000})).await;
    assert_eq!(v.json()["reason"], "cancelled");
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after a cancellation").await, 200);
    host.advance(chrono::Duration::days(7));
    let code = first["code"].as_str().unwrap();
    let v = with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/validate"), json!({"order_total": 1_000})).await;
    assert_eq!(v.json()["reason"], "expired");
    assert_error(&with_token(&host, &store_key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": "1"})).await, 410, "code_expired");
}

