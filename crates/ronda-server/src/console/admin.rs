//! The admin's pages: `/admin/users` (people who sign in: create with a one-time password,
//! disable, reset a password), `/admin/tokens` (API tokens: create, shown once; revoke) and
//! `/admin/platforms` (platforms, their webhook and its delivery log). Each action is the
//! store call the CLI (`ronda user`, `ronda token`) or the API makes, audited under the
//! admin's name; a secret made here is shown once, on the page that made it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use ronda_core::model::Role;
use ronda_store::StoreError;
use ronda_store::users::{NewUser, PasswordChoice};
use serde::Deserialize;

use crate::console::auth::{CsrfForm, Viewer};
use crate::console::i18n::Lang;
use crate::console::layout::{Ctx, PageError, html_response, page, role_key, wib};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{name}/disable", post(disable_user))
        .route("/admin/users/{name}/reset", post(reset_user))
        .route("/admin/tokens", get(tokens_page).post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route(
            "/admin/platforms",
            get(platforms_page).post(create_platform),
        )
        .route("/admin/platforms/{name}", get(platform_page))
        .route("/admin/platforms/{name}/webhook", post(register_webhook))
        .route(
            "/admin/platforms/{name}/notice-email",
            post(admin_notice_email),
        )
}

/// What an action came to: a one-time secret to show, a plain confirmation, or a refusal.
pub enum Said {
    Secret { what: String, secret: String },
    Done(String),
    Refused(String),
}

pub fn said(lang: Lang, s: &Said) -> Markup {
    html! {
        @match s {
            Said::Secret { what, secret } => div.notice role="status" id="secret" {
                p { (what) }
                p { code.secret id="secret-value" { (secret) } }
                p.hint { (lang.t("admin-secret-once")) }
            },
            Said::Done(m) => p.notice role="status" { (m) },
            Said::Refused(m) => p.alert role="alert" id="admin-error" { (m) },
        }
    }
}

pub fn refusal(lang: Lang, e: StoreError) -> Result<Said, PageError> {
    match e {
        StoreError::Invalid(f) => Ok(Said::Refused(format!("{}: {}", f.field, f.message))),
        StoreError::Conflict(m) => Ok(Said::Refused(format!("{} {m}", lang.t("error-conflict")))),
        StoreError::NotFound(what) => Ok(Said::Refused(format!(
            "{}: {what}",
            lang.t("error-not-found")
        ))),
        other => Err(PageError::store(lang, other)),
    }
}

/// A page, 422 when what was asked was refused (the refusal is said on it).
pub fn respond(ctx: &Ctx, title: &str, body: Markup, refused: bool) -> Response {
    let mut resp = html_response(page(ctx, title, body));
    if refused {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

async fn blocking<T: Send + 'static>(
    lang: Lang,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<Result<T, StoreError>, PageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PageError::join(lang, &e))
}

fn role_options(lang: Lang) -> Markup {
    html! { @for r in Role::ALL { option value=(r.as_str()) { (lang.t(role_key(*r))) } } }
}

// ------------------------------------------------------------------------------------------
// Users.

