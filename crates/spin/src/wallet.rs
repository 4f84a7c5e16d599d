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
use vafa_core::error::{Error, Result};
use vafa_core::ledger::Entry;
use vafa_core::settings::Settings;
use vafa_core::wallet::{Applied, Bonus, Change, Decision, Lot, OrderDecision, OrderFact, OrderState, Wallet};

/// What a change came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Applied now, or (`repeat`) by an earlier try of the same operation.
    Applied { applied: Applied, repeat: bool },
    /// A spend the balance does not cover; nothing changed.
    Insufficient { balance: i64 },
}

/// What a decision on the wallet asks the store to do.
struct Step<R> {
    /// The wallet to swap in, the change it applied, and what falls out of
    /// it (a ledger entry, an order's state) to be written first.
    write: Option<(Wallet, Applied, Option<Applied>, Option<OrderState>)>,
    result: R,
}

/// Runs `decide` on member `number`'s wallet under compare-and-swap and
/// does the writes around the swap in the order that survives a kill:
/// whatever falls out of the wallet is written before the swap, the new
/// ledger entry after it. Returns `decide`'s result.
fn update<R>(kv: &Kv, number: u64, opening_lot: i32, mut decide: impl FnMut(&Wallet) -> Result<Step<R>>) -> Result<R> {
    let key = keys::wallet(number);
    let writer = vafa_core::secret::encode_readable(&crate::clock::random::<10>()?);
    loop {
        let mut outcome = None;
        let updated = kv.update(&key, |wallet: Wallet| {
            let step = decide(&wallet)?;
            let (next, applied) = match step.write {
                None => (None, None),
                Some((mut next, applied, evicted, closed)) => {
                    next.writer.clone_from(&writer);
                    if let Some(old) = &evicted {
                        write_entry_if_missing(kv, number, old)?;
                    }
                    if let Some(order) = &closed {
                        crate::orders::save_state(kv, number, order)?;
                    }
                    (Some(next), Some(applied))
                }
            };
            outcome = Some((step.result, applied));
            Ok(next)
        })?;
        if updated.is_none() {
            open_legacy_wallet(kv, number, opening_lot)?;
            continue;
        }
        let (result, applied) = outcome.ok_or_else(|| Error::internal("wallet update decided nothing"))?;
        if let Some(a) = &applied {
            kv.put(&keys::ledger(number, a.slot), &a.entry)?;
        }
        return Ok(result);
    }
}

/// Applies a change to member `number`'s points, exactly once per
/// `change.op`.
pub fn change(kv: &Kv, number: u64, change: &Change) -> Result<Outcome> {
    update(kv, number, change.expires, |wallet| {
        Ok(match wallet.decide(change) {
            Decision::Already(applied) => {
                // Written again: the kill that made this a retry may have come
                // before the entry was.
                kv.put(&keys::ledger(number, applied.slot), &applied.entry)?;
                Step { write: None, result: Outcome::Applied { applied, repeat: true } }
            }
            Decision::Insufficient { balance } => Step { write: None, result: Outcome::Insufficient { balance } },
            Decision::Apply { wallet, applied, evicted } => Step { write: Some((*wallet, applied.clone(), evicted, None)), result: Outcome::Applied { applied, repeat: false } },
        })
    })
}

/// What applying one fact of an order came to, with the member's balance
/// and tier after it.
#[derive(Debug, Clone)]
pub enum FactOutcome {
    /// Applied now (`repeat`: by an earlier try); the order's state after it.
    Applied { applied: Applied, repeat: bool, state: Option<OrderState>, tier: String },
    /// Already true of the order.
    Unchanged { state: OrderState, balance: i64, tier: String },
    /// A refund or cancellation of an order the member never paid.
    UnknownOrder { balance: i64, tier: String },
}

/// The tier's name as members see it (the first tier when none was reached).
fn tier_name(wallet: &Wallet, settings: &Settings) -> String {
    wallet.tier.clone().unwrap_or_else(|| settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default())
}

/// Applies one fact of an order to member `number`'s wallet, exactly once.
/// `known`: the order's state from its own record, for an order the wallet
/// no longer holds.
pub fn order_fact(kv: &Kv, number: u64, fact: &OrderFact<'_>, known: Option<&OrderState>, settings: &Settings, bonus: &Bonus<'_>) -> Result<FactOutcome> {
    update(kv, number, fact.expires, |wallet| {
        let tier = tier_name(wallet, settings);
        Ok(match wallet.decide_order(fact, known, settings, bonus) {
            OrderDecision::Already(applied) => {
                kv.put(&keys::ledger(number, applied.slot), &applied.entry)?;
                let state = wallet.order(fact.key).cloned();
                Step { write: None, result: FactOutcome::Applied { applied, repeat: true, state, tier } }
            }
            OrderDecision::Unchanged(state) => Step { write: None, result: FactOutcome::Unchanged { state, balance: wallet.balance, tier } },
            OrderDecision::UnknownOrder => Step { write: None, result: FactOutcome::UnknownOrder { balance: wallet.balance, tier } },
            OrderDecision::Apply { wallet, applied, evicted, state, closed } => {
                let tier = tier_name(&wallet, settings);
                Step { write: Some((*wallet, applied.clone(), evicted, closed)), result: FactOutcome::Applied { applied, repeat: false, state: Some(state), tier } }
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
    kv.put(&keys::wallet(number), &Wallet::default())
}

/// Members made before wallets existed kept their balance in a counter and
/// their entries in the ledger: their wallet is opened from those, once. The
/// record cannot be created exclusively by compare-and-swap (Spin's SQLite
/// store upserts an absent key), so one writer wins a claim and writes it;
/// the others wait for it, briefly.
fn open_legacy_wallet(kv: &Kv, number: u64, expires: i32) -> Result<()> {
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
