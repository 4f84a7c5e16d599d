//! The club's people (`team`): credentials with roles, revoked for good,
//! the audit log of every admin write, and the limit on wrong tokens, end
//! to end through the real `.wasm` components.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::Host;

async fn credential(host: &Host, name: &str, role: &str) -> (String, String) {
    let r = admin(host, "POST", "/api/credentials", Some(json!({"name": name, "role": role}))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    assert_eq!((body["name"].as_str(), body["role"].as_str()), (Some(name), Some(role)));
    (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string())
}

async fn get(host: &Host, token: &str, path: &str) -> u16 {
    let auth = format!("Bearer {token}");
    host.request("GET", path, &[("authorization", &auth)], String::new()).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_does_what_it_may_and_nothing_else() {
    let host = host().await;
    let (_, staff) = credential(&host, "علی", "staff").await;
    let (_, analyst) = credential(&host, "Analyst", "analyst").await;
    let listed = admin(&host, "GET", "/api/credentials", None).await.json();
    assert_eq!(listed["credentials"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("vfc_") && !listed.to_string().contains("hash"), "a token shows once: {listed}");

    for (token, path, status) in [
        (&staff, "/api/settings", 200),
        (&staff, "/api/members", 200),
        (&staff, "/api/messages", 200),
        (&staff, "/api/replies", 200),
        (&staff, "/api/rewards", 200),
        (&staff, "/api/reports/overview", 403),
        (&staff, "/api/credentials", 403),
        (&staff, "/api/audit", 403),
        (&analyst, "/api/settings", 200),
        (&analyst, "/api/reports/overview", 200),
        (&analyst, "/api/reports/daily", 200),
        (&analyst, "/api/members", 403),
        (&analyst, "/api/messages", 403),
        (&analyst, "/api/stores", 403),
    ] {
        assert_eq!(get(&host, token, path).await, status, "{path} with {}", if token == &staff { "staff" } else { "analyst" });
    }
    let r = with_token(&host, &staff, "POST", "/api/members", json!({"phone": "09121234567"})).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let before = host.kv_snapshot();
    let r = with_token(&host, &staff, "PATCH", "/api/settings", json!({"pending_days": 3})).await;
    assert_error(&r, 403, "forbidden");
    let r = with_token(&host, &staff, "POST", "/api/credentials", json!({"name": "x", "role": "owner"})).await;
    assert_error(&r, 403, "forbidden");
    assert_eq!(host.kv_snapshot(), before, "a refused write writes nothing");
    // A store key is no credential.
    let key = make_store(&host, "shop").await;
    assert_error(&with_token(&host, &key, "GET", "/api/credentials", json!({})).await, 403, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_credential_opens_nothing_and_names_are_unique() {
    let host = host().await;
    let (id, token) = credential(&host, "Ali", "staff").await;
    assert_error(&admin(&host, "POST", "/api/credentials", Some(json!({"name": "Ali", "role": "analyst"}))).await, 409, "name_taken");
    assert_error(&admin(&host, "POST", "/api/credentials", Some(json!({"name": "Sara", "role": "boss"}))).await, 422, "invalid_role");
    assert_eq!(get(&host, &token, "/api/members").await, 200);
    assert_eq!(admin(&host, "DELETE", &format!("/api/credentials/{id}"), None).await.status, 204);
    assert_eq!(get(&host, &token, "/api/members").await, 401);
    assert_error(&admin(&host, "DELETE", &format!("/api/credentials/{id}"), None).await, 404, "not_found");
    assert_eq!(admin(&host, "GET", "/api/credentials", None).await.json()["credentials"], json!([]));
}

fn entries(r: &vafa_test_host::Reply) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["entries"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_write_is_in_the_audit_log_with_who_and_before_after_and_no_secret() {
    let host = host().await;
    let (_, staff) = credential(&host, "علی", "staff").await;
    let r = admin(&host, "PATCH", "/api/settings", Some(json!({"frequency_cap": {"per_day": 2}}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let m = with_token(&host, &staff, "POST", "/api/members", json!({"phone": "09121234567", "name": "سارا"})).await.json();
    let id = m["id"].as_str().unwrap();
    let r = with_token(&host, &staff, "PATCH", &format!("/api/members/{id}"), json!({"name": "سارا احمدی"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = admin(&host, "PUT", "/api/stores/shop", Some(json!({"name": "فروشگاه", "platform": "woocommerce", "webhook_secret": "s3cret-s3cret-s3cret",
        "api": {"url": "https://shop.example", "consumer_key": "ck_abcdefgh", "consumer_secret": "cs_abcdefgh"}}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Refused writes and reads leave no entry.
    assert_eq!(admin(&host, "PATCH", "/api/settings", Some(json!({"pending_days": -1}))).await.status, 422);
    let r = host.request("PATCH", "/api/settings", &[("authorization", &format!("Bearer {}", admin_token())), ("if-match", "\"stale\"")], json!({"pending_days": 3}).to_string()).await;
    assert_error(&r, 412, "precondition_failed");
    admin(&host, "GET", "/api/settings", None).await;

    let log = entries(&admin(&host, "GET", "/api/audit", None).await);
    let routes: Vec<(&str, &str, &str)> = log.iter().map(|e| (e["method"].as_str().unwrap(), e["route"].as_str().unwrap(), e["actor"]["name"].as_str().unwrap())).collect();
    let member_route = format!("/api/members/{id}");
    assert_eq!(routes, [
        ("PUT", "/api/stores/shop", "owner"),
        ("PATCH", member_route.as_str(), "علی"),
        ("POST", "/api/members", "علی"),
        ("PATCH", "/api/settings", "owner"),
        ("POST", "/api/credentials", "owner"),
    ], "newest first");
    let settings = log.iter().find(|e| e["route"] == "/api/settings").unwrap();
    assert!(settings["changes"].as_array().unwrap().contains(&json!({"field": "frequency_cap.per_day", "before": 1, "after": 2})), "{settings}");
    let text = json!(log).to_string();
    for secret in ["cs_abcdefgh", "ck_abcdefgh", "s3cret", "سارا", "9121234567", "vfc_"] {
        assert!(!text.contains(secret), "{secret} is in the audit log: {text}");
    }
    let edit = &log[1];
    assert_eq!(edit["actor"]["role"], "staff");
    assert!(edit["changes"].as_array().unwrap().contains(&json!({"field": "name", "before": "•••", "after": "•••"})), "{edit}");
    assert!(log[0]["changes"].to_string().contains("api.consumer_secret"), "{}", log[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_entry_is_one_write_and_the_log_pages_across_its_chunks() {
    let host = host().await;
    for i in 0..105u32 {
        let r = admin(&host, "PATCH", "/api/settings", Some(json!({"pending_days": i % 30}))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        if i > 0 && i % 100 != 0 {
            assert_eq!(r.kv_writes, 2, "the settings' swap and the audit head's, at {i}");
        }
    }
    let first = admin(&host, "GET", "/api/audit?limit=60", None).await;
    let page = entries(&first);
    assert_eq!((page[0]["seq"].clone(), page[59]["seq"].clone()), (json!(104), json!(45)));
    let next = first.json()["next_before"].as_u64().unwrap();
    let second = admin(&host, "GET", &format!("/api/audit?limit=60&before={next}"), None).await;
    let rest = entries(&second);
    assert_eq!((rest.len(), rest[0]["seq"].clone(), rest[44]["seq"].clone(), second.json()["next_before"].clone()), (45, json!(44), json!(0), json!(null)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_ten_wrong_tokens_a_minute_are_refused_for_the_rest_of_it() {
    let host = host().await;
    for _ in 0..10 {
        assert_error(&with_token(&host, "wrong", "GET", "/api/settings", json!({})).await, 401, "unauthorized");
    }
    let r = with_token(&host, "wrong", "GET", "/api/settings", json!({})).await;
    assert_error(&r, 429, "rate_limited");
    assert_eq!(r.header("retry-after"), Some("60"));
    let right = admin(&host, "GET", "/api/settings", None).await;
    assert_eq!((right.status, right.kv_ops), (200, 1), "a right token is heard, and costs no count");
    host.advance(chrono::Duration::seconds(60));
    assert_error(&with_token(&host, "wrong", "GET", "/api/settings", json!({})).await, 401, "unauthorized");
}
