//! Helpers shared by the end-to-end tests: the admin's and stores' calls,
//! and reading the store for "nothing was written" assertions.
#![allow(dead_code)]

use serde_json::{Value, json};
use vafa_test_host::panel::Behaviour;
use vafa_test_host::browser::{self, Browser};
use vafa_test_host::{ADMIN_TOKEN, CALLBACK_TOKEN, Host, Reply};

pub async fn host() -> Host {
    Host::start().await.expect("the host starts")
}

/// A host whose SMS go to the fake panel through `provider`.
pub async fn host_with_provider(provider: &str) -> Host {
    let host = host().await;
    host.set_variable("sms_provider", provider);
    if provider == "webhook" {
        let url = host.panel().webhook_url();
        host.set_variable("sms_base_url", &url);
    }
    host
}

pub async fn admin(host: &Host, method: &str, path: &str, body: Option<Value>) -> Reply {
    host.admin(method, path, body).await
}

pub async fn with_token(host: &Host, token: &str, method: &str, path: &str, body: Value) -> Reply {
    let auth = format!("Bearer {token}");
    host.request(method, path, &[("authorization", &auth), ("content-type", "application/json")], body.to_string()).await
}

pub async fn public(host: &Host, method: &str, path: &str, body: Value) -> Reply {
    host.request(method, path, &[("content-type", "application/json")], body.to_string()).await
}

pub async fn create_member(host: &Host, body: Value) -> Value {
    let r = admin(host, "POST", "/api/members", Some(body)).await;
    assert_eq!(r.status, 201, "create member: {}", r.text());
    r.json()
}

pub async fn opted_in_member(host: &Host, phone: &str) -> Value {
    create_member(host, json!({"phone": phone, "name": "سارا", "consent": {"marketing": true, "source": "checkout", "text": "عضو باشگاه می‌شوم"}})).await
}

