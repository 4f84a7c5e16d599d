//! The poller, end to end through the real `.wasm`: replies and delivery
//! states fetched from panels that offer polling (Kavenegar, SMS.ir), each
//! handled once however often the panel serves it.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::Host;
use vafa_test_host::panel::Behaviour;

const POLLER: &str = "poller";
const PHONE: &str = "+989121234567";

async fn polling(provider: &str, what: &str) -> Host {
    let host = host_with_provider(provider).await;
    host.set_variable("sms_poll", what);
    host
}

async fn poll(host: &Host) -> vafa_test_host::Tick {
    let t = host.cron(POLLER).await;
    assert_eq!(t.result, Ok(()), "poll failed: {}", t.stderr);
    t
}

/// The inbound log's actions, oldest first.
fn actions(host: &Host) -> Vec<String> {
    let mut log: Vec<(u64, String)> = host
        .kv_snapshot()
        .into_iter()
        .filter_map(|(k, v)| {
            let n = k.strip_prefix("inbound:")?.parse().ok()?;
            let record: Value = serde_json::from_slice(&v).ok()?;
            Some((n, record["action"].as_str()?.to_string()))
        })
        .collect();
    log.sort();
    log.into_iter().map(|(_, a)| a).collect()
}

fn requests_to(host: &Host, path: &str) -> usize {
    host.panel().requests().iter().filter(|r| r.path.contains(path)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_opt_out_is_handled_once_even_when_the_panel_serves_it_twice() {
    for (provider, fetch) in [("kavenegar", "/v1/test-panel-key/sms/receive.json?linenumber=10004346&isread=0"), ("smsir", "/v1/receive/latest?count=100")] {
        let host = polling(provider, "replies").await;
        let m = opted_in_member(&host, "09121234567").await;
        host.panel().receive("09121234567", "لغو");
        host.panel().receive("09350000000", "سلام");
        host.panel().receive("not-a-number", "۱۱");
        poll(&host).await;
        assert!(requests_to(&host, fetch) >= 1, "{provider}: {:?}", host.panel().requests().iter().map(|r| &r.path).collect::<Vec<_>>());
        let got = admin(&host, "GET", &format!("/api/members/{}", m["id"].as_str().unwrap()), None).await.json();
        assert_eq!((got["consent"]["status"].clone(), got["consent"]["source"].clone()), (json!("opted_out"), json!("keyword")), "{provider}");
        let confirmations = || host.panel().delivered().iter().filter(|d| d.to == PHONE).count();
        assert_eq!(confirmations(), 1, "{provider}: the opt-out is confirmed");
        assert!(last_sms_to(&host, PHONE).await.contains("لغو"), "{provider}");
        assert_eq!(actions(&host), ["opted_out", "unknown_sender", "unknown_sender"], "{provider}: unknown and unreadable senders are logged and dropped");

        // The panel serves the same replies again: nothing is done twice.
        host.panel().unread_again();
        poll(&host).await;
        assert_eq!(confirmations(), 1, "{provider}: confirmed once");
        assert_eq!(actions(&host).len(), 3, "{provider}: each reply logged once");
        assert_eq!(host.panel().inbound_unread(), 0, "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_posted_and_polled_is_handled_once_and_a_panel_error_waits_for_the_next_tick() {
    let host = polling("kavenegar", "replies").await;
    opted_in_member(&host, "09121234567").await;
    let id = host.panel().receive("09121234567", "لغو");
    // The panel also posts it to the hook, with its message id.
    let form = format!("messageid={id}&from=09121234567&to=10004346&message=%D9%84%D8%BA%D9%88");
    let r = host.request("POST", &format!("/hooks/sms/inbound?token={}", vafa_test_host::CALLBACK_TOKEN), &[("content-type", "application/x-www-form-urlencoded")], form).await;
    assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
    host.panel().fail_next(1, Behaviour::ServerError);
    let t = poll(&host).await;
    assert!(t.stderr.contains("polling replies from kavenegar"), "the failure is logged: {}", t.stderr);
    assert!(!t.stderr.contains("09121234567"), "the phone never reaches the log: {}", t.stderr);
    assert_eq!(host.panel().inbound_unread(), 1, "not fetched yet");
    poll(&host).await;
    assert_eq!(host.panel().inbound_unread(), 0);
    assert_eq!(actions(&host), ["opted_out"], "polled after the hook: a duplicate, not logged again");
    assert_eq!(host.panel().delivered().iter().filter(|d| d.to == PHONE).count(), 1, "one confirmation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polled_delivery_states_are_recorded_once_and_pending_ones_asked_again_later() {
    for (provider, status_path) in [("kavenegar", "/sms/status.json"), ("smsir", "/v1/send/")] {
        let host = polling(provider, "delivery").await;
        // Two confirmations the panel refused at first, then sent together
        // by the sender in one bulk call.
        queued_confirmations(&host, 2).await;
        host.advance(chrono::Duration::minutes(1));
        assert_eq!(host.cron("sender").await.result, Ok(()));
        let sent = messages(&host, "").await;
        assert!(sent.iter().all(|m| m["status"] == "sent"), "{provider}: {sent:?}");
        assert_eq!(sent.len(), 2, "{provider}");
        let pid = |m: &Value| m["provider_id"].as_str().unwrap().to_string();
        let (first, second) = (pid(&sent[1]), pid(&sent[0]));
        let asked = |host: &Host| host.panel().requests().iter().filter(|r| r.method == "GET" && r.path.contains(status_path)).count();

        poll(&host).await;
        assert_eq!(asked(&host), 0, "{provider}: not asked before ten minutes");
        host.panel().report(&first, true);
        host.advance(chrono::Duration::minutes(10));
        poll(&host).await;
        let per_call = if provider == "kavenegar" { 1 } else { 2 };
        assert_eq!(asked(&host), per_call, "{provider}: both asked, in one call where the panel allows");
        let status = |host: &Host, pid: &str| {
            let host = host.clone();
            let pid = pid.to_string();
            async move { messages(&host, "").await.into_iter().find(|m| m["provider_id"] == pid.as_str()).unwrap()["status"].clone() }
        };
        assert_eq!(status(&host, &first).await, "delivered", "{provider}");
        assert_eq!(status(&host, &second).await, "sent", "{provider}: still on its way");
        poll(&host).await;
        assert_eq!(asked(&host), per_call, "{provider}: nothing asked twice in a check");

        host.panel().report(&second, false);
        host.advance(chrono::Duration::minutes(50));
        poll(&host).await;
        assert_eq!(asked(&host), per_call + 1, "{provider}: only the pending one asked again, an hour after the send");
        assert_eq!(status(&host, &second).await, "failed", "{provider}");
        host.advance(chrono::Duration::days(2));
        poll(&host).await;
        assert_eq!(asked(&host), per_call + 1, "{provider}: final states are never asked again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sms_poll_the_poller_asks_nothing() {
    let host = host_with_provider("kavenegar").await;
    host.panel().receive("09121234567", "لغو");
    let t = poll(&host).await;
    assert!(host.panel().requests().is_empty());
    assert_eq!(t.kv_ops, 0, "an idle poller touches nothing");
    let host = polling("webhook", "replies,delivery").await;
    poll(&host).await;
    assert!(host.panel().requests().is_empty(), "the webhook contract offers no polling");
    host.set_variable("sms_poll", "replies,bogus");
    assert!(host.cron(POLLER).await.result.is_err(), "a wrong sms_poll is an error, not silence");
}
