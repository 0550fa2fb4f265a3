//! Declarative rules over the normalised text.
//!
//! A rule file (TOML, `[[rule]]` tables) gives each rule an `id`, a `category`, a `description`,
//! `terms` (phrases matched whole-word with Aho-Corasick on the normalised text; terms are
//! normalised on load so they may be written naturally), `regexes`, a `weight`, `tags` (default:
//! the category) and context conditions:
//!
//! * `near = ["solicit"]`: the rule counts only when a hit of another rule tagged so lies within
//!   `window` tokens (`cod` or `dp` alone mean a shop; next to `open bo` they mean a pimp);
//! * `unless = ["shop"]`: the rule is dropped when a hit tagged so lies within `unless_window`
//!   tokens (0: anywhere in the post), e.g. `open` next to `open order`.
//!
//! A rule with `reading = "complaint"` fires only when a complaint is read (see below).
//!
//! # Complaints
//!
//! A public or police report is the reporter's words about someone else's content: "ada yang
//! nawarin open BO …, katanya masih 16 tahun". Words of reporting (`katanya`, `dilaporkan`,
//! `korban`) are the vocabulary of news and warnings, which make a post clear; in a complaint
//! they frame the offer instead of neutralising it. The optional `[complaint]` table says how a
//! complaint is read ([`Reading::Complaint`]):
//!
//! * `ignore = ["news", "warning", "health"]`: rules of these categories neither fire nor
//!   suppress, and their words are masked before the classifier reads the text;
//! * `framing = ["katanya", "ada yang", …]`: reporting words, masked likewise;
//! * `review_weight = 3.0`: rule evidence for one category that alone asks for review.
//!
//! A bad file is an error naming the rule id and the field. The default file ships in the crate
//! (`rules/default.toml`) and another may be loaded instead.

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use toml::{Table, Value};

use crate::normalize::normalize;

/// The default rule file, embedded.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.toml");

/// An error in a rule file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    #[error("rule file is not valid TOML: {0}")]
    Toml(String),
    #[error("rule file has no [[rule]] tables")]
    Empty,
    #[error("rule {rule:?}: field `{field}`: {message}")]
    Invalid {
        rule: String,
        field: String,
        message: String,
    },
    #[error("rule file: could not build the term matcher: {0}")]
    Matcher(String),
}

/// One rule, validated.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub description: String,
    pub weight: f32,
    pub tags: Vec<String>,
    pub near: Vec<String>,
    pub window: usize,
    pub unless: Vec<String>,
    pub unless_window: usize,
    /// Fires only when a complaint is read (`reading = "complaint"`); such a rule is evidence
    /// for the policy but not a feature of the classifier, which was trained without it.
    pub complaint_only: bool,
    terms: Vec<String>,
    regexes: Vec<Regex>,
}

/// How a text is read: as a post (an ad, a comment: the content itself) or as a complaint (a
/// reporter's words about someone else's content; see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reading {
    #[default]
    Post,
    Complaint,
}

/// The `[complaint]` table of a rule file.
#[derive(Debug, Clone)]
pub struct ComplaintReading {
    /// Rule categories that neither fire nor suppress in a complaint.
    pub ignore: Vec<String>,
    /// Reporting words (normalised), masked before rules and classifier read a complaint.
    pub framing: Vec<String>,
    /// Rule evidence for one category that alone asks for review in a complaint.
    pub review_weight: f32,
}

impl Default for ComplaintReading {
    fn default() -> Self {
        ComplaintReading {
            ignore: Vec::new(),
            framing: Vec::new(),
            review_weight: 6.0,
        }
    }
}

/// A compiled rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// For each Aho-Corasick pattern, its rule.
    pattern_rule: Vec<u32>,
    matcher: Option<AhoCorasick>,
    /// Tag masks: bit `t` set when the rule carries tag `t`.
    tag_mask: Vec<u64>,
    near_mask: Vec<u64>,
    unless_mask: Vec<u64>,
    complaint: ComplaintReading,
    /// Per rule: its category is ignored in a complaint.
    ignored_in_complaint: Vec<bool>,
    framing_matcher: Option<AhoCorasick>,
}

/// A rule that fired: index into [`RuleSet::rules`] and the byte span (normalised text) of its
/// first surviving match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleHit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

