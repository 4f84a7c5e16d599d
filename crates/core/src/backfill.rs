//! A store's past orders brought in from its platform
//! (`POST /api/stores/{id}/backfill`): WooCommerce's `GET /orders`, page by
//! page (`X-WP-TotalPages`), or Shopify's `orders` query, cursor by cursor
//! (`pageInfo`). A page a tick; each order is read as its webhook would be
//! and counted once (a webhook of it later is a duplicate). The job
//! ([`Backfill`]) says how far it has come.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::coupon::{Reply, Step};
use crate::error::{Error, Result};
use crate::order::{OrderUpdate, Parsed};
use crate::provider::HttpCall;
use crate::shop::Api;

/// Orders asked for a page.
pub const PAGE: u32 = 50;
/// Failed tries of one page before the job stops.
const MAX_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Running,
    Done,
    Failed,
}

/// `POST /api/stores/{id}/backfill`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillInput {
    /// A date (`2026-01-01`, UTC midnight) or an RFC 3339 time.
    pub since: String,
    #[serde(default)]
    pub award_points: bool,
}

/// A store's backfill (`backfill:{store}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backfill {
    pub store_id: String,
    #[serde(with = "crate::time::rfc3339")]
    pub since: DateTime<Utc>,
    pub award_points: bool,
    pub state: State,
    /// WooCommerce: the next page (from 1). Shopify: the cursor after the
    /// last page read.
    pub page: u32,
    pub cursor: Option<String>,
    pub total_pages: Option<u32>,
    pub pages: u32,
    /// Orders read; of them counted now, already counted (a webhook came),
    /// and passed over (not paid, no phone…).
    pub orders: u32,
    pub counted: u32,
    pub duplicates: u32,
    pub skipped: u32,
    #[serde(with = "crate::time::rfc3339")]
    pub next_at: DateTime<Utc>,
    pub attempts: u32,
    pub error: Option<String>,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::rfc3339::option")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where a page leaves the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Page(u32),
    Cursor(String),
    End,
}

/// What one page came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    /// The page's orders (each read, or why it cannot be) and what follows.
    Orders { orders: Vec<std::result::Result<OrderUpdate, String>>, next: Next, total_pages: Option<u32> },
    /// Ask again after `after` seconds (the platform said so) or the job's backoff.
    Retry { reason: String, after: Option<u64> },
    /// The platform refused; the job stops with this reason.
    Fail(String),
}

/// Counted orders of a page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub counted: u32,
    pub duplicates: u32,
    pub skipped: u32,
}

