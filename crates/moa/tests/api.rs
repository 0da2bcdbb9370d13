//! The JSON API against its own OpenAPI document: real responses from a crawled store, each checked
//! against the schema the document gives for its path and status.

mod common;

use std::time::Duration;

use common::{KOREAN_FEEDS, crawl_all, registry_csv, start_feed_server};
use serde_json::Value;

/// Checks `value` against a JSON Schema of the subset the document uses: `$ref`, `type` (one or a list,
/// with "null"), `required`, `properties` (no others allowed), `items`, `enum`, `minimum`, and the formats
/// `date-time` and `uri`.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{at}: unknown $ref {r}"));
        return check(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => panic!("{at}: bad type in schema"),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        assert!(
            types.contains(&actual) || (actual == "integer" && types.contains(&"number")),
            "{at}: {actual} is not {types:?}"
        );
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        assert!(options.contains(value), "{at}: {value} not in {options:?}");
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64()) {
        assert!(n >= min, "{at}: {n} < {min}");
    }
    if let (Some(format), Some(s)) = (schema.get("format").and_then(Value::as_str), value.as_str()) {
        match format {
            "date-time" => assert!(
                s.ends_with('Z') && moa_feed::parse_date(s, 0).is_some(),
                "{at}: {s:?} is not an RFC 3339 UTC time"
            ),
            "uri" => assert!(s.starts_with("http://") || s.starts_with("https://"), "{at}: {s:?} is not a URI"),
            other => panic!("{at}: unchecked format {other}"),
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = key.as_str().unwrap();
            assert!(obj.contains_key(key), "{at}: missing {key}");
        }
        for (key, v) in obj {
            let prop = props.and_then(|p| p.get(key)).unwrap_or_else(|| panic!("{at}: {key} is not in the document"));
            check(doc, prop, v, &format!("{at}.{key}"));
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"));
        }
    }
}

