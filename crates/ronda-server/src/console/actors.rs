//! `/actors/{id}`: one actor — the accounts linking put together, the evidence edges between
//! them drawn as a small graph (inline SVG, with the same edges as a table for screen readers
//! and copying), their identifiers and cases — and one decision for all its open cases. The
//! bulk decision claims and decides each case in its own transaction, as
//! `POST /api/v1/decisions:bulk` does; a case that cannot be decided fails alone and says why.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::model::Category;
use ronda_service::review::{Submitted, check_decision};
use ronda_store::StoreError;
use ronda_store::actors::{AccountRef, ActorView, Evidence};
use ronda_store::review::Verdict;
use serde::Deserialize;

use crate::console::auth::{CsrfForm, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, wib};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/actors/{id}", get(actor_page))
        .route("/actors/{id}/decision", post(decide_all))
}

async fn load(st: &Arc<AppState>, lang: Lang, raw: &str) -> Result<ActorView, PageError> {
    let id: i64 = raw.parse().map_err(|_| PageError::not_found(lang))?;
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || store.actor(id))
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))?
        .ok_or_else(|| PageError::not_found(lang))
}

async fn actor_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let a = load(&st, lang, &id).await?;
    Ok(html_response(page(
        &ctx,
        &lang.tf("actor-title", &[("id", a.id.into())]),
        render(&ctx, &st, &a, &[], None),
    )))
}

/// Whether a case of the actor is open for a decision.
fn decidable(status: &str) -> bool {
    matches!(status, "new" | "in_review")
}

/// The evidence graph: accounts on a circle, an edge per shared signal.
pub fn graph(lang: Lang, accounts: &[AccountRef], evidence: &[Evidence]) -> Markup {
    const W: f64 = 640.0;
    const H: f64 = 360.0;
    let n = accounts.len().max(1);
    let (cx, cy, r) = (W / 2.0, H / 2.0, if n == 1 { 0.0 } else { 130.0 });
    #[allow(clippy::cast_precision_loss, reason = "a handful of accounts")]
    let at = |i: usize| {
        let t = std::f64::consts::TAU * (i as f64) / (n as f64) - std::f64::consts::FRAC_PI_2;
        (cx + r * t.cos(), cy + r * t.sin())
    };
    let index = |name: &str| accounts.iter().position(|a| a.account == name);
    // One line per pair of accounts, naming every signal they share.
    let mut pairs: Vec<((usize, usize), Vec<&Evidence>)> = Vec::new();
    for e in evidence {
        if let (Some(i), Some(j)) = (index(&e.account), index(&e.with)) {
            let key = (i.min(j), i.max(j));
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(e),
                None => pairs.push((key, vec![e])),
            }
        }
    }
    html! {
        svg.graph viewBox={ "0 0 " (W) " " (H) } role="img" aria-labelledby="graph-title" xmlns="http://www.w3.org/2000/svg" {
            title id="graph-title" { (lang.tf("actor-graph", &[("n", accounts.len().into()), ("edges", evidence.len().into())])) }
            @for ((i, j), list) in &pairs {
                @let ((x1, y1), (x2, y2)) = (at(*i), at(*j));
                @let signals = list.iter().map(|e| e.signal.as_str()).collect::<Vec<_>>().join(", ");
                line.edge x1=(format!("{x1:.1}")) y1=(format!("{y1:.1}")) x2=(format!("{x2:.1}")) y2=(format!("{y2:.1}")) {
                    title { @for e in list { (e.signal) ": " (e.value) "; " } }
                }
                text.edge-label x=(format!("{:.1}", (x1 + x2) / 2.0 + 6.0)) y=(format!("{:.1}", (y1 + y2) / 2.0)) text-anchor="start" { (signals) }
            }
            @for (i, a) in accounts.iter().enumerate() {
                @let (x, y) = at(i);
                g class={ "node " (a.status) } {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="9" {}
                    text x=(format!("{x:.1}")) y=(format!("{:.1}", y + 24.0)) text-anchor="middle" { (a.account) }
                }
            }
        }
    }
}

/// One case's outcome of a bulk decision.
struct Outcome {
    case_id: i64,
    result: Result<String, String>,
}

