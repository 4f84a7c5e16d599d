//! The club's own numbers, for its overview and its daily charts: what
//! each fact adds to them (a member's wallet changing, a member joining or
//! changing their consent, a message sent), and the overview computed
//! from the totals. Counted when each fact happens, so a report reads a
//! handful of counters and never scans members.

use crate::ledger::{Entry, Kind};
use crate::wallet::Wallet;
use crate::zone::{Day, Zone};
use serde::Serialize;

/// Per club day: the names of the daily series (`stat:{day}:{name}`).
pub const DAILY: [&str; 10] = ["joins", "optins", "optouts", "orders", "revenue", "earned", "spent", "expired", "sent", "delivered"];

/// Club-wide totals (`stat:total:{name}`).
pub const TOTALS: [&str; 9] = ["members", "opted_in", "opted_out", "erased", "orders", "revenue", "buyers", "repeat_buyers", "points"];

/// The window of `active_90d`.
pub const ACTIVE_DAYS: i32 = 90;

/// What one change of a member's wallet adds: to the day's series and to
/// the totals, and the move of the member's last purchase day (for the
/// members active in the last 90 days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletDelta {
    pub daily: Vec<(&'static str, i64)>,
    pub totals: Vec<(&'static str, i64)>,
    /// The member's last purchase day before and after, when it moved.
    pub last_buy: Option<(Option<Day>, Day)>,
}

impl WalletDelta {
    /// Adds another member's change (one count for many, as an import
    /// makes them). The last-purchase move is not summed: a change that
    /// moves it is counted alone.
    pub fn add(&mut self, other: &WalletDelta) {
        for (into, from) in [(&mut self.daily, &other.daily), (&mut self.totals, &other.totals)] {
            for (name, by) in from {
                match into.iter_mut().find(|(n, _)| n == name) {
                    Some((_, sum)) => *sum += by,
                    None => into.push((name, *by)),
                }
            }
        }
    }
}

/// The change from `before` to `after`, which added `entry` (none for a
/// change that moved no points) — what the club's numbers gain.
pub fn wallet_delta(before: &Wallet, after: &Wallet, entry: Option<&Entry>, zone: &Zone) -> WalletDelta {
    let mut d = WalletDelta::default();
    let orders = after.stats.orders as i64 - before.stats.orders as i64;
    let revenue = after.stats.spend as i64 - before.stats.spend as i64;
    let crossed = |n: u64| i64::from(after.stats.orders >= n) - i64::from(before.stats.orders >= n);
    for (name, by) in [("orders", orders), ("revenue", revenue)] {
        if by != 0 {
            d.daily.push((name, by));
            d.totals.push((name, by));
        }
    }
    for (name, by) in [("buyers", crossed(1)), ("repeat_buyers", crossed(2))] {
        if by != 0 {
            d.totals.push((name, by));
        }
    }
    if let Some(e) = entry.filter(|e| e.points != 0) {
        d.totals.push(("points", e.points));
        let series = match (e.kind, e.points > 0) {
            (Kind::Expire, _) => "expired",
            (_, true) => "earned",
            (_, false) => "spent",
        };
        d.daily.push((series, e.points.abs()));
    }
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| zone.day(t));
    let (was, now) = (day(before.stats.last_purchase_at), day(after.stats.last_purchase_at));
    if let Some(now) = now.filter(|n| Some(*n) != was) {
        d.last_buy = Some((was, now));
    }
    d
}

/// The overview (`GET /api/reports/overview`): the totals and the rates
/// made of them. Rates are fractions (0.25 is a quarter); money is minor
/// units.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overview {
    pub members: u64,
    pub opted_in: u64,
    pub opt_in_rate: f64,
    pub opt_out_rate: f64,
    /// Members whose last purchase was in the last 90 days.
    pub active_90d: u64,
    /// Of the members who ever bought, those who bought twice or more.
    pub repeat_purchase_rate: f64,
    /// Of the members who ever bought, those who bought in the last 90 days.
    pub retention_rate: f64,
    pub orders: u64,
    pub revenue: u64,
    /// Average order value.
    pub aov: u64,
    pub points_outstanding: i64,
    pub nps: Nps,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Nps {
    pub score: i64,
    pub responses: u64,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0 }
}

