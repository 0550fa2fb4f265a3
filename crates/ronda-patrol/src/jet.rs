//! The crawl over watch lists, scale-out mode: the frontier lives on NATS JetStream, so
//! crawler processes on many machines share one crawl while findings still go through the one
//! [`Intake`](ronda_service::intake::Intake) into the store. Reading and reporting are the
//! embedded mode's ([`Patrol::process`]); only the bookkeeping differs.
//!
//! # What lives where
//! - `<prefix>_FRONTIER`: a work-queue stream of fetch jobs `{watch list, url, host, depth,
//!   round}`, consumed by one durable pull consumer `<prefix>_CRAWLERS` that every crawler
//!   shares (explicit acks, `ack_wait` = `[patrol] nats_ack_wait_secs`, `max_deliver` bounded).
//!   A job is published with `Nats-Msg-Id: <round>.<url key>`, so two crawlers that found one
//!   link at the same moment, or one that retried a publish, put it in once.
//! - `<prefix>_URLS`: a key-value bucket, one entry per watch list and URL (key: 128 bits of
//!   SHA-256 of both) — the seen-set and the recrawl state: the last round that queued it and
//!   the last that fetched it, `ETag`/`Last-Modified`, the content's SHA-256, the last status.
//! - `<prefix>_HOSTS`: a key-value bucket, one entry per host (`host:port`) — politeness shared
//!   by every crawler: `busy_until` (a lease: the crawler fetching from it now), `next_at`
//!   (when the next request may start), `failures` (the error budget).
//!
//! # A round
//! A due watch list's seeds are published with the round's identity, the watch list's
//! scheduled `next_run_at` — the same number for every crawler that sees it due, so racing
//! crawlers publish the same message ids — and only then the store moves the watch list on
//! ([`Store::advance_watchlist_round`], one winner). Links found in the round carry it.
//!
//! # A job
//! 1. Its URL entry already says *fetched in this round or a later one* → acknowledged and
//!    dropped (a duplicate queued beyond the dedup window, or redelivered after a crawler was
//!    killed between its bookkeeping and its ack).
//! 2. It waits in this crawler, unacknowledged (kept alive with `+WPI` progress acks, as it
//!    is while it is fetched), until
//!    the host's entry can be leased: compare-and-set on the entry's revision, so of all
//!    crawlers exactly one holds a host at a time, and only after `next_at`. A host that waits
//!    longer than a minute (backing off) gets its jobs back to the stream with a delayed NAK.
//! 3. Fetched and read as in the embedded mode. Then, in this order: the URL entry is updated
//!    (compare-and-set loop), links are published, the host is released with its next delay
//!    (or its back-off), and the job is acknowledged (double ack: confirmed by the server). A
//!    retry after a transient failure is a NAK with the back-off as delay.
//!
//! # Crashes
//! A crawler killed at any point loses nothing: its unacknowledged jobs return to the stream
//! after `ack_wait`, its host leases expire after twice the fetch time-out (plus 5 s). A URL is
//! fetched twice within a round only when the crawler died after the fetch and before step 3's
//! first write — at most the jobs it had in flight at that moment; the report it may have made
//! is not made twice (the intake's idempotency key names the content's digest).
//!
//! Clocks: `next_at` and `busy_until` are wall-clock milliseconds, so crawlers on several
//! machines need synchronised clocks (NTP); a skew shifts a delay by that much, no more.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind, consumer, kv, stream};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use ronda_store::frontier::{Claimed, FetchOutcome, NewUrl};
use ronda_store::watchlists::WatchListRow;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::crawl::{Patrol, PatrolError, Processed, RunStats, Watched, ms, read};

/// Where the shared frontier lives.
#[derive(Debug, Clone)]
pub struct JetConfig {
    /// `nats://127.0.0.1:4222`.
    pub url: String,
    /// Names the stream, the consumer and the buckets; crawlers with one prefix share a crawl.
    pub prefix: String,
    /// How long a job may be held without a sign of life before it goes to another crawler.
    pub ack_wait: Duration,
}

/// Deliveries of one job before JetStream gives up on it: the retries after transient
/// failures (at most the patrol's `max_attempts`) and redeliveries after crashes.
const MAX_DELIVER: i64 = 20;
/// A host whose next request is further away than this gives its jobs back to the stream.
const HOLD_HORIZON_MS: i64 = 60_000;

