//! The purchase-scoring component: a member's points, kept through the
//! points journal (`vafa_spin::wallet`): store order webhooks (generic,
//! WooCommerce, Shopify) earn and take back points (by the tier and the
//! club's bonus rules), and the admin keeps the bonus rules, adjusts points
//! by hand and reads the ledger. Handlers parse and authenticate, read, let `vafa-core` decide,
//! write through `vafa-spin`, answer.

mod bonus_rules;
mod points;
mod webhooks;

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_spin::http::segments;

pub use vafa_spin::http::Ctx;

#[http_component]
fn handle(req: Request) -> Response {
    vafa_spin::http::answer(route(&req))
}

fn route(req: &Request) -> Result<Response> {
    let segs = segments(req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method();
    let not_allowed = |allow: &'static [&'static str]| Err(Error::MethodNotAllowed(allow));
    match segs.as_slice() {
        ["api", "bonus-rules"] => match method {
            Method::Get => bonus_rules::list(req, &Ctx::new()?),
            Method::Put => bonus_rules::set_stacking(req, &Ctx::new()?),
            _ => not_allowed(&["GET", "PUT"]),
        },
        ["api", "bonus-rules", id] => match method {
            Method::Put => bonus_rules::put(req, &Ctx::new()?, id),
            Method::Delete => bonus_rules::delete(req, &Ctx::new()?, id),
            _ => not_allowed(&["PUT", "DELETE"]),
        },
        ["api", "members", id, "adjust"] => match method {
            Method::Post => points::adjust(req, &Ctx::new()?, id),
            _ => not_allowed(&["POST"]),
        },
        ["api", "members", id, "ledger"] => match method {
            Method::Get => points::ledger(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET"]),
        },
        ["hooks", platform, store_id] => {
            let format = match *platform {
                "orders" => webhooks::Format::Generic,
                "woocommerce" => webhooks::Format::WooCommerce,
                "shopify" => webhooks::Format::Shopify,
                _ => return Err(Error::NotFound("route".into())),
            };
            match method {
                Method::Post => webhooks::receive(req, &Ctx::new()?, format, store_id),
                _ => not_allowed(&["POST"]),
            }
        }
        _ => Err(Error::NotFound("route".into())),
    }
}
