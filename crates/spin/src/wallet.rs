//! The points journal in the store: every change of a member's points —
//! earn, refund, referral, adjust, expiry, redeem — goes through here.
//!
//! A change is one compare-and-swap of the member's wallet record
//! (`vafa_core::wallet`), which moves the balance, the lots and the ledger
//! slot together; the ledger entry is written after the swap. The wallet
//! keeps its recent changes, so:
//! - a change retried after a kill anywhere is recognised by its operation
//!   id and answers what it did the first time, writing its ledger entry if
//!   the kill came before that;
//! - an entry is never lost: until it is written it is in the wallet, and a
//!   change that would push it out of the recent list writes it first;
//! - readers see the entry at once: the ledger listing takes the wallet's
//!   copy of any entry not written yet.
//!
//! So a member's balance equals the sum of their ledger entries after every
//! key-value operation, not only once a retry has run.

use crate::keys;
use crate::kv::Kv;
use chrono::{DateTime, Utc};
use vafa_core::error::{Error, Result};
use vafa_core::event::{self, Event};
use vafa_core::ledger::Entry;
use vafa_core::settings::Settings;
use vafa_core::wallet::{Applied, Bonus, Change, Decision, Lot, MonthIndex, OrderDecision, OrderFact, OrderState, Wallet, expiry_month};

/// What a change came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Applied now, or (`repeat`) by an earlier try of the same operation.
    Applied { applied: Applied, repeat: bool },
    /// A spend the balance does not cover; nothing changed.
    Insufficient { balance: i64 },
    /// Nothing was due.
    Nothing,
}

/// A wallet to swap in, the ledger entry it adds (none for a change that
/// moves no balance) and what falls out of it (an entry, an order's state),
/// to be written first.
struct Write {
    wallet: Wallet,
    applied: Option<Applied>,
    evicted: Option<Applied>,
    closed: Option<OrderState>,
}

impl Write {
    fn change(wallet: Box<Wallet>, applied: Applied, evicted: Option<Applied>) -> Write {
        Write { wallet: *wallet, applied: Some(applied), evicted, closed: None }
    }
}

/// What a decision on the wallet asks the store to do.
struct Step<R> {
    write: Option<Write>,
    result: R,
}

/// Runs `decide` on member `number`'s wallet under compare-and-swap and
/// does the writes around the swap in the order that survives a kill.
/// Before the swap: whatever falls out of the wallet, the index slot of its
/// next review day and the events it makes (a higher tier, a reminder due,
/// and in the daily `review` a segment entered with time); after it, the
/// new ledger entry, then what the change adds to the club's numbers
/// (`stats`). Returns `decide`'s result.
fn update<R>(kv: &Kv, settings: &Settings, number: u64, now: DateTime<Utc>, review: bool, events: bool, mut decide: impl FnMut(&Wallet) -> Result<Step<R>>) -> Result<R> {
    let key = keys::wallet(number);
    let writer = vafa_core::secret::encode_readable(&crate::clock::random::<10>()?);
    loop {
        let (mut outcome, mut delta) = (None, None);
        let updated = kv.update(&key, |before: Wallet| {
            delta = None;
            let step = decide(&before)?;
            let (next, applied) = match step.write {
                None => (None, None),
                Some(Write { wallet: mut next, applied, evicted, closed }) => {
                    delta = Some(vafa_core::stats::wallet_delta(&before, &next, applied.as_ref().map(|a| &a.entry), &settings.timezone));
                    next.writer.clone_from(&writer);
                    if let Some(old) = &evicted {
                        write_entry_if_missing(kv, number, old)?;
                    }
                    if let Some(order) = &closed {
                        crate::order_record::save_state(kv, number, order)?;
                    }
                    schedule(kv, settings, number, &mut next, now)?;
                    for e in event::changes(&before, &next, &keys::member_id(number), now, settings, review).into_iter().filter(|_| events) {
                        record_event(kv, settings, &e)?;
                    }
                    (Some(next), applied)
                }
            };
            outcome = Some((step.result, applied));
            Ok(next)
        })?;
        if updated.is_none() {
            open_legacy_wallet(kv, number, expiry_month(settings, now))?;
            continue;
        }
        let (result, applied) = outcome.ok_or_else(|| Error::internal("wallet update decided nothing"))?;
        if let Some(a) = &applied {
            kv.put(&keys::ledger(number, a.slot), &a.entry)?;
        }
        // The club's numbers, once the change is in (the last try's decision).
        if let Some(d) = &delta {
            crate::stats::wallet(kv, settings, d, now);
        }
        return Ok(result);
    }
}