/// The API of a store that crawled the Korean fixture feeds (and one broken feed), served on loopback.
async fn served_api() -> (std::net::SocketAddr, std::sync::Arc<dyn moa_store::Store>, moa_store::testing::TestDb) {
    let addr = start_feed_server(KOREAN_FEEDS, Duration::ZERO).await;
    let dir = moa_store::testing::TestDb::from_env().await;
    let csv = dir.path().join("sources.csv");
    std::fs::write(&csv, registry_csv(addr, KOREAN_FEEDS, true)).unwrap();
    let store = dir.open().await;
    store.sync_registry(&moa::ingest::registry::load(&csv).unwrap(), moa::now_unix()).await.unwrap();
    crawl_all(store.clone()).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web = listener.local_addr().unwrap();
    let search = moa::search::Search::in_memory_following(store.clone()).await.unwrap();
    let state = moa::web::AppState::new(store.clone()).with_search(search);
    tokio::spawn(async move { axum::serve(listener, moa::web::router(state)).await });
    (web, store, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_matches_the_openapi_document() {
    let (web, store, _dir) = served_api().await;
    let get = |path: String| async move {
        let r = reqwest::get(format!("http://{web}{path}")).await.unwrap();
        let status = r.status().as_u16();
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (status, ct, serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap())
    };
    let (status, _, doc) = get("/api/openapi.json".into()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let schema_of = |path: &str, status: u16| {
        doc["paths"][path]["get"]["responses"][status.to_string()]["content"]["application/json"]["schema"].clone()
    };

    // Walk every page of posts; each page, each post, matches the document.
    let mut seen = 0;
    let mut before = String::new();
    loop {
        let (status, ct, page) = get(format!("/api/v1/posts?limit=37{before}")).await;
        assert_eq!((status, ct.as_str()), (200, "application/json"));
        check(&doc, &schema_of("/api/v1/posts", 200), &page, "posts");
        seen += page["posts"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => before = format!("&before={c}"),
            None => break,
        }
    }
    let listed = store.posts(&moa_store::PostQuery { limit: 100_000, ..Default::default() }).await.unwrap();
    assert_eq!(seen, listed.len(), "pages walk every listed post once");

    let (_, _, company) = get("/api/v1/posts?company=src3&limit=100".into()).await;
    let src3 = company["posts"].as_array().unwrap();
    assert_eq!(src3.len() as i64, store.count_posts(Some("src3")).await.unwrap());
    assert!(src3.iter().all(|p| p["company"]["id"] == "src3"));
    // Filters combine: one company's posts with one tag.
    let tag = listed.iter().find(|p| p.source_id == "src3").and_then(|p| p.categories.first()).unwrap().clone();
    let encoded = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>();
    let (status, _, tagged) = get(format!("/api/v1/posts?company=src3&tag={encoded}&limit=100")).await;
    assert_eq!(status, 200);
    check(&doc, &schema_of("/api/v1/posts", 200), &tagged, "tagged");
    let tagged = tagged["posts"].as_array().unwrap();
    let want =
        listed.iter().filter(|p| p.source_id == "src3" && p.categories.iter().any(|c| c.eq_ignore_ascii_case(&tag)));
    assert_eq!(tagged.len(), want.count(), "{tag}");
    assert!(tagged.iter().all(|p| p["company"]["id"] == "src3"
        && p["tags"].as_array().unwrap().iter().any(|t| t.as_str().unwrap().eq_ignore_ascii_case(&tag))));

    let id = listed[0].id;
    let (status, _, one) = get(format!("/api/v1/posts/{id}")).await;
    assert_eq!(status, 200);
    check(&doc, &schema_of("/api/v1/posts/{id}", 200), &one, "post");
    assert_eq!((one["id"].as_i64(), one["title"].as_str()), (Some(id), Some(listed[0].title.as_str())));

    let (status, _, sources) = get("/api/v1/sources".into()).await;
    assert_eq!(status, 200);
    check(&doc, &schema_of("/api/v1/sources", 200), &sources, "sources");
    let broken = sources["sources"].as_array().unwrap().iter().find(|s| s["id"] == "broken").unwrap();
    assert_eq!((broken["state"].as_str(), broken["last_error_kind"].as_str()), (Some("failing"), Some("http_status")));

    // Search: a page of hits with highlights, filters applied, pages that do not overlap.
    let (status, _, found) = get("/api/v1/search?q=%EC%BF%A0%EB%B2%84%EB%84%A4%ED%8B%B0%EC%8A%A4&limit=5".into()).await;
    assert_eq!(status, 200);
    check(&doc, &schema_of("/api/v1/search", 200), &found, "search");
    let hits = found["results"].as_array().unwrap();
    assert!(found["total"].as_u64().unwrap() > 5 && hits.len() == 5, "쿠버네티스: {found}");
    assert!(hits.iter().all(|h| format!("{}{}", h["title_html"], h["snippet_html"]).contains("<b>")), "{found}");
    let (_, _, second) =
        get("/api/v1/search?q=%EC%BF%A0%EB%B2%84%EB%84%A4%ED%8B%B0%EC%8A%A4&limit=5&page=2".into()).await;
    let first_ids: Vec<&Value> = hits.iter().map(|h| &h["id"]).collect();
    assert!(second["results"].as_array().unwrap().iter().all(|h| !first_ids.contains(&&h["id"])));
    let word =
        listed.iter().find(|p| p.source_id == "src3").unwrap().title.split_whitespace().next().unwrap().to_string();
    let q = url::form_urlencoded::byte_serialize(word.as_bytes()).collect::<String>();
    let (_, _, in_src3) = get(format!("/api/v1/search?q={q}&company=src3&sort=date&limit=100")).await;
    let in_src3 = in_src3["results"].as_array().unwrap();
    assert!(!in_src3.is_empty() && in_src3.iter().all(|h| h["company"]["id"] == "src3"), "{word}");
    let times: Vec<&str> = in_src3.iter().map(|h| h["sorted_at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "sort=date is newest first");
    let topic = listed.iter().find_map(|p| p.topics.first()).expect("the tagger tagged some fixture post").clone();
    let (status, _, by_topic) = get(format!("/api/v1/posts?topic={topic}&limit=100")).await;
    assert_eq!(status, 200);
    check(&doc, &schema_of("/api/v1/posts", 200), &by_topic, "by topic");
    let by_topic = by_topic["posts"].as_array().unwrap();
    assert_eq!(by_topic.len(), listed.iter().filter(|p| p.topics.contains(&topic)).count().min(100));
    assert!(by_topic.iter().all(|p| p["topics"].as_array().unwrap().iter().any(|t| t == topic.as_str())));

    // Errors, also as the document says.
    for (path, status, doc_path) in [
        ("/api/v1/posts/999999999", 404, "/api/v1/posts/{id}"),
        ("/api/v1/posts/abc", 404, "/api/v1/posts/{id}"),
        ("/api/v1/posts?limit=0", 400, "/api/v1/posts"),
        ("/api/v1/posts?limit=101", 400, "/api/v1/posts"),
        ("/api/v1/posts?before=nonsense", 400, "/api/v1/posts"),
        ("/api/v1/posts?company=nope", 404, "/api/v1/posts"),
        // One rule for unknown names: a company or a topic is a 404, a tag an empty list.
        ("/api/v1/posts?topic=nope", 404, "/api/v1/posts"),
        ("/api/v1/search?q=a&company=nope", 404, "/api/v1/search"),
        ("/api/v1/search?q=a&topic=nope", 404, "/api/v1/search"),
        ("/api/v1/search?q=", 400, "/api/v1/search"),
        ("/api/v1/search?q=a&limit=101", 400, "/api/v1/search"),
        ("/api/v1/search?q=a&from=2024-13-01", 400, "/api/v1/search"),
        // What the document constrains, the server enforces; a query it cannot read is a JSON error too.
        ("/api/v1/search?q=%20%20", 400, "/api/v1/search"),
        ("/api/v1/search?q=a&sort=oldest", 400, "/api/v1/search"),
        ("/api/v1/search?q=a&page=0", 400, "/api/v1/search"),
        ("/api/v1/search?q=a&page=51", 400, "/api/v1/search"),
        ("/api/v1/search?q=a&limit=null&limit=null", 400, "/api/v1/search"),
        ("/api/v1/posts?limit=null&limit=null", 400, "/api/v1/posts"),
        ("/api/v1/posts?limit=x", 400, "/api/v1/posts"),
        ("/api/v1/posts?before=1.x", 400, "/api/v1/posts"),
        ("/api/v1/posts?before=", 400, "/api/v1/posts"),
        ("/api/v1/search?q=a&to=", 400, "/api/v1/search"),
    ] {
        let (got, _, body) = get(path.into()).await;
        assert_eq!(got, status, "{path}");
        check(&doc, &schema_of(doc_path, status), &body, path);
    }
}

/// schemathesis (PyPI), an independent fuzzer, reads the document and tries the API with what it allows
/// and what it does not: every check passes. Bounded and seeded, so a run is short and repeatable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_wrong() {
    let installed =
        std::process::Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    if !common::tool_available(installed, "schemathesis") {
        return;
    }
    let (web, _store, dir) = served_api().await;
    let mut run = std::process::Command::new("schemathesis");
    run.args(["run", &format!("http://{web}/api/openapi.json"), "--checks", "all"])
        .args(["--max-examples", "100", "--seed", "20261207", "--generation-database", "none", "--workers", "2"])
        .args(["--no-color", "--request-timeout", "10"])
        .current_dir(dir.path());
    // The server runs on this test's runtime; the fuzzer waits on a thread of its own.
    let out = tokio::task::spawn_blocking(move || run.output()).await.unwrap().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{report}");
    assert!(out.status.success(), "schemathesis found failures:\n{report}");
    assert!(report.contains("passed") && !report.contains("failed"), "{report}");
}

#[test]
fn the_checker_catches_mismatches() {
    let doc: Value = serde_json::from_str(moa::web::api::OPENAPI).unwrap();
    let post = serde_json::json!({
        "id": 1, "company": {"id": "a", "name": "에이", "name_en": "A"}, "title": "t", "url": "https://a.example/1",
        "summary": null, "author": null, "thumbnail": null, "tags": [], "topics": [], "published_at": "2025-02-10T01:13:00Z",
        "sorted_at": "2025-02-10T01:13:00Z", "clicks": 0
    });
    let schema = serde_json::json!({"$ref": "#/components/schemas/Post"});
    check(&doc, &schema, &post, "good");
    let bad = |mutate: fn(&mut Value)| {
        let mut v = post.clone();
        mutate(&mut v);
        std::panic::catch_unwind(|| check(&doc, &schema, &v, "bad")).is_err()
    };
    assert!(bad(|v| v["extra"] = 1.into()), "an undocumented field");
    assert!(
        bad(|v| {
            v.as_object_mut().unwrap().remove("clicks");
        }),
        "a missing field"
    );
    assert!(bad(|v| v["clicks"] = (-1).into()), "below the minimum");
    assert!(bad(|v| v["title"] = Value::Null), "null where not allowed");
    assert!(bad(|v| v["sorted_at"] = "2025-02-10 01:13".into()), "not RFC 3339");
    assert!(bad(|v| v["url"] = "javascript:alert(1)".into()), "not a URI");
    assert!(bad(|v| v["company"]["id"] = 5.into()), "a nested type");
}
