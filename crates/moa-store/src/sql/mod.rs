//! The SQL both backends run, written once. This folder is compiled twice, into `sqlite` and into
//! `postgres` (each declares `#[path = "../sql/mod.rs"] mod sql;`), and here `super` is that backend.
//!
//! What the backend gives it: `Backend`, its store type, with `reader()` and `writer()` (its pools) and
//! `changed()` (after a commit); `Db`, its sqlx database; and `dialect`, what its SQL says otherwise:
//! `fragment!(now)`, `fragment!(in_list "$2")`… to `concat!` into a statement, and functions for what the
//! two backends do in different statements.
//!
//! Placeholders are `$N`, which sqlx-sqlite binds by number as PostgreSQL does. Casts are `CAST(x AS T)`:
//! SQLite reads `$1::text` as a parameter named `$1::text`. Flags are `TRUE` and `FALSE` (1 and 0 to
//! SQLite), and null-safe equality is `IS NOT DISTINCT FROM` (SQLite's `IS`).

use super::{Backend, Db, dialect};

mod accounts;
mod audit;
mod clicks;
pub(crate) mod crawl;
mod curation;
pub(crate) mod migrate;
mod posts;
pub(crate) mod rows;
mod sources;

/// A connection of this backend, as transactions and pools lend it.
pub(crate) type Connection = <Db as sqlx::Database>::Connection;

/// A row of this backend.
pub(crate) type Row = <Db as sqlx::Database>::Row;

/// A statement of this backend, with its arguments.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;
