//! Data passes: changes to stored rows that SQL alone cannot make (a key computed by Rust),
//! each applied once, after the schema migrations, in one write transaction with its audit
//! entries. `Store::open` runs the pending ones before the writer takes jobs; the name is
//! recorded in `data_passes` inside the same transaction, so two processes opening one
//! database at once apply a pass once (the second finds it recorded: writes on PostgreSQL are
//! serialised, SQLite has one writer).
//!
//! The same transaction first checks the instance's keys ([`check_key`]): the fingerprint of
//! the sealing key is recorded on first open and every later open must match it.
//!
//! # `handle_keys`: look-alike handles meet in one case
//!
//! Case keys of accounts became [`ronda_core::target::handle_key`] skeletons. The pass
//! 1. fills `accounts.handle_key` (intake finds an account by it, oldest first);
//! 2. re-keys every account case (`target_key`);
//! 3. where several open cases now share a key — one account written in look-alike ways —
//!    merges them: the survivor is the case furthest along (a case past review: a decision, a
//!    notice), else the oldest; each other open case still in review (`new`, `in_review`)
//!    gives its reports, media, identifiers and referrals to the survivor, which adds its
//!    report counts and takes its triage by the core rule (never lower: a child-safety sign
//!    carries over, and an open notice becomes urgent as at intake); the merged case is closed
//!    with `merged_into`. Both sides are audited (`case.merged`, `case.absorbed`).
//!
//! A duplicate that is itself past review (two look-alikes each with a decision) is not merged
//! — its decisions and notice stand on their own — and keeps its old key; it is audited as
//! `case.rekey_kept` so the team can close one of them by hand.

use ronda_core::model::CaseStatus;
use ronda_core::target::{Target, handle_key};
use ronda_core::triage::Raise;
use serde_json::json;

use crate::Tx;
use crate::error::Result;
use crate::params;
use crate::store::Store;

/// The actor of the audit entries a pass writes.
const ACTOR: &str = "system:data-pass";

struct Pass {
    name: &'static str,
    run: fn(&mut Tx<'_>) -> Result<()>,
}

const PASSES: &[Pass] = &[Pass {
    name: "handle_keys",
    run: handle_keys,
}];

/// Applies every pass not yet recorded; returns the names applied now.
impl Store {
    /// Connects, migrates the schema, checks the sealing key against the database's (see
    /// [`check_key`]), applies the pending data passes and starts the writer thread.
    pub fn open(
        opts: crate::store::StoreOptions,
        clock: std::sync::Arc<dyn ronda_core::clock::Clock>,
    ) -> Result<Store> {
        Store::start(opts, clock, &|tx, seal_fingerprint| {
            check_key(tx, "seal", "secret_key_file", seal_fingerprint)?;
            run_pending(tx)
        })
    }
}

pub(crate) fn run_pending(tx: &mut Tx<'_>) -> Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for pass in PASSES {
        let done = tx
            .conn()
            .query_opt(
                "SELECT name FROM data_passes WHERE name = $1",
                params![pass.name],
            )?
            .is_some();
        if done {
            continue;
        }
        (pass.run)(tx)?;
        let now = tx.now_ms();
        tx.conn().execute(
            "INSERT INTO data_passes (name, applied_at) VALUES ($1, $2)",
            params![pass.name, now],
        )?;
        applied.push(pass.name);
    }
    Ok(applied)
}

/// Records the fingerprint of a key every instance must share on first use, and refuses a
/// different one ([`crate::StoreError::KeyMismatch`]): one instance started with another
/// `secret.key` would otherwise write values no other instance can read.
pub(crate) fn check_key(
    tx: &mut Tx<'_>,
    purpose: &'static str,
    file: &'static str,
    ours: &str,
) -> Result<()> {
    let recorded = tx.conn().query_opt(
        "SELECT fingerprint FROM key_fingerprints WHERE purpose = $1",
        params![purpose],
    )?;
    match recorded {
        Some(row) if row.str(0)? != ours => Err(crate::StoreError::KeyMismatch {
            purpose,
            file,
            recorded: row.string(0)?,
            ours: ours.to_string(),
        }),
        Some(_) => Ok(()),
        None => {
            let now = tx.now_ms();
            tx.conn().execute(
                "INSERT INTO key_fingerprints (purpose, fingerprint, created_at) VALUES ($1, $2, $3)",
                params![purpose, ours, now],
            )?;
            Ok(())
        }
    }
}

