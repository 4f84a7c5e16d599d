//! Automations: messages the club sends by itself when something happens to
//! a member — joining (welcome), a purchase some days ago (thank-you,
//! feedback, replenishment), a birthday or the anniversary of joining, a
//! tier upgrade, points about to expire, and win-back when a member becomes
//! `lapsed`. Each is a marketing message: it passes the guards at send time
//! (`guard`) and carries the signature and the opt-out footer. Each may
//! attach a reward: a fresh single-use code, in `{code}`, that costs the
//! member no points.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::event::{self, Event};
use crate::member::Member;
use crate::message::Purpose;
use crate::segment::Segment;
use crate::settings::Settings;
use crate::template::{self, persian_digits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Welcome,
    ThankYou,
    Feedback,
    Replenishment,
    Birthday,
    Anniversary,
    TierUpgrade,
    ExpiryReminder,
    Winback,
}

/// The longest a purchase's automation waits (days).
pub const MAX_OFFSET_DAYS: u32 = 365;

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Welcome,
        Kind::ThankYou,
        Kind::Feedback,
        Kind::Replenishment,
        Kind::Birthday,
        Kind::Anniversary,
        Kind::TierUpgrade,
        Kind::ExpiryReminder,
        Kind::Winback,
    ];

    pub fn parse(s: &str) -> Result<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            Error::field("kind", format!("expected one of {}", names.join(", ")))
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Welcome => "welcome",
            Kind::ThankYou => "thank_you",
            Kind::Feedback => "feedback",
            Kind::Replenishment => "replenishment",
            Kind::Birthday => "birthday",
            Kind::Anniversary => "anniversary",
            Kind::TierUpgrade => "tier_upgrade",
            Kind::ExpiryReminder => "expiry_reminder",
            Kind::Winback => "winback",
        }
    }

    /// The automation an event calls for on its own day, if any (a
    /// purchase's automations come `offset_days` later: [`Automation::waits`]).
    pub fn of(e: &Event) -> Option<Kind> {
        match e.kind {
            event::Kind::Welcome => Some(Kind::Welcome),
            event::Kind::TierUpgrade => Some(Kind::TierUpgrade),
            event::Kind::ExpiryReminder => Some(Kind::ExpiryReminder),
            event::Kind::Segment if e.segment == Some(Segment::Lapsed) => Some(Kind::Winback),
            event::Kind::Segment | event::Kind::Purchase => None,
        }
    }

    /// The message's purpose: a feedback request opens a window in which a
    /// bare number is a score, not an opt-out.
    pub fn purpose(self) -> Purpose {
        if self == Kind::Feedback { Purpose::Feedback } else { Purpose::Campaign }
    }

    /// The campaign name its messages and counters go under.
    pub fn campaign(self) -> String {
        format!("auto:{}", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automation {
    pub kind: Kind,
    pub enabled: bool,
    pub template: String,
    /// thank_you and feedback: the days after the purchase (feedback's
    /// default is the club's `feedback_delay_days`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offset_days: u32,
    /// The reward whose fresh code fills `{code}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_id: Option<String>,
    /// replenishment: days after buying each category (lower case).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cycles: BTreeMap<String, u32>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Automation {
    /// The delays, in days after a purchase, this automation sweeps the
    /// purchases at (none: it does not follow purchases).
    pub fn waits(&self) -> Vec<u32> {
        match self.kind {
            Kind::ThankYou | Kind::Feedback => vec![self.offset_days],
            Kind::Replenishment => {
                let mut days: Vec<u32> = self.cycles.values().copied().collect();
                days.sort_unstable();
                days.dedup();
                days
            }
            _ => Vec::new(),
        }
    }

    /// Whether a purchase with these categories is due `wait` days later.
    pub fn due_after(&self, wait: u32, categories: &[String]) -> bool {
        match self.kind {
            Kind::Replenishment => categories.iter().any(|c| self.cycles.get(c) == Some(&wait)),
            _ => true,
        }
    }
}

/// `PUT /api/automations/{kind}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationInput {
    pub enabled: bool,
    pub template: String,
    #[serde(default)]
    pub offset_days: Option<u32>,
    #[serde(default)]
    pub reward_id: Option<String>,
    #[serde(default)]
    pub cycles: BTreeMap<String, u32>,
}

/// The longest values a template meets, for counting its parts.
const LONGEST_NAME: &str = "عبدالرحمن محمدحسین‌زاده اصفهانی";

impl AutomationInput {
    /// `reward_exists` says whether the catalog has the reward named.
    pub fn validate(self, kind: Kind, settings: &Settings, reward_exists: impl Fn(&str) -> bool) -> Result<Automation> {
        let offset_days = match (kind, self.offset_days) {
            (Kind::ThankYou | Kind::Feedback, Some(d)) if d <= MAX_OFFSET_DAYS => d,
            (Kind::ThankYou, None) => 0,
            (Kind::Feedback, None) => settings.feedback_delay_days,
            (Kind::ThankYou | Kind::Feedback, Some(_)) => return Err(Error::field("offset_days", format!("expected the days after the purchase, 0-{MAX_OFFSET_DAYS}"))),
            (_, None | Some(0)) => 0,
            (_, Some(_)) => return Err(Error::field("offset_days", "only thank_you and feedback wait a number of days")),
        };
        let mut cycles = BTreeMap::new();
        for (category, days) in self.cycles {
            let category = category.trim().to_lowercase();
            if category.is_empty() || category.chars().count() > 64 || !(1..=MAX_OFFSET_DAYS).contains(&days) {
                return Err(Error::field("cycles", format!("expected category names (1-64 characters) to days (1-{MAX_OFFSET_DAYS})")));
            }
            cycles.insert(category, days);
        }
        if (kind == Kind::Replenishment) == cycles.is_empty() || cycles.len() > 100 {
            let why = if kind == Kind::Replenishment { "expected 1-100 categories with their cycle in days" } else { "only replenishment has cycles" };
            return Err(Error::field("cycles", why));
        }
        if let Some(id) = self.reward_id.as_deref().filter(|id| !reward_exists(id)) {
            return Err(Error::field("reward_id", format!("no reward {id:?} in the catalog")));
        }
        let code = self.reward_id.is_some();
        if code != self.template.contains("{code") {
            let why = if code { "a reward is attached: the template must give the member its {code}" } else { "{code} needs a reward_id: the code of a reward attached to the automation" };
            return Err(Error::Unprocessable { code: "invalid_template", message: format!("template: {why}") });
        }
        check_template(&self.template, settings, code.then(|| ("code", "W".repeat(crate::redemption::CODE_LEN))))?;
        // Only the expiry reminder knows the points and the date in question.
        if kind != Kind::ExpiryReminder
            && let Some(p) = ["{points", "{expiry"].iter().find(|p| self.template.contains(*p))
        {
            return Err(Error::Unprocessable { code: "invalid_template", message: format!("template: {}}} is only available in expiry_reminder", &p[..]) });
        }
        Ok(Automation { kind, enabled: self.enabled, template: self.template, offset_days, reward_id: self.reward_id, cycles })
    }
}

/// Refuses (422 `invalid_template`) a marketing template with a placeholder
/// it cannot fill or one that, with the longest realistic values, the
/// signature and the opt-out footer, takes more than the club's
/// `max_parts`. `extra`: the one placeholder this message also fills
/// (`{code}` with a reward, `{link}` with a target) and its longest value;
/// `{otp}` never. Returns its parts.
pub fn check_template(text: &str, settings: &Settings, extra: Option<(&str, String)>) -> Result<usize> {
    let invalid = |message: String| Error::Unprocessable { code: "invalid_template", message };
    template::validate(text).map_err(|e| invalid(e.to_string()))?;
    let longest_tier = settings.tiers.iter().map(|t| t.name.as_str()).max_by_key(|n| n.len()).unwrap_or_default().to_string();
    let longest = move |name: &str| match name {
        "name" => Some(LONGEST_NAME.to_string()),
        "points" => Some(persian_digits("9999999")),
        "tier" => Some(longest_tier.clone()),
        "expiry" => Some(persian_digits("1405/12/30")),
        "store" => Some(settings.sender_signature.clone()),
        other => extra.as_ref().filter(|(name, _)| *name == other).map(|(_, value)| value.clone()),
    };
    let body = template::render(text, &longest).map_err(|e| invalid(format!("{e} ({{code}} needs a reward attached to an automation, {{link}} a broadcast's link_url; {{otp}} is not for marketing)")))?;
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
/// day, such as their birthday), with the code of its reward if any.
pub fn text_for(automation: &Automation, member: &Member, e: Option<&Event>, code: Option<&str>, settings: &Settings) -> Result<String> {
    let values = |name: &str| match name {
        "code" => code.map(str::to_string),
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

/// An automation's template as a sample member would get it, with the
/// signature and the footer: the dashboard's live preview. Refused as
/// saving it would be (`validate`), `with_reward` as if a reward were
/// attached.
pub fn sample_text(kind: Kind, template: &str, with_reward: bool, settings: &Settings) -> Result<String> {
    let input = AutomationInput { enabled: true, template: template.to_string(), offset_days: None, reward_id: with_reward.then(|| "sample".to_string()), cycles: BTreeMap::new() };
    let input = if kind == Kind::Replenishment { AutomationInput { cycles: BTreeMap::from([("sample".to_string(), 30)]), ..input } } else { input };
    let automation = input.validate(kind, settings, |_| true)?;
    let tier = settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default();
    let values = |name: &str| match name {
        "code" => Some("K7M2QX9RB4TW".to_string()),
        "name" => Some("سارا".to_string()),
        "points" => Some(persian_digits("1250")),
        "tier" => Some(tier.clone()),
        "expiry" => Some(persian_digits("1405/09/30")),
        "store" => Some(settings.sender_signature.clone()),
        _ => None,
    };
    let body = template::render(&automation.template, &values).map_err(|err| Error::Unprocessable { code: "invalid_template", message: err.to_string() })?;
    Ok(marketing_text(&body, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_fills_every_placeholder_its_kind_allows_and_refuses_the_rest() {
        let settings = Settings { sender_signature: "کافه".into(), optout_footer: "لغو۱۱".into(), ..Settings::default() };
        let text = sample_text(Kind::ExpiryReminder, "{name}، {points} امتیاز تا {expiry}", false, &settings).unwrap();
        assert_eq!(text, "سارا، ۱۲۵۰ امتیاز تا ۱۴۰۵/۰۹/۳۰\nکافه\nلغو۱۱");
        assert!(sample_text(Kind::Welcome, "کد شما {code}", true, &settings).unwrap().contains("K7M2QX9RB4TW"));
        assert!(sample_text(Kind::Welcome, "{points}", false, &settings).is_err(), "points only in the expiry reminder");
        assert!(sample_text(Kind::Welcome, "کد شما {code}", false, &settings).is_err(), "a code needs a reward");
        assert!(sample_text(Kind::Replenishment, "وقت خرید دوباره است", false, &settings).is_ok());
    }

    fn none(_: &str) -> bool {
        false
    }

    fn input(template: &str) -> AutomationInput {
        AutomationInput { enabled: true, template: template.into(), offset_days: None, reward_id: None, cycles: BTreeMap::new() }
    }

    #[test]
    fn templates_are_checked_with_the_longest_values_and_the_footer() {
        let s = Settings { sender_signature: "فروشگاه نمونه".into(), ..Settings::default() };
        assert!(input("{name|مشتری عزیز}، امتیاز {points} شما تا {expiry} می‌سوزد.").validate(Kind::ExpiryReminder, &s, none).is_ok());
        let long = "خرید ".repeat(50);
        assert!(matches!(input(&long).validate(Kind::Winback, &s, none), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(input("{nmae}").validate(Kind::Winback, &s, none), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(input("کد {code}").validate(Kind::Winback, &s, none), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert!(matches!(AutomationInput { offset_days: Some(3), ..input("x") }.validate(Kind::Winback, &s, none), Err(Error::InvalidField { .. })));
    }

    #[test]
    fn purchases_wait_their_days_and_a_reward_fills_the_code() {
        let s = Settings::default();
        let any = |_: &str| true;
        let thanks = AutomationInput { offset_days: Some(2), reward_id: Some("r1".into()), ..input("ممنون از خرید شما! کد هدیه: {code}") };
        assert_eq!(thanks.clone().validate(Kind::ThankYou, &s, any).unwrap().waits(), vec![2]);
        assert!(matches!(thanks.clone().validate(Kind::ThankYou, &s, none), Err(Error::InvalidField { field, .. }) if field == "reward_id"));
        let no_code = AutomationInput { template: "ممنون!".into(), ..thanks.clone() };
        assert!(matches!(no_code.validate(Kind::ThankYou, &s, any), Err(Error::Unprocessable { code: "invalid_template", .. })));
        assert_eq!(input("نظر شما؟").validate(Kind::Feedback, &s, none).unwrap().offset_days, s.feedback_delay_days, "the club's default delay");
        let late = AutomationInput { offset_days: Some(400), ..input("نظر شما؟") };
        assert!(matches!(late.validate(Kind::Feedback, &s, none), Err(Error::InvalidField { field, .. }) if field == "offset_days"));
        let cycles = BTreeMap::from([("Coffee ".to_string(), 30), ("tea".to_string(), 30), ("filter".to_string(), 90)]);
        let refill = AutomationInput { cycles, ..input("وقت خرید دوباره است") }.validate(Kind::Replenishment, &s, none).unwrap();
        assert_eq!(refill.waits(), vec![30, 90]);
        assert!(refill.due_after(30, &["coffee".into()]) && !refill.due_after(90, &["coffee".into()]));
        assert!(input("x").validate(Kind::Replenishment, &s, none).is_err(), "replenishment needs its cycles");
    }

    #[test]
    fn the_text_carries_persian_digits_the_signature_and_the_footer() {
        let s = Settings { sender_signature: "فروشگاه نمونه".into(), ..Settings::default() };
        let input: crate::member::NewMember = serde_json::from_value(serde_json::json!({"phone": "09121234567"})).unwrap();
        let now = chrono::DateTime::from_timestamp(1_763_900_000, 0).unwrap();
        let member = input.validate(&s, crate::member::today(&s, now)).unwrap().into_member("m_1".into(), "ABCDEFGH".into(), None, &s, now);
        let e = Event { id: "x".into(), kind: event::Kind::ExpiryReminder, member: "m_1".into(), at: now, tier: None, segment: None, points: Some(40), expires_on: Some("1405-01-31".into()), categories: Vec::new() };
        let a = input_automation("{name|مشتری عزیز}، {points} امتیاز شما در {expiry} می‌سوزد.");
        assert_eq!(text_for(&a, &member, Some(&e), None, &s).unwrap(), "مشتری عزیز، ۴۰ امتیاز شما در ۱۴۰۵/۰۱/۳۱ می‌سوزد.\nفروشگاه نمونه\nلغو11");
    }

    fn input_automation(template: &str) -> Automation {
        Automation { kind: Kind::ExpiryReminder, enabled: true, template: template.into(), offset_days: 0, reward_id: None, cycles: BTreeMap::new() }
    }
}
