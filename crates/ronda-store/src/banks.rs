//! Hash banks: named lists of PDQ hashes with a category, a distance threshold and a minimum
//! query quality; the media of content items; the matches recorded on cases; and the
//! per-process in-memory [`Matcher`].
//!
//! Semantics (the same everywhere: intake, `POST /media/match`, retroactive matching):
//! - a query matches a hash of an enabled bank at Hamming distance `<= threshold`;
//! - a query whose PDQ quality is known and below the bank's `min_quality` is not matched
//!   against that bank (media in reports carry no quality: they are always matched);
//! - a match in an `allowlist` bank suppresses every other match of that query (known false
//!   positives);
//! - a match in a `child_exploitation` bank makes the case `urgent` (and its category
//!   `child_exploitation` when it had none); every match is stored on the case.
//!
//! Bank hashes are append-only (ids grow), so the matcher loads each bank incrementally (`id >`
//! the last id it holds). Every bank write bumps `bank_state.version` in its transaction; the
//! matcher compares that one value before matching, so changes made by another process (the
//! CLI) are seen at the next match.
//!
//! **Retroactive matching** runs inside the transaction that adds hashes: the new hashes are
//! indexed and every stored media hash (`content_media`) is queried against them, which is
//! exact. A match on an open case is recorded on it (and raises its priority as above). A match
//! whose case is closed (rejected, removed, closed) is recorded on the target's open case, and
//! when the target has none, a new case is opened for it (`case.opened` with reason
//! `media_match`): a known image found again is work to do, never silently filed on a closed
//! case. Additions to an allowlist bank do not retract matches already recorded.

use std::collections::{HashMap, HashSet};

use ronda_core::model::{CaseStatus, Priority};
use ronda_core::report::{FieldError, Media};
use ronda_core::triage::{Signals, raise};
use ronda_media::bank::{BankCategory, DEFAULT_MIN_QUALITY, HashList};
use ronda_media::pdq::DEFAULT_DISTANCE_THRESHOLD;
use ronda_media::{HashIndex, PdqHash};
use serde_json::json;

use crate::db::{Conn, Row};
use crate::error::{Result, StoreError};
use crate::memo::{LoadedBank, Matcher};
use crate::params;
use crate::store::{Store, Tx};

/// Largest accepted distance threshold or match radius (PDQ's standard is 31).
pub const MAX_THRESHOLD: u32 = 128;
/// Longest bank name.
pub const MAX_NAME: usize = 64;

/// A bank as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bank {
    pub id: i64,
    pub name: String,
    pub category: BankCategory,
    pub enabled: bool,
    pub threshold: u32,
    pub min_quality: u8,
    pub hash_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What creates a bank; unset fields take the defaults (enabled, 31, 50).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBank {
    pub name: String,
    pub category: BankCategory,
    pub enabled: Option<bool>,
    pub threshold: Option<u32>,
    pub min_quality: Option<u8>,
}

/// A change of a bank's settings (a bank is never deleted: disable it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankPatch {
    pub enabled: Option<bool>,
    pub threshold: Option<u32>,
    pub min_quality: Option<u8>,
}

/// What adding hashes to a bank did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub bank: Bank,
    /// The bank did not exist and was created by this import.
    pub created: bool,
    pub added: usize,
    /// Entries already in the bank (or repeated in the list).
    pub duplicates: usize,
    /// Matches recorded on cases by the retroactive pass.
    pub retro_matches: usize,
    /// Cases whose matches or priority changed, and cases opened by the retroactive pass.
    pub cases_updated: Vec<i64>,
    pub cases_opened: Vec<i64>,
}

/// One bank hash that a query matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHit {
    pub bank_id: i64,
    pub bank: String,
    pub category: BankCategory,
    pub hash_id: i64,
    pub hash: PdqHash,
    pub distance: u32,
    pub label: Option<String>,
}

/// The matches of one query after the allowlist rule, each list nearest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryMatches {
    /// Matches to act on (empty when allowlisted).
    pub matches: Vec<BankHit>,
    /// Allowlist matches; when any, `matches` moved to `suppressed`.
    pub allowlisted: Vec<BankHit>,
    pub suppressed: Vec<BankHit>,
}

/// The matches of one media item of a report, computed before its write transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaHit {
    pub pdq: PdqHash,
    pub hit: BankHit,
}

