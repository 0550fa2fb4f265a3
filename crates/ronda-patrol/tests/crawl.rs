//! The patrol against a small site served by the test on 127.0.0.1 (and nothing else: the
//! outbound client resolves no name and contacts only the site's allow-listed port). Pages in
//! the slang and its disguises, harmless pages, a feed with gambling spam, a page robots.txt
//! forbids, a redirect to another loopback port that is not allow-listed, an out-of-scope link.
//! Pages with images from `tests/data/pdq` (one of them in a child-exploitation bank the test
//! fills, others in none, broken, too large, not images, on a port that is not allow-listed).
//! Shown: every violating page reported once, no harmless page reported, a page with harmless
//! words but a banked photo reported as urgent child exploitation with the match, each finding's
//! WARC capture (read back by the `warc` crate, without image bytes) in its evidence bundle,
//! robots obeyed, the refused redirect and image refused with nothing sent to that port,
//! politeness gaps held on the host (images included),
//! and a second round an interval later reports nothing again (unchanged content, 304 where
//! the site sends validators).

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ronda_core::clock::{Clock, Millis, SystemClock};
use ronda_core::crawl::politeness::Politeness;
use ronda_core::crawl::watchlist::{Scope, WatchListSpec};
use ronda_core::evidence::sha256_hex;
use ronda_detect::Engine;
use ronda_media::bank::{BankCategory, HashList};
use ronda_outbound::{Outbound, Policy};
use ronda_patrol::crawl::{Patrol, PatrolConfig, RunStats};
use ronda_service::detection::Detector;
use ronda_store::banks::NewBank;
use ronda_store::evidence::BundleRequest;
use ronda_store::referrals::Subject;
use ronda_store::testing;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warc::{RecordType, WarcHeader, WarcReader};

/// The wall clock plus an offset the test moves forward (to make a round due).
#[derive(Debug, Default)]
struct Later(AtomicI64);

impl Clock for Later {
    fn now_ms(&self) -> Millis {
        SystemClock.now_ms() + self.0.load(Ordering::SeqCst)
    }
}

type Log = Arc<Mutex<Vec<(String, Instant)>>>;

/// Whether the site answers as in the crawl's second round.
static SECOND: AtomicBool = AtomicBool::new(false);

fn page(title: &str, body: &str) -> String {
    format!("<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>")
}

/// A test image by name (reference images of the PDQ test suite, `tests/data/pdq`).
fn image(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/data/pdq/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap()
}

/// The photo the test puts in a child-exploitation bank (a harmless reference image: the
/// test only needs its hash in such a bank), and a photo in no bank.
const BANKED: &str = "labelme-q2821.jpg";
const UNBANKED: &str = "labelme-q1050.jpg";

fn image_answer(name: &str) -> Vec<u8> {
    let (ctype, body) = match name {
        "banked.jpg" => ("image/jpeg", image(BANKED)),
        "other.jpg" => ("image/jpeg", image(UNBANKED)),
        // Claims to be an image, is not one.
        "broken.png" => ("image/png", b"not a png at all".to_vec()),
        // An image type the patrol does not read as one.
        "page.jpg" => ("text/html", b"<p>hi</p>".to_vec()),
        // Over the size limit the test configures.
        "huge.jpg" => ("image/jpeg", vec![0xFF; 300_000]),
        _ => {
            return b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .to_vec();
        }
    };
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(&body);
    r
}

