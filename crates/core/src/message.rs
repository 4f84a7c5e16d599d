//! An SMS on its way: what it says, to whom, why, and where it is in its life
//! (queued → sent → delivered, or failed). The adapter's outbox stores these
//! and the sender retries them; every decision about them is made here.

use crate::member::Member;
use crate::phone::Phone;
use crate::provider::{Outcome, id_of};
use crate::sms::{self, Encoding};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Tries before a message is given up as failed.
pub const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Codes, receipts and confirmations the member asked for: no marketing
    /// consent needed, but a hard opt-out from all SMS is respected.
    Transactional,
    /// Anything that sells: only to opted-in members, with the footer.
    Marketing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Sent,
    Delivered,
    Failed,
    /// A marketing message a guard held back for good (the member opted
    /// out, or the frequency cap was reached); `error` says which.
    Skipped,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "queued" => Status::Queued,
            "sent" => Status::Sent,
            "delivered" => Status::Delivered,
            "failed" => Status::Failed,
            "skipped" => Status::Skipped,
            _ => return None,
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, Status::Delivered | Status::Failed | Status::Skipped)
    }
}

/// Why a message exists; also the redaction rule for its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    JoinCode,
    /// A member's code to sign in to `/me`.
    SignInCode,
    /// A member's code to confirm their erasure on `/me`.
    ErasureCode,
    OptOutConfirmation,
    OptInConfirmation,
    Campaign,
    RewardCode,
    /// A feedback request (a campaign message that opens a reply window).
    Feedback,
    /// The thanks for a feedback score.
    FeedbackReceipt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    /// The number behind the id: the panel's local id (Kavenegar `localid`),
    /// so a replayed send is recognised by the panel and not sent twice.
    pub number: u64,
    pub member_id: Option<String>,
    /// `None` once the member was erased: the number is gone for good.
    pub to: Option<Phone>,
    pub text: String,
    /// The one-time code the text carries, for a send through the panel's
    /// template ([`Message::template`]); dropped once the message is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub kind: Kind,
    pub purpose: Purpose,
    pub campaign: Option<String>,
    pub status: Status,
    pub attempts: u32,
    #[serde(with = "crate::time::rfc3339::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub provider: String,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub encoding: Encoding,
    pub parts: usize,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Why a message may not go to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OptedOut,
    Blocked,
}

/// The consent gate every message passes. `None` is a number that is not a
/// member (a join code to a new phone): only transactional SMS may go there.
/// A number that blocks advertising is reached only by a `templated` send.
pub fn gate(kind: Kind, member: Option<&Member>, templated: bool) -> Result<(), Refusal> {
    match (kind, member) {
        (_, Some(m)) if !m.accepts_transactional() => Err(Refusal::Blocked),
        (_, Some(m)) if m.ads_blocked && !templated => Err(Refusal::Blocked),
        (Kind::Marketing, Some(m)) if !m.accepts_marketing() => Err(Refusal::OptedOut),
        (Kind::Marketing, None) => Err(Refusal::OptedOut),
        _ => Ok(()),
    }
}

/// Exponential backoff after the `attempts`-th failed try: 1, 2, 4, 8 minutes.
pub fn backoff(attempts: u32) -> Duration {
    Duration::minutes(1i64 << attempts.saturating_sub(1).min(10))
}

