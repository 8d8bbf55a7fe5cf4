//! Per-tenant resource limits and the typed breaches that end a call.
//!
//! Defaults come from server configuration (`[limits]`); a tenant may have
//! overrides stored with its business row. Every field of an override is
//! optional, so an operator raises one limit without restating the rest.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The limits one call of one tenant runs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// Config keys are snake_case like every other setting (`[limits]` in the
/// TOML file, `SWITCHBOARD_LIMITS__CPU_MS_PER_CALL`).
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest linear memory a component instance may grow to, in bytes.
    pub max_memory_bytes: u64,
    /// CPU time per call: the time it runs on a thread, guest code and the
    /// host's work for it alike; time it waits (HTTP, the database, a WASI
    /// sleep) does not count (`call_state::CpuMeter`).
    pub cpu_ms_per_call: u64,
    /// Wall-clock time per call, waits included: a guest sleeping on a WASI
    /// timer or on slow host calls uses no CPU but holds a concurrency slot
    /// and a pooled instance, so the CPU limit alone does not bound it.
    pub wall_ms_per_call: u64,
    /// Calls of this tenant running at once, across all its installations.
    pub max_concurrent_calls: u32,
    /// Calls of this tenant started per minute.
    pub calls_per_minute: u32,
    /// Outbound HTTP requests one call may make.
    pub http_requests_per_call: u32,
    /// Outbound HTTP bytes one call may move: URLs, headers and bodies, both ways.
    pub http_bytes_per_call: u64,
    /// State and directory operations one call may make: each is a database
    /// query whose time the CPU limit does not count.
    pub store_calls_per_call: u32,
    /// Largest reply (HTTP body plus serialised events) a call may return.
    pub max_reply_bytes: u64,
    /// Keys one installation may keep in `state` (the host's own `host.*`
    /// keys aside). Not per call: what the calls of an installation leave
    /// behind, which would otherwise grow without bound.
    pub max_state_keys: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory_bytes: 64 << 20,
            cpu_ms_per_call: 1_000,
            wall_ms_per_call: 300_000,
            max_concurrent_calls: 32,
            calls_per_minute: 6_000,
            http_requests_per_call: 16,
            http_bytes_per_call: 16 << 20,
            store_calls_per_call: 1_000,
            max_reply_bytes: 4 << 20,
            max_state_keys: 256,
        }
    }
}

/// A partial [`Limits`]: what a tenant overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitOverrides {
    pub max_memory_bytes: Option<u64>,
    pub cpu_ms_per_call: Option<u64>,
    pub wall_ms_per_call: Option<u64>,
    pub max_concurrent_calls: Option<u32>,
    pub calls_per_minute: Option<u32>,
    pub http_requests_per_call: Option<u32>,
    pub http_bytes_per_call: Option<u64>,
    pub store_calls_per_call: Option<u32>,
    pub max_reply_bytes: Option<u64>,
    pub max_state_keys: Option<u32>,
}

impl Limits {
    /// These limits with a tenant's overrides applied. `ceiling_memory` is the
    /// engine's pooled slot size: no override can exceed what the pool reserved.
    pub fn with_overrides(&self, o: &LimitOverrides, ceiling_memory: u64) -> Limits {
        Limits {
            max_memory_bytes: o
                .max_memory_bytes
                .unwrap_or(self.max_memory_bytes)
                .min(ceiling_memory),
            cpu_ms_per_call: o.cpu_ms_per_call.unwrap_or(self.cpu_ms_per_call),
            wall_ms_per_call: o.wall_ms_per_call.unwrap_or(self.wall_ms_per_call),
            max_concurrent_calls: o.max_concurrent_calls.unwrap_or(self.max_concurrent_calls),
            calls_per_minute: o.calls_per_minute.unwrap_or(self.calls_per_minute),
            http_requests_per_call: o
                .http_requests_per_call
                .unwrap_or(self.http_requests_per_call),
            http_bytes_per_call: o.http_bytes_per_call.unwrap_or(self.http_bytes_per_call),
            store_calls_per_call: o.store_calls_per_call.unwrap_or(self.store_calls_per_call),
            max_reply_bytes: o.max_reply_bytes.unwrap_or(self.max_reply_bytes),
            max_state_keys: o.max_state_keys.unwrap_or(self.max_state_keys),
        }
    }

    pub fn cpu_time(&self) -> Duration {
        Duration::from_millis(self.cpu_ms_per_call)
    }

    pub fn wall_time(&self) -> Duration {
        Duration::from_millis(self.wall_ms_per_call)
    }
}

/// A limit a call ran into. The call ends; the caller sees this, the host logs
/// it and records it as a component incident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Breach {
    #[error("the call used more than {limit_ms} ms of CPU time")]
    CpuTime { limit_ms: u64 },
    #[error("the call ran for more than {limit_ms} ms")]
    WallTime { limit_ms: u64 },
    #[error("the component tried to grow its memory past {limit_bytes} bytes")]
    Memory { limit_bytes: u64 },
    #[error("the tenant already has {limit} calls running")]
    Concurrency { limit: u32 },
    #[error("the tenant exceeded {limit} calls per minute")]
    Rate { limit: u32 },
    #[error("outbound HTTP to {destination} refused: {reason}")]
    EgressDenied { destination: String, reason: String },
    #[error("the call made more than {limit} outbound HTTP requests")]
    HttpRequests { limit: u32 },
    #[error("the call moved more than {limit} bytes of outbound HTTP")]
    HttpBytes { limit: u64 },
    #[error("the call made more than {limit} state and directory operations")]
    StoreCalls { limit: u32 },
    #[error("the reply was {size} bytes, over the {limit}-byte limit")]
    ReplyTooLarge { size: u64, limit: u64 },
}

impl Breach {
    /// The documented error code.
    pub fn code(&self) -> &'static str {
        match self {
            Breach::CpuTime { .. } => "limit_cpu_time",
            Breach::WallTime { .. } => "limit_wall_time",
            Breach::Memory { .. } => "limit_memory",
            Breach::Concurrency { .. } => "limit_concurrency",
            Breach::Rate { .. } => "limit_rate",
            Breach::EgressDenied { .. } => "egress_denied",
            Breach::HttpRequests { .. } => "limit_http_requests",
            Breach::HttpBytes { .. } => "limit_http_bytes",
            Breach::StoreCalls { .. } => "limit_store_calls",
            Breach::ReplyTooLarge { .. } => "limit_reply_size",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name_and_respect_the_ceiling() {
        let base = Limits::default();
        let o = LimitOverrides {
            cpu_ms_per_call: Some(50),
            max_memory_bytes: Some(1 << 40),
            ..Default::default()
        };
        let l = base.with_overrides(&o, 128 << 20);
        assert_eq!(l.cpu_ms_per_call, 50);
        assert_eq!(l.max_memory_bytes, 128 << 20);
        assert_eq!(l.calls_per_minute, base.calls_per_minute);
    }

    #[test]
    fn overrides_reject_unknown_fields() {
        let err = serde_json::from_str::<LimitOverrides>(r#"{"cpuMs": 5}"#);
        assert!(err.is_err());
    }
}
