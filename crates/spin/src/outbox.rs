//! The outbox: every SMS is recorded before it is sent, indexed by the minute
//! its next try is due, and sent with our message number as the panel's local
//! id. The cron sender sweeps the due index minute by minute from a cursor,
//! so a tick's work is proportional to what is due, never to the number of
//! members or messages, and a tick killed half-way is finished by the next.

use crate::kv::{BATCH, Kv};
use crate::{clock, config, keys, log, panel, tracking};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use vafa_core::error::Result;
use vafa_core::guard::{self, Verdict};
use vafa_core::member::Member;
use vafa_core::settings::Settings;
use vafa_core::message::{self, Kind, Message, Purpose, Refusal, Status};
use vafa_core::phone::Phone;
use vafa_core::provider::{self, Outcome, PanelConfig};

/// How far back a sender with no cursor yet looks for due messages.
const FIRST_LOOKBACK_MINUTES: i64 = 24 * 60;

pub struct Outbox<'a> {
    kv: &'a Kv,
    panel: PanelConfig,
    timeout_ms: u64,
}

/// Limits on one sweep, so a tick ends in time and leaves a cursor.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_minutes: i64,
    pub max_messages: usize,
    pub max_millis: u128,
}

impl Default for Budget {
    fn default() -> Self {
        // A week of minutes (a tick after a long outage catches up in one
        // go, 200 minutes a read); 2,000 sends or 20 s, well inside the
        // one-minute schedule.
        Budget { max_minutes: 7 * 24 * 60, max_messages: 2_000, max_millis: 20_000 }
    }
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Sweep {
    pub minutes: i64,
    pub attempted: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Marketing held back for good by a guard, or waiting for its window.
    pub skipped: usize,
    pub waiting: usize,
    pub caught_up: bool,
}

/// Who a message is for, when it is for a member.
pub struct Recipient<'m> {
    pub number: u64,
    pub member: &'m Member,
}

fn minute_ceil(t: DateTime<Utc>) -> i64 {
    (t.timestamp() + 59).div_euclid(60)
}

