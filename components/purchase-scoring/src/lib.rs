//! The purchase-scoring component: store order webhooks (generic,
//! WooCommerce, Shopify) earn and take back points, by the tier and the
//! club's bonus rules, through the points journal (`vafa_spin::wallet`).
//! Handlers parse and authenticate, read, let `vafa-core` decide, write
//! through `vafa-spin`, answer.

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
