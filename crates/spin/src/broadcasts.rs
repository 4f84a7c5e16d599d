//! Broadcasts in the store: the campaign's record (`campaign:{id}`), the
//! list of those not finished (`campaigns:active`), and the campaigns
//! tick's expansion of an audience: member numbers are the index (every
//! member has one, from 1 to `seq:member`, whenever they joined), read a
//! page at a time from the campaign's cursor with their wallets. Each
//! member is claimed (`camp:{id}:{n}`) before their message is queued, so a
//! page redone after a kill never queues a message twice.

use crate::daily::Budget;
use crate::keys;
use crate::kv::{Kv, decode};
use crate::outbox::{Outbox, Recipient};
use chrono::{DateTime, Utc};
use vafa_core::broadcast::{Campaign, CampaignInput, Standing, Stats, Status};
use vafa_core::error::{Error, Result};
use vafa_core::member::Member;
use vafa_core::message::{Kind, Purpose};
use vafa_core::settings::Settings;

/// Members read per page.
const PAGE: u64 = 100;

/// Records a campaign and makes it active. Validated before anything is
/// written: a refused campaign writes nothing.
pub fn create(kv: &Kv, input: CampaignInput, settings: &Settings, now: DateTime<Utc>) -> Result<Campaign> {
    let checked = input.validate(String::new(), settings, now)?;
    let n = kv.increment(keys::SEQ_CAMPAIGN, 1)? as u64;
    let campaign = Campaign { id: format!("c_{n}"), ..checked };
    kv.put(&keys::campaign(&campaign.id), &campaign)?;
    change_active(kv, |ids| ids.push(campaign.id.clone()))?;
    Ok(campaign)
}

fn change_active(kv: &Kv, mut edit: impl FnMut(&mut Vec<String>)) -> Result<()> {
    let updated = kv.update(keys::CAMPAIGNS_ACTIVE, |mut ids: Vec<String>| {
        edit(&mut ids);
        Ok(Some(ids))
    })?;
    if updated.is_none() {
        let mut ids = Vec::new();
        edit(&mut ids);
        kv.put(keys::CAMPAIGNS_ACTIVE, &ids)?;
    }
    Ok(())
}

pub fn get(kv: &Kv, id: &str) -> Result<Campaign> {
    kv.get(&keys::campaign(id))?.ok_or_else(|| Error::NotFound(format!("campaign {id}")))
}

/// The newest campaigns first, `limit` of them.
pub fn list(kv: &Kv, limit: usize) -> Result<Vec<Campaign>> {
    let last = kv.counter(keys::SEQ_CAMPAIGN)? as u64;
    let key_list: Vec<String> = (1..=last).rev().take(limit).map(|n| keys::campaign(&format!("c_{n}"))).collect();
    let found = kv.get_many(&key_list)?;
    key_list.iter().filter_map(|k| found.get(k).map(|b| decode(k, b))).collect()
}

/// Cancels a campaign not yet queued in full; what was queued still goes.
pub fn cancel(kv: &Kv, id: &str) -> Result<Campaign> {
    let key = keys::campaign(id);
    let mut result = None;
    let updated = kv.update(&key, |c: Campaign| {
        let next = c.cancel()?;
        result = Some(next.clone().unwrap_or(c));
        Ok(next)
    })?;
    updated.ok_or_else(|| Error::NotFound(format!("campaign {id}")))?;
    result.ok_or_else(|| Error::internal("campaign cancel decided nothing"))
}

