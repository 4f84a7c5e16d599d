//! `GET/PUT/PATCH /api/settings` (admin). `GET` answers with an `ETag`;
//! `PUT` replaces the whole object (a key left out takes its default),
//! `PATCH` is a JSON merge patch (a key left out keeps its value, `null`
//! resets it); both honour `If-Match` (`vafa_core::precondition`).

use vafa_spin::http::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::Result;
use vafa_core::precondition::{self, IfMatch};
use vafa_core::settings::{self, Settings};
use vafa_spin::{audit, http, keys, stores};
use vafa_core::staff::Right;

pub fn get(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::SeeSettings)?;
    Ok(http::tagged(200, &vafa_spin::club::settings(&ctx.kv)?))
}

pub fn put(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let next = Settings::from_json(http::body(req)?)?;
    save(req, ctx, |_| Ok(next.clone()))
}

pub fn patch(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let patch = precondition::parse_patch(http::body(req)?)?;
    save(req, ctx, |current| Settings::from_json(&precondition::patched(current, &patch)?))
}

/// Writes what `next` makes of the settings as they stand, if `If-Match`
/// names them, in one compare-and-swap.
fn save(req: &Request, ctx: &Ctx, next: impl Fn(&Settings) -> Result<Settings>) -> Result<Response> {
    let if_match: Option<IfMatch> = http::if_match(req);
    let mut before = None;
    let saved = ctx.kv.edit(keys::SETTINGS, ctx.now, |current: Option<Settings>| {
        let current = current.unwrap_or_default();
        before = Some(current.clone());
        precondition::check(if_match.as_ref(), Some(&current))?;
        let next = next(&current)?;
        if next.currency != current.currency {
            settings::check_currency_change(&current, &next, ctx.kv.counter(&keys::stat_total("orders"))?, &stores::all(&ctx.kv)?.into_iter().map(|s| (s.id, s.currency)).collect::<Vec<_>>())?;
        }
        Ok((next.clone(), next))
    })?;
    audit::note(before.as_ref(), Some(&saved));
    Ok(http::tagged(200, &saved))
}