/// The matches of a report's media plus what the matcher knew when computing them, so that
/// the write job can catch up with hashes added in between (see [`current_hits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaMatches {
    pub hits: Vec<MediaHit>,
    /// Media hashes that an allowlist bank matched (their other matches are suppressed).
    pub allowlisted: Vec<PdqHash>,
    /// `bank_state.version` the matcher reflected.
    pub version: i64,
    /// Every bank hash with an id up to this one was considered.
    pub max_hash_id: i64,
}

/// A match as shown on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMediaMatch {
    pub bank: String,
    pub category: String,
    pub content_id: i64,
    pub pdq: String,
    pub bank_hash: String,
    pub label: Option<String>,
    pub distance: i64,
    pub matched_at: i64,
}

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(FieldError::new("invalid", field, message))
}

/// Checks a bank name: 1 to 64 characters of `A-Z a-z 0-9 _ - .`.
pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(invalid(
            "name",
            format!("a bank name is 1 to {MAX_NAME} characters of A-Z, a-z, 0-9, _, - and ."),
        ));
    }
    Ok(())
}

fn check_settings(threshold: Option<u32>, min_quality: Option<u8>) -> Result<()> {
    if threshold.is_some_and(|t| t > MAX_THRESHOLD) {
        return Err(invalid(
            "threshold",
            format!("threshold is 0 to {MAX_THRESHOLD}"),
        ));
    }
    if min_quality.is_some_and(|q| q > 100) {
        return Err(invalid("min_quality", "min_quality is 0 to 100"));
    }
    Ok(())
}

const BANK_COLUMNS: &str = "b.id, b.name, b.category, b.enabled, b.threshold, b.min_quality, \
     (SELECT COUNT(*) FROM bank_hashes h WHERE h.bank_id = b.id), b.created_at, b.updated_at";

fn bank_from_row(r: &Row) -> Result<Bank> {
    Ok(Bank {
        id: r.i64(0)?,
        name: r.string(1)?,
        category: r.parse(2)?,
        enabled: r.i64(3)? == 1,
        threshold: u32::try_from(r.i64(4)?).unwrap_or(DEFAULT_DISTANCE_THRESHOLD),
        min_quality: u8::try_from(r.i64(5)?).unwrap_or(DEFAULT_MIN_QUALITY),
        hash_count: r.i64(6)?,
        created_at: r.i64(7)?,
        updated_at: r.i64(8)?,
    })
}

/// Reads one bank by name.
pub fn get_bank(conn: &mut dyn Conn, name: &str) -> Result<Option<Bank>> {
    let sql = format!("SELECT {BANK_COLUMNS} FROM hash_banks b WHERE b.name = $1");
    conn.query_opt(&sql, params![name])?
        .map(|r| bank_from_row(&r))
        .transpose()
}

/// Every bank, by name.
pub fn list_banks(conn: &mut dyn Conn) -> Result<Vec<Bank>> {
    let sql = format!("SELECT {BANK_COLUMNS} FROM hash_banks b ORDER BY b.name");
    conn.query(&sql, params![])?
        .iter()
        .map(bank_from_row)
        .collect()
}

fn bump_version(tx: &mut Tx<'_>) -> Result<()> {
    tx.conn().execute(
        "UPDATE bank_state SET version = version + 1 WHERE id = 1",
        params![],
    )?;
    Ok(())
}

fn bank_json(b: &Bank) -> String {
    json!({"name": b.name, "category": b.category.as_str(), "enabled": b.enabled,
        "threshold": b.threshold, "min_quality": b.min_quality})
    .to_string()
}

fn create_in(tx: &mut Tx<'_>, actor: &str, new: &NewBank) -> Result<Bank> {
    if get_bank(tx.conn(), &new.name)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "bank `{}` already exists",
            new.name
        )));
    }
    let now = tx.now_ms();
    let enabled = new.enabled.unwrap_or(true);
    let threshold = i64::from(new.threshold.unwrap_or(DEFAULT_DISTANCE_THRESHOLD));
    let min_quality = i64::from(new.min_quality.unwrap_or(DEFAULT_MIN_QUALITY));
    tx.conn().insert_id(
        "INSERT INTO hash_banks (name, category, enabled, threshold, min_quality, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        params![&new.name, new.category.as_str(), enabled, threshold, min_quality, now],
    )?;
    bump_version(tx)?;
    let bank = get_bank(tx.conn(), &new.name)?
        .ok_or_else(|| StoreError::NotFound(format!("bank `{}`", new.name)))?;
    tx.audit(
        actor,
        "bank.created",
        &format!("bank:{}", bank.name),
        None,
        Some(&bank_json(&bank)),
    )?;
    Ok(bank)
}

