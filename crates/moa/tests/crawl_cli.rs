//! `moa crawl` and `moa sources list` as an operator runs them: due sources only by default, `--all`,
//! `--source`, the next check written before a fetch (so a killed crawl never loops), health shown in
//! the list, posts deleted for good, and the search index following the store across processes and crashes.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::fixture;
use common::server::{Reply, TestServer};
use moa_store::PostQuery;

struct Setup {
    dir: moa_store::testing::TestDb,
    db: String,
}

impl Setup {
    fn new(rows: &[(&str, String)]) -> Self {
        Self::on(moa_store::testing::TestDb::from_env_blocking(), rows)
    }

    fn on(dir: moa_store::testing::TestDb, rows: &[(&str, String)]) -> Self {
        let mut csv = String::from("id,name_ko,name_en,homepage,feed_url\n");
        for (id, url) in rows {
            csv.push_str(&format!("{id},회사 {id},{id},https://{id}.example.com/,{url}\n"));
        }
        std::fs::write(dir.path().join("sources.csv"), csv).unwrap();
        std::fs::write(
            dir.path().join("moa.toml"),
            "per_host_spacing_ms = 0\nper_host_concurrency = 4\npage_images = false\n",
        )
        .unwrap();
        let db = dir.url.clone();
        Self { dir, db }
    }

