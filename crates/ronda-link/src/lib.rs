//! Identity resolution for the patrol: which accounts are one actor, and which active account
//! is a known offender come back. Pure: no IO, no clock, no serde; the batch linker
//! ([`batch`]) runs its data-parallel steps on rayon's pool, with the same result on any number
//! of threads.
//!
//! # Pipeline
//! [`FeatureExtractor::features`] (one account → [`Features`]) → candidates by indexed
//! equality (identifier keys, LSH band keys, name key) and PDQ radius search → [`assess()`] (one
//! pair → evidence, and whether it links) → [`Linker`] (incremental: union-find actors with
//! stable ids, merge log, hubs, re-creation flags) or [`link_batch`] (a whole batch at once, the
//! same decisions, on all cores).
//!
//! # Linking rules
//! - Strong signals link two accounts on their own: the same phone (E.164), bank account
//!   (`bca:digits`), e-wallet (`dana:+62…`, whose phone also counts as a phone), Telegram handle
//!   (`@name`), e-mail. An identifier held by more than `hub_max` accounts is a **hub** (a public
//!   hotline, a platform's support number): it links nothing and is reported.
//! - Weak signals: near-duplicate text (exact Jaccard of word-shingle sets ≥ `jaccard`, generic
//!   shingles removed; candidates from MinHash LSH), near-duplicate avatar (PDQ distance ≤
//!   `pdq_radius`, 31), similar display name. They link only when **two different weak signals
//!   agree on the same pair**. A shingle, name key or avatar seen in more than `generic_max`
//!   (K) accounts is generic and never counts (`Open order, bisa COD, DM ya`, `Toko Berkah`, a
//!   stock avatar).
//! - Actors are connected components of links; ids are 1, 2, 3, … in order of creation and a
//!   merge keeps the older (smaller) id ([`unionfind`]).
//! - An active account whose actor holds a taken-down account is a re-creation of those
//!   ([`Linker::recreation_of`]); the evidence is the links' [`Evidence`].
//!
//! # Using it from a service with database-backed indexes
//! 1. On intake compute `let f = extractor.features(name, bio, &posts, avatar)` (build one
//!    [`FeatureExtractor`] per [`LinkConfig`]; `Send + Sync`). Store: `f.identifiers[*].key`
//!    (with signal and value), `f.band_keys` (one row per key), `f.name_hash`, `f.avatar`, and
//!    `f.shingles` (for the pair decision and for counts). Keys are `u64` hashes meant for
//!    equality look-ups in indexed tables; they are only comparable under the same
//!    `LinkConfig::{seed, num_perm, bands_rows, shingle_words}`.
//! 2. Keep document-frequency counts: accounts per identifier key, per shingle, per band key,
//!    per name hash, and answer avatar counts by radius search. Increment them for the new
//!    account **before** deciding (the account counts itself), as [`Linker::add`] does.
//! 3. Candidates: accounts sharing an identifier key whose count ≤ `hub_max`; sharing a band key
//!    or the name hash whose count ≤ `generic_max`; with an avatar within `pdq_radius` when the
//!    new avatar's neighbourhood count ≤ `generic_max`.
//! 4. For each candidate call [`assess()`] with a [`Commonness`] implementation over those
//!    counts; link when `links` is true and store the evidence. A key whose count has just
//!    crossed `hub_max` belongs in the hub report.
//! 5. Actor ids: the new account takes the oldest actor id among those it links to; the others
//!    are merged into it (record the merge). Flag re-creation when the actor holds a taken-down
//!    account.
//!
//! Counts only grow: a value becomes generic or a hub when it crosses its limit, and stops
//! making new links then. Links made before the crossing stay (see [`linker`]); the CLI counts
//! the whole batch first ([`link_batch`]), so its result does not depend on input order. In a
//! batch the evidence limit also scales with its size ([`LinkConfig::generic_limit`]).

pub mod assess;
pub mod avatars;
pub mod batch;
pub mod config;
pub mod eval;
pub mod features;
pub mod hash;
pub mod input;
pub mod linker;
pub mod lsh;
pub mod minhash;
pub mod names;
pub mod scenario;
pub mod unionfind;

pub use assess::{Assessment, Commonness, Evidence, assess};
pub use batch::{Linked, Step, link_batch, link_batch_with};
pub use config::LinkConfig;
pub use features::{FeatureExtractor, Features, Identifier, Signal, identifier_key};
pub use linker::{Added, Hub, Linker, Status};
pub use unionfind::Merge;
