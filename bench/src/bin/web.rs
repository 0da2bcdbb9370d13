//! `cargo run --release --manifest-path bench/Cargo.toml --bin web -- [--companies N] [--posts N]
//!   [--duration-s N] [--connections N] [--moa PATH] [--postgres URL | --no-postgres] [--keep]`
//!
//! The readers' web under load. A local feed server gives N companies' feeds that hold the posts between
//! them (Korean titles, summaries, tags and thumbnails, dated over three years; one post in 997 has a rare
//! tag); `moa crawl --once --all` stores them in a fresh SQLite file, the real way, and
//! `moa migrate sqlite-to-postgres` copies that into a fresh PostgreSQL database.
//!
//! Then, on each backend, `moa serve --no-crawl` serves the store with its page cache (the default) and
//! without (`page_cache_seconds = 0`), and `wrk` (one thread, on the machine's other core) loads each
//! reader's list in turn: `/`, a company's, a common and a rare tag's, a topic's, `/feed.xml`,
//! `/api/v1/posts` and the home page at a random cursor (every request a different older page). On
//! PostgreSQL, two web processes without the cache are loaded at once as well (each by its own wrk with
//! half the connections; the row sums their requests and takes the worse p99).
//!
//! Beside each row, nginx serving the same bytes as a static file in the same run: the physical limit of a
//! page on this machine, and the row's share of it.
//! Each row: requests/s, p50/p99 latency, the body size, the CPU time moa (and PostgreSQL's processes)
//! spent per request, and the share of the machine's time the hypervisor stole meanwhile (on a shared
//! host the same build serves at different speeds from one run to the next); each server: its resident
//! memory after its rows (VmRSS) and at its peak (VmHWM).

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;

struct Args {
    companies: usize,
    posts: usize,
    duration: Duration,
    connections: usize,
    moa: PathBuf,
    /// The PostgreSQL server to make the database on (`None`: SQLite only).
    postgres: Option<String>,
    /// Leave the database and configs in place (the folder is printed) to look at afterwards.
    keep: bool,
}

