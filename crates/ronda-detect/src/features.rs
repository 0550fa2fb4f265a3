//! Feature hashing over the normalised text.
//!
//! Three blocks share one hashed space of `2^bits` buckets:
//! * character n-grams, 2 to 5 bytes, of each white-space separated word padded with a space on
//!   each side (scikit-learn's `char_wb`), valued `1/sqrt(count)` over the block;
//! * word unigrams and bigrams (words are runs of letters, digits and non-ASCII), valued
//!   `1/sqrt(count)` over the block;
//! * one feature per rule that fired, valued 1.
//!
//! Hashing is incremental (one multiply per byte per n-gram length) and allocation-free: the
//! visitor is a closure called with each bucket.

/// Which block a feature belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Char,
    Word,
    Rule,
}

const K: u64 = 0x517c_c1b7_2722_0a95;
const SEED_CHAR: u64 = 0x243f_6a88_85a3_08d3;
const SEED_WORD: u64 = 0x1319_8a2e_0370_7344;
const SEED_BIGRAM: u64 = 0xa409_3822_299f_31d0;
const SEED_RULE: u64 = 0x082e_fa98_ec4e_6c89;

/// Shortest and longest character n-gram.
pub const CHAR_MIN: usize = 2;
pub const CHAR_MAX: usize = 5;

#[inline]
fn step(h: u64, b: u8) -> u64 {
    (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K)
}

#[inline]
fn finish(h: u64, bits: u8) -> u32 {
    // Fold the high bits down; the multiply mixes upwards.
    let h = h ^ (h >> 29);
    let h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (h >> (64 - u32::from(bits))) as u32
}

#[inline]
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// Bucket of a rule feature.
pub fn rule_bucket(rule_id: &str, bits: u8) -> u32 {
    let mut h = SEED_RULE;
    for &b in rule_id.as_bytes() {
        h = step(h, b);
    }
    finish(h, bits)
}

/// Calls `f(block, bucket, start, end)` for each character n-gram and word feature of `text`.
/// For n-grams `start..end` index the padded word (see [`padded_gram`]); for words they index
/// `text` (a bigram spans both words).
#[inline]
pub fn visit(text: &str, bits: u8, mut f: impl FnMut(Block, u32, usize, usize)) {
    let b = text.as_bytes();
    // Character n-grams of each space-separated word, padded with spaces.
    let mut pad = [0u8; 66];
    for word in b.split(|&c| c == b' ').filter(|w| !w.is_empty()) {
        let long = word.len() > 64;
        let w = if long { &word[..64] } else { word };
        pad[0] = b' ';
        pad[1..=w.len()].copy_from_slice(w);
        pad[w.len() + 1] = b' ';
        let p = &pad[..w.len() + 2];
        for i in 0..p.len() {
            let mut h = SEED_CHAR;
            let max = CHAR_MAX.min(p.len() - i);
            for n in 1..=max {
                h = step(h, p[i + n - 1]);
                if n >= CHAR_MIN {
                    f(Block::Char, finish(h, bits), i, i + n);
                }
            }
        }
    }
    // Word unigrams and bigrams.
    let mut prev: Option<(u64, usize)> = None;
    let mut i = 0;
    while i < b.len() {
        if !is_word_byte(b[i]) {
            i += 1;
            continue;
        }
        let s = i;
        let mut h = SEED_WORD;
        while i < b.len() && is_word_byte(b[i]) {
            h = step(h, b[i]);
            i += 1;
        }
        f(Block::Word, finish(h, bits), s, i);
        if let Some((ph, ps)) = prev {
            let bh = (ph.rotate_left(17) ^ h ^ SEED_BIGRAM).wrapping_mul(K);
            f(Block::Word, finish(bh, bits), ps, i);
        }
        prev = Some((h, s));
    }
}

/// The padded word an n-gram was taken from, for explanations: n-gram `start..end` of word `w`.
pub fn padded_gram(word: &str, start: usize, end: usize) -> String {
    let mut p = Vec::with_capacity(word.len() + 2);
    p.push(b' ');
    p.extend_from_slice(&word.as_bytes()[..word.len().min(64)]);
    p.push(b' ');
    String::from_utf8_lossy(p.get(start..end).unwrap_or(&[])).into_owned()
}

/// A sparse feature vector: bucket and value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub entries: Vec<(u32, f32)>,
}

impl Features {
    /// Collects the features of normalised `text` and the rule ids that fired. Duplicate
    /// buckets are kept as separate entries (their values add up).
    pub fn collect(text: &str, rule_ids: &[&str], bits: u8) -> Features {
        let mut chars: Vec<u32> = Vec::with_capacity(text.len() * 4);
        let mut words: Vec<u32> = Vec::with_capacity(text.len() / 2);
        visit(text, bits, |block, h, _, _| match block {
            Block::Char => chars.push(h),
            _ => words.push(h),
        });
        let mut entries = Vec::with_capacity(chars.len() + words.len() + rule_ids.len());
        if !chars.is_empty() {
            let v = 1.0 / (chars.len() as f32).sqrt();
            entries.extend(chars.iter().map(|&h| (h, v)));
        }
        if !words.is_empty() {
            let v = 1.0 / (words.len() as f32).sqrt();
            entries.extend(words.iter().map(|&h| (h, v)));
        }
        entries.extend(rule_ids.iter().map(|r| (rule_bucket(r, bits), 1.0)));
        Features { entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_wb_ngrams_match_sklearn_counts() {
        // " ab " has 3 bigrams, 2 trigrams, 1 four-gram: 6 n-grams; plus 1 word.
        let mut n = (0, 0);
        visit("ab", 18, |b, _, _, _| match b {
            Block::Char => n.0 += 1,
            _ => n.1 += 1,
        });
        assert_eq!(n, (6, 1));
    }

    #[test]
    fn same_text_same_buckets_and_in_range() {
        let a = Features::collect("open bo jogja", &["r"], 18);
        let b = Features::collect("open bo jogja", &["r"], 18);
        assert_eq!(a, b);
        assert!(a.entries.iter().all(|&(h, _)| h < (1 << 18)));
    }

    #[test]
    fn bigram_spans_both_words() {
        let mut spans = Vec::new();
        visit("open bo", 18, |b, _, s, e| {
            if b == Block::Word {
                spans.push((s, e));
            }
        });
        assert_eq!(spans, vec![(0, 4), (5, 7), (0, 7)]);
    }
}
