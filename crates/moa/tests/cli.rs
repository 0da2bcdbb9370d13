//! The `moa` binary's contracts: `moa parse` JSON for real documents, and clear errors.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn moa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_moa"));
    c.env_remove("MOA_CONFIG").env_remove("MOA_DATABASE_URL").env_remove("MOA_SOURCES").env_remove("MOA_SEARCH_INDEX");
    c
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/real")
}

fn is_rfc3339_utc(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => {
            s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && moa_feed::parse_date(s, 0).is_some()
        }
        _ => false,
    }
}

fn is_absolute_url_or_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.starts_with("http://") || s.starts_with("https://"),
        _ => false,
    }
}

fn is_nonempty_string_or_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => !s.is_empty(),
        _ => false,
    }
}

/// Checks one `moa parse` object against the contract.
fn check_contract(file: &str, doc: &Value) {
    let keys = ["format", "encoding", "title", "link", "description", "language", "entries", "warnings"];
    // Present only when the feed states them.
    let optional = ["self_url", "hub", "ttl_minutes", "site_pages"];
    let obj = doc.as_object().unwrap_or_else(|| panic!("{file}: not an object"));
    assert_eq!(
        obj.keys().map(String::as_str).filter(|k| !optional.contains(k)).collect::<std::collections::BTreeSet<_>>(),
        keys.into_iter().collect(),
        "{file}"
    );
    assert!(obj.keys().all(|k| keys.contains(&k.as_str()) || optional.contains(&k.as_str())), "{file}");
    for k in ["self_url", "hub"] {
        assert!(is_absolute_url_or_null(&doc[k]), "{file}: {k} {}", doc[k]);
    }
    assert!(doc["ttl_minutes"].is_null() || doc["ttl_minutes"].as_u64().is_some(), "{file}");
    // Entries left out as pages of the site: what they were and why.
    for page in doc["site_pages"].as_array().into_iter().flatten() {
        assert!(page["id"].as_str().is_some_and(|s| !s.is_empty()), "{file}: site page id");
        assert!(page["title"].is_string() && page["reason"].as_str().is_some_and(|r| !r.is_empty()), "{file}");
        assert!(is_absolute_url_or_null(&page["link"]), "{file}: site page link {}", page["link"]);
    }
    assert!(
        ["rss2.0", "rss1.0", "rss0.9x", "atom1.0", "atom0.3", "jsonfeed1"].contains(&doc["format"].as_str().unwrap())
    );
    assert_eq!(doc["encoding"].as_str().map(|e| !e.is_empty()), Some(true), "{file}");
    for k in ["title", "description", "language"] {
        assert!(is_nonempty_string_or_null(&doc[k]), "{file}: {k} = {}", doc[k]);
    }
    assert!(is_absolute_url_or_null(&doc["link"]), "{file}: link {}", doc["link"]);
    assert!(doc["warnings"].as_array().is_some_and(|w| w.iter().all(Value::is_string)));
    let entry_keys = ["id", "title", "link", "published", "updated", "author", "summary", "thumbnail", "categories"];
    for e in doc["entries"].as_array().unwrap_or_else(|| panic!("{file}: entries")) {
        let eo = e.as_object().unwrap();
        assert_eq!(
            eo.keys()
                .map(String::as_str)
                .filter(|k| *k != "category_labels")
                .collect::<std::collections::BTreeSet<_>>(),
            entry_keys.into_iter().collect(),
            "{file}"
        );
        // Labels, when a feed gives any, name some of the entry's categories.
        if let Some(labels) = e.get("category_labels") {
            let labels = labels.as_object().unwrap_or_else(|| panic!("{file}: category_labels"));
            let categories: Vec<&str> =
                e["categories"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            assert!(
                !labels.is_empty()
                    && labels.iter().all(|(term, l)| categories.contains(&term.as_str()) && l.is_string())
            );
        }
        assert!(e["id"].as_str().is_some_and(|s| !s.is_empty()), "{file}: id");
        assert!(e["title"].is_string(), "{file}: title");
        for k in ["link", "thumbnail"] {
            assert!(is_absolute_url_or_null(&e[k]), "{file}: {k} = {}", e[k]);
        }
        for k in ["published", "updated"] {
            assert!(is_rfc3339_utc(&e[k]), "{file}: {k} = {}", e[k]);
        }
        for k in ["author", "summary"] {
            assert!(is_nonempty_string_or_null(&e[k]), "{file}: {k} = {}", e[k]);
        }
        assert!(e["categories"].as_array().is_some_and(|c| c.iter().all(Value::is_string)), "{file}");
    }
}

#[test]
fn parse_prints_the_contract_for_every_rss2_and_atom1_fixture() {
    let tsv = std::fs::read_to_string(corpus().join("SOURCES.tsv")).unwrap();
    let files: Vec<String> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            matches!(cols.get(3).copied(), Some("rss2.0" | "atom1.0")).then(|| cols[0].to_string())
        })
        .collect();
    assert!(files.len() > 140, "{} files", files.len());
    // All at once: one line of JSON per file, in order.
    let out = moa()
        .arg("parse")
        .args(files.iter().map(|f| corpus().join(f)))
        .args(["--url", "https://blog.example.com/feed.xml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len());
    for (file, line) in files.iter().zip(lines) {
        let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}: invalid JSON: {e}"));
        check_contract(file, &doc);
    }
}

