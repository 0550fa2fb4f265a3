//! The capture of one HTTP exchange as a WARC file (WARC/1.1, ISO 28500:2017), the web
//! archiving standard the police's and courts' tools read.
//!
//! One capture is a small, self-contained WARC file of three or four records, in this order:
//!
//! | record | block |
//! |---|---|
//! | `warcinfo` | `application/warc-fields`: the software, the operator, the format |
//! | `request` | `application/http;msgtype=request`: the request line and the headers sent |
//! | `response` | `application/http;msgtype=response`: status line, headers, body |
//! | `metadata` (only after redirects) | `application/warc-fields`: one `via:` line per hop |
//!
//! Every record carries `WARC-Block-Digest`; the response also `WARC-Payload-Digest` (the
//! body alone), both `sha256:` in base32 (RFC 4648, padded), as archiving tools write them.
//! The request and response point at each other with `WARC-Concurrent-To`, the metadata at the
//! response with `WARC-Refers-To`, all at the `warcinfo` with `WARC-Warcinfo-ID`.
//!
//! What is recorded is what the fetcher read: the body **after** transfer and content decoding
//! (the client decompresses within a size cap before anything reads it). So that the recorded
//! HTTP message is self-consistent, `Transfer-Encoding` and `Content-Encoding` headers are not
//! repeated and `Content-Length` states the recorded body's length; the original values are
//! kept as `X-Ronda-Original-<Name>` headers, nothing is silently lost.
//!
//! Decisions:
//! - **Written here, not with the `warc` crate.** That crate (0.4) keeps a record's fields in a
//!   `HashMap`, so the same exchange serialises in a different order each time, writes field
//!   names in lower case and pulls in `uuid` 0.8. Evidence should be byte-for-byte reproducible
//!   from the same exchange: this module writes fields in the standard's order with their
//!   standard names. The crate is used by the tests as an independent reader of what is
//!   written here.
//! - **Record ids are derived, not random**: `urn:uuid:` UUIDv8 (RFC 9562) built from the
//!   SHA-256 of the record's kind, target, date and content, so the same exchange always gives
//!   the same file and the file's SHA-256 identifies the capture.
//! - **No image bytes.** The patrol captures pages, never the images it hashed; a page whose
//!   images matched a child-exploitation bank is therefore stored without them by construction.
//!
//! Pure: no IO, no clock (the fetch time is passed in), no randomness.

use std::fmt::Write as _;
use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::clock::{Millis, to_rfc3339};
use crate::totp::base32_encode;

/// The URL of the WARC 1.1 specification, as `conformsTo` names it.
pub const CONFORMS_TO: &str =
    "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/";

/// One HTTP exchange as the fetcher saw it.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The URL that answered (after redirects).
    pub target_uri: &'a str,
    /// When the answer was read.
    pub fetched_at: Millis,
    /// The address the connection went to (pinned after the safety check).
    pub ip: Option<IpAddr>,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub http_version: &'a str,
    /// The request headers sent, without `Host` (added from the target).
    pub request_headers: &'a [(String, String)],
    pub status: u16,
    /// `OK`, `Not Found`; may be empty.
    pub reason: &'a str,
    /// The response headers as received.
    pub response_headers: &'a [(String, String)],
    /// The body as read (decoded).
    pub body: &'a [u8],
    /// The URLs that redirected to `target_uri`, first asked first.
    pub redirects: &'a [String],
}

/// Who wrote the capture.
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    /// `Ronda/0.1.0`.
    pub software: &'a str,
    /// The `User-Agent` the patrol sent, which names the operator.
    pub operator: &'a str,
}

