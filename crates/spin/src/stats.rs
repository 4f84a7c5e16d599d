//! The club's numbers in the store (`vafa_core::stats`): per club day
//! (`stat:{day}:{name}`), club-wide totals (`stat:total:{name}`) and, for
//! the members active in the last 90 days, how many members made their
//! last purchase on each day (`stat:last-buy:{day}`). Each is an
//! increment where the fact happens: a wallet's swap, a member's creation,
//! consent or erasure, a message sent or delivered. The counts come after
//! their fact is in, and never fail it: a count the store refuses is
//! logged and lost, as one cut off by a kill is (short by it, never
//! double).

use crate::keys;
use crate::kv::{Kv, counter_in};
use chrono::{DateTime, Utc};
use vafa_core::consent::ConsentStatus;
use vafa_core::error::Result;
use vafa_core::settings::Settings;
use vafa_core::stats::{self, ACTIVE_DAYS, DAILY, Nps, Overview, TOTALS, WalletDelta};
use vafa_core::zone::Day;

/// A count after its fact: a failure is logged, never the fact's.
fn after_the_fact(what: &str, counted: Result<()>) {
    if let Err(e) = counted {
        crate::log::error(&format!("the club's count of {what} was not updated: {e}"));
    }
}

fn add_day(kv: &Kv, settings: &Settings, name: &str, by: i64, now: DateTime<Utc>) -> Result<()> {
    kv.increment(&keys::stat_day(settings.timezone.day(now), name), by).map(drop)
}

fn add_total(kv: &Kv, name: &str, by: i64) -> Result<()> {
    kv.increment(&keys::stat_total(name), by).map(drop)
}

/// Adds `by` to the day's series `name` (messages sent, delivered),
/// reading the club's zone.
pub fn day(kv: &Kv, name: &str, by: i64, now: DateTime<Utc>) {
    after_the_fact(name, crate::club::settings(kv).and_then(|settings| add_day(kv, &settings, name, by, now)));
}

/// What a committed change of a member's wallet adds.
pub fn wallet(kv: &Kv, settings: &Settings, d: &WalletDelta, now: DateTime<Utc>) {
    after_the_fact("a change of points", wallet_counts(kv, settings, d, now));
}

fn wallet_counts(kv: &Kv, settings: &Settings, d: &WalletDelta, now: DateTime<Utc>) -> Result<()> {
    for (name, by) in &d.daily {
        add_day(kv, settings, name, *by, now)?;
    }
    for (name, by) in &d.totals {
        add_total(kv, name, *by)?;
    }
    if let Some((was, day)) = d.last_buy {
        if let Some(was) = was {
            kv.increment(&keys::stat_last_buy(was), -1)?;
        }
        kv.increment(&keys::stat_last_buy(day), 1)?;
    }
    Ok(())
}

/// A member who joined, opted in or not.
pub fn joined(kv: &Kv, settings: &Settings, status: ConsentStatus, now: DateTime<Utc>) {
    let counted = add_total(kv, "members", 1).and_then(|()| add_day(kv, settings, "joins", 1, now)).and_then(|()| consent_counts(kv, settings, None, status, now));
    after_the_fact("a member joining", counted);
}

/// Members brought in by an import: `joined` of them, `opted_in` and
/// `opted_out` by their rows' consent; one increment per count.
pub fn imported(kv: &Kv, settings: &Settings, joined: i64, opted_in: i64, opted_out: i64, now: DateTime<Utc>) {
    let mut counted = Ok(());
    for (total, day, by) in [("members", "joins", joined), ("opted_in", "optins", opted_in), ("opted_out", "optouts", opted_out)] {
        if by > 0 {
            counted = counted.and_then(|()| add_total(kv, total, by)).and_then(|()| add_day(kv, settings, day, by, now));
        }
    }
    after_the_fact("an import", counted);
}

/// A change of a member's consent from `before` (none: never asked).
pub fn consent(kv: &Kv, settings: &Settings, before: Option<ConsentStatus>, after: ConsentStatus, now: DateTime<Utc>) {
    after_the_fact("a consent", consent_counts(kv, settings, before, after, now));
}

fn consent_counts(kv: &Kv, settings: &Settings, before: Option<ConsentStatus>, after: ConsentStatus, now: DateTime<Utc>) -> Result<()> {
    if before == Some(after) {
        return Ok(());
    }
    let (total, day) = match after {
        ConsentStatus::OptedIn => ("opted_in", "optins"),
        ConsentStatus::OptedOut => ("opted_out", "optouts"),
        _ => return left(kv, before),
    };
    left(kv, before)?;
    add_total(kv, total, 1)?;
    add_day(kv, settings, day, 1, now)
}

/// A member no longer counted under `status` (its new one counted apart).
fn left(kv: &Kv, status: Option<ConsentStatus>) -> Result<()> {
    match status {
        Some(ConsentStatus::OptedIn) => add_total(kv, "opted_in", -1),
        Some(ConsentStatus::OptedOut) => add_total(kv, "opted_out", -1),
        _ => Ok(()),
    }
}

/// An erased member leaves the club's numbers (their orders stay).
pub fn erased(kv: &Kv, status: ConsentStatus) {
    let counted = left(kv, Some(status)).and_then(|()| add_total(kv, "members", -1)).and_then(|()| add_total(kv, "erased", 1));
    after_the_fact("an erasure", counted);
}

/// The overview: the totals, the last 90 days' last-purchase counts and
/// the feedback automation's scores, in three batch reads.
pub fn overview(kv: &Kv, settings: &Settings, now: DateTime<Utc>) -> Result<Overview> {
    let total_keys = TOTALS.map(keys::stat_total);
    let found = kv.get_many(&total_keys)?;
    let mut totals = [0i64; TOTALS.len()];
    for (t, k) in totals.iter_mut().zip(&total_keys) {
        *t = counter_in(&found, k)?;
    }
    let today = settings.timezone.day(now);
    let recent: Vec<String> = (today - ACTIVE_DAYS + 1..=today).map(keys::stat_last_buy).collect();
    let found = kv.get_many(&recent)?;
    let mut active = 0i64;
    for k in &recent {
        active += counter_in(&found, k)?;
    }
    let nps = crate::tracking::nps(kv, "auto:feedback")?;
    let nps = Nps { score: nps["score"].as_i64().unwrap_or(0), responses: nps["responses"].as_u64().unwrap_or(0) };
    Ok(stats::overview(totals, active.max(0) as u64, nps))
}

/// The daily series from `from` to `to` (club days, at most a year), a
/// batch read of 200 counters at a time.
pub fn daily(kv: &Kv, from: Day, to: Day) -> Result<Vec<(Day, [i64; DAILY.len()])>> {
    let days: Vec<Day> = (from..=to).collect();
    let key_list: Vec<String> = days.iter().flat_map(|d| DAILY.map(|n| keys::stat_day(*d, n))).collect();
    let mut out = Vec::with_capacity(days.len());
    let mut found = std::collections::HashMap::new();
    for chunk in key_list.chunks(crate::kv::BATCH) {
        found.extend(kv.get_many(chunk)?);
    }
    for (d, names) in days.iter().zip(key_list.chunks(DAILY.len())) {
        let mut values = [0i64; DAILY.len()];
        for (v, k) in values.iter_mut().zip(names) {
            *v = counter_in(&found, k)?;
        }
        out.push((*d, values));
    }
    Ok(out)
}
