//! [`PostStore`]: lists and look-ups of posts, their texts and topics, deletion for good, retention.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row as _};

use super::crawl::delete_with_tombstones;
use super::rows::{
    companies_as_json, companies_from_json, picker_key, post_columns, post_from_row, post_text_from_row, posts_as_json,
    posts_from_json, select_posts,
};
use super::{Backend, Db, HAS_CATEGORY, HAS_TOPIC, POSTS_AS_ROWS, fragment, list, set_topics, unstorable};
use crate::{Cursor, ListPage, Post, PostQuery, PostStore, PostText, Result, StoreError, url_key};

/// Whether a list asks for a text the backend cannot hold (it holds no such post).
fn unstorable_query(query: &PostQuery) -> bool {
    [&query.source_id, &query.tag, &query.topic].into_iter().flatten().any(|s| unstorable(s))
}

/// The characters of a tag or topic its label row keeps (migration 13: a PostgreSQL index entry holds at
/// most 2,704 bytes). Posts of one that long or longer are found by its first 200 characters, then compared
/// whole (a longer tag keeps only those, so a 200-character one would match it).
const LABEL_KEY_CHARS: usize = 200;

/// A list's posts as one JSON value (see [`posts_as_json`]): the list's query, a subquery here.
fn push_posts_as_json(qb: &mut QueryBuilder<Db>, query: &PostQuery) {
    qb.push(concat!("(", posts_as_json!(), " FROM ("));
    push_list(qb, query);
    qb.push(") q)");
}