/// A fetch job on the stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    w: i64,
    url: String,
    host: String,
    depth: u32,
    round: i64,
}

/// A URL's entry in `<prefix>_URLS`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UrlState {
    url: String,
    #[serde(default)]
    queued_round: i64,
    #[serde(default)]
    fetched_round: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fetched_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

/// A host's entry in `<prefix>_HOSTS`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct HostState {
    host: String,
    #[serde(default)]
    busy_until: i64,
    #[serde(default)]
    next_at: i64,
    #[serde(default)]
    failures: i64,
}

/// The shared frontier's state, for `ronda patrol status --nats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JetCounts {
    /// Jobs on the stream not yet handed to a crawler.
    pub queued: u64,
    /// Jobs handed out and not yet acknowledged (held for politeness, fetching, or waiting
    /// for a retry).
    pub in_flight: u64,
    /// URLs in the seen-set.
    pub urls: u64,
    pub hosts: u64,
    /// Hosts that failed on their last request.
    pub hosts_failing: u64,
    /// Hosts leased by a crawler now.
    pub hosts_busy: u64,
}

fn nats_err(what: &str, e: impl std::fmt::Display) -> PatrolError {
    PatrolError::Nats(format!("{what}: {e}"))
}

fn url_key(watchlist: i64, url: &str) -> String {
    let d = Sha256::digest(format!("{watchlist} {url}").as_bytes());
    format!("u{}", hex::encode(&d[..16]))
}

fn host_key_kv(host: &str) -> String {
    format!("h{}", hex::encode(host.as_bytes()))
}

/// A job held by this crawler until its host is free.
struct Held {
    job: Job,
    msg: jetstream::Message,
    /// Deliveries so far (1 on the first).
    delivered: i64,
    /// When the last sign of life went to the server.
    alive_at: Instant,
}

/// A host leased by this crawler: the entry's revision after the lease.
struct Lease {
    revision: u64,
    state: HostState,
}

/// The JetStream frontier: the stream, its consumer, the two buckets.
pub struct JetFrontier {
    js: jetstream::Context,
    subject: String,
    consumer: consumer::PullConsumer,
    urls: kv::Store,
    hosts: kv::Store,
    config: JetConfig,
}

impl std::fmt::Debug for JetFrontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetFrontier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl JetFrontier {
    /// Connects and creates the stream, consumer and buckets when they are not there yet.
    pub async fn connect(config: JetConfig) -> Result<JetFrontier, PatrolError> {
        let client = async_nats::ConnectOptions::new()
            .name("ronda-patrol")
            .connect(config.url.as_str())
            .await
            .map_err(|e| nats_err("connecting to NATS", e))?;
        let js = jetstream::new(client);
        let p = &config.prefix;
        let subject = format!("ronda.patrol.{p}.frontier");
        let frontier = js
            .get_or_create_stream(stream::Config {
                name: format!("{p}_FRONTIER"),
                subjects: vec![subject.clone()],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..stream::Config::default()
            })
            .await
            .map_err(|e| nats_err("creating the frontier stream", e))?;
        let consumer = frontier
            .get_or_create_consumer(
                &format!("{p}_CRAWLERS"),
                consumer::pull::Config {
                    durable_name: Some(format!("{p}_CRAWLERS")),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait: config.ack_wait,
                    max_deliver: MAX_DELIVER,
                    ..consumer::pull::Config::default()
                },
            )
            .await
            .map_err(|e| nats_err("creating the crawlers' consumer", e))?;
        let urls = bucket(&js, format!("{p}_URLS")).await?;
        let hosts = bucket(&js, format!("{p}_HOSTS")).await?;
        Ok(JetFrontier {
            js,
            subject,
            consumer,
            urls,
            hosts,
            config,
        })
    }

    /// Removes the stream and the buckets (tests, and an operator starting over).
    pub async fn destroy(self) -> Result<(), PatrolError> {
        let p = &self.config.prefix;
        self.js
            .delete_stream(format!("{p}_FRONTIER"))
            .await
            .map_err(|e| nats_err("deleting the stream", e))?;
        for b in [format!("{p}_URLS"), format!("{p}_HOSTS")] {
            self.js
                .delete_key_value(b)
                .await
                .map_err(|e| nats_err("deleting a bucket", e))?;
        }
        Ok(())
    }

