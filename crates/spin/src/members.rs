//! Members in the store: the phone index, creation with exactly one winner
//! per phone, phone changes, erasure, and the points ledger.
//!
//! The phone index `phone:{e164}` is a counter holding the member's number
//! (0 = free). A member is written first under a fresh number nobody knows,
//! then the phone is claimed by compare-and-swap: that swap is the commit
//! point. A request killed before it leaves an unreferenced record and no
//! member; one killed after it has created the member. Losers of the race
//! delete their record and answer 409 with the winner's id.

use crate::keys;
use crate::kv::{Claim, Kv, counter_in, decode};
use chrono::{DateTime, Utc};
use vafa_core::error::{Error, Result};
use vafa_core::jalali::JalaliDate;
use vafa_core::import::ImportRow;
use vafa_core::member::{Draft, Member, REFERRAL_CODE_LEN, Standing};
use vafa_core::otp::CodeFor;
use vafa_core::phone::Phone;
use vafa_core::secret;
use vafa_core::settings::Settings;
use vafa_core::wallet::Change;

/// A member as read: its number, record and what their wallet says.
#[derive(Debug, Clone)]
pub struct Found {
    pub number: u64,
    pub member: Member,
    pub standing: Standing,
}

impl Found {
    pub fn view(&self) -> vafa_core::member::MemberView<'_> {
        self.member.view(&self.standing)
    }
}

enum Index {
    Free,
    /// Points at a member that no longer holds the phone (erased, moved, or a
    /// write that never finished): free to claim over.
    Stale(i64),
    Taken(Box<Found>),
}

/// One `get-many` for the record and its wallet, whose balance, tier and
/// statistics the member shows (a member from before wallets: its balance
/// counter, once more).
pub fn load(kv: &Kv, number: u64) -> Result<Option<Found>> {
    let (mk, wk) = (keys::member(number), keys::wallet(number));
    let found = kv.get_many(&[mk.clone(), wk.clone()])?;
    from_batch(kv, number, &found)
}

/// A member and their whole wallet (lots, spend by month) in one batch
/// read: for a page that shows more than the member's summary.
pub fn load_with_wallet(kv: &Kv, number: u64) -> Result<Option<(Found, vafa_core::wallet::Wallet)>> {
    let (mk, wk) = (keys::member(number), keys::wallet(number));
    let found = kv.get_many(&[mk, wk.clone()])?;
    let Some(member) = from_batch(kv, number, &found)? else { return Ok(None) };
    let wallet = match found.get(&wk) {
        Some(bytes) => decode(&wk, bytes)?,
        None => crate::wallet::read(kv, number)?,
    };
    Ok(Some((member, wallet)))
}

/// Member `number` from a batch read of their record and wallet.
fn from_batch(kv: &Kv, number: u64, found: &std::collections::HashMap<String, Vec<u8>>) -> Result<Option<Found>> {
    let (mk, wk) = (keys::member(number), keys::wallet(number));
    let Some(bytes) = found.get(&mk) else { return Ok(None) };
    let mut member: Member = decode(&mk, bytes)?;
    let standing = match found.get(&wk) {
        // Purchases keep the tier and the statistics with the points.
        Some(w) => {
            let summary = crate::wallet::summary_of(&wk, w)?;
            if let Some(tier) = &summary.tier {
                member.tier.clone_from(tier);
            }
            member.stats = summary.stats.clone();
            summary.standing()
        }
        None => Standing { points: kv.counter(&keys::points(number))?, ..Standing::default() },
    };
    Ok(Some(Found { number, member, standing }))
}

/// Members read per batch when paging.
const PAGE_BATCH: u64 = 50;
/// Member numbers a page may pass over (erased, never finished) at most.
const PAGE_SCAN: u64 = 2_000;

/// Live members newest first, from below `before` (a member number): the
/// page and the `before` of the next one. Member numbers are the index; a
/// number whose phone claim never happened, or an erased member, is passed
/// over. Records, wallets and phone claims are read a batch at a time.
pub fn page(kv: &Kv, limit: usize, before: Option<u64>) -> Result<(Vec<Found>, Option<u64>)> {
    let top = kv.counter(keys::SEQ_MEMBER)?.max(0) as u64;
    let mut next = before.map_or(top, |b| top.min(b.saturating_sub(1)));
    let stop = next.saturating_sub(PAGE_SCAN);
    let mut out = Vec::with_capacity(limit);
    while next > stop && out.len() < limit {
        let numbers: Vec<u64> = (next.saturating_sub(PAGE_BATCH - 1).max(stop + 1)..=next).rev().collect();
        let key_list: Vec<String> = numbers.iter().flat_map(|n| [keys::member(*n), keys::wallet(*n)]).collect();
        let found = kv.get_many(&key_list)?;
        let mut batch = Vec::with_capacity(numbers.len());
        for n in &numbers {
            if let Some(f) = from_batch(kv, *n, &found)?.filter(|f| !f.member.is_erased()) {
                batch.push(f);
            }
        }
        let claims: Vec<String> = batch.iter().filter_map(|f| f.member.phone.as_ref()).map(|p| keys::phone(p.as_str())).collect();
        let claimed = kv.get_many(&claims)?;
        for f in batch {
            let Some(phone) = &f.member.phone else { continue };
            if counter_in(&claimed, &keys::phone(phone.as_str()))? == f.number as i64 {
                next = f.number - 1;
                out.push(f);
                if out.len() == limit {
                    break;
                }
            }
        }
        if out.len() < limit {
            next = numbers.last().copied().unwrap_or(1) - 1;
        }
    }
    let more = next > 0 && (out.len() == limit || next <= stop);
    Ok((out, more.then_some(next + 1)))
}