#[test]
fn one_file_prints_one_object_with_the_documented_values() {
    let out = moa().arg("parse").arg(corpus().join("kr-wordpress-mike7dk.xml")).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_contract("kr-wordpress-mike7dk.xml", &doc);
    assert_eq!(doc["format"], "rss2.0");
    let e = &doc["entries"][0];
    assert_eq!(e["title"], "미슐랭 레스토랑이 많은 도시");
    assert_eq!(e["published"], "2025-08-26T02:30:07Z");
    assert_eq!(e["link"], "https://mike7dk.wordpress.com/2025/08/25/cities-with-most-michelin-restaurants/");
}

#[test]
fn non_feeds_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "page.html",
            "<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/atom+xml\" href=\"/atom.xml\"></head></html>",
            "not a feed: the document is an HTML page; the page advertises the feed https://blog.example.com/atom.xml",
        ),
        ("note.xml", "<note>hi</note>", "not a feed: the root element is <note>, not <rss>, <rdf:RDF> or <feed>"),
        ("empty.xml", "", "empty document"),
        ("broken.xml", "<rss version=\"2.0\"", "malformed XML at byte"),
    ];
    for (name, body, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let out = moa().arg("parse").arg(&path).args(["--url", "https://blog.example.com/"]).output().unwrap();
        assert!(!out.status.success(), "{name} should fail");
        assert!(out.stdout.is_empty(), "{name}: printed {:?}", String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.starts_with(&format!("moa: {}: ", path.display())), "{stderr}");
    }
    let missing = moa().args(["parse", "/nonexistent/feed.xml"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/feed.xml"));
}

#[test]
fn a_database_that_cannot_be_reached_is_a_clear_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for url in [format!("postgres://moa@127.0.0.1:{closed}/moa"), "mysql://localhost/moa".to_string()] {
        let out = moa().args(["sources", "list", "--database", &url]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot open the database"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn sources_list_shows_the_builtin_registry() {
    let dir = moa_store::testing::TestDb::from_env_blocking();
    let db = dir.url.clone();
    let out = moa().args(["sources", "list", "--json", "--database", &db]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 163);
    let daangn = list.iter().find(|s| s["name_ko"].as_str().is_some_and(|n| n.contains("당근"))).expect("당근 listed");
    assert_eq!(daangn["enabled"], true);
    assert_eq!(daangn["post_count"], 0);

    let table = moa().args(["sources", "list", "--database", &db]).output().unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.lines().next().unwrap().starts_with("ID"));
    assert!(text.contains("우아한형제들 기술블로그"));
}

#[test]
fn operators_replace_the_registry_and_bad_files_are_clear_errors() {
    let dir = moa_store::testing::TestDb::from_env_blocking();
    let db = dir.url.clone();
    let opml = dir.path().join("mine.opml");
    std::fs::write(&opml, r#"<opml version="2.0"><body><outline text="당근 테크" xmlUrl="https://medium.com/feed/daangn"/></body></opml>"#).unwrap();
    let out = moa().args(["sources", "list", "--json", "--database", &db]).env("MOA_SOURCES", &opml).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let enabled: Vec<_> = list.as_array().unwrap().iter().filter(|s| s["enabled"] == true).collect();
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0]["feed_url"], "https://medium.com/feed/daangn");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,name_ko\nx,y\n").unwrap();
    let out = moa().args(["sources", "list", "--database", &db, "--sources"]).arg(&bad).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing column \"name_en\""));

    let conf = dir.path().join("moa.toml");
    std::fs::write(&conf, "databse_url = \"typo\"\n").unwrap();
    let out = moa().args(["sources", "list", "--config"]).arg(&conf).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid config file"));
}

