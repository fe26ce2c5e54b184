//! When the service refreshes and publishes.
//!
//! tokio-cron-scheduler fires the jobs, but four of its habits are designed
//! around here rather than trusted:
//! - It freezes a job's UTC offset when the job is created, so a weekly
//!   08:00 would drift to 07:00 or 09:00 across a DST change. We compute
//!   every fire time ourselves, in the configured zone, and arm a one-shot
//!   job for just that instant; after it fires, the next one is computed
//!   afresh.
//! - Repeating jobs can stop firing. We never use them, and a wall-clock
//!   backstop checks every half minute whether a due slot was missed (it
//!   also covers suspend and clock jumps, which a monotonic timer sleeps
//!   through).
//! - It does not catch up after downtime. At start, `catch_up` decides
//!   whether the latest missed slot still runs (inside the grace window) or
//!   is skipped and logged.
//! - It has no lock across processes. Each slot is claimed with a row in the
//!   store (`schedule_slots`), so whichever trigger or process fires first
//!   runs it and every other fire is a no-op.

use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use std::time::Duration;

/// A parsed six-field cron expression (seconds first).
#[derive(Debug, Clone)]
pub struct Cadence {
    cron: Cron,
    expr: String,
}

impl Cadence {
    /// Parses the way tokio-cron-scheduler does: six fields, seconds required.
    pub fn parse(expr: &str) -> Result<Self, String> {
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .build()
            .parse(expr)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            cron,
            expr: expr.to_string(),
        })
    }

    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The first fire strictly after `after`, evaluated on the wall clock of
    /// `tz`: 08:00 in Berlin is 08:00 in Berlin in winter and in summer.
    pub fn next_after<Tz: TimeZone>(&self, tz: &Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&whole_second(after).with_timezone(tz), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The latest fire at or before `at`.
    pub fn latest_at_or_before<Tz: TimeZone>(
        &self,
        tz: &Tz,
        at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&whole_second(at).with_timezone(tz), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Slots are whole seconds; croner keeps whatever fraction it is given.
fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// What to do at start-up about a slot that passed while the service was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// Nothing was missed (or it was already handled).
    Nothing,
    /// Missed, but recent enough: run it now.
    Run(DateTime<Utc>),
    /// Missed too long ago: skip it and say so.
    Skip(DateTime<Utc>),
}

/// Decides about the latest slot at or before `now`. `last_handled` is the
/// latest slot the store has a row for (run, failed or skipped); `grace` is
/// how late a slot may still run (`None`: always, e.g. refreshes).
pub fn catch_up<Tz: TimeZone>(
    cadence: &Cadence,
    tz: &Tz,
    last_handled: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    grace: Option<Duration>,
) -> CatchUp {
    let Some(slot) = cadence.latest_at_or_before(tz, now) else {
        return CatchUp::Nothing;
    };
    if last_handled.is_some_and(|h| h >= slot) {
        return CatchUp::Nothing;
    }
    match grace {
        Some(g) if (now - slot).to_std().unwrap_or_default() > g => CatchUp::Skip(slot),
        _ => CatchUp::Run(slot),
    }
}

/// A job's slots as they come due: armed as tokio-cron-scheduler one-shots
/// with a wall-clock backstop. Each call to `next` waits for the next slot
/// after the last one it returned and yields its (UTC) time.
pub struct Ticker<Tz: TimeZone> {
    name: &'static str,
    cadence: Cadence,
    tz: Tz,
    scheduler: tokio_cron_scheduler::JobScheduler,
    after: DateTime<Utc>,
}

/// How often the backstop looks at the wall clock.
const BACKSTOP: Duration = Duration::from_secs(30);

impl<Tz: TimeZone + Send + Sync + 'static> Ticker<Tz>
where
    Tz::Offset: Send + Sync,
{
    pub fn new(
        name: &'static str,
        cadence: Cadence,
        tz: Tz,
        scheduler: tokio_cron_scheduler::JobScheduler,
        after: DateTime<Utc>,
    ) -> Self {
        Self {
            name,
            cadence,
            tz,
            scheduler,
            after,
        }
    }

    /// Waits for the next slot; `None` if the cron expression has no future
    /// fire time at all.
    pub async fn next(&mut self) -> Option<DateTime<Utc>> {
        let slot = self.cadence.next_after(&self.tz, self.after)?;
        self.after = slot;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let wait = (slot - Utc::now()).to_std().unwrap_or_default();
        let armed = tokio_cron_scheduler::Job::new_one_shot_at_instant(
            std::time::Instant::now() + wait,
            move |_, _| {
                let _ = tx.try_send(());
            },
        );
        let job_id = match armed {
            Ok(job) => self.scheduler.add(job).await.ok(),
            Err(_) => None,
        };
        if job_id.is_none() {
            tracing::warn!(
                job = self.name,
                "cron scheduler refused a job; the backstop fires it"
            );
        }
        tracing::debug!(job = self.name, at = %slot, "next slot armed");
        let mut backstop = tokio::time::interval(BACKSTOP);
        loop {
            tokio::select! {
                Some(()) = rx.recv() => {
                    // A monotonic timer and the wall clock can disagree
                    // (suspend, NTP steps); the slot is due by the wall
                    // clock. Early by a moment: wait it out. Early by more:
                    // the clock moved, and the backstop fires it.
                    let early = (slot - Utc::now()).to_std().unwrap_or_default();
                    if early <= Duration::from_secs(2) {
                        tokio::time::sleep(early).await;
                        break;
                    }
                }
                _ = backstop.tick() => {
                    if Utc::now() >= slot {
                        if job_id.is_some() {
                            tracing::debug!(job = self.name, at = %slot, "slot fired by the backstop");
                        }
                        break;
                    }
                }
            }
        }
        if let Some(id) = job_id {
            // Gone already when it fired; removing twice is harmless.
            let _ = self.scheduler.remove(&id).await;
        }
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn fires(c: &Cadence, from: &str, n: usize) -> Vec<DateTime<Utc>> {
        let mut at = utc(from);
        (0..n)
            .map(|_| {
                at = c.next_after(&Berlin, at).unwrap();
                at
            })
            .collect()
    }

    #[test]
    fn a_weekly_berlin_schedule_stays_at_eight_local_across_both_dst_changes() {
        let monday_eight = Cadence::parse("0 0 8 * * Mon").unwrap();
        // Spring: clocks go forward on Sunday 29 March 2026.
        assert_eq!(
            fires(&monday_eight, "2026-03-20T00:00:00Z", 2),
            [utc("2026-03-23T07:00:00Z"), utc("2026-03-30T06:00:00Z")],
            "08:00 CET, then 08:00 CEST"
        );
        // Autumn: clocks go back on Sunday 25 October 2026.
        assert_eq!(
            fires(&monday_eight, "2026-10-16T00:00:00Z", 2),
            [utc("2026-10-19T06:00:00Z"), utc("2026-10-26T07:00:00Z")],
            "08:00 CEST, then 08:00 CET"
        );
        for t in fires(&monday_eight, "2026-01-01T00:00:00Z", 60) {
            let local = t.with_timezone(&Berlin);
            assert_eq!(
                local.format("%a %H:%M:%S").to_string(),
                "Mon 08:00:00",
                "{t}"
            );
        }
    }

    #[test]
    fn a_daily_slot_in_the_changed_hour_fires_once_on_each_dst_day() {
        let half_two = Cadence::parse("0 30 2 * * *").unwrap();
        // 02:30 does not exist on 29 March and happens twice on 25 October.
        for (from, day) in [
            ("2026-03-28T12:00:00Z", "2026-03-29"),
            ("2026-10-24T12:00:00Z", "2026-10-25"),
        ] {
            let on_day = fires(&half_two, from, 3)
                .into_iter()
                .filter(|t| t.with_timezone(&Berlin).format("%Y-%m-%d").to_string() == day)
                .count();
            assert_eq!(on_day, 1, "{day}");
        }
    }

    #[test]
    fn an_hourly_refresh_fires_every_real_hour_through_the_autumn_change() {
        let hourly = Cadence::parse("0 0 * * * *").unwrap();
        let f = fires(&hourly, "2026-10-24T22:30:00Z", 8);
        for pair in f.windows(2) {
            assert!(pair[1] > pair[0]);
            assert!((pair[1] - pair[0]).num_minutes() <= 120, "{pair:?}");
        }
    }

    #[test]
    fn a_missed_publish_runs_inside_the_grace_window_and_is_skipped_after_it() {
        let c = Cadence::parse("0 0 8 * * Mon").unwrap();
        let grace = Some(Duration::from_secs(6 * 3600));
        let slot = utc("2026-11-16T07:00:00Z"); // Monday 08:00 CET
        let last_week = Some(utc("2026-11-09T07:00:00Z"));
        // Back at 09:30 local: publish now.
        assert_eq!(
            catch_up(&c, &Berlin, last_week, utc("2026-11-16T08:30:00Z"), grace),
            CatchUp::Run(slot)
        );
        // Back on Wednesday: too late for this edition.
        assert_eq!(
            catch_up(&c, &Berlin, last_week, utc("2026-11-18T10:00:00Z"), grace),
            CatchUp::Skip(slot)
        );
        // Already handled (ran, or skipped before): nothing.
        assert_eq!(
            catch_up(&c, &Berlin, Some(slot), utc("2026-11-16T08:30:00Z"), grace),
            CatchUp::Nothing
        );
        // Refreshes have no window: a late one is still worth running.
        assert_eq!(
            catch_up(&c, &Berlin, last_week, utc("2026-11-18T10:00:00Z"), None),
            CatchUp::Run(slot)
        );
    }

    #[test]
    fn slots_fall_on_whole_seconds_whatever_the_clock_reads() {
        let c = Cadence::parse("0 0 8 * * Mon").unwrap();
        let at = utc("2026-11-16T07:00:00.716Z");
        assert_eq!(
            c.latest_at_or_before(&Berlin, at),
            Some(utc("2026-11-16T07:00:00Z"))
        );
        assert_eq!(
            c.next_after(&Berlin, utc("2026-11-16T06:59:59.9Z")),
            Some(utc("2026-11-16T07:00:00Z"))
        );
    }

    #[test]
    fn cron_expressions_are_checked_like_the_scheduler_checks_them() {
        assert!(Cadence::parse("0 0 8 * * Mon").is_ok());
        assert!(
            Cadence::parse("0 8 * * Mon").is_err(),
            "seconds are required"
        );
        assert!(Cadence::parse("0 0 25 * * *").is_err());
    }

    #[tokio::test]
    async fn the_ticker_fires_a_due_slot() {
        let sched = tokio_cron_scheduler::JobScheduler::new().await.unwrap();
        sched.start().await.unwrap();
        let every_second = Cadence::parse("* * * * * *").unwrap();
        let start = Utc::now();
        let mut ticker = Ticker::new("test", every_second, Berlin, sched, start);
        let a = ticker.next().await.unwrap();
        let b = ticker.next().await.unwrap();
        assert!(a > start && b > a);
        assert!(Utc::now() >= b);
    }
}
