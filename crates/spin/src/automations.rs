//! The campaigns' tick: each club day's events (`vafa_core::event`) turned
//! into the messages of the automations they call for, then the broadcasts
//! whose time has come (`broadcasts`). Marketing messages
//! are queued for the sender, which applies the guards when it sends them.
//!
//! An event is announced at most once per member, whatever the number of
//! times it was recorded: a claim on its id comes before its message is
//! queued (a tick killed between the two loses that one message rather
//! than send it twice).

use crate::daily::{Budget, DayList, sweep_days};
use crate::keys;
use crate::kv::Kv;
use crate::outbox::{Outbox, Recipient};
use chrono::{DateTime, Utc};
use vafa_core::automation::{self, Automations};
use vafa_core::error::Result;
use vafa_core::event::Event;
use vafa_core::member::{Member, birthdays_on};
use vafa_core::settings::Calendar;
use vafa_core::message::{Kind, Purpose};
use vafa_core::settings::Settings;

const EVENTS: DayList = DayList { cursor: keys::CAMPAIGNS_CURSOR, len: keys::events_len, slot: keys::event };

/// What a tick did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub events: usize,
    pub queued: usize,
    /// Broadcast messages queued.
    pub broadcast: usize,
    pub caught_up: bool,
}

/// Sweeps the events from the cursor to today.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>, budget: Budget) -> Result<Report> {
    let automations: Automations = kv.get(keys::AUTOMATIONS)?.unwrap_or_default();
    let outbox = Outbox::new(kv)?;
    let mut report = Report::default();
    report.caught_up = sweep_days(kv, &EVENTS, settings.timezone.day(now), budget, |bytes| {
        report.events += 1;
        let e: Event = crate::kv::decode("event", bytes)?;
        let Some(a) = automation::Kind::of(&e).and_then(|kind| automations.get(kind)).filter(|a| a.enabled) else { return Ok(()) };
        let Some(number) = keys::member_number(&e.member) else { return Ok(()) };
        let Some(member) = kv.get::<Member>(&keys::member(number))? else { return Ok(()) };
        let Some(phone) = member.phone.clone().filter(|_| member.accepts_marketing()) else { return Ok(()) };
        if !kv.claim(&keys::automation_sent(&e.id))? {
            return Ok(());
        }
        match automation::text_for(a, &member, Some(&e), settings) {
            Ok(text) => {
                let campaign = format!("auto:{}", a.kind.as_str());
                outbox.queue(Some(Recipient { number, member: &member }), &phone, text, Kind::Marketing, Purpose::Campaign, Some(&campaign), now)?;
                report.queued += 1;
            }
            // A template whose value this member lacks (a {name} without a
            // fallback, and no name): that one message is not sent.
            Err(err) => crate::log::info(&format!("automation {} for {}: {err}", a.kind.as_str(), e.member)),
        }
        Ok(())
    })?;
    if let Some(a) = automations.get(automation::Kind::Birthday).filter(|a| a.enabled) {
        let (queued, done) = birthdays(kv, settings, &outbox, a, now, budget)?;
        report.queued += queued;
        report.caught_up &= done;
    }
    let (broadcast, done) = crate::broadcasts::sweep(kv, settings, &outbox, now, budget)?;
    report.broadcast = broadcast;
    report.caught_up &= done;
    Ok(report)
}

/// Where today's birthdays stand: the day, and per list of
/// [`birthdays_on`] the slots done.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct BirthdayCursor {
    day: vafa_core::zone::Day,
    done: Vec<u64>,
}

/// Queues the birthday message to each member whose birthday is today in
/// the club's zone (Jalali or Gregorian, as they gave it; 30 Esfand in a
/// common year on the 29th, 29 February on the 28th), once a year each.
/// Only today: a day the tick missed is not celebrated late.
fn birthdays(kv: &Kv, settings: &Settings, outbox: &Outbox<'_>, a: &automation::Automation, now: DateTime<Utc>, budget: Budget) -> Result<(usize, bool)> {
    let clock = crate::clock::Stopwatch::start();
    let date = settings.timezone.local_date(now);
    let today = vafa_core::zone::day_of(date);
    let lists = birthdays_on(date);
    let saved: Option<BirthdayCursor> = kv.get(keys::BIRTHDAYS_CURSOR)?;
    let mut cursor = saved.filter(|c| c.day == today).unwrap_or(BirthdayCursor { day: today, done: Vec::new() });
    cursor.done.resize(lists.len(), 0);
    let mut queued = 0;
    for (i, (calendar, month, day)) in lists.into_iter().enumerate() {
        let len = kv.counter(&keys::birthdays_len(calendar, month, day))? as u64;
        while cursor.done[i] < len {
            if queued >= budget.max_entries || clock.millis() >= budget.max_millis {
                return Ok((queued, false));
            }
            let end = len.min(cursor.done[i] + crate::kv::BATCH as u64);
            let slots: Vec<String> = (cursor.done[i] + 1..=end).map(|k| keys::birthday(calendar, month, day, k)).collect();
            let numbers = kv.numbers_at(&slots)?;
            let member_keys: Vec<String> = numbers.iter().map(|n| keys::member(*n)).collect();
            let found = kv.get_many(&member_keys)?;
            for (n, key) in numbers.iter().zip(&member_keys) {
                let Some(member) = found.get(key).map(|b| crate::kv::decode::<Member>(key, b)).transpose()? else { continue };
                // The birthday the slot was written for, still theirs.
                let still = member.birthday.is_some_and(|b| (b.calendar, b.month, b.day) == (calendar, month, day));
                let Some(phone) = member.phone.clone().filter(|_| still && member.accepts_marketing()) else { continue };
                let year = match calendar {
                    Calendar::Jalali => vafa_core::jalali::JalaliDate::from_gregorian(date).year,
                    Calendar::Gregorian => chrono::Datelike::year(&date),
                };
                if !kv.claim(&keys::birthday_sent(year, *n))? {
                    continue;
                }
                match automation::text_for(a, &member, None, settings) {
                    Ok(text) => {
                        outbox.queue(Some(Recipient { number: *n, member: &member }), &phone, text, Kind::Marketing, Purpose::Campaign, Some("auto:birthday"), now)?;
                        queued += 1;
                    }
                    Err(err) => crate::log::info(&format!("birthday automation for m_{n}: {err}")),
                }
            }
            cursor.done[i] = end;
            kv.put(keys::BIRTHDAYS_CURSOR, &cursor)?;
        }
    }
    Ok((queued, true))
}

