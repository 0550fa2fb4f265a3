//! Exact Hamming radius search over 256-bit hashes: multi-index hashing on 8 × 32-bit chunks,
//! each chunk reachable through two 16-bit bucket directories, with popcount verification.
//!
//! **Why it never misses.** Split a hash into 8 chunks of 32 bits. If two hashes are within
//! distance `r`, their chunk distances add up to at most `r`, so some chunk differs in at most
//! `e = r / 8` bits (8 chunks each differing in `e + 1` bits or more would make `8(e + 1) > r`).
//! For `r = 31`, `e = 3`. Split that chunk into halves `hi` and `lo`: `d(hi) + d(lo) ≤ e`, so
//! either `d(hi) ≤ ⌊e/2⌋`, or `d(hi) > ⌊e/2⌋` and then `d(lo) ≤ ⌈e/2⌉ - 1`. Each chunk has a
//! directory keyed by its high half and one keyed by its low half; a query opens the buckets of
//! every key within those flips (for `e = 3`: 17 + 17 buckets per chunk, 272 in all) and keeps
//! the entries whose other half is still within budget, then verifies the full distance.
//!
//! **Layout.** A directory is CSR: 65,537 `u32` offsets by key, then per entry the id (`u32`)
//! and 8 bits of the other half (`u8`), used as a prefilter (a necessary condition: fewer bits
//! can only differ less). Memory: 32 bytes for the hash plus 16 × 5 bytes of postings = 112
//! bytes per hash, plus a fixed 4 MiB of offsets (FAISS's 16 × 16-bit multi-hash index needs
//! about 300). Banks under 4096 hashes skip the directories and are scanned.
//!
//! **No duplicates, no bitset.** A hash near the query can surface from several directories.
//! Each result has one canonical directory — the first chunk within `e` bits, its high-half
//! directory if the high half is within `⌊e/2⌋`, else its low-half one — and is reported only
//! from there, which verification checks from the full hash it loaded anyway.
//!
//! **Memory-level parallelism.** A query runs in two passes: scan the buckets and collect
//! candidates, then load and verify their hashes. The loads of each pass are independent of
//! one another, so the CPU overlaps their cache misses.
//!
//! **Incremental insert.** New hashes go to an unindexed tail that queries scan linearly; once
//! the tail passes an eighth of the indexed size (at least 4096 hashes) it is merged into the
//! directories (new entries go after old ones in each bucket), so inserting n hashes one by one
//! costs O(n) amortised moves.
//!
//! **Strategy.** Large radii make the probe count explode (`e > 7` is always a scan), and small
//! indexes are faster to scan: [`SearchStrategy::Auto`] estimates both costs and picks.

use crate::pdq::PdqHash;

const CHUNKS: usize = 8;
/// Two directories per chunk: `2p` keyed by the high half of chunk `p`, `2p + 1` by the low.
const DIRECTORIES: usize = 2 * CHUNKS;
const BUCKETS: usize = 1 << 16;
/// Beyond this many flips per chunk the probe enumeration costs more than a scan.
const MAX_PROBE_FLIPS: u32 = 7;
/// Smallest unindexed tail worth merging, and smallest bank worth a directory.
const MIN_MERGE: usize = 4096;

/// One result: the id (insertion order) of a stored hash and its distance to the query.
///
/// Ordered by distance, then id: nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexMatch {
    pub distance: u32,
    pub id: u32,
}

/// How to answer one query; [`SearchStrategy::Auto`] is right outside tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchStrategy {
    /// Pick by estimated cost.
    #[default]
    Auto,
    /// Multi-index probing (falls back to scanning when the radius needs more than 7 flips per
    /// chunk).
    Probe,
    /// Compare against every stored hash.
    Scan,
}

/// Why a hash could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("index is full ({0} hashes; ids are 32-bit)")]
    Full(usize),
}

/// The postings of one half-chunk key.
#[derive(Debug, Clone, Default)]
struct Directory {
    /// `BUCKETS + 1` offsets into `ids` / `partners`, by key.
    offsets: Vec<u32>,
    ids: Vec<u32>,
    /// The low 8 bits of the chunk's other half.
    partners: Vec<u8>,
}

/// An exact radius index over PDQ hashes. Ids are insertion order, starting at 0.
#[derive(Debug, Clone, Default)]
pub struct HashIndex {
    hashes: Vec<PdqHash>,
    /// `hashes[..indexed]` are in `directories`; the rest is the unindexed tail.
    indexed: usize,
    /// Empty until the first merge, then `DIRECTORIES` of them.
    directories: Vec<Directory>,
}

