//! Linking an account at intake: the account's features grow with each report about it, are
//! indexed under their keys, and are compared with the few accounts that share a key — found by
//! indexed equality look-ups, never a scan. The pair decision is `ronda_link::assess`, the same
//! function the `ronda link` command uses; this module only feeds it from the database.
//!
//! Keys (`account_keys`): strong identifiers under their signal (`phone`, `bank`, …) with the
//! canonical value; `lsh` band keys of the MinHash signature, `name` display-name key hashes and
//! `avatar` PDQ hashes as hex. Counts: identifiers, names and avatars by counting their key's
//! rows (up to the limit), shingles in `shingle_counts`. An account counts itself: keys and
//! counts are written before the decision. An avatar's commonness is the number of accounts with
//! the same hash exactly (an in-database radius count would be a scan); near-duplicate avatars
//! are compared pairwise among the candidates.
//!
//! Candidates: accounts sharing a strong identifier held by at most `hub_max` accounts (a
//! commoner one is a hub: recorded in `link_hubs`, ignored), or an LSH band or name key held by
//! at most `generic_max` accounts. At most [`MAX_CANDIDATES`] are assessed per report.

use std::collections::HashMap;

use ronda_core::report::{LinkInput, Profile};
use ronda_link::{Commonness, Features, Identifier, LinkConfig, Signal, identifier_key};
use ronda_media::PdqHash;
use serde_json::json;

use crate::db::Conn;
use crate::error::Result;
use crate::memo::KnownCommon;
use crate::params;
use crate::store::Tx;

/// Accounts assessed per report at most (the nearest keys first: identifiers, then LSH bands,
/// then names).
pub const MAX_CANDIDATES: usize = 32;
/// Shingles kept per account (the smallest hashes: a bottom-k sample of its text).
pub const MAX_SHINGLES: usize = 1024;
/// Shingle counts looked up per statement.
const IN_CHUNK: usize = 128;
/// Statement sizes. Variable-length lists are padded to one of these (`IN` lists and
/// `DO NOTHING` inserts, where a repeated item changes nothing) or split into them (upserts), so
/// a handful of statement texts are prepared once and stay in the statement cache.
const SIZES: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

fn padded_len(n: usize) -> usize {
    SIZES.iter().copied().find(|s| *s >= n).unwrap_or(n)
}

/// Repeats the last item up to the padded length.
fn pad<T: Clone>(items: &[T]) -> Vec<T> {
    let mut v = items.to_vec();
    if let Some(last) = items.last() {
        v.resize(padded_len(items.len()), last.clone());
    }
    v
}

fn hex_u64s(v: &[u64]) -> String {
    let mut s = String::with_capacity(v.len() * 16);
    for x in v {
        s.push_str(&format!("{x:016x}"));
    }
    s
}

fn parse_u64s(s: &str) -> Vec<u64> {
    s.as_bytes()
        .chunks_exact(16)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .filter_map(|c| u64::from_str_radix(c, 16).ok())
        .collect()
}

fn hex_u32s(v: &[u32]) -> String {
    let mut s = String::with_capacity(v.len() * 8);
    for x in v {
        s.push_str(&format!("{x:08x}"));
    }
    s
}

fn parse_u32s(s: &str) -> Vec<u32> {
    s.as_bytes()
        .chunks_exact(8)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .filter_map(|c| u32::from_str_radix(c, 16).ok())
        .collect()
}

/// Sorted union, keeping the `MAX_SHINGLES` smallest.
fn union_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = a.iter().chain(b).copied().collect();
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_SHINGLES);
    out
}

/// What the database holds for one account's linking.
struct Stored {
    actor: Option<i64>,
    display_name: Option<String>,
    bio: Option<String>,
    avatar: Option<String>,
    name_key: String,
    shingles: Vec<u64>,
    signature: Vec<u32>,
    identifiers: Vec<Identifier>,
}