impl Message {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        number: u64,
        member_id: Option<String>,
        to: Phone,
        text: String,
        kind: Kind,
        purpose: Purpose,
        provider: &str,
        now: DateTime<Utc>,
    ) -> Message {
        let count = sms::count(&text);
        Message {
            id: id_of(number),
            number,
            member_id,
            to: Some(to),
            text,
            token: None,
            kind,
            purpose,
            campaign: None,
            status: Status::Queued,
            attempts: 0,
            next_attempt_at: Some(now),
            provider: provider.to_string(),
            provider_id: None,
            error: None,
            encoding: count.encoding,
            parts: count.parts,
            created_at: now,
            sent_at: None,
            delivered_at: None,
        }
    }

    /// Held back for good by a guard.
    pub fn skip(&mut self, why: crate::guard::Skip) {
        self.status = Status::Skipped;
        self.next_attempt_at = None;
        self.error = Some(why.as_str().to_string());
    }

    /// Waits for the guards' next window; no try is used up.
    pub fn wait_until(&mut self, at: DateTime<Utc>) {
        self.next_attempt_at = Some(at);
    }

    /// Is a send attempt due now?
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == Status::Queued && self.next_attempt_at.is_some_and(|t| t <= now)
    }

    /// The next try's time if this attempt fails, so the retry can be indexed
    /// before the attempt is made (a send killed half-way is still retried).
    pub fn retry_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + backoff(self.attempts + 1)
    }

    /// Records the outcome of one attempt; returns when to try again, if ever.
    pub fn record_attempt(&mut self, outcome: Outcome, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.attempts += 1;
        match outcome {
            Outcome::Accepted { provider_id } => {
                self.status = Status::Sent;
                self.provider_id = Some(provider_id);
                self.sent_at = Some(now);
                self.next_attempt_at = None;
                self.error = None;
            }
            Outcome::Retry(reason) if self.attempts < MAX_ATTEMPTS => {
                self.error = Some(reason);
                let at = now + backoff(self.attempts);
                self.next_attempt_at = Some(at);
                return Some(at);
            }
            Outcome::Retry(reason) => self.fail(format!("gave up after {} tries: {reason}", self.attempts)),
            Outcome::Fail(reason) | Outcome::Blacklisted(reason) => self.fail(reason),
        }
        self.redact_if_final();
        None
    }

    /// An attempt that began but left no outcome (the caller was killed): it
    /// counts as a failed try, because the panel may or may not have it.
    pub fn record_lost_attempt(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.record_attempt(Outcome::Retry("an earlier attempt was interrupted".into()), now)
    }

    fn fail(&mut self, reason: String) {
        self.status = Status::Failed;
        self.error = Some(reason);
        self.next_attempt_at = None;
    }

    /// A delivery report from the panel.
    pub fn record_delivery(&mut self, delivered: bool, now: DateTime<Utc>) {
        if delivered {
            self.status = Status::Delivered;
            self.delivered_at = Some(now);
        } else {
            self.status = Status::Failed;
            self.error = Some("the operator reported it undelivered".into());
        }
        self.redact_if_final();
    }

    /// Erasure of the member: the number and the text go for good; a
    /// message still waiting will never be sent.
    pub fn erase(&mut self) {
        self.to = None;
        self.text = String::new();
        if self.status == Status::Queued {
            self.fail("not sent: the member was erased".into());
        }
    }

    /// One-time codes are kept in clear only while the message may still be
    /// sent; after that nobody needs them.
    fn redact_if_final(&mut self) {
        if self.status != Status::Queued {
            self.token = None;
            if self.hides_code() {
                self.text = redact_digits(&self.text);
            }
        }
    }

    /// The panel's template and the code it carries, when this message is
    /// a code the owner set a template for (`sms_templates`) and the
    /// provider has templates.
    pub fn template<'a>(&'a self, panel: &'a crate::provider::PanelConfig) -> Option<(&'a str, &'a str)> {
        let token = self.token.as_deref()?;
        let t = &panel.templates;
        let name = match self.purpose {
            Purpose::JoinCode => t.join.as_deref(),
            Purpose::SignInCode => t.sign_in.as_deref(),
            Purpose::ErasureCode => t.erasure.as_deref(),
            Purpose::RewardCode => t.reward.as_deref(),
            _ => None,
        }?;
        panel.kind.has_templates().then_some((name, token))
    }

    /// A join or sign-in code is hidden, except by the `sandbox` provider: nothing
    /// leaves the machine there, and the message log is the only way an
    /// owner trying the club can read the code.
    fn hides_code(&self) -> bool {
        matches!(self.purpose, Purpose::JoinCode | Purpose::SignInCode | Purpose::ErasureCode) && self.provider != crate::provider::ProviderKind::Sandbox.name()
    }

    /// The API's shape. Join codes never show, even while queued (but
    /// with the sandbox).
    pub fn view(&self) -> MessageView<'_> {
        let text = if self.hides_code() { redact_digits(&self.text) } else { self.text.clone() };
        MessageView {
            id: &self.id,
            member_id: self.member_id.as_deref(),
            to: self.to.as_ref().map(Phone::as_str),
            text,
            kind: self.kind,
            purpose: self.purpose,
            campaign: self.campaign.as_deref(),
            status: self.status,
            attempts: self.attempts,
            provider: &self.provider,
            provider_id: self.provider_id.as_deref(),
            error: self.error.as_deref(),
            encoding: self.encoding,
            parts: self.parts,
            created_at: self.created_at,
            sent_at: self.sent_at,
            delivered_at: self.delivered_at,
            next_attempt_at: self.next_attempt_at,
        }
    }
}

/// A message as `GET /api/messages` shows it.
#[derive(Debug, Serialize)]
pub struct MessageView<'a> {
    pub id: &'a str,
    pub member_id: Option<&'a str>,
    pub to: Option<&'a str>,
    pub text: String,
    pub kind: Kind,
    pub purpose: Purpose,
    pub campaign: Option<&'a str>,
    pub status: Status,
    pub attempts: u32,
    pub provider: &'a str,
    pub provider_id: Option<&'a str>,
    pub error: Option<&'a str>,
    pub encoding: Encoding,
    pub parts: usize,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The code is written in ASCII digits (so phones offer to autofill it);
