//! `moa migrate sqlite-to-postgres`: a store with something in every table is copied into PostgreSQL by
//! the `moa` binary, killed with SIGKILL midway and run again; the copy then reads the same through the
//! store trait, and keeps working (new ids after the copied ones, tombstones honoured).
//!
//! Skipped, with the reason printed, when `MOA_TEST_POSTGRES` is unset.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use moa_store::testing::TestDb;
use moa_store::{
    CheckResult, NewPost, NewsletterSettings, ScrapFields, Session, SourceCheck, SourceSpec, Store, Subscription,
    SubscriptionState, Validators,
};

const SOURCES: usize = 30;
const POSTS_PER_SOURCE: usize = 300;

fn spec(i: usize) -> SourceSpec {
    SourceSpec {
        id: format!("s{i:02}"),
        name_ko: format!("회사{i}"),
        name_en: format!("Company {i}"),
        homepage: format!("https://c{i}.example.com/"),
        feed_url: format!("https://c{i}.example.com/feed"),
        platform: "custom".into(),
        user_agent: (i == 3).then(|| "Mozilla/5.0 special".into()),
    }
}

fn post(source: usize, n: usize) -> NewPost {
    NewPost {
        entry_id: format!("e{n}"),
        url: Some(format!("https://c{source}.example.com/p/{n}")),
        title: format!("회사{source}의 글 {n}"),
        summary: Some(format!("요약 {n}")),
        content_html: Some(format!("<p>본문 {n}</p>")),
        author: n.is_multiple_of(2).then(|| "김개발".into()),
        thumbnail: None,
        categories: vec!["backend".into(), format!("tag{}", n % 7)],
        category_labels: Default::default(),
        topics: vec!["backend".into()],
        published_at: Some(1_700_000_000 + (source * 10_000 + n) as i64),
        updated_at: None,
    }
}

fn fetched(source: &str, at: i64) -> SourceCheck {
    SourceCheck {
        source_id: source.into(),
        at,
        next_check_at: at + 1800,
        interval: 1800,
        permanent_redirect: None,
        result: CheckResult::Fetched {
            validators: Validators { etag: Some(format!("\"{source}\"")), last_modified: None },
            site_pages: Vec::new(),
        },
        elapsed_ms: 120,
        bytes: 4096,
    }
}

/// Fills every table.
async fn fill(store: &dyn Store) {
    store.sync_registry(&(0..SOURCES).map(spec).collect::<Vec<_>>(), 100).await.unwrap();
    for i in 0..SOURCES {
        let posts: Vec<NewPost> = (0..POSTS_PER_SOURCE).map(|n| post(i, n)).collect();
        store.store_fetch(&fetched(&spec(i).id, 1000 + i as i64), &posts).await.unwrap();
    }
    // A failing source, a disabled one, a tombstone, a subscription, clicks, scraps, users, sessions, audit.
    store
        .record_checks(&[SourceCheck {
            result: CheckResult::Failed {
                kind: moa_store::ErrorKind::Timeout,
                message: "timed out".into(),
                disable: false,
            },
            ..fetched("s01", 5000)
        }])
        .await
        .unwrap();
    store.set_source_enabled("s02", false, Some("noisy")).await.unwrap();
    let first = store.posts(&moa_store::PostQuery { limit: 5, ..Default::default() }).await.unwrap();
    assert!(store.delete_post(first[0].id).await.unwrap());
    store
        .save_subscription(&Subscription {
            source_id: "s04".into(),
            hub: "https://hub.example.com/".into(),
            topic: "https://c4.example.com/feed".into(),
            secret: "s3cret".into(),
            state: SubscriptionState::Active,
            lease_expires_at: Some(99_999),
            requested_at: 500,
        })
        .await
        .unwrap();
    for client in ["a", "b", "c"] {
        store.record_click(first[1].id, client, 2000, 60).await.unwrap();
    }
    let scrap = ScrapFields {
        month: "2026-03".into(),
        section: "article".into(),
        title: "좋은 글".into(),
        url: "https://c1.example.com/p/1".into(),
        commentary: "**추천**".into(),
        post_id: Some(first[2].id),
    };
    store.add_scrap(&scrap, 3000).await.unwrap();
    store
        .add_scrap(&ScrapFields { url: "https://elsewhere.example.com/".into(), post_id: None, ..scrap }, 3001)
        .await
        .unwrap();
    store
        .save_newsletter_settings(&NewsletterSettings {
            month: "2026-03".into(),
            date: Some("2026-03-31".into()),
            draft: false,
            hidden_from_homepage: Some(true),
        })
        .await
        .unwrap();
    store.set_user_password("kim", "$argon2id$hash", 10).await.unwrap();
    store.set_user_role("kim", "operator").await.unwrap();
    store
        .create_session(&Session {
            token_hash: "th".into(),
            user_name: "kim".into(),
            csrf: "c".into(),
            created_at: 20,
            expires_at: i64::MAX / 2,
            role: String::new(),
        })
        .await
        .unwrap();
    store.audit(30, "kim", "source.disable", "s02", "noisy").await.unwrap();
    store.sign_in_failed(&["ip:9".into()], 40, 900).await.unwrap();
}

