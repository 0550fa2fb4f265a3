//! Bearer-token authentication: who the caller is. Which roles may call what is
//! `crate::permissions`; the caller it authenticates travels to the handler in the request's
//! extensions.
//!
//! Tokens are looked up by the SHA-256 of the presented secret; a verified token is cached for
//! `auth_cache_ms` (`crate::token_cache`), so revocation takes effect within that time.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use ronda_core::model::Role;
use ronda_store::codes::token_hash;
use ronda_store::tokens::TokenInfo;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: TokenInfo,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.token.role
    }

    /// The audit actor name of this caller.
    pub fn actor(&self) -> String {
        format!("token:{}:{}", self.token.id, self.token.name)
    }

    /// For platform tokens, the one platform they may see.
    pub fn platform_scope(&self) -> Option<&str> {
        match self.token.role {
            Role::Platform => Some(self.token.platform.as_deref().unwrap_or("")),
            _ => None,
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token>"))?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .ok_or_else(|| ApiError::unauthorized("malformed Authorization header"))?
            .to_string();
        let hash = token_hash(&secret);
        let ttl = Duration::from_millis(state.config.auth_cache_ms);
        if let Some(token) = state.tokens.get(&hash, ttl)
            && token.expires_at.is_none_or(|e| e > state.store.now_ms())
        {
            return Ok(Caller { token });
        }
        let store = state.store.clone();
        let found = tokio::task::spawn_blocking(move || store.lookup_token(&secret)).await??;
        match found {
            Some(token) => {
                if !ttl.is_zero() {
                    state.tokens.put(hash, token.clone());
                }
                Ok(Caller { token })
            }
            None => Err(ApiError::unauthorized("unknown, revoked or expired token")),
        }
    }
}