impl<'a> Outbox<'a> {
    pub fn new(kv: &'a Kv) -> Result<Outbox<'a>> {
        Ok(Outbox { kv, panel: config::panel()?, timeout_ms: config::sms_timeout_ms()? })
    }

    /// Records a message and makes its first try now. `None` when the
    /// consent gate refuses it (nothing is recorded then).
    pub fn send(&self, recipient: Option<Recipient<'_>>, to: &Phone, text: String, kind: Kind, purpose: Purpose, now: DateTime<Utc>) -> Result<Option<Message>> {
        let Some(mut msg) = self.record(recipient, to, text, kind, purpose, None, now)? else { return Ok(None) };
        self.attempt(&mut msg, now)?;
        Ok(Some(msg))
    }

    /// Records a message for the sender's next tick to send (within a
    /// minute): the caller need not wait for the panel, nor link it.
    /// `campaign` names what sent it (an automation, a broadcast).
    #[allow(clippy::too_many_arguments)]
    pub fn queue(&self, recipient: Option<Recipient<'_>>, to: &Phone, text: String, kind: Kind, purpose: Purpose, campaign: Option<&str>, now: DateTime<Utc>) -> Result<Option<Message>> {
        let Some(msg) = self.record(recipient, to, text, kind, purpose, campaign, now)? else { return Ok(None) };
        // The next minute: this minute's may have been swept already.
        self.index_due(msg.number, now + chrono::Duration::seconds(60 - now.timestamp().rem_euclid(60)))?;
        Ok(Some(msg))
    }

    #[allow(clippy::too_many_arguments)]
    fn record(&self, recipient: Option<Recipient<'_>>, to: &Phone, text: String, kind: Kind, purpose: Purpose, campaign: Option<&str>, now: DateTime<Utc>) -> Result<Option<Message>> {
        if let Err(refusal) = message::gate(kind, recipient.as_ref().map(|r| r.member)) {
            log::info(&format!("sms to {to} not sent: {refusal:?}"));
            return Ok(None);
        }
        let number = self.kv.increment(keys::SEQ_MESSAGE, 1)? as u64;
        let member_id = recipient.as_ref().map(|r| keys::member_id(r.number));
        let mut msg = Message::new(number, member_id, to.clone(), text, kind, purpose, self.panel.kind.name(), now);
        msg.campaign = campaign.map(str::to_string);
        if let Some(r) = &recipient {
            self.kv.append(&keys::member_messages_len(r.number), |k| keys::member_messages(r.number, k), number.to_string().as_bytes())?;
        }
        self.kv.put(&keys::message(number), &msg)?;
        Ok(Some(msg))
    }

    fn index_due(&self, number: u64, at: DateTime<Utc>) -> Result<()> {
        let minute = minute_ceil(at);
        self.kv.append(&keys::due_len(minute), |k| keys::due(minute, k), number.to_string().as_bytes()).map(drop)
    }

    /// One try. The try is claimed first, so two processes never make the
    /// same one; its retry is indexed before the panel is called, so a try
    /// killed half-way is still retried.
    fn attempt(&self, msg: &mut Message, now: DateTime<Utc>) -> Result<()> {
        let try_no = msg.attempts + 1;
        if !self.kv.claim(&keys::attempt(msg.number, try_no))? {
            // That try was begun before and left no outcome: count it.
            if let Some(at) = msg.record_lost_attempt(now) {
                self.index_due(msg.number, at)?;
            }
            return self.kv.put(&keys::message(msg.number), msg);
        }
        if try_no < message::MAX_ATTEMPTS {
            self.index_due(msg.number, msg.retry_at(now))?;
        }
        let outcome = match msg.to.as_ref().map(|to| provider::request(&self.panel, msg.number, to, &msg.text)) {
            None => Outcome::Fail("not sent: the member was erased".into()),
            Some(Ok(None)) => Outcome::Accepted { provider_id: format!("sandbox-{}", msg.number) },
            Some(Ok(Some(call))) => panel::send(&self.panel, &call, self.timeout_ms),
            Some(Err(e)) => Outcome::Fail(e.to_string()),
        };
        let blacklisted = matches!(outcome, Outcome::Blacklisted(_));
        let summary = match &outcome {
            Outcome::Accepted { provider_id } => format!("accepted as {provider_id}"),
            Outcome::Retry(r) => format!("will retry: {r}"),
            Outcome::Fail(r) | Outcome::Blacklisted(r) => format!("failed: {r}"),
        };
        let to = msg.to.as_ref().map_or_else(|| "an erased member".to_string(), |p| p.to_string());
        log::info(&format!("sms {} to {to} try {try_no} via {}: {summary}", msg.id, self.panel.kind.name()));
        msg.record_attempt(outcome, now);
        self.kv.put(&keys::message(msg.number), msg)?;
        if let Some(pid) = msg.provider_id.as_deref().filter(|p| !p.is_empty()) {
            self.kv.set_number(&keys::message_by_provider(self.panel.kind.name(), pid), msg.number)?;
        }
        self.track(msg, now)?;
        if blacklisted {
            self.block_member(msg)?;
        }
        Ok(())
    }

    /// A campaign's message that went out or failed for good, in its
    /// counters; one sent is the member's last touch (for conversions and
    /// opt-outs).
    fn track(&self, msg: &Message, now: DateTime<Utc>) -> Result<()> {
        let Some(campaign) = msg.campaign.as_deref() else { return Ok(()) };
        match msg.status {
            Status::Sent => {
                tracking::count(self.kv, campaign, "sent", 1)?;
                tracking::count(self.kv, campaign, "parts", vafa_core::sms::count(&msg.text).parts as i64)?;
                if let Some(n) = msg.member_id.as_deref().and_then(keys::member_number) {
                    self.kv.put(&keys::last_marketing(n), &tracking::Touch { campaign: campaign.to_string(), at: now })?;
                }
            }
            Status::Failed => tracking::count(self.kv, campaign, "failed", 1)?,
            _ => {}
        }
        Ok(())
    }

    /// A number the panel reports blacklisted gets no more SMS from us.
    fn block_member(&self, msg: &Message) -> Result<()> {
        let Some(n) = msg.member_id.as_deref().and_then(keys::member_number) else { return Ok(()) };
        if let Some(mut m) = self.kv.get::<Member>(&keys::member(n))? {
            m.sms_blocked = true;
            self.kv.put(&keys::member(n), &m)?;
        }
        Ok(())
    }

    /// The cron sweep: every minute bucket from the cursor up to now. The
    /// minutes' counters are read a batch at a time, so an idle tick costs
    /// three operations (cursor, counters, cursor) and a long gap a few more.
    pub fn sweep(&self, now: DateTime<Utc>, budget: Budget) -> Result<Sweep> {
        let clock = clock::Stopwatch::start();
        let current = now.timestamp().div_euclid(60);
        let cursor: Option<i64> = self.kv.get(keys::SENDER_CURSOR)?;
        let first = cursor.map_or(current - FIRST_LOOKBACK_MINUTES, |c| c + 1);
        let last = current.min(first + budget.max_minutes - 1);
        let minutes: Vec<i64> = (first..=last).collect();
        let mut report = Sweep::default();
        let mut done = cursor;
        'sweep: for chunk in minutes.chunks(BATCH) {
            let len_keys: Vec<String> = chunk.iter().map(|m| keys::due_len(*m)).collect();
            let lens = self.kv.get_many(&len_keys)?;
            for (minute, key) in chunk.iter().zip(&len_keys) {
                let len = crate::kv::counter_in(&lens, key)? as u64;
                if len > 0 && !self.sweep_minute(*minute, len, now, &budget, &clock, &mut report)? {
                    break 'sweep;
                }
                report.minutes += 1;
                done = Some(*minute);
            }
        }
        report.caught_up = done == Some(current);
        if done != cursor {
            self.kv.put(keys::SENDER_CURSOR, &done)?;
        }
        Ok(report)
    }

