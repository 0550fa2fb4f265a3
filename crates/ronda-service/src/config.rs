//! Typed configuration, layered: built-in defaults, then a TOML file, then `RONDA_*` environment
//! variables, then command-line flags. Loaded once and passed explicitly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ronda_core::model::Category;
use ronda_core::workflow::DeadlinePolicy;
use ronda_store::DbLocation;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Where the embedded database, the admin token and keys live.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://PATH`; default: SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Largest request body for single requests, in bytes.
    pub max_body_bytes: usize,
    /// Largest request body for batch intake, in bytes.
    pub max_batch_body_bytes: usize,
    /// Most reports in one batch.
    pub max_batch_items: usize,
    /// Largest image accepted by `POST /media/hash`, in bytes (hashed in memory, never stored).
    pub max_upload_bytes: usize,
    /// Public reports (and status look-ups) allowed per client address per minute.
    pub public_per_minute: u32,
    /// Burst allowance on top of the per-minute rate.
    pub public_burst: u32,
    /// Megapixels of images being decoded at once by `POST /media/hash`, all requests together
    /// (a decode and its PDQ hash hold about 11 bytes per pixel at their peak: the pixels, their
    /// RGB copy and the luminance plane): the bound on the memory uploads can take. A request waits for its share up to `decode_wait_ms`, then gets 503.
    pub decode_budget_megapixels: u32,
    /// How long an upload waits for decode budget before a 503 with `Retry-After`.
    pub decode_wait_ms: u64,
    /// `POST /media/hash` decodes a JPEG scaled down by 1/2, 1/4 or 1/8 while its shorter side
    /// stays at least this many pixels (libjpeg's DCT scaling: the full-size image is never
    /// built; the hash stays within a few bits). 0 decodes every JPEG at full size, with hashes
    /// bit-exact with the reference tools'.
    pub jpeg_min_side: u32,
    /// Images one token may hash per minute (`POST /media/hash`; a quarter of it as a burst).
    pub media_hash_per_minute: u32,
    /// Serve `/metrics` without a token (default: admin or supervisor tokens only).
    pub metrics_public: bool,
    /// Take the client's address from `X-Forwarded-For` (only behind a reverse proxy): the
    /// rightmost address that is not one of `trusted_proxies` (each proxy appends the address
    /// it saw, so everything left of the first untrusted hop is the client's own claim).
    pub trust_forwarded_for: bool,
    /// Addresses or CIDR blocks of the reverse proxies in front of Ronda (`10.0.0.0/8`,
    /// `127.0.0.1`), skipped from the right of `X-Forwarded-For`.
    pub trusted_proxies: Vec<String>,
    /// Internal addresses Ronda may send requests to (webhook receivers on premises, tests):
    /// `"127.0.0.1:9000"` (that port) or `"10.0.0.5"` (every port). Everything else internal —
    /// loopback, private, link-local, CGNAT, multicast, IPv4-mapped — is refused (see
    /// `ronda_outbound`).
    pub outbound_allow: Vec<String>,
    /// Whether Ronda may contact addresses on the public internet (default true). `false`: only
    /// the `outbound_allow` addresses, written as addresses (names are not resolved) — for an
    /// instance on a closed network, and for the API fuzzing run of the test script.
    pub outbound_public: bool,
    /// How long a verified API token is trusted before the database is asked again; a revoked
    /// token stops working within this time.
    pub auth_cache_ms: u64,
    /// How long a write waits for the database's write lock (another instance's or a CLI
    /// command's transaction) before the request answers 503 with `Retry-After`.
    pub db_lock_timeout_ms: u64,
    /// A request not answered within this time is answered 503 `timeout` (its work is
    /// dropped; a write already queued may still commit, so clients retry with their
    /// `Idempotency-Key`).
    pub request_timeout_secs: u64,
    /// `/readyz` fails when a no-op write does not commit within this time (a stuck writer,
    /// a write lock held elsewhere).
    pub ready_write_timeout_ms: u64,
    /// How often each instance checks for a detection reload asked on another one.
    pub detection_poll_ms: u64,
    /// Read connections kept open.
    pub read_connections: usize,
    /// Seconds to let in-flight requests finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Key that encrypts reporter identities at rest [default: `<data_dir>/secret.key`, created
    /// on first use]. Every instance sharing one PostgreSQL database needs the same key.
    pub secret_key_file: Option<PathBuf>,
    /// How long an analyst's claim on a case lasts before others may take it, in seconds.
    pub claim_ttl_secs: u64,
    /// The legal bases a decision may cite (TOML: `[[legal_bases]] code = "…" description = "…"`).
    pub legal_bases: Vec<LegalBasis>,
    /// Hours a platform has to comply with an ordinary notice (PM Kominfo 5/2020: 24).
    pub deadline_hours: i64,
    /// Hours for an urgent notice (4).
    pub urgent_deadline_hours: i64,
    /// Categories whose notices are urgent; a case of priority `urgent` always is.
    pub urgent_categories: Vec<Category>,
    /// Hours before warning 1 (after the deadline), warning 2, warning 3 and the
    /// access-blocking recommendation (each after the previous rung).
    pub escalation_step_hours: [i64; 4],
    /// Seconds between passes of the escalation worker inside `ronda serve`.
    pub escalation_interval_secs: u64,
    /// Detection rules (TOML) replacing the built-in ones; reloaded on SIGHUP and
    /// `POST /api/v1/admin/detection/reload`.
    pub detect_rules_file: Option<PathBuf>,
    /// Detection model (`ronda train`) replacing the built-in one; reloaded likewise.
    pub detect_model_file: Option<PathBuf>,
    /// Categories whose confirmation by an analyst waits for a supervisor's approval (the
    /// optional high-impact step; empty = off).
    pub approval_categories: Vec<Category>,
    /// How often the webhook worker looks for due deliveries, in milliseconds.
    pub webhook_interval_ms: u64,
    /// First retry delay of a failed delivery; doubles per attempt up to an hour.
    pub webhook_backoff_ms: i64,
    /// Time allowed for one delivery, in seconds.
    pub webhook_timeout_secs: u64,
    /// Account linking: Jaccard similarity of two accounts' (non-generic) text from which it
    /// counts as a near-duplicate (one weak signal).
    pub link_jaccard: f64,
    /// Account linking: a text shingle, display name or avatar seen in more than this many
    /// accounts is generic and never counts as evidence.
    pub link_generic_max: u32,
    /// Account linking: an identifier held by more than this many accounts is a hub (a hotline,
    /// a support number): it links nothing and is reported.
    pub link_hub_max: u32,
    /// Account linking: avatars within this PDQ distance are near-duplicates.
    pub link_pdq_radius: u32,
    /// Account linking: display-name similarity (0–1) from which names count as similar.
    pub link_name_similarity: f64,
    /// The instance's Ed25519 key that signs evidence bundles [default:
    /// `<data_dir>/signing.key`, created on first start, mode 0600]. `ronda keys show` prints
    /// its public half for those who verify bundles.
    pub signing_key_file: Option<PathBuf>,
    /// How long closed cases keep their content snapshots and reporter contacts
    /// (`[retention]` in TOML; `ronda retention run` applies it). Off by default.
    pub retention: Retention,
    /// The team's console in the browser (`[console]` in TOML): sessions and sign-in.
    pub console: Console,
    /// Mail to reporters and platforms through an SMTP relay (`[mail]` in TOML); off unless
    /// `relay` is set.
    pub mail: Mail,
    /// The patrol crawler (`[patrol]` in TOML).
    pub patrol: Patrol,
}

