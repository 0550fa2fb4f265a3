//! `/queue`: the verification queue as the API orders it (child-safety and urgent first,
//! then by detection score, oldest first), narrowed by category, platform, source and
//! priority; its counts; who is signed in and what they hold; and **Start reviewing**, which
//! claims the next case for the viewer and opens it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::model::{Category, Priority, Source};
use ronda_store::StoreError;
use ronda_store::cases::{CaseFilter, CaseView};
use ronda_store::review::QueueCounts;
use ronda_store::sessions::Online;
use serde::Deserialize;

use crate::console::auth::{CsrfForm, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{
    Ctx, PageError, html_response, page, role_key, see_other, url_component, wib,
};
use crate::state::AppState;

/// Cases the queue page lists.
pub const QUEUE_PAGE: usize = 50;

/// Signed-in users seen this recently are "online".
const ONLINE_WITHIN_MS: i64 = 5 * 60_000;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/queue", get(queue_page))
        .route("/queue/next", post(start_reviewing))
}

/// The queue's filters as the form sends them (empty = any).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueFilters {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub priority: String,
}

impl QueueFilters {
    /// The store's filter, and the names of the fields whose value is not one we know.
    pub fn to_filter(&self, limit: usize) -> (CaseFilter, Vec<&'static str>) {
        let mut bad = Vec::new();
        fn pick<T: std::str::FromStr>(
            v: &str,
            name: &'static str,
            bad: &mut Vec<&'static str>,
        ) -> Option<T> {
            if v.trim().is_empty() {
                return None;
            }
            let parsed = v.trim().parse().ok();
            if parsed.is_none() {
                bad.push(name);
            }
            parsed
        }
        let f = CaseFilter {
            category: pick::<Category>(&self.category, "category", &mut bad),
            source: pick::<Source>(&self.source, "source", &mut bad),
            priority: pick::<Priority>(&self.priority, "priority", &mut bad),
            platform: Some(self.platform.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()),
            limit,
            ..CaseFilter::default()
        };
        (f, bad)
    }

