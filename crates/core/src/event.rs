//! Facts about a member that later work acts on: joining the club's
//! messages (the welcome), a purchase (the thank-you, the feedback request
//! and the replenishment reminder, days later), a tier upgrade (the
//! congratulation), a change of segment (win-back when a member lapses),
//! points about to expire (the reminder). Each is recorded under the club
//! day it happened on, so the campaigns' tick reads a day's events without
//! scanning members.
//!
//! Delivered at least once: a call killed after recording an event and
//! retried records it again, under the same `id`. Consumers dedupe by `id`
//! and check the member as they are when they act.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::jalali::JalaliDate;
use crate::segment::Segment;
use crate::settings::Settings;
use crate::wallet::{MonthIndex, Wallet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Welcome,
    Purchase,
    TierUpgrade,
    Segment,
    ExpiryReminder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The same fact has the same id, however often it is recorded.
    pub id: String,
    pub kind: Kind,
    /// `m_<number>`.
    pub member: String,
    #[serde(with = "crate::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// `tier_upgrade`: the tier reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// `segment`: the segment entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Segment>,
    /// `expiry_reminder`: the points that will expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    /// `expiry_reminder`: the Jalali date they expire at the end of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// `purchase`: the order's categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl Event {
    fn new(kind: Kind, id: String, member: &str, at: DateTime<Utc>) -> Event {
        Event { id, kind, member: member.to_string(), at, tier: None, segment: None, points: None, expires_on: None, categories: Vec::new() }
    }
}

/// A member's first consent to marketing: one id per member, so opting
/// out and in again is not a second welcome.
pub fn welcome(member: &str, at: DateTime<Utc>) -> Event {
    Event::new(Kind::Welcome, format!("welcome:{member}"), member, at)
}

/// A paid order (`{store}/{order id}`) and its categories. Recorded again,
/// under the same id, once categories read later are known.
pub fn purchase(member: &str, order: &str, categories: &[String], at: DateTime<Utc>) -> Event {
    Event { categories: categories.to_vec(), ..Event::new(Kind::Purchase, format!("purchase:{member}:{order}"), member, at) }
}

/// What a change of a member's wallet from `before` to `after` tells
/// others: a new paid order, a higher tier, an expiry reminder due, and (`time_passed`: in the
/// daily review, not on a purchase) a segment entered with time.
pub fn changes(before: &Wallet, after: &Wallet, member: &str, at: DateTime<Utc>, settings: &Settings, time_passed: bool) -> Vec<Event> {
    let day = settings.timezone.day(at);
    let mut out = Vec::new();
    for order in after.orders.iter().filter(|o| !before.orders.iter().any(|b| b.key == o.key)) {
        out.push(purchase(member, &order.key, &order.categories, at));
    }
    if after.tier_rank(settings) > before.tier_rank(settings)
        && let Some(tier) = &after.tier
    {
        let id = format!("tier_upgrade:{member}:{tier}:{day}");
        out.push(Event { tier: Some(tier.clone()), ..Event::new(Kind::TierUpgrade, id, member, at) });
    }
    if time_passed && after.segment != before.segment {
        let id = format!("segment:{member}:{}:{day}", after.segment.as_str());
        out.push(Event { segment: Some(after.segment), ..Event::new(Kind::Segment, id, member, at) });
    }
    if let Some(month) = after.reminded.filter(|m| before.reminded != Some(*m)) {
        out.extend(expiry_reminder(after, month, member, at));
    }
    out
}

/// The reminder of the points in `wallet` that expire at the end of
/// `month`, if any.
fn expiry_reminder(wallet: &Wallet, month: MonthIndex, member: &str, at: DateTime<Utc>) -> Option<Event> {
    let points = wallet.expiring_by(month);
    let (year, m) = (month.div_euclid(12), month.rem_euclid(12) as u32 + 1);
    let last = JalaliDate::new(year, m, JalaliDate::month_length(year, m))?;
    (points > 0).then(|| Event {
        points: Some(points),
        expires_on: Some(last.to_string()),
        ..Event::new(Kind::ExpiryReminder, format!("expiry_reminder:{member}:{month}"), member, at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wallet::{Lot, month_index};

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000, 0).unwrap()
    }

    #[test]
    fn an_upgrade_and_a_new_segment_are_events_with_stable_ids() {
        let settings = Settings::default();
        let before = Wallet::default();
        let after = Wallet { tier: Some("gold".into()), segment: Segment::Active, ..Wallet::default() };
        let events = changes(&before, &after, "m_7", at(), &settings, true);
        assert_eq!(events.iter().map(|e| e.kind).collect::<Vec<_>>(), vec![Kind::TierUpgrade, Kind::Segment]);
        assert_eq!(events, changes(&before, &after, "m_7", at(), &settings, true), "the same fact, the same ids");
        assert!(changes(&after, &before, "m_7", at(), &settings, true).iter().all(|e| e.kind == Kind::Segment), "a lower tier is no upgrade");
        assert_eq!(changes(&before, &after, "m_7", at(), &settings, false).len(), 1, "a purchase's new segment is no event");
    }

    #[test]
    fn a_reminder_names_the_points_and_the_last_day_of_their_month() {
        let esfand = month_index(1403, 12);
        let before = Wallet { balance: 40, lots: vec![Lot { expires: esfand, points: 40 }], ..Wallet::default() };
        let wallet = Wallet { reminded: Some(esfand), ..before.clone() };
        let e = changes(&before, &wallet, "m_1", at(), &Settings::default(), true).pop().unwrap();
        assert_eq!((e.points, e.expires_on.as_deref()), (Some(40), Some("1403-12-30")), "1403 is a leap year");
        assert_eq!(expiry_reminder(&wallet, esfand - 1, "m_1", at()), None);
    }
}
