//! Who may call what: the one permission table of the HTTP API, and the layer that enforces it.
//!
//! Every route has exactly one entry in [`TABLE`] (method and route template, relative to
//! `/api/v1`). [`authorize`] runs after routing and before any extractor of the handler, so a
//! caller without the role is refused with 401/403 before its body is even parsed, and a route
//! without an entry is refused for everyone (deny by default: a new route cannot ship
//! unguarded — its own tests fail). Handlers keep only the finer scoping a role implies (a
//! platform sees its own cases, the police what was referred to them, reporter identity for
//! supervisors), described in each entry's `scope` text.
//!
//! The README's role matrix is [`markdown`]'s output (a test keeps them equal), and a test calls
//! every entry with every role and none, so the table, the docs and the behaviour cannot part.
//!
//! Decisions recorded here, least privilege first:
//! - Police read only what was referred to them: a referral of one case opens that case (its
//!   phone and bank numbers masked; full numbers are in the signed bundle), not its actor; a
//!   referral of an actor opens the actor and its cases.
//! - Platforms read their own cases without rule ids, scores per rule, bank names or labels:
//!   what the notice says, not how the team finds it.
//! - Intake tokens (the patrol crawler) may record a re-check of a removal: re-visiting the
//!   address is the crawler's job. A re-check applies only to a case whose platform claimed a
//!   removal, or that is still online or escalated; it decides nothing else.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ronda_core::model::Role;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token (rate limits may apply).
    Public,
    /// Any valid token.
    AnyToken,
    /// A token of one of these roles.
    Roles(&'static [Role]),
    /// `/metrics`: admin and supervisor tokens, or anyone when `metrics_public = true`.
    Metrics,
}

/// One endpoint's entry.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub method: &'static str,
    /// The route template relative to `/api/v1` (`{id}` for a path parameter).
    pub path: &'static str,
    pub access: Access,
    /// What the handler narrows further for some roles; empty when nothing.
    pub scope: &'static str,
}

impl Permission {
    /// Whether a caller with `role` (`None`: no token) passes this entry, given whether
    /// metrics are public.
    pub fn allows(&self, role: Option<Role>, metrics_public: bool) -> bool {
        match self.access {
            Access::Public => true,
            Access::AnyToken => role.is_some(),
            Access::Roles(roles) => role.is_some_and(|r| roles.contains(&r)),
            Access::Metrics => metrics_public || role.is_some_and(|r| METRICS.contains(&r)),
        }
    }
}

use Role::{Admin, Analyst, Intake, Platform, Police, Supervisor};

const STAFF: &[Role] = &[Admin, Supervisor, Analyst];
const LEADS: &[Role] = &[Admin, Supervisor];
const METRICS: &[Role] = LEADS;
const SUBMITTERS: &[Role] = &[Admin, Supervisor, Analyst, Intake, Police, Platform];

const fn p(
    method: &'static str,
    path: &'static str,
    access: Access,
    scope: &'static str,
) -> Permission {
    Permission {
        method,
        path,
        access,
        scope,
    }
}

const OWN_PLATFORM: &str = "platform: its own platform's only (another's is a 404)";

