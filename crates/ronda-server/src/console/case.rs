//! `/cases/{id}`: one case as an analyst decides it — its reports with the detected words
//! highlighted and labelled, identifiers, hash-bank matches, what its account re-creates, its
//! notices with their deadlines and escalation, and its timeline from the audit log — with
//! **Claim**, **Confirm**, **Reject** and **Confirm & next**. The decision goes through the
//! same check (`ronda_service::review`) and store call as `POST /api/v1/cases/{id}/decision`;
//! a decision the state machine or a claim refuses is shown with its reason, the form as it
//! was filled.
//!
//! The text of a child-safety case is veiled until the viewer asks to see it (once per page
//! view, audited as `case.text_unveiled`); media are never shown, only their hashes.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::audit::StoredEvent;
use ronda_core::clock::to_rfc3339;
use ronda_core::model::{CaseStatus, Category};
use ronda_core::workflow::{DeadlinePolicy, EscalationStep};
use ronda_service::review::{Submitted, check_decision};
use ronda_store::StoreError;
use ronda_store::banks::CaseMediaMatch;
use ronda_store::cases::{CaseView, ReportView};
use ronda_store::notices::NoticeView;
use ronda_store::review::{ClaimHolder, Verdict};
use serde::Deserialize;

use crate::console::auth::{CsrfForm, Viewer};
use crate::console::highlight::{Label, pieces, spans_of};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, see_other, wib};
use crate::console::queue::{QueueFilters, claim_next, text_veiled};
use crate::state::AppState;

/// Reports shown on the case page (the rest: `GET /api/v1/cases/{id}/reports`).
const REPORTS_SHOWN: usize = 50;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/claim", post(claim))
        .route("/cases/{id}/release", post(release))
        .route("/cases/{id}/decision", post(decide))
}

/// Everything the page shows of a case.
struct CaseData {
    case: CaseView,
    claim: Option<ClaimHolder>,
    reports: Vec<ReportView>,
    more_reports: bool,
    identifiers: Vec<(String, String)>,
    matches: Vec<CaseMediaMatch>,
    notices: Vec<NoticeView>,
    timeline: Vec<StoredEvent>,
}

/// What the decision form held when it comes back with an error.
#[derive(Debug, Clone, Default, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    note: String,
}

fn case_id(lang: Lang, raw: &str) -> Result<i64, PageError> {
    raw.parse().map_err(|_| PageError::not_found(lang))
}

async fn load(st: &Arc<AppState>, lang: Lang, id: i64) -> Result<CaseData, PageError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || {
        let Some(case) = store.get_case(id)? else {
            return Ok(None);
        };
        let page = store.case_reports("console", id, None, REPORTS_SHOWN, false)?;
        Ok::<_, StoreError>(Some(CaseData {
            claim: store.case_claim(id)?,
            more_reports: page.next_after_id.is_some(),
            reports: page.reports,
            identifiers: store.case_identifiers(id)?,
            matches: store.case_media_matches(id)?,
            notices: store.case_notices(id)?,
            timeline: store.audit_events_for(&format!("case:{id}"))?,
            case,
        }))
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))?
    .ok_or_else(|| PageError::not_found(lang))
}

#[derive(Deserialize, Default)]
struct CaseQuery {
    #[serde(default)]
    unveil: Option<String>,
    #[serde(default)]
    decided: Option<String>,
}

async fn case_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    q: Result<Query<CaseQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id = case_id(lang, &id)?;
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let data = load(&st, lang, id).await?;
    let unveil = q.unveil.is_some() && viewer.may_unveil() && text_veiled(&data.case);
    if unveil {
        // Reading a child-safety case's text is on the record.
        let store = st.store.clone();
        let actor = viewer.actor();
        tokio::task::spawn_blocking(move || {
            store.write_blocking(1, move |tx| {
                tx.audit(
                    &actor,
                    "case.text_unveiled",
                    &format!("case:{id}"),
                    None,
                    None,
                )
            })
        })
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))?;
    }
    let decided = q
        .decided
        .as_deref()
        .and_then(|s| s.parse::<CaseStatus>().ok());
    let body = render(
        &ctx,
        &st,
        &viewer,
        &data,
        unveil,
        decided,
        &DecisionForm::default(),
        None,
    );
    Ok(html_response(page(
        &ctx,
        &lang.tf("case-title", &[("id", id.into())]),
        body,
    )))
}

