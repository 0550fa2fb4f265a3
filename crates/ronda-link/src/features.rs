//! One account → what linking compares: strong identifiers, text shingles with their MinHash
//! signature and LSH band keys, a display-name key, the avatar's PDQ hash.
//!
//! Everything here is a pure function of the account's text and avatar plus the configuration,
//! so the service can compute it on the request thread and store it (identifier keys, band
//! keys and the name hash are `u64`s meant for indexed equality look-ups).

use ronda_detect::IdKind;
use ronda_detect::normalize::{fold, normalize_folded};
use ronda_media::PdqHash;

use crate::config::LinkConfig;
use crate::hash::{combine, hash_bytes};
use crate::lsh::band_keys;
use crate::minhash::MinHasher;
use crate::names::{name_key, name_key_hash};

/// Kinds of evidence. The first five are strong (one shared value links two accounts); the
/// last three are weak (two different ones must agree on the same pair).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    Phone,
    Bank,
    Ewallet,
    Telegram,
    Email,
    Text,
    Avatar,
    Name,
}

impl Signal {
    /// All signals, strong first.
    pub const ALL: [Signal; 8] = [
        Signal::Phone,
        Signal::Bank,
        Signal::Ewallet,
        Signal::Telegram,
        Signal::Email,
        Signal::Text,
        Signal::Avatar,
        Signal::Name,
    ];

    /// Wire name, snake_case: `phone`, `bank`, `ewallet`, `telegram`, `email`, `text`,
    /// `avatar`, `name`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Phone => "phone",
            Signal::Bank => "bank",
            Signal::Ewallet => "ewallet",
            Signal::Telegram => "telegram",
            Signal::Email => "email",
            Signal::Text => "text",
            Signal::Avatar => "avatar",
            Signal::Name => "name",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether one shared value of this kind links two accounts on its own.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            Signal::Phone | Signal::Bank | Signal::Ewallet | Signal::Telegram | Signal::Email
        )
    }
}

/// A strong identifier: its kind, canonical value (E.164 phone, `bca:0123456789`,
/// `dana:+62…`, `@handle`, e-mail) and `key`, the hash of both (for indexed look-ups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub signal: Signal,
    pub value: String,
    pub key: u64,
}

/// The hash key of an identifier: kind and canonical value.
pub fn identifier_key(signal: Signal, value: &str) -> u64 {
    hash_bytes(0x4944_0000 ^ signal as u64, value.as_bytes())
}

/// What linking knows of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Strong identifiers, sorted by `key`, de-duplicated.
    pub identifiers: Vec<Identifier>,
    /// Hashes of the word shingles of bio and posts, sorted and de-duplicated.
    pub shingles: Vec<u64>,
    /// MinHash signature of `shingles` (`num_perm` values).
    pub signature: Vec<u32>,
    /// LSH band keys of the signature (empty when there is no text).
    pub band_keys: Vec<u64>,
    /// Display-name key (letters only, see [`crate::names`]); may be empty.
    pub name_key: String,
    /// Hash of `name_key` for equality look-ups; 0 when the key is too short to count.
    pub name_hash: u64,
    /// Avatar PDQ hash (none, or an all-zero hash, counts as no avatar).
    pub avatar: Option<PdqHash>,
}

/// Computes [`Features`] under one configuration; build once, share between threads.
#[derive(Debug, Clone)]
pub struct FeatureExtractor {
    minhasher: MinHasher,
    bands: usize,
    rows: usize,
    shingle_words: usize,
    min_name_letters: usize,
    sign: bool,
}

const TOKEN_SEED: u64 = 0x544f_4b45_4e53;

impl FeatureExtractor {
    /// The extractor for `cfg` (permutations drawn from `cfg.seed`).
    pub fn new(cfg: &LinkConfig) -> FeatureExtractor {
        let (bands, rows) = cfg.bands_rows();
        FeatureExtractor {
            minhasher: MinHasher::new(cfg.num_perm, cfg.seed),
            bands,
            rows,
            shingle_words: cfg.shingle_words.max(1),
            min_name_letters: cfg.min_name_letters,
            sign: true,
        }
    }

    /// This extractor, leaving `signature` and `band_keys` empty: for a caller that computes
    /// them later over a reduced shingle set ([`crate::batch::link_batch`] does).
    pub fn without_signatures(mut self) -> FeatureExtractor {
        self.sign = false;
        self
    }

    /// The MinHash permutations in use.
    pub fn minhasher(&self) -> &MinHasher {
        &self.minhasher
    }

    /// LSH bands and rows in use.
    pub fn bands_rows(&self) -> (usize, usize) {
        (self.bands, self.rows)
    }

