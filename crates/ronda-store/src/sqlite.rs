//! The embedded default: SQLite in WAL mode through rusqlite, with a prepared-statement cache.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use crate::db::{Backend, Conn, Param, Row, Value};

/// Statement texts are hashed on every call; a fast non-cryptographic hash is plenty for keys
/// that come from this crate's own source.
type FxHashMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
use crate::error::Result;

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Param::Null => ValueRef::Null,
            Param::Int(v) => ValueRef::Integer(v),
            Param::Real(v) => ValueRef::Real(v),
            Param::Text(v) => ValueRef::Text(v.as_bytes()),
            Param::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

/// Rewrites a statement into SQLite's spelling:
/// - `$N` placeholders become the explicit `?N`, so numbering never depends on order of
///   appearance (string literals are left alone);
/// - `INSERT INTO` / `UPDATE` become `INSERT OR FAIL INTO` / `UPDATE OR FAIL`. Under the default
///   ABORT resolution SQLite copies every page a statement touches into a statement journal so
///   that it can undo just that statement; FAIL needs no such copy. Ronda never continues a
///   transaction after a failed statement (the whole transaction rolls back), so the undo is
///   never wanted, and skipping it saves about a fifth of the writer's time.
fn rewrite_placeholders(sql: &str) -> String {
    let trimmed = sql.trim_start();
    let sql = if let Some(rest) = trimmed.strip_prefix("INSERT INTO ") {
        format!("INSERT OR FAIL INTO {rest}")
    } else if let Some(rest) = trimmed.strip_prefix("UPDATE ") {
        format!("UPDATE OR FAIL {rest}")
    } else {
        sql.to_string()
    };
    let mut out = String::with_capacity(sql.len());
    let mut in_str = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_str = !in_str;
        }
        if c == '$' && !in_str && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

pub struct SqliteConn {
    conn: Connection,
    // Rewritten SQL keyed by the original text; statement texts are `'static` in practice.
    rewritten: FxHashMap<String, String>,
}

impl SqliteConn {
    /// Opens (creating if needed) the database file and applies the pragmas Ronda relies on:
    /// WAL (readers never block the writer), `synchronous=NORMAL` (a committed transaction is in
    /// the WAL before the call returns, so it survives the process being killed), a busy timeout
    /// so that a CLI command and the server can write to the same file.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Foreign keys are declared (and enforced by PostgreSQL, which runs the same tests) but
        // not enforced here: enforcement makes SQLite keep a statement journal for every write,
        // a third of the writer's time at intake rates, while every reference Ronda writes
        // was read in the same transaction.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -32_000)?;
        conn.set_prepared_statement_cache_capacity(128);
        // Query plans that never depend on bound values: without this guarantee SQLite may plan
        // for a parameter's current value and then re-prepare the cached statement whenever it
        // is bound again (seen as a quarter of the writer's time at intake).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(Self {
            conn,
            rewritten: FxHashMap::default(),
        })
    }
}

/// The SQLite spelling of a statement, rewritten once per connection.
fn cached_rewrite<'a>(cache: &'a mut FxHashMap<String, String>, sql: &'a str) -> &'a str {
    if !cache.contains_key(sql) {
        cache.insert(sql.to_string(), rewrite_placeholders(sql));
    }
    cache.get(sql).map_or(sql, String::as_str)
}

fn to_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl Conn for SqliteConn {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let sql = cached_rewrite(&mut self.rewritten, sql);
        let mut stmt = self.conn.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter()))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let sql = cached_rewrite(&mut self.rewritten, sql);
        let mut stmt = self.conn.prepare_cached(sql)?;
        let ncols = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut vals = Vec::with_capacity(ncols);
            for i in 0..ncols {
                vals.push(to_value(r.get_ref(i)?));
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn insert_id(&mut self, sql: &str, params: &[Param<'_>]) -> Result<i64> {
        match sql.strip_suffix(" RETURNING id") {
            Some(base) => {
                self.execute(base, params)?;
                Ok(self.conn.last_insert_rowid())
            }
            None => self.query_one(sql, params)?.i64(0),
        }
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    fn set_lock_timeout(&mut self, ms: u64) -> Result<()> {
        self.conn
            .busy_timeout(std::time::Duration::from_millis(ms))?;
        Ok(())
    }

    fn begin_write(&mut self) -> Result<()> {
        self.batch("BEGIN IMMEDIATE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered() {
        assert_eq!(
            rewrite_placeholders("SELECT $1, '$2', $10 WHERE a = $2"),
            "SELECT ?1, '$2', ?10 WHERE a = ?2"
        );
        assert_eq!(
            rewrite_placeholders("INSERT INTO t (a) VALUES ($1)"),
            "INSERT OR FAIL INTO t (a) VALUES (?1)"
        );
        assert_eq!(
            rewrite_placeholders("UPDATE t SET a = $1"),
            "UPDATE OR FAIL t SET a = ?1"
        );
    }
}
