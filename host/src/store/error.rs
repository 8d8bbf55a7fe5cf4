//! The one error type of the store.

/// What can go wrong in a [`Store`](super::Store) call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or belongs to another business. A write that
    /// references a missing record (a foreign-key violation) also lands here.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write (a duplicate id, a route key that
    /// another integration already claims, a concurrent default switch).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// An error of the SQLite ingest writer's own connection (`sqlite_direct.rs`).
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row cannot be read back (bad JSON, an unknown enum value).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

// Written by hand rather than `#[from]` so that every `?` classifies the error:
// callers match on NotFound/Conflict without knowing either backend's codes.
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
            _ => StoreError::Database(err),
        }
    }
}

// The same classification for the SQLite ingest writer's connection.
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &err {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(e, message) => match e.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    StoreError::Conflict(message.clone().unwrap_or_else(|| e.to_string()))
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::NotFound,
                _ => StoreError::Sqlite(err),
            },
            _ => StoreError::Sqlite(err),
        }
    }
}
