//! The curator's web over real HTTP: nothing a curator can do is reachable without a session or without
//! the session's CSRF token; sign-in sets a proper cookie and is rate-limited; a signed-in curator scraps
//! a post from its card, edits, reorders, previews and downloads the month's post (the CLI's bytes);
//! published months show to readers and in `/scraps/feed.xml`.

mod common;

use common::client::{Client, form_post};
use common::{crawled_store, start_web};

const FEEDS: &[&str] = &["kr-zum-techblog.xml", "kr-cheese10yun-atom.xml"];

const CURATOR_POSTS: &[&str] = &[
    "/logout",
    "/curate/scrap-post",
    "/curate/scraps/1",
    "/curate/scraps/1/move",
    "/curate/scraps/1/delete",
    "/curate/2026-12/scraps",
    "/curate/2026-12/settings",
    "/curate/2026-12/preview",
];
const CURATOR_GETS: &[&str] = &["/curate", "/curate/2026-12", "/curate/2026-12/post.md"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curators_sign_in_scrap_edit_reorder_and_publish() {
    let (_dir, store, _) = crawled_store(FEEDS).await;
    let hash = moa::web::auth::hash_password("correct horse battery").unwrap();
    assert!(store.set_user_password("kim", &hash, 1).await.unwrap());
    let addr = start_web(moa::web::AppState::new(store.clone())).await;
    let mut anon = Client::new(addr);
    let month = moa::newsletter::curation::current_month(moa::now_unix()).to_string();

    // Without a session: pages lead to the sign-in, forms are refused, nothing changes.
    let form = [
        ("csrf", "x"),
        ("post_id", "1"),
        ("url", "https://x.dev/"),
        ("section", "news"),
        ("title", "t"),
        ("to", "1"),
        ("date", "2026-12-31T00:01:00"),
        ("id", "1"),
    ];
    for path in CURATOR_GETS {
        let a = anon.get(path).await;
        assert_eq!((a.status, a.headers.get("location").map(|l| l.to_str().unwrap())), (303, Some("/login")), "{path}");
    }
    for path in CURATOR_POSTS {
        let refused = anon.post(path, &form).await;
        assert_eq!(refused.status, 403, "{path}");
        // A page in the reader's language, not a line of English.
        assert!(refused.body.contains("로그인이 필요합니다"), "{path}: {}", refused.body);
    }
    let english = anon.post_with(CURATOR_POSTS[0], &form, &[("accept-language", "en")]).await;
    assert!(english.body.contains("Sign in first"), "{}", english.body);
    assert!(store.scraps(None).await.unwrap().is_empty());

    // The sign-in form's own CSRF token (a cookie and the same value in the form).
    let login = anon.get("/login").await;
    assert_eq!(login.status, 200);
    let login_csrf = Client::csrf_of(&login.body);
    let set = login.headers["set-cookie"].to_str().unwrap();
    assert!(set.starts_with(&format!("moa_login_csrf={login_csrf}; Path=/; HttpOnly; SameSite=Lax")), "{set}");
    let creds = |password: &'static str, csrf: String| {
        vec![("csrf", csrf), ("name", "kim".to_string()), ("password", password.to_string())]
    };
    let as_pairs = |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let post_login = |c: &mut Client, fields: Vec<(&'static str, String)>, ip: &'static str| {
        let fields = as_pairs(&fields);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = form_post(&c.http, format!("{}/login", c.base), &fields);
        async move { (r, ip) }
    };
    let (r, ip) = post_login(&mut anon, creds("correct horse battery", "forged".into()), "203.0.113.1").await;
    assert_eq!(anon.send(r, &[("x-forwarded-for", ip)]).await.status, 403, "a forged token");

    // Wrong passwords: told so, then limited for this address and name with Retry-After. The address is
    // the peer's: no proxy is trusted, so X-Forwarded-For is not believed.
    for i in 0..moa::web::auth::MAX_FAILURES_PER_NAME {
        let (r, ip) = post_login(&mut anon, creds("wrong password", login_csrf.clone()), "203.0.113.2").await;
        let a = anon.send(r, &[("x-forwarded-for", ip)]).await;
        assert_eq!(a.status, 401, "failure {i}");
        assert!(a.body.contains("이름이나 비밀번호가 맞지 않습니다"));
    }
    let (r, _) = post_login(&mut anon, creds("correct horse battery", login_csrf.clone()), "").await;
    let blocked = anon.send(r, &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(blocked.status, 429, "a forged X-Forwarded-For does not make a new address");
    assert!(blocked.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 800);
    // The rightful user, from another address, is not locked out by someone else's failures.
    let mut owner = Client::new_from(addr, "127.0.0.2");
    let login = owner.get("/login").await;
    let fields =
        [("csrf", Client::csrf_of(&login.body)), ("name", "kim".into()), ("password", "correct horse battery".into())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(owner.post("/login", &fields).await.status, 303, "the right password from another address passes");

    // A second curator signs in (over a proxy that says HTTPS: the cookie is Secure).
    assert!(store.set_user_password("lee", &hash, 1).await.unwrap());
    let mut curator = Client::new(addr);
    let login = curator.get("/login").await;
    let csrf = Client::csrf_of(&login.body);
    let fields = [("csrf", csrf.as_str()), ("name", "lee"), ("password", "correct horse battery")];
    let signed = curator.post_with("/login", &fields, &[("x-forwarded-proto", "https")]).await;
    assert_eq!((signed.status, signed.headers["location"].to_str().unwrap()), (303, "/curate"));
    let session_cookie = signed
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("moa_session="))
        .unwrap();
    assert!(session_cookie.ends_with("; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure"), "{session_cookie}");
    let token = session_cookie.split(';').next().unwrap().trim_start_matches("moa_session=").to_string();
    assert!(store.session(&token, moa::now_unix()).await.unwrap().is_none(), "the store keeps only the token's hash");

    let to_month = curator.get("/curate").await;
    assert_eq!(to_month.headers["location"].to_str().unwrap(), format!("/curate/{month}"));

    // Cards carry a scrap button for the signed-in curator only, and such pages are kept by no cache.
    let home = curator.get("/").await;
    assert_eq!(home.headers["cache-control"], "private, no-store");
    let csrf = Client::csrf_of(&home.body);
    assert_eq!(home.body.matches("action=\"/curate/scrap-post\"").count(), 20);
    assert!(!anon.get("/").await.body.contains("scrap-post"), "readers see no scrap button");

    // With a session but without the right token, every form is refused.
    for path in CURATOR_POSTS {
        let stale = curator.post(path, &form).await;
        assert_eq!(stale.status, 403, "{path} with a wrong token");
        assert!(stale.body.contains("페이지를 새로 고친 뒤 다시 보내 주세요"), "{path}: {}", stale.body);
        let without: Vec<_> = form.iter().filter(|(k, _)| *k != "csrf").copied().collect();
        let status = curator.post(path, &without).await.status;
        assert!(status == 403 || status == 422, "{path} without a token: {status}");
    }
    assert!(store.scraps(None).await.unwrap().is_empty());

    // Scrap two posts from their cards, and one URL by hand.
    let posts = store.posts(&moa_store::PostQuery { limit: 2, ..Default::default() }).await.unwrap();
    for p in &posts {
        let id = p.id.to_string();
        let a = curator.post("/curate/scrap-post", &[("csrf", &csrf), ("post_id", &id)]).await;
        assert_eq!(a.status, 303);
        assert!(a.headers["location"].to_str().unwrap().starts_with(&format!("/curate/{month}#scrap-")));
    }
    let add = [
        ("csrf", csrf.as_str()),
        ("url", "https://book.example/rust"),
        ("section", "media"),
        ("title", "러스트 책"),
        ("commentary", ""),
    ];
    assert_eq!(curator.post(&format!("/curate/{month}/scraps"), &add).await.status, 303);
    let scraps = store.scraps(Some(&month)).await.unwrap();
    assert_eq!(scraps.len(), 3);
    assert_eq!((scraps[0].post_id, scraps[0].title.as_str()), (Some(posts[0].id), posts[0].title.as_str()));

    // The month's page: every scrap, the post's Markdown, no caching.
    let page = curator.get(&format!("/curate/{month}")).await;
    assert_eq!((page.status, page.headers["cache-control"].to_str().unwrap()), (200, "private, no-store"));
    assert!(page.body.contains("<script src=\"/static/curate.js\"></script>"));
    for s in &scraps {
        assert!(page.body.contains(&format!("id=\"scrap-{}\"", s.id)));
    }

    // Edit the commentary (a browser's CR LF becomes LF), preview an unsaved edit, reorder.
    let (first, second) = (scraps[0].id.to_string(), scraps[1].id.to_string());
    let edit = [
        ("csrf", csrf.as_str()),
        ("title", scraps[0].title.as_str()),
        ("url", scraps[0].url.as_str()),
        ("section", "article"),
        ("commentary", "좋은 글입니다.\r\n둘째 줄\r\n\r\n- 요점"),
    ];
    assert_eq!(curator.post(&format!("/curate/scraps/{first}"), &edit).await.status, 303);
    assert_eq!(store.scrap(scraps[0].id).await.unwrap().unwrap().commentary, "좋은 글입니다.\n둘째 줄\n\n- 요점");
    // A URL another scrap of the month already has is refused, and nothing changes.
    let clash = [
        ("csrf", csrf.as_str()),
        ("title", "t"),
        ("url", scraps[2].url.as_str()),
        ("section", "article"),
        ("commentary", ""),
    ];
    let clashed = curator.post(&format!("/curate/scraps/{first}"), &clash).await;
    assert_eq!(clashed.status, 409);
    assert!(clashed.body.contains("같은 주소의 스크랩이 이미 있습니다"), "{}", clashed.body);
    let no_month = curator.get("/curate/2026-13").await;
    assert_eq!(no_month.status, 404);
    assert!(no_month.body.contains("YYYY-MM 꼴로"), "{}", no_month.body);
    assert_eq!(store.scrap(scraps[0].id).await.unwrap().unwrap().url, scraps[0].url);
    let preview = [
        ("csrf", csrf.as_str()),
        ("id", second.as_str()),
        ("title", "미리 보는 제목"),
        ("url", scraps[1].url.as_str()),
        ("section", "article"),
        ("commentary", "아직 저장하지 않은 코멘트"),
    ];
    let shown = curator.post(&format!("/curate/{month}/preview"), &preview).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("### [미리 보는 제목](") && shown.body.contains("아직 저장하지 않은 코멘트"));
    assert_eq!(store.scrap(scraps[1].id).await.unwrap().unwrap().commentary, "", "a preview saves nothing");
    let moved = curator.post(&format!("/curate/scraps/{second}/move"), &[("csrf", &csrf), ("to", "1")]).await;
    assert_eq!(moved.status, 303);
    assert_eq!(store.scrap(scraps[1].id).await.unwrap().unwrap().position, 1);

    // The download is the CLI's render, byte for byte.
    let md = curator.get(&format!("/curate/{month}/post.md")).await;
    assert_eq!(md.headers["content-disposition"], format!("attachment; filename=\"{month}.md\"").as_str());
    let parsed = moa::newsletter::Month::parse(&month).unwrap();
    assert_eq!(md.body, moa::newsletter::curation::render_month(store.as_ref(), parsed).await.unwrap());
    let items = moa::newsletter::import(&md.body).unwrap().post.items;
    assert_eq!(
        items.iter().map(|i| i.url.as_str()).collect::<Vec<_>>(),
        [scraps[1].url.as_str(), scraps[0].url.as_str(), "https://book.example/rust"]
    );

    // Readers see a month once it is published, and its picks in the feed.
    assert_eq!(anon.get(&format!("/newsletter/{month}")).await.status, 404, "a draft is not public");
    // A date that is not one is refused with a page that says how to write it.
    let bad_date = [("csrf", csrf.as_str()), ("date", "yesterday"), ("hidden", "true")];
    let refused = curator.post(&format!("/curate/{month}/settings"), &bad_date).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("YYYY-MM-DD 꼴로"), "{}", refused.body);
    let settings = [("csrf", csrf.as_str()), ("date", ""), ("hidden", "true")];
    assert_eq!(curator.post(&format!("/curate/{month}/settings"), &settings).await.status, 303);
    let public = anon.get(&format!("/newsletter/{month}")).await;
    assert_eq!(public.status, 200);
    assert!(
        public.body.contains("<p>좋은 글입니다.\n둘째 줄</p>") && public.body.contains("<li>요점</li>"),
        "{}",
        public.body
    );
    let main_of = |page: &str| page.split("<main").nth(1).unwrap().to_string();
    assert_eq!(main_of(&anon.get("/newsletter").await.body), main_of(&public.body), "the newest published month");
    let feed = anon.get("/scraps/feed.xml").await.body;
    let parsed_feed = moa_feed::parse(feed.as_bytes(), &moa_feed::ParseOptions::default()).unwrap();
    let links: Vec<_> = parsed_feed.entries.iter().filter_map(|e| e.link.clone()).collect();
    assert_eq!(links, [scraps[1].url.clone(), scraps[0].url.clone(), "https://book.example/rust".into()]);

    // Delete, then sign out: the session is gone.
    let deleted = curator.post(&format!("/curate/scraps/{first}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, 303);
    assert_eq!(store.scraps(Some(&month)).await.unwrap().len(), 2);
    assert_eq!(curator.post("/logout", &[("csrf", &csrf)]).await.status, 303);
    assert_eq!(curator.get("/curate").await.headers["location"], "/login");
}
