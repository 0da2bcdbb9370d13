//! moa's storage, behind one trait. The SQLite implementation is the embedded default; a PostgreSQL one
//! implements the same trait. No backend-specific SQL leaves this crate.

mod model;
mod sqlite;

use std::sync::Arc;

pub use model::*;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: expected sqlite://PATH (or sqlite:///ABSOLUTE/PATH)")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: sqlx::Error },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Makes the stored sources match the registry: new ones added, changed ones updated, registry
    /// sources no longer listed disabled (their posts are kept).
    async fn sync_registry(&self, sources: &[SourceSpec], now: i64) -> Result<SyncStats>;

    /// Every source with its state and post count, ordered by id.
    async fn sources(&self) -> Result<Vec<SourceRow>>;

    /// Stores the posts of one successful fetch, the response's validators and the source's success, in
    /// one transaction: a crash leaves either all of it or none. Posts are keyed by (source, entry id): an
    /// edited post is updated, an unchanged one not written.
    async fn store_fetch(
        &self,
        source_id: &str,
        fetched_at: i64,
        posts: &[NewPost],
        validators: &Validators,
    ) -> Result<UpsertStats>;

    /// Records a fetch the server answered 304 Not Modified: the source's success, nothing else.
    async fn record_not_modified(&self, source_id: &str, at: i64) -> Result<()>;

    /// Records a failed fetch.
    async fn record_failure(&self, source_id: &str, at: i64, error: &str) -> Result<()>;

    /// Posts newest first, after the cursor, optionally of one source.
    async fn posts(&self, query: &PostQuery) -> Result<Vec<Post>>;

    async fn count_posts(&self, source_id: Option<&str>) -> Result<i64>;
}

/// Opens the store a database URL names, creating and migrating it as needed.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        return Ok(Arc::new(SqliteStore::open(url).await?));
    }
    Err(StoreError::UnsupportedUrl(url.to_string()))
}