pub async fn make_store(host: &Host, id: &str) -> String {
    let r = admin(host, "PUT", &format!("/api/stores/{id}"), Some(json!({"name": "فروشگاه نمونه", "platform": "woocommerce", "webhook_secret": "s3cret-s3cret-s3cret"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["api_key"].as_str().expect("api_key when made").to_string()
}

pub async fn inbound_json(host: &Host, from: &str, text: &str) -> Reply {
    let path = format!("/hooks/sms/inbound?token={CALLBACK_TOKEN}");
    public(host, "POST", &path, json!({"from": from, "to": "10004346", "text": text})).await
}

pub async fn messages(host: &Host, query: &str) -> Vec<Value> {
    let r = admin(host, "GET", &format!("/api/messages{query}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["messages"].as_array().cloned().unwrap_or_default()
}

/// Asserts a rejected request answered the JSON error shape with `code`.
pub fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "expected {status} {code}, got {}: {}", r.status, r.text());
    let body = r.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

pub fn admin_token() -> &'static str {
    ADMIN_TOKEN
}

/// Members who opted out while the panel failed: one queued confirmation each.
pub async fn queued_confirmations(host: &Host, n: usize) -> Vec<String> {
    host.panel().set_behaviour(Behaviour::ServerError);
    let mut phones = Vec::new();
    for i in 0..n {
        let phone = format!("+98912{:07}", 1000 + i);
        opted_in_member(host, &phone).await;
        let r = inbound_json(host, &phone, "لغو11").await;
        assert_eq!(r.json()["action"], "opted_out", "{}", r.text());
        phones.push(phone);
    }
    host.panel().set_behaviour(Behaviour::Normal);
    assert!(messages(host, "").await.iter().all(|m| m["status"] == "queued" && m["attempts"] == 1));
    phones
}

// ---------------------------------------------------------------------------
// Points and order webhooks
// ---------------------------------------------------------------------------

pub async fn adjust(host: &Host, id: &str, body: Value) -> Reply {
    admin(host, "POST", &format!("/api/members/{id}/adjust"), Some(body)).await
}

/// The member's balance and every ledger entry's points, read through the API.
pub async fn balance_and_ledger(host: &Host, id: &str) -> (i64, Vec<i64>) {
    let member = admin(host, "GET", &format!("/api/members/{id}"), None).await.json();
    let mut points = Vec::new();
    let mut before = String::new();
    loop {
        let page = admin(host, "GET", &format!("/api/members/{id}/ledger?limit=100{before}"), None).await.json();
        points.extend(page["entries"].as_array().unwrap().iter().map(|e| e["points"].as_i64().unwrap()));
        match page["next_before"].as_u64() {
            Some(n) => before = format!("&before={n}"),
            None => break,
        }
    }
    (member["points"].as_i64().unwrap(), points)
}

pub async fn assert_balance_is_the_ledger(host: &Host, id: &str, context: &str) -> i64 {
    let (balance, entries) = balance_and_ledger(host, id).await;
    assert_eq!(balance, entries.iter().sum::<i64>(), "{context}: balance {balance}, entries {entries:?}");
    balance
}

/// A file of `tests/fixtures` (the platforms' documented payloads).
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)).expect("fixture")
}

pub const SECRET: &str = "s3cret-s3cret-s3cret";

/// A store (`make_store`'s secret) with `auto_enroll` as given.
pub async fn store(host: &Host, id: &str, auto_enroll: bool) {
    make_store(host, id).await;
    let r = admin(host, "PUT", &format!("/api/stores/{id}"), Some(json!({"auto_enroll": auto_enroll}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// The base64 HMAC-SHA256 of `body` with [`SECRET`] (WooCommerce's and
/// Shopify's webhook signature).
pub fn base64_hmac(body: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hmac(body))
}

pub fn hmac(body: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The generic route, signed the way README "Order webhooks" says.
pub async fn generic(host: &Host, store: &str, body: &Value) -> Reply {
    let raw = body.to_string();
    let sig = format!("sha256={}", hex::encode(hmac(raw.as_bytes())));
    host.request("POST", &format!("/hooks/orders/{store}"), &[("content-type", "application/json"), ("x-vafa-signature", &sig)], raw).await
}

pub fn paid(order: &str, phone: &str, total: i64) -> Value {
    json!({"event": "order.paid", "order_id": order, "phone": phone, "total": total, "currency": "IRR", "items": [{"sku": "A1", "category": "coffee", "qty": 1, "price": total}], "occurred_at": "2026-11-20T10:00:00Z"})
}

pub fn refunded(order: &str, phone: &str, amount: i64, refund_id: &str) -> Value {
    json!({"event": "order.refunded", "order_id": order, "phone": phone, "currency": "IRR", "refund_amount": amount, "refund_id": refund_id})
}

pub async fn member_id_of(host: &Host, phone: &str) -> String {
    let r = admin(host, "GET", &format!("/api/members?phone={phone}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

/// The digits of an SMS (a join code).
pub fn code_from(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The text of the last SMS the fake panel delivered to `e164`.
pub async fn last_sms_to(host: &Host, e164: &str) -> String {
    let d = host.panel().delivered();
    d.iter().rev().find(|d| d.to == e164).unwrap_or_else(|| panic!("no SMS to {e164}: {d:?}")).text.clone()
}

/// The phone the `/me` tests sign in with, and the loopback host a browser names.
pub const PHONE: &str = "+989121234567";
pub const LOOPBACK: &str = "127.0.0.1:3000";

/// A request as a browser on `host_header` sends it, with `cookie`.
pub async fn browser(host: &Host, host_header: &str, method: &str, path: &str, cookie: Option<&str>, body: Option<Value>) -> Reply {
    let mut headers = vec![("host", host_header), ("content-type", "application/json")];
    if let Some(c) = cookie {
        headers.push(("cookie", c));
    }
    host.request(method, path, &headers, body.map_or_else(String::new, |b| b.to_string())).await
}

/// Asks for a sign-in code, reads it from the fake panel, signs in: the
/// answer and the cookie to send back (`name=value`).
pub async fn sign_in(host: &Host, host_header: &str) -> (Reply, String) {
    let r = browser(host, host_header, "POST", "/api/me/code", None, Some(json!({"phone": "0912 123 4567"}))).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let code = code_from(&last_sms_to(host, PHONE).await);
    let r = browser(host, host_header, "POST", "/api/me/session", None, Some(json!({"phone": "09121234567", "code": code}))).await;
    let cookie = r.header("set-cookie").map(|c| c.split(';').next().unwrap().to_string()).unwrap_or_default();
    (r, cookie)
}

// ---------------------------------------------------------------------------
// The dashboard in a browser
// ---------------------------------------------------------------------------

/// Runs `steps` with a browser of `width` px on a blocking thread, or says
/// why not and skips when Chromium is not installed (`.ci/run` installs it).
pub async fn with_browser(name: &str, width: u32, steps: impl FnOnce(Browser) + Send + 'static) {
    with_browser_value(name, width, steps).await;
}

/// [`with_browser`] for steps that hand back what they read from the page
/// (`None`: skipped).
pub async fn with_browser_value<T: Send + 'static>(name: &str, width: u32, steps: impl FnOnce(Browser) -> T + Send + 'static) -> Option<T> {
    if !browser::available() {
        eprintln!("SKIPPED {name}: chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
        return None;
    }
    let name = name.to_string();
    let value = tokio::task::spawn_blocking(move || steps(Browser::start(&name, width, 800).expect("a browser")))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    Some(value)
}

/// Signs in and opens the page `hash` (`#members`).
pub fn signed_in_admin(b: &Browser, origin: &str, hash: &str) {
    b.goto(&format!("{origin}/admin/")).unwrap();
    b.type_into("#token", ADMIN_TOKEN).unwrap();
    b.click("#signin button[type=submit]").unwrap();
    b.wait("document.querySelector('#overview')").unwrap();
    b.goto(&format!("{origin}/admin/{hash}")).unwrap();
}

/// Waits for `f` on the test's runtime from a browser's blocking thread.
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Handle::current().block_on(f)
}

/// Asserts the page is no wider than the phone it is shown on (360 px), in
/// `context` (a page and a language).
pub fn assert_fits_phone(b: &Browser, context: &str) {
    let width = b.eval("return document.documentElement.scrollWidth;", json!([])).unwrap();
    assert!(width.as_u64().is_some_and(|w| w <= 360), "{context}: the page is {width} px wide on a 360 px phone");
}

/// Switches the dashboard to English (remembered) and waits for `ready`.
pub fn in_english(b: &Browser, ready: &str) {
    b.click("#lang").unwrap();
    b.wait("document.documentElement.lang === 'en'").unwrap();
    b.wait(ready).unwrap();
}

/// A reward in the catalog, by the owner.
pub async fn reward(host: &Host, id: &str, body: Value) {
    let r = admin(host, "PUT", &format!("/api/rewards/{id}"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A member with `points` given by hand.
pub async fn member_with(host: &Host, phone: &str, points: i64) -> String {
    let m = create_member(host, json!({"phone": phone})).await;
    let id = m["id"].as_str().unwrap().to_string();
    if points != 0 {
        let r = adjust(host, &id, json!({"points": points, "reason": "test"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    id
}

/// The owner redeems `reward` for `member`.
pub async fn redeem(host: &Host, member: &str, reward: &str, key: Option<&str>) -> vafa_test_host::Reply {
    let mut body = json!({"member_id": member, "reward_id": reward});
    if let Some(k) = key {
        body["idempotency_key"] = json!(k);
    }
    admin(host, "POST", "/api/redemptions", Some(body)).await
}

/// A member's balance.
pub async fn points(host: &Host, id: &str) -> i64 {
    admin(host, "GET", &format!("/api/members/{id}"), None).await.json()["points"].as_i64().unwrap()
}

/// A 10% reward for 100 points on orders from 1,000,000.
pub fn ten_percent() -> Value {
    json!({"name": "ده درصد تخفیف", "kind": "percent", "value": 10, "cost": 100, "valid_days": 30, "min_order": 1000000})
}
