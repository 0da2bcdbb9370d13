//! Hostile feeds and hostile clients, over loopback: no single feed or client can take moa down, reach
//! inside it, or skew what it shows.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::server::{Reply, TestServer};
use common::start_web;
use moa_store::{NewPost, Store};

/// Every page, feed and API answer that lists posts.
const LISTING_PAGES: &[&str] = &[
    "/",
    "/?lang=en",
    "/company/evil",
    "/company/evil/feed.xml",
    "/feed.xml",
    "/atom.xml",
    "/feed.json",
    "/api/v1/posts",
    "/api/v1/sources",
    "/popular",
    "/companies",
    "/search?q=%EC%A0%9C%EB%AA%A9",
    "/tag/%ED%83%9C%EA%B7%B8",
    "/sitemap.xml",
];

async fn store_with_source(feed_url: &str) -> (moa_store::testing::TestDb, Arc<dyn Store>) {
    let dir = moa_store::testing::TestDb::from_env().await;
    let csv = dir.path().join("sources.csv");
    std::fs::write(
        &csv,
        format!("id,name_ko,name_en,homepage,feed_url\nevil,악성,Evil,https://evil.example.com/,{feed_url}\n"),
    )
    .unwrap();
    let store = dir.open().await;
    store.sync_registry(&moa::registry::load(&csv).unwrap(), moa::now_unix()).await.unwrap();
    (dir, store)
}

async fn status_of(client: &reqwest::Client, addr: SocketAddr, path: &str) -> (u16, usize) {
    let r = client.get(format!("http://{addr}{path}")).send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = r.status().as_u16();
    (status, r.bytes().await.map_or(0, |b| b.len()))
}

/// Twenty items with 700,000-character titles (14 MB, under the body cap) once made every listing answer
/// 500: the titles were stored whole and the pages outgrew the ETag buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_of_huge_titles_leaves_every_page_at_200() {
    let now = moa::now_unix();
    let items: String = (0..20)
        .map(|i| {
            let date = moa_feed::format_rfc3339(now - i * 3600);
            format!(
                "<entry><id>urn:evil:{i}</id><title>제목 {}</title><link href=\"https://evil.example.com/{i}\"/><updated>{date}</updated><category term=\"태그\"/></entry>",
                "a".repeat(700_000)
            )
        })
        .collect();
    let feed = format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>악성</title>{items}</feed>");
    assert!(feed.len() > 14_000_000);
    let server = Arc::new(TestServer::default());
    let feeds = server.start("127.0.0.1").await;
    server.route("/feed.xml", Reply::feed(feed));
    let (_dir, store) = store_with_source(&format!("http://{feeds}/feed.xml")).await;
    let config = moa::fetch::FetchConfig { max_body_bytes: 16 << 20, ..common::fetch_config() };
    let report = common::crawler(store.clone(), config).run(moa_store::Selection::All).await.unwrap();
    assert_eq!(report.sources_ok, 1, "{:?}", report.failures);

    let posts = store.posts(&moa_store::PostQuery { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(posts.len(), 20);
    assert!(posts.iter().all(|p| p.title.chars().count() <= moa_feed::TITLE_MAX_CHARS), "titles are bounded");

    for cache in [Duration::ZERO, Duration::from_secs(5)] {
        let addr = start_web(moa::web::AppState::new(store.clone()).with_cache_ttl(cache)).await;
        let client = reqwest::Client::new();
        for path in LISTING_PAGES {
            let (status, len) = status_of(&client, addr, path).await;
            assert_eq!(status, 200, "{path}");
            assert!(len < 1_000_000, "{path} is {len} bytes");
        }
    }
}

/// Any stored posts, however written (before today's bounds, or by hand), leave every listing at 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_stored_posts_leave_every_page_at_200() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let text = || {
        prop_oneof![
            "\\PC{0,40}",
            "[<>&\"'\u{202e}\u{0}가-힣a-z ]{0,200}",
            (1usize..400_000).prop_map(|n| "가<b>&".repeat(n / 5 + 1)),
        ]
    };
    let post =
        (text(), proptest::option::of(text()), proptest::option::of(text()), proptest::collection::vec(text(), 0..60))
            .prop_map(|(title, summary, author, categories)| (title, summary, author, categories));
    let mut runner = TestRunner::deterministic();
    let (_dir, store) = store_with_source("http://127.0.0.1:9/feed.xml").await;
    let now = moa::now_unix();
    let mut posts = Vec::new();
    for i in 0..40 {
        let (title, summary, author, categories) = post.new_tree(&mut runner).unwrap().current();
        posts.push(NewPost {
            entry_id: format!("urn:{i}"),
            url: Some(format!("https://evil.example.com/{i}?{}", "q".repeat(i * 1000))),
            title,
            summary,
            content_html: None,
            author,
            thumbnail: Some(format!("https://evil.example.com/{}.png", "p".repeat(i * 500))),
            categories: categories.into_iter().chain(["태그".to_string()]).collect(),
            category_labels: Default::default(),
            topics: vec!["backend".into()],
            published_at: Some(now - i as i64 * 60),
            updated_at: None,
        });
    }
    store.store_pushed("evil", now, &posts).await.unwrap();
    let addr = start_web(moa::web::AppState::new(store.clone())).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in LISTING_PAGES.iter().chain(&["/topic/backend", "/posts/1", "/api/v1/posts/1"]) {
        let (status, _) = status_of(&client, addr, path).await;
        assert!(status == 200 || (path.starts_with("/posts/") && status == 308), "{path}: {status}");
    }
}
