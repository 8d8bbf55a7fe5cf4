//! The one wasmtime [`Engine`]: component model, async, epoch interruption and
//! the pooling allocator, so instantiating per call costs microseconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Component instances alive at once across all tenants (pool size).
    pub max_instances: u32,
    /// The largest memory any tenant may be given; pool slots are this big.
    pub memory_ceiling_bytes: u64,
    /// How often the epoch advances: the granularity of CPU limits and of
    /// cooperative yields.
    pub epoch_tick: Duration,
}

pub fn build(s: &EngineSettings) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    let n = s.max_instances.max(1);
    // A Rust wasip2 component has one memory, a couple of tables and a few core
    // instances (the module plus wit-component shims); leave headroom.
    // One component may take only its share of those: without the caps
    // (wasmtime's default is unlimited) a component of many modules could
    // take the core instances and memories of the whole pool.
    pool.total_component_instances(n)
        .total_core_instances(n * 8)
        .total_memories(n * 2)
        .total_tables(n * 4)
        .max_core_instances_per_component(8)
        .max_memories_per_component(2)
        .max_tables_per_component(4)
        .total_stacks(n)
        .max_memory_size(usize::try_from(s.memory_ceiling_bytes).unwrap_or(usize::MAX))
        // Every call instantiates afresh, so returning a slot to the pool is
        // on the hot path: reset the first pages with memset (and, where the
        // kernel has PAGEMAP_SCAN, only the dirty ones) instead of an madvise
        // that throws them away and page-faults them back on the next call.
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(128 << 10)
        .decommit_batch_size(16)
        .pagemap_scan(wasmtime::Enabled::Auto);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .cranelift_opt_level(wasmtime::OptLevel::Speed)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Advances the engine's epoch on a dedicated thread until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: Engine, tick: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .ok();
        EpochTicker { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
