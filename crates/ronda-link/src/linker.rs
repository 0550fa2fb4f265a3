//! The in-memory incremental linker: accounts are added one at a time and linked at once.
//!
//! Adding an account ([`Linker::add`]):
//! 1. its values are counted (document frequencies of identifiers, shingles, band keys, name
//!    keys, avatars) and stored in the candidate indexes;
//! 2. candidates are gathered by equality on identifier keys (skipping hubs: more than
//!    `hub_max` accounts), LSH band keys and the name key (skipping buckets of more than
//!    `generic_max` accounts), and by PDQ radius search on the avatar (skipping
//!    neighbourhoods of more than `generic_max` accounts, on either side);
//! 3. each candidate pair is decided by [`crate::assess::assess`] with the current counts: a
//!    shingle, name or avatar counts as evidence while held by at most
//!    [`LinkConfig::generic_limit`] of the accounts counted so far;
//! 4. links join actors ([`crate::unionfind::Actors`]: the older id survives a merge).
//!
//! **Incremental commonness.** Counts only grow, and every decision reads the counts at the
//! moment it is made. A shingle, name or avatar becomes generic, and an identifier a hub, once
//! its count crosses the limit: from then on it makes no new links, and the hub is reported
//! ([`Linker::hubs`]). Links made before the crossing are kept (a union cannot be undone
//! cheaply); rebuilding from scratch — or priming — avoids them. **Priming** ([`Linker::prime`])
//! counts a whole batch before adding it, so every decision sees the final counts and the
//! result does not depend on input order. [`crate::batch::link_batch`] computes the primed
//! result for a whole batch on all cores (after [`crate::batch::reduce_text`]); the CLI uses it,
//! and this linker is its reference in the tests.

use std::collections::HashMap;

use ronda_media::{HashIndex, PdqHash};

use crate::assess::{Commonness, Evidence, assess};
use crate::config::LinkConfig;
use crate::features::{Features, Signal};
use crate::hash::HashMap64;
use crate::lsh::KeyIndex;
use crate::unionfind::{Actors, Merge};

/// An account's status on its platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    TakenDown,
}

impl Status {
    /// Wire name: `active`, `taken_down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::TakenDown => "taken_down",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "active" => Some(Status::Active),
            "taken_down" => Some(Status::TakenDown),
            _ => None,
        }
    }
}

/// An identifier ignored because too many accounts hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    pub signal: Signal,
    pub value: String,
    /// Accounts counted with it so far.
    pub accounts: u32,
}

/// What adding one account did.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    /// The account's index (0, 1, 2, … in the order added).
    pub account: u32,
    /// Its actor id.
    pub actor: u64,
    /// The accounts it linked to, with the evidence of each link.
    pub links: Vec<(u32, Vec<Evidence>)>,
    /// Actors merged because of it (the older id survives).
    pub merges: Vec<Merge>,
}

struct Stored {
    features: Features,
    status: Status,
}

/// Avatars: the distinct hashes in a radius index (their ids are slot numbers), how many
/// accounts were counted with each, and the accounts stored under each (at most the cap). An
/// avatar's count is the number of accounts whose avatar lies within the PDQ radius of it,
/// itself included, summed over the neighbouring slots and capped at `cap`: the visit stops
/// there, so a stock picture re-encoded ten thousand times costs a few verified neighbours per
/// look-up, not ten thousand.
struct Avatars {
    index: HashIndex,
    slot_of: HashMap<[u64; 4], u32>,
    counted: Vec<u32>,
    accounts: Vec<Vec<u32>>,
    cap: usize,
    radius: u32,
}

impl Avatars {
    fn slot(&mut self, h: PdqHash) -> usize {
        if let Some(&s) = self.slot_of.get(&h.0) {
            return s as usize;
        }
        // Index ids are insertion order, so they equal slot numbers (an index full at 2^32
        // hashes would leave later ones unsearchable, never wrong).
        let s = self.accounts.len() as u32;
        let _ = self.index.insert(h);
        self.slot_of.insert(h.0, s);
        self.counted.push(0);
        self.accounts.push(Vec::new());
        s as usize
    }

    fn add(&mut self, h: PdqHash, account: Option<u32>, count: bool) {
        let s = self.slot(h);
        if count {
            self.counted[s] += 1;
        }
        if let Some(a) = account
            && self.accounts[s].len() < self.cap
        {
            self.accounts[s].push(a);
        }
    }

