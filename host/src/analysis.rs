//! The analysis stage: a durable queue (`analysis_jobs`) worked by
//! `worker`. An `analyze` job runs the business's analyzer component over
//! the call's stored recordings (`run`, with the audio uploaded by the host
//! in `upload`); a `fire` job evaluates the business's automations once the
//! analysis is stored. Analysis never blocks ingest: ingest and recording
//! pull only queue jobs.

pub mod attributes;
pub mod run;
pub mod upload;
pub mod worker;
