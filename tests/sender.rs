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
    assert_eq!((got["ads_blocked"].clone(), got["sms_blocked"].clone()), (json!(true), json!(false)), "{got}");
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

/// `n` copies of the queued message `template` (numbers 1..=n, each to its
/// own phone), due in the minute the template's retry is indexed for.
fn seed_messages(host: &Host, template: &serde_json::Value, n: u64) {
    let due_at: chrono::DateTime<chrono::Utc> = template["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let minute = (due_at.timestamp() + 59).div_euclid(60);
    for k in 1..=n {
        let mut m = template.clone();
        m["id"] = json!(format!("s_{k}"));
        m["number"] = json!(k);
        m["to"] = json!(format!("+98912{:07}", 5000 + k));
        host.kv_set(&format!("msg:{k}"), m.to_string().as_bytes());
        host.kv_set(&format!("due:{minute}:{k}"), k.to_string().as_bytes());
    }
    let seq = host.kv_increment("seq:message", 0);
    host.kv_increment("seq:message", n as i64 - seq);
    let len = host.kv_increment(&format!("due-len:{minute}"), 0);
    host.kv_increment(&format!("due-len:{minute}"), n as i64 - len);
}

/// Puts the store back as `base` was (keys added since deleted, changed
/// ones written back).
fn restore(host: &Host, base: &std::collections::BTreeMap<String, Vec<u8>>) {
    for (k, v) in host.kv_snapshot() {
        match base.get(&k) {
            None => host.kv_delete(&k),
            Some(b) if *b != v => host.kv_set(&k, b),
            Some(_) => {}
        }
    }
    for (k, v) in base {
        if host.kv_get(k).is_none() {
            host.kv_set(k, v);
        }
    }
}

/// The stored message record (the API redacts nothing here, but reads it
/// as the sender does).
fn stored_message(host: &Host, n: u64) -> serde_json::Value {
    serde_json::from_slice(&host.kv_get(&format!("msg:{n}")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_messages_go_in_calls_of_200_each_once_whichever_operation_kills_the_tick() {
    let host = host_with_provider("kavenegar").await;
    queued_confirmations(&host, 1).await;
    let template = stored_message(&host, 1);
    seed_messages(&host, &template, 500);
    host.advance(chrono::Duration::seconds(90));
    let (base, start) = (host.kv_snapshot(), host.now());
    let each_once = |host: &Host, context: &str| {
        let mut ids: Vec<String> = host.panel().delivered().iter().map(|d| d.local_id.clone().unwrap_or_default()).collect();
        ids.sort_by_key(|i| i.parse::<u64>().unwrap_or(0));
        ids.dedup();
        assert_eq!(ids.len(), 500, "{context}: each message delivered once");
        assert_eq!(host.panel().delivered().len(), 500, "{context}: and never twice");
        assert!((1..=500).all(|k| stored_message(host, k)["status"] == "sent"), "{context}: every record says sent");
    };

    // Undisturbed: three calls (200, 200, 100) and at most three operations
    // a message, writes included.
    host.panel().clear();
    let clean = host.cron(SENDER).await;
    assert_eq!(clean.result, Ok(()), "{}", clean.stderr);
    let receptors: Vec<usize> = host
        .panel()
        .requests()
        .iter()
        .map(|r| {
            assert!(r.path.ends_with("/sms/sendarray.json"), "{}", r.path);
            let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&r.body).into_owned().collect();
            serde_json::from_str::<Vec<String>>(&form["receptor"]).unwrap().len()
        })
        .collect();
    assert_eq!(receptors, [200, 200, 100]);
    each_once(&host, "undisturbed");
    if host.kv_backend() == vafa_test_host::KvBackend::Sqlite {
        assert!(clean.kv_ops <= 3 * 500, "{} operations for 500 messages", clean.kv_ops);
    }
    assert!(clean.kv_writes <= 3 * 500, "{} writes for 500 messages", clean.kv_writes);

    // Killed at each operation in turn, then left to finish: what the panel
    // would deliver is each message once (a replay carries the same
    // localid, which it does not send again). Inside a run of alike
    // operations (a chunk's 200 claims; on Redis, whose store reads no
    // batches, the reads key by key) every 25th is killed; every other
    // operation, and each run's first and last, in turn.
    let trace = &clean.kv_trace;
    let inside_run = |i: usize| i > 0 && i + 1 < trace.len() && trace[i - 1] == trace[i] && trace[i + 1] == trace[i];
    let steps: Vec<usize> = (0..trace.len()).filter(|&i| !inside_run(i) || i % 25 == 0).collect();
    assert!(steps.len() < trace.len() / 5, "{} of {} operations", steps.len(), trace.len());
    for i in steps {
        let n = i as u32 + 1;
        restore(&host, &base);
        host.set_now(start);
        host.panel().clear();
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron(SENDER).await;
        assert!(killed.result.is_err(), "step {n}: the fault did not fire");
        for wait in [61, 120, 240] {
            tick_after(&host, wait).await;
        }
        each_once(&host, &format!("killed at operation {n} ({})", trace[i]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smsir_and_the_webhook_carry_different_texts_a_hundred_a_call() {
    for provider in ["smsir", "webhook"] {
        let host = host_with_provider(provider).await;
        queued_confirmations(&host, 1).await;
        let template = stored_message(&host, 1);
        seed_messages(&host, &template, 150);
        for k in (2..=150).step_by(2) {
            let mut m = stored_message(&host, k);
            m["text"] = json!(format!("پیام شماره {k}"));
            host.kv_set(&format!("msg:{k}"), m.to_string().as_bytes());
        }
        host.advance(chrono::Duration::seconds(90));
        host.panel().clear();
        tick_after(&host, 0).await;
        let calls: Vec<(String, serde_json::Value)> = host.panel().requests().iter().map(|r| (r.path.clone(), serde_json::from_slice(&r.body).unwrap())).collect();
        let sizes: Vec<usize> = match provider {
            "smsir" => {
                assert!(calls.iter().all(|(p, _)| p == "/v1/send/likeToLike"), "{provider}: {calls:?}");
                calls.iter().map(|(_, b)| b["mobiles"].as_array().unwrap().len()).collect()
            }
            _ => calls.iter().map(|(_, b)| b.as_array().expect("a JSON array of messages").len()).collect(),
        };
        assert_eq!(sizes, [100, 50], "{provider}");
        let delivered = host.panel().delivered();
        assert_eq!(delivered.len(), 150, "{provider}");
        for k in 1..=150u64 {
            assert_eq!(stored_message(&host, k)["status"], "sent", "{provider} {k}");
            let to = format!("+98912{:07}", 5000 + k);
            let got = delivered.iter().find(|d| d.to == to).unwrap_or_else(|| panic!("{provider}: nothing to {to}"));
            let want = if k % 2 == 0 { format!("پیام شماره {k}") } else { template["text"].as_str().unwrap().to_string() };
            assert_eq!(got.text, want, "{provider}: each member gets their own text");
        }
    }
}
