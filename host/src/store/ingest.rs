//! Storing what an ingest connector made of one inbound request, in one
//! transaction: the events (de-duplicated by the vendor's identity), the
//! calls they belong to, re-folded, and the messages they carry. The HTTP
//! route answers the vendor only after this commits, so an acknowledged event
//! is never lost and a failure stores nothing half-way.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::Value;
use sqlx::Row;

use super::batch_sql::BatchSql;
use super::calls_many::{ChainKey, LockedCall, Projected};
use super::conversations::NewMessage;
use super::multirow::{Insert, Style};
use super::{CallProjection, NewNotification, Store, StoreError, new_id, now_ms};

/// What an event is about, which decides where else it is written.
#[derive(Debug, Clone, PartialEq)]
pub enum EventTarget {
    /// It belongs to the call of this vendor chain id, which is re-folded.
    Call { chain_id: String },
    /// A chat message, stored in its conversation.
    Message(Box<NewMessage>),
    /// Kept in the event log only (agent status and the like).
    Log,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub dedup_key: String,
    pub kind: String,
    /// The event as JSON text, made once where the event is made: it is
    /// stored as it is and folded from, so the writer, which every event of
    /// an embedded database passes through one at a time, neither
    /// serializes it nor copies a tree of it.
    pub payload: String,
    pub target: EventTarget,
}

/// Recomputes a call from all its stored event payloads (JSON texts).
pub type Fold = dyn Fn(&[String]) -> CallProjection + Send + Sync;

/// What [`Store::ingest`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Per event: stored now (`true`) or a duplicate of one already stored.
    pub inserted: Vec<bool>,
    /// Calls that changed.
    pub call_ids: Vec<String>,
}

/// One request's events, for [`Store::ingest_batch`].
#[derive(Debug, Clone)]
pub struct IngestJob {
    pub business_id: String,
    pub integration_id: String,
    pub events: Vec<NewEvent>,
    /// Outgoing-webhook notifications about the events, as `(index into
    /// events, notification)`. Each is queued in the same transaction as
    /// its event, and only when the event is stored now (a vendor's retry
    /// notifies no one twice); an event that belongs to a call gets the
    /// call's id as the `call.id` attribute. So an acknowledged event's
    /// notifications are as durable as the event.
    pub notices: Vec<(usize, NewNotification)>,
}

impl Store {
    /// Stores `events` for the integration and folds every call they touch.
    /// All or nothing. NotFound when the integration is not `business_id`'s.
    pub async fn ingest(
        &self,
        business_id: &str,
        integration_id: &str,
        events: &[NewEvent],
        fold: &Fold,
    ) -> Result<IngestOutcome, StoreError> {
        let job = IngestJob {
            business_id: business_id.to_owned(),
            integration_id: integration_id.to_owned(),
            events: events.to_vec(),
            notices: Vec::new(),
        };
        let mut outcomes = self.ingest_batch(std::slice::from_ref(&job), fold).await?;
        Ok(outcomes.pop().unwrap_or_default())
    }

