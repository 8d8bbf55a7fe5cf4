//! The analysis worker: claims due jobs (with a lease, so a crashed
//! server's job is taken up again), runs them, retries transient failures
//! with backoff, and reports permanent ones as `ai.failed`. It also sends
//! automation digests whose window has closed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::run::{Failure, analyze};
use crate::notify::events;
use crate::pull::sync::Syncer;
use crate::store::{AnalysisJob, NewNotification, StoreError, now_ms};

/// Attempts before an analysis counts as failed.
pub const MAX_ATTEMPTS: i64 = 5;
const LEASE_MS: i64 = 10 * 60_000;

pub struct AnalysisWorker {
    pub syncer: Arc<Syncer>,
    pub public_url: String,
    pub upload_timeout: Duration,
    /// First retry delay; doubles per attempt.
    pub backoff_base_ms: i64,
}

impl AnalysisWorker {
    pub fn spawn(
        self: Arc<Self>,
        poll: Duration,
        wake: Arc<tokio::sync::Notify>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.syncer.store.flush_digests("Digest").await {
                    tracing::error!(error = %e, "sending automation digests failed");
                }
                loop {
                    match self.syncer.store.claim_analysis_job(LEASE_MS).await {
                        Ok(Some(job)) => self.run(&job).await,
                        Ok(None) => break,
                        Err(e) => {
                            tracing::error!(error = %e, "claiming an analysis job failed");
                            break;
                        }
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = wake.notified() => {}
                }
            }
        })
    }

    async fn run(&self, job: &AnalysisJob) {
        let store = &self.syncer.store;
        let outcome = match job.kind.as_str() {
            "analyze" => {
                analyze(
                    &self.syncer,
                    &job.business_id,
                    &job.call_id,
                    self.upload_timeout,
                )
                .await
            }
            "fire" => crate::automations::fire::fire_for_call(
                store,
                &self.public_url,
                &job.business_id,
                &job.call_id,
            )
            .await
            .map(|_| ())
            .map_err(|e| match e {
                // Its integration was deleted, and the call with it.
                StoreError::NotFound => Failure::Skip("the call is gone".into()),
                e => Failure::Retry(format!("internal: {e}")),
            }),
            other => Err(Failure::Permanent(format!("unknown job kind `{other}`"))),
        };
        let recorded = match outcome {
            Ok(()) => store.finish_analysis_job(&job.id, "done", None, &[]).await,
            Err(Failure::Skip(reason)) => {
                store
                    .finish_analysis_job(&job.id, "skipped", Some(&reason), &[])
                    .await
            }
            Err(Failure::Retry(reason)) if job.attempts < MAX_ATTEMPTS => {
                // `attempts` counts this one: the first retry waits the base.
                let delay = self
                    .backoff_base_ms
                    .saturating_mul(1 << (job.attempts - 1).clamp(0, 16));
                tracing::warn!(job = %job.id, kind = %job.kind, %reason, "analysis job will be retried");
                store
                    .retry_analysis_job(&job.id, now_ms() + delay, &reason)
                    .await
            }
            Err(Failure::Retry(reason) | Failure::Permanent(reason)) => {
                tracing::warn!(job = %job.id, kind = %job.kind, %reason, "analysis job failed");
                // `ai.failed` is stored with the job's end: once, and not
                // lost. Without the endpoints the job is not ended either;
                // its lease runs out and it is tried again.
                let notices = if job.kind == "analyze" {
                    self.ai_failed(job, &reason).await
                } else {
                    Ok(Vec::new())
                };
                match notices {
                    Ok(notices) => {
                        store
                            .finish_analysis_job(&job.id, "failed", Some(&reason), &notices)
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = recorded {
            tracing::error!(job = %job.id, error = %e, "recording an analysis job's outcome failed");
        }
    }

    /// `ai.failed` for the business's outgoing webhooks, to store with
    /// the job's end.
    async fn ai_failed(
        &self,
        job: &AnalysisJob,
        reason: &str,
    ) -> Result<Vec<NewNotification>, StoreError> {
        let mut data = Map::new();
        data.insert("call.id".into(), Value::String(job.call_id.clone()));
        data.insert("error".into(), Value::String(reason.to_owned()));
        data.insert("attempts".into(), Value::String(job.attempts.to_string()));
        events::prepare(
            &self.syncer.store,
            &self.syncer.lookups,
            &job.business_id,
            "ai.failed",
            "The call's analysis failed",
            &data,
        )
        .await
    }
}
