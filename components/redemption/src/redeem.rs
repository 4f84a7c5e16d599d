//! `POST /api/redemptions` (admin or store): points spent on a reward for a
//! single-use code; `GET /api/redemptions/{id}`; `POST
//! /api/redemptions/{id}/cancel`.
//!
//! A redemption is written in an order that survives a kill anywhere:
//! the reward's stock unit is taken, the redemption is written `pending`
//! under its id (with the code it will issue), then the points are spent
//! (the wallet's swap, the commit point), then the code's SMS is queued and
//! the code's own record is written `issued`: only then can a store use it.
//! A retry with the same `idempotency_key` finds the redemption and
//! finishes it from where it stopped; the points are spent once (the
//! journal knows the operation). For a store with platform credentials,
//! the code's coupon is recorded before the code's own record
//! (`vafa_spin::coupons`): the answer says `"coupon": "pending"`, and the
//! coupons tick makes it. A kill between taking a stock unit and
//! writing the redemption leaves that unit unsold: stock is never oversold.

use crate::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::ledger::Kind;
use vafa_core::member::Member;
use vafa_core::message::{Kind as SmsKind, Purpose};
use vafa_core::redemption::{Redemption, State, code_from};
use vafa_core::reward::Catalog;
use vafa_core::coupon::Coupon;
use vafa_core::settings::Settings;
use vafa_core::shop::Shop;
use vafa_core::wallet::{Change, Wallet, expiry_month};
use vafa_spin::kv::{decode, decoded_or_default};
use vafa_spin::outbox::{Outbox, Recipient};
use vafa_spin::wallet::{self as journal, Outcome};
use vafa_spin::http::Caller;
use vafa_spin::{clock, codes, coupons, http, keys};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    member_id: String,
    reward_id: String,
    idempotency_key: Option<String>,
}

fn insufficient(balance: i64) -> Error {
    Error::Conflict { code: "insufficient_points", message: format!("the balance ({balance} points) does not cover this reward"), member_id: None }
}

