//! Operations: an online backup, a restore, and the retention of post bodies.

use std::path::{Path, PathBuf};

use anyhow::Context;
use moa_store::{BackupInfo, SqliteStore, Store};

/// What `pg_dump` to run instead, for a PostgreSQL store.
pub const PG_DUMP_GUIDANCE: &str = "moa backup copies SQLite stores. For PostgreSQL use its own tools: \
`pg_dump --format=custom --file moa.dump \"$MOA_DATABASE_URL\"` (online and consistent), and \
`pg_restore --clean --if-exists --dbname \"$MOA_DATABASE_URL\" moa.dump` to restore";

fn sqlite_file(database_url: &str) -> anyhow::Result<PathBuf> {
    if database_url.starts_with("postgres") {
        anyhow::bail!("{PG_DUMP_GUIDANCE}");
    }
    Ok(PathBuf::from(moa_store::sqlite_path(database_url)?))
}

/// A consistent copy of the store, taken while moa runs, checked after it is written.
pub async fn backup(store: &dyn Store, database_url: &str, to: &Path) -> anyhow::Result<BackupInfo> {
    sqlite_file(database_url)?;
    anyhow::ensure!(!to.exists(), "{} exists already; choose a new file", to.display());
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    store.backup(to).await.with_context(|| format!("cannot write the backup {}", to.display()))?;
    SqliteStore::check_backup(to).await.with_context(|| format!("the backup {} does not check out", to.display()))
}

pub struct Restored {
    pub info: BackupInfo,
    /// Where the database that was replaced was kept.
    pub previous: Option<PathBuf>,
}

/// Replaces the store's file with a backup. The current database is first copied aside (nothing is
/// lost if the backup was the wrong one), and the search index is removed, to be rebuilt from the
/// restored posts at the next start. moa must not be running on this store.
pub async fn restore(database_url: &str, search_dir: &Path, from: &Path) -> anyhow::Result<Restored> {
    let target = sqlite_file(database_url)?;
    // One line each, saying what is wrong and what to give instead.
    anyhow::ensure!(from.exists(), "no such file: {} (give a file written by `moa backup FILE`)", from.display());
    let info = match SqliteStore::check_backup(from).await {
        Ok(info) => info,
        Err(moa_store::StoreError::Db(_)) => anyhow::bail!(
            "{} is not an SQLite database moa can restore (give a file written by `moa backup FILE`)",
            from.display()
        ),
        Err(e) => anyhow::bail!("{e} (give a file written by `moa backup FILE`)"),
    };
    let mut previous = None;
    if target.exists() {
        let aside = PathBuf::from(format!("{}.before-restore-{}", target.display(), crate::now_unix()));
        let current = SqliteStore::open(database_url).await.context("cannot open the current database")?;
        current
            .backup(&aside)
            .await
            .with_context(|| format!("cannot keep the current database at {}", aside.display()))?;
        // No connection may outlive the swap: one still open would write its WAL beside the new file.
        current.close().await;
        previous = Some(aside);
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Copied beside the target, then renamed over it: the database file is never half written.
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(from, &partial)
        .with_context(|| format!("cannot copy {} to {}", from.display(), partial.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("cannot remove {}", side.display()))?;
        }
    }
    std::fs::rename(&partial, &target).with_context(|| format!("cannot move the backup into {}", target.display()))?;
    if search_dir.exists() {
        std::fs::remove_dir_all(search_dir)
            .with_context(|| format!("cannot remove the old search index {}", search_dir.display()))?;
    }
    Ok(Restored { info, previous })
}

/// The time before which post bodies are dropped: `months` months of 30.44 days before `now`.
pub fn retention_cutoff(months: u32, now: i64) -> i64 {
    now - (f64::from(months) * 30.44 * 86_400.0) as i64
}

/// Drops the bodies of posts older than `months`; their titles, summaries, links and pictures stay.
pub async fn apply_retention(store: &dyn Store, months: u32, now: i64) -> anyhow::Result<u64> {
    Ok(store.drop_bodies_before(retention_cutoff(months, now)).await?)
}
