//! Parser rules on small hand-made documents: each reproduces a defect real feeds have.

use moa_feed::{Format, ParseOptions, Url, parse};

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
    let started = std::time::Instant::now();
    let feed = parse(doc.as_bytes(), &opts()).unwrap();
    assert!(started.elapsed().as_secs() < 2);
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
