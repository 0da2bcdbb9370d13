//! The operations SQLite writes in statements of its own: lists passed as JSON (`json_each`), and few
//! rows answered, since sqlx runs statements on the connection's own thread and hands over every statement
//! and every row with a thread wake-up (measured: with a statement per post, wake-ups took half the CPU
//! time of a first crawl); and the lists every page shows, read on the caller's thread (`direct`). Above the
//! shared helpers (`sql::types`, `sql::rows`, `sql::builders`, `sql::lists`), below the shared statements
//! that call them.

use std::collections::{HashMap, HashSet};
use std::fmt::{Display, Write as _};

use rusqlite::types::Value;
use sqlx::{QueryBuilder, Sqlite};

use super::dialect::list;
use super::direct::DirectStatement;
use super::sql::builders::{INSERT_CHUNK, insert_posts, push_selection};
use super::sql::lists::{Statement, push_list, push_page_head};
use super::sql::rows::{Columns, change_from_row, claimed_from_row, companies_from_json, post_from_columns};
use super::sql::types::{Connection, Work};
use super::store::SqliteStore;
use crate::plan::Write;
use crate::{
    ChangeCursor, ChangeLog, Claimed, ListPage, Post, PostChange, PostQuery, Result, SAME_ARTICLE_WINDOW_SECONDS,
    Selection, StoreError, UpsertStats,
};

/// Serializes registry syncs: the one writer does already.
pub(crate) async fn lock_registry(_tx: &mut Connection) -> Result<()> {
    Ok(())
}

/// Serializes changes to scrap positions: the one writer does already.
pub(crate) async fn lock_scraps(_tx: &mut Connection) -> Result<()> {
    Ok(())
}

/// Runs a fetch's writes in the writer's next group commit, with the fetches waiting beside it (see
/// `group`); answers once they are committed.
pub(crate) async fn write_fetch(store: &SqliteStore, work: Work) -> Result<UpsertStats> {
    store.fetches().run(work).await
}

/// A source's stored entries (entry id → content hash) and tombstoned entry ids, in one row.
pub(crate) async fn stored_entries(
    tx: &mut Connection,
    source_id: &str,
) -> Result<(HashMap<String, String>, HashSet<String>)> {
    let (known, tombstones): (String, String) = sqlx::query_as(
        "SELECT (SELECT json_group_object(entry_id, content_hash) FROM posts WHERE source_id = ?1),
                (SELECT json_group_array(entry_id) FROM tombstones WHERE source_id = ?1)",
    )
    .bind(source_id)
    .fetch_one(&mut *tx)
    .await?;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("post keys: {e}"));
    Ok((serde_json::from_str(&known).map_err(corrupt)?, serde_json::from_str(&tombstones).map_err(corrupt)?))
}

