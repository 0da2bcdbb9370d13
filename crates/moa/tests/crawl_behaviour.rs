//! The crawler's behaviours against local servers over real HTTP: server hints and scheduling,
//! redirects and 410, limits and failure kinds, the SSRF guard after redirects, per-host politeness,
//! og:image fill-in, webhooks and WebSub.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::server::{Reply, TestServer};
use common::{crawl_all, crawler, fetch_config, fixture};
use moa::ingest::fetch::FetchConfig;
use moa::ingest::webhook::{Delivery, Notifier};
use moa::ingest::webhook::{Webhook, WebhookFormat};
use moa_store::{ErrorKind, PostQuery, Selection, SourceRow, Store};

const HOUR: i64 = 3600;

/// A store in a temporary directory with one registry source per `(id, feed URL)`.
async fn store_with(sources: &[(&str, String)]) -> (moa_store::testing::TestDb, Arc<dyn Store>) {
    let dir = moa_store::testing::TestDb::from_env().await;
    let csv = dir.path().join("sources.csv");
    let mut rows = String::from("id,name_ko,name_en,homepage,feed_url,user_agent\n");
    for (id, url) in sources {
        let ua = if *id == "custom-ua" { "CustomBot/1.0 (+https://example.com/bot)" } else { "" };
        rows.push_str(&format!("{id},회사 {id},{id},https://{id}.example.com/,{url},{ua}\n"));
    }
    std::fs::write(&csv, rows).unwrap();
    let store = dir.open().await;
    store.sync_registry(&moa::ingest::registry::load(&csv).unwrap(), moa::now_unix()).await.unwrap();
    (dir, store)
}

async fn source(store: &Arc<dyn Store>, id: &str) -> SourceRow {
    store.sources().await.unwrap().into_iter().find(|s| s.spec.id == id).unwrap()
}

/// An Atom feed with one entry per `(id, link, thumbnail)`, dated `spacing` apart up to now.
fn atom(entries: &[(&str, &str, Option<&str>)], spacing: i64, extra: &str) -> String {
    let now = moa::now_unix();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\"><title>테스트 블로그</title>{extra}"
    );
    for (i, (id, link, thumb)) in entries.iter().enumerate() {
        let date = moa_feed::format_rfc3339(now - i as i64 * spacing);
        let thumb = thumb.map(|t| format!("<media:thumbnail url=\"{t}\"/>")).unwrap_or_default();
        xml.push_str(&format!(
            "<entry><id>{id}</id><title>글 {id} 제목입니다</title><link href=\"{link}\"/><updated>{date}</updated><summary>요약 {id}</summary>{thumb}</entry>"
        ));
    }
    xml.push_str("</feed>");
    xml
}

fn simple_feed(name: &str) -> String {
    atom(
        &[(&format!("urn:{name}:1"), &format!("https://{name}.example.com/1"), Some("https://img.example.com/1.png"))],
        HOUR,
        "",
    )
}