    /// Tries every due message of one minute. Returns false if the budget
    /// ran out first: the minute is then swept again by the next tick
    /// (messages already sent are skipped by their status).
    fn sweep_minute(&self, minute: i64, len: u64, now: DateTime<Utc>, budget: &Budget, clock: &clock::Stopwatch, report: &mut Sweep) -> Result<bool> {
        let slot_keys: Vec<String> = (1..=len).map(|k| keys::due(minute, k)).collect();
        let mut numbers = self.kv.numbers_at(&slot_keys)?;
        numbers.sort_unstable();
        numbers.dedup();
        let mut settings = None;
        for chunk in numbers.chunks(BATCH) {
            let due: Vec<Message> = messages_at(self.kv, chunk)?.into_iter().filter(|m| m.is_due(now)).collect();
            let members = self.members_of(&due)?;
            for mut m in due {
                if report.attempted >= budget.max_messages || clock.millis() >= budget.max_millis {
                    return Ok(false);
                }
                let member = m.member_id.as_deref().and_then(|id| members.get(id));
                let mut sent_key = None;
                if m.kind == Kind::Marketing {
                    // The guards, at send time: consent may have changed,
                    // and the hour, the day and the member's count matter now.
                    let settings: &Settings = match &settings {
                        Some(s) => s,
                        None => settings.insert(crate::http::settings(self.kv)?),
                    };
                    let number = m.member_id.as_deref().and_then(keys::member_number).unwrap_or(0);
                    let day = settings.timezone.day(now);
                    match guard::check(member, settings, now, self.marketing_sent(number, day)?) {
                        Verdict::Skip(why) => {
                            m.skip(why);
                            self.kv.put(&keys::message(m.number), &m)?;
                            self.count_for_campaign(&m, why.as_str())?;
                            report.skipped += 1;
                            continue;
                        }
                        Verdict::Wait(at, hold) => {
                            self.index_due(m.number, at)?;
                            m.wait_until(at);
                            self.kv.put(&keys::message(m.number), &m)?;
                            self.count_for_campaign(&m, hold.as_str())?;
                            report.waiting += 1;
                            continue;
                        }
                        Verdict::Send => sent_key = Some(keys::marketing_sent(number, day)),
                    }
                }
                report.attempted += 1;
                if let Err(refusal) = message::gate(m.kind, member) {
                    // Consent changed since the message was queued: it must not go.
                    let reason = match refusal {
                        Refusal::OptedOut => "not sent: the member opted out",
                        Refusal::Blocked => "not sent: the member receives no SMS",
                    };
                    m.record_attempt(Outcome::Fail(reason.into()), now);
                    self.kv.put(&keys::message(m.number), &m)?;
                    report.failed += 1;
                    continue;
                }
                self.attempt(&mut m, now)?;
                match m.status {
                    Status::Sent | Status::Delivered => report.sent += 1,
                    Status::Failed | Status::Skipped => report.failed += 1,
                    Status::Queued => report.retrying += 1,
                }
                if let (Some(key), Status::Sent) = (&sent_key, m.status) {
                    self.kv.increment(key, 1)?;
                }
                // A feedback request, once out, opens the member's window
                // for a score (a kill before this leaves `1` an opt-out).
                if let (Purpose::Feedback, Status::Sent, Some(n)) = (m.purpose, m.status, m.member_id.as_deref().and_then(keys::member_number)) {
                    let campaign = m.campaign.as_deref().unwrap_or_default();
                    self.kv.put(&keys::feedback(n), &vafa_core::feedback::Request::sent(campaign, now))?;
                }
            }
        }
        Ok(true)
    }

