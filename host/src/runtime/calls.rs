//! Calling into components: one method per exported function, sharing the
//! admission → store → instantiate → call → classify sequence.

use super::Runtime;
use super::call_state::{CallContext, CallState};
use super::limits::{Breach, Limits};
use super::registry::{Bindings, LoadedComponent};
use super::services::IncidentReport;
use super::wit::since_v0_1_0 as v0_1;
use std::sync::Arc;
use wasmtime::{Store, UpdateDeadline};

use v0_1::analyzer::exports::switchboard::connector::analysis as ana;
use v0_1::call_control::exports::switchboard::connector::pbx_control as pbx;
use v0_1::channel::exports::switchboard::connector::delivery as chan;
use v0_1::recording_source::exports::switchboard::connector::recordings as rec;
use v0_1::types::{ConnectorError, Event};

/// The sequence every export shares: find the component and the world's
/// pre-instance, admit the call under the tenant's rate and concurrency
/// limits, build a store with its memory and CPU limits, run `$call` with
/// `$store` and `$pre` bound, and classify and report a failure. A macro
/// rather than a generic function because `$call` borrows the store across
/// awaits, which closures cannot express without boxing every call.
macro_rules! invoke {
    ($self:ident, $target:ident, $field:ident, $world:literal, |$store:ident, $pre:ident| $call:block) => {{
        let component = $self.component($target)?;
        let $pre =
            $self
                .v0_1(&component)
                .$field
                .clone()
                .ok_or_else(|| CallError::WorldNotServed {
                    component: $target.component.clone(),
                    world: $world,
                })?;
        let _ticket = match $self
            .admission
            .admit(&$target.context.business_id, &$target.limits)
        {
            Ok(ticket) => ticket,
            Err(breach) => {
                $self.refused($target, &component, breach.clone()).await;
                return Err(CallError::Breach(breach));
            }
        };
        // A pooled instance slot (see `Runtime::instance_slots`), waited for
        // at most `instance_wait`: other tenants' slow calls filling the
        // pool must not hold this one (a vendor's webhook) for minutes. Not
        // the tenant's breach and not the component's incident: the server
        // is full, and the caller retries.
        let _slot = match tokio::time::timeout(
            $self.settings.instance_wait,
            $self.instance_slots.acquire(),
        )
        .await
        {
            Ok(slot) => slot.map_err(|e| CallError::Host(e.into()))?,
            Err(_) => {
                tracing::warn!(component = %$target.component, business = %$target.context.business_id, "every pooled instance stayed busy; call refused");
                return Err(CallError::Busy {
                    waited_ms: u64::try_from($self.settings.instance_wait.as_millis())
                        .unwrap_or(u64::MAX),
                });
            }
        };
        let mut $store = $self.new_store($target, &component);
        // The CPU meter counts only the polls of the call's future (see
        // `CpuMeter`); a guest waiting (a WASI sleep, a slow host call) is
        // bounded by the wall clock. Dropping the call's future on expiry
        // drops the instance with it.
        let limit_ms = $target.limits.wall_ms_per_call;
        let meter = Arc::clone(&$store.data().meter);
        let timed = {
            let mut call = std::pin::pin!(async { $call });
            let metered = std::future::poll_fn(|cx| {
                let _running = meter.running();
                call.as_mut().poll(cx)
            });
            tokio::time::timeout($target.limits.wall_time(), metered).await
        };
        let result = match timed {
            Ok(result) => result,
            Err(_) => {
                drop($store);
                let error = CallError::Breach(Breach::WallTime { limit_ms });
                $self.report($target, &component, &error).await;
                return Err(error);
            }
        };
        match result {
            Ok(r) => r,
            Err(e) => {
                let error = $self.classify($target, &$store, e);
                drop($store);
                $self.report($target, &component, &error).await;
                return Err(error);
            }
        }
    }};
}

