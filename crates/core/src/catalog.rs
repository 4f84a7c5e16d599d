//! Product categories from the store's platform. WooCommerce and Shopify
//! order lines name a product but not its categories, which category bonus
//! rules and the replenishment automation follow. A store with API
//! credentials has each product's categories read from the platform
//! ([`request`], [`read`]): WooCommerce `GET /wp-json/wc/v3/products/{id}`
//! (the names in its `categories`), Shopify's `product(id:)` (its
//! `productType`). They are kept ([`Product`]) and read again at most once
//! a day.
//!
//! An order never waits for them: it is counted at once with what is
//! known, and when one of its products is unknown or stale a [`Job`]
//! counts it again once they are read (`wallet::Fact::Categories`), the
//! difference in points through the ledger.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::coupon::{call, graphql};
use crate::order::Item;
use crate::provider::HttpCall;
use crate::shop::Api;

/// How long a product's categories are used before they are read again.
pub const FRESH_SECONDS: i64 = 86_400;

/// Tries to read a job's products before it is counted with what is known.
pub const MAX_ATTEMPTS: u32 = 8;

/// An order whose record has not appeared this long after its job was
/// queued (its webhook's call died before counting it) is not waited for.
const ORDER_WAIT_SECONDS: i64 = 86_400;

/// A product's categories as the store names them, and when they were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    #[serde(default)]
    pub categories: Vec<String>,
    /// Unix seconds.
    pub read_at: i64,
}

impl Product {
    pub fn fresh(&self, now: DateTime<Utc>) -> bool {
        now.timestamp() - self.read_at < FRESH_SECONDS
    }
}

/// The products an order's lines name, each once.
pub fn products(items: &[Item]) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for id in items.iter().filter_map(|i| i.product.as_deref()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The products whose categories are known, by id (an order names few:
/// a list is all it needs).
pub type Known = Vec<(String, Product)>;

fn find<'a>(known: &'a Known, id: &str) -> Option<&'a Product> {
    known.iter().find(|(k, _)| k == id).map(|(_, p)| p)
}

/// Gives each line the categories known of its product.
pub fn fill(items: &mut [Item], known: &Known) {
    for item in items {
        if let Some(p) = item.product.as_deref().and_then(|id| find(known, id)) {
            item.categories.clone_from(&p.categories);
        }
    }
}

/// The call that reads product `id`'s categories.
pub fn request(api: &Api, shopify_admin_url: &str, id: &str) -> HttpCall {
    match api {
        Api::Woocommerce { .. } => call(api, shopify_admin_url, "GET", &format!("/products/{id}"), None),
        Api::Shopify { .. } => graphql(api, shopify_admin_url, "query($id: ID!) { product(id: $id) { productType } }", json!({ "id": format!("gid://shopify/Product/{id}") })),
    }
}

/// What the platform said of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Its categories (none for a product the platform no longer has).
    Found(Vec<String>),
    /// Worth another try, after `after` seconds if the platform said.
    Retry { reason: String, after: Option<u64> },
}

/// Reads the answer to [`request`]. Refused credentials are tried again (the
/// owner may mend them); an answer that cannot be read is too.
pub fn read(api: &Api, status: u16, body: &[u8], retry_after: Option<u64>) -> Reply {
    let retry = |reason: String| Reply::Retry { reason, after: retry_after };
    let v: Option<Value> = serde_json::from_slice(body).ok();
    match (api, status) {
        (_, 401 | 403) => retry(format!("platform_unauthorized: the platform refused the credentials ({status})")),
        (_, 429) => retry("the platform asked to slow down (429)".into()),
        (Api::Woocommerce { .. }, 404) => Reply::Found(Vec::new()),
        (Api::Woocommerce { .. }, 200) => match v.as_ref().and_then(|v| v.get("categories")).and_then(Value::as_array) {
            Some(list) => Reply::Found(names(list.iter().filter_map(|c| c.get("name").and_then(Value::as_str)))),
            None => retry("the product came back without its categories".into()),
        },
        (Api::Shopify { .. }, 200) => {
            let v = v.unwrap_or(Value::Null);
            if v.get("errors").and_then(Value::as_array).is_some_and(|e| !e.is_empty()) {
                return retry(format!("Shopify did not answer the query: {}", v["errors"]));
            }
            match v.pointer("/data/product") {
                Some(Value::Null) => Reply::Found(Vec::new()),
                Some(p) => Reply::Found(names(p.get("productType").and_then(Value::as_str))),
                None => retry("Shopify's answer has no product".into()),
            }
        }
        _ => retry(format!("the platform answered {status}")),
    }
}

/// Category names as kept: trimmed, the empty dropped, at most 20.
fn names<'a>(all: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    all.into_iter().map(str::trim).filter(|n| !n.is_empty()).take(20).map(|n| n.chars().take(64).collect()).collect()
}

/// An order to count again once its products' categories are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub store_id: String,
    pub order_id: String,
    /// The member's number.
    pub member: u64,
    /// The lines as counted, their products' categories where known then.
    pub items: Vec<Item>,
    /// When the order counts as placed (bonus rules' windows follow it).
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// Whether the order made events (a store's past orders make none).
    pub events: bool,
    #[serde(with = "crate::time::rfc3339")]
    pub queued_at: DateTime<Utc>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub next_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What to do with a job whose time came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Read these products (unknown or stale), then count.
    Read(Vec<String>),
    /// Count it with what is known.
    Count,
}

