//! The campaigns' tick: the automations (`vafa_core::automation`) planned
//! from the indexes written when their facts became known, then the
//! broadcasts whose time has come (`broadcasts`). Marketing messages are
//! queued for the sender, which applies the guards when it sends them.
//!
//! - Each club day's events (joining, a tier upgrade, points to expire, a
//!   member lapsing) are swept from a cursor as they are recorded.
//! - A purchase's automations (thank-you, feedback, replenishment) sweep
//!   the same events `days` later, each wait from a cursor of its own; a
//!   purchase more than a day overdue (the automation was off, or the tick
//!   was down) is let go rather than answered late.
//! - Birthdays and anniversaries of joining read today's month-day lists.
//!
//! Every message is claimed once per member and fact before it is queued
//! (a tick killed between the two loses that one message rather than send
//! it twice). An automation with a reward issues a fresh code after the
//! claim, for `{code}`.

use crate::daily::{Budget, DayList, sweep_days};
use crate::keys;
use crate::kv::Kv;
use crate::outbox::{Outbox, Recipient};
use chrono::{DateTime, Utc};
use std::cell::OnceCell;
use vafa_core::automation::{self, Automation, Automations};
use vafa_core::error::Result;
use vafa_core::event::{self, Event};
use vafa_core::jalali::JalaliDate;
use vafa_core::member::{Member, birthdays_on};
use vafa_core::message::Kind;
use vafa_core::reward::Catalog;
use vafa_core::settings::{Calendar, Settings};
use vafa_core::zone::Day;

const EVENTS: DayList<'static> = DayList { cursor: keys::CAMPAIGNS_CURSOR, len: keys::events_len, slot: keys::event };

/// What a tick did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub events: usize,
    pub queued: usize,
    /// Broadcast messages queued.
    pub broadcast: usize,
    pub caught_up: bool,
}

/// What the tick's automations share: the store, the settings, the outbox
/// and the reward catalog (read once, if a reward is given).
struct Plan<'a> {
    kv: &'a Kv,
    settings: &'a Settings,
    outbox: Outbox<'a>,
    catalog: OnceCell<Catalog>,
    now: DateTime<Utc>,
}

impl Plan<'_> {
    /// Claims key `claim` and queues automation `a`'s message to member
    /// `number` (for event `e`, if any). Returns whether it was queued.
    fn announce(&self, a: &Automation, number: u64, member: &Member, claim: &str, e: Option<&Event>) -> Result<bool> {
        let Some(phone) = member.phone.clone().filter(|_| member.accepts_marketing()) else { return Ok(false) };
        if !self.kv.claim(claim)? {
            return Ok(false);
        }
        let code = match &a.reward_id {
            None => None,
            Some(reward_id) => match self.gift(reward_id, member, claim)? {
                Some(code) => Some(code),
                None => {
                    crate::log::info(&format!("automation {} for m_{number}: reward {reward_id} is inactive, gone or out of stock", a.kind.as_str()));
                    return Ok(false);
                }
            },
        };
        match automation::text_for(a, member, e, code.as_deref(), self.settings) {
            Ok(text) => {
                let recipient = Some(Recipient { number, member });
                self.outbox.queue(recipient, &phone, text, None, Kind::Marketing, a.kind.purpose(), Some(&a.kind.campaign()), self.now)?;
                Ok(true)
            }
            // A template whose value this member lacks (a {name} without a
            // fallback, and no name): that one message is not sent.
            Err(err) => {
                crate::log::info(&format!("automation {} for m_{number}: {err}", a.kind.as_str()));
                Ok(false)
            }
        }
    }

    /// A fresh code of the reward for the member, named after the claim.
    fn gift(&self, reward_id: &str, member: &Member, claim: &str) -> Result<Option<String>> {
        if self.catalog.get().is_none() {
            let _ = self.catalog.set(self.kv.get(keys::REWARDS)?.unwrap_or_default());
        }
        let Some(reward) = self.catalog.get().and_then(|c| c.get(reward_id)) else { return Ok(None) };
        let id = format!("rd_{}", &vafa_core::secret::hash(claim)[..20]);
        Ok(crate::codes::gift(self.kv, reward, member, id, self.now)?.map(|r| r.code))
    }

    /// The member an event names, if they are still there.
    fn member_of(&self, e: &Event) -> Result<Option<(u64, Member)>> {
        let Some(number) = keys::member_number(&e.member) else { return Ok(None) };
        Ok(self.kv.get::<Member>(&keys::member(number))?.map(|m| (number, m)))
    }
}

