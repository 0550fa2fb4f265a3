//! MinHash signatures over 64-bit shingle hashes.
//!
//! Each shingle is hashed once to 64 bits (`crate::features`); permutation `i` is then the cheap
//! multiply-add `h_i(x) = (a_i · x + b_i) mod 2^64`, keeping the high 32 bits (`a_i` odd, so
//! each `h_i` is a bijection of the 64-bit hashes; multiply-shift hashing is universal enough
//! for MinHash on well-mixed inputs). The signature is the minimum of each `h_i` over the
//! shingles. The probability that two signatures agree at one position is (close to) the
//! Jaccard similarity of the two shingle sets.

use crate::hash::mix64;

/// The permutations; build once per configuration and share (it is `Send + Sync`).
#[derive(Debug, Clone)]
pub struct MinHasher {
    a: Vec<u64>,
    b: Vec<u64>,
}

impl MinHasher {
    /// `num_perm` permutations drawn deterministically from `seed`.
    pub fn new(num_perm: usize, seed: u64) -> MinHasher {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix64(state)
        };
        let mut a = Vec::with_capacity(num_perm);
        let mut b = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            a.push(next() | 1);
            b.push(next());
        }
        MinHasher { a, b }
    }

    /// Number of permutations.
    pub fn num_perm(&self) -> usize {
        self.a.len()
    }

    /// The signature of a set of shingle hashes (all `u32::MAX` for an empty set).
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut sig = vec![u32::MAX; self.a.len()];
        self.signature_into(shingles, &mut sig);
        sig
    }

    /// As [`MinHasher::signature`], into a buffer of `num_perm` values (reset here).
    pub fn signature_into(&self, shingles: &[u64], sig: &mut [u32]) {
        sig.fill(u32::MAX);
        for &x in shingles {
            for ((s, &a), &b) in sig.iter_mut().zip(&self.a).zip(&self.b) {
                let v = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                if v < *s {
                    *s = v;
                }
            }
        }
    }
}

/// Estimated Jaccard similarity: the share of positions where two signatures agree.
pub fn estimate(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
}

/// Exact Jaccard similarity of two sorted, de-duplicated sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let inter = intersection(a, b);
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Size of the intersection of two sorted, de-duplicated sets.
pub fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(range: std::ops::Range<u64>) -> Vec<u64> {
        let mut v: Vec<u64> = range.map(mix64).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn estimate_tracks_exact_jaccard() {
        let mh = MinHasher::new(256, 7);
        // Overlaps from 0 % to 100 % in steps.
        for shift in [0u64, 10, 25, 50, 75, 90, 100] {
            let a = set(0..100);
            let b = set(shift..shift + 100);
            let exact = jaccard(&a, &b);
            let est = estimate(&mh.signature(&a), &mh.signature(&b));
            // Standard error at 256 permutations is at most 1/(2·16) ≈ 0.031.
            assert!(
                (est - exact).abs() < 0.1,
                "shift {shift}: exact {exact}, estimate {est}"
            );
        }
    }

    #[test]
    fn signatures_are_deterministic_and_order_free() {
        let mh = MinHasher::new(64, 1);
        let a = set(0..30);
        let mut rev = a.clone();
        rev.reverse();
        assert_eq!(mh.signature(&a), mh.signature(&rev));
        assert_eq!(
            MinHasher::new(64, 1).signature(&a),
            mh.signature(&a),
            "same seed, same permutations"
        );
        assert!(mh.signature(&[]).iter().all(|&v| v == u32::MAX));
    }

    #[test]
    fn exact_jaccard_of_sorted_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(intersection(&[1, 5, 9], &[5, 9, 10]), 2);
    }
}
