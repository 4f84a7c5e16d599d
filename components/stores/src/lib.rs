//! The stores component: the club's stores (`/api/stores`,
//! `/api/stores/{id}`, `/api/stores/{id}/rotate-key`,
//! `/api/stores/{id}/backfill`, admin). Apart from
//! `admin` because a store's platform credentials and their check link the
//! coupon requests (every component stays under 600 KiB).

mod edit;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["api", "stores"] => match method {
            Method::Get => edit::list(&req, &Ctx::new()?),
            _ => not_allowed(&["GET"]),
        },
        ["api", "stores", id] => match method {
            Method::Get => edit::get(&req, &Ctx::new()?, id),
            Method::Put => edit::put(&req, &Ctx::new()?, id),
            _ => not_allowed(&["GET", "PUT"]),
        },
        ["api", "stores", id, "backfill"] => match method {
            Method::Post => edit::backfill(&req, &Ctx::new()?, id),
            Method::Get => edit::backfill_progress(&req, &Ctx::new()?, id),
            _ => not_allowed(&["GET", "POST"]),
        },
        ["api", "stores", id, "rotate-key"] => match method {
            Method::Post => edit::rotate_key(&req, &Ctx::new()?, id),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    })
}
