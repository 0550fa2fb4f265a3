//! The linear text classifier and its model file.
//!
//! Multinomial logistic regression over hashed features ([`crate::features`]): four classes
//! (`prostitution`, `pornography`, `gambling`, `clear`), weights quantised to `i16` with one scale,
//! a bias per class and a softmax temperature fitted at training time so that scores are
//! calibrated probabilities in [0, 1].
//!
//! Model file (little-endian): magic `RONDAMDL`, version `u32` (1), `bits` `u8`, class count `u8`
//! (4), char n-gram min and max `u8`, temperature `f32`, rule prior `f32`, scale `f32`, 4 biases
//! `f32`, row count
//! `u32`, then per non-zero row: the bucket as a LEB128 delta from the previous row and 4 `i16`
//! weights; finally an FNV-1a 64 checksum of everything before it. A file that fails any check is
//! an error, never a panic.

use crate::features::{self, Block, CHAR_MAX, CHAR_MIN, Features};

/// Number of classes.
pub const N_CLASSES: usize = 4;

/// The classes, in model order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Prostitution,
    Pornography,
    Gambling,
    Clear,
}

impl Category {
    /// All classes, in model order.
    pub const ALL: [Category; N_CLASSES] = [
        Category::Prostitution,
        Category::Pornography,
        Category::Gambling,
        Category::Clear,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Prostitution => "prostitution",
            Category::Pornography => "pornography",
            Category::Gambling => "gambling",
            Category::Clear => "clear",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Index in model order.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Errors loading a model file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("not a Ronda model file (bad magic header)")]
    BadMagic,
    #[error("model file version {0} is not supported (expected 1)")]
    Version(u32),
    #[error("model file is truncated")]
    Truncated,
    #[error("model file checksum mismatch (file is corrupt)")]
    Checksum,
    #[error("model file is invalid: {0}")]
    Invalid(String),
}

const MAGIC: &[u8; 8] = b"RONDAMDL";
const VERSION: u32 = 1;

/// Hashed buckets used by default: 2^18.
pub const DEFAULT_BITS: u8 = 18;

/// A trained model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    bits: u8,
    temperature: f32,
    /// Multiplier of the rule prior: each fired rule adds `rule_prior * weight` to its class's
    /// logit (negative-context rules add `-rule_prior * weight` to `clear`).
    rule_prior: f32,
    scale: f32,
    bias: [f32; N_CLASSES],
    weights: Vec<[i16; N_CLASSES]>,
}

/// FNV-1a 64.
pub fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ModelError> {
        let s = self
            .b
            .get(self.p..self.p + n)
            .ok_or(ModelError::Truncated)?;
        self.p += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn i16(&mut self) -> Result<i16, ModelError> {
        let s = self.take(2)?;
        Ok(i16::from_le_bytes([s[0], s[1]]))
    }
    fn leb(&mut self) -> Result<u32, ModelError> {
        let mut v: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            v |= u32::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or(ModelError::Invalid("bad varint".into()))?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ModelError::Invalid("varint too long".into()))
    }
}

