//! The SQLite store on a real file: idempotent upserts, edits, pagination, source state.

use moa_store::{NewPost, PostQuery, SourceSpec, Store, Validators, open};

fn spec(id: &str) -> SourceSpec {
    SourceSpec {
        id: id.into(),
        name_ko: format!("{id} 기술블로그"),
        name_en: format!("{id} tech blog"),
        homepage: format!("https://{id}.example.com"),
        feed_url: format!("https://{id}.example.com/feed"),
        platform: "custom".into(),
    }
}

fn post(entry: &str, published: i64) -> NewPost {
    NewPost {
        entry_id: entry.into(),
        url: Some(format!("https://a.example.com/{entry}")),
        title: format!("제목 {entry}"),
        summary: Some("요약".into()),
        content_html: Some("<p>본문</p>".into()),
        author: None,
        thumbnail: None,
        categories: vec!["backend".into()],
        published_at: Some(published),
        updated_at: None,
    }
}

async fn store() -> (tempfile::TempDir, std::sync::Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/dir/moa.db").display());
    let store = open(&url).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn upserts_are_idempotent_and_edits_update() {
    let (_dir, store) = store().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    let posts: Vec<_> = (0..5).map(|i| post(&format!("p{i}"), 1000 + i)).collect();
    let first = store.store_fetch("a", 2000, &posts, &Validators::default()).await.unwrap();
    assert_eq!((first.new, first.updated, first.unchanged), (5, 0, 0));
    let again = store.store_fetch("a", 2100, &posts, &Validators::default()).await.unwrap();
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 5));
    assert_eq!(store.count_posts(None).await.unwrap(), 5);

    let id_of = |posts: &[moa_store::Post], entry: &str| posts.iter().find(|p| p.entry_id == entry).map(|p| p.id);
    let before = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    let mut edited = posts.clone();
    edited[2].title = "고친 제목".into();
    let third = store.store_fetch("a", 2200, &edited, &Validators::default()).await.unwrap();
    assert_eq!((third.new, third.updated, third.unchanged), (0, 1, 4));
    let listed = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert!(listed.iter().any(|p| p.title == "고친 제목"));
    assert_eq!(id_of(&listed, "p2"), id_of(&before, "p2"), "an edit must keep the post's id");
    assert_eq!(store.count_posts(Some("a")).await.unwrap(), 5);
    assert_eq!(store.count_posts(Some("b")).await.unwrap(), 0);
}

#[tokio::test]
async fn newest_first_with_cursor_and_source_filter() {
    let (_dir, store) = store().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    store
        .store_fetch(
            "a",
            5000,
            &(0..7).map(|i| post(&format!("a{i}"), 1000 + i * 10)).collect::<Vec<_>>(),
            &Validators::default(),
        )
        .await
        .unwrap();
    store
        .store_fetch(
            "b",
            5000,
            &(0..4).map(|i| post(&format!("b{i}"), 1005 + i * 10)).collect::<Vec<_>>(),
            &Validators::default(),
        )
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.posts(&PostQuery { source_id: None, before, limit: 3 }).await.unwrap();
        if page.is_empty() {
            break;
        }
        before = page.last().map(|p| p.cursor());
        seen.extend(page);
    }
    assert_eq!(seen.len(), 11);
    assert!(seen.windows(2).all(|w| w[0].sort_at >= w[1].sort_at), "not newest first");
    assert_eq!(seen[0].entry_id, "a6");
    assert_eq!(seen[0].source_name_ko, "a 기술블로그");

    let only_b = store.posts(&PostQuery { source_id: Some("b".into()), before: None, limit: 50 }).await.unwrap();
    assert_eq!(only_b.len(), 4);
    assert!(only_b.iter().all(|p| p.source_id == "b"));
}

#[tokio::test]
async fn source_state_and_registry_sync() {
    let (_dir, store) = store().await;
    let stats = store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    assert_eq!((stats.added, stats.updated, stats.disabled), (2, 0, 0));
    store.record_failure("b", 200, "HTTP 500").await.unwrap();
    store.record_failure("b", 300, "HTTP 503").await.unwrap();
    store.store_fetch("a", 300, &[post("x", 10)], &Validators::default()).await.unwrap();

    let mut changed = spec("a");
    changed.feed_url = "https://a.example.com/rss.xml".into();
    let stats = store.sync_registry(&[changed], 400).await.unwrap();
    assert_eq!((stats.added, stats.updated, stats.disabled), (0, 1, 1));

    let sources = store.sources().await.unwrap();
    let a = sources.iter().find(|s| s.spec.id == "a").unwrap();
    let b = sources.iter().find(|s| s.spec.id == "b").unwrap();
    assert!(a.enabled && !b.enabled);
    assert_eq!(a.spec.feed_url, "https://a.example.com/rss.xml");
    assert_eq!((a.post_count, a.last_success_at, a.last_post_at), (1, Some(300), Some(10)));
    assert_eq!((b.consecutive_failures, b.last_error.as_deref()), (2, Some("HTTP 503")));

    // Listed again, a disabled source comes back; an unchanged one is not rewritten.
    let stats = store.sync_registry(&[a.spec.clone(), spec("b")], 500).await.unwrap();
    assert_eq!((stats.added, stats.updated, stats.disabled), (0, 1, 0));
    assert!(store.sources().await.unwrap().iter().all(|s| s.enabled));
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("moa.db").display());
    {
        let store = open(&url).await.unwrap();
        store.sync_registry(&[spec("a")], 1).await.unwrap();
        store.store_fetch("a", 2, &[post("x", 10)], &Validators::default()).await.unwrap();
    }
    let store = open(&url).await.unwrap();
    assert_eq!(store.count_posts(None).await.unwrap(), 1);
    assert!(open("mysql://nope").await.is_err());
}

#[tokio::test]
async fn validators_are_kept_per_url_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("moa.db").display());
    let store = open(&url).await.unwrap();
    store.sync_registry(&[spec("a")], 1).await.unwrap();
    let v1 = Validators { etag: Some("\"v1\"".into()), last_modified: Some("Mon, 10 Feb 2025 01:13:00 GMT".into()) };
    store.store_fetch("a", 100, &[post("x", 10)], &v1).await.unwrap();
    store.record_failure("a", 150, "timeout").await.unwrap();
    // A 304 is a success that changes nothing else: validators and posts stay, the failure streak ends.
    store.record_not_modified("a", 200).await.unwrap();
    let a = &store.sources().await.unwrap()[0];
    assert_eq!(a.validators, v1);
    assert_eq!((a.last_success_at, a.last_attempt_at, a.consecutive_failures), (Some(200), Some(200), 0));
    assert_eq!(a.last_error, None);
    assert_eq!(a.post_count, 1);
    drop(store);

    let store = open(&url).await.unwrap();
    assert_eq!(store.sources().await.unwrap()[0].validators, v1, "kept across a restart");
    // The registry touching another field keeps them; a new feed URL drops them, since they were its old URL's.
    let mut renamed = spec("a");
    renamed.name_en = "A renamed".into();
    store.sync_registry(&[renamed.clone()], 300).await.unwrap();
    assert_eq!(store.sources().await.unwrap()[0].validators, v1);
    renamed.feed_url = "https://a.example.com/new-feed".into();
    store.sync_registry(&[renamed], 400).await.unwrap();
    assert_eq!(store.sources().await.unwrap()[0].validators, Validators::default());
}
