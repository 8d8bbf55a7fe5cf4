//! Starting the server: storage, master key, sandbox, bundled and directory
//! components, the watcher, then HTTP. [`start`] returns once the listener is
//! bound, so tests start a real server on `127.0.0.1:0` and read its address.

use crate::api;
use crate::bundled::BUNDLED;
use crate::config::Settings;
use crate::crypto::{self, SecretBox};
use crate::runtime::egress::AddressGuard;
use crate::runtime::engine::EngineSettings;
use crate::runtime::registry::manifest::Manifest;
use crate::runtime::registry::watch::{self, Watcher};
use crate::runtime::{Runtime, RuntimeSettings};
use crate::store::Store;
use crate::store_services::StoreServices;
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

pub struct AppStateInner {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub runtime: Arc<Runtime>,
    pub secrets: Arc<SecretBox>,
    pub watcher: Arc<Mutex<Watcher>>,
    /// Group commit of inbound events, on SQLite only (see `ingest::writer`).
    pub writer: Option<crate::ingest::writer::Writer>,
    /// Delivery of outbox notifications through channel components.
    pub notifier: Arc<crate::notify::deliver::Notifier>,
    /// Realtime fan-out of the in-app feed.
    pub feed: Arc<crate::notify::feed_hub::FeedHub>,
    /// Cached lookups of the inbound path (see `cache`).
    pub lookups: Arc<crate::cache::Lookups>,
    /// Recording pull: the syncer (and its audio storage) and the
    /// scheduler's wake-up for "sync now".
    pub syncer: Arc<crate::pull::sync::Syncer>,
    pub sync_wake: Arc<tokio::sync::Notify>,
    /// Wakes the analysis worker (an analysis was posted, automations wait).
    pub analysis_wake: Arc<tokio::sync::Notify>,
    pub ready: AtomicBool,
}

pub type AppState = Arc<AppStateInner>;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    watcher_task: tokio::task::JoinHandle<()>,
    /// The outbox worker, stopped gracefully (see [`Server::stop`]).
    outbox: tokio::task::JoinHandle<()>,
    outbox_stop: tokio_util::sync::CancellationToken,
    /// The analysis worker, stopped gracefully: it gives back the job it
    /// is running.
    analysis: Option<tokio::task::JoinHandle<()>>,
    analysis_stop: tokio_util::sync::CancellationToken,
    /// The other workers (syncs, link downloads, the Telegram poller):
    /// aborted at a stop, each resumes from its leases.
    background: Vec<tokio::task::JoinHandle<()>>,
}

/// How long a stop waits for the outbox worker to finish and record the
/// batch it is sending (a send is bounded by `http_timeout_ms`).
const OUTBOX_STOP_WAIT: Duration = Duration::from_secs(30);
/// How long a stop waits for the analysis worker to give back its job (a
/// database write).
const ANALYSIS_STOP_WAIT: Duration = Duration::from_secs(5);

impl Server {
    /// Stops accepting, finishes requests in flight, and returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.watcher_task.abort();
        self.state.feed.close_all();
        for task in &self.background {
            task.abort();
        }
        // Both told at once: waiting for one must not let the other claim
        // more work meanwhile.
        self.analysis_stop.cancel();
        self.outbox_stop.cancel();
        if let Some(mut analysis) = self.analysis.take()
            && tokio::time::timeout(ANALYSIS_STOP_WAIT, &mut analysis)
                .await
                .is_err()
        {
            tracing::warn!("the analysis worker did not stop in time: aborted");
            analysis.abort();
        }
        // The batch being sent is finished and recorded; a worker stuck
        // past the wait is aborted like the rest (its batch is then sent
        // again after its lease: at least once).
        if tokio::time::timeout(OUTBOX_STOP_WAIT, &mut self.outbox)
            .await
            .is_err()
        {
            tracing::warn!("the outbox worker did not stop in time: aborted");
            self.outbox.abort();
        }
        let _ = (&mut self.task).await;
    }

    /// Runs until the server stops (on its own or by ctrl-c handling above).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

pub fn runtime_settings(s: &Settings) -> anyhow::Result<RuntimeSettings> {
    Ok(RuntimeSettings {
        engine: EngineSettings {
            max_instances: s.max_instances,
            memory_ceiling_bytes: s.memory_ceiling_bytes,
            epoch_tick: Duration::from_millis(s.epoch_tick_ms.max(1)),
        },
        default_limits: s.limits.clone(),
        allow_private: AddressGuard::parse_ranges(&s.egress_allow_private)
            .map_err(anyhow::Error::msg)?,
        http_timeout: Duration::from_millis(s.http_timeout_ms),
        http_max_response_bytes: s.http_max_response_bytes,
        cache_dir: Some(s.cache_dir()),
        instance_wait: Duration::from_millis(s.instance_wait_ms),
    })
}

