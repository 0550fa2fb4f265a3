//! Linking a whole batch at once, on all cores: the decisions of a [`crate::Linker`] primed
//! with every account and then fed them in order, computed from sorted postings instead of one
//! account at a time.
//!
//! Two limits: among the batch's N accounts a shingle, name key or avatar held by more than
//! `L = max(generic_max, ⌈generic_share × N⌉)` accounts is **generic** (never evidence), and a
//! candidate bucket of more than `K = generic_max` accounts is **not enumerated**.
//!
//! Steps ([`link_batch`]):
//! 1. **Commonness.** Generic shingles are dropped and each account's MinHash signature and
//!    LSH band keys are taken over the shingles that remain ([`reduce_text`]). Then identifier
//!    keys are counted (more than `hub_max` accounts: a hub, reported), name keys, and avatars
//!    (accounts with an avatar within the PDQ radius, [`crate::avatars`]).
//! 2. **Reduction.** Each account's features lose what can never count as evidence: hub
//!    identifiers, a generic name, a generic avatar (generic shingles are gone already). A
//!    pair decision on the reduced features with every count taken as 1 ([`Rare`]) is the
//!    decision on the full features with the real counts (a generic value adds nothing to
//!    either side of the Jaccard, and a generic name, avatar or hub identifier is never
//!    evidence), so no count is looked up per pair.
//! 3. **Candidates**, as pairs (later account, earlier account): accounts sharing an identifier
//!    key of at most `hub_max` accounts; a name key or a band key of at most K accounts; an
//!    avatar hash, or avatars within the radius of each other, when both neighbourhoods hold
//!    at most K accounts. A pair found only through a band key shares no counting identifier
//!    and no enumerated avatar neighbourhood, so it can link only on text plus a name or an
//!    avatar that counts on both sides; band buckets pair only such accounts. Pairs are generated
//!    per band, per key group and per avatar pair, in parallel, then sorted and de-duplicated.
//! 4. **Decisions**: [`assess`] on every candidate pair, in parallel.
//! 5. **Actors**: union-find in input order (each account joins the actors of the earlier
//!    accounts it links to; the older id survives a merge), so actor ids are those of the
//!    incremental linker.
//!
//! The result is deterministic and independent of the number of threads. Evidence of an
//! account is listed by the other account's input position.

use std::collections::HashMap;

use rayon::prelude::*;
use ronda_media::PdqHash;

use crate::assess::{Commonness, Evidence, assess};
use crate::avatars::neighbourhoods;
use crate::config::LinkConfig;
use crate::features::Features;
use crate::hash::HashMap64;
use crate::linker::{Hub, Status, links_of};
use crate::lsh::band_keys;
use crate::minhash::MinHasher;
use crate::unionfind::{Actors, Merge};

/// Every count is 1: the commonness of features already reduced to what can count.
#[derive(Debug, Clone, Copy)]
pub struct Rare;

impl Commonness for Rare {
    fn identifier_count(&self, _: u64) -> u32 {
        1
    }
    fn shingle_count(&self, _: u64) -> u32 {
        1
    }
    fn name_count(&self, _: u64) -> u32 {
        1
    }
    fn avatar_count(&self, _: &PdqHash) -> u32 {
        1
    }
}

/// A step of [`link_batch_with`] just finished (for progress reports and timings; the
/// engine keeps no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Counts taken and features reduced.
    Commonness,
    /// Candidate pairs generated.
    Candidates { pairs: usize },
    /// Every candidate pair decided.
    Decisions { links: usize },
    /// Actors formed.
    Actors,
}

/// The outcome of [`link_batch`].
#[derive(Debug, Clone)]
pub struct Linked {
    status: Vec<Status>,
    actors: Actors,
    actor: Vec<u64>,
    /// Links (later, earlier, evidence), sorted by (later, earlier).
    links: Vec<(u32, u32, Vec<Evidence>)>,
    /// For each account, the indexes into `links` of its links, by the other account.
    edges_of: Vec<Vec<u32>>,
    /// Taken-down accounts of each actor root.
    taken: HashMap<u32, Vec<u32>>,
    hubs: Vec<Hub>,
}