fn answer(path: &str, other: u16, head: &str) -> Vec<u8> {
    if let Some(name) = path.strip_prefix("/img/") {
        return image_answer(name);
    }
    let html = "text/html; charset=utf-8";
    let (status, ctype, body, extra): (&str, &str, String, String) = match path {
        "/robots.txt" => ("200 OK", "text/plain", "User-agent: *\nDisallow: /private/\n".into(), String::new()),
        "/" => (
            "200 OK",
            html,
            page(
                "Forum Jual Beli",
                r#"<a href="/p/offer1">1</a> <a href="/p/offer2#top">2</a> <a href="/p/les">3</a>
                <a href="/p/news?utm_source=wa">4</a> <a href="/private/offer3">5</a>
                <a href="/away">6</a> <a href="http://other.test/x">7</a> <a href="/p/offer1">again</a>
                <a href="/p/galeri">8</a> <a href="/sitemap.xml">9</a> <a href="/p/slow">10</a>
                <a href="/p/huge">11</a> <a href="/loop-a">12</a> <a href="/p/changing">13</a> <a href="/p/gone">14</a>
                <link rel="alternate" type="application/rss+xml" href="/feed.xml">
                <a href="/feed.xml">feed</a>"#,
            ),
            String::new(),
        ),
        "/p/offer1" => (
            "200 OK",
            html,
            page("Info", "<p>ready temenin malam ini, 1 jam 350k include room, wa 0812 3456 7890</p>"),
            String::new(),
        ),
        "/p/offer2" => {
            if head.contains("if-none-match: \"o2\"") {
                return b"HTTP/1.1 304 Not Modified\r\netag: \"o2\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec();
            }
            (
                "200 OK",
                html,
                page("Jogja", "<p>𝐨𝐩𝐞𝐧 𝐁𝐎 jogja ST 300 LT 800 all in, WA 0813 2222 3333</p>"),
                "etag: \"o2\"\r\n".into(),
            )
        }
        "/p/les" => (
            "200 OK",
            html,
            page(
                "Les",
                "<p>Les privat matematika SD-SMP, 1 jam 150rb, guru datang ke rumah</p>\
                 <img src=\"/img/other.jpg\"> <img src=\"/img/broken.png\"> <img src=\"/img/page.jpg\">",
            ),
            String::new(),
        ),
        // Harmless words; one photo is in a child-exploitation bank.
        "/p/galeri" => (
            "200 OK",
            html,
            format!(
                "<!doctype html><html><head><title>Galeri</title>\
                 <meta property=\"og:image\" content=\"/img/banked.jpg\"></head>\
                 <body><p>Foto kegiatan minggu ini</p><img src=\"/img/other.jpg\">\
                 <img src=\"/img/huge.jpg\"><img src=\"http://127.0.0.1:{other}/x.jpg\"></body></html>"
            ),
            String::new(),
        ),
        "/p/news" => (
            "200 OK",
            html,
            page("Berita", "<p>Polisi menggerebek hotel yang menerima tamu untuk prostitusi online, tersangka diamankan</p>"),
            String::new(),
        ),
        "/private/offer3" => ("200 OK", html, page("x", "<p>open bo jogja</p>"), String::new()),
        "/away" => ("302 Found", html, String::new(), format!("location: http://127.0.0.1:{other}/\r\n")),
        "/feed.xml" => (
            "200 OK",
            "application/rss+xml",
            r#"<rss version="2.0"><channel><title>Forum</title>
            <item><title>Komentar</title><link>/p/comment</link>
            <description><![CDATA[<p>Sungguh luar biasa! MAWAR521 bikin ketagihan, wd lancar</p>]]></description></item>
            </channel></rss>"#
                .into(),
            String::new(),
        ),
        "/p/comment" => ("200 OK", html, page("Komentar", "<p>Sungguh luar biasa! MAWAR521 bikin ketagihan, wd lancar</p>"), String::new()),
        // Reached only through the sitemap.
        "/sitemap.xml" => (
            "200 OK",
            "application/xml",
            r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc>/p/hidden</loc></url></urlset>"#
                .into(),
            String::new(),
        ),
        "/p/hidden" => ("200 OK", html, page("Info", "<p>ready open bo malam ini, booking via WA 0857 1111 2222</p>"), String::new()),
        // Answers late (the site's handler waits), harmless.
        "/p/slow" => ("200 OK", html, page("Toko", "<p>Jual kue kering lebaran, pesan H-3</p>"), String::new()),
        // Larger than the pages the patrol reads.
        "/p/huge" => ("200 OK", html, "a".repeat(5 << 20), String::new()),
        "/loop-a" => ("302 Found", html, String::new(), "location: /loop-b\r\n".into()),
        "/loop-b" => ("302 Found", html, String::new(), "location: /loop-a\r\n".into()),
        // Harmless in the first round, an offer in the second.
        "/p/changing" => {
            let text = if SECOND.load(Ordering::SeqCst) {
                "<p>open BO semarang ST 400 LT 900, WA 0878 5555 6666</p>"
            } else {
                "<p>Dijual sepeda lipat, mulus, COD semarang</p>"
            };
            ("200 OK", html, page("Iklan", text), String::new())
        }
        // There in the first round, gone in the second.
        "/p/gone" if !SECOND.load(Ordering::SeqCst) => {
            ("200 OK", html, page("Lowongan", "<p>Dicari kasir toko roti</p>"), String::new())
        }
        _ => ("404 Not Found", html, page("404", "tidak ada"), String::new()),
    };
    let mut r = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body.as_bytes());
    r
}

