//! A reward code at a store's checkout (store key, or admin):
//! `POST /api/codes/{code}/validate` `{"order_total", "cart_id"?}` says
//! whether it applies and what it takes off, and with a cart holds it for
//! that cart for `code_lock_minutes`; `POST /api/codes/{code}/consume`
//! `{"order_id", "cart_id"?}` uses it, once.
//!
//! Codes are guessed only by trying: each caller may miss
//! `code_misses_per_minute` times a minute, counted in one counter, and is
//! refused (429) for the rest of that minute.

use crate::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::redemption::{Consumed, Reason, Redemption, normalize_code};
use vafa_core::settings::Settings;
use vafa_spin::http::{self, Caller};
use vafa_spin::kv::{counter_in, decoded_or_default};
use vafa_spin::{codes, keys};
use vafa_core::staff::Right;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateInput {
    order_total: i64,
    cart_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsumeInput {
    order_id: String,
    cart_id: Option<String>,
}

fn check_id(field: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if v.is_empty() || v.len() > 64 || !v.chars().all(|c| c.is_ascii_graphic()) => Err(Error::field(field, "expected 1-64 printable characters without spaces")),
        _ => Ok(()),
    }
}

/// The code's record as the caller may see it: `None` for a code that does
/// not exist. One batch read with the caller's misses this minute and the
/// settings; a caller over its misses is refused before anything else.
struct Lookup {
    key: String,
    record: Option<Redemption>,
    /// The order a webhook reported paid with this code, if any.
    order: Option<String>,
    settings: Settings,
    rate_key: String,
}

fn look_up(req: &Request, ctx: &Ctx, typed: &str) -> Result<Lookup> {
    let caller = match http::caller(req, &ctx.kv, Right::Members)? {
        Caller::Staff(_) => "admin".to_string(),
        Caller::Store(id) => id,
    };
    let rate_key = keys::rate_codes(&caller, ctx.now.timestamp().div_euclid(60));
    let code = normalize_code(typed).unwrap_or_default();
    let [key, link] = codes::keys_of(&code);
    let found = ctx.kv.get_many(&[key.clone(), link, rate_key.clone(), keys::SETTINGS.to_string()])?;
    let settings: Settings = decoded_or_default(&found, keys::SETTINGS)?;
    if counter_in(&found, &rate_key)? >= i64::from(settings.code_misses_per_minute) {
        return Err(Error::RateLimited("too many unknown codes from this key this minute; try again in a minute".into()));
    }
    let (record, order) = codes::read(&found, &code, ctx.now)?;
    Ok(Lookup { key, record, order, settings, rate_key })
}

impl Lookup {
    /// Counts a miss against the caller.
    fn miss(&self, ctx: &Ctx) -> Result<()> {
        ctx.kv.increment(&self.rate_key, 1).map(drop)
    }
}

fn invalid(reason: Reason) -> Response {
    http::json(200, &serde_json::json!({ "valid": false, "reason": reason }))
}

pub fn validate(req: &Request, ctx: &Ctx, code: &str) -> Result<Response> {
    let input: ValidateInput = http::parse_json(req)?;
    if input.order_total < 0 {
        return Err(Error::field("order_total", "expected the order's total in minor units, 0 or more"));
    }
    check_id("cart_id", input.cart_id.as_deref())?;
    let found = look_up(req, ctx, code)?;
    let Some(record) = found.record else {
        found.miss(ctx)?;
        return Ok(invalid(Reason::Unknown));
    };
    let cart = input.cart_id.as_deref();
    let (record, discount) = match (record.check(input.order_total, cart, ctx.now), cart) {
        (Err(reason), _) => return Ok(invalid(reason)),
        (Ok(discount), None) => (record, discount),
        // Held for this cart, by compare-and-swap: of two carts at once,
        // one holds it and the other is told it is locked.
        (Ok(_), Some(cart)) => {
            let mut outcome = Err(Reason::Unknown);
            let mut held = None;
            ctx.kv.update(&found.key, |current: Redemption| {
                let current = current.with_order(found.order.clone(), ctx.now);
                outcome = current.check(input.order_total, Some(cart), ctx.now);
                held = outcome.is_ok().then(|| current.locked_for(cart, ctx.now, found.settings.code_lock_minutes));
                Ok(held.clone())
            })?;
            match (outcome, held) {
                (Ok(discount), Some(record)) => (record, discount),
                (Err(reason), _) => return Ok(invalid(reason)),
                (Ok(_), None) => return Ok(invalid(Reason::Unknown)),
            }
        }
    };
    Ok(http::json(
        200,
        &serde_json::json!({
            "valid": true,
            "discount": discount,
            "kind": record.reward.kind,
            "reward_id": record.reward.id,
            "expires_at": vafa_core::time::format(&record.expires_at),
            "locked_until": record.lock.as_ref().map(|l| vafa_core::time::format(&l.until)),
        }),
    ))
}

pub fn consume(req: &Request, ctx: &Ctx, code: &str) -> Result<Response> {
    let input: ConsumeInput = http::parse_json(req)?;
    check_id("order_id", Some(&input.order_id))?;
    check_id("cart_id", input.cart_id.as_deref())?;
    let found = look_up(req, ctx, code)?;
    if found.record.is_none() {
        found.miss(ctx)?;
        return Err(Error::NotFound("code".into()));
    }
    let mut used = None;
    ctx.kv.update(&found.key, |current: Redemption| {
        let current = current.with_order(found.order.clone(), ctx.now);
        Ok(match current.consume(&input.order_id, input.cart_id.as_deref(), ctx.now)? {
            Consumed::Now(next) => {
                used = Some(*next.clone());
                Some(*next)
            }
            Consumed::Already => {
                used = Some(current);
                None
            }
        })
    })?;
    let record = used.ok_or_else(|| Error::NotFound("code".into()))?;
    let consumed = serde_json::json!({ "consumed": true, "order_id": input.order_id, "reward_id": record.reward.id, "redemption_id": record.id });
    vafa_spin::audit::made(&consumed);
    Ok(http::json(200, &consumed))
}
