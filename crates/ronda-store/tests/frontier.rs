//! The patrol's frontier on both backends: the seen-set, one URL per host in flight across
//! crawlers, a host's `next_at` respected, leases that run out given back (and a late finish
//! refused), recrawl and failure scheduling, disabled watch lists skipped, counts.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::crawl::watchlist::{Scope, WatchListSpec};
use ronda_store::frontier::{FetchOutcome, NewUrl};
use ronda_store::on_both_backends;
use ronda_store::testing::block;
use ronda_store::{Store, StoreError};

const NEVER: i64 = i64::MAX / 2;

fn list(s: &Store, name: &str) -> i64 {
    let spec = WatchListSpec {
        name: name.into(),
        seeds: vec!["http://a.test/".into()],
        depth: 1,
        scope: Scope::Host,
        hosts: vec![],
        every_ms: 3_600_000,
        ignore_robots: false,
        keywords: vec![],
    };
    block(s.create_watchlist("lead:budi".into(), spec.validate().unwrap())).unwrap()
}

fn url(host: &str, path: &str) -> NewUrl {
    NewUrl {
        url: format!("http://{host}{path}"),
        host: format!("http://{host}:80"),
        depth: 0,
    }
}

fn done(due_at: i64, host_next_at: i64) -> FetchOutcome {
    FetchOutcome {
        status: Some(200),
        due_at: Some(due_at),
        host_next_at,
        ..FetchOutcome::default()
    }
}

on_both_backends! {
    fn one_url_per_host_in_flight_and_leases_given_back(db: &TestDb) {
        let s = &db.store;
        let w = list(s, "forum");
        let urls = vec![url("a.test", "/1"), url("a.test", "/2"), url("a.test", "/3"), url("b.test", "/1"), url("a.test", "/1")];
        assert_eq!(block(s.enqueue_urls(w, urls, 0)).unwrap(), 4, "the seen-set drops the repeat");
        assert_eq!(block(s.enqueue_urls(w, vec![url("a.test", "/2")], 0)).unwrap(), 0);

        let first = block(s.claim_fetches("crawler-1".into(), 10, 60_000)).unwrap();
        let hosts: Vec<&str> = first.iter().map(|c| c.host.as_str()).collect();
        assert_eq!(hosts, ["http://a.test:80", "http://b.test:80"], "one per host");
        assert!(block(s.claim_fetches("crawler-2".into(), 10, 60_000)).unwrap().is_empty(), "both hosts in flight");
        assert_eq!(s.frontier_in_flight().unwrap(), 2);

        let a = first[0].clone();
        let late = block(s.finish_fetch("crawler-2".into(), a.id, done(NEVER, 0)));
        assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
        // a.test may not be asked again for a long while; b.test at once.
        block(s.finish_fetch("crawler-1".into(), a.id, done(NEVER, NEVER))).unwrap();
        block(s.finish_fetch("crawler-1".into(), first[1].id, done(NEVER, 0))).unwrap();
        assert!(block(s.claim_fetches("crawler-2".into(), 10, 60_000)).unwrap().is_empty(), "a.test waits for next_at");
        // Due URLs of a waiting host become claimable when the host may be asked again.
        assert_eq!(s.next_claimable_at(0, 1).unwrap(), Some(NEVER));
        assert_eq!(s.next_claimable_at(0, -1).unwrap(), None, "nothing due by then");

        // A crawler that dies: its lease runs out, the URL and its host are given back.
        assert_eq!(block(s.enqueue_urls(w, vec![url("c.test", "/x")], 0)).unwrap(), 1);
        let held = block(s.claim_fetches("crawler-1".into(), 10, -1)).unwrap();
        assert_eq!(held.len(), 1);
        let again = block(s.claim_fetches("crawler-2".into(), 10, 60_000)).unwrap();
        assert_eq!(again.iter().map(|c| c.id).collect::<Vec<_>>(), [held[0].id]);
        let dead = block(s.finish_fetch("crawler-1".into(), held[0].id, done(NEVER, 0)));
        assert!(matches!(dead, Err(StoreError::Conflict(_))), "{dead:?}");
        // A failure counts against the host and, without a next due time, ends the URL.
        let failed = FetchOutcome { error: Some("timeout".into()), host_failed: true, due_at: None, host_next_at: 0, ..FetchOutcome::default() };
        block(s.finish_fetch("crawler-2".into(), again[0].id, failed)).unwrap();
        assert_eq!(s.host_failures("http://c.test:80").unwrap(), 1);
        assert_eq!(s.host_failures("http://b.test:80").unwrap(), 0);

        let counts = s.frontier_counts(0).unwrap();
        assert_eq!((counts.queued, counts.due, counts.claimed, counts.failed), (4, 2, 0, 1));
        assert_eq!((counts.hosts, counts.hosts_failing), (3, 1));

        // A disabled watch list's URLs are not handed out.
        let other = list(s, "feed");
        block(s.enqueue_urls(other, vec![url("d.test", "/")], 0)).unwrap();
        block(s.set_watchlist_enabled("lead:budi".into(), other, false)).unwrap();
        assert!(block(s.claim_fetches("crawler-2".into(), 10, 60_000)).unwrap().is_empty());
        block(s.set_watchlist_enabled("lead:budi".into(), other, true)).unwrap();
        let d = block(s.claim_fetches("crawler-2".into(), 10, 60_000)).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].url, "http://d.test/");

        // What the console and the API show: per watch list, per host, the latest errors.
        let lists = s.watchlist_summaries(0).unwrap();
        let forum = lists.iter().find(|l| l.row.id == w).unwrap();
        assert_eq!(
            (forum.queued, forum.due, forum.in_flight, forum.given_up, forum.fetched, forum.findings),
            (4, 2, 0, 1, 2, 0),
            "{forum:?}"
        );
        let feed = lists.iter().find(|l| l.row.id == other).unwrap();
        assert_eq!((feed.queued, feed.in_flight), (0, 1));
        assert_eq!(s.watchlist_summary(w, 0).unwrap().as_ref(), Some(forum), "one list alone, the same figures");
        assert_eq!(s.watchlist_summary(9_999, 0).unwrap(), None);
        let hosts = s.frontier_hosts(10).unwrap();
        assert_eq!(hosts[0].host, "http://c.test:80", "failing hosts first: {hosts:?}");
        assert_eq!(hosts[0].failures, 1);
        let a = hosts.iter().find(|h| h.host == "http://a.test:80").unwrap();
        assert_eq!((a.queued, a.next_at, a.in_flight), (3, NEVER, false));
        assert!(hosts.iter().any(|h| h.host == "http://d.test:80" && h.in_flight));
        let errors = s.frontier_errors(None, 10).unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].url.as_str(), errors[0].error.as_str(), errors[0].state.as_str()),
                   ("http://c.test/x", "timeout", "failed"));
        assert!(s.frontier_errors(Some(other), 10).unwrap().is_empty());
        assert_eq!(s.frontier_errors(Some(w), 10).unwrap().len(), 1);
    }
}
