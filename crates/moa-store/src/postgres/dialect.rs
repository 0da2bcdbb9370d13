//! What PostgreSQL says otherwise than SQLite, in words: the fragments and constants the shared statements
//! put in (the clock, lists passed as arrays to `= ANY`, row locks, the partial index's condition), and
//! the advisory locks' keys. With the store type (`store`), the bottom of the backend: it names nothing
//! else of it.

use sqlx::{Postgres, QueryBuilder};

/// PostgreSQL's words for what the shared statements say in each backend's own way, to `concat!` into them.
macro_rules! fragment {
    // The current time in Unix seconds.
    (now) => {
        "EXTRACT(EPOCH FROM now())::bigint"
    };
    // `IN` the list bound (by `list`) as the parameter named.
    (in_list $param:literal) => {
        concat!("= ANY(", $param, ")")
    };
    // Locks the row a read-then-write reads, until the transaction ends.
    (for_update) => {
        " FOR UPDATE"
    };
    // A post whose article page is still to be read, as the partial index `posts_to_visit` states it.
    (page_unread) => {
        "NOT page_checked"
    };
    // The aggregate that gathers rows into one JSON array, and the row as a JSON array.
    (json_list) => {
        "json_agg"
    };
    (json_tuple) => {
        "json_build_array"
    };
    // The folder of this backend's migrations.
    (migrations) => {
        "postgres"
    };
}

pub(crate) use fragment;

/// The table that records the migrations applied.
pub(crate) const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS moa_migrations \
    (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Advisory lock keys (any numbers, as long as they are moa's own).
pub(crate) const MIGRATION_LOCK: i64 = 0x6d6f_6101;
pub(crate) const REGISTRY_LOCK: i64 = 0x6d6f_6102;
pub(crate) const SCRAPS_LOCK: i64 = 0x6d6f_6103;

/// Opens the filter for posts with a category equal, case aside, to the value pushed next (then `))`).
/// Categories are stored as a JSON array in a text column.
pub(crate) const HAS_CATEGORY: &str =
    " AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.categories::jsonb) c(t) WHERE lower(c.t) = lower(";

/// Opens the filter for posts with the topic pushed next (then `)`).
pub(crate) const HAS_TOPIC: &str =
    " AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.topics::jsonb) t(t) WHERE t.t = ";

/// Whether PostgreSQL cannot store this text: it refuses NUL in text, and moa stores none (feeds and forms
/// are cleaned of it), so a name or an address asked for with one matches nothing, rather than failing
/// the query.
pub(crate) fn unstorable(text: &str) -> bool {
    text.contains('\0')
}

/// A list to bind as one parameter, read with `fragment!(in_list …)`: an array.
pub(crate) fn list<T>(items: &[T]) -> &[T] {
    items
}

/// Pushes `= ANY` these ids, one array parameter.
pub(crate) fn push_in_list(qb: &mut QueryBuilder<Postgres>, ids: &[String]) {
    qb.push("= ANY(").push_bind(ids.to_vec()).push(")");
}
