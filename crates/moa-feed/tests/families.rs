//! The families of input real feeds use that established parsers' test suites cover (Python feedparser's
//! is measured against moa by `scripts/conformance/feedparser_suite.py`): each family has its own tests
//! here. Dates, encodings and character references have theirs next to their code (`date.rs`,
//! `decode.rs`, `html.rs`).

use moa_feed::{Entry, Feed, Format, ParseOptions, Url, parse};

fn opts() -> ParseOptions {
    ParseOptions {
        url: Url::parse("https://blog.example.com/feed.xml").ok(),
        now: Some(1_900_000_000),
        ..Default::default()
    }
}

fn one(doc: &str) -> Feed {
    parse(doc.as_bytes(), &opts()).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

fn first(doc: &str) -> Entry {
    one(doc).entries.into_iter().next().expect("an entry")
}

fn rss2(namespaces: &str, item: &str) -> String {
    format!("<rss version=\"2.0\" {namespaces}><channel><title>c</title><item>{item}</item></channel></rss>")
}

const DC: &str = "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\"";

// --- Atom without its namespace, entry documents, Atom 0.3 modes, XHTML -----------------------------

#[test]
fn atom_without_its_namespace_or_with_a_misspelt_one_is_atom() {
    for root in ["<feed>", "<feed xmlns=\"http://www.w3.org/2005/atom\">", "<feed xmlns=\"http://purl.org/atom/ns\">"] {
        let feed = one(&format!(
            "{root}<title>블로그</title><entry><title>글</title><link href=\"https://a.com/1\"/>\
             <updated>2025-02-10T01:13:00Z</updated></entry></feed>"
        ));
        assert_eq!(feed.format, Format::Atom10, "{root}");
        assert_eq!(feed.title.as_deref(), Some("블로그"), "{root}");
        assert_eq!(feed.entries.len(), 1, "{root}");
        assert_eq!(feed.entries[0].link.as_deref(), Some("https://a.com/1"), "{root}");
        assert!(feed.warnings.iter().any(|w| w.contains("outside the Atom namespace")), "{root}");
    }
}

#[test]
fn an_atom_entry_document_is_a_feed_of_one() {
    let feed = one("<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>tag:a.com,2025:1</id><title>홀로 선 글</title>\
         <link href=\"https://a.com/1\"/><published>2025-02-10T01:13:00Z</published><summary>요약</summary></entry>");
    assert_eq!(feed.format, Format::Atom10);
    assert_eq!(feed.entries.len(), 1);
    let e = &feed.entries[0];
    assert_eq!(
        (e.id.as_str(), e.title.as_str(), e.summary.as_deref()),
        ("tag:a.com,2025:1", "홀로 선 글", Some("요약"))
    );
    assert_eq!(e.published.map(|t| t.0), Some(1_739_149_980));
}

#[test]
fn atom_03_base64_and_escaped_modes() {
    // "Example <b>Atom</b>" in base64; an untyped Atom 0.3 text is text/plain, but markup hidden in base64
    // is HTML.
    let e = first(
        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry>\
         <title mode=\"base64\">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title>\
         <summary type=\"text/plain\" mode=\"base64\">\n  7JqU7JW9ICZhbXA7IDxi\n  PuuztOq4sDwvYj4=\n</summary>\
         <content type=\"text/html\" mode=\"escaped\">&lt;p&gt;본문 &amp;amp; 더&lt;/p&gt;</content></entry></feed>",
    );
    assert_eq!(e.title, "Example Atom");
    assert_eq!(e.summary.as_deref(), Some("요약 & <b>보기</b>"), "declared plain text stays text");
    assert_eq!(e.content_html.as_deref(), Some("<p>본문 &amp; 더</p>"));
    // Atom 1.0: a non-text, non-XML media type is base64 (RFC 4287, 4.1.3.3).
    let e = first(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>t</title>\
         <content type=\"application/octet-stream\">PHA+67O466y4PC9wPg==</content></entry></feed>",
    );
    assert_eq!(e.summary.as_deref(), Some("본문"));
    // Not base64 after all: kept as written, with a warning.
    let feed = one(
        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry><title mode=\"base64\">not base64!</title></entry></feed>",
    );
    assert_eq!(feed.entries[0].title, "not base64!");
    assert!(feed.warnings.iter().any(|w| w.contains("not base64")));
}

#[test]
fn xhtml_text_keeps_nested_markup_and_escaped_text_apart() {
    let e = first(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>\
         <title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">The &lt;blink&gt; <b>tag</b></div></title>\
         <content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>첫 <em>문단</em></p><ul><li>하나</li><li>둘</li></ul></div></content>\
         </entry></feed>",
    );
    assert_eq!(e.title, "The <blink> tag");
    assert_eq!(e.summary.as_deref(), Some("첫 문단 하나 둘"));
    assert!(e.content_html.as_deref().is_some_and(|c| c.contains("<em>문단</em>")), "{:?}", e.content_html);
    // Atom 0.3's `application/xhtml+xml` is XHTML too; a text construct that holds elements is HTML.
    let e = first(
        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry>\
         <title type=\"application/xhtml+xml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">a &lt;b&gt; c</div></title>\
         <summary>Example <b>Atom</b></summary></entry></feed>",
    );
    assert_eq!((e.title.as_str(), e.summary.as_deref()), ("a <b> c", Some("Example Atom")));
}

// --- Dublin Core as the only source of a field ----------------------------------------------------

#[test]
fn dublin_core_fills_what_the_format_leaves_out_in_rss_2() {
    let feed = one(&format!(
        "<rss version=\"2.0\" {DC}><channel><dc:title>DC 블로그</dc:title><dc:description>설명</dc:description>\
         <item><dc:title>DC 제목</dc:title><link>https://a.com/1</link><dc:description>DC 요약</dc:description>\
         <dc:contributor>기여자</dc:contributor><dcterms:issued>2025-02-10T01:13:00Z</dcterms:issued>\
         <dcterms:modified>2025-02-11T01:13:00Z</dcterms:modified></item>\
         <item><title>본 제목</title><dc:title>DC 제목</dc:title><link>https://a.com/2</link>\
         <dc:creator>작성자</dc:creator><dc:contributor>기여자</dc:contributor><dcterms:created>2025-01-01T00:00:00Z</dcterms:created>\
         <dc:date>2025-02-01T00:00:00Z</dc:date><pubDate>Mon, 10 Feb 2025 01:13:00 GMT</pubDate></item></channel></rss>"
    ));
    assert_eq!((feed.title.as_deref(), feed.description.as_deref()), (Some("DC 블로그"), Some("설명")));
    let [a, b] = &feed.entries[..] else { panic!("two entries") };
    assert_eq!(
        (a.title.as_str(), a.summary.as_deref(), a.author.as_deref()),
        ("DC 제목", Some("DC 요약"), Some("기여자"))
    );
    assert_eq!(a.published.map(|t| t.0), Some(1_739_149_980), "dcterms:issued");
    assert_eq!(a.updated.map(|t| t.0), Some(1_739_236_380), "dcterms:modified");
    // Where the format's own element is there, it wins, whatever the order.
    assert_eq!((b.title.as_str(), b.author.as_deref()), ("본 제목", Some("작성자")));
    assert_eq!(b.published.map(|t| t.0), Some(1_739_149_980), "pubDate over dc:date over dcterms:created");
}

#[test]
fn dublin_core_in_rss_1_and_atom() {
    let rdf = format!(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" {DC}>\
         <channel rdf:about=\"https://a.com/\"><title>c</title></channel>\
         <item rdf:about=\"https://a.com/1\"><link>https://a.com/1</link><dc:title>RDF 제목</dc:title>\
         <dc:date>2025-02-10T10:13:00+09:00</dc:date><dc:description>RDF 요약</dc:description></item></rdf:RDF>"
    );
    let e = first(&rdf);
    assert_eq!((e.title.as_str(), e.summary.as_deref()), ("RDF 제목", Some("RDF 요약")));
    assert_eq!(e.published.map(|t| t.0), Some(1_739_149_980));
    let atom = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" {DC}><entry><link href=\"https://a.com/1\"/>\
         <dc:title>Atom의 DC 제목</dc:title><dcterms:created>2025-02-10T01:13:00Z</dcterms:created>\
         <contributor><name>기여자</name></contributor></entry></feed>"
    );
    let e = first(&atom);
    assert_eq!((e.title.as_str(), e.author.as_deref()), ("Atom의 DC 제목", Some("기여자")));
    assert_eq!(e.published.map(|t| t.0), Some(1_739_149_980));
}

