#![allow(clippy::unwrap_used, reason = "diagnostic")]
use ronda_link::LinkConfig;
use ronda_link::eval::score_scenario;
use ronda_link::scenario::{ScenarioConfig, generate};
fn main() {
    let d = ScenarioConfig::default();
    let mixes = [
        ("default", d.clone()),
        (
            "edit0.15",
            ScenarioConfig {
                edit_rate: 0.15,
                ..d.clone()
            },
        ),
        (
            "big actors",
            ScenarioConfig {
                actor_size: (2, 12),
                ..d.clone()
            },
        ),
        (
            "template heavy",
            ScenarioConfig {
                kind_weights: [0, 0, 1, 1, 0],
                ..d.clone()
            },
        ),
        (
            "10k",
            ScenarioConfig {
                accounts: 10000,
                ..d.clone()
            },
        ),
    ];
    for (name, m) in mixes {
        for seed in [3u64, 4] {
            let s = score_scenario(
                &generate(&ScenarioConfig { seed, ..m.clone() }),
                &LinkConfig::default(),
            );
            println!(
                "{name:>15} seed {seed}: P {:.4} R {:.4} | rec P {:.4} R {:.4}",
                s.actors.precision, s.actors.recall, s.recreation.precision, s.recreation.recall
            );
        }
    }
}
