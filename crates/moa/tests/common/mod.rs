//! A local feed server over real HTTP on loopback, serving real feed documents from the repo's test data.

#![allow(dead_code)]

pub mod client;
pub mod server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Korean feeds of several shapes: WordPress, Tistory, Naver, Hugo, Jekyll, Atom.
pub const KOREAN_FEEDS: &[&str] = &[
    "kr-wordpress-mike7dk.xml",
    "kr-tistory-mike3dk.xml",
    "kr-naverblog-mike3dk.xml",
    "kr-cheese10yun-atom.xml",
    "kr-zum-techblog.xml",
    "kr-kakaostyle-devblog.xml",
    "kr-shin0102.xml",
    "kr-s0okju.xml",
];

/// A feed of `testdata/feeds/real/`, or of another folder of `testdata/feeds/` when the name has one
/// (`web/xss.xml`).
pub fn fixture(name: &str) -> Vec<u8> {
    let folder = if name.contains('/') { "" } else { "real" };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds").join(folder).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Served {
    files: HashMap<String, Vec<u8>>,
    delay: Duration,
}

/// Serves `/feeds/NAME` for each fixture, `/broken` (HTTP 500) and `/page` (an HTML page, not a feed),
/// each response after `delay`.
pub async fn start_feed_server(names: &[&str], delay: Duration) -> SocketAddr {
    let files = names.iter().map(|n| (format!("/feeds/{n}"), fixture(n))).collect();
    let state = Arc::new(Served { files, delay });
    let app = Router::new().fallback(serve).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

async fn serve(State(state): State<Arc<Served>>, uri: Uri) -> Response {
    tokio::time::sleep(state.delay).await;
    match uri.path() {
        "/broken" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "/page" => ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><html><body>no feed here</body></html>")
            .into_response(),
        path => match state.files.get(path) {
            Some(body) => ([(header::CONTENT_TYPE, "application/rss+xml")], body.clone()).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A registry CSV naming one source per fixture (`src0`, `src1`, …) plus, with `with_broken`, a source
/// answering 500 (`broken`), one serving an HTML page (`notfeed`) and one whose server is down (`dead`).
pub fn registry_csv(addr: SocketAddr, names: &[&str], with_broken: bool) -> String {
    let mut csv = String::from("id,name_ko,name_en,homepage,feed_url,platform,note\n");
    for (i, n) in names.iter().enumerate() {
        let (ko, en) = company_names(i);
        csv.push_str(&format!("src{i},{ko},{en},http://{addr}/,http://{addr}/feeds/{n},custom,\n"));
    }
    if with_broken {
        csv.push_str(&format!("broken,고장난 블로그,Broken,http://{addr}/,http://{addr}/broken,custom,\n"));
        csv.push_str(&format!("notfeed,피드 아님,Not a feed,http://{addr}/,http://{addr}/page,custom,\n"));
        let port = closed_port();
        csv.push_str(&format!("dead,닫힌 서버,Dead,http://127.0.0.1:{port}/,http://127.0.0.1:{port}/feed,custom,\n"));
    }
    csv
}

/// The names of the `i`th test company: generic ones (`회사0 기술블로그`) unless `MOA_TEST_NAMES` is set,
/// as for the README's screenshots, which read better with company-like names.
pub fn company_names(i: usize) -> (String, String) {
    const NAMES: &[(&str, &str)] = &[
        ("줌인터넷", "ZUM Internet"),
        ("Yun 블로그", "Yun Blog"),
        ("카카오스타일", "Kakao Style"),
        ("공격 블로그", "Attacker"),
    ];
    match NAMES.get(i).filter(|_| std::env::var_os("MOA_TEST_NAMES").is_some()) {
        Some((ko, en)) => (ko.to_string(), en.to_string()),
        None => (format!("회사{i} 기술블로그"), format!("Company {i}")),
    }
}

/// How many posts the crawler should keep from a fixture when fetched from `url`.
pub fn expected_posts(name: &str, url: &str) -> usize {
    let options = moa_feed::ParseOptions { url: moa_feed::Url::parse(url).ok(), ..Default::default() };
    let feed = moa_feed::parse(&fixture(name), &options).expect("fixture parses");
    feed.entries.iter().filter(|e| !e.title.is_empty() || e.link.is_some()).count()
}

/// Fetch limits for tests: loopback allowed, no spacing between requests to one host.
pub fn fetch_config() -> moa::ingest::fetch::FetchConfig {
    moa::ingest::fetch::FetchConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        max_body_bytes: 8 << 20,
        max_redirects: 5,
        user_agent: "moa-test".into(),
        allow_private_networks: true,
        allowed_private_addresses: Vec::new(),
        concurrency: 16,
        per_host_concurrency: 4,
        per_host_spacing: Duration::ZERO,
        hosts: Vec::new(),
        proxy: None,
    }
}

pub fn crawl_options() -> moa::ingest::crawl::CrawlOptions {
    moa::ingest::crawl::CrawlOptions {
        timezone_offset: 9 * 3600,
        progress: false,
        schedule: moa::ingest::schedule::Schedule {
            min: Duration::from_secs(15 * 60),
            max: Duration::from_secs(24 * 3600),
        },
        // Fixture posts link to the real internet, which tests never reach.
        page_images: false,
        pages_per_source: moa::config::DEFAULT_PAGES_PER_SOURCE,
        concurrency: 8,
        lease: Duration::from_secs(15 * 60),
    }
}

pub fn crawler(
    store: Arc<dyn moa_store::Store>,
    config: moa::ingest::fetch::FetchConfig,
) -> moa::ingest::crawl::Crawler {
    moa::ingest::crawl::Crawler {
        store,
        fetcher: moa::ingest::fetch::Fetcher::new(config).expect("fetcher"),
        options: crawl_options(),
        notifier: None,
        websub: None,
        unreachable_hosts: Default::default(),
    }
}

/// Crawls every enabled source once, due or not, with the test fetch limits.
pub async fn crawl_all(store: Arc<dyn moa_store::Store>) -> moa::ingest::crawl::CrawlReport {
    crawler(store, fetch_config()).run(moa_store::Selection::All).await.expect("crawl")
}

/// Whether a tool a test needs is installed. In CI (`CI` set) a missing tool fails the test, since
/// `.ci/run` installs it; elsewhere the test is skipped with the reason printed.
pub fn tool_available(installed: bool, what: &str) -> bool {
    if installed {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{what} is missing, though .ci/run installs it");
    eprintln!("skipped: {what} is not installed (.ci/run installs it)");
    false
}

/// Web state that reads pages with `config` and crawls in this process (the console's "refresh now").
pub fn state_with_crawler(
    store: Arc<dyn moa_store::Store>,
    config: moa::ingest::fetch::FetchConfig,
) -> moa::web::AppState {
    let crawler = crawler(store.clone(), config);
    let mut state = moa::web::AppState::new(store);
    state.fetcher = Some(crawler.fetcher.clone());
    state.crawler = Some(Arc::new(crawler));
    state
}

/// Serves moa's web router over loopback.
pub async fn start_web(state: moa::web::AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = moa::web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A fresh store (on the backend `MOA_TEST_BACKEND` names) holding the posts of `names`, crawled from a
/// local feed server.
pub async fn crawled_store(names: &[&str]) -> (moa_store::testing::TestDb, Arc<dyn moa_store::Store>, SocketAddr) {
    let addr = start_feed_server(names, Duration::ZERO).await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let registry_path = dir.path().join("sources.csv");
    std::fs::write(&registry_path, registry_csv(addr, names, false)).expect("write registry");
    let sources = moa::ingest::registry::load(&registry_path).expect("registry");
    let store = dir.open().await;
    store.sync_registry(&sources, moa::now_unix()).await.expect("sync");
    let report = crawl_all(store.clone()).await;
    assert_eq!(report.sources_ok, names.len(), "{:?}", report.failures);
    (dir, store, addr)
}

/// Starts `moa serve` (the command as built, with `--listen 127.0.0.1:0` among its arguments) and waits for
/// the address it prints. Its log goes on being read (so a chatty process never blocks on a full pipe),
/// and is echoed with `echo_as` as prefix when one is given.
pub fn spawn_serving(command: &mut std::process::Command, echo_as: Option<&str>) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = lines
        .find_map(|l| l.ok()?.split("serving http://").nth(1).map(String::from))
        .expect("moa serve prints its address");
    let echo = echo_as.map(String::from);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some(who) = &echo {
                eprintln!("[{who}] {line}");
            }
        }
    });
    (child, addr)
}