fn hostile() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile")
}

/// `moa parse` on one hostile document: the JSON, or the one line on stderr.
fn parse_hostile(file: &str) -> Result<Value, String> {
    let out = moa()
        .args(["parse", "--url", "https://blog.example.com/feed.xml"])
        .arg(hostile().join(file))
        .output()
        .expect("run moa");
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{file}: {e}")))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// (title, link, summary, published, thumbnail) of each entry; absent values as "".
fn cards(file: &str) -> (Vec<[String; 5]>, Vec<String>, String) {
    let doc = parse_hostile(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    check_contract(file, &doc);
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let entries = doc["entries"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| [s(&e["title"]), s(&e["link"]), s(&e["summary"]), s(&e["published"]), s(&e["thumbnail"])])
                .collect()
        })
        .unwrap_or_default();
    let warnings = doc["warnings"].as_array().map(|w| w.iter().map(s).collect()).unwrap_or_default();
    (entries, warnings, s(&doc["encoding"]))
}

#[test]
fn hostile_documents_give_the_normalized_values() {
    let url = |p: &str| format!("https://blog.example.com/{p}");

    // Bombs and external entities: nothing is expanded or fetched; the reference stays as written.
    let (e, w, _) = cards("billion-laughs.xml");
    assert_eq!((e[0][0].as_str(), w), ("&lol9;", vec!["unknown entity &lol9; kept as written".to_string()]));
    let (e, w, _) = cards("external-entity.xml");
    assert_eq!(e[0][0], "&xxe;&remote;");
    assert_eq!(w.len(), 2, "{w:?}");
    let (e, w, _) = cards("deep-nesting.xml");
    assert_eq!(e[0][0], "깊이 전의 글");
    assert_eq!(w, ["elements nested deeper than 256; stopped reading"]);

    // Korean encodings: declared, undeclared, mislabelled as UTF-8, and CP949's own label.
    for (file, title, warning) in [
        ("euc-kr-declared.xml", "한글 제목입니다", None),
        ("euc-kr-undeclared.xml", "선언 없는 한글 인코딩", Some("no encoding declared; detected EUC-KR")),
        ("euc-kr-served-as-utf8.xml", "잘못 선언된 인코딩", Some("declared utf-8 but the bytes are EUC-KR")),
        ("cp949-label.xml", "똠방각하 확장 완성형", None),
    ] {
        let (e, w, encoding) = cards(file);
        assert_eq!((encoding.as_str(), e[0][0].as_str()), ("euc-kr", title), "{file}");
        match warning {
            Some(text) => assert!(w.iter().any(|x| x.starts_with(text)), "{file}: {w:?}"),
            None => assert!(w.is_empty(), "{file}: {w:?}"),
        }
    }

    // Platform boilerplate: removed; a description that is only boilerplate gives way to the content.
    let (e, _, _) = cards("wordpress-boilerplate.xml");
    assert_eq!(e[0][2], "데이터 디스커버리란 조직 안의 데이터를 찾는 일입니다");
    assert_eq!(e[1][2], "외부감사인을 선임하였음을 공고합니다.");
    let (e, _, _) = cards("medium-footer.xml");
    assert_eq!(e[0][1], "https://medium.com/daangn/search-1a2b3c", "Medium's source=rss removed");
    assert_eq!(e[0][2], "당근 검색팀이 시스템을 다시 만든 이야기입니다.");
    assert_eq!(e[1][2], "Links from my talk today…");

    // Glued blocks, images in text, and a 12,000-character description.
    let (e, _, _) = cards("glued-blocks.xml");
    assert_eq!(e[0][2], "Impressions By: Tulika Bhatt");
    assert_eq!(e[1][2], "이제 하나만 남았어요. 우리는 다음 단계로 갑니다. 그림처럼 구성했습니다.");
    assert_eq!(e[1][4], url("images/diagram.png"));
    assert!(e[2][2].chars().count() <= 200 && e[2][2].ends_with("계속됩니다…"), "{}", e[2][2]);

    // Unsafe schemes are dropped with a warning; tracking parameters and fragments go.
    let (e, w, _) = cards("javascript-links.xml");
    assert_eq!([e[0][1].as_str(), e[1][1].as_str(), e[2][1].as_str()], ["", "", url("ok").as_str()]);
    assert!(w.iter().any(|x| x.contains("scheme javascript")) && w.iter().any(|x| x.contains("scheme data")), "{w:?}");

    // Relative URLs: the entry's xml:base, then the feed's; default ports dropped.
    let (e, _, _) = cards("relative-urls.xml");
    assert_eq!(e[0][1], "https://base.example.com/blog/posts/1");
    assert_eq!(e[0][4], "https://base.example.com/blog/img/cover.png");
    assert_eq!(e[1][1], "https://other.example.com/2");
    assert_eq!(e[2][1], "https://base.example.com/blog/3");

    // Korean and sloppy dates, read in Asia/Seoul when they name no zone; the future is clamped.
    let (e, w, _) = cards("korean-dates.xml");
    let dates: Vec<&str> = e.iter().map(|c| c[3].as_str()).collect();
    assert_eq!(
        dates[..7],
        [
            "2025-02-10T01:13:00Z",
            "2025-02-10T01:13:00Z",
            "2004-05-25T14:23:17Z",
            "2025-02-10T01:13:00Z",
            "2025-02-10T01:13:00Z",
            "2025-02-02T16:13:00Z",
            "2025-02-10T01:13:00Z"
        ]
    );
    assert!(dates[7] < "2100" && dates[7] > "2025", "clamped to now: {}", dates[7]);
    assert!(w.iter().any(|x| x.contains("in the future")), "{w:?}");

    // HTML entities in XML, a bare ampersand, control characters.
    let (e, w, _) = cards("entities-and-control-characters.xml");
    assert_eq!(e[0][0], "A & B … © 2025 R&D");
    assert_eq!(e[0][1], "https://blog.example.com/1?a=1&b=2");
    assert_eq!(e[0][2], "제어문자와 “인용”");
    assert_eq!(w.len(), 3, "one warning per HTML entity: {w:?}");

    // Junk before the declaration, and a document cut off mid-entry.
    let (e, w, _) = cards("junk-before-xml.xml");
    assert_eq!((e[0][0].as_str(), w.len()), ("PHP 경고 뒤의 피드", 1));
    let (e, w, _) = cards("truncated.xml");
    assert_eq!(e.iter().map(|c| c[0].as_str()).collect::<Vec<_>>(), ["첫 글", "둘째 글"]);
    assert!(w.iter().any(|x| x.contains("truncated")), "{w:?}");

    // An HTML page: a clear error that names the feed it advertises.
    assert_eq!(
        parse_hostile("html-page.html").unwrap_err(),
        format!(
            "moa: {}: not a feed: the document is an HTML page; the page advertises the feed https://blog.example.com/feed.xml",
            hostile().join("html-page.html").display()
        )
    );
}

