//! The SMS panel's callbacks (README "SMS panel callbacks"): inbound
//! messages (handled by `vafa_spin::inbound`, as polled ones are) and
//! delivery reports. Both need `?token=`; both answer 200 to anything well-formed, so
//! a panel never retries a message we chose to ignore.

use vafa_spin::http::Ctx;
use serde::Deserialize;
use spin_sdk::http::{Request, Response};
use vafa_core::error::{Error, Result};
use vafa_core::provider::poll::kavenegar_delivered;
use vafa_spin::outbox::Outbox;
use vafa_spin::{http, inbound};

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

pub fn receive(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require_callback_token(req)?;
    let body = http::body(req)?;
    // Kavenegar posts a form (`messageid`, `from`, `to`, `message`); other
    // panels and our own tools post JSON.
    let (from, to, text, id) = if is_form(body) {
        let from = form_field(body, &["from"]).ok_or_else(|| Error::field("from", "required"))?;
        let text = form_field(body, &["message", "text"]).ok_or_else(|| Error::field("message", "required"))?;
        (from, form_field(body, &["to"]), text, form_field(body, &["messageid"]))
    } else {
        let j: JsonInbound = http::parse_json(req)?;
        (j.from, j.to, j.text, None)
    };
    let reply = inbound::Reply { from: &from, to: to.as_deref(), text: &text, panel_id: id.as_deref() };
    let action = inbound::handle(&ctx.kv, &reply, ctx.now)?;
    Ok(http::json(200, &serde_json::json!({"ok": true, "action": action})))
}

#[derive(Deserialize)]
struct JsonDelivery {
    provider_id: serde_json::Value,
    status: serde_json::Value,
}

fn delivered_from(status: &serde_json::Value) -> Option<bool> {
    match status {
        serde_json::Value::String(s) => match s.as_str() {
            "delivered" => Some(true),
            "failed" | "undelivered" => Some(false),
            other => other.parse().ok().and_then(kavenegar_delivered),
        },
        serde_json::Value::Number(n) => n.as_i64().and_then(kavenegar_delivered),
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
