//! The SQLite ingest writer's own connection: the same batch as
//! [`Store::ingest_batch`](super::Store::ingest_batch), run synchronously on
//! the writer's thread with rusqlite and cached single-row statements.
//!
//! Why a second connection: through sqlx every statement is a round trip to
//! the driver's worker thread, and the multi-row statements that keep the
//! round trips few differ in text with the batch size, so they are prepared
//! afresh each time. Profiles put most of a batch's time there, not in
//! SQLite. Here a statement is a function call, prepared once.
//!
//! Why it does not fight the pool: SQLite lets one connection write at a
//! time, and the pool has exactly one connection (see `Store::connect`).
//! Each batch first takes that pooled connection out of the pool (the gate,
//! `sqlite_gate.rs`) and holds it at least until the commit, so no
//! statement of the pool runs during a batch, exactly as when the batch
//! went through the pool itself. Only another process (the CLI beside a
//! server) can hold the lock; the busy timeout covers that, as it does for
//! the pool.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::LazyLock;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::analysis::{ENQUEUE_JOB, UPSERT_VENDOR_ANALYSIS};
use super::batch_sql::BatchSql;
use super::calls::{DELETE_CALL, MOVE_TO_CALL};
use super::calls_many::{
    ChainKey, LINK, LockedCall, NEW_CALL, PROJECTION, PROJECTION_UPSERT, Projected,
};
use super::checkpointer::Checkpointer;
use super::conversations::{CONVERSATION_ID, COUNT_MESSAGE, INSERT_MESSAGE, UPSERT_CONVERSATION};
use super::ingest::{EVENT, EventRow, Fold, IngestJob, IngestOutcome, ingest_jobs};
use super::multirow::{Insert, Style};
use super::outbox::NEW_NOTIFICATION;
use super::sqlite_gate::Gate;
use super::{
    Backend, CallProjection, NewMessage, NewNotification, Store, StoreError, new_id, now_ms,
};

/// Statements kept prepared: every statement of a batch, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// WAL pages after which the writer's commit checkpoints itself (about
/// 32 MB of 4 KiB pages): the bound on the WAL under sustained load.
const WAL_BACKSTOP_PAGES: i64 = 8_000;

/// What a reset WAL file is truncated back to.
const WAL_KEPT_BYTES: i64 = 64 << 20;

/// The single-row statements the writer shares with the pool's multi-row
/// ones, built once rather than per batch.
struct Texts {
    new_call: String,
    event: String,
    projection: String,
    projection_upsert: String,
    link: String,
    notification: String,
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    let one = |insert: &Insert| insert.sql(Style::Positional, 1);
    Texts {
        new_call: one(&NEW_CALL),
        event: one(&EVENT),
        projection: one(&PROJECTION),
        projection_upsert: format!("{}{PROJECTION_UPSERT}", one(&PROJECTION)),
        link: one(&LINK),
        notification: one(&NEW_NOTIFICATION),
    }
});

/// A connection of its own to the store's SQLite file, for one thread.
pub struct DirectWriter {
    conn: Connection,
    _checkpointer: Checkpointer,
    gate: Gate,
}

impl std::fmt::Debug for DirectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectWriter").finish_non_exhaustive()
    }
}

impl Store {
    /// A [`DirectWriter`] on this store's database, when it is a SQLite file
    /// (None for PostgreSQL, and for an in-memory database, which a second
    /// connection could not see). Call from within the tokio runtime: the
    /// writer uses it to take the pooled connection for each batch.
    pub async fn direct_writer(&self) -> Result<Option<DirectWriter>, StoreError> {
        let Some(path) = self.sqlite_file().await? else {
            return Ok(None);
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // The same settings as the pool's connection (`SQLITE_PRAGMAS`);
        // WAL is a property of the file and already set.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Checkpoints happen beside the writer (`checkpointer.rs`), and
        // its own commits checkpoint only as a backstop, see there.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_BACKSTOP_PAGES)?;
        conn.pragma_update(None, "journal_size_limit", WAL_KEPT_BYTES)?;
        let checkpointer = Checkpointer::start(&path)?;
        Ok(Some(DirectWriter {
            conn,
            _checkpointer: checkpointer,
            gate: Gate::new(self.clone()),
        }))
    }

    /// The file behind a SQLite store; None for PostgreSQL or in memory.
    async fn sqlite_file(&self) -> Result<Option<PathBuf>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let file: Option<String> =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(file.filter(|f| !f.is_empty()).map(PathBuf::from))
    }
}