    /// The filters as a query string (`category=gambling&…`), empty ones left out.
    pub fn query(&self) -> String {
        [
            ("category", &self.category),
            ("platform", &self.platform),
            ("source", &self.source),
            ("priority", &self.priority),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_component(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// Whether a case's text is hidden until asked for (child-safety cases).
pub fn text_veiled(c: &CaseView) -> bool {
    c.child_safety.is_some() || c.category == Some(Category::ChildExploitation)
}

struct QueueData {
    cases: Vec<CaseView>,
    counts: QueueCounts,
    online: Vec<Online>,
    platforms: Vec<String>,
}

async fn queue_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let filters = QueueFilters {
        category: q.get("category").cloned().unwrap_or_default(),
        platform: q.get("platform").cloned().unwrap_or_default(),
        source: q.get("source").cloned().unwrap_or_default(),
        priority: q.get("priority").cloned().unwrap_or_default(),
    };
    let empty = q.contains_key("empty");
    let (filter, bad) = filters.to_filter(QUEUE_PAGE);
    let store = st.store.clone();
    let holder = viewer.reviewer().holder;
    let data = tokio::task::spawn_blocking(move || {
        Ok::<_, StoreError>(QueueData {
            cases: store.review_queue_filtered(holder, &filter)?,
            counts: store.queue_counts(&filter)?,
            online: store.online_users(ONLINE_WITHIN_MS)?,
            platforms: store
                .list_platforms()?
                .into_iter()
                .map(|p| p.name)
                .collect(),
        })
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))?;
    Ok(html_response(page(
        &ctx,
        &lang.t("queue-title"),
        render(&ctx, &filters, &bad, empty, &data),
    )))
}

fn options<T: Copy + PartialEq>(
    lang: Lang,
    all: &[T],
    chosen: &str,
    key: impl Fn(T) -> (String, &'static str),
) -> Markup {
    html! {
        option value="" { (lang.t("filter-any")) }
        @for v in all {
            @let (msg, value) = key(*v);
            option value=(value) selected[chosen == value] { (msg) }
        }
    }
}

fn render(ctx: &Ctx, filters: &QueueFilters, bad: &[&str], empty: bool, d: &QueueData) -> Markup {
    let lang = ctx.lang;
    html! {
        @for field in bad {
            p.alert role="alert" { (lang.tf("filter-unknown", &[("field", (*field).into())])) }
        }
        @if empty {
            p.notice role="status" { (lang.t("queue-empty-now")) }
        }
        form.filters method="get" action="/queue" aria-label=(lang.t("filter-label")) {
            label { (lang.t("case-category")) " "
                select name="category" { (options(lang, Category::ALL, &filters.category, |c| (lang.t(&format!("category-{}", c.as_str())), c.as_str()))) }
            }
            label { (lang.t("case-platform")) " "
                select name="platform" {
                    option value="" { (lang.t("filter-any")) }
                    @for p in &d.platforms {
                        option value=(p) selected[filters.platform.eq_ignore_ascii_case(p)] { (p) }
                    }
                }
            }
            label { (lang.t("case-source")) " "
                select name="source" { (options(lang, Source::ALL, &filters.source, |s| (lang.t(&format!("source-{}", s.as_str())), s.as_str()))) }
            }
            label { (lang.t("case-priority")) " "
                select name="priority" { (options(lang, Priority::ALL, &filters.priority, |p| (lang.t(&format!("priority-{}", p.as_str())), p.as_str()))) }
            }
            button type="submit" { (lang.t("filter-apply")) }
        }
        p.counts role="status" {
            (lang.tf("queue-count", &[("n", d.counts.open.into())])) " · "
            (lang.tf("queue-urgent", &[("n", d.counts.urgent.into())])) " · "
            (lang.tf("queue-child-safety", &[("n", d.counts.child_safety.into())])) " · "
            (lang.tf("queue-held", &[("n", d.counts.held.into())]))
        }
        form.inline method="post" action="/queue/next" {
            (ctx.csrf_field())
            input type="hidden" name="category" value=(filters.category);
            input type="hidden" name="platform" value=(filters.platform);
            input type="hidden" name="source" value=(filters.source);
            input type="hidden" name="priority" value=(filters.priority);
            button.primary type="submit" id="start-reviewing" { (lang.t("queue-start")) }
        }
        p.hint { (lang.t("queue-keys")) }
        @if d.cases.is_empty() {
            p { (lang.t("queue-empty")) }
        } @else {
            table.cases id="queue" data-rows="" {
                caption.visually-hidden { (lang.t("queue-title")) }
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (lang.t("case-priority")) }
                    th scope="col" { (lang.t("case-category")) }
                    th scope="col" { (lang.t("case-platform")) }
                    th scope="col" { (lang.t("case-target")) }
                    th scope="col" { (lang.t("case-reports")) }
                    th scope="col" { (lang.t("case-first-reported")) }
                    th scope="col" { (lang.t("case-excerpt")) }
                } }
                tbody {
                    @for c in &d.cases {
                        tr data-href={ "/cases/" (c.id) } {
                            td { a href={ "/cases/" (c.id) } { (c.id) } }
                            td { span class={ "badge priority-" (c.priority.as_str()) } { (lang.t(&format!("priority-{}", c.priority.as_str()))) }
                                @if let Some(cs) = c.child_safety { " " span.badge.child-safety title=(lang.t(&format!("child-safety-{}", cs.as_str()))) { (lang.t("child-safety")) } }
                                @if c.recreation { " " span.badge.recreation { (lang.t("case-recreation")) } }
                            }
                            td { @match c.category { Some(cat) => (lang.t(&format!("category-{}", cat.as_str()))), None => "—" } }
                            td { (c.platform) }
                            td.target { (c.target_value) }
                            td { (c.reports_total) }
                            td { time datetime=(ronda_core::clock::to_rfc3339(c.first_reported_at)) { (wib(c.first_reported_at)) } }
                            td.excerpt {
                                @if text_veiled(c) { em { (lang.t("text-veiled")) } }
                                @else if let Some(e) = &c.excerpt { (e) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="online-h" {
            h2 id="online-h" { (lang.t("online-title")) }
            @if d.online.is_empty() { p { (lang.t("online-none")) } }
            ul.online {
                @for o in &d.online {
                    li {
                        strong { (o.name) } " · " (lang.t(role_key(o.role)))
                        @if !o.holding.is_empty() {
                            " — " (lang.t("online-holds")) " "
                            @for (i, id) in o.holding.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href={ "/cases/" (id) } { "#" (id) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Claims the first case of the (filtered) queue the viewer can claim and opens it; when
/// another analyst took it a moment ago, tries the next. An empty queue comes back to it.
async fn start_reviewing(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(filters): CsrfForm<QueueFilters>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    match claim_next(&st, &viewer, &filters, None)
        .await
        .map_err(|e| PageError::store(lang, e))?
    {
        Some(id) => Ok(see_other(&format!("/cases/{id}"))),
        None => {
            let q = filters.query();
            Ok(see_other(&format!(
                "/queue?{}{}empty=1",
                q,
                if q.is_empty() { "" } else { "&" }
            )))
        }
    }
}

/// Claims the next case of the queue for the viewer (skipping `after`, the case just
/// decided): the one the viewer already holds first, else the first free one. `None` when
/// nothing is left.
pub async fn claim_next(
    st: &Arc<AppState>,
    viewer: &Viewer,
    filters: &QueueFilters,
    after: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    let (filter, _) = filters.to_filter(20);
    let who = viewer.reviewer();
    let ttl = i64::try_from(st.config.claim_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    for _round in 0..5 {
        let store = st.store.clone();
        let f = filter.clone();
        let holder = who.holder;
        let cases = tokio::task::spawn_blocking(move || store.review_queue_filtered(holder, &f))
            .await
            .map_err(|e| StoreError::Conflict(e.to_string()))??;
        let candidates: Vec<i64> = cases
            .iter()
            .map(|c| c.id)
            .filter(|id| Some(*id) != after)
            .collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        for id in candidates {
            match st.store.claim_case(who.clone(), id, ttl).await {
                Ok(_) => return Ok(Some(id)),
                // Someone else took it between the read and the claim: the next one.
                Err(StoreError::Conflict(_) | StoreError::IllegalTransition(_)) => continue,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(None)
}