async fn site(other: u16) -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                seen.lock().unwrap().push((path.clone(), Instant::now()));
                if path == "/p/slow" {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
                let _ = sock.write_all(&answer(&path, other, &head)).await;
            });
        }
    });
    (port, log)
}

async fn counter() -> (u16, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(Mutex::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((_sock, _)) = listener.accept().await {
            *h.lock().unwrap() += 1;
        }
    });
    (port, hits)
}

/// The built-in detection engine.
fn detector() -> Detector {
    Detector::new(
        Engine::with_defaults().unwrap(),
        "built-in".into(),
        &ronda_link::config::LinkConfig::default(),
    )
}

/// A client that may contact 127.0.0.1:`port` and nothing else (no name is resolved).
fn only(port: u16) -> Outbound {
    Outbound::new(Policy {
        allow: vec![format!("127.0.0.1:{port}").parse().unwrap()],
        public: false,
        timeout: Duration::from_secs(5),
        ..Policy::default()
    })
    .unwrap()
}

/// A watch list of the site on `port`, from its front page down to `depth`.
async fn watch(store: &ronda_store::Store, name: &str, port: u16, depth: u32) -> i64 {
    let spec = WatchListSpec {
        name: name.into(),
        seeds: vec![format!("http://127.0.0.1:{port}/")],
        depth,
        scope: Scope::Host,
        hosts: vec![],
        every_ms: 3_600_000,
        ignore_robots: false,
        keywords: vec![],
    };
    store
        .create_watchlist("lead:budi".into(), spec.validate().unwrap())
        .await
        .unwrap()
}

/// Runs `f` on a two-thread runtime (the store is opened before, outside it: opening blocks).
fn on_runtime<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn the_patrol_reports_what_violates_and_nothing_else() {
    // The store is opened outside the runtime (opening blocks); the crawl runs inside it.
    let clock = Arc::new(Later::default());
    let db = testing::sqlite_with(clock.clone());
    on_runtime(crawl(&db.store, &clock));
}

