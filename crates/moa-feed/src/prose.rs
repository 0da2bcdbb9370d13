//! What of a post's text reads as prose, for its summary: the HTML reader already leaves out code blocks,
//! tables and math markup ([`crate::html::prose_text_prefix`]); this drops what is left in the text
//! itself — TeX math, front matter a generator leaked into the content, table and menu debris, a bare
//! URL before the prose, a tag cut off at the end of an excerpt.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// Keys of Hugo/Jekyll front matter; a text that opens with a run of `key : value` of these leaked it.
const FRONT_MATTER_KEYS: [&str; 18] = [
    "layout",
    "title",
    "date",
    "lastmod",
    "summary",
    "tags",
    "categories",
    "parent",
    "draft",
    "author",
    "description",
    "slug",
    "permalink",
    "toc",
    "comments",
    "published",
    "weight",
    "type",
];

static DOUBLE_DOLLAR: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("$$"));
static HTTP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("http"));

/// The prose of a text whose lines are blocks (as the HTML reader writes them).
pub(crate) fn prose(text: &str) -> String {
    // Most text holds nothing any rule looks for, each where it can stand: math and table bars anywhere,
    // front matter at the start, a URL at a line's start, a cut-off tag at the end.
    let bytes = text.as_bytes();
    let marked = memchr::memchr3(b'$', b'\\', b'|', bytes).is_some()
        || starts_like_front_matter(text)
        || HTTP.find_iter(bytes).any(|at| at == 0 || bytes[at - 1] == b'\n')
        || text.trim_end().ends_with(['<', '>', '&', 't', 'l', 'g']) && !without_cut_tag(text).eq(text.trim_end());
    if !marked {
        return text.to_string();
    }
    let text = without_tex(text);
    let text = without_front_matter(&text);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = without_leading_url(line.trim());
        if line.is_empty() || is_debris(line) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    let kept = without_cut_tag(&out).len();
    out.truncate(kept);
    out
}

/// TeX math: `$$…$$`, `\[…\]` and `\(…\)` (MathJax's delimiters). A lone `$` is money, not math.
fn without_tex(text: &str) -> std::borrow::Cow<'_, str> {
    if DOUBLE_DOLLAR.find(text.as_bytes()).is_none() && !text.contains("\\(") && !text.contains("\\[") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = [("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)")]
            .iter()
            .filter_map(|(open, close)| rest.find(open).map(|at| (at, *open, *close)))
            .min_by_key(|(at, ..)| *at);
        let Some((at, open, close)) = next else { break };
        let body = &rest[at + open.len()..];
        let Some(end) = body.find(close) else { break };
        out.push_str(&rest[..at]);
        out.push(' ');
        rest = &body[end + close.len()..];
    }
    out.push_str(rest);
    out.into()
}

/// The key a line of front matter opens with (`layout` of `layout: post`, of `— layout : wiki`): a word
/// before a colon, after any dashes.
fn front_matter_key(line: &str) -> Option<&str> {
    let (key, _) = line.trim_start_matches(['-', '—', '–', ' ']).split_once(':')?;
    let key = key.trim();
    (!key.is_empty() && !key.contains(' ')).then_some(key)
}

fn is_front_matter_key(word: &str) -> bool {
    FRONT_MATTER_KEYS.iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// A line of dashes: front matter's fence, or the dash a typographer made of it.
fn is_dash_line(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| matches!(c, '-' | '—' | '–' | ' '))
}

/// Whether a text's first line could open front matter: dashes, or a `key:` of one.
fn starts_like_front_matter(text: &str) -> bool {
    let first = text.trim_start().lines().next().unwrap_or("");
    is_dash_line(first) || front_matter_key(first).is_some_and(is_front_matter_key)
}

/// Whether a text opens with front matter a generator leaked into it (`layout: post`, `— layout : wiki`).
pub(crate) fn leaked_front_matter(text: &str) -> bool {
    front_matter_key(text.trim_start())
        .is_some_and(|k| ["layout", "title", "date"].iter().any(|key| k.eq_ignore_ascii_case(key)))
        && text.matches(':').count() >= 2
}

