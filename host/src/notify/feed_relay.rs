//! The in-app feed's realtime fan-out across servers that share one
//! PostgreSQL database. A feed row is pushed to the streams open on the
//! server that made it (`FeedHub`); a client streaming from another server
//! would never see it. So that server also announces the row with
//! `NOTIFY switchboard_feed, '<origin> <business> <id>'`, and every server
//! listens, loads the row and pushes it to its own streams. The origin (a
//! fresh id per process) lets a server skip its own announcements.
//!
//! SQLite has one server by construction: no relay. An announcement lost
//! while a listener reconnects loses only the push; the feed list, which
//! is the durable record, has the row.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;

use super::feed_hub::FeedHub;
use crate::store::{Backend, Store, StoreError};

pub const CHANNEL: &str = "switchboard_feed";

/// This process's side of the relay.
pub struct FeedRelay {
    origin: String,
}

impl FeedRelay {
    pub fn new() -> FeedRelay {
        FeedRelay {
            origin: crate::store::new_id(),
        }
    }

    /// Tells the other servers about a row this one added (and pushed).
    pub async fn announce(&self, store: &Store, business_id: &str, id: &str) {
        if store.backend() != Backend::Postgres {
            return;
        }
        let payload = format!("{} {business_id} {id}", self.origin);
        if let Err(e) = store.pg_notify(CHANNEL, &payload).await {
            tracing::warn!(error = %e, item = id, "feed: announcing a row to other servers failed");
        }
    }

    /// Listens for the other servers' rows and pushes them to this server's
    /// streams, reconnecting after a lost connection. PostgreSQL only.
    pub fn spawn(
        self: &Arc<Self>,
        store: Store,
        database_url: String,
        hub: Arc<FeedHub>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if store.backend() != Backend::Postgres {
            return None;
        }
        let relay = Arc::clone(self);
        Some(tokio::spawn(async move {
            loop {
                if let Err(e) = relay.listen(&store, &database_url, &hub).await {
                    tracing::warn!(error = %e, "feed: listening for other servers' rows failed; retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }

    async fn listen(&self, store: &Store, url: &str, hub: &FeedHub) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        loop {
            let note = listener.recv().await?;
            let mut parts = note.payload().split(' ');
            let (Some(origin), Some(business_id), Some(id)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if origin == self.origin {
                continue; // pushed when it was made
            }
            match store.get_feed_item(business_id, id).await {
                Ok(item) => hub.publish(business_id, item),
                Err(StoreError::NotFound) => {}
                Err(e) => {
                    tracing::warn!(error = %e, item = id, "feed: loading another server's row failed")
                }
            }
        }
    }
}

impl Default for FeedRelay {
    fn default() -> Self {
        FeedRelay::new()
    }
}
