//! Thresholds of the linker, with defaults, and the choice of LSH bands and rows.

/// Everything that decides a link. All fields are public; [`LinkConfig::default`] is tuned on
/// the generated scenarios (`crate::scenario`).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// Words per text shingle (word n-grams of the normalised text).
    pub shingle_words: usize,
    /// MinHash permutations (signature length).
    pub num_perm: usize,
    /// Seed of the MinHash permutations. Stored signatures and band keys are only comparable
    /// under the same seed, `num_perm` and bands/rows: change them and re-index.
    pub seed: u64,
    /// Jaccard similarity of two accounts' non-generic shingles from which their texts count as
    /// near-duplicates (one weak signal). Also the LSH threshold.
    pub jaccard: f64,
    /// At least this many non-generic shingles must be shared for the text signal.
    pub min_shared_shingles: usize,
    /// LSH bands × rows; `None`: chosen from `jaccard` and `num_perm` by [`lsh_params`].
    pub bands_rows: Option<(usize, usize)>,
    /// K. Among N accounts, a shingle, a display-name key or an avatar held by more than
    /// `max(K, ⌈generic_share × N⌉)` accounts ([`LinkConfig::generic_limit`]) is generic and
    /// never counts as evidence. A candidate bucket (an LSH band key, a display-name key, an
    /// avatar's neighbourhood) holding more than K accounts is not enumerated: a pair in it
    /// that can link is found through another channel.
    pub generic_max: u32,
    /// How commonness scales with the number of accounts (see `generic_max`): a phrase that 30
    /// of 4,000 accounts share is boilerplate, while 30 of a million may be one network's
    /// template. 0 makes K absolute.
    pub generic_share: f64,
    /// An identifier (phone, bank account, …) held by more than this many accounts is a hub
    /// (a public hotline, a platform's support number): it links nothing and is reported.
    pub hub_max: u32,
    /// Two avatars within this PDQ Hamming distance are near-duplicates.
    pub pdq_radius: u32,
    /// Display-name similarity (overlap of letter trigrams) from which names count as similar.
    pub name_similarity: f64,
    /// Names with fewer letters than this never count (too little to tell people apart).
    pub min_name_letters: usize,
}

impl Default for LinkConfig {
    fn default() -> LinkConfig {
        LinkConfig {
            shingle_words: 2,
            num_perm: 128,
            seed: 0x524f_4e44_414c_4e4b, // "RONDALNK"
            jaccard: 0.3,
            min_shared_shingles: 3,
            bands_rows: None,
            generic_max: 20,
            generic_share: 0.002,
            hub_max: 15,
            pdq_radius: 31,
            name_similarity: 0.8,
            min_name_letters: 4,
        }
    }
}

impl LinkConfig {
    /// The LSH bands and rows in use (explicit, or chosen for `jaccard`).
    pub fn bands_rows(&self) -> (usize, usize) {
        self.bands_rows
            .unwrap_or_else(|| lsh_params(self.jaccard, self.num_perm))
    }

    /// Most accounts a value may be held by among `accounts` and still count as evidence.
    pub fn generic_limit(&self, accounts: usize) -> u32 {
        let scaled = (accounts as f64 * self.generic_share).ceil();
        if scaled >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            self.generic_max.max(scaled as u32)
        }
    }

    /// Checks the values; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.shingle_words == 0 {
            return Err("shingle_words must be at least 1".into());
        }
        if self.num_perm == 0 || self.num_perm > 1024 {
            return Err("num_perm must be between 1 and 1024".into());
        }
        if !(self.jaccard > 0.0 && self.jaccard <= 1.0) {
            return Err("jaccard must be in (0, 1]".into());
        }
        if !(self.name_similarity > 0.0 && self.name_similarity <= 1.0) {
            return Err("name_similarity must be in (0, 1]".into());
        }
        if self.pdq_radius > 256 {
            return Err("pdq_radius must be at most 256".into());
        }
        if !(0.0..=1.0).contains(&self.generic_share) {
            return Err("generic_share must be in [0, 1]".into());
        }
        if self.generic_max == 0 || self.hub_max == 0 {
            return Err("generic_max and hub_max must be at least 1".into());
        }
        let (b, r) = self.bands_rows();
        if b == 0 || r == 0 || b * r > self.num_perm {
            return Err("bands × rows must be at least 1 and at most num_perm".into());
        }
        Ok(())
    }
}

/// Probability that two sets of Jaccard `s` share at least one of `b` bands of `r` rows.
fn collision(s: f64, b: usize, r: usize) -> f64 {
    1.0 - (1.0 - s.powi(r as i32)).powi(b as i32)
}

/// Midpoint-rule integral of `f` over `[lo, hi]`.
fn integrate(lo: f64, hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    const STEPS: usize = 256;
    let w = (hi - lo) / STEPS as f64;
    (0..STEPS)
        .map(|i| f(lo + (i as f64 + 0.5) * w))
        .sum::<f64>()
        * w
}

/// Bands and rows (b × r ≤ `num_perm`) minimising the equally weighted areas of false
/// positives (collision below `threshold`) and false negatives (no collision above it) — the
/// usual LSH parameter choice, as in `datasketch`.
pub fn lsh_params(threshold: f64, num_perm: usize) -> (usize, usize) {
    let mut best = (1, num_perm.max(1));
    let mut best_err = f64::INFINITY;
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let fp = integrate(0.0, threshold, |s| collision(s, b, r));
            let fneg = integrate(threshold, 1.0, |s| 1.0 - collision(s, b, r));
            let err = 0.5 * fp + 0.5 * fneg;
            if err < best_err {
                best_err = err;
                best = (b, r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_put_the_s_curve_near_the_threshold() {
        for t in [0.3, 0.5, 0.7, 0.9] {
            let (b, r) = lsh_params(t, 128);
            assert!(b * r <= 128);
            // The S-curve's inflection (1/b)^(1/r) sits near the threshold.
            let knee = (1.0 / b as f64).powf(1.0 / r as f64);
            assert!((knee - t).abs() < 0.15, "t={t} b={b} r={r} knee={knee}");
        }
        assert!(LinkConfig::default().validate().is_ok());
    }
}
