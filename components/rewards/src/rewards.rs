//! The rewards catalog: `GET /api/rewards` (public: the active rewards),
//! `GET /api/rewards/{id}` (public, active; with an `ETag`), `PUT
//! /api/rewards/{id}` (admin, honouring `If-Match`).

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::precondition;
use vafa_core::reward::{Catalog, Reward, RewardInput};
use vafa_spin::{http, keys};
use vafa_core::staff::Right;

fn catalog(ctx: &Ctx) -> Result<Catalog> {
    Ok(ctx.kv.get(keys::REWARDS)?.unwrap_or_default())
}

pub fn list(ctx: &Ctx) -> Result<Response> {
    let active: Vec<Reward> = catalog(ctx)?.rewards.into_iter().filter(|r| r.active).collect();
    Ok(http::json(200, &serde_json::json!({ "rewards": active })))
}

/// A reward, with its `ETag`: an active one to anyone, an inactive one to
/// the admin alone (who edits it).
pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    let all = catalog(ctx)?;
    let reward = all.get(id).filter(|r| r.active || http::require(req, &ctx.kv, Right::ReadClub).is_ok()).ok_or_else(|| Error::NotFound(format!("reward {id}")))?;
    Ok(http::tagged(200, reward))
}

/// Adds or replaces a reward by compare-and-swap of the catalog, so two
/// admins editing different rewards at once both count, under `If-Match`
/// against the reward as it stands.
pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let input: RewardInput = http::parse_json(req)?;
    let reward = input.validate(id, &vafa_spin::club::settings(&ctx.kv)?)?;
    let if_match = http::if_match(req);
    let before = ctx.kv.edit(keys::REWARDS, ctx.now, |all: Option<Catalog>| {
        let mut all = all.unwrap_or_default();
        let before = all.get(id).cloned();
        precondition::check(if_match.as_ref(), before.as_ref())?;
        all.put(reward.clone())?;
        Ok((all, before))
    })?;
    vafa_spin::audit::note(before.as_ref(), Some(&reward));
    Ok(http::tagged(200, &reward))
}