#[inline]
fn chunk(hash: &PdqHash, index: usize) -> u32 {
    (hash.0[index / 2] >> (32 * (index % 2))) as u32
}

/// Key and partner (other half) of a chunk value for directory `d`.
#[inline]
fn split(chunk_value: u32, d: usize) -> (u16, u16) {
    let (high, low) = ((chunk_value >> 16) as u16, chunk_value as u16);
    if d.is_multiple_of(2) {
        (high, low)
    } else {
        (low, high)
    }
}

/// Popcount of a byte, by table (the build targets x86-64 without the POPCNT instruction).
const POPCOUNT8: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = (i as u8).count_ones() as u8;
        i += 1;
    }
    table
};

/// Flip budgets for a per-chunk budget `e`: keys within `high` flips in high-half directories,
/// within `low` flips in low-half directories (`None`: low-half directories are not needed).
fn key_flips(e: u32) -> (u32, Option<u32>) {
    let high = e / 2;
    let low = e.div_ceil(2).checked_sub(1);
    (high, low)
}

/// All 16-bit masks with exactly `weight` bits set, for weights `0..=MAX_PROBE_FLIPS / 2 + 1`.
fn masks_by_weight() -> &'static [Vec<u16>] {
    static MASKS: std::sync::OnceLock<Vec<Vec<u16>>> = std::sync::OnceLock::new();
    MASKS.get_or_init(|| {
        let max = MAX_PROBE_FLIPS.div_ceil(2) as usize;
        let mut by_weight = vec![Vec::new(); max + 1];
        for mask in 0..=u16::MAX {
            let weight = mask.count_ones() as usize;
            if weight <= max {
                by_weight[weight].push(mask);
            }
        }
        by_weight
    })
}

impl HashIndex {
    /// An empty index.
    pub fn new() -> HashIndex {
        HashIndex::default()
    }

    /// Builds an index over `hashes` (ids are their positions), using up to
    /// `available_parallelism` threads for the per-directory sorts.
    pub fn from_hashes(hashes: Vec<PdqHash>) -> Result<HashIndex, IndexError> {
        if hashes.len() >= u32::MAX as usize {
            return Err(IndexError::Full(hashes.len()));
        }
        let mut index = HashIndex {
            hashes,
            indexed: 0,
            directories: Vec::new(),
        };
        // Below MIN_MERGE a scan beats probing and the 4 MiB of offsets would dominate memory.
        if index.len() >= MIN_MERGE {
            index.merge_tail();
        }
        Ok(index)
    }

    /// Moves every unindexed hash into the directories now (inserts do this on their own once
    /// the unindexed tail is large enough to matter).
    pub fn compact(&mut self) {
        self.merge_tail();
    }

    /// Number of stored hashes.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The stored hash with this id.
    pub fn get(&self, id: u32) -> Option<&PdqHash> {
        self.hashes.get(id as usize)
    }

    /// All stored hashes, by id.
    pub fn hashes(&self) -> &[PdqHash] {
        &self.hashes
    }

    /// Adds one hash and returns its id. Queries see it at once.
    pub fn insert(&mut self, hash: PdqHash) -> Result<u32, IndexError> {
        let id = u32::try_from(self.hashes.len()).map_err(|_| IndexError::Full(self.len()))?;
        if id == u32::MAX {
            return Err(IndexError::Full(self.len()));
        }
        self.hashes.push(hash);
        self.merge_if_due();
        Ok(id)
    }

    /// Adds many hashes; returns the id of the first.
    pub fn extend(&mut self, hashes: &[PdqHash]) -> Result<u32, IndexError> {
        let first = self.hashes.len();
        if first + hashes.len() >= u32::MAX as usize {
            return Err(IndexError::Full(first + hashes.len()));
        }
        self.hashes.extend_from_slice(hashes);
        self.merge_if_due();
        Ok(first as u32)
    }

    fn merge_if_due(&mut self) {
        if self.hashes.len() - self.indexed >= MIN_MERGE.max(self.indexed / 8) {
            self.merge_tail();
        }
    }

    /// Heap bytes held by the index, hashes included.
    pub fn memory_bytes(&self) -> usize {
        self.hashes.capacity() * std::mem::size_of::<PdqHash>()
            + self
                .directories
                .iter()
                .map(|d| d.offsets.capacity() * 4 + d.ids.capacity() * 4 + d.partners.capacity())
                .sum::<usize>()
    }