fn args() -> Args {
    let mut a = Args {
        companies: 150,
        posts: 100_000,
        duration: Duration::from_secs(5),
        connections: 64,
        moa: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/moa")),
        // On the same machine, without TLS, as the README advises: encrypting loopback cost moa a tenth of
        // its CPU per page.
        postgres: Some("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into()),
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--companies" => a.companies = value().parse().expect("--companies N"),
            "--posts" => a.posts = value().parse().expect("--posts N"),
            "--duration-s" => a.duration = Duration::from_secs(value().parse().expect("--duration-s N")),
            "--connections" => a.connections = value().parse().expect("--connections N"),
            "--moa" => a.moa = PathBuf::from(value()),
            "--postgres" => a.postgres = Some(value()),
            "--no-postgres" => a.postgres = None,
            "--keep" => a.keep = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

struct Feeds {
    companies: usize,
    posts: usize,
}

const TOPICS: &[&str] = &[
    "쿠버네티스",
    "카프카",
    "검색 품질",
    "결제 시스템",
    "모바일 앱",
    "데이터 파이프라인",
    "프론트엔드 성능",
    "머신러닝 추천",
];
const TAGS: &[&str] = &["backend", "frontend", "infra", "data", "ml", "kotlin", "react", "k8s", "kafka", "db"];
/// One post in this many carries the rare tag, spread over the whole span: a list whose 20 newest posts
/// are far apart.
const RARE_EVERY: usize = 997;
const RARE_TAG: &str = "webassembly";
/// The posts' dates span this many days before the crawl.
const SPAN_DAYS: i64 = 3 * 365;

/// Company `c`'s feed: its share of the posts, newest first.
fn feed_xml(c: usize, f: &Feeds, now: i64) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title>회사 {c} 기술 블로그</title><link>https://blog{c}.example.com/</link><description>회사 {c}의 기술 블로그</description>\n"
    );
    let mine: Vec<usize> = (c..f.posts).step_by(f.companies).collect();
    for &n in mine.iter().rev() {
        let at = now - (f.posts - n) as i64 * SPAN_DAYS * 86_400 / f.posts as i64;
        let date = httpdate(at);
        let topic = TOPICS[n % TOPICS.len()];
        x.push_str(&format!(
            "<item><title>{topic} 운영 {n}번째 이야기: 장애를 줄인 방법</title><link>https://blog{c}.example.com/posts/{n}</link><guid>p{n}</guid><pubDate>{date}</pubDate>\
             <description>&lt;p&gt;{topic} 환경에서 트래픽이 몰리는 시간대에 응답 시간이 늘어나는 문제를 겪었습니다. 원인을 찾기 위해 로그와 지표를 함께 살펴보았고, 커넥션 풀과 캐시 계층을 정리해 지연 시간을 크게 줄인 과정을 소개합니다.&lt;/p&gt;</description>\
             <category>{}</category><category>{}</category>{}<media:thumbnail url=\"https://blog{c}.example.com/images/{n}.png\"/></item>\n",
            TAGS[n % TAGS.len()],
            TAGS[(n / 7) % TAGS.len()],
            if n % RARE_EVERY == 0 { format!("<category>{RARE_TAG}</category>") } else { String::new() }
        ));
    }
    x.push_str("</channel></rss>\n");
    x
}

/// RFC 1123 date, UTC.
fn httpdate(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

struct Served {
    feeds: Feeds,
    now: i64,
}

async fn serve_feed(State(s): State<Arc<Served>>, UrlPath(name): UrlPath<String>) -> impl IntoResponse {
    let c: usize = name.trim_end_matches(".xml").parse().unwrap_or(0);
    ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], feed_xml(c, &s.feeds, s.now))
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A process's memory from /proc (kB): `VmRSS:` now, `VmHWM:` at its peak, `RssAnon:` its own memory,
/// `RssFile:` the pages of mapped files it touched (the search index's, and SQLite's file, which each
/// connection reading lists maps: a page two of them touched counts twice).
fn vm_kb(pid: u32, field: &str) -> u64 {
    vm_kb_in(pid, "status", field)
}

/// [`vm_kb`] from another of the process's /proc files: `Pss_File:` of `smaps_rollup` is its share of
/// the mapped files' pages, each counted once however often it is mapped.
fn vm_kb_in(pid: u32, file: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU time a process has used, user and system, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name (which may hold spaces) in parentheses: utime and stime are
    // the 14th and 15th of the line, the 12th and 13th after it.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_name.split_whitespace().skip(11).take(2).filter_map(|t| t.parse::<u64>().ok()).sum()
}

fn servers_cpu(servers: &[Child]) -> u64 {
    servers.iter().map(|s| cpu_ticks(s.id())).sum()
}

/// The CPU time each PostgreSQL process on the machine has used (its backends serve the rows), by pid.
fn postgres_cpu() -> std::collections::HashMap<u32, u64> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Default::default() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .map(|pid| (pid, cpu_ticks(pid)))
        .collect()
}

/// The CPU time PostgreSQL's processes used since `before`, process by process: one that ended meanwhile
/// (an autovacuum worker) took its time with it, and a sum over the processes alive then would subtract
/// all it had used before.
fn postgres_cpu_since(before: &std::collections::HashMap<u32, u64>) -> u64 {
    postgres_cpu().into_iter().map(|(pid, ticks)| ticks.saturating_sub(before.get(&pid).copied().unwrap_or(0))).sum()
}

/// A clock tick of `/proc`'s CPU times in milliseconds (USER_HZ, `getconf CLK_TCK`: 100 on Linux).
const TICK_MS: f64 = 10.0;

/// The machine's CPU time so far, and the part of it the hypervisor gave to other machines (steal):
/// on a shared host the same build serves at different speeds, and the steal says how much of a row's
/// time this machine did not have.
struct Steal {
    total: u64,
    stolen: u64,
}

impl Steal {
    fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let ticks: Vec<u64> =
            stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|t| t.parse().ok()).collect();
        Steal { total: ticks.iter().take(8).sum(), stolen: ticks.get(7).copied().unwrap_or(0) }
    }

    /// The stolen share of the machine's time since `self`, in percent.
    fn share_since(&self) -> f64 {
        let now = Steal::now();
        let total = now.total.saturating_sub(self.total).max(1);
        100.0 * now.stolen.saturating_sub(self.stolen) as f64 / total as f64
    }
}

