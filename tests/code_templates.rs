//! One-time codes through the panels' templates (`sms_templates`):
//! Kavenegar `verify/lookup` and SMS.ir `send/verify` reach numbers that
//! block advertising SMS (`*800#`), which plain sends cannot; a template
//! the panel does not know fails the message with the panel's reason.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::Host;

const PHONE: &str = "+989121234567";

/// A host on `provider` with the join, sign-in and reward templates set
/// (and made in the fake panel when `made`).
async fn templated(provider: &str, join: &str, signin: &str, reward: &str, made: bool) -> Host {
    let host = host_with_provider(provider).await;
    host.set_variable("sms_templates", &format!("join={join},signin={signin},reward={reward}"));
    if made {
        for t in [join, signin, reward] {
            host.panel().add_template(t);
        }
    }
    host
}

/// The code a template send delivered: `[template] token` (Kavenegar) or
/// `[id] CODE=token` (SMS.ir), as the fake renders them.
fn token_of(text: &str, template: &str) -> String {
    let rest = text.strip_prefix(&format!("[{template}] ")).unwrap_or_else(|| panic!("not a {template} template send: {text}"));
    rest.strip_prefix("CODE=").unwrap_or(rest).to_string()
}

async fn sign_in_code(host: &Host) {
    let r = public(host, "POST", "/api/me/code", json!({"phone": "09121234567"})).await;
    assert_eq!(r.status, 202, "{}", r.text());
}

/// Joins through the template, is then found blocking advertising by a
/// plain send, and still gets its sign-in and reward codes.
async fn codes_reach_a_number_that_blocks_advertising(provider: &str, join: &str, signin: &str, reward: &str) {
    let host = templated(provider, join, signin, reward, true).await;
    host.panel().blacklist(PHONE);

    let r = public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let code = token_of(&last_sms_to(&host, PHONE).await, join);
    assert_eq!(code.len(), 6, "{code}");
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let requests = host.panel().requests();
    assert!(requests.iter().all(|q| !q.path.contains("sms/send") && !q.path.contains("send/bulk")), "the code went only through the template: {requests:?}");

    // A plain send (the opt-out confirmation) meets the *800# block: the
    // member is marked, and marketing stops.
    inbound_json(&host, "09121234567", "لغو").await;
    let member = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!((member["ads_blocked"].clone(), member["sms_blocked"].clone()), (json!(true), json!(false)), "{member}");

    sign_in_code(&host).await;
    let code = token_of(&last_sms_to(&host, PHONE).await, signin);
    let r = public(&host, "POST", "/api/me/session", json!({"phone": "09121234567", "code": code})).await;
    assert_eq!(r.status, 201, "{}", r.text());

    adjust(&host, &id, json!({"points": 100, "reason": "gift"})).await;
    let r = admin(&host, "PUT", "/api/rewards/off10", Some(json!({"name": "۱۰٪ تخفیف", "kind": "percent", "value": 10, "cost": 100}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(&host, "POST", "/api/redemptions", Some(json!({"member_id": id, "reward_id": "off10"}))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let reward_code = r.json()["code"].as_str().unwrap().to_string();
    host.advance(chrono::Duration::seconds(60));
    let t = host.cron("sender").await;
    assert_eq!(t.result, Ok(()), "{}", t.stderr);
    assert_eq!(token_of(&last_sms_to(&host, PHONE).await, reward), reward_code);

    let sent = messages(&host, "").await;
    let kinds: Vec<(String, String)> = sent.iter().map(|m| (m["purpose"].as_str().unwrap().to_string(), m["status"].as_str().unwrap().to_string())).collect();
    for purpose in ["join_code", "sign_in_code", "reward_code"] {
        assert!(kinds.contains(&(purpose.to_string(), "sent".to_string())), "{purpose}: {kinds:?}");
    }
    assert!(!host.kv_snapshot().values().any(|v| String::from_utf8_lossy(v).contains("\"token\"")), "no code is kept once sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kavenegar_codes_go_through_verify_lookup_past_an_advertising_block() {
    codes_reach_a_number_that_blocks_advertising("kavenegar", "vafa-join", "vafa-signin", "vafa-code").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smsir_codes_go_through_send_verify_past_an_advertising_block() {
    codes_reach_a_number_that_blocks_advertising("smsir", "100201", "100202", "100203").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_the_panel_does_not_know_fails_the_code_with_the_panels_reason() {
    for (provider, template, status) in [("kavenegar", "vafa-join", "424"), ("smsir", "100201", "113")] {
        let host = templated(provider, template, template, template, false).await;
        let r = public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
        assert_eq!(r.status, 202, "{}", r.text());
        let m = &messages(&host, "").await[0];
        assert_eq!(m["status"], "failed", "{provider}: {m}");
        assert!(m["error"].as_str().unwrap().contains(status), "{provider}: {m}");
        host.advance(chrono::Duration::seconds(3600));
        host.cron("sender").await;
        assert_eq!(host.panel().requests().len(), 1, "{provider}: a final refusal is not retried");
        assert!(host.panel().delivered().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_templates_codes_are_plain_sends() {
    let host = host_with_provider("kavenegar").await;
    let r = public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let requests = host.panel().requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].path.ends_with("/sms/send.json"), "{:?}", requests[0].path);
    assert!(last_sms_to(&host, PHONE).await.contains("کد تأیید عضویت"));
}
