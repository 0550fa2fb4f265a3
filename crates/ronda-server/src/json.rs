//! JSON request bodies with errors in Ronda's shape: malformed JSON is a 400, a wrong field a
//! 422 naming the field (by its path), a body over the limit a 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Extracts and deserialises a JSON body; see the module docs for the error mapping.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rej| body_error(rej.status()))?;
        parse(&bytes).map(ApiJson)
    }
}

pub(crate) fn body_error(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "request body is larger than this endpoint accepts",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "could not read the request body",
        )
    }
}

/// Deserialises JSON, mapping errors to the field they concern.
pub fn parse<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Ok(v),
        Err(e) => Err(from_path_error(&e)),
    }
}

/// Deserialises one already-parsed JSON value (a batch item).
pub fn parse_str<T: DeserializeOwned>(json: &str) -> Result<T, ApiError> {
    parse(json.as_bytes())
}

fn from_path_error(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    let mut path = e.path().to_string();
    if path == "." {
        path.clear();
    }
    let msg = inner.to_string();
    // serde_json appends " at line L column C"; the field path says more to a client.
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("request body is not valid JSON: {inner}"),
        ),
        serde_json::error::Category::Io => ApiError::new(StatusCode::BAD_REQUEST, "bad_body", msg),
        serde_json::error::Category::Data => {
            let (code, field) = if let Some(name) = unknown_field_name(&msg) {
                // The path already ends at the unknown field.
                ("unknown_field", if path.is_empty() { name } else { path })
            } else if msg.starts_with("missing field") {
                let name = msg.split('`').nth(1).unwrap_or("").to_string();
                let f = if path.is_empty() {
                    name
                } else {
                    format!("{path}.{name}")
                };
                ("required", f)
            } else if msg.starts_with("unknown variant") {
                ("invalid_value", path)
            } else {
                ("invalid_type", path)
            };
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg).with_field(field)
        }
    }
}

fn unknown_field_name(msg: &str) -> Option<String> {
    msg.strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ronda_core::report::ReportInput;

    #[test]
    fn errors_point_at_fields() {
        let cases: &[(&str, StatusCode, &str, Option<&str>)] = &[
            ("{not json", StatusCode::BAD_REQUEST, "malformed_json", None),
            (
                r#"{"source":"crawler"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("source"),
            ),
            (
                r#"{"text":5}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_type",
                Some("text"),
            ),
            (
                r#"{"target":{"acount":"x"}}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_field",
                Some("target.acount"),
            ),
            (
                r#"{"media":[{"pdq":1}]}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_type",
                Some("media[0].pdq"),
            ),
        ];
        for (body, status, code, field) in cases {
            let e = parse::<ReportInput>(body.as_bytes()).unwrap_err();
            assert_eq!(
                (e.status, e.code, e.field.as_deref()),
                (*status, *code, *field),
                "{body}"
            );
        }
    }
}