impl Linked {
    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.status.len()
    }

    /// Whether the batch was empty.
    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }

    /// The actor id of an account (1, 2, 3, … in order of creation).
    pub fn actor(&self, account: u32) -> Option<u64> {
        self.actor.get(account as usize).copied()
    }

    /// The taken-down accounts of an **active** account's actor, sorted; empty otherwise.
    pub fn recreation_of(&self, account: u32) -> Vec<u32> {
        match self.status.get(account as usize) {
            Some(Status::Active) => self
                .taken
                .get(&self.actors.root(account))
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The links of an account: (other account, evidence), by the other account's position.
    pub fn evidence(&self, account: u32) -> impl Iterator<Item = (u32, &[Evidence])> + '_ {
        links_of(&self.edges_of, &self.links, account)
    }

    /// Every merge of actors, in order.
    pub fn merges(&self) -> &[Merge] {
        self.actors.merges()
    }

    /// Identifiers ignored as hubs, most accounts first.
    pub fn hubs(&self) -> &[Hub] {
        &self.hubs
    }

    /// Number of links.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }
}

fn pair(later: u32, earlier: u32) -> u64 {
    (u64::from(later) << 32) | u64::from(earlier)
}

/// Calls `f` with each group of equal keys in `sorted` (key, account) postings.
fn groups(sorted: &[(u64, u32)], mut f: impl FnMut(u64, &[(u64, u32)])) {
    let mut start = 0;
    while start < sorted.len() {
        let key = sorted[start].0;
        let mut end = start + 1;
        while end < sorted.len() && sorted[end].0 == key {
            end += 1;
        }
        f(key, &sorted[start..end]);
        start = end;
    }
}

/// Every pair of a group's accounts (accounts ascending within the group).
fn all_pairs(group: &[(u64, u32)], out: &mut Vec<u64>) {
    for (i, &(_, later)) in group.iter().enumerate() {
        for &(_, earlier) in &group[..i] {
            if earlier != later {
                out.push(pair(later, earlier));
            }
        }
    }
}

/// Removes from every account's shingles those held by more than
/// [`LinkConfig::generic_limit`] of the batch's accounts, and recomputes each account's MinHash
/// signature and LSH band keys over what remains, so that the LSH finds pairs by the same
/// Jaccard that [`assess`] measures. The signature itself is not kept (512 bytes an account;
/// linking needs only the band keys). Idempotent; [`link_batch`] starts with it.
pub fn reduce_text(cfg: &LinkConfig, feats: &mut [Features]) {
    let limit = cfg.generic_limit(feats.len());
    let mut all: Vec<u64> = feats
        .par_iter()
        .flat_map_iter(|f| f.shingles.iter().copied())
        .collect();
    all.par_sort_unstable();
    let mut generic: HashMap64<()> = HashMap64::default();
    let mut i = 0;
    while i < all.len() {
        let mut j = i + 1;
        while j < all.len() && all[j] == all[i] {
            j += 1;
        }
        if (j - i) as u64 > u64::from(limit) {
            generic.insert(all[i], ());
        }
        i = j;
    }
    drop(all);
    let minhasher = MinHasher::new(cfg.num_perm, cfg.seed);
    let (bands, rows) = cfg.bands_rows();
    feats.par_iter_mut().for_each(|f| {
        f.shingles.retain(|s| !generic.contains_key(s));
        let signature = minhasher.signature(&f.shingles);
        f.band_keys = band_keys(&signature, bands, rows);
        f.signature = Vec::new();
    });
}

/// Links a batch of accounts (in input order) under `cfg`. See the module documentation.
pub fn link_batch(cfg: &LinkConfig, accounts: Vec<(Status, Features)>) -> Linked {
    link_batch_with(cfg, accounts, &mut |_| {})
}