fn load(conn: &mut dyn Conn, account_id: i64) -> Result<Stored> {
    let row = conn.query_one(
        "SELECT display_name, bio, avatar_pdq, name_key, shingles, signature, actor_id \
         FROM accounts WHERE id = $1",
        params![account_id],
    )?;
    let mut identifiers = Vec::new();
    for r in conn.query(
        &format!(
            "SELECT kind, value FROM account_keys WHERE account_id = $1 AND kind IN {}",
            crate::actors::STRONG_KINDS_SQL
        ),
        params![account_id],
    )? {
        if let Some(signal) = Signal::parse(r.str(0)?) {
            let value = r.string(1)?;
            identifiers.push(Identifier {
                signal,
                key: identifier_key(signal, &value),
                value,
            });
        }
    }
    identifiers.sort_by_key(|i| i.key);
    Ok(Stored {
        display_name: row.opt_string(0)?,
        bio: row.opt_string(1)?,
        avatar: row.opt_string(2)?,
        name_key: row.opt_string(3)?.unwrap_or_default(),
        shingles: row
            .opt_string(4)?
            .map(|s| parse_u64s(&s))
            .unwrap_or_default(),
        signature: row
            .opt_string(5)?
            .map(|s| parse_u32s(&s))
            .unwrap_or_default(),
        actor: row.opt_i64(6)?,
        identifiers,
    })
}

/// `bands_rows` is `cfg.bands_rows()`, computed once per report (choosing it is not free).
fn features(s: &Stored, cfg: &LinkConfig, (bands, rows): (usize, usize)) -> Features {
    let name_hash = if s.name_key.len() >= cfg.min_name_letters {
        ronda_link::names::name_key_hash(&s.name_key)
    } else {
        0
    };
    Features {
        identifiers: s.identifiers.clone(),
        shingles: s.shingles.clone(),
        band_keys: ronda_link::lsh::band_keys(&s.signature, bands, rows),
        signature: s.signature.clone(),
        name_key: s.name_key.clone(),
        name_hash,
        avatar: s
            .avatar
            .as_deref()
            .and_then(|h| PdqHash::from_hex(h).ok())
            .filter(|h| *h != PdqHash::ZERO),
    }
}

/// Entries the memo keeps at most (beyond it, values are counted in the database as usual).
const KNOWN_COMMON_MAX: usize = 4_000_000;

const SHINGLE: u8 = 1;
const BAND: u8 = 2;
const NAME: u8 = 3;
const IDENTIFIER: u8 = 4;
const AVATAR: u8 = 5;

impl KnownCommon {
    fn lock(&self) -> std::sync::MutexGuard<'_, rustc_hash::FxHashSet<(u8, u64)>> {
        self.set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn contains(&self, kind: u8, v: u64) -> bool {
        self.lock().contains(&(kind, v))
    }
    fn mark(&self, kind: u8, v: u64) {
        let mut set = self.lock();
        if set.len() < KNOWN_COMMON_MAX {
            set.insert((kind, v));
        }
    }
}

/// An avatar's memo key: its first 64 bits (the memo is about exact values).
fn avatar_key(a: &PdqHash) -> u64 {
    u64::from_str_radix(&a.to_hex()[..16], 16).unwrap_or(0)
}

/// Counts read from the database for one decision (missing: held by this account only).
#[derive(Default)]
struct Counts {
    identifiers: HashMap<u64, u32>,
    shingles: HashMap<u64, u32>,
    names: HashMap<u64, u32>,
    avatars: HashMap<PdqHash, u32>,
}

impl Commonness for Counts {
    fn identifier_count(&self, key: u64) -> u32 {
        self.identifiers.get(&key).copied().unwrap_or(1)
    }
    fn shingle_count(&self, shingle: u64) -> u32 {
        self.shingles.get(&shingle).copied().unwrap_or(1)
    }
    fn name_count(&self, name_hash: u64) -> u32 {
        self.names.get(&name_hash).copied().unwrap_or(1)
    }
    fn avatar_count(&self, avatar: &PdqHash) -> u32 {
        self.avatars.get(avatar).copied().unwrap_or(1)
    }
}

