//! The outbox worker: every `outbox_poll_ms` it claims due notifications
//! (pending and due, or claimed by a worker whose lease ran out — a crash)
//! a batch at a time, attempts them concurrently and records the batch in
//! one transaction. Several servers on one PostgreSQL database share the
//! outbox safely: a claim is a conditional UPDATE only one of them wins.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::deliver::{Attempts, LEASE_MS, Notifier};
use crate::store::Notification;

const BATCH: u32 = 256;
/// Deliveries in flight at once: sends wait on the network, not the CPU.
/// Per-destination limits still hold (the limiter is shared).
const CONCURRENCY: usize = 16;

/// Starts the worker. When `stop` is cancelled it finishes the batch it
/// is sending, records it, and returns: a graceful stop (a deploy) neither
/// re-sends a sent batch nor abandons one half-sent. A batch it had claimed
/// but not begun waits for its lease to run out, unsent.
pub fn spawn(
    notifier: Arc<Notifier>,
    every: Duration,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.cancelled() => return,
            }
            drain(&notifier, &stop).await;
        }
    })
}

/// Delivers batches until fewer than a full batch are due. Pipelined: while
/// a batch's sends run, the next batch is being claimed and the previous
/// one recorded (the sends need no database; claim and record need nothing
/// else), so the database work is off the sends' path.
///
/// A claimed batch is leased ([`LEASE_MS`]). While a batch is sent, a task
/// beside the sends renews its lease every third of a lease, and the lease
/// of the next batch too once that is claimed, so no claim (ours or another
/// server's) takes either back however long the sends take; the record is
/// conditional on the lease. Only a crash lets a lease run out.
async fn drain(notifier: &Arc<Notifier>, stop: &CancellationToken) {
    let mut recording: Option<tokio::task::JoinHandle<()>> = None;
    let mut due = claim(Arc::clone(notifier))
        .await
        .and_then(|batch| Some((lease_of(&batch)?, batch)));
    while let Some((held_until, batch)) = due.take() {
        let upcoming: Upcoming = Arc::new(Mutex::new(None));
        let next = (batch.len() == BATCH as usize).then(|| {
            let (notifier, upcoming) = (Arc::clone(notifier), Arc::clone(&upcoming));
            tokio::spawn(async move {
                let batch = claim(notifier).await?;
                let ids = batch.iter().map(|n| n.id.clone()).collect();
                if let Ok(mut slot) = upcoming.lock() {
                    *slot = Some((ids, lease_of(&batch)?));
                }
                Some(batch)
            })
        });
        let (batch, attempts, held_until) =
            send_holding(notifier, batch, held_until, Arc::clone(&upcoming)).await;
        // One record at a time, in order.
        if let Some(previous) = recording.take() {
            let _ = previous.await;
        }
        let notifier_for_record = Arc::clone(notifier);
        recording = Some(tokio::spawn(async move {
            record(&notifier_for_record, &batch, attempts, held_until).await;
        }));
        if stop.is_cancelled() {
            break;
        }
        if let Some(next) = next {
            let batch = next.await.ok().flatten();
            // The lease as last renewed while this batch was sent.
            let renewed = upcoming
                .lock()
                .ok()
                .and_then(|mut slot| slot.take())
                .map(|(_, until)| until);
            due = batch.and_then(|b| Some((renewed.or_else(|| lease_of(&b))?, b)));
        }
    }
    if let Some(last) = recording {
        let _ = last.await;
    }
}

/// Records a sent batch (`Notifier::record_retrying`).
async fn record(notifier: &Notifier, batch: &[Notification], attempts: Attempts, held_until: i64) {
    let records = super::deliver::settle(batch, attempts);
    notifier
        .record_retrying(batch, &records, Some(held_until))
        .await;
}

/// The next batch, once claimed: its ids and current lease, renewed by the
/// heartbeat of the batch being sent.
type Upcoming = Arc<Mutex<Option<(Vec<String>, i64)>>>;

/// The lease a freshly claimed batch is held under (one claim, one value).
fn lease_of(batch: &[Notification]) -> Option<i64> {
    batch.first().and_then(|n| n.lease_until)
}

/// Sends `batch` while keeping its lease and the upcoming batch's. Returns
/// the batch, the attempts, and the lease they are held under.
async fn send_holding(
    notifier: &Arc<Notifier>,
    batch: Vec<Notification>,
    held_until: i64,
    upcoming: Upcoming,
) -> (Vec<Notification>, Attempts, i64) {
    let held_until = Arc::new(AtomicI64::new(held_until));
    let ids: Vec<String> = batch.iter().map(|n| n.id.clone()).collect();
    let every = Duration::from_millis(u64::try_from(LEASE_MS / 3).unwrap_or(20_000));
    // Renewals run in their own task beside the sends: a renewal awaited
    // with the sends paused could wait for the one SQLite connection that a
    // paused send holds. It is stopped, not dropped, when the sends are
    // done: a renewal cut off after its UPDATE would leave us recording
    // under a lease the rows no longer carry.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let heartbeat = tokio::spawn({
        let (notifier, held_until) = (Arc::clone(notifier), Arc::clone(&held_until));
        async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {
                        let current = held_until.load(Ordering::Relaxed);
                        if let Some((until, _)) = renew(&notifier, &ids, current).await {
                            held_until.store(until, Ordering::Relaxed);
                        }
                        let next = upcoming.lock().ok().and_then(|slot| slot.clone());
                        if let Some((next_ids, next_until)) = next
                            && let Some((until, _)) = renew(&notifier, &next_ids, next_until).await
                            && let Ok(mut slot) = upcoming.lock()
                        {
                            *slot = Some((next_ids, until));
                        }
                    }
                }
            }
        }
    });
    let attempts = notifier.attempt_batch(&batch, CONCURRENCY).await;
    let _ = stop.send(());
    let _ = heartbeat.await;
    (batch, attempts, held_until.load(Ordering::Relaxed))
}

async fn renew(
    notifier: &Notifier,
    ids: &[String],
    held_until: i64,
) -> Option<(i64, std::collections::HashSet<String>)> {
    match notifier.store.renew_leases(ids, held_until, LEASE_MS).await {
        Ok(renewed) => Some(renewed),
        Err(e) => {
            tracing::error!(error = %e, "outbox: renewing a batch's lease failed");
            None
        }
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
