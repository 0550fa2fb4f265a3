//! Locality-sensitive hashing by banding, and the key → accounts posting index used for every
//! candidate channel (identifiers, LSH bands, display-name keys).
//!
//! A signature of `b × r` values is cut into `b` bands of `r` rows; each band becomes one
//! `u64` key (band number and its rows hashed together). Two accounts are LSH candidates when
//! they share a key: a database stores the keys in an indexed table and finds candidates by
//! equality.

use crate::hash::{HashMap64, combine, mix64};

/// The `bands` band keys of a signature (`bands × rows ≤ sig.len()`); none for the empty-set
/// signature (all `u32::MAX`), which would make every text-less account a candidate of every
/// other.
pub fn band_keys(sig: &[u32], bands: usize, rows: usize) -> Vec<u64> {
    if sig.iter().all(|&v| v == u32::MAX) || bands * rows > sig.len() {
        return Vec::new();
    }
    (0..bands)
        .map(|band| {
            let mut h = mix64(0x4c53_485f_4241_4e44 ^ band as u64);
            for &v in &sig[band * rows..(band + 1) * rows] {
                h = combine(h, u64::from(v));
            }
            h
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Accounts counted under this key (document frequency).
    count: u32,
    /// Postings stored (at most the cap).
    stored: u32,
    /// Newest posting, or `NONE`.
    head: u32,
}

const NONE: u32 = u32::MAX;

/// Key → accounts, with a count per key. Only the first `cap` accounts of a key are kept as
/// postings (a key held by more is generic or a hub, and is not searched); the count keeps
/// growing. Postings are a singly linked list in one vector: 8 bytes per posting, plus about
/// 20 bytes per distinct key in the map.
#[derive(Debug, Clone)]
pub struct KeyIndex {
    buckets: HashMap64<Bucket>,
    postings: Vec<(u32, u32)>,
    cap: u32,
}

impl KeyIndex {
    /// An empty index keeping at most `cap` postings per key.
    pub fn new(cap: u32) -> KeyIndex {
        KeyIndex {
            buckets: HashMap64::default(),
            postings: Vec::new(),
            cap,
        }
    }

    /// How many accounts were counted under `key`.
    pub fn count(&self, key: u64) -> u32 {
        self.buckets.get(&key).map_or(0, |b| b.count)
    }

    /// Counts one more account under `key` without storing it (a batch pre-pass).
    pub fn bump(&mut self, key: u64) {
        self.bucket(key).count += 1;
    }

    fn bucket(&mut self, key: u64) -> &mut Bucket {
        self.buckets.entry(key).or_insert(Bucket {
            count: 0,
            stored: 0,
            head: NONE,
        })
    }

    /// Stores `account` under `key`; `count` says whether to count it too (false when a
    /// pre-pass already did).
    pub fn insert(&mut self, key: u64, account: u32, count: bool) {
        let cap = self.cap;
        let next_id = self.postings.len() as u32;
        let b = self.bucket(key);
        if count {
            b.count += 1;
        }
        if b.stored < cap {
            let prev = b.head;
            b.head = next_id;
            b.stored += 1;
            self.postings.push((account, prev));
        }
    }

    /// The accounts stored under `key`, newest first (at most the cap).
    pub fn accounts(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.buckets.get(&key).map_or(NONE, |b| b.head);
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let (account, next) = self.postings[at as usize];
            at = next;
            Some(account)
        })
    }

    /// Distinct keys.
    pub fn keys(&self) -> usize {
        self.buckets.len()
    }

    /// Approximate heap bytes.
    pub fn memory_bytes(&self) -> usize {
        self.buckets.capacity() * (8 + std::mem::size_of::<Bucket>() + 1)
            + self.postings.capacity() * 8
    }
}

/// A plain MinHash LSH index (insert, query) over band keys: the stage benchmarked against
/// `datasketch.MinHashLSH`. Postings are kept as one array grouped by key (a key's ids are
/// contiguous, found with one hash look-up), so a query reads each bucket sequentially instead
/// of chasing a linked list; inserts are appended and merged in on the next query (one sort),
/// which suits the batch pattern of inserting everything, then querying. The linker itself
/// uses [`KeyIndex`] directly.
#[derive(Debug, Clone, Default)]
pub struct LshIndex {
    /// Inserted since the last merge: (key, id).
    pending: Vec<(u64, u32)>,
    /// Key → range of `ids`.
    ranges: HashMap64<(u32, u32)>,
    /// Ids grouped by key (ascending within a key).
    ids: Vec<u32>,
    seen: Vec<u32>,
    stamp: u32,
}

impl LshIndex {
    /// An empty index.
    pub fn new() -> LshIndex {
        LshIndex::default()
    }