/// Sweeps the automations' indexes and the broadcasts.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>, budget: Budget) -> Result<Report> {
    let automations: Automations = kv.get(keys::AUTOMATIONS)?.unwrap_or_default();
    let plan = Plan { kv, settings, outbox: Outbox::new(kv)?, catalog: OnceCell::new(), now };
    let today = settings.timezone.day(now);
    let mut report = Report::default();
    report.caught_up = sweep_days(kv, &EVENTS, today, budget, |bytes| {
        report.events += 1;
        let e: Event = crate::kv::decode("event", bytes)?;
        let Some(a) = automation::Kind::of(&e).and_then(|kind| automations.get(kind)).filter(|a| a.enabled) else { return Ok(()) };
        if let Some((number, member)) = plan.member_of(&e)? {
            report.queued += plan.announce(a, number, &member, &keys::automation_sent(&e.id), Some(&e))? as usize;
        }
        Ok(())
    })?;
    for a in automations.automations.iter().filter(|a| a.enabled) {
        for wait in a.waits() {
            let (queued, done) = after_purchases(&plan, a, wait, today, budget)?;
            report.queued += queued;
            report.caught_up &= done;
        }
        let yearly = match a.kind {
            automation::Kind::Birthday => &BIRTHDAYS,
            automation::Kind::Anniversary => &ANNIVERSARIES,
            _ => continue,
        };
        let (queued, done) = yearly_day(&plan, a, yearly, budget)?;
        report.queued += queued;
        report.caught_up &= done;
    }
    let (broadcast, done) = crate::broadcasts::sweep(kv, settings, &plan.outbox, now, budget)?;
    report.broadcast = broadcast;
    report.caught_up &= done;
    Ok(report)
}

/// The purchases made `wait` days before today, for automation `a`: each
/// purchase it is due for (a replenishment: one of its categories has this
/// cycle) is answered once. A replenishment reminder is not sent to a
/// member who has bought again since.
fn after_purchases(plan: &Plan<'_>, a: &Automation, wait: u32, today: Day, budget: Budget) -> Result<(usize, bool)> {
    let cursor = keys::automation_cursor(a.kind.as_str(), wait);
    let list = DayList { cursor: &cursor, len: keys::events_len, slot: keys::event };
    let mut queued = 0;
    let done = sweep_days(plan.kv, &list, today - wait as Day, budget, |bytes| {
        let e: Event = crate::kv::decode("event", bytes)?;
        let overdue = plan.settings.timezone.day(e.at) + wait as Day + 1 < today;
        if e.kind != event::Kind::Purchase || overdue || !a.due_after(wait, &e.categories) {
            return Ok(());
        }
        let Some((number, member)) = plan.member_of(&e)? else { return Ok(()) };
        if a.kind == automation::Kind::Replenishment && crate::wallet::read(plan.kv, number)?.purchases.last().is_some_and(|t| *t > e.at.timestamp()) {
            return Ok(());
        }
        let claim = keys::automation_sent(&format!("{}:{wait}:{}", a.kind.as_str(), e.id));
        queued += plan.announce(a, number, &member, &claim, Some(&e))? as usize;
        Ok(())
    })?;
    Ok((queued, done))
}

