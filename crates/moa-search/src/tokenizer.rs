//! Splitting text into search terms so that Korean is found the way readers type it.
//!
//! Korean is agglutinative ("쿠버네티스를", "쿠버네티스에서") and many words have two syllables ("배포",
//! "장애"), so whole-word tokens miss and trigrams cannot match. Hangul (and other scripts written
//! without spaces: Han, kana) is indexed as overlapping syllable bigrams — "쿠버네티스를" holds
//! 쿠버·버네·네티·티스·스를, so "쿠버네티스" matches it — plus each syllable alone at the same position, so a
//! one-syllable query ("책") finds it too. Queries use bigrams only (a single syllable alone), so "배포" does
//! not also match every "배" and "포". Latin letters and digits form words, lowercased and stemmed by the
//! analyzer ("Deployments" → "deploy"); a word mixing letters and digits stays one term ("k8s", "react18").
//! "Go언어" is the word "go" followed by the Hangul bigram "언어".

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Indexing a document, or reading a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Index,
    Query,
}

/// The tokenizer tantivy runs, in one [`Mode`]. It streams one reused token over spans found in one pass,
/// and stems Latin words itself: with a String per token and tantivy's stemmer run on every Hangul token as
/// well, indexing ran at 7,900 posts/s instead of the target of 20,000 (bench `search`).
#[derive(Clone)]
pub(crate) struct KoreanTokenizer {
    mode: Mode,
    spans: Vec<Span>,
    stemmer: frostem::Stemmer,
}

impl KoreanTokenizer {
    pub(crate) fn new(mode: Mode) -> Self {
        Self { mode, spans: Vec::new(), stemmer: frostem::Stemmer::new(frostem::Algorithm::English) }
    }
}

/// A token's place in the text; `word` for a Latin/digit word (lowercased, and stemmed when it has letters).
#[derive(Debug, Clone, Copy)]
struct Span {
    from: usize,
    to: usize,
    position: usize,
    word: bool,
}

pub(crate) struct Tokens<'a> {
    text: &'a str,
    spans: &'a [Span],
    stemmer: frostem::Stemmer,
    at: usize,
    token: Token,
}

