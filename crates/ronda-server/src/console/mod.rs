//! The team's console: server-rendered pages that `ronda serve` itself serves, in Indonesian
//! (the default) or English, for people signed in with a password.
//!
//! Decisions:
//! - **Pages are HTML rendered on the server** (`maud` templates, escaped by construction)
//!   with one small script of our own (`static/console.js`) for keyboard moves and live
//!   countdowns; every page works without it. No front-end build, no third-party origin.
//! - **Pages call the same services as the API**, with the same checks, and every action is
//!   audited under `user:<name>` exactly as its API counterpart is under its token.
//! - **Who may open what** is [`PAGES`], one entry per route, enforced by [`authorize`] after
//!   routing (deny by default, as the API's `permissions::TABLE`): a page without an entry is
//!   refused to everyone.
//! - **The page itself is hardened** ([`security_headers`]): a Content-Security-Policy
//!   without inline script or style and without any other origin, `X-Frame-Options: DENY`,
//!   `Referrer-Policy: same-origin`, `nosniff`, and `Cache-Control: no-store` on pages.

pub mod actors;
pub mod admin;
pub mod approvals;
pub mod auth;
pub mod banks;
pub mod case;
pub mod highlight;
pub mod i18n;
pub mod lapor;
pub mod layout;
pub mod login;
pub mod notices;
pub mod patrol;
pub mod platform;
pub mod police;
pub mod queue;
pub mod referrals;
pub mod search;
pub mod stats;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ronda_core::model::Role;
use serde::Deserialize;

use crate::console::auth::{Viewer, viewer_of};
use crate::console::i18n::{LANG_COOKIE, Lang};
use crate::console::layout::{PageError, see_other};
use crate::state::AppState;

use Role::{Admin, Analyst, Platform, Police, Supervisor};

