//! `/stats`: the figures of `ronda stats` for a window of days (Jakarta time), optionally
//! broken down by month, category, platform, source or priority — a table of every figure and
//! a bar chart (inline SVG) of cases opened against removals verified per group — with the
//! same CSV as `ronda stats --format csv` to download, and the public transparency report of
//! the window (`ronda report transparency`'s page) to download for review before publishing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use ronda_store::StoreError;
use ronda_store::stats::{Figures, GroupBy, Stats, StatsQuery, resolve_window};

use crate::console::auth::Viewer;
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, url_component};
use crate::report::{LABELS, ReportData, render_csv, render_html};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/stats", get(stats_page))
        .route("/stats.csv", get(stats_csv))
        .route("/stats/transparency.html", get(transparency))
}

/// The window and grouping a page asks for, checked.
struct Asked {
    from: String,
    to: String,
    group_by: Option<GroupBy>,
    query: StatsQuery,
}

fn asked(st: &AppState, lang: Lang, q: &HashMap<String, String>) -> Result<Asked, String> {
    let group_by = match q
        .get("group_by")
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
    {
        Some(g) => Some(
            g.parse::<GroupBy>()
                .map_err(|_| lang.t("stats-bad-group"))?,
        ),
        None => None,
    };
    let now_ms = st.store.now_ms();
    let pick = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let (from_day, to_day) = resolve_window(pick("from"), pick("to"), now_ms).map_err(|e| {
        format!(
            "{} ({}: {})",
            lang.t("stats-bad-window"),
            e.field,
            e.message
        )
    })?;
    Ok(Asked {
        from: ronda_core::wib::format_date(from_day),
        to: ronda_core::wib::format_date(to_day),
        group_by,
        query: StatsQuery {
            from_day,
            to_day,
            now_ms,
            group_by,
        },
    })
}

async fn run(st: &Arc<AppState>, lang: Lang, q: StatsQuery) -> Result<Stats, PageError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || store.stats(&q))
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))
}

async fn stats_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    _viewer: Viewer,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let (asked, error) = match asked(&st, lang, &q) {
        Ok(a) => (a, None),
        Err(e) => (
            asked(&st, lang, &HashMap::new())
                .map_err(|_| PageError::bad_request(lang, "error-form"))?,
            Some(e),
        ),
    };
    let stats = run(&st, lang, asked.query).await?;
    Ok(html_response(page(
        &ctx,
        &lang.t("stats-title"),
        render(&ctx, &asked, &stats, error),
    )))
}

fn label(lang: Lang, i: usize) -> &'static str {
    let (id, en) = LABELS[i.min(LABELS.len() - 1)];
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

/// Bars of cases opened and removals verified per group.
fn chart(lang: Lang, s: &Stats) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    const PAD: f64 = 28.0;
    let groups = &s.groups;
    let max = groups
        .iter()
        .map(|g| g.figures.cases_opened.max(g.figures.removals_verified))
        .max()
        .unwrap_or(0)
        .max(1);
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
    let (n, max) = (groups.len().max(1) as f64, max as f64);
    let slot = (W - 2.0 * PAD) / n;
    let bar = (slot / 2.0 - 2.0).max(1.0);
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
    let height = |v: i64| (v as f64) / max * (H - 2.0 * PAD);
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" {
                title id="chart-title" { (lang.t("stats-chart-title")) }
                line.axis x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) {}
                @for (i, g) in groups.iter().enumerate() {
                    @let x = PAD + slot * (i as f64);
                    @let (o, r) = (height(g.figures.cases_opened), height(g.figures.removals_verified));
                    rect.opened x=(format!("{:.1}", x + 1.0)) y=(format!("{:.1}", H - PAD - o)) width=(format!("{bar:.1}")) height=(format!("{o:.1}")) {
                        title { (g.key) ": " (g.figures.cases_opened) }
                    }
                    rect.removed x=(format!("{:.1}", x + 1.0 + bar + 2.0)) y=(format!("{:.1}", H - PAD - r)) width=(format!("{bar:.1}")) height=(format!("{r:.1}")) {
                        title { (g.key) ": " (g.figures.removals_verified) }
                    }
                    text x=(format!("{:.1}", x + slot / 2.0)) y=(format!("{:.1}", H - PAD + 16.0)) text-anchor="middle" { (g.key) }
                }
            }
            figcaption {
                span.key-opened { "■" } " " (label(lang, 5)) " · "
                span.key-removed { "■" } " " (label(lang, 9))
            }
        }
    }
}

