//! The Korean fixture feeds (44 real blogs' feeds, `testdata/feeds/real/kr-*`) crawled over loopback, then
//! read as a reader reads them: no stored post is a page of its site (`SITE_PAGES.tsv`, labelled by hand),
//! none of a feed's posts is lost, the newest posts on `/` are dated posts, and `/companies` gives each
//! company the date of its newest real post.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use moa_store::PostQuery;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/real")
}

fn korean_feeds() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .expect("the corpus is in the repo")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("kr-") && n.ends_with(".xml"))
        .collect();
    names.sort();
    names
}

/// The path of a link: labels were taken with another base URL, so links compare by host and path.
fn host_path(link: &str) -> String {
    let u = moa_feed::Url::parse(link).expect("an absolute link");
    format!("{}{}", u.host_str().unwrap_or(""), u.path())
}

/// Per feed: the labelled site pages' links, and the item count SOURCES.tsv records.
fn labels() -> (HashMap<String, HashSet<String>>, HashMap<String, usize>) {
    let mut pages: HashMap<String, HashSet<String>> = HashMap::new();
    for line in std::fs::read_to_string(corpus().join("SITE_PAGES.tsv")).expect("labels").lines().skip(1) {
        let mut cols = line.split('\t');
        let (file, link) = (cols.next().expect("file"), cols.next().expect("link"));
        pages.entry(file.to_string()).or_default().insert(host_path(link));
    }
    let items = std::fs::read_to_string(corpus().join("SOURCES.tsv"))
        .expect("sources")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((cols.first()?.to_string(), cols.get(5)?.parse().ok()?))
        })
        .collect();
    (pages, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_korean_feeds_read_as_posts_with_true_dates() {
    let names = korean_feeds();
    assert!(names.len() >= 44, "{} Korean feeds", names.len());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_db, store, _feeds) = common::crawled_store(&refs).await;
    let (pages, items) = labels();

    // No stored post is a site page, and every post of every feed is stored.
    let mut newest_by_source: BTreeMap<String, i64> = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let source = format!("src{i}");
        let query =
            PostQuery { source_id: Some(source.clone()), include_duplicates: true, limit: 1000, ..Default::default() };
        let posts = store.posts(&query).await.expect("posts");
        let labelled = pages.get(name).cloned().unwrap_or_default();
        for p in &posts {
            let link = p.url.as_deref().map(host_path).unwrap_or_default();
            assert!(!labelled.contains(&link), "{name}: site page stored as a post: {} {link}", p.title);
        }
        assert_eq!(posts.len(), items[name] - labelled.len(), "{name}: every entry is a post or a labelled page");
        // The feed's own newest date among its posts (the site pages' dates do not count).
        let options = moa_feed::ParseOptions { now: Some(moa::now_unix()), ..Default::default() };
        let feed = moa_feed::parse(&common::fixture(name), &options).expect("parses");
        let newest = feed
            .entries
            .iter()
            .filter(|e| e.link.as_deref().is_none_or(|l| !labelled.contains(&host_path(l))))
            .filter_map(|e| e.published.or(e.updated).map(|t| t.0))
            .max();
        if let Some(newest) = newest {
            newest_by_source.insert(source, newest);
        }
    }

    // The 20 newest posts on the front page are dated posts.
    let web = common::start_web(moa::web::AppState::new(store.clone())).await;
    let mut client = common::client::Client::new(web);
    let home = client.get("/").await;
    assert_eq!(home.status, 200);
    let ids: Vec<i64> =
        home.body.split("href=\"/go/").skip(1).filter_map(|rest| rest.split('"').next()?.parse().ok()).collect();
    assert_eq!(ids.len(), 20, "a full first page");
    for id in ids {
        let post = store.post(id).await.expect("store").expect("the post on the page");
        assert!(post.published_at.is_some(), "undated post on the front page: {} ({})", post.title, post.source_id);
    }

    // Each company's last-post date is its newest real post's, in KST.
    let companies = client.get("/companies").await;
    assert_eq!(companies.status, 200);
    let mut shown = 0;
    for row in companies.body.split("<tr><td><a href=\"/company/").skip(1) {
        let id = row.split('"').next().expect("company id");
        let datetime = row.split("<time datetime=\"").nth(1).and_then(|r| r.split('"').next()).expect("a date");
        let expected = newest_by_source.get(id).unwrap_or_else(|| panic!("{id} has a dated post"));
        let shown_at = moa_feed::parse_date(datetime, 0).expect("an RFC 3339 date");
        assert_eq!(
            shown_at,
            *expected,
            "{id}: last post {datetime}, the feed's newest post is {}",
            moa_feed::format_rfc3339(*expected)
        );
        shown += 1;
    }
    assert_eq!(shown, newest_by_source.len(), "every company with posts is listed");
}