fn update_in(tx: &mut Tx<'_>, actor: &str, name: &str, patch: &BankPatch) -> Result<Bank> {
    let before =
        get_bank(tx.conn(), name)?.ok_or_else(|| StoreError::NotFound(format!("bank `{name}`")))?;
    let enabled = patch.enabled.unwrap_or(before.enabled);
    let threshold = i64::from(patch.threshold.unwrap_or(before.threshold));
    let min_quality = i64::from(patch.min_quality.unwrap_or(before.min_quality));
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE hash_banks SET enabled = $2, threshold = $3, min_quality = $4, updated_at = $5 WHERE id = $1",
        params![before.id, enabled, threshold, min_quality, now],
    )?;
    bump_version(tx)?;
    let after =
        get_bank(tx.conn(), name)?.ok_or_else(|| StoreError::NotFound(format!("bank `{name}`")))?;
    tx.audit(
        actor,
        "bank.updated",
        &format!("bank:{name}"),
        Some(&bank_json(&before)),
        Some(&bank_json(&after)),
    )?;
    Ok(after)
}

fn import_in(
    tx: &mut Tx<'_>,
    actor: &str,
    name: &str,
    create: Option<&NewBank>,
    list: &HashList,
) -> Result<ImportOutcome> {
    let (bank, created) = match get_bank(tx.conn(), name)? {
        Some(b) => (b, false),
        None => match create {
            Some(new) => (create_in(tx, actor, new)?, true),
            None => return Err(StoreError::NotFound(format!("bank `{name}`"))),
        },
    };
    let now = tx.now_ms();
    let mut seen = HashSet::with_capacity(list.len());
    let mut new_ids = Vec::new();
    let mut new_hashes = Vec::new();
    let mut duplicates = 0;
    for entry in list.iter() {
        if !seen.insert(entry.hash) {
            duplicates += 1;
            continue;
        }
        let hex = entry.hash.to_hex();
        let exists = tx.conn().query_opt(
            "SELECT id FROM bank_hashes WHERE bank_id = $1 AND pdq = $2",
            params![bank.id, &hex],
        )?;
        if exists.is_some() {
            duplicates += 1;
            continue;
        }
        let id = tx.conn().insert_id(
            "INSERT INTO bank_hashes (bank_id, pdq, quality, label, added_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![bank.id, &hex, entry.quality.map(i64::from), entry.label, now],
        )?;
        new_ids.push(id);
        new_hashes.push(entry.hash);
    }
    let mut outcome = ImportOutcome {
        bank: bank.clone(),
        created,
        added: new_ids.len(),
        duplicates,
        retro_matches: 0,
        cases_updated: Vec::new(),
        cases_opened: Vec::new(),
    };
    if new_ids.is_empty() {
        return Ok(outcome);
    }
    tx.conn().execute(
        "UPDATE hash_banks SET updated_at = $2 WHERE id = $1",
        params![bank.id, now],
    )?;
    bump_version(tx)?;
    tx.audit(
        actor,
        "bank.hashes_added",
        &format!("bank:{}", bank.name),
        Some(&json!({"hash_count": bank.hash_count}).to_string()),
        Some(
            &json!({"hash_count": bank.hash_count + new_ids.len() as i64, "added": new_ids.len(),
                "duplicates": duplicates})
            .to_string(),
        ),
    )?;
    if bank.enabled && bank.category != BankCategory::Allowlist {
        retroactive(tx, actor, &bank, &new_ids, new_hashes, &mut outcome)?;
    }
    outcome.bank = get_bank(tx.conn(), name)?.unwrap_or(bank);
    Ok(outcome)
}

