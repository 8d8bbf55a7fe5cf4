//! Outgoing webhook endpoints: a business's URLs subscribed to event types,
//! with a signing secret (sealed; shown to the business once) and, during a
//! rotation, the previous one.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, get_bool, now_ms, one_row};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub id: String,
    #[serde(skip)]
    pub business_id: String,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    #[serde(skip)]
    pub secret_sealed: Vec<u8>,
    #[serde(skip)]
    pub previous_sealed: Option<Vec<u8>>,
    #[serde(skip)]
    pub previous_expires_at: Option<i64>,
    pub is_active: bool,
    pub inactive_reason: Option<String>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
}

impl WebhookEndpoint {
    /// Whether this endpoint wants events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.iter().any(|t| t == "*" || t == event_type)
    }
}

const COLUMNS: &str = "id, business_id, url, description, event_types, secret_sealed, \
     previous_sealed, previous_expires_at, is_active, inactive_reason, failing_since, created_at";

fn endpoint(row: &AnyRow) -> Result<WebhookEndpoint, StoreError> {
    let types: String = row.try_get("event_types")?;
    Ok(WebhookEndpoint {
        id: row.try_get("id")?,
        business_id: row.try_get("business_id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        event_types: types.split_whitespace().map(str::to_owned).collect(),
        secret_sealed: row.try_get("secret_sealed")?,
        previous_sealed: row.try_get("previous_sealed")?,
        previous_expires_at: row.try_get("previous_expires_at")?,
        is_active: get_bool(row, "is_active")?,
        inactive_reason: row.try_get("inactive_reason")?,
        failing_since: row.try_get("failing_since")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The reason an endpoint the business switched off gives.
pub const SWITCHED_OFF: &str = "switched off by the business";

/// A partial change of an endpoint: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub is_active: Option<bool>,
}

impl Store {
    pub async fn create_webhook_endpoint(&self, e: &WebhookEndpoint) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, business_id, url, description, event_types, \
             secret_sealed, is_active, created_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)",
        )
        .bind(&e.id)
        .bind(&e.business_id)
        .bind(&e.url)
        .bind(&e.description)
        .bind(e.event_types.join(" "))
        .bind(&e.secret_sealed)
        .bind(e.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_webhook_endpoints(
        &self,
        business_id: &str,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE business_id = $1 ORDER BY created_at, id"
        )))
        .bind(business_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(endpoint).collect()
    }

    pub async fn get_webhook_endpoint(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<WebhookEndpoint, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE business_id = $1 AND id = $2"
        )))
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        endpoint(&row)
    }

    /// Changes only what `patch` names, in one statement: a PATCH of the
    /// description must not write back an active state read before the
    /// endpoint was switched off (a 410, five days of failures) meanwhile.
    /// Switching it on or off starts a fresh failure window.
    pub async fn patch_webhook_endpoint(
        &self,
        business_id: &str,
        id: &str,
        patch: &EndpointPatch,
    ) -> Result<WebhookEndpoint, StoreError> {
        one_row(
            sqlx::query(
                "UPDATE webhook_endpoints SET url = COALESCE($3, url), \
                 description = COALESCE($4, description), \
                 event_types = COALESCE($5, event_types), \
                 is_active = COALESCE($6, is_active), \
                 inactive_reason = CASE WHEN $6 IS NULL THEN inactive_reason \
                   WHEN $6 THEN NULL ELSE $7 END, \
                 failing_since = CASE WHEN $6 IS NULL THEN failing_since ELSE NULL END \
                 WHERE business_id = $1 AND id = $2",
            )
            .bind(business_id)
            .bind(id)
            .bind(&patch.url)
            .bind(&patch.description)
            .bind(patch.event_types.as_ref().map(|t| t.join(" ")))
            .bind(patch.is_active)
            .bind(SWITCHED_OFF)
            .execute(&self.pool)
            .await?,
        )?;
        self.get_webhook_endpoint(business_id, id).await
    }

    /// Installs a new secret; the old one keeps signing until `previous_until`.
    /// Only over `previous_sealed` (the secret the caller read): of two
    /// rotations at once, the second gets Conflict rather than quietly
    /// replacing a secret the first caller was already shown.
    pub async fn rotate_webhook_secret(
        &self,
        business_id: &str,
        id: &str,
        new_sealed: &[u8],
        previous_sealed: &[u8],
        previous_until: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET secret_sealed = $3, previous_sealed = $4, \
             previous_expires_at = $5 WHERE business_id = $1 AND id = $2 AND secret_sealed = $4",
        )
        .bind(business_id)
        .bind(id)
        .bind(new_sealed)
        .bind(previous_sealed)
        .bind(previous_until)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        // Gone, or rotated by someone else meanwhile.
        self.get_webhook_endpoint(business_id, id).await?;
        Err(StoreError::Conflict(
            "the secret was rotated meanwhile".into(),
        ))
    }

    pub async fn delete_webhook_endpoint(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        one_row(
            sqlx::query("DELETE FROM webhook_endpoints WHERE business_id = $1 AND id = $2")
                .bind(business_id)
                .bind(id)
                .execute(&self.pool)
                .await?,
        )
    }

    /// The receiver said it no longer takes webhooks (410): switched off at
    /// once, with why. NotFound when it is not the business's (or gone).
    pub async fn switch_off_webhook_endpoint(
        &self,
        business_id: &str,
        id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        one_row(
            sqlx::query(
                "UPDATE webhook_endpoints SET is_active = FALSE, inactive_reason = $3 \
                 WHERE business_id = $1 AND id = $2",
            )
            .bind(business_id)
            .bind(id)
            .bind(reason)
            .execute(&self.pool)
            .await?,
        )
    }

    /// After a delivery: a success clears the failure run; a failure starts
    /// one, and a run longer than `disable_after_ms` switches the endpoint
    /// off. Returns true when this call disabled it.
    pub async fn note_webhook_result(
        &self,
        business_id: &str,
        id: &str,
        success: bool,
        disable_after_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        if success {
            sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE business_id = $1 AND id = $2")
                .bind(business_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $3) \
             WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let disabled = sqlx::query(
            "UPDATE webhook_endpoints SET is_active = FALSE, \
             inactive_reason = 'failing for longer than the disable window' \
             WHERE business_id = $1 AND id = $2 AND is_active = TRUE AND failing_since <= $3",
        )
        .bind(business_id)
        .bind(id)
        .bind(now - disable_after_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(disabled > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::test_stores;

    /// Endpoint `e1` of `business`, active, signing with secret `first`.
    fn endpoint(business: &str, description: Option<&str>) -> WebhookEndpoint {
        WebhookEndpoint {
            id: "e1".into(),
            business_id: business.to_owned(),
            url: "https://example.com/hook".into(),
            description: description.map(str::to_owned),
            event_types: vec!["*".into()],
            secret_sealed: b"first".to_vec(),
            previous_sealed: None,
            previous_expires_at: None,
            is_active: true,
            inactive_reason: None,
            failing_since: None,
            created_at: now_ms(),
        }
    }

    #[tokio::test]
    async fn of_two_rotations_from_one_secret_the_second_conflicts() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let b = store.create_business("A").await?;
            let endpoint = endpoint(&b.id, None);
            store.create_webhook_endpoint(&endpoint).await?;
            // Both requests read "first"; one rotation wins.
            store
                .rotate_webhook_secret(&b.id, "e1", b"second", b"first", 1)
                .await?;
            let lost = store
                .rotate_webhook_secret(&b.id, "e1", b"third", b"first", 1)
                .await;
            assert!(matches!(lost, Err(StoreError::Conflict(_))), "{backend:?}");
            let now = store.get_webhook_endpoint(&b.id, "e1").await?;
            assert_eq!(
                (now.secret_sealed, now.previous_sealed),
                (b"second".to_vec(), Some(b"first".to_vec()))
            );
            assert!(matches!(
                store
                    .rotate_webhook_secret(&b.id, "missing", b"x", b"second", 1)
                    .await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_patch_changes_only_what_it_names() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let b = store.create_business("A").await?;
            let endpoint = endpoint(&b.id, Some("CRM"));
            store.create_webhook_endpoint(&endpoint).await?;
            // Switched off by a 410 after the PATCH's caller last read it.
            store
                .switch_off_webhook_endpoint(&b.id, "e1", "receiver answered 410 Gone")
                .await?;
            let patch = EndpointPatch {
                description: Some("CRM (prod)".into()),
                ..EndpointPatch::default()
            };
            let after = store.patch_webhook_endpoint(&b.id, "e1", &patch).await?;
            assert_eq!(
                after.description.as_deref(),
                Some("CRM (prod)"),
                "{backend:?}"
            );
            assert!(!after.is_active, "the 410 stands: {backend:?}");
            assert_eq!(
                after.inactive_reason.as_deref(),
                Some("receiver answered 410 Gone"),
                "{backend:?}"
            );
            assert_eq!(after.url, endpoint.url, "{backend:?}");

            // Switching on clears the reason; off gives the business's.
            let on = EndpointPatch {
                is_active: Some(true),
                ..EndpointPatch::default()
            };
            let after = store.patch_webhook_endpoint(&b.id, "e1", &on).await?;
            assert!(
                after.is_active && after.inactive_reason.is_none(),
                "{backend:?}"
            );
            let off = EndpointPatch {
                is_active: Some(false),
                event_types: Some(vec!["call.ended".into()]),
                ..EndpointPatch::default()
            };
            let after = store.patch_webhook_endpoint(&b.id, "e1", &off).await?;
            assert_eq!(
                after.inactive_reason.as_deref(),
                Some(SWITCHED_OFF),
                "{backend:?}"
            );
            assert_eq!(
                after.event_types,
                vec!["call.ended".to_owned()],
                "{backend:?}"
            );
            assert!(matches!(
                store.patch_webhook_endpoint(&b.id, "nope", &off).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }
}
