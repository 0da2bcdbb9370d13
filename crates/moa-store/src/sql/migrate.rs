//! The schema's migrations: the same versions on both backends, each written in its backend's dialect
//! (`migrations/sqlite`, `migrations/postgres`), applied in order, each in its own transaction.

use sqlx::Connection as _;

use super::types::Connection;
use super::{MIGRATIONS_TABLE, fragment};
use crate::{Result, StoreError, title_key, url_key};

/// One migration file of this backend's folder.
macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        ($version, $name, include_str!(concat!("../../migrations/", fragment!(migrations), "/", $file)))
    };
}

/// Every migration: its version, its name, its SQL.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    migration!(1, "init", "0001_init.sql"),
    migration!(2, "validators", "0002_validators.sql"),
    migration!(3, "crawler", "0003_crawler.sql"),
    migration!(4, "clicks", "0004_clicks.sql"),
    migration!(5, "scraps", "0005_scraps.sql"),
    migration!(6, "curators", "0006_curators.sql"),
    migration!(7, "search", "0007_search.sql"),
    migration!(8, "console", "0008_console.sql"),
    migration!(9, "scale_out", "0009_scale_out.sql"),
    migration!(10, "site_pages", "0010_site_pages.sql"),
    migration!(11, "registry", "0011_registry.sql"),
    migration!(12, "body_dropped", "0012_body_dropped.sql"),
    migration!(13, "read_paths", "0013_read_paths.sql"),
    migration!(14, "picker_revision", "0014_picker_revision.sql"),
];

/// Applies the migrations not yet applied, in order, each in its own transaction.
pub(crate) async fn apply(conn: &mut Connection) -> Result<()> {
    sqlx::raw_sql(MIGRATIONS_TABLE).execute(&mut *conn).await?;
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
            fragment!(now),
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

/// Posts stored before migration 3 get their article keys, so new posts can be matched against them.
async fn backfill_article_keys(tx: &mut Connection) -> std::result::Result<(), sqlx::Error> {
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