    /// Several requests' events in one transaction (group commit): one
    /// commit, and a fixed number of statements for the whole batch rather
    /// than several per event (see `multirow.rs`). All or nothing; on error
    /// the caller retries each job on its own so one bad job cannot fail
    /// the others.
    pub async fn ingest_batch(
        &self,
        jobs: &[IngestJob],
        fold: &Fold,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let outcomes = ingest_jobs(&mut *tx, jobs, fold).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// One event about to be logged.
pub(super) struct EventRow<'a> {
    pub id: String,
    /// Index of its request in the batch.
    pub job: usize,
    pub event: &'a NewEvent,
    pub call: Option<&'a LockedCall>,
}

/// The body of [`Store::ingest_batch`], inside the caller's transaction
/// (a pulled recording's call is made the same way, `recordings.rs`; the
/// SQLite ingest writer runs it on its own connection, `sqlite_direct.rs`).
pub(super) async fn ingest_jobs<S: BatchSql>(
    tx: &mut S,
    jobs: &[IngestJob],
    fold: &Fold,
) -> Result<Vec<IngestOutcome>, StoreError> {
    let now = now_ms();

    // 1. The call of every chain the batch mentions, created if new, locked.
    let mut chains: BTreeMap<ChainKey, String> = BTreeMap::new();
    for job in jobs {
        for event in &job.events {
            if let EventTarget::Call { chain_id } = &event.target {
                chains
                    .entry((job.integration_id.clone(), chain_id.clone()))
                    .or_insert_with(|| job.business_id.clone());
            }
        }
    }
    let by_business: BTreeSet<(&str, &str)> = chains
        .iter()
        .map(|((_, chain_id), business_id)| (business_id.as_str(), chain_id.as_str()))
        .collect();
    tx.serialize_chains(&by_business).await?;
    let mut calls = tx.lock_calls(&chains, now).await?;
    let fresh: Vec<(&ChainKey, &LockedCall)> = calls.iter().filter(|(_, c)| c.fresh).collect();
    let adoptions = tx.adopt_pulled_calls(&fresh).await?;
    let chain_of: HashMap<String, ChainKey> = calls
        .iter()
        .map(|(key, call)| (call.id.clone(), key.clone()))
        .collect();
    // The batch may also carry an event for a placeholder adopted just now
    // (a recording source that sends webhooks too): it belongs to the call
    // that adopted the placeholder, as the placeholder's older events do.
    for call in calls.values_mut() {
        if let Some((new_call, _)) = adoptions.iter().find(|(_, old)| **old == call.id) {
            call.id = new_call.clone();
            call.fresh = false;
        }
    }
    let adopted: HashSet<String> = adoptions.into_keys().collect();

    // 2. The events, minus retries: a key seen earlier in the batch is a
    // duplicate as surely as one already stored.
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    let mut outcomes: Vec<IngestOutcome> = jobs
        .iter()
        .map(|job| IngestOutcome {
            inserted: vec![false; job.events.len()],
            call_ids: Vec::new(),
        })
        .collect();
    // (row index) for each job's event, when it was offered for insert.
    let mut offered: Vec<Vec<Option<usize>>> = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.iter().enumerate() {
        let mut of_job = Vec::with_capacity(job.events.len());
        for event in &job.events {
            if !seen.insert((job.integration_id.as_str(), event.dedup_key.as_str())) {
                of_job.push(None);
                continue;
            }
            let call = match &event.target {
                EventTarget::Call { chain_id } => {
                    calls.get(&(job.integration_id.clone(), chain_id.clone()))
                }
                _ => None,
            };
            of_job.push(Some(rows.len()));
            rows.push(EventRow {
                id: new_id(),
                job: j,
                event,
                call,
            });
        }
        offered.push(of_job);
    }
    let stored = tx.insert_events(jobs, &rows, now).await?;
    for (j, of_job) in offered.iter().enumerate() {
        for (e, row) in of_job.iter().enumerate() {
            outcomes[j].inserted[e] = row.is_some_and(|r| stored.contains(rows[r].id.as_str()));
        }
    }

    // 3. What the stored events touch: messages, calls, analyses.
    let mut touched: BTreeMap<&str, &LockedCall> = BTreeMap::new();
    let mut touched_by_job: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); jobs.len()];
    // Calls a vendor's own analytics arrived for (3CX speech analytics):
    // that counts as the call's analysis, which fires automations.
    let mut analysed = HashSet::new();
    for row in rows.iter().filter(|r| stored.contains(r.id.as_str())) {
        let job = &jobs[row.job];
        match (&row.event.target, row.call) {
            (EventTarget::Call { .. }, Some(call)) => {
                if row.event.kind == "call.analysis" {
                    analysed.insert(call.id.as_str());
                }
                touched.insert(call.id.as_str(), call);
                touched_by_job[row.job].insert(call.id.as_str());
            }
            (EventTarget::Message(m), _) => {
                tx.store_message(&job.business_id, &job.integration_id, m)
                    .await?;
            }
            _ => {}
        }
    }

    // A new call that took a placeholder over holds the placeholder's
    // events now, even if none of this batch's was stored (all retries):
    // it is folded like any touched call.
    for call in calls.values().filter(|c| adopted.contains(&c.id)) {
        touched.entry(call.id.as_str()).or_insert(call);
    }
    // A call created above that none of the stored events belongs to.
    let unused: Vec<&str> = calls
        .values()
        .filter(|c| c.fresh && !adopted.contains(&c.id) && !touched.contains_key(c.id.as_str()))
        .map(|c| c.id.as_str())
        .collect();
    if !unused.is_empty() {
        tx.drop_unused_calls(&unused).await?;
    }

    // 4. Re-fold each touched call. A call this batch created has no events
    // but the batch's, already in hand; the others are read back.
    let mut payloads: HashMap<String, Vec<String>> = HashMap::new();
    let mut batch_rows: Vec<&EventRow<'_>> = rows
        .iter()
        .filter(|r| stored.contains(r.id.as_str()))
        .collect();
    // The order the database would give: received_at (one for the batch), id.
    batch_rows.sort_by(|a, b| a.id.cmp(&b.id));
    for row in batch_rows {
        if let Some(call) = row.call
            && call.fresh
            && !adopted.contains(&call.id)
        {
            payloads
                .entry(call.id.clone())
                .or_default()
                .push(row.event.payload.clone());
        }
    }
    let to_read: Vec<&str> = touched
        .keys()
        .copied()
        .filter(|id| !payloads.contains_key(*id))
        .collect();
    payloads.extend(tx.payloads_of(&to_read).await?);
    let projections: Vec<(&str, &LockedCall, CallProjection)> = touched
        .iter()
        .map(|(id, call)| {
            let events = payloads.get(*id).map(Vec::as_slice).unwrap_or_default();
            (*id, *call, fold(events))
        })
        .collect();
    let projected: Vec<Projected<'_>> = projections
        .iter()
        .filter_map(|(id, call, projection)| {
            let (integration_id, chain_id) = chain_of.get(*id)?;
            Some(Projected {
                id,
                business_id: &call.business_id,
                integration_id,
                chain_id,
                projection,
            })
        })
        .collect();
    tx.write_projections(&projected, now).await?;
    for (id, call, projection) in &projections {
        if analysed.contains(id) {
            tx.record_vendor_analysis(&call.business_id, id, projection)
                .await?;
        }
    }

    // 5. Outgoing-webhook notifications of the events stored now.
    let mut notices = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        for (e, notice) in &job.notices {
            let Some(Some(r)) = offered[j].get(*e) else {
                continue;
            };
            if !outcomes[j].inserted[*e] {
                continue;
            }
            let mut notice = notice.clone();
            if let (Some(call), Value::Object(attributes)) = (rows[*r].call, &mut notice.attributes)
            {
                attributes.insert("call.id".into(), Value::String(call.id.clone()));
            }
            notices.push(notice);
        }
    }
    tx.insert_notifications(&notices).await?;

    for (outcome, ids) in outcomes.iter_mut().zip(touched_by_job) {
        outcome.call_ids = ids.into_iter().map(str::to_owned).collect();
    }
    Ok(outcomes)
}