async fn crawl(store: &ronda_store::Store, clock: &Later) {
    let (other, other_hits) = counter().await;
    let (port, log) = site(other).await;
    let detector = detector();
    let outbound = only(port);
    let id = watch(store, "forum", port, 2).await;
    let gap = Duration::from_millis(120);
    let config = PatrolConfig {
        user_agent: "Ronda-Patrol/test (+https://patrol.example.org)".into(),
        max_image_bytes: 200_000,
        politeness: Politeness {
            min: gap,
            max: gap,
            factor: 0.0,
            ..Politeness::default()
        },
        worker: "patrol:test".into(),
        ..PatrolConfig::default()
    };
    let banked = bank_the_photo(store).await;
    let patrol = Patrol::new(store, &detector, &outbound, config);
    let stats = patrol.run_once().await.unwrap();

    // Five pages reported: an ad, a disguised ad, the comment spam the feed led to, the ad only
    // the sitemap lists, and the gallery whose words are harmless but one of whose photos a
    // bank knows.
    let mut reported: Vec<(String, Option<String>)> = store
        .read(|c| {
            c.query(
                "SELECT target_value, category FROM cases ORDER BY target_value",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.string(0)?, r.opt_str(1)?.map(str::to_string))))
            .collect::<Result<Vec<_>, ronda_store::StoreError>>()
        })
        .unwrap();
    reported.sort();
    let base = format!("127.0.0.1:{port}");
    let urls: Vec<&str> = reported.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(stats.reported, 5, "{stats:?} {urls:?}");
    assert_eq!(urls.len(), 5, "{urls:?}");
    assert!(
        urls.iter().any(|u| u.contains(&format!("{base}/p/hidden"))),
        "the sitemap was read: {urls:?}"
    );
    assert!(
        urls.iter().any(|u| u.contains(&format!("{base}/p/offer1"))),
        "{urls:?}"
    );
    assert!(
        urls.iter().any(|u| u.contains(&format!("{base}/p/offer2"))),
        "{urls:?}"
    );
    assert!(
        urls.iter()
            .any(|u| u.contains(&format!("{base}/p/comment"))),
        "{urls:?}"
    );
    let reports: i64 = store
        .read(|c| {
            c.query_one("SELECT COUNT(*) FROM reports WHERE source = 'patrol'", &[])?
                .i64(0)
        })
        .unwrap();
    assert_eq!(reports, 5, "one report each");
    let summary = &store.watchlist_summaries(clock.now_ms()).unwrap()[0];
    assert_eq!((summary.row.id, summary.findings), (id, 5), "{summary:?}");
    // The page too large, the redirect loop and the redirect to another port: recorded with
    // their reasons, nothing reported from them.
    let errors: Vec<(String, String)> = store
        .frontier_errors(Some(id), 50)
        .unwrap()
        .into_iter()
        .map(|e| (e.url, e.error))
        .collect();
    for (path, code) in [
        ("/p/huge", "too_large"),
        ("/loop-a", "redirect_loop"),
        ("/away", "refused"),
    ] {
        assert!(
            errors.iter().any(|(u, e)| u.ends_with(path) && e == code),
            "{path}: {code} in {errors:?}"
        );
    }
    assert!(
        summary.last_finding_at.is_some() && summary.fetched >= 8,
        "{summary:?}"
    );

    images_matched(store, port, &banked, &stats);
    captures_kept(store, port, other);

    let requested: Vec<String> = log.lock().unwrap().iter().map(|(p, _)| p.clone()).collect();
    assert!(
        !requested.iter().any(|p| p.starts_with("/private/")),
        "robots obeyed: {requested:?}"
    );
    assert!(
        requested.contains(&"/p/les".to_string()) && requested.contains(&"/p/news".to_string())
    );
    for p in ["/p/offer1", "/p/les", "/"] {
        assert_eq!(
            requested.iter().filter(|r| *r == p).count(),
            1,
            "{p} fetched once: {requested:?}"
        );
    }
    assert_eq!(
        *other_hits.lock().unwrap(),
        0,
        "the redirect to another port was refused"
    );
    assert!(stats.errors >= 1, "{stats:?}");
    // Politeness: one host, requests spaced by the delay (robots.txt is read in the first slot).
    let times: Vec<Instant> = log
        .lock()
        .unwrap()
        .iter()
        // A redirect's next hop is part of the same fetch, asked at once (as browsers do).
        .filter(|(p, _)| p != "/robots.txt" && p != "/loop-b")
        .map(|(_, t)| *t)
        .collect();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let smallest = gaps.iter().min().copied().unwrap();
    eprintln!(
        "first round: {stats:?}; {} requests; smallest gap {smallest:?}",
        requested.len()
    );
    assert!(smallest >= gap - Duration::from_millis(15), "gaps {gaps:?}");

    // An interval later the round comes again: unchanged pages report nothing, the page with
    // an ETag answers 304.
    clock.0.store(2 * 3_600_000, Ordering::SeqCst);
    SECOND.store(true, Ordering::SeqCst);
    let before = log.lock().unwrap().len();
    let again = patrol.run_once().await.unwrap();
    eprintln!("second round: {again:?}");
    // Only the page whose content changed into an offer is reported; the one that
    // disappeared is recorded as gone.
    assert_eq!(again.reported, 1, "{again:?}");
    let changed: i64 = store
        .read(|c| {
            c.query_one(
                "SELECT COUNT(*) FROM cases WHERE target_value LIKE '%/p/changing'",
                &[],
            )?
            .i64(0)
        })
        .unwrap();
    assert_eq!(changed, 1);
    let gone = store
        .read(|c| {
            c.query_one(
                "SELECT last_status FROM crawl_frontier WHERE url LIKE '%/p/gone'",
                &[],
            )?
            .opt_i64(0)
        })
        .unwrap();
    assert_eq!(gone, Some(404));
    assert!(again.fetched >= 5, "{again:?}");
    assert!(again.not_modified >= 1, "{again:?}");
    assert!(log.lock().unwrap().len() > before);
    let w = store.get_watchlist(id).unwrap().unwrap();
    assert!(w.last_run_at.is_some());
}

/// A child-exploitation bank holding the PDQ hash of the test's "banked" photo; that hash.
async fn bank_the_photo(store: &ronda_store::Store) -> String {
    let pdq =
        ronda_media::pdq_from_bytes(&image(BANKED), &ronda_media::DecodeLimits::default()).unwrap();
    let other =
        ronda_media::pdq_from_bytes(&image(UNBANKED), &ronda_media::DecodeLimits::default())
            .unwrap();
    assert!(
        pdq.hash.distance(&other.hash) > 31,
        "the two photos are far apart"
    );
    let mut list = HashList::new();
    list.push(pdq.hash, Some(pdq.quality), Some("test-entry"));
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        s.import_hashes_blocking(
            "lead:budi",
            "known",
            Some(NewBank {
                name: "known".into(),
                category: BankCategory::ChildExploitation,
                enabled: None,
                threshold: None,
                min_quality: None,
            }),
            list,
        )
    })
    .await
    .unwrap()
    .unwrap();
    pdq.hash.to_hex()
}

