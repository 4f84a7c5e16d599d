//! Redemptions: points spent on a reward for a single-use code, in an
//! order that survives a kill anywhere. The reward's stock unit is taken,
//! the redemption is written `pending` under its id (with the code it
//! will issue), then the points are spent (the wallet's swap, the commit
//! point), then the code's SMS is queued and the code's own record is
//! written `issued`: only then can a store use it. A retry with the same
//! idempotency key finds the redemption and finishes it from where it
//! stopped; the points are spent once (the journal knows the operation).
//! For a store with platform credentials, the code's coupon is recorded
//! before the code's own record ([`crate::coupons`]), and the coupons tick
//! makes it. A kill between taking a stock unit and writing the
//! redemption leaves that unit unsold: stock is never oversold.
//!
//! The admin API (`POST /api/redemptions`) and the member's own page
//! (`POST /api/me/redemptions`) both redeem through [`redeem`].

use crate::kv::{Kv, decode, decoded_or_default};
use crate::outbox::{Outbox, Recipient};
use crate::wallet::{self as journal, Outcome};
use crate::{clock, codes, coupons, keys};
use chrono::{DateTime, Utc};
use vafa_core::coupon::Coupon;
use vafa_core::error::{Error, Result};
use vafa_core::ledger::Kind;
use vafa_core::member::Member;
use vafa_core::message::{Kind as SmsKind, Purpose};
use vafa_core::redemption::{Redemption, State, code_from};
use vafa_core::reward::{Catalog, insufficient};
use vafa_core::settings::Settings;
use vafa_core::shop::Shop;
use vafa_core::wallet::{Change, Wallet, expiry_month};

/// What is asked: `store` is the store that asks (a store key), else the
/// member's own store makes the coupon.
pub struct Ask<'a> {
    pub member_id: &'a str,
    pub reward_id: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub store: Option<String>,
}

/// The redemption's id: from the idempotency key (the same key, the same
/// redemption), or drawn.
fn id_for(member_id: &str, idempotency_key: Option<&str>) -> Result<String> {
    Ok(match idempotency_key {
        Some(k) if k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            return Err(Error::field("idempotency_key", "expected 1-64 of A-Z, a-z, 0-9, - and _"));
        }
        Some(k) => format!("rd_{}", &vafa_core::secret::hash(&format!("{member_id}:{k}"))[..20]),
        None => format!("rd_{}", vafa_core::secret::encode_readable(&clock::random::<10>()?).to_lowercase()),
    })
}

/// Redeems: the code issued (or found issued by an earlier try with the
/// same key), and its coupon where the store makes one.
pub fn redeem(kv: &Kv, input: Ask<'_>, now: DateTime<Utc>) -> Result<(Redemption, Option<Coupon>)> {
    let number = keys::member_number(input.member_id).ok_or_else(|| Error::NotFound(format!("member {}", input.member_id)))?;
    let id = id_for(input.member_id, input.idempotency_key)?;

    // One read for everything the decision needs.
    let (mk, wk, rk) = (keys::member(number), keys::wallet(number), keys::redemption(&id));
    let found = kv.get_many(&[mk.clone(), wk.clone(), keys::REWARDS.to_string(), keys::SETTINGS.to_string(), rk.clone()])?;
    let member: Member = found.get(&mk).map(|b| decode::<Member>(&mk, b)).transpose()?.filter(|m| !m.is_erased()).ok_or_else(|| Error::NotFound(format!("member {}", input.member_id)))?;
    let settings: Settings = decoded_or_default(&found, keys::SETTINGS)?;
    let wallet: Wallet = found.get(&wk).map(|b| decode(&wk, b)).transpose()?.unwrap_or_default();

    let record = match found.get(&rk) {
        // A retry: the first answer, or the rest of the work.
        Some(bytes) => {
            let pending: Redemption = decode(&rk, bytes)?;
            if pending.state == State::Failed {
                return Err(insufficient(pending.balance.unwrap_or(wallet.balance)));
            }
            let (ck, jk) = (keys::code(&pending.code), keys::coupon(&pending.code));
            let done = kv.get_many(&[ck.clone(), jk.clone()])?;
            match done.get(&ck).map(|b| decode::<Redemption>(&ck, b)).transpose()? {
                Some(issued) => return Ok((issued, done.get(&jk).map(|b| decode(&jk, b)).transpose()?)),
                None => pending,
            }
        }
        None => {
            let catalog: Catalog = decoded_or_default(&found, keys::REWARDS)?;
            let reward = catalog.get(input.reward_id).ok_or_else(|| Error::NotFound(format!("reward {}", input.reward_id)))?.clone();
            reward.check_redeemable(wallet.balance, wallet.tier_rank(&settings), &settings)?;
            let stock = reward.stock.is_some();
            if let Some(limit) = reward.stock
                && kv.increment(&keys::reward_taken(&reward.id), 1)? > limit as i64
            {
                kv.increment(&keys::reward_taken(&reward.id), -1)?;
                return Err(Error::Conflict { code: "out_of_stock", message: format!("reward {} is out of stock", reward.id), member_id: None });
            }
            let code = loop {
                if let Some(c) = code_from(&clock::random::<24>()?) {
                    break c;
                }
            };
            let expires_at = now + chrono::Duration::days(reward.valid_days.into());
            let lot = wallet.lots.first().map_or_else(|| expiry_month(&settings, now), |l| l.expires);
            let record = Redemption { id: id.clone(), code, member_id: input.member_id.to_string(), reward, state: State::Pending, created_at: now, expires_at, lot, stock, lock: None, order_id: None, balance: None };
            codes::index(kv, &record.member_id, &record.code)?;
            kv.put(&rk, &record)?;
            record
        }
    };

    let change = Change { op: format!("redeem:{id}"), kind: Kind::Redeem, points: -(record.reward.cost as i64), reference: Some(id.clone()), at: now, expires: record.lot, must_cover: true, note: None };
    let balance = match journal::change(kv, &settings, number, &change)? {
        Outcome::Applied { applied, .. } => applied.entry.balance,
        Outcome::Insufficient { balance } => {
            fail(kv, &record, balance)?;
            return Err(insufficient(balance));
        }
        Outcome::Nothing => return Err(Error::internal("a redemption's spend decided nothing")),
    };
    let issued = Redemption { state: State::Issued, balance: Some(balance), ..record };
    if let Some(phone) = member.phone.clone() {
        Outbox::new(kv)?.queue(Some(Recipient { number, member: &member }), &phone, issued.sms_text(&settings), Some(&issued.code), SmsKind::Transactional, Purpose::RewardCode, None, now)?;
    }
    // The store's coupon is recorded before the code can be used; a tick
    // makes it on the platform.
    let store = input.store.or_else(|| member.store_id.clone());
    let shop: Option<Shop> = match &store {
        Some(id) => kv.get(&keys::store(id))?,
        None => None,
    };
    let coupon = coupons::issue(kv, shop.as_ref(), &issued, now)?;
    kv.put(&keys::code(&issued.code), &issued)?;
    Ok((issued, coupon))
}


/// A redemption the balance did not cover: its stock unit goes back and
/// it is recorded failed (its code was never issued).
fn fail(kv: &Kv, record: &Redemption, balance: i64) -> Result<()> {
    if record.stock {
        kv.increment(&keys::reward_taken(&record.reward.id), -1)?;
    }
    kv.put(&keys::redemption(&record.id), &Redemption { state: State::Failed, balance: Some(balance), ..record.clone() })
}
