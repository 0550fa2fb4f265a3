//! Ronda's HTTP API (`/api/v1`), the team's console in the browser ([`console`]), and the
//! background workers.
//!
//! Invariants: handlers hold no business rules beyond role scoping and request shape — those
//! live in `ronda-core`, `ronda-service` and `ronda-store`; every API error leaves through
//! [`error::ApiError`], every page failure through [`console::layout::PageError`];
//! [`startup::app`] builds the whole router from an [`state::AppState`], so tests need no socket.

pub mod auth;
pub mod console;
pub mod error;
pub mod evidence_zip;
pub mod export;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod permissions;
pub mod rate_limit;
pub mod report;
pub mod routes;
pub mod startup;
pub mod state;
pub mod token_cache;
pub mod workers;
