//! An SMS a member (or anyone) sent to the club's line, however it reached
//! us: posted by the panel to `/hooks/sms/inbound`, or polled from the
//! panel by the poller. Opt-out and opt-in keywords, `عضویت` from an
//! unknown number (double opt-in), and a bare 0–10 while a feedback
//! request is open (the member's score). Every reply is kept in the
//! inbound log (the number masked) and counted by what was done with it.

use crate::kv::Kv;
use crate::members::{self, Found};
use crate::outbox::{Outbox, Recipient};
use crate::{config, keys, tracking};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vafa_core::consent::{self, ConsentStatus, Source};
use vafa_core::error::{Error, Result};
use vafa_core::feedback;
use vafa_core::keyword::{self, Inbound};
use vafa_core::member;
use vafa_core::message::{Kind, Purpose};
use vafa_core::otp::{CodeFor, Details};
use vafa_core::phone::Phone;
use vafa_core::settings::Settings;

/// A reply as the panel gave it.
pub struct Reply<'a> {
    pub from: &'a str,
    pub to: Option<&'a str>,
    pub text: &'a str,
    /// The panel's id of the reply, when it gives one: a reply posted and
    /// polled, or polled twice, is handled once.
    pub panel_id: Option<&'a str>,
}

/// What we keep of every inbound SMS.
#[derive(Serialize)]
struct Received<'a> {
    from: &'a str,
    to: Option<&'a str>,
    text: &'a str,
    #[serde(with = "vafa_core::time::rfc3339")]
    at: DateTime<Utc>,
    member_id: Option<String>,
    action: &'static str,
}

/// What can be done with a reply, as [`handle`] names it.
pub const ACTIONS: [&str; 7] = ["opted_out", "opted_in", "feedback_score", "join_code_sent", "rate_limited", "recorded", "unknown_sender"];

/// A reply as kept, for the owner's inbox: `id` is its place in the log.
#[derive(Debug, Serialize, Deserialize)]
pub struct Kept {
    #[serde(default)]
    pub id: u64,
    pub from: String,
    pub to: Option<String>,
    pub text: String,
    pub at: String,
    pub member_id: Option<String>,
    pub action: String,
}

/// Replies read a request at most, looking for a filter's matches.
const SCAN: u64 = 1000;

/// A page of replies, newest first, before `before` (an id), only those
/// `action` names when given; and where the next page starts (`None`: the
/// log's start). A filter that matches rarely may answer a short page
/// with a cursor: the log was read [`SCAN`] replies deep.
pub fn page(kv: &Kv, action: Option<&str>, limit: usize, before: Option<u64>) -> Result<(Vec<Kept>, Option<u64>)> {
    let newest = kv.counter(keys::SEQ_INBOUND)?.max(0) as u64;
    let mut top = before.unwrap_or(u64::MAX).min(newest + 1);
    let floor = top.saturating_sub(SCAN).max(1);
    let mut found = Vec::new();
    while top > floor && found.len() < limit {
        let low = top.saturating_sub(crate::kv::BATCH as u64).max(floor);
        let wanted: Vec<String> = (low..top).rev().map(keys::inbound).collect();
        let got = kv.get_many(&wanted)?;
        for n in (low..top).rev() {
            let key = keys::inbound(n);
            let Some(bytes) = got.get(&key) else { continue };
            let mut kept: Kept = crate::kv::decode(&key, bytes)?;
            kept.id = n;
            if action.is_none_or(|a| a == kept.action) {
                found.push(kept);
                if found.len() == limit {
                    return Ok((found, Some(n).filter(|&n| n > 1)));
                }
            }
        }
        top = low;
    }
    Ok((found, Some(top).filter(|&t| t > 1)))
}

