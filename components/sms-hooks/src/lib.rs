//! The SMS panel's callbacks: members' replies to the club's line and
//! delivery reports, posted by a panel that can call a URL. Apart from the
//! member-facing components so that each links only what it uses.

mod hooks;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::Result;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| route(&req, segs, method))
}

fn route(req: &Request, segs: &[&str], method: &Method) -> Result<Response> {
    let handler = match segs {
        ["hooks", "sms", "inbound"] => hooks::receive,
        ["hooks", "sms", "delivery"] => hooks::delivery,
        _ => return Err(no_route()),
    };
    match method {
        Method::Post => handler(req, &Ctx::new()?),
        _ => not_allowed(&["POST"]),
    }
}
