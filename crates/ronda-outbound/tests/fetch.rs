//! `Outbound::fetch` against a small site served by the test on 127.0.0.1: pages read, redirects
//! followed and each hop checked (a hop to a loopback port that is not allow-listed is refused
//! and nothing reaches that port), loops and long chains stopped, size capped before and while
//! reading (a gzip bomb included), content types limited, time capped, conditional requests.
//! No test sends anything to an address outside 127.0.0.1.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ronda_outbound::{ContentKind, FetchError, FetchRequest, Outbound, Policy, Refused};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the site received: (path, request head).
type Log = Arc<Mutex<Vec<(String, String)>>>;

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut out = r.into_bytes();
    out.extend_from_slice(body);
    out
}

/// The gzip of `n` zero bytes.
fn gzip_zeros(n: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 16];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        e.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    e.finish().unwrap()
}

/// 16 MiB of zeros, gzipped (about 16 KiB): more than the cap once inflated.
fn bomb() -> Arc<Vec<u8>> {
    static BOMB: std::sync::OnceLock<Arc<Vec<u8>>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| Arc::new(gzip_zeros(16 << 20))).clone()
}

/// The test site on 127.0.0.1; `other` is a loopback port that is never allow-listed.
async fn site(other: u16) -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let seen = log.clone();
    let bomb = bomb();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            let bomb = bomb.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                seen.lock()
                    .unwrap()
                    .push((path.clone(), head.to_ascii_lowercase()));
                let html = [("content-type", "text/html; charset=utf-8")];
                let answer = match path.as_str() {
                    "/page" => response("200 OK", &html, b"<html><body>halo</body></html>"),
                    "/hop1" => response("302 Found", &[("location", "/hop2")], b""),
                    "/hop2" => response("301 Moved", &[("location", "/page")], b""),
                    "/loop-a" => response("302 Found", &[("location", "/loop-b")], b""),
                    "/loop-b" => response("302 Found", &[("location", "/loop-a")], b""),
                    p if p.starts_with("/chain/") => {
                        let k: u32 = p[7..].parse().unwrap_or(0);
                        let to = format!("/chain/{}", k + 1);
                        response("302 Found", &[("location", to.as_str())], b"")
                    }
                    "/away" => {
                        let to = format!("http://127.0.0.1:{other}/secret");
                        response("302 Found", &[("location", to.as_str())], b"")
                    }
                    "/huge-declared" => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
                            100 << 20
                        )
                        .into_bytes();
                        r.extend_from_slice(b"<html>");
                        r
                    }
                    "/huge-chunked" => {
                        // No length: the body just keeps coming until the reader stops.
                        let _ = sock
                            .write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/html\r\n\r\n")
                            .await;
                        let block = vec![b'a'; 65536];
                        for _ in 0..256 {
                            if sock.write_all(&block).await.is_err() {
                                return;
                            }
                        }
                        return;
                    }
                    "/bomb" => response(
                        "200 OK",
                        &[("content-type", "text/html"), ("content-encoding", "gzip")],
                        &bomb,
                    ),
                    "/binary" => response(
                        "200 OK",
                        &[("content-type", "application/octet-stream")],
                        b"\x00\x01",
                    ),
                    "/image" => response("200 OK", &[("content-type", "image/png")], b"\x89PNG"),
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        response("200 OK", &html, b"late")
                    }
                    "/gone" => response("404 Not Found", &html, b"akun tidak ditemukan"),
                    "/cond" => {
                        if head.to_ascii_lowercase().contains("if-none-match: \"v1\"") {
                            response("304 Not Modified", &[("etag", "\"v1\"")], b"")
                        } else {
                            response(
                                "200 OK",
                                &[("content-type", "text/html"), ("etag", "\"v1\"")],
                                b"versi satu",
                            )
                        }
                    }
                    _ => response("404 Not Found", &[], b""),
                };
                let _ = sock.write_all(&answer).await;
            });
        }
    });
    (port, log)
}

/// A listener on another loopback port that records whether anything connected.
async fn other_port() -> (u16, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(Mutex::new(0usize));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            *h.lock().unwrap() += 1;
            let _ = sock
                .write_all(&response(
                    "200 OK",
                    &[("content-type", "text/html")],
                    b"secret",
                ))
                .await;
        }
    });
    (port, hits)
}

fn client(port: u16) -> Outbound {
    Outbound::new(Policy {
        allow: vec![format!("127.0.0.1:{port}").parse().unwrap()],
        timeout: Duration::from_secs(3),
        ..Policy::default()
    })
    .unwrap()
}

fn request() -> FetchRequest {
    FetchRequest {
        user_agent: "Ronda-Patrol/test (+https://patrol.example.org)".into(),
        max_bytes: 1 << 20,
        max_redirects: 4,
        timeout: Duration::from_secs(2),
        ..FetchRequest::default()
    }
}

