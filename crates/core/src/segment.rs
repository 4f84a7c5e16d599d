//! Where a member stands as a customer: recency, frequency and monetary
//! scores (1–5 each, 0 before a first purchase) and a segment.
//!
//! Segments, the first that applies:
//! - `new`: no purchase yet, or one that is not lapsed;
//! - `lapsed`: no purchase for `winback_days`;
//! - `at_risk`: no purchase for twice the member's usual gap between
//!   purchases (at least a week);
//! - `loyal`: three or more purchases in the last 180 days;
//! - `active`: the rest.
//!
//! Both change with time alone, so [`next_change`] says when they will next
//! change without a purchase: the daily review is indexed by that day, and
//! nobody scans the members to find who lapsed.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::settings::Settings;

/// A member's purchases in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub orders: u64,
    pub spend: u64,
    #[serde(with = "crate::time::rfc3339::option")]
    pub first_purchase_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub last_purchase_at: Option<DateTime<Utc>>,
}

/// Purchases remembered for segments: enough to count three in a window.
pub const PURCHASES: usize = 3;

const LOYAL_WINDOW_DAYS: i64 = 180;
const LOYAL_ORDERS: usize = 3;
const MIN_GAP_DAYS: i64 = 7;
/// Days since the last purchase at which recency drops a score.
const RECENCY_DAYS: [i64; 4] = [30, 90, 180, 365];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    #[default]
    New,
    Active,
    Loyal,
    AtRisk,
    Lapsed,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::New => "new",
            Segment::Active => "active",
            Segment::Loyal => "loyal",
            Segment::AtRisk => "at_risk",
            Segment::Lapsed => "lapsed",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfm {
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub segment: Segment,
    pub rfm: Rfm,
}

/// What a member's purchases say of them at `now`. `purchases`: the times of
/// their last [`PURCHASES`] purchases, oldest first.
pub fn profile(stats: &Stats, purchases: &[DateTime<Utc>], now: DateTime<Utc>, settings: &Settings) -> Profile {
    let Some(last) = stats.last_purchase_at else { return Profile { segment: Segment::New, rfm: Rfm::default() } };
    let since = now - last;
    let rfm = Rfm { recency: recency(since), frequency: frequency(stats.orders), monetary: monetary(stats.spend, settings) };
    let segment = if since >= Duration::days(settings.winback_days.into()) {
        Segment::Lapsed
    } else if stats.orders >= 2 && since >= usual_gap(stats) * 2 {
        Segment::AtRisk
    } else if purchases.len() >= LOYAL_ORDERS && now - purchases[purchases.len() - LOYAL_ORDERS] <= Duration::days(LOYAL_WINDOW_DAYS) {
        Segment::Loyal
    } else if stats.orders <= 1 {
        Segment::New
    } else {
        Segment::Active
    };
    Profile { segment, rfm }
}

/// The first moment after `now` at which [`profile`] gives another answer
/// with no new purchase; `None` if it never will.
pub fn next_change(stats: &Stats, purchases: &[DateTime<Utc>], now: DateTime<Utc>, settings: &Settings) -> Option<DateTime<Utc>> {
    let last = stats.last_purchase_at?;
    let mut edges: Vec<DateTime<Utc>> = RECENCY_DAYS.iter().map(|d| last + Duration::days(*d)).collect();
    edges.push(last + Duration::days(settings.winback_days.into()));
    if stats.orders >= 2 {
        edges.push(last + usual_gap(stats) * 2);
    }
    if purchases.len() >= LOYAL_ORDERS {
        edges.push(purchases[purchases.len() - LOYAL_ORDERS] + Duration::days(LOYAL_WINDOW_DAYS));
    }
    edges.sort_unstable();
    let here = profile(stats, purchases, now, settings);
    // Just past each edge: the comparisons above are at the edge or after.
    edges.into_iter().map(|e| e + Duration::seconds(1)).filter(|e| *e > now).find(|e| profile(stats, purchases, *e, settings) != here)
}

