//! Automations: messages the club sends by itself when something happens to
//! a member. Served so far: the ones the points' events drive — a tier
//! upgrade, points about to expire, and win-back when a member becomes
//! `lapsed` — and the member's birthday. Each is a marketing message: it passes the guards at send time
//! (`guard`) and carries the signature and the opt-out footer.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::{self, Event};
use crate::member::Member;
use crate::segment::Segment;
use crate::settings::Settings;
use crate::template::{self, persian_digits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    TierUpgrade,
    ExpiryReminder,
    Winback,
    Birthday,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind> {
        match s {
            "tier_upgrade" => Ok(Kind::TierUpgrade),
            "expiry_reminder" => Ok(Kind::ExpiryReminder),
            "winback" => Ok(Kind::Winback),
            "birthday" => Ok(Kind::Birthday),
            _ => Err(Error::field("kind", "expected tier_upgrade, expiry_reminder, winback or birthday (the automations served so far)")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TierUpgrade => "tier_upgrade",
            Kind::ExpiryReminder => "expiry_reminder",
            Kind::Winback => "winback",
            Kind::Birthday => "birthday",
        }
    }

    /// The automation an event calls for, if any.
    pub fn of(e: &Event) -> Option<Kind> {
        match e.kind {
            event::Kind::TierUpgrade => Some(Kind::TierUpgrade),
            event::Kind::ExpiryReminder => Some(Kind::ExpiryReminder),
            event::Kind::Segment if e.segment == Some(Segment::Lapsed) => Some(Kind::Winback),
            event::Kind::Segment => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automation {
    pub kind: Kind,
    pub enabled: bool,
    pub template: String,
}

/// `PUT /api/automations/{kind}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationInput {
    pub enabled: bool,
    pub template: String,
    #[serde(default)]
    pub offset_days: u32,
    #[serde(default)]
    pub reward_id: Option<String>,
}

/// The longest values a template meets, for counting its parts.
const LONGEST_NAME: &str = "عبدالرحمن محمدحسین‌زاده اصفهانی";

impl AutomationInput {
    pub fn validate(self, kind: Kind, settings: &Settings) -> Result<Automation> {
        if self.offset_days != 0 {
            return Err(Error::field("offset_days", "expected 0: these automations go when their event happens"));
        }
        if self.reward_id.is_some() {
            return Err(Error::field("reward_id", "expected null: attaching a reward to an automation is not available yet"));
        }
        check_template(&self.template, settings)?;
        // Only the expiry reminder knows the points and the date in question.
        if kind != Kind::ExpiryReminder
            && let Some(p) = ["{points", "{expiry"].iter().find(|p| self.template.contains(*p))
        {
            return Err(Error::Unprocessable { code: "invalid_template", message: format!("template: {}}} is only available in expiry_reminder", &p[..]) });
        }
        Ok(Automation { kind, enabled: self.enabled, template: self.template })
    }
}

/// Refuses (422 `invalid_template`) a marketing template with a placeholder
/// it cannot fill ({code}, {link} and {otp} are not served yet) or one that,
/// with the longest realistic values, the signature and the opt-out footer,
/// takes more than the club's `max_parts`. Returns its parts.
pub fn check_template(text: &str, settings: &Settings) -> Result<usize> {
    let invalid = |message: String| Error::Unprocessable { code: "invalid_template", message };
    template::validate(text).map_err(|e| invalid(e.to_string()))?;
    let longest_tier = settings.tiers.iter().map(|t| t.name.as_str()).max_by_key(|n| n.len()).unwrap_or_default().to_string();
    let longest = move |name: &str| match name {
        "name" => Some(LONGEST_NAME.to_string()),
        "points" => Some(persian_digits("9999999")),
        "tier" => Some(longest_tier.clone()),
        "expiry" => Some(persian_digits("1405/12/30")),
        "store" => Some(settings.sender_signature.clone()),
        _ => None,
    };
    let body = template::render(text, &longest).map_err(|e| invalid(format!("{e} ({{code}}, {{link}} and {{otp}} are not available in marketing messages yet)")))?;
    let parts = crate::sms::count(&marketing_text(&body, settings)).parts;
    if parts > settings.max_parts as usize {
        return Err(invalid(format!("with the longest values, the signature and the opt-out footer it takes {parts} SMS parts; the club allows {}", settings.max_parts)));
    }
    Ok(parts)
}

/// The club's automations, one record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automations {
    pub automations: Vec<Automation>,
}

impl Automations {
    pub fn get(&self, kind: Kind) -> Option<&Automation> {
        self.automations.iter().find(|a| a.kind == kind)
    }

    pub fn put(&mut self, automation: Automation) {
        self.automations.retain(|a| a.kind != automation.kind);
        self.automations.push(automation);
    }
}

/// A marketing message's text: its body, the signature, the opt-out footer.
pub fn marketing_text(body: &str, settings: &Settings) -> String {
    let signed = crate::consent::signed(body, &settings.sender_signature);
    if settings.optout_footer.is_empty() { signed } else { format!("{signed}\n{}", settings.optout_footer) }
}

/// The message an automation sends a member for an event (`None`: for a
/// day, such as their birthday).
pub fn text_for(automation: &Automation, member: &Member, e: Option<&Event>, settings: &Settings) -> Result<String> {
    let values = |name: &str| match name {
        "name" => member.name.clone(),
        "points" => e.and_then(|e| e.points).map(|p| persian_digits(&p.to_string())),
        "tier" => e.and_then(|e| e.tier.clone()).or_else(|| Some(member.tier.clone())),
        "expiry" => e.and_then(|e| e.expires_on.as_deref()).map(|d| persian_digits(&d.replace('-', "/"))),
        "store" => Some(settings.sender_signature.clone()),
        _ => None,
    };
    let body = template::render(&automation.template, &values).map_err(|err| Error::Unprocessable { code: "invalid_template", message: err.to_string() })?;
    Ok(marketing_text(&body, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(template: &str) -> AutomationInput {
        AutomationInput { enabled: true, template: template.into(), offset_days: 0, reward_id: None }
    }

    #[test]
    fn templates_are_checked_with_the_longest_values_and_the_footer() {
        let s = Settings { sender_signature: "فروشگاه نمونه".into(), ..Settings::default() };
        assert!(input("{name|مشتری عزیز}، امتیاز {points} شما تا {expiry} می‌سوزد.").validate(Kind::ExpiryReminder, &s).is_ok());
        let long = "خرید ".repeat(50);
        assert!(matches!(input(&long).validate(Kind::Winback, &s), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(input("{nmae}").validate(Kind::Winback, &s), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(input("کد {code}").validate(Kind::Winback, &s), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(AutomationInput { offset_days: 3, ..input("x") }.validate(Kind::Winback, &s), Err(Error::InvalidField { .. })));
    }

    #[test]
    fn the_text_carries_persian_digits_the_signature_and_the_footer() {
        let s = Settings { sender_signature: "فروشگاه نمونه".into(), ..Settings::default() };
        let input: crate::member::NewMember = serde_json::from_value(serde_json::json!({"phone": "09121234567"})).unwrap();
        let now = chrono::DateTime::from_timestamp(1_763_900_000, 0).unwrap();
        let member = input.validate(&s, crate::member::today(&s, now)).unwrap().into_member("m_1".into(), "ABCDEFGH".into(), None, &s, now);
        let e = Event { id: "x".into(), kind: event::Kind::ExpiryReminder, member: "m_1".into(), at: now, tier: None, segment: None, points: Some(40), expires_on: Some("1405-01-31".into()) };
        let a = input_automation("{name|مشتری عزیز}، {points} امتیاز شما در {expiry} می‌سوزد.");
        assert_eq!(text_for(&a, &member, Some(&e), &s).unwrap(), "مشتری عزیز، ۴۰ امتیاز شما در ۱۴۰۵/۰۱/۳۱ می‌سوزد.\nفروشگاه نمونه\nلغو11");
    }

    fn input_automation(template: &str) -> Automation {
        Automation { kind: Kind::ExpiryReminder, enabled: true, template: template.into() }
    }
}
