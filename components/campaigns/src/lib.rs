//! The campaigns component: the automations (`/api/automations`), the
//! messages the club sends by itself when something happens to a member,
//! the broadcasts (`/api/campaigns`), their reports
//! (`/api/reports/campaigns/{id}`) and the members' short links (`/l/{slug}`).
//! The campaigns tick queues their messages; the sender applies the guards
//! when it sends them.

use serde_json::json;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::automation::{AutomationInput, Automations, Kind};
use vafa_core::reward::Catalog;
use vafa_core::precondition;
use vafa_core::error::Result;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_core::broadcast::{CampaignInput, PreviewInput, sample_text};
use vafa_spin::{broadcasts, config, keys, tracking};
use vafa_core::staff::Right;

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
        ["api", "campaigns"] => match method {
            Method::Get => list_campaigns(req, &Ctx::new()?),
            Method::Post => create_campaign(req, &Ctx::new()?),
            _ => not_allowed(&["GET", "POST"]),
        },
        ["api", "campaigns", "preview"] => match method {
            Method::Post => preview(req, &Ctx::new()?),
            _ => not_allowed(&["POST"]),
        },
        ["api", "campaigns", id] => match method {
            Method::Get => {
                let ctx = Ctx::new()?;
                http::require(req, &ctx.kv, Right::ReadClub)?;
                Ok(http::json(200, &broadcasts::views(&ctx.kv, &[broadcasts::get(&ctx.kv, id)?])?[0]))
            }
            _ => not_allowed(&["GET"]),
        },
        ["api", "campaigns", id, "cancel"] => match method {
            Method::Post => {
                let ctx = Ctx::new()?;
                http::require(req, &ctx.kv, Right::RunClub)?;
                let view = broadcasts::views(&ctx.kv, &[broadcasts::cancel(&ctx.kv, id)?])?.remove(0);
                vafa_spin::audit::made(&view);
                Ok(http::json(200, &view))
            }
            _ => not_allowed(&["POST"]),
        },
        ["api", "reports", "campaigns", id] => match method {
            Method::Get => report(req, &Ctx::new()?, id),
            _ => not_allowed(&["GET"]),
        },
        ["l", slug] => match method {
            Method::Get => follow(&Ctx::new()?, slug),
            _ => not_allowed(&["GET"]),
        },
        ["api", "automations", kind, "preview"] => match method {
            Method::Post => preview_automation(req, &Ctx::new()?, kind),
            _ => not_allowed(&["POST"]),
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
    http::require(req, &ctx.kv, Right::ReadClub)?;
    Ok(http::json(200, &all(ctx)?))
}

/// One automation as the admin sees it: never set is off, with no template.
fn view(all: &Automations, kind: Kind) -> serde_json::Value {
    match all.get(kind) {
        Some(a) => serde_json::to_value(a).unwrap_or_default(),
        None => json!({"kind": kind, "enabled": false, "template": null}),
    }
}

/// An automation, with its `ETag`.
fn get(req: &Request, ctx: &Ctx, kind: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    let kind = Kind::parse(kind)?;
    Ok(http::tagged(200, &view(&all(ctx)?, kind)))
}

/// Sets one automation by compare-and-swap of the record, so two admins
/// editing different automations at once both count, under `If-Match`
/// against the automation as it stands.
fn put(req: &Request, ctx: &Ctx, kind: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let kind = Kind::parse(kind)?;
    let input: AutomationInput = http::parse_json(req)?;
    let catalog: Catalog = match &input.reward_id {
        Some(_) => ctx.kv.get(keys::REWARDS)?.unwrap_or_default(),
        None => Catalog::default(),
    };
    let automation = input.validate(kind, &vafa_spin::club::settings(&ctx.kv)?, |id| catalog.get(id).is_some())?;
    let if_match = http::if_match(req);
    let (before, saved) = ctx.kv.edit(keys::AUTOMATIONS, ctx.now, |all: Option<Automations>| {
        let mut all = all.unwrap_or_default();
        let before = view(&all, kind);
        precondition::check(if_match.as_ref(), Some(&before))?;
        all.put(automation.clone());
        let saved = view(&all, kind);
        Ok((all, (before, saved)))
    })?;
    vafa_spin::audit::note(Some(&before), Some(&saved));
    Ok(http::tagged(200, &saved))
}

