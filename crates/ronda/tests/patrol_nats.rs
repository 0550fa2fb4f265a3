//! `ronda patrol run --once --nats` with the real binary, three crawler processes sharing one
//! crawl on the NATS JetStream server on 127.0.0.1:4222, one of them killed (`SIGKILL`) a
//! quarter of the way through. The site is served by this test on three loopback ports (three
//! hosts; the configuration allow-lists exactly those), every page answers after 40 ms.
//!
//! Shown: every page of every host fetched; a page fetched twice only when the killed crawler
//! had it in flight (counted, at most one per host); never two requests at once to one host
//! across the three processes (the answer intervals per host do not overlap); robots.txt
//! obeyed; every offer page reported exactly once and no harmless page; afterwards `ronda
//! patrol status --nats` shows an empty frontier.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ronda");
const NATS: &str = "nats://127.0.0.1:4222";
/// Sections per host, and pages per section.
const SECTIONS: usize = 10;
const PAGES: usize = 5;

/// One answered request: port, path, when the request arrived and when the answer was out.
type Hit = (u16, String, Instant, Instant);

fn ronda(dir: &Path, config: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ronda {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn page(path: &str) -> (&'static str, &'static str, String) {
    let html = |body: String| {
        (
            "200 OK",
            "text/html",
            format!("<html><body>{body}</body></html>"),
        )
    };
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["robots.txt"] => (
            "200 OK",
            "text/plain",
            "User-agent: *\nDisallow: /private\n".into(),
        ),
        [""] => html(
            (0..SECTIONS)
                .map(|i| format!("<a href=\"/p/{i}\">bagian {i}</a> "))
                .chain(std::iter::once("<a href=\"/private/x\">x</a>".to_string()))
                .collect(),
        ),
        ["p", i] => html(
            (0..PAGES)
                .map(|j| format!("<a href=\"/p/{i}/{j}\">halaman {j}</a> "))
                .collect(),
        ),
        ["p", i, j] => {
            let i: usize = i.parse().unwrap_or(1);
            if *j == "0" && i.is_multiple_of(2) {
                html(format!(
                    "<p>open BO jogja ST 35{i}k include room, WA 0812 3456 78{i}0</p>"
                ))
            } else {
                html(format!(
                    "<p>Open order brownies {i}-{j}, bisa COD, DP 50%, ready stock</p>"
                ))
            }
        }
        _ => (
            "404 Not Found",
            "text/html",
            "<html><body>404</body></html>".into(),
        ),
    }
}

/// The site on one loopback port, a thread per connection.
fn host(hits: Arc<Mutex<Vec<Hit>>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { continue };
            let hits = hits.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let n = sock.read(&mut buf).unwrap_or(0);
                let start = Instant::now();
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                std::thread::sleep(Duration::from_millis(40));
                let (status, ctype, body) = page(&path);
                let _ = write!(
                    sock,
                    "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.flush();
                hits.lock()
                    .unwrap()
                    .push((port, path, start, Instant::now()));
            });
        }
    });
    port
}

fn pages_of_a_host() -> Vec<String> {
    let mut all = vec!["/".to_string()];
    for i in 0..SECTIONS {
        all.push(format!("/p/{i}"));
        for j in 0..PAGES {
            all.push(format!("/p/{i}/{j}"));
        }
    }
    all
}

