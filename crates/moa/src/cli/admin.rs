//! Administration: posts removed by hand, users, backup and restore, retention, and the move to PostgreSQL.

use std::path::Path;

use anyhow::Context;
use moa::config::Settings;
use moa::now_unix;

use super::open::open_store;
use super::terminal::read_password;

/// `moa posts rm ID…`: deleted, and never stored again (a tombstone).
pub(crate) async fn posts_rm(settings: &Settings, ids: Vec<i64>) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    for id in ids {
        let post = store.post(id).await?;
        anyhow::ensure!(
            store.delete_post(id).await?,
            "no post has the id {id}; the web's /posts/ID or `moa search` shows ids"
        );
        let detail = post.map(|p| format!("{} {}", p.source_id, p.url.unwrap_or_default())).unwrap_or_default();
        store.audit(now_unix(), "cli", "post.delete", &id.to_string(), &detail).await?;
        println!("deleted post {id}; the crawler will not store it again");
    }
    Ok(())
}

/// `moa user list`.
pub(crate) async fn user_list(settings: &Settings) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    for u in store.users().await? {
        println!("{:<24} {:<9} {} KST", u.name, u.role, moa::kst::minute(u.created_at));
    }
    Ok(())
}

/// `moa user rm NAME`: the user and their sessions.
pub(crate) async fn user_rm(settings: &Settings, name: &str) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    anyhow::ensure!(store.delete_user(name).await?, "no user {name}");
    store.audit(now_unix(), "cli", "user.delete", name, "").await?;
    println!("user deleted: {name}");
    Ok(())
}

/// `moa user add NAME`: a new user, or a new password for one.
pub(crate) async fn user_add(settings: &Settings, name: &str, role: Option<String>) -> anyhow::Result<()> {
    let name = name.trim().to_string();
    anyhow::ensure!(
        !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)),
        "a curator's name is letters, digits, '.', '_' or '-'"
    );
    let password = read_password()?;
    anyhow::ensure!(password.chars().count() >= 8, "a password has at least 8 characters");
    let hash = moa::web::auth::hash_password(&password)?;
    let store = open_store(settings).await?;
    let created = store.set_user_password(&name, &hash, now_unix()).await?;
    if let Some(role) = &role {
        store.set_user_role(&name, role).await?;
    }
    let role = role.unwrap_or_else(|| if created { "curator".into() } else { String::new() });
    store.audit(now_unix(), "cli", if created { "user.add" } else { "user.password" }, &name, &role).await?;
    if created {
        println!("{role} added: {name}");
    } else {
        println!("password changed: {name}");
    }
    Ok(())
}

/// `moa backup FILE`: an online copy of the SQLite store, checked.
pub(crate) async fn backup(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let started = std::time::Instant::now();
    let info = moa::ops::backup(store.as_ref(), &settings.database_url, file).await?;
    println!(
        "backup written to {}: {} sources, {} posts, schema {}, in {:.1} s",
        file.display(),
        info.sources,
        info.posts,
        info.schema_version,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `moa restore FILE`: the store replaced by a backup (the old one kept aside).
pub(crate) async fn restore(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    // A running moa serve holds the search index: restoring under it would lose what it writes.
    let dir = &settings.search_index_dir;
    if dir.exists() {
        match moa_search::SearchIndex::open(dir) {
            Err(moa_search::SearchError::Locked(_)) => {
                anyhow::bail!("moa serve is running on this store ({} is held); stop it first", dir.display())
            }
            Ok(index) => drop(index),
            Err(_) => {}
        }
    }
    let restored = moa::ops::restore(&settings.database_url, dir, file).await?;
    println!(
        "restored {}: {} sources, {} posts; the search index is rebuilt at the next start",
        file.display(),
        restored.info.sources,
        restored.info.posts
    );
    if let Some(previous) = restored.previous {
        println!("the database it replaced is kept at {}", previous.display());
    }
    Ok(())
}

/// `moa retention`: bodies of posts older than the retention dropped.
pub(crate) async fn retention(settings: &Settings, months: Option<u32>, yes: bool) -> anyhow::Result<()> {
    let Some(months) = months.or(settings.retention_body_months) else {
        anyhow::bail!("no retention set: give --months N or retention_body_months in moa.toml");
    };
    anyhow::ensure!(months > 0 || yes, "--months 0 drops the body of every post; add --yes to do that");
    let store = open_store(settings).await?;
    let dropped = moa::ops::apply_retention(store.as_ref(), months, now_unix()).await?;
    println!("dropped the bodies of {dropped} posts older than {months} months");
    Ok(())
}

/// `moa migrate sqlite-to-postgres`: every table copied, then counted on both sides.
pub(crate) async fn migrate(from: String, to: &str) -> anyhow::Result<()> {
    let from = if from.starts_with("sqlite:") { from } else { format!("sqlite://{from}") };
    let path = moa_store::sqlite_path(&from)?;
    anyhow::ensure!(std::path::Path::new(path).is_file(), "{path} is not a file");
    let started = std::time::Instant::now();
    let mut progress = |table: &str, rows: i64| eprintln!("copied {rows} rows of {table}");
    let report = moa_store::sqlite_to_postgres(&from, to, &mut progress)
        .await
        .with_context(|| format!("cannot copy {path} into PostgreSQL"))?;
    println!("{:<18} {:>10} {:>12} {:>10}", "TABLE", "SQLITE", "POSTGRESQL", "THIS RUN");
    for t in &report {
        println!("{:<18} {:>10} {:>12} {:>10}", t.table, t.source_rows, t.target_rows, t.copied_now);
    }
    println!(
        "verified: every table has as many rows in PostgreSQL as in SQLite ({:.1} s). Next: set \
             MOA_DATABASE_URL to the PostgreSQL URL and start moa; its search index rebuilds from the store.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