/// A list's query: its posts' columns (those of [`post_columns`]), newest first.
fn push_list(qb: &mut QueryBuilder<Db>, query: &PostQuery) {
    // A tag's or a topic's list is read off its label table, in list order (see migration 13); the
    // other lists off the posts' time indexes.
    let (sort_at_column, id_column) = match (&query.tag, &query.topic) {
        (Some(tag), _) => {
            qb.push(concat!(
                post_columns!(),
                " FROM post_tags l JOIN posts p ON p.id = l.post_id JOIN sources s ON s.id = p.source_id
                 WHERE l.tag = substr(lower("
            ));
            qb.push_bind(tag.clone()).push("), 1, 200)");
            if tag.chars().count() >= LABEL_KEY_CHARS {
                qb.push(HAS_CATEGORY).push_bind(tag.clone()).push("))");
            }
            ("l.sort_at", "l.post_id")
        }
        (None, Some(topic)) => {
            qb.push(concat!(
                post_columns!(),
                " FROM post_topics l JOIN posts p ON p.id = l.post_id JOIN sources s ON s.id = p.source_id
                 WHERE l.topic = substr("
            ));
            qb.push_bind(topic.clone()).push(", 1, 200)");
            if topic.chars().count() >= LABEL_KEY_CHARS {
                qb.push(HAS_TOPIC).push_bind(topic.clone()).push(")");
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
            qb.push(" AND p.source_id = ").push_bind(source.clone());
        }
        None if !query.include_duplicates => {
            qb.push(" AND p.duplicate_of IS NULL");
        }
        None => {}
    }
    if let (Some(_), Some(topic)) = (&query.tag, &query.topic) {
        qb.push(HAS_TOPIC).push_bind(topic.clone()).push(")");
    }
    if let Some(Cursor { sort_at, id }) = query.before {
        // A row value, which SQLite reads as a range of the time index; the equivalent
        // `sort_at < ? OR (sort_at = ? AND id < ?)` scanned the index from the top (6.6 ms against
        // 0.004 ms at 100,000 posts).
        qb.push(format_args!(" AND ({sort_at_column}, {id_column}) < ("))
            .push_bind(sort_at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    // The limit is written into the statement, not bound: PostgreSQL's generic plan for a bound one
    // guesses a tenth of the rows and fetches a tag's list with a parallel worker (10 ms against 0.3;
    // EXPLAIN ANALYZE in BENCHMARKS.md). Each limit is a statement of its own in the cache; there are few.
    qb.push(format_args!(" ORDER BY {sort_at_column} DESC, {id_column} DESC LIMIT {}", query.limit.max(1)));
}

/// The picker's companies as JSON (see [`companies_as_json`]) when the store's key, `k`'s, is not `held_key`;
/// else NULL.
fn push_picker_if_changed(qb: &mut QueryBuilder<Db>, held_key: (i64, i64)) {
    qb.push("CASE WHEN k.epoch = ")
        .push_bind(held_key.0)
        .push(" AND k.revisions = ")
        .push_bind(held_key.1)
        .push(concat!(" THEN NULL ELSE (", companies_as_json!(), " WHERE origin <> 'removed') END"));
}

/// [`PostStore::list_page`] with the posts as rows (see [`POSTS_AS_ROWS`]): the one row of what the page
/// shows besides its posts (the company, or the picker's key and companies), joined to each post, and
/// alone when the list is empty. The picker's companies, when sent, come on the first row only: a crawl
/// changes them often, and twenty copies of the list were twenty times its bytes.
async fn list_page_as_rows(store: &Backend, query: &PostQuery) -> Result<ListPage> {
    let mut qb = QueryBuilder::new("");
    let (held_key, held) = store.picker().held();
    match &query.source_id {
        Some(source) => {
            qb.push(concat!("SELECT k.*, q.* FROM (SELECT (", companies_as_json!(), " WHERE id = "))
                .push_bind(source.clone())
                .push(") AS company");
        }
        None => {
            qb.push(
                "SELECT k.epoch, k.revisions, CASE WHEN row_number() OVER (ORDER BY q.sort_at DESC, q.id DESC) = 1
                 THEN k.companies END AS companies, q.* FROM (SELECT k.epoch, k.revisions, ",
            );
            push_picker_if_changed(&mut qb, held_key);
            qb.push(concat!(" AS companies FROM ", picker_key!(), " k"));
        }
    }
    qb.push(") k LEFT JOIN LATERAL (");
    push_list(&mut qb, query);
    qb.push(") q ON TRUE ORDER BY q.sort_at DESC, q.id DESC");
    let rows = qb.build().fetch_all(store.reader()).await?;
    let Some(first) = rows.first() else { return Err(StoreError::Corrupt("a list's page read no row".into())) };
    let posts = match first.try_get::<Option<i64>, _>("id")? {
        Some(_) => rows.iter().map(post_from_row).collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let companies = match &query.source_id {
        Some(_) => companies_from_json(&first.try_get::<String, _>("company")?)?.into(),
        None => match first.try_get::<Option<String>, _>("companies")? {
            Some(json) => {
                store.picker().keep((first.try_get("epoch")?, first.try_get("revisions")?), companies_from_json(&json)?)
            }
            None => held,
        },
    };
    Ok(ListPage { posts, companies })
}

#[async_trait::async_trait]
impl PostStore for Backend {
    async fn posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        if unstorable_query(query) {
            return Ok(Vec::new());
        }
        if POSTS_AS_ROWS {
            let mut qb = QueryBuilder::new("");
            push_list(&mut qb, query);
            let rows = qb.build().fetch_all(self.reader()).await?;
            return rows.iter().map(post_from_row).collect();
        }
        let mut qb = QueryBuilder::new("SELECT ");
        push_posts_as_json(&mut qb, query);
        let json: String = qb.build_query_scalar().fetch_one(self.reader()).await?;
        posts_from_json(&json)
    }

    async fn list_page(&self, query: &PostQuery) -> Result<ListPage> {
        if unstorable_query(query) {
            return Ok(ListPage::default());
        }
        if POSTS_AS_ROWS {
            return list_page_as_rows(self, query).await;
        }
        let mut qb = QueryBuilder::new("SELECT ");
        push_posts_as_json(&mut qb, query);
        // A company's own page shows it even when retired (its posts stay, and their cards link to it).
        if let Some(source) = &query.source_id {
            qb.push(concat!(", (", companies_as_json!(), " WHERE id = ")).push_bind(source.clone()).push(")");
            let (posts, company): (String, String) = qb.build_query_as().fetch_one(self.reader()).await?;
            return Ok(ListPage { posts: posts_from_json(&posts)?, companies: companies_from_json(&company)?.into() });
        }
        // The picker lists the sources not removed, read again only when the key of the list this process
        // holds is no longer the store's (see `crate::picker`).
        let (held_key, held) = self.picker().held();
        qb.push(", k.epoch, k.revisions, ");
        push_picker_if_changed(&mut qb, held_key);
        qb.push(concat!(" FROM ", picker_key!(), " k"));
        let (posts, epoch, revisions, companies): (String, i64, i64, Option<String>) =
            qb.build_query_as().fetch_one(self.reader()).await?;
        let companies = match companies {
            Some(json) => self.picker().keep((epoch, revisions), companies_from_json(&json)?),
            None => held,
        };
        Ok(ListPage { posts: posts_from_json(&posts)?, companies })
    }

    async fn count_posts(&self, source_id: Option<&str>) -> Result<i64> {
        let n = match source_id {
            Some(s) if unstorable(s) => 0,
            Some(s) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE source_id = $1")
                    .bind(s)
                    .fetch_one(self.reader())
                    .await?
            }
            None => sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(self.reader()).await?,
        };
        Ok(n)
    }

    async fn post(&self, id: i64) -> Result<Option<Post>> {
        let row =
            sqlx::query(concat!(select_posts!(), " WHERE p.id = $1")).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(post_from_row).transpose()
    }

    async fn post_by_url(&self, url: &str) -> Result<Option<Post>> {
        // Through the duplicate detector's index on the URL key; the exact URL then picks among them.
        let Some(key) = url_key(url).filter(|_| !unstorable(url)) else { return Ok(None) };
        let row = sqlx::query(concat!(
            select_posts!(),
            " WHERE p.url_key = $1 AND p.url = $2 ORDER BY p.duplicate_of IS NOT NULL, p.id LIMIT 1"
        ))
        .bind(key)
        .bind(url)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(post_from_row).transpose()
    }

    async fn posts_by_ids(&self, ids: &[i64]) -> Result<Vec<Post>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(select_posts!(), " WHERE p.id ", fragment!(in_list "$1")))
            .bind(list(ids))
            .fetch_all(self.reader())
            .await?;
        let mut by_id: HashMap<i64, Post> =
            rows.iter().map(post_from_row).map(|p| p.map(|p| (p.id, p))).collect::<Result<_>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn post_texts(&self, after_id: i64, limit: u32) -> Result<Vec<PostText>> {
        let rows = sqlx::query(
            "SELECT p.id, p.source_id, s.name_ko, s.name_en, p.title, p.summary, p.content_html, p.categories,
                    p.topics, p.sort_at, p.body_dropped_at IS NOT NULL AS body_dropped
             FROM posts p JOIN sources s ON s.id = p.source_id WHERE p.id > $1 ORDER BY p.id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(post_text_from_row).collect()
    }

    async fn set_topics(&self, topics: &[(i64, Vec<String>)]) -> Result<u64> {
        set_topics(self, topics).await
    }

    async fn delete_post(&self, post_id: i64) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        let Some((source_id, entry_id)): Option<(String, String)> =
            sqlx::query_as(concat!("SELECT source_id, entry_id FROM posts WHERE id = $1", fragment!(for_update)))
                .bind(post_id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        delete_with_tombstones(&mut tx, &source_id, std::slice::from_ref(&entry_id), None).await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    async fn drop_bodies_before(&self, before: i64) -> Result<u64> {
        // The content hash stays: an unchanged entry in the feed does not bring its body back.
        let done = sqlx::query(concat!(
            "UPDATE posts SET content_html = NULL, body_dropped_at = ",
            fragment!(now),
            " WHERE sort_at < $1 AND content_html IS NOT NULL"
        ))
        .bind(before)
        .execute(self.writer())
        .await?;
        self.changed();
        Ok(done.rows_affected())
    }
}
