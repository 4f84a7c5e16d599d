//! Broadcasts: one marketing message to an audience at a send time. The
//! campaigns tick expands the audience in pages of members from a cursor,
//! so a club of any size is queued across ticks; each member gets it at
//! most once, and every message passes the guards when it is sent.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::automation::{check_template, marketing_text};
use crate::error::{Error, Result};
use crate::member::Member;
use crate::segment::Segment;
use crate::settings::Settings;
use crate::template::{self, persian_digits};

/// Who a broadcast is for; every criterion given must hold (an empty list
/// is no criterion). Opted-in members only, always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Audience {
    pub tiers: Vec<String>,
    pub tags: Vec<String>,
    pub segments: Vec<Segment>,
    pub min_points: Option<i64>,
    pub max_points: Option<i64>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub joined_after: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::rfc3339::option")]
    pub joined_before: Option<DateTime<Utc>>,
}

/// What a member's wallet says of them, for the audience and the text.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub points: i64,
    pub tier: &'a str,
    pub segment: Segment,
}

impl Audience {
    pub fn matches(&self, member: &Member, standing: Standing<'_>) -> bool {
        (self.tiers.is_empty() || self.tiers.iter().any(|t| t == standing.tier))
            && (self.tags.is_empty() || self.tags.iter().any(|t| member.tags.iter().any(|m| m.eq_ignore_ascii_case(t))))
            && (self.segments.is_empty() || self.segments.contains(&standing.segment))
            && self.min_points.is_none_or(|p| standing.points >= p)
            && self.max_points.is_none_or(|p| standing.points <= p)
            && self.joined_after.is_none_or(|t| member.joined_at >= t)
            && self.joined_before.is_none_or(|t| member.joined_at < t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Scheduled,
    Sending,
    Done,
    Cancelled,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Members the audience matched so far.
    pub audience: u64,
    pub queued: u64,
    /// Matched, but not opted in to marketing.
    pub skipped_opted_out: u64,
}

/// What became of a campaign's messages, counted when each fact happened
/// (`camp-count:{campaign}:{name}`): the guards' verdicts when a message was
/// due (skipped for good, or held for a later window, each time), the
/// sender's outcomes, delivery reports, clicks on its short links, the
/// purchases and opt-outs that followed it. The same counters serve an
/// automation (`auto:<kind>`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub opted_out: u64,
    pub frequency_cap: u64,
    pub quiet_hours: u64,
    pub holiday: u64,
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    /// SMS parts sent (what the panel charges by).
    pub parts: u64,
    /// Members who followed their short link (once each).
    pub clicks: u64,
    /// Members who bought within `attribution_days` of their message (once
    /// each), and what those orders came to (minor units).
    pub conversions: u64,
    pub revenue: u64,
    /// Members who opted out within `attribution_days` of their message.
    pub optouts: u64,
}

/// The counters' names, as stored.
pub const COUNTERS: [&str; 12] = ["opted_out", "frequency_cap", "quiet_hours", "holiday", "sent", "delivered", "failed", "parts", "clicks", "conversions", "revenue", "optouts"];

impl Counts {
    /// From the counters' values, in [`COUNTERS`] order.
    pub fn from_values(v: [u64; 12]) -> Counts {
        let [opted_out, frequency_cap, quiet_hours, holiday, sent, delivered, failed, parts, clicks, conversions, revenue, optouts] = v;
        Counts { opted_out, frequency_cap, quiet_hours, holiday, sent, delivered, failed, parts, clicks, conversions, revenue, optouts }
    }

    /// The stats both views share.
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "sent": self.sent,
            "delivered": self.delivered,
            "failed": self.failed,
            "parts": self.parts,
            "clicks": self.clicks,
            "conversions": self.conversions,
            "revenue": self.revenue,
            "optouts": self.optouts,
            "held": {"quiet_hours": self.quiet_hours, "holiday": self.holiday},
        })
    }

    /// `GET /api/reports/campaigns/{id}` for an automation, which has no
    /// record of its own: its counters and rates.
    pub fn report(&self, id: &str, settings: &Settings) -> serde_json::Value {
        let mut stats = self.json();
        stats["skipped"] = serde_json::json!({"opted_out": self.opted_out, "frequency_cap": self.frequency_cap});
        serde_json::json!({"id": id, "stats": stats, "rates": self.rates(settings)})
    }

    /// Click-through and conversion rate (per message sent: not every
    /// panel reports deliveries) and the cost estimate (parts ×
    /// `sms_part_cost`).
    fn rates(&self, settings: &Settings) -> serde_json::Value {
        let ratio = |n: u64, d: u64| if d == 0 { 0.0 } else { (n as f64 / d as f64 * 10_000.0).round() / 10_000.0 };
        serde_json::json!({
            "ctr": ratio(self.clicks, self.sent),
            "conversion_rate": ratio(self.conversions, self.sent),
            "cost": self.parts * settings.sms_part_cost,
        })
    }
}

/// The length of a short link's slug.
pub const SLUG_LEN: usize = 8;

