//! Orders in the store: the facts a webhook states (paid, refunds,
//! cancelled) applied to the member's wallet once each, and the order's own
//! record (`order_record`).
//!
//! The record (`order:{store}/{order}`) names the member, so a refund that
//! carries no phone (Shopify's) finds them; it keeps the order's state once
//! the wallet no longer holds it, and the answers given, so a redelivery is
//! answered from it in two reads without touching the wallet. It is written
//! before the first fact (with the member) and after each (with the state):
//! the wallet is the truth, the record its durable copy.

use crate::keys;
use crate::kv::Kv;
use crate::order_record::{self, DELIVERIES, Delivery, Record};
use crate::wallet::{self, FactOutcome};
use chrono::{DateTime, Utc};
use serde::Serialize;
use vafa_core::error::{Error, Result};
use vafa_core::order::{Item, OrderUpdate};
use vafa_core::settings::Settings;
use vafa_core::ledger::Kind;
use vafa_core::bonus::Rules;
use vafa_core::wallet::{Bonus, Change, Fact, OrderFact, expiry_month, month_index};

/// The webhook's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub member_id: String,
    pub points_delta: i64,
    /// The order's points still waiting for the return window to close.
    pub pending_points: i64,
    pub balance: i64,
    pub tier: String,
    pub duplicate: bool,
}

/// `{store}/{order id}`: the key of an order in records and wallets. An
/// order id is what platforms send (digits, `#1001`, `WC-1001`): 1–64
/// characters without spaces, slashes or control characters.
pub fn order_key(store: &str, order_id: &str) -> Result<String> {
    let ok = (1..=64).contains(&order_id.len()) && order_id.chars().all(|c| c.is_ascii_graphic() && c != '/');
    if !ok {
        return Err(Error::field("order_id", "expected 1-64 letters, digits or punctuation, no spaces or slashes"));
    }
    Ok(format!("{store}/{order_id}"))
}

/// The operation ids of the facts an update states, in the order they
/// apply: paid, then each refund, then cancelled.
fn facts(update: &OrderUpdate) -> Vec<Fact> {
    let mut out = Vec::new();
    if update.paid {
        out.push(Fact::Paid);
    }
    out.extend(update.refunds.iter().map(|r| Fact::Refund { id: r.id.clone(), amount: r.amount }));
    if update.cancelled {
        out.push(Fact::Cancel);
    }
    out
}

fn op_of(key: &str, fact: &Fact) -> String {
    OrderFact { key, reference: "", total: 0, items: &[], store: None, what: fact.clone(), at: DateTime::<Utc>::UNIX_EPOCH, month: 0, expires: 0, award: true, awaiting: false }.op()
}

fn ops(key: &str, update: &OrderUpdate) -> Vec<String> {
    facts(update).iter().map(|f| op_of(key, f)).collect()
}

/// A redelivery of a delivery answered before: the same body, from the
/// record alone.
pub fn known_answer(record: &Record, key: &str, update: &OrderUpdate) -> Option<Answer> {
    let ops = ops(key, update);
    let d = record.deliveries.iter().find(|d| d.ops == ops)?;
    Some(Answer { member_id: keys::member_id(record.member), points_delta: d.points_delta, pending_points: d.pending_points, balance: d.balance, tier: d.tier.clone(), duplicate: true })
}

/// Who an order is for: their number, the member who referred them (paid
/// once, on their first paid order) and their tags (for bonus rules).
pub struct Buyer<'a> {
    pub number: u64,
    pub referred_by: Option<&'a str>,
    pub tags: &'a [String],
}

/// The club's rules for earning: its settings and bonus rules.
pub struct Club<'a> {
    pub settings: &'a Settings,
    pub rules: &'a Rules,
}

/// How an order is counted: as it happens (a webhook), or as a store's past
/// order brought in (`backfill`): on the day it was placed, earning only if
/// asked, and making no event (so no message).
#[derive(Debug, Clone, Copy)]
pub struct How {
    /// Now, and when the order is counted as placed.
    pub now: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub award: bool,
    pub events: bool,
    /// The lines' categories are still being read from the platform
    /// (`crate::catalog`): the order is recounted once they are known.
    pub awaiting: bool,
}

impl How {
    pub fn live(now: DateTime<Utc>) -> How {
        How { now, at: now, award: true, events: true, awaiting: false }
    }

    pub fn backfill(update: &OrderUpdate, award: bool, now: DateTime<Utc>) -> How {
        How { now, at: update.occurred_at.filter(|t| *t <= now).unwrap_or(now), award, events: false, awaiting: false }
    }
}

