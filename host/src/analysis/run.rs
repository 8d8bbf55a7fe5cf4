//! One `analyze` job: the business's analyzer integration transcribes each
//! stored recording of the call (audio uploaded by the host), then analyses
//! the call. The worker stores the result (and so queues the automations),
//! on the call the job is for by then (see `AnalysisWorker::moved`).

use std::time::Duration;

use serde_json::Value;

use super::upload;
use crate::pull::sync::Syncer;
use crate::runtime::CallError;
use crate::runtime::limits::Breach;
use crate::runtime::registry::manifest::World;
use crate::runtime::wit::since_v0_1_0::analyzer::exports::switchboard::connector::analysis::{
    Audio, CallContext,
};
use crate::runtime::wit::since_v0_1_0::types::{ConnectorError, Direction};
use crate::store::{AnalysisResult, Integration, Recording, StoreError};

/// Why a job did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// It may work later (the analyser's API is down, a rate limit).
    Retry(String),
    /// It will not work without a change (bad key, bad request): `ai.failed`.
    Permanent(String),
    /// Nothing to do (no analyzer connected, nothing recorded).
    Skip(String),
    /// The job's call is not there: deleted with its integration, or
    /// adopted by a webhook call, which took the job with it.
    CallGone,
}

fn connector(e: ConnectorError) -> Failure {
    let e = crate::ingest::connector_error(e);
    let text = format!("{}: {}", e.code, e.message);
    match e.code {
        "vendor_unreachable" | "vendor_error" => Failure::Retry(text),
        _ => Failure::Permanent(text),
    }
}

fn sandbox(e: CallError) -> Failure {
    let text = format!("{}: {e}", e.code());
    match e {
        // A slow AI provider passes: the wall-clock limit is retried too.
        CallError::Breach(
            Breach::Rate { .. } | Breach::Concurrency { .. } | Breach::WallTime { .. },
        ) => Failure::Retry(text),
        CallError::ComponentNotFound(_) | CallError::Host(_) | CallError::Busy { .. } => {
            Failure::Retry(text)
        }
        _ => Failure::Permanent(text),
    }
}

/// A failure of our database: it may pass.
pub(super) fn store_failed(e: StoreError) -> Failure {
    Failure::Retry(format!("internal: {e}"))
}

/// The business's analyzer: its default one, else the first connected.
pub async fn analyzer_of(
    syncer: &Syncer,
    business_id: &str,
) -> Result<Option<Integration>, StoreError> {
    let mut found: Vec<Integration> = syncer
        .store
        .list_integrations(business_id)
        .await?
        .into_iter()
        .filter(|i| {
            syncer
                .runtime
                .registry
                .get(&i.kind)
                .is_some_and(|c| c.manifest.worlds.contains(&World::Analyzer))
        })
        .collect();
    found.sort_by_key(|i| (!i.is_default, i.created_at));
    Ok(found.into_iter().next())
}

fn direction(s: &str) -> Direction {
    match s {
        "inbound" => Direction::Inbound,
        "outbound" => Direction::Outbound,
        "internal" => Direction::Internal,
        _ => Direction::Unknown,
    }
}