/// Handles one reply; returns what was done (`opted_out`, `opted_in`,
/// `feedback_score`, `join_code_sent`, `rate_limited`, `recorded`,
/// `unknown_sender`, or `duplicate` for a reply handled before).
pub fn handle(kv: &Kv, reply: &Reply<'_>, now: DateTime<Utc>) -> Result<&'static str> {
    if let Some(id) = reply.panel_id
        && !kv.claim(&keys::inbound_seen(config::panel()?.kind.name(), id))?
    {
        return Ok("duplicate");
    }
    let settings = crate::club::settings(kv)?;
    let phone = member::parse_phone(reply.from, &settings).ok();
    let found = match &phone {
        Some(p) => members::by_phone(kv, p)?,
        None => None,
    };
    let member_id = found.as_ref().map(|f| f.member.id.clone());
    let action = match (found, &phone) {
        (Some(f), Some(p)) => act(kv, &settings, f, p, reply.text, now)?,
        (None, Some(p)) if keyword::classify(reply.text, false) == Inbound::Join => {
            match crate::join::send_code(kv, &settings, p, CodeFor::Join, Details::default(), now) {
                Ok(()) => "join_code_sent",
                Err(Error::RateLimited(_)) => "rate_limited",
                Err(e) => return Err(e),
            }
        }
        _ => "unknown_sender",
    };
    let n = kv.increment(keys::SEQ_INBOUND, 1)? as u64;
    // Only the masked number is kept: the member is linked by id, and an
    // erasure must not leave the number behind in the inbound log.
    let from_kept = phone.as_ref().map_or_else(|| "unreadable".to_string(), Phone::masked);
    kv.put(&keys::inbound(n), &Received { from: &from_kept, to: reply.to, text: reply.text, at: now, member_id, action })?;
    kv.increment(&keys::inbound_count(action), 1)?;
    let who = phone.map_or_else(|| "an unreadable number".to_string(), |p| p.to_string());
    crate::log::info(&format!("inbound sms from {who}: {action}"));
    Ok(action)
}

/// A member's reply: a score while their feedback window is open, else a
/// keyword (or just words, recorded).
fn act(kv: &Kv, settings: &Settings, mut f: Found, phone: &Phone, text: &str, now: DateTime<Utc>) -> Result<&'static str> {
    let signature = settings.sender_signature.as_str();
    // A bare number 0-10 is a score while a feedback request is open.
    let score = keyword::score(text);
    let request = match score {
        Some(_) => kv.get::<feedback::Request>(&keys::feedback(f.number))?,
        None => None,
    };
    let open = score.is_some_and(|n| request.as_ref().is_some_and(|r| r.takes(n, now, settings)));
    let send = |f: &Found, text: String, purpose: Purpose| {
        let r = Recipient { number: f.number, member: &f.member };
        Outbox::new(kv)?.send(Some(r), phone, text, Kind::Transactional, purpose, now).map(drop)
    };
    Ok(match keyword::classify(text, open) {
        Inbound::Score(n) => {
            // The same score again (a redelivery) is answered once.
            if let Some(r) = request.filter(|r| r.score.is_none()) {
                kv.put(&keys::feedback(f.number), &r.scored(n, now))?;
                tracking::count(kv, &r.campaign, &format!("score-{n}"), 1)?;
                send(&f, feedback::receipt(n, settings), Purpose::FeedbackReceipt)?;
            }
            "feedback_score"
        }
        Inbound::OptOut => {
            // Confirmed once: a second opt-out changes nothing and sends nothing.
            if f.member.consent.status != ConsentStatus::OptedOut {
                f.member.record_consent(false, Source::Keyword, Some(text.to_string()), now);
                members::save_consent(kv, settings, &f, now)?;
                tracking::optout(kv, settings, f.number, now)?;
                send(&f, consent::optout_confirmation(signature), Purpose::OptOutConfirmation)?;
            }
            "opted_out"
        }
        Inbound::OptIn | Inbound::Join if !f.member.accepts_marketing() => {
            f.member.record_consent(true, Source::Keyword, Some(text.to_string()), now);
            members::save_consent(kv, settings, &f, now)?;
            send(&f, consent::optin_confirmation(signature), Purpose::OptInConfirmation)?;
            "opted_in"
        }
        _ => "recorded",
    })
}