fn render(
    ctx: &Ctx,
    st: &AppState,
    a: &ActorView,
    outcomes: &[Outcome],
    error: Option<String>,
) -> Markup {
    let lang = ctx.lang;
    let open: Vec<i64> = a
        .cases
        .iter()
        .filter(|c| decidable(&c.status))
        .map(|c| c.case_id)
        .collect();
    html! {
        @if let Some(e) = error { p.alert role="alert" id="decision-error" { (e) } }
        @if !outcomes.is_empty() {
            section.notice role="status" aria-labelledby="bulk-h" {
                h2 id="bulk-h" { (lang.t("actor-bulk-results")) }
                ul {
                    @for o in outcomes {
                        li {
                            a href={ "/cases/" (o.case_id) } { "#" (o.case_id) } ": "
                            @match &o.result {
                                Ok(status) => (lang.t(&format!("status-{status}"))),
                                Err(why) => strong { (why) },
                            }
                        }
                    }
                }
            }
        }
        p { (lang.tf("actor-since", &[("date", wib(a.created_at).into())]))
            @if !a.merged.is_empty() { " · " (lang.t("actor-merged")) " " @for m in &a.merged { "#" (m) " " } } }
        (graph(lang, &a.accounts, &a.evidence))
        section aria-labelledby="accounts-h" {
            h2 id="accounts-h" { (lang.t("actor-accounts")) }
            table { thead { tr { th scope="col" { (lang.t("case-target")) } th scope="col" { (lang.t("case-status")) } } }
                tbody { @for acc in &a.accounts { tr { td.target { (acc.account) } td { (lang.t(&format!("account-{}", acc.status))) } } } } }
        }
        @if !a.evidence.is_empty() {
            section aria-labelledby="evidence-h" {
                h2 id="evidence-h" { (lang.t("recreation-evidence")) }
                table { thead { tr { th scope="col" { (lang.t("actor-account")) } th scope="col" { (lang.t("actor-signal")) } th scope="col" { (lang.t("identifier-value")) } th scope="col" { (lang.t("actor-with")) } } }
                    tbody { @for e in &a.evidence { tr { td.target { (e.account) } td { (e.signal) } td { code { (e.value) } } td.target { (e.with) } } } } }
            }
        }
        section aria-labelledby="cases-h" {
            h2 id="cases-h" { (lang.t("actor-cases")) }
            table { thead { tr { th scope="col" { "#" } th scope="col" { (lang.t("case-target")) } th scope="col" { (lang.t("case-status")) } th scope="col" { (lang.t("case-priority")) } th scope="col" { (lang.t("decision-title")) } } }
                tbody { @for c in &a.cases { tr {
                    td { a href={ "/cases/" (c.case_id) } { (c.case_id) } }
                    td.target { (c.account) }
                    td { (lang.t(&format!("status-{}", c.status))) @if c.recreation { " " span.badge.recreation { (lang.t("case-recreation")) } } }
                    td { (lang.t(&format!("priority-{}", c.priority.as_str()))) }
                    td { (c.decision.clone().unwrap_or_default()) @if let Some(b) = &c.legal_basis { " · " (b) } }
                } } } }
        }
        @if !open.is_empty() {
            section.decision aria-labelledby="bulk-form-h" {
                h2 id="bulk-form-h" { (lang.tf("actor-bulk-title", &[("n", open.len().into())])) }
                form.stack method="post" action={ "/actors/" (a.id) "/decision" } {
                    (ctx.csrf_field())
                    label for="category" { (lang.t("case-category")) }
                    select id="category" name="category" {
                        option value="" { (lang.t("decision-category-keep")) }
                        @for cat in Category::ALL { option value=(cat.as_str()) { (lang.t(&format!("category-{}", cat.as_str()))) } }
                    }
                    label for="legal_basis" { (lang.t("decision-basis")) }
                    select id="legal_basis" name="legal_basis" {
                        option value="" { (lang.t("decision-basis-choose")) }
                        @for b in &st.config.legal_bases { option value=(b.code) { (b.description) } }
                    }
                    label for="note" { (lang.t("decision-note")) }
                    textarea id="note" name="note" rows="2" maxlength="4000" {}
                    div.buttons {
                        button.primary type="submit" name="action" value="confirm" id="confirm-all" { (lang.t("actor-confirm-all")) }
                        button.danger type="submit" name="action" value="reject" id="reject-all" { (lang.t("actor-reject-all")) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct BulkForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    note: String,
}

async fn decide_all(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let actor = load(&st, lang, &id).await?;
    let verdict = match form.action.as_str() {
        "confirm" => Verdict::Confirm,
        "reject" => Verdict::Reject,
        _ => return Err(PageError::bad_request(lang, "error-form")),
    };
    let category = match form.category.trim() {
        "" => None,
        c => Some(
            c.parse::<Category>()
                .map_err(|_| PageError::bad_request(lang, "error-form"))?,
        ),
    };
    let submitted = Submitted {
        verdict,
        category,
        legal_basis: Some(form.legal_basis),
        note: Some(form.note),
    };
    let ctx = Ctx {
        here: format!("/actors/{}", actor.id),
        ..ctx
    };
    let decision = match check_decision(&st.config, viewer.role(), submitted) {
        Ok(d) => d,
        Err(f) => {
            let why = crate::console::case::field_message(lang, &f);
            let mut resp = html_response(page(
                &ctx,
                &lang.tf("actor-title", &[("id", actor.id.into())]),
                render(&ctx, &st, &actor, &[], Some(why)),
            ));
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(resp);
        }
    };
    let ttl = i64::try_from(st.config.claim_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let who = viewer.reviewer();
    let mut outcomes = Vec::new();
    for c in actor.cases.iter().filter(|c| decidable(&c.status)) {
        let id = c.case_id;
        let claimed = if decision.override_claim {
            Ok(())
        } else {
            st.store.claim_case(who.clone(), id, ttl).await.map(|_| ())
        };
        let result = match claimed {
            Ok(()) => st
                .store
                .decide_case(
                    who.clone(),
                    id,
                    decision.clone(),
                    st.config.deadline_policy(),
                )
                .await
                .map(|d| d.status.as_str().to_string()),
            Err(e) => Err(e),
        };
        outcomes.push(Outcome {
            case_id: id,
            result: result.map_err(|e| refusal(lang, e)),
        });
    }
    let actor = load(&st, lang, &actor.id.to_string()).await?;
    Ok(html_response(page(
        &ctx,
        &lang.tf("actor-title", &[("id", actor.id.into())]),
        render(&ctx, &st, &actor, &outcomes, None),
    )))
}

fn refusal(lang: Lang, e: StoreError) -> String {
    match e {
        StoreError::Conflict(m) => format!("{} {m}", lang.t("error-conflict")),
        StoreError::IllegalTransition(t) => format!("{} {t}", lang.t("error-transition")),
        StoreError::Invalid(f) => crate::console::case::field_message(lang, &f),
        other => {
            tracing::error!(error = %other, "bulk decision failed");
            lang.t("error-internal")
        }
    }
}