/// Indexes the member's next review (a pending order due, a reminder or an
/// expiry, a segment or tier to re-check) when it comes sooner than the one
/// indexed, or that one has passed. A slot written for a swap that then
/// loses is harmless: the tick finds nothing to do.
fn schedule(kv: &Kv, settings: &Settings, number: u64, next: &mut Wallet, now: DateTime<Utc>) -> Result<()> {
    // A past order brought in is dated back; its review is still ahead.
    let today = settings.timezone.day(now.max(crate::clock::now()));
    if let Some(want) = next.next_review(now, settings).map(|d| d.max(today + 1))
        && next.review.is_none_or(|r| want < r || r <= today)
    {
        kv.append(&keys::review_len(want), |k| keys::review(want, k), number.to_string().as_bytes())?;
        next.review = Some(want);
    }
    Ok(())
}

/// Records an event under the club day it happened on.
pub fn record_event(kv: &Kv, settings: &Settings, e: &Event) -> Result<()> {
    let day = settings.timezone.day(e.at);
    let bytes = serde_json::to_vec(e).map_err(|err| Error::internal(format!("event: {err}")))?;
    kv.append(&keys::events_len(day), |k| keys::event(day, k), &bytes).map(drop)
}

/// An operation already applied: its entry is written again (the kill that
/// made this a retry may have come before it was).
fn already<R>(kv: &Kv, number: u64, applied: Applied, result: impl FnOnce(Applied) -> R) -> Result<Step<R>> {
    kv.put(&keys::ledger(number, applied.slot), &applied.entry)?;
    Ok(Step { write: None, result: result(applied) })
}

/// Runs a decision on the wallet that is one change of points.
fn decided(kv: &Kv, number: u64, decision: Decision) -> Result<Step<Outcome>> {
    match decision {
        Decision::Already(applied) => already(kv, number, applied, |applied| Outcome::Applied { applied, repeat: true }),
        Decision::Insufficient { balance } => Ok(Step { write: None, result: Outcome::Insufficient { balance } }),
        Decision::Nothing => Ok(Step { write: None, result: Outcome::Nothing }),
        Decision::Apply { wallet, applied, evicted } => Ok(Step { result: Outcome::Applied { applied: applied.clone(), repeat: false }, write: Some(Write::change(wallet, applied, evicted)) }),
    }
}

/// Applies a change to member `number`'s points, exactly once per
/// `change.op`.
pub fn change(kv: &Kv, settings: &Settings, number: u64, change: &Change) -> Result<Outcome> {
    update(kv, settings, number, change.at, false, true, |wallet| decided(kv, number, wallet.decide(change)))
}

/// Credits the pending points of order `key` (its due day has come), once.
pub fn credit(kv: &Kv, settings: &Settings, number: u64, key: &str, now: DateTime<Utc>) -> Result<Outcome> {
    let expires = expiry_month(settings, now);
    update(kv, settings, number, now, true, true, |wallet| decided(kv, number, wallet.decide_credit(key, now, expires)))
}

/// Expires member `number`'s points in lots that end with `month` or
/// before, once.
pub fn expire(kv: &Kv, settings: &Settings, number: u64, month: MonthIndex, now: DateTime<Utc>) -> Result<Outcome> {
    update(kv, settings, number, now, true, true, |wallet| decided(kv, number, wallet.decide_expiry(month, now)))
}

/// The daily review of a member: their tier against the window's spend,
/// their segment, the reminder of points about to expire, and their next
/// review, indexed.
pub fn review(kv: &Kv, settings: &Settings, number: u64, now: DateTime<Utc>) -> Result<()> {
    let today = settings.timezone.day(now);
    update(kv, settings, number, now, true, true, |wallet| {
        let next = wallet.reviewed(now, settings);
        let unchanged = next == *wallet && wallet.review.is_some_and(|r| r > today);
        Ok(Step { write: (!unchanged).then_some(Write { wallet: next, applied: None, evicted: None, closed: None }), result: () })
    })
}