/// Enabled allowlist hashes with their bank's threshold and minimum quality (read inside the
/// transaction; allowlists are small).
fn allowlist_in(conn: &mut dyn Conn) -> Result<Vec<(PdqHash, u32, u8)>> {
    conn.query(
        "SELECT h.pdq, b.threshold, b.min_quality FROM bank_hashes h JOIN hash_banks b ON b.id = h.bank_id \
         WHERE b.category = 'allowlist' AND b.enabled = 1",
        params![],
    )?
    .iter()
    .map(|r| {
        Ok((
            parse_hash(r, 0)?,
            u32::try_from(r.i64(1)?).unwrap_or(0),
            u8::try_from(r.i64(2)?).unwrap_or(0),
        ))
    })
    .collect()
}

fn parse_hash(r: &Row, column: usize) -> Result<PdqHash> {
    PdqHash::from_hex(r.str(column)?).map_err(|e| StoreError::Decode {
        column,
        message: e.to_string(),
    })
}

/// The case a match on `case_id` belongs on: the case itself when open, else the target's
/// open case, else a new case opened for the target. Returns (case id, opened now).
fn live_case(tx: &mut Tx<'_>, actor: &str, case_id: i64) -> Result<(i64, bool)> {
    let row = tx.conn().query_one(
        "SELECT is_open, target_kind, target_key, target_value, platform_id, account_id FROM cases WHERE id = $1",
        params![case_id],
    )?;
    if row.i64(0)? == 1 {
        return Ok((case_id, false));
    }
    let key = row.string(2)?;
    if let Some(open) = tx.conn().query_opt(
        "SELECT id FROM cases WHERE target_key = $1 AND is_open = 1",
        params![&key],
    )? {
        return Ok((open.i64(0)?, false));
    }
    let now = tx.now_ms();
    let id = crate::cases::open_for_target(
        tx,
        &crate::cases::NewCase {
            target_kind: row.str(1)?,
            target_key: &key,
            target_value: row.str(3)?,
            platform_id: row.i64(4)?,
            account_id: row.opt_i64(5)?,
            triage: ronda_core::triage::Triage {
                priority: Priority::Normal,
                category: None,
                child: None,
            },
            reports_by_source: [0; 4],
            detection: None,
            previous_case_id: None,
            now,
        },
    )?;
    let after = json!({"status": CaseStatus::New, "priority": Priority::Normal, "category": null,
        "reports_total": 0, "target": key, "reason": "media_match", "previous_case": case_id});
    tx.audit(
        actor,
        "case.opened",
        &format!("case:{id}"),
        None,
        Some(&after.to_string()),
    )?;
    Ok((id, true))
}

/// A match just recorded on a case: bank name, category, distance.
type NewMatch = (String, BankCategory, u32);

/// Raises a case for new matches (the child-safety rule for `child_exploitation`) and audits it.
fn apply_case_effect(
    tx: &mut Tx<'_>,
    actor: &str,
    case_id: i64,
    matches: &[NewMatch],
) -> Result<()> {
    let old = crate::triage::load(tx, case_id)?;
    let t = old.apply(&raise(&Signals {
        child_bank_match: matches
            .iter()
            .any(|(_, c, _)| *c == BankCategory::ChildExploitation),
        ..Signals::default()
    }));
    crate::triage::save(tx, case_id, &t)?;
    crate::triage::notice_follows(tx, actor, case_id, &old, &t)?;
    let banks: Vec<serde_json::Value> = matches
        .iter()
        .map(|(bank, category, distance)| {
            json!({"bank": bank, "category": category.as_str(), "distance": distance})
        })
        .collect();
    let before = crate::triage::to_json(&old);
    let mut after = crate::triage::to_json(&t);
    after["media_matches"] = json!(banks);
    tx.audit(
        actor,
        "case.media_matched",
        &format!("case:{case_id}"),
        Some(&before.to_string()),
        Some(&after.to_string()),
    )?;
    Ok(())
}

