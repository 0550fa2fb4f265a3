//! Hash banks: metadata, hash-list parsing and serialising, and the allowlist rule.
//!
//! A hash list is text with one entry a line, `pdq[,quality][,label]`, as ThreatExchange and
//! HMA exports look: blank lines and `#` comments are skipped, and so is a header line (a first
//! line whose first field is not a hash but a name such as `pdq` or `hash`). A bad line is an
//! error that names its line number. Lists are held column-wise ([`HashList`]) so that a bank
//! of ten million hashes costs its hashes, a byte of quality and its label text, not one heap
//! allocation per entry.
//!
//! Storage and the HTTP API of banks live elsewhere; this module is pure.

use std::fmt;
use std::str::FromStr;

use crate::pdq::{DEFAULT_DISTANCE_THRESHOLD, PdqHash};

/// What a bank holds, which decides what a match means downstream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BankCategory {
    /// Known child sexual exploitation material (hash only; a match makes a case urgent).
    /// Named `child_exploitation`, like the case category; `child_abuse_known` is read as an
    /// alias.
    ChildExploitation,
    /// Non-consensual intimate imagery.
    Ncii,
    /// Photos seen in solicitation ads (re-posted profile pictures, ad templates).
    SolicitationPhotos,
    /// Known false positives: a match here suppresses matches from every other bank.
    Allowlist,
    /// Any other snake_case category a deployment defines.
    Other(String),
}

impl BankCategory {
    /// The snake_case name used in files and APIs.
    pub fn as_str(&self) -> &str {
        match self {
            BankCategory::ChildExploitation => "child_exploitation",
            BankCategory::Ncii => "ncii",
            BankCategory::SolicitationPhotos => "solicitation_photos",
            BankCategory::Allowlist => "allowlist",
            BankCategory::Other(name) => name,
        }
    }
}

impl fmt::Display for BankCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BankCategory {
    type Err = BankError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "child_exploitation" | "child_abuse_known" => BankCategory::ChildExploitation,
            "ncii" => BankCategory::Ncii,
            "solicitation_photos" => BankCategory::SolicitationPhotos,
            "allowlist" => BankCategory::Allowlist,
            other
                if !other.is_empty()
                    && other
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                BankCategory::Other(other.to_string())
            }
            other => return Err(BankError::Category(other.to_string())),
        })
    }
}

/// A bank's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankMeta {
    pub name: String,
    pub category: BankCategory,
    pub enabled: bool,
    /// Matches at this Hamming distance or closer count (default 31, the PDQ standard).
    pub distance_threshold: u32,
    /// Queries whose PDQ quality is below this are not matched against the bank (default 50).
    pub min_quality: u8,
}

/// Default minimum quality: the reference's "usable hash" threshold.
pub const DEFAULT_MIN_QUALITY: u8 = 50;

impl BankMeta {
    /// An enabled bank with the default threshold and minimum quality.
    pub fn new(name: impl Into<String>, category: BankCategory) -> BankMeta {
        BankMeta {
            name: name.into(),
            category,
            enabled: true,
            distance_threshold: DEFAULT_DISTANCE_THRESHOLD,
            min_quality: DEFAULT_MIN_QUALITY,
        }
    }

    /// Whether a query of this quality at this distance is a match for this bank.
    pub fn accepts(&self, distance: u32, query_quality: u8) -> bool {
        self.enabled && distance <= self.distance_threshold && query_quality >= self.min_quality
    }
}

/// Errors of the bank model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("invalid bank category {0:?} (use snake_case, e.g. child_exploitation)")]
    Category(String),
}

/// A parsed hash list, column-wise. Entry `i` is `hashes[i]`, `quality(i)`, `label(i)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashList {
    pub hashes: Vec<PdqHash>,
    /// Quality per entry; `u8::MAX` where the list gave none.
    qualities: Vec<u8>,
    /// All labels concatenated; entry `i`'s label is `label_text[label_ends[i-1]..label_ends[i]]`.
    label_text: String,
    label_ends: Vec<usize>,
}

const NO_QUALITY: u8 = u8::MAX;

/// One entry of a hash list, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashEntry<'a> {
    pub hash: PdqHash,
    pub quality: Option<u8>,
    pub label: Option<&'a str>,
}

