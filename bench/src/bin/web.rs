//! `cargo run --release --manifest-path bench/Cargo.toml --bin web -- [--companies N] [--posts N]
//!   [--duration-s N] [--connections N] [--moa PATH] [--keep]`
//!
//! The readers' web under load. A local feed server gives N companies' feeds that hold the posts between
//! them (Korean titles, summaries, tags and thumbnails, dated over three years); `moa crawl --once --all`
//! stores them in a fresh SQLite file, the real way. Then `moa serve --no-crawl` serves that file, once
//! with its page cache (the default) and once without (`page_cache_seconds = 0`), and `wrk` (one thread,
//! on the machine's other core) loads `/`, `/company/ID`, `/feed.xml` and `/api/v1/posts` in turn.
//! Each row: requests/s, p50/p99 latency, the body size; each server: its peak RSS (VmHWM).

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
    /// Leave the database and configs in place (the folder is printed) to look at afterwards.
    keep: bool,
}

fn args() -> Args {
    let mut a = Args {
        companies: 150,
        posts: 100_000,
        duration: Duration::from_secs(10),
        connections: 64,
        moa: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/moa")),
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
             <category>{}</category><category>{}</category><media:thumbnail url=\"https://blog{c}.example.com/images/{n}.png\"/></item>\n",
            TAGS[n % TAGS.len()],
            TAGS[(n / 7) % TAGS.len()]
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

/// The peak resident memory of a process, from /proc (kB).
fn vm_hwm_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct Wrk {
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
    Wrk {
        requests_per_s: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
        errors: if errors.is_empty() { "none".into() } else { errors },
    }
}

fn start_server(a: &Args, dir: &std::path::Path, port: u16, cache_seconds: u64) -> Child {
    let config = dir.join(format!("serve-{cache_seconds}.toml"));
    std::fs::write(&config, format!("page_cache_seconds = {cache_seconds}\n")).unwrap();
    Command::new(&a.moa)
        .args(["serve", "--no-crawl", "--listen", &format!("127.0.0.1:{port}")])
        .env("MOA_CONFIG", &config)
        .env("MOA_SOURCES", dir.join("sources.csv"))
        .env("MOA_DATABASE_URL", format!("sqlite://{}", dir.join("moa.db").display()))
        .env("MOA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moa serve")
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
    println!();
    println!("| page cache | path | requests/s | p50 | p99 | body | errors |");
    println!("|---|---|---|---|---|---|---|");
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
    let paths = ["/", "/company/c7", "/feed.xml", "/api/v1/posts", "/?before=RANDOM"];
    let mut memory = Vec::new();
    for (label, cache_seconds) in [("on (5 s)", 5), ("off", 0)] {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut server = start_server(&a, &dir, port, cache_seconds);
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(&format!("{base}/healthz")).is_none() {
            assert!(Instant::now() < deadline, "moa serve did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        for path in paths {
            let random = path.contains("RANDOM");
            let url = if random { format!("{base}/") } else { format!("{base}{path}") };
            let body = get(&url).expect("the page answers");
            assert!(body.len() > 1000, "{path}: {} bytes", body.len());
            let w = wrk(&url, random.then_some(cursors.as_path()), a.connections, a.duration);
            println!(
                "| {label} | `{path}` | {:.0} | {} | {} | {:.1} KB | {} |",
                w.requests_per_s,
                w.p50,
                w.p99,
                body.len() as f64 / 1024.0,
                w.errors
            );
        }
        memory.push((label, vm_hwm_kb(server.id())));
        let _ = server.kill();
        let _ = server.wait();
    }
    println!();
    for (label, kb) in memory {
        println!("server peak RSS, page cache {label}: {:.0} MB", kb as f64 / 1024.0);
    }
    if a.keep {
        println!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
