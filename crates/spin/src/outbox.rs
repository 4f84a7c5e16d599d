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
        let Some(mut msg) = self.record(recipient, to, text, None, kind, purpose, None, now)? else { return Ok(None) };
        self.attempt(&mut msg, now)?;
        Ok(Some(msg))
    }

    /// [`Outbox::send`] for a one-time `code` carried by `text`: through
    /// the panel's template for `purpose` when the owner set one.
    pub fn send_code(&self, recipient: Option<Recipient<'_>>, to: &Phone, text: String, code: &str, purpose: Purpose, now: DateTime<Utc>) -> Result<Option<Message>> {
        let Some(mut msg) = self.record(recipient, to, text, Some(code), Kind::Transactional, purpose, None, now)? else { return Ok(None) };
        self.attempt(&mut msg, now)?;
        Ok(Some(msg))
    }

    /// Records a message for the sender's next tick to send (within a
    /// minute): the caller need not wait for the panel, nor link it.
    /// `campaign` names what sent it (an automation, a broadcast); `code`
    /// is a one-time code the text carries (see [`Outbox::send_code`]).
    #[allow(clippy::too_many_arguments)]
    pub fn queue(&self, recipient: Option<Recipient<'_>>, to: &Phone, text: String, code: Option<&str>, kind: Kind, purpose: Purpose, campaign: Option<&str>, now: DateTime<Utc>) -> Result<Option<Message>> {
        let Some(msg) = self.record(recipient, to, text, code, kind, purpose, campaign, now)? else { return Ok(None) };
        // The next minute: this minute's may have been swept already.
        self.index_due(msg.number, now + chrono::Duration::seconds(60 - now.timestamp().rem_euclid(60)))?;
        Ok(Some(msg))
    }

    #[allow(clippy::too_many_arguments)]
    fn record(&self, recipient: Option<Recipient<'_>>, to: &Phone, text: String, code: Option<&str>, kind: Kind, purpose: Purpose, campaign: Option<&str>, now: DateTime<Utc>) -> Result<Option<Message>> {
        let member_id = recipient.as_ref().map(|r| keys::member_id(r.number));
        let mut msg = Message::new(0, member_id, to.clone(), text, kind, purpose, self.panel.kind.name(), now);
        msg.token = code.map(str::to_string);
        msg.campaign = campaign.map(str::to_string);
        if let Err(refusal) = message::gate(kind, recipient.as_ref().map(|r| r.member), msg.template(&self.panel).is_some()) {
            log::info(&format!("sms to {to} not sent: {refusal:?}"));
            return Ok(None);
        }
        let number = self.kv.increment(keys::SEQ_MESSAGE, 1)? as u64;
        msg.number = number;
        msg.id = provider::id_of(number);
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

    /// One try of one message sent at once (its retry indexed before the
    /// panel is called): see [`Outbox::attempt_batch`].
    fn attempt(&self, msg: &mut Message, now: DateTime<Utc>) -> Result<()> {
        if !self.claim_try(msg, now, false)? {
            return Ok(());
        }
        let outcome = match &msg.to {
            None => Outcome::Fail("not sent: the member was erased".into()),
            Some(to) => self.send_one(msg, to),
        };
        let mut settled = Settled::default();
        self.settle(msg, outcome, now, false, &mut settled)?;
        self.finish(settled, std::slice::from_ref(msg), now)
    }

    /// One try of each due message, in as few panel calls as the provider
    /// allows (`provider::batches`). The messages come from a minute the
    /// sweep reads again until it is done, so a retry is indexed after the
    /// call, and only for those that failed. The outcomes are written in
    /// one batch (records, panel ids, touches, feedback windows) and
    /// counted per campaign.
    fn attempt_batch(&self, msgs: &mut [Message], now: DateTime<Utc>) -> Result<()> {
        let mut live = Vec::with_capacity(msgs.len());
        for (i, m) in msgs.iter_mut().enumerate() {
            if self.claim_try(m, now, true)? {
                live.push(i);
            }
        }
        let outcomes = self.call(msgs, &live);
        let accepted = outcomes.iter().filter(|o| matches!(o, Outcome::Accepted { .. })).count();
        if !outcomes.is_empty() {
            log::info(&format!("sms: {accepted} of {} accepted by {}", outcomes.len(), self.panel.kind.name()));
        }
        let mut settled = Settled::default();
        for (i, outcome) in live.into_iter().zip(outcomes) {
            self.settle(&mut msgs[i], outcome, now, true, &mut settled)?;
        }
        self.finish(settled, msgs, now)
    }

    /// Claims a message's next try, so two processes never make the same
    /// one. A try claimed before that left no outcome (its tick was killed)
    /// counts as failed, and is retried with the same local id, which
    /// Kavenegar never sends twice (false: not to be tried now). A retry
    /// must be indexed before a record says it waits; a message not `due`
    /// from the sweep's minute has it indexed now, before the call.
    fn claim_try(&self, m: &mut Message, now: DateTime<Utc>, due: bool) -> Result<bool> {
        let try_no = m.attempts + 1;
        if !self.kv.claim(&keys::attempt(m.number, try_no))? {
            if let Some(at) = m.record_lost_attempt(now) {
                self.index_due(m.number, at)?;
            }
            self.kv.put(&keys::message(m.number), m)?;
            return Ok(false);
        }
        if !due && try_no < message::MAX_ATTEMPTS {
            self.index_due(m.number, m.retry_at(now))?;
        }
        Ok(true)
    }

    /// Records one try's outcome on the message and gathers its writes.
    fn settle(&self, m: &mut Message, outcome: Outcome, now: DateTime<Utc>, due: bool, settled: &mut Settled) -> Result<()> {
        let summary = match &outcome {
            Outcome::Accepted { provider_id } => format!("accepted as {provider_id}"),
            Outcome::Retry(r) => format!("will retry: {r}"),
            Outcome::Fail(r) | Outcome::Blacklisted(r) => format!("failed: {r}"),
        };
        // A batch's accepted messages are summed up in one line.
        if !due || !matches!(outcome, Outcome::Accepted { .. }) {
            let to = m.to.as_ref().map_or_else(|| "an erased member".to_string(), |p| p.to_string());
            log::info(&format!("sms {} to {to} try {} via {}: {summary}", m.id, m.attempts + 1, self.panel.kind.name()));
        }
        if matches!(outcome, Outcome::Blacklisted(_)) {
            settled.blacklisted.push(m.number);
        }
        if let Some(at) = m.record_attempt(outcome, now).filter(|_| due) {
            self.index_due(m.number, at)?;
        }
        settled.writes.push(Kv::entry(keys::message(m.number), m)?);
        settled.accepted += i64::from(m.status == Status::Sent);
        if let Some(pid) = m.provider_id.as_deref().filter(|p| !p.is_empty() && m.status == Status::Sent) {
            settled.writes.push((keys::message_by_provider(self.panel.kind.name(), pid), m.number.to_string().into_bytes()));
            settled.sent.push(m.number);
        }
        track(m, now, settled)
    }

    /// Writes what the tries settled, then counts it. When the panel's
    /// delivery states are polled, the messages sent are first indexed for
    /// their first check (one entry for the whole call; a kill before the
    /// records are written leaves an entry the check passes over).
    fn finish(&self, settled: Settled, msgs: &[Message], now: DateTime<Utc>) -> Result<()> {
        if !settled.sent.is_empty() && self.panel.kind.polls() && config::sms_poll()?.delivery {
            crate::status_checks::index_check(self.kv, 1, &settled.sent, now)?;
        }
        self.kv.set_many(settled.writes)?;
        if settled.accepted > 0 {
            crate::stats::day(self.kv, "sent", settled.accepted, now);
        }
        for ((campaign, name), by) in settled.counts {
            tracking::count(self.kv, &campaign, name, by)?;
        }
        for m in msgs.iter().filter(|m| settled.blacklisted.contains(&m.number)) {
            self.block_member(m)?;
        }
        Ok(())
    }

    /// The panel's outcome for each of `msgs[live]`, in order.
    fn call(&self, msgs: &[Message], live: &[usize]) -> Vec<Outcome> {
        let mut out: Vec<Option<Outcome>> = vec![None; live.len()];
        let mut sendable = Vec::with_capacity(live.len());
        for (pos, i) in live.iter().enumerate() {
            let m = &msgs[*i];
            match &m.to {
                None => out[pos] = Some(Outcome::Fail("not sent: the member was erased".into())),
                // A template send carries one message.
                Some(to) if m.template(&self.panel).is_some() => out[pos] = Some(self.send_one(m, to)),
                Some(to) => sendable.push((pos, provider::Outgoing { number: m.number, to, text: &m.text })),
            }
        }
        let outgoing: Vec<provider::Outgoing<'_>> = sendable.iter().map(|(_, o)| *o).collect();
        for batch in provider::batches(self.panel.kind, &outgoing) {
            let group = &outgoing[batch.clone()];
            let results = match provider::request_many(&self.panel, group) {
                Ok(None) => group.iter().map(|o| Outcome::Accepted { provider_id: format!("sandbox-{}", o.number) }).collect(),
                Ok(Some(call)) => panel::send_many(&self.panel, &call, self.timeout_ms, group.len()),
                Err(e) => vec![Outcome::Fail(e.to_string()); group.len()],
            };
            for (j, result) in batch.zip(results) {
                out[sendable[j].0] = Some(result);
            }
        }
        out.into_iter().map(|o| o.unwrap_or_else(|| Outcome::Retry("no outcome".into()))).collect()
    }

    /// One message alone: its code through the panel's template when it
    /// has one, else its text.
    fn send_one(&self, m: &Message, to: &Phone) -> Outcome {
        let call = match m.template(&self.panel) {
            Some((template, code)) => provider::template_request(&self.panel, to, template, code),
            None => provider::request(&self.panel, m.number, to, &m.text),
        };
        match call {
            Ok(None) => Outcome::Accepted { provider_id: format!("sandbox-{}", m.number) },
            Ok(Some(call)) => panel::send_many(&self.panel, &call, self.timeout_ms, 1).swap_remove(0),
            Err(e) => Outcome::Fail(e.to_string()),
        }
    }

    /// A number the panel reports blocking advertising gets nothing more
    /// from us but codes through the panel's templates.
    fn block_member(&self, msg: &Message) -> Result<()> {
        let Some(n) = msg.member_id.as_deref().and_then(keys::member_number) else { return Ok(()) };
        if let Some(mut m) = self.kv.get::<Member>(&keys::member(n))? {
            m.ads_blocked = true;
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

    /// Tries every due message of one minute, a chunk at a time: the guards
    /// and the consent gate decide each message, then the chunk's sendable
    /// messages go out together ([`Outbox::attempt_batch`]). Returns false
    /// if the budget ran out first: the minute is then swept again by the
    /// next tick (messages already sent are skipped by their status).
    fn sweep_minute(&self, minute: i64, len: u64, now: DateTime<Utc>, budget: &Budget, clock: &clock::Stopwatch, report: &mut Sweep) -> Result<bool> {
        let slot_keys: Vec<String> = (1..=len).map(|k| keys::due(minute, k)).collect();
        let mut numbers = self.kv.numbers_at(&slot_keys)?;
        numbers.sort_unstable();
        numbers.dedup();
        let mut settings = None;
        for chunk in numbers.chunks(BATCH) {
            let due: Vec<Message> = messages_at(self.kv, chunk)?.into_iter().filter(|m| m.is_due(now)).collect();
            let members = self.members_of(&due)?;
            let mut sent_counts = None;
            let mut ready = Vec::with_capacity(due.len());
            let mut out_of_budget = false;
            for mut m in due {
                if report.attempted >= budget.max_messages || clock.millis() >= budget.max_millis {
                    out_of_budget = true;
                    break;
                }
                let member = m.member_id.as_deref().and_then(|id| members.get(id));
                if m.kind == Kind::Marketing {
                    // The guards, at send time: consent may have changed,
                    // and the hour, the day and the member's count matter now.
                    let settings: &Settings = match &settings {
                        Some(s) => s,
                        None => settings.insert(crate::club::settings(self.kv)?),
                    };
                    let day = settings.timezone.day(now);
                    let counts: &mut HashMap<u64, guard::Sent> = match &mut sent_counts {
                        Some(c) => c,
                        None => sent_counts.insert(self.marketing_sent(&members, day)?),
                    };
                    let number = m.member_id.as_deref().and_then(keys::member_number).unwrap_or(0);
                    let sent = counts.entry(number).or_default();
                    match guard::check(member, settings, now, *sent) {
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
                        // Counted now, so the member's next message in this
                        // chunk sees it.
                        Verdict::Send => {
                            sent.today += 1;
                            sent.week += 1;
                        }
                    }
                }
                report.attempted += 1;
                if let Err(refusal) = message::gate(m.kind, member, m.template(&self.panel).is_some()) {
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
                ready.push(m);
            }
            self.attempt_batch(&mut ready, now)?;
            let day = settings.as_ref().map(|s| s.timezone.day(now));
            for m in &ready {
                match m.status {
                    Status::Sent | Status::Delivered => report.sent += 1,
                    Status::Failed | Status::Skipped => report.failed += 1,
                    Status::Queued => report.retrying += 1,
                }
                // The frequency cap counts marketing messages sent.
                if let (Kind::Marketing, Status::Sent, Some(day), Some(n)) = (m.kind, m.status, day, m.member_id.as_deref().and_then(keys::member_number)) {
                    self.kv.increment(&keys::marketing_sent(n, day), 1)?;
                }
            }
            if out_of_budget {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A guard's verdict on a campaign's message, counted for its report
    /// (`camp-count:{campaign}:{reason}`).
    fn count_for_campaign(&self, m: &Message, reason: &str) -> Result<()> {
        match &m.campaign {
            Some(c) => tracking::count(self.kv, c, reason, 1),
            None => Ok(()),
        }
    }

    /// Marketing messages each of `members` was sent today and in the last
    /// 7 days, in one batch read.
    fn marketing_sent(&self, members: &HashMap<String, Member>, day: i32) -> Result<HashMap<u64, guard::Sent>> {
        let numbers: Vec<u64> = members.keys().filter_map(|id| keys::member_number(id)).collect();
        let key_list: Vec<String> = numbers.iter().flat_map(|n| (0..7).map(move |d| keys::marketing_sent(*n, day - d))).collect();
        let found = self.kv.get_many(&key_list)?;
        let count = |k: &String| crate::kv::counter_in(&found, k).map(|n| n.max(0) as u32);
        let mut out = HashMap::with_capacity(numbers.len());
        for (n, days) in numbers.iter().zip(key_list.chunks(7)) {
            out.insert(*n, guard::Sent { today: count(&days[0])?, week: days.iter().map(count).sum::<Result<u32>>()? });
        }
        Ok(out)
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
        let Some(m) = self.kv.get::<Message>(&keys::message(number))? else { return Ok(false) };
        self.delivery(m, delivered, now)?;
        Ok(true)
    }

    /// A message's delivery state, reported or polled: recorded once and
    /// counted for its campaign.
    pub fn delivery(&self, mut m: Message, delivered: bool, now: DateTime<Utc>) -> Result<()> {
        let before = m.status;
        if before == Status::Delivered {
            return Ok(());
        }
        m.record_delivery(delivered, now);
        self.kv.put(&keys::message(m.number), &m)?;
        // Counted once per message: a repeated "undelivered" changes nothing.
        if let Some(campaign) = m.campaign.as_deref().filter(|_| delivered || before == Status::Sent) {
            tracking::count(self.kv, campaign, if delivered { "delivered" } else { "failed" }, 1)?;
        }
        if delivered {
            crate::stats::day(self.kv, "delivered", 1, now);
        }
        Ok(())
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

/// What a round of tries leaves to write and count.
#[derive(Default)]
struct Settled {
    writes: Vec<(String, Vec<u8>)>,
    /// Accepted by the panel, with its id.
    sent: Vec<u64>,
    /// Accepted by the panel (sent), with an id or not.
    accepted: i64,
    counts: HashMap<(String, &'static str), i64>,
    blacklisted: Vec<u64>,
}

/// A campaign's message that went out or failed for good, in its counters;
/// one sent is the member's last touch (for conversions and opt-outs), and
/// a feedback request sent opens the member's window for a score (a kill
/// before it is written leaves `1` an opt-out).
fn track(m: &Message, now: DateTime<Utc>, settled: &mut Settled) -> Result<()> {
    let Some(campaign) = m.campaign.as_deref() else { return Ok(()) };
    let mut add = |name: &'static str, by: i64| *settled.counts.entry((campaign.to_string(), name)).or_default() += by;
    match m.status {
        Status::Sent => {
            add("sent", 1);
            add("parts", m.parts as i64);
            if let Some(n) = m.member_id.as_deref().and_then(keys::member_number) {
                settled.writes.push(Kv::entry(keys::last_marketing(n), &tracking::Touch { campaign: campaign.to_string(), at: now })?);
                if m.purpose == Purpose::Feedback {
                    settled.writes.push(Kv::entry(keys::feedback(n), &vafa_core::feedback::Request::sent(campaign, now))?);
                }
            }
        }
        Status::Failed => add("failed", 1),
        _ => {}
    }
    Ok(())
}

/// The messages numbered `numbers` (absent ones left out), in batches.
pub fn messages_at(kv: &Kv, numbers: &[u64]) -> Result<Vec<Message>> {
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
