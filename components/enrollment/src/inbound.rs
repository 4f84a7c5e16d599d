//! The SMS panel's callbacks (the API contract "SMS panel callbacks"): inbound
//! messages (opt-out and opt-in keywords, join requests, feedback scores)
//! and delivery reports. Both need `?token=`; both answer 200 to anything well-formed, so
//! a panel never retries a message we chose to ignore.

use crate::Ctx;
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Request, Response};
use vafa_core::consent::{self, Source};
use vafa_core::error::{Error, Result};
use vafa_core::feedback;
use vafa_core::keyword::{self, Inbound};
use vafa_core::member;
use vafa_core::message::{Kind, Purpose};
use vafa_core::otp::JoinInput;
use vafa_spin::members::{self as store};
use vafa_spin::outbox::{Outbox, Recipient};
use vafa_spin::{http, keys};

/// Kavenegar posts a form; everyone else JSON. Decided by the body, not the
/// content type, which clients (curl -d among them) often get wrong.
fn is_form(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{')
}

fn form_field(body: &[u8], names: &[&str]) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| names.contains(&k.as_ref())).map(|(_, v)| v.into_owned())
}

#[derive(Deserialize)]
struct JsonInbound {
    from: String,
    #[serde(default)]
    to: Option<String>,
    text: String,
}

/// What we keep of every inbound SMS.
#[derive(Serialize)]
struct Received<'a> {
    from: &'a str,
    to: Option<&'a str>,
    text: &'a str,
    #[serde(with = "vafa_core::time::rfc3339")]
    at: chrono::DateTime<chrono::Utc>,
    member_id: Option<String>,
    action: &'static str,
}

pub fn receive(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_callback_token(req)?;
    let body = http::body(req)?;
    // Kavenegar posts a form (`messageid`, `from`, `to`, `message`); other
    // panels and our own tools post JSON.
    let (from, to, text) = if is_form(body) {
        let from = form_field(body, &["from"]).ok_or_else(|| Error::field("from", "required"))?;
        let text = form_field(body, &["message", "text"]).ok_or_else(|| Error::field("message", "required"))?;
        (from, form_field(body, &["to"]), text)
    } else {
        let j: JsonInbound = http::parse_json(req)?;
        (j.from, j.to, j.text)
    };
    let settings = http::settings(&ctx.kv)?;
    let phone = member::parse_phone(&from, &settings).ok();
    let found = match &phone {
        Some(p) => store::by_phone(&ctx.kv, p)?,
        None => None,
    };
    let signature = settings.sender_signature.as_str();
    let member_id = found.as_ref().map(|f| f.member.id.clone());
    // A bare number 0-10 is a score while a feedback request is open.
    let score = keyword::score(&text);
    let request = match (&found, score) {
        (Some(f), Some(_)) => ctx.kv.get::<feedback::Request>(&keys::feedback(f.number))?,
        _ => None,
    };
    let open = score.is_some_and(|n| request.as_ref().is_some_and(|r| r.takes(n, ctx.now, &settings)));
    let kind = keyword::classify(&text, open);
    let action: &'static str = match (kind, found, &phone) {
        (Inbound::Score(n), Some(f), Some(p)) => {
            // The same score again (a redelivery) is answered once.
            if let Some(r) = request.filter(|r| r.score.is_none()) {
                ctx.kv.put(&keys::feedback(f.number), &r.scored(n, ctx.now))?;
                vafa_spin::tracking::count(&ctx.kv, &r.campaign, &format!("score-{n}"), 1)?;
                let r = Recipient { number: f.number, member: &f.member };
                Outbox::new(&ctx.kv)?.send(Some(r), p, feedback::receipt(n, &settings), Kind::Transactional, Purpose::FeedbackReceipt, ctx.now)?;
            }
            "feedback_score"
        }
        (Inbound::OptOut, Some(mut f), Some(p)) => {
            // Confirmed once: a second opt-out changes nothing and sends nothing.
            if f.member.consent.status != consent::ConsentStatus::OptedOut {
                f.member.record_consent(false, Source::Keyword, Some(text.clone()), ctx.now);
                store::save(&ctx.kv, &f)?;
                vafa_spin::tracking::optout(&ctx.kv, &settings, f.number, ctx.now)?;
                let r = Recipient { number: f.number, member: &f.member };
                Outbox::new(&ctx.kv)?.send(Some(r), p, consent::optout_confirmation(signature), Kind::Transactional, Purpose::OptOutConfirmation, ctx.now)?;
            }
            "opted_out"
        }
        (Inbound::OptIn | Inbound::Join, Some(mut f), Some(p)) if !f.member.accepts_marketing() => {
            f.member.record_consent(true, Source::Keyword, Some(text.clone()), ctx.now);
            store::save_consent(&ctx.kv, &settings, &f, ctx.now)?;
            let r = Recipient { number: f.number, member: &f.member };
            Outbox::new(&ctx.kv)?.send(Some(r), p, consent::optin_confirmation(signature), Kind::Transactional, Purpose::OptInConfirmation, ctx.now)?;
            "opted_in"
        }
        (Inbound::Join, None, Some(p)) => {
            let input = JoinInput { phone: p.as_str().into(), name: None, store_id: None, referral_code: None };
            match crate::join::send_code(ctx, &settings, p, &input, None, None) {
                Ok(()) => "join_code_sent",
                Err(Error::RateLimited(_)) => "rate_limited",
                Err(e) => return Err(e),
            }
        }
        (_, Some(_), _) => "recorded",
        (_, None, _) => "unknown_sender",
    };
    let n = ctx.kv.increment(keys::SEQ_INBOUND, 1)? as u64;
    // Only the masked number is kept: the member is linked by id, and an
    // erasure must not leave the number behind in the inbound log.
    let from_kept = phone.as_ref().map_or_else(|| "unreadable".to_string(), |p| p.masked());
    ctx.kv.put(&keys::inbound(n), &Received { from: &from_kept, to: to.as_deref(), text: &text, at: ctx.now, member_id, action })?;
    let who = phone.map_or_else(|| "an unreadable number".to_string(), |p| p.to_string());
    vafa_spin::log::info(&format!("inbound sms from {who}: {action}"));
    Ok(http::json(200, &serde_json::json!({"ok": true, "action": action})))
}

