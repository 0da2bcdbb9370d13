//! PostgreSQL: one database shared by several web and crawler processes.
//!
//! The semantics are SQLite's (the same test suite runs on both); what differs is concurrency. Crawlers
//! claim due sources with `FOR UPDATE SKIP LOCKED`, writing the lease into `next_check_at` in the same
//! statement; the change log is read only up to a horizon of this database's running writers, so followers
//! never skip a late commit (see [`PgStore::change_horizon`]); and the few read-modify-write paths that
//! SQLite's single writer serialized (the registry sync, scrap positions, migrations) take advisory locks.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, Postgres, QueryBuilder, Row};

use crate::plan::{Registered, Write, count, plan, registry_sync};
use crate::rows::{scrap_order, select_posts};
use crate::{
    AuditEntry, Backlog, ChangeCursor, CheckResult, Claimed, Cursor, Health, NewPost, NewSource, NewsletterSettings,
    PageVisit, PoolStats, Post, PostChange, PostQuery, PostText, REMOVED_FROM_REGISTRY, Result,
    SAME_ARTICLE_WINDOW_SECONDS, Scrap, ScrapFields, Selection, Session, SourceCheck, SourceRow, SourceSpec, Store,
    StoreError, Subscription, SubscriptionState, SyncStats, UpsertStats, User, Validators, title_key, url_key,
};

/// Embedded migrations: the same versions and schema as SQLite's, in PostgreSQL's dialect.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/postgres/0001_init.sql")),
    (2, "validators", include_str!("../migrations/postgres/0002_validators.sql")),
    (3, "crawler", include_str!("../migrations/postgres/0003_crawler.sql")),
    (4, "clicks", include_str!("../migrations/postgres/0004_clicks.sql")),
    (5, "scraps", include_str!("../migrations/postgres/0005_scraps.sql")),
    (6, "curators", include_str!("../migrations/postgres/0006_curators.sql")),
    (7, "search", include_str!("../migrations/postgres/0007_search.sql")),
    (8, "console", include_str!("../migrations/postgres/0008_console.sql")),
    (9, "scale_out", include_str!("../migrations/postgres/0009_scale_out.sql")),
    (10, "site_pages", include_str!("../migrations/postgres/0010_site_pages.sql")),
    (11, "registry", include_str!("../migrations/postgres/0011_registry.sql")),
    (12, "body_dropped", include_str!("../migrations/postgres/0012_body_dropped.sql")),
];

/// Advisory lock keys (any numbers, as long as they are moa's own).
const MIGRATION_LOCK: i64 = 0x6d6f_6101;
const REGISTRY_LOCK: i64 = 0x6d6f_6102;
const SCRAPS_LOCK: i64 = 0x6d6f_6103;

/// The current time in Unix seconds, in SQL.
macro_rules! now_sql {
    () => {
        "EXTRACT(EPOCH FROM now())::bigint"
    };
}

/// What a successful fetch sets (SQLite's `fetch_succeeded!` with PostgreSQL's placeholders): $1 the
/// attempt time, $2 the next check, $3 the interval, $4 a permanent redirect, $5 ms, $6 bytes.
macro_rules! fetch_succeeded {
    () => {
        "last_attempt_at = $1, last_success_at = $1, last_error = NULL, last_error_kind = NULL,
         consecutive_failures = 0, next_check_at = $2, check_interval = $3,
         moved_to = CASE WHEN $4::text IS NOT NULL AND redirect_candidate = $4 THEN $4 ELSE moved_to END,
         redirect_candidate = CASE WHEN $4::text IS NOT NULL AND redirect_candidate = $4 THEN NULL ELSE $4 END,
         failing_since = NULL, attempt_count = attempt_count + 1, fetch_count = fetch_count + 1,
         fetch_ms_total = fetch_ms_total + $5, fetch_bytes_total = fetch_bytes_total + $6"
    };
}

crate::rows::row_readers!(sqlx::postgres::PgRow);

pub struct PgStore {
    pool: PgPool,
    version: AtomicU64,
}

/// The URL of database `name` on the server `url` names.
/// PostgreSQL refuses NUL in text, and moa stores none (feeds and forms are cleaned of it): a name or an
/// address asked for with one matches nothing, rather than failing the query.
fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

fn with_database(url: &str, name: &str) -> Result<String> {
    let scheme_end = url.find("://").ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))? + 3;
    let (head, rest) = url.split_at(scheme_end);
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let query = rest[authority_end..].find('?').map(|q| &rest[authority_end + q..]).unwrap_or("");
    Ok(format!("{head}{}/{name}{query}", &rest[..authority_end]))
}

fn valid_database_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 63 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::Unsupported(format!("{name:?} is not a database name moa creates")));
    }
    Ok(())
}

/// Creates database `name` on the server `server_url` names (connecting to the database that URL
/// names, usually `postgres`); the new database's URL.
pub async fn create_database(server_url: &str, name: &str) -> Result<String> {
    valid_database_name(name)?;
    let mut conn = PgConnection::connect(server_url).await?;
    // The name is checked to be letters, digits and underscores.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await?;
    conn.close().await?;
    with_database(server_url, name)
}