    /// Accounts with an avatar within the radius of `h`, counted up to `cap`.
    fn count(&self, h: &PdqHash, cap: u32) -> u32 {
        near_count(&self.index, &self.counted, h, self.radius, cap)
    }

    fn near(&self, h: &PdqHash) -> Vec<u32> {
        self.index
            .search(h, self.radius)
            .iter()
            .map(|m| m.id)
            .collect()
    }
}

/// The links of `account`: `edges_of[account]` indexes into `edges` (a, b, evidence); each is
/// reported as (the other account, evidence).
pub(crate) fn links_of<'a>(
    edges_of: &'a [Vec<u32>],
    edges: &'a [(u32, u32, Vec<Evidence>)],
    account: u32,
) -> impl Iterator<Item = (u32, &'a [Evidence])> + 'a {
    edges_of
        .get(account as usize)
        .into_iter()
        .flatten()
        .map(move |&e| {
            let (a, b, ev) = &edges[e as usize];
            (if *a == account { *b } else { *a }, ev.as_slice())
        })
}

/// Accounts counted with avatars within `radius` of `h` (`counted` by index id), stopping once
/// the sum reaches `cap`.
fn near_count(index: &HashIndex, counted: &[u32], h: &PdqHash, radius: u32, cap: u32) -> u32 {
    let mut sum = 0u32;
    index.visit_within(h, radius, |m| {
        sum = sum.saturating_add(counted[m.id as usize]);
        sum < cap
    });
    sum.min(cap)
}

/// The counts as [`assess`] sees them: identifiers as counted (against `hub_max`); shingles,
/// names and avatars as 1 when within the evidence limit (which scales with the number of
/// accounts, [`LinkConfig::generic_limit`]) and `u32::MAX` past it.
struct View<'a> {
    ids: &'a KeyIndex,
    names: &'a KeyIndex,
    shingles: &'a HashMap64<u32>,
    avatars: &'a Avatars,
    limit: u32,
}

impl View<'_> {
    fn within(&self, count: u32) -> u32 {
        if count <= self.limit { 1 } else { u32::MAX }
    }
}

impl Commonness for View<'_> {
    fn identifier_count(&self, key: u64) -> u32 {
        self.ids.count(key)
    }
    fn shingle_count(&self, shingle: u64) -> u32 {
        self.within(self.shingles.get(&shingle).copied().unwrap_or(0))
    }
    fn name_count(&self, name_hash: u64) -> u32 {
        self.within(self.names.count(name_hash))
    }
    fn avatar_count(&self, avatar: &PdqHash) -> u32 {
        self.within(self.avatars.count(avatar, self.limit.saturating_add(1)))
    }
}

/// The incremental linker. See the module documentation.
pub struct Linker {
    cfg: LinkConfig,
    accounts: Vec<Stored>,
    actors: Actors,
    ids: KeyIndex,
    bands: KeyIndex,
    names: KeyIndex,
    shingles: HashMap64<u32>,
    avatars: Avatars,
    /// Taken-down accounts of each actor, kept at the actor's root.
    taken: Vec<Vec<u32>>,
    edges: Vec<(u32, u32, Vec<Evidence>)>,
    edges_of: Vec<Vec<u32>>,
    hubs: HashMap64<(Signal, String)>,
    primed: bool,
    /// Accounts counted (primed, or added when not priming).
    counted: usize,
    /// Whether the avatar indexes were compacted since the last prime.
    compacted: bool,
    seen: Vec<u32>,
}

impl std::fmt::Debug for Linker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("accounts", &self.accounts.len())
            .field("edges", &self.edges.len())
            .field("hubs", &self.hubs.len())
            .finish()
    }
}

