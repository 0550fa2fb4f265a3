//! `/notices`: every takedown notice with its platform, status, deadline (in WIB, with a live
//! countdown) and escalation rung; overdue ones first, then by deadline; filters by platform
//! and status.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use maud::html;
use ronda_core::clock::to_rfc3339;
use ronda_store::StoreError;

use crate::console::layout::{Ctx, PageError, html_response, page, wib};
use crate::state::AppState;

/// Notices the page lists.
const NOTICES_SHOWN: usize = 200;

/// The statuses a notice can be in (the filter's choices).
pub const NOTICE_STATUSES: &[&str] = &[
    "sent",
    "acknowledged",
    "removal_claimed",
    "refused",
    "disputed",
    "still_online",
    "removed",
    "withdrawn",
];

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/notices", get(notices_page))
}

async fn notices_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let platform = q
        .get("platform")
        .map(|p| p.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let status = q
        .get("status")
        .map(|s| s.trim().to_string())
        .filter(|s| NOTICE_STATUSES.contains(&s.as_str()))
        .unwrap_or_default();
    let store = st.store.clone();
    let (p, s) = (platform.clone(), status.clone());
    let (notices, platforms) = tokio::task::spawn_blocking(move || {
        let n = store.notices_by_urgency(Some(&p), Some(&s), NOTICES_SHOWN)?;
        let platforms: Vec<String> = store
            .list_platforms()?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok::<_, StoreError>((n, platforms))
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))?;
    let now = st.store.now_ms();
    let body = html! {
        form.filters method="get" action="/notices" aria-label=(lang.t("filter-label")) {
            label { (lang.t("case-platform")) " "
                select name="platform" {
                    option value="" { (lang.t("filter-any")) }
                    @for p in &platforms { option value=(p) selected[&platform == p] { (p) } }
                }
            }
            label { (lang.t("notice-status")) " "
                select name="status" {
                    option value="" { (lang.t("filter-any")) }
                    @for s in NOTICE_STATUSES { option value=(s) selected[&status == s] { (lang.t(&format!("notice-status-{s}"))) } }
                }
            }
            button type="submit" { (lang.t("filter-apply")) }
        }
        @if notices.is_empty() {
            p { (lang.t("notices-empty")) }
        } @else {
            table.cases id="notices" data-rows="" {
                caption.visually-hidden { (lang.t("notices-title")) }
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (lang.t("case-platform")) }
                    th scope="col" { (lang.t("case-target")) }
                    th scope="col" { (lang.t("notice-status")) }
                    th scope="col" { (lang.t("notice-deadline")) }
                    th scope="col" { (lang.t("notice-escalation")) }
                    th scope="col" { (lang.t("notice-case")) }
                } }
                tbody {
                    @for n in &notices {
                        @let overdue = n.closed_at.is_none() && n.deadline <= now;
                        tr data-href={ "/cases/" (n.case_id) } class=[overdue.then_some("overdue")] {
                            td { (n.id) }
                            td { (n.platform) }
                            td.target { (n.target_value) }
                            td { (lang.t(&format!("notice-status-{}", n.status)))
                                @if overdue { " " span.badge.priority-urgent { (lang.t("notice-overdue")) } } }
                            td {
                                @if n.closed_at.is_none() {
                                    time datetime=(to_rfc3339(n.deadline)) data-countdown=(n.deadline) { (wib(n.deadline)) }
                                } @else {
                                    time datetime=(to_rfc3339(n.deadline)) { (wib(n.deadline)) }
                                }
                                @if n.urgent { " " span.badge.priority-urgent { (lang.t("priority-urgent")) } }
                            }
                            td { (lang.t(&format!("escalation-{}", n.escalation_step))) }
                            td { a href={ "/cases/" (n.case_id) } { "#" (n.case_id) } }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(page(&ctx, &lang.t("notices-title"), body)))
}