#[test]
fn newsletter_check_reads_posts_and_names_the_line_of_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/newsletter/2022-03.md");
    let odd_date = dir.path().join("2022-02.md");
    std::fs::write(&odd_date, "---\ndate: \"2022-02-30T00:01:00\"\ntitle: 월간 기술 스크랩 22/02\n---\n").unwrap();
    let broken = dir.path().join("broken.md");
    std::fs::write(&broken, "---\ntitle: 월간 기술 스크랩 22/04\n---\n\n## 🎧 팟캐스트\n").unwrap();

    let out = moa().args(["newsletter", "check"]).arg(&seed).arg(&odd_date).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, format!("{}: 7 items, 2022-03\n{}: 0 items, 2022-02\n", seed.display(), odd_date.display()));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "{}:2: warning: the date \"2022-02-30T00:01:00\" does not exist: 2022-02 has 28 days (kept as written)\n",
            odd_date.display()
        )
    );

    let out = moa().args(["newsletter", "check"]).arg(&broken).arg(&seed).output().unwrap();
    assert!(!out.status.success(), "a file that cannot be read fails the check");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("{}:5: error: unknown section heading \"🎧 팟캐스트\"\n", broken.display())
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("7 items"), "the other files are still checked");
}

/// `moa parse … | head`: the reader stops early; moa ends quietly, as Unix tools do, without a panic.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::io::Read;
    let feed =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/real/kr-zum-techblog.xml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_moa"))
        .arg("parse")
        .args(std::iter::repeat_n(&feed, 40))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    child.wait().unwrap();
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}