/// Drops database `name`, ending its connections first.
pub async fn drop_database(server_url: &str, name: &str) -> Result<()> {
    valid_database_name(name)?;
    let mut conn = PgConnection::connect(server_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &crate::OpenOptions::default()).await
    }

    /// A crawler keeps one connection busy per fetch it is storing: with 8 connections a crawler stored
    /// 136 feeds/s, with 16 it stored 244 (BENCHMARKS.md). Every process's pool counts against the
    /// server's `max_connections` (100 by default).
    pub async fn open_with(url: &str, open: &crate::OpenOptions) -> Result<Self> {
        // Statements are logged at debug level only: the crawler runs thousands.
        let options = PgConnectOptions::from_str(url)?
            .application_name("moa")
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
        // One connection first: a server that is down or refuses us fails at once with its own error,
        // where the pool would retry until its acquire timeout.
        PgConnection::connect_with(&options).await?.close().await?;
        let pool = PgPoolOptions::new()
            .max_connections(open.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        migrate(&pool).await?;
        Ok(Self { pool, version: AtomicU64::new(0) })
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
    async fn change_horizon(&self) -> Result<i64> {
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
        .fetch_one(&self.pool)
        .await?)
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn changed(&self) {
        self.version.fetch_add(1, Ordering::Release);
    }
}

/// Applies the migrations not yet applied, each in its own transaction, holding a session lock so that
/// processes starting together migrate one after the other.
async fn migrate(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
    let result = apply_migrations(&mut conn).await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
    result
}

async fn apply_migrations(conn: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS moa_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM moa_migrations").fetch_all(&mut *conn).await?;
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let wrap = |source| StoreError::Migration { version: *version, name, source };
        let mut tx = conn.begin().await.map_err(wrap)?;
        sqlx::raw_sql(*sql).execute(&mut *tx).await.map_err(wrap)?;
        if *version == 3 {
            backfill_article_keys(&mut tx).await.map_err(wrap)?;
        }
        sqlx::query(concat!(
            "INSERT INTO moa_migrations (version, name, applied_at) VALUES ($1, $2, ",
            now_sql!(),
            ")"
        ))
        .bind(version)
        .bind(*name)
        .execute(&mut *tx)
        .await
        .map_err(wrap)?;
        tx.commit().await.map_err(wrap)?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}

/// Posts stored before migration 3 get their article keys (as in SQLite; a new database has none).
async fn backfill_article_keys(tx: &mut PgConnection) -> std::result::Result<(), sqlx::Error> {
    let rows: Vec<(i64, Option<String>, String)> =
        sqlx::query_as("SELECT id, url, title FROM posts").fetch_all(&mut *tx).await?;
    for (id, url, title) in rows {
        sqlx::query("UPDATE posts SET url_key = $1, title_key = $2 WHERE id = $3")
            .bind(url.as_deref().and_then(url_key))
            .bind(title_key(&title))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

async fn lock(tx: &mut PgConnection, key: i64) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(&mut *tx).await?;
    Ok(())
}

/// Rows per multi-row INSERT: 19 parameters each, well under PostgreSQL's limit of 65,535.
const INSERT_CHUNK: usize = 256;

/// Upserts one fetch's posts inside the caller's transaction (see the SQLite version for the rules).
async fn upsert_posts(tx: &mut PgConnection, source_id: &str, at: i64, posts: &[NewPost]) -> Result<UpsertStats> {
    let known: HashMap<String, String> =
        sqlx::query_as("SELECT entry_id, content_hash FROM posts WHERE source_id = $1")
            .bind(source_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let tombstones: HashSet<String> = sqlx::query_scalar("SELECT entry_id FROM tombstones WHERE source_id = $1")
        .bind(source_id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let mut stats = UpsertStats::default();
    let mut writes = plan(posts, at, &known, &tombstones, &mut stats);
    find_twins(tx, source_id, &mut writes).await?;
    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in writes.chunks(INSERT_CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO posts (source_id, entry_id, url, title, summary, content_html, author, thumbnail,
               categories, category_labels, topics, published_at, updated_at, first_seen_at, sort_at, content_hash,
               url_key, title_key, duplicate_of) ",
        );
        qb.push_values(chunk, |mut b, w| {
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
               body_dropped_at = NULL
             RETURNING entry_id, id",
        );
        let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut *tx).await?;
        ids.extend(rows);
    }
    count(&writes, &ids, &mut stats)?;
    Ok(stats)
}

/// Deletes a source's posts for good, with tombstones, and shows the copies hidden behind them again (see
/// the SQLite version). Deleted at `at`, or the database's clock.
async fn delete_with_tombstones(
    tx: &mut PgConnection,
    source_id: &str,
    entry_ids: &[String],
    at: Option<i64>,
) -> Result<u32> {
    if entry_ids.is_empty() {
        return Ok(0);
    }
    sqlx::query(concat!(
        "INSERT INTO tombstones (source_id, entry_id, deleted_at)
         SELECT source_id, entry_id, COALESCE($3::BIGINT, ",
        now_sql!(),
        ") FROM posts WHERE source_id = $1 AND entry_id = ANY($2)
         ON CONFLICT DO NOTHING"
    ))
    .bind(source_id)
    .bind(entry_ids)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE posts SET duplicate_of = NULL WHERE duplicate_of IN (SELECT id FROM posts WHERE source_id = $1 AND entry_id = ANY($2))")
        .bind(source_id)
        .bind(entry_ids)
        .execute(&mut *tx)
        .await?;
    let deleted = sqlx::query("DELETE FROM posts WHERE source_id = $1 AND entry_id = ANY($2)")
        .bind(source_id)
        .bind(entry_ids)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(u32::try_from(deleted).unwrap_or(u32::MAX))
}

/// For each new post, the first post of another source that is the same article (see the SQLite version).
async fn find_twins(tx: &mut PgConnection, source_id: &str, writes: &mut [Write<'_>]) -> Result<()> {
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

/// A successful check's statement with the parameters `fetch_succeeded!` names bound ($1 to $6).
fn succeeded<'q>(
    sql: &'static str,
    check: &'q SourceCheck,
) -> sqlx::query::Query<'q, Postgres, <Postgres as sqlx::Database>::Arguments> {
    sqlx::query(sql)
        .bind(check.at)
        .bind(check.next_check_at)
        .bind(check.interval)
        .bind(&check.permanent_redirect)
        .bind(check.elapsed_ms.max(0))
        .bind(check.bytes.max(0))
}

async fn record_check(tx: &mut PgConnection, check: &SourceCheck) -> Result<()> {
    let query = match &check.result {
        CheckResult::Fetched { validators, site_pages } => succeeded(
            concat!(
                "UPDATE sources SET ",
                fetch_succeeded!(),
                ", etag = $7, last_modified = $8, pages_skipped = $10 WHERE id = $9"
            ),
            check,
        )
        .bind(&validators.etag)
        .bind(&validators.last_modified)
        .bind(&check.source_id)
        .bind(site_pages.len() as i64),
        CheckResult::NotModified => succeeded(
            concat!(
                "UPDATE sources SET ",
                fetch_succeeded!(),
                ", not_modified_count = not_modified_count + 1 WHERE id = $7"
            ),
            check,
        )
        .bind(&check.source_id),
        CheckResult::Failed { kind, message, disable } => sqlx::query(
            "UPDATE sources SET last_attempt_at = $1, last_error = $2, last_error_kind = $3,
               consecutive_failures = consecutive_failures + 1, next_check_at = $4, check_interval = $5,
               enabled = CASE WHEN $6 THEN FALSE ELSE enabled END,
               disabled_reason = CASE WHEN $6 THEN $2 ELSE disabled_reason END,
               failing_since = COALESCE(failing_since, $1), attempt_count = attempt_count + 1,
               fetch_ms_total = fetch_ms_total + $8
             WHERE id = $7",
        )
        .bind(check.at)
        .bind(message)
        .bind(kind.as_str())
        .bind(check.next_check_at)
        .bind(check.interval)
        .bind(*disable)
        .bind(&check.source_id)
        .bind(check.elapsed_ms.max(0)),
    };
    query.execute(&mut *tx).await?;
    Ok(())
}

async fn next_position(tx: &mut PgConnection, month: &str, section: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM scraps WHERE month = $1 AND section = $2")
        .bind(month)
        .bind(section)
        .fetch_one(&mut *tx)
        .await?)
}

async fn place_of(tx: &mut PgConnection, id: i64) -> Result<Option<(String, String, i64)>> {
    Ok(sqlx::query_as("SELECT month, section, position FROM scraps WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?)
}

async fn close_gap(tx: &mut PgConnection, month: &str, section: &str, position: i64) -> Result<()> {
    sqlx::query("UPDATE scraps SET position = position - 1 WHERE month = $1 AND section = $2 AND position > $3")
        .bind(month)
        .bind(section)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM store_settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO store_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sync_registry(&self, sources: &[SourceSpec], now: i64) -> Result<SyncStats> {
        let mut tx = self.pool.begin().await?;
        // Every process syncs at start-up; one at a time, or their row locks could deadlock.
        lock(&mut tx, REGISTRY_LOCK).await?;
        let existing: Registered = sqlx::query("SELECT * FROM sources WHERE origin = 'registry'")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, (spec_from_row(r)?, r.try_get("enabled")?, r.try_get("disabled_reason")?))))
            .collect::<Result<_>>()?;
        let operators: HashSet<String> = sqlx::query_scalar("SELECT id FROM sources WHERE origin <> 'registry'")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let plan = registry_sync(sources, &existing, &operators);
        for s in &plan.write {
            sqlx::query(
                "INSERT INTO sources (id, name_ko, name_en, homepage, feed_url, platform, user_agent, origin, enabled,
                   created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'registry', TRUE, $8)
                 ON CONFLICT (id) DO UPDATE SET name_ko = excluded.name_ko, name_en = excluded.name_en,
                   homepage = excluded.homepage, platform = excluded.platform, user_agent = excluded.user_agent,
                   origin = 'registry',
                   enabled = CASE WHEN sources.feed_url <> excluded.feed_url OR sources.disabled_reason IS NULL
                     OR sources.disabled_reason = $9 THEN TRUE ELSE sources.enabled END,
                   disabled_reason = CASE WHEN sources.feed_url <> excluded.feed_url OR sources.disabled_reason = $9
                     THEN NULL ELSE sources.disabled_reason END,
                   etag = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.etag END,
                   last_modified = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.last_modified END,
                   moved_to = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.moved_to END,
                   redirect_candidate =
                     CASE WHEN sources.feed_url = excluded.feed_url THEN sources.redirect_candidate END,
                   next_check_at = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.next_check_at ELSE 0 END,
                   feed_url = excluded.feed_url
                 WHERE sources.origin = 'registry'",
            )
            .bind(&s.id)
            .bind(&s.name_ko)
            .bind(&s.name_en)
            .bind(&s.homepage)
            .bind(&s.feed_url)
            .bind(&s.platform)
            .bind(&s.user_agent)
            .bind(now)
            .bind(REMOVED_FROM_REGISTRY)
            .execute(&mut *tx)
            .await?;
        }
        if !plan.unlisted.is_empty() {
            sqlx::query("UPDATE sources SET enabled = FALSE, disabled_reason = $1 WHERE id = ANY($2)")
                .bind(REMOVED_FROM_REGISTRY)
                .bind(&plan.unlisted)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(plan.stats)
    }

    async fn sources(&self) -> Result<Vec<SourceRow>> {
        let rows = sqlx::query(concat!(
            "SELECT s.*, COALESCE(p.n, 0) AS post_count, p.last_post_at, COALESCE(p.last_year, 0) AS posts_last_year
             FROM sources s
             LEFT JOIN (SELECT source_id, COUNT(*) AS n, MAX(sort_at) AS last_post_at,
                          COUNT(*) FILTER (WHERE sort_at >= ",
            now_sql!(),
            " - 365 * 86400) AS last_year
                        FROM posts GROUP BY source_id) p
               ON p.source_id = s.id
             WHERE s.origin <> 'removed'
             ORDER BY s.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(source_from_row).collect()
    }

    async fn source(&self, id: &str) -> Result<Option<SourceRow>> {
        if has_nul(id) {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT s.*, (SELECT COUNT(*) FROM posts WHERE source_id = s.id) AS post_count,
                    (SELECT MAX(sort_at) FROM posts WHERE source_id = s.id) AS last_post_at,
                    (SELECT COUNT(*) FROM posts WHERE source_id = s.id AND sort_at >= ",
            now_sql!(),
            " - 365 * 86400) AS posts_last_year
             FROM sources s WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(source_from_row).transpose()
    }

    async fn claim(&self, selection: &Selection, now: i64, lease_until: i64) -> Result<Vec<Claimed>> {
        // One statement: the due rows are locked as they are chosen, rows another crawler is claiming at
        // this moment are skipped (not waited for), and the lease is written before the locks go.
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("WITH due AS (SELECT id, next_check_at FROM sources WHERE ");
        match selection {
            Selection::Due { .. } => {
                qb.push("enabled AND next_check_at <= ").push_bind(now);
            }
            Selection::All => {
                qb.push("enabled");
            }
            Selection::Ids(ids) => {
                qb.push("origin <> 'removed' AND id = ANY(").push_bind(ids.clone()).push(")");
            }
        }
        qb.push(" ORDER BY next_check_at, id");
        if let Selection::Due { limit } = selection {
            qb.push(" LIMIT ").push_bind(i64::from(*limit));
        }
        qb.push(" FOR UPDATE SKIP LOCKED) UPDATE sources s SET next_check_at = ").push_bind(lease_until).push(
            " FROM due WHERE s.id = due.id
                 RETURNING due.next_check_at AS was_due, s.id, s.name_ko, COALESCE(s.moved_to, s.feed_url) AS fetch_url,
                   s.selectors, s.user_agent, s.etag, s.last_modified, s.check_interval, s.consecutive_failures",
        );
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut claimed: Vec<(i64, Claimed)> =
            rows.iter().map(|r| Ok((r.try_get("was_due")?, claimed_from_row(r)?))).collect::<Result<_>>()?;
        claimed.sort_by(|(a, x), (b, y)| (a, &x.id).cmp(&(b, &y.id)));
        self.changed();
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }

    async fn store_fetch(&self, check: &SourceCheck, posts: &[NewPost]) -> Result<UpsertStats> {
        let mut tx = self.pool.begin().await?;
        let mut stats = upsert_posts(&mut tx, &check.source_id, check.at, posts).await?;
        if let CheckResult::Fetched { site_pages, .. } = &check.result {
            stats.site_pages_removed =
                delete_with_tombstones(&mut tx, &check.source_id, site_pages, Some(check.at)).await?;
        }
        record_check(&mut tx, check).await?;
        tx.commit().await?;
        self.changed();
        Ok(stats)
    }

    async fn store_pushed(&self, source_id: &str, at: i64, posts: &[NewPost]) -> Result<UpsertStats> {
        let mut tx = self.pool.begin().await?;
        let stats = upsert_posts(&mut tx, source_id, at, posts).await?;
        tx.commit().await?;
        self.changed();
        Ok(stats)
    }

    async fn record_checks(&self, checks: &[SourceCheck]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for check in checks {
            record_check(&mut tx, check).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    async fn set_page_facts(&self, post_id: i64, image: Option<&str>, published: Option<i64>) -> Result<()> {
        sqlx::query(
            "UPDATE posts SET page_checked = TRUE, thumbnail = COALESCE(thumbnail, $1),
               published_at = COALESCE(published_at, $2),
               sort_at = CASE WHEN published_at IS NULL AND $2::bigint IS NOT NULL THEN $2 ELSE sort_at END
             WHERE id = $3",
        )
        .bind(image)
        .bind(published)
        .bind(post_id)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    async fn pages_to_visit(&self, source_id: &str, limit: u32) -> Result<Vec<PageVisit>> {
        let rows: Vec<(i64, String, bool, bool)> = sqlx::query_as(
            "SELECT id, url, thumbnail IS NULL, published_at IS NULL FROM posts
             WHERE source_id = $1 AND NOT page_checked AND url IS NOT NULL AND duplicate_of IS NULL
               AND (thumbnail IS NULL OR published_at IS NULL)
             ORDER BY sort_at DESC, id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(post_id, url, needs_image, needs_date)| PageVisit { post_id, url, needs_image, needs_date })
            .collect())
    }

    async fn delete_post(&self, post_id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some((source_id, entry_id)): Option<(String, String)> =
            sqlx::query_as("SELECT source_id, entry_id FROM posts WHERE id = $1 FOR UPDATE")
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

    async fn subscription(&self, source_id: &str) -> Result<Option<Subscription>> {
        if has_nul(source_id) {
            return Ok(None);
        }
        let row =
            sqlx::query("SELECT * FROM websub WHERE source_id = $1").bind(source_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn save_subscription(&self, s: &Subscription) -> Result<()> {
        sqlx::query(
            "INSERT INTO websub (source_id, hub, topic, secret, state, lease_expires_at, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic,
               secret = excluded.secret, state = excluded.state, lease_expires_at = excluded.lease_expires_at,
               requested_at = excluded.requested_at",
        )
        .bind(&s.source_id)
        .bind(&s.hub)
        .bind(&s.topic)
        .bind(&s.secret)
        .bind(s.state.as_str())
        .bind(s.lease_expires_at)
        .bind(s.requested_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        if [&query.source_id, &query.tag, &query.topic].into_iter().flatten().any(|s| has_nul(s)) {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(concat!(select_posts!(), " WHERE 1 = 1"));
        match &query.source_id {
            Some(source) => {
                qb.push(" AND p.source_id = ").push_bind(source.clone());
            }
            None if !query.include_duplicates => {
                qb.push(" AND p.duplicate_of IS NULL");
            }
            None => {}
        }
        if let Some(tag) = &query.tag {
            qb.push(" AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.categories::jsonb) c(t) WHERE lower(c.t) = lower(")
                .push_bind(tag.clone())
                .push("))");
        }
        if let Some(topic) = &query.topic {
            qb.push(" AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.topics::jsonb) t(t) WHERE t.t = ")
                .push_bind(topic.clone())
                .push(")");
        }
        if let Some(Cursor { sort_at, id }) = query.before {
            qb.push(" AND (p.sort_at, p.id) < (").push_bind(sort_at).push(", ").push_bind(id).push(")");
        }
        qb.push(" ORDER BY p.sort_at DESC, p.id DESC LIMIT ").push_bind(i64::from(query.limit.max(1)));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(post_from_row).collect()
    }

    async fn count_posts(&self, source_id: Option<&str>) -> Result<i64> {
        if source_id.is_some_and(has_nul) {
            return Ok(0);
        }
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE $1::text IS NULL OR source_id = $1")
            .bind(source_id)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn post(&self, id: i64) -> Result<Option<Post>> {
        let row = sqlx::query(concat!(select_posts!(), " WHERE p.id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(post_from_row).transpose()
    }

    async fn post_by_url(&self, url: &str) -> Result<Option<Post>> {
        let Some(key) = url_key(url).filter(|_| !has_nul(url)) else { return Ok(None) };
        let row = sqlx::query(concat!(
            select_posts!(),
            " WHERE p.url_key = $1 AND p.url = $2 ORDER BY p.duplicate_of IS NOT NULL, p.id LIMIT 1"
        ))
        .bind(key)
        .bind(url)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(post_from_row).transpose()
    }

    async fn posts_by_ids(&self, ids: &[i64]) -> Result<Vec<Post>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows =
            sqlx::query(concat!(select_posts!(), " WHERE p.id = ANY($1)")).bind(ids).fetch_all(&self.pool).await?;
        let mut by_id: HashMap<i64, Post> =
            rows.iter().map(post_from_row).map(|p| p.map(|p| (p.id, p))).collect::<Result<_>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn post_changes(&self, after: ChangeCursor, limit: u32) -> Result<Vec<PostChange>> {
        let horizon = self.change_horizon().await?;
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
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(change_from_row).collect()
    }

    async fn last_change(&self) -> Result<ChangeCursor> {
        let horizon = self.change_horizon().await?;
        let last: Option<(i64, i64)> =
            sqlx::query_as("SELECT tx, seq FROM post_changes WHERE tx < $1 ORDER BY tx DESC, seq DESC LIMIT 1")
                .bind(horizon)
                .fetch_optional(&self.pool)
                .await?;
        Ok(last.map(|(tx, seq)| ChangeCursor { tx, seq }).unwrap_or_default())
    }

    async fn post_texts(&self, after_id: i64, limit: u32) -> Result<Vec<PostText>> {
        let rows = sqlx::query(
            "SELECT p.id, p.source_id, s.name_ko, s.name_en, p.title, p.summary, p.content_html, p.categories,
                    p.topics, p.sort_at, p.body_dropped_at IS NOT NULL AS body_dropped
             FROM posts p JOIN sources s ON s.id = p.source_id WHERE p.id > $1 ORDER BY p.id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(limit.max(1)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(post_text_from_row).collect()
    }

    async fn set_topics(&self, topics: &[(i64, Vec<String>)]) -> Result<u64> {
        let ids: Vec<i64> = topics.iter().map(|(id, _)| *id).collect();
        let json: Vec<String> =
            topics.iter().map(|(_, t)| serde_json::to_string(t).unwrap_or_else(|_| "[]".into())).collect();
        let done = sqlx::query(
            "UPDATE posts p SET topics = t.topics FROM unnest($1::bigint[], $2::text[]) AS t(id, topics)
             WHERE p.id = t.id AND p.topics <> t.topics",
        )
        .bind(ids)
        .bind(json)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected())
    }

    async fn record_click(&self, post_id: i64, client: &str, at: i64, window: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let counted = sqlx::query(
            "INSERT INTO clicks (post_id, client, counted_at) SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM posts WHERE id = $1)
             ON CONFLICT (post_id, client) DO UPDATE SET counted_at = excluded.counted_at
             WHERE clicks.counted_at <= excluded.counted_at - $4",
        )
        .bind(post_id)
        .bind(client)
        .bind(at)
        .bind(window)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if counted {
            sqlx::query("UPDATE posts SET clicks = clicks + 1 WHERE id = $1").bind(post_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM clicks WHERE post_id = $1 AND counted_at < $2")
                .bind(post_id)
                .bind(at - window)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(counted)
    }

    async fn clicked_posts(&self, since: i64, limit: u32) -> Result<Vec<Post>> {
        let rows = sqlx::query(concat!(
            select_posts!(),
            " WHERE p.clicks > 0 AND p.sort_at >= $1 AND p.duplicate_of IS NULL ORDER BY p.clicks DESC, p.id DESC LIMIT $2"
        ))
        .bind(since)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(post_from_row).collect()
    }

    async fn scraps(&self, month: Option<&str>) -> Result<Vec<Scrap>> {
        let rows = sqlx::query(concat!("SELECT * FROM scraps WHERE $1::text IS NULL OR month = $1", scrap_order!()))
            .bind(month)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(scrap_from_row).collect()
    }

    async fn scrap(&self, id: i64) -> Result<Option<Scrap>> {
        let row = sqlx::query("SELECT * FROM scraps WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(scrap_from_row).transpose()
    }

    async fn scrap_by_url(&self, month: &str, url: &str) -> Result<Option<Scrap>> {
        if has_nul(month) || has_nul(url) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM scraps WHERE month = $1 AND url = $2")
            .bind(month)
            .bind(url)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scrap_from_row).transpose()
    }

    async fn add_scrap(&self, f: &ScrapFields, now: i64) -> Result<Scrap> {
        let f = &f.cleaned();
        let mut tx = self.pool.begin().await?;
        // Positions are read, then written: two curators at once must not take the same one.
        lock(&mut tx, SCRAPS_LOCK).await?;
        let position = next_position(&mut tx, &f.month, &f.section).await?;
        let row = sqlx::query(
            "INSERT INTO scraps (month, section, position, title, url, commentary, post_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
        )
        .bind(&f.month)
        .bind(&f.section)
        .bind(position)
        .bind(&f.title)
        .bind(&f.url)
        .bind(&f.commentary)
        .bind(f.post_id)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let scrap = scrap_from_row(&row)?;
        tx.commit().await?;
        self.changed();
        Ok(scrap)
    }

    async fn update_scrap(&self, id: i64, f: &ScrapFields, now: i64) -> Result<bool> {
        let f = &f.cleaned();
        let mut tx = self.pool.begin().await?;
        lock(&mut tx, SCRAPS_LOCK).await?;
        let Some((month, section, position)) = place_of(&mut tx, id).await? else {
            return Ok(false);
        };
        let moved = month != f.month || section != f.section;
        let new_position = if moved { next_position(&mut tx, &f.month, &f.section).await? } else { position };
        sqlx::query(
            "UPDATE scraps SET month = $1, section = $2, position = $3, title = $4, url = $5, commentary = $6,
             post_id = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&f.month)
        .bind(&f.section)
        .bind(new_position)
        .bind(&f.title)
        .bind(&f.url)
        .bind(&f.commentary)
        .bind(f.post_id)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if moved {
            close_gap(&mut tx, &month, &section, position).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    async fn move_scrap(&self, id: i64, to: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        lock(&mut tx, SCRAPS_LOCK).await?;
        let Some((month, section, from)) = place_of(&mut tx, id).await? else {
            return Ok(false);
        };
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scraps WHERE month = $1 AND section = $2")
            .bind(&month)
            .bind(&section)
            .fetch_one(&mut *tx)
            .await?;
        let to = to.clamp(1, count.max(1));
        let (shift, low, high) = if to < from { (1, to, from - 1) } else { (-1, from + 1, to) };
        sqlx::query(
            "UPDATE scraps SET position = position + $1 WHERE month = $2 AND section = $3 AND position BETWEEN $4 AND $5",
        )
        .bind(shift)
        .bind(&month)
        .bind(&section)
        .bind(low)
        .bind(high)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE scraps SET position = $1 WHERE id = $2").bind(to).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    async fn delete_scrap(&self, id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        lock(&mut tx, SCRAPS_LOCK).await?;
        let Some((month, section, position)): Option<(String, String, i64)> =
            sqlx::query_as("DELETE FROM scraps WHERE id = $1 RETURNING month, section, position")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        close_gap(&mut tx, &month, &section, position).await?;
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    async fn newsletter_settings(&self, month: &str) -> Result<Option<NewsletterSettings>> {
        let row: Option<(String, Option<String>, bool, Option<bool>)> =
            sqlx::query_as("SELECT month, date, draft, hidden_from_homepage FROM newsletters WHERE month = $1")
                .bind(month)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(month, date, draft, hidden_from_homepage)| NewsletterSettings {
            month,
            date,
            draft,
            hidden_from_homepage,
        }))
    }

    async fn save_newsletter_settings(&self, s: &NewsletterSettings) -> Result<()> {
        sqlx::query(
            "INSERT INTO newsletters (month, date, draft, hidden_from_homepage) VALUES ($1, $2, $3, $4)
             ON CONFLICT (month) DO UPDATE SET date = excluded.date, draft = excluded.draft,
             hidden_from_homepage = excluded.hidden_from_homepage",
        )
        .bind(&s.month)
        .bind(&s.date)
        .bind(s.draft)
        .bind(s.hidden_from_homepage)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(())
    }

    async fn set_user_password(&self, name: &str, password_hash: &str, now: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // xmax = 0 only on a row this statement inserted.
        let created: bool = sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash
             RETURNING (xmax = 0)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn user_password_hash(&self, name: &str) -> Result<Option<String>> {
        if has_nul(name) {
            return Ok(None);
        }
        Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(session.created_at).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(&session.user_name)
        .bind(&session.csrf)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        let row: Option<(String, String, String, i64, i64, String)> = sqlx::query_as(
            "SELECT s.token_hash, s.user_name, s.csrf, s.created_at, s.expires_at, u.role
             FROM sessions s JOIN users u ON u.name = s.user_name
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(token_hash, user_name, csrf, created_at, expires_at, role)| Session {
            token_hash,
            user_name,
            csrf,
            created_at,
            expires_at,
            role,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn add_source(&self, source: &NewSource, now: i64) -> Result<()> {
        let s = &source.spec;
        let done = sqlx::query(
            "INSERT INTO sources (id, name_ko, name_en, homepage, feed_url, platform, user_agent, origin, enabled,
               created_at, kind, selectors)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'operator', TRUE, $8, $9, $10)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&s.id)
        .bind(&s.name_ko)
        .bind(&s.name_en)
        .bind(&s.homepage)
        .bind(&s.feed_url)
        .bind(&s.platform)
        .bind(&s.user_agent)
        .bind(now)
        .bind(if source.selectors.is_some() { "html" } else { "feed" })
        .bind(&source.selectors)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("a source with the id {:?} exists already", s.id)));
        }
        self.changed();
        Ok(())
    }

    async fn update_source(&self, id: &str, source: &NewSource) -> Result<bool> {
        let s = &source.spec;
        let done = sqlx::query(
            "UPDATE sources SET name_ko = $2, name_en = $3, homepage = $4, platform = $6, user_agent = $7,
               kind = $8, origin = 'operator',
               etag = CASE WHEN feed_url = $5 AND selectors IS NOT DISTINCT FROM $9 THEN etag END,
               last_modified = CASE WHEN feed_url = $5 AND selectors IS NOT DISTINCT FROM $9 THEN last_modified END,
               moved_to = CASE WHEN feed_url = $5 THEN moved_to END,
               redirect_candidate = CASE WHEN feed_url = $5 THEN redirect_candidate END,
               next_check_at = CASE WHEN feed_url = $5 AND selectors IS NOT DISTINCT FROM $9 THEN next_check_at ELSE 0 END,
               feed_url = $5, selectors = $9
             WHERE id = $1 AND origin <> 'removed'",
        )
        .bind(id)
        .bind(&s.name_ko)
        .bind(&s.name_en)
        .bind(&s.homepage)
        .bind(&s.feed_url)
        .bind(&s.platform)
        .bind(&s.user_agent)
        .bind(if source.selectors.is_some() { "html" } else { "feed" })
        .bind(&source.selectors)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn set_source_enabled(&self, id: &str, enabled: bool, reason: Option<&str>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sources SET enabled = $2, disabled_reason = CASE WHEN $2 THEN NULL ELSE $3 END,
               next_check_at = CASE WHEN $2 THEN 0 ELSE next_check_at END,
               origin = CASE WHEN $2 THEN origin ELSE 'operator' END
             WHERE id = $1 AND origin <> 'removed'",
        )
        .bind(id)
        .bind(enabled)
        .bind(reason.unwrap_or("disabled by an operator"))
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn make_due(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE sources SET next_check_at = 0 WHERE id = $1 AND origin <> 'removed'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn delete_source(&self, id: &str, with_posts: bool) -> Result<Option<u64>> {
        let mut tx = self.pool.begin().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sources WHERE id = $1 AND origin <> 'removed')")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            return Ok(None);
        }
        let removed = if with_posts {
            sqlx::query(
                "UPDATE posts SET duplicate_of = NULL
                 WHERE duplicate_of IN (SELECT id FROM posts WHERE source_id = $1) AND source_id <> $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let n = sqlx::query("DELETE FROM posts WHERE source_id = $1").bind(id).execute(&mut *tx).await?;
            for delete in ["DELETE FROM tombstones WHERE source_id = $1", "DELETE FROM websub WHERE source_id = $1"] {
                sqlx::query(delete).bind(id).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM sources WHERE id = $1").bind(id).execute(&mut *tx).await?;
            n.rows_affected()
        } else {
            sqlx::query(
                "UPDATE sources SET origin = 'removed', enabled = FALSE, disabled_reason = 'removed by an operator'
                 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            0
        };
        tx.commit().await?;
        self.changed();
        Ok(Some(removed))
    }

    async fn drop_bodies_before(&self, before: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE posts SET content_html = NULL, body_dropped_at = extract(epoch FROM now())::bigint
             WHERE sort_at < $1 AND content_html IS NOT NULL",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        self.changed();
        Ok(done.rows_affected())
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, role, created_at FROM users ORDER BY name").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(name, role, created_at)| User { name, role, created_at }).collect())
    }

    async fn set_user_role(&self, name: &str, role: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE users SET role = $1 WHERE name = $2").bind(role).bind(name).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn sign_in_blocked(&self, keys: &[String], now: i64, max_failures: i64, window: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(since + $3 - $2) FROM sign_in_failures
             WHERE key = ANY($1) AND failures >= $4 AND since + $3 > $2",
        )
        .bind(keys)
        .bind(now)
        .bind(window)
        .bind(max_failures)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn sign_in_failures(&self, keys: &[String], now: i64, window: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT key, failures::BIGINT FROM sign_in_failures WHERE key = ANY($1) AND since + $3 > $2")
            .bind(keys)
            .bind(now)
            .bind(window)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn sign_in_failed(&self, keys: &[String], now: i64, window: i64) -> Result<()> {
        // Distinct keys: one statement may not update a row twice.
        let keys: Vec<&String> = keys.iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        sqlx::query(
            "INSERT INTO sign_in_failures (key, failures, since) SELECT k, 1, $2 FROM unnest($1::text[]) AS k
             ON CONFLICT (key) DO UPDATE SET
               failures = CASE WHEN sign_in_failures.since + $3 <= $2 THEN 1 ELSE sign_in_failures.failures + 1 END,
               since = CASE WHEN sign_in_failures.since + $3 <= $2 THEN $2 ELSE sign_in_failures.since END",
        )
        .bind(keys)
        .bind(now)
        .bind(window)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sign_in_succeeded(&self, keys: &[String], before: i64) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = ANY($1) OR since < $2")
            .bind(keys)
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_user(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        let done = sqlx::query("DELETE FROM users WHERE name = $1").bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn audit(&self, at: i64, user_name: &str, action: &str, target: &str, detail: &str) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (at, user_name, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(at)
            .bind(user_name)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows: Vec<(i64, i64, String, String, String, String)> =
            sqlx::query_as("SELECT id, at, user_name, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, at, user_name, action, target, detail)| AuditEntry { id, at, user_name, action, target, detail })
            .collect())
    }

    async fn backup(&self, _path: &Path) -> Result<()> {
        Err(StoreError::Unsupported(
            "moa backup copies SQLite stores; back PostgreSQL up with pg_dump (see the README)".into(),
        ))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn backlog(&self, now: i64) -> Result<Backlog> {
        let (due, oldest_due_at): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(next_check_at) FROM sources WHERE enabled AND next_check_at <= $1")
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
        Ok(Backlog { due, oldest_due_at })
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_urls_name_the_new_database() {
        let cases = [
            ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/t1"),
            ("postgres://u:p@h/postgres?sslmode=disable", "postgres://u:p@h/t1?sslmode=disable"),
            ("postgresql://h:5432", "postgresql://h:5432/t1"),
            ("postgres://h?application_name=x", "postgres://h/t1?application_name=x"),
        ];
        for (server, want) in cases {
            assert_eq!(with_database(server, "t1").unwrap(), want, "{server}");
        }
    }
}
