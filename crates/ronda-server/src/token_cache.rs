//! Verified API tokens by the SHA-256 of their secret, each with the time it was verified: a
//! busy crawler does not cost a database read per request, and a revoked token stops working
//! within `auth_cache_ms`. Per process (see ARCHITECTURE.md, per-process state).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ronda_store::tokens::TokenInfo;

/// Verified tokens by secret hash, each with the time it was verified.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (TokenInfo, Instant)>>,
}

impl TokenCache {
    pub fn get(&self, hash: &str, ttl: Duration) -> Option<TokenInfo> {
        let map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < ttl)
            .map(|(t, _)| t.clone())
    }

    pub fn put(&self, hash: String, token: TokenInfo) {
        let mut map = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(hash, (token, Instant::now()));
    }
}
