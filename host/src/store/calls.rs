//! Calls: one row per vendor call chain, the projection of its events, with
//! the recording links attached to it (rows in `recordings.rs`). Written by
//! the batch writes of `calls_many.rs`, for ingest and for pulled
//! recordings; read by the calls API.

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{InboundEvent, Store, StoreError, parse_json};

/// What the fold makes of a call's events: everything in a `calls` row that
/// is not identity or bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallProjection {
    pub status: String,
    pub outcome: Option<String>,
    pub direction: String,
    pub customer_phone: Option<String>,
    pub extension: Option<String>,
    pub did: Option<String>,
    pub started_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub duration_sec: Option<i64>,
    pub talk_sec: Option<i64>,
    pub hangup_cause: Option<String>,
    pub transcript: Option<String>,
    pub summary: Option<String>,
    pub legs: Value,
    pub attributes: Value,
    /// `(url, mime type)`, in the order the fold settled on.
    #[serde(skip)]
    pub recordings: Vec<(String, Option<String>)>,
}

/// A stored call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub id: String,
    #[serde(skip)]
    pub business_id: String,
    pub integration_id: String,
    /// The vendor's id of the call chain.
    pub external_id: String,
    #[serde(flatten)]
    pub projection: CallProjection,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    pub sort_at: i64,
}

/// Filters of `GET /calls`; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub phone: Option<String>,
    pub extension: Option<String>,
    pub direction: Option<String>,
    pub status: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub integration_id: Option<String>,
}

/// Where a page of calls continues: after this `(sort_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCursor {
    pub sort_at: i64,
    pub id: String,
}

macro_rules! call_columns {
    () => {
        "id, business_id, integration_id, chain_id, status, outcome, direction, customer_phone, \
         extension, did, started_at, answered_at, ended_at, duration_sec, talk_sec, hangup_cause, \
         transcript, summary, legs_json, attributes_json, sort_at, created_at, updated_at"
    };
}

impl Call {
    fn from_row(row: &AnyRow) -> Result<Call, StoreError> {
        let legs: String = row.try_get("legs_json")?;
        let attributes: String = row.try_get("attributes_json")?;
        Ok(Call {
            id: row.try_get("id")?,
            business_id: row.try_get("business_id")?,
            integration_id: row.try_get("integration_id")?,
            external_id: row.try_get("chain_id")?,
            projection: CallProjection {
                status: row.try_get("status")?,
                outcome: row.try_get("outcome")?,
                direction: row.try_get("direction")?,
                customer_phone: row.try_get("customer_phone")?,
                extension: row.try_get("extension")?,
                did: row.try_get("did")?,
                started_at: row.try_get("started_at")?,
                answered_at: row.try_get("answered_at")?,
                ended_at: row.try_get("ended_at")?,
                duration_sec: row.try_get("duration_sec")?,
                talk_sec: row.try_get("talk_sec")?,
                hangup_cause: row.try_get("hangup_cause")?,
                transcript: row.try_get("transcript")?,
                summary: row.try_get("summary")?,
                legs: parse_json(&legs, "calls.legs_json")?,
                attributes: parse_json(&attributes, "calls.attributes_json")?,
                recordings: Vec::new(),
            },
            sort_at: row.try_get("sort_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A recording source may have made a call for a chain before the vendor's
/// Moving a placeholder's rows (`$1` the new call, `$2` the old) and
/// deleting it; shared with the SQLite ingest writer, which binds by
/// position, so each parameter first appears in numeric order.
///
/// Everything that names the placeholder moves, so its pending analysis and
/// the record of which automations fired for it carry over (an analysis
/// job left behind would find its call gone; a firing left behind would
/// let the automation fire again for the new call). The new call is fresh,
/// so none of these can collide with its own rows.
pub(super) const MOVE_TO_CALL: [&str; 5] = [
    "UPDATE inbound_events SET call_id = $1 WHERE call_id = $2",
    "UPDATE recordings SET call_id = $1 WHERE call_id = $2",
    "UPDATE call_analyses SET call_id = $1 WHERE call_id = $2",
    "UPDATE analysis_jobs SET call_id = $1 WHERE call_id = $2",
    "UPDATE automation_runs SET call_id = $1 WHERE call_id = $2",
];
pub(super) const DELETE_CALL: &str = "DELETE FROM calls WHERE id = $1";

/// webhook arrived (a pulled recording that named its call). The webhook's
/// integration owns the call from then on: this moves the placeholder call
/// `old`'s events and recordings to `new_call` and deletes it (the caller
/// re-folds `new_call`).
pub(super) async fn move_placeholder(
    conn: &mut AnyConnection,
    old: &str,
    new_call: &str,
) -> Result<(), StoreError> {
    for statement in MOVE_TO_CALL {
        sqlx::query(statement)
            .bind(new_call)
            .bind(old)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(DELETE_CALL)
        .bind(old)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// One call of `business_id`; another business's call is NotFound.
    pub async fn get_call(&self, business_id: &str, id: &str) -> Result<Call, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE business_id = $1 AND id = $2"
        ))
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Call::from_row(&row)
    }

    /// A page of calls, newest first, after `cursor`.
    pub async fn list_calls(
        &self,
        business_id: &str,
        filter: &CallFilter,
        cursor: Option<&CallCursor>,
        limit: u32,
    ) -> Result<Vec<Call>, StoreError> {
        // Absent filters bind NULL and match everything, so the statement is
        // one fixed text for both backends.
        let rows = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE business_id = $1 \
             AND ($2 IS NULL OR customer_phone = $2) \
             AND ($3 IS NULL OR extension = $3) \
             AND ($4 IS NULL OR direction = $4) \
             AND ($5 IS NULL OR status = $5) \
             AND ($6 IS NULL OR sort_at >= $6) \
             AND ($7 IS NULL OR sort_at < $7) \
             AND ($8 IS NULL OR integration_id = $8) \
             AND ($9 IS NULL OR sort_at < $9 OR (sort_at = $9 AND id < $10)) \
             ORDER BY sort_at DESC, id DESC LIMIT $11"
        ))
        .bind(business_id)
        .bind(&filter.phone)
        .bind(&filter.extension)
        .bind(&filter.direction)
        .bind(&filter.status)
        .bind(filter.from)
        .bind(filter.to)
        .bind(&filter.integration_id)
        .bind(cursor.map(|c| c.sort_at))
        .bind(cursor.map(|c| c.id.clone()).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Call::from_row).collect()
    }

    /// Our id of the call an integration's vendor knows as `chain_id`, if
    /// any of its events reached us.
    pub async fn call_id_of_chain(
        &self,
        business_id: &str,
        integration_id: &str,
        chain_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM calls WHERE business_id = $1 AND integration_id = $2 AND chain_id = $3",
        )
        .bind(business_id)
        .bind(integration_id)
        .bind(chain_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The call's events in the order they were received.
    pub async fn call_events(
        &self,
        business_id: &str,
        call_id: &str,
    ) -> Result<Vec<InboundEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, business_id, integration_id, dedup_key, kind, payload_json, received_at \
             FROM inbound_events WHERE business_id = $1 AND call_id = $2 \
             ORDER BY received_at, id",
        )
        .bind(business_id)
        .bind(call_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(InboundEvent::from_row).collect()
    }
}
