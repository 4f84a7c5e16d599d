//! A member's points by hand (README "Points (admin)": adjust and
//! ledger, admin). Every change goes through the points journal.

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::ledger::{AdjustInput, Kind};
use vafa_core::wallet::{self, Change};
use vafa_spin::members as store;
use vafa_spin::wallet::Outcome;
use vafa_spin::{http, keys};
use vafa_core::staff::Right;

/// `POST /api/members/{id}/adjust`. With an idempotency key, a repeat (even
/// long after) changes nothing and answers the member as they are.
pub fn adjust(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let input: AdjustInput = http::parse_json(req)?;
    input.validate()?;
    let mut found = store::live(&ctx.kv, id)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let marker = input.idempotency_key.as_deref().map(|k| keys::adjust(found.number, k));
    if let Some(m) = &marker
        && ctx.kv.get_raw(m)?.is_some()
    {
        return Ok(http::json(200, &found.view()));
    }
    let op = match &input.idempotency_key {
        Some(k) => format!("adjust:{k}"),
        None => format!("adjust:{}", vafa_core::secret::encode_readable(&vafa_spin::clock::random::<10>()?)),
    };
    let change = Change {
        op,
        kind: Kind::Adjust,
        points: input.points,
        reference: Some(input.reason.trim().to_string()),
        at: ctx.now,
        expires: wallet::expiry_month(&settings, ctx.now),
        must_cover: false,
        note: None,
    };
    let Outcome::Applied { applied, repeat } = vafa_spin::wallet::change(&ctx.kv, &settings, found.number, &change)? else {
        return Err(Error::internal("an adjustment is never refused for its balance"));
    };
    if let Some(m) = &marker {
        ctx.kv.set_number(m, applied.slot)?;
    }
    vafa_spin::audit::made(&applied.entry);
    found.standing.points = if repeat { vafa_spin::wallet::read(&ctx.kv, found.number)?.balance } else { applied.entry.balance };
    Ok(http::json(200, &found.view()))
}

/// `GET /api/members/{id}/ledger`: newest first, `?limit=&before=`.
pub fn ledger(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let (limit, before) = http::paging(req)?;
    let found = store::by_id(&ctx.kv, id)?;
    let (entries, next) = vafa_spin::wallet::ledger(&ctx.kv, found.number, limit, before)?;
    Ok(http::json(200, &serde_json::json!({"entries": entries, "next_before": next})))
}

/// `GET /api/members/{id}/orders`: the member's recent orders (those the
/// points journal keeps, the last `wallet::ORDERS`), newest first, each in
/// the club's currency and in the store's own, as the shop writes it.
pub fn orders(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Members)?;
    let found = store::by_id(&ctx.kv, id)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let wallet = vafa_spin::wallet::read(&ctx.kv, found.number)?;
    let orders: Vec<_> = wallet
        .orders
        .iter()
        .rev()
        .map(|o| {
            let (store_id, order_id) = o.key.split_once('/').unwrap_or(("", &o.key));
            let store_currency = o.store_currency.as_deref().unwrap_or(&settings.currency);
            serde_json::json!({
                "store_id": store_id,
                "order_id": order_id,
                "total": o.total,
                "refunded": o.refunded,
                "currency": settings.currency,
                "store_total": vafa_core::money::format_decimal(o.store_total.unwrap_or(o.total), store_currency),
                "store_refunded": vafa_core::money::format_decimal(o.refunded, store_currency),
                "store_currency": store_currency,
                "points_earned": o.earned,
                "points_taken": o.taken,
                "cancelled": o.cancelled,
            })
        })
        .collect();
    Ok(http::json(200, &serde_json::json!({ "orders": orders })))
}
