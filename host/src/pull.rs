//! Recording pull: the host side of `recording-source` connectors.
//!
//! The connector lists recordings and says how to download each; the host
//! schedules the syncs (`scheduler`), runs them page by page with a durable
//! cursor (`sync`), performs each download under the installation's egress
//! rules (`download`), streams the audio into one storage root (`storage`),
//! and links the recording to its call through the normal call fold
//! (`metadata`). The recording links webhook vendors send are downloaded the
//! same way (`links`). At start, `sweep` removes what a killed process left
//! in the recordings directory.

pub mod download;
pub mod links;
pub mod metadata;
pub mod scheduler;
pub mod storage;
pub mod sweep;
pub mod sync;