/// Every endpoint of the API, in the README's order.
pub const TABLE: &[Permission] = &[
    p(
        "POST",
        "/reports",
        Access::Roles(SUBMITTERS),
        "police report as `police`; platform as `platform`, about its own platform",
    ),
    p(
        "POST",
        "/reports:batch",
        Access::Roles(SUBMITTERS),
        "as `POST /reports`",
    ),
    p(
        "GET",
        "/cases",
        Access::Roles(&[Admin, Supervisor, Analyst, Platform]),
        "platform: its own cases, without rule ids, bank names or labels",
    ),
    p("GET", "/cases.csv", Access::Roles(STAFF), ""),
    p(
        "GET",
        "/cases/{id}",
        Access::Roles(&[Admin, Supervisor, Analyst, Platform, Police]),
        "platform: its own cases, without rule ids, bank names or labels; police: referred cases only, phone and bank numbers masked",
    ),
    p(
        "GET",
        "/cases/{id}/reports",
        Access::Roles(STAFF),
        "`reporter_identity=true`: admin and supervisor only (audited)",
    ),
    p(
        "GET",
        "/actors/{id}",
        Access::Roles(&[Admin, Supervisor, Analyst, Police]),
        "police: actors referred as actors only (a referral of one case does not open its actor), phone and bank numbers masked",
    ),
    p("GET", "/platforms", Access::AnyToken, ""),
    p("POST", "/platforms", Access::Roles(&[Admin]), ""),
    p("GET", "/queue", Access::Roles(STAFF), ""),
    p("GET", "/legal-bases", Access::AnyToken, ""),
    p(
        "POST",
        "/cases/{id}/claim",
        Access::Roles(STAFF),
        "a case held by another is a 409",
    ),
    p("DELETE", "/cases/{id}/claim", Access::Roles(STAFF), ""),
    p(
        "POST",
        "/cases/{id}/decision",
        Access::Roles(STAFF),
        "supervisor, admin: may override another's claim and confirm a child-safety case as another category",
    ),
    p(
        "POST",
        "/decisions:bulk",
        Access::Roles(STAFF),
        "as `POST /cases/{id}/decision`",
    ),
    p("GET", "/approvals", Access::Roles(LEADS), ""),
    p("POST", "/cases/{id}/approval", Access::Roles(LEADS), ""),
    p("POST", "/cases/{id}/dispute", Access::Roles(LEADS), ""),
    p("POST", "/cases/{id}/close", Access::Roles(STAFF), ""),
    p("POST", "/cases/{id}/reopen", Access::Roles(LEADS), ""),
    p("GET", "/watchlists", Access::Roles(STAFF), ""),
    p(
        "POST",
        "/watchlists",
        Access::Roles(LEADS),
        "`ignore_robots`: admin only (audited)",
    ),
    p("GET", "/watchlists/{id}", Access::Roles(STAFF), ""),
    p("POST", "/watchlists/{id}/enable", Access::Roles(LEADS), ""),
    p("POST", "/watchlists/{id}/disable", Access::Roles(LEADS), ""),
    p(
        "PUT",
        "/watchlists/{id}/robots",
        Access::Roles(&[Admin]),
        "audited",
    ),
    p("GET", "/patrol/frontier", Access::Roles(STAFF), ""),
    p("GET", "/banks", Access::Roles(STAFF), ""),
    p("POST", "/banks", Access::Roles(LEADS), ""),
    p("GET", "/banks/{name}", Access::Roles(STAFF), ""),
    p("PATCH", "/banks/{name}", Access::Roles(LEADS), ""),
    p("POST", "/banks/{name}/hashes", Access::Roles(LEADS), ""),
    p("GET", "/banks/{name}/hashes", Access::Roles(STAFF), ""),
    p(
        "POST",
        "/media/hash",
        Access::Roles(&[Admin, Supervisor, Analyst, Intake, Police]),
        "rate-limited per token",
    ),
    p(
        "POST",
        "/media/match",
        Access::Roles(&[Admin, Supervisor, Analyst, Intake]),
        "",
    ),
    p("GET", "/notices", Access::Roles(STAFF), ""),
    p("GET", "/notices/{id}", Access::Roles(STAFF), ""),
    p(
        "GET",
        "/platform/notices",
        Access::Roles(&[Platform]),
        OWN_PLATFORM,
    ),
    p(
        "GET",
        "/platform/notices/{id}",
        Access::Roles(&[Platform]),
        OWN_PLATFORM,
    ),
    p(
        "POST",
        "/platform/notices/{id}/response",
        Access::Roles(&[Platform]),
        OWN_PLATFORM,
    ),
    p(
        "PUT",
        "/platforms/{name}/webhook",
        Access::Roles(&[Admin, Platform]),
        OWN_PLATFORM,
    ),
    p(
        "GET",
        "/platforms/{name}/webhook/deliveries",
        Access::Roles(&[Admin, Platform]),
        OWN_PLATFORM,
    ),
    p(
        "POST",
        "/cases/{id}/recheck",
        Access::Roles(&[Admin, Supervisor, Analyst, Intake]),
        "intake: the patrol crawler re-visits removals; only a case whose removal was claimed, or that is still online or escalated",
    ),
    p("POST", "/admin/detection/reload", Access::Roles(LEADS), ""),
    p("GET", "/models", Access::Roles(LEADS), ""),
    p("GET", "/models/{id}", Access::Roles(LEADS), ""),
    p("POST", "/models/{id}/activate", Access::Roles(LEADS), ""),
    p("POST", "/models/{id}/shadow", Access::Roles(LEADS), ""),
    p("DELETE", "/models/shadow", Access::Roles(LEADS), ""),
    p("POST", "/models/rollback", Access::Roles(LEADS), ""),
    p("GET", "/stats", Access::Roles(STAFF), ""),
    p("POST", "/referrals", Access::Roles(STAFF), ""),
    p(
        "GET",
        "/referrals",
        Access::Roles(&[Admin, Supervisor, Analyst, Police]),
        "",
    ),
    p(
        "GET",
        "/referrals/{id}",
        Access::Roles(&[Admin, Supervisor, Analyst, Police]),
        "",
    ),
    p(
        "POST",
        "/referrals/{id}/status",
        Access::Roles(&[Admin, Police]),
        "",
    ),
    p(
        "GET",
        "/cases/{id}/evidence.zip",
        Access::Roles(&[Admin, Supervisor, Analyst, Police]),
        "police: referred cases only (others 404); reporter identity for admin and supervisor only",
    ),
    p(
        "GET",
        "/referrals/{id}/evidence.zip",
        Access::Roles(&[Admin, Supervisor, Analyst, Police]),
        "as above",
    ),
    p(
        "POST",
        "/public/reports",
        Access::Public,
        "rate-limited per client address",
    ),
    p(
        "GET",
        "/public/reports/{code}",
        Access::Public,
        "rate-limited per client address; the stage only",
    ),
    p(
        "GET",
        "/openapi.json",
        Access::Public,
        "the OpenAPI 3.1 document",
    ),
    p("GET", "/healthz", Access::Public, "also at the root"),
    p("GET", "/readyz", Access::Public, "also at the root"),
    p(
        "GET",
        "/metrics",
        Access::Metrics,
        "anyone when `metrics_public = true`; also at the root",
    ),
];