fn retroactive(
    tx: &mut Tx<'_>,
    actor: &str,
    bank: &Bank,
    new_ids: &[i64],
    new_hashes: Vec<PdqHash>,
    outcome: &mut ImportOutcome,
) -> Result<()> {
    let index =
        HashIndex::from_hashes(new_hashes).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let media = tx.conn().query(
        "SELECT content_id, case_id, pdq, quality FROM content_media WHERE pdq IS NOT NULL ORDER BY id",
        params![],
    )?;
    let mut allowlist: Option<Vec<(PdqHash, u32, u8)>> = None;
    let mut live: HashMap<i64, i64> = HashMap::new();
    let mut per_case: Vec<(i64, Vec<NewMatch>)> = Vec::new();
    let now = tx.now_ms();
    for row in &media {
        let pdq = parse_hash(row, 2)?;
        let quality = row.opt_i64(3)?;
        if quality.is_some_and(|q| q < i64::from(bank.min_quality)) {
            continue;
        }
        let hits = index.search(&pdq, bank.threshold);
        if hits.is_empty() {
            continue;
        }
        if allowlist.is_none() {
            allowlist = Some(allowlist_in(tx.conn())?);
        }
        let allowed = allowlist
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|(h, t, q)| {
                quality.is_none_or(|quality| quality >= i64::from(*q)) && h.distance(&pdq) <= *t
            });
        if allowed {
            continue;
        }
        let content_id = row.i64(0)?;
        let original_case = row.i64(1)?;
        let case_id = match live.get(&original_case) {
            Some(id) => *id,
            None => {
                let (id, opened) = live_case(tx, actor, original_case)?;
                if opened {
                    outcome.cases_opened.push(id);
                }
                live.insert(original_case, id);
                id
            }
        };
        let hex = pdq.to_hex();
        for hit in hits {
            let Some(hash_id) = new_ids.get(hit.id as usize) else {
                continue;
            };
            let inserted = tx.conn().execute(
                "INSERT INTO media_matches (case_id, content_id, pdq, bank_id, bank_hash_id, distance, matched_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                params![case_id, content_id, &hex, bank.id, *hash_id, i64::from(hit.distance), now],
            )?;
            if inserted == 0 {
                continue;
            }
            outcome.retro_matches += 1;
            let entry = (bank.name.clone(), bank.category.clone(), hit.distance);
            match per_case.iter_mut().find(|(id, _)| *id == case_id) {
                Some((_, list)) => list.push(entry),
                None => per_case.push((case_id, vec![entry])),
            }
        }
    }
    for (case_id, matches) in &per_case {
        apply_case_effect(tx, actor, *case_id, matches)?;
        outcome.cases_updated.push(*case_id);
    }
    Ok(())
}

fn media_hashes(media: &[Media]) -> Vec<PdqHash> {
    media
        .iter()
        .filter_map(|m| m.pdq.as_deref())
        .filter_map(|p| PdqHash::from_hex(p).ok())
        .collect()
}

/// The next `hashes.len()` results as one item's [`MediaMatches`].
fn collect_matches(
    hashes: &[PdqHash],
    results: &mut impl Iterator<Item = QueryMatches>,
    version: i64,
    max_hash_id: i64,
) -> MediaMatches {
    let mut out = MediaMatches {
        hits: Vec::new(),
        allowlisted: Vec::new(),
        version,
        max_hash_id,
    };
    for &pdq in hashes {
        let Some(r) = results.next() else { break };
        if !r.allowlisted.is_empty() {
            out.allowlisted.push(pdq);
        }
        out.hits
            .extend(r.matches.into_iter().map(|hit| MediaHit { pdq, hit }));
    }
    out
}

/// Intake, inside the write transaction: `matched` brought up to date. When a bank write
/// committed after the matcher's snapshot (`bank_state.version` moved), the report's media
/// are also compared with the hashes added since (`id > max_hash_id`, enabled banks), so a
/// report racing an import is matched either here or by that import's retroactive pass.
/// Costs one primary-key read when nothing changed.
pub fn current_hits(
    tx: &mut Tx<'_>,
    media: &[Media],
    matched: &MediaMatches,
) -> Result<Vec<MediaHit>> {
    let version = read_version(tx.conn())?;
    if version == matched.version {
        return Ok(matched.hits.clone());
    }
    let rows = tx.conn().query(
        "SELECT h.id, h.pdq, h.label, b.id, b.name, b.category, b.threshold FROM bank_hashes h \
         JOIN hash_banks b ON b.id = h.bank_id WHERE h.id > $1 AND b.enabled = 1 ORDER BY h.id",
        params![matched.max_hash_id],
    )?;
    if rows.is_empty() {
        return Ok(matched.hits.clone());
    }
    let queries = media_hashes(media);
    let mut late = Vec::new();
    for r in &rows {
        let hash = parse_hash(r, 1)?;
        let threshold = u32::try_from(r.i64(6)?).unwrap_or(0);
        for &pdq in &queries {
            let distance = pdq.distance(&hash);
            if distance <= threshold {
                late.push(MediaHit {
                    pdq,
                    hit: BankHit {
                        bank_id: r.i64(3)?,
                        bank: r.string(4)?,
                        category: r.parse(5)?,
                        hash_id: r.i64(0)?,
                        hash,
                        distance,
                        label: r.opt_string(2)?,
                    },
                });
            }
        }
    }
    let mut allowlisted = matched.allowlisted.clone();
    allowlisted.extend(
        late.iter()
            .filter(|h| h.hit.category == BankCategory::Allowlist)
            .map(|h| h.pdq),
    );
    Ok(matched
        .hits
        .iter()
        .cloned()
        .chain(late)
        .filter(|h| !allowlisted.contains(&h.pdq))
        .collect())
}