/// [`link_batch`], calling `on_step` as each step finishes.
pub fn link_batch_with(
    cfg: &LinkConfig,
    accounts: Vec<(Status, Features)>,
    on_step: &mut dyn FnMut(Step),
) -> Linked {
    let n = accounts.len();
    let (status, mut feats): (Vec<Status>, Vec<Features>) = accounts.into_iter().unzip();
    // Evidence limit (scaled with the batch) and enumeration limit (fixed).
    let limit = cfg.generic_limit(n);
    let k = cfg.generic_max;

    // 1. Commonness. Shingles first: generic ones go, and signatures are taken over the rest.
    reduce_text(cfg, &mut feats);
    // Identifiers: (key, account), grouped; hubs reported.
    let mut id_postings: Vec<(u64, u32)> = feats
        .iter()
        .enumerate()
        .flat_map(|(a, f)| f.identifiers.iter().map(move |i| (i.key, a as u32)))
        .collect();
    id_postings.par_sort_unstable();
    let mut hub_keys: HashMap64<u32> = HashMap64::default();
    groups(&id_postings, |key, g| {
        if g.len() as u32 > cfg.hub_max {
            hub_keys.insert(key, g.len() as u32);
        }
    });
    let mut hubs: Vec<Hub> = Vec::new();
    {
        let mut reported: HashMap64<()> = HashMap64::default();
        for f in &feats {
            for i in &f.identifiers {
                if let Some(&accounts) = hub_keys.get(&i.key)
                    && reported.insert(i.key, ()).is_none()
                {
                    hubs.push(Hub {
                        signal: i.signal,
                        value: i.value.clone(),
                        accounts,
                    });
                }
            }
        }
    }
    hubs.sort_by(|a, b| b.accounts.cmp(&a.accounts).then(a.value.cmp(&b.value)));
    // Names.
    let mut name_postings: Vec<(u64, u32)> = feats
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name_hash != 0)
        .map(|(a, f)| (f.name_hash, a as u32))
        .collect();
    name_postings.par_sort_unstable();
    let mut generic_names: HashMap64<()> = HashMap64::default();
    groups(&name_postings, |key, g| {
        if g.len() as u32 > limit {
            generic_names.insert(key, ());
        }
    });
    // Avatars: distinct hashes, accounts per hash, capped neighbourhood counts.
    let mut slot_of: HashMap<[u64; 4], u32> = HashMap::new();
    let mut distinct: Vec<PdqHash> = Vec::new();
    let mut slot_accounts: Vec<Vec<u32>> = Vec::new();
    let mut avatar_slot: Vec<u32> = vec![u32::MAX; n];
    for (a, f) in feats.iter().enumerate() {
        if let Some(h) = f.avatar {
            let s = *slot_of.entry(h.0).or_insert_with(|| {
                distinct.push(h);
                slot_accounts.push(Vec::new());
                (distinct.len() - 1) as u32
            });
            slot_accounts[s as usize].push(a as u32);
            avatar_slot[a] = s;
        }
    }
    drop(slot_of);
    let counted: Vec<u32> = slot_accounts.iter().map(|v| v.len() as u32).collect();
    let hoods = neighbourhoods(&distinct, &counted, cfg.pdq_radius, limit.saturating_add(1));
    drop(distinct);
    let slot_count = hoods.count;

    // 2. Reduction (shingles were reduced above).
    feats.par_iter_mut().enumerate().for_each(|(a, f)| {
        f.identifiers.retain(|i| !hub_keys.contains_key(&i.key));
        if f.name_hash != 0 && generic_names.contains_key(&f.name_hash) {
            f.name_hash = 0;
        }
        if f.avatar.is_some() && slot_count[avatar_slot[a] as usize] > limit {
            f.avatar = None;
        }
    });
    on_step(Step::Commonness);

    // 3. Candidates.
    let mut pairs: Vec<u64> = Vec::new();
    groups(&id_postings, |key, g| {
        if !hub_keys.contains_key(&key) {
            all_pairs(g, &mut pairs);
        }
    });
    drop(id_postings);
    groups(&name_postings, |_, g| {
        if g.len() as u32 <= k {
            all_pairs(g, &mut pairs);
        }
    });
    drop(name_postings);
    // Avatars: accounts sharing a hash, and accounts of near hashes, where neither
    // neighbourhood holds more than K accounts.
    for (s, accounts) in slot_accounts.iter().enumerate() {
        if slot_count[s] <= k {
            for (i, &later) in accounts.iter().enumerate() {
                for &earlier in &accounts[..i] {
                    pairs.push(pair(later, earlier));
                }
            }
        }
    }
    for &(a, b) in &hoods.pairs {
        if slot_count[a as usize] > k || slot_count[b as usize] > k {
            continue;
        }
        for &x in &slot_accounts[a as usize] {
            for &y in &slot_accounts[b as usize] {
                pairs.push(pair(x.max(y), x.min(y)));
            }
        }
    }
    drop(slot_accounts);
    let bands = feats.iter().map(|f| f.band_keys.len()).max().unwrap_or(0);
    // A band-only pair needs text plus a name or an avatar that counts on both sides (generic
    // ones were cleared above): 1 = name, 2 = avatar.
    let weak: Vec<u8> = feats
        .iter()
        .map(|f| u8::from(f.name_hash != 0) | (u8::from(f.avatar.is_some()) << 1))
        .collect();
    let band_pairs: Vec<u64> = (0..bands)
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut postings: Vec<(u64, u32)> = feats
                .iter()
                .enumerate()
                .filter_map(|(a, f)| f.band_keys.get(b).map(|&key| (key, a as u32)))
                .collect();
            postings.sort_unstable();
            let mut out = Vec::new();
            let mut members: Vec<(u64, u32)> = Vec::new();
            groups(&postings, |_, g| {
                if g.len() < 2 || g.len() as u32 > k {
                    return;
                }
                members.clear();
                members.extend(g.iter().filter(|&&(_, a)| weak[a as usize] != 0));
                for (i, &(_, later)) in members.iter().enumerate() {
                    for &(_, earlier) in &members[..i] {
                        if weak[later as usize] & weak[earlier as usize] != 0 {
                            out.push(pair(later, earlier));
                        }
                    }
                }
            });
            out
        })
        .collect();
    pairs.extend(band_pairs);
    pairs.par_sort_unstable();
    pairs.dedup();
    for f in &mut feats {
        f.band_keys = Vec::new();
    }
    on_step(Step::Candidates { pairs: pairs.len() });

    // 4. Decisions.
    let links: Vec<(u32, u32, Vec<Evidence>)> = pairs
        .par_iter()
        .filter_map(|&p| {
            let (later, earlier) = ((p >> 32) as u32, p as u32);
            let a = assess(&feats[later as usize], &feats[earlier as usize], &Rare, cfg);
            a.links.then_some((later, earlier, a.evidence))
        })
        .collect();
    drop(pairs);
    on_step(Step::Decisions { links: links.len() });

    // 5. Actors, in input order.
    let mut actors = Actors::new();
    let mut at = 0usize;
    for x in 0..n as u32 {
        actors.push();
        while at < links.len() && links[at].0 == x {
            actors.union(x, links[at].1, x);
            at += 1;
        }
        actors.settle(x);
    }
    let actor: Vec<u64> = (0..n as u32)
        .map(|x| actors.actor(x).unwrap_or(0))
        .collect();
    let mut edges_of: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (e, (later, earlier, _)) in links.iter().enumerate() {
        edges_of[*later as usize].push(e as u32);
        edges_of[*earlier as usize].push(e as u32);
    }
    for (x, edges) in edges_of.iter_mut().enumerate() {
        edges.sort_by_key(|&e| {
            let (a, b, _) = &links[e as usize];
            if *a as usize == x { *b } else { *a }
        });
    }
    let mut taken: HashMap<u32, Vec<u32>> = HashMap::new();
    for (x, s) in status.iter().enumerate() {
        if *s == Status::TakenDown {
            taken
                .entry(actors.root(x as u32))
                .or_default()
                .push(x as u32);
        }
    }
    on_step(Step::Actors);
    Linked {
        status,
        actors,
        actor,
        links,
        edges_of,
        taken,
        hubs,
    }
}