/// How the patrol crawls: who it says it is, how politely, how much it reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Patrol {
    /// Whether `ronda serve` runs the patrol too (the embedded default). Turn it off where
    /// dedicated `ronda patrol run` processes crawl.
    pub in_serve: bool,
    /// Sent with every request; name the operator and a page about the patrol
    /// (`Ronda-Patrol/0.1 (+https://patroli.example.go.id)`).
    pub user_agent: String,
    /// The least and the most time between two requests to one host, in milliseconds; between
    /// them the delay is four times the host's last response time (a site's `Crawl-delay` is a
    /// floor, capped at a minute).
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    /// URLs fetched at once (never two of one host).
    pub concurrency: usize,
    /// The largest page read, in bytes.
    pub max_page_bytes: usize,
    /// Time allowed for one page, redirects included, in seconds.
    pub fetch_timeout_secs: u64,
    /// With `ronda patrol run --nats`: the prefix of the JetStream stream and key-value buckets
    /// that hold the shared frontier (`<prefix>_FRONTIER`, `<prefix>_URLS`, `<prefix>_HOSTS`);
    /// crawlers with the same prefix share one crawl.
    pub nats_prefix: String,
    /// With `--nats`: seconds a crawler may hold a URL without a sign of life before JetStream
    /// gives it to another crawler (a crawler that was killed loses its URLs after this).
    pub nats_ack_wait_secs: u64,
    /// After the patrol verified a claimed removal, hours until it looks once more (content
    /// back is reported again).
    pub recheck_again_hours: u64,
    /// How each platform says a post or account is gone (`[[patrol.gone]]`); a 404 or 410 is
    /// gone everywhere.
    pub gone: Vec<GoneRule>,
    /// Images of a page fetched, hashed in memory (PDQ) and matched against the hash banks;
    /// 0 turns image matching off. At most 32.
    pub max_images: usize,
    /// The largest image read, in bytes.
    pub max_image_bytes: usize,
    /// A page is reported when detection does not call it clear and its top category scores at
    /// least this (0 to 1; 0: every verdict that is not clear). A hash-bank match always is.
    pub report_min_score: f64,
}

