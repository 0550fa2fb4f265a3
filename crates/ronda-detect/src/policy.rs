//! Verdict and priority: a pure function of scores, rule evidence, stated ages and a hash flag.
//!
//! * verdict: `violation` when the top non-clear score reaches `violation`; `review` when it
//!   reaches `review`, or when the rules alone carry `rule_review` weight for one category;
//!   `clear` otherwise. A child-abuse hash match is always a violation.
//! * priority: `urgent` for a child-abuse hash match, or when the solicitation or pornography
//!   score reaches `urgent_score` and a stated age is under `minor_age`; `high` for any other
//!   violation; `normal` for review; `low` for clear.

use crate::classifier::{Category, N_CLASSES};

/// Thresholds, configurable by the supervisor.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    pub violation: f32,
    pub review: f32,
    pub urgent_score: f32,
    pub minor_age: u8,
    pub rule_review: f32,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            violation: 0.8,
            review: 0.5,
            urgent_score: 0.5,
            minor_age: 18,
            rule_review: 6.0,
        }
    }
}

/// What the patrol does with a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Violation,
    Review,
    Clear,
}

impl Verdict {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Violation => "violation",
            Verdict::Review => "review",
            Verdict::Clear => "clear",
        }
    }
}

/// Queue priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
}

/// Inputs of the policy.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// Calibrated probabilities in model order (prostitution, pornography, gambling, clear).
    pub scores: [f32; N_CLASSES],
    /// Sum of rule weights per class that fired (the first three classes; clear unused).
    pub rule_evidence: [f32; N_CLASSES],
    pub ages: &'a [u8],
    pub csam_hash_match: bool,
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    /// Top non-clear category when the verdict is not clear.
    pub category: Option<Category>,
    /// Score of the top non-clear category.
    pub score: f32,
    pub priority: Priority,
}

/// Applies the policy.
pub fn decide(input: &PolicyInput<'_>, cfg: &PolicyConfig) -> Decision {
    let s = input.scores;
    let top = (0..3)
        .max_by(|&a, &b| s[a].total_cmp(&s[b]).then(b.cmp(&a)))
        .unwrap_or(0);
    let score = if s[top].is_finite() { s[top] } else { 0.0 };
    let rule_top = (0..3)
        .max_by(|&a, &b| {
            input.rule_evidence[a]
                .total_cmp(&input.rule_evidence[b])
                .then(b.cmp(&a))
        })
        .unwrap_or(0);
    let (mut verdict, mut cat) = if score >= cfg.violation {
        (Verdict::Violation, top)
    } else if score >= cfg.review {
        (Verdict::Review, top)
    } else if input.rule_evidence[rule_top] >= cfg.rule_review {
        (Verdict::Review, rule_top)
    } else {
        (Verdict::Clear, top)
    };
    if input.csam_hash_match {
        verdict = Verdict::Violation;
        cat = if s[1] >= s[0] { 1 } else { cat };
    }
    let sexual = s[0].max(s[1]);
    let minor = input.ages.iter().any(|&a| a < cfg.minor_age);
    let priority = if input.csam_hash_match || (sexual >= cfg.urgent_score && minor) {
        Priority::Urgent
    } else {
        match verdict {
            Verdict::Violation => Priority::High,
            Verdict::Review => Priority::Normal,
            Verdict::Clear => Priority::Low,
        }
    };
    Decision {
        verdict,
        category: (verdict != Verdict::Clear).then_some(Category::ALL[cat]),
        score,
        priority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(scores: [f32; 4], ages: &[u8], hash: bool) -> PolicyInput<'_> {
        PolicyInput {
            scores,
            rule_evidence: [0.0; 4],
            ages,
            csam_hash_match: hash,
        }
    }

    /// scores, stated ages, hash flag, then the expected verdict, category and priority.
    type Case = (
        [f32; 4],
        &'static [u8],
        bool,
        Verdict,
        Option<Category>,
        Priority,
    );

    #[test]
    fn table() {
        let cfg = PolicyConfig::default();
        // (scores, ages, hash flag) -> (verdict, category, priority)
        let cases: [Case; 9] = [
            (
                [0.95, 0.02, 0.01, 0.02],
                &[],
                false,
                Verdict::Violation,
                Some(Category::Prostitution),
                Priority::High,
            ),
            (
                [0.6, 0.1, 0.0, 0.3],
                &[],
                false,
                Verdict::Review,
                Some(Category::Prostitution),
                Priority::Normal,
            ),
            (
                [0.1, 0.1, 0.1, 0.7],
                &[],
                false,
                Verdict::Clear,
                None,
                Priority::Low,
            ),
            (
                [0.0, 0.0, 0.9, 0.1],
                &[],
                false,
                Verdict::Violation,
                Some(Category::Gambling),
                Priority::High,
            ),
            // High solicitation score with a stated age under the threshold: urgent.
            (
                [0.9, 0.0, 0.0, 0.1],
                &[17],
                false,
                Verdict::Violation,
                Some(Category::Prostitution),
                Priority::Urgent,
            ),
            (
                [0.1, 0.7, 0.0, 0.2],
                &[16],
                false,
                Verdict::Review,
                Some(Category::Pornography),
                Priority::Urgent,
            ),
            // An age under the threshold alone (a clear post) is not urgent.
            (
                [0.05, 0.0, 0.0, 0.95],
                &[12],
                false,
                Verdict::Clear,
                None,
                Priority::Low,
            ),
            // Gambling with such an age is not a sexual-exploitation case.
            (
                [0.0, 0.0, 0.95, 0.05],
                &[15],
                false,
                Verdict::Violation,
                Some(Category::Gambling),
                Priority::High,
            ),
            // A hash match is always urgent.
            (
                [0.0, 0.0, 0.0, 1.0],
                &[],
                true,
                Verdict::Violation,
                Some(Category::Pornography),
                Priority::Urgent,
            ),
        ];
        for (scores, ages, hash, v, c, p) in cases {
            let d = decide(&input(scores, ages, hash), &cfg);
            assert_eq!(
                (d.verdict, d.category, d.priority),
                (v, c, p),
                "{scores:?} {ages:?} {hash}"
            );
        }
    }

    #[test]
    fn adult_age_is_not_urgent_and_thresholds_are_configurable() {
        let d = decide(
            &input([0.9, 0.0, 0.0, 0.1], &[24], false),
            &PolicyConfig::default(),
        );
        assert_eq!(d.priority, Priority::High);
        let strict = PolicyConfig {
            violation: 0.95,
            ..PolicyConfig::default()
        };
        let d = decide(&input([0.9, 0.0, 0.0, 0.1], &[24], false), &strict);
        assert_eq!(d.verdict, Verdict::Review);
    }

    #[test]
    fn rules_alone_can_ask_for_review() {
        let mut i = input([0.2, 0.0, 0.0, 0.8], &[], false);
        i.rule_evidence = [7.5, 0.0, 0.0, 0.0];
        let d = decide(&i, &PolicyConfig::default());
        assert_eq!(
            (d.verdict, d.category),
            (Verdict::Review, Some(Category::Prostitution))
        );
    }
}
