//! `/approvals` (supervisors and admins): analysts' confirmations of the categories that need
//! a second pair of eyes (`approval_categories`), oldest first, each with who confirmed it,
//! under which basis and why; **Approve** issues the notice, **Send back** (with a reason)
//! returns the case to review. Both go through `Store::approve_case`, as
//! `POST /api/v1/cases/{id}/approval` does, audited under the supervisor's name.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::model::Category;
use ronda_service::review::MAX_NOTE_CHARS;
use ronda_store::StoreError;
use ronda_store::cases::CaseView;
use ronda_store::review::DecisionView;
use serde::Deserialize;

use crate::console::auth::{CsrfForm, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, see_other, wib};
use crate::console::queue::text_veiled;
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/approvals", get(approvals_page))
        .route("/cases/{id}/approval", post(approve))
}

type Pending = Vec<(CaseView, Option<DecisionView>)>;

async fn pending(st: &Arc<AppState>, lang: Lang) -> Result<Pending, PageError> {
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || {
        store
            .approval_queue(200)?
            .into_iter()
            .map(|c| {
                let d = store.latest_decision(c.id)?;
                Ok::<_, StoreError>((c, d))
            })
            .collect::<Result<Pending, StoreError>>()
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn approvals_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let list = pending(&st, lang).await?;
    let done = q.ok().and_then(|Query(q)| q.done);
    let banner = match done.as_deref() {
        Some("approved") => Some(lang.t("approval-approved")),
        Some("sent_back") => Some(lang.t("approval-sent-back")),
        _ => None,
    };
    Ok(html_response(page(
        &ctx,
        &lang.t("approvals-title"),
        render(&ctx, &list, banner, None),
    )))
}

/// The approve / send back forms of one case (also on the case page).
pub fn approval_forms(ctx: &Ctx, case_id: i64, back: &str) -> Markup {
    let lang = ctx.lang;
    html! {
        div.approval {
            form.inline method="post" action={ "/cases/" (case_id) "/approval" } {
                (ctx.csrf_field())
                input type="hidden" name="back" value=(back);
                input type="hidden" name="approve" value="yes";
                button.primary type="submit" id={ "approve-" (case_id) } { (lang.t("approval-approve")) }
            }
            form.stack method="post" action={ "/cases/" (case_id) "/approval" } {
                (ctx.csrf_field())
                input type="hidden" name="back" value=(back);
                input type="hidden" name="approve" value="no";
                label for={ "reason-" (case_id) } { (lang.t("approval-reason")) }
                textarea id={ "reason-" (case_id) } name="reason" rows="2" maxlength="4000" required {}
                div.buttons {
                    button.danger type="submit" id={ "send-back-" (case_id) } { (lang.t("approval-send-back")) }
                }
            }
        }
    }
}

fn render(ctx: &Ctx, list: &Pending, banner: Option<String>, error: Option<String>) -> Markup {
    let lang = ctx.lang;
    html! {
        @if let Some(e) = error { p.alert role="alert" { (e) } }
        @if let Some(b) = banner { p.notice role="status" { (b) } }
        @if list.is_empty() {
            p { (lang.t("approvals-empty")) }
        }
        @for (c, d) in list {
            article.notice-card {
                h2 { a href={ "/cases/" (c.id) } { (lang.tf("case-title", &[("id", c.id.into())])) } " · " (c.platform) " · " span.target { (c.target_value) } }
                dl.facts {
                    dt { (lang.t("case-category")) } dd { @match c.category { Some(cat) => (lang.t(&format!("category-{}", cat.as_str()))), None => "—" } }
                    @if let Some(d) = d {
                        dt { (lang.t("approval-confirmed-by")) } dd { (d.decided_by) " · " (wib(d.created_at)) }
                        dt { (lang.t("decision-basis")) } dd { (d.legal_basis.clone().unwrap_or_default()) }
                        @if let Some(n) = &d.note { dt { (lang.t("decision-note")) } dd { (n) } }
                    }
                    dt { (lang.t("case-excerpt")) } dd {
                        @if text_veiled(c) || c.category == Some(Category::ChildExploitation) { em { (lang.t("text-veiled")) } }
                        @else if let Some(e) = &c.excerpt { (e) }
                    }
                }
                (approval_forms(ctx, c.id, "approvals"))
            }
        }
    }
}

#[derive(Deserialize)]
struct ApprovalForm {
    #[serde(default)]
    approve: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: String,
}

async fn approve(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ApprovalForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id: i64 = id.parse().map_err(|_| PageError::not_found(lang))?;
    let approved = match form.approve.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::bad_request(lang, "error-form")),
    };
    let reason = Some(form.reason.trim().to_string()).filter(|r| !r.is_empty());
    let refuse = |message: String| async {
        let list = pending(&st, lang).await?;
        let ctx = Ctx {
            here: "/approvals".into(),
            ..ctx.clone()
        };
        let mut resp = html_response(page(
            &ctx,
            &lang.t("approvals-title"),
            render(&ctx, &list, None, Some(message)),
        ));
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(resp)
    };
    if !approved && reason.is_none() {
        return refuse(lang.t("approval-reason-required")).await;
    }
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_NOTE_CHARS)
    {
        return refuse(lang.t("decision-note-too-long")).await;
    }
    match st
        .store
        .approve_case(
            viewer.reviewer(),
            id,
            approved,
            reason,
            st.config.deadline_policy(),
        )
        .await
    {
        Ok(d) if form.back == "case" => Ok(see_other(&format!(
            "/cases/{id}?decided={}",
            d.status.as_str()
        ))),
        Ok(_) => Ok(see_other(if approved {
            "/approvals?done=approved"
        } else {
            "/approvals?done=sent_back"
        })),
        Err(StoreError::IllegalTransition(t)) => {
            refuse(format!("{} {t}", lang.t("error-transition"))).await
        }
        Err(StoreError::Conflict(m)) => refuse(format!("{} {m}", lang.t("error-conflict"))).await,
        Err(e) => Err(PageError::store(lang, e)),
    }
}
