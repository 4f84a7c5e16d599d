//! A member's points in one record: the balance, the lots it is made of
//! (points earned in one Jalali month expire together), the number of ledger
//! entries so far and the most recent changes.
//!
//! One record because Spin's store has no transactions: a change of points
//! is a single compare-and-swap of this record, so the balance, the lots and
//! the ledger slot the change takes move together or not at all. The change
//! carries an operation id (the order event, the adjustment's idempotency
//! key); the recent changes kept here make a repeat of the same operation a
//! no-op that answers what the first did, and let the adapter write the
//! ledger entry after the swap without ever losing it (the entry is here
//! until it is written, and a later change checks before it drops it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::jalali::JalaliDate;
use crate::ledger::{Entry, Kind};
use crate::segment::{self, Segment, Stats};
use crate::settings::Settings;
use crate::zone::{Day, day_of};

/// Changes remembered in the record. A repeat of an older operation is
/// caught by its own record (an order's, an adjustment's).
pub const RECENT: usize = 32;

/// A month of the Jalali calendar as one number (`year × 12 + month − 1`),
/// so that months compare and add.
pub type MonthIndex = i32;

pub fn month_index(year: i32, month: u32) -> MonthIndex {
    year * 12 + month as i32 - 1
}

/// The first day of a Jalali month.
pub fn month_start(month: MonthIndex) -> Day {
    let date = JalaliDate::new(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1).map_or_else(Default::default, |d| d.to_gregorian());
    day_of(date)
}

/// A month as people write it: `1405-01`.
pub fn month_name(month: MonthIndex) -> String {
    format!("{}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)
}

/// The Jalali month of `now` in the club's zone.
pub fn current_month(settings: &Settings, now: DateTime<Utc>) -> MonthIndex {
    let today = settings.timezone.jalali_today(now);
    month_index(today.year, today.month)
}

/// The month that points earned at `now` expire at the end of: the
/// `points_expiry_months`-th month after the Jalali month they were earned
/// in, in the club's time zone.
pub fn expiry_month(settings: &crate::settings::Settings, now: DateTime<Utc>) -> MonthIndex {
    current_month(settings, now) + settings.points_expiry_months as MonthIndex
}

/// How far a member is from the next tier (minor units of spend in the
/// tier window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextTier<'a> {
    pub name: &'a str,
    pub min_spend: u64,
    pub spend: u64,
    pub remaining: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    pub balance: i64,
    /// Positive lots, soonest to expire first. `balance − Σ lots` is never
    /// positive: it is what was taken back or spent beyond the lots.
    #[serde(default)]
    pub lots: Vec<Lot>,
    /// Ledger entries so far; the next change takes slot `seq + 1`.
    #[serde(default)]
    pub seq: u64,
    /// The last [`RECENT`] changes, oldest first.
    #[serde(default)]
    pub recent: Vec<Applied>,
    /// The member's last [`ORDERS`] orders, oldest first: what each earned
    /// and what was taken back, so refunds and cancellations are exact.
    #[serde(default)]
    pub orders: Vec<OrderState>,
    /// Purchase statistics, kept with the points they earned.
    #[serde(default)]
    pub stats: Stats,
    /// Net spend per Jalali month, for tiers (only the tier window's months).
    #[serde(default)]
    pub spend: Vec<MonthSpend>,
    /// The tier reached (`None`: the first tier).
    #[serde(default)]
    pub tier: Option<String>,
    /// Points of paid orders still in the return window (`pending_days`),
    /// credited by the daily review on their due day.
    #[serde(default)]
    pub pending: Vec<Pending>,
    /// The times (Unix seconds) of the last [`segment::PURCHASES`]
    /// purchases, oldest first.
    #[serde(default)]
    pub purchases: Vec<i64>,
    /// The segment and scores as of the last purchase or daily review (the
    /// review is indexed for the day after they next change).
    #[serde(default)]
    pub segment: Segment,
    #[serde(default)]
    pub rfm: segment::Rfm,
    /// The day this member's next review is indexed for.
    #[serde(default)]
    pub review: Option<Day>,
    /// The lot month whose expiry reminder was last recorded.
    #[serde(default)]
    pub reminded: Option<MonthIndex>,
    /// A random id of the call that wrote this version. Two calls applying
    /// the same change would otherwise write the same bytes, and a swap
    /// confirmed by reading back could not tell whose write it sees.
    #[serde(default)]
    pub writer: String,
}

/// Orders remembered in the wallet; an older order's state is in its own
/// record (written before it is dropped from here).
pub const ORDERS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    /// `{store}/{order id}`.
    pub key: String,
    pub total: i64,
    pub earned: i64,
    /// Money refunded so far (never above `total`).
    pub refunded: i64,
    /// Points taken back so far (never above `earned`).
    pub taken: i64,
    pub cancelled: bool,
    /// Refund ids applied.
    pub refunds: Vec<String>,
    /// The member's first paid order (a referral pays out on it).
    #[serde(default)]
    pub first: bool,
    /// The categories of its lines (replenishment reminders follow them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// The store's currency and the total in it; `total` and `refunded`
    /// are the club's. Orders recorded before stores had their own
    /// currency have neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_total: Option<i64>,
    /// While its lines' categories are still being read from the store's
    /// platform: the tier's multiplier (percent) its points were counted
    /// at, 0 if it earned none. [`Fact::Categories`] recounts it, once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recount: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// `{store}/{order id}`.
    pub key: String,
    /// The order id as the store shows it.
    pub reference: String,
    pub points: i64,
    /// The day they are credited on.
    pub due: Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSpend {
    pub month: MonthIndex,
    pub amount: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// The lot expires at the end of this month.
    pub expires: MonthIndex,
    pub points: i64,
}

