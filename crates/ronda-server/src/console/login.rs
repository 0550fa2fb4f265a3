//! Signing in and out, and the signed-in user's own account: `/login`, `/logout`,
//! `/account`, `/account/password`.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use ronda_store::StoreError;
use ronda_store::users::SignIn;
use serde::Deserialize;

use crate::console::auth::{CsrfForm, LOGIN_COOKIE, SESSION_COOKIE, Viewer, cookie, set_cookie};
use crate::console::layout::{Ctx, PageError, html_response, page, role_key, see_other, wib};
use crate::console::{STAFF, is_local_path};
use crate::state::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(login_page).post(sign_in))
        .route("/logout", axum::routing::post(sign_out))
        .route("/account", get(account))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route("/account/totp", get(totp_page).post(enable_totp))
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after signing in: the page asked for, when it is a local path.
fn next_page(next: Option<&str>) -> Option<String> {
    next.filter(|n| is_local_path(n) && !n.starts_with("/login"))
        .map(str::to_string)
}

fn login_form(
    ctx: &Ctx,
    csrf: &str,
    next: Option<&str>,
    username: &str,
    error: Option<String>,
) -> Markup {
    let lang = ctx.lang;
    page(
        ctx,
        &lang.t("login-title"),
        html! {
            @if let Some(e) = error {
                p.alert role="alert" id="login-error" { (e) }
            }
            form.stack method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                @if let Some(n) = next {
                    input type="hidden" name="next" value=(n);
                }
                label for="username" { (lang.t("login-username")) }
                input id="username" name="username" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required autofocus value=(username);
                label for="password" { (lang.t("login-password")) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                label for="code" { (lang.t("login-code")) }
                input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9 ]{6,7}" maxlength="7" aria-describedby="code-hint";
                p.hint id="code-hint" { (lang.t("login-code-hint")) }
                button type="submit" { (lang.t("login-submit")) }
            }
        },
    )
}

/// The sign-in form; sets the form's CSRF cookie when the browser has none yet.
async fn login_page(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    q: Result<Query<NextQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
) -> Response {
    if ctx.viewer.is_some() {
        return see_other("/");
    }
    let next = next_page(q.as_ref().ok().and_then(|q| q.next.as_deref()));
    let (csrf, fresh) =
        match cookie(&headers, LOGIN_COOKIE).filter(|c| c.len() >= 32 && c.len() <= 128) {
            Some(c) => (c.to_string(), false),
            None => (ronda_store::codes::new_token_secret(), true),
        };
    let mut resp = html_response(login_form(&ctx, &csrf, next.as_deref(), "", None));
    if fresh {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(LOGIN_COOKIE, &csrf, None, st.config.console.secure_cookies),
        );
    }
    resp
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// A sign-in attempt: throttled per client address, then per account (see `auth`).
async fn sign_in(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    req_parts: RequestInfo,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let csrf = req_parts.login_csrf.unwrap_or_default();
    let next = next_page(form.next.as_deref());
    let again = |status: StatusCode, message: String| {
        let mut resp = html_response(login_form(
            &ctx,
            &csrf,
            next.as_deref(),
            &form.username,
            Some(message),
        ));
        *resp.status_mut() = status;
        resp
    };
    if let Err(wait) = st.sign_in_limiter.check(req_parts.ip) {
        tracing::warn!(ip = %req_parts.ip, "sign-in attempts throttled");
        let mut resp = again(
            StatusCode::TOO_MANY_REQUESTS,
            lang.tf("login-throttled", &[("seconds", wait.into())]),
        );
        if let Ok(v) = wait.to_string().parse() {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(resp);
    }
    let store = st.store.clone();
    let lockout = st.config.console.lockout();
    let policy = st.config.console.session_policy();
    let (name, password, code) = (
        form.username.clone(),
        form.password.clone(),
        form.code.clone(),
    );
    let outcome = tokio::task::spawn_blocking(move || {
        match store.sign_in_blocking(&name, &password, Some(&code), lockout)? {
            SignIn::Accepted(user) => {
                let s = store.start_session_blocking(user.id, &user.name, policy)?;
                Ok::<_, StoreError>(Ok((user, s)))
            }
            other => Ok(Err(other)),
        }
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?
    .map_err(|e| PageError::store(lang, e))?;
    match outcome {
        Ok((user, session)) => {
            let to = next.unwrap_or_else(|| {
                if user.password_must_change {
                    "/account/password".into()
                } else if must_enrol(&st, &user) {
                    "/account/totp".into()
                } else {
                    crate::console::landing(user.role).into()
                }
            });
            let secure = st.config.console.secure_cookies;
            let mut resp = see_other(&to);
            let h = resp.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.secret, None, secure),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, "", Some(0), secure),
            );
            Ok(resp)
        }
        Err(SignIn::Locked { until }) => {
            let mut resp = again(
                StatusCode::TOO_MANY_REQUESTS,
                lang.tf("login-locked", &[("until", wib(until).into())]),
            );
            // Whole seconds until the lock lapses, at least one.
            let secs = ((until - st.store.now_ms()).max(0) + 999) / 1000;
            if let Ok(v) = header::HeaderValue::from_str(&secs.max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(resp)
        }
        Err(SignIn::CodeRequired) => Ok(again(
            StatusCode::UNAUTHORIZED,
            lang.t("login-code-required"),
        )),
        Err(_) => Ok(again(StatusCode::UNAUTHORIZED, lang.t("login-refused"))),
    }
}

/// What a sign-in needs of the request besides its form: the client's address and the
/// form's CSRF cookie (to render the form again).
struct RequestInfo {
    ip: std::net::IpAddr,
    login_csrf: Option<String>,
}

impl axum::extract::FromRequestParts<Arc<AppState>> for RequestInfo {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &Arc<AppState>,
    ) -> Result<Self, PageError> {
        Ok(RequestInfo {
            ip: crate::rate_limit::client_ip(&st.config, &parts.extensions, &parts.headers),
            login_csrf: cookie(&parts.headers, LOGIN_COOKIE).map(str::to_string),
        })
    }
}

