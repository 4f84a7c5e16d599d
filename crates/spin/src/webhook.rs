//! An order webhook's way once it is authenticated and parsed, whichever
//! platform sent it: the store and the club's rules in one read, the amounts
//! in the club's currency, a redelivery answered from the order's record,
//! the member found (or enrolled, when the store asks), its lines given
//! their products' categories (`crate::catalog`), the order's facts
//! applied to the points once each. The components that receive webhooks
//! (`purchase-scoring`: the generic event and WooCommerce; `shopify-hooks`)
//! each pass their platforms' verification and parser.

use crate::http::{self, Ctx};
use crate::kv::decoded_or_default;
use crate::{keys, members, orders};
use serde_json::json;
use spin_sdk::http::{Request, Response};
use vafa_core::bonus::Rules;
use vafa_core::error::{Error, Result};
use vafa_core::member::{Draft, parse_phone};
use vafa_core::order::{OrderUpdate, Parsed};
use vafa_core::settings::Settings;
use vafa_core::shop::{self, Shop};

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name).and_then(|v| v.as_str())
}

/// The store, the club's settings and its bonus rules, in one read.
fn store_and_settings(ctx: &Ctx, store_id: &str) -> Result<(Shop, Settings, Rules)> {
    let unknown = || Error::NotFound(format!("store {store_id}"));
    shop::validate_id(store_id).map_err(|_| unknown())?;
    let sk = keys::store(store_id);
    let found = ctx.kv.get_many(&[sk.clone(), keys::SETTINGS.to_string(), keys::BONUS_RULES.to_string()])?;
    let shop: Shop = crate::kv::decode(&sk, found.get(&sk).ok_or_else(unknown)?)?;
    Ok((shop, decoded_or_default(&found, keys::SETTINGS)?, decoded_or_default(&found, keys::BONUS_RULES)?))
}

/// Receives one order webhook for `store_id`: `read` authenticates the raw
/// body with the store's secret and parses the platform's payload (each
/// component passes its platforms' own, so each links only those parsers).
/// `generic`: the store's own signed event, whose missing or bad phone is
/// the sender's error (422); a platform's order without one is acknowledged
/// (WooCommerce and Shopify disable a webhook that keeps failing).
pub fn receive(req: &Request, ctx: &Ctx, store_id: &str, generic: bool, read: impl FnOnce(&Shop, &[u8]) -> Result<Parsed>) -> Result<Response> {
    let body = http::body(req)?;
    let (shop, settings, rules) = store_and_settings(ctx, store_id)?;
    let parsed = read(&shop, body)?;
    let mut update = match parsed {
        Parsed::Ping => return Ok(http::json(200, &json!({"ok": true}))),
        Parsed::Ignored(why) => return Ok(http::json(200, &json!({"ignored": why}))),
        // Counted in the club's currency from here on.
        Parsed::Order(update) => update.in_club_currency(&settings.currency)?,
    };
    // Read: the order's record answers a redelivery at once.
    let key = orders::order_key(store_id, &update.order_id)?;
    let record = crate::order_record::get(&ctx.kv, &key)?;
    if let Some(answer) = record.as_ref().and_then(|r| orders::known_answer(r, &key, &update)) {
        return Ok(http::json(200, &answer));
    }
    let member = match &record {
        Some(r) => members::load(&ctx.kv, r.member)?.ok_or_else(|| Error::NotFound(format!("member of order {}", update.order_id)))?,
        None => match member_for(ctx, &settings, &shop, &update, generic)? {
            Ok(found) => found,
            Err(response) => return Ok(response),
        },
    };
    if update.paid {
        crate::codes::link_to_order(&ctx.kv, &update.coupons, &update.order_id)?;
        // A purchase soon after a campaign's message is its conversion
        // (once per member: safe to count before the points, and again).
        crate::tracking::conversion(&ctx.kv, &settings, member.number, update.total, ctx.now)?;
    }
    let mut how = orders::How::live(ctx.now);
    if record.is_none() {
        how.awaiting = crate::catalog::categorise(&ctx.kv, &shop, &mut update, member.number, &how)?;
    }
    let buyer = orders::Buyer { number: member.number, referred_by: member.member.referred_by.as_deref(), tags: &member.member.tags };
    let club = orders::Club { settings: &settings, rules: &rules };
    let answer = orders::apply(&ctx.kv, &club, store_id, &update, &buyer, record, how)?;
    if !answer.duplicate {
        crate::log::info(&format!("order {key}: {} points for {}", answer.points_delta, answer.member_id));
    }
    Ok(http::json(200, &answer))
}

/// The member an order is for: by phone, or enrolled now (without marketing
/// consent) when the store asks for it. `Err(response)`: what to answer
/// instead, writing nothing.
fn member_for(ctx: &Ctx, settings: &Settings, shop: &Shop, update: &OrderUpdate, generic: bool) -> Result<Result<members::Found, Response>> {
    // WooCommerce and Shopify disable a webhook that keeps failing, so an
    // order without a usable phone is acknowledged, not refused.
    let ignored = || Ok(Err(http::json(200, &json!({"ignored": "no_phone"}))));
    let phone = match update.phone.as_deref().map(|raw| parse_phone(raw, settings)) {
        Some(Ok(phone)) => phone,
        Some(Err(e)) if generic => return Err(e),
        _ if generic => return Err(Error::field("phone", "the order names no customer phone")),
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