/// A change as applied: its operation, its ledger slot and entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub op: String,
    pub slot: u64,
    pub entry: Entry,
}

/// A change asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Unique per operation: the same id is applied once.
    pub op: String,
    pub kind: Kind,
    pub points: i64,
    pub reference: Option<String>,
    pub at: DateTime<Utc>,
    /// For credits: the month the new points expire at the end of.
    pub expires: MonthIndex,
    /// Spending (a redemption) needs the balance to cover it; taking back
    /// (a refund, an adjustment, expiry) may leave it negative.
    pub must_cover: bool,
    /// What else the change did, for its ledger entry.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This operation was applied before: what it did.
    Already(Applied),
    /// The record to swap in; `evicted` is the change that falls out of
    /// the recent list (its ledger entry must exist before it is dropped).
    Apply { wallet: Box<Wallet>, applied: Applied, evicted: Option<Applied> },
    /// The balance does not cover a spend.
    Insufficient { balance: i64 },
    /// There is nothing to do (no points due or expiring).
    Nothing,
}

impl Wallet {
    pub fn order(&self, key: &str) -> Option<&OrderState> {
        self.orders.iter().find(|o| o.key == key)
    }

    pub fn find(&self, op: &str) -> Option<&Applied> {
        self.recent.iter().find(|a| a.op == op)
    }

    pub fn pending_points(&self) -> i64 {
        self.pending.iter().map(|p| p.points).sum()
    }

    /// The last purchases' times, oldest first.
    pub fn purchase_times(&self) -> Vec<DateTime<Utc>> {
        self.purchases.iter().filter_map(|t| DateTime::from_timestamp(*t, 0)).collect()
    }

    pub fn lots_total(&self) -> i64 {
        self.lots.iter().map(|l| l.points).sum()
    }

    /// Points in lots that expire at the end of `month` or earlier.
    pub fn expiring_by(&self, month: MonthIndex) -> i64 {
        self.lots.iter().filter(|l| l.expires <= month).map(|l| l.points).sum()
    }

    pub fn decide(&self, change: &Change) -> Decision {
        if let Some(done) = self.find(&change.op) {
            return Decision::Already(done.clone());
        }
        if change.must_cover && change.points < 0 && self.balance + change.points < 0 {
            return Decision::Insufficient { balance: self.balance };
        }
        let (wallet, applied, evicted) = self.clone().apply(change);
        Decision::Apply { wallet: Box::new(wallet), applied, evicted }
    }

    /// Moves the points and takes the next ledger slot.
    fn apply(mut self, change: &Change) -> (Wallet, Applied, Option<Applied>) {
        self.balance += change.points;
        if change.points > 0 {
            self.credit(change.points, change.expires);
        } else {
            self.debit(-change.points);
        }
        self.seq += 1;
        let applied = Applied {
            op: change.op.clone(),
            slot: self.seq,
            entry: Entry { at: change.at, kind: change.kind, points: change.points, balance: self.balance, reference: change.reference.clone(), note: change.note.clone() },
        };
        self.recent.push(applied.clone());
        let evicted = (self.recent.len() > RECENT).then(|| self.recent.remove(0));
        (self, applied, evicted)
    }