/// Runs the analyzer for one call: the result, to store.
pub async fn analyze(
    syncer: &Syncer,
    business_id: &str,
    call_id: &str,
    upload_timeout: Duration,
) -> Result<AnalysisResult, Failure> {
    let Some(integration) = analyzer_of(syncer, business_id)
        .await
        .map_err(store_failed)?
    else {
        return Err(Failure::Skip("no analyzer is connected".into()));
    };
    let call = match syncer.store.get_call(business_id, call_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(Failure::CallGone),
        Err(e) => return Err(store_failed(e)),
    };
    let recordings: Vec<_> = syncer
        .store
        .call_recordings(business_id, call_id)
        .await
        .map_err(store_failed)?
        .into_iter()
        .filter(|r| r.status == "stored")
        .collect();
    let recordings = one_copy(recordings);
    let (target, installation) = syncer
        .target_of(&integration)
        .await
        .map_err(|e| Failure::Retry(format!("internal: {e:#}")))?;

    let mut transcripts = Vec::new();
    for recording in &recordings {
        let audio = Audio {
            mime_type: recording
                .mime_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
            size_bytes: u64::try_from(recording.size_bytes.unwrap_or(0)).unwrap_or(0),
            file_name: upload::file_name(recording),
        };
        let request = syncer
            .runtime
            .transcription_request(&target, &installation, &audio)
            .await
            .map_err(sandbox)?
            .map_err(connector)?;
        let reply = upload::send(
            &syncer.runtime,
            &target,
            &syncer.storage,
            &request,
            recording,
            upload_timeout,
        )
        .await
        .map_err(Failure::Retry)?;
        let text = syncer
            .runtime
            .read_transcription(&target, &installation, &reply)
            .await
            .map_err(sandbox)?
            .map_err(connector)?;
        if !text.trim().is_empty() {
            transcripts.push(text);
        }
    }
    let p = &call.projection;
    let transcript = if transcripts.is_empty() {
        p.transcript.clone()
    } else {
        Some(transcripts.join("\n\n"))
    };
    if transcript.is_none() && p.summary.is_none() {
        return Err(Failure::Skip(
            "nothing to analyse: no stored recording and no vendor transcript".into(),
        ));
    }
    let context = CallContext {
        call_id: call.id.clone(),
        direction: direction(&p.direction),
        customer_phone: p.customer_phone.clone(),
        extension: p.extension.clone(),
        started_at: p.started_at,
        duration_sec: p.duration_sec.and_then(|d| u32::try_from(d).ok()),
        transcript: transcript.clone(),
        summary: p.summary.clone(),
        attributes: Vec::new(),
    };
    let result = syncer
        .runtime
        .analyze(&target, &installation, &context)
        .await
        .map_err(sandbox)?
        .map_err(connector)?;
    // The component's word is not taken for it: see `attributes`.
    let attributes = super::attributes::keep_allowed(
        result
            .attributes
            .into_iter()
            .map(|a| (a.name, Value::String(a.value)))
            .collect(),
    );
    Ok(AnalysisResult {
        transcript: result.transcript.or(transcript),
        summary: result.summary,
        score: result.score.map(|s| s.clamp(0.0, 100.0)),
        sentiment: result.sentiment,
        tags: result.tags,
        attributes,
    })
}

/// The stored recordings to transcribe. A call can hold the same audio
/// twice, pulled from a recording source and downloaded from the webhook
/// vendor's link (both connected to one PBX): then only the pulled ones
/// count, so the transcript is not doubled.
fn one_copy(stored: Vec<Recording>) -> Vec<Recording> {
    if stored.iter().any(|r| r.remote_id.is_some()) {
        stored
            .into_iter()
            .filter(|r| r.remote_id.is_some())
            .collect()
    } else {
        stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: &str, remote_id: Option<&str>) -> Recording {
        Recording {
            id: id.into(),
            call_id: "c".into(),
            status: "stored".into(),
            url: format!("/recordings/{id}/audio"),
            vendor_url: remote_id.is_none().then(|| format!("https://pbx/{id}.mp3")),
            mime_type: Some("audio/mpeg".into()),
            integration_id: Some("i".into()),
            remote_id: remote_id.map(Into::into),
            size_bytes: Some(1),
            sha256: Some("s".into()),
            started_at: None,
            duration_sec: None,
            error: None,
            created_at: 0,
            storage_key: Some(format!("b/{id}")),
        }
    }

    fn ids(recordings: &[Recording]) -> Vec<&str> {
        recordings.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn pulled_audio_wins_over_the_same_calls_downloaded_links() {
        let both = vec![stored("link", None), stored("pulled", Some("1042"))];
        assert_eq!(ids(&one_copy(both)), ["pulled"]);
        let links = vec![stored("a", None), stored("b", None)];
        assert_eq!(ids(&one_copy(links)), ["a", "b"]);
    }
}
