//! Ronda's HTTP API (`/api/v1`) and, later, its background workers.
//!
//! Invariants: handlers hold no business rules beyond role scoping and request shape — those
//! live in `ronda-core` and `ronda-store`; every error leaves through [`error::ApiError`];
//! [`startup::app`] builds the whole router from an [`state::AppState`], so tests need no socket.

pub mod auth;
pub mod error;
pub mod evidence_zip;
pub mod export;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod permissions;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod token_cache;
pub mod workers;
