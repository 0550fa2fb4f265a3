//! The store: one writer thread that group-commits write jobs, plus a pool of read connections.
//!
//! Why one writer: SQLite allows one writer at a time anyway, and the audit log is a single hash
//! chain that every write extends. Funnelling writes through one thread that commits whatever is
//! queued as one transaction (group commit) turns thousands of small reports a second into a
//! few dozen commits, on either backend. A failed group is retried job by job, so one bad job
//! never takes others down with it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use ronda_core::audit::{AuditFields, GENESIS_HASH, chain_hash};
use ronda_core::clock::Clock;
use tokio::sync::oneshot;

use crate::db::{Backend, Conn};
use crate::error::{Result, StoreError};
use crate::migrate;
use crate::params;
use crate::postgres::PgConn;
use crate::seal::Sealer;
use crate::sqlite::SqliteConn;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbLocation {
    /// Parses `sqlite://PATH`, `sqlite:PATH` or `postgres://…` / `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DbLocation::Postgres(url.to_string()))
        } else if let Some(p) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if p.is_empty() {
                return Err(StoreError::BadUrl(url.to_string()));
            }
            Ok(DbLocation::Sqlite(PathBuf::from(p)))
        } else {
            Err(StoreError::BadUrl(redact_url(url)))
        }
    }

    /// The embedded default inside a data directory.
    pub fn default_in(data_dir: &Path) -> Self {
        DbLocation::Sqlite(data_dir.join("ronda.db"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbLocation::Sqlite(_) => Backend::Sqlite,
            DbLocation::Postgres(_) => Backend::Postgres,
        }
    }

    /// A printable form with any password removed.
    pub fn display(&self) -> String {
        match self {
            DbLocation::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbLocation::Postgres(u) => redact_url(u),
        }
    }

    fn connect(&self) -> Result<Box<dyn Conn>> {
        Ok(match self {
            DbLocation::Sqlite(p) => Box::new(SqliteConn::open(p)?),
            DbLocation::Postgres(u) => Box::new(PgConn::connect(u)?),
        })
    }
}

/// Hides the password of `scheme://user:password@host/…`.
fn redact_url(url: &str) -> String {
    if let (Some(scheme_end), Some(at)) = (url.find("://"), url.rfind('@')) {
        let userinfo = &url[scheme_end + 3..at];
        if let Some(colon) = userinfo.find(':') {
            return format!(
                "{}{}:***{}",
                &url[..scheme_end + 3],
                &userinfo[..colon],
                &url[at..]
            );
        }
    }
    url.to_string()
}

/// The write transaction a job runs in.
pub struct Tx<'a> {
    conn: &'a mut dyn Conn,
    sealer: &'a WriteContext,
    now: i64,
    audit_head: Option<(i64, String)>,
    platforms: HashMap<String, i64>,
}

impl<'a> Tx<'a> {
    fn new(conn: &'a mut dyn Conn, sealer: &'a WriteContext, now: i64) -> Self {
        Self {
            conn,
            sealer,
            now,
            audit_head: None,
            platforms: HashMap::new(),
        }
    }

