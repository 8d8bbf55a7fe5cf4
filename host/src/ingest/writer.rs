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
//! Between batches the writer keeps the pool's connection (its gate, see
//! `store/sqlite_gate.rs`) while work keeps coming: giving it back and
//! taking it again costs a round trip across three threads per batch. It
//! gives it back when no request has come for [`LINGER`], and at least
//! every [`MAX_HOLD`] so that reads and other writes through the pool wait
//! no longer than that under sustained ingest.
//!
//! If a batch fails (a job whose integration was deleted a moment ago, say),
//! each job is retried in its own transaction, so only the bad one fails.
//!
//! PostgreSQL takes concurrent writers itself and does not use this.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::calls::fold::fold;
use crate::store::{DirectWriter, IngestJob, IngestOutcome, Store, StoreError};

/// Requests stored in one transaction at most: bounds the latency a request
/// at the back of a batch sees.
pub const MAX_BATCH: usize = 128;

/// How long the writer keeps the pool's connection, waiting for the next
/// request, before it gives the connection back.
pub const LINGER: Duration = Duration::from_millis(1);

/// The longest the writer keeps the pool's connection out of the pool.
pub const MAX_HOLD: Duration = Duration::from_millis(10);

/// Under load (the writer still holds the gate from its last batch), a
/// batch smaller than this waits [`GROUP_WAIT`] once for more requests
/// before it commits, as PostgreSQL's `commit_delay` does: each commit
/// writes every page it dirtied to the WAL, so a batch of one or two costs
/// nearly what a batch of sixteen does. A lone request after a quiet spell
/// does not wait.
pub const GROUP_TARGET: usize = 16;

/// See [`GROUP_TARGET`].
pub const GROUP_WAIT: Duration = Duration::from_micros(250);

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
        let runtime = tokio::runtime::Handle::current();
        let sink = match store.direct_writer().await? {
            Some(direct) => Sink::Direct(Box::new(direct)),
            None => Sink::Pool(store),
        };
        std::thread::Builder::new()
            .name("sqlite-ingest".into())
            .spawn(move || run(sink, rx, runtime))
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
    Direct(Box<DirectWriter>),
    Pool(Store),
}

impl Sink {
    fn ingest_batch(
        &mut self,
        jobs: &[IngestJob],
        runtime: &tokio::runtime::Handle,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        guarded(|| match self {
            Sink::Direct(direct) => direct.ingest_batch(jobs, &fold),
            Sink::Pool(store) => runtime.block_on(store.ingest_batch(jobs, &fold)),
        })
    }

    /// Whether the pool's connection is out of the pool, and since when.
    fn gate_held_for(&self) -> Option<Duration> {
        match self {
            Sink::Direct(direct) => direct.gate_held_for(),
            Sink::Pool(_) => None,
        }
    }

    fn hold_gate(&mut self) {
        if let Sink::Direct(direct) = self {
            direct.hold_gate();
        }
    }

    fn release_gate(&mut self) {
        if let Sink::Direct(direct) = self {
            direct.release_gate();
        }
    }
}

/// Runs `write`, turning a panic into an error. Every webhook of an
/// embedded database passes through the one writer thread: a panic there
/// (a bug in the fold meeting an odd event) must cost the batch — which is
/// then retried job by job, so only the odd one fails — not every webhook
/// until a restart. The batch's transaction is rolled back as the panic
/// unwinds through it.
fn guarded<T>(write: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(write)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|m| (*m).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned());
        tracing::error!(%message, "the ingest writer panicked on a batch");
        Err(StoreError::Corrupt(format!(
            "the ingest writer panicked: {message}"
        )))
    })
}

type Queue = mpsc::Receiver<(IngestJob, Reply)>;

/// The next request: at once if one is queued; else, holding the gate, for
/// up to [`LINGER`]; else, with the gate given back, whenever one comes.
/// None once every sender is gone.
fn next(
    rx: &mut Queue,
    sink: &mut Sink,
    runtime: &tokio::runtime::Handle,
) -> Option<(IngestJob, Reply)> {
    match rx.try_recv() {
        Ok(job) => return Some(job),
        Err(mpsc::error::TryRecvError::Disconnected) => return None,
        Err(mpsc::error::TryRecvError::Empty) => {}
    }
    if sink.gate_held_for().is_some()
        && let Ok(job) = runtime.block_on(async { tokio::time::timeout(LINGER, rx.recv()).await })
    {
        return job;
    }
    sink.release_gate();
    rx.blocking_recv()
}