/// Intake: whether a report's media matched a `child_exploitation` bank (a child-safety sign,
/// see `ronda_core::triage`).
pub(crate) fn child_match(hits: &[MediaHit]) -> bool {
    hits.iter()
        .any(|h| h.hit.category == BankCategory::ChildExploitation)
}

/// Intake: stores the media of a content item and the matches found for them.
pub(crate) fn record_intake_media(
    tx: &mut Tx<'_>,
    case_id: i64,
    content_id: i64,
    media: &[Media],
    hits: &[MediaHit],
) -> Result<()> {
    for m in media {
        tx.conn().execute(
            "INSERT INTO content_media (content_id, case_id, pdq, quality, sha256) VALUES ($1, $2, $3, NULL, $4)",
            params![content_id, case_id, m.pdq.as_deref(), m.sha256.as_deref()],
        )?;
    }
    let now = tx.now_ms();
    for h in hits {
        tx.conn().execute(
            "INSERT INTO media_matches (case_id, content_id, pdq, bank_id, bank_hash_id, distance, matched_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            params![
                case_id,
                content_id,
                &h.pdq.to_hex(),
                h.hit.bank_id,
                h.hit.hash_id,
                i64::from(h.hit.distance),
                now
            ],
        )?;
    }
    Ok(())
}

/// The matches recorded on a case, nearest first.
pub fn case_matches(conn: &mut dyn Conn, case_id: i64) -> Result<Vec<CaseMediaMatch>> {
    conn.query(
        "SELECT b.name, b.category, m.content_id, m.pdq, h.pdq, h.label, m.distance, m.matched_at \
         FROM media_matches m JOIN hash_banks b ON b.id = m.bank_id JOIN bank_hashes h ON h.id = m.bank_hash_id \
         WHERE m.case_id = $1 ORDER BY m.distance, m.id",
        params![case_id],
    )?
    .iter()
    .map(|r| {
        Ok(CaseMediaMatch {
            bank: r.string(0)?,
            category: r.string(1)?,
            content_id: r.i64(2)?,
            pdq: r.string(3)?,
            bank_hash: r.string(4)?,
            label: r.opt_string(5)?,
            distance: r.i64(6)?,
            matched_at: r.i64(7)?,
        })
    })
    .collect()
}

/// A bank's entries in insertion order, as a hash list.
pub fn export_bank(conn: &mut dyn Conn, bank_id: i64) -> Result<HashList> {
    let rows = conn.query(
        "SELECT pdq, quality, label FROM bank_hashes WHERE bank_id = $1 ORDER BY id",
        params![bank_id],
    )?;
    let mut list = HashList::new();
    for r in &rows {
        let quality = r.opt_i64(1)?.and_then(|q| u8::try_from(q).ok());
        list.push(parse_hash(r, 0)?, quality, r.opt_string(2)?.as_deref());
    }
    Ok(list)
}

fn read_version(conn: &mut dyn Conn) -> Result<i64> {
    conn.query_one("SELECT version FROM bank_state WHERE id = 1", params![])?
        .i64(0)
}

