//! Summaries read as prose: what is not prose is left out of them, and a summary says when its source was
//! itself cut short.

use moa_feed::{Entry, ParseOptions, Url, parse};

fn entry(description: &str, content: Option<&str>) -> Entry {
    let content = content.map(|c| format!("<content:encoded><![CDATA[{c}]]></content:encoded>")).unwrap_or_default();
    let doc = format!(
        "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>c</title>\
         <link>https://blog.example.com/</link><item><title>글</title><link>https://blog.example.com/posts/1/</link>\
         <pubDate>Mon, 10 Feb 2025 01:13:00 GMT</pubDate><description><![CDATA[{description}]]></description>{content}</item>\
         </channel></rss>"
    );
    let options = ParseOptions { url: Url::parse("https://blog.example.com/index.xml").ok(), ..Default::default() };
    parse(doc.as_bytes(), &options).unwrap().entries.remove(0)
}

fn summary(description: &str) -> Option<String> {
    entry(description, None).summary
}

#[test]
fn code_blocks_and_long_code_are_left_out_short_code_and_quoted_names_kept() {
    assert_eq!(
        summary("<p>설치는 간단합니다.</p><pre><code>brew install pyenv\necho 'eval \"$(pyenv init -)\"' >> ~/.zshrc</code></pre><p>이제 끝입니다.</p>")
            .as_deref(),
        Some("설치는 간단합니다. 이제 끝입니다.")
    );
    // Hexo's highlighted blocks: line numbers and code in a table of <pre>s.
    assert_eq!(
        summary(
            "<p>함수는 다음과 같다.</p><figure class=\"highlight\"><table><tr><td class=\"gutter\"><pre>1\n2</pre></td>\
                 <td class=\"code\"><pre>def f(x):\n  return x</pre></td></tr></table></figure><p>간단하다.</p>"
        )
        .as_deref(),
        Some("함수는 다음과 같다. 간단하다.")
    );
    assert_eq!(
        summary("<p>값은 <code>fmt.Println(reflect.ValueOf(t).Field(0).Int())</code>로 읽고, <code>kubectl</code>로 배포한다.</p>")
            .as_deref(),
        Some("값은 로 읽고, kubectl로 배포한다.")
    );
    assert_eq!(
        summary("<p>출발은 <code>Simple and Fast Retrieval-Augmented Generation</code>이었다.</p>").as_deref(),
        Some("출발은 Simple and Fast Retrieval-Augmented Generation이었다."),
        "a long name set in code inside a sentence stays"
    );
}

#[test]
fn math_is_left_out() {
    assert_eq!(
        summary("<p>오차제곱합은 $$ E = \\frac{1}{2}\\sum_k (y_k - t_k)^2 $$ 로 구한다.</p>").as_deref(),
        Some("오차제곱합은 로 구한다.")
    );
    assert_eq!(
        summary("<p>시그모이드 <span class=\"katex\"><span class=\"katex-mathml\">h(x)</span><span class=\"katex-html\">h(x)=1</span></span> 는 매끄럽다.</p>")
            .as_deref(),
        Some("시그모이드 는 매끄럽다.")
    );
    assert_eq!(
        summary("<p>행렬 <mjx-container class=\"MathJax\"><mjx-math>A</mjx-math></mjx-container> 의 역행렬 \\(A^{-1}\\) 을 구한다.</p>")
            .as_deref(),
        Some("행렬 의 역행렬 을 구한다.")
    );
}

#[test]
fn front_matter_a_leading_url_tables_and_a_cut_off_tag_are_left_out() {
    assert_eq!(
        summary("<p>---<br>layout: post<br>title: 캐시<br>date: 2024-01-02<br>---</p><p>캐시는 어렵다.</p>").as_deref(),
        Some("캐시는 어렵다.")
    );
    assert_eq!(summary("https://github.com/a/b 이 저장소를 소개합니다.").as_deref(), Some("이 저장소를 소개합니다."));
    assert_eq!(
        summary("<p>KO | EN</p><table><tr><th>이름</th><th>값</th></tr><tr><td>a</td><td>1</td></tr></table><p>표 다음 글.</p>")
            .as_deref(),
        Some("표 다음 글.")
    );
    assert_eq!(
        summary("엑셀 파일 출력을 위해 Apache POI를 활용한 이야기입니다.&lt;").as_deref(),
        Some("엑셀 파일 출력을 위해 Apache POI를 활용한 이야기입니다.")
    );
}

#[test]
fn nothing_prose_like_falls_back_to_the_contents_prose_else_no_summary() {
    let e = entry("<pre>$ make install</pre>", Some("<p>빌드는 make 하나로 끝납니다.</p><pre>$ make install</pre>"));
    assert_eq!(e.summary.as_deref(), Some("빌드는 make 하나로 끝납니다."));
    let e = entry("<pre>$ make install</pre>", Some("<pre>$ make</pre>"));
    assert_eq!(e.summary, None, "no summary rather than code: the card shows the title alone");
}

