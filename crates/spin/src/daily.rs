//! The points' daily work, run by a cron tick: each club day, the members
//! indexed for review that day. A review credits the member's pending
//! points that are due, expires the lots that ended before this month,
//! records the reminder of the soonest lot once its reminder day has come,
//! re-evaluates the tier and the segment, and indexes the next review (the
//! first day any of these will change again).
//!
//! The tick reads only that index, so its work follows what is due, never
//! the number of members. A cursor keeps the day in progress and how many
//! of its slots are done; a tick that runs out of budget, or is killed,
//! leaves it for the next, and every step is safe to repeat (each change of
//! points has its operation id, each event its id).

use crate::keys;
use crate::kv::Kv;
use crate::wallet::{self, Outcome};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vafa_core::error::Result;
use vafa_core::settings::Settings;
use vafa_core::zone::Day;

/// Where the daily work stands: the day in progress and its review slots
/// done. A day is left only once it is over, so a slot written late on the
/// day is still found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub day: Day,
    pub done: u64,
}

/// Limits on one tick.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_entries: usize,
    pub max_millis: u128,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { max_entries: 1_000, max_millis: 20_000 }
    }
}

/// What a tick did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub reviewed: usize,
    pub credited: usize,
    pub expired: usize,
    pub caught_up: bool,
}

/// A list kept per club day (a counter and a slot per entry), swept from
/// a cursor to today: the review index here, the events for the campaigns.
pub struct DayList<'a> {
    pub cursor: &'a str,
    pub len: fn(Day) -> String,
    pub slot: fn(Day, u64) -> String,
}

/// Calls `each` with every entry from the cursor to today, in order, until
/// the budget runs out (`Ok(false)`: more is left for the next tick). The
/// cursor moves after each batch, so a killed sweep redoes at most one.
pub fn sweep_days(kv: &Kv, list: &DayList<'_>, today: Day, budget: Budget, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<bool> {
    let clock = crate::clock::Stopwatch::start();
    let saved: Option<Cursor> = kv.get(list.cursor)?;
    let mut cursor = saved.clone().unwrap_or(Cursor { day: today, done: 0 });
    let mut seen = 0;
    loop {
        let len = kv.counter(&(list.len)(cursor.day))? as u64;
        while cursor.done < len {
            if seen >= budget.max_entries || clock.millis() >= budget.max_millis {
                return Ok(false);
            }
            let end = len.min(cursor.done + crate::kv::BATCH.min(budget.max_entries - seen) as u64);
            let slots: Vec<String> = (cursor.done + 1..=end).map(|k| (list.slot)(cursor.day, k)).collect();
            let found = kv.get_many(&slots)?;
            for bytes in slots.iter().filter_map(|k| found.get(k)) {
                each(bytes)?;
            }
            seen += slots.len();
            cursor.done = end;
            kv.put(list.cursor, &cursor)?;
        }
        if cursor.day >= today {
            break;
        }
        cursor = Cursor { day: cursor.day + 1, done: 0 };
        kv.put(list.cursor, &cursor)?;
    }
    if saved.is_none() {
        kv.put(list.cursor, &cursor)?;
    }
    Ok(true)
}

const REVIEWS: DayList<'static> = DayList { cursor: keys::POINTS_CURSOR, len: keys::review_len, slot: keys::review };

/// Sweeps the review index from the cursor to today.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>, budget: Budget) -> Result<Report> {
    let mut report = Report::default();
    report.caught_up = sweep_days(kv, &REVIEWS, settings.timezone.day(now), budget, |bytes| {
        match std::str::from_utf8(bytes).ok().and_then(|t| t.parse().ok()) {
            Some(number) => review(kv, settings, number, now, &mut report),
            None => Ok(()),
        }
    })?;
    Ok(report)
}

/// Pays the referral of a member who joined with a referral code (once:
/// each side's change has its operation id).
fn pay_referral(kv: &Kv, settings: &Settings, number: u64, now: DateTime<Utc>) -> Result<()> {
    let member: Option<vafa_core::member::Member> = kv.get(&keys::member(number))?;
    if let Some(referrer) = member.and_then(|m| m.referred_by) {
        crate::orders::referral(kv, settings, number, &referrer, vafa_core::wallet::expiry_month(settings, now), now)?;
    }
    Ok(())
}

fn review(kv: &Kv, settings: &Settings, number: u64, now: DateTime<Utc>, report: &mut Report) -> Result<()> {
    let today = settings.timezone.day(now);
    let held = wallet::read(kv, number)?;
    for key in held.pending.iter().filter(|p| p.due <= today).map(|p| &p.key) {
        // The member's first order: its referral waited for its points. Paid
        // before them, so a tick killed between the two pays it on the rerun.
        if held.order(key).is_some_and(|o| o.first && !o.cancelled) {
            pay_referral(kv, settings, number, now)?;
        }
        if let Outcome::Applied { repeat: false, .. } = wallet::credit(kv, settings, number, key, now)? {
            report.credited += 1;
        }
    }
    if let Some(month) = held.expired_through(now, settings)
        && let Outcome::Applied { repeat: false, .. } = wallet::expire(kv, settings, number, month, now)?
    {
        report.expired += 1;
    }
    wallet::review(kv, settings, number, now)?;
    report.reviewed += 1;
    Ok(())
}
