//! The bottom of the PostgreSQL backend: the store type and its pool, and the sqlx database the shared
//! SQL runs on. It names nothing else of the backend but its lender of connections.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::picker::PickerCache;
use sqlx::postgres::PgPool;

use super::lender::Lender;

/// The store type the shared SQL is implemented for.
pub(crate) type Backend = PgStore;
/// The sqlx database the shared SQL runs on.
pub(crate) type Db = sqlx::Postgres;

/// A store in a PostgreSQL database, which several processes may share.
pub struct PgStore {
    /// Reads.
    pub(super) reader: PgPool,
    /// Transactions and writes.
    pub(super) writer: PgPool,
    /// The lists' reads.
    pub(super) lists: Lender,
    /// Bumped after every commit this process makes; see `Operations::version`.
    pub(super) version: AtomicU64,
    /// The home page's company list as last read.
    pub(super) picker: PickerCache,
}

impl PgStore {
    /// The pool for reads.
    pub(super) fn reader(&self) -> &PgPool {
        &self.reader
    }

    /// The connections lists are read on.
    pub(super) fn lists(&self) -> &Lender {
        &self.lists
    }

    /// The pool for writes.
    pub(crate) fn writer(&self) -> &PgPool {
        &self.writer
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
