//! The store's semantics, on both backends: every test here runs on a fresh SQLite file and on a fresh
//! PostgreSQL database (skipped, with the reason printed, when `MOA_TEST_POSTGRES` is unset).

use moa_store::testing::TestDb;
use moa_store::{
    ChangeCursor, CheckResult, ErrorKind, NewPost, PostQuery, Selection, SourceCheck, SourceSpec, Validators, open,
};

fn spec(id: &str) -> SourceSpec {
    SourceSpec {
        id: id.into(),
        name_ko: format!("{id} 기술블로그"),
        name_en: format!("{id} tech blog"),
        homepage: format!("https://{id}.example.com"),
        feed_url: format!("https://{id}.example.com/feed"),
        platform: "custom".into(),
        user_agent: None,
    }
}

fn check(source: &str, at: i64, result: CheckResult) -> SourceCheck {
    SourceCheck {
        source_id: source.into(),
        at,
        next_check_at: at + 1800,
        interval: 1800,
        permanent_redirect: None,
        result,
        elapsed_ms: 100,
        bytes: 0,
    }
}

fn fetched(source: &str, at: i64, validators: Validators) -> SourceCheck {
    check(source, at, CheckResult::Fetched { validators, site_pages: Vec::new() })
}

fn not_modified(source: &str, at: i64) -> SourceCheck {
    check(source, at, CheckResult::NotModified)
}

fn failed(source: &str, at: i64, message: &str) -> SourceCheck {
    check(source, at, CheckResult::Failed { kind: ErrorKind::HttpStatus, message: message.into(), disable: false })
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
        category_labels: Default::default(),
        topics: vec!["backend".into()],
        published_at: Some(published),
        updated_at: None,
    }
}

async fn upserts_are_idempotent_and_edits_update(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    let posts: Vec<_> = (0..5).map(|i| post(&format!("p{i}"), 1000 + i)).collect();
    let first = store.store_fetch(&fetched("a", 2000, Validators::default()), &posts).await.unwrap();
    assert_eq!((first.new, first.updated, first.unchanged), (5, 0, 0));
    let again = store.store_fetch(&fetched("a", 2100, Validators::default()), &posts).await.unwrap();
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 5));
    assert_eq!(store.count_posts(None).await.unwrap(), 5);

    let id_of = |posts: &[moa_store::Post], entry: &str| posts.iter().find(|p| p.entry_id == entry).map(|p| p.id);
    let before = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    let mut edited = posts.clone();
    edited[2].title = "고친 제목".into();
    let third = store.store_fetch(&fetched("a", 2200, Validators::default()), &edited).await.unwrap();
    assert_eq!((third.new, third.updated, third.unchanged), (0, 1, 4));
    let listed = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert!(listed.iter().any(|p| p.title == "고친 제목"));
    assert_eq!(id_of(&listed, "p2"), id_of(&before, "p2"), "an edit must keep the post's id");
    assert_eq!(store.count_posts(Some("a")).await.unwrap(), 5);
    assert_eq!(store.count_posts(Some("b")).await.unwrap(), 0);
    // Posts that left the feed (it shows only the newest) are kept.
    let fourth = store.store_fetch(&fetched("a", 2300, Validators::default()), &edited[3..]).await.unwrap();
    assert_eq!((fourth.new, fourth.updated, fourth.unchanged), (0, 0, 2));
    assert_eq!(store.count_posts(Some("a")).await.unwrap(), 5);
}