#[derive(Deserialize)]
struct Empty {}

async fn claim(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id = case_id(lang, &id)?;
    let ttl = i64::try_from(st.config.claim_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    match st.store.claim_case(viewer.reviewer(), id, ttl).await {
        Ok(_) => Ok(see_other(&format!("/cases/{id}"))),
        Err(e) => refused(&st, &ctx, &viewer, id, &DecisionForm::default(), e).await,
    }
}

async fn release(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id = case_id(lang, &id)?;
    match st.store.release_case(viewer.reviewer(), id).await {
        Ok(()) => Ok(see_other("/queue")),
        Err(e) => refused(&st, &ctx, &viewer, id, &DecisionForm::default(), e).await,
    }
}

/// The case page again, with why the action was refused (409 or 422).
async fn refused(
    st: &Arc<AppState>,
    ctx: &Ctx,
    viewer: &Viewer,
    id: i64,
    form: &DecisionForm,
    e: StoreError,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let (status, message) = match e {
        StoreError::Conflict(m) => (
            StatusCode::CONFLICT,
            format!("{} {m}", lang.t("error-conflict")),
        ),
        StoreError::IllegalTransition(t) => (
            StatusCode::CONFLICT,
            format!("{} {t}", lang.t("error-transition")),
        ),
        StoreError::Invalid(f) => (StatusCode::UNPROCESSABLE_ENTITY, field_message(lang, &f)),
        other => return Err(PageError::store(lang, other)),
    };
    let data = load(st, lang, id).await?;
    // The page shown is the case's, whatever address the form posted to.
    let ctx = &Ctx {
        here: format!("/cases/{id}"),
        ..ctx.clone()
    };
    let body = render(ctx, st, viewer, &data, false, None, form, Some(message));
    let mut resp = html_response(page(
        ctx,
        &lang.tf("case-title", &[("id", id.into())]),
        body,
    ));
    *resp.status_mut() = status;
    Ok(resp)
}

/// A refused field in the viewer's language (the check's own words for the rest).
pub fn field_message(lang: Lang, f: &ronda_core::report::FieldError) -> String {
    match (f.code, f.field.as_str()) {
        ("required", "legal_basis") => lang.t("decision-basis-required"),
        ("invalid", "legal_basis") => lang.t("decision-basis-unknown"),
        ("too_long", "note") => lang.t("decision-note-too-long"),
        ("child_safety", _) => format!("{} {}", lang.t("decision-child-safety"), f.message),
        _ => f.message.clone(),
    }
}

async fn decide(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id = case_id(lang, &id)?;
    let (verdict, then_next) = match form.action.as_str() {
        "confirm" => (Verdict::Confirm, false),
        "confirm_next" => (Verdict::Confirm, true),
        "reject" => (Verdict::Reject, false),
        "reject_next" => (Verdict::Reject, true),
        _ => return Err(PageError::bad_request(lang, "error-form")),
    };
    let category = match form.category.trim() {
        "" => None,
        c => match c.parse::<Category>() {
            Ok(c) => Some(c),
            Err(_) => {
                let e = StoreError::Invalid(ronda_core::report::FieldError::new(
                    "invalid",
                    "category",
                    lang.t("decision-category-unknown"),
                ));
                return refused(&st, &ctx, &viewer, id, &form, e).await;
            }
        },
    };
    let submitted = Submitted {
        verdict,
        category,
        legal_basis: Some(form.legal_basis.clone()),
        note: Some(form.note.clone()),
    };
    let decision = match check_decision(&st.config, viewer.role(), submitted) {
        Ok(d) => d,
        Err(f) => return refused(&st, &ctx, &viewer, id, &form, StoreError::Invalid(f)).await,
    };
    let done = st
        .store
        .decide_case(viewer.reviewer(), id, decision, st.config.deadline_policy())
        .await;
    match done {
        Ok(_) if then_next => match claim_next(&st, &viewer, &QueueFilters::default(), Some(id))
            .await
            .map_err(|e| PageError::store(lang, e))?
        {
            Some(next) => Ok(see_other(&format!("/cases/{next}"))),
            None => Ok(see_other("/queue?empty=1")),
        },
        Ok(d) => Ok(see_other(&format!(
            "/cases/{id}?decided={}",
            d.status.as_str()
        ))),
        Err(e) => refused(&st, &ctx, &viewer, id, &form, e).await,
    }
}

fn status_text(lang: Lang, s: CaseStatus) -> String {
    lang.t(&format!("status-{}", s.as_str()))
}

fn category_text(lang: Lang, c: Option<Category>) -> String {
    c.map_or_else(
        || "—".to_string(),
        |c| lang.t(&format!("category-{}", c.as_str())),
    )
}

fn label_text(lang: Lang, l: &Label) -> String {
    match l {
        Label::Rule { id, category } => lang.tf(
            "highlight-rule",
            &[
                ("rule", id.clone().into()),
                ("category", category.clone().unwrap_or_default().into()),
            ],
        ),
        Label::Identifier { kind, value } => lang.tf(
            "highlight-identifier",
            &[
                ("kind", kind.clone().into()),
                ("value", value.clone().unwrap_or_default().into()),
            ],
        ),
        Label::Minor => lang.t("highlight-minor"),
    }
}

/// A field's text with its detected words marked.
fn highlighted(lang: Lang, text: &str, field: &str, detection: Option<&str>) -> Markup {
    let spans = spans_of(detection);
    html! {
        @for p in pieces(text, field, &spans) {
            @if p.labels.is_empty() {
                (p.text)
            } @else {
                @let label = p.labels.iter().map(|l| label_text(lang, l)).collect::<Vec<_>>().join("; ");
                mark title=(label) data-label=(label) { (p.text) }
                span.visually-hidden { " [" (label) "]" }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    ctx: &Ctx,
    st: &AppState,
    viewer: &Viewer,
    d: &CaseData,
    unveiled: bool,
    decided: Option<CaseStatus>,
    form: &DecisionForm,
    error: Option<String>,
) -> Markup {
    let lang = ctx.lang;
    let c = &d.case;
    let veiled = text_veiled(c) && !unveiled;
    let mine = d
        .claim
        .as_ref()
        .is_some_and(|h| h.holder == viewer.reviewer().holder);
    let decidable = matches!(c.status, CaseStatus::New | CaseStatus::InReview);
    html! {
        @if let Some(e) = error { p.alert role="alert" id="decision-error" { (e) } }
        @if let Some(s) = decided {
            p.notice role="status" { (lang.tf("decision-recorded", &[("status", status_text(lang, s).into())])) }
        }
        dl.facts {
            dt { (lang.t("case-status")) } dd id="case-status" { (status_text(lang, c.status)) }
            dt { (lang.t("case-priority")) } dd {
                span class={ "badge priority-" (c.priority.as_str()) } { (lang.t(&format!("priority-{}", c.priority.as_str()))) }
                @if let Some(cs) = c.child_safety {
                    " " span.badge.child-safety { (lang.t("child-safety")) ": " (lang.t(&format!("child-safety-{}", cs.as_str()))) }
                }
            }
            dt { (lang.t("case-category")) } dd { (category_text(lang, c.category)) }
            dt { (lang.t("case-platform")) } dd { (c.platform) }
            dt { (lang.t("case-target")) } dd.target { (c.target_value) }
            dt { (lang.t("case-reports")) } dd { (c.reports_total) }
            dt { (lang.t("case-first-reported")) } dd { (wib(c.first_reported_at)) }
            dt { (lang.t("case-last-reported")) } dd { (wib(c.last_reported_at)) }
            @if let Some(det) = &c.detection {
                dt { (lang.t("case-detection")) } dd {
                    (det.verdict) @if let Some(cat) = &det.category { " · " (cat) } " · " (format!("{:.2}", det.score))
                }
                @let details: serde_json::Value = det.details_json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
                @if let Some(model) = details["model"].as_str() {
                    dt { (lang.t("case-model")) } dd id="detection-model" { code { (model) } }
                }
                @if let Some(features) = details["features"].as_array().filter(|f| !f.is_empty()) {
                    dt { (lang.t("case-features")) } dd id="detection-features" {
                        @for (i, f) in features.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (f[0].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
            @if let Some(a) = c.actor_id {
                dt { (lang.t("case-actor")) } dd { a href={ "/actors/" (a) } { "#" (a) } }
            }
        }
        section.claim aria-labelledby="claim-h" {
            h2 id="claim-h" { (lang.t("claim-title")) }
            @match &d.claim {
                Some(h) if mine => p id="claim-state" { (lang.tf("claim-yours", &[("until", wib(h.expires_at).into())])) },
                Some(h) => p id="claim-state" { (lang.tf("claim-other", &[("name", h.name.clone().into()), ("until", wib(h.expires_at).into())])) },
                None => p id="claim-state" { (lang.t("claim-none")) },
            }
            @if decidable {
                div.buttons {
                    @if !mine {
                        form.inline method="post" action={ "/cases/" (c.id) "/claim" } {
                            (ctx.csrf_field())
                            button type="submit" id="claim" { (lang.t("claim-button")) }
                        }
                    } @else {
                        form.inline method="post" action={ "/cases/" (c.id) "/release" } {
                            (ctx.csrf_field())
                            button type="submit" id="release" { (lang.t("release-button")) }
                        }
                    }
                }
            }
        }
        @if decidable {
            section.decision aria-labelledby="decision-h" {
                h2 id="decision-h" { (lang.t("decision-title")) }
                form.stack method="post" action={ "/cases/" (c.id) "/decision" } {
                    (ctx.csrf_field())
                    label for="category" { (lang.t("case-category")) }
                    select id="category" name="category" {
                        @let chosen = if form.category.is_empty() { c.category.map(|c| c.as_str().to_string()).unwrap_or_default() } else { form.category.clone() };
                        option value="" { (lang.t("decision-category-keep")) }
                        @for cat in Category::ALL {
                            option value=(cat.as_str()) selected[chosen == cat.as_str()] { (lang.t(&format!("category-{}", cat.as_str()))) }
                        }
                    }
                    label for="legal_basis" { (lang.t("decision-basis")) }
                    select id="legal_basis" name="legal_basis" aria-describedby="basis-hint" {
                        option value="" { (lang.t("decision-basis-choose")) }
                        @for b in &st.config.legal_bases {
                            option value=(b.code) selected[form.legal_basis == b.code] { (b.description) }
                        }
                    }
                    p.hint id="basis-hint" { (lang.t("decision-basis-hint")) }
                    label for="note" { (lang.t("decision-note")) }
                    textarea id="note" name="note" rows="3" maxlength="4000" { (form.note) }
                    div.buttons {
                        button.primary type="submit" name="action" value="confirm" id="confirm" { (lang.t("decision-confirm")) }
                        button.primary type="submit" name="action" value="confirm_next" id="confirm-next" { (lang.t("decision-confirm-next")) }
                        button.danger type="submit" name="action" value="reject" id="reject" { (lang.t("decision-reject")) }
                    }
                }
            }
        }
        @if c.status == CaseStatus::AwaitingApproval && crate::console::LEADS.contains(&viewer.role()) {
            section.decision aria-labelledby="approval-h" {
                h2 id="approval-h" { (lang.t("approvals-title")) }
                (crate::console::approvals::approval_forms(ctx, c.id, "case"))
            }
        }
        (recreation(lang, c))
        section aria-labelledby="reports-h" {
            h2 id="reports-h" { (lang.t("reports-title")) }
            @if veiled {
                p.veil id="veil" {
                    (lang.t("text-veiled-long")) " "
                    @if viewer.may_unveil() {
                        a href={ "/cases/" (c.id) "?unveil=1" } id="unveil" { (lang.t("text-show")) }
                    }
                }
            }
            ol.reports {
                @for r in &d.reports {
                    li.report {
                        p.meta {
                            (lang.t(&format!("source-{}", r.source.as_str()))) " · "
                            time datetime=(to_rfc3339(r.created_at)) { (wib(r.created_at)) }
                            @if let Some(cat) = r.category { " · " (lang.tf("report-claimed", &[("category", category_text(lang, Some(cat)).into())])) }
                        }
                        p.meta { (lang.t("report-target")) ": " span.target { (r.target_raw) } }
                        @if let Some(u) = &r.url { p.meta { (lang.t("report-url")) ": " span.target { (u) } } }
                        @if !veiled {
                            @if let Some(t) = &r.text {
                                blockquote.text lang="id" { (highlighted(lang, t, "text", r.detection_json.as_deref())) }
                            }
                            @if let Some(desc) = &r.description {
                                p.description { strong { (lang.t("report-description")) ": " } (highlighted(lang, desc, "description", r.detection_json.as_deref())) }
                            }
                        }
                        @if r.content_removed_at.is_some() { p.meta { em { (lang.t("report-content-removed")) } } }
                        @if let Some(c) = &r.capture {
                            p.meta.capture {
                                (lang.t("report-capture")) ": "
                                time datetime=(to_rfc3339(c.fetched_at)) { (wib(c.fetched_at)) }
                                " · SHA-256 " code { (c.sha256) }
                                @if !c.kept { " · " em { (lang.t("report-capture-removed")) } }
                            }
                        }
                        @if let Some(m) = media_hashes(r.media_json.as_deref()) {
                            @if !m.is_empty() {
                                p.meta { (lang.t("report-media")) ": " @for (i, h) in m.iter().enumerate() { @if i > 0 { ", " } code { (h) } } }
                            }
                        }
                    }
                }
            }
            @if d.more_reports { p.hint { (lang.tf("reports-more", &[("n", REPORTS_SHOWN.into())])) } }
        }
        @if !d.identifiers.is_empty() {
            section aria-labelledby="ids-h" {
                h2 id="ids-h" { (lang.t("identifiers-title")) }
                table { thead { tr { th scope="col" { (lang.t("identifier-kind")) } th scope="col" { (lang.t("identifier-value")) } } }
                    tbody { @for (k, v) in &d.identifiers { tr { td { (lang.t(&identifier_key(k))) } td { code { (v) } } } } } }
            }
        }
        @if !d.matches.is_empty() {
            section aria-labelledby="media-h" {
                h2 id="media-h" { (lang.t("matches-title")) }
                table { thead { tr {
                    th scope="col" { (lang.t("match-bank")) } th scope="col" { (lang.t("case-category")) }
                    th scope="col" { (lang.t("match-distance")) } th scope="col" { "PDQ" }
                } }
                tbody { @for m in &d.matches { tr {
                    td { (m.bank) } td { (m.category) } td { (m.distance) } td { code.hash { (m.pdq) } }
                } } } }
            }
        }
        @if !d.notices.is_empty() {
            section aria-labelledby="notices-h" {
                h2 id="notices-h" { (lang.t("notices-title")) }
                @let policy = st.config.deadline_policy();
                @for n in &d.notices { (notice(lang, &policy, n)) }
            }
        }
        section aria-labelledby="timeline-h" {
            h2 id="timeline-h" { (lang.t("timeline-title")) }
            ol.timeline {
                @for e in &d.timeline {
                    li { time datetime=(to_rfc3339(e.at_ms)) { (wib(e.at_ms)) } " · " (timeline_label(lang, e)) " " code { (e.action) } " · " (e.actor) }
                }
            }
        }
    }
}

/// What an audit event on a case means, in words: its catalogue label (`audit-<action>`, the
/// dot a dash) and, for a status change, the new status; the raw action code stays beside it.
fn timeline_label(lang: Lang, e: &StoredEvent) -> String {
    let key = format!("audit-{}", e.action.replace('.', "-"));
    if !lang.has(&key) {
        return String::new();
    }
    let mut label = lang.t(&key);
    let status = e
        .after
        .as_deref()
        .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
        .and_then(|v| v["status"].as_str().map(str::to_string));
    if let Some(s) = status.filter(|s| lang.has(&format!("status-{s}"))) {
        label.push_str(": ");
        label.push_str(&lang.t(&format!("status-{s}")));
    }
    label
}

fn identifier_key(kind: &str) -> String {
    match kind {
        "phone" | "bank_account" | "ewallet" | "url" | "telegram" | "email" | "handle" => {
            format!("identifier-{kind}")
        }
        _ => "identifier-other".into(),
    }
}

/// The PDQ hashes of a report's media (`[{"pdq", "sha256"}]`).
fn media_hashes(json: Option<&str>) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(json?).ok()?;
    Some(
        v.as_array()?
            .iter()
            .filter_map(|m| m.get("pdq").and_then(|p| p.as_str()).map(str::to_string))
            .collect(),
    )
}

/// What a case's account re-creates: "re-creates x, taken down on D under basis B".
fn recreation(lang: Lang, c: &CaseView) -> Markup {
    #[derive(Deserialize)]
    struct Detail {
        #[serde(default)]
        recreation_of: Vec<String>,
        #[serde(default)]
        earlier_cases: Vec<Earlier>,
        #[serde(default)]
        evidence: Vec<Edge>,
    }
    #[derive(Deserialize)]
    struct Earlier {
        case_id: i64,
        account: String,
        #[serde(default)]
        decision: Option<String>,
        #[serde(default)]
        legal_basis: Option<String>,
        #[serde(default)]
        decided_at: Option<i64>,
    }
    #[derive(Deserialize)]
    struct Edge {
        account: String,
        signal: String,
        value: String,
        with: String,
    }
    let Some(d) = c
        .recreation_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<Detail>(j).ok())
    else {
        return html! {};
    };
    html! {
        section.recreation aria-labelledby="recreation-h" {
            h2 id="recreation-h" { (lang.t("recreation-title")) }
            ul {
                @for a in &d.recreation_of {
                    @let earlier: Vec<&Earlier> = d.earlier_cases.iter().filter(|e| &e.account == a).collect();
                    @if earlier.is_empty() {
                        li { (lang.tf("recreation-of", &[("account", a.clone().into())])) }
                    }
                    @for e in earlier {
                        li {
                            (lang.tf("recreation-of-taken-down", &[
                                ("account", a.clone().into()),
                                ("date", e.decided_at.map(wib).unwrap_or_else(|| "—".into()).into()),
                                ("basis", e.legal_basis.clone().unwrap_or_else(|| "—".into()).into()),
                            ]))
                            " (" a href={ "/cases/" (e.case_id) } { "#" (e.case_id) }
                            @if let Some(dec) = &e.decision { ", " (dec) } ")"
                        }
                    }
                }
            }
            @if !d.evidence.is_empty() {
                h3 { (lang.t("recreation-evidence")) }
                ul.evidence {
                    @for e in &d.evidence {
                        li { (e.account) " ↔ " (e.with) ": " (e.signal) " " code { (e.value) } }
                    }
                }
            }
        }
    }
}

/// The next rung of an open notice's ladder and when it falls due (none once closed, disputed
/// or at the top).
pub fn next_rung(policy: &DeadlinePolicy, n: &NoticeView) -> Option<(EscalationStep, i64)> {
    if n.closed_at.is_some() || n.status == "disputed" {
        return None;
    }
    let current = [
        EscalationStep::None,
        EscalationStep::Warning1,
        EscalationStep::Warning2,
        EscalationStep::Warning3,
        EscalationStep::BlockingRecommended,
    ]
    .into_iter()
    .find(|s| s.as_str() == n.escalation_step)?;
    policy.next_step(n.deadline, current, n.escalation_at)
}

fn notice(lang: Lang, policy: &DeadlinePolicy, n: &NoticeView) -> Markup {
    html! {
        article.notice-card {
            h3 { (lang.tf("notice-heading", &[("id", n.id.into()), ("platform", n.platform.clone().into())])) }
            dl.facts {
                dt { (lang.t("notice-status")) } dd { (lang.t(&format!("notice-status-{}", n.status))) }
                dt { (lang.t("decision-basis")) } dd { (n.legal_basis) }
                dt { (lang.t("notice-deadline")) } dd {
                    time datetime=(to_rfc3339(n.deadline)) data-countdown=(n.deadline) { (wib(n.deadline)) }
                    @if n.urgent { " " span.badge.priority-urgent { (lang.t("priority-urgent")) } }
                }
                dt { (lang.t("notice-escalation")) } dd {
                    (lang.t(&format!("escalation-{}", n.escalation_step)))
                    @if let Some(at) = n.escalation_at { " · " (wib(at)) }
                }
                @if let Some((step, due)) = next_rung(policy, n) {
                    dt { (lang.t("notice-next-rung")) } dd {
                        (lang.t(&format!("escalation-{}", step.as_str()))) " · "
                        time datetime=(to_rfc3339(due)) data-countdown=(due) { (wib(due)) }
                    }
                }
                @if let Some(a) = &n.response_action {
                    dt { (lang.t("notice-response")) } dd { (a) @if let Some(r) = &n.response_reason { ": " (r) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ronda_core::model::{Priority, Source};
    use ronda_core::triage::ChildSafety;
    use ronda_core::workflow::EscalationStep;

    #[test]
    fn every_value_the_pages_name_has_a_message_in_both_languages() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            Category::ALL
                .iter()
                .map(|c| format!("category-{}", c.as_str())),
        );
        keys.extend(
            Priority::ALL
                .iter()
                .map(|p| format!("priority-{}", p.as_str())),
        );
        keys.extend(Source::ALL.iter().map(|s| format!("source-{}", s.as_str())));
        keys.extend(
            CaseStatus::ALL
                .iter()
                .map(|s| format!("status-{}", s.as_str())),
        );
        keys.extend(
            ChildSafety::ALL
                .iter()
                .map(|c| format!("child-safety-{}", c.as_str())),
        );
        let mut step = Some(EscalationStep::None);
        while let Some(s) = step {
            keys.push(format!("escalation-{}", s.as_str()));
            step = s.next();
        }
        for s in [
            "sent",
            "acknowledged",
            "removal_claimed",
            "refused",
            "disputed",
            "still_online",
            "removed",
            "withdrawn",
        ] {
            keys.push(format!("notice-status-{s}"));
        }
        for k in [
            "phone",
            "telegram",
            "bank_account",
            "ewallet",
            "email",
            "url",
            "x",
        ] {
            keys.push(identifier_key(k));
        }
        keys.extend(["highlight-rule", "highlight-identifier"].map(String::from));
        for lang in Lang::ALL {
            for k in &keys {
                assert_ne!(&lang.t(k), k, "{k} has no {} message", lang.code());
            }
        }
    }

    #[test]
    fn media_are_shown_by_hash_only() {
        let m = media_hashes(Some(r#"[{"pdq":"ab12","sha256":"ff"},{"sha256":"ee"}]"#));
        assert_eq!(m, Some(vec!["ab12".to_string()]));
        assert_eq!(media_hashes(Some("junk")), None);
    }
}