/// Applies every fact of `update` to the buyer's points. `record` is the
/// order's record as read (absent for a new order).
pub fn apply(kv: &Kv, club: &Club<'_>, store: &str, update: &OrderUpdate, buyer: &Buyer<'_>, record: Option<Record>, how: How) -> Result<Answer> {
    let now = how.now;
    let (settings, rules) = (club.settings, club.rules);
    let number = buyer.number;
    let bonus = Bonus { rules, tags: buyer.tags };
    let key = order_key(store, &update.order_id)?;
    let mut record = match record {
        Some(r) => r,
        // Named before the first fact, so a refund without a phone finds
        // the member even if this call dies half-way; a refund of an
        // unknown order writes nothing.
        None if update.paid => {
            let r = Record::new(number);
            kv.put(&keys::order(&key), &r)?;
            r
        }
        None => Record::new(number),
    };
    let expires = expiry_month(settings, now);
    let placed = settings.timezone.jalali_today(how.at);
    let month = month_index(placed.year, placed.month);
    // The points this delivery reports: those of the facts not answered to
    // the store before (a fact applied by a try that died unanswered
    // counts); `duplicate` unless this call applied one.
    let mut answer = Answer { member_id: keys::member_id(number), points_delta: 0, pending_points: 0, balance: 0, tier: String::new(), duplicate: true };
    let mut state = record.state.clone();
    for what in facts(update) {
        let fact = OrderFact { key: &key, reference: &update.order_id, total: update.total, items: &update.items, store: update.store.as_ref().map(|(c, t)| (c.as_str(), *t)), what, at: how.at, month, expires, award: how.award, awaiting: how.awaiting };
        let op = fact.op();
        let answered = record.facts.contains(&op);
        let (points, balance, pending, tier) = match wallet::order_fact(kv, number, &fact, state.as_ref(), settings, &bonus, how.events)? {
            FactOutcome::Applied { applied, repeat, state: after, balance, pending, tier } => {
                answer.duplicate &= repeat;
                if after.is_some() {
                    state = after;
                }
                (applied.map_or(0, |a| a.entry.points), balance, pending, tier)
            }
            FactOutcome::Unchanged { balance, pending, tier, .. } => (0, balance, pending, tier),
            // Cancelling an order that earned nothing takes nothing back.
            FactOutcome::UnknownOrder { balance, tier } if matches!(fact.what, Fact::Cancel) => (0, balance, 0, tier),
            FactOutcome::UnknownOrder { .. } => return Err(Error::NotFound(format!("order {} (no payment recorded for it)", update.order_id))),
        };
        if !answered {
            answer.points_delta += points;
            record.facts.push(op);
        }
        answer.balance = balance;
        answer.pending_points = pending;
        answer.tier = tier;
    }
    // A referral pays on the first paid order once its points count: at
    // once, or when the return window closes (the points tick pays it then).
    if let (Some(referrer), true) = (buyer.referred_by.filter(|_| how.award), state.as_ref().is_some_and(|s| s.first && !s.cancelled) && answer.pending_points == 0) {
        let op = "referral".to_string();
        let (points, balance) = referral(kv, settings, number, referrer, expires, now)?;
        if !record.facts.contains(&op) {
            answer.points_delta += points;
            record.facts.push(op);
        }
        answer.balance = balance;
    }
    let ops = ops(&key, update);
    if !record.deliveries.iter().any(|d| d.ops == ops) {
        record.deliveries.push(Delivery { ops, points_delta: answer.points_delta, pending_points: answer.pending_points, balance: answer.balance, tier: answer.tier.clone() });
        if record.deliveries.len() > DELIVERIES {
            record.deliveries.remove(0);
        }
    }
    record.state = state;
    kv.put(&keys::order(&key), &record)?;
    Ok(answer)
}

/// Counts a paid order again now that its lines' categories (`items`) are
/// known (`crate::catalog`), once, as placed at `how.at`; its purchase is
/// recorded again with them if it made events. `false`: the order is not
/// counted yet.
pub fn recount(kv: &Kv, club: &Club<'_>, key: &str, items: &[Item], buyer: &Buyer<'_>, how: How) -> Result<bool> {
    let (at, now) = (how.at, how.now);
    let Some(mut record) = order_record::get(kv, key)? else { return Ok(false) };
    let settings = club.settings;
    let expires = expiry_month(settings, now);
    let reference = key.split_once('/').map_or(key, |(_, id)| id);
    let fact = OrderFact { key, reference, total: 0, items, store: None, what: Fact::Categories, at, month: 0, expires, award: true, awaiting: false };
    let bonus = Bonus { rules: club.rules, tags: buyer.tags };
    let state = match wallet::order_fact(kv, buyer.number, &fact, record.state.as_ref(), settings, &bonus, false)? {
        FactOutcome::Applied { state: Some(state), .. } | FactOutcome::Unchanged { state, .. } => state,
        FactOutcome::Applied { state: None, .. } => return Ok(true),
        FactOutcome::UnknownOrder { .. } => return Ok(false),
    };
    if how.events && !state.categories.is_empty() {
        wallet::record_event(kv, settings, &vafa_core::event::purchase(&keys::member_id(buyer.number), key, &state.categories, at))?;
    }
    record.state = Some(state);
    kv.put(&keys::order(key), &record)?;
    Ok(true)
}

/// A referred member's first paid order pays both sides once (each side's
/// change has its own operation id). Returns the referee's points and
/// balance after.
pub(crate) fn referral(kv: &Kv, settings: &Settings, number: u64, referrer: &str, expires: i32, now: DateTime<Utc>) -> Result<(i64, i64)> {
    let referee_id = keys::member_id(number);
    let change = |op: String, points: u64| Change { op, kind: Kind::Referral, points: points as i64, reference: None, at: now, expires, must_cover: false, note: None };
    if let Some(referrer_number) = keys::member_number(referrer)
        && settings.referral_points.referrer > 0
    {
        let to_referrer = Change { reference: Some(referee_id.clone()), ..change(format!("referral:{referee_id}"), settings.referral_points.referrer) };
        wallet::change(kv, settings, referrer_number, &to_referrer)?;
    }
    let to_referee = Change { reference: Some(referrer.to_string()), ..change("referral".into(), settings.referral_points.referee) };
    match wallet::change(kv, settings, number, &to_referee)? {
        wallet::Outcome::Applied { applied, .. } => Ok((applied.entry.points, applied.entry.balance)),
        wallet::Outcome::Insufficient { .. } | wallet::Outcome::Nothing => Err(Error::internal("a referral credit is never refused")),
    }
}