/// The gallery's photos were fetched, hashed in memory and matched: its case is urgent and
/// child exploitation with the bank's match on it; images that are not images, too large, or
/// on a port that is not allow-listed were refused; the capture holds no image bytes.
fn images_matched(store: &ronda_store::Store, port: u16, banked: &str, stats: &RunStats) {
    // les: other.jpg hashed, broken.png and page.jpg failed; galeri: banked.jpg and other.jpg
    // hashed, huge.jpg and the other port's image failed.
    assert_eq!(
        (
            stats.images_hashed,
            stats.images_failed,
            stats.images_matched
        ),
        (3, 4, 1),
        "{stats:?}"
    );
    let row = store
        .read(|c| {
            c.query_one(
                "SELECT c.id, c.category, c.priority, ci.media_json FROM cases c \
                 JOIN reports r ON r.case_id = c.id JOIN content_items ci ON ci.id = r.content_id \
                 WHERE c.target_value LIKE '%/p/galeri'",
                &[],
            )
        })
        .unwrap();
    let case_id = row.i64(0).unwrap();
    assert_eq!(
        row.opt_string(1).unwrap().as_deref(),
        Some("child_exploitation")
    );
    assert_eq!(row.i64(2).unwrap(), 3, "urgent");
    let media: serde_json::Value = serde_json::from_str(&row.string(3).unwrap()).unwrap();
    let hashes: Vec<&str> = media
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["pdq"].as_str().unwrap())
        .collect();
    assert_eq!(hashes.len(), 2, "{media}");
    assert!(hashes.contains(&banked), "{media}");
    assert_eq!(
        media[0]["sha256"].as_str().unwrap().len(),
        64,
        "each image's SHA-256 beside its PDQ"
    );
    let matches = store.case_media_matches(case_id).unwrap();
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(matches[0].pdq, banked);
    let warc = store
        .read(move |c| {
            Ok(c.query_one(
                "SELECT cc.warc FROM content_captures cc JOIN reports r ON r.content_id = cc.content_id \
                 WHERE r.case_id = $1",
                ronda_store::params![case_id],
            )?
            .opt_blob(0)?
            .unwrap()
            .to_vec())
        })
        .unwrap();
    let photo = image(BANKED);
    assert!(
        !warc.windows(64).any(|w| w == &photo[..64]),
        "no image bytes in the capture"
    );
    assert!(String::from_utf8_lossy(&warc).contains(&format!("127.0.0.1:{port}/p/galeri")));
}