#[test]
fn a_source_cut_short_ends_with_an_ellipsis() {
    // A Hugo excerpt that stops mid-sentence, with the full text beside it.
    let content = "<p>데이터베이스와 연동된 웹 응용 프로그램에서 입력된 데이터에 대한 유효성 검증을 하지 않을 경우 공격자가 입력 폼 및 입력란에 SQL 구문을 삽입합니다.</p>";
    let e = entry(
        "데이터베이스와 연동된 웹 응용 프로그램에서 입력된 데이터에 대한 유효성 검증을 하지 않을 경우 공격자가 입력 폼 및 입력란에 SQL",
        Some(content),
    );
    assert_eq!(e.summary.as_deref().map(|s| s.ends_with("입력란에 SQL…")), Some(true), "{:?}", e.summary);
    // A whole sentence, or a subtitle beside content that does not go on from it, is left as it is.
    let e = entry("보안 약점 정리", Some(content));
    assert_eq!(e.summary.as_deref(), Some("보안 약점 정리"));
    let e = entry(
        "데이터베이스와 연동된 웹 응용 프로그램에서",
        Some("<p>데이터베이스와 연동된 웹 응용 프로그램에서.</p><p>다음 문단.</p>"),
    );
    assert_eq!(e.summary.as_deref(), Some("데이터베이스와 연동된 웹 응용 프로그램에서"));
    // No content to compare with: an excerpt's length that stops mid-word is cut.
    let long = "2022년에 읽은 책들의 리뷰를 작성할 시간이 없어서, 앞으로는 리뷰를 작성하는 대신 밑줄 친 문장들을 모아두고 자주 꺼내보려 한다. 2022년에 읽은 책들";
    assert_eq!(summary(long).as_deref(), Some(format!("{long}…").as_str()));
    // An excerpt of exactly a summary's length that was cut: one ellipsis, within the length.
    let words = "가나다라 ".repeat(40);
    let excerpt: String = words.chars().take(moa_feed::SUMMARY_MAX_CHARS).collect();
    let excerpt = format!("{}마", excerpt.trim_end());
    let excerpt: String = excerpt.chars().skip(excerpt.chars().count() - moa_feed::SUMMARY_MAX_CHARS).collect();
    assert_eq!(excerpt.chars().count(), moa_feed::SUMMARY_MAX_CHARS);
    let cut = entry(&excerpt, Some(&format!("<p>{excerpt}바사 아자차.</p>"))).summary.unwrap_or_default();
    assert!(cut.ends_with('…') && !cut.ends_with("……"), "{cut:?}");
    assert!(cut.chars().count() <= moa_feed::SUMMARY_MAX_CHARS, "{cut:?}");
}

#[test]
fn a_summary_is_never_cut_inside_a_grapheme() {
    // Hangul written as jamo (NFD): a cut between them would leave half a syllable.
    let nfd = "\u{1112}\u{1161}\u{11ab}\u{1100}\u{1173}\u{11af} ".repeat(60);
    let s = summary(&nfd).expect("a summary");
    assert!(s.chars().count() <= 200);
    let body = s.trim_end_matches('…');
    assert!(
        matches!(body.chars().last(), Some('\u{11ab}' | '\u{11af}')),
        "{:?}",
        body.chars().rev().take(3).collect::<String>()
    );
}

/// Markup built to make the prose reader look ahead again and again (tables in tables, code that never
/// closes) is read in one pass's time and without deep recursion: a hostile feed costs what its size does.
#[test]
fn hostile_nesting_is_read_in_bounded_time_and_depth() {
    let deep_tables = format!(
        "<p>앞 문장입니다.</p>{}표 안의 글{}",
        "<table><tr><td>".repeat(50_000),
        "</td></tr></table>".repeat(10)
    );
    assert!(summary(&deep_tables).is_some_and(|s| s.starts_with("앞 문장입니다.")));
    let unclosed_code = format!("<p>코드 앞의 문장입니다.</p>{}", "<code>".repeat(200_000));
    assert!(summary(&unclosed_code).is_some_and(|s| s.starts_with("코드 앞의 문장입니다.")));
}

/// The two Hexo blogs whose excerpts stop inside a tag (`…&lt;/strong&gt;&lt;`): no summary keeps a stray
/// `<`, though some excerpts end in one, and none of them speaks of markup.
#[test]
fn hexo_excerpts_cut_inside_a_tag_leave_no_stray_angle_bracket() {
    for name in ["kr-kdevkr.xml", "kr-jbee-felog.xml"] {
        let path = format!("{}/../../testdata/feeds/real/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        let feed = parse(&bytes, &ParseOptions::default()).unwrap();
        assert!(feed.entries.len() > 15, "{name}");
        let mut summaries = 0;
        for e in &feed.entries {
            if let Some(s) = &e.summary {
                summaries += 1;
                assert!(!s.contains('<') && !s.contains("&lt"), "{name}: {:?}: {s:?}", e.title);
            }
        }
        assert_eq!(summaries, feed.entries.len(), "{name}: every post has a summary");
    }
}