/// A member's short link: `{public_base_url}/l/{slug}`.
pub fn short_link(base: &str, slug: &str) -> String {
    format!("{}/l/{slug}", base.trim_end_matches('/'))
}

/// A campaign's link target: an absolute http(s) URL.
fn check_link_url(url: &str) -> Result<()> {
    let ok = (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= 500 && url.len() > 8 && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(Error::field("link_url", "expected an http:// or https:// URL of at most 500 characters")) }
}

/// A template's `{link}` and the campaign's `link_url` go together. The
/// longest link, for counting parts, when there is one.
fn link_for(template: &str, link_url: Option<&str>, public_base: &str) -> Result<Option<(&'static str, String)>> {
    match (template.contains("{link"), link_url) {
        (true, None) => Err(Error::Unprocessable { code: "invalid_template", message: "template: {link} needs the campaign's link_url, the page it leads to".into() }),
        (false, Some(_)) => Err(Error::field("link_url", "the template has no {link} to carry it")),
        (false, None) => Ok(None),
        (true, Some(url)) => {
            check_link_url(url)?;
            Ok(Some(("link", short_link(public_base, &"W".repeat(SLUG_LEN)))))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub template: String,
    pub audience: Audience,
    #[serde(with = "crate::time::rfc3339")]
    pub send_at: DateTime<Utc>,
    pub status: Status,
    /// The last member number the audience was expanded through.
    pub cursor: u64,
    pub stats: Stats,
    #[serde(with = "crate::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Where its `{link}` leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_url: Option<String>,
}

/// `POST /api/campaigns`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: String,
    pub template: String,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default, with = "crate::time::rfc3339::option")]
    pub send_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub link_url: Option<String>,
}

impl CampaignInput {
    /// `public_base`: where short links are served.
    pub fn validate(self, id: String, settings: &Settings, now: DateTime<Utc>, public_base: &str) -> Result<Campaign> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(Error::field("name", "expected 1-80 characters"));
        }
        if self.template.contains("{expiry") {
            return Err(Error::Unprocessable { code: "invalid_template", message: "template: {expiry} belongs to the expiry reminder, not to a broadcast".into() });
        }
        check_template(&self.template, settings, link_for(&self.template, self.link_url.as_deref(), public_base)?)?;
        if let Some(t) = self.audience.tiers.iter().find(|t| !settings.tiers.iter().any(|x| &x.name == *t)) {
            return Err(Error::field("audience", format!("no tier named {t:?} in the settings")));
        }
        let send_at = self.send_at.unwrap_or(now);
        if send_at < now - Duration::minutes(5) {
            return Err(Error::field("send_at", "expected now or a time to come (at most 5 minutes ago)"));
        }
        Ok(Campaign { id, name, template: self.template, audience: self.audience, send_at, status: Status::Scheduled, cursor: 0, stats: Stats::default(), created_at: now, link_url: self.link_url })
    }
}

/// `POST /api/campaigns/preview`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    pub template: String,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub link_url: Option<String>,
}

/// A template as a sample member would get it, with the signature and the
/// footer; refused as a campaign's would be.
pub fn sample_text(template: &str, link_url: Option<&str>, settings: &Settings, public_base: &str) -> Result<String> {
    let link = link_for(template, link_url, public_base)?;
    check_template(template, settings, link.clone())?;
    let tier = settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default();
    let values = |name: &str| match name {
        "name" => Some("سارا".to_string()),
        "points" => Some(persian_digits("1250")),
        "tier" => Some(tier.clone()),
        "store" => Some(settings.sender_signature.clone()),
        "link" => link.as_ref().map(|_| short_link(public_base, "AB3DE7GH")),
        _ => None,
    };
    let body = template::render(template, &values).map_err(|e| Error::Unprocessable { code: "invalid_template", message: e.to_string() })?;
    Ok(marketing_text(&body, settings))
}

impl Campaign {
    /// The message for one member, with their short link if it has one.
    pub fn text_for(&self, member: &Member, standing: Standing<'_>, link: Option<&str>, settings: &Settings) -> Result<String> {
        let values = |name: &str| match name {
            "link" => link.map(str::to_string),
            "name" => member.name.clone(),
            "points" => Some(persian_digits(&standing.points.to_string())),
            "tier" => Some(standing.tier.to_string()),
            "store" => Some(settings.sender_signature.clone()),
            _ => None,
        };
        let body = template::render(&self.template, &values).map_err(|e| Error::Unprocessable { code: "invalid_template", message: e.to_string() })?;
        Ok(marketing_text(&body, settings))
    }

    /// Cancelled (`None`: it was already).
    pub fn cancel(&self) -> Result<Option<Campaign>> {
        match self.status {
            Status::Cancelled => Ok(None),
            Status::Done => Err(Error::Conflict { code: "campaign_finished", message: "this campaign has been queued in full; it can no longer be cancelled".into(), member_id: None }),
            Status::Scheduled | Status::Sending => Ok(Some(Campaign { status: Status::Cancelled, ..self.clone() })),
        }
    }

