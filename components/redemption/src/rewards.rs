//! The rewards catalog: `GET /api/rewards` (public: the active rewards),
//! `GET /api/rewards/{id}` (public, active), `PUT /api/rewards/{id}`
//! (admin).

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::reward::{Catalog, Reward, RewardInput};
use vafa_spin::{http, keys};

fn catalog(ctx: &Ctx) -> Result<Catalog> {
    Ok(ctx.kv.get(keys::REWARDS)?.unwrap_or_default())
}

pub fn list(ctx: &Ctx) -> Result<Response> {
    let active: Vec<Reward> = catalog(ctx)?.rewards.into_iter().filter(|r| r.active).collect();
    Ok(http::json(200, &serde_json::json!({ "rewards": active })))
}

pub fn get(ctx: &Ctx, id: &str) -> Result<Response> {
    let all = catalog(ctx)?;
    let reward = all.get(id).filter(|r| r.active).ok_or_else(|| Error::NotFound(format!("reward {id}")))?;
    Ok(http::json(200, reward))
}

/// Adds or replaces a reward by compare-and-swap of the catalog, so two
/// admins editing at once both count. The first reward creates the record
/// with a plain write (the store cannot create a record exclusively).
pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let input: RewardInput = http::parse_json(req)?;
    let reward = input.validate(id, &http::settings(&ctx.kv)?)?;
    let updated = ctx.kv.update(keys::REWARDS, |mut all: Catalog| {
        all.put(reward.clone())?;
        Ok(Some(all))
    })?;
    if updated.is_none() {
        let mut all = Catalog::default();
        all.put(reward.clone())?;
        ctx.kv.put(keys::REWARDS, &all)?;
    }
    Ok(http::json(200, &reward))
}
