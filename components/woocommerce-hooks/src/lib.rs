//! The woocommerce-hooks component: WooCommerce's order webhooks
//! (`/hooks/woocommerce/{store}`, topic in `x-wc-webhook-topic`), verified
//! on the raw bytes (`x-wc-webhook-signature`: base64 HMAC-SHA256 with the
//! store's secret) before anything is parsed, then applied by
//! `vafa_spin::webhook` like every store's. Apart from `purchase-scoring`
//! (the generic event) and `shopify-hooks` so that each links only its
//! platform's parser (every component stays under 600 KiB).

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::order::{self, Parsed};
use vafa_core::secret;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::webhook::{self, header};

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match segs {
        ["hooks", "woocommerce", store_id] => match method {
            Method::Post => receive(&req, &Ctx::new()?, store_id),
            _ => not_allowed(&["POST"]),
        },
        _ => Err(no_route()),
    })
}

fn receive(req: &Request, ctx: &Ctx, store_id: &str) -> Result<Response> {
    let topic = header(req, "x-wc-webhook-topic");
    webhook::receive(req, ctx, store_id, false, |shop, body| {
        // WooCommerce's ping when a webhook is saved comes unsigned and
        // without a topic (class-wc-webhook.php `deliver_ping`); it changes
        // nothing, so it is answered before any check.
        if topic.is_none() && order::woocommerce::is_ping(body) {
            return Ok(Parsed::Ping);
        }
        if !secret::verify_base64_sha256(&shop.webhook_secret, body, header(req, "x-wc-webhook-signature")) {
            return Err(Error::Unauthorized);
        }
        order::woocommerce::parse(topic, body, &shop.currency)
    })
}
