//! `GET /api/messages` (admin): the message log, newest first, paged.

use crate::Ctx;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::message::{Message, MessageView, Status};
use vafa_spin::outbox::{self, Filter};
use vafa_spin::{http, keys};
use vafa_core::staff::Right;

pub fn list(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::Messages)?;
    let (limit, before) = http::paging(req)?;
    let member = match http::query_param(req, "member_id") {
        None => None,
        Some(id) => Some(keys::member_number(&id).ok_or_else(|| Error::field("member_id", "expected a member id like m_12"))?),
    };
    let status = match http::query_param(req, "status") {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or_else(|| Error::field("status", "expected queued, sent, delivered or failed"))?),
    };
    let filter = Filter { member, campaign: http::query_param(req, "campaign_id"), status };
    let (page, next) = outbox::list(&ctx.kv, &filter, limit, before)?;
    let messages: Vec<MessageView> = page.iter().map(Message::view).collect();
    Ok(http::json(200, &Page { messages, next_before: next }))
}

#[derive(serde::Serialize)]
struct Page<'a> {
    messages: Vec<MessageView<'a>>,
    next_before: Option<u64>,
}
