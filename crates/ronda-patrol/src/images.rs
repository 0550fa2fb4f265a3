//! The images of a page the patrol read: fetched within limits through the one outbound client,
//! PDQ-hashed in memory, matched against the hash banks. **The bytes never outlive the hashing
//! task**: what leaves this module is each image's PDQ hash, its SHA-256 and whether a bank
//! matched — never the image — so a page whose images matched a child-exploitation bank is
//! kept (in its WARC capture) without them.
//!
//! - Sources: the page's `<img src>`, then `og:image`/`twitter:image` ([`crate::html`]),
//!   de-duplicated, `http`/`https` only, the first `max_images` of them.
//! - Limits: `Content-Type` must be an image (JPEG, PNG, WebP, GIF, BMP), at most
//!   `max_image_bytes` read (after decompression), **one fetch time-out for all the images of
//!   a page together** (so a page and its images take at most twice the time-out, within the
//!   host lease of the JetStream mode), and decoding
//!   within [`DecodeLimits`] of at most [`MAX_PIXELS`] (a small file that claims to be huge is
//!   refused before pixels are allocated). One image at a time per page.
//! - Politeness: images are fetched while the page's host is held by this crawler, one at a
//!   time, each after the host's delay since the last answer (the page's own delay on its
//!   host; the minimum delay on another host, a CDN, which the frontier does not schedule);
//!   the page's host is next asked after the last of them.
//! - Matching: against every enabled bank with the bank's own threshold and minimum quality;
//!   an allow-list match suppresses the others, as everywhere ([`ronda_store::banks`]).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use ronda_core::crawl::url::host_key;
use ronda_core::report::MediaInput;
use ronda_media::DecodeLimits;
use ronda_media::PdqHash;
use ronda_outbound::{ContentKind, FetchRequest};
use url::Url;

use ronda_outbound::Outbound;
use ronda_store::{Store, StoreError};

use crate::metrics::PatrolMetrics;

/// The largest image decoded, in pixels (a decode and its hash hold about 11 bytes a pixel).
pub const MAX_PIXELS: u64 = 24_000_000;

/// What the images of one page gave.
#[derive(Debug, Default)]
pub(crate) struct Looked {
    /// Each hashed image's PDQ and SHA-256, for the report.
    pub(crate) media: Vec<MediaInput>,
    /// Images a bank matched (after the allow-list rule).
    pub(crate) matched: u64,
    pub(crate) hashed: u64,
    /// Images not fetched or not decoded (refused, too large, not an image, broken).
    pub(crate) failed: u64,
}

/// The first `max` distinct `http(s)` sources.
pub(crate) fn sources(images: &[Url], max: usize) -> Vec<Url> {
    let mut seen = HashSet::new();
    images
        .iter()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| seen.insert(u.as_str().to_string()))
        .take(max)
        .cloned()
        .collect()
}

/// What bounds the images of one page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImageLimits<'a> {
    pub(crate) user_agent: &'a str,
    pub(crate) max_images: usize,
    pub(crate) max_bytes: usize,
    /// For all the images of the page together.
    pub(crate) timeout: Duration,
    /// Between two images of a host other than the page's.
    pub(crate) min_delay: Duration,
}

/// Fetches, hashes and matches the images of a page (see the module docs).
///
/// `page` is the page's URL, whose host answered just now and waits `delay` between requests.
pub(crate) async fn look_at_images(
    outbound: &Outbound,
    store: &Store,
    metrics: &PatrolMetrics,
    limits: &ImageLimits<'_>,
    images: &[Url],
    page: &Url,
    delay: Duration,
) -> Result<Looked, StoreError> {
    let mut out = Looked::default();
    let page_host = host_key(page);
    let mut last: HashMap<String, Instant> = HashMap::from([(page_host.clone(), Instant::now())]);
    let deadline = Instant::now() + limits.timeout;
    let mut queries: Vec<(PdqHash, Option<u8>)> = Vec::new();
    let mut req = FetchRequest {
        user_agent: limits.user_agent.to_string(),
        max_bytes: limits.max_bytes,
        timeout: limits.timeout,
        accept: vec![ContentKind::Image],
        ..FetchRequest::default()
    };
    let decode = DecodeLimits {
        max_bytes: limits.max_bytes,
        max_pixels: MAX_PIXELS,
        ..DecodeLimits::default()
    };
    for src in sources(images, limits.max_images) {
        let host = host_key(&src);
        if let Some(at) = last.get(&host) {
            let gap = if host == page_host {
                delay
            } else {
                limits.min_delay
            };
            tokio::time::sleep_until((*at + gap).into()).await;
        }
        req.timeout = deadline.saturating_duration_since(Instant::now());
        if req.timeout.is_zero() {
            out.failed += 1;
            continue;
        }
        let fetched = outbound.fetch(src.as_str(), &req).await;
        last.insert(host, Instant::now());
        let body = match fetched {
            Ok(f) if (200..300).contains(&f.status) => {
                metrics.bytes(f.body.len());
                f.body
            }
            _ => {
                out.failed += 1;
                continue;
            }
        };
        // The bytes move into the hashing task and are dropped there.
        let hashed = tokio::task::spawn_blocking(move || {
            let pdq = ronda_media::pdq_from_bytes(&body, &decode);
            pdq.map(|p| (p, ronda_media::digest::sha256_hex(&body)))
        })
        .await;
        match hashed {
            Ok(Ok((pdq, sha256))) => {
                out.hashed += 1;
                out.media.push(MediaInput {
                    pdq: Some(pdq.hash.to_hex()),
                    sha256: Some(sha256),
                });
                queries.push((pdq.hash, Some(pdq.quality)));
            }
            _ => out.failed += 1,
        }
    }
    if !queries.is_empty() {
        let store = store.clone();
        let results = tokio::task::spawn_blocking(move || store.match_hashes(&queries, None))
            .await
            .map_err(|_| StoreError::Closed)??;
        out.matched = results.iter().filter(|q| !q.matches.is_empty()).count() as u64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_distinct_web_urls_up_to_the_limit() {
        let u = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let images = [
            u("http://127.0.0.1:1/a.jpg"),
            u("data:image/png;base64,AAAA"),
            u("http://127.0.0.1:1/a.jpg"),
            u("https://cdn.example/b.png"),
            u("ftp://127.0.0.1/c.png"),
            u("http://127.0.0.1:1/d.png"),
        ];
        let got: Vec<String> = sources(&images, 2).iter().map(Url::to_string).collect();
        assert_eq!(
            got,
            ["http://127.0.0.1:1/a.jpg", "https://cdn.example/b.png"]
        );
        assert_eq!(sources(&images, 0).len(), 0);
    }
}
