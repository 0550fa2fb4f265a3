//! Actors: the accounts one person runs, as connected components of evidence edges.
//!
//! Union-find in the database: every linked account carries its actor id; joining two actors
//! moves the younger actor's accounts to the older id (`actors.merged_into` keeps where a merged
//! id went, `actor_merges` records when and why). Moving is proportional to the merged actor's
//! size, never to the database's.
//!
//! Re-creation: an active account whose actor also holds a taken-down account is a known
//! offender come back. Its open cases get the `recreation` flag, priority at least `high`, and
//! what it re-creates: the taken-down accounts, their cases and decisions, and the evidence.

use ronda_core::model::Priority;
use serde::Serialize;
use serde_json::json;

use crate::cases::priority_from_rank;
use crate::error::Result;
use crate::params;
use crate::store::{Store, Tx};
use ronda_core::triage::{Signals, raise};

/// The most evidence edges and earlier cases one flag or actor view lists.
const MAX_LISTED: i64 = 200;

/// The actor of an account, created when the account has none.
pub(crate) fn ensure_actor(tx: &mut Tx<'_>, account_id: i64) -> Result<i64> {
    let row = tx.conn().query_one(
        "SELECT actor_id FROM accounts WHERE id = $1",
        params![account_id],
    )?;
    if let Some(actor) = row.opt_i64(0)? {
        return Ok(actor);
    }
    let now = tx.now_ms();
    let actor = tx.conn().insert_id(
        "INSERT INTO actors (created_at) VALUES ($1) RETURNING id",
        params![now],
    )?;
    tx.conn().execute(
        "UPDATE accounts SET actor_id = $2 WHERE id = $1",
        params![account_id, actor],
    )?;
    Ok(actor)
}

fn actor_of(tx: &mut Tx<'_>, account_id: i64) -> Result<Option<i64>> {
    tx.conn()
        .query_one(
            "SELECT actor_id FROM accounts WHERE id = $1",
            params![account_id],
        )?
        .opt_i64(0)
}

fn assign(tx: &mut Tx<'_>, account_id: i64, actor: i64) -> Result<()> {
    tx.conn().execute(
        "UPDATE accounts SET actor_id = $2 WHERE id = $1",
        params![account_id, actor],
    )?;
    Ok(())
}

/// Puts two accounts in one actor: an account without one joins the other's; two actors merge
/// and the older (smaller) id survives. `cause` is the account whose link joined them. Returns
/// the actor id.
pub(crate) fn join(tx: &mut Tx<'_>, a: i64, b: i64, cause: i64, actor: &str) -> Result<i64> {
    let (x, y) = match (actor_of(tx, a)?, actor_of(tx, b)?) {
        (None, None) => {
            let id = ensure_actor(tx, b)?;
            assign(tx, a, id)?;
            return Ok(id);
        }
        (Some(x), None) => {
            assign(tx, b, x)?;
            return Ok(x);
        }
        (None, Some(y)) => {
            assign(tx, a, y)?;
            return Ok(y);
        }
        (Some(x), Some(y)) => (x, y),
    };
    if x == y {
        return Ok(x);
    }
    let (survivor, merged) = (x.min(y), x.max(y));
    let now = tx.now_ms();
    tx.conn().execute(
        "UPDATE accounts SET actor_id = $1 WHERE actor_id = $2",
        params![survivor, merged],
    )?;
    tx.conn().execute(
        "UPDATE actors SET merged_into = $1 WHERE id = $2 OR merged_into = $2",
        params![survivor, merged],
    )?;
    tx.conn().execute(
        "INSERT INTO actor_merges (survivor, merged, account_id, at) VALUES ($1, $2, $3, $4)",
        params![survivor, merged, cause, now],
    )?;
    tx.audit(
        actor,
        "actor.merged",
        &format!("actor:{survivor}"),
        None,
        Some(&json!({"merged": merged, "account": cause}).to_string()),
    )?;
    Ok(survivor)
}

