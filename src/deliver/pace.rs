//! Pace and protection for one delivery run: token buckets for the rate
//! caps, and the circuit breaker that stops a run hammering a relay that is
//! down or refusing our login.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Messages per second and per hour, each a token bucket: up to a full
/// bucket goes out at once, then the refill rate holds.
pub struct Pacer {
    buckets: Mutex<Vec<Bucket>>,
}

struct Bucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.per_sec).min(self.capacity);
        self.last = now;
    }

    /// How long until a whole token is there.
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec)
        }
    }
}

impl Pacer {
    /// `used_last_hour`: what was already sent in the last hour (by an
    /// earlier process), so a restart does not grant a fresh hour.
    pub fn new(per_second: u32, per_hour: u32, used_last_hour: i64) -> Self {
        let now = Instant::now();
        let mut buckets = Vec::new();
        if per_second > 0 {
            buckets.push(Bucket {
                capacity: per_second as f64,
                per_sec: per_second as f64,
                tokens: per_second as f64,
                last: now,
            });
        }
        if per_hour > 0 {
            let cap = per_hour as f64;
            buckets.push(Bucket {
                capacity: cap,
                per_sec: cap / 3600.0,
                tokens: (cap - used_last_hour.max(0) as f64).max(0.0),
                last: now,
            });
        }
        Self {
            buckets: Mutex::new(buckets),
        }
    }

    /// Waits until every cap allows one more message, and takes it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().expect("pacer lock");
                let now = Instant::now();
                for b in buckets.iter_mut() {
                    b.refill(now);
                }
                let wait = buckets.iter().map(Bucket::wait).max().unwrap_or_default();
                if wait.is_zero() {
                    for b in buckets.iter_mut() {
                        b.tokens -= 1.0;
                    }
                    return;
                }
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Counts failures in a row. At the threshold it opens: the run stops
/// sending until the cool-down has passed. After that one more failure
/// opens it again at once (half-open), so a relay that is still down costs
/// one message per cool-down, not a whole threshold's worth.
pub struct Breaker {
    state: Mutex<BreakerState>,
    threshold: u32,
}

struct BreakerState {
    in_a_row: u32,
    open: bool,
}

/// What one outcome did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tripped {
    No,
    /// This failure opened it.
    Now,
}

impl Breaker {
    pub fn new(threshold: u32) -> Self {
        Self {
            state: Mutex::new(BreakerState {
                in_a_row: 0,
                open: false,
            }),
            threshold: threshold.max(1),
        }
    }

    pub fn is_open(&self) -> bool {
        self.state.lock().expect("breaker lock").open
    }

    pub fn success(&self) {
        let mut s = self.state.lock().expect("breaker lock");
        s.in_a_row = 0;
    }

    pub fn failure(&self) -> Tripped {
        let mut s = self.state.lock().expect("breaker lock");
        s.in_a_row += 1;
        if !s.open && s.in_a_row >= self.threshold {
            s.open = true;
            Tripped::Now
        } else {
            Tripped::No
        }
    }

    /// After the cool-down: send again, but half-open.
    pub fn close_half_open(&self) {
        let mut s = self.state.lock().expect("breaker lock");
        s.open = false;
        s.in_a_row = self.threshold - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Time is paused and advanced by tokio, so these count slots, not seconds.
    #[tokio::test(start_paused = true)]
    async fn a_per_second_cap_lets_a_burst_through_then_holds_the_rate() {
        let pacer = Pacer::new(10, 0, 0);
        let start = Instant::now();
        for _ in 0..10 {
            pacer.acquire().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a full bucket goes at once"
        );
        for _ in 0..20 {
            pacer.acquire().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.01, "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_hourly_cap_remembers_what_an_earlier_process_sent() {
        let pacer = Pacer::new(0, 100, 99);
        let start = Instant::now();
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.acquire().await;
        let took = start.elapsed().as_secs_f64();
        assert!(
            (took - 36.0).abs() < 0.01,
            "one slot is 36 s at 100 an hour: {took}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_caps_means_no_waiting() {
        let pacer = Pacer::new(0, 0, 1_000_000);
        let start = Instant::now();
        for _ in 0..1000 {
            pacer.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[test]
    fn the_breaker_opens_at_the_threshold_and_reopens_at_once_when_half_open() {
        let b = Breaker::new(3);
        assert_eq!(b.failure(), Tripped::No);
        b.success();
        assert_eq!(b.failure(), Tripped::No);
        assert_eq!(b.failure(), Tripped::No);
        assert_eq!(b.failure(), Tripped::Now);
        assert!(b.is_open());
        assert_eq!(b.failure(), Tripped::No, "already open");
        b.close_half_open();
        assert!(!b.is_open());
        assert_eq!(b.failure(), Tripped::Now);
        b.close_half_open();
        b.success();
        assert_eq!(b.failure(), Tripped::No);
    }
}