/// What applying one fact of an order came to, with the member's balance
/// and tier after it.
#[derive(Debug, Clone)]
pub enum FactOutcome {
    /// Applied now (`repeat`: by an earlier try); the order's state after it.
    /// `applied` is none while the order's points are pending.
    Applied { applied: Option<Applied>, repeat: bool, state: Option<OrderState>, balance: i64, pending: i64, tier: String },
    /// Already true of the order.
    Unchanged { state: OrderState, balance: i64, pending: i64, tier: String },
    /// A refund or cancellation of an order the member never paid.
    UnknownOrder { balance: i64, tier: String },
}

/// The tier's name as members see it (the first tier when none was reached).
fn tier_name(wallet: &Wallet, settings: &Settings) -> String {
    wallet.tier.clone().unwrap_or_else(|| settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default())
}

/// The points still pending for order `key`.
fn pending_of(wallet: &Wallet, key: &str) -> i64 {
    wallet.pending.iter().filter(|p| p.key == key).map(|p| p.points).sum()
}

/// Applies one fact of an order to member `number`'s wallet, exactly once.
/// `known`: the order's state from its own record, for an order the wallet
/// no longer holds.
/// `events`: whether the change makes the events a purchase makes (a
/// higher tier…); a past order brought in makes none.
#[allow(clippy::too_many_arguments)]
pub fn order_fact(kv: &Kv, number: u64, fact: &OrderFact<'_>, known: Option<&OrderState>, settings: &Settings, bonus: &Bonus<'_>, events: bool) -> Result<FactOutcome> {
    update(kv, settings, number, fact.at, false, events, |wallet| {
        let tier = tier_name(wallet, settings);
        let pending = pending_of(wallet, fact.key);
        Ok(match wallet.decide_order(fact, known, settings, bonus) {
            OrderDecision::Already(applied) => {
                let state = wallet.order(fact.key).cloned();
                let balance = applied.entry.balance;
                already(kv, number, applied, |applied| FactOutcome::Applied { applied: Some(applied), repeat: true, state, balance, pending, tier })?
            }
            OrderDecision::Unchanged(state) => Step { write: None, result: FactOutcome::Unchanged { state, balance: wallet.balance, pending, tier } },
            OrderDecision::UnknownOrder => Step { write: None, result: FactOutcome::UnknownOrder { balance: wallet.balance, tier } },
            OrderDecision::Apply { wallet, applied, evicted, state, closed } => {
                let result = FactOutcome::Applied { applied: applied.clone(), repeat: false, state: Some(state), balance: wallet.balance, pending: pending_of(&wallet, fact.key), tier: tier_name(&wallet, settings) };
                Step { write: Some(Write { wallet: *wallet, applied, evicted, closed }), result }
            }
        })
    })
}

fn write_entry_if_missing(kv: &Kv, number: u64, applied: &Applied) -> Result<()> {
    let key = keys::ledger(number, applied.slot);
    if kv.get_raw(&key)?.is_none() {
        kv.put(&key, &applied.entry)?;
    }
    Ok(())
}

