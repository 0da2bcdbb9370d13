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
pub enum Mode {
    Index,
    Query,
}

/// The tokenizer tantivy runs: a [`Mode`] of [`terms`].
#[derive(Debug, Clone, Copy)]
pub struct KoreanTokenizer(pub Mode);

pub struct Tokens {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

impl Tokenizer for KoreanTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens { tokens: terms(text, self.0), at: 0 }
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

/// The terms of `text`, with byte offsets and positions (tokens at one position are alternatives).
pub fn terms(text: &str, mode: Mode) -> Vec<Token> {
    let mut out = Vec::new();
    let mut position = 0usize;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i + 1).map_or(text.len(), |(o, _)| *o);
    let mut i = 0;
    while i < chars.len() {
        let run_class = class(chars[i].1);
        let start = i;
        while i < chars.len() && class(chars[i].1) == run_class {
            i += 1;
        }
        match run_class {
            Class::Other => {}
            Class::Word => {
                let (from, to) = (chars[start].0, end_of(i - 1));
                out.push(token(text[from..to].to_lowercase(), from, to, position));
                position += 1;
            }
            Class::Syllabic => {
                let run = &chars[start..i];
                if run.len() == 1 {
                    let (from, to) = (run[0].0, end_of(start));
                    out.push(token(text[from..to].to_string(), from, to, position));
                    position += 1;
                    continue;
                }
                // Bigram k at position k; each syllable beside the bigram it starts (the last beside the last
                // bigram), so index and query runs advance alike and phrases across words line up.
                // The syllable goes first: tokens must end in order, or tantivy's snippets cut a fragment
                // short of its highlights.
                let base = position;
                for k in 0..run.len() {
                    let from = run[k].0;
                    if mode == Mode::Index {
                        let to = end_of(start + k);
                        out.push(token(text[from..to].to_string(), from, to, base + k.min(run.len() - 2)));
                    }
                    if k + 1 < run.len() {
                        let to = end_of(start + k + 1);
                        out.push(token(text[from..to].to_string(), from, to, base + k));
                    }
                }
                position = base + run.len() - 1;
            }
        }
    }
    out
}

/// Particles and endings that attach to the end of a Korean word, longest first.
const PARTICLES: &[&str] = &[
    "에서는", "에서도", "으로는", "이라는", "입니다", "에서", "에게", "으로", "까지", "부터", "처럼", "보다", "라는",
    "이란", "하기", "하는", "하고", "하며", "하면", "했던", "했다", "한다", "이다", "을", "를", "이", "가", "은", "는",
    "에", "의", "와", "과", "도", "로", "만",
];

/// A query word without the particle or ending at its end ("쿠버네티스를" → "쿠버네티스", "Go언어로" → "Go언어"),
/// when a stem of at least two syllables is left; None when there is nothing to strip. The stem is searched
/// beside the word as typed: the documents that say "쿠버네티스에서" hold "쿠버네티스" too, but not the reverse.
pub fn strip_particle(word: &str) -> Option<&str> {
    let run = word.chars().rev().take_while(|c| class(*c) == Class::Syllabic).count();
    PARTICLES.iter().find_map(|p| {
        let stem = word.strip_suffix(p)?;
        (run - p.chars().count() >= 2).then_some(stem)
    })
}

/// A Korean compound typed without its space, written with it at each place that leaves two words of at
/// least two syllables: "객체지향" → "객체 지향"; "데이터베이스" → "데이터 베이스", "데이터베 이스"… The posts
/// that write the space hold no bigram across it, so the compound as typed misses them.
pub fn compound_splits(word: &str) -> Vec<String> {
    let syllables: Vec<char> = word.chars().collect();
    if !(4..=8).contains(&syllables.len()) || !syllables.iter().all(|c| ('\u{AC00}'..='\u{D7A3}').contains(c)) {
        return Vec::new();
    }
    (2..=syllables.len() - 2)
        .map(|at| format!("{} {}", syllables[..at].iter().collect::<String>(), syllables[at..].iter().collect::<String>()))
        .collect()
}

fn token(text: String, offset_from: usize, offset_to: usize, position: usize) -> Token {
    Token { offset_from, offset_to, position, text, position_length: 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

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
