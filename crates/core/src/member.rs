//! Members of the club: who they are, how they agreed to hear from us, and the
//! decisions that change them. Points live in their own counter (see the
//! adapter's key layout); this record holds everything else.

use crate::consent::{Consent, ConsentEvent, ConsentStatus, Source};
use crate::error::{Error, Result};
use crate::jalali::JalaliDate;
use crate::phone::{self, Phone};
use crate::settings::{Calendar, Settings};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How many consent changes a member record keeps (oldest dropped first).
pub const CONSENT_HISTORY_LIMIT: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub phone: Option<Phone>,
    pub name: Option<String>,
    pub birthday: Option<Birthday>,
    pub tags: Vec<String>,
    #[serde(with = "crate::time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    pub store_id: Option<String>,
    pub referral_code: String,
    pub referred_by: Option<String>,
    pub consent: Consent,
    pub consent_history: Vec<ConsentEvent>,
    /// A hard opt-out from every SMS, transactional included: the member
    /// asked for no SMS at all.
    pub sms_blocked: bool,
    /// The panel reported that the number blocks advertising SMS
    /// (`*800#`): only codes sent through the panel's templates reach it.
    #[serde(default)]
    pub ads_blocked: bool,
    pub tier: String,
    pub stats: Stats,
    #[serde(with = "crate::time::rfc3339::option")]
    pub erased_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

pub use crate::segment::Stats;

/// A birthday as the member gave it: Jalali unless said otherwise, the year
/// optional (many people share the day but not the year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birthday {
    pub calendar: Calendar,
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
}

impl Birthday {
    /// Parses `YYYY-MM-DD` or `MM-DD` (Persian digits accepted) in `calendar`.
    pub fn parse(text: &str, calendar: Calendar) -> Result<Birthday> {
        let bad = || {
            Error::field(
                "birthday",
                format!("expected a real {} date as YYYY-MM-DD or MM-DD", calendar_name(calendar)),
            )
        };
        let ascii: String = crate::text::ascii_digits(text.trim());
        let parts: Vec<&str> = ascii.split(['-', '/']).collect();
        let nums: Vec<u32> = parts.iter().map(|p| p.parse::<u32>()).collect::<std::result::Result<_, _>>().map_err(|_| bad())?;
        let (year, month, day) = match nums.as_slice() {
            [y, m, d] => (Some(*y as i32), *m, *d),
            [m, d] => (None, *m, *d),
            _ => return Err(bad()),
        };
        let valid = match (calendar, year) {
            (Calendar::Jalali, Some(y)) => (1300..=1500).contains(&y) && JalaliDate::new(y, month, day).is_some(),
            // Without a year, 30 Esfand is a real birthday (it exists in leap years).
            (Calendar::Jalali, None) => JalaliDate::new(1399, month, day).is_some(),
            (Calendar::Gregorian, Some(y)) => (1900..=2100).contains(&y) && NaiveDate::from_ymd_opt(y, month, day).is_some(),
            (Calendar::Gregorian, None) => NaiveDate::from_ymd_opt(2024, month, day).is_some(),
        };
        if !valid {
            return Err(bad());
        }
        Ok(Birthday { calendar, year, month, day })
    }

    /// A birthday cannot be in the future.
    fn check_not_future(&self, today: NaiveDate) -> Result<()> {
        if let Some(date) = self.gregorian_date()
            && date > today {
                return Err(Error::field("birthday", "a birthday cannot be in the future"));
            }
        Ok(())
    }

    fn gregorian_date(&self) -> Option<NaiveDate> {
        let y = self.year?;
        match self.calendar {
            Calendar::Jalali => JalaliDate::new(y, self.month, self.day).map(|d| d.to_gregorian()),
            Calendar::Gregorian => NaiveDate::from_ymd_opt(y, self.month, self.day),
        }
    }

