//! The webhook outbox shared by several instances, on both backends: two stores on one
//! database ("instances") claim concurrently and every event is claimed once; a claim that
//! lapsed is taken again (at least once after a crash) and the late answer changes nothing; an
//! event whose secret does not unseal is flagged and skipped without holding back another
//! platform; an instance with another key refuses to open the database.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::collections::HashSet;
use std::sync::Arc;

use ronda_core::clock::{ManualClock, SystemClock};
use ronda_store::db::Param;
use ronda_store::on_both_backends;
use ronda_store::testing as common;
use ronda_store::{Store, StoreError, StoreOptions};

fn platform_id(s: &Store, name: &str) -> i64 {
    s.list_platforms()
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
        .id
}

/// Queues `n` events for `platform` (as a notice would, in the outbox table).
fn queue(s: &Store, platform: i64, n: i64) {
    s.write_blocking(1, move |tx| {
        for i in 0..n {
            let now = tx.now_ms();
            let body = format!("{{\"event\":\"notice.sent\",\"n\":{i}}}");
            let id = format!("dlv_test_{platform}_{i}");
            tx.conn().execute(
                "INSERT INTO outbox (platform_id, event, payload, created_at, attempts, next_attempt_at, delivery_id) \
                 VALUES ($1, 'notice.sent', $2, $3, 0, $3, $4)",
                &[Param::from(platform), Param::from(body.as_str()), Param::from(now), Param::from(id.as_str())],
            )?;
        }
        Ok(())
    })
    .unwrap();
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

on_both_backends! {
    fn two_instances_claim_each_event_once(db: &TestDb) {
        let a = &db.store;
        let b = common::open(db.location.clone(), Arc::new(SystemClock));
        let michat = platform_id(a, "michat");
        block_on(a.register_webhook("test".into(), "michat".into(), "http://127.0.0.1:9/h".into())).unwrap();
        queue(a, michat, 40);
        let claim_all = |s: Store| {
            std::thread::spawn(move || {
                block_on(async {
                    let mut got = Vec::new();
                    while let Some(d) = s.claim_delivery(michat, 60_000).await.unwrap() {
                        got.push(d.outbox_id);
                    }
                    got
                })
            })
        };
        let (ta, tb) = (claim_all(a.clone()), claim_all(b.clone()));
        let (ga, gb) = (ta.join().unwrap(), tb.join().unwrap());
        let all: Vec<i64> = ga.iter().chain(&gb).copied().collect();
        let unique: HashSet<i64> = all.iter().copied().collect();
        assert_eq!((all.len(), unique.len()), (40, 40), "each event claimed once: {ga:?} / {gb:?}");
        b.close();
    }

    fn a_lapsed_claim_is_taken_again_and_the_late_answer_changes_nothing(db: &TestDb) {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let a = common::open(db.location.clone(), clock.clone());
        let michat = platform_id(&a, "michat");
        block_on(a.register_webhook("test".into(), "michat".into(), "http://127.0.0.1:9/h".into())).unwrap();
        queue(&a, michat, 1);
        let first = block_on(a.claim_delivery(michat, 1_000)).unwrap().unwrap();
        assert!(block_on(a.claim_delivery(michat, 1_000)).unwrap().is_none(), "held");
        clock.advance_ms(1_001);
        let second = block_on(a.claim_delivery(michat, 1_000)).unwrap().unwrap();
        assert_eq!((second.outbox_id, &second.delivery_id), (first.outbox_id, &first.delivery_id),
            "the same event, with the same delivery id");
        // The first claimant answers late: logged, but the row is the second's.
        block_on(a.record_delivery(first.outbox_id, first.claim_token, Some(204), None, 1000)).unwrap();
        assert!(block_on(a.claim_delivery(michat, 1_000)).unwrap().is_none(), "still held by the second");
        block_on(a.record_delivery(second.outbox_id, second.claim_token, Some(204), None, 1000)).unwrap();
        clock.advance_ms(10_000);
        assert!(block_on(a.claim_delivery(michat, 1_000)).unwrap().is_none(), "delivered");
        let log = a.webhook_attempts("michat", 10).unwrap();
        assert_eq!(log.len(), 2);
        assert!(log.iter().all(|l| l.delivered));
        a.close();
    }

    fn an_event_that_cannot_be_unsealed_is_flagged_and_skipped(db: &TestDb) {
        let s = &db.store;
        let (michat, wa) = (platform_id(s, "michat"), platform_id(s, "whatsapp"));
        for name in ["michat", "whatsapp"] {
            block_on(s.register_webhook("test".into(), name.into(), "http://127.0.0.1:9/h".into())).unwrap();
        }
        s.write_blocking(1, move |tx| {
            tx.conn().execute("UPDATE webhooks SET secret = 's1:bm90IHNlYWxlZCB3aXRoIHRoaXMga2V5' WHERE platform_id = $1", &[Param::from(michat)])?;
            Ok(())
        }).unwrap();
        queue(s, michat, 2);
        queue(s, wa, 1);
        assert!(block_on(s.claim_delivery(michat, 60_000)).unwrap().is_none(), "both flagged");
        assert!(block_on(s.claim_delivery(wa, 60_000)).unwrap().is_some(), "the other platform goes on");
        let log = s.webhook_attempts("michat", 10).unwrap();
        assert_eq!(log.len(), 2);
        assert!(log.iter().all(|l| l.flagged && l.error.as_deref().is_some_and(|e| e.contains("unsealed"))), "{log:?}");
        assert!(s.due_platforms(s.now_ms(), &[]).unwrap().is_empty(), "flagged rows are not due");
    }

    fn an_instance_with_another_key_refuses_to_open(db: &TestDb) {
        let other = Store::open(
            StoreOptions {
                location: db.location.clone(),
                max_readers: 1,
                sealer: ronda_store::seal::Sealer::new(&[8; 32]),
                link: ronda_link::LinkConfig::default(),
                deadlines: ronda_core::workflow::DeadlinePolicy::default(),
                lock_timeout_ms: ronda_store::store::DEFAULT_LOCK_TIMEOUT_MS,
            },
            Arc::new(SystemClock),
        );
        let e = other.err().unwrap();
        assert!(matches!(e, StoreError::KeyMismatch { purpose: "seal", .. }), "{e}");
        assert!(e.to_string().contains("secret_key_file"), "{e}");
    }
}