impl Model {
    /// Builds a model from float weights (`2^bits` rows), quantising them.
    pub fn from_weights(
        bits: u8,
        weights: &[[f32; N_CLASSES]],
        bias: [f32; N_CLASSES],
        temperature: f32,
        rule_prior: f32,
    ) -> Model {
        let max = weights
            .iter()
            .flat_map(|r| r.iter())
            .fold(0f32, |m, &w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
        let q = weights
            .iter()
            .map(|r| {
                let mut o = [0i16; N_CLASSES];
                for (o, &w) in o.iter_mut().zip(r) {
                    *o = (w / scale).round().clamp(-32767.0, 32767.0) as i16;
                }
                o
            })
            .collect();
        Model {
            bits,
            temperature,
            rule_prior,
            scale,
            bias,
            weights: q,
        }
    }

    /// Hash space bits.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Softmax temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Multiplier of the rule prior.
    pub fn rule_prior(&self) -> f32 {
        self.rule_prior
    }

    /// Serialises to the model file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend_from_slice(MAGIC);
        o.extend_from_slice(&VERSION.to_le_bytes());
        o.extend_from_slice(&[self.bits, N_CLASSES as u8, CHAR_MIN as u8, CHAR_MAX as u8]);
        o.extend_from_slice(&self.temperature.to_le_bytes());
        o.extend_from_slice(&self.rule_prior.to_le_bytes());
        o.extend_from_slice(&self.scale.to_le_bytes());
        for b in self.bias {
            o.extend_from_slice(&b.to_le_bytes());
        }
        let rows: Vec<(usize, &[i16; N_CLASSES])> = self
            .weights
            .iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|&w| w != 0))
            .collect();
        o.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        let mut prev = 0usize;
        for (i, r) in rows {
            let mut d = (i - prev) as u32;
            prev = i;
            loop {
                let byte = (d & 0x7f) as u8;
                d >>= 7;
                if d == 0 {
                    o.push(byte);
                    break;
                }
                o.push(byte | 0x80);
            }
            for w in r {
                o.extend_from_slice(&w.to_le_bytes());
            }
        }
        let sum = fnv1a(&o);
        o.extend_from_slice(&sum.to_le_bytes());
        o
    }

    /// Parses a model file.
    pub fn from_bytes(data: &[u8]) -> Result<Model, ModelError> {
        if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        if data.len() < MAGIC.len() + 4 + 8 {
            return Err(ModelError::Truncated);
        }
        let (body, tail) = data.split_at(data.len() - 8);
        let mut r = Reader {
            b: body,
            p: MAGIC.len(),
        };
        let version = r.u32()?;
        if version != VERSION {
            return Err(ModelError::Version(version));
        }
        let stored = u64::from_le_bytes([
            tail[0], tail[1], tail[2], tail[3], tail[4], tail[5], tail[6], tail[7],
        ]);
        if fnv1a(body) != stored {
            return Err(ModelError::Checksum);
        }
        let bits = r.u8()?;
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Invalid(format!(
                "hash bits {bits} out of range 8..=24"
            )));
        }
        let classes = r.u8()?;
        let (cmin, cmax) = (r.u8()?, r.u8()?);
        if usize::from(classes) != N_CLASSES
            || usize::from(cmin) != CHAR_MIN
            || usize::from(cmax) != CHAR_MAX
        {
            return Err(ModelError::Invalid(
                "unsupported class count or n-gram range".into(),
            ));
        }
        let temperature = r.f32()?;
        let rule_prior = r.f32()?;
        let scale = r.f32()?;
        let mut bias = [0f32; N_CLASSES];
        for b in &mut bias {
            *b = r.f32()?;
        }
        let finite = temperature.is_finite()
            && temperature > 0.0
            && rule_prior.is_finite()
            && scale.is_finite()
            && bias.iter().all(|b| b.is_finite());
        if !finite {
            return Err(ModelError::Invalid(
                "non-finite temperature, scale or bias".into(),
            ));
        }
        let n = 1usize << bits;
        let mut weights = vec![[0i16; N_CLASSES]; n];
        let rows = r.u32()? as usize;
        if rows > n {
            return Err(ModelError::Invalid("more rows than buckets".into()));
        }
        let mut idx = 0usize;
        for k in 0..rows {
            let d = r.leb()? as usize;
            if k > 0 && d == 0 {
                return Err(ModelError::Invalid("rows out of order".into()));
            }
            idx += d;
            let row = weights
                .get_mut(idx)
                .ok_or_else(|| ModelError::Invalid("bucket out of range".into()))?;
            for w in row.iter_mut() {
                *w = r.i16()?;
            }
        }
        if r.p != body.len() {
            return Err(ModelError::Invalid("trailing bytes".into()));
        }
        Ok(Model {
            bits,
            temperature,
            rule_prior,
            scale,
            bias,
            weights,
        })
    }

    /// Raw logits (before temperature) of normalised text, fired rule ids and the rule prior
    /// (see [`rule_prior`]).
    pub fn logits(
        &self,
        text: &str,
        rule_ids: &[&str],
        prior: &[f32; N_CLASSES],
    ) -> [f32; N_CLASSES] {
        let mut acc = [[0i32; N_CLASSES]; 2];
        let mut counts = [0u32; 2];
        let w = &self.weights;
        features::visit(text, self.bits, |block, h, _, _| {
            let k = usize::from(block != Block::Char);
            counts[k] += 1;
            if let Some(row) = w.get(h as usize) {
                for c in 0..N_CLASSES {
                    acc[k][c] += i32::from(row[c]);
                }
            }
        });
        let mut out = self.bias;
        for c in 0..N_CLASSES {
            out[c] += self.rule_prior * prior[c];
        }
        for k in 0..2 {
            if counts[k] > 0 {
                let f = self.scale / (counts[k] as f32).sqrt();
                for c in 0..N_CLASSES {
                    out[c] += acc[k][c] as f32 * f;
                }
            }
        }
        for id in rule_ids {
            if let Some(row) = w.get(features::rule_bucket(id, self.bits) as usize) {
                for c in 0..N_CLASSES {
                    out[c] += f32::from(row[c]) * self.scale;
                }
            }
        }
        out
    }

    /// Logits of a collected feature vector (used by training-time calibration and tests).
    pub fn logits_of(&self, f: &Features, prior: &[f32; N_CLASSES]) -> [f32; N_CLASSES] {
        let mut out = self.bias;
        for c in 0..N_CLASSES {
            out[c] += self.rule_prior * prior[c];
        }
        for &(h, v) in &f.entries {
            if let Some(row) = self.weights.get(h as usize) {
                for c in 0..N_CLASSES {
                    out[c] += f32::from(row[c]) * self.scale * v;
                }
            }
        }
        out
    }

    /// Calibrated class probabilities.
    pub fn scores(
        &self,
        text: &str,
        rule_ids: &[&str],
        prior: &[f32; N_CLASSES],
    ) -> [f32; N_CLASSES] {
        softmax(self.logits(text, rule_ids, prior), self.temperature)
    }

    /// The `k` features that push hardest towards `class`, with their contribution to its logit
    /// relative to the mean of the other classes.
    pub fn explain(
        &self,
        text: &str,
        rule_ids: &[&str],
        class: Category,
        k: usize,
    ) -> Vec<(String, f32)> {
        let c = class.index();
        let contrib = |row: &[i16; N_CLASSES]| -> f32 {
            let others: f32 = (0..N_CLASSES)
                .filter(|&o| o != c)
                .map(|o| f32::from(row[o]))
                .sum::<f32>()
                / (N_CLASSES - 1) as f32;
            (f32::from(row[c]) - others) * self.scale
        };
        let mut counts = [0u32; 2];
        features::visit(text, self.bits, |block, _, _, _| {
            counts[usize::from(block != Block::Char)] += 1
        });
        let norm = |k: usize| 1.0 / (counts[k].max(1) as f32).sqrt();
        let mut items: Vec<(String, f32)> = Vec::new();
        let mut add = |name: String, v: f32| {
            if let Some(e) = items.iter_mut().find(|(n, _)| *n == name) {
                e.1 += v;
            } else {
                items.push((name, v));
            }
        };
        // Character n-grams, word by word so that names can be rebuilt.
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            features::visit(word, self.bits, |block, h, s, e| {
                if block == Block::Char
                    && let Some(row) = self.weights.get(h as usize)
                {
                    add(
                        format!("char:{:?}", features::padded_gram(word, s, e)),
                        contrib(row) * norm(0),
                    );
                }
            });
        }
        features::visit(text, self.bits, |block, h, s, e| {
            if block == Block::Word
                && let Some(row) = self.weights.get(h as usize)
            {
                add(
                    format!("word:{}", text.get(s..e).unwrap_or("")),
                    contrib(row) * norm(1),
                );
            }
        });
        for id in rule_ids {
            if let Some(row) = self
                .weights
                .get(features::rule_bucket(id, self.bits) as usize)
            {
                add(format!("rule:{id}"), contrib(row));
            }
        }
        items.retain(|(_, v)| *v > 0.0);
        items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        items.truncate(k);
        items
    }
}

