//! The SQLite write gate: the pool's one connection, taken out of the pool
//! by the ingest writer so that its own connection never writes while a
//! pooled statement does (see `sqlite_direct.rs`).
//!
//! Taking the gate is cheap; giving it back is not. sqlx returns a pooled
//! connection through a task on the runtime that first pings it on the
//! driver's worker thread, and the next acquire waits for that round trip
//! across three threads. Measured under ingest load, taking the gate once
//! per batch cost about 0.4 ms a batch, a third of the writer's wall time.
//! So the writer may keep the gate across batches (`hold`) and decides when
//! to let the pool have it again (`ingest/writer.rs`).

use std::time::{Duration, Instant};

use sqlx::Any;
use sqlx::pool::PoolConnection;

use super::{Store, StoreError};

pub(super) struct Gate {
    store: Store,
    runtime: tokio::runtime::Handle,
    /// The pooled connection while taken, and since when.
    taken: Option<(PoolConnection<Any>, Instant)>,
    /// Keep it after the batch that took it.
    hold: bool,
}

impl Gate {
    /// Call from within the tokio runtime: taking and returning the pooled
    /// connection both need it.
    pub(super) fn new(store: Store) -> Gate {
        Gate {
            store,
            runtime: tokio::runtime::Handle::current(),
            taken: None,
            hold: false,
        }
    }

    /// Takes the pooled connection unless already taken; blocks the
    /// calling thread, which must not be one of the runtime's.
    pub(super) fn take(&mut self) -> Result<(), StoreError> {
        if self.taken.is_none() {
            let conn = self.runtime.block_on(self.store.pool.acquire())?;
            self.taken = Some((conn, Instant::now()));
        }
        Ok(())
    }

    /// After a batch: give the connection back unless asked to hold it.
    pub(super) fn done(&mut self) {
        if !self.hold {
            self.release();
        }
    }

    /// Keep the connection between batches until [`Gate::release`].
    pub(super) fn hold(&mut self) {
        self.hold = true;
    }

    /// Gives the connection back to the pool (and stops holding it).
    pub(super) fn release(&mut self) {
        self.hold = false;
        if let Some((conn, _)) = self.taken.take() {
            // Dropping it spawns the return task: that needs the runtime's
            // context on this thread.
            let _context = self.runtime.enter();
            drop(conn);
        }
    }

    /// How long the connection has been out of the pool, if it is.
    pub(super) fn held_for(&self) -> Option<Duration> {
        self.taken.as_ref().map(|(_, since)| since.elapsed())
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.release();
    }
}