fn usual_gap(stats: &Stats) -> Duration {
    let gap = match stats.first_purchase_at.zip(stats.last_purchase_at) {
        Some((first, last)) if stats.orders >= 2 => (last - first) / (stats.orders - 1).min(i32::MAX as u64) as i32,
        _ => Duration::zero(),
    };
    gap.max(Duration::days(MIN_GAP_DAYS))
}

fn recency(since: Duration) -> u8 {
    5 - RECENCY_DAYS.iter().filter(|d| since > Duration::days(**d)).count() as u8
}

fn frequency(orders: u64) -> u8 {
    match orders {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=9 => 4,
        _ => 5,
    }
}

/// Lifetime spend against the club's top tier: reaching it is 5; a half,
/// a quarter and a tenth of it are 4, 3 and 2.
fn monetary(spend: u64, settings: &Settings) -> u8 {
    let top = settings.tiers.last().map_or(0, |t| t.min_spend).max(settings.earn.per_amount.saturating_mul(100));
    if spend == 0 {
        return 0;
    }
    1 + [top / 10, top / 4, top / 2, top].iter().filter(|t| spend >= **t).count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + day * 86_400, 0).unwrap()
    }

    fn bought(days: &[i64]) -> (Stats, Vec<DateTime<Utc>>) {
        let stats = Stats { orders: days.len() as u64, spend: 5_000_000 * days.len() as u64, first_purchase_at: days.first().map(|d| t(*d)), last_purchase_at: days.last().map(|d| t(*d)) };
        let purchases = days.iter().rev().take(PURCHASES).rev().map(|d| t(*d)).collect();
        (stats, purchases)
    }

    fn segment(days: &[i64], now: i64) -> Segment {
        let (stats, p) = bought(days);
        profile(&stats, &p, t(now), &Settings::default()).segment
    }

    #[test]
    fn segments_follow_purchases_and_time() {
        assert_eq!(segment(&[], 500), Segment::New);
        assert_eq!(segment(&[0], 10), Segment::New);
        assert_eq!(segment(&[0], 60), Segment::Lapsed, "winback_days is 60");
        assert_eq!(segment(&[0, 20], 25), Segment::Active);
        assert_eq!(segment(&[0, 20], 60), Segment::AtRisk, "twice the 20-day gap");
        assert_eq!(segment(&[0, 20, 30], 35), Segment::Loyal);
        assert_eq!(segment(&[0, 1, 2], 16), Segment::AtRisk, "the gap is at least a week");
        assert_eq!(segment(&[0, 100, 200], 210), Segment::Active, "three orders, not in 180 days");
    }

    #[test]
    fn the_next_change_is_the_first_edge_that_changes_the_answer() {
        let settings = Settings::default();
        let (stats, p) = bought(&[0, 20]);
        let next = next_change(&stats, &p, t(21), &settings).unwrap();
        assert_eq!(next, t(50) + Duration::seconds(1), "recency drops a score 30 days after");
        assert_ne!(profile(&stats, &p, next, &settings), profile(&stats, &p, t(21), &settings));
        let after = next_change(&stats, &p, next, &settings).unwrap();
        assert_eq!((after, profile(&stats, &p, after, &settings).segment), (t(60) + Duration::seconds(1), Segment::AtRisk), "twice the 20-day gap");
        assert_eq!(next_change(&Stats::default(), &[], t(0), &settings), None);
        // Long after everything, nothing changes any more.
        let (stats, p) = bought(&[0]);
        assert_eq!(next_change(&stats, &p, t(400), &settings), None);
    }

    #[test]
    fn scores_rise_with_recency_frequency_and_spend() {
        let settings = Settings::default();
        let (stats, p) = bought(&[0, 5, 10, 15, 20]);
        let rfm = profile(&stats, &p, t(21), &settings).rfm;
        assert_eq!(rfm, Rfm { recency: 5, frequency: 4, monetary: 3 }, "25M of a 100M top tier");
        assert_eq!(profile(&stats, &p, t(400), &settings).rfm.recency, 1);
    }
}
