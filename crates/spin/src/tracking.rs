//! What a campaign's messages led to, counted when each fact happens so a
//! report is a handful of reads: short links and their clicks, the last
//! marketing message each member was sent (its "touch"), and the purchases
//! and opt-outs within `attribution_days` of it. Every count is once per
//! member and campaign where it could repeat (a claim first).

use crate::keys;
use crate::kv::Kv;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use vafa_core::broadcast::{COUNTERS, Counts, SLUG_LEN};
use vafa_core::error::Result;
use vafa_core::settings::Settings;

/// A short link: whose, for which campaign, and where it leads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub campaign: String,
    pub member: u64,
    pub url: String,
}

/// The last marketing message a member was sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Touch {
    pub campaign: String,
    #[serde(with = "vafa_core::time::rfc3339")]
    pub at: DateTime<Utc>,
}

/// Adds `by` to one of a campaign's counters.
pub fn count(kv: &Kv, campaign: &str, name: &str, by: i64) -> Result<()> {
    kv.increment(&keys::campaign_count(campaign, name), by).map(drop)
}

/// Counters `names` of a campaign, in one batch read (absent ones are 0).
fn counters<const N: usize>(kv: &Kv, campaign: &str, names: [&str; N]) -> Result<[u64; N]> {
    let key_list = names.map(|n| keys::campaign_count(campaign, n));
    let found = kv.get_many(&key_list)?;
    let mut values = [0u64; N];
    for (v, key) in values.iter_mut().zip(&key_list) {
        *v = crate::kv::counter_in(&found, key)?.max(0) as u64;
    }
    Ok(values)
}

/// A campaign's counters, in one batch read.
pub fn counts(kv: &Kv, campaign: &str) -> Result<Counts> {
    Ok(Counts::from_values(counters(kv, campaign, COUNTERS)?))
}

/// A fresh short link for member `number` in `campaign`: an unguessable
/// slug from the readable alphabet, drawn again on the rare collision.
pub fn new_link(kv: &Kv, campaign: &str, number: u64, url: &str) -> Result<String> {
    let link = Link { campaign: campaign.to_string(), member: number, url: url.to_string() };
    for _ in 0..4 {
        let slug = vafa_core::secret::readable_code(&crate::clock::random::<SLUG_LEN>()?, SLUG_LEN);
        if kv.get_raw(&keys::link(&slug))?.is_none() {
            kv.put(&keys::link(&slug), &link)?;
            return Ok(slug);
        }
    }
    Err(vafa_core::error::Error::internal("could not draw a free short link"))
}

/// A click on a slug: its link, and the click counted once per member (not
/// at all for a member who was erased: their link still leads on).
pub fn click(kv: &Kv, slug: &str) -> Result<Option<Link>> {
    let Some(link) = kv.get::<Link>(&keys::link(slug))? else { return Ok(None) };
    let erased = kv.get::<vafa_core::member::Member>(&keys::member(link.member))?.is_none_or(|m| m.is_erased());
    if !erased && kv.claim(&keys::click(&link.campaign, link.member))? {
        count(kv, &link.campaign, "clicks", 1)?;
    }
    Ok(Some(link))
}

/// The campaign whose message reached member `number` within the club's
/// `attribution_days` before `now`, if any.
pub fn touched_by(kv: &Kv, settings: &Settings, number: u64, now: DateTime<Utc>) -> Result<Option<String>> {
    let touch: Option<Touch> = kv.get(&keys::last_marketing(number))?;
    Ok(touch.filter(|t| t.at <= now && now - t.at <= Duration::days(settings.attribution_days.into())).map(|t| t.campaign))
}

/// A paid order of member `number`: a conversion of the campaign that
/// touched them, once per member, with the order's total as revenue.
pub fn conversion(kv: &Kv, settings: &Settings, number: u64, total: i64, now: DateTime<Utc>) -> Result<()> {
    if let Some(campaign) = touched_by(kv, settings, number, now)?
        && kv.claim(&keys::conversion(&campaign, number))?
    {
        count(kv, &campaign, "conversions", 1)?;
        count(kv, &campaign, "revenue", total.max(0))?;
    }
    Ok(())
}

/// An opt-out of member `number`: counted against the campaign that
/// touched them.
pub fn optout(kv: &Kv, settings: &Settings, number: u64, now: DateTime<Utc>) -> Result<()> {
    match touched_by(kv, settings, number, now)? {
        Some(campaign) => count(kv, &campaign, "optouts", 1),
        None => Ok(()),
    }
}

/// The scores members replied to a feedback request of `campaign`
/// (`score-0` … `score-10`), as the Net Promoter Score: the share of 9s and
/// 10s less the share of 0s to 6s, in points (-100 to 100).
pub fn nps(kv: &Kv, campaign: &str) -> Result<serde_json::Value> {
    let names: [String; 11] = std::array::from_fn(|n| format!("score-{n}"));
    let by_score = counters(kv, campaign, names.each_ref().map(String::as_str))?;
    let responses: u64 = by_score.iter().sum();
    let (promoters, detractors): (u64, u64) = (by_score[9..].iter().sum(), by_score[..7].iter().sum());
    let score = if responses == 0 { 0 } else { ((promoters as i64 - detractors as i64) * 100) / responses as i64 };
    Ok(serde_json::json!({"score": score, "responses": responses, "by_score": by_score}))
}
