//! The moa application: registry → crawl (fetch → parse/normalize → store) → web.
//! The binary (`src/main.rs`) is a thin command-line layer over these modules.

pub mod api;
pub mod auth;
pub mod cache;
pub mod config;
pub mod console;
pub mod crawl;
pub mod curate;
pub mod curation;
pub mod discovery;
pub mod fetch;
pub mod i18n;
pub mod kst;
pub mod listen;
pub mod metrics;
pub mod newsletter;
pub mod ops;
pub mod politeness;
pub mod popular;
pub mod registry;
pub mod schedule;
pub mod search;
pub mod session;
pub mod syndication;
pub mod web;
pub mod webhook;
pub mod websub;

/// Current time in Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
