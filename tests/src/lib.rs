//! Support for the end-to-end tests and benchmarks: where the built
//! components are, a real SQLite store, a runtime whose compiled components
//! are cached across the whole test run, and request builders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod ai_fake;
pub mod app;
pub mod fakes;
pub mod recording_fakes;

use std::path::PathBuf;
use std::sync::Arc;
use switchboard::runtime::call_state::CallContext;
use switchboard::runtime::limits::Limits;
use switchboard::runtime::registry::manifest::Manifest;
use switchboard::runtime::wit::since_v0_1_0::types::{HttpRequest, Installation, Pair};
use switchboard::runtime::{CallTarget, Runtime, RuntimeSettings};
use switchboard::store::Store;
use switchboard::store_services::StoreServices;

/// A component built by this crate's build script.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub wasm: &'static str,
    pub manifest: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/components.rs"));

impl Fixture {
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.wasm).unwrap()
    }
    pub fn manifest_text(&self) -> String {
        std::fs::read_to_string(self.manifest).unwrap()
    }
    /// The manifest, renamed (hot-load tests install two components under one name).
    pub fn manifest_as(&self, name: &str, version: &str) -> Manifest {
        let mut m = Manifest::parse(&self.manifest_text()).unwrap();
        m.name = name.into();
        m.version = version.into();
        m
    }
}

/// Serves `app` on a free loopback port in the background (fake vendors,
/// sinks, baselines); returns `http://127.0.0.1:<port>`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Bodies a [`sink`] received, in order.
pub type Seen = Arc<std::sync::Mutex<Vec<String>>>;

/// A receiver for outgoing webhooks: `POST /hook` answers 200 and keeps the
/// body. Returns the hook's URL.
pub async fn sink() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let log = Arc::clone(&log);
            async move {
                log.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    (format!("{}/hook", serve(app).await), seen)
}

/// Waits (up to 10 s) until `seen` holds at least `n` bodies.
pub async fn wait_for(seen: &Seen, n: usize) {
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the sink got {} of {n}", seen.lock().unwrap().len());
}

/// Shared by every runtime in the test run: each component compiles once.
pub fn cache_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-component-cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh SQLite store in a temporary directory (kept alive by the guard).
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

pub fn settings() -> RuntimeSettings {
    RuntimeSettings {
        cache_dir: Some(cache_dir()),
        ..RuntimeSettings::default()
    }
}

pub fn runtime(store: &Store, settings: RuntimeSettings) -> Arc<Runtime> {
    Arc::new(
        Runtime::new(
            settings,
            Arc::new(StoreServices {
                store: store.clone(),
                secrets: Arc::new(switchboard::crypto::SecretBox::new([9; 32], Vec::new())),
            }),
        )
        .unwrap(),
    )
}

/// Loads a fixture under its own manifest name.
pub async fn load(rt: &Runtime, f: Fixture) {
    let m = Manifest::parse(&f.manifest_text()).unwrap();
    rt.registry.load(m, f.bytes()).await.unwrap();
}

pub fn target(business: &str, component: &str, limits: Limits) -> CallTarget {
    CallTarget {
        component: component.into(),
        context: CallContext {
            business_id: business.into(),
            installation_id: format!("inst-{business}"),
            kind: component.into(),
            ..CallContext::default()
        },
        limits,
    }
}

pub fn installation(business: &str, kind: &str) -> Installation {
    Installation {
        id: format!("inst-{business}"),
        business_id: business.into(),
        kind: kind.into(),
        config: Vec::new(),
    }
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<Pair> {
    items
        .iter()
        .map(|(n, v)| Pair {
            name: (*n).into(),
            value: (*v).into(),
        })
        .collect()
}

/// A request with a query string and an optional body.
pub fn request(method: &str, path: &str, query: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: pairs(query),
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

/// A form POST as the 3CX module sends it.
pub fn form(path: &str, fields: &[(&str, &str)]) -> HttpRequest {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('%', "%25")
                    .replace('+', "%2B")
                    .replace(' ', "+")
                    .replace('&', "%26")
            )
        })
        .collect();
    HttpRequest {
        method: "POST".into(),
        path: path.into(),
        query: Vec::new(),
        headers: pairs(&[("content-type", "application/x-www-form-urlencoded")]),
        body: body.join("&").into_bytes(),
    }
}
