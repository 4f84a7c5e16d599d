//! The points' daily work, run by a cron tick: on each club day, the
//! members indexed for review that day (pending points due, a tier that may
//! drop, a segment about to change); on the first day of a Jalali month,
//! the lots that ended with the month before; on a month's reminder day
//! (`expiry_reminder_days` before its end), a reminder for each member with
//! points expiring that month.
//!
//! The tick reads only those indexes, so its work follows what is due,
//! never the number of members. A cursor keeps the day in progress and how
//! many slots of each list are done; a tick that runs out of budget, or is
//! killed, leaves it for the next, and every step is safe to repeat (each
//! change of points has its operation id, each event its id).

use crate::keys;
use crate::kv::Kv;
use crate::wallet;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use vafa_core::error::Result;
use vafa_core::event;
use vafa_core::jalali::JalaliDate;
use vafa_core::settings::Settings;
use vafa_core::wallet::{MonthIndex, month_index};
use vafa_core::zone::Day;

/// Where the daily work stands: the day in progress and, per list, the
/// slots done. A day is left only once it is over, so a slot written late
/// on the day is still found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub day: Day,
    pub done: [u64; 3],
}

/// Limits on one tick.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_members: usize,
    pub max_millis: u128,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { max_members: 1_000, max_millis: 20_000 }
    }
}

/// What a tick did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub reviewed: usize,
    pub expired: usize,
    pub reminded: usize,
    pub caught_up: bool,
}

#[derive(Debug, Clone, Copy)]
enum List {
    Review(Day),
    Expiry(MonthIndex),
    Reminder(MonthIndex),
}

impl List {
    fn len_key(self) -> String {
        match self {
            List::Review(day) => keys::review_len(day),
            List::Expiry(m) | List::Reminder(m) => keys::expiry_len(m),
        }
    }

    fn slot(self, k: u64) -> String {
        match self {
            List::Review(day) => keys::review(day, k),
            List::Expiry(m) | List::Reminder(m) => keys::expiry(m, k),
        }
    }
}

/// The lists a club day works through, in order.
fn lists(day: Day, settings: &Settings) -> [Option<List>; 3] {
    let date = JalaliDate::from_gregorian(chrono::NaiveDate::default() + Duration::days(day.into()));
    let month = month_index(date.year, date.month);
    let last = JalaliDate::month_length(date.year, date.month);
    [
        Some(List::Review(day)),
        (date.day == 1).then_some(List::Expiry(month - 1)),
        (date.day == last - settings.expiry_reminder_days).then_some(List::Reminder(month)),
    ]
}

/// Sweeps from the cursor to today.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>, budget: Budget) -> Result<Report> {
    let clock = crate::clock::Stopwatch::start();
    let today = settings.timezone.day(now);
    let saved: Option<Cursor> = kv.get(keys::POINTS_CURSOR)?;
    let mut cursor = saved.clone().unwrap_or(Cursor { day: today, done: [0; 3] });
    let mut report = Report::default();
    let mut members = 0;
    'days: loop {
        for (i, list) in lists(cursor.day, settings).into_iter().enumerate() {
            let Some(list) = list else { continue };
            let len = kv.counter(&list.len_key())? as u64;
            while cursor.done[i] < len {
                if members >= budget.max_members || clock.millis() >= budget.max_millis {
                    break 'days;
                }
                let end = len.min(cursor.done[i] + crate::kv::BATCH as u64);
                let slots: Vec<String> = (cursor.done[i] + 1..=end).map(|k| list.slot(k)).collect();
                for number in kv.numbers_at(&slots)? {
                    work(kv, settings, list, number, now, &mut report)?;
                }
                members += slots.len();
                cursor.done[i] = end;
                kv.put(keys::POINTS_CURSOR, &cursor)?;
            }
        }
        if cursor.day >= today {
            report.caught_up = true;
            break;
        }
        cursor = Cursor { day: cursor.day + 1, done: [0; 3] };
        kv.put(keys::POINTS_CURSOR, &cursor)?;
    }
    if saved.is_none() {
        kv.put(keys::POINTS_CURSOR, &cursor)?;
    }
    Ok(report)
}

fn work(kv: &Kv, settings: &Settings, list: List, number: u64, now: DateTime<Utc>, report: &mut Report) -> Result<()> {
    match list {
        List::Review(_) => {
            let today = settings.timezone.day(now);
            let due: Vec<String> = wallet::read(kv, number)?.pending.into_iter().filter(|p| p.due <= today).map(|p| p.key).collect();
            for key in due {
                wallet::credit(kv, settings, number, &key, now)?;
            }
            wallet::review(kv, settings, number, now)?;
            report.reviewed += 1;
        }
        List::Expiry(month) => {
            wallet::expire(kv, settings, number, month, now)?;
            report.expired += 1;
        }
        List::Reminder(month) => {
            if let Some(e) = event::expiry_reminder(&wallet::read(kv, number)?, month, &keys::member_id(number), now) {
                wallet::record_event(kv, settings, &e)?;
                report.reminded += 1;
            }
        }
    }
    Ok(())
}
