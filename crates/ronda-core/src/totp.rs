//! Time-based one-time passwords (RFC 6238), the console's optional second factor: HMAC-SHA1
//! over 30-second steps, 6 digits — what every authenticator app reads from an `otpauth://`
//! URI — and base32 (RFC 4648, no padding) for the secret as people type or scan it.
//!
//! A code is accepted for the current step and one step either side (clock drift), and only
//! for a step later than the last one accepted for that user (the caller keeps it): a code
//! seen once, by a shoulder-surfer or a replayed request, does not sign in again.
//!
//! Proof of the algorithm: the tests check the RFC 6238 appendix B vectors (SHA-1, truncated
//! to 6 and 8 digits) and the RFC 4648 base32 vectors.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a generated secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The step an instant (epoch ms) falls in.
pub fn step_of(ms: i64) -> i64 {
    ms.div_euclid(1000).div_euclid(STEP_SECS)
}

/// The `digits`-digit code of `secret` at `step` (RFC 4226's HOTP with the step as counter).
pub fn code_at(secret: &[u8], step: i64, digits: u32) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10_u32.pow(digits)
}

/// The step a typed `code` is valid for at `now_ms` (this step or one either side), when it
/// is valid and later than `last_step` (the last one accepted).
pub fn verify(secret: &[u8], code: &str, now_ms: i64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = code.parse().ok()?;
    let now = step_of(now_ms);
    // Constant work whatever matches: every candidate step is computed.
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        if code_at(secret, step, DIGITS) == typed && last_step.is_none_or(|l| step > l) {
            found = Some(found.map_or(step, |f: i64| f.max(step)));
        }
    }
    found
}

/// Base32 (RFC 4648), upper case, no padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0_u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0_u64, |acc, b| acc << 8 | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let idx = (n >> (35 - 5 * i)) & 0x1f;
            out.push(char::from(ALPHABET[usize::try_from(idx).unwrap_or(0)]));
        }
    }
    out
}

/// Base32 as people type it: case, spaces, dashes and padding are ignored. `None` for any
/// other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.chars() {
        if c.is_whitespace() || c == '-' || c == '=' {
            continue;
        }
        let v = ALPHABET
            .iter()
            .position(|a| char::from(*a) == c.to_ascii_uppercase())?;
        bits = bits << 5 | u64::try_from(v).ok()?;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (as a QR code or pasted).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        base32_encode(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn the_rfc_6238_vectors() {
        // (time in seconds, 8-digit code) from RFC 6238 appendix B, SHA-1.
        for (t, code) in [
            (59_i64, 94_287_082_u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let step = step_of(t * 1000);
            assert_eq!(code_at(RFC_SECRET, step, 8), code, "t={t}");
            assert_eq!(code_at(RFC_SECRET, step, 6), code % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn a_code_is_good_for_a_step_either_side_and_only_once() {
        let now = 1_234_567_890_000;
        let step = step_of(now);
        let code = |s| format!("{:06}", code_at(RFC_SECRET, s, 6));
        assert_eq!(verify(RFC_SECRET, &code(step), now, None), Some(step));
        assert_eq!(
            verify(RFC_SECRET, &code(step - 1), now, None),
            Some(step - 1)
        );
        assert_eq!(
            verify(RFC_SECRET, &code(step + 1), now, None),
            Some(step + 1)
        );
        assert_eq!(verify(RFC_SECRET, &code(step - 2), now, None), None);
        // Used once: not again, nor an older one.
        assert_eq!(verify(RFC_SECRET, &code(step), now, Some(step)), None);
        assert_eq!(verify(RFC_SECRET, &code(step - 1), now, Some(step)), None);
        // Spaces are forgiven; other shapes are not codes.
        let spaced = format!("{} {}", &code(step)[..3], &code(step)[3..]);
        assert_eq!(verify(RFC_SECRET, &spaced, now, None), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "12 34 5x"] {
            assert_eq!(verify(RFC_SECRET, bad, now, None), None, "{bad}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), enc);
            assert_eq!(base32_decode(enc).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(
            base32_decode("mzxw 6ytb-oi==").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(base32_decode("MZ1"), None);
        let uri = otpauth_uri("Ronda", "ana@kementerian", RFC_SECRET);
        assert!(uri.starts_with("otpauth://totp/Ronda:ana%40kementerian?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Ronda"), "{uri}");
    }
}
