//! The police portal, for investigators (users of role `police`, one unit each): `/police`, the
//! referrals sent to their unit (or to no unit in particular); `/police/referrals/{id}`, one
//! referral with the cases and accounts in it, identifiers masked as the API masks them for the
//! police, its status moved forward, the questions asked and the team's answers, and a form to
//! ask; the signed evidence bundle (`/police/referrals/{id}/evidence.zip`) and the instance's
//! public key (`/police/public-key.txt`); `/police/verify`, how to check a bundle offline with
//! `ronda evidence verify`.
//!
//! What a police user may open follows the API: a referral addressed to another unit is not
//! found (404), the cases shown are the referral's (`referral_case_ids`), reporters' identities
//! stay out of the bundle (the police role does not read them), and every download and answer
//! is audited under `user:<name>`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::evidence::public_key_hex;
use ronda_core::model::ReferralStatus;
use ronda_store::StoreError;
use ronda_store::cases::CaseView;
use ronda_store::evidence::BundleRequest;
use ronda_store::referrals::{QuestionView, ReferralView, Subject};
use serde::Deserialize;

use crate::console::admin::{Said, refusal, respond, said};
use crate::console::auth::{CsrfForm, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, store_call, wib};
use crate::routes::actors::mask_value;
use crate::routes::evidence::{signed_zip, zip_response};
use crate::state::AppState;

const REFERRALS_SHOWN: usize = 200;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/police", get(list_page))
        .route("/police/verify", get(verify_page))
        .route("/police/public-key.txt", get(public_key))
        .route("/police/referrals/{id}", get(referral_page))
        .route("/police/referrals/{id}/status", post(set_status))
        .route("/police/referrals/{id}/questions", post(ask))
        .route("/police/referrals/{id}/evidence.zip", get(bundle))
}

/// The viewer's unit; a police user without one may open nothing here.
fn unit(viewer: &Viewer, lang: Lang) -> Result<String, PageError> {
    viewer
        .user
        .unit
        .clone()
        .ok_or_else(|| PageError::forbidden(lang, "error-forbidden"))
}

fn subject_label(lang: Lang, s: Subject) -> String {
    match s {
        Subject::Case(id) => lang.tf("police-subject-case", &[("id", id.into())]),
        Subject::Actor(id) => lang.tf("police-subject-actor", &[("id", id.into())]),
    }
}

fn status_label(lang: Lang, s: ReferralStatus) -> String {
    lang.t(&format!("referral-status-{}", s.as_str()))
}

