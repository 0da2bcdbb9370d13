//! Killing `moa crawl` midway (SIGKILL) and running it again leaves no duplicate and no half-written post.

mod common;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{KOREAN_FEEDS, expected_posts, fixture, registry_csv, start_feed_server};
use moa_store::PostQuery;

const COPIES: usize = 12;

fn spawn_crawl(db: &str, sources: &std::path::Path, config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_moa"))
        .args(["crawl", "--once", "--all"])
        .env("MOA_CONFIG", config)
        .env("MOA_DATABASE_URL", db)
        .env("MOA_SOURCES", sources)
        .env("MOA_SEARCH_INDEX", config.with_file_name("search"))
        .env("MOA_ALLOW_PRIVATE_NETWORKS", "1")
        .env("MOA_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn moa")
}

/// A few milliseconds of jitter that differ from run to run, so kills land at varied moments.
fn jitter_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| u64::from(d.subsec_nanos() % 60))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_crawls_lose_nothing_and_duplicate_nothing() {
    // Slow responses (150 ms each, four at a time over 96 feeds) leave room to kill mid-crawl many times.
    let addr = start_feed_server(KOREAN_FEEDS, Duration::from_millis(150)).await;
    let names: Vec<&str> = (0..COPIES).flat_map(|_| KOREAN_FEEDS.iter().copied()).collect();
    let dir = moa_store::testing::TestDb::from_env().await;
    let sources_path = dir.path().join("sources.csv");
    std::fs::write(&sources_path, registry_csv(addr, &names, false)).unwrap();
    let config = dir.path().join("moa.toml");
    std::fs::write(
        &config,
        "concurrency = 4\nper_host_concurrency = 4\nper_host_spacing_ms = 0\npage_images = false\n",
    )
    .unwrap();
    let db = dir.url.clone();
    let store = moa_store::open(&db).await.unwrap();

    let per_source: Vec<usize> = names.iter().map(|n| expected_posts(n, &format!("http://{addr}/feeds/{n}"))).collect();
    let expected: usize = per_source.iter().sum();

    let mut kills = 0;
    let mut killed_midway = 0;
    let mut last_count = 0;
    for round in 0..80 {
        let mut child = spawn_crawl(&db, &sources_path, &config);
        let started = Instant::now();
        // Kill once this run has committed something new (or at once in the first round), never after it ends.
        loop {
            if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(20) {
                break;
            }
            let count = store.count_posts(None).await.unwrap() as usize;
            if round == 0 || count > last_count {
                tokio::time::sleep(Duration::from_millis(jitter_ms())).await;
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap(); // SIGKILL
                    kills += 1;
                }
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        child.wait().unwrap();
        let count = store.count_posts(None).await.unwrap() as usize;
        assert!(count <= expected, "round {round}: {count} posts, more than the {expected} that exist");
        // What the killed crawl committed, it committed with the counts and tag lists kept for readers.
        moa_store::testing::assert_read_paths_agree(store.as_ref(), &[]).await;
        if count > 0 && count < expected {
            killed_midway += 1;
        }
        last_count = count;
        if count == expected {
            break;
        }
    }
    eprintln!("{kills} kills, {killed_midway} mid-crawl, {expected} posts");
    assert!(kills >= 20, "only {kills} kills happened");
    assert!(killed_midway >= 20, "only {killed_midway} kills landed mid-crawl");

    // A last run to completion.
    let status = spawn_crawl(&db, &sources_path, &config).wait().unwrap();
    assert!(status.success());

    let posts =
        store.posts(&PostQuery { limit: 100_000, include_duplicates: true, ..Default::default() }).await.unwrap();
    assert_eq!(posts.len(), expected);
    let unique: HashSet<_> = posts.iter().map(|p| (&p.source_id, &p.entry_id)).collect();
    assert_eq!(unique.len(), posts.len(), "duplicate posts");
    for (i, n) in per_source.iter().enumerate() {
        assert_eq!(store.count_posts(Some(&format!("src{i}"))).await.unwrap() as usize, *n, "src{i}");
    }
    // Every stored post is whole: it matches what the parser reads from the feed.
    for (i, name) in names.iter().enumerate() {
        let options = moa_feed::ParseOptions {
            url: moa_feed::Url::parse(&format!("http://{addr}/feeds/{name}")).ok(),
            ..Default::default()
        };
        let feed = moa_feed::parse(&fixture(name), &options).unwrap();
        let source = format!("src{i}");
        for entry in feed.entries.iter().filter(|e| !e.title.is_empty() || e.link.is_some()) {
            let stored = posts
                .iter()
                .find(|p| p.source_id == source && p.entry_id == entry.id)
                .unwrap_or_else(|| panic!("{source}: missing {}", entry.id));
            assert_eq!(stored.summary, entry.summary);
            assert_eq!(stored.url, entry.link);
            assert!(stored.title == entry.title || entry.title.is_empty());
        }
    }
}
