//! This backend's sqlx types, as the shared SQL and the dialect's own statements name them.

use super::Db;

/// A connection of this backend, as transactions and pools lend it.
pub(crate) type Connection = <Db as sqlx::Database>::Connection;

/// A row of this backend.
pub(crate) type Row = <Db as sqlx::Database>::Row;

/// A statement of this backend, with its arguments.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;
