//! The club's settings and every record an admin edits, end to end: `GET`
//! answers an `ETag`, `PATCH` merges (RFC 7396), and a write under a stale
//! `If-Match` is 412 with what is saved now, writing nothing. No save loses
//! an edit made elsewhere.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::{ADMIN_TOKEN, Host, Reply};

/// An admin call with `If-Match`.
async fn admin_if(host: &Host, method: &str, path: &str, tag: &str, body: Value) -> Reply {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    host.request(method, path, &[("authorization", &auth), ("content-type", "application/json"), ("if-match", tag)], body.to_string()).await
}

fn etag(r: &Reply) -> String {
    r.header("etag").unwrap_or_else(|| panic!("no etag: {}", r.text())).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_part_of_the_settings_keeps_what_was_set_elsewhere() {
    let host = host().await;
    // Set elsewhere: silver's threshold, a holiday, the cap, 14 pending days.
    let mut tiers = admin(&host, "GET", "/api/settings", None).await.json()["tiers"].clone();
    tiers[1]["min_spend"] = json!(30_000_000);
    let edit = json!({"tiers": tiers, "holidays": [{"date": "1405-01-13"}], "frequency_cap": {"per_day": 1, "per_week": 2}, "pending_days": 14});
    let r = admin(&host, "PATCH", "/api/settings", Some(edit.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The Getting Started form saves six of the settings.
    let form = json!({"timezone": "Asia/Tehran", "default_country": "IR", "sender_signature": "کافه وفا", "optout_footer": "لغو11", "max_parts": 2, "sms_part_cost": 0});
    let r = admin(&host, "PATCH", "/api/settings", Some(form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = admin(&host, "GET", "/api/settings", None).await.json();
    for key in ["tiers", "holidays", "frequency_cap", "pending_days"] {
        let expect = if key == "holidays" { json!([{"date": "1405-01-13", "calendar": "jalali"}]) } else { edit[key].clone() };
        assert_eq!(s[key], expect, "{key} survived another form's save: {s}");
    }
    assert_eq!((s["sender_signature"].clone(), s["max_parts"].clone()), (json!("کافه وفا"), json!(2)));
    // `null` resets a key to its default; PUT still replaces the whole object.
    let r = admin(&host, "PATCH", "/api/settings", Some(json!({"pending_days": null}))).await;
    assert_eq!((r.json()["pending_days"].clone(), r.json()["max_parts"].clone()), (json!(0), json!(2)), "{}", r.text());
    let r = admin(&host, "PUT", "/api/settings", Some(json!({"max_parts": 1}))).await;
    assert_eq!((r.json()["max_parts"].clone(), r.json()["holidays"].clone()), (json!(1), json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_412_with_the_current_settings_and_writes_nothing() {
    let host = host().await;
    let first = admin(&host, "GET", "/api/settings", None).await;
    let tag = etag(&first);
    assert!(tag.starts_with('"'), "a strong tag: {tag}");
    // Someone else saves in between.
    let r = admin_if(&host, "PATCH", "/api/settings", &tag, json!({"pending_days": 7})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let newer = etag(&r);
    assert_ne!(newer, tag);
    assert_eq!(etag(&admin(&host, "GET", "/api/settings", None).await), newer, "a save answers the tag GET then answers");
    let before = host.kv_snapshot();
    for method in ["PATCH", "PUT"] {
        let r = admin_if(&host, method, "/api/settings", &tag, json!({"max_parts": 2})).await;
        assert_error(&r, 412, "precondition_failed");
        assert_eq!(r.json()["current"]["pending_days"], 7, "{method}: the current object: {}", r.text());
        assert_eq!(etag(&r), newer);
    }
    assert_eq!(host.kv_snapshot(), before, "a 412 writes nothing");
    let r = admin_if(&host, "PATCH", "/api/settings", &newer, json!({"max_parts": 2})).await;
    assert_eq!((r.status, r.json()["pending_days"].clone(), r.json()["max_parts"].clone()), (200, json!(7), json!(2)), "{}", r.text());
    // Bad patches are refused like bad PUTs.
    for (body, status, code) in [(json!({"colour": "red"}), 422, "invalid_colour"), (json!({"max_parts": 0}), 422, "invalid_max_parts")] {
        assert_error(&admin(&host, "PATCH", "/api/settings", Some(body)).await, status, code);
    }
    let r = host.request("PATCH", "/api/settings", &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))], "[1]").await;
    assert_error(&r, 400, "malformed_json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_of_different_settings_both_count() {
    let host = host().await;
    let a = admin(&host, "PATCH", "/api/settings", Some(json!({"pending_days": 14})));
    let b = admin(&host, "PATCH", "/api/settings", Some(json!({"max_parts": 2})));
    let (a, b) = tokio::join!(a, b);
    assert!(a.status == 200 || a.status == 503, "{}", a.text());
    assert!(b.status == 200 || b.status == 503, "{}", b.text());
    // A first save racing another is told to retry (503): it never wins silently.
    for (status, body) in [(a.status, json!({"pending_days": 14})), (b.status, json!({"max_parts": 2}))] {
        if status == 503 {
            assert_eq!(admin(&host, "PATCH", "/api/settings", Some(body)).await.status, 200);
        }
    }
    let s = admin(&host, "GET", "/api/settings", None).await.json();
    assert_eq!((s["pending_days"].clone(), s["max_parts"].clone()), (json!(14), json!(2)), "{s}");
    let a = admin(&host, "PATCH", "/api/settings", Some(json!({"winback_days": 90})));
    let b = admin(&host, "PATCH", "/api/settings", Some(json!({"attribution_days": 3})));
    let (a, b) = tokio::join!(a, b);
    assert_eq!((a.status, b.status), (200, 200), "{} {}", a.text(), b.text());
    let s = admin(&host, "GET", "/api/settings", None).await.json();
    assert_eq!((s["winback_days"].clone(), s["attribution_days"].clone(), s["pending_days"].clone()), (json!(90), json!(3), json!(14)), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewards_automations_bonus_rules_and_stores_refuse_a_stale_if_match() {
    let host = host().await;
    make_store(&host, "shop-1").await;
    // Each record: its path, a first version and a second, saved by "someone else".
    let cases = [
        ("/api/rewards/r10", json!({"name": "تخفیف ۱۰٪", "kind": "percent", "value": 10, "cost": 100, "valid_days": 30}), json!({"name": "تخفیف ۱۰٪", "kind": "percent", "value": 10, "cost": 120, "valid_days": 30})),
        ("/api/automations/welcome", json!({"enabled": true, "template": "سلام {name}، خوش آمدید"}), json!({"enabled": false, "template": "سلام {name}، خوش آمدید"})),
        ("/api/bonus-rules/vip", json!({"kind": "tag", "tag": "vip", "multiplier_pct": 200}), json!({"kind": "tag", "tag": "vip", "multiplier_pct": 150})),
        ("/api/stores/shop-1", json!({"name": "کافه"}), json!({"name": "کافه وفا"})),
    ];
    for (path, first, second) in cases {
        let r = admin(&host, "PUT", path, Some(first.clone())).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        let got = admin(&host, "GET", path, None).await;
        let tag = etag(&got);
        assert_eq!(etag(&r), tag, "{path}: the PUT's tag is the one GET answers");
        let r = admin_if(&host, "PUT", path, &tag, second.clone()).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        let newer = etag(&r);
        let before = host.kv_snapshot();
        let r = admin_if(&host, "PUT", path, &tag, first.clone()).await;
        assert_error(&r, 412, "precondition_failed");
        assert_eq!(r.json()["current"], got_after(&host, path).await, "{path}: the current object");
        assert_eq!(host.kv_snapshot(), before, "{path}: a 412 writes nothing");
        assert_eq!(admin_if(&host, "PUT", path, &newer, first.clone()).await.status, 200, "{path}");
    }
    // A bonus rule's delete honours it too.
    let tag = etag(&admin(&host, "GET", "/api/bonus-rules/vip", None).await);
    admin(&host, "PUT", "/api/bonus-rules/vip", Some(json!({"kind": "tag", "tag": "vip", "multiplier_pct": 300}))).await;
    assert_error(&admin_if(&host, "DELETE", "/api/bonus-rules/vip", &tag, json!({})).await, 412, "precondition_failed");
    // If-Match on a store that does not exist yet.
    assert_error(&admin_if(&host, "PUT", "/api/stores/shop-2", "*", json!({"name": "B", "webhook_secret": "0123456789abcdef"})).await, 412, "precondition_failed");
    let stores = admin(&host, "GET", "/api/stores", None).await.json();
    assert_eq!(stores["stores"].as_array().map(|s| s.len()), Some(1), "{stores}");
}

async fn got_after(host: &Host, path: &str) -> Value {
    admin(host, "GET", path, None).await.json()
}
