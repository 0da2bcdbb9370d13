//! The moa application, in rooms named for the pipeline: `ingest` (registry → scheduler → fetch → the one
//! ingest path into the store), `search` (the index following the store's change log), `newsletter` (curation
//! and the Hugo format), and the faces that read them: `web` (pages, API, feeds, console). The binary
//! (`src/main.rs` and `src/cli/`) parses the command line and calls these. ARCHITECTURE.md is the map.

pub mod config;
pub mod i18n;
pub mod ingest;
pub mod kst;
pub mod metrics;
pub mod newsletter;
pub mod ops;
pub mod search;
pub mod token;
pub mod web;

/// Current time in Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
