//! Plain-text rules for titles and summaries: platform boilerplate removed, length bounded at a word or
//! sentence boundary.

use std::sync::LazyLock;

use memchr::memmem::{Finder, FinderRev};

static APPEARED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("appeared"));
/// Link labels that end teasers.
const READ_MORE_LABELS: [&str; 6] =
    ["Continue reading", "Read more", "Read the full", "계속 읽기", "더 보기", "전체 글 보기"];
/// Reverse finders (with each label's length in bytes) look at a line's end; forward ones, which are
/// vectorized, tell whether a text holds a label at all.
static READ_MORE: LazyLock<Vec<(usize, FinderRev<'static>)>> =
    LazyLock::new(|| READ_MORE_LABELS.iter().map(|m| (m.len(), FinderRev::new(m))).collect());
static READ_MORE_ANYWHERE: LazyLock<Vec<Finder<'static>>> =
    LazyLock::new(|| READ_MORE_LABELS.iter().map(Finder::new).collect());
static ORIGINALLY_PUBLISHED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("originally published"));

/// Longest summary moa shows, in characters (not bytes).
pub const SUMMARY_MAX_CHARS: usize = 200;

/// Lines (blocks) that are platform boilerplate as a whole.
/// `wordpress` and `medium` say whether the whole text holds those platforms' marks at all.
/// Bytes of the longest line that may be a link label alone ("Continue reading →", "계속 읽기").
const MAX_LABEL_LINE_BYTES: usize = 40;

fn is_boilerplate_line(line: &str, wordpress: bool, medium: bool) -> bool {
    let l = line.trim();
    let starts_ci = |p: &str| l.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    // WordPress writes the rest in lower case; only the first word varies.
    (wordpress && starts_ci("the post ") && (l.contains("appeared first on") || l.contains("first appeared on")))
        // Medium's footer is its own paragraph: the title, then the conversation sentence.
        || (medium
            && l.contains("was originally published in")
            && l.contains("on Medium")
            && l.contains("conversation"))
        || (l.len() <= MAX_LABEL_LINE_BYTES && {
            let lower = l.to_lowercase();
            matches!(
                lower.trim_end_matches(['.', '→', '»', '…', ' ']),
                "continue reading" | "read more" | "read the full article" | "더 보기" | "더보기" | "계속 읽기" | "계속읽기" | "전체 글 보기"
                    // A link to the discussion is all some aggregators put in the description.
                    | "comments" | "댓글"
            )
        })
}

/// Removes boilerplate that platforms append to summaries, whether it sits in its own block or is
/// glued to the text (as when the feed gives plain text). Each check looks only where its boilerplate can
/// stand, so clean text (the common case) costs one scan per marker family, not one per marker.
pub fn strip_boilerplate(text: &str) -> String {
    let wordpress = APPEARED.find(text.as_bytes()).is_some();
    let medium = ORIGINALLY_PUBLISHED.find(text.as_bytes()).is_some();
    // Every bracketed marker opens with `[`, but for "(…)".
    let brackets = memchr::memchr(b'[', text.as_bytes()).is_some() || text.contains("(…");
    let read_more = READ_MORE_ANYWHERE.iter().any(|f| f.find(text.as_bytes()).is_some());
    // Clean text (the common case) has no mark of any platform; only a short line could still be a whole
    // boilerplate line ("Comments", "더 보기"), and text without one is returned as it is.
    if !(wordpress || medium || brackets || read_more || has_short_line(text)) {
        return text.trim().to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if is_boilerplate_line(line, wordpress, medium) {
            continue;
        }
        let mut l: std::borrow::Cow<'_, str> = line.into();
        // WordPress: "… [&hellip;] The post X appeared first on Y." inside one paragraph.
        if wordpress && l.contains("appeared ") {
            for marker in ["appeared first on", "first appeared on"] {
                if let Some(m) = l.find(marker)
                    && let Some(p) = l[..m].rfind("The post ")
                {
                    l.to_mut().truncate(p);
                }
            }
        }
        if medium
            && let Some(m) = l.find(" was originally published in ")
            && l[m..].contains("on Medium")
        {
            l.to_mut().truncate(m);
        }
        // Every marker holds an ellipsis or an entity: code full of brackets skips the six searches.
        if brackets && l.contains(['[', '(']) && (l.contains(['…', '&']) || l.contains("...")) {
            for marker in ["[…]", "[...]", "[&hellip;]", "[&#8230;]", "(…)", "[…"] {
                if l.contains(marker) {
                    l = l.replace(marker, " ").into();
                }
            }
        }
        let t = if read_more { strip_read_more_tail(&l) } else { &l }.trim();
        if !t.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(t);
        }
    }
    out
}