/// How one platform shows that content is gone, for the patrol's re-checks of removals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoneRule {
    /// The platform's name as in the store (`michat`).
    pub platform: String,
    /// Where an account's public profile is, with `{account}` for the handle
    /// (`https://michat.example/u/{account}`); without it, account targets are left to people.
    #[serde(default)]
    pub profile_url: Option<String>,
    /// Phrases on a page that mean gone ("akun tidak ditemukan", "account not found"), matched
    /// without regard to case.
    #[serde(default)]
    pub markers: Vec<String>,
}

impl Default for Patrol {
    fn default() -> Self {
        Patrol {
            in_serve: true,
            user_agent: concat!("Ronda-Patrol/", env!("CARGO_PKG_VERSION")).to_string(),
            min_delay_ms: 500,
            max_delay_ms: 30_000,
            concurrency: 8,
            max_page_bytes: 4 << 20,
            fetch_timeout_secs: 30,
            nats_prefix: "RONDA_PATROL".into(),
            nats_ack_wait_secs: 60,
            recheck_again_hours: 24,
            gone: Vec::new(),
            max_images: 8,
            max_image_bytes: 8 << 20,
            report_min_score: 0.0,
        }
    }
}

/// Settings of the console's sign-in and sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Console {
    /// Mark the session cookie `Secure` (set it when the console is served over HTTPS, as it
    /// should be everywhere but a developer's machine).
    pub secure_cookies: bool,
    /// Minutes without use after which a session ends.
    pub session_idle_minutes: u32,
    /// Hours after which a session ends however much it is used.
    pub session_absolute_hours: u32,
    /// Wrong passwords in a row that lock an account.
    pub lockout_failures: u32,
    /// Minutes a locked account stays locked.
    pub lockout_minutes: u32,
    /// Sign-in attempts allowed per client address per minute (a burst of the same size).
    pub sign_in_per_minute: u32,
    /// Admins must set up a second factor (TOTP) before they can use the console.
    pub require_totp_for_admins: bool,
    /// The public report form (`/lapor`) is refused when it comes back sooner than this after
    /// it was handed out: a person needs longer to fill it, a bot pays the wait.
    pub report_form_min_seconds: u32,
    /// Minutes a handed-out public form stays valid.
    pub report_form_valid_minutes: u32,
    /// The largest screenshot the public form takes, in KiB (hashed in memory, never stored).
    pub report_form_upload_kib: u32,
}

impl Default for Console {
    fn default() -> Self {
        Console {
            secure_cookies: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            lockout_failures: 5,
            lockout_minutes: 15,
            sign_in_per_minute: 10,
            require_totp_for_admins: false,
            report_form_min_seconds: 3,
            report_form_valid_minutes: 120,
            report_form_upload_kib: 5 * 1024,
        }
    }
}

impl Console {
    pub fn session_policy(&self) -> ronda_store::sessions::SessionPolicy {
        ronda_store::sessions::SessionPolicy {
            idle_ms: i64::from(self.session_idle_minutes) * 60_000,
            absolute_ms: i64::from(self.session_absolute_hours) * 3_600_000,
        }
    }

    /// How old a public form must be, and may be, when it comes back.
    pub fn report_form_window(&self) -> ronda_core::form_token::FormWindow {
        ronda_core::form_token::FormWindow {
            min_age_ms: i64::from(self.report_form_min_seconds) * 1000,
            max_age_ms: i64::from(self.report_form_valid_minutes) * 60_000,
        }
    }

    pub fn lockout(&self) -> ronda_store::users::Lockout {
        ronda_store::users::Lockout {
            max_failures: self.lockout_failures,
            lock_ms: i64::from(self.lockout_minutes) * 60_000,
        }
    }
}