#[derive(Deserialize)]
struct Empty {}

/// Sign-out: ends the session in the store (audited) and forgets the cookie.
async fn sign_out(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE).map(str::to_string) {
        let store = st.store.clone();
        match tokio::task::spawn_blocking(move || store.end_session_blocking(&secret))
            .await
            .map_err(|e| PageError::join(ctx.lang, &e))?
        {
            Ok(()) | Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(PageError::store(ctx.lang, e)),
        }
    }
    let mut resp = see_other("/login");
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            "",
            Some(0),
            st.config.console.secure_cookies,
        ),
    );
    Ok(resp)
}

/// The signed-in user's account.
async fn account(ctx: Ctx, viewer: Viewer) -> Response {
    let lang = ctx.lang;
    let u = &viewer.user;
    html_response(page(
        &ctx,
        &lang.t("account-title"),
        html! {
            dl.facts {
                dt { (lang.t("login-username")) } dd { (u.name) }
                dt { (lang.t("account-role")) } dd { (lang.t(role_key(u.role))) }
                @if let Some(p) = &u.platform { dt { (lang.t("account-platform")) } dd { (p) } }
                @if let Some(unit) = &u.unit { dt { (lang.t("account-unit")) } dd { (unit) } }
            }
            @if !STAFF.contains(&u.role) {
                p { (lang.t("account-portal-elsewhere")) }
            }
            p { a href="/account/password" { (lang.t("password-title")) } }
            p { a href="/account/totp" { (lang.t("totp-title")) } " · "
                @if u.totp { (lang.t("totp-on")) } @else { (lang.t("totp-off")) } }
        },
    ))
}

/// Whether a user must set up a second factor before anything else.
pub fn must_enrol(st: &AppState, user: &ronda_store::users::User) -> bool {
    st.config.console.require_totp_for_admins
        && user.role == ronda_core::model::Role::Admin
        && !user.totp
}

