//! Evidence bundles over HTTP: `GET /cases/{id}/evidence.zip` and
//! `GET /referrals/{id}/evidence.zip` (a case referral's case, or every case of an actor).
//!
//! Staff (admin, supervisor, analyst) may download any case's bundle; the police only those of
//! cases in a referral (any other case is a 404, as if it did not exist). Reporter names and
//! contacts are in the bundle only for admins and supervisors
//! ([`Role::reads_reporter_identity`]). Every download is audited with its manifest's hash.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ronda_core::model::Role;
use ronda_store::evidence::BundleRequest;
use ronda_store::referrals::Subject;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::evidence_zip::write_zip;
use crate::state::AppState;

const STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::Analyst];

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/cases/{id}/evidence.zip", get(case_bundle))
        .route("/referrals/{id}/evidence.zip", get(referral_bundle))
}

/// A signed evidence bundle of a case (a ZIP with `manifest.json` and its Ed25519 signature).
#[utoipa::path(get, path = "/cases/{id}/evidence.zip", tag = "referrals", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The bundle; `X-Ronda-Manifest-SHA256` names its manifest", content_type = "application/zip", body = Vec<u8>),
        (status = 404, description = "`not_found`: no such case (or not one referred to the police caller)", body = ErrorBody),
    ))]
pub async fn case_bundle(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("case"))?;
    if !STAFF.contains(&caller.role()) {
        let store = st.store.clone();
        if !tokio::task::spawn_blocking(move || store.case_is_referred(id)).await?? {
            return Err(ApiError::not_found("case"));
        }
    }
    bundle(&st, &caller, Subject::Case(id), &format!("case-{id}")).await
}

/// The signed evidence bundle of a referral's subject.
#[utoipa::path(get, path = "/referrals/{id}/evidence.zip", tag = "referrals", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The bundle", content_type = "application/zip", body = Vec<u8>),
        (status = 404, description = "`not_found`: no such referral", body = ErrorBody),
    ))]
pub async fn referral_bundle(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("referral"))?;
    let store = st.store.clone();
    let r = tokio::task::spawn_blocking(move || store.referral(id))
        .await??
        .ok_or_else(|| ApiError::not_found("referral"))?;
    let name = match r.subject {
        Subject::Case(c) => format!("case-{c}"),
        Subject::Actor(a) => format!("actor-{a}"),
    };
    bundle(&st, &caller, r.subject, &name).await
}

async fn bundle(
    st: &AppState,
    caller: &Caller,
    subject: Subject,
    name: &str,
) -> ApiResult<Response> {
    let req = BundleRequest {
        subject,
        requested_by: caller.actor(),
        reporter_identity: caller.role().reads_reporter_identity(),
    };
    let (zipped, manifest_sha256) = signed_zip(st, req).await?;
    Ok(zip_response(zipped, &manifest_sha256, name))
}

/// A signed, audited evidence bundle as zip bytes and its manifest's SHA-256: the one way the
/// API and the police portal make one.
pub async fn signed_zip(st: &AppState, req: BundleRequest) -> ApiResult<(Vec<u8>, String)> {
    let seed = st.signing_key().map_err(|e| {
        tracing::error!(error = %e, "evidence signing key");
        ApiError::internal()
    })?;
    let store = st.store.clone();
    let bundle =
        tokio::task::spawn_blocking(move || store.export_evidence_blocking(&req, &seed)).await??;
    let zipped = write_zip(&bundle.files).map_err(|e| {
        tracing::error!(error = %e, "zipping an evidence bundle");
        ApiError::internal()
    })?;
    Ok((zipped, bundle.manifest_sha256))
}

/// The download of a bundle named `ronda-evidence-<name>.zip`.
pub fn zip_response(zipped: Vec<u8>, manifest_sha256: &str, name: &str) -> Response {
    let mut resp = zipped.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"ronda-evidence-{name}.zip\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(manifest_sha256) {
        headers.insert("x-ronda-manifest-sha256", v);
    }
    resp
}