/// Everything about one call except its arguments.
#[derive(Debug, Clone)]
pub struct CallTarget {
    /// The component's registry name (the integration kind).
    pub component: String,
    pub context: CallContext,
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no component named `{0}` is loaded")]
    ComponentNotFound(String),
    #[error("component `{component}` does not serve the `{world}` world")]
    WorldNotServed {
        component: String,
        world: &'static str,
    },
    #[error(transparent)]
    Breach(#[from] Breach),
    #[error("the component crashed: {message}")]
    Trap { message: String },
    #[error("host error running the component: {0:#}")]
    Host(anyhow::Error),
    /// Every pooled instance stayed in use for `waited_ms`: the server is
    /// full. Retry later; no limit of the tenant's was reached.
    #[error("the sandbox had no free instance for {waited_ms} ms; try again later")]
    Busy { waited_ms: u64 },
}

impl CallError {
    /// The documented error code.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::ComponentNotFound(_) => "component_not_found",
            CallError::WorldNotServed { .. } => "world_not_served",
            CallError::Breach(b) => b.code(),
            CallError::Trap { .. } => "component_crashed",
            CallError::Host(_) => "internal",
            CallError::Busy { .. } => "sandbox_busy",
        }
    }
}

/// What an `ingest` call returned, with each event's JSON text. The
/// reply-size limit counts that text, so it is made here, once, and the
/// store keeps it as it is.
#[derive(Debug)]
pub struct IngestOutput {
    /// What the vendor gets back.
    pub response: v0_1::types::HttpResponse,
    pub events: Vec<Event>,
    /// `events[i]` as JSON.
    pub events_json: Vec<String>,
}

type V01Pres<'a> = &'a super::registry::PresV0_1;

impl Runtime {
    fn component(&self, target: &CallTarget) -> Result<Arc<LoadedComponent>, CallError> {
        self.registry
            .get(&target.component)
            .ok_or_else(|| CallError::ComponentNotFound(target.component.clone()))
    }

