//! [`AccountStore`]: users and passwords, sessions, and failed sign-ins counted per key (client address or
//! user name) in the database, so every web process sees the same counts.

use super::{Backend, fragment, list, save_password, sign_in_failed, unstorable};
use crate::{AccountStore, Result, Session, User};

#[async_trait::async_trait]
impl AccountStore for Backend {
    async fn set_user_password(&self, name: &str, password_hash: &str, now: i64) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        let created = save_password(&mut tx, name, password_hash, now).await?;
        // A new password signs the user out everywhere.
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn user_password_hash(&self, name: &str) -> Result<Option<String>> {
        if unstorable(name) {
            return Ok(None);
        }
        Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(self.reader())
            .await?)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, role, created_at FROM users ORDER BY name").fetch_all(self.reader()).await?;
        Ok(rows.into_iter().map(|(name, role, created_at)| User { name, role, created_at }).collect())
    }

    async fn set_user_role(&self, name: &str, role: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET role = $1 WHERE name = $2")
            .bind(role)
            .bind(name)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_user(&self, name: &str) -> Result<bool> {
        let mut tx = self.writer().begin().await?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        let done = sqlx::query("DELETE FROM users WHERE name = $1").bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let mut tx = self.writer().begin().await?;
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
        .fetch_optional(self.reader())
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
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(self.writer()).await?;
        Ok(())
    }

    async fn sign_in_blocked(&self, keys: &[String], now: i64, max_failures: i64, window: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(concat!(
            "SELECT MAX(since + $3 - $2) FROM sign_in_failures WHERE key ",
            fragment!(in_list "$1"),
            " AND failures >= $4 AND since + $3 > $2"
        ))
        .bind(list(keys))
        .bind(now)
        .bind(window)
        .bind(max_failures)
        .fetch_one(self.reader())
        .await?)
    }

    async fn sign_in_failures(&self, keys: &[String], now: i64, window: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(concat!(
            "SELECT key, failures FROM sign_in_failures WHERE key ",
            fragment!(in_list "$1"),
            " AND since + $3 > $2"
        ))
        .bind(list(keys))
        .bind(now)
        .bind(window)
        .fetch_all(self.reader())
        .await?)
    }

    async fn sign_in_failed(&self, keys: &[String], now: i64, window: i64) -> Result<()> {
        sign_in_failed(self, keys, now, window).await
    }

    async fn sign_in_succeeded(&self, keys: &[String], before: i64) -> Result<()> {
        sqlx::query(concat!("DELETE FROM sign_in_failures WHERE key ", fragment!(in_list "$1"), " OR since < $2"))
            .bind(list(keys))
            .bind(before)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
