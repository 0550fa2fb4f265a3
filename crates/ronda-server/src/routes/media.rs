//! Media: `POST /media/hash` (an uploaded image → PDQ, quality, MD5, SHA-256; hashed in memory
//! and dropped, never stored) and `POST /media/match` (hashes → matches by bank, allowlist
//! applied).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use ronda_media::decode::DecodeError;
use ronda_media::{DecodeLimits, PdqHash, digest};
use ronda_store::banks::{BankHit, MAX_THRESHOLD};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, body_error};
use crate::state::AppState;

/// Most hashes in one match request.
pub const MAX_MATCH_HASHES: usize = 1000;

pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/media/hash",
            post(hash).layer(DefaultBodyLimit::max(state.config.max_upload_bytes)),
        )
        .route("/media/match", post(match_hashes))
}

fn decode_error(e: &DecodeError) -> ApiError {
    let code = match e {
        DecodeError::TooManyBytes { .. } => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string());
        }
        DecodeError::DimensionTooLarge { .. } | DecodeError::TooManyPixels { .. } => {
            "image_too_large"
        }
        _ => "bad_image",
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
}

/// An image's hashes.
#[derive(Debug, Serialize, ToSchema)]
pub struct HashBody {
    /// PDQ, 64 hexadecimal digits.
    pub pdq: String,
    /// PDQ quality, 0 to 100.
    pub quality: u8,
    pub md5: String,
    pub sha256: String,
}

/// Hash an image (the raw bytes as the body: JPEG, PNG, GIF, WebP, BMP). The image is not
/// stored. Large JPEGs are scaled while decoding; decoding shares one budget of megapixels.
#[utoipa::path(post, path = "/media/hash", tag = "media",
    request_body(content(("image/jpeg"), ("image/png"), ("application/octet-stream"))),
    responses(
        (status = 200, description = "The hashes", body = HashBody),
        (status = 413, description = "`too_large`: more bytes than `max_upload_bytes`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: a multipart body", body = ErrorBody),
        (status = 422, description = "`bad_image` (not an image this server decodes), `image_too_large` (dimensions or megapixels over the limits)", body = ErrorBody),
        (status = 429, description = "`rate_limited`: this token hashes too many images (see `Retry-After`)", body = ErrorBody),
        (status = 503, description = "`unavailable`: the decode budget is in use (see `Retry-After`)", body = ErrorBody),
    ))]
pub async fn hash(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<axum::Json<HashBody>> {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    if is_multipart {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the image bytes as the raw request body (e.g. Content-Type: image/jpeg)",
        ));
    }
    if let Err(wait) = st.media_limiter.check(caller.token.id) {
        st.metrics.rate_limited();
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "this token hashes too many images; try again later",
        );
        e.retry_after_secs = Some(wait);
        return Err(e);
    }
    let body = body.map_err(|rej| body_error(rej.status()))?;
    let (pdq, md5, sha256) = hash_image(&st, body).await?;
    Ok(axum::Json(HashBody {
        pdq: pdq.hash.to_hex(),
        quality: pdq.quality,
        md5,
        sha256,
    }))
}

/// The PDQ hash (and MD5, SHA-256) of an image held in memory, decoded within the server's
/// limits and its shared decode budget (see `hash`); the bytes are dropped with the task. The
/// API's `POST /media/hash` and the console's match-debug form both hash through here.
pub async fn hash_image(
    st: &AppState,
    body: Bytes,
) -> ApiResult<(ronda_media::PdqOutput, String, String)> {
    let limits = DecodeLimits {
        max_bytes: st.config.max_upload_bytes,
        jpeg_min_side: (st.config.jpeg_min_side > 0).then_some(st.config.jpeg_min_side),
        ..DecodeLimits::default()
    };
    // Memory: a decode and its hash hold about 11 bytes per pixel at their peak. Each upload takes its
    // megapixels (of the size it decodes to: a large JPEG is scaled while decoding) from one
    // budget shared by all requests before it decodes, and waits for them a bounded time: a
    // burst of huge images queues, then gets 503, instead of growing the process.
    let (width, height) =
        ronda_media::decode::probe_decoded_size(&body, &limits).map_err(|e| decode_error(&e))?;
    let megapixels = (u64::from(width) * u64::from(height))
        .div_ceil(1_000_000)
        .max(1);
    let budget = st.config.decode_budget_megapixels;
    let wanted = u32::try_from(megapixels).unwrap_or(u32::MAX);
    if wanted > budget {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "image_too_large",
            format!(
                "{width}×{height} is more than the {budget} megapixels this server decodes at once"
            ),
        ));
    }
    let wait = std::time::Duration::from_millis(st.config.decode_wait_ms);
    let permit =
        match tokio::time::timeout(wait, st.decode_budget.clone().acquire_many_owned(wanted)).await
        {
            Ok(Ok(permit)) => permit,
            _ => {
                st.metrics.rate_limited();
                let mut e = ApiError::unavailable(
                    "the server is decoding as many images as it can; try again shortly",
                );
                e.retry_after_secs = Some(1);
                return Err(e);
            }
        };
    // The bytes live only in this task and are dropped with it.
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let pdq = ronda_media::pdq_from_bytes(&body, &limits)?;
        Ok::<_, DecodeError>((pdq, digest::md5_hex(&body), digest::sha256_hex(&body)))
    })
    .await?;
    out.map_err(|e| decode_error(&e))
}

