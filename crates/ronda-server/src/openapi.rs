//! The API's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`.
//!
//! Every handler carries a `#[utoipa::path]` with its request and response types (the same
//! `#[derive(Serialize)]` structs it answers with, so the document cannot describe a body the
//! handler does not send) and the error codes it answers with itself. [`ApiDoc`] gathers them;
//! [`Shared`] then adds, from the one permission table ([`crate::permissions::TABLE`]), who may
//! call each operation and its bearer-token requirement, and the errors every operation can
//! answer with: 400 `invalid_value` (a path or query that is not UTF-8 or holds a control
//! character), 401/403 for a token that is missing or of the wrong role, 413/415/400 for a body
//! that is too large, not JSON or malformed, and 503 `unavailable`/`timeout`.
//!
//! A test checks that the document and the permission table name the same operations; the
//! test script runs schemathesis against a live server from this document.

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail};
use crate::permissions::{self, Access};
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ronda API",
        description = "The patrol team's API: intake, cases, review, notices, banks, referrals, \
                       statistics. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`; \
                       each operation lists the codes it answers with.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/api/v1")),
    paths(
        routes::reports::create,
        routes::reports::create_batch,
        routes::cases::list,
        routes::cases::list_csv,
        routes::cases::show,
        routes::cases::reports,
        routes::actors::show,
        routes::platforms::list,
        routes::platforms::create,
        routes::review::queue,
        routes::review::legal_bases,
        routes::review::claim,
        routes::review::release,
        routes::review::decide,
        routes::review::decide_bulk,
        routes::review::approvals,
        routes::review::approve,
        routes::review::dispute,
        routes::review::close,
        routes::review::reopen,
        routes::patrol::list,
        routes::patrol::create,
        routes::patrol::show,
        routes::patrol::enable,
        routes::patrol::disable,
        routes::patrol::robots,
        routes::patrol::frontier,
        routes::banks::list,
        routes::banks::create,
        routes::banks::show,
        routes::banks::update,
        routes::banks::add_hashes,
        routes::banks::export,
        routes::media::hash,
        routes::media::match_hashes,
        routes::notices::staff_list,
        routes::notices::staff_show,
        routes::notices::platform_list,
        routes::notices::platform_show,
        routes::notices::respond,
        routes::webhooks::register,
        routes::webhooks::deliveries,
        routes::notices::recheck,
        routes::admin::reload,
        routes::models::list,
        routes::models::show,
        routes::models::activate,
        routes::models::rollback,
        routes::models::shadow,
        routes::models::unshadow,
        routes::stats::stats,
        routes::referrals::create,
        routes::referrals::list,
        routes::referrals::show,
        routes::referrals::set_status,
        routes::evidence::case_bundle,
        routes::evidence::referral_bundle,
        routes::public::create,
        routes::public::status,
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        openapi_json,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Shared)
)]
pub struct ApiDoc;

/// The document, built once per call (it is small; the route caches nothing).
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// `GET /openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json")))]
pub async fn openapi_json() -> axum::Json<Document> {
    axum::Json(document())
}

const METHODS: &[(HttpMethod, &str)] = &[
    (HttpMethod::Get, "GET"),
    (HttpMethod::Post, "POST"),
    (HttpMethod::Put, "PUT"),
    (HttpMethod::Patch, "PATCH"),
    (HttpMethod::Delete, "DELETE"),
];

