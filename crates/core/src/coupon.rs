//! A reward code as the store's own coupon. A store with platform API
//! credentials ([`Api`]) gets a coupon for each code issued to its members:
//! WooCommerce REST API v3 (`POST /wp-json/wc/v3/coupons`) or Shopify's
//! Admin GraphQL API (`discountCodeBasicCreate`,
//! `discountCodeFreeShippingCreate`). The platform then enforces the code
//! at its own checkout; its order webhook reports the code used, as for
//! any code.
//!
//! A coupon is a job ([`Coupon`]): what the platform should have (`want`)
//! and what it is known to have (`state`). Every attempt looks the code up
//! on the platform first, so an attempt cut off between the platform's
//! answer and our write adopts the coupon it made instead of making a
//! second one. The requests are built here ([`lookup`], [`create`],
//! [`delete`], [`verify`]) and their answers read here ([`read`]); the
//! adapter only carries them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::money;
use crate::provider::HttpCall;
use crate::redemption::Redemption;
use crate::reward::{Kind, Reward};
use crate::shop::{Api, Shop};

/// Where a store's API calls go: Woo's REST root, or Shopify's GraphQL
/// endpoint (`shopify_admin_url`, a template naming `{shop}`).
fn endpoint(api: &Api, shopify_admin_url: &str) -> String {
    match api {
        Api::Woocommerce { url, .. } => format!("{url}/wp-json/wc/v3"),
        Api::Shopify { shop, .. } => shopify_admin_url.replace("{shop}", shop),
    }
}