    /// All stored hashes within `radius` of `query`, nearest first (ties by id).
    pub fn search(&self, query: &PdqHash, radius: u32) -> Vec<IndexMatch> {
        let mut out = Vec::new();
        self.search_into(query, radius, SearchStrategy::Auto, &mut out);
        out
    }

    /// Like [`HashIndex::search`], into a reused vector, with a chosen strategy. Every strategy
    /// returns the same results.
    pub fn search_into(
        &self,
        query: &PdqHash,
        radius: u32,
        strategy: SearchStrategy,
        out: &mut Vec<IndexMatch>,
    ) {
        out.clear();
        let flips = radius / CHUNKS as u32;
        let probe = match strategy {
            SearchStrategy::Scan => false,
            SearchStrategy::Probe => flips <= MAX_PROBE_FLIPS,
            SearchStrategy::Auto => flips <= MAX_PROBE_FLIPS && self.probing_is_cheaper(flips),
        };
        if probe && !self.directories.is_empty() {
            self.probe(query, radius, flips, out);
            self.scan(query, radius, self.indexed, out);
        } else {
            self.scan(query, radius, 0, out);
        }
        out.sort_unstable();
    }

    /// Calls `visit` for each stored hash within `radius` of `query`, each once and in no
    /// particular order, until `visit` returns `false`. Unlike [`HashIndex::search`] each bucket
    /// entry is verified as it is scanned, so a caller that needs only the first few matches
    /// (a capped count: "is this near more than K others?") stops early instead of paying for
    /// a large neighbourhood.
    pub fn visit_within(
        &self,
        query: &PdqHash,
        radius: u32,
        mut visit: impl FnMut(IndexMatch) -> bool,
    ) {
        let flips = radius / CHUNKS as u32;
        let probe = flips <= MAX_PROBE_FLIPS
            && !self.directories.is_empty()
            && self.probing_is_cheaper(flips);
        let scan_from = if probe { self.indexed } else { 0 };
        if probe {
            let query_chunks: [u32; CHUNKS] = std::array::from_fn(|p| chunk(query, p));
            let high_flips = key_flips(flips).0;
            let mut stopped = false;
            self.for_each_bucket(&query_chunks, flips, |d, ids, partners, partner, budget| {
                for (&p, &id) in partners.iter().zip(ids) {
                    if POPCOUNT8[usize::from(p ^ partner)] > budget {
                        continue;
                    }
                    let hash = &self.hashes[id as usize];
                    let distance = hash.distance(query);
                    if distance <= radius
                        && canonical_directory(hash, &query_chunks, flips, high_flips) == d
                        && !visit(IndexMatch { distance, id })
                    {
                        stopped = true;
                        return false;
                    }
                }
                true
            });
            if stopped {
                return;
            }
        }
        for (offset, hash) in self.hashes[scan_from..].iter().enumerate() {
            let distance = hash.distance(query);
            if distance <= radius
                && !visit(IndexMatch {
                    distance,
                    id: (scan_from + offset) as u32,
                })
            {
                return;
            }
        }
    }

    /// Cost model in "hash comparisons": a bucket visit costs about eight, an entry one.
    fn probing_is_cheaper(&self, flips: u32) -> bool {
        let masks = masks_by_weight();
        let keys = |max: Option<u32>| -> usize {
            max.map_or(0, |m| masks[..=m as usize].iter().map(Vec::len).sum())
        };
        let (high, low) = key_flips(flips);
        let buckets = (keys(Some(high)) + keys(low)) * CHUNKS;
        let entries = buckets as f64 * self.indexed as f64 / BUCKETS as f64;
        let probe_cost = buckets as f64 * 8.0 + entries + (self.len() - self.indexed) as f64;
        probe_cost < self.len() as f64
    }

    fn scan(&self, query: &PdqHash, radius: u32, from: usize, out: &mut Vec<IndexMatch>) {
        for (offset, hash) in self.hashes[from..].iter().enumerate() {
            let distance = hash.distance(query);
            if distance <= radius {
                out.push(IndexMatch {
                    distance,
                    id: (from + offset) as u32,
                });
            }
        }
    }