/// The WARC file of one exchange.
pub fn capture(ex: &Exchange<'_>, by: &Writer<'_>) -> Vec<u8> {
    let date = to_rfc3339(ex.fetched_at);
    let payload = labelled(&Sha256::digest(ex.body));
    let id = |kind: &str| record_id(kind, ex.target_uri, &date, &payload);
    let (info_id, request_id, response_id) = (id("warcinfo"), id("request"), id("response"));

    let mut out = Vec::with_capacity(ex.body.len() + 2048);

    let mut info = String::new();
    field_line(&mut info, "software", by.software);
    field_line(&mut info, "operator", by.operator);
    field_line(&mut info, "format", "WARC File Format 1.1");
    field_line(&mut info, "conformsTo", CONFORMS_TO);
    record(
        &mut out,
        &[
            ("WARC-Type", "warcinfo"),
            ("WARC-Record-ID", &info_id),
            ("WARC-Date", &date),
            ("Content-Type", "application/warc-fields"),
        ],
        info.as_bytes(),
    );

    let ip = ex.ip.map(|a| a.to_string());
    let mut common: Vec<(&str, &str)> = vec![
        ("WARC-Target-URI", ex.target_uri),
        ("WARC-Date", &date),
        ("WARC-Warcinfo-ID", &info_id),
    ];
    if let Some(ip) = &ip {
        common.push(("WARC-IP-Address", ip));
    }

    let request = request_block(ex);
    let mut fields = vec![("WARC-Type", "request"), ("WARC-Record-ID", &request_id)];
    fields.extend(common.iter().copied());
    fields.push(("WARC-Concurrent-To", &response_id));
    fields.push(("Content-Type", "application/http;msgtype=request"));
    record(&mut out, &fields, &request);

    let response = response_block(ex);
    let mut fields = vec![("WARC-Type", "response"), ("WARC-Record-ID", &response_id)];
    fields.extend(common.iter().copied());
    fields.push(("WARC-Concurrent-To", &request_id));
    fields.push(("WARC-Payload-Digest", &payload));
    fields.push(("Content-Type", "application/http;msgtype=response"));
    record(&mut out, &fields, &response);

    if !ex.redirects.is_empty() {
        let mut via = String::new();
        for hop in ex.redirects {
            field_line(&mut via, "via", hop);
        }
        let metadata_id = id("metadata");
        let mut fields = vec![("WARC-Type", "metadata"), ("WARC-Record-ID", &metadata_id)];
        fields.extend(common.iter().copied());
        fields.push(("WARC-Refers-To", &response_id));
        fields.push(("Content-Type", "application/warc-fields"));
        record(&mut out, &fields, via.as_bytes());
    }
    out
}

/// `sha256:` and the base32 of a digest, padded to a multiple of 8 characters.
fn labelled(digest: &[u8]) -> String {
    let mut b32 = base32_encode(digest);
    while !b32.len().is_multiple_of(8) {
        b32.push('=');
    }
    format!("sha256:{b32}")
}

/// A UUIDv8 (RFC 9562) from the SHA-256 of what identifies the record.
fn record_id(kind: &str, target: &str, date: &str, payload: &str) -> String {
    let mut h = Sha256::new();
    for part in ["ronda-warc", kind, target, date, payload] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    let hex = hex_lower(&b);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn hex_lower(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// A header value on one line: CR, LF and other control characters become spaces.
fn one_line(v: &str) -> String {
    v.chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

/// A header name: only token characters (RFC 9110) survive.
fn token(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c))
        .collect()
}

fn field_line(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "{}: {}\r\n", token(name), one_line(value));
}

/// One record: version line, fields, `Content-Length` and `WARC-Block-Digest`, the block, and
/// the two CRLFs that end a record.
fn record(out: &mut Vec<u8>, fields: &[(&str, &str)], block: &[u8]) {
    let mut head = String::from("WARC/1.1\r\n");
    for (name, value) in fields {
        field_line(&mut head, name, value);
    }
    field_line(
        &mut head,
        "WARC-Block-Digest",
        &labelled(&Sha256::digest(block)),
    );
    field_line(&mut head, "Content-Length", &block.len().to_string());
    head.push_str("\r\n");
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(block);
    out.extend_from_slice(b"\r\n\r\n");
}

/// The authority (without user info) and the path and query of the target, as the `Host`
/// header and the request line carry them.
fn origin_form(target: &str) -> (&str, String) {
    let rest = target.split_once("://").map_or(target, |(_, r)| r);
    let rest = rest.split('#').next().unwrap_or(rest);
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    (authority, path)
}

fn request_block(ex: &Exchange<'_>) -> Vec<u8> {
    let (authority, path) = origin_form(ex.target_uri);
    let version = http_version(ex.http_version);
    let mut s = format!("GET {} {version}\r\n", one_line(&path));
    field_line(&mut s, "Host", authority);
    for (k, v) in ex.request_headers {
        if !k.eq_ignore_ascii_case("host") {
            field_line(&mut s, k, v);
        }
    }
    s.push_str("\r\n");
    s.into_bytes()
}