async fn users_view(
    st: &Arc<AppState>,
    ctx: &Ctx,
    outcome: Option<Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let (users, platforms) = blocking(lang, move || {
        Ok((store.list_users()?, store.list_platforms()?))
    })
    .await?
    .map_err(|e| PageError::store(lang, e))?;
    let refused = matches!(outcome, Some(Said::Refused(_)));
    let ctx = Ctx {
        here: "/admin/users".into(),
        ..ctx.clone()
    };
    let body = html! {
        @if let Some(o) = &outcome { (said(lang, o)) }
        table id="users" {
            caption.visually-hidden { (lang.t("admin-users-title")) }
            thead { tr {
                th scope="col" { (lang.t("login-username")) } th scope="col" { (lang.t("account-role")) }
                th scope="col" { (lang.t("admin-belongs")) } th scope="col" { (lang.t("admin-created")) }
                th scope="col" { (lang.t("admin-state")) } th scope="col" { (lang.t("admin-actions")) }
            } }
            tbody { @for u in &users { tr {
                td { (u.name) } td { (lang.t(role_key(u.role))) }
                td { (u.platform.clone().or(u.unit.clone()).unwrap_or_default()) }
                td { (wib(u.created_at)) }
                td { @if let Some(d) = u.disabled_at { (lang.tf("admin-disabled-at", &[("date", wib(d).into())])) }
                     @else if u.password_must_change { (lang.t("admin-must-change")) } @else { (lang.t("admin-active")) } }
                td {
                    @if u.disabled_at.is_none() {
                        form.inline method="post" action={ "/admin/users/" (u.name) "/reset" } {
                            (ctx.csrf_field())
                            button type="submit" aria-label=(lang.tf("admin-reset-for", &[("name", u.name.clone().into())])) { (lang.t("admin-reset")) }
                        }
                        " "
                        form.inline method="post" action={ "/admin/users/" (u.name) "/disable" } {
                            (ctx.csrf_field())
                            button.danger type="submit" aria-label=(lang.tf("admin-disable-for", &[("name", u.name.clone().into())])) { (lang.t("admin-disable")) }
                        }
                    }
                }
            } } }
        }
        section.decision aria-labelledby="new-user-h" {
            h2 id="new-user-h" { (lang.t("admin-new-user")) }
            form.stack method="post" action="/admin/users" {
                (ctx.csrf_field())
                label for="name" { (lang.t("login-username")) }
                input id="name" name="name" type="text" required autocomplete="off" spellcheck="false";
                label for="role" { (lang.t("account-role")) }
                select id="role" name="role" { (role_options(lang)) }
                label for="platform" { (lang.t("account-platform")) }
                select id="platform" name="platform" aria-describedby="platform-hint" {
                    option value="" { "—" }
                    @for p in &platforms { option value=(p.name) { (p.name) } }
                }
                p.hint id="platform-hint" { (lang.t("admin-platform-hint")) }
                label for="unit" { (lang.t("account-unit")) }
                input id="unit" name="unit" type="text" autocomplete="off" aria-describedby="unit-hint";
                p.hint id="unit-hint" { (lang.t("admin-unit-hint")) }
                div.buttons { button.primary type="submit" id="create-user" { (lang.t("admin-create")) } }
            }
        }
    };
    Ok(respond(&ctx, &lang.t("admin-users-title"), body, refused))
}

async fn users_page(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    users_view(&st, &ctx, None).await
}

#[derive(Deserialize)]
struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    unit: String,
}

async fn create_user(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<UserForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let Ok(role) = form.role.parse::<Role>() else {
        return users_view(&st, &ctx, Some(Said::Refused(lang.t("admin-bad-role")))).await;
    };
    let new = NewUser {
        name: form.name.trim().to_string(),
        role,
        platform: Some(form.platform.trim().to_string()).filter(|p| !p.is_empty()),
        unit: Some(form.unit.trim().to_string()).filter(|u| !u.is_empty()),
    };
    let store = st.store.clone();
    let actor = viewer.actor();
    let outcome = match blocking(lang, move || {
        store.create_user_blocking(&actor, new, PasswordChoice::Generated)
    })
    .await?
    {
        Ok((user, Some(password))) => Said::Secret {
            what: lang.tf("admin-user-created", &[("name", user.name.into())]),
            secret: password,
        },
        Ok((user, None)) => {
            Said::Done(lang.tf("admin-user-created", &[("name", user.name.into())]))
        }
        Err(e) => refusal(lang, e)?,
    };
    users_view(&st, &ctx, Some(outcome)).await
}

#[derive(Deserialize)]
struct Empty {}

async fn disable_user(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(name): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    if name == viewer.user.name {
        return users_view(&st, &ctx, Some(Said::Refused(lang.t("admin-not-yourself")))).await;
    }
    let store = st.store.clone();
    let actor = viewer.actor();
    let outcome = match blocking(lang, move || store.disable_user_blocking(&actor, &name)).await? {
        Ok(u) => Said::Done(lang.tf("admin-user-disabled", &[("name", u.name.into())])),
        Err(e) => refusal(lang, e)?,
    };
    users_view(&st, &ctx, Some(outcome)).await
}