/// Writes the posts, then reads the new ones' ids (entry id → post id) in one row.
pub(crate) async fn write_posts(
    tx: &mut Connection,
    source_id: &str,
    at: i64,
    writes: &[Write<'_>],
) -> Result<HashMap<String, i64>> {
    for chunk in writes.chunks(INSERT_CHUNK) {
        insert_posts(source_id, at, chunk).build().execute(&mut *tx).await?;
    }
    let new_ids: Vec<&str> = writes.iter().filter(|w| w.is_new).map(|w| w.post.entry_id.as_str()).collect();
    if new_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let map: String = sqlx::query_scalar(
        "SELECT json_group_object(entry_id, id) FROM posts
         WHERE source_id = ? AND entry_id IN (SELECT value FROM json_each(?))",
    )
    .bind(source_id)
    .bind(list(&new_ids))
    .fetch_one(&mut *tx)
    .await?;
    serde_json::from_str(&map).map_err(|e| StoreError::Corrupt(format!("post ids: {e}")))
}

/// For each new post, the first post of another source that is the same article: the same URL key, or
/// the same title key published within [`SAME_ARTICLE_WINDOW_SECONDS`]. One statement for all of them;
/// each lookup uses its own index (an `OR` of the two would scan the table).
pub(crate) async fn find_twins(tx: &mut Connection, source_id: &str, writes: &mut [Write<'_>]) -> Result<()> {
    let wanted: Vec<serde_json::Value> = writes
        .iter()
        .enumerate()
        .filter(|(_, w)| w.is_new && (w.url_key.is_some() || w.title_key.is_some()))
        .map(|(i, w)| serde_json::json!([i, w.url_key, w.title_key, w.sort_at]))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let twins: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(j.value ->> 0, COALESCE(
             (SELECT p.id FROM posts p WHERE p.url_key = j.value ->> 1 AND p.source_id <> ?1
                AND p.duplicate_of IS NULL ORDER BY p.id LIMIT 1),
             (SELECT p.id FROM posts p WHERE p.title_key = j.value ->> 2
                AND p.sort_at BETWEEN (j.value ->> 3) - ?2 AND (j.value ->> 3) + ?2
                AND p.source_id <> ?1 AND p.duplicate_of IS NULL ORDER BY p.id LIMIT 1))))
         FROM json_each(?3) j",
    )
    .bind(source_id)
    .bind(SAME_ARTICLE_WINDOW_SECONDS)
    .bind(serde_json::Value::Array(wanted).to_string())
    .fetch_one(&mut *tx)
    .await?;
    let twins: Vec<(usize, Option<i64>)> =
        serde_json::from_str(&twins).map_err(|e| StoreError::Corrupt(format!("twins: {e}")))?;
    for (i, twin) in twins {
        if let Some(w) = writes.get_mut(i) {
            w.duplicate_of = twin;
        }
    }
    Ok(())
}

/// Claims sources: the due ones are read, then leased, in one transaction of the one writer.
pub(crate) async fn claim(
    store: &SqliteStore,
    selection: &Selection,
    now: i64,
    lease_until: i64,
) -> Result<Vec<Claimed>> {
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT id, name_ko, COALESCE(moved_to, feed_url) AS fetch_url, selectors, user_agent, etag,
           last_modified, check_interval, consecutive_failures FROM sources WHERE ",
    );
    push_selection(&mut qb, selection, now);
    let mut tx = store.writer().begin().await?;
    let rows = qb.build().fetch_all(&mut *tx).await?;
    let claimed: Vec<Claimed> = rows.iter().map(claimed_from_row).collect::<Result<_>>()?;
    for chunk in claimed.chunks(500) {
        let mut update: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE sources SET next_check_at = ");
        update.push_bind(lease_until).push(" WHERE id IN (");
        let mut list = update.separated(", ");
        for c in chunk {
            list.push_bind(c.id.as_str());
        }
        update.push(")");
        update.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    store.changed();
    Ok(claimed)
}

/// Sets posts' topics, a statement each, in one transaction.
pub(crate) async fn set_topics(store: &SqliteStore, topics: &[(i64, Vec<String>)]) -> Result<u64> {
    let mut tx = store.writer().begin().await?;
    let mut changed = 0;
    for (id, t) in topics {
        let json = serde_json::to_string(t).unwrap_or_else(|_| "[]".into());
        changed += sqlx::query("UPDATE posts SET topics = ?1 WHERE id = ?2 AND topics <> ?1")
            .bind(json)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    store.changed();
    Ok(changed)
}

/// Creates a user or sets their password. True when created.
pub(crate) async fn save_password(tx: &mut Connection, name: &str, password_hash: &str, now: i64) -> Result<bool> {
    let existed: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?)").bind(name).fetch_one(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
    )
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(!existed)
}

