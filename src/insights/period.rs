//! Calendar periods in UTC (days, ISO 8601 weeks, months, quarters), shared by
//! the survey metrics and the cohort analysis.
//!
//! A [`Period`] is a granularity and an *index*: consecutive periods have
//! consecutive indices, so "three periods after" is plain integer arithmetic
//! whatever the lengths of the months. A period that exists has a start and
//! an end that `chrono` can represent; [`Granularity::period_of`] refuses the
//! few instants at the very ends of `chrono`'s calendar whose period would not.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::error::Detail;
use crate::error::Result;

/// How time is cut into periods; every boundary is midnight UTC.
///
/// | variant | a period is | starts on | shown as |
/// |---|---|---|---|
/// | `Day` | one calendar day | every day | `2026-12-05` |
/// | `IsoWeek` | an ISO 8601 week (chrono's `iso_week`) | Monday | `2026-W49` (ISO week-year) |
/// | `Month` | a calendar month | the 1st | `2026-12` |
/// | `Quarter` | January–March, April–June, … | January, April, July, October 1st | `2026-Q4` |
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::Granularity;
///
/// // 2027-01-01 is a Friday of ISO week 53 of 2026.
/// let at = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
/// assert_eq!(Granularity::IsoWeek.period_of(at)?.to_string(), "2026-W53");
/// assert_eq!(Granularity::Quarter.period_of(at)?.to_string(), "2027-Q1");
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Granularity {
    /// One calendar day.
    Day,
    /// One ISO 8601 week, Monday to Sunday.
    IsoWeek,
    /// One calendar month.
    #[default]
    Month,
    /// One calendar quarter.
    Quarter,
}

impl Granularity {
    /// Returns the period that contains `at`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitExceeded`](crate::error::ErrorKind::LimitExceeded)
    /// when the period's start or end (the next period's start) falls outside
    /// the dates `chrono` can represent (years beyond ±262,000).
    pub fn period_of(self, at: DateTime<Utc>) -> Result<Period> {
        Period::from_index(self, self.index_of(at))
            .ok_or_else(|| Detail::OutOfCalendar { at }.into())
    }

    /// Returns the index of the period that contains `at`, which may not be
    /// representable as a [`Period`] at the very ends of the calendar.
    pub(crate) fn index_of(self, at: DateTime<Utc>) -> i64 {
        let date = at.date_naive();
        match self {
            Granularity::Day => i64::from(date.num_days_from_ce()),
            Granularity::IsoWeek => {
                // 0001-01-01 (day 1 from the common era) is a Monday, so
                // Mondays are the days d with (d - 1) divisible by 7.
                let day = i64::from(date.num_days_from_ce());
                let back = i64::from(date.weekday().num_days_from_monday());
                (day - back - 1).div_euclid(7)
            }
            Granularity::Month => i64::from(date.year()) * 12 + i64::from(date.month0()),
            Granularity::Quarter => i64::from(date.year()) * 4 + i64::from(date.month0() / 3),
        }
    }

    /// Returns the start date of the period `index`, if representable.
    fn start_date(self, index: i64) -> Option<NaiveDate> {
        match self {
            Granularity::Day => NaiveDate::from_num_days_from_ce_opt(i32::try_from(index).ok()?),
            Granularity::IsoWeek => {
                let day = index.checked_mul(7)?.checked_add(1)?;
                NaiveDate::from_num_days_from_ce_opt(i32::try_from(day).ok()?)
            }
            Granularity::Month => {
                let year = i32::try_from(index.div_euclid(12)).ok()?;
                let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
                NaiveDate::from_ymd_opt(year, month, 1)
            }
            Granularity::Quarter => {
                let year = i32::try_from(index.div_euclid(4)).ok()?;
                let month = u32::try_from(index.rem_euclid(4)).ok()? * 3 + 1;
                NaiveDate::from_ymd_opt(year, month, 1)
            }
        }
    }
}

/// One period of a [`Granularity`]: a day, an ISO week, a month or a quarter.
///
/// Periods of one granularity are ordered by time; their
/// [`index`](Period::index) counts periods, so `b.index() - a.index()` is the
/// number of periods from `a` to `b`.
///
/// # Examples
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use custodia::insights::Granularity;
///
/// let march = Granularity::Month.period_of(Utc.with_ymd_and_hms(2026, 3, 31, 23, 59, 59).unwrap())?;
/// let june = Granularity::Month.period_of(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap())?;
/// assert_eq!(june.index() - march.index(), 3);
/// assert_eq!(march.end(), Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
/// # Ok::<(), custodia::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    granularity: Granularity,
    index: i64,
    // Cached so that `start` and `end` cannot fail.
    start: NaiveDate,
    end: NaiveDate,
}

impl Period {
    /// Returns the period `index` of `granularity`, or `None` when its start
    /// or end cannot be represented.
    pub(crate) fn from_index(granularity: Granularity, index: i64) -> Option<Period> {
        let start = granularity.start_date(index)?;
        let end = granularity.start_date(index.checked_add(1)?)?;
        Some(Period {
            granularity,
            index,
            start,
            end,
        })
    }

    /// Returns the period `k` periods after this one (before it for negative
    /// `k`), or `None` when it cannot be represented.
    pub fn offset(self, k: i64) -> Option<Period> {
        Period::from_index(self.granularity, self.index.checked_add(k)?)
    }

