//! Parser rules on small hand-made documents: each reproduces a defect real feeds have.

use moa_feed::{Entry, Feed, FeedError, Format, ParseOptions, Url, parse};

fn opts() -> ParseOptions {
    ParseOptions {
        url: Url::parse("https://blog.example.com/feed.xml").ok(),
        now: Some(1_900_000_000),
        ..Default::default()
    }
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>블로그</title><link>https://blog.example.com/</link>{items}</channel></rss>"
    )
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut doc = String::from("<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&lol{};", i - 1).repeat(10).replace("&lol0;", "&lol;")
        ));
    }
    doc.push_str("]><rss version=\"2.0\"><channel><title>x</title><item><title>&lol9;</title><link>https://a.com/1</link></item></channel></rss>");
    let feed = parse(doc.as_bytes(), &opts()).unwrap();
    // Not expanded: the title is the reference as written, not 10⁹ "lol"s (speed is in BENCHMARKS.md).
    assert_eq!(feed.entries[0].title, "&lol9;");
    assert!(feed.warnings.iter().any(|w| w.contains("unknown entity &lol9;")));
}

#[test]
fn html_entities_in_xml_are_decoded_with_a_warning() {
    let feed = parse(
        rss("<item><title>A&nbsp;&amp;&nbsp;B &hellip; &copy;</title><link>https://a.com/1</link></item>").as_bytes(),
        &opts(),
    )
    .unwrap();
    assert_eq!(feed.entries[0].title, "A & B … ©");
    assert!(feed.warnings.iter().any(|w| w.contains("&nbsp;")));
}

#[test]
fn truncated_document_keeps_what_was_read() {
    let doc = rss(
        "<item><title>하나</title><link>https://a.com/1</link></item><item><title>둘</title><link>https://a.com/2</link></item><item><title>셋",
    );
    let cut = &doc[..doc.len() - "</channel></rss>".len()];
    let feed = parse(cut.as_bytes(), &opts()).unwrap();
    let titles: Vec<_> = feed.entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["하나", "둘", "셋"]);
    assert!(feed.warnings.iter().any(|w| w.contains("truncated")));
}

#[test]
fn links_resolve_against_xml_base_and_unsafe_schemes_drop() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://other.example.com/blog/">
        <title>t</title>
        <entry><title>rel</title><id>1</id><link href="posts/1?utm_source=rss#top"/></entry>
        <entry><title>js</title><id>2</id><link href="javascript:alert(1)"/></entry></feed>"#;
    let feed = parse(doc.as_bytes(), &opts()).unwrap();
    assert_eq!(feed.format, Format::Atom10);
    assert_eq!(feed.entries[0].link.as_deref(), Some("https://other.example.com/blog/posts/1"));
    assert_eq!(feed.entries[1].link, None);
    assert!(feed.warnings.iter().any(|w| w.contains("scheme javascript")));
}

#[test]
fn seed_defects_wordpress_boilerplate_and_glued_blocks() {
    let item = "<item><title>데이터 디스커버리</title><link>https://techblog.woowahan.com/1/</link>\
        <description><![CDATA[<p>남았어요.</p><p>우리는 데이터를 찾습니다 [&hellip;]</p>\
        <p>The post <a href=\"https://techblog.woowahan.com/1/\">데이터카탈로그 PM</a> first appeared on <a href=\"https://techblog.woowahan.com\">우아한형제들 기술블로그</a>.</p>]]></description></item>";
    let feed = parse(rss(item).as_bytes(), &opts()).unwrap();
    assert_eq!(feed.entries[0].summary.as_deref(), Some("남았어요. 우리는 데이터를 찾습니다"));

    let only = "<item><title>외부감사인 선임 공고</title><link>https://ridicorp.com/1</link>\
        <description>The post 외부감사인 선임 공고 appeared first on 리디주식회사.</description>\
        <content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><![CDATA[<p>감사인을 선임했습니다.</p>]]></content:encoded></item>";
    let feed = parse(rss(only).as_bytes(), &opts()).unwrap();
    assert_eq!(
        feed.entries[0].summary.as_deref(),
        Some("감사인을 선임했습니다."),
        "boilerplate-only description falls back to content"
    );
}

