//! Club-wide settings: one JSON record, read with one key-value get by every
//! component. Defaults are the ones README "Settings (admin)" lists; `PUT /api/settings` replaces
//! the whole object, so a key left out goes back to its default; `PATCH` merges.

use crate::error::{Error, Result};
use crate::jalali::JalaliDate;
use crate::{phone, zone::Zone};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub timezone: Zone,
    pub default_country: String,
    /// The currency the club counts in: earning, tiers, bonus rules,
    /// rewards' amounts and reports. Each store's amounts convert to it on
    /// arrival (`money::Rate`).
    pub currency: String,
    pub earn: Earn,
    pub tiers: Vec<Tier>,
    pub tier_window_days: u32,
    pub points_expiry_months: u32,
    /// Days a paid order's points stay pending (the store's return window);
    /// 0 credits them at once.
    pub pending_days: u32,
    /// Days before a lot expires that its reminder is recorded.
    pub expiry_reminder_days: u32,
    /// Minutes a reward code validated for a cart stays held for it.
    pub code_lock_minutes: u32,
    /// Unknown codes a store key may try in a minute before it is refused
    /// (429) for the rest of the minute.
    pub code_misses_per_minute: u32,
    pub referral_points: ReferralPoints,
    pub quiet_hours: QuietHours,
    pub holidays: Vec<Holiday>,
    pub frequency_cap: FrequencyCap,
    pub sender_signature: String,
    pub optout_footer: String,
    pub max_parts: u32,
    pub winback_days: u32,
    /// The feedback automation's default delay after a purchase (days).
    pub feedback_delay_days: u32,
    /// Days after a feedback request is sent that a bare number 0-10 from
    /// the member is their score (and `1` no opt-out).
    pub feedback_reply_days: u32,
    pub attribution_days: u32,
    /// What the panel charges for one SMS part, in minor units (0: not
    /// known), for the cost estimate in campaign reports.
    pub sms_part_cost: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Earn {
    /// Minor units of money per `points` (default 100,000 IRR → 1 point).
    pub per_amount: u64,
    pub points: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    /// Spend (minor units) in the tier window needed to reach the tier.
    pub min_spend: u64,
    /// Earning multiplier in percent: 125 means ×1.25.
    pub multiplier_pct: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralPoints {
    pub referrer: u64,
    pub referee: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Local "HH:MM" when marketing may start.
    pub start: String,
    /// Local "HH:MM" when marketing must stop.
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: String,
    #[serde(default = "jalali_calendar")]
    pub calendar: Calendar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Calendar {
    Jalali,
    Gregorian,
}

fn jalali_calendar() -> Calendar {
    Calendar::Jalali
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCap {
    pub per_day: u32,
    pub per_week: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: Zone::tehran(),
            default_country: "IR".into(),
            currency: "IRR".into(),
            earn: Earn { per_amount: 100_000, points: 1 },
            tiers: vec![
                Tier { name: "bronze".into(), min_spend: 0, multiplier_pct: 100 },
                Tier { name: "silver".into(), min_spend: 20_000_000, multiplier_pct: 125 },
                Tier { name: "gold".into(), min_spend: 100_000_000, multiplier_pct: 150 },
            ],
            tier_window_days: 365,
            points_expiry_months: 12,
            pending_days: 0,
            expiry_reminder_days: 7,
            code_lock_minutes: 15,
            code_misses_per_minute: 20,
            referral_points: ReferralPoints { referrer: 50, referee: 50 },
            quiet_hours: QuietHours { start: "09:00".into(), end: "21:00".into() },
            holidays: Vec::new(),
            frequency_cap: FrequencyCap { per_day: 1, per_week: 3 },
            sender_signature: String::new(),
            optout_footer: "لغو11".into(),
            max_parts: 3,
            winback_days: 60,
            feedback_delay_days: 3,
            feedback_reply_days: 3,
            attribution_days: 7,
            sms_part_cost: 0,
        }
    }
}

impl Settings {
    /// Builds settings from a `PUT` body: unknown keys and every bad field are
    /// rejected with the field's name; keys left out take their defaults.
    pub fn from_json(body: &[u8]) -> Result<Settings> {
        let s: Settings = crate::json::parse(body)?;
        s.validate()?;
        Ok(s)
    }

    /// Rules the types alone cannot hold.
    pub fn validate(&self) -> Result<()> {
        let country = self.default_country.as_str();
        if !phone::is_supported_country(country) {
            return Err(Error::field("default_country", "expected a supported ISO 3166 code such as IR, AE or TR"));
        }
        if !crate::money::is_known(&self.currency) {
            return Err(Error::field("currency", "expected an ISO 4217 code such as IRR, or IRT, IRHR, IRHT"));
        }
        if self.earn.per_amount == 0 {
            return Err(Error::field("earn", "per_amount must be at least 1"));
        }
        if self.tiers.is_empty() || self.tiers[0].min_spend != 0 {
            return Err(Error::field("tiers", "expected at least one tier, the first with min_spend 0"));
        }
        for pair in self.tiers.windows(2) {
            if pair[1].min_spend <= pair[0].min_spend {
                return Err(Error::field("tiers", "min_spend must increase from one tier to the next"));
            }
        }
        for t in &self.tiers {
            let ok_name = !t.name.is_empty()
                && t.name.len() <= 32
                && t.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok_name {
                return Err(Error::field("tiers", format!("tier name {:?}: expected 1-32 of a-z, 0-9, _", t.name)));
            }
            if !(100..=1000).contains(&t.multiplier_pct) {
                return Err(Error::field("tiers", "multiplier_pct must be between 100 and 1000"));
            }
        }
        if self.tiers.iter().enumerate().any(|(i, t)| self.tiers[..i].iter().any(|u| u.name == t.name)) {
            return Err(Error::field("tiers", "tier names must be unique"));
        }
        in_range("tier_window_days", self.tier_window_days, 1, 3660)?;
        in_range("points_expiry_months", self.points_expiry_months, 1, 120)?;
        in_range("pending_days", self.pending_days, 0, 365)?;
        // Every Jalali month has at least 29 days: the reminder falls inside
        // the lot's last month.
        in_range("expiry_reminder_days", self.expiry_reminder_days, 0, 28)?;
        in_range("code_lock_minutes", self.code_lock_minutes, 1, 1440)?;
        in_range("code_misses_per_minute", self.code_misses_per_minute, 1, 10_000)?;
        let start = parse_hhmm(&self.quiet_hours.start);
        let end = parse_hhmm(&self.quiet_hours.end);
        match (start, end) {
            (Some(s), Some(e)) if s < e => {}
            _ => return Err(Error::field("quiet_hours", "expected start and end as \"HH:MM\" with start before end")),
        }
        for h in &self.holidays {
            let ok = match h.calendar {
                Calendar::Jalali => JalaliDate::parse(&h.date).is_some(),
                Calendar::Gregorian => parse_iso_date(&h.date).is_some(),
            };
            if !ok {
                return Err(Error::field("holidays", format!("{:?} is not a real {:?} date (YYYY-MM-DD)", h.date, h.calendar)));
            }
        }
        if self.frequency_cap.per_day == 0 || self.frequency_cap.per_week < self.frequency_cap.per_day {
            return Err(Error::field("frequency_cap", "per_day must be at least 1 and per_week at least per_day"));
        }
        if self.sender_signature.chars().count() > 40 {
            return Err(Error::field("sender_signature", "at most 40 characters"));
        }
        if self.optout_footer.trim().is_empty() || self.optout_footer.chars().count() > 20 {
            return Err(Error::field("optout_footer", "expected 1-20 characters, e.g. لغو11"));
        }
        in_range("max_parts", self.max_parts, 1, 10)?;
        in_range("winback_days", self.winback_days, 1, 3650)?;
        in_range("feedback_delay_days", self.feedback_delay_days, 0, 365)?;
        in_range("feedback_reply_days", self.feedback_reply_days, 1, 30)?;
        in_range("attribution_days", self.attribution_days, 1, 365)?;
        Ok(())
    }
}

/// A change of the club's currency, `before` → `after`: refused once the
/// club has counted orders (every amount it recorded would change meaning),
/// and when a store's currency (`stores`: id and currency) would not
/// convert to the new one.
pub fn check_currency_change(before: &Settings, after: &Settings, orders_counted: i64, stores: &[(String, String)]) -> Result<()> {
    if before.currency == after.currency {
        return Ok(());
    }
    if orders_counted > 0 {
        return Err(Error::field("currency", format!("the club has counted orders in {}; its currency can no longer change", before.currency)));
    }
    match stores.iter().find(|(_, c)| !crate::money::converts(c, &after.currency)) {
        Some((id, c)) => Err(Error::field("currency", format!("store {id} counts in {c}, which cannot be converted exactly to {}; change the store first", after.currency))),
        None => Ok(()),
    }
}

/// `YYYY-MM-DD` as a Gregorian date (without chrono's general parser, which
/// would add its whole format machinery to every component).
pub fn parse_iso_date(s: &str) -> Option<chrono::NaiveDate> {
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// "HH:MM" → minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn in_range(field: &str, v: u32, lo: u32, hi: u32) -> Result<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::field(field, format!("expected a whole number from {lo} to {hi}")))
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_those_the_api_documents() {
        let s = Settings::default();
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["timezone"], "Asia/Tehran");
        assert_eq!(v["default_country"], "IR");
        assert_eq!(v["currency"], "IRR");
        assert_eq!(v["earn"], json!({"per_amount": 100000, "points": 1}));
        assert_eq!(v["tiers"][2], json!({"name": "gold", "min_spend": 100000000, "multiplier_pct": 150}));
        assert_eq!(v["quiet_hours"], json!({"start": "09:00", "end": "21:00"}));
        assert_eq!(v["frequency_cap"], json!({"per_day": 1, "per_week": 3}));
        assert_eq!(v["optout_footer"], "لغو11");
        assert_eq!(v["max_parts"], 3);
        s.validate().unwrap();
        // The defaults survive a round trip through PUT.
        assert_eq!(Settings::from_json(v.to_string().as_bytes()).unwrap(), s);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: &[(serde_json::Value, &str)] = &[
            (json!({"colour": "red"}), "colour"),
            (json!({"timezone": "Mars/Olympus"}), "timezone"),
            (json!({"default_country": "XX"}), "default_country"),
            (json!({"currency": "toman"}), "currency"),
            (json!({"earn": {"per_amount": 0, "points": 1}}), "earn"),
            (json!({"earn": {"per_amount": 1}}), "earn"),
            (json!({"tiers": []}), "tiers"),
            (json!({"tiers": [{"name": "a", "min_spend": 5, "multiplier_pct": 100}]}), "tiers"),
            (json!({"tier_window_days": -1}), "tier_window_days"),
            (json!({"quiet_hours": {"start": "21:00", "end": "09:00"}}), "quiet_hours"),
            (json!({"quiet_hours": {"start": "9", "end": "21:00"}}), "quiet_hours"),
            (json!({"holidays": [{"date": "1405-13-01", "calendar": "jalali"}]}), "holidays"),
            (json!({"holidays": [{"date": "2026-02-30", "calendar": "gregorian"}]}), "holidays"),
            (json!({"frequency_cap": {"per_day": 2, "per_week": 1}}), "frequency_cap"),
            (json!({"max_parts": 0}), "max_parts"),
            (json!({"optout_footer": ""}), "optout_footer"),
            (json!({"attribution_days": "7"}), "attribution_days"),
        ];
        for (body, field) in cases {
            match Settings::from_json(body.to_string().as_bytes()) {
                Err(Error::InvalidField { field: f, .. }) => assert_eq!(&f, field, "body {body}"),
                other => panic!("body {body}: expected invalid {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_currency_changes_only_before_orders_and_to_one_every_store_converts_to() {
        let irr = Settings::default();
        let irt = Settings { currency: "IRT".into(), ..Settings::default() };
        let stores = |c: &str| vec![("shop".to_string(), c.to_string())];
        assert!(check_currency_change(&irr, &irr, 5, &stores("USD")).is_ok());
        assert!(check_currency_change(&irr, &irt, 0, &stores("IRHT")).is_ok());
        assert!(check_currency_change(&irr, &irt, 0, &stores("USD")).is_err());
        assert!(check_currency_change(&irr, &irt, 1, &[]).is_err());
    }

    #[test]
    fn a_partial_object_keeps_the_other_defaults() {
        let s = Settings::from_json(json!({"max_parts": 2, "holidays": [{"date": "1405-01-13"}]}).to_string().as_bytes()).unwrap();
        assert_eq!(s.max_parts, 2);
        assert_eq!(s.holidays[0].calendar, Calendar::Jalali);
        assert_eq!(s.winback_days, 60);
    }
}