    /// Applies one fact of an order (paid, a refund, cancelled) exactly once.
    /// `known` is the order's state from its own record when the wallet no
    /// longer holds it. While the order's points are pending, a refund or a
    /// cancellation takes from them, and nothing reaches the ledger.
    pub fn decide_order(&self, fact: &OrderFact<'_>, known: Option<&OrderState>, settings: &Settings, bonus: &Bonus<'_>) -> OrderDecision {
        let op = fact.op();
        if let Some(done) = self.find(&op) {
            return OrderDecision::Already(done.clone());
        }
        let held = self.orders.iter().find(|o| o.key == fact.key).or(known);
        let mut next = self.clone();
        let mut note = None;
        let (state, points, kind) = match (&fact.what, held) {
            (Fact::Paid, Some(state)) => return OrderDecision::Unchanged(state.clone()),
            (Fact::Categories, Some(state)) if state.recount.is_none() => return OrderDecision::Unchanged(state.clone()),
            (Fact::Paid, None) => {
                let points = if fact.award { crate::bonus::points(fact.total, fact.items, &settings.earn, self.tier_multiplier(settings), bonus.rules, bonus.tags, fact.at) } else { 0 };
                let first = self.stats.orders == 0;
                next.record_purchase(fact, settings);
                if next.tier_rank(settings) > self.tier_rank(settings) {
                    note = next.tier.as_ref().map(|t| format!("tier_upgrade:{t}"));
                }
                if settings.pending_days > 0 && points > 0 {
                    let due = settings.timezone.day(fact.at) + settings.pending_days as Day;
                    next.pending.push(Pending { key: fact.key.to_string(), reference: fact.reference.to_string(), points, due });
                }
                let state = OrderState {
                    key: fact.key.to_string(),
                    total: fact.total,
                    earned: points,
                    refunded: 0,
                    taken: 0,
                    cancelled: false,
                    refunds: Vec::new(),
                    first,
                    categories: categories_of(fact.items),
                    store_currency: fact.store.map(|(c, _)| c.to_string()),
                    store_total: fact.store.map(|(_, t)| t),
                    recount: fact.awaiting.then(|| if fact.award { self.tier_multiplier(settings) } else { 0 }),
                };
                (state, points, Kind::Earn)
            }
            (Fact::Categories, Some(state)) => {
                // Counted again as if the categories had come with the
                // order: at its tier, with the rules as they are, less
                // the share of it refunds took back.
                let mut state = state.clone();
                let pct = state.recount.take().unwrap_or(0);
                state.categories = categories_of(fact.items);
                let earned = if pct > 0 { crate::bonus::points(state.total, fact.items, &settings.earn, pct, bonus.rules, bonus.tags, fact.at) } else { state.earned };
                let taken = if state.cancelled { earned } else { refunded_share(earned, state.refunded, state.total) };
                let points = (earned - taken) - (state.earned - state.taken);
                (state.earned, state.taken) = (earned, taken);
                note = (points != 0).then(|| "categories".to_string());
                (state, points, if points < 0 { Kind::Refund } else { Kind::Earn })
            }
            (_, None) => return OrderDecision::UnknownOrder,
            (Fact::Refund { id, .. }, Some(state)) if state.refunds.contains(id) || state.cancelled => return OrderDecision::Unchanged(state.clone()),
            (Fact::Refund { id, amount }, Some(state)) => {
                let mut state = state.clone();
                let refunded = (state.refunded + amount).min(state.total);
                next.record_refund(refunded - state.refunded, fact, settings);
                state.refunded = refunded;
                let taken = refunded_share(state.earned, refunded, state.total);
                let points = -(taken - state.taken);
                state.taken = taken;
                state.refunds.push(id.clone());
                (state, points, Kind::Refund)
            }
            (Fact::Cancel, Some(state)) if state.cancelled => return OrderDecision::Unchanged(state.clone()),
            (Fact::Cancel, Some(state)) => {
                let mut state = state.clone();
                next.record_refund(state.total - state.refunded, fact, settings);
                let points = -(state.earned - state.taken);
                state.taken = state.earned;
                state.refunded = state.total;
                state.cancelled = true;
                (state, points, Kind::Refund)
            }
        };
        next.orders.retain(|o| o.key != state.key);
        next.orders.push(state.clone());
        // An order whose points are pending stays until they are credited.
        let closed = match next.orders.iter().position(|o| !next.pending.iter().any(|p| p.key == o.key)) {
            Some(i) if next.orders.len() > ORDERS => Some(next.orders.remove(i)),
            _ => None,
        };
        if let Some(i) = next.pending.iter().position(|p| p.key == fact.key) {
            if !matches!(fact.what, Fact::Paid) {
                next.pending[i].points += points;
                if next.pending[i].points <= 0 {
                    next.pending.remove(i);
                }
            }
            return OrderDecision::Apply { wallet: Box::new(next), applied: None, evicted: None, state, closed };
        }
        // Categories that change nothing leave the ledger as it is.
        if points == 0 && fact.what == Fact::Categories {
            return OrderDecision::Apply { wallet: Box::new(next), applied: None, evicted: None, state, closed };
        }
        let change = Change { op, kind, points, reference: Some(fact.reference.to_string()), at: fact.at, expires: fact.expires, must_cover: false, note };
        let (wallet, applied, evicted) = next.apply(&change);
        OrderDecision::Apply { wallet: Box::new(wallet), applied: Some(applied), evicted, state, closed }
    }

    /// Credits an order's pending points (its due day has come), once.
    pub fn decide_credit(&self, key: &str, at: DateTime<Utc>, expires: MonthIndex) -> Decision {
        let op = format!("order:{key}:credit");
        if let Some(done) = self.find(&op) {
            return Decision::Already(done.clone());
        }
        let Some(i) = self.pending.iter().position(|p| p.key == key) else { return Decision::Nothing };
        let mut next = self.clone();
        let pending = next.pending.remove(i);
        let change = Change { op, kind: Kind::Earn, points: pending.points, reference: Some(pending.reference), at, expires, must_cover: false, note: None };
        let (wallet, applied, evicted) = next.apply(&change);
        Decision::Apply { wallet: Box::new(wallet), applied, evicted }
    }

    /// Expires the lots that end with `month` (and any older), once.
    pub fn decide_expiry(&self, month: MonthIndex, at: DateTime<Utc>) -> Decision {
        let op = format!("expire:{month}");
        if let Some(done) = self.find(&op) {
            return Decision::Already(done.clone());
        }
        match self.expiring_by(month) {
            0 => Decision::Nothing,
            points => self.decide(&Change { op, kind: Kind::Expire, points: -points, reference: Some(month_name(month)), at, expires: month, must_cover: false, note: None }),
        }
    }

    /// The daily re-evaluation: the tier the window's spend reaches now
    /// (the only place a tier goes down), the segment as of `now`, and the
    /// reminder of the soonest lot once its reminder day has come.
    pub fn reviewed(&self, now: DateTime<Utc>, settings: &Settings) -> Wallet {
        let mut next = self.clone();
        let month = current_month(settings, now);
        let first = month - window_months(settings) + 1;
        next.spend.retain(|m| m.month >= first);
        let reached = next.reached_rank(settings);
        next.tier = (reached > 0).then(|| settings.tiers[reached].name.clone());
        next.set_profile(now, settings);
        if let Some((lot, day)) = self.reminder(settings)
            && settings.timezone.day(now) >= day
        {
            next.reminded = Some(lot);
        }
        next
    }

    /// The month the soonest lot expires at the end of, and the day its
    /// reminder is due, unless it was recorded.
    fn reminder(&self, settings: &Settings) -> Option<(MonthIndex, Day)> {
        let lot = self.lots.first()?.expires;
        (self.reminded != Some(lot)).then(|| (lot, month_start(lot + 1) - 1 - settings.expiry_reminder_days as Day))
    }