async fn newest_first_with_cursor_and_source_filter(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    store
        .store_fetch(
            &fetched("a", 5000, Validators::default()),
            &(0..7).map(|i| post(&format!("a{i}"), 1000 + i * 10)).collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    store
        .store_fetch(
            &fetched("b", 5000, Validators::default()),
            &(0..4).map(|i| post(&format!("b{i}"), 1005 + i * 10)).collect::<Vec<_>>(),
        )
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.posts(&PostQuery { before, limit: 3, ..Default::default() }).await.unwrap();
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

    let only_b =
        store.posts(&PostQuery { source_id: Some("b".into()), limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(only_b.len(), 4);
    assert!(only_b.iter().all(|p| p.source_id == "b"));

    // Names asked for with a NUL (PostgreSQL refuses it in text) match nothing, on both backends.
    assert!(store.source("b\0").await.unwrap().is_none());
    assert_eq!(store.count_posts(Some("b\0")).await.unwrap(), 0);
    for q in [
        PostQuery { source_id: Some("b\0".into()), limit: 5, ..Default::default() },
        PostQuery { tag: Some("x\0".into()), limit: 5, ..Default::default() },
        PostQuery { topic: Some("\0".into()), limit: 5, ..Default::default() },
    ] {
        assert!(store.posts(&q).await.unwrap().is_empty());
    }
    assert!(store.post_by_url("https://b.example/\0").await.unwrap().is_none());
    assert!(store.user_password_hash("kim\0").await.unwrap().is_none());
}

async fn source_state_and_registry_sync(db: &TestDb) {
    let store = db.open().await;
    let stats = store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    assert_eq!((stats.added, stats.updated, stats.disabled), (2, 0, 0));
    store.record_checks(&[failed("b", 200, "HTTP 500")]).await.unwrap();
    store.record_checks(&[failed("b", 300, "HTTP 503")]).await.unwrap();
    store.store_fetch(&fetched("a", 300, Validators::default()), &[post("x", 10)]).await.unwrap();

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

async fn reopening_keeps_everything(db: &TestDb) {
    {
        let store = db.open().await;
        store.sync_registry(&[spec("a")], 1).await.unwrap();
        store.store_fetch(&fetched("a", 2, Validators::default()), &[post("x", 10)]).await.unwrap();
    }
    let store = db.open().await;
    assert_eq!(store.count_posts(None).await.unwrap(), 1);
    assert!(open("mysql://nope").await.is_err());
}

async fn validators_are_kept_per_url_and_survive_a_reopen(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 1).await.unwrap();
    let v1 = Validators { etag: Some("\"v1\"".into()), last_modified: Some("Mon, 10 Feb 2025 01:13:00 GMT".into()) };
    store.store_fetch(&fetched("a", 100, v1.clone()), &[post("x", 10)]).await.unwrap();
    store.record_checks(&[failed("a", 150, "timeout")]).await.unwrap();
    // A 304 is a success that changes nothing else: validators and posts stay, the failure streak ends.
    store.record_checks(&[not_modified("a", 200)]).await.unwrap();
    let a = &store.sources().await.unwrap()[0];
    assert_eq!(a.validators, v1);
    assert_eq!((a.last_success_at, a.last_attempt_at, a.consecutive_failures), (Some(200), Some(200), 0));
    assert_eq!(a.last_error, None);
    assert_eq!(a.post_count, 1);
    drop(store);

    let store = db.open().await;
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

async fn claims_take_due_sources_and_move_their_next_check_first(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b"), spec("c")], 100).await.unwrap();
    // New sources are due at once; a claim hands out at most `limit`, oldest due first, and leases them.
    let first = store.claim(&Selection::Due { limit: 2 }, 1000, 1900).await.unwrap();
    assert_eq!(first.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let second = store.claim(&Selection::Due { limit: 2 }, 1000, 1900).await.unwrap();
    assert_eq!(second.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c"]);
    assert!(store.claim(&Selection::Due { limit: 2 }, 1000, 1900).await.unwrap().is_empty(), "all leased");
    // A crawler killed after claiming: the lease expires and the source is due again, not before.
    assert!(store.claim(&Selection::Due { limit: 10 }, 1899, 2800).await.unwrap().is_empty());
    assert_eq!(store.claim(&Selection::Due { limit: 10 }, 1900, 2800).await.unwrap().len(), 3);

    // The outcome sets the next check; --all and --source ignore it.
    store.store_fetch(&fetched("a", 2000, Validators::default()), &[post("x", 10)]).await.unwrap();
    let a = store.sources().await.unwrap().into_iter().find(|s| s.spec.id == "a").unwrap();
    assert_eq!((a.next_check_at, a.check_interval), (3800, Some(1800)));
    assert_eq!(store.claim(&Selection::All, 2000, 2900).await.unwrap().len(), 3);
    let one = store.claim(&Selection::Ids(vec!["b".into()]), 2000, 2900).await.unwrap();
    assert_eq!((one.len(), one[0].fetch_url.as_str()), (1, "https://b.example.com/feed"));
}

async fn a_permanent_redirect_seen_twice_moves_the_feed(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let moved = |at, to: Option<&str>| {
        let mut c = not_modified("a", at);
        c.permanent_redirect = to.map(String::from);
        c
    };
    let state = || async {
        let a = store.sources().await.unwrap().remove(0);
        let url = a.fetch_url().to_string();
        (a.redirect_candidate, a.moved_to, url)
    };
    store.record_checks(&[moved(200, Some("https://new.example.com/feed"))]).await.unwrap();
    assert_eq!(state().await, (Some("https://new.example.com/feed".into()), None, "https://a.example.com/feed".into()));
    // A different target, then none: nothing moves.
    store.record_checks(&[moved(300, Some("https://other.example.com/feed"))]).await.unwrap();
    store.record_checks(&[moved(400, None)]).await.unwrap();
    assert_eq!(state().await, (None, None, "https://a.example.com/feed".into()));
    store.record_checks(&[moved(500, Some("https://new.example.com/feed"))]).await.unwrap();
    store.record_checks(&[moved(600, Some("https://new.example.com/feed"))]).await.unwrap();
    assert_eq!(
        state().await,
        (None, Some("https://new.example.com/feed".into()), "https://new.example.com/feed".into())
    );
    assert_eq!(store.claim(&Selection::All, 700, 800).await.unwrap()[0].fetch_url, "https://new.example.com/feed");
    // The registry naming another URL wins over the move.
    let mut changed = spec("a");
    changed.feed_url = "https://a.example.com/rss".into();
    store.sync_registry(&[changed], 900).await.unwrap();
    assert_eq!(state().await, (None, None, "https://a.example.com/rss".into()));
}

async fn a_gone_source_stays_disabled_until_the_registry_changes_it(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    let gone =
        check("a", 200, CheckResult::Failed { kind: ErrorKind::Gone, message: "HTTP 410 Gone".into(), disable: true });
    store.record_checks(&[gone]).await.unwrap();
    let a = || async { store.sources().await.unwrap().into_iter().find(|s| s.spec.id == "a").unwrap() };
    let row = a().await;
    assert!(!row.enabled);
    assert_eq!((row.disabled_reason.as_deref(), row.last_error_kind), (Some("HTTP 410 Gone"), Some(ErrorKind::Gone)));
    assert!(store.claim(&Selection::Due { limit: 10 }, 10_000, 20_000).await.unwrap().iter().all(|c| c.id != "a"));
    // Syncing the same registry again does not bring it back…
    let stats = store.sync_registry(&[spec("a"), spec("b")], 300).await.unwrap();
    assert_eq!((stats.updated, stats.disabled), (0, 0));
    assert!(!a().await.enabled);
    // …a new feed URL does.
    let mut fixed = spec("a");
    fixed.feed_url = "https://a.example.com/new-feed".into();
    store.sync_registry(&[fixed, spec("b")], 400).await.unwrap();
    let row = a().await;
    assert!(row.enabled && row.disabled_reason.is_none());
}

async fn a_deleted_post_stays_deleted(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let posts = [post("x", 10), post("y", 20)];
    store.store_fetch(&fetched("a", 200, Validators::default()), &posts).await.unwrap();
    let listed = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    let x = listed.iter().find(|p| p.entry_id == "x").unwrap().id;
    assert!(store.delete_post(x).await.unwrap());
    assert!(!store.delete_post(x).await.unwrap(), "already gone");
    let mut edited = posts.clone();
    edited[0].title = "다시 나타난 제목".into();
    let stats = store.store_fetch(&fetched("a", 300, Validators::default()), &edited).await.unwrap();
    assert_eq!((stats.new, stats.tombstoned), (0, 1));
    let listed = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.entry_id.as_str()).collect::<Vec<_>>(), ["y"]);
}

async fn one_article_in_two_feeds_is_listed_once(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("medium"), spec("c")], 100).await.unwrap();
    let mut original = post("own-1", 1_000_000);
    original.title = "쿠버네티스 도입기: 1년의 기록".into();
    original.url = Some("https://tech.a.example.com/k8s/".into());
    let a = store.store_fetch(&fetched("a", 200, Validators::default()), &[original.clone()]).await.unwrap();
    // The Medium mirror: another URL, the same title, a day later.
    let mut mirror = original.clone();
    mirror.entry_id = "https://medium.com/p/abc".into();
    mirror.url = Some("https://medium.com/a-tech/k8s-abc".into());
    mirror.published_at = Some(1_000_000 + 86_400);
    // The same URL through a third feed (scheme and trailing slash differ).
    let mut same_url = post("c-1", 2_000_000);
    same_url.url = Some("http://tech.a.example.com/k8s".into());
    // Same title long after: another article.
    let mut later = mirror.clone();
    later.entry_id = "later".into();
    later.url = Some("https://medium.com/a-tech/k8s-again".into());
    later.published_at = Some(1_000_000 + 30 * 86_400);
    let m = store.store_fetch(&fetched("medium", 300, Validators::default()), &[mirror, later]).await.unwrap();
    let c = store.store_fetch(&fetched("c", 300, Validators::default()), &[same_url]).await.unwrap();
    let original_id = a.created[0].id;
    assert_eq!(m.created[0].duplicate_of, Some(original_id));
    assert_eq!(m.created[1].duplicate_of, None);
    assert_eq!(c.created[0].duplicate_of, Some(original_id));

    let all = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 2, "the mirror and the third feed's copy are hidden: {all:?}");
    let with = store.posts(&PostQuery { limit: 10, include_duplicates: true, ..Default::default() }).await.unwrap();
    assert_eq!(with.len(), 4);
    let medium = PostQuery { source_id: Some("medium".into()), limit: 10, ..Default::default() };
    assert_eq!(store.posts(&medium).await.unwrap().len(), 2, "a company's own list shows its copies");
    // Deleting the original shows the copies again.
    store.delete_post(original_id).await.unwrap();
    assert_eq!(store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap().len(), 3);
}

async fn a_page_image_fills_a_missing_thumbnail_once(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let mut with_thumb = post("t", 20);
    with_thumb.thumbnail = Some("https://a.example.com/feed-thumb.png".into());
    let posts = [post("x", 10), with_thumb];
    let stats = store.store_fetch(&fetched("a", 200, Validators::default()), &posts).await.unwrap();
    for c in &stats.created {
        store.set_page_facts(c.id, Some("https://a.example.com/og.png"), None).await.unwrap();
    }
    let thumbs = || async {
        let mut l = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
        l.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
        l.into_iter().map(|p| p.thumbnail.unwrap_or_default()).collect::<Vec<_>>()
    };
    assert_eq!(thumbs().await, ["https://a.example.com/feed-thumb.png", "https://a.example.com/og.png"]);
    // An edit from the feed, still without a thumbnail, keeps the page's image.
    let mut edited = posts.clone();
    edited[0].title = "고친 제목".into();
    store.store_fetch(&fetched("a", 300, Validators::default()), &edited).await.unwrap();
    assert_eq!(thumbs().await[1], "https://a.example.com/og.png");
}

fn with_site_pages(source: &str, at: i64, pages: &[&str]) -> SourceCheck {
    let site_pages = pages.iter().map(|p| p.to_string()).collect();
    check(source, at, CheckResult::Fetched { validators: Validators::default(), site_pages })
}

fn undated(entry: &str) -> NewPost {
    NewPost { published_at: None, ..post(entry, 0) }
}

async fn site_pages_stored_as_posts_go_for_good_and_are_counted(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    // An earlier version stored "about" as a post, and another feed's copy of it is hidden behind it.
    let about = NewPost { title: "About this long-named blog of ours".into(), ..undated("about") };
    let first =
        store.store_fetch(&fetched("a", 200, Validators::default()), &[post("x", 10), about.clone()]).await.unwrap();
    let about_id = first.created[1].id;
    let mirror = NewPost { entry_id: "about-copy".into(), ..about.clone() };
    let b = store.store_fetch(&fetched("b", 210, Validators::default()), &[mirror]).await.unwrap();
    assert_eq!(b.created[0].duplicate_of, Some(about_id));

    // The next fetch knows it for a site page: it goes, with a tombstone; the post stays.
    let stats = store.store_fetch(&with_site_pages("a", 300, &["about", "search"]), &[post("x", 10)]).await.unwrap();
    assert_eq!(stats.site_pages_removed, 1);
    assert!(store.post(about_id).await.unwrap().is_none());
    let listed = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.entry_id.as_str()).collect::<Vec<_>>(), ["about-copy", "x"], "the copy shows");
    let a = store.source("a").await.unwrap().unwrap();
    assert_eq!((a.post_count, a.health.pages_skipped), (1, 2));

    // Read as a post again (a classifier that changed its mind), it does not come back.
    let again = store.store_fetch(&fetched("a", 400, Validators::default()), &[post("x", 10), about]).await.unwrap();
    assert_eq!((again.new, again.tombstoned), (0, 1));
    assert_eq!(store.source("a").await.unwrap().unwrap().health.pages_skipped, 0, "the last fetch's count");
    // The search index hears of the deletion.
    let changes = store.post_changes(ChangeCursor::default(), 100).await.unwrap();
    assert!(changes.iter().any(|c| c.post_id == about_id && c.text.is_none()));
}