async fn reset_user(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(name): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let actor = viewer.actor();
    let who = name.clone();
    let outcome = match blocking(lang, move || {
        store.reset_user_password_blocking(&actor, &who, PasswordChoice::Generated)
    })
    .await?
    {
        Ok(Some(password)) => Said::Secret {
            what: lang.tf("admin-password-reset", &[("name", name.into())]),
            secret: password,
        },
        Ok(None) => Said::Done(lang.tf("admin-password-reset", &[("name", name.into())])),
        Err(e) => refusal(lang, e)?,
    };
    users_view(&st, &ctx, Some(outcome)).await
}

// ------------------------------------------------------------------------------------------
// Tokens.

async fn tokens_view(
    st: &Arc<AppState>,
    ctx: &Ctx,
    outcome: Option<Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let (tokens, platforms) = blocking(lang, move || {
        Ok((store.list_tokens()?, store.list_platforms()?))
    })
    .await?
    .map_err(|e| PageError::store(lang, e))?;
    let now = st.store.now_ms();
    let refused = matches!(outcome, Some(Said::Refused(_)));
    let ctx = Ctx {
        here: "/admin/tokens".into(),
        ..ctx.clone()
    };
    let body = html! {
        @if let Some(o) = &outcome { (said(lang, o)) }
        table id="tokens" {
            caption.visually-hidden { (lang.t("admin-tokens-title")) }
            thead { tr {
                th scope="col" { "#" } th scope="col" { (lang.t("admin-token-name")) } th scope="col" { (lang.t("account-role")) }
                th scope="col" { (lang.t("account-platform")) } th scope="col" { (lang.t("admin-created")) }
                th scope="col" { (lang.t("admin-state")) } th scope="col" { (lang.t("admin-actions")) }
            } }
            tbody { @for t in &tokens { tr {
                td { (t.id) } td { (t.name) } td { (lang.t(role_key(t.role))) } td { (t.platform.clone().unwrap_or_default()) }
                td { (wib(t.created_at)) }
                td {
                    @if let Some(r) = t.revoked_at { (lang.tf("admin-revoked-at", &[("date", wib(r).into())])) }
                    @else if let Some(e) = t.expires_at {
                        @if e <= now { (lang.tf("admin-expired-at", &[("date", wib(e).into())])) }
                        @else { (lang.tf("admin-expires-at", &[("date", wib(e).into())])) }
                    } @else { (lang.t("admin-active")) }
                }
                td { @if t.revoked_at.is_none() {
                    form.inline method="post" action={ "/admin/tokens/" (t.id) "/revoke" } {
                        (ctx.csrf_field())
                        button.danger type="submit" aria-label=(lang.tf("admin-revoke-for", &[("id", t.id.into())])) { (lang.t("admin-revoke")) }
                    }
                } }
            } } }
        }
        section.decision aria-labelledby="new-token-h" {
            h2 id="new-token-h" { (lang.t("admin-new-token")) }
            form.stack method="post" action="/admin/tokens" {
                (ctx.csrf_field())
                label for="name" { (lang.t("admin-token-name")) }
                input id="name" name="name" type="text" required autocomplete="off";
                label for="role" { (lang.t("account-role")) }
                select id="role" name="role" { (role_options(lang)) }
                label for="platform" { (lang.t("account-platform")) }
                select id="platform" name="platform" {
                    option value="" { "—" }
                    @for p in &platforms { option value=(p.name) { (p.name) } }
                }
                label for="days" { (lang.t("admin-token-days")) }
                input id="days" name="days" type="number" min="1" max="3650" aria-describedby="days-hint";
                p.hint id="days-hint" { (lang.t("admin-token-days-hint")) }
                div.buttons { button.primary type="submit" id="create-token" { (lang.t("admin-create")) } }
            }
        }
    };
    Ok(respond(&ctx, &lang.t("admin-tokens-title"), body, refused))
}

async fn tokens_page(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    tokens_view(&st, &ctx, None).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    platform: String,
    #[serde(default)]
    days: String,
}