/// Expands the active campaigns whose time has come, page by page, within
/// the budget. Returns the messages queued and whether all are caught up.
pub fn sweep(kv: &Kv, settings: &Settings, outbox: &Outbox<'_>, now: DateTime<Utc>, budget: Budget) -> Result<(usize, bool)> {
    let clock = crate::clock::Stopwatch::start();
    let active: Vec<String> = kv.get(keys::CAMPAIGNS_ACTIVE)?.unwrap_or_default();
    let last = kv.counter(keys::SEQ_MEMBER)?.max(0) as u64;
    let (mut queued, mut seen) = (0, 0);
    for id in active {
        let Some(mut campaign) = kv.get::<Campaign>(&keys::campaign(&id))? else { continue };
        if campaign.send_at > now && campaign.status == Status::Scheduled {
            continue;
        }
        while matches!(campaign.status, Status::Scheduled | Status::Sending) && campaign.cursor < last {
            if seen >= budget.max_entries || clock.millis() >= budget.max_millis {
                return Ok((queued, false));
            }
            let end = last.min(campaign.cursor + PAGE);
            let (delta, sent) = page(kv, settings, outbox, &campaign, end, now)?;
            queued += sent;
            seen += (end - campaign.cursor) as usize;
            campaign = advance(kv, &id, end, &delta, last)?;
        }
        // Expanded in full (or a club with no members yet): done.
        if matches!(campaign.status, Status::Scheduled | Status::Sending) && campaign.cursor >= last {
            campaign = advance(kv, &id, campaign.cursor, &Stats::default(), last)?;
        }
        if matches!(campaign.status, Status::Done | Status::Cancelled) {
            change_active(kv, |ids| ids.retain(|x| *x != id))?;
        }
    }
    Ok((queued, true))
}

/// Queues the campaign's message to the members after its cursor up to
/// `end` that its audience matches and who are opted in.
fn page(kv: &Kv, settings: &Settings, outbox: &Outbox<'_>, campaign: &Campaign, end: u64, now: DateTime<Utc>) -> Result<(Stats, usize)> {
    let numbers: Vec<u64> = (campaign.cursor + 1..=end).collect();
    let key_list: Vec<String> = numbers.iter().flat_map(|n| [keys::member(*n), keys::wallet(*n)]).collect();
    let found = kv.get_many(&key_list)?;
    let first_tier = settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default();
    let (mut stats, mut sent) = (Stats::default(), 0);
    for n in numbers {
        let (mk, wk) = (keys::member(n), keys::wallet(n));
        let Some(member) = found.get(&mk).map(|b| decode::<Member>(&mk, b)).transpose()? else { continue };
        if member.is_erased() {
            continue;
        }
        let summary = found.get(&wk).map(|b| crate::wallet::summary_of(&wk, b)).transpose()?;
        let tier = summary.as_ref().and_then(|s| s.tier.clone()).unwrap_or_else(|| first_tier.clone());
        let held = summary.as_ref().map(|s| s.standing()).unwrap_or_default();
        let standing = Standing { points: held.points, tier: &tier, segment: held.segment };
        if !campaign.audience.matches(&member, standing) {
            continue;
        }
        stats.audience += 1;
        let Some(phone) = member.phone.clone().filter(|_| member.accepts_marketing()) else {
            stats.skipped_opted_out += 1;
            continue;
        };
        if !kv.claim(&keys::campaign_member(&campaign.id, n))? {
            continue;
        }
        match campaign.text_for(&member, standing, settings) {
            Ok(text) => {
                outbox.queue(Some(Recipient { number: n, member: &member }), &phone, text, Kind::Marketing, Purpose::Campaign, Some(&campaign.id), now)?;
                stats.queued += 1;
                sent += 1;
            }
            Err(err) => crate::log::info(&format!("campaign {} for m_{n}: {err}", campaign.id)),
        }
    }
    Ok((stats, sent))
}

/// Moves the campaign's cursor to `end` and adds a page's counts, by
/// compare-and-swap (a cancellation meanwhile wins: it stays cancelled).
fn advance(kv: &Kv, id: &str, end: u64, delta: &Stats, last: u64) -> Result<Campaign> {
    let mut after = None;
    kv.update(&keys::campaign(id), |mut c: Campaign| {
        if c.cursor < end {
            c.cursor = end;
            c.stats.audience += delta.audience;
            c.stats.queued += delta.queued;
            c.stats.skipped_opted_out += delta.skipped_opted_out;
        }
        if matches!(c.status, Status::Scheduled | Status::Sending) {
            c.status = if c.cursor >= last { Status::Done } else { Status::Sending };
        }
        after = Some(c.clone());
        Ok(Some(c))
    })?;
    after.ok_or_else(|| Error::NotFound(format!("campaign {id}")))
}
