//! The API's spelling of the WIT enums: the kebab-case names of `types.wit`,
//! so a value means the same in a connector, the database and a response.

use crate::runtime::wit::since_v0_1_0::types::{
    CallOutcome, CallPhase, Direction, EndpointKind, MessageDirection, TransferKind,
};

pub fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
        Direction::Internal => "internal",
        Direction::Unknown => "unknown",
    }
}

pub fn outcome(o: CallOutcome) -> &'static str {
    match o {
        CallOutcome::Answered => "answered",
        CallOutcome::Missed => "missed",
        CallOutcome::Busy => "busy",
        CallOutcome::NoAnswer => "no-answer",
        CallOutcome::Failed => "failed",
        CallOutcome::Cancelled => "cancelled",
        CallOutcome::Unknown => "unknown",
    }
}

pub fn phase(p: CallPhase) -> &'static str {
    match p {
        CallPhase::Ringing => "ringing",
        CallPhase::Answered => "answered",
        CallPhase::Held => "held",
        CallPhase::Resumed => "resumed",
        CallPhase::Ended => "ended",
        CallPhase::Summary => "summary",
    }
}

pub fn endpoint(e: EndpointKind) -> &'static str {
    match e {
        EndpointKind::Extension => "extension",
        EndpointKind::Queue => "queue",
        EndpointKind::Other => "other",
    }
}

pub fn transfer(t: TransferKind) -> &'static str {
    match t {
        TransferKind::None => "none",
        TransferKind::Blind => "blind",
        TransferKind::Attended => "attended",
    }
}

pub fn message_direction(d: MessageDirection) -> &'static str {
    match d {
        MessageDirection::Received => "received",
        MessageDirection::Sent => "sent",
    }
}

/// Values the calls API accepts as filters, for its error messages.
pub const STATUSES: &[&str] = &["ringing", "answered", "held", "ended"];
pub const DIRECTIONS: &[&str] = &["inbound", "outbound", "internal", "unknown"];