impl Backfill {
    /// A new backfill of `store_id` from `since`, which must be past.
    pub fn new(store_id: &str, input: &BackfillInput, now: DateTime<Utc>) -> Result<Backfill> {
        let text = crate::text::ascii_digits(input.since.trim());
        let since = DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| crate::settings::parse_iso_date(&text).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()))
            .filter(|t| *t < now)
            .ok_or_else(|| Error::field("since", "expected a past date such as 2026-01-01, or an RFC 3339 time"))?;
        Ok(Backfill {
            store_id: store_id.to_string(),
            since,
            award_points: input.award_points,
            state: State::Running,
            page: 1,
            cursor: None,
            total_pages: None,
            pages: 0,
            orders: 0,
            counted: 0,
            duplicates: 0,
            skipped: 0,
            next_at: now,
            attempts: 0,
            error: None,
            created_at: now,
            finished_at: None,
        })
    }

    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.state == State::Running && self.next_at <= now
    }

    /// A page read and its orders counted.
    pub fn advanced(&self, next: &Next, total_pages: Option<u32>, read: u32, counts: Counts, now: DateTime<Utc>) -> Backfill {
        let mut job = Backfill {
            pages: self.pages + 1,
            orders: self.orders + read,
            counted: self.counted + counts.counted,
            duplicates: self.duplicates + counts.duplicates,
            skipped: self.skipped + counts.skipped,
            total_pages: total_pages.or(self.total_pages),
            attempts: 0,
            error: None,
            next_at: now,
            ..self.clone()
        };
        match next {
            Next::Page(p) => job.page = *p,
            Next::Cursor(c) => job.cursor = Some(c.clone()),
            Next::End => {
                job.state = State::Done;
                job.finished_at = Some(now);
            }
        }
        job
    }

    /// A page that must be asked again, or the end of a job that cannot go on.
    pub fn deferred(&self, page: &Page, now: DateTime<Utc>) -> Backfill {
        let mut job = self.clone();
        match page {
            Page::Retry { reason, after } => {
                job.attempts += 1;
                job.error = Some(reason.clone());
                let backoff = after.map_or(15 * 2i64.pow(job.attempts.min(8)), |s| s.min(3600) as i64);
                job.next_at = now + chrono::Duration::seconds(backoff);
                if job.attempts >= MAX_ATTEMPTS {
                    job.state = State::Failed;
                    job.finished_at = Some(now);
                }
            }
            Page::Fail(reason) => {
                job.error = Some(reason.clone());
                job.state = State::Failed;
                job.finished_at = Some(now);
            }
            Page::Orders { .. } => {}
        }
        job
    }

    pub fn view(&self) -> Value {
        json!({
            "store_id": self.store_id,
            "state": self.state,
            "since": crate::time::format(&self.since),
            "award_points": self.award_points,
            "pages": self.pages,
            "total_pages": self.total_pages,
            "progress": match (self.state, self.total_pages) {
                (State::Done, _) => Some(1.0),
                (_, Some(t)) if t > 0 => Some((f64::from(self.pages) / f64::from(t)).min(1.0)),
                _ => None,
            },
            "orders": self.orders,
            "counted": self.counted,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "error": self.error,
            "created_at": crate::time::format(&self.created_at),
            "finished_at": self.finished_at.as_ref().map(crate::time::format),
        })
    }
}

const SHOPIFY_ORDERS: &str = "query($cursor: String, $query: String) { orders(first: 50, after: $cursor, query: $query, sortKey: CREATED_AT) { pageInfo { hasNextPage endCursor } nodes { id phone createdAt processedAt cancelledAt displayFinancialStatus customer { firstName phone } billingAddress { firstName phone } totalPriceSet { shopMoney { amount currencyCode } } discountCodes lineItems(first: 100) { nodes { sku product { id } quantity originalUnitPriceSet { shopMoney { amount } } } } refunds { id totalRefundedSet { shopMoney { amount } } } } } }";

/// The request for the job's next page.
pub fn request(api: &Api, shopify_admin_url: &str, job: &Backfill) -> HttpCall {
    let since = crate::time::format(&job.since);
    match api {
        Api::Woocommerce { .. } => crate::coupon::call(api, shopify_admin_url, "GET", &format!("/orders?after={since}&orderby=date&order=asc&per_page={PAGE}&page={}", job.page), None),
        Api::Shopify { .. } => crate::coupon::graphql(api, shopify_admin_url, SHOPIFY_ORDERS, json!({ "cursor": job.cursor, "query": format!("created_at:>='{since}'") })),
    }
}

