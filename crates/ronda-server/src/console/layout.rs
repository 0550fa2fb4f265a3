//! The frame every console page shares — the header with the navigation the viewer's role
//! may use, the language switch and sign-out — and the pages of failures (`PageError`), in the
//! viewer's language. Templates are `maud`'s: every value is escaped unless it is wrapped in
//! `PreEscaped`, which the console never does with data.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use ronda_core::model::Role;
use ronda_store::StoreError;

use crate::console::auth::Viewer;
use crate::console::i18n::Lang;
use crate::state::AppState;

/// What every page knows about its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub viewer: Option<Viewer>,
    /// The path and query of this page (the language switch comes back to it).
    pub here: String,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _st: &Arc<AppState>) -> Result<Self, PageError> {
        Ok(Ctx {
            lang: parts.extensions.get::<Lang>().copied().unwrap_or_default(),
            viewer: parts.extensions.get::<Viewer>().cloned(),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
        })
    }
}

impl Ctx {
    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> &str {
        self.viewer
            .as_ref()
            .map_or("", |v| v.session.csrf_token.as_str())
    }

    /// A hidden CSRF field for a form.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf()); }
    }
}

/// The pages of the navigation, by the roles that may open them.
const NAV: &[(&str, &str, &[Role])] = &[
    ("/queue", "nav-queue", crate::console::STAFF),
    ("/notices", "nav-notices", crate::console::STAFF),
    ("/approvals", "nav-approvals", crate::console::LEADS),
    ("/banks", "nav-banks", crate::console::STAFF),
    ("/patrol", "nav-patrol", crate::console::STAFF),
    ("/stats", "nav-stats", crate::console::STAFF),
    ("/search", "nav-search", crate::console::STAFF),
    ("/referrals", "nav-referrals", crate::console::STAFF),
    ("/admin/users", "nav-users", crate::console::ADMINS),
    ("/admin/tokens", "nav-tokens", crate::console::ADMINS),
    ("/admin/platforms", "nav-platforms", crate::console::ADMINS),
    ("/platform", "nav-portal-notices", crate::console::PLATFORMS),
    (
        "/platform/webhook",
        "nav-portal-webhook",
        crate::console::PLATFORMS,
    ),
    ("/police", "nav-police-referrals", crate::console::POLICE),
    (
        "/police/verify",
        "nav-police-verify",
        crate::console::POLICE,
    ),
];

/// The navigation of someone not signed in: the public's pages.
const PUBLIC_NAV: &[(&str, &str)] = &[
    ("/lapor", "nav-report"),
    ("/lapor/status", "nav-report-status"),
];