#[test]
fn rss_090_and_future_dates() {
    let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
        <channel><title>old</title><link>https://old.example.com/</link></channel>
        <item><title>first</title><link>https://old.example.com/1</link></item></rdf:RDF>"#;
    let feed = parse(doc.as_bytes(), &opts()).unwrap();
    assert_eq!(feed.format, Format::Rss09x);
    assert_eq!(feed.entries.len(), 1);

    let future = rss(
        "<item><title>f</title><link>https://a.com/f</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>",
    );
    let feed = parse(future.as_bytes(), &opts()).unwrap();
    assert_eq!(feed.entries[0].published.map(|t| t.0), Some(1_900_000_000));
    assert!(feed.warnings.iter().any(|w| w.contains("future")));
}

#[test]
fn duplicate_guids_get_distinct_stable_ids() {
    let items = "<item><title>a</title><guid>same</guid><link>https://a.com/1</link></item>\
                 <item><title>b</title><guid>same</guid><link>https://a.com/2</link></item>\
                 <item><title>c</title><link>https://a.com/3</link></item><item><title>d</title><link>https://a.com/3</link></item>";
    let feed = parse(rss(items).as_bytes(), &opts()).unwrap();
    let ids: Vec<_> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["https://a.com/1", "https://a.com/2", "https://a.com/3", "https://a.com/3#2"]);
    let again = parse(rss(items).as_bytes(), &opts()).unwrap();
    assert_eq!(again.entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ids);
}