fn totp_form(ctx: &Ctx, secret: &str, error: Option<String>) -> Markup {
    let lang = ctx.lang;
    let (name, on) = ctx.viewer.as_ref().map_or((String::new(), false), |v| {
        (v.user.name.clone(), v.user.totp)
    });
    let bytes = ronda_core::totp::base32_decode(secret).unwrap_or_default();
    let uri = ronda_core::totp::otpauth_uri("Ronda", &name, &bytes);
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    page(
        ctx,
        &lang.t("totp-title"),
        html! {
            @if on {
                p.notice role="status" id="totp-state" { (lang.t("totp-on-long")) }
            } @else {
                @if ctx.viewer.as_ref().is_some_and(|v| v.user.role == ronda_core::model::Role::Admin) {
                    p { (lang.t("totp-admins")) }
                }
                @if let Some(e) = error { p.alert role="alert" id="totp-error" { (e) } }
                ol {
                    li { (lang.t("totp-step-1")) }
                    li { (lang.t("totp-step-2")) " " code.secret id="totp-secret" { (grouped.join(" ")) }
                        p.hint { (lang.t("totp-uri")) " " code.target { (uri) } } }
                    li { (lang.t("totp-step-3")) }
                }
                form.stack method="post" action="/account/totp" {
                    (ctx.csrf_field())
                    input type="hidden" name="secret" value=(secret);
                    label for="code" { (lang.t("login-code")) }
                    input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required;
                    button.primary type="submit" id="totp-enable" { (lang.t("totp-enable")) }
                }
            }
        },
    )
}

async fn totp_page(ctx: Ctx) -> Response {
    let mut bytes = [0_u8; ronda_core::totp::SECRET_BYTES];
    rand_bytes(&mut bytes);
    html_response(totp_form(
        &ctx,
        &ronda_core::totp::base32_encode(&bytes),
        None,
    ))
}

/// Random bytes for a new secret (the thread's CSPRNG, seeded by the OS).
fn rand_bytes(out: &mut [u8]) {
    use rand::RngCore;
    rand::rng().fill_bytes(out);
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

async fn enable_totp(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<TotpForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let store = st.store.clone();
    let (id, secret, code) = (viewer.user.id, form.secret.clone(), form.code.clone());
    let done = tokio::task::spawn_blocking(move || store.enable_totp_blocking(id, &secret, &code))
        .await
        .map_err(|e| PageError::join(lang, &e))?;
    match done {
        Ok(()) => Ok(see_other("/")),
        Err(StoreError::Invalid(_)) => {
            let mut resp = html_response(totp_form(
                &ctx,
                &form.secret,
                Some(lang.t("totp-wrong-code")),
            ));
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(PageError::store(lang, e)),
    }
}

fn password_form(ctx: &Ctx, error: Option<String>) -> Markup {
    let lang = ctx.lang;
    let must = ctx
        .viewer
        .as_ref()
        .is_some_and(|v| v.user.password_must_change);
    page(
        ctx,
        &lang.t("password-title"),
        html! {
            @if must { p.notice { (lang.t("password-must-change")) } }
            @if let Some(e) = error { p.alert role="alert" { (e) } }
            form.stack method="post" action="/account/password" {
                (ctx.csrf_field())
                label for="current_password" { (lang.t("password-current")) }
                input id="current_password" name="current_password" type="password" autocomplete="current-password" required;
                label for="new_password" { (lang.t("password-new")) }
                input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="pw-hint";
                p.hint id="pw-hint" { (lang.t("password-hint")) }
                label for="repeat_password" { (lang.t("password-repeat")) }
                input id="repeat_password" name="repeat_password" type="password" autocomplete="new-password" required;
                button type="submit" { (lang.t("password-submit")) }
            }
        },
    )
}

async fn password_page(ctx: Ctx) -> Response {
    html_response(password_form(&ctx, None))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

async fn change_password(
    State(st): State<Arc<AppState>>,
    ctx: Ctx,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let lang = ctx.lang;
    let refuse = |message: String| {
        let mut resp = html_response(password_form(&ctx, Some(message)));
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(resp)
    };
    if form.new_password != form.repeat_password {
        return refuse(lang.t("password-mismatch"));
    }
    let store = st.store.clone();
    let (user_id, session_id) = (viewer.user.id, viewer.session.id);
    let done = tokio::task::spawn_blocking(move || {
        store.change_own_password_blocking(
            user_id,
            session_id,
            &form.current_password,
            &form.new_password,
        )
    })
    .await
    .map_err(|e| PageError::join(lang, &e))?;
    match done {
        Ok(()) => Ok(see_other("/")),
        Err(StoreError::Invalid(f)) => refuse(match (f.field.as_str(), f.code) {
            ("current_password", _) => lang.t("password-wrong-current"),
            (_, "too_short") => lang.t("password-too-short"),
            (_, "too_long") => lang.t("password-too-long"),
            ("new_password", _) => lang.t("password-same"),
            _ => f.message,
        }),
        Err(e) => Err(PageError::store(lang, e)),
    }
}

impl IntoResponse for Empty {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}
