//! The bottom of the SQLite backend: the store type and its pools, and the sqlx database the shared SQL
//! runs on. It names nothing else of the backend but its group commit.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::picker::PickerCache;
use sqlx::sqlite::SqlitePool;

use super::direct::DirectReader;
use super::group::CommitGroup;

/// The store type the shared SQL is implemented for.
pub(crate) type Backend = SqliteStore;
/// The sqlx database the shared SQL runs on.
pub(crate) type Db = sqlx::Sqlite;

/// A store in one SQLite file.
pub struct SqliteStore {
    pub(super) reader: SqlitePool,
    pub(super) writer: SqlitePool,
    /// The lists' reads, on the caller's thread.
    pub(super) direct: DirectReader,
    /// Fetches waiting to be committed together by the writer.
    pub(super) fetches: CommitGroup,
    /// Bumped after every commit this process makes; see `Operations::version`.
    pub(super) version: AtomicU64,
    /// The home page's company list as last read.
    pub(super) picker: PickerCache,
}

impl SqliteStore {
    /// The read-only pool.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// The connections lists are read on directly.
    pub(super) fn direct(&self) -> &DirectReader {
        &self.direct
    }

    /// The pool of the one writer.
    pub(super) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The writer's group commit, for fetches.
    pub(super) fn fetches(&self) -> &CommitGroup {
        &self.fetches
    }

    /// The home page's company list as last read.
    pub(crate) fn picker(&self) -> &PickerCache {
        &self.picker
    }

    /// Counts a commit (see `Operations::version`).
    pub(super) fn changed(&self) {
        self.version.fetch_add(1, Ordering::Release);
    }
}
