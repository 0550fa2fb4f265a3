//! The engine the server and the CLI call: rules + model + policy, shared across threads.
//!
//! `Engine::analyze` runs the whole pipeline on one post: fold and normalise, extract
//! identifiers and ages, fire rules, score with the classifier, decide verdict and priority.
//! An `Engine` is immutable, `Send + Sync`, and cheap to share behind an `Arc`; reloading rules
//! or a model means building a new one and swapping it.

use std::ops::Range;

use crate::classifier::{Category, Model, ModelError, N_CLASSES, rule_prior};
use crate::identifiers::{self, IdKind};
use crate::normalize::{fold, needs_token_pass, normalize_folded};
use crate::policy::{self, Decision, PolicyConfig, PolicyInput, Priority, Verdict};
use crate::rules::{Reading, RuleError, RuleSet};

/// The model shipped in the crate (see `data/README.md` for how it was built).
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../model/default.bin");

/// Errors building an engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// An identifier with its span in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundIdentifier {
    pub kind: IdKind,
    pub value: String,
    /// Byte range in the original text (empty when read from number words).
    pub span: Range<usize>,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredRule {
    pub id: String,
    pub category: String,
    pub weight: f32,
    /// Byte range in the original text of the hit that fired it.
    pub span: Range<usize>,
}

/// Everything the engine says about one post.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub verdict: Verdict,
    pub category: Option<Category>,
    pub score: f32,
    /// Calibrated probabilities in model order (prostitution, pornography, gambling, clear).
    pub scores: [f32; N_CLASSES],
    pub priority: Priority,
    pub rules: Vec<FiredRule>,
    pub identifiers: Vec<FoundIdentifier>,
    pub ages: Vec<u8>,
    /// Byte ranges in the original text that mention a minor without a number (`di bawah
    /// umur`, `anak SMP`).
    pub minor_mentions: Vec<Range<usize>>,
    /// A stated age is under the policy's `minor_age`, or a minor is mentioned.
    pub minor: bool,
    /// A sexual or solicitation signal: a prostitution or pornography rule fired, or the
    /// score of one of them reached the policy's `urgent_score`.
    pub sexual: bool,
    /// How the text was read.
    pub reading: Reading,
    /// The features behind a non-clear verdict, strongest first, when asked for
    /// ([`Engine::analyze_explained`]); empty otherwise.
    pub features: Vec<(String, f32)>,
}

/// Rules + model + policy.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: RuleSet,
    model: Model,
    policy: PolicyConfig,
}

impl Engine {
    /// An engine from parts.
    pub fn new(rules: RuleSet, model: Model, policy: PolicyConfig) -> Engine {
        Engine {
            rules,
            model,
            policy,
        }
    }

    /// The embedded default rules and model with the default policy.
    pub fn with_defaults() -> Result<Engine, EngineError> {
        Ok(Engine::new(
            RuleSet::default_rules()?,
            Model::from_bytes(DEFAULT_MODEL)?,
            PolicyConfig::default(),
        ))
    }

    /// Rules in use.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Policy in use.
    pub fn policy(&self) -> &PolicyConfig {
        &self.policy
    }

    /// Analyses one post.
    pub fn analyze(&self, text: &str) -> Analysis {
        self.analyze_with(text, false)
    }

    /// Analyses one post; `csam_hash_match` comes from the image matcher.
    pub fn analyze_with(&self, text: &str, csam_hash_match: bool) -> Analysis {
        self.analyze_full(text, Reading::Post, csam_hash_match, 0)
    }

    /// Analyses a text read as a post or as a complaint (a public or police report: see
    /// [`crate::rules`]). A complaint differs in three ways: the rules of the categories its
    /// `[complaint]` table ignores neither fire nor suppress, complaint-only rules fire, and
    /// the classifier reads the text with the reporter's framing words masked; rule evidence
    /// of `review_weight` alone asks for review.
    pub fn analyze_as(&self, text: &str, reading: Reading) -> Analysis {
        self.analyze_full(text, reading, false, 0)
    }

    /// [`Engine::analyze_as`], with the `k` features that weighed most for a non-clear verdict
    /// in [`Analysis::features`] — read from the same pass (the text the classifier saw).
    pub fn analyze_explained(&self, text: &str, reading: Reading, k: usize) -> Analysis {
        self.analyze_full(text, reading, false, k)
    }

