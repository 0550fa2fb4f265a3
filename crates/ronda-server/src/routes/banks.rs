//! Hash banks: `GET/POST /banks`, `GET/PATCH /banks/{name}`, `GET/POST /banks/{name}/hashes`.
//!
//! Analysts read banks; admins and supervisors create, change and fill them. Hashes are added
//! as JSON (`{"hashes": ["<hex>" | {"pdq","quality"?,"label"?}, …]}`) or as a text/CSV hash
//! list (`pdq[,quality][,label]` lines); adding re-matches stored media (retroactive matching).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ronda_media::PdqHash;
use ronda_media::bank::{BankCategory, HashList};
use ronda_store::banks::{Bank, BankPatch, NewBank};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiJson, body_error};
use crate::state::AppState;

pub fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/banks", get(list).post(create))
        .route("/banks/{name}", get(show).patch(update))
        .route(
            "/banks/{name}/hashes",
            get(export)
                .post(add_hashes)
                .layer(DefaultBodyLimit::max(state.config.max_batch_body_bytes)),
        )
}

/// A hash bank: PDQ hashes of known content of one category.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankBody {
    pub name: String,
    pub category: String,
    pub enabled: bool,
    /// The largest Hamming distance that counts as a match.
    pub threshold: u32,
    /// The least PDQ quality a hash needs to be matched.
    pub min_quality: u8,
    pub hash_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Bank> for BankBody {
    fn from(b: &Bank) -> Self {
        BankBody {
            name: b.name.clone(),
            category: b.category.as_str().to_string(),
            enabled: b.enabled,
            threshold: b.threshold,
            min_quality: b.min_quality,
            hash_count: b.hash_count,
            created_at: ronda_core::clock::to_rfc3339(b.created_at),
            updated_at: ronda_core::clock::to_rfc3339(b.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankList {
    pub banks: Vec<BankBody>,
}

/// A hash import: what was added and what it matched among the cases already open.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    pub bank: BankBody,
    pub added: usize,
    pub duplicates: usize,
    pub retroactive_matches: usize,
    /// The open cases the new hashes matched (raised to the bank's category).
    pub cases_updated: Vec<i64>,
    /// The cases opened for removed content the new hashes matched.
    pub cases_opened: Vec<i64>,
}

/// Every bank.
#[utoipa::path(get, path = "/banks", tag = "banks",
    responses((status = 200, description = "The banks", body = BankList)))]
pub async fn list(State(st): State<Arc<AppState>>) -> ApiResult<axum::Json<BankList>> {
    let store = st.store.clone();
    let banks = tokio::task::spawn_blocking(move || store.list_banks()).await??;
    Ok(axum::Json(BankList {
        banks: banks.iter().map(BankBody::from).collect(),
    }))
}

/// A new bank. `category` is a case category or an alias such as `child_abuse_known`;
/// `allowlist` and `suppress` banks keep matches from counting.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    category: String,
    enabled: Option<bool>,
    threshold: Option<u32>,
    min_quality: Option<u8>,
}

fn parse_category(s: &str) -> ApiResult<BankCategory> {
    s.parse()
        .map_err(|e: ronda_media::bank::BankError| ApiError::invalid("category", e.to_string()))
}

/// Create a bank.
#[utoipa::path(post, path = "/banks", tag = "banks", request_body = CreateBody,
    responses(
        (status = 201, description = "Created", body = BankBody),
        (status = 409, description = "`conflict`: a bank of this name exists", body = ErrorBody),
        (status = 422, description = "`invalid` (`name`, `category`, `threshold`, `min_quality`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let new = NewBank {
        name: body.name,
        category: parse_category(&body.category)?,
        enabled: body.enabled,
        threshold: body.threshold,
        min_quality: body.min_quality,
    };
    let store = st.store.clone();
    let actor = caller.actor();
    let bank =
        tokio::task::spawn_blocking(move || store.create_bank_blocking(&actor, new)).await??;
    Ok((StatusCode::CREATED, axum::Json(BankBody::from(&bank))).into_response())
}

/// One bank.
#[utoipa::path(get, path = "/banks/{name}", tag = "banks", params(("name" = String, Path)),
    responses(
        (status = 200, description = "The bank", body = BankBody),
        (status = 404, description = "`not_found`: no such bank", body = ErrorBody),
    ))]
pub async fn show(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<BankBody>> {
    let store = st.store.clone();
    match tokio::task::spawn_blocking(move || store.get_bank(&name)).await?? {
        Some(b) => Ok(axum::Json(BankBody::from(&b))),
        None => Err(ApiError::not_found("bank")),
    }
}

/// What to change on a bank; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    enabled: Option<bool>,
    threshold: Option<u32>,
    min_quality: Option<u8>,
}

