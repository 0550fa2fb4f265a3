//! How long the crawler waits before it asks a host again.
//!
//! * After an answer that took `t`: `clamp(factor × t, min, max)`, and never less than the
//!   site's `Crawl-delay` (itself capped at [`Politeness::max_crawl_delay`], so that a robots.txt
//!   cannot park the patrol for a day). A slow host is asked less often; a fast one no faster
//!   than `min`.
//! * After a 429, a 5xx or a failed connection: back off, `min(backoff_max, backoff_base ×
//!   2^(failures − 1))`, or the host's `Retry-After` when that is longer (capped the same way).
//! * A host that failed [`Politeness::error_budget`] times in a row is paused for
//!   `backoff_max`: its URLs stay queued and the rest of the crawl goes on.

use std::time::Duration;

/// The politeness settings of a crawl.
#[derive(Debug, Clone, PartialEq)]
pub struct Politeness {
    pub min: Duration,
    pub max: Duration,
    /// Multiplier of the last response time.
    pub factor: f64,
    pub max_crawl_delay: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Consecutive failures before the host is paused.
    pub error_budget: u32,
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            min: Duration::from_millis(500),
            max: Duration::from_secs(30),
            factor: 4.0,
            max_crawl_delay: Duration::from_secs(60),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(600),
            error_budget: 5,
        }
    }
}

impl Politeness {
    /// No waiting at all (benchmarks against a local site; never the default).
    pub fn off() -> Politeness {
        Politeness {
            min: Duration::ZERO,
            max: Duration::ZERO,
            factor: 0.0,
            max_crawl_delay: Duration::ZERO,
            backoff_base: Duration::ZERO,
            backoff_max: Duration::ZERO,
            error_budget: u32::MAX,
        }
    }

    /// The wait after a successful answer that took `response`.
    pub fn after_answer(&self, response: Duration, crawl_delay: Option<f64>) -> Duration {
        let scaled = response.mul_f64(self.factor.max(0.0));
        let mut d = scaled.clamp(self.min, self.max.max(self.min));
        if let Some(cd) = crawl_delay.filter(|c| c.is_finite() && *c > 0.0) {
            d = d.max(Duration::from_secs_f64(cd).min(self.max_crawl_delay));
        }
        d
    }

    /// The wait after the `failures`-th failure in a row (1 for the first).
    pub fn after_failure(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let exp = failures.saturating_sub(1).min(20);
        let d = self
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.backoff_max);
        match retry_after {
            Some(r) => d.max(r.min(self.backoff_max)),
            None => d,
        }
    }

    /// Whether a host with `failures` failures in a row is paused.
    pub fn paused(&self, failures: u32) -> bool {
        failures >= self.error_budget
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not read: the back-off applies instead).
pub fn retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn delay_scales_with_response_time_between_min_and_max() {
        let p = Politeness::default();
        assert_eq!(p.after_answer(ms(10), None), ms(500));
        assert_eq!(p.after_answer(ms(1000), None), ms(4000));
        assert_eq!(
            p.after_answer(Duration::from_secs(60), None),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn crawl_delay_is_a_floor_with_a_ceiling() {
        let p = Politeness::default();
        assert_eq!(p.after_answer(ms(10), Some(3.0)), ms(3000));
        assert_eq!(p.after_answer(ms(1000), Some(1.0)), ms(4000));
        assert_eq!(
            p.after_answer(ms(10), Some(86_400.0)),
            Duration::from_secs(60)
        );
        assert_eq!(p.after_answer(ms(10), Some(f64::NAN)), ms(500));
    }

    #[test]
    fn failures_back_off_and_pause() {
        let p = Politeness::default();
        assert_eq!(p.after_failure(1, None), Duration::from_secs(5));
        assert_eq!(p.after_failure(3, None), Duration::from_secs(20));
        assert_eq!(p.after_failure(30, None), Duration::from_secs(600));
        assert_eq!(
            p.after_failure(1, Some(Duration::from_secs(90))),
            Duration::from_secs(90)
        );
        assert_eq!(
            p.after_failure(1, Some(Duration::from_secs(99_999))),
            Duration::from_secs(600)
        );
        assert!(!p.paused(4));
        assert!(p.paused(5));
        assert_eq!(retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn off_waits_for_nothing() {
        let p = Politeness::off();
        assert_eq!(
            p.after_answer(Duration::from_secs(5), Some(10.0)),
            Duration::ZERO
        );
        assert_eq!(p.after_failure(3, None), Duration::ZERO);
        assert!(!p.paused(1000));
    }
}
