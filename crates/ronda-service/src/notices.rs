//! Checking a platform's answer to a notice before it reaches the store: a refusal or a
//! dispute states its reason, and no reason is longer than [`MAX_REASON_CHARS`]. The API's
//! `POST /platform/notices/{id}/response` and the platform portal's answer form use it, so the
//! same answer is refused with the same code (`required`, `invalid`) on both.

use ronda_core::report::FieldError;
use ronda_store::notices::Response;

/// The longest reason an answer may carry, in characters.
pub const MAX_REASON_CHARS: usize = 4_000;

/// The reason to record (trimmed; blank counts as absent), or the field to blame.
pub fn check_answer(action: Response, reason: Option<&str>) -> Result<Option<String>, FieldError> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(FieldError::new(
            "invalid",
            "reason",
            format!("at most {MAX_REASON_CHARS} characters"),
        ));
    }
    if matches!(action, Response::Refused | Response::Disputed) && reason.is_none() {
        return Err(FieldError::new(
            "required",
            "reason",
            "a refusal or dispute states its reason",
        ));
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_disputes_give_a_reason_within_bounds() {
        assert_eq!(check_answer(Response::Removed, Some("  ")), Ok(None));
        assert_eq!(
            check_answer(Response::Removed, Some(" akun ditutup ")),
            Ok(Some("akun ditutup".into()))
        );
        for a in [Response::Refused, Response::Disputed] {
            assert_eq!(check_answer(a, None).unwrap_err().code, "required");
            assert_eq!(check_answer(a, Some(" ")).unwrap_err().code, "required");
        }
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        let e = check_answer(Response::Acknowledged, Some(&long)).unwrap_err();
        assert_eq!((e.code, e.field.as_str()), ("invalid", "reason"));
    }
}