/// `GET /police`: the referrals open to the viewer's unit, newest first.
async fn list_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let unit = unit(&viewer, lang)?;
    let store = st.store.clone();
    let u = unit.clone();
    let referrals = store_call(lang, move || {
        store.referrals(None, Some(&u), REFERRALS_SHOWN)
    })
    .await?;
    let open = referrals
        .iter()
        .filter(|r| r.status != ReferralStatus::Closed)
        .count();
    let body = html! {
        p.counts role="status" { (lang.tf("police-counts", &[("open", open.into()), ("total", referrals.len().into())])) }
        p { a href="/police/verify" { (lang.t("police-verify-link")) } }
        @if referrals.is_empty() {
            p { (lang.t("police-empty")) }
        } @else {
            table.cases id="referrals" data-rows="" {
                caption.visually-hidden { (lang.t("police-title")) }
                thead { tr {
                    th scope="col" { (lang.t("police-request-number")) }
                    th scope="col" { (lang.t("police-subject")) }
                    th scope="col" { (lang.t("notice-status")) }
                    th scope="col" { (lang.t("police-sent-at")) }
                    th scope="col" { (lang.t("police-updated-at")) }
                } }
                tbody {
                    @for r in &referrals {
                        tr data-href={ "/police/referrals/" (r.id) } {
                            td { a href={ "/police/referrals/" (r.id) } { (r.request_number) } }
                            td { (subject_label(lang, r.subject)) }
                            td { (status_label(lang, r.status)) }
                            td { (wib(r.created_at)) }
                            td { (wib(r.updated_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(page(
        &ctx,
        &lang.tf("police-title-of", &[("unit", unit.into())]),
        body,
    )))
}

/// One referral open to the viewer's unit, or 404 (another unit's included).
async fn own_referral(
    st: &Arc<AppState>,
    lang: Lang,
    viewer: &Viewer,
    id: &str,
) -> Result<ReferralView, PageError> {
    let unit = unit(viewer, lang)?;
    let id: i64 = id.parse().map_err(|_| PageError::not_found(lang))?;
    let store = st.store.clone();
    let r = store_call(lang, move || store.referral(id)).await?;
    r.filter(|r| r.open_to_unit(&unit))
        .ok_or_else(|| PageError::not_found(lang))
}

/// A referral's cases with their identifiers (masked for the police), and its questions.
struct Detail {
    cases: Vec<(CaseView, Vec<(String, String)>)>,
    questions: Vec<QuestionView>,
}

async fn detail(st: &Arc<AppState>, lang: Lang, r: &ReferralView) -> Result<Detail, PageError> {
    let store = st.store.clone();
    let r = r.clone();
    store_call(lang, move || {
        let mut cases = Vec::new();
        for id in store.referral_case_ids(&r)? {
            if let Some(c) = store.get_case(id)? {
                let ids = store
                    .case_identifiers(id)?
                    .into_iter()
                    .map(|(kind, value)| {
                        let masked = mask_value(&kind, &value);
                        (kind, masked)
                    })
                    .collect();
                cases.push((c, ids));
            }
        }
        Ok(Detail {
            cases,
            questions: store.referral_questions(r.id)?,
        })
    })
    .await
}

fn case_table(lang: Lang, cases: &[(CaseView, Vec<(String, String)>)]) -> Markup {
    html! {
        table.cases id="referral-cases" {
            caption { (lang.t("police-cases")) }
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (lang.t("case-platform")) }
                th scope="col" { (lang.t("case-target")) }
                th scope="col" { (lang.t("case-category")) }
                th scope="col" { (lang.t("case-status")) }
                th scope="col" { (lang.t("police-reported")) }
                th scope="col" { (lang.t("identifiers-title")) }
            } }
            tbody {
                @for (c, ids) in cases {
                    tr {
                        td { (c.id) }
                        td { (c.platform) }
                        td.target { (c.target_value) }
                        td { (lang.t(&c.category.map_or_else(|| "category-other".to_string(), |k| format!("category-{}", k.as_str())))) }
                        td { (lang.t(&format!("status-{}", c.status.as_str()))) }
                        td { (wib(c.first_reported_at))
                            @if c.last_reported_at != c.first_reported_at { " – " (wib(c.last_reported_at)) } }
                        td {
                            @if ids.is_empty() { "—" } @else {
                                ul.plain { @for (kind, value) in ids {
                                    li { (lang.t(&format!("identifier-{kind}"))) ": " code { (value) } }
                                } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn questions_section(ctx: &Ctx, r: &ReferralView, questions: &[QuestionView]) -> Markup {
    let lang = ctx.lang;
    html! {
        section aria-labelledby="questions-h" {
            h2 id="questions-h" { (lang.t("police-questions")) }
            @if questions.is_empty() {
                p { (lang.t("police-no-questions")) }
            } @else {
                ol.questions {
                    @for q in questions {
                        li {
                            p { strong { (lang.t("police-asked")) } " " (wib(q.asked_at)) ": " (q.question) }
                            @match (&q.answer, q.answered_at) {
                                (Some(a), Some(at)) => p.answer { strong { (lang.t("police-answered")) } " " (wib(at)) ": " (a) },
                                _ => p.hint { (lang.t("police-awaiting-answer")) },
                            }
                        }
                    }
                }
            }
            form.stack method="post" action={ "/police/referrals/" (r.id) "/questions" } {
                (ctx.csrf_field())
                label for="question" { (lang.t("police-ask-label")) }
                textarea id="question" name="question" rows="3" maxlength="4000" required {}
                div.buttons { button type="submit" { (lang.t("police-ask")) } }
            }
        }
    }
}

fn referral_body(ctx: &Ctx, r: &ReferralView, d: &Detail, outcome: Option<&Said>) -> Markup {
    let lang = ctx.lang;
    html! {
        @if let Some(o) = outcome { (said(lang, o)) }
        dl.facts {
            dt { (lang.t("police-request-number")) } dd { (r.request_number) }
            dt { (lang.t("police-subject")) } dd { (subject_label(lang, r.subject)) }
            dt { (lang.t("notice-status")) } dd { (status_label(lang, r.status)) }
            dt { (lang.t("police-sent-at")) } dd { (wib(r.created_at)) }
            @if let Some(u) = &r.unit { dt { (lang.t("police-unit")) } dd { (u) } }
            @if let Some(n) = &r.note { dt { (lang.t("police-note")) } dd { (n) } }
            @if let Some(at) = r.closed_at { dt { (lang.t("police-closed-at")) } dd { (wib(at)) } }
        }
        section aria-labelledby="evidence-h" {
            h2 id="evidence-h" { (lang.t("police-evidence")) }
            p.downloads {
                a id="bundle" href={ "/police/referrals/" (r.id) "/evidence.zip" } download { (lang.t("police-download-bundle")) }
                a id="public-key" href="/police/public-key.txt" download="ronda-public-key.txt" { (lang.t("police-download-key")) }
            }
            p.hint { (lang.t("police-bundle-hint")) " " a href="/police/verify" { (lang.t("police-verify-link")) } }
        }
        (case_table(lang, &d.cases))
        @if !r.status.next().is_empty() {
            section.decision aria-labelledby="progress-h" {
                h2 id="progress-h" { (lang.t("police-progress")) }
                form.stack method="post" action={ "/police/referrals/" (r.id) "/status" } {
                    (ctx.csrf_field())
                    label for="note" { (lang.t("police-progress-note")) }
                    textarea id="note" name="note" rows="2" maxlength="4000" {}
                    div.buttons {
                        @for s in r.status.next() {
                            button type="submit" name="status" value=(s.as_str()) { (lang.t(&format!("police-mark-{}", s.as_str()))) }
                        }
                    }
                }
            }
        }
        (questions_section(ctx, r, &d.questions))
        p { a href="/police" { (lang.t("police-back")) } }
    }
}

async fn referral_response(
    st: &Arc<AppState>,
    ctx: &Ctx,
    r: &ReferralView,
    outcome: Option<&Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let d = detail(st, lang, r).await?;
    let ctx = Ctx {
        here: format!("/police/referrals/{}", r.id),
        ..ctx.clone()
    };
    Ok(respond(
        &ctx,
        &lang.tf(
            "police-referral-title",
            &[("number", r.request_number.clone().into())],
        ),
        referral_body(&ctx, r, &d, outcome),
        matches!(outcome, Some(Said::Refused(_))),
    ))
}

async fn referral_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let r = own_referral(&st, ctx.lang, &viewer, &id).await?;
    referral_response(&st, &ctx, &r, None).await
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

/// `POST /police/referrals/{id}/status`: the unit's progress, forward only (as the API).
async fn set_status(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let r = own_referral(&st, lang, &viewer, &id).await?;
    let Ok(to) = form.status.parse::<ReferralStatus>() else {
        let said = Said::Refused(lang.t("police-status-unknown"));
        return referral_response(&st, &ctx, &r, Some(&said)).await;
    };
    let note = Some(form.note.trim().to_string()).filter(|n| !n.is_empty());
    match st
        .store
        .set_referral_status(&viewer.actor(), r.id, to, note)
        .await
    {
        Ok(updated) => {
            let said = Said::Done(lang.tf(
                "police-status-done",
                &[("status", status_label(lang, updated.status).into())],
            ));
            referral_response(&st, &ctx, &updated, Some(&said)).await
        }
        Err(e) => {
            let said = refusal(lang, e)?;
            referral_response(&st, &ctx, &r, Some(&said)).await
        }
    }
}

#[derive(Deserialize)]
struct AskForm {
    #[serde(default)]
    question: String,
}

/// `POST /police/referrals/{id}/questions`: a request for more information, for the team.
async fn ask(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AskForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let r = own_referral(&st, lang, &viewer, &id).await?;
    let said = match st
        .store
        .ask_referral_question(&viewer.actor(), r.id, form.question)
        .await
    {
        Ok(_) => Said::Done(lang.t("police-asked-done")),
        Err(StoreError::Invalid(f)) if f.code == "required" => {
            Said::Refused(lang.t("police-ask-required"))
        }
        Err(e) => refusal(lang, e)?,
    };
    referral_response(&st, &ctx, &r, Some(&said)).await
}

/// `GET /police/referrals/{id}/evidence.zip`: the referral's signed bundle, without reporters'
/// identities, audited under the viewer's name.
async fn bundle(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let r = own_referral(&st, lang, &viewer, &id).await?;
    let name = match r.subject {
        Subject::Case(c) => format!("case-{c}"),
        Subject::Actor(a) => format!("actor-{a}"),
    };
    let req = BundleRequest {
        subject: r.subject,
        requested_by: viewer.actor(),
        reporter_identity: viewer.user.role.reads_reporter_identity(),
    };
    let (zipped, sha) = signed_zip(&st, req).await.map_err(|e| {
        let key = match e.status {
            StatusCode::NOT_FOUND => "error-not-found",
            StatusCode::SERVICE_UNAVAILABLE => "error-busy",
            _ => "error-internal",
        };
        PageError::new(e.status, lang, key)
    })?;
    Ok(zip_response(zipped, &sha, &name))
}

/// `GET /police/public-key.txt`: the key bundles are signed with (64 hex digits), for
/// `ronda evidence verify --public-key`.
async fn public_key(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    let seed = st.signing_key().map_err(|e| {
        tracing::error!(error = %e, "evidence signing key");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ctx.lang,
            "error-internal",
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"ronda-public-key.txt\"",
            ),
        ],
        format!("{}\n", public_key_hex(&seed)),
    )
        .into_response())
}

/// `GET /police/verify`: how to check a bundle offline.
async fn verify_page(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let key = st.signing_key().map(|s| public_key_hex(&s)).ok();
    let body = html! {
        p { (lang.t("police-verify-intro")) }
        ol.steps {
            li { (lang.t("police-verify-step-download")) }
            li { (lang.t("police-verify-step-key"))
                @if let Some(k) = &key { " " code id="key-value" { (k) } } }
            li { (lang.t("police-verify-step-run"))
                pre { code { "ronda evidence verify ronda-evidence-case-12.zip --public-key \"$(cat ronda-public-key.txt)\"" } } }
            li { (lang.t("police-verify-step-read")) }
        }
        h2 { (lang.t("police-verify-exit-title")) }
        dl.facts {
            dt { code { "0" } } dd { (lang.t("police-verify-exit-0")) }
            dt { code { "1" } } dd { (lang.t("police-verify-exit-1")) }
            dt { code { "3" } } dd { (lang.t("police-verify-exit-3")) }
        }
        p { (lang.t("police-verify-contents")) }
        p { a href="/police" { (lang.t("police-back")) } }
    };
    Ok(html_response(page(
        &ctx,
        &lang.t("police-verify-title"),
        body,
    )))
}
