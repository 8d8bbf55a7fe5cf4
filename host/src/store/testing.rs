//! Fresh, migrated stores for tests: always a SQLite file in a temporary
//! directory, plus a PostgreSQL database of its own when
//! `SWITCHBOARD_TEST_POSTGRES_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Write store tests as a loop, so each runs on every configured backend:
//!
//! ```ignore
//! for store in test_stores().await? {
//!     let business = store.create_business("Acme").await?;
//!     assert_eq!(store.get_business(&business.id).await?.name, "Acme", "{:?}", store.backend());
//! }
//! ```

use std::ops::Deref;

use sqlx::{AssertSqlSafe, Connection};

use super::{Business, Integration, NewIntegration, Store, install_drivers};

pub const POSTGRES_URL_VAR: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

/// A store that cleans up after itself: the SQLite directory is removed and
/// the PostgreSQL database dropped when it goes out of scope, even when the
/// test panics.
pub struct TestStore {
    store: Store,
    _cleanup: Cleanup,
}

impl Deref for TestStore {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, database: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Cleanup::Postgres {
            admin_url,
            database,
        } = self
        else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on from
        // here; a short-lived thread with its own runtime can. Best effort: a
        // leftover `sb_*` database is harmless.
        let admin_url = admin_url.clone();
        let database = database.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// One fresh, migrated store per configured backend, SQLite first.
pub async fn test_stores() -> anyhow::Result<Vec<TestStore>> {
    test_stores_at(None).await
}

/// Stores migrated only up to migration `version`, for tests of what a
/// later migration does to existing rows (finish with [`Store::migrate`]).
pub async fn test_stores_migrated_to(version: i64) -> anyhow::Result<Vec<TestStore>> {
    test_stores_at(Some(version)).await
}

async fn test_stores_at(version: Option<i64>) -> anyhow::Result<Vec<TestStore>> {
    let mut stores = vec![sqlite_store_at(version).await?];
    if let Ok(url) = std::env::var(POSTGRES_URL_VAR)
        && !url.is_empty()
    {
        stores.push(postgres_store(&url, version).await?);
    }
    Ok(stores)
}

async fn migrate(store: &Store, version: Option<i64>) -> anyhow::Result<()> {
    match version {
        Some(v) => store.migrate_to(v).await?,
        None => store.migrate().await?,
    }
    Ok(())
}

pub async fn sqlite_store() -> anyhow::Result<TestStore> {
    sqlite_store_at(None).await
}

async fn sqlite_store_at(version: Option<i64>) -> anyhow::Result<TestStore> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = Store::connect(&url).await?;
    migrate(&store, version).await?;
    Ok(TestStore {
        store,
        _cleanup: Cleanup::Sqlite(dir),
    })
}

async fn postgres_store(admin_url: &str, version: Option<i64>) -> anyhow::Result<TestStore> {
    install_drivers();
    // The name is ours (a uuid), never input, so formatting it into SQL is safe.
    let database = format!("sb_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(admin_url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    // From here on the guard exists, so a failure below still drops the database.
    let cleanup = Cleanup::Postgres {
        admin_url: admin_url.to_owned(),
        database: database.clone(),
    };

    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&format!("/{database}"));
    let store = Store::connect(url.as_str()).await?;
    migrate(&store, version).await?;
    Ok(TestStore {
        store,
        _cleanup: cleanup,
    })
}

/// A business "Acme" with one `threecx-webhooks` integration "A": what an
/// ingest test needs before its first event.
pub async fn acme_with_integration(store: &Store) -> anyhow::Result<(Business, Integration)> {
    let business = store.create_business("Acme").await?;
    let integration = store
        .create_integration(NewIntegration {
            business_id: business.id.clone(),
            kind: "threecx-webhooks".into(),
            name: "A".into(),
            config: serde_json::json!({}),
            secrets: None,
        })
        .await?;
    Ok((business, integration))
}