fn invalid(rule: &str, field: &str, message: impl Into<String>) -> RuleError {
    RuleError::Invalid {
        rule: rule.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

fn string_list(id: &str, field: &str, v: &Value) -> Result<Vec<String>, RuleError> {
    let arr = v
        .as_array()
        .ok_or_else(|| invalid(id, field, "expected an array of strings"))?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid(id, field, "expected an array of strings"))
        })
        .collect()
}

fn number(id: &str, field: &str, v: &Value) -> Result<f64, RuleError> {
    match v {
        Value::Float(f) if f.is_finite() => Ok(*f),
        Value::Integer(i) => Ok(*i as f64),
        _ => Err(invalid(id, field, "expected a number")),
    }
}

fn count(id: &str, field: &str, v: &Value) -> Result<usize, RuleError> {
    match v {
        Value::Integer(i) if (0..=10_000).contains(i) => Ok(*i as usize),
        _ => Err(invalid(id, field, "expected an integer from 0 to 10000")),
    }
}

fn parse_rule(index: usize, t: &Table) -> Result<Rule, RuleError> {
    let id = match t.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => {
            return Err(invalid(
                &format!("#{}", index + 1),
                "id",
                "expected a non-empty string",
            ));
        }
        None => return Err(invalid(&format!("#{}", index + 1), "id", "missing")),
    };
    let mut rule = Rule {
        id: id.clone(),
        category: String::new(),
        description: String::new(),
        weight: 1.0,
        tags: Vec::new(),
        near: Vec::new(),
        window: 6,
        unless: Vec::new(),
        unless_window: 0,
        complaint_only: false,
        terms: Vec::new(),
        regexes: Vec::new(),
    };
    for (key, v) in t {
        match key.as_str() {
            "id" => {}
            "category" => {
                rule.category = v
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| invalid(&id, key, "expected a non-empty string"))?
                    .to_string();
            }
            "description" => {
                rule.description = v
                    .as_str()
                    .ok_or_else(|| invalid(&id, key, "expected a string"))?
                    .to_string();
            }
            "weight" => {
                let w = number(&id, key, v)?;
                if !(-100.0..=100.0).contains(&w) {
                    return Err(invalid(&id, key, "expected a number from -100 to 100"));
                }
                rule.weight = w as f32;
            }
            "terms" => {
                for term in string_list(&id, key, v)? {
                    let n = normalize(&term).into_string();
                    if n.is_empty() {
                        return Err(invalid(
                            &id,
                            key,
                            format!("term {term:?} is empty once normalised"),
                        ));
                    }
                    rule.terms.push(n);
                }
            }
            "regexes" => {
                for r in string_list(&id, key, v)? {
                    let re =
                        Regex::new(&r).map_err(|e| invalid(&id, key, format!("{r:?}: {e}")))?;
                    rule.regexes.push(re);
                }
            }
            "tags" => rule.tags = string_list(&id, key, v)?,
            "near" => rule.near = string_list(&id, key, v)?,
            "unless" => rule.unless = string_list(&id, key, v)?,
            "window" => rule.window = count(&id, key, v)?,
            "unless_window" => rule.unless_window = count(&id, key, v)?,
            "reading" => {
                rule.complaint_only = match v.as_str() {
                    Some("complaint") => true,
                    Some("any") => false,
                    _ => return Err(invalid(&id, key, "expected \"complaint\" or \"any\"")),
                }
            }
            other => return Err(invalid(&id, other, "unknown field")),
        }
    }
    if rule.category.is_empty() {
        return Err(invalid(&id, "category", "missing"));
    }
    if rule.terms.is_empty() && rule.regexes.is_empty() {
        return Err(invalid(
            &id,
            "terms",
            "a rule needs at least one term or regex",
        ));
    }
    if rule.tags.is_empty() {
        rule.tags.push(rule.category.clone());
    }
    Ok(rule)
}

impl RuleSet {
    /// The embedded default rules.
    pub fn default_rules() -> Result<Self, RuleError> {
        Self::from_toml(DEFAULT_RULES)
    }

