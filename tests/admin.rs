//! The admin's side of points, end to end: adjustments and the ledger
//! through the points journal (exactly once under retries, kills and
//! concurrency, the balance always the sum of the ledger), and the bonus
//! rules' validation.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adjustments_are_in_the_ledger_newest_first_with_paging() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap();
    for (i, pts) in [10, 20, -5, 30].iter().enumerate() {
        host.advance(chrono::Duration::minutes(1));
        let r = admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(json!({"points": pts, "reason": format!("r{i}")}))).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(json!({"points": 7, "reason": "once", "idempotency_key": "k1"}))).await;
    assert_eq!(r.json()["points"], 62);
    let r = admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(json!({"points": 7, "reason": "once", "idempotency_key": "k1"}))).await;
    assert_eq!(r.json()["points"], 62, "a repeated idempotency key changes nothing");
    let page = admin(&host, "GET", &format!("/api/members/{id}/ledger?limit=2"), None).await.json();
    let e = page["entries"].as_array().unwrap();
    assert_eq!(e.iter().map(|x| x["points"].as_i64().unwrap()).collect::<Vec<_>>(), [7, 30]);
    assert_eq!(e[0]["balance"], 62);
    assert_eq!(e[0]["kind"], "adjust");
    assert_eq!(e[1]["ref"], "r3");
    let next = page["next_before"].as_u64().unwrap();
    let page2 = admin(&host, "GET", &format!("/api/members/{id}/ledger?limit=10&before={next}"), None).await.json();
    assert_eq!(page2["entries"].as_array().unwrap().iter().map(|x| x["balance"].as_i64().unwrap()).collect::<Vec<_>>(), [25, 30, 10]);
    assert_eq!(page2["next_before"], Value::Null);
    assert_error(&admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(json!({"points": 0, "reason": "x"}))).await, 422, "invalid_points");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adjustment_killed_at_any_step_is_applied_once_by_its_retry() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap();
    let steps = adjust(&host, id, json!({"points": 1, "reason": "probe", "idempotency_key": "probe"})).await.kv_ops;
    let mut expected = 1;
    for n in 1..=steps {
        let body = json!({"points": 10, "reason": format!("step {n}"), "idempotency_key": format!("k{n}")});
        host.inject_kv_fault(n, Fault::Trap);
        let killed = adjust(&host, id, body.clone()).await;
        assert!(killed.trap.is_some() || killed.status == 200, "step {n}: {}", killed.text());
        assert_balance_is_the_ledger(&host, id, &format!("after the kill at step {n}")).await;
        let retry = adjust(&host, id, body).await;
        assert_eq!(retry.status, 200, "step {n}: {}", retry.text());
        expected += 10;
        assert_eq!(retry.json()["points"], expected, "step {n}: applied exactly once");
        assert_eq!(assert_balance_is_the_ledger(&host, id, &format!("after the retry of step {n}")).await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adjustments_all_count_and_one_key_counts_once() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap().to_string();
    let calls = (0..20).map(|i| {
        let host = host.clone();
        let id = id.clone();
        let key = if i < 10 { format!("own-{i}") } else { "shared".to_string() };
        async move { adjust(&host, &id, json!({"points": 5, "reason": "concurrent", "idempotency_key": key})).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let (balance, entries) = balance_and_ledger(&host, &id).await;
    assert_eq!(balance, 11 * 5, "ten own keys and one shared key");
    assert_eq!(entries.len(), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_from_before_wallets_keeps_the_points_and_ledger() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let id = m["id"].as_str().unwrap();
    let n = id.trim_start_matches("m_");
    // The previous release kept a balance counter and counted ledger slots.
    host.kv_delete(&format!("wallet:{n}"));
    let entry = json!({"at": "2026-11-01T08:00:00Z", "kind": "adjust", "points": 40, "balance": 40, "ref": "old"});
    host.kv_set(&format!("ledger:{n}:1"), entry.to_string().as_bytes());
    host.kv_increment(&format!("points:{n}"), 40);
    host.kv_increment(&format!("ledger-len:{n}"), 1);
    assert_eq!(admin(&host, "GET", &format!("/api/members/{id}"), None).await.json()["points"], 40);
    let r = adjust(&host, id, json!({"points": 2, "reason": "new"})).await;
    assert_eq!(r.json()["points"], 42, "{}", r.text());
    let (balance, entries) = balance_and_ledger(&host, id).await;
    assert_eq!((balance, entries), (42, vec![2, 40]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bonus_rules_name_the_field_and_write_nothing() {
    let host = host().await;
    let before = host.kv_snapshot();
    let cases = [
        (json!({"kind": "tag", "tag": "vip", "multiplier_pct": 90}), "invalid_multiplier_pct"),
        (json!({"kind": "window", "starts_at": "2026-11-28T00:00:00Z", "ends_at": "2026-11-27T00:00:00Z", "multiplier_pct": 200}), "invalid_ends_at"),
        (json!({"kind": "moon", "multiplier_pct": 200}), "invalid_kind"),
        (json!({"kind": "tag", "multiplier_pct": 200}), "invalid_tag"),
        (json!({"kind": "tag", "tag": "vip", "multiplier_pct": 200, "extra": 1}), "invalid_extra"),
    ];
    for (body, code) in cases {
        let r = admin(&host, "PUT", "/api/bonus-rules/r1", Some(body)).await;
        assert_error(&r, 422, code);
    }
    assert_eq!(host.kv_snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_in_use_and_its_credit_are_shown_to_the_admin_only() {
    let host = host().await;
    let sandbox = admin(&host, "GET", "/api/panel", None).await.json();
    assert_eq!((sandbox["provider"].clone(), sandbox["credit"].clone(), sandbox["credit_unit"].clone()), (json!("sandbox"), json!(null), json!(null)));
    let host = host_with_provider("smsir").await;
    host.set_variable("sms_poll", "replies");
    host.panel().set_credit(165.3);
    let p = admin(&host, "GET", "/api/panel", None).await.json();
    assert_eq!(p, json!({"provider": "smsir", "sender": "10004346", "polling": {"replies": true, "delivery": false}, "credit": 165.3, "credit_unit": "parts"}));
    host.panel().set_behaviour(vafa_test_host::panel::Behaviour::ServerError);
    let down = admin(&host, "GET", "/api/panel", None).await;
    assert_eq!(down.status, 200);
    assert!(down.json()["credit_error"].as_str().is_some_and(|e| e.contains("smsir")), "{}", down.text());
    assert_error(&host.request("GET", "/api/panel", &[], "").await, 401, "unauthorized");
}
