//! Automations: tenants' rules, stored as flow graphs (`switchboard-flows`),
//! fired when a call's analysis finishes.
//!
//! - `facts`: what an automation sees of a call (the call row plus its
//!   analysis), in the flows crate's terms.
//! - `fire`: evaluating a business's automations for one call and queueing
//!   what they send, once per (automation, call).

pub mod facts;
pub mod fire;
