//! The newsletter format: the seed post imports and renders back byte for byte, random scraps round-trip,
//! every tolerated variation imports, every unreadable thing is named with its line.

use moa::newsletter::{Item, Month, Post, Section, Settings, import, render};
use proptest::prelude::*;

fn seed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/newsletter/2022-03.md")).unwrap()
}

#[test]
fn the_seed_imports_and_renders_back_byte_for_byte() {
    let seed = seed();
    let imported = import(&seed).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let post = &imported.post;
    assert_eq!(post.month, Month { year: 2022, month: 3 });
    assert_eq!(
        post.settings,
        Settings { date: "2022-03-31T00:01:00".into(), draft: true, hidden_from_homepage: Some(true) }
    );
    let per_section: Vec<usize> =
        Section::ALL.iter().map(|s| post.items.iter().filter(|i| i.section == *s).count()).collect();
    assert_eq!(per_section, [3, 1, 1, 1, 1]);
    assert_eq!(post.items[0].title, "2021년 CTO 회고");
    assert_eq!(post.items[0].url, "https://jojoldu.tistory.com/626");
    assert!(post.items[0].commentary.starts_with("우아한형제들에서 시니어 개발자로 근무하던 분이\n작은 스타트업"));
    assert_eq!(post.items[6].url, "https://www.leshenko.net/p/ugit/#");
    // The seed ends in three newlines; the format's normal end is one.
    assert_eq!(render(post), seed.trim_end_matches('\n').to_string() + "\n");
}

#[test]
fn an_empty_month_renders_every_section_commented_out() {
    let month = Month { year: 2024, month: 2 };
    let post = Post { month, settings: Settings::for_month(month), items: vec![] };
    let expected = "---
date: \"2024-02-29T00:01:00\"
title: 월간 기술 스크랩 24/02
categories:
- Newsletter
description: 흥미롭게 읽은 글이나 새로 알게 된 기술 등을 소개합니다. (2024년 2월)
summary: 흥미롭게 읽은 글이나 새로 알게 된 기술 등을 소개합니다. (2024년 2월)
draft: true
---

<!-- ## \u{270D}\u{FE0F} 글 -->

<!-- ## \u{1F4CC} 북마크 -->

<!-- ## \u{1F4F0} 기술 뉴스 -->

<!-- ## \u{2699}\u{FE0F} 소프트웨어 / 프로젝트 -->

<!-- ## \u{1F4D9} 책 / 강의 / 영상 -->
";
    assert_eq!(render(&post), expected);
    assert_eq!(import(expected).unwrap().post, post);
    assert_eq!(Month { year: 2023, month: 2 }.default_date(), "2023-02-28T00:01:00");
    assert_eq!(Month { year: 1900, month: 2 }.days(), 28);
    assert_eq!(Month { year: 2000, month: 2 }.days(), 29);
}

#[test]
fn links_stay_valid_with_brackets_backticks_parentheses_and_spaces() {
    let cases = [
        ("[RFC] 9110 [draft]", "https://example.com/a", "[\\[RFC\\] 9110 \\[draft\\]](https://example.com/a)"),
        ("`Vec<[T]>` 정리", "https://x.dev/p", "[`Vec<[T]>` 정리](https://x.dev/p)"),
        (
            "a \\ b",
            "https://en.wikipedia.org/wiki/Rust_(language)",
            "[a \\\\ b](https://en.wikipedia.org/wiki/Rust_(language))",
        ),
        ("t", "https://x.dev/a b", "[t](<https://x.dev/a b>)"),
        ("t", "https://x.dev/a)b", "[t](<https://x.dev/a)b>)"),
        ("lone ` tick", "https://x.dev/<x>", "[lone \\` tick](<https://x.dev/\\<x\\>>)"),
    ];
    for (title, url, md) in cases {
        assert_eq!(moa::newsletter::link(title, url), md);
        assert_eq!(moa::newsletter::parse_link_line(md), Some((title.to_string(), url.to_string())), "{md}");
    }
}

#[test]
fn hand_written_variations_are_read() {
    let post = "---
title: 월간 기술 스크랩 21/11
date: 2021-11-30T10:00:00Z
draft: false
---


## 글
### [하나](https://a.example/1)
첫 줄
둘째 줄


둘째 문단

<!-- ## 📌 북마크 -->
## 📰 기술뉴스

## ⚙️ 소프트웨어/프로젝트

#### [넷](https://a.example/4)

```sh
## 코드 안의 제목은 제목이 아닙니다
### [이것도](https://not.an/item)
```
## Books / Videos
### [다섯](https://a.example/5)";
    let imported = import(post).unwrap();
    let p = &imported.post;
    assert_eq!(p.month, Month { year: 2021, month: 11 });
    assert_eq!(p.settings, Settings { date: "2021-11-30T10:00:00Z".into(), draft: false, hidden_from_homepage: None });
    let got: Vec<_> = p.items.iter().map(|i| (i.section, i.title.as_str(), i.commentary.as_str())).collect();
    assert_eq!(
        got,
        [
            (Section::Article, "하나", "첫 줄\n둘째 줄\n\n\n둘째 문단"),
            (
                Section::Software,
                "넷",
                "```sh\n## 코드 안의 제목은 제목이 아닙니다\n### [이것도](https://not.an/item)\n```"
            ),
            (Section::Media, "다섯", ""),
        ]
    );
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings, ["line 21: an item written at heading level 4; items are level 3 (`### [Title](URL)`)"]);
    // Rendering keeps every item's title, URL and commentary; only the layout around them is normalized.
    let again = import(&render(p)).unwrap().post;
    assert_eq!(&again, p);
}

