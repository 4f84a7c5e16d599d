//! `POST /api/redemptions` (admin or store): points spent on a reward for a
//! single-use code (`vafa_spin::redemptions`, whose order survives a kill
//! anywhere; the answer says `"coupon": "pending"` for a store whose
//! coupons tick makes it on the platform); `GET /api/redemptions/{id}`;
//! `POST /api/redemptions/{id}/cancel`.

use crate::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::coupon::Coupon;
use vafa_core::error::{Error, Result};
use vafa_core::ledger::Kind;
use vafa_core::redemption::Redemption;
use vafa_core::wallet::Change;
use vafa_spin::http::Caller;
use vafa_spin::kv::decode;
use vafa_spin::redemptions::{self, Ask};
use vafa_spin::wallet::{self as journal, Outcome};
use vafa_spin::{codes, coupons, http, keys};
use vafa_core::staff::Right;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    member_id: String,
    reward_id: String,
    idempotency_key: Option<String>,
}

pub fn redeem(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: Input = http::parse_json(req)?;
    let store = match http::caller(req, &ctx.kv, Right::Members)? {
        Caller::Store(id) => Some(id),
        Caller::Staff(_) => None,
    };
    let ask = Ask { member_id: &input.member_id, reward_id: &input.reward_id, idempotency_key: input.idempotency_key.as_deref(), store };
    let (issued, coupon) = redemptions::redeem(&ctx.kv, ask, ctx.now)?;
    vafa_spin::audit::made(&issued.view());
    Ok(answer(&issued, coupon.as_ref()))
}

/// A redemption's answer: the code, and its coupon where it makes one.
fn answer(code: &Redemption, coupon: Option<&Coupon>) -> Response {
    let mut view = code.view();
    coupons::show(&mut view, coupon);
    http::json(201, &view)
}

/// A redemption as it stands: its code's record (with the order a webhook
/// reported paid with the code, if any), or the redemption as written
/// before its points were spent.
fn load(ctx: &Ctx, id: &str) -> Result<(Redemption, Option<String>, Option<Coupon>)> {
    let rk = keys::redemption(id);
    let first: Redemption = ctx.kv.get(&rk)?.ok_or_else(|| Error::NotFound(format!("redemption {id}")))?;
    let jk = keys::coupon(&first.code);
    let mut wanted = codes::keys_of(&first.code).to_vec();
    wanted.push(jk.clone());
    let found = ctx.kv.get_many(&wanted)?;
    let coupon = found.get(&jk).map(|b| decode(&jk, b)).transpose()?;
    match codes::read(&found, &first.code, ctx.now)? {
        (Some(record), order) => Ok((record, order, coupon)),
        (None, _) => Ok((first, None, coupon)),
    }
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::caller(req, &ctx.kv, Right::Members)?;
    let (record, _, coupon) = load(ctx, id)?;
    let mut view = record.view();
    coupons::show(&mut view, coupon.as_ref());
    Ok(http::json(200, &view))
}

/// Cancels an unused code: the code dies first (nobody can consume it
/// after), then the points come back as a lot with the expiry they had,
/// then the stock unit. Each step is safe to repeat, so a retry after a
/// kill finishes the rest.
pub fn cancel(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::caller(req, &ctx.kv, Right::Members)?;
    let (record, order, _) = load(ctx, id)?;
    // Refused for a redemption whose code was never issued.
    record.cancel()?;
    let key = keys::code(&record.code);
    ctx.kv.update(&key, |current: Redemption| current.with_order(order.clone(), ctx.now).cancel())?;
    // Its coupon goes from the store (by the coupons tick).
    coupons::withdraw(&ctx.kv, &record.code, ctx.now)?;
    let number = keys::member_number(&record.member_id).ok_or_else(|| Error::internal("a redemption names no member"))?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let back = Change { op: format!("redeem-cancel:{id}"), kind: Kind::RedeemCancel, points: record.reward.cost as i64, reference: Some(id.to_string()), at: ctx.now, expires: record.lot, must_cover: false, note: None };
    // A gift (an automation's reward) spent no points: none come back.
    let returned = if back.points > 0 { Some(journal::change(&ctx.kv, &settings, number, &back)?) } else { None };
    let balance = match returned {
        Some(Outcome::Applied { applied, repeat: false }) => applied.entry.balance,
        _ => journal::read(&ctx.kv, number)?.balance,
    };
    if record.stock && ctx.kv.claim(&keys::stock_return(id))? {
        ctx.kv.increment(&keys::reward_taken(&record.reward.id), -1)?;
    }
    let cancelled = serde_json::json!({ "id": id, "state": "cancelled", "balance": balance });
    vafa_spin::audit::made(&cancelled);
    Ok(http::json(200, &cancelled))
}
