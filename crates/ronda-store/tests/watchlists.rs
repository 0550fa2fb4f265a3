//! Watch lists on both backends: stored as validated (canonical seeds), due at once, listed,
//! one name once, disabled and enabled, robots.txt switched — every change audited under the
//! person who made it, and the chain still verifies.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use ronda_core::crawl::watchlist::{Scope, WatchListSpec};
use ronda_store::StoreError;
use ronda_store::on_both_backends;
use ronda_store::testing::block;

fn spec(name: &str) -> WatchListSpec {
    WatchListSpec {
        name: name.into(),
        seeds: vec![
            "HTTP://Forum.test/jual?utm_source=wa#top".into(),
            "http://forum.test/feed.xml".into(),
        ],
        depth: 2,
        scope: Scope::Listed,
        hosts: vec!["cdn.forum.test".into()],
        every_ms: 6 * 3_600_000,
        ignore_robots: false,
        keywords: vec![],
    }
}

on_both_backends! {
    fn watch_lists_are_stored_switched_and_audited(db: &TestDb) {
        let s = &db.store;
        let list = spec("Forum jual beli").validate().unwrap();
        let id = block(s.create_watchlist("admin:ayu".into(), list.clone())).unwrap();
        let w = s.get_watchlist(id).unwrap().unwrap();
        assert_eq!(w.list, list);
        assert_eq!(w.list.seeds, ["http://forum.test/jual", "http://forum.test/feed.xml"]);
        assert!(w.enabled && w.last_run_at.is_none());
        assert_eq!(w.next_run_at, w.created_at, "due at once");
        assert_eq!(w.created_by, "admin:ayu");

        let again = block(s.create_watchlist("admin:ayu".into(), list.clone()));
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let other = block(s.create_watchlist("lead:budi".into(), spec("Feed").validate().unwrap())).unwrap();
        let names: Vec<String> = s.list_watchlists().unwrap().into_iter().map(|w| w.list.name).collect();
        assert_eq!(names, ["Forum jual beli", "Feed"]);

        assert!(block(s.set_watchlist_enabled("lead:budi".into(), id, false)).unwrap());
        assert!(!block(s.set_watchlist_enabled("lead:budi".into(), id, false)).unwrap(), "no change");
        assert!(!s.get_watchlist(id).unwrap().unwrap().enabled);
        assert!(s.get_watchlist(other).unwrap().unwrap().enabled);
        assert!(block(s.set_watchlist_ignore_robots("admin:ayu".into(), id, true)).unwrap());
        assert!(s.get_watchlist(id).unwrap().unwrap().list.ignore_robots);
        let missing = block(s.set_watchlist_enabled("lead:budi".into(), 999, true));
        assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");

        let events = s.audit_events_for(&format!("watchlist:{id}")).unwrap();
        let seen: Vec<(&str, &str)> = events.iter().map(|e| (e.actor.as_str(), e.action.as_str())).collect();
        assert_eq!(seen, [
            ("admin:ayu", "watchlist.created"),
            ("lead:budi", "watchlist.enabled"),
            ("admin:ayu", "watchlist.ignore_robots"),
        ]);
        assert_eq!(events[2].before.as_deref(), Some(r#"{"ignore_robots":false}"#));
        assert_eq!(events[2].after.as_deref(), Some(r#"{"ignore_robots":true}"#));
        assert!(s.verify_audit().unwrap().is_ok());
    }

    fn of_crawlers_racing_for_one_round_one_starts_it(db: &TestDb) {
        let s = &db.store;
        let id = block(s.create_watchlist("admin:ayu".into(), spec("Forum").validate().unwrap())).unwrap();
        let due = s.get_watchlist(id).unwrap().unwrap().next_run_at;
        assert!(block(s.advance_watchlist_round(id, due)).unwrap(), "the first one starts it");
        assert!(!block(s.advance_watchlist_round(id, due)).unwrap(), "the second one does not");
        let w = s.get_watchlist(id).unwrap().unwrap();
        assert_eq!(w.next_run_at, w.last_run_at.unwrap() + 6 * 3_600_000);
        assert!(s.due_watchlists().unwrap().is_empty(), "not due until the next round");
    }
}
