//! The automation model of Switchboard's notifications: what should happen
//! when a call's analysis finishes.
//!
//! Two forms describe an automation:
//!
//! - a flat [`Rule`] (`{name, conditions, message, telegramChatIds,
//!   discordWebhookIds, …}`), which is what external systems send to
//!   `/notifications/automations`;
//! - a flow [`Graph`] (trigger, condition, branch and action nodes joined by
//!   edges), which is what is stored and run, and what the UI edits.
//!
//! [`compile`] turns a rule into its canonical graph; [`project`] turns a
//! canonical graph back into the rule (`None` for graphs a rule cannot
//! express, which the API shows as `advanced`). [`evaluate`] runs a graph
//! against a call's [`CallFacts`] and returns the [`Firing`]s with rendered
//! messages, which serves both real sends and dry runs. [`template`] parses
//! and renders `{{variable}}` messages.
//!
//! Everything here is pure: no I/O, no clock, no ids from outside. Ownership
//! of chat/webhook ids, storage and sending are the host's business.
//! See `README.md` beside this crate for the JSON forms and semantics.

mod compile;
mod condition;
mod delivery;
mod error;
mod evaluate;
mod facts;
mod field;
mod graph;
mod matching;
mod project;
mod rule;
mod strict;
pub mod template;
mod validate;

pub use compile::{BRANCH_ID, TRIGGER_ID, action_id, compile, condition_id};
pub use condition::{Condition, Match, Op};
pub use delivery::{Digest, Severity};
pub use error::{ConditionError, GraphError, GraphErrors, Problem, RuleError, TemplateError};
pub use evaluate::{Firing, evaluate};
pub use facts::{CallFacts, FactValue};
pub use field::{Field, FieldType};
pub use graph::{
    Action, Channel, ChannelKind, Edge, EdgePath, Graph, Node, NodeKind, TRIGGER_EVENT,
};
pub use project::project;
pub use rule::{Rule, normalize};
pub use strict::unknown_key;
pub use template::Template;
