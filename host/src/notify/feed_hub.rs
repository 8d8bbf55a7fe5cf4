//! Realtime fan-out of in-app feed rows: one broadcast channel per business,
//! created on first use. A subscriber that falls behind skips what it missed
//! (the feed list is the durable record; the stream is a convenience).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

use crate::store::FeedItem;

const BUFFER: usize = 256;

#[derive(Default)]
pub struct FeedHub {
    channels: Mutex<HashMap<String, broadcast::Sender<FeedItem>>>,
}

impl FeedHub {
    fn sender(&self, business_id: &str) -> broadcast::Sender<FeedItem> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(business_id.to_owned())
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .clone()
    }

    pub fn publish(&self, business_id: &str, item: FeedItem) {
        // No subscriber is not an error: nobody is watching right now.
        let _ = self.sender(business_id).send(item);
    }

    pub fn subscribe(&self, business_id: &str) -> broadcast::Receiver<FeedItem> {
        self.sender(business_id).subscribe()
    }

    /// Ends every stream (their senders go away), so a graceful shutdown is
    /// not held open by connected clients.
    pub fn close_all(&self) {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
