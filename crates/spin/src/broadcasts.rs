//! Broadcasts in the store: the campaign's record (`campaign:{id}`), the
//! list of those not finished (`campaigns:active`), and the campaigns
//! tick's expansion of an audience: member numbers are the index (every
//! member has one, from 1 to `seq:member`, whenever they joined), read a
//! page at a time from the campaign's cursor with their wallets. Each
//! member is claimed (`camp:{id}:{n}`) before their message is queued, so a
//! page redone after a kill never queues a message twice.

use crate::daily::Budget;
use crate::kv::{Kv, decode};
use crate::outbox::{Outbox, Recipient};
use crate::{config, keys, tracking};
use chrono::{DateTime, Utc};
use vafa_core::broadcast::{Campaign, CampaignInput, Standing, Stats, Status, sample_text, short_link};
use vafa_core::error::{Error, Result};
use vafa_core::member::Member;
use vafa_core::message::{Kind, Purpose};
use vafa_core::settings::Settings;

/// Members read per page.
const PAGE: u64 = 100;

/// Records a campaign and makes it active. Validated before anything is
/// written: a refused campaign writes nothing.
pub fn create(kv: &Kv, input: CampaignInput, settings: &Settings, now: DateTime<Utc>) -> Result<Campaign> {
    let base = config::public_base_url()?;
    let checked = input.validate(String::new(), settings, now, &base)?;
    // What the panel's credit must pay for: the audience times the parts
    // of a sample message.
    crate::poll::ensure_credit(&config::panel()?, config::sms_timeout_ms()?, settings, || {
        let parts = vafa_core::sms::count(&sample_text(&checked.template, checked.link_url.as_deref(), settings, &base)?).parts as u64;
        Ok(audience_size(kv, settings, &checked.audience)?.0 * parts)
    })?;
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

/// Campaigns as the API shows them, with their counters.
pub fn views(kv: &Kv, campaigns: &[Campaign]) -> Result<Vec<serde_json::Value>> {
    campaigns.iter().map(|c| Ok(c.view(tracking::counts(kv, &c.id)?))).collect()
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
            let delta = page(kv, settings, outbox, &campaign, end, now)?;
            queued += delta.queued as usize;
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

/// Members a preview reads at most; beyond, the audience is estimated from
/// them.
const PREVIEW_MEMBERS: u64 = 20_000;

/// How many opted-in members `audience` matches: counted over the first
/// [`PREVIEW_MEMBERS`] members and, in a larger club, scaled to its size
/// (`true`: estimated).
pub fn audience_size(kv: &Kv, settings: &Settings, audience: &vafa_core::broadcast::Audience) -> Result<(u64, bool)> {
    let last = kv.counter(keys::SEQ_MEMBER)?.max(0) as u64;
    let probe = Campaign { id: String::new(), name: String::new(), template: String::new(), audience: audience.clone(), send_at: chrono::DateTime::UNIX_EPOCH, status: Status::Scheduled, cursor: 0, stats: Stats::default(), created_at: chrono::DateTime::UNIX_EPOCH, link_url: None };
    let scanned = last.min(PREVIEW_MEMBERS);
    let mut matched = 0;
    let mut cursor = 0;
    while cursor < scanned {
        let end = scanned.min(cursor + PAGE);
        matched += members(kv, settings, &Campaign { cursor, ..probe.clone() }, end, |_, _, _| Ok(()))?.0;
        cursor = end;
    }
    Ok(if scanned < last { (matched * last / scanned.max(1), true) } else { (matched, false) })
}

/// Queues the campaign's message to the members after its cursor up to
/// `end` that its audience matches and who are opted in.
fn page(kv: &Kv, settings: &Settings, outbox: &Outbox<'_>, campaign: &Campaign, end: u64, now: DateTime<Utc>) -> Result<Stats> {
    let mut stats = Stats::default();
    let base = match &campaign.link_url {
        Some(_) => config::public_base_url()?,
        None => String::new(),
    };
    let (matched, opted_out) = members(kv, settings, campaign, end, |n, member, standing| {
        let Some(phone) = member.phone.clone() else { return Ok(()) };
        if !kv.claim(&keys::campaign_member(&campaign.id, n))? {
            return Ok(());
        }
        let link = match &campaign.link_url {
            Some(url) => Some(short_link(&base, &tracking::new_link(kv, &campaign.id, n, url)?)),
            None => None,
        };
        match campaign.text_for(member, standing, link.as_deref(), settings) {
            Ok(text) => {
                outbox.queue(Some(Recipient { number: n, member }), &phone, text, None, Kind::Marketing, Purpose::Campaign, Some(&campaign.id), now)?;
                stats.queued += 1;
            }
            Err(err) => crate::log::info(&format!("campaign {} for m_{n}: {err}", campaign.id)),
        }
        Ok(())
    })?;
    stats.audience = matched + opted_out;
    stats.skipped_opted_out = opted_out;
    Ok(stats)
}

/// Walks the members after the campaign's cursor up to `end` (one batch
/// read of their records and wallets) and calls `each` for those its
/// audience matches who are opted in. Returns those, and the matched who
/// are not opted in.
fn members(kv: &Kv, settings: &Settings, campaign: &Campaign, end: u64, mut each: impl FnMut(u64, &Member, Standing<'_>) -> Result<()>) -> Result<(u64, u64)> {
    let numbers: Vec<u64> = (campaign.cursor + 1..=end).collect();
    let key_list: Vec<String> = numbers.iter().flat_map(|n| [keys::member(*n), keys::wallet(*n)]).collect();
    let found = kv.get_many(&key_list)?;
    let first_tier = settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default();
    let (mut matched, mut opted_out) = (0, 0);
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
        if !member.accepts_marketing() {
            opted_out += 1;
            continue;
        }
        matched += 1;
        each(n, &member, standing)?;
    }
    Ok((matched, opted_out))
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
