//! Automations end to end with the clock moved: a tier upgrade, points about
//! to expire and a lapsed member become marketing messages, and the guards
//! hold at send time: quiet hours, holidays, the frequency cap, and an
//! opt-out between queueing and sending.

mod support;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::*;
use vafa_test_host::Host;

const PHONE: &str = "09121234567";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn automation(host: &Host, kind: &str, template: &str) {
    let r = admin(host, "PUT", &format!("/api/automations/{kind}"), Some(json!({"enabled": true, "template": template}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn ticks(host: &Host) {
    for c in ["points-tick", "campaigns-tick", "sender"] {
        let t = host.cron(c).await;
        assert_eq!(t.result, Ok(()), "{c}: {}", t.stderr);
    }
}

/// After a jump of weeks, the ticks once a minute until the sender (which
/// sweeps a week of minutes a tick) has caught up.
async fn catch_up(host: &Host) {
    for _ in 0..8 {
        ticks(host).await;
        host.advance(chrono::Duration::minutes(1));
    }
}

async fn marketing(host: &Host, member: &str) -> Vec<Value> {
    messages(host, &format!("?member_id={member}")).await.into_iter().filter(|m| m["kind"] == "marketing").collect()
}

/// A paid order of the member, then a minute of ticks: the events it made
/// are queued.
async fn order(host: &Host, id: &str, total: i64) {
    generic(host, "shop-1", &paid(id, PHONE, total)).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(host).await;
}

/// [`club`] with the tier-upgrade automation on.
async fn club_with_upgrades(host: &Host) -> String {
    let id = club(host).await;
    ticks(host).await;
    automation(host, "tier_upgrade", "به سطح {tier} رسیدید!").await;
    id
}

/// A club whose signature is set, a store, and an opted-in member.
async fn club(host: &Host) -> String {
    let r = admin(host, "PUT", "/api/settings", Some(json!({"sender_signature": "فروشگاه نمونه"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    store(host, "shop-1", false).await;
    opted_in_member(host, PHONE).await["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_upgrade_sends_its_congratulation_within_quiet_hours() {
    let host = host().await;
    host.set_now(at("2026-11-24T08:00:00Z")); // 11:30 in Tehran, a working day
    let id = club(&host).await;
    ticks(&host).await;
    automation(&host, "tier_upgrade", "{name|مشتری عزیز}، به سطح {tier} رسیدید!").await;
    order(&host, "1", 20_000_000).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    let sent = marketing(&host, &id).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0]["status"].clone(), sent[0]["campaign"].clone()), (json!("sent"), json!("auto:tier_upgrade")));
    assert_eq!(sent[0]["text"], "سارا، به سطح silver رسیدید!\nفروشگاه نمونه\nلغو11");
    // Ticks after it send nothing more.
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    assert_eq!(marketing(&host, &id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_quiet_hours_a_message_waits_for_the_morning() {
    let host = host().await;
    host.set_now(at("2026-11-24T19:00:00Z")); // 22:30 in Tehran
    let id = club_with_upgrades(&host).await;
    order(&host, "1", 20_000_000).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    let waiting = marketing(&host, &id).await;
    assert_eq!((waiting[0]["status"].clone(), waiting[0]["attempts"].clone()), (json!("queued"), json!(0)), "{waiting:?}");
    assert_eq!(waiting[0]["next_attempt_at"], "2026-11-25T05:30:00Z", "09:00 in Tehran");
    // After midnight it still waits; at nine it goes.
    host.set_now(at("2026-11-24T21:30:00Z"));
    ticks(&host).await;
    assert_eq!(marketing(&host, &id).await[0]["status"], "queued");
    host.set_now(at("2026-11-25T05:30:00Z"));
    ticks(&host).await;
    assert_eq!(marketing(&host, &id).await[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_holiday_a_message_waits_for_the_next_working_day() {
    let host = host().await;
    host.set_now(at("2026-04-01T07:00:00Z")); // 12 Farvardin 1405, 10:30: 12 and 13 are holidays
    let id = club_with_upgrades(&host).await;
    order(&host, "1", 20_000_000).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    assert_eq!(marketing(&host, &id).await[0]["next_attempt_at"], "2026-04-03T05:30:00Z", "14 Farvardin, 09:00");
    host.set_now(at("2026-04-03T05:31:00Z"));
    ticks(&host).await;
    assert_eq!(marketing(&host, &id).await[0]["status"], "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frequency_cap_skips_a_second_message_the_same_day() {
    let host = host().await;
    host.set_now(at("2026-11-24T08:00:00Z"));
    let id = club(&host).await;
    ticks(&host).await;
    automation(&host, "tier_upgrade", "به سطح {tier} رسیدید!").await;
    // Silver, then gold the same day: two upgrades, one message a day.
    order(&host, "1", 20_000_000).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    order(&host, "2", 90_000_000).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    let mut all = marketing(&host, &id).await;
    all.sort_by_key(|m| m["id"].as_str().unwrap().to_string());
    let states: Vec<(Value, Value)> = all.iter().map(|m| (m["status"].clone(), m["error"].clone())).collect();
    assert_eq!(states, vec![(json!("sent"), json!(null)), (json!("skipped"), json!("frequency_cap"))], "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_opts_out_after_queueing_is_skipped() {
    let host = host().await;
    host.set_now(at("2026-11-24T19:00:00Z")); // after quiet hours: the message waits
    let id = club_with_upgrades(&host).await;
    order(&host, "1", 20_000_000).await;
    let r = inbound_json(&host, "+989121234567", "لغو11").await;
    assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
    host.set_now(at("2026-11-25T06:00:00Z"));
    ticks(&host).await;
    let m = marketing(&host, &id).await;
    assert_eq!((m[0]["status"].clone(), m[0]["error"].clone()), (json!("skipped"), json!("opted_out")), "{m:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_points_and_a_lapsed_member_get_their_messages() {
    let host = host().await;
    let r = admin(&host, "PUT", "/api/settings", Some(json!({"points_expiry_months": 1, "expiry_reminder_days": 5, "frequency_cap": {"per_day": 5, "per_week": 10}}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    store(&host, "shop-1", false).await;
    host.set_now(at("2026-03-01T08:00:00Z")); // 10 Esfand 1404
    let id = opted_in_member(&host, PHONE).await["id"].as_str().unwrap().to_string();
    ticks(&host).await;
    automation(&host, "expiry_reminder", "{name|مشتری عزیز}، {points} امتیاز شما در {expiry} می‌سوزد.").await;
    automation(&host, "winback", "{name|مشتری عزیز}، دلمان برایتان تنگ شده!").await;
    generic(&host, "shop-1", &paid("1", PHONE, 4_000_000)).await;
    // 26 Farvardin, the reminder day (the order is also 45 days old).
    host.set_now(at("2026-04-15T07:00:00Z"));
    catch_up(&host).await;
    let m = marketing(&host, &id).await;
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!((m[0]["status"].clone(), m[0]["text"].clone()), (json!("sent"), json!("سارا، ۴۰ امتیاز شما در ۱۴۰۵/۰۱/۳۱ می‌سوزد.\nلغو11")));
    // Sixty days without an order: lapsed, and the win-back message.
    host.set_now(at("2026-05-01T07:00:00Z"));
    catch_up(&host).await;
    let m = marketing(&host, &id).await;
    assert!(m.iter().any(|m| m["campaign"] == "auto:winback" && m["status"] == "sent"), "{m:?}");
}

// ---------------------------------------------------------------------------
// Broadcasts
// ---------------------------------------------------------------------------

async fn broadcast(host: &Host, body: Value) -> Value {
    let r = admin(host, "POST", "/api/campaigns", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

async fn campaign(host: &Host, id: &str) -> Value {
    admin(host, "GET", &format!("/api/campaigns/{id}"), None).await.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_goes_to_its_opted_in_audience_at_its_time_once() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z")); // 10:30 in Tehran
    let coffee = create_member(&host, json!({"phone": "09120000001", "name": "سارا", "tags": ["coffee"], "consent": {"marketing": true, "source": "checkout"}})).await;
    create_member(&host, json!({"phone": "09120000002", "tags": ["tea"], "consent": {"marketing": true, "source": "checkout"}})).await;
    let unsure = create_member(&host, json!({"phone": "09120000003", "tags": ["coffee"]})).await;
    ticks(&host).await;
    let c = broadcast(&host, json!({"name": "یلدا", "template": "{name|مشتری عزیز}، یلدا مبارک! {points} امتیاز دارید.", "audience": {"tags": ["coffee"]}, "send_at": "2026-11-24T08:00:00Z"})).await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["status"], "scheduled");
    ticks(&host).await;
    assert!(marketing(&host, coffee["id"].as_str().unwrap()).await.is_empty(), "not before its time");
    host.set_now(at("2026-11-24T08:00:00Z"));
    ticks(&host).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    let got = campaign(&host, id).await;
    let stats = json!({"audience": 2, "queued": 1, "sent": 1, "delivered": 0, "failed": 0, "parts": 1, "clicks": 0, "conversions": 0, "revenue": 0, "optouts": 0,
        "skipped": {"opted_out": 1, "frequency_cap": 0}, "held": {"quiet_hours": 0, "holiday": 0}});
    assert_eq!((got["status"].clone(), got["stats"].clone()), (json!("done"), stats), "{got}");
    let sent = marketing(&host, coffee["id"].as_str().unwrap()).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0]["status"].clone(), sent[0]["campaign"].clone(), sent[0]["text"].clone()), (json!("sent"), json!(id), json!("سارا، یلدا مبارک! ۰ امتیاز دارید.\nلغو11")));
    assert!(marketing(&host, unsure["id"].as_str().unwrap()).await.is_empty());
    assert_error(&admin(&host, "POST", &format!("/api/campaigns/{id}/cancel"), None).await, 409, "campaign_finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_larger_than_a_tick_is_queued_across_ticks() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    for i in 0..1_050 {
        let r = admin(&host, "POST", "/api/members", Some(json!({"phone": format!("0912{:07}", 2_000_000 + i), "consent": {"marketing": true, "source": "import"}}))).await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    ticks(&host).await;
    let c = broadcast(&host, json!({"name": "همه", "template": "حراج زمستانه!"})).await;
    let id = c["id"].as_str().unwrap();
    let first = host.cron("campaigns-tick").await;
    assert!(first.stderr.contains("1000 broadcast messages queued, caught up: false"), "{}", first.stderr);
    assert_eq!(campaign(&host, id).await["status"], "sending");
    let second = host.cron("campaigns-tick").await;
    assert!(second.stderr.contains("50 broadcast messages queued, caught up: true"), "{}", second.stderr);
    let got = campaign(&host, id).await;
    assert_eq!((got["status"].clone(), got["stats"]["queued"].clone()), (json!("done"), json!(1_050)));
    assert_eq!(host.cron("campaigns-tick").await.kv_writes, 0, "nothing more to do");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_broadcasts_are_refused_and_write_nothing_and_a_cancelled_one_sends_nothing() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    let m = opted_in_member(&host, PHONE).await;
    let before = host.kv_snapshot();
    assert_error(&admin(&host, "POST", "/api/campaigns", Some(json!({"name": "x", "template": "سلام", "send_at": "2026-11-24T06:50:00Z"}))).await, 422, "invalid_send_at");
    assert_error(&admin(&host, "POST", "/api/campaigns", Some(json!({"name": "x", "template": "سلام {nmae}"}))).await, 422, "invalid_template");
    assert_error(&admin(&host, "POST", "/api/campaigns", Some(json!({"name": "x", "template": "سلام", "audience": {"tiers": ["diamond"]}}))).await, 422, "invalid_audience");
    assert_error(&admin(&host, "POST", "/api/campaigns", Some(json!({"name": "x", "template": "سلام", "audience": {"moon": 1}}))).await, 422, "invalid_audience");
    assert_eq!(host.kv_snapshot(), before);
    let c = broadcast(&host, json!({"name": "فردا", "template": "فردا حراج است", "send_at": "2026-11-25T07:00:00Z"})).await;
    let id = c["id"].as_str().unwrap();
    let r = admin(&host, "POST", &format!("/api/campaigns/{id}/cancel"), None).await;
    assert_eq!((r.status, r.json()["status"].clone()), (200, json!("cancelled")), "{}", r.text());
    host.set_now(at("2026-11-25T07:00:00Z"));
    ticks(&host).await;
    assert!(marketing(&host, m["id"].as_str().unwrap()).await.is_empty());
    let list = admin(&host, "GET", "/api/campaigns", None).await.json();
    assert_eq!(list["campaigns"][0]["status"], "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_the_panels_credit_cannot_pay_for_is_refused_with_the_amount_needed() {
    // Kavenegar counts its credit in rials: the club's part cost says how
    // many a part takes. SMS.ir counts parts.
    for (provider, part_cost, enough) in [("kavenegar", 1_000, 3_000.0), ("smsir", 0, 3.0)] {
        let host = host_with_provider(provider).await;
        host.set_now(at("2026-11-24T07:00:00Z"));
        let r = admin(&host, "PUT", "/api/settings", Some(json!({"sms_part_cost": part_cost}))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        for i in 1..=3 {
            opted_in_member(&host, &format!("0912000000{i}")).await;
        }
        create_member(&host, json!({"phone": "09120000009"})).await;
        host.panel().set_credit(enough - 1.0);
        let before = host.kv_snapshot();
        let body = json!({"name": "حراج", "template": "حراج زمستانه!"});
        let r = admin(&host, "POST", "/api/campaigns", Some(body.clone())).await;
        assert_error(&r, 409, "insufficient_credit");
        let needed = enough as u64;
        assert_eq!((r.json()["error"]["needed"].clone(), r.json()["error"]["available"].clone()), (json!(needed), json!(needed - 1)), "{provider}: three opted-in members, one part each");
        assert_eq!(host.kv_snapshot(), before, "{provider}: a refusal writes nothing");
        host.panel().set_credit(enough);
        assert_eq!(broadcast(&host, body).await["status"], "scheduled", "{provider}: paid for");
    }
    // The sandbox has no credit to read: nothing is refused.
    let host = host().await;
    opted_in_member(&host, PHONE).await;
    broadcast(&host, json!({"name": "حراج", "template": "حراج زمستانه!"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_shows_the_text_its_parts_and_its_audience() {
    let host = host().await;
    let r = admin(&host, "PUT", "/api/settings", Some(json!({"sender_signature": "فروشگاه نمونه"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    create_member(&host, json!({"phone": "09120000001", "tags": ["coffee"], "consent": {"marketing": true, "source": "checkout"}})).await;
    create_member(&host, json!({"phone": "09120000002", "tags": ["coffee"]})).await;
    create_member(&host, json!({"phone": "09120000003", "tags": ["tea"], "consent": {"marketing": true, "source": "checkout"}})).await;
    let before = host.kv_snapshot();
    let r = admin(&host, "POST", "/api/campaigns/preview", Some(json!({"template": "{name|مشتری عزیز}، {points} امتیاز دارید.", "audience": {"tags": ["coffee"]}}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = r.json();
    assert_eq!(p["sample"], "سارا، ۱۲۵۰ امتیاز دارید.\nفروشگاه نمونه\nلغو11");
    assert_eq!((p["encoding"].clone(), p["parts"].clone(), p["audience"].clone(), p["messages"].clone()), (json!("ucs2"), json!(1), json!(1), json!(1)));
    assert_eq!(host.kv_snapshot(), before, "a preview writes nothing");
    assert_error(&admin(&host, "POST", "/api/campaigns/preview", Some(json!({"template": "{nmae}"}))).await, 422, "invalid_template");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaigns_report_counts_what_the_guards_held_and_skipped() {
    let host = host().await;
    host.set_now(at("2026-11-24T19:00:00Z")); // 22:30 in Tehran
    let m = opted_in_member(&host, PHONE).await;
    ticks(&host).await;
    let c = broadcast(&host, json!({"name": "شب", "template": "حراج فردا!"})).await;
    let id = c["id"].as_str().unwrap();
    ticks(&host).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(&host).await;
    assert_eq!(campaign(&host, id).await["stats"]["held"]["quiet_hours"], 1);
    let r = inbound_json(&host, "+989121234567", "لغو11").await;
    assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
    host.set_now(at("2026-11-25T05:31:00Z"));
    ticks(&host).await;
    let got = campaign(&host, id).await;
    assert_eq!(got["stats"]["skipped"], json!({"opted_out": 1, "frequency_cap": 0}), "{got}");
    assert_eq!(marketing(&host, m["id"].as_str().unwrap()).await[0]["status"], "skipped");
}


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn birthdays_are_greeted_on_their_day_in_leap_and_common_years() {
    let host = host().await;
    host.set_now(at("2025-03-19T06:00:00Z")); // 29 Esfand 1403, a leap year
    let consent = json!({"marketing": true, "source": "checkout"});
    let esfand = create_member(&host, json!({"phone": "09120000001", "name": "سارا", "birthday": "1370-12-30", "consent": consent})).await;
    let nowruz = create_member(&host, json!({"phone": "09120000002", "birthday": "01-01", "consent": consent})).await;
    let leapling = create_member(&host, json!({"phone": "09120000003", "birthday": "1992-02-29", "calendar": "gregorian", "consent": consent})).await;
    automation(&host, "birthday", "تولدت مبارک {name|دوست عزیز}!").await;
    let greeted = |m: &Value| {
        let (host, id) = (host.clone(), m["id"].as_str().unwrap().to_string());
        async move {
            let mut days: Vec<String> = marketing(&host, &id).await.iter().filter(|m| m["campaign"] == "auto:birthday").map(|m| m["created_at"].as_str().unwrap()[..10].to_string()).collect();
            days.sort();
            days
        }
    };
    let tick = |when: &'static str| {
        let host = host.clone();
        async move {
            host.set_now(at(when));
            let t = host.cron("campaigns-tick").await;
            assert_eq!(t.result, Ok(()), "{}", t.stderr);
            host.cron("campaigns-tick").await;
        }
    };
    tick("2025-03-19T06:00:00Z").await;
    assert!(greeted(&esfand).await.is_empty(), "1403 has a 30 Esfand");
    tick("2025-03-20T06:00:00Z").await; // 30 Esfand 1403
    assert_eq!(greeted(&esfand).await, ["2025-03-20"]);
    tick("2025-03-21T06:00:00Z").await; // 1 Farvardin 1404
    assert_eq!(greeted(&nowruz).await, ["2025-03-21"]);
    tick("2026-02-28T06:00:00Z").await; // 2026 has no 29 February
    assert_eq!(greeted(&leapling).await, ["2026-02-28"]);
    tick("2027-03-20T06:00:00Z").await; // 29 Esfand 1405, a common year
    assert_eq!(greeted(&esfand).await, ["2025-03-20", "2027-03-20"]);
    let text = marketing(&host, esfand["id"].as_str().unwrap()).await[0]["text"].clone();
    assert_eq!(text, "تولدت مبارک سارا!\nلغو11");
    // A changed birthday moves the greeting.
    let r = admin(&host, "PATCH", &format!("/api/members/{}", nowruz["id"].as_str().unwrap()), Some(json!({"birthday": "06-15"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    tick("2027-03-21T06:00:00Z").await; // 1 Farvardin 1406: no longer theirs
    assert_eq!(greeted(&nowruz).await, ["2025-03-21"]);
    tick("2027-09-06T06:00:00Z").await; // 15 Shahrivar 1406
    assert_eq!(greeted(&nowruz).await.len(), 2);
}

/// The campaigns of a member's marketing messages, oldest first.
async fn campaigns_of(host: &Host, member: &str) -> Vec<String> {
    let mut got: Vec<Value> = marketing(host, member).await;
    got.reverse();
    got.iter().map(|m| m["campaign"].as_str().unwrap_or_default().to_string()).collect()
}

/// A tick, a minute, and a tick: what the first queued, the second sends.
async fn queue_and_send(host: &Host) {
    ticks(host).await;
    host.advance(chrono::Duration::minutes(1));
    ticks(host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_welcomed_once_with_a_gift_code_that_costs_no_points() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    let gift = json!({"name": "ده درصد خوش‌آمد", "kind": "percent", "value": 10, "cost": 500, "stock": 1});
    assert_eq!(admin(&host, "PUT", "/api/rewards/welcome-10", Some(gift)).await.status, 200);
    let body = json!({"enabled": true, "template": "{name|دوست عزیز}، خوش آمدید! کد هدیه: {code}", "reward_id": "welcome-10"});
    let r = admin(&host, "PUT", "/api/automations/welcome", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let consent = json!({"marketing": true, "source": "checkout"});
    let sara = create_member(&host, json!({"phone": "09120000001", "name": "سارا", "consent": consent})).await;
    let later = create_member(&host, json!({"phone": "09120000002"})).await;
    let (sara, later) = (sara["id"].as_str().unwrap(), later["id"].as_str().unwrap());
    queue_and_send(&host).await;
    let sent = marketing(&host, sara).await;
    assert_eq!((sent.len(), sent[0]["status"].as_str(), sent[0]["campaign"].as_str()), (1, Some("sent"), Some("auto:welcome")), "{sent:?}");
    let text = sent[0]["text"].as_str().unwrap();
    let code = text.split("کد هدیه: ").nth(1).unwrap().split('\n').next().unwrap();
    assert_eq!(code.len(), 12, "{text}");
    let v = admin(&host, "POST", &format!("/api/codes/{code}/validate"), Some(json!({"order_total": 2_000_000}))).await;
    assert_eq!(v.json()["valid"], true, "{}", v.text());
    assert_eq!(balance_and_ledger(&host, sara).await, (0, vec![]), "a gift spends no points");
    assert!(campaigns_of(&host, later).await.is_empty(), "no consent, no welcome");

    // Consent given later is the welcome's moment; the gift is out of stock
    // by then, so that message is not sent.
    let r = admin(&host, "POST", &format!("/api/members/{later}/consent"), Some(json!({"marketing": true}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    queue_and_send(&host).await;
    assert!(campaigns_of(&host, later).await.is_empty(), "out of stock: no code to give");

    // Opting out and in again is no second welcome.
    for text in ["11", "12"] {
        assert_eq!(inbound_json(&host, "09120000001", text).await.status, 200);
    }
    host.advance(chrono::Duration::days(1));
    queue_and_send(&host).await;
    assert_eq!(campaigns_of(&host, sara).await, ["auto:welcome"]);

    // The gift is a redemption like any other; cancelling it gives back no
    // points (its stock unit returns).
    let record: Value = serde_json::from_slice(&host.kv_get(&format!("code:{code}")).unwrap()).unwrap();
    let got = admin(&host, "GET", &format!("/api/redemptions/{}", record["id"].as_str().unwrap()), None).await.json();
    assert_eq!((got["code"].as_str(), got["reward_id"].as_str()), (Some(code), Some("welcome-10")), "{got}");
    let r = admin(&host, "POST", &format!("/api/redemptions/{}/cancel", record["id"].as_str().unwrap()), None).await;
    assert_eq!((r.status, r.json()["balance"].as_i64()), (200, Some(0)), "{}", r.text());
    assert_eq!(balance_and_ledger(&host, sara).await, (0, vec![]), "no points come back from a gift");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thank_you_and_feedback_follow_a_purchase_and_a_reply_of_1_is_a_score_not_an_opt_out() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    let id = club(&host).await;
    for (kind, template, days) in [("thank_you", "{name|مشتری عزیز}، از خرید شما سپاسگزاریم!", 1), ("feedback", "از ۰ تا ۱۰ به خرید خود چه امتیازی می‌دهید؟ عدد را پاسخ دهید.", 3)] {
        let r = admin(&host, "PUT", &format!("/api/automations/{kind}"), Some(json!({"enabled": true, "template": template, "offset_days": days}))).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    order(&host, "o-1", 5_000_000).await;
    queue_and_send(&host).await;
    assert!(campaigns_of(&host, &id).await.is_empty(), "not on the day of the purchase");
    host.set_now(at("2026-11-25T07:00:00Z"));
    queue_and_send(&host).await;
    assert_eq!(campaigns_of(&host, &id).await, ["auto:thank_you"]);
    host.set_now(at("2026-11-26T07:00:00Z"));
    queue_and_send(&host).await;
    assert_eq!(campaigns_of(&host, &id).await, ["auto:thank_you"], "nothing more until the third day");
    // Before the request, 1 would opt out; now it is the score.
    host.set_now(at("2026-11-27T07:00:00Z"));
    queue_and_send(&host).await;
    let request = marketing(&host, &id).await[0].clone();
    assert_eq!((request["campaign"].as_str(), request["purpose"].as_str(), request["status"].as_str()), (Some("auto:feedback"), Some("feedback"), Some("sent")), "{request}");
    let receipts = |host: Host, id: String| async move { messages(&host, &format!("?member_id={id}")).await.into_iter().filter(|m| m["purpose"] == "feedback_receipt").collect::<Vec<_>>() };
    for _ in 0..2 {
        let r = inbound_json(&host, PHONE, "۱").await;
        assert_eq!(r.json()["action"], "feedback_score", "{}", r.text());
    }
    let got = receipts(host.clone(), id.clone()).await;
    assert_eq!(got.len(), 1, "a repeated score is answered once");
    assert_eq!(got[0]["text"], "امتیاز ۱ شما ثبت شد. از نظرتان سپاسگزاریم!\nبرای لغو پیامک‌ها «لغو11» را بفرستید.\nفروشگاه نمونه");
    let member = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!(member["consent"]["status"], "opted_in", "a score is no opt-out");
    // Once the window has closed, 1 opts out as always.
    host.set_now(at("2026-11-30T08:00:00Z"));
    let r = inbound_json(&host, PHONE, "1").await;
    assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anniversaries_of_joining_fall_on_29_esfand_in_a_common_year() {
    let host = host().await;
    let consent = json!({"marketing": true, "source": "checkout"});
    host.set_now(at("2025-03-20T06:00:00Z")); // 30 Esfand 1403, a leap year
    let esfand = create_member(&host, json!({"phone": "09120000001", "consent": consent})).await;
    host.set_now(at("2025-03-21T06:00:00Z")); // 1 Farvardin 1404
    let nowruz = create_member(&host, json!({"phone": "09120000002", "consent": consent})).await;
    automation(&host, "anniversary", "یک سال است که با ما هستید؛ سپاس!").await;
    let greeted = |m: &Value| {
        let (host, id) = (host.clone(), m["id"].as_str().unwrap().to_string());
        async move { marketing(&host, &id).await.iter().map(|m| m["created_at"].as_str().unwrap()[..10].to_string()).collect::<Vec<_>>() }
    };
    for day in ["2025-03-21", "2026-03-19", "2026-03-20", "2026-03-21", "2026-03-21"] {
        host.set_now(at(&format!("{day}T06:00:00Z")));
        let t = host.cron("campaigns-tick").await;
        assert_eq!(t.result, Ok(()), "{}", t.stderr);
    }
    assert_eq!(greeted(&esfand).await, ["2026-03-20"], "1404 has no 30 Esfand: the 29th");
    assert_eq!(greeted(&nowruz).await, ["2026-03-21"], "a year after, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replenishment_reminds_a_category_after_its_cycle_unless_the_member_bought_again() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    club(&host).await;
    let r = admin(&host, "PUT", "/api/automations/replenishment", Some(json!({"enabled": true, "template": "قهوه‌تان رو به پایان است؟", "cycles": {"Coffee": 30}}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let buy = |order: &'static str, phone: &'static str, category: &'static str| {
        let host = host.clone();
        async move {
            let body = json!({"event": "order.paid", "order_id": order, "phone": phone, "total": 1_000_000, "currency": "IRR", "items": [{"sku": "A1", "category": category, "qty": 1, "price": 1_000_000}], "occurred_at": host.now().to_rfc3339()});
            assert_eq!(generic(&host, "shop-1", &body).await.status, 200);
        }
    };
    let consent = json!({"marketing": true, "source": "checkout"});
    let (coffee, tea, again) = ("09120000001", "09120000002", "09120000003");
    for phone in [coffee, tea, again] {
        create_member(&host, json!({"phone": phone, "consent": consent})).await;
    }
    buy("o-1", coffee, "coffee").await;
    buy("o-2", tea, "tea").await;
    buy("o-3", again, "COFFEE").await;
    ticks(&host).await;
    host.set_now(at("2026-12-04T07:00:00Z"));
    buy("o-4", again, "coffee").await;
    for day in ["2026-12-14", "2026-12-24"] {
        host.set_now(at(&format!("{day}T07:00:00Z")));
        ticks(&host).await;
    }
    let reminded = |phone: &'static str| {
        let host = host.clone();
        async move { campaigns_of(&host, &member_id_of(&host, phone).await).await }
    };
    assert_eq!(reminded(coffee).await, ["auto:replenishment"], "30 days after the coffee");
    assert!(reminded(tea).await.is_empty(), "tea has no cycle");
    assert!(reminded(again).await.is_empty(), "bought again since");
    host.set_now(at("2027-01-03T07:00:00Z"));
    ticks(&host).await;
    assert_eq!(reminded(again).await, ["auto:replenishment"], "30 days after the later coffee");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reports_its_clicks_deliveries_conversions_and_opt_outs() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    let r = admin(&host, "PUT", "/api/settings", Some(json!({"sender_signature": "فروشگاه نمونه", "sms_part_cost": 1_200}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    store(&host, "shop-1", false).await;
    let phones = [PHONE, "09120000002", "09120000003"];
    let mut ids = Vec::new();
    for p in phones {
        ids.push(opted_in_member(&host, p).await["id"].as_str().unwrap().to_string());
    }
    let target = "https://shop.example.ir/yalda?utm_source=sms";
    let c = broadcast(&host, json!({"name": "یلدا", "template": "یلدا مبارک! {link}", "link_url": target})).await;
    let id = c["id"].as_str().unwrap();
    queue_and_send(&host).await;
    let slug_of = |member: String| {
        let host = host.clone();
        async move {
            let text = marketing(&host, &member).await[0]["text"].as_str().unwrap().to_string();
            text.split("http://127.0.0.1:3000/l/").nth(1).unwrap_or_else(|| panic!("no link in {text}"))[..8].to_string()
        }
    };
    let (a, b) = (slug_of(ids[0].clone()).await, slug_of(ids[1].clone()).await);
    assert_ne!(a, b, "a link per member");
    for slug in [&a, &a, &b] {
        let r = host.request("GET", &format!("/l/{slug}"), &[], "").await;
        assert_eq!((r.status, r.header("location")), (302, Some(target)), "{}", r.text());
    }
    assert_error(&host.request("GET", "/l/ZZZZZZZZ", &[], "").await, 404, "not_found");
    // A delivery report, a purchase inside the window (and a second one),
    // an opt-out; then a purchase after the window.
    let first = marketing(&host, &ids[0]).await[0].clone();
    let path = format!("/hooks/sms/delivery?token={}", vafa_test_host::CALLBACK_TOKEN);
    for _ in 0..2 {
        let r = public(&host, "POST", &path, json!({"provider_id": first["provider_id"], "status": "delivered"})).await;
        assert_eq!(r.json()["updated"], true, "{}", r.text());
    }
    host.advance(chrono::Duration::days(2));
    assert_eq!(generic(&host, "shop-1", &paid("o-1", PHONE, 5_000_000)).await.status, 200);
    assert_eq!(generic(&host, "shop-1", &paid("o-2", PHONE, 1_000_000)).await.status, 200);
    assert_eq!(inbound_json(&host, phones[2], "11").await.json()["action"], "opted_out");
    host.advance(chrono::Duration::days(6));
    assert_eq!(generic(&host, "shop-1", &paid("o-3", phones[1], 2_000_000)).await.status, 200);
    // An erased member's link still leads on and counts nothing.
    assert_eq!(admin(&host, "DELETE", &format!("/api/members/{}", ids[1]), None).await.status, 204);
    assert_eq!(host.request("GET", &format!("/l/{b}"), &[], "").await.status, 302);

    let r = admin(&host, "GET", &format!("/api/reports/campaigns/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    if host.kv_backend() == vafa_test_host::KvBackend::Sqlite {
        assert!(r.kv_ops <= 10, "a report is a handful of reads: {}", r.kv_ops);
    }
    let got = r.json();
    let s = &got["stats"];
    let counted = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(
        [counted("queued"), counted("sent"), counted("delivered"), counted("clicks"), counted("conversions"), counted("revenue"), counted("optouts")],
        [3, 3, 1, 2, 1, 5_000_000, 1],
        "{got}"
    );
    assert_eq!((got["rates"]["ctr"].as_f64(), got["rates"]["conversion_rate"].as_f64()), (Some(0.6667), Some(0.3333)), "{got}");
    assert_eq!(got["rates"]["cost"], counted("parts") * 1_200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_scores_make_the_automations_nps() {
    let host = host().await;
    host.set_now(at("2026-11-24T07:00:00Z"));
    club(&host).await;
    let r = admin(&host, "PUT", "/api/automations/feedback", Some(json!({"enabled": true, "template": "از ۰ تا ۱۰ چه امتیازی می‌دهید؟", "offset_days": 0}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let phones = ["09120000002", "09120000003", "09120000004"];
    for (i, p) in phones.iter().enumerate() {
        create_member(&host, json!({"phone": p, "consent": {"marketing": true, "source": "checkout"}})).await;
        generic(&host, "shop-1", &paid(&format!("o-{i}"), p, 1_000_000)).await;
    }
    queue_and_send(&host).await;
    for (p, score) in phones.iter().zip(["10", "9", "3"]) {
        assert_eq!(inbound_json(&host, p, score).await.json()["action"], "feedback_score");
    }
    let got = admin(&host, "GET", "/api/reports/campaigns/auto:feedback", None).await.json();
    assert_eq!((got["stats"]["sent"].as_u64(), got["nps"]["responses"].as_u64(), got["nps"]["score"].as_i64()), (Some(3), Some(3), Some(33)), "{got}");
    assert_error(&admin(&host, "GET", "/api/reports/campaigns/auto:newsletter", None).await, 404, "not_found");
}
