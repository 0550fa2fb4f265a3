//! Small, fast, deterministic 64-bit hashing (no randomness, same values on every run and
//! platform), and a pass-through hasher for maps keyed by values that are already hashes.

use std::hash::{BuildHasherDefault, Hasher};

/// SplitMix64 finaliser: a bijective mix of 64 bits with good avalanche.
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hash of a byte string, seeded. Eight bytes at a time, then [`mix64`].
#[inline]
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    mix64(h)
}

/// Combines two hashes (order matters).
#[inline]
pub fn combine(a: u64, b: u64) -> u64 {
    mix64(a.rotate_left(17) ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// A [`Hasher`] for keys that are already well-mixed `u64` hashes: it keeps the value.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used for u64/u32 keys; still correct for anything else.
        self.0 = hash_bytes(self.0, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn write_u32(&mut self, n: u32) {
        self.0 ^= mix64(u64::from(n));
    }
}

/// Build-hasher for `HashMap`s keyed by hashes.
pub type BuildPassThrough = BuildHasherDefault<PassThrough>;

/// A `HashMap` keyed by already-hashed `u64`s.
pub type HashMap64<V> = std::collections::HashMap<u64, V, BuildPassThrough>;
