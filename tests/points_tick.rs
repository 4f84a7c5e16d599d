//! The points tick, end to end with the clock moved: pending points credited
//! on their day (and cancelled inside the window), lots expiring at the end
//! of their Jalali month after a reminder, tiers going down in the daily
//! review, segments changing with time, and a tick killed at any step
//! finished by the next, the balance always the sum of the ledger.

mod support;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use support::*;
use vafa_test_host::{Fault, Host};

const PHONE: &str = "09121234567";

fn at(rfc3339: &str) -> DateTime<Utc> {
    rfc3339.parse().unwrap()
}

/// A club day as the index keys name it: days since 1970-01-01 of the
/// Tehran date.
fn day(y: i32, m: u32, d: u32) -> i64 {
    (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::default()).num_days()
}

/// The events recorded on a club day.
fn events(host: &Host, day: i64) -> Vec<Value> {
    (1..).map_while(|k| host.kv_get(&format!("event:{day}:{k}"))).map(|b| serde_json::from_slice(&b).unwrap()).collect()
}

async fn tick(host: &Host) -> vafa_test_host::Tick {
    let t = host.cron("points-tick").await;
    assert_eq!(t.result, Ok(()), "{}", t.stderr);
    t
}

async fn settings(host: &Host, body: Value) {
    let r = admin(host, "PUT", "/api/settings", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn member(host: &Host, id: &str) -> Value {
    admin(host, "GET", &format!("/api/members/{id}"), None).await.json()
}

async fn ledger(host: &Host, id: &str) -> Vec<Value> {
    admin(host, "GET", &format!("/api/members/{id}/ledger?limit=100"), None).await.json()["entries"].as_array().unwrap().clone()
}

fn cancelled(order: &str, phone: &str) -> Value {
    json!({"event": "order.cancelled", "order_id": order, "phone": phone, "currency": "IRR"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_points_are_credited_on_their_day_and_a_refund_inside_the_window_takes_from_them() {
    let host = host().await;
    settings(&host, json!({"pending_days": 14})).await;
    store(&host, "shop-1", true).await;
    // 13:30 in Tehran on 20 November.
    host.set_now(at("2026-11-20T10:00:00Z"));
    tick(&host).await;
    let r = generic(&host, "shop-1", &paid("1", PHONE, 3_000_000)).await;
    assert_eq!((r.json()["points_delta"].clone(), r.json()["pending_points"].clone(), r.json()["balance"].clone()), (json!(0), json!(30), json!(0)), "{}", r.text());
    let id = member_id_of(&host, PHONE).await;
    assert_eq!((member(&host, &id).await["points"].clone(), member(&host, &id).await["pending_points"].clone()), (json!(0), json!(30)));
    let r = generic(&host, "shop-1", &refunded("1", PHONE, 1_000_000, "r1")).await;
    assert_eq!((r.json()["points_delta"].clone(), r.json()["pending_points"].clone()), (json!(0), json!(20)), "a third refunded inside the window: {}", r.text());
    // A second order, cancelled inside the window: its points never come.
    generic(&host, "shop-1", &paid("2", PHONE, 5_000_000)).await;
    let r = generic(&host, "shop-1", &cancelled("2", PHONE)).await;
    assert_eq!(r.json()["pending_points"], 0, "{}", r.text());
    assert_eq!(member(&host, &id).await["pending_points"], 20);

    // The day before the window closes: still pending.
    host.set_now(at("2026-12-03T08:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["points"], 0);
    assert!(ledger(&host, &id).await.is_empty(), "nothing pending reaches the ledger");
    // 14 days after the purchase, a minute after midnight in Tehran.
    host.set_now(at("2026-12-03T20:31:00Z"));
    tick(&host).await;
    let m = member(&host, &id).await;
    assert_eq!((m["points"].clone(), m["pending_points"].clone()), (json!(20), json!(0)));
    let entries = ledger(&host, &id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!((entries[0]["kind"].clone(), entries[0]["points"].clone(), entries[0]["ref"].clone()), (json!("earn"), json!(20), json!("1")));
    // Ticks after it change nothing; a refund after the window takes back.
    tick(&host).await;
    host.advance(chrono::Duration::days(1));
    tick(&host).await;
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after the window").await, 20);
    let r = generic(&host, "shop-1", &refunded("1", PHONE, 2_000_000, "r2")).await;
    assert_eq!(r.json()["points_delta"], -20, "{}", r.text());
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after a late refund").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lots_expire_at_the_end_of_their_month_across_the_jalali_new_year_after_a_reminder() {
    let host = host().await;
    settings(&host, json!({"points_expiry_months": 1, "expiry_reminder_days": 5})).await;
    store(&host, "shop-1", true).await;
    // 10 Esfand 1404: these points expire at the end of Farvardin 1405.
    host.set_now(at("2026-03-01T08:00:00Z"));
    tick(&host).await;
    generic(&host, "shop-1", &paid("1", PHONE, 4_000_000)).await;
    let id = member_id_of(&host, PHONE).await;
    // 5 Farvardin 1405: these expire at the end of Ordibehesht.
    host.set_now(at("2026-03-25T08:00:00Z"));
    generic(&host, "shop-1", &paid("2", PHONE, 1_500_000)).await;
    assert_eq!(member(&host, &id).await["points"], 55);

    // 25 Farvardin: no reminder yet.
    host.set_now(at("2026-04-14T08:00:00Z"));
    tick(&host).await;
    assert!(events(&host, day(2026, 4, 14)).iter().all(|e| e["kind"] != "expiry_reminder"));
    // 26 Farvardin, five days before its end: the reminder, once.
    host.set_now(at("2026-04-15T08:00:00Z"));
    tick(&host).await;
    tick(&host).await;
    let reminders: Vec<Value> = events(&host, day(2026, 4, 15)).into_iter().filter(|e| e["kind"] == "expiry_reminder").collect();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!((reminders[0]["member"].as_str(), reminders[0]["points"].clone(), reminders[0]["expires_on"].clone()), (Some(id.as_str()), json!(40), json!("1405-01-31")));

    // 31 Farvardin, the lot's last day: still there.
    host.set_now(at("2026-04-20T20:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["points"], 55);
    // 1 Ordibehesht, 00:01 in Tehran: the Esfand lot is gone, the Farvardin one stays.
    host.set_now(at("2026-04-20T20:31:00Z"));
    let t = tick(&host).await;
    assert!(t.stderr.contains("1 expired"), "{}", t.stderr);
    assert_eq!(member(&host, &id).await["points"], 15);
    let entries = ledger(&host, &id).await;
    assert_eq!((entries[0]["kind"].clone(), entries[0]["points"].clone(), entries[0]["ref"].clone()), (json!("expire"), json!(-40), json!("1405-01")));
    tick(&host).await;
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after expiry").await, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spending_takes_the_soonest_expiring_points_so_expiry_takes_only_what_is_left() {
    let host = host().await;
    settings(&host, json!({"points_expiry_months": 1})).await;
    store(&host, "shop-1", true).await;
    host.set_now(at("2026-03-01T08:00:00Z"));
    tick(&host).await;
    generic(&host, "shop-1", &paid("1", PHONE, 4_000_000)).await;
    let id = member_id_of(&host, PHONE).await;
    host.set_now(at("2026-03-25T08:00:00Z"));
    generic(&host, "shop-1", &paid("2", PHONE, 1_500_000)).await;
    let r = adjust(&host, &id, json!({"points": -30, "reason": "gift"})).await;
    assert_eq!(r.json()["points"], 25, "{}", r.text());
    host.set_now(at("2026-04-21T08:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["points"], 15, "10 of the Esfand lot were left to expire");
    assert_eq!(assert_balance_is_the_ledger(&host, &id, "after expiry").await, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_goes_up_on_a_purchase_and_down_only_in_the_daily_review() {
    let host = host().await;
    store(&host, "shop-1", true).await;
    host.set_now(at("2026-01-10T08:00:00Z"));
    tick(&host).await;
    let r = generic(&host, "shop-1", &paid("1", PHONE, 20_000_000)).await;
    assert_eq!(r.json()["tier"], "silver", "{}", r.text());
    let id = member_id_of(&host, PHONE).await;
    assert_eq!(ledger(&host, &id).await[0]["note"], "tier_upgrade:silver");
    let upgrades: Vec<Value> = events(&host, day(2026, 1, 10)).into_iter().filter(|e| e["kind"] == "tier_upgrade").collect();
    assert_eq!(upgrades.len(), 1, "{upgrades:?}");
    assert_eq!((upgrades[0]["member"].as_str(), upgrades[0]["tier"].as_str()), (Some(id.as_str()), Some("silver")));

    // A refund drops the window's spend below silver: the tier holds until
    // the next daily review.
    let r = generic(&host, "shop-1", &refunded("1", PHONE, 10_000_000, "r1")).await;
    assert_eq!(r.json()["tier"], "silver", "{}", r.text());
    tick(&host).await;
    assert_eq!(member(&host, &id).await["tier"], "silver");
    host.set_now(at("2026-01-10T21:00:00Z")); // 00:30 the next day in Tehran
    tick(&host).await;
    assert_eq!(member(&host, &id).await["tier"], "bronze");

    // Back to silver, and down again when the spend leaves the window, a
    // year and a month on.
    host.set_now(at("2026-01-11T08:00:00Z"));
    generic(&host, "shop-1", &paid("2", PHONE, 15_000_000)).await;
    assert_eq!(member(&host, &id).await["tier"], "silver");
    host.set_now(at("2026-12-01T08:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["tier"], "silver");
    host.set_now(at("2027-03-01T08:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["tier"], "bronze");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_change_with_time_and_each_change_is_recorded_on_its_day() {
    let host = host().await;
    store(&host, "shop-1", true).await;
    host.set_now(at("2026-05-01T08:00:00Z"));
    tick(&host).await;
    generic(&host, "shop-1", &paid("1", PHONE, 5_000_000)).await;
    let id = member_id_of(&host, PHONE).await;
    let m = member(&host, &id).await;
    assert_eq!((m["segment"].clone(), m["rfm"].clone()), (json!("new"), json!({"recency": 5, "frequency": 1, "monetary": 1})));
    host.set_now(at("2026-05-21T08:00:00Z"));
    generic(&host, "shop-1", &paid("2", PHONE, 5_000_000)).await;
    assert_eq!(member(&host, &id).await["segment"], "active");
    // Thirty days on, recency drops a score; the segment holds.
    host.set_now(at("2026-06-21T08:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["rfm"]["recency"], 4);
    // Twice the 20-day gap after the last order: at risk, the next day.
    host.set_now(at("2026-06-30T19:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["segment"], "active");
    host.set_now(at("2026-07-01T08:00:00Z"));
    tick(&host).await;
    assert_eq!(member(&host, &id).await["segment"], "at_risk");
    let entered: Vec<Value> = events(&host, day(2026, 7, 1)).into_iter().filter(|e| e["kind"] == "segment").collect();
    assert_eq!(entered.len(), 1, "{entered:?}");
    assert_eq!(entered[0]["segment"], "at_risk");
    // 60 days without an order: lapsed (win-back's cue).
    host.set_now(at("2026-07-21T08:00:00Z"));
    tick(&host).await;
    let m = member(&host, &id).await;
    assert_eq!((m["segment"].clone(), m["rfm"]["recency"].clone()), (json!("lapsed"), json!(4)));
    assert!(events(&host, day(2026, 7, 21)).iter().any(|e| e["kind"] == "segment" && e["segment"] == "lapsed"));
    // Three orders in 180 days: loyal.
    generic(&host, "shop-1", &paid("3", PHONE, 5_000_000)).await;
    assert_eq!(member(&host, &id).await["segment"], "loyal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tick_reads_a_few_keys_whatever_the_number_of_members() {
    let host = host().await;
    store(&host, "shop-1", true).await;
    host.set_now(at("2026-05-01T08:00:00Z"));
    tick(&host).await;
    for i in 0..20 {
        generic(&host, "shop-1", &paid(&format!("o{i}"), &format!("0912{:07}", 1_000_000 + i), 5_000_000)).await;
    }
    host.advance(chrono::Duration::minutes(1));
    let idle = tick(&host).await;
    assert!(idle.kv_ops <= 4 && idle.kv_writes == 0, "{} ops, {} writes", idle.kv_ops, idle.kv_writes);
    // The next day starts with one write (the cursor) and those members'
    // reviews are 30 days away.
    host.set_now(at("2026-05-01T21:00:00Z"));
    let next_day = tick(&host).await;
    assert!(next_day.kv_ops <= 8 && next_day.kv_writes == 1, "{} ops, {} writes", next_day.kv_ops, next_day.kv_writes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_killed_at_any_step_is_finished_by_the_next() {
    let host = host().await;
    settings(&host, json!({"pending_days": 1, "tiers": [{"name": "bronze", "min_spend": 0, "multiplier_pct": 100}]})).await;
    store(&host, "shop-1", true).await;
    host.set_now(at("2026-05-01T08:00:00Z"));
    tick(&host).await;
    let mut expected = 0;
    for n in 1.. {
        generic(&host, "shop-1", &paid(&format!("o{n}"), PHONE, 2_000_000)).await;
        let id = member_id_of(&host, PHONE).await;
        host.advance(chrono::Duration::days(1));
        host.inject_kv_fault(n, Fault::Trap);
        let killed = host.cron("points-tick").await;
        assert_balance_is_the_ledger(&host, &id, &format!("after a kill at step {n}")).await;
        tick(&host).await;
        expected += 20;
        assert_eq!(member(&host, &id).await["points"], expected, "step {n}");
        assert_eq!(assert_balance_is_the_ledger(&host, &id, &format!("after the next tick at step {n}")).await, expected);
        if killed.trap.is_none() {
            assert!(n > 5, "the fault at step {n} never came");
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_waits_for_the_first_orders_points_to_count() {
    let host = host().await;
    settings(&host, json!({"pending_days": 7})).await;
    store(&host, "shop-1", false).await;
    host.set_now(at("2026-11-20T10:00:00Z"));
    tick(&host).await;
    let referrer = create_member(&host, json!({"phone": "09120000001"})).await;
    let code = referrer["referral_code"].as_str().unwrap();
    let referee = create_member(&host, json!({"phone": "09120000002", "referral_code": code})).await;
    let (referrer, referee) = (referrer["id"].as_str().unwrap(), referee["id"].as_str().unwrap());
    let r = generic(&host, "shop-1", &paid("1", "09120000002", 1_000_000)).await;
    assert_eq!((r.json()["points_delta"].clone(), r.json()["pending_points"].clone()), (json!(0), json!(10)), "{}", r.text());
    assert_eq!((member(&host, referrer).await["points"].clone(), member(&host, referee).await["points"].clone()), (json!(0), json!(0)), "an order that may still be returned pays no referral");
    host.set_now(at("2026-11-26T21:00:00Z")); // 00:30 on the 27th in Tehran: the window has closed
    tick(&host).await;
    tick(&host).await;
    assert_eq!(assert_balance_is_the_ledger(&host, referee, "referee").await, 60, "10 earned and 50 for joining by referral");
    assert_eq!(assert_balance_is_the_ledger(&host, referrer, "referrer").await, 50);
}