    pub fn conn(&mut self) -> &mut dyn Conn {
        self.conn
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Encrypts personal data before it is written.
    pub fn seal(&self, plain: &str) -> String {
        self.sealer.sealer.seal(plain)
    }

    /// The thresholds that decide account links (see [`crate::linking`]).
    pub fn link_config(&self) -> &ronda_link::LinkConfig {
        &self.sealer.link
    }

    /// The configured notice deadlines.
    pub fn deadline_policy(&self) -> &ronda_core::workflow::DeadlinePolicy {
        &self.sealer.deadlines
    }

    /// The connection together with the linking memo of values known to be common.
    pub(crate) fn conn_and_known_common(&mut self) -> (&mut dyn Conn, &crate::memo::KnownCommon) {
        (self.conn, &self.sealer.known_common)
    }

    /// The transaction's timestamp: one clock reading per transaction.
    pub fn now_ms(&self) -> i64 {
        self.now
    }

    /// Looks up a platform id by name, caching within the transaction.
    pub fn platform_id(&mut self, name: &str) -> Result<Option<i64>> {
        if let Some(id) = self.platforms.get(name) {
            return Ok(Some(*id));
        }
        let row = self
            .conn
            .query_opt("SELECT id FROM platforms WHERE name = $1", params![name])?;
        match row {
            Some(r) => {
                let id = r.i64(0)?;
                self.platforms.insert(name.to_string(), id);
                Ok(Some(id))
            }
            None => Ok(None),
        }
    }

    /// Appends an event to the audit hash chain.
    pub fn audit(
        &mut self,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<i64> {
        let (prev_seq, prev_hash) = match self.audit_head.take() {
            Some(h) => h,
            None => {
                let row = self.conn.query_opt(
                    "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
                    params![],
                )?;
                match row {
                    Some(r) => (r.i64(0)?, r.string(1)?),
                    None => (0, GENESIS_HASH.to_string()),
                }
            }
        };
        let seq = prev_seq + 1;
        let fields = AuditFields {
            seq,
            at_ms: self.now,
            actor,
            action,
            target,
            before,
            after,
        };
        let hash = chain_hash(&prev_hash, &fields);
        self.conn.execute(
            "INSERT INTO audit_events (seq, at, actor, action, target, before_json, after_json, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            params![seq, self.now, actor, action, target, before, after, &prev_hash, &hash],
        )?;
        self.audit_head = Some((seq, hash));
        Ok(seq)
    }
}

/// A unit of work for the writer thread. `apply` may run more than once (a failed group is
/// retried job by job), so it must derive everything from the transaction.
trait Job: Send {
    fn weight(&self) -> usize;
    fn apply(&mut self, tx: &mut Tx<'_>) -> Result<()>;
    fn succeed(self: Box<Self>);
    fn fail(self: Box<Self>, e: StoreError);
}

struct FnJob<R, F> {
    f: F,
    weight: usize,
    out: Option<R>,
    reply: oneshot::Sender<Result<R>>,
}

impl<R, F> Job for FnJob<R, F>
where
    R: Send,
    F: FnMut(&mut Tx<'_>) -> Result<R> + Send,
{
    fn weight(&self) -> usize {
        self.weight
    }

    fn apply(&mut self, tx: &mut Tx<'_>) -> Result<()> {
        self.out = Some((self.f)(tx)?);
        Ok(())
    }

    fn succeed(self: Box<Self>) {
        let out = self.out.ok_or(StoreError::Closed);
        // The caller may have gone away (client disconnected); the write stands regardless.
        let _ = self.reply.send(out);
    }

    fn fail(self: Box<Self>, e: StoreError) {
        let _ = self.reply.send(Err(e));
    }
}

/// Most work committed in one transaction (reports in batches count one each).
const MAX_GROUP_WEIGHT: usize = 4096;

/// Tuning and identity of a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub location: DbLocation,
    /// Key for personal data at rest (see [`crate::seal`]).
    pub sealer: Sealer,
    /// Read connections kept open.
    pub max_readers: usize,
    /// Thresholds of account linking at intake.
    pub link: ronda_link::LinkConfig,
    /// Notice deadlines, for writes that make an open notice urgent (a case that turns into a
    /// child-safety case after its notice went out).
    pub deadlines: ronda_core::workflow::DeadlinePolicy,
    /// How long a write waits for the write lock (another instance's transaction, a CLI
    /// command) before it fails as busy ([`crate::StoreError::is_busy`]).
    pub lock_timeout_ms: u64,
}

/// The write-lock wait when nothing else is configured.
pub const DEFAULT_LOCK_TIMEOUT_MS: u64 = 10_000;

/// What every write transaction is given besides its connection.
struct WriteContext {
    sealer: Sealer,
    link: ronda_link::LinkConfig,
    deadlines: ronda_core::workflow::DeadlinePolicy,
    known_common: crate::memo::KnownCommon,
    /// Applied again to a writer connection that replaces a broken one.
    lock_timeout_ms: u64,
}

struct Inner {
    location: DbLocation,
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    sender: Mutex<Option<Sender<Box<dyn Job>>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    checkpointer: Mutex<Option<(Sender<()>, JoinHandle<()>)>>,
    readers: Mutex<Vec<Box<dyn Conn>>>,
    max_readers: usize,
    /// This process's in-memory hash-bank indexes (see [`crate::banks`]).
    matcher: crate::memo::Matcher,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The blocking PostgreSQL client drives its own runtime to close a connection, which
        // panics on an async worker thread; the last handle may well be dropped on one.
        let readers = std::mem::take(
            self.readers
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if self.location.backend() == Backend::Postgres && !readers.is_empty() {
            let _ = std::thread::Builder::new()
                .name("ronda-pg-close".into())
                .spawn(move || drop(readers));
        }
    }
}

/// Handle to the database; cheap to clone and share.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.inner.location.display())
            .finish()
    }
}

/// What runs inside the first write transaction of an open, before the writer takes jobs:
/// the key checks and data passes (`passes.rs`, which calls [`Store::start`]); it returns the
/// names of the passes it applied.
pub(crate) type OnOpen<'f> = &'f dyn Fn(&mut Tx<'_>, &str) -> Result<Vec<&'static str>>;

impl Store {
    /// Connects, migrates the schema, runs `on_open` with the sealing key's fingerprint in one
    /// write transaction and starts the writer thread. [`Store::open`] is this with the key
    /// checks and data passes.
    pub(crate) fn start(
        opts: StoreOptions,
        clock: Arc<dyn Clock>,
        on_open: OnOpen<'_>,
    ) -> Result<Store> {
        if let DbLocation::Sqlite(path) = &opts.location
            && let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = opts.location.connect()?;
        let applied = migrate::migrate(conn.as_mut(), clock.now_ms())?;
        conn.set_lock_timeout(opts.lock_timeout_ms)?;
        if !applied.is_empty() {
            tracing::info!(?applied, db = %opts.location.display(), "schema migrated");
        }
        // SQLite: WAL checkpoints run on their own thread, not inside the writer's commits.
        let wal_full = Arc::new(AtomicBool::new(false));
        let checkpointer = if opts.location.backend() == Backend::Sqlite {
            conn.query("PRAGMA wal_autocheckpoint=0", &[])?;
            let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
            let location = opts.location.clone();
            let full = wal_full.clone();
            let handle = std::thread::Builder::new()
                .name("ronda-checkpoint".into())
                .spawn(move || checkpoint_loop(&location, &stopped, &full, WAL_LIMIT_BYTES))?;
            Some((stop, handle))
        } else {
            None
        };
        let (tx, rx) = crossbeam_channel::unbounded::<Box<dyn Job>>();
        let writer_clock = clock.clone();
        let location = opts.location.clone();
        let lock_timeout_ms = opts.lock_timeout_ms;
        // LSH bands and rows chosen once (the choice integrates error curves).
        let mut link = opts.link.clone();
        link.bands_rows = Some(link.bands_rows());
        let sealer = WriteContext {
            sealer: opts.sealer.clone(),
            link,
            deadlines: opts.deadlines.clone(),
            known_common: crate::memo::KnownCommon::default(),
            lock_timeout_ms,
        };
        // The instance's key must be the database's; then data passes (Rust-computed row
        // changes), before the writer takes any job.
        let sealer_fingerprint = opts.sealer.fingerprint().to_string();
        let passes = {
            conn.begin_write()?;
            let mut tx = Tx::new(conn.as_mut(), &sealer, clock.now_ms());
            let run = on_open(&mut tx, &sealer_fingerprint);
            match run.and_then(|p| conn.commit().map(|()| p)) {
                Ok(p) => p,
                Err(e) => {
                    let _ = conn.rollback();
                    return Err(e);
                }
            }
        };
        if !passes.is_empty() {
            tracing::info!(?passes, db = %opts.location.display(), "data passes applied");
        }
        let handle = std::thread::Builder::new()
            .name("ronda-writer".into())
            .spawn(move || writer_loop(conn, location, rx, writer_clock, &sealer, &wal_full))?;
        Ok(Store {
            inner: Arc::new(Inner {
                location: opts.location,
                sealer: opts.sealer,
                clock,
                sender: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(handle)),
                checkpointer: Mutex::new(checkpointer),
                readers: Mutex::new(Vec::new()),
                max_readers: opts.max_readers.max(1),
                matcher: crate::memo::Matcher::default(),
            }),
        })
    }

    pub fn location(&self) -> &DbLocation {
        &self.inner.location
    }

    pub fn backend(&self) -> Backend {
        self.inner.location.backend()
    }

    /// A key for `purpose`, derived from the instance key ([`crate::seal::Sealer::derived_key`]): the same
    /// on every instance of this database.
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        self.inner.sealer.derived_key(purpose)
    }

