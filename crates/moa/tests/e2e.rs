//! End to end over loopback: a local HTTP server serves real Korean feeds, moa crawls them into a real
//! SQLite file twice, and the page lists them newest first with company names, titles and KST dates.

mod common;

use std::time::Duration;

use common::{KOREAN_FEEDS, crawl_all, expected_posts, fetch_config, registry_csv, start_feed_server};
use moa::ingest::fetch::{FetchConfig, Fetcher};
use moa::web;

/// `<time datetime="…">` values of a page, in order.
fn datetimes(html: &str) -> Vec<String> {
    html.split("<time datetime=\"").skip(1).filter_map(|s| s.split('"').next()).map(String::from).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_twice_then_browse() {
    let addr = start_feed_server(KOREAN_FEEDS, Duration::ZERO).await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let registry_path = dir.path().join("sources.csv");
    std::fs::write(&registry_path, registry_csv(addr, KOREAN_FEEDS, true)).unwrap();
    let sources = moa::ingest::registry::load(&registry_path).unwrap();
    let store = dir.open().await;
    store.sync_registry(&sources, moa::now_unix()).await.unwrap();

    let expected: usize = KOREAN_FEEDS.iter().map(|n| expected_posts(n, &format!("http://{addr}/feeds/{n}"))).sum();
    assert!(expected > 100, "fixtures hold {expected} posts");

    let first = crawl_all(store.clone()).await;
    assert_eq!(first.sources_ok, KOREAN_FEEDS.len());
    assert_eq!(first.sources_failed, 3, "{:?}", first.failures);
    assert_eq!(first.new_posts as usize, expected);
    let failures: Vec<_> = first.failures.iter().map(|(id, e)| format!("{id}: {e}")).collect();
    assert_eq!(failures[0], "broken: HTTP 500");
    assert!(failures[1].starts_with("dead: ") && failures[1].contains("Connection refused"), "{}", failures[1]);
    assert!(failures[2].starts_with("notfeed: not a feed"), "{}", failures[2]);

    let second = crawl_all(store.clone()).await;
    assert_eq!((second.new_posts, second.updated_posts), (0, 0));
    assert_eq!(store.count_posts(None).await.unwrap() as usize, expected);

    let state = store.sources().await.unwrap();
    let broken = state.iter().find(|s| s.spec.id == "broken").unwrap();
    assert_eq!((broken.consecutive_failures, broken.last_error.as_deref()), (2, Some("HTTP 500")));
    assert!(state.iter().filter(|s| s.spec.id.starts_with("src")).all(|s| s.last_success_at.is_some()));

    // The web page, over real HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web_addr = listener.local_addr().unwrap();
    let search = moa::search::Search::in_memory_following(store.clone()).await.unwrap();
    let app = web::router(web::AppState::new(store.clone()).with_search(search));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        async move {
            let r = client.get(format!("http://{web_addr}{path}")).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        }
    };

    let (status, home) = get("/".into()).await;
    assert_eq!(status, 200);
    assert!(home.contains("<title>기술 블로그 모음</title>"));
    let newest = store.posts(&moa_store::PostQuery { limit: 20, ..Default::default() }).await.unwrap();
    for p in &newest {
        assert!(home.contains(&html_escape(&p.title)), "home lacks {:?}", p.title);
        assert!(home.contains(&p.source_name_ko));
    }
    let times = datetimes(&home);
    assert_eq!(times.len(), web::PAGE_SIZE as usize);
    assert!(times.iter().all(|t| t.ends_with("+09:00")), "dates not in KST: {times:?}");
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "not newest first: {times:?}");
    // Relative time on the card, the absolute KST date on hover; a post's tags (at most three).
    assert_eq!(home.matches("\" title=\"20").count(), web::PAGE_SIZE as usize, "absolute dates on hover");
    assert_eq!(home.matches("<span class=\"badge c").count(), web::PAGE_SIZE as usize, "a company badge per card");
    assert!(
        home.contains("aria-hidden=\"true\">회</span> <a class=\"company\""),
        "the badge is the name's first letter"
    );
    if let Some(tag) = newest.iter().find_map(|p| p.categories.first()) {
        assert!(home.contains(&format!("\">{}</a></li>", html_escape(tag))), "tags shown: {tag}");
    }

    // Following "next" pages walks every post exactly once, newest first.
    let mut seen = times.len();
    let mut page = home;
    let mut all_times = times;
    while let Some(next) = page.split("rel=\"next\" href=\"").nth(1).and_then(|s| s.split('"').next()) {
        let (status, body) = get(next.replace("&amp;", "&")).await;
        assert_eq!(status, 200);
        let t = datetimes(&body);
        seen += t.len();
        all_times.extend(t);
        page = body;
    }
    // The same article in two of the fixture feeds (one author's Tistory and WordPress blogs) is listed once.
    let listed = store.posts(&moa_store::PostQuery { limit: 10_000, ..Default::default() }).await.unwrap();
    let all = moa_store::PostQuery { limit: 10_000, include_duplicates: true, ..Default::default() };
    let all = store.posts(&all).await.unwrap();
    let hidden: Vec<_> = all.iter().filter(|p| !listed.iter().any(|l| l.id == p.id)).collect();
    for p in &hidden {
        assert!(
            listed.iter().any(|l| l.title == p.title && l.source_id != p.source_id),
            "{} hidden for no twin",
            p.title
        );
    }
    eprintln!("hidden duplicates: {:?}", hidden.iter().map(|p| (&p.source_id, &p.title)).collect::<Vec<_>>());
    assert_eq!(all.len(), expected);
    assert_eq!(seen, listed.len());
    assert!(all_times.windows(2).all(|w| w[0] >= w[1]), "pages out of order");

    // The company filter shows that company's posts only.
    let (status, filtered) = get("/company/src3".into()).await;
    assert_eq!(status, 200);
    let src3_posts = store.count_posts(Some("src3")).await.unwrap() as usize;
    assert_eq!(datetimes(&filtered).len(), src3_posts.min(20));
    assert!(filtered.contains("<h1 class=\"company\">회사3 기술블로그"));
    assert_eq!(filtered.matches("class=\"company\" href=\"/company/").count(), src3_posts.min(20));
    assert!(!filtered.contains("href=\"/company/src4\">"), "another company's card leaked into the filter");
    assert!(filtered.contains(&format!("글 {src3_posts}개 · 구독: <a href=\"/company/src3/feed.xml\">RSS</a>")));
    assert_eq!(get("/company/nope".into()).await.0, 404);
    // The first version's filter address still leads there.
    assert_eq!(get("/?company=src3".into()).await.1, filtered);
    // The directory: every company with posts, with its count.
    let (status, directory) = get("/companies".into()).await;
    assert_eq!(status, 200);
    assert!(directory.contains(&format!("<a href=\"/company/src3\">회사3 기술블로그</a></td><td>{src3_posts}</td>")));
    assert!(!directory.contains("/company/broken"), "a company without posts is not listed");
    assert_eq!(get("/nope".into()).await.0, 404);

    // Feeds out read back with moa's own parser: the newest 50 posts, in order, with their links.
    let newest = store.posts(&moa_store::PostQuery { limit: 50, ..Default::default() }).await.unwrap();
    let of_src3 = moa_store::PostQuery { source_id: Some("src3".into()), limit: 50, ..Default::default() };
    let src3 = store.posts(&of_src3).await.unwrap();
    for (path, expected) in [
        ("/feed.xml", &newest),
        ("/atom.xml", &newest),
        ("/feed.json", &newest),
        ("/company/src3/feed.xml", &src3),
        ("/company/src3/atom.xml", &src3),
        ("/company/src3/feed.json", &src3),
    ] {
        let (status, body) = get(path.into()).await;
        assert_eq!(status, 200, "{path}");
        let feed = moa_feed::parse(body.as_bytes(), &moa_feed::ParseOptions::default()).unwrap();
        assert!(feed.warnings.is_empty(), "{path}: {:?}", feed.warnings);
        assert_eq!(feed.self_url.as_deref(), Some(&*format!("http://{web_addr}{path}")), "{path}");
        let links: Vec<_> = feed.entries.iter().map(|e| e.link.clone()).collect();
        let want: Vec<_> = expected.iter().map(|p| p.url.clone()).collect();
        assert_eq!(links, want, "{path}");
        let titles: Vec<_> = feed.entries.iter().map(|e| e.title.clone()).collect();
        assert_eq!(titles, expected.iter().map(|p| p.title.clone()).collect::<Vec<_>>(), "{path}");
    }
    assert_eq!(get("/company/nope/feed.xml".into()).await.0, 404);
    assert!(filtered.contains("<link rel=\"alternate\" type=\"application/rss+xml\""), "pages name the feed");

    // The registry as OPML, the sitemap, robots.txt.
    let (status, opml) = get("/sources.opml".into()).await;
    assert_eq!(status, 200);
    let outlines = moa_feed::parse_opml(&opml).unwrap();
    let enabled: Vec<_> = store.sources().await.unwrap().into_iter().filter(|s| s.enabled).collect();
    assert_eq!(outlines.len(), enabled.len());
    assert!(outlines.iter().any(|o| o.xml_url == format!("http://{addr}/feeds/{}", KOREAN_FEEDS[0])));
    // The export imports again as a registry (`--sources FILE.opml`): the same feeds.
    let exported = dir.path().join("exported.opml");
    std::fs::write(&exported, &opml).unwrap();
    let mut imported: Vec<_> =
        moa::ingest::registry::load(&exported).unwrap().into_iter().map(|s| s.feed_url).collect();
    let mut want: Vec<_> = enabled.iter().map(|s| s.fetch_url().to_string()).collect();
    imported.sort();
    want.sort();
    assert_eq!(imported, want);
    let (_, sitemap) = get("/sitemap.xml".into()).await;
    assert!(sitemap.contains(&format!("<loc>http://{web_addr}/</loc>")));
    assert!(sitemap.contains(&format!("<loc>http://{web_addr}/company/src3</loc>")));
    assert!(!sitemap.contains("company/broken"), "companies without posts are left out");
    let (_, robots) = get("/robots.txt".into()).await;
    assert!(robots.contains(&format!("Sitemap: http://{web_addr}/sitemap.xml")));

    // Outbound links go through /go/ID: counted once per reader per window, never for bots, then 302.
    let home_now = get("/".into()).await.1;
    let (first, second) = (&newest[0], &newest[1]);
    assert!(home_now.contains(&format!("href=\"/go/{}\"", first.id)), "cards link through /go/");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let click = |id: i64, ua: &'static str| {
        let c = no_redirects.clone();
        async move {
            let r = c.get(format!("http://{web_addr}/go/{id}")).header("user-agent", ua).send().await.unwrap();
            let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
            (r.status().as_u16(), location)
        }
    };
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const SAFARI: &str =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile Safari/604.1";
    assert_eq!(click(first.id, FIREFOX).await, (302, first.url.clone()));
    assert_eq!(click(first.id, FIREFOX).await.0, 302, "a repeat still goes through");
    assert_eq!(click(first.id, "Googlebot/2.1 (+http://www.google.com/bot.html)").await.0, 302);
    assert_eq!(click(first.id, SAFARI).await.0, 302);
    assert_eq!(click(second.id, FIREFOX).await.0, 302);
    assert_eq!(click(999_999_999, FIREFOX).await.0, 404);
    assert_eq!(
        store.post(first.id).await.unwrap().unwrap().clicks,
        2,
        "two readers; the repeat and the bot not counted"
    );
    assert_eq!(store.post(second.id).await.unwrap().unwrap().clicks, 1);
    // The fixtures' posts are years old: clicked or not, they are past the popular list's 30 days.
    let (status, popular) = get("/popular".into()).await;
    assert_eq!(status, 200);
    assert!(popular.contains("아직 인기 글이 없습니다") && !popular.contains(&html_escape(&first.title)));

    // Dark mode: the system's by default, a toggle script from this site only (the CSP allows no other).
    assert!(home_now.contains("<script src=\"/static/theme.js\"></script>"));
    assert!(
        home_now.contains("id=\"theme-toggle\"") && home_now.contains(" hidden>"),
        "the toggle waits for its script"
    );
    let (status, js) = get("/static/theme.js".into()).await;
    assert_eq!(status, 200);
    assert!(js.contains("localStorage") && !js.contains("document.cookie"));
    let csp = client.get(format!("http://{web_addr}/")).send().await.unwrap();
    let csp = csp.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");

    // The search box on every page, and its full-text search.
    assert!(home_now.contains("<form class=\"search\" role=\"search\" action=\"/search\""));
    let word = newest[3].title.split_whitespace().max_by_key(|w| w.chars().count()).unwrap().to_string();
    let (status, results) =
        get(format!("/search?q={}", url::form_urlencoded::byte_serialize(word.as_bytes()).collect::<String>())).await;
    assert_eq!(status, 200);
    assert!(results.contains(&format!("href=\"/go/{}\"", newest[3].id)), "searching {word:?} finds its post");
    assert!(results.contains(&format!("value=\"{}\"", html_escape(&word))), "the box keeps the query");
    let (_, hostile) = get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E".into()).await;
    assert!(
        !hostile.contains("<script>alert(1)") && hostile.contains("&#60;script&#62;alert(1)"),
        "the query is escaped"
    );
    assert!(get("/search?q=".into()).await.1.contains("찾을 낱말을 입력해 주세요"));

    // br and gzip when the reader accepts them; the same bytes once decoded.
    let raw = reqwest::Client::builder().no_gzip().no_brotli().no_deflate().build().unwrap();
    for path in ["/", "/feed.xml", "/api/v1/posts"] {
        let url = format!("http://{web_addr}{path}");
        let fetch = |encoding: &'static str| {
            let (raw, url) = (raw.clone(), url.clone());
            async move {
                let r = raw.get(url).header("accept-encoding", encoding).send().await.unwrap();
                let got = r.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
                (got, r.bytes().await.unwrap().to_vec())
            }
        };
        let (none, plain) = fetch("identity").await;
        assert_eq!(none, None, "{path}");
        let (br, compressed) = fetch("br").await;
        assert_eq!(br.as_deref(), Some("br"), "{path}");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &compressed[..], &mut decoded).unwrap();
        assert!(compressed.len() < plain.len() / 2, "{path}: {} of {} bytes", compressed.len(), plain.len());
        let (gzip, compressed) = fetch("gzip").await;
        assert_eq!(gzip.as_deref(), Some("gzip"), "{path}");
        let mut gunzipped = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut gunzipped).unwrap();
        // A page renders the relative times of its moment ("방금" may have become "1분 전"); feeds do not move.
        if path == "/" {
            assert!(String::from_utf8(decoded).unwrap().starts_with("<!doctype html>"));
            assert!(String::from_utf8(gunzipped).unwrap().starts_with("<!doctype html>"));
        } else {
            assert_eq!(decoded, plain, "{path}");
            assert_eq!(gunzipped, plain, "{path}");
        }
    }

    // Conditional requests: an ETag on pages and feeds, and a bodiless 304 when the reader has it.
    for path in ["/", "/feed.xml", "/company/src3", "/sources.opml"] {
        let url = format!("http://{web_addr}{path}");
        let first = client.get(&url).send().await.unwrap();
        let etag = first.headers().get("etag").expect("an ETag").to_str().unwrap().to_string();
        assert!(first.headers().get("cache-control").is_some(), "{path}");
        let again = client.get(&url).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert!(again.bytes().await.unwrap().is_empty());
        let stale = client.get(&url).header("if-none-match", "\"other\"").send().await.unwrap();
        assert_eq!(stale.status().as_u16(), 200, "{path}");
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&#34;").replace('\'', "&#39;")
}