/// Mail through the operator's SMTP relay. Reporters who left an e-mail address hear when their
/// report was verified and when it ended; platforms with a notice address hear of each new
/// notice. The relay's addresses pass the outbound checks like any other destination: one on
/// this machine or the office network must be in `outbound_allow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mail {
    /// The relay, `mail.example.go.id:587` or `127.0.0.1:25` (port: the security's default
    /// when left out); absent: no mail is sent.
    pub relay: Option<String>,
    /// `starttls` (the default: STARTTLS, required), `tls` (TLS from the start, port 465) or
    /// `none` (a relay on this machine or a closed network; refused with credentials).
    pub security: String,
    /// The sender, `"Patroli Konten <patroli@example.go.id>"`; required with `relay`.
    pub from: Option<String>,
    /// User name for the relay's `AUTH`, when it needs one.
    pub username: Option<String>,
    /// File holding the relay password (kept out of the configuration itself).
    pub password_file: Option<PathBuf>,
    /// Where the public and portal pages are served (`https://ronda.example.go.id`), for the
    /// links in messages; without it messages give the tracking code and no link.
    pub public_url: Option<String>,
    /// The name Ronda gives itself to the relay [default: the host of `public_url`, else
    /// `localhost`].
    pub hello_name: Option<String>,
    /// How often the mail worker reads new events and sends what is due, in milliseconds.
    pub interval_ms: u64,
    /// Time allowed for handing one message over, in seconds.
    pub timeout_secs: u64,
    /// First retry delay of a message the relay did not take; doubles up to an hour.
    pub backoff_ms: i64,
    /// Attempts after which a message is given up.
    pub max_attempts: u32,
    /// Events older than this are not mailed about (mail switched on after a pause).
    pub stale_hours: u32,
}

impl Default for Mail {
    fn default() -> Self {
        Mail {
            relay: None,
            security: "starttls".into(),
            from: None,
            username: None,
            password_file: None,
            public_url: None,
            hello_name: None,
            interval_ms: 5_000,
            timeout_secs: 30,
            backoff_ms: 60_000,
            max_attempts: 8,
            stale_hours: 72,
        }
    }
}

/// The mail settings checked and ready: what the mail worker needs.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub relay: ronda_outbound::mail::Relay,
    pub from: ronda_outbound::mail::lettre::message::Mailbox,
    /// Without a trailing slash.
    pub public_url: Option<String>,
    pub interval: std::time::Duration,
    pub retry: ronda_store::mail::MailRetry,
    pub stale_ms: i64,
}

impl Mail {
    /// The checked settings, `None` when mail is off. Reads the password file.
    pub fn settings(
        &self,
        policy: &ronda_outbound::Policy,
    ) -> Result<Option<MailSettings>, ConfigError> {
        use ronda_outbound::mail::{Relay, Security};
        let Some(relay) = &self.relay else {
            return Ok(None);
        };
        let bad = |m: String| ConfigError::Invalid(format!("`mail`: {m}"));
        let security = Security::parse(&self.security).ok_or_else(|| {
            bad(format!(
                "`security` is `{}`: one of `starttls`, `tls`, `none`",
                self.security
            ))
        })?;
        let (host, port) =
            Relay::parse_address(relay, security).map_err(|e| bad(format!("`relay`: {e}")))?;
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            policy
                .permits(ip, Some(port))
                .map_err(|e| bad(format!("`relay`: {e}")))?;
        }
        let from = self
            .from
            .as_deref()
            .ok_or_else(|| bad("`from` (the sender's address) is required with `relay`".into()))?
            .parse::<ronda_outbound::mail::lettre::message::Mailbox>()
            .map_err(|e| bad(format!("`from`: {e}")))?;
        let password = match &self.password_file {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|e| bad(format!("`password_file` {}: {e}", p.display())))?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            ),
            None => None,
        };
        let credentials = match (&self.username, password) {
            (Some(u), Some(p)) => Some((u.clone(), p)),
            (None, None) => None,
            _ => return Err(bad("`username` and `password_file` go together".into())),
        };
        if credentials.is_some() && security == Security::None {
            return Err(bad(
                "credentials would cross in clear with `security = \"none\"`".into(),
            ));
        }
        let public_url = match &self.public_url {
            Some(u) => {
                let parsed = url::Url::parse(u).map_err(|e| bad(format!("`public_url`: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(bad("`public_url` is an http(s) address".into()));
                }
                Some(u.trim_end_matches('/').to_string())
            }
            None => None,
        };
        let hello_name = self.hello_name.clone().unwrap_or_else(|| {
            public_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| "localhost".into())
        });
        if self.interval_ms == 0
            || self.timeout_secs == 0
            || self.max_attempts == 0
            || self.backoff_ms <= 0
        {
            return Err(bad(
                "`interval_ms`, `timeout_secs`, `backoff_ms` and `max_attempts` must be positive"
                    .into(),
            ));
        }
        Ok(Some(MailSettings {
            relay: Relay {
                host,
                port,
                security,
                credentials,
                hello_name,
                timeout: std::time::Duration::from_secs(self.timeout_secs),
            },
            from,
            public_url,
            interval: std::time::Duration::from_millis(self.interval_ms),
            retry: ronda_store::mail::MailRetry {
                backoff_ms: self.backoff_ms,
                max_attempts: i64::from(self.max_attempts),
            },
            stale_ms: i64::from(self.stale_hours) * 3_600_000,
        }))
    }
}

