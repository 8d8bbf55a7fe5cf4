//! Switchboard's durable state: tenants, their integrations, per-installation
//! state, the tenant directory, component incidents and inbound events.
//!
//! One [`Store`] over sqlx's `AnyPool` serves both backends: SQLite (the
//! embedded default, `sqlite:` URLs) and PostgreSQL (`postgres://` URLs).
//! Every query is written once, with `$1, $2…` placeholders (SQLite reads
//! `$N` as the N-th argument) and only the types the Any driver carries:
//! TEXT, BIGINT, DOUBLE, BOOLEAN and BLOB/BYTEA. Ids are TEXT (uuid v7),
//! timestamps BIGINT milliseconds since the Unix epoch (UTC), JSON is TEXT.
//! The two migration folders hold the same tables and differ only in dialect.
//!
//! Each group of tables has its own file, an `impl Store` block plus the row
//! structs it returns. A method that writes in several statements does so in
//! one transaction, so an error leaves nothing half-done.

mod analysis;
mod automations;
mod batch_sql;
mod businesses;
mod calls;
mod calls_many;
mod checkpointer;
mod conversations;
mod destinations;
mod directory;
mod error;
mod feed;
mod inbound_events;
mod incidents;
mod ingest;
mod integrations;
mod multirow;
mod outbox;
mod recording_links;
mod recordings;
mod sqlite_direct;
mod sqlite_gate;
mod state;
mod syncs;
#[cfg(test)]
pub(crate) mod testing;
mod tokens;
mod webhook_endpoints;

use std::str::FromStr;
use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

pub use analysis::{AnalysisJob, AnalysisResult, CallAnalysis, JobLease};
pub use automations::{
    Automation, AutomationReplacement, AutomationRun, AutomationStats, PlannedDelivery,
};
pub use businesses::Business;
pub use calls::{Call, CallCursor, CallFilter, CallProjection};
pub use conversations::{Conversation, Message, NewMessage};
pub use destinations::{DiscordWebhook, LinkOutcome, TelegramChat};
pub use directory::{Contact, ContactKind, User};
pub use error::StoreError;
pub use feed::FeedItem;
pub use inbound_events::InboundEvent;
pub use incidents::{Incident, NewIncident};
pub use ingest::{EventTarget, Fold, IngestJob, IngestOutcome, NewEvent};
pub use integrations::{
    Integration, IntegrationPatch, NewIntegration, ROUTE_FIELDS, kind_family, route_field,
};
pub use outbox::{Attempt, AttemptResult, NewNotification, Notification, NotificationFilter};
pub use recording_links::DueLink;
pub use recordings::{PulledRecording, Recording, RecordingFilter, StoredAudio, audio_path};
pub use sqlite_direct::DirectWriter;
pub use state::StateEntry;
pub use syncs::{RunCounts, RunOutcome, SyncStatus};
pub use tokens::{IssuedToken, TOKEN_PREFIX, TokenGrant, hash_token};
pub use webhook_endpoints::{EndpointPatch, SWITCHED_OFF, WebhookEndpoint};

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Run on every new SQLite connection. WAL lets readers proceed while one
/// writer commits. `synchronous = FULL` syncs the WAL at every commit: a
/// vendor's event is acknowledged only after its commit, and with `NORMAL`
/// a power cut (not a crash of the process) could lose the last commits
/// after their 2xx. The ingest writer's group commit pays one sync per
/// batch. The busy timeout covers another process (a CLI next to the
/// server) holding the lock.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
];

/// Pool size for PostgreSQL; the server handles concurrent writers itself.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            // Only the scheme: the rest of a URL may hold a password.
            let scheme = url.split(':').next().unwrap_or_default();
            Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database scheme {scheme:?}: expected sqlite: or postgres://")
                    .into(),
            )))
        }
    }
}

