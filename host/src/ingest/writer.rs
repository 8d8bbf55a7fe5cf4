//! Group commit for the embedded database. SQLite has one writer; with one
//! transaction per webhook, concurrent webhooks queue for the connection and
//! each pays for its own BEGIN, COMMIT and WAL append. The writer instead
//! takes every request waiting at that moment (up to [`MAX_BATCH`]) and
//! stores them in one transaction, then answers each. A request still gets
//! its reply only after its events are committed; nothing is acknowledged
//! early.
//!
//! If a batch fails (a job whose integration was deleted a moment ago, say),
//! each job is retried in its own transaction, so only the bad one fails.
//!
//! PostgreSQL takes concurrent writers itself and does not use this.

use tokio::sync::{mpsc, oneshot};

use crate::calls::fold::fold;
use crate::store::{IngestJob, IngestOutcome, Store, StoreError};

/// Requests stored in one transaction at most: bounds the latency a request
/// at the back of a batch sees.
pub const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<IngestOutcome, StoreError>>;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<(IngestJob, Reply)>,
}

impl Writer {
    pub fn spawn(store: Store) -> Writer {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
        tokio::spawn(run(store, rx));
        Writer { tx }
    }

    /// Stores the job; returns once it is committed (or failed).
    pub async fn ingest(&self, job: IngestJob) -> Result<IngestOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let closed = || StoreError::Database(sqlx::Error::PoolClosed);
        self.tx.send((job, reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<(IngestJob, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (jobs, replies): (Vec<IngestJob>, Vec<Reply>) = batch.drain(..).unzip();
        match store.ingest_batch(&jobs, &fold).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(_) if jobs.len() > 1 => {
                for (job, reply) in jobs.iter().zip(replies) {
                    let one = store
                        .ingest_batch(std::slice::from_ref(job), &fold)
                        .await
                        .map(|mut outcomes| outcomes.pop().unwrap_or_default());
                    let _ = reply.send(one);
                }
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }
}