/// `POST /api/campaigns`: a broadcast, queued from its send time by the
/// campaigns tick.
fn create_campaign(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let input: CampaignInput = http::parse_json(req)?;
    let campaign = broadcasts::create(&ctx.kv, input, &vafa_spin::club::settings(&ctx.kv)?, ctx.now)?;
    let view = campaign.view(Default::default());
    vafa_spin::audit::made(&view);
    Ok(http::json(201, &view))
}

/// `GET /api/campaigns`: the newest first (`?limit=`, default 20).
fn list_campaigns(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    let (limit, _) = http::paging(req)?;
    let views = broadcasts::views(&ctx.kv, &broadcasts::list(&ctx.kv, limit)?)?;
    Ok(http::json(200, &json!({ "campaigns": views })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AutomationPreview {
    template: String,
    #[serde(default)]
    reward_id: Option<String>,
}

/// `POST /api/automations/{kind}/preview`: the text a sample member would
/// get from this template, its encoding, parts and characters.
fn preview_automation(req: &Request, ctx: &Ctx, kind: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let kind = Kind::parse(kind)?;
    let input: AutomationPreview = http::parse_json(req)?;
    let sample = vafa_core::automation::sample_text(kind, &input.template, input.reward_id.is_some(), &vafa_spin::club::settings(&ctx.kv)?)?;
    let count = vafa_core::sms::count(&sample);
    Ok(http::json(200, &json!({"sample": sample, "encoding": count.encoding, "parts": count.parts, "chars": count.chars})))
}

/// `POST /api/campaigns/preview`: the text a sample member would get, its
/// encoding, parts and characters, and the audience it would reach.
fn preview(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::RunClub)?;
    let input: PreviewInput = http::parse_json(req)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    let sample = sample_text(&input.template, input.link_url.as_deref(), &settings, &config::public_base_url()?)?;
    let count = vafa_core::sms::count(&sample);
    let (audience, estimated) = broadcasts::audience_size(&ctx.kv, &settings, &input.audience)?;
    Ok(http::json(
        200,
        &json!({
            "sample": sample,
            "encoding": count.encoding,
            "parts": count.parts,
            "chars": count.chars,
            "audience": audience,
            "audience_estimated": estimated,
            "messages": audience * count.parts as u64,
        }),
    ))
}


/// `GET /api/reports/campaigns/{id}`: a broadcast's stats with its
/// click-through and conversion rates and cost; for an automation
/// (`auto:<kind>`), its counters alone.
fn report(req: &Request, ctx: &Ctx, id: &str) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Reports)?;
    let settings = vafa_spin::club::settings(&ctx.kv)?;
    if let Some(kind) = id.strip_prefix("auto:") {
        Kind::parse(kind).map_err(|_| vafa_core::error::Error::NotFound(format!("campaign {id}")))?;
        let mut report = tracking::counts(&ctx.kv, id)?.report(id, &settings);
        if kind == "feedback" {
            report["nps"] = tracking::nps(&ctx.kv, id)?;
        }
        return Ok(http::json(200, &report));
    }
    let campaign = broadcasts::get(&ctx.kv, id)?;
    Ok(http::json(200, &campaign.report(tracking::counts(&ctx.kv, id)?, &settings)))
}

/// `GET /l/{slug}` (public): 302 to the campaign's page, the click counted
/// once per member; an unknown slug is 404.
fn follow(ctx: &Ctx, slug: &str) -> Result<Response> {
    let valid = slug.len() == vafa_core::broadcast::SLUG_LEN && slug.bytes().all(|b| b.is_ascii_alphanumeric());
    let link = if valid { tracking::click(&ctx.kv, slug)? } else { None };
    let link = link.ok_or_else(|| vafa_core::error::Error::NotFound(format!("link {slug}")))?;
    Ok(Response::builder().status(302).header("location", link.url).header("cache-control", "no-store").body(()).build())
}