/// Puts the member in the index of their birthday's month and day, read
/// by the campaigns tick on the day (a slot whose member's birthday has
/// changed since, or who never came to be, is passed over there).
pub fn index_birthday(kv: &Kv, number: u64, b: &vafa_core::member::Birthday) -> Result<()> {
    let (len, cal, m, d) = (keys::birthdays_len(b.calendar, b.month, b.day), b.calendar, b.month, b.day);
    kv.append(&len, |k| keys::birthday(cal, m, d, k), number.to_string().as_bytes()).map(drop)
}

/// By API id; erased members are still found (their totals remain).
pub fn by_id(kv: &Kv, id: &str) -> Result<Found> {
    let not_found = || Error::NotFound(format!("member {id}"));
    let number = keys::member_number(id).ok_or_else(not_found)?;
    load(kv, number)?.ok_or_else(not_found)
}

/// By API id, not erased: what every change of a member starts from.
pub fn live(kv: &Kv, id: &str) -> Result<Found> {
    let found = by_id(kv, id)?;
    if found.member.is_erased() {
        return Err(Error::NotFound(format!("member {id} (erased)")));
    }
    Ok(found)
}

fn index(kv: &Kv, phone: &Phone) -> Result<Index> {
    let n = kv.counter(&keys::phone(phone.as_str()))?;
    if n <= 0 {
        return Ok(Index::Free);
    }
    Ok(match load(kv, n as u64)? {
        Some(f) if holds(&f, phone) => Index::Taken(Box::new(f)),
        _ => Index::Stale(n),
    })
}

/// Whether the member an index points at still holds that phone.
fn holds(f: &Found, phone: &Phone) -> bool {
    f.member.phone.as_ref() == Some(phone) && !f.member.is_erased()
}

/// Looks a member up by a phone as typed, with the club's settings, in two
/// key-value reads: settings and the index together (the phone is read in
/// the Iranian default first, which is right unless the club changed its
/// default country), then the record with its balance.
pub fn by_phone_as_typed(kv: &Kv, raw: &str) -> Result<(Settings, Option<Found>)> {
    const GUESS: &str = "IR";
    let guess = vafa_core::phone::normalize(raw, GUESS).ok();
    let mut want = vec![keys::SETTINGS.to_string()];
    want.extend(guess.as_ref().map(|p| keys::phone(p.as_str())));
    let found = kv.get_many(&want)?;
    let settings: Settings = match found.get(keys::SETTINGS) {
        Some(bytes) => decode(keys::SETTINGS, bytes)?,
        None => Settings::default(),
    };
    let phone = vafa_core::member::parse_phone(raw, &settings)?;
    let number = match &guess {
        Some(g) if *g == phone => counter_in(&found, &keys::phone(g.as_str()))?,
        _ => kv.counter(&keys::phone(phone.as_str()))?,
    };
    if number <= 0 {
        return Ok((settings, None));
    }
    let member = load(kv, number as u64)?.filter(|f| holds(f, &phone));
    Ok((settings, member))
}

/// Two key-value reads: the index and the record with its balance.
pub fn by_phone(kv: &Kv, phone: &Phone) -> Result<Option<Found>> {
    Ok(match index(kv, phone)? {
        Index::Taken(f) => Some(*f),
        Index::Free | Index::Stale(_) => None,
    })
}

fn exists_error(id: String) -> Error {
    Error::Conflict { code: "member_exists", message: "a member with this phone already exists".into(), member_id: Some(id) }
}