    /// Calls `f(directory, ids, partners, query partner, partner budget)` for every bucket a
    /// query with these chunks must open at `flips` bits per chunk, until `f` returns `false`.
    fn for_each_bucket(
        &self,
        query_chunks: &[u32; CHUNKS],
        flips: u32,
        mut f: impl FnMut(usize, &[u32], &[u8], u8, u8) -> bool,
    ) {
        let masks = masks_by_weight();
        let (high_flips, low_flips) = key_flips(flips);
        for (d, directory) in self.directories.iter().enumerate() {
            let max_key_flips = if d.is_multiple_of(2) {
                high_flips
            } else if let Some(low) = low_flips {
                low
            } else {
                continue;
            };
            let (key, partner) = split(query_chunks[d / 2], d);
            for key_flips in 0..=max_key_flips {
                let budget = (flips - key_flips).min(8) as u8;
                for &mask in &masks[key_flips as usize] {
                    let bucket = usize::from(key ^ mask);
                    let range =
                        directory.offsets[bucket] as usize..directory.offsets[bucket + 1] as usize;
                    if !f(
                        d,
                        &directory.ids[range.clone()],
                        &directory.partners[range],
                        partner as u8,
                        budget,
                    ) {
                        return;
                    }
                }
            }
        }
    }

    fn probe(&self, query: &PdqHash, radius: u32, flips: u32, out: &mut Vec<IndexMatch>) {
        let query_chunks: [u32; CHUNKS] = std::array::from_fn(|p| chunk(query, p));
        let high_flips = key_flips(flips).0;

        // Pass 1: scan the buckets, keep entries whose partner bits are within budget. About a
        // sixth of the entries pass, a branch the CPU cannot predict, so the filter is
        // branchless: every entry is written, and the length only advances past those that pass.
        let mut candidates: Vec<(u32, u8)> = Vec::new();
        let mut kept = 0usize;
        self.for_each_bucket(&query_chunks, flips, |d, ids, partners, partner, budget| {
            if candidates.len() < kept + ids.len() {
                candidates.resize((kept + ids.len()).max(2 * candidates.len()), (0, 0));
            }
            for (&p, &id) in partners.iter().zip(ids) {
                candidates[kept] = (id, d as u8);
                kept += usize::from(POPCOUNT8[usize::from(p ^ partner)] <= budget);
            }
            true
        });
        candidates.truncate(kept);

        // Pass 2: full distance, reported from the canonical directory only.
        for &(id, d) in &candidates {
            let hash = &self.hashes[id as usize];
            let distance = hash.distance(query);
            if distance <= radius
                && canonical_directory(hash, &query_chunks, flips, high_flips) == usize::from(d)
            {
                out.push(IndexMatch { distance, id });
            }
        }
    }

    /// Moves the unindexed tail into the directories.
    fn merge_tail(&mut self) {
        let start = self.indexed;
        let end = self.hashes.len();
        if start == end && !self.directories.is_empty() {
            return;
        }
        let mut old = std::mem::take(&mut self.directories);
        old.resize_with(DIRECTORIES, Directory::default);
        let hashes = &self.hashes;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(DIRECTORIES);
        let mut merged: Vec<Directory> = vec![Directory::default(); DIRECTORIES];
        if threads <= 1 || end - start < 100_000 {
            for (d, (target, previous)) in merged.iter_mut().zip(old.iter_mut()).enumerate() {
                *target = merge_directory(std::mem::take(previous), hashes, start, end, d);
            }
        } else {
            // Directory d goes to worker d % threads; a worker merges its directories in turn,
            // so the transient memory stays at `threads` directories' worth.
            std::thread::scope(|scope| {
                let mut work: Vec<Vec<(usize, &mut Directory, Directory)>> =
                    (0..threads).map(|_| Vec::new()).collect();
                for (d, (target, previous)) in merged.iter_mut().zip(old.iter_mut()).enumerate() {
                    work[d % threads].push((d, target, std::mem::take(previous)));
                }
                for items in work {
                    scope.spawn(move || {
                        for (d, target, previous) in items {
                            *target = merge_directory(previous, hashes, start, end, d);
                        }
                    });
                }
            });
        }
        self.directories = merged;
        self.indexed = end;
    }
}

/// The directory a result is reported from: the first chunk within `flips` bits; there, the
/// high-half directory when the high half is within `high_flips`, else the low-half one.
#[inline]
fn canonical_directory(
    hash: &PdqHash,
    query_chunks: &[u32; CHUNKS],
    flips: u32,
    high_flips: u32,
) -> usize {
    for (p, &query_chunk) in query_chunks.iter().enumerate() {
        let difference = chunk(hash, p) ^ query_chunk;
        if difference.count_ones() <= flips {
            return if (difference >> 16).count_ones() <= high_flips {
                2 * p
            } else {
                2 * p + 1
            };
        }
    }
    usize::MAX
}

