//! Triage: how urgent a case is and which category it carries, as pure rules. Every writer of a
//! case's priority or category (intake, retroactive bank matches, re-creation flags, decisions)
//! computes the new values here and only stores them.
//!
//! # The child-safety rule
//!
//! [`child_safety`] is the one rule that decides whether an event is a sign that a child is
//! involved. Any of these is such a sign:
//!
//! | trigger | sign |
//! |---|---|
//! | [`ChildSafety::BankMatch`] | a media hash matched a bank whose category is `child_exploitation` (alias `child_abuse_known`) |
//! | [`ChildSafety::Confirmation`] | an analyst or supervisor confirmed the case as `child_exploitation` |
//! | [`ChildSafety::PoliceReport`] | the police reported the content as `child_exploitation` |
//! | [`ChildSafety::Claim`] | any other reporter claimed `child_exploitation` |
//! | [`ChildSafety::MinorSignal`] | the text states an age under 18 or mentions a minor (`di bawah umur`, a school pupil), together with any sexual or solicitation signal: the detection engine's sexual signal, or a claim of `prostitution` or `pornography` |
//!
//! A case with a sign is `urgent` (first in the verification queue), its category is
//! `child_exploitation`, and its notice gets the urgent deadline (`DeadlinePolicy::is_urgent`
//! sees the urgent priority).
//!
//! # Nothing lowers it
//!
//! [`Triage::apply`] is monotone: the priority is the maximum of the case's and the event's, a
//! category once set is kept (an event only fills an empty one), and the child-safety trigger,
//! once recorded, stays. While a trigger is recorded the priority is `urgent` and the category
//! `child_exploitation` whatever the event says, so no news rule, model score or later, weaker
//! report can lower it. The one exception is a deliberate human act: a supervisor confirming
//! the case as another category ([`Triage::confirm`] with `supervisor = true`); an analyst's
//! confirmation as another category is refused ([`ChildSafetyLocked`]). Even then the priority
//! stays `urgent`.
//!
//! Proof sketch of the invariant `child.is_some() ⇒ priority = Urgent ∧ category =
//! child_exploitation` (outside a supervisor's confirmation): `apply` returns a triage whose
//! `child` is `self.child.or(event.child)`; when that is `Some`, it sets the priority to
//! `Urgent` and the category to `child_exploitation` after every other step.

use crate::model::{Category, Priority, Source};

/// Why a case is a child-safety case. Stored on the case (the first trigger seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChildSafety {
    BankMatch,
    Confirmation,
    PoliceReport,
    Claim,
    MinorSignal,
}

impl ChildSafety {
    pub const ALL: &'static [ChildSafety] = &[
        ChildSafety::BankMatch,
        ChildSafety::Confirmation,
        ChildSafety::PoliceReport,
        ChildSafety::Claim,
        ChildSafety::MinorSignal,
    ];

    /// The stable spelling stored on the case and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ChildSafety::BankMatch => "bank_match",
            ChildSafety::Confirmation => "confirmation",
            ChildSafety::PoliceReport => "police_report",
            ChildSafety::Claim => "claim",
            ChildSafety::MinorSignal => "minor_signal",
        }
    }

    pub fn parse(s: &str) -> Option<ChildSafety> {
        ChildSafety::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// What the detection engine read in a report's text, as triage needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSignals {
    /// The priority the detection policy asks for.
    pub priority: Priority,
    /// The detected category, when the verdict is not clear.
    pub category: Option<Category>,
    /// An age under 18 is stated, or a minor is mentioned.
    pub minor: bool,
    /// A sexual or solicitation signal: a prostitution or pornography rule fired, or the
    /// model's score for one of them reached the engine's signal threshold.
    pub sexual: bool,
}

/// Everything one event says about a case. Fields that do not apply stay at their default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// The source of a report.
    pub source: Option<Source>,
    /// The category a reporter claimed.
    pub claimed: Option<Category>,
    /// What detection read in the report's text.
    pub text: Option<TextSignals>,
    /// A media hash matched a `child_exploitation` bank.
    pub child_bank_match: bool,
    /// Content seen again after a verified removal of the same target.
    pub content_back: bool,
    /// The account re-creates a taken-down account of the same actor.
    pub recreation: bool,
}

