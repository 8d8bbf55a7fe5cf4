//! The sync scheduler: gives every recording-source integration a schedule,
//! claims due syncs under a lease (see `store/syncs.rs`) and runs up to
//! `sync_concurrency` of them at once. "Sync now" wakes it early.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::sync::Syncer;
use crate::runtime::registry::manifest::World;
use crate::store::new_id;

/// Starts the loop. Aborting the returned task aborts the runs in flight
/// (their leases then expire and another server, or a restart, resumes).
pub fn spawn(
    syncer: Arc<Syncer>,
    poll: Duration,
    concurrency: usize,
    default_interval_sec: i64,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        // Owned here so that aborting this task drops it, aborting the runs.
        let mut runs = JoinSet::new();
        loop {
            if let Err(e) = ensure_schedules(&syncer, default_interval_sec).await {
                tracing::error!(error = %e, "giving recording sources a schedule failed");
            }
            while let Ok(permit) = Arc::clone(&permits).try_acquire_owned() {
                // A token per claim: see `Store::claim_due_sync`.
                let lease = format!("{}/{}", syncer.owner, new_id());
                match syncer
                    .store
                    .claim_due_sync(&lease, syncer.settings.lease_ms)
                    .await
                {
                    Ok(Some(sync)) => {
                        let syncer = Arc::clone(&syncer);
                        runs.spawn(async move {
                            syncer.run(&sync, &lease).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "claiming a recording sync failed");
                        break;
                    }
                }
            }
            while runs.try_join_next().is_some() {}
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = wake.notified() => {}
                Some(_) = runs.join_next(), if !runs.is_empty() => {}
            }
        }
    })
}

/// Every integration whose component lists recordings gets a schedule.
async fn ensure_schedules(syncer: &Syncer, interval_sec: i64) -> anyhow::Result<()> {
    for component in syncer.runtime.registry.list() {
        if component.worlds.contains(&World::RecordingSource) {
            syncer
                .store
                .ensure_syncs(&component.name, interval_sec)
                .await?;
        }
    }
    Ok(())
}
