//! Fake store platforms for the end-to-end tests: one HTTP/1.1 server on
//! `127.0.0.1:<ephemeral>` that is a WooCommerce shop's REST API v3 and a
//! Shopify shop's Admin GraphQL API, each keeping the coupons made on it.
//!
//! * **WooCommerce** (`/wp-json/wc/v3/coupons`): HTTP Basic auth with the
//!   consumer key and secret ([`WOO_KEY`], [`WOO_SECRET`]); `GET
//!   /coupons?code=` (codes match case-insensitively: WooCommerce keeps a
//!   coupon code lowercased), `POST /coupons` (201, or 400
//!   `woocommerce_rest_coupon_code_already_exists` for a code in use),
//!   `DELETE /coupons/{id}?force=true` (200 with the coupon; 404
//!   `woocommerce_rest_invalid_id`; without `force` the coupon goes to the
//!   bin and is still found, as in WooCommerce). Errors are WordPress REST
//!   errors, `{"code","message","data":{"status"}}`; a bad key is 401
//!   `woocommerce_rest_authentication_error`.
//! * **Shopify** (`POST /{shop}/admin/api/2025-10/graphql.json`, so a test
//!   sets `shopify_admin_url` to `{origin}/{shop}/admin/…`): the
//!   `X-Shopify-Access-Token` header ([`SHOPIFY_TOKEN`]; otherwise 401
//!   `{"errors":"[API] Invalid API key or access token …"}`);
//!   `codeDiscountNodeByCode`, `discountCodeBasicCreate`,
//!   `discountCodeFreeShippingCreate` (a code in use: a `TAKEN` user
//!   error; codes are unique case-insensitively), `discountCodeDelete` (an
//!   unknown id: no `deletedCodeDiscountId` and a user error) and `shop`.
//!   Throttling is a 200 whose `errors` carry `extensions.code`
//!   `THROTTLED`, as Shopify's GraphQL answers it.
//!
//! Products, for categories: WooCommerce `GET /products/{id}` (its
//! `categories`; 404 `woocommerce_rest_product_invalid_id` for an unknown
//! id) and Shopify's `product(id:)` (`productType`; `null` when unknown).
//!
//! Sources: WooCommerce REST API v3 documentation (coupon properties and
//! the `code` filter) and its `WC_REST_Coupons_Controller`; Shopify's Admin
//! GraphQL reference for the mutations and query named above.
//!
//! Orders, for backfills: WooCommerce `GET /orders?after=&page=&per_page=`
//! (oldest first, with `X-WP-Total` and `X-WP-TotalPages`) and Shopify's
//! `orders(first:, after:, query: "created_at:>='…'")` with `pageInfo`.
//!
//! Faults ([`FakeStores::fail_next`]): a platform error status (429 with
//! `Retry-After`), Shopify's throttle, or [`StoreFault::AnswerLost`]: the
//! request is carried out and then the connection closes unanswered, as
//! when a call times out after the platform acted.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub const WOO_KEY: &str = "ck_4f1c0d2e9b8a7f6e5d4c3b2a19f8e7d6c5b4a3f2";
pub const WOO_SECRET: &str = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f9f2a";
pub const SHOPIFY_SHOP: &str = "vafa-test.myshopify.com";
pub const SHOPIFY_TOKEN: &str = "shpat_0123456789abcdef0123456789abcdef";

/// Which platform a request addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Woocommerce,
    Shopify,
    Unknown,
}

/// A request as it arrived.
#[derive(Clone, Debug)]
pub struct StoreRequest {
    pub platform: Platform,
    pub method: String,
    /// Path plus `?query`.
    pub path: String,
    /// Names lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status answered; 0 when the answer was lost.
    pub status: u16,
}

