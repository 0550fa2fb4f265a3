//! Near-duplicate avatars of a whole batch at once: for every distinct PDQ hash, how many
//! accounts have an avatar within the radius of it (capped), and every pair of distinct hashes
//! within the radius whose counts are both under the cap.
//!
//! Searching the radius of each hash one by one costs a few hundred cache misses per hash
//! at a million avatars (most of them alone in their neighbourhood, so every bucket must be
//! scanned to prove it). A batch instead **joins** the hashes with themselves, one chunk
//! directory at a time, so each directory's entries stay in cache:
//!
//! - **Pigeonhole.** Split the 256 bits into 8 chunks of 32. Two hashes within distance `r`
//!   differ in at most `e = r / 8` bits of some chunk. Split that chunk into a high and a low
//!   half: either the high halves differ in at most `⌊e/2⌋` bits, or they differ in more and
//!   then the low halves differ in at most `⌈e/2⌉ − 1`. So for each chunk there is one
//!   directory keyed by the high half and one by the low half; a pair is found in a directory
//!   when the keys differ in few enough bits (bucket pairs `K`, `K ^ mask`) and the whole chunk
//!   (key and other half, both stored) within `e` bits. Every pair within `r` is found at least
//!   once; candidates are then de-duplicated and verified on the full 256 bits.
//! - **Dense neighbourhoods.** A stock picture re-encoded thousands of times puts thousands
//!   of near-identical hashes in the same buckets, and a join of such a bucket with itself is
//!   quadratic. Hashes in any bucket larger than [`DENSE`] are counted instead by a capped
//!   radius visit on a [`HashIndex`] (which stops after `cap` accounts: a few look-ups for a
//!   stock picture), and the join skips pairs of two such hashes; every pair with at least one
//!   other hash is still joined, so the others' counts are exact. A dense hash that turns out
//!   not to be generic has its whole neighbourhood from the visit.
//!
//! Radii of 48 and more (`e ≥ 6`) and small batches use radius searches for every hash.

use rayon::prelude::*;
use ronda_media::{HashIndex, PdqHash};

/// Buckets with more entries than this hold a dense neighbourhood (at a million random hashes
/// a bucket of the 2^16 holds about 15; a bucket of 64 is not met by chance).
pub const DENSE: usize = 64;

const KEYS: usize = 1 << 16;

/// The result of [`neighbourhoods`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbourhoods {
    /// Per distinct hash: accounts with an avatar within the radius (itself included), capped
    /// at `cap`.
    pub count: Vec<u32>,
    /// Pairs `(a, b)`, `a < b`, of distinct hashes within the radius whose counts are both
    /// below `cap`; sorted.
    pub pairs: Vec<(u32, u32)>,
}

/// One chunk-half directory: entries sorted by the key half, with the other half kept.
struct Directory {
    offsets: Vec<u32>,
    other: Vec<u16>,
    slot: Vec<u32>,
}

fn chunk(h: &PdqHash, p: usize) -> u32 {
    (h.0[p / 2] >> (32 * (p % 2))) as u32
}

/// (key, other) of directory `d`: `2p` keys chunk `p` by its high half, `2p + 1` by its low.
fn halves(h: &PdqHash, d: usize) -> (u16, u16) {
    let c = chunk(h, d / 2);
    let (hi, lo) = ((c >> 16) as u16, c as u16);
    if d.is_multiple_of(2) {
        (hi, lo)
    } else {
        (lo, hi)
    }
}

impl Directory {
    fn build(hashes: &[PdqHash], d: usize) -> Directory {
        let mut offsets = vec![0u32; KEYS + 1];
        for h in hashes {
            offsets[usize::from(halves(h, d).0) + 1] += 1;
        }
        for k in 0..KEYS {
            offsets[k + 1] += offsets[k];
        }
        let mut next = offsets.clone();
        let mut other = vec![0u16; hashes.len()];
        let mut slot = vec![0u32; hashes.len()];
        for (s, h) in hashes.iter().enumerate() {
            let (key, o) = halves(h, d);
            let at = &mut next[usize::from(key)];
            other[*at as usize] = o;
            slot[*at as usize] = s as u32;
            *at += 1;
        }
        Directory {
            offsets,
            other,
            slot,
        }
    }

    fn bucket(&self, key: usize) -> std::ops::Range<usize> {
        self.offsets[key] as usize..self.offsets[key + 1] as usize
    }

    /// Moves each bucket's dense entries after the others; returns where they start.
    fn partition(&mut self, dense: &[bool]) -> Vec<u32> {
        let mut split = vec![0u32; KEYS];
        let mut tmp: Vec<(u16, u32)> = Vec::new();
        for (key, at) in split.iter_mut().enumerate() {
            let r = self.bucket(key);
            tmp.clear();
            tmp.extend(r.clone().map(|i| (self.other[i], self.slot[i])));
            tmp.sort_by_key(|&(_, s)| dense[s as usize]);
            *at = (r.start + tmp.iter().filter(|&&(_, s)| !dense[s as usize]).count()) as u32;
            for (i, (o, s)) in r.zip(tmp.iter().copied()) {
                self.other[i] = o;
                self.slot[i] = s;
            }
        }
        split
    }

