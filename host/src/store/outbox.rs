//! The delivery outbox: every notification is stored before it is
//! acknowledged and changes state only together with a recorded attempt.
//!
//! `pending` → a worker *claims* it (`sending`, with a lease, so two workers
//! never send one notification at once and a crashed worker's claim runs
//! out) → `delivered`, `failed` (permanent), or back to `pending` with the
//! time of the next attempt. A notification sent at once by the request that
//! makes it (`/notifications/send`) is stored already `sending`, claimed by
//! that request.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::multirow::{self, Insert, Style, rows_per_statement};
use super::{Store, StoreError, new_id, now_ms, one_row, parse_json};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: String,
    #[serde(skip)]
    pub business_id: String,
    pub channel: String,
    pub destination_id: Option<String>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub severity: String,
    pub attributes: Value,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub external_id: Option<String>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    /// Until when the worker that claimed it holds it (`sending` only).
    #[serde(skip)]
    pub lease_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub business_id: String,
    pub channel: String,
    pub destination_id: Option<String>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub severity: String,
    pub attributes: Value,
}

/// One delivery attempt's result, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    Delivered {
        external_id: Option<String>,
    },
    /// Try again at `next_at` (ms since the epoch).
    Retry {
        next_at: i64,
        code: String,
        detail: String,
    },
    /// Not tried in this batch: its destination already had its share of
    /// the batch's sends. Back to pending at `next_at`; neither counted as
    /// an attempt nor logged (a backlog to one destination would otherwise
    /// log a line per waiting notification per batch).
    Deferred {
        next_at: i64,
    },
    /// Not sent because the destination's rate limit says wait: not counted
    /// as an attempt of the channel, only logged.
    RateLimited {
        next_at: i64,
    },
    Failed {
        code: String,
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub attempt: i64,
    pub outcome: String,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub latency_ms: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, business_id, channel, destination_id, title, body, link, severity, \
     attributes_json, status, attempts, next_attempt_at, last_error, external_id, delivered_at, \
     created_at, lease_until";

fn notification(row: &AnyRow) -> Result<Notification, StoreError> {
    let attributes: String = row.try_get("attributes_json")?;
    Ok(Notification {
        id: row.try_get("id")?,
        business_id: row.try_get("business_id")?,
        channel: row.try_get("channel")?,
        destination_id: row.try_get("destination_id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        severity: row.try_get("severity")?,
        attributes: parse_json(&attributes, "notifications.attributes_json")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        external_id: row.try_get("external_id")?,
        delivered_at: row.try_get("delivered_at")?,
        created_at: row.try_get("created_at")?,
        lease_until: row.try_get("lease_until")?,
    })
}

impl Store {
    /// Stores a pending notification, due now.
    pub async fn enqueue_notification(
        &self,
        n: NewNotification,
    ) -> Result<Notification, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_notification(&mut conn, &n, None).await
    }

    /// Stores a notification already claimed (`sending`, leased for
    /// `lease_ms`) by the caller, who sends it now: the outbox worker
    /// cannot take it first, so the caller's answer is the attempt's own
    /// result. If the caller dies before recording it, the lease runs out
    /// and the worker sends it then.
    ///
    /// With `idempotency_key`, a notification of the business already
    /// stored under that key is `Conflict` (see
    /// [`Store::notification_by_idempotency_key`]).
    pub async fn enqueue_claimed_notification(
        &self,
        n: NewNotification,
        lease_ms: i64,
        idempotency_key: Option<&str>,
    ) -> Result<Notification, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_row(&mut conn, &n, None, Some(lease_ms), idempotency_key).await
    }

    /// The business's notification sent with `Idempotency-Key: key`.
    pub async fn notification_by_idempotency_key(
        &self,
        business_id: &str,
        key: &str,
    ) -> Result<Option<Notification>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE business_id = $1 AND idempotency_key = $2"
        )))
        .bind(business_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(notification).transpose()
    }

    /// Stores several pending notifications in one transaction (a fan-out
    /// to many destinations, a backlog import).
    pub async fn enqueue_notifications(
        &self,
        batch: &[NewNotification],
    ) -> Result<Vec<Notification>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let stored = insert_notifications(&mut tx, batch).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn get_notification(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Notification, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE business_id = $1 AND id = $2"
        )))
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        notification(&row)
    }

    /// Claims one notification for sending now, if it is pending (or its
    /// previous claim's lease ran out). False when someone else has it.
    pub async fn claim_notification(&self, id: &str, lease_ms: i64) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE notifications SET status = 'sending', lease_until = $2 WHERE id = $1 \
             AND (status = 'pending' OR (status = 'sending' AND lease_until < $3))",
        )
        .bind(id)
        .bind(now + lease_ms)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims up to `limit` due notifications, oldest first, in one
    /// statement: the outer condition is checked again on each row as it is
    /// updated, so two workers never claim the same one.
    pub async fn claim_due_notifications(
        &self,
        limit: u32,
        lease_ms: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let now = now_ms();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE notifications SET status = 'sending', lease_until = $2 WHERE id IN \
             (SELECT id FROM notifications WHERE \
              ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)) \
              ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
             AND ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)) \
             RETURNING {COLUMNS}",
            skip_locked = self.skip_locked()
        )))
        .bind(now)
        .bind(now + lease_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = rows
            .iter()
            .map(notification)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
        Ok(claimed)
    }

    /// Records an attempt and moves the notification on, in one transaction.
    pub async fn record_attempt(
        &self,
        id: &str,
        result: &AttemptResult,
        latency_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let one = [(id.to_owned(), result.clone(), latency_ms)];
        if record_attempts_in(&mut tx, &one, None).await? == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a batch of attempts `(notification id, result, latency ms)`
    /// in one transaction: the outbox worker's write per batch.
    ///
    /// With `held_until`, only notifications still claimed under that lease
    /// are recorded: one whose lease ran out and that another claim took
    /// is that claim's to record (it sends it again: at least once).
    pub async fn record_attempts(
        &self,
        attempts: &[(String, AttemptResult, i64)],
        held_until: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        record_attempts_in(&mut tx, attempts, held_until).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Extends the lease on those of `ids` still held under `held_until`
    /// to `lease_ms` from now. Returns the new lease and the ids still held
    /// (a worker renews while it sends a batch, so a long batch keeps its
    /// claim and a batch claimed early is not taken back before its turn).
    pub async fn renew_leases(
        &self,
        ids: &[String],
        held_until: i64,
        lease_ms: i64,
    ) -> Result<(i64, HashSet<String>), StoreError> {
        let until = now_ms() + lease_ms;
        let mut held = HashSet::with_capacity(ids.len());
        let mut conn = self.pool.acquire().await?;
        let style = Style::of(&conn);
        for chunk in ids.chunks(rows_per_statement(1)) {
            let sql = format!(
                "UPDATE notifications SET lease_until = {} WHERE status = 'sending' \
                 AND lease_until = {} AND id IN ({}) RETURNING id",
                multirow::list(style, 1, 1),
                multirow::list(style, 2, 1),
                multirow::list(style, 3, chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(until)
                .bind(held_until);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for row in query.fetch_all(&mut *conn).await? {
                held.insert(row.try_get("id")?);
            }
        }
        Ok((until, held))
    }

    /// Puts a failed notification back in the queue (replay).
    pub async fn replay_notification(&self, business_id: &str, id: &str) -> Result<(), StoreError> {
        one_row(
            sqlx::query(
                // A fresh set of attempts: kept, the count would fail the
                // first transient error again at once. The log keeps the
                // earlier ones (numbered from 1 again after a replay).
                "UPDATE notifications SET status = 'pending', next_attempt_at = $3, \
                 lease_until = NULL, attempts = 0 \
                 WHERE business_id = $1 AND id = $2 AND status = 'failed'",
            )
            .bind(business_id)
            .bind(id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?,
        )
    }

    pub async fn list_attempts(&self, notification_id: &str) -> Result<Vec<Attempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT attempt, outcome, code, detail, latency_ms, created_at FROM delivery_attempts \
             WHERE notification_id = $1 ORDER BY created_at, id",
        )
        .bind(notification_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attempt {
                    attempt: r.try_get("attempt")?,
                    outcome: r.try_get("outcome")?,
                    code: r.try_get("code")?,
                    detail: r.try_get("detail")?,
                    latency_ms: r.try_get("latency_ms")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Sends `id`'s next attempts to `destination_id` (a Telegram chat that
    /// moved to a row of its own; see `Store::migrate_telegram_chat`).
    pub async fn retarget_notification(
        &self,
        id: &str,
        destination_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE notifications SET destination_id = $2 WHERE id = $1")
            .bind(id)
            .bind(destination_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A business's notifications, newest first, as `filter` narrows them,
    /// after `cursor` (the last row's `created_at` and id).
    pub async fn list_notifications(
        &self,
        business_id: &str,
        filter: &NotificationFilter,
        cursor: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let (after_at, after_id) = match cursor {
            Some((at, id)) => (Some(at), id),
            None => (None, String::new()),
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE business_id = $1 \
             AND ($2 IS NULL OR status = $2) \
             AND ($3 IS NULL OR channel = $3) \
             AND ($4 IS NULL OR destination_id = $4) \
             AND ($5 IS NULL OR created_at >= $5) \
             AND ($6 IS NULL OR created_at < $6) \
             AND ($7 IS NULL OR created_at < $7 OR (created_at = $7 AND id < $8)) \
             ORDER BY created_at DESC, id DESC LIMIT $9"
        )))
        .bind(business_id)
        .bind(&filter.status)
        .bind(&filter.channel)
        .bind(&filter.destination_id)
        .bind(filter.from)
        .bind(filter.to)
        .bind(after_at)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification).collect()
    }
}

/// What `GET /notifications` narrows the list to; `None` is no condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub destination_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Queues `batch` on `conn` (inside the caller's transaction when it has
/// one) in as few statements as the batch allows.
/// A queued notification (status and attempt count are the same for every
/// new row): bound id, business, channel, destination, title, body, link,
/// severity, attributes, and the time twice (next attempt, created).
pub(super) const NEW_NOTIFICATION: Insert = Insert {
    head: "INSERT INTO notifications (id, business_id, channel, destination_id, title, body, \
           link, severity, attributes_json, status, attempts, next_attempt_at, created_at) \
           VALUES ",
    literals: &[(9, "'pending'"), (10, "0")],
    tail: "",
};

pub(super) async fn insert_notifications(
    conn: &mut sqlx::AnyConnection,
    batch: &[NewNotification],
) -> Result<Vec<Notification>, StoreError> {
    let style = Style::of(conn);
    let now = now_ms();
    let mut stored = Vec::with_capacity(batch.len());
    for chunk in batch.chunks(NEW_NOTIFICATION.rows_per_statement()) {
        let sql = NEW_NOTIFICATION.sql(style, chunk.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for n in chunk {
            let id = new_id();
            query = query
                .bind(id.clone())
                .bind(n.business_id.clone())
                .bind(n.channel.clone())
                .bind(n.destination_id.clone())
                .bind(n.title.clone())
                .bind(n.body.clone())
                .bind(n.link.clone())
                .bind(n.severity.clone())
                .bind(n.attributes.to_string())
                .bind(now)
                .bind(now);
            stored.push(pending(id, n.clone(), now));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(stored)
}

/// Queues `n` on `conn` (inside the caller's transaction when it has one),
/// credited to `automation_id` for its delivery statistics.
pub(super) async fn insert_notification(
    conn: &mut sqlx::AnyConnection,
    n: &NewNotification,
    automation_id: Option<&str>,
) -> Result<Notification, StoreError> {
    insert_row(conn, n, automation_id, None, None).await
}

/// Inserts `n` due now: `pending`, or with `claim_ms` already claimed
/// (`sending`, leased that long).
async fn insert_row(
    conn: &mut sqlx::AnyConnection,
    n: &NewNotification,
    automation_id: Option<&str>,
    claim_ms: Option<i64>,
    idempotency_key: Option<&str>,
) -> Result<Notification, StoreError> {
    let id = new_id();
    let now = now_ms();
    let lease_until = claim_ms.map(|ms| now + ms);
    let status = if lease_until.is_some() {
        "sending"
    } else {
        "pending"
    };
    sqlx::query(
        "INSERT INTO notifications (id, business_id, channel, destination_id, title, body, link, \
         severity, attributes_json, status, attempts, next_attempt_at, created_at, automation_id, \
         lease_until, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $12, 0, $10, $10, $11, $13, $14)",
    )
    .bind(&id)
    .bind(&n.business_id)
    .bind(&n.channel)
    .bind(&n.destination_id)
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(&n.severity)
    .bind(n.attributes.to_string())
    .bind(now)
    .bind(automation_id)
    .bind(status)
    .bind(lease_until)
    .bind(idempotency_key)
    .execute(&mut *conn)
    .await?;
    Ok(Notification {
        status: status.into(),
        lease_until,
        ..pending(id, n.clone(), now)
    })
}

/// The row just stored for `n`.
fn pending(id: String, n: NewNotification, now: i64) -> Notification {
    Notification {
        id,
        business_id: n.business_id,
        channel: n.channel,
        destination_id: n.destination_id,
        title: n.title,
        body: n.body,
        link: n.link,
        severity: n.severity,
        attributes: n.attributes,
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        external_id: None,
        delivered_at: None,
        created_at: now,
        lease_until: None,
    }
}

/// A batch of attempts' bookkeeping inside the caller's transaction, in a
/// fixed number of statements for the common case (see `multirow.rs`): one
/// read of the attempt counts, one insert into the attempt log, one update
/// for every plain delivery. Results that change more than the status (a
/// retry's time, a failure's error, a delivery's external id) are rarer and
/// written a row at a time. Returns how many were recorded: a notification
/// that no longer exists (its business deleted meanwhile) is skipped.
async fn record_attempts_in(
    tx: &mut sqlx::AnyConnection,
    attempts: &[(String, AttemptResult, i64)],
    held_until: Option<i64>,
) -> Result<usize, StoreError> {
    let style = Style::of(tx);
    let now = now_ms();
    let mut counts: HashMap<String, i64> = HashMap::with_capacity(attempts.len());
    for chunk in attempts.chunks(rows_per_statement(1)) {
        // Held: still claimed under the caller's lease (see `record_attempts`).
        let held = match held_until {
            Some(_) => format!(
                " AND status = 'sending' AND lease_until = {}",
                multirow::list(style, chunk.len() + 1, 1)
            ),
            None => String::new(),
        };
        let sql = format!(
            "SELECT id, attempts FROM notifications WHERE id IN ({}){held}",
            multirow::list(style, 1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (id, _, _) in chunk {
            query = query.bind(id);
        }
        if let Some(until) = held_until {
            query = query.bind(until);
        }
        for row in query.fetch_all(&mut *tx).await? {
            counts.insert(row.try_get("id")?, row.try_get("attempts")?);
        }
    }
    let recorded: Vec<Recorded<'_>> = attempts
        .iter()
        .filter_map(|(id, result, latency_ms)| {
            let before = *counts.get(id)?;
            let counted = !matches!(
                result,
                AttemptResult::RateLimited { .. } | AttemptResult::Deferred { .. }
            );
            Some(Recorded {
                id,
                result,
                latency_ms: *latency_ms,
                attempt: if counted { before + 1 } else { before },
            })
        })
        .collect();

    const LOG_COLUMNS: usize = 8;
    let logged: Vec<&Recorded<'_>> = recorded
        .iter()
        .filter(|r| !matches!(r.result, AttemptResult::Deferred { .. }))
        .collect();
    for chunk in logged.chunks(rows_per_statement(LOG_COLUMNS)) {
        let sql = format!(
            "INSERT INTO delivery_attempts (id, notification_id, attempt, outcome, code, detail, \
             latency_ms, created_at) VALUES {}",
            multirow::values(style, 1, chunk.len(), LOG_COLUMNS, &[])
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for r in chunk {
            let (outcome, code, detail) = r.log_fields();
            query = query
                .bind(new_id())
                .bind(r.id)
                .bind(r.attempt)
                .bind(outcome)
                .bind(code)
                .bind(detail.map(|d| d.chars().take(500).collect::<String>()))
                .bind(r.latency_ms)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }

    // Plain deliveries: the attempt count moves by one, as read above.
    let plain: Vec<&str> = recorded
        .iter()
        .filter(|r| matches!(r.result, AttemptResult::Delivered { external_id: None }))
        .map(|r| r.id)
        .collect();
    for chunk in plain.chunks(rows_per_statement(1)) {
        let sql = format!(
            "UPDATE notifications SET status = 'delivered', attempts = attempts + 1, \
             external_id = NULL, delivered_at = {}, lease_until = NULL, last_error = NULL \
             WHERE id IN ({})",
            multirow::list(style, 1, 1),
            multirow::list(style, 2, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(now);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *tx).await?;
    }
    for r in &recorded {
        if !matches!(r.result, AttemptResult::Delivered { external_id: None }) {
            apply_result(tx, r, now).await?;
        }
    }
    Ok(recorded.len())
}

/// One attempt about to be recorded, with its number.
struct Recorded<'a> {
    id: &'a str,
    result: &'a AttemptResult,
    latency_ms: i64,
    attempt: i64,
}

impl Recorded<'_> {
    /// `(outcome, code, detail)` as the attempt log keeps them.
    fn log_fields(&self) -> (&'static str, Option<&str>, Option<&str>) {
        match self.result {
            AttemptResult::Delivered { .. } => ("delivered", None, None),
            AttemptResult::Retry { code, detail, .. } => {
                ("retry", Some(code.as_str()), Some(detail.as_str()))
            }
            AttemptResult::RateLimited { .. } => ("rate_limited", None, None),
            AttemptResult::Deferred { .. } => ("deferred", None, None),
            AttemptResult::Failed { code, detail } => {
                ("failed", Some(code.as_str()), Some(detail.as_str()))
            }
        }
    }
}

/// Moves one notification on after its attempt, a row at a time.
async fn apply_result(
    tx: &mut sqlx::AnyConnection,
    r: &Recorded<'_>,
    now: i64,
) -> Result<(), StoreError> {
    let (id, attempt) = (r.id, r.attempt);
    match r.result {
        AttemptResult::Delivered { external_id } => {
            sqlx::query(
                "UPDATE notifications SET status = 'delivered', attempts = $2, external_id = $3, \
                 delivered_at = $4, lease_until = NULL, last_error = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(attempt)
            .bind(external_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        AttemptResult::Retry {
            next_at,
            code,
            detail,
        } => {
            sqlx::query(
                "UPDATE notifications SET status = 'pending', attempts = $2, next_attempt_at = $3, \
                 lease_until = NULL, last_error = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(attempt)
            .bind(next_at)
            .bind(format!("{code}: {detail}"))
            .execute(&mut *tx)
            .await?;
        }
        AttemptResult::RateLimited { next_at } | AttemptResult::Deferred { next_at } => {
            sqlx::query(
                "UPDATE notifications SET status = 'pending', next_attempt_at = $2, \
                 lease_until = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(next_at)
            .execute(&mut *tx)
            .await?;
        }
        AttemptResult::Failed { code, detail } => {
            sqlx::query(
                "UPDATE notifications SET status = 'failed', attempts = $2, lease_until = NULL, \
                 last_error = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(attempt)
            .bind(format!("{code}: {detail}"))
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::test_stores;
    use super::*;

    fn new(business: &str) -> NewNotification {
        NewNotification {
            business_id: business.into(),
            channel: "discord".into(),
            destination_id: Some("d1".into()),
            title: "t".into(),
            body: "b".into(),
            link: None,
            severity: "info".into(),
            attributes: json!({}),
        }
    }

    #[tokio::test]
    async fn a_batch_is_recorded_only_under_the_lease_it_holds() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let b = store.create_business("A").await?;
            store
                .enqueue_notifications(&[new(&b.id), new(&b.id), new(&b.id)])
                .await?;
            let batch = store.claim_due_notifications(10, 60_000).await?;
            assert_eq!(batch.len(), 3, "{backend:?}");
            let claimed = batch[0].lease_until.expect("a claimed row has a lease");
            assert!(batch.iter().all(|n| n.lease_until == Some(claimed)));
            let ids: Vec<String> = batch.iter().map(|n| n.id.clone()).collect();

            // Renewing under a lease we do not hold renews nothing.
            let (_, none) = store.renew_leases(&ids, claimed - 1, 60_000).await?;
            assert!(none.is_empty(), "{backend:?}");
            // Under ours it renews every row.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            let (renewed, held) = store.renew_leases(&ids, claimed, 60_000).await?;
            assert_eq!(held.len(), 3, "{backend:?}");
            assert!(renewed > claimed);

            // A record under the stale lease is someone else's to make.
            let delivered: Vec<_> = ids
                .iter()
                .map(|id| {
                    (
                        id.clone(),
                        AttemptResult::Delivered { external_id: None },
                        3,
                    )
                })
                .collect();
            store.record_attempts(&delivered, Some(claimed)).await?;
            for id in &ids {
                let n = store.get_notification(&b.id, id).await?;
                assert_eq!(
                    (n.status.as_str(), n.attempts),
                    ("sending", 0),
                    "{backend:?}"
                );
                assert!(store.list_attempts(id).await?.is_empty());
            }
            store.record_attempts(&delivered, Some(renewed)).await?;
            for id in &ids {
                let n = store.get_notification(&b.id, id).await?;
                assert_eq!(
                    (n.status.as_str(), n.attempts),
                    ("delivered", 1),
                    "{backend:?}"
                );
                assert_eq!(store.list_attempts(id).await?.len(), 1);
            }
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_notification_stored_claimed_is_the_senders_until_its_lease_runs_out()
    -> anyhow::Result<()> {
        for store in test_stores().await? {
            let backend = store.backend();
            let b = store.create_business("A").await?;
            let held = store
                .enqueue_claimed_notification(new(&b.id), 60_000, None)
                .await?;
            assert_eq!(store.get_notification(&b.id, &held.id).await?, held);
            assert_eq!(held.status, "sending", "{backend:?}");
            assert!(
                store.claim_due_notifications(10, 60_000).await?.is_empty(),
                "the worker cannot take it from the sender ({backend:?})"
            );
            assert!(!store.claim_notification(&held.id, 60_000).await?);

            // The sender died before recording: the worker sends it later.
            let lapsed = store
                .enqueue_claimed_notification(new(&b.id), -1, None)
                .await?;
            let due = store.claim_due_notifications(10, 60_000).await?;
            assert_eq!(
                due.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
                [lapsed.id.as_str()],
                "{backend:?}"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_notification_is_claimed_once_and_moves_only_with_an_attempt() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let b = store.create_business("A").await?;
            let n = store.enqueue_notification(new(&b.id)).await?;
            assert_eq!(store.get_notification(&b.id, &n.id).await?, n);

            assert!(store.claim_notification(&n.id, 60_000).await?);
            assert!(
                !store.claim_notification(&n.id, 60_000).await?,
                "held by the first claim"
            );
            assert!(store.claim_due_notifications(10, 60_000).await?.is_empty());

            let later = now_ms() + 60_000;
            let retry = AttemptResult::Retry {
                next_at: later,
                code: "retry".into(),
                detail: "HTTP 502".into(),
            };
            store.record_attempt(&n.id, &retry, 12).await?;
            let after = store.get_notification(&b.id, &n.id).await?;
            assert_eq!((after.status.as_str(), after.attempts), ("pending", 1));
            assert!(
                store.claim_due_notifications(10, 60_000).await?.is_empty(),
                "not due yet"
            );

            // A rate-limit wait is logged but is not an attempt.
            assert!(store.claim_notification(&n.id, 60_000).await?);
            store
                .record_attempt(
                    &n.id,
                    &AttemptResult::RateLimited {
                        next_at: now_ms() - 1,
                    },
                    0,
                )
                .await?;
            let due = store.claim_due_notifications(10, 60_000).await?;
            assert_eq!(due.len(), 1);
            assert_eq!(due[0].attempts, 1);
            let logged = store.list_attempts(&n.id).await?.len();

            // A deferral is neither an attempt nor logged.
            store
                .record_attempt(
                    &n.id,
                    &AttemptResult::Deferred {
                        next_at: now_ms() - 1,
                    },
                    0,
                )
                .await?;
            let due = store.claim_due_notifications(10, 60_000).await?;
            assert_eq!((due.len(), due[0].attempts), (1, 1));
            assert_eq!(store.list_attempts(&n.id).await?.len(), logged);

            store
                .record_attempt(
                    &n.id,
                    &AttemptResult::Failed {
                        code: "webhook_unknown".into(),
                        detail: "404".into(),
                    },
                    5,
                )
                .await?;
            let failed = store.get_notification(&b.id, &n.id).await?;
            assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 2));
            let log = store.list_attempts(&n.id).await?;
            let outcomes: Vec<&str> = log.iter().map(|a| a.outcome.as_str()).collect();
            assert_eq!(outcomes, ["retry", "rate_limited", "failed"]);

            store.replay_notification(&b.id, &n.id).await?;
            let replayed = store.get_notification(&b.id, &n.id).await?;
            assert_eq!(
                (replayed.status.as_str(), replayed.attempts),
                ("pending", 0),
                "a replay gets a fresh set of attempts"
            );
            assert_eq!(store.list_attempts(&n.id).await?.len(), 3);
            assert!(matches!(
                store.replay_notification("other", &n.id).await,
                Err(StoreError::NotFound)
            ));
        }
        Ok(())
    }
}