#[test]
fn a_date_that_does_not_exist_is_reported_not_mended() {
    let post = "---\ndate: \"2022-02-29T00:01:00\"\ntitle: 월간 기술 스크랩 22/02\ndraft: true\n---\n";
    let imported = import(post).unwrap();
    assert_eq!(imported.post.settings.date, "2022-02-29T00:01:00", "kept as written");
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["line 2: the date \"2022-02-29T00:01:00\" does not exist: 2022-02 has 28 days (kept as written)"]
    );
    // Without a title, the date names the month.
    let by_date = import("---\ndate: 2023-07-31T00:01:00\n---\n").unwrap();
    assert_eq!(by_date.post.month, Month { year: 2023, month: 7 });
}

#[test]
fn what_cannot_be_read_is_named_with_its_line() {
    let head = "---\ntitle: 월간 기술 스크랩 22/03\n---\n";
    let cases = [
        ("# no front matter\n".to_string(), "line 1: a post starts with front matter: a line `---`"),
        ("---\ntitle: x 22/03\n".to_string(), "line 3: the front matter is never closed with `---`"),
        (
            "---\ntitle: 월간 기술 스크랩 2022년\n---\n".to_string(),
            "line 2: the title \"월간 기술 스크랩 2022년\" does not end in YY/MM",
        ),
        ("---\ndraft: maybe\n---\n".to_string(), "line 2: draft is true or false, not \"maybe\""),
        (
            "---\ndraft: true\n---\n".to_string(),
            "line 1: neither a title (월간 기술 스크랩 YY/MM) nor a date says which month this is",
        ),
        ("---\ndate: 2022-13-01\n---\n".to_string(), "line 2: the date \"2022-13-01\" has no month 13"),
        ("---\ndate: March 2022\n---\n".to_string(), "line 2: the date \"March 2022\" is not YYYY-MM-DD"),
        (format!("{head}\n## 🎧 팟캐스트\n"), "line 5: unknown section heading \"🎧 팟캐스트\""),
        (format!("{head}\n### [고아](https://x.dev)\n"), "line 5: an item before any section heading"),
        (
            format!("{head}\n## 글\n\n### 링크가 아닌 제목\n"),
            "line 7: an item heading is one Markdown link, `### [Title](URL)`, not \"링크가 아닌 제목\"",
        ),
        (format!("{head}\n서문입니다.\n"), "line 5: text outside any item: \"서문입니다.\""),
        (format!("{head}\n## 글\n소개 문단\n"), "line 6: text outside any item: \"소개 문단\""),
        ("---\n- Newsletter\n---\n".to_string(), "line 2: a list item outside a list: Newsletter"),
        ("---\njust words\n---\n".to_string(), "line 2: front matter lines are `key: value`, not \"just words\""),
    ];
    for (text, message) in cases {
        assert_eq!(import(&text).unwrap_err().to_string(), message, "{text}");
    }
}

#[test]
fn an_unclosed_code_block_is_reported_and_kept() {
    let post = "---\ntitle: 월간 기술 스크랩 22/03\n---\n\n## 글\n\n### [a](https://a.dev)\n\n```\n## 안\n";
    let imported = import(post).unwrap();
    let warnings: Vec<String> = imported.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings, ["line 9: a code block opened here is never closed"]);
    assert_eq!(imported.post.items[0].commentary, "```\n## 안");
}

#[test]
fn sections_are_recognised_by_what_they_are() {
    for (heading, section) in [
        ("✍️ 글", Section::Article),
        ("글", Section::Article),
        ("📌 북마크", Section::Bookmark),
        ("기술 뉴스", Section::News),
        ("뉴스", Section::News),
        ("⚙ 소프트웨어 / 프로젝트", Section::Software),
        ("프로젝트", Section::Software),
        ("📙 책 / 강의 / 영상", Section::Media),
        ("책/영상", Section::Media),
        ("media", Section::Media),
    ] {
        assert_eq!(Section::parse(heading), Some(section), "{heading}");
    }
    assert_eq!(Section::parse("글 / 북마크"), None, "two sections at once");
    assert_eq!(Section::parse("팟캐스트"), None);
}

