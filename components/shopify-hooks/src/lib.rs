//! The shopify-hooks component: Shopify's order and refund webhooks
//! (`/hooks/shopify/{store}`, topic in `x-shopify-topic`), verified on the
//! raw bytes (`x-shopify-hmac-sha256`: base64 HMAC-SHA256 with the store's
//! secret) before anything is parsed, then applied by `vafa_spin::webhook`
//! like every store's. Apart from `purchase-scoring` so that each links
//! only its platforms' parsers (every component stays under 600 KiB).

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::{order, secret};
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::webhook::{self, header};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["hooks", "shopify", store_id] => match method {
            Method::Post => receive(&req, &Ctx::new()?, store_id),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    })
}

fn receive(req: &Request, ctx: &Ctx, store_id: &str) -> Result<Response> {
    webhook::receive(req, ctx, store_id, false, |shop, body| {
        if !secret::verify_base64_sha256(&shop.webhook_secret, body, header(req, "x-shopify-hmac-sha256")) {
            return Err(Error::Unauthorized);
        }
        order::shopify::parse(header(req, "x-shopify-topic").unwrap_or_default(), body, &shop.currency)
    })
}
