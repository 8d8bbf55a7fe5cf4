//! Finishing a master-key rotation: `switchboard secrets reseal`.
//!
//! Every sealed value names the key it was sealed with, so after a rotation
//! (the new key as `master_key`, the old one in `older_master_keys`) old
//! values keep opening. This re-seals each value still under an older key
//! with the current one, after which the older key can be removed:
//! sealed columns and components' sealed `state` values alike. Each
//! update is a compare-and-set on the old envelope, so a value a running
//! server rewrote meanwhile is left as that server wrote it, and looked at
//! again in another pass.

use serde::Serialize;
use sqlx::Row;

use crate::crypto::{SecretBox, aad};
use crate::installations::RECORD_KIND as INTEGRATION_RECORD;
use crate::notify::deliver::{DISCORD_RECORD, WEBHOOK_SECRET_RECORD};
use crate::store::{Store, StoreError};
use crate::store_services::{SEALED_STATE, open_state, seal_state};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Every sealed column: (table, column, the record kind of its AAD).
const SEALED: [(&str, &str, &str); 4] = [
    ("integrations", "secrets", INTEGRATION_RECORD),
    ("discord_webhooks", "url_sealed", DISCORD_RECORD),
    ("webhook_endpoints", "secret_sealed", WEBHOOK_SECRET_RECORD),
    (
        "webhook_endpoints",
        "previous_sealed",
        WEBHOOK_SECRET_RECORD,
    ),
];

/// What a reseal found.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Resealed {
    /// Sealed with an older key, now with the current one.
    pub resealed: u64,
    /// Already under the current key.
    pub current: u64,
    /// Not openable with any configured key (or malformed): the older key
    /// they need must stay configured, or they are lost.
    pub unreadable: u64,
}

/// Where the first sealed value in the database is (`table.column`), if
/// any: a server about to generate a master key checks that nothing was
/// sealed with another one (a database restored or moved without its key).
pub async fn first_sealed(store: &Store) -> Result<Option<String>, StoreError> {
    for (table, column, _) in SEALED {
        // Table and column names are the constants above, never input.
        let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT 1 FROM {table} WHERE {column} IS NOT NULL LIMIT 1"
        )))
        .fetch_optional(store.pool())
        .await?;
        if found.is_some() {
            return Ok(Some(format!("{table}.{column}")));
        }
    }
    let state: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM installation_state WHERE value LIKE 'sealed:1:%' LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?;
    Ok(state.map(|_| "installation_state.value".to_owned()))
}

/// Passes made before giving up on values that keep changing underneath.
const PASSES: usize = 5;

/// Re-seals every value sealed with an older key. A value rewritten between
/// this reading and re-sealing it (by a server, possibly one still sealing
/// with an older key) is not counted as done: the whole pass runs again, so
/// the counts returned are of one pass in which nothing moved.
pub async fn reseal(store: &Store, secrets: &SecretBox) -> Result<Resealed, StoreError> {
    for _ in 0..PASSES {
        let (found, raced) = pass(store, secrets).await?;
        if raced == 0 {
            return Ok(found);
        }
    }
    Err(StoreError::Conflict(
        "sealed values kept changing while being re-sealed: are servers still sealing with an older key? Run again once every server has the new one".into(),
    ))
}

/// One pass over every sealed value; also returns how many were rewritten
/// under it.
async fn pass(store: &Store, secrets: &SecretBox) -> Result<(Resealed, u64), StoreError> {
    let mut found = Resealed::default();
    let mut raced = 0;
    for (table, column, kind) in SEALED {
        // Table and column names are the constants above, never input.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, business_id, {column} AS sealed FROM {table} WHERE {column} IS NOT NULL"
        )))
        .fetch_all(store.pool())
        .await?;
        for row in rows {
            let id: String = row.try_get("id")?;
            let business_id: String = row.try_get("business_id")?;
            let sealed: Vec<u8> = row.try_get("sealed")?;
            match secrets.needs_reseal(&sealed) {
                Ok(false) => {
                    found.current += 1;
                    continue;
                }
                Ok(true) => {}
                Err(e) => {
                    tracing::warn!(%table, %id, error = %e, "sealed value is malformed");
                    found.unreadable += 1;
                    continue;
                }
            }
            let record = aad(&business_id, kind, &id);
            let plain = match secrets.open(&sealed, &record) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(%table, %id, error = %e, "sealed value cannot be opened");
                    found.unreadable += 1;
                    continue;
                }
            };
            let fresh = secrets.seal(&plain, &record);
            let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} = $3"
            )))
            .bind(fresh)
            .bind(&id)
            .bind(&sealed)
            .execute(store.pool())
            .await?;
            if done.rows_affected() == 1 {
                found.resealed += 1;
            } else {
                raced += 1;
            }
        }
    }
    raced += reseal_state(store, secrets, &mut found).await?;
    Ok((found, raced))
}

/// Components' `state` values, sealed as text (`store_services.rs`);
/// returns how many were rewritten under it.
async fn reseal_state(
    store: &Store,
    secrets: &SecretBox,
    found: &mut Resealed,
) -> Result<u64, StoreError> {
    let mut raced = 0;
    let rows = sqlx::query(
        "SELECT integration_id, key, value FROM installation_state WHERE value LIKE 'sealed:1:%'",
    )
    .fetch_all(store.pool())
    .await?;
    for row in rows {
        let installation: String = row.try_get("integration_id")?;
        let key: String = row.try_get("key")?;
        let stored: String = row.try_get("value")?;
        // SQLite's LIKE ignores case: only what this server wrote.
        if !stored.starts_with(SEALED_STATE) {
            continue;
        }
        let under_older = stored
            .strip_prefix(SEALED_STATE)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .map(|sealed| secrets.needs_reseal(&sealed));
        match under_older {
            Some(Ok(false)) => {
                found.current += 1;
                continue;
            }
            Some(Ok(true)) => {}
            _ => {
                tracing::warn!(%installation, %key, "sealed state value is malformed");
                found.unreadable += 1;
                continue;
            }
        }
        let plain = match open_state(secrets, &installation, &key, stored.clone()) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(%installation, %key, error = %e, "sealed state value cannot be opened");
                found.unreadable += 1;
                continue;
            }
        };
        let done = sqlx::query(
            "UPDATE installation_state SET value = $1 \
             WHERE integration_id = $2 AND key = $3 AND value = $4",
        )
        .bind(seal_state(secrets, &installation, &key, &plain))
        .bind(&installation)
        .bind(&key)
        .bind(&stored)
        .execute(store.pool())
        .await?;
        if done.rows_affected() == 1 {
            found.resealed += 1;
        } else {
            raced += 1;
        }
    }
    Ok(raced)
}
