//! The host side of the `capabilities` world: everything a component is
//! granted, one small module per interface. Each call's [`CallState`] carries
//! the installation the call is for, so every capability is scoped to it.

mod clock;
mod config;
mod directory;
mod http;
mod log;
mod state;

pub(crate) use http::without_url;

use super::call_state::CallState;
use super::wit::since_v0_1_0::capabilities::{Capabilities, switchboard::connector::types};
use wasmtime::component::{HasSelf, Linker};

impl types::Host for CallState {}

/// Adds WASI (granting nothing) and our capabilities to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    Capabilities::add_to_linker::<CallState, HasSelf<CallState>>(linker, |s| s)
}
