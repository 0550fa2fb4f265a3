//! Random codes and secrets: public tracking codes and API tokens.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Crockford's base32 alphabet: no I, L, O or U, so codes survive being read out on the phone.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A public tracking code such as `7KQ2-M9XD-4FRA` (60 random bits).
pub fn tracking_code() -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        s.push(char::from(CROCKFORD[rng.random_range(0..32)]));
    }
    s
}

/// Normalises a tracking code typed by a person: upper case, spaces and dashes wherever they
/// were typed (or none), common misreadings fixed (`O` → `0`, `I`/`L` → `1`); twelve
/// characters come back in their groups of four, as they are stored.
pub fn normalize_tracking_code(raw: &str) -> String {
    let bare: Vec<char> = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2015}'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if bare.len() != 12 {
        return bare.into_iter().collect();
    }
    let mut s = String::with_capacity(14);
    for (i, c) in bare.into_iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        s.push(c);
    }
    s
}

/// A new API token secret: `rnd_` and 256 random bits, URL-safe.
pub fn new_token_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill(&mut bytes);
    format!(
        "rnd_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored for a token: its SHA-256, hex.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_look_right_and_differ() {
        let a = tracking_code();
        assert_eq!(a.len(), 14);
        assert_eq!(a.matches('-').count(), 2);
        assert_ne!(a, tracking_code());
        assert_eq!(
            normalize_tracking_code(" 7kq2-m9xd-4fra "),
            "7KQ2-M9XD-4FRA"
        );
        assert_eq!(normalize_tracking_code("O1L"), "011");
        // Without dashes, with spaces, or with a typographic dash: the stored shape.
        for typed in [
            "7kq2m9xd4fra",
            "7KQ2 M9XD 4FRA",
            "7kq2\u{2013}m9xd-4fra",
            "7KQ2--M9XD4FRA",
        ] {
            assert_eq!(normalize_tracking_code(typed), "7KQ2-M9XD-4FRA", "{typed}");
        }
        assert_eq!(
            normalize_tracking_code(&a.to_lowercase().replace('-', "")),
            a
        );
    }

    #[test]
    fn token_secrets_are_long_and_hashed() {
        let t = new_token_secret();
        assert!(t.starts_with("rnd_") && t.len() == 47);
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), token_hash(&new_token_secret()));
    }
}
