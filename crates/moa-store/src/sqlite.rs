//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection, so writers queue in-process instead of failing
//! with SQLITE_BUSY when a deferred transaction upgrades to a write lock; reads use their own pool and,
//! thanks to WAL, never wait for a writer.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{
    Cursor, NewPost, Post, PostQuery, Result, SourceRow, SourceSpec, Store, StoreError, SyncStats, UpsertStats,
    Validators,
};

/// The source columns a successful fetch sets, whether it brought a body or a 304: one list, so the two
/// paths cannot drift apart. Binds the attempt time, then the success time.
macro_rules! fetch_succeeded {
    () => {
        "last_attempt_at = ?, last_success_at = ?, last_error = NULL, consecutive_failures = 0"
    };
}

/// Embedded migrations, applied in order at start-up, each in its own transaction.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
    (2, "validators", include_str!("../migrations/sqlite/0002_validators.sql")),
];

pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
}

/// The file path of a `sqlite://PATH` URL (`sqlite:///abs/path` for an absolute path).
fn path_of(url: &str) -> Result<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    }
    Ok(path)
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self> {
        let path = path_of(url)?;
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| StoreError::CreateDir { path: dir.display().to_string(), source })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode: a killed process loses nothing committed; only a power cut can lose
            // the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        migrate(&writer).await?;
        let reader = SqlitePoolOptions::new().max_connections(8).connect_with(options.read_only(true)).await?;
        Ok(Self { reader, writer })
    }
}

async fn migrate(pool: &SqlitePool) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS moa_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )
    .execute(pool)
    .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM moa_migrations").fetch_all(pool).await?;
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let wrap = |source| StoreError::Migration { version: *version, name, source };
        let mut tx = pool.begin().await.map_err(wrap)?;
        sqlx::raw_sql(*sql).execute(&mut *tx).await.map_err(wrap)?;
        sqlx::query("INSERT INTO moa_migrations (version, name, applied_at) VALUES (?, ?, unixepoch())")
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

fn spec_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<SourceSpec> {
    Ok(SourceSpec {
        id: r.try_get("id")?,
        name_ko: r.try_get("name_ko")?,
        name_en: r.try_get("name_en")?,
        homepage: r.try_get("homepage")?,
        feed_url: r.try_get("feed_url")?,
        platform: r.try_get("platform")?,
    })
}