/// `totals` in the order of [`TOTALS`].
pub fn overview(totals: [i64; TOTALS.len()], active_90d: u64, nps: Nps) -> Overview {
    let [members, opted_in, opted_out, _erased, orders, revenue, buyers, repeat, points] = totals;
    let n = |v: i64| v.max(0) as u64;
    Overview {
        members: n(members),
        opted_in: n(opted_in),
        opt_in_rate: share(n(opted_in), n(members)),
        opt_out_rate: share(n(opted_out), n(members)),
        active_90d,
        repeat_purchase_rate: share(n(repeat), n(buyers)),
        retention_rate: share(active_90d.min(n(buyers)), n(buyers)),
        orders: n(orders),
        revenue: n(revenue),
        aov: if orders > 0 { n(revenue) / n(orders) } else { 0 },
        points_outstanding: points,
        nps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn entry(kind: Kind, points: i64) -> Entry {
        Entry { at: at("2026-11-24T08:00:00Z"), kind, points, balance: 0, reference: None, note: None }
    }

    #[test]
    fn a_first_order_makes_a_buyer_and_moves_the_last_purchase_day() {
        let zone = Zone::tehran();
        let before = Wallet::default();
        let mut after = before.clone();
        after.stats.orders = 1;
        after.stats.spend = 2_500_000;
        after.stats.last_purchase_at = Some(at("2026-11-23T21:00:00Z")); // 00:30 on the 24th in Tehran
        let d = wallet_delta(&before, &after, Some(&entry(Kind::Earn, 25)), &zone);
        assert_eq!(d.daily, [("orders", 1), ("revenue", 2_500_000), ("earned", 25)]);
        assert_eq!(d.totals, [("orders", 1), ("revenue", 2_500_000), ("buyers", 1), ("points", 25)]);
        assert_eq!(d.last_buy, Some((None, zone.day(at("2026-11-24T08:00:00Z")))));

        let mut second = after.clone();
        second.stats.orders = 2;
        second.stats.spend = 3_000_000;
        second.stats.last_purchase_at = Some(at("2026-11-30T08:00:00Z"));
        let d = wallet_delta(&after, &second, None, &zone);
        assert!(d.totals.contains(&("repeat_buyers", 1)) && !d.totals.iter().any(|(n, _)| *n == "buyers"));
        assert_eq!(d.last_buy.map(|(was, _)| was), Some(Some(zone.day(at("2026-11-24T08:00:00Z")))));
    }

    #[test]
    fn spending_and_expiry_are_their_own_series() {
        let w = Wallet::default();
        let zone = Zone::tehran();
        assert_eq!(wallet_delta(&w, &w, Some(&entry(Kind::Redeem, -100)), &zone).daily, [("spent", 100)]);
        assert_eq!(wallet_delta(&w, &w, Some(&entry(Kind::Expire, -40)), &zone).daily, [("expired", 40)]);
        assert_eq!(wallet_delta(&w, &w, Some(&entry(Kind::Expire, -40)), &zone).totals, [("points", -40)]);
        assert_eq!(wallet_delta(&w, &w, None, &zone), WalletDelta::default());
    }

    #[test]
    fn the_overview_is_made_of_the_totals() {
        let o = overview([200, 150, 20, 3, 40, 10_000_000, 30, 12, 5_000], 18, Nps { score: 40, responses: 5 });
        assert_eq!((o.members, o.opted_in, o.opt_in_rate, o.opt_out_rate), (200, 150, 0.75, 0.1));
        assert_eq!((o.repeat_purchase_rate, o.retention_rate, o.aov, o.points_outstanding), (0.4, 0.6, 250_000, 5_000));
        let empty = overview([0; TOTALS.len()], 0, Nps::default());
        assert_eq!((empty.opt_in_rate, empty.aov), (0.0, 0));
    }
}
