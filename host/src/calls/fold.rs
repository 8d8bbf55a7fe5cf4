//! Folding a call's events into one call record.
//!
//! The record is recomputed from *all* stored events of the call each time a
//! new one arrives, and the fold sorts them itself (by leg, then phase, then
//! time, then dedup key) before reading them. So the result depends only on
//! which events arrived, never on the order they arrived in: a vendor that
//! retries, or delivers ringing after hangup, or two requests racing on two
//! connections, all end in the same call. (Holds and resumes without a time
//! of their own are the exception: arrival order is all that orders them.) A call has a few dozen events at
//! most, so recomputing is cheap next to the database round trip.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::names;
use crate::runtime::wit::since_v0_1_0::types::{
    AnalysisEvent, CallEvent, CallOutcome, CallPhase, Direction, EndpointKind, Event, EventBody,
    RecordingLink, RecordingsEvent, TransferKind,
};
use crate::store::CallProjection;

/// The call record of these events (payloads as stored: serde JSON text of
/// the WIT `event`, oldest first). Payloads that do not parse, or are not about calls,
/// are skipped: they were validated on the way in.
pub fn fold(payloads: &[String]) -> CallProjection {
    let events: Vec<Event> = payloads
        .iter()
        // Straight from the text into the event, without a `Value` tree.
        .filter_map(|p| serde_json::from_str(p).ok())
        .collect();
    fold_events(&events)
}

/// One call event with what sorts it.
struct Step<'a> {
    key: &'a str,
    call: &'a CallEvent,
    /// When the event says it happened (see [`time_of`]).
    at: Option<i64>,
    /// Arrival order: the position of the event among the call's stored
    /// events, which are read oldest first. Used only between holds and
    /// resumes (see [`order`]).
    seq: usize,
}

/// Holds and resumes share a rank: a leg can be held and resumed many times,
/// and only their own order says whether it is on hold now.
fn phase_rank(phase: CallPhase) -> u8 {
    match phase {
        CallPhase::Ringing => 0,
        CallPhase::Answered => 1,
        CallPhase::Held | CallPhase::Resumed => 2,
        CallPhase::Ended => 4,
        CallPhase::Summary => 5,
    }
}

fn is_hold_change(phase: CallPhase) -> bool {
    matches!(phase, CallPhase::Held | CallPhase::Resumed)
}

/// A hold or resume happened at the event's own time, when the vendor gives
/// one (the call's start time, which such events may repeat, says nothing
/// about the hold); any other phase at the time that phase names.
fn time_of(event: &Event, call: &CallEvent) -> Option<i64> {
    if is_hold_change(call.phase) {
        return event.occurred_at;
    }
    call.ended_at
        .filter(|_| matches!(call.phase, CallPhase::Ended | CallPhase::Summary))
        .or(call.answered_at)
        .or(call.started_at)
}

/// Leg, phase, time, then the dedup key: so the fold does not depend on the
/// order events arrived in. The one exception is holds and resumes that
/// carry no time (`usercrm-pbx`'s `call_held`/`call_active` carry none):
/// arrival order is all there is to tell hold–resume–hold from
/// hold–hold–resume, so between those it decides before the key does.
fn order(a: &Step<'_>, b: &Step<'_>) -> Ordering {
    let arrival = |s: &Step<'_>| is_hold_change(s.call.phase).then_some(s.seq);
    (
        a.call.call.leg,
        phase_rank(a.call.phase),
        a.at,
        arrival(a),
        a.key,
    )
        .cmp(&(
            b.call.call.leg,
            phase_rank(b.call.phase),
            b.at,
            arrival(b),
            b.key,
        ))
}

