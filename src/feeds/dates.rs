//! Reading the dates feeds actually carry. RSS asks for RFC 822 and Atom for
//! RFC 3339, but real feeds write one-digit hours, long month names, the
//! month before the day, a wrong weekday, named US zones or no zone at all,
//! and ISO dates in RSS. A date we cannot read makes an item look undated,
//! and an undated item loses its place in the week, so this reads every
//! form the lenient feed readers do. Pure: text in, instant out.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;
use std::sync::LazyLock;

/// The instant a feed's date text names, or `None` when it names none.
/// A date without a zone is taken as UTC, a date without a time as midnight.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    iso(text).or_else(|| rfc822(text))
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:(?:T|\s+)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,]\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$",
    )
    .expect("static regex")
});

/// RFC 3339 and the ISO 8601 forms feeds use: `2009-01-12T5:40:14-05:00`,
/// `2026-01-30 10:00:00`, `2026-01-30`, `2026-01`.
fn iso(text: &str) -> Option<DateTime<Utc>> {
    let c = ISO.captures(text)?;
    let num = |i: usize| c.get(i).map(|m| m.as_str().parse::<u32>().ok());
    let year = c[1].parse::<i32>().ok()?;
    let month = num(2)??;
    let day = num(3).unwrap_or(Some(1))?;
    let hour = num(4).unwrap_or(Some(0))?;
    let minute = num(5).unwrap_or(Some(0))?;
    let second = num(6).unwrap_or(Some(0))?;
    let offset = match c.get(7) {
        Some(z) => zone(z.as_str())?,
        None => 0,
    };
    instant(year, month, day, hour, minute, second, offset)
}

/// RFC 822 and 2822 as feeds write them: `Mon, 12 Jan 2009 05:40:14 EST`,
/// `Fri, Oct 7 2022 10:15:00 -0400`, `2 September 2019 20:00 +0000`,
/// `24 Sep 2013 1:27 PDT`. The weekday is ignored (feeds get it wrong).
fn rfc822(text: &str) -> Option<DateTime<Utc>> {
    let cleaned = text.replace(',', " ");
    let (mut day, mut month, mut year, mut time, mut offset) = (None, None, None, None, None);
    for token in cleaned.split_whitespace() {
        if let Some(m) = month_number(token) {
            month.get_or_insert(m);
        } else if token.contains(':') && time.is_none() {
            time = Some(clock(token)?);
        } else if let Some(n) = token
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| token.parse::<u32>().ok())
            .flatten()
        {
            if day.is_none() && token.len() <= 2 {
                day = Some(n);
            } else if year.is_none() {
                year = Some(full_year(n, token.len()));
            } else {
                return None;
            }
        } else if time.is_some() && offset.is_none() {
            offset = Some(zone(token)?);
        } else if !is_weekday(token) {
            return None;
        }
    }
    let (h, m, s) = time.unwrap_or((0, 0, 0));
    instant(year?, month?, day?, h, m, s, offset.unwrap_or(0))
}

fn clock(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(':').map(|p| p.parse::<u32>().ok());
    let h = parts.next()??;
    let m = parts.next()??;
    let s = parts.next().unwrap_or(Some(0))?;
    parts.next().is_none().then_some((h, m, s))
}

/// Two-digit years as RFC 822 wrote them: 70 to 99 are the 1900s.
fn full_year(n: u32, digits: usize) -> i32 {
    let n = n as i32;
    match digits {
        1 | 2 if n >= 70 => 1900 + n,
        1 | 2 => 2000 + n,
        _ => n,
    }
}

/// A month named in full or cut short to three letters or more ("Sep",
/// "Sept", "September"), not any word that merely starts like one.
pub(crate) fn month_number(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let n = MONTHS.iter().position(|m| is_short_for(token, m))?;
    Some(n as u32 + 1)
}

pub(crate) fn is_weekday(token: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    DAYS.iter().any(|d| is_short_for(token, d))
}

/// `token` (any case, a trailing point allowed) is `name` or its first three letters or more.
fn is_short_for(token: &str, name: &str) -> bool {
    let t = token.trim_end_matches('.').to_ascii_lowercase();
    t.len() >= 3 && name.starts_with(&t)
}

