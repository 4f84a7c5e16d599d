//! Settings, credentials and the HTTP edge, through the real enrollment `.wasm`.

mod support;

use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_the_documented_defaults_until_saved_and_cost_one_read() {
    let host = host().await;
    let r = admin(&host, "GET", "/api/settings", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = r.json();
    assert_eq!(s["timezone"], "Asia/Tehran");
    assert_eq!(s["default_country"], "IR");
    assert_eq!(s["earn"], json!({"per_amount": 100000, "points": 1}));
    assert_eq!(s["tiers"][1], json!({"name": "silver", "min_spend": 20000000, "multiplier_pct": 125}));
    assert_eq!(s["tier_window_days"], 365);
    assert_eq!(s["points_expiry_months"], 12);
    assert_eq!(s["referral_points"], json!({"referrer": 50, "referee": 50}));
    assert_eq!(s["quiet_hours"], json!({"start": "09:00", "end": "21:00"}));
    assert_eq!(s["frequency_cap"], json!({"per_day": 1, "per_week": 3}));
    assert_eq!(s["optout_footer"], "لغو11");
    assert_eq!((s["max_parts"].clone(), s["winback_days"].clone(), s["feedback_delay_days"].clone(), s["attribution_days"].clone()), (json!(3), json!(60), json!(3), json!(7)));
    assert_eq!(r.kv_ops, 1, "reading settings is one key-value get");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_put_replaces_the_object_and_is_read_back() {
    let host = host().await;
    let body = json!({"timezone": "Asia/Dubai", "default_country": "AE", "max_parts": 2, "sender_signature": "فروشگاه نمونه",
        "holidays": [{"date": "1405-01-13", "calendar": "jalali"}]});
    let r = admin(&host, "PUT", "/api/settings", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = admin(&host, "GET", "/api/settings", None).await.json();
    assert_eq!(s["timezone"], "Asia/Dubai");
    assert_eq!(s["max_parts"], 2);
    assert_eq!(s["holidays"][0]["date"], "1405-01-13");
    assert_eq!(s["winback_days"], 60, "a key left out is back to its default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_name_the_field_and_write_nothing() {
    let host = host().await;
    let cases = [
        (json!({"colour": "red"}), "colour"),
        (json!({"timezone": "Mars/Base"}), "timezone"),
        (json!({"quiet_hours": {"start": "22:00", "end": "08:00"}}), "quiet_hours"),
        (json!({"tiers": [{"name": "bronze", "min_spend": 0, "multiplier_pct": 100}, {"name": "gold", "min_spend": 0, "multiplier_pct": 150}]}), "tiers"),
        (json!({"frequency_cap": {"per_day": 0, "per_week": 3}}), "frequency_cap"),
        (json!({"holidays": [{"date": "1405-12-30"}]}), "holidays"),
        (json!({"max_parts": "three"}), "max_parts"),
    ];
    for (body, field) in cases {
        let before = host.kv_snapshot();
        let r = admin(&host, "PUT", "/api/settings", Some(body.clone())).await;
        assert_error(&r, 422, &format!("invalid_{field}"));
        assert_eq!(r.json()["error"]["field"], field, "{body}");
        assert_eq!(host.kv_snapshot(), before, "{body} wrote something");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_checked_and_scoped() {
    let host = host().await;
    let store_key = make_store(&host, "shop-1").await;
    assert_error(&host.request("GET", "/api/settings", &[], "").await, 401, "unauthorized");
    assert_error(&with_token(&host, "wrong", "GET", "/api/settings", json!({})).await, 401, "unauthorized");
    assert_error(&with_token(&host, &store_key, "GET", "/api/settings", json!({})).await, 403, "forbidden");
    assert_error(&with_token(&host, &store_key, "PUT", "/api/stores/shop-2", json!({"name": "x"})).await, 403, "forbidden");
    let r = host.request("GET", "/api/settings", &[("authorization", &format!("Basic {}", admin_token()))], "").await;
    assert_error(&r, 401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_and_write_nothing() {
    let host = host().await;
    let before = host.kv_snapshot();
    assert_error(&admin(&host, "GET", "/nope", None).await, 404, "not_found");
    assert_error(&admin(&host, "GET", "/api/members/m_1/whatever", None).await, 404, "not_found");
    let r = admin(&host, "DELETE", "/api/settings", None).await;
    assert_error(&r, 405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, PUT, PATCH"));
    let auth = format!("Bearer {}", admin_token());
    let huge = vec![b'x'; 64 * 1024 + 1];
    assert_error(&host.request("PUT", "/api/settings", &[("authorization", &auth)], huge).await, 413, "body_too_large");
    assert_error(&host.request("PUT", "/api/settings", &[("authorization", &auth)], "{not json").await, 400, "malformed_json");
    assert_error(&host.request("POST", "/api/members", &[("authorization", &auth)], "[1,2]").await, 400, "malformed_json");
    let r = host.request("POST", "/api/members", &[("authorization", &auth)], r#"{"phone": "09121234567", "shoe_size": 42}"#).await;
    assert_error(&r, 422, "invalid_shoe_size");
    assert_error(&admin(&host, "PUT", "/api/stores/Bad%20Id", Some(json!({"name": "x"}))).await, 422, "invalid_store_id");
    assert_eq!(host.kv_snapshot(), before, "a rejected request wrote something");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_component_stays_under_600_kib() {
    let host = host().await;
    let components = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("components")).expect("components/");
    let names: Vec<String> = components.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        let bytes = std::fs::metadata(host.component_wasm(&name)).expect("built").len();
        assert!(bytes <= 600 * 1024, "{name} is {:.1} KiB", bytes as f64 / 1024.0);
    }
}