/// Hashes to look up in the enabled banks.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchBody {
    hashes: Vec<String>,
    radius: Option<u32>,
}

/// Hits grouped by bank, banks in order of their nearest hit.
/// A bank entry within reach of the query.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitBody {
    pub hash: String,
    pub distance: u32,
    pub label: Option<String>,
}

/// The hits of one bank.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankHits {
    pub bank: String,
    pub category: String,
    pub matches: Vec<HitBody>,
}

/// What one query hash met: matches, and hits in allow-list and suppression banks.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResult {
    pub pdq: String,
    pub matches: Vec<BankHits>,
    pub allowlisted: Vec<BankHits>,
    pub suppressed: Vec<BankHits>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResults {
    pub results: Vec<MatchResult>,
}

fn grouped(hits: &[BankHit]) -> Vec<BankHits> {
    let mut groups: Vec<(&BankHit, Vec<HitBody>)> = Vec::new();
    for h in hits {
        let entry = HitBody {
            hash: h.hash.to_hex(),
            distance: h.distance,
            label: h.label.clone(),
        };
        match groups
            .iter_mut()
            .find(|(first, _)| first.bank_id == h.bank_id)
        {
            Some((_, list)) => list.push(entry),
            None => groups.push((h, vec![entry])),
        }
    }
    groups
        .into_iter()
        .map(|(first, matches)| BankHits {
            bank: first.bank.clone(),
            category: first.category.as_str().to_string(),
            matches,
        })
        .collect()
}

/// Look hashes up in the enabled banks (at most 1000 per request).
#[utoipa::path(post, path = "/media/match", tag = "media", request_body = MatchBody,
    responses(
        (status = 200, description = "One result per hash, in order", body = MatchResults),
        (status = 422, description = "`too_many` (`hashes`), `invalid` (`hashes[i]`, `radius`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn match_hashes(
    State(st): State<Arc<AppState>>,
    ApiJson(body): ApiJson<MatchBody>,
) -> ApiResult<axum::Json<MatchResults>> {
    if body.hashes.len() > MAX_MATCH_HASHES {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many",
            format!("at most {MAX_MATCH_HASHES} hashes per request"),
        )
        .with_field("hashes"));
    }
    if body.radius.is_some_and(|r| r > MAX_THRESHOLD) {
        return Err(ApiError::invalid(
            "radius",
            format!("radius is 0 to {MAX_THRESHOLD}"),
        ));
    }
    let mut queries = Vec::with_capacity(body.hashes.len());
    for (i, h) in body.hashes.iter().enumerate() {
        let hash = PdqHash::from_hex(h.trim())
            .map_err(|e| ApiError::invalid(format!("hashes[{i}]"), e.to_string()))?;
        queries.push((hash, None));
    }
    let store = st.store.clone();
    let radius = body.radius;
    let q = queries.clone();
    let results = tokio::task::spawn_blocking(move || store.match_hashes(&q, radius)).await??;
    let results = queries
        .iter()
        .zip(results)
        .map(|((query, _), r)| MatchResult {
            pdq: query.to_hex(),
            matches: grouped(&r.matches),
            allowlisted: grouped(&r.allowlisted),
            suppressed: grouped(&r.suppressed),
        })
        .collect();
    Ok(axum::Json(MatchResults { results }))
}
