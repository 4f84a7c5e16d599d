//! Reward codes seen in a store's order webhook. A paid order that carries
//! a code in its coupon lines links it to the order (`code-order:{CODE}`),
//! and the redemption component reads the link with the code: a store that
//! only sends webhooks still has its codes marked used. The link is a
//! plain write, so the webhook does not have to decode redemptions. Codes
//! given as an automation's reward are issued here too ([`gift`]).

use crate::keys;
use crate::kv::{Kv, decode};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use vafa_core::error::Result;
use vafa_core::redemption::{Redemption, State, code_from, normalize_code};
use vafa_core::reward::Reward;

/// Links each of `coupons` that could be a reward code to `order_id`; the
/// first order to carry a code keeps it.
pub fn link_to_order(kv: &Kv, coupons: &[String], order_id: &str) -> Result<()> {
    for code in coupons.iter().filter_map(|c| normalize_code(c)) {
        let key = keys::code_order(&code);
        if kv.get_raw(&key)?.is_none() {
            kv.set_raw(&key, order_id.as_bytes())?;
        }
    }
    Ok(())
}

/// The keys of a code's record and of its order link, to read in one batch
/// (with whatever else the caller needs).
pub fn keys_of(code: &str) -> [String; 2] {
    [keys::code(code), keys::code_order(code)]
}

/// A code's record as it stands, from a batch read of [`keys_of`]: used by
/// the order a webhook linked it to, if any (also returned, for a
/// compare-and-swap that must see the same).
pub fn read(found: &HashMap<String, Vec<u8>>, code: &str, now: DateTime<Utc>) -> Result<(Option<Redemption>, Option<String>)> {
    let [key, link] = keys_of(code);
    let order = found.get(&link).map(|b| String::from_utf8_lossy(b).into_owned());
    let record = found.get(&key).map(|b| decode::<Redemption>(&key, b)).transpose()?;
    Ok((record.map(|r| r.with_order(order.clone(), now)), order))
}


/// Issues a fresh code of `reward` to a member as a gift (an automation's
/// reward): no points are spent, a unit of stock is taken as for any
/// redemption. `id` names the redemption (`GET /api/redemptions/{id}`).
/// `None`: the reward is inactive or out of stock.
pub fn gift(kv: &Kv, reward: &Reward, member_id: &str, id: String, now: DateTime<Utc>) -> Result<Option<Redemption>> {
    if !reward.active {
        return Ok(None);
    }
    if let Some(limit) = reward.stock
        && kv.increment(&keys::reward_taken(&reward.id), 1)? > limit as i64
    {
        kv.increment(&keys::reward_taken(&reward.id), -1)?;
        return Ok(None);
    }
    let code = loop {
        if let Some(c) = code_from(&crate::clock::random::<24>()?) {
            break c;
        }
    };
    let expires_at = now + chrono::Duration::days(reward.valid_days.into());
    let gift = Reward { cost: 0, ..reward.clone() };
    let record = Redemption { id, code, member_id: member_id.to_string(), reward: gift, state: State::Issued, created_at: now, expires_at, lot: 0, stock: reward.stock.is_some(), lock: None, order_id: None, balance: None };
    kv.put(&keys::redemption(&record.id), &record)?;
    kv.put(&keys::code(&record.code), &record)?;
    Ok(Some(record))
}