    /// Decrypts a value sealed at rest.
    pub fn unseal(&self, sealed: &str) -> Result<String> {
        self.inner.sealer.open(sealed)
    }

    /// This process's hash-bank matcher.
    pub fn matcher(&self) -> &crate::memo::Matcher {
        &self.inner.matcher
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    fn submit<R, F>(&self, weight: usize, f: F) -> oneshot::Receiver<Result<R>>
    where
        R: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<R> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(FnJob {
            f,
            weight,
            out: None,
            reply,
        });
        let guard = self
            .inner
            .sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            Some(s) => {
                if let Err(e) = s.send(job) {
                    e.into_inner().fail(StoreError::Closed);
                }
            }
            None => job.fail(StoreError::Closed),
        }
        rx
    }

    /// Runs `f` in a write transaction and waits for its commit (async callers).
    /// `weight` is how many items the job carries, for sizing groups.
    pub async fn write<R, F>(&self, weight: usize, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<R> + Send + 'static,
    {
        self.submit(weight, f)
            .await
            .map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` in a write transaction and waits for its commit (blocking callers: the CLI).
    pub fn write_blocking<R, F>(&self, weight: usize, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut Tx<'_>) -> Result<R> + Send + 'static,
    {
        self.submit(weight, f)
            .blocking_recv()
            .map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a read connection. Blocking: async callers wrap it in `spawn_blocking`.
    pub fn read<R>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<R>) -> Result<R> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.inner.location.connect()?,
        };
        let out = f(conn.as_mut());
        // A connection that failed may be broken; only healthy ones go back to the pool.
        if out.is_ok() || conn.backend() == Backend::Sqlite {
            let mut pool = self
                .inner
                .readers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if pool.len() < self.inner.max_readers {
                pool.push(conn);
            }
        }
        out
    }

    /// Stops accepting writes, lets the writer finish what is queued, and waits for it.
    pub fn close(&self) {
        self.inner
            .sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let handle = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            let _ = h.join();
        }
        let checkpointer = self
            .inner
            .checkpointer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some((stop, h)) = checkpointer {
            drop(stop);
            let _ = h.join();
        }
    }
}

/// The WAL size past which the writer truncates it between two transactions.
pub(crate) const WAL_LIMIT_BYTES: u64 = 256 << 20;

/// The WAL file of a SQLite database.
fn wal_path(location: &DbLocation) -> Option<std::path::PathBuf> {
    match location {
        DbLocation::Sqlite(p) => {
            let mut os = p.clone().into_os_string();
            os.push("-wal");
            Some(os.into())
        }
        DbLocation::Postgres(_) => None,
    }
}

fn over_limit(wal: &Path, limit: u64) -> bool {
    std::fs::metadata(wal).is_ok_and(|m| m.len() > limit)
}

/// Copies committed WAL frames back into the database file every quarter second, without
/// blocking the writer or readers; on shutdown, truncates the WAL.
///
/// A passive checkpoint never resets the WAL while the writer keeps committing (SQLite starts
/// the file over only when a transaction begins after every frame was copied back), so under
/// sustained writes — a bulk import, a frontier of millions of URLs — the file would grow
/// without bound (tens of gigabytes, seen). When it passes `limit`, `full` asks the writer to
/// truncate it between two transactions ([`truncate_wal_if_full`]): a pause of the time it
/// takes to copy back what the passive checkpoints had not, instead of a full disk.
fn checkpoint_loop(location: &DbLocation, stop: &Receiver<()>, full: &AtomicBool, limit: u64) {
    let wal = wal_path(location);
    let mut conn = match location.connect() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "checkpointer could not connect; WAL will grow until restart");
            return;
        }
    };
    while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
        stop.recv_timeout(std::time::Duration::from_millis(250))
    {
        if let Err(e) = conn.query("PRAGMA wal_checkpoint(PASSIVE)", &[]) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
        if wal.as_deref().is_some_and(|w| over_limit(w, limit)) {
            full.store(true, Ordering::Release);
        }
    }
    if let Err(e) = conn.query("PRAGMA wal_checkpoint(TRUNCATE)", &[]) {
        tracing::warn!(error = %e, "final WAL checkpoint failed");
    }
}

/// On the writer's connection, between transactions: when the checkpointer found the WAL
/// over its limit, copies every frame back and truncates the file (waiting for readers of
/// older snapshots within the busy time-out; a busy answer leaves it for the next group).
fn truncate_wal_if_full(conn: &mut dyn Conn, full: &AtomicBool) {
    if full.swap(false, Ordering::AcqRel) {
        let started = std::time::Instant::now();
        match conn.query("PRAGMA wal_checkpoint(TRUNCATE)", &[]) {
            Ok(rows) => {
                let busy = rows.first().and_then(|r| r.i64(0).ok()) == Some(1);
                tracing::info!(
                    busy,
                    took_ms = started.elapsed().as_millis(),
                    "WAL over its limit: truncated"
                );
            }
            Err(e) => tracing::warn!(error = %e, "truncating the WAL failed"),
        }
    }
}

fn writer_loop(
    mut conn: Box<dyn Conn>,
    location: DbLocation,
    rx: Receiver<Box<dyn Job>>,
    clock: Arc<dyn Clock>,
    sealer: &WriteContext,
    wal_full: &AtomicBool,
) {
    while let Ok(first) = rx.recv() {
        let mut weight = first.weight();
        let mut jobs = vec![first];
        while weight < MAX_GROUP_WEIGHT {
            match rx.try_recv() {
                Ok(j) => {
                    weight += j.weight();
                    jobs.push(j);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        run_group(&mut conn, &location, jobs, clock.as_ref(), sealer);
        truncate_wal_if_full(conn.as_mut(), wal_full);
    }
}

fn run_group(
    conn: &mut Box<dyn Conn>,
    location: &DbLocation,
    mut jobs: Vec<Box<dyn Job>>,
    clock: &dyn Clock,
    sealer: &WriteContext,
) {
    if jobs.len() > 1 {
        match try_transaction(conn.as_mut(), sealer, &mut jobs, clock.now_ms()) {
            Ok(()) => {
                for j in jobs {
                    j.succeed();
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, jobs = jobs.len(), "group failed; retrying jobs one by one");
            }
        }
    }
    for job in jobs {
        let mut one = vec![job];
        let result = try_transaction(conn.as_mut(), sealer, &mut one, clock.now_ms());
        let Some(job) = one.pop() else { continue };
        match result {
            Ok(()) => job.succeed(),
            Err(e) => {
                if !e.is_client_error() {
                    tracing::error!(error = %e, "write transaction failed");
                    reconnect_if_broken(conn, location, sealer.lock_timeout_ms);
                }
                job.fail(e);
            }
        }
    }
}

fn try_transaction(
    conn: &mut dyn Conn,
    sealer: &WriteContext,
    jobs: &mut [Box<dyn Job>],
    now: i64,
) -> Result<()> {
    conn.begin_write()?;
    let applied = {
        let mut tx = Tx::new(conn, sealer, now);
        jobs.iter_mut().try_for_each(|j| j.apply(&mut tx))
    };
    match applied.and_then(|()| conn.commit()) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = conn.rollback();
            Err(e)
        }
    }
}

fn reconnect_if_broken(conn: &mut Box<dyn Conn>, location: &DbLocation, lock_timeout_ms: u64) {
    if conn.is_broken() {
        match location.connect().and_then(|mut c| {
            c.set_lock_timeout(lock_timeout_ms)?;
            Ok(c)
        }) {
            Ok(c) => *conn = c,
            Err(e) => tracing::error!(error = %e, "reconnecting the writer failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wal_over_its_limit_is_truncated_by_the_writer_between_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let location = DbLocation::Sqlite(dir.path().join("w.db"));
        let wal = wal_path(&location).unwrap();
        let mut conn = location.connect().unwrap();
        conn.query("PRAGMA wal_autocheckpoint=0", &[]).unwrap();
        conn.batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        for i in 0..200 {
            conn.begin_write().unwrap();
            let v = format!("{i}:{}", "x".repeat(8_000));
            conn.execute("INSERT INTO t (v) VALUES ($1)", crate::params![&v])
                .unwrap();
            conn.commit().unwrap();
        }
        assert!(over_limit(&wal, 1 << 20), "the WAL grew past 1 MiB");
        let full = AtomicBool::new(false);
        truncate_wal_if_full(conn.as_mut(), &full);
        assert!(over_limit(&wal, 1 << 20), "nothing done unless asked");
        full.store(true, Ordering::Release);
        truncate_wal_if_full(conn.as_mut(), &full);
        assert!(!full.load(Ordering::Acquire));
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "truncated");
        let n = conn.query_one("SELECT COUNT(*) FROM t", &[]).unwrap();
        assert_eq!(n.i64(0).unwrap(), 200, "every row kept");
    }

    #[test]
    fn urls_parse_and_hide_passwords() {
        assert_eq!(
            DbLocation::parse("sqlite:///tmp/x.db").unwrap(),
            DbLocation::Sqlite("/tmp/x.db".into())
        );
        assert!(DbLocation::parse("mysql://x").is_err());
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
    }
}
