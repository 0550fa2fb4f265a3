//! Deterministic training of the classifier.
//!
//! Multinomial logistic regression by stochastic gradient descent: one thread, a fixed seed for
//! the per-epoch shuffle (xorshift64*), fixed arithmetic order, so the same examples and
//! configuration always give a byte-identical model file. Classes are weighted by inverse
//! frequency. Every tenth example (by position) is held back to fit the softmax temperature
//! (grid search minimising log-loss), which calibrates the scores.

use crate::classifier::{Category, Model, N_CLASSES, rule_prior, softmax};
use crate::features::Features;
use crate::normalize::normalize;
use crate::rules::RuleSet;

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub bits: u8,
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Multiplier of the rule prior added to the logits (0 disables it).
    pub rule_prior: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            bits: crate::classifier::DEFAULT_BITS,
            epochs: 6,
            learning_rate: 0.4,
            l2: 1e-6,
            seed: 0x5eed_2026,
            rule_prior: 1.0,
        }
    }
}

/// What training reports besides the model.
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub examples: usize,
    pub per_class: [usize; N_CLASSES],
    pub calibration_examples: usize,
    pub temperature: f32,
    pub calibration_log_loss: f32,
}

/// Training errors.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrainError {
    #[error("no training examples")]
    Empty,
    #[error("hash bits {0} out of range 8..=24")]
    Bits(u8),
}

