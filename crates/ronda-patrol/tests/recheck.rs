//! The patrol's own re-checks of claimed removals, against a site served by the test on
//! 127.0.0.1: three confirmed cases whose platforms answered "removed" —
//! a page that now answers 404, a page still online, and a MiChat account whose profile page
//! says "Akun tidak ditemukan" (the platform's gone marker from the configuration).
//! Shown: without anyone's hand, the two gone targets become verified removals (notice
//! `removed`, the account taken down) recorded under the patrol's name; the one still online
//! goes back up the ladder (notice `still_online`); a case a person closed meanwhile is
//! recorded as left to people without stopping the pass; nothing is checked twice for one answer;
//! a day later the page that came back with an offer on it is reported again.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ronda_core::clock::{Clock, Millis, SystemClock};
use ronda_core::model::Category;
use ronda_core::report::ReportInput;
use ronda_core::workflow::DeadlinePolicy;
use ronda_detect::Engine;
use ronda_outbound::{Outbound, Policy};
use ronda_patrol::crawl::{Patrol, PatrolConfig};
use ronda_service::config::GoneRule;
use ronda_service::detection::Detector;
use ronda_store::Store;
use ronda_store::db::Param;
use ronda_store::intake::IntakeContext;
use ronda_store::notices::Response;
use ronda_store::review::{Decision, Reviewer, Verdict};
use ronda_store::testing::{self, block};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DAY_MS: i64 = 86_400_000;
const OFFER: &str = "open BO jogja ST 350k include room, WA 0812 3456 7890";

#[derive(Debug, Default)]
struct Later(AtomicI64);

impl Clock for Later {
    fn now_ms(&self) -> Millis {
        SystemClock.now_ms() + self.0.load(Ordering::SeqCst)
    }
}

/// The site: `/post/gone` answers 404 until `back` is set (then the offer again),
/// `/post/still` the offer, `/u/sari` MiChat's "account not found" page.
async fn site(back: Arc<AtomicBool>, log: Arc<Mutex<Vec<String>>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let back = back.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                log.lock().unwrap().push(path.clone());
                let page = |b: &str| format!("<html><body><p>{b}</p></body></html>");
                let (status, body) = match path.as_str() {
                    "/post/gone" if back.load(Ordering::SeqCst) => ("200 OK", page(OFFER)),
                    "/post/still" => ("200 OK", page(OFFER)),
                    "/u/sari" => ("200 OK", page("Maaf, akun tidak ditemukan.")),
                    _ => ("404 Not Found", page("tidak ada")),
                };
                let _ = sock
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    port
}

