//! Bonus rules (admin): `GET /api/bonus-rules`, `PUT /api/bonus-rules`
//! (`{"stacking": "multiply|add"}`), `GET`, `PUT` and `DELETE
//! /api/bonus-rules/{id}`. Each answers with an `ETag` (of the whole rules,
//! or of the one rule) and each write honours `If-Match` against the same. Paid orders earn by them (`vafa_core::bonus`).

use crate::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::bonus::{Rule, Rules, Stacking};
use vafa_core::error::{Error, Result};
use vafa_core::precondition;
use vafa_spin::{http, keys};
use vafa_core::staff::Right;

fn rules(ctx: &Ctx) -> Result<Rules> {
    Ok(ctx.kv.get(keys::BONUS_RULES)?.unwrap_or_default())
}

pub fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    Ok(http::tagged(200, &rules(ctx)?))
}

pub fn get(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    let rules = rules(ctx)?;
    let rule = rules.rules.iter().find(|r| r.id == id).ok_or_else(|| Error::NotFound(format!("bonus rule {id}")))?;
    Ok(http::tagged(200, rule))
}

/// Changes the club's rules by compare-and-swap, so two admins editing at
/// once both count; `edit` sees the rules as they stand and may refuse
/// (a stale `If-Match` among its reasons), writing nothing.
fn change(ctx: &Ctx, mut edit: impl FnMut(&mut Rules) -> Result<()>) -> Result<Rules> {
    let (before, after) = ctx.kv.edit(keys::BONUS_RULES, ctx.now, |rules: Option<Rules>| {
        let before = rules.unwrap_or_default();
        let mut rules = before.clone();
        edit(&mut rules)?;
        Ok((rules.clone(), (before, rules)))
    })?;
    vafa_spin::audit::note(Some(&before), Some(&after));
    Ok(after)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StackingInput {
    stacking: Stacking,
}

pub fn set_stacking(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let input: StackingInput = http::parse_json(req)?;
    let if_match = http::if_match(req);
    let rules = change(ctx, |rules| {
        precondition::check(if_match.as_ref(), Some(&*rules))?;
        rules.stacking = input.stacking;
        Ok(())
    })?;
    Ok(http::tagged(200, &rules))
}

pub fn put(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let rule = http::parse_json::<Rule>(req)?.validate(id)?;
    let if_match = http::if_match(req);
    change(ctx, |rules| {
        precondition::check(if_match.as_ref(), rules.rules.iter().find(|r| r.id == id))?;
        rules.put(rule.clone())
    })?;
    Ok(http::tagged(200, &rule))
}

pub fn delete(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let if_match = http::if_match(req);
    change(ctx, |rules| {
        let Some(rule) = rules.rules.iter().find(|r| r.id == id) else {
            return Err(Error::NotFound(format!("bonus rule {id}")));
        };
        precondition::check(if_match.as_ref(), Some(rule))?;
        rules.rules.retain(|r| r.id != id);
        Ok(())
    })?;
    Ok(http::no_content())
}