struct Prepared {
    text: String,
    rules: Vec<String>,
    prior: [f32; N_CLASSES],
    label: usize,
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    s.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn features(p: &Prepared, bits: u8) -> Features {
    let ids: Vec<&str> = p.rules.iter().map(String::as_str).collect();
    Features::collect(&p.text, &ids, bits)
}

/// Trains a model on raw texts and labels.
pub fn train(
    examples: &[(String, Category)],
    rules: &RuleSet,
    cfg: &TrainConfig,
) -> Result<(Model, TrainReport), TrainError> {
    if examples.is_empty() {
        return Err(TrainError::Empty);
    }
    if !(8..=24).contains(&cfg.bits) {
        return Err(TrainError::Bits(cfg.bits));
    }
    let prepared: Vec<Prepared> = examples
        .iter()
        .map(|(t, c)| {
            let n = normalize(t).into_string();
            let hits = rules.find(&n);
            let fired = hits.iter().map(|h| &rules.rules()[h.rule]);
            let prior = rule_prior(fired.clone().map(|r| (r.category.as_str(), r.weight)));
            Prepared {
                text: n,
                rules: fired.map(|r| r.id.clone()).collect(),
                prior,
                label: c.index(),
            }
        })
        .collect();
    let (calib, fit): (Vec<usize>, Vec<usize>) =
        (0..prepared.len()).partition(|i| i % 10 == 9 && prepared.len() >= 50);
    let mut per_class = [0usize; N_CLASSES];
    for &i in &fit {
        per_class[prepared[i].label] += 1;
    }
    let total = fit.len() as f32;
    let class_weight: Vec<f32> = per_class
        .iter()
        .map(|&n| {
            if n == 0 {
                0.0
            } else {
                (total / (N_CLASSES as f32 * n as f32)).clamp(0.2, 5.0)
            }
        })
        .collect();

    let n = 1usize << cfg.bits;
    let mut w = vec![[0f32; N_CLASSES]; n];
    let mut bias = [0f32; N_CLASSES];
    let mut order = fit.clone();
    let mut rng = cfg.seed | 1;
    let mut t: f32 = 0.0;
    let decay = 1.0 / (fit.len().max(1) as f32);
    for _ in 0..cfg.epochs {
        for k in (1..order.len()).rev() {
            let j = (xorshift(&mut rng) % (k as u64 + 1)) as usize;
            order.swap(k, j);
        }
        for &i in &order {
            let p = &prepared[i];
            let f = features(p, cfg.bits);
            // The rule prior is left out while fitting: the weights learn from the data alone and
            // the supervisor's rule weights add to them at inference (and in calibration below).
            let mut logits = bias;
            for &(h, v) in &f.entries {
                let row = &w[h as usize];
                for c in 0..N_CLASSES {
                    logits[c] += row[c] * v;
                }
            }
            let prob = softmax(logits, 1.0);
            let lr = cfg.learning_rate / (1.0 + decay * t);
            t += 1.0;
            let cw = class_weight[p.label];
            let mut g = [0f32; N_CLASSES];
            for c in 0..N_CLASSES {
                let y = if c == p.label { 1.0 } else { 0.0 };
                g[c] = cw * (prob[c] - y);
            }
            for &(h, v) in &f.entries {
                let row = &mut w[h as usize];
                for c in 0..N_CLASSES {
                    row[c] -= lr * (g[c] * v + cfg.l2 * row[c]);
                }
            }
            for c in 0..N_CLASSES {
                bias[c] -= lr * 0.1 * g[c];
            }
        }
    }
    let mut model = Model::from_weights(cfg.bits, &w, bias, 1.0, cfg.rule_prior);
    // Temperature on the held-back tenth.
    let calib_logits: Vec<([f32; N_CLASSES], usize)> = calib
        .iter()
        .map(|&i| {
            let p = &prepared[i];
            (model.logits_of(&features(p, cfg.bits), &p.prior), p.label)
        })
        .collect();
    let nll = |temp: f32| -> f32 {
        if calib_logits.is_empty() {
            return 0.0;
        }
        let s: f32 = calib_logits
            .iter()
            .map(|(l, y)| -(softmax(*l, temp)[*y].max(1e-7)).ln())
            .sum();
        s / calib_logits.len() as f32
    };
    let mut best = (1.0f32, nll(1.0));
    // Never sharpen below 1: the synthetic corpus is easier than real posts, and a temperature
    // fitted on it alone would make scores overconfident.
    for step in 0..=60 {
        let temp = 1.0 + step as f32 * 0.05;
        let v = nll(temp);
        if v < best.1 {
            best = (temp, v);
        }
    }
    model = Model::from_weights(cfg.bits, &w, bias, best.0, cfg.rule_prior);
    Ok((
        model,
        TrainReport {
            examples: prepared.len(),
            per_class,
            calibration_examples: calib.len(),
            temperature: best.0,
            calibration_log_loss: best.1,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<(String, Category)> {
        let mut v = Vec::new();
        for i in 0..30 {
            v.push((
                format!("open bo malam ini {i} real pict no tipu"),
                Category::Prostitution,
            ));
            v.push((
                format!("video bokep full durasi link {i}"),
                Category::Pornography,
            ));
            v.push((format!("slot gacor maxwin depo {i}k"), Category::Gambling));
            v.push((
                format!("kue bolu open order {i} ready stock"),
                Category::Clear,
            ));
        }
        v
    }

    #[test]
    fn same_input_gives_byte_identical_model() {
        let rules = RuleSet::default_rules().expect("rules");
        let cfg = TrainConfig {
            bits: 14,
            epochs: 3,
            ..TrainConfig::default()
        };
        let (a, _) = train(&toy(), &rules, &cfg).expect("train");
        let (b, _) = train(&toy(), &rules, &cfg).expect("train");
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn learns_the_toy_classes() {
        let rules = RuleSet::default_rules().expect("rules");
        let cfg = TrainConfig {
            bits: 14,
            epochs: 5,
            ..TrainConfig::default()
        };
        let (m, report) = train(&toy(), &rules, &cfg).expect("train");
        assert_eq!(report.examples, 120);
        let top = |s: &str| {
            let n = normalize(s).into_string();
            let p = m.scores(&n, &[], &[0.0; N_CLASSES]);
            let i = (0..N_CLASSES)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(3);
            Category::ALL[i]
        };
        assert_eq!(top("open bo jogja no tipu"), Category::Prostitution);
        assert_eq!(top("slot gacor hari ini"), Category::Gambling);
        assert_eq!(top("kue bolu ready stock"), Category::Clear);
    }

    #[test]
    fn empty_is_an_error() {
        let rules = RuleSet::default_rules().expect("rules");
        assert_eq!(
            train(&[], &rules, &TrainConfig::default()).err(),
            Some(TrainError::Empty)
        );
    }
}
