//! CSV imports of members, through the real imports `.wasm`: the file is
//! read as spreadsheets write it and checked at once (a bad file is refused
//! whole, a bad row by its line); nothing is applied until the imports
//! tick (tests/imports_tick.rs).

mod support;

use serde_json::json;
use support::*;
use vafa_test_host::{ADMIN_TOKEN, Host, Reply};

async fn upload(host: &Host, content_type: &str, body: &[u8]) -> Reply {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    host.request("POST", "/api/imports", &[("authorization", &auth), ("content-type", content_type)], body.to_vec()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_checked_at_once_and_its_refused_rows_named_by_line() {
    let host = host().await;
    let file = "\u{feff}phone;name;birthday;marketing_consent;consent_at\r\n\
                ۰۹۱۲۱۲۳۴۵۶۷;\"سارا; رضایی\";1370/06/15;بله;1405-01-01\r\n\
                0912;علی;;;\r\n\
                09121234568;مریم;2050-01-01;;\r\n\
                \r\n\
                09121234569;;;yes;\r\n";
    let before = host.kv_snapshot().keys().filter(|k| k.starts_with("member:")).count();
    let r = upload(&host, "text/csv; charset=utf-8", file.as_bytes()).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let made = r.json();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(format!("/api/imports/{id}").as_str()));
    assert_eq!((made["state"].clone(), made["rows"].clone(), made["processed"].clone(), made["refused_count"].clone()), (json!("running"), json!(4), json!(0), json!(3)));
    let refused: Vec<(u64, String)> = made["refused"].as_array().unwrap().iter().map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_string())).collect();
    assert_eq!(refused.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 4, 6], "{refused:?}");
    assert!(refused[0].1.starts_with("phone"), "{refused:?}");
    assert!(refused[1].1.starts_with("birthday"), "{refused:?}");
    assert!(refused[2].1.starts_with("consent_at"), "{refused:?}");
    assert_eq!(host.kv_snapshot().keys().filter(|k| k.starts_with("member:")).count(), before, "nothing applied before the tick");

    let got = admin(&host, "GET", &format!("/api/imports/{id}"), None).await;
    assert_eq!((got.status, got.json()), (200, made.clone()));
    let list = admin(&host, "GET", "/api/imports", None).await;
    assert_eq!(list.json()["imports"][0]["id"], json!(id));
    assert!(list.json()["imports"][0].get("refused").is_none(), "the list leaves the rows out");
    assert_error(&admin(&host, "GET", "/api/imports/im_nope", None).await, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_is_refused_whole_and_writes_nothing() {
    let host = host().await;
    let before = host.kv_snapshot();
    for (content_type, body, code) in [
        ("text/csv", &b"name,tags\nx,y\n"[..], "invalid_csv"),
        ("text/csv", b"phone,email\n09121234567,a@b\n", "invalid_csv"),
        ("text/csv", b"phone\n\"09121234567\n", "invalid_csv"),
        ("text/csv", b"phone\n\xff\xfe0912\n", "invalid_csv"),
        ("text/csv", b"", "invalid_csv"),
        ("application/json", b"{\"phone\": \"09121234567\"}", "invalid_csv"),
    ] {
        let r = upload(&host, content_type, body).await;
        assert_error(&r, 422, code);
    }
    let anyone = host.request("POST", "/api/imports", &[("content-type", "text/csv")], "phone\n09121234567\n").await;
    assert_error(&anyone, 401, "unauthorized");
    assert_eq!(host.kv_snapshot(), before);
}
