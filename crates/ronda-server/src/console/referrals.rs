//! The team's side of police referrals: `/referrals` refers a case or an actor to a police unit
//! under the unit's request number (the API's `POST /referrals`, same checks), lists the
//! referrals, and shows the police's questions still waiting, each answered once from here
//! (`POST /referrals/questions/{id}/answer`). Every write is audited under `user:<name>`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;
use ronda_store::StoreError;
use ronda_store::referrals::{NewReferral, QuestionView, ReferralView, Subject};
use serde::Deserialize;

use crate::console::admin::{self, Said, refusal, said};
use crate::console::auth::{CsrfForm, Viewer};
use crate::console::layout::{Ctx, PageError, store_call, wib};
use crate::state::AppState;

const REFERRALS_SHOWN: usize = 100;
const QUESTIONS_SHOWN: usize = 200;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/referrals", get(list_page).post(create))
        .route("/referrals/questions/{id}/answer", post(answer))
}

async fn respond(
    st: &Arc<AppState>,
    ctx: &Ctx,
    outcome: Option<&Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let (referrals, questions) = store_call(lang, move || {
        let referrals = store.referrals(None, None, REFERRALS_SHOWN)?;
        let questions = store.open_referral_questions(QUESTIONS_SHOWN)?;
        // The referral of each question, for its request number (most are in `referrals`).
        let mut asked: Vec<(QuestionView, Option<ReferralView>)> = Vec::new();
        for q in questions {
            let r = match referrals.iter().find(|r| r.id == q.referral_id) {
                Some(r) => Some(r.clone()),
                None => store.referral(q.referral_id)?,
            };
            asked.push((q, r));
        }
        Ok((referrals, asked))
    })
    .await?;
    let ctx = Ctx {
        here: "/referrals".into(),
        ..ctx.clone()
    };
    let body = html! {
        @if let Some(o) = outcome { (said(lang, o)) }
        section aria-labelledby="asked-h" {
            h2 id="asked-h" { (lang.tf("referrals-open-questions", &[("count", questions.len().into())])) }
            @if questions.is_empty() {
                p { (lang.t("referrals-no-questions")) }
            }
            @for (q, r) in &questions {
                article.question {
                    p {
                        strong { (r.as_ref().map_or_else(|| q.referral_id.to_string(), |r| r.request_number.clone())) }
                        " · " (q.asked_by) " · " (wib(q.asked_at))
                    }
                    blockquote { (q.question) }
                    form.stack method="post" action={ "/referrals/questions/" (q.id) "/answer" } {
                        (ctx.csrf_field())
                        label for={ "answer-" (q.id) } { (lang.t("referrals-answer-label")) }
                        textarea id={ "answer-" (q.id) } name="answer" rows="3" maxlength="4000" required {}
                        div.buttons { button.primary type="submit" { (lang.t("referrals-answer")) } }
                    }
                }
            }
        }
        section.decision aria-labelledby="new-h" {
            h2 id="new-h" { (lang.t("referrals-new")) }
            form.stack method="post" action="/referrals" {
                (ctx.csrf_field())
                label for="subject" { (lang.t("referrals-subject")) }
                select id="subject" name="subject" {
                    option value="case" { (lang.t("referrals-subject-case")) }
                    option value="actor" { (lang.t("referrals-subject-actor")) }
                }
                label for="subject_id" { (lang.t("referrals-subject-id")) }
                input id="subject_id" name="subject_id" inputmode="numeric" required;
                label for="request_number" { (lang.t("police-request-number")) }
                input id="request_number" name="request_number" maxlength="100" required;
                label for="unit" { (lang.t("police-unit")) }
                input id="unit" name="unit" maxlength="100" aria-describedby="unit-hint";
                p.hint id="unit-hint" { (lang.t("referrals-unit-hint")) }
                label for="note" { (lang.t("police-note")) }
                textarea id="note" name="note" rows="2" maxlength="4000" {}
                div.buttons { button type="submit" { (lang.t("referrals-create")) } }
            }
        }
        h2 { (lang.t("referrals-list")) }
        @if referrals.is_empty() {
            p { (lang.t("police-empty")) }
        } @else {
            table.cases id="referrals" {
                caption.visually-hidden { (lang.t("referrals-list")) }
                thead { tr {
                    th scope="col" { (lang.t("police-request-number")) }
                    th scope="col" { (lang.t("police-subject")) }
                    th scope="col" { (lang.t("police-unit")) }
                    th scope="col" { (lang.t("notice-status")) }
                    th scope="col" { (lang.t("police-sent-at")) }
                } }
                tbody {
                    @for r in &referrals {
                        tr {
                            td { (r.request_number) }
                            td { @match r.subject {
                                Subject::Case(id) => a href={ "/cases/" (id) } { (lang.tf("police-subject-case", &[("id", id.into())])) },
                                Subject::Actor(id) => a href={ "/actors/" (id) } { (lang.tf("police-subject-actor", &[("id", id.into())])) },
                            } }
                            td { (r.unit.as_deref().unwrap_or("—")) }
                            td { (lang.t(&format!("referral-status-{}", r.status.as_str()))) }
                            td { (wib(r.created_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(admin::respond(
        &ctx,
        &lang.t("referrals-title"),
        body,
        matches!(outcome, Some(Said::Refused(_))),
    ))
}

async fn list_page(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    respond(&st, &ctx, None).await
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    subject_id: String,
    #[serde(default)]
    request_number: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    note: String,
}

/// `POST /referrals`: a new referral (see the module docs).
async fn create(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let Ok(id) = form
        .subject_id
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
    else {
        return respond(
            &st,
            &ctx,
            Some(&Said::Refused(lang.t("referrals-subject-id-invalid"))),
        )
        .await;
    };
    let subject = if form.subject == "actor" {
        Subject::Actor(id)
    } else {
        Subject::Case(id)
    };
    let trimmed = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let new = NewReferral {
        subject,
        request_number: form.request_number,
        note: trimmed(&form.note),
        unit: trimmed(&form.unit),
    };
    let said = match st.store.create_referral(&viewer.actor(), new).await {
        Ok(r) => Said::Done(lang.tf("referrals-created", &[("number", r.request_number.into())])),
        Err(e) => refusal(lang, e)?,
    };
    respond(&st, &ctx, Some(&said)).await
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// `POST /referrals/questions/{id}/answer`: the team's answer, once.
async fn answer(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id: i64 = id.parse().map_err(|_| PageError::not_found(lang))?;
    let said = match st
        .store
        .answer_referral_question(&viewer.actor(), id, form.answer)
        .await
    {
        Ok(_) => Said::Done(lang.t("referrals-answered")),
        Err(StoreError::NotFound(_)) => return Err(PageError::not_found(lang)),
        Err(e) => refusal(lang, e)?,
    };
    respond(&st, &ctx, Some(&said)).await
}