/// An event in the log, unless the integration has its key already.
pub(super) const EVENT: Insert = Insert {
    head: "INSERT INTO inbound_events (id, business_id, integration_id, dedup_key, kind, \
           payload_json, received_at, call_id) VALUES ",
    literals: &[],
    tail: " ON CONFLICT (integration_id, dedup_key) DO NOTHING",
};

/// Logs the events in as few statements as the batch allows; returns the
/// ids of those stored now. A key the integration already has is skipped
/// (ON CONFLICT DO NOTHING returns no row for it and, unlike a caught
/// unique violation, does not abort a PostgreSQL transaction).
pub(super) async fn insert_events(
    conn: &mut sqlx::AnyConnection,
    jobs: &[IngestJob],
    rows: &[EventRow<'_>],
    received_at: i64,
) -> Result<HashSet<String>, StoreError> {
    let style = Style::of(conn);
    let mut stored = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(EVENT.rows_per_statement()) {
        let sql = format!("{} RETURNING id", EVENT.sql(style, chunk.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for row in chunk {
            let job = &jobs[row.job];
            query = query
                .bind(row.id.as_str())
                .bind(job.business_id.as_str())
                .bind(job.integration_id.as_str())
                .bind(row.event.dedup_key.as_str())
                .bind(row.event.kind.as_str())
                .bind(row.event.payload.as_str())
                .bind(received_at)
                .bind(row.call.map(|c| c.id.as_str()));
        }
        for row in query.fetch_all(&mut *conn).await? {
            stored.insert(row.try_get("id")?);
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::CallFilter;
    use super::super::testing::{acme_with_integration, test_stores};
    use super::*;

    fn on_call(key: &str, chain: &str) -> NewEvent {
        NewEvent {
            dedup_key: key.to_owned(),
            kind: "call.ringing".into(),
            payload: json!({ "key": key }).to_string(),
            target: EventTarget::Call {
                chain_id: chain.to_owned(),
            },
        }
    }

    fn notice(business_id: &str, about: &str) -> NewNotification {
        NewNotification {
            business_id: business_id.to_owned(),
            channel: "webhook".into(),
            destination_id: None,
            title: "call.ringing".into(),
            body: about.to_owned(),
            link: None,
            severity: "info".into(),
            attributes: json!({}),
        }
    }

    /// A fold that keeps the keys of the events it was given, in order.
    fn keys_fold(payloads: &[String]) -> CallProjection {
        let key = |p: &String| serde_json::from_str::<Value>(p).unwrap_or_default()["key"].take();
        CallProjection {
            status: "ringing".into(),
            direction: "inbound".into(),
            legs: Value::Array(payloads.iter().map(key).collect()),
            attributes: json!({}),
            ..CallProjection::default()
        }
    }

    async fn legs_by_chain(
        store: &Store,
        business_id: &str,
    ) -> anyhow::Result<Vec<(String, Value)>> {
        let mut calls = store
            .list_calls(business_id, &CallFilter::default(), None, 50)
            .await?;
        calls.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        Ok(calls
            .into_iter()
            .map(|c| (c.external_id, c.projection.legs))
            .collect())
    }

    #[tokio::test]
    async fn a_batch_folds_each_call_over_all_its_events_and_notifies_only_new_ones()
    -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (business, a) = acme_with_integration(&store).await?;
            let job = |events: Vec<NewEvent>, notices: Vec<(usize, NewNotification)>| IngestJob {
                business_id: business.id.clone(),
                integration_id: a.id.clone(),
                events,
                notices,
            };

            // Two requests about one new call, one about another; the last
            // repeats a key the first request carries (a concurrent retry).
            let first = store
                .ingest_batch(
                    &[
                        job(
                            vec![on_call("e1", "c1")],
                            vec![(0, notice(&business.id, "e1"))],
                        ),
                        job(
                            vec![on_call("e2", "c1"), on_call("e3", "c2")],
                            vec![(0, notice(&business.id, "e2"))],
                        ),
                        job(
                            vec![on_call("e1", "c1")],
                            vec![(0, notice(&business.id, "e1 again"))],
                        ),
                    ],
                    &keys_fold,
                )
                .await?;
            let inserted: Vec<_> = first.iter().map(|o| o.inserted.clone()).collect();
            assert_eq!(
                inserted,
                [vec![true], vec![true, true], vec![false]],
                "{backend:?}"
            );
            assert_eq!(first[1].call_ids.len(), 2, "{backend:?}");
            assert!(first[2].call_ids.is_empty(), "{backend:?}");
            assert_eq!(
                legs_by_chain(&store, &business.id).await?,
                [
                    ("c1".into(), json!(["e1", "e2"])),
                    ("c2".into(), json!(["e3"]))
                ],
                "{backend:?}"
            );

            // A later batch about c1: its fold sees the stored events too.
            let second = store
                .ingest_batch(
                    &[job(
                        vec![on_call("e2", "c1"), on_call("e4", "c1")],
                        vec![
                            (0, notice(&business.id, "e2 again")),
                            (1, notice(&business.id, "e4")),
                        ],
                    )],
                    &keys_fold,
                )
                .await?;
            assert_eq!(second[0].inserted, [false, true], "{backend:?}");
            assert_eq!(
                legs_by_chain(&store, &business.id).await?[0],
                ("c1".into(), json!(["e1", "e2", "e4"])),
                "{backend:?}"
            );

            // One notification per event stored, none for the retries, each
            // naming the call of its event.
            let c1 = &second[0].call_ids[0];
            let mut queued = store
                .list_notifications(&business.id, &Default::default(), None, 10)
                .await?;
            queued.sort_by(|x, y| x.body.cmp(&y.body));
            let bodies: Vec<&str> = queued.iter().map(|n| n.body.as_str()).collect();
            assert_eq!(bodies, ["e1", "e2", "e4"], "{backend:?}");
            for n in &queued {
                assert_eq!(n.attributes["call.id"], json!(c1), "{backend:?}");
            }
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_request_of_retries_only_makes_no_call() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let (business, a) = acme_with_integration(&store).await?;
            let job = |events: Vec<NewEvent>| IngestJob {
                business_id: business.id.clone(),
                integration_id: a.id.clone(),
                events,
                notices: Vec::new(),
            };
            store
                .ingest_batch(&[job(vec![on_call("e1", "c1")])], &keys_fold)
                .await?;
            // The same event again, now under a chain id the log does not
            // have (a connector version that names chains differently).
            let retry = store
                .ingest_batch(&[job(vec![on_call("e1", "c9")])], &keys_fold)
                .await?;
            assert_eq!(retry[0].inserted, [false], "{backend:?}");
            assert!(retry[0].call_ids.is_empty(), "{backend:?}");
            assert_eq!(
                legs_by_chain(&store, &business.id).await?,
                [("c1".into(), json!(["e1"]))],
                "no empty call for c9 ({backend:?})"
            );
        }
        Ok(())
    }

    /// PostgreSQL: a webhook opening a chain's call while a recording
    /// source's pull of the same chain is between its read and its commit
    /// waits for it, then takes the pull's call over: one call, not two.
    #[tokio::test]
    async fn a_webhook_waits_for_a_pull_of_its_chain() -> anyhow::Result<()> {
        for store in test_stores().await? {
            if store.backend() != super::super::Backend::Postgres {
                continue;
            }
            let (business, webhooks) = acme_with_integration(&store).await?;
            let source = store
                .create_integration(super::super::NewIntegration {
                    business_id: business.id.clone(),
                    kind: "threecx-cloud".into(),
                    name: "Recordings".into(),
                    config: json!({}),
                    secrets: None,
                })
                .await?;
            store.ensure_syncs("threecx-cloud", 60).await?;

            // The pull: its transaction holds the chain, as `record_pulled`'s does.
            let mut pull = store.pool().begin().await?;
            let chain = BTreeSet::from([(business.id.as_str(), "chain-x")]);
            super::super::calls_many::serialize_chains(&mut pull, &chain).await?;

            let webhook = tokio::spawn({
                let store = Store::clone(&store);
                let job = IngestJob {
                    business_id: business.id.clone(),
                    integration_id: webhooks.id.clone(),
                    events: vec![on_call("ring", "chain-x")],
                    notices: Vec::new(),
                };
                async move { store.ingest_batch(&[job], &keys_fold).await }
            });
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            assert!(!webhook.is_finished(), "the webhook waits for the pull");

            // The pull makes its placeholder call and commits.
            let placeholder = IngestJob {
                business_id: business.id.clone(),
                integration_id: source.id.clone(),
                events: vec![on_call("pulled", "chain-x")],
                notices: Vec::new(),
            };
            ingest_jobs(&mut *pull, &[placeholder], &keys_fold).await?;
            pull.commit().await?;

            webhook.await??;
            let calls = store
                .list_calls(&business.id, &super::super::CallFilter::default(), None, 10)
                .await?;
            assert_eq!(calls.len(), 1, "one call: {calls:?}");
            assert_eq!(calls[0].integration_id, webhooks.id, "the webhook's call");
            let mut legs = calls[0]
                .projection
                .legs
                .as_array()
                .cloned()
                .unwrap_or_default();
            legs.sort_by_key(|v| v.to_string());
            assert_eq!(legs, [json!("pulled"), json!("ring")], "both events in it");
        }
        Ok(())
    }
}