/// The ministry's team.
pub const STAFF: &[Role] = &[Admin, Supervisor, Analyst];
/// Those who approve, resolve disputes and reopen.
pub const LEADS: &[Role] = &[Admin, Supervisor];
/// Those who manage people, tokens and platforms.
pub const ADMINS: &[Role] = &[Admin];
/// A platform's trust-and-safety staff (the platform portal).
pub const PLATFORMS: &[Role] = &[Platform];
/// Police investigators (the police portal).
pub const POLICE: &[Role] = &[Police];
/// Those who read how to verify an evidence bundle and the key it is signed with.
pub const BUNDLE_READERS: &[Role] = &[Admin, Supervisor, Analyst, Police];

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAccess {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user of one of these roles.
    Roles(&'static [Role]),
}

/// One page's entry: method, route template, access.
pub type PageEntry = (&'static str, &'static str, PageAccess);

/// Every console route and who may use it.
pub const PAGES: &[PageEntry] = &[
    ("GET", "/", PageAccess::Public),
    ("GET", "/static/{file}", PageAccess::Public),
    ("GET", "/lang", PageAccess::Public),
    ("GET", "/login", PageAccess::Public),
    ("POST", "/login", PageAccess::Public),
    ("POST", "/logout", PageAccess::SignedIn),
    ("GET", "/lapor", PageAccess::Public),
    ("POST", "/lapor", PageAccess::Public),
    ("GET", "/lapor/status", PageAccess::Public),
    ("POST", "/lapor/status", PageAccess::Public),
    ("GET", "/account", PageAccess::SignedIn),
    ("GET", "/account/password", PageAccess::SignedIn),
    ("POST", "/account/password", PageAccess::SignedIn),
    ("GET", "/account/totp", PageAccess::SignedIn),
    ("POST", "/account/totp", PageAccess::SignedIn),
    ("GET", "/queue", PageAccess::Roles(STAFF)),
    ("POST", "/queue/next", PageAccess::Roles(STAFF)),
    ("GET", "/cases/{id}", PageAccess::Roles(STAFF)),
    ("POST", "/cases/{id}/claim", PageAccess::Roles(STAFF)),
    ("POST", "/cases/{id}/release", PageAccess::Roles(STAFF)),
    ("POST", "/cases/{id}/decision", PageAccess::Roles(STAFF)),
    ("GET", "/actors/{id}", PageAccess::Roles(STAFF)),
    ("POST", "/actors/{id}/decision", PageAccess::Roles(STAFF)),
    ("GET", "/notices", PageAccess::Roles(STAFF)),
    ("GET", "/search", PageAccess::Roles(STAFF)),
    ("GET", "/stats", PageAccess::Roles(STAFF)),
    ("GET", "/stats.csv", PageAccess::Roles(STAFF)),
    ("GET", "/stats/transparency.html", PageAccess::Roles(LEADS)),
    ("GET", "/banks", PageAccess::Roles(STAFF)),
    ("POST", "/banks/import", PageAccess::Roles(LEADS)),
    ("POST", "/banks/match", PageAccess::Roles(STAFF)),
    ("GET", "/patrol", PageAccess::Roles(STAFF)),
    ("POST", "/patrol/watchlists", PageAccess::Roles(LEADS)),
    (
        "POST",
        "/patrol/watchlists/{id}/enable",
        PageAccess::Roles(LEADS),
    ),
    (
        "POST",
        "/patrol/watchlists/{id}/disable",
        PageAccess::Roles(LEADS),
    ),
    (
        "POST",
        "/patrol/watchlists/{id}/robots",
        PageAccess::Roles(ADMINS),
    ),
    ("GET", "/approvals", PageAccess::Roles(LEADS)),
    ("GET", "/admin/users", PageAccess::Roles(ADMINS)),
    ("POST", "/admin/users", PageAccess::Roles(ADMINS)),
    (
        "POST",
        "/admin/users/{name}/disable",
        PageAccess::Roles(ADMINS),
    ),
    (
        "POST",
        "/admin/users/{name}/reset",
        PageAccess::Roles(ADMINS),
    ),
    ("GET", "/admin/tokens", PageAccess::Roles(ADMINS)),
    ("POST", "/admin/tokens", PageAccess::Roles(ADMINS)),
    (
        "POST",
        "/admin/tokens/{id}/revoke",
        PageAccess::Roles(ADMINS),
    ),
    ("GET", "/admin/platforms", PageAccess::Roles(ADMINS)),
    ("POST", "/admin/platforms", PageAccess::Roles(ADMINS)),
    ("GET", "/admin/platforms/{name}", PageAccess::Roles(ADMINS)),
    (
        "POST",
        "/admin/platforms/{name}/webhook",
        PageAccess::Roles(ADMINS),
    ),
    (
        "POST",
        "/admin/platforms/{name}/notice-email",
        PageAccess::Roles(ADMINS),
    ),
    ("POST", "/cases/{id}/approval", PageAccess::Roles(LEADS)),
    ("GET", "/platform", PageAccess::Roles(PLATFORMS)),
    ("GET", "/platform/notices.csv", PageAccess::Roles(PLATFORMS)),
    (
        "GET",
        "/platform/notices/{id}",
        PageAccess::Roles(PLATFORMS),
    ),
    (
        "POST",
        "/platform/notices/{id}/response",
        PageAccess::Roles(PLATFORMS),
    ),
    ("GET", "/platform/webhook", PageAccess::Roles(PLATFORMS)),
    ("POST", "/platform/webhook", PageAccess::Roles(PLATFORMS)),
    (
        "POST",
        "/platform/webhook/rotate",
        PageAccess::Roles(PLATFORMS),
    ),
    (
        "POST",
        "/platform/notice-email",
        PageAccess::Roles(PLATFORMS),
    ),
    ("GET", "/police", PageAccess::Roles(POLICE)),
    ("GET", "/police/verify", PageAccess::Roles(BUNDLE_READERS)),
    (
        "GET",
        "/police/public-key.txt",
        PageAccess::Roles(BUNDLE_READERS),
    ),
    ("GET", "/police/referrals/{id}", PageAccess::Roles(POLICE)),
    (
        "POST",
        "/police/referrals/{id}/status",
        PageAccess::Roles(POLICE),
    ),
    (
        "POST",
        "/police/referrals/{id}/questions",
        PageAccess::Roles(POLICE),
    ),
    (
        "GET",
        "/police/referrals/{id}/evidence.zip",
        PageAccess::Roles(POLICE),
    ),
    ("GET", "/referrals", PageAccess::Roles(STAFF)),
    ("POST", "/referrals", PageAccess::Roles(STAFF)),
    (
        "POST",
        "/referrals/questions/{id}/answer",
        PageAccess::Roles(STAFF),
    ),
];

/// Pages a user whose password must change may still open.
const BEFORE_PASSWORD_CHANGE: &[&str] =
    &["/account/password", "/logout", "/static/{file}", "/lang"];
/// Pages an admin who must set up a second factor may still open.
const BEFORE_ENROLMENT: &[&str] = &["/account/totp", "/logout", "/static/{file}", "/lang"];

pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/static/{file}", get(asset))
        .route("/lang", get(switch_language))
        .merge(login::router())
        .merge(lapor::router())
        .merge(queue::router())
        .merge(case::router())
        .merge(approvals::router())
        .merge(actors::router())
        .merge(notices::router())
        .merge(search::router())
        .merge(banks::router(state))
        .merge(patrol::router())
        .merge(stats::router())
        .merge(admin::router())
        .merge(platform::router())
        .merge(police::router())
        .merge(referrals::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(middleware::from_fn(security_headers))
}

fn entry(method: &Method, template: &str) -> Option<PageAccess> {
    PAGES
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == template)
        .map(|(_, _, a)| *a)
}