    /// Parses and validates a rule file.
    pub fn from_toml(src: &str) -> Result<Self, RuleError> {
        let doc: Table = toml::from_str(src).map_err(|e| RuleError::Toml(e.to_string()))?;
        for key in doc.keys() {
            if key != "rule" && key != "complaint" {
                return Err(RuleError::Toml(format!(
                    "unknown top-level key `{key}` (expected [[rule]] or [complaint])"
                )));
            }
        }
        let complaint = match doc.get("complaint") {
            None => ComplaintReading::default(),
            Some(Value::Table(t)) => parse_complaint(t)?,
            Some(_) => return Err(invalid("[complaint]", "complaint", "expected a table")),
        };
        let tables = match doc.get("rule") {
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(RuleError::Toml(
                    "`rule` must be an array of tables ([[rule]])".into(),
                ));
            }
            None => return Err(RuleError::Empty),
        };
        let mut rules = Vec::with_capacity(tables.len());
        for (i, t) in tables.iter().enumerate() {
            let t = t
                .as_table()
                .ok_or_else(|| invalid(&format!("#{}", i + 1), "rule", "expected a table"))?;
            let r = parse_rule(i, t)?;
            if rules.iter().any(|x: &Rule| x.id == r.id) {
                return Err(invalid(&r.id, "id", "duplicate id"));
            }
            rules.push(r);
        }
        if rules.is_empty() {
            return Err(RuleError::Empty);
        }
        Self::compile(rules, complaint)
    }

    fn compile(rules: Vec<Rule>, complaint: ComplaintReading) -> Result<Self, RuleError> {
        let mut tag_names: Vec<String> = Vec::new();
        let mut bit = |name: &str, rule: &str, field: &str| -> Result<u64, RuleError> {
            let i = match tag_names.iter().position(|t| t == name) {
                Some(i) => i,
                None => {
                    tag_names.push(name.to_string());
                    tag_names.len() - 1
                }
            };
            if i >= 64 {
                return Err(invalid(
                    rule,
                    field,
                    "more than 64 distinct tags in the file",
                ));
            }
            Ok(1u64 << i)
        };
        let (mut tag_mask, mut near_mask, mut unless_mask) = (Vec::new(), Vec::new(), Vec::new());
        for r in &rules {
            let mut m = 0;
            for t in &r.tags {
                m |= bit(t, &r.id, "tags")?;
            }
            tag_mask.push(m);
        }
        for r in &rules {
            let mut n = 0;
            for t in &r.near {
                n |= bit(t, &r.id, "near")?;
            }
            let mut u = 0;
            for t in &r.unless {
                u |= bit(t, &r.id, "unless")?;
            }
            near_mask.push(n);
            unless_mask.push(u);
        }
        let mut patterns = Vec::new();
        let mut pattern_rule = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for t in &r.terms {
                patterns.push(t.as_str());
                pattern_rule.push(i as u32);
            }
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| RuleError::Matcher(e.to_string()))?,
            )
        };
        let ignored_in_complaint = rules
            .iter()
            .map(|r| complaint.ignore.contains(&r.category))
            .collect();
        let framing_matcher = if complaint.framing.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&complaint.framing)
                    .map_err(|e| RuleError::Matcher(e.to_string()))?,
            )
        };
        Ok(RuleSet {
            rules,
            pattern_rule,
            matcher,
            tag_mask,
            near_mask,
            unless_mask,
            complaint,
            ignored_in_complaint,
            framing_matcher,
        })
    }

    /// How complaints are read (the `[complaint]` table, or its defaults).
    pub fn complaint(&self) -> &ComplaintReading {
        &self.complaint
    }

    fn active(&self, rule: usize, reading: Reading) -> bool {
        match reading {
            Reading::Post => !self.rules[rule].complaint_only,
            Reading::Complaint => !self.ignored_in_complaint[rule],
        }
    }

    /// The byte ranges of a complaint's normalised text that are the reporter's framing:
    /// whole-word matches of the `framing` words and of the terms of ignored rules. They are
    /// masked before the rules and the classifier read a complaint.
    pub fn complaint_mask(&self, text: &str) -> Vec<Range<usize>> {
        let b = text.as_bytes();
        let mut out: Vec<Range<usize>> = Vec::new();
        if let Some(m) = &self.framing_matcher {
            for mat in m.find_overlapping_iter(text) {
                if whole_word(b, mat.start(), mat.end()) {
                    out.push(mat.start()..mat.end());
                }
            }
        }
        if let Some(m) = &self.matcher
            && self.ignored_in_complaint.iter().any(|&x| x)
        {
            for mat in m.find_overlapping_iter(text) {
                let rule = self.pattern_rule[mat.pattern().as_usize()] as usize;
                if self.ignored_in_complaint[rule] && whole_word(b, mat.start(), mat.end()) {
                    out.push(mat.start()..mat.end());
                }
            }
        }
        out.sort_unstable_by_key(|r| (r.start, r.end));
        out
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Rules that fire on normalised text, after context conditions; one hit per rule, in rule
    /// order.
    pub fn find(&self, text: &str) -> Vec<RuleHit> {
        self.find_as(text, Reading::Post)
    }

    /// [`RuleSet::find`] for a reading: a post skips complaint-only rules, a complaint skips
    /// the rules of ignored categories (they neither fire nor suppress).
    pub fn find_as(&self, text: &str, reading: Reading) -> Vec<RuleHit> {
        let b = text.as_bytes();
        // Raw matches: (rule, start, end, token index).
        let mut raw: Vec<(usize, usize, usize)> = Vec::new();
        if let Some(m) = &self.matcher {
            for mat in m.find_overlapping_iter(text) {
                let (s, e) = (mat.start(), mat.end());
                let rule = self.pattern_rule[mat.pattern().as_usize()] as usize;
                if whole_word(b, s, e) && self.active(rule, reading) {
                    raw.push((rule, s, e));
                }
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            if !self.active(i, reading) {
                continue;
            }
            for re in &r.regexes {
                if let Some(m) = re.find(text) {
                    raw.push((i, m.start(), m.end()));
                }
            }
        }
        if raw.is_empty() {
            return Vec::new();
        }
        raw.sort_unstable_by_key(|&(r, s, _)| (s, r));
        let starts = token_starts(b);
        let tok = |pos: usize| starts.partition_point(|&t| t <= pos);
        let toks: Vec<(usize, usize)> = raw
            .iter()
            .map(|&(_, s, e)| (tok(s), tok(e.saturating_sub(1))))
            .collect();
        let dist = |a: (usize, usize), c: (usize, usize)| -> usize {
            if a.1 < c.0 {
                c.0 - a.1
            } else {
                a.0.saturating_sub(c.1)
            }
        };
        // First `unless`, then `near`: only surviving context-free hits (rules without `near`)
        // satisfy another rule's `near`.
        let mut keep = vec![true; raw.len()];
        for (k, &(r, _, _)) in raw.iter().enumerate() {
            let unless = self.unless_mask[r];
            if unless == 0 {
                continue;
            }
            let w = self.rules[r].unless_window;
            keep[k] = !raw.iter().enumerate().any(|(j, &(o, _, _))| {
                j != k
                    && o != r
                    && self.tag_mask[o] & unless != 0
                    && (w == 0 || dist(toks[k], toks[j]) <= w)
            });
        }
        let alive = keep.clone();
        for (k, &(r, _, _)) in raw.iter().enumerate() {
            let near = self.near_mask[r];
            if near == 0 || !keep[k] {
                continue;
            }
            let w = self.rules[r].window;
            keep[k] = raw.iter().enumerate().any(|(j, &(o, _, _))| {
                j != k
                    && alive[j]
                    && o != r
                    && self.near_mask[o] == 0
                    && self.tag_mask[o] & near != 0
                    && dist(toks[k], toks[j]) <= w
            });
        }
        let mut hits: Vec<RuleHit> = Vec::new();
        for (k, &(r, s, e)) in raw.iter().enumerate() {
            if keep[k] && !hits.iter().any(|h| h.rule == r) {
                hits.push(RuleHit {
                    rule: r,
                    start: s,
                    end: e,
                });
            }
        }
        hits.sort_unstable_by_key(|h| h.rule);
        hits
    }
}

/// A match at `s..e` starts and ends at word boundaries.
#[inline]
fn whole_word(b: &[u8], s: usize, e: usize) -> bool {
    let left_ok = s == 0 || !is_word_byte(b[s - 1]) || !is_word_byte(b[s]);
    let right_ok = e >= b.len() || !is_word_byte(b[e]) || !is_word_byte(b[e - 1]);
    left_ok && right_ok
}

fn parse_complaint(t: &Table) -> Result<ComplaintReading, RuleError> {
    let id = "[complaint]";
    let mut c = ComplaintReading::default();
    for (key, v) in t {
        match key.as_str() {
            "ignore" => c.ignore = string_list(id, key, v)?,
            "framing" => {
                for term in string_list(id, key, v)? {
                    let n = normalize(&term).into_string();
                    if n.is_empty() {
                        return Err(invalid(
                            id,
                            key,
                            format!("term {term:?} is empty once normalised"),
                        ));
                    }
                    c.framing.push(n);
                }
            }
            "review_weight" => {
                let w = number(id, key, v)?;
                if !(0.0..=100.0).contains(&w) {
                    return Err(invalid(id, key, "expected a number from 0 to 100"));
                }
                c.review_weight = w as f32;
            }
            other => return Err(invalid(id, other, "unknown field")),
        }
    }
    Ok(c)
}

#[inline]
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

fn token_starts(b: &[u8]) -> Vec<usize> {
    let mut v = Vec::new();
    let mut prev = false;
    for (i, &c) in b.iter().enumerate() {
        let w = is_word_byte(c);
        if w && !prev {
            v.push(i);
        }
        prev = w;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(set: &RuleSet, text: &str) -> Vec<String> {
        let n = normalize(text);
        set.find(n.as_str())
            .iter()
            .map(|h| set.rules()[h.rule].id.clone())
            .collect()
    }

    #[test]
    fn default_rules_load() {
        let set = RuleSet::default_rules().expect("default rules");
        assert!(set.rules().len() > 10);
    }

    #[test]
    fn words_match_whole_and_through_disguise() {
        let set = RuleSet::default_rules().expect("default rules");
        assert!(ids(&set, "0p3n b0 jogja").contains(&"prostitution.open_bo".to_string()));
        assert!(ids(&set, "ｏｐｅｎ ＢＯ malam ini").contains(&"prostitution.open_bo".to_string()));
        assert!(!ids(&set, "bolu coklat enak").contains(&"prostitution.open_bo".to_string()));
    }

    #[test]
    fn cod_needs_a_solicitation_term_nearby() {
        let set = RuleSet::default_rules().expect("default rules");
        let shop = ids(&set, "kaos polos ready stock, bisa COD, DP 50% dulu");
        assert!(
            !shop.iter().any(|r| r == "prostitution.payment_context"),
            "{shop:?}"
        );
        assert!(shop.iter().any(|r| r.starts_with("shop.")), "{shop:?}");
        let ad = ids(&set, "open bo bisa cod no dp");
        assert!(
            ad.iter().any(|r| r == "prostitution.payment_context"),
            "{ad:?}"
        );
    }

    #[test]
    fn bad_rule_files_name_rule_and_field() {
        let cases = [
            (
                "[[rule]]\nid = \"a\"\ncategory = \"x\"\nterms = [\"t\"]\nweight = \"high\"\n",
                "a",
                "weight",
            ),
            (
                "[[rule]]\nid = \"b\"\ncategory = \"x\"\nregexes = [\"(\"]\n",
                "b",
                "regexes",
            ),
            (
                "[[rule]]\nid = \"c\"\ncategory = \"x\"\nterms = [\"t\"]\nwieght = 1\n",
                "c",
                "wieght",
            ),
            ("[[rule]]\nid = \"d\"\nterms = [\"t\"]\n", "d", "category"),
            ("[[rule]]\ncategory = \"x\"\nterms = [\"t\"]\n", "#1", "id"),
            ("[[rule]]\nid = \"e\"\ncategory = \"x\"\n", "e", "terms"),
        ];
        for (src, rule, field) in cases {
            match RuleSet::from_toml(src) {
                Err(RuleError::Invalid {
                    rule: r, field: f, ..
                }) => {
                    assert_eq!((r.as_str(), f.as_str()), (rule, field), "{src}");
                }
                other => panic!("{src}: expected an invalid-rule error, got {other:?}"),
            }
        }
        assert!(matches!(
            RuleSet::from_toml("not toml ["),
            Err(RuleError::Toml(_))
        ));
    }
}