fn wait_of(s: &SourceRow) -> i64 {
    s.next_check_at - s.last_attempt_at.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_check_follows_the_posting_rate_and_never_undercuts_the_server() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    // 429 and 503 pause their whole host, so each gets a host of its own.
    let limited_server = Arc::new(TestServer::default());
    let b = limited_server.start("127.0.0.2").await;
    let busy_server = Arc::new(TestServer::default());
    let c = busy_server.start("127.0.0.3").await;
    let daily: Vec<(String, String)> =
        (0..10).map(|i| (format!("urn:d:{i}"), format!("https://d.example.com/{i}"))).collect();
    let daily: Vec<(&str, &str, Option<&str>)> = daily.iter().map(|(i, l)| (i.as_str(), l.as_str(), None)).collect();
    server.route("/daily", Reply::feed(atom(&daily, 24 * HOUR, "")));
    let rss_ttl = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><ttl>2880</ttl><item><title>하나</title><link>https://t.example.com/1</link></item></channel></rss>";
    server.route("/ttl", Reply::feed(rss_ttl));
    server.route("/max-age", Reply::feed(simple_feed("m")).with("cache-control", "public, max-age=172800"));
    let (date, expires) = (moa::now_unix(), moa::now_unix() + 3 * 24 * HOUR);
    let http_date = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap()
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap()
            .replace("+0000", "GMT")
    };
    server.route(
        "/expires",
        Reply::feed(simple_feed("e")).with("date", http_date(date)).with("expires", http_date(expires)),
    );
    limited_server.route("/limited", Reply::status(429).with("retry-after", "7200"));
    busy_server.route("/busy", Reply::status(503).with("retry-after", http_date(moa::now_unix() + 3 * HOUR)));
    let (_dir, store) = store_with(&[
        ("daily", format!("http://{a}/daily")),
        ("ttl", format!("http://{a}/ttl")),
        ("max-age", format!("http://{a}/max-age")),
        ("expires", format!("http://{a}/expires")),
        ("limited", format!("http://{b}/limited")),
        ("busy", format!("http://{c}/busy")),
    ])
    .await;
    let report = crawl_all(store.clone()).await;
    assert_eq!((report.sources_ok, report.sources_failed), (4, 2), "{:?}", report.failures);

    // Ten posts a day apart: checked about eight times per post (the gap measured up to now), ±10 %.
    let daily = source(&store, "daily").await;
    let expected = 9 * 24 * HOUR / 10 / 8;
    assert_eq!(daily.check_interval, Some(expected));
    assert!((expected * 9 / 10..=expected * 11 / 10 + 1).contains(&wait_of(&daily)), "{}", wait_of(&daily));
    // Server wishes beyond the 24 h maximum still win: RSS <ttl> 48 h, max-age 48 h, Expires in 72 h.
    assert!(wait_of(&source(&store, "ttl").await) >= 48 * HOUR);
    assert!(wait_of(&source(&store, "max-age").await) >= 48 * HOUR);
    assert!(wait_of(&source(&store, "expires").await) >= 72 * HOUR - 5);
    // Retry-After, in seconds or as a date.
    let limited = source(&store, "limited").await;
    assert_eq!(limited.last_error_kind, Some(ErrorKind::Throttled));
    assert!(wait_of(&limited) >= 2 * HOUR);
    let busy = source(&store, "busy").await;
    assert_eq!(busy.last_error_kind, Some(ErrorKind::Throttled));
    assert!(wait_of(&busy) >= 3 * HOUR - 5, "{}", wait_of(&busy));
    // Nothing is due now: a due-only crawl fetches nothing.
    let c = crawler(store.clone(), fetch_config());
    let again = c.run(Selection::Due { limit: 100 }).await.unwrap();
    assert_eq!(again.sources_ok + again.sources_failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_back_off_exponentially() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    server.route("/error", Reply::status(500));
    let (_dir, store) = store_with(&[("error", format!("http://{a}/error"))]).await;
    let mut intervals = Vec::new();
    for _ in 0..4 {
        crawl_all(store.clone()).await;
        let s = source(&store, "error").await;
        intervals.push(s.check_interval.unwrap() / 60);
        assert_eq!(s.last_error_kind, Some(ErrorKind::HttpStatus));
    }
    assert_eq!(intervals, [15, 30, 60, 120]);
    assert_eq!(source(&store, "error").await.consecutive_failures, 4);
    // A success ends the streak.
    server.route("/error", Reply::feed(simple_feed("x")));
    crawl_all(store.clone()).await;
    let s = source(&store, "error").await;
    assert_eq!((s.consecutive_failures, s.last_error_kind), (0, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_redirect_moves_the_feed_on_the_second_fetch_and_410_disables() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    server.route("/old", Reply::Redirect { status: 301, to: "/new".into() });
    server.route("/new", Reply::feed(simple_feed("n")));
    server.route("/temp", Reply::Redirect { status: 302, to: format!("http://{a}/temp-target") });
    server.route("/temp-target", Reply::feed(simple_feed("t")));
    server.route("/mixed", Reply::Redirect { status: 308, to: "/mixed-2".into() });
    server.route("/mixed-2", Reply::Redirect { status: 307, to: "/new".into() });
    server.route("/gone", Reply::status(410));
    server.route("/loop-a", Reply::Redirect { status: 302, to: "/loop-b".into() });
    server.route("/loop-b", Reply::Redirect { status: 302, to: "/loop-a".into() });
    for i in 0..8 {
        server.route(&format!("/chain{i}"), Reply::Redirect { status: 302, to: format!("/chain{}", i + 1) });
    }
    let sources: Vec<(&str, String)> =
        ["old", "temp", "mixed", "gone", "loop-a", "chain0"].iter().map(|p| (*p, format!("http://{a}/{p}"))).collect();
    let (_dir, store) = store_with(&sources).await;

    crawl_all(store.clone()).await;
    let old = source(&store, "old").await;
    assert_eq!((old.redirect_candidate.as_deref(), old.moved_to.as_deref()), (Some(&*format!("http://{a}/new")), None));
    let gone = source(&store, "gone").await;
    assert!(!gone.enabled);
    assert_eq!((gone.last_error_kind, gone.disabled_reason.as_deref()), (Some(ErrorKind::Gone), Some("HTTP 410")));
    let loop_a = source(&store, "loop-a").await;
    assert_eq!(loop_a.last_error_kind, Some(ErrorKind::Redirect));
    assert!(loop_a.last_error.unwrap().starts_with("redirect loop at"));
    let chain = source(&store, "chain0").await;
    assert_eq!(chain.last_error.as_deref(), Some("more than 5 redirects"));
    assert_eq!(server.hits_of("/chain6").len(), 0, "the sixth redirect is not followed");

    crawl_all(store.clone()).await;
    let old = source(&store, "old").await;
    assert_eq!(old.moved_to, Some(format!("http://{a}/new")), "seen on two fetches in a row");
    assert_eq!(old.fetch_url(), format!("http://{a}/new"));
    // Temporary redirects, and chains with a temporary hop, never move a feed.
    for id in ["temp", "mixed"] {
        let s = source(&store, id).await;
        assert_eq!((s.moved_to, s.redirect_candidate), (None, None), "{id}");
    }
    crawl_all(store.clone()).await;
    assert_eq!(server.hits_of("/old").len(), 2, "the third fetch goes to the new URL directly");
    assert_eq!(server.hits_of("/gone").len(), 1, "a gone feed is not fetched again");
    // Registry sync does not bring the gone feed back.
    let csv_sources = store.sources().await.unwrap().into_iter().map(|s| s.spec).collect::<Vec<_>>();
    store.sync_registry(&csv_sources, moa::now_unix()).await.unwrap();
    assert!(!source(&store, "gone").await.enabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_failure_kinds_and_a_broken_feed_stops_nothing() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    server.route("/slow", Reply::Slow { delay: Duration::from_secs(5), then: Box::new(Reply::feed(simple_feed("s"))) });
    server.route("/huge", Reply::feed(vec![b' '; 2 << 20]));
    server.route("/endless", Reply::Endless(64 << 20));
    let gzip = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let bomb = gzip(&vec![b' '; 256 << 20]);
    assert!(bomb.len() < 1 << 20, "a bomb: {} bytes expanding to 256 MiB", bomb.len());
    server.route("/bomb", Reply::Encoded("gzip", bomb));
    server.route("/gzip-ok", Reply::Encoded("gzip", gzip(&fixture("kr-s0okju.xml"))));
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &fixture("kr-zum-techblog.xml")[..], &mut br, &Default::default()).unwrap();
    server.route("/br-ok", Reply::Encoded("br", br));
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(&fixture("kr-cheese10yun-atom.xml")).unwrap();
    server.route("/deflate-ok", Reply::Encoded("deflate", deflate.finish().unwrap()));
    server.route(
        "/blocked",
        Reply::Status {
            status: 403,
            headers: vec![("cf-mitigated", "challenge".into())],
            body: "<html>Just a moment...</html>".into(),
        },
    );
    server.route(
        "/challenge-page",
        Reply::Body {
            body: b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1\"></script></body></html>".to_vec(),
            headers: vec![("content-type", "text/html".into())],
        },
    );
    server.route("/html", Reply::Body { body: b"<html><body>hello</body></html>".to_vec(), headers: vec![] });
    server.route(
        "/bad-json",
        Reply::Body {
            body: b"{\"version\": \"https://jsonfeed.org/version/1\", \"items\": [".to_vec(),
            headers: vec![],
        },
    );
    server.route("/error", Reply::status(500));
    server.route("/good", Reply::feed(fixture("kr-shin0102.xml")));
    let closed = common::closed_port();
    let sources = [
        ("slow", format!("http://{a}/slow")),
        ("huge", format!("http://{a}/huge")),
        ("endless", format!("http://{a}/endless")),
        ("bomb", format!("http://{a}/bomb")),
        ("gzip-ok", format!("http://{a}/gzip-ok")),
        ("br-ok", format!("http://{a}/br-ok")),
        ("deflate-ok", format!("http://{a}/deflate-ok")),
        ("blocked", format!("http://{a}/blocked")),
        ("challenge", format!("http://{a}/challenge-page")),
        ("html", format!("http://{a}/html")),
        ("bad-json", format!("http://{a}/bad-json")),
        ("error", format!("http://{a}/error")),
        ("dns", "http://no-such-host.invalid/feed".to_string()),
        ("connect", format!("http://127.0.0.1:{closed}/feed")),
        ("tls", format!("https://{a}/good")),
        ("good", format!("http://{a}/good")),
    ];
    let (_dir, store) = store_with(&sources).await;
    let config = FetchConfig { timeout: Duration::from_millis(1500), max_body_bytes: 1 << 20, ..fetch_config() };
    let report = crawler(store.clone(), config).run(Selection::All).await.unwrap();
    assert_eq!(report.sources_ok, 4, "{:?}", report.failures);
    let kinds: HashMap<String, (Option<ErrorKind>, String)> = store
        .sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.spec.id, (s.last_error_kind, s.last_error.unwrap_or_default())))
        .collect();
    let expect = [
        ("slow", ErrorKind::Timeout),
        ("huge", ErrorKind::TooLarge),
        ("endless", ErrorKind::TooLarge),
        ("bomb", ErrorKind::TooLarge),
        ("blocked", ErrorKind::Blocked),
        ("challenge", ErrorKind::Blocked),
        ("html", ErrorKind::NotAFeed),
        ("bad-json", ErrorKind::Parse),
        ("error", ErrorKind::HttpStatus),
        ("dns", ErrorKind::Dns),
        ("connect", ErrorKind::Connect),
        ("tls", ErrorKind::Tls),
    ];
    for (id, kind) in expect {
        assert_eq!(kinds[id].0, Some(kind), "{id}: {}", kinds[id].1);
    }
    assert_eq!(kinds["bomb"].1, "response body exceeds 1048576 bytes");
    assert_eq!(kinds["blocked"].1, "HTTP 403: blocked by bot protection (Cloudflare challenge)");
    for id in ["good", "gzip-ok", "br-ok", "deflate-ok"] {
        assert_eq!(kinds[id].0, None);
        assert!(store.count_posts(Some(id)).await.unwrap() > 5, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_after_redirects_too() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.2").await;
    let port = a.port();
    server.route("/feed", Reply::feed(simple_feed("f")));
    server
        .route("/to-metadata", Reply::Redirect { status: 302, to: "http://169.254.169.254/latest/meta-data/".into() });
    server.route("/to-localhost", Reply::Redirect { status: 302, to: format!("http://localhost:{port}/feed") });
    server.route("/to-self", Reply::Redirect { status: 302, to: format!("http://127.0.0.2:{port}/feed") });
    let (_dir, store) = store_with(&[
        ("metadata", format!("http://{a}/to-metadata")),
        ("localhost", format!("http://{a}/to-localhost")),
        ("self", format!("http://{a}/to-self")),
        ("direct", format!("http://127.0.0.3:{port}/feed")),
    ])
    .await;
    // Private networks refused, but for the one address of this test's server (an operator's intranet mirror).
    let config = FetchConfig {
        allow_private_networks: false,
        allowed_private_addresses: vec!["127.0.0.2".parse().unwrap()],
        ..fetch_config()
    };
    let report = crawler(store.clone(), config).run(Selection::All).await.unwrap();
    assert_eq!(report.sources_ok, 1, "{:?}", report.failures);
    for id in ["metadata", "localhost", "direct"] {
        let s = source(&store, id).await;
        assert_eq!(s.last_error_kind, Some(ErrorKind::PrivateNetwork), "{id}: {:?}", s.last_error);
    }
    assert!(
        source(&store, "localhost").await.last_error.unwrap().contains("localhost resolves to a non-public address")
    );
    assert_eq!(server.hits_of("/feed").len(), 1, "only the allowed address was reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_limits_spacing_and_user_agents() {
    let (one, two) = (Arc::new(TestServer::default()), Arc::new(TestServer::default()));
    let a = one.start("127.0.0.4").await;
    let b = two.start("127.0.0.5").await;
    let mut sources = Vec::new();
    for i in 0..10 {
        for (server, addr, host) in [(&one, a, "one"), (&two, b, "two")] {
            let feed = Reply::feed(simple_feed(&format!("{host}{i}")));
            server.route(&format!("/{i}"), Reply::Slow { delay: Duration::from_millis(150), then: Box::new(feed) });
            sources.push((format!("{host}-{i}"), format!("http://{addr}/{i}")));
        }
    }
    one.route("/ua", Reply::feed(simple_feed("ua")));
    sources.push(("custom-ua".into(), format!("http://{a}/ua")));
    let sources: Vec<(&str, String)> = sources.iter().map(|(i, u)| (i.as_str(), u.clone())).collect();
    let (_dir, store) = store_with(&sources).await;
    let config = FetchConfig {
        per_host_concurrency: 2,
        per_host_spacing: Duration::from_millis(100),
        concurrency: 16,
        ..fetch_config()
    };
    let mut c = crawler(store.clone(), config);
    c.options.concurrency = 32;
    let report = c.run(Selection::All).await.unwrap();
    assert_eq!(report.sources_ok, 21, "{:?}", report.failures);
    assert_eq!(one.peak("127.0.0.4"), 2, "two at a time to one host, no more");
    assert_eq!(two.peak("127.0.0.5"), 2);
    let mut starts: Vec<_> = one.hits().iter().map(|h| h.at).collect();
    starts.sort();
    for w in starts.windows(2) {
        assert!(w[1] - w[0] >= Duration::from_millis(60), "starts {:?} apart", w[1] - w[0]);
    }
    let uas: Vec<String> = one.hits().iter().map(|h| h.user_agent.clone()).collect();
    assert_eq!(uas.iter().filter(|u| *u == "moa-test").count(), 10);
    assert_eq!(one.hits_of("/ua")[0].user_agent, "CustomBot/1.0 (+https://example.com/bot)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_posts_without_a_picture_get_the_article_pages_og_image_once() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    let page = |head: &str| Reply::Body {
        body: format!("<!doctype html><html><head>{head}</head><body>본문</body></html>").into_bytes(),
        headers: vec![("content-type", "text/html".into())],
    };
    server.route("/p1", page("<meta property=\"og:image\" content=\"/img/og1.png\">"));
    server.route("/p2", page("<meta name=\"twitter:image\" content=\"https://cdn.example.com/t2.jpg\">"));
    server.route("/p3", page("<title>no picture</title>"));
    let mut late = vec![b' '; 300 * 1024];
    late.extend_from_slice(b"<meta property=\"og:image\" content=\"https://cdn.example.com/too-late.png\">");
    server.route("/p4", Reply::Body { body: late, headers: vec![] });
    let links: Vec<String> = (1..=5).map(|i| format!("http://{a}/p{i}")).collect();
    let entries = |suffix: &str| -> Vec<(String, String, Option<&'static str>)> {
        (0..5)
            .map(|i| {
                (
                    format!("urn:p:{}{suffix}", i + 1),
                    links[i].clone(),
                    (i == 4).then_some("https://cdn.example.com/feed5.png"),
                )
            })
            .collect()
    };
    let render = |e: &[(String, String, Option<&'static str>)], extra: &str| {
        let refs: Vec<(&str, &str, Option<&str>)> = e.iter().map(|(i, l, t)| (i.as_str(), l.as_str(), *t)).collect();
        atom(&refs, HOUR, extra)
    };
    server.route("/feed", Reply::feed(render(&entries(""), "")));
    let (_dir, store) = store_with(&[("blog", format!("http://{a}/feed"))]).await;
    let mut c = crawler(store.clone(), fetch_config());
    c.options.page_images = true;
    let report = c.run(Selection::All).await.unwrap();
    assert_eq!((report.new_posts, report.images_found), (5, 2));
    let thumbs = || async {
        let mut posts = store.posts(&PostQuery { limit: 10, ..Default::default() }).await.unwrap();
        posts.sort_by(|x, y| x.entry_id.cmp(&y.entry_id));
        posts.into_iter().map(|p| p.thumbnail).collect::<Vec<_>>()
    };
    let expected = vec![
        Some(format!("http://{a}/img/og1.png")),
        Some("https://cdn.example.com/t2.jpg".to_string()),
        None,
        None, // its og:image lies past the first 256 KiB
        Some("https://cdn.example.com/feed5.png".to_string()),
    ];
    assert_eq!(thumbs().await, expected);
    assert_eq!(server.hits_of("/p5").len(), 0, "the feed gave its picture");
    // Edited posts are not new: their pages are not read again, and the found pictures stay.
    server.route(
        "/feed",
        Reply::feed(render(&entries(""), "<subtitle>바뀐 설명</subtitle>").replace("요약", "고친 요약")),
    );
    let second = c.run(Selection::All).await.unwrap();
    assert_eq!((second.updated_posts, second.images_found), (5, 0));
    for p in ["/p1", "/p2", "/p3", "/p4"] {
        assert_eq!(server.hits_of(p).len(), 1, "{p} read once");
    }
    assert_eq!(thumbs().await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undated_posts_take_their_pages_date_a_few_pages_a_crawl_and_dead_hosts_are_passed_over() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    let page = |head: &str| Reply::Body {
        body: format!("<!doctype html><html><head>{head}</head><body><p>본문</p></body></html>").into_bytes(),
        headers: vec![("content-type", "text/html".into())],
    };
    let now = moa::now_unix();
    server.route("/u1", page(r#"<meta property="article:published_time" content="2024-02-14T17:44:19+09:00">"#));
    server.route("/u2", page(r#"<script type="application/ld+json">{"datePublished":"2023-09-12"}</script>"#));
    server.route("/u3", page(r#"<meta property="article:published_time" content="2199-01-01T00:00:00Z">"#));
    server.route("/u4", page("<title>no date</title>"));
    // A host nothing answers on: its pages cost one refused connection, not one wait each.
    let dead = format!("127.0.0.2:{}", common::closed_port());
    let dated = (0..3).map(|i| {
        let date = moa_feed::format_rfc3339(now - (i + 1) * HOUR);
        format!("<item><title>날짜 있는 글 {i}</title><link>http://{a}/d{i}</link><pubDate>{date}</pubDate><description>본문이 있는 글입니다. 요약도 있습니다.</description><media:thumbnail url=\"https://img.example.com/{i}.png\"/></item>")
    });
    let undated = ["u1", "u2", "u3", "u4"]
        .into_iter()
        .map(|u| format!("http://{a}/{u}"))
        .chain([format!("http://{dead}/x1"), format!("http://{dead}/x2")]);
    let undated = undated.enumerate().map(|(i, link)| {
        format!("<item><title>날짜 없는 글 {i}</title><link>{link}</link><description>날짜는 없지만 본문은 있는 글입니다. 페이지에 날짜가 있습니다.</description><media:thumbnail url=\"https://img.example.com/u{i}.png\"/></item>")
    });
    let feed = format!(
        "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><title>블로그</title><link>http://{a}/</link>{}{}</channel></rss>",
        dated.collect::<String>(),
        undated.collect::<String>()
    );
    // The feed does not change after the first fetch: pages left to read are read after a 304 too.
    let not_modified = Reply::Status { status: 304, headers: vec![("etag", "\"v1\"".into())], body: String::new() };
    server.route("/feed", Reply::seq(vec![Reply::feed(feed).with("etag", "\"v1\""), not_modified]));
    let (_dir, store) = store_with(&[("blog", format!("http://{a}/feed"))]).await;
    let mut c = crawler(store.clone(), fetch_config());
    c.options.page_images = true;
    c.options.pages_per_source = 3;

    let first = c.run(Selection::All).await.unwrap();
    assert_eq!((first.new_posts, first.dates_found), (9, 2), "three pages a crawl: u1, u2, u3 (newest first)");
    let second = c.run(Selection::All).await.unwrap();
    assert_eq!(second.sources_unchanged, 1, "the feed answered 304");
    assert_eq!(second.dates_found, 0, "u4 states no date; the dead host is passed over");
    let third = c.run(Selection::All).await.unwrap();
    assert_eq!(third.dates_found, 0);
    for p in ["/u1", "/u2", "/u3", "/u4"] {
        assert_eq!(server.hits_of(p).len(), 1, "{p} read once");
    }
    for p in ["/d0", "/d1", "/d2"] {
        assert!(server.hits_of(p).is_empty(), "{p}: a dated, pictured post needs no visit");
    }
    // The dead host refused once and is passed over; its pages stay to be read when it is back.
    assert!(c.unreachable_hosts.lock().unwrap().contains_key("127.0.0.2"));
    let left: Vec<String> = store.pages_to_visit("blog", 10).await.unwrap().into_iter().map(|v| v.url).collect();
    assert_eq!(left, [format!("http://{dead}/x1"), format!("http://{dead}/x2")]);

    let posts = store.posts(&PostQuery { limit: 20, ..Default::default() }).await.unwrap();
    let by_title: HashMap<&str, &moa_store::Post> = posts.iter().map(|p| (p.title.as_str(), p)).collect();
    let date = |title: &str| by_title[title].published_at.map(moa_feed::format_rfc3339);
    assert_eq!(date("날짜 없는 글 0").as_deref(), Some("2024-02-14T08:44:19Z"));
    assert_eq!(date("날짜 없는 글 1").as_deref(), Some("2023-09-11T15:00:00Z"), "a date alone is read in KST");
    assert_eq!(date("날짜 없는 글 2"), None, "a page dated in the future is wrong about its date");
    assert_eq!(date("날짜 없는 글 3"), None);
    // The first crawl listed the undated posts after the dated ones; dated by their pages, they moved.
    let order: Vec<&str> = posts.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(&order[..3], ["날짜 있는 글 0", "날짜 있는 글 1", "날짜 있는 글 2"], "{order:?}");
    assert_eq!(order[8], "날짜 없는 글 1", "dated 2023 by its page: {order:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sources_fetch_time_leaves_out_the_wait_for_its_hosts_turn() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    let ids = ["one", "two", "three"];
    for id in ids {
        server.route(&format!("/{id}"), Reply::feed(simple_feed(id)));
    }
    let sources: Vec<(&str, String)> = ids.iter().map(|id| (*id, format!("http://{a}/{id}"))).collect();
    let (_dir, store) = store_with(&sources).await;
    let spacing = Duration::from_millis(1500);
    let c =
        crawler(store.clone(), FetchConfig { per_host_spacing: spacing, per_host_concurrency: 1, ..fetch_config() });
    let report = c.run(Selection::All).await.unwrap();
    assert_eq!(report.sources_ok, 3);
    // The three fetches waited 0, 1.5 and 3 s for the host's turn; none of that is the source's.
    for id in ids {
        let ms = source(&store, id).await.health.fetch_ms_total;
        assert!(ms < spacing.as_millis() as i64, "{id}: {ms} ms recorded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_delivered_retried_and_never_hold_up_the_crawl() {
    let feeds = Arc::new(TestServer::default());
    let a = feeds.start("127.0.0.1").await;
    feeds.route("/feed", Reply::feed(fixture("kr-s0okju.xml")));
    let hooks = Arc::new(TestServer::default());
    let h = hooks.start("127.0.0.1").await;
    hooks.route("/flaky", Reply::seq(vec![Reply::status(500), Reply::status(503), Reply::status(204)]));
    hooks.route("/refuses", Reply::status(400));
    hooks.route("/slack", Reply::status(200));
    let release = Arc::new(tokio::sync::Notify::new());
    hooks.route("/held", Reply::Hold(release.clone(), Box::new(Reply::status(200))));
    let hook = |path: &str, format| Webhook { url: format!("http://{h}{path}"), format };
    let delivery = Delivery { attempts: 5, retry_base: Duration::from_millis(20) };
    let notifier = Notifier::start(
        vec![
            hook("/flaky", WebhookFormat::Json),
            hook("/refuses", WebhookFormat::Json),
            hook("/slack", WebhookFormat::Slack),
            hook("/held", WebhookFormat::Discord),
        ],
        delivery,
        moa::ingest::fetch::Fetcher::new(fetch_config()).unwrap(),
    )
    .unwrap()
    .unwrap();
    let (_dir, store) = store_with(&[("blog", format!("http://{a}/feed"))]).await;
    let mut c = crawler(store.clone(), fetch_config());
    c.notifier = Some(notifier.clone());
    let report = c.run(Selection::All).await.unwrap();
    let new = report.new_posts as usize;
    assert!(new > 5);
    // The crawl is over while a receiver still holds its delivery.
    for _ in 0..100 {
        if !hooks.hits_of("/held").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hooks.hits_of("/held").len(), 1);
    release.notify_one();
    notifier.close(Duration::from_secs(10)).await;

    let flaky = hooks.hits_of("/flaky");
    assert_eq!(flaky.len(), 3, "two failures, then delivered");
    let payload: serde_json::Value = serde_json::from_str(&flaky[2].body).unwrap();
    assert_eq!(payload["event"], "new_posts");
    assert_eq!(payload["source"]["id"], "blog");
    assert_eq!(payload["posts"].as_array().unwrap().len(), new);
    assert!(payload["posts"][0]["url"].as_str().unwrap().starts_with("http"));
    assert_eq!(hooks.hits_of("/refuses").len(), 1, "a 400 is not retried");
    let slack: serde_json::Value = serde_json::from_str(&hooks.hits_of("/slack")[0].body).unwrap();
    assert!(slack["text"].as_str().unwrap().starts_with(&format!("회사 blog: 새 글 {new}개\n• <http")));
    let discord: serde_json::Value = serde_json::from_str(&hooks.hits_of("/held")[0].body).unwrap();
    assert!(discord["content"].as_str().unwrap().contains("](http"));

    // Nothing new, nothing announced.
    hooks.clear();
    let notifier = Notifier::start(
        vec![hook("/slack", WebhookFormat::Slack)],
        Delivery { attempts: 1, retry_base: Duration::from_millis(1) },
        moa::ingest::fetch::Fetcher::new(fetch_config()).unwrap(),
    )
    .unwrap()
    .unwrap();
    c.notifier = Some(notifier.clone());
    c.run(Selection::All).await.unwrap();
    notifier.close(Duration::from_secs(5)).await;
    assert!(hooks.hits().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websub_subscribe_verify_push_and_renew() {
    let hub = Arc::new(TestServer::default());
    let hub_addr = hub.start("127.0.0.1").await;
    hub.route("/hub", Reply::status(202));
    let feeds = Arc::new(TestServer::default());
    let a = feeds.start("127.0.0.1").await;
    let topic = format!("http://{a}/feed");
    let links = format!("<link rel=\"hub\" href=\"http://{hub_addr}/hub\"/><link rel=\"self\" href=\"{topic}\"/>");
    let first = atom(&[("urn:w:1", "https://w.example.com/1", None)], HOUR, &links);
    feeds.route("/feed", Reply::feed(first));
    let (_dir, store) = store_with(&[("blog", topic.clone())]).await;

    // moa's web server: the callback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web: SocketAddr = listener.local_addr().unwrap();
    let app = moa::web::router(moa::web::AppState::new(store.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let public_url = moa_feed::Url::parse(&format!("http://{web}/")).unwrap();
    let mut c = crawler(store.clone(), fetch_config());
    c.websub = Some(moa::ingest::websub::WebSub { store: store.clone(), fetcher: c.fetcher.clone(), public_url });
    c.run(Selection::All).await.unwrap();

    // The subscription request.
    let requests = hub.hits_of("/hub");
    assert_eq!(requests.len(), 1);
    let form: HashMap<String, String> = url::form_urlencoded::parse(requests[0].body.as_bytes()).into_owned().collect();
    assert_eq!(form["hub.mode"], "subscribe");
    assert_eq!(form["hub.topic"], topic);
    let callback = form["hub.callback"].clone();
    assert!(callback.starts_with(&format!("http://{web}/websub/blog?token=")), "{callback}");
    let secret = form["hub.secret"].clone();
    assert_eq!(secret.len(), 64);
    assert_eq!(store.subscription("blog").await.unwrap().unwrap().state, moa_store::SubscriptionState::Pending);

    // The hub verifies the intent at the callback it was given: a wrong topic is refused, the right one
    // gets its challenge back. Anyone else (the topic is public, the token is not) is refused, and cannot
    // deny the subscription either.
    let client = reqwest::Client::new();
    let verify = |url: String, mode: &'static str, topic: String, lease: &'static str| {
        let client = client.clone();
        async move {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("hub.mode", mode),
                    ("hub.topic", &topic),
                    ("hub.challenge", "c-123"),
                    ("hub.lease_seconds", lease),
                ])
                .finish();
            let joiner = if url.contains('?') { '&' } else { '?' };
            let r = client.get(format!("{url}{joiner}{query}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let bare = format!("http://{web}/websub/blog");
    assert_eq!(verify(callback.clone(), "subscribe", format!("http://{a}/other"), "864000").await.0, 404);
    assert_eq!(verify(bare.clone(), "denied", topic.clone(), "864000").await.0, 404);
    assert_eq!(verify(format!("{bare}?token=00"), "denied", topic.clone(), "864000").await.0, 404);
    assert_eq!(verify(bare.clone(), "subscribe", topic.clone(), "864000").await.0, 404);
    assert_eq!(store.subscription("blog").await.unwrap().unwrap().state, moa_store::SubscriptionState::Pending);
    assert_eq!(verify(callback.clone(), "subscribe", topic.clone(), "864000").await, (200, "c-123".to_string()));
    let active = store.subscription("blog").await.unwrap().unwrap();
    assert_eq!(active.state, moa_store::SubscriptionState::Active);
    let lease = active.lease_expires_at.unwrap() - moa::now_unix();
    assert!((863_990..=864_000).contains(&lease), "{lease}");
    // A lease that would overflow is bounded to a year.
    verify(callback.clone(), "subscribe", topic.clone(), "9223372036854775807").await;
    let lease = store.subscription("blog").await.unwrap().unwrap().lease_expires_at.unwrap() - moa::now_unix();
    assert!((365 * 86_400 - 10..=365 * 86_400).contains(&lease), "{lease}");

    // Pushes: a forged one is ignored, a signed one is stored at once.
    let pushed = atom(
        &[("urn:w:2", "https://w.example.com/2", None), ("urn:w:1", "https://w.example.com/1", None)],
        HOUR,
        &links,
    );
    let push = |signature: String| {
        let (client, body) = (client.clone(), pushed.clone());
        async move {
            let r = client
                .post(format!("http://{web}/websub/blog"))
                .header("content-type", "application/atom+xml")
                .header("x-hub-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }
    };
    assert_eq!(push(moa::ingest::websub::sign("not the secret", pushed.as_bytes())).await, 202);
    assert_eq!(store.count_posts(Some("blog")).await.unwrap(), 1);
    assert_eq!(push(moa::ingest::websub::sign(&secret, pushed.as_bytes())).await, 204);
    assert_eq!(store.count_posts(Some("blog")).await.unwrap(), 2);

    // A fetch with the lease nearly out renews it; with time left, it does not ask again.
    c.run(Selection::All).await.unwrap();
    assert_eq!(hub.hits_of("/hub").len(), 1);
    let mut nearly_out = store.subscription("blog").await.unwrap().unwrap();
    nearly_out.lease_expires_at = Some(moa::now_unix() + 600);
    store.save_subscription(&nearly_out).await.unwrap();
    c.run(Selection::All).await.unwrap();
    assert_eq!(hub.hits_of("/hub").len(), 2, "renewed");
}
