//! The platform portal, for a platform's trust-and-safety staff (users of role `platform`, one
//! platform each): `/platform`, their notices with status, deadline (WIB, live countdown) and
//! escalation rung, overdue first, and a CSV export; `/platform/notices/{id}`, one notice with
//! what it is about, its legal basis and evidence summary, answered with **Removed**,
//! **Refused** or **Disputed** (a reason for the last two) or acknowledged; `/platform/webhook`,
//! their webhook, its signing secret rotated on demand, and its delivery log.
//!
//! Each page reads what the platform API reads and each answer is the API's store call with the
//! API's check (`ronda_service::notices::check_answer`), audited under `user:<name>`. Another
//! platform's notice is not found (404), exactly as on the API: the notice's platform is
//! compared with the viewer's before anything of it is shown.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::clock::to_rfc3339;
use ronda_store::StoreError;
use ronda_store::notices::{NoticeView, Response as Answer};
use serde::Deserialize;

use crate::console::admin::{
    Said, deliveries, notice_email_form, refusal, respond, said, save_notice_email,
};
use crate::console::auth::{CsrfForm, Viewer};
use crate::console::case::next_rung;
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, store_call, wib};
use crate::export::csv_field;
use crate::state::AppState;

/// Notices the list shows (the CSV holds up to [`CSV_ROWS`]).
const NOTICES_SHOWN: usize = 200;
const CSV_ROWS: usize = 1000;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/platform", get(list_page))
        .route("/platform/notices.csv", get(csv))
        .route("/platform/notices/{id}", get(notice_page))
        .route("/platform/notices/{id}/response", post(answer))
        .route("/platform/webhook", get(webhook_page).post(set_webhook))
        .route("/platform/webhook/rotate", post(rotate_secret))
        .route("/platform/notice-email", post(set_notice_email))
}

/// The viewer's platform; a platform user without one may open nothing here.
fn own(viewer: &Viewer, lang: Lang) -> Result<String, PageError> {
    viewer
        .user
        .platform
        .clone()
        .ok_or_else(|| PageError::forbidden(lang, "error-forbidden"))
}

async fn own_notices(
    st: &Arc<AppState>,
    lang: Lang,
    platform: String,
    limit: usize,
) -> Result<Vec<NoticeView>, PageError> {
    let store = st.store.clone();
    store_call(lang, move || {
        store.notices_by_urgency(Some(&platform), None, limit)
    })
    .await
}

fn deadline_cell(lang: Lang, n: &NoticeView) -> Markup {
    html! {
        @if n.closed_at.is_none() {
            time datetime=(to_rfc3339(n.deadline)) data-countdown=(n.deadline) { (wib(n.deadline)) }
        } @else {
            time datetime=(to_rfc3339(n.deadline)) { (wib(n.deadline)) }
        }
        @if n.urgent { " " span.badge.priority-urgent { (lang.t("priority-urgent")) } }
    }
}