/// Whether a line is short enough to be a boilerplate line on its own (see [`is_boilerplate_line`]).
fn has_short_line(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]) {
        if text[start..end].trim().len() <= MAX_LABEL_LINE_BYTES {
            return true;
        }
        start = end + 1;
    }
    false
}

/// "Continue reading on Medium »", "Read more →", "계속 읽기": a link label at the end of a teaser.
fn strip_read_more_tail(line: &str) -> &str {
    // A marker followed by at most 40 characters starts within the last 40 × 4 + 20 bytes.
    let mut from = line.len().saturating_sub(180);
    while !line.is_char_boundary(from) {
        from += 1;
    }
    let tail = &line[from..];
    for (marker_len, finder) in READ_MORE.iter() {
        if let Some(at) = finder.rfind(tail.as_bytes()) {
            let rest = &tail[at + marker_len..];
            // Only a short label may follow (" on Medium »", " →"), not more prose.
            if rest.chars().count() <= 40 && !rest.contains(['.', '!', '?']) {
                return line[..from + at].trim_end();
            }
        }
    }
    line
}

/// Collapses all whitespace, newlines included, into single spaces, and drops ASCII control characters
/// and the bidirectional controls (U+202A–U+202E, U+2066–U+2069) that can make a title read backwards
/// ("lleb exe.jpg").
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let (mut i, mut word_start) = (0, 0);
    // A word cut by a dropped control goes on without a space.
    let mut glued = false;
    // Words are copied whole; only bytes that can begin a whitespace character are looked at closely.
    while i < bytes.len() {
        let (width, is_space) = match bytes[i] {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => (1, true),
            // Other control characters (NUL among them, which PostgreSQL cannot store) are dropped.
            0x00..=0x08 | 0x0e..=0x1f | 0x7f => (1, false),
            // Lead bytes of the non-ASCII whitespace characters (U+0085, U+00A0, U+1680, U+2000…, U+3000)
            // and of the bidirectional controls.
            0xc2 | 0xe1 | 0xe2 | 0xe3 => match text[i..].chars().next() {
                Some(c) if is_bidi_control(c) => (c.len_utf8(), false),
                Some(c) if c.is_whitespace() => (c.len_utf8(), true),
                _ => (0, false),
            },
            _ => (0, false),
        };
        if width == 0 {
            i += 1;
            continue;
        }
        let has_word = word_start < i;
        if has_word {
            if !out.is_empty() && !glued {
                out.push(' ');
            }
            out.push_str(&text[word_start..i]);
        }
        glued = !is_space && (has_word || glued);
        i += width;
        word_start = i;
    }
    if word_start < bytes.len() {
        if !out.is_empty() && !glued {
            out.push(' ');
        }
        out.push_str(&text[word_start..]);
    }
    out
}

/// The embedding, override and isolate controls of Unicode's bidirectional algorithm.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`one_line`] for text whose only whitespace is single spaces and newlines between trimmed lines, as
/// the HTML→text sink and [`strip_boilerplate`] write it: newlines become spaces without a full scan.
pub(crate) fn join_lines(text: &str) -> String {
    static DOUBLE_SPACE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("  "));
    if DOUBLE_SPACE.find(text.as_bytes()).is_some() {
        // A removed marker left a double space inside a line.
        return one_line(text);
    }
    text.replace('\n', " ")
}

/// At most `max` characters, cut at a sentence end or else a word boundary, ending in "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    // No more bytes than the limit's characters: nothing to cut.
    if text.len() <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(1);
    // Where the cut falls, and where a sentence end (second half) or a space (last fifth) may stand, all
    // counted in characters; the text is longer than `max` when it has a character at index `max`.
    let bytes = text.as_bytes();
    let at_sentence = char_start(bytes, (0, 0), budget / 2);
    let at_space = char_start(bytes, at_sentence, budget * 4 / 5);
    let at_cut = char_start(bytes, at_space, budget);
    if char_start(bytes, at_cut, max).0 == text.len() {
        return text.to_string();
    }
    let (min_sentence, min_space, mut cut_byte) = (at_sentence.0, at_space.0, at_cut.0);
    // Never inside a grapheme: not between a letter and its combining mark, the jamo of a Hangul
    // syllable written decomposed, or the parts of an emoji sequence.
    let mut cursor = unicode_segmentation::GraphemeCursor::new(cut_byte, text.len(), true);
    if !cursor.is_boundary(text, 0).unwrap_or(true) {
        cut_byte = cursor.prev_boundary(text, 0).ok().flatten().unwrap_or(0);
    }
    let head = &text[..cut_byte];
    let sentence_end = head
        .char_indices()
        .rev()
        .take_while(|(i, _)| *i >= min_sentence)
        .filter(|(_, c)| matches!(c, '.' | '!' | '?' | '。'))
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

