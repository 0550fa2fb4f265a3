//! Webhook signatures. Every delivery carries `X-Ronda-Timestamp: <unix seconds>` and
//! `X-Ronda-Signature: sha256=<hex>`, the HMAC-SHA256 under the platform's secret of
//! `<timestamp>.<raw body>`. A platform recomputes it over the bytes it received, compares in
//! constant time, and rejects timestamps far from its clock (replays).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The `X-Ronda-Signature` value for a body sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a received signature (constant-time comparison), as a platform would.
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_detect_any_change() {
        let sig = sign("s3cret", 1_764_000_000, br#"{"case_id":1}"#);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify("s3cret", 1_764_000_000, br#"{"case_id":1}"#, &sig));
        assert!(!verify("s3cret", 1_764_000_001, br#"{"case_id":1}"#, &sig));
        assert!(!verify("s3cret", 1_764_000_000, br#"{"case_id":2}"#, &sig));
        assert!(!verify("other", 1_764_000_000, br#"{"case_id":1}"#, &sig));
        assert!(!verify(
            "s3cret",
            1_764_000_000,
            br#"{"case_id":1}"#,
            "sha256=zz"
        ));
    }
}
