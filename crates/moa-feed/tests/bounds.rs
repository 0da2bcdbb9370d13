//! What one hostile feed can put into the store is bounded at the normalizer: titles, names, categories,
//! links and ids have a length, an entry a number of categories, a document a number of entries.

use moa_feed::{ParseOptions, TITLE_MAX_CHARS, Url, parse};

fn opts() -> ParseOptions {
    ParseOptions {
        url: Url::parse("https://blog.example.com/feed.xml").ok(),
        now: Some(1_900_000_000),
        ..Default::default()
    }
}

fn item(title: &str, extra: &str) -> String {
    format!("<item><title>{title}</title><link>https://blog.example.com/p/{}</link>{extra}</item>", title.len())
}

fn rss(items: &str) -> String {
    format!(
        "<rss version=\"2.0\"><channel><title>{}</title><link>https://blog.example.com/</link>{items}</channel></rss>",
        "채널".repeat(100_000)
    )
}

#[test]
fn huge_fields_are_cut_to_their_bounds() {
    let categories: String = (0..200).map(|i| format!("<category>{i}{}</category>", "태그".repeat(1_000))).collect();
    let long_link = format!("https://blog.example.com/{}", "a".repeat(10_000));
    let extra = format!(
        "<author>{}</author>{categories}<guid isPermaLink=\"false\">{}</guid><enclosure url=\"{long_link}.png\" type=\"image/png\"/>",
        "이름".repeat(50_000),
        "g".repeat(100_000)
    );
    let doc = rss(&item(&"긴 제목 ".repeat(100_000), &extra));
    let feed = parse(doc.as_bytes(), &opts()).expect("parses");
    let title = feed.title.as_deref().expect("a feed title");
    assert!(title.chars().count() <= TITLE_MAX_CHARS, "{}", title.chars().count());
    let e = &feed.entries[0];
    assert!(e.title.chars().count() <= TITLE_MAX_CHARS && e.title.starts_with("긴 제목"), "{}", e.title.len());
    assert!(e.author.as_deref().is_some_and(|a| a.chars().count() <= 300), "{:?}", e.author.as_ref().map(String::len));
    assert_eq!(e.categories.len(), 50);
    assert!(e.categories.iter().all(|c| c.chars().count() <= 200));
    assert!(e.id.len() <= 512, "{}", e.id.len());
    assert_eq!(e.thumbnail, None, "a 10 KB picture URL is dropped");
    assert!(feed.warnings.iter().any(|w| w.contains("categories")), "{:?}", feed.warnings);
}

#[test]
fn an_overlong_link_is_dropped_with_a_warning() {
    let doc = rss(&format!("<item><title>t</title><link>https://blog.example.com/{}</link></item>", "a".repeat(5_000)));
    let feed = parse(doc.as_bytes(), &opts()).expect("parses");
    assert_eq!(feed.entries[0].link, None);
    assert!(feed.warnings.iter().any(|w| w.contains("longer than 2048 bytes")), "{:?}", feed.warnings);
}

#[test]
fn a_document_gives_at_most_five_thousand_entries_and_says_so() {
    let items: String = (0..6_000).map(|i| format!("<item><title>글 {i}</title><link>https://blog.example.com/p/{i}</link><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>")).collect();
    let feed = parse(rss(&items).as_bytes(), &opts()).expect("parses");
    assert_eq!(feed.entries.len(), 5_000);
    assert_eq!(feed.entries[0].title, "글 0");
    assert!(feed.warnings.iter().any(|w| w.contains("first 5000 of 6000")), "{:?}", feed.warnings);
}

#[test]
fn honest_archives_are_read_whole() {
    let items: String = (0..400).map(|i| format!("<item><title>글 {i}</title><link>https://blog.example.com/p/{i}</link><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>")).collect();
    assert_eq!(parse(rss(&items).as_bytes(), &opts()).expect("parses").entries.len(), 400);
}

#[test]
fn bidi_controls_leave_titles_and_names() {
    let doc = rss(&item("invoice\u{202e}gpj.exe", "<author>\u{2067}관리자\u{2069}</author>"));
    let e = &parse(doc.as_bytes(), &opts()).expect("parses").entries[0];
    assert_eq!(e.title, "invoicegpj.exe");
    assert_eq!(e.author.as_deref(), Some("관리자"));
}

#[test]
fn nul_and_control_characters_never_reach_the_store() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"j\u0000","items":[{"id":"a\u0000b","url":"https://blog.example.com/1","title":"제\u0000목\u001b","content_html":"<p>본\u0000문</p>","summary":"요\u0000약","tags":["t\u0000ag"],"authors":[{"name":"이\u0000름"}],"date_published":"2024-01-01T00:00:00Z"}]}"#;
    let feed = parse(doc.as_bytes(), &opts()).expect("parses");
    let e = &feed.entries[0];
    let all = serde_json::to_string(&feed).unwrap();
    assert!(!all.contains("\\u0000") && !all.contains('\0'), "{all}");
    assert_eq!((e.title.as_str(), e.id.as_str(), e.author.as_deref()), ("제목", "ab", Some("이름")));
    assert_eq!(e.categories, ["tag"]);
}