/// The byte index where character number `target` starts (the text's length when it has fewer), from a
/// known `(byte index, character number)` at or before it. Characters are counted by the bytes that start
/// them, eight bytes at a time: cheaper than decoding each, and every summary is cut here.
fn char_start(bytes: &[u8], (mut i, mut n): (usize, usize), target: usize) -> (usize, usize) {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while n + 8 <= target
        && let Some(word) = bytes.get(i..i + 8)
    {
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // Continuation bytes are 0b10xx_xxxx: the high bit set and the next one clear.
        let continuations = (x & !(x << 1) & HIGH).count_ones() as usize;
        i += 8;
        n += 8 - continuations;
    }
    while i < bytes.len() {
        if bytes[i] & 0xC0 != 0x80 {
            if n == target {
                return (i, n);
            }
            n += 1;
        }
        i += 1;
    }
    (bytes.len(), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_start_finds_each_character_as_char_indices_does() {
        for text in
            ["", "plain ascii text that runs past eight bytes", "한글과 ASCII가 섞인 문장입니다 🙂 end", "é🙂한a"]
        {
            let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            for target in 0..starts.len() + 3 {
                let expected = starts.get(target).copied().unwrap_or(text.len());
                assert_eq!(char_start(text.as_bytes(), (0, 0), target).0, expected, "{text:?} char {target}");
                // Resumed from an earlier answer, as truncate does.
                let half = char_start(text.as_bytes(), (0, 0), target / 2);
                assert_eq!(char_start(text.as_bytes(), half, target).0, expected, "{text:?} char {target}, resumed");
            }
        }
    }

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
        assert_eq!(strip_boilerplate("Comments"), "");
        assert_eq!(strip_boilerplate("Comments on the design are welcome."), "Comments on the design are welcome.");
        assert_eq!(strip_boilerplate("본문입니다. 계속 읽기"), "본문입니다.");
        // Prose that merely contains the words stays.
        assert_eq!(
            strip_boilerplate("Read more about it in the docs. It helps."),
            "Read more about it in the docs. It helps."
        );
    }

    #[test]
    fn one_line_collapses_every_kind_of_whitespace() {
        assert_eq!(one_line("  a\tb\n\nc\r\n d  "), "a b c d");
        assert_eq!(one_line("가\u{a0}나\u{3000}다\u{2003}라\u{85}마"), "가 나 다 라 마");
        // Lead bytes shared with ordinary characters (’ … 。) are not whitespace.
        assert_eq!(one_line("it’s … 끝。 ok"), "it’s … 끝。 ok");
        assert_eq!(one_line(" \u{3000} "), "");
    }

    #[test]
    fn bidi_controls_are_dropped_without_splitting_words() {
        assert_eq!(one_line("invoice\u{202e}gpj.exe"), "invoicegpj.exe");
        assert_eq!(one_line("\u{2067}제목\u{2069} 끝 \u{202a} x"), "제목 끝 x");
        assert_eq!(one_line("a \u{202e}b\u{202c} c"), "a b c");
        assert_eq!(one_line("\u{202e}"), "");
        assert_eq!(one_line("a\u{0}b\u{1b}[31m c\u{7f}"), "ab[31m c");
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

    #[test]
    fn truncation_never_cuts_inside_a_grapheme() {
        // "한" written as three jamo (NFD, as macOS writes file names), and a family emoji of seven chars.
        let decomposed = "\u{1112}\u{1161}\u{11ab}".repeat(100);
        let t = truncate(&decomposed, 200);
        assert!(
            t.ends_with("\u{11ab}…"),
            "ends with a whole syllable: {:?}",
            t.chars().rev().take(4).collect::<String>()
        );
        let family = "👨\u{200d}👩\u{200d}👧\u{200d}👦";
        let t = truncate(&family.repeat(40), 200);
        assert!(t.trim_end_matches('…').ends_with('👦'), "whole emoji only");
        let accents = "e\u{301}".repeat(150);
        assert!(truncate(&accents, 200).trim_end_matches('…').ends_with('\u{301}'));
    }
}
