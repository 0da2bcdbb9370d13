//! `cargo run --release --manifest-path bench/Cargo.toml --bin scale -- [--feeds N] [--latency-ms N]
//!   [--postgres URL] [--moa PATH] [--seconds N] [--connections N]`
//!
//! The same data on SQLite and on PostgreSQL, with one and more processes:
//! - crawl: N feeds (10 Korean items each) served from this process over loopback after a fixed latency,
//!   crawled by 1, 2 and 3 `moa crawl --once` processes at once on a fresh database; the wall time until the
//!   last one exits (each claims due sources until none is left), and the posts stored.
//! - web: on the crawled database, 1 and 2 `moa serve --role web` processes, each loaded by its own `wrk -t1`
//!   with a random cursor per request (older pages: every request reads the database): the home page with
//!   its page cache and without, and the JSON API without.
//!
//! PostgreSQL databases are made and dropped with `psql`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;

struct Args {
    feeds: usize,
    latency: Duration,
    postgres: String,
    moa: PathBuf,
    seconds: u64,
    connections: usize,
    skip_web: bool,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 2000,
        latency: Duration::from_millis(50),
        postgres: "postgres://postgres@127.0.0.1:5432/postgres".into(),
        moa: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/moa")),
        seconds: 10,
        connections: 16,
        skip_web: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--feeds" => a.feeds = value().parse().expect("--feeds N"),
            "--latency-ms" => a.latency = Duration::from_millis(value().parse().expect("--latency-ms N")),
            "--postgres" => a.postgres = value(),
            "--moa" => a.moa = PathBuf::from(value()),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--connections" => a.connections = value().parse().expect("--connections N"),
            "--skip-web" => a.skip_web = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

struct Served {
    latency: Duration,
    requests: AtomicU64,
}

fn feed_xml(n: usize) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>회사 {n} 기술 블로그</title><link>https://blog{n}.example.com/</link>"
    );
    for i in 0..10 {
        let body =
            "대규모 트래픽을 처리하는 백엔드 서버의 설계와 운영 경험을 나눕니다. 캐시와 데이터베이스, 메시지 큐를 "
                .repeat(20);
        xml.push_str(&format!(
            "<item><title>회사 {n}의 글 {i}: 분산 시스템 이야기</title><link>https://blog{n}.example.com/posts/{i}</link><guid>b{n}-{i}</guid><pubDate>Mon, {:02} Nov 2026 10:00:00 +0900</pubDate><description>{body}</description></item>",
            i + 1
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

async fn serve_feed(State(s): State<Arc<Served>>, UrlPath(name): UrlPath<String>) -> impl IntoResponse {
    tokio::time::sleep(s.latency).await;
    s.requests.fetch_add(1, Ordering::Relaxed);
    let n: usize = name.trim_end_matches(".xml").parse().unwrap_or(0);
    ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], feed_xml(n))
}

fn start_feed_server(latency: Duration) -> (SocketAddr, Arc<Served>) {
    let served = Arc::new(Served { latency, requests: AtomicU64::new(0) });
    let state = served.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let app = Router::new().route("/f/{name}", axum::routing::get(serve_feed)).with_state(state);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), served)
}

