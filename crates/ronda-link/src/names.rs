//! Display-name keys and similarity.
//!
//! The key is the display name read through the detection normaliser (styled letters,
//! look-alikes, leetspeak, spacing) keeping only its letters: `𝐑𝐢𝐧𝐚 Manja 22 💋`, `rina_manja`
//! and `R1na Manja` all have the key `rinamanja`. Equal keys are the candidate look-up (a
//! database indexes the key's hash); similarity is the overlap coefficient of the keys' letter
//! trigrams (with two boundary marks: shared / smaller set), so a decorated re-creation
//! (`rinamanja` ~ `rinamanjabaru`, `rinamanjaa`) also counts.

use crate::hash::hash_bytes;

/// The name key: lower-case ASCII letters of the normalised name, in order.
pub fn name_key(display_name: &str) -> String {
    let n = ronda_detect::normalize::normalize(display_name);
    n.as_str()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The hash of a name key, for equality look-ups (0 for an empty key).
pub fn name_key_hash(key: &str) -> u64 {
    if key.is_empty() {
        0
    } else {
        hash_bytes(0x4e41_4d45, key.as_bytes())
    }
}

fn trigrams(key: &str) -> Vec<u32> {
    let b: Vec<u8> = std::iter::once(b'^')
        .chain(key.bytes())
        .chain(std::iter::once(b'$'))
        .collect();
    let mut t: Vec<u32> = b
        .windows(3)
        .map(|w| (u32::from(w[0]) << 16) | (u32::from(w[1]) << 8) | u32::from(w[2]))
        .collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// Overlap coefficient of the two keys' letter trigrams (shared / size of the smaller set), in
/// [0, 1]; 1 for equal non-empty keys.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let (ta, tb) = (trigrams(a), trigrams(b));
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < ta.len() && j < tb.len() {
        match ta[i].cmp(&tb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / ta.len().min(tb.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_through_disguises() {
        assert_eq!(name_key("Rina Manja 22 💋"), "rinamanja");
        assert_eq!(name_key("ｒｉｎａ_manja"), "rinamanja");
        assert_eq!(name_key("12345"), "");
        assert_eq!(name_key_hash(""), 0);
        assert_eq!(name_key_hash("rina"), name_key_hash("rina"));
    }

    #[test]
    fn similarity_of_names() {
        assert_eq!(similarity("rinamanja", "rinamanja"), 1.0);
        assert!(similarity("rinamanja", "rinamanjaa") > 0.8);
        assert!(similarity("rinamanja", "rinamanjabaru") > 0.8);
        assert!(similarity("rinamanja", "rinaimut") < 0.8);
        assert!(similarity("rinamanja", "tokoberkah") < 0.2);
        assert_eq!(similarity("", "x"), 0.0);
    }
}