/// A new member's wallet, written before the member can be found.
pub fn open(kv: &Kv, number: u64) -> Result<()> {
    // An empty wallet: every other field has its default. Written as bytes
    // so that member creation does not link the wallet's encoder.
    kv.set_raw(&keys::wallet(number), br#"{"balance":0}"#)
}

/// A new wallet's entries to write, and what it adds to the club's numbers.
pub type Opening = (Vec<(String, Vec<u8>)>, Option<vafa_core::stats::WalletDelta>);

/// The wallet of a member an import makes, holding the points its row
/// brings (`change`), as entries to write with the member's record before
/// the phone is claimed: the number is nobody's yet, so no swap is needed.
/// Its review is indexed as any change's; what it adds to the club's
/// numbers is answered, to be counted once the member is in.
pub fn opening(kv: &Kv, settings: &Settings, number: u64, change: Option<&Change>, now: DateTime<Utc>) -> Result<Opening> {
    let empty = Wallet::default();
    let Some(Decision::Apply { wallet: mut next, applied, .. }) = change.map(|c| empty.decide(c)) else {
        return Ok((vec![(keys::wallet(number), br#"{"balance":0}"#.to_vec())], None));
    };
    let delta = vafa_core::stats::wallet_delta(&empty, &next, Some(&applied.entry), &settings.timezone);
    schedule(kv, settings, number, &mut next, now)?;
    Ok((vec![Kv::entry(keys::wallet(number), &*next)?, Kv::entry(keys::ledger(number, applied.slot), &applied.entry)?], Some(delta)))
}

/// Members made before wallets existed kept their balance in a counter and
/// their entries in the ledger: their wallet is opened from those, once. The
/// record cannot be created exclusively by compare-and-swap (Spin's SQLite
/// store upserts an absent key), so one writer wins a claim and writes it;
/// the others wait for it, briefly.
fn open_legacy_wallet(kv: &Kv, number: u64, expires: MonthIndex) -> Result<()> {
    let key = keys::wallet(number);
    if kv.claim(&keys::wallet_opening(number))? {
        let balance = kv.counter(&keys::points(number))?;
        let seq = kv.counter(&keys::ledger_len(number))? as u64;
        let lots = if balance > 0 { vec![Lot { expires, points: balance }] } else { Vec::new() };
        return kv.put(&key, &Wallet { balance, lots, seq, ..Wallet::default() });
    }
    for ms in [5, 10, 20, 40, 80] {
        if kv.get_raw(&key)?.is_some() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    Err(Error::Unavailable(format!("the wallet of member {number} is being opened")))
}

/// What a member's page shows of their wallet.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Summary {
    pub balance: i64,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub stats: vafa_core::member::Stats,
    #[serde(default)]
    pending: Vec<PendingPoints>,
    #[serde(default)]
    segment: vafa_core::segment::Segment,
    #[serde(default)]
    rfm: vafa_core::segment::Rfm,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct PendingPoints {
    points: i64,
}

impl Summary {
    /// What the member's page shows of it.
    pub fn standing(&self) -> vafa_core::member::Standing {
        vafa_core::member::Standing {
            points: self.balance,
            pending_points: self.pending.iter().map(|p| p.points).sum(),
            segment: self.segment,
            rfm: self.rfm,
        }
    }
}

/// The summary alone, from a wallet record's bytes (a reader that shows a
/// member need not decode the lots, orders and recent changes).
pub fn summary_of(key: &str, bytes: &[u8]) -> Result<Summary> {
    crate::kv::decode(key, bytes)
}

/// A member's wallet as it is (a legacy member's from their counter).
pub fn read(kv: &Kv, number: u64) -> Result<Wallet> {
    match kv.get::<Wallet>(&keys::wallet(number))? {
        Some(w) => Ok(w),
        None => Ok(Wallet { balance: kv.counter(&keys::points(number))?, seq: kv.counter(&keys::ledger_len(number))? as u64, ..Wallet::default() }),
    }
}

/// Newest first; `before` is the slot of the previous page's last entry.
/// An entry not written yet is read from the wallet.
pub fn ledger(kv: &Kv, number: u64, limit: usize, before: Option<u64>) -> Result<(Vec<Entry>, Option<u64>)> {
    let wallet = read(kv, number)?;
    let top = before.map_or(wallet.seq, |b| wallet.seq.min(b.saturating_sub(1)));
    let slots: Vec<u64> = (1..=top).rev().take(limit).collect();
    let key_list: Vec<String> = slots.iter().map(|k| keys::ledger(number, *k)).collect();
    let found = kv.get_many(&key_list)?;
    let mut entries = Vec::with_capacity(slots.len());
    for (slot, key) in slots.iter().zip(&key_list) {
        match found.get(key) {
            Some(bytes) => entries.push(crate::kv::decode(key, bytes)?),
            None => entries.extend(wallet.recent.iter().find(|a| a.slot == *slot).map(|a| a.entry.clone())),
        }
    }
    let next = slots.last().copied().filter(|k| *k > 1);
    Ok((entries, next))
}
