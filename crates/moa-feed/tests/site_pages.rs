//! Site pages are not posts, decided with the evidence together (date, link, title, text): each rule has
//! a case that leaves a page out and one that keeps a post that merely resembles one.

use moa_feed::{Feed, ParseOptions, Url, parse};

fn feed(items: &str) -> Feed {
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>블로그</title><link>https://blog.example.com/</link>{items}</channel></rss>"
    );
    let options = ParseOptions { url: Url::parse("https://blog.example.com/index.xml").ok(), ..Default::default() };
    parse(doc.as_bytes(), &options).unwrap_or_else(|e| panic!("{e}"))
}

/// A dated post with some text, so that the feed's entries are dated.
fn post(n: u32) -> String {
    format!(
        "<item><title>쿠버네티스 운영기 {n}편</title><link>https://blog.example.com/posts/k8s-{n}/</link>\
         <pubDate>Mon, {n:02} Feb 2025 01:13:00 GMT</pubDate>\
         <description>우리 팀이 쿠버네티스를 운영하며 배운 것을 {n}편에 걸쳐 정리했습니다. 이번 편은 장애 대응입니다.</description></item>"
    )
}

fn dated_posts() -> String {
    (1..=5).map(post).collect()
}

fn kept_and_left(items: &str) -> (Vec<String>, Vec<(String, &'static str)>) {
    let f = feed(items);
    let kept = f.entries.iter().map(|e| e.title.clone()).collect();
    let left = f.site_pages.iter().map(|p| (p.link.clone().unwrap_or_default(), p.reason)).collect();
    (kept, left)
}

#[test]
fn a_page_of_the_site_is_left_out_whether_dated_or_not() {
    let items = format!(
        "{}<item><title>About</title><link>https://blog.example.com/about/</link><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>\
         <description>안녕하세요, 백엔드 개발자입니다. 이 블로그에는 공부한 것을 정리합니다. 연락은 메일로 주세요.</description></item>\
         <item><title>Archives</title><link>https://blog.example.com/ko/archives/</link><pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate></item>\
         <item><title></title><link>https://blog.example.com/search/_index.zh-cn/</link></item>\
         <item><title>Posts</title><link>https://blog.example.com/posts/index.html</link><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>\
         <item><title>rust</title><link>https://blog.example.com/tags/rust/</link></item>",
        dated_posts()
    );
    let (kept, left) = kept_and_left(&items);
    assert_eq!(kept.len(), 5, "{kept:?}");
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(left.iter().all(|(_, reason)| *reason == "its link is a page of the site"), "{left:?}");
}

#[test]
fn a_post_whose_path_or_title_only_resembles_a_page_is_kept() {
    let items = format!(
        "{}<item><title>블로그 옮겼습니다!</title><link>https://blog.example.com/post/about/blog-migration/</link>\
         <pubDate>Mon, 10 Feb 2025 01:13:00 GMT</pubDate></item>\
         <item><title>Search</title><link>https://blog.example.com/2025/02/search/</link><pubDate>Tue, 11 Feb 2025 01:13:00 GMT</pubDate>\
         <description>검색 엔진을 직접 만들며 배운 것들.</description></item>\
         <item><title>KDB 튜토리얼</title><link>https://blog.example.com/archives/kdb-tutorial/install/</link>\
         <pubDate>Wed, 12 Feb 2025 01:13:00 GMT</pubDate></item>\
         <item><title>v3.9.0</title><link>https://blog.example.com/releases/tag/v3.9.0</link>\
         <pubDate>Wed, 12 Feb 2025 01:13:00 GMT</pubDate></item>",
        dated_posts()
    );
    let (kept, left) = kept_and_left(&items);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(kept.len(), 9);
}

#[test]
fn an_undated_entry_named_like_a_page_or_untitled_is_left_out_but_a_dated_one_is_kept() {
    let items = format!(
        "{}<item><title>방명록</title><link>https://blog.example.com/guest-notes/</link></item>\
         <item><title>개인정보처리방침</title><link>https://blog.example.com/policies/privacy-ko/</link></item>\
         <item><title></title><link>https://blog.example.com/wiki/chapter-3/</link>\
         <description>본문처럼 보이는 긴 글이지만 제목도 날짜도 없는 항목은 글로 보지 않습니다. 사이트의 페이지입니다.</description></item>\
         <item><title>소개</title><link>https://blog.example.com/2025/02/intro-to-rust/</link><pubDate>Wed, 12 Feb 2025 01:13:00 GMT</pubDate>\
         <description>러스트를 소개하는 글입니다.</description></item>",
        dated_posts()
    );
    let (kept, left) = kept_and_left(&items);
    assert_eq!(
        left.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        ["undated, named like a site page", "undated, named like a site page", "undated and untitled"]
    );
    assert!(kept.contains(&"소개".to_string()), "a dated post titled like a page is a post: {kept:?}");
}

#[test]
fn a_real_undated_post_is_kept() {
    // Its date is read from its page later; what the feed says of it is a post's: a title, a path below
    // the site's top, and prose.
    let items = format!(
        "{}<item><title>장애 회고: 캐시가 모두 비던 날</title><link>https://blog.example.com/2025/02/cache-outage/</link>\
         <description>어느 날 새벽, 모든 캐시가 한꺼번에 비었습니다. 그날 무슨 일이 있었는지 시간 순서대로 돌아봅니다.</description></item>\
         <item><title>짧은 메모</title><link>https://blog.example.com/notes/memo-1/</link></item>",
        dated_posts()
    );
    let (kept, left) = kept_and_left(&items);
    assert!(left.is_empty(), "{left:?}");
    assert!(kept.contains(&"장애 회고: 캐시가 모두 비던 날".to_string()) && kept.contains(&"짧은 메모".to_string()));
}

#[test]
fn an_undated_stub_at_the_top_of_a_dated_site_and_placeholder_text_are_left_out() {
    let items = format!(
        "{}<item><title>Gallery of Things</title><link>https://blog.example.com/gallery-of-things/</link></item>\
         <item><title>검색 데이터</title><link>https://blog.example.com/search-index-data/</link>\
         <description>This page is just a placeholder, so the url /search-data is reachable</description></item>\
         <item><title>Modern C++</title><link>https://blog.example.com/wiki/modern-cpp/factory/</link>\
         <description>&amp;mdash; layout : wiki title : Modern C++ date : 2020-04-07 20:44:17 +0900 팩토리 패턴은…</description></item>",
        dated_posts()
    );
    let (_, left) = kept_and_left(&items);
    assert_eq!(
        left.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        [
            "undated and nearly empty at the top of a dated site",
            "undated, with a placeholder or front matter for text",
            "undated, with a placeholder or front matter for text"
        ]
    );
    // In a feed that dates nothing, an undated stub is not singled out.
    let (kept, left) = kept_and_left(
        "<item><title>Gallery of Things</title><link>https://blog.example.com/gallery-of-things/</link></item>\
         <item><title>Notes</title><link>https://blog.example.com/notes-1/</link></item>",
    );
    assert!(left.is_empty() && kept.len() == 2, "{left:?}");
}

#[test]
fn the_home_page_and_an_authors_profile() {
    let items = format!(
        "{}<item><title>홈</title><link>https://blog.example.com/</link></item>\
         <item><title>Margarets</title><link>https://blog.example.com/developer/margarets/</link>\
         <pubDate>Tue, 17 Sep 2019 00:00:00 GMT</pubDate><description></description></item>",
        dated_posts()
    );
    let (_, left) = kept_and_left(&items);
    assert_eq!(
        left.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        ["its link is the site's home page", "an author's profile"]
    );
    // Links to other sites are a link blog's posts, whatever their path; a dated entry that links to the
    // home page (a podcast's episodes often do) is a post.
    let (kept, left) = kept_and_left(&format!(
        "{}<item><title>Show HN: 새 도구</title><link>https://tool.example.org/</link></item>\
         <item><title>About</title><link>https://other.example.org/about/</link></item>\
         <item><title>12화: 캐시</title><link>https://blog.example.com/</link><pubDate>Wed, 12 Feb 2025 01:13:00 GMT</pubDate></item>",
        dated_posts()
    ));
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(kept.len(), 8);
}

#[test]
fn left_out_pages_are_reported() {
    let f = feed(&format!(
        "{}<item><title>Search</title><link>https://blog.example.com/search/</link></item>",
        dated_posts()
    ));
    assert_eq!(f.site_pages.len(), 1);
    assert_eq!(f.site_pages[0].title, "Search");
    assert!(
        f.warnings.iter().any(|w| w.contains("left out a site page") && w.contains("https://blog.example.com/search/")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn an_untitled_entry_stands_out_only_among_titled_ones() {
    // A microblog titles nothing, and dates nothing here: its notes are posts.
    let notes = "<item><link>https://blog.example.com/notes/1/</link><description>오늘 배운 것: 러스트의 수명 표기.</description></item>\
                 <item><link>https://blog.example.com/notes/2/</link><description>캐시는 어렵다.</description></item>";
    let (kept, left) = kept_and_left(notes);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(kept.len(), 2);
    // A document of one bare entry gives nothing to compare it with.
    let (kept, left) = kept_and_left("<item><link>https://blog.example.com/</link></item>");
    assert!(left.is_empty() && kept.len() == 1, "{left:?}");
}
