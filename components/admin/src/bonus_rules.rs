//! Bonus rules (admin): `GET /api/bonus-rules`, `PUT /api/bonus-rules`
//! (`{"stacking": "multiply|add"}`), `PUT` and `DELETE
//! /api/bonus-rules/{id}`. Paid orders earn by them (`vafa_core::bonus`).

use crate::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::bonus::{Rule, Rules, Stacking};
use vafa_core::error::{Error, Result};
use vafa_spin::{http, keys};

pub fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let rules: Rules = ctx.kv.get(keys::BONUS_RULES)?.unwrap_or_default();
    Ok(http::json(200, &rules))
}

/// Changes the club's rules by compare-and-swap, so two admins editing at
/// once both count. The first rule creates the record with a plain write
/// (the store cannot create a record exclusively); admins rarely race there.
fn change(ctx: &Ctx, mut edit: impl FnMut(&mut Rules) -> Result<()>) -> Result<Rules> {
    let mut result = None;
    let updated = ctx.kv.update(keys::BONUS_RULES, |mut rules: Rules| {
        edit(&mut rules)?;
        result = Some(rules.clone());
        Ok(Some(rules))
    })?;
    if updated.is_none() {
        let mut rules = Rules::default();
        edit(&mut rules)?;
        ctx.kv.put(keys::BONUS_RULES, &rules)?;
        return Ok(rules);
    }
    result.ok_or_else(|| Error::internal("bonus rules update decided nothing"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StackingInput {
    stacking: Stacking,
}

pub fn set_stacking(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let input: StackingInput = http::parse_json(req)?;
    let rules = change(ctx, |rules| {
        rules.stacking = input.stacking;
        Ok(())
    })?;
    Ok(http::json(200, &rules))
}

pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let rule = http::parse_json::<Rule>(req)?.validate(id)?;
    change(ctx, |rules| rules.put(rule.clone()))?;
    Ok(http::json(200, &rule))
}

pub fn delete(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    change(ctx, |rules| {
        if !rules.rules.iter().any(|r| r.id == id) {
            return Err(Error::NotFound(format!("bonus rule {id}")));
        }
        rules.rules.retain(|r| r.id != id);
        Ok(())
    })?;
    Ok(http::no_content())
}