    /// The API's shape, with the counts of what became of its messages.
    pub fn view(&self, counts: Counts) -> serde_json::Value {
        let mut stats = counts.json();
        stats["audience"] = self.stats.audience.into();
        stats["queued"] = self.stats.queued.into();
        stats["skipped"] = serde_json::json!({"opted_out": self.stats.skipped_opted_out + counts.opted_out, "frequency_cap": counts.frequency_cap});
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "template": self.template,
            "audience": self.audience,
            "send_at": crate::time::format(&self.send_at),
            "status": self.status,
            "created_at": crate::time::format(&self.created_at),
            "link_url": self.link_url,
            "stats": stats,
        })
    }

    /// `GET /api/reports/campaigns/{id}`: the view and its rates.
    pub fn report(&self, counts: Counts, settings: &Settings) -> serde_json::Value {
        let mut view = self.view(counts);
        view["rates"] = counts.rates(settings);
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(tags: &[&str], joined: &str) -> Member {
        let input: crate::member::NewMember = serde_json::from_value(serde_json::json!({"phone": "09121234567", "tags": tags})).unwrap();
        let now: DateTime<Utc> = joined.parse().unwrap();
        input.validate(&Settings::default(), crate::member::today(&Settings::default(), now)).unwrap().into_member("m_1".into(), "ABCDEFGH".into(), None, &Settings::default(), now)
    }

    #[test]
    fn an_audience_is_every_criterion_given() {
        let m = member(&["coffee"], "2026-01-01T00:00:00Z");
        let silver = Standing { points: 120, tier: "silver", segment: Segment::Active };
        assert!(Audience::default().matches(&m, silver));
        let a = Audience { tiers: vec!["silver".into()], tags: vec!["Coffee".into()], min_points: Some(100), ..Audience::default() };
        assert!(a.matches(&m, silver));
        assert!(!a.matches(&m, Standing { points: 99, ..silver }));
        assert!(!Audience { segments: vec![Segment::Lapsed], ..Audience::default() }.matches(&m, silver));
        assert!(!Audience { joined_after: Some("2026-02-01T00:00:00Z".parse().unwrap()), ..Audience::default() }.matches(&m, silver));
    }

    #[test]
    fn a_send_time_in_the_past_and_a_template_too_long_are_refused() {
        let now: DateTime<Utc> = "2026-11-24T08:00:00Z".parse().unwrap();
        let input = |template: &str, send_at: &str| CampaignInput { name: "یلدا".into(), template: template.into(), audience: Audience::default(), send_at: Some(send_at.parse().unwrap()), link_url: None };
        assert!(input("تخفیف یلدا!", "2026-11-24T07:56:00Z").validate("c_1".into(), &Settings::default(), now, BASE).is_ok());
        assert!(matches!(input("تخفیف یلدا!", "2026-11-24T07:54:00Z").validate("c_1".into(), &Settings::default(), now, BASE), Err(Error::InvalidField { .. })));
        assert!(matches!(input(&"خرید ".repeat(60), "2026-11-24T08:00:00Z").validate("c_1".into(), &Settings::default(), now, BASE), Err(Error::Unprocessable { code: "invalid_template", .. })));
    }

    const BASE: &str = "https://club.example.ir";

    #[test]
    fn a_link_needs_its_target_and_counts_in_the_parts() {
        let now: DateTime<Utc> = "2026-11-24T08:00:00Z".parse().unwrap();
        let input = |template: &str, link_url: Option<&str>| CampaignInput { name: "یلدا".into(), template: template.into(), audience: Audience::default(), send_at: None, link_url: link_url.map(str::to_string) };
        let ok = input("حراج یلدا: {link}", Some("https://shop.example.ir/yalda?utm=sms")).validate("c_1".into(), &Settings::default(), now, BASE).unwrap();
        assert_eq!(ok.link_url.as_deref(), Some("https://shop.example.ir/yalda?utm=sms"));
        assert!(matches!(input("حراج یلدا: {link}", None).validate("c_1".into(), &Settings::default(), now, BASE), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(input("حراج یلدا", Some("https://shop.example.ir")).validate("c_1".into(), &Settings::default(), now, BASE), Err(Error::InvalidField { .. })));
        assert!(matches!(input("{link}", Some("javascript:alert(1)")).validate("c_1".into(), &Settings::default(), now, BASE), Err(Error::InvalidField { .. })));
        // 180 Persian letters leave room for one part's link, not for a
        // base URL of 200 characters.
        let long_base = format!("https://{}.ir", "a".repeat(200));
        assert!(matches!(input(&format!("{} {{link}}", "ب".repeat(150)), Some("https://shop.example.ir")).validate("c_1".into(), &Settings::default(), now, &long_base), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert_eq!(sample_text("یلدا {link}", Some("https://shop.example.ir"), &Settings::default(), BASE).unwrap(), "یلدا https://club.example.ir/l/AB3DE7GH\nلغو11");
    }
}
