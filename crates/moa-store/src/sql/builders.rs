//! Statements built for many rows or ids at once, which the shared statements and the dialects' own both
//! run or extend: a fetch's posts upserted, the sources a claim selects.

use sqlx::QueryBuilder;

use super::{Db, push_in_list};
use crate::Selection;
use crate::plan::Write;

/// Rows per multi-row INSERT: 19 parameters each, well under SQLite's limit of 32,766 and PostgreSQL's
/// of 65,535.
pub(crate) const INSERT_CHUNK: usize = 256;

/// The sources a claim takes: `selection` as the end of its query, from the condition on (`WHERE …`),
/// most overdue first, so that after a crash the sources never fetched come before those fetched just now.
pub(crate) fn push_selection(qb: &mut QueryBuilder<Db>, selection: &Selection, now: i64) {
    match selection {
        Selection::Due { .. } => {
            qb.push("enabled AND next_check_at <= ").push_bind(now);
        }
        Selection::All => {
            qb.push("enabled");
        }
        Selection::Ids(ids) => {
            qb.push("origin <> 'removed' AND id ");
            push_in_list(qb, ids);
        }
    }
    qb.push(" ORDER BY next_check_at, id");
    if let Selection::Due { limit } = selection {
        qb.push(" LIMIT ").push_bind(i64::from(*limit));
    }
}

/// The multi-row upsert of some of a fetch's posts (at most [`INSERT_CHUNK`]), to run or to extend. An
/// edit keeps the post's id, first-seen time and duplicate mark, and a picture read from the article page
/// while the feed still has none.
pub(crate) fn insert_posts(source_id: &str, at: i64, writes: &[Write<'_>]) -> QueryBuilder<Db> {
    let mut qb = QueryBuilder::new(
        "INSERT INTO posts (source_id, entry_id, url, title, summary, content_html, author, thumbnail,
           categories, category_labels, topics, published_at, updated_at, first_seen_at, sort_at, content_hash,
           url_key, title_key, duplicate_of) ",
    );
    qb.push_values(writes, |mut b, w| {
        let p = w.post;
        b.push_bind(source_id)
            .push_bind(&p.entry_id)
            .push_bind(&p.url)
            .push_bind(&p.title)
            .push_bind(&p.summary)
            .push_bind(&p.content_html)
            .push_bind(&p.author)
            .push_bind(&p.thumbnail)
            .push_bind(&w.categories)
            .push_bind(&w.category_labels)
            .push_bind(&w.topics)
            .push_bind(p.published_at)
            .push_bind(p.updated_at)
            .push_bind(at)
            .push_bind(w.sort_at)
            .push_bind(&w.hash)
            .push_bind(&w.url_key)
            .push_bind(&w.title_key)
            .push_bind(w.duplicate_of);
    });
    qb.push(
        " ON CONFLICT (source_id, entry_id) DO UPDATE SET url = excluded.url, title = excluded.title,
           summary = excluded.summary, content_html = excluded.content_html, author = excluded.author,
           thumbnail = COALESCE(excluded.thumbnail, CASE WHEN posts.page_checked THEN posts.thumbnail END),
           categories = excluded.categories, category_labels = excluded.category_labels, topics = excluded.topics,
           published_at = COALESCE(excluded.published_at, posts.published_at), updated_at = excluded.updated_at,
           sort_at = COALESCE(excluded.published_at, posts.published_at, posts.sort_at),
           content_hash = excluded.content_hash, url_key = excluded.url_key, title_key = excluded.title_key,
           body_dropped_at = NULL",
    );
    qb
}
