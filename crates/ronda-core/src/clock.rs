//! Time as a dependency: production uses the system clock, tests a manual one.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

/// Milliseconds since the Unix epoch, UTC. Every stored timestamp uses this unit.
pub type Millis = i64;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> Millis;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to; for tests of deadlines and expiries.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
    // Serialises `advance` with readers that need a consistent view in tests.
    lock: Mutex<()>,
}

impl ManualClock {
    pub fn new(start: Millis) -> Self {
        Self {
            now: AtomicI64::new(start),
            lock: Mutex::new(()),
        }
    }

    pub fn set(&self, t: Millis) {
        let _g = self.lock.lock();
        self.now.store(t, Ordering::SeqCst);
    }

    pub fn advance_ms(&self, d: Millis) {
        let _g = self.lock.lock();
        self.now.fetch_add(d, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> Millis {
        self.now.load(Ordering::SeqCst)
    }
}

/// Formats a stored timestamp as RFC 3339 in UTC with millisecond precision.
pub fn to_rfc3339(ms: Millis) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => String::from("invalid-timestamp"),
    }
}

/// Parses an RFC 3339 timestamp into milliseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        let t = 1_764_000_000_123;
        assert_eq!(to_rfc3339(t), "2025-11-24T16:00:00.123Z");
        assert_eq!(parse_rfc3339(&to_rfc3339(t)), Some(t));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1000);
        assert_eq!(c.now_ms(), 1000);
        c.advance_ms(500);
        assert_eq!(c.now_ms(), 1500);
        c.set(10);
        assert_eq!(c.now_ms(), 10);
    }
}