async fn undated_posts_of_a_first_fetch_follow_the_dated_ones(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let at = 5_000_000;
    // First fetch: two dated posts and two undated ones, in feed order.
    let first = [post("new", 4_000_000), undated("u1"), post("old", 3_000_000), undated("u2")];
    store.store_fetch(&fetched("a", at, Validators::default()), &first).await.unwrap();
    let order = |posts: Vec<moa_store::Post>| posts.iter().map(|p| (p.entry_id.clone(), p.sort_at)).collect::<Vec<_>>();
    let listed = order(store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap());
    assert_eq!(
        listed,
        [("new".into(), 4_000_000), ("old".into(), 3_000_000), ("u1".into(), 2_999_999), ("u2".into(), 2_999_998)],
        "undated posts of a backlog are not today's news"
    );
    // Later fetches: a new undated post is dated by its first sight; edits keep each post's place.
    let mut later = first.to_vec();
    later[1].title = "고친 u1".into();
    later.push(undated("u3"));
    store.store_fetch(&fetched("a", at + 60, Validators::default()), &later).await.unwrap();
    let listed = order(store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap());
    assert_eq!(listed[0], ("u3".into(), at + 60));
    assert!(listed.contains(&("u1".into(), 2_999_999)), "{listed:?}");
    let source = store.source("a").await.unwrap().unwrap();
    assert_eq!(source.last_post_at, Some(at + 60));
}

async fn an_article_page_dates_an_undated_post_and_pages_are_visited_newest_first(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let mut pictured = post("pictured", 3_000);
    pictured.thumbnail = Some("https://a.example.com/t.png".into());
    let posts = [post("dated", 2_000), pictured, undated("undated"), post("old", 1_000)];
    let stats = store.store_fetch(&fetched("a", 10_000, Validators::default()), &posts).await.unwrap();
    let id = |entry: &str| stats.created[posts.iter().position(|p| p.entry_id == entry).unwrap()].id;
    // Posts lacking a picture or a date, newest first; the dated, pictured one needs no visit.
    let visits = store.pages_to_visit("a", 10).await.unwrap();
    let order: Vec<(i64, bool, bool)> = visits.iter().map(|v| (v.post_id, v.needs_image, v.needs_date)).collect();
    assert_eq!(order, [(id("dated"), true, false), (id("old"), true, false), (id("undated"), true, true)]);
    assert_eq!(store.pages_to_visit("a", 1).await.unwrap().len(), 1, "at most the limit");
    // The page's date dates the undated post and moves it there; a dated post keeps the feed's date.
    store.set_page_facts(id("undated"), None, Some(1_500)).await.unwrap();
    store.set_page_facts(id("dated"), Some("https://a.example.com/og.png"), Some(9_999)).await.unwrap();
    let undated_now = store.post(id("undated")).await.unwrap().unwrap();
    assert_eq!((undated_now.published_at, undated_now.sort_at), (Some(1_500), 1_500));
    let dated_now = store.post(id("dated")).await.unwrap().unwrap();
    assert_eq!((dated_now.published_at, dated_now.sort_at), (Some(2_000), 2_000));
    // Each page is read once.
    let left: Vec<i64> = store.pages_to_visit("a", 10).await.unwrap().iter().map(|v| v.post_id).collect();
    assert_eq!(left, [id("old")]);
    // An edit from the feed, still undated, keeps the page's date.
    let mut edited = posts.to_vec();
    edited[2].title = "고친 제목".into();
    store.store_fetch(&fetched("a", 10_100, Validators::default()), &edited).await.unwrap();
    assert_eq!(store.post(id("undated")).await.unwrap().unwrap().sort_at, 1_500);
}

async fn clicks_are_counted_once_per_client_and_window(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let stats =
        store.store_fetch(&fetched("a", 200, Validators::default()), &[post("x", 10), post("y", 20)]).await.unwrap();
    let (x, y) = (stats.created[0].id, stats.created[1].id);
    const WINDOW: i64 = 1800;
    assert!(store.record_click(x, "reader-1", 1000, WINDOW).await.unwrap());
    assert!(!store.record_click(x, "reader-1", 1000 + WINDOW - 1, WINDOW).await.unwrap(), "a repeat inside the window");
    assert!(store.record_click(x, "reader-2", 1001, WINDOW).await.unwrap());
    assert!(store.record_click(x, "reader-1", 1000 + WINDOW, WINDOW).await.unwrap(), "the window has passed");
    assert!(store.record_click(y, "reader-1", 1002, WINDOW).await.unwrap());
    assert!(!store.record_click(999_999, "reader-1", 1003, WINDOW).await.unwrap(), "no such post");
    assert_eq!(store.post(x).await.unwrap().unwrap().clicks, 3);
    let clicked = store.clicked_posts(0, 10).await.unwrap();
    assert_eq!(clicked.iter().map(|p| (p.id, p.clicks)).collect::<Vec<_>>(), [(x, 3), (y, 1)]);
    assert!(store.clicked_posts(15, 10).await.unwrap().iter().all(|p| p.id == y), "x was published before 15");
    // Deleting a post takes its clicks along.
    assert!(store.delete_post(x).await.unwrap());
    assert!(store.post(x).await.unwrap().is_none());
    assert_eq!(store.clicked_posts(0, 10).await.unwrap().len(), 1);
}

