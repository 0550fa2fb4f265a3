//! `ronda patrol run --once` with the real binary against a small site served by this test on
//! 127.0.0.1 (the configuration allow-lists that port alone and resolves no name): a watch list
//! added with `ronda watchlist add`, the offer page reported as a `patrol` case with the page's
//! URL as target, the harmless page not, robots.txt obeyed; `ronda patrol status` shows the
//! frontier; the case's evidence bundle holds the page's WARC capture and verifies; a second
//! `--once` run straight after has nothing due and reports nothing.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ronda_server::evidence_zip::read_zip;

const BIN: &str = env!("CARGO_BIN_EXE_ronda");

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

/// A configuration that lets the patrol reach 127.0.0.1:`port` alone, with short delays and
/// `patrol` (more `[patrol]` lines).
fn config_file(dir: &Path, port: u16, patrol: &str) -> std::path::PathBuf {
    let config = dir.join("ronda.toml");
    std::fs::write(
        &config,
        format!(
            "outbound_allow = [\"127.0.0.1:{port}\"]\noutbound_public = false\n\n[patrol]\n\
             min_delay_ms = 20\nmax_delay_ms = 20\n{patrol}"
        ),
    )
    .unwrap();
    config
}

/// `ronda watchlist add` of the site on `port`, one link deep.
fn add_site(dir: &Path, config: &Path, port: u16) -> Output {
    let seed = format!("http://127.0.0.1:{port}/");
    let args = [
        "watchlist",
        "add",
        "--name",
        "situs",
        "--seed",
        &seed,
        "--depth",
        "1",
    ];
    ronda(dir, config, &args)
}