    /// Lots that ended before `now`'s month: the month to expire through.
    pub fn expired_through(&self, now: DateTime<Utc>, settings: &Settings) -> Option<MonthIndex> {
        let last_month = current_month(settings, now) - 1;
        self.lots.first().is_some_and(|l| l.expires <= last_month).then_some(last_month)
    }

    fn set_profile(&mut self, now: DateTime<Utc>, settings: &Settings) {
        let profile = segment::profile(&self.stats, &self.purchase_times(), now, settings);
        (self.segment, self.rfm) = (profile.segment, profile.rfm);
    }

    /// The day the member next needs a review, the first of: a pending
    /// order's due day; the soonest lot's reminder day and the day after it
    /// ends; the day after their segment or scores next change; and (above
    /// the first tier) tomorrow if their spend no longer reaches it, else
    /// the first day of the month their oldest spend leaves the tier window.
    pub fn next_review(&self, now: DateTime<Utc>, settings: &Settings) -> Option<Day> {
        let zone = &settings.timezone;
        let mut days: Vec<Day> = self.pending.iter().map(|p| p.due).collect();
        days.extend(self.lots.first().map(|l| month_start(l.expires + 1)));
        days.extend(self.reminder(settings).map(|(_, day)| day));
        days.extend(segment::next_change(&self.stats, &self.purchase_times(), now, settings).map(|at| zone.day(at) + 1));
        if self.reached_rank(settings) < self.tier_rank(settings) {
            // A refund took the spend below the tier: down tomorrow.
            days.push(zone.day(now) + 1);
        } else if self.tier_rank(settings) > 0 {
            days.push(self.spend.first().map_or(zone.day(now) + 1, |m| month_start(m.month + window_months(settings))));
        }
        days.into_iter().min()
    }

    fn record_purchase(&mut self, fact: &OrderFact<'_>, settings: &Settings) {
        self.stats.orders += 1;
        self.stats.spend = self.stats.spend.saturating_add(fact.total.max(0) as u64);
        self.stats.first_purchase_at.get_or_insert(fact.at);
        self.stats.last_purchase_at = Some(self.stats.last_purchase_at.map_or(fact.at, |l| l.max(fact.at)));
        self.purchases.push(fact.at.timestamp());
        self.purchases.sort_unstable();
        if self.purchases.len() > segment::PURCHASES {
            self.purchases.remove(0);
        }
        self.set_profile(fact.at, settings);
        self.add_spend(fact.month, fact.total, settings);
        // Purchases only raise the tier; a lower one comes from the review.
        let rank = self.reached_rank(settings).max(self.tier_rank(settings));
        self.tier = (rank > 0).then(|| settings.tiers[rank].name.clone());
    }

    fn record_refund(&mut self, amount: i64, fact: &OrderFact<'_>, settings: &Settings) {
        self.stats.spend = self.stats.spend.saturating_sub(amount.max(0) as u64);
        self.add_spend(fact.month, -amount, settings);
    }

    /// Spend per month inside the tier window (whole months: the current one
    /// and as many before it as the window's days cover).
    fn add_spend(&mut self, month: MonthIndex, amount: i64, settings: &Settings) {
        match self.spend.iter_mut().find(|m| m.month == month) {
            Some(m) => m.amount += amount,
            None => self.spend.push(MonthSpend { month, amount }),
        }
        let first = month - window_months(settings) + 1;
        self.spend.retain(|m| m.month >= first);
        self.spend.sort_by_key(|m| m.month);
    }

    /// The highest tier the window's spend reaches (an index in the tiers).
    fn reached_rank(&self, settings: &Settings) -> usize {
        let spend: i64 = self.spend.iter().map(|m| m.amount).sum();
        settings.tiers.iter().rposition(|t| spend >= t.min_spend as i64).unwrap_or(0)
    }

    /// The tier above the one held, with the spend it needs and the
    /// member's spend in the window as of `now` (`None`: the top tier).
    pub fn next_tier<'s>(&self, settings: &'s Settings, now: DateTime<Utc>) -> Option<NextTier<'s>> {
        let tier = settings.tiers.get(self.tier_rank(settings) + 1)?;
        let first = current_month(settings, now) - window_months(settings) + 1;
        let spend = self.spend.iter().filter(|m| m.month >= first).map(|m| m.amount).sum::<i64>().max(0) as u64;
        Some(NextTier { name: &tier.name, min_spend: tier.min_spend, spend, remaining: tier.min_spend.saturating_sub(spend) })
    }

    /// The tier held, as an index in the tiers (0: the first, or a tier the
    /// settings no longer have).
    pub fn tier_rank(&self, settings: &Settings) -> usize {
        self.tier.as_deref().and_then(|name| settings.tiers.iter().position(|t| t.name == name)).unwrap_or(0)
    }

    pub fn tier_multiplier(&self, settings: &Settings) -> u32 {
        self.tier.as_deref().and_then(|name| settings.tiers.iter().find(|t| t.name == name)).map_or(100, |t| t.multiplier_pct)
    }

    /// New points first make up what was taken beyond the lots; the rest
    /// is a lot expiring at the end of `expires`.
    fn credit(&mut self, points: i64, expires: MonthIndex) {
        // `self.balance` already includes the credit.
        let unbacked = (self.balance - points) - self.lots_total();
        let into_lot = points - (-unbacked).clamp(0, points);
        if into_lot > 0 {
            match self.lots.iter_mut().find(|l| l.expires == expires) {
                Some(lot) => lot.points += into_lot,
                None => {
                    self.lots.push(Lot { expires, points: into_lot });
                    self.lots.sort_by_key(|l| l.expires);
                }
            }
        }
    }

    /// Points are taken from the soonest-expiring lots first.
    fn debit(&mut self, mut points: i64) {
        for lot in &mut self.lots {
            let take = lot.points.min(points);
            lot.points -= take;
            points -= take;
            if points == 0 {
                break;
            }
        }
        self.lots.retain(|l| l.points > 0);
    }
}