#[tokio::test]
async fn loopback_is_refused_by_default() {
    let addr = start_feed_server(&["kr-wordpress-mike7dk.xml"], Duration::ZERO).await;
    let fetcher = Fetcher::new(FetchConfig { allow_private_networks: false, ..fetch_config() }).unwrap();
    let by_ip = fetcher.get(&format!("http://{addr}/feeds/kr-wordpress-mike7dk.xml")).await;
    let by_name = fetcher.get(&format!("http://localhost:{}/feeds/kr-wordpress-mike7dk.xml", addr.port())).await;
    for result in [by_ip, by_name] {
        let err = result.err().expect("loopback must be refused").to_string();
        assert!(err.starts_with("refused:"), "{err}");
    }
    let allowed = Fetcher::new(fetch_config()).unwrap();
    assert!(allowed.get(&format!("http://{addr}/feeds/kr-wordpress-mike7dk.xml")).await.is_ok());
}

#[tokio::test]
async fn slow_and_oversized_responses_are_cut_off() {
    let name = "kr-tistory-mike3dk.xml";
    let slow = start_feed_server(&[name], Duration::from_secs(3)).await;
    let fetcher = Fetcher::new(FetchConfig { timeout: Duration::from_millis(300), ..fetch_config() }).unwrap();
    let err = fetcher.get(&format!("http://{slow}/feeds/{name}")).await.err().expect("must time out");
    assert_eq!(err.to_string(), "timed out");

    let fast = start_feed_server(&[name], Duration::ZERO).await;
    let small = Fetcher::new(FetchConfig { max_body_bytes: 1000, ..fetch_config() }).unwrap();
    let err = small.get(&format!("http://{fast}/feeds/{name}")).await.err().expect("must exceed the cap");
    assert_eq!(err.to_string(), "response body exceeds 1000 bytes");
    let body = Fetcher::new(fetch_config()).unwrap().get(&format!("http://{fast}/feeds/{name}")).await.unwrap().body;
    assert_eq!(body, common::fixture(name));
}