    /// A store for one call, with the tenant's memory limit and a CPU meter
    /// that yields to the executor every epoch tick (so a busy guest never
    /// starves other tenants' calls) and traps past the CPU limit.
    fn new_store(&self, target: &CallTarget, component: &LoadedComponent) -> Store<CallState> {
        let state = CallState::new(
            Arc::new(target.context.clone()),
            Arc::clone(&self.env),
            target.limits.clone(),
            component.label(),
            component.allow_list.clone(),
        );
        let mut store = Store::new(self.registry.engine(), state);
        store.limiter(|s| &mut s.memory);
        store.set_epoch_deadline(1);
        let limit = target.limits.cpu_time();
        let limit_ms = target.limits.cpu_ms_per_call;
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().meter.guest_time() > limit {
                return Err(wasmtime::Error::new(Breach::CpuTime { limit_ms }));
            }
            // Parked in the executor, the call's future is pending: the
            // meter does not count the wait.
            Ok(UpdateDeadline::YieldCustom(
                1,
                Box::pin(tokio::task::yield_now()),
            ))
        });
        store
    }

    /// Refuses a reply over the tenant's `max_reply_bytes`, measured as its
    /// JSON (what the host stores or answers), as a breach with an
    /// incident, like `ingest`'s. A page of recordings, a PBX's call
    /// history or a transcript is otherwise bounded only by the guest's
    /// memory, times every instance in the pool. Not for the exports with
    /// an effect (`send`, `click-to-call`, `hold`): refused after the
    /// message went out, a reply would be retried and the effect repeated.
    async fn bounded<T: serde::Serialize>(
        &self,
        target: &CallTarget,
        reply: T,
    ) -> Result<T, CallError> {
        let size = json_size(&reply);
        if size <= target.limits.max_reply_bytes {
            return Ok(reply);
        }
        let error = CallError::Breach(Breach::ReplyTooLarge {
            size,
            limit: target.limits.max_reply_bytes,
        });
        if let Ok(component) = self.component(target) {
            self.report(target, &component, &error).await;
        }
        Err(error)
    }

    /// Turns a failed call into a typed error.
    fn classify(
        &self,
        target: &CallTarget,
        store: &Store<CallState>,
        err: wasmtime::Error,
    ) -> CallError {
        let state = store.data();
        if let Some(b) = state.breach.clone() {
            CallError::Breach(b)
        } else if state.memory.refused {
            CallError::Breach(Breach::Memory {
                limit_bytes: target.limits.max_memory_bytes,
            })
        } else if let Some(b) = err.downcast_ref::<Breach>() {
            CallError::Breach(b.clone())
        } else if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
            let stderr = state.stderr_text();
            let message = if stderr.is_empty() {
                trap.to_string()
            } else {
                format!("{trap}: {stderr}")
            };
            CallError::Trap { message }
        } else {
            CallError::Host(anyhow::Error::from(err))
        }
    }

    /// A refusal by admission: reported at a sampled rate (see `refusals`).
    async fn refused(&self, target: &CallTarget, component: &LoadedComponent, breach: Breach) {
        let business = &target.context.business_id;
        if let Some(count) = self.refusals.note(business, std::time::Instant::now()) {
            let error = CallError::Breach(breach);
            tracing::warn!(business = %business, refused = count, "tenant over its limit: calls refused");
            let report = IncidentReport {
                business_id: business.clone(),
                installation_id: Some(target.context.installation_id.clone())
                    .filter(|s| !s.is_empty()),
                component: component.manifest.name.clone(),
                component_version: component.manifest.version.clone(),
                kind: error.code().to_string(),
                message: format!("{error} ({count} calls refused since the last report)"),
            };
            if let Err(e) = self.env.services.record_incident(report).await {
                tracing::error!(error = %e, "could not record component incident");
            }
        }
    }

    async fn report(&self, target: &CallTarget, component: &LoadedComponent, error: &CallError) {
        let kind = error.code().to_string();
        tracing::warn!(
            business = %target.context.business_id,
            installation = %target.context.installation_id,
            component = %component.label(),
            code = %kind,
            error = %error,
            "component call failed"
        );
        let report = IncidentReport {
            business_id: target.context.business_id.clone(),
            installation_id: Some(target.context.installation_id.clone()).filter(|s| !s.is_empty()),
            component: component.manifest.name.clone(),
            component_version: component.manifest.version.clone(),
            kind,
            message: error.to_string(),
        };
        if let Err(e) = self.env.services.record_incident(report).await {
            tracing::error!(error = %e, "could not record component incident");
        }
    }

    fn v0_1<'a>(&self, component: &'a LoadedComponent) -> V01Pres<'a> {
        match &component.bindings {
            Bindings::V0_1(p) => p,
        }
    }

    /// Runs the `ingest` world's `handle`.
    pub async fn ingest(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        request: &v0_1::types::HttpRequest,
    ) -> Result<Result<IngestOutput, ConnectorError>, CallError> {
        let reply = invoke!(self, target, ingest, "ingest", |store, pre| {
            let instance = pre.instantiate_async(&mut store).await?;
            instance
                .switchboard_connector_ingest_handler()
                .call_handle(&mut store, installation, request)
                .await
        });
        let reply = match reply {
            Ok(reply) => reply,
            Err(refused) => return Ok(Err(refused)),
        };
        let events_json = reply
            .events
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CallError::Host(e.into()))?;
        let size = reply.response.body.len() as u64
            + events_json.iter().map(|j| j.len() as u64).sum::<u64>();
        if size > target.limits.max_reply_bytes {
            let error = CallError::Breach(Breach::ReplyTooLarge {
                size,
                limit: target.limits.max_reply_bytes,
            });
            let component = self.component(target)?;
            self.report(target, &component, &error).await;
            return Err(error);
        }
        Ok(Ok(IngestOutput {
            response: reply.response,
            events: reply.events,
            events_json,
        }))
    }

    /// `recording-source`: `test-connection`.
    pub async fn test_connection(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
    ) -> Result<Result<rec::ConnectionInfo, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(
                self,
                target,
                recording_source,
                "recording-source",
                |store, pre| {
                    let instance = pre.instantiate_async(&mut store).await?;
                    instance
                        .switchboard_connector_recordings()
                        .call_test_connection(&mut store, installation)
                        .await
                }
            ),
        )
        .await
    }

    /// `recording-source`: one page of `list-recordings`.
    pub async fn list_recordings(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Result<rec::RecordingPage, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(
                self,
                target,
                recording_source,
                "recording-source",
                |store, pre| {
                    let instance = pre.instantiate_async(&mut store).await?;
                    instance
                        .switchboard_connector_recordings()
                        .call_list_recordings(&mut store, installation, cursor, page_size)
                        .await
                }
            ),
        )
        .await
    }

    /// `recording-source`: how to fetch one recording's audio.
    pub async fn download_request(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        recording: &rec::RemoteRecording,
    ) -> Result<Result<rec::Download, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(
                self,
                target,
                recording_source,
                "recording-source",
                |store, pre| {
                    let instance = pre.instantiate_async(&mut store).await?;
                    instance
                        .switchboard_connector_recordings()
                        .call_download_request(&mut store, installation, recording)
                        .await
                }
            ),
        )
        .await
    }

    /// `analyzer`: how to upload one recording to speech-to-text.
    pub async fn transcription_request(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        audio: &ana::Audio,
    ) -> Result<Result<ana::Upload, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(self, target, analyzer, "analyzer", |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_analysis()
                    .call_transcription_request(&mut store, installation, audio)
                    .await
            }),
        )
        .await
    }

    /// `analyzer`: the transcript in the speech-to-text reply.
    pub async fn read_transcription(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        reply: &ana::UploadReply,
    ) -> Result<Result<String, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(self, target, analyzer, "analyzer", |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_analysis()
                    .call_read_transcription(&mut store, installation, reply)
                    .await
            }),
        )
        .await
    }

    /// `analyzer`: summary, score, sentiment and tags of a call.
    pub async fn analyze(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        call: &ana::CallContext,
    ) -> Result<Result<ana::AnalysisResult, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(self, target, analyzer, "analyzer", |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_analysis()
                    .call_analyze(&mut store, installation, call)
                    .await
            }),
        )
        .await
    }

    /// `call-control`: click-to-call.
    pub async fn click_to_call(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        request: &pbx::DialRequest,
    ) -> Result<Result<pbx::DialResult, ConnectorError>, CallError> {
        Ok(invoke!(
            self,
            target,
            call_control,
            "call-control",
            |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_pbx_control()
                    .call_click_to_call(&mut store, installation, request)
                    .await
            }
        ))
    }

    /// `call-control`: toggle hold.
    pub async fn hold(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        request: &pbx::HoldRequest,
    ) -> Result<Result<(), ConnectorError>, CallError> {
        Ok(invoke!(
            self,
            target,
            call_control,
            "call-control",
            |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_pbx_control()
                    .call_hold(&mut store, installation, request)
                    .await
            }
        ))
    }

    /// `call-control`: the PBX's own call history (seed 002 `get_cdr`).
    pub async fn call_history(
        &self,
        target: &CallTarget,
        installation: &v0_1::types::Installation,
        query: &pbx::HistoryQuery,
    ) -> Result<Result<Vec<v0_1::types::CallEvent>, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(self, target, call_control, "call-control", |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_pbx_control()
                    .call_call_history(&mut store, installation, query)
                    .await
            }),
        )
        .await
    }

    /// `channel`: check a destination's settings before it is saved.
    pub async fn validate_destination(
        &self,
        target: &CallTarget,
        destination: &chan::Destination,
    ) -> Result<Result<Vec<v0_1::types::Pair>, ConnectorError>, CallError> {
        self.bounded(
            target,
            invoke!(self, target, channel, "channel", |store, pre| {
                let instance = pre.instantiate_async(&mut store).await?;
                instance
                    .switchboard_connector_delivery()
                    .call_validate_destination(&mut store, destination)
                    .await
            }),
        )
        .await
    }

    /// `channel`: send one notification.
    pub async fn send(
        &self,
        target: &CallTarget,
        destination: &chan::Destination,
        notification: &chan::Notification,
    ) -> Result<chan::Outcome, CallError> {
        Ok(invoke!(self, target, channel, "channel", |store, pre| {
            let instance = pre.instantiate_async(&mut store).await?;
            instance
                .switchboard_connector_delivery()
                .call_send(&mut store, destination, notification)
                .await
        }))
    }
}

/// The length of `value` as JSON, without building the text.
fn json_size<T: serde::Serialize>(value: &T) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Serialising these types cannot fail; a failure counts what was written.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_measured_as_its_json() {
        let page: Result<Vec<String>, ConnectorError> = Ok(vec!["ab".into(), "c".into()]);
        assert_eq!(
            json_size(&page),
            serde_json::to_string(&page).unwrap().len() as u64
        );
        let text = "x".repeat(5 << 20);
        assert!(json_size(&text) > 5 << 20);
    }
}
