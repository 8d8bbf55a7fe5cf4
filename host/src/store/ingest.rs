//! Storing what an ingest connector made of one inbound request, in one
//! transaction: the events (de-duplicated by the vendor's identity), the
//! calls they belong to, re-folded, and the messages they carry. The HTTP
//! route answers the vendor only after this commits, so an acknowledged event
//! is never lost and a failure stores nothing half-way.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::analysis::record_vendor_analysis;
use super::calls::{call_payloads, lock_call, write_projection};
use super::conversations::{NewMessage, store_message};
use super::{CallProjection, Store, StoreError, new_id, now_ms};

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
    pub payload: Value,
    pub target: EventTarget,
}

/// Recomputes a call from all its stored event payloads.
pub type Fold = dyn Fn(&[Value]) -> CallProjection + Send + Sync;

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
        let mut tx = self.pool.begin().await?;
        let outcome = self
            .ingest_in(&mut tx, business_id, integration_id, events, fold)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Several requests' events in one transaction (group commit): one
    /// commit, and on SQLite one trip through the single connection, for
    /// the whole batch. All or nothing; on error the caller retries each job
    /// on its own so one bad job cannot fail the others.
    pub async fn ingest_batch(
        &self,
        jobs: &[IngestJob],
        fold: &Fold,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            outcomes.push(
                self.ingest_in(
                    &mut tx,
                    &job.business_id,
                    &job.integration_id,
                    &job.events,
                    fold,
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn ingest_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        business_id: &str,
        integration_id: &str,
        events: &[NewEvent],
        fold: &Fold,
    ) -> Result<IngestOutcome, StoreError> {
        let received_at = now_ms();

        // Lock the calls first, in a fixed order, so two requests touching
        // the same two calls cannot deadlock on PostgreSQL.
        let chains: BTreeSet<&str> = events
            .iter()
            .filter_map(|e| match &e.target {
                EventTarget::Call { chain_id } => Some(chain_id.as_str()),
                _ => None,
            })
            .collect();
        let mut call_ids = BTreeMap::new();
        for chain in chains {
            let id = lock_call(&mut *tx, business_id, integration_id, chain).await?;
            call_ids.insert(chain, id);
        }

        let mut outcome = IngestOutcome::default();
        let mut touched = BTreeSet::new();
        // Calls a vendor's own analytics arrived for (3CX speech analytics):
        // that counts as the call's analysis, which fires automations.
        let mut analysed = BTreeSet::new();
        for event in events {
            let call_id = match &event.target {
                EventTarget::Call { chain_id } => call_ids.get(chain_id.as_str()).cloned(),
                _ => None,
            };
            let new = insert_event(
                &mut *tx,
                business_id,
                integration_id,
                event,
                received_at,
                call_id.as_deref(),
            )
            .await?;
            outcome.inserted.push(new);
            if !new {
                continue;
            }
            match (&event.target, call_id) {
                (EventTarget::Call { .. }, Some(id)) => {
                    if event.kind == "call.analysis" {
                        analysed.insert(id.clone());
                    }
                    touched.insert(id);
                }
                (EventTarget::Message(m), _) => {
                    store_message(&mut *tx, business_id, integration_id, m).await?;
                }
                _ => {}
            }
        }

        for call_id in &touched {
            let payloads = call_payloads(&mut *tx, call_id).await?;
            let projection = fold(&payloads);
            write_projection(&mut *tx, business_id, call_id, &projection).await?;
            if analysed.contains(call_id) {
                record_vendor_analysis(&mut *tx, business_id, call_id, &projection).await?;
            }
        }
        outcome.call_ids = touched.into_iter().collect();
        Ok(outcome)
    }
}

/// Logs one event; false when the integration already has its dedup key.
/// DO NOTHING returns no row for a duplicate, and unlike a caught unique
/// violation it does not abort a PostgreSQL transaction.
pub(super) async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    business_id: &str,
    integration_id: &str,
    event: &NewEvent,
    received_at: i64,
    call_id: Option<&str>,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "INSERT INTO inbound_events (id, business_id, integration_id, dedup_key, kind, \
         payload_json, received_at, call_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (integration_id, dedup_key) DO NOTHING RETURNING id",
    )
    .bind(new_id())
    .bind(business_id)
    .bind(integration_id)
    .bind(&event.dedup_key)
    .bind(&event.kind)
    .bind(event.payload.to_string())
    .bind(received_at)
    .bind(call_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}
