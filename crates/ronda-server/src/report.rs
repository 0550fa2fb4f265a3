//! The statistics CSV and the public transparency report, rendered from
//! [`ronda_store::stats::Stats`]: pure functions shared by `ronda stats`,
//! `ronda report transparency` and the console.
//!
//! The report is one self-contained HTML page (inline CSS, inline SVG charts; no script, no
//! external reference) and CSV files of the same figures. Only aggregates leave: counts per
//! month, category and platform, and removal times per platform. No handle, URL, phone number,
//! reporter or case id is read, let alone written. Labels are in Indonesian and English.

use std::fmt::Write as _;

use ronda_store::stats::{Figures, Group, GroupBy, PlatformRemovals, Stats};

use crate::export::csv_field;

/// Hours with two decimals, as CSV and the report show durations.
pub fn hours(ms: Option<i64>) -> String {
    #[allow(clippy::cast_precision_loss, reason = "durations far below 2^53 ms")]
    ms.map_or_else(String::new, |v| format!("{:.2}", v as f64 / 3_600_000.0))
}

/// A share as a fraction with four decimals.
pub fn share(s: Option<f64>) -> String {
    s.map_or_else(String::new, |v| format!("{v:.4}"))
}

const TIMING_COLUMNS: [&str; 3] = ["within_deadline_share", "median_hours", "p90_hours"];

fn timing_cells(p: Option<&PlatformRemovals>) -> [String; 3] {
    [
        share(p.and_then(|p| p.within_deadline_share)),
        hours(p.and_then(|p| p.median_ms)),
        hours(p.and_then(|p| p.p90_ms)),
    ]
}

/// One CSV table: a header, a row per group, then a `total` row. Grouped by platform, each row
/// also carries the platform's removal times (empty on the total row).
pub fn render_csv(s: &Stats) -> String {
    let key = s.group_by.map_or("group", GroupBy::as_str);
    let by_platform = s.group_by == Some(GroupBy::Platform);
    let mut out = String::new();
    out.push_str(key);
    for n in Figures::NAMES {
        out.push(',');
        out.push_str(n);
    }
    if by_platform {
        for c in TIMING_COLUMNS {
            out.push(',');
            out.push_str(c);
        }
    }
    out.push('\n');
    let mut row = |label: &str, f: &Figures, timing: Option<[String; 3]>| {
        out.push_str(&csv_field(label));
        for v in f.values() {
            let _ = write!(out, ",{v}");
        }
        if let Some(t) = timing {
            for c in t {
                out.push(',');
                out.push_str(&c);
            }
        }
        out.push('\n');
    };
    for g in &s.groups {
        let timing =
            by_platform.then(|| timing_cells(s.platforms.iter().find(|p| p.platform == g.key)));
        row(&g.key, &g.figures, timing);
    }
    row("total", &s.totals, by_platform.then(|| timing_cells(None)));
    out
}

/// The three breakdowns a report shows.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub by_month: Stats,
    pub by_category: Stats,
    pub by_platform: Stats,
}

/// Indonesian and English labels of each figure, in [`Figures::NAMES`] order.
pub const LABELS: [(&str, &str); 19] = [
    (
        "Konten ditangani (laporan diterima)",
        "Items handled (reports received)",
    ),
    ("Laporan dari patroli", "Reports from the patrol"),
    ("Laporan dari Polri", "Reports from the police"),
    ("Aduan masyarakat", "Reports from the public"),
    ("Laporan dari platform", "Reports from platforms"),
    ("Kasus dibuka", "Cases opened"),
    ("Kasus dikonfirmasi melanggar", "Cases confirmed"),
    ("Kasus ditolak", "Cases rejected"),
    ("Permintaan penurunan dikirim", "Takedown notices sent"),
    ("Penurunan terverifikasi", "Removals verified"),
    ("Diturunkan dalam tenggat", "Removed within the deadline"),
    ("Ditolak oleh platform", "Refused by the platform"),
    ("Melewati tenggat, belum diturunkan", "Overdue, not removed"),
    (
        "Akun dibuat ulang yang terdeteksi",
        "Re-created accounts caught",
    ),
    (
        "Konten ditangani terkait anak",
        "Child-related items handled",
    ),
    ("Kasus dibuka terkait anak", "Child-related cases opened"),
    (
        "Kasus dikonfirmasi terkait anak",
        "Child-related cases confirmed",
    ),
    (
        "Permintaan penurunan terkait anak",
        "Child-related notices sent",
    ),
    (
        "Penurunan terverifikasi terkait anak",
        "Child-related removals verified",
    ),
];

