//! Several processes on one PostgreSQL database: three crawlers and two web processes (the `moa` binary)
//! against a local server of 2,000 feeds. One crawler is killed with SIGKILL midway. At the end every
//! feed was fetched, no feed was fetched by two processes within one lease, every post exists once, and
//! both web processes serve the same posts and find the same ones.
//!
//! Skipped, with the reason printed, when `MOA_TEST_POSTGRES` is unset.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use moa_store::testing::TestDb;

const FEEDS: usize = 2000;
const POSTS_PER_FEED: usize = 2;
const LEASE_SECONDS: u64 = 10;
const CRAWLERS: usize = 3;
/// Crawler 0 is killed once it has fetched this many feeds.
const KILL_AFTER: usize = 100;

/// Every request answered: the feed's number, the crawler's User-Agent, when.
type Log = Arc<Mutex<Vec<(usize, String, Instant)>>>;
/// How many of crawler 0's fetches past its share hang until it is killed.
type Held = Arc<AtomicUsize>;

fn feed(i: usize) -> String {
    let items: String = (0..POSTS_PER_FEED)
        .map(|k| {
            format!(
                "<item><title>회사{i} 글 {k} 분산크롤링{i}x{k}</title><link>https://blog{i}.example.com/p/{k}</link>\
                 <guid>feed{i}-{k}</guid><pubDate>Mon, 0{} Mar 2026 10:00:00 +0900</pubDate>\
                 <description>본문 {i} {k}</description></item>",
                k + 1
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>블로그 {i}</title>\
         <link>https://blog{i}.example.com/</link>{items}</channel></rss>"
    )
}

async fn serve_feed(State((log, held)): State<(Log, Held)>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(i) = uri.path().strip_prefix("/f/").and_then(|n| n.parse::<usize>().ok()).filter(|i| *i < FEEDS) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if agent == "crawler-0" {
        // Crawler 0 is killed once it has fetched its share: its fetches past that hang until it is, so it
        // dies holding leases of sources it never fetched, however slowly CI starts the other processes.
        // (Once it alone fetched all 2,000 feeds while the others were still starting.)
        let past_share = {
            let mut log = log.lock().unwrap();
            let past = log.iter().filter(|(_, a, _)| a == "crawler-0").count() >= KILL_AFTER;
            if !past {
                log.push((i, agent, Instant::now()));
            }
            past
        };
        if past_share {
            held.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(60)).await;
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    } else {
        // The others wait until crawler 0 has fetched its share, so most of the work is left to them and
        // their claims overlap its leases.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if log.lock().unwrap().iter().filter(|(_, a, _)| a == "crawler-0").count() >= KILL_AFTER {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        log.lock().unwrap().push((i, agent, Instant::now()));
    }
    // A little latency, as a real host has: the crawl lasts long enough to kill a crawler in the middle.
    tokio::time::sleep(Duration::from_millis(15)).await;
    ([(header::CONTENT_TYPE, "application/rss+xml")], feed(i)).into_response()
}

async fn start_feeds() -> (SocketAddr, Log, Held) {
    let (log, held): (Log, Held) = Default::default();
    let app = Router::new().fallback(serve_feed).with_state((log.clone(), held.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, log, held)
}

/// Starts `moa serve` with these arguments; its address, once it printed it.
fn spawn_moa(db: &TestDb, args: &[&str], agent: &str) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_moa"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("MOA_CONFIG", db.path().join("moa.toml"))
        .env("MOA_DATABASE_URL", &db.url)
        .env("MOA_SOURCES", db.path().join("sources.csv"))
        .env("MOA_SEARCH_INDEX", db.path().join("search"))
        .env("MOA_ALLOW_PRIVATE_NETWORKS", "1")
        .env("MOA_USER_AGENT", agent)
        .env("MOA_LOG", "warn");
    common::spawn_serving(&mut command, Some(agent))
}

struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn get_json(url: &str) -> serde_json::Value {
    let body = reqwest::get(url).await.unwrap().text().await.unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}

/// Every post id a web process lists, through its API's pages.
async fn served_ids(addr: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut next = format!("http://{addr}/api/v1/posts?limit=100");
    loop {
        let page = get_json(&next).await;
        ids.extend(page["posts"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("http://{addr}/api/v1/posts?limit=100&before={cursor}"),
            None => break,
        }
    }
    ids.sort_unstable();
    ids
}

/// Kills crawler 0 once it has fetched its share and hangs on a fetch past it; how many feeds were fetched then.
async fn kill_when_midway(mut crawler0: Killed, log: Log, held: Held) -> usize {
    let started = Instant::now();
    let fetched = || log.lock().unwrap().iter().filter(|(_, a, _)| a == "crawler-0").count();
    while fetched() < KILL_AFTER || held.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "crawler 0 fetched {} in 60 s", fetched());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let total = log.lock().unwrap().len();
    crawler0.0[0].kill().unwrap();
    crawler0.0[0].wait().unwrap();
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_crawlers_and_two_web_processes_share_one_postgresql() {
    let Some(db) = TestDb::postgres().await else { return };
    moa::ingest::fetch::install_tls_provider();
    let (feeds, log, held) = start_feeds().await;
    let mut csv = String::from("id,name_ko,name_en,homepage,feed_url\n");
    for i in 0..FEEDS {
        csv.push_str(&format!("s{i:04},회사{i},Company {i},https://blog{i}.example.com/,http://{feeds}/f/{i}\n"));
    }
    std::fs::write(db.path().join("sources.csv"), csv).unwrap();
    std::fs::write(
        db.path().join("moa.toml"),
        format!(
            "concurrency = 8\nper_host_concurrency = 64\nper_host_spacing_ms = 0\npage_images = false\n\
             fetch_timeout_seconds = 4\ncrawl_lease_seconds = {LEASE_SECONDS}\npage_cache_seconds = 1\n\
             database_max_connections = 8\n"
        ),
    )
    .unwrap();

    // Crawler 0 is killed the moment it holds unfetched leases, while the other processes still start.
    let (crawler0, _) = spawn_moa(&db, &["--role", "crawler"], "crawler-0");
    let kill = tokio::spawn(kill_when_midway(Killed(vec![crawler0]), log.clone(), held));
    let mut processes = Killed(Vec::new());
    for k in 1..CRAWLERS {
        let (child, _) = spawn_moa(&db, &["--role", "crawler"], &format!("crawler-{k}"));
        processes.0.push(child);
    }
    let mut web = Vec::new();
    for k in 0..2 {
        let index = db.path().join(format!("search-{k}"));
        let (child, addr) =
            spawn_moa(&db, &["--role", "web", "--search-index", index.to_str().unwrap()], &format!("web-{k}"));
        processes.0.push(child);
        web.push(addr);
    }
    let total_at_kill = kill.await.unwrap();
    assert!(total_at_kill < FEEDS, "the kill came midway ({total_at_kill} of {FEEDS} fetched)");

    // Every post stored: the dead crawler's unfinished sources went to the others once their lease ended.
    let store = db.open().await;
    let expected = (FEEDS * POSTS_PER_FEED) as i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = store.count_posts(None).await.unwrap();
        let checked = store.sources().await.unwrap().iter().filter(|s| s.last_success_at.is_some()).count();
        if stored == expected && checked == FEEDS {
            break;
        }
        assert!(Instant::now() < deadline, "after 120 s: {stored} of {expected} posts, {checked} of {FEEDS} sources");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let log = log.lock().unwrap().clone();
    let mut by_feed: HashMap<usize, Vec<(String, Instant)>> = HashMap::new();
    for (i, agent, at) in log {
        by_feed.entry(i).or_default().push((agent, at));
    }
    assert_eq!(by_feed.len(), FEEDS, "every feed was fetched");
    let mut refetched = 0;
    for (i, fetches) in &by_feed {
        for pair in fetches.windows(2) {
            let ((a, at_a), (b, at_b)) = (&pair[0], &pair[1]);
            // Leases are written in whole seconds: a claim may start up to a second before its lease's end.
            let gap = at_b.duration_since(*at_a);
            assert!(
                gap >= Duration::from_secs(LEASE_SECONDS - 1),
                "feed {i} fetched by {a} then {b} {gap:?} apart, within one lease"
            );
            refetched += 1;
        }
    }
    let from_survivors = by_feed.values().flatten().filter(|(a, _)| a != "crawler-0").count();
    assert!(from_survivors > FEEDS / 2, "the surviving crawlers did most of the work");
    eprintln!("{refetched} feeds fetched again after the killed crawler's lease ended");

    // Every post exactly once, each feed's two.
    let posts = store.post_texts(0, 100_000).await.unwrap();
    assert_eq!(posts.len(), FEEDS * POSTS_PER_FEED);
    let mut per_source: HashMap<&str, usize> = HashMap::new();
    for p in &posts {
        *per_source.entry(p.source_id.as_str()).or_default() += 1;
    }
    assert!(per_source.values().all(|n| *n == POSTS_PER_FEED) && per_source.len() == FEEDS);

    // Both web processes list the same posts (the database's), and their indexes find the same ones.
    let mut want: Vec<i64> = posts.iter().map(|p| p.id).collect();
    want.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(30);
    let probe = "분산크롤링1234x1";
    let probe_url = |addr: &str| format!("http://{addr}/api/v1/search?q={probe}&limit=10");
    loop {
        let lists = [served_ids(&web[0]).await, served_ids(&web[1]).await];
        let hits = [get_json(&probe_url(&web[0])).await, get_json(&probe_url(&web[1])).await];
        let found = |h: &serde_json::Value| -> Vec<i64> {
            h["results"].as_array().map(|r| r.iter().filter_map(|x| x["id"].as_i64()).collect()).unwrap_or_default()
        };
        if lists[0] == want && lists[1] == want && !found(&hits[0]).is_empty() && found(&hits[0]) == found(&hits[1]) {
            let hit = store.post(found(&hits[0])[0]).await.unwrap().unwrap();
            assert_eq!(hit.source_id, "s1234");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 30 s the web processes still differ: {} and {} posts of {}, hits {} / {}",
            lists[0].len(),
            lists[1].len(),
            want.len(),
            hits[0],
            hits[1]
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
