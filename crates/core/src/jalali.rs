//! The Solar Hijri (Jalali) calendar, Iran's civil calendar.
//!
//! Months 1–6 have 31 days, 7–11 have 30, and Esfand (12) has 29, or 30 in a
//! leap year. The year starts on Nowruz, 1 Farvardin, near the March equinox.
//!
//! Which years are leap follows K. M. Borkowski, "The Persian calendar for
//! 3000 years", Earth, Moon and Planets 74 (1996) 223–230: a 33-year rule
//! whose phase shifts at a table of "break" years, fitted to the astronomical
//! rule the official calendar uses. This is the algorithm of the jalaali
//! project (jalaali-js `jalCal`, jalaali-go, ...) and gives the official
//! dates for the years we care about, such as Nowruz 1403 on 2024-03-20 and
//! 1404 on 2025-03-21 (the tests list more).
//!
//! The table covers -61..=3177 AP; outside it we extend the nearest 33-year
//! cycle so that every Gregorian date still has a Jalali date.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keyword::ascii_digit;
use crate::template::persian_digits;

/// A day of the Jalali calendar. Ordering is chronological.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JalaliDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// Persian month names, Farvardin first.
pub const MONTH_NAMES: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// Years at which Borkowski's 33-year leap cycle restarts (jalaali-js
/// `breaks`). Accurate from the first entry up to, not including, the last.
const BREAKS: [i64; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
    2394, 2456, 3178,
];

/// Days from 1970-01-01 (the Unix epoch) to 1 March of Gregorian year `y`.
/// Howard Hinnant's `days_from_civil` ("chrono-Compatible Low-Level Date
/// Algorithms") with the month fixed to March, where its years begin.
fn march_first(y: i64) -> i64 {
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 - 719_468
}

/// Days from 1970-01-01 to 1 Farvardin of Jalali year `jy`.
///
/// A port of jalaali-js `jalCal` (which returns the March day of Nowruz),
/// with floor division instead of truncation so that years before the table
/// extend the first cycle backwards consistently instead of failing.
fn nowruz(jy: i64) -> i64 {
    let gy = jy + 621;
    let mut leap_j = -14;
    let mut jp = BREAKS[0];
    let mut jump = 0;
    for &jm in &BREAKS[1..] {
        jump = jm - jp;
        if jy < jm {
            break;
        }
        leap_j += jump / 33 * 8 + jump % 33 / 4;
        jp = jm;
    }
    let n = jy - jp;
    // Leap years of the Jalali calendar from AD 621 to the start of `jy`...
    leap_j += n.div_euclid(33) * 8 + (n.rem_euclid(33) + 3) / 4;
    if jump % 33 == 4 && jump - n == 4 {
        leap_j += 1;
    }
    // ...and of the Gregorian calendar until `gy` (floor(gy/4) - floor(gy/100)
    // + floor(gy/400) - 150, written as jalaali-js does).
    let leap_g = gy.div_euclid(4) - ((gy.div_euclid(100) + 1) * 3).div_euclid(4) - 150;
    let march_day = 20 + leap_j - leap_g;
    march_first(gy) + march_day - 1
}

/// Days from 0001-01-01 to 1970-01-01, to convert to chrono's day count.
const EPOCH_FROM_CE: i64 = 719_163;

impl JalaliDate {
    /// The first year covered by Borkowski's table; `new` and `parse` refuse
    /// earlier years.
    pub const MIN_YEAR: i32 = 1;
    /// The last year covered by Borkowski's table.
    pub const MAX_YEAR: i32 = 3177;

