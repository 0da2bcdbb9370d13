//! The query language readers type: words, "quoted phrases" and -exclusions.

/// One part of a query: a word, or a "phrase", possibly -excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPart {
    /// The word, or the phrase without its quotes.
    pub text: String,
    /// Whether matching posts are left out (`-word`).
    pub exclude: bool,
}

/// Words, "quoted phrases" and -exclusions (`-word`, `-"a phrase"`). An unclosed quote runs to the end.
pub fn parse_query(query: &str) -> Vec<QueryPart> {
    let mut parts = Vec::new();
    let mut chars = query.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let exclude = c == '-';
        if exclude {
            chars.next();
        }
        let text: String = if chars.peek() == Some(&'"') {
            chars.next();
            chars.by_ref().take_while(|c| *c != '"').collect()
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            word
        };
        if !text.trim().is_empty() {
            parts.push(QueryPart { text: text.trim().to_string(), exclude });
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_have_words_phrases_and_exclusions() {
        let p = |t: &str, exclude| QueryPart { text: t.into(), exclude };
        assert_eq!(
            parse_query(r#"쿠버네티스 "장애 대응" -자바 -"old news" "unclosed"#),
            [p("쿠버네티스", false), p("장애 대응", false), p("자바", true), p("old news", true), p("unclosed", false)]
        );
        assert!(parse_query("  - \"\" ").is_empty());
    }
}