    /// Queued and in-flight jobs, URLs and hosts.
    pub async fn counts(&self) -> Result<JetCounts, PatrolError> {
        let info = self
            .consumer
            .get_info()
            .await
            .map_err(|e| nats_err("reading the consumer", e))?;
        let mut c = JetCounts {
            queued: info.num_pending,
            in_flight: u64::try_from(info.num_ack_pending).unwrap_or(u64::MAX),
            ..JetCounts::default()
        };
        // The bucket's own status is the stream info cached when it was opened: ask afresh.
        let mut urls = self
            .js
            .get_stream(format!("KV_{}_URLS", self.config.prefix))
            .await
            .map_err(|e| nats_err("reading the URL bucket", e))?;
        c.urls = urls
            .info()
            .await
            .map_err(|e| nats_err("reading the URL bucket", e))?
            .state
            .messages;
        let now = now_ms();
        let mut keys = self
            .hosts
            .keys()
            .await
            .map_err(|e| nats_err("reading the host bucket", e))?;
        while let Some(k) = keys.next().await {
            let Ok(k) = k else { continue };
            c.hosts += 1;
            if let Ok(Some(v)) = self.hosts.get(k).await
                && let Ok(h) = serde_json::from_slice::<HostState>(&v)
            {
                c.hosts_failing += u64::from(h.failures > 0);
                c.hosts_busy += u64::from(h.busy_until > now);
            }
        }
        Ok(c)
    }

    async fn url_state(&self, key: &str) -> Result<Option<(UrlState, u64)>, PatrolError> {
        let e = self
            .urls
            .entry(key)
            .await
            .map_err(|e| nats_err("reading a URL", e))?;
        Ok(e.filter(|e| e.operation == kv::Operation::Put)
            .and_then(|e| Some((serde_json::from_slice(&e.value).ok()?, e.revision))))
    }

    /// Changes a URL's entry with compare-and-set, trying again when another crawler wrote
    /// first; `f` says whether there is anything to write.
    async fn modify_url(
        &self,
        key: &str,
        url: &str,
        f: impl FnMut(&mut UrlState) -> bool,
    ) -> Result<(), PatrolError> {
        let current = self.url_state(key).await?;
        self.modify_url_from(key, url, current, f).await
    }

    /// [`JetFrontier::modify_url`] from an entry just read (its state and revision): one
    /// round trip fewer when nobody wrote in between.
    async fn modify_url_from(
        &self,
        key: &str,
        url: &str,
        mut current: Option<(UrlState, u64)>,
        mut f: impl FnMut(&mut UrlState) -> bool,
    ) -> Result<(), PatrolError> {
        for attempt in 0..16 {
            if attempt > 0 {
                current = self.url_state(key).await?;
            }
            let (mut st, rev) = current.take().map_or_else(
                || {
                    (
                        UrlState {
                            url: url.to_string(),
                            ..UrlState::default()
                        },
                        None,
                    )
                },
                |(s, r)| (s, Some(r)),
            );
            if !f(&mut st) {
                return Ok(());
            }
            if compare_and_set(&self.urls, key, &st, rev, "writing a URL")
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(PatrolError::Nats(format!(
            "the entry of {url} kept changing under this crawler"
        )))
    }

    /// Queues `u` for `round` of watch list `w` unless that round (or a later one) already
    /// queued it; whether this call did.
    async fn enqueue(&self, w: i64, u: &NewUrl, round: i64) -> Result<bool, PatrolError> {
        let key = url_key(w, &u.url);
        let current = self.url_state(&key).await?;
        if current
            .as_ref()
            .is_some_and(|(s, _)| s.queued_round >= round)
        {
            return Ok(false);
        }
        let job = Job {
            w,
            url: u.url.clone(),
            host: u.host.clone(),
            depth: u.depth,
            round,
        };
        let body = serde_json::to_vec(&job).map_err(|e| nats_err("encoding a job", e))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_MESSAGE_ID,
            format!("{round}.{key}").as_str(),
        );
        let ack = self
            .js
            .publish_with_headers(self.subject.clone(), headers, body.into())
            .await
            .map_err(|e| nats_err("queueing a URL", e))?
            .await
            .map_err(|e| nats_err("queueing a URL", e))?;
        // Published first, marked after: a crawler that dies in between leaves a job that
        // step 1 of its processing recognises, never a URL marked queued that is not.
        self.modify_url_from(&key, &u.url, current, |s| {
            if s.queued_round >= round {
                return false;
            }
            s.queued_round = round;
            true
        })
        .await?;
        Ok(!ack.duplicate)
    }

