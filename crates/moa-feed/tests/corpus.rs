//! The real-feed corpus (`testdata/feeds/real`, copied from shared fixtures): every document whose format
//! SOURCES.tsv records parses, with the item count it records.

use std::path::PathBuf;

use moa_feed::{Format, ParseOptions, parse};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/feeds/real")
}

struct Source {
    file: String,
    format: String,
    items: usize,
}

fn sources() -> Vec<Source> {
    let tsv = std::fs::read_to_string(corpus_dir().join("SOURCES.tsv")).expect("SOURCES.tsv is in the repo");
    tsv.lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some(Source {
                file: cols.first()?.to_string(),
                format: cols.get(3)?.to_string(),
                items: cols.get(5)?.parse().ok()?,
            })
        })
        .collect()
}

fn expected_format(label: &str) -> Option<Format> {
    match label {
        "rss2.0" => Some(Format::Rss20),
        "atom1.0" => Some(Format::Atom10),
        "rss1.0(rdf)" => Some(Format::Rss10),
        "rss0.92" => Some(Format::Rss09x),
        "jsonfeed1" | "jsonfeed1.1" => Some(Format::JsonFeed1),
        _ => None,
    }
}

#[test]
fn every_well_formed_fixture_parses_with_all_its_items() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for s in sources() {
        let Some(format) = expected_format(&s.format) else {
            continue;
        };
        let bytes = std::fs::read(corpus_dir().join(&s.file)).expect("fixture file exists");
        checked += 1;
        match parse(&bytes, &ParseOptions::default()) {
            Ok(feed) => {
                if feed.format != format {
                    failures.push(format!("{}: format {:?}, expected {:?}", s.file, feed.format, format));
                }
                // Site pages are left out of the entries, not lost.
                let read = feed.entries.len() + feed.site_pages.len();
                if read != s.items {
                    failures.push(format!("{}: {read} entries and site pages, SOURCES.tsv says {}", s.file, s.items));
                }
                for e in &feed.entries {
                    if e.title.trim() != e.title || e.title.contains('\n') {
                        failures.push(format!("{}: title not one clean line: {:?}", s.file, e.title));
                    }
                    if let Some(sum) = &e.summary
                        && (sum.chars().count() > 200 || sum.contains("appeared first on"))
                    {
                        failures.push(format!("{}: summary not clean: {sum}", s.file));
                    }
                    for u in e.link.iter().chain(e.thumbnail.iter()) {
                        if !(u.starts_with("http://") || u.starts_with("https://")) {
                            failures.push(format!("{}: URL not absolute: {u}", s.file));
                        }
                    }
                }
                let mut ids: Vec<_> = feed.entries.iter().map(|e| &e.id).collect();
                ids.sort();
                ids.dedup();
                if ids.len() != feed.entries.len() {
                    failures.push(format!("{}: duplicate entry ids", s.file));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", s.file)),
        }
    }
    assert!(checked > 150, "only {checked} fixtures found");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn non_feeds_are_refused_clearly() {
    let not_feeds: Vec<_> = sources().into_iter().filter(|s| s.format == "json(not-jsonfeed)").collect();
    assert!(!not_feeds.is_empty());
    for s in not_feeds {
        let bytes = std::fs::read(corpus_dir().join(&s.file)).expect("fixture file exists");
        let err = parse(&bytes, &ParseOptions::default()).unwrap_err();
        assert!(matches!(err, moa_feed::FeedError::NotAFeed { .. }), "{}: {err}", s.file);
    }
    let html = b"<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/rss\"></head><body>hi</body></html>";
    let opts = ParseOptions { url: moa_feed::Url::parse("https://blog.example.com/").ok(), ..ParseOptions::default() };
    let err = parse(html, &opts).unwrap_err().to_string();
    assert_eq!(
        err,
        "not a feed: the document is an HTML page; the page advertises the feed https://blog.example.com/rss"
    );
    assert_eq!(parse(b"   ", &opts).unwrap_err().to_string(), "empty document");
    assert!(parse(b"<note><to>x</to></note>", &opts).unwrap_err().to_string().contains("root element is <note>"));
}

/// `SITE_PAGES.tsv` labels, by hand, every entry of the Korean feeds that is a page of its site; every
/// other entry is a post. The parser must leave out exactly those: no page kept, no post thrown away.
#[test]
fn the_korean_feeds_site_pages_are_left_out_and_their_posts_kept() {
    let labels = std::fs::read_to_string(corpus_dir().join("SITE_PAGES.tsv")).expect("SITE_PAGES.tsv is in the repo");
    let mut expected: Vec<(String, String)> = labels
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((cols.next()?.to_string(), cols.next()?.to_string()))
        })
        .collect();
    expected.sort();
    let options =
        ParseOptions { url: moa_feed::Url::parse("https://example.com/feed").ok(), ..ParseOptions::default() };
    let mut found = Vec::new();
    let mut posts = 0;
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("kr-") && n.ends_with(".xml"))
        .collect();
    files.sort();
    for file in &files {
        let bytes = std::fs::read(corpus_dir().join(file)).expect("fixture");
        let feed = parse(&bytes, &options).unwrap_or_else(|e| panic!("{file}: {e}"));
        posts += feed.entries.len();
        for page in feed.site_pages {
            found.push((file.clone(), page.link.unwrap_or_default()));
            assert!(feed.warnings.iter().any(|w| w.contains("left out a site page")), "{file}: said in a warning");
        }
    }
    found.sort();
    let missed: Vec<_> = expected.iter().filter(|e| !found.contains(e)).collect();
    let wrong: Vec<_> = found.iter().filter(|f| !expected.contains(f)).collect();
    assert!(missed.is_empty() && wrong.is_empty(), "site pages kept as posts: {missed:#?}\nposts left out: {wrong:#?}");
    assert!(
        files.len() >= 44 && expected.len() >= 39 && posts > 1500,
        "{} files, {} pages, {posts} posts",
        files.len(),
        expected.len()
    );
}

