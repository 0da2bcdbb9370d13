//! Plain-text rules for titles and summaries: platform boilerplate removed, length bounded at a word or
//! sentence boundary.

/// Longest summary moa shows, in characters (not bytes).
pub const SUMMARY_MAX_CHARS: usize = 200;

/// Lines (blocks) that are platform boilerplate as a whole.
fn is_boilerplate_line(line: &str) -> bool {
    let l = line.trim();
    let starts_ci = |p: &str| l.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    // WordPress writes the rest in lower case; only the first word varies.
    (starts_ci("the post ") && (l.contains("appeared first on") || l.contains("first appeared on")))
        // Medium's footer is its own paragraph: the title, then the conversation sentence.
        || (l.contains("was originally published in") && l.contains("on Medium") && l.contains("conversation"))
        || (l.len() <= 40 && {
            let lower = l.to_lowercase();
            matches!(
                lower.trim_end_matches(['.', '→', '»', '…', ' ']),
                "continue reading" | "read more" | "read the full article" | "더 보기" | "더보기" | "계속 읽기" | "계속읽기" | "전체 글 보기"
            )
        })
}

/// Removes boilerplate that platforms append to summaries, whether it sits in its own block or is
/// glued to the text (as when the feed gives plain text). Each check looks only where its boilerplate can
/// stand, so clean text (the common case) costs one scan per marker family, not one per marker.
pub fn strip_boilerplate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if is_boilerplate_line(line) {
            continue;
        }
        let mut l: std::borrow::Cow<'_, str> = line.into();
        // WordPress: "… [&hellip;] The post X appeared first on Y." inside one paragraph.
        if l.contains("appeared ") {
            for marker in ["appeared first on", "first appeared on"] {
                if let Some(m) = l.find(marker)
                    && let Some(p) = l[..m].rfind("The post ")
                {
                    l.to_mut().truncate(p);
                }
            }
        }
        if let Some(m) = l.find(" was originally published in ")
            && l[m..].contains("on Medium")
        {
            l.to_mut().truncate(m);
        }
        if l.contains(['[', '(']) {
            for marker in ["[…]", "[...]", "[&hellip;]", "[&#8230;]", "(…)", "[…"] {
                if l.contains(marker) {
                    l = l.replace(marker, " ").into();
                }
            }
        }
        let t = strip_read_more_tail(&l).trim();
        if !t.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(t);
        }
    }
    out
}

/// "Continue reading on Medium »", "Read more →", "계속 읽기": a link label at the end of a teaser.
fn strip_read_more_tail(line: &str) -> &str {
    const MARKERS: [&str; 6] =
        ["Continue reading", "Read more", "Read the full", "계속 읽기", "더 보기", "전체 글 보기"];
    // A marker followed by at most 40 characters starts within the last 40 × 4 + 20 bytes.
    let mut from = line.len().saturating_sub(180);
    while !line.is_char_boundary(from) {
        from += 1;
    }
    let tail = &line[from..];
    for marker in MARKERS {
        if let Some(at) = tail.rfind(marker) {
            let rest = &tail[at + marker.len()..];
            // Only a short label may follow (" on Medium »", " →"), not more prose.
            if rest.chars().count() <= 40 && !rest.contains(['.', '!', '?']) {
                return line[..from + at].trim_end();
            }
        }
    }
    line
}

/// Collapses all whitespace, newlines included, into single spaces.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `max` characters, cut at a sentence end or else a word boundary, ending in "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(1);
    let cut_byte = text.char_indices().nth(budget).map_or(text.len(), |(i, _)| i);
    let head = &text[..cut_byte];
    // Prefer a sentence end in the second half, then a space in the last fifth (counted in characters).
    let byte_of = |chars: usize| head.char_indices().nth(chars).map_or(head.len(), |(i, _)| i);
    let min_sentence = byte_of(budget / 2);
    let min_space = byte_of(budget * 4 / 5);
    let sentence_end = head
        .char_indices()
        .rev()
        .filter(|(i, c)| *i >= min_sentence && matches!(c, '.' | '!' | '?' | '。'))
        .filter(|(i, c)| head[i + c.len_utf8()..].starts_with(' '))
        .map(|(i, c)| i + c.len_utf8())
        .next();
    let cut = sentence_end.or_else(|| head.rfind(' ').filter(|p| *p >= min_space)).unwrap_or(head.len());
    // "문장입니다." + "…" would read ".…": the ellipsis replaces a final period.
    let mut out =
        head[..cut].trim_end().trim_end_matches([',', ';', ':', '-', '(', '[', '.', '。']).trim_end().to_string();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordpress_boilerplate_in_its_own_paragraph() {
        let t = "데이터 디스커버리란 조직 내 데이터를 찾는 과정입니다.\nThe post 데이터카탈로그 PM이 … first appeared on 우아한형제들 기술블로그.";
        assert_eq!(strip_boilerplate(t), "데이터 디스커버리란 조직 내 데이터를 찾는 과정입니다.");
    }

    #[test]
    fn wordpress_boilerplate_glued_inline() {
        let t = "데이터 디스커버리 […] The post 데이터카탈로그 PM이 ‘데이터 디스커버리’라는 가치를 풀어내는 방법 first appeared on 우아한형제들 기술블로그.";
        assert_eq!(one_line(&strip_boilerplate(t)), "데이터 디스커버리");
    }

    #[test]
    fn boilerplate_only_leaves_nothing() {
        assert_eq!(strip_boilerplate("The post 외부감사인 선임 공고 appeared first on 리디주식회사."), "");
        assert_eq!(
            strip_boilerplate(
                "Scaling X was originally published in Netflix TechBlog on Medium, where people are continuing the conversation by highlighting and responding to this story."
            ),
            ""
        );
        assert_eq!(strip_boilerplate("Body text.\nContinue reading →"), "Body text.");
        assert_eq!(
            strip_boilerplate("Links from my talk today… Continue reading on Medium »"),
            "Links from my talk today…"
        );
        assert_eq!(strip_boilerplate("Continue reading on »"), "");
        assert_eq!(strip_boilerplate("본문입니다. 계속 읽기"), "본문입니다.");
        // Prose that merely contains the words stays.
        assert_eq!(
            strip_boilerplate("Read more about it in the docs. It helps."),
            "Read more about it in the docs. It helps."
        );
    }

    #[test]
    fn truncation_counts_characters_and_respects_boundaries() {
        let korean = "가나다라마 ".repeat(60);
        let t = truncate(&korean, 200);
        assert!(t.chars().count() <= 200, "{}", t.chars().count());
        assert!(t.ends_with("가나다라마…"), "{t}");
        let sentences = format!(
            "{} 둘째 문장입니다. 셋째 문장은 아주 길어서 잘립니다 {}",
            "첫 문장입니다.".repeat(15),
            "끝없이 ".repeat(40)
        );
        let t = truncate(&sentences, 200);
        assert!(t.ends_with("둘째 문장입니다…"), "{t}");
        assert_eq!(truncate("short", 200), "short");
    }
}
