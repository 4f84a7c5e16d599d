//! Product categories read from the stores' platforms
//! (`vafa_core::catalog`): kept per product (`product:{store}:{id}`), and
//! the jobs (`categories:{store}/{order}`, indexed by the minute they are
//! due: `crate::due`) of the orders counted before their products'
//! categories were known, which the categories tick reads and counts again.
//!
//! A job is written before its order is counted, so a call killed between
//! the two leaves a job that waits for the order (its webhook is sent
//! again) rather than an order never recounted. Two ticks on one job read
//! the same products (harmless) and recount once: the wallet applies the
//! recount once.

use chrono::{DateTime, Utc};
use vafa_core::catalog::{self, Job, Known, Next, Product, Reply};
use vafa_core::bonus::Rules;
use vafa_core::error::Result;
use vafa_core::settings::Settings;
use vafa_core::order::OrderUpdate;
use vafa_core::shop::{Api, Shop};

use crate::kv::{Kv, decoded_or_default};
use crate::orders::{self, Buyer, Club, How};
use crate::{config, due, keys, members, outbound};

const TIMEOUT_MS: u64 = 10_000;

/// Products read from the platforms in one tick.
const READS_PER_TICK: usize = 40;
/// The categories' queue (`crate::due`).
const QUEUE: &str = "categories";
/// How long a job waits for its order to be counted before it looks again.
const ORDER_WAIT_MINUTES: i64 = 5;

/// Before a new paid order of a store with credentials is counted: gives
/// its lines the categories known of their products and, when one is
/// unknown or was read more than a day ago, queues the order to be counted
/// again once they are read. Answers whether it was queued.
pub fn categorise(kv: &Kv, shop: &Shop, update: &mut OrderUpdate, member: u64, how: &How) -> Result<bool> {
    if shop.api.is_none() || !update.paid {
        return Ok(false);
    }
    let ids: Vec<String> = catalog::products(&update.items).into_iter().map(str::to_string).collect();
    if ids.is_empty() {
        return Ok(false);
    }
    let known = cached(kv, &shop.id, &ids)?;
    catalog::fill(&mut update.items, &known);
    if ids.len() == known.len() && known.iter().all(|(_, p)| p.fresh(how.now)) {
        return Ok(false);
    }
    let key = orders::order_key(&shop.id, &update.order_id)?;
    let job = Job {
        store_id: shop.id.clone(),
        order_id: update.order_id.clone(),
        member,
        items: update.items.clone(),
        at: how.at,
        events: how.events,
        queued_at: how.now,
        attempts: 0,
        next_at: how.now,
        error: None,
    };
    kv.put(&keys::category_job(&key), &job)?;
    due::index(kv, QUEUE, &key, due::next_minute(how.now))?;
    Ok(true)
}

/// The kept categories of products `ids` of `store`.
fn cached(kv: &Kv, store: &str, ids: &[String]) -> Result<Known> {
    let product_keys: Vec<String> = ids.iter().map(|id| keys::product(store, id)).collect();
    let found = kv.get_many(&product_keys)?;
    let mut known = Vec::new();
    for (id, key) in ids.iter().zip(&product_keys) {
        if let Some(bytes) = found.get(key) {
            known.push((id.clone(), crate::kv::decode(key, bytes)?));
        }
    }
    Ok(known)
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct Sweep {
    /// Orders counted again.
    pub counted: u32,
    /// Products read from the platforms.
    pub read: u32,
    /// Jobs whose platform asked for patience (or did not answer).
    pub retrying: u32,
    /// Every due job was looked at.
    pub caught_up: bool,
}

/// The categories tick: the jobs due up to now, within this tick's budget
/// of platform calls.
pub fn sweep(kv: &Kv, now: DateTime<Utc>) -> Result<Sweep> {
    let shopify = config::shopify_admin_url()?;
    let mut report = Sweep::default();
    let mut reads = READS_PER_TICK;
    // The club's settings and bonus rules, read once a tick when a job needs them.
    let mut club = None;
    report.caught_up = due::sweep(kv, QUEUE, now, |order| work(kv, order, now, &shopify, &mut reads, &mut club, &mut report))?.caught_up;
    Ok(report)
}

/// One job. `false` when the tick's reads ran out before it was done.
fn work(kv: &Kv, order: &str, now: DateTime<Utc>, shopify: &str, reads: &mut usize, club: &mut Option<(Settings, Rules)>, report: &mut Sweep) -> Result<bool> {
    let key = keys::category_job(order);
    let Some(job) = kv.get::<Job>(&key)? else { return Ok(true) };
    // Indexed again for when it is.
    if !job.due(now) {
        return Ok(true);
    }
    let finish = || kv.delete(&key).map(|()| true);
    let Some(shop) = kv.get::<Shop>(&keys::store(&job.store_id))? else { return finish() };
    let ids: Vec<String> = catalog::products(&job.items).into_iter().map(str::to_string).collect();
    let mut known = cached(kv, &shop.id, &ids)?;
    // Without credentials now, the order is counted with what is known.
    if let (Next::Read(stale), Some(api)) = (job.next(&known, now), shop.api.as_ref()) {
        for id in stale {
            if *reads == 0 {
                return Ok(false);
            }
            *reads -= 1;
            match read(api, shopify, &id) {
                Reply::Found(categories) => {
                    let product = Product { categories, read_at: now.timestamp() };
                    kv.put(&keys::product(&shop.id, &id), &product)?;
                    known.retain(|(k, _)| *k != id);
                    known.push((id, product));
                    report.read += 1;
                }
                Reply::Retry { reason, after } => {
                    report.retrying += 1;
                    let again = job.retried(reason, after, now);
                    kv.put(&key, &again)?;
                    due::index(kv, QUEUE, order, again.next_at.max(due::next_minute(now)))?;
                    return Ok(true);
                }
            }
        }
    }
    let (settings, rules) = match club {
        Some(read) => &*read,
        None => {
            let found = kv.get_many(&[keys::SETTINGS.to_string(), keys::BONUS_RULES.to_string()])?;
            &*club.insert((decoded_or_default(&found, keys::SETTINGS)?, decoded_or_default(&found, keys::BONUS_RULES)?))
        }
    };
    // An erased member's orders are counted no more.
    let Some(member) = members::load(kv, job.member)? else { return finish() };
    let buyer = Buyer { number: job.member, referred_by: None, tags: &member.member.tags };
    let club = Club { settings, rules };
    let how = How { now, at: job.at, award: true, events: job.events, awaiting: false };
    if orders::recount(kv, &club, order, &job.items_with(&known), &buyer, how)? {
        report.counted += 1;
        return finish();
    }
    if job.order_overdue(now) {
        return finish();
    }
    // The order is not counted yet (its webhook's call was cut off): it
    // is looked at again a little later.
    due::index(kv, QUEUE, order, now + chrono::Duration::minutes(ORDER_WAIT_MINUTES))?;
    Ok(true)
}

/// Reads one product's categories from the platform.
fn read(api: &Api, shopify: &str, id: &str) -> Reply {
    match outbound::perform(&catalog::request(api, shopify, id), TIMEOUT_MS, "the store") {
        Ok(a) => catalog::read(api, a.status, &a.body, a.retry_after),
        Err(reason) => Reply::Retry { reason, after: None },
    }
}
