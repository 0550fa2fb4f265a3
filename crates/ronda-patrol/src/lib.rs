//! The patrol crawler. Reading what was fetched — HTML pages ([`html`]), sitemaps and feeds
//! ([`xml`]) — as pure functions of the bytes and the URL they came from; the crawl over the
//! watch lists with the frontier in the store ([`crawl`]) or on NATS JetStream ([`jet`]); a
//! page's images hashed in memory and matched against the banks ([`images`]); removals a
//! platform claimed re-checked ([`recheck`]); Prometheus counters ([`metrics`]). Findings go through the one intake with the
//! page's WARC capture (`ronda_core::warc`). Built on `ronda_core::crawl`'s rules and
//! `ronda_outbound`'s fetch.

pub mod crawl;
pub mod html;
pub mod images;
pub mod jet;
pub mod metrics;
pub mod recheck;
pub mod stats;
pub mod xml;
