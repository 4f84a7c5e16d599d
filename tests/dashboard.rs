//! The dashboard, end to end: its files as Spin serves them (types, etags,
//! gzip, the content security policy), and the pages in a real headless
//! Chromium over real HTTP from the test host, with the real `.wasm`
//! behind them.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::browser::Browser;
use vafa_test_host::{ADMIN_TOKEN, Host};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_files_carry_their_type_etag_policy_and_compression() {
    let host = host().await;
    let r = host.request("GET", "/admin", &[], "").await;
    assert_eq!((r.status, r.header("location")), (301, Some("/admin/")));
    let page = host.request("GET", "/admin/", &[], "").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let csp = page.header("content-security-policy").expect("a content security policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(page.text().contains(r#"<html lang="fa" dir="rtl">"#));
    assert!(!page.text().contains("<script>") && !page.text().contains(" style="), "no inline script or style");

    let js = host.request("GET", "/assets/admin.js", &[], "").await;
    assert_eq!((js.status, js.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
    let etag = js.header("etag").expect("an etag").to_string();
    let again = host.request("GET", "/assets/admin.js", &[("if-none-match", &etag)], "").await;
    assert_eq!((again.status, again.body.len()), (304, 0), "the browser's copy is current");
    let gz = host.request("GET", "/assets/admin.js", &[("accept-encoding", "gzip, deflate, br")], "").await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body.len() < js.body.len(), "{} < {}", gz.body.len(), js.body.len());
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    let refused = host.request("GET", "/assets/admin.js", &[("accept-encoding", "gzip;q=0")], "").await;
    assert_eq!(refused.header("content-encoding"), None);

    assert_error(&host.request("GET", "/assets/nothing.js", &[], "").await, 404, "not_found");
    assert_error(&host.request("POST", "/admin/", &[], "").await, 405, "method_not_allowed");
    assert_eq!(host.request("GET", "/join", &[], "").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_signs_in_with_the_token_and_a_wrong_one_is_told_so() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    with_browser("admin_sign_in", 360, move |b| {
        b.goto(&format!("{origin}/admin/")).unwrap();
        b.wait("document.querySelector('#signin')").unwrap();
        assert_eq!(b.eval("return [document.documentElement.lang, document.documentElement.dir];", json!([])).unwrap(), json!(["fa", "rtl"]));
        b.type_into("#token", "not-the-token").unwrap();
        b.click("#signin button[type=submit]").unwrap();
        b.wait("document.querySelector('#signin-error').textContent !== ''").unwrap();
        assert_eq!(b.text("#signin-error").unwrap(), "توکن نادرست است.");
        b.type_into("#token", ADMIN_TOKEN).unwrap();
        b.click("#signin button[type=submit]").unwrap();
        b.wait("document.querySelector('#overview')").unwrap();
        assert_eq!(b.eval("return sessionStorage.getItem('token');", json!([])).unwrap(), json!(ADMIN_TOKEN), "kept for this tab only");
        assert_eq!(b.eval("return localStorage.getItem('token');", json!([])).unwrap(), Value::Null);
        // A reload keeps the admin signed in; signing out forgets the token.
        b.goto(&format!("{origin}/admin/#members")).unwrap();
        b.wait("document.querySelector('#members')").unwrap();
        b.click("#signout").unwrap();
        b.wait("document.querySelector('#signin')").unwrap();
        assert_eq!(b.eval("return sessionStorage.getItem('token');", json!([])).unwrap(), Value::Null);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_listed_newest_first_with_their_names_as_text_in_jalali_and_persian_digits() {
    let host = host().await;
    for i in 0..25 {
        create_member(&host, json!({"phone": format!("0912000{:04}", i), "name": format!("عضو {i}")})).await;
    }
    create_member(&host, json!({"phone": "09121234567", "name": "<script>alert(1)</script><img src=x onerror=alert(2)>", "consent": {"marketing": true, "source": "checkout"}})).await;
    let origin = host.serve().await.unwrap();
    with_browser("admin_members", 360, move |b| {
        signed_in_admin(&b, &origin, "#members");
        b.wait("document.querySelector('#members li')").unwrap();
        let first = b.eval("return [...document.querySelectorAll('#members li .name')].map(e => e.textContent);", json!([])).unwrap();
        assert_eq!(first[0], "<script>alert(1)</script><img src=x onerror=alert(2)>", "a member's name is shown as text");
        assert_eq!(first.as_array().unwrap().len(), 20, "a page of 20");
        assert_eq!(b.eval("return document.querySelectorAll('#members script, #members img').length;", json!([])).unwrap(), json!(0));
        assert_eq!(b.alert(), None, "no script of a member's ran");
        let meta = b.text("#members li .meta:last-child").unwrap();
        assert!(meta.contains("۱۴۰۵") || meta.contains("۱۴۰۴"), "a Jalali year in Persian digits: {meta}");
        b.click("#more").unwrap();
        b.wait("document.querySelectorAll('#members li').length === 26").unwrap();
        // Any spelling of a phone finds the member.
        b.type_into("#phone", "۰۹۱۲ ۱۲۳ ۴۵۶۷").unwrap();
        b.click("#search button[type=submit]").unwrap();
        b.wait("document.querySelectorAll('#members li').length === 1").unwrap();
        assert_eq!(b.text("#members li .phone").unwrap(), "+989121234567");
        // Usable at 360 px: nothing wider than the screen.
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_english_switch_turns_the_page_left_to_right_and_is_remembered() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    with_browser("english_switch", 1280, move |b| {
        b.goto(&format!("{origin}/admin/")).unwrap();
        b.wait("document.querySelector('#signin')").unwrap();
        b.click("#lang").unwrap();
        b.wait("document.documentElement.lang === 'en'").unwrap();
        assert_eq!(b.eval("return document.documentElement.dir;", json!([])).unwrap(), json!("ltr"));
        assert_eq!(b.text("#signin h1").unwrap(), "Club admin sign-in");
        b.goto(&format!("{origin}/join")).unwrap();
        b.wait("document.querySelector('#join')").unwrap();
        assert_eq!(b.eval("return [document.documentElement.lang, document.documentElement.dir];", json!([])).unwrap(), json!(["en", "ltr"]));
        b.click("#lang").unwrap();
        b.wait("document.documentElement.dir === 'rtl'").unwrap();
        assert_eq!(b.text("#title").unwrap(), "عضویت در باشگاه");
    })
    .await;
}

fn code_in(host: &Host, e164: &str) -> String {
    let d = host.panel().delivered();
    let text = &d.iter().rev().find(|d| d.to == e164).expect("a join code by SMS").text;
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Sara joins on the join page at `url` with `phone` (`e164` in any
/// spelling), first typing `wrong` if given, then the code the fake panel
/// received; the page names the way out before she agrees.
fn join(b: &Browser, host: &Host, url: &str, phone: &str, e164: &str, wrong: Option<&str>) {
    b.goto(url).unwrap();
    assert!(b.text("#consent").unwrap().contains("لغو"), "the consent text names the way out");
    b.type_into("#phone", phone).unwrap();
    b.type_into("#name", "سارا").unwrap();
    b.type_into("#birthday", "1370/06/21").unwrap();
    b.click("#join button[type=submit]").unwrap();
    b.wait("document.querySelector('#verify')").unwrap();
    if let Some(wrong) = wrong {
        b.type_into("#code", wrong).unwrap();
        b.click("#verify button[type=submit]").unwrap();
        b.wait("document.querySelector('#join-error').textContent !== ''").unwrap();
    }
    b.type_into("#code", &code_in(host, e164)).unwrap();
    b.click("#verify button[type=submit]").unwrap();
    b.wait("document.querySelector('#joined')").unwrap();
}

/// Sara signs in to her page at `origin` with the code texted to
/// 0912 123 4567, first typing `wrong` if given (and told so).
fn sign_in_to_me(b: &Browser, host: &Host, origin: &str, wrong: Option<&str>) {
    b.goto(&format!("{origin}/me")).unwrap();
    b.wait("document.querySelector('#me-phone')").unwrap();
    b.type_into("#phone", "09121234567").unwrap();
    b.click("#me-phone button[type=submit]").unwrap();
    b.wait("document.querySelector('#me-code')").unwrap();
    if let Some(wrong) = wrong {
        b.type_into("#code", wrong).unwrap();
        b.click("#me-code button[type=submit]").unwrap();
        b.wait("document.querySelector('#me-error').textContent !== ''").unwrap();
    }
    b.type_into("#code", &code_in(host, "+989121234567")).unwrap();
    b.click("#me-code button[type=submit]").unwrap();
    b.wait("document.querySelector('#me')").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_joins_with_the_code_texted_to_them() {
    let host = host_with_provider("kavenegar").await;
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    with_browser("join", 360, move |b| {
        join(&b, &h, &format!("{origin}/join"), "0912 123 4567", "+989121234567", Some("000000"));
    })
    .await;
    let m = admin(&host, "GET", "/api/members?phone=09121234567", None).await.json();
    assert_eq!((m["name"].clone(), m["consent"]["status"].clone(), m["consent"]["source"].clone()), (json!("سارا"), json!("opted_in"), json!("web")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_joins_then_signs_in_to_their_page_sees_points_and_codes_and_opts_out() {
    let host = host_with_provider("kavenegar").await;
    let origin = host.serve().await.unwrap();
    let (h, o) = (host.clone(), origin.clone());
    with_browser("join-then-me", 360, move |b| {
        join(&b, &h, &format!("{o}/join"), "۰۹۱۲ ۱۲۳ ۴۵۶۷", "+989121234567", None);
    })
    .await;
    // The member buys and spends 100 of their points on a reward.
    store(&host, "shop", false).await;
    assert_eq!(generic(&host, "shop", &paid("1001", "09121234567", 15_000_000)).await.status, 200);
    admin(&host, "PUT", "/api/rewards/off10", Some(json!({"name": "۱۰٪ تخفیف", "kind": "percent", "value": 10, "cost": 100}))).await;
    let id = member_id_of(&host, "09121234567").await;
    let code = admin(&host, "POST", "/api/redemptions", Some(json!({"member_id": id, "reward_id": "off10"}))).await.json()["code"].as_str().unwrap().to_string();
    admin(&host, "PUT", "/api/rewards/ship", Some(json!({"name": "ارسال رایگان", "kind": "free_shipping", "value": 0, "cost": 50}))).await;
    let referral_code = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json()["referral_code"].as_str().unwrap().to_string();

    let h = host.clone();
    let o = origin.clone();
    with_browser("me", 360, move |b| {
        sign_in_to_me(&b, &h, &origin, Some("000000"));
        assert_eq!(b.text("h1").unwrap(), "سلام سارا");
        assert_eq!(b.text("#points strong").unwrap(), "۵۰");
        assert_eq!(b.text("#tier strong").unwrap(), "bronze");
        assert_eq!(b.text("#next-tier p").unwrap(), "با ۵٬۰۰۰٬۰۰۰ ریال خرید دیگر به سطح silver می‌رسید.");
        let codes = b.text("#codes").unwrap();
        assert!(codes.contains(&code) && codes.contains("۱۰٪ تخفیف") && codes.contains("۱۴۰۵"), "the code, its reward and its Jalali expiry: {codes}");
        assert_eq!(b.eval("return document.cookie;", json!([])).unwrap(), json!(""), "the session cookie is HttpOnly");
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true));
        b.screenshot(&vafa_test_host::guests::workspace_root().join("target/browser-screenshots/me-page.png")).unwrap();

        // A reward the 50 points left can buy: asked, confirmed, the code shown.
        assert_eq!(b.eval("return document.querySelector('#reward-off10 .redeem').disabled;", json!([])).unwrap(), json!(true), "off10 costs more than is left");
        b.click("#reward-ship .redeem").unwrap();
        b.wait("document.querySelector('#redeem-confirm')").unwrap();
        assert!(b.text("#redeem-confirm p").unwrap().contains("ارسال رایگان"));
        b.click("#redeem-yes").unwrap();
        b.wait("document.querySelector('#redeemed')").unwrap();
        b.wait("document.querySelector('#points strong').textContent === '۰'").unwrap();
        assert_eq!(b.eval("return document.querySelectorAll('#codes li').length;", json!([])).unwrap(), json!(2));
        b.click("#show-history").unwrap();
        b.wait("document.querySelectorAll('#history li').length === 3").unwrap();
        assert!(b.text("#history").unwrap().contains("دریافت جایزه"), "{}", b.text("#history").unwrap());
        let link = b.eval("return document.querySelector('#referral-link').value;", json!([])).unwrap();
        assert!(link.as_str().unwrap().ends_with(&format!("/join?ref={referral_code}")), "{link}");
        // Given when they joined: the page shows it and asks no more.
        assert_eq!(b.text("#birthday-given bdi").unwrap(), "1370/06/21");
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true));
        b.screenshot(&vafa_test_host::guests::workspace_root().join("target/browser-screenshots/me-redeemed.png")).unwrap();

        b.click("#consent-toggle").unwrap();
        b.wait("document.querySelector('#consent-status').textContent.includes('نمی‌کنید')").unwrap();
        b.click("#sign-out").unwrap();
        b.wait("document.querySelector('#me-phone')").unwrap();
        b.goto(&format!("{origin}/me")).unwrap();
        b.wait("document.querySelector('#me-phone')").unwrap();
    })
    .await;
    let m = admin(&host, "GET", "/api/members?phone=09121234567", None).await.json();
    assert_eq!((m["consent"]["status"].clone(), m["consent"]["source"].clone()), (json!("opted_out"), json!("web")));
    assert_eq!(m["birthday"], json!({"calendar": "jalali", "date": "1370-06-21"}));

    // A friend follows the referral link.
    let h = host.clone();
    with_browser("join-by-referral", 360, move |b| {
        join(&b, &h, &format!("{o}/join?ref={}", m["referral_code"].as_str().unwrap()), "09121234568", "+989121234568", None);
    })
    .await;
    let friend = admin(&host, "GET", "/api/members?phone=09121234568", None).await.json();
    assert_eq!(friend["referred_by"], json!(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_the_clubs_numbers_and_its_last_90_days() {
    let host = host().await;
    for i in 0..3 {
        opted_in_member(&host, &format!("0912000{:04}", i)).await;
    }
    create_member(&host, json!({"phone": "09120009999"})).await;
    let origin = host.serve().await.unwrap();
    with_browser("overview", 1280, move |b| {
        signed_in_admin(&b, &origin, "#overview");
        b.wait("document.querySelectorAll('#overview figure.chart canvas').length === 5").unwrap();
        assert_eq!(b.text("[data-tile=members] strong").unwrap(), "۴");
        assert_eq!(b.text("[data-tile=opted_in] strong").unwrap(), "۳ (۷۵٪)");
        // The font is ours, served from the app.
        b.wait("document.fonts.check('16px Vazirmatn')").unwrap();
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true));
        // The README's picture of the overview is this one.
        b.screenshot(&vafa_test_host::guests::workspace_root().join("target/browser-screenshots/overview-page.png")).unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_page_shows_their_points_history_and_messages_and_adjusts_once() {
    let host = host().await;
    let m = opted_in_member(&host, "09121234567").await;
    let id = m["id"].as_str().unwrap().to_string();
    inbound_json(&host, "09121234567", "لغو").await;
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    let member = id.clone();
    with_browser("member_page", 360, move |b| {
        signed_in_admin(&b, &origin, "#members");
        b.click(&format!("#members li[data-id={member}] a.name")).unwrap();
        b.wait("document.querySelector('#member #consent-history li')").unwrap();
        let history = b.eval("return [...document.querySelectorAll('#consent-history li')].map(e => e.textContent);", json!([])).unwrap();
        assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
        assert!(history[0].as_str().unwrap().contains("انصراف") && history[0].as_str().unwrap().contains("keyword"), "newest first: {history}");
        assert!(b.text("#member-messages li").unwrap().contains("لغو"), "the opt-out's confirmation");
        b.type_into("#adjust-points", "120").unwrap();
        b.type_into("#adjust-reason", "جبران تأخیر ارسال").unwrap();
        b.click("#adjust button[type=submit]").unwrap();
        b.wait("document.querySelectorAll('#ledger li').length === 1").unwrap();
        assert!(b.text("#ledger li").unwrap().contains("۱۲۰"), "{}", b.text("#ledger li").unwrap());
        let got = block_on(admin(&h, "GET", &format!("/api/members/{member}"), None)).json();
        assert_eq!(got["points"], 120, "adjusted once");
    })
    .await;
    assert_balance_is_the_ledger(&host, &id, "after the dashboard's adjustment").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_log_filters_by_status() {
    let host = host_with_provider("kavenegar").await;
    let phones = queued_confirmations(&host, 2).await;
    opted_in_member(&host, "09121112222").await;
    inbound_json(&host, "09121112222", "لغو").await;
    let origin = host.serve().await.unwrap();
    with_browser("messages", 1280, move |b| {
        signed_in_admin(&b, &origin, "#messages");
        b.wait("document.querySelectorAll('#messages li[data-status]').length === 3").unwrap();
        b.eval("document.querySelector('#status').value = 'queued';", json!([])).unwrap();
        b.click("#filters button[type=submit]").unwrap();
        b.wait("document.querySelectorAll('#messages li[data-status]').length === 2").unwrap();
        assert_eq!(b.eval("return [...document.querySelectorAll('#messages li')].every(e => e.dataset.status === 'queued');", json!([])).unwrap(), json!(true));
        assert_eq!(phones.len(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_sandbox_the_owner_reads_a_join_code_in_the_message_log_and_with_a_panel_not() {
    let host = host().await;
    assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await.status, 202);
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    with_browser("sandbox_codes", 1280, move |b| {
        signed_in_admin(&b, &origin, "#messages");
        b.wait("document.querySelector('#messages li .text')").unwrap();
        let code: String = b.text("#messages li .text").unwrap().chars().filter(char::is_ascii_digit).collect();
        assert_eq!(code.len(), 6, "the sandbox's join code shows in full");
        let r = block_on(public(&h, "POST", "/api/join/verify", json!({"phone": "09121234567", "code": code})));
        assert_eq!(r.status, 201, "{}", r.text());
    })
    .await;
    let host = host_with_provider("kavenegar").await;
    assert_eq!(public(&host, "POST", "/api/join", json!({"phone": "09121234567"})).await.status, 202);
    let text = messages(&host, "").await[0]["text"].as_str().unwrap().to_string();
    assert!(!text.chars().any(|c| c.is_ascii_digit()), "a real panel's code stays hidden: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getting_started_sets_the_club_up_connects_a_store_and_shows_the_panel_and_its_credit() {
    let host = host_with_provider("kavenegar").await;
    host.panel().set_credit(54_000.0);
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    with_browser("setup", 360, move |b| {
        signed_in_admin(&b, &origin, "#setup");
        b.wait("document.querySelector('#panel dl')").unwrap();
        let panel = b.text("#panel dl").unwrap();
        assert!(panel.contains("kavenegar") && panel.contains("۵۴٬۰۰۰"), "{panel}");
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true), "nothing wider than the phone");
        // A field the API refuses is named where it is typed.
        b.type_into("#quiet_start", "22:00").unwrap();
        b.type_into("#quiet_end", "08:00").unwrap();
        b.click("#settings button[type=submit]").unwrap();
        b.wait("document.querySelector('[data-field=quiet_hours] .field-error').textContent !== ''").unwrap();
        b.type_into("#quiet_start", "09:30").unwrap();
        b.type_into("#quiet_end", "20:30").unwrap();
        b.type_into("#sender_signature", "کافه نمونه").unwrap();
        b.click("#settings button[type=submit]").unwrap();
        b.wait("document.querySelector('#settings-note').textContent !== ''").unwrap();
        let saved = block_on(admin(&h, "GET", "/api/settings", None)).json();
        assert_eq!((saved["sender_signature"].clone(), saved["quiet_hours"]["start"].clone()), (json!("کافه نمونه"), json!("09:30")));
        // A store: its webhook URL and API key to paste, and the steps.
        b.type_into("[id=store_id]", "cafe").unwrap();
        b.type_into("[id=store_name]", "کافه نمونه").unwrap();
        b.click("#store button[type=button]").unwrap();
        assert_eq!(b.eval("return document.querySelector('#secret').value.length;", json!([])).unwrap(), json!(64));
        b.click("#store button[type=submit]").unwrap();
        b.wait("document.querySelector('#webhook-url')").unwrap();
        assert_eq!(b.text("#webhook-url").unwrap(), format!("{origin}/hooks/woocommerce/cafe"));
        assert!(b.text("#api-key").unwrap().starts_with("vfs_"));
    })
    .await;
    let store = admin(&host, "GET", "/api/stores/cafe", None).await.json();
    assert_eq!(store["platform"], "woocommerce");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_getting_started_keeps_settings_made_elsewhere_and_an_edit_in_between_is_shown() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    with_browser("no-lost-update", 360, move |b| {
        signed_in_admin(&b, &origin, "#setup");
        b.wait("document.querySelector('#settings')").unwrap();
        // Set through the API after the page read the settings: silver's
        // threshold, a holiday, the cap and 14 pending days.
        let mut tiers = block_on(admin(&h, "GET", "/api/settings", None)).json()["tiers"].clone();
        tiers[1]["min_spend"] = json!(30_000_000);
        let elsewhere = json!({"tiers": tiers, "holidays": [{"date": "1405-01-13"}], "frequency_cap": {"per_day": 1, "per_week": 2}, "pending_days": 14});
        assert_eq!(block_on(admin(&h, "PATCH", "/api/settings", Some(elsewhere.clone()))).status, 200);
        // The page's save is refused as stale, shows the saved values and
        // says why; saved again, it changes only its own fields.
        b.type_into("#sender_signature", "کافه نمونه").unwrap();
        b.click("#settings button[type=submit]").unwrap();
        b.wait("document.querySelector('#settings-note').textContent !== ''").unwrap();
        let note = b.text("#settings-note").unwrap();
        assert!(note.contains("کس دیگری"), "{note}");
        b.type_into("#sender_signature", "کافه نمونه").unwrap();
        b.click("#settings button[type=submit]").unwrap();
        b.wait("document.querySelector('#settings-note').textContent === 'ذخیره شد.'").unwrap();
        let saved = block_on(admin(&h, "GET", "/api/settings", None)).json();
        assert_eq!(saved["sender_signature"], "کافه نمونه");
        for key in ["tiers", "frequency_cap", "pending_days"] {
            assert_eq!(saved[key], elsewhere[key], "{key} survived the dashboard's save: {saved}");
        }
        assert_eq!(saved["holidays"], json!([{"date": "1405-01-13", "calendar": "jalali"}]));
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true), "nothing wider than the phone");
    })
    .await;
}

/// The goal the dashboard is built for: from nothing to a live club (set
/// up, a store connected, a reward and an automation, the first member
/// joined by SMS code, their first points from an order, their first code
/// redeemed at checkout, a campaign to everyone) with the dashboard alone,
/// in Persian, the codes read from the fake panel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_owner_goes_from_nothing_to_a_live_club_in_the_dashboard() {
    let host = host_with_provider("kavenegar").await;
    let origin = host.serve().await.unwrap();
    let h = host.clone();
    let o = origin.clone();
    let Some((secret, api_key)) = with_browser_value("journey-setup", 1280, move |b| {
        signed_in_admin(&b, &o, "#setup");
        b.type_into("#sender_signature", "کافه نمونه").unwrap();
        b.click("#settings button[type=submit]").unwrap();
        b.wait("document.querySelector('#settings-note').textContent !== ''").unwrap();
        b.type_into("[id=store_id]", "cafe").unwrap();
        b.type_into("[id=store_name]", "کافه نمونه").unwrap();
        b.click("#store button[type=button]").unwrap();
        let secret = b.eval("return document.querySelector('#secret').value;", json!([])).unwrap().as_str().unwrap().to_string();
        b.click("#store button[type=submit]").unwrap();
        b.wait("document.querySelector('#api-key')").unwrap();
        let api_key = b.text("#api-key").unwrap();

        // A reward, and a welcome message edited beside its preview.
        b.goto(&format!("{o}/admin/#rewards")).unwrap();
        b.wait("document.querySelector('#reward-form')").unwrap();
        b.type_into("#reward-id", "off10").unwrap();
        b.type_into("#reward-name", "۱۰٪ تخفیف").unwrap();
        b.type_into("#cost", "20").unwrap();
        b.click("#reward-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#rewards [data-id=off10]')").unwrap();
        b.goto(&format!("{o}/admin/#automations")).unwrap();
        b.wait("document.querySelector('#automation-welcome')").unwrap();
        b.click("#automation-welcome summary").unwrap();
        b.click("#welcome-enabled").unwrap();
        b.type_into("#welcome-template", "{name|دوست عزیز}، به باشگاه خوش آمدید! کد هدیه: {code}").unwrap();
        b.wait("document.querySelector('#automation-welcome [data-preview=box]').dataset.state === 'error'").unwrap();
        b.eval("const s = document.querySelector('#welcome-reward'); s.value = 'off10'; s.dispatchEvent(new Event('change'));", json!([])).unwrap();
        b.wait("document.querySelector('#automation-welcome [data-preview=box]').dataset.state === 'ok'").unwrap();
        let preview = b.text("#automation-welcome [data-preview=box]").unwrap();
        assert!(preview.contains("سارا، به باشگاه خوش آمدید!") && preview.contains("کافه نمونه") && preview.contains("UCS-2 · ۱ بخش · ۶۵ نویسه"), "the sample with the signature and footer, its encoding and parts: {preview}");
        b.click("#welcome-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#welcome-form [role=status]').textContent !== ''").unwrap();

        // The first member joins on the public page with the texted code.
        join(&b, &h, &format!("{o}/join"), "0912 123 4567", "+989121234567", None);
        (secret, api_key)
    })
    .await
    else {
        return;
    };
    let automation = admin(&host, "GET", "/api/automations/welcome", None).await.json();
    assert_eq!((automation["enabled"].clone(), automation["reward_id"].clone()), (json!(true), json!("off10")));

    // The shop, set up with the pasted URL and secret, sends an order…
    let body = std::fs::read(vafa_test_host::guests::workspace_root().join("tests/fixtures/woocommerce/order-processing.json")).unwrap();
    let sig = {
        use base64::Engine;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    let r = host.request("POST", "/hooks/woocommerce/cafe", &[("content-type", "application/json"), ("x-wc-webhook-topic", "order.updated"), ("x-wc-webhook-signature", &sig)], body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["points_delta"], 29);
    // …and at its checkout, with its API key, the member spends 20 points on a code it then uses.
    let id = member_id_of(&host, "09121234567").await;
    let code = with_token(&host, &api_key, "POST", "/api/redemptions", json!({"member_id": id, "reward_id": "off10"})).await;
    assert_eq!(code.status, 201, "{}", code.text());
    let code = code.json()["code"].as_str().unwrap().to_string();
    let used = with_token(&host, &api_key, "POST", &format!("/api/codes/{code}/consume"), json!({"order_id": "2001"})).await;
    assert_eq!(used.status, 200, "{}", used.text());

    let o = origin.clone();
    with_browser("journey-club", 1280, move |b| {
        let origin = o;
        signed_in_admin(&b, &origin, &format!("#member/{id}"));
        b.wait("document.querySelector('#ledger li')").unwrap();
        let ledger = b.text("#ledger").unwrap();
        assert!(ledger.contains("earn") && ledger.contains("redeem") && ledger.contains("۹"), "earned 29, spent 20, 9 left: {ledger}");
        // A campaign to everyone: its audience counted before it is scheduled, then its funnel.
        b.goto(&format!("{origin}/admin/#campaigns")).unwrap();
        b.wait("document.querySelector('#campaign-form')").unwrap();
        b.type_into("#campaign-name", "یلدا").unwrap();
        b.type_into("#campaign-template", "{name|مشتری عزیز}، شب یلدا ۲۰٪ تخفیف!").unwrap();
        b.wait("document.querySelector('#campaign-form [data-preview=meta]').textContent.includes('۱ عضو')").unwrap();
        b.click("#campaign-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#funnel')").unwrap();
        assert!(b.text("h1").unwrap().contains("یلدا"));
    })
    .await;
    let campaigns = admin(&host, "GET", "/api/campaigns", None).await.json();
    assert_eq!(campaigns["campaigns"][0]["name"], "یلدا");
    let id = campaigns["campaigns"][0]["id"].as_str().unwrap().to_string();
    // The ticks queue it and judge it when it is due.
    for _ in 0..3 {
        host.advance(chrono::Duration::minutes(1));
        host.cron("campaigns-tick").await;
        host.cron("sender").await;
    }
    let stats = admin(&host, "GET", &format!("/api/campaigns/{id}"), None).await.json()["stats"].clone();
    with_browser("journey-funnel", 1280, move |b| {
        signed_in_admin(&b, &origin, &format!("#campaign/{id}"));
        b.wait("document.querySelector('#funnel')").unwrap();
        let step = |name: &str| b.text(&format!("#funnel [data-step={name}] strong")).unwrap();
        assert_eq!((step("audience"), step("queued")), ("۱".to_string(), "۱".to_string()), "{stats}");
        // The welcome went out the same day: the frequency cap holds the broadcast back, and says so.
        assert_eq!(step("sent"), "۰", "{stats}");
        assert!(b.text("dl.facts").unwrap().contains("سقف پیامک ۱"), "{stats}");
        b.screenshot(&vafa_test_host::guests::workspace_root().join("target/browser-screenshots/campaign-page.png")).unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editors_fit_a_phone_and_a_refused_template_says_why_under_it() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    with_browser("editors", 360, move |b| {
        signed_in_admin(&b, &origin, "#campaigns");
        for (hash, ready) in [("#rewards", "#reward-form"), ("#automations", "#automation-winback"), ("#campaigns", "#campaign-form")] {
            b.goto(&format!("{origin}/admin/{hash}")).unwrap();
            b.wait(&format!("document.querySelector('{ready}')")).unwrap();
            assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true), "{hash} is wider than the phone");
        }
        b.type_into("#campaign-name", "یلدا").unwrap();
        b.type_into("#campaign-template", "{nmae}، سلام").unwrap();
        b.wait("document.querySelector('#campaign-form [data-preview=box]').dataset.state === 'error'").unwrap();
        assert!(b.text("#campaign-form [data-preview=meta]").unwrap().contains("nmae"), "the preview names the unknown placeholder");
        b.click("#campaign-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#campaign-form [data-field=template] .field-error').textContent !== ''").unwrap();
    })
    .await;
    assert_eq!(admin(&host, "GET", "/api/campaigns", None).await.json()["campaigns"], json!([]), "nothing was scheduled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_goes_at_the_clubs_hour_whatever_the_browsers_zone() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    let Some(()) = with_browser_value("campaign-time", 1280, move |b| {
        signed_in_admin(&b, &origin, "#campaigns");
        b.type_into("#campaign-name", "یلدا").unwrap();
        b.type_into("#campaign-template", "شب یلدا ۲۰٪ تخفیف!").unwrap();
        assert!(b.text("[for=send_at]").unwrap().contains("Asia/Tehran"), "the field says whose hour it is");
        // Nine in the evening of Yalda night in Tehran; the browser's clock reads UTC.
        b.eval("const f = document.querySelector('#send_at'); f.value = '2026-12-21T21:00'; f.dispatchEvent(new Event('input', {bubbles: true}));", json!([])).unwrap();
        let note = b.text("#send-at-note").unwrap();
        assert!(note.contains("۳۰ آذر ۱۴۰۵") && note.contains("۲۱:۰۰"), "read back in the club's calendar and hour: {note}");
        b.click("#campaign-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#funnel')").unwrap();
    })
    .await
    else {
        return;
    };
    let campaigns = admin(&host, "GET", "/api/campaigns", None).await.json();
    assert_eq!(campaigns["campaigns"][0]["send_at"], "2026-12-21T17:30:00Z", "21:00 in Tehran (UTC+3:30)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_imports_a_file_with_a_progress_bar_and_downloads_the_members() {
    let host = host().await;
    let origin = host.serve().await.unwrap();
    let tick = host.clone();
    with_browser("transfer", 1280, move |b| {
        signed_in_admin(&b, &origin, "#transfer");
        b.wait("document.querySelector('#import-form')").unwrap();
        let file = "\u{feff}phone;name;points\r\n09121234567;سارا;40\r\n0912;بد;\r\n09121234568;\"علی; رضایی\";\r\n";
        b.eval(
            "const dt = new DataTransfer(); dt.items.add(new File([arguments[0]], 'customers.csv', { type: 'text/csv' })); document.querySelector('#import-file').files = dt.files;",
            json!([file]),
        )
        .unwrap();
        b.click("#import-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#import-progress')").unwrap();
        assert_eq!(b.eval("return document.querySelector('#import-progress').value;", json!([])).unwrap(), json!(0));
        assert_eq!(b.text("#import-state").unwrap(), "در حال ورود");
        assert!(b.text("#import-refused").unwrap().starts_with("ردیف ۳:"), "{}", b.text("#import-refused").unwrap());
        tick.advance(chrono::Duration::minutes(1));
        assert_eq!(block_on(tick.cron("imports-tick")).result, Ok(()));
        // The page asks again on its own and fills the bar.
        b.wait("document.querySelector('#import-progress').value === 1").unwrap();
        assert_eq!(b.text("#import-state").unwrap(), "انجام شد");
        assert!(b.text("#import-counts").unwrap().contains("۲ عضو تازه"), "{}", b.text("#import-counts").unwrap());

        // The file saved, as bytes (a text read would drop the mark).
        b.eval("window.saved = []; const make = URL.createObjectURL; URL.createObjectURL = (blob) => { blob.arrayBuffer().then((b) => window.saved.push([...new Uint8Array(b)])); return make(blob); };", json!([])).unwrap();
        b.click("#export-members").unwrap();
        b.wait("window.saved.length === 1").unwrap();
        let bytes: Vec<u8> = serde_json::from_value(b.eval("return window.saved[0];", json!([])).unwrap()).unwrap();
        let csv = String::from_utf8(bytes).unwrap();
        assert!(csv.starts_with("\u{feff}id,phone,name,"), "{csv}");
        assert!(csv.contains("+989121234567,سارا,") && csv.contains("\"علی; رضایی\""), "{csv}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_connects_the_shops_api_and_brings_in_its_past_orders() {
    let host = host().await;
    make_store(&host, "shop-1").await;
    let mut order: Value = serde_json::from_slice(&std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/woocommerce/order-processing.json")).unwrap()).unwrap();
    order["date_created_gmt"] = json!("2026-10-01T10:00:00");
    host.platforms().add_woo_order(order);
    let (origin, shop) = (host.serve().await.unwrap(), host.platforms().origin());
    let tick = host.clone();
    with_browser("store_api", 360, move |b| {
        signed_in_admin(&b, &origin, "#transfer");
        b.wait("document.querySelector('#api-form')").unwrap();
        b.type_into("#api-store", "shop-1").unwrap();
        b.type_into("#api-url", &shop).unwrap();
        b.type_into("#api-key", vafa_test_host::store_platforms::WOO_KEY).unwrap();
        b.type_into("#api-secret", "cs_not-the-secret-at-all").unwrap();
        b.click("#api-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#api-error').textContent !== ''").unwrap();
        assert!(b.text("#api-error").unwrap().contains("401"), "the platform's word: {}", b.text("#api-error").unwrap());
        b.eval("document.querySelector('#api-secret').value = arguments[0];", json!([vafa_test_host::store_platforms::WOO_SECRET])).unwrap();
        b.click("#api-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#api-saved')").unwrap();
        let saved = b.text("#api-saved").unwrap();
        assert!(saved.contains("cs_…9f2a") && !saved.contains(vafa_test_host::store_platforms::WOO_SECRET), "{saved}");

        b.eval("document.querySelector('#backfill-since').value = '2026-09-01';", json!([])).unwrap();
        b.click("#backfill-form button[type=submit]").unwrap();
        b.wait("document.querySelector('#backfill-state')").unwrap();
        assert_eq!(b.text("#backfill-state").unwrap(), "در حال ورود");
        tick.advance(chrono::Duration::seconds(15));
        assert_eq!(block_on(tick.cron("backfill-tick")).result, Ok(()));
        b.wait("document.querySelector('#backfill-state').textContent === 'انجام شد'").unwrap();
        assert!(b.text("#backfill-counts").unwrap().starts_with("۱ سفارش"), "{}", b.text("#backfill-counts").unwrap());
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= 360;", json!([])).unwrap(), json!(true), "fits a phone");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_leaves_the_club_from_their_page_with_a_fresh_code() {
    let host = host_with_provider("kavenegar").await;
    let origin = host.serve().await.unwrap();
    let id = create_member(&host, json!({"phone": "09121234567", "name": "سارا"})).await["id"].as_str().unwrap().to_string();
    let h = host.clone();
    with_browser("me-forget", 360, move |b| {
        sign_in_to_me(&b, &h, &origin, None);
        b.click("#forget-ask").unwrap();
        b.wait("document.querySelector('#forget-confirm')").unwrap();
        assert!(code_in(&h, "+989121234567").len() == 6 && h.panel().delivered().last().unwrap().text.contains("حذف"));
        b.type_into("#forget-code", "000000").unwrap();
        b.click("#forget-confirm button[type=submit]").unwrap();
        b.wait("document.querySelector('#forget-confirm .error').textContent !== ''").unwrap();
        assert_eq!(b.eval("return document.documentElement.scrollWidth <= window.innerWidth;", json!([])).unwrap(), json!(true));
        b.type_into("#forget-code", &code_in(&h, "+989121234567")).unwrap();
        b.click("#forget-confirm button[type=submit]").unwrap();
        b.wait("document.querySelector('#forgotten')").unwrap();
        b.goto(&format!("{origin}/me")).unwrap();
        b.wait("document.querySelector('#me-phone')").unwrap();
    })
    .await;
    let m = admin(&host, "GET", &format!("/api/members/{id}"), None).await.json();
    assert_eq!((m["erased"].clone(), m["name"].clone()), (json!(true), json!(null)), "{m}");
}
