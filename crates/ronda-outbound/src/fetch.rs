//! Reading pages: the GET that the patrol crawler (and the removal re-check) sends, under the
//! same guarantees as every other request of this crate, plus those that reading a stranger's
//! answer needs.
//!
//! What [`Outbound::fetch`] guarantees, on top of the crate's points 1–3:
//! 1. **Every redirect hop is checked** like the first URL (scheme, host, every address, the
//!    port): a page on an allow-listed loopback port that redirects to another loopback port is
//!    refused at that hop, before anything is sent there. At most
//!    [`FetchRequest::max_redirects`] hops; a hop back to a URL already visited is a loop. A
//!    redirect never carries a body (only GETs are sent).
//! 2. **Size is capped while reading**: a `Content-Length` above [`FetchRequest::max_bytes`] is
//!    refused before the body is read, and a body that grows past it is cut off and refused.
//!    Compressed bodies (gzip) are counted after decompression, so a small compressed answer
//!    that inflates without bound stops at the cap too.
//! 3. **Time is capped**: each hop by the client's timeout, the whole fetch (all hops, the body
//!    included) by [`FetchRequest::timeout`].
//! 4. **Only the content the caller accepts**: a 2xx answer whose `Content-Type` is not one of
//!    [`FetchRequest::accept`] (HTML, images, feeds, plain text) is refused without reading its
//!    body. Error statuses are returned with their body (within the cap) so that the caller can
//!    tell "account not found" from an outage; a 304 to a conditional request has no body.
//! 5. **It says who is asking**: the operator's `User-Agent` on every hop.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use url::Url;

use crate::{Outbound, Refused, transport_message};

/// What a fetched body may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    /// `text/html`, `application/xhtml+xml`.
    Html,
    /// `image/jpeg`, `image/png`, `image/webp`, `image/gif`, `image/bmp`.
    Image,
    /// RSS, Atom and sitemaps: `application/rss+xml`, `application/atom+xml`,
    /// `application/xml`, `text/xml`.
    Feed,
    /// `text/plain` (robots.txt, plain sitemaps).
    Text,
}

impl ContentKind {
    /// The kind of a `Content-Type` header value (parameters ignored), if it is one of ours.
    pub fn of(content_type: &str) -> Option<ContentKind> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match essence.as_str() {
            "text/html" | "application/xhtml+xml" => ContentKind::Html,
            "image/jpeg" | "image/jpg" | "image/png" | "image/webp" | "image/gif" | "image/bmp" => {
                ContentKind::Image
            }
            "application/rss+xml" | "application/atom+xml" | "application/xml" | "text/xml" => {
                ContentKind::Feed
            }
            "text/plain" => ContentKind::Text,
            _ => return None,
        })
    }
}

/// One fetch's limits and conditions.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Sent on every hop; names the operator (`Ronda-Patrol/0.1 (+https://…)`).
    pub user_agent: String,
    /// The largest body read, after decompression.
    pub max_bytes: usize,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
    /// The whole fetch, every hop and the body.
    pub timeout: Duration,
    /// The content a 2xx answer may carry.
    pub accept: Vec<ContentKind>,
    /// `If-None-Match`: the `ETag` of the last answer.
    pub etag: Option<String>,
    /// `If-Modified-Since`: the `Last-Modified` of the last answer.
    pub last_modified: Option<String>,
}

impl Default for FetchRequest {
    fn default() -> Self {
        FetchRequest {
            user_agent: concat!("Ronda/", env!("CARGO_PKG_VERSION")).to_string(),
            max_bytes: 2 << 20,
            max_redirects: 5,
            timeout: Duration::from_secs(20),
            accept: vec![ContentKind::Html, ContentKind::Feed, ContentKind::Text],
            etag: None,
            last_modified: None,
        }
    }
}

/// An answer read within the limits.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL that answered (after redirects).
    pub url: Url,
    /// The URLs that redirected, in order (the first is the one asked for).
    pub redirects: Vec<Url>,
    pub status: u16,
    /// The status's reason phrase (`OK`), empty for an unknown code.
    pub reason: &'static str,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: &'static str,
    /// The address the answer came from (the one pinned after the check).
    pub remote: Option<SocketAddr>,
    /// The request headers this client set on the last hop (the connection adds `Host`
    /// and `Accept-Encoding`), for the evidence record.
    pub request_headers: Vec<(String, String)>,
    /// Response headers as received (names lower case), for the evidence record.
    pub headers: Vec<(String, String)>,
    /// The kind of a 2xx body (`None` for other statuses).
    pub kind: Option<ContentKind>,
    pub body: Vec<u8>,
    /// From the first byte sent to the last byte read.
    pub elapsed: Duration,
}

impl Fetched {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A 304 to a conditional request: unchanged since the `etag` / `last_modified` sent.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// Why a fetch gave no answer. Stable codes for logs and metrics: [`FetchError::code`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The first URL or a redirect hop was refused before anything was sent to it.
    #[error("refused at hop {hop}: {refused}")]
    Refused { hop: usize, refused: Refused },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect loop back to {0}")]
    RedirectLoop(Url),
    #[error("a redirect without a usable Location: {0}")]
    BadRedirect(String),
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("content type `{0}` is not accepted")]
    ContentType(String),
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Transport(String),
}

