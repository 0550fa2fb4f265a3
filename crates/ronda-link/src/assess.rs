//! The pair decision: given two accounts' features and how common each of their values is,
//! the evidence that ties them and whether it is enough to link them.
//!
//! Rules:
//! - **Strong.** A shared identifier (phone, bank, e-wallet, Telegram, e-mail) links on its
//!   own, unless it is a hub: held by more than `hub_max` accounts.
//! - **Weak.** Text (exact Jaccard of the two shingle sets with generic shingles — seen in more
//!   than `generic_max` accounts — removed, at least `jaccard` and at least
//!   `min_shared_shingles` shared), avatar (PDQ distance ≤ `pdq_radius`, neither avatar generic:
//!   a near-duplicate of more than `generic_max` accounts' avatars), name (similarity ≥ `name_similarity`,
//!   neither name key generic). Weak signals link only when at least two different ones agree.
//!
//! How common a value is comes from a [`Commonness`] implementation: the in-memory
//! [`crate::Linker`] keeps counts, the service reads them from its database. Both decide with
//! this same function.

use ronda_media::PdqHash;

use crate::config::LinkConfig;
use crate::features::{Features, Signal};
use crate::names::similarity;

/// Document frequencies: in how many accounts a value was seen (the account being assessed
/// included). Counts only grow; a value's count crossing a limit makes it generic or a hub.
pub trait Commonness {
    /// Accounts holding the identifier with this key (`Identifier::key`).
    fn identifier_count(&self, key: u64) -> u32;
    /// Accounts whose shingle set holds this shingle.
    fn shingle_count(&self, shingle: u64) -> u32;
    /// Accounts with this display-name key hash (`Features::name_hash`).
    fn name_count(&self, name_hash: u64) -> u32;
    /// Accounts whose avatar is a near-duplicate of this one (within the PDQ radius), itself
    /// included; an implementation may stop counting past `generic_max`.
    fn avatar_count(&self, avatar: &PdqHash) -> u32;
}

/// One piece of evidence: the signal and its value — the identifier's canonical value, the
/// shared name key, or a measure (`jaccard 0.73`, `pdq distance 12`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub signal: Signal,
    pub value: String,
}

/// The result of assessing one pair.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assessment {
    /// Everything the two accounts share that counts (strong first, in key order; then text,
    /// avatar, name).
    pub evidence: Vec<Evidence>,
    /// Identifiers they share that are hubs (ignored): (signal, value).
    pub hubs: Vec<Evidence>,
    /// Whether the evidence links them: a strong signal, or at least two weak ones.
    pub links: bool,
}

/// Decides one pair. Symmetric in `a` and `b` up to the order of evidence values.
pub fn assess(a: &Features, b: &Features, common: &dyn Commonness, cfg: &LinkConfig) -> Assessment {
    let mut out = Assessment::default();
    // Strong: merge-walk the two key-sorted identifier lists.
    let (mut i, mut j) = (0, 0);
    while i < a.identifiers.len() && j < b.identifiers.len() {
        let (x, y) = (&a.identifiers[i], &b.identifiers[j]);
        match x.key.cmp(&y.key) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let e = Evidence {
                    signal: x.signal,
                    value: x.value.clone(),
                };
                if common.identifier_count(x.key) > cfg.hub_max {
                    out.hubs.push(e);
                } else {
                    out.evidence.push(e);
                }
                i += 1;
                j += 1;
            }
        }
    }
    let strong = !out.evidence.is_empty();
    let mut weak = 0;
    if let Some(jac) = text_similarity(a, b, common, cfg) {
        weak += 1;
        out.evidence.push(Evidence {
            signal: Signal::Text,
            value: format!("jaccard {jac:.2}"),
        });
    }
    if let (Some(x), Some(y)) = (&a.avatar, &b.avatar) {
        let d = x.distance(y);
        if d <= cfg.pdq_radius
            && common.avatar_count(x) <= cfg.generic_max
            && common.avatar_count(y) <= cfg.generic_max
        {
            weak += 1;
            out.evidence.push(Evidence {
                signal: Signal::Avatar,
                value: format!("pdq distance {d}"),
            });
        }
    }
    if names_match(a, b, common, cfg) {
        weak += 1;
        let value = if a.name_key == b.name_key {
            a.name_key.clone()
        } else {
            format!("{} ~ {}", a.name_key, b.name_key)
        };
        out.evidence.push(Evidence {
            signal: Signal::Name,
            value,
        });
    }
    out.links = strong || weak >= 2;
    out
}

/// Whether the display names count as one weak signal: both present, neither name key
/// generic, similarity at least `name_similarity`.
pub fn names_match(a: &Features, b: &Features, common: &dyn Commonness, cfg: &LinkConfig) -> bool {
    a.name_hash != 0
        && b.name_hash != 0
        && common.name_count(a.name_hash) <= cfg.generic_max
        && common.name_count(b.name_hash) <= cfg.generic_max
        && similarity(&a.name_key, &b.name_key) >= cfg.name_similarity
}

/// Exact Jaccard of the two shingle sets without generic shingles, when it reaches the
/// threshold with enough shared shingles.
pub fn text_similarity(
    a: &Features,
    b: &Features,
    common: &dyn Commonness,
    cfg: &LinkConfig,
) -> Option<f64> {
    if a.shingles.is_empty() || b.shingles.is_empty() {
        return None;
    }
    let rare = |s: u64| common.shingle_count(s) <= cfg.generic_max;
    let (mut i, mut j) = (0, 0);
    let (mut inter, mut only_a, mut only_b) = (0usize, 0usize, 0usize);
    let (sa, sb) = (&a.shingles, &b.shingles);
    while i < sa.len() || j < sb.len() {
        let take_a = j >= sb.len() || (i < sa.len() && sa[i] < sb[j]);
        let take_b = i >= sa.len() || (j < sb.len() && sb[j] < sa[i]);
        if take_a {
            only_a += usize::from(rare(sa[i]));
            i += 1;
        } else if take_b {
            only_b += usize::from(rare(sb[j]));
            j += 1;
        } else {
            inter += usize::from(rare(sa[i]));
            i += 1;
            j += 1;
        }
    }
    let union = inter + only_a + only_b;
    if union == 0 || inter < cfg.min_shared_shingles {
        return None;
    }
    let jac = inter as f64 / union as f64;
    (jac >= cfg.jaccard).then_some(jac)
}
