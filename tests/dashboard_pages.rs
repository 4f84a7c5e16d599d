//! The dashboard's pages that run the club, in a real headless Chromium
//! against the real `.wasm`: each change made in a page is read back
//! through the API, with what it must not have touched.

mod support;

use serde_json::{Value, json};
use support::*;

/// `v` without `keys`: what a page that edits only `keys` must leave as it was.
fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

async fn settings(host: &vafa_test_host::Host) -> Value {
    admin(host, "GET", "/api/settings", None).await.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn club_rules_save_only_their_keys_name_a_refused_field_and_show_an_edit_made_in_between() {
    let host = host().await;
    assert_eq!(admin(&host, "PATCH", "/api/settings", Some(json!({"sender_signature": "کافه نمونه"}))).await.status, 200);
    let before = settings(&host).await;
    let origin = host.serve().await.unwrap();
    let (h, unchanged) = (host.clone(), before.clone());
    with_browser("club_rules", 360, move |b| {
        signed_in_admin(&b, &origin, "#rules");
        b.wait("document.querySelector('#rules #cap-week')").unwrap();
        assert_eq!(b.eval("return document.querySelector('#cap-week').value;", json!([])).unwrap(), json!("3"));
        assert_fits_phone(&b, "club rules, Persian");
        // A week's cap under the day's is refused, and said at the field.
        b.type_into("#cap-day", "2").unwrap();
        b.type_into("#cap-week", "1").unwrap();
        b.click("#rules button[type=submit]").unwrap();
        b.wait("document.querySelector('[data-field=frequency_cap] .field-error').textContent !== ''").unwrap();
        assert_eq!(block_on(settings(&h)), unchanged, "a refused save writes nothing");
        // Saved elsewhere meanwhile: the page is told, and shows it.
        assert_eq!(block_on(admin(&h, "PATCH", "/api/settings", Some(json!({"pending_days": 14})))).status, 200);
        b.type_into("#cap-week", "5").unwrap();
        b.click("#rules button[type=submit]").unwrap();
        b.wait("document.querySelector('#rules [role=status]').textContent.includes('کس دیگری')").unwrap();
        assert_eq!(b.eval("return document.querySelector('#pending_days').value;", json!([])).unwrap(), json!("14"));
        b.type_into("#cap-day", "2").unwrap();
        b.type_into("#cap-week", "5").unwrap();
        b.type_into("#quiet-start", "10:00").unwrap();
        b.type_into("#quiet-end", "20:00").unwrap();
        b.type_into("#points_expiry_months", "6").unwrap();
        b.type_into("#expiry_reminder_days", "10").unwrap();
        b.type_into("#referrer", "80").unwrap();
        b.type_into("#referee", "40").unwrap();
        b.click("#rules button[type=submit]").unwrap();
        b.wait("document.querySelector('#rules [role=status]').textContent === 'ذخیره شد.'").unwrap();
        in_english(&b, "document.querySelector('#rules #cap-week')");
        assert_fits_phone(&b, "club rules, English");
    })
    .await;
    let after = settings(&host).await;
    assert_eq!(after["frequency_cap"], json!({"per_day": 2, "per_week": 5}));
    assert_eq!(after["quiet_hours"], json!({"start": "10:00", "end": "20:00"}));
    assert_eq!((after["points_expiry_months"].clone(), after["expiry_reminder_days"].clone(), after["pending_days"].clone()), (json!(6), json!(10), json!(14)));
    assert_eq!(after["referral_points"], json!({"referrer": 80, "referee": 40}));
    let edited = ["frequency_cap", "quiet_hours", "points_expiry_months", "expiry_reminder_days", "pending_days", "referral_points"];
    assert_eq!(without(&after, &edited), without(&before, &edited), "nothing else changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_are_added_reordered_and_removed_and_a_refused_order_is_said_under_the_list() {
    let host = host().await;
    let before = settings(&host).await;
    let origin = host.serve().await.unwrap();
    let (h, unchanged) = (host.clone(), before.clone());
    with_browser("tiers", 360, move |b| {
        signed_in_admin(&b, &origin, "#tiers");
        b.wait("document.querySelectorAll('#tier-list li').length === 3").unwrap();
        assert_fits_phone(&b, "tiers, Persian");
        b.click("#tier-add").unwrap();
        b.wait("document.querySelectorAll('#tier-list li').length === 4").unwrap();
        b.type_into("#tier-3-name", "platinum").unwrap();
        b.type_into("#tier-3-min_spend", "500000000").unwrap();
        b.type_into("#tier-3-multiplier_pct", "200").unwrap();
        // Above gold, platinum's threshold no longer rises: refused, said under the list.
        b.click("#tier-list li:nth-child(4) .up").unwrap();
        b.wait("document.querySelector('#tier-list li:nth-child(3)').dataset.tier === 'platinum'").unwrap();
        b.click("#tiers button[type=submit]").unwrap();
        b.wait("document.querySelector('[data-field=tiers] .field-error').textContent.includes('min_spend')").unwrap();
        assert_eq!(block_on(settings(&h)), unchanged, "a refused save writes nothing");
        b.click("#tier-list li:nth-child(3) .down").unwrap();
        b.wait("document.querySelector('#tier-list li:nth-child(4)').dataset.tier === 'platinum'").unwrap();
        b.click("#tier-list li:nth-child(2) .remove").unwrap();
        b.wait("document.querySelectorAll('#tier-list li').length === 3").unwrap();
        b.type_into("#tier-1-multiplier_pct", "175").unwrap();
        b.click("#tiers button[type=submit]").unwrap();
        b.wait("document.querySelector('#tiers [role=status]').textContent === 'ذخیره شد.'").unwrap();
        in_english(&b, "document.querySelector('#tier-list li')");
        assert_fits_phone(&b, "tiers, English");
    })
    .await;
    let after = settings(&host).await;
    assert_eq!(after["tiers"], json!([
        {"name": "bronze", "min_spend": 0, "multiplier_pct": 100},
        {"name": "gold", "min_spend": 100_000_000, "multiplier_pct": 175},
        {"name": "platinum", "min_spend": 500_000_000, "multiplier_pct": 200},
    ]));
    assert_eq!(without(&after, &["tiers"]), without(&before, &["tiers"]), "nothing else changed");
}
