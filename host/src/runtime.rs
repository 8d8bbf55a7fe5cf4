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
pub mod stderr;
pub mod wit;

pub use calls::{CallError, CallTarget, IngestOutput};

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
    /// How long a call waits for a pooled instance before it is refused as
    /// `sandbox_busy` (default 10 s): long enough to ride out a burst,
    /// short enough that a vendor's webhook, which times out in seconds,
    /// gets an answer to retry on.
    pub instance_wait: Duration,
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
            instance_wait: Duration::from_secs(10),
        }
    }
}

pub struct Runtime {
    pub registry: Arc<Registry>,
    pub(crate) admission: Admission,
    pub(crate) refusals: refusals::RefusalLog,
    pub(crate) env: Arc<HostEnv>,
    pub(crate) settings: RuntimeSettings,
    /// One permit per pooled instance. The pool refuses an instantiation
    /// past its size at once, which would fail an innocent tenant's call
    /// (and record an incident against it) whenever others fill the pool;
    /// waiting here, first come first served, queues it instead. Each
    /// holder is bounded by its wall-clock limit, each waiter by
    /// `settings.instance_wait`.
    pub(crate) instance_slots: Arc<tokio::sync::Semaphore>,
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
        // answers pass the address guard. No proxy from the environment
        // (`HTTPS_PROXY`): the guard would then judge only the proxy's
        // address, and the proxy would dial whatever the guest named.
        let http = reqwest::Client::builder()
            .no_proxy()
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
            instance_slots: Arc::new(tokio::sync::Semaphore::new(
                settings.engine.max_instances.max(1) as usize,
            )),
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
            // The defaults too are capped at what the pool reserved.
            None => self.settings.default_limits.with_overrides(
                &limits::LimitOverrides::default(),
                self.settings.engine.memory_ceiling_bytes,
            ),
        }
    }

    pub fn default_limits(&self) -> &Limits {
        &self.settings.default_limits
    }

    /// The client components' requests go through (guarded DNS, no
    /// redirects), for requests the host makes on a component's behalf
    /// such as recording downloads.
    pub fn guarded_http(&self) -> &reqwest::Client {
        &self.env.http
    }

    /// Why `target` may not reach `url`, with the same rules as the
    /// component's own HTTP: http(s) only, the component's allow-list or the
    /// installation's base URLs, and the address guard for literal IPs (the
    /// client's resolver guards names). None: allowed.
    pub fn egress_refusal(&self, target: &CallTarget, url: &url::Url) -> Option<String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Some(format!("scheme `{}` is not allowed", url.scheme()));
        }
        let Some(host) = url.host_str() else {
            return Some("URL has no host".into());
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let listed = self
            .registry
            .get(&target.component)
            .is_some_and(|c| c.allow_list.allows(host, port));
        let installation = target
            .context
            .egress_extra
            .as_ref()
            .is_some_and(|e| e.allows(host, port));
        let narrowed_out = target
            .context
            .egress_narrowing
            .as_ref()
            .is_some_and(|n| !n.allows(host, port));
        if !(listed || installation) || narrowed_out {
            return Some(format!(
                "{host}:{port} is not on the installation's egress allow-list"
            ));
        }
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .ok();
        literal
            .and_then(|ip| self.env.guard.refusal(ip))
            .map(|reason| format!("{host}: {reason}"))
    }
}