impl crate::Store {
    /// Records the fingerprint of a key every instance must share, or refuses another one
    /// (see [`crate::StoreError::KeyMismatch`]); `ronda serve` checks its signing key so.
    pub fn check_key_blocking(
        &self,
        purpose: &'static str,
        file: &'static str,
        fingerprint: String,
    ) -> Result<()> {
        self.write_blocking(1, move |tx| check_key(tx, purpose, file, &fingerprint))
    }
}

/// One account case as the pass reads it.
struct Row {
    id: i64,
    key: String,
    new_key: String,
    is_open: bool,
    status: CaseStatus,
}

fn handle_keys(tx: &mut Tx<'_>) -> Result<()> {
    let accounts = tx.conn().query(
        "SELECT id, handle FROM accounts WHERE handle_key IS NULL",
        params![],
    )?;
    for a in &accounts {
        let (id, handle) = (a.i64(0)?, a.string(1)?);
        tx.conn().execute(
            "UPDATE accounts SET handle_key = $2 WHERE id = $1",
            params![id, &handle_key(&handle)],
        )?;
    }
    let rows = tx.conn().query(
        "SELECT c.id, c.target_key, c.target_value, p.name, c.is_open, c.status \
         FROM cases c JOIN platforms p ON p.id = c.platform_id \
         WHERE c.target_kind = 'account' ORDER BY c.id",
        params![],
    )?;
    let mut cases = Vec::with_capacity(rows.len());
    for r in &rows {
        let target = Target::Account {
            handle: r.string(2)?,
        };
        cases.push(Row {
            id: r.i64(0)?,
            key: r.string(1)?,
            new_key: target.case_key(r.str(3)?),
            is_open: r.i64(4)? == 1,
            status: r.parse(5)?,
        });
    }
    // Closed cases first (no uniqueness among them), then each group of open ones.
    let mut open: std::collections::BTreeMap<String, Vec<&Row>> = Default::default();
    for c in &cases {
        if c.is_open {
            open.entry(c.new_key.clone()).or_default().push(c);
        } else if c.key != c.new_key {
            set_key(tx, c.id, &c.new_key)?;
        }
    }
    let mut merged = 0_i64;
    for (key, group) in open {
        let in_review = |c: &Row| matches!(c.status, CaseStatus::New | CaseStatus::InReview);
        // Furthest along first, then oldest (the group is in id order).
        let survivor = group
            .iter()
            .find(|c| !in_review(c))
            .or(group.first())
            .copied();
        let Some(survivor) = survivor else { continue };
        // Others first leave the key free: the unique index allows one open case per key.
        for c in &group {
            if c.id == survivor.id {
                continue;
            }
            if in_review(c) {
                merge(tx, c, survivor)?;
                merged += 1;
            } else {
                tx.audit(
                    ACTOR,
                    "case.rekey_kept",
                    &format!("case:{}", c.id),
                    None,
                    Some(
                        &json!({"reason": "look_alike_handle", "same_as_case": survivor.id,
                                "status": c.status, "key": c.key})
                        .to_string(),
                    ),
                )?;
            }
        }
        if survivor.key != key {
            set_key(tx, survivor.id, &key)?;
        }
    }
    if merged > 0 {
        tracing::info!(merged, "look-alike account cases merged");
    }
    Ok(())
}

fn set_key(tx: &mut Tx<'_>, case_id: i64, key: &str) -> Result<()> {
    tx.conn().execute(
        "UPDATE cases SET target_key = $2 WHERE id = $1",
        params![case_id, key],
    )?;
    Ok(())
}

