//! `cargo run --release --manifest-path bench/Cargo.toml --bin crawl -- [--feeds N] [--hosts N]
//!   [--latency-ms N] [--concurrency N] [--newsboat-threads N] [--moa PATH] [--skip-newsboat] [--newsboat-runs N]`
//!
//! A local feed server answers for N feeds spread over N hosts (distinct loopback addresses, one
//! listener each), every response after a fixed latency, with ETag/Last-Modified and 304s. Each feed is
//! an RSS 2.0 document of 10 items with Korean text, ≈45 KB (the median of the Korean fixtures). Then:
//! `moa crawl --once --all` twice (a first full crawl, then one where every feed answers 304), and
//! `newsboat -x reload` on the same feed list (twice with `--newsboat-runs 2`), each in a fresh process
//! whose wall time, CPU time and peak RSS are read from `wait4`. The server runs in this process, on its own threads.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Args {
    feeds: usize,
    hosts: usize,
    latency: Duration,
    concurrency: usize,
    newsboat_threads: usize,
    moa: PathBuf,
    skip_newsboat: bool,
    /// newsboat's first reload takes ~20 minutes at 10,000 feeds; a second one is opt-in.
    newsboat_runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        feeds: 10_000,
        hosts: 250,
        latency: Duration::from_millis(50),
        concurrency: 500,
        newsboat_threads: 500,
        moa: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/moa")),
        skip_newsboat: false,
        newsboat_runs: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--feeds" => a.feeds = value().parse().expect("--feeds N"),
            "--hosts" => a.hosts = value().parse().expect("--hosts N"),
            "--latency-ms" => a.latency = Duration::from_millis(value().parse().expect("--latency-ms N")),
            "--concurrency" => a.concurrency = value().parse().expect("--concurrency N"),
            "--newsboat-threads" => a.newsboat_threads = value().parse().expect("--newsboat-threads N"),
            "--moa" => a.moa = PathBuf::from(value()),
            "--skip-newsboat" => a.skip_newsboat = true,
            "--newsboat-runs" => a.newsboat_runs = value().parse().expect("--newsboat-runs N"),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

struct Served {
    latency: Duration,
    content: String,
    full: AtomicU64,
    not_modified: AtomicU64,
    bytes: AtomicU64,
}

const LAST_MODIFIED: &str = "Mon, 30 Nov 2026 00:00:00 GMT";
const ITEMS: usize = 10;

/// Feed `n`: ten items, unique titles and links, a day apart.
fn feed_xml(n: usize, content: &str) -> String {
    let mut xml = String::with_capacity(48 * 1024);
    xml.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>회사 {n} 기술 블로그</title>\n<link>https://blog{n}.example.com/</link>\n<description>회사 {n}의 개발자들이 쓰는 기술 블로그</description>\n<language>ko-KR</language>\n"
    ));
    for i in 0..ITEMS {
        let day = 29 - i;
        xml.push_str(&format!(
            "<item>\n<title>회사 {n}의 글 {i}: 대규모 트래픽을 견디는 서버 아키텍처 이야기</title>\n<link>https://blog{n}.example.com/posts/{i}/</link>\n<guid isPermaLink=\"false\">https://blog{n}.example.com/?p={i}</guid>\n<pubDate>{day:02} Nov 2026 09:00:00 +0900</pubDate>\n<dc:creator>개발자 {i}</dc:creator>\n<category>Backend</category><category>인프라</category>\n<description><![CDATA[<p>회사 {n}의 {i}번째 글입니다. 서비스가 커지면서 마주친 문제와 해결 과정을 정리했습니다.</p>]]></description>\n<content:encoded><![CDATA[<p><img src=\"https://blog{n}.example.com/images/{i}.png\" width=\"800\" height=\"400\"></p>{content}]]></content:encoded>\n</item>\n"
        ));
    }
    xml.push_str("</channel>\n</rss>\n");
    xml
}

async fn serve(State(s): State<Arc<Served>>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    tokio::time::sleep(s.latency).await;
    let Some(n) = name.strip_suffix(".xml").and_then(|n| n.parse::<usize>().ok()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"v1-{n}\"");
    let inm = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let ims = headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok());
    if inm == Some(etag.as_str()) || (inm.is_none() && ims == Some(LAST_MODIFIED)) {
        s.not_modified.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = feed_xml(n, &s.content);
    s.full.fetch_add(1, Ordering::Relaxed);
    s.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8".to_string()),
            (header::ETAG, etag),
            (header::LAST_MODIFIED, LAST_MODIFIED.to_string()),
        ],
        body,
    )
        .into_response()
}

/// ≈ 4 KB of Korean article HTML, shared by every item.
fn article() -> String {
    let paragraph = "트래픽이 몰리는 시간대에 응답 시간이 급격히 늘어나는 문제가 있었습니다. 원인을 찾기 위해 애플리케이션 로그와 데이터베이스 지표를 함께 살펴보았고, 커넥션 풀이 고갈되는 순간을 발견했습니다. 캐시 계층을 도입하고 쿼리를 정리한 뒤 지연 시간이 크게 줄었습니다.";
    (0..9).map(|i| format!("<h2>{}단계</h2><p>{paragraph}</p>", i + 1)).collect()
}

struct Measured {
    wall: Duration,
    user: Duration,
    sys: Duration,
    max_rss_kb: i64,
    ok: bool,
}