    /// The features of one account. Identifiers are read from the display name, the bio and
    /// every post; shingles from the bio and the posts.
    pub fn features<S: AsRef<str>>(
        &self,
        display_name: &str,
        bio: &str,
        posts: &[S],
        avatar: Option<PdqHash>,
    ) -> Features {
        let mut identifiers = Vec::new();
        let mut shingles = Vec::new();
        let mut tokens = Vec::new();
        read_identifiers(display_name, &mut identifiers);
        for text in std::iter::once(bio).chain(posts.iter().map(AsRef::as_ref)) {
            let folded = fold(text);
            let normalized = normalize_folded(&folded);
            push_identifiers(folded.as_str(), normalized.as_str(), &mut identifiers);
            self.shingle(normalized.as_str(), &mut tokens, &mut shingles);
        }
        identifiers.sort_unstable_by_key(|i| i.key);
        identifiers.dedup_by_key(|i| i.key);
        shingles.sort_unstable();
        shingles.dedup();
        let (signature, band_keys) = if self.sign {
            let signature = self.minhasher.signature(&shingles);
            let keys = band_keys(&signature, self.bands, self.rows);
            (signature, keys)
        } else {
            (Vec::new(), Vec::new())
        };
        let name_key = name_key(display_name);
        let name_hash = if name_key.len() >= self.min_name_letters {
            name_key_hash(&name_key)
        } else {
            0
        };
        Features {
            identifiers,
            shingles,
            signature,
            band_keys,
            name_key,
            name_hash,
            avatar: avatar.filter(|h| *h != PdqHash::ZERO),
        }
    }

    /// Word shingles of one normalised text: every run of `shingle_words` tokens (a text with
    /// fewer tokens is one shingle). Tokens are runs of letters and digits; long digit runs
    /// (phone and account numbers, which rotate and are compared as identifiers) are dropped.
    pub fn shingle(&self, normalized: &str, tokens: &mut Vec<u64>, out: &mut Vec<u64>) {
        tokens.clear();
        for tok in normalized.split(|c: char| !c.is_alphanumeric()) {
            if tok.is_empty() || (tok.len() >= 6 && tok.bytes().all(|b| b.is_ascii_digit())) {
                continue;
            }
            tokens.push(hash_bytes(TOKEN_SEED, tok.as_bytes()));
        }
        let w = self.shingle_words;
        if tokens.is_empty() {
            return;
        }
        let span = w.min(tokens.len());
        for win in tokens.windows(span) {
            let mut h = w as u64;
            for &t in win {
                h = combine(h, t);
            }
            out.push(h);
        }
    }
}

fn read_identifiers(text: &str, out: &mut Vec<Identifier>) {
    let folded = fold(text);
    let normalized = normalize_folded(&folded);
    push_identifiers(folded.as_str(), normalized.as_str(), out);
}

fn push(out: &mut Vec<Identifier>, signal: Signal, value: &str) {
    out.push(Identifier {
        signal,
        value: value.to_string(),
        key: identifier_key(signal, value),
    });
}

/// Identifiers from the detection engine's extractor, as link signals. An e-wallet is keyed
/// by a phone number, so it also yields that phone.
fn push_identifiers(folded: &str, normalized: &str, out: &mut Vec<Identifier>) {
    for id in ronda_detect::identifiers::extract(folded, normalized) {
        match id.kind {
            IdKind::Phone => push(out, Signal::Phone, &id.value),
            IdKind::Telegram => push(out, Signal::Telegram, &id.value),
            IdKind::BankAccount => push(out, Signal::Bank, &id.value),
            IdKind::Email => push(out, Signal::Email, &id.value),
            IdKind::Ewallet => {
                push(out, Signal::Ewallet, &id.value);
                if let Some((_, phone)) = id.value.split_once(':')
                    && phone.starts_with('+')
                {
                    push(out, Signal::Phone, phone);
                }
            }
            IdKind::Url => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_canonical_and_deduplicated() {
        let fx = FeatureExtractor::new(&LinkConfig::default());
        let f = fx.features(
            "Rina 💋",
            "WA 0812-3456-7890, tf BCA 1234567890",
            &["wa.me/6281234567890 dana 081299998888", "tele @rina_real"],
            None,
        );
        let got: Vec<(&str, &str)> = f
            .identifiers
            .iter()
            .map(|i| (i.signal.as_str(), i.value.as_str()))
            .collect();
        assert!(got.contains(&("phone", "+6281234567890")), "{got:?}");
        assert!(got.contains(&("bank", "bca:1234567890")), "{got:?}");
        assert!(got.contains(&("ewallet", "dana:+6281299998888")), "{got:?}");
        assert!(got.contains(&("phone", "+6281299998888")), "{got:?}");
        assert!(got.contains(&("telegram", "@rina_real")), "{got:?}");
        assert_eq!(
            got.iter().filter(|(_, v)| *v == "+6281234567890").count(),
            1
        );
        assert_eq!(f.name_key, "rina");
        assert_ne!(f.name_hash, 0);
    }

    #[test]
    fn shingles_ignore_disguises_and_rotating_numbers() {
        let fx = FeatureExtractor::new(&LinkConfig::default());
        let a = fx.features::<&str>("", "open bo jogja ST 350k hubungi 081234567890", &[], None);
        let b = fx.features::<&str>("", "0p3n b0 jogja ST 350k hubungi 089876543210", &[], None);
        assert_eq!(a.shingles, b.shingles);
        assert_eq!(a.band_keys, b.band_keys);
        assert_eq!(a.band_keys.len(), fx.bands_rows().0);
        let empty = fx.features::<&str>("", "", &[], None);
        assert!(empty.shingles.is_empty() && empty.band_keys.is_empty());
    }
}
