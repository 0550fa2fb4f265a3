//! The crawl over watch lists, embedded mode: the frontier lives in the store
//! (`ronda_store::frontier`), so one process or several on one database share it, and every
//! host sees at most one request at a time, spaced by `ronda_core::crawl::politeness`.
//!
//! One round of a watch list ([`Patrol::start_due_rounds`]) puts its seeds in the frontier, due
//! now. [`Patrol::run_once`] then claims due URLs (one per host), and for each:
//! 1. robots.txt of its host (fetched once a run through the same client and cached; 4xx →
//!    allowed, 5xx or no answer → nothing allowed) unless the watch list ignores it;
//! 2. the fetch through `ronda_outbound` (SSRF rules, each redirect hop re-checked and asked
//!    at once as part of the same fetch, caps), with the validators of the last fetch (a 304
//!    changes nothing);
//! 3. HTML → text, links, images; sitemap or feed → URLs (a feed entry's text is read too);
//! 4. the text through the detection engine and the page's images through the hash banks
//!    (`crate::images`, hashed in memory); a verdict other than `clear` or a bank match, on
//!    content not seen before (its SHA-256 differs from the last fetch's), becomes a `patrol`
//!    report through the one [`Intake`] — platform `web`, the page URL as target, the image
//!    hashes as media, the page's WARC capture as evidence, idempotency key `patrol:<url>:
//!    <digest>` so a crash between report and bookkeeping cannot report twice;
//! 5. links within the watch list's scope and depth join the frontier (the seen-set drops
//!    repeats), unless the page's robots meta says `nofollow` (and robots are obeyed);
//! 6. the result is recorded: due again after the watch list's interval (or after a back-off
//!    on 429/5xx/no connection, until the host's error budget is spent), the host free after
//!    the politeness delay.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ronda_core::crawl::politeness::{Politeness, retry_after};
use ronda_core::crawl::robots::{Robots, product_token};
use ronda_core::crawl::url::{canonical, host_key};
use ronda_core::crawl::watchlist::Scope;
use ronda_core::model::Source;
use ronda_core::report::{Capture, MediaInput, ReportInput, TargetInput};
use ronda_core::warc;
use ronda_outbound::{ContentKind, FetchError, FetchRequest, Fetched, Outbound};
use ronda_service::detection::Detector;
use ronda_service::intake::{Intake, Refusal, Submitter};
use ronda_store::frontier::{Claimed, FetchOutcome, NewUrl};
use ronda_store::watchlists::WatchListRow;
use ronda_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use url::Url;

use crate::images::{ImageLimits, Looked, look_at_images};
use crate::metrics::PatrolMetrics;
pub use crate::stats::RunStats;
use crate::{html, xml};

/// The frontier's gauges are counted at most this often.
pub const COUNT_EVERY: Duration = Duration::from_secs(60);

/// A run waits for a host's delay up to this long; hosts backing off for longer are left to
/// the next run.
const WAIT_HORIZON_MS: i64 = 60_000;

/// How the patrol crawls.
#[derive(Debug, Clone)]
pub struct PatrolConfig {
    /// Names the operator: `Ronda-Patrol/0.1 (+https://…)`.
    pub user_agent: String,
    pub politeness: Politeness,
    /// The largest page read.
    pub max_bytes: usize,
    pub fetch_timeout: Duration,
    /// URLs claimed (and fetched concurrently, one per host) at a time.
    pub concurrency: usize,
    /// How long a claim is held before another crawler may take the URL.
    pub lease_ms: i64,
    /// This crawler's name in the frontier's claims.
    pub worker: String,
    /// Retries of a URL that keeps failing before it is given up.
    pub max_attempts: i64,
    /// When a verified removal is looked at once more.
    pub recheck_again_ms: i64,
    /// How each platform says content is gone.
    pub gone: Vec<ronda_service::config::GoneRule>,
    /// Images of a page fetched and hashed (0: none).
    pub max_images: usize,
    /// The largest image read.
    pub max_image_bytes: usize,
    /// The least score of a verdict that is not clear for a page to be reported.
    pub report_min_score: f64,
}

