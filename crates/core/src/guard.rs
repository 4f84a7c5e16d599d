//! The guards every marketing message passes when it is about to go out,
//! whoever queued it: only to opted-in members; only inside the quiet-hours
//! window in the club's zone (outside it, the message waits for the next
//! window); never on a holiday (the fixed Jalali public holidays and the
//! dates the club adds for the lunar ones; it waits for the next working
//! day); and never beyond the frequency cap, counted on the marketing
//! messages the member was sent (then it is skipped). Transactional
//! messages pass none of these: a code the member asked for goes at once.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use crate::jalali::JalaliDate;
use crate::member::Member;
use crate::settings::{Calendar, Settings, parse_hhmm, parse_iso_date};

/// Iran's fixed public holidays on the Jalali calendar (month, day):
/// Nowruz (1–4 Farvardin), Islamic Republic Day and Sizdah Bedar (12–13
/// Farvardin), 14–15 Khordad, 22 Bahman, oil nationalisation (29 Esfand).
pub const FIXED_HOLIDAYS: [(u32, u32); 10] = [(1, 1), (1, 2), (1, 3), (1, 4), (1, 12), (1, 13), (3, 14), (3, 15), (11, 22), (12, 29)];

/// Why a marketing message was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    OptedOut,
    FrequencyCap,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::OptedOut => "opted_out",
            Skip::FrequencyCap => "frequency_cap",
        }
    }
}

/// Why a marketing message waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    QuietHours,
    Holiday,
}

impl Hold {
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::QuietHours => "quiet_hours",
            Hold::Holiday => "holiday",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Not now: try again at this moment.
    Wait(DateTime<Utc>, Hold),
    Skip(Skip),
}

/// Marketing messages the member was sent: today, and in the last seven
/// days (today included), in the club's zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    pub today: u32,
    pub week: u32,
}

/// Whether a marketing message to `member` may go at `now`.
pub fn check(member: Option<&Member>, settings: &Settings, now: DateTime<Utc>, sent: Sent) -> Verdict {
    if !member.is_some_and(Member::accepts_marketing) {
        return Verdict::Skip(Skip::OptedOut);
    }
    let window = next_window(settings, now);
    if window > now {
        let hold = if is_holiday(settings, settings.timezone.local_date(now)) { Hold::Holiday } else { Hold::QuietHours };
        return Verdict::Wait(window, hold);
    }
    let cap = &settings.frequency_cap;
    if sent.today >= cap.per_day || sent.week >= cap.per_week {
        return Verdict::Skip(Skip::FrequencyCap);
    }
    Verdict::Send
}

/// Whether `date` (the club's local date) is a holiday.
pub fn is_holiday(settings: &Settings, date: NaiveDate) -> bool {
    let jalali = JalaliDate::from_gregorian(date);
    FIXED_HOLIDAYS.contains(&jalali.month_day())
        || settings.holidays.iter().any(|h| match h.calendar {
            Calendar::Jalali => JalaliDate::parse(&h.date) == Some(jalali),
            Calendar::Gregorian => parse_iso_date(&h.date) == Some(date),
        })
}

/// The first moment at or after `now` inside the quiet-hours window of a
/// day that is not a holiday.
pub fn next_window(settings: &Settings, now: DateTime<Utc>) -> DateTime<Utc> {
    let zone = &settings.timezone;
    let local = zone.local(now);
    let minutes = |s: &str| parse_hhmm(s).unwrap_or(0);
    let (start, end) = (minutes(&settings.quiet_hours.start), minutes(&settings.quiet_hours.end));
    let at = |date: NaiveDate, minute: u32| zone.to_utc(NaiveDateTime::new(date, chrono::NaiveTime::MIN) + Duration::minutes(minute.into()));
    let today = local.date();
    let minute_now = local.time().signed_duration_since(chrono::NaiveTime::MIN).num_minutes() as u32;
    // A run of holidays is never long: a year of them is a misconfiguration.
    for offset in 0..366 {
        let date = today + Duration::days(offset);
        if is_holiday(settings, date) {
            continue;
        }
        if offset > 0 || minute_now < start {
            return at(date, start);
        }
        if minute_now < end {
            return now;
        }
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{ConsentStatus, Source};
    use crate::settings::Holiday;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn opted_in() -> Member {
        let input: crate::member::NewMember = serde_json::from_value(serde_json::json!({"phone": "09121234567"})).unwrap();
        let now = at("2026-01-01T00:00:00Z");
        let draft = input.validate(&Settings::default(), crate::member::today(&Settings::default(), now)).unwrap();
        let mut m = draft.into_member("m_1".into(), "ABCDEFGH".into(), None, &Settings::default(), now);
        m.record_consent(true, Source::Api, None, now);
        assert_eq!(m.consent.status, ConsentStatus::OptedIn);
        m
    }

    #[test]
    fn quiet_hours_hold_a_message_until_the_window_opens() {
        let s = Settings::default(); // 09:00–21:00 Tehran (UTC+3:30)
        // Tuesday 24 November 2026, 22:00 in Tehran: tomorrow at 09:00.
        assert_eq!(next_window(&s, at("2026-11-24T18:30:00Z")), at("2026-11-25T05:30:00Z"));
        // 08:00: today at 09:00. 10:00: now.
        assert_eq!(next_window(&s, at("2026-11-24T04:30:00Z")), at("2026-11-24T05:30:00Z"));
        assert_eq!(next_window(&s, at("2026-11-24T06:30:00Z")), at("2026-11-24T06:30:00Z"));
        // 00:30 after midnight: the same day's 09:00.
        assert_eq!(next_window(&s, at("2026-11-24T21:00:00Z")), at("2026-11-25T05:30:00Z"));
    }

    #[test]
    fn holidays_move_the_window_to_the_next_working_day() {
        let s = Settings::default();
        // 12 Farvardin 1405 (1 April 2026), 10:00: 12 and 13 are holidays.
        assert_eq!(next_window(&s, at("2026-04-01T06:30:00Z")), at("2026-04-03T05:30:00Z"));
        // A lunar holiday the club added, on the Jalali or Gregorian calendar.
        let lunar = Settings { holidays: vec![Holiday { date: "1405-09-04".into(), calendar: Calendar::Jalali }], ..Settings::default() };
        assert!(is_holiday(&lunar, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()));
        let gregorian = Settings { holidays: vec![Holiday { date: "2026-11-25".into(), calendar: Calendar::Gregorian }], ..Settings::default() };
        assert_eq!(next_window(&gregorian, at("2026-11-25T06:30:00Z")), at("2026-11-26T05:30:00Z"));
    }

    #[test]
    fn the_cap_counts_messages_sent_today_and_this_week() {
        let s = Settings::default(); // 1 a day, 3 in 7 days
        let noon = at("2026-11-24T08:30:00Z");
        let m = opted_in();
        assert_eq!(check(Some(&m), &s, noon, Sent::default()), Verdict::Send);
        assert_eq!(check(Some(&m), &s, noon, Sent { today: 1, week: 1 }), Verdict::Skip(Skip::FrequencyCap));
        assert_eq!(check(Some(&m), &s, noon, Sent { today: 0, week: 3 }), Verdict::Skip(Skip::FrequencyCap));
        assert_eq!(check(None, &s, noon, Sent::default()), Verdict::Skip(Skip::OptedOut));
        let mut out = opted_in();
        out.record_consent(false, Source::Api, None, noon);
        assert_eq!(check(Some(&out), &s, noon, Sent::default()), Verdict::Skip(Skip::OptedOut));
    }
}
