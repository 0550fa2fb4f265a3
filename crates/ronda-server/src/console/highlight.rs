//! The detected words of a report, highlighted: detection keeps, per report, the byte ranges
//! of one field that a rule, an identifier or a mention of a minor covers (`spans` in the
//! report's detection record, see `ronda_service::detection`). This cuts a field's text into
//! plain and marked pieces, each mark labelled with what fired.
//!
//! Ranges that do not fall on character boundaries, or lie outside the text (a record from
//! another version of the text), are dropped; overlapping ranges are merged into one mark
//! that names every label, so each byte is shown once.

use serde::Deserialize;

/// One span of the record, as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct Span {
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub minor: bool,
    pub at: At,
}

#[derive(Debug, Clone, Deserialize)]
pub struct At {
    pub field: String,
    pub start: usize,
    pub end: usize,
}

/// What fired on a marked piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Rule {
        id: String,
        category: Option<String>,
    },
    Identifier {
        kind: String,
        value: Option<String>,
    },
    Minor,
}

impl Span {
    fn label(&self) -> Label {
        if let Some(id) = &self.rule {
            Label::Rule {
                id: id.clone(),
                category: self.category.clone(),
            }
        } else if let Some(kind) = &self.identifier {
            Label::Identifier {
                kind: kind.clone(),
                value: self.value.clone(),
            }
        } else {
            Label::Minor
        }
    }
}

/// A piece of the text: plain (`labels` empty) or marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub text: &'a str,
    pub labels: Vec<Label>,
}

/// The spans of a report's detection record (`{"spans": [...]}`); none when it has none.
pub fn spans_of(detection_json: Option<&str>) -> Vec<Span> {
    #[derive(Deserialize)]
    struct Record {
        #[serde(default)]
        spans: Vec<Span>,
    }
    detection_json
        .and_then(|j| serde_json::from_str::<Record>(j).ok())
        .map(|r| r.spans)
        .unwrap_or_default()
}

/// `text` (the field `field` of a report) cut into plain and marked pieces by `spans`.
pub fn pieces<'a>(text: &'a str, field: &str, spans: &[Span]) -> Vec<Piece<'a>> {
    let mut ranges: Vec<(usize, usize, Label)> = spans
        .iter()
        .filter(|s| s.at.field == field)
        .filter(|s| {
            s.at.start < s.at.end
                && s.at.end <= text.len()
                && text.is_char_boundary(s.at.start)
                && text.is_char_boundary(s.at.end)
        })
        .map(|s| (s.at.start, s.at.end, s.label()))
        .collect();
    ranges.sort_by_key(|r| (r.0, std::cmp::Reverse(r.1)));
    // Merge overlaps: each mark spans the union of the ranges it overlaps.
    let mut marks: Vec<(usize, usize, Vec<Label>)> = Vec::new();
    for (start, end, label) in ranges {
        match marks.last_mut() {
            Some(last) if start < last.1 => {
                last.1 = last.1.max(end);
                if !last.2.contains(&label) {
                    last.2.push(label);
                }
            }
            _ => marks.push((start, end, vec![label])),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, labels) in marks {
        if start > at {
            out.push(Piece {
                text: &text[at..start],
                labels: Vec::new(),
            });
        }
        out.push(Piece {
            text: &text[start..end],
            labels,
        });
        at = end;
    }
    if at < text.len() || out.is_empty() {
        out.push(Piece {
            text: &text[at..],
            labels: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(rule: &str, field: &str, start: usize, end: usize) -> Span {
        Span {
            rule: Some(rule.into()),
            category: Some("prostitution".into()),
            identifier: None,
            value: None,
            minor: false,
            at: At {
                field: field.into(),
                start,
                end,
            },
        }
    }

    fn texts<'a>(p: &[Piece<'a>]) -> Vec<(&'a str, usize)> {
        p.iter().map(|p| (p.text, p.labels.len())).collect()
    }

    #[test]
    fn marks_cut_the_text_and_keep_every_byte_once() {
        let text = "open BO sekarang, wa 0812";
        let spans = vec![span("bo", "text", 5, 7), span("wa", "text", 18, 25)];
        let p = pieces(text, "text", &spans);
        assert_eq!(
            texts(&p),
            vec![("open ", 0), ("BO", 1), (" sekarang, ", 0), ("wa 0812", 1)]
        );
        assert_eq!(p.iter().map(|p| p.text).collect::<String>(), text);
    }

    #[test]
    fn overlaps_merge_and_bad_ranges_are_dropped() {
        let text = "aé bc";
        let spans = vec![
            span("x", "text", 0, 3),
            span("y", "text", 1, 4),
            span("z", "text", 2, 3), // inside 'é': not a boundary
            span("w", "text", 3, 99),
            span("v", "description", 0, 1),
        ];
        let p = pieces(text, "text", &spans);
        assert_eq!(texts(&p), vec![("aé ", 2), ("bc", 0)]);
        assert_eq!(texts(&pieces("", "text", &spans)), vec![("", 0)]);
    }

    #[test]
    fn records_without_spans_highlight_nothing() {
        assert!(spans_of(None).is_empty());
        assert!(spans_of(Some("{\"verdict\":\"clean\"}")).is_empty());
        assert!(spans_of(Some("not json")).is_empty());
        let s = spans_of(Some(
            r#"{"spans":[{"identifier":"phone","value":"+62812","at":{"field":"text","start":0,"end":4}},{"minor":true,"at":{"field":"text","start":5,"end":6}}]}"#,
        ));
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].label(),
            Label::Identifier {
                kind: "phone".into(),
                value: Some("+62812".into())
            }
        );
        assert_eq!(s[1].label(), Label::Minor);
    }
}