/// A confirmed case of `target` whose notice the platform answered with "removed"; the
/// case's id and the notice's.
fn removed_by_platform(s: &Store, platform: &str, target: &str) -> (i64, i64) {
    let json = format!(
        r#"{{"source":"public","platform":"{platform}","target":{target},"category":"prostitution","text":"{OFFER}"}}"#
    );
    let r = serde_json::from_str::<ReportInput>(&json)
        .unwrap()
        .validate(None)
        .unwrap();
    let a = s
        .submit_report_blocking(
            r,
            IntakeContext {
                actor: "public".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let who = Reviewer::token(1, "token:1");
    block(s.claim_case(who.clone(), a.case_id, 60_000)).unwrap();
    let d = Decision {
        verdict: Verdict::Confirm,
        category: Some(Category::Prostitution),
        legal_basis: Some("uu_ite_27_1".into()),
        note: Some("iklan open BO".into()),
        override_claim: false,
        approval_categories: Vec::new(),
    };
    let notice = block(s.decide_case(who, a.case_id, d, DeadlinePolicy::default()))
        .unwrap()
        .notice_id
        .unwrap();
    block(s.respond_to_notice(
        "platform".into(),
        Some(platform.into()),
        notice,
        Response::Removed,
        None,
    ))
    .unwrap();
    (a.case_id, notice)
}

#[test]
fn the_patrol_turns_a_claimed_removal_into_a_verified_one_sqlite() {
    let clock = Arc::new(Later::default());
    let db = testing::sqlite_with(clock.clone());
    rechecks(&db.store, &clock);
}

#[test]
fn the_patrol_turns_a_claimed_removal_into_a_verified_one_postgres() {
    let clock = Arc::new(Later::default());
    let db = testing::postgres_with(clock.clone());
    rechecks(&db.store, &clock);
}

fn rechecks(s: &Store, clock: &Later) {
    let back = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Vec::new()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let port = rt.block_on(site(back.clone(), log.clone()));
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let (gone_case, gone_notice) =
        removed_by_platform(s, "web", &format!(r#"{{"url":"{}"}}"#, url("/post/gone")));
    let (_, still_notice) =
        removed_by_platform(s, "web", &format!(r#"{{"url":"{}"}}"#, url("/post/still")));
    let (sari_case, sari_notice) = removed_by_platform(s, "michat", r#"{"account":"sari"}"#);
    // A case a person closed meanwhile (its notice still says "removal claimed").
    let (closed_case, closed_notice) =
        removed_by_platform(s, "web", &format!(r#"{{"url":"{}"}}"#, url("/post/closed")));
    s.write_blocking(1, move |tx| {
        tx.conn().execute(
            "UPDATE cases SET status = 'closed' WHERE id = $1",
            &[Param::from(closed_case)],
        )?;
        Ok(())
    })
    .unwrap();

    let detector = Detector::new(
        Engine::with_defaults().unwrap(),
        "built-in".into(),
        &ronda_link::config::LinkConfig::default(),
    );
    let outbound = Outbound::new(Policy {
        allow: vec![format!("127.0.0.1:{port}").parse().unwrap()],
        public: false,
        timeout: Duration::from_secs(5),
        ..Policy::default()
    })
    .unwrap();
    let config = PatrolConfig {
        worker: "patrol:test".into(),
        gone: vec![GoneRule {
            platform: "michat".into(),
            profile_url: Some(url("/u/{account}")),
            markers: vec!["Akun tidak ditemukan".into()],
        }],
        ..PatrolConfig::default()
    };
    let patrol = Patrol::new(s, &detector, &outbound, config);

    let first = rt.block_on(patrol.recheck_removals()).unwrap();
    assert_eq!(
        (first.gone, first.still_there, first.unreachable),
        (3, 1, 0),
        "{first:?}"
    );
    assert_eq!(
        s.notice(closed_notice).unwrap().unwrap().status,
        "removal_claimed",
        "recorded, not applied to a case that moved on"
    );
    let closed_events = s.audit_events_for(&format!("case:{closed_case}")).unwrap();
    assert!(
        closed_events.iter().any(|e| e.actor == "patrol:test"
            && e.after
                .as_deref()
                .is_some_and(|a| a.contains("left_to_people"))),
        "{closed_events:?}"
    );
    assert_eq!(s.notice(gone_notice).unwrap().unwrap().status, "removed");
    assert_eq!(s.notice(sari_notice).unwrap().unwrap().status, "removed");
    assert_eq!(
        s.notice(still_notice).unwrap().unwrap().status,
        "still_online"
    );
    for case in [gone_case, sari_case] {
        let events = s.audit_events_for(&format!("case:{case}")).unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.actor == "patrol:test" && e.action == "case.rechecked"),
            "{events:?}"
        );
    }
    let asked = log.lock().unwrap().clone();
    assert_eq!(asked.len(), 4, "{asked:?}");

    // Nothing is due again for the same answers.
    let again = rt.block_on(patrol.recheck_removals()).unwrap();
    assert_eq!(again, Default::default());
    assert_eq!(log.lock().unwrap().len(), 4);

    // A day later the removed page is back with the offer: reported again (the case reopens
    // or links as for any report); the account still gone stays so.
    back.store(true, Ordering::SeqCst);
    clock.0.store(DAY_MS + 60_000, Ordering::SeqCst);
    let cases_before = s
        .audit_events_for(&format!("case:{gone_case}"))
        .unwrap()
        .len();
    let later = rt.block_on(patrol.recheck_removals()).unwrap();
    assert_eq!(
        (later.gone, later.still_there, later.reported_again),
        (1, 1, 1),
        "{later:?}"
    );
    assert!(
        s.audit_events_for(&format!("case:{gone_case}"))
            .unwrap()
            .len()
            > cases_before
    );
    let done = rt.block_on(patrol.recheck_removals()).unwrap();
    assert_eq!(done, Default::default(), "looked at once more, then done");
    assert!(s.verify_audit().unwrap().is_ok());
}
