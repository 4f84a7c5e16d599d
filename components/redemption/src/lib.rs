//! The redemption component: points spent on a reward for a single-use
//! code (`/api/redemptions`). The catalog is the `rewards` component's,
//! the code at a store's checkout the `codes` component's.
//! Points move through the points journal (`vafa_spin::wallet`).

mod redeem;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::Result;
use vafa_spin::http::{self, no_route, not_allowed};

pub use vafa_spin::http::Ctx;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| route(&req, segs, method))
}

fn route(req: &Request, segs: &[&str], method: &Method) -> Result<Response> {
    match segs {
        ["api", "redemptions"] => match method {
            Method::Post => redeem::redeem(req, &Ctx::new()?),
            _ => not_allowed(&["POST"]),
        },
        ["api", "redemptions", id] => match method {
            Method::Get => redeem::get(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET"]),
        },
        ["api", "redemptions", id, "cancel"] => match method {
            Method::Post => redeem::cancel(req, &Ctx::new()?, id),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    }
}
