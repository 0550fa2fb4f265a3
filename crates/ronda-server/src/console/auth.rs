//! Who is at the console, and the proofs a form post carries.
//!
//! - The session cookie (`ronda_session`) holds the session's random secret; the store keeps
//!   its SHA-256 (`ronda_store::sessions`). It is `HttpOnly`, `SameSite=Strict`, `Path=/`, and
//!   `Secure` when `console.secure_cookies` is set. It has no `Max-Age`: it goes with the
//!   browser, and the store ends the session after its idle or absolute time anyway.
//! - Every form post carries a CSRF token in the field `csrf`, compared in constant time: the
//!   session's own token once signed in; before, on the sign-in form, the token of the
//!   `ronda_login` cookie that the form's page set (a double submit: another site can neither
//!   read the cookie nor, with `SameSite=Strict`, make the browser send it).
//! - Sign-in is throttled twice: per client address at the edge (`console.sign_in_per_minute`,
//!   a token bucket as for public reports), and per account in the store (a run of wrong
//!   passwords locks it, audited).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use ronda_core::model::Role;
use ronda_store::StoreError;
use ronda_store::review::Reviewer;
use ronda_store::sessions::Session;
use ronda_store::users::User;
use serde::de::DeserializeOwned;

use crate::console::i18n::Lang;
use crate::console::layout::PageError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "ronda_session";
pub const LOGIN_COOKIE: &str = "ronda_login";

/// The largest form body the console reads.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A signed-in user and their session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub session: Session,
}

impl Viewer {
    /// The audit actor of everything this user does.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.name)
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The user as the holder of claims and the author of decisions.
    pub fn reviewer(&self) -> Reviewer {
        Reviewer::user(self.user.id, self.actor())
    }

    /// Whether this user may read a child-exploitation case's text when they ask to.
    pub fn may_unveil(&self) -> bool {
        matches!(
            self.user.role,
            Role::Admin | Role::Supervisor | Role::Analyst
        )
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when asked;
/// `max_age_secs` 0 deletes the cookie, `None` makes it last as long as the browser.
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<u64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The signed-in user of a request, when its session cookie names a live session of an
/// enabled user.
pub async fn viewer_of(
    st: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<Option<Viewer>, StoreError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .map(str::to_string)
    else {
        return Ok(None);
    };
    let store = st.store.clone();
    let policy = st.config.console.session_policy();
    tokio::task::spawn_blocking(move || {
        let Some(session) = store.session_blocking(&secret, policy)? else {
            return Ok(None);
        };
        Ok(store
            .user_by_id(session.user_id)?
            .filter(|u| u.disabled_at.is_none())
            .map(|user| Viewer { user, session }))
    })
    .await
    .map_err(|e| StoreError::Conflict(format!("session lookup failed: {e}")))?
}

/// Byte-wise equality that takes as long whatever the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form post whose CSRF token was checked (see the module docs), deserialised into `T`
/// (the `csrf` field is not part of `T`).
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, _st: &Arc<AppState>) -> Result<Self, PageError> {
        let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
        let expected = match req.extensions().get::<Viewer>() {
            Some(v) => Some(v.session.csrf_token.clone()),
            None => cookie(req.headers(), LOGIN_COOKIE).map(str::to_string),
        };
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError::bad_request(lang, "error-form"));
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| PageError::bad_request(lang, "error-form"))?;
        let sent = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned());
        match (expected, sent) {
            (Some(e), Some(s)) if !e.is_empty() && same_secret(&e, &s) => {}
            _ => return Err(PageError::forbidden(lang, "error-csrf")),
        }
        serde_urlencoded::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|e| PageError::bad_request_detail(lang, "error-form", e.to_string()))
    }
}

/// A multipart form post (a file upload) whose CSRF token was checked: its fields by name,
/// text and files alike, as bytes. The routes that take one bound their body with
/// `DefaultBodyLimit` (`max_upload_bytes` plus the form's other fields).
#[derive(Debug)]
pub struct CsrfMultipart(pub std::collections::HashMap<String, Bytes>);

impl CsrfMultipart {
    /// A text field, trimmed; empty when absent or not UTF-8.
    pub fn text(&self, name: &str) -> String {
        self.0
            .get(name)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }
}

/// Why a multipart body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultipartFailure {
    /// Not a multipart form.
    Unreadable,
    /// Larger than the route's body limit.
    TooLarge,
}

/// The fields of a multipart form post by name, text and files alike, as bytes (a name sent
/// twice keeps its last value). The body is bounded by the route's `DefaultBodyLimit`.
pub async fn multipart_fields(
    req: Request,
    st: &Arc<AppState>,
) -> Result<std::collections::HashMap<String, Bytes>, MultipartFailure> {
    let mut mp = axum::extract::Multipart::from_request(req, st)
        .await
        .map_err(|_| MultipartFailure::Unreadable)?;
    let mut fields = std::collections::HashMap::new();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| MultipartFailure::TooLarge)?;
                fields.insert(name, bytes);
            }
            Ok(None) => return Ok(fields),
            Err(_) => return Err(MultipartFailure::TooLarge),
        }
    }
}

impl FromRequest<Arc<AppState>> for CsrfMultipart {
    type Rejection = PageError;

    async fn from_request(req: Request, st: &Arc<AppState>) -> Result<Self, PageError> {
        let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
        let expected = req
            .extensions()
            .get::<Viewer>()
            .map(|v| v.session.csrf_token.clone());
        let fields = multipart_fields(req, st).await.map_err(|f| match f {
            MultipartFailure::Unreadable => PageError::bad_request(lang, "error-form"),
            MultipartFailure::TooLarge => PageError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                lang,
                "error-too-large",
            ),
        })?;
        let sent = fields
            .get("csrf")
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("");
        match expected {
            Some(e) if !e.is_empty() && same_secret(&e, sent) => Ok(CsrfMultipart(fields)),
            _ => Err(PageError::forbidden(lang, "error-csrf")),
        }
    }
}

/// The signed-in user of a page the access table guards (the middleware put them there).
impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _st: &Arc<AppState>) -> Result<Self, PageError> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| PageError::Redirect("/login".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_written_strict() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ronda_session=xyz ;b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
        let c = set_cookie(SESSION_COOKIE, "s", None, true);
        assert_eq!(
            c.to_str().unwrap(),
            "ronda_session=s; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        let c = set_cookie(SESSION_COOKIE, "", Some(0), false);
        assert_eq!(
            c.to_str().unwrap(),
            "ronda_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