/// A site on 127.0.0.1, one thread, one connection at a time; the paths asked for.
fn site() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { continue };
            let mut buf = [0u8; 8192];
            let n = sock.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push(path.clone());
            let (status, ctype, body) = match path.as_str() {
                "/robots.txt" => ("200 OK", "text/plain", "User-agent: *\nDisallow: /admin\n".to_string()),
                "/" => ("200 OK", "text/html", r#"<html><body><a href="/iklan">a</a> <a href="/toko">b</a> <a href="/admin/x">c</a></body></html>"#.to_string()),
                "/iklan" => ("200 OK", "text/html", "<html><body><p>open BO jogja ST 350k include room, WA 0812 3456 7890</p></body></html>".to_string()),
                "/toko" => ("200 OK", "text/html", "<html><body><p>Open order brownies, bisa COD, DP 50%, ready stock</p></body></html>".to_string()),
                // A search-result page: what it finds depends on the term.
                p if p.starts_with("/cari?q=") => {
                    let hit = if p == "/cari?q=open+bo" {
                        "<li>open BO jogja ST 350k include room, WA 0812 3456 7890</li>"
                    } else {
                        "<li>Tidak ada hasil</li>"
                    };
                    ("200 OK", "text/html", format!("<html><body><ul>{hit}</ul></body></html>"))
                }
                _ => ("404 Not Found", "text/html", "<html><body>404</body></html>".to_string()),
            };
            let _ = write!(
                sock,
                "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, log)
}

#[test]
fn the_patrol_runs_once_from_the_command_line() {
    let (port, log) = site();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = config_file(
        d,
        port,
        "user_agent = \"Ronda-Patrol/test (+https://patrol.example.org)\"\n",
    );
    let add = add_site(d, &config, port);
    let id = String::from_utf8_lossy(&add.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(id.parse::<i64>().is_ok());

    let run = ronda(d, &config, &["patrol", "run", "--once"]);
    let said = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(said.contains("reported 1"), "{said}");
    let asked = log.lock().unwrap().clone();
    assert!(
        !asked.iter().any(|p| p.starts_with("/admin")),
        "robots obeyed: {asked:?}"
    );
    assert!(asked.contains(&"/toko".to_string()), "{asked:?}");

    let cases = ronda(d, &config, &["cases", "export", "--format", "jsonl"]);
    let text = String::from_utf8_lossy(&cases.stdout).to_string();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}/iklan")), "{text}");
    assert!(text.contains("patrol"), "{text}");

    // The finding's evidence: the page as fetched, a WARC file in the case's signed bundle.
    let zip = d.join("case1.zip");
    ronda(
        d,
        &config,
        &[
            "evidence",
            "export",
            "--case",
            "1",
            "--out",
            zip.to_str().unwrap(),
        ],
    );
    let entries = read_zip(&std::fs::read(&zip).unwrap()).unwrap();
    let (_, warc) = entries
        .iter()
        .find(|(p, _)| p.starts_with("cases/1/captures/") && p.ends_with(".warc"))
        .expect("the capture is in the bundle");
    let warc = String::from_utf8_lossy(warc);
    assert!(
        warc.starts_with("WARC/1.1\r\nWARC-Type: warcinfo\r\n"),
        "{warc}"
    );
    assert!(
        warc.contains(&format!(
            "WARC-Target-URI: http://127.0.0.1:{port}/iklan\r\n"
        )),
        "{warc}"
    );
    assert!(warc.contains("User-Agent: Ronda-Patrol/test"), "{warc}");
    let verified = Command::new(BIN)
        .args(["evidence", "verify", "--trust-embedded-key"])
        .arg(&zip)
        .output()
        .unwrap();
    assert!(verified.status.success());
    assert!(String::from_utf8_lossy(&verified.stdout).contains("bundle intact"));

    let status = ronda(d, &config, &["patrol", "status"]);
    let s = String::from_utf8_lossy(&status.stdout).to_string();
    assert!(
        s.contains("frontier: 4 queued (0 due now)") && s.contains("situs"),
        "{s}"
    );

    let again = ronda(d, &config, &["patrol", "run", "--once"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("fetched 0"),
        "nothing due yet"
    );
}

/// `ronda serve` runs the patrol too (the embedded default): the watch list in its store is
/// crawled within seconds of the start and its offer page becomes a `patrol` case that the API shows
/// with the page's capture, and the patrol's metrics are on `/metrics`; with
/// `[patrol] in_serve = false` the service crawls nothing.
#[test]
fn the_service_runs_the_patrol_by_default() {
    for in_serve in [true, false] {
        let (port, log) = site();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let config = config_file(d, port, &format!("in_serve = {in_serve}\n"));
        add_site(d, &config, port);
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(d)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut base = None;
        for line in out.lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("ronda listening on http://") {
                base = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        let base = format!("http://{}/api/v1", base.unwrap());
        let token = std::fs::read_to_string(d.join("admin.token"))
            .unwrap()
            .trim()
            .to_string();
        let client = reqwest::blocking::Client::new();
        let cases = || -> serde_json::Value {
            client
                .get(format!("{base}/cases"))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap()
        };
        let deadline = Instant::now() + Duration::from_secs(if in_serve { 30 } else { 3 });
        let mut found = cases();
        while found["cases"].as_array().is_none_or(Vec::is_empty) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            found = cases();
        }
        let listed = found["cases"].as_array().cloned().unwrap_or_default();
        if in_serve {
            assert_eq!(listed.len(), 1, "{found}");
            let id = listed[0]["id"].as_i64().unwrap();
            let reports: serde_json::Value = client
                .get(format!("{base}/cases/{id}/reports"))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            let r = &reports["reports"][0];
            assert_eq!(r["source"], "patrol", "{reports}");
            assert_eq!(r["capture"]["format"], "WARC/1.1", "{reports}");
            assert_eq!(r["capture"]["sha256"].as_str().unwrap().len(), 64);
            assert_eq!(
                r["capture"]["url"].as_str(),
                Some(format!("http://127.0.0.1:{port}/iklan").as_str())
            );
            // The patrol's counters and the frontier's gauges on the service's /metrics.
            let root = base.trim_end_matches("/api/v1");
            let deadline = Instant::now() + Duration::from_secs(15);
            let metrics = loop {
                let m = client
                    .get(format!("{root}/metrics"))
                    .bearer_auth(&token)
                    .send()
                    .unwrap()
                    .text()
                    .unwrap();
                if m.contains("ronda_patrol_frontier_urls") || Instant::now() > deadline {
                    break m;
                }
                std::thread::sleep(Duration::from_millis(200));
            };
            assert!(
                metrics.contains("ronda_patrol_reports_total 1\n"),
                "{metrics}"
            );
            assert!(
                metrics.contains("ronda_patrol_fetches_total 3\n"),
                "{metrics}"
            );
            assert!(
                metrics.contains("ronda_patrol_frontier_urls{state=\"in_flight\"} 0\n"),
                "{metrics}"
            );
            let bytes: u64 = metrics
                .lines()
                .find_map(|l| l.strip_prefix("ronda_patrol_bytes_total "))
                .unwrap()
                .parse()
                .unwrap();
            assert!(bytes > 100, "{metrics}");
        } else {
            assert!(listed.is_empty(), "{found}");
            assert!(log.lock().unwrap().is_empty(), "nothing fetched");
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A crawler of its own (`ronda patrol run`, not `--once`) serves its metrics where
/// `--metrics-listen` says: the counters of what it fetched and reported, and the frontier's
/// gauges after its first pass.
#[test]
fn a_crawler_process_serves_its_metrics() {
    let (port, _log) = site();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = config_file(d, port, "");
    add_site(d, &config, port);
    let mut child = Command::new(BIN)
        .args([
            "patrol",
            "run",
            "--metrics-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(d)
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("patrol metrics on ").map(str::to_string))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let metrics = loop {
        let m = reqwest::blocking::get(&url).unwrap().text().unwrap();
        if m.contains("ronda_patrol_frontier_urls") || Instant::now() > deadline {
            break m;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        metrics.contains("ronda_patrol_reports_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ronda_patrol_fetches_total 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ronda_patrol_frontier_urls{state=\"queued\"} 4\n"),
        "{metrics}"
    );
}

/// A search-result page template (`{q}`) is crawled once for each keyword (from `--keyword`
/// and `--keywords-file`), the term form-encoded into it; the search that finds an offer is
/// reported, the one that finds nothing is not.
#[test]
fn a_search_template_is_crawled_for_each_keyword() {
    let (port, log) = site();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = config_file(d, port, "");
    let terms = d.join("slang.txt");
    std::fs::write(&terms, "# the domain's slang\nopen bo\n\n").unwrap();
    let template = format!("http://127.0.0.1:{port}/cari?q={{q}}");
    let add = ronda(
        d,
        &config,
        &[
            "watchlist",
            "add",
            "--name",
            "cari",
            "--seed",
            &template,
            "--keyword",
            "kue lebaran",
            "--keywords-file",
            terms.to_str().unwrap(),
            "--depth",
            "0",
        ],
    );
    let id = String::from_utf8_lossy(&add.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    let shown = ronda(d, &config, &["watchlist", "show", &id]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(
        shown["keywords"],
        serde_json::json!(["kue lebaran", "open bo"])
    );
    let run = ronda(d, &config, &["patrol", "run", "--once"]);
    let said = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(said.contains("reported 1"), "{said}");
    let asked = log.lock().unwrap().clone();
    for q in ["/cari?q=open+bo", "/cari?q=kue+lebaran"] {
        assert!(asked.contains(&q.to_string()), "{q} in {asked:?}");
    }
    // A template without keywords is refused, naming the option; nothing is stored.
    let out = Command::new(BIN)
        .args([
            "watchlist",
            "add",
            "--name",
            "kosong",
            "--seed",
            &template,
            "--data-dir",
        ])
        .arg(d)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--keyword"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