    /// A guard's verdict on a campaign's message, counted for its report
    /// (`camp-count:{campaign}:{reason}`).
    fn count_for_campaign(&self, m: &Message, reason: &str) -> Result<()> {
        match &m.campaign {
            Some(c) => self.kv.increment(&keys::campaign_count(c, reason), 1).map(drop),
            None => Ok(()),
        }
    }

    /// Marketing messages a member was sent today and in the last 7 days.
    fn marketing_sent(&self, member: u64, day: i32) -> Result<guard::Sent> {
        let key_list: Vec<String> = (0..7).map(|d| keys::marketing_sent(member, day - d)).collect();
        let found = self.kv.get_many(&key_list)?;
        let count = |k: &String| crate::kv::counter_in(&found, k).map(|n| n.max(0) as u32);
        Ok(guard::Sent { today: count(&key_list[0])?, week: key_list.iter().map(count).sum::<Result<u32>>()? })
    }

    fn members_of(&self, msgs: &[Message]) -> Result<HashMap<String, Member>> {
        let mut wanted: Vec<(String, String)> = msgs
            .iter()
            .filter_map(|m| m.member_id.as_deref().and_then(|id| keys::member_number(id).map(|n| (id.to_string(), keys::member(n)))))
            .collect();
        wanted.sort();
        wanted.dedup();
        let key_list: Vec<String> = wanted.iter().map(|(_, k)| k.clone()).collect();
        let found = self.kv.get_many(&key_list)?;
        let mut out = HashMap::new();
        for (id, key) in wanted {
            if let Some(bytes) = found.get(&key) {
                out.insert(id, crate::kv::decode::<Member>(&key, bytes)?);
            }
        }
        Ok(out)
    }