fn migrate(from: &str, to: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_moa"));
    c.args(["migrate", "sqlite-to-postgres", "--from", from, "--to", to])
        .env("MOA_LOG", "off")
        .env_remove("MOA_CONFIG");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_copy_resumes_and_the_copy_reads_the_same() {
    let Some(target) = TestDb::postgres().await else { return };
    let source = TestDb::sqlite();
    let sqlite = source.open().await;
    fill(sqlite.as_ref()).await;
    let file = moa_store::sqlite_path(&source.url).unwrap().to_string();

    // Killed once it has committed some posts.
    let mut child = migrate(&file, &target.url).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.map_while(Result::ok) {
        let posts_so_far = line.strip_prefix("copied ").and_then(|l| l.strip_suffix(" rows of posts"));
        seen.push(line.clone());
        if posts_so_far.and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| n >= 2000) {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed midway, not finished: {seen:?}");
    let partial = target.open().await;
    let copied = partial.count_posts(None).await.unwrap();
    let total = sqlite.count_posts(None).await.unwrap();
    assert!(copied >= 2000 && copied < total, "{copied} of {total} posts copied before the kill");

    // Run again: it resumes, copies the rest, verifies.
    let out = migrate(&file, &target.url).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("verified"), "{stdout}");
    let posts_line = stdout.lines().find(|l| l.starts_with("posts ")).unwrap();
    let cells: Vec<i64> = posts_line.split_whitespace().skip(1).map(|c| c.parse().unwrap()).collect();
    assert_eq!(cells, [total, total, total - copied], "the second run copied only the rest: {posts_line}");

    let pg = target.open().await;
    let (a, b) = (sqlite.sources().await.unwrap(), pg.sources().await.unwrap());
    assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap(), "sources and their state");
    let (a, b) = (sqlite.post_texts(0, 100_000).await.unwrap(), pg.post_texts(0, 100_000).await.unwrap());
    assert_eq!(a.len() as i64, total);
    assert_eq!(a, b, "every post, with its id");
    let query = moa_store::PostQuery { limit: 100, ..Default::default() };
    let listed = |posts: Vec<moa_store::Post>| -> Vec<(i64, String, i64, Option<String>)> {
        posts.into_iter().map(|p| (p.id, p.title, p.clicks, p.author)).collect()
    };
    assert_eq!(
        listed(sqlite.posts(&query).await.unwrap()),
        listed(pg.posts(&query).await.unwrap()),
        "listing, clicks included"
    );
    assert_eq!(sqlite.scraps(None).await.unwrap(), pg.scraps(None).await.unwrap());
    assert_eq!(pg.newsletter_settings("2026-03").await.unwrap(), sqlite.newsletter_settings("2026-03").await.unwrap());
    assert_eq!(sqlite.users().await.unwrap(), pg.users().await.unwrap());
    assert_eq!(pg.session("th", 100).await.unwrap().map(|s| s.role), Some("operator".into()));
    assert_eq!(sqlite.audit_log(10).await.unwrap(), pg.audit_log(10).await.unwrap());
    assert_eq!(pg.subscription("s04").await.unwrap(), sqlite.subscription("s04").await.unwrap());
    assert!(pg.sign_in_blocked(&["ip:9".into()], 41, 1, 900).await.unwrap().is_some());
    // The kept counts are the target's own, from the posts copied (not copied, then counted again).
    moa_store::testing::assert_read_paths_agree(sqlite.as_ref(), &[]).await;
    moa_store::testing::assert_read_paths_agree(pg.as_ref(), &[]).await;

    // Run again: nothing more to copy, and verified again.
    let out = migrate(&file, &target.url).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let posts_line = stdout.lines().find(|l| l.starts_with("posts ")).unwrap();
    assert!(posts_line.ends_with(" 0"), "{posts_line}");

    // The copy goes on working: new posts get ids after the copied ones, the deleted post stays deleted,
    // and the search index can follow it from the start.
    let max_id = a.iter().map(|p| p.id).max().unwrap();
    let later = pg.store_fetch(&fetched("s00", 9000), &[post(0, 1000)]).await.unwrap();
    assert_eq!(later.new, 1);
    assert!(later.created[0].id > max_id);
    // The newest post (s29's e299) was the one deleted.
    let again = pg.store_fetch(&fetched("s29", 9000), &[post(29, 299)]).await.unwrap();
    assert_eq!((again.new, again.tombstoned), (0, 1));
    let changes = pg.post_changes(moa_store::ChangeCursor::default(), 100_000).await.unwrap();
    assert_eq!(changes.iter().filter(|c| c.text.is_some()).count() as i64, total + 1);
    moa_store::testing::assert_read_paths_agree(pg.as_ref(), &[]).await;

    // Into a database that holds other data: refused.
    let other = TestDb::postgres().await.unwrap();
    other.open().await.sync_registry(&[spec(0)], 1).await.unwrap();
    let out = migrate(&file, &other.url).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds moa data already"));
}
