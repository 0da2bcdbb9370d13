//! Group commit for the one writer: fetches that arrive while a transaction is being written wait, then are
//! written together in the next transaction, each in a savepoint of its own, by a thread of their own.
//!
//! Why: a commit appends every page it changed to the WAL, and a fetch's posts, with their tag and topic
//! rows and indexes, change pages that the next fetches change again. Committed one by one, the first crawl
//! of the 10,000-feed benchmark wrote 250 MB/s to the WAL for 5,000 posts/s (BENCHMARKS.md, issue 22, "Second session").
//! A fetch's caller still hears back only after its posts are committed, so nothing it was told is stored
//! can be lost by a killed process.

use sqlx::Connection;
use std::future::Future;
use std::pin::Pin;

use sqlx::sqlite::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError, UpsertStats};

/// A fetch's writes, run inside the group's transaction (in a savepoint): `sql::types::Work` as SQLite spells
/// it (this module sits below the shared SQL, which names the store).
pub(crate) type Work = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> Pin<Box<dyn Future<Output = Result<UpsertStats>> + Send + 'c>>
        + Send,
>;

/// At most this many fetches share a transaction, so that one group's commit stays short.
const GROUP_MAX: usize = 64;

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<UpsertStats>>,
}

/// The writer's commit thread, and the queue of fetches it writes.
pub(crate) struct CommitGroup {
    jobs: mpsc::UnboundedSender<Job>,
}

impl CommitGroup {
    /// Starts the commit thread. It writes through `writer` and stops when the group is dropped.
    ///
    /// A thread of its own, with a runtime of its own: each statement is a hand-off to sqlx's connection
    /// thread and back, and a task on the shared runtime waited behind the crawl's parsing for each of them
    /// (the writer thread sat idle half of the first crawl).
    pub(crate) fn start(writer: SqlitePool) -> std::io::Result<Self> {
        let (jobs, mut waiting) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new().name("moa-sqlite-commit".into()).spawn(move || {
            runtime.block_on(async move {
                while let Some(first) = waiting.recv().await {
                    let mut group = vec![first];
                    while group.len() < GROUP_MAX {
                        match waiting.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    // In a task of its own: a panic in a group's writes ends that group (its fetches hear that
                    // they were not stored), not the thread every later fetch needs.
                    if tokio::spawn(commit_together(writer.clone(), group)).await.is_err() {
                        tracing::error!("a group commit panicked; its fetches were not stored");
                    }
                }
            });
        })?;
        Ok(Self { jobs })
    }

    /// Runs `work` in the next transaction of the writer, shared with the fetches waiting beside it, and
    /// answers once that transaction has committed. A failing fetch rolls back its own savepoint only.
    pub(crate) async fn run(&self, work: Work) -> Result<UpsertStats> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { work, reply })
            .map_err(|_| StoreError::NotCommitted("the writer's commit thread has stopped".into()))?;
        answer.await.map_err(|_| StoreError::NotCommitted("its group's writes failed unexpectedly".into()))?
    }
}

/// Writes the jobs in one transaction and answers each: its own result once committed, its own error, or why
/// the transaction failed.
async fn commit_together(writer: SqlitePool, jobs: Vec<Job>) {
    let (works, replies): (Vec<Work>, Vec<_>) = jobs.into_iter().map(|j| (j.work, j.reply)).unzip();
    let mut results = Vec::with_capacity(works.len());
    let failed = write_all(&writer, works, &mut results).await.err().map(|e| e.to_string());
    let mut results = results.into_iter();
    for reply in replies {
        let result = match (results.next(), &failed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(stats)), None) => Ok(stats),
            (_, Some(why)) => Err(StoreError::NotCommitted(why.clone())),
            (None, None) => Err(StoreError::NotCommitted("not written".into())),
        };
        // A caller that stopped waiting no longer needs its answer.
        let _ = reply.send(result);
    }
}

/// Runs each work in a savepoint of one transaction, its result pushed to `results`; a work's error rolls
/// back its savepoint only. Err when the transaction itself failed.
async fn write_all(writer: &SqlitePool, works: Vec<Work>, results: &mut Vec<Result<UpsertStats>>) -> Result<()> {
    let mut conn = writer.acquire().await?;
    let mut tx = conn.begin().await?;
    for work in works {
        let mut savepoint = tx.begin().await?;
        let result = work(&mut savepoint).await;
        match result {
            Ok(_) => savepoint.commit().await?,
            Err(_) => savepoint.rollback().await?,
        }
        results.push(result);
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(panics: bool) -> Work {
        Box::new(move |conn: &mut SqliteConnection| {
            Box::pin(async move {
                sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER)").execute(&mut *conn).await?;
                assert!(!panics, "a bug in a fetch's writes");
                sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *conn).await?;
                Ok(UpsertStats::default())
            })
        })
    }

    #[tokio::test]
    async fn a_panicking_group_fails_its_fetches_and_the_next_group_is_written() {
        // One connection: each in-memory connection is a database of its own.
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        let group = CommitGroup::start(pool.clone()).unwrap();
        assert!(matches!(group.run(work(true)).await, Err(StoreError::NotCommitted(_))));
        group.run(work(false)).await.expect("the commit thread still writes");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&pool).await.unwrap();
        assert_eq!(rows, 1);
    }
}