#[tokio::test]
async fn reads_a_page_and_follows_redirects_on_the_allowed_port() {
    let (other, _) = other_port().await;
    let (port, log) = site(other).await;
    let out = client(port);
    let base = format!("http://127.0.0.1:{port}");
    let page = out
        .fetch(&format!("{base}/page"), &request())
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.kind, Some(ContentKind::Html));
    assert_eq!(page.body, b"<html><body>halo</body></html>");
    assert!(page.redirects.is_empty());
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let hopped = out
        .fetch(&format!("{base}/hop1"), &request())
        .await
        .unwrap();
    assert_eq!(hopped.url.as_str(), format!("{base}/page"));
    let hops: Vec<&str> = hopped.redirects.iter().map(|u| u.path()).collect();
    assert_eq!(hops, ["/hop1", "/hop2"]);
    // Every hop named the operator.
    let log = log.lock().unwrap();
    assert!(
        log.iter().all(|(_, head)| head
            .contains("user-agent: ronda-patrol/test (+https://patrol.example.org)")),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_a_port_that_is_not_allow_listed_is_refused_before_sending() {
    let (other, hits) = other_port().await;
    let (port, _) = site(other).await;
    let got = client(port)
        .fetch(&format!("http://127.0.0.1:{port}/away"), &request())
        .await;
    match got {
        Err(FetchError::Refused {
            hop: 1,
            refused: Refused::Address { .. },
        }) => {}
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(*hits.lock().unwrap(), 0, "nothing reached the other port");
    // And the first URL itself, on a port that is not listed.
    let first = client(port)
        .fetch(&format!("http://127.0.0.1:{other}/"), &request())
        .await;
    assert!(
        matches!(first, Err(FetchError::Refused { hop: 0, .. })),
        "{first:?}"
    );
    assert_eq!(*hits.lock().unwrap(), 0);
}

#[tokio::test]
async fn loops_and_long_chains_stop() {
    let (other, _) = other_port().await;
    let (port, log) = site(other).await;
    let out = client(port);
    let base = format!("http://127.0.0.1:{port}");
    let looped = out.fetch(&format!("{base}/loop-a"), &request()).await;
    assert!(
        matches!(&looped, Err(FetchError::RedirectLoop(u)) if u.path() == "/loop-a"),
        "{looped:?}"
    );
    let chain = out.fetch(&format!("{base}/chain/0"), &request()).await;
    assert!(
        matches!(chain, Err(FetchError::TooManyRedirects(4))),
        "{chain:?}"
    );
    let asked = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/chain/"))
        .count();
    assert_eq!(asked, 5, "the first URL and four hops");
}

#[tokio::test]
async fn size_is_capped_before_and_while_reading_and_after_decompression() {
    let (other, _) = other_port().await;
    let (port, _) = site(other).await;
    let out = client(port);
    let base = format!("http://127.0.0.1:{port}");
    for path in ["/huge-declared", "/huge-chunked", "/bomb"] {
        let got = out.fetch(&format!("{base}{path}"), &request()).await;
        assert!(
            matches!(got, Err(FetchError::TooLarge { limit }) if limit == 1 << 20),
            "{path}: {got:?}"
        );
    }
    // The bomb is small on the wire: it was the inflated size that stopped it.
    assert!(bomb().len() < 1 << 20);
}

#[tokio::test]
async fn only_accepted_content_types_are_read() {
    let (other, _) = other_port().await;
    let (port, _) = site(other).await;
    let out = client(port);
    let base = format!("http://127.0.0.1:{port}");
    let bin = out.fetch(&format!("{base}/binary"), &request()).await;
    assert!(
        matches!(&bin, Err(FetchError::ContentType(t)) if t == "application/octet-stream"),
        "{bin:?}"
    );
    let img = out.fetch(&format!("{base}/image"), &request()).await;
    assert!(matches!(img, Err(FetchError::ContentType(_))), "{img:?}");
    let mut images = request();
    images.accept = vec![ContentKind::Image];
    let img = out.fetch(&format!("{base}/image"), &images).await.unwrap();
    assert_eq!(img.kind, Some(ContentKind::Image));
    assert_eq!(img.body, b"\x89PNG");
    // An error status comes back with its body, whatever its type, for the caller to read.
    let gone = out.fetch(&format!("{base}/gone"), &images).await.unwrap();
    assert_eq!((gone.status, gone.kind), (404, None));
    assert_eq!(gone.body, b"akun tidak ditemukan");
}

#[tokio::test]
async fn time_is_capped_and_conditional_requests_are_sent() {
    let (other, _) = other_port().await;
    let (port, log) = site(other).await;
    let out = client(port);
    let base = format!("http://127.0.0.1:{port}");
    let mut quick = request();
    quick.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let slow = out.fetch(&format!("{base}/slow"), &quick).await;
    assert!(matches!(slow, Err(FetchError::Timeout)), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    let first = out
        .fetch(&format!("{base}/cond"), &request())
        .await
        .unwrap();
    assert_eq!(first.body, b"versi satu");
    let mut again = request();
    again.etag = first.header("etag").map(str::to_string);
    let second = out.fetch(&format!("{base}/cond"), &again).await.unwrap();
    assert!(second.not_modified());
    assert!(second.body.is_empty());
    let heads: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == "/cond")
        .map(|(_, h)| h.clone())
        .collect();
    assert!(!heads[0].contains("if-none-match"));
    assert!(heads[1].contains("if-none-match: \"v1\""));
}