/// `GET /platform`: this platform's notices, overdue first, then by deadline.
async fn list_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let platform = own(&viewer, lang)?;
    let notices = own_notices(&st, lang, platform.clone(), NOTICES_SHOWN).await?;
    let now = st.store.now_ms();
    let open = notices.iter().filter(|n| n.closed_at.is_none()).count();
    let overdue = notices
        .iter()
        .filter(|n| n.closed_at.is_none() && n.deadline <= now)
        .count();
    let body = html! {
        p.counts role="status" { (lang.tf("portal-notice-counts", &[("open", open.into()), ("overdue", overdue.into())])) }
        p { a href="/platform/notices.csv" download="notices.csv" { (lang.t("portal-csv")) } }
        @if notices.is_empty() {
            p { (lang.t("notices-empty")) }
        } @else {
            table.cases id="notices" data-rows="" {
                caption.visually-hidden { (lang.t("portal-notices-title")) }
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (lang.t("case-target")) }
                    th scope="col" { (lang.t("case-category")) }
                    th scope="col" { (lang.t("notice-status")) }
                    th scope="col" { (lang.t("notice-deadline")) }
                    th scope="col" { (lang.t("notice-escalation")) }
                } }
                tbody {
                    @for n in &notices {
                        @let late = n.closed_at.is_none() && n.deadline <= now;
                        tr data-href={ "/platform/notices/" (n.id) } class=[late.then_some("overdue")] {
                            td { a href={ "/platform/notices/" (n.id) } { (lang.tf("portal-notice-link", &[("id", n.id.into())])) } }
                            td.target { (n.target_value) }
                            td { (lang.t(&category_key(&n.category))) }
                            td { (lang.t(&format!("notice-status-{}", n.status)))
                                @if late { " " span.badge.priority-urgent { (lang.t("notice-overdue")) } } }
                            td { (deadline_cell(lang, n)) }
                            td { (lang.t(&format!("escalation-{}", n.escalation_step))) }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(page(
        &ctx,
        &lang.tf("portal-notices-title-of", &[("platform", platform.into())]),
        body,
    )))
}

/// The catalogue key of a notice's category (`other` when it has none).
pub(crate) fn category_key(c: &str) -> String {
    if c.is_empty() {
        "category-other".into()
    } else {
        format!("category-{c}")
    }
}

/// `GET /platform/notices.csv`: this platform's notices as a spreadsheet reads them.
async fn csv(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let platform = own(&viewer, lang)?;
    let notices = own_notices(&st, lang, platform, CSV_ROWS).await?;
    let mut out = String::from(
        "notice_id,status,category,legal_basis,urgent,target_kind,target,created_at,deadline,deadline_wib,escalation_step,response,responded_at,closed_at\r\n",
    );
    for n in &notices {
        let cells = [
            n.id.to_string(),
            n.status.clone(),
            n.category.clone(),
            n.legal_basis.clone(),
            n.urgent.to_string(),
            n.target_kind.clone(),
            n.target_value.clone(),
            to_rfc3339(n.created_at),
            to_rfc3339(n.deadline),
            wib(n.deadline),
            n.escalation_step.clone(),
            n.response_action.clone().unwrap_or_default(),
            n.responded_at.map(to_rfc3339).unwrap_or_default(),
            n.closed_at.map(to_rfc3339).unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"notices.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// One of this platform's notices, or 404 (another platform's included).
async fn own_notice(
    st: &Arc<AppState>,
    lang: Lang,
    viewer: &Viewer,
    id: &str,
) -> Result<NoticeView, PageError> {
    let platform = own(viewer, lang)?;
    let id: i64 = id.parse().map_err(|_| PageError::not_found(lang))?;
    let store = st.store.clone();
    let n = store_call(lang, move || store.notice(id)).await?;
    n.filter(|n| n.platform == platform)
        .ok_or_else(|| PageError::not_found(lang))
}

/// The evidence summary of a notice (`reports` counts, first and last report, the URLs where
/// the content was seen and the start of its text), as the notice recorded it.
fn evidence(lang: Lang, json: &str) -> Markup {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let total = v["reports"]["total"].as_i64().unwrap_or(0);
    let urls: Vec<&str> = v["content"]["urls"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u.as_str()).collect())
        .unwrap_or_default();
    let excerpt = v["content"]["excerpt"].as_str();
    let when = |k: &str| {
        v[k].as_str()
            .and_then(ronda_core::clock::parse_rfc3339)
            .map(wib)
    };
    html! {
        dl.facts {
            dt { (lang.t("portal-reports")) } dd { (total) }
            @if let Some(first) = when("first_reported_at") {
                dt { (lang.t("portal-first-report")) } dd { (first) }
            }
            @if let Some(last) = when("last_reported_at") {
                dt { (lang.t("portal-last-report")) } dd { (last) }
            }
            @if !urls.is_empty() {
                dt { (lang.t("portal-urls")) }
                dd { ul { @for u in &urls { li.target { (u) } } } }
            }
            @if let Some(x) = excerpt {
                dt { (lang.t("portal-excerpt")) } dd { blockquote { (x) } }
            }
        }
    }
}

fn notice_body(ctx: &Ctx, st: &AppState, n: &NoticeView, outcome: Option<&Said>) -> Markup {
    let lang = ctx.lang;
    let policy = st.config.deadline_policy();
    let basis = st
        .config
        .legal_bases
        .iter()
        .find(|b| b.code == n.legal_basis)
        .map_or_else(|| n.legal_basis.clone(), |b| b.description.clone());
    let open = n.closed_at.is_none();
    html! {
        @if let Some(o) = outcome { (said(lang, o)) }
        dl.facts {
            dt { (lang.t("case-target")) } dd.target { (n.target_value) " (" (lang.t(&format!("target-{}", n.target_kind))) ")" }
            dt { (lang.t("case-category")) } dd { (lang.t(&category_key(&n.category))) }
            dt { (lang.t("decision-basis")) } dd { (basis) " " code { (n.legal_basis) } }
            dt { (lang.t("notice-status")) } dd { (lang.t(&format!("notice-status-{}", n.status))) }
            dt { (lang.t("portal-sent-at")) } dd { (wib(n.created_at)) }
            dt { (lang.t("notice-deadline")) } dd { (deadline_cell(lang, n)) }
            dt { (lang.t("notice-escalation")) } dd {
                (lang.t(&format!("escalation-{}", n.escalation_step)))
                @if let Some(at) = n.escalation_at { " · " (wib(at)) }
            }
            @if let Some((step, due)) = next_rung(&policy, n) {
                dt { (lang.t("notice-next-rung")) } dd {
                    (lang.t(&format!("escalation-{}", step.as_str()))) " · "
                    time datetime=(to_rfc3339(due)) data-countdown=(due) { (wib(due)) }
                }
            }
            @if let Some(a) = &n.response_action {
                dt { (lang.t("portal-your-answer")) } dd {
                    (lang.t(&format!("portal-answer-{a}")))
                    @if let Some(r) = &n.response_reason { ": " (r) }
                    @if let Some(at) = n.responded_at { " · " (wib(at)) }
                }
            }
            @if let Some((resolution, reason, at)) = &n.dispute {
                dt { (lang.t("portal-dispute-resolved")) } dd {
                    (lang.t(&format!("portal-dispute-{resolution}"))) ": " (reason) " · " (wib(*at))
                }
            }
        }
        h2 { (lang.t("portal-evidence")) }
        (evidence(lang, &n.evidence))
        @if open {
            section.decision aria-labelledby="answer-h" {
                h2 id="answer-h" { (lang.t("portal-answer-title")) }
                form.stack method="post" action={ "/platform/notices/" (n.id) "/response" } {
                    (ctx.csrf_field())
                    label for="reason" { (lang.t("portal-reason")) }
                    textarea id="reason" name="reason" rows="3" maxlength="4000" aria-describedby="reason-hint" {}
                    p.hint id="reason-hint" { (lang.t("portal-reason-hint")) }
                    div.buttons {
                        button.primary type="submit" name="action" value="removed" { (lang.t("portal-removed")) }
                        button type="submit" name="action" value="refused" { (lang.t("portal-refused")) }
                        button type="submit" name="action" value="disputed" { (lang.t("portal-disputed")) }
                        @if n.status == "sent" {
                            button type="submit" name="action" value="acknowledged" { (lang.t("portal-acknowledged")) }
                        }
                    }
                }
            }
        }
        p { a href="/platform" { (lang.t("portal-back")) } }
    }
}

fn notice_response(ctx: &Ctx, st: &AppState, n: &NoticeView, outcome: Option<&Said>) -> Response {
    let lang = ctx.lang;
    let ctx = Ctx {
        here: format!("/platform/notices/{}", n.id),
        ..ctx.clone()
    };
    respond(
        &ctx,
        &lang.tf("portal-notice-title", &[("id", n.id.into())]),
        notice_body(&ctx, st, n, outcome),
        matches!(outcome, Some(Said::Refused(_))),
    )
}

async fn notice_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let n = own_notice(&st, ctx.lang, &viewer, &id).await?;
    Ok(notice_response(&ctx, &st, &n, None))
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /platform/notices/{id}/response`: the platform's answer (see the module docs).
async fn answer(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let n = own_notice(&st, lang, &viewer, &id).await?;
    let action = match form.action.as_str() {
        "acknowledged" => Answer::Acknowledged,
        "removed" => Answer::Removed,
        "refused" => Answer::Refused,
        "disputed" => Answer::Disputed,
        _ => return Err(PageError::bad_request(lang, "error-form")),
    };
    let reason = match ronda_service::notices::check_answer(action, Some(&form.reason)) {
        Ok(r) => r,
        Err(f) => {
            let message = if f.code == "required" {
                lang.t("portal-reason-required")
            } else {
                lang.t("portal-reason-too-long")
            };
            return Ok(notice_response(
                &ctx,
                &st,
                &n,
                Some(&Said::Refused(message)),
            ));
        }
    };
    let outcome = match st
        .store
        .respond_to_notice(
            viewer.actor(),
            Some(n.platform.clone()),
            n.id,
            action,
            reason,
        )
        .await
    {
        Ok(after) => {
            let done = Said::Done(lang.tf(
                "portal-answered",
                &[(
                    "answer",
                    lang.t(&format!("portal-answer-{}", action.as_str())).into(),
                )],
            ));
            return Ok(notice_response(&ctx, &st, &after, Some(&done)));
        }
        Err(StoreError::IllegalTransition(t)) => {
            Said::Refused(format!("{} {t}", lang.t("error-transition")))
        }
        Err(e) => refusal(lang, e)?,
    };
    Ok(notice_response(&ctx, &st, &n, Some(&outcome)))
}

async fn webhook_view(
    st: &Arc<AppState>,
    ctx: &Ctx,
    platform: String,
    outcome: Option<Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let p = platform.clone();
    let (hook, attempts, email) = store_call(lang, move || {
        Ok((
            store.webhook_of(&p)?,
            store.webhook_attempts(&p, 100)?,
            store.notice_email_of(&p)?,
        ))
    })
    .await?;
    let ctx = Ctx {
        here: "/platform/webhook".into(),
        ..ctx.clone()
    };
    let refused = matches!(outcome, Some(Said::Refused(_)));
    let body = html! {
        @if let Some(o) = &outcome { (said(lang, o)) }
        p { (lang.t("admin-webhook")) ": " @match &hook { Some((url, at)) => { span.target id="webhook-url" { (url) } " · " (wib(*at)) }, None => (lang.t("admin-webhook-none")) } }
        p.hint { (lang.t("portal-webhook-explain")) }
        section.decision aria-labelledby="webhook-h" {
            h2 id="webhook-h" { (lang.t("admin-webhook-register")) }
            form.stack method="post" action="/platform/webhook" {
                (ctx.csrf_field())
                label for="url" { (lang.t("admin-webhook-url")) }
                input id="url" name="url" type="url" required autocomplete="off" aria-describedby="url-hint"
                    value=(hook.as_ref().map(|h| h.0.as_str()).unwrap_or(""));
                p.hint id="url-hint" { (lang.t("admin-webhook-hint")) }
                div.buttons { button.primary type="submit" id="register-webhook" { (lang.t("admin-webhook-submit")) } }
            }
            @if hook.is_some() {
                form.stack method="post" action="/platform/webhook/rotate" {
                    (ctx.csrf_field())
                    p.hint id="rotate-hint" { (lang.t("portal-rotate-hint")) }
                    div.buttons { button type="submit" id="rotate-secret" aria-describedby="rotate-hint" { (lang.t("portal-rotate")) } }
                }
            }
        }
        (deliveries(lang, &attempts))
        (notice_email_form(st, &ctx, "/platform/notice-email", email.as_deref()))
    };
    Ok(respond(
        &ctx,
        &lang.t("portal-webhook-title"),
        body,
        refused,
    ))
}

async fn webhook_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let platform = own(&viewer, ctx.lang)?;
    webhook_view(&st, &ctx, platform, None).await
}

#[derive(Deserialize)]
struct WebhookForm {
    #[serde(default)]
    url: String,
}

/// Registers the webhook (the API's `PUT /platforms/{name}/webhook`): a new secret, shown once.
async fn register(
    st: &Arc<AppState>,
    ctx: &Ctx,
    viewer: &Viewer,
    platform: String,
    url: String,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let outcome = match st
        .store
        .register_webhook(viewer.actor(), platform.clone(), url)
        .await
    {
        Ok(r) => Said::Secret {
            what: lang.tf("admin-webhook-registered", &[("url", r.url.into())]),
            secret: r.secret,
        },
        Err(e) => refusal(lang, e)?,
    };
    webhook_view(st, ctx, platform, Some(outcome)).await
}

async fn set_webhook(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<Response, PageError> {
    let platform = own(&viewer, ctx.lang)?;
    register(&st, &ctx, &viewer, platform, form.url.trim().to_string()).await
}

#[derive(Deserialize)]
struct NoticeEmailForm {
    #[serde(default)]
    notice_email: String,
}

/// Sets or clears the address this platform's new notices are mailed to.
async fn set_notice_email(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NoticeEmailForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let platform = own(&viewer, lang)?;
    let outcome = save_notice_email(
        &st,
        lang,
        viewer.actor(),
        platform.clone(),
        form.notice_email,
    )
    .await?;
    webhook_view(&st, &ctx, platform, Some(outcome)).await
}

#[derive(Deserialize)]
struct Empty {}

/// A new signing secret for the same address: the registration again, as the API does it.
async fn rotate_secret(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let platform = own(&viewer, lang)?;
    let store = st.store.clone();
    let p = platform.clone();
    let Some((url, _)) = store_call(lang, move || store.webhook_of(&p)).await? else {
        return webhook_view(
            &st,
            &ctx,
            platform,
            Some(Said::Refused(lang.t("admin-webhook-none"))),
        )
        .await;
    };
    register(&st, &ctx, &viewer, platform, url).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::Lang;

    #[test]
    fn every_answer_dispute_and_target_word_has_a_message() {
        let mut keys = vec!["target-account".to_string(), "target-url".to_string()];
        for a in [
            Answer::Acknowledged,
            Answer::Removed,
            Answer::Refused,
            Answer::Disputed,
        ] {
            keys.push(format!("portal-answer-{}", a.as_str()));
        }
        for r in ["upheld", "withdrawn"] {
            keys.push(format!("portal-dispute-{r}"));
        }
        for key in keys {
            for lang in Lang::ALL {
                assert_ne!(lang.t(&key), key, "{key} in {}", lang.code());
            }
        }
    }

    #[test]
    fn the_evidence_summary_reads_what_the_notice_recorded() {
        let json = r#"{"reports":{"total":3},"first_reported_at":"2026-12-01T00:00:00Z","content":{"urls":["https://a.example/x"],"excerpt":"open BO"}}"#;
        let html = evidence(Lang::En, json).into_string();
        assert!(
            html.contains("<dd>3</dd>")
                && html.contains("https://a.example/x")
                && html.contains("open BO")
        );
        assert!(html.contains("2026-12-01 07:00 WIB"), "{html}");
        // A damaged summary shows what it can, never fails the page.
        assert!(
            evidence(Lang::En, "not json")
                .into_string()
                .contains("<dd>0</dd>")
        );
    }
}
