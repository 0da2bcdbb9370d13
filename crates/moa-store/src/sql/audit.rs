//! [`AuditStore`]: the log of operators' actions.

use super::Backend;
use crate::{AuditEntry, AuditStore, Result};

#[async_trait::async_trait]
impl AuditStore for Backend {
    async fn audit(&self, at: i64, user_name: &str, action: &str, target: &str, detail: &str) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (at, user_name, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(at)
            .bind(user_name)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows: Vec<(i64, i64, String, String, String, String)> =
            sqlx::query_as("SELECT id, at, user_name, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, at, user_name, action, target, detail)| AuditEntry { id, at, user_name, action, target, detail })
            .collect())
    }
}
