//! The replies inbox (staff and owner): the SMS members and others sent to
//! the club's line, newest first, each linked to its member and with what
//! Vafa did with it (`vafa_spin::inbound`).
//!
//! `GET /api/replies?action=&limit=&before=` → `{"replies": [{id, from
//! (masked), to, text, at, member_id, action}], "next_before"}`; `action`
//! is one of `opted_out`, `opted_in`, `feedback_score`, `join_code_sent`,
//! `rate_limited`, `recorded`, `unknown_sender`.

use serde_json::json;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use vafa_core::error::{Error, Result};
use vafa_core::staff::Right;
use vafa_spin::http::{self, Ctx, no_route, not_allowed};
use vafa_spin::inbound;

#[http_component]
fn handle(req: Request) -> Response {
    http::serve(&req, |segs, method| match (segs, method) {
        (["api", "replies"], Method::Get) => replies(&req, &Ctx::new()?),
        (["api", "replies"], _) => not_allowed(&["GET"]),
        _ => Err(no_route()),
    })
}

fn replies(req: &Request, ctx: &Ctx) -> Result<Response> {
    let (limit, before) = http::paging(req)?;
    let action = http::query_param(req, "action");
    if let Some(a) = action.as_deref().filter(|a| !inbound::ACTIONS.contains(a)) {
        return Err(Error::field("action", format!("{a:?} is none of {}", inbound::ACTIONS.join(", "))));
    }
    http::require(req, &ctx.kv, Right::Messages)?;
    let (replies, next) = inbound::page(&ctx.kv, action.as_deref(), limit, before)?;
    Ok(http::json(200, &json!({"replies": replies, "next_before": next})))
}
