//! A member's own page (`/api/me`): sign-in by SMS code, the session
//! cookie, what the page shows and opting out and back in, end to end
//! through the real `me` `.wasm`.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::Host;


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_by_sms_code_and_sees_points_tier_and_codes() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": PHONE, "name": "سارا", "consent": {"marketing": true, "source": "checkout"}})).await;
    store(&host, "shop", false).await;
    assert_eq!(generic(&host, "shop", &paid("1001", "09121234567", 15_000_000)).await.status, 200);
    let r = admin(&host, "PUT", "/api/rewards/off10", Some(json!({"name": "۱۰٪ تخفیف", "kind": "percent", "value": 10, "cost": 100}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(&host, "POST", "/api/redemptions", Some(json!({"member_id": m["id"], "reward_id": "off10"}))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let code = r.json()["code"].as_str().unwrap().to_string();

    let (r, cookie) = sign_in(&host, LOOPBACK).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let set = r.header("set-cookie").unwrap();
    assert!(set.contains("; HttpOnly; SameSite=Strict") && set.contains("Path=/api/me; Max-Age=1800"), "{set}");
    assert!(!set.contains("Secure"), "on loopback the browser would drop a Secure cookie: {set}");
    assert_eq!(r.json()["member"]["phone"], "+98912***4567", "the phone is masked");

    let page = browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.json();
    assert_eq!(page["member"]["name"], "سارا");
    assert_eq!((page["member"]["points"].clone(), page["member"]["pending_points"].clone()), (json!(50), json!(0)), "150 earned, 100 spent");
    assert_eq!(page["member"]["tier"], "bronze");
    assert_eq!(page["member"]["next_tier"], json!({"name": "silver", "min_spend": 20_000_000, "spend": 15_000_000, "remaining": 5_000_000}));
    assert_eq!(page["member"]["marketing"], true);
    let codes = page["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 1, "{page}");
    assert_eq!((codes[0]["code"].as_str().unwrap(), codes[0]["reward"].as_str().unwrap()), (code.as_str(), "۱۰٪ تخفیف"));

    // A used code leaves the page.
    store_key_consumes(&host, &code).await;
    let page = browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await.json();
    assert_eq!(page["codes"], json!([]), "{page}");
}

/// The store that issued nothing uses the code at its checkout.
async fn store_key_consumes(host: &Host, code: &str) {
    let r = admin(host, "POST", "/api/stores/shop/rotate-key", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let key = r.json()["api_key"].as_str().unwrap().to_string();
    let r = with_token(host, &key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": "1002"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_for_a_code_answers_a_member_and_a_stranger_alike() {
    let host = host_with_provider("kavenegar").await;
    create_member(&host, json!({"phone": PHONE})).await;
    let member = browser(&host, LOOPBACK, "POST", "/api/me/code", None, Some(json!({"phone": PHONE}))).await;
    let stranger = browser(&host, LOOPBACK, "POST", "/api/me/code", None, Some(json!({"phone": "09351234567"}))).await;
    assert_eq!((member.status, member.body.clone(), member.headers.clone()), (stranger.status, stranger.body.clone(), stranger.headers.clone()));
    // The same timing class: each is one call to the panel; the member is
    // also read and their message linked to them (a few store operations,
    // five on Redis, which reads key by key: well under a millisecond
    // beside the panel's round trip).
    assert_eq!(host.panel().delivered().len(), 2, "both are sent a code");
    assert!(member.kv_ops.abs_diff(stranger.kv_ops) <= 5, "{} vs {} store operations", member.kv_ops, stranger.kv_ops);

    // Only the holder of the stranger's phone learns it is no member's.
    let code = code_from(&last_sms_to(&host, "+989351234567").await);
    let r = browser(&host, LOOPBACK, "POST", "/api/me/session", None, Some(json!({"phone": "09351234567", "code": code}))).await;
    assert_error(&r, 403, "not_a_member");
    assert!(r.header("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cannot_be_forged_nor_used_after_sign_out_or_its_half_hour() {
    let host = host_with_provider("kavenegar").await;
    create_member(&host, json!({"phone": PHONE})).await;
    assert_error(&browser(&host, LOOPBACK, "GET", "/api/me", None, None).await, 401, "unauthorized");

    let (r, cookie) = sign_in(&host, LOOPBACK).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let (id, sig) = cookie.trim_start_matches("vafa_me=").split_once('.').unwrap();
    let other_id: String = id.chars().rev().collect();
    let flipped = match sig.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", &sig[1..]),
    };
    for forged in [format!("vafa_me={other_id}.{sig}"), format!("vafa_me={id}.{flipped}"), format!("vafa_me={id}"), "vafa_me=".to_string()] {
        let before = host.kv_snapshot();
        let r = browser(&host, LOOPBACK, "GET", "/api/me", Some(&forged), None).await;
        assert_error(&r, 401, "unauthorized");
        assert_eq!(r.kv_ops, 0, "a bad signature is refused before the store is asked: {forged}");
        assert_eq!(host.kv_snapshot(), before);
    }
    assert_eq!(browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await.status, 200);

    let r = browser(&host, LOOPBACK, "DELETE", "/api/me/session", Some(&cookie), None).await;
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").unwrap().contains("vafa_me=; Path=/api/me; Max-Age=0"));
    assert_error(&browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await, 401, "unauthorized");
    assert_error(&browser(&host, LOOPBACK, "POST", "/api/me/consent", Some(&cookie), Some(json!({"marketing": false}))).await, 401, "unauthorized");
    assert!(!host.kv_snapshot().keys().any(|k| k.starts_with("session:")), "signing out deletes the session's record");

    host.advance(chrono::Duration::hours(1)); // past the hour's three codes
    let (_, cookie) = sign_in(&host, LOOPBACK).await;
    host.advance(chrono::Duration::minutes(29));
    assert_eq!(browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await.status, 200);
    host.advance(chrono::Duration::minutes(1));
    assert_error(&browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await, 401, "unauthorized");
    assert!(!host.kv_snapshot().keys().any(|k| k.starts_with("session:")), "an expired session's record is deleted when it is next shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_is_secure_outside_loopback() {
    let host = host_with_provider("kavenegar").await;
    create_member(&host, json!({"phone": PHONE})).await;
    let (r, cookie) = sign_in(&host, "club.example.com").await;
    assert!(r.header("set-cookie").unwrap().ends_with("; HttpOnly; SameSite=Strict; Secure"));
    let r = browser(&host, "club.example.com", "DELETE", "/api/me/session", Some(&cookie), None).await;
    assert!(r.header("set-cookie").unwrap().ends_with("; Secure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_opts_out_and_back_in_from_their_page() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": PHONE, "consent": {"marketing": true, "source": "checkout"}})).await;
    let (_, cookie) = sign_in(&host, LOOPBACK).await;
    let r = browser(&host, LOOPBACK, "POST", "/api/me/consent", Some(&cookie), Some(json!({"marketing": false}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["member"]["marketing"], false);
    let r = browser(&host, LOOPBACK, "POST", "/api/me/consent", Some(&cookie), Some(json!({"marketing": true}))).await;
    assert_eq!(r.json()["member"]["marketing"], true);
    let member = admin(&host, "GET", &format!("/api/members/{}", m["id"].as_str().unwrap()), None).await.json();
    let history: Vec<(String, String)> = member["consent_history"].as_array().unwrap().iter().map(|e| (e["status"].as_str().unwrap().into(), e["source"].as_str().unwrap().into())).collect();
    assert_eq!(history, [("opted_in", "checkout"), ("opted_out", "web"), ("opted_in", "web")].map(|(a, b)| (a.to_string(), b.to_string())));

    let before = host.kv_snapshot();
    let r = browser(&host, LOOPBACK, "POST", "/api/me/consent", Some(&cookie), Some(json!({"marketing": "no"}))).await;
    assert_error(&r, 422, "invalid_marketing");
    assert_eq!(host.kv_snapshot(), before, "a rejected request writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_members_session_ends() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": PHONE})).await;
    let (_, cookie) = sign_in(&host, LOOPBACK).await;
    assert_eq!(admin(&host, "DELETE", &format!("/api/members/{}", m["id"].as_str().unwrap()), None).await.status, 204);
    assert_error(&browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_gives_a_birthday_once_and_shares_a_referral_link() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": PHONE})).await;
    let (r, cookie) = sign_in(&host, LOOPBACK).await;
    let page = r.json();
    let code = m["referral_code"].as_str().unwrap();
    assert_eq!(page["member"]["referral_link"], format!("http://127.0.0.1:3000/join?ref={code}"));
    assert_eq!(page["member"]["birthday"], json!(null));

    let r = browser(&host, LOOPBACK, "POST", "/api/me/birthday", Some(&cookie), Some(json!({"birthday": "1380-13-01"}))).await;
    assert_error(&r, 422, "invalid_birthday");
    let r = browser(&host, LOOPBACK, "POST", "/api/me/birthday", Some(&cookie), Some(json!({"birthday": "۱۳۷۰/۰۶/۲۱"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["member"]["birthday"], json!({"calendar": "jalali", "date": "1370-06-21"}));
    let before = host.kv_snapshot();
    let r = browser(&host, LOOPBACK, "POST", "/api/me/birthday", Some(&cookie), Some(json!({"birthday": "1371-01-01"}))).await;
    assert_error(&r, 409, "birthday_already_set");
    assert_eq!(host.kv_snapshot(), before, "a refused birthday writes nothing");
    let got = admin(&host, "GET", &format!("/api/members/{}", m["id"].as_str().unwrap()), None).await.json();
    assert_eq!(got["birthday"], json!({"calendar": "jalali", "date": "1370-06-21"}), "{got}");
    // The owner may still change it.
    let r = admin(&host, "PATCH", &format!("/api/members/{}", m["id"].as_str().unwrap()), Some(json!({"birthday": "1371-01-01"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_forgotten_after_a_fresh_code_which_no_other_code_replaces() {
    let host = host_with_provider("kavenegar").await;
    let m = create_member(&host, json!({"phone": PHONE, "name": "سارا", "consent": {"marketing": true, "source": "checkout"}})).await;
    let id = m["id"].as_str().unwrap().to_string();
    let (_, cookie) = sign_in(&host, LOOPBACK).await;

    // Without a code asked for, or with a wrong one, nothing is erased.
    let before = host.kv_snapshot();
    let r = browser(&host, LOOPBACK, "POST", "/api/me/forget", Some(&cookie), Some(json!({"code": "123456"}))).await;
    assert_error(&r, 410, "code_expired");
    assert_eq!(host.kv_snapshot(), before, "a refused erasure writes nothing");
    assert_error(&browser(&host, LOOPBACK, "POST", "/api/me/forget/code", None, Some(json!({}))).await, 401, "unauthorized");

    let r = browser(&host, LOOPBACK, "POST", "/api/me/forget/code", Some(&cookie), Some(json!({}))).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let text = last_sms_to(&host, PHONE).await;
    assert!(text.contains("حذف"), "the code says what it confirms: {text}");
    let code = code_from(&text);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = browser(&host, LOOPBACK, "POST", "/api/me/forget", Some(&cookie), Some(json!({"code": wrong}))).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(admin(&host, "GET", &format!("/api/members/{id}"), None).await.json()["name"], "سارا", "a wrong code erases nothing");
    // A sign-in code is not an erasure code (three codes an hour: this is the last).
    let r = browser(&host, LOOPBACK, "POST", "/api/me/code", None, Some(json!({"phone": "09121234567"}))).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let sign_in_code = code_from(&last_sms_to(&host, PHONE).await);
    if sign_in_code != code {
        let r = browser(&host, LOOPBACK, "POST", "/api/me/forget", Some(&cookie), Some(json!({"code": sign_in_code}))).await;
        assert_eq!(r.status, 422, "{}", r.text());
    }

    let r = browser(&host, LOOPBACK, "POST", "/api/me/forget", Some(&cookie), Some(json!({"code": code}))).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"), "the cookie is cleared");
    let e = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!((e["phone"].clone(), e["name"].clone(), e["erased"].clone()), (json!(null), json!(null), json!(true)), "{e}");
    assert_error(&browser(&host, LOOPBACK, "GET", "/api/me", Some(&cookie), None).await, 401, "unauthorized");
    let log = admin(&host, "GET", &format!("/api/messages?member_id={id}"), None).await.json();
    assert!(!log.to_string().contains("4567"), "the member's messages keep no number: {log}");
    // The phone is free: joining again makes a new member.
    let again = create_member(&host, json!({"phone": PHONE})).await;
    assert_ne!(again["id"], json!(id));
}