fn post_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Post> {
    let categories: String = row.try_get("categories")?;
    Ok(Post {
        id: row.try_get("id")?,
        source_id: row.try_get("source_id")?,
        source_name_ko: row.try_get("name_ko")?,
        source_name_en: row.try_get("name_en")?,
        entry_id: row.try_get("entry_id")?,
        url: row.try_get("url")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        author: row.try_get("author")?,
        thumbnail: row.try_get("thumbnail")?,
        categories: serde_json::from_str(&categories).map_err(|e| StoreError::Corrupt(format!("categories: {e}")))?,
        published_at: row.try_get("published_at")?,
        sort_at: row.try_get("sort_at")?,
    })
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn sync_registry(&self, sources: &[SourceSpec], now: i64) -> Result<SyncStats> {
        let mut tx = self.writer.begin().await?;
        let existing: HashMap<String, (SourceSpec, bool)> =
            sqlx::query("SELECT * FROM sources WHERE origin = 'registry'")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, (spec_from_row(r)?, r.try_get("enabled")?))))
                .collect::<Result<_>>()?;
        let mut stats = SyncStats::default();
        for s in sources {
            match existing.get(&s.id) {
                Some((old, true)) if old == s => continue,
                Some(_) => stats.updated += 1,
                None => stats.added += 1,
            }
            sqlx::query(
                "INSERT INTO sources (id, name_ko, name_en, homepage, feed_url, platform, origin, enabled, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, 'registry', 1, ?)
                 ON CONFLICT (id) DO UPDATE SET name_ko = excluded.name_ko, name_en = excluded.name_en,
                   homepage = excluded.homepage, feed_url = excluded.feed_url, platform = excluded.platform,
                   origin = 'registry', enabled = 1,
                   -- Validators belong to the URL that gave them.
                   etag = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.etag END,
                   last_modified = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.last_modified END",
            )
            .bind(&s.id)
            .bind(&s.name_ko)
            .bind(&s.name_en)
            .bind(&s.homepage)
            .bind(&s.feed_url)
            .bind(&s.platform)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let listed: HashSet<&str> = sources.iter().map(|s| s.id.as_str()).collect();
        for (id, (_, enabled)) in &existing {
            if *enabled && !listed.contains(id.as_str()) {
                sqlx::query("UPDATE sources SET enabled = 0 WHERE id = ?").bind(id).execute(&mut *tx).await?;
                stats.disabled += 1;
            }
        }
        tx.commit().await?;
        Ok(stats)
    }

    async fn sources(&self) -> Result<Vec<SourceRow>> {
        let rows = sqlx::query(
            "SELECT s.*, COALESCE(p.n, 0) AS post_count, p.last_post_at
             FROM sources s
             LEFT JOIN (SELECT source_id, COUNT(*) AS n, MAX(sort_at) AS last_post_at FROM posts GROUP BY source_id) p
               ON p.source_id = s.id
             ORDER BY s.id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceRow {
                    spec: spec_from_row(r)?,
                    enabled: r.try_get("enabled")?,
                    last_attempt_at: r.try_get("last_attempt_at")?,
                    last_success_at: r.try_get("last_success_at")?,
                    last_error: r.try_get("last_error")?,
                    consecutive_failures: r.try_get("consecutive_failures")?,
                    validators: Validators { etag: r.try_get("etag")?, last_modified: r.try_get("last_modified")? },
                    post_count: r.try_get("post_count")?,
                    last_post_at: r.try_get("last_post_at")?,
                })
            })
            .collect()
    }

    async fn store_fetch(
        &self,
        source_id: &str,
        fetched_at: i64,
        posts: &[NewPost],
        validators: &Validators,
    ) -> Result<UpsertStats> {
        let mut tx = self.writer.begin().await?;
        let known: HashMap<String, String> =
            sqlx::query_as("SELECT entry_id, content_hash FROM posts WHERE source_id = ?")
                .bind(source_id)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        let mut stats = UpsertStats::default();
        for p in posts {
            let hash = p.content_hash();
            let categories = serde_json::to_string(&p.categories).unwrap_or_else(|_| "[]".into());
            let is_new = match known.get(&p.entry_id) {
                Some(old) if *old == hash => {
                    stats.unchanged += 1;
                    continue;
                }
                Some(_) => false,
                None => true,
            };
            // One statement for new and edited posts; an edit keeps the post's id and first-seen time.
            sqlx::query(
                "INSERT INTO posts (source_id, entry_id, url, title, summary, content_html, author, thumbnail,
                   categories, published_at, updated_at, first_seen_at, sort_at, content_hash)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, ?, ?), ?)
                 ON CONFLICT (source_id, entry_id) DO UPDATE SET url = excluded.url, title = excluded.title,
                   summary = excluded.summary, content_html = excluded.content_html, author = excluded.author,
                   thumbnail = excluded.thumbnail, categories = excluded.categories,
                   published_at = excluded.published_at, updated_at = excluded.updated_at,
                   sort_at = COALESCE(excluded.published_at, excluded.updated_at, posts.first_seen_at),
                   content_hash = excluded.content_hash",
            )
            .bind(source_id)
            .bind(&p.entry_id)
            .bind(&p.url)
            .bind(&p.title)
            .bind(&p.summary)
            .bind(&p.content_html)
            .bind(&p.author)
            .bind(&p.thumbnail)
            .bind(&categories)
            .bind(p.published_at)
            .bind(p.updated_at)
            .bind(fetched_at)
            .bind(p.published_at)
            .bind(p.updated_at)
            .bind(fetched_at)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            if is_new {
                stats.new += 1;
            } else {
                stats.updated += 1;
            }
        }
        sqlx::query(concat!("UPDATE sources SET ", fetch_succeeded!(), ", etag = ?, last_modified = ? WHERE id = ?"))
            .bind(fetched_at)
            .bind(fetched_at)
            .bind(&validators.etag)
            .bind(&validators.last_modified)
            .bind(source_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(stats)
    }

    async fn record_not_modified(&self, source_id: &str, at: i64) -> Result<()> {
        sqlx::query(concat!("UPDATE sources SET ", fetch_succeeded!(), " WHERE id = ?"))
            .bind(at)
            .bind(at)
            .bind(source_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn record_failure(&self, source_id: &str, at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE sources SET last_attempt_at = ?, last_error = ?, consecutive_failures = consecutive_failures + 1
             WHERE id = ?",
        )
        .bind(at)
        .bind(error)
        .bind(source_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT p.id, p.source_id, s.name_ko, s.name_en, p.entry_id, p.url, p.title, p.summary, p.author,
                    p.thumbnail, p.categories, p.published_at, p.sort_at
             FROM posts p JOIN sources s ON s.id = p.source_id WHERE 1 = 1",
        );
        if let Some(source) = &query.source_id {
            qb.push(" AND p.source_id = ").push_bind(source.clone());
        }
        if let Some(Cursor { sort_at, id }) = query.before {
            qb.push(" AND (p.sort_at < ").push_bind(sort_at);
            qb.push(" OR (p.sort_at = ").push_bind(sort_at).push(" AND p.id < ").push_bind(id).push("))");
        }
        qb.push(" ORDER BY p.sort_at DESC, p.id DESC LIMIT ").push_bind(i64::from(query.limit.max(1)));
        let rows = qb.build().fetch_all(&self.reader).await?;
        rows.iter().map(post_from_row).collect()
    }

    async fn count_posts(&self, source_id: Option<&str>) -> Result<i64> {
        let n = match source_id {
            Some(s) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE source_id = ?")
                    .bind(s)
                    .fetch_one(&self.reader)
                    .await?
            }
            None => sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(&self.reader).await?,
        };
        Ok(n)
    }
}
