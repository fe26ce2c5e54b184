use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// One edition per ISO week, in the newsletter's own time zone: `2026-W47`.
/// The key is what makes publishing idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EditionKey {
    year: i32,
    week: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an edition key (expected YYYY-Www, e.g. 2026-W47)")]
pub struct InvalidEditionKey(String);

impl EditionKey {
    pub fn for_instant(at: DateTime<Utc>, tz: Tz) -> Self {
        let week = at.with_timezone(&tz).iso_week();
        Self {
            year: week.year(),
            week: week.week(),
        }
    }

    /// Monday of the edition's week, for display.
    pub fn monday(&self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_isoywd_opt(self.year, self.week, chrono::Weekday::Mon)
            .expect("an EditionKey always holds a valid ISO week")
    }
}

impl fmt::Display for EditionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl FromStr for EditionKey {
    type Err = InvalidEditionKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidEditionKey(s.to_string());
        let (y, w) = s.trim().split_once("-W").ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        chrono::NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).ok_or_else(bad)?;
        Ok(Self { year, week })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn uses_the_configured_time_zone() {
        // Sunday 23:30 UTC is already Monday in Berlin: a new week there.
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
        assert_eq!(
            EditionKey::for_instant(at, chrono_tz::UTC).to_string(),
            "2026-W47"
        );
        assert_eq!(
            EditionKey::for_instant(at, chrono_tz::Europe::Berlin).to_string(),
            "2026-W48"
        );
    }

    #[test]
    fn iso_year_differs_from_calendar_year_at_the_edges() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0).unwrap();
        assert_eq!(
            EditionKey::for_instant(at, chrono_tz::UTC).to_string(),
            "2026-W53"
        );
        let at = Utc.with_ymd_and_hms(2025, 12, 29, 12, 0, 0).unwrap();
        assert_eq!(
            EditionKey::for_instant(at, chrono_tz::UTC).to_string(),
            "2026-W01"
        );
    }

    #[test]
    fn round_trips_and_rejects_nonsense() {
        let k: EditionKey = "2026-W07".parse().unwrap();
        assert_eq!(k.to_string(), "2026-W07");
        assert!("2026-W54".parse::<EditionKey>().is_err());
        assert!("2026-47".parse::<EditionKey>().is_err());
    }
}