/// A whole page: `title` in the browser's tab and as the heading, `body` inside `<main>`.
pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    // The navigation entry this page is under: the longest that prefixes its path.
    let current = NAV
        .iter()
        .map(|(href, _, _)| *href)
        .filter(|href| ctx.here.starts_with(href))
        .max_by_key(|href| href.len());
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ronda" }
                link rel="stylesheet" href="/static/console.css";
                script src="/static/console.js" defer {}
            }
            body data-countdown-left=(lang.tf("countdown-left", &[("time", "%s".into())])) data-countdown-overdue=(lang.tf("countdown-overdue", &[("time", "%s".into())])) {
                a.skip href="#main" { (lang.t("skip-to-content")) }
                header.top {
                    a.brand href="/" { "Ronda" }
                    @if let Some(v) = &ctx.viewer {
                        nav aria-label=(lang.t("nav-label")) {
                            ul {
                                @for (href, key, roles) in NAV {
                                    @if roles.contains(&v.role()) {
                                        li { a href=(href) aria-current=[(current == Some(*href)).then_some("page")] { (lang.t(key)) } }
                                    }
                                }
                            }
                        }
                    } @else {
                        nav aria-label=(lang.t("nav-label")) {
                            ul {
                                @for (href, key) in PUBLIC_NAV {
                                    li { a href=(href) aria-current=[(ctx.here.split('?').next() == Some(*href)).then_some("page")] { (lang.t(key)) } }
                                }
                            }
                        }
                    }
                    div.tools {
                        (language_switch(ctx))
                        @if let Some(v) = &ctx.viewer {
                            span.who { (v.user.name) " · " (lang.t(role_key(v.role()))) }
                            form.inline method="post" action="/logout" {
                                (ctx.csrf_field())
                                button type="submit" { (lang.t("sign-out")) }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn language_switch(ctx: &Ctx) -> Markup {
    let back = url_component(&ctx.here);
    html! {
        ul.lang aria-label=(ctx.lang.t("language")) {
            @for l in Lang::ALL {
                li {
                    @if l == ctx.lang {
                        span aria-current="true" lang=(l.code()) { (l.name()) }
                    } @else {
                        a href={ "/lang?to=" (l.code()) "&back=" (back) } lang=(l.code()) hreflang=(l.code()) { (l.name()) }
                    }
                }
            }
        }
    }
}

/// `s` percent-encoded for a query value.
pub fn url_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn role_key(r: Role) -> &'static str {
    match r {
        Role::Admin => "role-admin",
        Role::Supervisor => "role-supervisor",
        Role::Analyst => "role-analyst",
        Role::Intake => "role-intake",
        Role::Police => "role-police",
        Role::Platform => "role-platform",
    }
}

/// A page answer that is not the page: a redirect, or a failure shown in the viewer's language.
#[derive(Debug)]
pub enum PageError {
    /// 303 See Other to a local path.
    Redirect(String),
    Failure {
        status: StatusCode,
        lang: Lang,
        /// The message key of the heading.
        key: &'static str,
        /// What the store or the check said, shown below it.
        detail: Option<String>,
    },
}

impl PageError {
    pub fn new(status: StatusCode, lang: Lang, key: &'static str) -> PageError {
        PageError::Failure {
            status,
            lang,
            key,
            detail: None,
        }
    }

    pub fn bad_request(lang: Lang, key: &'static str) -> PageError {
        PageError::new(StatusCode::BAD_REQUEST, lang, key)
    }

    pub fn bad_request_detail(lang: Lang, key: &'static str, detail: String) -> PageError {
        PageError::Failure {
            status: StatusCode::BAD_REQUEST,
            lang,
            key,
            detail: Some(detail),
        }
    }

    pub fn forbidden(lang: Lang, key: &'static str) -> PageError {
        PageError::new(StatusCode::FORBIDDEN, lang, key)
    }

    pub fn not_found(lang: Lang) -> PageError {
        PageError::new(StatusCode::NOT_FOUND, lang, "error-not-found")
    }

    /// A store failure as the viewer reads it.
    pub fn store(lang: Lang, e: StoreError) -> PageError {
        let (status, key, detail) = match e {
            StoreError::NotFound(_) => (StatusCode::NOT_FOUND, "error-not-found", None),
            StoreError::Conflict(m) => (StatusCode::CONFLICT, "error-conflict", Some(m)),
            StoreError::IllegalTransition(t) => (
                StatusCode::CONFLICT,
                "error-transition",
                Some(t.to_string()),
            ),
            StoreError::Invalid(f) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "error-invalid",
                Some(f.message),
            ),
            e if e.is_busy() => (StatusCode::SERVICE_UNAVAILABLE, "error-busy", None),
            other => {
                tracing::error!(error = %other, "store error on a console page");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal", None)
            }
        };
        PageError::Failure {
            status,
            lang,
            key,
            detail,
        }
    }

    pub fn join(lang: Lang, e: &tokio::task::JoinError) -> PageError {
        tracing::error!(error = %e, "blocking task failed on a console page");
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, lang, "error-internal")
    }
}

/// A redirect to a local path (303: the browser follows with a GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => see_other(&to),
            PageError::Failure {
                status,
                lang,
                key,
                detail,
            } => {
                let ctx = Ctx {
                    lang,
                    viewer: None,
                    here: "/".into(),
                };
                let body = html! {
                    @if let Some(d) = &detail { p.detail { (d) } }
                    p { a href="/" { (lang.t("error-back")) } }
                };
                let title = lang.t(key);
                (status, html_response(page(&ctx, &title, body))).into_response()
            }
        }
    }
}

/// A rendered page as a response.
/// Runs a blocking store call off the async threads; a store error becomes its page.
pub async fn store_call<T: Send + 'static>(
    lang: Lang,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PageError::join(lang, &e))?
        .map_err(|e| PageError::store(lang, e))
}

pub fn html_response(m: Markup) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        m.into_string(),
    )
        .into_response()
}

/// An instant as the team reads it: `2026-12-07 09:16 WIB`.
pub fn wib(ms: i64) -> String {
    ronda_core::wib::to_jakarta(ms)
}
