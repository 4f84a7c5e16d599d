//! Reward codes made the stores' own coupons (`vafa_core::coupon`). A code
//! issued to a member of a store with platform credentials writes its job
//! (`coupon:{CODE}`) and indexes it by the minute its work is due
//! (`crate::due`); so does its expiry. The coupons tick sweeps that index,
//! so its work follows what is due, never the number of codes.
//!
//! One attempt at a job: the job is moved on (its attempt counted and its
//! retry set) by compare-and-swap and its retry indexed, then the attempt
//! is claimed (`coupon-try:{CODE}:{n}`), then the platform is asked: the
//! code looked up, then made or deleted. Each step is safe to cut off: a
//! cut-off attempt is retried when its retry comes due, and the lookup
//! adopts a coupon an earlier attempt made but could not record.

use crate::due::{self, next_minute};
use crate::kv::{Kv, decode};
use crate::{config, keys, log, outbound};
use chrono::{DateTime, Utc};
use vafa_core::coupon::{self, Coupon, Next, Reply, Step, Want};
use vafa_core::error::Result;
use vafa_core::redemption::{Redemption, State as CodeState};
use vafa_core::provider::HttpCall;
use vafa_core::shop::{Api, Shop};

/// How long one platform call may take.
const TIMEOUT_MS: u64 = 10_000;
/// How long one tick works before it leaves the rest to the next.
const BUDGET_MS: u128 = 20_000;
/// The coupons' queue (`crate::due`).
const QUEUE: &str = "coupon";

fn index(kv: &Kv, code: &str, at: DateTime<Utc>) -> Result<()> {
    due::index(kv, QUEUE, code, at)
}

/// Records the coupon a newly issued code makes in `shop`, if it makes
/// one: made by the next tick, removed at its expiry if unused. Returns the
/// job written.
pub fn issue(kv: &Kv, shop: Option<&Shop>, code: &Redemption, now: DateTime<Utc>) -> Result<Option<Coupon>> {
    let Some(job) = shop.and_then(|s| Coupon::for_code(s, code)) else { return Ok(None) };
    kv.put(&keys::coupon(&job.code), &job)?;
    index(kv, &job.code, next_minute(now))?;
    index(kv, &job.code, job.expires_at)?;
    Ok(Some(job))
}

/// A cancelled code's coupon must go: marked, and indexed for the next
/// tick. A code with no coupon is left alone; a cancel repeated after a kill
/// indexes a removal not yet done again.
pub fn withdraw(kv: &Kv, code: &str, now: DateTime<Utc>) -> Result<()> {
    let mut going = false;
    kv.update(&keys::coupon(code), |job: Coupon| {
        let next = job.remove(now);
        going = next.is_some() || (job.want == Want::Absent && job.state != coupon::State::Deleted);
        Ok(next)
    })?;
    if going {
        index(kv, code, next_minute(now))?;
    }
    Ok(())
}

/// What a tick did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Sweep {
    pub minutes: i64,
    pub created: usize,
    pub deleted: usize,
    pub retrying: usize,
    pub failed: usize,
    pub caught_up: bool,
}

/// The tick: the jobs due up to now, within the tick's time budget.
pub fn sweep(kv: &Kv, now: DateTime<Utc>) -> Result<Sweep> {
    let clock = crate::clock::Stopwatch::start();
    let shopify = config::shopify_admin_url()?;
    let mut report = Sweep::default();
    let swept = due::sweep(kv, QUEUE, now, |code| {
        work(kv, code, now, &shopify, &mut report)?;
        Ok(clock.millis() < BUDGET_MS)
    })?;
    (report.minutes, report.caught_up) = (swept.minutes, swept.caught_up);
    Ok(report)
}

