//! [`PostStore`]: lists and look-ups of posts, their texts and topics, deletion for good, retention.

use std::collections::HashMap;

use super::crawl::delete_with_tombstones;
use super::rows::{post_from_row, post_text_from_row, select_posts};
use super::{Backend, fragment, list, list_page, list_posts, set_topics, unstorable};
use crate::{ListPage, Post, PostQuery, PostStore, PostText, Result, url_key};

/// Whether a list asks for a text the backend cannot hold (it holds no such post).
fn unstorable_query(query: &PostQuery) -> bool {
    [&query.source_id, &query.tag, &query.topic].into_iter().flatten().any(|s| unstorable(s))
}

#[async_trait::async_trait]
impl PostStore for Backend {
    async fn posts(&self, query: &PostQuery) -> Result<Vec<Post>> {
        if unstorable_query(query) {
            return Ok(Vec::new());
        }
        list_posts(self, query).await
    }

    async fn list_page(&self, query: &PostQuery) -> Result<ListPage> {
        if unstorable_query(query) {
            return Ok(ListPage::default());
        }
        list_page(self, query).await
    }

    async fn count_posts(&self, source_id: Option<&str>) -> Result<i64> {
        let n = match source_id {
            Some(s) if unstorable(s) => 0,
            Some(s) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE source_id = $1")
                    .bind(s)
                    .fetch_one(self.reader())
                    .await?
            }
            None => sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(self.reader()).await?,
        };
        Ok(n)
    }

    async fn post(&self, id: i64) -> Result<Option<Post>> {
        let row =
            sqlx::query(concat!(select_posts!(), " WHERE p.id = $1")).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(post_from_row).transpose()
    }

    async fn post_by_url(&self, url: &str) -> Result<Option<Post>> {
        // Through the duplicate detector's index on the URL key; the exact URL then picks among them.
        let Some(key) = url_key(url).filter(|_| !unstorable(url)) else { return Ok(None) };
        let row = sqlx::query(concat!(
            select_posts!(),
            " WHERE p.url_key = $1 AND p.url = $2 ORDER BY p.duplicate_of IS NOT NULL, p.id LIMIT 1"
        ))
        .bind(key)
        .bind(url)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(post_from_row).transpose()
    }

    async fn posts_by_ids(&self, ids: &[i64]) -> Result<Vec<Post>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(select_posts!(), " WHERE p.id ", fragment!(in_list "$1")))
            .bind(list(ids))
            .fetch_all(self.reader())
            .await?;
        let mut by_id: HashMap<i64, Post> =
            rows.iter().map(post_from_row).map(|p| p.map(|p| (p.id, p))).collect::<Result<_>>()?;
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn post_texts(&self, after_id: i64, limit: u32) -> Result<Vec<PostText>> {
        let rows = sqlx::query(
            "SELECT p.id, p.source_id, s.name_ko, s.name_en, p.title, p.summary, p.content_html, p.categories,
                    p.topics, p.sort_at, p.body_dropped_at IS NOT NULL AS body_dropped
             FROM posts p JOIN sources s ON s.id = p.source_id WHERE p.id > $1 ORDER BY p.id LIMIT $2",
        )
        .bind(after_id)
        .bind(i64::from(limit.max(1)))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(post_text_from_row).collect()
    }

    async fn set_topics(&self, topics: &[(i64, Vec<String>)]) -> Result<u64> {
        set_topics(self, topics).await
    }

    async fn delete_post(&self, post_id: i64) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        let Some((source_id, entry_id)): Option<(String, String)> =
            sqlx::query_as(concat!("SELECT source_id, entry_id FROM posts WHERE id = $1", fragment!(for_update)))
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

    async fn drop_bodies_before(&self, before: i64) -> Result<u64> {
        // The content hash stays: an unchanged entry in the feed does not bring its body back.
        let done = sqlx::query(concat!(
            "UPDATE posts SET content_html = NULL, body_dropped_at = ",
            fragment!(now),
            " WHERE sort_at < $1 AND content_html IS NOT NULL"
        ))
        .bind(before)
        .execute(self.writer())
        .await?;
        self.changed();
        Ok(done.rows_affected())
    }
}