fn section() -> impl Strategy<Value = Section> {
    prop::sample::select(Section::ALL.to_vec())
}

/// Titles with brackets, backticks, backslashes and Korean.
fn title() -> impl Strategy<Value = String> {
    "[가-힣a-zA-Z0-9 \\[\\]`\\\\()!*_<>#-]{1,40}"
        .prop_map(|t| t.trim().to_string())
        .prop_filter("a title", |t| !t.is_empty())
}

fn url() -> impl Strategy<Value = String> {
    "https://[a-z]{1,10}\\.example/[a-zA-Z0-9 ()_%/#?=&.<>-]{0,30}".prop_map(|u| u.trim_end().to_string())
}

/// Commentary: paragraphs, lists, code (inline and fenced, with headings inside), links, footnotes,
/// emphasis and `-->`.
fn commentary() -> impl Strategy<Value = String> {
    let block = prop::sample::select(vec![
        "한 문단입니다.\n줄바꿈도 그대로.",
        "- 목록 하나\n- 목록 둘\n  - 안쪽",
        "1. 첫째\n2. 둘째",
        "`inline code`와 [링크](https://x.dev/a_(b)) 그리고 각주[^1].",
        "[^1]: 각주 내용.",
        "```rust\n## not a heading\n### [not](an item)\nfn main() {}\n```",
        "~~~\n<!-- ## 📌 북마크 -->\n~~~",
        "주석 끝 표시 --> 는 그냥 글자.",
        "**강조**와 _기울임_.",
        "> 인용문\n> 둘째 줄",
    ]);
    prop::collection::vec(block, 0..5).prop_map(|blocks| blocks.join("\n\n"))
}

fn item() -> impl Strategy<Value = Item> {
    (section(), title(), url(), commentary()).prop_map(|(section, title, url, commentary)| Item {
        section,
        title,
        url,
        commentary,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_scraps_render_and_import_back_identical(
        items in prop::collection::vec(item(), 0..12),
        year in 2000i32..2099,
        month in 1u8..=12,
        draft: bool,
        hidden in prop::option::of(any::<bool>()),
    ) {
        let month = Month { year, month };
        let mut items = items;
        // Rendering groups items by section, keeping their order within each.
        items.sort_by_key(|i| i.section);
        let post = Post { month, settings: Settings { draft, hidden_from_homepage: hidden, ..Settings::for_month(month) }, items };
        let rendered = render(&post);
        let imported = import(&rendered).map_err(|e| TestCaseError::fail(format!("{e}\n{rendered}")))?;
        prop_assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        prop_assert_eq!(&imported.post, &post, "{}", rendered);
        prop_assert_eq!(render(&imported.post), rendered);
    }
}

#[test]
fn commentary_becomes_html_without_raw_html_or_script_links() {
    let html = moa::newsletter::commentary_html(
        "첫 문단\n줄바꿈\n\n- 목록 `code`\n\n[링크](https://x.dev) [나쁜](javascript:alert(1)) <script>alert(1)</script>\n\n각주[^1]\n\n[^1]: 설명",
    );
    assert!(html.contains("<p>첫 문단\n줄바꿈</p>"), "{html}");
    assert!(html.contains("<li>목록 <code>code</code></li>"), "{html}");
    assert!(html.contains("<a href=\"https://x.dev\">링크</a>"), "{html}");
    assert!(!html.contains("javascript:") && html.contains(" 나쁜 "), "the link is dropped, its text kept: {html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"), "{html}");
    assert!(html.contains("footnote"), "{html}");
}

/// Snapshots of rendered posts: a month of every kind of item, and one with empty sections and settings.
#[test]
fn rendered_posts_snapshots() {
    let month = Month { year: 2024, month: 2 };
    let item = |section, title: &str, url: &str, commentary: &str| Item {
        section,
        title: title.into(),
        url: url.into(),
        commentary: commentary.into(),
    };
    let post = Post {
        month,
        settings: Settings { date: "2024-03-03T09:30:00".into(), draft: false, hidden_from_homepage: Some(false) },
        items: vec![
            item(
                Section::Article,
                "[번역] `Vec<T>`의 내부",
                "https://x.dev/vec_(rust)",
                "한 줄.\n둘째 줄.\n\n- 목록\n  - 안쪽\n\n```rust\n## 코드 안\nlet v = vec![1];\n```\n\n각주[^1]\n\n[^1]: 주석 --> 끝",
            ),
            item(Section::Article, "공백 있는 주소", "https://x.dev/a b(c", ""),
            item(Section::Media, "책", "https://book.example/", "> 인용\n\n**굵게**"),
        ],
    };
    insta::assert_snapshot!("every_kind_of_item", render(&post));
    let empty = Post { month, settings: Settings::for_month(month), items: vec![] };
    insta::assert_snapshot!("empty_month", render(&empty));
}
