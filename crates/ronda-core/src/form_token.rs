//! The public forms' token: the proof, carried in a hidden field, that a form was handed out
//! by this server (or another instance with the same key) for this purpose, a while ago, and
//! not long ago.
//!
//! It costs a bot what a person spends anyway, without a third-party CAPTCHA and without
//! JavaScript: a report form is refused when it comes back sooner than a person can fill it
//! ([`FormWindow::min_age_ms`]) or after the token has lapsed ([`FormWindow::max_age_ms`]), and
//! each token carries a fresh random nonce that the caller uses once (the report form makes it
//! the report's idempotency key, so sending one form twice files one report). A token is also
//! the form's CSRF proof: another site can neither read one from the page nor forge one.
//!
//! Shape: `<issued ms>.<nonce, 32 hex>.<tag, 32 hex>`, the tag the first 128 bits of
//! HMAC-SHA256 under the caller's key over `purpose ‖ 0 ‖ issued ‖ "." ‖ nonce`; a token of one
//! purpose (the report form) is not one of another (the status form). The tag is compared in
//! constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of a token's nonce.
pub const NONCE_BYTES: usize = 16;
const TAG_BYTES: usize = 16;

/// How old a token must be, and may be, when its form comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormWindow {
    pub min_age_ms: i64,
    pub max_age_ms: i64,
}

/// A token that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormToken {
    pub issued_at_ms: i64,
    /// The nonce, 32 lower-case hex digits.
    pub nonce: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// No token came with the form.
    Missing,
    /// Not a token of this shape, or its tag does not fit (forged, another purpose, another key).
    Invalid,
    /// Sent back sooner than [`FormWindow::min_age_ms`]; `wait_ms` until it would be taken.
    TooSoon { wait_ms: i64 },
    /// Older than [`FormWindow::max_age_ms`] (or issued in the future).
    Expired,
}

fn tag(key: &[u8; 32], purpose: &str, issued_at_ms: i64, nonce: &str) -> [u8; TAG_BYTES] {
    let mut out = [0_u8; TAG_BYTES];
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return out;
    };
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(issued_at_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(nonce.as_bytes());
    out.copy_from_slice(&mac.finalize().into_bytes()[..TAG_BYTES]);
    out
}

/// A token for `purpose`, issued at `issued_at_ms`, with the caller's random `nonce`.
pub fn issue(
    key: &[u8; 32],
    purpose: &str,
    issued_at_ms: i64,
    nonce: &[u8; NONCE_BYTES],
) -> String {
    let nonce = hex::encode(nonce);
    let t = tag(key, purpose, issued_at_ms, &nonce);
    format!("{issued_at_ms}.{nonce}.{}", hex::encode(t))
}

/// Checks a token that came back with a form at `now_ms`.
pub fn check(
    key: &[u8; 32],
    purpose: &str,
    token: Option<&str>,
    now_ms: i64,
    window: FormWindow,
) -> Result<FormToken, TokenError> {
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(TokenError::Missing);
    };
    let mut parts = token.split('.');
    let (Some(issued), Some(nonce), Some(sent_tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Invalid);
    };
    let well_formed = issued.len() <= 16
        && issued.bytes().all(|b| b.is_ascii_digit())
        && nonce.len() == 2 * NONCE_BYTES
        && nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let Some(issued_at_ms) = well_formed.then(|| issued.parse::<i64>().ok()).flatten() else {
        return Err(TokenError::Invalid);
    };
    let Ok(sent) = hex::decode(sent_tag) else {
        return Err(TokenError::Invalid);
    };
    let expected = tag(key, purpose, issued_at_ms, nonce);
    if sent.len() != TAG_BYTES
        || sent
            .iter()
            .zip(expected.iter())
            .fold(0_u8, |acc, (a, b)| acc | (a ^ b))
            != 0
    {
        return Err(TokenError::Invalid);
    }
    let age = now_ms.saturating_sub(issued_at_ms);
    // A little leeway for instances whose clocks differ.
    if age < -5_000 || age > window.max_age_ms {
        return Err(TokenError::Expired);
    }
    if age < window.min_age_ms {
        return Err(TokenError::TooSoon {
            wait_ms: window.min_age_ms - age,
        });
    }
    Ok(FormToken {
        issued_at_ms,
        nonce: nonce.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const W: FormWindow = FormWindow {
        min_age_ms: 3_000,
        max_age_ms: 3_600_000,
    };

    #[test]
    fn a_token_checks_out_inside_its_window() {
        let t = issue(&KEY, "report", 1_000_000, &[0xab; NONCE_BYTES]);
        let ok = check(&KEY, "report", Some(&t), 1_004_000, W).unwrap();
        assert_eq!(ok.issued_at_ms, 1_000_000);
        assert_eq!(ok.nonce, "ab".repeat(NONCE_BYTES));
        assert_eq!(
            check(&KEY, "report", Some(&t), 1_001_000, W),
            Err(TokenError::TooSoon { wait_ms: 2_000 })
        );
        assert_eq!(
            check(&KEY, "report", Some(&t), 1_000_000 + 3_600_001, W),
            Err(TokenError::Expired)
        );
        assert_eq!(
            check(&KEY, "report", Some(&t), 1_000_000 - 60_000, W),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_altered_or_foreign_tokens_are_refused() {
        let t = issue(&KEY, "report", 1_000_000, &[1; NONCE_BYTES]);
        let now = 1_010_000;
        assert_eq!(
            check(&KEY, "report", None, now, W),
            Err(TokenError::Missing)
        );
        assert_eq!(
            check(&KEY, "report", Some("  "), now, W),
            Err(TokenError::Missing)
        );
        // Another purpose, another key.
        assert_eq!(
            check(&KEY, "status", Some(&t), now, W),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            check(&[8; 32], "report", Some(&t), now, W),
            Err(TokenError::Invalid)
        );
        // An older issue time under the same tag (to dodge the minimum age) does not fit.
        let moved = t.replacen("1000000", "999000", 1);
        assert_eq!(
            check(&KEY, "report", Some(&moved), now, W),
            Err(TokenError::Invalid)
        );
        // Every single changed character of the tag is caught.
        let tag_at = t.rfind('.').unwrap() + 1;
        for i in tag_at..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'0' { b'1' } else { b'0' };
            let s = String::from_utf8(b).unwrap();
            assert_eq!(
                check(&KEY, "report", Some(&s), now, W),
                Err(TokenError::Invalid)
            );
        }
        for junk in [
            "1.2",
            "a.b.c",
            "1.2.3.4",
            "99999999999999999999.00.00",
            "é.é.é",
        ] {
            assert_eq!(
                check(&KEY, "report", Some(junk), now, W),
                Err(TokenError::Invalid),
                "{junk}"
            );
        }
    }

    #[test]
    fn nonces_make_tokens_distinct() {
        let a = issue(&KEY, "report", 5, &[1; NONCE_BYTES]);
        let b = issue(&KEY, "report", 5, &[2; NONCE_BYTES]);
        assert_ne!(a, b);
    }
}