/// Leaked front matter at the start: a `---` line (or the dash a typographer made of it) and `key: value`
/// lines, or all of it run together on one line (`— layout : wiki title : … date : …`).
fn without_front_matter(text: &str) -> std::borrow::Cow<'_, str> {
    let is_key = is_front_matter_key;
    let starts_with_key = |s: &str| front_matter_key(s).is_some_and(is_key);
    let is_dashes = is_dash_line;
    if !starts_with_key(text.trim_start()) && !is_dashes(text.lines().next().unwrap_or("")) {
        return text.into();
    }
    let head: Vec<&str> =
        text.lines().take_while(|l| is_dashes(l) || l.trim().is_empty() || starts_with_key(l)).collect();
    let key_lines = head.iter().filter(|l| !is_dashes(l) && starts_with_key(l)).count();
    if key_lines == 0 {
        return text.into();
    }
    if key_lines > 1 {
        // One key a line, between `---` lines.
        return text.lines().skip(head.len()).collect::<Vec<_>>().join("\n").into();
    }
    // Run together on one line: cut after the last `key :` of the run, and that key's value when it is a
    // date or an offset.
    let Some(at) = text.lines().position(starts_with_key) else {
        return text.into();
    };
    let first = text.lines().nth(at).unwrap_or("");
    let words: Vec<&str> = first.split_whitespace().collect();
    let (mut cut, mut k) = (0, 0);
    while k < words.len() {
        let w = words[k].trim_start_matches(['-', '—', '–']);
        if let Some(key) = w.strip_suffix(':').filter(|key| !key.is_empty()) {
            if is_key(key) {
                cut = k + 1;
            }
        } else if is_key(w) && words.get(k + 1) == Some(&":") {
            cut = k + 2;
            k += 1;
        }
        k += 1;
    }
    let mut rest = &words[cut.min(words.len())..];
    while let Some(w) = rest.first()
        && (w.starts_with(|c: char| c.is_ascii_digit()) && w.contains(['-', ':']) || w.starts_with(['+', '-']))
    {
        rest = &rest[1..];
    }
    let mut out = rest.join(" ");
    for line in text.lines().skip(at + 1) {
        out.push('\n');
        out.push_str(line);
    }
    out.into()
}

/// A URL standing before the prose of a block (`https://github.com/a/b 이 글은 …`).
fn without_leading_url(line: &str) -> &str {
    if !(line.starts_with("http://") || line.starts_with("https://")) {
        return line;
    }
    line.split_once(char::is_whitespace).map_or("", |(_, rest)| rest.trim_start())
}

/// A line that is not prose: a row of a Markdown table (`| a | b |`, `|---|---|`), a menu or a language
/// switcher (`KO | EN`, `Home | About | Tags`): cells of a word or three, no sentence among them.
fn is_debris(line: &str) -> bool {
    if !line.contains('|') {
        return false;
    }
    if line.starts_with('|') || line.contains("---|") || line.contains("|---") || line.contains("|:--") {
        return true;
    }
    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
    cells.len() >= 2 && cells.iter().all(|c| c.split_whitespace().count() <= 3 && !c.ends_with(['.', '!', '?', '다']))
}

/// The text without a tag or reference cut off at its end (`…정리합니다.<`, `…책들 &lt`).
fn without_cut_tag(text: &str) -> &str {
    let t = text.trim_end();
    // A `>` closing a tag the text holds (`<b>보기</b>`) stays; one standing alone is an arrow or debris.
    for tail in ["&lt", "&gt", "&l", "&g", "&", "</", "<", " >"] {
        if let Some(rest) = t.strip_suffix(tail) {
            return rest.trim_end();
        }
    }
    t
}

/// Whether a text ends as a whole text does: at a sentence end (`.`, `!`, `?`, `…`, a closing quote or
/// bracket), at a Korean final ending (`다`, `요`, `죠`, `까`), at a symbol or emoji, or at a link.
pub(crate) fn ends_whole(text: &str) -> bool {
    let t = text.trim_end();
    let Some(last) = t.chars().next_back() else { return true };
    let last_word = t.rsplit(char::is_whitespace).next().unwrap_or("");
    matches!(last, '.' | '!' | '?' | '。' | '…' | '"' | '”' | '’' | '\'' | ')' | ']' | '}' | '다' | '요' | '죠' | '까')
        || !last.is_alphanumeric()
        || last_word.contains('/')
}

