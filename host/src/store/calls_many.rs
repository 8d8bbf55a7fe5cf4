//! The batch forms of `calls.rs`'s writes, for ingest: each takes every call
//! a batch of inbound requests touches and does its work in one statement
//! (per `multirow::rows_per_statement` rows), so the number of statements a
//! batch costs does not grow with the number of calls in it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::multirow::{self, Insert, Style, rows_per_statement};
use super::{CallProjection, StoreError, new_id};

/// A vendor call chain as ingest names it: `(integration id, chain id)`.
pub(super) type ChainKey = (String, String);

/// A call a batch touches.
#[derive(Debug, Clone)]
pub(super) struct LockedCall {
    pub id: String,
    pub business_id: String,
    /// Created by this batch (its events are all in the batch).
    pub fresh: bool,
}

/// A new call's empty row, to be folded: bound id, business, integration,
/// chain, and the time three times (sort, created, updated).
pub(super) const NEW_CALL: Insert = Insert {
    head: "INSERT INTO calls (id, business_id, integration_id, chain_id, status, direction, \
           legs_json, attributes_json, sort_at, created_at, updated_at) VALUES ",
    literals: &[(4, "'ringing'"), (5, "'unknown'"), (6, "'[]'"), (7, "'{}'")],
    tail: "",
};

