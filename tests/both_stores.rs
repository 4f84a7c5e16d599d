//! Claims and counters that hold on both of Spin's key-value stores: the
//! suite runs on SQLite (`cargo test`) and on Redis (`VAFA_TEST_KV=redis`);
//! the tests here that need one store ask for it by name.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::panel::Behaviour;
use vafa_test_host::{Fault, Host, KvBackend, Options};

const SENDER: &str = "sender";

async fn host_on(backend: KvBackend) -> Host {
    Host::start_with(Options { kv_backend: Some(backend), ..Options::default() }).await.expect("the host starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_phone_index_answers_500_naming_it_and_changes_nothing() {
    let host = host().await;
    host.kv_set("phone:+989121234567", b"not a number");
    let before = host.kv_snapshot();
    let r = admin(&host, "POST", "/api/members", Some(json!({"phone": "09121234567"}))).await;
    assert_error(&r, 500, "store_corrupt");
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("phone"), "{}", r.text());
    assert!(r.stderr.contains("phone:+98912***4567"), "the log names the key, masked: {}", r.stderr);
    assert!(!r.stderr.contains("9121234567"), "{}", r.stderr);
    let lookup = admin(&host, "GET", "/api/members?phone=09121234567", None).await;
    assert_error(&lookup, 500, "store_corrupt");
    assert_eq!(host.kv_snapshot(), before, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_meeting_a_locked_database_at_any_step_is_retried_and_succeeds() {
    let host = host().await;
    let steps = admin(&host, "POST", "/api/members", Some(json!({"phone": "09129999999"}))).await.kv_ops;
    for n in 1..=steps {
        let phone = format!("0912{n:07}");
        host.inject_kv_fault(n, Fault::Locked);
        let r = admin(&host, "POST", "/api/members", Some(json!({"phone": phone}))).await;
        assert_eq!(r.status, 201, "step {n}: {}", r.text());
        let found = admin(&host, "GET", &format!("/api/members?phone={phone}"), None).await;
        assert_eq!(found.json()["id"], r.json()["id"], "step {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_stays_locked_answers_503_writes_nothing_and_the_retry_succeeds() {
    let host = host_on(KvBackend::Sqlite).await;
    let lock = host.hold_write_lock();
    let before = host.kv_snapshot();
    let r = admin(&host, "POST", "/api/members", Some(json!({"phone": "09121234567"}))).await;
    assert_error(&r, 503, "store_unavailable");
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    assert_eq!(host.kv_snapshot(), before, "nothing was written");
    drop(lock);
    let r = admin(&host, "POST", "/api/members", Some(json!({"phone": "09121234567"}))).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Spin's Redis client waits minutes for a server that is down before a
/// call fails; the host injects the error it then gives, at every step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_is_down_answers_503_with_retry_after_and_changes_nothing() {
    let host = host_on(KvBackend::Redis).await;
    create_member(&host, json!({"phone": "09121234567"})).await;
    let body = json!({"phone": "09121234568"});
    let steps = admin(&host, "POST", "/api/members", Some(json!({"phone": "09129999999"}))).await.kv_ops;
    // Each step fails a create of its own: up to the phone's claim (the
    // commit point) the answer is 503; the club's counts and the audit
    // entry after it never fail the member who was made (they are lost,
    // logged).
    let mut statuses = Vec::new();
    for n in 1..=steps {
        let before = host.kv_snapshot();
        host.inject_kv_fault(n, Fault::Unreachable);
        let r = admin(&host, "POST", "/api/members", Some(json!({"phone": format!("0912888{n:04}")}))).await;
        if r.status == 503 {
            assert_error(&r, 503, "store_unavailable");
            assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
        } else {
            assert_eq!(r.status, 201, "{}", r.text());
            assert!(r.stderr.contains("the club's count of") || r.stderr.contains("audit entry for POST /api/members not recorded"), "the loss is logged: {}", r.stderr);
        }
        if n == 1 {
            assert_eq!(host.kv_snapshot(), before, "the first operation failed: nothing was written");
        }
        statuses.push(r.status);
    }
    let committed = statuses.iter().position(|s| *s == 201).unwrap_or(statuses.len());
    assert!(committed > 0 && statuses[committed..].iter().all(|s| *s == 201), "503 until the commit, 201 after: {statuses:?}");
    host.inject_kv_fault(committed as u32, Fault::Unreachable);
    let r = admin(&host, "POST", "/api/members", Some(body.clone())).await;
    assert_error(&r, 503, "store_unavailable");
    host.inject_kv_fault(1, Fault::Unreachable);
    let r = admin(&host, "GET", "/api/members?phone=09121234567", None).await;
    assert_error(&r, 503, "store_unavailable");
    // A failure after the phone was claimed left the member made: the
    // retry names it (409), as for any create that lost its answer.
    let r = admin(&host, "POST", "/api/members", Some(body)).await;
    assert!(r.status == 201 || r.status == 409, "the retry succeeds: {}", r.text());
    let found = admin(&host, "GET", "/api/members?phone=09121234568", None).await;
    assert_eq!(found.json()["id"], r.json()["member_id"].as_str().map_or_else(|| r.json()["id"].clone(), |id| json!(id)));
}

fn delivered_to(host: &Host) -> Vec<String> {
    let mut to: Vec<String> = host.panel().delivered().iter().map(|d| d.to.clone()).collect();
    to.sort();
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_that_meets_a_locked_database_finishes_on_the_next_with_each_message_sent_once() {
    let host = host_on(KvBackend::Sqlite).await;
    host.set_variable("sms_provider", "kavenegar");
    let phones = queued_confirmations(&host, 3).await;
    host.advance(chrono::Duration::seconds(60));
    let lock = host.hold_write_lock();
    let stuck = host.cron(SENDER).await;
    assert!(stuck.result.is_err(), "the tick cannot write while the other process does");
    assert!(host.panel().delivered().is_empty(), "nothing is sent before its try is claimed");
    drop(lock);
    let t = host.cron(SENDER).await;
    assert_eq!(t.result, Ok(()), "{}", t.stderr);
    assert_eq!(delivered_to(&host), phones);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_meeting_a_locked_database_at_any_step_sends_each_message_once() {
    let probe = host_with_provider("kavenegar").await;
    probe.cron(SENDER).await;
    queued_confirmations(&probe, 2).await;
    probe.advance(chrono::Duration::seconds(60));
    let steps = probe.cron(SENDER).await.kv_ops;
    for n in 1..=steps {
        let host = host_with_provider("kavenegar").await;
        host.cron(SENDER).await;
        let phones = queued_confirmations(&host, 2).await;
        host.advance(chrono::Duration::seconds(60));
        host.inject_kv_fault(n, Fault::Locked);
        let t = host.cron(SENDER).await;
        assert_eq!(t.result, Ok(()), "step {n}: {}", t.stderr);
        host.advance(chrono::Duration::seconds(600));
        host.cron(SENDER).await;
        assert_eq!(delivered_to(&host), phones, "step {n}");
    }
}

/// Spin runs the HTTP trigger and the cron trigger as two processes on one
/// store: members join and opt out while ticks send, and nobody gets a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_sending_while_members_join_and_opt_out_loses_nothing() {
    let host = host_with_provider("kavenegar").await;
    // The first confirmations fail, so the ticks have retries to send.
    host.panel().fail_next(6, Behaviour::ServerError);
    let phones: Vec<String> = (0..12).map(|i| format!("+98912{:07}", 2000 + i)).collect();
    for p in &phones {
        opted_in_member(&host, p).await;
    }
    host.advance(chrono::Duration::seconds(60));
    let http = phones.iter().enumerate().map(|(i, p)| {
        let host = host.clone();
        let p = p.clone();
        async move {
            let out = inbound_json(&host, &p, "لغو11").await;
            let joined = admin(&host, "POST", "/api/members", Some(json!({"phone": format!("0935{:07}", i)}))).await;
            vec![out, joined]
        }
    });
    let ticks = (0..6).map(|_| {
        let host = host.clone();
        async move { host.cron(SENDER).await }
    });
    let (replies, ticks) = futures::join!(futures::future::join_all(http), futures::future::join_all(ticks));
    for r in replies.iter().flatten() {
        assert!(r.status < 500, "{} {}", r.status, r.text());
    }
    for t in &ticks {
        assert_eq!(t.result, Ok(()), "{}", t.stderr);
    }
    for _ in 0..4 {
        host.advance(chrono::Duration::seconds(600));
        let t = host.cron(SENDER).await;
        assert_eq!(t.result, Ok(()), "{}", t.stderr);
    }
    assert_eq!(delivered_to(&host), phones, "each opt-out confirmed exactly once");
    for i in 0..12 {
        let r = admin(&host, "GET", &format!("/api/members?phone=0935{i:07}"), None).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
}
