//! WAL checkpoints beside the SQLite ingest writer rather than inside it.
//!
//! By default the connection whose commit takes the WAL past 1,000 pages
//! copies the WAL back into the database file then and there, fsync
//! included, while every request of its batch waits for the reply. This
//! thread, on a connection of its own, runs a PASSIVE checkpoint every
//! [`INTERVAL`] instead: PASSIVE never blocks the writer, which keeps
//! appending to the WAL meanwhile, and a page written many times between two
//! checkpoints is copied once.
//!
//! What it cannot do is let the WAL start over: SQLite rewinds the WAL only
//! when a write begins after a checkpoint has caught up with every frame,
//! and under sustained load the writer's next batch always begins first.
//! So the writer's own commits still checkpoint, at a much higher threshold
//! (`WAL_BACKSTOP_PAGES` in `sqlite_direct.rs`), which bounds the WAL; by
//! then this thread has copied nearly every page, so that checkpoint is
//! short.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// How often the WAL is copied back: a bound on how much it grows under
/// load (at most a few tens of MB) and on how often checkpoints cost an fsync.
const INTERVAL: Duration = Duration::from_millis(100);

/// The checkpoint thread; it stops when this is dropped.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub(super) fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Until the sender is dropped (nothing is ever sent).
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                    }
                }
            })
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        Ok(Checkpointer { _stop: stop })
    }
}
