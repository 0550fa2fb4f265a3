//! What every edge of Ronda shares below HTTP — the API (`ronda-server`), the CLI (`ronda
//! import` and the other commands) and the coming patrol crawler: the layered configuration
//! ([`config::Config`]), opening the store from it and the first start ([`bootstrap`]), the enrichment of a report before intake ([`detection::Detector`]:
//! the detection engine's reading and the account's linking features), and the one intake
//! service ([`intake::Intake`]) every way in goes through, and the check of a reviewer's
//! decision ([`review::check_decision`]).
//!
//! Layering: edges → this crate → `ronda-store` (services, per-table access, database); pure
//! rules in `ronda-core` and the engines.

pub mod bootstrap;
pub mod config;
pub mod detection;
pub mod intake;
pub mod models;
pub mod notices;
pub mod review;
