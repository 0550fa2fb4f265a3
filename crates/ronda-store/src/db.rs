//! A thin, synchronous SQL layer over both backends: statements are written once, with `$1`
//! placeholders, and run unchanged on SQLite and PostgreSQL.
//!
//! Rules for SQL in this crate: integers are `BIGINT` (PostgreSQL is strict about parameter
//! types), booleans are 0/1 integers, timestamps are epoch milliseconds, and placeholders are
//! numbered in order of first appearance.

use crate::error::{Result, StoreError};

/// Which database engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A statement parameter, borrowed so that binding never copies text.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Int(i64::from(v))
    }
}
impl From<f64> for Param<'_> {
    fn from(v: f64) -> Self {
        Param::Real(v)
    }
}
impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Blob(v)
    }
}
impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// Builds a parameter slice: `params![a, b, c]`.
#[macro_export]
macro_rules! params {
    () => { &[] as &[$crate::db::Param<'_>] };
    ($($p:expr),+ $(,)?) => { &[$($crate::db::Param::from($p)),+] as &[$crate::db::Param<'_>] };
}

/// An owned value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, i: usize) -> Result<&Value> {
        self.0.get(i).ok_or(StoreError::Decode {
            column: i,
            message: "no such column".into(),
        })
    }

    pub fn i64(&self, i: usize) -> Result<i64> {
        match self.get(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(decode_err(i, "integer", other)),
        }
    }

    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(decode_err(i, "integer", other)),
        }
    }

    pub fn f64(&self, i: usize) -> Result<f64> {
        match self.get(i)? {
            Value::Real(v) => Ok(*v),
            #[allow(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
            Value::Int(v) => Ok(*v as f64),
            other => Err(decode_err(i, "real", other)),
        }
    }

    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.f64(i).map(Some),
        }
    }

    pub fn str(&self, i: usize) -> Result<&str> {
        match self.get(i)? {
            Value::Text(v) => Ok(v),
            other => Err(decode_err(i, "text", other)),
        }
    }

    pub fn string(&self, i: usize) -> Result<String> {
        self.str(i).map(str::to_owned)
    }

    pub fn opt_str(&self, i: usize) -> Result<Option<&str>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v)),
            other => Err(decode_err(i, "text", other)),
        }
    }

    pub fn opt_string(&self, i: usize) -> Result<Option<String>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(decode_err(i, "text", other)),
        }
    }

    pub fn opt_blob(&self, i: usize) -> Result<Option<&[u8]>> {
        match self.get(i)? {
            Value::Null => Ok(None),
            Value::Blob(v) => Ok(Some(v)),
            other => Err(decode_err(i, "blob", other)),
        }
    }

    /// Parses a text column with `FromStr` (enums stored by their spelling).
    pub fn parse<T: std::str::FromStr>(&self, i: usize) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        let s = self.str(i)?;
        s.parse().map_err(|e: T::Err| StoreError::Decode {
            column: i,
            message: e.to_string(),
        })
    }
}

fn decode_err(column: usize, want: &str, got: &Value) -> StoreError {
    StoreError::Decode {
        column,
        message: format!("expected {want}, found {got:?}"),
    }
}

/// A connection to either backend. Transactions are explicit statements (`begin`, `commit`).
pub trait Conn: Send {
    fn backend(&self) -> Backend;
    /// Runs a statement, returning the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64>;
    /// Runs a query, returning every row.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>>;
    /// Runs several `;`-separated statements without parameters.
    fn batch(&mut self, sql: &str) -> Result<()>;

    /// Begins a write transaction that holds the database's write lock from the start, so that
    /// reads inside it (the audit chain head, open cases) cannot be raced by another writer.
    fn begin_write(&mut self) -> Result<()>;
    /// How long a write waits for the database's write lock before it fails (PostgreSQL
    /// `lock_timeout`, SQLite's busy timeout); a failure is [`crate::StoreError::is_busy`].
    fn set_lock_timeout(&mut self, ms: u64) -> Result<()>;
    /// Whether the connection is beyond use and must be replaced.
    fn is_broken(&self) -> bool {
        false
    }
    fn commit(&mut self) -> Result<()> {
        self.batch("COMMIT")
    }
    fn rollback(&mut self) -> Result<()> {
        self.batch("ROLLBACK")
    }

    /// Runs an `INSERT … RETURNING id` of one row and returns the new id. (SQLite answers
    /// from `last_insert_rowid()`, sparing the temporary table it builds for `RETURNING`.)
    fn insert_id(&mut self, sql: &str, params: &[Param<'_>]) -> Result<i64> {
        self.query_one(sql, params)?.i64(0)
    }

    fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::NotFound("row".into()))
    }
}
