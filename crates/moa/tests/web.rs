//! The readers' web beyond the first page: both languages, tag and search pages with their feeds, feeds
//! out read by an independent validator, SEO tags, the page budget, and the page cache's freshness —
//! all over real HTTP on loopback against a real SQLite file.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{crawled_store, start_web, tool_available};
use moa_store::PostQuery;

const FEEDS: &[&str] = &["kr-zum-techblog.xml", "kr-cheese10yun-atom.xml", "kr-kakaostyle-devblog.xml"];

struct Web {
    addr: std::net::SocketAddr,
    client: reqwest::Client,
}

impl Web {
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
        let mut r = self.client.get(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let r = r.send().await.unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.text().await.unwrap())
    }

    async fn page(&self, path: &str) -> String {
        let (status, _, body) = self.get(path, &[]).await;
        assert_eq!(status, 200, "{path}");
        body
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&#34;").replace('\'', "&#39;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn korean_by_default_english_on_request() {
    let (_dir, store, _) = crawled_store(FEEDS).await;
    let web = Web { addr: start_web(moa::web::AppState::new(store.clone())).await, client: reqwest::Client::new() };

    let (_, headers, ko) = web.get("/", &[]).await;
    assert!(ko.starts_with("<!doctype html>\n<html lang=\"ko\">"));
    assert!(ko.contains("<title>기술 블로그 모음</title>") && ko.contains(">최신</a>"));
    assert!(ko.contains("href=\"/?lang=en\" hreflang=\"en\" lang=\"en\">English</a>"), "a link to English");
    assert!(
        headers.get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-language"))
    );

    // The browser's setting: English pages without a parameter in their links.
    let (_, _, en) = web.get("/", &[("accept-language", "en-US,en;q=0.9,ko;q=0.5")]).await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("<title>Korean Tech Blogs</title>"));
    assert!(en.contains("<a href=\"/popular\">Popular</a>"));
    assert!(en.contains(">More →</a>") && !en.contains("더 보기"));
    assert!(en.contains("\">Company ") && !en.contains("기술블로그</a>"), "companies by their English names");
    assert!(!en.contains("기술 블로그 모음"), "no Korean chrome left in the English page");
    // ?lang=en wins over the header, and the links keep it.
    let (_, _, chosen) = web.get("/?lang=en", &[("accept-language", "ko")]).await;
    assert!(chosen.contains("<a href=\"/popular?lang=en\">Popular</a>"));
    assert!(chosen.contains("<a href=\"/companies?lang=en\">Companies</a>"));
    let company_links = chosen.matches("class=\"company\" href=\"/company/").count();
    assert_eq!(company_links, 20);
    assert_eq!(chosen.matches("?lang=en\">Company ").count(), company_links, "cards' company links keep it");
    assert!(chosen.contains("<input type=\"hidden\" name=\"lang\" value=\"en\">"), "the search form keeps it");
    let next = chosen.split("rel=\"next\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    assert!(next.starts_with("/?before=") && next.ends_with("&lang=en"), "{next}");
    let second = web.page(&next).await;
    assert!(second.contains("<html lang=\"en\">"));
    assert!(
        second.contains(&format!(
            "href=\"{}\" hreflang=\"ko\"",
            next.replace("lang=en", "lang=ko").replace('&', "&#38;")
        ))
    );
    // Relative times and post counts speak English.
    let company = web.page("/company/src2?lang=en").await;
    let n = store.count_posts(Some("src2")).await.unwrap();
    assert!(company.contains(&format!("{n} posts · Subscribe:")), "post count in English");
    assert!(company.contains(" ago</time>") || company.contains(">20"), "relative times in English");
    for path in ["/companies", "/popular", "/search?q=spring", "/nope"] {
        let (_, _, body) = web.get(path, &[("accept-language", "en")]).await;
        assert!(body.contains("<html lang=\"en\">"), "{path}");
        assert!(!body.contains("기술 블로그 모음"), "{path} is all English");
    }
    let (status, _, missing) = web.get("/company/nope?lang=en", &[]).await;
    assert_eq!(status, 404);
    assert!(missing.contains("Company not found"));

    // Canonical address, OpenGraph and Twitter cards. Without public_url the Host a request names is not
    // trusted for them: the canonical is a path and og:url is left out (answers vary by Host).
    assert!(ko.contains("<link rel=\"canonical\" href=\"/\">"));
    assert!(en.contains("<link rel=\"canonical\" href=\"/?lang=en\">"));
    assert!(!company.contains("og:url"));
    let (_, evil, _) = web.get("/feed.xml", &[("host", "evil.example")]).await;
    assert!(evil.get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Host")), "{evil:?}");
    let mut with_site = moa::web::AppState::new(store.clone());
    with_site.public_url = Some(url::Url::parse("https://moa.example.kr/").unwrap());
    let site = Web { addr: start_web(with_site).await, client: reqwest::Client::new() };
    let (_, site_headers, company) = site.get("/company/src2?lang=en", &[("host", "evil.example")]).await;
    assert!(company.contains("<meta property=\"og:url\" content=\"https://moa.example.kr/company/src2?lang=en\">"));
    assert!(!site_headers.get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Host")));
    let (_, _, feed) = site.get("/feed.xml", &[("host", "evil.example")]).await;
    assert!(feed.contains("https://moa.example.kr/") && !feed.contains("evil.example"));
    assert!(ko.contains("<meta property=\"og:title\" content=\"기술 블로그 모음\">"));
    assert!(ko.contains("<meta property=\"og:locale\" content=\"ko_KR\">"));
    assert!(ko.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    let company_ko = web.page("/company/src2").await;
    assert!(company_ko.contains("<meta property=\"og:title\" content=\"회사2 기술블로그 — 기술 블로그 모음\">"));
    // Keyboard readers can skip to the content.
    assert!(ko.contains("<a class=\"skip\" href=\"#main\">본문으로 건너뛰기</a>"));
    assert!(ko.contains("<main id=\"main\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_searches_have_pages_and_feeds() {
    let (_dir, store, _) = crawled_store(FEEDS).await;
    let search = moa::search::Search::in_memory_following(store.clone()).await.unwrap();
    let state = moa::web::AppState::new(store.clone()).with_search(search.clone());
    let web = Web { addr: start_web(state).await, client: reqwest::Client::new() };
    let base = format!("http://{}", web.addr);

    // A tag with a slash in it: its address still names one path segment.
    let tag = "portal/pilot";
    let tagged = store.posts(&PostQuery { tag: Some(tag.into()), limit: 100, ..Default::default() }).await.unwrap();
    assert!(!tagged.is_empty() && tagged.iter().all(|p| p.categories.iter().any(|c| c.eq_ignore_ascii_case(tag))));
    let upper = PostQuery { tag: Some(tag.to_uppercase()), limit: 100, ..Default::default() };
    assert_eq!(store.posts(&upper).await.unwrap().len(), tagged.len(), "tags match without regard to case");
    let page = web.page(&format!("/tag/{}", encode(tag))).await;
    assert!(page.contains("<h1 class=\"company\">태그: portal/pilot"));
    assert_eq!(page.matches("<li class=\"post\">").count(), tagged.len().min(20));
    for p in &tagged {
        assert!(page.contains(&html_escape(&p.title)), "{}", p.title);
    }
    assert!(page.contains(&format!("href=\"/tag/{}/feed.xml\"", encode(tag))), "the tag page names its feed");
    // Cards link their tags.
    let home = web.page("/company/src0").await;
    let first_tag = PostQuery { source_id: Some("src0".into()), limit: 20, ..Default::default() };
    let first_tag = store.posts(&first_tag).await.unwrap();
    let first_tag = first_tag.iter().find_map(|p| p.categories.first()).unwrap();
    assert!(home.contains(&format!("<a href=\"/tag/{}\">{}</a>", encode(first_tag), html_escape(first_tag))));
    assert!(web.page("/tag/no-such-tag").await.contains("이 태그가 붙은 글이 없습니다"));

    let word = "spring";
    let found = newest_matching(&search, word).await;
    assert!(found.len() > 1);
    for p in &found {
        let text = format!("{} {:?} {:?}", p.title, p.summary, p.categories).to_lowercase();
        let full = store.post_texts(p.id - 1, 1).await.unwrap().remove(0).content_html.unwrap_or_default();
        assert!(text.contains(word) || full.to_lowercase().contains(word), "{} does not mention {word}", p.title);
    }
    let search = web.page(&format!("/search?q={word}")).await;
    assert!(search.contains("href=\"/search/feed.xml?q=spring\""), "a search can be followed as a feed");

    for (path, expected) in [
        (format!("/tag/{}/feed.xml", encode(tag)), &tagged),
        (format!("/tag/{}/atom.xml", encode(tag)), &tagged),
        (format!("/tag/{}/feed.json", encode(tag)), &tagged),
        (format!("/search/feed.xml?q={word}"), &found),
        (format!("/search/atom.xml?q={word}"), &found),
        (format!("/search/feed.json?q={word}"), &found),
    ] {
        let body = web.page(&path).await;
        let feed = moa_feed::parse(body.as_bytes(), &moa_feed::ParseOptions::default()).unwrap();
        assert!(feed.warnings.is_empty(), "{path}: {:?}", feed.warnings);
        assert_eq!(feed.self_url.as_deref(), Some(&*format!("{base}{path}")), "{path}");
        let titles: Vec<_> = feed.entries.iter().map(|e| e.title.clone()).collect();
        assert_eq!(titles, expected.iter().map(|p| p.title.clone()).collect::<Vec<_>>(), "{path}");
        // A post has one id in every feed that lists it.
        assert_eq!(feed.entries[0].id, format!("{base}/posts/{}", expected[0].id), "{path}");
    }
    assert_eq!(web.get("/search/feed.xml?q=", &[]).await.0, 404, "a search feed needs words");
    assert_eq!(web.get("/search/nope.txt?q=x", &[]).await.0, 404);
    assert_eq!(web.get("/company/src0/nope.txt", &[]).await.0, 404);
    // The id leads to the article (through the click counter).
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_redirects.get(format!("{base}/posts/{}", tagged[0].id)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 308);
    assert_eq!(r.headers()["location"], format!("/go/{}", tagged[0].id).as_str());
}

/// What a search feed should list: the posts the index finds for `word`, newest first.
async fn newest_matching(search: &moa::search::Search, word: &str) -> Vec<moa_store::Post> {
    let q = moa_search::SearchQuery {
        text: word.into(),
        sort: moa_search::Sort::Newest,
        limit: 50,
        ..moa_search::SearchQuery::default()
    };
    search.search(&q).await.unwrap().found.into_iter().map(|(_, p)| p).collect()
}

/// Every feed out passes an independent validator (feedparser for RSS and Atom, a JSON Schema of
/// JSON Feed 1.1), and it reads the same titles and links moa stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_out_pass_an_independent_validator() {
    let python_has = |module: &str| {
        Command::new("python3").args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
    };
    if !tool_available(python_has("feedparser") && python_has("jsonschema"), "python3 with feedparser and jsonschema") {
        return;
    }
    let names = [FEEDS, &["web/xss.xml"]].concat();
    let (dir, store, _) = crawled_store(&names).await;
    let search = moa::search::Search::in_memory_following(store.clone()).await.unwrap();
    let state = moa::web::AppState::new(store.clone()).with_search(search.clone());
    let web = Web { addr: start_web(state).await, client: reqwest::Client::new() };
    let validator = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/validators/validate_feed.py");
    let all = store.posts(&PostQuery { limit: 50, ..Default::default() }).await.unwrap();
    let company = PostQuery { source_id: Some("src3".into()), limit: 50, ..Default::default() };
    let hostile = store.posts(&company).await.unwrap();
    assert!(hostile.iter().any(|p| p.title.contains("<script>")), "the hostile feed's titles carry markup");
    let tagged = PostQuery { tag: Some("spring".into()), limit: 50, ..Default::default() };
    let tagged = store.posts(&tagged).await.unwrap();
    let searched = newest_matching(&search, "pilot").await;
    assert!(!searched.is_empty());
    for (path, expected) in [
        ("/feed.xml", &all),
        ("/atom.xml", &all),
        ("/feed.json", &all),
        ("/company/src3/feed.xml", &hostile),
        ("/company/src3/atom.xml", &hostile),
        ("/company/src3/feed.json", &hostile),
        ("/tag/spring/feed.xml", &tagged),
        ("/tag/spring/atom.xml", &tagged),
        ("/search/feed.json?q=pilot", &searched),
    ] {
        let body = web.page(path).await;
        let file = dir.path().join("feed-out");
        std::fs::write(&file, &body).unwrap();
        let kind = if path.contains(".json") {
            "json"
        } else if path.contains("atom") {
            "atom"
        } else {
            "rss"
        };
        let out = Command::new("python3").arg(validator).arg(kind).arg(&file).output().unwrap();
        assert!(out.status.success(), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let entries = read["entries"].as_array().unwrap();
        assert_eq!(entries.len(), expected.len(), "{path}");
        for (e, p) in entries.iter().zip(expected.iter()) {
            assert_eq!(e["title"].as_str().unwrap(), p.title, "{path}");
            // Without a link of its own, an Atom entry's id (a URL) serves as its link.
            let (link, id) = (e["link"].as_str().unwrap(), e["id"].as_str().unwrap());
            match &p.url {
                Some(url) => assert_eq!(link, url, "{path}"),
                None => assert!(link.is_empty() || link == id, "{path}: {link}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_cache_never_hides_a_write() {
    let (dir, store, _) = crawled_store(FEEDS).await;
    let state = moa::web::AppState::new(store.clone()).with_cache_ttl(Duration::from_secs(2));
    let web = Web { addr: start_web(state).await, client: reqwest::Client::new() };
    let post = |entry: &str, title: &str| moa_store::NewPost {
        entry_id: entry.into(),
        url: Some(format!("https://example.com/{entry}")),
        title: title.into(),
        summary: None,
        content_html: None,
        author: None,
        thumbnail: None,
        categories: vec![],
        category_labels: Default::default(),
        topics: vec![],
        published_at: Some(moa::now_unix()),
        updated_at: None,
    };

    let (_, first_headers, before) = web.get("/", &[]).await;
    let etag = first_headers["etag"].to_str().unwrap().to_string();
    // A kept answer still honours conditional requests.
    let (status, _, body) = web.get("/", &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.as_str()), (304, ""));
    // A write through this process's store shows at once.
    store.store_pushed("src0", moa::now_unix(), &[post("new-1", "캐시를 지나 바로 보이는 글")]).await.unwrap();
    let after = web.page("/").await;
    assert!(!before.contains("캐시를 지나") && after.contains("캐시를 지나 바로 보이는 글"));
    let (status, _, _) = web.get("/", &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200, "the old ETag no longer matches");
    assert!(web.page("/feed.json").await.contains("캐시를 지나"), "feeds too");
    // The same post retitled shows its new title only, and the company picker (kept between pages while
    // the store's list is unchanged) counts the new post.
    store.store_pushed("src0", moa::now_unix(), &[post("new-1", "제목을 고친 글")]).await.unwrap();
    let retitled = web.page("/").await;
    assert!(retitled.contains("제목을 고친 글") && !retitled.contains("캐시를 지나"), "the old title is gone");
    let picker_count = |page: &str| -> i64 {
        let option = page.split("<option value=\"src0\">").nth(1).and_then(|o| o.split("</option>").next());
        let count = option.and_then(|o| o.rsplit_once(" (")).and_then(|(_, n)| n.strip_suffix(')'));
        count.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count for src0 in the picker"))
    };
    let counted = store.company("src0").await.unwrap().unwrap().post_count;
    assert_eq!((picker_count(&before) + 1, picker_count(&retitled)), (counted, counted));

    // Another process's write (a second store on the same file) shows once the kept answer expires. Until
    // then the kept answer is served, compressed ones too (this client asks for gzip and br).
    let kept_at = std::time::Instant::now();
    web.get("/", &[]).await;
    let other = dir.open().await;
    other.store_pushed("src0", moa::now_unix(), &[post("new-2", "다른 프로세스가 쓴 글")]).await.unwrap();
    let (_, _, soon) = web.get("/", &[]).await;
    if kept_at.elapsed() < Duration::from_secs(1) {
        assert!(!soon.contains("다른 프로세스가 쓴 글"), "a compressed answer is kept too");
    }
    let started = std::time::Instant::now();
    let mut seen = false;
    while started.elapsed() < Duration::from_secs(10) {
        if web.page("/").await.contains("다른 프로세스가 쓴 글") {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the other process's post never showed");

    // Answers that must not be shared are not kept: clicks are counted every time.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let newest = store.posts(&PostQuery { limit: 1, ..Default::default() }).await.unwrap().remove(0);
    for ua in ["Mozilla/5.0 Firefox/133.0", "Mozilla/5.0 Safari/604.1"] {
        let url = format!("http://{}/go/{}", web.addr, newest.id);
        assert_eq!(no_redirects.get(url).header("user-agent", ua).send().await.unwrap().status().as_u16(), 302);
    }
    assert_eq!(store.post(newest.id).await.unwrap().unwrap().clicks, 2);
}

/// HTML, CSS and JavaScript of a full home page stay within 60 KB, thumbnails aside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_fits_its_budget() {
    let (_dir, store, _) = crawled_store(FEEDS).await;
    let web = Web { addr: start_web(moa::web::AppState::new(store)).await, client: reqwest::Client::new() };
    let home = web.page("/").await;
    assert_eq!(home.matches("<li class=\"post\">").count(), 20);
    let assets: Vec<&str> = ["<link rel=\"stylesheet\" href=\"", "<script src=\""]
        .iter()
        .flat_map(|marker| home.split(marker).skip(1).filter_map(|s| s.split('"').next()))
        .collect();
    assert_eq!(assets, ["/static/style.css", "/static/theme.js"], "no other asset, and nothing from elsewhere");
    let mut total = home.len();
    for asset in assets {
        total += web.page(asset).await.len();
    }
    eprintln!("home page: {} bytes of HTML, {total} bytes with its CSS and JavaScript", home.len());
    assert!(total <= 60 * 1024, "{total} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_page_marks_matches_filters_and_pages() {
    let (_dir, store, _) = crawled_store(FEEDS).await;
    let search = moa::search::Search::in_memory_following(store.clone()).await.unwrap();
    let state = moa::web::AppState::new(store.clone()).with_search(search.clone());
    let web = Web { addr: start_web(state).await, client: reqwest::Client::new() };
    let count = |page: &str| page.matches("<li class=\"post\">").count();

    // An inflected form finds the word, marked in the title or the snippet.
    let page = web.page(&format!("/search?q={}", encode("스프링을"))).await;
    assert!(page.contains("<b>스프</b>") || page.contains("<b>스프링</b>") || page.contains("<b>프링</b>"), "{page}");
    let word = encode("개발");
    let all = web.page(&format!("/search?q={word}")).await;
    let total = search
        .search(&moa_search::SearchQuery { text: "개발".into(), limit: 1, ..Default::default() })
        .await
        .unwrap()
        .total;
    assert!(total > 20, "enough hits to page: {total}");
    assert!(all.contains(&format!("“개발” 검색 결과 {total}개")), "the heading counts every hit");
    assert_eq!(count(&all), 20);
    let next =
        all.split("rel=\"next\" href=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().replace("&#38;", "&");
    assert_eq!(
        next,
        format!("/search?q={}&page=2", url::form_urlencoded::byte_serialize("개발".as_bytes()).collect::<String>())
    );
    let second = web.page(&next).await;
    assert_eq!(count(&second), (total - 20).min(20));
    assert!(second.contains("rel=\"prev\""));
    let ids = |page: &str| -> Vec<String> {
        page.split("href=\"/go/").skip(1).filter_map(|s| s.split('"').next()).map(String::from).collect()
    };
    assert!(ids(&second).iter().all(|id| !ids(&all).contains(id)), "pages do not overlap");

    // The filters: one company, newest first, a date range, a topic; each kept in the form.
    let company = web.page(&format!("/search?q={word}&company=src1&sort=date")).await;
    assert!(company.contains("<option value=\"src1\" selected>"));
    assert!(company.contains("<option value=\"date\" selected>"));
    let src1: Vec<moa_store::Post> =
        store.posts_by_ids(&ids(&company).iter().map(|i| i.parse().unwrap()).collect::<Vec<i64>>()).await.unwrap();
    assert!(!src1.is_empty() && src1.iter().all(|p| p.source_id == "src1"));
    assert!(src1.windows(2).all(|w| w[0].sort_at >= w[1].sort_at), "newest first");
    let newest = &src1[0];
    let day = time::OffsetDateTime::from_unix_timestamp(newest.sort_at + 9 * 3600).unwrap().date().to_string();
    let that_day = web.page(&format!("/search?q={word}&company=src1&from={day}&to={day}")).await;
    assert!(that_day.contains(&format!("value=\"{day}\"")));
    let days: Vec<moa_store::Post> =
        store.posts_by_ids(&ids(&that_day).iter().map(|i| i.parse().unwrap()).collect::<Vec<i64>>()).await.unwrap();
    assert!(days.iter().any(|p| p.id == newest.id));
    assert!(
        days.iter().all(|p| (p.sort_at + 9 * 3600) / 86_400 == (newest.sort_at + 9 * 3600) / 86_400),
        "that day only"
    );
    let topic = web.page(&format!("/search?q={word}&topic=backend")).await;
    assert!(topic.contains("<option value=\"backend\" selected>"));
    let tagged: Vec<moa_store::Post> =
        store.posts_by_ids(&ids(&topic).iter().map(|i| i.parse().unwrap()).collect::<Vec<i64>>()).await.unwrap();
    assert!(!tagged.is_empty() && tagged.iter().all(|p| p.topics.iter().any(|t| t == "backend")));
    assert!(
        web.page(&format!("/search?q={word}&from=nonsense")).await.contains("“개발” 검색 결과"),
        "a bad date is no filter"
    );

    // Hostile queries are text; markup in posts stays escaped around the marks.
    let hostile = web.page("/search?q=%3Cb%3E%22%20-").await;
    assert!(!hostile.contains("<b>\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_have_pages_feeds_and_chips() {
    let (_dir, store, _) = crawled_store(FEEDS).await;
    let web = Web { addr: start_web(moa::web::AppState::new(store.clone())).await, client: reqwest::Client::new() };
    let home = web.page("/").await;
    for t in moa_search::topics::TOPICS {
        assert!(home.contains(&format!("<a href=\"/topic/{}\">{}</a>", t.slug, t.ko)), "{}", t.slug);
    }
    let backend =
        store.posts(&PostQuery { topic: Some("backend".into()), limit: 100, ..Default::default() }).await.unwrap();
    assert!(!backend.is_empty(), "the tagger finds backend posts in Spring blogs");
    let page = web.page("/topic/backend").await;
    assert!(page.contains("<h1 class=\"company\">주제: 백엔드"));
    assert_eq!(page.matches("<li class=\"post\">").count(), backend.len().min(20));
    assert!(page.contains("<li class=\"topic\"><a href=\"/topic/backend\">백엔드</a></li>"), "cards carry topic chips");
    let en = web.page("/topic/backend?lang=en").await;
    assert!(en.contains("Topic: Backend"));
    let feed = web.page("/topic/backend/feed.xml").await;
    let feed = moa_feed::parse(feed.as_bytes(), &moa_feed::ParseOptions::default()).unwrap();
    let titles: Vec<_> = feed.entries.iter().map(|e| e.title.clone()).collect();
    assert_eq!(titles, backend.iter().take(50).map(|p| p.title.clone()).collect::<Vec<_>>());
    assert_eq!(web.get("/topic/nope", &[]).await.0, 404);
    assert_eq!(web.get("/topic/nope/feed.xml", &[]).await.0, 404);
    // One rule for names the filters do not know, in pages, feeds and searches alike: an unknown company or
    // topic is a 404, an unknown tag an empty list.
    for path in [
        "/company/nope",
        "/search?q=spring&company=nope",
        "/search?q=spring&topic=nope",
        "/search/feed.xml?q=spring&company=nope",
        "/search/feed.xml?q=spring&topic=nope",
    ] {
        assert_eq!(web.get(path, &[]).await.0, 404, "{path}");
    }
    for path in ["/tag/nope", "/tag/nope/feed.xml", "/search?q=spring&tag=nope", "/search?q=spring&topic=backend"] {
        assert_eq!(web.get(path, &[]).await.0, 200, "{path}");
    }
}
