//! The readers' web in a real browser: Debian's Chromium, driven by `tests/browser/run.mjs` through
//! playwright-core, against moa serving real Korean feeds and one hostile feed from a real SQLite file.
//! Screenshots go to `$MOA_SCREENSHOTS` when set (`docs/screenshots` for the README), else to a temporary
//! folder; `MOA_TEST_NAMES=1` gives the test companies company-like names for them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{crawled_store, start_web, tool_available};

const FEEDS: &[&str] = &["kr-zum-techblog.xml", "kr-cheese10yun-rss2.xml", "kr-kakaostyle-devblog.xml", "web/xss.xml"];

/// The repository's root and Chromium's path, when Chromium, Node.js and playwright-core are there.
fn browser() -> Option<(PathBuf, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let chromium = std::env::var("MOA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let installed =
        Path::new(&chromium).exists() && node && root.join("node_modules/playwright-core/package.json").exists();
    tool_available(installed, "Chromium, Node.js and playwright-core (npm ci)").then_some((root, chromium))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_in_chromium() {
    let Some((root, chromium)) = browser() else { return };
    let (dir, store, _) = crawled_store(FEEDS).await;
    let password = "a browser's password";
    store.set_user_password("kim", &moa::web::auth::hash_password(password).unwrap(), 1).await.unwrap();
    let search = moa::search::Search::in_memory_following(store.clone()).await.unwrap();
    let web = start_web(moa::web::AppState::new(store.clone()).with_search(search)).await;
    let shots = std::env::var_os("MOA_SCREENSHOTS").map_or_else(|| dir.path().join("screenshots"), PathBuf::from);
    let script = root.join("crates/moa/tests/browser/run.mjs");
    let run = tokio::process::Command::new("node")
        .arg(&script)
        .arg(format!("http://{web}"))
        .arg(&shots)
        .env("MOA_CHROMIUM", &chromium)
        .env("MOA_COMPANY1", common::company_names(1).0)
        .env("MOA_CURATOR_PASSWORD", password)
        .output();
    let out =
        tokio::time::timeout(std::time::Duration::from_secs(180), run).await.expect("browser run in time").unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser checks failed");
    assert!(stdout.ends_with("browser checks passed\n"));
    // The downloaded post is what `moa newsletter render` prints for the month.
    let month = moa::newsletter::curation::current_month(moa::now_unix()).to_string();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_moa"))
        .args(["newsletter", "render", &month])
        .env_remove("MOA_CONFIG")
        .env("MOA_DATABASE_URL", dir.url.clone())
        .env("MOA_SOURCES", dir.path().join("sources.csv"))
        .env("MOA_SEARCH_INDEX", dir.path().join("search"))
        .env("MOA_LOG", "off")
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let downloaded = std::fs::read_to_string(shots.join("download.md")).unwrap();
    assert_eq!(downloaded, String::from_utf8(cli.stdout).unwrap());
    let items = moa::newsletter::import(&downloaded).unwrap().post.items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].commentary, "브라우저에서 쓴 코멘트\n둘째 줄\n\n- 요점 `코드`");
    std::fs::remove_file(shots.join("download.md")).unwrap();
    for shot in ["home-light.png", "home-dark.png", "home-mobile.png", "curate.png"] {
        let bytes = std::fs::read(shots.join(shot)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{shot}: {} bytes", bytes.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_adds_a_blog_by_homepage_in_chromium() {
    use common::server::{Reply, TestServer};
    use std::sync::Arc;
    let Some((root, chromium)) = browser() else { return };
    let blog = Arc::new(TestServer::default());
    let items: String = (1..=3)
        .map(|i| format!("<item><title>콘솔 블로그 글 {i}</title><link>https://blog.example.kr/{i}</link><pubDate>Mon, 0{i} Dec 2025 10:00:00 +0900</pubDate><description>글 {i}의 요약</description></item>"))
        .collect();
    blog.route("/feed.xml", Reply::feed(format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>콘솔 블로그</title><link>https://blog.example.kr/</link>{items}</channel></rss>")));
    blog.route(
        "/",
        Reply::Body {
            body: br#"<html><head><title>Blog</title><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body></body></html>"#.to_vec(),
            headers: vec![("content-type", "text/html".into())],
        },
    );
    let blog_addr = blog.start("127.0.0.1").await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let store = dir.open().await;
    let password = "an operator's password";
    store.set_user_password("boss", &moa::web::auth::hash_password(password).unwrap(), 1).await.unwrap();
    store.set_user_role("boss", "operator").await.unwrap();
    let web = start_web(common::state_with_crawler(store.clone(), common::fetch_config())).await;
    let shots = std::env::var_os("MOA_SCREENSHOTS").map_or_else(|| dir.path().join("screenshots"), PathBuf::from);
    let run = tokio::process::Command::new("node")
        .arg(root.join("crates/moa/tests/browser/console.mjs"))
        .arg(format!("http://{web}"))
        .arg(&shots)
        .arg(format!("http://{blog_addr}/"))
        .env("MOA_CHROMIUM", &chromium)
        .env("MOA_OPERATOR_PASSWORD", password)
        .output();
    let out =
        tokio::time::timeout(std::time::Duration::from_secs(120), run).await.expect("browser run in time").unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "console checks failed");
    assert!(stdout.ends_with("console checks passed\n"));
    let s = store.source("console-blog").await.unwrap().expect("saved by the browser");
    assert_eq!((s.origin.as_str(), s.spec.name_ko.as_str(), s.post_count), ("operator", "콘솔 블로그", 3));
    assert_eq!(
        store.audit_log(10).await.unwrap().iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["source.refresh", "source.add"]
    );
    for shot in ["console-add.png", "console-health.png", "console-health-375.png", "console-confirm-delete.png"] {
        let bytes = std::fs::read(shots.join(shot)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{shot}: {} bytes", bytes.len());
    }
}
