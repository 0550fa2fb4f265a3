//! Ronda's domain: the vocabulary (sources, categories, statuses, roles), report validation,
//! target normalisation (what makes two reports "the same case"), and the audit hash chain.
//!
//! Invariant: this crate performs no IO and never reads the wall clock itself; time is passed in
//! through [`clock::Clock`] or as explicit arguments.

pub mod audit;
pub mod clock;
pub mod contact;
pub mod crawl;
pub mod evidence;
pub mod form_token;
pub mod model;
pub mod public_track;
pub mod report;
pub mod target;
pub mod totp;
pub mod triage;
pub mod warc;
pub mod webhook;
pub mod wib;
pub mod workflow;

pub use model::{CaseStatus, Category, Priority, ReferralStatus, Role, Source};
