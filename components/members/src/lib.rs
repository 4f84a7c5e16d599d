//! The members component (admin; stores create their own): members, their
//! profile, phone and consent, erasure, and the message log.
//! Handlers are thin: parse and authenticate, read, let `vafa-core` decide,
//! write through `vafa-spin`, answer.

mod members;
mod messages;

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
        ["api", "members"] => match method {
            Get => members::find_or_list(req, &Ctx::new()?),
            Post => members::create(req, &Ctx::new()?),
            _ => not_allowed(&["GET", "POST"]),
        },
        ["api", "members", id] => match method {
            Get => members::get(req, &Ctx::new()?, id),
            Patch => members::patch(req, &Ctx::new()?, id),
            Delete => members::erase(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET", "PATCH", "DELETE"]),
        },
        ["api", "members", id, action] => {
            let (allowed, handler): (&'static [&'static str], members::Action) = match *action {
                "phone" => (&["POST"], members::change_phone),
                "consent" => (&["POST"], members::consent),
                _ => return Err(no_route()),
            };
            if method.to_string() != allowed[0] {
                return not_allowed(allowed);
            }
            handler(req, &Ctx::new()?, id)
        }
        ["api", "messages"] => match method {
            Get => messages::list(req, &Ctx::new()?),
            _ => not_allowed(&["GET"]),
        },
        _ => Err(no_route()),
    }
}