/// Appends hashes `start..end` to directory `d`: each bucket keeps its old entries, then the
/// new ones in id order (a stable counting sort by key).
fn merge_directory(
    old: Directory,
    hashes: &[PdqHash],
    start: usize,
    end: usize,
    d: usize,
) -> Directory {
    let new_keys: Vec<(u16, u8)> = hashes[start..end]
        .iter()
        .map(|hash| {
            let (key, partner) = split(chunk(hash, d / 2), d);
            (key, partner as u8)
        })
        .collect();
    let mut new_counts = vec![0u32; BUCKETS];
    for &(key, _) in &new_keys {
        new_counts[usize::from(key)] += 1;
    }
    let old_offsets = if old.offsets.len() == BUCKETS + 1 {
        old.offsets
    } else {
        vec![0u32; BUCKETS + 1]
    };
    // Where each bucket starts in the merged arrays, and where its new entries go.
    let mut offsets = Vec::with_capacity(BUCKETS + 1);
    let mut next_new = Vec::with_capacity(BUCKETS);
    let mut total = 0u32;
    for bucket in 0..BUCKETS {
        offsets.push(total);
        let old_len = old_offsets[bucket + 1] - old_offsets[bucket];
        next_new.push(total + old_len);
        total += old_len + new_counts[bucket];
    }
    offsets.push(total);
    drop(new_counts);

    let mut ids = vec![0u32; total as usize];
    let mut partners = vec![0u8; total as usize];
    for bucket in 0..BUCKETS {
        let from = old_offsets[bucket] as usize..old_offsets[bucket + 1] as usize;
        let to = offsets[bucket] as usize;
        ids[to..to + from.len()].copy_from_slice(&old.ids[from.clone()]);
        partners[to..to + from.len()].copy_from_slice(&old.partners[from]);
    }
    drop(old.ids);
    drop(old.partners);
    for (offset, &(key, partner)) in new_keys.iter().enumerate() {
        let slot = &mut next_new[usize::from(key)];
        ids[*slot as usize] = (start + offset) as u32;
        partners[*slot as usize] = partner;
        *slot += 1;
    }
    Directory {
        offsets,
        ids,
        partners,
    }
}

