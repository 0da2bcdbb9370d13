//! PostgreSQL: one database shared by several web and crawler processes.
//!
//! The semantics are SQLite's (the same test suite runs on both); what differs is concurrency. Crawlers
//! claim due sources with `FOR UPDATE SKIP LOCKED`, writing the lease into `next_check_at` in the same
//! statement; the change log is read only up to a horizon of this database's running writers, so followers
//! never skip a late commit (see `statements::change_horizon`); and the few read-modify-write paths that
//! SQLite's single writer serialized (the registry sync, scrap positions, migrations) take advisory locks.

// The backend's layers, bottom up (see the crate doc): `store` (with `lender`, its list readers) and `dialect`,
// the shared helpers in `sql`, `statements`, the shared statements in `sql`, this file.
mod dialect;
mod lender;
/// The SQL both backends run, compiled here for PostgreSQL (see the crate doc).
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
#[path = "../sql/mod.rs"]
mod sql;
mod statements;
mod store;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};

pub use store::PgStore;

use crate::{OpenOptions, Operations, PoolStats, Result, StoreError};

impl PgStore {
    /// Connects to the database a `postgres://` URL names and migrates it, with the default options.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &OpenOptions::default()).await
    }

    /// Connects to the database a `postgres://` URL names and migrates it.
    ///
    /// A crawler keeps one connection busy per fetch it is storing: with 8 connections a crawler stored
    /// 136 feeds/s, with 16 it stored 244 (BENCHMARKS.md). Reads have their own pool (see
    /// `reader_connections`). Every process's pools count against the server's `max_connections` (100 by
    /// default).
    pub async fn open_with(url: &str, open: &OpenOptions) -> Result<Self> {
        // Statements are logged at debug level only: the crawler runs thousands.
        let options = PgConnectOptions::from_str(url)?
            .application_name("moa")
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
        // One connection first: a server that is down or refuses us fails at once with its own error,
        // where the pool would retry until its acquire timeout.
        PgConnection::connect_with(&options).await?.close().await?;
        let writer = pool(open.max_connections.max(2)).connect_with(options.clone()).await?;
        migrate(&writer).await?;
        // Reads have a pool of their own, sized for the cores: pages wait for one of a few connections
        // instead of sixteen backends taking turns on them, and a crawl's writes never queue behind them.
        let reader = pool(crate::reader_connections()).connect_with(options.clone()).await?;
        let lists = lender::Lender::new(options, crate::reader_connections() as usize);
        Ok(Self { reader, writer, lists, version: AtomicU64::new(0), picker: Default::default() })
    }
}

/// A pool of at most `max_connections`, each pinged before use only after a second idle.
fn pool(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings every connection before each use by default: a second round trip for every
        // query. A connection used within the last second answered then; only one idle longer (which
        // the server may have closed) is pinged, and dropped when it does not answer.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(
                async move { Ok(meta.idle_for < lender::TRUSTED_IDLE || sqlx::Connection::ping(conn).await.is_ok()) },
            )
        })
}

/// Applies the migrations not yet applied, holding a session lock so that processes starting together
/// migrate one after the other.
async fn migrate(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(dialect::MIGRATION_LOCK).execute(&mut *conn).await?;
    let result = sql::migrate::apply(&mut conn).await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(dialect::MIGRATION_LOCK).execute(&mut *conn).await?;
    result
}

/// The URL of database `name` on the server `url` names.
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
pub(crate) async fn create_database(server_url: &str, name: &str) -> Result<String> {
    valid_database_name(name)?;
    let mut conn = PgConnection::connect(server_url).await?;
    // The name is checked to be letters, digits and underscores.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await?;
    conn.close().await?;
    with_database(server_url, name)
}

/// Drops database `name`, ending its connections first.
pub(crate) async fn drop_database(server_url: &str, name: &str) -> Result<()> {
    valid_database_name(name)?;
    let mut conn = PgConnection::connect(server_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

#[async_trait::async_trait]
impl Operations for PgStore {
    async fn backup(&self, _path: &Path) -> Result<()> {
        Err(StoreError::Unsupported(
            "moa backup copies SQLite stores; back PostgreSQL up with pg_dump (see the README)".into(),
        ))
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
