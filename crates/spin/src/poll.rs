//! Asking the panel instead of waiting for it to call: the replies members
//! sent to the club's line, the delivery state of messages sent, and the
//! account's credit. For a club whose panel cannot call the app back (or
//! that cannot be reached from outside), the poller's tick does the first
//! two (`sms_poll`); a broadcast checks the credit before it is scheduled.
//!
//! Replies feed `inbound::handle` as the hook does, each once: its panel
//! id is claimed first. Delivery states are asked for the messages indexed
//! when they were sent (`status_checks`, one entry per panel call) at
//! 10 minutes, 1 hour, 6 hours and a day after the send, until the panel
//! gives a final state; each is recorded once (`Outbox::delivery`).

use crate::daily::{Budget, sweep_days};
use crate::inbound::{self, Reply};
use crate::kv::Kv;
use crate::outbox::{self, Outbox};
use crate::status_checks::{self, Check, index_check};
use crate::{log, panel};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use vafa_core::error::{Error, Result};
use vafa_core::message::Status;
use vafa_core::provider::PanelConfig;
use vafa_core::provider::poll as ask;
use vafa_core::settings::Settings;
use vafa_core::zone::Day;

/// What a poll did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Replies by what was done with them.
    pub replies: BTreeMap<&'static str, usize>,
    pub delivered: usize,
    pub undelivered: usize,
    pub pending: usize,
    pub caught_up: bool,
}

/// Calls for replies in one tick at most: each fetches the panel's unread
/// ones (up to a page), so more than one is needed only after a busy spell.
const REPLY_CALLS: usize = 10;

/// Fetches the replies the panel has not given before and handles each
/// one not seen before. A call that fails is logged and tried next tick.
pub fn replies(kv: &Kv, cfg: &PanelConfig, timeout_ms: u64, now: DateTime<Utc>, report: &mut Report) -> Result<()> {
    let Some(call) = ask::replies_request(cfg) else { return Ok(()) };
    for _ in 0..REPLY_CALLS {
        let got = match panel::ask(cfg, &call, timeout_ms, ask::parse_replies) {
            Ok(got) => got,
            Err(reason) => {
                log::info(&format!("polling replies from {}: {reason}", cfg.kind.name()));
                return Ok(());
            }
        };
        let mut new = 0;
        for r in &got {
            let action = inbound::handle(kv, &Reply { from: &r.from, to: r.to.as_deref(), text: &r.text, panel_id: Some(&r.id) }, now)?;
            new += usize::from(action != "duplicate");
            *report.replies.entry(action).or_default() += 1;
        }
        // Nothing new: the panel has no more (or serves the same again).
        if new == 0 {
            return Ok(());
        }
    }
    Ok(())
}

/// Asks the delivery state of the messages whose check is due, from the
/// cursor to this minute. Messages already final (a report came) are not
/// asked; those still on their way are indexed for the next check.
pub fn statuses(kv: &Kv, cfg: &PanelConfig, timeout_ms: u64, now: DateTime<Utc>, max_millis: u128, report: &mut Report) -> Result<()> {
    let outbox = Outbox::new(kv)?;
    // An entry holds up to a panel call's messages: a few entries a tick
    // when the panel answers one message a call.
    let budget = Budget { max_entries: if cfg.kind.status_batch_limit() > 1 { 50 } else { 2 }, max_millis };
    let minute = now.timestamp().div_euclid(60) as Day;
    report.caught_up = sweep_days(kv, &status_checks::DUE, minute, budget, |bytes| {
        let entry: Check = crate::kv::decode("status check", bytes)?;
        let asked: Vec<_> = outbox::messages_at(kv, &entry.messages)?.into_iter().filter(|m| m.status == Status::Sent && m.provider_id.as_deref().is_some_and(|p| !p.is_empty())).collect();
        let mut pending = Vec::new();
        for chunk in asked.chunks(cfg.kind.status_batch_limit()) {
            let ids: Vec<&str> = chunk.iter().filter_map(|m| m.provider_id.as_deref()).collect();
            let states = match ask::status_request(cfg, &ids) {
                Some(call) => panel::ask(cfg, &call, timeout_ms, |kind, status, body| ask::parse_status(kind, status, body, &ids)),
                None => Err(format!("{} cannot be asked for delivery states", cfg.kind.name())),
            };
            let states = states.unwrap_or_else(|reason| {
                log::info(&format!("polling delivery states from {}: {reason}", cfg.kind.name()));
                vec![None; chunk.len()]
            });
            for (m, state) in chunk.iter().zip(states) {
                match state {
                    Some(delivered) => {
                        *if delivered { &mut report.delivered } else { &mut report.undelivered } += 1;
                        outbox.delivery(m.clone(), delivered, now)?;
                    }
                    None => pending.push(m.number),
                }
            }
        }
        report.pending += pending.len();
        index_check(kv, entry.check + 1, &pending, now)
    })?;
    Ok(())
}

/// The panel's remaining credit in its unit (Kavenegar rials, SMS.ir SMS
/// parts); `None` for a provider that cannot tell (the sandbox, the
/// webhook), `Err` with the reason when the panel did not answer it.
pub fn credit(cfg: &PanelConfig, timeout_ms: u64) -> std::result::Result<Option<f64>, String> {
    match ask::credit_request(cfg) {
        Some(call) => panel::ask(cfg, &call, timeout_ms, ask::parse_credit).map(Some),
        None => Ok(None),
    }
}

/// Refuses what the panel's credit cannot pay for: `parts` SMS parts at
/// the club's `sms_part_cost` (SMS.ir counts its credit in parts, so 1 a
/// part there when no cost is set). Nothing is refused when the cost or
/// the credit cannot be known (the sandbox, the webhook, a panel that does
/// not answer): the sender's final errors still stop at an empty account.
pub fn ensure_credit(cfg: &PanelConfig, timeout_ms: u64, settings: &Settings, parts: impl FnOnce() -> Result<u64>) -> Result<()> {
    let per_part = match (settings.sms_part_cost, cfg.kind) {
        (0, vafa_core::provider::ProviderKind::SmsIr) => 1,
        (0, _) => return Ok(()),
        (cost, _) => cost,
    };
    let available = match credit(cfg, timeout_ms) {
        Ok(Some(credit)) => credit.max(0.0).floor() as u64,
        Ok(None) => return Ok(()),
        Err(reason) => {
            log::info(&format!("reading the credit of {}: {reason}", cfg.kind.name()));
            return Ok(());
        }
    };
    let needed = parts()?.saturating_mul(per_part);
    if needed > available {
        return Err(Error::InsufficientCredit { needed, available });
    }
    Ok(())
}
