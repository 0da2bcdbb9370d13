//! A list's statement (its posts newest first, and what the page shows besides), written once for both
//! backends and both ways of reading: sqlx's builder (PostgreSQL), or the text and values SQLite's direct
//! reads run (see the SQLite backend's `direct`).

use std::fmt::Display;

use sqlx::QueryBuilder;

use super::rows::{companies_as_json, picker_key, post_columns, select_posts};
use super::{Db, HAS_CATEGORY, HAS_TOPIC, fragment};
use crate::{Cursor, PostQuery};

/// What a statement is written into: its text, and values bound in order.
pub(crate) trait Statement {
    fn push(&mut self, sql: impl Display) -> &mut Self;
    fn push_text(&mut self, value: String) -> &mut Self;
    fn push_int(&mut self, value: i64) -> &mut Self;
}

impl Statement for QueryBuilder<Db> {
    fn push(&mut self, sql: impl Display) -> &mut Self {
        QueryBuilder::push(self, sql)
    }

    fn push_text(&mut self, value: String) -> &mut Self {
        self.push_bind(value)
    }

    fn push_int(&mut self, value: i64) -> &mut Self {
        self.push_bind(value)
    }
}

/// The characters of a tag or topic its label row keeps (migration 13: a PostgreSQL index entry holds at
/// most 2,704 bytes). Posts of one that long or longer are found by its first 200 characters, then compared
/// whole (a longer tag keeps only those, so a 200-character one would match it).
const LABEL_KEY_CHARS: usize = 200;

/// A list's query: its posts' columns (those of [`post_columns`]), newest first.
pub(crate) fn push_list(qb: &mut impl Statement, query: &PostQuery) {
    // A tag's or a topic's list is read off its label table, in list order (see migration 13); the
    // other lists off the posts' time indexes.
    let (sort_at_column, id_column) = match (&query.tag, &query.topic) {
        (Some(tag), _) => {
            qb.push(concat!(
                post_columns!(),
                " FROM post_tags l JOIN posts p ON p.id = l.post_id JOIN sources s ON s.id = p.source_id
                 WHERE l.tag = substr(lower("
            ));
            qb.push_text(tag.clone()).push("), 1, 200)");
            if tag.chars().count() >= LABEL_KEY_CHARS {
                qb.push(HAS_CATEGORY).push_text(tag.clone()).push("))");
            }
            ("l.sort_at", "l.post_id")
        }
        (None, Some(topic)) => {
            qb.push(concat!(
                post_columns!(),
                " FROM post_topics l JOIN posts p ON p.id = l.post_id JOIN sources s ON s.id = p.source_id
                 WHERE l.topic = substr("
            ));
            qb.push_text(topic.clone()).push(", 1, 200)");
            if topic.chars().count() >= LABEL_KEY_CHARS {
                qb.push(HAS_TOPIC).push_text(topic.clone()).push(")");
            }
            ("l.sort_at", "l.post_id")
        }
        (None, None) => {
            qb.push(concat!(select_posts!(), " WHERE 1 = 1"));
            ("p.sort_at", "p.id")
        }
    };
    match &query.source_id {
        Some(source) => {
            qb.push(" AND p.source_id = ").push_text(source.clone());
        }
        None if !query.include_duplicates => {
            qb.push(" AND p.duplicate_of IS NULL");
        }
        None => {}
    }
    if let (Some(_), Some(topic)) = (&query.tag, &query.topic) {
        qb.push(HAS_TOPIC).push_text(topic.clone()).push(")");
    }
    if let Some(Cursor { sort_at, id }) = query.before {
        // A row value, which SQLite reads as a range of the time index; the equivalent
        // `sort_at < ? OR (sort_at = ? AND id < ?)` scanned the index from the top (6.6 ms against
        // 0.004 ms at 100,000 posts).
        qb.push(format_args!(" AND ({sort_at_column}, {id_column}) < ("))
            .push_int(sort_at)
            .push(", ")
            .push_int(id)
            .push(")");
    }
    // The limit is written into the statement, not bound: PostgreSQL's generic plan for a bound one
    // guesses a tenth of the rows and fetches a tag's list with a parallel worker (10 ms against 0.3;
    // EXPLAIN ANALYZE in BENCHMARKS.md). Each limit is a statement of its own in the cache; there are few.
    qb.push(format_args!(" ORDER BY {sort_at_column} DESC, {id_column} DESC LIMIT {}", query.limit.max(1)));
}

/// The picker's companies as JSON (see [`companies_as_json`]) when the store's key, `k`'s, is not `held_key`;
/// else NULL.
fn push_picker_if_changed(qb: &mut impl Statement, held_key: (i64, i64)) {
    qb.push("CASE WHEN k.epoch = ")
        .push_int(held_key.0)
        .push(" AND k.revisions = ")
        .push_int(held_key.1)
        .push(concat!(" THEN NULL ELSE (", companies_as_json!(), " WHERE origin <> 'removed') END"));
}

/// What a list's page shows besides its posts, as one row: the company of a company's page (`company`, as
/// JSON), or the picker's key (`epoch`, `revisions`) and its companies as JSON when not `held_key`
/// (`companies`; see `crate::picker`).
pub(crate) fn push_page_head(st: &mut impl Statement, query: &PostQuery, held_key: (i64, i64)) {
    // A company's own page shows it even when retired (its posts stay, and their cards link to it).
    if let Some(source) = &query.source_id {
        st.push(concat!("SELECT (", companies_as_json!(), " WHERE id = "))
            .push_text(source.clone())
            .push(") AS company");
        return;
    }
    st.push("SELECT k.epoch, k.revisions, ");
    push_picker_if_changed(st, held_key);
    st.push(concat!(" AS companies FROM ", picker_key!(), " k"));
}
