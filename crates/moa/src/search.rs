//! The search index, kept in step with the store. The store logs every post written, edited or deleted
//! with a growing sequence number (triggers, so no write path can forget); the index records in each commit
//! the number it applied up to. Catching up reads the log after that number, so posts committed while the
//! index was behind (a crash between the store's commit and the index's, or another process's writes) are
//! indexed on the next catch-up, and re-applying a change is harmless.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moa_search::{Hit, IndexedPost, SearchError, SearchIndex, SearchQuery};
use moa_store::{ChangeCursor, Post, PostText, Store};

/// How often the index looks for changes it has not applied: the most a new post waits to be found.
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);
/// Changes read from the store at a time while catching up.
const BATCH: u32 = 1000;
/// Changes staged before a commit: a rebuild makes fewer, larger segments than with a commit per page.
const COMMIT_EVERY: u64 = 20_000;
/// Characters of a post's text indexed: whole posts, bar the longest (which say what they are about well
/// before this).
pub const BODY_CHARS: usize = 20_000;

/// The index's directory beside an SQLite file (`moa-data/moa.db` → `moa-data/search`), else `moa-data/search`.
pub fn default_dir(database_url: &str) -> PathBuf {
    let file = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    match file.map(|f| Path::new(f.split('?').next().unwrap_or(f))) {
        Some(path) => path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).join("search"),
        None => PathBuf::from("moa-data/search"),
    }
}

/// A post's topics under the current dictionary. When retention dropped its body, the title and summary
/// say less than the body did: the topics it has are kept (those still in the dictionary) and what the rest
/// shows is added. A post that never had a body is retagged from what it has, like any other.
pub fn topics_now(p: &PostText) -> Vec<String> {
    let mut now =
        moa_search::topics::tag_post(&p.title, &p.categories, p.summary.as_deref(), p.content_html.as_deref());
    if p.body_dropped {
        // The stored topics come first: the body saw more than what is left does.
        let mut kept: Vec<String> =
            p.topics.iter().filter(|t| moa_search::topics::topic(t).is_some()).cloned().collect();
        kept.extend(now.into_iter().filter(|t| !p.topics.contains(t)));
        kept.truncate(moa_search::topics::MAX_TOPICS);
        now = kept;
    }
    now
}

/// The store setting naming the dictionary the stored posts were tagged with.
const TAGGER_SETTING: &str = "tagger_version";

/// Retags every stored post with the current dictionary; how many changed. The change log brings each
/// changed post to the search index.
pub async fn retag(store: &dyn Store) -> anyhow::Result<u64> {
    let mut retagged = 0;
    let mut after = 0;
    loop {
        let page = store.post_texts(after, BATCH).await?;
        let Some(last) = page.last().map(|p| p.id) else { break };
        let topics: Vec<(i64, Vec<String>)> = page
            .iter()
            .filter_map(|p| {
                let now = topics_now(p);
                (now != p.topics).then_some((p.id, now))
            })
            .collect();
        retagged += store.set_topics(&topics).await?;
        after = last;
    }
    store.set_setting(TAGGER_SETTING, &moa_search::topics::TAGGER_VERSION.to_string()).await?;
    Ok(retagged)
}

/// Retags the stored posts once after an upgrade whose topic dictionary differs from the one they were
/// tagged with (a new store needs none: its posts are tagged as they come). `None` when nothing was due.
pub async fn retag_after_upgrade(store: &dyn Store) -> anyhow::Result<Option<u64>> {
    let version = moa_search::topics::TAGGER_VERSION.to_string();
    if store.setting(TAGGER_SETTING).await?.as_deref() == Some(version.as_str()) {
        return Ok(None);
    }
    if store.count_posts(None).await? == 0 {
        store.set_setting(TAGGER_SETTING, &version).await?;
        return Ok(None);
    }
    retag(store).await.map(Some)
}