// --- iTunes and Media RSS ----------------------------------------------------------------------------

#[test]
fn itunes_subtitle_summary_and_nested_categories_in_any_case() {
    let itunes = "xmlns:itunes=\"http://www.itunes.com/DTDs/Podcast-1.0.dtd\"";
    let feed = one(&format!(
        "<rss version=\"2.0\" {itunes}><channel><TiTlE>팟캐스트</TiTlE><itunes:subtitle>부제</itunes:subtitle>\
         <item><Title>1화</Title><Link>https://a.com/1</Link><PubDate>Mon, 10 Feb 2025 01:13:00 GMT</PubDate>\
         <itunes:subtitle>짧은 부제</itunes:subtitle>\
         <itunes:category text=\"Technology\"><itunes:category text=\"Gadgets\"/></itunes:category>\
         <itunes:image url=\"https://a.com/cover.png\"/></item>\
         <item><title>2화</title><link>https://a.com/2</link><itunes:subtitle>부제</itunes:subtitle>\
         <itunes:SUMMARY>긴 요약</itunes:SUMMARY></item></channel></rss>"
    ));
    assert_eq!((feed.title.as_deref(), feed.description.as_deref()), (Some("팟캐스트"), Some("부제")));
    let [a, b] = &feed.entries[..] else { panic!("two entries") };
    assert_eq!((a.title.as_str(), a.link.as_deref()), ("1화", Some("https://a.com/1")));
    assert_eq!(a.published.map(|t| t.0), Some(1_739_149_980));
    assert_eq!(a.summary.as_deref(), Some("짧은 부제"));
    assert_eq!(a.categories, ["Technology", "Gadgets"]);
    assert_eq!(a.thumbnail.as_deref(), Some("https://a.com/cover.png"));
    assert_eq!(b.summary.as_deref(), Some("긴 요약"), "itunes:summary over itunes:subtitle");
}