pub fn fold_events(events: &[Event]) -> CallProjection {
    let mut steps = Vec::new();
    let mut recording_events: Vec<(&str, &RecordingsEvent)> = Vec::new();
    let mut analyses: Vec<(&str, Option<i64>, &AnalysisEvent)> = Vec::new();
    for (seq, event) in events.iter().enumerate() {
        let step = |call| Step {
            key: &event.dedup_key,
            call,
            at: time_of(event, call),
            seq,
        };
        match &event.body {
            EventBody::Call(call) => steps.push(step(call)),
            EventBody::Recordings(r) => {
                recording_events.push((&event.dedup_key, r));
                if let Some(details) = &r.details {
                    steps.push(step(details));
                }
            }
            EventBody::Analysis(a) => analyses.push((&event.dedup_key, event.occurred_at, a)),
            EventBody::Message(_) | EventBody::Agent(_) => {}
        }
    }
    steps.sort_by(order);

    let mut p = CallProjection {
        status: "ringing".into(),
        direction: "unknown".into(),
        ..CallProjection::default()
    };
    let legs = legs(&steps);
    let first = |f: &dyn Fn(&CallEvent) -> Option<String>| steps.iter().find_map(|s| f(s.call));

    p.direction = steps
        .iter()
        .map(|s| s.call.direction)
        .find(|d| *d != Direction::Unknown)
        .map_or("unknown", names::direction)
        .to_owned();
    p.customer_phone = first(&|c| c.customer_phone.clone());
    p.did = first(&|c| c.did.clone());
    // The agent who first took the call; failing that, the first who rang.
    p.extension = legs
        .values()
        .find_map(|l| l.answered_by.clone())
        .or_else(|| first(&|c| c.extension.clone()));

    p.started_at = steps
        .iter()
        .filter_map(|s| s.call.started_at.or(s.call.answered_at))
        .min();
    p.answered_at = steps.iter().filter_map(|s| s.call.answered_at).min();
    p.ended_at = steps.iter().filter_map(|s| s.call.ended_at).max();

    let summary = steps
        .iter()
        .rev()
        .find(|s| s.call.phase == CallPhase::Summary);
    let last_leg = current_leg(&legs);
    let ended = summary.is_some() || last_leg.is_some_and(|l| l.ended);
    p.status = if ended {
        "ended"
    } else if last_leg.is_some_and(|l| l.held) {
        "held"
    } else if p.answered_at.is_some() || legs.values().any(|l| l.answered_by.is_some()) {
        "answered"
    } else {
        "ringing"
    }
    .to_owned();

    let any_answered = legs
        .values()
        .any(|l| l.outcome == Some(CallOutcome::Answered))
        || p.answered_at.is_some();
    p.outcome = if any_answered {
        Some("answered".to_owned())
    } else if ended {
        summary
            .and_then(|s| s.call.outcome)
            .or_else(|| last_leg.and_then(|l| l.outcome))
            .or(Some(CallOutcome::Missed))
            .map(|o| names::outcome(o).to_owned())
    } else {
        None
    };
    p.hangup_cause = steps.iter().rev().find_map(|s| s.call.hangup_cause.clone());

    let max_duration = steps.iter().filter_map(|s| s.call.duration_sec).max();
    p.duration_sec = summary
        .and_then(|s| s.call.duration_sec)
        .or(match (p.started_at, p.ended_at) {
            (Some(start), Some(end)) if end >= start => u32::try_from((end - start) / 1000).ok(),
            _ => None,
        })
        .or(max_duration)
        .map(i64::from);
    let leg_talk: u32 = legs.values().filter_map(|l| l.talk_sec).sum();
    p.talk_sec = summary
        .and_then(|s| s.call.talk_sec)
        .or((leg_talk > 0).then_some(leg_talk))
        .map(i64::from);

    p.recordings = recordings(&steps, &recording_events);
    analyses.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    p.transcript = analyses.iter().rev().find_map(|a| a.2.transcript.clone());
    p.summary = analyses.iter().rev().find_map(|a| a.2.summary.clone());

    p.attributes = attributes(&steps, &analyses);
    // The leg that says where the call is, marked for call control: a hold
    // goes to it, not to whichever leg sorts last.
    let live = last_leg.map(|l| (l.leg, l.external_id.clone()));
    p.legs = Value::Array(
        legs.into_iter()
            .map(|(key, leg)| leg.into_json(live.as_ref() == Some(&key)))
            .collect(),
    );
    p
}

