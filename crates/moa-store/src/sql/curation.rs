//! [`CurationStore`]: scraps kept in order within their month's section, and each month's settings.
//! Positions are read, then written: `statements::lock_scraps` keeps two curators from taking the same one.

use super::rows::{scrap_from_row, scrap_order};
use super::types::{Connection, Query};
use super::{Backend, lock_scraps, unstorable};
use crate::{CurationStore, NewsletterSettings, Result, Scrap, ScrapFields};

#[async_trait::async_trait]
impl CurationStore for Backend {
    async fn scraps(&self, month: Option<&str>) -> Result<Vec<Scrap>> {
        let rows =
            sqlx::query(concat!("SELECT * FROM scraps WHERE CAST($1 AS TEXT) IS NULL OR month = $1", scrap_order!()))
                .bind(month)
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(scrap_from_row).collect()
    }

    async fn scrap(&self, id: i64) -> Result<Option<Scrap>> {
        let row = sqlx::query("SELECT * FROM scraps WHERE id = $1").bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(scrap_from_row).transpose()
    }

    async fn scrap_by_url(&self, month: &str, url: &str) -> Result<Option<Scrap>> {
        if unstorable(month) || unstorable(url) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM scraps WHERE month = $1 AND url = $2")
            .bind(month)
            .bind(url)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(scrap_from_row).transpose()
    }

    async fn add_scrap(&self, f: &ScrapFields, now: i64) -> Result<Scrap> {
        let f = &f.cleaned();
        let mut tx = self.writer().begin().await?;
        lock_scraps(&mut tx).await?;
        let position = next_position(&mut tx, &f.month, &f.section).await?;
        let insert = sqlx::query(
            "INSERT INTO scraps (month, section, position, title, url, commentary, post_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
        );
        let row = bind_fields(insert, f, position).bind(now).bind(now).fetch_one(&mut *tx).await?;
        let scrap = scrap_from_row(&row)?;
        tx.commit().await?;
        self.changed();
        Ok(scrap)
    }

    async fn update_scrap(&self, id: i64, f: &ScrapFields, now: i64) -> Result<bool> {
        let f = &f.cleaned();
        let mut tx = self.writer().begin().await?;
        lock_scraps(&mut tx).await?;
        let Some((month, section, position)) = place_of(&mut tx, id).await? else {
            return Ok(false);
        };
        let moved = month != f.month || section != f.section;
        let new_position = if moved { next_position(&mut tx, &f.month, &f.section).await? } else { position };
        let update = sqlx::query(
            "UPDATE scraps SET month = $1, section = $2, position = $3, title = $4, url = $5, commentary = $6,
             post_id = $7, updated_at = $8 WHERE id = $9",
        );
        bind_fields(update, f, new_position).bind(now).bind(id).execute(&mut *tx).await?;
        if moved {
            close_gap(&mut tx, &month, &section, position).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(true)
    }

    async fn move_scrap(&self, id: i64, to: i64) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        lock_scraps(&mut tx).await?;
        let Some((month, section, from)) = place_of(&mut tx, id).await? else {
            return Ok(false);
        };
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scraps WHERE month = $1 AND section = $2")
            .bind(&month)
            .bind(&section)
            .fetch_one(&mut *tx)
            .await?;
        let to = to.clamp(1, count.max(1));
        // Those between the old and the new place shift by one towards the old place.
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
        let mut tx = self.writer().begin().await?;
        lock_scraps(&mut tx).await?;
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
                .fetch_optional(self.reader())
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
        .execute(self.writer())
        .await?;
        self.changed();
        Ok(())
    }
}

/// A statement with a scrap's fields bound as $1 to $7: month, section, position, title, URL, commentary,
/// post.
fn bind_fields<'q>(query: Query<'q>, f: &'q ScrapFields, position: i64) -> Query<'q> {
    query.bind(&f.month).bind(&f.section).bind(position).bind(&f.title).bind(&f.url).bind(&f.commentary).bind(f.post_id)
}

/// The next position at the end of a month's section.
async fn next_position(tx: &mut Connection, month: &str, section: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM scraps WHERE month = $1 AND section = $2")
        .bind(month)
        .bind(section)
        .fetch_one(&mut *tx)
        .await?)
}

/// Where a scrap stands: its month, section and position.
async fn place_of(tx: &mut Connection, id: i64) -> Result<Option<(String, String, i64)>> {
    Ok(sqlx::query_as("SELECT month, section, position FROM scraps WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?)
}

/// Closes the gap a scrap leaves at `position` of its month's section.
async fn close_gap(tx: &mut Connection, month: &str, section: &str, position: i64) -> Result<()> {
    sqlx::query("UPDATE scraps SET position = position - 1 WHERE month = $1 AND section = $2 AND position > $3")
        .bind(month)
        .bind(section)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