    /// Queues many URLs of watch list `w` for `round`, `concurrency` at a time (each is a few
    /// round trips to the server); how many this call queued.
    pub async fn enqueue_urls(
        &self,
        w: i64,
        urls: &[NewUrl],
        round: i64,
        concurrency: usize,
    ) -> Result<u64, PatrolError> {
        let mut queued = 0;
        let mut results = futures::stream::iter(urls.iter().map(|u| self.enqueue(w, u, round)))
            .buffer_unordered(concurrency.max(1));
        while let Some(r) = results.next().await {
            queued += u64::from(r?);
        }
        Ok(queued)
    }

    /// Leases `host` for this crawler, or says when to ask again.
    async fn lease_host(
        &self,
        host: &str,
        hold_ms: i64,
    ) -> Result<Result<Lease, i64>, PatrolError> {
        let key = host_key_kv(host);
        let now = now_ms();
        let entry = self
            .hosts
            .entry(key.as_str())
            .await
            .map_err(|e| nats_err("reading a host", e))?
            .filter(|e| e.operation == kv::Operation::Put);
        let (mut st, rev) = match &entry {
            Some(e) => (
                serde_json::from_slice::<HostState>(&e.value).unwrap_or_default(),
                Some(e.revision),
            ),
            None => (HostState::default(), None),
        };
        let free_at = st.busy_until.max(st.next_at);
        if free_at > now {
            return Ok(Err(free_at));
        }
        st.host = host.to_string();
        st.busy_until = now + hold_ms;
        let written = compare_and_set(&self.hosts, &key, &st, rev, "leasing a host").await?;
        Ok(match written {
            Some(revision) => Ok(Lease {
                revision,
                state: st,
            }),
            // Another crawler took it a moment ago.
            None => Err(now + 5),
        })
    }

    /// Gives a leased host back with its next start and failure count. A lease that ran out
    /// and went to another crawler is left alone.
    async fn release_host(
        &self,
        lease: Lease,
        next_at: i64,
        failed: bool,
    ) -> Result<(), PatrolError> {
        let mut st = lease.state;
        st.busy_until = 0;
        st.next_at = next_at;
        st.failures = if failed { st.failures + 1 } else { 0 };
        let key = host_key_kv(&st.host);
        compare_and_set(
            &self.hosts,
            &key,
            &st,
            Some(lease.revision),
            "releasing a host",
        )
        .await?;
        Ok(())
    }
}

/// Writes `value` at `key` if the entry is still at `revision` (`None`: if there is no entry
/// yet); the new revision, or `None` when another crawler wrote first.
async fn compare_and_set(
    bucket: &kv::Store,
    key: &str,
    value: &impl Serialize,
    revision: Option<u64>,
    what: &str,
) -> Result<Option<u64>, PatrolError> {
    let body = serde_json::to_vec(value).map_err(|e| nats_err(what, e))?;
    match revision {
        None => match bucket.create(key, body.into()).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(nats_err(what, e)),
        },
        Some(r) => match bucket.update(key, body.into(), r).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(e) => Err(nats_err(what, e)),
        },
    }
}

/// Opens key-value bucket `name`, creating it first when it is not there. Created as the
/// key-value convention has it (stream `KV_<name>` on `$KV.<name>.>`, one value per key,
/// roll-ups, direct gets) with `create_stream`: the client's own `create_key_value` asks the
/// account's limits in a form that servers before 2.10 (Debian's 2.9) do not answer.
async fn bucket(js: &jetstream::Context, name: String) -> Result<kv::Store, PatrolError> {
    if let Ok(s) = js.get_key_value(name.as_str()).await {
        return Ok(s);
    }
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..stream::Config::default()
    })
    .await
    .map_err(|e| nats_err("creating a key-value bucket", e))?;
    js.get_key_value(name.as_str())
        .await
        .map_err(|e| nats_err("opening a key-value bucket", e))
}