impl DirectWriter {
    /// [`Store::ingest_batch`] on this connection, in one `BEGIN IMMEDIATE`
    /// transaction, holding the pool's connection meanwhile (and after, if
    /// [`DirectWriter::hold_gate`] asked for it). Blocks the calling
    /// thread, which must not be one of the runtime's.
    pub fn ingest_batch(
        &mut self,
        jobs: &[IngestJob],
        fold: &Fold,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        self.gate.take()?;
        let stored = self.transact(jobs, fold);
        self.gate.done();
        stored
    }

    fn transact(
        &mut self,
        jobs: &[IngestJob],
        fold: &Fold,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Nothing below awaits anything that can be pending: every method
        // of `Direct` returns at once, so the future completes in one poll.
        let outcomes = futures::executor::block_on(ingest_jobs(&mut Direct::new(&tx), jobs, fold))?;
        tx.commit()?;
        Ok(outcomes)
    }

    /// Keeps the pool's connection out of the pool between batches, until
    /// [`DirectWriter::release_gate`]: while it is out, every pooled
    /// statement waits. For a writer with the next batch at hand, which
    /// would otherwise give it back and wait to take it again.
    pub fn hold_gate(&mut self) {
        self.gate.hold();
    }

    /// Gives the pool's connection back, if it is held.
    pub fn release_gate(&mut self) {
        self.gate.release();
    }

    /// How long the pool's connection has been held, if it is.
    pub fn gate_held_for(&self) -> Option<std::time::Duration> {
        self.gate.held_for()
    }
}

/// [`BatchSql`] on a rusqlite connection inside a transaction.
///
/// The writer holds the database's write lock for the whole batch, so
/// unlike the pool it need not insert a new call's row to lock it: the row
/// is written once, whole, by `write_projections`, rather than inserted
/// empty and then rewritten (each time through the calls' six indexes).
/// What the pool's lock would have written for a call no stored event
/// touched (an empty row for a new call, `updated_at` for an existing
/// one) is written at the end, so both store the same rows.
struct Direct<'c> {
    conn: &'c Connection,
    /// Every call `lock_calls` returned that `write_projections` has not
    /// written yet, by id.
    pending: HashMap<String, PendingCall>,
    /// The batch's clock.
    now: i64,
}

struct PendingCall {
    chain: ChainKey,
    business_id: String,
    /// Its row exists (it did before the batch, or `write_row` wrote it).
    row: bool,
}

impl<'c> Direct<'c> {
    fn new(conn: &'c Connection) -> Self {
        Direct {
            conn,
            pending: HashMap::new(),
            now: now_ms(),
        }
    }

    /// Writes the empty row of a call this batch created, as the pool's
    /// `lock_calls` does, unless it exists already: for statements that
    /// need it (a foreign key), and for a new call nothing else wrote.
    fn write_row(&mut self, call_id: &str) -> Result<(), StoreError> {
        let Some(call) = self.pending.get_mut(call_id).filter(|c| !c.row) else {
            return Ok(());
        };
        self.conn.prepare_cached(&TEXTS.new_call)?.execute(params![
            call_id,
            call.business_id,
            call.chain.0,
            call.chain.1,
            self.now,
            self.now,
            self.now
        ])?;
        call.row = true;
        Ok(())
    }

    /// The calls `write_projections` did not write: what the pool's lock
    /// left of them.
    fn write_untouched(&mut self) -> Result<(), StoreError> {
        let ids: Vec<String> = self.pending.keys().cloned().collect();
        for id in ids {
            if self.pending[&id].row {
                self.conn
                    .prepare_cached("UPDATE calls SET updated_at = ?1 WHERE id = ?2")?
                    .execute(params![self.now, id])?;
            } else {
                self.write_row(&id)?;
            }
        }
        self.pending.clear();
        Ok(())
    }
}