async fn create_token(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let Ok(role) = form.role.parse::<Role>() else {
        return tokens_view(&st, &ctx, Some(Said::Refused(lang.t("admin-bad-role")))).await;
    };
    let expires_at = match form.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => {
                Some(st.store.now_ms().saturating_add(n * 86_400_000))
            }
            _ => {
                return tokens_view(
                    &st,
                    &ctx,
                    Some(Said::Refused(lang.t("admin-token-days-bad"))),
                )
                .await;
            }
        },
    };
    let platform = Some(form.platform.trim().to_string()).filter(|p| !p.is_empty());
    let store = st.store.clone();
    let actor = viewer.actor();
    let name = form.name.clone();
    let outcome = match blocking(lang, move || {
        store.create_token_expiring_blocking(&actor, &name, role, platform.as_deref(), expires_at)
    })
    .await?
    {
        Ok(t) => Said::Secret {
            what: lang.tf(
                "admin-token-created",
                &[("name", form.name.trim().to_string().into())],
            ),
            secret: t.secret,
        },
        Err(e) => refusal(lang, e)?,
    };
    tokens_view(&st, &ctx, Some(outcome)).await
}

async fn revoke_token(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let id: i64 = id.parse().map_err(|_| PageError::not_found(lang))?;
    let store = st.store.clone();
    let actor = viewer.actor();
    let outcome = match blocking(lang, move || store.revoke_token_blocking(&actor, id)).await? {
        Ok(()) => Said::Done(lang.tf("admin-token-revoked", &[("id", id.into())])),
        Err(e) => refusal(lang, e)?,
    };
    tokens_view(&st, &ctx, Some(outcome)).await
}

// ------------------------------------------------------------------------------------------
// Platforms and webhooks.

