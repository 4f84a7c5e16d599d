//! The club's stores (`/api/stores`), through the real stores `.wasm`: the
//! store's key, its platform credentials and their check.

mod support;

use serde_json::{Value, json};
use support::*;
use vafa_test_host::store_platforms::{SHOPIFY_TOKEN, StoreFault, WOO_KEY, WOO_SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_gets_its_api_key_once_and_secrets_never_show() {
    let host = host().await;
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"name": "کافه", "platform": "shopify", "webhook_secret": "0123456789abcdef", "currency": "IRR", "auto_enroll": true}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let made = r.json();
    let key = made["api_key"].as_str().expect("api key on creation").to_string();
    assert!(key.starts_with("vfs_") && key.len() > 30, "{key}");
    assert_eq!((made["id"].clone(), made["platform"].clone(), made["auto_enroll"].clone()), (json!("shop-1"), json!("shopify"), json!(true)));

    let got = admin(&host, "GET", "/api/stores/shop-1", None).await;
    let text = got.text();
    assert_eq!(got.status, 200);
    for secret in ["0123456789abcdef", key.as_str(), "api_key", "webhook_secret", "hash"] {
        assert!(!text.contains(secret), "GET shows {secret}: {text}");
    }
    let dump = format!("{:?}", host.kv_snapshot());
    assert!(!dump.contains(&key), "the clear API key is stored");

    let updated = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"auto_enroll": false}))).await;
    assert_eq!(updated.status, 200);
    assert!(updated.json().get("api_key").is_none(), "the key shows only when made");
    assert_eq!(updated.json()["name"], "کافه");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_a_store_key_retires_the_old_one() {
    let host = host().await;
    let old = make_store(&host, "shop-1").await;
    let ok = with_token(&host, &old, "POST", "/api/members", json!({"phone": "09121234567"})).await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    let r = admin(&host, "POST", "/api/stores/shop-1/rotate-key", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let new = r.json()["api_key"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_error(&with_token(&host, &old, "POST", "/api/members", json!({"phone": "09121234568"})).await, 401, "unauthorized");
    assert_eq!(with_token(&host, &new, "POST", "/api/members", json!({"phone": "09121234568"})).await.status, 201);
}

/// A WooCommerce store in toman with these credentials.
fn woo_store(api: Value) -> Value {
    json!({"name": "فروشگاه نمونه", "platform": "woocommerce", "webhook_secret": "s3cret-s3cret-s3cret", "currency": "IRT", "api": api})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_credentials_are_shown_masked_kept_when_sent_back_masked_and_removed_by_null() {
    let host = host().await;
    let api = host.platforms().woo_api();
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(woo_store(api.clone()))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = admin(&host, "GET", "/api/stores/shop-1", None).await;
    assert_eq!(got.json()["api"], json!({"url": host.platforms().origin(), "consumer_key": "ck_…a3f2", "consumer_secret": "cs_…9f2a"}));
    assert!(!got.text().contains(WOO_SECRET) && !got.text().contains(WOO_KEY), "{}", got.text());

    // The form sends the masked values back with a new url: the secrets stay.
    let view = got.json()["api"].clone();
    let etag = got.header("etag").unwrap().to_string();
    let mut moved = view.clone();
    moved["url"] = json!(format!("{}/", host.platforms().origin()));
    let r = host.request("PUT", "/api/stores/shop-1", &[("authorization", &format!("Bearer {}", admin_token())), ("content-type", "application/json"), ("if-match", &etag)], json!({"api": moved}).to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let verify = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"verify": true}))).await;
    assert_eq!((verify.status, verify.json()["verified"].clone()), (200, json!(true)), "the saved secret still works: {}", verify.text());

    // Changing platform drops the other platform's credentials; null removes them.
    let r = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"api": null}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().get("api").is_none_or(Value::is_null), "{}", r.text());
    assert!(!format!("{:?}", host.kv_snapshot()).contains(WOO_SECRET), "the removed secret is gone from the store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_asks_the_platform_once_and_a_refusal_saves_nothing() {
    let host = host().await;
    make_store(&host, "shop-1").await;
    let before = host.kv_snapshot();
    let mut bad = host.platforms().woo_api();
    bad["consumer_secret"] = json!("cs_0000000000000000000000000000000000000000");
    let mut body = woo_store(bad);
    body["verify"] = json!(true);
    let refused = admin(&host, "PUT", "/api/stores/shop-1", Some(body)).await;
    assert_error(&refused, 422, "platform_unauthorized");
    assert!(refused.text().contains("401") && !refused.text().contains("cs_0000"), "{}", refused.text());
    assert_eq!(host.kv_snapshot(), before, "a refused check writes nothing");
    let asked = host.platforms().requests();
    assert_eq!(asked.len(), 1, "one call");
    assert_eq!((asked[0].method.as_str(), asked[0].path.as_str()), ("GET", "/wp-json/wc/v3/coupons?per_page=1"));

    let mut body = woo_store(host.platforms().woo_api());
    body["verify"] = json!(true);
    let ok = admin(&host, "PUT", "/api/stores/shop-1", Some(body)).await;
    assert_eq!((ok.status, ok.json()["verified"].clone()), (200, json!(true)), "{}", ok.text());

    let shopify = json!({"platform": "shopify", "api": host.platforms().shopify_api(), "verify": true});
    let ok = admin(&host, "PUT", "/api/stores/shop-1", Some(shopify)).await;
    assert_eq!((ok.status, ok.json()["api"]["access_token"].clone()), (200, json!("shpat_…cdef")), "{}", ok.text());
    assert_eq!(host.platforms().requests().last().unwrap().header("x-shopify-access-token"), Some(SHOPIFY_TOKEN));

    host.platforms().fail_next(1, StoreFault::Status(503));
    let down = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"verify": true}))).await;
    assert_error(&down, 422, "platform_error");
    let none = admin(&host, "PUT", "/api/stores/shop-1", Some(json!({"api": null, "verify": true}))).await;
    assert_error(&none, 422, "invalid_verify");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_name_their_field_and_write_nothing() {
    let host = host().await;
    make_store(&host, "shop-1").await;
    let before = host.kv_snapshot();
    let woo = host.platforms().woo_api();
    let cases = [
        (json!({"api": {"url": "http://shop.example", "consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET}}), "invalid_api.url"),
        (json!({"api": {"url": woo["url"], "consumer_key": WOO_KEY}}), "invalid_api.consumer_secret"),
        (json!({"api": {"url": woo["url"], "consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET, "access_token": SHOPIFY_TOKEN}}), "invalid_api.access_token"),
        (json!({"platform": "shopify", "api": {"shop": "shop.example", "access_token": SHOPIFY_TOKEN}}), "invalid_api.shop"),
        (json!({"api": {"url": woo["url"], "consumer_key": "ck_…a3f2", "consumer_secret": WOO_SECRET}}), "invalid_api.consumer_key"),
    ];
    for (body, code) in cases {
        let r = admin(&host, "PUT", "/api/stores/shop-1", Some(body.clone())).await;
        assert_error(&r, 422, code);
        assert!(!r.text().contains(WOO_SECRET), "{}", r.text());
    }
    assert_eq!(host.kv_snapshot(), before);
}