/// One job whose minute came.
fn work(kv: &Kv, code: &str, now: DateTime<Utc>, shopify: &str, report: &mut Sweep) -> Result<()> {
    let key = keys::coupon(code);
    let Some(mut job) = kv.get::<Coupon>(&key)? else { return Ok(()) };
    // At its expiry an unused code's coupon goes.
    if job.want == Want::Present && now >= job.expires_at {
        // The code's record and its order link, read here rather than
        // through `codes`, which issues coupons and so sits above this module.
        let (ck, ok) = (keys::code(code), keys::code_order(code));
        let found = kv.get_many(&[ck.clone(), ok.clone()])?;
        let order = found.get(&ok).map(|b| String::from_utf8_lossy(b).into_owned());
        // A code whose redemption never completed was never usable: its coupon goes too.
        let record = found.get(&ck).map(|b| decode::<Redemption>(&ck, b)).transpose()?;
        let used = record.is_some_and(|r| r.with_order(order, now).state == CodeState::Used);
        if !used && let Some(going) = job.remove(now) {
            if !moved(kv, &key, &job, &going)? {
                return Ok(());
            }
            job = going;
        }
    }
    let next = job.next(now);
    if next == Next::Nothing {
        return Ok(());
    }
    let begun = job.begin(now);
    index(kv, code, begun.next_at.max(next_minute(now)))?;
    if !moved(kv, &key, &job, &begun)? || !kv.claim(&keys::coupon_try(code, begun.attempts))? {
        return Ok(());
    }
    let Some(shop) = kv.get::<Shop>(&keys::store(&job.store_id))? else {
        return settle(kv, &key, &begun, Reply::Fail(format!("store {} no longer exists", job.store_id)), now, report);
    };
    let Some(api) = shop.api.as_ref() else {
        return settle(kv, &key, &begun, Reply::Fail("the store has no API credentials now".into()), now, report);
    };
    let ask = |step: Step, call: &HttpCall| ask(api, step, call);
    let found = match &begun.platform_id {
        Some(id) if next == Next::Remove => Reply::Done(Some(id.clone())),
        _ => ask(Step::Lookup, &coupon::lookup(api, shopify, code)),
    };
    let reply = match (next, found) {
        (Next::Make, Reply::Absent) => ask(Step::Create, &coupon::create(api, shopify, &begun, &shop.currency)),
        (Next::Remove, Reply::Done(Some(id))) => ask(Step::Delete, &coupon::delete(api, shopify, &id)),
        (_, other) => other,
    };
    settle(kv, &key, &begun, reply, now, report)
}

/// One call to a store's platform, and what it said.
fn ask(api: &Api, step: Step, call: &HttpCall) -> Reply {
    match outbound::perform(call, TIMEOUT_MS, "the store") {
        Ok(a) => coupon::read(api, step, a.status, &a.body, a.retry_after),
        Err(reason) => Reply::Retry { reason, after: None },
    }
}

/// Calls the platform once with a store's credentials (`"verify": true`):
/// `Ok` when it accepted them, else its word as a 422.
pub fn verify(api: &Api) -> Result<()> {
    coupon::verified(ask(api, Step::Verify, &coupon::verify(api, &config::shopify_admin_url()?)))
}

/// Writes `next` over `seen` by compare-and-swap; false if the job changed
/// meanwhile (another tick, a cancel): this tick leaves it.
fn moved(kv: &Kv, key: &str, seen: &Coupon, next: &Coupon) -> Result<bool> {
    let mut won = false;
    kv.update(key, |current: Coupon| {
        won = current == *seen;
        Ok(won.then(|| next.clone()))
    })?;
    Ok(won)
}

/// Records an attempt's outcome. A cancel that came while the platform was
/// asked is kept: the coupon is then removed by the next tick.
fn settle(kv: &Kv, key: &str, begun: &Coupon, reply: Reply, now: DateTime<Utc>, report: &mut Sweep) -> Result<()> {
    let settled = begun.settle(reply, now);
    let mut written = None;
    kv.update(key, |current: Coupon| {
        if current.attempts != begun.attempts {
            return Ok(None);
        }
        let mut next = settled.clone();
        if current.want != begun.want {
            next.want = current.want;
            next.next_at = now;
        }
        written = Some(next.clone());
        Ok(Some(next))
    })?;
    let Some(job) = written else { return Ok(()) };
    match (job.state, job.want) {
        (coupon::State::Created, Want::Present) => report.created += 1,
        (coupon::State::Deleted, _) => report.deleted += 1,
        (coupon::State::Failed, _) => {
            log::info(&format!("coupon for {} failed: {}", job.redemption_id, job.error.as_deref().unwrap_or_default()));
            report.failed += 1;
        }
        _ => {
            report.retrying += 1;
            // The retry `begin` indexed, unless the answer moved it.
            if job.next_at != begun.next_at {
                index(kv, &job.code, job.next_at.max(next_minute(now)))?;
            }
        }
    }
    Ok(())
}

/// A code's coupon as a redemption shows it: `"coupon"` (`pending`,
/// `created`, `failed`, `deleted`) and `"coupon_error"` while there is one.
/// Nothing for a code that makes no coupon.
pub fn show(view: &mut serde_json::Value, job: Option<&Coupon>) {
    if let Some(job) = job {
        let (state, error) = job.view();
        view["coupon"] = state;
        if let Some(e) = error {
            view["coupon_error"] = serde_json::json!(e);
        }
    }
}
