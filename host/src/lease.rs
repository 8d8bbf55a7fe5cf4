//! Keeping a claimed lease while the work it guards runs beside it. Recording
//! syncs and analysis jobs are claimed with a lease in the database so that a
//! crashed server's work is taken up again; a run that outlasts its lease
//! would be claimed a second time, so the lease is renewed as it goes.

use std::time::Duration;

use crate::store::StoreError;

/// Renews a lease of `lease_ms` every third of its length until a renewal
/// says it is lost (`Ok(false)`: it ran out and was claimed again), then
/// returns. A renewal that fails is logged, naming `what`, and tried again at
/// the next turn, while two thirds of the lease are left.
pub async fn keep<F>(lease_ms: i64, what: &str, mut renew: impl FnMut() -> F)
where
    // A closure returning a future rather than an async closure: the
    // futures of async closures are not yet known to be `Send`, and the
    // runs this guards are spawned.
    F: Future<Output = Result<bool, StoreError>>,
{
    let every = Duration::from_millis(lease_ms.max(3).unsigned_abs() / 3);
    loop {
        tokio::time::sleep(every).await;
        match renew().await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(lease = %what, error = %e, "renewing a lease failed"),
        }
    }
}