async fn every_write_edit_and_delete_is_logged_for_the_search_index(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    let seq_of =
        |changes: &[moa_store::PostChange], id: i64| changes.iter().find(|c| c.post_id == id).map(|c| c.cursor);
    let stats =
        store.store_fetch(&fetched("a", 200, Validators::default()), &[post("x", 10), post("y", 20)]).await.unwrap();
    let (x, y) = (stats.created[0].id, stats.created[1].id);
    let all = store.post_changes(ChangeCursor::default(), 100).await.unwrap();
    assert_eq!(all.len(), 2);
    let text = all[0].text.as_ref().unwrap();
    assert_eq!((text.title.as_str(), text.source_name_ko.as_str()), ("제목 x", "a 기술블로그"));
    assert_eq!(
        (text.categories.clone(), text.topics.clone()),
        (vec!["backend".to_string()], vec!["backend".to_string()])
    );
    let start = store.last_change().await.unwrap();
    assert_eq!(Some(start), all.iter().map(|c| c.cursor).max());
    assert!(store.post_changes(start, 100).await.unwrap().is_empty(), "nothing after the last change");

    // An unchanged fetch logs nothing; an edit logs the post again, after everything before.
    store.store_fetch(&fetched("a", 300, Validators::default()), &[post("x", 10), post("y", 20)]).await.unwrap();
    assert_eq!(store.last_change().await.unwrap(), start);
    let edited = NewPost { title: "고친 제목".into(), ..post("x", 10) };
    store.store_fetch(&fetched("a", 400, Validators::default()), &[edited, post("y", 20)]).await.unwrap();
    let after = store.post_changes(start, 100).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].post_id, after[0].text.as_ref().unwrap().title.as_str()), (x, "고친 제목"));
    assert_eq!(
        store.post_changes(ChangeCursor::default(), 100).await.unwrap().len(),
        2,
        "one entry per post, its latest change"
    );

    // Topics set by a retag are logged; unchanged ones are not written.
    let seq = store.last_change().await.unwrap();
    assert_eq!(store.set_topics(&[(x, vec!["infra".into()]), (y, vec!["backend".into()])]).await.unwrap(), 1);
    let after = store.post_changes(seq, 100).await.unwrap();
    assert_eq!(after.iter().map(|c| c.post_id).collect::<Vec<_>>(), [x]);
    let infra = store.posts(&PostQuery { topic: Some("infra".into()), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(infra.iter().map(|p| p.id).collect::<Vec<_>>(), [x]);
    assert_eq!(infra[0].topics, ["infra"]);

    // A copy of x in another feed is logged without text: search shows the first copy only.
    let twin = NewPost { entry_id: "x-copy".into(), ..post("x", 10) };
    let copy = store.store_fetch(&fetched("b", 500, Validators::default()), &[twin]).await.unwrap().created[0];
    assert_eq!(copy.duplicate_of, Some(x));
    let seq = store.last_change().await.unwrap();
    let all = store.post_changes(ChangeCursor::default(), 100).await.unwrap();
    assert_eq!(all.iter().find(|c| c.cursor == seq).map(|c| (c.post_id, c.text.is_none())), Some((copy.id, true)));

    // Deleting x logs it without text, and its copy (now shown in its place) with text.
    store.delete_post(x).await.unwrap();
    let after = store.post_changes(seq, 100).await.unwrap();
    assert!(after.iter().any(|c| c.post_id == x && c.text.is_none()), "{after:?}");
    assert!(after.iter().any(|c| c.post_id == copy.id && c.text.is_some()), "{after:?}");
    assert!(seq_of(&after, x).is_some());

    // Posts by id come in the order asked, missing ids skipped.
    let found = store.posts_by_ids(&[copy.id, 9999, y]).await.unwrap();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), [copy.id, y]);
    assert!(store.posts_by_ids(&[]).await.unwrap().is_empty());
    let texts = store.post_texts(0, 10).await.unwrap();
    assert_eq!(texts.iter().map(|t| t.id).collect::<Vec<_>>(), [y, copy.id]);
}

async fn renaming_a_company_logs_its_posts_again(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    store.store_fetch(&fetched("a", 200, Validators::default()), &[post("x", 10)]).await.unwrap();
    let seq = store.last_change().await.unwrap();
    store.sync_registry(&[spec("a")], 150).await.unwrap();
    assert_eq!(store.last_change().await.unwrap(), seq, "an unchanged registry logs nothing");
    let renamed = SourceSpec { name_ko: "새 이름".into(), ..spec("a") };
    store.sync_registry(&[renamed], 300).await.unwrap();
    let after = store.post_changes(seq, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].text.as_ref().unwrap().source_name_ko, "새 이름");
}

async fn one_source_reads_as_in_the_list(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    store.store_fetch(&fetched("a", 200, Validators::default()), &[post("x", 10), post("y", 20)]).await.unwrap();
    for id in ["a", "b"] {
        let one = store.source(id).await.unwrap().unwrap();
        let listed = store.sources().await.unwrap().into_iter().find(|s| s.spec.id == id).unwrap();
        assert_eq!(serde_json::to_value(&one).unwrap(), serde_json::to_value(&listed).unwrap(), "{id}");
    }
    assert_eq!(store.source("a").await.unwrap().unwrap().post_count, 2);
    assert!(store.source("nope").await.unwrap().is_none());
}

async fn lists_dropped_midway_leave_the_store_readable(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 0).await.unwrap();
    let posts: Vec<_> = (0..30).map(|i| post(&format!("e{i}"), 100 + i)).collect();
    store.store_fetch(&fetched("a", 10, Validators::default()), &posts).await.unwrap();
    let query = PostQuery { limit: 25, ..Default::default() };
    let whole = store.list_page(&query).await.unwrap();
    assert_eq!(whole.posts.len(), 25);
    // Readers hanging up mid-page, more of them than connections lent for lists: each read is dropped after
    // its first poll (PostgreSQL's has sent its statement and waits for the answer).
    for _ in 0..20 {
        let _ = tokio::time::timeout(std::time::Duration::ZERO, store.list_page(&query)).await;
        let _ = tokio::time::timeout(std::time::Duration::ZERO, store.posts(&query)).await;
    }
    // Neither a lost connection nor one left mid-answer: the next reads get the whole lists.
    for _ in 0..10 {
        let again = tokio::time::timeout(std::time::Duration::from_secs(10), store.list_page(&query))
            .await
            .expect("a connection for the list")
            .unwrap();
        assert_eq!(
            again.posts.iter().map(|p| p.id).collect::<Vec<_>>(),
            whole.posts.iter().map(|p| p.id).collect::<Vec<_>>()
        );
        assert_eq!(*again.companies, *whole.companies);
    }
}

async fn scraps_keep_their_order_through_adds_moves_edits_and_deletes(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 0).await.unwrap();
    store.store_fetch(&fetched("a", 10, Validators::default()), &[post("e1", 100)]).await.unwrap();
    let post_id = store.posts(&PostQuery { limit: 1, ..Default::default() }).await.unwrap()[0].id;
    // A scrap of a URL finds the post moa has for it: the exact URL, not a look-alike.
    assert_eq!(store.post_by_url("https://a.example.com/e1").await.unwrap().map(|p| p.id), Some(post_id));
    assert_eq!(store.post_by_url("https://www.a.example.com/e1").await.unwrap().map(|p| p.id), None);
    assert_eq!(store.post_by_url("not a url").await.unwrap().map(|p| p.id), None);
    let fields = |month: &str, section: &str, n: u32| moa_store::ScrapFields {
        month: month.into(),
        section: section.into(),
        title: format!("제목 {n}"),
        url: format!("https://x.example/{n}"),
        commentary: format!("메모 {n}\n\n둘째 문단"),
        post_id: None,
    };
    let mut ids = Vec::new();
    for (n, section) in [(1, "news"), (2, "article"), (3, "article"), (4, "article")] {
        ids.push(store.add_scrap(&fields("2026-12", section, n), 1).await.unwrap().id);
    }
    store
        .add_scrap(&moa_store::ScrapFields { post_id: Some(post_id), ..fields("2026-11", "media", 5) }, 1)
        .await
        .unwrap();
    let order = |scraps: Vec<moa_store::Scrap>| -> Vec<(String, i64, String)> {
        scraps.into_iter().map(|s| (s.section, s.position, s.title)).collect()
    };
    let december = order(store.scraps(Some("2026-12")).await.unwrap());
    let expected = |rows: &[(&str, i64, &str)]| -> Vec<(String, i64, String)> {
        rows.iter().map(|(s, p, t)| (s.to_string(), *p, t.to_string())).collect()
    };
    assert_eq!(
        december,
        expected(&[
            ("article", 1, "제목 2"),
            ("article", 2, "제목 3"),
            ("article", 3, "제목 4"),
            ("news", 1, "제목 1")
        ])
    );
    assert_eq!(store.scraps(None).await.unwrap().len(), 5, "every month");
    assert_eq!(store.scraps(None).await.unwrap()[0].month, "2026-11", "months in order");

    // Moves, down and up, clamped to the section.
    assert!(store.move_scrap(ids[1], 3).await.unwrap());
    assert_eq!(
        order(store.scraps(Some("2026-12")).await.unwrap())[..3],
        expected(&[("article", 1, "제목 3"), ("article", 2, "제목 4"), ("article", 3, "제목 2")])
    );
    assert!(store.move_scrap(ids[1], -5).await.unwrap());
    assert_eq!(
        order(store.scraps(Some("2026-12")).await.unwrap())[..3],
        expected(&[("article", 1, "제목 2"), ("article", 2, "제목 3"), ("article", 3, "제목 4")])
    );
    assert!(!store.move_scrap(9999, 1).await.unwrap());

    // An edit into another section goes to its end and closes the gap it leaves.
    let mut edit = fields("2026-12", "news", 3);
    edit.commentary = "고친 메모".into();
    assert!(store.update_scrap(ids[2], &edit, 2).await.unwrap());
    assert_eq!(
        order(store.scraps(Some("2026-12")).await.unwrap()),
        expected(&[("article", 1, "제목 2"), ("article", 2, "제목 4"), ("news", 1, "제목 1"), ("news", 2, "제목 3")])
    );
    let edited = store.scrap(ids[2]).await.unwrap().unwrap();
    assert_eq!((edited.commentary.as_str(), edited.updated_at, edited.created_at), ("고친 메모", 2, 1));

    // Deleting closes the gap too.
    assert!(store.delete_scrap(ids[1]).await.unwrap());
    assert!(!store.delete_scrap(ids[1]).await.unwrap());
    assert_eq!(order(store.scraps(Some("2026-12")).await.unwrap())[..1], expected(&[("article", 1, "제목 4")]));

    // A link once a month; by URL it is found.
    assert!(store.add_scrap(&fields("2026-12", "bookmark", 4), 3).await.is_err(), "the same URL twice in a month");
    assert_eq!(store.scrap_by_url("2026-12", "https://x.example/4").await.unwrap().map(|s| s.id), Some(ids[3]));
    assert!(store.add_scrap(&fields("2027-01", "bookmark", 4), 3).await.is_ok(), "again next month");
    // A NUL pasted into a scrap is dropped, not refused (PostgreSQL takes none in text).
    let pasted = moa_store::ScrapFields { commentary: "메모\0끝".into(), ..fields("2027-01", "bookmark", 9) };
    let kept = store.add_scrap(&pasted, 3).await.unwrap();
    assert_eq!(kept.commentary, "메모끝");

    // A scrap outlives the post it came from.
    assert!(store.delete_post(post_id).await.unwrap());
    let from_post = store.scraps(Some("2026-11")).await.unwrap();
    assert_eq!((from_post.len(), from_post[0].post_id), (1, None));

    // The month's settings.
    assert_eq!(store.newsletter_settings("2026-12").await.unwrap(), None);
    let settings = moa_store::NewsletterSettings {
        month: "2026-12".into(),
        date: Some("2027-01-03T09:00:00".into()),
        draft: false,
        hidden_from_homepage: Some(true),
    };
    store.save_newsletter_settings(&settings).await.unwrap();
    store.save_newsletter_settings(&settings).await.unwrap();
    assert_eq!(store.newsletter_settings("2026-12").await.unwrap(), Some(settings));
}