impl HashList {
    /// An empty list.
    pub fn new() -> HashList {
        HashList::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Appends an entry. Line breaks in the label are replaced by spaces so the list always
    /// serialises back to one entry a line (the label is the last column, commas are fine).
    pub fn push(&mut self, hash: PdqHash, quality: Option<u8>, label: Option<&str>) {
        self.hashes.push(hash);
        self.qualities
            .push(quality.filter(|&q| q <= 100).unwrap_or(NO_QUALITY));
        if let Some(label) = label {
            self.label_text.extend(
                label
                    .chars()
                    .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c }),
            );
        }
        self.label_ends.push(self.label_text.len());
    }

    /// The quality given for entry `i`, if any.
    pub fn quality(&self, i: usize) -> Option<u8> {
        self.qualities.get(i).copied().filter(|&q| q != NO_QUALITY)
    }

    /// The label of entry `i`, if it has a non-empty one.
    pub fn label(&self, i: usize) -> Option<&str> {
        let end = *self.label_ends.get(i)?;
        let start = if i == 0 { 0 } else { self.label_ends[i - 1] };
        let label = &self.label_text[start..end];
        (!label.is_empty()).then_some(label)
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<HashEntry<'_>> {
        Some(HashEntry {
            hash: *self.hashes.get(i)?,
            quality: self.quality(i),
            label: self.label(i),
        })
    }

    /// All entries in order.
    pub fn iter(&self) -> impl Iterator<Item = HashEntry<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Parses a hash list (see the module doc for the format).
    pub fn parse(text: &str) -> Result<HashList, BankError> {
        let mut list = HashList::new();
        let mut seen_data = false;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line_number = index + 1;
            match parse_entry(line) {
                Ok((hash, quality, label)) => {
                    list.push(hash, quality, label);
                    seen_data = true;
                }
                Err(_) if !seen_data && is_header(line) => {}
                Err(message) => {
                    return Err(BankError::Line {
                        line: line_number,
                        message,
                    });
                }
            }
        }
        Ok(list)
    }

    /// Serialises as `pdq,quality,label` lines (empty fields kept so columns line up), with a
    /// header line; [`HashList::parse`] reads it back.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(self.len() * 72 + 20);
        out.push_str("pdq,quality,label\n");
        for entry in self.iter() {
            out.push_str(&entry.hash.to_hex());
            out.push(',');
            if let Some(quality) = entry.quality {
                out.push_str(&quality.to_string());
            }
            out.push(',');
            out.push_str(entry.label.unwrap_or(""));
            out.push('\n');
        }
        out
    }

    /// Serialises as bare hashes, one a line (the reference tools' format).
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.len() * 65);
        for hash in &self.hashes {
            out.push_str(&hash.to_hex());
            out.push('\n');
        }
        out
    }
}

/// A line that names columns instead of holding a hash: its first field has letters that are
/// not hexadecimal, or is a known column name.
fn is_header(line: &str) -> bool {
    let first = line
        .split([',', '\t'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        first.as_str(),
        "pdq" | "hash" | "signal" | "pdq_hash" | "value"
    ) || first
        .bytes()
        .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit())
}

/// `pdq[,quality][,label]`; the label is the rest of the line. A second field that is not a
/// number from 0 to 100 is taken as the label.
fn parse_entry(line: &str) -> Result<(PdqHash, Option<u8>, Option<&str>), String> {
    let (hash_text, rest) = match line.split_once([',', '\t']) {
        Some((hash, rest)) => (hash.trim(), Some(rest)),
        None => (line.trim(), None),
    };
    let hash = PdqHash::from_hex(hash_text).map_err(|e| e.to_string())?;
    let Some(rest) = rest else {
        return Ok((hash, None, None));
    };
    let (second, third) = match rest.split_once([',', '\t']) {
        Some((second, third)) => (second.trim(), Some(third.trim())),
        None => (rest.trim(), None),
    };
    let (quality, label) = if second.is_empty() {
        (None, third)
    } else if second.bytes().all(|b| b.is_ascii_digit()) {
        let quality: u32 = second
            .parse()
            .map_err(|_| format!("quality {second:?} is not a number"))?;
        if quality > 100 {
            return Err(format!("quality {quality} is over 100"));
        }
        (Some(quality as u8), third)
    } else {
        // No quality column: the label is everything after the hash.
        (None, Some(rest.trim()))
    };
    Ok((hash, quality, label.filter(|l| !l.is_empty())))
}

/// One bank's match for a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankMatch<'a> {
    pub bank: &'a BankMeta,
    pub distance: u32,
    pub label: Option<String>,
}

/// What the matches of one query amount to after applying the allowlist rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchOutcome<'a> {
    /// No bank matched.
    NoMatch,
    /// Matches to act on, nearest first.
    Matched(Vec<BankMatch<'a>>),
    /// An allowlist bank matched: the other matches are known false positives and suppressed.
    Allowlisted {
        allowlist: Vec<BankMatch<'a>>,
        suppressed: Vec<BankMatch<'a>>,
    },
}