fn one(doc: &str) -> Feed {
    parse(doc.as_bytes(), &opts()).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

fn first(doc: &str) -> Entry {
    one(doc).entries.into_iter().next().expect("an entry")
}

fn warned(feed: &Feed, part: &str) -> bool {
    feed.warnings.iter().any(|w| w.contains(part))
}

#[test]
fn formats_are_sniffed_from_content() {
    let item = "<item><title>t</title><link>https://a.com/1</link></item>";
    for (version, format) in
        [("0.91", Format::Rss09x), ("0.92", Format::Rss09x), ("0.94", Format::Rss09x), ("2.0", Format::Rss20)]
    {
        let doc = format!("<rss version=\"{version}\"><channel><title>x</title>{item}</channel></rss>");
        assert_eq!(one(&doc).format, format, "RSS {version}");
    }
    let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
        <channel rdf:about="https://a.com/"><title>x</title><link>https://a.com/</link></channel>
        <item rdf:about="https://a.com/1"><title>t</title><link>https://a.com/1</link></item></rdf:RDF>"#;
    assert_eq!(one(rdf).format, Format::Rss10);
    assert_eq!(one(rdf).entries.len(), 1);
    let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>x</title>
        <entry><title>t</title><link rel="alternate" href="https://a.com/1"/><issued>2004-05-25T14:23:17Z</issued></entry></feed>"#;
    let feed = one(atom03);
    assert_eq!(feed.format, Format::Atom03);
    assert_eq!(feed.entries[0].published.map(|t| t.0), Some(1_085_494_997));
    for version in ["1", "1.1"] {
        let json = format!(
            r#"{{"version":"https://jsonfeed.org/version/{version}","title":"j","items":[{{"id":"1","url":"https://a.com/1","title":"t"}}]}}"#
        );
        let feed = one(&json);
        assert_eq!(feed.format, Format::JsonFeed1);
        assert_eq!(feed.entries[0].link.as_deref(), Some("https://a.com/1"));
    }
}

#[test]
fn namespaces_real_feeds_use() {
    let doc = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
        xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"
        xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>x</title>
        <atom:link href="https://a.com/feed" rel="self"/>
        <item><title>a</title><atom:link href="https://a.com/from-atom-link" rel="alternate"/>
            <dc:creator>김개발</dc:creator><dc:date>2025-02-10T10:13:00+09:00</dc:date><dc:subject>Rust</dc:subject>
            <content:encoded><![CDATA[<p>본문입니다.</p>]]></content:encoded>
            <itunes:image href="https://a.com/cover.jpg"/></item>
        <item><title>b</title><link>https://a.com/b</link>
            <enclosure url="https://a.com/episode.mp3" type="audio/mpeg" length="1"/>
            <enclosure url="https://a.com/photo.png" type="image/png" length="1"/></item>
        </channel></rss>"#;
    let feed = one(doc);
    let a = &feed.entries[0];
    assert_eq!(a.link.as_deref(), Some("https://a.com/from-atom-link"));
    assert_eq!(a.author.as_deref(), Some("김개발"));
    assert_eq!(a.published.map(|t| t.0), Some(1_739_149_980));
    assert_eq!(a.categories, ["Rust"]);
    assert_eq!(a.summary.as_deref(), Some("본문입니다."), "summary from content:encoded");
    assert_eq!(a.content_html.as_deref(), Some("<p>본문입니다.</p>"));
    assert_eq!(a.thumbnail.as_deref(), Some("https://a.com/cover.jpg"), "itunes:image");
    assert_eq!(feed.entries[1].thumbnail.as_deref(), Some("https://a.com/photo.png"), "image enclosure, not audio");
}

#[test]
fn media_rss_thumbnails() {
    let doc = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>x</title>
        <item><title>thumb</title><link>https://a.com/1</link>
            <media:content url="https://a.com/video.mp4" type="video/mp4"/>
            <media:thumbnail url="https://a.com/t1.jpg"/></item>
        <item><title>medium</title><link>https://a.com/2</link><media:content url="https://a.com/pic" medium="image"/></item>
        <item><title>type</title><link>https://a.com/3</link><media:content url="https://a.com/pic3" type="image/webp"/></item>
        <item><title>group</title><link>https://a.com/4</link><media:group>
            <media:content url="https://a.com/v.mp4" type="video/mp4"/><media:thumbnail url="/t4.jpg"/></media:group></item>
        <item><title>none</title><link>https://a.com/5</link><media:content url="https://a.com/v5.mp4" type="video/mp4"/></item>
        </channel></rss>"#;
    let thumbs: Vec<_> = one(doc).entries.into_iter().map(|e| e.thumbnail).collect();
    assert_eq!(
        thumbs,
        [
            Some("https://a.com/t1.jpg".into()),
            Some("https://a.com/pic".into()),
            Some("https://a.com/pic3".into()),
            Some("https://blog.example.com/t4.jpg".into()),
            None
        ]
    );
}

#[test]
fn thumbnail_from_the_first_meaningful_image() {
    let content = r#"<img src="https://feeds.feedburner.com/~r/blog/~4/x" width="1" height="1">
        <img src="https://stats.wordpress.com/b.gif?host=a" alt="">
        <img class="wp-smiley" src="https://s.w.org/images/core/emoji/15.0.3/72x72/1f600.png">
        <img src="https://a.com/favicon.ico"><img src="data:image/gif;base64,R0lGOD">
        <img src="/uploads/diagram.png">"#;
    let e = first(&rss(&format!(
        "<item><title>t</title><link>https://a.com/1</link><description><![CDATA[{content}<p>본문</p>]]></description></item>"
    )));
    assert_eq!(e.thumbnail.as_deref(), Some("https://blog.example.com/uploads/diagram.png"));
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","url":"https://a.com/1","image":"/cover.png","date_published":"2025-02-10T01:13:00Z"}]}"#;
    assert_eq!(first(json).thumbnail.as_deref(), Some("https://blog.example.com/cover.png"));
}

#[test]
fn encodings_declared_by_the_document_or_the_server() {
    let (euc_kr, _, _) = encoding_rs::EUC_KR.encode(
        "<?xml version=\"1.0\" encoding=\"euc-kr\"?><rss version=\"2.0\"><channel><title>기술 블로그</title>\
         <item><title>한글 제목</title><link>https://a.com/1</link></item></channel></rss>",
    );
    let feed = parse(&euc_kr, &opts()).unwrap();
    assert_eq!((feed.encoding.as_str(), feed.entries[0].title.as_str()), ("euc-kr", "한글 제목"));

    let (silent, _, _) = encoding_rs::EUC_KR
        .encode("<rss version=\"2.0\"><channel><title>x</title><item><title>서버가 알려 준 인코딩</title></item></channel></rss>");
    let from_header = ParseOptions { http_charset: Some("EUC-KR".into()), ..opts() };
    assert_eq!(parse(&silent, &from_header).unwrap().entries[0].title, "서버가 알려 준 인코딩");

    let broken =
        b"<rss version=\"2.0\"><channel><title>x</title><item><title>ok \xff\xfe here</title></item></channel></rss>";
    let feed = parse(broken, &ParseOptions { http_charset: Some("utf-8".into()), ..opts() }).unwrap();
    assert_eq!(feed.entries[0].title, "ok here");
    assert!(warned(&feed, "replaced with U+FFFD"), "{:?}", feed.warnings);
}

#[test]
fn malformed_xml_is_repaired_with_a_warning_each() {
    // A bare ampersand and control characters.
    let feed = one(&rss("<item><title>R&D \u{1}팀\u{8} 소식</title><link>https://a.com/1?a=1&b=2</link></item>"));
    assert_eq!(feed.entries[0].title, "R&D 팀 소식");
    assert_eq!(feed.entries[0].link.as_deref(), Some("https://a.com/1?a=1&b=2"));

    // Junk before the XML declaration: whitespace, a stray word, a PHP notice.
    for junk in ["\n\n  ", "junk ", "<br />\n<b>Notice</b>: Undefined index: x in <b>feed.php</b><br />\n"] {
        let feed = one(&format!("{junk}{}", rss("<item><title>t</title><link>https://a.com/1</link></item>")));
        assert_eq!(feed.entries.len(), 1, "{junk:?}");
        if !junk.trim().is_empty() {
            assert!(warned(&feed, "junk before the XML"), "{junk:?}: {:?}", feed.warnings);
        }
    }

    // An element left open at the end of the document.
    let doc = "<rss version=\"2.0\"><channel><title>x</title><item><title>마지막 글</title><link>https://a.com/1</link><description>끝";
    let feed = one(doc);
    assert_eq!(feed.entries[0].title, "마지막 글");
    assert!(warned(&feed, "truncated"), "{:?}", feed.warnings);
}

#[test]
fn hostile_documents_are_bounded() {
    // External entities are never fetched or expanded.
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <rss version="2.0"><channel><title>x</title><item><title>&xxe;</title><link>https://a.com/1</link></item></channel></rss>"#;
    let feed = one(xxe);
    assert_eq!(feed.entries[0].title, "&xxe;");
    assert!(warned(&feed, "unknown entity &xxe;"));

    // Nesting beyond the bound stops reading there, keeping what came before.
    let deep = format!(
        "<rss version=\"2.0\"><channel><title>x</title><item><title>kept</title><link>https://a.com/1</link></item>{}",
        "<div>".repeat(100_000)
    );
    let feed = one(&deep);
    assert_eq!(feed.entries[0].title, "kept");
    assert!(warned(&feed, "nested deeper"), "{:?}", feed.warnings);

    // Input size is bounded before any parsing.
    let small = ParseOptions { max_bytes: 1024, ..opts() };
    let err = parse(&[b' '; 2048], &small).unwrap_err();
    assert_eq!(err, FeedError::TooLarge { size: 2048, limit: 1024 });
}

#[test]
fn titles_are_one_clean_line() {
    let e = first(&rss(
        "<item><title><![CDATA[<b>Rust</b>  &amp;\n  <i>Go</i> &hellip;]]></title><link>https://a.com/1</link></item>",
    ));
    assert_eq!(e.title, "Rust & Go …");
    let e = first(&rss(
        "<item><title></title><link>https://a.com/2</link><pubDate>Mon, 10 Feb 2025 01:13:00 GMT</pubDate>\
         <description>제목 없는 글의 본문이 제목 자리에 들어갑니다.</description></item>",
    ));
    assert_eq!(e.title, "제목 없는 글의 본문이 제목 자리에 들어갑니다.");
    let json = r#"{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","url":"https://a.com/1","title":"Q&amp;A &#8216;quoted&#8217;"}]}"#;
    assert_eq!(first(json).title, "Q&A ‘quoted’", "entities in a JSON Feed title");
}

#[test]
fn links_resolve_against_the_nearest_base_and_are_canonical() {
    // No xml:base: the feed's own link is the base, then the document URL.
    let feed = one(&rss("<item><title>t</title><link>/posts/1?utm_source=rss&amp;id=7#comments</link></item>"));
    assert_eq!(feed.entries[0].link.as_deref(), Some("https://blog.example.com/posts/1?id=7"));
    let no_feed_link =
        "<rss version=\"2.0\"><channel><title>x</title><item><title>t</title><link>p/2</link></item></channel></rss>";
    let doc_base = ParseOptions { url: Url::parse("https://cdn.example.org/feeds/rss.xml").ok(), ..opts() };
    assert_eq!(
        parse(no_feed_link.as_bytes(), &doc_base).unwrap().entries[0].link.as_deref(),
        Some("https://cdn.example.org/feeds/p/2")
    );
    // No base at all: dropped, with its own warning.
    let nowhere = ParseOptions { url: None, ..opts() };
    let feed = parse(no_feed_link.as_bytes(), &nowhere).unwrap();
    assert_eq!(feed.entries[0].link, None);
    assert!(warned(&feed, "no base URL"), "{:?}", feed.warnings);
    // Default ports and tracking parameters of every kind go; Medium's source=rss too.
    let e = first(&rss(
        "<item><title>t</title><link>https://medium.com:443/daangn/post-1?source=rss----4505f82a2dbd---4&amp;fbclid=x&amp;gclid=y</link></item>",
    ));
    assert_eq!(e.link.as_deref(), Some("https://medium.com/daangn/post-1"));
}

#[test]
fn ids_are_stable_and_fall_back_in_order() {
    let items = "<item><title>guid</title><guid isPermaLink=\"false\">tag:a.com,2025:1</guid><link>https://a.com/1</link></item>\
                 <item><title>link</title><link>https://a.com/2?utm_medium=feed</link></item>\
                 <item><title>hash</title><pubDate>Mon, 10 Feb 2025 10:13:00 +0900</pubDate></item>\
                 <item><title>blank guid</title><guid>  </guid><link>https://a.com/4</link></item>";
    let ids: Vec<_> = one(&rss(items)).entries.into_iter().map(|e| e.id).collect();
    assert_eq!(ids[0], "tag:a.com,2025:1");
    assert_eq!(ids[1], "https://a.com/2");
    assert!(ids[2].starts_with("hash:") && ids[2].len() == 21, "{}", ids[2]);
    assert_eq!(ids[3], "https://a.com/4");
    let again: Vec<_> = one(&rss(items)).entries.into_iter().map(|e| e.id).collect();
    assert_eq!(ids, again, "the same document gives the same ids");
    // A different title or date gives a different hash.
    let other = one(&rss("<item><title>hash2</title><pubDate>Mon, 10 Feb 2025 10:13:00 +0900</pubDate></item>"));
    assert_ne!(other.entries[0].id, ids[2]);
}

#[test]
fn dates_in_the_sources_zone_unless_the_caller_says_otherwise() {
    let doc =
        rss("<item><title>t</title><link>https://a.com/1</link><pubDate>2025년 02월 10일 10:13:00</pubDate></item>");
    assert_eq!(first(&doc).published.map(|t| t.0), Some(1_739_149_980), "Asia/Seoul by default");
    let utc = ParseOptions { timezone_offset: 0, ..opts() };
    assert_eq!(parse(doc.as_bytes(), &utc).unwrap().entries[0].published.map(|t| t.0), Some(1_739_182_380));
    let feed = one(&rss("<item><title>t</title><link>https://a.com/1</link><pubDate>어제쯤</pubDate></item>"));
    assert_eq!(feed.entries[0].published, None);
    assert!(warned(&feed, "unreadable date"));
}

#[test]
fn summaries_are_short_clean_text() {
    let long = format!("<p>{}</p>", "긴 문장이 이어집니다. ".repeat(600));
    let e = first(&rss(&format!(
        "<item><title>t</title><link>https://a.com/1</link><description><![CDATA[{long}]]></description></item>"
    )));
    let summary = e.summary.unwrap();
    assert!(summary.chars().count() <= 200 && summary.ends_with('…'), "{summary}");
    assert!(summary.ends_with("이어집니다…"), "cut at a sentence end: {summary}");

    let html = "<style>p{}</style><script>x()</script><h2>제목</h2><ul><li>하나</li><li>둘</li></ul>\
                <table><tr><td>칸1</td><td>칸2</td></tr></table><p>끝&nbsp;&amp;&nbsp;<img src=\"/a.png\">마무리</p>";
    let e = first(&rss(&format!(
        "<item><title>t</title><link>https://a.com/1</link><description><![CDATA[{html}]]></description></item>"
    )));
    assert_eq!(e.summary.as_deref(), Some("제목 하나 둘 끝 & 마무리"), "a table of data is not prose");

    for boilerplate in [
        "<p>본문.</p><p>The post <a href='x'>글</a> appeared first on <a href='y'>블로그</a>.</p>",
        "<p>본문.</p><p>The post 글 first appeared on 블로그.</p>",
        "<p>본문. [&#8230;]</p>",
        "<p>본문. […]</p>",
        "<p>본문.</p><p><a href='x'>Continue reading →</a></p>",
        "<p>본문.</p><hr><p><a href='x'>글</a> was originally published in <a href='y'>Daangn</a> on Medium, where people are continuing the conversation by highlighting and responding to this story.</p>",
    ] {
        let e = first(&rss(&format!(
            "<item><title>t</title><link>https://a.com/1</link><description><![CDATA[{boilerplate}]]></description></item>"
        )));
        assert_eq!(e.summary.as_deref(), Some("본문."), "{boilerplate}");
    }
}

#[test]
fn seed_defects_glued_blocks_and_image_markdown() {
    // From the seed page: "ImpressionsBy: Tulika Bhatt", "남았어요.우리는", ".png)".
    let html = "<h3>Impressions</h3><p>By: Tulika Bhatt</p><div>남았어요.</div><div>우리는 <img src=\"https://a.com/x.png\" alt=\"그림\">떠납니다</div>";
    let e = first(&rss(&format!(
        "<item><title>t</title><link>https://a.com/1</link><description><![CDATA[{html}]]></description></item>"
    )));
    assert_eq!(e.summary.as_deref(), Some("Impressions By: Tulika Bhatt 남았어요. 우리는 떠납니다"));
}

#[test]
fn twice_escaped_html_and_cut_off_tags() {
    let reddit = "<item><title>t</title><link>https://a.com/1</link><description>&amp;lt;!-- SC_OFF --&amp;gt;&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;&amp;lt;p&amp;gt;Hey Reddit!&amp;lt;/p&amp;gt;&amp;lt;/div&amp;gt;</description></item>";
    assert_eq!(first(&rss(reddit)).summary.as_deref(), Some("Hey Reddit!"));
    // Escaped code in text stays text.
    let code = "<item><title>t</title><link>https://a.com/1</link><description>#include &amp;lt;stdio.h&amp;gt; 예제</description></item>";
    assert_eq!(first(&rss(code)).summary.as_deref(), Some("#include <stdio.h> 예제"));
    // An excerpt cut inside a tag keeps its text, not the tag's start.
    let cut = "<item><title>t</title><link>https://a.com/1</link><description>앞부분 글입니다 &lt;a href=&quot;https://a.com/</description></item>";
    assert_eq!(first(&rss(cut)).summary.as_deref(), Some("앞부분 글입니다"));
}

#[test]
fn a_title_repeated_as_the_first_block_is_said_once() {
    let html = "<h1>쿠버네티스 운영기</h1><p>우리 팀이 쿠버네티스를 운영하며 배운 것을 정리했습니다.</p>";
    let e = first(&rss(&format!(
        "<item><title>쿠버네티스 운영기</title><link>https://a.com/1</link><description><![CDATA[{html}]]></description></item>"
    )));
    assert_eq!(e.summary.as_deref(), Some("우리 팀이 쿠버네티스를 운영하며 배운 것을 정리했습니다."));
    // When the title is nearly all there is, it stays.
    let e = first(&rss(
        "<item><title>짧은 글</title><link>https://a.com/2</link><description><![CDATA[<p>짧은 글</p><p>끝</p>]]></description></item>",
    ));
    assert_eq!(e.summary.as_deref(), Some("짧은 글 끝"));
}

#[test]
fn authors_and_categories_are_trimmed_and_deduplicated() {
    let e = first(&rss(
        "<item><title>t</title><link>https://a.com/1</link><author>  hong@example.com (홍길동) </author>\
         <category> Rust </category><category>rust</category><category>&lt;b&gt;Go&lt;/b&gt;</category><category> </category><category>백엔드</category></item>",
    ));
    assert_eq!(e.author.as_deref(), Some("홍길동"), "the name, not the address");
    assert_eq!(e.categories, ["Rust", "Go", "백엔드"]);
}

#[test]
fn an_html_page_names_the_feed_it_advertises() {
    let page = r#"<!DOCTYPE html><html><head><title>블로그</title>
        <link rel="alternate" type="application/atom+xml" href="/atom.xml"></head><body>글</body></html>"#;
    let err = parse(page.as_bytes(), &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a feed: the document is an HTML page; the page advertises the feed https://blog.example.com/atom.xml"
    );
}

#[test]
fn the_article_behind_a_redirecting_feed_service() {
    let doc = r#"<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>x</title>
        <item><title>t</title><link>http://feedproxy.google.com/~r/blog/~3/abc/post</link>
        <feedburner:origLink>https://blog.example.org/2025/02/post?utm_source=feedburner</feedburner:origLink></item>
        <item><title>alert</title><link>https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example.kr/a/1&amp;ct=ga</link></item>
        <item><title>empty</title><link></link><guid isPermaLink="false">x-3</guid></item></channel></rss>"#;
    let feed = one(doc);
    assert_eq!(feed.entries[0].link.as_deref(), Some("https://blog.example.org/2025/02/post"));
    assert_eq!(feed.entries[1].link.as_deref(), Some("https://news.example.kr/a/1"));
    assert_eq!(feed.entries[2].link, None);
    assert!(!warned(&feed, "not a URL"), "an empty link is absent, not bad: {:?}", feed.warnings);
}

#[test]
fn junk_search_window_ending_inside_a_character() {
    // Found by fuzzing: the window for finding `<?xml` behind junk ended inside a multi-byte character.
    let feed = rss("<item><title>t</title><link>https://a.com/1</link></item>");
    for pad in 0..3 {
        let doc = format!("<br>{}{}{feed}", "x".repeat(4090 + pad), "가".repeat(4));
        let err = parse(doc.as_bytes(), &opts()).unwrap_err();
        assert!(matches!(err, FeedError::NotAFeed { .. }), "pad {pad}: {err}");
    }
    // Korean junk inside the window: the declaration after it is found.
    let doc = format!("<br>{}{feed}", "경고".repeat(500));
    assert_eq!(one(&doc).entries.len(), 1);
}

#[test]
fn json_feed_fields_of_the_wrong_type_are_skipped_not_fatal() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":7,"items":[
        "not an item", 42,
        {"id":1001,"url":"https://a.com/1","title":["no"],"summary":"요약","tags":["Rust",3,{"x":1}," Go "],
         "date_modified":"2025-02-10T01:13:00Z",
         "authors":[{"name":"김"},"박",{"name":null}],"author":{"name":"이"},
         "attachments":[{"url":"https://a.com/a.png","mime_type":"image/png"},"x"],"date_published":true}]}"#;
    let feed = one(doc);
    assert_eq!(feed.title.as_deref(), Some("7"));
    assert_eq!(feed.warnings.iter().filter(|w| w.contains("not an object")).count(), 2, "{:?}", feed.warnings);
    let e = &feed.entries[0];
    assert_eq!((e.id.as_str(), e.title.as_str(), e.summary.as_deref()), ("1001", "요약", Some("요약")));
    assert_eq!(e.categories, ["Rust", "Go"]);
    assert_eq!(e.author.as_deref(), Some("김"));
    assert_eq!(e.thumbnail.as_deref(), Some("https://a.com/a.png"));
    assert_eq!(e.published, None);
    let not_a_list = one(r#"{"version":"https://jsonfeed.org/version/1","items":{"id":"1"}}"#);
    assert!(not_a_list.entries.is_empty() && warned(&not_a_list, "\"items\" is not an array"));
    let err = parse(br#"{"title":"no version"}"#, &opts()).unwrap_err();
    assert!(matches!(err, FeedError::NotAFeed { .. }), "{err}");
}

#[test]
fn namespaces_resolve_by_scope_and_convention() {
    // RSS in a namespace of its own making, bound again under a prefix deeper down.
    let own = r#"<rss xmlns="https://cyber.harvard.edu/rss/rss.html" version="2.0"><channel><title>x</title>
        <item><title>기본</title><link>https://a.com/1</link></item>
        <r:item xmlns:r="https://cyber.harvard.edu/rss/rss.html"><r:title>접두어</r:title><r:link>https://a.com/2</r:link></r:item>
        </channel></rss>"#;
    let titles: Vec<_> = one(own).entries.into_iter().map(|e| e.title).collect();
    assert_eq!(titles, ["기본", "접두어"]);

    // A prefix redeclared inside one item means something else there, and its old meaning after it.
    let scoped = r#"<rss version="2.0" xmlns:m="http://search.yahoo.com/mrss/"><channel><title>x</title>
        <item><title>a</title><link>https://a.com/1</link>
            <m:thumbnail xmlns:m="https://not-media.example/" url="https://a.com/not-a-thumb.png"/></item>
        <item><title>b</title><link>https://a.com/2</link><m:thumbnail url="https://a.com/thumb.png"/></item>
        <item><title>c</title><link>https://a.com/3</link><dc:creator>선언 없는 접두어</dc:creator></item>
        </channel></rss>"#;
    let feed = one(scoped);
    assert_eq!(feed.entries[0].thumbnail, None, "m: is not Media RSS inside the first item");
    assert_eq!(feed.entries[1].thumbnail.as_deref(), Some("https://a.com/thumb.png"));
    assert_eq!(feed.entries[2].author.as_deref(), Some("선언 없는 접두어"), "undeclared dc: read by convention");
}

#[test]
fn a_syntax_error_is_reported_where_it_stands() {
    // The description is read straight from the source, outside the XML reader; the position of an error
    // after it must still count those bytes.
    let head = rss(
        "<item><title>a</title><link>https://a.com/1</link><description>&lt;p&gt;본문 &amp; 더&lt;/p&gt;</description></item>",
    );
    let head = &head[..head.len() - "</channel></rss>".len()];
    let doc = format!("{head}<item><title>b</title></item><!-- unclosed comment");
    let feed = one(&doc);
    assert_eq!(feed.entries.len(), 2);
    let at = doc.find("<!--").expect("the comment is in the document");
    assert!(warned(&feed, &format!("malformed XML at byte {at} ")), "error at byte {at}: {:?}", feed.warnings);
}
