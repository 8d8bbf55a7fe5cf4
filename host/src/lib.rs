//! Switchboard: the integration hub host — server, CLI, component runtime.

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
pub mod notify;
pub mod pull;
pub mod runtime;
pub mod server;
pub mod store;
pub mod store_services;