/// The database behind Switchboard. Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` without running migrations (see [`Store::migrate`]).
    ///
    /// A `sqlite:` URL creates the file if it is missing (unless the URL sets
    /// its own `mode=`), and every connection gets WAL, a busy timeout and
    /// foreign keys.
    ///
    /// SQLite gets a pool of exactly one connection. SQLite lets one writer in
    /// at a time whatever the pool size; with many connections the others wait
    /// in SQLite's busy handler, which polls with sleeps (unfair, and an error
    /// once the busy timeout runs out), and a transaction that reads and then
    /// writes fails outright with `SQLITE_BUSY` if another connection committed
    /// in between. One connection turns that into the pool's orderly queue at
    /// the cost of reads not overlapping a write, which is fine for the
    /// embedded deployment; PostgreSQL is the answer for more. The consequence
    /// for callers of [`Store::pool`]: never hold a connection or transaction
    /// from it while calling a `Store` method, or the second acquire waits for
    /// the first until the pool's acquire timeout.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_drivers();
        let backend = Backend::from_url(url)?;
        let pool = match backend {
            Backend::Sqlite => {
                let options = AnyConnectOptions::from_str(&sqlite_url_with_create(url))?;
                AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    // A ping per acquire is a round trip to the driver's
                    // thread, paid by every query; a local file connection
                    // does not go stale the way a network one does.
                    .test_before_acquire(false)
                    // An in-memory database lives only as long as its
                    // connection: never let the pool retire the only one.
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in SQLITE_PRAGMAS {
                                sqlx::query(*pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(POSTGRES_MAX_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?
            }
        };
        Ok(Store { pool, backend })
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// Applies the migrations up to `version` only (tests of an upgrade).
    #[cfg(test)]
    pub(crate) async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        self.migrator().run_to(version, &self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The lock clause of a claim's inner `SELECT`: `FOR UPDATE SKIP LOCKED`
    /// on PostgreSQL, where two servers claiming at once would otherwise pick
    /// the same row, the loser wait for the winner's commit, find the row
    /// taken and come back empty, sleeping a poll with work due. Nothing on
    /// SQLite, which has one writer at a time.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The underlying pool, for queries no method covers yet. Queries must stay
    /// portable (see the module docs), and see [`Store::connect`] on holding a
    /// connection while calling other `Store` methods.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A new record id: a uuid v7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Milliseconds since the Unix epoch (UTC), the timestamp of every table.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn install_drivers() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(sqlx::any::install_default_drivers);
}

/// Adds `mode=rwc` to a file URL that does not choose a mode, so a fresh
/// deployment creates its database instead of failing on a missing file.
fn sqlite_url_with_create(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let in_memory = base.ends_with(":memory:");
    let has_mode = query.is_some_and(|q| q.split('&').any(|pair| pair.starts_with("mode=")));
    match query {
        _ if in_memory || has_mode => url.to_owned(),
        Some(query) => format!("{base}?{query}&mode=rwc"),
        None => format!("{base}?mode=rwc"),
    }
}

/// An UPDATE or DELETE of one record: NotFound when it touched none (the
/// record does not exist, or belongs to another business).
fn one_row(done: sqlx::any::AnyQueryResult) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Reads a boolean column. PostgreSQL hands back BOOLEAN; SQLite stores 0/1
/// and the Any driver sees an integer.
fn get_bool(row: &AnyRow, column: &str) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// Parses a JSON TEXT column; a row that does not parse is corrupt.
fn parse_json(text: &str, what: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Corrupt(format!("{what}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::testing::{self, test_stores};
    use super::*;

    /// Managed PostgreSQL services require TLS (`sslmode=require`); the
    /// driver is built with it. Runs where the test server speaks TLS.
    #[tokio::test]
    async fn postgres_connects_over_tls_when_asked() -> anyhow::Result<()> {
        let Ok(url) = std::env::var(testing::POSTGRES_URL_VAR) else {
            return Ok(());
        };
        let plain = Store::connect(&url).await?;
        let offered: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(plain.pool())
            .await?;
        plain.close().await;
        if offered != "on" {
            return Ok(());
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        let store = Store::connect(&format!("{url}{sep}sslmode=require")).await?;
        let ssl: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(store.pool())
                .await?;
        assert!(ssl, "connected without TLS");
        store.close().await;
        Ok(())
    }

    #[test]
    fn sqlite_urls_get_create_mode_unless_they_choose() {
        assert_eq!(
            sqlite_url_with_create("sqlite:///data/sb.db"),
            "sqlite:///data/sb.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite:sb.db?cache=shared"),
            "sqlite:sb.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite:sb.db?mode=ro"),
            "sqlite:sb.db?mode=ro"
        );
        assert_eq!(sqlite_url_with_create("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(Backend::from_url("mysql://localhost/db").is_err());
        assert_eq!(
            Backend::from_url("postgresql://h/db").ok(),
            Some(Backend::Postgres)
        );
    }

    #[tokio::test]
    async fn sqlite_file_is_created_in_wal_mode_with_foreign_keys_and_synced_commits()
    -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("fresh.db");
        let store = Store::connect(&format!("sqlite://{}", path.display())).await?;
        assert!(path.exists(), "connect must create the database file");
        assert_eq!(store.backend(), Backend::Sqlite);

        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(mode.to_lowercase(), "wal");
        let fks: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(fks, 1);
        // 2 is FULL: a commit is on disk before it returns.
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await?;
        assert_eq!(synchronous, 2);

        // Migrating twice is a no-op, not an error.
        store.migrate().await?;
        store.migrate().await?;
        Ok(())
    }

    #[tokio::test]
    async fn in_memory_sqlite_keeps_its_data_across_queries() -> anyhow::Result<()> {
        let store = Store::connect("sqlite::memory:").await?;
        store.migrate().await?;
        let created = store.create_business("Memory Co").await?;
        assert_eq!(store.get_business(&created.id).await?.name, "Memory Co");
        Ok(())
    }

    #[tokio::test]
    async fn every_backend_migrates_and_reports_itself() -> anyhow::Result<()> {
        let stores = test_stores().await?;
        let backends: Vec<Backend> = stores.iter().map(|s| s.backend()).collect();
        let want_postgres = std::env::var(testing::POSTGRES_URL_VAR).is_ok_and(|u| !u.is_empty());
        assert_eq!(backends.contains(&Backend::Postgres), want_postgres);
        assert_eq!(backends[0], Backend::Sqlite);
        for store in stores {
            // test_stores already migrated; a second run must find nothing to do.
            store.migrate().await?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM businesses")
                .fetch_one(store.pool())
                .await?;
            assert_eq!(count, 0, "{:?}", store.backend());
        }
        Ok(())
    }

    #[tokio::test]
    async fn concurrent_writers_all_succeed() -> anyhow::Result<()> {
        // SQLite's single pooled connection must queue writers, not fail them
        // with SQLITE_BUSY; PostgreSQL runs them side by side.
        for store in test_stores().await? {
            let (business, integration) = testing::acme_with_integration(&store).await?;
            let tasks: Vec<_> = (0..32)
                .map(|i| {
                    let store = Store::clone(&store);
                    let business_id = business.id.clone();
                    let integration_id = integration.id.clone();
                    tokio::spawn(async move {
                        store
                            .state_set(&integration_id, &format!("k{i}"), "v")
                            .await?;
                        store
                            .ingest(
                                &business_id,
                                &integration_id,
                                &[NewEvent {
                                    dedup_key: format!("e{}", i % 8),
                                    kind: "k".into(),
                                    payload: serde_json::json!(i).to_string(),
                                    target: EventTarget::Log,
                                }],
                                &|_| CallProjection::default(),
                            )
                            .await?;
                        store
                            .set_default_integration(&business_id, &integration_id)
                            .await
                    })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
            assert_eq!(store.state_list(&integration.id).await?.len(), 32);
            assert_eq!(
                store.list_inbound_events(&integration.id, 100).await?.len(),
                8,
                "{:?}",
                store.backend()
            );
        }
        Ok(())
    }
}