/// Accounts under one key, at most `limit + 1` of them (enough to tell "more than the limit").
fn holders(conn: &mut dyn Conn, kind: &str, value: &str, limit: u32) -> Result<Vec<i64>> {
    conn.query(
        "SELECT account_id FROM account_keys WHERE kind = $1 AND value = $2 ORDER BY account_id LIMIT $3",
        params![kind, value, i64::from(limit) + 1],
    )?
    .iter()
    .map(|r| r.i64(0))
    .collect()
}

/// `$a, $b, …` placeholders numbered from `first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Indexes the account under new keys, in one statement.
fn add_keys(conn: &mut dyn Conn, keys: &[(&'static str, String)], account_id: i64) -> Result<()> {
    for chunk in keys.chunks(64) {
        add_keys_padded(conn, &pad(chunk), account_id)?;
    }
    Ok(())
}

fn add_keys_padded(
    conn: &mut dyn Conn,
    keys: &[(&'static str, String)],
    account_id: i64,
) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO account_keys (kind, value, account_id) VALUES ");
    let mut params: Vec<crate::db::Param<'_>> = Vec::with_capacity(keys.len() * 2 + 1);
    params.push(crate::db::Param::Int(account_id));
    for (i, (kind, value)) in keys.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, $1)", 2 * i + 2, 2 * i + 3));
        params.push(crate::db::Param::Text(kind));
        params.push(crate::db::Param::Text(value));
    }
    sql.push_str(" ON CONFLICT (kind, value, account_id) DO NOTHING");
    conn.execute(&sql, &params)?;
    Ok(())
}

/// The holders of several keys in one statement: up to `limit + 1` accounts per key (enough to
/// tell "more than the limit"). Falls back to one look-up per key when a key holds so many
/// accounts that the combined answer was cut short.
fn holders_many(
    conn: &mut dyn Conn,
    keys: &[(&'static str, String, u32)],
) -> Result<HashMap<(String, String), Vec<i64>>> {
    let mut out: HashMap<(String, String), Vec<i64>> = HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let mut kinds: Vec<&str> = keys.iter().map(|k| k.0).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let kinds = pad(&kinds);
    let mut values: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    values.sort_unstable();
    values.dedup();
    let values = pad(&values);
    let cap: i64 = keys.iter().map(|k| i64::from(k.2) + 1).sum();
    let sql = format!(
        "SELECT kind, value, account_id FROM account_keys WHERE kind IN ({}) AND value IN ({}) \
         ORDER BY account_id LIMIT ${}",
        placeholders(1, kinds.len()),
        placeholders(1 + kinds.len(), values.len()),
        1 + kinds.len() + values.len()
    );
    let mut params: Vec<crate::db::Param<'_>> = kinds
        .iter()
        .chain(values.iter())
        .map(|v| crate::db::Param::Text(v))
        .collect();
    params.push(crate::db::Param::Int(cap));
    let rows = conn.query(&sql, &params)?;
    if rows.len() as i64 >= cap {
        for (kind, value, limit) in keys {
            let ids = holders(conn, kind, value, *limit)?;
            out.insert((kind.to_string(), value.clone()), ids);
        }
        return Ok(out);
    }
    for r in rows {
        out.entry((r.string(0)?, r.string(1)?))
            .or_default()
            .push(r.i64(2)?);
    }
    Ok(out)
}

fn bump_shingles(conn: &mut dyn Conn, new: &[u64]) -> Result<()> {
    // An upsert may not touch one row twice (PostgreSQL): split, never pad.
    let mut rest = new;
    while !rest.is_empty() {
        let n = SIZES
            .iter()
            .copied()
            .filter(|s| *s <= rest.len())
            .max()
            .unwrap_or(1);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let mut sql = String::from("INSERT INTO shingle_counts (hash, accounts) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, 1)", i + 1));
        }
        sql.push_str(" ON CONFLICT (hash) DO UPDATE SET accounts = shingle_counts.accounts + 1");
        let params: Vec<crate::db::Param<'_>> = chunk
            .iter()
            .map(|h| crate::db::Param::Int(*h as i64))
            .collect();
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

fn shingle_counts(
    conn: &mut dyn Conn,
    known: &KnownCommon,
    generic_max: u32,
    hashes: &[u64],
    out: &mut HashMap<u64, u32>,
) -> Result<()> {
    let mut wanted = Vec::new();
    for h in hashes {
        if out.contains_key(h) {
            continue;
        }
        if known.contains(SHINGLE, *h) {
            out.insert(*h, generic_max.saturating_add(1));
        } else {
            wanted.push(*h);
        }
    }
    for chunk in wanted.chunks(IN_CHUNK) {
        let chunk = pad(chunk);
        let mut sql = String::from("SELECT hash, accounts FROM shingle_counts WHERE hash IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", i + 1));
        }
        sql.push(')');
        let params: Vec<crate::db::Param<'_>> = chunk
            .iter()
            .map(|h| crate::db::Param::Int(*h as i64))
            .collect();
        for r in conn.query(&sql, &params)? {
            let (h, n) = (
                r.i64(0)? as u64,
                u32::try_from(r.i64(1)?).unwrap_or(u32::MAX),
            );
            if n > generic_max {
                known.mark(SHINGLE, h);
            }
            out.insert(h, n);
        }
    }
    Ok(())
}

fn count(conn: &mut dyn Conn, kind: &str, value: &str, limit: u32) -> Result<u32> {
    Ok(u32::try_from(holders(conn, kind, value, limit)?.len()).unwrap_or(u32::MAX))
}

/// What linking one report found, for the audit event.
#[derive(Debug, Default)]
pub(crate) struct LinkOutcome {
    pub actor: Option<i64>,
    /// Accounts newly linked to this one.
    pub links: usize,
}

/// Merges the report's features into its account, indexes what is new and links the account to
/// the accounts that share enough with it. Runs inside the intake transaction.
pub(crate) fn link_report(
    tx: &mut Tx<'_>,
    account_id: i64,
    input: Option<&LinkInput>,
    profile: Option<&Profile>,
    actor: &str,
) -> Result<LinkOutcome> {
    let cfg = tx.link_config().clone();
    let bands_rows = cfg.bands_rows();
    let mut stored = load(tx.conn(), account_id)?;
    let before = features(&stored, &cfg, bands_rows);
    let merged = merge(&mut stored, input, profile);
    let after = features(&stored, &cfg, bands_rows);
    let new_shingles: Vec<u64> = after
        .shingles
        .iter()
        .copied()
        .filter(|s| before.shingles.binary_search(s).is_err())
        .collect();
    let new_bands: Vec<u64> = after
        .band_keys
        .iter()
        .copied()
        .filter(|b| !before.band_keys.contains(b))
        .collect();
    if merged.new_identifiers.is_empty() && new_shingles.is_empty() && !merged.profile_changed {
        return Ok(LinkOutcome::default());
    }
    let (conn, known) = tx.conn_and_known_common();
    let keys = index(
        conn,
        known,
        account_id,
        &stored,
        &after,
        &merged.new_identifiers,
        &new_shingles,
        &new_bands,
    )?;
    let (candidates, mut counts, hubs) = candidates(conn, known, &cfg, account_id, &after, &keys)?;
    record_hubs(tx, actor, &hubs, cfg.hub_max)?;
    let mut outcome = decide(
        tx,
        account_id,
        stored.actor,
        candidates,
        &after,
        &mut counts,
        actor,
    )?;
    // An account linked to nobody is an actor of its own.
    outcome.actor = Some(match outcome.actor {
        Some(a) => a,
        None => crate::actors::ensure_actor(tx, account_id)?,
    });
    Ok(outcome)
}

/// What a report changed in an account's stored features.
struct Merged {
    profile_changed: bool,
    new_identifiers: Vec<Identifier>,
}

/// Merges a report into the stored features: profile fields replace, text and identifiers
/// accumulate (the MinHash signature keeps the minimum per slot).
fn merge(stored: &mut Stored, input: Option<&LinkInput>, profile: Option<&Profile>) -> Merged {
    let mut profile_changed = false;
    if let Some(p) = profile {
        if p.display_name.is_some() && p.display_name != stored.display_name {
            stored.display_name.clone_from(&p.display_name);
            profile_changed = true;
        }
        if p.bio.is_some() && p.bio != stored.bio {
            stored.bio.clone_from(&p.bio);
            profile_changed = true;
        }
        if p.avatar_pdq.is_some() && p.avatar_pdq != stored.avatar {
            stored.avatar.clone_from(&p.avatar_pdq);
            profile_changed = true;
        }
    }
    let mut new_identifiers = Vec::new();
    if let Some(input) = input {
        if !input.name_key.is_empty() && input.name_key != stored.name_key {
            stored.name_key.clone_from(&input.name_key);
            profile_changed = true;
        }
        for (signal, value) in &input.identifiers {
            let Some(signal) = Signal::parse(signal) else {
                continue;
            };
            let key = identifier_key(signal, value);
            if stored.identifiers.iter().all(|i| i.key != key) {
                let id = Identifier {
                    signal,
                    value: value.clone(),
                    key,
                };
                new_identifiers.push(id.clone());
                stored.identifiers.push(id);
            }
        }
        stored.identifiers.sort_by_key(|i| i.key);
        if !input.shingles.is_empty() {
            stored.shingles = union_sorted(&stored.shingles, &input.shingles);
            stored.signature = if stored.signature.len() == input.signature.len() {
                stored
                    .signature
                    .iter()
                    .zip(&input.signature)
                    .map(|(a, b)| *a.min(b))
                    .collect()
            } else {
                input.signature.clone()
            };
        }
    }
    Merged {
        profile_changed,
        new_identifiers,
    }
}

/// The account's name and avatar keys, when they are not known to be generic.
struct OwnKeys {
    name_value: Option<String>,
    avatar_value: Option<String>,
}

/// Stores the merged features and indexes the new keys (the account counts itself); values
/// already known to be generic are neither counted nor indexed any further.
#[allow(clippy::too_many_arguments)]
fn index(
    conn: &mut dyn Conn,
    known: &KnownCommon,
    account_id: i64,
    stored: &Stored,
    after: &Features,
    new_identifiers: &[Identifier],
    new_shingles: &[u64],
    new_bands: &[u64],
) -> Result<OwnKeys> {
    conn.execute(
        "UPDATE accounts SET display_name = $2, bio = $3, avatar_pdq = $4, name_key = $5, \
         shingles = $6, signature = $7 WHERE id = $1",
        params![
            account_id,
            stored.display_name.as_deref(),
            stored.bio.as_deref(),
            stored.avatar.as_deref(),
            stored.name_key.as_str(),
            hex_u64s(&stored.shingles).as_str(),
            hex_u32s(&stored.signature).as_str()
        ],
    )?;
    let name_value = (after.name_hash != 0 && !known.contains(NAME, after.name_hash))
        .then(|| format!("{:016x}", after.name_hash));
    let avatar_value = after
        .avatar
        .filter(|a| !known.contains(AVATAR, avatar_key(a)))
        .map(|a| a.to_hex());
    let mut new_keys: Vec<(&'static str, String)> = new_identifiers
        .iter()
        .map(|id| (id.signal.as_str(), id.value.clone()))
        .collect();
    for b in new_bands {
        if !known.contains(BAND, *b) {
            new_keys.push(("lsh", format!("{b:016x}")));
        }
    }
    if let Some(v) = &name_value {
        new_keys.push(("name", v.clone()));
    }
    if let Some(v) = &avatar_value {
        new_keys.push(("avatar", v.clone()));
    }
    add_keys(conn, &new_keys, account_id)?;
    let rare_new: Vec<u64> = new_shingles
        .iter()
        .copied()
        .filter(|h| !known.contains(SHINGLE, *h))
        .collect();
    bump_shingles(conn, &rare_new)?;
    Ok(OwnKeys {
        name_value,
        avatar_value,
    })
}

/// Every key of the account looked up at once: the candidate accounts, the counts the
/// decision needs, and the identifiers that turned out to be hubs (held by more than
/// `hub_max` accounts).
fn candidates(
    conn: &mut dyn Conn,
    known: &KnownCommon,
    cfg: &LinkConfig,
    account_id: i64,
    after: &Features,
    keys: &OwnKeys,
) -> Result<(Vec<i64>, Counts, Vec<Identifier>)> {
    let (generic_max, hub_max) = (cfg.generic_max, cfg.hub_max);
    let over = |n: usize, limit: u32| n as u64 > u64::from(limit);
    let (name_value, avatar_value) = (&keys.name_value, &keys.avatar_value);
    let mut wanted: Vec<(&'static str, String, u32)> = Vec::new();
    for id in &after.identifiers {
        if !known.contains(IDENTIFIER, id.key) {
            wanted.push((id.signal.as_str(), id.value.clone(), hub_max));
        }
    }
    for b in &after.band_keys {
        if !known.contains(BAND, *b) {
            wanted.push(("lsh", format!("{b:016x}"), generic_max));
        }
    }
    if let Some(v) = name_value {
        wanted.push(("name", v.clone(), generic_max));
    }
    if let Some(v) = avatar_value {
        wanted.push(("avatar", v.clone(), generic_max));
    }
    let held = holders_many(conn, &wanted)?;
    let held_by = |kind: &str, value: &str| -> &[i64] {
        held.get(&(kind.to_string(), value.to_string()))
            .map_or(&[][..], Vec::as_slice)
    };
    let mut counts = Counts::default();
    let mut candidates: Vec<i64> = Vec::new();
    let push = |c: &mut Vec<i64>, ids: &[i64]| {
        for id in ids {
            if *id != account_id && !c.contains(id) && c.len() < MAX_CANDIDATES {
                c.push(*id);
            }
        }
    };
    let mut hubs = Vec::new();
    for id in &after.identifiers {
        if known.contains(IDENTIFIER, id.key) {
            counts.identifiers.insert(id.key, hub_max.saturating_add(1));
            continue;
        }
        let ids = held_by(id.signal.as_str(), &id.value);
        counts
            .identifiers
            .insert(id.key, u32::try_from(ids.len()).unwrap_or(u32::MAX));
        if over(ids.len(), hub_max) {
            known.mark(IDENTIFIER, id.key);
            hubs.push(id.clone());
        } else {
            push(&mut candidates, ids);
        }
    }
    for b in &after.band_keys {
        if known.contains(BAND, *b) {
            continue;
        }
        let ids = held_by("lsh", &format!("{b:016x}"));
        if over(ids.len(), generic_max) {
            known.mark(BAND, *b);
        } else {
            push(&mut candidates, ids);
        }
    }
    if after.name_hash != 0 {
        let n = match name_value {
            None => generic_max.saturating_add(1),
            Some(v) => {
                let ids = held_by("name", v);
                if over(ids.len(), generic_max) {
                    known.mark(NAME, after.name_hash);
                } else {
                    push(&mut candidates, ids);
                }
                u32::try_from(ids.len()).unwrap_or(u32::MAX)
            }
        };
        counts.names.insert(after.name_hash, n);
    }
    if let Some(a) = after.avatar {
        let n = match avatar_value {
            None => generic_max.saturating_add(1),
            Some(v) => u32::try_from(held_by("avatar", v).len()).unwrap_or(u32::MAX),
        };
        if n > generic_max {
            known.mark(AVATAR, avatar_key(&a));
        }
        counts.avatars.insert(a, n);
    }
    shingle_counts(
        conn,
        known,
        generic_max,
        &after.shingles,
        &mut counts.shingles,
    )?;
    Ok((candidates, counts, hubs))
}

/// Records the identifiers newly found to be hubs (audited once each).
fn record_hubs(tx: &mut Tx<'_>, actor: &str, hubs: &[Identifier], hub_max: u32) -> Result<()> {
    let now = tx.now_ms();
    for hub in hubs {
        let fresh = tx.conn().execute(
            "INSERT INTO link_hubs (kind, value, first_seen) VALUES ($1, $2, $3) ON CONFLICT (kind, value) DO NOTHING",
            params![hub.signal.as_str(), hub.value.as_str(), now],
        )? == 1;
        if fresh {
            tx.audit(
                actor,
                "link.hub",
                &format!("{}:{}", hub.signal.as_str(), hub.value),
                None,
                Some(&json!({"accounts_over": hub_max}).to_string()),
            )?;
        }
    }
    Ok(())
}

/// The decision, pair by pair: each candidate's features and counts, `ronda_link::assess`, and
/// for a link its evidence rows and the actors joined. `outcome.actor` is the account's actor
/// after the decisions (`None`: linked to nobody yet).
fn decide(
    tx: &mut Tx<'_>,
    account_id: i64,
    actor_id: Option<i64>,
    candidates: Vec<i64>,
    after: &Features,
    counts: &mut Counts,
    actor: &str,
) -> Result<LinkOutcome> {
    let cfg = tx.link_config().clone();
    let bands_rows = cfg.bands_rows();
    let now = tx.now_ms();
    let mut actor_id = actor_id;
    let mut outcome = LinkOutcome::default();
    let mut their_actors: HashMap<i64, Option<i64>> = HashMap::new();
    if !candidates.is_empty() {
        let padded = pad(&candidates);
        let sql = format!(
            "SELECT id, actor_id FROM accounts WHERE id IN ({})",
            placeholders(1, padded.len())
        );
        let params: Vec<crate::db::Param<'_>> =
            padded.iter().map(|c| crate::db::Param::Int(*c)).collect();
        for r in tx.conn().query(&sql, &params)? {
            their_actors.insert(r.i64(0)?, r.opt_i64(1)?);
        }
    }
    for other in candidates {
        // Already one actor with this account: nothing to decide, and a dense cluster costs
        // nothing per member.
        if actor_id.is_some() && their_actors.get(&other).copied().flatten() == actor_id {
            continue;
        }
        let theirs = load(tx.conn(), other)?;
        if actor_id.is_some() && theirs.actor == actor_id {
            continue;
        }
        let f = features(&theirs, &cfg, bands_rows);
        let (conn, known) = tx.conn_and_known_common();
        shingle_counts(
            conn,
            known,
            cfg.generic_max,
            &f.shingles,
            &mut counts.shingles,
        )?;
        if f.name_hash != 0 && !counts.names.contains_key(&f.name_hash) {
            let n = count(
                tx.conn(),
                "name",
                &format!("{:016x}", f.name_hash),
                cfg.generic_max,
            )?;
            counts.names.insert(f.name_hash, n);
        }
        if let Some(a) = f.avatar
            && !counts.avatars.contains_key(&a)
        {
            let n = count(tx.conn(), "avatar", &a.to_hex(), cfg.generic_max)?;
            counts.avatars.insert(a, n);
        }
        for id in &f.identifiers {
            if let std::collections::hash_map::Entry::Vacant(e) = counts.identifiers.entry(id.key) {
                e.insert(count(
                    tx.conn(),
                    id.signal.as_str(),
                    &id.value,
                    cfg.hub_max,
                )?);
            }
        }
        let verdict = ronda_link::assess(after, &f, &*counts, &cfg);
        if !verdict.links {
            continue;
        }
        let mut added = false;
        for e in &verdict.evidence {
            added |= tx.conn().execute(
                "INSERT INTO account_links (account_id, other_id, signal, value, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, other_id, signal, value) DO NOTHING",
                params![account_id, other, e.signal.as_str(), e.value.as_str(), now],
            )? == 1;
        }
        if added {
            outcome.links += 1;
        }
        actor_id = Some(crate::actors::join(
            tx, account_id, other, account_id, actor,
        )?);
    }
    outcome.actor = actor_id;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let v = vec![0, 1, u64::MAX, 0x0123_4567_89ab_cdef];
        assert_eq!(parse_u64s(&hex_u64s(&v)), v);
        let w = vec![0, 7, u32::MAX];
        assert_eq!(parse_u32s(&hex_u32s(&w)), w);
    }

    #[test]
    fn union_keeps_the_smallest() {
        let a: Vec<u64> = (0..MAX_SHINGLES as u64).map(|x| x * 2).collect();
        let b: Vec<u64> = vec![1, 3];
        let u = union_sorted(&a, &b);
        assert_eq!(u.len(), MAX_SHINGLES);
        assert_eq!(&u[..4], &[0, 1, 2, 3]);
    }
}
