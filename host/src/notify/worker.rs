//! The outbox worker: every `outbox_poll_ms` it claims due notifications
//! (pending and due, or claimed by a worker whose lease ran out — a crash)
//! a batch at a time, attempts them concurrently and records the batch in
//! one transaction. Several servers on one PostgreSQL database share the
//! outbox safely: a claim is a conditional UPDATE only one of them wins.

use std::sync::Arc;
use std::time::Duration;

use super::deliver::{LEASE_MS, Notifier};
use crate::store::Notification;

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
            drain(&notifier).await;
        }
    })
}

/// Delivers batches until fewer than a full batch are due. Pipelined: while
/// a batch's sends run, the next batch is being claimed and the previous
/// one recorded (the sends need no database; claim and record need nothing
/// else), so the database work is off the sends' path. The batch being
/// sent is leased, so the early claim cannot take it twice.
async fn drain(notifier: &Arc<Notifier>) {
    let mut recording: Option<tokio::task::JoinHandle<()>> = None;
    let mut due = claim(Arc::clone(notifier)).await;
    while let Some(batch) = due.take() {
        let next =
            (batch.len() == BATCH as usize).then(|| tokio::spawn(claim(Arc::clone(notifier))));
        let attempts = notifier.attempt_batch(&batch, CONCURRENCY).await;
        if let Some(next) = next {
            due = next.await.ok().flatten();
        }
        // One record at a time, in order.
        if let Some(previous) = recording.take() {
            let _ = previous.await;
        }
        let notifier = Arc::clone(notifier);
        recording = Some(tokio::spawn(async move {
            if let Err(e) = notifier.record_batch(&batch, attempts).await {
                tracing::error!(error = %e, "outbox: delivery bookkeeping failed");
            }
        }));
    }
    if let Some(last) = recording {
        let _ = last.await;
    }
}

/// The next batch of due notifications, or none.
async fn claim(notifier: Arc<Notifier>) -> Option<Vec<Notification>> {
    match notifier
        .store
        .claim_due_notifications(BATCH, LEASE_MS)
        .await
    {
        Ok(due) if due.is_empty() => None,
        Ok(due) => Some(due),
        Err(e) => {
            tracing::error!(error = %e, "outbox: claiming due notifications failed");
            None
        }
    }
}