/// A stored post as the index sees it.
pub fn indexed(p: &PostText) -> IndexedPost {
    let mut tags = p.categories.clone();
    for slug in &p.topics {
        if let Some(t) = moa_search::topics::topic(slug) {
            tags.push(t.ko.to_string());
            tags.push(t.en.to_string());
        }
    }
    IndexedPost {
        id: p.id,
        source_id: p.source_id.clone(),
        title: p.title.clone(),
        body: moa_search::body_text(p.summary.as_deref(), p.content_html.as_deref(), BODY_CHARS),
        company: format!("{} {} {}", p.source_name_ko, p.source_name_en, p.source_id),
        tags,
        topics: p.topics.clone(),
        sort_at: p.sort_at,
    }
}

/// What a catch-up did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CatchUp {
    pub indexed: u64,
    pub removed: u64,
    /// The change the index has applied up to.
    pub seq: ChangeCursor,
}

/// A page of results: the posts found, each with its highlighted title and snippet.
#[derive(Debug, Default)]
pub struct Results {
    /// Matches counted, up to `moa_search::COUNT_CAP`.
    pub total: usize,
    /// More match than `total`.
    pub more: bool,
    pub found: Vec<(Hit, Post)>,
}

pub struct Search {
    index: Arc<SearchIndex>,
    store: Arc<dyn Store>,
    /// One catch-up at a time: two would apply the same changes twice, the second with a stale sequence.
    applying: tokio::sync::Mutex<()>,
    /// Grows with every batch applied: the page cache drops answers built before (see `generation`).
    generation: AtomicU64,
}

impl Search {
    /// Opens the index in `dir` to keep it current. An index another version of moa built is deleted, a
    /// damaged one set aside for a look; either is built again from the store (a catch-up from the log's
    /// start).
    pub fn open(dir: &Path, store: Arc<dyn Store>) -> Result<Self, SearchError> {
        let index = match SearchIndex::open(dir) {
            Ok(index) => index,
            Err(e @ SearchError::Locked(_)) => return Err(e),
            // Derived data in a format this version no longer reads: kept, it would only hold the disk.
            Err(SearchError::OtherVersion(_)) => {
                tracing::info!(dir = %dir.display(), "search index built by another version of moa; building it again from the store");
                std::fs::remove_dir_all(dir)
                    .map_err(|source| SearchError::Directory { path: dir.display().to_string(), source })?;
                SearchIndex::open(dir)?
            }
            Err(e) => {
                let aside = dir.with_extension(format!("broken-{}", crate::now_unix()));
                tracing::warn!(error = %e, dir = %dir.display(), aside = %aside.display(), "search index unusable; rebuilding it from the store");
                std::fs::rename(dir, &aside)
                    .map_err(|source| SearchError::Directory { path: dir.display().to_string(), source })?;
                SearchIndex::open(dir)?
            }
        };
        Ok(Self::with(index, store))
    }

    /// Opens the index another process keeps current, to read it.
    pub fn open_read_only(dir: &Path, store: Arc<dyn Store>) -> Result<Self, SearchError> {
        Ok(Self::with(SearchIndex::open_read_only(dir)?, store))
    }

    /// An index in memory, for tests.
    pub fn in_memory(store: Arc<dyn Store>) -> Result<Self, SearchError> {
        Ok(Self::with(SearchIndex::in_memory()?, store))
    }

    /// An index in memory, caught up with the store and following it: for tests and benchmarks.
    pub async fn in_memory_following(store: Arc<dyn Store>) -> anyhow::Result<Arc<Self>> {
        let search = Arc::new(Self::in_memory(store)?);
        search.catch_up().await?;
        search.follow();
        Ok(search)
    }

    fn with(index: SearchIndex, store: Arc<dyn Store>) -> Self {
        Self { index: Arc::new(index), store, applying: tokio::sync::Mutex::new(()), generation: AtomicU64::new(0) }
    }

    pub fn is_writable(&self) -> bool {
        self.index.is_writable()
    }

