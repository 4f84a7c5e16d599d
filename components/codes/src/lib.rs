//! The codes component: a member's single-use code at a store's checkout
//! (`POST /api/codes/{code}/validate` and `…/consume`, by the store's key
//! or the club's staff).

mod codes;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_spin::http::{self, no_route, not_allowed};

pub use vafa_spin::http::Ctx;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["api", "codes", code, action @ ("validate" | "consume")] => match method {
            Method::Post if *action == "validate" => codes::validate(&req, &Ctx::new()?, code),
            Method::Post => codes::consume(&req, &Ctx::new()?, code),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    })
}