    /// A valid date, or `None` for a month outside 1..=12, a day past the end
    /// of its month (30 Esfand only in leap years) or a year outside
    /// [`MIN_YEAR`](Self::MIN_YEAR)..=[`MAX_YEAR`](Self::MAX_YEAR).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        let ok = (Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= month_length(year, month);
        ok.then_some(JalaliDate { year, month, day })
    }

    pub fn from_gregorian(date: NaiveDate) -> JalaliDate {
        let days = i64::from(date.num_days_from_ce()) - EPOCH_FROM_CE;
        // Nowruz falls on 19–22 March within the table, so the Jalali year is
        // `gy - 621` or one less; the loops also cover extrapolated years.
        let mut year = i64::from(date.year()) - 621;
        while days < nowruz(year) {
            year -= 1;
        }
        while days >= nowruz(year + 1) {
            year += 1;
        }
        let day_of_year = days - nowruz(year);
        let (month, day) = if day_of_year < 186 {
            (day_of_year / 31 + 1, day_of_year % 31 + 1)
        } else {
            ((day_of_year - 186) / 30 + 7, (day_of_year - 186) % 30 + 1)
        };
        // Casts: chrono's years fit in i32 (±262,143), month ≤ 12, day ≤ 31.
        JalaliDate {
            year: year as i32,
            month: month as u32,
            day: day as u32,
        }
    }

    /// The Gregorian date. For a date built by hand far outside chrono's
    /// range (±262,000 years) this saturates at `NaiveDate::MIN`/`MAX`
    /// instead of panicking.
    pub fn to_gregorian(&self) -> NaiveDate {
        let month = i64::from(self.month.clamp(1, 12));
        let before_month = if month <= 7 {
            (month - 1) * 31
        } else {
            186 + (month - 7) * 30
        };
        let days = nowruz(i64::from(self.year)) + before_month + i64::from(self.day) - 1;
        i32::try_from(days + EPOCH_FROM_CE)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .unwrap_or(if days < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            })
    }

    /// Whether `year` has 366 days (30 Esfand).
    pub fn is_leap_year(year: i32) -> bool {
        let y = i64::from(year);
        nowruz(y + 1) - nowruz(y) == 366
    }

    /// Days in `month` of `year`; 0 for a month outside 1..=12.
    pub fn month_length(year: i32, month: u32) -> u32 {
        month_length(year, month)
    }

    /// Parses `1370-06-15`, `1370/6/15`, and the same with Persian or
    /// Arabic-Indic digits. The year has 1–4 digits, month and day 1–2.
    pub fn parse(s: &str) -> Option<JalaliDate> {
        let mut fields = s.trim().split(['-', '/']);
        let mut field = |max_digits: usize| -> Option<u32> {
            let f = fields.next()?;
            let count = f.chars().count();
            if count == 0 || count > max_digits {
                return None;
            }
            f.chars()
                .try_fold(0u32, |n, c| Some(n * 10 + u32::from(ascii_digit(c)?)))
        };
        let (year, month, day) = (field(4)?, field(2)?, field(2)?);
        if fields.next().is_some() {
            return None;
        }
        JalaliDate::new(i32::try_from(year).ok()?, month, day)
    }

    /// `۱۳۷۰/۰۶/۱۵`: the numeric form Persian readers expect.
    pub fn format_persian(&self) -> String {
        persian_digits(&format!(
            "{:04}/{:02}/{:02}",
            self.year, self.month, self.day
        ))
    }

    /// `۱۵ شهریور ۱۳۷۰`: day, month name, year.
    pub fn format_long(&self) -> String {
        let name = MONTH_NAMES
            .get(self.month.wrapping_sub(1) as usize)
            .copied()
            .unwrap_or("?");
        persian_digits(&format!("{} {} {}", self.day, name, self.year))
    }

    pub fn month_day(&self) -> (u32, u32) {
        (self.month, self.day)
    }

    /// The day a birthday of `month`/`day` falls on in `year`: a 30 Esfand
    /// birthday is kept on 29 Esfand in common years (docs/rules.md,
    /// "Campaigns"). `None` if `month`/`day` is no day of any year (such as
    /// 7/31 or 13/1) or `year` is out of range.
    pub fn birthday_in_year(month: u32, day: u32, year: i32) -> Option<JalaliDate> {
        let day = if month == 12 && day == 30 && !Self::is_leap_year(year) {
            29
        } else {
            day
        };
        JalaliDate::new(year, month, day)
    }
}

fn month_length(year: i32, month: u32) -> u32 {
    match month {
        1..=6 => 31,
        7..=11 => 30,
        12 if JalaliDate::is_leap_year(year) => 30,
        12 => 29,
        _ => 0,
    }
}

