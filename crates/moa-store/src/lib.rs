//! moa's storage, behind one trait, [`Store`], made of one trait per concern ([`SourceStore`],
//! [`CrawlStore`], [`PostStore`], [`ChangeLog`], [`ClickStore`], [`CurationStore`], [`AccountStore`],
//! [`AuditStore`], [`Operations`]). The SQLite implementation is the embedded default; the PostgreSQL one
//! implements the same traits for several processes on one database. No backend-specific SQL leaves this
//! crate.
//!
//! # One text for the SQL both backends agree on
//!
//! Most statements read the same in SQLite and PostgreSQL once their placeholders are `$N` (which
//! sqlx-sqlite binds by number), so they are written once, in `src/sql/`: plain Rust, a file per trait
//! the backends agree on, compiled twice, as `sqlite::sql` and as `postgres::sql`, by a `#[path]` module
//! in each backend (which is why clippy's `duplicate_mod` is allowed there). Its `mod.rs` re-exports, under
//! the same names in both, what the backend gives it: its store type (`Backend`), its sqlx database
//! (`Db`), its dialect's fragments and its own statements. Code generic over
//! `sqlx::Database` would need a trait bound for every type it binds or decodes, longer than the code
//! itself; a macro expanding the methods into each backend would hide them from rustfmt and from the
//! compiler's line numbers. A file compiled twice is ordinary, formatted code, type-checked per backend.
//!
//! What truly differs stays in `src/sqlite/` and `src/postgres/`: the store type (`store.rs`); the
//! `dialect.rs` that gives the shared statements their few fragments (the clock, a list parameter: JSON in
//! SQLite, an array in PostgreSQL, row locks, the partial index's condition); the `statements.rs` that
//! writes the operations done in different statements (claims, upserts' reads and ids, duplicate
//! detection, sign-in counts, topics); and connecting and migrating, in `mod.rs`. The two traits the
//! backends hardly share are each backend's own: [`ChangeLog`] in its `statements.rs`, [`Operations`]
//! beside its connection.
//!
//! Each backend's modules form layers, and name only those below them: `store` and `dialect`; the shared
//! helpers `sql::types`, `sql::rows`, `sql::builders`, `sql::migrate`; the backend's `statements`; the
//! shared statements, a module per trait (`sql::sources`, `sql::crawl`, …); the backend's `mod.rs`.

#![warn(unreachable_pub, missing_docs)]

mod copy;
mod model;
mod picker;
mod plan;
mod postgres;
mod sqlite;
/// Test databases on either backend (for this workspace's tests, not for the product).
#[doc(hidden)]
pub mod testing;
mod traits;

use std::sync::Arc;

pub use copy::{TableCopy, sqlite_to_postgres};
pub use model::{
    AuditEntry, Backlog, ChangeCursor, CheckResult, Claimed, Company, Created, Cursor, ErrorKind, Health, ListPage,
    NewPost, NewSource, NewsletterSettings, PageVisit, PoolStats, Post, PostChange, PostQuery, PostText,
    REMOVED_FROM_REGISTRY, SAME_ARTICLE_WINDOW_SECONDS, Scrap, ScrapFields, Selection, Session, SourceCheck, SourceRow,
    SourceSpec, Subscription, SubscriptionState, SyncStats, UpsertStats, User, Validators, title_key, url_key,
};
pub use postgres::PgStore;
pub use sqlite::{BackupInfo, SqliteStore, path_of as sqlite_path};
pub use traits::{
    AccountStore, AuditStore, ChangeLog, ClickStore, CrawlStore, CurationStore, Operations, PostStore, SourceStore,
    Store,
};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend moa has.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH (or sqlite:///ABSOLUTE/PATH) or postgres://…")]
    UnsupportedUrl(String),
    /// The SQLite file's folder could not be made.
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        /// The folder.
        path: String,
        /// Why not.
        source: std::io::Error,
    },
    /// A migration failed (and was rolled back).
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Its version.
        version: i64,
        /// Its name.
        name: &'static str,
        /// The database's error.
        source: sqlx::Error,
    },
    /// The database answered with an error.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// SQLite answered a direct read (a list's page) with an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored data could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The write conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// This backend or this database cannot do it.
    #[error("{0}")]
    Unsupported(String),
    /// The transaction this write shared with others (SQLite's group commit) did not commit.
    #[error("not stored: the transaction it was written in did not commit: {0}")]
    NotCommitted(String),
}

/// A store operation's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// PostgreSQL connections this process may hold for writes (the crawler's fetches); reads have a
    /// pool of their own, two connections per core (SQLite has one writer and such a pool of readers).
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { max_connections: 16 }
    }
}

/// Connections for reads: two per core, at least four. Reads are CPU-bound once the data is in memory,
/// so more connections than that only queue on the cores (and on PostgreSQL's, when it shares the
/// machine), and each costs memory. At 100,000 posts on 2 cores: SQLite's web server held 88 MB with eight
/// readers against 55 MB with four, serving as fast; PostgreSQL served the home page at 3,600 pages/s with
/// sixteen against 4,300–4,700 with four or eight (BENCHMARKS.md).
pub(crate) fn reader_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(4)
}

/// Opens the store a database URL names, creating and migrating it as needed.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, &OpenOptions::default()).await
}

/// Opens the store a database URL names, with these options.
pub async fn open_with(url: &str, options: &OpenOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        return Ok(Arc::new(SqliteStore::open(url).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::open_with(url, options).await?));
    }
    Err(StoreError::UnsupportedUrl(url.to_string()))
}
