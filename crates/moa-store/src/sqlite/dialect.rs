//! What SQLite says otherwise than PostgreSQL, in words: the fragments and constants the shared statements
//! put in (the clock, lists passed as JSON to `json_each`, the partial index's condition). With the store
//! type (`store`), the bottom of the backend: it names nothing else of it.

use sqlx::{QueryBuilder, Sqlite};

/// SQLite's words for what the shared statements say in each backend's own way, to `concat!` into them.
macro_rules! fragment {
    // The current time in Unix seconds.
    (now) => {
        "unixepoch()"
    };
    // `IN` the list bound (by `list`) as the parameter named.
    (in_list $param:literal) => {
        concat!("IN (SELECT value FROM json_each(", $param, "))")
    };
    // Locks the row a read-then-write reads: nothing to add, the one writer runs one transaction at a time.
    (for_update) => {
        ""
    };
    // A post whose article page is still to be read, as the partial index `posts_to_visit` states it
    // (SQLite uses a partial index only for a query that repeats its condition).
    (page_unread) => {
        "page_checked = 0"
    };
    // The aggregate that gathers rows into one JSON array, and the row as a JSON array: see
    // `sql::rows::json_rows`.
    (json_list) => {
        "json_group_array"
    };
    (json_tuple) => {
        "json_array"
    };
    // The folder of this backend's migrations.
    (migrations) => {
        "sqlite"
    };
}

pub(crate) use fragment;

/// The table that records the migrations applied.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS moa_migrations \
    (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

/// Opens the filter for posts with a category equal, case aside, to the value pushed next (then `))`).
/// Categories are stored as a JSON array.
pub(crate) const HAS_CATEGORY: &str =
    " AND EXISTS (SELECT 1 FROM json_each(p.categories) WHERE lower(json_each.value) = lower(";

/// Opens the filter for posts with the topic pushed next (then `)`).
pub(crate) const HAS_TOPIC: &str = " AND EXISTS (SELECT 1 FROM json_each(p.topics) WHERE json_each.value = ";

/// Whether SQLite cannot store this text: never (PostgreSQL cannot store NUL).
pub(crate) fn unstorable(_text: &str) -> bool {
    false
}

/// A list to bind as one parameter, read with `fragment!(in_list …)`: a JSON array.
pub(crate) fn list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Pushes `IN` these ids, a parameter each.
pub(crate) fn push_in_list(qb: &mut QueryBuilder<Sqlite>, ids: &[String]) {
    qb.push("IN (");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(id.clone());
    }
    qb.push(")");
}
