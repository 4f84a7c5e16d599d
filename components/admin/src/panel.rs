//! `GET /api/panel`: the SMS panel the club sends through, as the
//! dashboard's getting-started page shows it: the provider, the line,
//! what is polled, and the account's remaining credit where the panel
//! tells it (read live; a panel that does not answer says why).

use crate::Ctx;
use serde::Serialize;
use spin_sdk::http::{Request, Response};
use vafa_core::error::Result;
use vafa_core::provider::ProviderKind;
use vafa_spin::{config, http, poll};
use vafa_core::staff::Right;

#[derive(Serialize)]
struct Panel {
    provider: &'static str,
    sender: String,
    polling: Polling,
    credit: Option<f64>,
    /// Kavenegar counts credit in rials, SMS.ir in SMS parts.
    credit_unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_error: Option<String>,
}

#[derive(Serialize)]
struct Polling {
    replies: bool,
    delivery: bool,
}

pub fn get(req: &Request, ctx: &Ctx) -> Result<Response> {
    http::require(req, &ctx.kv, Right::ReadClub)?;
    let panel = config::panel()?;
    let polling = config::sms_poll()?;
    let credit_unit = match panel.kind {
        ProviderKind::Kavenegar => Some("IRR"),
        ProviderKind::SmsIr => Some("parts"),
        ProviderKind::Sandbox | ProviderKind::Webhook => None,
    };
    let (credit, credit_error) = match poll::credit(&panel, config::sms_timeout_ms()?) {
        Ok(credit) => (credit, None),
        Err(reason) => (None, Some(reason)),
    };
    let body = Panel {
        provider: panel.kind.name(),
        sender: panel.sender,
        polling: Polling { replies: polling.replies, delivery: polling.delivery },
        credit,
        credit_unit,
        credit_error,
    };
    Ok(http::json(200, &body))
}
