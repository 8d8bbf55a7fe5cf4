//! The reads and writes an ingest batch makes, behind one trait, so that the
//! batch's logic (`ingest.rs`: which events are new, which calls to re-fold,
//! what to notify) is written once for two ways of reaching the database:
//!
//! - through sqlx (`AnyConnection`, both backends), where every statement is
//!   an async round trip, so each write covers the whole batch in one
//!   multi-row statement (`calls_many.rs`, `multirow.rs`);
//! - straight on a SQLite connection on the ingest writer's own thread
//!   (`sqlite_direct.rs`), where a statement costs a function call, so each
//!   write is a cached single-row statement run once per row.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sqlx::AnyConnection;

use super::calls_many::{self, ChainKey, LockedCall, Projected};
use super::ingest::{EventRow, IngestJob};
use super::{CallProjection, NewMessage, NewNotification, StoreError};

/// One transaction's worth of ingest statements. Each method runs inside the
/// caller's transaction; see the functions of the sqlx implementation for
/// what each one means.
pub(super) trait BatchSql {
    /// Serializes transactions about the same vendor chains of a business
    /// (`calls_many::serialize_chains`); first, before any row is locked.
    async fn serialize_chains(&mut self, chains: &BTreeSet<(&str, &str)>)
    -> Result<(), StoreError>;

    /// The call of each chain, created if new, locked until the end of the
    /// transaction (`calls_many::lock_calls`). The SQLite writer, which
    /// holds the write lock anyway, only gives a new call its id here and
    /// writes its row later (`sqlite_direct.rs`).
    async fn lock_calls(
        &mut self,
        chains: &BTreeMap<ChainKey, String>,
        now: i64,
    ) -> Result<HashMap<ChainKey, LockedCall>, StoreError>;

    /// Placeholder calls of a recording source adopted by the new calls;
    /// returns each new call that adopted one, with the placeholder's id
    /// (`calls_many::adopt_pulled_calls`).
    async fn adopt_pulled_calls(
        &mut self,
        fresh: &[(&ChainKey, &LockedCall)],
    ) -> Result<HashMap<String, String>, StoreError>;

    /// Logs the events the integration does not have yet; returns the ids of
    /// the rows stored now.
    async fn insert_events(
        &mut self,
        jobs: &[IngestJob],
        rows: &[EventRow<'_>],
        received_at: i64,
    ) -> Result<HashSet<String>, StoreError>;

    /// Stores a chat message in its conversation (`conversations::store_message`).
    async fn store_message(
        &mut self,
        business_id: &str,
        integration_id: &str,
        message: &NewMessage,
    ) -> Result<(), StoreError>;

    /// The stored event payloads of each call, oldest first.
    async fn payloads_of(
        &mut self,
        call_ids: &[&str],
    ) -> Result<HashMap<String, Vec<String>>, StoreError>;

    /// Removes calls `lock_calls` created that no stored event turned out
    /// to belong to (a request of retries only, under a chain id the call
    /// log does not have): a call with no events is not a call.
    async fn drop_unused_calls(&mut self, call_ids: &[&str]) -> Result<(), StoreError>;

    /// Writes each call's projection over its row, and its new recording links.
    async fn write_projections(
        &mut self,
        calls: &[Projected<'_>],
        now: i64,
    ) -> Result<(), StoreError>;

    /// The vendor's transcript and summary as the call's analysis, and the
    /// automations queued (`analysis::record_vendor_analysis`).
    async fn record_vendor_analysis(
        &mut self,
        business_id: &str,
        call_id: &str,
        projection: &CallProjection,
    ) -> Result<(), StoreError>;

    /// Queues the notifications.
    async fn insert_notifications(
        &mut self,
        notifications: &[NewNotification],
    ) -> Result<(), StoreError>;
}

impl BatchSql for AnyConnection {
    async fn serialize_chains(
        &mut self,
        chains: &BTreeSet<(&str, &str)>,
    ) -> Result<(), StoreError> {
        calls_many::serialize_chains(self, chains).await
    }

    async fn lock_calls(
        &mut self,
        chains: &BTreeMap<ChainKey, String>,
        now: i64,
    ) -> Result<HashMap<ChainKey, LockedCall>, StoreError> {
        calls_many::lock_calls(self, chains, now).await
    }

    async fn adopt_pulled_calls(
        &mut self,
        fresh: &[(&ChainKey, &LockedCall)],
    ) -> Result<HashMap<String, String>, StoreError> {
        calls_many::adopt_pulled_calls(self, fresh).await
    }

    async fn insert_events(
        &mut self,
        jobs: &[IngestJob],
        rows: &[EventRow<'_>],
        received_at: i64,
    ) -> Result<HashSet<String>, StoreError> {
        super::ingest::insert_events(self, jobs, rows, received_at).await
    }

    async fn store_message(
        &mut self,
        business_id: &str,
        integration_id: &str,
        message: &NewMessage,
    ) -> Result<(), StoreError> {
        super::conversations::store_message(self, business_id, integration_id, message).await?;
        Ok(())
    }

    async fn payloads_of(
        &mut self,
        call_ids: &[&str],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        calls_many::payloads_of(self, call_ids).await
    }

    async fn drop_unused_calls(&mut self, call_ids: &[&str]) -> Result<(), StoreError> {
        calls_many::drop_calls(self, call_ids).await
    }

    async fn write_projections(
        &mut self,
        calls: &[Projected<'_>],
        now: i64,
    ) -> Result<(), StoreError> {
        calls_many::write_projections(self, calls, now).await
    }

    async fn record_vendor_analysis(
        &mut self,
        business_id: &str,
        call_id: &str,
        projection: &CallProjection,
    ) -> Result<(), StoreError> {
        super::analysis::record_vendor_analysis(self, business_id, call_id, projection).await
    }

    async fn insert_notifications(
        &mut self,
        notifications: &[NewNotification],
    ) -> Result<(), StoreError> {
        super::outbox::insert_notifications(self, notifications).await?;
        Ok(())
    }
}