/// Reads a page's answer. `total_pages` is WooCommerce's `X-WP-TotalPages`.
pub fn read(api: &Api, job: &Backfill, status: u16, body: &[u8], total_pages: Option<u32>, retry_after: Option<u64>, store_currency: &str) -> Page {
    // Errors read as a coupon call's are (401, 429, 5xx, Shopify's throttle).
    let v: Value = match (status, serde_json::from_slice::<Value>(body)) {
        (200, Ok(v)) => v,
        (_, parsed) => {
            let reply = crate::coupon::read(api, Step::Verify, status, body, retry_after);
            return match reply {
                Reply::Unauthorized(m) => Page::Fail(format!("platform_unauthorized: {m}")),
                Reply::Retry { reason, after } => Page::Retry { reason, after },
                _ if parsed.is_err() => Page::Retry { reason: format!("the platform answered {status} with no JSON"), after: None },
                _ => Page::Fail(format!("the platform answered {status}: {}", String::from_utf8_lossy(body).chars().take(200).collect::<String>())),
            };
        }
    };
    let woo = |o: &Value| match crate::order::woocommerce::parse(Some("order.updated"), o.to_string().as_bytes(), store_currency) {
        Ok(Parsed::Order(u)) => Ok(u),
        Ok(_) => Err("not paid".to_string()),
        Err(e) => Err(e.to_string()),
    };
    match api {
        Api::Woocommerce { .. } => {
            let Some(list) = v.as_array() else { return Page::Retry { reason: "the orders are not a list".into(), after: None } };
            let more = match total_pages {
                Some(t) => job.page < t,
                None => list.len() as u32 >= PAGE,
            };
            Page::Orders { orders: list.iter().map(woo).collect(), next: if more { Next::Page(job.page + 1) } else { Next::End }, total_pages }
        }
        Api::Shopify { .. } => {
            if let Some(errors) = v.get("errors").filter(|e| !e.is_null()) {
                let throttled = errors.as_array().into_iter().flatten().any(|e| e.pointer("/extensions/code").and_then(Value::as_str) == Some("THROTTLED"));
                return if throttled { Page::Retry { reason: "Shopify throttled the query".into(), after: retry_after } } else { Page::Fail(format!("Shopify refused the query: {errors}")) };
            }
            let Some(orders) = v.pointer("/data/orders") else { return Page::Retry { reason: "no orders in the answer".into(), after: None } };
            let parsed = orders.pointer("/nodes").and_then(Value::as_array).into_iter().flatten().map(|n| match crate::order::shopify::from_graphql(n, store_currency) {
                Ok(Parsed::Order(u)) => Ok(u),
                Ok(_) => Err("not paid".to_string()),
                Err(e) => Err(e.to_string()),
            });
            let next = match (orders.pointer("/pageInfo/hasNextPage").and_then(Value::as_bool), orders.pointer("/pageInfo/endCursor").and_then(Value::as_str)) {
                (Some(true), Some(c)) => Next::Cursor(c.to_string()),
                _ => Next::End,
            };
            Page::Orders { orders: parsed.collect(), next, total_pages: None }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-06T10:00:00Z".parse().unwrap()
    }

    fn woo() -> Api {
        Api::Woocommerce { url: "https://shop.example".into(), consumer_key: "ck_1".into(), consumer_secret: "cs_1".into() }
    }

    #[test]
    fn a_backfill_starts_in_the_past_and_pages_until_the_last() {
        assert!(Backfill::new("s", &BackfillInput { since: "2027-01-01".into(), award_points: false }, now()).is_err());
        let job = Backfill::new("s", &BackfillInput { since: "۲۰۲۶-۰۱-۰۱".into(), award_points: false }, now()).unwrap();
        assert_eq!(crate::time::format(&job.since), "2026-01-01T00:00:00Z");
        let call = request(&woo(), "", &job);
        assert!(call.url.ends_with("/wp-json/wc/v3/orders?after=2026-01-01T00:00:00Z&orderby=date&order=asc&per_page=50&page=1"), "{}", call.url);
        let page = read(&woo(), &job, 200, b"[]", Some(2), None, "IRR");
        let Page::Orders { next, .. } = &page else { panic!("{page:?}") };
        let second = job.advanced(next, Some(2), 0, Counts::default(), now());
        assert_eq!((second.page, second.state), (2, State::Running));
        let Page::Orders { next, .. } = read(&woo(), &second, 200, b"[]", Some(2), None, "IRR") else { panic!() };
        assert_eq!(second.advanced(&next, None, 0, Counts::default(), now()).state, State::Done);
    }

    #[test]
    fn a_platform_that_asks_to_wait_is_waited_for_and_a_refusal_stops_the_job() {
        let job = Backfill::new("s", &BackfillInput { since: "2026-01-01".into(), award_points: false }, now()).unwrap();
        let wait = read(&woo(), &job, 429, b"{}", None, Some(30), "IRR");
        assert_eq!(wait, Page::Retry { reason: "the platform asked to slow down (429)".into(), after: Some(30) });
        let later = job.deferred(&wait, now());
        assert_eq!((later.next_at - now()).num_seconds(), 30);
        assert!(!later.due(now()) && later.due(now() + chrono::Duration::seconds(30)));
        let refused = read(&woo(), &job, 401, br#"{"code":"woocommerce_rest_authentication_error"}"#, None, None, "IRR");
        assert_eq!(job.deferred(&refused, now()).state, State::Failed);
    }
}
