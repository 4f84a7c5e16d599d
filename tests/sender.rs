//! The cron sender, end to end: retries with backoff, give-up, timeouts,
//! final panel errors, and ticks killed half-way.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::panel::Behaviour;
use vafa_test_host::{Fault, Host};

const SENDER: &str = "sender";

async fn tick_after(host: &Host, seconds: i64) -> vafa_test_host::Tick {
    host.advance(chrono::Duration::seconds(seconds));
    let t = host.cron(SENDER).await;
    assert_eq!(t.result, Ok(()), "tick failed: {}", t.stderr);
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_with_nothing_due_costs_three_reads_or_fewer() {
    let host = host().await;
    for i in 0..50 {
        create_member(&host, json!({"phone": format!("0912{:07}", i)})).await;
    }
    tick_after(&host, 0).await;
    for _ in 0..3 {
        let t = tick_after(&host, 60).await;
        assert!(t.kv_ops <= 3, "an idle tick made {} key-value operations", t.kv_ops);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_is_retried_when_due_and_not_before() {
    let host = host_with_provider("kavenegar").await;
    let phones = queued_confirmations(&host, 1).await;
    tick_after(&host, 30).await;
    assert!(host.panel().delivered().is_empty(), "retried before its time");
    tick_after(&host, 30).await;
    let d = host.panel().delivered();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].to, phones[0]);
    let m = &messages(&host, "").await[0];
    assert_eq!((m["status"].clone(), m["attempts"].clone()), (json!("sent"), json!(2)));
    tick_after(&host, 600).await;
    assert_eq!(host.panel().delivered().len(), 1, "a sent message is never sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_back_off_and_give_up_after_five_tries() {
    let host = host_with_provider("kavenegar").await;
    queued_confirmations(&host, 1).await;
    host.panel().set_behaviour(Behaviour::ServerError);
    let mut tries_seen = vec![host.panel().requests().len()];
    // Backoff after tries 1..4: 1, 2, 4 and 8 minutes.
    for wait in [60, 120, 240, 480] {
        tick_after(&host, wait - 1).await;
        assert_eq!(host.panel().requests().len(), *tries_seen.last().unwrap(), "tried before the backoff ended");
        tick_after(&host, 1).await;
        tries_seen.push(host.panel().requests().len());
    }
    assert_eq!(tries_seen, [1, 2, 3, 4, 5]);
    let m = &messages(&host, "").await[0];
    assert_eq!((m["status"].clone(), m["attempts"].clone()), (json!("failed"), json!(5)));
    assert!(m["error"].as_str().unwrap().contains("gave up"), "{m}");
    tick_after(&host, 3600).await;
    assert_eq!(host.panel().requests().len(), 5, "a failed message is not tried again");
    let local_ids: Vec<_> = host.panel().requests().iter().map(|r| r.body_text()).collect();
    assert!(local_ids.iter().all(|b| b.contains(&format!("localid={}", m["id"].as_str().unwrap().trim_start_matches("s_")))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_that_hangs_is_a_retryable_timeout() {
    let host = host_with_provider("kavenegar").await;
    host.set_variable("sms_timeout_ms", "200");
    opted_in_member(&host, "09121234567").await;
    host.panel().set_behaviour(Behaviour::Hang);
    let r = inbound_json(&host, "09121234567", "لغو").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let m = &messages(&host, "").await[0];
    assert_eq!(m["status"], "queued", "{m}");
    assert!(m["error"].as_str().unwrap().contains("timed out") || m["error"].as_str().unwrap().contains("failed"), "{m}");
    host.panel().set_behaviour(Behaviour::Normal);
    tick_after(&host, 60).await;
    assert_eq!(messages(&host, "").await[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_panel_error_fails_the_message_without_retries() {
    let host = host_with_provider("kavenegar").await;
    opted_in_member(&host, "09121234567").await;
    host.panel().set_behaviour(Behaviour::ProviderError(418));
    inbound_json(&host, "09121234567", "لغو").await;
    let m = &messages(&host, "").await[0];
    assert_eq!(m["status"], "failed", "{m}");
    assert!(m["error"].as_str().unwrap().contains("418"), "{m}");
    host.panel().set_behaviour(Behaviour::Normal);
    tick_after(&host, 3600).await;
    assert_eq!(host.panel().requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smsir_rate_limits_are_retried_and_blacklisted_numbers_blocked() {
    let host = host_with_provider("smsir").await;
    opted_in_member(&host, "09121234567").await;
    host.panel().fail_next(1, Behaviour::ProviderError(20));
    inbound_json(&host, "09121234567", "لغو").await;
    assert_eq!(messages(&host, "").await[0]["status"], "queued");
    tick_after(&host, 60).await;
    assert_eq!(messages(&host, "").await[0]["status"], "sent");

    let b = opted_in_member(&host, "09121234568").await;
    host.panel().blacklist("+989121234568");
    inbound_json(&host, "09121234568", "لغو").await;
    let last = &messages(&host, "").await[0];
    assert_eq!(last["status"], "failed", "{last}");
    let got = admin(&host, "GET", &format!("/api/members/{}", b["id"].as_str().unwrap()), None).await.json();
    assert_eq!(got["sms_blocked"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_at_any_step_is_finished_by_the_next_without_sending_twice() {
    // A sender that has been ticking (so the killed tick sweeps minutes
    // since its cursor, not the first tick's whole day).
    let probe = host_with_provider("kavenegar").await;
    tick_after(&probe, 0).await;
    queued_confirmations(&probe, 3).await;
    let full = tick_after(&probe, 60).await;
    assert_eq!(probe.panel().delivered().len(), 3);
    let steps = full.kv_ops;
    for n in 1..=steps {
        let host = host_with_provider("kavenegar").await;
        tick_after(&host, 0).await;
        let phones = queued_confirmations(&host, 3).await;
        host.advance(chrono::Duration::seconds(60));
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron(SENDER).await;
        assert!(killed.result.is_err(), "step {n}: the fault did not fire");
        // The retry of an interrupted try waits its backoff; give it time.
        for _ in 0..4 {
            tick_after(&host, 120).await;
        }
        let delivered = host.panel().delivered();
        let mut to: Vec<String> = delivered.iter().map(|d| d.to.clone()).collect();
        to.sort();
        assert_eq!(to, phones, "step {n}: each confirmation delivered exactly once");
        assert!(messages(&host, "").await.iter().all(|m| m["status"] == "sent"), "step {n}");
    }
}