/// Runs a command to its end, measuring it with wait4.
fn measure(cmd: &mut Command) -> Measured {
    let started = Instant::now();
    // Reaped by wait4 below, which also reports its resource use.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: plain FFI calls on zeroed out-parameters; the pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4 failed");
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Measured {
        wall: started.elapsed(),
        user: tv(usage.ru_utime),
        sys: tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}

fn row(name: &str, feeds: usize, m: &Measured, served: (u64, u64)) {
    println!(
        "| {name} | {:.2} s | {:.0} | {:.2} s | {:.0} MB | {} / {} |{}",
        m.wall.as_secs_f64(),
        feeds as f64 / m.wall.as_secs_f64(),
        (m.user + m.sys).as_secs_f64(),
        m.max_rss_kb as f64 / 1024.0,
        served.0,
        served.1,
        if m.ok { "" } else { " (exit status not 0)" }
    );
}

fn main() {
    let a = args();
    assert!(a.moa.exists(), "{} missing: run `cargo build --release` first", a.moa.display());
    let served = Arc::new(Served {
        latency: a.latency,
        content: article(),
        full: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let addrs: Vec<SocketAddr> = runtime.block_on(async {
        let mut addrs = Vec::new();
        for h in 0..a.hosts {
            let ip = format!("127.0.{}.{}", h / 250, h % 250 + 1);
            let listener = tokio::net::TcpListener::bind(format!("{ip}:0")).await.expect("bind loopback");
            addrs.push(listener.local_addr().unwrap());
            let app = Router::new().route("/f/{name}", axum::routing::get(serve)).with_state(served.clone());
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        addrs
    });
    let _server = std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));

    let dir = std::env::temp_dir().join(format!("moa-crawl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let urls: Vec<String> = (0..a.feeds).map(|n| format!("http://{}/f/{n}.xml", addrs[n % a.hosts])).collect();
    let mut csv = String::from("id,name_ko,name_en,homepage,feed_url\n");
    for (n, url) in urls.iter().enumerate() {
        csv.push_str(&format!("f{n},회사 {n},Company {n},https://blog{n}.example.com/,{url}\n"));
    }
    std::fs::write(dir.join("sources.csv"), csv).unwrap();
    std::fs::write(
        dir.join("moa.toml"),
        format!(
            "allow_private_networks = true\nconcurrency = {}\nper_host_concurrency = 2\nper_host_spacing_ms = 0\n",
            a.concurrency
        ),
    )
    .unwrap();
    let counts = |s: &Served| (s.full.swap(0, Ordering::Relaxed), s.not_modified.swap(0, Ordering::Relaxed));
    let feed_bytes = feed_xml(a.feeds / 2, &served.content).len();

    println!(
        "{} feeds on {} hosts, {} ms latency per response, {} KB per feed; moa: concurrency {}, 2 per host, no spacing; newsboat: reload-threads {}",
        a.feeds,
        a.hosts,
        a.latency.as_millis(),
        feed_bytes / 1024,
        a.concurrency,
        a.newsboat_threads
    );
    println!();
    println!("| run | wall | feeds/s | CPU (user+sys) | peak RSS | served 200 / 304 |");
    println!("|---|---|---|---|---|---|");
    let moa = |dir: &Path, args: &[&str]| {
        let mut c = Command::new(&a.moa);
        c.args(args)
            .env("MOA_CONFIG", dir.join("moa.toml"))
            .env("MOA_SOURCES", dir.join("sources.csv"))
            .env("MOA_DATABASE_URL", format!("sqlite://{}", dir.join("moa.db").display()))
            .env("MOA_LOG", "off")
            .stdout(std::process::Stdio::null());
        c
    };
    let crawl = ["crawl", "--once", "--all"];
    let first = measure(&mut moa(&dir, &crawl));
    row("moa, first crawl", a.feeds, &first, counts(&served));
    let second = measure(&mut moa(&dir, &crawl));
    row("moa, every feed 304", a.feeds, &second, counts(&served));

    if !a.skip_newsboat {
        std::fs::write(dir.join("urls"), urls.join("\n") + "\n").unwrap();
        std::fs::write(
            dir.join("newsboat.conf"),
            format!("reload-threads {}\nshow-read-feeds yes\ndownload-timeout 30\n", a.newsboat_threads),
        )
        .unwrap();
        let newsboat = |dir: &Path| {
            let mut c = Command::new("newsboat");
            c.arg("-u")
                .arg(dir.join("urls"))
                .arg("-c")
                .arg(dir.join("newsboat.db"))
                .arg("-C")
                .arg(dir.join("newsboat.conf"))
                .args(["-x", "reload"])
                .env("HOME", dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            c
        };
        let first = measure(&mut newsboat(&dir));
        row("newsboat, first reload", a.feeds, &first, counts(&served));
        if a.newsboat_runs > 1 {
            let second = measure(&mut newsboat(&dir));
            row("newsboat, second reload", a.feeds, &second, counts(&served));
        }
    }
    let db = std::fs::metadata(dir.join("moa.db")).map(|m| m.len()).unwrap_or(0);
    println!();
    println!("moa database after the crawls: {:.0} MB", db as f64 / 1e6);
    // The operator's backup of that store (VACUUM INTO, checked), as `moa backup` runs it.
    let backup = dir.join("backup.db");
    let b = measure(moa(&dir, &["backup"]).arg(&backup));
    let size = std::fs::metadata(&backup).map(|m| m.len()).unwrap_or(0);
    println!(
        "moa backup: {:.2} s wall, {:.2} s CPU, {:.0} MB peak RSS, {:.0} MB written{}",
        b.wall.as_secs_f64(),
        (b.user + b.sys).as_secs_f64(),
        b.max_rss_kb as f64 / 1024.0,
        size as f64 / 1e6,
        if b.ok { "" } else { " (FAILED)" }
    );
    let _ = std::fs::remove_dir_all(&dir);
}
