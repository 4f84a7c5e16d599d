//! The club's reports, end to end: the overview and the daily series come
//! from counters written as each fact happens (joins, consent, erasure,
//! orders, points, messages), by the club's day in its zone.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::KvBackend;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn order(id: &str, phone: &str, total: i64, when: &str) -> Value {
    let mut body = paid(id, phone, total);
    body["occurred_at"] = json!(when);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_and_the_daily_series_count_what_happened_by_the_clubs_day() {
    let host = host().await;
    host.set_now(at("2026-11-24T08:00:00Z")); // 11:30 in Tehran
    store(&host, "shop", false).await;
    let a = opted_in_member(&host, "09120000001").await;
    opted_in_member(&host, "09120000002").await;
    let c = create_member(&host, json!({"phone": "09120000003"})).await;
    let d = opted_in_member(&host, "09120000004").await;
    assert_eq!(inbound_json(&host, "09120000002", "لغو").await.json()["action"], "opted_out");
    assert_eq!(admin(&host, "DELETE", &format!("/api/members/{}", d["id"].as_str().unwrap()), None).await.status, 204);
    assert_eq!(adjust(&host, a["id"].as_str().unwrap(), json!({"points": -10, "reason": "گارانتی", "idempotency_key": "k1"})).await.status, 200);
    // An order counts on the club's day it arrives: 21:00 UTC is past
    // midnight in Tehran, the next day.
    for (id, phone, total, now) in [("1", "09120000001", 1_000_000, "2026-11-24T08:00:00Z"), ("2", "09120000001", 3_000_000, "2026-11-24T08:30:00Z"), ("3", "09120000003", 500_000, "2026-11-24T21:00:00Z")] {
        host.set_now(at(now));
        let r = generic(&host, "shop", &order(id, phone, total, now)).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let points: i64 = [&a, &c].iter().map(|m| assert_balance_is_the_ledger(&host, m["id"].as_str().unwrap(), "")).collect::<futures::future::JoinAll<_>>().await.iter().sum();

    let r = admin(&host, "GET", "/api/reports/overview", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let o = r.json();
    let third = 0.3333;
    assert_eq!(
        o,
        json!({"members": 3, "opted_in": 1, "opt_in_rate": third, "opt_out_rate": third, "active_90d": 2,
               "repeat_purchase_rate": 0.5, "retention_rate": 1.0, "orders": 3, "revenue": 4_500_000, "aov": 1_500_000,
               "points_outstanding": points, "nps": {"score": 0, "responses": 0}}),
    );
    if host.kv_backend() == KvBackend::Sqlite {
        assert!(r.kv_ops <= 4, "the overview is a few batch reads: {}", r.kv_ops);
    }

    let r = admin(&host, "GET", "/api/reports/daily?from=2026-11-23&to=2026-11-25", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let days = r.json()["days"].as_array().cloned().unwrap();
    assert_eq!(days.iter().map(|d| d["date"].as_str().unwrap().to_string()).collect::<Vec<_>>(), ["2026-11-23", "2026-11-24", "2026-11-25"]);
    assert!(days[0].as_object().unwrap().iter().all(|(k, v)| k == "date" || *v == json!(0)), "{}", days[0]);
    let today = &days[1];
    assert_eq!(
        [&today["joins"], &today["optins"], &today["optouts"], &today["orders"], &today["revenue"], &today["spent"]],
        [&json!(4), &json!(3), &json!(1), &json!(2), &json!(4_000_000), &json!(10)],
        "{today}"
    );
    assert!(today["sent"].as_i64().unwrap() >= 1, "the opt-out's confirmation: {today}");
    assert_eq!((days[2]["orders"].clone(), days[2]["revenue"].clone()), (json!(1), json!(500_000)), "21:00 UTC is the next day in Tehran");
    let earned: i64 = days.iter().map(|d| d["earned"].as_i64().unwrap()).sum();
    assert!(earned > 0);
    assert_eq!(earned - 10, points, "points earned less spent is what is outstanding");

    // The default: the last 90 days to today, in a few batch reads.
    let r = admin(&host, "GET", "/api/reports/daily", None).await;
    let body = r.json();
    assert_eq!((body["days"].as_array().unwrap().len(), body["to"].clone(), body["zone"].clone()), (90, json!("2026-11-25"), json!("Asia/Tehran")));
    if host.kv_backend() == KvBackend::Sqlite {
        assert!(r.kv_ops <= 6, "90 days × 10 series in batches of 200: {}", r.kv_ops);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ranges_are_named_and_reports_need_the_admin() {
    let host = host().await;
    assert_error(&admin(&host, "GET", "/api/reports/daily?from=2026-11-25&to=2026-11-24", None).await, 422, "invalid_from");
    assert_error(&admin(&host, "GET", "/api/reports/daily?from=2025-01-01&to=2026-11-24", None).await, 422, "invalid_from");
    assert_error(&admin(&host, "GET", "/api/reports/daily?to=1405-09-03x", None).await, 422, "invalid_to");
    assert_error(&host.request("GET", "/api/reports/overview", &[], "").await, 401, "unauthorized");
    assert_error(&admin(&host, "POST", "/api/reports/overview", Some(json!({}))).await, 405, "method_not_allowed");
    let empty = admin(&host, "GET", "/api/reports/overview", None).await.json();
    assert_eq!((empty["members"].clone(), empty["opt_in_rate"].clone(), empty["aov"].clone()), (json!(0), json!(0.0), json!(0)));
}