/// Creates a member from a validated draft. Same phone twice, even at the
/// same instant: one member, and `409 member_exists` for the others.
pub fn create(kv: &Kv, settings: &Settings, draft: Draft, now: DateTime<Utc>) -> Result<Found> {
    let phone = draft.phone.clone();
    let stale = match index(kv, &phone)? {
        Index::Taken(f) => return Err(exists_error(f.member.id)),
        Index::Stale(n) => vec![n],
        Index::Free => vec![],
    };
    let referred_by = match &draft.referral_code {
        None => None,
        Some(code) => {
            let n = kv.get_number(&keys::referral(code))?.ok_or_else(|| Error::field("referral_code", "no member has this referral code"))?;
            Some(keys::member_id(n))
        }
    };
    let number = kv.increment(keys::SEQ_MEMBER, 1)? as u64;
    let code = new_referral_code(kv, number)?;
    let member = draft.into_member(keys::member_id(number), code.clone(), referred_by, settings, now);
    crate::wallet::open(kv, number)?;
    if let Some(b) = &member.birthday {
        index_birthday(kv, number, b)?;
    }
    let joined = JalaliDate::from_gregorian(settings.timezone.local_date(now));
    kv.append(&keys::joined_len(joined.month, joined.day), |k| keys::joined(joined.month, joined.day, k), number.to_string().as_bytes())?;
    welcome_if_opted_in(kv, settings, &member, now)?;
    kv.put(&keys::member(number), &member)?;
    match kv.claim_slot(&keys::phone(phone.as_str()), &stale, number as i64)? {
        Claim::Won => {
            crate::stats::joined(kv, settings, member.consent.status, now);
            Ok(Found { number, member, standing: Standing::default() })
        }
        Claim::Held(other) => {
            kv.delete(&keys::member(number))?;
            kv.delete(&keys::wallet(number))?;
            kv.delete(&keys::referral(&code))?;
            Err(exists_error(keys::member_id(other as u64)))
        }
    }
}

/// Members an import makes, each under the number drawn for it and with
/// the points its row brings (`change`): written together, then each phone
/// claimed (each member's commit point, as in [`create`]). No welcome: an
/// import sends no message. Answers, per row, whether its phone is now that
/// member's.
pub fn create_imported(kv: &Kv, settings: &Settings, rows: &[(u64, &ImportRow, Option<Change>)], now: DateTime<Utc>) -> Result<Vec<bool>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::with_capacity(rows.len() * 4);
    let mut codes = Vec::with_capacity(rows.len());
    let mut deltas = Vec::with_capacity(rows.len());
    // Referral codes drawn together and checked in one read; one drawn
    // twice, or already someone's, is drawn again alone.
    let drawn = rows.iter().map(|_| Ok(secret::readable_code(&crate::clock::random::<REFERRAL_CODE_LEN>()?, REFERRAL_CODE_LEN))).collect::<Result<Vec<String>>>()?;
    let taken = kv.get_many(&drawn.iter().map(|c| keys::referral(c)).collect::<Vec<_>>())?;
    let mut fresh = std::collections::HashSet::new();
    for ((number, row, change), code) in rows.iter().zip(drawn) {
        let code = if taken.contains_key(&keys::referral(&code)) || !fresh.insert(code.clone()) {
            new_referral_code(kv, *number)?
        } else {
            entries.push((keys::referral(&code), number.to_string().into_bytes()));
            code
        };
        let mut member = row.draft().into_member(keys::member_id(*number), code.clone(), None, settings, now);
        if let Some(c) = &row.consent {
            member.record_consent(c.marketing, c.source, None, c.at);
            member.updated_at = now;
        }
        entries.push(Kv::entry(keys::member(*number), &member)?);
        let (wallet, delta) = crate::wallet::opening(kv, settings, *number, change.as_ref(), now)?;
        entries.extend(wallet);
        deltas.push(delta);
        if let Some(b) = &member.birthday {
            index_birthday(kv, *number, b)?;
        }
        codes.push(code);
    }
    let joined = JalaliDate::from_gregorian(settings.timezone.local_date(now));
    let last = kv.increment(&keys::joined_len(joined.month, joined.day), rows.len() as i64)? as u64;
    for (k, (number, _, _)) in (last + 1 - rows.len() as u64..).zip(rows) {
        entries.push((keys::joined(joined.month, joined.day, k), number.to_string().into_bytes()));
    }
    for chunk in entries.chunks(crate::kv::BATCH) {
        kv.set_many(chunk.to_vec())?;
    }
    let mut won = Vec::with_capacity(rows.len());
    let (mut opted_in, mut opted_out) = (0, 0);
    let mut counted = vafa_core::stats::WalletDelta::default();
    for (((number, row, _), code), delta) in rows.iter().zip(&codes).zip(deltas) {
        let claimed = match kv.claim_slot(&keys::phone(row.phone.as_str()), &[], *number as i64)? {
            Claim::Won => true,
            Claim::Held(_) => {
                kv.delete(&keys::member(*number))?;
                kv.delete(&keys::wallet(*number))?;
                kv.delete(&keys::referral(code))?;
                false
            }
        };
        if claimed {
            match row.consent.as_ref().map(|c| c.marketing) {
                Some(true) => opted_in += 1,
                Some(false) => opted_out += 1,
                None => {}
            }
            if let Some(d) = delta {
                counted.add(&d);
            }
        }
        won.push(claimed);
    }
    crate::stats::imported(kv, settings, won.iter().filter(|w| **w).count() as i64, opted_in, opted_out, now);
    crate::stats::wallet(kv, settings, &counted, now);
    Ok(won)
}

