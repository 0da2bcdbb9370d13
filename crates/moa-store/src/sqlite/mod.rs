//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection, so writers queue in-process instead of failing
//! with SQLITE_BUSY when a deferred transaction upgrades to a write lock; reads use their own pool and,
//! thanks to WAL, never wait for a writer.

// The backend's layers, bottom up (see the crate doc): `store` (with `group`, its group commit, and `direct`, its
// direct reads) and `dialect`, the shared helpers in `sql`, `statements`, the shared statements in `sql`, this
// file.
mod dialect;
mod direct;
mod group;
/// The SQL both backends run, compiled here for SQLite (see the crate doc).
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
#[path = "../sql/mod.rs"]
mod sql;
mod statements;
mod store;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use store::SqliteStore;

use crate::{Operations, PoolStats, Result, StoreError};

/// The file path of a `sqlite://PATH` URL (`sqlite:///abs/path` for an absolute path).
pub fn path_of(url: &str) -> Result<&str> {
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

/// Connections that keep each statement's plan however its parameters are bound (SQLite's query planner
/// stability guarantee, `SQLITE_DBCONFIG_ENABLE_QPSG`).
///
/// Why: without it SQLite 3.50 plans a statement for the value bound to its `LIMIT` (and to terms it
/// compares with a partial index's), marks the statement expired whenever that parameter is bound again,
/// and prepares it anew on every run: parsing and planning took a fifth of the home page's time (perf, at
/// 100,000 posts). moa's queries are written for their indexes; none needs a plan per value.
fn stable_plans(options: SqlitePoolOptions) -> SqlitePoolOptions {
    options.after_connect(|conn, _| {
        Box::pin(async move {
            let mut handle = conn.lock_handle().await?;
            let db = handle.as_raw_handle().as_ptr();
            // SAFETY: `db` is this connection's open handle, held locked (no statement runs on it) until
            // the call returns; the option takes an int and an optional int pointer for the old value.
            let rc = unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    db,
                    libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                    1 as std::ffi::c_int,
                    std::ptr::null_mut::<std::ffi::c_int>(),
                )
            };
            if rc != libsqlite3_sys::SQLITE_OK {
                return Err(sqlx::Error::Configuration(format!("SQLITE_DBCONFIG_ENABLE_QPSG failed: {rc}").into()));
            }
            Ok(())
        })
    })
}

/// What a backup file holds, read without changing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The last migration applied to it.
    pub schema_version: i64,
    /// How many sources it holds.
    pub sources: i64,
    /// How many posts it holds.
    pub posts: i64,
}

impl SqliteStore {
    /// Opens (creating it and its folder when missing) and migrates the file a `sqlite:` URL names.
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
        // The WAL is copied back into the file every 10,000 pages (40 MB) rather than SQLite's 1,000: a
        // fetch's posts touch pages of the tag and topic tables all over, and each checkpoint wrote those
        // same pages again (the first crawl of the benchmark: 302 feeds/s at 1,000, 406 at 10,000).
        // Statement journals in memory: a fetch's insert with its triggers journals more than SQLite's 64 KB
        // spill limit, and each statement then created, wrote and deleted a temporary file (a sixth of the
        // writer's time in the first crawl's profile).
        let writer = stable_plans(SqlitePoolOptions::new().max_connections(1))
            .connect_with(options.clone().pragma("wal_autocheckpoint", "10000").pragma("temp_store", "memory"))
            .await?;
        sql::migrate::apply(&mut *writer.acquire().await?).await?;
        let reader = stable_plans(SqlitePoolOptions::new().max_connections(crate::reader_connections()))
            .connect_with(options.read_only(true))
            .await?;
        let fetches = group::CommitGroup::start(writer.clone())
            .map_err(|e| StoreError::Unsupported(format!("cannot start the commit thread: {e}")))?;
        let direct = direct::DirectReader::new(Path::new(path).to_path_buf());
        Ok(Self { reader, writer, direct, fetches, version: AtomicU64::new(0), picker: Default::default() })
    }

    /// Checks that `path` is a sound moa database this version can open: SQLite's integrity check passes
    /// and its schema is not newer than this build's.
    pub async fn check_backup(path: &Path) -> Result<BackupInfo> {
        let options = SqliteConnectOptions::new().filename(path).read_only(true).create_if_missing(false);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await?;
        if integrity != "ok" {
            return Err(StoreError::Corrupt(format!("{}: {integrity}", path.display())));
        }
        let schema_version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM moa_migrations")
            .fetch_one(&pool)
            .await
            .map_err(|_| StoreError::Corrupt(format!("{} is not a moa database", path.display())))?;
        let newest = sql::migrate::MIGRATIONS.last().map_or(0, |m| m.0);
        if schema_version > newest {
            return Err(StoreError::Unsupported(format!(
                "{} has schema {schema_version}, newer than this moa's {newest}",
                path.display()
            )));
        }
        let (sources, posts): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM sources), (SELECT COUNT(*) FROM posts)")
                .fetch_one(&pool)
                .await?;
        pool.close().await;
        Ok(BackupInfo { schema_version, sources, posts })
    }

    /// A consistent copy of the whole database, taken while it is in use, written to a new file (the
    /// same as `Operations::backup`, callable without importing it).
    pub async fn backup(&self, path: &Path) -> Result<()> {
        // VACUUM INTO reads one snapshot (WAL: writers go on) and writes a compact, consistent file.
        let target =
            path.to_str().ok_or_else(|| StoreError::Unsupported(format!("{} is not UTF-8", path.display())))?;
        if path.exists() {
            return Err(StoreError::Conflict(format!("{} exists already", path.display())));
        }
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.reader).await?;
        Ok(())
    }

    /// Closes every connection (the WAL checkpointed), so the file can be replaced underneath.
    pub async fn close(&self) {
        self.direct.close();
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[async_trait::async_trait]
impl Operations for SqliteStore {
    async fn backup(&self, path: &Path) -> Result<()> {
        SqliteStore::backup(self, path).await
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        let (r, w) = (&self.reader, &self.writer);
        PoolStats {
            size: r.size() + w.size(),
            idle: (r.num_idle() + w.num_idle()) as u32,
            max: r.options().get_max_connections() + w.options().get_max_connections(),
        }
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }
}