    /// Candidate pairs of this directory (see the module documentation), skipping pairs of two
    /// dense hashes. `key_flips`: most bits the keys may differ in; `min_other`: fewest bits the
    /// other halves must differ in (0 for a high-half directory); `e`: most bits per chunk.
    fn join(&self, split: &[u32], masks: &[u16], e: u32, min_other: u32, out: &mut Vec<u64>) {
        let ok = |a: u16, b: u16, key_bits: u32| {
            let d = (a ^ b).count_ones();
            d >= min_other && key_bits + d <= e
        };
        let emit = |a: u32, b: u32, out: &mut Vec<u64>| {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            out.push((u64::from(lo) << 32) | u64::from(hi));
        };
        for key in 0..KEYS {
            let ra = self.bucket(key);
            if ra.is_empty() {
                continue;
            }
            let sa = split[key] as usize;
            for &mask in masks {
                let key2 = key ^ usize::from(mask);
                let key_bits = mask.count_ones();
                if mask == 0 {
                    // Within the bucket: sparse × sparse (i < j) and sparse × dense.
                    for i in ra.start..sa {
                        for j in i + 1..ra.end {
                            if ok(self.other[i], self.other[j], 0) {
                                emit(self.slot[i], self.slot[j], out);
                            }
                        }
                    }
                    continue;
                }
                if key2 < key {
                    continue;
                }
                let rb = self.bucket(key2);
                if rb.is_empty() {
                    continue;
                }
                let sb = split[key2] as usize;
                // sparse(a) × all(b), then dense(a) × sparse(b).
                for i in ra.start..sa {
                    for j in rb.clone() {
                        if ok(self.other[i], self.other[j], key_bits) {
                            emit(self.slot[i], self.slot[j], out);
                        }
                    }
                }
                for i in sa..ra.end {
                    for j in rb.start..sb {
                        if ok(self.other[i], self.other[j], key_bits) {
                            emit(self.slot[i], self.slot[j], out);
                        }
                    }
                }
            }
        }
    }
}

fn masks(max_bits: u32) -> Vec<u16> {
    (0..=u16::MAX)
        .filter(|m| m.count_ones() <= max_bits)
        .collect()
}

/// Capped visit: (count, the neighbourhood when the count stayed under the cap).
fn visit(
    index: &HashIndex,
    counted: &[u32],
    h: &PdqHash,
    radius: u32,
    cap: u32,
) -> (u32, Option<Vec<u32>>) {
    let mut sum = 0u32;
    let mut near = Vec::new();
    index.visit_within(h, radius, |m| {
        sum = sum.saturating_add(counted[m.id as usize]);
        near.push(m.id);
        sum < cap
    });
    if sum >= cap {
        (cap, None)
    } else {
        (sum, Some(near))
    }
}