impl StoreRequest {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the next requests meet instead of a normal answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreFault {
    /// The platform's error status in its format (Woo: a REST error;
    /// Shopify: `{"errors": …}`); 429 carries `Retry-After: 2`.
    Status(u16),
    /// Shopify's GraphQL throttle: 200 with a `THROTTLED` error (Woo
    /// requests get 429).
    Throttled,
    /// Carried out, then the connection closes unanswered.
    AnswerLost,
}

#[derive(Default)]
struct State {
    requests: Vec<StoreRequest>,
    /// Requests to pass first, then how many meet the fault.
    next: Option<(usize, usize, StoreFault)>,
    next_id: u64,
    /// WooCommerce coupons by id.
    woo: BTreeMap<u64, Value>,
    /// Shopify discount nodes by gid.
    shopify: BTreeMap<String, Value>,
    /// The shops' orders, oldest first (WooCommerce REST objects; Shopify
    /// GraphQL nodes).
    woo_orders: Vec<Value>,
    shopify_orders: Vec<Value>,
    /// Products by id: WooCommerce's category names, Shopify's product type.
    woo_products: BTreeMap<String, Vec<String>>,
    shopify_products: BTreeMap<String, String>,
}

/// The fake platforms. Cheap to clone; serves until the last clone drops.
#[derive(Clone)]
pub struct FakeStores {
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    _stop: Arc<watch::Sender<()>>,
}

impl FakeStores {
    pub async fn start() -> anyhow::Result<FakeStores> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State { next_id: 100, ..State::default() }));
        let (stop_tx, stop_rx) = watch::channel(());
        tokio::spawn(accept_loop(listener, state.clone(), stop_rx));
        Ok(FakeStores { state, addr, _stop: Arc::new(stop_tx) })
    }

    /// `http://127.0.0.1:PORT`: the WooCommerce shop's url.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `shopify_admin_url` template that reaches this fake.
    pub fn shopify_admin_url(&self) -> String {
        format!("{}/{{shop}}/admin/api/2025-10/graphql.json", self.origin())
    }

    /// The `api` of a store on this WooCommerce shop.
    pub fn woo_api(&self) -> Value {
        json!({ "url": self.origin(), "consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET })
    }

    /// The `api` of a store on this Shopify shop.
    pub fn shopify_api(&self) -> Value {
        json!({ "shop": SHOPIFY_SHOP, "access_token": SHOPIFY_TOKEN })
    }

    pub fn requests(&self) -> Vec<StoreRequest> {
        self.lock().requests.clone()
    }

    /// The WooCommerce coupons, by id, as the shop answers them.
    pub fn woo_coupons(&self) -> Vec<Value> {
        self.lock().woo.values().cloned().collect()
    }

    /// The Shopify discounts: `{"id", "kind", "input"}` with the input the
    /// mutation was given.
    pub fn shopify_discounts(&self) -> Vec<Value> {
        self.lock().shopify.values().cloned().collect()
    }

    /// An order of the WooCommerce shop, as `GET /orders` lists it
    /// (its `date_created_gmt` decides `after=`).
    pub fn add_woo_order(&self, order: Value) {
        self.lock().woo_orders.push(order);
    }

    /// An order of the Shopify shop, as the `orders` query answers a node
    /// (its `createdAt` decides the `created_at:>=` filter).
    pub fn add_shopify_order(&self, node: Value) {
        self.lock().shopify_orders.push(node);
    }

    /// A product of the WooCommerce shop in categories `names`.
    pub fn add_woo_product(&self, id: &str, names: &[&str]) {
        self.lock().woo_products.insert(id.to_string(), names.iter().map(|n| n.to_string()).collect());
    }

    /// A product of the Shopify shop of type `product_type`.
    pub fn add_shopify_product(&self, id: &str, product_type: &str) {
        self.lock().shopify_products.insert(id.to_string(), product_type.to_string());
    }

    /// The next `n` requests meet `fault`.
    pub fn fail_next(&self, n: usize, fault: StoreFault) {
        self.fail_after(0, n, fault);
    }

    /// The `n` requests after the next `skip` meet `fault`. A later call
    /// replaces an unfinished one.
    pub fn fail_after(&self, skip: usize, n: usize, fault: StoreFault) {
        self.lock().next = (n > 0).then_some((skip, n, fault));
    }

    /// Forgets the requests (the coupons stay).
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, mut stop: watch::Receiver<()>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted { Ok((s, _)) => s, Err(_) => continue },
            _ = stop.changed() => return,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let abort = Arc::new(Notify::new());
            let service = {
                let abort = abort.clone();
                service_fn(move |req| handle(state.clone(), req, abort.clone()))
            };
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = abort.notified() => {}
            }
        });
    }
}