    /// The wire form: `{"date": "1370-06-15", "calendar": "jalali"}`.
    pub fn view(&self) -> BirthdayView {
        let date = match self.year {
            Some(y) => format!("{y:04}-{:02}-{:02}", self.month, self.day),
            None => format!("{:02}-{:02}", self.month, self.day),
        };
        BirthdayView { date, calendar: self.calendar }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BirthdayView {
    pub date: String,
    pub calendar: Calendar,
}

fn calendar_name(c: Calendar) -> &'static str {
    match c {
        Calendar::Jalali => "Jalali",
        Calendar::Gregorian => "Gregorian",
    }
}

/// The birthdays (calendar, month, day) celebrated on `date`, the club's
/// local date: its Jalali and its Gregorian day, and on 29 Esfand of a
/// common year the 30 Esfand birthdays, on 28 February of a common year the
/// 29 February ones.
pub fn birthdays_on(date: NaiveDate) -> Vec<(Calendar, u32, u32)> {
    let j = JalaliDate::from_gregorian(date);
    let mut out = vec![(Calendar::Jalali, j.month, j.day), (Calendar::Gregorian, date.month(), date.day())];
    if (j.month, j.day) == (12, 29) && !JalaliDate::is_leap_year(j.year) {
        out.push((Calendar::Jalali, 12, 30));
    }
    if (date.month(), date.day()) == (2, 28) && NaiveDate::from_ymd_opt(date.year(), 2, 29).is_none() {
        out.push((Calendar::Gregorian, 2, 29));
    }
    out
}

/// The consent part of a create request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub marketing: bool,
    pub source: Option<String>,
    pub text: Option<String>,
}

/// `POST /api/members`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub phone: String,
    pub name: Option<String>,
    pub birthday: Option<String>,
    pub calendar: Option<Calendar>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub consent: Option<ConsentInput>,
    pub referral_code: Option<String>,
    pub store_id: Option<String>,
}

/// `PATCH /api/members/{id}`: only the fields present change; `null` clears
/// name or birthday.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub birthday: Option<Option<String>>,
    pub calendar: Option<Calendar>,
    pub tags: Option<Vec<String>>,
}

fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A new member's fields, validated; ids and codes are drawn by the caller.
#[derive(Debug, Clone)]
pub struct Draft {
    pub phone: Phone,
    pub name: Option<String>,
    pub birthday: Option<Birthday>,
    pub tags: Vec<String>,
    pub consent: Option<(bool, Source, Option<String>)>,
    pub referral_code: Option<String>,
    pub store_id: Option<String>,
}

impl NewMember {
    /// Checks every field (the first bad one is named) without touching state.
    pub fn validate(self, settings: &Settings, today: NaiveDate) -> Result<Draft> {
        let phone = parse_phone(&self.phone, settings)?;
        let name = self.name.map(|n| validate_name(&n)).transpose()?.flatten();
        let calendar = self.calendar.unwrap_or(Calendar::Jalali);
        let birthday = self.birthday.map(|b| parse_birthday(&b, calendar, today)).transpose()?;
        let tags = validate_tags(self.tags)?;
        let consent = match self.consent {
            None => None,
            Some(c) => {
                let source = match c.source.as_deref() {
                    None => Source::Api,
                    Some(s) => Source::parse(s)?,
                };
                Some((c.marketing, source, validate_consent_text(c.text)?))
            }
        };
        let referral_code = self.referral_code.map(|c| normalize_referral_code(&c)).transpose()?;
        let store_id = self.store_id.map(|s| crate::shop::validate_id(&s).map(|_| s)).transpose()?;
        Ok(Draft { phone, name, birthday, tags, consent, referral_code, store_id })
    }
}

pub fn parse_phone(raw: &str, settings: &Settings) -> Result<Phone> {
    phone::normalize(raw, &settings.default_country).map_err(|e| Error::InvalidField { field: "phone".into(), message: e.to_string() })
}

impl Member {
    /// A member gives their own birthday once; a later change is the
    /// owner's (a birthday gift is worth a new birthday every month).
    pub fn give_birthday(&mut self, text: &str, calendar: Calendar, today: NaiveDate, now: DateTime<Utc>) -> Result<Birthday> {
        if self.birthday.is_some() {
            return Err(Error::Conflict { code: "birthday_already_set", message: "the birthday is already given; the club can change it".into(), member_id: None });
        }
        let b = parse_birthday(text, calendar, today)?;
        self.birthday = Some(b);
        self.updated_at = now;
        Ok(b)
    }
}

pub fn parse_birthday(text: &str, calendar: Calendar, today: NaiveDate) -> Result<Birthday> {
    let b = Birthday::parse(text, calendar)?;
    b.check_not_future(today)?;
    Ok(b)
}