/// Persian digits in the rest of the text stay.
fn redact_digits(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_digit() { '•' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T08:30:00Z".parse().unwrap()
    }

    fn msg(purpose: Purpose) -> Message {
        let to = crate::phone::normalize("09121234567", "IR").unwrap();
        Message::new(7, None, to, "کد: 123456".into(), Kind::Transactional, purpose, "sandbox", now())
    }

    #[test]
    fn retries_back_off_and_give_up_after_five_tries() {
        let mut m = msg(Purpose::OptOutConfirmation);
        let mut waits = Vec::new();
        for _ in 0..4 {
            let at = m.record_attempt(Outcome::Retry("timeout".into()), now()).expect("retry");
            waits.push((at - now()).num_minutes());
        }
        assert_eq!(waits, [1, 2, 4, 8]);
        assert_eq!(m.record_attempt(Outcome::Retry("timeout".into()), now()), None);
        assert_eq!(m.status, Status::Failed);
        assert_eq!(m.attempts, MAX_ATTEMPTS);
    }

    #[test]
    fn a_final_panel_error_is_not_retried() {
        let mut m = msg(Purpose::OptOutConfirmation);
        assert_eq!(m.record_attempt(Outcome::Fail("418: no credit".into()), now()), None);
        assert_eq!(m.status, Status::Failed);
    }

    #[test]
    fn the_sandbox_shows_join_codes_since_nothing_leaves_the_machine() {
        let mut m = msg(Purpose::JoinCode);
        m.provider = "sandbox".into();
        m.record_attempt(Outcome::Accepted { provider_id: "sandbox-1".into() }, now());
        assert!(m.text.contains("123456") && m.view().text.contains("123456"));
    }

    #[test]
    fn join_and_sign_in_codes_never_show_and_are_redacted_once_sent() {
        for purpose in [Purpose::JoinCode, Purpose::SignInCode, Purpose::ErasureCode] {
            let mut m = msg(purpose);
            m.provider = "kavenegar".into();
            assert_eq!(m.view().text, "کد: ••••••");
            assert!(m.text.contains("123456"));
            m.record_attempt(Outcome::Accepted { provider_id: "1".into() }, now());
            assert!(!m.text.contains("123456"), "{purpose:?}");
        }
    }

    #[test]
    fn a_code_goes_through_its_template_and_forgets_the_code_once_sent() {
        use crate::provider::{PanelConfig, ProviderKind, Templates};
        let panel = |kind| PanelConfig { kind, api_key: "k".into(), sender: String::new(), base_url: String::new(), templates: Templates { join: Some("vafa-join".into()), reward: Some("vafa-code".into()), ..Templates::default() } };
        let mut m = msg(Purpose::JoinCode);
        m.token = Some("123456".into());
        assert_eq!(m.template(&panel(ProviderKind::Kavenegar)), Some(("vafa-join", "123456")));
        assert_eq!(m.template(&panel(ProviderKind::Webhook)), None, "the webhook contract has no templates");
        let mut sign_in = m.clone();
        sign_in.purpose = Purpose::SignInCode;
        assert_eq!(sign_in.template(&panel(ProviderKind::Kavenegar)), None, "no template set for sign-in codes");
        m.record_attempt(Outcome::Accepted { provider_id: "1".into() }, now());
        assert_eq!((m.token.clone(), m.template(&panel(ProviderKind::Kavenegar))), (None, None));
    }

    #[test]
    fn a_number_that_blocks_advertising_is_reached_only_by_a_template() {
        let settings = crate::settings::Settings::default();
        let input: crate::member::NewMember = serde_json::from_value(serde_json::json!({"phone": "09121234567"})).unwrap();
        let mut member = input.validate(&settings, crate::member::today(&settings, now())).unwrap().into_member("m_1".into(), "R".into(), None, &settings, now());
        member.ads_blocked = true;
        assert_eq!(gate(Kind::Transactional, Some(&member), false), Err(Refusal::Blocked));
        assert_eq!(gate(Kind::Transactional, Some(&member), true), Ok(()));
        member.sms_blocked = true;
        assert_eq!(gate(Kind::Transactional, Some(&member), true), Err(Refusal::Blocked), "no SMS at all means none");
    }

    #[test]
    fn marketing_needs_consent_and_nothing_goes_to_a_blocked_member() {
        assert_eq!(gate(Kind::Transactional, None, false), Ok(()));
        assert_eq!(gate(Kind::Marketing, None, false), Err(Refusal::OptedOut));
    }

    #[test]
    fn erasure_drops_the_number_and_the_text_and_stops_a_queued_message() {
        let mut m = msg(Purpose::OptOutConfirmation);
        m.erase();
        assert_eq!((m.to.as_ref(), m.text.as_str(), m.status), (None, "", Status::Failed));
    }
}