/// The entry for a route template (with or without the `/api/v1` prefix) and method; `HEAD`
/// is `GET`'s.
pub fn lookup(method: &Method, template: &str) -> Option<&'static Permission> {
    let path = template.strip_prefix("/api/v1").unwrap_or(template);
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    TABLE.iter().find(|e| e.path == path && e.method == method)
}

/// The role matrix as a Markdown table: one row per endpoint, one column per role and one for
/// callers without a token. The README holds this output verbatim.
pub fn markdown() -> String {
    let mut out = String::from("| endpoint |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str(" no token | narrower for some roles |\n|---|");
    for _ in 0..=Role::ALL.len() {
        out.push_str(":-:|");
    }
    out.push_str("---|\n");
    for e in TABLE {
        out.push_str(&format!("| `{} {}` |", e.method, e.path));
        let cells = Role::ALL.iter().map(|r| Some(*r)).chain([None]);
        for role in cells {
            let cell = match (e.access, role) {
                (Access::Metrics, None) => "config",
                _ if e.allows(role, false) => "✓",
                _ => "",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push_str(&format!(" {} |\n", e.scope.replace('|', "\\|")));
    }
    out
}

/// The layer enforcing [`TABLE`] (installed with `route_layer`, so routing has happened). The
/// caller it authenticates travels on in the request's extensions for the handler.
pub async fn authorize(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(template) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        tracing::error!(path = %req.uri().path(), "a routed request has no matched path");
        return ApiError::internal().into_response();
    };
    let Some(entry) = lookup(req.method(), &template) else {
        if TABLE
            .iter()
            .any(|e| template.strip_prefix("/api/v1").unwrap_or(&template) == e.path)
        {
            // Known path, other method: the router answers 405.
            return next.run(req).await;
        }
        tracing::error!(route = %template, method = %req.method(), "route has no permission entry");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this endpoint has no permission entry",
        )
        .into_response();
    };
    if entry.allows(None, st.config.metrics_public) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &st).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if !entry.allows(Some(caller.role()), st.config.metrics_public) {
        let allowed: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| entry.allows(Some(**r), false))
            .map(|r| r.as_str())
            .collect();
        return ApiError::forbidden(format!(
            "role `{}` may not do this; allowed: {}",
            caller.role(),
            allowed.join(", ")
        ))
        .into_response();
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_unique_and_well_formed() {
        for (i, e) in TABLE.iter().enumerate() {
            assert!(e.path.starts_with('/'), "{}", e.path);
            assert!(
                ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&e.method),
                "{}",
                e.method
            );
            assert!(
                !TABLE[..i]
                    .iter()
                    .any(|o| o.path == e.path && o.method == e.method),
                "duplicate entry {} {}",
                e.method,
                e.path
            );
        }
    }

    #[test]
    fn lookup_strips_the_prefix_and_reads_head_as_get() {
        let e = lookup(&Method::HEAD, "/api/v1/cases/{id}").map(|e| e.path);
        assert_eq!(e, Some("/cases/{id}"));
        assert!(lookup(&Method::POST, "/cases/{id}").is_none());
    }

    #[test]
    fn metrics_depend_on_the_configuration() {
        let m = lookup(&Method::GET, "/metrics").copied();
        let m = m.map(|m| (m.allows(None, false), m.allows(None, true)));
        assert_eq!(m, Some((false, true)));
    }
}