impl TokenStream for Tokens<'_> {
    fn advance(&mut self) -> bool {
        let Some(span) = self.spans.get(self.at) else { return false };
        self.at += 1;
        let t = &mut self.token;
        t.offset_from = span.from;
        t.offset_to = span.to;
        t.position = span.position;
        t.text.clear();
        let piece = &self.text[span.from..span.to];
        if span.word {
            t.text.extend(piece.chars().flat_map(char::to_lowercase));
            if t.text.bytes().all(|b| b.is_ascii_lowercase()) {
                let stemmed = match self.stemmer.stem(&t.text) {
                    std::borrow::Cow::Owned(s) => Some(s),
                    std::borrow::Cow::Borrowed(b) if b.len() != t.text.len() => Some(b.to_string()),
                    std::borrow::Cow::Borrowed(_) => None,
                };
                if let Some(stemmed) = stemmed {
                    t.text = stemmed;
                }
            }
        } else {
            t.text.push_str(piece);
        }
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for KoreanTokenizer {
    type TokenStream<'a> = Tokens<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens<'a> {
        self.spans.clear();
        spans(text, self.mode, &mut self.spans);
        Tokens { text, spans: &self.spans, stemmer: self.stemmer, at: 0, token: Token::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Written without spaces between words: split into syllable bigrams.
    Syllabic,
    /// Letters and digits of spaced scripts: whole words.
    Word,
    Other,
}

fn class(c: char) -> Class {
    match c {
        '\u{AC00}'..='\u{D7A3}'   // Hangul syllables
        | '\u{3040}'..='\u{30FF}' // kana
        | '\u{3400}'..='\u{4DBF}' // Han extension A
        | '\u{4E00}'..='\u{9FFF}' // Han
        | '\u{F900}'..='\u{FAFF}' => Class::Syllabic,
        c if c.is_alphanumeric() => Class::Word,
        _ => Class::Other,
    }
}

/// The tokens of `text`: byte offsets and positions (tokens at one position are alternatives).
fn spans(text: &str, mode: Mode, out: &mut Vec<Span>) {
    let mut position = 0usize;
    let mut chars = text.char_indices().peekable();
    // The syllables of the current run: their start offsets (the next one's start ends each).
    let mut run: Vec<usize> = Vec::new();
    while let Some(&(from, c)) = chars.peek() {
        let run_class = class(c);
        run.clear();
        let mut to = from;
        while let Some(&(o, c)) = chars.peek() {
            if class(c) != run_class {
                break;
            }
            run.push(o);
            to = o + c.len_utf8();
            chars.next();
        }
        match run_class {
            Class::Other => {}
            Class::Word => {
                out.push(Span { from, to, position, word: true });
                position += 1;
            }
            Class::Syllabic => {
                let end_of = |k: usize| run.get(k + 1).copied().unwrap_or(to);
                if run.len() == 1 {
                    out.push(Span { from, to, position, word: false });
                    position += 1;
                    continue;
                }
                // Bigram k at position k; each syllable beside the bigram it starts (the last beside the last
                // bigram), so index and query runs advance alike and phrases across words line up. The
                // syllable goes first: tokens must end in order, or tantivy's snippets cut a fragment short
                // of its highlights.
                let base = position;
                for k in 0..run.len() {
                    if mode == Mode::Index {
                        out.push(Span {
                            from: run[k],
                            to: end_of(k),
                            position: base + k.min(run.len() - 2),
                            word: false,
                        });
                    }
                    if k + 1 < run.len() {
                        out.push(Span { from: run[k], to: end_of(k + 1), position: base + k, word: false });
                    }
                }
                position = base + run.len() - 1;
            }
        }
    }
}

/// Particles and endings that attach to the end of a Korean word, longest first.
const PARTICLES: &[&str] = &[
    "에서는",
    "에서도",
    "으로는",
    "이라는",
    "입니다",
    "에서",
    "에게",
    "으로",
    "까지",
    "부터",
    "처럼",
    "보다",
    "라는",
    "이란",
    "하기",
    "하는",
    "하고",
    "하며",
    "하면",
    "했던",
    "했다",
    "한다",
    "이다",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "에",
    "의",
    "와",
    "과",
    "도",
    "로",
    "만",
];

/// A query word without the particle or ending at its end ("쿠버네티스를" → "쿠버네티스", "Go언어로" → "Go언어"),
/// when a stem of at least two syllables is left; None when there is nothing to strip. The stem is searched
/// beside the word as typed: the documents that say "쿠버네티스에서" hold "쿠버네티스" too, but not the reverse.
pub(crate) fn strip_particle(word: &str) -> Option<&str> {
    let run = word.chars().rev().take_while(|c| class(*c) == Class::Syllabic).count();
    PARTICLES.iter().find_map(|p| {
        let stem = word.strip_suffix(p)?;
        (run - p.chars().count() >= 2).then_some(stem)
    })
}

/// A Korean compound typed without its space, written with it in the middle (both middles of an odd length):
/// "객체지향" → "객체 지향", "코딩테스트" → "코딩 테스트" and "코딩테 스트", "데이터베이스" → "데이터 베이스". The posts
/// that write the space hold no bigram across it, so the compound as typed misses them. Every other place
/// cost more than it found: each split is one more clause per query (compound p99 31 ms at 1,000,000 posts).
pub(crate) fn compound_splits(word: &str) -> Vec<String> {
    let syllables: Vec<char> = word.chars().collect();
    let n = syllables.len();
    if !(4..=8).contains(&n) || !syllables.iter().all(|c| ('\u{AC00}'..='\u{D7A3}').contains(c)) {
        return Vec::new();
    }
    let mut places = vec![n / 2];
    if n % 2 == 1 {
        places.push(n / 2 + 1);
    }
    places
        .into_iter()
        .map(|at| {
            format!("{} {}", syllables[..at].iter().collect::<String>(), syllables[at..].iter().collect::<String>())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The terms of `text` as tantivy sees them.
    fn terms(text: &str, mode: Mode) -> Vec<Token> {
        let mut tokenizer = KoreanTokenizer::new(mode);
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().clone());
        }
        out
    }

    fn texts(text: &str, mode: Mode) -> Vec<(String, usize)> {
        terms(text, mode).into_iter().map(|t| (t.text, t.position)).collect()
    }

    fn words(text: &str, mode: Mode) -> Vec<String> {
        terms(text, mode).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn hangul_becomes_bigrams_and_syllables() {
        assert_eq!(
            texts("검색엔진", Mode::Index),
            [("검", 0), ("검색", 0), ("색", 1), ("색엔", 1), ("엔", 2), ("엔진", 2), ("진", 2)]
                .map(|(t, p)| (t.to_string(), p))
        );
        assert_eq!(words("검색엔진", Mode::Query), ["검색", "색엔", "엔진"]);
        assert_eq!(words("책", Mode::Query), ["책"], "one syllable alone");
        assert_eq!(words("책", Mode::Index), ["책"]);
    }

    #[test]
    fn an_inflected_word_holds_the_bigrams_of_its_stem() {
        let doc = words("쿠버네티스를 배포하는 방법", Mode::Index);
        for q in ["쿠버네티스", "배포", "방법"] {
            for t in words(q, Mode::Query) {
                assert!(doc.contains(&t), "{q}: {t} missing from {doc:?}");
            }
        }
        assert!(doc.contains(&"배".to_string()), "a one-syllable query finds it too");
    }

    #[test]
    fn latin_words_and_mixed_tokens() {
        assert_eq!(words("React18 와 k8s, Node.js!", Mode::Query), ["react18", "와", "k8s", "node", "js"]);
        assert_eq!(words("Go언어로 만든 CLI", Mode::Query), ["go", "언어", "어로", "만든", "cli"]);
        assert_eq!(words("Go언어로", Mode::Query), ["go", "언어", "어로"]);
        assert_eq!(words("Café naïve", Mode::Query), ["café", "naïve"]);
    }

    #[test]
    fn particles_come_off_query_words_with_a_stem_left() {
        assert_eq!(strip_particle("쿠버네티스를"), Some("쿠버네티스"));
        assert_eq!(strip_particle("쿠버네티스에서"), Some("쿠버네티스"));
        assert_eq!(strip_particle("스프링을"), Some("스프링"));
        assert_eq!(strip_particle("Go언어로"), Some("Go언어"));
        assert_eq!(strip_particle("배포하기"), Some("배포"));
        assert_eq!(strip_particle("속도"), None, "one syllable would be left");
        assert_eq!(strip_particle("배포"), None);
        assert_eq!(strip_particle("kafka"), None);
        assert_eq!(strip_particle("k8s를"), None, "no Hangul stem");
    }

    #[test]
    fn compounds_are_split_where_a_space_could_be() {
        assert_eq!(compound_splits("객체지향"), ["객체 지향"]);
        assert_eq!(compound_splits("코딩테스트"), ["코딩 테스트", "코딩테 스트"]);
        assert_eq!(compound_splits("데이터베이스"), ["데이터 베이스"]);
        assert!(compound_splits("배포").is_empty() && compound_splits("검색엔").is_empty());
        assert!(compound_splits("Go언어로").is_empty(), "Hangul only");
    }

    #[test]
    fn tokens_end_in_order() {
        for mode in [Mode::Index, Mode::Query] {
            let t = terms("서버 구축기 — Part 3. 쿠버네티스에서 대시보드 k8s운영", mode);
            assert!(t.windows(2).all(|w| w[0].offset_to <= w[1].offset_to), "{mode:?}");
        }
    }

    #[test]
    fn offsets_point_at_the_text() {
        let text = "A 쿠버네티스 b";
        for t in terms(text, Mode::Index) {
            assert_eq!(&text[t.offset_from..t.offset_to].to_lowercase(), &t.text);
        }
    }

    #[test]
    fn positions_follow_the_text() {
        let t = texts("a 배포 b", Mode::Query);
        assert_eq!(t, [("a", 0), ("배포", 1), ("b", 2)].map(|(s, p)| (s.to_string(), p)));
        assert!(terms("", Mode::Index).is_empty() && terms(" ,.!? ", Mode::Query).is_empty());
    }
}