/// Months in the tier window: `tier_window_days` rounded up to months.
fn window_months(settings: &Settings) -> MonthIndex {
    (settings.tier_window_days.div_ceil(30) as MonthIndex).max(1)
}

/// What bonus rules need to know of an order's member.
#[derive(Debug, Clone, Copy)]
pub struct Bonus<'a> {
    pub rules: &'a crate::bonus::Rules,
    /// The member's tags.
    pub tags: &'a [String],
}

/// One fact of an order to apply to the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFact<'a> {
    /// `{store}/{order id}`.
    pub key: &'a str,
    /// The order id as the store shows it (the ledger entry's `ref`).
    pub reference: &'a str,
    pub total: i64,
    /// The order's lines (category bonus rules count by line).
    pub items: &'a [crate::order::Item],
    /// The total in the store's own currency (`total` is the club's).
    pub store: Option<(&'a str, i64)>,
    pub what: Fact,
    pub at: DateTime<Utc>,
    /// The Jalali month it happens in, and the month new points expire at
    /// the end of.
    pub month: MonthIndex,
    pub expires: MonthIndex,
    /// Whether a payment earns points (a store's past orders brought in
    /// count toward statistics, tiers and segments, and earn only if asked).
    pub award: bool,
    /// A payment whose lines' categories are still being read: counted
    /// now, and again once they are known ([`Fact::Categories`]).
    pub awaiting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Paid,
    Refund { id: String, amount: i64 },
    Cancel,
    /// The lines' categories, read from the store's platform after the
    /// order was counted, are known now (`items` carries them): a paid
    /// order that awaited them is counted again, the difference through
    /// the ledger (or its pending points).
    Categories,
}

/// An order's categories as its state keeps them: lower case, each once.
fn categories_of(items: &[crate::order::Item]) -> Vec<String> {
    let mut categories: Vec<String> = items.iter().flat_map(|i| i.categories.iter().map(|c| c.to_lowercase())).collect();
    categories.sort_unstable();
    categories.dedup();
    categories
}

/// The refunded share of what an order earned, rounded toward the member
/// (down); never more than it earned.
fn refunded_share(earned: i64, refunded: i64, total: i64) -> i64 {
    let share = if total > 0 { (i128::from(earned) * i128::from(refunded) / i128::from(total)) as i64 } else { earned };
    share.min(earned)
}

impl OrderFact<'_> {
    /// The operation id: one per fact of one order.
    pub fn op(&self) -> String {
        match &self.what {
            Fact::Paid => format!("order:{}:paid", self.key),
            Fact::Refund { id, .. } => format!("order:{}:refund:{id}", self.key),
            Fact::Cancel => format!("order:{}:cancel", self.key),
            Fact::Categories => format!("order:{}:categories", self.key),
        }
    }
}

