//! Members, their phone, consent and erasure, and the message log, end
//! to end through the real members `.wasm` in the Spin-faithful host.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::{Fault, KvBackend};

const PHONE: &str = "+989121234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_spelling_of_a_phone_finds_the_member_in_two_reads() {
    let host = host().await;
    // Two batch reads: settings with the phone's index, then the member with
    // its wallet. Spin's Redis store cannot read a batch: there the first
    // batch is refused and the four keys are read one by one.
    let limit = match host.kv_backend() {
        KvBackend::Sqlite => 2,
        KvBackend::Redis => 5,
    };
    let m = create_member(&host, json!({"phone": "0912 123 4567", "name": "سارا"})).await;
    assert_eq!(m["phone"], PHONE);
    for spelling in ["09121234567", "9121234567", "+98 912 123 4567", "00989121234567", "989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "(0912) 123-4567"] {
        let q: String = form_urlencoded::byte_serialize(spelling.as_bytes()).collect();
        let r = admin(&host, "GET", &format!("/api/members?phone={q}"), None).await;
        assert_eq!(r.status, 200, "{spelling}: {}", r.text());
        assert_eq!(r.json()["id"], m["id"], "{spelling}");
        assert!(r.kv_ops <= limit, "{spelling}: {} key-value operations", r.kv_ops);
    }
    let r = admin(&host, "GET", "/api/members?phone=09121234568", None).await;
    assert_error(&r, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_has_the_documented_shape() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567", "name": "سارا", "birthday": "1370-06-15", "tags": ["Coffee", "coffee", "کتاب"],
        "consent": {"marketing": true, "source": "checkout", "text": "با عضویت در باشگاه موافقم"}})).await;
    assert!(m["id"].as_str().unwrap().starts_with("m_"));
    assert_eq!(m["birthday"], json!({"date": "1370-06-15", "calendar": "jalali"}));
    assert_eq!(m["tags"], json!(["coffee", "کتاب"]));
    assert_eq!(m["joined_at"], "2026-11-22T08:30:00Z");
    assert_eq!((m["tier"].clone(), m["points"].clone(), m["segment"].clone()), (json!("bronze"), json!(0), json!("new")));
    assert_eq!(m["consent"]["status"], "opted_in");
    assert_eq!(m["consent"]["source"], "checkout");
    assert_eq!(m["consent"]["text"], "با عضویت در باشگاه موافقم");
    assert_eq!(m["stats"], json!({"orders": 0, "spend": 0, "first_purchase_at": null, "last_purchase_at": null}));
    let code = m["referral_code"].as_str().unwrap();
    assert_eq!(code.len(), 8);
    assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
    let g = create_member(&host, json!({"phone": "09121234568", "birthday": "1991-09-06", "calendar": "gregorian"})).await;
    assert_eq!(g["birthday"], json!({"date": "1991-09-06", "calendar": "gregorian"}));
    let y = create_member(&host, json!({"phone": "09121234569", "birthday": "12-30"})).await;
    assert_eq!(y["birthday"], json!({"date": "12-30", "calendar": "jalali"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_phone_twice_is_409_with_the_member_id() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    let before = host.kv_snapshot();
    let r = admin(&host, "POST", "/api/members", Some(json!({"phone": "+98 912 123 4567", "name": "دیگری"}))).await;
    assert_error(&r, 409, "member_exists");
    assert_eq!(r.json()["member_id"], m["id"]);
    assert_eq!(host.kv_snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_creates_of_one_phone_make_one_member() {
    let host = host().await;
    let calls = (0..20).map(|i| {
        let host = host.clone();
        async move { admin(&host, "POST", "/api/members", Some(json!({"phone": "09121234567", "name": format!("n{i}")}))).await }
    });
    let replies = futures::future::join_all(calls).await;
    let created: Vec<&vafa_test_host::Reply> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "{:?}", replies.iter().map(|r| (r.status, r.text())).collect::<Vec<_>>());
    let id = created[0].json()["id"].clone();
    for r in replies.iter().filter(|r| r.status != 201) {
        assert_error(r, 409, "member_exists");
        assert_eq!(r.json()["member_id"], id);
    }
    let found = admin(&host, "GET", "/api/members?phone=09121234567", None).await.json();
    assert_eq!(found["id"], id);
    let members = host.kv_snapshot().keys().filter(|k| k.starts_with("member:")).count();
    assert_eq!(members, 1, "losers leave no member record behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_are_named_and_nothing_is_written() {
    let host = host().await;
    let cases = [
        (json!({"phone": "021 8888 1234"}), "phone"),
        (json!({"phone": "12345"}), "phone"),
        (json!({}), "phone"),
        (json!({"phone": "09121234567", "name": "ن".repeat(101)}), "name"),
        (json!({"phone": "09121234567", "birthday": "1370-07-31"}), "birthday"),
        (json!({"phone": "09121234567", "birthday": "1990-02-30", "calendar": "gregorian"}), "birthday"),
        (json!({"phone": "09121234567", "calendar": "lunar"}), "calendar"),
        (json!({"phone": "09121234567", "tags": ["ok", "not ok"]}), "tags"),
        (json!({"phone": "09121234567", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}), "tags"),
        (json!({"phone": "09121234567", "tags": ["x".repeat(33)]}), "tags"),
        (json!({"phone": "09121234567", "consent": {"marketing": true, "source": "pigeon"}}), "consent"),
        (json!({"phone": "09121234567", "consent": {"marketing": "yes"}}), "consent"),
        (json!({"phone": "09121234567", "referral_code": "ZZZZZZZZ"}), "referral_code"),
    ];
    for (body, field) in cases {
        let before = host.kv_snapshot();
        let r = admin(&host, "POST", "/api/members", Some(body.clone())).await;
        assert_error(&r, 422, &format!("invalid_{field}"));
        assert!(r.json()["error"]["field"].as_str().unwrap().starts_with(field), "{body}: {}", r.text());
        assert_eq!(host.kv_snapshot(), before, "{body} wrote something");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_creates_members_for_itself_only() {
    let host = host().await;
    let key = make_store(&host, "shop-1").await;
    let r = with_token(&host, &key, "POST", "/api/members", json!({"phone": "09121234567"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["store_id"], "shop-1");
    let r = with_token(&host, &key, "POST", "/api/members", json!({"phone": "09121234568", "store_id": "shop-2"})).await;
    assert_error(&r, 403, "forbidden");
    assert_error(&with_token(&host, &key, "GET", "/api/members?phone=09121234567", json!({})).await, 403, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_changes_only_what_is_given() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567", "name": "سارا", "tags": ["coffee"]})).await;
    let path = format!("/api/members/{}", m["id"].as_str().unwrap());
    let r = admin(&host, "PATCH", &path, Some(json!({"birthday": "1991-09-06", "calendar": "gregorian"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = r.json();
    assert_eq!(p["birthday"], json!({"date": "1991-09-06", "calendar": "gregorian"}));
    assert_eq!(p["name"], "سارا");
    let p = admin(&host, "PATCH", &path, Some(json!({"name": null, "tags": ["tea"]}))).await.json();
    assert_eq!(p["name"], Value::Null);
    assert_eq!(p["tags"], json!(["tea"]));
    assert_error(&admin(&host, "PATCH", &path, Some(json!({"birthday": "1404-12-30"}))).await, 422, "invalid_birthday");
    assert_error(&admin(&host, "PATCH", "/api/members/m_999", Some(json!({"name": "x"}))).await, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_phone_keeps_the_member_and_the_old_one_stops_resolving() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567"})).await;
    create_member(&host, json!({"phone": "09351112233"})).await;
    let id = m["id"].as_str().unwrap();
    admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(json!({"points": 40, "reason": "خوش‌آمد"}))).await;
    let r = admin(&host, "POST", &format!("/api/members/{id}/phone"), Some(json!({"phone": "0919 000 1122"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["phone"], "+989190001122");
    assert_eq!(r.json()["points"], 40);
    assert_error(&admin(&host, "GET", "/api/members?phone=09121234567", None).await, 404, "not_found");
    assert_eq!(admin(&host, "GET", "/api/members?phone=09190001122", None).await.json()["id"], id);
    let r = admin(&host, "POST", &format!("/api/members/{id}/phone"), Some(json!({"phone": "09351112233"}))).await;
    assert_error(&r, 409, "phone_taken");
    // The old number is free for someone new.
    let again = create_member(&host, json!({"phone": "09121234567"})).await;
    assert_ne!(again["id"], m["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_personal_data_for_good_and_keeps_the_totals() {
    let host = host().await;
    let m = create_member(&host, json!({"phone": "09121234567", "name": "سارا", "birthday": "1370-06-15", "tags": ["coffee"],
        "consent": {"marketing": true, "source": "web", "text": "موافقم"}})).await;
    let id = m["id"].as_str().unwrap();
    admin(&host, "POST", &format!("/api/members/{id}/adjust"), Some(json!({"points": 75, "reason": "هدیه"}))).await;
    // Messages, an inbound SMS and a join code leave traces of the number.
    inbound_json(&host, "09121234567", "لغو").await;
    public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await;
    assert_eq!(messages(&host, "").await.len(), 2);
    let r = admin(&host, "DELETE", &format!("/api/members/{id}"), None).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let dump = format!("{:?}", host.kv_snapshot().iter().map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned())).collect::<Vec<_>>());
    for personal in ["9121234567", "912123", "سارا", "1370", "coffee", "موافقم"] {
        assert!(!dump.contains(personal), "{personal} is still stored");
    }
    let e = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!((e["phone"].clone(), e["name"].clone(), e["birthday"].clone(), e["erased"].clone()), (Value::Null, Value::Null, Value::Null, json!(true)));
    assert_eq!(e["points"], 75, "the anonymous totals stay");
    let ledger = admin(&host, "GET", &format!("/api/members/{id}/ledger"), None).await.json();
    assert_eq!(ledger["entries"][0]["points"], 75);
    assert_error(&admin(&host, "GET", "/api/members?phone=09121234567", None).await, 404, "not_found");
    assert!(messages(&host, "").await.iter().all(|m| m["to"].is_null() && m["text"] == ""));
    let new = create_member(&host, json!({"phone": "09121234567"})).await;
    assert_ne!(new["id"], m["id"], "a later sign-up is a new member");
    assert_eq!(new["points"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_changes_are_kept_as_history() {
    let host = host().await;
    let m = opted_in_member(&host, "09121234567").await;
    let id = m["id"].as_str().unwrap();
    host.advance(chrono::Duration::days(1));
    let r = admin(&host, "POST", &format!("/api/members/{id}/consent"), Some(json!({"marketing": false, "source": "api"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["consent"]["status"], "opted_out");
    assert_eq!(v["consent"]["at"], "2026-11-23T08:30:00Z");
    let h = v["consent_history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!((h[0]["status"].clone(), h[0]["source"].clone()), (json!("opted_in"), json!("checkout")));
    assert_eq!(h[0]["text"], "عضو باشگاه می‌شوم");
    assert_error(&admin(&host, "POST", &format!("/api/members/{id}/consent"), Some(json!({"marketing": true, "source": "fax"}))).await, 422, "invalid_consent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_code_links_the_new_member_to_the_referrer() {
    let host = host().await;
    let referrer = create_member(&host, json!({"phone": "09121234567"})).await;
    let code = referrer["referral_code"].as_str().unwrap().to_lowercase();
    let new = create_member(&host, json!({"phone": "09121234568", "referral_code": code})).await;
    assert_eq!(new["referred_by"], referrer["id"]);
    assert_ne!(new["referral_code"], referrer["referral_code"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_filter_and_page_newest_first() {
    let host = host().await;
    let a = opted_in_member(&host, "09121234567").await;
    opted_in_member(&host, "09121234568").await;
    for (phone, text) in [("09121234567", "لغو"), ("09121234568", "لغو"), ("09121234567", "12"), ("09121234567", "لغو")] {
        host.advance(chrono::Duration::minutes(1));
        inbound_json(&host, phone, text).await;
    }
    let all = messages(&host, "").await;
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0]["created_at"].as_str() >= w[1]["created_at"].as_str()));
    let mine = messages(&host, &format!("?member_id={}", a["id"].as_str().unwrap())).await;
    assert_eq!(mine.len(), 3);
    assert!(mine.iter().all(|m| m["member_id"] == a["id"]));
    let page = admin(&host, "GET", "/api/messages?limit=3", None).await.json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 3);
    let next = page["next_before"].as_u64().unwrap();
    let rest = messages(&host, &format!("?before={next}")).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(messages(&host, "?status=failed").await.len(), 0);
    assert_error(&admin(&host, "GET", "/api/messages?status=lost", None).await, 422, "invalid_status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_killed_at_any_step_leaves_one_member_after_a_retry() {
    let host = host().await;
    let body = json!({"phone": "09121234567", "name": "سارا"});
    let probe = admin(&host, "POST", "/api/members", Some(json!({"phone": "09129999999"}))).await;
    let steps = probe.kv_ops;
    assert!(steps >= 4);
    for n in 1..=steps {
        let phone = format!("0912{:07}", n);
        let body = json!({"phone": phone, "name": body["name"]});
        host.inject_kv_fault(n, Fault::Trap);
        let killed = admin(&host, "POST", "/api/members", Some(body.clone())).await;
        assert!(killed.trap.is_some() || killed.status == 201, "step {n}: {}", killed.status);
        let retry = admin(&host, "POST", "/api/members", Some(body.clone())).await;
        assert!(retry.status == 201 || retry.status == 409, "step {n}: {} {}", retry.status, retry.text());
        let found = admin(&host, "GET", &format!("/api/members?phone={phone}"), None).await;
        assert_eq!(found.status, 200, "step {n}: the member must exist after a retry: {}", found.text());
        assert_eq!(found.json()["name"], "سارا");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_page_newest_first_and_pass_over_the_erased() {
    let host = host().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(create_member(&host, json!({"phone": format!("0912000{:04}", i), "name": format!("عضو {i}")})).await["id"].as_str().unwrap().to_string());
    }
    assert_eq!(admin(&host, "DELETE", &format!("/api/members/{}", ids[5]), None).await.status, 204);
    let page = |q: &str| {
        let host = host.clone();
        let q = q.to_string();
        async move {
            let r = admin(&host, "GET", &format!("/api/members{q}"), None).await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()
        }
    };
    let first = page("?limit=3").await;
    let names = |p: &Value| p["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&first), [ids[6].clone(), ids[4].clone(), ids[3].clone()], "newest first, the erased one passed over");
    let next = first["next_before"].as_u64().expect("more to come");
    let second = page(&format!("?limit=3&before={next}")).await;
    assert_eq!(names(&second), [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    assert_eq!(second["next_before"], Value::Null, "the first member was on it: no more");
    assert_eq!(page("").await["members"].as_array().unwrap().len(), 6, "20 by default");
    assert_error(&admin(&host, "GET", "/api/members?limit=0", None).await, 422, "invalid_limit");
    let r = host.request("GET", "/api/members", &[], "").await;
    assert_error(&r, 401, "unauthorized");
}
