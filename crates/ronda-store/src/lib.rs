//! Ronda's persistence: the same store over embedded SQLite (the default) and PostgreSQL.
//!
//! Invariants:
//! - every write goes through [`Store::write`] (one writer thread, group commit) and so through
//!   one transaction that also extends the audit hash chain;
//! - SQL is written once and runs on both backends (see [`db`]);
//! - nothing here knows HTTP; errors are [`StoreError`].

pub mod actors;
pub mod audit;
pub mod banks;
pub mod cases;
pub mod codes;
pub mod db;
pub mod error;
pub mod evidence;
pub mod frontier;
pub mod intake;
pub mod linking;
pub mod mail;
mod memo;
pub mod migrate;
pub mod models;
pub mod notices;
mod passes;
pub mod platforms;
mod postgres;
pub mod rechecks;
pub mod referrals;
pub mod reloads;
pub mod retention;
pub mod review;
pub mod seal;
pub mod sessions;
mod sqlite;
pub mod stats;
pub mod store;
pub mod synth;
pub mod testing;
pub mod tokens;
mod triage;
pub mod users;
pub mod watchlists;
pub mod webhooks;

pub use error::{Result, StoreError};
pub use store::{DbLocation, Store, StoreOptions, Tx};
