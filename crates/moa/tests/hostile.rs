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

/// A client that follows no redirects (a `/go/ID` would lead to the internet).
fn http() -> reqwest::Client {
    moa::ingest::fetch::install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn store_with_source(feed_url: &str) -> (moa_store::testing::TestDb, Arc<dyn Store>) {
    let dir = moa_store::testing::TestDb::from_env().await;
    let csv = dir.path().join("sources.csv");
    std::fs::write(
        &csv,
        format!("id,name_ko,name_en,homepage,feed_url\nevil,악성,Evil,https://evil.example.com/,{feed_url}\n"),
    )
    .unwrap();
    let store = dir.open().await;
    store.sync_registry(&moa::ingest::registry::load(&csv).unwrap(), moa::now_unix()).await.unwrap();
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
    let config = moa::ingest::fetch::FetchConfig { max_body_bytes: 16 << 20, ..common::fetch_config() };
    let report = common::crawler(store.clone(), config).run(moa_store::Selection::All).await.unwrap();
    assert_eq!(report.sources_ok, 1, "{:?}", report.failures);

    let posts = store.posts(&moa_store::PostQuery { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(posts.len(), 20);
    assert!(posts.iter().all(|p| p.title.chars().count() <= moa_feed::TITLE_MAX_CHARS), "titles are bounded");

    for cache in [Duration::ZERO, Duration::from_secs(5)] {
        let addr = start_web(moa::web::AppState::new(store.clone()).with_cache_ttl(cache)).await;
        let client = http();
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
            "[<>&\"'\u{202e}가-힣a-z ]{0,200}", // No NUL: the normalizer drops it (PostgreSQL cannot store it).
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
    let client = http();
    for path in LISTING_PAGES.iter().chain(&["/topic/backend", "/posts/1", "/api/v1/posts/1"]) {
        let (status, _) = status_of(&client, addr, path).await;
        assert!(status == 200 || (path.starts_with("/posts/") && status == 308), "{path}: {status}");
    }
}

/// Serves moa's router with the given limits, as `moa serve` does.
async fn start_limited(state: moa::web::AppState, limits: moa::web::listen::ServerLimits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(moa::web::listen::serve(listener, moa::web::router(state), limits, std::future::pending()));
    addr
}

/// A connection from `from` (any 127.x address on Linux) to `to`.
async fn connect_from(from: &str, to: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Whether the server closed the connection within `wait` (a read gives end of file or an error).
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A 408 or another answer before the close: keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

/// Slow heads, slow bodies and idle keep-alive connections are closed; one address cannot take every
/// connection, and `/healthz` answers meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_dropped_and_cannot_crowd_out_others() {
    use tokio::io::AsyncWriteExt;
    let (_dir, store) = store_with_source("http://127.0.0.1:9/feed.xml").await;
    let limits = moa::web::listen::ServerLimits {
        header_read_timeout: Duration::from_millis(1500),
        request_timeout: Duration::from_millis(2500),
        max_connections: 400,
        max_connections_per_ip: 50,
        ..Default::default()
    };
    let addr = start_limited(moa::web::AppState::new(store.clone()), limits).await;

    // 200 connections from one address: 50 are taken, the rest closed at once.
    let mut crowd = Vec::new();
    for _ in 0..200 {
        crowd.push(connect_from("127.0.0.2", addr).await);
    }
    let mut refused = 0;
    for stream in &mut crowd[50..] {
        refused += usize::from(closed_within(stream, Duration::from_secs(3)).await);
    }
    assert_eq!(refused, 150, "connections over the per-address cap are closed");
    // Another reader is served while they wait.
    let started = std::time::Instant::now();
    let health = http().get(format!("http://{addr}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // Not a speed check: before the caps, such a crowd left /healthz waiting for 24 s.
    assert!(started.elapsed() < Duration::from_secs(10));

    // A head sent slowly, and a connection that sends nothing, are both dropped after the head timeout.
    let (mut slow_head, mut silent) = (crowd.remove(0), crowd.remove(0));
    slow_head.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await, "an idle connection is closed");
    assert!(closed_within(&mut slow_head, Duration::from_secs(5)).await, "a slow head is closed");

    // A body that never comes: the request times out.
    let mut slow_body = connect_from("127.0.0.3", addr).await;
    slow_body
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=a")
        .await
        .unwrap();
    assert!(closed_within(&mut slow_body, Duration::from_secs(6)).await, "a slow body is cut off");

    // Idle keep-alive after a request: closed too.
    let mut kept = connect_from("127.0.0.4", addr).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await, "an idle keep-alive connection is closed");

    // Once the crowd is gone, its address is served again.
    drop(crowd);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = connect_from("127.0.0.2", addr).await;
    again.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut again, &mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Proxy variables in the environment are not followed: through a proxy the address guard would never
/// see what is connected to (`http://metadata.internal/` was sent to a loopback proxy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_variables_in_the_environment_are_ignored() {
    let proxy = Arc::new(TestServer::default());
    let proxy_addr = proxy.start("127.0.0.1").await;
    proxy.route("/", Reply::feed("<rss version=\"2.0\"><channel><title>p</title></channel></rss>"));
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("sources.csv");
    std::fs::write(&csv, "id,name_ko,name_en,homepage,feed_url\nmeta,메타,Meta,https://meta.example/,http://metadata.internal/latest/feed.xml\n")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_moa"))
        .args(["crawl", "--once"])
        .env("MOA_DATABASE_URL", format!("sqlite://{}", dir.path().join("moa.db").display()))
        .env("MOA_SOURCES", &csv)
        .env("MOA_SEARCH_INDEX", dir.path().join("search"))
        .env("MOA_LOG", "off")
        .env("HTTP_PROXY", format!("http://{proxy_addr}"))
        .env("http_proxy", format!("http://{proxy_addr}"))
        .env("ALL_PROXY", format!("http://{proxy_addr}"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 sources ok") || !out.status.success(), "{out:?}");
    assert!(proxy.hits().is_empty(), "the proxy was asked for {:?}", proxy.hits());
}

/// A webhook receiver cannot send moa's POST on to a private address, nor be one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_under_the_address_guard_and_follow_no_redirects() {
    use moa::ingest::webhook::{Webhook, WebhookFormat};
    let inside = Arc::new(TestServer::default());
    let inside_addr = inside.start("127.0.0.3").await;
    inside.route("/admin", Reply::status(200));
    let hooks = Arc::new(TestServer::default());
    let hooks_addr = hooks.start("127.0.0.2").await;
    hooks.route("/hook", Reply::Redirect { status: 307, to: format!("http://{inside_addr}/admin") });
    let feeds = Arc::new(TestServer::default());
    let feeds_addr = feeds.start("127.0.0.2").await;
    let now = moa::now_unix();
    let entry = format!(
        "<entry><id>urn:a</id><title>새 글</title><link href=\"https://a.example/1\"/><updated>{}</updated></entry>",
        moa_feed::format_rfc3339(now)
    );
    feeds.route(
        "/feed.xml",
        Reply::feed(format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>a</title>{entry}</feed>")),
    );
    // Private networks refused but for 127.0.0.2 (an operator's own receiver and feed mirror).
    let config = moa::ingest::fetch::FetchConfig {
        allow_private_networks: false,
        allowed_private_addresses: vec!["127.0.0.2".parse().unwrap()],
        ..common::fetch_config()
    };
    let hook = |url: String| Webhook { url, format: WebhookFormat::Json };
    let notifier = moa::ingest::webhook::Notifier::start(
        vec![hook(format!("http://{hooks_addr}/hook")), hook(format!("http://{inside_addr}/admin"))],
        moa::ingest::webhook::Delivery { attempts: 2, retry_base: Duration::from_millis(10) },
        moa::ingest::fetch::Fetcher::new(config.clone()).unwrap(),
    )
    .unwrap()
    .unwrap();
    let (_dir, store) = store_with_source(&format!("http://{feeds_addr}/feed.xml")).await;
    let mut crawler = common::crawler(store.clone(), config);
    crawler.notifier = Some(notifier.clone());
    let report = crawler.run(moa_store::Selection::All).await.unwrap();
    assert_eq!(report.new_posts, 1, "{:?}", report.failures);
    notifier.close(Duration::from_secs(10)).await;
    assert_eq!(hooks.hits_of("/hook").len(), 1, "the receiver was told, once (a redirect is its answer)");
    assert!(inside.hits().is_empty(), "nothing reached the private address: {:?}", inside.hits());
}

fn one_post(now: i64) -> NewPost {
    NewPost {
        entry_id: "urn:1".into(),
        url: Some("https://evil.example.com/1".into()),
        title: "글".into(),
        summary: None,
        content_html: None,
        author: None,
        thumbnail: None,
        categories: Vec::new(),
        category_labels: Default::default(),
        topics: Vec::new(),
        published_at: Some(now),
        updated_at: None,
    }
}

/// `X-Forwarded-For` names the client only when the peer is a configured proxy, and then only its
/// right-most hop that is not a proxy: a reader cannot count sixty clicks by writing sixty addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let (_dir, store) = store_with_source("http://127.0.0.1:9/feed.xml").await;
    store.store_pushed("evil", moa::now_unix(), &[one_post(moa::now_unix())]).await.unwrap();
    let id = store.posts(&moa_store::PostQuery { limit: 1, ..Default::default() }).await.unwrap()[0].id;
    let clicks = || async { store.post(id).await.unwrap().unwrap().clicks };
    let client = http();
    let click_with = |addr: SocketAddr, xff: String| {
        client
            .get(format!("http://{addr}/go/{id}"))
            .header("x-forwarded-for", xff)
            .header("user-agent", "Mozilla/5.0")
            .send()
    };

    let direct = start_web(moa::web::AppState::new(store.clone())).await;
    for i in 0..20 {
        assert_eq!(click_with(direct, format!("203.0.113.{i}")).await.unwrap().status(), 302);
    }
    assert_eq!(clicks().await, 1, "no proxy is trusted: every request is the one peer");

    let mut behind_proxy = moa::web::AppState::new(store.clone());
    behind_proxy.trusted_proxies = Arc::new(moa::web::listen::TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap());
    let proxied = start_web(behind_proxy).await;
    for i in 0..5 {
        // The client wrote the first hop itself; the proxy appended the address it saw.
        click_with(proxied, format!("10.9.9.{i}, 198.51.100.{}", i % 2)).await.unwrap();
    }
    assert_eq!(clicks().await, 3, "two clients seen by the proxy, whatever they wrote");
}

/// Failed sign-ins against a name show on the operator's users page, slowed once past the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_page_shows_failed_sign_ins() {
    let (_dir, store) = store_with_source("http://127.0.0.1:9/feed.xml").await;
    let hash = moa::web::auth::hash_password("correct horse battery").unwrap();
    for name in ["op", "kim"] {
        assert!(store.set_user_password(name, &hash, 1).await.unwrap());
    }
    assert!(store.set_user_role("op", "operator").await.unwrap());
    let addr = start_web(moa::web::AppState::new(store.clone())).await;
    for from in ["127.0.0.2", "127.0.0.3"] {
        let mut guesser = common::client::Client::new_from(addr, from);
        let login = guesser.get("/login").await;
        let csrf = common::client::Client::csrf_of(&login.body);
        for _ in 0..4 {
            let r = guesser.post("/login", &[("csrf", &csrf), ("name", "kim"), ("password", "guess")]).await;
            assert_eq!(r.status, 401);
        }
    }
    let (mut op, _) = common::client::Client::sign_in(addr, "op", "correct horse battery").await;
    let page = op.get("/admin/users").await;
    assert_eq!(page.status, 200);
    let row = page.body.split("data-user=\"kim\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("<td class=\"failed-sign-ins\">8 (지연 중)</td>"), "{row}");
}

/// The newsletter's front matter takes only a date as its date, and what a fetched page says is inert
/// Markdown in the post (no raw HTML, no javascript: link); the public page loads no curator-named image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_scraps_and_settings_cannot_inject_into_the_newsletter() {
    use common::client::Client;
    let pages = Arc::new(TestServer::default());
    let pages_addr = pages.start("127.0.0.1").await;
    pages.route(
        "/hostile",
        Reply::Body {
            body: br#"<html><head><title>&lt;b&gt;Bold&lt;/b&gt; title</title><meta property="og:description" content="&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1)) ![i](http://tracker.example/p.png) **loud**"></head><body>x</body></html>"#.to_vec(),
            headers: vec![("content-type", "text/html; charset=utf-8".into())],
        },
    );
    let (_dir, store) = store_with_source("http://127.0.0.1:9/feed.xml").await;
    let hash = moa::web::auth::hash_password("correct horse battery").unwrap();
    assert!(store.set_user_password("kim", &hash, 1).await.unwrap());
    let state = common::state_with_crawler(store.clone(), common::fetch_config());
    let addr = start_web(state).await;
    let (mut curator, csrf) = Client::sign_in(addr, "kim", "correct horse battery").await;
    let month = moa::newsletter::curation::current_month(moa::now_unix()).to_string();

    // A date with a newline (new keys, the front matter's end, raw HTML) is refused; so is a non-date.
    for date in
        ["2026-12-31T00:01:00\"\ndraft: false\ntitle: pwned\n---\n<script>alert(1)</script>", "yesterday", "2026-02-30"]
    {
        let r = curator.post(&format!("/curate/{month}/settings"), &[("csrf", &csrf), ("date", date)]).await;
        assert_eq!(r.status, 422, "{date:?}");
    }
    let r = curator
        .post(&format!("/curate/{month}/settings"), &[("csrf", &csrf), ("date", "2026-12-24T09:00:00+09:00")])
        .await;
    assert_eq!(r.status, 303);

    let page = format!("http://{pages_addr}/hostile");
    let r = curator
        .post(&format!("/curate/{month}/scraps"), &[("csrf", &csrf), ("url", &page), ("section", "article")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let md = curator.get(&format!("/curate/{month}/post.md")).await.body;
    let front = md.split("\n---\n").next().unwrap();
    assert!(front.contains("date: \"2026-12-24T09:00:00+09:00\"") && !front.contains("pwned"), "{front}");
    assert_eq!(md.matches("\n---\n").count(), 1, "one front matter: {md}");
    assert!(!md.contains("<script>") && !md.contains("[x](javascript:") && !md.contains("![i]("), "{md}");
    assert!(
        md.contains("\\<script\\>alert(1)\\<") && md.contains("\\*\\*loud\\*\\*"),
        "the words are kept, inert: {md}"
    );
    assert!(md.contains("### [\\<b\\>Bold\\</b\\> title]("), "{md}");

    // The public page: the curator's own image Markdown becomes a link, never an <img> a reader loads.
    let scrap = store.scraps(Some(&month)).await.unwrap().remove(0);
    let fields = moa_store::ScrapFields {
        month: scrap.month.clone(),
        section: scrap.section.clone(),
        title: scrap.title.clone(),
        url: scrap.url.clone(),
        commentary: "좋은 글 ![추적](http://tracker.example/p.png)".into(),
        post_id: None,
    };
    assert!(store.update_scrap(scrap.id, &fields, moa::now_unix()).await.unwrap());
    let public = http().get(format!("http://{addr}/newsletter/{month}")).send().await.unwrap();
    assert_eq!(public.status(), 200);
    let html = public.text().await.unwrap();
    assert!(!html.contains("<img") && !html.contains("<script>"), "{html}");
    assert!(html.contains("<a href=\"http://tracker.example/p.png\">추적</a>"), "{html}");
}

/// A command that is not about sources leaves the operator's list alone: `moa user add` without
/// `--sources` once enabled the 162 built-in blogs and disabled the operator's own.
#[test]
fn commands_not_about_sources_never_change_the_source_list() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mine.csv");
    std::fs::write(&csv, "id,name_ko,name_en,homepage,feed_url\nmine,우리 블로그,Ours,https://ours.example/,https://ours.example/feed.xml\n")
        .unwrap();
    let moa = |args: &[&str], sources: Option<&std::path::Path>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_moa"));
        c.args(args)
            .current_dir(dir.path())
            .env_remove("MOA_SOURCES")
            .env("MOA_DATABASE_URL", format!("sqlite://{}", dir.path().join("moa.db").display()))
            .env("MOA_SEARCH_INDEX", dir.path().join("search"))
            .env("MOA_LOG", "off")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(s) = sources {
            c.arg("--sources").arg(s);
        }
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(b"correct horse battery\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "moa {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (listed, _) = moa(&["sources", "list", "--json"], Some(&csv));
    let sources: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(sources.as_array().unwrap().len(), 1);

    moa(&["user", "add", "kim"], None);
    let (_, note) = moa(&["user", "list"], Some(std::path::Path::new("builtin")));
    assert!(note.contains("leaves the sources as they are") && note.contains("mine.csv"), "{note}");
    // Without the flag, the sources commands follow the list the database follows.
    let (listed, _) = moa(&["sources", "list", "--json"], None);
    let sources: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let enabled_ids: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["enabled"] == true)
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(enabled_ids, ["mine"]);
}

/// Guesses sent at once from one address are taken in turn, so the limit counts every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_cannot_outrun_the_sign_in_limit() {
    let (_dir, store) = store_with_source("http://127.0.0.1:9/feed.xml").await;
    let hash = moa::web::auth::hash_password("correct horse battery").unwrap();
    assert!(store.set_user_password("kim", &hash, 1).await.unwrap());
    let addr = start_web(moa::web::AppState::new(store.clone())).await;
    let mut guesser = common::client::Client::new_from(addr, "127.0.0.5");
    let login = guesser.get("/login").await;
    let csrf = common::client::Client::csrf_of(&login.body);
    let cookie = guesser.cookies.join("; ");
    let tries = (0..16).map(|i| {
        let body = format!("csrf={csrf}&name=kim&password=guess{i}");
        guesser
            .http
            .post(format!("{}/login", guesser.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie.clone())
            .body(body)
            .send()
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(tries).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(wrong as i64, moa::web::auth::MAX_FAILURES_PER_NAME, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 16 - wrong, "{statuses:?}");
}