/// Counts and near pairs of the distinct `hashes`, `counted[i]` accounts having hash `i`. See
/// the module documentation.
pub fn neighbourhoods(
    hashes: &[PdqHash],
    counted: &[u32],
    radius: u32,
    cap: u32,
) -> Neighbourhoods {
    let n = hashes.len();
    let cap = cap.max(1);
    let e = radius / 8;
    let mut dense = vec![false; n];
    let mut dirs: Vec<Directory> = Vec::new();
    if e <= 5 && n >= 4096 {
        dirs = (0..16)
            .into_par_iter()
            .map(|d| Directory::build(hashes, d))
            .collect();
        for dir in &dirs {
            for key in 0..KEYS {
                let r = dir.bucket(key);
                if r.len() > DENSE {
                    for i in r {
                        dense[dir.slot[i] as usize] = true;
                    }
                }
            }
        }
    } else {
        dense.fill(true);
    }

    // Dense hashes: capped visits on a radius index (built only when there are any).
    let index = if dense.contains(&true) {
        HashIndex::from_hashes(hashes.to_vec()).unwrap_or_default()
    } else {
        HashIndex::new()
    };
    let visits: Vec<(u32, u32, Option<Vec<u32>>)> = (0..n as u32)
        .into_par_iter()
        .filter(|&s| dense[s as usize])
        .map(|s| {
            let (c, near) = visit(&index, counted, &hashes[s as usize], radius, cap);
            (s, c, near)
        })
        .collect();

    // The rest: the join.
    let mut near: Vec<(u32, u32)> = Vec::new();
    if !dirs.is_empty() {
        let (hi_masks, lo_masks) = (masks(e / 2), e.div_ceil(2).checked_sub(1).map(masks));
        let mut candidates: Vec<u64> = dirs
            .par_iter_mut()
            .enumerate()
            .flat_map_iter(|(d, dir)| {
                let split = dir.partition(&dense);
                let mut out = Vec::new();
                if d.is_multiple_of(2) {
                    dir.join(&split, &hi_masks, e, 0, &mut out);
                } else if let Some(lo) = &lo_masks {
                    dir.join(&split, lo, e, e / 2 + 1, &mut out);
                }
                out
            })
            .collect();
        drop(dirs);
        candidates.par_sort_unstable();
        candidates.dedup();
        near = candidates
            .par_iter()
            .filter_map(|&p| {
                let (a, b) = ((p >> 32) as u32, p as u32);
                (hashes[a as usize].distance(&hashes[b as usize]) <= radius).then_some((a, b))
            })
            .collect();
    }

    let mut count: Vec<u32> = counted.to_vec();
    for &(a, b) in &near {
        if !dense[a as usize] {
            count[a as usize] = count[a as usize].saturating_add(counted[b as usize]);
        }
        if !dense[b as usize] {
            count[b as usize] = count[b as usize].saturating_add(counted[a as usize]);
        }
    }
    for c in &mut count {
        *c = (*c).min(cap);
    }
    for (s, c, _) in &visits {
        count[*s as usize] = *c;
    }
    let mut pairs: Vec<(u32, u32)> = near
        .into_iter()
        .filter(|&(a, b)| count[a as usize] < cap && count[b as usize] < cap)
        .collect();
    for (s, _, neighbours) in &visits {
        for &m in neighbours.iter().flatten() {
            if m != *s && count[m as usize] < cap {
                pairs.push(((*s).min(m), (*s).max(m)));
            }
        }
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    Neighbourhoods { count, pairs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::mix64;

    fn random(seed: u64) -> PdqHash {
        PdqHash([
            mix64(seed * 4),
            mix64(seed * 4 + 1),
            mix64(seed * 4 + 2),
            mix64(seed * 4 + 3),
        ])
    }

    fn flip(h: PdqHash, bits: impl IntoIterator<Item = usize>) -> PdqHash {
        let mut o = h;
        for b in bits {
            o.0[b / 64] ^= 1 << (b % 64);
        }
        o
    }

    /// Brute force over every pair.
    fn reference(hashes: &[PdqHash], counted: &[u32], radius: u32, cap: u32) -> Neighbourhoods {
        let n = hashes.len();
        let count: Vec<u32> = (0..n)
            .map(|a| {
                (0..n)
                    .filter(|&b| hashes[a].distance(&hashes[b]) <= radius)
                    .map(|b| counted[b])
                    .sum::<u32>()
                    .min(cap)
            })
            .collect();
        let mut pairs = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                if hashes[a].distance(&hashes[b]) <= radius && count[a] < cap && count[b] < cap {
                    pairs.push((a as u32, b as u32));
                }
            }
        }
        Neighbourhoods { count, pairs }
    }

    #[test]
    fn join_equals_brute_force_with_dense_and_sparse_neighbourhoods() {
        let mut hashes: Vec<PdqHash> = (0..6000).map(random).collect();
        let mut counted = vec![1u32; hashes.len()];
        // Near pairs at every distance up to and past the radius, bits spread over chunks.
        for d in 0..40usize {
            let base = hashes[d];
            hashes.push(flip(base, (0..d).map(|i| (i * 37 + d) % 256)));
            counted.push(1 + (d % 3) as u32);
        }
        // A stock picture: 300 variants within 4 bits (dense buckets), and a fringe variant.
        let stock = random(99_999);
        for v in 0..300usize {
            hashes.push(flip(stock, [(v * 7) % 256, (v * 13 + 1) % 256]));
            counted.push(1);
        }
        hashes.push(flip(stock, (0..25).map(|i| i * 9)));
        counted.push(1);
        // A small cluster that is not generic: 5 variants of one picture.
        let own = random(77_777);
        for v in 0..5usize {
            hashes.push(flip(own, [v * 50, v * 50 + 3, v * 50 + 9]));
            counted.push(2);
        }
        hashes.sort_by_key(|h| h.0);
        hashes.dedup();
        let counted = &counted[..hashes.len()];
        for radius in [31, 16, 0, 8] {
            let got = neighbourhoods(&hashes, counted, radius, 21);
            let want = reference(&hashes, counted, radius, 21);
            assert_eq!(got.count, want.count, "radius {radius}");
            assert_eq!(got.pairs, want.pairs, "radius {radius}");
        }
        let got = neighbourhoods(&hashes, counted, 31, 21);
        // 256 distinct stock variants (v and v + 256 flip the same bits), all generic.
        assert!(got.count.iter().filter(|&&c| c == 21).count() >= 256);
        assert!(got.pairs.len() >= 30);
    }

    #[test]
    fn small_batches_and_wide_radii_use_searches() {
        let hashes: Vec<PdqHash> = (0..50).map(random).collect();
        let counted = vec![3u32; 50];
        for radius in [31, 100] {
            let got = neighbourhoods(&hashes, &counted, radius, 5);
            assert_eq!(got, reference(&hashes, &counted, radius, 5));
        }
        assert_eq!(neighbourhoods(&[], &[], 31, 5), Neighbourhoods::default());
    }
}
