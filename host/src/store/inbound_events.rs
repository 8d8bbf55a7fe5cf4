//! Inbound events: what ingest connectors made of a vendor's webhooks, stored
//! before the vendor gets its 200, de-duplicated by a key the connector
//! derives from the vendor's own ids so that a retried webhook is recognised.
//! They are written by `Store::ingest` (`ingest.rs`), with the calls and
//! messages they touch; this file reads them back.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, parse_json};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboundEvent {
    pub id: String,
    pub business_id: String,
    pub integration_id: String,
    pub dedup_key: String,
    pub kind: String,
    pub payload: Value,
    pub received_at: i64,
}

impl InboundEvent {
    pub(super) fn from_row(row: &AnyRow) -> Result<InboundEvent, StoreError> {
        let payload: String = row.try_get("payload_json")?;
        Ok(InboundEvent {
            id: row.try_get("id")?,
            business_id: row.try_get("business_id")?,
            integration_id: row.try_get("integration_id")?,
            dedup_key: row.try_get("dedup_key")?,
            kind: row.try_get("kind")?,
            payload: parse_json(&payload, "inbound_events.payload_json")?,
            received_at: row.try_get("received_at")?,
        })
    }
}

impl Store {
    /// The integration's most recent events, newest first.
    pub async fn list_inbound_events(
        &self,
        integration_id: &str,
        limit: u32,
    ) -> Result<Vec<InboundEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, business_id, integration_id, dedup_key, kind, payload_json, received_at \
             FROM inbound_events WHERE integration_id = $1 \
             ORDER BY received_at DESC, id DESC LIMIT $2",
        )
        .bind(integration_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(InboundEvent::from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::test_stores;
    use super::super::{CallProjection, EventTarget, Integration, NewEvent, NewIntegration};
    use super::*;

    fn event(key: &str, n: i64) -> NewEvent {
        NewEvent {
            dedup_key: key.to_owned(),
            kind: "agent.status".into(),
            payload: json!({"n": n, "callid": key}).to_string(),
            target: EventTarget::Log,
        }
    }

    /// `Store::ingest` for events that touch no call: which were new.
    async fn insert(
        store: &Store,
        business_id: &str,
        integration_id: &str,
        events: &[NewEvent],
    ) -> Result<Vec<bool>, StoreError> {
        let outcome = store
            .ingest(business_id, integration_id, events, &|_| {
                CallProjection::default()
            })
            .await?;
        Ok(outcome.inserted)
    }

    async fn integration(store: &Store, name: &str) -> anyhow::Result<Integration> {
        let business = store.create_business(name).await?;
        Ok(store
            .create_integration(NewIntegration {
                business_id: business.id,
                kind: "threecx-webhooks".into(),
                name: name.into(),
                config: json!({}),
                secrets: None,
            })
            .await?)
    }

    #[tokio::test]
    async fn retries_are_recognised_by_dedup_key() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let a = integration(&store, "A").await?;
            let b = integration(&store, "B").await?;

            let first = insert(
                &store,
                &a.business_id,
                &a.id,
                &[event("k1", 1), event("k2", 2)],
            )
            .await?;
            assert_eq!(first, [true, true], "{backend:?}");

            // The vendor retries k2 with a new k3; k3 also repeats in the batch.
            let retry = insert(
                &store,
                &a.business_id,
                &a.id,
                &[event("k2", 20), event("k3", 3), event("k3", 30)],
            )
            .await?;
            assert_eq!(retry, [false, true, false], "{backend:?}");

            // Dedup keys are per integration: B may use k1.
            let other = insert(&store, &b.business_id, &b.id, &[event("k1", 1)]).await?;
            assert_eq!(other, [true], "{backend:?}");

            let stored = store.list_inbound_events(&a.id, 10).await?;
            let keys: Vec<&str> = stored.iter().map(|e| e.dedup_key.as_str()).collect();
            assert_eq!(keys, ["k3", "k2", "k1"], "{backend:?}");
            // The first delivery wins: the retry's payload is not stored.
            assert_eq!(stored[1].payload, json!({"n": 2, "callid": "k2"}));
            assert_eq!(stored[0].payload["n"], 3);
            assert_eq!(store.list_inbound_events(&a.id, 1).await?.len(), 1);
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_failing_event_leaves_none_of_its_batch() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let a = integration(&store, "A").await?;
            // The empty dedup key is refused by the database after k1 and k2
            // have been written in the same transaction.
            let batch = [event("k1", 1), event("k2", 2), event("", 3)];
            assert!(
                insert(&store, &a.business_id, &a.id, &batch).await.is_err(),
                "{backend:?}"
            );
            assert!(
                store.list_inbound_events(&a.id, 10).await?.is_empty(),
                "{backend:?}"
            );
            // And the same keys are still new afterwards.
            let again = insert(&store, &a.business_id, &a.id, &batch[..2]).await?;
            assert_eq!(again, [true, true], "{backend:?}");
        }
        Ok(())
    }

    #[tokio::test]
    async fn events_cannot_be_filed_under_another_business() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let a = integration(&store, "A").await?;
            let b = integration(&store, "B").await?;
            let crossed = insert(&store, &b.business_id, &a.id, &[event("k1", 1)]).await;
            assert!(
                matches!(crossed, Err(StoreError::NotFound)),
                "{:?}: {crossed:?}",
                store.backend()
            );
            assert!(store.list_inbound_events(&a.id, 10).await?.is_empty());
        }
        Ok(())
    }
}
