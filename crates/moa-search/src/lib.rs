//! moa's Korean full-text search: a Hangul-aware tokenizer, a tantivy index of posts and a topic tagger.
//! No I/O beyond the index's own directory; the application feeds it from the store.
//!
//! The index and its query types are at the crate root; the topic tagger and its dictionary are
//! [`topics`] (`moa_search::topics::tag_post`, `moa_search::topics::TOPICS`).

#![warn(unreachable_pub, missing_docs)]

mod index;
mod query;
mod recent;
mod tokenizer;
pub mod topics;

pub use index::{CANDIDATES, Hit, Hits, IndexedPost, SearchError, SearchIndex, SearchQuery, Sort};
pub use query::{QueryPart, parse_query};
pub use recent::COUNT_CAP;

/// The text of a post as indexed: its summary, then its content's text (up to `max_chars`). A summary cut
/// from the content repeats its opening, so then the content's text alone.
pub fn body_text(summary: Option<&str>, content_html: Option<&str>, max_chars: usize) -> String {
    joined(summary, content_html.map(|html| moa_feed::html_to_text_prefix(html, max_chars)))
}

/// [`body_text`] without code blocks, tables or math: what the post says in sentences.
pub(crate) fn prose_text(summary: Option<&str>, content_html: Option<&str>, max_chars: usize) -> String {
    joined(summary, content_html.map(|html| moa_feed::prose_text_prefix(html, max_chars)))
}

fn joined(summary: Option<&str>, content_text: Option<String>) -> String {
    let mut body = summary.unwrap_or("").to_string();
    if let Some(text) = content_text {
        if body.is_empty() || !text.starts_with(body.trim_end_matches('…')) {
            body.push('\n');
            body.push_str(&text);
        } else {
            body = text;
        }
    }
    body
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_summary_cut_from_the_content_is_indexed_once() {
        let body = super::body_text(Some("첫 문장입니다. 둘째…"), Some("<p>첫 문장입니다. 둘째 문장입니다.</p>"), 100);
        assert_eq!(body.matches("첫 문장").count(), 1, "{body}");
        let body = super::body_text(Some("따로 쓴 요약"), Some("<p>본문</p>"), 100);
        assert!(body.contains("따로 쓴 요약") && body.contains("본문"), "{body}");
    }
}
