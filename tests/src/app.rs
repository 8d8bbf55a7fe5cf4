//! A real server on loopback for API tests: SQLite in a temporary directory,
//! or a fresh PostgreSQL database when `SWITCHBOARD_TEST_POSTGRES_URL` is set
//! ([`TestApp::each_backend`] yields both). Each app has one tenant and a
//! token with every scope.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use switchboard::api::auth::Scope;
use switchboard::config::Settings;
use switchboard::server::Server;
use switchboard::store::Store;

use crate::cache_dir;

pub const POSTGRES_URL_VAR: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

pub struct TestApp {
    pub server: Server,
    pub base: String,
    pub client: reqwest::Client,
    pub business_id: String,
    pub token: String,
    pub backend: &'static str,
    /// What the server was started with, for [`TestApp::restart`].
    pub settings: Settings,
    _dir: tempfile::TempDir,
}

/// A response's status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

pub fn base_settings(dir: &Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        cache_dir: Some(cache_dir()),
        components_poll_ms: 200,
        // Fake vendors listen on loopback.
        egress_allow_private: "127.0.0.0/8".into(),
        ..Settings::default()
    }
}

/// A new, empty PostgreSQL database on the server named by the variable.
pub async fn fresh_postgres(admin_url: &str) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("sb_e2e_{}", uuid_like());
    let mut conn = sqlx::AnyConnection::connect(admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}{:x}", std::process::id())
}

impl TestApp {
    /// SQLite, then PostgreSQL when configured.
    pub async fn each_backend() -> Vec<TestApp> {
        TestApp::each_backend_with(|_| {}).await
    }

    /// [`TestApp::each_backend`], each server configured by `configure`.
    pub async fn each_backend_with(configure: fn(&mut Settings)) -> Vec<TestApp> {
        let mut apps = vec![TestApp::start(configure).await];
        if let Ok(url) = std::env::var(POSTGRES_URL_VAR) {
            let db = fresh_postgres(&url).await;
            apps.push(
                TestApp::start(move |s| {
                    configure(s);
                    s.database_url = Some(db.clone());
                    s.master_key = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into());
                })
                .await,
            );
        }
        apps
    }

    pub async fn start(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = base_settings(dir.path());
        configure(&mut settings);
        let backend = if settings.is_embedded_database() {
            "sqlite"
        } else {
            "postgres"
        };
        let server = switchboard::server::start(settings.clone()).await.unwrap();
        let store: &Store = &server.state.store;
        let business = store.create_business("Acme").await.unwrap();
        let issued = store
            .create_token(
                "test",
                std::slice::from_ref(&business.id),
                &Scope::all_names(),
            )
            .await
            .unwrap();
        TestApp {
            base: format!("http://{}", server.addr),
            server,
            client: reqwest::Client::new(),
            business_id: business.id,
            token: issued.token,
            backend,
            settings,
            _dir: dir,
        }
    }

    /// Stops the server (the outbox finishes the batch it is sending; other
    /// background work is aborted wherever it is, as in a crash) and starts
    /// a new one on the same data directory and database; the tenant and
    /// token carry over.
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// [`TestApp::restart`] with settings changed by `configure` first.
    pub async fn restart_with(self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let TestApp {
            server,
            client,
            business_id,
            token,
            backend,
            settings,
            _dir,
            ..
        } = self;
        server.stop().await;
        let mut settings = settings;
        configure(&mut settings);
        let server = switchboard::server::start(settings.clone()).await.unwrap();
        TestApp {
            base: format!("http://{}", server.addr),
            server,
            client,
            business_id,
            token,
            backend,
            settings,
            _dir,
        }
    }

    pub fn store(&self) -> &Store {
        &self.server.state.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Another business with its own token, for cross-tenant checks.
    pub async fn other_tenant(&self) -> (String, String) {
        let b = self.store().create_business("Other").await.unwrap();
        let t = self
            .store()
            .create_token("other", std::slice::from_ref(&b.id), &Scope::all_names())
            .await
            .unwrap();
        (b.id, t.token)
    }

    /// A token of this business with only `scopes`.
    pub async fn token_with(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.store()
            .create_token("limited", std::slice::from_ref(&self.business_id), &scopes)
            .await
            .unwrap()
            .token
    }

    /// An API call with this app's token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(&self.token, method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

pub async fn reply(r: reqwest::Response) -> Reply {
    let status = r.status();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text }
}