/// Applies each bank's enabled flag, threshold and minimum quality, then the allowlist rule.
pub fn resolve_matches(matches: Vec<BankMatch<'_>>, query_quality: u8) -> MatchOutcome<'_> {
    let mut accepted: Vec<BankMatch<'_>> = matches
        .into_iter()
        .filter(|m| m.bank.accepts(m.distance, query_quality))
        .collect();
    accepted.sort_by_key(|m| m.distance);
    if accepted.is_empty() {
        return MatchOutcome::NoMatch;
    }
    let (allowlist, others): (Vec<_>, Vec<_>) = accepted
        .into_iter()
        .partition(|m| m.bank.category == BankCategory::Allowlist);
    if allowlist.is_empty() {
        MatchOutcome::Matched(others)
    } else {
        MatchOutcome::Allowlisted {
            allowlist,
            suppressed: others,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H1: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    const H2: &str = "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af";

    #[test]
    fn parses_the_list_shapes_seen_in_the_wild() {
        let text = format!(
            "# exported 2026-01-01\npdq,quality,label\n{H1}\n\n{H2},87\n{H1},90,bridge, with comma\n{H2},case-17\n{H1}\t100\n"
        );
        let list = HashList::parse(&text).expect("parses");
        let entries: Vec<HashEntry<'_>> = list.iter().collect();
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].quality, None);
        assert_eq!(entries[0].label, None);
        assert_eq!(entries[1].quality, Some(87));
        assert_eq!(entries[2].quality, Some(90));
        assert_eq!(entries[2].label, Some("bridge, with comma"));
        assert_eq!(entries[3].quality, None);
        assert_eq!(entries[3].label, Some("case-17"));
        assert_eq!(entries[4].quality, Some(100));
        assert_eq!(entries[1].hash.to_hex(), H2);
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let text = format!("{H1}\n{H2}\nnot-a-hash\n");
        assert_eq!(
            HashList::parse(&text),
            Err(BankError::Line {
                line: 3,
                message: "a PDQ hash has 64 hexadecimal digits, found 10 characters".into()
            })
        );
        let text = format!("{H1},101\n");
        assert!(matches!(
            HashList::parse(&text),
            Err(BankError::Line { line: 1, .. })
        ));
        // A header is only tolerated before the data.
        let text = format!("{H1}\npdq,quality\n");
        assert!(matches!(
            HashList::parse(&text),
            Err(BankError::Line { line: 2, .. })
        ));
    }

    #[test]
    fn categories_round_trip() {
        assert_eq!(
            "child_abuse_known".parse::<BankCategory>().ok(),
            Some(BankCategory::ChildExploitation),
            "the old name is an alias"
        );
        for name in [
            "child_exploitation",
            "ncii",
            "solicitation_photos",
            "allowlist",
            "gambling_ads",
        ] {
            let category: BankCategory = name.parse().expect("valid");
            assert_eq!(category.as_str(), name);
        }
        assert!("Bad Name".parse::<BankCategory>().is_err());
    }

    #[test]
    fn allowlist_suppresses_other_banks() {
        let csam = BankMeta::new("known", BankCategory::ChildExploitation);
        let ads = BankMeta::new("ads", BankCategory::SolicitationPhotos);
        let allow = BankMeta::new("false-positives", BankCategory::Allowlist);
        let mut disabled = BankMeta::new("old", BankCategory::Ncii);
        disabled.enabled = false;
        let hit = |bank, distance| BankMatch {
            bank,
            distance,
            label: None,
        };

        let outcome = resolve_matches(vec![hit(&ads, 20), hit(&csam, 3), hit(&disabled, 0)], 90);
        assert_eq!(
            outcome,
            MatchOutcome::Matched(vec![hit(&csam, 3), hit(&ads, 20)])
        );

        let outcome = resolve_matches(vec![hit(&ads, 20), hit(&allow, 10)], 90);
        assert_eq!(
            outcome,
            MatchOutcome::Allowlisted {
                allowlist: vec![hit(&allow, 10)],
                suppressed: vec![hit(&ads, 20)]
            }
        );
        // Beyond threshold, or a query below the minimum quality: no match.
        assert_eq!(
            resolve_matches(vec![hit(&ads, 32)], 90),
            MatchOutcome::NoMatch
        );
        assert_eq!(
            resolve_matches(vec![hit(&ads, 2)], 49),
            MatchOutcome::NoMatch
        );
    }

    proptest! {
        #[test]
        fn csv_round_trips(
            entries in proptest::collection::vec(
                (any::<[u64; 4]>(), proptest::option::of(0u8..=100), proptest::option::of("[a-z0-9 ,_-]{0,12}")),
                0..20,
            )
        ) {
            let mut list = HashList::new();
            for (limbs, quality, label) in &entries {
                list.push(PdqHash(*limbs), *quality, label.as_deref());
            }
            let parsed = HashList::parse(&list.to_csv()).expect("own output parses");
            prop_assert_eq!(parsed.len(), list.len());
            for (a, b) in parsed.iter().zip(list.iter()) {
                prop_assert_eq!(a.hash, b.hash);
                prop_assert_eq!(a.quality, b.quality);
                prop_assert_eq!(a.label.map(str::trim), b.label.map(str::trim).filter(|l| !l.is_empty()));
            }
            let text = HashList::parse(&list.to_text()).expect("bare list parses");
            prop_assert_eq!(text.hashes, list.hashes);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = HashList::parse(&text);
        }
    }
}
