//! [`SourceStore`]: the registry's sync, the operator's edits, the database's own settings.

use std::collections::HashSet;

use sqlx::Row as _;

use super::rows::{companies_as_json, companies_from_json, source_from_row, spec_from_row};
use super::types::Query;
use super::{Backend, fragment, list, lock_registry, unstorable};
use crate::plan::{Registered, registry_sync};
use crate::{
    Company, NewSource, REMOVED_FROM_REGISTRY, Result, SourceRow, SourceSpec, SourceStore, StoreError, SyncStats,
};

#[async_trait::async_trait]
impl SourceStore for Backend {
    async fn sync_registry(&self, sources: &[SourceSpec], now: i64) -> Result<SyncStats> {
        let mut tx = self.writer().begin().await?;
        lock_registry(&mut tx).await?;
        let existing: Registered = sqlx::query("SELECT * FROM sources WHERE origin = 'registry'")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, (spec_from_row(r)?, r.try_get("enabled")?, r.try_get("disabled_reason")?))))
            .collect::<Result<_>>()?;
        // Sources an operator added, edited or removed are theirs: the registry leaves them be.
        let operators: HashSet<String> = sqlx::query_scalar("SELECT id FROM sources WHERE origin <> 'registry'")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let plan = registry_sync(sources, &existing, &operators);
        for s in &plan.write {
            let upsert = sqlx::query(
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
                   -- Validators and redirects belong to the URL that gave them.
                   etag = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.etag END,
                   last_modified = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.last_modified END,
                   moved_to = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.moved_to END,
                   redirect_candidate =
                     CASE WHEN sources.feed_url = excluded.feed_url THEN sources.redirect_candidate END,
                   next_check_at = CASE WHEN sources.feed_url = excluded.feed_url THEN sources.next_check_at ELSE 0 END,
                   feed_url = excluded.feed_url
                 WHERE sources.origin = 'registry'",
            );
            bind_spec(upsert, &s.id, s).bind(now).bind(REMOVED_FROM_REGISTRY).execute(&mut *tx).await?;
        }
        if !plan.unlisted.is_empty() {
            sqlx::query(concat!(
                "UPDATE sources SET enabled = FALSE, disabled_reason = $1 WHERE id ",
                fragment!(in_list "$2")
            ))
            .bind(REMOVED_FROM_REGISTRY)
            .bind(list(&plan.unlisted))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(plan.stats)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM store_settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?)
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO store_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn sources(&self) -> Result<Vec<SourceRow>> {
        // The counts are kept on the source (migration 13); only the last year's posts are counted here,
        // for the console's posts a month.
        let rows = sqlx::query(concat!(
            "SELECT s.*, COALESCE(y.n, 0) AS posts_last_year
             FROM sources s
             LEFT JOIN (SELECT source_id, COUNT(*) AS n FROM posts WHERE sort_at >= ",
            fragment!(now),
            " - 365 * 86400 GROUP BY source_id) y ON y.source_id = s.id
             WHERE s.origin <> 'removed'
             ORDER BY s.id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(source_from_row).collect()
    }

    async fn source(&self, id: &str) -> Result<Option<SourceRow>> {
        if unstorable(id) {
            return Ok(None);
        }
        // Counted over this source's posts only (its index), not grouped over all of them.
        let row = sqlx::query(concat!(
            "SELECT s.*, (SELECT COUNT(*) FROM posts WHERE source_id = s.id AND sort_at >= ",
            fragment!(now),
            " - 365 * 86400) AS posts_last_year
             FROM sources s WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(source_from_row).transpose()
    }

    async fn companies(&self) -> Result<Vec<Company>> {
        let json: String = sqlx::query_scalar(concat!(companies_as_json!(), " WHERE origin <> 'removed'"))
            .fetch_one(self.reader())
            .await?;
        companies_from_json(&json)
    }

    async fn company(&self, id: &str) -> Result<Option<Company>> {
        if unstorable(id) {
            return Ok(None);
        }
        let json: String = sqlx::query_scalar(concat!(companies_as_json!(), " WHERE id = $1"))
            .bind(id)
            .fetch_one(self.reader())
            .await?;
        Ok(companies_from_json(&json)?.pop())
    }

    async fn add_source(&self, source: &NewSource, now: i64) -> Result<()> {
        let s = &source.spec;
        let insert = sqlx::query(
            "INSERT INTO sources (id, name_ko, name_en, homepage, feed_url, platform, user_agent, origin, enabled,
               created_at, kind, selectors)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'operator', TRUE, $8, $9, $10)
             ON CONFLICT (id) DO NOTHING",
        );
        let done = bind_spec(insert, &s.id, s)
            .bind(now)
            .bind(if source.selectors.is_some() { "html" } else { "feed" })
            .bind(&source.selectors)
            .execute(self.writer())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("a source with the id {:?} exists already", s.id)));
        }
        self.changed();
        Ok(())
    }

    async fn update_source(&self, id: &str, source: &NewSource) -> Result<bool> {
        let s = &source.spec;
        let update = sqlx::query(
            "UPDATE sources SET name_ko = $2, name_en = $3, homepage = $4, platform = $6, user_agent = $7,
               kind = $8, origin = 'operator',
               etag = CASE WHEN feed_url = $5 AND selectors IS NOT DISTINCT FROM $9 THEN etag END,
               last_modified = CASE WHEN feed_url = $5 AND selectors IS NOT DISTINCT FROM $9 THEN last_modified END,
               moved_to = CASE WHEN feed_url = $5 THEN moved_to END,
               redirect_candidate = CASE WHEN feed_url = $5 THEN redirect_candidate END,
               next_check_at = CASE WHEN feed_url = $5 AND selectors IS NOT DISTINCT FROM $9 THEN next_check_at ELSE 0 END,
               feed_url = $5, selectors = $9
             WHERE id = $1 AND origin <> 'removed'",
        );
        let done = bind_spec(update, id, s)
            .bind(if source.selectors.is_some() { "html" } else { "feed" })
            .bind(&source.selectors)
            .execute(self.writer())
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
        .execute(self.writer())
        .await?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn make_due(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE sources SET next_check_at = 0 WHERE id = $1 AND origin <> 'removed'")
            .bind(id)
            .execute(self.writer())
            .await?;
        self.changed();
        Ok(done.rows_affected() > 0)
    }

    async fn delete_source(&self, id: &str, with_posts: bool) -> Result<Option<u64>> {
        let mut tx = self.writer().begin().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sources WHERE id = $1 AND origin <> 'removed')")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            return Ok(None);
        }
        let removed = if with_posts {
            // Copies in other feeds hidden behind these posts are shown again.
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
}

/// A statement with a source's id and spec bound as $1 to $7: id, names (Korean, English), homepage, feed
/// URL, platform, User-Agent.
fn bind_spec<'q>(query: Query<'q>, id: &'q str, s: &'q SourceSpec) -> Query<'q> {
    query
        .bind(id)
        .bind(&s.name_ko)
        .bind(&s.name_en)
        .bind(&s.homepage)
        .bind(&s.feed_url)
        .bind(&s.platform)
        .bind(&s.user_agent)
}
