//! The automations' API, end to end: an automation is set with a template
//! the club's SMS rules allow, read back, and refused (writing nothing)
//! when its kind, template or options are wrong.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automation_is_set_read_back_and_listed() {
    let host = host().await;
    let off = admin(&host, "GET", "/api/automations/winback", None).await;
    assert_eq!((off.status, off.json()["enabled"].clone()), (200, json!(false)), "{}", off.text());
    let body = json!({"enabled": true, "template": "{name|مشتری عزیز}، دلمان برایتان تنگ شده!", "offset_days": 0, "reward_id": null});
    let r = admin(&host, "PUT", "/api/automations/winback", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = admin(&host, "GET", "/api/automations/winback", None).await.json();
    assert_eq!((got["enabled"].clone(), got["kind"].clone()), (json!(true), json!("winback")));
    let all = admin(&host, "GET", "/api/automations", None).await.json();
    assert_eq!(all["automations"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_automations_are_refused_and_write_nothing() {
    let host = host().await;
    let before = host.kv_snapshot();
    let put = |kind: &'static str, body: serde_json::Value| {
        let host = host.clone();
        async move { admin(&host, "PUT", &format!("/api/automations/{kind}"), Some(body)).await }
    };
    assert_error(&put("newsletter", json!({"enabled": true, "template": "سلام"})).await, 422, "invalid_kind");
    assert_error(&put("replenishment", json!({"enabled": true, "template": "وقت خرید دوباره"})).await, 422, "invalid_cycles");
    assert_error(&put("thank_you", json!({"enabled": true, "template": "ممنون", "offset_days": 400})).await, 422, "invalid_offset_days");
    assert_error(&put("welcome", json!({"enabled": true, "template": "خوش آمدید! کد هدیه: {code}", "reward_id": "none"})).await, 422, "invalid_reward_id");
    assert_error(&put("birthday", json!({"enabled": true, "template": "تولد {points}"})).await, 422, "invalid_template");
    assert_error(&put("winback", json!({"enabled": true, "template": "سلام {nmae}"})).await, 422, "invalid_template");
    assert_error(&put("winback", json!({"enabled": true, "template": "کد شما {code}"})).await, 422, "invalid_template");
    assert_error(&put("winback", json!({"enabled": true, "template": "خرید ".repeat(60)})).await, 422, "invalid_template");
    assert_error(&put("winback", json!({"enabled": true, "template": "سلام", "offset_days": 2})).await, 422, "invalid_offset_days");
    assert_error(&put("winback", json!({"enabled": true, "template": "سلام", "reward_id": "ten"})).await, 422, "invalid_reward_id");
    assert_eq!(host.kv_snapshot(), before);
    // A reward in the catalog, attached without its {code}.
    let ten = json!({"name": "ده درصد", "kind": "percent", "value": 10, "cost": 100});
    assert_eq!(admin(&host, "PUT", "/api/rewards/ten", Some(ten)).await.status, 200);
    let before = host.kv_snapshot();
    assert_error(&put("winback", json!({"enabled": true, "template": "سلام", "reward_id": "ten"})).await, 422, "invalid_template");
    assert_error(&put("winback", json!({"enabled": true})).await, 422, "invalid_template");
    let anonymous = host.request("PUT", "/api/automations/winback", &[("content-type", "application/json")], json!({"enabled": true, "template": "سلام"}).to_string()).await;
    assert_error(&anonymous, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automations_preview_shows_the_text_with_its_footer_parts_and_encoding_and_writes_nothing() {
    let host = host().await;
    let before = host.kv_snapshot();
    let r = admin(&host, "POST", "/api/automations/welcome/preview", Some(json!({"template": "{name} جان، کد هدیه: {code}", "reward_id": "any"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = r.json();
    assert!(p["sample"].as_str().unwrap().starts_with("سارا جان، کد هدیه: K7M2QX9RB4TW"), "{p}");
    assert_eq!(p["encoding"], "ucs2");
    assert_eq!(p["parts"], 1);
    let settings = admin(&host, "GET", "/api/settings", None).await.json();
    assert!(p["sample"].as_str().unwrap().ends_with(settings["optout_footer"].as_str().unwrap()), "the footer is counted: {p}");
    assert_error(&admin(&host, "POST", "/api/automations/welcome/preview", Some(json!({"template": "{points}"}))).await, 422, "invalid_template");
    assert_error(&admin(&host, "POST", "/api/automations/nope/preview", Some(json!({"template": "x"}))).await, 422, "invalid_kind");
    assert_error(&host.request("POST", "/api/automations/welcome/preview", &[], "{}").await, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}
