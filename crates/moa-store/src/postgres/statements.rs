//! The operations PostgreSQL writes in statements of its own: lists passed as arrays (`unnest`), claims
//! that skip the rows another crawler is claiming, advisory locks where SQLite's one writer serialized, the
//! change log read up to a horizon, and lists read as rows. Above the shared helpers (`sql::types`, `sql::rows`,
//! `sql::builders`), below the shared statements that call them.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::{Postgres, QueryBuilder, Row as _};

use super::dialect::{REGISTRY_LOCK, SCRAPS_LOCK};
use super::sql::builders::{INSERT_CHUNK, insert_posts, push_selection};
use super::sql::lists::{push_list, push_page_head};
use super::sql::rows::{change_from_row, claimed_from_row, companies_from_json, post_from_row, post_from_row_at};
use super::sql::types::{Connection, Work};
use super::store::PgStore;
use crate::plan::Write;
use crate::{
    ChangeCursor, ChangeLog, Claimed, ListPage, Post, PostChange, PostQuery, Result, SAME_ARTICLE_WINDOW_SECONDS,
    Selection, StoreError, UpsertStats,
};

/// Serializes registry syncs: every process syncs at start-up, and their row locks could deadlock.
pub(crate) async fn lock_registry(tx: &mut Connection) -> Result<()> {
    lock(tx, REGISTRY_LOCK).await
}

/// Serializes changes to scrap positions.
pub(crate) async fn lock_scraps(tx: &mut Connection) -> Result<()> {
    lock(tx, SCRAPS_LOCK).await
}

async fn lock(tx: &mut Connection, key: i64) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(&mut *tx).await?;
    Ok(())
}

/// Runs a fetch's writes in a transaction of its own: PostgreSQL groups the commits of concurrent
/// transactions itself, and one transaction over several sources could deadlock with another crawler's.
pub(crate) async fn write_fetch(store: &PgStore, work: Work) -> Result<UpsertStats> {
    let mut tx = store.writer().begin().await?;
    let stats = work(&mut tx).await?;
    tx.commit().await?;
    Ok(stats)
}