impl Matcher {
    /// Brings the in-memory banks up to the database's `bank_state.version`.
    fn refresh(&self, store: &Store) -> Result<()> {
        let version = store.read(read_version)?;
        let current = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .version;
        if current == Some(version) {
            return Ok(());
        }
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.version == Some(version) {
            return Ok(());
        }
        // Read the version first, data second: the data is at least that new. Hashes are
        // loaded up to one id read first, so "every id up to max_hash_id" holds exactly.
        store.read(|conn| {
            let max_hash_id = conn
                .query_one(
                    "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM bank_hashes",
                    params![],
                )?
                .i64(0)?;
            let banks = list_banks(conn)?;
            for bank in banks {
                let pos = match state.banks.iter().position(|b| b.id == bank.id) {
                    Some(p) => p,
                    None => {
                        state.banks.push(LoadedBank {
                            id: bank.id,
                            name: bank.name.clone(),
                            category: bank.category.clone(),
                            enabled: false,
                            threshold: bank.threshold,
                            min_quality: bank.min_quality,
                            index: HashIndex::new(),
                            hash_ids: Vec::new(),
                            labels: Vec::new(),
                            max_id: 0,
                        });
                        state.banks.len() - 1
                    }
                };
                let loaded = &mut state.banks[pos];
                loaded.enabled = bank.enabled;
                loaded.threshold = bank.threshold;
                loaded.min_quality = bank.min_quality;
                loaded.category = bank.category;
                if !bank.enabled {
                    continue;
                }
                let rows = conn.query(
                    "SELECT id, pdq, label FROM bank_hashes WHERE bank_id = $1 AND id > $2 AND id <= $3 ORDER BY id",
                    params![bank.id, loaded.max_id, max_hash_id],
                )?;
                let mut hashes = Vec::with_capacity(rows.len());
                for r in &rows {
                    let id = r.i64(0)?;
                    hashes.push(parse_hash(r, 1)?);
                    loaded.hash_ids.push(id);
                    loaded
                        .labels
                        .push(r.opt_string(2)?.map(String::into_boxed_str));
                    loaded.max_id = id;
                }
                loaded
                    .index
                    .extend(&hashes)
                    .map_err(|e| StoreError::Conflict(e.to_string()))?;
            }
            state.max_hash_id = max_hash_id;
            Ok(())
        })?;
        state.version = Some(version);
        Ok(())
    }

    /// Matches `queries` (hash, quality when known) against every enabled bank. `radius`
    /// replaces each bank's threshold when given.
    pub fn match_hashes(
        &self,
        store: &Store,
        queries: &[(PdqHash, Option<u8>)],
        radius: Option<u32>,
    ) -> Result<Vec<QueryMatches>> {
        Ok(self.match_stamped(store, queries, radius)?.0)
    }

    /// [`Matcher::match_hashes`] plus the (version, max hash id) the results reflect.
    fn match_stamped(
        &self,
        store: &Store,
        queries: &[(PdqHash, Option<u8>)],
        radius: Option<u32>,
    ) -> Result<(Vec<QueryMatches>, i64, i64)> {
        self.refresh(store)?;
        let state = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let results = queries
            .iter()
            .map(|(query, quality)| match_one(&state.banks, query, *quality, radius))
            .collect();
        Ok((results, state.version.unwrap_or(0), state.max_hash_id))
    }
}

fn match_one(
    banks: &[LoadedBank],
    query: &PdqHash,
    quality: Option<u8>,
    radius: Option<u32>,
) -> QueryMatches {
    let mut accepted = Vec::new();
    for bank in banks.iter().filter(|b| b.enabled) {
        if quality.is_some_and(|q| q < bank.min_quality) {
            continue;
        }
        for m in bank.index.search(query, radius.unwrap_or(bank.threshold)) {
            let i = m.id as usize;
            let (Some(hash_id), Some(hash)) = (bank.hash_ids.get(i), bank.index.get(m.id)) else {
                continue;
            };
            accepted.push(BankHit {
                bank_id: bank.id,
                bank: bank.name.clone(),
                category: bank.category.clone(),
                hash_id: *hash_id,
                hash: *hash,
                distance: m.distance,
                label: bank.labels.get(i).cloned().flatten().map(String::from),
            });
        }
    }
    accepted
        .sort_by(|a, b| (a.distance, &a.bank, a.hash_id).cmp(&(b.distance, &b.bank, b.hash_id)));
    let (allowlisted, others): (Vec<_>, Vec<_>) = accepted
        .into_iter()
        .partition(|h| h.category == BankCategory::Allowlist);
    if allowlisted.is_empty() {
        QueryMatches {
            matches: others,
            ..QueryMatches::default()
        }
    } else {
        QueryMatches {
            matches: Vec::new(),
            allowlisted,
            suppressed: others,
        }
    }
}