/// The wall clock: host delays are shared by crawlers on several machines.
fn now_ms() -> i64 {
    use ronda_core::clock::Clock;
    ronda_core::clock::SystemClock.now_ms()
}

/// Whether the embedded mode would try this URL again soon (a transient failure).
fn is_retry(o: &FetchOutcome) -> bool {
    o.host_failed && o.due_at.is_some()
}

/// What the loop waits for.
enum Event {
    Pulled(Result<Vec<jetstream::Message>, PatrolError>),
    Done(Box<(Held, Lease, Result<Processed, PatrolError>)>),
    Tick,
}

type Pull<'f> =
    Pin<Box<dyn Future<Output = Result<Vec<jetstream::Message>, PatrolError>> + Send + 'f>>;

impl Patrol<'_> {
    /// Starts a round of every due watch list on the shared frontier; how many this crawler
    /// started (see the module docs: one crawler wins each round, all may publish its seeds).
    pub async fn start_due_rounds_on(&self, jet: &JetFrontier) -> Result<usize, PatrolError> {
        let due: Vec<WatchListRow> = read(self.store, |s| s.due_watchlists()).await?;
        let mut started = 0;
        for w in &due {
            let round = w.next_run_at;
            for s in &w.list.start_urls() {
                let Ok(u) = Url::parse(s) else { continue };
                let seed = NewUrl {
                    host: ronda_core::crawl::url::host_key(&u),
                    url: u.to_string(),
                    depth: 0,
                };
                jet.enqueue(w.id, &seed, round).await?;
            }
            if self.store.advance_watchlist_round(w.id, round).await? {
                started += 1;
            }
        }
        Ok(started)
    }

    /// Crawls the shared frontier. With `once`, returns when the frontier is empty (nothing
    /// queued, nothing held by any crawler — or nothing moved for a minute and more than twice
    /// `ack_wait`, when what is left belongs to hosts backing off); otherwise runs until
    /// `stop` resolves, starting due rounds as they come.
    pub async fn run_on(
        &self,
        jet: &JetFrontier,
        once: bool,
        stop: impl Future<Output = ()>,
    ) -> Result<RunStats, PatrolError> {
        self.clear_robots();
        let mut total = self.rechecks().await?;
        self.start_due_rounds_on(jet).await?;
        let mut lists: HashMap<i64, Arc<Watched>> = HashMap::new();
        let mut waiting: HashMap<String, VecDeque<Held>> = HashMap::new();
        // When each waiting host may be asked again.
        let mut retry_at: HashMap<String, i64> = HashMap::new();
        // Hosts this crawler is fetching from now, with the job's message (to keep it alive).
        let mut busy: HashMap<String, (jetstream::Message, Instant)> = HashMap::new();
        let mut inflight = FuturesUnordered::new();
        let mut pull: Option<Pull<'_>> = None;
        let cap = self.config.concurrency * 8;
        let hold_ms = 2 * ms(self.config.fetch_timeout) + 5_000;
        let idle_horizon = Duration::from_millis(u64::try_from(HOLD_HORIZON_MS).unwrap_or(60_000))
            .max(2 * jet.config.ack_wait);
        let mut last_change = (Instant::now(), (0u64, 0usize, 0u64, 0u64));
        let mut last_round_check = Instant::now();
        tokio::pin!(stop);
        loop {
            let held: usize = waiting.values().map(VecDeque::len).sum::<usize>() + inflight.len();
            if pull.is_none() && held < cap {
                let n = cap - held;
                let wait = if inflight.is_empty() && held == 0 {
                    500
                } else {
                    100
                };
                let consumer = jet.consumer.clone();
                pull = Some(Box::pin(async move {
                    let mut batch = consumer
                        .batch()
                        .max_messages(n)
                        .expires(Duration::from_millis(wait))
                        .messages()
                        .await
                        .map_err(|e| nats_err("pulling jobs", e))?;
                    let mut got = Vec::new();
                    while let Some(m) = batch.next().await {
                        got.push(m.map_err(|e| nats_err("pulling jobs", e))?);
                    }
                    Ok(got)
                }));
            }
            // Start every waiting host that is free.
            let now = now_ms();
            let hosts: Vec<String> = waiting
                .iter()
                .filter(|(h, q)| {
                    !q.is_empty()
                        && !busy.contains_key(*h)
                        && retry_at.get(*h).is_none_or(|t| *t <= now)
                })
                .map(|(h, _)| h.clone())
                .collect();
            for host in hosts {
                if inflight.len() >= self.config.concurrency {
                    break;
                }
                match jet.lease_host(&host, hold_ms).await? {
                    Ok(lease) => {
                        retry_at.remove(&host);
                        let Some(h) = waiting.get_mut(&host).and_then(VecDeque::pop_front) else {
                            jet.release_host(lease, now, false).await?;
                            continue;
                        };
                        let wid = h.job.w;
                        let watched =
                            match lists.get(&wid) {
                                Some(w) => Some(w.clone()),
                                None => read(self.store, move |s| s.get_watchlist(wid)).await?.map(
                                    |w| {
                                        let w = Arc::new(Watched::new(w));
                                        lists.insert(wid, w.clone());
                                        w
                                    },
                                ),
                            };
                        let Some(watched) = watched.filter(|w| w.row.enabled) else {
                            // The watch list is gone or disabled: so is its job.
                            let _ = h.msg.ack_with(AckKind::Term).await;
                            jet.release_host(lease, now, false).await?;
                            continue;
                        };
                        busy.insert(host.clone(), (h.msg.clone(), Instant::now()));
                        inflight.push(async move {
                            let result = self.process_job(jet, &watched, &h).await;
                            Box::new((h, lease, result))
                        });
                    }
                    Err(at) if at - now > HOLD_HORIZON_MS => {
                        // Backing off for long: the jobs go back to the stream until then.
                        if let Some(q) = waiting.remove(&host) {
                            let delay = Duration::from_millis((at - now).unsigned_abs());
                            for h in q {
                                let _ = h.msg.ack_with(AckKind::Nak(Some(delay))).await;
                            }
                        }
                    }
                    Err(at) => {
                        retry_at.insert(host, at);
                    }
                }
            }
            // Keep held jobs alive.
            let keep = jet.config.ack_wait / 3;
            for h in waiting.values_mut().flatten() {
                if h.alive_at.elapsed() >= keep {
                    let _ = h.msg.ack_with(AckKind::Progress).await;
                    h.alive_at = Instant::now();
                }
            }
            // And those being fetched: a slow host must not hand its job to another crawler.
            for (msg, alive_at) in busy.values_mut() {
                if alive_at.elapsed() >= keep {
                    let _ = msg.ack_with(AckKind::Progress).await;
                    *alive_at = Instant::now();
                }
            }
            let now = now_ms();
            let next_host = retry_at
                .values()
                .min()
                .map_or(200, |t| (t - now).clamp(2, 200));
            let tick = Duration::from_millis(next_host.unsigned_abs());
            let event = {
                let pulled = async {
                    match pull.as_mut() {
                        Some(p) => p.await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    r = pulled => Event::Pulled(r),
                    Some(d) = inflight.next(), if !inflight.is_empty() => Event::Done(d),
                    () = tokio::time::sleep(tick) => Event::Tick,
                    () = &mut stop => return Ok(total),
                }
            };
            match event {
                Event::Pulled(r) => {
                    pull = None;
                    for msg in r? {
                        let delivered = msg.info().map_or(1, |i| i.delivered);
                        match serde_json::from_slice::<Job>(&msg.payload) {
                            Ok(job) => {
                                waiting
                                    .entry(job.host.clone())
                                    .or_default()
                                    .push_back(Held {
                                        job,
                                        msg,
                                        delivered,
                                        alive_at: Instant::now(),
                                    })
                            }
                            Err(_) => {
                                let _ = msg.ack_with(AckKind::Term).await;
                            }
                        }
                    }
                }
                Event::Done(d) => {
                    let (h, lease, result) = *d;
                    busy.remove(&h.job.host);
                    total += self.settle_job(jet, h, lease, result?).await?;
                }
                Event::Tick => {}
            }
            let idle =
                pull.is_none() && inflight.is_empty() && waiting.values().all(VecDeque::is_empty);
            if !idle {
                continue;
            }
            waiting.retain(|_, q| !q.is_empty());
            if once {
                let info = jet
                    .consumer
                    .get_info()
                    .await
                    .map_err(|e| nats_err("reading the consumer", e))?;
                if info.num_pending == 0 && info.num_ack_pending == 0 {
                    return Ok(total);
                }
                let seen = (
                    info.num_pending,
                    info.num_ack_pending,
                    info.delivered.consumer_sequence,
                    info.ack_floor.consumer_sequence,
                );
                if seen != last_change.1 {
                    last_change = (Instant::now(), seen);
                } else if last_change.0.elapsed() > idle_horizon {
                    return Ok(total);
                }
            } else if last_round_check.elapsed() > Duration::from_secs(5) {
                last_round_check = Instant::now();
                self.clear_robots();
                total += self.rechecks().await?;
                self.start_due_rounds_on(jet).await?;
            }
        }
    }

    /// Steps 1 and 3 of the module docs' job, reading as the embedded mode does.
    async fn process_job(
        &self,
        jet: &JetFrontier,
        w: &Watched,
        h: &Held,
    ) -> Result<Processed, PatrolError> {
        let key = url_key(h.job.w, &h.job.url);
        let state = jet.url_state(&key).await?.map(|(s, _)| s);
        if state
            .as_ref()
            .is_some_and(|s| s.fetched_round >= h.job.round)
        {
            return Ok(Processed::skipped());
        }
        let state = state.unwrap_or_default();
        let c = Claimed {
            id: 0,
            watchlist_id: h.job.w,
            url: h.job.url.clone(),
            host: h.job.host.clone(),
            depth: h.job.depth,
            etag: state.etag,
            last_modified: state.last_modified,
            content_sha256: state.sha256,
            attempts: h.delivered.saturating_sub(1),
        };
        self.process(w, &c).await
    }

    /// Step 3's bookkeeping: the URL's entry, the links, the host, the ack.
    async fn settle_job(
        &self,
        jet: &JetFrontier,
        h: Held,
        lease: Lease,
        done: Processed,
    ) -> Result<RunStats, PatrolError> {
        let Processed {
            mut stats,
            mut outcome,
            links,
        } = done;
        let now = now_ms();
        if stats.skipped > 0 {
            // Nothing was asked of the host: it is free at once.
            jet.release_host(lease, now, false).await?;
            h.msg
                .double_ack()
                .await
                .map_err(|e| nats_err("acknowledging a job", e))?;
            return Ok(stats);
        }
        let retry = is_retry(&outcome);
        let key = url_key(h.job.w, &h.job.url);
        let round = h.job.round;
        jet.modify_url(&key, &h.job.url, |s| {
            if !retry {
                s.fetched_round = s.fetched_round.max(round);
                s.fetched_at = Some(now);
            }
            s.status = outcome.status;
            s.error.clone_from(&outcome.error);
            if outcome.status == Some(304) {
                return true;
            }
            if outcome.etag.is_some() || outcome.last_modified.is_some() || outcome.status.is_some()
            {
                s.etag.clone_from(&outcome.etag);
                s.last_modified.clone_from(&outcome.last_modified);
            }
            if outcome.content_sha256.is_some() {
                s.sha256.clone_from(&outcome.content_sha256);
            }
            true
        })
        .await?;
        // The links are queued concurrently: each is a few round trips to the server.
        let queued =
            futures::future::join_all(links.iter().map(|l| jet.enqueue(h.job.w, l, round))).await;
        for q in queued {
            stats.enqueued += u64::from(q?);
        }
        if outcome.host_failed {
            let failures = lease.state.failures;
            self.spend_budget(&mut outcome, failures, now);
        }
        let failed = outcome.host_failed;
        jet.release_host(lease, outcome.host_next_at, failed)
            .await?;
        if retry {
            let wait = outcome.due_at.map_or(0, |t| (t - now).max(0));
            h.msg
                .ack_with(AckKind::Nak(Some(Duration::from_millis(
                    wait.unsigned_abs(),
                ))))
                .await
                .map_err(|e| nats_err("returning a job", e))?;
        } else {
            h.msg
                .double_ack()
                .await
                .map_err(|e| nats_err("acknowledging a job", e))?;
        }
        Ok(stats)
    }
}
