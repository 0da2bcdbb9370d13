//! [`CrawlStore`]: storing what a crawl's checks brought (posts, the source's new state), page visits,
//! WebSub subscriptions. Claiming is the backend's own (`statements::claim`).

use super::rows::subscription_from_row;
use super::types::{Connection, Query, Work};
use super::{Backend, find_twins, fragment, list, stored_entries, unstorable, write_fetch, write_posts};
use crate::plan::{count, plan};
use crate::{
    Backlog, CheckResult, Claimed, CrawlStore, NewPost, PageVisit, Result, Selection, SourceCheck, Subscription,
    UpsertStats,
};

/// The source columns a successful fetch sets, whether it brought a body or a 304: one list, so the two
/// paths cannot drift apart. $1 the attempt time, $2 the next check, $3 the interval, $4 a permanent
/// redirect, $5 ms, $6 bytes (see `succeeded`).
macro_rules! fetch_succeeded {
    () => {
        "last_attempt_at = $1, last_success_at = $1, last_error = NULL, last_error_kind = NULL,
         consecutive_failures = 0, next_check_at = $2, check_interval = $3,
         moved_to = CASE WHEN CAST($4 AS TEXT) IS NOT NULL AND redirect_candidate = $4 THEN $4 ELSE moved_to END,
         redirect_candidate = CASE WHEN CAST($4 AS TEXT) IS NOT NULL AND redirect_candidate = $4 THEN NULL ELSE $4 END,
         failing_since = NULL, attempt_count = attempt_count + 1, fetch_count = fetch_count + 1,
         fetch_ms_total = fetch_ms_total + $5, fetch_bytes_total = fetch_bytes_total + $6"
    };
}

#[async_trait::async_trait]
impl CrawlStore for Backend {
    async fn claim(&self, selection: &Selection, now: i64, lease_until: i64) -> Result<Vec<Claimed>> {
        super::claim(self, selection, now, lease_until).await
    }

    async fn store_fetch(&self, check: &SourceCheck, posts: &[NewPost]) -> Result<UpsertStats> {
        let (check, posts) = (check.clone(), posts.to_vec());
        let work: Work = Box::new(move |tx: &mut Connection| {
            Box::pin(async move {
                let mut stats = upsert_posts(tx, &check.source_id, check.at, &posts).await?;
                if let CheckResult::Fetched { site_pages, .. } = &check.result {
                    stats.site_pages_removed =
                        delete_with_tombstones(tx, &check.source_id, site_pages, Some(check.at)).await?;
                }
                record_check(tx, &check).await?;
                Ok(stats)
            })
        });
        let stats = write_fetch(self, work).await?;
        self.changed();
        Ok(stats)
    }

    async fn store_pushed(&self, source_id: &str, at: i64, posts: &[NewPost]) -> Result<UpsertStats> {
        let mut tx = self.writer().begin().await?;
        let stats = upsert_posts(&mut tx, source_id, at, posts).await?;
        tx.commit().await?;
        self.changed();
        Ok(stats)
    }

