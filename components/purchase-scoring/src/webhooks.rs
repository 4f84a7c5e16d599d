//! Order webhooks (README "Orders (webhooks)"): the generic signed event,
//! verified on the raw bytes with the store's secret before anything is
//! parsed; `vafa_spin::webhook` applies its facts to the member's points
//! once each. WooCommerce's and Shopify's have components of their own
//! (`woocommerce-hooks`, `shopify-hooks`), so each links only its parser.

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::order;
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