fn http_version(v: &str) -> &str {
    if v.starts_with("HTTP/") {
        v
    } else {
        "HTTP/1.1"
    }
}

/// Headers that describe the bytes on the wire rather than the body recorded.
const WIRE_HEADERS: [&str; 3] = ["transfer-encoding", "content-encoding", "content-length"];

fn response_block(ex: &Exchange<'_>) -> Vec<u8> {
    let mut s = format!(
        "{} {} {}\r\n",
        http_version(ex.http_version),
        ex.status,
        one_line(ex.reason)
    );
    for (k, v) in ex.response_headers {
        if WIRE_HEADERS.iter().any(|w| k.eq_ignore_ascii_case(w)) {
            let declared = k.eq_ignore_ascii_case("content-length")
                && v.trim().parse::<usize>().ok() == Some(ex.body.len());
            if !declared {
                field_line(&mut s, &format!("X-Ronda-Original-{k}"), v);
            }
        } else {
            field_line(&mut s, k, v);
        }
    }
    field_line(&mut s, "Content-Length", &ex.body.len().to_string());
    s.push_str("\r\n");
    let mut block = s.into_bytes();
    block.extend_from_slice(ex.body);
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn sample(body: &[u8], redirects: &[String]) -> Vec<u8> {
        let req = headers(&[("User-Agent", "Ronda-Patrol/0.1 (+https://patrol.example)")]);
        let resp = headers(&[
            ("content-type", "text/html; charset=utf-8"),
            ("transfer-encoding", "chunked"),
            ("etag", "\"v1\""),
        ]);
        let ex = Exchange {
            target_uri: "http://127.0.0.1:8080/page?id=7#top",
            fetched_at: 1_796_688_000_123,
            ip: Some(IpAddr::from([127, 0, 0, 1])),
            http_version: "HTTP/1.1",
            request_headers: &req,
            status: 200,
            reason: "OK",
            response_headers: &resp,
            body,
            redirects,
        };
        capture(
            &ex,
            &Writer {
                software: "Ronda/0.1.0",
                operator: "Ronda-Patrol/0.1 (+https://patrol.example)",
            },
        )
    }

    type Fields = Vec<(String, String)>;

    /// Splits a capture into (fields, block) per record, checking each record's framing.
    fn records(warc: &[u8]) -> Vec<(Fields, Vec<u8>)> {
        let mut out = Vec::new();
        let mut rest = warc;
        while !rest.is_empty() {
            let end = rest
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("a record head ends with an empty line");
            let head = std::str::from_utf8(&rest[..end]).expect("heads are UTF-8");
            let mut lines = head.split("\r\n");
            assert_eq!(lines.next(), Some("WARC/1.1"));
            let fields: Fields = lines
                .map(|l| {
                    let (k, v) = l.split_once(": ").expect("name: value");
                    (k.to_string(), v.to_string())
                })
                .collect();
            let len: usize = fields
                .iter()
                .find(|(k, _)| k == "Content-Length")
                .map(|(_, v)| v.parse().expect("a length"))
                .expect("Content-Length");
            let block = rest[end + 4..end + 4 + len].to_vec();
            assert_eq!(&rest[end + 4 + len..end + 8 + len], b"\r\n\r\n");
            rest = &rest[end + 8 + len..];
            out.push((fields, block));
        }
        out
    }

    fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    #[test]
    fn three_records_with_digests_that_hold() {
        let body = b"<html><body>Open BO 350k</body></html>";
        let warc = sample(body, &[]);
        let recs = records(&warc);
        let kinds: Vec<&str> = recs.iter().map(|(f, _)| field(f, "WARC-Type")).collect();
        assert_eq!(kinds, ["warcinfo", "request", "response"]);
        for (fields, block) in &recs {
            assert_eq!(
                field(fields, "WARC-Block-Digest"),
                labelled(&Sha256::digest(block))
            );
            assert_eq!(field(fields, "WARC-Date"), "2026-12-08T00:00:00.123Z");
        }
        let (resp, block) = &recs[2];
        assert_eq!(
            field(resp, "WARC-Payload-Digest"),
            labelled(&Sha256::digest(body))
        );
        assert_eq!(
            field(resp, "WARC-Target-URI"),
            "http://127.0.0.1:8080/page?id=7#top"
        );
        assert_eq!(field(resp, "WARC-IP-Address"), "127.0.0.1");
        assert_eq!(
            field(resp, "WARC-Concurrent-To"),
            field(&recs[1].0, "WARC-Record-ID")
        );
        assert_eq!(
            field(resp, "WARC-Warcinfo-ID"),
            field(&recs[0].0, "WARC-Record-ID")
        );
        let text = String::from_utf8_lossy(block);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("content-type: text/html; charset=utf-8\r\n"));
        assert!(text.contains("X-Ronda-Original-transfer-encoding: chunked\r\n"));
        assert!(!text.contains("\r\ntransfer-encoding:"));
        assert!(text.contains(&format!("Content-Length: {}\r\n\r\n", body.len())));
        assert!(block.ends_with(body));
        let req = String::from_utf8_lossy(&recs[1].1);
        assert!(
            req.starts_with("GET /page?id=7 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"),
            "{req}"
        );
        assert!(req.ends_with("\r\n\r\n"));
        let info = String::from_utf8_lossy(&recs[0].1);
        assert!(info.contains("operator: Ronda-Patrol/0.1 (+https://patrol.example)\r\n"));
    }

    #[test]
    fn redirects_add_a_metadata_record() {
        let hops = vec!["http://127.0.0.1:8080/old".to_string()];
        let recs = records(&sample(b"x", &hops));
        assert_eq!(recs.len(), 4);
        let (meta, block) = &recs[3];
        assert_eq!(field(meta, "WARC-Type"), "metadata");
        assert_eq!(
            field(meta, "WARC-Refers-To"),
            field(&recs[2].0, "WARC-Record-ID")
        );
        assert_eq!(block, b"via: http://127.0.0.1:8080/old\r\n");
    }

    #[test]
    fn the_same_exchange_gives_the_same_bytes_and_ids_are_uuid_v8() {
        assert_eq!(sample(b"a", &[]), sample(b"a", &[]));
        assert_ne!(sample(b"a", &[]), sample(b"b", &[]));
        let recs = records(&sample(b"a", &[]));
        let ids: Vec<&str> = recs
            .iter()
            .map(|(f, _)| field(f, "WARC-Record-ID"))
            .collect();
        for id in &ids {
            let uuid = id
                .strip_prefix("<urn:uuid:")
                .and_then(|s| s.strip_suffix('>'))
                .expect("urn:uuid");
            assert_eq!(uuid.len(), 36);
            assert_eq!(&uuid[14..15], "8", "version 8: {uuid}");
            assert!("89ab".contains(&uuid[19..20]), "variant: {uuid}");
        }
        assert_eq!(
            ids.iter().collect::<std::collections::HashSet<_>>().len(),
            3
        );
    }

    #[test]
    fn header_injection_cannot_forge_fields_or_records() {
        let req = headers(&[("X-Evil\r\nWARC-Type", "a\r\nWARC-Type: resource")]);
        let resp = headers(&[("content-type", "text/html\r\n\r\nWARC/1.1")]);
        let ex = Exchange {
            target_uri: "http://127.0.0.1:1/\r\nWARC-Type: x",
            fetched_at: 0,
            ip: None,
            http_version: "junk",
            request_headers: &req,
            status: 200,
            reason: "OK\r\n",
            response_headers: &resp,
            body: b"",
            redirects: &[],
        };
        let warc = capture(
            &ex,
            &Writer {
                software: "s",
                operator: "o\r\n",
            },
        );
        let recs = records(&warc);
        assert_eq!(recs.len(), 3);
        for (fields, _) in &recs {
            assert_eq!(fields.iter().filter(|(k, _)| k == "WARC-Type").count(), 1);
        }
        let req = String::from_utf8_lossy(&recs[1].1);
        assert!(
            req.contains("X-EvilWARC-Type: a  WARC-Type: resource\r\n"),
            "{req}"
        );
        assert!(req.starts_with("GET "));
        assert!(String::from_utf8_lossy(&recs[2].1).starts_with("HTTP/1.1 200 OK  \r\n"));
    }
}