// One decision a request, moved once: the size of its largest variant costs
// nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderDecision {
    /// This fact was applied before (the wallet still remembers how).
    Already(Applied),
    /// The fact is already true of the order; nothing to do.
    Unchanged(OrderState),
    /// A refund or cancellation of an order nobody paid.
    UnknownOrder,
    /// Swap in `wallet`; write `applied`'s entry (none while the order's
    /// points are pending) and the order's `state`; `evicted` and `closed`
    /// fall out of the wallet and must be written first.
    Apply { wallet: Box<Wallet>, applied: Option<Applied>, evicted: Option<Applied>, state: OrderState, closed: Option<OrderState> },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_763_900_000, 0).unwrap()
    }

    fn change(op: &str, kind: Kind, points: i64, expires: MonthIndex) -> Change {
        Change { op: op.into(), kind, points, reference: None, at: at(), expires, must_cover: kind == Kind::Redeem, note: None }
    }

    fn apply(w: &Wallet, c: Change) -> Wallet {
        match w.decide(&c) {
            Decision::Apply { wallet, .. } => *wallet,
            other => panic!("{c:?} not applied: {other:?}"),
        }
    }

    fn invariant(w: &Wallet) {
        assert!(w.lots.iter().all(|l| l.points > 0), "{w:?}");
        assert!(w.balance - w.lots_total() <= 0, "{w:?}");
        assert!(w.lots.windows(2).all(|p| p[0].expires < p[1].expires), "{w:?}");
    }

    #[test]
    fn credits_go_to_the_lot_of_their_expiry_month() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 30, 100));
        let w = apply(&w, change("b", Kind::Earn, 20, 101));
        let w = apply(&w, change("c", Kind::Earn, 5, 100));
        assert_eq!(w.lots, vec![Lot { expires: 100, points: 35 }, Lot { expires: 101, points: 20 }]);
        assert_eq!((w.balance, w.seq), (55, 3));
        invariant(&w);
    }

    #[test]
    fn spending_takes_the_soonest_expiring_points_first() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 20, 101));
        let w = apply(&w, change("b", Kind::Earn, 30, 100));
        let w = apply(&w, change("c", Kind::Redeem, -40, 0));
        assert_eq!(w.lots, vec![Lot { expires: 101, points: 10 }]);
        assert_eq!(w.balance, 10);
        invariant(&w);
    }

    #[test]
    fn a_take_back_beyond_the_lots_leaves_a_negative_balance_that_new_points_make_up() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 10, 100));
        let w = apply(&w, change("r", Kind::Refund, -25, 0));
        assert_eq!((w.balance, w.lots.len()), (-15, 0));
        invariant(&w);
        let w = apply(&w, change("b", Kind::Earn, 20, 102));
        assert_eq!(w.balance, 5);
        assert_eq!(w.lots, vec![Lot { expires: 102, points: 5 }]);
        invariant(&w);
    }

    #[test]
    fn a_spend_must_be_covered_and_a_negative_balance_blocks_it() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 10, 100));
        assert_eq!(w.decide(&change("x", Kind::Redeem, -11, 0)), Decision::Insufficient { balance: 10 });
        let w = apply(&w, change("r", Kind::Refund, -12, 0));
        assert_eq!(w.decide(&change("y", Kind::Redeem, -1, 0)), Decision::Insufficient { balance: -2 });
    }

    #[test]
    fn the_same_operation_is_applied_once_and_answers_what_it_did() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 10, 100));
        match w.decide(&change("a", Kind::Earn, 10, 100)) {
            Decision::Already(done) => assert_eq!((done.slot, done.entry.balance), (1, 10)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_recent_list_is_bounded_and_hands_back_what_it_drops() {
        let mut w = Wallet::default();
        for i in 0..RECENT {
            w = apply(&w, change(&format!("op{i}"), Kind::Adjust, 1, 100));
        }
        match w.decide(&change("next", Kind::Adjust, 1, 100)) {
            Decision::Apply { wallet, evicted: Some(e), applied } => {
                assert_eq!((e.op.as_str(), e.slot), ("op0", 1));
                assert_eq!(applied.slot, RECENT as u64 + 1);
                assert_eq!(wallet.recent.len(), RECENT);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expiring_points_are_counted_by_month() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 10, 100));
        let w = apply(&w, change("b", Kind::Earn, 7, 103));
        assert_eq!((w.expiring_by(99), w.expiring_by(100), w.expiring_by(103)), (0, 10, 17));
        assert_eq!(month_index(1404, 1), 1404 * 12);
        assert_eq!(month_index(1404, 12) + 1, month_index(1405, 1));
    }

    #[test]
    fn points_earned_in_a_month_expire_at_the_end_of_the_twelfth_month_after() {
        let settings = crate::settings::Settings::default();
        // 2026-03-20 20:31 UTC is 1 Farvardin 1405 00:01 in Tehran.
        let nowruz = DateTime::parse_from_rfc3339("2026-03-20T20:31:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(expiry_month(&settings, nowruz), month_index(1406, 1));
        let esfand = nowruz - chrono::Duration::minutes(2);
        assert_eq!(expiry_month(&settings, esfand), month_index(1405, 12));
    }

    fn paid_fact(key: &str, total: i64) -> OrderFact<'_> {
        OrderFact { key, reference: key, total, items: &[], store: None, what: Fact::Paid, at: at(), month: 100, expires: 112, award: true, awaiting: false }
    }

    const NO_BONUS: Bonus<'static> = Bonus { rules: &crate::bonus::Rules { stacking: crate::bonus::Stacking::Multiply, rules: Vec::new() }, tags: &[] };

    fn order(w: &Wallet, fact: OrderFact<'_>) -> (Wallet, i64) {
        match w.decide_order(&fact, None, &Settings::default(), &NO_BONUS) {
            OrderDecision::Apply { wallet, applied, .. } => (*wallet, applied.map_or(0, |a| a.entry.points)),
            other => panic!("{fact:?}: {other:?}"),
        }
    }

    #[test]
    fn an_order_earns_once_by_the_tier_multiplier_rounded_down() {
        let settings = Settings::default();
        let earn = |total, pct| crate::bonus::points(total, &[], &settings.earn, pct, NO_BONUS.rules, &[], at());
        assert_eq!(earn(2_599_999, 100), 25);
        assert_eq!(earn(2_500_000, 125), 31);
        assert_eq!(earn(-5, 150), 0);
        let (w, points) = order(&Wallet::default(), paid_fact("s/1", 2_500_000));
        assert_eq!((points, w.balance, w.stats.orders), (25, 25, 1));
        assert!(w.order("s/1").unwrap().first);
        let (w, _) = order(&w, paid_fact("s/2", 100_000));
        assert!(!w.order("s/2").unwrap().first, "only the first paid order is the first");
        assert!(matches!(w.decide_order(&paid_fact("s/1", 2_500_000), None, &settings, &NO_BONUS), OrderDecision::Already(_)));
    }

    #[test]
    fn refunds_take_back_the_refunded_share_and_never_more_than_earned() {
        let (w, _) = order(&Wallet::default(), paid_fact("s/1", 3_000_000)); // 30 points
        let refund = |id: &str, amount| OrderFact { what: Fact::Refund { id: id.into(), amount }, ..paid_fact("s/1", 0) };
        let (w, p1) = order(&w, refund("r1", 1_000_000)); // a third: 10
        let (w, p2) = order(&w, refund("r2", 500_000)); // half in all: 15 − 10
        let (w, p3) = order(&w, refund("r3", 9_000_000)); // beyond the total: the rest
        assert_eq!((p1, p2, p3), (-10, -5, -15));
        assert_eq!(w.balance, 0);
        assert!(matches!(w.decide_order(&refund("r4", 1), None, &Settings::default(), &NO_BONUS), OrderDecision::Unchanged(_) | OrderDecision::Apply { .. }));
        let cancel = OrderFact { what: Fact::Cancel, ..paid_fact("s/1", 0) };
        let (w, p4) = order(&w, cancel);
        assert_eq!((p4, w.balance), (0, 0));
    }

    #[test]
    fn rounding_of_a_partial_refund_favours_the_member() {
        let (w, _) = order(&Wallet::default(), paid_fact("s/1", 1_000_000)); // 10 points
        let refund = OrderFact { what: Fact::Refund { id: "r".into(), amount: 333_333 }, ..paid_fact("s/1", 0) };
        let (w, p) = order(&w, refund);
        assert_eq!((p, w.balance), (-3, 7), "3.33 points back, rounded down");
    }

    #[test]
    fn categories_read_later_recount_an_order_once_at_the_tier_it_was_counted_at() {
        use crate::bonus::{Rules, Stacking};
        use crate::order::Item;
        let rule: crate::bonus::Rule = serde_json::from_str(r#"{"kind": "category", "category": "coffee", "multiplier_pct": 300}"#).unwrap();
        let rules = Rules { stacking: Stacking::Multiply, rules: vec![rule.validate("coffee").unwrap()] };
        let bonus = Bonus { rules: &rules, tags: &[] };
        let settings = Settings::default();
        let line = |categories: &[&str], total| Item { sku: None, product: Some("7".into()), categories: categories.iter().map(|c| c.to_string()).collect(), quantity: 1, total };
        let (unknown, known) = ([line(&[], 2_000_000), line(&[], 1_000_000)], [line(&["Coffee"], 2_000_000), line(&[], 1_000_000)]);
        let decide = |w: &Wallet, fact: &OrderFact<'_>| match w.decide_order(fact, None, &settings, &bonus) {
            OrderDecision::Apply { wallet, applied, state, .. } => (*wallet, applied, state),
            other => panic!("{fact:?}: {other:?}"),
        };
        // Counted with no categories: 30 points, and a recount awaited at ×1.
        let paid = OrderFact { items: &unknown, awaiting: true, ..paid_fact("s/1", 3_000_000) };
        let (w, _, state) = decide(&Wallet::default(), &paid);
        assert_eq!((w.balance, state.recount), (30, Some(100)));
        // A third refunded before the categories came: 10 back.
        let (w, _, _) = decide(&w, &OrderFact { what: Fact::Refund { id: "r".into(), amount: 1_000_000 }, ..paid_fact("s/1", 0) });
        assert_eq!(w.balance, 20);
        // Coffee earns ×3 on its 2/3: 70, of which a third is refunded: 46 kept.
        let recount = OrderFact { what: Fact::Categories, items: &known, ..paid_fact("s/1", 0) };
        let (w, applied, state) = decide(&w, &recount);
        let entry = applied.expect("the difference goes through the ledger").entry;
        assert_eq!((entry.kind, entry.points, entry.note.as_deref(), w.balance), (Kind::Earn, 27, Some("categories"), 47));
        assert_eq!((state.earned, state.taken, state.recount, state.categories.as_slice()), (70, 23, None, &["coffee".to_string()][..]));
        assert!(matches!(w.decide_order(&recount, None, &settings, &bonus), OrderDecision::Already(_)));
        // Pending points take the difference instead of the ledger.
        let waiting = Settings { pending_days: 14, ..Settings::default() };
        let OrderDecision::Apply { wallet, .. } = Wallet::default().decide_order(&paid, None, &waiting, &bonus) else { panic!() };
        let OrderDecision::Apply { wallet, applied, .. } = wallet.decide_order(&recount, None, &waiting, &bonus) else { panic!() };
        assert_eq!((applied, wallet.balance, wallet.pending_points()), (None, 0, 70));
        // An order that awaited nothing is not recounted.
        let (w, _, _) = decide(&Wallet::default(), &OrderFact { items: &unknown, ..paid_fact("s/1", 3_000_000) });
        assert!(matches!(w.decide_order(&recount, None, &settings, &bonus), OrderDecision::Unchanged(_)));
    }

    #[test]
    fn a_refund_of_an_order_never_paid_is_unknown() {
        let refund = OrderFact { what: Fact::Refund { id: "r".into(), amount: 1 }, ..paid_fact("s/9", 0) };
        assert_eq!(Wallet::default().decide_order(&refund, None, &Settings::default(), &NO_BONUS), OrderDecision::UnknownOrder);
    }

    #[test]
    fn spend_in_the_window_raises_the_tier_and_its_multiplier() {
        let (w, _) = order(&Wallet::default(), paid_fact("s/1", 20_000_000));
        assert_eq!(w.tier.as_deref(), Some("silver"));
        let (_, points) = order(&w, paid_fact("s/2", 1_000_000));
        assert_eq!(points, 12, "10 points × 1.25, rounded down");
    }

    #[test]
    fn the_next_tier_counts_only_the_spend_still_in_the_window() {
        let settings = Settings::default();
        let now = current_month(&settings, at());
        let spend = |months: &[(MonthIndex, i64)]| Wallet { spend: months.iter().map(|&(month, amount)| MonthSpend { month, amount }).collect(), ..Wallet::default() };
        let next = spend(&[(now - 13, 9_000_000), (now - 2, 5_000_000)]).next_tier(&settings, at()).unwrap();
        assert_eq!((next.name, next.min_spend, next.spend, next.remaining), ("silver", 20_000_000, 5_000_000, 15_000_000), "a month that left the window counts nothing");
        let silver = Wallet { tier: Some("silver".into()), ..spend(&[(now, 30_000_000)]) };
        assert_eq!(silver.next_tier(&settings, at()).map(|n| (n.name, n.remaining)), Some(("gold", 70_000_000)));
        assert_eq!(Wallet { tier: Some("gold".into()), ..Wallet::default() }.next_tier(&settings, at()), None, "the top tier has no next");
    }

    fn with_pending_days(days: u32) -> Settings {
        Settings { pending_days: days, ..Settings::default() }
    }

    #[test]
    fn pending_points_wait_for_their_day_and_a_refund_inside_the_window_takes_from_them() {
        let settings = with_pending_days(14);
        let paid = match Wallet::default().decide_order(&paid_fact("s/1", 3_000_000), None, &settings, &NO_BONUS) {
            OrderDecision::Apply { wallet, applied: None, .. } => *wallet,
            other => panic!("{other:?}"),
        };
        assert_eq!((paid.balance, paid.pending_points(), paid.seq), (0, 30, 0), "nothing reaches the ledger yet");
        assert_eq!(paid.pending[0].due, settings.timezone.day(at()) + 14);
        let refund = OrderFact { what: Fact::Refund { id: "r".into(), amount: 1_000_000 }, ..paid_fact("s/1", 0) };
        let refunded = match paid.decide_order(&refund, None, &settings, &NO_BONUS) {
            OrderDecision::Apply { wallet, applied: None, .. } => *wallet,
            other => panic!("{other:?}"),
        };
        assert_eq!((refunded.balance, refunded.pending_points()), (0, 20));
        let credited = match refunded.decide_credit("s/1", at(), 112) {
            Decision::Apply { wallet, applied, .. } => {
                assert_eq!((applied.entry.kind, applied.entry.points, applied.entry.reference.as_deref()), (Kind::Earn, 20, Some("s/1")));
                *wallet
            }
            other => panic!("{other:?}"),
        };
        assert_eq!((credited.balance, credited.pending_points()), (20, 0));
        assert!(matches!(credited.decide_credit("s/1", at(), 112), Decision::Already(_)));
        let cancel = OrderFact { what: Fact::Cancel, ..paid_fact("s/1", 0) };
        let (after, taken) = order(&credited, cancel);
        assert_eq!((taken, after.balance), (-20, 0), "after the window a cancellation takes back");
    }

    #[test]
    fn a_cancellation_inside_the_window_cancels_the_pending_points() {
        let settings = with_pending_days(7);
        let OrderDecision::Apply { wallet, .. } = Wallet::default().decide_order(&paid_fact("s/1", 3_000_000), None, &settings, &NO_BONUS) else { panic!() };
        let cancel = OrderFact { what: Fact::Cancel, ..paid_fact("s/1", 0) };
        let OrderDecision::Apply { wallet, applied: None, .. } = wallet.decide_order(&cancel, None, &settings, &NO_BONUS) else { panic!() };
        assert_eq!((wallet.balance, wallet.pending.len(), wallet.seq), (0, 0, 0));
        assert_eq!(wallet.decide_credit("s/1", at(), 112), Decision::Nothing);
    }

    #[test]
    fn expiry_takes_the_month_and_older_lots_once() {
        let w = apply(&Wallet::default(), change("a", Kind::Earn, 10, 100));
        let w = apply(&w, change("b", Kind::Earn, 7, 101));
        assert_eq!(w.decide_expiry(99, at()), Decision::Nothing);
        let Decision::Apply { wallet, applied, .. } = w.decide_expiry(100, at()) else { panic!() };
        assert_eq!((applied.entry.kind, applied.entry.points, wallet.balance), (Kind::Expire, -10, 7));
        assert_eq!(applied.entry.reference.as_deref(), Some(month_name(100).as_str()));
        assert!(matches!(wallet.decide_expiry(100, at()), Decision::Already(_)));
        invariant(&wallet);
    }

    #[test]
    fn the_review_lowers_a_tier_whose_spend_left_the_window() {
        let settings = Settings::default();
        let month = current_month(&settings, at());
        let (w, _) = order(&Wallet::default(), OrderFact { month, ..paid_fact("s/1", 20_000_000) });
        assert_eq!(w.tier.as_deref(), Some("silver"));
        // The month's spend leaves the 13-month window 13 months on.
        let leaves = month_start(month + 13);
        assert!(w.next_review(at(), &settings).is_some_and(|d| d <= leaves));
        let day_before = DateTime::<Utc>::from_timestamp((leaves as i64 - 1) * 86_400 + 43_200, 0).unwrap();
        assert_eq!(w.reviewed(day_before, &settings).tier.as_deref(), Some("silver"));
        let on_the_day = DateTime::<Utc>::from_timestamp(leaves as i64 * 86_400 + 43_200, 0).unwrap();
        let reviewed = w.reviewed(on_the_day, &settings);
        assert_eq!((reviewed.tier, reviewed.segment), (None, Segment::Lapsed));
    }

    #[test]
    fn an_upgrade_is_noted_on_the_purchase_that_made_it() {
        let settings = Settings::default();
        let OrderDecision::Apply { applied: Some(applied), .. } = Wallet::default().decide_order(&paid_fact("s/1", 20_000_000), None, &settings, &NO_BONUS) else { panic!() };
        assert_eq!(applied.entry.note.as_deref(), Some("tier_upgrade:silver"));
    }

    #[test]
    fn months_start_on_their_first_day() {
        // 1 Farvardin 1405 is 2026-03-21.
        let nowruz = chrono::NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
        assert_eq!(month_start(month_index(1405, 1)), day_of(nowruz));
        assert_eq!(month_name(month_index(1404, 12)), "1404-12");
    }
}
