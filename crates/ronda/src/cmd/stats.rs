//! `ronda stats`: the figures of a window as a table, CSV or JSON (the JSON is exactly the body
//! of `GET /api/v1/stats`). The CSV renderer is [`ronda_server::report::render_csv`], shared with
//! the transparency report and the console; the text table is the CLI's own.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::anyhow;
use ronda_server::report::{hours, render_csv, share};
use ronda_store::stats::{Figures, GroupBy, Stats, StatsQuery, resolve_window};

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
    use ronda_store::stats::{Group, PlatformRemovals};

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
