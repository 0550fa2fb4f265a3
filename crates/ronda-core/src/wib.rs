//! Asia/Jakarta time (WIB, UTC+7, no daylight saving), in one place: the calendar days the
//! statistics count in, the dates people type (`YYYY-MM-DD`), and the local times shown to the
//! ministry's staff. Built on `chrono` with a fixed offset; stored times stay UTC epoch ms.
//!
//! A *day number* is the number of WIB calendar days since 1970-01-01: day `n` starts at
//! `n × 86 400 000 − 7 h` UTC. SQL groups by the same number (`(t + 7 h) / 1 day`).

use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone};

use crate::clock::Millis;

/// The WIB offset from UTC.
pub const OFFSET_MS: i64 = 7 * 3_600_000;
/// One day.
pub const DAY_MS: i64 = 86_400_000;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The day number of a calendar date; `None` when it is not one (2021-02-29).
pub fn day_number(year: i32, month: u32, day: u32) -> Option<i64> {
    NaiveDate::from_ymd_opt(year, month, day).map(|d| (d - epoch()).num_days())
}

/// The calendar date `(year, month, day)` of a day number.
pub fn date_of(day: i64) -> (i32, u32, u32) {
    let d = epoch()
        .checked_add_signed(chrono::TimeDelta::days(day))
        .unwrap_or(NaiveDate::MAX);
    (d.year(), d.month(), d.day())
}

/// Parses `YYYY-MM-DD` (years 1970–9999, two-digit month and day) into a day number; `None`
/// when it is not that shape or not a real date.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    (d.year() >= 1970).then(|| (d - epoch()).num_days())
}

/// `YYYY-MM-DD` of a day number.
pub fn format_date(day: i64) -> String {
    let (y, m, d) = date_of(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM` of a day number.
pub fn month_of_day(day: i64) -> String {
    let (y, m, _) = date_of(day);
    format!("{y:04}-{m:02}")
}

/// Every `YYYY-MM` from the month of `from_day` to the month of `to_day`, in order.
pub fn months_between(from_day: i64, to_day: i64) -> Vec<String> {
    let (mut y, mut m, _) = date_of(from_day);
    let (ty, tm, _) = date_of(to_day);
    let mut out = Vec::new();
    while (y, m) <= (ty, tm) {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

/// The first instant (epoch ms) of a WIB calendar day.
pub fn day_start_ms(day: i64) -> Millis {
    day * DAY_MS - OFFSET_MS
}

/// The WIB calendar day an instant falls on.
pub fn day_of_ms(ms: Millis) -> i64 {
    (ms + OFFSET_MS).div_euclid(DAY_MS)
}

/// A stored UTC time as the staff read it: `2026-12-06 14:05 WIB`.
pub fn to_jakarta(ms: Millis) -> String {
    let Some(wib) = FixedOffset::east_opt(7 * 3600) else {
        return String::new();
    };
    match wib.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M WIB").to_string(),
        None => String::from("invalid-timestamp"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips_and_validates() {
        assert_eq!(day_number(1970, 1, 1), Some(0));
        assert_eq!(parse_date("2020-03-01"), day_number(2020, 3, 1));
        assert_eq!(day_number(2021, 2, 29), None);
        for day in -1000..80_000 {
            let (y, m, d) = date_of(day);
            assert_eq!(day_number(y, m, d), Some(day));
        }
        for bad in [
            "2021-02-29",
            "2020-13-01",
            "2020-00-10",
            "20-01-01",
            "2020-1-01",
            "1969-12-31",
            "2020-01-0a",
            "２020-01-01",
            "+020-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(
            format_date(parse_date("2024-12-31").unwrap_or(0)),
            "2024-12-31"
        );
    }

    #[test]
    fn wib_days_and_months() {
        let day = |y, m, d| day_number(y, m, d).unwrap_or(0);
        // 2020-01-31T17:00Z is 2020-02-01 00:00 WIB.
        let t = day(2020, 1, 31) * DAY_MS + 17 * 3_600_000;
        assert_eq!(format_date(day_of_ms(t)), "2020-02-01");
        assert_eq!(format_date(day_of_ms(t - 1)), "2020-01-31");
        assert_eq!(day_start_ms(day(2020, 2, 1)), t);
        assert_eq!(
            months_between(day(2019, 11, 20), day(2020, 2, 1)),
            ["2019-11", "2019-12", "2020-01", "2020-02"]
        );
        assert_eq!(month_of_day(day(2020, 12, 31)), "2020-12");
        assert_eq!(to_jakarta(t), "2020-02-01 00:00 WIB");
    }
}