#[derive(Deserialize)]
struct JsonDelivery {
    provider_id: serde_json::Value,
    status: serde_json::Value,
}

/// Kavenegar's delivery codes (REST docs, "sms/status"): 10 delivered; 11
/// undelivered, 13 cancelled, 14 filtered are final failures; 1, 2, 4, 5, 6
/// are still on the way.
fn delivered_from_code(code: i64) -> Option<bool> {
    match code {
        10 => Some(true),
        11 | 13 | 14 => Some(false),
        _ => None,
    }
}

fn delivered_from(status: &serde_json::Value) -> Option<bool> {
    match status {
        serde_json::Value::String(s) => match s.as_str() {
            "delivered" => Some(true),
            "failed" | "undelivered" => Some(false),
            other => other.parse().ok().and_then(delivered_from_code),
        },
        serde_json::Value::Number(n) => n.as_i64().and_then(delivered_from_code),
        _ => None,
    }
}

pub fn delivery(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_callback_token(req)?;
    let body = http::body(req)?;
    let (provider_id, status) = if is_form(body) {
        let id = form_field(body, &["messageid"]).ok_or_else(|| Error::field("messageid", "required"))?;
        let status = form_field(body, &["status"]).ok_or_else(|| Error::field("status", "required"))?;
        (id, serde_json::Value::String(status))
    } else {
        let j: JsonDelivery = http::parse_json(req)?;
        let id = match j.provider_id {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(Error::field("provider_id", "expected the panel's message id")),
        };
        (id, j.status)
    };
    let updated = match delivered_from(&status) {
        Some(delivered) => Outbox::new(&ctx.kv)?.record_delivery(&provider_id, delivered, ctx.now)?,
        None => false,
    };
    Ok(http::json(200, &serde_json::json!({"ok": true, "updated": updated})))
}