/// Enable or disable a bank, or change its threshold or least quality.
#[utoipa::path(patch, path = "/banks/{name}", tag = "banks", params(("name" = String, Path)),
    request_body = PatchBody,
    responses(
        (status = 200, description = "The bank as changed", body = BankBody),
        (status = 404, description = "`not_found`: no such bank", body = ErrorBody),
        (status = 422, description = "`invalid` (`threshold`, `min_quality`), `unknown_field`", body = ErrorBody),
    ))]
pub async fn update(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> ApiResult<axum::Json<BankBody>> {
    let patch = BankPatch {
        enabled: body.enabled,
        threshold: body.threshold,
        min_quality: body.min_quality,
    };
    let store = st.store.clone();
    let actor = caller.actor();
    let bank =
        tokio::task::spawn_blocking(move || store.update_bank_blocking(&actor, &name, patch))
            .await??;
    Ok(axum::Json(BankBody::from(&bank)))
}

/// A hash: 64 hexadecimal digits alone, or with its quality (0 to 100) and a label.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum JsonEntry {
    Hex(String),
    Full {
        pdq: String,
        quality: Option<u8>,
        label: Option<String>,
    },
}

/// Hashes to add to a bank.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HashesBody {
    hashes: Vec<JsonEntry>,
}

/// The hash list of a request body: JSON or text/CSV, by content type.
fn parse_hash_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<HashList> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        let parsed: HashesBody = crate::json::parse(body)?;
        let mut list = HashList::new();
        for (i, entry) in parsed.hashes.iter().enumerate() {
            let (pdq, quality, label) = match entry {
                JsonEntry::Hex(pdq) => (pdq, None, None),
                JsonEntry::Full {
                    pdq,
                    quality,
                    label,
                } => (pdq, *quality, label.as_deref()),
            };
            let hash = PdqHash::from_hex(pdq.trim())
                .map_err(|e| ApiError::invalid(format!("hashes[{i}]"), e.to_string()))?;
            if quality.is_some_and(|q| q > 100) {
                return Err(ApiError::invalid(
                    format!("hashes[{i}].quality"),
                    "quality is 0 to 100",
                ));
            }
            list.push(hash, quality, label);
        }
        Ok(list)
    } else if mime.starts_with("text/") || mime.is_empty() {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::invalid("body", "a hash list must be UTF-8 text"))?;
        // Labels are text like any other: no control characters (tab and line ends separate).
        for (n, line) in text.lines().enumerate() {
            ronda_core::report::check_chars(line, &format!("line {}", n + 1))?;
        }
        HashList::parse(text).map_err(|e| ApiError::invalid("body", e.to_string()))
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send hashes as application/json or as a text/plain or text/csv hash list",
        ))
    }
}

/// Add hashes to a bank (JSON, or a text/CSV hash list: `pdq[,quality[,label]]` per line);
/// open cases whose media match them are raised at once.
#[utoipa::path(post, path = "/banks/{name}/hashes", tag = "banks", params(("name" = String, Path)),
    request_body(content((HashesBody = "application/json"), (String = "text/plain"), (String = "text/csv"))),
    responses(
        (status = 200, description = "Imported", body = ImportBody),
        (status = 404, description = "`not_found`: no such bank", body = ErrorBody),
        (status = 422, description = "`invalid` (`hashes[i]`, `hashes[i].quality`, `body`, a line), `invalid_value` (a control character), `unknown_field`", body = ErrorBody),
    ))]
pub async fn add_hashes(
    State(st): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<axum::Json<ImportBody>> {
    let body = body.map_err(|rej| body_error(rej.status()))?;
    let list = parse_hash_body(&headers, &body)?;
    let store = st.store.clone();
    let actor = caller.actor();
    let out = tokio::task::spawn_blocking(move || {
        store.import_hashes_blocking(&actor, &name, None, list)
    })
    .await??;
    Ok(axum::Json(ImportBody {
        bank: BankBody::from(&out.bank),
        added: out.added,
        duplicates: out.duplicates,
        retroactive_matches: out.retro_matches,
        cases_updated: out.cases_updated,
        cases_opened: out.cases_opened,
    }))
}

/// A bank's hashes as CSV (`pdq,quality,label`).
#[utoipa::path(get, path = "/banks/{name}/hashes", tag = "banks", params(("name" = String, Path)),
    responses(
        (status = 200, description = "The hash list", content_type = "text/csv", body = String),
        (status = 404, description = "`not_found`: no such bank", body = ErrorBody),
    ))]
pub async fn export(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let store = st.store.clone();
    match tokio::task::spawn_blocking(move || store.export_bank(&name)).await?? {
        Some((_, list)) => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            list.to_csv(),
        )
            .into_response()),
        None => Err(ApiError::not_found("bank")),
    }
}