/// `figure,label_id,label_en,value`: the window's totals.
pub fn summary_csv(s: &Stats) -> String {
    let mut out = String::from("figure,label_id,label_en,value\n");
    for ((name, (id, en)), v) in Figures::NAMES.iter().zip(LABELS).zip(s.totals.values()) {
        let _ = writeln!(out, "{name},\"{id}\",\"{en}\",{v}");
    }
    out
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Digits grouped by thousands with a narrow no-break space (readable in both languages).
pub fn grouped(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

fn label(name: &str) -> (&'static str, &'static str) {
    Figures::NAMES
        .iter()
        .position(|n| *n == name)
        .map_or(("", ""), |i| LABELS[i])
}

fn num_cell(v: i64) -> String {
    format!("<td data-value=\"{v}\">{}</td>", grouped(v))
}

/// The figures a breakdown table shows (all of them would be too wide for a page).
const TABLE_FIGURES: [&str; 9] = [
    "items_handled",
    "cases_opened",
    "cases_confirmed",
    "notices_sent",
    "removals_verified",
    "removed_within_deadline",
    "removals_overdue",
    "recreated_caught",
    "child_cases_opened",
];

fn value_of(f: &Figures, name: &str) -> i64 {
    Figures::NAMES
        .iter()
        .position(|n| *n == name)
        .map_or(0, |i| f.values()[i])
}

fn breakdown_table(out: &mut String, id: &str, key_id: &str, key_en: &str, s: &Stats) {
    let _ = write!(
        out,
        "<table id=\"{id}\"><thead><tr><th>{key_id}<br/><span class=\"en\">{key_en}</span></th>"
    );
    for n in TABLE_FIGURES {
        let (lid, len) = label(n);
        let _ = write!(
            out,
            "<th data-figure=\"{n}\">{}<br/><span class=\"en\">{}</span></th>",
            esc(lid),
            esc(len)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for g in &s.groups {
        let _ = write!(
            out,
            "<tr data-key=\"{}\"><th>{}</th>",
            esc(&g.key),
            esc(&g.key)
        );
        for n in TABLE_FIGURES {
            out.push_str(&num_cell(value_of(&g.figures, n)));
        }
        out.push_str("</tr>");
    }
    out.push_str("<tr data-key=\"total\"><th>Total</th>");
    for n in TABLE_FIGURES {
        out.push_str(&num_cell(value_of(&s.totals, n)));
    }
    out.push_str("</tr></tbody></table>");
}

/// (group key, cases opened, removals verified) of each group: the two bars of a chart.
fn opened_and_removed(groups: &[Group]) -> Vec<(String, i64, i64)> {
    groups
        .iter()
        .map(|g| {
            (
                g.key.clone(),
                g.figures.cases_opened,
                g.figures.removals_verified,
            )
        })
        .collect()
}

/// Vertical bars, two series per group (e.g. cases opened and removals verified per month).
fn bar_chart(title: &str, groups: &[(String, i64, i64)], legend: (&str, &str)) -> String {
    let (w, h, pad) = (720_i64, 220_i64, 30_i64);
    let n = i64::try_from(groups.len().max(1)).unwrap_or(1);
    let max = groups
        .iter()
        .map(|g| g.1.max(g.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = (w - 2 * pad) / n;
    let bar = (slot / 3).max(1);
    let mut svg = format!(
        "<svg role=\"img\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\"><title>{}</title>",
        h + 40,
        h + 40,
        esc(title)
    );
    let _ = write!(
        svg,
        "<line x1=\"{pad}\" y1=\"{h}\" x2=\"{}\" y2=\"{h}\" stroke=\"#444\"/>",
        w - pad
    );
    for (i, (key, a, b)) in groups.iter().enumerate() {
        let x = pad + i64::try_from(i).unwrap_or(0) * slot;
        for (j, (v, class, name)) in [(a, "a", legend.0), (b, "b", legend.1)]
            .into_iter()
            .enumerate()
        {
            let bh = v * (h - pad) / max;
            let bx = x + i64::try_from(j).unwrap_or(0) * bar + bar / 2;
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{bx}\" y=\"{}\" width=\"{bar}\" height=\"{bh}\"><title>{} – {}: {v}</title></rect>",
                h - bh,
                esc(key),
                esc(name)
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x + slot / 2,
            h + 14,
            esc(key)
        );
    }
    let _ = write!(
        svg,
        "<rect class=\"a\" x=\"{pad}\" y=\"{}\" width=\"10\" height=\"10\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>\
         <rect class=\"b\" x=\"{}\" y=\"{}\" width=\"10\" height=\"10\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text></svg>",
        h + 24,
        pad + 14,
        h + 33,
        esc(legend.0),
        pad + 300,
        h + 24,
        pad + 314,
        h + 33,
        esc(legend.1)
    );
    svg
}

/// Horizontal bars of a percentage per row (share removed within the deadline per platform).
fn share_chart(title: &str, rows: &[(String, f64)]) -> String {
    let (w, row_h, left) = (720_i64, 22_i64, 120_i64);
    let h = row_h * i64::try_from(rows.len()).unwrap_or(0) + 10;
    let mut svg = format!(
        "<svg role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\"><title>{}</title>",
        esc(title)
    );
    for (i, (key, v)) in rows.iter().enumerate() {
        let y = i64::try_from(i).unwrap_or(0) * row_h + 4;
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a share in 0..=1 times a width"
        )]
        let bw = (v.clamp(0.0, 1.0) * (w - left - 60) as f64).round() as i64;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
             <rect class=\"a\" x=\"{left}\" y=\"{y}\" width=\"{bw}\" height=\"{}\"><title>{}: {:.1}%</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\">{:.1}%</text>",
            left - 6,
            y + 13,
            esc(key),
            row_h - 6,
            esc(key),
            v * 100.0,
            left + bw + 4,
            y + 13,
            v * 100.0
        );
    }
    svg.push_str("</svg>");
    svg
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1,h2{line-height:1.2}.en{color:#555;font-weight:normal;font-size:.9em}\
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top}\
td{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f3f3f3}\
rect.a{fill:#2b6cb0}rect.b{fill:#dd6b20}dl dt{font-weight:bold;margin-top:.6rem}";

/// Definitions shown on the page, in both languages.
const DEFINITIONS: [(&str, &str, &str); 9] = [
    (
        "Periode",
        "Window",
        "Calendar days in Asia/Jakarta time (WIB, UTC+7), both ends inclusive; each figure is counted when its own event happened. / Hari kalender WIB, kedua ujung termasuk; setiap angka dihitung pada saat peristiwanya.",
    ),
    (
        "Konten ditangani",
        "Items handled",
        "Reports received about the cases opened in the period (each report is one item submitted by the patrol, the police, the public or a platform). / Laporan yang diterima untuk kasus yang dibuka pada periode ini.",
    ),
    (
        "Kasus",
        "Cases",
        "One account or URL is one case however often it is reported. Confirmed and rejected count the analysts' confirm and reject decisions recorded in the period. / Satu akun atau URL adalah satu kasus.",
    ),
    (
        "Penurunan terverifikasi",
        "Removals verified",
        "Notices whose removal was verified by a re-check in the period; within the deadline when verified no later than the legal deadline (24 hours, 4 hours when urgent). / Diverifikasi ulang oleh tim patroli.",
    ),
    (
        "Melewati tenggat",
        "Overdue",
        "Notices whose deadline fell in the period and that were neither verified removed nor withdrawn at the end of the period (or now, if earlier). / Belum diturunkan saat akhir periode.",
    ),
    (
        "Waktu penurunan",
        "Time to removal",
        "From the notice to the verified removal; median and 90th percentile by nearest rank (the value at rank ⌈p·n⌉ of the n sorted times). / Median dan persentil ke-90.",
    ),
    (
        "Akun dibuat ulang",
        "Re-created accounts caught",
        "Cases opened for content that came back after a verified removal. / Konten yang muncul kembali setelah diturunkan.",
    ),
    (
        "Terkait anak",
        "Child-related",
        "Cases in the child exploitation category, also included in the overall figures. / Termasuk dalam angka keseluruhan.",
    ),
    (
        "Data pribadi",
        "Personal data",
        "This report holds only counts; no account, URL, phone number or reporter appears in it. / Laporan ini hanya memuat jumlah agregat.",
    ),
];

/// The page: summary, charts and tables by month, category and platform, definitions.
pub fn render_html(d: &ReportData) -> String {
    let s = &d.by_month;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\"/>\
         <title>Laporan Transparansi / Transparency Report {} – {}</title><style>{CSS}</style></head><body>",
        esc(&s.from),
        esc(&s.to)
    );
    let _ = write!(
        out,
        "<h1>Laporan Transparansi Ronda<br/><span class=\"en\" lang=\"en\">Ronda transparency report</span></h1>\
         <p>Periode / <span lang=\"en\">Period</span>: <time id=\"from\">{}</time> – <time id=\"to\">{}</time> (WIB, Asia/Jakarta). \
         Tenggat dihitung per / <span lang=\"en\">Overdue as of</span> <time id=\"as-of\">{}</time>.</p>",
        esc(&s.from),
        esc(&s.to),
        esc(&s.as_of)
    );
    out.push_str(
        "<h2>Ringkasan <span class=\"en\" lang=\"en\">Summary</span></h2><table id=\"summary\"><thead><tr>\
         <th>Angka<br/><span class=\"en\">Figure</span></th><th>Jumlah<br/><span class=\"en\">Count</span></th></tr></thead><tbody>",
    );
    for ((name, (lid, len)), v) in Figures::NAMES.iter().zip(LABELS).zip(s.totals.values()) {
        let _ = write!(
            out,
            "<tr data-figure=\"{name}\"><th>{}<br/><span class=\"en\" lang=\"en\">{}</span></th>{}</tr>",
            esc(lid),
            esc(len),
            num_cell(v)
        );
    }
    out.push_str("</tbody></table>");

    out.push_str("<h2>Per bulan <span class=\"en\" lang=\"en\">By month</span></h2>");
    let months = opened_and_removed(&s.groups);
    out.push_str(&bar_chart(
        "Kasus dibuka dan penurunan terverifikasi per bulan / Cases opened and removals verified by month",
        &months,
        ("Kasus dibuka / Cases opened", "Penurunan terverifikasi / Removals verified"),
    ));
    breakdown_table(&mut out, "by_month", "Bulan", "Month", s);

    out.push_str("<h2>Per kategori <span class=\"en\" lang=\"en\">By category</span></h2>");
    let cats = opened_and_removed(&d.by_category.groups);
    out.push_str(&bar_chart(
        "Kasus dibuka dan penurunan terverifikasi per kategori / Cases opened and removals verified by category",
        &cats,
        ("Kasus dibuka / Cases opened", "Penurunan terverifikasi / Removals verified"),
    ));
    breakdown_table(
        &mut out,
        "by_category",
        "Kategori",
        "Category",
        &d.by_category,
    );

    out.push_str("<h2>Per platform <span class=\"en\" lang=\"en\">By platform</span></h2>");
    let shares: Vec<(String, f64)> = d
        .by_platform
        .platforms
        .iter()
        .filter_map(|p| p.within_deadline_share.map(|v| (p.platform.clone(), v)))
        .collect();
    if !shares.is_empty() {
        out.push_str(&share_chart(
            "Bagian yang diturunkan dalam tenggat / Share removed within the deadline",
            &shares,
        ));
    }
    breakdown_table(
        &mut out,
        "by_platform",
        "Platform",
        "Platform",
        &d.by_platform,
    );
    out.push_str(
        "<table id=\"removal_times\"><thead><tr><th>Platform</th>\
         <th>Penurunan terverifikasi<br/><span class=\"en\">Removals verified</span></th>\
         <th>Dalam tenggat<br/><span class=\"en\">Within the deadline</span></th>\
         <th>Bagian<br/><span class=\"en\">Share</span></th>\
         <th>Median (jam)<br/><span class=\"en\">Median (hours)</span></th>\
         <th>P90 (jam)<br/><span class=\"en\">P90 (hours)</span></th></tr></thead><tbody>",
    );
    for p in &d.by_platform.platforms {
        let _ = write!(
            out,
            "<tr data-key=\"{}\"><th>{}</th>{}{}<td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.platform),
            esc(&p.platform),
            num_cell(p.removals_verified),
            num_cell(p.removed_within_deadline),
            share(p.within_deadline_share),
            hours(p.median_ms),
            hours(p.p90_ms)
        );
    }
    out.push_str("</tbody></table>");

    out.push_str("<h2>Definisi <span class=\"en\" lang=\"en\">Definitions</span></h2><dl>");
    for (id, en, text) in DEFINITIONS {
        let _ = write!(
            out,
            "<dt>{} / <span lang=\"en\">{}</span></dt><dd>{}</dd>",
            esc(id),
            esc(en),
            esc(text)
        );
    }
    out.push_str("</dl></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Stats {
        let f = |n: i64| Figures {
            cases_opened: n,
            items_handled: 2 * n,
            ..Figures::default()
        };
        Stats {
            from: "2020-01-01".into(),
            to: "2020-02-29".into(),
            timezone: "Asia/Jakarta",
            as_of: "2020-02-29T17:00:00.000Z".into(),
            group_by: Some(GroupBy::Platform),
            totals: f(3),
            groups: vec![
                Group {
                    key: "michat".into(),
                    figures: f(1),
                },
                Group {
                    key: "we,ird".into(),
                    figures: f(2),
                },
            ],
            platforms: vec![PlatformRemovals {
                platform: "michat".into(),
                removals_verified: 4,
                removed_within_deadline: 2,
                within_deadline_share: Some(0.5),
                median_ms: Some(6 * 3_600_000),
                p90_ms: Some(48 * 3_600_000 + 1_800_000),
            }],
        }
    }

    #[test]
    fn csv_has_a_row_per_group_a_total_and_platform_times() {
        let csv = render_csv(&sample());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("platform,items_handled,reports_patrol,"));
        assert!(lines[0].ends_with(",within_deadline_share,median_hours,p90_hours"));
        assert!(lines[1].starts_with("michat,2,0,0,0,0,1,"), "{}", lines[1]);
        assert!(lines[1].ends_with(",0.5000,6.00,48.50"), "{}", lines[1]);
        assert!(lines[2].starts_with("\"we,ird\",4,"), "{}", lines[2]);
        assert!(lines[2].ends_with(",,,"), "{}", lines[2]);
        assert!(lines[3].starts_with("total,6,"), "{}", lines[3]);
        for l in &lines {
            assert_eq!(
                l.matches(',').count(),
                lines[0].matches(',').count() + usize::from(l.contains('"'))
            );
        }
    }

    #[test]
    fn numbers_are_grouped_and_text_escaped() {
        assert_eq!(grouped(1_068_926), "1\u{202f}068\u{202f}926");
        assert_eq!(grouped(10), "10");
        assert_eq!(grouped(0), "0");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn every_figure_has_both_labels() {
        assert_eq!(LABELS.len(), Figures::NAMES.len());
        for (id, en) in LABELS {
            assert!(!id.is_empty() && !en.is_empty());
        }
    }
}