/// Retention of closed cases' personal and content data, in days after closing; absent = kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Days a closed case keeps its content snapshots (text, media hashes).
    pub content_days: Option<u32>,
    /// Days a closed case's reports keep the reporter's name and contact.
    pub reporter_contact_days: Option<u32>,
}

impl Retention {
    pub fn policy(self) -> ronda_store::retention::RetentionPolicy {
        ronda_store::retention::RetentionPolicy {
            content_days: self.content_days,
            reporter_contact_days: self.reporter_contact_days,
        }
    }
}

/// A legal basis a decision can cite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub code: String,
    pub description: String,
}

/// The bases commonly cited (see docs/domain.md); replace them in the configuration.
pub fn default_legal_bases() -> Vec<LegalBasis> {
    [
        (
            "uu_ite_27_1",
            "UU ITE Pasal 27 ayat (1): content violating decency",
        ),
        ("uu_ite_27_2", "UU ITE Pasal 27 ayat (2): gambling"),
        ("uu_44_2008", "UU 44/2008 tentang Pornografi"),
        ("uu_21_2007", "UU 21/2007: trafficking in persons"),
        ("uu_35_2014", "UU 35/2014: child protection"),
    ]
    .into_iter()
    .map(|(code, description)| LegalBasis {
        code: code.into(),
        description: description.into(),
    })
    .collect()
}

impl Default for Config {
    fn default() -> Self {
        let defaults = ronda_link::LinkConfig::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("ronda-data"),
            database_url: None,
            max_body_bytes: 1 << 20,
            max_batch_body_bytes: 64 << 20,
            max_batch_items: 10_000,
            max_upload_bytes: 16 << 20,
            public_per_minute: 30,
            public_burst: 10,
            decode_budget_megapixels: 64,
            decode_wait_ms: 5_000,
            jpeg_min_side: 1024,
            media_hash_per_minute: 120,
            metrics_public: false,
            trust_forwarded_for: false,
            trusted_proxies: Vec::new(),
            outbound_allow: Vec::new(),
            outbound_public: true,
            auth_cache_ms: 2_000,
            db_lock_timeout_ms: ronda_store::store::DEFAULT_LOCK_TIMEOUT_MS,
            ready_write_timeout_ms: 3_000,
            request_timeout_secs: 60,
            detection_poll_ms: 2_000,
            read_connections: 8,
            shutdown_grace_secs: 20,
            secret_key_file: None,
            claim_ttl_secs: 900,
            legal_bases: default_legal_bases(),
            deadline_hours: 24,
            urgent_deadline_hours: 4,
            urgent_categories: vec![Category::ChildExploitation],
            escalation_step_hours: [0, 24, 24, 24],
            escalation_interval_secs: 60,
            detect_rules_file: None,
            detect_model_file: None,
            approval_categories: Vec::new(),
            webhook_interval_ms: 1_000,
            webhook_backoff_ms: 1_000,
            webhook_timeout_secs: 10,
            link_jaccard: defaults.jaccard,
            link_generic_max: defaults.generic_max,
            link_hub_max: defaults.hub_max,
            link_pdq_radius: defaults.pdq_radius,
            link_name_similarity: defaults.name_similarity,
            signing_key_file: None,
            retention: Retention::default(),
            console: Console::default(),
            mail: Mail::default(),
            patrol: Patrol::default(),
        }
    }
}

/// Settings given on the command line; they win over every other layer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

/// A configuration that cannot be used; the CLI exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "max_body_bytes",
    "max_batch_body_bytes",
    "max_batch_items",
    "max_upload_bytes",
    "public_per_minute",
    "public_burst",
    "trust_forwarded_for",
    "trusted_proxies",
    "outbound_allow",
    "outbound_public",
    "decode_budget_megapixels",
    "decode_wait_ms",
    "jpeg_min_side",
    "metrics_public",
    "media_hash_per_minute",
    "auth_cache_ms",
    "db_lock_timeout_ms",
    "ready_write_timeout_ms",
    "request_timeout_secs",
    "detection_poll_ms",
    "read_connections",
    "shutdown_grace_secs",
    "secret_key_file",
    "claim_ttl_secs",
    "deadline_hours",
    "urgent_deadline_hours",
    "escalation_interval_secs",
    "detect_rules_file",
    "detect_model_file",
    "webhook_interval_ms",
    "webhook_backoff_ms",
    "webhook_timeout_secs",
    "link_jaccard",
    "link_generic_max",
    "link_hub_max",
    "link_pdq_radius",
    "link_name_similarity",
    "signing_key_file",
];

