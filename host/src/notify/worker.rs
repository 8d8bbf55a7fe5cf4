//! The outbox worker: every `outbox_poll_ms` it claims due notifications
//! (pending and due, or claimed by a worker whose lease ran out — a crash)
//! a batch at a time, attempts them concurrently and records the batch in
//! one transaction. Several servers on one PostgreSQL database share the
//! outbox safely: a claim is a conditional UPDATE only one of them wins.

use std::sync::Arc;
use std::time::Duration;

use super::deliver::{LEASE_MS, Notifier};

const BATCH: u32 = 256;
/// Deliveries in flight at once: sends wait on the network, not the CPU.
/// Per-destination limits still hold (the limiter is shared).
const CONCURRENCY: usize = 16;

pub fn spawn(notifier: Arc<Notifier>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                let due = match notifier
                    .store
                    .claim_due_notifications(BATCH, LEASE_MS)
                    .await
                {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::error!(error = %e, "outbox: claiming due notifications failed");
                        break;
                    }
                };
                let n = due.len();
                if let Err(e) = notifier.process_batch(&due, CONCURRENCY).await {
                    tracing::error!(error = %e, "outbox: delivery bookkeeping failed");
                }
                if n < BATCH as usize {
                    break;
                }
            }
        }
    })
}
