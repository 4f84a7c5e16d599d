//! The members and ledger exports, through the real exports `.wasm`: CSV
//! files Excel opens (a UTF-8 mark, CRLF, quoting), a page at a time, and a
//! members file that comes back in through an import unchanged.

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::{ADMIN_TOKEN, Host};

async fn csv(host: &Host, path: &str) -> (String, Option<String>) {
    let r = admin(host, "GET", path, None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    (r.text(), r.header("x-next-before").map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_and_ledgers_come_out_as_spreadsheets_read_them_page_by_page() {
    let host = host().await;
    host.set_now("2026-12-06T10:00:00Z".parse().unwrap());
    let sara = opted_in_member(&host, "09121234567").await;
    let ali = create_member(&host, json!({"phone": "09121234568", "name": "=cmd, \"علی\"", "birthday": "1991-09-06", "calendar": "gregorian", "tags": ["tea", "vip"]})).await;
    assert_eq!(adjust(&host, sara["id"].as_str().unwrap(), json!({"points": 40, "reason": "خوش‌آمد، اول"})).await.status, 200);

    let (all, next) = csv(&host, "/api/exports/members.csv").await;
    assert_eq!(next, None);
    let lines: Vec<&str> = all.split("\r\n").collect();
    assert_eq!(lines[0], "\u{feff}id,phone,name,birthday,tags,marketing_consent,consent_source,consent_at,points,tier,joined_at,orders,spend,store_id");
    assert_eq!(lines.len(), 4, "{all}");
    assert!(lines[1].starts_with("m_2,+989121234568,\"'=cmd, \"\"علی\"\"\",1991-09-06,tea|vip,,,,0,"), "newest first, quoted, defused: {}", lines[1]);
    assert!(lines[2].starts_with("m_1,+989121234567,سارا,,,yes,checkout,2026-12-06T10:00:00Z,40,"), "{}", lines[2]);

    let (first, next) = csv(&host, "/api/exports/members.csv?limit=1").await;
    assert_eq!((first.lines().count(), next.as_deref()), (2, Some("2")));
    let (second, next) = csv(&host, "/api/exports/members.csv?limit=1&before=2").await;
    assert!(second.contains(sara["id"].as_str().unwrap()) && next.is_none(), "{second}");

    let (ledger, _) = csv(&host, "/api/exports/ledger.csv").await;
    let lines: Vec<&str> = ledger.split("\r\n").collect();
    assert_eq!(lines[0], "\u{feff}member_id,at,kind,points,balance,ref,note");
    assert_eq!(lines[1], "m_1,2026-12-06T10:00:00Z,adjust,40,40,خوش‌آمد، اول,", "the reason is the entry's ref");
    assert!(!ledger.contains(ali["id"].as_str().unwrap()), "no entries, no lines: {ledger}");

    // The members file goes into another club as it is.
    let other = host_with_provider("sandbox").await;
    other.set_now(host.now());
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = other.request("POST", "/api/imports", &[("authorization", &auth), ("content-type", "text/csv")], all.clone()).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json()["refused_count"], 0, "{}", r.text());
    other.advance(chrono::Duration::minutes(1));
    assert_eq!(other.cron("imports-tick").await.result, Ok(()));
    let again = admin(&other, "GET", &format!("/api/members/{}", member_id_of(&other, "09121234567").await), None).await.json();
    assert_eq!((again["points"].clone(), again["consent"]["status"].clone(), again["consent"]["source"].clone()), (json!(40), json!("opted_in"), json!("checkout")));

    assert_error(&host.request("GET", "/api/exports/members.csv", &[], "").await, 401, "unauthorized");
    assert_error(&admin(&host, "GET", "/api/exports/members.csv?limit=5000", None).await, 422, "invalid_limit");
}
