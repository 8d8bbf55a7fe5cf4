//! Parameter names, normalised (see [`crate::params::normalise`]), in priority
//! order. The vendor's own names come first; the others are spellings seen in
//! public material or plain guesses, listed in the README.

/// The call id (`210701165649_698-2`); `chid` is another vendor's spelling.
pub const ID: &[&str] = &["id", "callid", "chid"];
/// The external party.
pub const CALLER: &[&str] = &["callerid"];
/// The number the customer dialled (DID rule).
pub const DID: &[&str] = &["did"];
/// Our side: the extension (or queue) that rang or talked.
pub const USER: &[&str] = &["user", "ext", "extension"];
/// `ext` / `queue` / `other`.
pub const USER_TYPE: &[&str] = &["usertype"];
/// `NotDef` / `Blind` / `Accomp`.
pub const TRANSFER_TYPE: &[&str] = &["trtype", "transfertype"];
/// `Ok` / `Missed`.
pub const FINISH_TYPE: &[&str] = &["finishtype"];
/// `true` when the leg ended because it was transferred on.
pub const TRANSFERRED: &[&str] = &["transfer", "transferred"];
/// The phrase describing the call (DID rule name, callback, duration).
pub const TITLE: &[&str] = &["title"];
/// A duration field (`Duration: "00:06"` in public material).
pub const DURATION: &[&str] = &["duration"];
/// The call's direction in a recording POST, which has no call-event name.
pub const DIRECTION: &[&str] = &["direction", "calltype"];
/// When the event happened, if the module ever says; read, and kept as an
/// attribute too.
pub const TIME: &[&str] = &["timestamp", "time", "datetime", "date", "eventtime"];

/// Recording links: one per value, several per value (JSON array text, or
/// separated by commas, semicolons or whitespace), or a repeated field.
pub const LINKS: &[&str] = &[
    "url",
    "urls",
    "link",
    "links",
    "record",
    "records",
    "recording",
    "recordings",
    "file",
    "files",
    "fileurl",
    "fileurls",
    "recordurl",
    "recordingurl",
    "recordingurls",
];

/// Speech analytics: the full text of the conversation.
pub const TRANSCRIPT: &[&str] = &["transcript", "text", "transcription", "fulltext"];
/// Speech analytics: the short summary ("резюме").
pub const SUMMARY: &[&str] = &["summary", "resume"];

/// Status events: the extension concerned.
pub const AGENT: &[&str] = &["user", "extension", "ext", "agent", "number", "dn"];
/// Status events: the queue concerned.
pub const QUEUE: &[&str] = &["queue", "queuenumber", "queueext", "queueid"];
/// Status events: the new status (forwarding profile, login/logout, ...).
pub const STATUS: &[&str] = &["status", "state", "profile", "value"];