/// Each finding keeps the page as fetched: a WARC capture whose SHA-256 holds, that an
/// independent reader parses into the exchange the site served, and that goes into the
/// case's evidence bundle with its digest.
fn captures_kept(store: &ronda_store::Store, port: u16, other: u16) {
    let rows = store
        .read(|c| {
            c.query(
                "SELECT r.case_id, cc.sha256, cc.url, cc.warc, cc.bytes FROM content_captures cc \
                 JOIN reports r ON r.content_id = cc.content_id ORDER BY r.case_id",
                &[],
            )
        })
        .unwrap();
    assert_eq!(rows.len(), 5, "one capture per finding");
    for row in &rows {
        let url = row.string(2).unwrap();
        let warc = row.opt_blob(3).unwrap().unwrap().to_vec();
        assert_eq!(row.string(1).unwrap(), sha256_hex(&warc));
        assert_eq!(row.i64(4).unwrap(), i64::try_from(warc.len()).unwrap());
        let records: Vec<_> = WarcReader::new(std::io::Cursor::new(&warc))
            .iter_records()
            .collect::<Result<_, _>>()
            .unwrap();
        let request = records
            .iter()
            .find(|r| *r.warc_type() == RecordType::Request)
            .unwrap();
        let response = records
            .iter()
            .find(|r| *r.warc_type() == RecordType::Response)
            .unwrap();
        assert_eq!(
            response.header(WarcHeader::TargetURI).as_deref(),
            Some(url.as_str())
        );
        assert_eq!(
            response.header(WarcHeader::IPAddress).as_deref(),
            Some("127.0.0.1")
        );
        let path = url.split(&format!(":{port}")).nth(1).unwrap().to_string();
        let served = answer(&path, other, "");
        let body_at = served.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(
            response.body().starts_with(b"HTTP/1.1 200 OK\r\n"),
            "{url}: {}",
            String::from_utf8_lossy(response.body())
        );
        assert!(
            response.body().ends_with(&served[body_at..]),
            "{url}: the body as served"
        );
        let sent = String::from_utf8_lossy(request.body()).into_owned();
        assert!(
            sent.starts_with(&format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            )),
            "{sent}"
        );
        assert!(sent.contains("User-Agent: Ronda-Patrol/test"), "{sent}");
    }
    let case_id = rows[0].i64(0).unwrap();
    let (_, files) = store
        .gather_evidence(&BundleRequest {
            subject: Subject::Case(case_id),
            requested_by: "lead:budi".into(),
            reporter_identity: false,
        })
        .unwrap();
    let warc = rows[0].opt_blob(3).unwrap().unwrap();
    let (path, bytes) = files
        .iter()
        .find(|(p, _)| p.ends_with(".warc"))
        .expect("the capture is in the bundle");
    assert!(
        path.starts_with(&format!("cases/{case_id}/captures/")),
        "{path}"
    );
    assert_eq!(bytes.as_slice(), warc);
    let (_, snapshot) = files.iter().find(|(p, _)| p.contains("/content/")).unwrap();
    let snapshot: serde_json::Value = serde_json::from_slice(snapshot).unwrap();
    assert_eq!(snapshot["capture"]["sha256"], rows[0].string(1).unwrap());
    assert_eq!(snapshot["capture"]["file"], path.as_str());
    assert!(snapshot["capture"]["fetched_at"].is_string());
}

/// With `report_min_score` above every score detection gives, the same site yields no report
/// (nothing in a bank either): the threshold, not the crawl, decides.
#[test]
fn the_score_threshold_decides_what_is_reported() {
    let clock = Arc::new(Later::default());
    let db = testing::sqlite_with(clock.clone());
    on_runtime(async {
        let store = &db.store;
        let (other, _) = counter().await;
        let (port, _log) = site(other).await;
        let detector = detector();
        let outbound = only(port);
        watch(store, "forum", port, 2).await;
        let config = PatrolConfig {
            report_min_score: 1.01,
            politeness: Politeness {
                min: Duration::from_millis(5),
                max: Duration::from_millis(5),
                factor: 0.0,
                ..Politeness::default()
            },
            ..PatrolConfig::default()
        };
        let stats = Patrol::new(store, &detector, &outbound, config)
            .run_once()
            .await
            .unwrap();
        assert!(stats.fetched >= 8, "{stats:?}");
        assert_eq!(stats.reported, 0, "{stats:?}");
    });
}

/// A host that answers 503 to everything: retried with a growing back-off until its error
/// budget is spent, then left alone (the run ends instead of waiting on it).
#[test]
fn a_failing_host_spends_its_error_budget_and_is_left_alone() {
    let db = testing::sqlite();
    on_runtime(failing(&db.store));
}

async fn failing(store: &ronda_store::Store) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push((path.clone(), Instant::now()));
            let status = if path == "/robots.txt" {
                "404 Not Found"
            } else {
                "503 Service Unavailable"
            };
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    let detector = detector();
    let outbound = only(port);
    watch(store, "down", port, 0).await;
    let config = PatrolConfig {
        politeness: Politeness {
            min: Duration::from_millis(1),
            max: Duration::from_millis(1),
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_secs(120),
            error_budget: 3,
            ..Politeness::default()
        },
        max_attempts: 10,
        ..PatrolConfig::default()
    };
    let started = Instant::now();
    let stats = Patrol::new(store, &detector, &outbound, config)
        .run_once()
        .await
        .unwrap();
    let pages = log.lock().unwrap().iter().filter(|(p, _)| p == "/").count();
    assert_eq!(pages, 3, "three tries, then the budget is spent: {stats:?}");
    assert_eq!(stats.errors, 3);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run did not wait two minutes"
    );
    assert_eq!(
        store
            .host_failures(&format!("http://127.0.0.1:{port}"))
            .unwrap(),
        3
    );
    let c = store.frontier_counts(store.now_ms() + 1_000).unwrap();
    assert_eq!(
        (c.queued, c.failed, c.hosts_failing),
        (1, 0, 1),
        "the URL stays queued"
    );
}