/// Moves what is queued into the batch, up to [`MAX_BATCH`].
fn take_queued(rx: &mut Queue, jobs: &mut Vec<IngestJob>, replies: &mut Vec<Reply>) {
    while jobs.len() < MAX_BATCH {
        let Ok((job, reply)) = rx.try_recv() else {
            break;
        };
        jobs.push(job);
        replies.push(reply);
    }
}

fn run(mut sink: Sink, mut rx: Queue, runtime: tokio::runtime::Handle) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut replies = Vec::with_capacity(MAX_BATCH);
    while let Some((job, reply)) = next(&mut rx, &mut sink, &runtime) {
        jobs.push(job);
        replies.push(reply);
        take_queued(&mut rx, &mut jobs, &mut replies);
        if jobs.len() < GROUP_TARGET && sink.gate_held_for().is_some() {
            std::thread::sleep(GROUP_WAIT);
            take_queued(&mut rx, &mut jobs, &mut replies);
        }
        sink.hold_gate();
        match sink.ingest_batch(&jobs, &runtime) {
            Ok(outcomes) => {
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            // The pool's connection could not be taken: retrying each job
            // would wait for it once per job.
            Err(StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)) => {
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(StoreError::Database(sqlx::Error::PoolTimedOut)));
                }
            }
            Err(_) if jobs.len() > 1 => {
                // One transaction per job, each giving the gate back, so
                // the pool gets its turns between them.
                sink.release_gate();
                for (job, reply) in jobs.iter().zip(replies.drain(..)) {
                    let one = sink
                        .ingest_batch(std::slice::from_ref(job), &runtime)
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
        // Let the pool's waiters in (the pool queues them fairly, so the
        // writer's next take comes after them).
        if sink.gate_held_for().is_some_and(|held| held >= MAX_HOLD) {
            sink.release_gate();
        }
    }
    sink.release_gate();
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::store::testing::{acme_with_integration, sqlite_store};
    use crate::store::{EventTarget, NewEvent};

    /// Sustained ingest through the writer, which keeps the pool's
    /// connection between batches, must not starve reads through the pool:
    /// the writer gives it back at least every `MAX_HOLD`, and after
    /// `LINGER` once the requests stop.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_through_the_pool_go_on_during_sustained_ingest() -> anyhow::Result<()> {
        let store = sqlite_store().await?;
        let (business, integration) = acme_with_integration(&store).await?;
        let writer = Writer::spawn(Store::clone(&store)).await?;

        // Eight senders, each posting its next request as soon as the last
        // one is stored, for a second.
        let until = Instant::now() + Duration::from_secs(1);
        let mut senders = Vec::new();
        for s in 0..8 {
            let (writer, business, integration) =
                (writer.clone(), business.id.clone(), integration.id.clone());
            senders.push(tokio::spawn(async move {
                let mut n = 0;
                while Instant::now() < until {
                    let key = format!("s{s}-{n}");
                    writer
                        .ingest(IngestJob {
                            business_id: business.clone(),
                            integration_id: integration.clone(),
                            events: vec![NewEvent {
                                dedup_key: key.clone(),
                                kind: "call.ringing".into(),
                                payload: json!({}).to_string(),
                                target: EventTarget::Call { chain_id: key },
                            }],
                            notices: Vec::new(),
                        })
                        .await?;
                    n += 1;
                }
                anyhow::Ok(n)
            }));
        }

        // Meanwhile, reads through the pool keep getting their turn.
        let mut reads = 0;
        let mut slowest = Duration::ZERO;
        while Instant::now() < until {
            let started = Instant::now();
            let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls")
                .fetch_one(store.pool())
                .await?;
            slowest = slowest.max(started.elapsed());
            reads += 1;
        }
        let mut sent = 0;
        for sender in senders {
            sent += sender.await??;
        }
        assert!(sent > 0 && reads > 1, "sent {sent}, reads {reads}");
        // Generous against a noisy machine; a starved pool waits for the
        // whole second.
        assert!(
            slowest < Duration::from_millis(500),
            "slowest read {slowest:?}"
        );

        // Once the requests stop, the pool has its connection back.
        let stored: i64 = tokio::time::timeout(
            Duration::from_secs(5),
            sqlx::query_scalar("SELECT COUNT(*) FROM calls").fetch_one(store.pool()),
        )
        .await??;
        assert_eq!(stored, sent);
        Ok(())
    }

    #[test]
    fn a_panicking_batch_is_an_error_not_the_end_of_the_writer() {
        let panicked: Result<(), StoreError> = guarded(|| panic!("odd event"));
        assert!(
            matches!(&panicked, Err(StoreError::Corrupt(m)) if m.contains("odd event")),
            "{panicked:?}"
        );
        assert_eq!(guarded(|| Ok::<_, StoreError>(7)).ok(), Some(7));
    }
}