pub fn redeem(req: &Request, ctx: &Ctx) -> Result<Response> {
    let input: Input = http::parse_json(req)?;
    let caller = http::caller(req, &ctx.kv)?;
    let number = keys::member_number(&input.member_id).ok_or_else(|| Error::NotFound(format!("member {}", input.member_id)))?;
    let id = match &input.idempotency_key {
        Some(k) if k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            return Err(Error::field("idempotency_key", "expected 1-64 of A-Z, a-z, 0-9, - and _"));
        }
        Some(k) => format!("rd_{}", &vafa_core::secret::hash(&format!("{}:{k}", input.member_id))[..20]),
        None => format!("rd_{}", vafa_core::secret::encode_readable(&clock::random::<10>()?).to_lowercase()),
    };

    // One read for everything the decision needs.
    let (mk, wk, rk) = (keys::member(number), keys::wallet(number), keys::redemption(&id));
    let found = ctx.kv.get_many(&[mk.clone(), wk.clone(), keys::REWARDS.to_string(), keys::SETTINGS.to_string(), rk.clone()])?;
    let member: Member = found.get(&mk).map(|b| decode::<Member>(&mk, b)).transpose()?.filter(|m| !m.is_erased()).ok_or_else(|| Error::NotFound(format!("member {}", input.member_id)))?;
    let settings: Settings = decoded_or_default(&found, keys::SETTINGS)?;
    let wallet: Wallet = found.get(&wk).map(|b| decode(&wk, b)).transpose()?.unwrap_or_default();

    let record = match found.get(&rk) {
        // A retry: the first answer, or the rest of the work.
        Some(bytes) => {
            let pending: Redemption = decode(&rk, bytes)?;
            if pending.state == State::Failed {
                return Err(insufficient(pending.balance.unwrap_or(wallet.balance)));
            }
            let (ck, jk) = (keys::code(&pending.code), keys::coupon(&pending.code));
            let done = ctx.kv.get_many(&[ck.clone(), jk.clone()])?;
            match done.get(&ck).map(|b| decode::<Redemption>(&ck, b)).transpose()? {
                Some(issued) => return Ok(answer(&issued, done.get(&jk).map(|b| decode(&jk, b)).transpose()?.as_ref())),
                None => pending,
            }
        }
        None => {
            let catalog: Catalog = decoded_or_default(&found, keys::REWARDS)?;
            let reward = catalog.get(&input.reward_id).ok_or_else(|| Error::NotFound(format!("reward {}", input.reward_id)))?.clone();
            if !reward.active {
                return Err(Error::Conflict { code: "reward_inactive", message: format!("reward {} is not active", reward.id), member_id: None });
            }
            if !reward.allows_tier(wallet.tier_rank(&settings), &settings) {
                return Err(Error::Denied { code: "tier_required", message: format!("reward {} is for tier {} and above", reward.id, reward.tier.as_deref().unwrap_or_default()) });
            }
            if wallet.balance < reward.cost as i64 {
                return Err(insufficient(wallet.balance));
            }
            let stock = reward.stock.is_some();
            if let Some(limit) = reward.stock
                && ctx.kv.increment(&keys::reward_taken(&reward.id), 1)? > limit as i64
            {
                ctx.kv.increment(&keys::reward_taken(&reward.id), -1)?;
                return Err(Error::Conflict { code: "out_of_stock", message: format!("reward {} is out of stock", reward.id), member_id: None });
            }
            let code = loop {
                if let Some(c) = code_from(&clock::random::<24>()?) {
                    break c;
                }
            };
            let expires_at = ctx.now + chrono::Duration::days(reward.valid_days.into());
            let lot = wallet.lots.first().map_or_else(|| expiry_month(&settings, ctx.now), |l| l.expires);
            let record = Redemption { id: id.clone(), code, member_id: input.member_id.clone(), reward, state: State::Pending, created_at: ctx.now, expires_at, lot, stock, lock: None, order_id: None, balance: None };
            codes::index(&ctx.kv, &record.member_id, &record.code)?;
            ctx.kv.put(&rk, &record)?;
            record
        }
    };

    let change = Change { op: format!("redeem:{id}"), kind: Kind::Redeem, points: -(record.reward.cost as i64), reference: Some(id.clone()), at: ctx.now, expires: record.lot, must_cover: true, note: None };
    let balance = match journal::change(&ctx.kv, &settings, number, &change)? {
        Outcome::Applied { applied, .. } => applied.entry.balance,
        Outcome::Insufficient { balance } => {
            fail(ctx, &record, balance)?;
            return Err(insufficient(balance));
        }
        Outcome::Nothing => return Err(Error::internal("a redemption's spend decided nothing")),
    };
    let issued = Redemption { state: State::Issued, balance: Some(balance), ..record };
    if let Some(phone) = member.phone.clone() {
        Outbox::new(&ctx.kv)?.queue(Some(Recipient { number, member: &member }), &phone, issued.sms_text(&settings), Some(&issued.code), SmsKind::Transactional, Purpose::RewardCode, None, ctx.now)?;
    }
    // The store's coupon is recorded before the code can be used; a tick
    // makes it on the platform.
    let store = match caller {
        Caller::Store(id) => Some(id),
        Caller::Admin => member.store_id.clone(),
    };
    let shop: Option<Shop> = match &store {
        Some(id) => ctx.kv.get(&keys::store(id))?,
        None => None,
    };
    let coupon = coupons::issue(&ctx.kv, shop.as_ref(), &issued, ctx.now)?;
    ctx.kv.put(&keys::code(&issued.code), &issued)?;
    Ok(answer(&issued, coupon.as_ref()))
}

/// A redemption's answer: the code, and its coupon where it makes one.
fn answer(code: &Redemption, coupon: Option<&Coupon>) -> Response {
    let mut view = code.view();
    coupons::show(&mut view, coupon);
    http::json(201, &view)
}

/// A redemption the balance did not cover: its stock unit goes back and
/// it is recorded failed (its code was never issued).
fn fail(ctx: &Ctx, record: &Redemption, balance: i64) -> Result<()> {
    if record.stock {
        ctx.kv.increment(&keys::reward_taken(&record.reward.id), -1)?;
    }
    ctx.kv.put(&keys::redemption(&record.id), &Redemption { state: State::Failed, balance: Some(balance), ..record.clone() })
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
    http::caller(req, &ctx.kv)?;
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
    http::caller(req, &ctx.kv)?;
    let (record, order, _) = load(ctx, id)?;
    // Refused for a redemption whose code was never issued.
    record.cancel()?;
    let key = keys::code(&record.code);
    ctx.kv.update(&key, |current: Redemption| current.with_order(order.clone(), ctx.now).cancel())?;
    // Its coupon goes from the store (by the coupons tick).
    coupons::withdraw(&ctx.kv, &record.code, ctx.now)?;
    let number = keys::member_number(&record.member_id).ok_or_else(|| Error::internal("a redemption names no member"))?;
    let settings = http::settings(&ctx.kv)?;
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
    Ok(http::json(200, &serde_json::json!({ "id": id, "state": "cancelled", "balance": balance })))
}