/// The call of each chain, creating the ones that are new (empty, to be
/// folded), each locked until the transaction ends: on PostgreSQL the
/// upsert's DO UPDATE takes the row lock, so concurrent requests about one
/// call take turns (SQLite has one writer anyway). `chains` maps each chain
/// to its business; a BTreeMap so PostgreSQL takes the row locks in one
/// fixed order and two batches cannot deadlock.
pub(super) async fn lock_calls(
    conn: &mut AnyConnection,
    chains: &BTreeMap<ChainKey, String>,
    now: i64,
) -> Result<HashMap<ChainKey, LockedCall>, StoreError> {
    let style = Style::of(conn);
    let chains: Vec<_> = chains.iter().collect();
    let mut locked = HashMap::with_capacity(chains.len());
    for chunk in chains.chunks(NEW_CALL.rows_per_statement()) {
        let sql = format!(
            "{} ON CONFLICT (integration_id, chain_id) DO UPDATE SET \
             updated_at = excluded.updated_at RETURNING id, integration_id, chain_id",
            NEW_CALL.sql(style, chunk.len())
        );
        let mut fresh_ids = HashSet::with_capacity(chunk.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for ((integration_id, chain_id), business_id) in chunk {
            let id = new_id();
            query = query
                .bind(id.clone())
                .bind(business_id.as_str())
                .bind(integration_id.as_str())
                .bind(chain_id.as_str())
                .bind(now)
                .bind(now)
                .bind(now);
            fresh_ids.insert(id);
        }
        let businesses: HashMap<&ChainKey, &String> = chunk.iter().copied().collect();
        for row in query.fetch_all(&mut *conn).await? {
            let key: ChainKey = (row.try_get("integration_id")?, row.try_get("chain_id")?);
            let id: String = row.try_get("id")?;
            let business_id = businesses
                .get(&key)
                .map(|b| (*b).clone())
                .unwrap_or_default();
            let fresh = fresh_ids.contains(&id);
            locked.insert(
                key,
                LockedCall {
                    id,
                    business_id,
                    fresh,
                },
            );
        }
    }
    Ok(locked)
}

/// On PostgreSQL, takes a transaction lock for each vendor chain of a
/// business (`(business_id, chain_id)`), so that a webhook opening a chain's
/// call and a recording source pulling the same chain's recording
/// (`recordings::record_pulled`) run one after the other: each otherwise
/// reads before the other commits, sees no call of the chain, and makes
/// its own, so one call becomes two. Locks are taken in key order, in one
/// statement, before any row lock, so two transactions cannot deadlock on
/// them. SQLite has one writer at a time already: nothing to do.
pub(super) async fn serialize_chains(
    conn: &mut AnyConnection,
    chains: &BTreeSet<(&str, &str)>,
) -> Result<(), StoreError> {
    if chains.is_empty() || matches!(Style::of(conn), Style::Positional) {
        return Ok(());
    }
    // Locks return `void`, which the Any driver cannot read: `concat` turns
    // them into one text, `length` into a number.
    let locks: Vec<String> = (1..=chains.len())
        .map(|n| format!("pg_advisory_xact_lock(hashtextextended(${n}, 0))"))
        .collect();
    let sql = format!("SELECT length(concat({}))", locks.join(", "));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
    for (business_id, chain_id) in chains {
        // Hashed to the lock's 64-bit key: a collision only makes two
        // unrelated chains wait for each other.
        query = query.bind(format!("chain\u{1f}{business_id}\u{1f}{chain_id}"));
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Placeholder calls a recording source made for chains that a webhook
/// opened a call for just now (see `calls::move_placeholder`): found for
/// the whole batch in one statement, adopted one by one (rare). Returns
/// each new call that adopted one, whose events are then not only the
/// batch's, with the placeholder's (deleted) id: the caller sends the
/// batch's own events for the placeholder to the new call too.
pub(super) async fn adopt_pulled_calls(
    conn: &mut AnyConnection,
    fresh: &[(&ChainKey, &LockedCall)],
) -> Result<HashMap<String, String>, StoreError> {
    let style = Style::of(conn);
    let mut adopted = HashMap::new();
    let fresh_ids: HashSet<&str> = fresh.iter().map(|(_, c)| c.id.as_str()).collect();
    for chunk in fresh.chunks(rows_per_statement(2)) {
        let sql = format!(
            // From the recording sources (few, and usually none) to their
            // calls by the unique (integration, chain) index: cheap when
            // there is nothing to adopt, which is almost always. CROSS JOIN
            // makes SQLite keep recording_syncs as the outer loop (its
            // planner otherwise may scan calls for the chain ids);
            // PostgreSQL plans it as the inner join it is.
            "SELECT c.id, c.business_id, c.chain_id FROM recording_syncs s \
             CROSS JOIN calls c \
             WHERE c.integration_id = s.integration_id \
             AND s.business_id IN ({}) AND c.chain_id IN ({}) \
             ORDER BY c.created_at, c.id",
            multirow::list(style, 1, chunk.len()),
            multirow::list(style, chunk.len() + 1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (_, call) in chunk {
            query = query.bind(call.business_id.as_str());
        }
        for ((_, chain_id), _) in chunk {
            query = query.bind(chain_id.as_str());
        }
        // The oldest placeholder of each (business, chain).
        let mut placeholders: HashMap<(String, String), String> = HashMap::new();
        for row in query.fetch_all(&mut *conn).await? {
            let id: String = row.try_get("id")?;
            if fresh_ids.contains(id.as_str()) {
                continue;
            }
            placeholders
                .entry((row.try_get("business_id")?, row.try_get("chain_id")?))
                .or_insert(id);
        }
        for ((_, chain_id), call) in chunk {
            let key = (call.business_id.clone(), chain_id.clone());
            if let Some(old) = placeholders.remove(&key) {
                super::calls::move_placeholder(conn, &old, &call.id).await?;
                adopted.insert(call.id.clone(), old);
            }
        }
    }
    Ok(adopted)
}

/// The stored event payloads of each call, oldest first.
pub(super) async fn payloads_of(
    conn: &mut AnyConnection,
    call_ids: &[&str],
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let style = Style::of(conn);
    let mut payloads: HashMap<String, Vec<String>> = HashMap::with_capacity(call_ids.len());
    for chunk in call_ids.chunks(rows_per_statement(1)) {
        let sql = format!(
            "SELECT call_id, payload_json FROM inbound_events WHERE call_id IN ({}) \
             ORDER BY received_at, id",
            multirow::list(style, 1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            payloads
                .entry(row.try_get("call_id")?)
                .or_default()
                .push(row.try_get("payload_json")?);
        }
    }
    Ok(payloads)
}

/// Deletes calls that have nothing in them yet (`BatchSql::drop_unused_calls`).
pub(super) async fn drop_calls(
    conn: &mut AnyConnection,
    call_ids: &[&str],
) -> Result<(), StoreError> {
    let style = Style::of(conn);
    for chunk in call_ids.chunks(rows_per_statement(1)) {
        let sql = format!(
            "DELETE FROM calls WHERE id IN ({})",
            multirow::list(style, 1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A recording link of a call: the call, the link's position, `(url, mime type)`.
type Link<'a> = (&'a Projected<'a>, usize, &'a (String, Option<String>));

/// A call's new projection, to be written over its row.
pub(super) struct Projected<'a> {
    pub id: &'a str,
    pub business_id: &'a str,
    pub integration_id: &'a str,
    pub chain_id: &'a str,
    pub projection: &'a CallProjection,
}

/// A call's row as the fold made it ([`write_projections`]; the SQLite
/// writer inserts a call this batch created with it as it is, and upserts
/// the others with [`PROJECTION_UPSERT`] after it).
pub(super) const PROJECTION: Insert = Insert {
    head: "INSERT INTO calls (id, business_id, integration_id, chain_id, status, outcome, \
           direction, customer_phone, extension, did, started_at, answered_at, ended_at, \
           duration_sec, talk_sec, hangup_cause, transcript, summary, legs_json, \
           attributes_json, sort_at, created_at, updated_at) VALUES ",
    literals: &[],
    tail: "",
};
pub(super) const PROJECTION_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
     outcome = excluded.outcome, direction = excluded.direction, \
     customer_phone = excluded.customer_phone, extension = excluded.extension, \
     did = excluded.did, started_at = excluded.started_at, \
     answered_at = excluded.answered_at, ended_at = excluded.ended_at, \
     duration_sec = excluded.duration_sec, talk_sec = excluded.talk_sec, \
     hangup_cause = excluded.hangup_cause, transcript = excluded.transcript, \
     summary = excluded.summary, legs_json = excluded.legs_json, \
     attributes_json = excluded.attributes_json, \
     sort_at = COALESCE(excluded.started_at, calls.created_at), \
     updated_at = excluded.updated_at";

/// A recording link a vendor sent, once per call and URL. Every fold writes
/// all of a call's links with their place in the fold's order, so a link
/// already stored moves to its place: the order is the fold's, not the
/// order in which the links arrived.
pub(super) const LINK: Insert = Insert {
    head: "INSERT INTO recordings (id, business_id, call_id, url, mime_type, position, \
           created_at) VALUES ",
    literals: &[],
    tail: " ON CONFLICT (call_id, url) DO UPDATE SET position = excluded.position \
           WHERE recordings.position <> excluded.position",
};

/// Writes each call's projection over its row, and the recording links it
/// has not seen. The rows exist (they were
/// locked by [`lock_calls`]), so the upsert always updates; it is the one
/// statement both backends accept for updating many rows to different values.
pub(super) async fn write_projections(
    conn: &mut AnyConnection,
    calls: &[Projected<'_>],
    now: i64,
) -> Result<(), StoreError> {
    let style = Style::of(conn);
    for chunk in calls.chunks(PROJECTION.rows_per_statement()) {
        let sql = format!("{}{PROJECTION_UPSERT}", PROJECTION.sql(style, chunk.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for c in chunk {
            let p = c.projection;
            query = query
                .bind(c.id)
                .bind(c.business_id)
                .bind(c.integration_id)
                .bind(c.chain_id)
                .bind(p.status.as_str())
                .bind(p.outcome.as_deref())
                .bind(p.direction.as_str())
                .bind(p.customer_phone.as_deref())
                .bind(p.extension.as_deref())
                .bind(p.did.as_deref())
                .bind(p.started_at)
                .bind(p.answered_at)
                .bind(p.ended_at)
                .bind(p.duration_sec)
                .bind(p.talk_sec)
                .bind(p.hangup_cause.as_deref())
                .bind(p.transcript.as_deref())
                .bind(p.summary.as_deref())
                .bind(p.legs.to_string())
                .bind(p.attributes.to_string())
                .bind(p.started_at.unwrap_or(now))
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }

    // Links are never removed: a vendor does not take one back.
    let links: Vec<Link<'_>> = calls
        .iter()
        .flat_map(|c| {
            c.projection
                .recordings
                .iter()
                .enumerate()
                .map(move |(position, link)| (c, position, link))
        })
        .collect();
    for chunk in links.chunks(LINK.rows_per_statement()) {
        let sql = LINK.sql(style, chunk.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for (call, position, (url, mime)) in chunk {
            query = query
                .bind(new_id())
                .bind(call.business_id)
                .bind(call.id)
                .bind(url.as_str())
                .bind(mime.as_deref())
                .bind(i64::try_from(*position).unwrap_or(i64::MAX))
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
