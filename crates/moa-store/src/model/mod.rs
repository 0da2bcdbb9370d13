//! The values the store takes and gives, by concern.

mod accounts;
mod crawl;
mod curation;
mod posts;
mod sources;

pub use accounts::{AuditEntry, Session, User};
pub use crawl::{
    Backlog, CheckResult, Claimed, Created, NewPost, PageVisit, Selection, SourceCheck, Subscription,
    SubscriptionState, UpsertStats,
};
pub use curation::{NewsletterSettings, Scrap, ScrapFields};
pub use posts::{
    ChangeCursor, Cursor, ListPage, Post, PostChange, PostQuery, PostText, SAME_ARTICLE_WINDOW_SECONDS, title_key,
    url_key,
};
pub use sources::{
    Company, ErrorKind, Health, NewSource, REMOVED_FROM_REGISTRY, SourceRow, SourceSpec, SyncStats, Validators,
};

/// The connection pools in use, for `/metrics`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PoolStats {
    /// Connections open.
    pub size: u32,
    /// Of them, those idle.
    pub idle: u32,
    /// The most the pools may open.
    pub max: u32,
}