impl Default for PatrolConfig {
    fn default() -> Self {
        PatrolConfig {
            user_agent: concat!("Ronda-Patrol/", env!("CARGO_PKG_VERSION")).to_string(),
            politeness: Politeness::default(),
            max_bytes: 4 << 20,
            fetch_timeout: Duration::from_secs(30),
            concurrency: 8,
            lease_ms: 120_000,
            worker: format!("patrol:{}", std::process::id()),
            max_attempts: 4,
            recheck_again_ms: 24 * 3_600_000,
            gone: Vec::new(),
            max_images: 8,
            max_image_bytes: 8 << 20,
            report_min_score: 0.0,
        }
    }
}

impl PatrolConfig {
    /// The configuration's `[patrol]` settings, the rest default.
    pub fn from_settings(p: &ronda_service::config::Patrol) -> Self {
        PatrolConfig {
            user_agent: p.user_agent.clone(),
            politeness: Politeness {
                min: Duration::from_millis(p.min_delay_ms),
                max: Duration::from_millis(p.max_delay_ms),
                ..Politeness::default()
            },
            max_bytes: p.max_page_bytes,
            fetch_timeout: Duration::from_secs(p.fetch_timeout_secs.max(1)),
            concurrency: p.concurrency,
            recheck_again_ms: i64::try_from(p.recheck_again_hours)
                .unwrap_or(i64::MAX / 3_600_000)
                .saturating_mul(3_600_000),
            gone: p.gone.clone(),
            max_images: p.max_images,
            max_image_bytes: p.max_image_bytes,
            report_min_score: p.report_min_score,
            ..PatrolConfig::default()
        }
    }
}

/// One URL fetched and read: what it did, what the frontier records, the links it found (in
/// scope, within depth, each once).
#[derive(Debug)]
pub(crate) struct Processed {
    pub(crate) stats: RunStats,
    pub(crate) outcome: FetchOutcome,
    pub(crate) links: Vec<NewUrl>,
}

impl Processed {
    pub(crate) fn skipped() -> Processed {
        Processed::done(
            RunStats {
                skipped: 1,
                ..RunStats::default()
            },
            FetchOutcome::default(),
        )
    }

    fn done(stats: RunStats, outcome: FetchOutcome) -> Processed {
        Processed {
            stats,
            outcome,
            links: Vec::new(),
        }
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum PatrolError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The JetStream frontier could not be reached or refused a request.
    #[error("NATS: {0}")]
    Nats(String),
}

/// Runs a blocking store read off the async threads (the PostgreSQL client blocks).
pub(crate) async fn read<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PatrolError> {
    let store = store.clone();
    Ok(tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|_| StoreError::Closed)??)
}

/// The crawler over a store, a detector and the outbound client.
pub struct Patrol<'a> {
    pub store: &'a Store,
    pub detector: &'a Detector,
    pub outbound: &'a Outbound,
    pub config: PatrolConfig,
    /// What this crawler did, for `/metrics`.
    pub metrics: Arc<PatrolMetrics>,
    robots: Mutex<HashMap<String, Robots>>,
    /// When the frontier was last counted for the gauges.
    counted_at: Mutex<Option<std::time::Instant>>,
}

impl std::fmt::Debug for Patrol<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patrol")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A watch list as the loop uses it: the row, and the host keys of its seeds (its scope).
pub(crate) struct Watched {
    pub(crate) row: WatchListRow,
    pub(crate) seed_hosts: HashSet<String>,
}

impl Watched {
    pub(crate) fn new(row: WatchListRow) -> Watched {
        let seed_hosts = row
            .list
            .start_urls()
            .iter()
            .filter_map(|s| Url::parse(s).ok())
            .map(|u| host_key(&u))
            .collect();
        Watched { row, seed_hosts }
    }

    /// Whether `u` is within the watch list's reach.
    pub(crate) fn in_scope(&self, u: &Url) -> bool {
        if self.seed_hosts.contains(&host_key(u)) {
            return true;
        }
        let host = u.host_str().unwrap_or("");
        let with_port = u
            .port()
            .map_or_else(|| host.to_string(), |p| format!("{host}:{p}"));
        self.row.list.scope == Scope::Listed
            && self
                .row
                .list
                .hosts
                .iter()
                .any(|h| *h == host || *h == with_port)
    }
}

impl<'a> Patrol<'a> {
    pub fn new(
        store: &'a Store,
        detector: &'a Detector,
        outbound: &'a Outbound,
        config: PatrolConfig,
    ) -> Self {
        Patrol {
            store,
            detector,
            outbound,
            config,
            robots: Mutex::new(HashMap::new()),
            metrics: Arc::default(),
            counted_at: Mutex::new(None),
        }
    }

