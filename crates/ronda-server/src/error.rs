//! The one HTTP error type: every failure leaves as `{"error":{"code","message","field"}}`.
//! Internal details are logged once here and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ronda_core::report::FieldError;
use ronda_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable `code`, a message for people, and the field (a JSON path, a query
/// parameter, a header) when one field is to blame.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with_field(field)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }

    pub fn unavailable(message: &str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The JSON body (also used for per-item errors in batches).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
                field: self.field.clone(),
            },
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: e.code,
            message: e.message,
            field: Some(e.field),
            retry_after_secs: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(f) => f.into(),
            StoreError::NotFound(what) => ApiError::not_found(&what),
            StoreError::Conflict(msg) => ApiError::new(StatusCode::CONFLICT, "conflict", msg),
            StoreError::IllegalTransition(t) => {
                ApiError::new(StatusCode::CONFLICT, "illegal_transition", t.to_string())
                    .with_field("status")
            }
            StoreError::Closed => ApiError::unavailable("the server is shutting down"),
            e if e.is_busy() => {
                tracing::warn!(error = %e, "the database was busy");
                let mut busy = ApiError::unavailable("the database is busy; try again shortly");
                busy.retry_after_secs = Some(1);
                busy
            }
            // A value the database refuses (PostgreSQL's data exceptions, class 22: bad
            // encoding, out of range) is the request's fault, never a 500. Validation refuses
            // such values first; this is the net under it.
            StoreError::Postgres(e) if e.code().is_some_and(|c| c.code().starts_with("22")) => {
                tracing::warn!(error = %e, "the database refused a value");
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_value",
                    "the database refused a value of this request",
                )
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
