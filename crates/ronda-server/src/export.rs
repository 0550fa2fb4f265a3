//! Case lists as files: CSV and JSON Lines, one format for `GET /api/v1/cases.csv` and
//! `ronda cases export`, with the filters of `GET /cases` (including `q=`).

use ronda_core::clock::to_rfc3339;
use ronda_store::Store;
use ronda_store::cases::{CaseFilter, CaseSearch, CaseView};

use crate::routes::cases::CaseBody;

/// At most this many cases in one export; narrower filters give the rest.
pub const MAX_EXPORT_ROWS: usize = 100_000;

/// The CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "status",
    "priority",
    "category",
    "child_safety",
    "platform",
    "target_kind",
    "target",
    "reports_total",
    "reports_patrol",
    "reports_police",
    "reports_public",
    "reports_platform",
    "detect_verdict",
    "detect_category",
    "detect_score",
    "first_reported_at",
    "last_reported_at",
    "created_at",
    "updated_at",
    "excerpt",
];

/// One CSV field (RFC 4180 quoting). A text cell that a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'`.
pub fn csv_field(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The header line, with its line end.
pub fn csv_header() -> String {
    let mut line = CSV_COLUMNS.join(",");
    line.push_str("\r\n");
    line
}

/// One case as a CSV line, with its line end.
pub fn csv_row(c: &CaseView) -> String {
    let text = |s: &str| csv_field(s);
    let opt = |s: Option<&str>| s.map_or_else(String::new, csv_field);
    let fields = [
        c.id.to_string(),
        c.status.as_str().to_string(),
        c.priority.as_str().to_string(),
        opt(c.category.map(|x| x.as_str())),
        opt(c.child_safety.map(|x| x.as_str())),
        text(&c.platform),
        text(&c.target_kind),
        text(&c.target_value),
        c.reports_total.to_string(),
        c.reports_by_source[0].to_string(),
        c.reports_by_source[1].to_string(),
        c.reports_by_source[2].to_string(),
        c.reports_by_source[3].to_string(),
        opt(c.detection.as_ref().map(|d| d.verdict.as_str())),
        opt(c.detection.as_ref().and_then(|d| d.category.as_deref())),
        c.detection
            .as_ref()
            .map_or_else(String::new, |d| format!("{:.4}", d.score)),
        to_rfc3339(c.first_reported_at),
        to_rfc3339(c.last_reported_at),
        to_rfc3339(c.created_at),
        to_rfc3339(c.updated_at),
        opt(c.excerpt.as_deref()),
    ];
    let mut line = fields.join(",");
    line.push_str("\r\n");
    line
}

/// One case as a JSON line (the body of `GET /cases/{id}` without its per-case lists).
pub fn jsonl_row(c: &CaseView) -> String {
    let mut line = serde_json::to_string(&CaseBody::staff(c)).unwrap_or_default();
    line.push('\n');
    line
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

/// Every case the filter selects (newest first, at most [`MAX_EXPORT_ROWS`]), rendered;
/// returns the text and whether the cap cut it.
pub fn export(
    store: &Store,
    filter: &CaseFilter,
    format: Format,
) -> ronda_store::Result<(String, bool)> {
    let mut out = match format {
        Format::Csv => csv_header(),
        Format::Jsonl => String::new(),
    };
    let mut f = filter.clone();
    f.limit = 500;
    let mut rows = 0usize;
    loop {
        let page = store.list_cases(&f)?;
        for c in &page.cases {
            if rows == MAX_EXPORT_ROWS {
                return Ok((out, true));
            }
            out.push_str(&match format {
                Format::Csv => csv_row(c),
                Format::Jsonl => jsonl_row(c),
            });
            rows += 1;
        }
        match page.next_before_id {
            Some(id) => f.before_id = Some(id),
            None => return Ok((out, false)),
        }
    }
}

/// The search of `q=`: a phone number in any written form also matches its E.164 form, a
/// handle or URL also matches its normalised form (see [`CaseSearch`]). `Err` names what is
/// wrong with the query.
pub fn case_search(q: &str) -> Result<Option<CaseSearch>, String> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(None);
    }
    if q.chars().count() > 200 {
        return Err("a search is at most 200 characters".into());
    }
    let mut exact = Vec::new();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if q.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
        && let Some(e164) = ronda_detect::phone::to_e164(&digits)
    {
        exact.push(e164);
    }
    let mut handle_key = None;
    if q.contains('.') && q.contains('/') {
        if let Ok(url) = ronda_core::target::normalize_url(q) {
            exact.push(url);
        }
    } else if let Ok(handle) = ronda_core::target::normalize_handle(q) {
        handle_key = Some(ronda_core::target::handle_key(&handle));
        exact.push(handle);
    }
    Ok(Some(CaseSearch {
        contains: q.to_lowercase(),
        exact,
        handle_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-5"), "'-5");
    }

    #[test]
    fn a_phone_in_any_form_searches_its_e164_form() {
        for q in [
            "0812-3456-7890",
            "+62 812 3456 7890",
            "6281234567890",
            "(0812) 3456.7890",
        ] {
            let s = case_search(q).unwrap().unwrap();
            assert!(
                s.exact.contains(&"+6281234567890".to_string()),
                "{q}: {s:?}"
            );
        }
        let s = case_search("@Sasa_Manja").unwrap().unwrap();
        assert_eq!(s.contains, "@sasa_manja");
        assert!(s.exact.contains(&"sasa_manja".to_string()), "{s:?}");
        assert_eq!(case_search("  ").unwrap(), None);
        assert!(case_search(&"x".repeat(201)).is_err());
    }
}