    /// Counts the frontier for the metrics' gauges (a store read; done between passes, never
    /// on a scrape). Counting scans the frontier's index — about a second at 10M URLs — so it
    /// is done at most once every [`COUNT_EVERY`]; a call sooner does nothing.
    pub async fn observe_frontier(&self) -> Result<(), PatrolError> {
        {
            let mut last = self
                .counted_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < COUNT_EVERY) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        let now = self.store.now_ms();
        let counts = read(self.store, move |s| s.frontier_counts(now)).await?;
        self.metrics.frontier(counts);
        Ok(())
    }

    /// Starts a round of every enabled watch list that is due; how many.
    pub async fn start_due_rounds(&self) -> Result<usize, PatrolError> {
        let due = read(self.store, |s| s.due_watchlists()).await?;
        for w in &due {
            let seeds = w
                .list
                .start_urls()
                .iter()
                .filter_map(|s| Url::parse(s).ok())
                .map(|u| NewUrl {
                    host: host_key(&u),
                    url: u.to_string(),
                    depth: 0,
                })
                .collect();
            self.store.start_watchlist_round(w.id, seeds).await?;
        }
        Ok(due.len())
    }

    /// Crawls until nothing is due (see the module docs).
    pub async fn run_once(&self) -> Result<RunStats, PatrolError> {
        self.clear_robots();
        let mut total = self.rechecks().await?;
        self.start_due_rounds().await?;
        let mut lists: HashMap<i64, Watched> = HashMap::new();
        loop {
            let claimed = self
                .store
                .claim_fetches(
                    self.config.worker.clone(),
                    self.config.concurrency,
                    self.config.lease_ms,
                )
                .await?;
            if claimed.is_empty() {
                let now = self.store.now_ms();
                let held = read(self.store, |s| s.frontier_in_flight()).await?;
                let until = now + WAIT_HORIZON_MS;
                match read(self.store, move |s| s.next_claimable_at(now, until)).await? {
                    // Due URLs wait for their host's delay, or another crawler holds some.
                    Some(t) if t - now <= WAIT_HORIZON_MS => {
                        let wait = (t - now).clamp(5, 200);
                        tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
                    }
                    None if held > 0 => tokio::time::sleep(Duration::from_millis(50)).await,
                    // Nothing due, or only hosts backing off for long: the next run goes on.
                    _ => return Ok(total),
                }
                continue;
            }
            for c in &claimed {
                let wid = c.watchlist_id;
                if !lists.contains_key(&wid)
                    && let Some(w) = read(self.store, move |s| s.get_watchlist(wid)).await?
                {
                    lists.insert(wid, Watched::new(w));
                }
            }
            let jobs = claimed.into_iter().filter_map(|c| {
                let w = lists.get(&c.watchlist_id)?;
                Some(async move {
                    let done = self.process(w, &c).await?;
                    self.settle(&c, done).await
                })
            });
            for done in futures::future::join_all(jobs).await {
                total += done?;
            }
        }
    }

    /// The removal re-checks due now ([`crate::recheck`]), as a run's figures.
    pub(crate) async fn rechecks(&self) -> Result<RunStats, PatrolError> {
        let r = self.recheck_removals().await?;
        let stats = RunStats {
            removals_verified: r.gone,
            still_online: r.still_there,
            reported: r.reported_again,
            ..RunStats::default()
        };
        self.metrics.record(&stats);
        Ok(stats)
    }