    async fn record_checks(&self, checks: &[SourceCheck]) -> Result<()> {
        let mut tx = self.writer().begin().await?;
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
               sort_at = CASE WHEN published_at IS NULL AND CAST($2 AS BIGINT) IS NOT NULL THEN $2 ELSE sort_at END
             WHERE id = $3",
        )
        .bind(image)
        .bind(published)
        .bind(post_id)
        .execute(self.writer())
        .await?;
        self.changed();
        Ok(())
    }

    async fn pages_to_visit(&self, source_id: &str, limit: u32) -> Result<Vec<PageVisit>> {
        let rows: Vec<(i64, String, bool, bool)> = sqlx::query_as(concat!(
            "SELECT id, url, thumbnail IS NULL, published_at IS NULL FROM posts
             WHERE source_id = $1 AND ",
            fragment!(page_unread),
            " AND url IS NOT NULL AND duplicate_of IS NULL
               AND (thumbnail IS NULL OR published_at IS NULL)
             ORDER BY sort_at DESC, id DESC LIMIT $2"
        ))
        .bind(source_id)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(post_id, url, needs_image, needs_date)| PageVisit { post_id, url, needs_image, needs_date })
            .collect())
    }

    async fn subscription(&self, source_id: &str) -> Result<Option<Subscription>> {
        if unstorable(source_id) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM websub WHERE source_id = $1")
            .bind(source_id)
            .fetch_optional(self.reader())
            .await?;
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
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn backlog(&self, now: i64) -> Result<Backlog> {
        let (due, oldest_due_at): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(next_check_at) FROM sources WHERE enabled AND next_check_at <= $1")
                .bind(now)
                .fetch_one(self.reader())
                .await?;
        Ok(Backlog { due, oldest_due_at })
    }
}

/// Upserts one fetch's posts inside the caller's transaction: what to write is decided by `plan` from
/// the source's stored entries; the backend reads those, finds the new posts' twins in other sources,
/// and writes, each in a handful of statements whatever the number of posts.
async fn upsert_posts(tx: &mut Connection, source_id: &str, at: i64, posts: &[NewPost]) -> Result<UpsertStats> {
    let (known, tombstones) = stored_entries(tx, source_id).await?;
    let mut stats = UpsertStats::default();
    let mut writes = plan(posts, at, &known, &tombstones, &mut stats);
    find_twins(tx, source_id, &mut writes).await?;
    let ids = write_posts(tx, source_id, at, &writes).await?;
    count(&writes, &ids, &mut stats)?;
    Ok(stats)
}

/// Deletes a source's posts for good, with tombstones so the crawler does not store them again; copies of
/// them in other feeds, hidden behind them, are shown again. Deleted at `at`, or the database's clock. The
/// number deleted. An operator's deletion and a site page's removal are this one operation.
pub(crate) async fn delete_with_tombstones(
    tx: &mut Connection,
    source_id: &str,
    entry_ids: &[String],
    at: Option<i64>,
) -> Result<u32> {
    if entry_ids.is_empty() {
        return Ok(0);
    }
    sqlx::query(concat!(
        "INSERT INTO tombstones (source_id, entry_id, deleted_at)
         SELECT source_id, entry_id, COALESCE(CAST($3 AS BIGINT), ",
        fragment!(now),
        ") FROM posts WHERE source_id = $1 AND entry_id ",
        fragment!(in_list "$2"),
        " ON CONFLICT DO NOTHING"
    ))
    .bind(source_id)
    .bind(list(entry_ids))
    .bind(at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(concat!(
        "UPDATE posts SET duplicate_of = NULL WHERE duplicate_of IN (SELECT id FROM posts WHERE source_id = $1 AND entry_id ",
        fragment!(in_list "$2"),
        ")"
    ))
    .bind(source_id)
    .bind(list(entry_ids))
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query(concat!("DELETE FROM posts WHERE source_id = $1 AND entry_id ", fragment!(in_list "$2")))
        .bind(source_id)
        .bind(list(entry_ids))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(u32::try_from(deleted).unwrap_or(u32::MAX))
}

/// A successful check's statement with the parameters `fetch_succeeded!` names bound ($1 to $6).
fn succeeded<'q>(sql: &'static str, check: &'q SourceCheck) -> Query<'q> {
    sqlx::query(sql)
        .bind(check.at)
        .bind(check.next_check_at)
        .bind(check.interval)
        .bind(&check.permanent_redirect)
        .bind(check.elapsed_ms.max(0))
        .bind(check.bytes.max(0))
}

/// Writes one check's outcome to its source, its health totals with it, in one statement (the 304
/// crawl writes thousands of these).
async fn record_check(tx: &mut Connection, check: &SourceCheck) -> Result<()> {
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