type Answer = (u16, Vec<(&'static str, String)>, Value);

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>, abort: Arc<Notify>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> =
        parts.headers.iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let platform = if path.starts_with("/wp-json/wc/v3/") {
        Platform::Woocommerce
    } else if path.ends_with("/admin/api/2025-10/graphql.json") {
        Platform::Shopify
    } else {
        Platform::Unknown
    };
    let (status, extra, answer, lost) = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        let fault = match &mut st.next {
            Some((skip, _, _)) if *skip > 0 => {
                *skip -= 1;
                None
            }
            Some((_, n, f)) => {
                let f = *f;
                *n -= 1;
                if *n == 0 {
                    st.next = None;
                }
                Some(f)
            }
            None => None,
        };
        let (status, extra, answer): Answer = match (fault, platform) {
            (Some(StoreFault::Status(s)), Platform::Shopify) => (s, retry_after(s), json!({ "errors": format!("fault {s}") })),
            (Some(StoreFault::Status(s)), _) => (s, retry_after(s), wp_error("fake_fault", "a fault the test asked for", s)),
            (Some(StoreFault::Throttled), Platform::Shopify) => (
                200,
                vec![("retry-after", "2".into())],
                json!({ "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" } }] }),
            ),
            (Some(StoreFault::Throttled), _) => (429, retry_after(429), wp_error("too_many_requests", "Too many requests", 429)),
            (_, Platform::Woocommerce) => woo(&mut st, &parts.method, &path, &query, header("authorization"), &header("content-type"), &body),
            (_, Platform::Shopify) => shopify(&mut st, &path, header("x-shopify-access-token"), &body),
            (_, Platform::Unknown) => (404, vec![], json!({ "errors": "Not Found" })),
        };
        let lost = fault == Some(StoreFault::AnswerLost);
        st.requests.push(StoreRequest {
            platform,
            method: parts.method.to_string(),
            path: if query.is_empty() { path.clone() } else { format!("{path}?{query}") },
            headers: headers.clone(),
            body,
            status: if lost { 0 } else { status },
        });
        (status, extra, answer, lost)
    };
    if lost {
        abort.notify_one();
        std::future::pending::<()>().await;
    }
    let mut response = Response::builder().status(status).header("content-type", "application/json; charset=UTF-8");
    for (name, value) in extra {
        response = response.header(name, value);
    }
    Ok(response.body(Full::new(Bytes::from(answer.to_string()))).expect("a response"))
}

fn retry_after(status: u16) -> Vec<(&'static str, String)> {
    if status == 429 { vec![("retry-after", "2".into())] } else { vec![] }
}

fn wp_error(code: &str, message: &str, status: u16) -> Value {
    json!({ "code": code, "message": message, "data": { "status": status } })
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.replace("%20", " "))
}

// ---------------------------------------------------------------------------
// WooCommerce REST API v3
// ---------------------------------------------------------------------------

