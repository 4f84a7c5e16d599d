//! Order webhooks (the API contract "Orders (webhooks)"): the generic signed
//! event, WooCommerce's order webhook and Shopify's orders and refunds. Each
//! is verified on the raw bytes with the store's secret before anything is
//! parsed, then its facts are applied to the member's points once each.

use crate::Ctx;
use serde_json::json;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::bonus::Rules;
use vafa_core::member::{Draft, parse_phone};
use vafa_core::order::{self, OrderUpdate, Parsed};
use vafa_core::secret;
use vafa_core::settings::Settings;
use vafa_core::shop::{self, Shop};
use vafa_spin::kv::decoded_or_default;
use vafa_spin::{http, keys, members, orders};

/// The three webhook formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Generic,
    WooCommerce,
    Shopify,
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name).and_then(|v| v.as_str())
}

/// The store, the club's settings and its bonus rules, in one read.
fn store_and_settings(ctx: &Ctx, store_id: &str) -> Result<(Shop, Settings, Rules)> {
    let unknown = || Error::NotFound(format!("store {store_id}"));
    shop::validate_id(store_id).map_err(|_| unknown())?;
    let sk = keys::store(store_id);
    let found = ctx.kv.get_many(&[sk.clone(), keys::SETTINGS.to_string(), keys::BONUS_RULES.to_string()])?;
    let shop: Shop = vafa_spin::kv::decode(&sk, found.get(&sk).ok_or_else(unknown)?)?;
    Ok((shop, decoded_or_default(&found, keys::SETTINGS)?, decoded_or_default(&found, keys::BONUS_RULES)?))
}

pub fn receive(req: &Request, ctx: &Ctx, format: Format, store_id: &str) -> Result<Response> {
    // Parse the envelope, then authenticate on the raw bytes.
    let body = http::body(req)?;
    let (shop, settings, rules) = store_and_settings(ctx, store_id)?;
    let secret = shop.webhook_secret.as_str();
    let parsed = match format {
        Format::Generic => {
            if !secret::verify_hex_sha256(secret, body, header(req, "x-vafa-signature")) {
                return Err(Error::Unauthorized);
            }
            order::generic::parse(body, &shop.currency)?
        }
        Format::WooCommerce => {
            let topic = header(req, "x-wc-webhook-topic");
            // WooCommerce's ping when a webhook is saved comes unsigned and
            // without a topic (class-wc-webhook.php `deliver_ping`); it
            // changes nothing, so it is answered before any check.
            if topic.is_none() && order::woocommerce::is_ping(body) {
                return Ok(http::json(200, &json!({"ok": true})));
            }
            if !secret::verify_base64_sha256(secret, body, header(req, "x-wc-webhook-signature")) {
                return Err(Error::Unauthorized);
            }
            order::woocommerce::parse(topic, body, &shop.currency)?
        }
        Format::Shopify => {
            if !secret::verify_base64_sha256(secret, body, header(req, "x-shopify-hmac-sha256")) {
                return Err(Error::Unauthorized);
            }
            let topic = header(req, "x-shopify-topic").unwrap_or_default();
            order::shopify::parse(topic, body, &shop.currency)?
        }
    };
    let update = match parsed {
        Parsed::Ping => return Ok(http::json(200, &json!({"ok": true}))),
        Parsed::Ignored(why) => return Ok(http::json(200, &json!({"ignored": why}))),
        Parsed::Order(update) => update,
    };
    // Read: the order's record answers a redelivery at once.
    let key = orders::order_key(store_id, &update.order_id)?;
    let record = orders::record(&ctx.kv, &key)?;
    if let Some(answer) = record.as_ref().and_then(|r| orders::known_answer(r, &key, &update)) {
        return Ok(http::json(200, &answer));
    }
    let member = match &record {
        Some(r) => members::load(&ctx.kv, r.member)?.ok_or_else(|| Error::NotFound(format!("member of order {}", update.order_id)))?,
        None => match member_for(ctx, &settings, &shop, &update, format)? {
            Ok(found) => found,
            Err(response) => return Ok(response),
        },
    };
    if update.paid {
        vafa_spin::codes::link_to_order(&ctx.kv, &update.coupons, &update.order_id)?;
        // A purchase soon after a campaign's message is its conversion
        // (once per member: safe to count before the points, and again).
        vafa_spin::tracking::conversion(&ctx.kv, &settings, member.number, update.total, ctx.now)?;
    }
    let buyer = orders::Buyer { number: member.number, referred_by: member.member.referred_by.as_deref(), tags: &member.member.tags };
    let club = orders::Club { settings: &settings, rules: &rules };
    let answer = orders::apply(&ctx.kv, &club, store_id, &update, &buyer, record, ctx.now)?;
    if !answer.duplicate {
        vafa_spin::log::info(&format!("order {key}: {} points for {}", answer.points_delta, answer.member_id));
    }
    Ok(http::json(200, &answer))
}

/// The member an order is for: by phone, or enrolled now (without marketing
/// consent) when the store asks for it. `Err(response)`: what to answer
/// instead, writing nothing.
fn member_for(ctx: &Ctx, settings: &Settings, shop: &Shop, update: &OrderUpdate, format: Format) -> Result<Result<members::Found, Response>> {
    // WooCommerce and Shopify disable a webhook that keeps failing, so an
    // order without a usable phone is acknowledged, not refused.
    let ignored = || Ok(Err(http::json(200, &json!({"ignored": "no_phone"}))));
    let phone = match update.phone.as_deref().map(|raw| parse_phone(raw, settings)) {
        Some(Ok(phone)) => phone,
        Some(Err(e)) if format == Format::Generic => return Err(e),
        _ if format == Format::Generic => return Err(Error::field("phone", "the order names no customer phone")),
        _ if update.paid => return ignored(),
        // A refund or cancellation of an order never recorded here.
        _ => return Err(Error::NotFound(format!("order {}", update.order_id))),
    };
    if let Some(found) = members::by_phone(&ctx.kv, &phone)? {
        return Ok(Ok(found));
    }
    if !update.paid {
        return Err(Error::NotFound(format!("order {}", update.order_id)));
    }
    if !shop.auto_enroll {
        return Ok(Err(http::json(202, &json!({"member_id": null}))));
    }
    let draft = Draft { phone, name: update.name.clone(), birthday: None, tags: Vec::new(), consent: None, referral_code: None, store_id: Some(shop.id.clone()) };
    match members::create(&ctx.kv, settings, draft, ctx.now) {
        Ok(found) => Ok(Ok(found)),
        // The same customer's other order enrolled them a moment ago.
        Err(Error::Conflict { member_id: Some(id), .. }) => Ok(Ok(members::by_id(&ctx.kv, &id)?)),
        Err(e) => Err(e),
    }
}
