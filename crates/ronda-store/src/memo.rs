//! Per-process memos the store keeps beside the database: the hash banks' in-memory indexes
//! ([`Matcher`], filled and used by `banks.rs`) and the values linking knows to be common
//! ([`KnownCommon`], used by `linking.rs`). Only their shapes live here, below the store, so
//! that the store can hold them without depending on the services that fill them.

use std::sync::RwLock;

use ronda_media::HashIndex;
use ronda_media::bank::BankCategory;

/// Values known to be over their limit: generic shingles, LSH bands, names and avatars, hub
/// identifiers. Counts only grow, so a value once over its limit stays over: this per-process
/// memo spares reading and counting it again (generic text is most of the text there is).
#[derive(Debug, Default)]
pub(crate) struct KnownCommon {
    pub(crate) set: std::sync::Mutex<rustc_hash::FxHashSet<(u8, u64)>>,
}

pub(crate) struct LoadedBank {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) category: BankCategory,
    pub(crate) enabled: bool,
    pub(crate) threshold: u32,
    pub(crate) min_quality: u8,
    pub(crate) index: HashIndex,
    pub(crate) hash_ids: Vec<i64>,
    pub(crate) labels: Vec<Option<Box<str>>>,
    /// Largest `bank_hashes.id` loaded (hashes are append-only).
    pub(crate) max_id: i64,
}

#[derive(Default)]
pub(crate) struct Loaded {
    /// `bank_state.version` this state reflects; `None` before the first load.
    pub(crate) version: Option<i64>,
    /// Every hash of an enabled bank with an id up to this one is loaded.
    pub(crate) max_hash_id: i64,
    pub(crate) banks: Vec<LoadedBank>,
}

/// Per-process matcher: an exact index per enabled bank, loaded lazily and incrementally.
#[derive(Default)]
pub struct Matcher {
    pub(crate) state: RwLock<Loaded>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").finish_non_exhaustive()
    }
}