/// Merges the open, in-review case `from` into `into` (see the module docs).
fn merge(tx: &mut Tx<'_>, from: &Row, into: &Row) -> Result<()> {
    let (f, i) = (from.id, into.id);
    let now = tx.now_ms();
    let before_from = crate::triage::load(tx, f)?;
    let before_into = crate::triage::load(tx, i)?;
    for sql in [
        "UPDATE reports SET case_id = $2 WHERE case_id = $1",
        "UPDATE content_media SET case_id = $2 WHERE case_id = $1",
        "UPDATE referrals SET case_id = $2 WHERE case_id = $1",
        "INSERT INTO case_identifiers (case_id, kind, value, first_seen) \
         SELECT $2, kind, value, first_seen FROM case_identifiers WHERE case_id = $1 \
         ON CONFLICT (case_id, kind, value) DO NOTHING",
        "UPDATE media_matches SET case_id = $2 WHERE case_id = $1",
    ] {
        tx.conn().execute(sql, params![f, i])?;
    }
    tx.conn().execute(
        "DELETE FROM case_identifiers WHERE case_id = $1",
        params![f],
    )?;
    // Counts add up, the report window widens, the strongest detection stays.
    const COLUMNS: &str = "reports_total, reports_patrol, reports_police, reports_public, reports_platform, \
         first_reported_at, last_reported_at, detect_score";
    let row_of = |tx: &mut Tx<'_>, id: i64| {
        tx.conn().query_one(
            &format!("SELECT {COLUMNS} FROM cases WHERE id = $1"),
            params![id],
        )
    };
    let (a, b) = (row_of(tx, i)?, row_of(tx, f)?);
    let mut counts = [0_i64; 5];
    for (n, c) in counts.iter_mut().enumerate() {
        *c = a.i64(n)? + b.i64(n)?;
    }
    let first = a.i64(5)?.min(b.i64(5)?);
    let last = a.i64(6)?.max(b.i64(6)?);
    tx.conn().execute(
        "UPDATE cases SET reports_total = $2, reports_patrol = $3, reports_police = $4, reports_public = $5, \
         reports_platform = $6, first_reported_at = $7, last_reported_at = $8, updated_at = $9 WHERE id = $1",
        params![i, counts[0], counts[1], counts[2], counts[3], counts[4], first, last, now],
    )?;
    let stronger = match (a.opt_f64(7)?, b.opt_f64(7)?) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(x), Some(y)) => y > x,
    };
    if stronger {
        let d = tx.conn().query_one(
            "SELECT detect_verdict, detect_category, detect_score, detect_json FROM cases WHERE id = $1",
            params![f],
        )?;
        tx.conn().execute(
            "UPDATE cases SET detect_verdict = $2, detect_category = $3, detect_score = $4, detect_json = $5 WHERE id = $1",
            params![i, d.opt_str(0)?, d.opt_str(1)?, d.opt_f64(2)?, d.opt_str(3)?],
        )?;
    }
    let after = before_into.apply(&Raise {
        priority: before_from.priority,
        category: before_from.category,
        child: before_from.child,
    });
    crate::triage::save(tx, i, &after)?;
    crate::triage::notice_follows(tx, ACTOR, i, &before_into, &after)?;
    tx.conn().execute(
        "UPDATE cases SET status = 'closed', is_open = 0, merged_into = $2, claimed_by = NULL, \
         claim_expires_at = NULL, updated_at = $3 WHERE id = $1",
        params![f, i, now],
    )?;
    tx.audit(
        ACTOR,
        "case.merged",
        &format!("case:{f}"),
        Some(&json!({"status": from.status, "key": from.key}).to_string()),
        Some(
            &json!({"status": "closed", "merged_into": i, "reason": "look_alike_handle",
                    "key": into.new_key})
            .to_string(),
        ),
    )?;
    tx.audit(
        ACTOR,
        "case.absorbed",
        &format!("case:{i}"),
        Some(&crate::triage::to_json(&before_into).to_string()),
        Some(
            &json!({"merged_from": f, "reason": "look_alike_handle",
                    "triage": crate::triage::to_json(&after)})
            .to_string(),
        ),
    )?;
    Ok(())
}