fn auth(api: &Api) -> (String, String) {
    use base64::Engine;
    match api {
        Api::Woocommerce { consumer_key, consumer_secret, .. } => {
            ("authorization".into(), format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{consumer_key}:{consumer_secret}"))))
        }
        Api::Shopify { access_token, .. } => ("x-shopify-access-token".into(), access_token.clone()),
    }
}

/// A call to a store's platform API (also the backfill's).
pub(crate) fn call(api: &Api, base: &str, method: &'static str, path: &str, body: Option<Value>) -> HttpCall {
    let url = match api {
        Api::Woocommerce { .. } => format!("{}{path}", endpoint(api, base)),
        Api::Shopify { .. } => endpoint(api, base),
    };
    let mut headers = vec![auth(api), ("accept".into(), "application/json".into())];
    if body.is_some() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    HttpCall { method, url, headers, body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default() }
}

pub(crate) fn graphql(api: &Api, base: &str, query: &str, variables: Value) -> HttpCall {
    call(api, base, "POST", "", Some(json!({ "query": query, "variables": variables })))
}

/// Whether a code's coupon exists on the platform.
pub fn lookup(api: &Api, base: &str, code: &str) -> HttpCall {
    match api {
        Api::Woocommerce { .. } => call(api, base, "GET", &format!("/coupons?code={}", code.to_ascii_lowercase()), None),
        Api::Shopify { .. } => graphql(api, base, "query($code: String!) { codeDiscountNodeByCode(code: $code) { id } }", json!({ "code": code })),
    }
}

/// One cheap authenticated call, to check credentials.
pub fn verify(api: &Api, base: &str) -> HttpCall {
    match api {
        Api::Woocommerce { .. } => call(api, base, "GET", "/coupons?per_page=1", None),
        Api::Shopify { .. } => graphql(api, base, "query { shop { name } }", json!({})),
    }
}

/// Removes the coupon the platform knows as `id`.
pub fn delete(api: &Api, base: &str, id: &str) -> HttpCall {
    match api {
        Api::Woocommerce { .. } => call(api, base, "DELETE", &format!("/coupons/{id}?force=true"), None),
        Api::Shopify { .. } => graphql(
            api,
            base,
            "mutation($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field code message } } }",
            json!({ "id": id }),
        ),
    }
}

/// Makes the coupon for `job`, its amounts in the store's `currency`
/// (which converts exactly to the club's: [`money::converts`]).
pub fn create(api: &Api, base: &str, job: &Coupon, currency: &str) -> HttpCall {
    let reward = &job.reward;
    let amount = |minor: u64| money::format_decimal(minor as i64, currency);
    match api {
        Api::Woocommerce { .. } => {
            let (discount_type, value) = match reward.kind {
                Kind::Percent => ("percent", reward.value.to_string()),
                Kind::Fixed => ("fixed_cart", amount(reward.value)),
                Kind::FreeShipping | Kind::Gift => ("fixed_cart", "0".to_string()),
            };
            let mut body = json!({
                "code": job.code,
                "discount_type": discount_type,
                "amount": value,
                "individual_use": true,
                "usage_limit": 1,
                "usage_limit_per_user": 1,
                "date_expires_gmt": job.expires_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "free_shipping": reward.kind == Kind::FreeShipping,
                "description": job.title(),
            });
            if reward.min_order > 0 {
                body["minimum_amount"] = json!(amount(reward.min_order));
            }
            call(api, base, "POST", "/coupons", Some(body))
        }
        Api::Shopify { .. } => {
            let mut input = json!({
                "title": job.title(),
                "code": job.code,
                "startsAt": crate::time::format(&job.created_at),
                "endsAt": crate::time::format(&job.expires_at),
                "usageLimit": 1,
                "appliesOncePerCustomer": true,
                "context": { "all": "ALL" },
            });
            if reward.min_order > 0 {
                input["minimumRequirement"] = json!({ "subtotal": { "greaterThanOrEqualToSubtotal": amount(reward.min_order) } });
            }
            let (mutation, root, field) = match reward.kind {
                Kind::FreeShipping => {
                    input["destination"] = json!({ "all": true });
                    ("DiscountCodeFreeShippingInput", "discountCodeFreeShippingCreate", "freeShippingCodeDiscount")
                }
                _ => {
                    let value = match reward.kind {
                        Kind::Percent => json!({ "percentage": reward.value as f64 / 100.0 }),
                        _ => json!({ "discountAmount": { "amount": amount(reward.value), "appliesOnEachItem": false } }),
                    };
                    input["customerGets"] = json!({ "value": value, "items": { "all": true } });
                    ("DiscountCodeBasicInput", "discountCodeBasicCreate", "basicCodeDiscount")
                }
            };
            let query = format!("mutation($input: {mutation}!) {{ {root}({field}: $input) {{ codeDiscountNode {{ id }} userErrors {{ field code message }} }} }}");
            graphql(api, base, &query, json!({ "input": input }))
        }
    }
}

/// What a platform said to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Done; with the coupon's platform id where the call names one.
    Done(Option<String>),
    /// The coupon does not exist (a lookup found nothing, a delete found
    /// it gone already).
    Absent,
    /// The code is taken by a coupon we could not see (look it up again).
    Taken,
    /// The credentials were refused.
    Unauthorized(String),
    /// Worth another try, after `after` seconds if the platform said.
    Retry { reason: String, after: Option<u64> },
    /// Trying again would fail the same way.
    Fail(String),
}

/// Which call an answer is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Lookup,
    Create,
    Delete,
    Verify,
}

fn text_of(body: &[u8]) -> String {
    let t = String::from_utf8_lossy(body);
    t.chars().take(200).collect()
}

/// Reads a platform's answer to a call of `step`. `retry_after` is the
/// answer's `Retry-After` header, in seconds.
pub fn read(api: &Api, step: Step, status: u16, body: &[u8], retry_after: Option<u64>) -> Reply {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match status {
        401 | 403 => return Reply::Unauthorized(format!("the platform refused the credentials ({status}): {}", text_of(body))),
        429 => return Reply::Retry { reason: "the platform asked to slow down (429)".into(), after: retry_after },
        500..=599 => return Reply::Retry { reason: format!("the platform answered {status}"), after: retry_after },
        _ => {}
    }
    let Some(v) = parsed else {
        return Reply::Retry { reason: format!("the platform answered {status} with no JSON"), after: None };
    };
    match api {
        Api::Woocommerce { .. } => read_woo(step, status, &v),
        Api::Shopify { .. } => read_shopify(step, status, &v, retry_after),
    }
}