    /// Forgets the robots.txt read so far: each run reads them again (a site may change its
    /// rules between rounds).
    pub(crate) fn clear_robots(&self) {
        self.robots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    async fn robots_for(&self, u: &Url) -> Robots {
        let key = host_key(u);
        if let Some(r) = self
            .robots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return r.clone();
        }
        let mut robots_url = u.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        let req = FetchRequest {
            user_agent: self.config.user_agent.clone(),
            max_bytes: ronda_core::crawl::robots::MAX_BYTES,
            accept: vec![ContentKind::Text],
            timeout: self.config.fetch_timeout,
            ..FetchRequest::default()
        };
        let r = match self.outbound.fetch(robots_url.as_str(), &req).await {
            Ok(f) if (200..300).contains(&f.status) => {
                Robots::parse(&f.body, &product_token(&self.config.user_agent))
            }
            Ok(f) if (400..500).contains(&f.status) => Robots::allow_all(),
            // A robots.txt served as HTML or another type is no robots.txt.
            Err(FetchError::ContentType(_)) => Robots::allow_all(),
            _ => Robots::disallow_all(),
        };
        self.robots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, r.clone());
        r
    }

    /// Fetches and reads one claimed URL and reports what it found; the frontier's bookkeeping
    /// (the outcome, the links) is left to the caller.
    pub(crate) async fn process(
        &self,
        watched: &Watched,
        c: &Claimed,
    ) -> Result<Processed, PatrolError> {
        let done = self.fetch_and_read(watched, c).await?;
        self.metrics.record(&done.stats);
        Ok(done)
    }

    async fn fetch_and_read(
        &self,
        watched: &Watched,
        c: &Claimed,
    ) -> Result<Processed, PatrolError> {
        let w = &watched.row;
        let mut out = RunStats::default();
        let p = &self.config.politeness;
        let now = self.store.now_ms();
        let Ok(url) = Url::parse(&c.url) else {
            out.errors += 1;
            self.metrics.error("bad_url");
            return Ok(Processed::done(out, failed_for_good(now, "bad_url")));
        };
        let robots = if w.list.ignore_robots {
            Robots::allow_all()
        } else {
            self.robots_for(&url).await
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        if !robots.allowed(&path) {
            out.robots_refused += 1;
            let next = now + w.list.every_ms;
            return Ok(Processed::done(
                out,
                FetchOutcome {
                    error: Some("robots".into()),
                    due_at: Some(next),
                    host_next_at: now,
                    ..FetchOutcome::default()
                },
            ));
        }
        let req = FetchRequest {
            user_agent: self.config.user_agent.clone(),
            max_bytes: self.config.max_bytes,
            timeout: self.config.fetch_timeout,
            accept: vec![ContentKind::Html, ContentKind::Feed, ContentKind::Text],
            etag: c.etag.clone(),
            last_modified: c.last_modified.clone(),
            ..FetchRequest::default()
        };
        let fetched = self.outbound.fetch(url.as_str(), &req).await;
        let now = self.store.now_ms();
        let f = match fetched {
            Ok(f) => f,
            Err(e) => {
                out.errors += 1;
                self.metrics.error(e.code());
                let transient = matches!(e, FetchError::Timeout | FetchError::Transport(_));
                let attempts = c.attempts + 1;
                let outcome = if transient && attempts < self.config.max_attempts {
                    let wait = p.after_failure(u32::try_from(attempts).unwrap_or(u32::MAX), None);
                    FetchOutcome {
                        error: Some(e.code().into()),
                        due_at: Some(now + ms(wait)),
                        host_next_at: now + ms(wait),
                        host_failed: true,
                        ..FetchOutcome::default()
                    }
                } else {
                    FetchOutcome {
                        host_failed: transient,
                        host_next_at: now + ms(p.min),
                        ..failed_for_good(now, e.code())
                    }
                };
                return Ok(Processed::done(out, outcome));
            }
        };
        let delay = p.after_answer(f.elapsed, robots.crawl_delay);
        self.metrics.bytes(f.body.len());
        if f.status == 429 || f.status >= 500 {
            out.errors += 1;
            self.metrics.error(if f.status == 429 {
                "http_429"
            } else {
                "http_5xx"
            });
            let attempts = c.attempts + 1;
            let wait = p.after_failure(
                u32::try_from(attempts).unwrap_or(u32::MAX),
                f.header("retry-after").and_then(retry_after),
            );
            let due = (attempts < self.config.max_attempts).then_some(now + ms(wait));
            return Ok(Processed::done(
                out,
                FetchOutcome {
                    status: Some(f.status),
                    error: due.is_none().then(|| "gave_up".to_string()),
                    due_at: due,
                    host_next_at: now + ms(wait),
                    host_failed: true,
                    ..FetchOutcome::default()
                },
            ));
        }
        out.fetched += 1;
        let recrawl = now + w.list.every_ms;
        let mut outcome = FetchOutcome {
            status: Some(f.status),
            etag: f.header("etag").map(str::to_string),
            last_modified: f.header("last-modified").map(str::to_string),
            due_at: Some(recrawl),
            host_next_at: now + ms(delay),
            ..FetchOutcome::default()
        };
        if f.not_modified() {
            out.not_modified += 1;
            return Ok(Processed::done(out, outcome));
        }
        if !(200..300).contains(&f.status) {
            // Gone or refused: recorded, looked at again after the interval.
            return Ok(Processed::done(out, outcome));
        }
        let digest = sha256_hex(&f.body);
        outcome.content_sha256 = Some(digest.clone());
        // What to read, each with the URL a report would name; the page's images.
        let mut images = Vec::new();
        let (texts, links, follow): (Vec<(Url, String)>, Vec<Url>, bool) = match f.kind {
            Some(ContentKind::Html) => {
                let page = html::read(&f.body, &f.url, html::Limits::default());
                let text = match &page.title {
                    Some(t) if !page.text.starts_with(t.as_str()) => format!("{t}\n{}", page.text),
                    _ => page.text.clone(),
                };
                images = page.images;
                let mut links = page.links;
                links.extend(page.feeds);
                (
                    vec![(f.url.clone(), text)],
                    links,
                    !page.nofollow || w.list.ignore_robots,
                )
            }
            Some(ContentKind::Feed) => {
                let doc = xml::read(&f.body, &f.url);
                // An entry whose page the crawl will read is reported from that page; one
                // without (no link, or out of reach) is reported from the feed.
                let reachable = |l: &Url| watched.in_scope(l) && c.depth < w.list.depth;
                let texts = doc
                    .entries
                    .iter()
                    .filter(|e| !e.link.as_ref().is_some_and(reachable))
                    .map(|e| {
                        let body = html::read(e.text.as_bytes(), &f.url, html::Limits::default());
                        let at = e.link.clone().unwrap_or_else(|| f.url.clone());
                        (at, format!("{}\n{}", e.title, body.text))
                    })
                    .collect();
                (texts, doc.urls, true)
            }
            _ => (Vec::new(), Vec::new(), false),
        };
        if c.content_sha256.as_deref() != Some(digest.as_str()) {
            // A page's images: hashed in memory, matched against the banks (a page's own
            // text is reported with them; a bank match alone is enough).
            let looked = if images.is_empty() || self.config.max_images == 0 {
                Looked::default()
            } else {
                let limits = ImageLimits {
                    user_agent: &self.config.user_agent,
                    max_images: self.config.max_images,
                    max_bytes: self.config.max_image_bytes,
                    timeout: self.config.fetch_timeout,
                    min_delay: self.config.politeness.min,
                };
                let looked = look_at_images(
                    self.outbound,
                    self.store,
                    &self.metrics,
                    &limits,
                    &images,
                    &f.url,
                    delay,
                )
                .await?;
                // The host is next asked a delay after the last image, not after the page.
                outcome.host_next_at = self.store.now_ms() + ms(delay);
                looked
            };
            out.images_hashed += looked.hashed;
            out.images_failed += looked.failed;
            out.images_matched += looked.matched;
            // The page as fetched, kept with every finding on it (built once, when needed).
            let mut capture = None;
            for (i, (at, text)) in texts.iter().enumerate() {
                let media = if i == 0 { looked.media.as_slice() } else { &[] };
                let matched = i == 0 && looked.matched > 0;
                let flagged = !text.trim().is_empty() && self.flags(text);
                if !flagged && !matched {
                    continue;
                }
                let cap = capture
                    .get_or_insert_with(|| Capture {
                        watchlist_id: Some(w.id),
                        ..self.capture(&f, now)
                    })
                    .clone();
                if self.report(at, text, media, &digest, cap).await? {
                    out.reported += 1;
                }
            }
        }
        let mut next = Vec::new();
        if follow && c.depth < w.list.depth {
            let mut seen = HashSet::new();
            next = links
                .into_iter()
                .filter_map(|l| canonical(l.as_str(), None).ok())
                .filter(|l| watched.in_scope(l) && seen.insert(l.to_string()))
                .map(|l| NewUrl {
                    host: host_key(&l),
                    url: l.to_string(),
                    depth: c.depth + 1,
                })
                .collect();
        }
        Ok(Processed {
            stats: out,
            outcome,
            links: next,
        })
    }

    /// The store frontier's bookkeeping of one processed URL: its links enqueued, the host's
    /// error budget applied, the outcome recorded.
    async fn settle(&self, c: &Claimed, done: Processed) -> Result<RunStats, PatrolError> {
        let Processed {
            mut stats,
            mut outcome,
            links,
        } = done;
        let now = self.store.now_ms();
        if !links.is_empty() {
            stats.enqueued += self.store.enqueue_urls(c.watchlist_id, links, now).await?;
        }
        if outcome.host_failed {
            let host = c.host.clone();
            let failures = read(self.store, move |s| s.host_failures(&host)).await?;
            self.spend_budget(&mut outcome, failures, now);
        }
        self.finish(c, outcome).await?;
        Ok(stats)
    }

    /// Whether detection's reading of `text` is a finding: not clear, and scoring at least
    /// `report_min_score`.
    pub(crate) fn flags(&self, text: &str) -> bool {
        let d = self.detector.detect(text);
        d.verdict != "clear" && d.score >= self.config.report_min_score
    }

    /// The WARC capture of an answer read at `at` (see `ronda_core::warc`).
    pub(crate) fn capture(&self, f: &Fetched, at: i64) -> Capture {
        let redirects: Vec<String> = f.redirects.iter().map(Url::to_string).collect();
        let warc = warc::capture(
            &warc::Exchange {
                target_uri: f.url.as_str(),
                fetched_at: at,
                ip: f.remote.map(|a| a.ip()),
                http_version: f.version,
                request_headers: &f.request_headers,
                status: f.status,
                reason: f.reason,
                response_headers: &f.headers,
                body: &f.body,
                redirects: &redirects,
            },
            &warc::Writer {
                software: concat!("Ronda/", env!("CARGO_PKG_VERSION")),
                operator: &self.config.user_agent,
            },
        );
        Capture::new(warc, f.url.to_string(), at)
    }

    /// Reports `text` found at `url` (flagged by detection), with the capture of the page;
    /// whether it made a new report.
    async fn report(
        &self,
        url: &Url,
        text: &str,
        media: &[MediaInput],
        digest: &str,
        capture: Capture,
    ) -> Result<bool, PatrolError> {
        let body: String = text
            .trim()
            .chars()
            .take(ronda_core::report::MAX_TEXT_CHARS)
            .collect();
        let input = ReportInput {
            source: Some(Source::Patrol),
            platform: Some("web".into()),
            target: Some(TargetInput {
                account: None,
                url: Some(url.to_string()),
            }),
            text: (!body.is_empty()).then_some(body),
            media: (!media.is_empty()).then(|| media.to_vec()),
            ..ReportInput::default()
        };
        self.submit(input, format!("patrol:{url}:{digest}"), Some(capture))
            .await
    }

    /// Submits a finding through the one intake under this crawler's name; whether it made a
    /// new report (not a replay of `key`, not refused).
    pub(crate) async fn submit(
        &self,
        input: ReportInput,
        key: String,
        capture: Option<Capture>,
    ) -> Result<bool, PatrolError> {
        let who = Submitter::Operator {
            actor: self.config.worker.clone(),
        };
        let intake = Intake {
            store: self.store,
            detector: self.detector,
        };
        match intake
            .submit_captured(input, &who, Some(key), capture)
            .await?
        {
            Ok(a) => Ok(!a.replayed),
            Err(Refusal::Invalid(_) | Refusal::OutOfScope { .. }) => Ok(false),
        }
    }

    /// A host that just failed (with `failures` failures before) waits as `outcome` says, or —
    /// when this failure spends its error budget — the longest back-off (its URLs stay queued;
    /// the rest of the crawl goes on).
    pub(crate) fn spend_budget(&self, outcome: &mut FetchOutcome, failures: i64, now: i64) {
        let p = &self.config.politeness;
        if p.paused(u32::try_from(failures + 1).unwrap_or(u32::MAX)) {
            outcome.host_next_at = outcome.host_next_at.max(now + ms(p.backoff_max));
        }
    }

    async fn finish(&self, c: &Claimed, outcome: FetchOutcome) -> Result<(), PatrolError> {
        match self
            .store
            .finish_fetch(self.config.worker.clone(), c.id, outcome)
            .await
        {
            // The lease ran out and the URL went to another crawler: its result stands.
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn failed_for_good(now: i64, code: &str) -> FetchOutcome {
    FetchOutcome {
        error: Some(code.to_string()),
        due_at: None,
        host_next_at: now,
        ..FetchOutcome::default()
    }
}
