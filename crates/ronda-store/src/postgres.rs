//! PostgreSQL through the synchronous `postgres` client, with a per-connection statement cache.

use std::collections::HashMap;
use std::error::Error as StdError;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use crate::db::{Backend, Conn, Param, Row, Value};
use crate::error::{Result, StoreError};

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => match *ty {
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::BOOL => (v != 0).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss, reason = "only for float columns")]
                Type::FLOAT8 => (v as f64).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Param::Real(v) => v.to_sql(ty, out),
            Param::Text(v) => v.to_sql(ty, out),
            Param::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT2
                | Type::INT4
                | Type::INT8
                | Type::BOOL
                | Type::FLOAT8
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
                | Type::BYTEA
        )
    }

    to_sql_checked!();
}

pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgConn {
    pub fn connect(url: &str) -> Result<Self> {
        let mut client = Client::connect(url, NoTls)?;
        // Planner settings for Ronda's work (short statements on data that is in memory or on
        // SSD): index access costed close to sequential access (the default 4 makes a month of
        // statistics hash-join all 10M cases: 2.1 s instead of 0.3 s), and no JIT compilation,
        // which costs more than it saves on statements this size.
        client.batch_execute("SET random_page_cost = 1.1; SET jit = off")?;
        // No statement and no idle transaction holds the database forever: a statement is
        // cancelled after two minutes (migrations lift it), and a session idle inside a
        // transaction (a stuck process holding the write lock) is ended by the server after a
        // minute. Writes wait at most `lock_timeout` for the write lock (`set_lock_timeout`).
        client.batch_execute(
            "SET statement_timeout = '120s'; SET idle_in_transaction_session_timeout = '60s'; SET lock_timeout = '10s'",
        )?;
        Ok(Self {
            client,
            statements: HashMap::new(),
        })
    }

    fn prepare(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

fn params_dyn<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn to_row(r: &postgres::Row) -> Result<Row> {
    let mut vals = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map(Value::Real),
            Type::FLOAT4 => r
                .try_get::<_, Option<f32>>(i)?
                .map(|v| Value::Real(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                r.try_get::<_, Option<String>>(i)?.map(Value::Text)
            }
            Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
            Type::VOID => None,
            ref other => {
                return Err(StoreError::Decode {
                    column: i,
                    message: format!("unsupported PostgreSQL type {other}; cast it in SQL"),
                });
            }
        };
        vals.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(vals))
}

/// Key of the advisory lock that serialises Ronda's write transactions across processes: the
/// audit chain is one sequence and every writer appends to it.
const WRITE_LOCK_KEY: i64 = 0x0052_6f6e_6461;

impl Conn for PgConn {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let stmt = self.prepare(sql)?;
        Ok(self.client.execute(&stmt, &params_dyn(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let stmt = self.prepare(sql)?;
        self.client
            .query(&stmt, &params_dyn(params))?
            .iter()
            .map(to_row)
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql)?;
        Ok(())
    }

    fn is_broken(&self) -> bool {
        self.client.is_closed()
    }

    fn set_lock_timeout(&mut self, ms: u64) -> Result<()> {
        self.client
            .batch_execute(&format!("SET lock_timeout = '{ms}ms'"))?;
        Ok(())
    }

    fn begin_write(&mut self) -> Result<()> {
        self.client.batch_execute("BEGIN")?;
        if let Err(e) = self.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[Param::Int(WRITE_LOCK_KEY)],
        ) {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(e);
        }
        Ok(())
    }
}
