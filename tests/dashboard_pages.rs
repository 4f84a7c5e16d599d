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

/// Picks `value` in the select `css`, as a person does (a `change` follows).
fn choose(b: &vafa_test_host::browser::Browser, css: &str, value: &str) {
    b.eval("const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'));", json!([css, value])).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holidays_offer_the_years_lunar_days_unticked_and_save_only_those_confirmed_with_a_jalali_picker() {
    let host = host().await;
    let given = json!([{"date": "1405-07-01", "calendar": "jalali"}, {"date": "2026-12-25", "calendar": "gregorian"}]);
    assert_eq!(admin(&host, "PATCH", "/api/settings", Some(json!({"holidays": given}))).await.status, 200);
    let before = settings(&host).await;
    let origin = host.serve().await.unwrap();
    let (h, unchanged) = (host.clone(), before.clone());
    with_browser("holidays", 360, move |b| {
        signed_in_admin(&b, &origin, "#holidays");
        b.wait("document.querySelectorAll('#holiday-list li[data-date]').length === 2").unwrap();
        assert_eq!(b.eval("return [document.querySelectorAll('#fixed-holidays li').length, document.querySelectorAll('#fixed-holidays input, #fixed-holidays select, #fixed-holidays button').length];", json!([])).unwrap(), json!([10, 0]), "the fixed holidays are shown, read-only");
        assert_eq!(b.text("#fixed-holidays li").unwrap(), "۱ فروردین");
        assert_fits_phone(&b, "holidays, Persian");
        // 1405's lunar days, computed in the browser, none ticked.
        choose(&b, "#lunar-year", "1405");
        b.wait("document.querySelector('#lunar li[data-key=ashura]')").unwrap();
        assert_eq!(b.eval("return document.querySelectorAll('#lunar input:checked').length;", json!([])).unwrap(), json!(0), "none ticked");
        let day = |key: &str| b.eval("return [...document.querySelectorAll(`#lunar li[data-key=${arguments[0]}] select`)].map(s => s.value);", json!([key])).unwrap();
        assert_eq!(day("tasua"), json!(["1405", "4", "4"]));
        assert_eq!(day("ashura"), json!(["1405", "4", "5"]));
        assert_eq!(block_on(settings(&h)), unchanged, "nothing is added without the owner");
        // Tasua as offered, Ashura a day later as the owner corrects it.
        b.click("#lunar li[data-key=tasua] input[type=checkbox]").unwrap();
        choose(&b, "#lunar li[data-key=ashura] select[id$='-d']", "6");
        b.click("#lunar li[data-key=ashura] input[type=checkbox]").unwrap();
        b.click("#lunar-add").unwrap();
        b.wait("document.querySelectorAll('#holiday-list li[data-date]').length === 4").unwrap();
        assert_eq!(block_on(settings(&h)), unchanged, "added to the page, not saved yet");
        // The picker knows the leap years: Esfand has 30 days in 1403, 29 in 1405.
        choose(&b, "#holiday-new-y", "1403");
        choose(&b, "#holiday-new-m", "12");
        assert_eq!(b.eval("return document.querySelectorAll('#holiday-new-d option').length;", json!([])).unwrap(), json!(30));
        choose(&b, "#holiday-new-y", "1405");
        assert_eq!(b.eval("return document.querySelectorAll('#holiday-new-d option').length;", json!([])).unwrap(), json!(29));
        choose(&b, "#holiday-new-m", "8");
        choose(&b, "#holiday-new-d", "10");
        b.click("#holiday-add").unwrap();
        b.click("#holiday-list li[data-calendar=gregorian] .remove").unwrap();
        b.wait("document.querySelectorAll('#holiday-list li[data-date]').length === 4").unwrap();
        b.click("#holidays button[type=submit]").unwrap();
        b.wait("document.querySelector('#holidays [role=status]').textContent === 'ذخیره شد.'").unwrap();
        in_english(&b, "document.querySelector('#fixed-holidays li')");
        assert_eq!(b.text("#fixed-holidays li").unwrap(), "1 Farvardin", "Jalali months by their names");
        assert_eq!(b.text("#holiday-list li[data-date='1405-04-04'] span").unwrap(), "4 Tir 1405");
        assert_fits_phone(&b, "holidays, English");
    })
    .await;
    let after = settings(&host).await;
    let jalali = |d: &str| json!({"date": d, "calendar": "jalali"});
    assert_eq!(after["holidays"], json!([jalali("1405-04-04"), jalali("1405-04-06"), jalali("1405-07-01"), jalali("1405-08-10")]));
    assert_eq!(without(&after, &["holidays"]), without(&before, &["holidays"]), "nothing else changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_adds_a_member_edits_them_changes_phone_and_consent_with_a_reason_and_erases_them_after_typing_the_word() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    let Some(id) = with_browser_value("members_crud", 360, move |b| {
        signed_in_admin(&b, &origin, "#members");
        b.wait("document.querySelector('#new-member')").unwrap();
        assert_fits_phone(&b, "members, Persian");
        b.type_into("#new-phone", "0912 555 1234").unwrap();
        b.type_into("#new-name", "نگار").unwrap();
        b.type_into("#new-tags", "vip، coffee").unwrap();
        b.click("#new-consent").unwrap();
        b.type_into("#new-consent-text", "در فروشگاه موافقت کرد").unwrap();
        b.click("#new-member button[type=submit]").unwrap();
        b.wait("document.querySelector('#member #member-edit')").unwrap();
        let id = b.eval("return document.querySelector('#member').dataset.id;", json!([])).unwrap().as_str().unwrap().to_string();
        let m = block_on(admin(&h, "GET", &format!("/api/members/{id}"), None)).json();
        assert_eq!((m["phone"].clone(), m["name"].clone(), m["tags"].clone(), m["consent"]["status"].clone()), (json!("+989125551234"), json!("نگار"), json!(["vip", "coffee"]), json!("opted_in")));
        assert_fits_phone(&b, "a member's page, Persian");
        // Details: a name and a Jalali birthday.
        b.type_into("#edit-name", "نگار احمدی").unwrap();
        b.type_into("#edit-birthday", "1370-06-15").unwrap();
        b.click("#member-edit button[type=submit]").unwrap();
        b.wait("document.querySelector('#member h1.name')?.textContent === 'نگار احمدی'").unwrap();
        // A phone the API refuses is said at the field; then a good one.
        b.type_into("#new-member-phone", "12345").unwrap();
        b.click("#member-phone button[type=submit]").unwrap();
        b.wait("document.querySelector('#member-phone [data-field=phone] .field-error').textContent !== ''").unwrap();
        b.type_into("#new-member-phone", "0919 000 1122").unwrap();
        b.click("#member-phone button[type=submit]").unwrap();
        b.wait("document.querySelector('#member p.phone')?.textContent === '+989190001122'").unwrap();
        // Consent withdrawn, with the reason kept in the history.
        b.eval("document.querySelector('#consent-marketing').value = 'opted_out';", json!([])).unwrap();
        b.type_into("#consent-reason", "درخواست تلفنی عضو").unwrap();
        b.click("#member-consent button[type=submit]").unwrap();
        b.wait("document.querySelector('#consent-history li')?.textContent.includes('درخواست تلفنی عضو')").unwrap();
        in_english(&b, "document.querySelector('#member-erase')");
        assert_fits_phone(&b, "a member's page, English");
        b.click("#lang").unwrap();
        b.wait("document.documentElement.lang === 'fa' && document.querySelector('#member-erase')").unwrap();
        // The same phone again is the existing member, linked.
        b.goto(&format!("{origin}/admin/#members")).unwrap();
        b.wait("document.querySelector('#new-member')").unwrap();
        b.type_into("#new-phone", "09190001122").unwrap();
        b.click("#new-member button[type=submit]").unwrap();
        b.wait("document.querySelector('#existing-member')").unwrap();
        b.click("#existing-member").unwrap();
        // Erasure waits for the word.
        b.wait("document.querySelector('#member-erase')").unwrap();
        b.type_into("#erase-word", "پاک").unwrap();
        assert_eq!(b.eval("return document.querySelector('#erase').disabled;", json!([])).unwrap(), json!(true));
        b.type_into("#erase-word", "پاک شود").unwrap();
        b.wait("!document.querySelector('#erase').disabled").unwrap();
        b.click("#erase").unwrap();
        b.wait("document.querySelector('#member h1.name')?.textContent === 'عضو پاک‌شده'").unwrap();
        assert_eq!(b.eval("return document.querySelectorAll('#member-edit, #member-erase').length;", json!([])).unwrap(), json!(0));
        id
    })
    .await
    else {
        return;
    };
    let m = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!((m["erased"].clone(), m["phone"].clone(), m["name"].clone(), m["birthday"].clone()), (json!(true), Value::Null, Value::Null, Value::Null));
    let history = m["consent_history"].as_array().unwrap();
    assert_eq!((history.len(), history[1]["status"].clone(), history[1]["source"].clone()), (2, json!("opted_out"), json!("api")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_redeems_a_reward_for_a_member_after_confirming_and_cancels_it_for_the_points_back() {
    let host = host().await;
    let reward = |name: &str, cost: u64| json!({"name": name, "kind": "percent", "value": 10, "cost": cost, "valid_days": 30, "min_order": 0, "stock": null, "active": true});
    assert_eq!(admin(&host, "PUT", "/api/rewards/ten-off", Some(reward("ده درصد تخفیف", 100))).await.status, 200);
    assert_eq!(admin(&host, "PUT", "/api/rewards/big", Some(reward("هدیهٔ بزرگ", 1000))).await.status, 200);
    let m = opted_in_member(&host, "09121234567").await;
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!(adjust(&host, &id, json!({"points": 150, "reason": "هدیه", "idempotency_key": "start"})).await.status, 200);
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    let member = id.clone();
    with_browser("redemptions", 360, move |b| {
        signed_in_admin(&b, &origin, &format!("#member/{member}"));
        b.wait("document.querySelector('#member-redeem #redeem-reward option')").unwrap();
        // Too dear: refused, nothing spent.
        choose(&b, "#redeem-reward", "big");
        b.click("#redeem").unwrap();
        b.click("#member-redeem .yes").unwrap();
        b.wait("document.querySelector('#redeem-error').textContent !== ''").unwrap();
        assert_eq!(block_on(admin(&h, "GET", &format!("/api/members/{member}"), None)).json()["points"], 150);
        b.click("#member-redeem .no").unwrap();
        // Asked first, with what it leaves; then the code.
        choose(&b, "#redeem-reward", "ten-off");
        b.click("#redeem").unwrap();
        b.wait("document.querySelector('#member-redeem .confirm p')").unwrap();
        assert!(b.text("#member-redeem .confirm p").unwrap().contains("۵۰"), "what the member keeps");
        assert_eq!(block_on(admin(&h, "GET", &format!("/api/members/{member}"), None)).json()["points"], 150, "nothing before the yes");
        b.click("#member-redeem .yes").unwrap();
        b.wait("document.querySelector('#redeemed code')").unwrap();
        let code = b.text("#redeemed code").unwrap();
        assert_eq!(code.len(), 12, "{code}");
        b.wait("document.querySelector('#redemptions li[data-state=issued]')").unwrap();
        assert_eq!(b.text("#redemptions li code").unwrap(), code);
        assert_eq!(block_on(admin(&h, "GET", &format!("/api/members/{member}"), None)).json()["points"], 50);
        assert_fits_phone(&b, "redemptions, Persian");
        // Cancelled after a yes: the points come back.
        b.click("#redemptions li .cancel").unwrap();
        b.click("#redemptions li .yes").unwrap();
        b.wait("document.querySelector('#redemptions li[data-state=cancelled]')").unwrap();
        in_english(&b, "document.querySelector('#redemptions li')");
        assert_fits_phone(&b, "redemptions, English");
    })
    .await;
    let m = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!(m["points"], 150, "the points came back");
    assert_balance_is_the_ledger(&host, &id, "after a redemption and its cancellation").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stores_currency_enrolment_and_credentials_are_edited_without_showing_its_secrets_and_its_key_is_rotated_once() {
    let host = host().await;
    let old_key = make_store(&host, "cafe").await;
    let creds = json!({"api": {"url": "https://shop.example", "consumer_key": "ck_1234567890abcdef", "consumer_secret": "cs_abcdef1234567890"}});
    assert_eq!(admin(&host, "PUT", "/api/stores/cafe", Some(creds)).await.status, 200);
    let masked = admin(&host, "GET", "/api/stores/cafe", None).await.json()["api"].clone();
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    let Some(new_key) = with_browser_value("stores", 360, move |b| {
        signed_in_admin(&b, &origin, "#stores");
        b.click("#stores li[data-id=cafe] .edit").unwrap();
        b.wait("document.querySelector('#store-form')").unwrap();
        let html = b.eval("return document.body.innerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ');", json!([])).unwrap();
        assert!(!html.as_str().unwrap().contains("1234567890abcdef") && !html.as_str().unwrap().contains("abcdef1234567890"), "no stored secret in the page");
        assert_eq!(b.eval("return document.querySelector('#store-api-consumer_secret').value;", json!([])).unwrap(), json!(""));
        assert_fits_phone(&b, "stores, Persian");
        // Changed elsewhere after the page read it: the save is refused and shows theirs.
        assert_eq!(block_on(admin(&h, "PUT", "/api/stores/cafe", Some(json!({"name": "کافه تازه"})))).status, 200);
        choose(&b, "#store-currency", "IRT");
        b.click("#store-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#store-form [role=status]')?.textContent.includes('کس دیگری')").unwrap();
        assert_eq!(b.eval("return document.querySelector('#store-name').value;", json!([])).unwrap(), json!("کافه تازه"));
        choose(&b, "#store-currency", "IRT");
        b.click("#store-auto-enroll").unwrap();
        b.type_into("#store-api-url", "https://shop2.example").unwrap();
        b.click("#store-verify").unwrap();
        b.click("#store-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#store-form [role=status]')?.textContent === 'ذخیره شد.'").unwrap();
        // A new key, after a yes, shown once with a copy button.
        b.click("#rotate").unwrap();
        b.click("#rotate-confirm").unwrap();
        b.wait("document.querySelector('#new-key')").unwrap();
        assert!(b.eval("return document.querySelector('#copy-key') !== null;", json!([])).unwrap().as_bool().unwrap());
        let key = b.text("#new-key").unwrap();
        in_english(&b, "document.querySelector('#stores li')");
        b.click("#stores li[data-id=cafe] .edit").unwrap();
        b.wait("document.querySelector('#store-form')").unwrap();
        assert_fits_phone(&b, "stores, English");
        key
    })
    .await
    else {
        return;
    };
    let s = admin(&host, "GET", "/api/stores/cafe", None).await.json();
    assert_eq!((s["name"].clone(), s["currency"].clone(), s["auto_enroll"].clone()), (json!("کافه تازه"), json!("IRT"), json!(true)));
    assert_eq!(s["api"]["url"], "https://shop2.example");
    assert_eq!((s["api"]["consumer_key"].clone(), s["api"]["consumer_secret"].clone()), (masked["consumer_key"].clone(), masked["consumer_secret"].clone()), "blank secrets kept the saved ones");
    let member = json!({"phone": "09121234567"});
    assert_error(&with_token(&host, &old_key, "POST", "/api/members", member.clone()).await, 401, "unauthorized");
    assert_eq!(with_token(&host, &new_key, "POST", "/api/members", member).await.status, 201, "the new key works");
}

/// Sets a field's value as typing would (an `input` follows): for the
/// `datetime-local` fields WebDriver cannot type into in every locale.
fn set_value(b: &vafa_test_host::browser::Browser, css: &str, value: &str) {
    b.eval("const i = document.querySelector(arguments[0]); i.value = arguments[1]; i.dispatchEvent(new Event('input'));", json!([css, value])).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bonus_rules_are_made_edited_under_if_match_removed_after_a_yes_and_their_stacking_set() {
    let host = host().await;
    assert_eq!(admin(&host, "PUT", "/api/bonus-rules/vip", Some(json!({"kind": "tag", "tag": "vip", "multiplier_pct": 150}))).await.status, 200);
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    with_browser("bonus_rules", 360, move |b| {
        signed_in_admin(&b, &origin, "#bonus");
        b.wait("document.querySelector('#bonus-rules li[data-id=vip]') && document.querySelector('#bonus-form')").unwrap();
        assert_fits_phone(&b, "bonus rules, Persian");
        // A category rule, first refused for its multiplier, said at the field.
        b.type_into("#bonus-id", "coffee").unwrap();
        choose(&b, "#bonus-kind", "category");
        b.type_into("#bonus-category", "Coffee").unwrap();
        b.type_into("#bonus-multiplier", "50").unwrap();
        b.click("#bonus-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-form [data-field=multiplier_pct] .field-error').textContent !== ''").unwrap();
        b.type_into("#bonus-multiplier", "300").unwrap();
        b.click("#bonus-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-rules li[data-id=coffee]')").unwrap();
        // A window on the club's clock.
        b.wait("document.querySelector('#bonus-form:not([data-id])')").unwrap();
        b.type_into("#bonus-id", "black-friday").unwrap();
        choose(&b, "#bonus-kind", "window");
        set_value(&b, "#bonus-starts", "2026-11-27T00:00");
        set_value(&b, "#bonus-ends", "2026-11-28T00:00");
        b.type_into("#bonus-multiplier", "200").unwrap();
        b.click("#bonus-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-rules li[data-id=black-friday]')").unwrap();
        // A taken id is not overwritten by a new rule.
        b.type_into("#bonus-id", "vip").unwrap();
        b.click("#bonus-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-form [data-field=id] .field-error').textContent !== ''").unwrap();
        // Edited elsewhere after the page read it: refused, theirs shown.
        b.click("#bonus-rules li[data-id=vip] .edit").unwrap();
        b.wait("document.querySelector('#bonus-form[data-id=vip]')").unwrap();
        assert_eq!(block_on(admin(&h, "PUT", "/api/bonus-rules/vip", Some(json!({"kind": "tag", "tag": "vip", "multiplier_pct": 175})))).status, 200);
        b.click("#bonus-active").unwrap();
        b.click("#bonus-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-form [role=status]')?.textContent.includes('کس دیگری')").unwrap();
        assert_eq!(b.eval("return document.querySelector('#bonus-multiplier').value;", json!([])).unwrap(), json!("175"));
        b.click("#bonus-active").unwrap();
        b.click("#bonus-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-rules li[data-id=vip][data-active=false]')").unwrap();
        // Removed after a yes.
        b.click("#bonus-rules li[data-id=coffee] .remove").unwrap();
        b.click("#bonus-rules li[data-id=coffee] .yes").unwrap();
        b.wait("document.querySelector('#bonus-rules li') && !document.querySelector('#bonus-rules li[data-id=coffee]')").unwrap();
        choose(&b, "#bonus-stacking", "add");
        b.click("#bonus-stack button[type=submit]").unwrap();
        b.wait("document.querySelector('#bonus-stack [role=status]').textContent === 'ذخیره شد.'").unwrap();
        in_english(&b, "document.querySelector('#bonus-rules li')");
        assert_fits_phone(&b, "bonus rules, English");
    })
    .await;
    let all = admin(&host, "GET", "/api/bonus-rules", None).await.json();
    assert_eq!(all, json!({"stacking": "add", "rules": [
        {"id": "vip", "kind": "tag", "tag": "vip", "multiplier_pct": 175, "active": false},
        {"id": "black-friday", "kind": "window", "starts_at": "2026-11-26T20:30:00Z", "ends_at": "2026-11-27T20:30:00Z", "multiplier_pct": 200, "active": true},
    ]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automations_report_shows_what_its_messages_led_to_and_the_feedbacks_nps() {
    let host = host().await;
    host.set_now("2026-11-24T07:00:00Z".parse().unwrap()); // 10:30 in Tehran, a working day
    store(&host, "shop-1", false).await;
    let r = admin(&host, "PUT", "/api/automations/feedback", Some(json!({"enabled": true, "template": "از ۰ تا ۱۰ چه امتیازی می‌دهید؟", "offset_days": 0}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let phones = ["09120000002", "09120000003", "09120000004"];
    for (i, p) in phones.iter().enumerate() {
        create_member(&host, json!({"phone": p, "consent": {"marketing": true, "source": "checkout"}})).await;
        assert_eq!(generic(&host, "shop-1", &paid(&format!("o-{i}"), p, 1_000_000)).await.status, 200);
    }
    for minute in 0..2 {
        host.advance(chrono::Duration::minutes(minute));
        for c in ["points-tick", "campaigns-tick", "sender"] {
            assert_eq!(host.cron(c).await.result, Ok(()), "{c}");
        }
    }
    for (p, score) in phones.iter().zip(["10", "9", "3"]) {
        assert_eq!(inbound_json(&host, p, score).await.json()["action"], "feedback_score");
    }
    let origin = host.serve().await.unwrap();
    with_browser("automation_report", 360, move |b| {
        signed_in_admin(&b, &origin, "#automations");
        b.click("#report-feedback").unwrap();
        b.wait("document.querySelector('#funnel li[data-step=sent] strong')").unwrap();
        assert_eq!(b.text("#funnel li[data-step=sent] strong").unwrap(), "۳");
        assert_eq!(b.eval("return document.querySelectorAll('#funnel li[data-step=audience], #funnel li[data-step=queued]').length;", json!([])).unwrap(), json!(0), "an automation has no audience of its own");
        let facts = b.text("dl.facts").unwrap();
        assert!(facts.contains("NPS") && facts.contains("۳۳ (۳)"), "{facts}");
        assert_fits_phone(&b, "an automation's report, Persian");
        in_english(&b, "document.querySelector('#funnel')");
        assert!(b.text("h1").unwrap().contains("Feedback"));
        assert_fits_phone(&b, "an automation's report, English");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_gives_staff_a_credential_shown_once_revokes_it_and_reads_the_audit_log_and_the_replies() {
    let host = host_with_provider("kavenegar").await;
    let m = opted_in_member(&host, "09121234567").await;
    assert_eq!(inbound_json(&host, "09121234567", "لغو").await.status, 200);
    assert_eq!(inbound_json(&host, "09120000000", "سلام").await.status, 200);
    let origin = host.serve().await.unwrap();
    let member = m["id"].as_str().unwrap().to_string();
    let token = with_browser_value("team", 360, move |b| {
        signed_in_admin(&b, &origin, "#team");
        b.wait("document.querySelector('#credential-form')").unwrap();
        b.type_into("#credential-name", "علی").unwrap();
        b.click("#credential-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#new-token')").unwrap();
        let token = b.text("#new-token").unwrap();
        assert!(token.starts_with("vfc_"), "{token}");
        assert_eq!(b.eval("return document.querySelectorAll('#credentials li[data-id]').length;", json!([])).unwrap(), json!(1));
        assert_fits_phone(&b, "team, Persian");
        // The token shows once: a fresh page lists the credential without it.
        b.goto(&format!("{origin}/admin/#audit")).unwrap();
        // The member made before and the credential: newest first, the member's phone hidden.
        b.wait("document.querySelectorAll('#audit li[data-seq]').length === 2").unwrap();
        let log = b.text("#audit").unwrap();
        assert!(log.find("POST /api/credentials") < log.find("POST /api/members") && !log.contains("4567"), "{log}");
        b.goto(&format!("{origin}/admin/#team")).unwrap();
        b.wait("document.querySelector('#credentials li[data-id]')").unwrap();
        assert!(!b.text("main").unwrap().contains(&token));
        b.click("#credentials .revoke").unwrap();
        b.click("#credentials .yes").unwrap();
        b.wait("document.querySelector('#credentials li.note')").unwrap();

        b.goto(&format!("{origin}/admin/#replies")).unwrap();
        b.wait("document.querySelectorAll('#replies li[data-action]').length === 2").unwrap();
        assert!(b.eval(&format!("return !!document.querySelector('#replies a[href=\"#member/{member}\"]');"), json!([])).unwrap().as_bool().unwrap());
        b.goto(&format!("{origin}/admin/#replies/opted_out")).unwrap();
        b.wait("document.querySelectorAll('#replies li[data-action]').length === 1").unwrap();
        assert_eq!(b.text("#replies li .text").unwrap(), "لغو");
        assert_fits_phone(&b, "replies, Persian");
        in_english(&b, "document.querySelector('#replies li .text')");
        assert_fits_phone(&b, "replies, English");
        token
    })
    .await;
    if let Some(token) = token {
        assert_eq!(with_token(&host, &token, "GET", "/api/members", json!({})).await.status, 401, "revoked in the page");
    }
}
