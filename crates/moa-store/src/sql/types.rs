//! This backend's sqlx types, as the shared SQL and the dialect's own statements name them.

use std::future::Future;
use std::pin::Pin;

use super::Db;
use crate::{Result, UpsertStats};

/// A connection of this backend, as transactions and pools lend it.
pub(crate) type Connection = <Db as sqlx::Database>::Connection;

/// A row of this backend.
pub(crate) type Row = <Db as sqlx::Database>::Row;

/// A statement of this backend, with its arguments.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

/// A fetch's writes, given a connection inside a transaction (`statements::write_fetch` runs it).
pub(crate) type Work = Box<
    dyn for<'c> FnOnce(&'c mut Connection) -> Pin<Box<dyn Future<Output = Result<UpsertStats>> + Send + 'c>> + Send,
>;
