//! Switchboard: the integration hub host — server, CLI, component runtime.

/// The allocator Switchboard's binaries run with (each declares it as its
/// `#[global_allocator]`). A request's work is spread over the runtime's
/// threads and the ingest writer's, and glibc's per-thread arenas made
/// cross-thread frees and consolidation a tenth of the profile; mimalloc
/// frees to the owning thread's page without a lock.
pub use mimalloc::MiMalloc as Allocator;

pub mod analysis;
pub mod api;
pub mod automations;
pub mod bundled;
pub mod cache;
pub mod calls;
pub mod config;
pub mod crypto;
pub mod ingest;
pub mod installations;
pub mod lease;
pub mod notify;
pub mod pull;
pub mod reseal;
pub mod runtime;
pub mod server;
pub mod store;
pub mod store_services;