fn woo_id(v: &Value) -> Option<String> {
    v.get("id").and_then(Value::as_u64).map(|n| n.to_string())
}

fn read_woo(step: Step, status: u16, v: &Value) -> Reply {
    let code = v.get("code").and_then(Value::as_str).unwrap_or_default();
    let message = v.get("message").and_then(Value::as_str).unwrap_or_default();
    match (step, status) {
        (Step::Lookup, 200) => match v.as_array() {
            Some(list) => list.first().and_then(woo_id).map_or(Reply::Absent, |id| Reply::Done(Some(id))),
            None => Reply::Retry { reason: "the coupon list is not a list".into(), after: None },
        },
        (Step::Verify, 200) => Reply::Done(None),
        (Step::Create, 200 | 201) => match woo_id(v) {
            Some(id) => Reply::Done(Some(id)),
            None => Reply::Retry { reason: "the coupon came back without an id".into(), after: None },
        },
        (Step::Create, 400) if code == "woocommerce_rest_coupon_code_already_exists" => Reply::Taken,
        (Step::Delete, 200) => Reply::Done(woo_id(v)),
        (Step::Delete, 404 | 410) => Reply::Absent,
        (Step::Verify, 404) => Reply::Fail("no WooCommerce REST API at this address (404): is the url the shop's and are permalinks on?".into()),
        _ => Reply::Fail(format!("WooCommerce answered {status} {code}: {message}")),
    }
}

fn read_shopify(step: Step, status: u16, v: &Value, retry_after: Option<u64>) -> Reply {
    if status != 200 {
        return Reply::Fail(format!("Shopify answered {status}: {}", v.get("errors").map(Value::to_string).unwrap_or_default()));
    }
    if let Some(errors) = v.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
        let throttled = errors.iter().any(|e| e.pointer("/extensions/code").and_then(Value::as_str) == Some("THROTTLED"));
        let said = errors.iter().filter_map(|e| e.get("message").and_then(Value::as_str)).collect::<Vec<_>>().join("; ");
        return if throttled { Reply::Retry { reason: format!("Shopify throttled the call: {said}"), after: retry_after } } else { Reply::Fail(format!("Shopify refused the query: {said}")) };
    }
    let data = v.get("data").cloned().unwrap_or(Value::Null);
    let root = data.as_object().and_then(|o| o.values().next().cloned()).unwrap_or(Value::Null);
    let user_errors = root.get("userErrors").and_then(Value::as_array).cloned().unwrap_or_default();
    match step {
        Step::Verify => Reply::Done(None),
        Step::Lookup => root.get("id").and_then(Value::as_str).map_or(Reply::Absent, |id| Reply::Done(Some(id.to_string()))),
        Step::Create => {
            if let Some(id) = root.pointer("/codeDiscountNode/id").and_then(Value::as_str) {
                return Reply::Done(Some(id.to_string()));
            }
            if user_errors.iter().any(|e| e.get("code").and_then(Value::as_str) == Some("TAKEN")) {
                return Reply::Taken;
            }
            Reply::Fail(format!("Shopify refused the discount: {}", said(&user_errors)))
        }
        // No id deleted (a user error names an id Shopify no longer knows):
        // the discount is gone.
        Step::Delete => root.get("deletedCodeDiscountId").and_then(Value::as_str).map_or(Reply::Absent, |id| Reply::Done(Some(id.to_string()))),
    }
}