#[tokio::test]
async fn popular_ranks_clicks_with_time_decay() {
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = dir.open().await;
    let spec = moa_store::SourceSpec {
        id: "a".into(),
        name_ko: "회사".into(),
        name_en: "A".into(),
        homepage: "https://a.example.com/".into(),
        feed_url: "https://a.example.com/feed".into(),
        platform: String::new(),
        user_agent: None,
    };
    store.sync_registry(&[spec], 1).await.unwrap();
    let now = moa::now_unix();
    let post = |entry: &str, title: &str, hours_ago: i64| moa_store::NewPost {
        entry_id: entry.into(),
        url: Some(format!("https://a.example.com/{entry}")),
        title: title.into(),
        summary: None,
        content_html: None,
        author: None,
        thumbnail: None,
        categories: Vec::new(),
        category_labels: Default::default(),
        topics: Vec::new(),
        published_at: Some(now - hours_ago * 3600),
        updated_at: None,
    };
    let posts =
        [post("fresh", "두 시간 전 글 열 번", 2), post("old", "사흘 전 글 백 번", 72), post("quiet", "안 읽힌 글", 1)];
    let check = moa_store::SourceCheck {
        source_id: "a".into(),
        at: now,
        next_check_at: now,
        interval: 900,
        permanent_redirect: None,
        result: moa_store::CheckResult::Fetched { validators: Default::default(), site_pages: Vec::new() },
        elapsed_ms: 0,
        bytes: 0,
    };
    let stats = store.store_fetch(&check, &posts).await.unwrap();
    let (fresh, old) = (stats.created[0].id, stats.created[1].id);
    for i in 0..10 {
        store.record_click(fresh, &format!("reader-{i}"), now, 1800).await.unwrap();
    }
    for i in 0..100 {
        store.record_click(old, &format!("reader-{i}"), now, 1800).await.unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = web::router(web::AppState::new(store));
    tokio::spawn(async move { axum::serve(listener, app).await });
    moa::ingest::fetch::install_tls_provider();
    let page = reqwest::get(format!("http://{addr}/popular")).await.unwrap().text().await.unwrap();
    let (f, o) = (page.find("두 시간 전 글 열 번").unwrap(), page.find("사흘 전 글 백 번").unwrap());
    assert!(f < o, "10 clicks in two hours rank above 100 in three days");
    assert!(!page.contains("안 읽힌 글"), "a post nobody clicked is not popular");
}
