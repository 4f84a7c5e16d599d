//! The SMS panel's callbacks (members' replies and delivery reports) and
//! the panel calls they make, end to end through the real `sms-hooks`
//! `.wasm` in the Spin-faithful host.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::CALLBACK_TOKEN;

const PHONE: &str = "+989121234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_opt_out_spelling_opts_the_sender_out_and_confirms_once() {
    let host = host_with_provider("kavenegar").await;
    let spellings = ["لغو", "لغو11", "لغو ۱۱", "لغو١١", "لغو\u{200c}11", "انصراف", "1", "۱", "11", "STOP", " stop ", "Unsubscribe", "لغو.", "لغو ١١"];
    for (i, text) in spellings.iter().enumerate() {
        let phone = format!("0912{:07}", 100 + i);
        let m = opted_in_member(&host, &phone).await;
        let r = inbound_json(&host, &phone, text).await;
        assert_eq!(r.status, 200, "{text}: {}", r.text());
        assert_eq!(r.json()["action"], "opted_out", "{text:?}");
        let got = admin(&host, "GET", &format!("/api/members/{}", m["id"].as_str().unwrap()), None).await.json();
        assert_eq!(got["consent"]["status"], "opted_out", "{text:?}");
        assert_eq!(got["consent"]["source"], "keyword", "{text:?}");
        let e164 = got["phone"].as_str().unwrap().to_string();
        assert!(last_sms_to(&host, &e164).await.contains("لغو"), "{text:?}: no confirmation");
    }
    let before = host.panel().delivered().len();
    inbound_json(&host, "09120000100", "لغو").await;
    assert_eq!(host.panel().delivered().len(), before, "a second opt-out is not confirmed again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kavenegar_form_inbound_and_twelve_rejoins() {
    let host = host_with_provider("kavenegar").await;
    let m = opted_in_member(&host, "09121234567").await;
    let path = format!("/hooks/sms/inbound?token={CALLBACK_TOKEN}");
    let form = "messageid=123&from=09121234567&to=10004346&message=%D9%84%D8%BA%D9%88%2011";
    let r = host.request("POST", &path, &[("content-type", "application/x-www-form-urlencoded")], form).await;
    assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
    let r = inbound_json(&host, "+989121234567", "۱۲").await;
    assert_eq!(r.json()["action"], "opted_in", "{}", r.text());
    let got = admin(&host, "GET", &format!("/api/members/{}", m["id"].as_str().unwrap()), None).await.json();
    assert_eq!(got["consent"]["status"], "opted_in");
    assert_eq!(got["consent_history"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_callback_is_read_whatever_its_content_type_says() {
    // `curl -d '{…}'` labels JSON as a form; the body decides.
    let host = host().await;
    opted_in_member(&host, "09121234567").await;
    let path = format!("/hooks/sms/inbound?token={CALLBACK_TOKEN}");
    let r = host.request("POST", &path, &[("content-type", "application/x-www-form-urlencoded")], json!({"from": "09121234567", "text": "لغو ۱۱"}).to_string()).await;
    assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_by_sms_from_an_unknown_number_starts_double_opt_in() {
    let host = host_with_provider("kavenegar").await;
    let r = inbound_json(&host, "09121234567", "عضويت").await;
    assert_eq!(r.json()["action"], "join_code_sent", "{}", r.text());
    let code = code_from(&last_sms_to(&host, PHONE).await);
    let r = public(&host, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_need_the_token_and_unknown_senders_are_recorded() {
    let host = host().await;
    let r = host.request("POST", "/hooks/sms/inbound?token=wrong", &[("content-type", "application/json")], json!({"from": "09121234567", "text": "لغو"}).to_string()).await;
    assert_error(&r, 401, "unauthorized");
    let r = host.request("POST", "/hooks/sms/delivery", &[("content-type", "application/json")], "{}").await;
    assert_error(&r, 401, "unauthorized");
    let r = inbound_json(&host, "09121234567", "سلام").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["action"], "unknown_sender");
    let r = inbound_json(&host, "not a phone", "لغو").await;
    assert_eq!(r.status, 200);
    assert!(host.kv_snapshot().keys().any(|k| k.starts_with("inbound:")));
}

async fn send_one_opt_out_confirmation(host: &vafa_test_host::Host) -> Value {
    opted_in_member(host, "09121234567").await;
    inbound_json(host, "09121234567", "لغو11").await;
    messages(host, "").await.into_iter().next().expect("a message")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kavenegar_gets_a_form_with_our_local_id() {
    let host = host_with_provider("kavenegar").await;
    let msg = send_one_opt_out_confirmation(&host).await;
    assert_eq!((msg["status"].clone(), msg["kind"].clone(), msg["provider"].clone()), (json!("sent"), json!("transactional"), json!("kavenegar")));
    let d = host.panel().delivered();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].to, PHONE);
    assert_eq!(d[0].sender, "10004346");
    let number = msg["id"].as_str().unwrap().trim_start_matches("s_").to_string();
    assert_eq!(d[0].local_id.as_deref(), Some(number.as_str()));
    assert_eq!(msg["provider_id"], d[0].provider_id.as_str());
    let req = &host.panel().requests()[0];
    assert!(req.path.starts_with("/v1/test-panel-key/sms/send.json"), "{}", req.path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smsir_gets_json_with_the_key_header() {
    let host = host_with_provider("smsir").await;
    let msg = send_one_opt_out_confirmation(&host).await;
    assert_eq!(msg["status"], "sent", "{msg}");
    let req = &host.panel().requests()[0];
    assert_eq!(req.path, "/v1/send/bulk");
    assert_eq!(req.header("x-api-key"), Some("test-panel-key"));
    assert_eq!(host.panel().delivered()[0].to, PHONE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_provider_signs_its_calls() {
    let host = host_with_provider("webhook").await;
    let msg = send_one_opt_out_confirmation(&host).await;
    assert_eq!(msg["status"], "sent", "{msg}");
    let d = &host.panel().delivered()[0];
    assert_eq!(d.local_id.as_deref(), msg["id"].as_str());
    assert!(host.panel().requests()[0].header("x-vafa-signature").unwrap().starts_with("sha256="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_calls_declare_their_length_and_are_never_chunked() {
    for provider in ["kavenegar", "smsir", "webhook"] {
        let host = host_with_provider(provider).await;
        let msg = send_one_opt_out_confirmation(&host).await;
        assert_eq!(msg["status"], "sent", "{provider}: {msg}");
        let req = &host.panel().requests()[0];
        assert_eq!(req.header("content-length"), Some(req.body.len().to_string().as_str()), "{provider}");
        assert_eq!(req.header("transfer-encoding"), None, "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_records_and_sends_nothing() {
    let host = host().await;
    let msg = send_one_opt_out_confirmation(&host).await;
    assert_eq!((msg["status"].clone(), msg["provider"].clone()), (json!("sent"), json!("sandbox")));
    assert!(host.panel().requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_reports_update_the_message_and_unknown_ids_are_ignored() {
    let host = host_with_provider("kavenegar").await;
    let msg = send_one_opt_out_confirmation(&host).await;
    let pid = msg["provider_id"].as_str().unwrap().to_string();
    let path = format!("/hooks/sms/delivery?token={CALLBACK_TOKEN}");
    let r = host.request("POST", &path, &[("content-type", "application/x-www-form-urlencoded")], format!("messageid={pid}&status=10")).await;
    assert_eq!(r.json()["updated"], true, "{}", r.text());
    assert_eq!(messages(&host, "").await[0]["status"], "delivered");
    let r = public(&host, "POST", &path, json!({"provider_id": "999999", "status": "delivered"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["updated"], false);
}


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_the_panel_posts_twice_with_its_id_is_handled_once() {
    let host = host_with_provider("kavenegar").await;
    opted_in_member(&host, "09121234567").await;
    let path = format!("/hooks/sms/inbound?token={CALLBACK_TOKEN}");
    let form = "messageid=777&from=09121234567&to=10004346&message=11";
    let first = host.request("POST", &path, &[("content-type", "application/x-www-form-urlencoded")], form).await;
    assert_eq!(first.json()["action"], "opted_out", "{}", first.text());
    let again = host.request("POST", &path, &[("content-type", "application/x-www-form-urlencoded")], form).await;
    assert_eq!((again.status, again.json()["action"].clone()), (200, json!("duplicate")), "{}", again.text());
    assert_eq!(host.panel().delivered().len(), 1, "confirmed once");
}
