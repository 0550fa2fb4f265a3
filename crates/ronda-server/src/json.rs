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
        require_json(req.headers())?;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rej| body_error(rej.status()))?;
        parse(&bytes).map(ApiJson)
    }
}

/// Extracts and deserialises the query string, with errors in the API's shape (422 naming the
/// parameter; `unknown_field` for a parameter the endpoint does not take).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let msg = e.inner().to_string();
                let path = e.path().to_string();
                match unknown_field_name(&msg) {
                    Some(name) => ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "unknown_field",
                        format!("unknown query parameter `{name}`"),
                    )
                    .with_field(name),
                    None => ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid",
                        format!("query parameter `{path}`: {msg}"),
                    )
                    .with_field(path),
                }
            })
    }
}

/// A 415 unless the request says its body is JSON (`application/json` or `…+json`).
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
        });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ))
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

/// Deserialises JSON, mapping errors to the field they concern. The body is one JSON value
/// and nothing after it (trailing data is a 400 `malformed_json`), and no string in it holds a
/// forbidden control character (422 `invalid_value` naming the field; see
/// [`ronda_core::report::is_forbidden_control`]).
pub fn parse<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, ApiError> {
    let v = parse_envelope(bytes)?;
    if let Some(e) = control_error(bytes) {
        return Err(e);
    }
    Ok(v)
}

/// [`parse`] without the control-character check: for a batch, whose items are checked one
/// by one so that one bad item refuses only itself.
pub fn parse_envelope<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut *de).map_err(|e| from_path_error(&e))?;
    de.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("request body has data after its JSON value: {e}"),
        )
    })?;
    Ok(v)
}

/// Whether the raw body may hold a forbidden control character: a `\u00XX` escape of one, or
/// a raw DEL or C1 character (raw C0 characters are not valid JSON). A cheap filter: a hit is
/// confirmed on the parsed value.
fn may_hold_control(b: &[u8]) -> bool {
    let hex = |c: u8| (c as char).to_digit(16);
    b.windows(2)
        .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
        || b.contains(&0x7F)
        || b.windows(6).any(|w| {
            w[0] == b'\\'
                && w[1] == b'u'
                && w[2] == b'0'
                && w[3] == b'0'
                && match (hex(w[4]), hex(w[5])) {
                    (Some(h), Some(l)) => {
                        ronda_core::report::is_forbidden_control(char::from((h * 16 + l) as u8))
                    }
                    _ => false,
                }
        })
}

/// The first string (or key) of the body holding a forbidden control character, as an error
/// naming its field path (`profile.bio`, `hashes[2].label`).
fn control_error(bytes: &[u8]) -> Option<ApiError> {
    if !may_hold_control(bytes) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let (path, text) = find_control(&value, String::new())?;
    let e = ronda_core::report::check_chars(&text, &path).err()?;
    Some(ApiError::from(e))
}

fn find_control(v: &serde_json::Value, path: String) -> Option<(String, String)> {
    let bad = |s: &str| s.chars().any(ronda_core::report::is_forbidden_control);
    match v {
        serde_json::Value::String(s) if bad(s) => Some((path, s.clone())),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| find_control(x, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if bad(k) {
                Some((p, k.clone()))
            } else {
                find_control(x, p)
            }
        }),
        _ => None,
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