fn measured(mut c: SourceCheck, ms: i64, bytes: i64) -> SourceCheck {
    c.elapsed_ms = ms;
    c.bytes = bytes;
    c
}

async fn health_figures_follow_a_scripted_sequence_of_fetch_outcomes(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let now = moa_store_now();
    // fetched 2 posts (400 ms, 10 kB), 304 (100 ms), 304 (100 ms), failure (1000 ms), failure (600 ms).
    store
        .store_fetch(
            &measured(fetched("a", 1000, Validators::default()), 400, 10_000),
            &[post("p1", now - 86400), post("p2", now - 400 * 86400)],
        )
        .await
        .unwrap();
    store
        .record_checks(&[measured(not_modified("a", 2000), 100, 0), measured(not_modified("a", 3000), 100, 0)])
        .await
        .unwrap();
    let s = store.source("a").await.unwrap().unwrap();
    assert_eq!(s.health.failing_since, None);
    store.record_checks(&[measured(failed("a", 4000, "HTTP 503"), 1000, 0)]).await.unwrap();
    store.record_checks(&[measured(failed("a", 5000, "HTTP 503"), 600, 0)]).await.unwrap();
    let s = store.source("a").await.unwrap().unwrap();
    let h = &s.health;
    assert_eq!((h.attempt_count, h.fetch_count, h.not_modified_count), (5, 3, 2));
    assert_eq!(h.failing_since, Some(4000), "the first failure of the run, not the last");
    assert_eq!(h.mean_fetch_ms(), Some(440), "(400 + 100 + 100 + 1000 + 600) / 5");
    assert_eq!(h.mean_fetch_bytes(), Some(3333), "10,000 bytes over 3 answered fetches");
    assert!((h.not_modified_ratio().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(h.posts_last_year, 1, "the post 400 days old is not counted");
    assert_eq!(s.consecutive_failures, 2);
    // Success ends the run.
    store.record_checks(&[measured(not_modified("a", 6000), 50, 0)]).await.unwrap();
    let s = store.source("a").await.unwrap().unwrap();
    assert_eq!((s.health.failing_since, s.consecutive_failures), (None, 0));
    assert_eq!(store.sources().await.unwrap()[0].health, s.health, "the list counts as the single source does");
}

fn moa_store_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn operator_sources_survive_the_registry_and_delete_with_or_without_posts(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    let mine = moa_store::NewSource { spec: spec("mine"), selectors: Some(r#"{"item":"li","title":"h2"}"#.into()) };
    store.add_source(&mine, 200).await.unwrap();
    assert!(matches!(store.add_source(&mine, 201).await, Err(moa_store::StoreError::Conflict(_))));
    // An operator's edit of a registry source and an operator's source are theirs: a sync leaves them.
    let mut edited = spec("a");
    edited.name_ko = "운영자가 고친 이름".into();
    assert!(store.update_source("a", &moa_store::NewSource { spec: edited, selectors: None }).await.unwrap());
    let stats = store.sync_registry(&[spec("a"), spec("b")], 300).await.unwrap();
    assert_eq!((stats.added, stats.updated, stats.disabled), (0, 0, 0));
    let sources = store.sources().await.unwrap();
    let by_id = |id: &str| sources.iter().find(|s| s.spec.id == id).unwrap().clone();
    assert_eq!(by_id("a").spec.name_ko, "운영자가 고친 이름");
    assert_eq!((by_id("a").origin.as_str(), by_id("mine").origin.as_str()), ("operator", "operator"));
    assert!(by_id("mine").enabled, "the registry does not list it, yet it stays enabled");
    let claimed = store.claim(&Selection::Ids(vec!["mine".into()]), 400, 500).await.unwrap();
    assert_eq!(claimed[0].selectors.as_deref(), Some(r#"{"item":"li","title":"h2"}"#));

    store.store_fetch(&fetched("a", 1000, Validators::default()), &[post("p1", 900)]).await.unwrap();
    store.store_fetch(&fetched("b", 1000, Validators::default()), &[post("q1", 900), post("q2", 901)]).await.unwrap();
    // Retired: not listed, not crawled, posts kept.
    assert_eq!(store.delete_source("a", false).await.unwrap(), Some(0));
    assert!(store.sources().await.unwrap().iter().all(|s| s.spec.id != "a"));
    assert!(store.claim(&Selection::Ids(vec!["a".into()]), 2000, 2100).await.unwrap().is_empty());
    assert_eq!(store.count_posts(Some("a")).await.unwrap(), 1);
    assert_eq!(store.delete_source("a", false).await.unwrap(), None, "gone already");
    // With posts: all of it.
    assert_eq!(store.delete_source("b", true).await.unwrap(), Some(2));
    assert_eq!(store.count_posts(Some("b")).await.unwrap(), 0);
    assert!(store.source("b").await.unwrap().is_none());
    let changes = store.post_changes(ChangeCursor::default(), 100).await.unwrap();
    assert_eq!(changes.iter().filter(|c| c.text.is_none()).count(), 2, "the index hears of both deletions");
}

async fn enabling_disabling_roles_and_the_audit_log(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    assert!(store.set_source_enabled("a", false, Some("too noisy")).await.unwrap());
    let s = store.source("a").await.unwrap().unwrap();
    assert_eq!((s.enabled, s.disabled_reason.as_deref()), (false, Some("too noisy")));
    store.sync_registry(&[spec("a")], 200).await.unwrap();
    assert!(!store.source("a").await.unwrap().unwrap().enabled, "the registry does not undo an operator");
    assert!(store.set_source_enabled("a", true, None).await.unwrap());
    let s = store.source("a").await.unwrap().unwrap();
    assert_eq!((s.enabled, s.disabled_reason, s.next_check_at), (true, None, 0));
    assert!(!store.set_source_enabled("nope", true, None).await.unwrap());

    store.set_user_password("kim", "hash", 10).await.unwrap();
    assert_eq!(store.users().await.unwrap()[0].role, "curator", "a new user curates");
    assert!(store.set_user_role("kim", "operator").await.unwrap());
    let session = moa_store::Session {
        token_hash: "t".into(),
        user_name: "kim".into(),
        csrf: "c".into(),
        created_at: 10,
        expires_at: 10_000,
        role: String::new(),
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(store.session("t", 20).await.unwrap().unwrap().role, "operator");
    assert!(store.delete_user("kim").await.unwrap());
    assert!(store.session("t", 20).await.unwrap().is_none(), "its sessions end with it");

    store.audit(1, "kim", "source.add", "a", "https://a.example.com/feed").await.unwrap();
    store.audit(2, "lee", "source.delete", "a", "posts kept").await.unwrap();
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["source.delete", "source.add"]);
}

async fn retention_drops_old_bodies_and_keeps_them_dropped(db: &TestDb) {
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let posts = [post("old", 1_000), post("new", 100_000)];
    store.store_fetch(&fetched("a", 200_000, Validators::default()), &posts).await.unwrap();
    assert_eq!(store.drop_bodies_before(50_000).await.unwrap(), 1);
    assert_eq!(store.drop_bodies_before(50_000).await.unwrap(), 0);
    let texts = store.post_texts(0, 10).await.unwrap();
    let body = |t: &str| texts.iter().find(|p| p.title.ends_with(t)).unwrap().content_html.clone();
    assert_eq!((body("old"), body("new").as_deref()), (None, Some("<p>본문</p>")));
    assert_eq!(texts.iter().find(|p| p.title.ends_with("old")).unwrap().summary.as_deref(), Some("요약"));
    // The feed still carries the old body: the post is unchanged, the body stays dropped.
    let again = store.store_fetch(&fetched("a", 300_000, Validators::default()), &posts).await.unwrap();
    assert_eq!(again.unchanged, 2);
    assert_eq!(store.post_texts(0, 10).await.unwrap().iter().filter(|p| p.content_html.is_none()).count(), 1);
    // Marked as dropped, so a retag keeps its topics; the post that kept its body is not.
    let dropped =
        |texts: &[moa_store::PostText], t: &str| texts.iter().find(|p| p.title.ends_with(t)).unwrap().body_dropped;
    let texts = store.post_texts(0, 10).await.unwrap();
    assert!(dropped(&texts, "old") && !dropped(&texts, "new"));
    // The feed edits the old post: its new body is kept, and the mark goes with the drop it recorded.
    let edited = moa_store::NewPost { content_html: Some("<p>고친 본문</p>".into()), ..post("old", 1_000) };
    let changed = store.store_fetch(&fetched("a", 400_000, Validators::default()), &[edited]).await.unwrap();
    assert_eq!(changed.updated, 1);
    let texts = store.post_texts(0, 10).await.unwrap();
    assert!(!dropped(&texts, "old"), "a body that came back is no dropped body");
    assert_eq!(
        texts.iter().find(|p| p.title.ends_with("old")).unwrap().content_html.as_deref(),
        Some("<p>고친 본문</p>")
    );
}

/// SQLite only: PostgreSQL is backed up with its own tools.
#[tokio::test]
async fn a_backup_taken_while_a_crawl_writes_is_consistent_and_checks_out() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let ids: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
    store.sync_registry(&ids.iter().map(|id| spec(id)).collect::<Vec<_>>(), 100).await.unwrap();
    let writer = {
        let store = store.clone();
        let ids = ids.clone();
        tokio::spawn(async move {
            for round in 0..30 {
                for id in &ids {
                    let posts: Vec<NewPost> =
                        (0..10).map(|i| post(&format!("{round}-{i}"), 1000 + round * 10 + i)).collect();
                    store.store_fetch(&fetched(id, 2000 + round, Validators::default()), &posts).await.unwrap();
                }
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let file = db.dir.join("backup.db");
    store.backup(&file).await.unwrap();
    assert!(!writer.is_finished(), "the backup was taken while posts were being written");
    writer.await.unwrap();
    let info = moa_store::SqliteStore::check_backup(&file).await.unwrap();
    assert_eq!(info.sources, 20);
    assert!(info.posts > 0 && info.posts < 20 * 30 * 10, "a snapshot in the middle: {}", info.posts);
    assert_eq!(info.posts % 10, 0, "whole fetches only: each fetch's 10 posts commit together");
    let copy = open(&format!("sqlite://{}", file.display())).await.unwrap();
    let copied = copy.post_texts(0, 100_000).await.unwrap();
    let live = store.post_texts(0, 100_000).await.unwrap();
    assert_eq!(live.len(), 20 * 30 * 10);
    for p in &copied {
        let l = live.iter().find(|l| l.id == p.id).expect("every backed-up post is in the live store");
        assert_eq!((&l.title, &l.source_id, &l.content_html), (&p.title, &p.source_id, &p.content_html));
    }
    assert!(store.backup(&file).await.is_err(), "an existing file is not overwritten");
}

async fn sign_in_failures_are_counted_per_key_within_the_window(db: &TestDb) {
    let store = db.open().await;
    let keys = ["ip:1".to_string(), "user:kim".to_string()];
    let (max, window) = (5, 900);
    for n in 0..4 {
        store.sign_in_failed(&keys, 1000 + n, window).await.unwrap();
    }
    assert_eq!(store.sign_in_blocked(&keys, 1004, max, window).await.unwrap(), None, "four failures pass");
    store.sign_in_failed(&keys, 1004, window).await.unwrap();
    assert_eq!(store.sign_in_blocked(&keys, 1010, max, window).await.unwrap(), Some(890), "until the window ends");
    assert!(store.sign_in_blocked(&["user:kim".into()], 1010, max, window).await.unwrap().is_some(), "the name alone");
    assert_eq!(store.sign_in_blocked(&["ip:2".into()], 1010, max, window).await.unwrap(), None);
    assert_eq!(store.sign_in_blocked(&keys, 1900, max, window).await.unwrap(), None, "the window is over");
    // A failure after the window starts a new count.
    store.sign_in_failed(&keys, 1950, window).await.unwrap();
    assert_eq!(store.sign_in_blocked(&keys, 1951, max, window).await.unwrap(), None);
    store.sign_in_failed(&["ip:3".into(), "ip:3".into()], 1960, window).await.unwrap();
    store.sign_in_succeeded(&keys, 1000).await.unwrap();
    for _ in 0..4 {
        store.sign_in_failed(&keys, 1970, window).await.unwrap();
    }
    assert_eq!(
        store.sign_in_blocked(&keys, 1971, max, window).await.unwrap(),
        None,
        "a success forgot the earlier ones"
    );
}

/// Crawlers claiming at the same moment never get the same source, and together get every due one.
async fn concurrent_claims_split_the_due_sources(db: &TestDb) {
    let store = db.open().await;
    let ids: Vec<String> = (0..300).map(|i| format!("s{i:03}")).collect();
    store.sync_registry(&ids.iter().map(|id| spec(id)).collect::<Vec<_>>(), 100).await.unwrap();
    let claimers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store.claim(&Selection::Due { limit: 16 }, 1000, 5000).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|c| c.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for c in claimers {
        all.extend(c.await.unwrap());
    }
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a source was claimed twice");
    assert_eq!(all, ids, "every due source was claimed");
    assert!(store.claim(&Selection::Due { limit: 16 }, 4999, 9000).await.unwrap().is_empty(), "all leased");
    assert_eq!(store.claim(&Selection::Due { limit: 500 }, 5000, 9000).await.unwrap().len(), 300, "leases expire");
}

/// PostgreSQL commits concurrently: a change logged inside a transaction that commits late must still
/// reach a follower that already read a later-numbered change. Transactions that cannot log one (another
/// database's, a read-only one such as a `pg_dump`) hold no follower back.
#[tokio::test]
async fn a_late_commit_is_not_skipped_by_the_change_log() {
    let Some(db) = TestDb::postgres().await else { return };
    let store = db.open().await;
    store.sync_registry(&[spec("a")], 100).await.unwrap();
    let stats =
        store.store_fetch(&fetched("a", 200, Validators::default()), &[post("x", 10), post("y", 20)]).await.unwrap();
    let (x, y) = (stats.created[0].id, stats.created[1].id);
    let mut cursor = store.last_change().await.unwrap();
    let mut seen = Vec::new();
    let follow = async |cursor: &mut ChangeCursor, seen: &mut Vec<(i64, String)>| {
        for c in store.post_changes(*cursor, 100).await.unwrap() {
            *cursor = c.cursor;
            seen.push((c.post_id, c.text.map(|t| t.title).unwrap_or_default()));
        }
    };

    // Left open: a transaction with an id in the server's own database, and here a read-only one holding
    // its snapshot, as `pg_dump` does. Either would hold back a reader bounded by the server-wide xmin.
    use sqlx::{Connection, Executor};
    let server = std::env::var("MOA_TEST_POSTGRES").unwrap();
    let mut elsewhere = sqlx::PgConnection::connect(&server).await.unwrap();
    elsewhere.execute("BEGIN").await.unwrap();
    elsewhere.execute("SELECT pg_current_xact_id()").await.unwrap();
    let mut dump = sqlx::PgConnection::connect(&db.url).await.unwrap();
    dump.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.unwrap();
    dump.execute("SELECT COUNT(*) FROM posts").await.unwrap();
    let edited = NewPost { title: "first".into(), ..post("y", 20) };
    store.store_fetch(&fetched("a", 250, Validators::default()), &[post("x", 10), edited]).await.unwrap();
    follow(&mut cursor, &mut seen).await;
    assert_eq!(seen, [(y, "first".to_string())], "neither open transaction holds the log back");

    // A transaction logs a change of x (the smaller id) and stays open.
    let mut slow = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let mut tx = slow.begin().await.unwrap();
    sqlx::query("UPDATE posts SET title = 'late' WHERE id = $1").bind(x).execute(&mut *tx).await.unwrap();
    // Meanwhile y is edited and committed (a larger id).
    let edited = NewPost { title: "early".into(), ..post("y", 20) };
    store.store_fetch(&fetched("a", 300, Validators::default()), &[post("x", 10), edited]).await.unwrap();
    seen.clear();
    follow(&mut cursor, &mut seen).await;
    assert!(seen.is_empty(), "y's change waits while an older transaction may still log one: {seen:?}");
    tx.commit().await.unwrap();
    follow(&mut cursor, &mut seen).await;
    assert_eq!(seen, [(x, "late".to_string()), (y, "early".to_string())]);
    assert_eq!(store.last_change().await.unwrap(), cursor);
    elsewhere.execute("ROLLBACK").await.unwrap();
    dump.execute("ROLLBACK").await.unwrap();
}

/// Writers committing side by side while a follower reads: when they are done, the follower has read
/// every post they wrote, so nothing committed behind its cursor was skipped. (Each post is new, so each
/// change is the last of its post: the log keeps one per post, and a superseded one may rightly be missed.)
async fn a_follower_of_concurrent_writers_misses_no_change(db: &TestDb) {
    let store = std::sync::Arc::new(db.open().await);
    let writers: Vec<String> = (0..6).map(|w| format!("w{w}")).collect();
    let specs: Vec<SourceSpec> = writers.iter().map(|w| spec(w)).collect();
    store.sync_registry(&specs, 100).await.unwrap();
    // Titles and links of their own, so no post is taken for another's copy.
    let batch = |w: &str, n: usize| -> Vec<NewPost> {
        (0..4).map(|p| NewPost { title: format!("{w}-{n}-{p}"), ..post(&format!("{w}-{n}-{p}"), 10) }).collect()
    };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut cursor, mut titles) = (ChangeCursor::default(), std::collections::HashMap::new());
            loop {
                // Read the flag first: a read after the writers finished sees all they wrote.
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let changes = store.post_changes(cursor, 50).await.unwrap();
                let drained = changes.len() < 50;
                for c in changes {
                    assert!(c.cursor > cursor, "the log goes forward");
                    cursor = c.cursor;
                    titles.insert(c.post_id, c.text.map(|t| t.title));
                }
                if finished && drained {
                    return titles;
                }
            }
        })
    };
    let tasks: Vec<_> = writers
        .iter()
        .map(|w| {
            let (store, w) = (store.clone(), w.clone());
            tokio::spawn(async move {
                for n in 0..25 {
                    store
                        .store_fetch(&fetched(&w, 200 + n as i64, Validators::default()), &batch(&w, n))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let titles = follower.await.unwrap();
    let posts = store.post_texts(0, 1000).await.unwrap();
    assert_eq!(posts.len(), 6 * 25 * 4);
    let missed: Vec<&str> =
        posts.iter().filter(|p| titles.get(&p.id) != Some(&Some(p.title.clone()))).map(|p| p.title.as_str()).collect();
    assert!(missed.is_empty(), "the follower missed {} of {} posts: {missed:?}", missed.len(), posts.len());
}

/// The home page's company list is kept by each process between reads and read again as soon as any
/// process changes what it shows (a crawl's new posts, a name, a source disabled, retired, added or
/// deleted), and only then: a fetch that changes nothing of it keeps the list this process holds.
async fn each_process_keeps_the_company_list_until_any_process_changes_it(db: &TestDb) {
    let (writer, reader) = (db.open().await, db.open().await);
    writer.sync_registry(&[spec("a"), spec("b")], 100).await.unwrap();
    // Lists without posts still bring what the page shows beside them: the picker, or the company.
    let mut held = reader.list_page(&PostQuery { limit: 5, ..Default::default() }).await.unwrap().companies;
    assert_eq!(held.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let company = |id: &str| PostQuery { source_id: Some(id.into()), limit: 5, ..Default::default() };
    let empty = reader.list_page(&company("a")).await.unwrap();
    assert_eq!((empty.posts.len(), empty.companies.len(), empty.companies[0].id.as_str()), (0, 1, "a"));
    let unknown = reader.list_page(&company("nobody")).await.unwrap();
    assert!(unknown.posts.is_empty() && unknown.companies.is_empty());
    // Reads the reader's list, checks it against the companies read afresh, and says whether it is the
    // very list the reader held before.
    async fn read_again(reader: &dyn moa_store::Store, held: &mut std::sync::Arc<[moa_store::Company]>) -> bool {
        let list = reader.list_page(&PostQuery { limit: 5, ..Default::default() }).await.unwrap().companies;
        assert_eq!(*list, reader.companies().await.unwrap()[..]);
        std::sync::Arc::ptr_eq(&std::mem::replace(held, list), held)
    }
    assert!(read_again(reader.as_ref(), &mut held).await, "nothing changed: the list held is handed out again");

    writer.store_fetch(&fetched("a", 200, Validators::default()), &[post("p1", 1000)]).await.unwrap();
    assert!(!read_again(reader.as_ref(), &mut held).await, "a crawl's new post");
    assert_eq!(held.iter().find(|c| c.id == "a").map(|c| c.post_count), Some(1));
    writer.store_fetch(&fetched("a", 300, Validators::default()), &[post("p1", 1000)]).await.unwrap();
    writer.record_checks(&[not_modified("b", 300)]).await.unwrap();
    assert!(read_again(reader.as_ref(), &mut held).await, "fetches that change nothing the list shows");
    // A list of several posts brings the changed companies too (PostgreSQL sends them with its first row).
    let more = [post("p1", 1000), post("p2", 900), post("p3", 1100)];
    writer.store_fetch(&fetched("a", 350, Validators::default()), &more).await.unwrap();
    assert!(!read_again(reader.as_ref(), &mut held).await, "a crawl's posts, newer and older");
    assert_eq!(held.iter().find(|c| c.id == "a").map(|c| c.post_count), Some(3));

    let renamed = SourceSpec { name_ko: "새 이름".into(), ..spec("b") };
    writer.sync_registry(&[spec("a"), renamed], 400).await.unwrap();
    assert!(!read_again(reader.as_ref(), &mut held).await, "a new name");
    assert!(writer.set_source_enabled("b", false, Some("paused")).await.unwrap());
    assert!(!read_again(reader.as_ref(), &mut held).await, "a source disabled");
    writer.sync_registry(&[spec("a"), spec("b"), spec("c")], 500).await.unwrap();
    assert!(!read_again(reader.as_ref(), &mut held).await, "a source added");
    assert_eq!(writer.delete_source("c", true).await.unwrap(), Some(0));
    assert!(!read_again(reader.as_ref(), &mut held).await, "a source deleted");
    assert_eq!(writer.delete_source("a", false).await.unwrap(), Some(0));
    assert!(!read_again(reader.as_ref(), &mut held).await, "a source retired");
    assert_eq!(held.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["b"]);
}

/// The counts and lists the store keeps for readers (migration 13's triggers) against the posts counted
/// afresh, after every kind of write: a crawl, edits of dates, tags and topics, a retagging, a click, a
/// deletion, a tombstone, a site page removed, retention, a duplicate's original deleted, and a source
/// deleted with its posts.
async fn kept_counts_and_tag_lists_follow_every_write(db: &TestDb) {
    use moa_store::testing::assert_read_paths_agree as agree;
    let store = db.open().await;
    store.sync_registry(&[spec("a"), spec("b"), spec("c")], 100).await.unwrap();
    agree(store.as_ref(), &[]).await;
    let a = store.companies().await.unwrap().into_iter().find(|c| c.id == "a").unwrap();
    assert_eq!((a.post_count, a.last_post_at), (0, None));

    let mut posts: Vec<NewPost> = (0..6).map(|i| post(&format!("p{i}"), 1000 + i)).collect();
    posts[1].categories = vec!["Kafka".into(), "kafka".into(), "데이터".into()];
    posts[2].categories = vec!["rare".into()];
    posts[3].topics = vec!["data".into(), "infra".into()];
    // Two tags longer than a label's key (200 characters) that share its first 200: each lists its own post.
    posts[4].categories = vec![format!("{}a", "긴태그".repeat(100))];
    posts[5].categories = vec![format!("{}b", "긴태그".repeat(100))];
    let first = store.store_fetch(&fetched("a", 2000, Validators::default()), &posts).await.unwrap();
    let ids: std::collections::HashMap<String, i64> =
        first.created.iter().map(|c| (posts[c.index].entry_id.clone(), c.id)).collect();
    let id = |entry: &str| ids[entry];
    let mut copy = post("copy-of-p4", 1004);
    copy.url = posts[4].url.clone();
    store.store_fetch(&fetched("b", 2000, Validators::default()), &[post("q0", 5000), copy]).await.unwrap();
    agree(store.as_ref(), &[]).await;
    let kafka = PostQuery { tag: Some("KAFKA".into()), limit: 10, ..Default::default() };
    assert_eq!(store.posts(&kafka).await.unwrap().len(), 1, "a tag in two cases lists its post once");

    // Edits: a post dated anew (now a's newest), another's tags replaced.
    posts[0].published_at = Some(9000);
    posts[2].categories = vec!["other".into()];
    store.store_fetch(&fetched("a", 2100, Validators::default()), &posts).await.unwrap();
    agree(store.as_ref(), &["rare"]).await;
    assert_eq!(store.company("a").await.unwrap().unwrap().last_post_at, Some(9000));
    store.set_topics(&[(id("p3"), vec!["security".into()])]).await.unwrap();
    assert!(store.record_click(id("p3"), "client", 3000, 60).await.unwrap());
    agree(store.as_ref(), &["data", "infra"]).await;

    // The newest post deleted (a tombstone): the newest date goes back to the one before.
    assert!(store.delete_post(id("p0")).await.unwrap());
    agree(store.as_ref(), &[]).await;
    assert_eq!(store.company("a").await.unwrap().unwrap().last_post_at, Some(1005));
    // A site page removed by a fetch, and the original of b's copy.
    store.store_fetch(&with_site_pages("a", 2200, &["p5"]), &posts[1..5]).await.unwrap();
    assert!(store.delete_post(id("p4")).await.unwrap());
    agree(store.as_ref(), &[]).await;
    // Retention drops bodies, not posts.
    store.drop_bodies_before(i64::MAX).await.unwrap();
    agree(store.as_ref(), &[]).await;
    // A source deleted with its posts, another retired with them kept.
    assert_eq!(store.delete_source("b", true).await.unwrap(), Some(2));
    assert_eq!(store.delete_source("a", false).await.unwrap(), Some(0));
    agree(store.as_ref(), &[]).await;
    assert_eq!(store.count_posts(None).await.unwrap(), 3);
    // The retired company leaves the picker; its own page still shows it with its posts.
    let home = store.list_page(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(home.companies.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c"]);
    let retired = PostQuery { source_id: Some("a".into()), limit: 10, ..Default::default() };
    let page = store.list_page(&retired).await.unwrap();
    assert_eq!((page.companies.len(), page.companies[0].post_count, page.posts.len()), (1, 3, 3));
}

/// Fetches stored at once are each answered with their own figures, and one that cannot be stored (its
/// source is unknown) spoils none of the others: on SQLite they share the writer's group commit.
async fn concurrent_fetches_are_answered_each_and_one_failure_spoils_no_other(db: &TestDb) {
    let store = db.open().await;
    let ids: Vec<String> = (0..40).map(|i| format!("s{i:02}")).collect();
    store.sync_registry(&ids.iter().map(|id| spec(id)).collect::<Vec<_>>(), 100).await.unwrap();
    let mut fetches = tokio::task::JoinSet::new();
    for id in ids.iter().cloned().chain(["ghost".to_string()]) {
        let store = store.clone();
        fetches.spawn(async move {
            let posts: Vec<_> = (0..3).map(|i| post(&format!("{id}-p{i}"), 1000 + i)).collect();
            let stored = store.store_fetch(&fetched(&id, 2000, Validators::default()), &posts).await;
            (id, stored)
        });
    }
    while let Some(joined) = fetches.join_next().await {
        let (id, stored) = joined.unwrap();
        match stored {
            Ok(stats) => {
                assert_ne!(id, "ghost", "a post of an unknown source was stored");
                assert_eq!((stats.new, stats.created.len()), (3, 3), "{id}");
            }
            Err(e) => assert_eq!(id, "ghost", "{id}: {e}"),
        }
    }
    assert_eq!(store.count_posts(None).await.unwrap(), 120);
    for id in &ids {
        let source = store.source(id).await.unwrap().unwrap();
        assert_eq!((source.last_success_at, source.post_count), (Some(2000), 3), "{id}");
    }
    moa_store::testing::assert_read_paths_agree(&*store, &[]).await;
}

/// Each test above, once per backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(&super::TestDb::sqlite()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some(db) = super::TestDb::postgres().await else { return };
                super::$name(&db).await;
            })*
        }
    };
}

on_both_backends!(
    upserts_are_idempotent_and_edits_update,
    lists_dropped_midway_leave_the_store_readable,
    newest_first_with_cursor_and_source_filter,
    source_state_and_registry_sync,
    reopening_keeps_everything,
    validators_are_kept_per_url_and_survive_a_reopen,
    claims_take_due_sources_and_move_their_next_check_first,
    a_permanent_redirect_seen_twice_moves_the_feed,
    a_gone_source_stays_disabled_until_the_registry_changes_it,
    a_deleted_post_stays_deleted,
    one_article_in_two_feeds_is_listed_once,
    a_page_image_fills_a_missing_thumbnail_once,
    site_pages_stored_as_posts_go_for_good_and_are_counted,
    undated_posts_of_a_first_fetch_follow_the_dated_ones,
    an_article_page_dates_an_undated_post_and_pages_are_visited_newest_first,
    clicks_are_counted_once_per_client_and_window,
    every_write_edit_and_delete_is_logged_for_the_search_index,
    renaming_a_company_logs_its_posts_again,
    one_source_reads_as_in_the_list,
    scraps_keep_their_order_through_adds_moves_edits_and_deletes,
    health_figures_follow_a_scripted_sequence_of_fetch_outcomes,
    operator_sources_survive_the_registry_and_delete_with_or_without_posts,
    enabling_disabling_roles_and_the_audit_log,
    retention_drops_old_bodies_and_keeps_them_dropped,
    sign_in_failures_are_counted_per_key_within_the_window,
    concurrent_claims_split_the_due_sources,
    a_follower_of_concurrent_writers_misses_no_change,
    kept_counts_and_tag_lists_follow_every_write,
    each_process_keeps_the_company_list_until_any_process_changes_it,
    concurrent_fetches_are_answered_each_and_one_failure_spoils_no_other,
);