    /// Adds item `id` (ids are dense: 0, 1, 2, …) under its band keys.
    pub fn insert(&mut self, id: u32, keys: &[u64]) {
        self.pending.extend(keys.iter().map(|&k| (k, id)));
        if self.seen.len() <= id as usize {
            self.seen.resize(id as usize + 1, 0);
        }
    }

    /// Merges pending inserts into the grouped postings.
    fn merge(&mut self) {
        let mut all = std::mem::take(&mut self.pending);
        all.reserve(self.ids.len());
        for (&key, &(start, len)) in &self.ranges {
            all.extend(
                self.ids[start as usize..(start + len) as usize]
                    .iter()
                    .map(|&id| (key, id)),
            );
        }
        all.sort_unstable();
        self.ranges.clear();
        self.ids.clear();
        self.ids.reserve(all.len());
        let mut i = 0;
        while i < all.len() {
            let key = all[i].0;
            let start = self.ids.len() as u32;
            while i < all.len() && all[i].0 == key {
                self.ids.push(all[i].1);
                i += 1;
            }
            self.ranges
                .insert(key, (start, self.ids.len() as u32 - start));
        }
    }

    /// Items sharing at least one band key, each once, into `out` (cleared).
    pub fn query(&mut self, keys: &[u64], out: &mut Vec<u32>) {
        if !self.pending.is_empty() {
            self.merge();
        }
        out.clear();
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.fill(0);
            self.stamp = 1;
        }
        for k in keys {
            let Some(&(start, len)) = self.ranges.get(k) else {
                continue;
            };
            for &id in &self.ids[start as usize..(start + len) as usize] {
                let s = &mut self.seen[id as usize];
                if *s != self.stamp {
                    *s = self.stamp;
                    out.push(id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{MinHasher, jaccard};

    fn text_set(seed: u64, n: u64, overlap: u64) -> Vec<u64> {
        // `overlap` shared values, the rest unique to this seed.
        let mut v: Vec<u64> = (0..overlap)
            .map(mix64)
            .chain((0..n - overlap).map(|i| mix64((seed << 32) | i)))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn lsh_finds_similar_pairs_and_rarely_dissimilar_ones() {
        let cfg = crate::LinkConfig::default();
        let (b, r) = cfg.bands_rows();
        let mh = MinHasher::new(cfg.num_perm, cfg.seed);
        let base = text_set(1000, 60, 60);
        let base_keys = band_keys(&mh.signature(&base), b, r);
        let (mut hi_found, mut hi_total, mut lo_found, mut lo_total) = (0, 0, 0, 0);
        for seed in 1..200u64 {
            // Jaccard 50/70 ≈ 0.71 with the base: should be found.
            let near = text_set(seed, 60, 50);
            assert!(jaccard(&base, &near) > 0.7);
            let mut idx = LshIndex::new();
            idx.insert(0, &band_keys(&mh.signature(&near), b, r));
            let mut out = Vec::new();
            idx.query(&base_keys, &mut out);
            hi_total += 1;
            hi_found += usize::from(out == [0]);
            // Jaccard 10/110 ≈ 0.09: should not be.
            let far = text_set(seed, 60, 10);
            let mut idx = LshIndex::new();
            idx.insert(0, &band_keys(&mh.signature(&far), b, r));
            idx.query(&base_keys, &mut out);
            lo_total += 1;
            lo_found += usize::from(!out.is_empty());
        }
        assert!(
            hi_found * 100 >= hi_total * 95,
            "recall {hi_found}/{hi_total}"
        );
        assert!(
            lo_found * 100 <= lo_total * 2,
            "false {lo_found}/{lo_total}"
        );
    }

    #[test]
    fn lsh_index_answers_after_inserts_between_queries() {
        let mut idx = LshIndex::new();
        idx.insert(0, &[1, 2, 3]);
        idx.insert(1, &[3, 4]);
        let mut out = Vec::new();
        idx.query(&[3, 2], &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 1], "each item once");
        idx.insert(2, &[2, 9]);
        idx.query(&[2], &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![0, 2], "later inserts are merged in");
        idx.query(&[7], &mut out);
        assert!(out.is_empty());
        idx.query(&[4], &mut out);
        assert_eq!(out, vec![1], "earlier postings survive the merge");
    }

    #[test]
    fn key_index_counts_beyond_the_cap_but_stores_only_the_cap() {
        let mut k = KeyIndex::new(2);
        for a in 0..5 {
            k.insert(42, a, true);
        }
        assert_eq!(k.count(42), 5);
        assert_eq!(k.accounts(42).collect::<Vec<_>>(), vec![1, 0]);
        k.bump(7);
        assert_eq!(k.count(7), 1);
        assert_eq!(k.accounts(7).count(), 0);
        assert!(band_keys(&[u32::MAX; 8], 2, 4).is_empty());
    }
}
