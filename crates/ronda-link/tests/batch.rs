//! The batch linker decides exactly as the incremental linker primed with the whole batch:
//! same actors, same re-creation flags, same links with the same evidence, same hubs.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use ronda_link::batch::reduce_text;
use ronda_link::scenario::{ScenarioConfig, generate};
use ronda_link::{FeatureExtractor, Features, LinkConfig, Linker, Status, link_batch};

type Links = Vec<(u32, Vec<(String, String)>)>;

fn links_of<'a>(it: impl Iterator<Item = (u32, &'a [ronda_link::Evidence])>) -> Links {
    let mut v: Links = it
        .map(|(other, ev)| {
            let ev = ev
                .iter()
                .map(|e| (e.signal.as_str().to_string(), e.value.clone()))
                .collect();
            (other, ev)
        })
        .collect();
    v.sort();
    v
}

fn same_as_primed_linker(scenario: ScenarioConfig, cfg: LinkConfig) {
    let accounts = generate(&scenario);
    let fx = FeatureExtractor::new(&cfg);
    let feats: Vec<(Status, Features)> = accounts
        .iter()
        .map(|a| {
            (
                a.status,
                fx.features(&a.display_name, &a.bio, &a.posts, a.avatar),
            )
        })
        .collect();

    let batch = link_batch(&cfg, feats.clone());
    // The incremental linker, primed with the batch after the same text reduction.
    let mut reduced: Vec<Features> = feats.iter().map(|(_, f)| f.clone()).collect();
    reduce_text(&cfg, &mut reduced);
    let mut linker = Linker::new(cfg.clone());
    for f in &reduced {
        linker.prime(f);
    }
    for ((s, _), f) in feats.into_iter().zip(reduced) {
        linker.add(s, f);
    }

    assert_eq!(batch.len(), accounts.len());
    assert_eq!(batch.link_count(), linker.link_count());
    assert!(batch.link_count() > accounts.len() / 10, "links were made");
    let mut flagged = 0;
    for i in 0..accounts.len() as u32 {
        assert_eq!(batch.actor(i), linker.actor(i), "actor of account {i}");
        assert_eq!(
            batch.recreation_of(i),
            linker.recreation_of(i),
            "account {i}"
        );
        assert_eq!(
            links_of(batch.evidence(i)),
            links_of(linker.evidence(i)),
            "links of account {i}"
        );
        flagged += usize::from(!batch.recreation_of(i).is_empty());
    }
    assert!(flagged > 0, "re-creations were flagged");
    assert_eq!(batch.merges().len(), linker.merges().len());
    assert_eq!(batch.hubs(), linker.hubs().as_slice());
    assert!(!batch.hubs().is_empty(), "the scenario's hotlines are hubs");
}

#[test]
fn batch_equals_primed_incremental_linker_on_the_default_mix() {
    same_as_primed_linker(
        ScenarioConfig {
            accounts: 3000,
            seed: 5,
            ..ScenarioConfig::default()
        },
        LinkConfig::default(),
    );
}

#[test]
fn batch_equals_primed_incremental_linker_with_tight_limits() {
    // Small K and hub limit: many values generic, many buckets skipped.
    same_as_primed_linker(
        ScenarioConfig::content_heavy(2500, 77),
        LinkConfig {
            generic_max: 6,
            generic_share: 0.004, // evidence limit 10, enumeration limit 6
            hub_max: 4,
            ..LinkConfig::default()
        },
    );
}

#[test]
fn empty_and_single_batches() {
    let cfg = LinkConfig::default();
    let empty = link_batch(&cfg, Vec::new());
    assert!(empty.is_empty());
    assert_eq!(empty.link_count(), 0);
    let fx = FeatureExtractor::new(&cfg);
    let one = link_batch(
        &cfg,
        vec![(
            Status::TakenDown,
            fx.features::<&str>("Rina", "WA 081234567890", &[], None),
        )],
    );
    assert_eq!(one.actor(0), Some(1));
    assert!(one.recreation_of(0).is_empty());
    assert_eq!(one.evidence(0).count(), 0);
}