/// An IP address or a CIDR block (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Option<IpNet> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: std::net::IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let bits = |ip: std::net::IpAddr| -> (u128, u8) {
            match ip {
                std::net::IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                std::net::IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let (net, width) = bits(self.addr);
        let (x, w) = bits(ip);
        if width != w {
            return false;
        }
        let shift = u32::from(width - self.prefix);
        shift >= 128 || (net >> shift) == (x >> shift)
    }
}

/// A configuration error naming each key and where it came from: `` `max_body_bytes` in
/// /etc/ronda.toml: invalid type … `` or `` `RONDA_LISTEN` (environment variable): … ``.
fn describe(err: figment::Error) -> String {
    err.into_iter()
        .map(|e| {
            let file = e.metadata.as_ref().and_then(|m| match &m.source {
                Some(figment::Source::File(p)) => Some(p.display().to_string()),
                _ => None,
            });
            let from_env = e
                .metadata
                .as_ref()
                .is_some_and(|m| m.name.contains("environment"));
            let key = if from_env {
                format!("RONDA_{}", e.path.join("_").to_ascii_uppercase())
            } else {
                e.path.join(".")
            };
            let place = match (file, from_env) {
                (Some(f), _) => format!(" in {f}"),
                (None, true) => " (environment variable)".to_string(),
                (None, false) => String::new(),
            };
            format!("`{key}`{place}: {}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Config {
    /// Loads the layers. `file` must exist when given.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_path_buf()));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        let config: Config = fig
            .merge(Env::prefixed("RONDA_").only(KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| ConfigError::Invalid(describe(e)))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            DbLocation::parse(url).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        if self.max_batch_items == 0 || self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "`max_batch_items` must be positive and `max_body_bytes` at least 1024".into(),
            ));
        }
        if self.legal_bases.is_empty() || self.claim_ttl_secs == 0 {
            return Err(ConfigError::Invalid(
                "`legal_bases` must not be empty and `claim_ttl_secs` must be positive".into(),
            ));
        }
        if self.deadline_hours <= 0
            || self.urgent_deadline_hours <= 0
            || self.escalation_step_hours.iter().any(|h| *h < 0)
            || self.escalation_interval_secs == 0
        {
            return Err(ConfigError::Invalid(
                "`deadline_hours`, `urgent_deadline_hours` and `escalation_interval_secs` must be positive, \
                 `escalation_step_hours` not negative"
                    .into(),
            ));
        }
        self.link_config()
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("link settings: {e}")))?;
        let p = &self.patrol;
        if p.user_agent.trim().is_empty() || p.user_agent.chars().any(char::is_control) {
            return Err(ConfigError::Invalid(
                "`patrol.user_agent` must name the operator, without control characters".into(),
            ));
        }
        if p.min_delay_ms > p.max_delay_ms || p.concurrency == 0 || p.max_page_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "`patrol`: `min_delay_ms` may not exceed `max_delay_ms`, `concurrency` must be positive, \
                 `max_page_bytes` at least 1024"
                    .into(),
            ));
        }
        if !(0.0..=1.0).contains(&p.report_min_score) {
            return Err(ConfigError::Invalid(
                "`patrol.report_min_score` must be between 0 and 1".into(),
            ));
        }
        if p.max_images > ronda_core::report::MAX_MEDIA || p.max_image_bytes < 1024 {
            return Err(ConfigError::Invalid(format!(
                "`patrol`: `max_images` at most {}, `max_image_bytes` at least 1024",
                ronda_core::report::MAX_MEDIA
            )));
        }
        if p.nats_prefix.is_empty()
            || !p
                .nats_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || p.nats_ack_wait_secs == 0
        {
            return Err(ConfigError::Invalid(
                "`patrol`: `nats_prefix` must be letters, digits and `_`; `nats_ack_wait_secs` positive"
                    .into(),
            ));
        }
        for g in &p.gone {
            if let Some(u) = &g.profile_url
                && (!u.contains("{account}")
                    || url::Url::parse(&u.replace("{account}", "x")).is_err())
            {
                return Err(ConfigError::Invalid(format!(
                    "`patrol.gone` of `{}`: `profile_url` must be a URL with `{{account}}` in it",
                    g.platform
                )));
            }
        }
        for p in &self.trusted_proxies {
            if IpNet::parse(p).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "`trusted_proxies`: `{p}` is not an IP address or CIDR block"
                )));
            }
        }
        let policy = self.outbound_policy()?;
        self.mail.settings(&policy)?;
        if self.media_hash_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "`media_hash_per_minute` must be positive".into(),
            ));
        }
        if self.decode_budget_megapixels == 0 {
            return Err(ConfigError::Invalid(
                "`decode_budget_megapixels` must be positive".into(),
            ));
        }
        let c = &self.console;
        if c.session_idle_minutes == 0
            || c.session_absolute_hours == 0
            || c.lockout_failures == 0
            || c.lockout_minutes == 0
            || c.sign_in_per_minute == 0
            || c.report_form_valid_minutes == 0
            || c.report_form_upload_kib == 0
        {
            return Err(ConfigError::Invalid(
                "`console`: the session times, lock-out settings, `sign_in_per_minute`, `report_form_valid_minutes` and `report_form_upload_kib` must be positive".into(),
            ));
        }
        if self.public_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "`public_per_minute` must be positive".into(),
            ));
        }
        Ok(())
    }

    /// The account-linking thresholds (the rest of `ronda_link::LinkConfig` stays default).
    /// What the outbound client may do: the allow-list and the webhook time cap.
    pub fn outbound_policy(&self) -> Result<ronda_outbound::Policy, ConfigError> {
        let allow = self
            .outbound_allow
            .iter()
            .map(|a| {
                a.parse::<ronda_outbound::Allow>()
                    .map_err(|e| ConfigError::Invalid(format!("`outbound_allow`: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let timeout = std::time::Duration::from_secs(self.webhook_timeout_secs.max(1));
        Ok(ronda_outbound::Policy {
            allow,
            public: self.outbound_public,
            timeout,
            connect_timeout: timeout.min(std::time::Duration::from_secs(5)),
        })
    }

    pub fn link_config(&self) -> ronda_link::LinkConfig {
        ronda_link::LinkConfig {
            jaccard: self.link_jaccard,
            generic_max: self.link_generic_max,
            hub_max: self.link_hub_max,
            pdq_radius: self.link_pdq_radius,
            name_similarity: self.link_name_similarity,
            ..ronda_link::LinkConfig::default()
        }
    }

    /// Deadlines and the escalation ladder as the workflow needs them.
    pub fn deadline_policy(&self) -> DeadlinePolicy {
        DeadlinePolicy {
            normal_hours: self.deadline_hours,
            urgent_hours: self.urgent_deadline_hours,
            urgent_categories: self.urgent_categories.clone(),
            step_hours: self.escalation_step_hours,
        }
    }

    /// The file holding the key for personal data at rest.
    pub fn secret_key_path(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// The file holding the Ed25519 key that signs evidence bundles.
    pub fn signing_key_path(&self) -> PathBuf {
        self.signing_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("signing.key"))
    }

    /// Where the data lives: the explicit URL, or SQLite inside the data directory.
    pub fn db_location(&self) -> DbLocation {
        match &self.database_url {
            Some(url) => {
                DbLocation::parse(url).unwrap_or_else(|_| DbLocation::default_in(&self.data_dir))
            }
            None => DbLocation::default_in(&self.data_dir),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ronda.toml");
        std::fs::write(&path, "max_body_bytes = \"lots\"\n").unwrap();
        let e = Config::load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`max_body_bytes`") && e.contains(&path.display().to_string()),
            "{e}"
        );
        std::fs::write(&path, "deadline_hours = 0\n").unwrap();
        let e = Config::load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`deadline_hours`"), "{e}");
        let missing = dir.path().join("nope.toml");
        let e = Config::load(Some(&missing), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.toml"), "{e}");
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ronda.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\npublic_per_minute = 5\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), &Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.public_per_minute, 5);
        let c = Config::load(
            Some(&path),
            &Overrides {
                listen: Some("127.0.0.1:9100".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9100);
    }

    #[test]
    fn mail_is_off_unless_a_relay_is_named_and_a_bad_one_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(None, &Overrides::default()).unwrap();
        assert!(
            c.mail
                .settings(&c.outbound_policy().unwrap())
                .unwrap()
                .is_none()
        );
        let load = |toml: &str| {
            let path = dir.path().join("m.toml");
            std::fs::write(&path, toml).unwrap();
            Config::load(Some(&path), &Overrides::default()).map_err(|e| e.to_string())
        };
        let e = load(
            "[mail]\nrelay = \"127.0.0.1:2525\"\nsecurity = \"none\"\nfrom = \"a@example.org\"\n",
        )
        .unwrap_err();
        assert!(
            e.contains("loopback") && e.contains("outbound_allow"),
            "{e}"
        );
        let e = load("outbound_allow = [\"127.0.0.1:2525\"]\n[mail]\nrelay = \"127.0.0.1:2525\"\n")
            .unwrap_err();
        assert!(e.contains("`from`"), "{e}");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cret\n").unwrap();
        let e = load(&format!(
            "outbound_allow = [\"127.0.0.1:2525\"]\n[mail]\nrelay = \"127.0.0.1:2525\"\nsecurity = \"none\"\n\
             from = \"a@example.org\"\nusername = \"ronda\"\npassword_file = \"{}\"\n",
            pw.display()
        ))
        .unwrap_err();
        assert!(e.contains("in clear"), "{e}");
        let e = load("[mail]\nrelay = \"mail.example.go.id\"\nsecurity = \"ssl\"\nfrom = \"a@example.org\"\n").unwrap_err();
        assert!(e.contains("`security`"), "{e}");
        let c = load(&format!(
            "[mail]\nrelay = \"mail.example.go.id\"\nfrom = \"Patroli <patroli@example.go.id>\"\n\
             username = \"ronda\"\npassword_file = \"{}\"\npublic_url = \"https://ronda.example.go.id/\"\n",
            pw.display()
        ))
        .unwrap();
        let m = c
            .mail
            .settings(&c.outbound_policy().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            (m.relay.host.as_str(), m.relay.port),
            ("mail.example.go.id", 587)
        );
        assert_eq!(m.relay.security, ronda_outbound::mail::Security::StartTls);
        assert_eq!(m.relay.credentials, Some(("ronda".into(), "s3cret".into())));
        assert_eq!(m.relay.hello_name, "ronda.example.go.id");
        assert_eq!(m.public_url.as_deref(), Some("https://ronda.example.go.id"));
    }

    #[test]
    fn retention_is_off_unless_configured() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(c.retention, Retention::default());
        let path = dir.path().join("r.toml");
        std::fs::write(
            &path,
            "[retention]\ncontent_days = 180\nreporter_contact_days = 365\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), &Overrides::default()).unwrap();
        assert_eq!(
            (c.retention.content_days, c.retention.reporter_contact_days),
            (Some(180), Some(365))
        );
        std::fs::write(&path, "[retention]\ncontent_dayz = 1\n").unwrap();
        assert!(Config::load(Some(&path), &Overrides::default()).is_err());
    }

    #[test]
    fn bad_configs_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listn = \"x\"\n").unwrap();
        let e = Config::load(Some(&path), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("listn"), "{e}");
        std::fs::write(&path, "database_url = \"mysql://x\"\n").unwrap();
        assert!(Config::load(Some(&path), &Overrides::default()).is_err());
        assert!(matches!(
            Config::load(Some(&dir.path().join("none.toml")), &Overrides::default()),
            Err(ConfigError::MissingFile(_))
        ));
    }

    #[test]
    fn the_patrols_gone_rules_and_nats_settings_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[patrol]\nnats_prefix = \"PATROL_A\"\n[[patrol.gone]]\nplatform = \"michat\"\n\
             profile_url = \"https://michat.example/u/{account}\"\nmarkers = [\"akun tidak ditemukan\"]\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), &Overrides::default()).unwrap();
        assert_eq!(c.patrol.nats_prefix, "PATROL_A");
        assert_eq!(c.patrol.gone[0].markers, ["akun tidak ditemukan"]);
        assert_eq!(c.patrol.recheck_again_hours, 24);
        assert_eq!(
            (c.patrol.max_images, c.patrol.max_image_bytes),
            (8, 8 << 20)
        );
        for bad in [
            "[[patrol.gone]]\nplatform = \"michat\"\nprofile_url = \"https://michat.example/u/\"\n",
            "[patrol]\nnats_prefix = \"a.b\"\n",
            "[patrol]\nnats_ack_wait_secs = 0\n",
            "[patrol]\nmax_images = 33\n",
            "[patrol]\nmax_image_bytes = 10\n",
            "[patrol]\nreport_min_score = 1.5\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            let e = Config::load(Some(&path), &Overrides::default()).unwrap_err();
            assert!(e.to_string().contains("patrol"), "{bad}: {e}");
        }
    }
}
