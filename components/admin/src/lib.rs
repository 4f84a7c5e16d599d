//! The admin component: the club's configuration and the admin's side of
//! points: the
//! bonus rules (`/api/bonus-rules`), the SMS panel in use (`/api/panel`), a member's points adjusted by hand and
//! their ledger (`/api/members/{id}/adjust`, `/ledger`, routed here by
//! spin.toml's more specific routes; changes go through the points journal,
//! `vafa_spin::wallet`).

mod bonus_rules;
mod panel;
mod points;

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
        ["api", "panel"] => match method {
            Method::Get => panel::get(req, &Ctx::new()?),
            _ => not_allowed(&["GET"]),
        },
        ["api", "bonus-rules"] => match method {
            Method::Get => bonus_rules::list(req, &Ctx::new()?),
            Method::Put => bonus_rules::set_stacking(req, &Ctx::new()?),
            _ => not_allowed(&["GET", "PUT"]),
        },
        ["api", "bonus-rules", id] => match method {
            Method::Get => bonus_rules::get(req, &Ctx::new()?, id),
            Method::Put => bonus_rules::put(req, &Ctx::new()?, id),
            Method::Delete => bonus_rules::delete(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET", "PUT", "DELETE"]),
        },
        ["api", "members", id, "adjust"] => match method {
            Method::Post => points::adjust(req, &Ctx::new()?, id),
            _ => not_allowed(&["POST"]),
        },
        ["api", "members", id, "orders"] => match method {
            Method::Get => points::orders(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET"]),
        },
        ["api", "members", id, "ledger"] => match method {
            Method::Get => points::ledger(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET"]),
        },
        _ => Err(no_route()),
    }
}
