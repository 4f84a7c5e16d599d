//! Reward codes seen in a store's order webhook. A paid order that carries
//! a code in its coupon lines links it to the order (`code-order:{CODE}`),
//! and the redemption component reads the link with the code: a store that
//! only sends webhooks still has its codes marked used. The link is a
//! plain write, so the webhook does not have to decode redemptions. Codes
//! given as an automation's reward are issued here too ([`gift`]), with
//! their coupon on the member's store (`crate::coupons`). Each
//! code a member is given is indexed under the member before its record is
//! written ([`index`]), so their page lists their codes without a scan.

use crate::keys;
use crate::kv::{Kv, decode};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use vafa_core::error::Result;
use vafa_core::redemption::{Redemption, State, code_from, normalize_code};
use vafa_core::member::Member;
use vafa_core::reward::Reward;
use vafa_core::shop::Shop;

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
pub fn gift(kv: &Kv, reward: &Reward, member: &Member, id: String, now: DateTime<Utc>) -> Result<Option<Redemption>> {
    let member_id = member.id.as_str();
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
    index(kv, member_id, &code)?;
    let gift = Reward { cost: 0, ..reward.clone() };
    let record = Redemption { id, code, member_id: member_id.to_string(), reward: gift, state: State::Issued, created_at: now, expires_at, lot: 0, stock: reward.stock.is_some(), lock: None, order_id: None, balance: None };
    kv.put(&keys::redemption(&record.id), &record)?;
    // Its coupon before the code can be used.
    let shop = match &member.store_id {
        Some(store) => kv.get::<Shop>(&keys::store(store))?,
        None => None,
    };
    crate::coupons::issue(kv, shop.as_ref(), &record, now)?;
    kv.put(&keys::code(&record.code), &record)?;
    Ok(Some(record))
}

/// Codes a member's page looks back over: the newest, since codes expire.
pub const MEMBER_CODES: u64 = 20;

/// Puts `code` in its member's list. Written before the code's record: a
/// code that was never issued (a redemption that failed or was killed)
/// leaves an entry readers pass over.
pub fn index(kv: &Kv, member_id: &str, code: &str) -> Result<()> {
    let Some(number) = keys::member_number(member_id) else { return Ok(()) };
    kv.append(&keys::member_codes_len(number), |k| keys::member_code(number, k), code.as_bytes())?;
    Ok(())
}

/// The member's codes that can still be used (issued, unused, unexpired),
/// newest first, from the last [`MEMBER_CODES`] they were given: three
/// batch reads.
pub fn live_for(kv: &Kv, number: u64, now: DateTime<Utc>) -> Result<Vec<Redemption>> {
    let len = kv.counter(&keys::member_codes_len(number))?.max(0) as u64;
    let slots: Vec<String> = (1..=len).rev().take(MEMBER_CODES as usize).map(|k| keys::member_code(number, k)).collect();
    let listed = kv.get_many(&slots)?;
    let codes: Vec<String> = slots.iter().filter_map(|k| listed.get(k)).map(|b| String::from_utf8_lossy(b).into_owned()).collect();
    let found = kv.get_many(&codes.iter().flat_map(|c| keys_of(c)).collect::<Vec<_>>())?;
    let mut live = Vec::new();
    for code in &codes {
        if let (Some(record), _) = read(&found, code, now)?
            && record.state == State::Issued
            && now < record.expires_at
        {
            live.push(record);
        }
    }
    Ok(live)
}