/// The child-safety rule (see the module docs). `None`: no sign of a minor.
pub fn child_safety(s: &Signals) -> Option<ChildSafety> {
    if s.child_bank_match {
        return Some(ChildSafety::BankMatch);
    }
    if s.claimed == Some(Category::ChildExploitation) {
        return Some(if s.source == Some(Source::Police) {
            ChildSafety::PoliceReport
        } else {
            ChildSafety::Claim
        });
    }
    let claimed_sexual = matches!(
        s.claimed,
        Some(Category::Prostitution | Category::Pornography)
    );
    match s.text {
        Some(t) if t.minor && (t.sexual || claimed_sexual) => Some(ChildSafety::MinorSignal),
        _ => None,
    }
}

/// What an event asks of a case: a priority floor, a category for a case that has none, and
/// a child-safety trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raise {
    pub priority: Priority,
    pub category: Option<Category>,
    pub child: Option<ChildSafety>,
}

impl Raise {
    /// An event that changes nothing.
    pub const NONE: Raise = Raise {
        priority: Priority::Low,
        category: None,
        child: None,
    };
}

/// The raise of one event:
/// - a report: `normal`; a police report `high` (an investigation is usually behind it);
/// - detection: the priority its policy asks for (`high` for a violation), its category;
/// - content back after a verified removal, or a re-created account: at least `high`;
/// - the child-safety rule: `urgent` and `child_exploitation`.
///
/// The category filled in is the reporter's claim, else the detected category.
pub fn raise(s: &Signals) -> Raise {
    let mut priority = match s.source {
        Some(Source::Police) => Priority::High,
        Some(_) => Priority::Normal,
        None => Priority::Low,
    };
    if let Some(t) = s.text {
        priority = priority.max(t.priority);
    }
    if s.content_back || s.recreation {
        priority = priority.max(Priority::High);
    }
    let child = child_safety(s);
    if child.is_some() {
        priority = Priority::Urgent;
    }
    Raise {
        priority,
        category: s.claimed.or(s.text.and_then(|t| t.category)),
        child,
    }
}

/// A case's triage state: what the queue orders by and what the notice's deadline follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triage {
    pub priority: Priority,
    pub category: Option<Category>,
    pub child: Option<ChildSafety>,
}

/// An analyst's confirmation of a child-safety case as another category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this case carries a child-safety sign ({}); confirm it as child_exploitation, or a supervisor may confirm it as {}",
    .trigger.as_str(), .category.as_str()
)]
pub struct ChildSafetyLocked {
    pub trigger: ChildSafety,
    pub category: Category,
}

impl Triage {
    /// The triage of a case opened by an event.
    pub fn new(r: &Raise) -> Triage {
        Triage {
            priority: Priority::Low,
            category: None,
            child: None,
        }
        .apply(r)
    }

    /// The case after an event: never lower (see the module docs).
    pub fn apply(&self, r: &Raise) -> Triage {
        let child = self.child.or(r.child);
        let mut t = Triage {
            priority: self.priority.max(r.priority),
            category: self.category.or(r.category),
            child,
        };
        if child.is_some() {
            t.priority = Priority::Urgent;
            t.category = Some(Category::ChildExploitation);
        }
        t
    }