/// The rule prior of fired rules: each rule's weight on its class's logit; rules of other
/// categories (shops, news, warnings…) carry negative weights and add their magnitude to `clear`.
pub fn rule_prior<'a>(rules: impl IntoIterator<Item = (&'a str, f32)>) -> [f32; N_CLASSES] {
    let mut p = [0f32; N_CLASSES];
    for (category, weight) in rules {
        match Category::parse(category) {
            Some(c) if c != Category::Clear => p[c.index()] += weight,
            _ => p[Category::Clear.index()] -= weight,
        }
    }
    p
}

/// Softmax with temperature; always sums to 1 and stays in [0, 1].
pub fn softmax(logits: [f32; N_CLASSES], temperature: f32) -> [f32; N_CLASSES] {
    let t = if temperature.is_finite() && temperature > 0.0 {
        temperature
    } else {
        1.0
    };
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x / t));
    let mut e = [0f32; N_CLASSES];
    let mut sum = 0.0;
    for (o, &x) in e.iter_mut().zip(&logits) {
        let v = (x / t - max).exp();
        *o = if v.is_finite() { v } else { 0.0 };
        sum += *o;
    }
    if sum.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return [0.0, 0.0, 0.0, 1.0];
    }
    for o in &mut e {
        *o /= sum;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let mut w = vec![[0f32; N_CLASSES]; 1 << 10];
        w[3] = [1.0, -0.5, 0.25, 0.0];
        w[700] = [0.0, 0.0, -2.0, 2.0];
        Model::from_weights(10, &w, [0.1, 0.2, 0.3, 0.4], 1.5, 1.0)
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let m = tiny();
        let bytes = m.to_bytes();
        let back = Model::from_bytes(&bytes).expect("load");
        assert_eq!(back, m);
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn corrupt_files_are_errors() {
        let bytes = tiny().to_bytes();
        assert_eq!(Model::from_bytes(b"hello"), Err(ModelError::BadMagic));
        assert_eq!(Model::from_bytes(&bytes[..20]), Err(ModelError::Checksum));
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        assert_eq!(Model::from_bytes(&flipped), Err(ModelError::Checksum));
        let mut v2 = bytes.clone();
        v2[8] = 2;
        assert_eq!(Model::from_bytes(&v2), Err(ModelError::Version(2)));
        assert!(Model::from_bytes(&[]).is_err());
    }

    #[test]
    fn softmax_is_a_distribution() {
        for l in [[0.0; 4], [1e30, -1e30, 0.0, 5.0], [f32::NAN, 0.0, 0.0, 0.0]] {
            let p = softmax(l, 1.0);
            assert!(p.iter().all(|x| (0.0..=1.0).contains(x)), "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{p:?}");
        }
    }
}
