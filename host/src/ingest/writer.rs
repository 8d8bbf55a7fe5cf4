//! Group commit for the embedded database. SQLite has one writer; with one
//! transaction per webhook, concurrent webhooks queue for the connection and
//! each pays for its own BEGIN, COMMIT and WAL append. The writer instead
//! takes every request waiting at that moment (up to [`MAX_BATCH`]) and
//! stores them in one transaction, then answers each. A request still gets
//! its reply only after its events are committed; nothing is acknowledged
//! early.
//!
//! The writer is a thread of its own. On a SQLite file it writes through its
//! own connection with prepared statements (`store::DirectWriter`), which
//! is several times cheaper per batch than a round trip through the pool
//! per statement; an in-memory database has no file for a second
//! connection, so there it stores each batch through the pool.
//!
//! If a batch fails (a job whose integration was deleted a moment ago, say),
//! each job is retried in its own transaction, so only the bad one fails.
//!
//! PostgreSQL takes concurrent writers itself and does not use this.

use tokio::sync::{mpsc, oneshot};

use crate::calls::fold::fold;
use crate::store::{DirectWriter, IngestJob, IngestOutcome, Store, StoreError};

/// Requests stored in one transaction at most: bounds the latency a request
/// at the back of a batch sees.
pub const MAX_BATCH: usize = 128;

type Reply = oneshot::Sender<Result<IngestOutcome, StoreError>>;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<(IngestJob, Reply)>,
}

impl Writer {
    /// Starts the writer of `store` (a SQLite store). Call from within the
    /// tokio runtime. The thread ends when the last `Writer` is dropped.
    pub async fn spawn(store: Store) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 8);
        let sink = match store.direct_writer().await? {
            Some(direct) => Sink::Direct(direct),
            None => Sink::Pool(store, tokio::runtime::Handle::current()),
        };
        std::thread::Builder::new()
            .name("sqlite-ingest".into())
            .spawn(move || run(sink, rx))
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        Ok(Writer { tx })
    }

    /// Stores the job; returns once it is committed (or failed).
    pub async fn ingest(&self, job: IngestJob) -> Result<IngestOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let closed = || StoreError::Database(sqlx::Error::PoolClosed);
        self.tx.send((job, reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

/// Where a batch is written.
enum Sink {
    Direct(DirectWriter),
    Pool(Store, tokio::runtime::Handle),
}

impl Sink {
    fn ingest_batch(&mut self, jobs: &[IngestJob]) -> Result<Vec<IngestOutcome>, StoreError> {
        match self {
            Sink::Direct(direct) => direct.ingest_batch(jobs, &fold),
            Sink::Pool(store, runtime) => runtime.block_on(store.ingest_batch(jobs, &fold)),
        }
    }
}

fn run(mut sink: Sink, mut rx: mpsc::Receiver<(IngestJob, Reply)>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while let Some((job, reply)) = rx.blocking_recv() {
        jobs.push(job);
        replies.push(reply);
        while jobs.len() < MAX_BATCH {
            let Ok((job, reply)) = rx.try_recv() else {
                break;
            };
            jobs.push(job);
            replies.push(reply);
        }
        match sink.ingest_batch(&jobs) {
            Ok(outcomes) => {
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(_) if jobs.len() > 1 => {
                for (job, reply) in jobs.iter().zip(replies.drain(..)) {
                    let one = sink
                        .ingest_batch(std::slice::from_ref(job))
                        .map(|mut outcomes| outcomes.pop().unwrap_or_default());
                    let _ = reply.send(one);
                }
            }
            Err(e) => {
                if let Some(reply) = replies.drain(..).next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
        jobs.clear();
        replies.clear();
    }
}
