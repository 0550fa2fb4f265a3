//! Errors of the persistence layer.

use ronda_core::report::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("bad database URL `{0}`: expected sqlite://PATH or postgres://…")]
    BadUrl(String),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
    #[error(
        "database has schema version {found}, newer than this binary knows ({known}); upgrade ronda"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("unexpected data in column {column}: {message}")]
    Decode { column: usize, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    IllegalTransition(#[from] ronda_core::workflow::IllegalTransition),
    #[error("the store is shut down")]
    Closed,
    #[error(
        "this database's {purpose} key has fingerprint {recorded}, this instance's is {ours}: \
         every instance on one database needs the same key file ({file}); copy it from an instance that works"
    )]
    KeyMismatch {
        purpose: &'static str,
        file: &'static str,
        recorded: String,
        ours: String,
    },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether the database was too busy to answer in time: the write lock not obtained within
    /// the lock timeout (PostgreSQL 55P03, SQLite `SQLITE_BUSY`) or a statement cancelled by
    /// its timeout (57014). Worth retrying shortly; the API answers 503 with `Retry-After`.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Postgres(e) => e
                .code()
                .is_some_and(|c| matches!(c.code(), "55P03" | "57014")),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }

    /// Whether the error is about the request rather than the database (no retry helps).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound(_)
                | StoreError::Conflict(_)
                | StoreError::Invalid(_)
                | StoreError::IllegalTransition(_)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
