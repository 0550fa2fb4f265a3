//! The patrol's Prometheus metrics: counters kept in atomics as pages are processed, the
//! frontier's gauges as of the last look ([`crate::crawl::Patrol::observe_frontier`]), rendered
//! in the text exposition format by whoever serves `/metrics` (`ronda serve` appends them to
//! its own). Rendering reads atomics only: a scrape never queries the store.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ronda_store::frontier::FrontierCounts;

use crate::stats::RunStats;

/// Counters of one crawler process.
#[derive(Debug, Default)]
pub struct PatrolMetrics {
    fetched: AtomicU64,
    not_modified: AtomicU64,
    bytes: AtomicU64,
    reported: AtomicU64,
    robots_refused: AtomicU64,
    images_hashed: AtomicU64,
    images_failed: AtomicU64,
    images_matched: AtomicU64,
    removals_verified: AtomicU64,
    still_online: AtomicU64,
    /// Fetch errors by kind (`timeout`, `refused`, `http_5xx`, …).
    errors: Mutex<BTreeMap<String, u64>>,
    frontier: Mutex<Option<FrontierCounts>>,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl PatrolMetrics {
    /// What one processed URL (or a pass of re-checks) did.
    pub fn record(&self, s: &RunStats) {
        add(&self.fetched, s.fetched);
        add(&self.not_modified, s.not_modified);
        add(&self.reported, s.reported);
        add(&self.robots_refused, s.robots_refused);
        add(&self.images_hashed, s.images_hashed);
        add(&self.images_failed, s.images_failed);
        add(&self.images_matched, s.images_matched);
        add(&self.removals_verified, s.removals_verified);
        add(&self.still_online, s.still_online);
    }

    /// Bytes of a body read.
    pub fn bytes(&self, n: usize) {
        add(&self.bytes, u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// A fetch that failed, by kind.
    pub fn error(&self, kind: &str) {
        let mut m = self
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *m.entry(kind.to_string()).or_insert(0) += 1;
    }

    /// The frontier as last counted.
    pub fn frontier(&self, c: FrontierCounts) {
        *self
            .frontier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(c);
    }

    /// Appends the metrics in Prometheus's text format.
    pub fn render(&self, out: &mut String) {
        let counters = [
            (
                "fetches_total",
                "Pages fetched with an answer (not modified included).",
                &self.fetched,
            ),
            (
                "not_modified_total",
                "Conditional fetches answered 304.",
                &self.not_modified,
            ),
            (
                "bytes_total",
                "Body bytes read (pages and images, after decompression).",
                &self.bytes,
            ),
            (
                "reports_total",
                "Findings reported through intake.",
                &self.reported,
            ),
            (
                "robots_refused_total",
                "URLs not fetched because robots.txt forbids them.",
                &self.robots_refused,
            ),
            (
                "images_hashed_total",
                "Images fetched and PDQ-hashed in memory.",
                &self.images_hashed,
            ),
            (
                "images_failed_total",
                "Images refused, too large, not images or broken.",
                &self.images_failed,
            ),
            (
                "images_matched_total",
                "Images a hash bank matched.",
                &self.images_matched,
            ),
            (
                "removals_verified_total",
                "Claimed removals the patrol verified.",
                &self.removals_verified,
            ),
            (
                "still_online_total",
                "Claimed removals found still online.",
                &self.still_online,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP ronda_patrol_{name} {help}\n# TYPE ronda_patrol_{name} counter\nronda_patrol_{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        out.push_str(
            "# HELP ronda_patrol_fetch_errors_total Fetches without a usable answer, by kind.\n",
        );
        out.push_str("# TYPE ronda_patrol_fetch_errors_total counter\n");
        {
            let m = self
                .errors
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (kind, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "ronda_patrol_fetch_errors_total{{kind=\"{kind}\"}} {n}"
                );
            }
        }
        let f = self
            .frontier
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(f) = f {
            out.push_str("# HELP ronda_patrol_frontier_urls URLs of the frontier by state, as last counted.\n");
            out.push_str("# TYPE ronda_patrol_frontier_urls gauge\n");
            for (state, n) in [
                ("queued", f.queued),
                ("due", f.due),
                ("in_flight", f.claimed),
                ("given_up", f.failed),
            ] {
                let _ = writeln!(out, "ronda_patrol_frontier_urls{{state=\"{state}\"}} {n}");
            }
            out.push_str(
                "# HELP ronda_patrol_frontier_hosts Hosts of the frontier, and those failing.\n",
            );
            out.push_str("# TYPE ronda_patrol_frontier_hosts gauge\n");
            let _ = writeln!(
                out,
                "ronda_patrol_frontier_hosts{{state=\"all\"}} {}",
                f.hosts
            );
            let _ = writeln!(
                out,
                "ronda_patrol_frontier_hosts{{state=\"failing\"}} {}",
                f.hosts_failing
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_errors_and_gauges_render_in_the_text_format() {
        let m = PatrolMetrics::default();
        m.record(&RunStats {
            fetched: 3,
            reported: 1,
            images_matched: 1,
            ..RunStats::default()
        });
        m.bytes(1500);
        m.error("timeout");
        m.error("timeout");
        m.error("http_5xx");
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains("ronda_patrol_fetches_total 3\n"), "{out}");
        assert!(out.contains("ronda_patrol_bytes_total 1500\n"));
        assert!(out.contains("ronda_patrol_images_matched_total 1\n"));
        assert!(out.contains("ronda_patrol_fetch_errors_total{kind=\"timeout\"} 2\n"));
        assert!(out.contains("ronda_patrol_fetch_errors_total{kind=\"http_5xx\"} 1\n"));
        assert!(
            !out.contains("frontier_urls"),
            "no gauges before the first count"
        );
        m.frontier(FrontierCounts {
            queued: 7,
            due: 2,
            claimed: 1,
            failed: 0,
            hosts: 3,
            hosts_failing: 1,
        });
        let mut out = String::new();
        m.render(&mut out);
        assert!(
            out.contains("ronda_patrol_frontier_urls{state=\"queued\"} 7\n"),
            "{out}"
        );
        assert!(out.contains("ronda_patrol_frontier_hosts{state=\"failing\"} 1\n"));
        // Every sample line belongs to a declared metric.
        for line in out.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            assert!(out.contains(&format!("# TYPE {name} ")), "{line}");
        }
    }
}
