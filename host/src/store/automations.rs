//! Automations (stored as flow graphs, JSON), their firings, the digest
//! buffer, and delivery statistics from the outbox.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::multirow::{self, Style, rows_per_statement};
use super::outbox::insert_notification;
use super::{NewNotification, Store, StoreError, get_bool, new_id, now_ms, one_row, parse_json};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automation {
    pub id: String,
    #[serde(skip)]
    pub business_id: String,
    pub name: String,
    pub enabled: bool,
    pub graph: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Delivery statistics of one automation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomationStats {
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
    pub last_run_at: Option<i64>,
}

/// One firing: an automation matched a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomationRun {
    pub id: String,
    pub automation_id: String,
    pub call_id: String,
    pub fired_at: i64,
    pub deliveries: Value,
}

/// A message the firing sends now (`digest_window_end` None) or adds to the
/// destination's digest.
#[derive(Debug, Clone)]
pub struct PlannedDelivery {
    pub notification: NewNotification,
    /// When set, the message waits in the digest until this instant.
    pub digest_window_end: Option<i64>,
}

fn automation_from_row(row: &AnyRow) -> Result<Automation, StoreError> {
    let graph: String = row.try_get("graph_json")?;
    Ok(Automation {
        id: row.try_get("id")?,
        business_id: row.try_get("business_id")?,
        name: row.try_get("name")?,
        enabled: get_bool(row, "enabled")?,
        graph: parse_json(&graph, "automations.graph_json")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// One digest: (business, automation, channel, destination).
type DigestKey = (String, String, String, Option<String>);

const COLUMNS: &str = "id, business_id, name, enabled, graph_json, created_at, updated_at";

impl Store {
    pub async fn create_automation(
        &self,
        business_id: &str,
        name: &str,
        graph: &Value,
        enabled: bool,
    ) -> Result<Automation, StoreError> {
        let id = new_id();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO automations (id, business_id, name, enabled, graph_json, created_at, \
             updated_at) VALUES ($1, $2, $3, $6, $4, $5, $5)",
        )
        .bind(&id)
        .bind(business_id)
        .bind(name)
        .bind(graph.to_string())
        .bind(now)
        .bind(enabled)
        .execute(&self.pool)
        .await?;
        self.get_automation(business_id, &id).await
    }

    pub async fn get_automation(
        &self,
        business_id: &str,
        id: &str,
    ) -> Result<Automation, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM automations WHERE business_id = $1 AND id = $2"
        )))
        .bind(business_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        automation_from_row(&row)
    }

    pub async fn list_automations(&self, business_id: &str) -> Result<Vec<Automation>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM automations WHERE business_id = $1 ORDER BY created_at, id"
        )))
        .bind(business_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(automation_from_row).collect()
    }

    /// Replaces the graph (and name); `enabled` too when given, else it stays.
    /// Collected digest items go with what no longer sends them: all of
    /// them when the automation is switched off, else those whose
    /// destination is not among `digests` (the new graph's actions, as
    /// (channel, target)). A chat taken out of a rule must not get the
    /// rule's digest hours later.
    pub async fn replace_automation(
        &self,
        business_id: &str,
        id: &str,
        replacement: AutomationReplacement<'_>,
    ) -> Result<Automation, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE automations SET name = $3, graph_json = $4, updated_at = $5, \
             enabled = COALESCE($6, enabled) WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .bind(replacement.name)
        .bind(replacement.graph.to_string())
        .bind(now_ms())
        .bind(replacement.enabled)
        .execute(&mut *tx)
        .await?;
        one_row(done)?;
        let keep = if replacement.enabled == Some(false) {
            &[][..]
        } else {
            replacement.digests
        };
        drop_digest_items(&mut tx, id, keep).await?;
        tx.commit().await?;
        self.get_automation(business_id, id).await
    }

    /// Switches the automation on or off; off drops its collected digest
    /// items (nothing more is sent for a rule switched off).
    pub async fn set_automation_enabled(
        &self,
        business_id: &str,
        id: &str,
        enabled: bool,
    ) -> Result<Automation, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE automations SET enabled = $3, updated_at = $4 \
             WHERE business_id = $1 AND id = $2",
        )
        .bind(business_id)
        .bind(id)
        .bind(enabled)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        one_row(done)?;
        if !enabled {
            drop_digest_items(&mut tx, id, &[]).await?;
        }
        tx.commit().await?;
        self.get_automation(business_id, id).await
    }

    /// Deletes the automation and the digest items it collected (a deleted
    /// rule's digest must not arrive hours later).
    pub async fn delete_automation(&self, business_id: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM automations WHERE business_id = $1 AND id = $2")
            .bind(business_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        one_row(done)?;
        sqlx::query("DELETE FROM digest_items WHERE automation_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sent / failed / pending deliveries and the last firing.
    pub async fn automation_stats(
        &self,
        automation_id: &str,
    ) -> Result<AutomationStats, StoreError> {
        let ids = [automation_id.to_owned()];
        Ok(self
            .automations_stats(&ids)
            .await?
            .remove(automation_id)
            .unwrap_or_default())
    }

    /// The stats of several automations in two statements, whatever their
    /// number (the list route), each served by its `automation_id` index.
    /// An automation that never fired has no entry.
    pub async fn automations_stats(
        &self,
        automation_ids: &[String],
    ) -> Result<HashMap<String, AutomationStats>, StoreError> {
        let mut stats: HashMap<String, AutomationStats> = HashMap::new();
        let mut conn = self.pool.acquire().await?;
        let style = Style::of(&conn);
        for chunk in automation_ids.chunks(rows_per_statement(1)) {
            let ids = multirow::list(style, 1, chunk.len());
            let sql = format!(
                "SELECT automation_id, status, COUNT(*) AS n FROM notifications \
                 WHERE automation_id IN ({ids}) GROUP BY automation_id, status"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for r in query.fetch_all(&mut *conn).await? {
                let entry = stats.entry(r.try_get("automation_id")?).or_default();
                let status: String = r.try_get("status")?;
                let n: i64 = r.try_get("n")?;
                match status.as_str() {
                    "delivered" => entry.sent += n,
                    "failed" => entry.failed += n,
                    _ => entry.pending += n,
                }
            }
            let sql = format!(
                "SELECT automation_id, MAX(fired_at) AS last FROM automation_runs \
                 WHERE automation_id IN ({ids}) GROUP BY automation_id"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for r in query.fetch_all(&mut *conn).await? {
                stats
                    .entry(r.try_get("automation_id")?)
                    .or_default()
                    .last_run_at = r.try_get("last")?;
            }
        }
        Ok(stats)
    }

    /// Whether the automation already fired for the call (a retried job).
    pub async fn automation_fired(
        &self,
        automation_id: &str,
        call_id: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM automation_runs WHERE automation_id = $1 AND call_id = $2",
        )
        .bind(automation_id)
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Records a firing and queues its deliveries, in one transaction: the
    /// run row's uniqueness per (automation, call) makes a retried job
    /// fire nothing twice. Returns None when it had already fired.
    pub async fn record_firing(
        &self,
        business_id: &str,
        automation_id: &str,
        call_id: &str,
        planned: &[PlannedDelivery],
        mut deliveries: Vec<Value>,
    ) -> Result<Option<AutomationRun>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = new_id();
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO automation_runs (id, business_id, automation_id, call_id, fired_at, \
             deliveries_json) VALUES ($1, $2, $3, $4, $5, '[]') \
             ON CONFLICT (automation_id, call_id) DO NOTHING RETURNING id",
        )
        .bind(&id)
        .bind(business_id)
        .bind(automation_id)
        .bind(call_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_none() {
            return Ok(None);
        }
        for (i, p) in planned.iter().enumerate() {
            let queued = match p.digest_window_end {
                None => {
                    let n =
                        insert_notification(&mut tx, &p.notification, Some(automation_id)).await?;
                    serde_json::json!({ "notificationId": n.id })
                }
                Some(window_end) => {
                    let item = new_id();
                    sqlx::query(
                        "INSERT INTO digest_items (id, business_id, automation_id, channel, target, \
                         severity, window_end, message, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&item)
                    .bind(business_id)
                    .bind(automation_id)
                    .bind(&p.notification.channel)
                    .bind(&p.notification.destination_id)
                    .bind(&p.notification.severity)
                    .bind(window_end)
                    .bind(&p.notification.body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    serde_json::json!({ "digestUntil": window_end })
                }
            };
            if let Some(Value::Object(d)) = deliveries.get_mut(i)
                && let Value::Object(q) = queued
            {
                d.extend(q);
            }
        }
        let deliveries = Value::Array(deliveries);
        sqlx::query("UPDATE automation_runs SET deliveries_json = $2 WHERE id = $1")
            .bind(&id)
            .bind(deliveries.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(AutomationRun {
            id,
            automation_id: automation_id.to_owned(),
            call_id: call_id.to_owned(),
            fired_at: now,
            deliveries,
        }))
    }

    /// An automation's firings, newest first, each delivery with the
    /// outcome of its notification so far (`status`: `pending`, `sending`,
    /// `delivered`, `failed`; `error` the last failure).
    pub async fn automation_runs(
        &self,
        business_id: &str,
        automation_id: &str,
        limit: u32,
    ) -> Result<Vec<AutomationRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, automation_id, call_id, fired_at, deliveries_json FROM automation_runs \
             WHERE business_id = $1 AND automation_id = $2 ORDER BY fired_at DESC, id DESC LIMIT $3",
        )
        .bind(business_id)
        .bind(automation_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut runs = rows
            .iter()
            .map(|r| {
                let d: String = r.try_get("deliveries_json")?;
                Ok(AutomationRun {
                    id: r.try_get("id")?,
                    automation_id: r.try_get("automation_id")?,
                    call_id: r.try_get("call_id")?,
                    fired_at: r.try_get("fired_at")?,
                    deliveries: parse_json(&d, "automation_runs.deliveries_json")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let Some(oldest) = runs.iter().map(|r| r.fired_at).min() else {
            return Ok(runs);
        };
        // One query for the outcomes of every delivery listed.
        let outcomes: std::collections::HashMap<String, (String, Option<String>)> = sqlx::query(
            "SELECT id, status, last_error FROM notifications \
             WHERE automation_id = $1 AND created_at >= $2",
        )
        .bind(automation_id)
        .bind(oldest)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                (r.try_get("status")?, r.try_get("last_error")?),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
        for run in &mut runs {
            let Some(deliveries) = run.deliveries.as_array_mut() else {
                continue;
            };
            for d in deliveries {
                let outcome = d["notificationId"]
                    .as_str()
                    .and_then(|id| outcomes.get(id))
                    .cloned();
                if let (Some((status, error)), Some(o)) = (outcome, d.as_object_mut()) {
                    o.insert("status".into(), Value::String(status));
                    o.insert("error".into(), error.map_or(Value::Null, Value::String));
                }
            }
        }
        Ok(runs)
    }

    /// Sends every digest whose window has closed: per (automation,
    /// channel, destination) one notification joining the messages, in one
    /// transaction with removing them. Returns how many were queued.
    pub async fn flush_digests(&self, title: &str) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Deleting is the claim: of two servers flushing at once (on
        // PostgreSQL), the second waits on the first's rows and gets none of
        // them back, so each digest is sent once. An item added since waits
        // for the next flush.
        let rows = sqlx::query(
            "DELETE FROM digest_items WHERE window_end <= $1 \
             RETURNING id, business_id, automation_id, channel, target, severity, message, \
             created_at",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        // RETURNING has no order: messages join in the order they came.
        let mut keyed = rows
            .into_iter()
            .map(|r| {
                Ok((
                    (
                        r.try_get::<i64, _>("created_at")?,
                        r.try_get::<String, _>("id")?,
                    ),
                    r,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let rows: Vec<_> = keyed.into_iter().map(|(_, r)| r).collect();
        let mut groups: std::collections::BTreeMap<DigestKey, (String, Vec<String>)> =
            Default::default();
        for r in &rows {
            let key = (
                r.try_get::<String, _>("business_id")?,
                r.try_get::<String, _>("automation_id")?,
                r.try_get::<String, _>("channel")?,
                r.try_get::<Option<String>, _>("target")?,
            );
            let severity: String = r.try_get("severity")?;
            let entry = groups.entry(key).or_insert_with(|| (severity, Vec::new()));
            entry.1.push(r.try_get("message")?);
        }
        // A rule switched off or deleted since its items were collected
        // (a firing that raced the change) sends nothing: its items go.
        let mut enabled: HashMap<String, bool> = HashMap::new();
        for (_, automation_id, _, _) in groups.keys() {
            if enabled.contains_key(automation_id) {
                continue;
            }
            let row = sqlx::query("SELECT enabled FROM automations WHERE id = $1")
                .bind(automation_id)
                .fetch_optional(&mut *tx)
                .await?;
            let on = match row {
                Some(row) => get_bool(&row, "enabled")?,
                None => false,
            };
            enabled.insert(automation_id.clone(), on);
        }
        let mut sent = 0;
        for ((business_id, automation_id, channel, target), (severity, messages)) in &groups {
            if enabled.get(automation_id) != Some(&true) {
                continue;
            }
            sent += 1;
            let n = NewNotification {
                business_id: business_id.clone(),
                channel: channel.clone(),
                destination_id: target.clone(),
                title: format!("{title} ({})", messages.len()),
                body: messages.join("\n\n"),
                link: None,
                severity: severity.clone(),
                attributes: serde_json::json!({
                    "event.type": "automation.digest",
                    "automation.id": automation_id,
                    "digest.count": messages.len().to_string(),
                }),
            };
            insert_notification(&mut tx, &n, Some(automation_id)).await?;
        }
        tx.commit().await?;
        Ok(sent)
    }
}

/// What replaces an automation (see [`Store::replace_automation`]).
pub struct AutomationReplacement<'a> {
    pub name: &'a str,
    pub graph: &'a Value,
    pub enabled: Option<bool>,
    /// The (channel, target) of each action of the new graph.
    pub digests: &'a [(String, Option<String>)],
}

/// Deletes the automation's digest items except those for a destination in
/// `keep` (a kept target of `None` is every target of its channel). An automation collects a few items per window, so they are read
/// and compared here rather than in one statement per backend.
async fn drop_digest_items(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    automation_id: &str,
    keep: &[(String, Option<String>)],
) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT id, channel, target FROM digest_items WHERE automation_id = $1")
        .bind(automation_id)
        .fetch_all(&mut **tx)
        .await?;
    for row in rows {
        let channel: String = row.try_get("channel")?;
        let target: Option<String> = row.try_get("target")?;
        // An action without a target (a webhook action's default endpoints)
        // keeps what it sent to any of them.
        if keep
            .iter()
            .any(|(c, t)| *c == channel && (t.is_none() || *t == target))
        {
            continue;
        }
        let item: String = row.try_get("id")?;
        sqlx::query("DELETE FROM digest_items WHERE id = $1")
            .bind(item)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::test_stores;
    use super::*;

    fn planned(business_id: &str, body: &str, window_end: Option<i64>) -> PlannedDelivery {
        PlannedDelivery {
            notification: NewNotification {
                business_id: business_id.to_owned(),
                channel: "discord".into(),
                destination_id: Some("hook-1".into()),
                title: "Rule".into(),
                body: body.into(),
                link: None,
                severity: "info".into(),
                attributes: serde_json::json!({}),
            },
            digest_window_end: window_end,
        }
    }

    /// Collected digest items follow the automation: a replacement keeps
    /// those of destinations it still has (digest or not), drops the others;
    /// items of a rule switched off after they were collected (a firing that
    /// raced the switch) are never sent.
    #[tokio::test]
    async fn digest_items_follow_replacements_and_switching_off() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let b = store.create_business("A").await?;
            let graph = serde_json::json!({"name": "Rule"});
            let a = store.create_automation(&b.id, "Rule", &graph, true).await?;
            let pending = || async {
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM digest_items")
                    .fetch_one(store.pool())
                    .await
            };
            for call in ["call-1", "call-2"] {
                store
                    .record_firing(
                        &b.id,
                        &a.id,
                        call,
                        &[planned(&b.id, call, Some(now_ms() - 1))],
                        vec![serde_json::json!({})],
                    )
                    .await?;
            }
            let replace = |keep: Vec<(String, Option<String>)>| {
                let store = store.clone();
                let (business, id, graph) = (b.id.clone(), a.id.clone(), graph.clone());
                async move {
                    store
                        .replace_automation(
                            &business,
                            &id,
                            AutomationReplacement {
                                name: "Rule",
                                graph: &graph,
                                enabled: None,
                                digests: &keep,
                            },
                        )
                        .await
                }
            };
            replace(vec![("discord".into(), Some("hook-1".into()))]).await?;
            assert_eq!(pending().await?, 2, "{:?}", store.backend());
            replace(vec![("discord".into(), Some("hook-2".into()))]).await?;
            assert_eq!(
                pending().await?,
                0,
                "hook-1 left the rule: {:?}",
                store.backend()
            );

            store
                .record_firing(
                    &b.id,
                    &a.id,
                    "call-3",
                    &[planned(&b.id, "late", Some(now_ms() - 1))],
                    vec![serde_json::json!({})],
                )
                .await?;
            // Switched off between collecting and flushing: nothing goes out.
            sqlx::query("UPDATE automations SET enabled = $1 WHERE id = $2")
                .bind(false)
                .bind(&a.id)
                .execute(store.pool())
                .await?;
            assert_eq!(
                store.flush_digests("Digest").await?,
                0,
                "{:?}",
                store.backend()
            );
            assert_eq!(pending().await?, 0);
        }
        Ok(())
    }

    #[tokio::test]
    async fn an_automation_fires_once_per_call_and_digests_flush_as_one() -> anyhow::Result<()> {
        for store in test_stores().await? {
            let b = store.create_business("A").await?;
            let a = store
                .create_automation(&b.id, "Rule", &serde_json::json!({"name": "Rule"}), true)
                .await?;
            let now = now_ms();
            let first = store
                .record_firing(
                    &b.id,
                    &a.id,
                    "call-1",
                    &[planned(&b.id, "one", Some(now - 1))],
                    vec![serde_json::json!({})],
                )
                .await?;
            assert!(first.is_some());
            assert_eq!(first.unwrap().deliveries[0]["digestUntil"], now - 1);
            let again = store
                .record_firing(
                    &b.id,
                    &a.id,
                    "call-1",
                    &[planned(&b.id, "dup", Some(now - 1))],
                    vec![serde_json::json!({})],
                )
                .await?;
            assert!(again.is_none(), "a call fires an automation once");
            store
                .record_firing(
                    &b.id,
                    &a.id,
                    "call-2",
                    &[planned(&b.id, "two", Some(now - 1))],
                    vec![serde_json::json!({})],
                )
                .await?;
            // Still in its window: not sent yet.
            store
                .record_firing(
                    &b.id,
                    &a.id,
                    "call-3",
                    &[planned(&b.id, "later", Some(now + 3_600_000))],
                    vec![serde_json::json!({})],
                )
                .await?;
            assert_eq!(store.automation_stats(&a.id).await?.pending, 0);

            // Two servers flushing at once send the digest once.
            let (x, y) = tokio::join!(store.flush_digests("Digest"), store.flush_digests("Digest"));
            assert_eq!(x? + y?, 1, "{:?}", store.backend());
            let bodies: Vec<String> =
                sqlx::query_scalar("SELECT body FROM notifications WHERE automation_id = $1")
                    .bind(&a.id)
                    .fetch_all(store.pool())
                    .await?;
            assert_eq!(bodies, ["one\n\ntwo"], "{:?}", store.backend());
            assert_eq!(
                store.flush_digests("Digest").await?,
                0,
                "flushed items are gone"
            );
            let stats = store.automation_stats(&a.id).await?;
            assert_eq!((stats.pending, stats.sent), (1, 0));
            assert_eq!(store.automation_runs(&b.id, &a.id, 10).await?.len(), 3);

            // The list's stats, all automations at once: a silent one has none.
            let quiet = store
                .create_automation(&b.id, "Quiet", &serde_json::json!({"name": "Quiet"}), true)
                .await?;
            let all = store
                .automations_stats(&[a.id.clone(), quiet.id.clone()])
                .await?;
            assert_eq!(all.get(&a.id), Some(&stats), "{:?}", store.backend());
            assert!(stats.last_run_at.is_some());
            assert_eq!(all.get(&quiet.id), None);
        }
        Ok(())
    }
}