async fn platforms_view(
    st: &Arc<AppState>,
    ctx: &Ctx,
    outcome: Option<Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let (rows, mail) = blocking(lang, move || {
        let rows = store
            .list_platforms()?
            .into_iter()
            .map(|p| {
                let hook = store.webhook_of(&p.name)?;
                let email = store.notice_email_of(&p.name)?;
                Ok((p, hook, email))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((rows, store.mail_log(50)?))
    })
    .await?
    .map_err(|e| PageError::store(lang, e))?;
    let refused = matches!(outcome, Some(Said::Refused(_)));
    let ctx = Ctx {
        here: "/admin/platforms".into(),
        ..ctx.clone()
    };
    let body = html! {
        @if let Some(o) = &outcome { (said(lang, o)) }
        table id="platforms" {
            caption.visually-hidden { (lang.t("admin-platforms-title")) }
            thead { tr {
                th scope="col" { (lang.t("admin-platform-name")) } th scope="col" { (lang.t("admin-platform-display")) }
                th scope="col" { (lang.t("admin-webhook")) } th scope="col" { (lang.t("portal-notice-email")) }
                th scope="col" { (lang.t("admin-created")) }
            } }
            tbody { @for (p, hook, email) in &rows { tr {
                td { a href={ "/admin/platforms/" (p.name) } { (p.name) } } td { (p.display_name) }
                td.target { @match hook { Some((url, _)) => (url), None => "—" } }
                td.target { (email.as_deref().unwrap_or("—")) }
                td { (wib(p.created_at)) }
            } } }
        }
        (mail_section(st, lang, &mail))
        section.decision aria-labelledby="new-platform-h" {
            h2 id="new-platform-h" { (lang.t("admin-new-platform")) }
            form.stack method="post" action="/admin/platforms" {
                (ctx.csrf_field())
                label for="name" { (lang.t("admin-platform-name")) }
                input id="name" name="name" type="text" required autocomplete="off" spellcheck="false";
                label for="display_name" { (lang.t("admin-platform-display")) }
                input id="display_name" name="display_name" type="text" autocomplete="off";
                div.buttons { button.primary type="submit" id="create-platform" { (lang.t("admin-create")) } }
            }
        }
    };
    Ok(respond(
        &ctx,
        &lang.t("admin-platforms-title"),
        body,
        refused,
    ))
}

async fn platforms_page(State(st): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, PageError> {
    platforms_view(&st, &ctx, None).await
}

#[derive(Deserialize)]
struct PlatformForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
}

async fn create_platform(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PlatformForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let display = Some(form.display_name.trim().to_string()).filter(|d| !d.is_empty());
    let outcome = match st
        .store
        .create_platform(&viewer.actor(), form.name.trim(), display.as_deref())
        .await
    {
        Ok(p) => Said::Done(lang.tf("admin-platform-created", &[("name", p.name.into())])),
        Err(e) => refusal(lang, e)?,
    };
    platforms_view(&st, &ctx, Some(outcome)).await
}

async fn platform_view(
    st: &Arc<AppState>,
    ctx: &Ctx,
    name: String,
    outcome: Option<Said>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let n = name.clone();
    let (known, hook, attempts, email) = blocking(lang, move || {
        let known = store.list_platforms()?.into_iter().any(|p| p.name == n);
        Ok((
            known,
            store.webhook_of(&n)?,
            store.webhook_attempts(&n, 100)?,
            store.notice_email_of(&n)?,
        ))
    })
    .await?
    .map_err(|e| PageError::store(lang, e))?;
    if !known {
        return Err(PageError::not_found(lang));
    }
    let refused = matches!(outcome, Some(Said::Refused(_)));
    let ctx = Ctx {
        here: format!("/admin/platforms/{name}"),
        ..ctx.clone()
    };
    let body = html! {
        @if let Some(o) = &outcome { (said(lang, o)) }
        p { (lang.t("admin-webhook")) ": " @match &hook { Some((url, at)) => { span.target { (url) } " · " (wib(*at)) }, None => (lang.t("admin-webhook-none")) } }
        section.decision aria-labelledby="webhook-h" {
            h2 id="webhook-h" { (lang.t("admin-webhook-register")) }
            form.stack method="post" action={ "/admin/platforms/" (name) "/webhook" } {
                (ctx.csrf_field())
                label for="url" { (lang.t("admin-webhook-url")) }
                input id="url" name="url" type="url" required autocomplete="off" aria-describedby="url-hint";
                p.hint id="url-hint" { (lang.t("admin-webhook-hint")) }
                div.buttons { button.primary type="submit" id="register-webhook" { (lang.t("admin-webhook-submit")) } }
            }
        }
        (deliveries(lang, &attempts))
        (notice_email_form(st, &ctx, &format!("/admin/platforms/{name}/notice-email"), email.as_deref()))
    };
    Ok(respond(
        &ctx,
        &lang.tf("admin-platform-title", &[("name", name.into())]),
        body,
        refused,
    ))
}

/// The form that sets a platform's notice address (the admin's platform page and the portal).
pub fn notice_email_form(st: &AppState, ctx: &Ctx, action: &str, email: Option<&str>) -> Markup {
    let lang = ctx.lang;
    html! {
        section.decision aria-labelledby="notice-email-h" {
            h2 id="notice-email-h" { (lang.t("portal-notice-email")) }
            p.hint id="notice-email-hint" {
                (lang.t("portal-notice-email-explain"))
                @if st.mail.is_none() { " " (lang.t("portal-notice-email-off")) }
            }
            form.stack method="post" action=(action) {
                (ctx.csrf_field())
                label for="notice_email" { (lang.t("portal-notice-email-label")) }
                input id="notice_email" name="notice_email" type="email" autocomplete="email" aria-describedby="notice-email-hint"
                    value=(email.unwrap_or(""));
                div.buttons { button.primary type="submit" id="save-notice-email" { (lang.t("portal-notice-email-save")) } }
            }
        }
    }
}

/// Sets a platform's notice address; what to say about it.
pub async fn save_notice_email(
    st: &AppState,
    lang: Lang,
    actor: String,
    platform: String,
    email: String,
) -> Result<Said, PageError> {
    match st
        .store
        .set_notice_email(actor, platform, Some(email))
        .await
    {
        Ok(Some(a)) => Ok(Said::Done(
            lang.tf("portal-notice-email-saved", &[("email", a.into())]),
        )),
        Ok(None) => Ok(Said::Done(lang.t("portal-notice-email-cleared"))),
        Err(StoreError::Invalid(f)) if f.field == "notice_email" => {
            Ok(Said::Refused(lang.t("portal-notice-email-invalid")))
        }
        Err(e) => refusal(lang, e),
    }
}

/// Whether mail is on, and the mail log: what was sent, retried or given up (no addresses).
fn mail_section(st: &AppState, lang: Lang, log: &[ronda_store::mail::MailLogEntry]) -> Markup {
    html! {
        section aria-labelledby="mail-h" {
            h2 id="mail-h" { (lang.t("admin-mail")) }
            p id="mail-relay" { @match &st.mail {
                Some(m) => (lang.tf("admin-mail-on", &[("relay", format!("{}:{}", m.relay.host, m.relay.port).into())])),
                None => (lang.t("admin-mail-off")),
            } }
            @if log.is_empty() { p { (lang.t("admin-mail-none")) } }
            @else {
                table id="mail-log" {
                    thead { tr {
                        th scope="col" { (lang.t("admin-delivery-at")) } th scope="col" { (lang.t("admin-mail-kind")) }
                        th scope="col" { (lang.t("admin-mail-about")) } th scope="col" { (lang.t("admin-delivery-attempt")) }
                        th scope="col" { (lang.t("admin-delivery-outcome")) }
                    } }
                    tbody { @for m in log { tr {
                        td { (wib(m.created_at)) } td { code { (m.kind) } @if let Some(s) = &m.stage { " " code { (s) } } }
                        td { @if m.kind.starts_with("notice") { (lang.t("admin-mail-notice")) " #" (m.ref_id) } @else { (lang.t("admin-mail-report")) " #" (m.ref_id) } }
                        td { (m.attempts) }
                        td { @if let Some(at) = m.sent_at { (lang.t("admin-mail-sent")) " " (wib(at)) }
                             @else if m.dropped_at.is_some() { (lang.t("admin-mail-dropped")) ": " (m.last_error.clone().unwrap_or_default()) }
                             @else { (lang.t("admin-mail-pending")) @if let Some(e) = &m.last_error { ": " (e) } } }
                    } } }
                }
            }
        }
    }
}

/// A webhook's delivery log, newest first (the admin's platform page and the platform portal).
pub fn deliveries(lang: Lang, attempts: &[ronda_store::webhooks::Attempt]) -> Markup {
    html! {
    h2 { (lang.t("admin-deliveries")) }
    @if attempts.is_empty() { p { (lang.t("admin-deliveries-none")) } }
    @else {
        table id="deliveries" {
            thead { tr {
                th scope="col" { (lang.t("admin-delivery-at")) } th scope="col" { (lang.t("admin-delivery-event")) }
                th scope="col" { (lang.t("admin-delivery-attempt")) } th scope="col" { (lang.t("admin-delivery-status")) }
                th scope="col" { (lang.t("admin-delivery-outcome")) }
            } }
            tbody { @for a in attempts { tr {
                td { (wib(a.at)) } td { code { (a.event) } } td { (a.attempt) }
                td { @if let Some(s) = a.status { (s) } @else { "—" } }
                td { @if a.delivered { (lang.t("admin-delivered")) } @else if a.flagged { (lang.t("admin-flagged")) } @else { (a.error.clone().unwrap_or_default()) } }
            } } }
        }
    }
    }
}

async fn platform_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    platform_view(&st, &ctx, name, None).await
}

#[derive(Deserialize)]
struct WebhookForm {
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
struct NoticeEmailForm {
    #[serde(default)]
    notice_email: String,
}

async fn admin_notice_email(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<NoticeEmailForm>,
) -> Result<Response, PageError> {
    let outcome = save_notice_email(
        &st,
        ctx.lang,
        viewer.actor(),
        name.clone(),
        form.notice_email,
    )
    .await?;
    platform_view(&st, &ctx, name, Some(outcome)).await
}

async fn register_webhook(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<WebhookForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let outcome = match st
        .store
        .register_webhook(viewer.actor(), name.clone(), form.url.trim().to_string())
        .await
    {
        Ok(r) => Said::Secret {
            what: lang.tf("admin-webhook-registered", &[("url", r.url.into())]),
            secret: r.secret,
        },
        Err(e) => refusal(lang, e)?,
    };
    platform_view(&st, &ctx, name, Some(outcome)).await
}