impl Store {
    /// Creates a bank (audited `bank.created`); a taken name is a conflict.
    pub fn create_bank_blocking(&self, actor: &str, new: NewBank) -> Result<Bank> {
        check_name(&new.name)?;
        check_settings(new.threshold, new.min_quality)?;
        let actor = actor.to_string();
        self.write_blocking(1, move |tx| create_in(tx, &actor, &new))
    }

    /// Changes a bank's settings (audited `bank.updated`).
    pub fn update_bank_blocking(&self, actor: &str, name: &str, patch: BankPatch) -> Result<Bank> {
        check_settings(patch.threshold, patch.min_quality)?;
        let (actor, name) = (actor.to_string(), name.to_string());
        self.write_blocking(1, move |tx| update_in(tx, &actor, &name, &patch))
    }

    /// Adds a hash list to a bank (creating it from `create` when it does not exist), then
    /// matches stored media against the new hashes (see the module doc).
    pub fn import_hashes_blocking(
        &self,
        actor: &str,
        name: &str,
        create: Option<NewBank>,
        list: HashList,
    ) -> Result<ImportOutcome> {
        check_name(name)?;
        if let Some(new) = &create {
            check_settings(new.threshold, new.min_quality)?;
        }
        let (actor, name) = (actor.to_string(), name.to_string());
        let weight = list.len().max(1);
        self.write_blocking(weight, move |tx| {
            import_in(tx, &actor, &name, create.as_ref(), &list)
        })
    }

    pub fn get_bank(&self, name: &str) -> Result<Option<Bank>> {
        self.read(|c| get_bank(c, name))
    }

    pub fn list_banks(&self) -> Result<Vec<Bank>> {
        self.read(list_banks)
    }

    /// A bank and its entries; `None` when there is no such bank.
    pub fn export_bank(&self, name: &str) -> Result<Option<(Bank, HashList)>> {
        self.read(|c| match get_bank(c, name)? {
            Some(bank) => {
                let list = export_bank(c, bank.id)?;
                Ok(Some((bank, list)))
            }
            None => Ok(None),
        })
    }

    pub fn case_media_matches(&self, case_id: i64) -> Result<Vec<CaseMediaMatch>> {
        self.read(|c| case_matches(c, case_id))
    }

    /// Matches hashes against the enabled banks with this process's matcher.
    pub fn match_hashes(
        &self,
        queries: &[(PdqHash, Option<u8>)],
        radius: Option<u32>,
    ) -> Result<Vec<QueryMatches>> {
        self.matcher().match_hashes(self, queries, radius)
    }

    /// The matches of a report's media, to pass into its write job (which brings them up to
    /// date with [`current_hits`]). Blocking (reads the bank version).
    pub fn match_report_media(&self, media: &[Media]) -> Result<MediaMatches> {
        let hashes = media_hashes(media);
        let queries: Vec<(PdqHash, Option<u8>)> = hashes.iter().map(|h| (*h, None)).collect();
        let (results, version, max_hash_id) = self.matcher().match_stamped(self, &queries, None)?;
        Ok(collect_matches(
            &hashes,
            &mut results.into_iter(),
            version,
            max_hash_id,
        ))
    }

    /// [`Store::match_report_media`] for the items of a batch, with one matcher refresh;
    /// `None` for items without a PDQ hash.
    pub fn match_batch_media(&self, items: &[Vec<Media>]) -> Result<Vec<Option<MediaMatches>>> {
        let per_item: Vec<Vec<PdqHash>> = items.iter().map(|m| media_hashes(m)).collect();
        let queries: Vec<(PdqHash, Option<u8>)> =
            per_item.iter().flatten().map(|h| (*h, None)).collect();
        let (results, version, max_hash_id) = self.matcher().match_stamped(self, &queries, None)?;
        let mut results = results.into_iter();
        Ok(items
            .iter()
            .zip(&per_item)
            .map(|(media, hashes)| {
                let out = collect_matches(hashes, &mut results, version, max_hash_id);
                media.iter().any(|m| m.pdq.is_some()).then_some(out)
            })
            .collect())
    }
}