    /// A number that grows whenever the index applies changes, whichever process made them: every post
    /// write is logged, so caches compare it to notice other processes' posts, not only their searches.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn len(&self) -> u64 {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn applied_seq(&self) -> anyhow::Result<ChangeCursor> {
        let applied = self.index.applied()?;
        applied.parse().map_err(|e| anyhow::anyhow!("the search index records {applied:?} as applied: {e}"))
    }

    /// Applies every change the store logged after the index's last commit.
    pub async fn catch_up(&self) -> anyhow::Result<CatchUp> {
        let _one = self.applying.lock().await;
        let mut done = CatchUp { seq: self.applied_seq()?, ..CatchUp::default() };
        let mut staged = 0;
        let mut read_up_to = done.seq;
        loop {
            let changes = self.store.post_changes(read_up_to, BATCH).await?;
            let Some(last) = changes.last().map(|c| c.cursor) else {
                if staged > 0 {
                    self.commit(read_up_to).await?;
                    done.seq = read_up_to;
                }
                if done.indexed + done.removed >= COMMIT_EVERY {
                    return_freed_memory();
                }
                return Ok(done);
            };
            let mut upserts = Vec::new();
            let mut deletes = Vec::new();
            for c in &changes {
                match &c.text {
                    Some(text) => upserts.push(indexed(text)),
                    None => deletes.push(c.post_id),
                }
            }
            done.indexed += upserts.len() as u64;
            done.removed += deletes.len() as u64;
            staged += changes.len() as u64;
            read_up_to = last;
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.stage(&upserts, &deletes)).await??;
            if staged >= COMMIT_EVERY {
                self.commit(last).await?;
                done.seq = last;
                staged = 0;
            }
        }
    }

    async fn commit(&self, applied: ChangeCursor) -> anyhow::Result<()> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.commit(&applied.to_string())).await??;
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Catches up now and then every [`FOLLOW_INTERVAL`], until the process ends.
    pub fn follow(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let search = self.clone();
        tokio::spawn(async move {
            loop {
                match search.catch_up().await {
                    Ok(c) if c.indexed + c.removed > 0 => {
                        tracing::debug!(indexed = c.indexed, removed = c.removed, seq = %c.seq, "search index updated");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "search index catch-up failed; retrying"),
                }
                tokio::time::sleep(FOLLOW_INTERVAL).await;
            }
        })
    }

    /// Retags every stored post with the current dictionary, then builds the index again from the store.
    pub async fn rebuild(&self) -> anyhow::Result<Rebuilt> {
        let retagged = retag(self.store.as_ref()).await?;
        {
            let _one = self.applying.lock().await;
            let index = self.index.clone();
            tokio::task::spawn_blocking(move || index.clear()).await??;
            self.generation.fetch_add(1, Ordering::Release);
        }
        let c = self.catch_up().await?;
        Ok(Rebuilt { retagged, indexed: self.index.len(), seq: c.seq })
    }

    /// Searches, and reads the posts found from the store (skipping any deleted since the index saw them).
    pub async fn search(&self, q: &SearchQuery) -> anyhow::Result<Results> {
        let index = self.index.clone();
        let q = q.clone();
        let hits = tokio::task::spawn_blocking(move || {
            if !index.is_writable() {
                index.refresh()?;
            }
            index.search(&q)
        })
        .await??;
        let ids: Vec<i64> = hits.hits.iter().map(|h| h.id).collect();
        let mut posts: std::collections::HashMap<i64, Post> =
            self.store.posts_by_ids(&ids).await?.into_iter().map(|p| (p.id, p)).collect();
        let found = hits.hits.into_iter().filter_map(|h| posts.remove(&h.id).map(|p| (h, p))).collect();
        Ok(Results { total: hits.total, more: hits.more, found })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub retagged: u64,
    pub indexed: u64,
    pub seq: ChangeCursor,
}

