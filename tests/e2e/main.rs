//! End-to-end tests: real components built from source in this run, a real
//! SQLite store, real HTTP on loopback. One binary, so the components compile
//! once (and the compile cache in target/ carries them to later runs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod automations;
mod cti;
mod hot_load;
mod inbound;
mod members;
mod messaging;
mod notifications;
mod openapi;
mod outgoing_webhooks;
mod recording_links;
mod recording_pull;
mod recording_sources;
mod sandbox_limits;
mod server;
mod threecx;
mod usercrm;
