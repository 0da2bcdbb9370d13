//! [`ClickStore`]: outbound clicks, counted once per client and window, and the posts they make popular.

use super::Backend;
use super::rows::{post_from_row, select_posts};
use crate::{ClickStore, Post, Result};

#[async_trait::async_trait]
impl ClickStore for Backend {
    async fn record_click(&self, post_id: i64, client: &str, at: i64, window: i64) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
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
            // Only the window matters: older rows of this post are dropped as it is clicked.
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
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(post_from_row).collect()
    }
}
