//! Checking a reviewer's decision before it reaches the store: the legal basis against the
//! configured list, the note's length, and what the reviewer's role allows. The API's
//! `POST /cases/{id}/decision` and `/decisions:bulk` and the console's decision form use it,
//! so the same input is refused with the same code (`required`, `invalid`, `too_long`) on
//! every edge.

use ronda_core::model::{Category, Role};
use ronda_core::report::FieldError;
use ronda_store::review::{Decision, Verdict};

use crate::config::Config;

/// The longest note a decision may carry, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// A decision as a reviewer submitted it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub verdict: Verdict,
    pub category: Option<Category>,
    pub legal_basis: Option<String>,
    pub note: Option<String>,
}

/// The decision to record, or the field to blame. Blank values count as absent.
pub fn check_decision(config: &Config, role: Role, s: Submitted) -> Result<Decision, FieldError> {
    let legal_basis = s
        .legal_basis
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    match &legal_basis {
        Some(code) if !config.legal_bases.iter().any(|b| &b.code == code) => {
            let allowed: Vec<&str> = config.legal_bases.iter().map(|b| b.code.as_str()).collect();
            return Err(FieldError::new(
                "invalid",
                "legal_basis",
                format!(
                    "unknown legal basis `{code}`; allowed: {}",
                    allowed.join(", ")
                ),
            ));
        }
        None if s.verdict == Verdict::Confirm => {
            return Err(FieldError::new(
                "required",
                "legal_basis",
                "a confirmation cites a legal basis (GET /api/v1/legal-bases)",
            ));
        }
        _ => {}
    }
    let note = s
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(FieldError::new(
            "too_long",
            "note",
            format!("`note` is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(Decision {
        verdict: s.verdict,
        category: s.category,
        legal_basis,
        note,
        override_claim: matches!(role, Role::Admin | Role::Supervisor),
        approval_categories: config.approval_categories.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitted(verdict: Verdict, basis: Option<&str>, note: Option<String>) -> Submitted {
        Submitted {
            verdict,
            category: Some(Category::Gambling),
            legal_basis: basis.map(str::to_string),
            note,
        }
    }

    #[test]
    fn a_confirmation_cites_a_configured_basis() {
        let c = Config::default();
        let e = check_decision(
            &c,
            Role::Analyst,
            submitted(Verdict::Confirm, Some("  "), None),
        )
        .unwrap_err();
        assert_eq!((e.code, e.field.as_str()), ("required", "legal_basis"));
        let e = check_decision(
            &c,
            Role::Analyst,
            submitted(Verdict::Confirm, Some("x"), None),
        )
        .unwrap_err();
        assert_eq!((e.code, e.field.as_str()), ("invalid", "legal_basis"));
        let d = check_decision(
            &c,
            Role::Analyst,
            submitted(Verdict::Confirm, Some(" uu_ite_27_2 "), Some(" ok ".into())),
        )
        .unwrap();
        assert_eq!(d.legal_basis.as_deref(), Some("uu_ite_27_2"));
        assert_eq!(d.note.as_deref(), Some("ok"));
        assert!(!d.override_claim);
        // A rejection needs no basis.
        assert!(check_decision(&c, Role::Analyst, submitted(Verdict::Reject, None, None)).is_ok());
    }

    #[test]
    fn long_notes_are_refused_and_leads_override_claims() {
        let c = Config::default();
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        let e = check_decision(
            &c,
            Role::Analyst,
            submitted(Verdict::Reject, None, Some(long)),
        )
        .unwrap_err();
        assert_eq!((e.code, e.field.as_str()), ("too_long", "note"));
        let d =
            check_decision(&c, Role::Supervisor, submitted(Verdict::Reject, None, None)).unwrap();
        assert!(d.override_claim);
    }
}