struct Wrk {
    requests: u64,
    requests_per_s: f64,
    p50: String,
    p99: String,
    errors: String,
}

fn wrk(url: &str, script: Option<&std::path::Path>, connections: usize, duration: Duration) -> Wrk {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", &format!("-c{connections}"), &format!("-d{}s", duration.as_secs()), "--latency"]);
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    let out = cmd.arg(url).output().expect("wrk (Debian package wrk) runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| "?".into())
    };
    let errors = text
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    let requests = text.lines().find_map(|l| l.trim().split_once(" requests in ")?.0.parse().ok()).unwrap_or(0);
    Wrk {
        requests,
        requests_per_s: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
        errors: if errors.is_empty() { "none".into() } else { errors },
    }
}

/// `moa serve` on `database`; `index` names its search index's folder, which a later server of the same
/// backend reuses (built once, not in every row's memory).
fn start_server(a: &Args, dir: &std::path::Path, database: &str, index: &str, port: u16, cache_seconds: u64) -> Child {
    let config = dir.join(format!("serve-{cache_seconds}.toml"));
    std::fs::write(&config, format!("page_cache_seconds = {cache_seconds}\n")).unwrap();
    Command::new(&a.moa)
        .args(["serve", "--no-crawl", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--search-index", dir.join(format!("search-{index}")).to_str().unwrap()])
        .env("MOA_CONFIG", &config)
        .env("MOA_SOURCES", dir.join("sources.csv"))
        .env("MOA_DATABASE_URL", database)
        .env("MOA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moa serve")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&format!("{base}/healthz")).is_none() {
        assert!(Instant::now() < deadline, "moa serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the search index in `search-{index}` has applied every change the store logged, as
/// `moa index status` says ("change A of B applied").
fn wait_indexed(a: &Args, dir: &std::path::Path, database: &str, index: &str) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let out = Command::new(&a.moa)
            .args(["index", "status", "--search-index", dir.join(format!("search-{index}")).to_str().unwrap()])
            .env("MOA_DATABASE_URL", database)
            .env("MOA_SOURCES", dir.join("sources.csv"))
            .output()
            .expect("moa index status runs");
        let status = String::from_utf8_lossy(&out.stdout).to_string();
        let caught_up = status
            .split_once("change ")
            .and_then(|(_, rest)| rest.split_once(" applied"))
            .and_then(|(progress, _)| progress.split_once(" of "))
            .is_some_and(|(applied, logged)| applied == logged);
        if caught_up {
            return;
        }
        assert!(Instant::now() < deadline, "the search index {index} was not built in time: {status}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn psql(server: &str, sql: &str) {
    let out = Command::new("psql").args([server, "-qtAc", sql]).output().expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The URL a request of the row asks for (a random cursor's rows ask for `/` with the cursor script).
fn row_url(base: &str, path: &str) -> String {
    if path.contains("RANDOM") { format!("{base}/") } else { format!("{base}{path}") }
}

/// nginx serving `files` (one per row, as moa served them) from `dir`; the port, and the process.
fn start_nginx(dir: &std::path::Path) -> (u16, Child) {
    let port = free_port();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "worker_processes auto;\ndaemon off;\npid {0}/nginx.pid;\nerror_log {0}/nginx-error.log;\n\
             events {{ worker_connections 4096; }}\n\
             http {{ access_log off; default_type text/html; sendfile on; tcp_nopush on; keepalive_requests 1000000;\n\
             client_body_temp_path {0}; proxy_temp_path {0}; fastcgi_temp_path {0}; uwsgi_temp_path {0}; scgi_temp_path {0};\n\
             server {{ listen 127.0.0.1:{1}; root {0}/static; }} }}\n",
            dir.display(),
            port
        ),
    )
    .unwrap();
    let child = Command::new("nginx")
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx (Debian package nginx) runs");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&format!("{base}/0.html")).is_none() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (port, child)
}

fn get(url: &str) -> Option<Vec<u8>> {
    let out = Command::new("curl").args(["-sf", url]).output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn main() {
    let a = args();
    assert!(a.moa.exists(), "{} missing: run `cargo build --release` first", a.moa.display());
    let served = Arc::new(Served { feeds: Feeds { companies: a.companies, posts: a.posts }, now: now_unix() });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/f/{name}", axum::routing::get(serve_feed)).with_state(served.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let _feeds = std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));

    let dir = std::env::temp_dir().join(format!("moa-web-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("id,name_ko,name_en,homepage,feed_url\n");
    for c in 0..a.companies {
        csv.push_str(&format!("c{c},회사 {c},Company {c},https://blog{c}.example.com/,http://{addr}/f/{c}.xml\n"));
    }
    std::fs::write(dir.join("sources.csv"), csv).unwrap();
    std::fs::write(
        dir.join("crawl.toml"),
        "allow_private_networks = true\npage_images = false\nper_host_concurrency = 8\nper_host_spacing_ms = 0\n",
    )
    .unwrap();
    let started = Instant::now();
    let status = Command::new(&a.moa)
        .args(["crawl", "--once", "--all"])
        .env("MOA_CONFIG", dir.join("crawl.toml"))
        .env("MOA_SOURCES", dir.join("sources.csv"))
        .env("MOA_DATABASE_URL", format!("sqlite://{}", dir.join("moa.db").display()))
        .env("MOA_LOG", "off")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("moa crawl");
    assert!(status.success(), "moa crawl failed");
    let db_mb = std::fs::metadata(dir.join("moa.db")).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "{} posts from {} companies stored by `moa crawl --once --all` in {:.1} s (database {db_mb:.0} MB); wrk -t1 -c{} -d{}s per row",
        a.posts,
        a.companies,
        started.elapsed().as_secs_f64(),
        a.connections,
        a.duration.as_secs()
    );
    let topic = topic_of_a_post(&a, &dir);
    let paths = [
        "/".to_string(),
        "/company/c7".into(),
        "/tag/backend".into(),
        format!("/tag/{RARE_TAG}"),
        format!("/topic/{topic}"),
        "/feed.xml".into(),
        "/api/v1/posts".into(),
        "/?before=RANDOM".into(),
    ];
    let sqlite = format!("sqlite://{}", dir.join("moa.db").display());
    let mut backends = vec![("SQLite", sqlite.clone())];
    let mut pg_database = None;
    if let Some(server) = &a.postgres {
        let name = format!("moa_web_bench_{}", std::process::id());
        psql(server, &format!("DROP DATABASE IF EXISTS {name}"));
        psql(server, &format!("CREATE DATABASE {name}"));
        let (address, options) = server.split_once('?').map_or((server.as_str(), String::new()), |(a, o)| (a, format!("?{o}")));
        let url = format!("{}/{name}{options}", address.rsplit_once('/').expect("a URL with a database").0);
        let started = Instant::now();
        let status = Command::new(&a.moa)
            .args(["migrate", "sqlite-to-postgres", "--from", dir.join("moa.db").to_str().unwrap(), "--to", &url])
            .env("MOA_LOG", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("moa migrate");
        assert!(status.success(), "moa migrate sqlite-to-postgres failed");
        println!(
            "copied into PostgreSQL by `moa migrate sqlite-to-postgres` in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        backends.push(("PostgreSQL", url));
        pg_database = Some((server.clone(), name));
    }
    // Every request a different older page of `/` (a random cursor), so no answer is served twice.
    let cursors = dir.join("cursors.lua");
    std::fs::write(
        &cursors,
        format!(
            "math.randomseed(7)\nrequest = function()\n  return wrk.format(nil, \"/?before=\" .. math.random({}, {}) .. \".999999999\")\nend\n",
            served.now - SPAN_DAYS * 86_400,
            served.now
        ),
    )
    .unwrap();

    // nginx first, on the bytes moa serves for each row (the home page's for the random cursor).
    let nginx = nginx_rows(&a, &dir, &sqlite, &paths);
    println!();
    println!(
        "| backend | page cache | path | requests/s | p50 | p99 | body | nginx, same bytes | share of nginx | moa CPU per request | PostgreSQL CPU per request | steal | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (path, (rate, p50, p99, size)) in paths.iter().zip(&nginx) {
        println!(
            "| nginx | static file | `{path}` | {rate:.0} | {p50} | {p99} | {:.1} KB | | | | | | |",
            *size as f64 / 1024.0
        );
    }
    let mut memory = Vec::new();
    for (backend, database) in &backends {
        // Each server's search index is built first, by a server of its own: a server that builds one at
        // start holds the indexer's memory, and the rows would measure that build instead of serving.
        for k in 0..if *backend == "SQLite" { 1 } else { 2 } {
            let index = format!("{backend}-{k}");
            let port = free_port();
            let mut builder = start_server(&a, &dir, database, &index, port, 0);
            wait_ready(&format!("http://127.0.0.1:{port}"));
            let started = Instant::now();
            wait_indexed(&a, &dir, database, &index);
            println!(
                "search index {index} built by a server in {:.1} s; that server held {:.0} MB at its peak, {:.0} MB after",
                started.elapsed().as_secs_f64(),
                vm_kb(builder.id(), "VmHWM:") as f64 / 1024.0,
                vm_kb(builder.id(), "VmRSS:") as f64 / 1024.0
            );
            let _ = builder.kill();
            let _ = builder.wait();
        }
        for (label, cache_seconds, processes) in [("on (5 s)", 5, 1), ("off", 0, 1), ("off, 2 processes", 0, 2)] {
            if processes == 2 && *backend == "SQLite" {
                continue;
            }
            let ports: Vec<u16> = (0..processes).map(|_| free_port()).collect();
            let mut servers: Vec<Child> = ports
                .iter()
                .enumerate()
                .map(|(k, &port)| start_server(&a, &dir, database, &format!("{backend}-{k}"), port, cache_seconds))
                .collect();
            let bases: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
            bases.iter().for_each(|b| wait_ready(b));
            // A server that builds its search index at start does so beside its rows (the first of each
            // backend, and the second of two processes, which keeps an index of its own): measured only
            // once it is built.
            (0..processes).for_each(|k| wait_indexed(&a, &dir, database, &format!("{backend}-{k}")));
            for (path, (nginx_rate, ..)) in paths.iter().zip(&nginx) {
                let random = path.contains("RANDOM");
                let body = get(&row_url(&bases[0], path)).expect("the page answers");
                assert!(body.len() > 1000, "{path}: {} bytes", body.len());
                let (moa_before, pg_before, steal_before) = (servers_cpu(&servers), postgres_cpu(), Steal::now());
                let loads: Vec<_> = bases
                    .iter()
                    .map(|b| {
                        let (url, script) = (row_url(b, path), random.then(|| cursors.clone()));
                        let connections = a.connections / processes;
                        let duration = a.duration;
                        std::thread::spawn(move || wrk(&url, script.as_deref(), connections, duration))
                    })
                    .collect();
                let results: Vec<Wrk> = loads.into_iter().map(|l| l.join().unwrap()).collect();
                let requests: u64 = results.iter().map(|w| w.requests).sum::<u64>().max(1);
                let per_request = |ticks: u64| format!("{:.2} ms", ticks as f64 * TICK_MS / requests as f64);
                let moa_cpu = per_request(servers_cpu(&servers).saturating_sub(moa_before));
                let pg_cpu = if *backend == "SQLite" {
                    "".to_string()
                } else {
                    per_request(postgres_cpu_since(&pg_before))
                };
                let steal = steal_before.share_since();
                let rate: f64 = results.iter().map(|w| w.requests_per_s).sum();
                let worst = |f: fn(&Wrk) -> &String| {
                    results.iter().map(f).max_by(|x, y| millis(x).total_cmp(&millis(y))).cloned().unwrap_or_default()
                };
                let errors: Vec<&str> = results.iter().map(|w| w.errors.as_str()).filter(|e| *e != "none").collect();
                println!(
                    "| {backend} | {label} | `{path}` | {rate:.0} | {} | {} | {:.1} KB | {nginx_rate:.0} | {:.0}% | {moa_cpu} | {pg_cpu} | {steal:.0}% | {} |",
                    worst(|w| &w.p50),
                    worst(|w| &w.p99),
                    body.len() as f64 / 1024.0,
                    100.0 * rate / nginx_rate,
                    if errors.is_empty() { "none".to_string() } else { errors.join("; ") }
                );
            }
            for server in &mut servers {
                let kb = |field| vm_kb(server.id(), field);
                let pss_file = vm_kb_in(server.id(), "smaps_rollup", "Pss_File:");
                memory.push((*backend, label, kb("VmRSS:"), kb("VmHWM:"), kb("RssAnon:"), kb("RssFile:"), pss_file));
                let _ = server.kill();
                let _ = server.wait();
            }
        }
    }
    println!();
    for (backend, label, rss, peak, anon, file, pss_file) in memory {
        let mb = |kb: u64| kb as f64 / 1024.0;
        println!(
            "server {backend}, page cache {label}: {:.0} MB resident after its rows ({:.0} MB its own; {:.0} MB \
             mapped file pages, the search index's and SQLite's, shared with the kernel's page cache: {:.0} MB \
             counted once each), {:.0} MB at its peak",
            mb(rss),
            mb(anon),
            mb(file),
            mb(pss_file),
            mb(peak)
        );
    }
    if a.keep {
        println!(
            "kept {}{}",
            dir.display(),
            pg_database.map(|(_, name)| format!(" and the database {name}")).unwrap_or_default()
        );
    } else {
        if let Some((server, name)) = pg_database {
            psql(&server, &format!("DROP DATABASE IF EXISTS {name}"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A latency as wrk prints it (`812.00us`, `3.41ms`, `1.20s`), in milliseconds.
fn millis(text: &str) -> f64 {
    let number = |suffix: &str| text.strip_suffix(suffix).and_then(|n| n.parse::<f64>().ok());
    number("us")
        .map(|n| n / 1000.0)
        .or_else(|| number("ms"))
        .or_else(|| number("s").map(|n| n * 1000.0))
        .unwrap_or(f64::MAX)
}

/// A topic the tagger gave the newest post (the bench's titles are about infrastructure and data).
fn topic_of_a_post(a: &Args, dir: &std::path::Path) -> String {
    let port = free_port();
    let mut server = start_server(a, dir, &format!("sqlite://{}", dir.join("moa.db").display()), "SQLite-0", port, 0);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base);
    let body = String::from_utf8(get(&format!("{base}/api/v1/posts?limit=1")).expect("the API answers")).unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let topics = body.split("\"topics\":[\"").nth(1).expect("the newest post has a topic");
    topics.split('"').next().unwrap().to_string()
}

/// Each row's bytes, as moa's SQLite server with its cache serves them, written as static files and loaded
/// from nginx: (requests/s, p50, p99, bytes) per row.
fn nginx_rows(a: &Args, dir: &std::path::Path, sqlite: &str, paths: &[String]) -> Vec<(f64, String, String, usize)> {
    let static_dir = dir.join("static");
    std::fs::create_dir_all(&static_dir).unwrap();
    let port = free_port();
    let mut server = start_server(a, dir, sqlite, "SQLite-0", port, 5);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base);
    let sizes: Vec<usize> = paths
        .iter()
        .enumerate()
        .map(|(k, path)| {
            let body = get(&row_url(&base, path)).expect("the page answers");
            std::fs::write(static_dir.join(format!("{k}.html")), &body).unwrap();
            body.len()
        })
        .collect();
    let _ = server.kill();
    let _ = server.wait();
    let (port, mut nginx) = start_nginx(dir);
    let rows = sizes
        .into_iter()
        .enumerate()
        .map(|(k, size)| {
            let w = wrk(&format!("http://127.0.0.1:{port}/{k}.html"), None, a.connections, a.duration);
            (w.requests_per_s, w.p50, w.p99, size)
        })
        .collect();
    let _ = nginx.kill();
    let _ = nginx.wait();
    rows
}
