//! CSV imports applied by the real imports-tick `.wasm`: members made with
//! the consent their rows record and no message sent, points through the
//! journal, a file imported twice changing nothing, 10,000 rows across
//! 50 ticks, and a tick killed at any step finished by the next with every
//! row applied once.

mod support;

use chrono::Duration;
use serde_json::{Value, json};
use support::*;
use vafa_test_host::{ADMIN_TOKEN, Fault, Host};

async fn upload(host: &Host, body: &str) -> Value {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = host.request("POST", "/api/imports", &[("authorization", &auth), ("content-type", "text/csv")], body).await;
    assert_eq!(r.status, 202, "{}", r.text());
    r.json()
}

async fn import(host: &Host, id: &str) -> Value {
    admin(host, "GET", &format!("/api/imports/{id}"), None).await.json()
}

/// Ticks a minute apart until the import is done; answers how many.
async fn run(host: &Host, id: &str) -> usize {
    for n in 1..=60 {
        host.advance(Duration::minutes(1));
        let t = host.cron("imports-tick").await;
        assert_eq!(t.result, Ok(()), "{}", t.stderr);
        if import(host, id).await["state"] == "done" {
            return n;
        }
    }
    panic!("import {id} not done after 60 ticks");
}

fn rows(n: usize) -> String {
    let mut text = String::from("phone,name,points\n");
    for i in 0..n {
        text.push_str(&format!("0912{:07},عضو {i},{}\n", 1_000_000 + i, i % 3 * 10));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_members_get_their_rows_consent_and_points_and_no_message() {
    let host = host_with_provider("kavenegar").await;
    host.set_now("2026-12-06T10:00:00Z".parse().unwrap());
    let existing = opted_in_member(&host, "09129999999").await;
    let file = "phone;name;birthday;tags;marketing_consent;consent_source;consent_at;points;points_reason\r\n\
                ۰۹۱۲۱۲۳۴۵۶۷;\"رضایی، سارا\";1370-06-15;coffee|vip;بله;checkout;1404-12-01;۱۲۰;\"مانده از باشگاه قبلی\"\r\n\
                09121234568;علی;1991-09-06;;no;web;2026-01-01T08:00:00Z;;\r\n\
                09121234569;\"Multi; line\";;;;;;5;\"two\nlines\"\r\n\
                09129999999;نام دیگر;;;;;;500;\r\n";
    let started = upload(&host, file).await;
    let id = started["id"].as_str().unwrap();
    assert_eq!(run(&host, id).await, 1);
    let done = import(&host, id).await;
    assert_eq!((done["created"].clone(), done["existing"].clone(), done["refused_count"].clone(), done["progress"].clone()), (json!(3), json!(1), json!(0), json!(1.0)), "{done}");

    let sara = member_id_of(&host, "09121234567").await;
    let m = admin(&host, "GET", &format!("/api/members/{sara}"), None).await.json();
    assert_eq!((m["name"].clone(), m["tags"].clone(), m["points"].clone()), (json!("رضایی، سارا"), json!(["coffee", "vip"]), json!(120)), "{m}");
    assert_eq!(m["birthday"], json!({"date": "1370-06-15", "calendar": "jalali"}));
    assert_eq!((m["consent"]["status"].clone(), m["consent"]["source"].clone(), m["consent"]["at"].clone()), (json!("opted_in"), json!("checkout"), json!("2026-02-19T20:30:00Z")), "{m}");
    let (balance, ledger) = balance_and_ledger(&host, &sara).await;
    assert_eq!((balance, ledger), (120, vec![120]));
    let ali = admin(&host, "GET", &format!("/api/members/{}", member_id_of(&host, "09121234568").await), None).await.json();
    assert_eq!((ali["consent"]["status"].clone(), ali["birthday"]["calendar"].clone()), (json!("opted_out"), json!("gregorian")));
    let third = admin(&host, "GET", &format!("/api/members/{}", member_id_of(&host, "09121234569").await), None).await.json();
    assert_eq!((third["name"].clone(), third["consent"]["status"].clone()), (json!("Multi; line"), json!("none")), "{third}");
    assert_eq!(third["points"], json!(5));
    // The member already there is left as they were.
    let before = admin(&host, "GET", &format!("/api/members/{}", existing["id"].as_str().unwrap()), None).await.json();
    assert_eq!((before["name"].clone(), before["points"].clone()), (json!("سارا"), json!(0)));

    // No welcome, no message: the ticks that send find nothing for them.
    let sent_before = host.panel().delivered().len();
    host.advance(Duration::minutes(1));
    host.cron("campaigns-tick").await;
    host.advance(Duration::minutes(1));
    host.cron("sender").await;
    assert_eq!(host.panel().delivered().len(), sent_before, "an import sends no message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_same_file_again_changes_nothing() {
    let host = host().await;
    let file = rows(450);
    let first = upload(&host, &file).await;
    run(&host, first["id"].as_str().unwrap()).await;
    let members = |host: &Host| host.kv_snapshot().into_iter().filter(|(k, _)| k.starts_with("member:") || k.starts_with("wallet:") || k.starts_with("ledger:")).collect::<Vec<_>>();
    let after_first = members(&host);
    let again = upload(&host, &file).await;
    run(&host, again["id"].as_str().unwrap()).await;
    let done = import(&host, again["id"].as_str().unwrap()).await;
    assert_eq!((done["created"].clone(), done["existing"].clone()), (json!(0), json!(450)));
    assert_eq!(members(&host), after_first, "members, wallets and ledgers are as the first import left them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rows_are_applied_across_ticks() {
    let host = host().await;
    let started = upload(&host, &rows(10_000)).await;
    let id = started["id"].as_str().unwrap();
    // A chunk of 200 new members a tick: each claims its phone by
    // compare-and-swap, and Spin lets an instance make 256 of those.
    let ticks = run(&host, id).await;
    assert_eq!(ticks, 50);
    let done = import(&host, id).await;
    assert_eq!((done["created"].clone(), done["processed"].clone()), (json!(10_000), json!(10_000)));
    let overview = admin(&host, "GET", "/api/reports/overview", None).await.json();
    assert_eq!(overview["members"], json!(10_000), "{overview}");
    let last = member_id_of(&host, "09121009999").await;
    assert_eq!(balance_and_ledger(&host, &last).await.0, 0);
    let one = member_id_of(&host, "09121009998").await;
    assert_eq!(balance_and_ledger(&host, &one).await, (20, vec![20]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_at_any_step_is_finished_by_the_next_with_each_row_applied_once() {
    let host = host().await;
    let mut n = 1u32;
    loop {
        let file = format!("phone,points\n0912{:07},10\n0912{:07},0\n", 2_000_000 + 2 * n, 2_000_001 + 2 * n);
        let started = upload(&host, &file).await;
        let id = started["id"].as_str().unwrap().to_string();
        host.advance(Duration::minutes(1));
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron("imports-tick").await;
        run(&host, &id).await;
        let done = import(&host, &id).await;
        assert_eq!((done["created"].clone(), done["existing"].clone()), (json!(2), json!(0)), "step {n}: {done}");
        let first = member_id_of(&host, &format!("0912{:07}", 2_000_000 + 2 * n)).await;
        assert_eq!(balance_and_ledger(&host, &first).await, (10, vec![10]), "step {n}");
        if killed.trap.is_none() {
            assert!(n > 10, "the fault at step {n} never came");
            break;
        }
        n += 1;
    }
    let overview = admin(&host, "GET", "/api/reports/overview", None).await.json();
    assert!(overview["members"].as_i64().unwrap() <= 2 * n as i64, "never counted twice: {overview}");
}