/// What a `"verify": true` check of a store's credentials answers: the
/// platform's word, as a 422 that saves nothing when it is not a yes.
pub fn verified(reply: Reply) -> crate::error::Result<()> {
    use crate::error::Error;
    match reply {
        Reply::Done(_) | Reply::Absent => Ok(()),
        Reply::Unauthorized(message) => Err(Error::Unprocessable { code: "platform_unauthorized", message }),
        Reply::Retry { reason, .. } => Err(Error::Unprocessable { code: "platform_error", message: format!("the platform could not be asked: {reason}") }),
        Reply::Fail(message) => Err(Error::Unprocessable { code: "platform_error", message }),
        Reply::Taken => Err(Error::Unprocessable { code: "platform_error", message: "the platform gave an unexpected answer".into() }),
    }
}

fn said(errors: &[Value]) -> String {
    errors.iter().filter_map(|e| e.get("message").and_then(Value::as_str)).collect::<Vec<_>>().join("; ")
}

/// What the platform should have for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Want {
    Present,
    /// Cancelled or expired unused: the coupon must go.
    Absent,
}

/// What the platform is known to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not made yet (or not known to be).
    Pending,
    Created,
    /// Could not be made; `error` says why.
    Failed,
    Deleted,
}

/// A code's coupon on its store's platform (`coupon:{CODE}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub code: String,
    pub redemption_id: String,
    pub store_id: String,
    pub reward: Reward,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    pub want: Want,
    pub state: State,
    /// The platform's id (Woo's coupon id, Shopify's discount node gid).
    pub platform_id: Option<String>,
    /// Attempts begun, each claimed by a compare-and-swap of this record.
    pub attempts: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub next_at: DateTime<Utc>,
    pub error: Option<String>,
}

/// Attempts before a coupon is given up as failed: about a day of tries.
pub const MAX_ATTEMPTS: u32 = 10;

/// Whether `reward`'s code is a coupon at all: a gift is handed over by
/// the store, which validates its code through Vafa as before.
pub fn wanted(reward: &Reward) -> bool {
    reward.kind != Kind::Gift
}

/// What to do next for a job whose time has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Look the code up, then make it if the platform has none.
    Make,
    /// Look the code up (if its id is unknown), then remove it.
    Remove,
    Nothing,
}

impl Coupon {
    /// The coupon a code makes in `shop`, if it makes one: the store has
    /// credentials and the reward is not a gift.
    pub fn for_code(shop: &Shop, code: &Redemption) -> Option<Coupon> {
        (shop.api.is_some() && wanted(&code.reward)).then(|| Coupon::new(&code.code, &code.id, &shop.id, &code.reward, code.created_at, code.expires_at))
    }