/// Names are trimmed; empty means none; at most 100 characters.
pub fn validate_name(name: &str) -> Result<Option<String>> {
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(Error::field("name", "at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::field("name", "control characters are not allowed"));
    }
    Ok((!name.is_empty()).then(|| name.to_string()))
}

/// Tags (interest groups): at most 20, each 1-32 letters, digits, `-` or `_`
/// (Persian letters welcome), stored lower-cased without duplicates.
pub fn validate_tags(tags: Vec<String>) -> Result<Vec<String>> {
    if tags.len() > 20 {
        return Err(Error::field("tags", "at most 20 tags"));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim().to_lowercase();
        let ok = (1..=32).contains(&t.chars().count())
            && t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '\u{200c}');
        if !ok {
            return Err(Error::field("tags", format!("tag {t:?}: expected 1-32 letters, digits, - or _")));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn validate_consent_text(text: Option<String>) -> Result<Option<String>> {
    match text {
        Some(t) if t.chars().count() > 1000 => Err(Error::field("consent", "text: at most 1000 characters")),
        Some(t) if t.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// Referral codes are shown upper-case; people type them any way.
pub fn normalize_referral_code(code: &str) -> Result<String> {
    let code = crate::text::ascii_digits(code.trim()).to_uppercase();
    if code.len() == REFERRAL_CODE_LEN && code.bytes().all(|b| crate::secret::READABLE.contains(&b)) {
        Ok(code)
    } else {
        Err(Error::field("referral_code", format!("expected {REFERRAL_CODE_LEN} characters from {}", std::str::from_utf8(crate::secret::READABLE).unwrap_or_default())))
    }
}

pub const REFERRAL_CODE_LEN: usize = 8;

impl Draft {
    /// The member this draft becomes, with the id and codes the caller drew.
    pub fn into_member(self, id: String, referral_code: String, referred_by: Option<String>, settings: &Settings, now: DateTime<Utc>) -> Member {
        let mut m = Member {
            id,
            phone: Some(self.phone),
            name: self.name,
            birthday: self.birthday,
            tags: self.tags,
            joined_at: now,
            store_id: self.store_id,
            referral_code,
            referred_by,
            consent: Consent::default(),
            consent_history: Vec::new(),
            sms_blocked: false,
            ads_blocked: false,
            tier: settings.tiers.first().map(|t| t.name.clone()).unwrap_or_default(),
            stats: Stats::default(),
            erased_at: None,
            updated_at: now,
        };
        if let Some((marketing, source, text)) = self.consent {
            m.record_consent(marketing, source, text, now);
        }
        m
    }
}

impl Member {
    pub fn is_erased(&self) -> bool {
        self.erased_at.is_some()
    }

    /// Appends a consent change and makes it current.
    pub fn record_consent(&mut self, marketing: bool, source: Source, text: Option<String>, now: DateTime<Utc>) {
        let status = if marketing { ConsentStatus::OptedIn } else { ConsentStatus::OptedOut };
        let event = ConsentEvent { status, source, at: now, text };
        self.consent = Consent { status, source: Some(source), at: Some(now), text: event.text.clone() };
        self.consent_history.push(event);
        if self.consent_history.len() > CONSENT_HISTORY_LIMIT {
            let extra = self.consent_history.len() - CONSENT_HISTORY_LIMIT;
            self.consent_history.drain(..extra);
        }
        self.updated_at = now;
    }

    pub fn apply_patch(&mut self, patch: MemberPatch, today: NaiveDate, now: DateTime<Utc>) -> Result<()> {
        let name = match patch.name {
            Some(Some(n)) => Some(validate_name(&n)?),
            Some(None) => Some(None),
            None => None,
        };
        let calendar = patch.calendar.unwrap_or(Calendar::Jalali);
        let birthday = match patch.birthday {
            Some(Some(b)) => Some(Some(parse_birthday(&b, calendar, today)?)),
            Some(None) => Some(None),
            None if patch.calendar.is_some() => return Err(Error::field("calendar", "give calendar together with birthday")),
            None => None,
        };
        let tags = patch.tags.map(validate_tags).transpose()?;
        if let Some(n) = name {
            self.name = n;
        }
        if let Some(b) = birthday {
            self.birthday = b;
        }
        if let Some(t) = tags {
            self.tags = t;
        }
        self.updated_at = now;
        Ok(())
    }

    /// Erasure: personal data goes for good; the anonymous totals stay.
    pub fn erase(&mut self, now: DateTime<Utc>) {
        self.phone = None;
        self.name = None;
        self.birthday = None;
        self.tags.clear();
        self.consent.text = None;
        for e in &mut self.consent_history {
            e.text = None;
        }
        self.erased_at = Some(now);
        self.updated_at = now;
    }

    /// Marketing may go only to a member who opted in and is not blocked.
    pub fn accepts_marketing(&self) -> bool {
        !self.sms_blocked && !self.ads_blocked && !self.is_erased() && self.consent.status == ConsentStatus::OptedIn
    }

    /// Transactional SMS (codes, receipts asked for) needs no marketing
    /// consent but respects a hard opt-out from all SMS.
    pub fn accepts_transactional(&self) -> bool {
        !self.sms_blocked && !self.is_erased()
    }

    /// The API's member shape, with what their wallet says of them.
    pub fn view(&self, standing: &Standing) -> MemberView<'_> {
        MemberView {
            id: &self.id,
            phone: self.phone.as_ref().map(Phone::as_str),
            name: self.name.as_deref(),
            birthday: self.birthday.map(|b| b.view()),
            tags: &self.tags,
            joined_at: self.joined_at,
            store_id: self.store_id.as_deref(),
            tier: &self.tier,
            points: standing.points,
            pending_points: standing.pending_points,
            referral_code: &self.referral_code,
            referred_by: self.referred_by.as_deref(),
            consent: &self.consent,
            consent_history: &self.consent_history,
            sms_blocked: self.sms_blocked,
            ads_blocked: self.ads_blocked,
            stats: &self.stats,
            segment: standing.segment.as_str(),
            rfm: standing.rfm,
            erased: self.is_erased(),
        }
    }
}

/// A member as the API shows it (README "Members").
#[derive(Debug, Serialize)]
pub struct MemberView<'a> {
    pub id: &'a str,
    pub phone: Option<&'a str>,
    pub name: Option<&'a str>,
    pub birthday: Option<BirthdayView>,
    pub tags: &'a [String],
    #[serde(with = "crate::time::rfc3339")]
    pub joined_at: DateTime<Utc>,
    pub store_id: Option<&'a str>,
    pub tier: &'a str,
    pub points: i64,
    pub pending_points: i64,
    pub referral_code: &'a str,
    pub referred_by: Option<&'a str>,
    pub consent: &'a Consent,
    pub consent_history: &'a [ConsentEvent],
    pub sms_blocked: bool,
    pub ads_blocked: bool,
    pub stats: &'a Stats,
    pub segment: &'static str,
    pub rfm: crate::segment::Rfm,
    pub erased: bool,
}

/// What a member's wallet adds to their page.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    pub points: i64,
    /// Points of paid orders still in the return window.
    pub pending_points: i64,
    /// As of their last purchase or daily review.
    pub segment: crate::segment::Segment,
    pub rfm: crate::segment::Rfm,
}

/// Today's date in the club's zone, Gregorian: what "not in the future" means.
pub fn today(settings: &Settings, now: DateTime<Utc>) -> NaiveDate {
    let d = settings.timezone.local_date(now);
    NaiveDate::from_ymd_opt(d.year(), d.month(), d.day()).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-11-22T08:30:00Z".parse().unwrap()
    }

    fn draft(body: serde_json::Value) -> Result<Draft> {
        let input: NewMember = serde_json::from_value(body).expect("shape");
        input.validate(&Settings::default(), today(&Settings::default(), now()))
    }

    fn bad_field(body: serde_json::Value) -> String {
        match draft(body.clone()) {
            Err(Error::InvalidField { field, .. }) => field,
            other => panic!("{body}: expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn each_invalid_field_is_named() {
        let cases = [
            (json!({"phone": "021 1234 5678"}), "phone"),
            (json!({"phone": "09121234567", "name": "x".repeat(101)}), "name"),
            (json!({"phone": "09121234567", "birthday": "1370-13-01"}), "birthday"),
            (json!({"phone": "09121234567", "birthday": "1370-07-31"}), "birthday"),
            (json!({"phone": "09121234567", "birthday": "1406-01-01"}), "birthday"),
            (json!({"phone": "09121234567", "birthday": "1990-02-30", "calendar": "gregorian"}), "birthday"),
            (json!({"phone": "09121234567", "tags": ["a b"]}), "tags"),
            (json!({"phone": "09121234567", "tags": vec!["t"; 21]}), "tags"),
            (json!({"phone": "09121234567", "tags": ["x".repeat(33)]}), "tags"),
            (json!({"phone": "09121234567", "consent": {"marketing": true, "source": "fax"}}), "consent"),
            (json!({"phone": "09121234567", "referral_code": "O0I1"}), "referral_code"),
            (json!({"phone": "09121234567", "store_id": "Bad Id"}), "store_id"),
        ];
        for (body, field) in cases {
            assert_eq!(bad_field(body.clone()), field, "{body}");
        }
    }

    #[test]
    fn birthdays_take_both_calendars_and_an_optional_year() {
        let cases = [
            ("1370-06-15", Calendar::Jalali, Some((Some(1370), 6, 15))),
            ("۱۳۷۰/۰۶/۱۵", Calendar::Jalali, Some((Some(1370), 6, 15))),
            ("12-30", Calendar::Jalali, Some((None, 12, 30))),
            ("1399-12-30", Calendar::Jalali, Some((Some(1399), 12, 30))),
            ("1400-12-30", Calendar::Jalali, None),
            ("1991-09-06", Calendar::Gregorian, Some((Some(1991), 9, 6))),
            ("02-29", Calendar::Gregorian, Some((None, 2, 29))),
            ("1370", Calendar::Jalali, None),
        ];
        for (text, cal, expect) in cases {
            let got = Birthday::parse(text, cal).ok().map(|b| (b.year, b.month, b.day));
            assert_eq!(got, expect, "{text}");
        }
    }

    #[test]
    fn consent_changes_are_kept_as_history() {
        let mut m = draft(json!({"phone": "09121234567", "consent": {"marketing": true, "source": "checkout", "text": "عضو باشگاه می‌شوم"}}))
            .unwrap()
            .into_member("m_1".into(), "ABCDEFGH".into(), None, &Settings::default(), now());
        assert!(m.accepts_marketing());
        m.record_consent(false, Source::Keyword, None, now());
        assert!(!m.accepts_marketing());
        assert!(m.accepts_transactional());
        assert_eq!(m.consent_history.len(), 2);
        assert_eq!(m.consent_history[0].text.as_deref(), Some("عضو باشگاه می‌شوم"));
    }

    #[test]
    fn erasure_removes_personal_data_and_keeps_totals() {
        let mut m = draft(json!({"phone": "09121234567", "name": "سارا", "birthday": "1370-06-15", "tags": ["coffee"]}))
            .unwrap()
            .into_member("m_1".into(), "ABCDEFGH".into(), None, &Settings::default(), now());
        m.stats.orders = 4;
        m.erase(now());
        let v = serde_json::to_value(m.view(&Standing { points: 120, ..Standing::default() })).unwrap();
        assert_eq!(v["phone"], serde_json::Value::Null);
        assert_eq!(v["name"], serde_json::Value::Null);
        assert_eq!(v["birthday"], serde_json::Value::Null);
        assert_eq!(v["stats"]["orders"], 4);
        assert_eq!(v["points"], 120);
        assert!(!m.accepts_transactional());
    }

    #[test]
    fn esfand_30_and_february_29_birthdays_fall_on_the_day_before_in_common_years() {
        let on = |y, m, d| birthdays_on(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        // 29 Esfand 1405 (common) is 20 March 2027; 30 Esfand 1403 (leap) is 20 March 2025.
        assert!(on(2027, 3, 20).contains(&(Calendar::Jalali, 12, 30)));
        assert!(!on(2025, 3, 19).contains(&(Calendar::Jalali, 12, 30)), "1403 is leap: 30 Esfand has its own day");
        assert!(on(2025, 3, 20).contains(&(Calendar::Jalali, 12, 30)));
        assert!(on(2026, 3, 21).contains(&(Calendar::Jalali, 1, 1)));
        assert!(on(2026, 2, 28).contains(&(Calendar::Gregorian, 2, 29)));
        assert!(!on(2028, 2, 28).contains(&(Calendar::Gregorian, 2, 29)));
    }
}
