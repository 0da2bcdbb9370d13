//! The `moa` binary's contracts: `moa parse` JSON for real documents, and clear errors.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn moa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_moa"));
    c.env_remove("MOA_CONFIG").env_remove("MOA_DATABASE_URL").env_remove("MOA_SOURCES");
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
    let obj = doc.as_object().unwrap_or_else(|| panic!("{file}: not an object"));
    assert_eq!(
        obj.keys().map(String::as_str).collect::<std::collections::BTreeSet<_>>(),
        keys.into_iter().collect(),
        "{file}"
    );
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
            eo.keys().map(String::as_str).collect::<std::collections::BTreeSet<_>>(),
            entry_keys.into_iter().collect(),
            "{file}"
        );
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
fn sources_list_shows_the_builtin_registry() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("moa.db").display());
    let out = moa().args(["sources", "list", "--json", "--database", &db]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 162);
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
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("moa.db").display());
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
