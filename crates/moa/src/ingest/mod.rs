//! Ingest: how a blog's posts get into the store. The registry names the blogs, the scheduler hands out the
//! due ones, the fetcher reads each feed politely, and the one ingest path (`pipeline`) turns a feed's bytes
//! into stored posts and announcements, whether they came from a scheduled fetch or a WebSub push.

mod check;
pub mod crawl;
pub mod discovery;
pub mod fetch;
mod pages;
pub(crate) mod pipeline;
pub mod politeness;
pub mod registry;
pub mod schedule;
pub mod webhook;
pub mod websub;