/// Settles the request's language and viewer, then lets it through when [`PAGES`] allows it:
/// signed out → the sign-in page (coming back here after); signed in without the role → 403.
pub async fn authorize(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let lang = Lang::negotiate(
        auth::cookie(req.headers(), LANG_COOKIE),
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    req.extensions_mut().insert(lang);
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let Some(access) = entry(req.method(), &template) else {
        if PAGES.iter().any(|(_, p, _)| *p == template) {
            return next.run(req).await;
        }
        tracing::error!(route = %template, "console route has no access entry");
        return PageError::forbidden(lang, "error-forbidden").into_response();
    };
    let viewer = match viewer_of(&st, req.headers()).await {
        Ok(v) => v,
        Err(e) => return PageError::store(lang, e).into_response(),
    };
    if let Some(v) = &viewer {
        req.extensions_mut().insert(v.clone());
    }
    match (access, viewer) {
        (PageAccess::Public, _) => next.run(req).await,
        (_, None) => {
            let here = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            let next_page = if req.method() == Method::GET {
                here
            } else {
                "/".into()
            };
            see_other(&format!(
                "/login?next={}",
                layout::url_component(&next_page)
            ))
        }
        (_, Some(v))
            if v.user.password_must_change
                && !BEFORE_PASSWORD_CHANGE.contains(&template.as_str()) =>
        {
            see_other("/account/password")
        }
        (_, Some(v))
            if login::must_enrol(&st, &v.user)
                && !BEFORE_ENROLMENT.contains(&template.as_str()) =>
        {
            see_other("/account/totp")
        }
        (PageAccess::SignedIn, Some(_)) => next.run(req).await,
        (PageAccess::Roles(roles), Some(v)) if roles.contains(&v.role()) => next.run(req).await,
        (PageAccess::Roles(_), Some(_)) => {
            PageError::forbidden(lang, "error-forbidden").into_response()
        }
    }
}

/// The Content-Security-Policy of every console answer: our own origin only, no inline
/// script or style, no framing, forms posting only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every console answer (see the module docs).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// `/`: where [`landing`] sends the viewer's role (the queue, a portal, the account page),
/// sign-in when signed out.
async fn home(viewer: Option<axum::Extension<Viewer>>) -> Response {
    match viewer {
        Some(axum::Extension(v)) => see_other(landing(v.role())),
        None => see_other("/login"),
    }
}

/// Where a user of `role` starts: the team's queue, a platform's notices, the police's
/// referrals, else their account.
pub fn landing(role: Role) -> &'static str {
    if STAFF.contains(&role) {
        "/queue"
    } else if PLATFORMS.contains(&role) {
        "/platform"
    } else if POLICE.contains(&role) {
        "/police"
    } else {
        "/account"
    }
}

const CONSOLE_CSS: &str = include_str!("../../static/console.css");
const CONSOLE_JS: &str = include_str!("../../static/console.js");

/// The console's own stylesheet and script, compiled into the binary.
async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CONSOLE_CSS, "text/css; charset=utf-8"),
        "console.js" => (CONSOLE_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
struct SwitchQuery {
    to: String,
    #[serde(default)]
    back: Option<String>,
}

/// `/lang?to=en&back=/queue`: keeps the chosen language in a cookie (a year) and goes back to
/// the page, which must be a local path.
async fn switch_language(
    State(st): State<Arc<AppState>>,
    q: Result<Query<SwitchQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return see_other("/");
    };
    let back = q
        .back
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/".into());
    let mut resp = see_other(&back);
    if let Some(l) = Lang::parse(&q.to) {
        resp.headers_mut().append(
            header::SET_COOKIE,
            auth::set_cookie(
                LANG_COOKIE,
                l.code(),
                Some(365 * 24 * 3600),
                st.config.console.secure_cookies,
            ),
        );
    }
    resp
}

/// A path on this site (`/queue?x=1`), never another origin (`//evil`, `/\evil`, `https:`).
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_back() {
        assert!(is_local_path("/queue?category=gambling"));
        for bad in [
            "//evil.example",
            "/\\evil",
            "https://x",
            "queue",
            "/a\nb",
            "",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }

    #[test]
    fn every_page_has_one_entry() {
        for (i, (m, p, _)) in PAGES.iter().enumerate() {
            assert!(
                !PAGES[i + 1..].iter().any(|(m2, p2, _)| m == m2 && p == p2),
                "{m} {p} twice"
            );
        }
    }
}
