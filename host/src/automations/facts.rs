//! A call as automations see it: the folded call plus its latest analysis.

use switchboard_flows::CallFacts;

use crate::store::{Call, CallAnalysis};

/// The facts of `call`; `public_url` builds `{{link}}`.
pub fn call_facts(
    call: &Call,
    analysis: Option<&CallAnalysis>,
    integration_kind: Option<&str>,
    public_url: &str,
) -> CallFacts {
    let p = &call.projection;
    let a = analysis.map(|a| &a.result);
    CallFacts {
        call_id: Some(call.id.clone()),
        link: Some(format!(
            "{}/calls/{}",
            public_url.trim_end_matches('/'),
            call.id
        )),
        score: a.and_then(|a| a.score),
        sentiment: a.and_then(|a| a.sentiment.clone()),
        tags: a.map(|a| a.tags.clone()).unwrap_or_default(),
        direction: Some(p.direction.clone()),
        duration: p.duration_sec.map(|d| d as f64),
        talk_time: p.talk_sec.map(|d| d as f64),
        customer_phone: p.customer_phone.clone(),
        extension: p.extension.clone(),
        did: p.did.clone(),
        status: Some(p.status.clone()),
        outcome: p.outcome.clone(),
        // The analysis' own text wins over the vendor's fold.
        summary: a
            .and_then(|a| a.summary.clone())
            .or_else(|| p.summary.clone()),
        transcript: a
            .and_then(|a| a.transcript.clone())
            .or_else(|| p.transcript.clone()),
        integration_id: Some(call.integration_id.clone()),
        integration_kind: integration_kind.map(str::to_owned),
    }
}