/// An index of members by month and day, read on the day each year.
struct Yearly {
    cursor: &'static str,
    /// The lists of today's date: calendar, month, day.
    lists: fn(chrono::NaiveDate) -> Vec<(Calendar, u32, u32)>,
    len: fn(Calendar, u32, u32) -> String,
    slot: fn(Calendar, u32, u32, u64) -> String,
    sent: fn(i32, u64) -> String,
    /// Whether the member is still one the list's date is for, in `year`.
    holds: fn(&Member, (Calendar, u32, u32), i32, &Settings) -> bool,
}

/// Birthdays, in the calendar each member gave theirs in.
const BIRTHDAYS: Yearly = Yearly {
    cursor: keys::BIRTHDAYS_CURSOR,
    lists: birthdays_on,
    len: keys::birthdays_len,
    slot: keys::birthday,
    sent: keys::birthday_sent,
    holds: |m, date, _, _| m.birthday.is_some_and(|b| (b.calendar, b.month, b.day) == date),
};

/// Anniversaries of joining, by the Jalali date in the club's zone, from
/// the first year after.
const ANNIVERSARIES: Yearly = Yearly {
    cursor: keys::ANNIVERSARIES_CURSOR,
    lists: |date| birthdays_on(date).into_iter().filter(|(c, ..)| *c == Calendar::Jalali).collect(),
    len: |_, month, day| keys::joined_len(month, day),
    slot: |_, month, day, k| keys::joined(month, day, k),
    sent: keys::anniversary_sent,
    holds: |m, (_, month, day), year, settings| {
        let joined = JalaliDate::from_gregorian(settings.timezone.local_date(m.joined_at));
        (joined.month, joined.day) == (month, day) && joined.year < year
    },
};

/// Where today's lists stand: the day, and per list the slots done.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct YearlyCursor {
    day: Day,
    done: Vec<u64>,
}

/// Queues automation `a`'s message to each member whose date is today in
/// the club's zone (30 Esfand in a common year on the 29th, 29 February on
/// the 28th), once a year each. Only today: a day the tick missed is not
/// celebrated late.
fn yearly_day(plan: &Plan<'_>, a: &Automation, index: &Yearly, budget: Budget) -> Result<(usize, bool)> {
    let (kv, settings) = (plan.kv, plan.settings);
    let clock = crate::clock::Stopwatch::start();
    let date = settings.timezone.local_date(plan.now);
    let today = vafa_core::zone::day_of(date);
    let lists = (index.lists)(date);
    let saved: Option<YearlyCursor> = kv.get(index.cursor)?;
    let mut cursor = saved.filter(|c| c.day == today).unwrap_or(YearlyCursor { day: today, done: Vec::new() });
    cursor.done.resize(lists.len(), 0);
    let mut queued = 0;
    for (i, (calendar, month, day)) in lists.into_iter().enumerate() {
        let year = match calendar {
            Calendar::Jalali => JalaliDate::from_gregorian(date).year,
            Calendar::Gregorian => chrono::Datelike::year(&date),
        };
        let len = kv.counter(&(index.len)(calendar, month, day))? as u64;
        while cursor.done[i] < len {
            if queued >= budget.max_entries || clock.millis() >= budget.max_millis {
                return Ok((queued, false));
            }
            let end = len.min(cursor.done[i] + crate::kv::BATCH as u64);
            let slots: Vec<String> = (cursor.done[i] + 1..=end).map(|k| (index.slot)(calendar, month, day, k)).collect();
            let numbers = kv.numbers_at(&slots)?;
            let member_keys: Vec<String> = numbers.iter().map(|n| keys::member(*n)).collect();
            let found = kv.get_many(&member_keys)?;
            for (n, key) in numbers.iter().zip(&member_keys) {
                let Some(member) = found.get(key).map(|b| crate::kv::decode::<Member>(key, b)).transpose()? else { continue };
                if (index.holds)(&member, (calendar, month, day), year, settings) {
                    queued += plan.announce(a, *n, &member, &(index.sent)(year, *n), None)? as usize;
                }
            }
            cursor.done[i] = end;
            kv.put(index.cursor, &cursor)?;
        }
    }
    Ok((queued, true))
}