impl FetchError {
    /// A short stable name: `refused`, `redirects`, `redirect_loop`, `bad_redirect`,
    /// `too_large`, `content_type`, `timeout`, `transport`.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::Refused { .. } => "refused",
            FetchError::TooManyRedirects(_) => "redirects",
            FetchError::RedirectLoop(_) => "redirect_loop",
            FetchError::BadRedirect(_) => "bad_redirect",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::ContentType(_) => "content_type",
            FetchError::Timeout => "timeout",
            FetchError::Transport(_) => "transport",
        }
    }
}

impl Outbound {
    /// GETs `url` under the guarantees of this module.
    pub async fn fetch(&self, url: &str, req: &FetchRequest) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(req.timeout, self.fetch_hops(url, req)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    async fn fetch_hops(&self, url: &str, req: &FetchRequest) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let mut redirects: Vec<Url> = Vec::new();
        let mut next = url.to_string();
        for hop in 0..=req.max_redirects {
            let url = self
                .check(&next)
                .await
                .map_err(|refused| FetchError::Refused { hop, refused })?;
            if redirects.contains(&url) {
                return Err(FetchError::RedirectLoop(url));
            }
            let mut get = self
                .client
                .get(url.clone())
                .header(reqwest::header::USER_AGENT, &req.user_agent);
            if hop == 0 {
                if let Some(e) = &req.etag {
                    get = get.header(reqwest::header::IF_NONE_MATCH, e);
                }
                if let Some(m) = &req.last_modified {
                    get = get.header(reqwest::header::IF_MODIFIED_SINCE, m);
                }
            }
            let mut request_headers = vec![("User-Agent".to_string(), req.user_agent.clone())];
            if hop == 0 {
                if let Some(e) = &req.etag {
                    request_headers.push(("If-None-Match".into(), e.clone()));
                }
                if let Some(m) = &req.last_modified {
                    request_headers.push(("If-Modified-Since".into(), m.clone()));
                }
            }
            let mut resp = get.send().await.map_err(|e| request_error(e, hop))?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) && status != 304 {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::BadRedirect(format!("{status} without Location")))?;
                let target = url
                    .join(location)
                    .map_err(|e| FetchError::BadRedirect(format!("{location}: {e}")))?;
                redirects.push(url);
                next = target.to_string();
                continue;
            }
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut kind = None;
            if (200..300).contains(&status) {
                let ct = resp
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                match ContentKind::of(ct) {
                    Some(k) if req.accept.contains(&k) => kind = Some(k),
                    _ => {
                        let shown = if ct.is_empty() { "(none)" } else { ct };
                        return Err(FetchError::ContentType(shown.to_string()));
                    }
                }
            }
            // A compressed body's Content-Length is its compressed size: the cap is applied
            // to what is read, after decompression, below; the header only refuses early.
            if resp
                .content_length()
                .is_some_and(|n| n > req.max_bytes as u64)
            {
                return Err(FetchError::TooLarge {
                    limit: req.max_bytes,
                });
            }
            let mut body = Vec::new();
            if status != 304 {
                while let Some(chunk) = resp.chunk().await.map_err(|e| request_error(e, hop))? {
                    if body.len() + chunk.len() > req.max_bytes {
                        return Err(FetchError::TooLarge {
                            limit: req.max_bytes,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
            }
            let reason = resp.status().canonical_reason().unwrap_or("");
            let version = http_version(resp.version());
            let remote = resp.remote_addr();
            return Ok(Fetched {
                url,
                redirects,
                status,
                reason,
                version,
                remote,
                request_headers,
                headers,
                kind,
                body,
                elapsed: started.elapsed(),
            });
        }
        Err(FetchError::TooManyRedirects(req.max_redirects))
    }
}

fn http_version(v: reqwest::Version) -> &'static str {
    match v {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2.0",
        reqwest::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// A transport error of hop `hop`; a refusal from the resolver comes back wrapped in it.
fn request_error(e: reqwest::Error, hop: usize) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return FetchError::Refused {
                hop,
                refused: r.clone(),
            };
        }
        source = s.source();
    }
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    FetchError::Transport(transport_message(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_kinds() {
        assert_eq!(
            ContentKind::of("text/html; charset=utf-8"),
            Some(ContentKind::Html)
        );
        assert_eq!(ContentKind::of("IMAGE/PNG"), Some(ContentKind::Image));
        assert_eq!(
            ContentKind::of("application/atom+xml"),
            Some(ContentKind::Feed)
        );
        assert_eq!(ContentKind::of("text/plain"), Some(ContentKind::Text));
        assert_eq!(ContentKind::of("application/octet-stream"), None);
        assert_eq!(ContentKind::of("video/mp4"), None);
        assert_eq!(ContentKind::of(""), None);
    }
}