/// `1370-06-15`: ASCII digits, the API's wire format.
impl fmt::Display for JalaliDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Serialised as the wire format `1370-06-15`.
impl Serialize for JalaliDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JalaliDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        JalaliDate::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "jalali date: expected a date like 1370-06-15, got {s:?}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test dates are valid")
    }

    fn check(jalali: (i32, u32, u32), gregorian: (i32, u32, u32)) {
        let j = JalaliDate::new(jalali.0, jalali.1, jalali.2)
            .unwrap_or_else(|| panic!("{jalali:?} is invalid"));
        let g = ymd(gregorian.0, gregorian.1, gregorian.2);
        assert_eq!(j.to_gregorian(), g, "to_gregorian({j})");
        assert_eq!(JalaliDate::from_gregorian(g), j, "from_gregorian({g})");
    }

    #[test]
    fn known_conversions() {
        let cases = [
            // Nowruz.
            ((1300, 1, 1), (1921, 3, 21)),
            ((1354, 1, 1), (1975, 3, 21)),
            ((1370, 1, 1), (1991, 3, 21)),
            ((1395, 1, 1), (2016, 3, 20)),
            ((1399, 1, 1), (2020, 3, 20)),
            ((1400, 1, 1), (2021, 3, 21)),
            ((1403, 1, 1), (2024, 3, 20)),
            ((1404, 1, 1), (2025, 3, 21)),
            ((1405, 1, 1), (2026, 3, 21)),
            // 30 Esfand of leap years, 29 Esfand of common ones.
            ((1399, 12, 30), (2021, 3, 20)),
            ((1403, 12, 30), (2025, 3, 20)),
            ((1395, 12, 30), (2017, 3, 20)),
            ((1400, 12, 29), (2022, 3, 20)),
            ((1404, 12, 29), (2026, 3, 20)),
            // The 31-day/30-day boundary between Shahrivar and Mehr.
            ((1370, 6, 15), (1991, 9, 6)),
            ((1403, 6, 31), (2024, 9, 21)),
            ((1403, 7, 1), (2024, 9, 22)),
            ((1403, 7, 30), (2024, 10, 21)),
            ((1403, 8, 1), (2024, 10, 22)),
            ((1404, 11, 30), (2026, 2, 19)),
            ((1404, 12, 1), (2026, 2, 20)),
            // Yalda, Dey 1, and the Gregorian new year.
            ((1403, 10, 1), (2024, 12, 21)),
            ((1403, 10, 11), (2024, 12, 31)),
            ((1403, 10, 12), (2025, 1, 1)),
            ((1357, 11, 22), (1979, 2, 11)),
            ((1405, 9, 1), (2026, 11, 22)),
            ((1500, 1, 1), (2121, 3, 21)),
            ((1, 1, 1), (622, 3, 22)),
        ];
        for (jalali, gregorian) in cases {
            check(jalali, gregorian);
        }
    }

    #[test]
    fn leap_years_1390_to_1410() {
        let leap = [1391, 1395, 1399, 1403, 1408];
        for year in 1390..=1410 {
            assert_eq!(
                JalaliDate::is_leap_year(year),
                leap.contains(&year),
                "is_leap_year({year})"
            );
        }
    }

    #[test]
    fn month_lengths() {
        let cases = [
            ((1403, 1), 31),
            ((1403, 6), 31),
            ((1403, 7), 30),
            ((1403, 11), 30),
            ((1403, 12), 30),
            ((1404, 12), 29),
            ((1404, 0), 0),
            ((1404, 13), 0),
        ];
        for ((year, month), expect) in cases {
            assert_eq!(
                JalaliDate::month_length(year, month),
                expect,
                "month_length({year}, {month})"
            );
        }
    }

    #[test]
    fn round_trips_every_day_from_1300_to_1500() {
        let mut previous: Option<NaiveDate> = None;
        let mut days = 0;
        for year in 1300..=1500 {
            for month in 1..=12 {
                for day in 1..=JalaliDate::month_length(year, month) {
                    let j = JalaliDate { year, month, day };
                    let g = j.to_gregorian();
                    assert_eq!(
                        JalaliDate::from_gregorian(g),
                        j,
                        "round trip of {j} via {g}"
                    );
                    if let Some(p) = previous {
                        assert_eq!(p.succ_opt(), Some(g), "day after {p} should be {j}");
                    }
                    previous = Some(g);
                    days += 1;
                }
            }
        }
        // 201 years, 49 of them leap (8 per 33 years).
        assert_eq!(
            days,
            201 * 365
                + (1300..=1500)
                    .filter(|&y| JalaliDate::is_leap_year(y))
                    .count()
        );
    }

    #[test]
    fn from_gregorian_round_trips_at_chronos_limits() {
        for g in [
            NaiveDate::MIN,
            ymd(-5000, 1, 1),
            ymd(500, 6, 1),
            ymd(4000, 3, 21),
            NaiveDate::MAX,
        ] {
            let j = JalaliDate::from_gregorian(g);
            assert!(
                (1..=12).contains(&j.month) && j.day >= 1 && j.day <= 31,
                "from_gregorian({g}) = {j:?}"
            );
            assert_eq!(j.to_gregorian(), g, "round trip of {g} via {j:?}");
        }
    }

    #[test]
    fn validates_dates() {
        let cases = [
            ((1403, 12, 30), true),
            ((1404, 12, 30), false),
            ((1404, 7, 31), false),
            ((1404, 6, 31), true),
            ((1404, 0, 1), false),
            ((1404, 13, 1), false),
            ((1404, 1, 0), false),
            ((0, 1, 1), false),
            ((3178, 1, 1), false),
        ];
        for ((y, m, d), valid) in cases {
            assert_eq!(
                JalaliDate::new(y, m, d).is_some(),
                valid,
                "new({y}, {m}, {d})"
            );
        }
    }

    #[test]
    fn parses_and_formats() {
        let cases = [
            ("1370-06-15", Some((1370, 6, 15))),
            ("1370/6/15", Some((1370, 6, 15))),
            (" 1370/06/15 ", Some((1370, 6, 15))),
            ("۱۳۷۰/۰۶/۱۵", Some((1370, 6, 15))),
            ("١٣٧٠-٦-١٥", Some((1370, 6, 15))),
            ("1403-12-30", Some((1403, 12, 30))),
            ("1404-12-30", None),
            ("1370-06", None),
            ("1370-06-15-01", None),
            ("1370-006-15", None),
            ("13700-06-15", None),
            ("1370-06-", None),
            ("1370-0a-15", None),
            ("1370.06.15", None),
            ("", None),
        ];
        for (input, expect) in cases {
            let got = JalaliDate::parse(input).map(|j| (j.year, j.month, j.day));
            assert_eq!(got, expect, "parse({input:?})");
        }

        let d = JalaliDate {
            year: 1370,
            month: 6,
            day: 15,
        };
        assert_eq!(d.to_string(), "1370-06-15");
        assert_eq!(d.format_persian(), "۱۳۷۰/۰۶/۱۵");
        assert_eq!(d.format_long(), "۱۵ شهریور ۱۳۷۰");
        assert_eq!(
            JalaliDate {
                year: 1405,
                month: 12,
                day: 1
            }
            .format_long(),
            "۱ اسفند ۱۴۰۵"
        );
        assert_eq!(d.month_day(), (6, 15));
        assert_eq!(
            serde_json::to_string(&d).ok().as_deref(),
            Some("\"1370-06-15\"")
        );
        assert_eq!(
            serde_json::from_str::<JalaliDate>("\"1370/6/15\"").ok(),
            Some(d)
        );
        assert!(serde_json::from_str::<JalaliDate>("\"1370-13-15\"").is_err());
    }

    #[test]
    fn birthdays_on_30_esfand_move_to_29_in_common_years() {
        let cases = [
            ((12, 30, 1403), Some((1403, 12, 30))),
            ((12, 30, 1404), Some((1404, 12, 29))),
            ((12, 29, 1404), Some((1404, 12, 29))),
            ((6, 31, 1404), Some((1404, 6, 31))),
            ((7, 31, 1404), None),
            ((13, 1, 1404), None),
            ((12, 31, 1403), None),
        ];
        for ((month, day, year), expect) in cases {
            let got =
                JalaliDate::birthday_in_year(month, day, year).map(|j| (j.year, j.month, j.day));
            assert_eq!(got, expect, "birthday_in_year({month}, {day}, {year})");
        }
    }
}