    pub fn new(code: &str, redemption_id: &str, store_id: &str, reward: &Reward, created_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Coupon {
        Coupon {
            code: code.to_string(),
            redemption_id: redemption_id.to_string(),
            store_id: store_id.to_string(),
            reward: reward.clone(),
            created_at,
            expires_at,
            want: Want::Present,
            state: State::Pending,
            platform_id: None,
            attempts: 0,
            next_at: created_at,
            error: None,
        }
    }

    fn title(&self) -> String {
        format!("Vafa: {} ({})", self.reward.name, self.redemption_id)
    }

    pub fn next(&self, now: DateTime<Utc>) -> Next {
        if self.next_at > now {
            return Next::Nothing;
        }
        match (self.want, self.state) {
            (Want::Present, State::Pending) => Next::Make,
            (Want::Absent, State::Pending | State::Created) => Next::Remove,
            // A coupon that failed to be made may have been made by a try
            // whose answer was lost: look once more when it must go.
            (Want::Absent, State::Failed) if self.platform_id.is_none() && self.attempts > 0 => Next::Remove,
            _ => Next::Nothing,
        }
    }

    /// An attempt begins: counted, and its retry set before the platform is
    /// called, so a try cut off anywhere is tried again.
    pub fn begin(&self, now: DateTime<Utc>) -> Coupon {
        let attempts = self.attempts + 1;
        Coupon { attempts, next_at: now + backoff(attempts), ..self.clone() }
    }

    /// The platform's answer to an attempt begun with [`Coupon::begin`].
    pub fn settle(&self, reply: Reply, now: DateTime<Utc>) -> Coupon {
        let mut next = self.clone();
        match (self.want, reply) {
            (Want::Present, Reply::Done(id)) => {
                next.state = State::Created;
                next.platform_id = id;
                next.error = None;
            }
            (Want::Absent, Reply::Done(_) | Reply::Absent) => {
                next.state = State::Deleted;
                next.error = None;
            }
            // Taken by a coupon the lookup did not see: look again soon.
            (_, Reply::Taken) => next.next_at = now,
            (_, Reply::Retry { reason, after }) => {
                next.error = Some(reason);
                if let Some(s) = after {
                    next.next_at = now + chrono::Duration::seconds(s.min(6 * 3600) as i64);
                }
                next.give_up_after_max();
            }
            (_, Reply::Unauthorized(reason)) => {
                next.error = Some(format!("platform_unauthorized: {reason}"));
                next.give_up_after_max();
            }
            (_, Reply::Fail(reason)) => {
                next.error = Some(reason);
                next.state = if self.want == Want::Present { State::Failed } else { State::Deleted };
            }
            (Want::Present, Reply::Absent) => next.next_at = now,
        }
        next
    }

    fn give_up_after_max(&mut self) {
        if self.attempts >= MAX_ATTEMPTS {
            self.state = if self.want == Want::Present { State::Failed } else { State::Deleted };
        }
    }

    /// The coupon must go (its code was cancelled, or expired unused).
    pub fn remove(&self, now: DateTime<Utc>) -> Option<Coupon> {
        match (self.want, self.state) {
            (Want::Absent, _) | (_, State::Deleted) => None,
            (_, State::Failed) if self.platform_id.is_none() && self.attempts == 0 => None,
            _ => Some(Coupon { want: Want::Absent, next_at: now, ..self.clone() }),
        }
    }

    /// How a redemption shows its coupon: `pending`, `created`, `failed`,
    /// `deleted`, with the platform's error while there is one.
    pub fn view(&self) -> (Value, Option<&str>) {
        (json!(self.state), self.error.as_deref())
    }
}

/// The wait before attempt `n + 1`: a minute, growing to six hours.
fn backoff(n: u32) -> chrono::Duration {
    const MINUTES: [i64; 10] = [1, 2, 5, 10, 30, 60, 120, 240, 360, 360];
    chrono::Duration::minutes(MINUTES[(n.saturating_sub(1) as usize).min(MINUTES.len() - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::shop::{ApiInput, Platform, mask};

    fn now() -> DateTime<Utc> {
        "2026-12-06T10:00:00Z".parse().unwrap()
    }

    fn reward(kind: Kind, value: u64, min_order: u64) -> Reward {
        Reward { id: "r".into(), name: "تخفیف".into(), kind, value, cost: 100, valid_days: 30, min_order, stock: None, tier: None, active: true }
    }

    fn woo() -> Api {
        Api::Woocommerce { url: "https://shop.example".into(), consumer_key: "ck_0123456789".into(), consumer_secret: "cs_abcdef9f2a".into() }
    }

    fn shopify() -> Api {
        Api::Shopify { shop: "vafa-test.myshopify.com".into(), access_token: "shpat_0123456789ab".into() }
    }

    const SHOPIFY_URL: &str = "https://{shop}/admin/api/2025-10/graphql.json";

    fn body(c: &HttpCall) -> Value {
        serde_json::from_slice(&c.body).unwrap()
    }

    #[test]
    fn secrets_are_masked_and_a_masked_secret_sent_back_keeps_the_saved_one() {
        assert_eq!(mask("cs_abcdef9f2a"), "cs_…9f2a");
        assert_eq!(woo().view()["consumer_secret"], "cs_…9f2a");
        let again = ApiInput { url: Some("https://shop.example/".into()), consumer_key: Some("ck_…6789".into()), consumer_secret: Some("cs_…9f2a".into()), ..Default::default() };
        assert_eq!(Api::decide(Platform::Woocommerce, again, Some(&woo())).unwrap(), woo());
        // With no saved secret, the mask is no secret.
        let fresh = ApiInput { url: Some("https://shop.example".into()), consumer_key: Some("ck_…6789".into()), consumer_secret: Some("cs_…9f2a".into()), ..Default::default() };
        assert!(Api::decide(Platform::Woocommerce, fresh, None).is_err());
    }

    #[test]
    fn each_platform_takes_its_own_fields_and_a_plain_http_shop_only_on_loopback() {
        let field = |p, input: ApiInput| match Api::decide(p, input, None) {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let woo_with = |url: &str| ApiInput { url: Some(url.into()), consumer_key: Some("ck_0123456789".into()), consumer_secret: Some("cs_0123456789".into()), ..Default::default() };
        assert_eq!(field(Platform::Woocommerce, woo_with("http://shop.example")), "api.url");
        assert_eq!(field(Platform::Woocommerce, woo_with("https://shop.example/?x=1")), "api.url");
        assert!(Api::decide(Platform::Woocommerce, woo_with("http://127.0.0.1:8080/wp"), None).is_ok());
        assert_eq!(field(Platform::Shopify, woo_with("https://shop.example")), "api.url");
        assert_eq!(field(Platform::Shopify, ApiInput { shop: Some("shop.example".into()), access_token: Some("shpat_0123456789".into()), ..Default::default() }), "api.shop");
        assert_eq!(field(Platform::Generic, ApiInput::default()), "api");
        let s = Api::decide(Platform::Shopify, ApiInput { shop: Some("Vafa-Test.myshopify.com".into()), access_token: Some("shpat_0123456789ab".into()), ..Default::default() }, None).unwrap();
        assert_eq!(s, shopify());
    }

    #[test]
    fn a_woo_coupon_is_single_use_in_the_stores_own_currency() {
        let job = Coupon::new("ABCDEFGH2345", "rd_1", "shop", &reward(Kind::Fixed, 500_000, 2_000_000), now(), now() + chrono::Duration::days(30));
        let c = create(&woo(), "", &job, "IRT");
        assert_eq!(c.url, "https://shop.example/wp-json/wc/v3/coupons");
        assert!(c.headers.iter().any(|(k, v)| k == "authorization" && v.starts_with("Basic ")));
        let b = body(&c);
        assert_eq!(b["discount_type"], "fixed_cart");
        // 500,000 rials is 50,000 toman; 2,000,000 rials 200,000 toman.
        assert_eq!(b["amount"], "50000");
        assert_eq!(b["minimum_amount"], "200000");
        assert_eq!((b["usage_limit"].as_u64(), b["usage_limit_per_user"].as_u64(), b["individual_use"].as_bool()), (Some(1), Some(1), Some(true)));
        assert_eq!(b["date_expires_gmt"], "2027-01-05T10:00:00");
        let free = create(&woo(), "", &Coupon { reward: reward(Kind::FreeShipping, 0, 0), ..job.clone() }, "IRR");
        assert_eq!((body(&free)["free_shipping"].as_bool(), body(&free).get("minimum_amount")), (Some(true), None));
        assert_eq!(body(&create(&woo(), "", &Coupon { reward: reward(Kind::Percent, 15, 0), ..job }, "IRR"))["amount"], "15");
    }

    #[test]
    fn a_shopify_discount_names_its_mutation_and_passes_every_input_as_variables() {
        let job = Coupon::new("ABCDEFGH2345", "rd_1", "shop", &reward(Kind::Percent, 15, 45_000), now(), now() + chrono::Duration::days(30));
        let c = create(&shopify(), SHOPIFY_URL, &job, "IRHT");
        assert_eq!(c.url, "https://vafa-test.myshopify.com/admin/api/2025-10/graphql.json");
        let b = body(&c);
        assert!(b["query"].as_str().unwrap().contains("discountCodeBasicCreate(basicCodeDiscount: $input)"));
        let input = &b["variables"]["input"];
        assert_eq!(input["customerGets"]["value"]["percentage"], 0.15);
        assert_eq!(input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"], "4.5");
        assert_eq!((input["usageLimit"].as_u64(), input["appliesOncePerCustomer"].as_bool()), (Some(1), Some(true)));
        assert_eq!(input["endsAt"], "2027-01-05T10:00:00Z");
        let free = body(&create(&shopify(), SHOPIFY_URL, &Coupon { reward: reward(Kind::FreeShipping, 0, 0), ..job }, "IRR"));
        assert!(free["query"].as_str().unwrap().contains("discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input)"));
        assert_eq!(free["variables"]["input"]["destination"]["all"], true);
    }

    #[test]
    fn answers_are_read_as_each_platform_writes_them() {
        let w = woo();
        assert_eq!(read(&w, Step::Lookup, 200, b"[]", None), Reply::Absent);
        assert_eq!(read(&w, Step::Lookup, 200, br#"[{"id": 72, "code": "abcdefgh2345"}]"#, None), Reply::Done(Some("72".into())));
        assert_eq!(read(&w, Step::Create, 201, br#"{"id": 73}"#, None), Reply::Done(Some("73".into())));
        assert_eq!(read(&w, Step::Create, 400, br#"{"code":"woocommerce_rest_coupon_code_already_exists","message":"The coupon code already exists","data":{"status":400}}"#, None), Reply::Taken);
        assert!(matches!(read(&w, Step::Create, 401, br#"{"code":"woocommerce_rest_cannot_create"}"#, None), Reply::Unauthorized(_)));
        assert_eq!(read(&w, Step::Create, 429, b"", Some(30)), Reply::Retry { reason: "the platform asked to slow down (429)".into(), after: Some(30) });
        assert_eq!(read(&w, Step::Delete, 404, br#"{"code":"woocommerce_rest_shop_coupon_invalid_id"}"#, None), Reply::Absent);
        let s = shopify();
        assert_eq!(read(&s, Step::Lookup, 200, br#"{"data":{"codeDiscountNodeByCode":null}}"#, None), Reply::Absent);
        assert_eq!(read(&s, Step::Create, 200, br#"{"data":{"discountCodeBasicCreate":{"codeDiscountNode":{"id":"gid://shopify/DiscountCodeNode/1"},"userErrors":[]}}}"#, None), Reply::Done(Some("gid://shopify/DiscountCodeNode/1".into())));
        assert_eq!(read(&s, Step::Create, 200, br#"{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"code":"TAKEN","message":"Code must be unique."}]}}}"#, None), Reply::Taken);
        assert!(matches!(read(&s, Step::Create, 200, br#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}"#, None), Reply::Retry { .. }));
    }

    #[test]
    fn a_job_is_retried_until_it_gives_up_and_a_cancelled_coupon_goes() {
        let mut job = Coupon::new("ABCDEFGH2345", "rd_1", "shop", &reward(Kind::Fixed, 1000, 0), now(), now() + chrono::Duration::days(30));
        assert_eq!(job.next(now()), Next::Make);
        for _ in 0..MAX_ATTEMPTS {
            assert_eq!(job.state, State::Pending);
            job = job.begin(now()).settle(Reply::Retry { reason: "503".into(), after: None }, now());
        }
        assert_eq!((job.state, job.error.as_deref()), (State::Failed, Some("503")));
        let made = Coupon::new("ABCDEFGH2345", "rd_1", "shop", &reward(Kind::Fixed, 1000, 0), now(), now()).begin(now()).settle(Reply::Done(Some("9".into())), now());
        assert_eq!((made.state, made.platform_id.as_deref(), made.next(now() + chrono::Duration::hours(1))), (State::Created, Some("9"), Next::Nothing));
        let going = made.remove(now()).unwrap();
        assert_eq!(going.next(now()), Next::Remove);
        assert_eq!(going.begin(now()).settle(Reply::Absent, now()).state, State::Deleted);
    }
}
