//! Prometheus metrics, kept in a few atomics and one small map, rendered as text on `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ronda_core::model::Source;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Histogram,
    reports_accepted: [AtomicU64; 4],
    reports_refused: AtomicU64,
    cases_opened: AtomicU64,
    rate_limited: AtomicU64,
    mail_sent: AtomicU64,
    mail_failed: AtomicU64,
    /// Metrics of parts running beside the HTTP service (the patrol), appended on render.
    others: Mutex<Vec<Renderer>>,
}

/// Appends a part's metrics in the text format.
pub type RenderFn = dyn Fn(&mut String) + Send + Sync;

struct Renderer(Box<RenderFn>);

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let mut map = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry((method.to_string(), route.to_string(), status))
            .or_insert(0) += 1;
        drop(map);
        self.latency.observe(took);
    }

    pub fn report_accepted(&self, source: Source, new_case: bool) {
        let i = Source::ALL.iter().position(|s| *s == source).unwrap_or(0);
        self.reports_accepted[i].fetch_add(1, Ordering::Relaxed);
        if new_case {
            self.cases_opened.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn report_refused(&self) {
        self.reports_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub fn mail_sent(&self) {
        self.mail_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// A send that failed (retried later, or given up).
    pub fn mail_failed(&self) {
        self.mail_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    /// Adds the metrics of a part that runs beside the service to every render.
    pub fn also_render(&self, f: Box<RenderFn>) {
        self.others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Renderer(f));
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP ronda_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE ronda_http_requests_total counter\n");
        {
            let map = self
                .requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for ((method, route, status), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "ronda_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP ronda_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE ronda_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "ronda_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.latency.counts[i].load(Ordering::Relaxed)
            );
        }
        let count = self.latency.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "ronda_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        #[allow(
            clippy::cast_precision_loss,
            reason = "a metric, not an account balance"
        )]
        let sum = self.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "ronda_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "ronda_http_request_duration_seconds_count {count}");
        out.push_str("# HELP ronda_reports_accepted_total Reports stored, by source.\n");
        out.push_str("# TYPE ronda_reports_accepted_total counter\n");
        for (i, s) in Source::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "ronda_reports_accepted_total{{source=\"{s}\"}} {}",
                self.reports_accepted[i].load(Ordering::Relaxed)
            );
        }
        for (name, help, v) in [
            (
                "ronda_reports_refused_total",
                "Reports refused as invalid.",
                &self.reports_refused,
            ),
            (
                "ronda_cases_opened_total",
                "Cases opened by intake.",
                &self.cases_opened,
            ),
            (
                "ronda_rate_limited_total",
                "Public requests refused by the rate limit.",
                &self.rate_limited,
            ),
            (
                "ronda_mail_sent_total",
                "Messages the mail relay accepted.",
                &self.mail_sent,
            ),
            (
                "ronda_mail_failed_total",
                "Sends that failed (retried later or given up).",
                &self.mail_failed,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        for r in self
            .others
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            (r.0)(&mut out);
        }
        out
    }
}