impl BatchSql for Direct<'_> {
    async fn lock_calls(
        &mut self,
        chains: &BTreeMap<ChainKey, String>,
        now: i64,
    ) -> Result<HashMap<ChainKey, LockedCall>, StoreError> {
        self.now = now;
        let mut find = self
            .conn
            .prepare_cached("SELECT id FROM calls WHERE integration_id = ?1 AND chain_id = ?2")?;
        let mut locked = HashMap::with_capacity(chains.len());
        for ((integration_id, chain_id), business_id) in chains {
            let existing: Option<String> = find
                .query_row(params![integration_id, chain_id], |row| row.get(0))
                .optional()?;
            let fresh = existing.is_none();
            let id = existing.unwrap_or_else(new_id);
            self.pending.insert(
                id.clone(),
                PendingCall {
                    chain: (integration_id.clone(), chain_id.clone()),
                    business_id: business_id.clone(),
                    row: !fresh,
                },
            );
            locked.insert(
                (integration_id.clone(), chain_id.clone()),
                LockedCall {
                    id,
                    business_id: business_id.clone(),
                    fresh,
                },
            );
        }
        Ok(locked)
    }

    async fn adopt_pulled_calls(
        &mut self,
        fresh: &[(&ChainKey, &LockedCall)],
    ) -> Result<HashMap<String, String>, StoreError> {
        // As `calls_many::adopt_pulled_calls`: the oldest call of another
        // integration of the business with a recording source, on the same
        // chain, not made by this batch; each placeholder adopted once.
        let mut find = self.conn.prepare_cached(
            "SELECT c.id FROM recording_syncs s CROSS JOIN calls c \
             WHERE c.integration_id = s.integration_id \
             AND s.business_id = ?1 AND c.chain_id = ?2 ORDER BY c.created_at, c.id",
        )?;
        let fresh_ids: HashSet<&str> = fresh.iter().map(|(_, c)| c.id.as_str()).collect();
        let mut taken: HashSet<(&str, &str)> = HashSet::new();
        let mut adopted = HashMap::new();
        for ((_, chain_id), call) in fresh {
            if !taken.insert((call.business_id.as_str(), chain_id.as_str())) {
                continue;
            }
            let mut rows = find.query(params![call.business_id, chain_id])?;
            let mut placeholder = None;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                if !fresh_ids.contains(id.as_str()) {
                    placeholder = Some(id);
                    break;
                }
            }
            drop(rows);
            if let Some(old) = placeholder {
                // The placeholder's recordings move to the new call: its row
                // must exist for their foreign key.
                self.write_row(&call.id)?;
                for statement in MOVE_TO_CALL {
                    self.conn
                        .prepare_cached(statement)?
                        .execute(params![call.id, old])?;
                }
                self.conn
                    .prepare_cached(DELETE_CALL)?
                    .execute(params![old])?;
                self.pending.remove(&old);
                adopted.insert(call.id.clone(), old);
            }
        }
        Ok(adopted)
    }

    async fn insert_events(
        &mut self,
        jobs: &[IngestJob],
        rows: &[EventRow<'_>],
        received_at: i64,
    ) -> Result<HashSet<String>, StoreError> {
        let mut insert = self.conn.prepare_cached(&TEXTS.event)?;
        let mut stored = HashSet::with_capacity(rows.len());
        for row in rows {
            let job = &jobs[row.job];
            let inserted = insert.execute(params![
                row.id,
                job.business_id,
                job.integration_id,
                row.event.dedup_key,
                row.event.kind,
                row.event.payload,
                received_at,
                row.call.map(|c| c.id.as_str()),
            ])?;
            if inserted > 0 {
                stored.insert(row.id.clone());
            }
        }
        Ok(stored)
    }

    async fn store_message(
        &mut self,
        business_id: &str,
        integration_id: &str,
        m: &NewMessage,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(UPSERT_CONVERSATION)?
            .execute(params![
                new_id(),
                business_id,
                integration_id,
                m.chat_id,
                m.chat_name,
                m.chat_url,
                m.is_group,
                m.sent_at,
                now_ms(),
            ])?;
        let conversation_id: String = self
            .conn
            .prepare_cached(CONVERSATION_ID)?
            .query_row(params![integration_id, m.chat_id], |row| row.get(0))?;
        let inserted = self.conn.prepare_cached(INSERT_MESSAGE)?.execute(params![
            new_id(),
            business_id,
            conversation_id,
            m.message_id,
            m.direction,
            m.sender.to_string(),
            m.recipient.to_string(),
            m.text,
            m.sent_at,
            m.attributes.to_string(),
            m.dedup_key,
        ])?;
        if inserted > 0 {
            self.conn
                .prepare_cached(COUNT_MESSAGE)?
                .execute(params![m.sent_at, conversation_id])?;
        }
        Ok(())
    }

    async fn payloads_of(
        &mut self,
        call_ids: &[&str],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut select = self.conn.prepare_cached(
            "SELECT payload_json FROM inbound_events WHERE call_id = ?1 ORDER BY received_at, id",
        )?;
        let mut payloads = HashMap::with_capacity(call_ids.len());
        for id in call_ids {
            let mut of_call = Vec::new();
            let mut rows = select.query(params![id])?;
            while let Some(row) = rows.next()? {
                of_call.push(row.get(0)?);
            }
            payloads.insert((*id).to_owned(), of_call);
        }
        Ok(payloads)
    }

    async fn serialize_chains(
        &mut self,
        _chains: &BTreeSet<(&str, &str)>,
    ) -> Result<(), StoreError> {
        // This connection is SQLite's one writer: nothing runs beside it.
        Ok(())
    }

    async fn drop_unused_calls(&mut self, call_ids: &[&str]) -> Result<(), StoreError> {
        // A new call's row is written with its projection only, so one that
        // got no events never had a row: forgetting it is enough.
        for id in call_ids {
            self.pending.remove(*id);
        }
        Ok(())
    }

    async fn write_projections(
        &mut self,
        calls: &[Projected<'_>],
        now: i64,
    ) -> Result<(), StoreError> {
        // As `calls_many::write_projections`, one statement per call: a
        // plain insert of a row this batch creates, else the upsert.
        let mut insert = self.conn.prepare_cached(&TEXTS.projection)?;
        let mut upsert = self.conn.prepare_cached(&TEXTS.projection_upsert)?;
        let mut link = self.conn.prepare_cached(&TEXTS.link)?;
        for c in calls {
            let p = c.projection;
            let row = self.pending.remove(c.id).is_none_or(|call| call.row);
            let statement = if row { &mut upsert } else { &mut insert };
            statement.execute(params![
                c.id,
                c.business_id,
                c.integration_id,
                c.chain_id,
                p.status,
                p.outcome,
                p.direction,
                p.customer_phone,
                p.extension,
                p.did,
                p.started_at,
                p.answered_at,
                p.ended_at,
                p.duration_sec,
                p.talk_sec,
                p.hangup_cause,
                p.transcript,
                p.summary,
                p.legs.to_string(),
                p.attributes.to_string(),
                p.started_at.unwrap_or(now),
                now,
                now,
            ])?;
            for (position, (url, mime)) in p.recordings.iter().enumerate() {
                link.execute(params![
                    new_id(),
                    c.business_id,
                    c.id,
                    url,
                    mime,
                    i64::try_from(position).unwrap_or(i64::MAX),
                    now,
                ])?;
            }
        }
        self.write_untouched()
    }

    async fn record_vendor_analysis(
        &mut self,
        business_id: &str,
        call_id: &str,
        projection: &CallProjection,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        self.conn
            .prepare_cached(UPSERT_VENDOR_ANALYSIS)?
            .execute(params![
                call_id,
                business_id,
                projection.transcript,
                projection.summary,
                now
            ])?;
        self.conn.prepare_cached(ENQUEUE_JOB)?.execute(params![
            new_id(),
            business_id,
            call_id,
            "fire",
            now
        ])?;
        Ok(())
    }

    async fn insert_notifications(
        &mut self,
        notifications: &[NewNotification],
    ) -> Result<(), StoreError> {
        let mut insert = self.conn.prepare_cached(&TEXTS.notification)?;
        let now = now_ms();
        for n in notifications {
            insert.execute(params![
                new_id(),
                n.business_id,
                n.channel,
                n.destination_id,
                n.title,
                n.body,
                n.link,
                n.severity,
                n.attributes.to_string(),
                now,
                now,
            ])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{acme_with_integration, sqlite_store};
    use super::super::{EventTarget, NewEvent, NewIntegration};
    use super::*;

    fn on_call(key: &str, chain: &str, kind: &str, extra: Value) -> NewEvent {
        let mut payload = json!({ "key": key });
        if let (Value::Object(p), Value::Object(e)) = (&mut payload, extra) {
            p.extend(e);
        }
        NewEvent {
            dedup_key: key.to_owned(),
            kind: kind.to_owned(),
            payload: payload.to_string(),
            target: EventTarget::Call {
                chain_id: chain.to_owned(),
            },
        }
    }

    fn message(key: &str, chat: &str, sent_at: i64) -> NewEvent {
        NewEvent {
            dedup_key: key.to_owned(),
            kind: "message.received".into(),
            payload: json!({ "key": key }).to_string(),
            target: EventTarget::Message(Box::new(NewMessage {
                chat_id: chat.to_owned(),
                chat_name: Some("Chat".into()),
                chat_url: None,
                is_group: false,
                message_id: format!("m-{key}"),
                dedup_key: key.to_owned(),
                direction: "received".into(),
                sender: json!({ "phone": "+66812345678" }),
                recipient: json!({}),
                text: format!("text of {key}"),
                sent_at,
                attributes: json!({}),
            })),
        }
    }

    /// Keys in order as legs; `rec` fields as recordings; `transcript`
    /// and `end` as the transcript and status.
    fn fold(payloads: &[String]) -> CallProjection {
        let payloads: Vec<Value> = payloads
            .iter()
            .map(|p| serde_json::from_str(p).unwrap_or_default())
            .collect();
        let mut p = CallProjection {
            status: "ringing".into(),
            direction: "inbound".into(),
            legs: Value::Array(payloads.iter().map(|p| p["key"].clone()).collect()),
            attributes: json!({ "events": payloads.len() }),
            ..CallProjection::default()
        };
        for payload in &payloads {
            if let Some(url) = payload["rec"].as_str() {
                p.recordings
                    .push((url.to_owned(), Some("audio/mpeg".into())));
            }
            if let Some(text) = payload["transcript"].as_str() {
                p.transcript = Some(text.to_owned());
                p.summary = Some("summary".into());
            }
            if payload.get("end").is_some() {
                p.status = "ended".into();
                p.started_at = Some(1_000);
            }
        }
        p
    }

    fn notice(business_id: &str, body: &str) -> NewNotification {
        NewNotification {
            business_id: business_id.to_owned(),
            channel: "webhook".into(),
            destination_id: None,
            title: "t".into(),
            body: body.to_owned(),
            link: None,
            severity: "info".into(),
            attributes: json!({}),
        }
    }

    /// The batches of the scenario, for a store's business, webhook
    /// integration `w` and recording-source integration `p`.
    fn scenario(business: &str, w: &str, p: &str) -> Vec<Vec<IngestJob>> {
        let job = |integration: &str, events, notices| IngestJob {
            business_id: business.to_owned(),
            integration_id: integration.to_owned(),
            events,
            notices,
        };
        vec![
            // Calls made by the recording source: placeholders.
            vec![job(
                p,
                vec![
                    on_call("p1", "X", "call.ended", json!({ "rec": "https://r/p1" })),
                    on_call("p3", "Y", "call.ended", json!({})),
                ],
                vec![],
            )],
            vec![
                job(
                    w,
                    vec![
                        on_call("e1", "c1", "call.ringing", json!({})),
                        message("m1", "chat-1", 5_000),
                    ],
                    vec![(0, notice(business, "e1")), (1, notice(business, "m1"))],
                ),
                job(
                    w,
                    vec![
                        on_call(
                            "e2",
                            "c1",
                            "call.recording",
                            json!({ "rec": "https://r/2" }),
                        ),
                        on_call("e3", "c2", "call.ringing", json!({})),
                    ],
                    vec![(0, notice(business, "e2"))],
                ),
                // A concurrent retry of the first request.
                job(
                    w,
                    vec![on_call("e1", "c1", "call.ringing", json!({}))],
                    vec![(0, notice(business, "e1 again"))],
                ),
            ],
            vec![
                job(
                    w,
                    vec![
                        on_call(
                            "e2",
                            "c1",
                            "call.recording",
                            json!({ "rec": "https://r/2" }),
                        ),
                        on_call(
                            "e4",
                            "c1",
                            "call.analysis",
                            json!({ "transcript": "hello", "end": true }),
                        ),
                        message("m1", "chat-1", 5_000),
                        message("m2", "chat-1", 4_000),
                    ],
                    vec![(1, notice(business, "e4"))],
                ),
                job(
                    w,
                    vec![NewEvent {
                        dedup_key: "status-1".into(),
                        kind: "agent.status".into(),
                        payload: json!({ "key": "status-1" }).to_string(),
                        target: EventTarget::Log,
                    }],
                    vec![],
                ),
                // The recording source's second event about X, and the
                // webhook's call of chain X, which takes over the
                // placeholder and, with it, that event too.
                job(p, vec![on_call("p2", "X", "call.ended", json!({}))], vec![]),
                job(
                    w,
                    vec![on_call("w1", "X", "call.ringing", json!({}))],
                    vec![],
                ),
            ],
            // Only retries: of e2 on its own call, of e1 claiming a chain
            // not seen before, and of e3 claiming the placeholder's chain Y.
            // No event is stored and no call is made for the new chain,
            // which no stored event belongs to; the call for Y takes the
            // placeholder over and is folded over its event.
            vec![job(
                w,
                vec![
                    on_call("e2", "c1", "call.recording", json!({})),
                    on_call("e1", "ghost", "call.ringing", json!({})),
                    on_call("e3", "Y", "call.ringing", json!({})),
                ],
                vec![],
            )],
        ]
    }

    /// Everything a batch writes, as text independent of generated ids.
    async fn snapshot(store: &Store) -> anyhow::Result<Vec<Vec<String>>> {
        let queries = [
            "SELECT i.name || '|' || c.chain_id || '|' || c.status || '|' || c.legs_json || '|' \
             || c.attributes_json || '|' || COALESCE(c.transcript, '-') || '|' \
             || CASE WHEN c.sort_at = c.created_at THEN 'created' ELSE c.sort_at END \
             FROM calls c JOIN integrations i ON i.id = c.integration_id",
            "SELECT c.chain_id || '|' || r.url || '|' || r.position || '|' || r.mime_type \
             FROM recordings r JOIN calls c ON c.id = r.call_id",
            "SELECT e.dedup_key || '|' || e.kind || '|' || e.payload_json || '|' \
             || COALESCE(c.chain_id, '-') \
             FROM inbound_events e LEFT JOIN calls c ON c.id = e.call_id",
            "SELECT v.chat_id || '|' || v.message_count || '|' || v.last_message_at || '|' \
             || m.dedup_key || '|' || m.text || '|' || m.sender_json \
             FROM messages m JOIN conversations v ON v.id = m.conversation_id",
            "SELECT c.chain_id || '|' || a.source || '|' || a.transcript || '|' || a.summary \
             FROM call_analyses a JOIN calls c ON c.id = a.call_id",
            "SELECT c.chain_id || '|' || j.kind || '|' || j.status \
             FROM analysis_jobs j JOIN calls c ON c.id = j.call_id",
            "SELECT n.body || '|' || n.status || '|' || COALESCE(c.chain_id, '-') \
             FROM notifications n \
             LEFT JOIN calls c ON c.id = json_extract(n.attributes_json, '$.\"call.id\"')",
        ];
        let mut tables = Vec::new();
        for sql in queries {
            let mut rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&store.pool).await?;
            rows.sort();
            tables.push(rows);
        }
        Ok(tables)
    }

    async fn setup(store: &Store) -> anyhow::Result<Vec<Vec<IngestJob>>> {
        let business = store.create_business("Acme").await?;
        let integration = |kind: &str, name: &str| NewIntegration {
            business_id: business.id.clone(),
            kind: kind.into(),
            name: name.into(),
            config: json!({}),
            secrets: None,
        };
        let w = store
            .create_integration(integration("threecx-webhooks", "webhooks"))
            .await?;
        let p = store
            .create_integration(integration("threecx-cloud", "cloud"))
            .await?;
        store.ensure_syncs("threecx-cloud", 60).await?;
        Ok(scenario(&business.id, &w.id, &p.id))
    }

    /// The ingest writer's connection and the pool store the same batches
    /// to the same rows, with the same outcomes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_direct_writer_stores_what_the_pool_stores() -> anyhow::Result<()> {
        let pooled = sqlite_store().await?;
        let direct_store = sqlite_store().await?;
        let mut direct = direct_store
            .direct_writer()
            .await?
            .expect("a SQLite file gets a direct writer");
        let by_pool = setup(&pooled).await?;
        let by_direct = setup(&direct_store).await?;

        for (a, b) in by_pool.into_iter().zip(by_direct) {
            let expected = pooled.ingest_batch(&a, &fold).await?;
            let (back, got) = tokio::task::spawn_blocking(move || {
                let got = direct.ingest_batch(&b, &fold);
                (direct, got)
            })
            .await?;
            direct = back;
            let got = got?;
            let shape = |o: &[IngestOutcome]| -> Vec<(Vec<bool>, usize)> {
                o.iter()
                    .map(|o| (o.inserted.clone(), o.call_ids.len()))
                    .collect()
            };
            assert_eq!(shape(&got), shape(&expected));
        }

        let expected = snapshot(&pooled).await?;
        let got = snapshot(&direct_store).await?;
        assert_eq!(got, expected);

        // And what both stored is right, so agreeing is not both being wrong.
        let calls = &got[0];
        assert_eq!(calls.len(), 4, "{calls:?}");
        assert_eq!(
            calls[1], "webhooks|Y|ringing|[\"p3\"]|{\"events\":1}|-|created",
            "the call that took Y's placeholder over with retries only is folded"
        );
        assert!(
            !calls.iter().any(|c| c.starts_with("webhooks|ghost|")),
            "no empty call for a request of retries: {calls:?}"
        );
        assert_eq!(
            calls[0], "webhooks|X|ringing|[\"p1\",\"p2\",\"w1\"]|{\"events\":3}|-|created",
            "the webhook's call took over the placeholder"
        );
        assert_eq!(
            calls[2],
            "webhooks|c1|ended|[\"e1\",\"e2\",\"e4\"]|{\"events\":3}|hello|1000"
        );
        assert_eq!(
            got[1],
            ["X|https://r/p1|0|audio/mpeg", "c1|https://r/2|0|audio/mpeg"]
        );
        assert_eq!(
            got[2].len(),
            11,
            "p1 p3 e1 m1 e2 e3 e4 m2 status-1 p2 w1: {:?}",
            got[2]
        );
        assert!(
            got[2]
                .iter()
                .any(|e| e.starts_with("p2|") && e.ends_with("|X")),
            "the placeholder's event of the same batch went to the new call: {:?}",
            got[2]
        );
        assert_eq!(got[3].len(), 2, "{:?}", got[3]);
        assert!(got[3][0].starts_with("chat-1|2|5000|"), "{:?}", got[3]);
        assert_eq!(got[4], ["c1|vendor|hello|summary"]);
        assert_eq!(got[5], ["c1|fire|pending"]);
        assert_eq!(
            got[6],
            [
                "e1|pending|c1",
                "e2|pending|c1",
                "e4|pending|c1",
                "m1|pending|-"
            ]
        );
        Ok(())
    }

    #[tokio::test]
    async fn the_gate_stays_out_of_the_pool_only_while_held() -> anyhow::Result<()> {
        use std::time::Duration;
        let store = sqlite_store().await?;
        let mut direct = store
            .direct_writer()
            .await?
            .expect("a SQLite file gets a direct writer");
        let (business, integration) = acme_with_integration(&store).await?;
        let job = |key: &str| IngestJob {
            business_id: business.id.clone(),
            integration_id: integration.id.clone(),
            events: vec![on_call(key, key, "call.ringing", json!({}))],
            notices: Vec::new(),
        };
        let pool_is_free = |wait: Duration| {
            let store = store.clone();
            async move {
                tokio::time::timeout(wait, store.pool().acquire())
                    .await
                    .is_ok()
            }
        };

        // Taken for a batch and given back after it.
        let one = job("e1");
        direct =
            tokio::task::spawn_blocking(move || direct.ingest_batch(&[one], &fold).map(|_| direct))
                .await??;
        assert!(direct.gate_held_for().is_none());
        assert!(pool_is_free(Duration::from_secs(5)).await);

        // Held: the pool waits until it is released.
        let two = job("e2");
        direct = tokio::task::spawn_blocking(move || {
            direct.hold_gate();
            direct.ingest_batch(&[two], &fold).map(|_| direct)
        })
        .await??;
        assert!(direct.gate_held_for().is_some());
        assert!(!pool_is_free(Duration::from_millis(200)).await);
        let three = job("e3");
        direct = tokio::task::spawn_blocking(move || {
            direct.ingest_batch(&[three], &fold).map(|_| direct)
        })
        .await??;
        assert!(
            direct.gate_held_for().is_some(),
            "still held after the next batch"
        );
        direct = tokio::task::spawn_blocking(move || {
            direct.release_gate();
            direct
        })
        .await?;
        assert!(direct.gate_held_for().is_none());
        assert!(pool_is_free(Duration::from_secs(5)).await);

        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(stored, 3);
        drop(direct);
        Ok(())
    }

    /// rusqlite binds `params![]` by position, and SQLite numbers a `$N`
    /// parameter by where it first appears, not by N: a text shared with
    /// sqlx must name its parameters in order.
    #[tokio::test]
    async fn shared_statements_name_their_parameters_in_order() -> anyhow::Result<()> {
        let store = sqlite_store().await?;
        let direct = store
            .direct_writer()
            .await?
            .expect("a SQLite file gets a direct writer");
        let mut texts = vec![
            UPSERT_CONVERSATION,
            CONVERSATION_ID,
            INSERT_MESSAGE,
            COUNT_MESSAGE,
            ENQUEUE_JOB,
            UPSERT_VENDOR_ANALYSIS,
            DELETE_CALL,
        ];
        texts.extend(MOVE_TO_CALL);
        for text in texts {
            let statement = direct.conn.prepare(text)?;
            let names: Vec<String> = (1..=statement.parameter_count())
                .map(|i| statement.parameter_name(i).unwrap_or_default().to_owned())
                .collect();
            let in_order: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
            assert_eq!(names, in_order, "{text}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn the_writer_syncs_its_commits_as_the_pool_does() -> anyhow::Result<()> {
        let store = sqlite_store().await?;
        let writer = store.direct_writer().await?.expect("a file store");
        let pool: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await?;
        let own: i64 = writer
            .conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))?;
        // 2 is FULL: the writer acknowledges events after its commit, so
        // the commit must be on disk, not only in the OS's cache.
        assert_eq!((pool, own), (2, 2));
        Ok(())
    }

    #[tokio::test]
    async fn an_in_memory_store_has_no_direct_writer() -> anyhow::Result<()> {
        let store = Store::connect("sqlite::memory:").await?;
        store.migrate().await?;
        assert!(store.direct_writer().await?.is_none());
        Ok(())
    }
}