/// A unique referral code: random, readable, and checked against the index
/// (a collision in 32^8 is rare; it is drawn again).
fn new_referral_code(kv: &Kv, number: u64) -> Result<String> {
    for _ in 0..4 {
        let random: [u8; REFERRAL_CODE_LEN] = crate::clock::random()?;
        let code = secret::readable_code(&random, REFERRAL_CODE_LEN);
        if kv.get_raw(&keys::referral(&code))?.is_none() {
            kv.set_number(&keys::referral(&code), number)?;
            return Ok(code);
        }
    }
    Err(Error::internal("could not draw a free referral code"))
}

pub fn save(kv: &Kv, found: &Found) -> Result<()> {
    kv.put(&keys::member(found.number), &found.member)
}

/// Saves a member whose consent was just recorded, and counts the change.
/// Consent to marketing is the club's welcome: an event (one id per member, so opting out and in
/// again is no second welcome), recorded before the member is saved so a
/// kill between the two loses nothing.
pub fn save_consent(kv: &Kv, settings: &Settings, found: &Found, now: DateTime<Utc>) -> Result<()> {
    welcome_if_opted_in(kv, settings, &found.member, now)?;
    save(kv, found)?;
    // The status before the one just recorded: what the club's counts move from.
    let before = found.member.consent_history.iter().rev().nth(1).map(|e| e.status);
    crate::stats::consent(kv, settings, before, found.member.consent.status, now);
    Ok(())
}

fn welcome_if_opted_in(kv: &Kv, settings: &Settings, member: &Member, now: DateTime<Utc>) -> Result<()> {
    if member.accepts_marketing() {
        crate::wallet::record_event(kv, settings, &vafa_core::event::welcome(&member.id, now))?;
    }
    Ok(())
}

/// Moves a member to a new phone. The new phone is claimed first (the
/// commit point); the old one is released last, and until then the index
/// check in [`by_phone`] already refuses it.
pub fn change_phone(kv: &Kv, found: &mut Found, new_phone: Phone, now: DateTime<Utc>) -> Result<()> {
    if found.member.is_erased() {
        return Err(Error::NotFound(format!("member {}", found.member.id)));
    }
    if found.member.phone.as_ref() == Some(&new_phone) {
        return Ok(());
    }
    let taken = || Error::Conflict { code: "phone_taken", message: "another member has this phone".into(), member_id: None };
    let mut free = match index(kv, &new_phone)? {
        Index::Taken(_) => return Err(taken()),
        Index::Stale(n) => vec![n],
        Index::Free => vec![],
    };
    free.push(found.number as i64);
    if let Claim::Held(_) = kv.claim_slot(&keys::phone(new_phone.as_str()), &free, found.number as i64)? {
        return Err(taken());
    }
    let old = found.member.phone.replace(new_phone);
    found.member.updated_at = now;
    save(kv, found)?;
    if let Some(old) = old {
        kv.delete(&keys::phone(old.as_str()))?;
        forget_codes(kv, &old)?;
    }
    Ok(())
}

/// A phone's codes waiting for confirmation, dropped when the phone leaves
/// its member (their records hold the number in clear).
fn forget_codes(kv: &Kv, phone: &Phone) -> Result<()> {
    for code_for in [CodeFor::Join, CodeFor::SignIn, CodeFor::Erasure] {
        kv.delete(&keys::otp(code_for, phone.as_str()))?;
    }
    Ok(())
}

/// Erasure: the phone index goes first (so the phone is free at once and a
/// new sign-up is a new member), then the number and text of the member's
/// messages, then the personal data in the record. A retry finishes it.
pub fn erase(kv: &Kv, found: &mut Found, now: DateTime<Utc>) -> Result<()> {
    if let Some(phone) = found.member.phone.clone() {
        if kv.counter(&keys::phone(phone.as_str()))? == found.number as i64 {
            kv.delete(&keys::phone(phone.as_str()))?;
        }
        forget_codes(kv, &phone)?;
    }
    crate::outbox::erase_member_messages(kv, found.number)?;
    if found.member.is_erased() {
        return save(kv, found);
    }
    let status = found.member.consent.status;
    found.member.erase(now);
    save(kv, found)?;
    crate::stats::erased(kv, status);
    Ok(())
}