fn psql(server: &str, sql: &str) {
    let out = Command::new("psql").args([server, "-qtAc", sql]).output().expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

fn with_database(server: &str, name: &str) -> String {
    let (head, _) = server.rsplit_once('/').expect("a URL with a database");
    format!("{head}/{name}")
}

struct Backend {
    name: &'static str,
    url: String,
}

fn moa(a: &Args, dir: &Path, url: &str) -> Command {
    let mut c = Command::new(&a.moa);
    c.env("MOA_CONFIG", dir.join("moa.toml"))
        .env("MOA_SOURCES", dir.join("sources.csv"))
        .env("MOA_DATABASE_URL", url)
        .env("MOA_ALLOW_PRIVATE_NETWORKS", "1")
        .env("MOA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Crawls every feed with `processes` crawlers at once; seconds until the last exits.
fn crawl(a: &Args, dir: &Path, url: &str, processes: usize) -> f64 {
    // The registry is synced (every source due) before the clock starts.
    assert!(moa(a, dir, url).args(["sources", "list"]).status().unwrap().success());
    let started = Instant::now();
    let children: Vec<Child> =
        (0..processes).map(|_| moa(a, dir, url).args(["crawl", "--once"]).spawn().expect("moa crawl")).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a crawler failed");
    }
    started.elapsed().as_secs_f64()
}

fn count_posts(a: &Args, dir: &Path, url: &str) -> usize {
    let out = moa(a, dir, url).args(["sources", "list", "--json"]).stdout(Stdio::piped()).output().unwrap();
    let sources: Vec<serde_like::Source> = serde_like::parse(&String::from_utf8_lossy(&out.stdout));
    sources.iter().map(|s| s.post_count).sum()
}

/// Just the post counts of `moa sources list --json`, without a JSON dependency.
mod serde_like {
    pub struct Source {
        pub post_count: usize,
    }

    pub fn parse(json: &str) -> Vec<Source> {
        json.match_indices("\"post_count\":")
            .map(|(i, key)| {
                let rest = json[i + key.len()..].trim_start();
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                Source { post_count: digits.parse().unwrap_or(0) }
            })
            .collect()
    }
}

struct Wrk {
    requests_per_s: f64,
    p99: String,
}

fn wrk(url: &str, script: &Path, connections: usize, seconds: u64) -> Child {
    Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wrk (Debian package wrk) runs")
}

fn wrk_result(child: Child) -> Wrk {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |prefix: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string())).unwrap_or_default()
    };
    let non_2xx = text.lines().any(|l| l.contains("Non-2xx"));
    assert!(!non_2xx, "wrk saw errors: {text}");
    Wrk { requests_per_s: field("Requests/sec:").parse().unwrap_or(0.0), p99: field("99%") }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until the server answers (after its search index caught up with the store).
