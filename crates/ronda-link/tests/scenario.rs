//! End-to-end quality on generated scenarios: B-cubed precision and recall of actors and
//! precision and recall of re-creation flags, each at least 0.95.

use ronda_link::LinkConfig;
use ronda_link::eval::score_scenario;
use ronda_link::scenario::{ScenarioConfig, generate};

fn check(cfg: ScenarioConfig) {
    let accounts = generate(&cfg);
    let s = score_scenario(&accounts, &LinkConfig::default());
    eprintln!(
        "seed {} ({} accounts): actors P {:.4} R {:.4}; re-creation P {:.4} R {:.4}",
        cfg.seed,
        accounts.len(),
        s.actors.precision,
        s.actors.recall,
        s.recreation.precision,
        s.recreation.recall
    );
    assert!(s.min() >= 0.95, "{s:?}");
}

#[test]
fn default_mix_scores_at_least_095() {
    check(ScenarioConfig {
        accounts: 4000,
        seed: 11,
        ..ScenarioConfig::default()
    });
}

#[test]
fn content_heavy_mix_with_bigger_actors_scores_at_least_095() {
    check(ScenarioConfig::content_heavy(3000, 2024));
}