/// Adds what every operation shares; see the module docs.
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token: `ronda token create --role R`"))
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, name) in METHODS {
                let op = match method {
                    HttpMethod::Get => item.get.as_mut(),
                    HttpMethod::Post => item.post.as_mut(),
                    HttpMethod::Put => item.put.as_mut(),
                    HttpMethod::Patch => item.patch.as_mut(),
                    HttpMethod::Delete => item.delete.as_mut(),
                    _ => None,
                };
                let Some(op) = op else { continue };
                let entry = permissions::TABLE
                    .iter()
                    .find(|e| e.method == *name && e.path == path);
                shared_responses(op, entry.map(|e| e.access));
                if let Some(entry) = entry {
                    let who = who_may(entry.access);
                    let scope = if entry.scope.is_empty() {
                        String::new()
                    } else {
                        format!(" Scope: {}.", entry.scope)
                    };
                    let text = format!("**Who may call:** {who}.{scope}");
                    op.description = Some(match op.description.take() {
                        Some(d) if !d.is_empty() => format!("{d}\n\n{text}"),
                        _ => text,
                    });
                    if !matches!(entry.access, Access::Public) {
                        op.security = Some(vec![SecurityRequirement::new(
                            "bearer",
                            Vec::<String>::new(),
                        )]);
                    }
                }
            }
        }
    }
}

fn who_may(access: Access) -> String {
    match access {
        Access::Public => "anyone, without a token".to_string(),
        Access::AnyToken => "any valid token".to_string(),
        Access::Roles(roles) => roles
            .iter()
            .map(|r| format!("`{}`", r.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        Access::Metrics => {
            "`admin`, `supervisor` (anyone when `metrics_public = true`)".to_string()
        }
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "ErrorBody",
            )))),
        )
        .build()
        .into()
}

/// Adds a response for `status` unless the operation documents it itself; when it does, the
/// shared codes are appended to its description.
fn add(op: &mut Operation, status: &str, description: &str) {
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(own)) => {
            own.description = format!("{}; also {description}", own.description);
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            op.responses
                .responses
                .insert(status.to_string(), error_response(description));
        }
    }
}

fn shared_responses(op: &mut Operation, access: Option<Access>) {
    add(
        op,
        "400",
        "`invalid_value`: the path or query is not UTF-8 or holds a control character",
    );
    if op.request_body.is_some() {
        add(
            op,
            "400",
            "`malformed_json`, `bad_body`: the body is not JSON or could not be read",
        );
        add(
            op,
            "413",
            "`too_large`: the body is over this endpoint's limit",
        );
        add(
            op,
            "415",
            "`unsupported_media_type`: the body is not of a type this endpoint takes",
        );
    }
    match access {
        Some(Access::Public) | None => {}
        Some(_) => {
            add(
                op,
                "401",
                "`unauthorized`: no token, or a token that is unknown, revoked or expired",
            );
            add(op, "403", "`forbidden`: the token's role may not call this");
        }
    }
    add(
        op,
        "503",
        "`unavailable` (shutting down, database busy: see `Retry-After`) or `timeout` (the request took longer than `request_timeout_secs`)",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document and the permission table name the same operations.
    #[test]
    fn every_endpoint_is_documented_and_nothing_else() {
        let doc = document();
        let mut documented = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (method, name) in METHODS {
                let has = match method {
                    HttpMethod::Get => item.get.is_some(),
                    HttpMethod::Post => item.post.is_some(),
                    HttpMethod::Put => item.put.is_some(),
                    HttpMethod::Patch => item.patch.is_some(),
                    HttpMethod::Delete => item.delete.is_some(),
                    _ => false,
                };
                if has {
                    documented.push(format!("{name} {path}"));
                }
            }
        }
        let mut table: Vec<String> = permissions::TABLE
            .iter()
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        documented.sort();
        table.sort();
        assert_eq!(documented, table);
    }

    #[test]
    fn the_document_is_openapi_3_1_with_a_bearer_scheme() {
        let v = serde_json::to_value(document()).expect("serialises");
        assert!(v["openapi"].as_str().is_some_and(|s| s.starts_with("3.1")));
        assert_eq!(
            v["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let op = &v["paths"]["/cases/{id}"]["get"];
        assert_eq!(op["security"][0]["bearer"], serde_json::json!([]));
        assert!(op["responses"]["404"].is_object(), "{op}");
        assert!(v["paths"]["/public/reports"]["post"]["security"].is_null());
    }
}