/// The article pages of `testdata/article-pages` (real pages of Korean blogs, copied from the shared
/// fixtures) with the date each states, labelled in MANIFEST.tsv: the date moa reads from a page is the
/// labelled one, at the label's precision (a day in KST, or the instant); a page whose date is only in
/// prose may give none, never another one.
#[test]
fn article_pages_give_the_date_they_state() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/article-pages");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv is in the repo");
    let mut header = manifest.lines().next().expect("a header").split('\t');
    let column = |name: &str| manifest.lines().next().unwrap_or("").split('\t').position(|c| c == name).expect(name);
    let _ = header.next();
    let (file_col, published_col, notes_col) = (column("file"), column("published"), column("notes"));
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in manifest.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (file, label, notes) = (cols[file_col], cols[published_col], cols[notes_col]);
        let html = String::from_utf8_lossy(&std::fs::read(dir.join(file)).expect("page")).into_owned();
        let read = moa_feed::page_published(&html, moa_feed::KST_OFFSET_SECONDS);
        let machine_readable = !notes.starts_with("published from: visible");
        match (label, read) {
            ("", None) => {}
            ("", Some(t)) => failures.push(format!("{file}: states no date, read {}", moa_feed::format_rfc3339(t))),
            (_, None) if machine_readable => failures.push(format!("{file}: states {label}, read none")),
            (_, None) => {}
            (label, Some(t)) => {
                let kst_day = moa_feed::format_rfc3339(t + i64::from(moa_feed::KST_OFFSET_SECONDS))[..10].to_string();
                let same = if label.len() == 10 {
                    kst_day == label
                } else {
                    // A label with a time: the same instant when it names its zone, else the same KST day.
                    match moa_feed::parse_date(label, moa_feed::KST_OFFSET_SECONDS) {
                        Some(expected) if label.contains(['Z', '+']) => expected == t,
                        _ => kst_day == label[..10],
                    }
                };
                if !same {
                    failures.push(format!("{file}: states {label}, read {}", moa_feed::format_rfc3339(t)));
                }
                checked += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 25, "only {checked} dates read");
}
