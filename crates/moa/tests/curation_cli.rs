//! The curator's command line against a real SQLite file and pages served over loopback: scraps added
//! from any page (title and description proposed), listed, moved, edited and deleted; the seed post
//! imported twice without duplicates and rendered back byte for byte; settings kept per month.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::server::{Reply, TestServer};

struct Curator {
    dir: moa_store::testing::TestDb,
}

impl Curator {
    fn new() -> Self {
        let dir = moa_store::testing::TestDb::from_env_blocking();
        std::fs::write(dir.path().join("sources.csv"), "id,name_ko,name_en,homepage,feed_url\n").unwrap();
        Self { dir }
    }

    fn moa(&self, args: &[&str], private_ok: bool) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_moa"));
        c.args(args)
            .env_remove("MOA_CONFIG")
            .env("MOA_DATABASE_URL", &self.dir.url)
            .env("MOA_SOURCES", self.dir.path().join("sources.csv"))
            .env("MOA_SEARCH_INDEX", self.dir.path().join("search"))
            .env("MOA_LOG", "off");
        if private_ok {
            c.env("MOA_ALLOW_PRIVATE_NETWORKS", "1");
        } else {
            c.env_remove("MOA_ALLOW_PRIVATE_NETWORKS");
        }
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.moa(args, true).output().unwrap();
        assert!(out.status.success(), "moa {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], private_ok: bool) -> String {
        let out = self.moa(args, private_ok).output().unwrap();
        assert!(!out.status.success(), "moa {args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }

    fn list(&self, month: &str) -> Vec<serde_json::Value> {
        let out = self.run(&["scrap", "list", "--month", month, "--json"]);
        serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraps_from_pages_then_a_post_rendered_and_imported() {
    let server = Arc::new(TestServer::default());
    let addr = server.start("127.0.0.1").await;
    let page = r#"<!doctype html><html><head><title>Site | ignored</title>
        <meta property="og:title" content="Rust 2024 에디션 정리">
        <meta property="og:description" content="새 에디션에서 바뀐 점을 정리한 글."></head><body>본문</body></html>"#;
    server.route("/rust", Reply::Body { body: page.into(), headers: vec![("content-type", "text/html".into())] });
    server.route(
        "/plain",
        Reply::Body {
            body: b"<title>Only a title</title>".to_vec(),
            headers: vec![("content-type", "text/html".into())],
        },
    );
    let curator = Curator::new();
    let url = |path: &str| format!("http://{addr}{path}");

    // The page's og:title and og:description become the proposed title and commentary.
    let out = curator.run(&["scrap", "add", &url("/rust"), "--section", "news", "--month", "2026-12"]);
    assert!(out.starts_with("scrap 1 added: 2026-12 news #1 Rust 2024 에디션 정리"), "{out}");
    // The curator's own words win; Korean section names work too.
    curator.run(&["scrap", "add", &url("/plain"), "--section", "기술 뉴스", "--month", "2026-12", "--note", "내 메모"]);
    // A page that cannot be read needs a title; with one it is kept.
    let dead = format!("http://127.0.0.1:{}/gone", common::closed_port());
    let err = curator.fails(&["scrap", "add", &dead, "--month", "2026-12"], true);
    assert!(err.contains("could not read") && err.contains("--title"), "{err}");
    curator.run(&["scrap", "add", &dead, "--month", "2026-12", "--title", "사라진 글", "--note", "오프라인"]);
    // The crawler's address guard applies: loopback is refused unless allowed.
    let err = curator.fails(&["scrap", "add", &url("/rust"), "--month", "2027-01"], false);
    assert!(err.contains("private") || err.contains("loopback"), "{err}");
    // A link once a month.
    let err =
        curator.fails(&["scrap", "add", &url("/rust"), "--month", "2026-12", "--title", "x", "--note", "y"], true);
    assert!(err.contains("already scrap 1 of 2026-12"), "{err}");
    assert!(curator.fails(&["scrap", "add", &url("/rust"), "--section", "podcast"], true).contains("unknown section"));

    let scraps = curator.list("2026-12");
    let rows: Vec<(&str, i64, &str, &str)> = scraps
        .iter()
        .map(|s| {
            (
                s["section"].as_str().unwrap(),
                s["position"].as_i64().unwrap(),
                s["title"].as_str().unwrap(),
                s["commentary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("article", 1, "사라진 글", "오프라인"),
            ("news", 1, "Rust 2024 에디션 정리", "새 에디션에서 바뀐 점을 정리한 글."),
            ("news", 2, "Only a title", "내 메모"),
        ]
    );

    // Reorder, edit, delete.
    curator.run(&["scrap", "move", "2", "--to", "1"]);
    let note = curator.dir.path().join("note.md");
    std::fs::write(&note, "첫 문단\n줄바꿈\n\n- 목록\n").unwrap();
    curator.run(&["scrap", "edit", "1", "--note-file", note.to_str().unwrap(), "--title", "Rust 2024"]);
    let rendered = curator.run(&["newsletter", "render", "2026-12"]);
    let expected_body = format!(
        "## \u{270D}\u{FE0F} 글\n\n### [사라진 글]({dead})\n\n오프라인\n\n<!-- ## \u{1F4CC} 북마크 -->\n\n## \u{1F4F0} 기술 뉴스\n\n### [Only a title]({})\n\n내 메모\n\n### [Rust 2024]({})\n\n첫 문단\n줄바꿈\n\n- 목록\n\n<!-- ## \u{2699}\u{FE0F} 소프트웨어 / 프로젝트 -->\n\n<!-- ## \u{1F4D9} 책 / 강의 / 영상 -->\n",
        url("/plain"),
        url("/rust")
    );
    assert!(rendered.starts_with("---\ndate: \"2026-12-31T00:01:00\"\ntitle: 월간 기술 스크랩 26/12\n"), "{rendered}");
    assert!(rendered.ends_with(&format!("draft: true\n---\n\n{expected_body}")), "{rendered}");
    curator.run(&["scrap", "rm", "3"]);
    assert_eq!(curator.list("2026-12").len(), 2);
    assert!(curator.fails(&["scrap", "rm", "3"], true).contains("no scrap 3"));

    // Settings given once are kept for the month.
    curator.run(&[
        "newsletter",
        "render",
        "2026-12",
        "--publish",
        "--hidden-from-homepage",
        "--date",
        "2027-01-02T09:00:00",
    ]);
    let out_file = curator.dir.path().join("2026-12.md");
    curator.run(&["newsletter", "render", "2026-12", "-o", out_file.to_str().unwrap()]);
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert!(written.starts_with("---\ndate: \"2027-01-02T09:00:00\"\n"), "{written}");
    assert!(written.contains("\ndraft: false\nhiddenfromhomepage: true\n---\n"), "{written}");

    // The seed: imported, imported again without duplicates, rendered back byte for byte.
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/newsletter/2022-03.md");
    let out = curator.run(&["newsletter", "import", seed]);
    assert!(out.ends_with("2022-03: 7 scraps added, 0 updated\n"), "{out}");
    let out = curator.run(&["newsletter", "import", seed]);
    assert!(out.ends_with("2022-03: 0 scraps added, 7 updated\n"), "{out}");
    assert_eq!(curator.list("2022-03").len(), 7);
    let original = std::fs::read_to_string(seed).unwrap();
    assert_eq!(curator.run(&["newsletter", "render", "2022-03"]), original.trim_end_matches('\n').to_string() + "\n");
    // Reordered by hand, then imported again: the file's order wins.
    curator.run(&["scrap", "move", &curator.list("2022-03")[0]["id"].to_string(), "--to", "3"]);
    curator.run(&["newsletter", "import", seed]);
    assert_eq!(curator.run(&["newsletter", "render", "2022-03"]), original.trim_end_matches('\n').to_string() + "\n");

    let bad = curator.dir.path().join("bad.md");
    std::fs::write(&bad, "---\ntitle: 월간 기술 스크랩 22/04\n---\n\n## 🎧 팟캐스트\n").unwrap();
    let err = curator.fails(&["newsletter", "import", bad.to_str().unwrap()], true);
    assert!(err.contains(&format!("{}:5: unknown section heading", bad.display())), "{err}");
}

#[test]
fn user_add_reads_the_password_from_standard_input() {
    use std::io::Write;
    let curator = Curator::new();
    let add = |password: &str| {
        let mut child = curator
            .moa(&["user", "add", "kim"], false)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = add("correct horse battery");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "curator added: kim\n");
    assert_eq!(String::from_utf8(add("another long one").stdout).unwrap(), "password changed: kim\n");
    let short = add("short");
    assert!(!short.status.success());
    assert!(String::from_utf8(short.stderr).unwrap().contains("at least 8 characters"));
    let bad_name = curator.fails(&["user", "add", "kim lee"], false);
    assert!(bad_name.contains("letters, digits"), "{bad_name}");
}
