//! Reading and verifying the audit log.

use ronda_core::audit::{ChainError, ChainVerifier, StoredEvent};

use crate::db::Conn;
use crate::error::Result;
use crate::params;
use crate::store::Store;

const PAGE: i64 = 5_000;

fn event_from_row(r: &crate::db::Row) -> Result<StoredEvent> {
    Ok(StoredEvent {
        seq: r.i64(0)?,
        at_ms: r.i64(1)?,
        actor: r.string(2)?,
        action: r.string(3)?,
        target: r.string(4)?,
        before: r.opt_string(5)?,
        after: r.opt_string(6)?,
        prev_hash: r.string(7)?,
        hash: r.string(8)?,
    })
}

const EVENT_COLUMNS: &str =
    "seq, at, actor, action, target, before_json, after_json, prev_hash, hash";

/// Events about one target (`case:12`), oldest first.
pub fn events_for(conn: &mut dyn Conn, target: &str) -> Result<Vec<StoredEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE target = $1 ORDER BY seq");
    conn.query(&sql, params![target])?
        .iter()
        .map(event_from_row)
        .collect()
}

/// Walks the whole chain in pages. `Ok(Ok(n))`: n events verified; `Ok(Err(_))`: the first bad one.
pub fn verify_chain(conn: &mut dyn Conn) -> Result<Result<u64, ChainError>> {
    let mut v = ChainVerifier::default();
    let mut after = 0_i64;
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
    loop {
        let rows = conn.query(&sql, params![after, PAGE])?;
        if rows.is_empty() {
            return Ok(Ok(v.checked));
        }
        for r in &rows {
            let e = event_from_row(r)?;
            if let Err(bad) = v.check(&e) {
                return Ok(Err(bad));
            }
            after = e.seq;
        }
    }
}

impl Store {
    pub fn verify_audit(&self) -> Result<Result<u64, ChainError>> {
        self.read(verify_chain)
    }

    pub fn audit_events_for(&self, target: &str) -> Result<Vec<StoredEvent>> {
        self.read(|c| events_for(c, target))
    }
}