/// A source's stored entries (entry id → content hash) and tombstoned entry ids.
pub(crate) async fn stored_entries(
    tx: &mut Connection,
    source_id: &str,
) -> Result<(HashMap<String, String>, HashSet<String>)> {
    let known = sqlx::query_as("SELECT entry_id, content_hash FROM posts WHERE source_id = $1")
        .bind(source_id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let tombstones = sqlx::query_scalar("SELECT entry_id FROM tombstones WHERE source_id = $1")
        .bind(source_id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    Ok((known, tombstones))
}

/// Writes the posts, each statement returning the ids (entry id → post id).
pub(crate) async fn write_posts(
    tx: &mut Connection,
    source_id: &str,
    at: i64,
    writes: &[Write<'_>],
) -> Result<HashMap<String, i64>> {
    let mut ids = HashMap::new();
    for chunk in writes.chunks(INSERT_CHUNK) {
        let mut insert = insert_posts(source_id, at, chunk);
        insert.push(" RETURNING entry_id, id");
        let rows: Vec<(String, i64)> = insert.build_query_as().fetch_all(&mut *tx).await?;
        ids.extend(rows);
    }
    Ok(ids)
}

/// For each new post, the first post of another source that is the same article: the same URL key, or
/// the same title key published within [`SAME_ARTICLE_WINDOW_SECONDS`]. One statement for all of them;
/// each lookup uses its own index (an `OR` of the two would scan the table).
pub(crate) async fn find_twins(tx: &mut Connection, source_id: &str, writes: &mut [Write<'_>]) -> Result<()> {
    let wanted: Vec<usize> = (0..writes.len())
        .filter(|&i| writes[i].is_new && (writes[i].url_key.is_some() || writes[i].title_key.is_some()))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let at: Vec<i64> = wanted.iter().map(|&i| i as i64).collect();
    let url_keys: Vec<Option<String>> = wanted.iter().map(|&i| writes[i].url_key.clone()).collect();
    let title_keys: Vec<Option<String>> = wanted.iter().map(|&i| writes[i].title_key.clone()).collect();
    let sort_at: Vec<i64> = wanted.iter().map(|&i| writes[i].sort_at).collect();
    let twins: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT w.i, COALESCE(
             (SELECT p.id FROM posts p WHERE p.url_key = w.url_key AND p.source_id <> $1
                AND p.duplicate_of IS NULL ORDER BY p.id LIMIT 1),
             (SELECT p.id FROM posts p WHERE p.title_key = w.title_key
                AND p.sort_at BETWEEN w.sort_at - $2 AND w.sort_at + $2
                AND p.source_id <> $1 AND p.duplicate_of IS NULL ORDER BY p.id LIMIT 1))
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[]) AS w(i, url_key, title_key, sort_at)",
    )
    .bind(source_id)
    .bind(SAME_ARTICLE_WINDOW_SECONDS)
    .bind(at)
    .bind(url_keys)
    .bind(title_keys)
    .bind(sort_at)
    .fetch_all(&mut *tx)
    .await?;
    for (i, twin) in twins {
        if let Some(w) = usize::try_from(i).ok().and_then(|i| writes.get_mut(i)) {
            w.duplicate_of = twin;
        }
    }
    Ok(())
}

/// Claims sources in one statement: the due rows are locked as they are chosen, rows another crawler is
/// claiming at this moment are skipped (not waited for), and the lease is written before the locks go.
pub(crate) async fn claim(store: &PgStore, selection: &Selection, now: i64, lease_until: i64) -> Result<Vec<Claimed>> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("WITH due AS (SELECT id, next_check_at FROM sources WHERE ");
    push_selection(&mut qb, selection, now);
    qb.push(" FOR UPDATE SKIP LOCKED) UPDATE sources s SET next_check_at = ").push_bind(lease_until).push(
        " FROM due WHERE s.id = due.id
             RETURNING due.next_check_at AS was_due, s.id, s.name_ko, COALESCE(s.moved_to, s.feed_url) AS fetch_url,
               s.selectors, s.user_agent, s.etag, s.last_modified, s.check_interval, s.consecutive_failures",
    );
    let rows = qb.build().fetch_all(store.writer()).await?;
    // RETURNING comes in no particular order: most overdue first, as SQLite's.
    let mut claimed: Vec<(i64, Claimed)> =
        rows.iter().map(|r| Ok((r.try_get("was_due")?, claimed_from_row(r)?))).collect::<Result<_>>()?;
    claimed.sort_by(|(a, x), (b, y)| (a, &x.id).cmp(&(b, &y.id)));
    store.changed();
    Ok(claimed.into_iter().map(|(_, c)| c).collect())
}

/// Sets posts' topics in one statement.
pub(crate) async fn set_topics(store: &PgStore, topics: &[(i64, Vec<String>)]) -> Result<u64> {
    let ids: Vec<i64> = topics.iter().map(|(id, _)| *id).collect();
    let json: Vec<String> =
        topics.iter().map(|(_, t)| serde_json::to_string(t).unwrap_or_else(|_| "[]".into())).collect();
    let done = sqlx::query(
        "UPDATE posts p SET topics = t.topics FROM unnest($1::bigint[], $2::text[]) AS t(id, topics)
         WHERE p.id = t.id AND p.topics <> t.topics",
    )
    .bind(ids)
    .bind(json)
    .execute(store.writer())
    .await?;
    store.changed();
    Ok(done.rows_affected())
}

/// Creates a user or sets their password. True when created.
pub(crate) async fn save_password(tx: &mut Connection, name: &str, password_hash: &str, now: i64) -> Result<bool> {
    // xmax = 0 only on a row this statement inserted.
    Ok(sqlx::query_scalar(
        "INSERT INTO users (name, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash
         RETURNING (xmax = 0)",
    )
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

/// Counts a failed sign-in against each key, in one statement.
pub(crate) async fn sign_in_failed(store: &PgStore, keys: &[String], now: i64, window: i64) -> Result<()> {
    // Distinct keys: one statement may not update a row twice.
    let keys: Vec<&String> = keys.iter().collect::<BTreeSet<_>>().into_iter().collect();
    sqlx::query(
        "INSERT INTO sign_in_failures (key, failures, since) SELECT k, 1, $2 FROM unnest($1::text[]) AS k
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN sign_in_failures.since + $3 <= $2 THEN 1 ELSE sign_in_failures.failures + 1 END,
           since = CASE WHEN sign_in_failures.since + $3 <= $2 THEN $2 ELSE sign_in_failures.since END",
    )
    .bind(keys)
    .bind(now)
    .bind(window)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// The change log's horizon: every transaction of this database with an id below it has ended, so the
/// rows such transactions wrote are all visible to the next statement, and no more will come. Readers
/// take rows below it only, in (tx, seq) order; rows come later only above it, so behind no reader.
///
/// It is the lowest id among this database's running transactions that have an id (that is, have
/// written), or the next id when none has: a transaction given its id before this statement's snapshot
/// shows it in `pg_stat_activity` for as long as it runs, and one given an id after has a larger one.
/// Read-only transactions (a `pg_dump`) and other databases' transactions hold no reader back, where
/// the server-wide snapshot xmin would. It must be read in a statement of its own, before the read
/// it bounds: a transaction ending between the two is then visible to the read.
async fn change_horizon(store: &PgStore) -> Result<i64> {
    // backend_xid is 32 bits; the log keeps 64 (epoch and xid): running ids are within 2^31 below
    // the snapshot's xmax, so the epoch follows from it.
    Ok(sqlx::query_scalar(
        "WITH next AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xid)
         SELECT LEAST(next.xid, MIN(next.xid - ((next.xid % 4294967296) - a.backend_xid::text::bigint
                                                + 4294967296) % 4294967296))
         FROM next LEFT JOIN pg_stat_activity a
           ON a.datname = current_database() AND a.backend_xid IS NOT NULL
         GROUP BY next.xid",
    )
    .fetch_one(store.reader())
    .await?)
}

/// Transactions commit side by side, so a change is ordered by its transaction's id first and read only
/// below `change_horizon`.
#[async_trait::async_trait]
impl ChangeLog for PgStore {
    async fn post_changes(&self, after: ChangeCursor, limit: u32) -> Result<Vec<PostChange>> {
        let horizon = change_horizon(self).await?;
        let rows = sqlx::query(
            "SELECT c.tx, c.seq, c.post_id, p.id, p.source_id, s.name_ko, s.name_en, p.title, p.summary,
                    p.content_html, p.categories, p.topics, p.sort_at, p.body_dropped_at IS NOT NULL AS body_dropped, p.duplicate_of
             FROM post_changes c LEFT JOIN posts p ON p.id = c.post_id LEFT JOIN sources s ON s.id = p.source_id
             WHERE (c.tx, c.seq) > ($1, $2) AND c.tx < $4 ORDER BY c.tx, c.seq LIMIT $3",
        )
        .bind(after.tx)
        .bind(after.seq)
        .bind(i64::from(limit.max(1)))
        .bind(horizon)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(change_from_row).collect()
    }

    async fn last_change(&self) -> Result<ChangeCursor> {
        let horizon = change_horizon(self).await?;
        let last: Option<(i64, i64)> =
            sqlx::query_as("SELECT tx, seq FROM post_changes WHERE tx < $1 ORDER BY tx DESC, seq DESC LIMIT 1")
                .bind(horizon)
                .fetch_optional(self.reader())
                .await?;
        Ok(last.map(|(tx, seq)| ChangeCursor { tx, seq }).unwrap_or_default())
    }
}

/// A list's posts, as rows.
pub(crate) async fn list_posts(store: &PgStore, query: &PostQuery) -> Result<Vec<Post>> {
    let mut qb = QueryBuilder::new("");
    push_list(&mut qb, query);
    let mut lent = store.lists().lend().await?;
    let rows = qb.build().fetch_all(lent.conn()?).await?;
    lent.give_back();
    rows.iter().map(post_from_row).collect()
}

/// A list's page as one statement, one round trip: its head (`sql::lists::push_page_head`) joined to each
/// post, and alone when the list is empty. The picker's companies, when sent, come on the first row only: a
/// crawl changes them often, and twenty copies of the list were twenty times its bytes.
fn push_page_as_rows(st: &mut QueryBuilder<Postgres>, query: &PostQuery, held_key: (i64, i64)) {
    st.push(match query.source_id {
        Some(_) => "SELECT k.*, q.* FROM (",
        None => {
            "SELECT k.epoch, k.revisions, CASE WHEN row_number() OVER (ORDER BY q.sort_at DESC, q.id DESC) = 1
             THEN k.companies END AS companies, q.* FROM ("
        }
    });
    push_page_head(st, query, held_key);
    st.push(") k LEFT JOIN LATERAL (");
    push_list(st, query);
    st.push(") q ON TRUE ORDER BY q.sort_at DESC, q.id DESC");
}

/// A list's page (see `push_page_as_rows`), its posts as rows: the database builds them for less than a JSON
/// value.
pub(crate) async fn list_page(store: &PgStore, query: &PostQuery) -> Result<ListPage> {
    let (held_key, held) = store.picker().held();
    let mut qb = QueryBuilder::new("");
    push_page_as_rows(&mut qb, query, held_key);
    let mut lent = store.lists().lend().await?;
    let rows = qb.build().fetch_all(lent.conn()?).await?;
    lent.give_back();
    let Some(first) = rows.first() else { return Err(StoreError::Corrupt("a list's page read no row".into())) };
    // The head's columns come first: the company, or the picker's key and companies.
    let first_post_column = if query.source_id.is_some() { 1 } else { 3 };
    let posts = match first.try_get::<Option<i64>, _>(first_post_column)? {
        Some(_) => rows.iter().map(|row| post_from_row_at(row, first_post_column)).collect::<Result<Vec<_>>>()?,
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