#[test]
fn rss_containers_are_read_in_any_case_too() {
    let feed = one("<rss version=\"2.0\"><Channel><Title>블로그</Title><Link>https://b.example.com/</Link>\
         <Description>소개</Description><Item><Title>글</Title><Link>https://b.example.com/p/1</Link>\
         <PubDate>Mon, 10 Feb 2025 01:13:00 GMT</PubDate></Item></Channel></rss>");
    assert_eq!(
        (feed.title.as_deref(), feed.link.as_deref(), feed.description.as_deref()),
        (Some("블로그"), Some("https://b.example.com/"), Some("소개"))
    );
    assert_eq!(feed.entries.len(), 1);
}

#[test]
fn media_rss_title_description_category_and_grouped_thumbnail() {
    let media = "xmlns:media=\"http://search.yahoo.com/mrss/\"";
    let e = first(&rss2(
        media,
        "<link>https://a.com/1</link><media:title type=\"plain\">미디어 제목</media:title>\
         <media:group><media:content url=\"https://a.com/v.mp4\" type=\"video/mp4\"/>\
         <media:thumbnail url=\"https://a.com/thumb.jpg\"/><media:description>미디어 설명</media:description></media:group>\
         <media:category scheme=\"urn:x\">엔지니어링</media:category>",
    ));
    assert_eq!(e.title, "미디어 제목");
    assert_eq!(e.summary.as_deref(), Some("미디어 설명"));
    assert_eq!(e.categories, ["엔지니어링"]);
    assert_eq!(e.thumbnail.as_deref(), Some("https://a.com/thumb.jpg"));
}

#[test]
fn a_category_is_its_term_and_a_page_shows_its_label() {
    let e = first(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>t</title><link href=\"https://a.com/1\"/>\
         <category term=\"k8s\" label=\"쿠버네티스\"/><category term=\"rust\" label=\"rust\"/><category label=\"라벨만\"/>\
         <category term=\" \"/></entry></feed>",
    );
    assert_eq!(e.categories, ["k8s", "rust", "라벨만"]);
    assert_eq!(e.category_labels.get("k8s").map(String::as_str), Some("쿠버네티스"));
    assert_eq!(e.category_labels.len(), 1, "a label equal to its term says nothing: {:?}", e.category_labels);
}

// --- Language --------------------------------------------------------------------------------------

#[test]
fn language_from_the_feed_then_xml_lang_then_the_server() {
    let with = |doc: &str, header: Option<&str>| {
        let options = ParseOptions { http_language: header.map(String::from), ..opts() };
        parse(doc.as_bytes(), &options).unwrap().language
    };
    let atom = |attrs: &str| format!("<feed xmlns=\"http://www.w3.org/2005/Atom\" {attrs}><title>t</title></feed>");
    assert_eq!(with(&atom("xml:lang=\"ko_KR\""), Some("en")).as_deref(), Some("ko-KR"));
    assert_eq!(with(&atom(""), Some("ko, en")).as_deref(), Some("ko"));
    assert_eq!(with(&atom(""), None), None);
    let rss = "<rss version=\"2.0\"><channel xml:lang=\"ja\"><title>t</title><language>ko</language></channel></rss>";
    assert_eq!(with(rss, Some("en")).as_deref(), Some("ko"), "the feed's own <language> first");
    let rss = "<rss version=\"2.0\" xml:lang=\"en\"><channel xml:lang=\"ja\"><title>t</title></channel></rss>";
    assert_eq!(with(rss, None).as_deref(), Some("ja"), "the channel's xml:lang over the root's");
}

// --- Authors -----------------------------------------------------------------------------------------

#[test]
fn an_author_is_a_name_not_an_address() {
    let author = |value: &str| {
        first(&rss2("", &format!("<title>t</title><link>https://a.com/1</link><author>{value}</author>"))).author
    };
    assert_eq!(author("me@example.com (홍길동)").as_deref(), Some("홍길동"));
    assert_eq!(author("홍길동 &lt;me@example.com&gt;").as_deref(), Some("홍길동"));
    assert_eq!(author("홍길동 (me@example.com)").as_deref(), Some("홍길동"));
    assert_eq!(author("noreply@blogger.com").as_deref(), None);
    assert_eq!(author("@toss (토스)").as_deref(), Some("@toss (토스)"));
    assert_eq!(author("Kim (Platform Team)").as_deref(), Some("Kim (Platform Team)"));
}