/// Whether a description stops short of its text: it does not end whole, and it is the start of the
/// content beside it (compared by letters and digits, as the two are often written differently), or,
/// with no content to compare, it is an excerpt's length.
pub(crate) fn looks_cut(description: &str, content: Option<&str>) -> bool {
    const EXCERPT_MIN_CHARS: usize = 80;
    const COMPARED_CHARS: usize = 200;
    if ends_whole(description) {
        return false;
    }
    let Some(content) = content else {
        return description.chars().nth(EXCERPT_MIN_CHARS).is_some();
    };
    // Walk the content along the description's letters and digits; where they run out, the content
    // either ends the sentence (the description was a whole sentence) or goes on with it.
    let mut wanted = description.chars().filter(|c| c.is_alphanumeric()).take(COMPARED_CHARS).peekable();
    let mut rest = content.chars().skip_while(|c| !c.is_alphanumeric());
    while let Some(want) = wanted.peek().copied() {
        match rest.by_ref().find(|c| c.is_alphanumeric()) {
            Some(c) if c == want => {
                wanted.next();
            }
            _ => return false,
        }
    }
    rest.find(|c| !c.is_whitespace()).is_some_and(|next| !matches!(next, '.' | '!' | '?' | '。' | '…'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tex_math_is_left_out() {
        assert_eq!(prose("오차제곱합 $$ E = \\frac{1}{2}\\sum_k (y_k - t_k)^2 $$ 을 쓴다."), "오차제곱합   을 쓴다.");
        assert_eq!(prose("함수 \\(h(x)\\) 와 \\[ \\int f \\] 끝"), "함수   와   끝");
        assert_eq!(prose("가격은 $5, 배송은 $10"), "가격은 $5, 배송은 $10");
        assert_eq!(prose("닫히지 않은 $$ x"), "닫히지 않은 $$ x");
    }

    #[test]
    fn front_matter_leaked_into_content_is_left_out() {
        let one_line = "— layout : wiki title : Modern C++ Design Pattern summary : date : 2020-04-07 20:44:17 +0900 \
                        lastmod : 2020-09-26 23:15:49 +0900 tags : parent : 팩토리 패턴은 객체 생성을 맡긴다.";
        assert_eq!(prose(one_line), "팩토리 패턴은 객체 생성을 맡긴다.");
        let lines = "---\nlayout: post\ntitle: 쿠버네티스\ndate: 2024-01-02\n---\n본문이 여기서 시작한다.";
        assert_eq!(prose(lines), "본문이 여기서 시작한다.");
        assert_eq!(prose("title: 이 글은 제목 이야기로 시작한다"), "이 글은 제목 이야기로 시작한다");
        // Prose that merely holds a colon stays.
        assert_eq!(prose("결론: 캐시는 어렵다."), "결론: 캐시는 어렵다.");
    }

    #[test]
    fn a_leading_bare_url_table_rows_and_menus_are_left_out() {
        assert_eq!(prose("https://github.com/a/b 이 저장소를 소개합니다."), "이 저장소를 소개합니다.");
        assert_eq!(prose("https://github.com/a/b\n소개합니다."), "소개합니다.");
        assert_eq!(prose("KO | EN\n웹 개발은 어려워졌다."), "웹 개발은 어려워졌다.");
        assert_eq!(prose("| 이름 | 값 |\n|---|---|\n| a | 1 |\n표 뒤의 글."), "표 뒤의 글.");
        assert_eq!(
            prose("A 또는 B | C 중에서 고른다. 선택은 | 로 나눈다."),
            "A 또는 B | C 중에서 고른다. 선택은 | 로 나눈다."
        );
    }

    #[test]
    fn a_tag_cut_off_at_the_end_is_left_out() {
        assert_eq!(prose("정리하려 합니다.<"), "정리하려 합니다.");
        assert_eq!(prose("2022년에 읽은 책들 &lt"), "2022년에 읽은 책들");
        assert_eq!(prose("a < b"), "a < b");
        assert_eq!(prose("다음 글 >"), "다음 글");
        assert_eq!(prose("태그 <b>는</b>"), "태그 <b>는</b>");
    }

    #[test]
    fn an_excerpt_cut_short_is_told_from_a_whole_text() {
        let long = "이 글에서는 우리 팀이 지난 일 년 동안 쿠버네티스 클러스터를 운영하며 겪은 장애와 그 원인을 하나씩 짚어 보고, 같은 장애를 다시 겪지 않기 위해 바꾼";
        assert!(looks_cut(long, None));
        assert!(!looks_cut(&format!("{long} 것들을 정리했습니다."), None));
        assert!(!looks_cut(&format!("{long} 것들을 정리했다"), None));
        assert!(!looks_cut(&format!("{long} https://a.com/x?y=1"), None), "a link ends it");
        assert!(!looks_cut("짧은 소개 문구", None), "a short phrase is whole");
        // Beside content, a description is cut when the content goes on from it.
        assert!(looks_cut("짧은 소개 문구", Some("짧은 소개 문구로 시작하는 본문이 이어진다.")));
        assert!(looks_cut("Tokenizer는 문자열을 받아", Some("Tokenizer는 문자열을\n받아, 자른다.")));
        assert!(!looks_cut("Dependency hell is NP-complete", Some("Dependency hell is a problem we all know.")));
        assert!(!looks_cut("Dependency hell is NP-complete", Some("Dependency hell is NP-complete. But maybe…")));
        assert!(!looks_cut("Dependency hell is NP-complete", Some("Dependency hell is NP-complete")), "all of it");
        assert!(!looks_cut("", Some("본문")));
    }
}
