//! `ronda stats`: the figures of a window as a table, CSV or JSON (the JSON is exactly the body
//! of `GET /api/v1/stats`). The renderers here are pure and shared with the transparency report.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::anyhow;
use ronda_server::export::csv_field;
use ronda_store::stats::{Figures, GroupBy, PlatformRemovals, Stats, StatsQuery, resolve_window};

use super::store_args::StoreArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Statistics for a window of days in Asia/Jakarta time (both ends inclusive).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day, YYYY-MM-DD (WIB) [default: 29 days before --to].
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (WIB), inclusive [default: today].
    #[arg(long)]
    to: Option<String>,
    /// Break the figures down by month, category, platform, source or priority.
    #[arg(long, value_name = "month|category|platform|source|priority")]
    group_by: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
}

/// Builds a query from command-line strings; errors name the option.
pub fn query(
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
    now_ms: i64,
) -> anyhow::Result<StatsQuery> {
    let group_by = group_by
        .map(|g| g.parse::<GroupBy>())
        .transpose()
        .map_err(|e| anyhow!("--group-by: {e}"))?;
    let (from_day, to_day) =
        resolve_window(from, to, now_ms).map_err(|e| anyhow!("--{}: {}", e.field, e.message))?;
    Ok(StatsQuery {
        from_day,
        to_day,
        now_ms,
        group_by,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (_, store) = args.store.open()?;
    let q = query(
        args.from.as_deref(),
        args.to.as_deref(),
        args.group_by.as_deref(),
        store.now_ms(),
    );
    let stats = q.and_then(|q| Ok(store.stats(&q)?));
    store.close();
    let stats = stats?;
    let out = match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&stats)?),
        Format::Csv => render_csv(&stats),
        Format::Table => render_table(&stats),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

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

/// A text table: one line per figure, one column per group plus the total; then removal times.
pub fn render_table(s: &Stats) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Statistics {} to {} (Asia/Jakarta); overdue as of {}",
        s.from, s.to, s.as_of
    );
    let mut cols: Vec<(&str, [i64; 19])> = s
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.figures.values()))
        .collect();
    cols.push(("total", s.totals.values()));
    let name_w = Figures::NAMES.iter().map(|n| n.len()).max().unwrap_or(0);
    let widths: Vec<usize> = cols
        .iter()
        .map(|(k, vals)| {
            vals.iter()
                .map(|v| v.to_string().len())
                .max()
                .unwrap_or(1)
                .max(k.len())
        })
        .collect();
    let _ = write!(out, "{:<name_w$}", "figure");
    for ((k, _), w) in cols.iter().zip(&widths) {
        let _ = write!(out, "  {k:>w$}");
    }
    out.push('\n');
    for (i, name) in Figures::NAMES.iter().enumerate() {
        let _ = write!(out, "{name:<name_w$}");
        for ((_, vals), w) in cols.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", vals[i]);
        }
        out.push('\n');
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{:<12} {:>8} {:>8} {:>8} {:>12} {:>10}",
        "platform", "removed", "in time", "share", "median (h)", "p90 (h)"
    );
    for p in &s.platforms {
        let _ = writeln!(
            out,
            "{:<12} {:>8} {:>8} {:>8} {:>12} {:>10}",
            p.platform,
            p.removals_verified,
            p.removed_within_deadline,
            share(p.within_deadline_share),
            hours(p.median_ms),
            hours(p.p90_ms)
        );
    }
    if s.platforms.is_empty() {
        out.push_str("(no removal verified in the window)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ronda_store::stats::Group;

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
    fn table_lists_every_figure_and_the_removal_times() {
        let t = render_table(&sample());
        for n in Figures::NAMES {
            assert!(t.contains(n), "{n}");
        }
        assert!(t.contains("michat"));
        assert!(t.contains("48.50"));
        let opened = t
            .lines()
            .find(|l| l.starts_with("cases_opened"))
            .unwrap_or("");
        assert_eq!(
            opened.split_whitespace().collect::<Vec<_>>(),
            ["cases_opened", "1", "2", "3"]
        );
    }

    #[test]
    fn options_are_checked_and_named() {
        let e = query(Some("2020-13-01"), None, None, 0).unwrap_err();
        assert!(e.to_string().starts_with("--from:"), "{e}");
        let e = query(None, None, Some("week"), 0).unwrap_err();
        assert!(e.to_string().starts_with("--group-by:"), "{e}");
        assert!(query(Some("2020-01-01"), Some("2020-01-31"), Some("month"), 0).is_ok());
    }
}
