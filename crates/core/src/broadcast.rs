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

/// What the guards did to a campaign's messages when they were due: skipped
/// for good, or held for a later window (each time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guarded {
    pub opted_out: u64,
    pub frequency_cap: u64,
    pub quiet_hours: u64,
    pub holiday: u64,
}

/// The reasons a guard counts, as stored.
pub const GUARD_REASONS: [&str; 4] = ["opted_out", "frequency_cap", "quiet_hours", "holiday"];

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
}

impl CampaignInput {
    pub fn validate(self, id: String, settings: &Settings, now: DateTime<Utc>) -> Result<Campaign> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(Error::field("name", "expected 1-80 characters"));
        }
        if self.template.contains("{expiry") {
            return Err(Error::Unprocessable { code: "invalid_template", message: "template: {expiry} belongs to the expiry reminder, not to a broadcast".into() });
        }
        check_template(&self.template, settings, false)?;
        if let Some(t) = self.audience.tiers.iter().find(|t| !settings.tiers.iter().any(|x| &x.name == *t)) {
            return Err(Error::field("audience", format!("no tier named {t:?} in the settings")));
        }
        let send_at = self.send_at.unwrap_or(now);
        if send_at < now - Duration::minutes(5) {
            return Err(Error::field("send_at", "expected now or a time to come (at most 5 minutes ago)"));
        }
        Ok(Campaign { id, name, template: self.template, audience: self.audience, send_at, status: Status::Scheduled, cursor: 0, stats: Stats::default(), created_at: now })
    }
}

/// `POST /api/campaigns/preview`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    pub template: String,
    #[serde(default)]
    pub audience: Audience,
}

/// A template as a sample member would get it, with the signature and the
/// footer; refused as a campaign's would be.
pub fn sample_text(template: &str, settings: &Settings) -> Result<String> {
    check_template(template, settings, false)?;
    let tier = settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default();
    let values = |name: &str| match name {
        "name" => Some("سارا".to_string()),
        "points" => Some(persian_digits("1250")),
        "tier" => Some(tier.clone()),
        "store" => Some(settings.sender_signature.clone()),
        _ => None,
    };
    let body = template::render(template, &values).map_err(|e| Error::Unprocessable { code: "invalid_template", message: e.to_string() })?;
    Ok(marketing_text(&body, settings))
}

impl Campaign {
    /// The message for one member.
    pub fn text_for(&self, member: &Member, standing: Standing<'_>, settings: &Settings) -> Result<String> {
        let values = |name: &str| match name {
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

    /// The API's shape; `guarded` comes from the sender's counts.
    pub fn view(&self, guarded: Guarded) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "template": self.template,
            "audience": self.audience,
            "send_at": crate::time::format(&self.send_at),
            "status": self.status,
            "created_at": crate::time::format(&self.created_at),
            "stats": {
                "audience": self.stats.audience,
                "queued": self.stats.queued,
                "skipped": {"opted_out": self.stats.skipped_opted_out + guarded.opted_out, "frequency_cap": guarded.frequency_cap},
                "held": {"quiet_hours": guarded.quiet_hours, "holiday": guarded.holiday},
            },
        })
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
        let input = |template: &str, send_at: &str| CampaignInput { name: "یلدا".into(), template: template.into(), audience: Audience::default(), send_at: Some(send_at.parse().unwrap()) };
        assert!(input("تخفیف یلدا!", "2026-11-24T07:56:00Z").validate("c_1".into(), &Settings::default(), now).is_ok());
        assert!(matches!(input("تخفیف یلدا!", "2026-11-24T07:54:00Z").validate("c_1".into(), &Settings::default(), now), Err(Error::InvalidField { .. })));
        assert!(matches!(input(&"خرید ".repeat(60), "2026-11-24T08:00:00Z").validate("c_1".into(), &Settings::default(), now), Err(Error::Unprocessable { code: "invalid_template", .. })));
    }
}
