//! The time zone a club runs in: quiet hours, birthdays and "today" are
//! local. Only the zones compiled into chrono-tz exist; the list is the
//! `CHRONO_TZ_TIMEZONE_FILTER` regex in .cargo/config.toml, which keeps the
//! rest of the tz database out of the Wasm components.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::jalali::JalaliDate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneError(String);

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "zone: expected one of ")?;
        for (i, name) in Zone::names().enumerate() {
            write!(f, "{}{name}", if i == 0 { "" } else { ", " })?;
        }
        write!(f, "; got {:?}", self.0)
    }
}

impl std::error::Error for ZoneError {}

impl Zone {
    /// A zone by its IANA name (`Asia/Tehran`), exactly as spelled there.
    pub fn parse(name: &str) -> Result<Zone, ZoneError> {
        name.parse::<Tz>()
            .map(Zone)
            .map_err(|_| ZoneError(name.to_owned()))
    }

    /// Asia/Tehran, the default (docs/rules.md, "Campaigns").
    pub fn tehran() -> Zone {
        Zone(Tz::Asia__Tehran)
    }

    /// The names of every zone compiled in.
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The wall-clock time in this zone at `utc`.
    pub fn local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        utc.with_timezone(&self.0).naive_local()
    }

    pub fn local_date(&self, utc: DateTime<Utc>) -> NaiveDate {
        self.local(utc).date()
    }

    /// The local date at `utc` as a [`Day`]: the key of the indexes a daily
    /// tick sweeps.
    pub fn day(&self, utc: DateTime<Utc>) -> Day {
        day_of(self.local_date(utc))
    }

    pub fn jalali_today(&self, utc: DateTime<Utc>) -> JalaliDate {
        JalaliDate::from_gregorian(self.local_date(utc))
    }

    /// The instant a wall-clock time in this zone refers to.
    ///
    /// Around a daylight-saving change a local time can be ambiguous (clocks
    /// go back, so it happens twice) or not exist (clocks go forward over
    /// it). We take the earliest instant that fits: the first of the two
    /// ambiguous ones, and for a skipped time the moment the clocks jump,
    /// the first instant whose local time is not earlier than the one asked
    /// for. A message scheduled for a skipped 02:30 thus goes at 03:00, not
    /// an hour late or never.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        if let Some(t) = self.0.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        self.first_instant_not_before(local)
    }

    /// Binary search for the first second whose local time is at or after
    /// `local`. UTC offsets are under a day, so the answer lies within a day
    /// of `local` read as UTC; only called inside a gap, where local time
    /// only moves forward.
    fn first_instant_not_before(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let at = |secs: i64| DateTime::from_timestamp(secs, 0);
        let start = local.and_utc().timestamp();
        let (mut lo, mut hi) = (start - 86_400, start + 86_400);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match at(mid) {
                Some(t) if self.local(t) >= local => hi = mid,
                _ => lo = mid,
            }
        }
        // Unrepresentable only at chrono's limits, far from any real gap.
        at(hi).unwrap_or_else(|| local.and_utc())
    }
}

/// Serialised as the zone's IANA name.
impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Zone::parse(&name).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A calendar date as one number, days since 1970-01-01, so that days
/// compare, add and make keys.
pub type Day = i32;

pub fn day_of(date: NaiveDate) -> Day {
    (date - NaiveDate::default()).num_days() as Day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse()
            .unwrap_or_else(|e| panic!("bad test instant {s}: {e}"))
    }

    fn naive(s: &str) -> NaiveDateTime {
        s.parse()
            .unwrap_or_else(|e| panic!("bad test local time {s}: {e}"))
    }

    #[test]
    fn parses_only_the_compiled_in_zones() {
        let cases = [
            ("Asia/Tehran", true),
            ("Asia/Kabul", true),
            ("Europe/Istanbul", true),
            ("Europe/London", false),
            ("America/Los_Angeles", false),
            ("UTC", true),
            ("asia/tehran", false),
            ("Asia/Tokyo", false),
            ("Tehran", false),
            ("", false),
        ];
        for (name, ok) in cases {
            assert_eq!(Zone::parse(name).is_ok(), ok, "Zone::parse({name:?})");
        }
        assert_eq!(Zone::parse("Asia/Tehran"), Ok(Zone::tehran()));
        assert!(Zone::names().any(|n| n == "Asia/Dubai"));
    }

    #[test]
    fn local_times() {
        let tehran = Zone::tehran();
        let cases = [
            // UTC+03:30 since Iran dropped daylight saving in 1401 (2022).
            (tehran, "2026-01-15T12:00:00Z", "2026-01-15T15:30:00"),
            (tehran, "2026-07-01T12:00:00Z", "2026-07-01T15:30:00"),
            // UTC+04:30 in the summer of 2021.
            (tehran, "2021-06-01T12:00:00Z", "2021-06-01T16:30:00"),
            // The local date changes at local midnight, not UTC midnight.
            (tehran, "2026-11-22T20:29:00Z", "2026-11-22T23:59:00"),
            (tehran, "2026-11-22T20:31:00Z", "2026-11-23T00:01:00"),
            (Zone::parse("Asia/Dubai").unwrap(), "2026-07-01T12:00:00Z", "2026-07-01T16:00:00"),
        ];
        for (zone, instant, expect) in cases {
            assert_eq!(
                zone.local(utc(instant)),
                naive(expect),
                "{zone} at {instant}"
            );
            assert_eq!(
                zone.to_utc(naive(expect)),
                utc(instant),
                "{zone} to_utc({expect})"
            );
        }
    }

    #[test]
    fn jalali_today_turns_at_local_midnight() {
        let tehran = Zone::tehran();
        let cases = [
            ("2026-11-22T20:29:00Z", (1405, 9, 1)),
            ("2026-11-22T20:31:00Z", (1405, 9, 2)),
            ("2026-03-20T20:29:00Z", (1404, 12, 29)),
            ("2026-03-20T20:30:00Z", (1405, 1, 1)),
        ];
        for (instant, (y, m, d)) in cases {
            assert_eq!(
                tehran.jalali_today(utc(instant)),
                JalaliDate {
                    year: y,
                    month: m,
                    day: d
                },
                "at {instant}"
            );
        }
    }

    #[test]
    fn to_utc_picks_the_earliest_instant_around_dst_changes() {
        let cases = [
            // Tehran's last spring-forward: 1400-01-02 00:00 became 01:00 (+04:30).
            (
                Zone::tehran(),
                "2021-03-22T00:30:00",
                "2021-03-21T20:30:00Z",
            ),
            // ...and its fall-back: 23:30 on 2021-09-21 happened twice.
            (
                Zone::tehran(),
                "2021-09-21T23:30:00",
                "2021-09-21T19:00:00Z",
            ),
        ];
        for (zone, local, expect) in cases {
            assert_eq!(
                zone.to_utc(naive(local)),
                utc(expect),
                "{zone} to_utc({local})"
            );
        }
    }

    #[test]
    fn serializes_as_the_zone_name() {
        assert_eq!(
            serde_json::to_string(&Zone::tehran()).ok().as_deref(),
            Some("\"Asia/Tehran\"")
        );
        assert_eq!(
            serde_json::from_str::<Zone>("\"Asia/Dubai\"")
                .ok()
                .map(|z| z.name()),
            Some("Asia/Dubai")
        );
        let err = serde_json::from_str::<Zone>("\"Mars/Olympus\"")
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("zone: expected one of ")),
            "{err:?}"
        );
    }
}
