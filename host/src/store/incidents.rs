//! Component incidents: every time the sandbox stops a component at a limit
//! (memory, cpu, egress denied, ...), so a tenant can see why a connector
//! misbehaved. An audit log: rows are only ever added.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, new_id, now_ms};

/// What the runtime reports.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NewIncident {
    pub business_id: String,
    pub integration_id: Option<String>,
    pub component: String,
    pub component_version: String,
    /// The limit or rule that was hit, e.g. `memory`, `cpu`, `egress-denied`.
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: String,
    pub business_id: String,
    /// Kept after the integration is deleted, so it may name one that is gone.
    pub integration_id: Option<String>,
    pub component: String,
    pub component_version: String,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
}

impl Incident {
    fn from_row(row: &AnyRow) -> Result<Incident, StoreError> {
        Ok(Incident {
            id: row.try_get("id")?,
            business_id: row.try_get("business_id")?,
            integration_id: row.try_get("integration_id")?,
            component: row.try_get("component")?,
            component_version: row.try_get("component_version")?,
            kind: row.try_get("kind")?,
            message: row.try_get("message")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Store {
    pub async fn record_incident(&self, new: NewIncident) -> Result<Incident, StoreError> {
        let incident = Incident {
            id: new_id(),
            business_id: new.business_id,
            integration_id: new.integration_id,
            component: new.component,
            component_version: new.component_version,
            kind: new.kind,
            message: new.message,
            created_at: now_ms(),
        };
        sqlx::query(
            "INSERT INTO component_incidents (id, business_id, integration_id, component, \
             component_version, kind, message, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&incident.id)
        .bind(&incident.business_id)
        .bind(&incident.integration_id)
        .bind(&incident.component)
        .bind(&incident.component_version)
        .bind(&incident.kind)
        .bind(&incident.message)
        .bind(incident.created_at)
        .execute(&self.pool)
        .await?;
        Ok(incident)
    }

    /// The business's most recent incidents, newest first.
    pub async fn list_incidents(
        &self,
        business_id: &str,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, business_id, integration_id, component, component_version, kind, \
             message, created_at FROM component_incidents WHERE business_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(business_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Incident::from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::NewIntegration;
    use super::super::testing::test_stores;
    use super::*;

    fn incident(business_id: &str, integration_id: Option<&str>, kind: &str) -> NewIncident {
        NewIncident {
            business_id: business_id.to_owned(),
            integration_id: integration_id.map(str::to_owned),
            component: "threecx-webhooks".into(),
            component_version: "0.1.0".into(),
            kind: kind.into(),
            message: format!("{kind} limit exceeded"),
        }
    }

    #[tokio::test]
    async fn incidents_list_newest_first_per_business_and_outlive_integrations()
    -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let acme = store.create_business("Acme").await?;
            let globex = store.create_business("Globex").await?;
            let integration = store
                .create_integration(NewIntegration {
                    business_id: acme.id.clone(),
                    kind: "dtac".into(),
                    name: "DTAC".into(),
                    config: json!({}),
                    secrets: None,
                })
                .await?;

            for kind in ["memory", "cpu", "egress-denied"] {
                store
                    .record_incident(incident(&acme.id, Some(&integration.id), kind))
                    .await?;
            }
            store
                .record_incident(incident(&globex.id, None, "memory"))
                .await?;

            let kinds: Vec<String> = store
                .list_incidents(&acme.id, 10)
                .await?
                .into_iter()
                .map(|i| i.kind)
                .collect();
            assert_eq!(kinds, ["egress-denied", "cpu", "memory"], "{backend:?}");
            assert_eq!(store.list_incidents(&acme.id, 2).await?.len(), 2);
            assert_eq!(store.list_incidents(&globex.id, 10).await?.len(), 1);

            store.delete_integration(&acme.id, &integration.id).await?;
            let kept = store.list_incidents(&acme.id, 10).await?;
            assert_eq!(kept.len(), 3, "{backend:?}");
            assert_eq!(
                kept[0].integration_id.as_deref(),
                Some(integration.id.as_str())
            );

            assert!(matches!(
                store.record_incident(incident("ghost", None, "cpu")).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }
}