/// An account as actors and flags show it: `platform:handle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRef {
    pub id: i64,
    pub account: String,
    pub status: String,
}

/// One evidence edge: `account` shares `value` (by `signal`) with `with`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub account: String,
    pub signal: String,
    pub value: String,
    pub with: String,
}

/// An earlier case of a taken-down account and how it was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EarlierCase {
    pub case_id: i64,
    pub account: String,
    pub status: String,
    pub decision: Option<String>,
    pub legal_basis: Option<String>,
    /// When that decision was made (epoch ms).
    pub decided_at: Option<i64>,
}

const ACCOUNT_REF_SQL: &str = "SELECT a.id, p.name || ':' || a.handle, a.status FROM accounts a \
     JOIN platforms p ON p.id = a.platform_id";

fn account_ref(row: &crate::db::Row) -> Result<AccountRef> {
    Ok(AccountRef {
        id: row.i64(0)?,
        account: row.string(1)?,
        status: row.string(2)?,
    })
}

fn evidence_of(conn: &mut dyn crate::db::Conn, account_ids: &[i64]) -> Result<Vec<Evidence>> {
    let mut out = Vec::new();
    for id in account_ids {
        let rows = conn.query(
            "SELECT pa.name || ':' || a.handle, l.signal, l.value, pb.name || ':' || b.handle \
             FROM account_links l \
             JOIN accounts a ON a.id = l.account_id JOIN platforms pa ON pa.id = a.platform_id \
             JOIN accounts b ON b.id = l.other_id JOIN platforms pb ON pb.id = b.platform_id \
             WHERE l.account_id = $1 OR l.other_id = $1 ORDER BY l.id LIMIT $2",
            params![*id, MAX_LISTED],
        )?;
        for r in rows {
            let e = Evidence {
                account: r.string(0)?,
                signal: r.string(1)?,
                value: r.string(2)?,
                with: r.string(3)?,
            };
            if !out.contains(&e) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

fn earlier_cases(conn: &mut dyn crate::db::Conn, account_ids: &[i64]) -> Result<Vec<EarlierCase>> {
    let mut out = Vec::new();
    for id in account_ids {
        let rows = conn.query(
            "SELECT c.id, p.name || ':' || a.handle, c.status, \
             (SELECT d.decision FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1), \
             (SELECT d.legal_basis FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1), \
             (SELECT d.created_at FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1) \
             FROM cases c JOIN accounts a ON a.id = c.account_id JOIN platforms p ON p.id = a.platform_id \
             WHERE c.account_id = $1 ORDER BY c.id LIMIT $2",
            params![*id, MAX_LISTED],
        )?;
        for r in rows {
            out.push(EarlierCase {
                case_id: r.i64(0)?,
                account: r.string(1)?,
                status: r.string(2)?,
                decision: r.opt_string(3)?,
                legal_basis: r.opt_string(4)?,
                decided_at: r.opt_i64(5)?,
            });
        }
    }
    Ok(out)
}

/// Flags the open cases of `account_id` when it is active and its actor holds a taken-down
/// account. Cases already flagged are rewritten only when `refresh` (another account of the
/// actor was just taken down). Returns the number of cases newly flagged.
pub(crate) fn flag_recreation(
    tx: &mut Tx<'_>,
    account_id: i64,
    actor: &str,
    refresh: bool,
) -> Result<usize> {
    let row = tx.conn().query_one(
        "SELECT actor_id, status FROM accounts WHERE id = $1",
        params![account_id],
    )?;
    let (Some(actor_id), "active") = (row.opt_i64(0)?, row.str(1)?) else {
        return Ok(0);
    };
    let downs: Vec<AccountRef> = tx
        .conn()
        .query(
            &format!(
                "{ACCOUNT_REF_SQL} WHERE a.actor_id = $1 AND a.status = 'taken_down' AND a.id <> $2 \
                 ORDER BY a.id LIMIT $3"
            ),
            params![actor_id, account_id, MAX_LISTED],
        )?
        .iter()
        .map(account_ref)
        .collect::<Result<_>>()?;
    if downs.is_empty() {
        return Ok(0);
    }
    // (`refresh` is applied here, not in SQL: a bound value in that WHERE clause would make
    // SQLite re-prepare the statement on every use.)
    let open: Vec<_> = tx
        .conn()
        .query(
            "SELECT id, priority, recreation FROM cases WHERE account_id = $1 AND is_open = 1",
            params![account_id],
        )?
        .into_iter()
        .filter(|r| refresh || r.i64(2).is_ok_and(|f| f == 0))
        .collect();
    if open.is_empty() {
        return Ok(0);
    }
    let down_ids: Vec<i64> = downs.iter().map(|d| d.id).collect();
    let earlier = earlier_cases(tx.conn(), &down_ids)?;
    let mut evidence_ids = vec![account_id];
    evidence_ids.extend(&down_ids);
    let evidence = evidence_of(tx.conn(), &evidence_ids)?;
    let detail = json!({
        "actor": actor_id,
        "recreation_of": downs.iter().map(|d| &d.account).collect::<Vec<_>>(),
        "earlier_cases": earlier,
        "evidence": evidence,
    });
    let detail_text = detail.to_string();
    let mut flagged = 0;
    for case in open {
        let case_id = case.i64(0)?;
        let was_flagged = case.i64(2)? == 1;
        // Triage's raise for a re-creation (at least `high`), by the one rule and the one
        // writer of the triage columns; a child-safety sign and the category stay.
        let old = crate::triage::load(tx, case_id)?;
        let t = old.apply(&raise(&Signals {
            recreation: true,
            ..Signals::default()
        }));
        let now = tx.now_ms();
        tx.conn().execute(
            "UPDATE cases SET recreation = 1, recreation_json = $2, updated_at = $3 WHERE id = $1",
            params![case_id, detail_text.as_str(), now],
        )?;
        crate::triage::save(tx, case_id, &t)?;
        crate::triage::notice_follows(tx, actor, case_id, &old, &t)?;
        if !was_flagged {
            flagged += 1;
            tx.audit(
                actor,
                "case.recreation",
                &format!("case:{case_id}"),
                Some(&json!({"priority": old.priority}).to_string()),
                Some(
                    &json!({"priority": t.priority, "actor": actor_id,
                        "recreation_of": detail["recreation_of"]})
                    .to_string(),
                ),
            )?;
        }
    }
    Ok(flagged)
}

/// Marks an account taken down (its case's removal was verified) and flags the active accounts
/// of its actor as re-creations.
pub(crate) fn take_down(tx: &mut Tx<'_>, account_id: i64, actor: &str) -> Result<()> {
    let now = tx.now_ms();
    let changed = tx.conn().execute(
        "UPDATE accounts SET status = 'taken_down', taken_down_at = $2 WHERE id = $1 AND status <> 'taken_down'",
        params![account_id, now],
    )?;
    if changed == 0 {
        return Ok(());
    }
    tx.audit(
        actor,
        "account.taken_down",
        &format!("account:{account_id}"),
        None,
        None,
    )?;
    let actor_id = tx
        .conn()
        .query_one(
            "SELECT actor_id FROM accounts WHERE id = $1",
            params![account_id],
        )?
        .opt_i64(0)?;
    if let Some(actor_id) = actor_id {
        let others = tx.conn().query(
            "SELECT id FROM accounts WHERE actor_id = $1 AND status = 'active' ORDER BY id LIMIT $2",
            params![actor_id, MAX_LISTED],
        )?;
        for o in others {
            flag_recreation(tx, o.i64(0)?, actor, true)?;
        }
    }
    Ok(())
}

/// An actor with what it holds, for `GET /api/v1/actors/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct ActorView {
    pub id: i64,
    /// Ids that were merged into this actor.
    pub merged: Vec<i64>,
    pub created_at: i64,
    pub accounts: Vec<AccountRef>,
    /// (signal, value) pairs the accounts show; values in full (callers mask for their role).
    pub identifiers: Vec<ActorIdentifier>,
    pub cases: Vec<ActorCase>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorIdentifier {
    pub signal: String,
    pub value: String,
    pub account: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorCase {
    pub case_id: i64,
    pub account: String,
    pub status: String,
    pub priority: Priority,
    pub recreation: bool,
    pub decision: Option<String>,
    pub legal_basis: Option<String>,
}

/// The `account_keys` kinds whose values identify a person (ronda-link's strong signals), as
/// an SQL list; the other kinds are look-up keys (`lsh`, `name`, `avatar`).
pub(crate) const STRONG_KINDS_SQL: &str = "('phone', 'bank', 'ewallet', 'telegram', 'email')";

impl Store {
    /// An actor by id; an id merged into another resolves to the survivor.
    pub fn actor(&self, id: i64) -> Result<Option<ActorView>> {
        self.read(|c| {
            let Some(row) = c.query_opt(
                "SELECT id, merged_into, created_at FROM actors WHERE id = $1",
                params![id],
            )?
            else {
                return Ok(None);
            };
            let (id, created_at) = match row.opt_i64(1)? {
                Some(survivor) => {
                    let r = c.query_one(
                        "SELECT id, created_at FROM actors WHERE id = $1",
                        params![survivor],
                    )?;
                    (r.i64(0)?, r.i64(1)?)
                }
                None => (row.i64(0)?, row.i64(2)?),
            };
            let merged = c
                .query(
                    "SELECT id FROM actors WHERE merged_into = $1 ORDER BY id",
                    params![id],
                )?
                .iter()
                .map(|r| r.i64(0))
                .collect::<Result<_>>()?;
            let accounts: Vec<AccountRef> = c
                .query(
                    &format!("{ACCOUNT_REF_SQL} WHERE a.actor_id = $1 ORDER BY a.id LIMIT $2"),
                    params![id, MAX_LISTED],
                )?
                .iter()
                .map(account_ref)
                .collect::<Result<_>>()?;
            let mut identifiers = Vec::new();
            let mut cases = Vec::new();
            for a in &accounts {
                for r in c.query(
                    &format!(
                        "SELECT kind, value FROM account_keys WHERE account_id = $1 \
                         AND kind IN {STRONG_KINDS_SQL} ORDER BY kind, value"
                    ),
                    params![a.id],
                )? {
                    identifiers.push(ActorIdentifier {
                        signal: r.string(0)?,
                        value: r.string(1)?,
                        account: a.account.clone(),
                    });
                }
                for r in c.query(
                    "SELECT c.id, c.status, c.priority, c.recreation, \
                     (SELECT d.decision FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1), \
                     (SELECT d.legal_basis FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1) \
                     FROM cases c WHERE c.account_id = $1 ORDER BY c.id",
                    params![a.id],
                )? {
                    cases.push(ActorCase {
                        case_id: r.i64(0)?,
                        account: a.account.clone(),
                        status: r.string(1)?,
                        priority: priority_from_rank(r.i64(2)?),
                        recreation: r.i64(3)? == 1,
                        decision: r.opt_string(4)?,
                        legal_basis: r.opt_string(5)?,
                    });
                }
            }
            let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
            let evidence = evidence_of(c, &ids)?;
            Ok(Some(ActorView {
                id,
                merged,
                created_at,
                accounts,
                identifiers,
                cases,
                evidence,
            }))
        })
    }

    /// The actor an account belongs to, by `platform` and normalised `handle`.
    pub fn actor_of_account(&self, platform: &str, handle: &str) -> Result<Option<i64>> {
        self.read(|c| {
            c.query_opt(
                "SELECT a.actor_id FROM accounts a JOIN platforms p ON p.id = a.platform_id \
                 WHERE p.name = $1 AND a.handle = $2",
                params![platform, handle],
            )?
            .map(|r| r.opt_i64(0))
            .transpose()
            .map(Option::flatten)
        })
    }
}
