//! Databases for tests, on either backend: a fresh SQLite file in a temporary folder, or a fresh
//! PostgreSQL database on the server `MOA_TEST_POSTGRES` names, dropped when the test ends.
//!
//! The app's test suite runs on the backend `MOA_TEST_BACKEND` names (`sqlite`, the default, or
//! `postgres`); `.ci/run` runs it on both.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::Store;

/// The variable naming the PostgreSQL server tests may use (a URL of an existing database on it, from
/// which each test creates its own).
pub const POSTGRES_VARIABLE: &str = "MOA_TEST_POSTGRES";
/// The variable choosing the app suite's backend.
pub const BACKEND_VARIABLE: &str = "MOA_TEST_BACKEND";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test holds it.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The SQLite file's folder, or a scratch folder beside a PostgreSQL database (search indexes,
    /// registries, backups).
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn scratch_dir() -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("moa-test-{}-{n}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = scratch_dir();
        Self {
            url: format!("sqlite://{}", dir.join("moa.db").display()),
            backend: Backend::Sqlite,
            dir,
            postgres: None,
        }
    }

    /// A new PostgreSQL database, or None (with the reason printed) when `MOA_TEST_POSTGRES` is unset.
    pub async fn postgres() -> Option<Self> {
        let Ok(server) = std::env::var(POSTGRES_VARIABLE) else {
            eprintln!("skipped: {POSTGRES_VARIABLE} is unset (.ci/run sets it to a local PostgreSQL server)");
            return None;
        };
        let dir = scratch_dir();
        let name = format!("moa_test_{}", dir.file_name().and_then(|n| n.to_str()).unwrap_or("x").replace('-', "_"));
        let url = crate::postgres::create_database(&server, &name)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name} on {server}: {e}"));
        Some(Self { url, backend: Backend::Postgres, dir, postgres: Some((server, name)) })
    }

    /// A database on the backend `MOA_TEST_BACKEND` names. With `postgres` and no server to use, the
    /// test cannot run: that is a broken setup, not a skip.
    pub async fn from_env() -> Self {
        match std::env::var(BACKEND_VARIABLE).as_deref() {
            Ok("postgres") => Self::postgres()
                .await
                .unwrap_or_else(|| panic!("{BACKEND_VARIABLE}=postgres needs {POSTGRES_VARIABLE}")),
            Ok("sqlite") | Err(_) => Self::sqlite(),
            Ok(other) => panic!("{BACKEND_VARIABLE}={other:?}: expected sqlite or postgres"),
        }
    }

    /// [`TestDb::from_env`] for code outside a runtime (or inside one that must not block).
    pub fn from_env_blocking() -> Self {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(Self::from_env())
        })
        .join()
        .unwrap_or_else(|_| panic!("could not make a test database"))
    }

    /// The scratch folder (as `tempfile::TempDir::path`).
    pub fn path(&self) -> &std::path::Path {
        &self.dir
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Drops a PostgreSQL database now, ending its connections: the server is gone for whoever used it.
    pub async fn drop_now(&self) {
        let (server, name) = self.postgres.as_ref().expect("a PostgreSQL test database");
        crate::postgres::drop_database(server, name).await.unwrap_or_else(|e| panic!("cannot drop {name}: {e}"));
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        crate::open(&self.url).await.unwrap_or_else(|e| panic!("cannot open {}: {e}", self.url))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let Some((server, name)) = self.postgres.take() else { return };
        // Drop runs inside the test's runtime, which cannot block on itself: a thread of its own does it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(crate::postgres::drop_database(&server, &name)).ok()
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop a test database");
        }
    }
}

/// Waits until the store stops changing (its post count and companies read the same twice, 100 ms apart),
/// so that reads made one after the other see one state: a crawler killed while committing has sent its
/// `COMMIT`, and PostgreSQL may run it after the process is gone.
async fn settle(store: &dyn Store) {
    let state = || async { (store.count_posts(None).await.ok(), store.companies().await.ok()) };
    let mut last = state().await;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = state().await;
        if now == last {
            return;
        }
        last = now;
    }
    panic!("the store kept changing for 5 s");
}

/// Panics unless what the store keeps for the readers' lists agrees with its posts counted afresh: each
/// source's post count (`COUNT(*)`) and newest date, the home page's company list, and the lists of every
/// tag and topic its posts carry (and of `gone`, tags or topics no post should list any more).
pub async fn assert_read_paths_agree(store: &dyn Store, gone: &[&str]) {
    use crate::PostQuery;
    settle(store).await;
    let everything = PostQuery { limit: u32::MAX, include_duplicates: true, ..PostQuery::default() };
    let all = store.posts(&everything).await.expect("every post");
    let listed = store.posts(&PostQuery { limit: u32::MAX, ..PostQuery::default() }).await.expect("the list");
    for company in store.companies().await.expect("the companies") {
        let counted = store.count_posts(Some(&company.id)).await.expect("a count");
        assert_eq!(company.post_count, counted, "{}: the kept post count against COUNT(*)", company.id);
        let newest = all.iter().filter(|p| p.source_id == company.id).map(|p| p.sort_at).max();
        assert_eq!(company.last_post_at, newest, "{}: the kept newest date", company.id);
    }
    // The home page's company list, which the store keeps between reads while its key is unchanged.
    let home = store.list_page(&PostQuery { limit: 1, ..PostQuery::default() }).await.expect("the home page");
    let companies = store.companies().await.expect("the companies");
    assert_eq!(*home.companies, companies[..], "the home page's company list against the companies read afresh");
    let ids = |posts: &[crate::Post]| posts.iter().map(|p| p.id).collect::<Vec<_>>();
    let lowered = |s: &str| s.to_lowercase();
    // SQLite folds only ASCII letters, PostgreSQL every letter its locale knows: a tag that folds differently
    // under the two is checked by neither.
    let mut tags: Vec<String> = all
        .iter()
        .flat_map(|p| p.categories.iter().filter(|t| lowered(t) == t.to_ascii_lowercase()).map(|t| lowered(t)))
        .collect();
    let mut topics: Vec<String> = all.iter().flat_map(|p| p.topics.clone()).collect();
    tags.extend(gone.iter().map(|t| lowered(t)));
    topics.extend(gone.iter().map(|t| t.to_string()));
    tags.sort();
    tags.dedup();
    topics.sort();
    topics.dedup();
    for tag in tags {
        let expected: Vec<_> =
            listed.iter().filter(|p| p.categories.iter().any(|c| lowered(c) == tag)).cloned().collect();
        let query = PostQuery { tag: Some(tag.clone()), limit: u32::MAX, ..PostQuery::default() };
        assert_eq!(ids(&store.posts(&query).await.expect("a tag's list")), ids(&expected), "the tag {tag:?}");
    }
    for topic in topics {
        let expected: Vec<_> = listed.iter().filter(|p| p.topics.contains(&topic)).cloned().collect();
        let query = PostQuery { topic: Some(topic.clone()), limit: u32::MAX, ..PostQuery::default() };
        assert_eq!(ids(&store.posts(&query).await.expect("a topic's list")), ids(&expected), "the topic {topic:?}");
    }
}
