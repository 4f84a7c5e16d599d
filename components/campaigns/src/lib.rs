//! The campaigns component: the automations (`/api/automations`), the
//! messages the club sends by itself when something happens to a member.
//! The campaigns tick turns events into their messages; the sender applies
//! the guards when it sends them.

use serde_json::json;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::automation::{AutomationInput, Automations, Kind};
use vafa_core::error::Result;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::keys;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| route(&req, segs, method))
}

fn route(req: &Request, segs: &[&str], method: &Method) -> Result<Response> {
    match segs {
        ["api", "automations"] => match method {
            Method::Get => list(req, &Ctx::new()?),
            _ => not_allowed(&["GET"]),
        },
        ["api", "automations", kind] => match method {
            Method::Get => get(req, &Ctx::new()?, kind),
            Method::Put => put(req, &Ctx::new()?, kind),
            _ => not_allowed(&["GET", "PUT"]),
        },
        _ => Err(no_route()),
    }
}

fn all(ctx: &Ctx) -> Result<Automations> {
    Ok(ctx.kv.get(keys::AUTOMATIONS)?.unwrap_or_default())
}

fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    Ok(http::json(200, &all(ctx)?))
}

/// An automation never set is off, with no template.
fn get(req: &Request, ctx: &Ctx, kind: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let kind = Kind::parse(kind)?;
    Ok(match all(ctx)?.get(kind) {
        Some(a) => http::json(200, a),
        None => http::json(200, &json!({"kind": kind, "enabled": false, "template": null})),
    })
}

/// Sets one automation by compare-and-swap of the record, so two admins
/// editing different automations at once both count.
fn put(req: &Request, ctx: &Ctx, kind: &str) -> Result<Response> {
    http::require_admin(req, &ctx.kv)?;
    let kind = Kind::parse(kind)?;
    let input: AutomationInput = http::parse_json(req)?;
    let automation = input.validate(kind, &http::settings(&ctx.kv)?)?;
    let updated = ctx.kv.update(keys::AUTOMATIONS, |mut all: Automations| {
        all.put(automation.clone());
        Ok(Some(all))
    })?;
    if updated.is_none() {
        let mut all = Automations::default();
        all.put(automation.clone());
        ctx.kv.put(keys::AUTOMATIONS, &all)?;
    }
    Ok(http::json(200, &automation))
}
