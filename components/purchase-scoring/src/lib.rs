//! The purchase-scoring component: the stores' generic order events
//! (WooCommerce's are `woocommerce-hooks`, Shopify's `shopify-hooks`) earn and take back points, by the tier and the
//! club's bonus rules, through the points journal (`vafa_spin::wallet`).
//! Handlers parse and authenticate, read, let `vafa-core` decide, write
//! through `vafa-spin`, answer.

mod webhooks;

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
        ["hooks", "orders", store_id] => match method {
            Method::Post => webhooks::generic(req, &Ctx::new()?, store_id),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    }
}