impl Job {
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.next_at <= now
    }

    /// The products still to read; none once the tries are spent (the
    /// order is then counted with what is known).
    pub fn next(&self, known: &Known, now: DateTime<Utc>) -> Next {
        let stale: Vec<String> = products(&self.items).into_iter().filter(|id| !find(known, id).is_some_and(|p| p.fresh(now))).map(str::to_string).collect();
        if stale.is_empty() || self.attempts >= MAX_ATTEMPTS { Next::Count } else { Next::Read(stale) }
    }

    /// The job after a try that could not read every product.
    pub fn retried(&self, reason: String, after: Option<u64>, now: DateTime<Utc>) -> Job {
        let attempts = self.attempts + 1;
        let wait = Duration::minutes(1 << attempts.min(8)).max(Duration::seconds(after.unwrap_or(0).min(86_400) as i64));
        Job { attempts, next_at: now + wait, error: Some(reason), ..self.clone() }
    }

    /// Whether the order's record is not worth waiting for any longer.
    pub fn order_overdue(&self, now: DateTime<Utc>) -> bool {
        now - self.queued_at >= Duration::seconds(ORDER_WAIT_SECONDS)
    }

    /// The lines with every category known now.
    pub fn items_with(&self, known: &Known) -> Vec<Item> {
        let mut items = self.items.clone();
        fill(&mut items, known);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn woo() -> Api {
        Api::Woocommerce { url: "https://shop.example".into(), consumer_key: "ck_1".into(), consumer_secret: "cs_1".into() }
    }

    fn shopify() -> Api {
        Api::Shopify { shop: "name.myshopify.com".into(), access_token: "shpat_1".into() }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T10:00:00Z".parse().unwrap()
    }

    fn item(product: Option<&str>, total: i64) -> Item {
        Item { sku: None, product: product.map(str::to_string), categories: Vec::new(), quantity: 1, total }
    }

    #[test]
    fn the_requests_name_the_product_as_each_platform_does() {
        let w = request(&woo(), "", "42");
        assert_eq!((w.method, w.url.as_str()), ("GET", "https://shop.example/wp-json/wc/v3/products/42"));
        let s = request(&shopify(), "https://{shop}/admin/api/2025-10/graphql.json", "42");
        assert_eq!(s.url, "https://name.myshopify.com/admin/api/2025-10/graphql.json");
        let body: Value = serde_json::from_slice(&s.body).unwrap();
        assert_eq!(body["variables"]["id"], "gid://shopify/Product/42");
        assert!(body["query"].as_str().unwrap().contains("productType"));
    }

    #[test]
    fn answers_read_as_categories_or_a_retry() {
        let woo_product = br#"{"id": 42, "categories": [{"id": 9, "name": " Coffee ", "slug": "coffee"}, {"id": 10, "name": "\u0642\u0647\u0648\u0647", "slug": "x"}]}"#;
        assert_eq!(read(&woo(), 200, woo_product, None), Reply::Found(vec!["Coffee".into(), "قهوه".into()]));
        assert_eq!(read(&woo(), 404, br#"{"code": "woocommerce_rest_product_invalid_id"}"#, None), Reply::Found(vec![]));
        assert_eq!(read(&shopify(), 200, br#"{"data": {"product": {"productType": "Tea"}}}"#, None), Reply::Found(vec!["Tea".into()]));
        assert_eq!(read(&shopify(), 200, br#"{"data": {"product": {"productType": ""}}}"#, None), Reply::Found(vec![]));
        assert_eq!(read(&shopify(), 200, br#"{"data": {"product": null}}"#, None), Reply::Found(vec![]));
        for (api, status, body) in [(woo(), 429, &b"{}"[..]), (woo(), 503, b""), (woo(), 401, b"{}"), (shopify(), 200, br#"{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}"#), (woo(), 200, b"<html>")] {
            assert!(matches!(read(&api, status, body, Some(7)), Reply::Retry { after: Some(7), .. }), "{status} {}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn a_job_reads_what_is_unknown_or_stale_until_its_tries_are_spent() {
        let job = Job { store_id: "s".into(), order_id: "1".into(), member: 1, items: vec![item(Some("1"), 10), item(Some("2"), 10), item(Some("1"), 5), item(None, 1)], at: now(), events: true, queued_at: now(), attempts: 0, next_at: now(), error: None };
        let mut known = vec![("1".to_string(), Product { categories: vec!["Coffee".into()], read_at: now().timestamp() - FRESH_SECONDS })];
        assert_eq!(job.next(&known, now()), Next::Read(vec!["1".into(), "2".into()]), "each once, in the order of the lines");
        known[0].1.read_at = now().timestamp() - 10;
        assert_eq!(job.next(&known, now()), Next::Read(vec!["2".into()]));
        let again = job.retried("429".into(), None, now());
        assert_eq!((again.attempts, again.next_at, again.due(now())), (1, now() + Duration::minutes(2), false));
        assert_eq!(job.retried("429".into(), Some(3600), now()).next_at, now() + Duration::hours(1));
        let spent = Job { attempts: MAX_ATTEMPTS, ..job.clone() };
        assert_eq!(spent.next(&known, now()), Next::Count);
        let items = job.items_with(&known);
        assert_eq!(items.iter().map(|i| i.categories.len()).collect::<Vec<_>>(), [1, 0, 1, 0]);
    }
}
