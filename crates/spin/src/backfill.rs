//! Backfills in the store (`vafa_core::backfill`): a store's job
//! (`backfill:{store}`) and the list of running ones (`backfills:active`).
//!
//! The backfill tick asks each running job's platform for its next page,
//! counts each order as its webhook would be (the order's record makes a
//! later webhook, or the same page read again after a kill, a duplicate),
//! enrols its customer without marketing consent, and moves the job on by
//! compare-and-swap. An order brought in is dated when it was placed,
//! earns only if the job asks, and makes no event, so no message.

use crate::kv::{Kv, decoded_or_default};
use crate::{config, keys, log, members, orders, outbound};
use chrono::{DateTime, Utc};
use vafa_core::backfill::{Backfill, Counts, Page, State};
use vafa_core::bonus::Rules;
use vafa_core::error::{Error, Result};
use vafa_core::member::{Draft, parse_phone};
use vafa_core::order::OrderUpdate;
use vafa_core::settings::Settings;
use vafa_core::shop::Shop;

/// How long one platform call may take.
const TIMEOUT_MS: u64 = 10_000;

/// Starts (or starts again) a store's backfill; refused while one runs.
pub fn start(kv: &Kv, job: &Backfill, now: DateTime<Utc>) -> Result<()> {
    kv.edit(&keys::backfill(&job.store_id), now, |current: Option<Backfill>| {
        if current.is_some_and(|c| c.state == State::Running) {
            return Err(Error::Conflict { code: "backfill_running", message: "this store's backfill is still running".into(), member_id: None });
        }
        Ok((job.clone(), ()))
    })?;
    kv.list_add(keys::BACKFILLS_ACTIVE, &job.store_id, now)
}

pub fn get(kv: &Kv, store: &str) -> Result<Backfill> {
    kv.get(&keys::backfill(store))?.ok_or_else(|| Error::NotFound(format!("backfill of store {store}")))
}

/// What a tick did.
#[derive(Debug, Default, Clone)]
pub struct Sweep {
    pub pages: u32,
    pub counted: u32,
    pub finished: u32,
}

/// The tick: one page of each running job that is due.
pub fn sweep(kv: &Kv, now: DateTime<Utc>) -> Result<Sweep> {
    let mut report = Sweep::default();
    let active: Vec<String> = kv.get(keys::BACKFILLS_ACTIVE)?.unwrap_or_default();
    if active.is_empty() {
        return Ok(report);
    }
    let found = kv.get_many(&[keys::SETTINGS.to_string(), keys::BONUS_RULES.to_string()])?;
    let (settings, rules): (Settings, Rules) = (decoded_or_default(&found, keys::SETTINGS)?, decoded_or_default(&found, keys::BONUS_RULES)?);
    for store in active {
        let job = get(kv, &store)?;
        if job.due(now) {
            let next = page(kv, &settings, &rules, &job, now)?;
            report.pages += u32::from(next.pages > job.pages);
            report.counted += next.counted - job.counted;
            let mut moved = false;
            kv.update(&keys::backfill(&store), |current: Backfill| {
                moved = current == job;
                Ok(moved.then(|| next.clone()))
            })?;
            if !moved || next.state == State::Running {
                continue;
            }
            log::info(&format!("backfill of {store} {:?}: {} orders counted, {} already, {} passed over", next.state, next.counted, next.duplicates, next.skipped));
        } else if job.state == State::Running {
            continue;
        }
        kv.list_remove(keys::BACKFILLS_ACTIVE, &store, now)?;
        report.finished += 1;
    }
    Ok(report)
}

/// The job's next page, asked and counted: the job as it then stands.
fn page(kv: &Kv, settings: &Settings, rules: &Rules, job: &Backfill, now: DateTime<Utc>) -> Result<Backfill> {
    let Some(shop) = kv.get::<Shop>(&keys::store(&job.store_id))? else {
        return Ok(job.deferred(&Page::Fail(format!("store {} no longer exists", job.store_id)), now));
    };
    let Some(api) = shop.api.as_ref() else {
        return Ok(job.deferred(&Page::Fail("the store has no API credentials now".into()), now));
    };
    let call = vafa_core::backfill::request(api, &config::shopify_admin_url()?, job);
    let page = match outbound::perform(&call, TIMEOUT_MS, "the store") {
        Ok(a) => {
            let total_pages = a.header("x-wp-totalpages").and_then(|t| t.trim().parse().ok());
            vafa_core::backfill::read(api, job, a.status, &a.body, total_pages, a.retry_after, &shop.currency)
        }
        Err(reason) => Page::Retry { reason, after: None },
    };
    let Page::Orders { orders, next, total_pages } = &page else { return Ok(job.deferred(&page, now)) };
    let mut counts = Counts::default();
    for order in orders {
        match order {
            Ok(update) => match count(kv, settings, rules, &shop, update.clone(), job.award_points, now)? {
                Counted::Yes => counts.counted += 1,
                Counted::Already => counts.duplicates += 1,
                Counted::Not => counts.skipped += 1,
            },
            Err(_) => counts.skipped += 1,
        }
    }
    Ok(job.advanced(next, *total_pages, orders.len() as u32, counts, now))
}

enum Counted {
    Yes,
    Already,
    Not,
}

/// One past order, counted as its webhook would be.
fn count(kv: &Kv, settings: &Settings, rules: &Rules, shop: &Shop, update: OrderUpdate, award: bool, now: DateTime<Utc>) -> Result<Counted> {
    let Ok(mut update) = update.in_club_currency(&settings.currency) else { return Ok(Counted::Not) };
    let key = orders::order_key(&shop.id, &update.order_id)?;
    let record = crate::order_record::get(kv, &key)?;
    if record.as_ref().and_then(|r| orders::known_answer(r, &key, &update)).is_some() {
        return Ok(Counted::Already);
    }
    let member = match &record {
        Some(r) => members::load(kv, r.member)?,
        None => match update.phone.as_deref().map(|p| parse_phone(p, settings)) {
            Some(Ok(phone)) if update.paid => match members::by_phone(kv, &phone)? {
                Some(found) => Some(found),
                None => {
                    let draft = Draft { phone, name: update.name.clone(), birthday: None, tags: Vec::new(), consent: None, referral_code: None, store_id: Some(shop.id.clone()) };
                    match members::create(kv, settings, draft, now) {
                        Ok(found) => Some(found),
                        Err(Error::Conflict { member_id: Some(id), .. }) => Some(members::by_id(kv, &id)?),
                        Err(e) => return Err(e),
                    }
                }
            },
            _ => None,
        },
    };
    let Some(member) = member else { return Ok(Counted::Not) };
    if update.paid {
        crate::codes::link_to_order(kv, &update.coupons, &update.order_id)?;
    }
    let mut how = orders::How::backfill(&update, award, now);
    if record.is_none() {
        how.awaiting = crate::catalog::categorise(kv, shop, &mut update, member.number, &how)?;
    }
    let buyer = orders::Buyer { number: member.number, referred_by: member.member.referred_by.as_deref(), tags: &member.member.tags };
    let club = orders::Club { settings, rules };
    let answer = orders::apply(kv, &club, &shop.id, &update, &buyer, record, how)?;
    Ok(if answer.duplicate { Counted::Already } else { Counted::Yes })
}
