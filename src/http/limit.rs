//! Per-client rate limit for sign-ups: a token bucket per IP address. The
//! map is pruned of full buckets when it grows, so a flood of addresses
//! costs memory only while they are still limited.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

pub struct PerIp {
    per_hour: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

const PRUNE_AT: usize = 10_000;

impl PerIp {
    pub fn new(per_hour: u32) -> Self {
        Self {
            per_hour: f64::from(per_hour),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token; false when the client has none left.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_hour <= 0.0 {
            return true;
        }
        let rate = self.per_hour / 3600.0;
        let mut map = self.buckets.lock().expect("rate limit lock");
        if map.len() >= PRUNE_AT {
            let full = self.per_hour;
            map.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < full
            });
        }
        let (tokens, at) = map.entry(ip).or_insert((self.per_hour, now));
        *tokens =
            (*tokens + now.saturating_duration_since(*at).as_secs_f64() * rate).min(self.per_hour);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_address_gets_its_own_allowance_which_refills_over_the_hour() {
        let l = PerIp::new(3);
        let (a, b): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap());
        let t0 = Instant::now();
        assert!((0..3).all(|_| l.allow_at(a, t0)));
        assert!(!l.allow_at(a, t0), "the fourth in an hour is refused");
        assert!(l.allow_at(b, t0), "another address is not affected");
        assert!(!l.allow_at(a, t0 + Duration::from_secs(600)));
        assert!(
            l.allow_at(a, t0 + Duration::from_secs(1200)),
            "a third of an hour buys one"
        );
        assert!(PerIp::new(0).allow_at(a, t0), "0 means no limit");
    }
}
