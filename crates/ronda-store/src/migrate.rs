//! Embedded, forward-only schema migrations, one SQL file per version and backend.
//!
//! Each migration runs in its own write transaction and re-checks the applied version inside it,
//! so a server and a CLI command starting at the same moment cannot apply one twice.

use crate::db::{Backend, Conn};
use crate::error::{Result, StoreError};
use crate::params;

struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sqlite: include_str!("../migrations/sqlite/0002_banks.sql"),
        postgres: include_str!("../migrations/postgres/0002_banks.sql"),
    },
    Migration {
        version: 3,
        sqlite: include_str!("../migrations/sqlite/0003_review.sql"),
        postgres: include_str!("../migrations/postgres/0003_review.sql"),
    },
];

/// The schema version this binary writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

fn current_version(conn: &mut dyn Conn) -> Result<i64> {
    let row = conn.query_one(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
        params![],
    )?;
    row.i64(0)
}

/// Brings the schema up to date; returns the versions applied now.
pub fn migrate(conn: &mut dyn Conn, now_ms: i64) -> Result<Vec<i64>> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    let found = current_version(conn)?;
    if found > latest_version() {
        return Err(StoreError::SchemaTooNew {
            found,
            known: latest_version(),
        });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        conn.begin_write()?;
        let result = (|| {
            if current_version(conn)? >= m.version {
                return Ok(false);
            }
            let sql = match conn.backend() {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            conn.batch(sql).map_err(|e| StoreError::Migration {
                version: m.version,
                message: e.to_string(),
            })?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                params![m.version, now_ms],
            )?;
            Ok(true)
        })();
        match result {
            Ok(done) => {
                conn.commit()?;
                if done {
                    applied.push(m.version);
                }
            }
            Err(e) => {
                let _ = conn.rollback();
                return Err(e);
            }
        }
    }
    Ok(applied)
}