    /// A delivery report for a panel message id. Unknown ids are ignored
    /// (`Ok(false)`): panels resend reports, and other apps share lines.
    pub fn record_delivery(&self, provider_id: &str, delivered: bool, now: DateTime<Utc>) -> Result<bool> {
        let key = keys::message_by_provider(self.panel.kind.name(), provider_id);
        let Some(number) = self.kv.get_number(&key)? else { return Ok(false) };
        let Some(mut m) = self.kv.get::<Message>(&keys::message(number))? else { return Ok(false) };
        let before = m.status;
        if before == Status::Delivered {
            return Ok(true);
        }
        m.record_delivery(delivered, now);
        self.kv.put(&keys::message(number), &m)?;
        // Counted once per message: a repeated "undelivered" changes nothing.
        if let Some(campaign) = m.campaign.as_deref().filter(|_| delivered || before == Status::Sent) {
            tracking::count(self.kv, campaign, if delivered { "delivered" } else { "failed" }, 1)?;
        }
        Ok(true)
    }
}

/// Erases the number and text of every message of a member (its message
/// index is read in batches; nothing is listed).
pub fn erase_member_messages(kv: &Kv, member: u64) -> Result<()> {
    let len = kv.counter(&keys::member_messages_len(member))? as u64;
    let slot_keys: Vec<String> = (1..=len).map(|k| keys::member_messages(member, k)).collect();
    for mut m in messages_at(kv, &kv.numbers_at(&slot_keys)?)? {
        if m.to.is_some() || !m.text.is_empty() {
            m.erase();
            kv.put(&keys::message(m.number), &m)?;
        }
    }
    Ok(())
}

/// The messages with these numbers, in their order, absent ones skipped;
/// [`BATCH`] a `get-many`.
fn messages_at(kv: &Kv, numbers: &[u64]) -> Result<Vec<Message>> {
    let mut out = Vec::with_capacity(numbers.len());
    for chunk in numbers.chunks(BATCH) {
        let msg_keys: Vec<String> = chunk.iter().map(|n| keys::message(*n)).collect();
        let found = kv.get_many(&msg_keys)?;
        for key in &msg_keys {
            if let Some(bytes) = found.get(key) {
                out.push(crate::kv::decode(key, bytes)?);
            }
        }
    }
    Ok(out)
}

/// Filters of `GET /api/messages`.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub member: Option<u64>,
    pub campaign: Option<String>,
    pub status: Option<Status>,
}

/// How many messages one page may examine, whatever the filters.
const SCAN_LIMIT: u64 = 2_000;

/// Newest first. Returns the page and the `before` cursor of the next one.
pub fn list(kv: &Kv, filter: &Filter, limit: usize, before: Option<u64>) -> Result<(Vec<Message>, Option<u64>)> {
    // Candidates newest first: a member's own index, or every message number.
    let candidates: Box<dyn Iterator<Item = u64>> = match filter.member {
        Some(m) => {
            let len = kv.counter(&keys::member_messages_len(m))? as u64;
            let slot_keys: Vec<String> = (1..=len).rev().take(SCAN_LIMIT as usize).map(|k| keys::member_messages(m, k)).collect();
            Box::new(kv.numbers_at(&slot_keys)?.into_iter().filter(move |n| before.is_none_or(|b| *n < b)))
        }
        None => {
            let top = kv.counter(keys::SEQ_MESSAGE)? as u64;
            let start = before.map_or(top, |b| top.min(b.saturating_sub(1)));
            Box::new((1..=start).rev().take(SCAN_LIMIT as usize))
        }
    };
    let candidates: Vec<u64> = candidates.collect();
    let mut page = Vec::new();
    let mut last_seen = None;
    for chunk in candidates.chunks(BATCH) {
        for m in messages_at(kv, chunk)? {
            last_seen = Some(m.number);
            let keep = filter.status.is_none_or(|s| m.status == s) && filter.campaign.as_ref().is_none_or(|c| m.campaign.as_ref() == Some(c));
            if keep {
                page.push(m);
                if page.len() == limit {
                    // There may be more; the next page starts below this one.
                    return Ok((page, last_seen.filter(|n| *n > 1)));
                }
            }
        }
        last_seen = chunk.last().copied();
    }
    // Everything scanned: there is more only if the scan limit stopped us.
    let stopped_early = candidates.len() == SCAN_LIMIT as usize;
    Ok((page, last_seen.filter(|_| stopped_early)))
}
