//! The sandbox: one wasmtime engine, the component registry, per-tenant limits
//! and the host capabilities components are granted.
//!
//! A call goes: admission (tenant concurrency and rate) → a fresh store with
//! the tenant's memory limit, CPU meter and HTTP budget → instantiate from the
//! pre-instantiated component (pooling allocator) → call the export →
//! classify the outcome. Breaches and crashes end only that call; they are
//! logged and recorded as incidents.

pub mod admission;
pub mod call_state;
mod calls;
pub mod capabilities;
pub mod egress;
pub mod engine;
pub mod limits;
pub mod refusals;
pub mod registry;
pub mod services;
pub mod wit;

pub use calls::{CallError, CallTarget};

use admission::Admission;
use call_state::HostEnv;
use egress::{AddressGuard, GuardedResolver};
use limits::Limits;
use registry::Registry;
use services::HostServices;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    pub engine: engine::EngineSettings,
    pub default_limits: Limits,
    pub allow_private: Vec<ipnet::IpNet>,
    pub http_timeout: Duration,
    pub http_max_response_bytes: u64,
    /// Where compiled components are cached between runs (None: no cache).
    pub cache_dir: Option<PathBuf>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            engine: engine::EngineSettings {
                max_instances: 128,
                memory_ceiling_bytes: 256 << 20,
                epoch_tick: Duration::from_millis(5),
            },
            default_limits: Limits::default(),
            allow_private: Vec::new(),
            http_timeout: Duration::from_secs(10),
            http_max_response_bytes: 8 << 20,
            cache_dir: None,
        }
    }
}

pub struct Runtime {
    pub registry: Arc<Registry>,
    pub(crate) admission: Admission,
    pub(crate) refusals: refusals::RefusalLog,
    pub(crate) env: Arc<HostEnv>,
    pub(crate) settings: RuntimeSettings,
    _ticker: engine::EpochTicker,
}

impl Runtime {
    pub fn new(
        settings: RuntimeSettings,
        services: Arc<dyn HostServices>,
    ) -> anyhow::Result<Runtime> {
        let engine = engine::build(&settings.engine).map_err(anyhow::Error::from)?;
        let ticker = engine::EpochTicker::start(engine.clone(), settings.engine.epoch_tick);
        let registry = Arc::new(
            Registry::new(engine, settings.cache_dir.clone()).map_err(anyhow::Error::from)?,
        );
        let guard = AddressGuard::new(settings.allow_private.clone());
        // One client for every call: connection pools are shared, redirects are
        // never followed (a 3xx goes back to the component as it is), and DNS
        // answers pass the address guard.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .connect_timeout(settings.http_timeout)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let env = Arc::new(HostEnv {
            http,
            guard,
            services,
            http_timeout: settings.http_timeout,
            http_max_response_bytes: settings.http_max_response_bytes,
        });
        Ok(Runtime {
            registry,
            admission: Admission::default(),
            refusals: Default::default(),
            env,
            settings,
            _ticker: ticker,
        })
    }

    /// The limits a tenant runs under: defaults with its overrides applied.
    pub fn limits_for(&self, overrides: Option<&limits::LimitOverrides>) -> Limits {
        match overrides {
            Some(o) => self
                .settings
                .default_limits
                .with_overrides(o, self.settings.engine.memory_ceiling_bytes),
            None => self.settings.default_limits.clone(),
        }
    }

    pub fn default_limits(&self) -> &Limits {
        &self.settings.default_limits
    }
}