    fn moa(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_moa"));
        c.args(args)
            .env("MOA_CONFIG", self.dir.path().join("moa.toml"))
            .env("MOA_DATABASE_URL", &self.db)
            .env("MOA_SOURCES", self.dir.path().join("sources.csv"))
            // On PostgreSQL the default is ./moa-data/search, which tests running side by side would share.
            .env("MOA_SEARCH_INDEX", self.dir.path().join("search"))
            .env("MOA_ALLOW_PRIVATE_NETWORKS", "1")
            .env("MOA_LOG", "off");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.moa(args).output().unwrap();
        assert!(out.status.success(), "moa {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_fetches_what_is_due_all_forces_and_source_picks_one() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    server.route("/a", Reply::feed(fixture("kr-s0okju.xml")));
    server.route("/b", Reply::feed(fixture("kr-shin0102.xml")));
    // A 429 pauses its whole host, so the throttled source lives on a host of its own.
    let throttled = Arc::new(TestServer::default());
    let t = throttled.start("127.0.0.2").await;
    throttled.route("/c", Reply::status(429).with("retry-after", "86400"));
    let setup =
        Setup::new(&[("a", format!("http://{a}/a")), ("b", format!("http://{a}/b")), ("c", format!("http://{t}/c"))]);

    let first = setup.run(&["crawl", "--once"]);
    assert!(first.contains("2 sources ok (0 unchanged), 1 failed"), "{first}");
    // Nothing is due a moment later.
    let second = setup.run(&["crawl", "--once"]);
    assert!(second.contains("0 sources ok (0 unchanged), 0 failed"), "{second}");
    assert_eq!(server.hits().len() + throttled.hits().len(), 3);
    let one = setup.run(&["crawl", "--once", "--source", "b"]);
    assert!(one.contains("1 sources ok"), "{one}");
    assert_eq!((server.hits_of("/b").len(), server.hits_of("/a").len()), (2, 1));
    let all = setup.run(&["crawl", "--once", "--all"]);
    assert!(all.contains("2 sources ok") && all.contains("1 failed"), "{all}");
    assert_eq!(server.hits().len() + throttled.hits().len(), 7);
    // Nothing fetched although something was tried: a non-zero exit that says so. An unknown id is an error.
    let failed = setup.moa(&["crawl", "--once", "--source", "c"]).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&failed.stdout), String::from_utf8_lossy(&failed.stderr));
    assert!(!failed.status.success() && stdout.contains("0 sources ok (0 unchanged), 1 failed"), "{stdout}");
    assert!(stderr.contains("nothing could be fetched: all 1 sources tried failed"), "{stderr}");
    let unknown = setup.moa(&["crawl", "--once", "--source", "nope"]).output().unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no source has the id \"nope\""));

    let list = setup.run(&["sources", "list"]);
    let c_line = list.lines().position(|l| l.starts_with("c ")).unwrap();
    assert!(list.lines().nth(c_line).unwrap().contains("failing×3"), "{list}");
    assert_eq!(list.lines().nth(c_line + 1).unwrap().trim(), "└ throttled: HTTP 429 (Retry-After 86400s)");
    let json: serde_json::Value = serde_json::from_str(&setup.run(&["sources", "list", "--json"])).unwrap();
    let c = json.as_array().unwrap().iter().find(|s| s["id"] == "c").unwrap();
    assert_eq!(c["last_error_kind"], "throttled");
    assert!(c["next_check_at"].as_i64().unwrap() >= moa::now_unix() + 86_000);

    // An operator deletes a post; the next crawl does not bring it back.
    let store = moa_store::open(&setup.db).await.unwrap();
    let victim = store.posts(&PostQuery { source_id: Some("a".into()), limit: 1, ..Default::default() }).await.unwrap();
    let before = store.count_posts(Some("a")).await.unwrap();
    let out = setup.run(&["posts", "rm", &victim[0].id.to_string()]);
    assert!(out.contains("will not store it again"));
    let logged = store.audit_log(1).await.unwrap().remove(0);
    assert_eq!((logged.user_name.as_str(), logged.action.as_str()), ("cli", "post.delete"));
    assert_eq!(logged.target, victim[0].id.to_string());
    setup.run(&["crawl", "--once", "--all"]);
    assert_eq!(store.count_posts(Some("a")).await.unwrap(), before - 1);
    let missing = setup.moa(&["posts", "rm", "999999"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no post has the id 999999"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_check_is_written_before_the_fetch_so_a_killed_crawl_does_not_loop() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    let never = Arc::new(tokio::sync::Notify::new());
    server.route("/hangs", Reply::Hold(never, Box::new(Reply::status(200))));
    let setup = Setup::new(&[("hangs", format!("http://{a}/hangs"))]);
    let mut child = setup.moa(&["crawl", "--once"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    for _ in 0..200 {
        if !server.hits_of("/hangs").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.hits_of("/hangs").len(), 1, "the fetch started");
    child.kill().unwrap(); // SIGKILL mid-fetch
    child.wait().unwrap();

    let store = moa_store::open(&setup.db).await.unwrap();
    let s = store.sources().await.unwrap().remove(0);
    assert_eq!(s.last_attempt_at, None, "the fetch never finished");
    assert!(s.next_check_at >= moa::now_unix() + 14 * 60, "the lease was written first: {}", s.next_check_at);
    // Restarted, the crawler does not go straight back to it.
    let again = setup.run(&["crawl", "--once"]);
    assert!(again.contains("0 sources ok (0 unchanged), 0 failed"), "{again}");
    assert_eq!(server.hits_of("/hangs").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_the_scheduler_and_shows_what_it_crawled() {
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    server.route("/a", Reply::feed(fixture("kr-s0okju.xml")));
    let setup = Setup::new(&[("a", format!("http://{a}/a"))]);
    let (mut child, addr) = spawn_serve(&setup, &[]);
    let store = moa_store::open(&setup.db).await.unwrap();
    let title = store_titles_after_crawl(&store).await;
    moa::ingest::fetch::install_tls_provider();
    let page = reqwest::get(format!("http://{addr}/")).await.unwrap().text().await.unwrap();
    assert!(page.contains(&title), "the page shows the crawled post {title:?}");
    // SIGTERM, as a service manager stops it: a graceful shutdown and a clean exit.
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("moa serve did not stop within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit after SIGTERM: {status}");
    assert!(reqwest::get(format!("http://{addr}/healthz")).await.is_err(), "no longer listening");
    assert_eq!(server.hits_of("/a").len(), 1, "fetched once, then not again before it is due");
}

/// Waits for the scheduler's first crawl to store posts; the newest title.
async fn store_titles_after_crawl(store: &std::sync::Arc<dyn moa_store::Store>) -> String {
    for _ in 0..250 {
        if let Ok(posts) = store.posts(&PostQuery { limit: 1, ..Default::default() }).await
            && let Some(p) = posts.first()
        {
            return p.title.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("nothing crawled within 5 s");
}

/// A running `moa serve` (with these extra arguments) and its address.
fn spawn_serve(setup: &Setup, args: &[&str]) -> (std::process::Child, String) {
    common::spawn_serving(
        setup.moa(&[&["serve", "--listen", "127.0.0.1:0"], args].concat()).env("MOA_LOG", "info"),
        None,
    )
}

/// The post ids `/api/v1/search` finds for `q` (a quoted title, say) in one company.
async fn served_hits(addr: &str, q: &str, company: &str) -> Vec<i64> {
    let q = url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
    let url = format!("http://{addr}/api/v1/search?q={q}&company={company}&limit=100");
    let page: serde_json::Value =
        serde_json::from_str(&reqwest::get(url).await.unwrap().text().await.unwrap()).unwrap();
    page["results"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect()
}

/// Waits (up to 10 s) for the served search to agree that `q` finds `id`, or not.
async fn await_hit(addr: &str, q: &str, company: &str, id: i64, present: bool) {
    for _ in 0..200 {
        if served_hits(addr, q, company).await.contains(&id) == present {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("after 10 s, searching {q:?} in {company} still {} post {id}", if present { "misses" } else { "finds" });
}

/// A source's newest post: its id, and its title as a quoted phrase to search for.
async fn newest_of(store: &Arc<dyn moa_store::Store>, source: &str) -> (i64, String) {
    let posts = store.posts(&PostQuery { source_id: Some(source.into()), limit: 1, ..Default::default() }).await;
    let post = posts.unwrap().remove(0);
    (post.id, format!("\"{}\"", post.title.replace('"', " ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_follows_the_store_across_processes_and_catches_up_after_a_crash() {
    moa::ingest::fetch::install_tls_provider();
    let server = Arc::new(TestServer::default());
    let a = server.start("127.0.0.1").await;
    for (path, file) in [("/a", "kr-s0okju.xml"), ("/b", "kr-shin0102.xml"), ("/c", "kr-hyunsang.xml")] {
        server.route(path, Reply::feed(fixture(file)));
    }
    let setup =
        Setup::new(&[("a", format!("http://{a}/a")), ("b", format!("http://{a}/b")), ("c", format!("http://{a}/c"))]);
    let store = moa_store::open(&setup.db).await.unwrap();

    // Posts stored with no index following: the first command that opens the index catches it up.
    setup.run(&["crawl", "--once", "--source", "a"]);
    let (a_id, a_title) = newest_of(&store, "a").await;
    let found: serde_json::Value =
        serde_json::from_str(&setup.run(&["search", &a_title, "--json", "--company", "a"])).unwrap();
    assert_eq!(found["results"][0]["id"].as_i64(), Some(a_id), "{found}");
    let status = setup.run(&["index", "status"]);
    let last = store.last_change().await.unwrap();
    assert!(status.contains(&format!("change {last} of {last} applied")), "{status}");

    // While serve holds the index, another process's writes reach its search within seconds, and the CLI
    // reads the index serve keeps.
    let (mut serve, addr) = spawn_serve(&setup, &["--no-crawl"]);
    assert!(served_hits(&addr, &a_title, "a").await.contains(&a_id));
    setup.run(&["crawl", "--once", "--source", "b"]);
    let (b_id, b_title) = newest_of(&store, "b").await;
    await_hit(&addr, &b_title, "b", b_id, true).await;
    let cli = setup.run(&["search", &b_title, "--company", "b"]);
    assert!(cli.contains(&format!("{b_id:>7}  ")), "the CLI reads what serve indexed: {cli}");
    // `-word` is an exclusion, not an unknown flag, wherever it stands.
    let first_word = b_title.split_whitespace().find(|w| w.chars().all(char::is_alphanumeric)).unwrap().to_string();
    let unknown = setup.moa(&["search", &b_title, "--company", "nope"]).output().unwrap();
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no company has the id"));
    let kept = setup.run(&["search", "-없는낱말", &b_title, "--company", "b"]);
    assert!(kept.contains(&format!("{b_id:>7}  ")), "{kept}");
    let excluded = setup.moa(&["search", &b_title, &format!("-{first_word}"), "--company", "b"]).output().unwrap();
    let excluded = String::from_utf8_lossy(&excluded.stdout).to_string();
    assert!(!excluded.contains(&format!("{b_id:>7}  ")), "{excluded}");
    setup.run(&["posts", "rm", &b_id.to_string()]);
    await_hit(&addr, &b_title, "b", b_id, false).await;
    let busy = setup.moa(&["index", "rebuild"]).output().unwrap();
    assert!(!busy.status.success());
    let busy_err = String::from_utf8_lossy(&busy.stderr);
    assert!(busy_err.contains("held by another moa process"), "{busy:?}");
    // One line naming the directory, not the index's debug form.
    assert_eq!(busy_err.trim().lines().count(), 1, "{busy_err}");
    assert!(busy_err.len() < 400 && !busy_err.contains("ManagedDirectory"), "{busy_err}");

    // Killed, then posts stored while it is down: the restarted serve finds them from its first request.
    serve.kill().unwrap(); // SIGKILL
    serve.wait().unwrap();
    setup.run(&["crawl", "--once", "--source", "c"]);
    let (c_id, c_title) = newest_of(&store, "c").await;
    let (mut serve, addr) = spawn_serve(&setup, &["--no-crawl"]);
    assert!(served_hits(&addr, &c_title, "c").await.contains(&c_id), "caught up before serving");
    assert!(!served_hits(&addr, &b_title, "b").await.contains(&b_id), "the deleted post stays gone");
    serve.kill().unwrap();
    serve.wait().unwrap();

    // A rebuild indexes every shown post again, and nothing else.
    let rebuilt = setup.run(&["index", "rebuild"]);
    let shown = store.posts(&PostQuery { limit: 10_000, ..Default::default() }).await.unwrap().len();
    assert!(rebuilt.contains(&format!(": {shown} posts indexed")), "{rebuilt} (shown: {shown})");
    let found: serde_json::Value =
        serde_json::from_str(&setup.run(&["search", &c_title, "--json", "--company", "c"])).unwrap();
    assert_eq!(found["results"][0]["id"].as_i64(), Some(c_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_during_a_crawl_then_restore_brings_back_exactly_the_backup() {
    let server = Arc::new(TestServer::default());
    let names = ["kr-zum-techblog.xml", "kr-cheese10yun-atom.xml", "kr-kakaostyle-devblog.xml"];
    let mut rows = Vec::new();
    for (i, name) in names.iter().enumerate() {
        // Slow answers keep the crawl writing while the backup is taken.
        let path = format!("/f{i}.xml");
        server.route(
            &path,
            Reply::Slow { delay: Duration::from_millis(300 * i as u64), then: Box::new(Reply::feed(fixture(name))) },
        );
        rows.push((format!("s{i}"), path));
    }
    let addr = server.start("127.0.0.1").await;
    let rows: Vec<(&str, String)> = rows.iter().map(|(id, p)| (id.as_str(), format!("http://{addr}{p}"))).collect();
    // `moa backup` copies SQLite stores (PostgreSQL has pg_dump; the same test on it checks the advice).
    let on_postgres = Setup::new(&rows);
    if on_postgres.dir.is_postgres() {
        let out = on_postgres.moa(&["backup", on_postgres.dir.path().join("b.db").to_str().unwrap()]).output().unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let setup = Setup::on(moa_store::testing::TestDb::sqlite(), &rows);
    let mut crawl =
        setup.moa(&["crawl", "--once", "--all"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let backup = setup.dir.path().join("backups/mid-crawl.db");
    let out = setup.moa(&["backup", backup.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("backup written to"));
    assert!(crawl.wait().unwrap().success());
    let info = moa_store::SqliteStore::check_backup(&backup).await.unwrap();
    let live = moa_store::open(&setup.db).await.unwrap();
    let all = live.count_posts(None).await.unwrap();
    assert!(info.posts < all, "taken mid-crawl: {} of {all}", info.posts);
    drop(live);
    let again = setup.moa(&["backup", backup.to_str().unwrap()]).output().unwrap();
    assert!(!again.status.success(), "an existing backup is not overwritten");
    let out = setup.moa(&["restore", backup.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{} posts", info.posts)) && stdout.contains("before-restore"), "{stdout}");
    let restored = moa_store::open(&setup.db).await.unwrap();
    assert_eq!(restored.count_posts(None).await.unwrap(), info.posts, "the store is the backup again");
    let kept = std::fs::read_dir(setup.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .unwrap();
    let previous = moa_store::SqliteStore::check_backup(&kept.path()).await.unwrap();
    assert_eq!(previous.posts, all, "the database it replaced is kept whole");
    let bad = setup.dir.path().join("not-a-db");
    std::fs::write(&bad, "hello").unwrap();
    let out = setup.moa(&["restore", bad.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(restored.count_posts(None).await.unwrap(), info.posts, "a bad file changes nothing");
    // Under a running serve, a restore is refused and nothing changes.
    let (mut serve, _) = spawn_serve(&setup, &["--no-crawl"]);
    let out = setup.moa(&["restore", backup.to_str().unwrap()]).output().unwrap();
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_are_added_by_homepage_edited_disabled_and_removed_from_the_cli() {
    let server = Arc::new(TestServer::default());
    server.route(
        "/",
        Reply::Body {
            body: br#"<html><head><link rel="alternate" type="application/atom+xml" href="/atom"></head></html>"#
                .to_vec(),
            headers: vec![("content-type", "text/html".into())],
        },
    );
    server.route("/atom", Reply::feed(fixture("kr-cheese10yun-atom.xml")));
    // Written at 01:30 on 2 December in Korea, which is still 1 December in UTC.
    server.route(
        "/morning.xml",
        Reply::feed(
            br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Morning</title><link>https://m.example/</link>
<item><title>Early post</title><link>https://m.example/1</link><pubDate>Wed, 02 Dec 2026 01:30:00 +0900</pubDate></item>
</channel></rss>"#
                .to_vec(),
        ),
    );
    let addr = server.start("127.0.0.1").await;
    let setup = Setup::new(&[]);
    let run = |args: &[&str]| {
        let out = setup.moa(args).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    };
    let home = format!("http://{addr}/");
    let (ok, dry) = run(&["sources", "add", &home, "--dry-run"]);
    assert!(
        ok && dry.contains(&format!("feed: http://{addr}/atom (found by: advertised)")) && dry.contains("not saved"),
        "{dry}"
    );
    let (ok, morning) = run(&["sources", "add", &format!("http://{addr}/morning.xml"), "--dry-run"]);
    assert!(ok && morning.contains("  2026-12-02  Early post"), "the preview dates posts in Korea time: {morning}");
    let (ok, list) = run(&["sources", "list", "--json"]);
    assert!(ok && list.trim() == "[]", "a dry run saves nothing: {list}");
    let (ok, added) = run(&["sources", "add", &home, "--id", "cheese", "--name-ko", "치즈 블로그"]);
    assert!(ok && added.contains("added cheese"), "{added}");
    let (ok, again) = run(&["sources", "add", &home, "--id", "cheese"]);
    assert!(!ok && again.contains("is already the source \"cheese\""), "{again}");
    // The same feed under another id, or by its own address written otherwise, is refused too.
    let (ok, twice) = run(&["sources", "add", &format!("http://{addr}/atom#feed"), "--id", "cheese-2"]);
    assert!(!ok && twice.contains("is already the source \"cheese\""), "{twice}");
    let (ok, crawled) = run(&["crawl", "--once"]);
    assert!(ok && crawled.contains("1 sources ok"), "{crawled}");
    let store = moa_store::open(&setup.db).await.unwrap();
    let s = store.source("cheese").await.unwrap().unwrap();
    assert_eq!(
        (s.origin.as_str(), s.spec.name_ko.as_str(), s.spec.feed_url.as_str()),
        ("operator", "치즈 블로그", format!("http://{addr}/atom").as_str())
    );
    assert!(s.post_count > 0 && s.health.fetch_count == 1 && s.health.fetch_bytes_total > 0);
    assert!(run(&["sources", "edit", "cheese", "--name-en", "Cheese"]).0);
    let (ok, same) = run(&["sources", "edit", "cheese", "--name-en", "Cheese"]);
    assert!(ok && same.contains("unchanged"), "an edit that changes nothing is no update: {same}");
    assert!(run(&["sources", "disable", "cheese", "--reason", "moved to Medium"]).0);
    let (_, list) = run(&["sources", "list"]);
    assert!(list.contains("disabled: moved to Medium"), "{list}");
    let (ok, opml) = run(&["sources", "export"]);
    assert!(ok && opml.starts_with("<?xml"), "{opml}");
    assert!(run(&["sources", "enable", "cheese"]).0);
    let (ok, gone) = run(&["sources", "rm", "cheese", "--with-posts"]);
    assert!(ok && gone.contains("deleted"), "{gone}");
    assert_eq!(store.count_posts(None).await.unwrap(), 0);
    let actions: Vec<String> =
        store.audit_log(20).await.unwrap().into_iter().map(|e| format!("{} {}", e.user_name, e.action)).collect();
    assert_eq!(
        actions,
        ["cli source.delete", "cli source.enable", "cli source.disable", "cli source.edit", "cli source.add"]
    );
    let (ok, nothing) = run(&["sources", "add", &format!("http://127.0.0.1:{}/", common::closed_port())]);
    assert!(!ok && nothing.contains("no feed found"), "{nothing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_source_id_of_each_fetch() {
    let server = Arc::new(TestServer::default());
    server.route("/ok.xml", Reply::feed(fixture("kr-zum-techblog.xml")));
    server.route("/broken.xml", Reply::status(500));
    let addr = server.start("127.0.0.1").await;
    let setup = Setup::new(&[("good", format!("http://{addr}/ok.xml")), ("bad", format!("http://{addr}/broken.xml"))]);
    // The command's own report ("failed: bad: …") is plain text; the logs are JSON.
    let events_of = |args: &[&str], level: Option<&str>| {
        let mut command = setup.moa(args);
        match level {
            Some(level) => command.env("MOA_LOG", level),
            None => command.env_remove("MOA_LOG"),
        };
        let out = command.output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
            .collect::<Vec<serde_json::Value>>()
    };
    // At the default level (warnings), then at info.
    for (args, level) in [(&["crawl", "--once"][..], None), (&["crawl", "--once", "--all"][..], Some("info"))] {
        let events = events_of(&[args, &["--log-format", "json"]].concat(), level);
        let failed = events.iter().find(|e| e["fields"]["message"] == "fetch failed").expect("a failure is logged");
        assert_eq!(failed["level"], "WARN");
        assert_eq!((failed["span"]["name"].as_str(), failed["span"]["id"].as_str()), (Some("source"), Some("bad")));
        assert!(failed["fields"]["error"].as_str().unwrap().contains("500"));
    }
    let events = events_of(&["crawl", "--once", "--all", "--log-format", "json"], Some("info"));
    assert!(events.iter().any(|e| e["fields"]["message"] == "registry synced"), "other events are JSON too");
}

/// Retention empties old bodies; a rebuild afterwards keeps every post's topics (the body that gave them
/// is gone, what is left says less).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_after_retention_keeps_every_posts_topics() {
    let server = Arc::new(TestServer::default());
    for name in ["kr-cheese10yun-atom.xml", "kr-kdevkr.xml", "kr-jbee-felog.xml"] {
        server.route(&format!("/{name}"), Reply::feed(fixture(name)));
    }
    let addr = server.start("127.0.0.1").await;
    let setup = Setup::new(&[
        ("cheese", format!("http://{addr}/kr-cheese10yun-atom.xml")),
        ("kdevkr", format!("http://{addr}/kr-kdevkr.xml")),
        ("jbee", format!("http://{addr}/kr-jbee-felog.xml")),
    ]);
    setup.run(&["crawl", "--once"]);
    let store = moa_store::open(&setup.db).await.unwrap();
    let topics = || async {
        let posts = store.posts(&PostQuery { limit: 10_000, ..Default::default() }).await.unwrap();
        posts.into_iter().map(|p| (p.id, p.topics)).collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = topics().await;
    let tagged = before.values().filter(|t| !t.is_empty()).count();
    assert!(tagged >= 20, "the fixtures' posts are tagged: {tagged} of {}", before.len());
    let dropped = setup.run(&["retention", "--months", "0", "--yes"]);
    assert!(dropped.contains("dropped the bodies of") && !dropped.contains(" of 0 posts"), "{dropped}");
    setup.run(&["index", "rebuild"]);
    let after = topics().await;
    for (id, t) in &before {
        assert!(t.iter().all(|t| after[id].contains(t)), "post {id} lost topics: {t:?} → {:?}", after[id]);
    }
}

/// A post written at 01:30 on 2 December in Korea (still 1 December in UTC) is a post of 2 December for
/// the CLI's search, its dates and its filters, as for the web.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_and_the_web_date_posts_by_the_korean_day() {
    let server = Arc::new(TestServer::default());
    server.route(
        "/morning.xml",
        Reply::feed(
            br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Morning</title><link>https://m.example/</link>
<item><title>Early bird post</title><link>https://m.example/1</link><pubDate>Wed, 02 Dec 2026 01:30:00 +0900</pubDate></item>
</channel></rss>"#
                .to_vec(),
        ),
    );
    let addr = server.start("127.0.0.1").await;
    let setup = Setup::new(&[("morning", format!("http://{addr}/morning.xml"))]);
    setup.run(&["crawl", "--once"]);
    let search = |from: &str, to: &str| setup.run(&["search", "bird", "--from", from, "--to", to]);
    let found = search("2026-12-02", "2026-12-02");
    assert!(found.contains("  2026-12-02  morning") && found.contains("Early bird post"), "{found}");
    assert!(search("2026-12-01", "2026-12-01").contains("0 of 0 matching posts"), "not a post of 1 December");
    let (mut serve, web) = spawn_serve(&setup, &["--no-crawl"]);
    moa::ingest::fetch::install_tls_provider();
    let page = |q: &str| {
        let url = format!("http://{web}/search?q=bird&{q}");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let on_the_day = page("from=2026-12-02&to=2026-12-02").await;
    assert!(on_the_day.contains("Early <b>bird</b> post") && on_the_day.contains("2026-12-02 01:30"), "{on_the_day}");
    assert!(!page("from=2026-12-01&to=2026-12-01").await.contains("Early <b>bird</b> post"));
    serve.kill().unwrap();
    serve.wait().unwrap();
}

/// After an upgrade whose topic dictionary changed, the first crawl retags the stored posts once; the
/// index follows through the change log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_topic_dictionary_retags_stored_posts_once() {
    let server = Arc::new(TestServer::default());
    server.route("/feed.xml", Reply::feed(fixture("kr-kdevkr.xml")));
    let addr = server.start("127.0.0.1").await;
    let setup = Setup::new(&[("kdevkr", format!("http://{addr}/feed.xml"))]);
    setup.run(&["crawl", "--once"]);
    let store = moa_store::open(&setup.db).await.unwrap();
    assert_eq!(store.setting("tagger_version").await.unwrap(), Some(moa_search::topics::TAGGER_VERSION.to_string()));
    let posts = store.posts(&PostQuery { limit: 100, ..Default::default() }).await.unwrap();
    let (id, topics) = (posts[0].id, posts[0].topics.clone());
    // As an older dictionary had tagged it.
    store.set_topics(&[(id, vec!["design".into()])]).await.unwrap();
    setup.run(&["crawl", "--once"]);
    let kept = store.post(id).await.unwrap().unwrap().topics;
    assert_eq!(kept, ["design"], "the same dictionary: nothing is retagged");
    store.set_setting("tagger_version", "0").await.unwrap();
    setup.run(&["crawl", "--once"]);
    assert_eq!(store.post(id).await.unwrap().unwrap().topics, topics, "retagged with this dictionary");
    assert_eq!(store.setting("tagger_version").await.unwrap(), Some(moa_search::topics::TAGGER_VERSION.to_string()));
}