/// One leg: every event with the same external id.
#[derive(Default)]
struct Leg {
    external_id: String,
    leg: u32,
    rang: Vec<String>,
    extension_kind: Option<&'static str>,
    answered_by: Option<String>,
    transfer: Option<&'static str>,
    transferred: bool,
    outcome: Option<CallOutcome>,
    held: bool,
    ended: bool,
    started_at: Option<i64>,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    talk_sec: Option<u32>,
    hangup_cause: Option<String>,
}

impl Leg {
    fn into_json(self, live: bool) -> Value {
        json!({
            "externalId": self.external_id,
            "leg": self.leg,
            "live": live,
            "rang": self.rang,
            "extensionKind": self.extension_kind,
            "answeredBy": self.answered_by,
            "transfer": self.transfer,
            "transferred": self.transferred,
            "outcome": self.outcome.map(names::outcome),
            "startedAt": self.started_at,
            "answeredAt": self.answered_at,
            "endedAt": self.ended_at,
            "talkSec": self.talk_sec,
            "hangupCause": self.hangup_cause,
        })
    }
}

/// The leg that says where the call is: of the legs with the highest leg
/// number (the chain's latest step), one still open if there is one, the
/// most recently active first. A vendor that numbers every leg 0 (one per
/// agent rung, `usercrm-pbx`) must not have a missed agent's hang-up end a
/// call another agent is still on, nor the order of the legs' ids decide.
fn current_leg(legs: &BTreeMap<(u32, String), Leg>) -> Option<&Leg> {
    let top = legs.keys().next_back()?.0;
    let rank = |l: &Leg| {
        let active = l.ended_at.max(l.answered_at).max(l.started_at);
        (!l.ended, active)
    };
    legs.range((top, String::new())..)
        .map(|(_, leg)| leg)
        .max_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.external_id.cmp(&b.external_id))
        })
}

