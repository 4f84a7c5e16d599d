//! Order webhooks (README "Orders (webhooks)"): the generic signed event and
//! WooCommerce's order webhook. Each is verified on the raw bytes with the
//! store's secret before anything is parsed; `vafa_spin::webhook` applies
//! its facts to the member's points once each. Shopify's have a component
//! of their own (`shopify-hooks`), so each links only its parsers.

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::order::{self, Parsed};
use vafa_core::secret;
use vafa_spin::webhook::{self, header};

/// The generic signed event (`x-vafa-signature`: hex HMAC-SHA256).
pub fn generic(req: &Request, ctx: &Ctx, store_id: &str) -> Result<Response> {
    webhook::receive(req, ctx, store_id, true, |shop, body| {
        if !secret::verify_hex_sha256(&shop.webhook_secret, body, header(req, "x-vafa-signature")) {
            return Err(Error::Unauthorized);
        }
        order::generic::parse(body, &shop.currency)
    })
}

/// WooCommerce's order webhook (`x-wc-webhook-signature`: base64 HMAC-SHA256).
pub fn woocommerce(req: &Request, ctx: &Ctx, store_id: &str) -> Result<Response> {
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
