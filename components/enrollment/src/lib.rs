//! The enrollment component: joining the club by double opt-in (public):
//! `POST /api/join` sends a code by SMS, `POST /api/join/verify` makes the
//! member.
//! Handlers are thin: parse and authenticate, read, let `vafa-core` decide,
//! write through `vafa-spin`, answer.

mod join;

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
    use Method::*;
    match segs {
        ["api", "join"] => match method {
            Post => join::start(req, &Ctx::new()?),
            _ => not_allowed(&["POST"]),
        },
        ["api", "join", "verify"] => match method {
            Post => join::verify(req, &Ctx::new()?),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    }
}
