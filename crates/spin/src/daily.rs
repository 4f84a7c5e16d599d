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
    pub credited: usize,
    pub expired: usize,
    pub caught_up: bool,
}

/// Sweeps from the cursor to today.
pub fn sweep(kv: &Kv, settings: &Settings, now: DateTime<Utc>, budget: Budget) -> Result<Report> {
    let clock = crate::clock::Stopwatch::start();
    let today = settings.timezone.day(now);
    let saved: Option<Cursor> = kv.get(keys::POINTS_CURSOR)?;
    let mut cursor = saved.clone().unwrap_or(Cursor { day: today, done: 0 });
    let mut report = Report::default();
    loop {
        let len = kv.counter(&keys::review_len(cursor.day))? as u64;
        while cursor.done < len {
            if report.reviewed >= budget.max_members || clock.millis() >= budget.max_millis {
                return Ok(report);
            }
            let end = len.min(cursor.done + crate::kv::BATCH as u64);
            let slots: Vec<String> = (cursor.done + 1..=end).map(|k| keys::review(cursor.day, k)).collect();
            for number in kv.numbers_at(&slots)? {
                review(kv, settings, number, now, &mut report)?;
            }
            cursor.done = end;
            kv.put(keys::POINTS_CURSOR, &cursor)?;
        }
        if cursor.day >= today {
            report.caught_up = true;
            break;
        }
        cursor = Cursor { day: cursor.day + 1, done: 0 };
        kv.put(keys::POINTS_CURSOR, &cursor)?;
    }
    if saved.is_none() {
        kv.put(keys::POINTS_CURSOR, &cursor)?;
    }
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