fn render(ctx: &Ctx, a: &Asked, s: &Stats, error: Option<String>) -> Markup {
    let lang = ctx.lang;
    let g = a.group_by.map_or("", GroupBy::as_str);
    let qs = format!(
        "from={}&to={}&group_by={}",
        url_component(&a.from),
        url_component(&a.to),
        url_component(g)
    );
    html! {
        @if let Some(e) = error { p.alert role="alert" { (e) } }
        form.filters method="get" action="/stats" aria-label=(lang.t("filter-label")) {
            label { (lang.t("stats-from")) " " input type="date" name="from" value=(a.from); }
            label { (lang.t("stats-to")) " " input type="date" name="to" value=(a.to); }
            label { (lang.t("stats-group")) " "
                select name="group_by" {
                    option value="" { (lang.t("stats-group-none")) }
                    @for gb in GroupBy::ALL { option value=(gb.as_str()) selected[a.group_by == Some(*gb)] { (lang.t(&format!("stats-group-{}", gb.as_str()))) } }
                }
            }
            button type="submit" { (lang.t("filter-apply")) }
        }
        p { (lang.tf("stats-window", &[("from", a.from.clone().into()), ("to", a.to.clone().into())])) }
        p.buttons {
            a href={ "/stats.csv?" (qs) } download="ronda-stats.csv" id="stats-csv" { (lang.t("stats-csv")) }
            " · "
            a href={ "/stats/transparency.html?" (qs) } download="ronda-transparency.html" id="transparency" { (lang.t("stats-transparency")) }
        }
        @if !s.groups.is_empty() { (chart(lang, s)) }
        table id="stats" {
            caption.visually-hidden { (lang.t("stats-title")) }
            thead { tr {
                th scope="col" { (lang.t("stats-figure")) }
                @for grp in &s.groups { th scope="col" { (grp.key) } }
                th scope="col" { (lang.t("stats-total")) }
            } }
            tbody {
                @for (i, name) in Figures::NAMES.iter().enumerate() {
                    tr {
                        th scope="row" title=(name) { (label(lang, i)) }
                        @for grp in &s.groups { td.num { (grp.figures.values()[i]) } }
                        td.num { strong { (s.totals.values()[i]) } }
                    }
                }
            }
        }
        @if !s.platforms.is_empty() {
            h2 { (lang.t("stats-removal-times")) }
            table {
                thead { tr {
                    th scope="col" { (lang.t("case-platform")) } th scope="col" { (label(lang, 9)) }
                    th scope="col" { (label(lang, 10)) } th scope="col" { (lang.t("stats-median")) } th scope="col" { (lang.t("stats-p90")) }
                } }
                tbody { @for p in &s.platforms { tr {
                    td { (p.platform) } td.num { (p.removals_verified) } td.num { (p.removed_within_deadline) }
                    td.num { (crate::report::hours(p.median_ms)) } td.num { (crate::report::hours(p.p90_ms)) }
                } } }
            }
        }
    }
}

async fn stats_csv(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let a =
        asked(&st, lang, &q).map_err(|e| PageError::bad_request_detail(lang, "error-form", e))?;
    let stats = run(&st, lang, a.query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"ronda-stats-{}-{}.csv\"",
                    a.from, a.to
                ),
            ),
        ],
        render_csv(&stats),
    )
        .into_response())
}

/// The transparency report of the window, as the page `ronda report transparency` writes
/// (aggregates only), downloaded for review; its making is audited.
async fn transparency(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let a =
        asked(&st, lang, &q).map_err(|e| PageError::bad_request_detail(lang, "error-form", e))?;
    let store = st.store.clone();
    let actor = viewer.actor();
    let (from, to) = (a.from.clone(), a.to.clone());
    let base = a.query;
    let data = tokio::task::spawn_blocking(move || {
        let q = |g| StatsQuery {
            group_by: Some(g),
            ..base
        };
        let data = ReportData {
            by_month: store.stats(&q(GroupBy::Month))?,
            by_category: store.stats(&q(GroupBy::Category))?,
            by_platform: store.stats(&q(GroupBy::Platform))?,
        };
        store.write_blocking(1, move |tx| {
            tx.audit(
                &actor,
                "report.transparency_generated",
                "stats",
                None,
                Some(&serde_json::json!({"from": from, "to": to}).to_string()),
            )
        })?;
        Ok::<_, StoreError>(data)
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"ronda-transparency-{}-{}.html\"",
                    a.from, a.to
                ),
            ),
        ],
        render_html(&data),
    )
        .into_response())
}