fn woo(st: &mut State, method: &Method, path: &str, query: &str, auth: Option<String>, content_type: &Option<String>, body: &[u8]) -> Answer {
    use base64::Engine;
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{WOO_KEY}:{WOO_SECRET}")));
    if auth.as_deref() != Some(expected.as_str()) {
        return (401, vec![], wp_error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401));
    }
    let rest = &path["/wp-json/wc/v3".len()..];
    match (method, rest) {
        (&Method::GET, "/coupons") => {
            let per_page: usize = query_param(query, "per_page").and_then(|p| p.parse().ok()).unwrap_or(10);
            let list: Vec<Value> = match query_param(query, "code") {
                Some(code) => st.woo.values().filter(|c| c["code"] == json!(code.to_lowercase())).cloned().collect(),
                None => st.woo.values().cloned().collect(),
            };
            (200, vec![], Value::Array(list.into_iter().take(per_page).collect()))
        }
        (&Method::GET, "/orders") => {
            // `after` filters on the creation date; `per_page` up to 100.
            let after = query_param(query, "after").unwrap_or_default();
            let per_page: usize = query_param(query, "per_page").and_then(|p| p.parse().ok()).unwrap_or(10).clamp(1, 100);
            let page: usize = query_param(query, "page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1);
            let listed: Vec<Value> = st.woo_orders.iter().filter(|o| format!("{}Z", o["date_created_gmt"].as_str().unwrap_or_default()) > after).cloned().collect();
            let pages = listed.len().div_ceil(per_page);
            let body: Vec<Value> = listed.iter().skip((page - 1) * per_page).take(per_page).cloned().collect();
            (200, vec![("x-wp-total", listed.len().to_string()), ("x-wp-totalpages", pages.to_string())], Value::Array(body))
        }
        (&Method::GET, rest) if rest.starts_with("/products/") => {
            // As `WC_REST_Products_Controller` answers one product: its
            // categories as `{id, name, slug}`; an unknown id is 404.
            let id = &rest["/products/".len()..];
            match st.woo_products.get(id) {
                Some(names) => {
                    let categories: Vec<Value> = names.iter().enumerate().map(|(i, n)| json!({ "id": i + 15, "name": n, "slug": n.to_lowercase().replace(' ', "-") })).collect();
                    (200, vec![], json!({ "id": id.parse::<u64>().unwrap_or(0), "name": format!("Product {id}"), "type": "simple", "categories": categories }))
                }
                None => (404, vec![], wp_error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)),
            }
        }
        (&Method::POST, "/coupons") => {
            if !content_type.as_deref().unwrap_or_default().starts_with("application/json") {
                return (400, vec![], wp_error("rest_missing_callback_param", "Missing parameter(s): code", 400));
            }
            let Ok(input) = serde_json::from_slice::<Value>(body) else {
                return (400, vec![], wp_error("rest_invalid_json", "Invalid JSON body passed.", 400));
            };
            if let Err(why) = woo_check(&input) {
                return (400, vec![], wp_error("rest_invalid_param", &why, 400));
            }
            let code = input["code"].as_str().unwrap_or_default().to_lowercase();
            if st.woo.values().any(|c| c["code"] == json!(code)) {
                return (400, vec![], wp_error("woocommerce_rest_coupon_code_already_exists", "The coupon code already exists", 400));
            }
            st.next_id += 1;
            let id = st.next_id;
            let mut coupon = input.clone();
            coupon["id"] = json!(id);
            coupon["code"] = json!(code);
            coupon["status"] = json!("publish");
            coupon["usage_count"] = json!(0);
            st.woo.insert(id, coupon.clone());
            (201, vec![], coupon)
        }
        (&Method::DELETE, rest) if rest.starts_with("/coupons/") => {
            let Some(id) = rest["/coupons/".len()..].parse::<u64>().ok().filter(|id| st.woo.contains_key(id)) else {
                return (404, vec![], wp_error("woocommerce_rest_invalid_id", "Invalid ID.", 404));
            };
            if query_param(query, "force").as_deref() == Some("true") {
                let gone = st.woo.remove(&id).expect("present");
                (200, vec![], gone)
            } else {
                let coupon = st.woo.get_mut(&id).expect("present");
                coupon["status"] = json!("trash");
                (200, vec![], coupon.clone())
            }
        }
        _ => (404, vec![], wp_error("rest_no_route", "No route was found matching the URL and request method.", 404)),
    }
}