/// A zone's offset east of UTC in seconds: `Z`, `UT`, `GMT`, the US names,
/// `+0530`, `-05:00`, `+01`.
fn zone(token: &str) -> Option<i32> {
    let named = match token.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" => Some(0),
        "EST" => Some(-5),
        "EDT" => Some(-4),
        "CST" => Some(-6),
        "CDT" => Some(-5),
        "MST" => Some(-7),
        "MDT" => Some(-6),
        "PST" => Some(-8),
        "PDT" => Some(-7),
        _ => None,
    };
    if let Some(h) = named {
        return Some(h * 3600);
    }
    let (sign, digits) = match token.as_bytes().first()? {
        b'+' => (1, &token[1..]),
        b'-' => (-1, &token[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|&c| c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 | 4 => {
            let (h, m) = digits.split_at(digits.len() - 2);
            (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
        }
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn instant(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    offset: i32,
) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    // A leap second, or "24:00" for the end of a day, is read as the last second.
    let time = match (hour, minute, second) {
        (24, 0, 0) => NaiveTime::from_hms_opt(23, 59, 59),
        (h, m, 60) => NaiveTime::from_hms_opt(h, m, 59),
        (h, m, s) => NaiveTime::from_hms_opt(h, m, s),
    }?;
    let local = NaiveDateTime::new(date, time);
    let zone = FixedOffset::east_opt(offset)?;
    Some(
        zone.from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single()
    }

    #[test]
    fn rfc_3339_and_the_iso_forms_feeds_write() {
        assert_eq!(
            parse_date("2026-01-30T10:00:00Z"),
            at(2026, 1, 30, 10, 0, 0)
        );
        assert_eq!(
            parse_date("2026-01-30T10:00:00.000Z"),
            at(2026, 1, 30, 10, 0, 0)
        );
        assert_eq!(
            parse_date("2009-01-12T5:40:14-05:00"),
            at(2009, 1, 12, 10, 40, 14)
        );
        assert_eq!(
            parse_date("2016-10-01T00:00:00+10:00"),
            at(2016, 9, 30, 14, 0, 0)
        );
        assert_eq!(parse_date("2026-01-30 10:00:00"), at(2026, 1, 30, 10, 0, 0));
        assert_eq!(
            parse_date("2026-01-30T10:00+0530"),
            at(2026, 1, 30, 4, 30, 0)
        );
        assert_eq!(parse_date(" 2026-01-30 \n"), at(2026, 1, 30, 0, 0, 0));
        assert_eq!(parse_date("2026-01"), at(2026, 1, 1, 0, 0, 0));
    }

    #[test]
    fn rfc_822_as_feeds_really_write_it() {
        assert_eq!(
            parse_date("Mon, 12 Jan 2009 05:40:14 EST"),
            at(2009, 1, 12, 10, 40, 14)
        );
        assert_eq!(
            parse_date("Mon, 12 Jan 2009 05:40:14 GMT"),
            at(2009, 1, 12, 5, 40, 14)
        );
        assert_eq!(
            parse_date("Fri, Oct 7 2022 10:15:00 -0400"),
            at(2022, 10, 7, 14, 15, 0)
        );
        assert_eq!(
            parse_date("26 August 2019 10:00:00 +0000"),
            at(2019, 8, 26, 10, 0, 0)
        );
        assert_eq!(
            parse_date("Mon, 01 Jan 0001 00:00:00 UTC"),
            at(1, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            parse_date("Wed, 22 Jan 2020 10:58:02 -0000"),
            at(2020, 1, 22, 10, 58, 2)
        );
        // The 25th of August 2012 was a Saturday.
        assert_eq!(
            parse_date("Wed, 25 Aug 2012 03:25:42 GMT"),
            at(2012, 8, 25, 3, 25, 42)
        );
        assert_eq!(
            parse_date("24 Sep 2013 1:27 PDT"),
            at(2013, 9, 24, 8, 27, 0)
        );
        assert_eq!(
            parse_date("Tue, 3 Sept 2024 08:00:00 +01:00"),
            at(2024, 9, 3, 7, 0, 0)
        );
        assert_eq!(
            parse_date("Thu, 01 Jan 09 12:00:00"),
            at(2009, 1, 1, 12, 0, 0)
        );
        assert_eq!(
            parse_date("Thu, 01 Jan 98 12:00:00 Z"),
            at(1998, 1, 1, 12, 0, 0)
        );
        assert_eq!(parse_date("12 Jan 2009"), at(2009, 1, 12, 0, 0, 0));
    }

    #[test]
    fn text_that_names_no_date_is_none() {
        for bad in [
            "",
            "soon",
            "yesterday at noon",
            "2026-13-01",
            "2026-02-30T10:00:00Z",
            "31 Feb 2026 10:00:00 GMT",
            "Mon, 12 Jan 2009 25:61:00 GMT",
            "12 Jan",
            "Marching 12 2009 10:00",
            "2026-01-30T10:00:00+99:00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
