//! Scoring a linking against the truth: B-cubed precision and recall of actors, and precision
//! and recall of re-creation flags.

use std::collections::HashMap;
use std::hash::Hash;

use crate::batch::link_batch;
use crate::config::LinkConfig;
use crate::features::{FeatureExtractor, Features};
use crate::linker::Status;
use crate::scenario::ScenarioAccount;

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pr {
    pub precision: f64,
    pub recall: f64,
}

impl Pr {
    /// Harmonic mean (0 when both are 0).
    pub fn f1(&self) -> f64 {
        let s = self.precision + self.recall;
        if s == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / s
        }
    }
}

/// B-cubed precision and recall: per account, the share of its predicted actor that is truly
/// its actor (precision) and the share of its true actor that it was predicted with (recall),
/// averaged over accounts. `predicted[i]` and `truth[i]` label the same account. 1/1 when empty.
pub fn bcubed<P: Eq + Hash, T: Eq + Hash>(predicted: &[P], truth: &[T]) -> Pr {
    let n = predicted.len().min(truth.len());
    if n == 0 {
        return Pr {
            precision: 1.0,
            recall: 1.0,
        };
    }
    let mut joint: HashMap<(&P, &T), u64> = HashMap::new();
    let mut pred: HashMap<&P, u64> = HashMap::new();
    let mut tru: HashMap<&T, u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth).take(n) {
        *joint.entry((p, t)).or_default() += 1;
        *pred.entry(p).or_default() += 1;
        *tru.entry(t).or_default() += 1;
    }
    // Each account in cell (p, t) contributes n_pt / n_p to precision and n_pt / n_t to recall.
    let (mut ps, mut rs) = (0.0, 0.0);
    for ((p, t), &c) in &joint {
        let c = c as f64;
        ps += c * c / pred[p] as f64;
        rs += c * c / tru[t] as f64;
    }
    Pr {
        precision: ps / n as f64,
        recall: rs / n as f64,
    }
}

/// Precision and recall of binary flags (1 when nothing is flagged, resp. nothing should be).
pub fn flags(predicted: &[bool], truth: &[bool]) -> Pr {
    let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
    for (&p, &t) in predicted.iter().zip(truth) {
        match (p, t) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            (false, false) => {}
        }
    }
    let ratio = |a: u64, b: u64| {
        if a + b == 0 {
            1.0
        } else {
            a as f64 / (a + b) as f64
        }
    };
    Pr {
        precision: ratio(tp, fp),
        recall: ratio(tp, fneg),
    }
}

/// The four figures of a linking against the truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// B-cubed precision and recall of actors.
    pub actors: Pr,
    /// Precision and recall of re-creation flags (an active account flagged `recreation_of`).
    pub recreation: Pr,
}

impl Score {
    /// The smallest of the four figures.
    pub fn min(&self) -> f64 {
        self.actors
            .precision
            .min(self.actors.recall)
            .min(self.recreation.precision)
            .min(self.recreation.recall)
    }
}

/// The true re-creation flags of a scenario: active, and the true actor holds a taken-down
/// account.
pub fn true_recreations(actors: &[&str], statuses: &[Status]) -> Vec<bool> {
    let mut taken: HashMap<&str, bool> = HashMap::new();
    for (a, s) in actors.iter().zip(statuses) {
        *taken.entry(a).or_default() |= *s == Status::TakenDown;
    }
    actors
        .iter()
        .zip(statuses)
        .map(|(a, s)| *s == Status::Active && taken.get(a).copied().unwrap_or(false))
        .collect()
}

/// Links a generated scenario in one batch (like the CLI) and scores it.
pub fn score_scenario(accounts: &[ScenarioAccount], cfg: &LinkConfig) -> Score {
    let fx = FeatureExtractor::new(cfg);
    let feats: Vec<Features> = accounts
        .iter()
        .map(|a| fx.features(&a.display_name, &a.bio, &a.posts, a.avatar))
        .collect();
    let batch = accounts.iter().map(|a| a.status).zip(feats).collect();
    let linker = link_batch(cfg, batch);
    let n = accounts.len() as u32;
    let predicted: Vec<u64> = (0..n).map(|i| linker.actor(i).unwrap_or(0)).collect();
    let flagged: Vec<bool> = (0..n)
        .map(|i| !linker.recreation_of(i).is_empty())
        .collect();
    let truth: Vec<&str> = accounts.iter().map(|a| a.actor.as_str()).collect();
    let statuses: Vec<Status> = accounts.iter().map(|a| a.status).collect();
    Score {
        actors: bcubed(&predicted, &truth),
        recreation: flags(&flagged, &true_recreations(&truth, &statuses)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcubed_of_known_clusterings() {
        let truth = [1, 1, 1, 2, 2];
        let perfect = bcubed(&["a", "a", "a", "b", "b"], &truth);
        assert_eq!((perfect.precision, perfect.recall), (1.0, 1.0));
        // Everything in one cluster: recall 1, precision (3·3/5 + 2·2/5)/5 = 13/25.
        let lumped = bcubed(&[0, 0, 0, 0, 0], &truth);
        assert!((lumped.precision - 13.0 / 25.0).abs() < 1e-12);
        assert_eq!(lumped.recall, 1.0);
        // All singletons: precision 1, recall (3·1/3 + 2·1/2)/5 = 2/5.
        let split = bcubed(&[0, 1, 2, 3, 4], &truth);
        assert_eq!(split.precision, 1.0);
        assert!((split.recall - 0.4).abs() < 1e-12);
    }

    #[test]
    fn flag_precision_and_recall() {
        let pr = flags(&[true, true, false, false], &[true, false, true, false]);
        assert_eq!((pr.precision, pr.recall), (0.5, 0.5));
        assert_eq!(pr.f1(), 0.5);
        let none = flags(&[false], &[false]);
        assert_eq!((none.precision, none.recall), (1.0, 1.0));
    }
}
