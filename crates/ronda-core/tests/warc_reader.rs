//! What `ronda_core::warc` writes, read back by an independent WARC reader (the `warc` crate).

use std::net::IpAddr;

use ronda_core::warc::{Exchange, Writer, capture};
use sha2::{Digest, Sha256};
use warc::{RecordType, WarcHeader, WarcReader};

#[test]
fn an_independent_reader_reads_every_record_and_its_digests_hold() {
    let req = vec![("User-Agent".to_string(), "Ronda-Patrol/0.1".to_string())];
    let resp = vec![
        ("content-type".to_string(), "text/html".to_string()),
        ("content-length".to_string(), "13".to_string()),
    ];
    let body = b"<p>open bo</p>";
    let hops = vec!["http://127.0.0.1:9/a".to_string()];
    let warc = capture(
        &Exchange {
            target_uri: "http://127.0.0.1:9/b",
            fetched_at: 1_796_688_000_000,
            ip: Some(IpAddr::from([127, 0, 0, 1])),
            http_version: "HTTP/1.1",
            request_headers: &req,
            status: 200,
            reason: "OK",
            response_headers: &resp,
            body,
            redirects: &hops,
        },
        &Writer {
            software: "Ronda/test",
            operator: "Ronda-Patrol/0.1",
        },
    );
    let records: Vec<_> = WarcReader::new(std::io::Cursor::new(&warc))
        .iter_records()
        .collect::<Result<_, _>>()
        .expect("every record parses");
    let kinds: Vec<RecordType> = records.iter().map(|r| r.warc_type().clone()).collect();
    assert_eq!(
        kinds,
        [
            RecordType::WarcInfo,
            RecordType::Request,
            RecordType::Response,
            RecordType::Metadata
        ]
    );
    for r in &records {
        assert_eq!(r.warc_version(), "1.1");
        let digest = r.header(WarcHeader::BlockDigest).expect("a block digest");
        let b32 = digest.strip_prefix("sha256:").expect("sha256");
        let want = ronda_core::totp::base32_encode(&Sha256::digest(r.body()));
        assert_eq!(b32.trim_end_matches('='), want);
        assert!(b32.len().is_multiple_of(8), "padded base32");
    }
    let response = &records[2];
    assert_eq!(
        response.header(WarcHeader::TargetURI).as_deref(),
        Some("http://127.0.0.1:9/b")
    );
    assert_eq!(
        response.header(WarcHeader::IPAddress).as_deref(),
        Some("127.0.0.1")
    );
    assert!(response.body().ends_with(body));
    // The stated length was 13, the body read is 14 bytes: the original value is kept.
    let text = String::from_utf8_lossy(response.body());
    assert!(
        text.contains("X-Ronda-Original-content-length: 13\r\n"),
        "{text}"
    );
    assert!(text.contains("Content-Length: 14\r\n"), "{text}");
}