fn legs(steps: &[Step<'_>]) -> BTreeMap<(u32, String), Leg> {
    let mut legs: BTreeMap<(u32, String), Leg> = BTreeMap::new();
    for s in steps {
        let c = s.call;
        let leg = legs
            .entry((c.call.leg, c.call.external_id.clone()))
            .or_insert_with(|| Leg {
                external_id: c.call.external_id.clone(),
                leg: c.call.leg,
                ..Leg::default()
            });
        if let Some(ext) = &c.extension
            && c.phase == CallPhase::Ringing
            && !leg.rang.contains(ext)
        {
            leg.rang.push(ext.clone());
        }
        leg.extension_kind = leg
            .extension_kind
            .or(Some(names::endpoint(c.extension_kind)));
        // A queue "answers" only in that one of its agents did: the agent is
        // who answered, and the queue's own ended event must not claim it.
        // A leg put on hold or taken off it was answered by whoever did it,
        // even when the vendor sent no answer event (or it is still on its way).
        let answered = matches!(
            c.phase,
            CallPhase::Answered | CallPhase::Held | CallPhase::Resumed
        ) || (c.outcome == Some(CallOutcome::Answered)
            && c.extension_kind != EndpointKind::Queue
            && leg.extension_kind != Some("queue"));
        if answered && leg.answered_by.is_none() {
            leg.answered_by.clone_from(&c.extension);
        }
        if leg.transfer.is_none() || c.transfer != TransferKind::None {
            leg.transfer = Some(names::transfer(c.transfer));
        }
        leg.transferred |= c.transferred;
        if c.outcome.is_some() {
            leg.outcome = c.outcome;
        }
        match c.phase {
            CallPhase::Held => leg.held = true,
            CallPhase::Resumed => leg.held = false,
            CallPhase::Ended | CallPhase::Summary => {
                leg.ended = true;
                leg.held = false;
            }
            _ => {}
        }
        leg.started_at = min_opt(leg.started_at, c.started_at);
        leg.answered_at = min_opt(leg.answered_at, c.answered_at);
        leg.ended_at = leg.ended_at.max(c.ended_at);
        leg.talk_sec = leg.talk_sec.max(c.talk_sec);
        if c.hangup_cause.is_some() {
            leg.hangup_cause.clone_from(&c.hangup_cause);
        }
    }
    legs
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Every distinct link, in the vendor's order: by leg; within a leg, the
/// links of call events (in fold order) before those of the separate
/// recording POSTs (by dedup key, so not by arrival), and within one event
/// as the vendor listed them — 3CX lists a conversation's files in the
/// order they were recorded, and transcripts are joined in this order. A
/// URL seen twice keeps its first place.
fn recordings(
    steps: &[Step<'_>],
    recording_events: &[(&str, &RecordingsEvent)],
) -> Vec<(String, Option<String>)> {
    // (leg, source: call events first, event's rank, link's index, link)
    let mut all: Vec<(u32, u8, usize, usize, &RecordingLink)> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        for (j, link) in s.call.recordings.iter().enumerate() {
            all.push((s.call.call.leg, 0, i, j, link));
        }
    }
    let mut posts: Vec<&(&str, &RecordingsEvent)> = recording_events.iter().collect();
    posts.sort_by_key(|(key, e)| (e.call.leg, *key));
    for (i, (_, e)) in posts.iter().enumerate() {
        for (j, link) in e.recordings.iter().enumerate() {
            all.push((e.call.leg, 1, i, j, link));
        }
    }
    all.sort_by_key(|&(leg, source, i, j, _)| (leg, source, i, j));
    let mut seen = std::collections::HashSet::new();
    all.into_iter()
        .filter(|(.., link)| !link.url.is_empty() && seen.insert(link.url.as_str()))
        .map(|(.., link)| (link.url.clone(), link.mime_type.clone()))
        .collect()
}

/// Vendor attributes of the call: later phases override earlier ones, and
/// the vendor's analytics extras live under `analysis.`.
fn attributes(steps: &[Step<'_>], analyses: &[(&str, Option<i64>, &AnalysisEvent)]) -> Value {
    let mut map = Map::new();
    for s in steps {
        for pair in &s.call.attributes {
            map.insert(pair.name.clone(), Value::String(pair.value.clone()));
        }
    }
    for (_, _, a) in analyses {
        for pair in &a.attributes {
            map.insert(
                format!("analysis.{}", pair.name),
                Value::String(pair.value.clone()),
            );
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::wit::since_v0_1_0::types::CallRef;

    /// A `usercrm-pbx`-like event: every leg numbered 0, told apart by id.
    fn leg0(id: &str, key: &str, phase: CallPhase, at: i64, ext: &str) -> Event {
        let ends = matches!(phase, CallPhase::Ended);
        Event {
            dedup_key: key.into(),
            occurred_at: Some(at),
            body: EventBody::Call(CallEvent {
                call: CallRef {
                    external_id: id.into(),
                    chain_id: "session".into(),
                    leg: 0,
                },
                phase,
                direction: Direction::Inbound,
                customer_phone: Some("+79161234567".into()),
                extension: Some(ext.into()),
                extension_kind: EndpointKind::Extension,
                did: None,
                user_id: None,
                transfer: TransferKind::None,
                transferred: false,
                outcome: ends.then_some(CallOutcome::Missed),
                hangup_cause: None,
                started_at: Some(at),
                answered_at: matches!(phase, CallPhase::Answered).then_some(at),
                ended_at: ends.then_some(at),
                duration_sec: None,
                talk_sec: None,
                recordings: Vec::new(),
                attributes: Vec::new(),
            }),
        }
    }

    #[test]
    fn a_missed_agent_does_not_end_a_call_another_agent_is_on() {
        // Agent 102's leg id sorts after 101's, and it is the one that ends.
        let events = [
            leg0("a-101", "k1", CallPhase::Ringing, 1_000, "101"),
            leg0("z-102", "k2", CallPhase::Ringing, 1_000, "102"),
            leg0("a-101", "k3", CallPhase::Answered, 2_000, "101"),
            leg0("z-102", "k4", CallPhase::Ended, 2_000, "102"),
        ];
        assert_eq!(fold_events(&events).status, "answered");
        // The same with the ids the other way round.
        let swapped = [
            leg0("z-101", "k1", CallPhase::Ringing, 1_000, "101"),
            leg0("a-102", "k2", CallPhase::Ringing, 1_000, "102"),
            leg0("z-101", "k3", CallPhase::Answered, 2_000, "101"),
            leg0("a-102", "k4", CallPhase::Ended, 2_000, "102"),
        ];
        assert_eq!(fold_events(&swapped).status, "answered");
        // The leg marked live (where a hold goes) is the agent on the call,
        // whichever way the ids sort.
        for events in [&events[..], &swapped[..]] {
            let legs = fold_events(events).legs;
            let live: Vec<&Value> = legs
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["live"] == true)
                .collect();
            assert_eq!(live.len(), 1, "{legs}");
            assert_eq!(live[0]["answeredBy"], "101", "{legs}");
        }
        // Once the agent on the call hangs up too, it is over.
        let mut over = events.to_vec();
        over.push(leg0("a-101", "k5", CallPhase::Ended, 3_000, "101"));
        assert_eq!(fold_events(&over).status, "ended");
    }

    #[test]
    fn recordings_keep_the_vendors_order() {
        let link = |url: &str| RecordingLink {
            url: url.into(),
            mime_type: None,
        };
        let post = |key: &str, urls: &[&str]| Event {
            dedup_key: key.into(),
            occurred_at: None,
            body: EventBody::Recordings(RecordingsEvent {
                call: CallRef {
                    external_id: "c-1".into(),
                    chain_id: "c".into(),
                    leg: 1,
                },
                recordings: urls.iter().map(|u| link(u)).collect(),
                details: None,
            }),
        };
        let events = [
            leg0("a-101", "k1", CallPhase::Answered, 1_000, "101"),
            post("rec:2", &["https://x/b.mp3", "https://x/a.mp3"]),
            post("rec:1", &["https://x/z.mp3", "https://x/b.mp3"]),
        ];
        let urls: Vec<String> = fold_events(&events)
            .recordings
            .into_iter()
            .map(|(url, _)| url)
            .collect();
        // By post (dedup key), then as listed; the repeated b.mp3 once.
        assert_eq!(
            urls,
            ["https://x/z.mp3", "https://x/b.mp3", "https://x/a.mp3"]
        );
        let mut reversed = events.clone();
        reversed.reverse();
        let again: Vec<String> = fold_events(&reversed)
            .recordings
            .into_iter()
            .map(|(url, _)| url)
            .collect();
        assert_eq!(again, urls, "arrival order does not matter");
    }

    /// A hold or resume as `usercrm-pbx` sends them: no time of its own.
    fn hold_change(key: &str, phase: CallPhase) -> Event {
        let mut event = leg0("a-101", key, phase, 0, "101");
        event.occurred_at = None;
        if let EventBody::Call(call) = &mut event.body {
            // The call's start, repeated: says nothing about the hold.
            call.started_at = Some(1_000);
        }
        event
    }

    #[test]
    fn holds_and_resumes_without_times_follow_arrival_order() {
        let answered = leg0("a-101", "k1", CallPhase::Answered, 2_000, "101");
        // Keys chosen so that sorting by key would put the resume last.
        let hold_1 = hold_change("h1", CallPhase::Held);
        let resume = hold_change("r9", CallPhase::Resumed);
        let hold_2 = hold_change("h2", CallPhase::Held);
        let status = |events: &[Event]| fold_events(events).status;
        assert_eq!(status(&[answered.clone(), hold_1.clone()]), "held");
        assert_eq!(
            status(&[answered.clone(), hold_1.clone(), resume.clone()]),
            "answered"
        );
        assert_eq!(
            status(&[answered.clone(), hold_1.clone(), resume.clone(), hold_2]),
            "held",
            "held a second time"
        );
        // A resume stored before the hold it ends (a vendor's own times
        // missing) reads the other way: arrival is all there is.
        assert_eq!(status(&[answered, resume, hold_1]), "held");
    }

    #[test]
    fn holds_and_resumes_with_times_follow_their_times() {
        let answered = leg0("a-101", "k1", CallPhase::Answered, 2_000, "101");
        let mut hold = hold_change("h1", CallPhase::Held);
        hold.occurred_at = Some(3_000);
        let mut resume = hold_change("r1", CallPhase::Resumed);
        resume.occurred_at = Some(4_000);
        // The resume arrived first; its time says it came second.
        let events = [answered, resume, hold];
        assert_eq!(fold_events(&events).status, "answered");
    }
}