/// Every option and argument of every command says what it is in `--help`.
#[test]
fn every_option_in_every_help_is_described() {
    fn help(path: &[String]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_moa")).args(path).arg("--help").output().unwrap();
        assert!(out.status.success(), "{path:?}");
        String::from_utf8(out.stdout).unwrap()
    }
    let mut todo = vec![Vec::<String>::new()];
    let mut undescribed = Vec::new();
    while let Some(path) = todo.pop() {
        let text = help(&path);
        let mut section = "";
        for line in text.lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                section = line;
                continue;
            }
            let entry = line.trim_start();
            if line.len() == entry.len() || entry.is_empty() {
                continue;
            }
            // "  --limit <LIMIT>  How many results": a name, two or more spaces, then words.
            let described = entry.split_once("  ").is_some_and(|(_, d)| !d.trim().is_empty());
            let continuation = line.starts_with("          ") && !entry.starts_with('-');
            match section {
                "Commands:" => {
                    let name = entry.split_whitespace().next().unwrap_or("");
                    if name != "help" {
                        todo.push(path.iter().cloned().chain([name.to_string()]).collect());
                    }
                    if !described {
                        undescribed.push(format!("{path:?} {entry}"));
                    }
                }
                "Options:" | "Arguments:" if !continuation && !described => {
                    undescribed.push(format!("{path:?} {entry}"))
                }
                _ => {}
            }
        }
    }
    assert!(undescribed.is_empty(), "without a description: {undescribed:#?}");
}

/// `moa ARGS` on an SQLite store in `dir`.
fn moa_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_moa"))
        .args(args)
        .env("MOA_DATABASE_URL", format!("sqlite://{}", dir.join("moa.db").display()))
        .env("MOA_SEARCH_INDEX", dir.join("search"))
        .env("MOA_LOG", "off")
        .output()
        .unwrap()
}

/// `moa restore` with no such file, or with a file that is not a database: one line each, saying what
/// to give instead.
#[test]
fn restore_says_in_one_line_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "this is no database at all, but long enough to look like a file").unwrap();
    for (file, says) in [(dir.path().join("missing.db"), "no such file: "), (junk, "is not an SQLite database")] {
        let out = moa_in(dir.path(), &["restore", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(says), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("moa backup FILE"), "{stderr}");
    }
}

/// `moa retention --months 0` would empty every body: it asks for `--yes`.
#[test]
fn retention_of_zero_months_needs_yes() {
    let dir = tempfile::tempdir().unwrap();
    let moa = |args: &[&str]| moa_in(dir.path(), args);
    let refused = moa(&["retention", "--months", "0"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("add --yes"));
    let done = moa(&["retention", "--months", "0", "--yes"]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(String::from_utf8_lossy(&done.stdout).contains("dropped the bodies of 0 posts"));
}

/// An error whose causes repeat each other's text is said once: `moa backup` to where no file can be made.
#[test]
fn an_error_says_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = moa_in(dir.path(), &["backup", "/proc/moa-cannot-be-here.db"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.starts_with("moa: cannot write the backup"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches("unable to open database").count(), 1, "each cause once: {stderr}");
}