#[test]
fn three_crawlers_share_one_crawl_on_jetstream_and_one_is_killed() {
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::new(Mutex::new(Vec::new()));
    let ports: Vec<u16> = (0..3).map(|_| host(hits.clone())).collect();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let prefix = format!(
        "TEST{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let allow: Vec<String> = ports.iter().map(|p| format!("\"127.0.0.1:{p}\"")).collect();
    let config = d.join("ronda.toml");
    std::fs::write(
        &config,
        format!(
            "outbound_allow = [{}]\noutbound_public = false\n\n[patrol]\n\
             user_agent = \"Ronda-Patrol/test (+https://patrol.example.org)\"\n\
             min_delay_ms = 10\nmax_delay_ms = 10\nconcurrency = 4\nfetch_timeout_secs = 2\n\
             nats_prefix = \"{prefix}\"\nnats_ack_wait_secs = 2\n",
            allow.join(", ")
        ),
    )
    .unwrap();
    let mut add = vec!["watchlist", "add", "--name", "situs", "--depth", "2"];
    let seeds: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}/"))
        .collect();
    for s in &seeds {
        add.extend(["--seed", s.as_str()]);
    }
    ronda(d, &config, &add);

    let crawler = || {
        Command::new(BIN)
            .args(["patrol", "run", "--once", "--nats", NATS, "--data-dir"])
            .arg(d)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut crawlers: Vec<_> = (0..3).map(|_| crawler()).collect();
    let pages = pages_of_a_host();
    let total = pages.len() * ports.len();
    let began = Instant::now();
    while hits.lock().unwrap().len() < total / 4 {
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "the crawl did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    crawlers[1].kill().unwrap();
    let _ = crawlers[1].wait();
    let killed_at = hits.lock().unwrap().len();
    for (i, c) in crawlers.into_iter().enumerate() {
        if i == 1 {
            continue;
        }
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "crawler {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The killed crawler's last request may still be answering.
    std::thread::sleep(Duration::from_millis(100));
    let hits = hits.lock().unwrap().clone();

    let mut count: HashMap<(u16, String), usize> = HashMap::new();
    for (port, path, _, _) in &hits {
        *count.entry((*port, path.clone())).or_default() += 1;
    }
    let mut duplicates = 0;
    for port in &ports {
        for p in &pages {
            let n = count.get(&(*port, p.clone())).copied().unwrap_or(0);
            assert!(n >= 1, "{port}{p} never fetched");
            duplicates += n - 1;
        }
        assert!(
            !count
                .keys()
                .any(|(q, p)| q == port && p.starts_with("/private")),
            "robots.txt obeyed on {port}"
        );
        // One request at a time per host, whichever crawler made it.
        let mut spans: Vec<(Instant, Instant)> = hits
            .iter()
            .filter(|(q, ..)| q == port)
            .map(|(_, _, s, e)| (*s, *e))
            .collect();
        spans.sort();
        for w in spans.windows(2) {
            assert!(w[1].0 >= w[0].1, "two requests at once to port {port}");
        }
    }
    eprintln!(
        "{} requests for {total} pages; killed after {killed_at}; {duplicates} fetched twice",
        hits.len()
    );
    // Only what the killed crawler had in flight (one per host at most) is fetched again.
    assert!(duplicates <= ports.len(), "{duplicates} duplicates");

    let cases = ronda(d, &config, &["cases", "export", "--format", "jsonl"]);
    let text = String::from_utf8_lossy(&cases.stdout).to_string();
    let offers = ports.len() * SECTIONS.div_ceil(2);
    assert_eq!(text.lines().count(), offers, "{text}");
    for port in &ports {
        for i in (0..SECTIONS).step_by(2) {
            let target = format!("127.0.0.1:{port}/p/{i}/0\"");
            assert_eq!(text.matches(target.as_str()).count(), 1, "{target}: {text}");
        }
    }

    let status = ronda(d, &config, &["patrol", "status", "--nats", NATS]);
    let s = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(s.contains("0 queued, 0 in flight"), "{s}");
    assert!(
        s.contains(&format!("{} URLs seen", total + ports.len())),
        "{s}"
    );

    // Clean up the stream and buckets of this test.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let jet = ronda_patrol::jet::JetFrontier::connect(ronda_patrol::jet::JetConfig {
                url: NATS.into(),
                prefix,
                ack_wait: Duration::from_secs(2),
            })
            .await
            .unwrap();
            jet.destroy().await.unwrap();
        });
}