/// Every hash in `hashes` within `radius` of `query`, nearest first: the reference the index is
/// tested against.
pub fn brute_force(hashes: &[PdqHash], query: &PdqHash, radius: u32) -> Vec<IndexMatch> {
    let mut out: Vec<IndexMatch> = hashes
        .iter()
        .enumerate()
        .filter_map(|(id, hash)| {
            let distance = hash.distance(query);
            (distance <= radius).then_some(IndexMatch {
                distance,
                id: id as u32,
            })
        })
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small deterministic generator (splitmix64) for test banks.
    fn random_hashes(seed: u64, n: usize) -> Vec<PdqHash> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        (0..n)
            .map(|_| PdqHash([next(), next(), next(), next()]))
            .collect()
    }

    /// `base` with `distance` bits flipped, spread as evenly as possible over the 8 chunks
    /// (the hardest case for the pigeonhole argument), at positions picked by `salt`.
    fn spread_neighbour(base: &PdqHash, distance: u32, salt: u64) -> PdqHash {
        let mut out = *base;
        for flip in 0..distance as usize {
            let chunk_index = (flip + salt as usize) % CHUNKS;
            let round = flip / CHUNKS;
            let bit_in_chunk = (round * 7 + ((salt >> 3) % 32) as usize * 13) % 32;
            let bit = chunk_index * 32 + bit_in_chunk;
            out.0[bit / 64] ^= 1 << (bit % 64);
        }
        out
    }

    fn all_strategies_agree(index: &HashIndex, query: &PdqHash, radius: u32) {
        let expected = brute_force(index.hashes(), query, radius);
        for strategy in [
            SearchStrategy::Auto,
            SearchStrategy::Probe,
            SearchStrategy::Scan,
        ] {
            let mut got = Vec::new();
            index.search_into(query, radius, strategy, &mut got);
            assert_eq!(got, expected, "strategy {strategy:?} radius {radius}");
        }
        assert_eq!(visited(index, query, radius, usize::MAX), expected);
        // Stopping early: exactly the first `limit` matches visited, all of them real.
        let limit = expected.len().min(3);
        let first = visited(index, query, radius, limit);
        assert_eq!(first.len(), limit);
        assert!(first.iter().all(|m| expected.contains(m)));
    }

    /// The matches `visit_within` reports until it has `limit`, sorted.
    fn visited(index: &HashIndex, query: &PdqHash, radius: u32, limit: usize) -> Vec<IndexMatch> {
        let mut got = Vec::new();
        if limit > 0 {
            index.visit_within(query, radius, |m| {
                got.push(m);
                got.len() < limit
            });
        }
        got.sort_unstable();
        got
    }

    #[test]
    fn finds_planted_neighbours_at_the_boundary() {
        let mut bank = random_hashes(1, 20_000);
        let query = bank[123];
        for (k, d) in [30u32, 31, 32, 0, 1, 8, 16, 24].iter().enumerate() {
            bank.push(spread_neighbour(&query, *d, k as u64));
        }
        let index = HashIndex::from_hashes(bank).expect("fits");
        let found = index.search(&query, 31);
        let distances: Vec<u32> = found.iter().map(|m| m.distance).collect();
        assert_eq!(distances, vec![0, 0, 1, 8, 16, 24, 30, 31]);
        for radius in [0, 7, 8, 15, 16, 23, 24, 31, 32, 39, 40, 47, 55, 63, 64] {
            all_strategies_agree(&index, &query, radius);
        }
    }

    #[test]
    fn incremental_inserts_are_searchable_before_and_after_merging() {
        let mut index = HashIndex::new();
        let bank = random_hashes(7, 10_000);
        let query = spread_neighbour(&bank[9_999], 20, 3);
        for (n, hash) in bank.iter().enumerate() {
            let id = index.insert(*hash).expect("room");
            assert_eq!(id as usize, n);
        }
        assert!(index.indexed > 0 && index.indexed < index.len());
        all_strategies_agree(&index, &query, 31);
        assert_eq!(index.search(&query, 31)[0].id, 9_999);
        let first = index.extend(&random_hashes(8, 5_000)).expect("room");
        assert_eq!(first, 10_000);
        all_strategies_agree(&index, &query, 31);
    }

    #[test]
    fn memory_stays_under_128_bytes_per_hash() {
        let index = HashIndex::from_hashes(random_hashes(3, 500_000)).expect("fits");
        let per_hash = index.memory_bytes() as f64 / index.len() as f64;
        assert!(per_hash <= 128.0, "{per_hash} bytes per hash");
        // Past the fixed 4 MiB of offsets, each hash costs 32 + 16 × 5 bytes.
        let fixed = DIRECTORIES * (BUCKETS + 1) * 4;
        assert_eq!(index.memory_bytes() - fixed, index.len() * 112);
    }

    #[test]
    fn empty_index_finds_nothing() {
        let index = HashIndex::new();
        assert!(index.search(&PdqHash::ZERO, 31).is_empty());
        let mut built = HashIndex::from_hashes(Vec::new()).expect("fits");
        built.compact();
        assert!(built.search(&PdqHash::ZERO, 256).is_empty());
        let small = HashIndex::from_hashes(vec![PdqHash::ZERO; 10]).expect("fits");
        assert_eq!(
            small.memory_bytes(),
            10 * 32,
            "small banks skip the directory"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn probe_equals_brute_force(
            seed in any::<u64>(),
            n in 0usize..3000,
            radius in 0u32..70,
            salts in proptest::collection::vec(any::<u64>(), 1..6),
            random_flips in proptest::collection::vec(0usize..256, 0..40),
        ) {
            let mut bank = random_hashes(seed, n);
            let query = random_hashes(seed ^ 0xabcdef, 1)[0];
            for (k, salt) in salts.iter().enumerate() {
                let d = (radius + (k as u32 % 3)).saturating_sub(1);
                bank.push(spread_neighbour(&query, d, *salt));
            }
            let mut flipped = query;
            for bit in random_flips {
                flipped.0[bit / 64] ^= 1 << (bit % 64);
            }
            bank.push(flipped);
            let mut index = HashIndex::from_hashes(bank).expect("fits");
            index.compact();
            let expected = brute_force(index.hashes(), &query, radius);
            let mut got = Vec::new();
            index.search_into(&query, radius, SearchStrategy::Probe, &mut got);
            prop_assert_eq!(&got, &expected);
            index.search_into(&query, radius, SearchStrategy::Auto, &mut got);
            prop_assert_eq!(&got, &expected);
            prop_assert_eq!(&visited(&index, &query, radius, usize::MAX), &expected);
        }
    }
}