/// The properties WooCommerce refuses with `rest_invalid_param`.
fn woo_check(c: &Value) -> Result<(), String> {
    let code = c["code"].as_str().filter(|s| !s.trim().is_empty()).ok_or("code is required")?;
    if code.len() > 200 {
        return Err("code is too long".into());
    }
    match c["discount_type"].as_str() {
        Some("percent" | "fixed_cart" | "fixed_product") | None => {}
        Some(other) => return Err(format!("discount_type is not one of percent, fixed_cart, fixed_product: {other}")),
    }
    for field in ["amount", "minimum_amount", "maximum_amount"] {
        match &c[field] {
            Value::Null => {}
            Value::String(s) if s.parse::<f64>().is_ok() => {}
            other => return Err(format!("{field} is not of type string: {other}")),
        }
    }
    for field in ["usage_limit", "usage_limit_per_user"] {
        if !(c[field].is_null() || c[field].is_u64()) {
            return Err(format!("{field} is not of type integer"));
        }
    }
    for field in ["individual_use", "free_shipping"] {
        if !(c[field].is_null() || c[field].is_boolean()) {
            return Err(format!("{field} is not of type boolean"));
        }
    }
    if let Some(d) = c["date_expires_gmt"].as_str()
        && chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S").is_err()
    {
        return Err(format!("date_expires_gmt is not a date-time: {d}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Shopify Admin GraphQL API
// ---------------------------------------------------------------------------

fn shopify(st: &mut State, path: &str, token: Option<String>, body: &[u8]) -> Answer {
    if path != format!("/{SHOPIFY_SHOP}/admin/api/2025-10/graphql.json") {
        return (404, vec![], json!({ "errors": "Not Found" }));
    }
    if token.as_deref() != Some(SHOPIFY_TOKEN) {
        return (401, vec![], json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" }));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (400, vec![], json!({ "errors": { "query": "Required parameter missing or invalid" } }));
    };
    let query = request["query"].as_str().unwrap_or_default();
    let vars = &request["variables"];
    let ok = |data: Value| (200, vec![], json!({ "data": data }));
    if query.contains("codeDiscountNodeByCode") {
        let code = vars["code"].as_str().unwrap_or_default().to_lowercase();
        let node = st.shopify.values().find(|d| d["input"]["code"].as_str().map(str::to_lowercase) == Some(code.clone()));
        return ok(json!({ "codeDiscountNodeByCode": node.map(|d| json!({ "id": d["id"] })) }));
    }
    if query.contains("discountCodeDelete") {
        let id = vars["id"].as_str().unwrap_or_default();
        return match st.shopify.remove(id) {
            Some(_) => ok(json!({ "discountCodeDelete": { "deletedCodeDiscountId": id, "userErrors": [] } })),
            None => ok(json!({ "discountCodeDelete": { "deletedCodeDiscountId": null, "userErrors": [{ "field": ["id"], "code": "INVALID", "message": "Discount does not exist" }] } })),
        };
    }
    for (root, field, kind) in [
        ("discountCodeBasicCreate", "basicCodeDiscount", "basic"),
        ("discountCodeFreeShippingCreate", "freeShippingCodeDiscount", "free_shipping"),
    ] {
        if !query.contains(root) {
            continue;
        }
        let input = &vars["input"];
        let refuse = |field_path: Value, code: &str, message: &str| ok(json!({ root: { "codeDiscountNode": null, "userErrors": [{ "field": field_path, "code": code, "message": message }] } }));
        if let Err((name, why)) = shopify_check(input, kind) {
            return refuse(json!([field, name]), "INVALID", &why);
        }
        let code = input["code"].as_str().unwrap_or_default().to_lowercase();
        if st.shopify.values().any(|d| d["input"]["code"].as_str().map(str::to_lowercase) == Some(code.clone())) {
            return refuse(json!([field, "code"]), "TAKEN", "Code must be unique. Please try a different code.");
        }
        st.next_id += 1;
        let id = format!("gid://shopify/DiscountCodeNode/{}", st.next_id);
        st.shopify.insert(id.clone(), json!({ "id": id, "kind": kind, "input": input }));
        return ok(json!({ root: { "codeDiscountNode": { "id": id }, "userErrors": [] } }));
    }
    if query.contains("orders(") {
        // The cursor is the index of the next order; 50 a page.
        let since = vars["query"].as_str().and_then(|q| q.split('\'').nth(1)).unwrap_or_default().to_string();
        let listed: Vec<&Value> = st.shopify_orders.iter().filter(|o| o["createdAt"].as_str().unwrap_or_default() >= since.as_str()).collect();
        let start: usize = vars["cursor"].as_str().and_then(|c| c.strip_prefix("cursor-")).and_then(|c| c.parse().ok()).unwrap_or(0);
        let nodes: Vec<Value> = listed.iter().skip(start).take(50).map(|o| (*o).clone()).collect();
        let end = start + nodes.len();
        return ok(json!({ "orders": { "pageInfo": { "hasNextPage": end < listed.len(), "endCursor": format!("cursor-{end}") }, "nodes": nodes } }));
    }
    if query.contains("product(") {
        let id = vars["id"].as_str().unwrap_or_default();
        let product = id.strip_prefix("gid://shopify/Product/").and_then(|n| st.shopify_products.get(n)).map(|t| json!({ "productType": t }));
        return ok(json!({ "product": product }));
    }
    if query.contains("shop") {
        return ok(json!({ "shop": { "name": "Vafa test shop" } }));
    }
    (200, vec![], json!({ "errors": [{ "message": "Field is not defined on QueryRoot", "extensions": { "code": "undefinedField" } }] }))
}

/// What Shopify's input types require, as user errors name them.
fn shopify_check(input: &Value, kind: &str) -> Result<(), (&'static str, String)> {
    for name in ["title", "code", "startsAt"] {
        if input[name].as_str().is_none_or(str::is_empty) {
            return Err((if name == "startsAt" { "startsAt" } else { name }, format!("{name} can't be blank")));
        }
    }
    for name in ["startsAt", "endsAt"] {
        if let Some(t) = input[name].as_str()
            && chrono::DateTime::parse_from_rfc3339(t).is_err()
        {
            return Err(("endsAt", format!("{name} is not an ISO 8601 date-time: {t}")));
        }
    }
    if !(input["usageLimit"].is_null() || input["usageLimit"].is_u64()) {
        return Err(("usageLimit", "usageLimit must be an integer".into()));
    }
    if let Some(min) = input.pointer("/minimumRequirement/subtotal/greaterThanOrEqualToSubtotal")
        && !min.as_str().is_some_and(|s| s.parse::<f64>().is_ok())
    {
        return Err(("minimumRequirement", "the subtotal is not a Decimal string".into()));
    }
    if kind == "basic" {
        let value = &input["customerGets"]["value"];
        let good = match (value.get("percentage"), value.pointer("/discountAmount/amount")) {
            (Some(p), None) => p.as_f64().is_some_and(|p| p > 0.0 && p <= 1.0),
            (None, Some(a)) => a.as_str().is_some_and(|s| s.parse::<f64>().is_ok_and(|v| v > 0.0)),
            _ => false,
        };
        if !good || input["customerGets"]["items"].is_null() {
            return Err(("customerGets", "customerGets needs one value (a percentage in (0, 1] or a Decimal amount) and items".into()));
        }
    } else if input["destination"].is_null() {
        return Err(("destination", "destination can't be blank".into()));
    }
    Ok(())
}