fn wait_ready(port: u16) {
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/healthz");
    while !Command::new("curl").args(["-sf", &url]).stdout(Stdio::null()).status().is_ok_and(|s| s.success()) {
        assert!(started.elapsed() < Duration::from_secs(120), "moa serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Requests per second over `processes` web processes, each under its own wrk.
fn web(a: &Args, dir: &Path, url: &str, processes: usize, script: &Path, cache_seconds: u64) -> (f64, Vec<String>) {
    let mut servers = Vec::new();
    let mut ports = Vec::new();
    for k in 0..processes {
        let port = free_port();
        let index = dir.join(format!("search-{}-{k}", url.len()));
        let child = moa(a, dir, url)
            .args(["serve", "--role", "web", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--search-index", index.to_str().unwrap()])
            .env("MOA_PAGE_CACHE_SECONDS", cache_seconds.to_string())
            .spawn()
            .expect("moa serve");
        servers.push(child);
        ports.push(port);
    }
    for p in &ports {
        wait_ready(*p);
    }
    let loads: Vec<Child> =
        ports.iter().map(|p| wrk(&format!("http://127.0.0.1:{p}"), script, a.connections, a.seconds)).collect();
    let results: Vec<Wrk> = loads.into_iter().map(wrk_result).collect();
    for mut s in servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    (results.iter().map(|r| r.requests_per_s).sum(), results.into_iter().map(|r| r.p99).collect())
}

fn main() {
    let a = args();
    assert!(a.moa.exists(), "{} missing: cargo build --release first", a.moa.display());
    let (addr, served) = start_feed_server(a.latency);
    let dir = std::env::temp_dir().join(format!("moa-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("id,name_ko,name_en,homepage,feed_url\n");
    for n in 0..a.feeds {
        csv.push_str(&format!("b{n:05},회사 {n},Company {n},https://blog{n}.example.com/,http://{addr}/f/{n}.xml\n"));
    }
    std::fs::write(dir.join("sources.csv"), csv).unwrap();
    // One host serves everything here: no politeness spacing, room for every fetch at once.
    std::fs::write(
        dir.join("moa.toml"),
        "concurrency = 32\nper_host_concurrency = 1000\nper_host_spacing_ms = 0\npage_images = false\n",
    )
    .unwrap();
    // A random cursor per request: an older page each time, never the same answer twice (a crawler walking
    // the archive), so every request reads the database.
    let cursors = |path: &str| {
        let script = dir.join(format!("{}.lua", path.trim_matches('/').replace('/', "-")));
        std::fs::write(
            &script,
            format!("math.randomseed(7)\nrequest = function()\n  return wrk.format(nil, \"{path}\" .. math.random(1793400000, 1794500000) .. \".999999999\")\nend\n"),
        )
        .unwrap();
        script
    };
    let pages = cursors("/?before=");
    let api = cursors("/api/v1/posts?before=");

    println!(
        "{} feeds × 10 posts, {} ms latency; crawl = `moa crawl --once` ×P on a fresh database; web = `moa serve --role web` ×P, wrk -t1 -c{} -d{}s each",
        a.feeds,
        a.latency.as_millis(),
        a.connections,
        a.seconds
    );
    println!("| backend | crawler processes | crawl wall (s) | feeds/s | posts stored |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut last = Vec::new();
    let mut sqlite = Backend { name: "SQLite", url: String::new() };
    for processes in 1..=3 {
        let mut backends = Vec::new();
        // SQLite has one writing process (the embedded default); crawlers side by side are PostgreSQL's.
        if processes == 1 {
            let sqlite_dir = dir.join("sqlite");
            std::fs::create_dir_all(&sqlite_dir).unwrap();
            backends.push(Backend { name: "SQLite", url: format!("sqlite://{}", sqlite_dir.join("moa.db").display()) });
        }
        let name = format!("moa_scale_{}_{processes}", std::process::id());
        psql(&a.postgres, &format!("CREATE DATABASE {name}"));
        backends.push(Backend { name: "PostgreSQL", url: with_database(&a.postgres, &name) });
        for b in &backends {
            let before = served.requests.load(Ordering::Relaxed);
            let seconds = crawl(&a, &dir, &b.url, processes);
            let fetched = served.requests.load(Ordering::Relaxed) - before;
            let posts = count_posts(&a, &dir, &b.url);
            assert_eq!(fetched as usize, a.feeds, "{}: every feed fetched once", b.name);
            println!("| {} | {processes} | {seconds:.2} | {:.0} | {posts} |", b.name, a.feeds as f64 / seconds);
        }
        if processes == 1 {
            sqlite = backends.remove(0);
        }
        last = backends;
    }
    last.insert(0, sqlite);
    // This machine's PostgreSQL runs with autovacuum off (`SHOW autovacuum`), so the tables a crawl filled have
    // no statistics until something analyzes them, and every plan guesses: a random-cursor page planned a hash
    // join over every older post (124 ms against 0.2). A server with autovacuum analyzes them within its
    // naptime (a minute); the web rows measure that state.
    for b in last.iter().filter(|b| b.name == "PostgreSQL") {
        psql(&b.url, "ANALYZE");
    }
    println!();
    println!("| backend | web processes | path (random cursor) | page cache | requests/s (sum) | p99 per process |");
    println!("| --- | ---: | --- | --- | ---: | --- |");
    for b in last.iter().filter(|_| !a.skip_web) {
        for (path, script, cache) in
            [("/?before=", &pages, 5), ("/?before=", &pages, 0), ("/api/v1/posts?before=", &api, 0)]
        {
            for processes in 1..=2 {
                let (rps, p99) = web(&a, &dir, &b.url, processes, script, cache);
                let cache = if cache == 0 { "off".to_string() } else { format!("{cache} s") };
                println!("| {} | {processes} | `{path}` | {cache} | {rps:.0} | {} |", b.name, p99.join(", "));
            }
        }
    }
    for processes in 1..=3 {
        psql(
            &a.postgres,
            &format!("DROP DATABASE IF EXISTS moa_scale_{}_{processes} WITH (FORCE)", std::process::id()),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