/// Hands memory freed by a large catch-up (the index's first build) back to the system. glibc keeps freed
/// blocks in the arena of the thread that used them, so the indexer's buffers and the batches read from the
/// store stayed resident: a server that built its index of 100,000 posts held 147 MB after the build, and
/// 72 MB with this.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only releases free pages of glibc's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_body_keeps_its_topics_a_post_without_one_is_retagged() {
        let post = |topics: &[&str], body_dropped| PostText {
            id: 1,
            source_id: "a".into(),
            source_name_ko: "가".into(),
            source_name_en: "a".into(),
            title: "[Java] 기본 자료형과 참조 자료형".into(),
            summary: None,
            content_html: None,
            categories: vec!["자바 스터디".into()],
            topics: topics.iter().map(|t| t.to_string()).collect(),
            sort_at: 0,
            body_dropped,
        };
        // Tagged under an older dictionary ("스터디" was culture): without a body of its own, retagged.
        assert_eq!(topics_now(&post(&["culture"], false)), Vec::<String>::new());
        // Its body dropped by retention: what the body gave stays (a slug no longer known goes).
        assert_eq!(topics_now(&post(&["backend", "gone-topic"], true)), ["backend"]);
    }

    /// A SQLite store in `dir` with one post ("쿠버네티스 운영기").
    async fn store_with_one_post(dir: &Path) -> Arc<dyn Store> {
        let store = moa_store::open(&format!("sqlite://{}", dir.join("moa.db").display())).await.unwrap();
        let spec = moa_store::SourceSpec {
            id: "a".into(),
            name_ko: "에이".into(),
            name_en: "A".into(),
            homepage: "https://a.example/".into(),
            feed_url: "https://a.example/feed".into(),
            platform: String::new(),
            user_agent: None,
        };
        store.sync_registry(&[spec], 1).await.unwrap();
        let post = moa_store::NewPost {
            entry_id: "1".into(),
            url: Some("https://a.example/1".into()),
            title: "쿠버네티스 운영기".into(),
            summary: None,
            content_html: None,
            author: None,
            thumbnail: None,
            categories: Vec::new(),
            category_labels: Default::default(),
            topics: Vec::new(),
            published_at: Some(10),
            updated_at: None,
        };
        let check = moa_store::SourceCheck {
            source_id: "a".into(),
            at: 20,
            next_check_at: 30,
            interval: 10,
            permanent_redirect: None,
            result: moa_store::CheckResult::NotModified,
            elapsed_ms: 0,
            bytes: 0,
        };
        store.store_fetch(&check, &[post]).await.unwrap();
        store
    }

    #[tokio::test]
    async fn a_damaged_index_is_set_aside_and_built_again_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_one_post(dir.path()).await;
        let index_dir = dir.path().join("search");
        std::fs::create_dir_all(&index_dir).unwrap();
        std::fs::write(index_dir.join("meta.json"), "{ not json").unwrap();

        let search = Search::open(&index_dir, store.clone()).unwrap();
        assert_eq!(search.catch_up().await.unwrap().indexed, 1, "rebuilt from the store's log");
        let q = moa_search::SearchQuery { text: "쿠버네티스".into(), limit: 10, ..Default::default() };
        assert_eq!(search.search(&q).await.unwrap().found.len(), 1);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("search.broken-"))
            .collect();
        assert_eq!(aside.len(), 1, "the damaged index is kept aside for a look: {aside:?}");
    }

    #[tokio::test]
    async fn an_index_of_another_version_is_built_again_and_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_one_post(dir.path()).await;
        let index_dir = dir.path().join("search");
        {
            let search = Search::open(&index_dir, store.clone()).unwrap();
            assert_eq!(search.catch_up().await.unwrap().indexed, 1);
        }
        // What the previous version wrote: the same schema, segments not sorted by date.
        let meta_path = index_dir.join("meta.json");
        let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
        meta["index_settings"]["sort_by_field"] = serde_json::Value::Null;
        std::fs::write(&meta_path, meta.to_string()).unwrap();
        assert!(matches!(SearchIndex::open(&index_dir), Err(SearchError::OtherVersion(_))));

        let search = Search::open(&index_dir, store.clone()).unwrap();
        assert_eq!(search.catch_up().await.unwrap().indexed, 1, "rebuilt from the store's log");
        let q = moa_search::SearchQuery { text: "쿠버네티스".into(), limit: 10, ..Default::default() };
        assert_eq!(search.search(&q).await.unwrap().found.len(), 1);
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
        assert!(!names.iter().any(|n| n.starts_with("search.")), "nothing kept aside: {names:?}");
    }

    #[test]
    fn the_index_lives_beside_the_database_file() {
        assert_eq!(default_dir("sqlite://moa-data/moa.db"), PathBuf::from("moa-data/search"));
        assert_eq!(default_dir("sqlite:///var/lib/moa/moa.db?mode=rwc"), PathBuf::from("/var/lib/moa/search"));
        assert_eq!(default_dir("sqlite://moa.db"), PathBuf::from("./search"));
        assert_eq!(default_dir("postgres://db/moa"), PathBuf::from("moa-data/search"));
    }
}
