//! Joining the club by double opt-in, end to end through the real
//! enrollment `.wasm` in the Spin-faithful host.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::panel::Behaviour;
use vafa_test_host::Fault;

const PHONE: &str = "+989121234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_creates_an_opted_in_member_from_the_sms_code() {
    let host = host_with_provider("kavenegar").await;
    let r = public(&host, "POST", "/api/join", json!({"phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "name": "سارا"})).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json(), json!({"expires_in": 300}));
    let code = code_from(&last_sms_to(&host, PHONE).await);
    assert_eq!(code.len(), 6);
    let dump = format!("{:?}", host.kv_snapshot().values().map(|v| String::from_utf8_lossy(v).into_owned()).collect::<Vec<_>>());
    assert!(!dump.contains(&code), "the code is stored in clear");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": wrong})).await;
    assert_error(&r, 422, "invalid_code");
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let m = r.json();
    assert_eq!((m["consent"]["status"].clone(), m["consent"]["source"].clone(), m["name"].clone()), (json!("opted_in"), json!("web"), json!("سارا")));
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    assert_error(&r, 410, "code_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_opts_in_an_existing_member() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    let code = code_from(&last_sms_to(&host, PHONE).await);
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["id"], m["id"]);
    assert_eq!(r.json()["consent"]["status"], "opted_in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_with_a_referral_code_records_the_referrer() {
    let host = host_with_provider("kavenegar").await;
    let referrer = create_member(&host, json!({"phone": "09351112233"})).await;
    let code = referrer["referral_code"].as_str().unwrap();
    assert_error(&public(&host, "POST", "/api/join", json!({"phone": "09121234567", "referral_code": "0OI1"})).await, 422, "invalid_referral_code");
    assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09121234567", "referral_code": code})).await.status, 202);
    let sms = code_from(&last_sms_to(&host, PHONE).await);
    let m = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": sms})).await.json();
    assert_eq!(m["referred_by"], referrer["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_codes_expire_after_five_minutes_and_five_wrong_tries() {
    let host = host_with_provider("kavenegar").await;
    public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    let code = code_from(&last_sms_to(&host, PHONE).await);
    host.advance(chrono::Duration::seconds(300));
    assert_error(&public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await, 410, "code_expired");

    public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    let code = code_from(&last_sms_to(&host, PHONE).await);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for i in 1..=5 {
        let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": wrong})).await;
        if i < 5 { assert_error(&r, 422, "invalid_code") } else { assert_error(&r, 410, "code_expired") }
    }
    assert_error(&public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await, 410, "code_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_gets_three_codes_an_hour() {
    let host = host_with_provider("kavenegar").await;
    for _ in 0..3 {
        assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await.status, 202);
    }
    let before = host.kv_snapshot();
    let r = public(&host, "POST", "/api/join", json!({"phone": "+989121234567"})).await;
    assert_error(&r, 429, "rate_limited");
    assert_eq!(host.kv_snapshot(), before, "a refused request changes nothing");
    assert_eq!(host.panel().delivered().len(), 3);
    assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09121234568"})).await.status, 202, "other phones are not held back");
    host.advance(chrono::Duration::hours(1));
    assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await.status, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_club_sends_at_most_sixty_codes_a_minute() {
    let host = host().await;
    for i in 0..60 {
        let r = public(&host, "POST", "/api/join", json!({"phone": format!("0912{:07}", i)})).await;
        assert_eq!(r.status, 202, "{i}: {}", r.text());
    }
    assert_error(&public(&host, "POST", "/api/join", json!({"phone": "09350000000"})).await, 429, "rate_limited");
    host.advance(chrono::Duration::minutes(1));
    assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09350000000"})).await.status, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_hold_a_full_phone_number_or_a_code() {
    let host = host_with_provider("kavenegar").await;
    let mut logs = String::new();
    let r = public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    logs += &r.stdout;
    logs += &r.stderr;
    let code = code_from(&last_sms_to(&host, PHONE).await);
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    logs += &r.stdout;
    logs += &r.stderr;
    let r = inbound_json(&host, "09121234567", "لغو").await;
    logs += &r.stdout;
    logs += &r.stderr;
    host.panel().set_behaviour(Behaviour::ServerError);
    let r = inbound_json(&host, "09121234567", "12").await;
    logs += &r.stdout;
    logs += &r.stderr;
    // A store fault on the phone index is logged with the key, masked.
    host.inject_kv_fault(2, Fault::Error);
    let r = admin(&host, "POST", "/api/members", Some(json!({"phone": "09121234567"}))).await;
    assert_error(&r, 500, "internal");
    assert!(r.stderr.contains("phone:+98912***4567"), "{}", r.stderr);
    logs += &r.stderr;
    assert!(!logs.is_empty(), "the component logs what it does");
    for secret in ["9121234567", code.as_str(), "test-panel-key", "test-admin-token"] {
        assert!(!logs.contains(secret), "logs hold {secret}:\n{logs}");
    }
    assert!(logs.contains("+98912***4567"), "logs name the masked phone:\n{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_may_give_a_birthday_and_a_bad_one_is_refused_before_any_code() {
    let host = host_with_provider("kavenegar").await;
    let before = host.kv_snapshot();
    let r = public(&host, "POST", "/api/join", json!({"phone": "09121234567", "birthday": "1370-13-01"})).await;
    assert_error(&r, 422, "invalid_birthday");
    assert_eq!(host.kv_snapshot(), before, "a refused sign-up writes nothing");
    assert!(host.panel().requests().is_empty(), "and sends no code");
    let r = public(&host, "POST", "/api/join", json!({"phone": "09121234567", "birthday": "۱۳۷۰-۰۶-۲۱"})).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let code = code_from(&last_sms_to(&host, PHONE).await);
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["birthday"], json!({"calendar": "jalali", "date": "1370-06-21"}));
}