    fn analyze_full(
        &self,
        text: &str,
        reading: Reading,
        csam_hash_match: bool,
        explain: usize,
    ) -> Analysis {
        let folded = fold(text);
        // Most posts need no token pass: then the folded text is the normalised text.
        let owned;
        let norm = if needs_token_pass(folded.as_str().as_bytes()) {
            owned = normalize_folded(&folded);
            &owned
        } else {
            &folded
        };
        let n = norm.as_str();
        let hits = self.rules.find_as(n, reading);
        // What the classifier reads: a complaint without the reporter's framing.
        let masked;
        let seen = match reading {
            Reading::Post => n,
            Reading::Complaint => {
                masked = norm.masked(&self.rules.complaint_mask(n));
                masked.as_str()
            }
        };
        let mut ids: Vec<&str> = Vec::with_capacity(hits.len());
        let mut evidence = [0f32; N_CLASSES];
        let mut rules = Vec::with_capacity(hits.len());
        for h in &hits {
            let r = &self.rules.rules()[h.rule];
            // Complaint-only rules are evidence, not features: the model never saw them.
            if !r.complaint_only {
                ids.push(&r.id);
            }
            if let Some(c) = Category::parse(&r.category) {
                evidence[c.index()] += r.weight;
            }
            rules.push(FiredRule {
                id: r.id.clone(),
                category: r.category.clone(),
                weight: r.weight,
                span: norm.original_range(h.start..h.end, text),
            });
        }
        let prior = rule_prior(
            rules
                .iter()
                .zip(&hits)
                .filter(|(_, h)| !self.rules.rules()[h.rule].complaint_only)
                .map(|(r, _)| (r.category.as_str(), r.weight)),
        );
        let scores = self.model.scores(seen, &ids, &prior);
        let identifiers = identifiers::extract(folded.as_str(), n)
            .into_iter()
            .map(|i| FoundIdentifier {
                kind: i.kind,
                span: if i.end > i.start {
                    folded.original_range(i.start..i.end, text)
                } else {
                    0..0
                },
                value: i.value,
            })
            .collect();
        let ages = identifiers::ages(n);
        let minor_mentions: Vec<Range<usize>> = identifiers::minor_mentions(n)
            .into_iter()
            .map(|(s, e)| norm.original_range(s..e, text))
            .collect();
        let policy = match reading {
            Reading::Post => std::borrow::Cow::Borrowed(&self.policy),
            Reading::Complaint => std::borrow::Cow::Owned(PolicyConfig {
                rule_review: self.rules.complaint().review_weight,
                ..self.policy.clone()
            }),
        };
        let Decision {
            verdict,
            category,
            score,
            priority,
        } = policy::decide(
            &PolicyInput {
                scores,
                rule_evidence: evidence,
                ages: &ages,
                csam_hash_match,
            },
            &policy,
        );
        let sexual_rule = evidence[Category::Prostitution.index()] > 0.0
            || evidence[Category::Pornography.index()] > 0.0;
        let sexual_score =
            scores[Category::Prostitution.index()].max(scores[Category::Pornography.index()]);
        let minor = ages.iter().any(|&a| a < policy.minor_age) || !minor_mentions.is_empty();
        let features = match category {
            Some(c) if explain > 0 => self.model.explain(seen, &ids, c, explain),
            _ => Vec::new(),
        };
        Analysis {
            verdict,
            category,
            score,
            scores,
            priority,
            rules,
            identifiers,
            ages,
            minor_mentions,
            minor,
            sexual: sexual_rule || sexual_score >= policy.urgent_score,
            reading,
            features,
        }
    }

    /// The top `k` features behind the post's top non-clear category (for analysts).
    pub fn explain(&self, text: &str, k: usize) -> Vec<(String, f32)> {
        let norm = normalize_folded(&fold(text));
        let n = norm.as_str();
        let hits = self.rules.find(n);
        let ids: Vec<&str> = hits
            .iter()
            .map(|h| self.rules.rules()[h.rule].id.as_str())
            .collect();
        let prior = rule_prior(
            hits.iter()
                .map(|h| &self.rules.rules()[h.rule])
                .map(|r| (r.category.as_str(), r.weight)),
        );
        let s = self.model.scores(n, &ids, &prior);
        let top = (0..3).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap_or(0);
        self.model.explain(n, &ids, Category::ALL[top], k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_shareable() {
        assert_send_sync::<Engine>();
    }

    #[test]
    fn default_engine_reads_an_ad_and_a_shop() {
        let e = Engine::with_defaults().expect("default engine");
        let ad = e.analyze("0p3n b0 jogja ST 350k include room, WA 0812-3456-7890");
        assert_eq!(ad.verdict, Verdict::Violation);
        assert_eq!(ad.category, Some(Category::Prostitution));
        assert_eq!(ad.priority, Priority::High);
        let phone = ad
            .identifiers
            .iter()
            .find(|i| i.kind == IdKind::Phone)
            .expect("phone");
        assert_eq!(phone.value, "+6281234567890");
        let src = "0p3n b0 jogja ST 350k include room, WA 0812-3456-7890";
        assert_eq!(&src[phone.span.clone()], "0812-3456-7890");
        let shop = e.analyze("Open order brownies, bisa COD, DP 50%, ready stock");
        assert_eq!(shop.verdict, Verdict::Clear);
        assert_eq!(shop.category, None);
        let explained = e.explain("open bo jogja malam ini", 5);
        assert!(!explained.is_empty() && explained.len() <= 5);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics_and_scores_are_probabilities(s in "\\PC{0,200}") {
            let e = Engine::with_defaults().expect("default engine");
            let a = e.analyze(&s);
            proptest::prop_assert!(a.scores.iter().all(|x| (0.0..=1.0).contains(x)));
            for i in &a.identifiers {
                proptest::prop_assert!(s.get(i.span.clone()).is_some());
            }
        }

        #[test]
        fn never_panics_on_digit_soup(s in "[0-9oOlI +()./@:_a-z-]{0,80}") {
            let e = Engine::with_defaults().expect("default engine");
            let _ = e.analyze(&s);
        }
    }
}