impl Linker {
    /// An empty linker.
    pub fn new(cfg: LinkConfig) -> Linker {
        Linker {
            ids: KeyIndex::new(cfg.hub_max.saturating_add(1)),
            bands: KeyIndex::new(cfg.generic_max.saturating_add(1)),
            names: KeyIndex::new(cfg.generic_max.saturating_add(1)),
            avatars: Avatars {
                index: HashIndex::new(),
                slot_of: HashMap::new(),
                counted: Vec::new(),
                accounts: Vec::new(),
                cap: cfg.generic_max as usize + 1,
                radius: cfg.pdq_radius,
            },
            cfg,
            accounts: Vec::new(),
            actors: Actors::new(),
            shingles: HashMap64::default(),
            taken: Vec::new(),
            edges: Vec::new(),
            edges_of: Vec::new(),
            hubs: HashMap64::default(),
            primed: false,
            counted: 0,
            compacted: false,
            seen: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LinkConfig {
        &self.cfg
    }

    /// Number of accounts added.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether no account was added.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Counts an account's values ahead of adding it (batch mode). Once anything is primed,
    /// [`Linker::add`] no longer counts: prime every account of the batch, then add each.
    pub fn prime(&mut self, f: &Features) {
        self.primed = true;
        self.counted += 1;
        self.compacted = false;
        for id in &f.identifiers {
            self.ids.bump(id.key);
        }
        for &k in &f.band_keys {
            self.bands.bump(k);
        }
        if f.name_hash != 0 {
            self.names.bump(f.name_hash);
        }
        for &s in &f.shingles {
            *self.shingles.entry(s).or_insert(0) += 1;
        }
        if let Some(h) = f.avatar {
            self.avatars.add(h, None, true);
        }
    }

    /// Adds one account and links it. See the module documentation.
    pub fn add(&mut self, status: Status, mut features: Features) -> Added {
        let x = self.actors.push();
        let count = !self.primed;
        if count {
            self.counted += 1;
        }
        if self.primed && !self.compacted {
            // Priming inserted every avatar of the batch; merge the index's unindexed tail into
            // its directories once, so no radius search of the batch scans a tail.
            self.avatars.index.compact();
            self.compacted = true;
        }
        let cfg = self.cfg.clone();
        let cfg = &cfg;
        for id in &features.identifiers {
            self.ids.insert(id.key, x, count);
            if self.ids.count(id.key) > cfg.hub_max {
                self.hubs
                    .entry(id.key)
                    .or_insert_with(|| (id.signal, id.value.clone()));
            }
        }
        for &k in &features.band_keys {
            self.bands.insert(k, x, count);
        }
        if features.name_hash != 0 {
            self.names.insert(features.name_hash, x, count);
        }
        if count {
            for &s in &features.shingles {
                *self.shingles.entry(s).or_insert(0) += 1;
            }
        }
        if let Some(h) = features.avatar {
            self.avatars.add(h, Some(x), count);
        }

        let candidates = self.candidates(x, &features);
        let view = View {
            ids: &self.ids,
            names: &self.names,
            shingles: &self.shingles,
            avatars: &self.avatars,
            limit: cfg.generic_limit(self.counted),
        };
        let mut links = Vec::new();
        for &y in &candidates {
            let other = &self.accounts[y as usize].features;
            let a = assess(&features, other, &view, cfg);
            if a.links {
                links.push((y, a.evidence));
            }
        }

        self.taken.push(Vec::new());
        self.edges_of.push(Vec::new());
        if status == Status::TakenDown {
            self.taken[x as usize].push(x);
        }
        let merges_before = self.actors.merges().len();
        for (y, evidence) in &links {
            let u = self.actors.union(x, *y, x);
            if let Some(old) = u.absorbed_root {
                let moved = std::mem::take(&mut self.taken[old as usize]);
                self.taken[u.root as usize].extend(moved);
            }
            let e = self.edges.len() as u32;
            self.edges.push((x, *y, evidence.clone()));
            self.edges_of[x as usize].push(e);
            self.edges_of[*y as usize].push(e);
        }
        let actor = self.actors.settle(x);
        let merges = self.actors.merges()[merges_before..].to_vec();
        // Signature and band keys are only needed to find candidates: drop them.
        features.signature = Vec::new();
        features.band_keys = Vec::new();
        self.accounts.push(Stored { features, status });
        Added {
            account: x,
            actor,
            links,
            merges,
        }
    }

    /// Candidates of `x`, each once, deduplicated with epoch-stamped vectors rather than a hash
    /// set: accounts sharing an identifier key (not a hub), the name key or the avatar
    /// neighbourhood (each of at most `generic_max` accounts), and accounts sharing an LSH band
    /// key (a bucket of at most `generic_max`) that could link on text: both names, or both
    /// avatars, count as evidence. (A candidate found only through the bands shares no counting
    /// identifier and no enumerated avatar neighbourhood, so it needs text plus a name or an
    /// avatar.)
    fn candidates(&mut self, x: u32, f: &Features) -> Vec<u32> {
        let cfg = self.cfg.clone();
        self.seen.resize(x as usize + 1, u32::MAX);
        let stamp = x;
        self.seen[x as usize] = stamp;
        // Evidence limit (scales with the accounts counted) and enumeration limit (fixed).
        let (limit, kmax) = (cfg.generic_limit(self.counted), cfg.generic_max);
        let name_channel = f.name_hash != 0 && self.names.count(f.name_hash) <= kmax;
        let mut out = Vec::new();
        let seen = &mut self.seen;
        let mut take = |y: u32, out: &mut Vec<u32>| {
            let s = &mut seen[y as usize];
            if *s != stamp {
                *s = stamp;
                out.push(y);
            }
        };
        for id in &f.identifiers {
            if self.ids.count(id.key) <= cfg.hub_max {
                for y in self.ids.accounts(id.key) {
                    take(y, &mut out);
                }
            }
        }
        if name_channel {
            for y in self.names.accounts(f.name_hash) {
                take(y, &mut out);
            }
        }
        if let Some(h) = &f.avatar
            && self.avatars.count(h, kmax.saturating_add(1)) <= kmax
        {
            for slot in self.avatars.near(h) {
                // A neighbourhood of more than K accounts is not enumerated from either side.
                let crowded = self
                    .avatars
                    .index
                    .get(slot)
                    .is_none_or(|n| self.avatars.count(n, kmax.saturating_add(1)) > kmax);
                if !crowded {
                    for &y in &self.avatars.accounts[slot as usize] {
                        take(y, &mut out);
                    }
                }
            }
        }
        let name_ok = |g: &Features| g.name_hash != 0 && self.names.count(g.name_hash) <= limit;
        let avatar_ok = |g: &Features| {
            g.avatar
                .is_some_and(|h| self.avatars.count(&h, limit.saturating_add(1)) <= limit)
        };
        let (name_counts, avatar_counts) = (name_ok(f), avatar_ok(f));
        if name_counts || avatar_counts {
            for &key in &f.band_keys {
                if self.bands.count(key) <= kmax {
                    for y in self.bands.accounts(key) {
                        let Some(g) = self.accounts.get(y as usize).map(|s| &s.features) else {
                            continue; // x itself, not stored yet
                        };
                        if (name_counts && name_ok(g)) || (avatar_counts && avatar_ok(g)) {
                            take(y, &mut out);
                        }
                    }
                }
            }
        }
        out
    }

    /// Changes an account's status (e.g. the platform took it down later).
    pub fn set_status(&mut self, account: u32, status: Status) {
        let Some(stored) = self.accounts.get_mut(account as usize) else {
            return;
        };
        if stored.status == status {
            return;
        }
        stored.status = status;
        let root = self.actors.find(account) as usize;
        match status {
            Status::TakenDown => self.taken[root].push(account),
            Status::Active => self.taken[root].retain(|&a| a != account),
        }
    }

    /// The actor id of an account (`None` for an index never added).
    pub fn actor(&self, account: u32) -> Option<u64> {
        if (account as usize) < self.accounts.len() {
            self.actors.actor(account)
        } else {
            None
        }
    }

    /// The taken-down accounts of an **active** account's actor (it is a re-creation of them);
    /// empty for a taken-down account or one whose actor has none. Sorted.
    pub fn recreation_of(&self, account: u32) -> Vec<u32> {
        match self.accounts.get(account as usize) {
            Some(s) if s.status == Status::Active => {
                let mut v = self.taken[self.actors.root(account) as usize].clone();
                v.sort_unstable();
                v
            }
            _ => Vec::new(),
        }
    }

    /// The links of an account: (other account, evidence), in the order they were made.
    pub fn evidence(&self, account: u32) -> impl Iterator<Item = (u32, &[Evidence])> + '_ {
        links_of(&self.edges_of, &self.edges, account)
    }

    /// Every merge of actors so far, in order.
    pub fn merges(&self) -> &[Merge] {
        self.actors.merges()
    }

    /// Identifiers ignored as hubs, with their current counts, most accounts first.
    pub fn hubs(&self) -> Vec<Hub> {
        let mut v: Vec<Hub> = self
            .hubs
            .iter()
            .map(|(&k, (signal, value))| Hub {
                signal: *signal,
                value: value.clone(),
                accounts: self.ids.count(k),
            })
            .collect();
        v.sort_by(|a, b| b.accounts.cmp(&a.accounts).then(a.value.cmp(&b.value)));
        v
    }

    /// Number of links made.
    pub fn link_count(&self) -> usize {
        self.edges.len()
    }
}
