//! Pure detection engine for Indonesian text: no IO, no HTTP, no SQL. Text in, values out.
//!
//! Pipeline of one post ([`Engine::analyze`]): [`normalize::fold`] (characters) →
//! [`normalize::normalize_folded`] (tokens) → [`rules::RuleSet::find`] →
//! [`classifier::Model::scores`] → [`identifiers::extract`] and [`identifiers::ages`] →
//! [`policy::decide`]. Training ([`train::train`]) is deterministic. Serialisation of results is
//! the caller's business; only the rule file (TOML) and the model file (own binary format) are
//! parsed here.

pub mod classifier;
pub mod engine;
pub mod features;
pub mod fold;
pub mod identifiers;
pub mod normalize;
pub mod phone;
pub mod policy;
pub mod rules;
pub mod train;

pub use classifier::{Category, Model, ModelError};
pub use engine::{Analysis, Engine, EngineError, FiredRule, FoundIdentifier};
pub use identifiers::IdKind;
pub use policy::{PolicyConfig, Priority, Verdict};
pub use rules::{Reading, RuleError, RuleSet};
