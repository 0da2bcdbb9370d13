//! The operator's console over real HTTP and a real store: feed discovery against local pages for each
//! platform rule and each failure, CSS-selector sources crawled through the feed pipeline, role checks on
//! every operator route, the add → preview → save → refresh flow, OPML in and out, the audit log, and
//! `/metrics` read by a Prometheus text-format parser.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use common::client::Client;
use common::server::{Reply, TestServer};
use common::{crawler, fetch_config, start_web};
use moa::ingest::fetch::{FetchConfig, Fetcher};

fn rss(title: &str, link: &str, n: usize) -> String {
    let items: String = (1..=n)
        .map(|i| {
            format!(
                "<item><title>{title} 글 {i}</title><link>{link}posts/{i}</link><guid>{link}posts/{i}</guid>\
                 <pubDate>Mon, 0{i} Jan 2024 10:00:00 +0900</pubDate><description>요약 {i}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>{title}</title>\
         <link>{link}</link>{items}</channel></rss>"
    )
}

fn html(body: &str) -> Reply {
    Reply::Body { body: body.as_bytes().to_vec(), headers: vec![("content-type", "text/html; charset=utf-8".into())] }
}

const HOSTS: &[&str] = &[
    "adv.example",
    "abc.tistory.com",
    "medium.com",
    "blog.naver.com",
    "rss.blog.naver.com",
    "velog.io",
    "v2.velog.io",
    "wp.example",
    "ghost.example",
    "hugo.example",
    "soft404.example",
    "none.example",
    "many.example",
    "moalab.example",
];

/// A fetcher that reaches every test host at the loopback server.
fn pinned_config() -> FetchConfig {
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    FetchConfig { hosts: HOSTS.iter().map(|h| (h.to_string(), loopback)).collect(), ..fetch_config() }
}

fn pinned_fetcher() -> Fetcher {
    Fetcher::new(pinned_config()).unwrap()
}

/// Every platform's blog, and the ways discovery can fail, on one loopback server told apart by `Host`.
async fn blogs() -> (Arc<TestServer>, SocketAddr) {
    let s = Arc::new(TestServer::default());
    let page = |extra: &str| {
        html(&format!("<!doctype html><html><head><title>블로그</title>{extra}</head><body>글 목록</body></html>"))
    };
    s.route(
        "//adv.example/",
        page(r#"<link rel="alternate" type="application/rss+xml" title="RSS" href="/my/feed.xml">"#),
    );
    s.route("//adv.example/my/feed.xml", Reply::feed(rss("광고된 피드", "http://adv.example/", 3)));
    s.route("//abc.tistory.com/", page(""));
    s.route("//abc.tistory.com/rss", Reply::feed(rss("티스토리", "http://abc.tistory.com/", 2)));
    s.route("//medium.com/@team", Reply::status(403));
    s.route("//medium.com/feed/@team", Reply::feed(rss("Medium 팀", "http://medium.com/@team/", 2)));
    s.route("//blog.naver.com/d2blog", page(""));
    s.route("//rss.blog.naver.com/d2blog.xml", Reply::feed(rss("네이버 블로그", "http://blog.naver.com/d2blog/", 2)));
    s.route("//velog.io/@teo", page(""));
    s.route("//v2.velog.io/rss/teo", Reply::feed(rss("velog", "http://velog.io/@teo/", 2)));
    s.route("//wp.example/", page(r#"<meta name="generator" content="WordPress 6.4.2">"#));
    s.route("//wp.example/feed/", Reply::feed(rss("워드프레스", "http://wp.example/", 2)));
    s.route("//ghost.example/", page(r#"<meta name="generator" content="Ghost 5.75">"#));
    s.route("//ghost.example/rss/", Reply::feed(rss("고스트", "http://ghost.example/", 2)));
    s.route("//hugo.example/", page(""));
    s.route("//hugo.example/index.xml", Reply::feed(rss("휴고", "http://hugo.example/", 2)));
    // A soft 404: every path answers 200 with the same HTML page.
    for path in ["/", "/feed", "/rss", "/rss.xml", "/atom.xml", "/index.xml", "/feed.xml"] {
        s.route(&format!("//soft404.example{path}"), page(""));
    }
    s.route("//none.example/", page(""));
    s.route(
        "//many.example/",
        page(
            r#"<link rel="alternate" type="application/rss+xml" title="댓글" href="/comments/feed">
               <link rel="alternate" type="application/rss+xml" title="글" href="/feed.xml">
               <link rel="alternate" type="application/atom+xml" title="글 (Atom)" href="/broken.xml">"#,
        ),
    );
    s.route("//many.example/comments/feed", Reply::feed(rss("댓글", "http://many.example/", 5)));
    s.route("//many.example/feed.xml", Reply::feed(rss("여러 피드의 블로그", "http://many.example/", 4)));
    s.route("//many.example/broken.xml", html("<html>not xml</html>"));
    let addr = s.start("127.0.0.1").await;
    (s, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_follows_each_platform_rule_against_local_pages() {
    let (_server, addr) = blogs().await;
    let port = addr.port();
    let fetcher = pinned_fetcher();
    let cases = [
        ("adv.example/", "adv.example/my/feed.xml", "advertised"),
        ("abc.tistory.com/", "abc.tistory.com/rss", "tistory"),
        ("medium.com/@team", "medium.com/feed/@team", "medium"),
        ("blog.naver.com/d2blog", "rss.blog.naver.com/d2blog.xml", "naver"),
        ("velog.io/@teo", "v2.velog.io/rss/teo", "velog"),
        ("wp.example/", "wp.example/feed/", "wordpress"),
        ("ghost.example/", "ghost.example/rss/", "ghost"),
        ("hugo.example/", "hugo.example/index.xml", "well-known"),
    ];
    for (home, feed, origin) in cases {
        let (host, path) = home.split_once('/').unwrap();
        let input = format!("http://{host}:{port}/{path}");
        let found = moa::ingest::discovery::discover(&fetcher, &input, 9 * 3600)
            .await
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        let (fhost, fpath) = feed.split_once('/').unwrap();
        assert_eq!(found.feed_url.as_str(), format!("http://{fhost}:{port}/{fpath}"), "{input}");
        assert_eq!(found.origin, origin, "{input}");
        assert!(!found.posts.is_empty(), "{input}: the preview has posts");
        assert!(moa::ingest::discovery::valid_id(&found.proposed.spec.id), "{input}: {}", found.proposed.spec.id);
    }
    // Medium refused the homepage (403); its rule found the feed anyway, and the refusal is reported.
    let medium =
        moa::ingest::discovery::discover(&fetcher, &format!("http://medium.com:{port}/@team"), 0).await.unwrap();
    assert!(medium.tried[0].outcome.contains("403"), "{:?}", medium.tried);
    assert_eq!(medium.proposed.spec.id, "team");
    // The feed's own URL is taken as it is.
    let direct =
        moa::ingest::discovery::discover(&fetcher, &format!("http://hugo.example:{port}/index.xml"), 0).await.unwrap();
    assert_eq!((direct.origin.as_str(), direct.posts.len()), ("given", 2));
    assert_eq!(direct.posts[0].title, "휴고 글 2", "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_fails_clearly_and_chooses_among_several_feeds() {
    let (_server, addr) = blogs().await;
    let port = addr.port();
    let fetcher = pinned_fetcher();
    // A soft 404: every candidate is the same HTML page with status 200; none counts as a feed.
    let err =
        moa::ingest::discovery::discover(&fetcher, &format!("http://soft404.example:{port}/"), 0).await.unwrap_err();
    let moa::ingest::discovery::DiscoveryError::NoFeed { tried, .. } = &err else { panic!("{err}") };
    assert_eq!(tried.len(), moa_feed::discover::WELL_KNOWN_PATHS.len());
    assert!(tried.iter().all(|t| t.outcome == "an HTML page, not a feed"), "{tried:?}");
    // No feed anywhere: every well-known path 404s, and the message says what was tried.
    let err = moa::ingest::discovery::discover(&fetcher, &format!("http://none.example:{port}/"), 0).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("no feed found") && text.contains("/atom.xml") && text.contains("404"), "{text}");
    // Several feeds offered: the blog's own, not the comments', with the others listed.
    let many = moa::ingest::discovery::discover(&fetcher, &format!("http://many.example:{port}/"), 0).await.unwrap();
    assert_eq!(many.feed_url.path(), "/feed.xml");
    assert_eq!(many.proposed.spec.name_ko, "여러 피드의 블로그");
    assert_eq!(many.others.len(), 1, "the comments feed; the broken one is not offered: {:?}", many.others);
    assert!(many.tried.iter().any(|t| t.url.ends_with("/broken.xml") && t.outcome.contains("not a feed")));
    // Not a web address at all.
    assert!(matches!(
        moa::ingest::discovery::discover(&fetcher, "ftp://x", 0).await,
        Err(moa::ingest::discovery::DiscoveryError::BadUrl(_))
    ));
}

fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pages").join(name)).unwrap()
}

async fn store_in(dir: &moa_store::testing::TestDb) -> Arc<dyn moa_store::Store> {
    dir.open().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_css_selector_source_flows_through_the_feed_pipeline() {
    let server = Arc::new(TestServer::default());
    server.route("/blog", html(std::str::from_utf8(&testdata("techblog-list.html")).unwrap()));
    let addr = server.start("127.0.0.1").await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = store_in(&dir).await;
    let selectors = moa_feed::scrape::Selectors {
        item: "article.card".into(),
        title: ".card-title".into(),
        link: Some("a.card-link".into()),
        date: Some(".card-date".into()),
        summary: Some(".card-desc".into()),
        image: Some(".thumb img".into()),
    };
    let spec = moa_store::SourceSpec {
        id: "moalab".into(),
        name_ko: "모아랩".into(),
        name_en: "MoaLab".into(),
        homepage: format!("http://moalab.example:{}/", addr.port()),
        feed_url: format!("http://moalab.example:{}/blog", addr.port()),
        platform: String::new(),
        user_agent: None,
    };
    let source = moa_store::NewSource { spec, selectors: Some(serde_json::to_string(&selectors).unwrap()) };
    store.add_source(&source, moa::now_unix()).await.unwrap();
    let crawler = crawler(store.clone(), pinned_config());
    let report = crawler.run(moa_store::Selection::All).await.unwrap();
    assert_eq!((report.sources_ok, report.new_posts), (1, 3), "{:?}", report.failures);
    let posts = store.posts(&moa_store::PostQuery { limit: 10, ..Default::default() }).await.unwrap();
    let got: Vec<(&str, Option<&str>, String)> = posts
        .iter()
        .map(|p| (p.title.as_str(), p.url.as_deref(), moa_feed::format_rfc3339(p.sort_at)[..10].to_string()))
        .collect();
    let base = format!("http://moalab.example:{}", addr.port());
    assert_eq!(
        got,
        [
            (
                "쿠버네티스로 옮긴 1년, 배운 것들",
                Some(format!("{base}/blog/2024/kubernetes-migration").as_str()),
                "2024-03-14".into()
            ),
            (
                "Rust로 크롤러를 다시 쓰다",
                Some("https://tech.moalab.example/blog/2024/rust-crawler"),
                "2024-02-19".into()
            ),
            ("한국어 검색 품질을 재는 법", Some(format!("{base}/blog/2024/search").as_str()), "2024-01-04".into()),
        ],
        "KST days (stored as UTC), tracking parameters dropped, newest first"
    );
    assert_eq!(
        posts[0].summary.as_deref(),
        Some("온프레미스에서 EKS로 옮기며 겪은 장애와 그 해결 과정을 정리했습니다.")
    );
    assert_eq!(
        posts[0].thumbnail.as_deref(),
        Some(format!("{base}/images/k8s.png").as_str()),
        "data-src over a placeholder"
    );
    assert_eq!(posts[1].thumbnail.as_deref(), Some(format!("{base}/images/rust-1x.png").as_str()), "srcset");
    assert!(posts[0].topics.contains(&"infra".to_string()) || !posts[0].topics.is_empty(), "tagged like feed posts");
    // Crawled again: nothing new, nothing changed.
    store.make_due("moalab").await.unwrap();
    let again = crawler.run(moa_store::Selection::All).await.unwrap();
    assert_eq!((again.new_posts, again.updated_posts), (0, 0));
    // The site is redesigned and the selectors match nothing: a clear failure, the posts kept.
    server.route("/blog", html(std::str::from_utf8(&testdata("techblog-redesigned.html")).unwrap()));
    let broken = crawler.run(moa_store::Selection::All).await.unwrap();
    assert_eq!(broken.sources_failed, 1);
    let s = store.source("moalab").await.unwrap().unwrap();
    assert_eq!(s.last_error_kind, Some(moa_store::ErrorKind::NotAFeed));
    assert!(s.last_error.as_deref().unwrap().contains("article.card"), "{:?}", s.last_error);
    assert_eq!(store.count_posts(Some("moalab")).await.unwrap(), 3);
    // Selectors that cannot be read (a hand-edited database) fail that source alone, clearly.
    let mut spec = source.spec.clone();
    spec.id = "garbled".into();
    store
        .add_source(&moa_store::NewSource { spec, selectors: Some("{not json".into()) }, moa::now_unix())
        .await
        .unwrap();
    let report = crawler.run(moa_store::Selection::Ids(vec!["garbled".into()])).await.unwrap();
    assert_eq!(report.sources_failed, 1);
    let s = store.source("garbled").await.unwrap().unwrap();
    assert!(s.last_error.unwrap().contains("CSS selectors cannot be read"));
    assert_eq!((s.consecutive_failures, s.health.attempt_count), (1, 1));
}

const OPERATOR_GETS: &[&str] = &[
    "/admin/sources",
    "/admin/sources/new",
    "/admin/sources/feed",
    "/admin/sources.opml",
    "/admin/users",
    "/admin/audit",
    "/admin/settings",
    "/admin",
];
const OPERATOR_POSTS: &[&str] = &[
    "/admin/sources",
    "/admin/sources/discover",
    "/admin/sources/scrape-preview",
    "/admin/sources/feed",
    "/admin/sources/feed/refresh",
    "/admin/sources/feed/enable",
    "/admin/sources/feed/disable",
    "/admin/sources/feed/delete",
    "/admin/opml",
    "/admin/users",
    "/admin/users/kim/role",
    "/admin/users/kim/delete",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_route_checks_the_role_and_the_csrf_token() {
    let server = Arc::new(TestServer::default());
    server.route("/feed.xml", Reply::feed(rss("피드", "http://x.example/", 2)));
    let addr = server.start("127.0.0.1").await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = store_in(&dir).await;
    let spec = moa_store::SourceSpec {
        id: "feed".into(),
        name_ko: "피드".into(),
        name_en: "Feed".into(),
        homepage: format!("http://{addr}/"),
        feed_url: format!("http://{addr}/feed.xml"),
        platform: String::new(),
        user_agent: None,
    };
    store.sync_registry(&[spec], 1).await.unwrap();
    for (name, role) in [("kim", "curator"), ("boss", "operator")] {
        store
            .set_user_password(name, &moa::web::auth::hash_password("correct horse battery").unwrap(), 1)
            .await
            .unwrap();
        store.set_user_role(name, role).await.unwrap();
    }
    let mut state = moa::web::AppState::new(store.clone());
    let settings = moa::config::Settings::resolve(Default::default(), Default::default()).unwrap();
    state.settings = Arc::new(moa::config::effective(&settings));
    let web = start_web(state).await;
    let mut anon = Client::new(web);
    for path in OPERATOR_GETS {
        let r = anon.get(path).await;
        assert_eq!((r.status, r.location()), (303, Some("/login")), "{path}");
    }
    for path in OPERATOR_POSTS {
        assert_eq!(anon.post(path, &[("csrf", "x"), ("with_posts", "1")]).await.status, 403, "{path}");
    }
    let (mut curator, curator_csrf) = Client::sign_in(web, "kim", "correct horse battery").await;
    for path in OPERATOR_GETS {
        assert_eq!(curator.get(path).await.status, 403, "a curator is not an operator: {path}");
    }
    for path in OPERATOR_POSTS {
        let form = [("csrf", curator_csrf.as_str()), ("with_posts", "1"), ("name", "kim"), ("role", "operator")];
        assert_eq!(curator.post(path, &form).await.status, 403, "{path}");
    }
    let (mut op, csrf) = Client::sign_in(web, "boss", "correct horse battery").await;
    for path in OPERATOR_GETS {
        let expected = if *path == "/admin" { 303 } else { 200 };
        assert_eq!(op.get(path).await.status, expected, "{path}");
    }
    let settings = op.get("/admin/settings").await.body;
    assert!(settings.contains("MOA_RETENTION_BODY_MONTHS") && settings.contains("per_host_spacing_ms"));
    for path in OPERATOR_POSTS {
        assert_eq!(
            op.post(path, &[("csrf", "forged"), ("with_posts", "1")]).await.status,
            403,
            "no CSRF token: {path}"
        );
    }
    // Nothing changed on the way.
    let s = store.source("feed").await.unwrap().unwrap();
    assert!(s.enabled && s.origin == "registry");
    assert_eq!(store.users().await.unwrap().len(), 2);
    assert!(store.audit_log(10).await.unwrap().is_empty());
    // With the token, the operator acts, and each act is in the audit log.
    assert_eq!(op.post("/admin/sources/feed/disable", &[("csrf", &csrf)]).await.status, 303);
    assert!(!store.source("feed").await.unwrap().unwrap().enabled);
    assert_eq!(
        op.post("/admin/users/kim/role", &[("csrf", &csrf), ("name", "kim"), ("role", "operator")]).await.status,
        303
    );
    assert_eq!(store.users().await.unwrap().iter().find(|u| u.name == "kim").unwrap().role, "operator");
    let own = op.post("/admin/users/boss/delete", &[("csrf", &csrf), ("name", "boss")]).await;
    assert_eq!(own.status, 409, "an operator cannot delete themselves");
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(
        log.iter().map(|e| (e.user_name.as_str(), e.action.as_str())).collect::<Vec<_>>(),
        [("boss", "user.role"), ("boss", "source.disable")]
    );
    let audit = op.get("/admin/audit").await;
    assert!(audit.body.contains("source.disable") && audit.body.contains("user.role"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_adds_a_blog_by_homepage_previews_saves_refreshes_and_sees_its_health() {
    let (_server, blog) = blogs().await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = store_in(&dir).await;
    store.set_user_password("boss", &moa::web::auth::hash_password("correct horse battery").unwrap(), 1).await.unwrap();
    store.set_user_role("boss", "operator").await.unwrap();
    let state = common::state_with_crawler(store.clone(), pinned_config()).with_cache_ttl(std::time::Duration::ZERO);
    let web = start_web(state).await;
    let (mut op, csrf) = Client::sign_in(web, "boss", "correct horse battery").await;
    let home = format!("http://abc.tistory.com:{}/", blog.port());
    let preview = op.post("/admin/sources/discover", &[("csrf", &csrf), ("url", &home)]).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("티스토리 글 2") && preview.body.contains("티스토리 글 1"),
        "the preview shows the posts"
    );
    assert!(preview.body.contains(&format!("value=\"http://abc.tistory.com:{}/rss\"", blog.port())));
    assert!(preview.body.contains("value=\"abc\""), "the proposed id");
    let failed = op
        .post("/admin/sources/discover", &[("csrf", &csrf), ("url", &format!("http://none.example:{}/", blog.port()))])
        .await;
    assert_eq!(failed.status, 422);
    assert!(failed.body.contains("/index.xml"), "the page lists what was tried");
    let saved = op
        .post(
            "/admin/sources",
            &[
                ("csrf", &csrf),
                ("id", "abc"),
                ("name_ko", "에이비씨 블로그"),
                ("name_en", "ABC blog"),
                ("homepage", &home),
                ("feed_url", &format!("http://abc.tistory.com:{}/rss", blog.port())),
                ("platform", "tistory"),
                ("kind", "feed"),
            ],
        )
        .await;
    assert_eq!((saved.status, saved.location()), (303, Some("/admin/sources?done=added+abc")));
    // The same feed again, under another id: refused with the id that reads it.
    let twice = op
        .post(
            "/admin/sources",
            &[
                ("csrf", &csrf),
                ("id", "abc2"),
                ("name_ko", "또"),
                ("name_en", "again"),
                ("homepage", &home),
                ("feed_url", &format!("HTTP://ABC.tistory.com:{}/rss/", blog.port())),
                ("platform", "tistory"),
                ("kind", "feed"),
            ],
        )
        .await;
    assert_eq!(twice.status, 409);
    assert!(twice.body.contains("이미 블로그 &#34;abc&#34;입니다"), "{}", twice.body);
    // Saved, then fetched at once by this process's crawler.
    let mut posts = 0;
    for _ in 0..100 {
        posts = store.count_posts(Some("abc")).await.unwrap();
        if posts == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(posts, 2);
    let home_page = op.get("/").await;
    assert!(home_page.body.contains("티스토리 글 2") && home_page.body.contains("에이비씨 블로그"));
    let health = op.get("/admin/sources?state=ok").await;
    assert!(health.body.contains("data-source=\"abc\""), "{}", health.body);
    let refreshed = op.post("/admin/sources/abc/refresh", &[("csrf", &csrf)]).await;
    assert_eq!(refreshed.status, 303);
    let detail = op.get("/admin/sources/abc").await;
    assert!(detail.body.contains("에이비씨 블로그") && detail.body.contains(" ms"), "mean fetch time shown");
    // OPML out has it; OPML in adds only what is new.
    let opml = op.get("/admin/sources.opml").await.body;
    assert!(opml.contains("/rss\""), "{opml}");
    let more = format!(
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><body>\
         <outline text=\"휴고\" type=\"rss\" xmlUrl=\"http://hugo.example:{p}/index.xml\" htmlUrl=\"http://hugo.example:{p}/\"/>\
         <outline text=\"again\" type=\"rss\" xmlUrl=\"http://abc.tistory.com:{p}/rss\"/></body></opml>",
        p = blog.port()
    );
    let imported = op.post("/admin/opml", &[("csrf", &csrf), ("opml", &more)]).await;
    assert_eq!(imported.status, 303);
    assert_eq!(imported.location(), Some("/admin/sources?done=imported+1+1"));
    let said = op.get(imported.location().unwrap()).await;
    assert!(said.body.contains("OPML에서 1개를 추가했습니다(이미 있던 피드 1개)."), "{}", said.body);
    assert_eq!(store.sources().await.unwrap().len(), 2);
    // Deleted with its posts: the first click asks, and deletes nothing.
    let asked = op.post("/admin/sources/abc/delete", &[("csrf", &csrf), ("with_posts", "1")]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("글 2개를 지울까요?") && asked.body.contains("name=\"confirmed\""), "{}", asked.body);
    assert_eq!(store.count_posts(Some("abc")).await.unwrap(), 2, "asked, not deleted");
    let gone = op.post("/admin/sources/abc/delete", &[("csrf", &csrf), ("with_posts", "1"), ("confirmed", "1")]).await;
    assert_eq!(gone.status, 303);
    assert_eq!(store.count_posts(Some("abc")).await.unwrap(), 0);
    let actions: Vec<String> = store.audit_log(10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["source.delete", "source.add", "source.refresh", "source.add"],
        "the OPML import is the second add"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_and_readiness_follows_the_database() {
    let (_dir, store, _) = common::crawled_store(&["kr-zum-techblog.xml", "kr-cheese10yun-atom.xml"]).await;
    let mut state = moa::web::AppState::new(store.clone());
    state.operations =
        std::sync::Arc::new(moa::web::OperationsAccess { public: false, metrics_token: Some("s3cret".into()) });
    let web = start_web(state).await;
    let mut c = Client::new(web);
    assert_eq!(c.get("/metrics").await.status, 404, "not for everyone");
    let bad = c.send(c.http.get(format!("{}/metrics", c.base)), &[("authorization", "Bearer nope")]).await;
    assert_eq!(bad.status, 404);
    let company = store.sources().await.unwrap()[0].spec.id.clone();
    assert_eq!(c.get(&format!("/company/{company}")).await.status, 200);
    assert_eq!(c.get("/nope/nope").await.status, 404);
    assert_eq!((c.get("/healthz").await.status, c.get("/readyz").await.status), (200, 200));
    let text = c.send(c.http.get(format!("{}/metrics", c.base)), &[("authorization", "Bearer s3cret")]).await.body;
    let scrape =
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format");
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .and_then(|s| match &s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => Some(*v),
                _ => None,
            })
    };
    assert!(value("moa_fetches_total", &[("outcome", "fetched")]).unwrap() >= 2.0, "{text}");
    assert!(value("moa_posts_stored_total", &[("kind", "new")]).unwrap() >= 2.0);
    let histogram = scrape.samples.iter().find(|s| s.metric == "moa_fetch_duration_seconds").expect("fetch histogram");
    assert!(
        matches!(&histogram.value, prometheus_parse::Value::Histogram(b) if b.len() >= 10),
        "{:?}",
        histogram.value
    );
    assert!(
        value("moa_http_requests_total", &[("route", "/company/:id"), ("status", "200")]).unwrap() >= 1.0,
        "routes by pattern"
    );
    assert!(value("moa_http_requests_total", &[("route", "unmatched"), ("status", "404")]).unwrap() >= 1.0);
    assert_eq!(value("moa_sources", &[("state", "ok")]), Some(2.0));
    assert!(value("moa_queue_due_sources", &[]).is_some() && value("moa_queue_lag_seconds", &[]).is_some());
    assert!(value("moa_db_pool_connections", &[("state", "max")]).unwrap() >= 2.0);
    assert!(scrape.docs.contains_key("moa_fetches_total"), "metrics are described");
}

/// A database that goes away: `/readyz` says so within seconds (a load balancer stops sending traffic),
/// `/healthz` still answers, and nothing panics. PostgreSQL only: its database can be dropped under a
/// running server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_fast_when_the_database_is_gone() {
    let Some(db) = moa_store::testing::TestDb::postgres().await else { return };
    let store = db.open().await;
    let web = start_web(moa::web::AppState::new(store.clone())).await;
    let mut c = Client::new(web);
    assert_eq!(c.get("/readyz").await.status, 200);
    db.drop_now().await;
    let started = std::time::Instant::now();
    let answer = c.get("/readyz").await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(answer.body.contains("database unreachable"), "{}", answer.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(c.get("/healthz").await.status, 200);
    assert_eq!(c.get("/").await.status, 500, "a page without its database is an error page, not a hang or a panic");
}

/// Each role lands on its home after signing in; the browser's own favicon request is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_lands_on_its_home_and_the_favicon_is_served() {
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = dir.open().await;
    let hash = moa::web::auth::hash_password("correct horse battery").unwrap();
    for (name, role) in [("op", "operator"), ("kim", "curator")] {
        assert!(store.set_user_password(name, &hash, 1).await.unwrap());
        assert!(store.set_user_role(name, role).await.unwrap());
    }
    let web = start_web(moa::web::AppState::new(store.clone())).await;
    for (name, home) in [("op", "/admin"), ("kim", "/curate")] {
        let mut c = Client::new(web);
        let login = c.get("/login").await;
        let csrf = Client::csrf_of(&login.body);
        let r = c.post("/login", &[("csrf", &csrf), ("name", name), ("password", "correct horse battery")]).await;
        assert_eq!((r.status, r.location()), (303, Some(home)), "{name}");
    }
    let icon = Client::new(web).get("/favicon.ico").await;
    assert_eq!((icon.status, icon.headers["content-type"].to_str().unwrap()), (200, "image/svg+xml"));
    assert!(icon.body.starts_with("<svg"));
}

/// The console speaks the page's language: what it cannot do, what a fetch error means (the technical
/// detail one click away), what it has done; pages it refuses are pages, not plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_says_everything_in_korean_or_english() {
    let (_server, blog) = blogs().await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = store_in(&dir).await;
    let hash = moa::web::auth::hash_password("correct horse battery").unwrap();
    for (name, role) in [("boss", "operator"), ("kim", "curator")] {
        store.set_user_password(name, &hash, 1).await.unwrap();
        store.set_user_role(name, role).await.unwrap();
    }
    let state = common::state_with_crawler(store.clone(), pinned_config()).with_cache_ttl(std::time::Duration::ZERO);
    let web = start_web(state).await;
    let (mut op, csrf) = Client::sign_in(web, "boss", "correct horse battery").await;
    let hangul = |s: &str| s.chars().any(|c| ('가'..='힣').contains(&c));
    // A curator at the console, and an unknown source: pages in the reader's language.
    let (mut kim, _) = Client::sign_in(web, "kim", "correct horse battery").await;
    let refused = kim.get("/admin/sources").await;
    assert_eq!(refused.status, 403);
    assert!(refused.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(refused.body.contains("운영자만 볼 수 있습니다"), "{}", refused.body);
    let refused_en = kim.get("/admin/sources?lang=en").await;
    assert!(refused_en.body.contains("This page is for operators"), "{}", refused_en.body);
    let missing = op.get("/admin/sources/nope").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("그런 블로그가 없습니다"), "{}", missing.body);
    let missing = op.post("/admin/sources/nope/refresh", &[("csrf", &csrf)]).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("그런 블로그가 없습니다"), "{}", missing.body);
    // Form errors, in Korean and in English.
    let form = |id: &'static str, feed: &'static str| {
        [("csrf", csrf.as_str()), ("id", id), ("name_ko", "이름"), ("feed_url", feed), ("kind", "feed")]
    };
    let bad_id = op.post("/admin/sources", &form("나쁜 id", "https://x.example/feed")).await;
    assert_eq!(bad_id.status, 422);
    assert!(bad_id.body.contains("영문자, 숫자, &#39;-&#39;, &#39;_&#39;로 1~64자여야 합니다"), "{}", bad_id.body);
    let bad_id_en = op.post("/admin/sources?lang=en", &form("bad id", "https://x.example/feed")).await;
    assert!(bad_id_en.body.contains("must be 1 to 64 letters"), "{}", bad_id_en.body);
    let not_http = op.post("/admin/sources", &form("ok", "ftp://x.example/feed")).await;
    assert!(not_http.body.contains("http(s) 주소가 아닙니다"), "{}", not_http.body);
    let no_feed = op
        .post("/admin/sources/discover", &[("csrf", &csrf), ("url", &format!("http://none.example:{}/", blog.port()))])
        .await;
    assert_eq!(no_feed.status, 422);
    assert!(no_feed.body.contains("피드를 찾지 못했습니다") && !no_feed.body.contains("no feed found"));
    let unreadable = op
        .post(
            "/admin/sources/scrape-preview",
            &[
                ("csrf", &csrf),
                ("url", &format!("http://127.0.0.1:{}/", common::closed_port())),
                ("item", "li"),
                ("title", "a"),
            ],
        )
        .await;
    assert_eq!(unreadable.status, 422);
    assert!(unreadable.body.contains("서버에 연결할 수 없습니다"), "{}", unreadable.body);
    assert!(unreadable.body.contains("<details class=\"error-detail\">"), "the detail on demand: {}", unreadable.body);
    let bad_selector = op
        .post(
            "/admin/sources/scrape-preview",
            &[("csrf", &csrf), ("url", "https://x.example/"), ("item", "li[["), ("title", "a")],
        )
        .await;
    assert!(bad_selector.body.contains("올바른 CSS가 아닙니다"), "{}", bad_selector.body);
    // Users: a short password, one's own account.
    let short =
        op.post("/admin/users", &[("csrf", &csrf), ("name", "lee"), ("password", "short"), ("role", "curator")]).await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("비밀번호는 8자 이상이어야 합니다"), "{}", short.body);
    let own = op.post("/admin/users/boss/delete", &[("csrf", &csrf), ("name", "boss")]).await;
    assert!(own.body.contains("자기 계정은 여기서 바꾸거나 지울 수 없습니다"), "{}", own.body);
    // A bad OPML: said on the health page, with the text kept to mend.
    let opml = op.post("/admin/opml", &[("csrf", &csrf), ("opml", "<opml>broken")]).await;
    assert_eq!(opml.status, 422);
    assert!(
        opml.body.contains("OPML을 읽지 못했습니다") && opml.body.contains("&#60;opml&#62;broken"),
        "{}",
        opml.body
    );
    // A failing source: what went wrong in a sentence, the technical message under "자세히".
    let feed = format!("http://127.0.0.1:{}/feed.xml", common::closed_port());
    let down =
        [("csrf", csrf.as_str()), ("id", "down"), ("name_ko", "꺼진 블로그"), ("feed_url", &feed), ("kind", "feed")];
    assert_eq!(op.post("/admin/sources", &down).await.status, 303);
    let mut health = String::new();
    for _ in 0..100 {
        health = op.get("/admin/sources?state=failing").await.body;
        if health.contains("data-source=\"down\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(health.contains("서버에 연결할 수 없습니다") && health.contains("<summary>자세히</summary>"), "{health}");
    assert!(hangul(&health));
    // An edit that changes nothing is not an update, and is not in the audit log.
    let s = store.source("down").await.unwrap().unwrap();
    let same = op
        .post(
            "/admin/sources/down",
            &[
                ("csrf", &csrf),
                ("name_ko", &s.spec.name_ko),
                ("name_en", &s.spec.name_en),
                ("homepage", &s.spec.homepage),
                ("feed_url", &s.spec.feed_url),
                ("kind", "feed"),
            ],
        )
        .await;
    assert_eq!(same.location(), Some("/admin/sources?done=unchanged+down"));
    let said = op.get(same.location().unwrap()).await;
    assert!(said.body.contains("바뀐 것이 없어 저장하지 않았습니다"), "{}", said.body);
    let actions: Vec<String> = store.audit_log(10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["source.add"]);
}