fn sync_settings(s: &Settings) -> crate::pull::sync::SyncSettings {
    let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    crate::pull::sync::SyncSettings {
        page_size: s.sync_page_size.clamp(1, 1000),
        max_bytes: s.recording_max_bytes,
        download_timeout: Duration::from_millis(s.recording_download_timeout_ms.max(1)),
        lease_ms: ms(s.sync_lease_ms.max(1000)),
        backoff_base_ms: ms(s.sync_backoff_base_ms),
        backoff_max_ms: ms(s.sync_backoff_max_ms),
        max_pages_per_run: 50,
        download_attempts: s.recording_link_attempts,
    }
}

/// The keys secrets are sealed with: `master_key` (or, on the embedded
/// default, the key file) as current, `older_master_keys` to open values
/// sealed before a rotation.
pub fn master_key(s: &Settings) -> anyhow::Result<SecretBox> {
    let older = s
        .older_master_keys
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .enumerate()
        .map(|(i, k)| {
            crypto::parse_key(k)
                .with_context(|| format!("SWITCHBOARD_OLDER_MASTER_KEYS, key {}", i + 1))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(k) = &s.master_key {
        return Ok(SecretBox::new(
            crypto::parse_key(k).context("SWITCHBOARD_MASTER_KEY")?,
            older,
        ));
    }
    if !s.is_embedded_database() {
        anyhow::bail!(
            "SWITCHBOARD_MASTER_KEY is required with an external database: a key generated on one machine would strand the secrets of the others"
        );
    }
    let (key, generated) = crypto::load_or_generate_key(&s.data_dir).context("master key file")?;
    if generated {
        tracing::warn!(dir = %s.data_dir.display(), "no SWITCHBOARD_MASTER_KEY: generated one into the data directory; back it up, stored secrets cannot be read without it");
    }
    Ok(SecretBox::new(key, older))
}

/// Refuses to start when a master key would be generated (embedded
/// database, no key configured, no key file) for a database that already
/// holds sealed values: it was restored or moved without its key, and under
/// a new one every integration would fail at run time while new secrets
/// were sealed with a key the old ones do not share.
pub async fn refuse_a_new_key_for_sealed_data(s: &Settings, store: &Store) -> anyhow::Result<()> {
    // An older key may be the one the data needs (a rotation by file).
    if s.master_key.is_some()
        || !s.older_master_keys.trim().is_empty()
        || !s.is_embedded_database()
        || crypto::key_file_exists(&s.data_dir)
    {
        return Ok(());
    }
    if let Some(place) = crate::reseal::first_sealed(store).await? {
        anyhow::bail!(
            "no master key in {} (master.key) and none configured, but the database holds values sealed with one ({place}): restore the key file, or set SWITCHBOARD_MASTER_KEY; a new key would not open them",
            s.data_dir.display()
        );
    }
    Ok(())
}

/// Brings everything up and binds the listener.
pub async fn start(mut settings: Settings) -> anyhow::Result<Server> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    // Bound first so the real port (of `:0`) is known for webhook URLs;
    // connections wait in the backlog until serving starts below.
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    if settings.public_url.is_none() {
        if addr.ip().is_unspecified() {
            tracing::warn!(%addr, "public_url is not set and the server listens on every address: webhook URLs and links will say http://{addr}, which no vendor can reach; set public_url");
        }
        settings.public_url = Some(format!("http://{addr}"));
    }
    let settings = Arc::new(settings);
    let store = Store::connect(&settings.database_url())
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    refuse_a_new_key_for_sealed_data(&settings, &store).await?;
    let secrets = Arc::new(master_key(&settings)?);
    let services = Arc::new(StoreServices {
        store: store.clone(),
        secrets: Arc::clone(&secrets),
    });
    let runtime = Arc::new(Runtime::new(runtime_settings(&settings)?, services)?);

    for bundled in BUNDLED {
        let manifest = Manifest::parse(bundled.manifest)
            .map_err(|e| anyhow::anyhow!("bundled manifest: {e}"))?;
        let name = manifest.name.clone();
        runtime
            .registry
            .load(manifest, bundled.wasm.to_vec())
            .await
            .with_context(|| format!("loading bundled component {name}"))?;
    }
    let components_dir = settings.components_dir();
    std::fs::create_dir_all(&components_dir).ok();
    let watcher = Arc::new(Mutex::new(Watcher::default()));
    watcher
        .lock()
        .await
        .scan(&runtime.registry, &components_dir, true)
        .await;
    let watcher_task = watch::spawn(
        Arc::clone(&runtime.registry),
        components_dir,
        Duration::from_millis(settings.components_poll_ms.max(50)),
        Arc::clone(&watcher),
    );

    let writer = match store.backend() {
        crate::store::Backend::Sqlite => Some(
            crate::ingest::writer::Writer::spawn(store.clone())
                .await
                .context("starting the ingest writer")?,
        ),
        crate::store::Backend::Postgres => None,
    };
    let lookups: Arc<crate::cache::Lookups> = Arc::default();
    let feed: Arc<crate::notify::feed_hub::FeedHub> = Arc::default();
    let relay = Arc::new(crate::notify::feed_relay::FeedRelay::new());
    let notifier = Arc::new(crate::notify::deliver::Notifier {
        store: store.clone(),
        runtime: Arc::clone(&runtime),
        secrets: Arc::clone(&secrets),
        settings: Arc::clone(&settings),
        lookups: Arc::clone(&lookups),
        limiter: Default::default(),
        feed: Arc::clone(&feed),
        relay: Arc::clone(&relay),
    });
    let outbox_stop = tokio_util::sync::CancellationToken::new();
    let outbox = crate::notify::worker::spawn(
        Arc::clone(&notifier),
        Duration::from_millis(settings.outbox_poll_ms.max(10)),
        outbox_stop.clone(),
    );
    let mut background = Vec::new();
    // Other servers' feed rows, for the streams open here (PostgreSQL).
    if let Some(listener) = relay.spawn(store.clone(), settings.database_url(), Arc::clone(&feed)) {
        background.push(listener);
    }
    if settings.telegram_mode == "polling"
        && let Some(poller) = crate::notify::telegram_bot::spawn_polling(Arc::clone(&notifier))
    {
        background.push(poller);
    }
    let syncer = Arc::new(crate::pull::sync::Syncer {
        store: store.clone(),
        runtime: Arc::clone(&runtime),
        secrets: Arc::clone(&secrets),
        lookups: Arc::clone(&lookups),
        storage: Arc::new(
            crate::pull::storage::AudioStore::open(&settings.recordings_dir())
                .with_context(|| format!("opening {}", settings.recordings_dir().display()))?,
        ),
        settings: sync_settings(&settings),
        owner: crate::store::new_id(),
    });
    // Leftovers of a process killed mid-download (see `pull/sweep.rs`): a
    // file untouched for twice the download timeout (at least an hour)
    // that no recording names is no one's.
    let sweeper = Arc::clone(&syncer);
    let stale = Duration::from_millis(settings.recording_download_timeout_ms.saturating_mul(2))
        .max(Duration::from_secs(3600));
    tokio::spawn(async move {
        match crate::pull::sweep::sweep(Arc::clone(&sweeper.storage), &sweeper.store, stale).await {
            Ok(swept) if swept == Default::default() => {}
            Ok(swept) => tracing::info!(
                unfinished = swept.parts,
                orphaned = swept.orphans,
                "removed recording files no recording names"
            ),
            Err(e) => tracing::warn!(error = %e, "sweeping the recordings directory failed"),
        }
    });
    let sync_wake = Arc::new(tokio::sync::Notify::new());
    background.push(crate::pull::scheduler::spawn(
        Arc::clone(&syncer),
        Duration::from_millis(settings.sync_poll_ms.max(10)),
        settings.sync_concurrency,
        i64::try_from(settings.sync_interval_sec).unwrap_or(300),
        Arc::clone(&sync_wake),
    ));
    background.push(crate::pull::links::spawn(
        Arc::clone(&syncer),
        Duration::from_millis(settings.sync_poll_ms.max(10)),
        settings.sync_concurrency,
        settings.recording_link_attempts,
    ));
    let analysis_wake = Arc::new(tokio::sync::Notify::new());
    let analysis_stop = tokio_util::sync::CancellationToken::new();
    let analysis = Arc::new(crate::analysis::worker::AnalysisWorker {
        syncer: Arc::clone(&syncer),
        public_url: settings.public_url.clone().unwrap_or_default(),
        upload_timeout: Duration::from_millis(settings.analysis_upload_timeout_ms.max(1)),
        backoff_base_ms: i64::try_from(settings.analysis_backoff_base_ms).unwrap_or(30_000),
        stop: analysis_stop.clone(),
    });
    let analysis = settings.analysis_worker.then(|| {
        analysis.spawn(
            Duration::from_millis(settings.analysis_poll_ms.max(10)),
            Arc::clone(&analysis_wake),
        )
    });
    let state: AppState = Arc::new(AppStateInner {
        settings: Arc::clone(&settings),
        store,
        runtime,
        secrets,
        watcher,
        writer,
        notifier,
        feed,
        lookups,
        syncer,
        sync_wake,
        analysis_wake,
        ready: AtomicBool::new(false),
    });
    let app = api::router(Arc::clone(&state))
        // Extractors (and the hooks' own read) enforce this limit, so the
        // 413 comes in the one error shape rather than as bare text.
        .layer(axum::extract::DefaultBodyLimit::max(
            settings.max_body_bytes,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = served.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    state.ready.store(true, Ordering::Release);
    tracing::info!(%addr, "switchboard listening");
    Ok(Server {
        addr,
        state,
        shutdown: Some(tx),
        task,
        watcher_task,
        outbox,
        outbox_stop,
        analysis,
        analysis_stop,
        background,
    })
}