    /// Returns the granularity.
    pub fn granularity(self) -> Granularity {
        self.granularity
    }

    /// Returns the period's number: consecutive periods differ by one.
    ///
    /// The numbering is fixed (days and weeks count from 0001-01-01, months
    /// and quarters from year 0), so indices can be stored and compared
    /// across calls; only differences carry meaning.
    pub fn index(self) -> i64 {
        self.index
    }

    /// Returns the first instant of the period (midnight UTC).
    pub fn start(self) -> DateTime<Utc> {
        self.start.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// Returns the first instant after the period (midnight UTC), the start
    /// of the next period.
    pub fn end(self) -> DateTime<Utc> {
        self.end.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// Returns `true` when the whole period lies at or before `as_of`, that
    /// is when its end is at most `as_of`.
    pub fn is_complete_at(self, as_of: DateTime<Utc>) -> bool {
        self.end() <= as_of
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.start;
        match self.granularity {
            Granularity::Day => write!(f, "{}", d.format("%Y-%m-%d")),
            Granularity::IsoWeek => {
                let w = d.iso_week();
                write!(f, "{:04}-W{:02}", w.year(), w.week())
            }
            Granularity::Month => write!(f, "{:04}-{:02}", d.year(), d.month()),
            Granularity::Quarter => write!(f, "{:04}-Q{}", d.year(), d.month0() / 3 + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, IsoWeek, TimeZone};
    use proptest::prelude::*;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn shown(g: Granularity, t: DateTime<Utc>) -> String {
        g.period_of(t).unwrap().to_string()
    }

    #[test]
    fn iso_weeks_follow_iso_8601_at_year_ends() {
        // 2020-12-31 is a Thursday: week 53 of 2020; 2021-01-04 is the
        // Monday of week 1 of 2021; 2019-12-30 (Monday) is week 1 of 2020.
        assert_eq!(shown(Granularity::IsoWeek, at(2020, 12, 31)), "2020-W53");
        assert_eq!(shown(Granularity::IsoWeek, at(2021, 1, 3)), "2020-W53");
        assert_eq!(shown(Granularity::IsoWeek, at(2021, 1, 4)), "2021-W01");
        assert_eq!(shown(Granularity::IsoWeek, at(2019, 12, 30)), "2020-W01");
        let w = Granularity::IsoWeek.period_of(at(2021, 1, 3)).unwrap();
        assert_eq!(w.start(), at(2020, 12, 28));
        assert_eq!(w.end(), at(2021, 1, 4));
    }

    #[test]
    fn months_and_quarters_count_calendar_periods() {
        let jan = Granularity::Month.period_of(at(2026, 1, 31)).unwrap();
        let mar = Granularity::Month.period_of(at(2026, 3, 1)).unwrap();
        // 2026 * 12 + 0 and 2026 * 12 + 2.
        assert_eq!(jan.index(), 24_312);
        assert_eq!(mar.index() - jan.index(), 2);
        assert_eq!(shown(Granularity::Quarter, at(2026, 9, 30)), "2026-Q3");
        assert_eq!(shown(Granularity::Quarter, at(2026, 10, 1)), "2026-Q4");
        let q = Granularity::Quarter.period_of(at(2026, 11, 15)).unwrap();
        assert_eq!((q.start(), q.end()), (at(2026, 10, 1), at(2027, 1, 1)));
        assert_eq!(shown(Granularity::Day, at(2026, 12, 5)), "2026-12-05");
    }

    #[test]
    fn the_last_instant_of_a_period_stays_in_it() {
        let t = at(2026, 4, 1) - Duration::nanoseconds(1);
        let p = Granularity::Month.period_of(t).unwrap();
        assert_eq!(p.to_string(), "2026-03");
        assert!(!p.is_complete_at(t));
        assert!(p.is_complete_at(at(2026, 4, 1)));
    }

    #[test]
    fn the_ends_of_the_calendar_are_errors_not_panics() {
        let last = NaiveDate::MAX.and_time(chrono::NaiveTime::MIN).and_utc();
        let first = NaiveDate::MIN.and_time(chrono::NaiveTime::MIN).and_utc();
        for g in [
            Granularity::Day,
            Granularity::IsoWeek,
            Granularity::Month,
            Granularity::Quarter,
        ] {
            assert!(g.period_of(last).is_err());
            // The first day exists, but its week may start before it.
            let _ = g.period_of(first);
        }
    }

    proptest! {
        #[test]
        fn a_period_contains_its_instant(secs in -8_000_000_000_000i64..8_000_000_000_000i64, g in 0usize..4) {
            let g = [Granularity::Day, Granularity::IsoWeek, Granularity::Month, Granularity::Quarter][g];
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            if let Ok(p) = g.period_of(t) {
                prop_assert!(p.start() <= t && t < p.end());
                let next = p.offset(1).unwrap();
                prop_assert_eq!(next.start(), p.end());
                prop_assert_eq!(g.period_of(p.end()).unwrap(), next);
                if g == Granularity::IsoWeek {
                    let w: IsoWeek = t.iso_week();
                    prop_assert_eq!(p.to_string(), format!("{:04}-W{:02}", w.year(), w.week()));
                    prop_assert_eq!(p.start().weekday(), chrono::Weekday::Mon);
                }
            }
        }
    }
}