    /// The case after a confirmation as `category` (the analyst's category replaces the one
    /// intake guessed). A confirmation as `child_exploitation` is itself a child-safety sign.
    /// On a case with a sign, only a supervisor may confirm another category; the priority
    /// stays `urgent` and the trigger stays recorded.
    pub fn confirm(
        &self,
        category: Category,
        supervisor: bool,
    ) -> Result<Triage, ChildSafetyLocked> {
        if category == Category::ChildExploitation {
            return Ok(self.apply(&Raise {
                priority: Priority::Urgent,
                category: None,
                child: Some(ChildSafety::Confirmation),
            }));
        }
        match self.child {
            Some(trigger) if !supervisor => Err(ChildSafetyLocked { trigger, category }),
            _ => Ok(Triage {
                category: Some(category),
                ..*self
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category as C;
    use Priority as P;

    fn text(priority: P, category: Option<C>, minor: bool, sexual: bool) -> TextSignals {
        TextSignals {
            priority,
            category,
            minor,
            sexual,
        }
    }

    fn report(source: Source, claimed: Option<C>) -> Signals {
        Signals {
            source: Some(source),
            claimed,
            ..Signals::default()
        }
    }

    /// Every trigger, and every near miss that must not trigger.
    #[test]
    fn the_child_safety_rule_as_a_table() {
        let adult_ad = text(P::High, Some(C::Prostitution), false, true);
        let minor_ad = text(P::Urgent, Some(C::Prostitution), true, true);
        let minor_only = text(P::Low, None, true, false);
        let news_minor = text(P::Low, None, true, false);
        let cases: Vec<(&str, Signals, Option<ChildSafety>)> = vec![
            (
                "child bank match, nothing else",
                Signals {
                    child_bank_match: true,
                    ..Signals::default()
                },
                Some(ChildSafety::BankMatch),
            ),
            (
                "child bank match on a public gambling claim",
                Signals {
                    child_bank_match: true,
                    ..report(Source::Public, Some(C::Gambling))
                },
                Some(ChildSafety::BankMatch),
            ),
            (
                "public claim",
                report(Source::Public, Some(C::ChildExploitation)),
                Some(ChildSafety::Claim),
            ),
            (
                "patrol claim",
                report(Source::Patrol, Some(C::ChildExploitation)),
                Some(ChildSafety::Claim),
            ),
            (
                "police report of it",
                report(Source::Police, Some(C::ChildExploitation)),
                Some(ChildSafety::PoliceReport),
            ),
            (
                "stated age under 18 with solicitation",
                Signals {
                    text: Some(minor_ad),
                    ..report(Source::Public, None)
                },
                Some(ChildSafety::MinorSignal),
            ),
            (
                "minor mentioned, reporter claims prostitution",
                Signals {
                    text: Some(minor_only),
                    ..report(Source::Public, Some(C::Prostitution))
                },
                Some(ChildSafety::MinorSignal),
            ),
            (
                "minor mentioned, reporter claims pornography",
                Signals {
                    text: Some(minor_only),
                    ..report(Source::Police, Some(C::Pornography))
                },
                Some(ChildSafety::MinorSignal),
            ),
            (
                "minor mentioned without any sexual signal",
                Signals {
                    text: Some(news_minor),
                    ..report(Source::Public, None)
                },
                None,
            ),
            (
                "minor mentioned in a gambling claim",
                Signals {
                    text: Some(minor_only),
                    ..report(Source::Public, Some(C::Gambling))
                },
                None,
            ),
            (
                "adult solicitation",
                Signals {
                    text: Some(adult_ad),
                    ..report(Source::Patrol, Some(C::Prostitution))
                },
                None,
            ),
            (
                "police report of something else",
                report(Source::Police, Some(C::Gambling)),
                None,
            ),
            (
                "re-created account",
                Signals {
                    recreation: true,
                    ..Signals::default()
                },
                None,
            ),
        ];
        for (name, s, expected) in cases {
            assert_eq!(child_safety(&s), expected, "{name}");
            let r = raise(&s);
            assert_eq!(r.child, expected, "{name}");
            let t = Triage::new(&r);
            if expected.is_some() {
                assert_eq!(
                    (t.priority, t.category),
                    (P::Urgent, Some(C::ChildExploitation)),
                    "{name}"
                );
            } else {
                assert_ne!(t.category, Some(C::ChildExploitation), "{name}");
            }
        }
    }

    #[test]
    fn raises_without_a_child_sign() {
        assert_eq!(raise(&report(Source::Public, None)).priority, P::Normal);
        assert_eq!(raise(&report(Source::Police, None)).priority, P::High);
        let s = Signals {
            text: Some(text(P::High, Some(C::Gambling), false, false)),
            ..report(Source::Patrol, None)
        };
        assert_eq!(
            (raise(&s).priority, raise(&s).category),
            (P::High, Some(C::Gambling))
        );
        // The reporter's claim names the category before detection does.
        let s = Signals {
            text: Some(text(P::High, Some(C::Gambling), false, false)),
            ..report(Source::Patrol, Some(C::Pornography))
        };
        assert_eq!(raise(&s).category, Some(C::Pornography));
        for s in [
            Signals {
                content_back: true,
                ..report(Source::Public, None)
            },
            Signals {
                recreation: true,
                ..Signals::default()
            },
        ] {
            assert_eq!(raise(&s).priority, P::High);
        }
    }

    /// Each way a later event could lower a child-safety case, and that none does.
    #[test]
    fn nothing_lowers_a_child_safety_case() {
        let child = Triage::new(&raise(&Signals {
            child_bank_match: true,
            ..report(Source::Public, None)
        }));
        assert_eq!(child.child, Some(ChildSafety::BankMatch));
        let later: Vec<(&str, Signals)> = vec![
            (
                "a news-like report, detection clear and low",
                Signals {
                    text: Some(text(P::Low, None, false, false)),
                    ..report(Source::Public, None)
                },
            ),
            (
                "a model score of a violation of another category",
                Signals {
                    text: Some(text(P::High, Some(C::Gambling), false, false)),
                    ..report(Source::Patrol, None)
                },
            ),
            (
                "a weaker report claiming gambling",
                report(Source::Public, Some(C::Gambling)),
            ),
            (
                "a report claiming prostitution",
                report(Source::Platform, Some(C::Prostitution)),
            ),
            ("an empty event", Signals::default()),
        ];
        // Every trigger, each followed by every weaker event.
        let starts = [
            child,
            Triage::new(&raise(&report(Source::Public, Some(C::ChildExploitation)))),
            Triage::new(&raise(&report(Source::Police, Some(C::ChildExploitation)))),
            Triage::new(&raise(&Signals {
                text: Some(text(P::Urgent, Some(C::Prostitution), true, true)),
                ..report(Source::Public, None)
            })),
            Triage::new(&raise(&report(Source::Patrol, Some(C::Gambling))))
                .confirm(C::ChildExploitation, false)
                .unwrap(),
        ];
        let triggers: Vec<_> = starts.iter().map(|t| t.child).collect();
        assert_eq!(
            triggers,
            [
                Some(ChildSafety::BankMatch),
                Some(ChildSafety::Claim),
                Some(ChildSafety::PoliceReport),
                Some(ChildSafety::MinorSignal),
                Some(ChildSafety::Confirmation)
            ]
        );
        for start in starts {
            assert_eq!(
                (start.priority, start.category),
                (P::Urgent, Some(C::ChildExploitation))
            );
            for (name, s) in &later {
                let t = start.apply(&raise(s));
                assert_eq!(t, start, "{:?} then {name}", start.child);
            }
        }
        // The trigger first recorded stays.
        let t = child.apply(&raise(&report(Source::Police, Some(C::ChildExploitation))));
        assert_eq!(t.child, Some(ChildSafety::BankMatch));
        // An analyst cannot confirm it as something else; a supervisor can, and the priority
        // stays urgent.
        let e = child.confirm(C::Prostitution, false).unwrap_err();
        assert_eq!(e.trigger, ChildSafety::BankMatch);
        assert!(e.to_string().contains("bank_match"), "{e}");
        let t = child.confirm(C::Prostitution, true).unwrap();
        assert_eq!((t.priority, t.category), (P::Urgent, Some(C::Prostitution)));
        assert_eq!(child.confirm(C::ChildExploitation, false).unwrap(), child);
    }

    #[test]
    fn a_child_case_that_starts_elsewhere_becomes_one() {
        let adult = Triage::new(&raise(&Signals {
            text: Some(text(P::High, Some(C::Prostitution), false, true)),
            ..report(Source::Patrol, None)
        }));
        assert_eq!(
            (adult.priority, adult.category, adult.child),
            (P::High, Some(C::Prostitution), None)
        );
        // A later report that states a minor's age turns the case: urgent, child_exploitation.
        let t = adult.apply(&raise(&Signals {
            text: Some(text(P::Normal, Some(C::Prostitution), true, true)),
            ..report(Source::Public, None)
        }));
        assert_eq!(
            (t.priority, t.category, t.child),
            (
                P::Urgent,
                Some(C::ChildExploitation),
                Some(ChildSafety::MinorSignal)
            )
        );
        // A confirmation as child_exploitation is itself a sign.
        let t = adult.confirm(C::ChildExploitation, false).unwrap();
        assert_eq!(
            (t.priority, t.category, t.child),
            (
                P::Urgent,
                Some(C::ChildExploitation),
                Some(ChildSafety::Confirmation)
            )
        );
        // An ordinary confirmation replaces intake's guess of the category.
        let t = adult.confirm(C::Pornography, false).unwrap();
        assert_eq!((t.priority, t.category), (P::High, Some(C::Pornography)));
    }

    #[test]
    fn trigger_spellings_round_trip() {
        for c in ChildSafety::ALL {
            assert_eq!(ChildSafety::parse(c.as_str()), Some(*c));
        }
        assert_eq!(ChildSafety::parse("nope"), None);
    }
}