/// Counts a failed sign-in against each key, in one statement.
pub(crate) async fn sign_in_failed(store: &SqliteStore, keys: &[String], now: i64, window: i64) -> Result<()> {
    // `WHERE true` tells SQLite's parser that `ON CONFLICT` is the upsert's, not a join's.
    sqlx::query(
        "INSERT INTO sign_in_failures (key, failures, since) SELECT value, 1, ?2 FROM json_each(?1) WHERE true
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN sign_in_failures.since + ?3 <= ?2 THEN 1 ELSE sign_in_failures.failures + 1 END,
           since = CASE WHEN sign_in_failures.since + ?3 <= ?2 THEN ?2 ELSE sign_in_failures.since END",
    )
    .bind(list(keys))
    .bind(now)
    .bind(window)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// One writer commits one transaction at a time, so the log's sequence numbers become visible in order:
/// `tx` is always 0, and a follower reads everything after its sequence number.
#[async_trait::async_trait]
impl ChangeLog for SqliteStore {
    async fn post_changes(&self, after: ChangeCursor, limit: u32) -> Result<Vec<PostChange>> {
        let rows = sqlx::query(
            "SELECT 0 AS tx, c.seq, c.post_id, p.id, p.source_id, s.name_ko, s.name_en, p.title, p.summary, p.content_html,
                    p.categories, p.topics, p.sort_at, p.body_dropped_at IS NOT NULL AS body_dropped, p.duplicate_of
             FROM post_changes c LEFT JOIN posts p ON p.id = c.post_id LEFT JOIN sources s ON s.id = p.source_id
             WHERE c.seq > ? ORDER BY c.seq LIMIT ?",
        )
        .bind(after.seq)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(change_from_row).collect()
    }

    async fn last_change(&self) -> Result<ChangeCursor> {
        let seq = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM post_changes").fetch_one(self.reader()).await?;
        Ok(ChangeCursor { tx: 0, seq })
    }
}

impl Statement for DirectStatement {
    fn push(&mut self, sql: impl Display) -> &mut Self {
        // Writing into a String cannot fail.
        let _ = write!(self.sql, "{sql}");
        self
    }

    fn push_text(&mut self, value: String) -> &mut Self {
        self.sql.push('?');
        self.values.push(Value::Text(value));
        self
    }

    fn push_int(&mut self, value: i64) -> &mut Self {
        self.sql.push('?');
        self.values.push(Value::Integer(value));
        self
    }
}

/// A list's posts, read directly.
pub(crate) async fn list_posts(store: &SqliteStore, query: &PostQuery) -> Result<Vec<Post>> {
    let mut statement = DirectStatement::default();
    push_list(&mut statement, query);
    store.direct().read_rows(&statement, |row| post_from_columns(&DirectRow(row), 0))
}

/// A list's page, read directly: its posts, then its head (see `sql::lists::push_page_head`). Two
/// statements where PostgreSQL runs one: each is answered where it is asked, so the second costs no
/// round trip, and the posts come straight off their index with no join to sort again.
pub(crate) async fn list_page(store: &SqliteStore, query: &PostQuery) -> Result<ListPage> {
    let posts = list_posts(store, query).await?;
    let (held_key, held) = store.picker().held();
    let mut statement = DirectStatement::default();
    push_page_head(&mut statement, query, held_key);
    let companies = if query.source_id.is_some() {
        let company: Vec<String> = store.direct().read_rows(&statement, |row| Ok(row.get(0)?))?;
        companies_from_json(company.first().map_or("[]", String::as_str))?.into()
    } else {
        let key: Vec<(i64, i64, Option<String>)> =
            store.direct().read_rows(&statement, |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        match key.into_iter().next() {
            Some((epoch, revisions, Some(json))) => {
                store.picker().keep((epoch, revisions), companies_from_json(&json)?)
            }
            Some((_, _, None)) => held,
            None => return Err(StoreError::Corrupt("the picker's key read no row".into())),
        }
    };
    Ok(ListPage { posts, companies })
}

/// A row of a direct read, as the shared readers read rows.
struct DirectRow<'a, 'r>(&'a rusqlite::Row<'r>);

impl Columns for DirectRow<'_, '_> {
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.0.get(i)?)
    }

    fn maybe_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.get(i)?)
    }

    fn text(&self, i: usize) -> Result<String> {
        Ok(self.0.get(i)?)
    }

    fn maybe_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.0.get(i)?)
    }
}
