//! The store data of one call: what the component may see (its installation,
//! its secrets), what it has used (CPU, memory, HTTP budget), and the first
//! limit it breached.

use super::egress::{AddressGuard, AllowList};
use super::limits::{Breach, Limits};
use super::services::HostServices;
use super::stderr::StderrBuffer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
#[cfg(not(unix))]
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Who a call is for and what it may see.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    pub business_id: String,
    pub installation_id: String,
    pub kind: String,
    /// Non-secret settings, values as text (non-strings as JSON).
    pub config: Vec<(String, String)>,
    /// Decrypted secrets, for this call only.
    pub secrets: HashMap<String, String>,
    /// An installation may narrow where its component connects (e.g. to the
    /// configured base URL's host). It can never widen the manifest's list:
    /// a destination must pass both.
    pub egress_narrowing: Option<AllowList>,
    /// Hosts this installation's own settings name (a self-hosted PBX's base
    /// URL, from manifest config fields marked `egress = true`): allowed on top
    /// of the manifest's list, still subject to the narrowing and the guard.
    pub egress_extra: Option<AllowList>,
}

/// Host-wide facilities every call shares.
pub struct HostEnv {
    pub http: reqwest::Client,
    pub guard: AddressGuard,
    pub services: Arc<dyn HostServices>,
    pub http_timeout: Duration,
    pub http_max_response_bytes: u64,
}

/// The CPU time of one call: the CPU its future uses while being polled,
/// the guest's code and the host's work for it (lowering, a WASI import
/// filling random bytes) alike. Time it waits, its future pending (HTTP,
/// the database, a WASI sleep, parked after a cooperative yield), is not
/// counted: every wait of a call is a pending future, and every bit of work
/// is done inside a poll, on the polling thread (wasmtime resumes the
/// call's fiber only there). So a connector backing off with
/// `std::thread::sleep` is not charged for the sleep, and one looping over
/// cheap host imports cannot hide its work in the host. Each poll is
/// measured with the thread's own CPU clock, so time the OS gives the
/// thread to others (a hot-load compiling, the database writer) is not
/// charged either. Shared with the epoch callback, which runs inside a poll.
#[derive(Debug, Default)]
pub struct CpuMeter {
    /// Polls that ended.
    used: Mutex<Duration>,
    /// The thread's CPU clock when the poll running now began.
    running_since: Mutex<Option<Duration>>,
}

impl CpuMeter {
    pub fn start() -> Arc<Self> {
        Arc::default()
    }

    /// Counts the CPU time until the guard is dropped: wrap each poll of
    /// the call's future in one.
    pub fn running(self: &Arc<Self>) -> Running {
        *self.running_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(thread_cpu_time());
        Running(Arc::clone(self))
    }

    /// CPU time so far. Called inside a poll (the epoch callback), so on
    /// the thread whose clock started the poll running now.
    pub fn guest_time(&self) -> Duration {
        let used = *self.used.lock().unwrap_or_else(|p| p.into_inner());
        let running = self
            .running_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map_or(Duration::ZERO, |since| {
                thread_cpu_time().saturating_sub(since)
            });
        used + running
    }
}

/// One poll of a call's future, counted by its [`CpuMeter`] until dropped.
pub struct Running(Arc<CpuMeter>);

impl Drop for Running {
    fn drop(&mut self) {
        let since = self
            .0
            .running_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(since) = since {
            *self.0.used.lock().unwrap_or_else(|p| p.into_inner()) +=
                thread_cpu_time().saturating_sub(since);
        }
    }
}

/// The CPU time the calling thread has used.
#[cfg(unix)]
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a
    // constant every Unix the host builds on supports.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// Elsewhere, wall time since an arbitrary start: a poll is then charged
/// its wall time.
#[cfg(not(unix))]
fn thread_cpu_time() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Refuses memory growth past the tenant's limit and remembers that it did,
/// so the trap that follows (Rust aborts on allocation failure) is reported as
/// a memory breach rather than a crash. The limit is on the instance's
/// memories together: a component composed of several modules has one each,
/// and must not get the limit once per memory.
pub struct MemoryGuard {
    pub max_bytes: usize,
    pub refused: bool,
    /// The bytes of every memory of the instance, as last allowed to grow.
    pub total: usize,
    /// The growth last allowed, taken back if the memory then failed to grow.
    pub last_growth: usize,
}

impl wasmtime::ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total.saturating_sub(current).saturating_add(desired);
        if total > self.max_bytes {
            self.refused = true;
            return Ok(false);
        }
        self.total = total;
        self.last_growth = desired.saturating_sub(current);
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        // Allowed here, refused by the engine (the memory's own maximum):
        // the bytes were never taken.
        self.total = self.total.saturating_sub(self.last_growth);
        self.last_growth = 0;
        tracing::debug!(error = %error, "a component's memory failed to grow");
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; no honest connector needs more.
        Ok(desired <= 100_000)
    }
}

pub struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) memory: MemoryGuard,
    pub(crate) meter: Arc<CpuMeter>,
    pub(crate) ctx: Arc<CallContext>,
    pub(crate) env: Arc<HostEnv>,
    pub(crate) limits: Limits,
    pub(crate) component: String,
    /// The manifest's allow-list.
    pub(crate) allow_list: AllowList,
    pub(crate) http_requests: u32,
    pub(crate) http_bytes: u64,
    /// Lines logged so far (see `capabilities/log.rs`).
    pub(crate) log_lines: u32,
    /// State and directory operations so far.
    pub(crate) store_calls: u32,
    pub(crate) breach: Option<Breach>,
    pub(crate) stderr: StderrBuffer,
}

impl CallState {
    pub fn new(
        ctx: Arc<CallContext>,
        env: Arc<HostEnv>,
        limits: Limits,
        component: String,
        allow_list: AllowList,
    ) -> Self {
        // WASI is linked because Rust's std imports it, but grants nothing: no
        // preopened directories, environment, arguments or sockets. stderr's
        // last 16 KiB are kept, so a panic message reaches the caller.
        let stderr = StderrBuffer::new(16 * 1024);
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryGuard {
                max_bytes: usize::try_from(limits.max_memory_bytes).unwrap_or(usize::MAX),
                refused: false,
                total: 0,
                last_growth: 0,
            },
            meter: CpuMeter::start(),
            ctx,
            env,
            limits,
            component,
            allow_list,
            http_requests: 0,
            http_bytes: 0,
            log_lines: 0,
            store_calls: 0,
            breach: None,
            stderr,
        }
    }

    /// Counts a state or directory operation against the call's budget of
    /// them (each is a database query, whose wait the CPU meter does not
    /// see): past it, the trap that ends the call.
    pub(crate) fn store_call(&mut self) -> Result<(), wasmtime::Error> {
        self.store_calls = self.store_calls.saturating_add(1);
        if self.store_calls > self.limits.store_calls_per_call {
            return Err(self.breach(Breach::StoreCalls {
                limit: self.limits.store_calls_per_call,
            }));
        }
        Ok(())
    }

    /// Records a breach and returns the trap that ends the call.
    pub(crate) fn breach(&mut self, b: Breach) -> wasmtime::Error {
        if self.breach.is_none() {
            self.breach = Some(b.clone());
        }
        wasmtime::Error::new(b)
    }

    /// What the guest wrote to stderr (its panic message, usually).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .to_string()
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
